//! From the file as written ([`RawFile`]) to the model the engine runs ([`Model`]): every
//! reference resolved, every range checked, every problem reported with its place and a fix.
//!
//! The checks run in one pass per section and collect all problems rather than stopping at the
//! first, so a person fixing a file sees everything at once.

use std::collections::{BTreeMap, HashMap};

use super::correlation::CorrelationMatrix;
use super::expr::{Expr, Resolved};
use super::validate::{self, Family, Kind, Use, family_names};
use super::{
    Base, Comparator, Compounding, Condition, CorrelationRepair, Indicator, Marginal, Metric, MetricName, Model,
    NotModelled, PastMeasure, Process, Target, Test, metric_unit,
};
use crate::numbers::shown;
use crate::scenario::LoadOptions;
use crate::scenario::diagnostic::{Diagnostic, Sources, did_you_mean, render_warning};
use crate::scenario::raw::{
    ByYear, Loc, LocList, LocStr, RawCondition, RawDist, RawFile, RawIndicator, RawMetric, RawRegion, RawTarget,
    RawThreshold,
};
use crate::units::{self, Dimension, Unit};

/// Default number of paths when the scenario does not say.
pub const DEFAULT_PATHS: u64 = 10_000;

/// Most projection years after the base year.
pub const MAX_YEARS: i64 = 100;

/// The start of a refusal by the model's gate ([`Model::validate`]) of a model whose checks here
/// found nothing: a rule the located checks miss (the fuzzer in tests/fuzz.rs looks for it).
pub const UNLOCATED_GATE: &str = "the model breaks a rule of feasim's gate: ";

/// Build the model, or every problem found.
pub fn build(raw: RawFile, sources: &Sources, options: LoadOptions, hash: String) -> Result<Model, Vec<Diagnostic>> {
    let mut b = Builder {
        sources,
        errors: Vec::new(),
        warnings: Vec::new(),
        broken: Default::default(),
        base_year: 0,
        end_year: 0,
        classes: HashMap::new(),
    };
    let model = b.model(raw, options, hash);
    match model {
        Some(mut model) if b.errors.is_empty() => {
            // The same gate every analysis variant passes; the checks above located each
            // problem, so a refusal here is a rule they missed, still reported, never simulated.
            if let Err(refusal) = model.validate() {
                return Err(vec![Diagnostic::new(0, 0..0, format!("{UNLOCATED_GATE}{}", refusal.message))]);
            }
            model.warnings = b.warnings.iter().map(|d| render_warning(sources, d)).collect();
            Ok(model)
        }
        _ => Err(b.errors),
    }
}

struct Builder<'a> {
    sources: &'a Sources,
    errors: Vec<Diagnostic>,
    /// Problems that do not stop the scenario from loading (see [`super::warnings`]).
    warnings: Vec<Diagnostic>,
    /// Ids of indicators that had their own error: references to them are not errors again.
    broken: std::collections::HashSet<String>,
    base_year: i32,
    end_year: i32,
    /// Ordered class scales (`classes = [...]`, best first) by indicator id.
    classes: HashMap<String, Vec<String>>,
}

impl Builder<'_> {
    fn error(&mut self, d: Diagnostic) {
        self.errors.push(d);
    }

    /// A refusal of the model's gate ([`validate`]), located at `at`.
    fn refuse<T>(&mut self, at: &Loc<T>, refusal: validate::Refusal) {
        let mut d = Diagnostic::at(at, refusal.message);
        if let Some(help) = refusal.help {
            d = d.help(help);
        }
        self.error(d);
    }

    fn line_of<T>(&self, loc: &Loc<T>) -> usize {
        self.sources.line_col(loc.file, loc.span.start).0
    }

    fn model(&mut self, raw: RawFile, options: LoadOptions, hash: String) -> Option<Model> {
        let Some(meta) = raw.scenario else {
            self.error(
                Diagnostic::new(0, 0..0, "the scenario has no [scenario] table")
                    .help("start the file with [scenario] and name, base_year, end_year; see scenarios/tutorial.toml"),
            );
            return None;
        };
        let meta_loc = meta.with(());
        let m = meta.value;
        let meta = meta_loc;
        let name = match &m.name {
            Some(n) if is_name(&n.value) => n.value.clone(),
            Some(n) => {
                self.error(
                    Diagnostic::at(n, format!("scenario name \"{}\" cannot be used as a folder name", n.value))
                        .help("use lowercase letters, digits, '-' and '_', e.g. name = \"liaoning-2022-2024\""),
                );
                String::new()
            }
            None => {
                self.error(
                    Diagnostic::at(&meta, "[scenario] has no name")
                        .help("add name = \"my-plan\" (it names the output folder)"),
                );
                String::new()
            }
        };
        let (Some(base_year), Some(end_year)) = (&m.base_year, &m.end_year) else {
            self.error(
                Diagnostic::at(&meta, "[scenario] needs base_year and end_year")
                    .help("e.g. base_year = 2021 (last year with data) and end_year = 2024 (last plan year)"),
            );
            return None;
        };
        if !(1900..=2200).contains(&base_year.value) {
            self.error(Diagnostic::at(base_year, format!("base_year {} is not a plausible year", base_year.value)));
            return None;
        }
        if end_year.value <= base_year.value {
            self.error(
                Diagnostic::at(
                    end_year,
                    format!("end_year {} must be after base_year {}", end_year.value, base_year.value),
                )
                .help("the projection runs over the years base_year+1 ..= end_year"),
            );
            return None;
        }
        if end_year.value - base_year.value > MAX_YEARS {
            self.error(
                Diagnostic::at(
                    end_year,
                    format!(
                        "end_year {} is {} years after base_year {}; feasim projects at most {MAX_YEARS} years",
                        end_year.value,
                        end_year.value.saturating_sub(base_year.value),
                        base_year.value
                    ),
                )
                .help("a plan's horizon is a few years; check both years for a typo"),
            );
            return None;
        }
        self.base_year = base_year.value as i32;
        self.end_year = end_year.value as i32;
        let default_paths = match &m.paths {
            Some(p) if (1..=10_000_000_000).contains(&p.value) => p.value as u64,
            Some(p) => {
                self.error(
                    Diagnostic::at(p, format!("paths must be between 1 and 10^10 (got {})", p.value))
                        .help("100000 paths give probabilities to about ±0.3 percentage points"),
                );
                DEFAULT_PATHS
            }
            None => DEFAULT_PATHS,
        };
        let default_seed = match &m.seed {
            Some(s) if s.value >= 0 => s.value as u64,
            Some(s) => {
                self.error(Diagnostic::at(s, "seed must be a non-negative whole number"));
                0
            }
            None => 0,
        };

        let groups = self.groups(&raw.groups);
        let (mut indicators, raw_indicators) = self.indicators(raw.indicator);
        let ids: HashMap<String, usize> = indicators.iter().enumerate().map(|(i, ind)| (ind.id.clone(), i)).collect();
        let derived_order = self.derived(&mut indicators, &raw_indicators, &ids, &groups);
        let stochastic: Vec<usize> =
            indicators.iter().enumerate().filter(|(_, i)| i.process.shock().is_some()).map(|(k, _)| k).collect();
        let repair = options.repair_correlations || m.repair_correlations.as_ref().is_some_and(|r| r.value);
        let (cholesky, correlation, correlation_repair) =
            self.correlations(&raw.correlation, &indicators, &ids, &stochastic, repair);
        let targets = self.targets(&raw.target, &indicators, &ids);
        let not_modelled = self.not_modelled(&raw.not_modelled, &raw.target);
        if targets.is_empty() && raw.target.is_empty() {
            self.error(
                Diagnostic::at(&meta, "the scenario has no [[target]]")
                    .help("add at least one [[target]] (what the plan wants to reach); see scenarios/tutorial.toml"),
            );
        }
        let mut regions: Vec<String> = Vec::new();
        for t in &targets {
            if !regions.contains(&t.region) {
                regions.push(t.region.clone());
            }
        }
        let region_en = self.region_labels(&raw.regions, &indicators, &targets);
        if self.errors.is_empty() {
            self.warnings.extend(super::warnings::check(
                &raw.target,
                &targets,
                &indicators,
                &derived_order,
                self.base_year,
            ));
        }
        Some(Model {
            title: m.title.map(|t| t.value).unwrap_or_else(|| name.clone()),
            title_en: m.title_en.map(|t| t.value.trim().to_string()).unwrap_or_default(),
            region_en,
            warnings: Vec::new(),
            name,
            notes: m.notes.map(|n| n.value).unwrap_or_default(),
            base_year: self.base_year,
            end_year: self.end_year,
            default_paths,
            default_seed,
            hash,
            indicators,
            stochastic,
            cholesky,
            correlation,
            correlation_repair,
            derived_order,
            targets,
            not_modelled,
            regions,
        })
    }

    /// `[regions]`: English names of the regions targets and indicators use.
    fn region_labels(
        &mut self,
        raw: &BTreeMap<String, Loc<RawRegion>>,
        indicators: &[Indicator],
        targets: &[Target],
    ) -> BTreeMap<String, String> {
        let used: Vec<&str> = targets
            .iter()
            .map(|t| t.region.as_str())
            .chain(indicators.iter().map(|i| i.region.as_str()))
            .filter(|r| !r.is_empty())
            .collect();
        let mut out = BTreeMap::new();
        for (name, entry) in raw {
            if !used.contains(&name.as_str()) {
                self.error(
                    Diagnostic::at(entry, format!("[regions] names \"{name}\", which no target or indicator uses"))
                        .maybe_help(
                            did_you_mean(name, used.iter().copied()).or_else(|| {
                                Some("the key is a region as written in the targets' region = \"…\"".into())
                            }),
                        ),
                );
                continue;
            }
            match &entry.value.en {
                Some(en) if !en.value.trim().is_empty() => {
                    out.insert(name.clone(), en.value.trim().to_string());
                }
                Some(en) => self.error(Diagnostic::at(en, "an empty English region name").help("e.g. en = \"Dalian\"")),
                None => self.error(
                    Diagnostic::at(entry, format!("[regions] \"{name}\" has no English name"))
                        .help(format!("write \"{name}\" = {{ en = \"…\" }}")),
                ),
            }
        }
        out
    }

    fn groups(&mut self, raw: &BTreeMap<String, LocList>) -> BTreeMap<String, Vec<String>> {
        let mut groups = BTreeMap::new();
        for (name, members) in raw {
            if !is_segment(name) {
                self.error(
                    Diagnostic::at(members, format!("group name \"{name}\" is not a valid name"))
                        .help("use lowercase letters, digits and '_', starting with a letter"),
                );
            }
            if members.value.is_empty() {
                self.error(Diagnostic::at(members, format!("group \"{name}\" is empty")));
            }
            groups.insert(name.clone(), members.value.iter().map(|m| m.value.clone()).collect());
        }
        groups
    }

    fn indicators(&mut self, raw: Vec<Loc<RawIndicator>>) -> (Vec<Indicator>, Vec<Loc<RawIndicator>>) {
        let mut out = Vec::new();
        let mut kept = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for item in raw {
            let r = &item.value;
            let id = &r.id;
            if !is_id(&id.value) || id.value.len() > MAX_ID_BYTES {
                self.error(Diagnostic::at(id, format!("indicator id \"{}\" is not valid", id.value)).help(
                    "ids are lowercase ASCII words joined by dots, at most 120 characters, e.g. \"shenyang.gdp_real\" (region.quantity)",
                ));
                continue;
            }
            if let Some(line) = seen.get(&id.value) {
                self.error(
                    Diagnostic::at(id, format!("indicator \"{}\" is defined twice", id.value))
                        .help(format!("the first definition is on line {line}; give this one another id")),
                );
                continue;
            }
            seen.insert(id.value.clone(), self.line_of(id));
            match self.indicator(&item) {
                Some(indicator) => {
                    out.push(indicator);
                    kept.push(item);
                }
                None => {
                    self.broken.insert(id.value.clone());
                }
            }
        }
        (out, kept)
    }

    fn indicator(&mut self, item: &Loc<RawIndicator>) -> Option<Indicator> {
        let r = &item.value;
        let id = r.id.value.clone();
        let Some(kind) = &r.kind else {
            self.error(
                Diagnostic::at(&r.id, format!("indicator \"{id}\" has no kind"))
                    .help("add kind = \"level\", \"rate\", \"count\" or \"derived\""),
            );
            return None;
        };
        let Some(kind_parsed) = Kind::parse(&kind.value) else {
            let hint = did_you_mean(&kind.value, Kind::ALL.map(Kind::name))
                .unwrap_or_else(|| "kinds: level, rate, count, derived".into());
            self.error(Diagnostic::at(kind, format!("unknown kind \"{}\"", kind.value)).help(hint));
            return None;
        };
        let kind = kind_parsed;
        // Fields that belong to other kinds are mistakes worth naming.
        let misplaced: [(&str, bool, &[Kind]); 10] = [
            ("growth", r.growth.is_some(), &[Kind::Level]),
            ("growth_by_year", r.growth_by_year.is_some(), &[Kind::Level]),
            ("compounding", r.compounding.is_some(), &[Kind::Level]),
            ("change", r.change.is_some(), &[Kind::Rate]),
            ("change_by_year", r.change_by_year.is_some(), &[Kind::Rate]),
            ("bounds", r.bounds.is_some(), &[Kind::Rate]),
            ("additions", r.additions.is_some(), &[Kind::Count]),
            ("additions_by_year", r.additions_by_year.is_some(), &[Kind::Count]),
            ("expr", r.expr.is_some(), &[Kind::Derived]),
            ("persistence", r.persistence.is_some(), &[Kind::Level, Kind::Rate, Kind::Count]),
        ];
        for (field, present, owners) in misplaced {
            if present && !owners.contains(&kind) {
                let owner = owners.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ");
                let owner = match owner.rsplit_once(", ") {
                    Some((head, last)) => format!("{head} or {last}"),
                    None => owner,
                };
                let kind = kind.name();
                self.error(
                    Diagnostic::at(&r.id, format!("indicator \"{id}\" is kind = \"{kind}\" but sets `{field}`"))
                        .help(format!("`{field}` belongs to kind = \"{owner}\"; remove it or change the kind")),
                );
            }
        }
        let base = if kind == Kind::Derived {
            if let Some(b) = &r.base {
                self.error(
                    Diagnostic::at(b, "a derived indicator computes its base-year value from its expression")
                        .help("remove `base`, or make this a level/rate/count indicator"),
                );
            }
            if let Some(b) = &r.base_dist {
                self.error(Diagnostic::at(b, "a derived indicator cannot have an uncertain base; remove `base_dist`"));
            }
            Base::Derived
        } else {
            self.base(r, kind)?
        };
        let persistence = match &r.persistence {
            Some(p) => match validate::persistence(p.value) {
                Ok(()) => p.value,
                Err(refusal) => {
                    self.refuse(p, refusal);
                    0.0
                }
            },
            None => 0.0,
        };
        let what = |field: &str| format!("{field} of \"{id}\"");
        let process = match kind {
            Kind::Level => {
                let compounding = match &r.compounding {
                    None => Compounding::Simple,
                    Some(c) if c.value == "simple" => Compounding::Simple,
                    Some(c) if c.value == "log" => Compounding::Log,
                    Some(c) => {
                        self.error(
                            Diagnostic::at(c, format!("unknown compounding \"{}\"", c.value))
                                .help("use \"simple\" (X·(1+g/100), the default) or \"log\" (X·exp(g/100))"),
                        );
                        Compounding::Simple
                    }
                };
                let growth =
                    self.yearly(&r.id, &r.growth, &r.growth_by_year, Use::Growth, "growth", &what("growth"))?;
                if compounding == Compounding::Simple {
                    self.check_growth_floor(&r.growth, &r.growth_by_year, &growth);
                }
                Process::Level { growth, compounding, persistence }
            }
            Kind::Rate => {
                let (lower, upper) = match &r.bounds {
                    None => (0.0, 100.0),
                    Some(b) => {
                        let checked = match b.value[..] {
                            [lower, upper] => validate::bounds(lower, upper).map(|_| (lower, upper)),
                            _ => validate::bounds(f64::NAN, f64::NAN).map(|_| (0.0, 100.0)),
                        };
                        match checked {
                            Ok(bounds) => bounds,
                            Err(refusal) => {
                                self.refuse(b, refusal);
                                (0.0, 100.0)
                            }
                        }
                    }
                };
                if let (Base::Known { value, .. }, Some(b)) = (&base, &r.base)
                    && let Err(refusal) = validate::known_base(Kind::Rate, *value, Some((lower, upper)))
                {
                    self.refuse(b, refusal);
                }
                let change =
                    self.yearly(&r.id, &r.change, &r.change_by_year, Use::Change, "change", &what("change"))?;
                Process::Rate { change, lower, upper, persistence }
            }
            Kind::Count => {
                let additions = self.yearly(
                    &r.id,
                    &r.additions,
                    &r.additions_by_year,
                    Use::Additions,
                    "additions",
                    &what("additions"),
                )?;
                Process::Count { additions, persistence }
            }
            Kind::Derived => {
                if r.expr.is_none() {
                    self.error(
                        Diagnostic::at(&r.id, format!("derived indicator \"{id}\" has no expr"))
                            .help("add expr = \"...\", e.g. expr = \"shenyang.gdp_real * shenyang.deflator\""),
                    );
                    return None;
                }
                // Compiled once every id is known, in `derived`.
                Process::Derived { expr: Expr::compile("0", &|_| Resolved::Unknown(None)).ok()? }
            }
        };
        let (history, history_source) = self.history(r, &base, &process);
        if let Some(list) = &r.classes {
            self.class_scale(&id, kind, list);
        }
        let label_en = r.label_en.as_ref().map(|l| l.value.clone()).unwrap_or_else(|| id.clone());
        Some(Indicator {
            label_zh: r.label_zh.as_ref().map(|l| l.value.clone()).unwrap_or_else(|| label_en.clone()),
            label_en,
            unit: r.unit.as_ref().map(|u| u.value.clone()).unwrap_or_default(),
            region: r.region.as_ref().map(|u| u.value.clone()).unwrap_or_default(),
            note: r.note.as_ref().map(|u| u.value.clone()).unwrap_or_default(),
            base,
            process,
            history,
            history_source,
            stream_key: fnv1a(&id),
            id,
        })
    }

    /// An ordered class scale: at least two distinct names, on a rate or count indicator whose
    /// value is the class number (1 = the first, best class).
    fn class_scale(&mut self, id: &str, kind: Kind, list: &LocList) {
        if !matches!(kind, Kind::Rate | Kind::Count) {
            self.error(
                Diagnostic::at(list, format!("indicator \"{id}\" is a {}: only a rate or a count can be on a class scale", kind.name()))
                    .help("use kind = \"rate\" with bounds = [1, number of classes] (the value is the class number, 1 = best)"),
            );
            return;
        }
        let names: Vec<String> = list.value.iter().map(|c| c.value.trim().to_string()).collect();
        if names.len() < 2 {
            self.error(
                Diagnostic::at(list, "a class scale needs at least two classes")
                    .help("e.g. classes = [\"Ⅰ\", \"Ⅱ\", \"Ⅲ\", \"Ⅳ\", \"Ⅴ\", \"劣Ⅴ\"]"),
            );
            return;
        }
        for (k, c) in list.value.iter().enumerate() {
            if names[k].is_empty() || names[..k].contains(&names[k]) {
                self.error(Diagnostic::at(c, "class names must be distinct and not empty"));
                return;
            }
        }
        self.classes.insert(id.to_string(), names);
    }

    fn base(&mut self, r: &RawIndicator, kind: Kind) -> Option<Base> {
        let id = &r.id.value;
        match (&r.base, &r.base_dist) {
            (Some(b), Some(d)) => {
                self.error(Diagnostic::at(d, format!("indicator \"{id}\" has both `base` and `base_dist`")).help(
                    format!(
                        "keep `base` (a statistic, line {}) or `base_dist` (an assumption), not both",
                        self.line_of(b)
                    ),
                ));
                None
            }
            (None, None) => {
                self.error(
                    Diagnostic::at(&r.id, format!("indicator \"{id}\" has no base-year value"))
                        .help("add base = <value> with source = \"...\", or base_dist = { ... } with assumption = \"...\" when no statistic exists"),
                );
                None
            }
            (Some(b), None) => {
                // A rate's bounds are checked with the rate (`indicator`).
                if let Err(refusal) = validate::known_base(kind, b.value, None) {
                    let finite = b.value.is_finite();
                    self.refuse(b, refusal);
                    if !finite {
                        return None;
                    }
                }
                let source = match &r.source {
                    Some(s) if !s.value.trim().is_empty() => s.value.clone(),
                    _ => {
                        self.error(
                            Diagnostic::at(b, format!("the base of \"{id}\" has no source"))
                                .help("add source = \"where the statistic comes from (address, table, confidence)\"; if there is none, use base_dist with an assumption"),
                        );
                        String::new()
                    }
                };
                if let Some(a) = &r.assumption {
                    self.error(
                        Diagnostic::at(
                            a,
                            "`assumption` explains an uncertain base (base_dist); this base is a statistic",
                        )
                        .help("put the explanation in `source` or `note`"),
                    );
                }
                Some(Base::Known { value: b.value, source })
            }
            (None, Some(d)) => {
                let use_ = if kind == Kind::Count { Use::CountBase } else { Use::Base };
                let what = format!("uncertain base of \"{id}\"");
                let marginal = self.marginal(d, use_, &what)?;
                if let Err(refusal) = validate::uncertain_base(kind, &marginal, &what) {
                    self.refuse(d, refusal);
                }
                let assumption = match &r.assumption {
                    Some(a) if !a.value.trim().is_empty() => a.value.clone(),
                    _ => {
                        self.error(
                            Diagnostic::at(d, format!("the uncertain base of \"{id}\" does not say what it assumes"))
                                .help("add assumption = \"why this range\" so readers know it is not a statistic"),
                        );
                        String::new()
                    }
                };
                if let Some(s) = &r.source {
                    self.error(
                        Diagnostic::at(
                            s,
                            "`source` cites a statistic for `base`; this indicator has an uncertain base_dist",
                        )
                        .help("cite the evidence behind the range inside `assumption`"),
                    );
                }
                Some(Base::Uncertain { marginal, assumption })
            }
        }
    }

    /// The `history` table: a source and published values for years up to the base year, each a
    /// finite number a value of this kind can take; a base-year value must repeat `base`.
    fn history(&mut self, r: &RawIndicator, base: &Base, process: &Process) -> (BTreeMap<i32, f64>, String) {
        let mut out = BTreeMap::new();
        let Some(h) = &r.history else {
            return (out, String::new());
        };
        let id = &r.id.value;
        let example =
            "history = { source = \"where the numbers come from\", values = { 2019 = 5865.0, 2020 = 6292.4 } }";
        let source = match &h.value.source {
            Some(s) if !s.value.trim().is_empty() => s.value.clone(),
            Some(s) => {
                self.error(
                    Diagnostic::at(s, format!("the history of \"{id}\" has an empty source"))
                        .help("say where the values come from (address, table, confidence), as for `source` of a base"),
                );
                String::new()
            }
            None => {
                self.error(
                    Diagnostic::at(h, format!("the history of \"{id}\" has no source"))
                        .help(format!("write {example}")),
                );
                String::new()
            }
        };
        let values = match &h.value.values {
            Some(v) if !v.value.is_empty() => v,
            Some(v) => {
                self.error(
                    Diagnostic::at(v, format!("the history of \"{id}\" lists no values"))
                        .help(format!("give at least one year, e.g. {example}; or remove `history`")),
                );
                return (out, source);
            }
            None => {
                self.error(
                    Diagnostic::at(h, format!("the history of \"{id}\" has no values"))
                        .help(format!("write {example}")),
                );
                return (out, source);
            }
        };
        for (key, value) in &values.value {
            let Ok(year) = key.trim().parse::<i32>() else {
                self.error(
                    Diagnostic::at(value, format!("\"{key}\" in the history of \"{id}\" is not a year"))
                        .help("write the years as keys: values = { 2019 = 5865.0, 2020 = 6292.4 }"),
                );
                continue;
            };
            if year > self.base_year {
                self.error(
                    Diagnostic::at(value, format!("history year {year} of \"{id}\" is after the base year {}", self.base_year))
                        .help("history holds published values up to the base year; the years after it are simulated (remove this year)"),
                );
                continue;
            }
            if year < self.base_year - 100 {
                self.error(Diagnostic::at(value, format!("history year {year} of \"{id}\" is not a plausible year")));
                continue;
            }
            let v = value.value;
            if !v.is_finite() {
                self.error(
                    Diagnostic::at(value, format!("the history value for {year} of \"{id}\" is not a finite number"))
                        .help("leave out a year without a published value"),
                );
                continue;
            }
            let wrong = match process {
                Process::Level { .. } if v <= 0.0 => Some("a level is positive".to_string()),
                Process::Count { .. } if v < 0.0 || v.fract() != 0.0 => {
                    Some("a count is a whole number, 0 or more".to_string())
                }
                Process::Rate { lower, upper, .. } if !(*lower..=*upper).contains(&v) => {
                    Some(format!("this rate lies within its bounds [{}, {}]", shown(*lower), shown(*upper)))
                }
                _ => None,
            };
            if let Some(why) = wrong {
                self.error(
                    Diagnostic::at(
                        value,
                        format!("the history value {} for {year} of \"{id}\" is impossible: {why}", shown(v)),
                    )
                    .help("check the number and its unit against the indicator's unit"),
                );
                continue;
            }
            if year == self.base_year {
                match base {
                    Base::Known { value: b, .. } if (v - b).abs() > 1e-9 * b.abs().max(1.0) => {
                        self.error(
                            Diagnostic::at(
                                value,
                                format!(
                                    "history gives {} for the base year {year} of \"{id}\", but base = {}",
                                    shown(v),
                                    shown(*b)
                                ),
                            )
                            .help(format!(
                                "the base-year value is `base`; make the two agree or drop {year} from history"
                            )),
                        );
                        continue;
                    }
                    Base::Uncertain { .. } => {
                        self.error(
                            Diagnostic::at(
                                value,
                                format!("history gives a value for the base year {year} of \"{id}\", whose base is uncertain"),
                            )
                            .help(format!(
                                "a statistic for {year} belongs in base = ... with source = \"...\" (replacing base_dist); otherwise drop {year} from history"
                            )),
                        );
                        continue;
                    }
                    _ => {}
                }
            }
            out.insert(year, v);
        }
        (out, source)
    }

    /// The distribution of each projection year: the default, overridden year by year.
    fn yearly(
        &mut self,
        id: &LocStr,
        default: &Option<Loc<RawDist>>,
        by_year: &Option<ByYear>,
        use_: Use,
        field: &str,
        what: &str,
    ) -> Option<Vec<Marginal>> {
        let n = (self.end_year - self.base_year) as usize;
        let mut out: Vec<Option<Marginal>> = vec![None; n];
        let default = match default {
            Some(d) => Some(self.marginal(d, use_, what)?),
            None => None,
        };
        if let Some(by_year) = by_year {
            for (key, dist) in &by_year.value {
                let Ok(year) = key.trim().parse::<i32>() else {
                    self.error(
                        Diagnostic::at(dist, format!("\"{key}\" in {field}_by_year is not a year"))
                            .help(format!("write {field}_by_year = {{ 2022 = {{ dist = ... }} }}")),
                    );
                    continue;
                };
                if year <= self.base_year || year > self.end_year {
                    self.error(
                        Diagnostic::at(
                            dist,
                            format!(
                                "year {year} is outside the projection years {}–{}",
                                self.base_year + 1,
                                self.end_year
                            ),
                        )
                        .help("per-year overrides apply to the years after base_year up to end_year"),
                    );
                    continue;
                }
                let marginal = self.marginal(dist, use_, &format!("{what} in {year}"))?;
                out[(year - self.base_year - 1) as usize] = Some(marginal);
            }
        }
        let mut years = Vec::with_capacity(n);
        for (k, m) in out.into_iter().enumerate() {
            match m.or(default) {
                Some(m) => years.push(m),
                None => {
                    self.error(
                        Diagnostic::at(
                            id,
                            format!(
                                "indicator \"{}\" has no {field} distribution for {}",
                                id.value,
                                self.base_year + 1 + k as i32
                            ),
                        )
                        .help(format!("add {field} = {{ dist = ... }} (used for every year without an override)")),
                    );
                    return None;
                }
            }
        }
        Some(years)
    }

    /// Simple compounding cannot take a growth of −100% or less.
    fn check_growth_floor(&mut self, default: &Option<Loc<RawDist>>, by_year: &Option<ByYear>, growth: &[Marginal]) {
        for (k, m) in growth.iter().enumerate() {
            let year = self.base_year + 1 + k as i32;
            if let Err(refusal) = validate::growth_floor(m, year) {
                let loc = by_year
                    .as_ref()
                    .and_then(|b| b.value.get(&year.to_string()).map(|d| d.span.clone()).map(|s| (b.file, s)))
                    .or_else(|| default.as_ref().map(|d| (d.file, d.span.clone())));
                if let Some((file, span)) = loc {
                    let mut d = Diagnostic::new(file, span, refusal.message);
                    if let Some(help) = refusal.help {
                        d = d.help(help);
                    }
                    self.error(d);
                }
                return;
            }
        }
    }

    fn marginal(&mut self, d: &Loc<RawDist>, use_: Use, what: &str) -> Option<Marginal> {
        // Every field named, so that a new field of `RawDist` does not compile until it is read.
        let RawDist { dist, mean, sd, df, min, mode, max, skew, sd_low, sd_high, value, dispersion } = &d.value;
        let families = family_names(use_.families());
        let Some(family) = dist else {
            self.error(
                Diagnostic::at(d, format!("the distribution for {what} has no `dist`"))
                    .help(format!("add dist = one of {}", families.join(", "))),
            );
            return None;
        };
        let name = family.value.as_str();
        let parsed = Family::parse(name);
        let Some(parsed) = parsed.filter(|f| use_.families().contains(f)) else {
            let message = if parsed.is_some() {
                format!("a {name} distribution cannot be used for {what}")
            } else {
                format!("unknown distribution \"{name}\"")
            };
            let hint = did_you_mean(name, families.iter().copied())
                .unwrap_or_else(|| format!("use one of {}", families.join(", ")));
            self.error(Diagnostic::at(family, message).help(hint));
            return None;
        };
        let params: [(&str, &Option<Loc<f64>>); 11] = [
            ("mean", mean),
            ("sd", sd),
            ("df", df),
            ("min", min),
            ("mode", mode),
            ("max", max),
            ("skew", skew),
            ("sd_low", sd_low),
            ("sd_high", sd_high),
            ("value", value),
            ("dispersion", dispersion),
        ];
        let allowed: &[&str] = parsed.parameters();
        let mut ok = true;
        for (p, v) in params {
            if let Some(v) = v {
                if !allowed.contains(&p) {
                    self.error(
                        Diagnostic::at(v, format!("`{p}` is not a parameter of a {name} distribution"))
                            .help(format!("{name} takes {}", allowed.join(", "))),
                    );
                    ok = false;
                } else if !v.value.is_finite() {
                    self.error(Diagnostic::at(v, format!("`{p}` must be a finite number")));
                    ok = false;
                }
            }
        }
        let get = |p: &str| params.iter().find(|(n, _)| *n == p).and_then(|(_, v)| v.as_ref().map(|v| v.value));
        let mut need = |b: &mut Self, p: &str| -> f64 {
            match get(p) {
                Some(v) => v,
                None => {
                    b.error(
                        Diagnostic::at(d, format!("the {name} distribution for {what} needs `{p}`"))
                            .help(format!("{name} takes {}", allowed.join(", "))),
                    );
                    ok = false;
                    f64::NAN
                }
            }
        };
        let built: Result<Marginal, String> = match parsed {
            Family::Normal => Ok(Marginal::Normal { mean: need(self, "mean"), sd: need(self, "sd") }),
            Family::StudentT => {
                let (mean, sd, df) = (need(self, "mean"), need(self, "sd"), need(self, "df"));
                if ok { Marginal::student_t_from_sd(mean, sd, df) } else { Ok(Marginal::Fixed { value: 0.0 }) }
            }
            Family::Triangular => {
                Ok(Marginal::Triangular { min: need(self, "min"), mode: need(self, "mode"), max: need(self, "max") })
            }
            Family::Pert => {
                Ok(Marginal::Pert { min: need(self, "min"), mode: need(self, "mode"), max: need(self, "max") })
            }
            Family::Uniform => Ok(Marginal::Uniform { min: need(self, "min"), max: need(self, "max") }),
            Family::SplitNormal => {
                let mode = need(self, "mode");
                match (get("sd"), get("skew"), get("sd_low"), get("sd_high")) {
                    (Some(sd), Some(skew), None, None) => Marginal::split_normal_from_skew(mode, sd, skew),
                    (None, None, Some(low), Some(high)) => {
                        Ok(Marginal::SplitNormal { mode, sd_low: low, sd_high: high })
                    }
                    _ => {
                        self.error(
                            Diagnostic::at(d, format!("the split_normal distribution for {what} needs either sd and skew, or sd_low and sd_high"))
                                .help("e.g. { dist = \"split_normal\", mode = 5.5, sd = 1.2, skew = -0.3 } (negative skew = downside risk)"),
                        );
                        ok = false;
                        Ok(Marginal::Fixed { value: 0.0 })
                    }
                }
            }
            Family::Fixed => Ok(Marginal::Fixed { value: need(self, "value") }),
            Family::Poisson => Ok(Marginal::Poisson { mean: need(self, "mean") }),
            Family::NegativeBinomial => {
                Ok(Marginal::NegativeBinomial { mean: need(self, "mean"), dispersion: need(self, "dispersion") })
            }
        };
        if !ok {
            return None;
        }
        let marginal = match built {
            Ok(m) => m,
            Err(message) => {
                self.error(Diagnostic::at(d, format!("{what}: {message}")));
                return None;
            }
        };
        if let Err(refusal) = validate::marginal(&marginal, use_, what) {
            self.refuse(d, refusal);
            return None;
        }
        Some(marginal)
    }

    /// Compile every derived expression and order them so each comes after what it reads.
    fn derived(
        &mut self,
        indicators: &mut [Indicator],
        raw: &[Loc<RawIndicator>],
        ids: &HashMap<String, usize>,
        groups: &BTreeMap<String, Vec<String>>,
    ) -> Vec<usize> {
        let broken = self.broken.clone();
        let resolve = |name: &str| -> Resolved {
            if let Some(&i) = ids.get(name) {
                return Resolved::Scalar(i);
            }
            if let Some((group, rest)) = name.split_once('.')
                && let Some(members) = groups.get(group)
            {
                let mut items = Vec::with_capacity(members.len());
                for m in members {
                    let full = format!("{m}.{rest}");
                    match ids.get(&full) {
                        Some(&i) => items.push(i),
                        None => return Resolved::MissingMember(full),
                    }
                }
                return Resolved::List(items);
            }
            if broken.contains(name) {
                return Resolved::Broken;
            }
            Resolved::Unknown(did_you_mean(name, ids.keys().map(String::as_str)))
        };
        let mut compiled_ok = vec![true; indicators.len()];
        for (i, item) in raw.iter().enumerate() {
            let Some(expr_src) = &item.value.expr else { continue };
            if !matches!(indicators[i].process, Process::Derived { .. }) {
                continue;
            }
            match Expr::compile(&expr_src.value, &resolve) {
                Ok(expr) => {
                    if expr.reads().contains(&i) || expr.base_reads().contains(&i) {
                        self.error(
                            Diagnostic::at(expr_src, format!("\"{}\" is computed from itself", indicators[i].id))
                                .help("a derived indicator reads other indicators of the same year"),
                        );
                        compiled_ok[i] = false;
                    }
                    indicators[i].process = Process::Derived { expr };
                }
                Err(e) if e.follow_up => compiled_ok[i] = false,
                Err(e) => {
                    let offset = string_content_offset(self.sources.text(expr_src.file), expr_src.span.start);
                    let span = expr_src.span.start + offset + e.span.start..expr_src.span.start + offset + e.span.end;
                    self.error(
                        Diagnostic::new(
                            expr_src.file,
                            span,
                            format!("in the expression of \"{}\": {}", indicators[i].id, e.message),
                        )
                        .maybe_help(e.help),
                    );
                    compiled_ok[i] = false;
                }
            }
        }
        // Depth-first topological order over derived indicators, reporting the first cycle.
        let n = indicators.len();
        let mut state = vec![0u8; n]; // 0 new, 1 on stack, 2 done
        let mut order = Vec::new();
        let mut cycle_reported = false;
        for start in 0..n {
            if !matches!(indicators[start].process, Process::Derived { .. }) || state[start] != 0 || !compiled_ok[start]
            {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let reads: Vec<usize> = match &indicators[node].process {
                    Process::Derived { expr } => expr.reads().iter().chain(expr.base_reads()).copied().collect(),
                    _ => Vec::new(),
                };
                if *next < reads.len() {
                    let child = reads[*next];
                    *next += 1;
                    if !matches!(indicators[child].process, Process::Derived { .. }) || child == node {
                        continue;
                    }
                    match state[child] {
                        0 => {
                            state[child] = 1;
                            stack.push((child, 0));
                        }
                        1 if !cycle_reported => {
                            let from = stack.iter().position(|(k, _)| *k == child).unwrap_or(0);
                            let mut names: Vec<&str> =
                                stack[from..].iter().map(|(k, _)| indicators[*k].id.as_str()).collect();
                            names.push(indicators[child].id.as_str());
                            if let Some(expr) = &raw[child].value.expr {
                                self.error(
                                    Diagnostic::at(expr, format!("derived indicators form a cycle: {}", names.join(" → ")))
                                        .help("each derived indicator must be computable from indicators that do not depend on it"),
                                );
                            }
                            cycle_reported = true;
                        }
                        _ => {}
                    }
                } else {
                    state[node] = 2;
                    order.push(node);
                    stack.pop();
                }
            }
        }
        order
    }

    fn correlations(
        &mut self,
        raw: &[Loc<crate::scenario::raw::RawCorrelation>],
        indicators: &[Indicator],
        ids: &HashMap<String, usize>,
        stochastic: &[usize],
        repair: bool,
    ) -> (Option<Vec<f64>>, Option<Vec<f64>>, Option<CorrelationRepair>) {
        if raw.is_empty() {
            return (None, None, None);
        }
        let position: HashMap<usize, usize> = stochastic.iter().enumerate().map(|(k, &i)| (i, k)).collect();
        let mut matrix = CorrelationMatrix::identity(stochastic.len());
        let mut defined_at: HashMap<(usize, usize), usize> = HashMap::new();
        for entry in raw {
            let c = &entry.value;
            let (list, is_group) = match (&c.between, &c.group) {
                (Some(l), None) => (l, false),
                (None, Some(l)) => (l, true),
                _ => {
                    self.error(
                        Diagnostic::at(
                            entry,
                            "a [[correlation]] needs either `between` (two ids) or `group` (several ids)",
                        )
                        .help("e.g. between = [\"a.gdp_real\", \"b.gdp_real\"] with rho = 0.6"),
                    );
                    continue;
                }
            };
            let Some(rho) = &c.rho else {
                self.error(
                    Diagnostic::at(entry, "this [[correlation]] has no rho")
                        .help("add rho = a number between -1 and 1"),
                );
                continue;
            };
            if !(rho.value.is_finite() && (-1.0..=1.0).contains(&rho.value)) {
                self.error(Diagnostic::at(
                    rho,
                    format!("rho must lie between -1 and 1 (got {})", crate::numbers::shown(rho.value)),
                ));
                continue;
            }
            if !is_group && list.value.len() != 2 {
                self.error(
                    Diagnostic::at(list, format!("`between` takes exactly two ids (got {})", list.value.len()))
                        .help("use `group` for several indicators that share one correlation"),
                );
                continue;
            }
            if is_group && list.value.len() < 2 {
                self.error(Diagnostic::at(list, "a correlation group needs at least two ids"));
                continue;
            }
            let mut members = Vec::new();
            for name in &list.value {
                match ids.get(&name.value) {
                    Some(i) => match position.get(i) {
                        Some(&k) => members.push(k),
                        None => self.error(
                            Diagnostic::at(
                                name,
                                format!("\"{}\" is derived and has no shock of its own to correlate", name.value),
                            )
                            .help("correlate the indicators it is computed from"),
                        ),
                    },
                    None if self.broken.contains(&name.value) => {}
                    None => self.error(
                        Diagnostic::at(name, format!("unknown indicator \"{}\"", name.value))
                            .maybe_help(did_you_mean(&name.value, ids.keys().map(String::as_str))),
                    ),
                }
            }
            for (a, &i) in members.iter().enumerate() {
                for &j in &members[a + 1..] {
                    if i == j {
                        self.error(Diagnostic::at(list, "an indicator is listed twice in this correlation"));
                        continue;
                    }
                    matrix.set(i, j, rho.value);
                    defined_at.insert((i.min(j), i.max(j)), self.line_of(rho));
                }
            }
        }
        match matrix.cholesky() {
            Ok(l) => (Some(l), Some(matrix.as_slice().to_vec()), None),
            Err(_) if repair => {
                let repaired = matrix.nearest_valid();
                let (i, j) = repaired.max_change_at;
                let name = |k: usize| indicators[stochastic[k]].id.clone();
                let report = CorrelationRepair {
                    max_abs_change: repaired.max_abs_change,
                    max_change_between: (name(i), name(j)),
                    frobenius_change: repaired.frobenius_change,
                };
                match repaired.matrix.cholesky() {
                    Ok(l) => (Some(l), Some(repaired.matrix.as_slice().to_vec()), Some(report)),
                    Err(_) => {
                        self.error(Diagnostic::at(&raw[0], "the repaired correlation matrix is still not valid"));
                        (None, None, None)
                    }
                }
            }
            Err(_) => {
                let diagnosis = matrix.diagnose();
                let name = |k: usize| indicators[stochastic[k]].id.as_str();
                let mut lines = Vec::new();
                for &(i, j, rho, _) in diagnosis.offending.iter().take(4) {
                    let line = defined_at.get(&(i.min(j), i.max(j))).copied().unwrap_or(0);
                    lines.push(format!("{} ~ {} = {rho} (line {line})", name(i), name(j)));
                }
                self.error(
                    Diagnostic::at(&raw[0], format!(
                        "the correlations do not form a valid correlation matrix (smallest eigenvalue {:.4}); the entries most responsible: {}",
                        diagnosis.min_eigenvalue,
                        lines.join("; ")
                    ))
                    .help("these correlations contradict each other; change them, or set repair_correlations = true in [scenario] (or pass --repair-correlations) to use the nearest valid matrix"),
                );
                (None, None, None)
            }
        }
    }

    fn targets(
        &mut self,
        raw: &[Loc<RawTarget>],
        indicators: &[Indicator],
        ids: &HashMap<String, usize>,
    ) -> Vec<Target> {
        let mut out = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for item in raw {
            let r = &item.value;
            if let Some(line) = seen.get(&r.id.value) {
                self.error(
                    Diagnostic::at(&r.id, format!("target \"{}\" is defined twice", r.id.value))
                        .help(format!("the first definition is on line {line}")),
                );
                continue;
            }
            seen.insert(r.id.value.clone(), self.line_of(&r.id));
            if r.id.value.trim().is_empty() {
                self.error(Diagnostic::at(&r.id, "a target id cannot be empty").help("e.g. id = \"T01\""));
                continue;
            }
            if r.id.value.len() > MAX_ID_BYTES || r.id.value.chars().any(char::is_control) {
                self.error(
                    Diagnostic::at(
                        &r.id,
                        format!(
                            "a target id must be at most {MAX_ID_BYTES} bytes without control characters (this one has {})",
                            r.id.value.len()
                        ),
                    )
                    .help("ids name the chart files of each target: keep them short, e.g. id = \"T01\", and put the wording in label_zh"),
                );
                continue;
            }
            let id = r.id.value.as_str();
            let condition = match &r.all {
                Some(all) => self.joint(r, all, indicators, ids),
                None => {
                    let parts = ConditionParts {
                        metric: r.metric_part(),
                        versus: &r.versus,
                        comparator: &r.comparator,
                        threshold: &r.threshold,
                        tolerance: &r.tolerance,
                    };
                    self.condition(&parts, item, &r.id, indicators, ids, id)
                }
            };
            let Some(Condition { metric, versus, test, unit: natural }) = condition else { continue };
            let unit = r.unit.as_ref().map(|u| u.value.clone()).unwrap_or(natural);
            let label_en = r.label_en.as_ref().map(|l| l.value.clone()).unwrap_or_else(|| r.id.value.clone());
            out.push(Target {
                id: r.id.value.clone(),
                label_zh: r.label_zh.as_ref().map(|l| l.value.clone()).unwrap_or_else(|| label_en.clone()),
                label_en,
                section: r.section.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                region: r.region.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                wording: r.wording.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                note: r.note.as_ref().map(|s| s.value.clone()).unwrap_or_default(),
                unit,
                metric,
                versus,
                comparator: test.comparator,
                threshold: test.threshold,
                range: test.range,
            });
        }
        out
    }

    /// A joint target (`all = [...]`): its conditions, and the test "all of them hold", i.e. the
    /// number of conditions met `>= n`.
    fn joint(
        &mut self,
        r: &RawTarget,
        all: &Loc<Vec<Loc<RawCondition>>>,
        indicators: &[Indicator],
        ids: &HashMap<String, usize>,
    ) -> Option<Condition> {
        let id = r.id.value.as_str();
        let stray: [(&str, Option<Place>); 12] = [
            ("metric", r.metric.as_ref().map(place)),
            ("indicator", r.indicator.as_ref().map(place)),
            ("year", r.year.as_ref().map(place)),
            ("from", r.from.as_ref().map(place)),
            ("to", r.to.as_ref().map(place)),
            ("numerator", r.numerator.as_ref().map(place)),
            ("denominator", r.denominator.as_ref().map(place)),
            ("competitors", r.competitors.as_ref().map(place)),
            ("versus", r.versus.as_ref().map(place)),
            ("comparator", r.comparator.as_ref().map(place)),
            ("threshold", r.threshold.as_ref().map(place)),
            ("tolerance", r.tolerance.as_ref().map(place)),
        ];
        let mut ok = true;
        for (field, at) in stray {
            if let Some((file, span)) = at {
                self.error(
                    Diagnostic::new(file, span, format!("`{field}` cannot stand beside `all` in target \"{id}\""))
                        .help("a joint target is hit when every condition in `all` holds: put the field inside a condition"),
                );
                ok = false;
            }
        }
        if all.value.len() < 2 {
            self.error(
                Diagnostic::at(all, format!("joint target \"{id}\" needs at least two conditions"))
                    .help("write a single condition as an ordinary target (metric, comparator, threshold)"),
            );
            ok = false;
        }
        let mut conditions = Vec::new();
        for c in &all.value {
            let parts = ConditionParts {
                metric: c.value.metric_part(),
                versus: &c.value.versus,
                comparator: &c.value.comparator,
                threshold: &c.value.threshold,
                tolerance: &c.value.tolerance,
            };
            match self.condition(&parts, c, c, indicators, ids, id) {
                Some(condition) => conditions.push(condition),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let n = conditions.len() as f64;
        Some(Condition {
            metric: Metric::AllOf(conditions),
            versus: None,
            test: Test { comparator: Comparator::Ge, threshold: n, range: None },
            unit: String::new(),
        })
    }

    /// One test of a metric (a target's, or a joint target's condition): the metric, `versus`,
    /// the comparator and threshold checked against each other, the natural unit.
    fn condition<T, U>(
        &mut self,
        r: &ConditionParts,
        whole: &Loc<T>,
        id_at: &Loc<U>,
        indicators: &[Indicator],
        ids: &HashMap<String, usize>,
        id: &str,
    ) -> Option<Condition> {
        let metric = self.metric(&r.metric, whole, indicators, ids, id);
        let versus = r.versus.as_ref().map(|v| self.metric(&v.value, v, indicators, ids, id));
        let comparator = match r.comparator {
            Some(c) => match Comparator::parse(c.value.trim()) {
                Some(c) => Some(c),
                None => {
                    self.error(
                        Diagnostic::at(c, format!("unknown comparator \"{}\"", c.value))
                            .help(format!("use one of {}", Comparator::NAMES.join(", "))),
                    );
                    None
                }
            },
            None => {
                self.error(
                    Diagnostic::at(id_at, format!("target \"{id}\" has no comparator"))
                        .help("add comparator = \">=\" (or >, <=, <, ==, between, about)"),
                );
                None
            }
        };
        let Some(threshold_at) = r.threshold else {
            self.error(
                Diagnostic::at(id_at, format!("target \"{id}\" has no threshold"))
                    .help("add threshold = the number the plan names (use 0 for \"above\" comparisons with versus)"),
            );
            return None;
        };
        let (metric, comparator) = (metric?, comparator?);
        let versus = match versus {
            Some(Some(v)) => Some(v),
            Some(None) => return None,
            None => None,
        };
        let natural = metric_unit(&metric, indicators);
        // The numbers of the threshold, each converted into the tested quantity's unit.
        let written: Vec<&RawThreshold> = match &threshold_at.value {
            RawThreshold::Pair(items) => items.iter().collect(),
            single => vec![single],
        };
        let mut numbers = Vec::new();
        for w in &written {
            numbers.push(self.threshold_number(w, threshold_at, &metric, versus.is_some(), &natural, indicators)?);
        }
        let test = self.test(comparator, &numbers, r, threshold_at, &metric, &versus, indicators)?;
        if let (Metric::Share { .. }, None) = (&metric, &versus)
            && let Some(value) = numbers.iter().copied().find(|v| !(0.0..=100.0).contains(v))
        {
            self.error(
                Diagnostic::at(
                    threshold_at,
                    format!("a share is a percentage between 0 and 100 (got {})", crate::numbers::shown(value)),
                )
                .help("write 30 for 30%"),
            );
            return None;
        }
        if let Some(v) = &versus
            && (v.is_every_year() || metric.is_every_year())
        {
            let span = |m: &Metric| match *m {
                Metric::GrowthEveryYear { from, to, .. } | Metric::ChangeEveryYear { from, to, .. } => Some((from, to)),
                Metric::ValueEveryYear { from, to, .. } => Some((from, to)),
                _ => None,
            };
            // Value-every-year lists the years from..=to, the others from+1..=to.
            let years = |m: &Metric| match *m {
                Metric::ValueEveryYear { from, to, .. } => span(m).map(|_| (from, to)),
                _ => span(m).map(|(from, to)| (from + 1, to)),
            };
            let same_span = span(&metric).is_some() && years(&metric) == years(v);
            if !same_span && let Some(vl) = r.versus {
                self.error(
                    Diagnostic::at(vl, "an every-year comparison needs an every-year metric over the same years on both sides")
                        .help("compare growth_every_year with growth_every_year over the same from/to, or use cagr on both sides"),
                );
                return None;
            }
        }
        Some(Condition { metric, versus, test, unit: natural })
    }

    /// One number of a threshold in the tested quantity's unit: a plain number, a number with a
    /// unit (converted), or the name of a class of the indicator's class scale.
    fn threshold_number(
        &mut self,
        written: &RawThreshold,
        at: &Loc<RawThreshold>,
        metric: &Metric,
        has_versus: bool,
        natural: &str,
        indicators: &[Indicator],
    ) -> Option<f64> {
        match written {
            RawThreshold::Number(v) if v.is_finite() => Some(*v),
            RawThreshold::Number(_) => {
                self.error(Diagnostic::at(at, "threshold must be a finite number"));
                None
            }
            RawThreshold::Pair(_) => {
                self.error(
                    Diagnostic::at(at, "a threshold list holds numbers, not lists")
                        .help("write threshold = [low, high] for comparator = \"between\""),
                );
                None
            }
            RawThreshold::Text(text) => {
                // A class name of the indicator's ordered scale (水质Ⅱ类 → 2).
                if let (Metric::Value { indicator, .. } | Metric::ValueEveryYear { indicator, .. }, false) =
                    (metric, has_versus)
                    && let Some(classes) = self.classes.get(&indicators[*indicator].id)
                {
                    let name = text.trim();
                    return match classes.iter().position(|c| c == name) {
                        Some(k) => Some((k + 1) as f64),
                        None => {
                            self.error(
                                Diagnostic::at(
                                    at,
                                    format!("\"{name}\" is not a class of indicator \"{}\"", indicators[*indicator].id),
                                )
                                .help(format!("its classes, best first: {}", classes.join(", "))),
                            );
                            None
                        }
                    };
                }
                match units::parse_quantity(text) {
                    Ok(q) if q.unit.is_empty() => Some(q.value),
                    Ok(q) => self.convert_threshold(q.value, &q.unit, natural, at, metric, indicators),
                    Err(message) => {
                        self.error(Diagnostic::at(at, format!("threshold {message}")).help(
                            "write a number in the unit of the tested quantity (25000), or a number and a unit in quotes (\"2.5 万亿元\")",
                        ));
                        None
                    }
                }
            }
        }
    }

    /// The test a comparator and its threshold numbers make, checked: one number for one-sided
    /// tests, `==` and `about`; two for `between`; `==` only on whole-number quantities; two-sided
    /// tests not on every-year metrics; `tolerance` only with `about`.
    #[allow(clippy::too_many_arguments)]
    fn test(
        &mut self,
        comparator: Comparator,
        numbers: &[f64],
        r: &ConditionParts,
        at: &Loc<RawThreshold>,
        metric: &Metric,
        versus: &Option<Metric>,
        indicators: &[Indicator],
    ) -> Option<Test> {
        if let Some(t) = r.tolerance
            && comparator != Comparator::About
        {
            self.error(
                Diagnostic::at(t, "`tolerance` is only used with comparator = \"about\"")
                    .help("remove it, or write comparator = \"about\""),
            );
            return None;
        }
        let expected = if comparator == Comparator::Between { 2 } else { 1 };
        if numbers.len() != expected {
            let help = if comparator == Comparator::Between {
                "write threshold = [low, high], e.g. [1, 2] for 1—2个 (both ends included)"
            } else {
                "write one number; a list [low, high] goes with comparator = \"between\""
            };
            self.error(
                Diagnostic::at(
                    at,
                    format!(
                        "comparator \"{}\" takes {} threshold number{}, not {}",
                        comparator.ascii(),
                        expected,
                        if expected == 1 { "" } else { "s" },
                        numbers.len()
                    ),
                )
                .help(help),
            );
            return None;
        }
        if !comparator.is_one_sided() && (metric.is_every_year() || versus.as_ref().is_some_and(Metric::is_every_year))
        {
            self.error(
                Diagnostic::at(
                    at,
                    format!(
                        "comparator \"{}\" cannot test an every-year metric (each year would need its own interval)",
                        comparator.ascii()
                    ),
                )
                .help("write a joint target: all = [ { ..., comparator = \">=\", threshold = low }, { ..., comparator = \"<=\", threshold = high } ]"),
            );
            return None;
        }
        let threshold = numbers[0];
        let range = match comparator {
            Comparator::Ge | Comparator::Gt | Comparator::Le | Comparator::Lt => None,
            Comparator::Eq => {
                let integer = metric.integer_valued_among(indicators)
                    && versus.as_ref().is_none_or(|v| v.integer_valued_among(indicators));
                if !integer {
                    let at = r.comparator.as_ref().map_or_else(|| at.with(()), |c| c.with(()));
                    self.error(
                        Diagnostic::at(
                            &at,
                            format!(
                                "comparator \"==\" needs a whole-number quantity (a count, a rank, a change of a count), but {} is not one",
                                metric.name()
                            ),
                        )
                        .help("for a continuous quantity write comparator = \"about\" (with a tolerance) or \"between\""),
                    );
                    return None;
                }
                if threshold.fract() != 0.0 {
                    self.error(
                        Diagnostic::at(at, "comparator \"==\" needs a whole-number threshold")
                            .help("a count or rank is never equal to a fraction"),
                    );
                    return None;
                }
                Some([threshold, threshold])
            }
            Comparator::Between => {
                let (low, high) = (numbers[0], numbers[1]);
                if low > high {
                    self.error(Diagnostic::at(at, "threshold = [low, high] needs low ≤ high").help(format!(
                        "write [{}, {}]",
                        crate::numbers::shown(high),
                        crate::numbers::shown(low)
                    )));
                    return None;
                }
                Some([low, high])
            }
            Comparator::About => {
                let tolerance = match r.tolerance {
                    Some(t) if t.value.is_finite() && t.value > 0.0 => t.value,
                    Some(t) => {
                        self.error(
                            Diagnostic::at(t, format!("tolerance must be a positive number (got {})", t.value))
                                .help("e.g. tolerance = 0.5 for ±0.5 percentage point"),
                        );
                        return None;
                    }
                    None => match about_tolerance(metric, versus.as_ref(), threshold, indicators) {
                        Some(t) => t,
                        None => {
                            self.error(
                                Diagnostic::at(at, "\"about\" 0 has no default tolerance (5% of 0 is 0)")
                                    .help("write tolerance = the half-width in the unit of the tested quantity"),
                            );
                            return None;
                        }
                    },
                };
                Some([threshold - tolerance, threshold + tolerance])
            }
        };
        Some(Test { comparator, threshold, range })
    }

    /// `value` written in `written` (a unit) as a number in `natural`, the unit of the tested
    /// quantity; a located error when the units measure different things.
    fn convert_threshold(
        &mut self,
        value: f64,
        written: &str,
        natural: &str,
        at: &Loc<RawThreshold>,
        metric: &Metric,
        indicators: &[Indicator],
    ) -> Option<f64> {
        let from = Unit::parse(written);
        let to = Unit::parse(natural);
        let what = match metric {
            Metric::Value { indicator, .. }
            | Metric::ValueEveryYear { indicator, .. }
            | Metric::Sum { indicator, .. }
            | Metric::Change { indicator, .. }
            | Metric::ChangeEveryYear { indicator, .. } => {
                format!("indicator \"{}\"", indicators[*indicator].id)
            }
            _ => format!("the {} metric", metric.name()),
        };
        if natural.trim().is_empty() {
            self.error(
                Diagnostic::at(
                    at,
                    format!("the threshold is written in {written}, but {what} has no unit to convert it into"),
                )
                .help("give the indicator its unit (unit = \"亿元\"), or write the threshold as a plain number"),
            );
            return None;
        }
        // A growth rate's threshold may be written as a plain percentage ("6.5%").
        let growth_in_percent = from.dimension == Dimension::Percent && to.dimension == Dimension::GrowthRate;
        match from.convert(value, &to) {
            Some(v) => Some(v),
            None if growth_in_percent => Some(value),
            None => {
                let same = to.same_kind();
                let help = if same.is_empty() {
                    format!("write the threshold as a plain number in {natural}, or with the unit \"{natural}\"")
                } else {
                    format!(
                        "write the threshold in a unit of the same kind ({}), or as a plain number in {natural}",
                        same.join(", ")
                    )
                };
                self.error(
                    Diagnostic::at(
                        at,
                        format!("the threshold is in {written}, which cannot be converted into {natural}, the unit of {what}"),
                    )
                    .help(help),
                );
                None
            }
        }
    }

    fn metric<T>(
        &mut self,
        r: &RawMetric,
        whole: &Loc<T>,
        indicators: &[Indicator],
        ids: &HashMap<String, usize>,
        target: &str,
    ) -> Option<Metric> {
        let names = || MetricName::ALL.map(MetricName::as_str);
        let Some(name) = &r.metric else {
            self.error(
                Diagnostic::at(whole, format!("target \"{target}\" has no metric"))
                    .help(format!("add metric = one of {}", names().join(", "))),
            );
            return None;
        };
        let m = name.value.as_str();
        let Some(kind) = MetricName::parse(m) else {
            let hint = did_you_mean(m, names()).unwrap_or_else(|| format!("metrics: {}", names().join(", ")));
            self.error(Diagnostic::at(name, format!("unknown metric \"{m}\"")).help(hint));
            return None;
        };
        let allowed = kind.fields();
        let present: [(&str, Option<Place>); 7] = [
            ("indicator", r.indicator.as_ref().map(place)),
            ("year", r.year.as_ref().map(place)),
            ("from", r.from.as_ref().map(place)),
            ("to", r.to.as_ref().map(place)),
            ("numerator", r.numerator.as_ref().map(place)),
            ("denominator", r.denominator.as_ref().map(place)),
            ("competitors", r.competitors.as_ref().map(place)),
        ];
        let mut ok = true;
        for (field, loc) in present {
            if let Some((file, span)) = loc
                && !allowed.contains(&field)
            {
                self.error(
                    Diagnostic::new(file, span, format!("`{field}` is not used by metric \"{m}\""))
                        .help(format!("metric \"{m}\" takes {}", allowed.join(", "))),
                );
                ok = false;
            }
        }
        let indicator = |b: &mut Self, field: &str, loc: &Option<LocStr>| -> Option<usize> {
            match loc {
                Some(name) => match ids.get(&name.value) {
                    Some(&i) => Some(i),
                    None if b.broken.contains(&name.value) => None,
                    None => {
                        b.error(
                            Diagnostic::at(name, format!("unknown indicator \"{}\"", name.value))
                                .maybe_help(did_you_mean(&name.value, ids.keys().map(String::as_str))),
                        );
                        None
                    }
                },
                None => {
                    b.error(
                        Diagnostic::at(whole, format!("metric \"{m}\" of target \"{target}\" needs `{field}`"))
                            .help(format!("metric \"{m}\" takes {}", allowed.join(", "))),
                    );
                    None
                }
            }
        };
        let year = |b: &mut Self, loc: &Option<Loc<i64>>, default: i32, earliest: i32| -> Option<usize> {
            let y = loc.as_ref().map_or(default as i64, |l| l.value);
            if y < earliest as i64 || y > b.end_year as i64 {
                if let Some(l) = loc {
                    b.error(
                        Diagnostic::at(
                            l,
                            format!("year {y} is outside the scenario's years {earliest}–{}", b.end_year),
                        )
                        .help(format!("use a year from {earliest} to end_year = {}", b.end_year)),
                    );
                }
                return None;
            }
            Some((y - b.base_year as i64) as usize)
        };
        let (base_year, end_year) = (self.base_year, self.end_year);
        let metric = match kind {
            MetricName::Value => {
                let i = indicator(self, "indicator", &r.indicator);
                let y = year(self, &r.year, end_year, base_year);
                Metric::Value { indicator: i?, year: y? }
            }
            MetricName::Share => {
                let n = indicator(self, "numerator", &r.numerator);
                let d = indicator(self, "denominator", &r.denominator);
                let y = year(self, &r.year, end_year, base_year);
                Metric::Share { numerator: n?, denominator: d?, year: y? }
            }
            MetricName::Rank => {
                let i = indicator(self, "indicator", &r.indicator);
                let y = year(self, &r.year, end_year, base_year);
                let mut competitors = Vec::new();
                match &r.competitors {
                    Some(list) if !list.value.is_empty() => {
                        for c in &list.value {
                            let k = indicator(self, "competitors", &Some(c.clone()));
                            if let (Some(k), Some(i)) = (k, i) {
                                if k == i {
                                    self.error(
                                        Diagnostic::at(c, "an indicator cannot be its own competitor")
                                            .help("list only the others it is ranked against"),
                                    );
                                    ok = false;
                                } else {
                                    competitors.push(k);
                                }
                            } else {
                                ok = false;
                            }
                        }
                    }
                    _ => {
                        self.error(
                            Diagnostic::at(whole, format!("metric \"rank\" of target \"{target}\" needs competitors"))
                                .help("add competitors = [ids of the indicators it is ranked against]"),
                        );
                        ok = false;
                    }
                }
                Metric::Rank { indicator: i?, year: y?, competitors }
            }
            MetricName::ValueEveryYear
            | MetricName::Cagr
            | MetricName::GrowthEveryYear
            | MetricName::CumulativeGrowth
            | MetricName::Change
            | MetricName::ChangeEveryYear
            | MetricName::Sum => {
                let i = indicator(self, "indicator", &r.indicator);
                // Growth or change may start in a published year before the base year (its value
                // read from the indicator's `history`); the other metrics read simulated years.
                let past = matches!(kind, MetricName::Cagr | MetricName::CumulativeGrowth | MetricName::Change)
                    && r.from.as_ref().is_some_and(|f| f.value < base_year as i64);
                let from = if past { Some(0) } else { year(self, &r.from, base_year, base_year) };
                let to = year(self, &r.to, end_year, base_year);
                let (i, from, to) = (i?, from?, to?);
                // value_every_year and sum may cover a single year; the others need two.
                let single_year_ok = matches!(kind, MetricName::ValueEveryYear | MetricName::Sum);
                if !past && (from > to || (from == to && !single_year_ok)) {
                    let loc = r.to.as_ref().or(r.from.as_ref());
                    let d = match loc {
                        Some(l) => Diagnostic::at(l, "`from` must be an earlier year than `to`"),
                        None => Diagnostic::at(whole, "`from` must be an earlier year than `to`"),
                    };
                    self.error(d.help(format!("e.g. from = {base_year}, to = {end_year}")));
                    return None;
                }
                if kind.is_growth()
                    && let Process::Rate { .. } = indicators[i].process
                {
                    let at = r.indicator.as_ref().map_or_else(|| whole.with(()), |l| l.with(()));
                    self.error(
                        Diagnostic::at(
                            &at,
                            format!(
                                "type mismatch: metric \"{m}\" is a growth rate, but \"{}\" is a rate/share in percent",
                                indicators[i].id
                            ),
                        )
                        .help("for a rate or share use metric \"change\" (percentage points) or \"value\""),
                    );
                    return None;
                }
                if past {
                    let from_at = r.from.as_ref().expect("a past start is written");
                    let past_year = from_at.value as i32;
                    let ind = &indicators[i];
                    let Some(&value) = ind.history.get(&past_year) else {
                        let have: Vec<String> = ind.history.keys().map(|y| y.to_string()).collect();
                        self.error(
                            Diagnostic::at(
                                from_at,
                                format!(
                                    "year {past_year} is before the base year {base_year}, and indicator \"{}\" has no published value for it in `history`",
                                    ind.id
                                ),
                            )
                            .help(if have.is_empty() {
                                format!(
                                    "add history = {{ source = \"...\", values = {{ {past_year} = ... }} }} to indicator \"{}\"",
                                    ind.id
                                )
                            } else {
                                format!("its history has {}; add {past_year} = ... to it", have.join(", "))
                            }),
                        );
                        return None;
                    };
                    let measure = match kind {
                        MetricName::Cagr => PastMeasure::Cagr,
                        MetricName::CumulativeGrowth => PastMeasure::CumulativeGrowth,
                        MetricName::Change => PastMeasure::Change,
                        MetricName::Value
                        | MetricName::ValueEveryYear
                        | MetricName::Share
                        | MetricName::GrowthEveryYear
                        | MetricName::ChangeEveryYear
                        | MetricName::Sum
                        | MetricName::Rank => unreachable!("only growth and change start before the base year"),
                    };
                    let years = (base_year - past_year) as usize + to;
                    Metric::SincePast { indicator: i, measure, past_year, past: value, to, years }
                } else {
                    match kind {
                        MetricName::ValueEveryYear => Metric::ValueEveryYear { indicator: i, from, to },
                        MetricName::Cagr => Metric::Cagr { indicator: i, from, to },
                        MetricName::GrowthEveryYear => Metric::GrowthEveryYear { indicator: i, from, to },
                        MetricName::CumulativeGrowth => Metric::CumulativeGrowth { indicator: i, from, to },
                        MetricName::Change => Metric::Change { indicator: i, from, to },
                        MetricName::ChangeEveryYear => Metric::ChangeEveryYear { indicator: i, from, to },
                        MetricName::Sum => Metric::Sum { indicator: i, from, to },
                        MetricName::Value | MetricName::Share | MetricName::Rank => {
                            unreachable!("handled by their own arms above")
                        }
                    }
                }
            }
        };
        ok.then_some(metric)
    }

    fn not_modelled(
        &mut self,
        raw: &[Loc<crate::scenario::raw::RawNotModelled>],
        targets: &[Loc<RawTarget>],
    ) -> Vec<NotModelled> {
        let mut out: Vec<NotModelled> = Vec::new();
        for item in raw {
            let r = &item.value;
            if out.iter().any(|m| m.id == r.id.value) {
                self.error(Diagnostic::at(&r.id, format!("not-modelled target \"{}\" is listed twice", r.id.value)));
                continue;
            }
            if targets.iter().any(|t| t.value.id.value == r.id.value) {
                self.error(
                    Diagnostic::at(&r.id, format!("\"{}\" is both a [[target]] and [[not_modelled]]", r.id.value))
                        .help("keep one of them"),
                );
                continue;
            }
            let reason = match &r.reason {
                Some(reason) if !reason.value.trim().is_empty() => reason.value.clone(),
                _ => {
                    self.error(
                        Diagnostic::at(&r.id, format!("not-modelled target \"{}\" gives no reason", r.id.value))
                            .help("add reason = \"why this target cannot be quantified\""),
                    );
                    continue;
                }
            };
            let label_en = r.label_en.as_ref().map(|l| l.value.clone()).unwrap_or_else(|| r.id.value.clone());
            out.push(NotModelled {
                id: r.id.value.clone(),
                label_zh: r.label_zh.as_ref().map(|l| l.value.clone()).unwrap_or_else(|| label_en.clone()),
                label_en,
                reason,
            });
        }
        out
    }
}

/// A file and byte range.
type Place = (usize, std::ops::Range<usize>);

fn place<T>(l: &Loc<T>) -> Place {
    (l.file, l.span.clone())
}

/// The fields of one test as written, in a target or in a condition of a joint target.
struct ConditionParts<'a> {
    metric: RawMetric,
    versus: &'a Option<Loc<RawMetric>>,
    comparator: &'a Option<LocStr>,
    threshold: &'a Option<Loc<RawThreshold>>,
    tolerance: &'a Option<Loc<f64>>,
}

/// Relative half-width of an `about` test of a level, a count or anything not in percent: ±5%.
pub const ABOUT_RELATIVE: f64 = 0.05;
/// Half-width of an `about` test of a quantity in percent (a rate, a share, a growth rate, or a
/// change of a rate in percentage points): ±0.5 percentage point.
pub const ABOUT_POINTS: f64 = 0.5;

/// The default tolerance of `about`: ±0.5 percentage point when the tested quantity is in percent
/// (plans round such targets to the half point: "6%左右" means 5.5–6.5), ±5% of the threshold
/// otherwise (a level "about 1 万亿元" is met within 9 500–10 500 亿元). `None` when the
/// relative rule gives zero (a threshold of 0).
fn about_tolerance(metric: &Metric, versus: Option<&Metric>, threshold: f64, indicators: &[Indicator]) -> Option<f64> {
    let rate = |i: usize| matches!(indicators[i].process, Process::Rate { .. });
    let in_percent = |m: &Metric| match m {
        Metric::Share { .. }
        | Metric::Cagr { .. }
        | Metric::GrowthEveryYear { .. }
        | Metric::CumulativeGrowth { .. }
        | Metric::SincePast { measure: PastMeasure::Cagr | PastMeasure::CumulativeGrowth, .. } => true,
        Metric::Value { indicator, .. }
        | Metric::ValueEveryYear { indicator, .. }
        | Metric::Change { indicator, .. }
        | Metric::ChangeEveryYear { indicator, .. }
        | Metric::SincePast { indicator, measure: PastMeasure::Change, .. } => rate(*indicator),
        Metric::Sum { .. } | Metric::Rank { .. } | Metric::AllOf(_) => false,
    };
    if in_percent(metric) && versus.is_none_or(in_percent) {
        return Some(ABOUT_POINTS);
    }
    let t = ABOUT_RELATIVE * threshold.abs();
    (t > 0.0).then_some(t)
}

/// Bytes between a TOML string value's start and its content (the quotes, and the newline that
/// directly follows an opening `"""`).
/// Longest indicator or target id accepted: ids name chart files (`histogram/<id>.png`), which
/// file systems limit to 255 bytes.
pub const MAX_ID_BYTES: usize = 120;

fn string_content_offset(text: &str, start: usize) -> usize {
    let rest = text.get(start..).unwrap_or("");
    for delimiter in ["\"\"\"", "'''"] {
        if let Some(after) = rest.strip_prefix(delimiter) {
            return 3 + if after.starts_with('\n') {
                1
            } else if after.starts_with("\r\n") {
                2
            } else {
                0
            };
        }
    }
    usize::from(rest.starts_with('"') || rest.starts_with('\''))
}

fn is_segment(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_id(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_segment)
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// FNV-1a, 64 bit: a stable hash of an indicator id, the key of its random streams.
pub fn fnv1a(s: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in s.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}
