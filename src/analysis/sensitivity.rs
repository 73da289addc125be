//! One-at-a-time sensitivity: every assumption moved down and up by a plausible amount, and the
//! change in every target's probability, each with a paired 95% interval.
//!
//! All variants are simulated on the same paths as the baseline (common random numbers, see
//! [`crate::engine::accumulate_paired`]), so a difference is estimated from the paths whose
//! verdict changes and its interval is far narrower than two independent runs would give.
//! Parameters are simulated in batches (baseline + low + high for each parameter of a batch) so
//! that the baseline is simulated once per batch, not once per parameter.
//!
//! A parameter is reported only for the targets it can affect ([`affected_targets`]): the
//! targets whose metric reads its indicator, or a derived indicator reading it, directly or not.
//! Correlation is a Gaussian copula on the normal scale, applied before each indicator's own
//! marginal and persistence, so changing one indicator's mean, spread, base or persistence does
//! not change any other indicator's draws; changing a correlation changes the Cholesky factor,
//! and with it the draws of every indicator in the correlated block.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::params::{self, Param, ParamKind, Subject, Words};
use crate::engine;
use crate::model::{Metric, Model, Process};
use crate::summary::{PairedDifference, Probability, RunInfo, ScenarioInfo};

/// Parameters per call of [`engine::accumulate_paired`] (each adds two variants to the baseline).
pub const BATCH: usize = 16;

/// What a sensitivity analysis runs.
#[derive(Debug, Clone)]
pub struct SensitivityConfig {
    pub paths: u64,
    pub seed: u64,
    /// Only parameters of these kinds (all kinds when empty).
    pub kinds: Vec<ParamKind>,
    /// Shift of a level's growth mean, in percentage points (default: [`params::default_range`], ±1).
    pub mean_shift: Option<f64>,
    /// Parameters per batch (at least 1).
    pub batch: usize,
}

/// The parameters a sensitivity analysis will move, and those it cannot.
#[derive(Debug, Clone)]
pub struct Plan {
    pub params: Vec<Planned>,
    pub skipped: Vec<SkippedParam>,
    pub batch: usize,
}

/// One parameter with its two shifted values and the targets it can affect.
#[derive(Debug, Clone)]
pub struct Planned {
    pub param: Param,
    pub low: f64,
    pub high: f64,
    pub targets: Vec<usize>,
}

impl Plan {
    /// Number of calls to the engine, each over every path: one per batch, plus the baseline.
    pub fn batches(&self) -> usize {
        self.params.len().div_ceil(self.batch) + 1
    }
}

/// Everything `feasim sensitivity` found, as written to `sensitivity.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SensitivityReport {
    pub feasim_version: String,
    pub scenario: ScenarioInfo,
    pub run: RunInfo,
    /// Every target with its probability under the scenario as written.
    pub targets: Vec<TargetBaseline>,
    /// Parameters in the order of the scenario file.
    pub parameters: Vec<ParamSensitivity>,
    /// Parameters that could not be shifted (e.g. a shift would leave the valid range).
    pub skipped: Vec<SkippedParam>,
}

/// A target and its baseline probability.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetBaseline {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub baseline: Probability,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParamSensitivity {
    pub id: String,
    /// The assumption in words (indicator label and kind), for charts and tables.
    #[serde(default)]
    pub label_zh: String,
    #[serde(default)]
    pub label_en: String,
    pub kind: String,
    pub unit: String,
    /// The value in the scenario as written.
    pub value: f64,
    /// The values tried below and above it.
    pub low: f64,
    pub high: f64,
    /// The moves down and up in words ("growth mean −1 pp", "spread ÷ 1.5", "base − 1 sd").
    #[serde(default)]
    pub shift_low: Words,
    #[serde(default)]
    pub shift_high: Words,
    /// The largest |ΔP| over the affected targets and both shifts.
    pub max_abs_difference: f64,
    /// One entry per target the parameter can affect (targets it cannot affect are left out:
    /// their difference is exactly zero).
    pub effects: Vec<TargetEffect>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetEffect {
    pub target: String,
    pub p_low: f64,
    pub p_high: f64,
    /// P(low) − P(baseline) with its paired interval.
    pub low: PairedDifference,
    /// P(high) − P(baseline) with its paired interval.
    pub high: PairedDifference,
}

impl TargetEffect {
    pub fn max_abs(&self) -> f64 {
        self.low.difference.abs().max(self.high.difference.abs())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SkippedParam {
    pub id: String,
    pub reason: String,
}

/// The low and high values tried for `param`: [`params::default_range`], except that a level's
/// growth mean moves by ±`mean_shift` when it is given.
pub fn shifts(model: &Model, param: &Param, mean_shift: Option<f64>) -> (f64, f64) {
    if let (ParamKind::Mean, Subject::Indicator(i), Some(shift)) = (param.kind, param.subject, mean_shift)
        && matches!(model.indicators[i].process, Process::Level { .. })
    {
        return (param.value - shift, param.value + shift);
    }
    params::default_range(model, param)
}

/// Which indicators' simulated values can change when `param` changes (`out[i]`).
pub fn affected_indicators(model: &Model, param: &Param) -> Vec<bool> {
    let n = model.indicators.len();
    let mut touched = vec![false; n];
    match param.subject {
        Subject::Indicator(i) => touched[i] = true,
        Subject::Pair(i, j) => {
            // The Cholesky factor is refactored: every indicator correlated with i or j, directly
            // or through others, may draw differently.
            let k = model.stochastic.len();
            let position = |x: usize| model.stochastic.iter().position(|&s| s == x);
            let mut linked = vec![false; k];
            let mut queue: Vec<usize> = [position(i), position(j)].into_iter().flatten().collect();
            for &q in &queue {
                linked[q] = true;
            }
            while let Some(a) = queue.pop() {
                for b in 0..k {
                    let correlated = model.correlation.as_ref().is_some_and(|m| a != b && m[a * k + b] != 0.0);
                    if correlated && !linked[b] {
                        linked[b] = true;
                        queue.push(b);
                    }
                }
            }
            for (a, &l) in linked.iter().enumerate() {
                touched[model.stochastic[a]] |= l;
            }
            touched[i] = true;
            touched[j] = true;
        }
    }
    // Derived indicators reading a touched one (in any year, or its base value).
    loop {
        let mut changed = false;
        for &d in &model.derived_order {
            if let Process::Derived { expr } = &model.indicators[d].process
                && !touched[d]
                && expr.reads().iter().chain(expr.base_reads()).any(|&r| touched[r])
            {
                touched[d] = true;
                changed = true;
            }
        }
        if !changed {
            return touched;
        }
    }
}

/// The indicators a metric reads (see [`Metric::reads`]).
pub fn metric_reads(metric: &Metric) -> Vec<usize> {
    metric.indicators()
}

/// Why `param` cannot move `target` (or any target, when `None`): no target reads what it
/// changes. Said instead of simulating a flat curve.
pub fn moves_nothing(model: &Model, param: &Param, target: Option<usize>) -> String {
    let what = match param.subject {
        Subject::Indicator(i) => format!("\"{}\"", model.indicators[i].id),
        Subject::Pair(i, j) => format!("\"{}\" or \"{}\"", model.indicators[i].id, model.indicators[j].id),
    };
    let (whom, reader) = match target {
        Some(t) => (format!("target \"{}\"", model.targets[t].id), "it does not read"),
        None => ("any target".to_string(), "no target reads"),
    };
    format!(
        "{param} cannot move {whom}: {reader} {what}, nor an indicator derived from or correlated with it; nothing was simulated"
    )
}

/// Indices of the targets whose probability `param` can change; for every other target the
/// paired difference is exactly zero.
pub fn affected_targets(model: &Model, param: &Param) -> Vec<usize> {
    let touched = affected_indicators(model, param);
    model
        .targets
        .iter()
        .enumerate()
        .filter(|(_, t)| t.indicators().into_iter().any(|i| touched[i]))
        .map(|(k, _)| k)
        .collect()
}

/// The parameters to move and their shifted values.
pub fn plan(model: &Model, config: &SensitivityConfig) -> Plan {
    let mut planned = Vec::new();
    let mut skipped = Vec::new();
    for param in params::parameters(model) {
        if !config.kinds.is_empty() && !config.kinds.contains(&param.kind) {
            continue;
        }
        let (low, high) = shifts(model, &param, config.mean_shift);
        let check = params::with_value(model, &param, low).and_then(|_| params::with_value(model, &param, high));
        match check {
            Ok(_) => {
                let targets = affected_targets(model, &param);
                if targets.is_empty() {
                    // Not simulated: its paired difference is exactly zero for every target.
                    skipped.push(SkippedParam { id: param.id.clone(), reason: moves_nothing(model, &param, None) });
                } else {
                    planned.push(Planned { param, low, high, targets });
                }
            }
            Err(reason) => skipped.push(SkippedParam { id: param.id.clone(), reason }),
        }
    }
    Plan { params: planned, skipped, batch: config.batch.max(1) }
}

/// Simulate `plan` on `config.paths` paths; `progress` receives paths finished (the total is
/// `config.paths × plan.batches()`).
pub fn run(
    model: &Model,
    plan: &Plan,
    config: &SensitivityConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SensitivityReport, String> {
    let paths = 0..config.paths;
    let mut parameters = Vec::with_capacity(plan.params.len());
    for batch in plan.params.chunks(plan.batch) {
        // Simulate only the targets this batch can move, and what they need: the restricted
        // model computes them bit for bit as the whole model does (`Model::restricted`).
        let mut keep: Vec<usize> = batch.iter().flat_map(|p| p.targets.iter().copied()).collect();
        keep.sort_unstable();
        keep.dedup();
        let sub = model.restricted(&keep);
        let mut variants = Vec::with_capacity(2 * batch.len());
        for p in batch {
            match params::find(&sub, &p.param.id) {
                Ok(param) => {
                    variants.push(params::with_value(&sub, &param, p.low)?);
                    variants.push(params::with_value(&sub, &param, p.high)?);
                }
                // The parameter moves none of the batch's targets: nothing to simulate for it.
                Err(_) => {
                    variants.push(sub.clone());
                    variants.push(sub.clone());
                }
            }
        }
        let refs: Vec<&Model> = std::iter::once(&sub).chain(variants.iter()).collect();
        let acc = engine::accumulate_paired(&refs, config.seed, paths.clone(), progress);
        let n = acc.paths;
        let position = |t: usize| keep.binary_search(&t).unwrap_or_default();
        for (k, p) in batch.iter().enumerate() {
            let (lo, hi) = (1 + 2 * k, 2 + 2 * k);
            let effects: Vec<TargetEffect> = p
                .targets
                .iter()
                .map(|&t| {
                    let r = position(t);
                    TargetEffect {
                        target: model.targets[t].id.clone(),
                        p_low: acc.hits[lo][r] as f64 / n as f64,
                        p_high: acc.hits[hi][r] as f64 / n as f64,
                        low: PairedDifference::new(acc.gained[lo][r], acc.lost[lo][r], n),
                        high: PairedDifference::new(acc.gained[hi][r], acc.lost[hi][r], n),
                    }
                })
                .collect();
            let label = p.param.label(model);
            parameters.push(ParamSensitivity {
                id: p.param.id.clone(),
                label_zh: label.zh,
                label_en: label.en,
                shift_low: p.param.shift_words(model, p.low),
                shift_high: p.param.shift_words(model, p.high),
                kind: p.param.kind.name().to_string(),
                unit: p.param.unit.clone(),
                value: p.param.value,
                low: p.low,
                high: p.high,
                max_abs_difference: effects.iter().map(TargetEffect::max_abs).fold(0.0, f64::max),
                effects,
            });
        }
    }
    let baseline_hits = engine::accumulate_paired(&[model], config.seed, paths, progress).hits.swap_remove(0);
    Ok(SensitivityReport {
        feasim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario_info(model),
        run: RunInfo { paths: config.paths, seed: config.seed, sampling: Default::default() },
        targets: target_baselines(model, &baseline_hits, config.paths),
        parameters,
        skipped: plan.skipped.clone(),
    })
}

/// The scenario's identity as recorded in every output.
pub fn scenario_info(model: &Model) -> ScenarioInfo {
    ScenarioInfo::of(model)
}

/// Every target of `model` with its probability from `hits` out of `paths`.
pub fn target_baselines(model: &Model, hits: &[u64], paths: u64) -> Vec<TargetBaseline> {
    model
        .targets
        .iter()
        .zip(hits)
        .map(|(t, &h)| TargetBaseline {
            id: t.id.clone(),
            label_zh: t.label_zh.clone(),
            label_en: t.label_en.clone(),
            baseline: Probability::new(h, paths),
        })
        .collect()
}

/// A value for text output: four significant digits (whole numbers kept whole), no trailing zeros.
pub fn fmt_number(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 10) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// A difference of probabilities in percentage points with its interval, e.g. `+3.1 [2.8, 3.4]`.
pub fn fmt_difference(d: &PairedDifference) -> String {
    format!("{:+.1} [{:+.1}, {:+.1}]", 100.0 * d.difference, 100.0 * d.ci_low, 100.0 * d.ci_high)
}

impl SensitivityReport {
    /// The report as pretty JSON.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// One row per parameter × affected target.
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "parameter",
            "parameter_label_zh",
            "parameter_label_en",
            "kind",
            "unit",
            "value",
            "low",
            "high",
            "shift_low_en",
            "shift_high_en",
            "target",
            "target_label_zh",
            "target_label_en",
            "p_baseline",
            "p_low",
            "p_high",
            "delta_low",
            "delta_low_ci_low",
            "delta_low_ci_high",
            "delta_high",
            "delta_high_ci_low",
            "delta_high_ci_high",
        ])?;
        for p in &self.parameters {
            for e in &p.effects {
                let target = self.targets.iter().find(|t| t.id == e.target);
                let base = target.map_or(f64::NAN, |t| t.baseline.probability);
                let f = |v: f64| v.to_string();
                w.write_record([
                    p.id.clone(),
                    p.label_zh.clone(),
                    p.label_en.clone(),
                    p.kind.clone(),
                    p.unit.clone(),
                    f(p.value),
                    f(p.low),
                    f(p.high),
                    p.shift_low.en.clone(),
                    p.shift_high.en.clone(),
                    e.target.clone(),
                    target.map_or(String::new(), |t| t.label_zh.clone()),
                    target.map_or(String::new(), |t| t.label_en.clone()),
                    f(base),
                    f(e.p_low),
                    f(e.p_high),
                    f(e.low.difference),
                    f(e.low.ci_low),
                    f(e.low.ci_high),
                    f(e.high.difference),
                    f(e.high.ci_low),
                    f(e.high.ci_high),
                ])?;
            }
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The rows of the heatmap: the parameters with at least one effect that is significant (its
    /// paired 95% interval excludes 0) and at least `min_abs` in size (either shift), largest
    /// such |ΔP| first, at most `max_rows`; and how many such parameters were left out by the cap.
    pub fn heatmap_rows(&self, min_abs: f64, max_rows: usize) -> (Vec<&ParamSensitivity>, usize) {
        let matters = |d: &PairedDifference| d.difference.abs() >= min_abs && (d.ci_low > 0.0 || d.ci_high < 0.0);
        let strength = |p: &ParamSensitivity| {
            p.effects
                .iter()
                .flat_map(|e| [&e.low, &e.high])
                .filter(|d| matters(d))
                .map(|d| d.difference.abs())
                .fold(0.0, f64::max)
        };
        let mut rows: Vec<(&ParamSensitivity, f64)> =
            self.parameters.iter().map(|p| (p, strength(p))).filter(|(_, s)| *s > 0.0).collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id)));
        let left_out = rows.len().saturating_sub(max_rows);
        rows.truncate(max_rows);
        (rows.into_iter().map(|(p, _)| p).collect(), left_out)
    }

    /// The parameters moving `target` the most, largest |ΔP| first (at most `n`).
    pub fn top_movers(&self, target: &str, n: usize) -> Vec<(&ParamSensitivity, &TargetEffect)> {
        let mut movers: Vec<(&ParamSensitivity, &TargetEffect)> = self
            .parameters
            .iter()
            .filter_map(|p| p.effects.iter().find(|e| e.target == target).map(|e| (p, e)))
            .filter(|(_, e)| e.max_abs() > 0.0)
            .collect();
        movers.sort_by(|a, b| b.1.max_abs().total_cmp(&a.1.max_abs()).then_with(|| a.0.id.cmp(&b.0.id)));
        movers.truncate(n);
        movers
    }

    /// Terminal text: per target its baseline probability and its top movers.
    pub fn render(&self, movers: usize) -> String {
        let mut out = String::new();
        for t in &self.targets {
            let _ = writeln!(out, "{}  P(hit) = {:.1}%", t.id, 100.0 * t.baseline.probability);
            let top = self.top_movers(&t.id, movers);
            if top.is_empty() {
                let _ = writeln!(out, "    (no parameter moves it)");
            }
            for (p, e) in top {
                let _ = writeln!(
                    out,
                    "    {:<44} {:>10} → {:<28} {:>10} → {}",
                    p.id,
                    fmt_number(p.low),
                    fmt_difference(&e.low),
                    fmt_number(p.high),
                    fmt_difference(&e.high)
                );
            }
        }
        out
    }
}
