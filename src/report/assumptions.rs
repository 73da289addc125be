//! The assumptions of a model in plain words, for reports an economist hands over (the HTML
//! report's assumptions section, the workbook's Assumptions sheet): every indicator with its base
//! value and where it comes from (a cited statistic or a judgement), its yearly assumption as a
//! distribution in words, its persistence and its correlations.
//!
//! Pure: model in, rows out. Both languages are produced, so a page can switch without re-running.

use crate::model::{Base, Compounding, Marginal, Model, Process};

/// Where an indicator's base-year value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Grounding {
    /// A published statistic, with the scenario's `source` text.
    Cited { source: String },
    /// No statistic: the scenario's `assumption` text explains the judgement.
    Judgement { assumption: String },
    /// Computed from other indicators by an expression.
    Derived { expression: String },
}

impl Grounding {
    /// `"cited"`, `"judgement"` or `"derived"`.
    pub fn key(&self) -> &'static str {
        match self {
            Grounding::Cited { .. } => "cited",
            Grounding::Judgement { .. } => "judgement",
            Grounding::Derived { .. } => "derived",
        }
    }

    /// The source, assumption or expression text.
    pub fn text(&self) -> &str {
        match self {
            Grounding::Cited { source } => source,
            Grounding::Judgement { assumption } => assumption,
            Grounding::Derived { expression } => expression,
        }
    }
}

/// One indicator's assumptions, in both languages.
#[derive(Debug, Clone, PartialEq)]
pub struct Assumption {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub region: String,
    pub unit: String,
    /// `level`, `rate`, `count` or `derived`.
    pub kind: &'static str,
    /// The published base-year value; `None` when the base is uncertain or derived.
    pub base: Option<f64>,
    pub grounding: Grounding,
    /// The base in words, e.g. "8,556 亿元 (统计)" / "uncertain: normal, mean 120, sd 10".
    pub base_zh: String,
    pub base_en: String,
    /// The yearly assumption in words (growth, change or additions), e.g.
    /// "real growth each year: normal, mean 5.5%, sd 1.2 pp (simple compounding)".
    pub process_zh: String,
    pub process_en: String,
    /// AR(1) persistence of the yearly shock on the normal scale (`None` for derived indicators).
    pub persistence: Option<f64>,
    /// Correlations of this indicator's yearly shock with other indicators' (id, ρ), non-zero only.
    pub correlations: Vec<(String, f64)>,
    pub note: String,
}

/// Every indicator of `model`, in declaration order.
pub fn describe(model: &Model) -> Vec<Assumption> {
    let n_stochastic = model.stochastic.len();
    let position: Vec<Option<usize>> = {
        let mut position = vec![None; model.indicators.len()];
        for (k, &i) in model.stochastic.iter().enumerate() {
            position[i] = Some(k);
        }
        position
    };
    model
        .indicators
        .iter()
        .enumerate()
        .map(|(i, indicator)| {
            let unit = indicator.unit.as_str();
            let (base, grounding, base_zh, base_en) = match &indicator.base {
                Base::Known { value, source } => (
                    Some(*value),
                    Grounding::Cited { source: source.clone() },
                    format!("{} {unit}（统计数据）", number(*value)),
                    format!("{} {unit} (published statistic)", number(*value)),
                ),
                Base::Uncertain { marginal, assumption } => (
                    None,
                    Grounding::Judgement { assumption: assumption.clone() },
                    format!("不确定（假设）：{}", marginal_zh(marginal, unit)),
                    format!("uncertain (assumption): {}", marginal_en(marginal, unit)),
                ),
                Base::Derived => {
                    let expression = match &indicator.process {
                        Process::Derived { expr } => expr.source().to_string(),
                        _ => String::new(),
                    };
                    (
                        None,
                        Grounding::Derived { expression: expression.clone() },
                        format!("由公式计算：{expression}"),
                        format!("computed: {expression}"),
                    )
                }
            };
            let (process_zh, process_en, persistence) = process_words(&indicator.process, unit);
            let correlations = match (&model.correlation, position[i]) {
                (Some(matrix), Some(a)) => (0..n_stochastic)
                    .filter(|&b| b != a && matrix[a * n_stochastic + b] != 0.0)
                    .map(|b| (model.indicators[model.stochastic[b]].id.clone(), matrix[a * n_stochastic + b]))
                    .collect(),
                _ => Vec::new(),
            };
            Assumption {
                id: indicator.id.clone(),
                label_zh: indicator.label_zh.clone(),
                label_en: indicator.label_en.clone(),
                region: indicator.region.clone(),
                unit: indicator.unit.clone(),
                kind: indicator.kind_name(),
                base,
                grounding,
                base_zh,
                base_en,
                process_zh,
                process_en,
                persistence,
                correlations,
                note: indicator.note.clone(),
            }
        })
        .collect()
}

/// Whether every base value `target` depends on is a published statistic (`true`), or at least
/// one is a judgement (`false`, with the ids of those indicators).
pub fn target_grounding(model: &Model, target: usize) -> (bool, Vec<String>) {
    let t = &model.targets[target];
    let mut reads = crate::analysis::sensitivity::metric_reads(&t.metric);
    if let Some(v) = &t.versus {
        reads.extend(crate::analysis::sensitivity::metric_reads(v));
    }
    // Follow derived indicators down to the stochastic ones they are computed from.
    let mut seen = vec![false; model.indicators.len()];
    let mut stack = reads;
    let mut judgements = Vec::new();
    while let Some(i) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        match (&model.indicators[i].base, &model.indicators[i].process) {
            (_, Process::Derived { expr }) => {
                stack.extend_from_slice(expr.reads());
                stack.extend_from_slice(expr.base_reads());
            }
            (Base::Uncertain { .. }, _) => judgements.push(model.indicators[i].id.clone()),
            _ => {}
        }
    }
    judgements.sort();
    (judgements.is_empty(), judgements)
}

fn process_words(process: &Process, unit: &str) -> (String, String, Option<f64>) {
    let years = |marginals: &[Marginal], zh: bool, unit: &str| -> String {
        let first = &marginals[0];
        if marginals.iter().all(|m| m == first) {
            if zh { marginal_zh(first, unit) } else { marginal_en(first, unit) }
        } else {
            marginals
                .iter()
                .enumerate()
                .map(|(y, m)| {
                    let text = if zh { marginal_zh(m, unit) } else { marginal_en(m, unit) };
                    if zh { format!("第{}年 {text}", y + 1) } else { format!("year {}: {text}", y + 1) }
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
    };
    match process {
        Process::Level { growth, compounding, persistence } => {
            let (c_zh, c_en) = match compounding {
                Compounding::Simple => ("", ""),
                Compounding::Log => ("（对数增长）", " (log growth)"),
            };
            (
                format!("年增长率（%）：{}{c_zh}", years(growth, true, "%")),
                format!("yearly growth (%): {}{c_en}", years(growth, false, "%")),
                Some(*persistence),
            )
        }
        Process::Rate { change, lower, upper, persistence } => (
            format!(
                "每年变化（百分点）：{}；限定在 [{}, {}]",
                years(change, true, "pp"),
                number(*lower),
                number(*upper)
            ),
            format!(
                "yearly change (percentage points): {}; kept within [{}, {}]",
                years(change, false, "pp"),
                number(*lower),
                number(*upper)
            ),
            Some(*persistence),
        ),
        Process::Count { additions, persistence } => (
            format!("每年新增（{unit}）：{}", years(additions, true, unit)),
            format!("yearly additions ({unit}): {}", years(additions, false, unit)),
            Some(*persistence),
        ),
        Process::Derived { expr } => (format!("公式：{}", expr.source()), format!("formula: {}", expr.source()), None),
    }
}

/// A distribution in English words, e.g. "normal, mean 5.5 %, sd 1.2".
pub fn marginal_en(m: &Marginal, unit: &str) -> String {
    let u = |v: f64| with_unit(v, unit);
    match *m {
        Marginal::Normal { mean, sd } => format!("normal, mean {}, sd {}", u(mean), number(sd)),
        Marginal::StudentT { location, scale, df } => {
            format!("Student-t ({} degrees of freedom), centre {}, scale {}", number(df), u(location), number(scale))
        }
        Marginal::Triangular { min, mode, max } => {
            format!("triangular, from {} to {}, most likely {}", u(min), u(max), u(mode))
        }
        Marginal::Pert { min, mode, max } => format!("PERT, from {} to {}, most likely {}", u(min), u(max), u(mode)),
        Marginal::Uniform { min, max } => format!("uniform, from {} to {}", u(min), u(max)),
        Marginal::SplitNormal { mode, sd_low, sd_high } => format!(
            "two-piece normal, most likely {}, sd {} below and {} above",
            u(mode),
            number(sd_low),
            number(sd_high)
        ),
        Marginal::Fixed { value } => format!("fixed at {}", u(value)),
        Marginal::Poisson { mean } => format!("Poisson, mean {}", u(mean)),
        Marginal::NegativeBinomial { mean, dispersion } => {
            format!("negative binomial, mean {}, sd {}", u(mean), number((mean + mean * mean / dispersion).sqrt()))
        }
    }
}

/// A distribution in Chinese words, e.g. "正态分布，均值 5.5%，标准差 1.2".
pub fn marginal_zh(m: &Marginal, unit: &str) -> String {
    let u = |v: f64| with_unit(v, unit);
    match *m {
        Marginal::Normal { mean, sd } => format!("正态分布，均值 {}，标准差 {}", u(mean), number(sd)),
        Marginal::StudentT { location, scale, df } => {
            format!("t 分布（自由度 {}），中心 {}，尺度 {}", number(df), u(location), number(scale))
        }
        Marginal::Triangular { min, mode, max } => {
            format!("三角分布，{} 至 {}，最可能 {}", u(min), u(max), u(mode))
        }
        Marginal::Pert { min, mode, max } => format!("PERT 分布，{} 至 {}，最可能 {}", u(min), u(max), u(mode)),
        Marginal::Uniform { min, max } => format!("均匀分布，{} 至 {}", u(min), u(max)),
        Marginal::SplitNormal { mode, sd_low, sd_high } => {
            format!("两段正态分布，最可能 {}，下方标准差 {}，上方标准差 {}", u(mode), number(sd_low), number(sd_high))
        }
        Marginal::Fixed { value } => format!("固定为 {}", u(value)),
        Marginal::Poisson { mean } => format!("泊松分布，均值 {}", u(mean)),
        Marginal::NegativeBinomial { mean, dispersion } => {
            format!("负二项分布，均值 {}，标准差 {}", u(mean), number((mean + mean * mean / dispersion).sqrt()))
        }
    }
}

fn with_unit(v: f64, unit: &str) -> String {
    match unit {
        "" => number(v),
        "%" => format!("{}%", number(v)),
        _ => format!("{} {unit}", number(v)),
    }
}

/// A number for prose: thousands separators for large values, up to 4 significant digits for
/// small ones, scientific notation for magnitudes a reader cannot take in as decimals.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "n/a".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e15).contains(&a) {
        return format!("{v:.3e}");
    }
    if a >= 1000.0 {
        return crate::units::thousands(v, 0);
    }
    let text = format!("{:.*}", significant_decimals(a), v);
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

fn significant_decimals(a: f64) -> usize {
    if a == 0.0 {
        return 0;
    }
    let magnitude = a.log10().floor() as i32;
    (3 - magnitude).clamp(0, 8) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_a_person_writes_them() {
        assert_eq!(number(8556.4), "8,556");
        assert_eq!(number(-1234567.0), "-1,234,567");
        assert_eq!(number(5.5), "5.5");
        assert_eq!(number(0.123456), "0.1235");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1.6e294), "1.600e294");
        assert_eq!(number(f64::NAN), "n/a");
    }

    #[test]
    fn distributions_in_words_name_every_parameter() {
        let m = Marginal::Triangular { min: 2.0, mode: 5.0, max: 9.0 };
        assert_eq!(marginal_en(&m, "%"), "triangular, from 2% to 9%, most likely 5%");
        assert_eq!(marginal_zh(&m, "%"), "三角分布，2% 至 9%，最可能 5%");
        let n = Marginal::Normal { mean: 120.0, sd: 10.0 };
        assert_eq!(marginal_en(&n, "亿元"), "normal, mean 120 亿元, sd 10");
    }

    #[test]
    fn the_flagship_is_described_whole_and_grounded_honestly() {
        let model = crate::scenario::load(std::path::Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
        let rows = describe(&model);
        assert_eq!(rows.len(), model.indicators.len());
        for (row, indicator) in rows.iter().zip(&model.indicators) {
            assert_eq!(row.id, indicator.id);
            match (&indicator.base, &row.grounding) {
                (Base::Known { value, source }, Grounding::Cited { source: s }) => {
                    assert_eq!(row.base, Some(*value));
                    assert_eq!(source, s);
                }
                (Base::Uncertain { assumption, .. }, Grounding::Judgement { assumption: a }) => {
                    assert_eq!(assumption, a);
                    assert!(row.base.is_none());
                }
                (Base::Derived, Grounding::Derived { expression }) => assert!(!expression.is_empty()),
                other => panic!("{}: grounding {other:?}", row.id),
            }
            assert!(!row.process_en.is_empty() && !row.process_zh.is_empty());
        }
        // Correlations are symmetric: every (a, b, ρ) has its (b, a, ρ).
        for row in &rows {
            for (other, rho) in &row.correlations {
                let back = rows.iter().find(|r| &r.id == other).unwrap();
                assert!(back.correlations.iter().any(|(id, r)| id == &row.id && r == rho), "{} ~ {other}", row.id);
            }
        }
        // A target on a level whose base is a statistic is cited; one resting on an assumed base is not.
        for (t, target) in model.targets.iter().enumerate() {
            let (cited, judgements) = target_grounding(&model, t);
            assert_eq!(cited, judgements.is_empty(), "{}", target.id);
        }
        assert!((0..model.targets.len()).any(|t| target_grounding(&model, t).0));
        assert!((0..model.targets.len()).any(|t| !target_grounding(&model, t).0));
    }
}
