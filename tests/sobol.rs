//! Variance-based sensitivity (`analysis::sobol`) and the separation of hits from misses
//! (`analysis::separation`): closed forms, structural zeros, determinism across thread counts.

use std::path::Path;

use feasim::analysis::separation::{self, SeparationConfig, SeparationResult};
use feasim::analysis::sobol::{self, Estimate, SobolConfig, SobolResult};
use feasim::engine::Sampling;

use crate::util;

fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool").install(f)
}

fn ishigami() -> feasim::model::Model {
    feasim::scenario::load(Path::new("tests/data/ishigami.toml")).expect("tests/data/ishigami.toml loads")
}

/// `exact` within `bound` standard errors of the estimate, the standard error being the
/// bootstrap's (the 95% interval is the estimate ± 1.96 of them).
fn assert_within(what: &str, e: Option<Estimate>, exact: f64, bound: f64) {
    assert_within_quantile(what, e, exact, bound, 1.959_963_984_540_054);
}

/// The same for an interval that is the estimate ± `quantile` standard errors.
fn assert_within_quantile(what: &str, e: Option<Estimate>, exact: f64, bound: f64, quantile: f64) {
    let e = e.unwrap_or_else(|| panic!("{what}: no estimate"));
    let se = (e.high - e.low) / (2.0 * quantile);
    assert!(
        (e.value - exact).abs() <= bound * se,
        "{what}: exact {exact:.4} more than {bound} standard errors ({se:.4}) from the estimate {:.4}",
        e.value
    );
}

/// Ishigami (a = 7, b = 0.1): exact first-order and total indices of x1, x2, x3.
const ISHIGAMI: [(&str, f64, f64); 3] =
    [("x1:base", 0.3139, 0.5576), ("x2:base", 0.4424, 0.4424), ("x3:base", 0.0, 0.2437)];

/// Ishigami at N = 2^13 (8192 paths in each of A and B, 40 960 model evaluations), seed 1, 200
/// bootstrap replicates: every exact index within 4.75 bootstrap standard errors of its
/// estimate, and the variance of f within 4.75 of its own standard errors of the exact value.
///
/// **A family-wise bound, not six 95% intervals at once.** Six 95% intervals all cover on only
/// about three seeds in four (measured: 293 of 400 seeds at this N), so checking them at a fixed
/// seed was a coin flip for any change in the order of draws. Here a correct estimator fails with
/// probability below 1e-4, by Bonferroni over the 7 checks: an estimate is normal to within the
/// O(1/N) bias of the ratio estimators (far below its standard error at this N), and the bootstrap
/// standard error from 200 replicates is itself known to ±5% (1/√(2·199)), so one check fails
/// with probability E[2Φ(−4.75·r)], r ~ N(1, 0.05²): 3.8e-6 (numerical integration), and still
/// 6.5e-6 if the bootstrap understated every standard error by 5% (the per-index coverage of its
/// 95% intervals measured over 400 seeds was 93–96%). The variance V of f over the 2N values
/// has a relative standard error √((κ − 1)/2N) = 1.24% (Ishigami's kurtosis κ = 3.509, from 10⁷
/// draws), so 4.75 of them is 5.9%. In all, 7 × 3.8e-6 ≈ 2.7e-5 (4.5e-5 with the 5% shortfall).
#[test]
fn ishigami_indices_match_the_closed_form() {
    let model = ishigami();
    let n = 1 << 13;
    let result = sobol::sobol(&model, &SobolConfig::new(n, 1), &|_| {});
    let target = &result.targets[0];
    // Inputs are bases; the shocks of the fixed-change rates move nothing and are not simulated.
    assert_eq!(result.run.groups_simulated, 3);
    assert_eq!(result.run.model_evaluations, n * 5);
    for (group, first, total) in ISHIGAMI {
        let g = target.metric_group(group).unwrap_or_else(|| panic!("{group} listed"));
        assert_within(&format!("S {group}"), g.first, first, 4.75);
        assert_within(&format!("ST {group}"), g.total, total, 4.75);
    }
    // Exact mean a/2 = 3.5 and variance a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2 = 13.8446.
    let variance = target.metric.variance.unwrap();
    assert!((variance - 13.8446).abs() < 4.75 * 0.0124 * 13.8446, "V = {variance}");
    assert!(target.metric_group("x1:shocks").is_none(), "fixed shocks cannot reach the target");
}

/// The same under `--sampling sobol`: A and B are the first 8192 points of one scrambled Sobol'
/// sequence, in 16 blocks of 512 paths, and the interval is estimate ± t₁₅ · s/√16 from the
/// spread s of the 16 block estimates. With independently scrambled blocks the estimate over
/// that standard error would be Student's t with 15 degrees of freedom: 2·P(t₁₅ > 6) = 2.4e-5
/// per index, 1.5e-4 for the six (Bonferroni); blocks of one sequence make the standard error
/// conservative (the whole sequence is more even than 16 independent blocks: measured coverage
/// of the 95% intervals 98–100%, `sobol_sequence_beats_independent_replicates_and_covers`), so
/// the bound holds with room to spare.
#[test]
fn ishigami_indices_match_the_closed_form_on_scrambled_sobol_points() {
    let model = ishigami();
    let n = 1 << 13;
    let config = SobolConfig { sampling: Sampling::sobol_sequence(n), ..SobolConfig::new(n, 1) };
    assert_eq!(config.sampling, Sampling::Sobol { replicate_bits: 9, shared_bits: 7 });
    let result = sobol::sobol(&model, &config, &|_| {});
    assert_eq!((result.run.blocks, result.run.bootstrap), (Some(16), 0));
    let target = &result.targets[0];
    let t15 = feasim::model::distribution::student_t_upper_quantile(0.025, 15.0);
    for (group, first, total) in ISHIGAMI {
        let g = target.metric_group(group).unwrap_or_else(|| panic!("{group} listed"));
        assert_within_quantile(&format!("S {group}"), g.first, first, 6.0, t15);
        assert_within_quantile(&format!("ST {group}"), g.total, total, 6.0, t15);
    }
    // The design is neither the independent one nor independent replicates, and is as reproducible.
    let independent = sobol::sobol(&model, &SobolConfig::new(n, 1), &|_| {});
    assert_ne!(target.metric.variance, independent.targets[0].metric.variance);
    let replicates = sobol::sobol(&model, &SobolConfig { sampling: Sampling::sobol(n), ..config }, &|_| {});
    assert_ne!(target.metric.variance, replicates.targets[0].metric.variance);
    let two = on_threads(2, || sobol::sobol(&model, &SobolConfig { samples: 3000, ..config }, &|_| {}));
    let one = on_threads(1, || sobol::sobol(&model, &SobolConfig { samples: 3000, ..config }, &|_| {}));
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&two).unwrap());
}

fn additive_scenario() -> String {
    let rate = |id: &str| {
        format!(
            "[[indicator]]\nid = \"{id}\"\nunit = \"1\"\nkind = \"rate\"\nbounds = [-1000, 1000]\n\
             base_dist = {{ dist = \"uniform\", min = -1, max = 1 }}\nassumption = \"test\"\n\
             change = {{ dist = \"normal\", mean = 0, sd = 0.5 }}\n\n"
        )
    };
    let mut text = util::header(2023);
    // z is declared before x1 and correlated with it: z's normals move x1 (Cholesky), so the
    // group z:shocks reaches targets on x1 although no expression reads z.
    for id in ["z", "x1", "x2", "x3", "x4", "u"] {
        text.push_str(&rate(id));
    }
    text.push_str(
        "[[indicator]]\nid = \"f\"\nunit = \"1\"\nkind = \"derived\"\nexpr = \"x1 + 2 * x2 + 3 * x3 + 0 * x4\"\n\n",
    );
    text.push_str("[[correlation]]\nbetween = [\"z\", \"x1\"]\nrho = 0.6\n\n");
    text.push_str(
        "[[target]]\nid = \"F\"\nmetric = \"value\"\nindicator = \"f\"\nyear = 2023\ncomparator = \">=\"\nthreshold = 1\n\n\
         [[target]]\nid = \"U\"\nmetric = \"value\"\nindicator = \"u\"\nyear = 2023\ncomparator = \">=\"\nthreshold = 0\n",
    );
    text
}

/// f = x1 + 2 x2 + 3 x3 (+ 0·x4): additive, so Σ S_i = 1 and S_i = ST_i = share of variance.
#[test]
fn additive_model_first_order_indices_sum_to_one() {
    let model = util::model(&additive_scenario());
    let result = sobol::sobol(&model, &SobolConfig::new(1 << 14, 7), &|_| {});
    let f = &result.targets[0];
    // Each x_i,2023 = base (variance 1/3) + two changes (variance 2·0.25); x1's changes are
    // √(1−ρ²)·own + ρ·z normals, so z:shocks carries ρ² of them.
    let (base, shocks, rho2) = (1.0 / 3.0, 0.5, 0.36);
    let total_variance: f64 = [1.0, 4.0, 9.0].iter().map(|a| a * (base + shocks)).sum();
    let exact = [
        ("x1:base", base),
        ("x1:shocks", (1.0 - rho2) * shocks),
        ("z:shocks", rho2 * shocks),
        ("x2:base", 4.0 * base),
        ("x2:shocks", 4.0 * shocks),
        ("x3:base", 9.0 * base),
        ("x3:shocks", 9.0 * shocks),
    ];
    for (group, part) in exact {
        let g = f.metric_group(group).unwrap_or_else(|| panic!("{group} reaches F"));
        let share = part / total_variance;
        for (name, e) in [("S", g.first.unwrap()), ("ST", g.total.unwrap())] {
            // 2.3 widths of the 95% interval: 9 bootstrap standard errors. Over the 14 checks
            // (Bonferroni) a correct estimator fails with probability ≈ 14 · 2Φ(−9) ≈ 3e-18, and
            // still below 1e-4 if the bootstrap understated every standard error by 45%.
            let tolerance = 2.3 * (e.high - e.low) + 1e-3;
            assert!(
                (e.value - share).abs() <= tolerance,
                "{name} {group}: {:.4} vs exact {share:.4} ± {tolerance:.4}",
                e.value
            );
        }
    }
    let sum = f.metric.sum_first.unwrap();
    assert!((sum - 1.0).abs() < 0.05, "Σ S = {sum}");
    // x4 enters with weight 0: f(A_B^i) = f(A) on every path, so both indices are exactly 0.
    for group in ["x4:base", "x4:shocks"] {
        let g = f.metric_group(group).expect("x4 is read by f");
        let zero = Estimate { value: 0.0, low: 0.0, high: 0.0 };
        assert_eq!(g.first, Some(zero), "S {group}");
        assert_eq!(g.total, Some(zero), "ST {group}");
    }
    // u is not read by F: not listed (its indices are exactly 0); and F's groups do not reach U.
    assert!(f.metric_group("u:base").is_none() && f.metric_group("u:shocks").is_none());
    let u = &result.targets[1];
    let listed: Vec<&str> = u.metric.groups.iter().map(|g| g.group.as_str()).collect();
    assert_eq!(listed, ["u:base", "u:shocks"]);
}

#[test]
fn sobol_is_bit_identical_on_one_and_two_threads() {
    for model in [ishigami(), util::model(&additive_scenario())] {
        let config = SobolConfig::new(3000, 11);
        let one = on_threads(1, || sobol::sobol(&model, &config, &|_| {}));
        let two = on_threads(2, || sobol::sobol(&model, &config, &|_| {}));
        assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&two).unwrap());
    }
}

#[test]
fn sobol_on_the_flagship_is_deterministic_and_writes_its_files() {
    let model = feasim::scenario::load(Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
    let config = SobolConfig { samples: 128, seed: 3, bootstrap: 20, ..SobolConfig::new(128, 3) };
    let one = on_threads(1, || sobol::sobol(&model, &config, &|_| {}));
    let two = on_threads(2, || sobol::sobol(&model, &config, &|_| {}));
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&two).unwrap());
    assert_eq!(one.targets.len(), model.targets.len());
    let dir = tempfile::tempdir().unwrap();
    let files = sobol::write_files(&one, dir.path()).unwrap();
    assert_eq!(files.len(), 2);
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(written, serde_json::from_str::<serde_json::Value>(&serde_json::to_string(&one).unwrap()).unwrap());
    let _: SobolResult = serde_json::from_value(written).unwrap();
    assert!(!sobol::render_table(&one, 3, Some(120)).is_empty());
    // Charts: two per target (the tested quantity and the hit indicator, PNG and SVG), drawn
    // from the result alone.
    let few = SobolResult { targets: one.targets[..2].to_vec(), ..one.clone() };
    let charts = feasim::plot::write_sobol_charts(&few, dir.path(), &Default::default()).unwrap();
    assert_eq!(charts.files.len(), 8);
    assert!(dir.path().join(format!("sobol_hit/{}.png", few.targets[0].id)).is_file());
}

/// x drives the target (f = x ≥ 0.5 in 2023, x a rate with normal changes); y is independent.
fn separation_scenario() -> String {
    let mut text = util::header(2023);
    for id in ["x", "y"] {
        text.push_str(&format!(
            "[[indicator]]\nid = \"{id}\"\nunit = \"%\"\nkind = \"rate\"\nbounds = [-100, 100]\nbase = 0\nsource = \"test\"\n\
             change = {{ dist = \"normal\", mean = 0, sd = 1 }}\n\n"
        ));
    }
    text.push_str(
        "[[indicator]]\nid = \"uncertain\"\nunit = \"%\"\nkind = \"rate\"\nbounds = [-100, 100]\n\
                   base_dist = { dist = \"normal\", mean = 0, sd = 1 }\nassumption = \"test\"\n\
                   change = { dist = \"fixed\", value = 0 }\n\n",
    );
    text.push_str(
        "[[indicator]]\nid = \"s\"\nunit = \"%\"\nkind = \"derived\"\nexpr = \"x + 0 * y + 0 * uncertain\"\n\n",
    );
    text.push_str("[[target]]\nid = \"T\"\nmetric = \"value\"\nindicator = \"s\"\nyear = 2023\ncomparator = \">=\"\nthreshold = 0.5\n");
    text
}

#[test]
fn separation_finds_the_driver_with_the_right_sign() {
    let model = util::model(&separation_scenario());
    let paths = 40_000;
    let result = separation::separate(&model, &SeparationConfig { paths, seed: 5 }, &|_| {});
    let t = &result.targets[0];
    assert_eq!(t.hits + t.misses, paths);
    let ids: Vec<&str> = t.features.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids[0], "x:change", "features ranked by |d|: {ids:?}");
    let x = &t.features[0];
    // x's average change is (s_2023 − 0)/2 = s/2: hits need s ≥ 0.5, so x is clearly higher on hits.
    // Exact: s ~ N(0, 2); hits are s ≥ 0.5 (p = 0.362); d = E[s|hit] − E[s|miss] over sd(s) = φ(z)/(p(1−p)) with z = 0.5/√2.
    let z = 0.5 / 2f64.sqrt();
    let p = 1.0 - util::phi(z);
    let density = (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let exact = density / (p * (1.0 - p));
    let d = x.standardized_difference.unwrap();
    assert!(d > 0.0 && (d - exact).abs() < 0.05, "d(x) = {d}, exact {exact}");
    assert!(x.median_hit.unwrap() > x.median_miss.unwrap());
    assert!(t.summary.contains("mainly those where x rises more"), "{}", t.summary);
    // y and the uncertain base do not matter: |d| within 4.5 of its null standard error.
    for id in ["y:change", "uncertain:base"] {
        let f = t.features.iter().find(|f| f.id == id).unwrap_or_else(|| panic!("{id} listed"));
        let (d, se) = (f.standardized_difference.unwrap(), f.null_std_error.unwrap());
        assert!(d.abs() <= 4.5 * se, "{id}: d = {d} beyond 4.5 × {se}");
    }
    // A fixed yearly change is not an assumption that can separate anything.
    assert!(!ids.contains(&"uncertain:change"));
}

#[test]
fn separation_is_bit_identical_on_one_and_two_threads() {
    let model = util::model(&separation_scenario());
    let config = SeparationConfig { paths: 5000, seed: 9 };
    let one: SeparationResult = on_threads(1, || separation::separate(&model, &config, &|_| {}));
    let two = on_threads(2, || separation::separate(&model, &config, &|_| {}));
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&two).unwrap());
    let model = feasim::scenario::load(Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
    let config = SeparationConfig { paths: 3000, seed: 2 };
    let one = on_threads(1, || separation::separate(&model, &config, &|_| {}));
    let two = on_threads(2, || separation::separate(&model, &config, &|_| {}));
    assert_eq!(serde_json::to_string(&one).unwrap(), serde_json::to_string(&two).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let files = separation::write_files(&one, dir.path()).unwrap();
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    assert_eq!(written, serde_json::from_str::<serde_json::Value>(&serde_json::to_string(&one).unwrap()).unwrap());
    let _: SeparationResult = serde_json::from_value(written).unwrap();
    let few = SeparationResult { targets: one.targets[..2].to_vec(), ..one.clone() };
    let charts = feasim::plot::write_separation_charts(&few, dir.path(), &Default::default()).unwrap();
    assert_eq!(charts.files.len(), 4);
    assert!(!separation::render_table(&one, 3, Some(120)).is_empty());
}

#[test]
fn hit_indices_of_rare_targets_are_not_reported() {
    // Tutorial TUT1 (Shenyang GDP ≥ 1 trillion) is hit on ~0.1% of paths: with N = 512 there are
    // about one hit among the 1024 evaluations of A and B, too few for indices of a 0/1 quantity.
    let model = feasim::scenario::load(Path::new("scenarios/tutorial.toml")).unwrap();
    let result = sobol::sobol(&model, &SobolConfig::new(512, 7), &|_| {});
    let rare = result.targets.iter().find(|t| t.id == "TUT1").unwrap();
    assert!(rare.hit.note.is_some());
    assert!(rare.hit.groups.iter().all(|g| g.first.is_none() && g.total.is_none()));
    assert!(rare.metric.groups.iter().all(|g| g.total.is_some()), "the metric's indices are still there");
    let common = result.targets.iter().find(|t| t.id == "TUT2").unwrap();
    assert!(common.hit.note.is_none());
    assert!(common.hit.groups.iter().all(|g| g.total.is_some()));
}

/// Exact indices `(group, S_i, ST_i)` of a test function's tested quantity and hit indicator.
struct Exact {
    metric: Vec<(String, f64, f64)>,
    hit: Vec<(String, f64, f64)>,
}

/// Ishigami's metric indices (its hit indicator has no closed form).
fn ishigami_exact() -> Exact {
    Exact { metric: ISHIGAMI.iter().map(|&(g, s, st)| (g.to_string(), s, st)).collect(), hit: Vec::new() }
}

/// The Sobol' G function of `benches/compare-salib/g-function.toml`, a = (0, 1, 4.5, 9, 99, 99, 99, 99).
fn g_exact() -> Exact {
    let a = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0];
    let v: Vec<f64> = a.iter().map(|a: &f64| 1.0 / (3.0 * (1.0 + a) * (1.0 + a))).collect();
    let total = v.iter().map(|x| 1.0 + x).product::<f64>() - 1.0;
    let metric = (0..8)
        .map(|i| {
            let others: f64 = (0..8).filter(|&j| j != i).map(|j| 1.0 + v[j]).product();
            (format!("x{}:base", i + 1), v[i] / total, v[i] * others / total)
        })
        .collect();
    Exact { metric, hit: Vec::new() }
}

/// `tests/data/linear.toml`: f = x1 + 2·x2 + 3·x3 (standard normals), hit when f ≥ 2. The hit
/// indicator's indices are one-dimensional integrals against the normal density, taken by the
/// trapezoid rule on [−12, 12] with step 1e-3 (its error is far below 1e-9 for these smooth,
/// rapidly decaying integrands).
fn linear_exact() -> Exact {
    let a = [1.0f64, 2.0, 3.0];
    let c = 2.0;
    let sum_squares: f64 = a.iter().map(|x| x * x).sum();
    let phi = feasim::model::distribution::standard_normal_cdf;
    let p = 1.0 - phi(c / sum_squares.sqrt());
    let integral = |f: &dyn Fn(f64) -> f64| {
        let h = 1e-3;
        let density = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        (0..=24_000).map(|k| -12.0 + k as f64 * h).map(|x| f(x) * density(x) * h).sum::<f64>()
    };
    let mut metric = Vec::new();
    let mut hit = Vec::new();
    for (i, &ai) in a.iter().enumerate() {
        let sigma = (sum_squares - ai * ai).sqrt();
        // E[1 | x_i] = P(Σ_{j≠i} a_j x_j ≥ c − a_i x_i) = Φ((a_i x_i − c)/σ_i).
        let first = integral(&|x| phi((ai * x - c) / sigma).powi(2)) - p * p;
        // Var(1 | x_{~i}) = g(1 − g), g = P(a_i x_i ≥ c − s) = Φ((s − c)/a_i), s = σ_i·z.
        let total = integral(&|z| {
            let g = phi((sigma * z - c) / ai);
            g * (1.0 - g)
        });
        let v = p * (1.0 - p);
        metric.push((format!("x{}:base", i + 1), ai * ai / sum_squares, ai * ai / sum_squares));
        hit.push((format!("x{}:base", i + 1), first / v, total / v));
    }
    Exact { metric, hit }
}

/// Over `seeds` seeds: per quantity, the root mean square error of the estimates over every
/// index, the mean half-width of the 95% intervals, and the fraction of intervals covering.
#[derive(Debug, Default, Clone, Copy)]
struct Scores {
    squared_error: f64,
    half_width: f64,
    covered: u64,
    count: u64,
}

impl Scores {
    fn add(&mut self, e: Estimate, exact: f64) {
        self.squared_error += (e.value - exact) * (e.value - exact);
        self.half_width += 0.5 * (e.high - e.low);
        self.covered += u64::from(e.low <= exact && exact <= e.high);
        self.count += 1;
    }
    fn rmse(&self) -> f64 {
        (self.squared_error / self.count as f64).sqrt()
    }
    fn width(&self) -> f64 {
        self.half_width / self.count as f64
    }
    fn coverage(&self) -> f64 {
        self.covered as f64 / self.count as f64
    }
}

/// Scores of the metric's and the hit indicator's indices of `model` at N = `n` over seeds
/// `1..=seeds` under `sampling`.
fn scores(model: &feasim::model::Model, exact: &Exact, n: u64, sampling: Sampling, seeds: u64) -> [Scores; 2] {
    let mut out = [Scores::default(); 2];
    for seed in 1..=seeds {
        let result = sobol::sobol(model, &SobolConfig { sampling, ..SobolConfig::new(n, seed) }, &|_| {});
        let target = &result.targets[0];
        for (k, (indices, exact)) in
            [(&target.metric, &exact.metric), (&target.hit, &exact.hit)].into_iter().enumerate()
        {
            for (group, first, total) in exact {
                let g = indices.groups.iter().find(|g| &g.group == group).expect("group listed");
                out[k].add(g.first.expect("first-order estimate"), *first);
                out[k].add(g.total.expect("total estimate"), *total);
            }
        }
    }
    out
}

/// The design experiment behind `Sampling::sobol_sequence` (run by hand:
/// `FEASIM_SOBOL_SEEDS=400 cargo test --test integration sobol_design_table -- --ignored --nocapture`):
/// error, interval width and coverage of one scrambled sequence in R blocks (R = 8, 16, 32) and
/// of 32 independently scrambled replicates, on Ishigami, the G function and the linear model's
/// metric and hit indicator.
#[test]
#[ignore]
fn sobol_design_table() {
    let seeds: u64 = std::env::var("FEASIM_SOBOL_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(100);
    let n: u64 = std::env::var("FEASIM_SOBOL_N").ok().and_then(|s| s.parse().ok()).unwrap_or(4096);
    let functions = [
        ("ishigami", ishigami(), ishigami_exact()),
        ("g-function", feasim::scenario::load(Path::new("benches/compare-salib/g-function.toml")).unwrap(), g_exact()),
        ("linear", feasim::scenario::load(Path::new("tests/data/linear.toml")).unwrap(), linear_exact()),
    ];
    println!("N = {n}, {seeds} seeds: RMSE, mean half-width of the 95% interval, coverage");
    for (name, model, exact) in &functions {
        let log2 = 63 - n.leading_zeros() as u8;
        let mut designs: Vec<(String, Sampling)> = [3u8, 4, 5]
            .iter()
            .map(|&r| {
                (
                    format!("sequence, {} blocks", 1 << r),
                    Sampling::Sobol { replicate_bits: log2 - r, shared_bits: 16 - (log2 - r) },
                )
            })
            .collect();
        designs.push(("32 independent replicates".into(), Sampling::sobol(n)));
        for (design, sampling) in designs {
            let [metric, hit] = scores(model, exact, n, sampling, seeds);
            print!(
                "{name:<11} {design:<26} metric {:.5} {:.5} {:.3}",
                metric.rmse(),
                metric.width(),
                metric.coverage()
            );
            if hit.count > 0 {
                print!("   hit {:.5} {:.5} {:.3}", hit.rmse(), hit.width(), hit.coverage());
            }
            println!();
        }
    }
}

/// `feasim sobol --sampling sobol`'s design against 32 independently scrambled replicates (the
/// design of `run --sampling sobol`) at N = 2048, over seeds 1..=60: on Ishigami its error is at
/// most half theirs (measured at N = 4096 over 100 seeds: RMSE 0.0030 against 0.0101, 3.4×), and
/// its 95% intervals cover the exact indices at least 92% of the time on Ishigami and on the
/// linear model's metric and hit indicator (measured over 100 seeds at N = 4096: 98.8%, 100%,
/// 98.3%). Over 60 seeds × 6 indices a coverage of 98% would fall below 92% only if the
/// intervals' misses clustered far more than the indices' correlation within a seed allows (even
/// counting each seed as one observation: 0.92 is 3.3 standard errors below 0.98).
#[test]
fn sobol_sequence_beats_independent_replicates_and_covers() {
    let n = 2048;
    let seeds = 60;
    let model = ishigami();
    let [sequence, _] = scores(&model, &ishigami_exact(), n, Sampling::sobol_sequence(n), seeds);
    let [replicates, _] = scores(&model, &ishigami_exact(), n, Sampling::sobol(n), seeds);
    assert!(
        sequence.rmse() <= 0.5 * replicates.rmse(),
        "RMSE {:.5} on one sequence, {:.5} on replicates",
        sequence.rmse(),
        replicates.rmse()
    );
    assert!(sequence.coverage() >= 0.92, "Ishigami coverage {:.3}", sequence.coverage());
    let linear = feasim::scenario::load(Path::new("tests/data/linear.toml")).unwrap();
    let [metric, hit] = scores(&linear, &linear_exact(), n, Sampling::sobol_sequence(n), seeds);
    assert!(metric.coverage() >= 0.92, "linear metric coverage {:.3}", metric.coverage());
    assert!(hit.coverage() >= 0.92, "linear hit coverage {:.3}", hit.coverage());
}

/// The quadrature of the linear model's exact indices agrees with what is known in closed form:
/// the metric's S_i = a_i²/Σa², and for the hit indicator S_i ≤ ST_i, Σ S_i ≤ 1 ≤ Σ ST_i.
#[test]
fn linear_exact_indices_are_consistent() {
    let exact = linear_exact();
    let sum_first: f64 = exact.hit.iter().map(|h| h.1).sum();
    let sum_total: f64 = exact.hit.iter().map(|h| h.2).sum();
    assert!(exact.hit.iter().all(|h| 0.0 < h.1 && h.1 < h.2 && h.2 < 1.0), "{:?}", exact.hit);
    assert!(sum_first < 1.0 && sum_total > 1.0, "{sum_first} {sum_total}");
    assert!((exact.metric[2].1 - 9.0 / 14.0).abs() < 1e-15);
}
