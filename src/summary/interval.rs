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

fn wilson_bounds(p: f64, n: f64) -> (f64, f64) {
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 / denominator * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
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
}
