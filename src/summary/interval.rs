//! Confidence intervals for a probability estimated by Monte Carlo.

/// 97.5% quantile of the standard normal: a two-sided 95% interval.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// Wilson score interval (Wilson 1927) at 95% for `k` successes in `n` trials.
///
/// Unlike the normal-approximation (Wald) interval it stays inside [0, 1] and keeps its
/// coverage when the probability is close to 0 or 1, which plan targets often are.
pub fn wilson(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (low, high) = wilson_bounds(k as f64 / n as f64, n as f64);
    // At k = 0 and k = n the bounds are exactly 0 and 1; rounding must not move them.
    (if k == 0 { 0.0 } else { low }, if k == n { 1.0 } else { high })
}

/// Wilson's interval for an estimate `p` whose variance is that of `n_eff` independent trials
/// (`n_eff = p(1−p)/Var(p̂)`, possibly fractional): variance-reduced designs.
pub fn wilson_effective(p: f64, n_eff: f64) -> (f64, f64) {
    if n_eff.is_nan() || n_eff <= 0.0 || n_eff.is_infinite() {
        return (p, p);
    }
    wilson_bounds(p, n_eff)
}

/// Wilson's interval for an estimate `p` whose variance was estimated from `groups` independent
/// replicate groups (antithetic pairs, Latin hypercube blocks), at the effective number of paths
/// `n_eff = p(1−p)/Var(p̂)`: the normal quantile becomes the Student-t quantile with `groups − 1`
/// degrees of freedom, since the variance itself is an estimate from `groups` values (2.04
/// instead of 1.96 at 32 groups, 12.7 at 2). Needs `groups ≥ 2`.
pub fn wilson_replicated(p: f64, n_eff: f64, groups: u64) -> (f64, f64) {
    if n_eff.is_nan() || n_eff <= 0.0 || n_eff.is_infinite() || groups < 2 {
        return (p, p);
    }
    let quantile = crate::model::distribution::student_t_upper_quantile(0.025, (groups - 1) as f64);
    wilson_bounds_at(p, n_eff, quantile)
}

fn wilson_bounds(p: f64, n: f64) -> (f64, f64) {
    wilson_bounds_at(p, n, Z_95)
}

/// Wilson's score interval with quantile `z` (Z_95 for 95%).
fn wilson_bounds_at(p: f64, n: f64, z: f64) -> (f64, f64) {
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_values() {
        // Newcombe (1998), Table I: 81/263 → 0.2553–0.3662; 0/10 → 0–0.2775; 10/10 → 0.7225–1.
        let (lo, hi) = wilson(81, 263);
        assert!((lo - 0.2553).abs() < 5e-5 && (hi - 0.3662).abs() < 5e-5, "{lo} {hi}");
        let (lo, hi) = wilson(0, 10);
        assert!(lo == 0.0 && (hi - 0.2775).abs() < 5e-5);
        let (lo, hi) = wilson(10, 10);
        assert!((lo - 0.7225).abs() < 5e-5 && hi == 1.0);
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        let (lo, hi) = wilson_effective(81.0 / 263.0, 263.0);
        assert_eq!((lo, hi), wilson(81, 263));
    }

    #[test]
    fn replicated_intervals_widen_by_the_t_quantile() {
        // t(0.975; 31) = 2.0395134464 and t(0.975; 1) = 12.7062047362 (published tables).
        let t31 = crate::model::distribution::student_t_upper_quantile(0.025, 31.0);
        assert!((t31 - 2.039_513_446_4).abs() < 1e-9, "{t31}");
        let t1 = crate::model::distribution::student_t_upper_quantile(0.025, 1.0);
        assert!((t1 - 12.706_204_736_2).abs() < 1e-8, "{t1}");
        // Wilson at quantile t is Wilson at 1.96 with n scaled by (1.96/t)².
        let (lo, hi) = wilson_replicated(0.3, 500.0, 32);
        let (lo_z, hi_z) = wilson_effective(0.3, 500.0 * (Z_95 / t31).powi(2));
        assert!((lo - lo_z).abs() < 1e-12 && (hi - hi_z).abs() < 1e-12, "{lo} {hi} vs {lo_z} {hi_z}");
        // With many groups it is the normal interval.
        let (lo, hi) = wilson_replicated(0.3, 500.0, 1 << 40);
        let (lo_z, hi_z) = wilson_effective(0.3, 500.0);
        assert!((lo - lo_z).abs() < 1e-9 && (hi - hi_z).abs() < 1e-9);
        assert_eq!(wilson_replicated(0.3, 500.0, 1), (0.3, 0.3));
    }
}
