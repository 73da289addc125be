//! Monte Carlo estimates against exact probabilities.

use statrs::distribution::{ContinuousCDF, DiscreteCDF, Poisson, StudentsT};

use crate::util::{assert_probability, header, model, phi, run};

const N: u64 = 200_000;
const SEED: u64 = 20_240_101;

/// Lognormal growth: with i.i.d. normal log-growth (mean μ, sd σ, in percent) over n years,
/// P(X_n ≥ T) = 1 − Φ((100·ln(T/X₀) − nμ)/(σ√n)).
#[test]
fn lognormal_growth_has_the_exact_probability() {
    let (x0, mu, sigma, n_years) = (100.0_f64, 5.0, 3.0, 3.0_f64);
    let cases = [(112.0, "below the median"), (118.0, "above the median"), (130.0, "in the tail")];
    let mut text = header(2024);
    text += &format!(
        "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = {x0}\nsource = \"test\"\ncompounding = \"log\"\ngrowth = {{ dist = \"normal\", mean = {mu}, sd = {sigma} }}\n"
    );
    for (k, (t, _)) in cases.iter().enumerate() {
        text += &format!(
            "[[target]]\nid = \"t{k}\"\nmetric = \"value\"\nindicator = \"x\"\nyear = 2024\ncomparator = \">=\"\nthreshold = {t}\n"
        );
    }
    let summary = run(&model(&text), N, SEED);
    for (k, (t, what)) in cases.iter().enumerate() {
        let exact = 1.0 - phi((100.0 * (t / x0).ln() - n_years * mu) / (sigma * n_years.sqrt()));
        assert_probability(what, summary.targets[k].hits, N, exact);
    }
}

/// Simple compounding with a CAGR target is the same event as a level target:
/// CAGR ≥ g ⇔ Π(1+g_t) ≥ (1+g)^n.  With log compounding and normal growth it is exact too.
#[test]
fn cagr_and_cumulative_growth_match_the_lognormal_closed_form() {
    let (mu, sigma) = (6.0, 2.0);
    let text = header(2024)
        + &format!(
            "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 50\nsource = \"test\"\ncompounding = \"log\"\ngrowth = {{ dist = \"normal\", mean = {mu}, sd = {sigma} }}\n"
        )
        + "[[target]]\nid = \"cagr\"\nmetric = \"cagr\"\nindicator = \"x\"\nfrom = 2021\nto = 2024\ncomparator = \">=\"\nthreshold = 6.5\n"
        + "[[target]]\nid = \"cum\"\nmetric = \"cumulative_growth\"\nindicator = \"x\"\nfrom = 2021\nto = 2024\ncomparator = \"<\"\nthreshold = 20\n";
    let summary = run(&model(&text), N, SEED);
    let n = 3.0_f64;
    // CAGR ≥ 6.5%  ⇔  sum of log-growth ≥ 100·3·ln(1.065)
    let exact = 1.0 - phi((100.0 * n * 1.065_f64.ln() - n * mu) / (sigma * n.sqrt()));
    assert_probability("cagr", summary.targets[0].hits, N, exact);
    let exact = phi((100.0 * 1.2_f64.ln() - n * mu) / (sigma * n.sqrt()));
    assert_probability("cumulative growth", summary.targets[1].hits, N, exact);
}

/// Additive normal changes: X₃ = X₀ + Σd_t ~ N(X₀ + 3μ, 3σ²) when the bounds never bind.
#[test]
fn additive_normal_changes_have_the_exact_probability() {
    let text = header(2024)
        + "[[indicator]]\nid = \"r\"\nkind = \"rate\"\nbase = 50\nsource = \"test\"\nbounds = [-1000, 1000]\nchange = { dist = \"normal\", mean = 0.5, sd = 1.0 }\n"
        + "[[target]]\nid = \"t\"\nmetric = \"value\"\nindicator = \"r\"\ncomparator = \">=\"\nthreshold = 52\n"
        + "[[target]]\nid = \"every\"\nmetric = \"change_every_year\"\nindicator = \"r\"\ncomparator = \">\"\nthreshold = 0\n";
    let summary = run(&model(&text), N, SEED);
    let exact = 1.0 - phi((52.0 - 51.5) / 3.0_f64.sqrt());
    assert_probability("level of a rate", summary.targets[0].hits, N, exact);
    // Every yearly change positive: independent years, P = Φ(0.5)^3.
    assert_probability("change in every year", summary.targets[1].hits, N, phi(0.5).powi(3));
}

/// Clamping at the bounds: a share that starts at 99 and gains 2 points a year is 100 for sure.
#[test]
fn rates_stay_within_their_bounds() {
    let text = header(2022)
        + "[[indicator]]\nid = \"s\"\nkind = \"rate\"\nbase = 99\nsource = \"test\"\nchange = { dist = \"normal\", mean = 2, sd = 3 }\n"
        + "[[target]]\nid = \"t\"\nmetric = \"value\"\nindicator = \"s\"\ncomparator = \"<=\"\nthreshold = 100\n"
        + "[[target]]\nid = \"full\"\nmetric = \"value\"\nindicator = \"s\"\ncomparator = \">=\"\nthreshold = 100\n";
    let summary = run(&model(&text), 50_000, SEED);
    assert_eq!(summary.targets[0].hits, 50_000);
    assert!(summary.targets[0].quantiles.max <= 100.0);
    // P(99 + d ≥ 100) = P(d ≥ 1) = 1 − Φ(−1/3), all clamped to exactly 100.
    assert_probability("clamped at 100", summary.targets[1].hits, 50_000, 1.0 - phi(-1.0 / 3.0));
}

/// Poisson counts: three years of Poisson(20) additions sum to Poisson(60).
#[test]
fn poisson_counts_have_the_exact_probability() {
    let text = header(2024)
        + "[[indicator]]\nid = \"c\"\nkind = \"count\"\nbase = 100\nsource = \"test\"\nadditions = { dist = \"poisson\", mean = 20 }\n"
        + "[[target]]\nid = \"t\"\nmetric = \"value\"\nindicator = \"c\"\ncomparator = \">=\"\nthreshold = 165\n"
        + "[[target]]\nid = \"per_year\"\nmetric = \"change_every_year\"\nindicator = \"c\"\ncomparator = \">=\"\nthreshold = 18\n";
    let summary = run(&model(&text), N, SEED);
    let sum = Poisson::new(60.0).unwrap();
    assert_probability("count", summary.targets[0].hits, N, 1.0 - sum.cdf(64));
    let year = Poisson::new(20.0).unwrap();
    assert_probability("count every year", summary.targets[1].hits, N, (1.0 - year.cdf(17)).powi(3));
}

/// A correlated pair: with shocks correlated at ρ every year, the sums are bivariate normal with
/// correlation ρ, and P(both above their medians) = 1/4 + arcsin(ρ)/(2π) (Sheppard 1899).
#[test]
fn correlated_pair_has_the_bivariate_normal_orthant_probability() {
    let rho = 0.6_f64;
    let text = header(2024)
        + "[[indicator]]\nid = \"a\"\nkind = \"level\"\nbase = 100\nsource = \"test\"\ncompounding = \"log\"\ngrowth = { dist = \"normal\", mean = 5, sd = 2 }\n"
        + "[[indicator]]\nid = \"b\"\nkind = \"level\"\nbase = 100\nsource = \"test\"\ncompounding = \"log\"\ngrowth = { dist = \"normal\", mean = 3, sd = 4 }\n"
        + &format!("[[correlation]]\nbetween = [\"a\", \"b\"]\nrho = {rho}\n")
        + &format!(
            "[[target]]\nid = \"ta\"\nregion = \"r\"\nmetric = \"value\"\nindicator = \"a\"\ncomparator = \">=\"\nthreshold = {}\n",
            100.0 * 0.15_f64.exp()
        )
        + &format!(
            "[[target]]\nid = \"tb\"\nregion = \"r\"\nmetric = \"value\"\nindicator = \"b\"\ncomparator = \">=\"\nthreshold = {}\n",
            100.0 * 0.09_f64.exp()
        );
    let summary = run(&model(&text), N, SEED);
    let exact = 0.25 + rho.asin() / (2.0 * std::f64::consts::PI);
    assert_probability("both", summary.regions[0].all_hit.hits, N, exact);
    assert_probability("a alone", summary.targets[0].hits, N, 0.5);
    // Relative target: a's growth above b's: difference of correlated normals,
    // mean 2 per year, variance per year 2² + 4² − 2ρ·2·4.
    let rel = header(2024)
        + &text[header(2024).len()..text.find("[[target]]").unwrap()]
        + "[[target]]\nid = \"rel\"\nmetric = \"cagr\"\nindicator = \"a\"\nversus = { metric = \"cagr\", indicator = \"b\" }\ncomparator = \">\"\nthreshold = 0\n";
    let summary = run(&model(&rel), N, SEED);
    let sd = (4.0 + 16.0 - 2.0 * rho * 8.0_f64).sqrt();
    assert_probability("relative", summary.targets[0].hits, N, phi(2.0 * 3.0_f64.sqrt() / sd));
}

/// AR(1) persistence φ: Var(s₁+s₂+s₃) = 3 + 4φ + 2φ² for unit-variance shocks.
#[test]
fn persistence_widens_the_three_year_spread_exactly() {
    let phi_ar = 0.5_f64;
    let text = header(2024)
        + &format!(
            "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"test\"\ncompounding = \"log\"\npersistence = {phi_ar}\ngrowth = {{ dist = \"normal\", mean = 4, sd = 2 }}\n"
        )
        + &format!(
            "[[target]]\nid = \"t\"\nmetric = \"value\"\nindicator = \"x\"\ncomparator = \">=\"\nthreshold = {}\n",
            100.0 * 0.16_f64.exp()
        );
    let summary = run(&model(&text), N, SEED);
    let sd = 2.0 * (3.0 + 4.0 * phi_ar + 2.0 * phi_ar * phi_ar).sqrt();
    assert_probability("persistent", summary.targets[0].hits, N, 1.0 - phi(4.0 / sd));
}

/// Heavier tails and skew: one year of Student-t and split-normal growth.
#[test]
fn student_t_and_split_normal_marginals_have_their_exact_probabilities() {
    let text = header(2022)
        + "[[indicator]]\nid = \"t\"\nkind = \"level\"\nbase = 100\nsource = \"test\"\ncompounding = \"log\"\ngrowth = { dist = \"student_t\", mean = 5, sd = 3, df = 4 }\n"
        + "[[indicator]]\nid = \"s\"\nkind = \"level\"\nbase = 100\nsource = \"test\"\ncompounding = \"log\"\ngrowth = { dist = \"split_normal\", mode = 5, sd_low = 3, sd_high = 1 }\n"
        + &format!(
            "[[target]]\nid = \"tail\"\nmetric = \"value\"\nindicator = \"t\"\ncomparator = \">=\"\nthreshold = {}\n",
            100.0 * 0.11_f64.exp()
        )
        + &format!(
            "[[target]]\nid = \"up\"\nmetric = \"value\"\nindicator = \"s\"\ncomparator = \">=\"\nthreshold = {}\n",
            100.0 * 0.05_f64.exp()
        )
        + &format!(
            "[[target]]\nid = \"down\"\nmetric = \"value\"\nindicator = \"s\"\ncomparator = \"<\"\nthreshold = {}\n",
            100.0 * 0.02_f64.exp()
        );
    let summary = run(&model(&text), N, SEED);
    // t with sd 3 and df 4 has scale 3·sqrt(2/4).
    let scale = 3.0 * 0.5_f64.sqrt();
    let exact = 1.0 - StudentsT::new(0.0, 1.0, 4.0).unwrap().cdf(6.0 / scale);
    assert_probability("student t tail", summary.targets[0].hits, N, exact);
    // Split normal: P(X ≥ mode) = sd_high/(sd_low + sd_high); below the mode
    // F(x) = 2·sd_low/(sd_low+sd_high)·Φ((x−mode)/sd_low).
    assert_probability("split normal upside", summary.targets[1].hits, N, 0.25);
    assert_probability("split normal downside", summary.targets[2].hits, N, 1.5 * phi(-1.0));
}

/// Uncertain base values: a uniform base with no growth keeps its distribution.
#[test]
fn uncertain_base_is_drawn_from_its_distribution() {
    let text = header(2022)
        + "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase_dist = { dist = \"uniform\", min = 50, max = 150 }\nassumption = \"test\"\ngrowth = { dist = \"fixed\", value = 0 }\n"
        + "[[target]]\nid = \"t\"\nmetric = \"value\"\nindicator = \"x\"\nyear = 2021\ncomparator = \">=\"\nthreshold = 120\n"
        + "[[target]]\nid = \"same\"\nmetric = \"change\"\nindicator = \"x\"\ncomparator = \"<=\"\nthreshold = 0\n";
    let summary = run(&model(&text), N, SEED);
    assert_probability("uniform base", summary.targets[0].hits, N, 0.3);
    assert_eq!(summary.targets[1].hits, N, "zero growth keeps the level");
}

/// Derived indicators: sums over a group, shares, nominal = real × price; rank among competitors.
#[test]
fn derived_indicators_shares_and_ranks_are_computed_exactly() {
    let text = header(2022)
        + "[groups]\nall = [\"a\", \"b\"]\n"
        + "[[indicator]]\nid = \"a.gdp\"\nkind = \"level\"\nbase = 60\nsource = \"test\"\ngrowth = { dist = \"fixed\", value = 10 }\n"
        + "[[indicator]]\nid = \"b.gdp\"\nkind = \"level\"\nbase = 40\nsource = \"test\"\ngrowth = { dist = \"fixed\", value = 0 }\n"
        + "[[indicator]]\nid = \"total\"\nkind = \"derived\"\nexpr = \"sum(all.gdp)\"\n"
        + "[[indicator]]\nid = \"price\"\nkind = \"level\"\nbase = 1\nsource = \"test\"\ngrowth = { dist = \"fixed\", value = 2 }\n"
        + "[[indicator]]\nid = \"nominal\"\nkind = \"derived\"\nexpr = \"total * price\"\n"
        + "[[target]]\nid = \"sum\"\nmetric = \"value\"\nindicator = \"total\"\ncomparator = \">=\"\nthreshold = 105.9\n"
        + "[[target]]\nid = \"share\"\nmetric = \"share\"\nnumerator = \"a.gdp\"\ndenominator = \"total\"\ncomparator = \">=\"\nthreshold = 62.2\n"
        + "[[target]]\nid = \"nominal\"\nmetric = \"value\"\nindicator = \"nominal\"\ncomparator = \">=\"\nthreshold = 108.1\n"
        + "[[target]]\nid = \"rank\"\nmetric = \"rank\"\nindicator = \"b.gdp\"\ncompetitors = [\"a.gdp\"]\ncomparator = \"<=\"\nthreshold = 1\n";
    let summary = run(&model(&text), 1000, SEED);
    let p50 = |k: usize| summary.targets[k].quantiles.p50;
    assert_eq!(summary.targets[0].hits, 1000);
    assert!((p50(0) - 106.0).abs() <= 106.0 * 1e-3);
    assert!((p50(1) - 6600.0 / 106.0).abs() <= 62.3 * 1e-3);
    assert_eq!(summary.targets[1].hits, 1000);
    assert!((p50(2) - 108.12).abs() <= 108.12 * 1e-3);
    assert_eq!(summary.targets[3].hits, 0, "b is second of two");
    assert_eq!(p50(3), 2.0);
}

/// The thresholds hit with 50% and 80% probability are quantiles of the tested quantity: for a
/// lognormal level X₃ = X₀·exp(S/100), S ~ N(3μ, 3σ²), the threshold x with P(X₃ ≥ x) = 0.8 is
/// X₀·exp((3μ + σ√3·z₀.₂)/100), and with P(X₃ ≤ x) = 0.8 it is the same with z₀.₈. The bound is
/// the sketch's relative accuracy 2^-10 plus 4.5 standard errors of a sample quantile,
/// √(q(1−q)/n)/f(x_q), which for the lognormal is x_q·s·√(q(1−q)/n)/φ(z_q) with s = σ√3/100.
#[test]
fn thresholds_for_50_and_80_percent_are_the_lognormal_quantiles() {
    use statrs::distribution::Normal;
    let (x0, mu, sigma, n_years) = (100.0_f64, 5.0, 3.0, 3.0_f64);
    let mut text = header(2024);
    text += &format!(
        "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = {x0}\nsource = \"test\"\ncompounding = \"log\"\ngrowth = {{ dist = \"normal\", mean = {mu}, sd = {sigma} }}\n"
    );
    for (id, comparator) in [("ge", ">="), ("le", "<=")] {
        text += &format!(
            "[[target]]\nid = \"{id}\"\nmetric = \"value\"\nindicator = \"x\"\nyear = 2024\ncomparator = \"{comparator}\"\nthreshold = 115\n"
        );
    }
    let summary = run(&model(&text), N, SEED);
    let standard = Normal::standard();
    let s = sigma * n_years.sqrt() / 100.0;
    let quantile = |q: f64| {
        let z = standard.inverse_cdf(q);
        let x = x0 * (n_years * mu / 100.0 + s * z).exp();
        let density_z = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let se = x * s * (q * (1.0 - q) / N as f64).sqrt() / density_z;
        (x, 4.5 * se + x * 2f64.powi(-10))
    };
    let cases = [
        ("ge 50%", summary.targets[0].threshold_for_50, quantile(0.5)),
        ("ge 80%", summary.targets[0].threshold_for_80, quantile(0.2)),
        ("le 50%", summary.targets[1].threshold_for_50, quantile(0.5)),
        ("le 80%", summary.targets[1].threshold_for_80, quantile(0.8)),
    ];
    for (what, got, (exact, bound)) in cases {
        assert!(
            (got - exact).abs() <= bound,
            "{what}: threshold {got:.4} differs from exact {exact:.4} by more than {bound:.4}"
        );
    }
}

/// For a whole-number quantity the strict comparators move the threshold by one: a count
/// X₁ = 10 + Poisson(4) is > x with probability ≥ 80% for x = q₀.₂ − 1, and < x for x = q₀.₈ + 1.
#[test]
fn thresholds_for_strict_comparators_of_counts_step_by_one() {
    let mut text = header(2022);
    text += "[[indicator]]\nid = \"n\"\nkind = \"count\"\nbase = 10\nsource = \"test\"\nadditions = { dist = \"poisson\", mean = 4 }\n";
    for (id, comparator) in [("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")] {
        text += &format!(
            "[[target]]\nid = \"{id}\"\nmetric = \"value\"\nindicator = \"n\"\nyear = 2022\ncomparator = \"{comparator}\"\nthreshold = 14\n"
        );
    }
    let summary = run(&model(&text), N, SEED);
    let poisson = Poisson::new(4.0).unwrap();
    // Smallest k with P(N ≤ k) ≥ q, the q quantile of 10 + N.
    let quantile = |q: f64| 10.0 + (0..).find(|&k| poisson.cdf(k) >= q).unwrap() as f64;
    let t = &summary.targets;
    assert_eq!([t[0].threshold_for_80, t[1].threshold_for_80], [quantile(0.2), quantile(0.2) - 1.0]);
    assert_eq!([t[2].threshold_for_80, t[3].threshold_for_80], [quantile(0.8), quantile(0.8) + 1.0]);
    assert_eq!(t[0].threshold_for_50, quantile(0.5));
}
