//! Variants: a scenario file that `extends` another and lists only what changes.
//!
//! Rules (documented for users in docs/scenario-format.md):
//! - `[scenario]` fields given in the variant replace the base's;
//! - `[groups]` entries replace the base's group of the same name;
//! - an `[[indicator]]` or `[[target]]` whose id exists in the base overrides only the fields it
//!   lists (`*_by_year` tables merge year by year); a new id is appended;
//! - a `[[correlation]]` for the same pair or group (same members, any order) replaces the base
//!   entry; otherwise it is appended;
//! - `[[not_modelled]]` entries with an existing id replace it; new ones are appended;
//! - `[regions]` entries replace the base's entry for the same region.
//!
//! Every value keeps the file it came from, so errors point into the right file.

use super::raw::{ByYear, Loc, RawCorrelation, RawFile, RawIndicator, RawMeta, RawTarget};

/// `base.field = over.field` for each listed field the variant gives. Each caller destructures
/// the variant's struct without `..`, so that a field added to the raw structs does not compile
/// until its override is written here.
macro_rules! override_fields {
    ($base:expr, [$($field:ident),* $(,)?]) => {
        $( if $field.is_some() { $base.$field = $field; } )*
    };
}

/// Apply `variant` on top of `base`.
pub fn merge(mut base: RawFile, variant: RawFile) -> RawFile {
    base.extends = None;
    if let Some(over) = variant.scenario {
        match &mut base.scenario {
            Some(meta) => merge_meta(&mut meta.value, over.value),
            None => base.scenario = Some(over),
        }
    }
    for (name, group) in variant.groups {
        base.groups.insert(name, group);
    }
    // Indexed by id: a variant of thousands of indicators merges in linear time.
    let mut at: std::collections::HashMap<String, usize> =
        base.indicator.iter().enumerate().map(|(k, i)| (i.value.id.value.clone(), k)).collect();
    for over in variant.indicator {
        match at.get(&over.value.id.value) {
            Some(&k) => merge_indicator(&mut base.indicator[k].value, over.value),
            None => {
                at.insert(over.value.id.value.clone(), base.indicator.len());
                base.indicator.push(over);
            }
        }
    }
    for over in variant.correlation {
        let key = correlation_key(&over.value);
        match base.correlation.iter_mut().find(|c| key.is_some() && correlation_key(&c.value) == key) {
            Some(existing) => {
                // The members are the key; only `rho` can change.
                let RawCorrelation { between: _, group: _, rho } = over.value;
                if rho.is_some() {
                    existing.value.rho = rho;
                }
            }
            None => base.correlation.push(over),
        }
    }
    let mut at: std::collections::HashMap<String, usize> =
        base.target.iter().enumerate().map(|(k, t)| (t.value.id.value.clone(), k)).collect();
    for over in variant.target {
        match at.get(&over.value.id.value) {
            Some(&k) => merge_target(&mut base.target[k].value, over.value),
            None => {
                at.insert(over.value.id.value.clone(), base.target.len());
                base.target.push(over);
            }
        }
    }
    for (name, region) in variant.regions {
        base.regions.insert(name, region);
    }
    for over in variant.not_modelled {
        match base.not_modelled.iter_mut().find(|t| t.value.id.value == over.value.id.value) {
            Some(existing) => *existing = over,
            None => base.not_modelled.push(over),
        }
    }
    base
}

fn merge_meta(base: &mut RawMeta, over: RawMeta) {
    let RawMeta { name, title, title_en, base_year, end_year, paths, seed, notes, repair_correlations } = over;
    override_fields!(base, [name, title, title_en, base_year, end_year, paths, seed, notes, repair_correlations]);
}

fn merge_indicator(base: &mut RawIndicator, over: RawIndicator) {
    let RawIndicator {
        id: _,
        label_zh,
        label_en,
        unit,
        region,
        kind,
        base: base_value,
        source,
        base_dist,
        assumption,
        growth,
        growth_by_year,
        change,
        change_by_year,
        additions,
        additions_by_year,
        persistence,
        compounding,
        bounds,
        expr,
        note,
        history,
        classes,
    } = over;
    // Giving a new base value replaces an uncertain base and vice versa.
    if base_value.is_some() {
        base.base_dist = None;
        base.assumption = None;
        base.base = base_value;
    }
    if base_dist.is_some() {
        base.base = None;
        base.source = None;
    }
    base.growth_by_year = merge_by_year(base.growth_by_year.take(), growth_by_year);
    base.change_by_year = merge_by_year(base.change_by_year.take(), change_by_year);
    base.additions_by_year = merge_by_year(base.additions_by_year.take(), additions_by_year);
    override_fields!(
        base,
        [
            label_zh,
            label_en,
            unit,
            region,
            kind,
            source,
            base_dist,
            assumption,
            growth,
            change,
            additions,
            persistence,
            compounding,
            bounds,
            expr,
            note,
            history,
            classes
        ]
    );
}

fn merge_by_year(base: Option<ByYear>, over: Option<ByYear>) -> Option<ByYear> {
    match (base, over) {
        (Some(mut base), Some(over)) => {
            base.value.extend(over.value);
            Some(Loc { value: base.value, span: over.span, file: over.file })
        }
        (base, None) => base,
        (None, over) => over,
    }
}

fn merge_target(base: &mut RawTarget, over: RawTarget) {
    let RawTarget {
        id: _,
        label_zh,
        label_en,
        section,
        region,
        wording,
        note,
        unit,
        metric,
        indicator,
        year,
        from,
        to,
        numerator,
        denominator,
        competitors,
        versus,
        comparator,
        threshold,
        tolerance,
        all,
    } = over;
    // The fields a metric reads: a new metric brings its own, and stale ones from the base would
    // be misleading.
    let clear_metric_fields = |base: &mut RawTarget| {
        base.indicator = None;
        base.year = None;
        base.from = None;
        base.to = None;
        base.numerator = None;
        base.denominator = None;
        base.competitors = None;
    };
    if metric.is_some() {
        clear_metric_fields(base);
        base.all = None;
    }
    if all.is_some() {
        // A joint target replaces a single test.
        clear_metric_fields(base);
        base.metric = None;
        base.versus = None;
        base.comparator = None;
        base.threshold = None;
        base.tolerance = None;
    }
    override_fields!(
        base,
        [
            label_zh,
            label_en,
            section,
            region,
            wording,
            note,
            unit,
            metric,
            indicator,
            year,
            from,
            to,
            numerator,
            denominator,
            competitors,
            versus,
            comparator,
            threshold,
            tolerance,
            all
        ]
    );
}

/// The sorted member ids of a correlation entry, identifying it across files.
fn correlation_key(c: &RawCorrelation) -> Option<(bool, Vec<String>)> {
    let (is_group, list) = match (&c.between, &c.group) {
        (Some(list), None) => (false, list),
        (None, Some(list)) => (true, list),
        _ => return None,
    };
    let mut ids: Vec<String> = list.value.iter().map(|s| s.value.clone()).collect();
    ids.sort();
    Some((is_group, ids))
}
