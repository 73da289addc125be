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
//!   Newton on the product form, [`solve_product`]) into its own sketch — by the block engine
//!   for 64 paths at a time ([`shifts_of_block`], the lanes' Newton steps side by side, the
//!   same bits as [`shift_on_path`]). δ* agrees with the log-form reference to ~1e-14 relative
//!   (tested), far inside the sketch's 2^-10 resolution.
//!
//! The driving level of a derived target must enter a monomial expression with exponent 1 and
//! the other factors must not be derived (so they do not move with it).

use serde::{Deserialize, Serialize};

use super::interval::Z_95;
use super::sketch::RELATIVE_ACCURACY;
use super::{Accumulator, Sketch};
use crate::engine::block::LANES;
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
    /// For CAGR and cumulative-growth targets, the growth factor over the window the threshold
    /// asks for: `(1 + threshold/100)^(to − from)` and `1 + threshold/100` (computed once, so a
    /// path pays no `ln`/`exp`); NaN for other metrics.
    pub scale: f64,
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
        let scale = match metric {
            Metric::Cagr { from, to, .. } => ((to - from) as f64 * (threshold / 100.0).ln_1p()).exp(),
            Metric::CumulativeGrowth { .. } => 1.0 + threshold / 100.0,
            _ => f64::NAN,
        };
        out.push(NeededPlan { target: t, driver, indicator, compounding, upward, slot, metric, threshold, scale });
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
    let target = match plan.metric {
        Metric::Value { year, .. } => relative_gap(thr, v(j, year)),
        Metric::Cagr { from, to, .. } | Metric::CumulativeGrowth { from, to, .. } => {
            relative_gap(plan.scale * v(j, from), v(j, to))
        }
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
    if !reachable(target) {
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
    solve_product(factors, target)
}

/// Years of growth [`shift_on_path_with`] keeps on the stack.
const MAX_WINDOW: usize = 32;

/// `a/b − 1`, written `(a − b)/b` so that a ratio near 1 does not cancel: when `a` is within a
/// factor 2 of `b` the difference is exact and the result is within half an ULP.
#[inline(always)]
fn relative_gap(a: f64, b: f64) -> f64 {
    (a - b) / b
}

/// Whether `Π (1 + δ u_t) = 1 + target` has a root on the path: a positive right-hand side.
#[inline(always)]
fn reachable(target: f64) -> bool {
    target > -1.0 && target < f64::INFINITY
}

/// The start of Newton's iteration on `p(δ) = e_1 δ + e_2 δ² + … = target`: the [1/1] Padé
/// approximant of the inverse series `δ = target/e_1 − e_2 target²/e_1³ + …`, right to second
/// order in `target` (and within 1e-3 relative of the root for equal factors and |target| ≤ 0.3).
#[inline(always)]
fn newton_start(target: f64, e1: f64, e2: f64) -> f64 {
    target / (e1 + target * e2 / e1)
}

/// Newton stops when a step moves δ by at most this much relative to `1 + |δ|` (δ in percentage
/// points, so about 1e-13 pp around small shifts: far below the sketch's 2^-10 resolution).
const STEP_TOLERANCE: f64 = 1e-13;

/// The δ with `Π (1 + δ u_t) = 1 + target` over `factors` r_t > 0, `u_t = 1/(100 r_t)`, i.e.
/// `Σ ln(1 + δ/(100 r_t)) = ln(1 + target)`: the polynomial `p(δ) = Σ_{j≥1} e_j δ^j = target`
/// (`e_j` the elementary symmetric polynomials of the `u_t`, all positive), so that an
/// iteration costs a Horner sum instead of one `log1p` per year (what [`solve_log_sum`] pays).
/// The caller passes `target = e^goal − 1` as a ratio minus one (see [`relative_gap`]), which
/// costs no `ln`/`expm1` and does not cancel near 0. On `δ > −100·min r` every factor
/// `1 + δ u_t` is positive, so `p` is increasing and convex there: Newton converges
/// monotonically to the root once right of it (and any step lands right of it); steps that leave
/// the bracket fall back to bisection. One year is solved in closed form. Agrees with
/// [`solve_log_sum`] to ~1e-13 relative (tested); [`shifts_of_block`] repeats it lane by lane,
/// same bits.
fn solve_product(factors: &[f64], target: f64) -> f64 {
    let k = factors.len();
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
    let floor = -100.0 * factors.iter().copied().fold(f64::INFINITY, f64::min);
    let mut d = newton_start(target, e[1], e[2]);
    let (mut lo, mut hi) = (floor, f64::INFINITY);
    for _ in 0..MAX_ITERATIONS {
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
        if (next - d).abs() <= STEP_TOLERANCE * (1.0 + d.abs()) {
            return next;
        }
        d = next;
    }
    d
}

/// Lanes [`shifts_of_block`] handed to the scalar fallback (tests check that it is exercised).
#[cfg(test)]
static FALLBACKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Iterations [`solve_product`] allows (bisection included; Newton alone needs a handful).
const MAX_ITERATIONS: usize = 100;

/// δ* of a simple-compounding `plan` (one with a slot) on the `out.len() ≤ LANES` paths of a
/// block, `column(i, y)` giving indicator `i`'s values in year `y` on them: exactly
/// [`shift_on_path_with`] lane by lane (same bits), computed as columns. The goals, factors and
/// elementary symmetric polynomials are columns, and the lanes' Newton steps run side by side
/// (each lane's own sequence of operations, frozen once it has converged) so that the compiler
/// vectorises them; a lane whose iterate leaves its bracket (the bisection fallback, or NaN) is
/// solved again by [`solve_product`], which takes the same steps up to there. Growth-every-year
/// targets and windows longer than the stack buffer go lane by lane.
#[inline(always)]
pub fn shifts_of_block<'a>(plan: &NeededPlan, column: impl Fn(usize, usize) -> &'a [f64] + Copy, out: &mut [f64]) {
    const L: usize = LANES;
    let len = out.len();
    assert!(len <= L, "a block has at most {L} paths");
    let (first, last) = window(&plan.metric);
    let solved = matches!(plan.metric, Metric::Value { .. } | Metric::Cagr { .. } | Metric::CumulativeGrowth { .. });
    let k = (last + 1).saturating_sub(first);
    if !solved || k == 0 || k > MAX_WINDOW {
        for (lane, o) in out.iter_mut().enumerate() {
            *o = shift_on_path_with(plan, move |i, y| column(i, y)[lane]);
        }
        return;
    }
    // The right-hand side `target` of Π (1 + δ u_t) = 1 + target, lane by lane.
    let j = plan.indicator;
    let mut target = [f64::NAN; L];
    match plan.metric {
        Metric::Value { year, .. } => {
            let thr = plan.threshold;
            for (t, &v) in target.iter_mut().zip(&column(j, year)[..len]) {
                *t = relative_gap(thr, v);
            }
        }
        Metric::Cagr { from, to, .. } | Metric::CumulativeGrowth { from, to, .. } => {
            let scale = plan.scale;
            for ((t, &a), &b) in target.iter_mut().zip(&column(j, from)[..len]).zip(&column(j, to)[..len]) {
                *t = relative_gap(scale * a, b);
            }
        }
        _ => unreachable!("only value, CAGR and cumulative-growth plans are solved"),
    }
    let mut valid = [false; L];
    for (ok, &t) in valid.iter_mut().zip(&target[..len]) {
        *ok = reachable(t);
    }
    // Stack arrays as small as the window allows (they are filled for every plan and block).
    match k {
        1..=4 => solve_columns::<4>(plan, column, &target, valid, out),
        5..=8 => solve_columns::<8>(plan, column, &target, valid, out),
        _ => solve_columns::<MAX_WINDOW>(plan, column, &target, valid, out),
    }
}

/// The column solver of [`shifts_of_block`] for windows of at most `W` years, from the lanes'
/// right-hand sides `target` and whether those are reachable.
#[inline(always)]
fn solve_columns<'a, const W: usize>(
    plan: &NeededPlan,
    column: impl Fn(usize, usize) -> &'a [f64] + Copy,
    target: &[f64; LANES],
    mut valid: [bool; LANES],
    out: &mut [f64],
) {
    const L: usize = LANES;
    let len = out.len();
    let (first, last) = window(&plan.metric);
    let k = last + 1 - first;
    debug_assert!((1..=W).contains(&k));
    // The driver's growth factors over the window (1 in the lanes past `len`).
    let mut factors = [[1.0; L]; W];
    for (n, t) in (first..=last).enumerate() {
        let (previous, current) = (&column(plan.driver, t - 1)[..len], &column(plan.driver, t)[..len]);
        for (((r, ok), &p), &c) in factors[n].iter_mut().zip(&mut valid).zip(previous).zip(current) {
            *r = c / p;
            // Positive and finite.
            *ok &= (*r > 0.0) & (*r < f64::INFINITY);
        }
    }
    if k == 1 {
        for (lane, o) in out.iter_mut().enumerate() {
            *o = if valid[lane] { 100.0 * factors[0][lane] * target[lane] } else { f64::NAN };
        }
        return;
    }
    // e_1..e_k as columns (`e[j − 1]` = e_j), by the recurrence of `solve_product`; e_0 = 1 is
    // implicit (`u · e_0` is `u`, exactly).
    let mut e = [[0.0; L]; W];
    for (n, r) in factors[..k].iter().enumerate() {
        let mut u = [0.0; L];
        for (u, &r) in u.iter_mut().zip(r) {
            *u = 1.0 / (100.0 * r);
        }
        for j in (2..=n + 1).rev() {
            let (below, above) = e.split_at_mut(j - 1);
            for ((c, &b), &u) in above[0].iter_mut().zip(&below[j - 2]).zip(&u) {
                *c += u * b;
            }
        }
        for (c, &u) in e[0].iter_mut().zip(&u) {
            *c += u;
        }
    }
    let mut lo = [f64::INFINITY; L];
    for r in &factors[..k] {
        for (m, &r) in lo.iter_mut().zip(r) {
            *m = m.min(r);
        }
    }
    let mut d = [0.0; L];
    for lane in 0..L {
        lo[lane] *= -100.0;
        d[lane] = newton_start(target[lane], e[0][lane], e[1][lane]);
    }
    let mut hi = [f64::INFINITY; L];
    let mut result = [f64::NAN; L];
    let (mut active, mut fallback) = (valid, [false; L]);
    for _ in 0..MAX_ITERATIONS {
        if !active.iter().any(|&a| a) {
            break;
        }
        // Out of the bracket: `solve_product` would bisect here.
        for lane in 0..L {
            let outside = !((d[lane] > lo[lane]) & (d[lane] < hi[lane]));
            fallback[lane] |= active[lane] & outside;
            active[lane] &= !outside;
        }
        let (mut value, mut slope) = ([0.0; L], [0.0; L]);
        for c in e[..k].iter().rev() {
            for lane in 0..L {
                slope[lane] = slope[lane] * d[lane] + value[lane];
                value[lane] = value[lane] * d[lane] + c[lane];
            }
        }
        for lane in 0..L {
            let (x, a) = (d[lane], active[lane]);
            let f = value[lane] * x - target[lane];
            let s = value[lane] + slope[lane] * x;
            let (zero, below) = (f == 0.0, f < 0.0);
            lo[lane] = if a & below { x } else { lo[lane] };
            hi[lane] = if a & !below { x } else { hi[lane] };
            let next = x - f / s;
            let converged = (next - x).abs() <= STEP_TOLERANCE * (1.0 + x.abs());
            result[lane] = if a & zero {
                x
            } else if a & converged {
                next
            } else {
                result[lane]
            };
            active[lane] = a & !zero & !converged;
            d[lane] = if a { next } else { x };
        }
    }
    for (lane, o) in out.iter_mut().enumerate() {
        *o = if active[lane] {
            d[lane]
        } else if fallback[lane] {
            #[cfg(test)]
            FALLBACKS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut buffer = [0.0; MAX_WINDOW];
            for (b, r) in buffer.iter_mut().zip(&factors[..k]) {
                *b = r[lane];
            }
            solve_product(&buffer[..k], target[lane])
        } else {
            result[lane]
        };
    }
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
                for d in [solve_log_sum(&factors, goal), solve_product(&factors, goal.exp_m1())] {
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
                    let (reference, fast) = (solve_log_sum(&factors, goal), solve_product(&factors, goal.exp_m1()));
                    let error = (fast - reference).abs() / (1e-300 + reference.abs().max(1e-12 * 100.0 * factors[0]));
                    worst = worst.max(error);
                    assert!(error <= 1e-12, "{factors:?}, goal {goal}: {fast} against {reference}");
                }
            }
        }
        eprintln!("largest relative difference: {worst:e}");
    }

    /// A plan on indicator 1 (the driver, or driver × indicator 0 when `product`) for `metric`.
    fn plan_for(metric: Metric, threshold: f64, upward: bool) -> NeededPlan {
        let scale = match metric {
            Metric::Cagr { from, to, .. } => ((to - from) as f64 * (threshold / 100.0).ln_1p()).exp(),
            Metric::CumulativeGrowth { .. } => 1.0 + threshold / 100.0,
            _ => f64::NAN,
        };
        let indicator = match metric {
            Metric::Value { indicator, .. }
            | Metric::Cagr { indicator, .. }
            | Metric::CumulativeGrowth { indicator, .. }
            | Metric::GrowthEveryYear { indicator, .. } => indicator,
            _ => 1,
        };
        NeededPlan {
            target: 0,
            driver: 1,
            indicator,
            compounding: Compounding::Simple,
            upward,
            slot: Some(0),
            metric,
            threshold,
            scale,
        }
    }

    fn xorshift(seed: u64) -> impl FnMut() -> f64 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// The column solver gives every lane exactly the bits of the path-by-path solver, on random
    /// blocks and adversarial ones: equal factors, one year, windows past the stack buffer,
    /// widely different factors (roots near the floor −100·min r, where Newton's iterate can
    /// leave its bracket and the lane goes to the scalar fallback), goals near 0, huge goals,
    /// unreachable goals, zero, negative, infinite and NaN levels, and short blocks.
    #[test]
    fn column_solver_gives_the_bits_of_the_path_solver() {
        const L: usize = LANES;
        let mut uniform = xorshift(0x2545_f491_4f6c_dd1d);
        let mut lanes = 0usize;
        let fallbacks = FALLBACKS.load(std::sync::atomic::Ordering::Relaxed);
        for case in 0..600 {
            let n_years = [2, 3, 4, 5, 8, 36][case % 6];
            let len = if case % 7 == 3 { 1 + case % L } else { L };
            // Indicator 0: a positive cofactor; indicator 1: the driver; indicator 2: their product.
            let mut values = vec![0.0; 3 * n_years * L];
            let at = |i: usize, y: usize, lane: usize| (i * n_years + y) * L + lane;
            let style = case % 5;
            for lane in 0..L {
                let base = 10f64.powf(6.0 * uniform() - 3.0);
                let mut level = base;
                let common = 0.5 + uniform();
                for y in 0..n_years {
                    if y > 0 {
                        let factor = match style {
                            0 => 0.9 + 0.25 * uniform(),
                            1 => common,
                            2 => 10f64.powf(3.0 * uniform() - 1.5),
                            3 => [1.05, 1e-3, 40.0, 1.0][(lane + y) % 4] * (1.0 + 1e-9 * uniform()),
                            _ => 0.3 + 1.7 * uniform(),
                        };
                        level *= factor;
                    }
                    values[at(1, y, lane)] = level;
                    values[at(0, y, lane)] = 0.5 + uniform();
                    values[at(2, y, lane)] = level * values[at(0, y, lane)];
                }
                // A few broken lanes.
                if lane % 17 == 5 {
                    let y = 1 + lane % (n_years - 1);
                    values[at(1, y, lane)] = [0.0, -1.0, f64::INFINITY, f64::NAN][(lane / 17 + case) % 4];
                }
            }
            let last = n_years - 1;
            let year = 1 + case % last;
            let from = case % last;
            let indicator = if case % 3 == 0 { 2 } else { 1 };
            let v_end = values[at(indicator, year, 0)];
            let thresholds = [
                v_end * 1.3,
                v_end * (1.0 + 1e-15),
                v_end * (1.0 - 1e-13),
                v_end * 1e6,
                v_end * 1e-6,
                0.0,
                -v_end,
                f64::NAN,
            ];
            let growths = [5.0, 0.0, -99.0, 1e-12, 300.0, -100.0, -150.0, 7.5];
            let k = case % thresholds.len();
            let metrics = [
                (Metric::Value { indicator, year }, thresholds[k]),
                (Metric::Cagr { indicator, from, to: last }, growths[k]),
                (Metric::CumulativeGrowth { indicator, from, to: last }, 3.0 * growths[k]),
                (Metric::GrowthEveryYear { indicator, from, to: last }, growths[k]),
            ];
            for (metric, threshold) in metrics {
                for upward in [true, false] {
                    let plan = plan_for(metric.clone(), threshold, upward);
                    let column = |i: usize, y: usize| &values[at(i, y, 0)..at(i, y, 0) + len];
                    let mut out = vec![0.0; len];
                    shifts_of_block(&plan, column, &mut out);
                    for (lane, &fast) in out.iter().enumerate() {
                        let reference = shift_on_path_with(&plan, |i, y| values[at(i, y, lane)]);
                        assert!(
                            fast.to_bits() == reference.to_bits() || (fast.is_nan() && reference.is_nan()),
                            "case {case}, {metric:?} {threshold} lane {lane}: {fast:e} against {reference:e}"
                        );
                        lanes += 1;
                    }
                }
            }
        }
        // Lanes of every kind were compared, and some went through the scalar fallback.
        assert!(lanes > 100_000, "{lanes} lanes");
        let fallbacks = FALLBACKS.load(std::sync::atomic::Ordering::Relaxed) - fallbacks;
        assert!(fallbacks > 0, "no lane needed the fallback");
        eprintln!("{lanes} lanes, {fallbacks} through the fallback");
    }

    /// δ* on a path solves the log-form equation of the old formulation —
    /// `Σ_t ln(1 + δ/(100 r_t)) = ln(thr / v)` for a value, `n·ln(1 + thr/100) − ln(v_to/v_from)`
    /// for a CAGR — to within 1e-12 of the reference [`solve_log_sum`] (relative to the root,
    /// or absolute in pp near 0), on goals from tiny to large.
    #[test]
    fn path_solver_agrees_with_the_log_form() {
        let mut uniform = xorshift(0x9e37_79b9_7f4a_7c15);
        let mut worst: f64 = 0.0;
        for case in 0..4000 {
            let n_years = 2 + case % 6;
            let mut values = vec![0.0; 2 * n_years];
            let mut level = 10f64.powf(4.0 * uniform() - 2.0);
            for y in 0..n_years {
                if y > 0 {
                    level *= 0.4 + 1.2 * uniform();
                }
                values[n_years + y] = level;
                values[y] = 1.0;
            }
            let v = |i: usize, y: usize| values[i * n_years + y];
            let last = n_years - 1;
            let factors: Vec<f64> = (1..=last).map(|t| v(1, t) / v(1, t - 1)).collect();
            let gap = [0.3 * (uniform() - 0.3), 1e-10 * (uniform() - 0.5), 4.0 * uniform(), -0.9 * uniform()][case % 4];
            let (metric, threshold, goal) = if case % 2 == 0 {
                let threshold = v(1, last) * (1.0 + gap);
                (Metric::Value { indicator: 1, year: last }, threshold, (threshold / v(1, last)).ln())
            } else {
                let growth = 100.0 * gap / last as f64;
                let goal = last as f64 * (growth / 100.0).ln_1p() - (v(1, last) / v(1, 0)).ln();
                (Metric::Cagr { indicator: 1, from: 0, to: last }, growth, goal)
            };
            let plan = plan_for(metric, threshold, true);
            let fast = shift_on_path_with(&plan, v);
            let reference = solve_log_sum(&factors, goal);
            let error = (fast - reference).abs() / reference.abs().max(1.0);
            worst = worst.max(error);
            assert!(error <= 1e-12, "case {case}: {factors:?}, goal {goal}: {fast} against {reference}");
        }
        eprintln!("largest difference: {worst:e}");
    }
}
