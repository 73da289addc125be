//! "What mean growth would it take?" — for every target on a level indicator (or on a product
//! of levels such as nominal GDP = real GDP × deflator), the mean growth of the driving level at
//! which the target is hit with probability 50% and 80%, read off the run's own paths.
//!
//! Shifting the mean growth of a level by δ percentage points in every year moves each year's
//! draw by exactly δ on every path (common random numbers: the marginals are location families,
//! so the same uniform gives the draw plus δ). On one path the target is then hit exactly when δ
//! is on the right side of a threshold δ*, the shift at which that path's metric meets the
//! target. So `P(hit | δ) = share of paths with δ* ≤ δ` (or ≥ for ≤ targets), and the shift
//! needed for probability p is a quantile of δ* — the same answer as `feasim solve` on the same
//! paths, without simulating again.
//!
//! - Log compounding: the shift multiplies the level by `exp(k·δ/100)` over k years, so δ* is a
//!   decreasing function of the target's metric alone and its quantiles come from the metric's
//!   sketch (no work per path).
//! - Simple compounding: the level's growth factor `r_t` becomes `r_t + δ/100`, so δ* solves
//!   `Σ_t ln(1 + δ/(100·r_t)) = L` for a path-specific L; it is computed per path (safeguarded
//!   Newton) into its own sketch.
//!
//! The driving level of a derived target must enter a monomial expression with exponent 1 and
//! the other factors must not be derived (so they do not move with it).

use serde::{Deserialize, Serialize};

use super::interval::Z_95;
use super::sketch::RELATIVE_ACCURACY;
use super::{Accumulator, Sketch};
use crate::model::{Comparator, Compounding, Metric, Model, Process, Target};

/// The probabilities the run summary solves for.
pub const NEEDED_PROBABILITIES: [f64; 2] = [0.5, 0.8];

/// How one target's needed growth is found.
#[derive(Debug, Clone, PartialEq)]
pub struct NeededPlan {
    pub target: usize,
    /// The level whose mean growth is shifted.
    pub driver: usize,
    /// The indicator the metric reads (the driver itself or a monomial of it).
    pub indicator: usize,
    pub compounding: Compounding,
    /// Hit when δ ≥ δ* (targets with ≥ or >); otherwise when δ ≤ δ*.
    pub upward: bool,
    /// Index into [`Accumulator::shifts`] for per-path plans (simple compounding).
    pub slot: Option<usize>,
    pub metric: Metric,
    pub threshold: f64,
}

/// Plans for every target of `model` whose needed growth is cheap and exact to compute.
pub fn plans(model: &Model) -> Vec<NeededPlan> {
    let mut out = Vec::new();
    let mut slots = 0;
    for (t, target) in model.targets.iter().enumerate() {
        let Some((indicator, driver)) = driver_of(model, target) else { continue };
        let Process::Level { compounding, .. } = model.indicators[driver].process else { continue };
        let slot = (compounding == Compounding::Simple).then(|| {
            slots += 1;
            slots - 1
        });
        let upward = matches!(target.comparator, Comparator::Ge | Comparator::Gt);
        let (metric, threshold) = (target.metric.clone(), target.threshold);
        out.push(NeededPlan { target: t, driver, indicator, compounding, upward, slot, metric, threshold });
    }
    out
}

fn driver_of(model: &Model, target: &Target) -> Option<(usize, usize)> {
    // A two-sided test (==, between, about) has no single threshold to shift towards.
    if target.versus.is_some() || !target.comparator.is_one_sided() {
        return None;
    }
    let indicator = match target.metric {
        Metric::Value { indicator, year } if year >= 1 => indicator,
        Metric::Cagr { indicator, from, to }
        | Metric::CumulativeGrowth { indicator, from, to }
        | Metric::GrowthEveryYear { indicator, from, to }
            if to > from =>
        {
            indicator
        }
        _ => return None,
    };
    match &model.indicators[indicator].process {
        Process::Level { .. } => Some((indicator, indicator)),
        Process::Derived { expr } => {
            let terms = expr.monomial()?;
            let is_level = |j: usize| matches!(model.indicators[j].process, Process::Level { .. });
            let is_derived = |j: usize| matches!(model.indicators[j].process, Process::Derived { .. });
            if terms.iter().any(|&(j, _)| is_derived(j)) {
                return None;
            }
            let driver = terms.iter().find(|&&(j, k)| k == 1 && is_level(j))?.0;
            Some((indicator, driver))
        }
        _ => None,
    }
}

/// The years (1-based projection years, inclusive) whose growth the metric depends on.
fn window(metric: &Metric) -> (usize, usize) {
    match *metric {
        Metric::Value { year, .. } => (1, year),
        Metric::Cagr { from, to, .. }
        | Metric::CumulativeGrowth { from, to, .. }
        | Metric::GrowthEveryYear { from, to, .. } => (from + 1, to),
        _ => (1, 0),
    }
}

/// δ* on one path for a simple-compounding plan, from the path's indicator values
/// (`indicator * n_years + year`); NaN when the path's metric is undefined.
pub fn shift_on_path(plan: &NeededPlan, values: &[f64], n_years: usize) -> f64 {
    shift_on_path_with(plan, |i, y| values[i * n_years + y])
}

/// [`shift_on_path`] reading indicator `i` in year `y` through `v(i, y)` (any layout).
pub fn shift_on_path_with(plan: &NeededPlan, v: impl Fn(usize, usize) -> f64 + Copy) -> f64 {
    let (first, last) = window(&plan.metric);
    let thr = plan.threshold;
    let factor = |t: usize| v(plan.driver, t) / v(plan.driver, t - 1);
    if (first..=last).any(|t| !(factor(t) > 0.0 && factor(t).is_finite())) {
        return f64::NAN;
    }
    let j = plan.indicator;
    let log_ratio = |from: usize, to: usize| (v(j, to) / v(j, from)).ln();
    let goal = match plan.metric {
        Metric::Value { year, .. } => (thr / v(j, year)).ln(),
        Metric::Cagr { from, to, .. } => (to - from) as f64 * (thr / 100.0).ln_1p() - log_ratio(from, to),
        Metric::CumulativeGrowth { from, to, .. } => (thr / 100.0).ln_1p() - log_ratio(from, to),
        Metric::GrowthEveryYear { .. } => {
            // Year t is hit when r_t + δ/100 ≥ r_t (1 + thr/100) / ρ_t, ρ_t the metric's own factor.
            let each = (first..=last).map(|t| {
                let r = factor(t);
                100.0 * r * ((1.0 + thr / 100.0) / (v(j, t) / v(j, t - 1)) - 1.0)
            });
            let reduced =
                if plan.upward { each.fold(f64::NEG_INFINITY, f64::max) } else { each.fold(f64::INFINITY, f64::min) };
            return if reduced.is_finite() { reduced } else { f64::NAN };
        }
        _ => return f64::NAN,
    };
    if !goal.is_finite() {
        return f64::NAN;
    }
    // The window's factors without a heap allocation per path (a spill for very long windows).
    let mut buffer = [0.0; MAX_WINDOW];
    let spilled: Vec<f64>;
    let factors: &[f64] = if last + 1 - first <= MAX_WINDOW {
        for (slot, t) in buffer.iter_mut().zip(first..=last) {
            *slot = factor(t);
        }
        &buffer[..last + 1 - first]
    } else {
        spilled = (first..=last).map(factor).collect();
        &spilled
    };
    solve_product(factors, goal)
}

/// Years of growth [`shift_on_path_with`] keeps on the stack.
const MAX_WINDOW: usize = 32;

/// The δ with `Σ ln(1 + δ/(100 r)) = goal` over `factors` r > 0, solved in product form:
/// `Π (1 + δ u_t) = e^goal` with `u_t = 1/(100 r_t)`, written as the polynomial
/// `p(δ) = Σ_{j≥1} e_j δ^j = expm1(goal)` (`e_j` the elementary symmetric polynomials of the
/// `u_t`, all positive), so that an iteration costs a Horner sum instead of one `log1p` per year
/// (what [`solve_log_sum`] pays; this was ~15% of a flagship run). On `δ > −100·min r` every
/// factor `1 + δ u_t` is positive, so `p` is increasing and convex there: Newton converges
/// monotonically from the right of the root; steps that leave the bracket fall back to
/// bisection. The start is exact when every factor is equal, and one year is solved in closed
/// form. Agrees with [`solve_log_sum`] to ~1e-15 relative (tested).
fn solve_product(factors: &[f64], goal: f64) -> f64 {
    let k = factors.len();
    let target = goal.exp_m1();
    if k == 1 {
        return 100.0 * factors[0] * target;
    }
    // e_1..e_k by the recurrence e_j ← e_j + u·e_{j−1} over the factors (e_0 = 1).
    let mut buffer = [0.0; MAX_WINDOW + 1];
    let mut spilled: Vec<f64>;
    let e: &mut [f64] = if k <= MAX_WINDOW {
        &mut buffer[..k + 1]
    } else {
        spilled = vec![0.0; k + 1];
        &mut spilled
    };
    e[0] = 1.0;
    for (n, &r) in factors.iter().enumerate() {
        let u = 1.0 / (100.0 * r);
        for j in (1..=n + 1).rev() {
            e[j] += u * e[j - 1];
        }
    }
    // p(δ) − target and p'(δ) by Horner's rule.
    let p = |d: f64| {
        let (mut value, mut slope) = (0.0, 0.0);
        for &c in e[1..].iter().rev() {
            slope = slope * d + value;
            value = value * d + c;
        }
        (value * d - target, value + slope * d)
    };
    let n = k as f64;
    let mean_r = factors.iter().sum::<f64>() / n;
    let floor = -100.0 * factors.iter().copied().fold(f64::INFINITY, f64::min);
    // Exact when every factor is equal.
    let mut d = 100.0 * mean_r * (goal / n).exp_m1();
    let (mut lo, mut hi) = (floor, f64::INFINITY);
    for _ in 0..100 {
        if !(d > lo && d < hi) {
            d = if hi.is_finite() { 0.5 * (lo + hi) } else { lo + lo.abs().max(1.0) };
        }
        let (f, slope) = p(d);
        if f == 0.0 {
            return d;
        }
        if f < 0.0 {
            lo = d;
        } else {
            hi = d;
        }
        let next = d - f / slope;
        if (next - d).abs() <= 1e-13 * (1.0 + d.abs()) {
            return next;
        }
        d = next;
    }
    d
}

/// The δ with `Σ ln(1 + δ/(100 r)) = goal` over `factors` r > 0: increasing and concave in δ on
/// δ > −100·min r. Newton from the left converges monotonically for a concave function; steps
/// that would leave the bracket fall back to bisection. The reference [`solve_product`] is
/// tested against.
#[cfg(test)]
fn solve_log_sum(factors: &[f64], goal: f64) -> f64 {
    let s = |d: f64| factors.iter().map(|&r| (d / (100.0 * r)).ln_1p()).sum::<f64>();
    let ds = |d: f64| factors.iter().map(|&r| 1.0 / (100.0 * r + d)).sum::<f64>();
    let n = factors.len() as f64;
    let mean_r = factors.iter().sum::<f64>() / n;
    let floor = -100.0 * factors.iter().copied().fold(f64::INFINITY, f64::min);
    // Exact when every factor is equal.
    let mut d = 100.0 * mean_r * (goal / n).exp_m1();
    let (mut lo, mut hi) = (floor, f64::INFINITY);
    for _ in 0..100 {
        if !(d > lo && d < hi) {
            d = if hi.is_finite() { 0.5 * (lo + hi) } else { lo + lo.abs().max(1.0) };
        }
        let f = s(d) - goal;
        if f == 0.0 {
            return d;
        }
        if f < 0.0 {
            lo = d;
        } else {
            hi = d;
        }
        let next = d - f / ds(d);
        if (next - d).abs() <= 1e-12 * (1.0 + d.abs()) {
            return next;
        }
        d = next;
    }
    d
}

/// δ* from a path's metric value for a log-compounding plan.
pub fn shift_from_metric(plan: &NeededPlan, metric: f64) -> f64 {
    let thr = plan.threshold;
    let per_year = |m: f64| 100.0 * ((thr / 100.0).ln_1p() - (m / 100.0).ln_1p());
    match plan.metric {
        Metric::Value { year, .. } => 100.0 / year as f64 * (thr / metric).ln(),
        Metric::Cagr { .. } | Metric::GrowthEveryYear { .. } => per_year(metric),
        Metric::CumulativeGrowth { from, to, .. } => per_year(metric) / (to - from) as f64,
        _ => f64::NAN,
    }
}

/// The mean growth of a level that a target needs, as written to `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NeededGrowth {
    /// The assumption, in the names `feasim solve` and `sensitivity` use.
    pub parameter: String,
    /// Its value in the scenario: the first projection year's mean growth, in %.
    pub assumed: f64,
    /// One entry per probability of [`NEEDED_PROBABILITIES`].
    pub levels: Vec<NeededLevel>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NeededLevel {
    pub probability: f64,
    /// The first year's mean growth needed (every later year shifted by the same amount); absent
    /// when no shift reaches the probability (too many paths with an undefined metric).
    pub mean: Option<f64>,
    /// 95% interval of `mean`: order-statistic bounds of the quantile of δ*, widened by the
    /// sketch's resolution.
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
}

/// The needed growth of plan `plan` from a finished accumulator.
pub fn summarise(model: &Model, acc: &Accumulator, plan: &NeededPlan) -> NeededGrowth {
    let driver = &model.indicators[plan.driver];
    let assumed = driver.process.shock().map_or(f64::NAN, |(m, _)| m[0].mean());
    let n = acc.paths as f64;
    // The shift δ_p such that a share p of all paths has δ* on the hit side of it; `nudge` = ±1
    // moves it down/up by the sketch's resolution (so intervals cover the sketch's rounding too).
    let shift_at = |p: f64, nudge: f64| -> Option<f64> {
        let p = p.clamp(0.0, 1.0);
        let metric = acc.metric(plan.target);
        let sketch: &Sketch = match plan.slot {
            Some(slot) => &acc.shifts[slot],
            None => &metric,
        };
        // P(hit | δ) ≥ p takes the k-th path in δ*-order, k = ⌈pN⌉ (invalid paths never hit).
        let count = sketch.count();
        let k = ((p * n - 1e-9).ceil() as u64).max(1);
        if count == 0 || k > count {
            return None;
        }
        // The sketch's quantile q returns 0-based rank ⌊q·(count − 1)⌋; aim at the rank's middle.
        let at_rank = |rank: u64| sketch.quantile((rank as f64 + 0.5) / (count - 1).max(1) as f64);
        let d = match plan.slot {
            Some(_) => {
                let d = at_rank(if plan.upward { k - 1 } else { count - k });
                d + nudge * RELATIVE_ACCURACY * d.abs()
            }
            None => {
                // δ* decreases in the metric: the smallest δ* belong to the largest metrics.
                let m = at_rank(if plan.upward { count - k } else { k - 1 });
                shift_from_metric(plan, m - nudge * RELATIVE_ACCURACY * m.abs())
            }
        };
        Some(d).filter(|d| d.is_finite())
    };
    let levels = NEEDED_PROBABILITIES
        .iter()
        .map(|&p| {
            let half = Z_95 * (p * (1.0 - p) / n).sqrt();
            let mean = shift_at(p, 0.0).map(|d| assumed + d);
            let ends: Vec<f64> = [(p - half, -1.0), (p - half, 1.0), (p + half, -1.0), (p + half, 1.0)]
                .into_iter()
                .filter_map(|(q, nudge)| shift_at(q, nudge))
                .map(|d| assumed + d)
                .collect();
            let (ci_low, ci_high) = match ends.len() {
                4 => (ends.iter().copied().reduce(f64::min), ends.iter().copied().reduce(f64::max)),
                _ => (None, None),
            };
            NeededLevel { probability: p, mean, ci_low, ci_high }
        })
        .collect();
    NeededGrowth { parameter: format!("{}:mean", driver.id), assumed, levels }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_sum_equation_is_solved_to_machine_precision() {
        for factors in [vec![1.05, 1.05, 1.05], vec![0.9, 1.2, 1.01], vec![0.2, 3.0], vec![1.0]] {
            for goal in [-2.0, -0.3, 0.0, 0.1, 0.5, 3.0] {
                for d in [solve_log_sum(&factors, goal), solve_product(&factors, goal)] {
                    let s: f64 = factors.iter().map(|&r| (d / (100.0 * r)).ln_1p()).sum();
                    assert!((s - goal).abs() <= 1e-12 * (1.0 + goal.abs()), "{factors:?} {goal}: δ = {d}, S = {s}");
                }
            }
        }
    }

    /// The product form against the log-sum reference on windows of 1 to 40 years (past the
    /// stack buffer), factors from deep falls to doublings and goals from −3 to 3, including
    /// roots near the floor `−100·min r` and tiny goals (where the product form must not cancel).
    #[test]
    fn product_form_agrees_with_the_log_sum_reference() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut worst: f64 = 0.0;
        for k in [1, 2, 3, 4, 6, 10, 33, 40] {
            for _ in 0..300 {
                let factors: Vec<f64> = (0..k).map(|_| 0.3 + 1.7 * uniform()).collect();
                for goal in [-3.0 * uniform(), 3.0 * uniform(), 1e-9 * (uniform() - 0.5), 0.0, -1e-300] {
                    let (reference, fast) = (solve_log_sum(&factors, goal), solve_product(&factors, goal));
                    let error = (fast - reference).abs() / (1e-300 + reference.abs().max(1e-12 * 100.0 * factors[0]));
                    worst = worst.max(error);
                    assert!(error <= 1e-12, "{factors:?}, goal {goal}: {fast} against {reference}");
                }
            }
        }
        eprintln!("largest relative difference: {worst:e}");
    }
}
