//! Every distribution at every finite parameter the format accepts (issue 11): a table of
//! extreme parameter sets (±1e308, 1e-308, subnormals, huge spreads, ends that meet, counts at
//! their limits) for each family. Each set is either refused by [`Marginal::validate`] with a
//! message saying what to do, or gives draws that are finite, inside the support, monotone in
//! the normal score, the same from the tables ([`FastMarginal`]) as from the reference, and
//! correct: `cdf(x(z)) = Φ(z)` where the distribution resolves it.

use super::*;

/// Extreme finite values: both ends of the range, the smallest normal and subnormal numbers,
/// and ordinary ones between.
const VALUES: [f64; 15] = [
    -f64::MAX,
    -1e308,
    -1e154,
    -5.0,
    -1e-300,
    -f64::MIN_POSITIVE,
    -5e-324,
    0.0,
    5e-324,
    1e-308,
    1e-300,
    1.0,
    1e154,
    1e308,
    f64::MAX,
];

/// Positive scales (sd, spread, dispersion).
fn scales() -> impl Iterator<Item = f64> {
    VALUES.into_iter().filter(|&v| v > 0.0)
}

/// Normal scores at which draws are checked: the bulk, the tails a run of 10^12 paths reaches
/// (|z| ≈ 7), and the ends of what the engine's normals can produce.
const SCORES: [f64; 15] = [-38.0, -20.0, -8.0, -3.0, -1.0, -0.3, -1e-10, 0.0, 1e-10, 0.3, 1.0, 3.0, 8.0, 20.0, 38.0];

/// Every parameter set of the table, with the family's name.
fn cases() -> Vec<(&'static str, Marginal)> {
    let mut out = Vec::new();
    for mean in VALUES {
        for sd in scales() {
            out.push(("normal", Marginal::Normal { mean, sd }));
            for df in [2.000_000_1, 3.0, 1e12] {
                if let Ok(m) = Marginal::student_t_from_sd(mean, sd, df) {
                    out.push(("student_t", m));
                }
            }
            for sd_high in [sd, 1.0, 1e-300, 1e308] {
                out.push(("split_normal", Marginal::SplitNormal { mode: mean, sd_low: sd, sd_high }));
            }
        }
        out.push(("fixed", Marginal::Fixed { value: mean }));
    }
    for (i, &min) in VALUES.iter().enumerate() {
        for (j, &max) in VALUES.iter().enumerate().skip(i) {
            out.push(("uniform", Marginal::Uniform { min, max }));
            for &mode in &VALUES[i..=j] {
                out.push(("triangular", Marginal::Triangular { min, mode, max }));
                out.push(("pert", Marginal::Pert { min, mode, max }));
            }
        }
    }
    let means = [0.0, 5e-324, 1e-308, 1e-10, 0.5, 1.0, 1e4, MAX_COUNT_MEAN];
    for mean in means {
        out.push(("poisson", Marginal::Poisson { mean }));
        for dispersion in [5e-324, 1e-308, 1e-10, 1.0, 1e8, 1e308, f64::MAX] {
            out.push(("negbin", Marginal::NegativeBinomial { mean, dispersion }));
        }
    }
    out
}

#[test]
fn every_accepted_parameter_set_gives_finite_correct_draws() {
    let (mut accepted, mut refused) = (0, 0);
    let mut problems = Vec::new();
    for (family, m) in cases() {
        if let Err(message) = m.validate() {
            // A refusal says what was wrong and what to do about it.
            assert!(message.contains("must") || message.contains("overflow"), "{family} {m:?}: {message}");
            refused += 1;
            continue;
        }
        accepted += 1;
        let fast = FastMarginal::new(&m);
        let (lo, hi) = m.support();
        let spread = spread(&m);
        // Rounding: 1e-12 of the larger of the draw and the distribution's spread.
        let tolerance = |x: f64| 1e-12 * x.abs().max(spread) + f64::MIN_POSITIVE;
        let mut previous = f64::NEG_INFINITY;
        for z in SCORES {
            let x = fast.from_standard_normal(z);
            let exact = m.from_standard_normal_exact(z);
            let mut wrong = Vec::new();
            if !x.is_finite() {
                wrong.push("not finite".to_string());
            }
            if !(lo <= x && x <= hi) {
                wrong.push(format!("outside the support [{lo:e}, {hi:e}]"));
            }
            if x < previous - tolerance(previous) {
                wrong.push(format!("below the draw at a smaller score ({previous:e})"));
            }
            if (x - exact).abs() > tolerance(x.abs().max(exact.abs())) && x.to_bits() != exact.to_bits() {
                wrong.push(format!("tables give {x:e}, the reference {exact:e}"));
            }
            // Correct: the draw's probability is the score's, where the family resolves it
            // (continuous, and the draw not clamped at ±f64::MAX).
            if !m.is_discrete() && !matches!(m, Marginal::Fixed { .. }) && z.abs() <= 3.0 && x.abs() < f64::MAX {
                let (phi, _) = normal_tails(z);
                let p = m.cdf(x);
                // The cdf at a draw is within the change of the cdf over one ULP of the draw.
                let step = (m.cdf(next_up(x)) - m.cdf(next_down(x))).abs();
                if (p - phi).abs() > 1e-9 + step {
                    wrong.push(format!("cdf(x) = {p:e}, Φ(z) = {phi:e}"));
                }
            }
            if !wrong.is_empty() {
                problems.push(format!("{family} {m:?} at z = {z}: x = {x:e}: {}", wrong.join("; ")));
            }
            previous = previous.max(x);
        }
    }
    assert!(accepted > 1000 && refused > 100, "{accepted} accepted, {refused} refused");
    assert!(
        problems.is_empty(),
        "{} problems, e.g.\n{}",
        problems.len(),
        problems[..problems.len().min(100_000)].join("\n")
    );
}

/// The distribution's width: its range when bounded, else its standard deviation (the t's
/// scale when that is infinite).
fn spread(m: &Marginal) -> f64 {
    let (lo, hi) = m.support();
    match *m {
        _ if (hi - lo).is_finite() => hi - lo,
        Marginal::StudentT { scale, .. } => scale.max(m.sd().min(f64::MAX)),
        _ => m.sd().min(f64::MAX),
    }
}

fn next_up(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        x
    } else if x == 0.0 {
        5e-324
    } else if x > 0.0 {
        f64::from_bits(x.to_bits() + 1)
    } else {
        f64::from_bits(x.to_bits() - 1)
    }
}

fn next_down(x: f64) -> f64 {
    -next_up(-x)
}
