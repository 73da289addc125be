//! From a target catalogue to a scenario skeleton (`feasim init`).
//!
//! One indicator per distinct quantity and region — a `level` for amounts and for the subjects
//! of growth targets, a `rate` for shares and rates in %, a `count` for things built or
//! certified — and one target per catalogue row, with the plan's wording as a comment. Every
//! number the plan does not give (a base value, a growth or change assumption) is written as the
//! placeholder `"TODO"` (see `scenario::placeholder`): `feasim check` lists them, `feasim run`
//! refuses the scenario until they are filled. Targets the format cannot test without more
//! modelling (a rank among competitors, growth relative to an aggregate) become `[[not_modelled]]`
//! entries saying what is missing.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::CatalogueRow;

/// The kind of indicator a target needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum IndicatorKind {
    Level,
    Rate,
    Count,
}

struct Indicator {
    id: String,
    label: String,
    region: String,
    unit: String,
    kind: IndicatorKind,
}

/// Words that end a growth subject (招商引资到位资金年均增长 → 招商引资到位资金).
const GROWTH_WORDS: &[&str] =
    &["年均增长", "年均增速", "年均", "增速", "增长", "下降", "降低", "累计", "每年新增", "新增"];

fn stem(indicator: &str, kind: &str) -> String {
    let mut s = indicator.trim().to_string();
    if matches!(kind, "growth" | "cumulative_growth" | "decline" | "count_per_year" | "relative") {
        loop {
            let before = s.clone();
            for w in GROWTH_WORDS {
                if let Some(t) = s.strip_suffix(w) {
                    s = t.to_string();
                }
            }
            if s == before {
                break;
            }
        }
    }
    if s.is_empty() { indicator.trim().to_string() } else { s }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn years(by_year: &str) -> (Option<i64>, Option<i64>) {
    match by_year.split_once('-') {
        Some((a, b)) => (a.trim().parse().ok(), b.trim().parse().ok()),
        None => (None, by_year.trim().parse().ok()),
    }
}

/// The scenario skeleton for a catalogue; `name` is the scenario's name.
pub fn skeleton(rows: &[CatalogueRow], name: &str) -> String {
    let end_year = rows.iter().filter_map(|r| years(&r.by_year).1).max().unwrap_or(2025);
    let base_year = rows.iter().filter_map(|r| years(&r.by_year).0).min().map_or(end_year - 3, |start| start - 1);
    let mut regions: Vec<String> = Vec::new();
    let mut indicators: Vec<Indicator> = Vec::new();
    let mut by_key: BTreeMap<(String, String, IndicatorKind), usize> = BTreeMap::new();
    let mut targets = String::new();
    let mut not_modelled = String::new();
    for row in rows {
        let region = if row.region.is_empty() { "—".to_string() } else { row.region.clone() };
        let kind = row.kind.as_str();
        let comment = format!(
            "# {} {}: {}{}\n",
            row.id,
            row.section,
            row.wording,
            if row.sentence.is_empty() { String::new() } else { format!("  ← {}", row.sentence.trim()) }
        );
        if matches!(kind, "rank" | "relative") {
            let reason = if kind == "rank" {
                "a national rank needs the competitors as indicators (metric = \"rank\", competitors = [...])"
            } else {
                "growth relative to an aggregate needs the aggregate as an indicator and a `versus` metric"
            };
            let _ = write!(
                not_modelled,
                "{comment}[[not_modelled]]\nid = {}\nlabel_zh = {}\nreason = {}\n\n",
                quote(&row.id),
                quote(&format!("{}{}{}", row.region, row.indicator_zh, row.wording)),
                quote(&format!("{reason} (threshold: {} {})", row.threshold, row.unit))
            );
            continue;
        }
        let indicator_kind = match kind {
            "share" | "change" | "increase" | "decrease" => IndicatorKind::Rate,
            "count" | "count_per_year" => IndicatorKind::Count,
            _ => IndicatorKind::Level,
        };
        let unit = match (indicator_kind, kind) {
            (IndicatorKind::Rate, _) => "%".to_string(),
            (IndicatorKind::Count, _) => row.unit.trim_end_matches("/yr").to_string(),
            (_, "level") => row.unit.clone(),
            _ => String::new(),
        };
        let label = stem(&row.indicator_zh, kind);
        let key = (region.clone(), label.clone(), indicator_kind);
        let index = *by_key.entry(key).or_insert_with(|| {
            let r = regions.iter().position(|x| *x == region).unwrap_or_else(|| {
                regions.push(region.clone());
                regions.len() - 1
            });
            indicators.push(Indicator {
                id: format!("r{}.i{:02}", r + 1, indicators.len() + 1),
                label: label.clone(),
                region: region.clone(),
                unit: unit.clone(),
                kind: indicator_kind,
            });
            indicators.len() - 1
        });
        if indicators[index].unit.is_empty() && !unit.is_empty() {
            indicators[index].unit = unit;
        }
        let id = &indicators[index].id;
        let (start, year) = years(&row.by_year);
        let year = year.unwrap_or(end_year);
        let from = start.map_or(base_year, |s| s - 1);
        // 左右 → about (the documented default tolerance); 稳定在/保持在 → every year; 累计新增 → a
        // sum of the yearly amounts; a threshold written as a range ("1—2") → between.
        let about = row.comparator == "~";
        let comparator = if about { "about" } else { row.comparator.as_str() };
        let held = row.wording.contains("稳定在") || row.wording.contains("保持在");
        let summed = row.wording.contains("累计新增");
        let range = threshold_range(&row.threshold);
        let comparator = if range.is_some() { "between" } else { comparator };
        let (metric, comparator, threshold) = match kind {
            "growth" => (
                format!("metric = \"cagr\"\nindicator = {}\nfrom = {from}\nto = {year}", quote(id)),
                comparator,
                row.threshold.clone(),
            ),
            "cumulative_growth" => (
                format!("metric = \"cumulative_growth\"\nindicator = {}\nfrom = {from}\nto = {year}", quote(id)),
                comparator,
                row.threshold.clone(),
            ),
            "decline" if row.unit == "百分点" => (
                format!("metric = \"change\"\nindicator = {}\nfrom = {from}\nto = {year}", quote(id)),
                "<=",
                format!("-{}", row.threshold),
            ),
            "decline" => (
                format!("metric = \"cumulative_growth\"\nindicator = {}\nfrom = {from}\nto = {year}", quote(id)),
                "<=",
                format!("-{}", row.threshold),
            ),
            "change" => (
                format!("metric = \"change\"\nindicator = {}\nfrom = {from}\nto = {year}", quote(id)),
                comparator,
                row.threshold.clone(),
            ),
            "increase" => (
                format!("metric = \"change\"\nindicator = {}\nfrom = {base_year}\nto = {year}", quote(id)),
                ">",
                "0".into(),
            ),
            "decrease" => (
                format!("metric = \"change\"\nindicator = {}\nfrom = {base_year}\nto = {year}", quote(id)),
                "<",
                "0".into(),
            ),
            "count_per_year" => (
                format!("metric = \"change_every_year\"\nindicator = {}\nfrom = {from}\nto = {year}", quote(id)),
                comparator,
                row.threshold.clone(),
            ),
            _ if held => (
                format!("metric = \"value_every_year\"\nindicator = {}\nfrom = {}\nto = {year}", quote(id), from + 1),
                comparator,
                row.threshold.clone(),
            ),
            _ if summed => (
                format!(
                    "# 累计: the sum of the yearly amounts; the indicator is the amount of one year\nmetric = \"sum\"\nindicator = {}\nfrom = {}\nto = {year}",
                    quote(id),
                    from + 1
                ),
                comparator,
                row.threshold.clone(),
            ),
            _ => (
                format!("metric = \"value\"\nindicator = {}\nyear = {year}", quote(id)),
                comparator,
                row.threshold.clone(),
            ),
        };
        let threshold = match range {
            Some((low, high)) => format!("[{low}, {high}]"),
            None if threshold.parse::<f64>().is_ok() => threshold,
            None => "\"TODO\"".to_string(),
        };
        let _ = write!(
            targets,
            "{comment}{}[[target]]\nid = {}\nlabel_zh = {}\nsection = {}\nregion = {}\nwording = {}\n{metric}\ncomparator = {}\nthreshold = {threshold}\n\n",
            if about {
                "# the plan says 左右 (about): within the default tolerance (±0.5 pp in percent, ±5% otherwise)\n"
            } else {
                ""
            },
            quote(&row.id),
            quote(&format!("{}{}", row.region, row.indicator_zh)),
            quote(&row.section),
            quote(&region),
            quote(&row.wording),
            quote(comparator),
        );
    }
    let mut out = String::new();
    let _ = writeln!(out, "# Scenario skeleton written by `feasim init` from a target catalogue.");
    let _ = writeln!(out, "# Every \"TODO\" is a number still to fill: a base value from a statistic (cite it in");
    let _ = writeln!(out, "# `source`), a growth or change assumption (`feasim fit` proposes them from history).");
    let _ = writeln!(out, "# `feasim check` lists them; `feasim run` refuses the scenario until they are numbers.\n");
    let _ = writeln!(
        out,
        "[scenario]\nname = {}\ntitle = {}\nbase_year = {base_year}\nend_year = {end_year}\npaths = 10000\nseed = 1\n",
        quote(name),
        quote(name)
    );
    for ind in &indicators {
        let kind = match ind.kind {
            IndicatorKind::Level => "level",
            IndicatorKind::Rate => "rate",
            IndicatorKind::Count => "count",
        };
        let _ = write!(
            out,
            "[[indicator]]\nid = {}\nlabel_zh = {}\nregion = {}\nunit = {}\nkind = \"{kind}\"\nbase = \"TODO\"\nsource = \"TODO: the statistic and where it is published\"\n",
            quote(&ind.id),
            quote(&ind.label),
            quote(&ind.region),
            quote(if ind.unit.is_empty() { "TODO: unit" } else { &ind.unit }),
        );
        let _ = match ind.kind {
            IndicatorKind::Level => {
                writeln!(out, "growth = {{ dist = \"normal\", mean = \"TODO\", sd = \"TODO\" }}  # % a year\n")
            }
            IndicatorKind::Rate => writeln!(
                out,
                "change = {{ dist = \"normal\", mean = \"TODO\", sd = \"TODO\" }}  # percentage points a year\n"
            ),
            IndicatorKind::Count => {
                writeln!(
                    out,
                    "additions = {{ dist = \"negbin\", mean = \"TODO\", dispersion = \"TODO\" }}  # new ones a year\n"
                )
            }
        };
    }
    out.push_str(&targets);
    out.push_str(&not_modelled);
    out
}

/// A threshold written as a range, "1—2" or "1-2" or "1~2" or "1至2": its two numbers.
fn threshold_range(text: &str) -> Option<(f64, f64)> {
    let (low, high) = text.split_once(['—', '–', '-', '~', '～', '至'])?;
    let (low, high) = (low.trim().parse::<f64>().ok()?, high.trim().trim_start_matches('—').parse::<f64>().ok()?);
    (low <= high).then_some((low, high))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        id: &str,
        indicator: &str,
        kind: &str,
        comparator: &str,
        threshold: &str,
        unit: &str,
        by_year: &str,
    ) -> CatalogueRow {
        CatalogueRow {
            id: id.into(),
            region: "临江市".into(),
            indicator_zh: indicator.into(),
            kind: kind.into(),
            comparator: comparator.into(),
            threshold: threshold.into(),
            unit: unit.into(),
            by_year: by_year.into(),
            wording: "…".into(),
            ..CatalogueRow::default()
        }
    }

    #[test]
    fn one_indicator_per_quantity_and_the_right_metrics() {
        let rows = [
            row("A", "地区生产总值", "level", ">", "10000", "亿元", "2026"),
            row("B", "地区生产总值年均增长", "growth", "~", "6", "%/yr", "2024-2026"),
            row("C", "城镇化率", "share", ">=", "75", "%", "2026"),
            row("D", "班列开行数量", "rank", "<=", "5", "rank", "2026"),
            row("E", "市场主体", "count_per_year", ">=", "20000", "家/yr", "2024-2026"),
        ];
        let toml = skeleton(&rows, "t");
        assert!(toml.contains("base_year = 2023\nend_year = 2026"), "{toml}");
        // GDP's level and growth targets share one level indicator.
        assert_eq!(toml.matches("kind = \"level\"").count(), 1, "{toml}");
        assert_eq!(toml.matches("kind = \"rate\"").count(), 1);
        assert_eq!(toml.matches("kind = \"count\"").count(), 1);
        assert!(toml.contains("metric = \"cagr\"\nindicator = \"r1.i01\"\nfrom = 2023\nto = 2026"));
        assert!(toml.contains("# the plan says 左右 (about)"));
        assert!(toml.contains("comparator = \"about\""));
        assert!(toml.contains("metric = \"change_every_year\""));
        assert!(toml.contains("[[not_modelled]]\nid = \"D\""));
        // 3 indicators × (base + 2 parameters).
        assert_eq!(crate::scenario::placeholder::find(&toml).len(), 9);
    }

    #[test]
    fn held_summed_and_ranged_wordings_get_their_forms() {
        let mut held = row("A", "服务业增加值比重", "share", ">=", "55", "%", "2024-2026");
        held.wording = "稳定在55%以上".into();
        let mut summed = row("B", "城镇就业", "level", ">=", "28.6", "万人", "2024-2026");
        summed.wording = "累计新增城镇就业28.6万人".into();
        let ranged = row("C", "产业集群", "count", ">=", "1—2", "个", "2026");
        let toml = skeleton(&[held, summed, ranged], "t");
        assert!(
            toml.contains("metric = \"value_every_year\"\nindicator = \"r1.i01\"\nfrom = 2024\nto = 2026"),
            "{toml}"
        );
        assert!(toml.contains("metric = \"sum\"\nindicator = \"r1.i02\"\nfrom = 2024\nto = 2026"), "{toml}");
        assert!(toml.contains("comparator = \"between\"\nthreshold = [1, 2]"), "{toml}");
    }
}
