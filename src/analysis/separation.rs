//! What separates the paths that hit a target from those that miss it: for every random
//! assumption the target depends on, how its draws differ between hits and misses.
//!
//! **Features** of a path, one per assumption in the target's dependency closure (the indicators
//! its metric reads, followed through derived expressions and `base(...)`):
//! - a stochastic indicator's average yearly growth (level, % per year; log growth for log
//!   compounding), change (rate, pp per year) or additions (count, per year) over the projection
//!   years, as realised on the path (equal to the drawn values unless a bound or the zero floor
//!   was hit). Indicators whose yearly draws are all fixed are left out;
//! - an uncertain base's draw.
//!
//! For each target and feature: the median among hits and among misses, and the standardised
//! difference `(mean_hit − mean_miss) / sd_all` (sd over all paths), ranked by its magnitude.
//! Under "no association" its sampling standard error is about `√(1/n_hit + 1/n_miss)`.
//!
//! **Determinism and memory**: moments are accumulated exactly as integers — each value is
//! quantised to a fixed point of 2⁻⁴⁰ times the feature's scale (a power of two at least as large
//! as its typical magnitude) and summed in i128 — and medians come from [`Sketch`]es (integer
//! counts), so merging in any order gives the same bits on any number of threads, and memory
//! does not grow with the number of paths.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::sobol::{metric_reads, scenario_info};
use crate::engine::CHUNK;
use crate::engine::block::{Block, LANES};
use crate::engine::path::SeedStreams;
use crate::model::{Base, Compounding, Marginal, Model, Process};
use crate::summary::{ScenarioInfo, Sketch};

/// Fractional bits of the fixed-point moments, relative to a feature's scale.
const FRACTION_BITS: i32 = 40;

/// How many paths, from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeparationConfig {
    pub paths: u64,
    pub seed: u64,
}

/// What a feature measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FeatureKind {
    Growth(Compounding),
    Change,
    Additions,
    Base,
}

impl FeatureKind {
    fn name(self) -> &'static str {
        match self {
            FeatureKind::Growth(_) => "growth",
            FeatureKind::Change => "change",
            FeatureKind::Additions => "additions",
            FeatureKind::Base => "base",
        }
    }
}

#[derive(Debug, Clone)]
struct FeatureSpec {
    indicator: usize,
    kind: FeatureKind,
    /// Values are quantised in units of 2^(scale_exp − FRACTION_BITS).
    scale_exp: i32,
}

/// Typical magnitude of draws from `m`: |mean| + 6 sd, or the largest finite bound.
fn magnitude(m: &Marginal) -> f64 {
    let (low, high) = m.support();
    let spread = m.mean().abs() + 6.0 * m.sd();
    let bounded = low.abs().max(high.abs());
    let v = if spread.is_finite() { spread } else { bounded };
    if v.is_finite() && v > 0.0 { v } else { 1e6 }
}

/// Every feature of the model (per indicator: base, then yearly movement), in declaration order.
fn features(model: &Model) -> Vec<FeatureSpec> {
    let mut out = Vec::new();
    let exp = |m: f64| m.max(1e-6).log2().ceil() as i32;
    for (i, indicator) in model.indicators.iter().enumerate() {
        if let Base::Uncertain { marginal, .. } = &indicator.base {
            out.push(FeatureSpec { indicator: i, kind: FeatureKind::Base, scale_exp: exp(magnitude(marginal)) });
        }
        let Some((marginals, _)) = indicator.process.shock() else { continue };
        if marginals.iter().all(|m| matches!(m, Marginal::Fixed { .. })) {
            continue;
        }
        let mut scale = marginals.iter().map(magnitude).fold(0.0, f64::max);
        let kind = match &indicator.process {
            Process::Level { compounding, .. } => FeatureKind::Growth(*compounding),
            Process::Rate { lower, upper, .. } => {
                scale = scale.min(upper - lower);
                FeatureKind::Change
            }
            _ => FeatureKind::Additions,
        };
        out.push(FeatureSpec { indicator: i, kind, scale_exp: exp(scale) });
    }
    out
}

/// Indicators whose values a target reads, directly or through derived expressions.
fn closure(model: &Model, target: usize) -> Vec<bool> {
    let mut read = vec![false; model.indicators.len()];
    let t = &model.targets[target];
    for metric in std::iter::once(&t.metric).chain(t.versus.as_ref()) {
        for i in metric_reads(metric).0 {
            read[i] = true;
        }
    }
    for &i in model.derived_order.iter().rev() {
        if read[i] {
            if let Process::Derived { expr } = &model.indicators[i].process {
                for &j in expr.reads().iter().chain(expr.base_reads()) {
                    read[j] = true;
                }
            }
        }
    }
    read
}

/// The feature's value on a path whose values of the feature's indicator, year by year from
/// the base year, are `v`.
fn feature_value(spec: &FeatureSpec, v: &[f64]) -> f64 {
    let n_years = v.len();
    let n_proj = (n_years - 1) as f64;
    match spec.kind {
        FeatureKind::Base => v[0],
        FeatureKind::Change | FeatureKind::Additions => (v[n_years - 1] - v[0]) / n_proj,
        FeatureKind::Growth(compounding) => {
            let mut sum = 0.0;
            for w in v.windows(2) {
                if w[0].is_nan() || w[0] <= 0.0 {
                    return f64::NAN;
                }
                let ratio = w[1] / w[0];
                sum += match compounding {
                    Compounding::Simple => (ratio - 1.0) * 100.0,
                    Compounding::Log => 100.0 * ratio.ln(),
                };
            }
            sum / n_proj
        }
    }
}

/// Exact running moments of one feature among the hits or the misses of one target.
#[derive(Debug, Clone, PartialEq)]
struct ClassAcc {
    n: u64,
    sum: i128,
    sum_squares: i128,
    sketch: Sketch,
}

impl ClassAcc {
    fn new() -> Self {
        ClassAcc { n: 0, sum: 0, sum_squares: 0, sketch: Sketch::new() }
    }

    fn add(&mut self, x: f64, unit: f64) {
        let q = (x / unit).round().clamp(-(2f64.powi(62)), 2f64.powi(62)) as i64 as i128;
        self.n += 1;
        self.sum = self.sum.saturating_add(q);
        self.sum_squares = self.sum_squares.saturating_add(q * q);
        self.sketch.add(x);
    }

    fn merge(&mut self, other: &ClassAcc) {
        self.n += other.n;
        self.sum = self.sum.saturating_add(other.sum);
        self.sum_squares = self.sum_squares.saturating_add(other.sum_squares);
        self.sketch.merge(&other.sketch);
    }
}

/// Per target: hits, misses, and per feature of its closure the two classes.
#[derive(Debug, Clone, PartialEq)]
struct TargetAcc {
    hits: u64,
    misses: u64,
    /// Paths where a feature was not a finite number (left out of that feature's moments).
    invalid: Vec<u64>,
    classes: Vec<[ClassAcc; 2]>,
}

impl TargetAcc {
    fn merge(&mut self, other: &TargetAcc) {
        self.hits += other.hits;
        self.misses += other.misses;
        for (a, b) in self.invalid.iter_mut().zip(&other.invalid) {
            *a += *b;
        }
        for (a, b) in self.classes.iter_mut().zip(&other.classes) {
            a[0].merge(&b[0]);
            a[1].merge(&b[1]);
        }
    }
}

/// Everything `feasim separate` found, as written to `separation.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeparationResult {
    pub feasim_version: String,
    pub scenario: ScenarioInfo,
    pub run: crate::summary::RunInfo,
    pub targets: Vec<TargetSeparation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetSeparation {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub hits: u64,
    pub misses: u64,
    pub probability: f64,
    /// The assumptions of the target's dependency closure, by decreasing |standardised difference|.
    pub features: Vec<SeparatingFeature>,
    /// One sentence on what separates hits from misses.
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeparatingFeature {
    /// `<indicator>:growth|change|additions|base`.
    pub id: String,
    pub indicator: String,
    pub label_zh: String,
    pub label_en: String,
    /// "growth", "change", "additions" or "base".
    pub kind: String,
    /// e.g. "%/yr", "pp/yr", or the indicator's unit for a base.
    pub unit: String,
    pub median_hit: Option<f64>,
    pub median_miss: Option<f64>,
    pub mean_hit: Option<f64>,
    pub mean_miss: Option<f64>,
    /// Standard deviation over all paths.
    pub sd_all: Option<f64>,
    /// (mean_hit − mean_miss) / sd_all; `None` without hits, misses or spread.
    pub standardized_difference: Option<f64>,
    /// √(1/n_hit + 1/n_miss): the standard error of the difference when the feature does not matter.
    pub null_std_error: Option<f64>,
    /// Paths on which the feature was not a finite number.
    pub invalid: u64,
}

/// Simulate `config.paths` paths and rank, for each target, the assumptions that separate its
/// hits from its misses. `progress` receives the number of paths finished since its last call.
/// Bit-identical on any number of threads; memory does not grow with the number of paths.
pub fn separate(model: &Model, config: &SeparationConfig, progress: &(dyn Fn(u64) + Sync)) -> SeparationResult {
    let specs = features(model);
    let n_years = model.n_years();
    let target_features: Vec<Vec<usize>> = (0..model.targets.len())
        .map(|t| {
            let read = closure(model, t);
            (0..specs.len()).filter(|&f| read[specs[f].indicator]).collect()
        })
        .collect();
    let used: Vec<bool> = (0..specs.len()).map(|f| target_features.iter().any(|tf| tf.contains(&f))).collect();
    let units: Vec<f64> = specs.iter().map(|s| 2f64.powi(s.scale_exp - FRACTION_BITS)).collect();
    let empty = || -> Vec<TargetAcc> {
        target_features
            .iter()
            .map(|tf| TargetAcc {
                hits: 0,
                misses: 0,
                invalid: vec![0; tf.len()],
                classes: vec![[ClassAcc::new(), ClassAcc::new()]; tf.len()],
            })
            .collect()
    };
    let merge = |mut a: Vec<TargetAcc>, b: Vec<TargetAcc>| {
        for (x, y) in a.iter_mut().zip(&b) {
            x.merge(y);
        }
        a
    };
    // One path (lane `lane` of a simulated block): its features, then every target's classes.
    let record_path =
        |block: &Block, lane: usize, years: &mut [f64], feature_values: &mut [f64], accs: &mut [TargetAcc]| {
            for (f, spec) in specs.iter().enumerate() {
                if used[f] {
                    for (y, v) in years.iter_mut().enumerate() {
                        *v = block.column(spec.indicator, y)[lane];
                    }
                    feature_values[f] = feature_value(spec, years);
                }
            }
            for (t, acc) in accs.iter_mut().enumerate() {
                let hit = block.target_column(t).1[lane];
                if hit {
                    acc.hits += 1;
                } else {
                    acc.misses += 1;
                }
                for (k, &f) in target_features[t].iter().enumerate() {
                    let x = feature_values[f];
                    if x.is_finite() {
                        acc.classes[k][usize::from(!hit)].add(x, units[f]);
                    } else {
                        acc.invalid[k] += 1;
                    }
                }
            }
        };
    let n_chunks = config.paths.div_ceil(CHUNK);
    let accs = (0..n_chunks)
        .into_par_iter()
        .fold(
            || (empty(), Block::new(model), vec![0.0; specs.len()], vec![0.0; n_years]),
            |(mut accs, mut block, mut feature_values, mut years), chunk| {
                let start = chunk * CHUNK;
                let end = (start + CHUNK).min(config.paths);
                let mut first = start;
                while first < end {
                    // A block of paths at once (the same bits as one path at a time, see
                    // `engine::block`), then each path's features and verdicts in path order.
                    let len = (end - first).min(LANES as u64) as usize;
                    block.simulate(model, &SeedStreams(config.seed), first, len);
                    for lane in 0..len {
                        record_path(&block, lane, &mut years, &mut feature_values, &mut accs);
                    }
                    first += len as u64;
                }
                progress(end - start);
                (accs, block, feature_values, years)
            },
        )
        .map(|(accs, _, _, _)| accs)
        .reduce(empty, merge);

    let targets = model
        .targets
        .iter()
        .enumerate()
        .map(|(t, target)| {
            let acc = &accs[t];
            let mut features: Vec<SeparatingFeature> = target_features[t]
                .iter()
                .enumerate()
                .map(|(k, &f)| describe(model, &specs[f], units[f], &acc.classes[k], acc.invalid[k]))
                .collect();
            let key = |f: &SeparatingFeature| f.standardized_difference.map_or(-1.0, f64::abs);
            features.sort_by(|a, b| key(b).total_cmp(&key(a)));
            let n = acc.hits + acc.misses;
            let probability = if n == 0 { f64::NAN } else { acc.hits as f64 / n as f64 };
            let summary = sentence(&target.id, probability, acc.hits, acc.misses, &features);
            TargetSeparation {
                id: target.id.clone(),
                label_zh: target.label_zh.clone(),
                label_en: target.label_en.clone(),
                hits: acc.hits,
                misses: acc.misses,
                probability,
                features,
                summary,
            }
        })
        .collect();
    SeparationResult {
        feasim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario_info(model),
        run: crate::summary::RunInfo { paths: config.paths, seed: config.seed, sampling: Default::default() },
        targets,
    }
}

fn describe(model: &Model, spec: &FeatureSpec, unit: f64, classes: &[ClassAcc; 2], invalid: u64) -> SeparatingFeature {
    let indicator = &model.indicators[spec.indicator];
    let [hit, miss] = classes;
    let mean = |c: &ClassAcc| (c.n > 0).then(|| c.sum as f64 / c.n as f64 * unit);
    let median = |c: &ClassAcc| (c.n > 0).then(|| c.sketch.quantile(0.5));
    let n = hit.n + miss.n;
    let sd_all = (n > 1).then(|| {
        let sum = hit.sum.saturating_add(miss.sum) as f64;
        let sum_squares = hit.sum_squares.saturating_add(miss.sum_squares) as f64;
        let m = sum / n as f64;
        ((sum_squares - m * sum).max(0.0) / (n - 1) as f64).sqrt() * unit
    });
    let (mean_hit, mean_miss) = (mean(hit), mean(miss));
    let standardized_difference = match (mean_hit, mean_miss, sd_all) {
        (Some(h), Some(m), Some(sd)) if sd > 0.0 => Some((h - m) / sd),
        _ => None,
    };
    let null_std_error = (hit.n > 0 && miss.n > 0).then(|| (1.0 / hit.n as f64 + 1.0 / miss.n as f64).sqrt());
    let unit_name = match spec.kind {
        FeatureKind::Growth(_) => "%/yr".to_string(),
        FeatureKind::Change => "pp/yr".to_string(),
        FeatureKind::Additions => format!("{}/yr", indicator.unit),
        FeatureKind::Base => indicator.unit.clone(),
    };
    let name = crate::analysis::params::indicator_words(model, spec.indicator);
    let (kind_zh, kind_en) = match spec.kind {
        FeatureKind::Growth(_) => ("平均增速", "average growth"),
        FeatureKind::Change => ("平均年变化", "average yearly change"),
        FeatureKind::Additions => ("平均年新增", "average yearly additions"),
        FeatureKind::Base => ("基期值", "base value"),
    };
    SeparatingFeature {
        id: format!("{}:{}", indicator.id, spec.kind.name()),
        indicator: indicator.id.clone(),
        label_zh: format!("{} · {kind_zh}", name.zh),
        label_en: format!("{} · {kind_en}", name.en),
        kind: spec.kind.name().into(),
        unit: unit_name,
        median_hit: median(hit),
        median_miss: median(miss),
        mean_hit,
        mean_miss,
        sd_all,
        standardized_difference,
        null_std_error,
        invalid,
    }
}

fn fmt(v: Option<f64>) -> String {
    v.map_or("–".into(), crate::report::table::format_number)
}

/// "ID is hit on 37% of paths, mainly those where x grows faster (median 5.9 %/yr among hits vs
/// 4.1 %/yr among misses; standardised difference +1.32)".
fn sentence(id: &str, probability: f64, hits: u64, misses: u64, features: &[SeparatingFeature]) -> String {
    let pct = format!("{:.1}%", 100.0 * probability);
    if hits == 0 {
        return format!("{id} is hit on no simulated path: nothing separates hits from misses");
    }
    if misses == 0 {
        return format!("{id} is hit on every simulated path: nothing separates hits from misses");
    }
    let Some(top) = features.first().filter(|f| f.standardized_difference.is_some()) else {
        return format!("{id} is hit on {pct} of paths; no random assumption reaches it");
    };
    let d = top.standardized_difference.unwrap_or(0.0);
    if d.abs() < 0.1 {
        return format!(
            "{id} is hit on {pct} of paths; no single assumption separates hits from misses (largest standardised difference {d:+.2}, {})",
            top.id
        );
    }
    let higher = d > 0.0;
    let verb = match (top.kind.as_str(), higher) {
        ("growth", true) => "grows faster",
        ("growth", false) => "grows slower",
        ("change", true) => "rises more (or falls less)",
        ("change", false) => "rises less (or falls more)",
        ("additions", true) => "adds more",
        ("additions", false) => "adds fewer",
        (_, true) => "starts higher",
        (_, false) => "starts lower",
    };
    let mut s = format!(
        "{id} is hit on {pct} of paths, mainly those where {} {verb} (median {} {} among hits vs {} among misses; standardised difference {d:+.2})",
        top.indicator,
        fmt(top.median_hit),
        top.unit,
        fmt(top.median_miss)
    );
    if let Some(second) = features.get(1).filter(|f| f.standardized_difference.is_some_and(|d| d.abs() >= 0.3)) {
        s.push_str(&format!("; next: {} ({:+.2})", second.id, second.standardized_difference.unwrap_or(0.0)));
    }
    s
}

/// One line of the terminal table.
#[derive(Debug, Clone, PartialEq)]
pub struct SeparationRow {
    pub target: String,
    pub feature: String,
    pub unit: String,
    pub median_hit: Option<f64>,
    pub median_miss: Option<f64>,
    pub standardized_difference: Option<f64>,
}

/// Rows for a terminal table: per target its `top` features.
pub fn table_rows(result: &SeparationResult, top: usize) -> Vec<SeparationRow> {
    result
        .targets
        .iter()
        .flat_map(|t| {
            t.features.iter().take(top).map(|f| SeparationRow {
                target: t.id.clone(),
                feature: f.id.clone(),
                unit: f.unit.clone(),
                median_hit: f.median_hit,
                median_miss: f.median_miss,
                standardized_difference: f.standardized_difference,
            })
        })
        .collect()
}

/// The terminal report: per target its sentence, then a table of its `top` features.
pub fn render_table(result: &SeparationResult, top: usize, width: Option<u16>) -> String {
    use comfy_table::presets::UTF8_FULL_CONDENSED;
    use comfy_table::{ContentArrangement, Table};
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    table.set_header(["Target", "Assumption", "Unit", "Median (hits)", "Median (misses)", "Std. difference"]);
    for row in table_rows(result, top) {
        table.add_row(vec![
            row.target,
            row.feature,
            row.unit,
            fmt(row.median_hit),
            fmt(row.median_miss),
            row.standardized_difference.map_or("–".into(), |d| format!("{d:+.2}")),
        ]);
    }
    let mut out = format!(
        "{} — what separates hits from misses, {} paths, seed {}\n",
        result.scenario.title, result.run.paths, result.run.seed
    );
    for t in &result.targets {
        out.push_str(&format!("- {}\n", t.summary));
    }
    out.push_str(&format!("{table}\n"));
    out
}

/// `separation.csv`: one row per target and feature.
pub fn to_csv(result: &SeparationResult) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "target",
        "target_label_zh",
        "target_label_en",
        "feature",
        "feature_label_zh",
        "feature_label_en",
        "unit",
        "median_hit",
        "median_miss",
        "mean_hit",
        "mean_miss",
        "sd_all",
        "standardized_difference",
        "null_std_error",
        "hits",
        "misses",
        "invalid",
    ])?;
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for t in &result.targets {
        for f in &t.features {
            writer.write_record([
                t.id.clone(),
                t.label_zh.clone(),
                t.label_en.clone(),
                f.id.clone(),
                f.label_zh.clone(),
                f.label_en.clone(),
                f.unit.clone(),
                cell(f.median_hit),
                cell(f.median_miss),
                cell(f.mean_hit),
                cell(f.mean_miss),
                cell(f.sd_all),
                cell(f.standardized_difference),
                cell(f.null_std_error),
                t.hits.to_string(),
                t.misses.to_string(),
                f.invalid.to_string(),
            ])?;
        }
    }
    Ok(writer.into_inner().map_err(|e| e.into_error())?)
}

/// Write `separation.json` and `separation.csv` into `dir` (each atomically); returns the paths.
pub fn write_files(result: &SeparationResult, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let json = serde_json::to_vec_pretty(result).context("cannot format separation.json")?;
    let csv = to_csv(result).context("cannot format separation.csv")?;
    let mut written = Vec::new();
    for (name, bytes) in [("separation.json", json), ("separation.csv", csv)] {
        let path = dir.join(name);
        crate::report::atomic_write(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}
