//! Analyses on common random numbers (sensitivity, sweeps, solving, comparing) against closed
//! forms, at fixed seeds and with bounds derived from the Monte Carlo error (never flaky).
//!
//! The lognormal case used throughout: log compounding, i.i.d. normal log-growth with mean μ and
//! sd σ (percent) over n years, base X₀. Then ln(X_n/X₀)·100 ~ N(nμ, nσ²) and
//! P(X_n ≥ T) = Φ((nμ − 100·ln(T/X₀))/(σ√n)).

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use feasim::analysis::compare;
use feasim::analysis::params;
use feasim::analysis::sensitivity::{self, SensitivityConfig};
use feasim::analysis::solve::{self, SolveConfig};
use feasim::analysis::sweep::{self, SweepSpec};
use feasim::engine;
use feasim::model::Model;

use crate::util::{header, model, phi};

const SEED: u64 = 20_240_517;
const X0: f64 = 100.0;
const SIGMA: f64 = 2.0;
const YEARS: f64 = 3.0;
const THRESHOLD: f64 = 118.0;
/// Bound in standard errors for an estimate against its exact value: deterministic at a fixed
/// seed; a correct engine would fail one such check on a random seed with probability
/// 2·(1 − Φ(4.5)) = 6.8e-6, so a test making m checks fails with probability below m × 6.8e-6
/// (Bonferroni): at most 3 checks a test here, 2.0e-5 < 1e-4.
const K_SIGMA: f64 = 4.5;

/// Whether `exact` lies in a reported 95% interval `[low, high]` around `value` widened to
/// ±K_SIGMA standard errors on each side (each side's half-width × K_SIGMA/1.96). A test that
/// asks several 95% intervals at once to cover the truth passes a correct estimator only about
/// 0.95^m of the time (0.86 for three); at K_SIGMA each check fails with probability 6.8e-6.
fn within_widened(exact: f64, value: f64, low: f64, high: f64) -> bool {
    let widen = K_SIGMA / feasim::summary::interval::Z_95;
    value - widen * (value - low) <= exact && exact <= value + widen * (high - value)
}

/// P(X_3 ≥ 118) for growth mean `mu`.
fn exact(mu: f64) -> f64 {
    phi((YEARS * mu - 100.0 * (THRESHOLD / X0).ln()) / (SIGMA * YEARS.sqrt()))
}

/// The lognormal indicator `x` with its target, and an unrelated indicator `y` with its own.
fn lognormal(mu: f64) -> Model {
    let text = header(2024)
        + &format!(
            "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = {X0}\nsource = \"test\"\ncompounding = \"log\"\ngrowth = {{ dist = \"normal\", mean = {mu}, sd = {SIGMA} }}\n"
        )
        + "[[indicator]]\nid = \"y\"\nkind = \"level\"\nbase = 50\nsource = \"test\"\ngrowth = { dist = \"normal\", mean = 4, sd = 3 }\n"
        + &format!(
            "[[target]]\nid = \"tx\"\nmetric = \"value\"\nindicator = \"x\"\nyear = 2024\ncomparator = \">=\"\nthreshold = {THRESHOLD}\n"
        )
        + "[[target]]\nid = \"ty\"\nmetric = \"value\"\nindicator = \"y\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 56\n";
    model(&text)
}

fn mean_sweep(m: &Model, paths: u64) -> sweep::SweepReport {
    let param = params::find(m, "x:mean").unwrap();
    let spec = SweepSpec { param, from: 4.0, to: 6.0, steps: 21 };
    sweep::run(m, &[spec], paths, SEED, &|_| {}).unwrap()
}

#[test]
fn sweep_of_a_growth_mean_is_monotone_and_reproducible() {
    let m = lognormal(5.0);
    let report = mean_sweep(&m, 20_000);
    let curve = &report.sweeps[0].curves;
    assert_eq!(curve.len(), 1, "only tx reads x");
    let hits: Vec<u64> = curve[0].points.iter().map(|p| p.probability.hits).collect();
    assert!(hits.windows(2).all(|w| w[0] <= w[1]), "0.1-point steps must not lower P(hit): {hits:?}");
    assert!(hits[0] < hits[20], "the curve must rise over 2 points of growth: {hits:?}");
    let json = report.to_json().unwrap();
    assert_eq!(json, mean_sweep(&m, 20_000).to_json().unwrap(), "same bits twice");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        assert_eq!(json, pool.install(|| mean_sweep(&m, 20_000)).to_json().unwrap(), "{threads} threads");
    }
}

/// μ* solves Φ((nμ − 100·ln(T/X₀))/(σ√n)) = P: μ* = (100·ln(T/X₀) + σ√n·Φ⁻¹(P))/n, within each
/// answer's interval widened to K_SIGMA standard errors (three checks: 2.0e-5 for a correct
/// estimator, where three plain 95% intervals would all cover only 86% of the time).
///
/// Width of the interval: P̂(μ) moves by φ(z)·√n/σ per point of μ, and the Wilson interval is
/// about ±1.96·√(P(1−P)/N) wide, so the interval in μ is about 2·1.96·√(P(1−P)/N)·σ/(φ(z)√n):
/// at N = 100,000 that is 0.015 (P = 0.5) to 0.025 (P = 0.9) points, well below 0.1.
#[test]
fn solve_recovers_the_lognormal_answer_within_its_interval() {
    let m = lognormal(5.0);
    let param = params::find(&m, "x:mean").unwrap();
    let config = SolveConfig { paths: 100_000, seed: SEED, probabilities: vec![0.5, 0.8, 0.9], tolerance: None };
    let report = solve::solve(&m, 0, &param, &config, &|_| {}).unwrap();
    let normal = Normal::standard();
    for answer in &report.answers {
        let p = answer.probability;
        let exact_mu = (100.0 * (THRESHOLD / X0).ln() + SIGMA * YEARS.sqrt() * normal.inverse_cdf(p)) / YEARS;
        assert_eq!(answer.status, "solved", "{answer:?}");
        let (low, high) = (answer.ci_low.unwrap(), answer.ci_high.unwrap());
        let value = answer.value.unwrap();
        assert!(low <= value && value <= high, "{answer:?}");
        assert!(within_widened(exact_mu, value, low, high), "P = {p}: μ* = {exact_mu} outside [{low}, {high}] widened");
        assert!(high - low < 0.1, "P = {p}: interval [{low}, {high}] too wide");
        assert_eq!(answer.direction.as_deref(), Some("increasing"));
    }
    // A parameter that cannot move the target: y's mean does not move tx. Said, not simulated.
    let other = params::find(&m, "y:mean").unwrap();
    let config = SolveConfig { paths: 2_000, seed: SEED, probabilities: vec![0.5], tolerance: None };
    let err = solve::solve(&m, 0, &other, &config, &|_| {}).unwrap_err();
    assert!(err.contains("y:mean cannot move target \"tx\""), "{err}");
}

#[test]
fn sensitivity_of_a_mean_matches_the_closed_form_difference() {
    let m = lognormal(5.0);
    let config = SensitivityConfig { paths: 50_000, seed: SEED, kinds: vec![], mean_shift: Some(0.5), batch: 3 };
    let plan = sensitivity::plan(&m, &config);
    let report = sensitivity::run(&m, &plan, &config, &|_| {}).unwrap();
    let x = report.parameters.iter().find(|p| p.id == "x:mean").unwrap();
    assert_eq!((x.low, x.high), (4.5, 5.5));
    assert_eq!(x.effects.len(), 1, "x:mean affects tx only");
    let e = &x.effects[0];
    for (d, mu) in [(&e.low, 4.5), (&e.high, 5.5)] {
        let want = exact(mu) - exact(5.0);
        assert!(
            (d.difference - want).abs() <= K_SIGMA * d.std_error,
            "μ = {mu}: ΔP {} vs exact {want} (se {})",
            d.difference,
            d.std_error
        );
        assert!(d.ci_high - d.ci_low < 0.02, "paired interval should be tight: {d:?}");
    }
    // An unrelated indicator's parameters never list tx, and their difference there is exactly 0.
    for p in report.parameters.iter().filter(|p| p.id.starts_with("y:")) {
        assert!(p.effects.iter().all(|e| e.target == "ty"), "{}", p.id);
        let param = params::find(&m, &p.id).unwrap();
        let variant = params::with_value(&m, &param, p.high).unwrap();
        let acc = engine::accumulate_paired(&[&m, &variant], SEED, 0..5_000, &|_| {});
        assert_eq!((acc.gained[1][0], acc.lost[1][0]), (0, 0), "{} must not move tx", p.id);
    }
}

/// Every (parameter, target) pair the dependency closure leaves out has exactly no path that
/// changes verdict, for every parameter of the shipped scenarios.
#[test]
fn targets_left_out_of_a_sensitivity_cannot_move() {
    for file in ["scenarios/tutorial.toml", "scenarios/liaoning-2022-2024.toml"] {
        let m = feasim::scenario::load(std::path::Path::new(file)).unwrap();
        let config = SensitivityConfig { paths: 300, seed: SEED, kinds: vec![], mean_shift: None, batch: 16 };
        let plan = sensitivity::plan(&m, &config);
        assert!(!plan.params.is_empty());
        for batch in plan.params.chunks(16) {
            let variants: Vec<Model> = batch
                .iter()
                .flat_map(|p| [p.low, p.high].map(|v| params::with_value(&m, &p.param, v).unwrap()))
                .collect();
            let refs: Vec<&Model> = std::iter::once(&m).chain(&variants).collect();
            let acc = engine::accumulate_paired(&refs, SEED, 0..300, &|_| {});
            for (k, p) in batch.iter().enumerate() {
                for v in [1 + 2 * k, 2 + 2 * k] {
                    for t in (0..m.targets.len()).filter(|t| !p.targets.contains(t)) {
                        assert_eq!(
                            (acc.gained[v][t], acc.lost[v][t]),
                            (0, 0),
                            "{file}: {} moved {} though it was left out",
                            p.param.id,
                            m.targets[t].id
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn compare_against_itself_is_exactly_zero_and_against_more_growth_matches_the_closed_form() {
    let a = lognormal(5.0);
    let same = compare::compare(&[&a, &a], 20_000, SEED, &|_| {});
    for t in &same.targets {
        let d = t.scenarios[1].as_ref().unwrap().difference.unwrap();
        assert_eq!((d.difference, d.ci_low, d.ci_high), (0.0, 0.0, 0.0), "{}", t.id);
    }
    let b = lognormal(6.0);
    let report = compare::compare(&[&a, &b], 50_000, SEED, &|_| {});
    let tx = report.targets.iter().find(|t| t.id == "tx").unwrap();
    let d = tx.scenarios[1].as_ref().unwrap().difference.unwrap();
    let want = exact(6.0) - exact(5.0);
    assert!((d.difference - want).abs() <= K_SIGMA * d.std_error, "ΔP {} vs exact {want}", d.difference);
    let ty = report.targets.iter().find(|t| t.id == "ty").unwrap();
    assert_eq!(ty.scenarios[1].as_ref().unwrap().difference.unwrap().difference, 0.0, "y is the same in both");
}

mod cli {
    use std::process::{Command, Output};

    fn feasim(args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_feasim")).args(args).output().expect("feasim runs")
    }

    fn ok(args: &[&str]) -> String {
        let out = feasim(args);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn every_analysis_command_writes_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
        let tutorial = "scenarios/tutorial.toml";
        let s = out("sens");
        let text = ok(&["sensitivity", tutorial, "-n", "500", "--lang", "en", "-o", &s, "--only-kind", "mean,spread"]);
        assert!(text.contains("TUT1") && text.contains("shenyang.gdp_real:mean"), "{text}");
        for f in [
            "sensitivity.json",
            "sensitivity.csv",
            "charts/heatmap.png",
            "charts/heatmap.svg",
            "charts/tornado/TUT1.png",
        ] {
            assert!(dir.path().join("sens").join(f).is_file(), "{f}");
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("sens/sensitivity.json")).unwrap()).unwrap();
        assert_eq!(json["run"]["paths"], 500);
        assert!(
            json["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .all(|p| ["mean", "spread"].contains(&p["kind"].as_str().unwrap()))
        );

        let w = out("sweep");
        ok(&["sweep", tutorial, "-n", "500", "-o", &w, "--param", "shenyang.gdp_real:mean=3:7", "--steps", "5"]);
        for f in ["sweep.json", "sweep.csv", "charts/shenyang.gdp_real_mean/TUT4.png"] {
            assert!(dir.path().join("sweep").join(f).is_file(), "{f}");
        }

        let v = out("solve");
        let text =
            ok(&["solve", tutorial, "-n", "500", "-o", &v, "--target", "TUT4", "--param", "shenyang.gdp_real:mean"]);
        assert!(text.contains("P(hit) = 50.0%"), "{text}");
        assert!(dir.path().join("solve/solve.json").is_file());

        let c = out("compare");
        ok(&["compare", tutorial, "scenarios/tutorial.toml", "-n", "500", "-o", &c, "--no-charts"]);
        assert!(dir.path().join("compare/compare.json").is_file() && dir.path().join("compare/compare.csv").is_file());
        let c2 = out("compare2");
        ok(&[
            "compare",
            "scenarios/liaoning-2022-2024.toml",
            "scenarios/liaoning-2022-2024-pessimistic.toml",
            "-n",
            "300",
            "-o",
            &c2,
        ]);
        assert!(dir.path().join("compare2/charts/compare.png").is_file());
    }

    #[test]
    fn an_unknown_parameter_exits_2_with_a_suggestion() {
        for command in ["sweep", "solve"] {
            let mut args = vec![command, "scenarios/tutorial.toml", "-n", "100", "--param", "shenyang.gdp_rael:mean"];
            if command == "solve" {
                args.extend(["--target", "TUT4"]);
            }
            let out = feasim(&args);
            assert_eq!(out.status.code(), Some(2), "{command}");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains("did you mean \"shenyang.gdp_real:mean\""), "{command}: {stderr}");
        }
    }
}

/// The run summary's "mean growth needed for 50% / 80%" on a log-compounding level agrees with
/// the closed form μ* within its interval widened to K_SIGMA standard errors (two checks:
/// 1.4e-5 for a correct estimator; two plain 95% intervals would both cover only 90% of the time).
///
/// Width of the interval: δ* = (100/n)·ln(T/X_n) is normal with sd σ/√n, so the order-statistic
/// interval of its p-quantile is about 2·1.96·√(p(1−p)/N)·(σ/√n)/φ(z_p) wide; each end may move
/// out by up to two sketch resolutions, (100/n)·ln(1 + α) each (see `summary::needed`).
#[test]
fn run_summary_states_the_closed_form_growth_needed() {
    let m = lognormal(5.0);
    let summary = crate::util::run(&m, 100_000, SEED);
    let needed = summary.targets[0].needed_growth.as_ref().expect("tx is on a level");
    assert_eq!(needed.parameter, "x:mean");
    assert_eq!(needed.assumed, 5.0);
    let normal = Normal::standard();
    for level in &needed.levels {
        let p = level.probability;
        let exact_mu = (100.0 * (THRESHOLD / X0).ln() + SIGMA * YEARS.sqrt() * normal.inverse_cdf(p)) / YEARS;
        let (low, high) = (level.ci_low.unwrap(), level.ci_high.unwrap());
        let value = level.mean.unwrap();
        assert!(low <= value && value <= high, "{level:?}");
        assert!(within_widened(exact_mu, value, low, high), "P = {p}: μ* = {exact_mu} outside [{low}, {high}] widened");
        let z = normal.inverse_cdf(p);
        let order = 2.0 * 1.96 * (p * (1.0 - p) / 100_000.0).sqrt() * (SIGMA / YEARS.sqrt()) / normal.pdf(z);
        let sketch = 4.0 * 100.0 / YEARS * feasim::summary::sketch::RELATIVE_ACCURACY;
        assert!(high - low <= 1.2 * order + sketch, "P = {p}: interval [{low}, {high}] too wide");
    }
}

/// Where there is no closed form (simple compounding, a derived product, every-year and ≤
/// targets), the run summary's needed growth is the root `feasim solve` finds on the same paths.
#[test]
fn run_summary_needed_growth_matches_solve_on_the_same_paths() {
    let text = header(2024)
        + "[[indicator]]\nid = \"real\"\nkind = \"level\"\nbase = 100\nsource = \"test\"\n\
           growth = { dist = \"student_t\", mean = 5, sd = 2.5, df = 6 }\npersistence = 0.4\n"
        + "[[indicator]]\nid = \"prices\"\nkind = \"level\"\nbase = 1\nsource = \"test\"\n\
           growth = { dist = \"normal\", mean = 2, sd = 1 }\n"
        + "[[indicator]]\nid = \"nominal\"\nkind = \"derived\"\nexpr = \"real * prices / base(prices)\"\n"
        + "[[indicator]]\nid = \"debt\"\nkind = \"level\"\nbase = 40\nsource = \"test\"\ncompounding = \"log\"\n\
           growth = { dist = \"triangular\", min = -2, mode = 3, max = 9 }\n"
        + "[[correlation]]\nbetween = [\"real\", \"prices\"]\nrho = 0.3\n"
        + "[[target]]\nid = \"nominal_up\"\nmetric = \"value\"\nindicator = \"nominal\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 125\n"
        + "[[target]]\nid = \"real_capped\"\nmetric = \"value\"\nindicator = \"real\"\nyear = 2023\ncomparator = \"<=\"\nthreshold = 110\n"
        + "[[target]]\nid = \"real_every\"\nmetric = \"growth_every_year\"\nindicator = \"real\"\nfrom = 2021\nto = 2024\ncomparator = \">=\"\nthreshold = 3\n"
        + "[[target]]\nid = \"real_cagr\"\nmetric = \"cagr\"\nindicator = \"real\"\nfrom = 2022\nto = 2024\ncomparator = \">\"\nthreshold = 5.5\n"
        + "[[target]]\nid = \"debt_cum\"\nmetric = \"cumulative_growth\"\nindicator = \"debt\"\nfrom = 2021\nto = 2024\ncomparator = \"<\"\nthreshold = 12\n";
    let m = model(&text);
    let paths = 4_000;
    let summary = crate::util::run(&m, paths, SEED);
    for (t, target) in summary.targets.iter().enumerate() {
        let needed = target.needed_growth.as_ref().unwrap_or_else(|| panic!("{} has a needed growth", target.id));
        let param = params::find(&m, &needed.parameter).unwrap();
        let config = SolveConfig { paths, seed: SEED, probabilities: vec![0.5, 0.8], tolerance: Some(1e-5) };
        let report = solve::solve(&m, t, &param, &config, &|_| {}).unwrap();
        for (level, answer) in needed.levels.iter().zip(&report.answers) {
            let solved = answer.value.unwrap_or_else(|| panic!("{}: {answer:?}", target.id));
            let mean = level.mean.unwrap();
            // Same paths, same root: apart from the solver's tolerance, the only difference is
            // the sketch's resolution α — of the shift itself for simple compounding, of the
            // metric for log compounding (debt_cum: (100/3)·ln(1 + α) points of growth).
            let alpha = feasim::summary::sketch::RELATIVE_ACCURACY;
            let resolution =
                if target.id == "debt_cum" { 100.0 / 3.0 * alpha } else { alpha * (mean - needed.assumed).abs() };
            let allowed = 1e-5 + resolution + 1e-9;
            assert!(
                (mean - solved).abs() <= allowed,
                "{} P = {}: run says {mean}, solve {solved}",
                target.id,
                level.probability
            );
            let (low, high) = (level.ci_low.unwrap(), level.ci_high.unwrap());
            assert!(low <= solved && solved <= high, "{}: {solved} outside [{low}, {high}]", target.id);
        }
    }
    assert_eq!(summary.targets[0].needed_growth.as_ref().unwrap().parameter, "real:mean", "the product's level");
}
