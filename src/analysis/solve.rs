//! Goal seeking: the value of an assumption at which a target is hit with a given probability.
//!
//! On fixed paths (common random numbers) the estimate P̂(v) is a step function of the
//! parameter value v — monotone for a centre (mean, base) — so the answer is the value where
//! P̂(v) crosses P. It is found by bracketing (the default range, then doubling outwards until
//! P̂ crosses P or the parameter's valid range ends) and k-section: every round puts 7 interior
//! points into each remaining bracket and simulates all of them in one call of
//! [`crate::engine::accumulate_paired`], until brackets are narrower than the tolerance.
//!
//! The interval of the answer is the set of values whose 95% Wilson interval of P̂(v) contains P:
//! its ends are the crossings of the interval's upper bound and of its lower bound with P,
//! found the same way.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::params::{self, Param};
use super::sensitivity::{TargetBaseline, fmt_number, scenario_info, target_baselines};
use super::sweep::{SweepPlan, SweepSpec};
use crate::engine;
use crate::model::Model;
use crate::summary::{Probability, RunInfo, ScenarioInfo, wilson};

/// Values in the evenly spaced grid drawn as the solve chart's curve.
pub const GRID_STEPS: usize = 41;
/// Probabilities solved for by default.
pub const DEFAULT_PROBABILITIES: [f64; 3] = [0.5, 0.8, 0.9];
/// Doublings of the search range beyond the default range.
const MAX_EXPANSIONS: u32 = 10;
/// Interior points per bracket and round.
const SECTIONS: usize = 8;
/// Default tolerance, relative to the width of the parameter's default range.
const RELATIVE_TOLERANCE: f64 = 1e-4;

#[derive(Debug, Clone)]
pub struct SolveConfig {
    pub paths: u64,
    pub seed: u64,
    pub probabilities: Vec<f64>,
    /// Absolute tolerance on the answer [default: 10⁻⁴ × the width of the default range].
    pub tolerance: Option<f64>,
}

/// Everything `feasim solve` found, as written to `solve.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SolveReport {
    pub feasim_version: String,
    pub scenario: ScenarioInfo,
    pub run: RunInfo,
    pub target: TargetBaseline,
    pub param: String,
    /// The assumption in words (indicator label and kind), for charts and tables.
    #[serde(default)]
    pub param_label_zh: String,
    #[serde(default)]
    pub param_label_en: String,
    pub kind: String,
    pub unit: String,
    /// The value in the scenario as written.
    pub value: f64,
    /// The range of values searched (the valid range may end before the doubling limit).
    pub searched_low: f64,
    pub searched_high: f64,
    pub tolerance: f64,
    /// Number of parameter values simulated.
    pub evaluations: usize,
    pub answers: Vec<SolveAnswer>,
    /// Every value simulated during the search, in increasing order, with P(hit) there.
    pub curve: Vec<SolvePoint>,
    /// P(hit) on [`GRID_STEPS`] evenly spaced values around the answers and the value as written
    /// (see [`grid_range`]), simulated as a sweep on the same paths as the search (common random
    /// numbers): the curve the chart draws. Empty in reports written before it existed.
    #[serde(default)]
    pub grid: Vec<SolvePoint>,
}

/// The range of the solve grid: from the lowest to the highest of the answers, their interval
/// ends and the value as written, widened by a quarter of that width on each side and kept
/// within the searched range; the whole searched range when nothing was solved.
pub fn grid_range(answers: &[SolveAnswer], written: f64, searched: (f64, f64)) -> (f64, f64) {
    let xs: Vec<f64> = answers.iter().flat_map(|a| [a.value, a.ci_low, a.ci_high]).flatten().collect();
    if xs.is_empty() {
        return searched;
    }
    let (lo, hi) = xs
        .iter()
        .chain(std::iter::once(&written))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let pad = 0.25 * (hi - lo).max(1e-9 * written.abs().max(1.0));
    ((lo - pad).max(searched.0), (hi + pad).min(searched.1))
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SolvePoint {
    pub value: f64,
    pub probability: Probability,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SolveAnswer {
    /// The probability asked for.
    pub probability: f64,
    /// `solved` or `unreachable`.
    pub status: String,
    pub value: Option<f64>,
    /// Values whose 95% interval of P̂ contains `probability`; `None` when that end lies beyond
    /// the searched range.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// Whether P(hit) rises or falls with the parameter near the answer.
    pub direction: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Quantity {
    Estimate,
    CiLow,
    CiHigh,
}

/// A probability and quantity with the simulated values between which it crosses it.
type Bracket = ((f64, Quantity), Option<(f64, f64)>);

/// Hit counts of the target at the values simulated so far (`None`: the value is invalid).
struct Evaluator<'a> {
    model: &'a Model,
    param: &'a Param,
    target: usize,
    seed: u64,
    paths: u64,
    hits: BTreeMap<u64, (f64, u64)>,
}

/// Why the value just beyond `edge` (in direction `side`) is refused by the gate.
fn refusal(model: &Model, param: &Param, edge: f64, side: f64) -> String {
    let beyond = edge + side * (edge.abs() * 1e-9).max(1e-9);
    params::with_value(model, param, beyond).err().unwrap_or_else(|| "outside the valid range".into())
}

/// A total order key for finite f64 (sign-magnitude to two's complement).
fn key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
}

impl Evaluator<'_> {
    fn valid(&self, v: f64) -> bool {
        params::with_value(self.model, self.param, v).is_ok()
    }

    /// Simulate every value not simulated yet, in one call.
    fn evaluate(&mut self, values: &[f64], progress: &(dyn Fn(u64) + Sync)) {
        let mut todo: Vec<f64> = values.iter().copied().filter(|v| !self.hits.contains_key(&key(*v))).collect();
        todo.sort_by(f64::total_cmp);
        todo.dedup();
        let models: Vec<Model> =
            todo.iter().filter_map(|&v| params::with_value(self.model, self.param, v).ok()).collect();
        if models.is_empty() {
            return;
        }
        let valid: Vec<f64> = todo.into_iter().filter(|&v| self.valid(v)).collect();
        let refs: Vec<&Model> = models.iter().collect();
        let acc = engine::accumulate_paired(&refs, self.seed, 0..self.paths, progress);
        for (v, hits) in valid.into_iter().zip(&acc.hits) {
            self.hits.insert(key(v), (v, hits[self.target]));
        }
    }

    fn quantity(&self, hits: u64, q: Quantity) -> f64 {
        match q {
            Quantity::Estimate => hits as f64 / self.paths as f64,
            Quantity::CiLow => wilson(hits, self.paths).0,
            Quantity::CiHigh => wilson(hits, self.paths).1,
        }
    }

    /// Adjacent simulated values between which `q` crosses `p` (`q < p` on one side, `q ≥ p`
    /// on the other), within `within`, the one nearest `near` first.
    fn crossing(&self, q: Quantity, p: f64, within: (f64, f64), near: f64) -> Option<(f64, f64)> {
        let points: Vec<(f64, f64)> = self
            .hits
            .values()
            .filter(|(v, _)| *v >= within.0 && *v <= within.1)
            .map(|&(v, h)| (v, self.quantity(h, q)))
            .collect();
        points
            .windows(2)
            .filter(|w| (w[0].1 >= p) != (w[1].1 >= p))
            .map(|w| (w[0].0, w[1].0))
            .min_by(|a, b| (0.5 * (a.0 + a.1) - near).abs().total_cmp(&(0.5 * (b.0 + b.1) - near).abs()))
    }

    fn at(&self, v: f64) -> Option<u64> {
        self.hits.get(&key(v)).map(|&(_, h)| h)
    }

    fn range(&self) -> (f64, f64) {
        let first = self.hits.values().next().map_or(f64::NAN, |x| x.0);
        let last = self.hits.values().next_back().map_or(f64::NAN, |x| x.0);
        (first, last)
    }
}

/// The value of `param` at which target `target` of `model` is hit with each of
/// `config.probabilities`, with its interval.
pub fn solve(
    model: &Model,
    target: usize,
    param: &Param,
    config: &SolveConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SolveReport, String> {
    if let Some(p) = config.probabilities.iter().find(|p| !(**p > 0.0 && **p < 1.0)) {
        return Err(format!(
            "a probability to solve for must lie strictly between 0 and 1 (got {})",
            crate::numbers::shown(*p)
        ));
    }
    if !super::sensitivity::affected_targets(model, param).contains(&target) {
        return Err(super::sensitivity::moves_nothing(model, param, Some(target)));
    }
    // Simulate only what the target needs: the restricted model computes it bit for bit as the
    // whole model does (see `Model::restricted`). A parameter outside it cannot move the target.
    let restricted = model.restricted(&[target]);
    let restricted_param = params::find(&restricted, &param.id).ok();
    let (model, target, param) = match &restricted_param {
        Some(p) => (&restricted, 0, p),
        None => (model, target, param),
    };
    let mut e = Evaluator { model, param, target, seed: config.seed, paths: config.paths, hits: BTreeMap::new() };
    let v0 = param.value;
    let (lo0, hi0) = params::default_range(model, param);
    let width = if hi0 - lo0 > 0.0 { hi0 - lo0 } else { 0.2 * v0.abs().max(1.0) };
    let tolerance = config.tolerance.unwrap_or(RELATIVE_TOLERANCE * width);
    let quantities = [Quantity::Estimate, Quantity::CiLow, Quantity::CiHigh];
    let all_found = |e: &Evaluator| {
        config
            .probabilities
            .iter()
            .all(|&p| quantities.iter().all(|&q| e.crossing(q, p, (f64::MIN, f64::MAX), v0).is_some()))
    };

    // Bracketing: the default range, then doubling outwards, stopping at the valid range's edge.
    e.evaluate(&[lo0, v0, hi0], progress);
    let (mut low_open, mut high_open) = (true, true);
    for k in 0..MAX_EXPANSIONS {
        if all_found(&e) || !(low_open || high_open) {
            break;
        }
        let reach = width * 2f64.powi(k as i32 + 1);
        let mut next = Vec::new();
        for (open, candidate, side) in [(&mut low_open, v0 - reach, -1.0), (&mut high_open, v0 + reach, 1.0)] {
            if !*open {
                continue;
            }
            if e.valid(candidate) {
                next.push(candidate);
            } else {
                // The edge of the valid range, between the farthest valid value and `candidate`.
                let (first, last) = e.range();
                let mut inside = if side < 0.0 { first } else { last };
                let mut outside = candidate;
                for _ in 0..60 {
                    let mid = 0.5 * (inside + outside);
                    if e.valid(mid) { inside = mid } else { outside = mid }
                }
                next.push(inside);
                *open = false;
            }
        }
        e.evaluate(&next, progress);
    }
    let (searched_low, searched_high) = e.range();
    // Where the search stopped at the edge of what `feasim check` accepts (`model::validate`).
    let valid_edges = match (low_open, high_open) {
        (true, true) => String::new(),
        (false, true) => format!(" (lower values are refused: {})", refusal(e.model, param, searched_low, -1.0)),
        (true, false) => format!(" (higher values are refused: {})", refusal(e.model, param, searched_high, 1.0)),
        (false, false) => format!(
            " (the valid range ends at both: {}; {})",
            refusal(e.model, param, searched_low, -1.0),
            refusal(e.model, param, searched_high, 1.0)
        ),
    };

    // k-section of every bracket at once.
    let mut brackets: Vec<Bracket> = Vec::new();
    for &p in &config.probabilities {
        for q in quantities {
            brackets.push(((p, q), e.crossing(q, p, (f64::MIN, f64::MAX), v0)));
        }
    }
    for _ in 0..200 {
        let mut next = Vec::new();
        for (_, b) in &brackets {
            if let Some((a, c)) = *b
                && c - a > tolerance
            {
                next.extend((1..SECTIONS).map(|k| a + (c - a) * k as f64 / SECTIONS as f64));
            }
        }
        if next.is_empty() {
            break;
        }
        e.evaluate(&next, progress);
        for ((p, q), b) in &mut brackets {
            if let Some((a, c)) = *b {
                *b = e.crossing(*q, *p, (a, c), 0.5 * (a + c)).or(Some((a, c)));
            }
        }
    }

    let find = |p: f64, q: Quantity| brackets.iter().find(|((bp, bq), _)| *bp == p && *bq == q).and_then(|(_, b)| *b);
    let answers: Vec<SolveAnswer> = config
        .probabilities
        .iter()
        .map(|&p| {
            let Some((a, c)) = find(p, Quantity::Estimate) else {
                let estimates: Vec<(f64, f64)> =
                    e.hits.values().map(|&(v, h)| (v, e.quantity(h, Quantity::Estimate))).collect();
                let (v_min, p_min) =
                    estimates.iter().copied().min_by(|x, y| x.1.total_cmp(&y.1)).unwrap_or((f64::NAN, f64::NAN));
                let (v_max, p_max) =
                    estimates.iter().copied().max_by(|x, y| x.1.total_cmp(&y.1)).unwrap_or((f64::NAN, f64::NAN));
                return SolveAnswer {
                    probability: p,
                    status: "unreachable".into(),
                    value: None,
                    ci_low: None,
                    ci_high: None,
                    direction: None,
                    message: format!(
                        "P(hit) stays between {:.2}% (at {}) and {:.2}% (at {}) for {} from {} to {}{}",
                        100.0 * p_min,
                        fmt_number(v_min),
                        100.0 * p_max,
                        fmt_number(v_max),
                        param.id,
                        fmt_number(searched_low),
                        fmt_number(searched_high),
                        valid_edges
                    ),
                };
            };
            let rising = e.at(c).unwrap_or(0) >= e.at(a).unwrap_or(0);
            let ends = [find(p, Quantity::CiHigh), find(p, Quantity::CiLow)].map(|b| b.map(|(x, y)| 0.5 * (x + y)));
            // Rising: the upper bound reaches P first (the interval's low end).
            let (low_end, high_end) = if rising { (ends[0], ends[1]) } else { (ends[1], ends[0]) };
            let value = 0.5 * (a + c);
            let ci_low = low_end.map(|v| v.min(value) - tolerance);
            let ci_high = high_end.map(|v| v.max(value) + tolerance);
            let show = |v: Option<f64>, beyond: f64| v.map_or(format!("beyond {}", fmt_number(beyond)), fmt_number);
            SolveAnswer {
                probability: p,
                status: "solved".into(),
                value: Some(value),
                ci_low,
                ci_high,
                direction: Some(if rising { "increasing" } else { "decreasing" }.into()),
                message: format!(
                    "{} = {} [{}, {}]",
                    param.id,
                    fmt_number(value),
                    show(ci_low, searched_low),
                    show(ci_high, searched_high)
                ),
            }
        })
        .collect();

    // The chart's curve: an evenly spaced grid simulated as a sweep on the same paths.
    let (grid_low, grid_high) = grid_range(&answers, v0, (searched_low, searched_high));
    let spec = SweepSpec { param: param.clone(), from: grid_low, to: grid_high, steps: GRID_STEPS };
    let plan = SweepPlan::new(model, std::slice::from_ref(&spec))?;
    let acc = plan.simulate(config.seed, 0..config.paths, progress);
    let target_id = &model.targets[target].id;
    let in_plan = plan.model.targets.iter().position(|t| t.id == *target_id);
    let grid = spec
        .grid()
        .into_iter()
        .enumerate()
        .map(|(k, value)| {
            // A target the parameter cannot reach is not in the plan: its P(hit) is the baseline's.
            let hits = match in_plan {
                Some(t) => acc.hits[1 + k][t],
                None => e.at(v0).unwrap_or(0),
            };
            SolvePoint { value, probability: Probability::new(hits, config.paths) }
        })
        .collect();

    let baseline = engine::accumulate_paired(&[model], config.seed, 0..config.paths, progress);
    let mut targets = target_baselines(model, &baseline.hits[0], config.paths);
    let label = param.label(model);
    Ok(SolveReport {
        feasim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario_info(model),
        run: RunInfo { paths: config.paths, seed: config.seed, sampling: Default::default() },
        target: targets.swap_remove(target),
        param: param.id.clone(),
        param_label_zh: label.zh,
        param_label_en: label.en,
        kind: param.kind.name().to_string(),
        unit: param.unit.clone(),
        value: param.value,
        searched_low,
        searched_high,
        tolerance,
        evaluations: e.hits.len(),
        answers,
        curve: e
            .hits
            .values()
            .map(|&(value, hits)| SolvePoint { value, probability: Probability::new(hits, config.paths) })
            .collect(),
        grid,
    })
}

impl SolveReport {
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// Terminal lines: one per probability asked for.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: P(hit) = {:.1}% with {} = {} {} as written",
            self.target.id,
            100.0 * self.target.baseline.probability,
            self.param,
            fmt_number(self.value),
            self.unit
        );
        for a in &self.answers {
            let verdict = if a.status == "solved" { "" } else { "unreachable: " };
            let _ = writeln!(out, "  P(hit) = {:>4.1}%: {verdict}{}", 100.0 * a.probability, a.message);
        }
        out
    }
}
