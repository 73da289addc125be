//! `feasim fit` and `feasim score` against known truths.
//!
//! * fit: series simulated by feasim's own engine from known parameters (fixed seeds) are
//!   recovered within bounds derived from the reported standard errors; the small-sample
//!   predictive interval covers fresh draws at its nominal rate where the plug-in normal does
//!   not; gaps, breaks, single observations and bad input give clear results, never a panic.
//! * score: outcomes drawn from the scenario itself give uniform PITs and calibrated hit rates
//!   (Kolmogorov–Smirnov and binomial bounds at a false-alarm rate of about 1e-6 per check,
//!   fixed seeds so the verdict is deterministic); a shifted truth is detected.

use std::path::{Path, PathBuf};

use feasim::calibration::fit::{self, FitInputs, FitReport, Origin};
use feasim::calibration::score::{self, Outcomes};
use feasim::engine::path::{Scratch, simulate};
use feasim::model::Model;

use crate::util::model;

/// Annual growth rates (percent) of indicator `id` on path `path` of `model`.
fn growth_series(model: &Model, id: &str, seed: u64, path: u64) -> Vec<f64> {
    let i = model.indicator_index(id).expect("indicator");
    let n_years = model.n_years();
    let mut scratch = Scratch::new(model);
    simulate(model, seed, path, &mut scratch);
    let v = &scratch.values[i * n_years..(i + 1) * n_years];
    v.windows(2).map(|w| (w[1] / w[0] - 1.0) * 100.0).collect()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write test file");
    path
}

/// A long CSV of reported growth rates, one series per (name, values), years from 1901.
fn growth_csv(series: &[(&str, &[f64])]) -> String {
    let mut csv = String::from("indicator,region,year,value,unit,source,confidence,note\n");
    for (name, values) in series {
        for (k, v) in values.iter().enumerate() {
            csv.push_str(&format!("{name},sim,{},{v},%,engine,high,\n", 1901 + k));
        }
    }
    csv
}

fn fit_texts(history: &str, map: &str) -> Result<FitReport, feasim::scenario::LoadError> {
    let dir = tempfile::tempdir().unwrap();
    let h = write(dir.path(), "history.csv", history);
    let m = write(dir.path(), "map.toml", map);
    fit::fit_files(&FitInputs { history: &h, map: &m, scenario: None })
}

const LONG: &str = r#"
[scenario]
name = "long"
base_year = 1900
end_year = 2000

[[indicator]]
id = "a.gdp"
kind = "level"
base = 100
source = "test"
growth = { dist = "normal", mean = 5.0, sd = 2.0 }
persistence = 0.4

[[indicator]]
id = "b.gdp"
kind = "level"
base = 100
source = "test"
growth = { dist = "normal", mean = 3.0, sd = 1.5 }
persistence = 0.4

[[correlation]]
between = ["a.gdp", "b.gdp"]
rho = 0.6

[[target]]
id = "T"
metric = "value"
indicator = "a.gdp"
comparator = ">="
threshold = 1
"#;

/// Mean, sd, persistence and correlation of 100-year engine paths are recovered within 4
/// reported standard errors (a correct estimator fails a single check with probability ~1e-4).
#[test]
fn fit_recovers_known_parameters_within_their_standard_errors() {
    let m = model(LONG);
    for path in 0..5 {
        let a = growth_series(&m, "a.gdp", 11, path);
        let b = growth_series(&m, "b.gdp", 11, path);
        assert_eq!(a.len(), 100);
        let report = fit_texts(
            &growth_csv(&[("A", &a), ("B", &b)]),
            r#"
[[series]]
indicator = "a.gdp"
growth = [{ indicator = "A", region = "sim" }]
[[series]]
indicator = "b.gdp"
growth = [{ indicator = "B", region = "sim" }]
"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        for (fit, mean, sd) in [(&report.indicators[0], 5.0, 2.0), (&report.indicators[1], 3.0, 1.5)] {
            assert_eq!(fit.n, 100);
            assert!(
                (fit.mean - mean).abs() <= 4.0 * fit.mean_se,
                "path {path} {}: mean {} ± {}",
                fit.indicator,
                fit.mean,
                fit.mean_se
            );
            assert!(
                (fit.sd - sd).abs() <= 4.0 * fit.sd_se,
                "path {path} {}: sd {} ± {}",
                fit.indicator,
                fit.sd,
                fit.sd_se
            );
            let p = fit.persistence.as_ref().expect("100 consecutive years give persistence");
            assert_eq!(p.pairs, 99);
            assert!((p.phi - 0.4).abs() <= 4.0 * p.std_error, "path {path}: φ {} ± {}", p.phi, p.std_error);
            let proposal = fit.proposal.as_ref().expect("a proposal");
            assert_eq!(proposal.dist, "normal", "99 df is a normal");
        }
        let c = &report.correlations[0];
        // Fisher-z standard error, inflated by Bartlett's factor for two AR(1) series with φ = 0.4.
        let se = (1.0 - c.rho * c.rho) / (97f64).sqrt() * ((1.0 + 0.16) / (1.0 - 0.16f64)).sqrt();
        assert!((c.rho - 0.6).abs() <= 4.0 * se, "path {path}: ρ {} ± {se}", c.rho);
        assert!(report.correlation_repair.is_none());
    }
}

const SHORT: &str = r#"
[scenario]
name = "short"
base_year = 2014
end_year = 2021

[[indicator]]
id = "a.gdp"
kind = "level"
base = 100
source = "test"
growth = { dist = "normal", mean = 5.0, sd = 2.0 }

[[target]]
id = "T"
metric = "value"
indicator = "a.gdp"
comparator = ">="
threshold = 1
"#;

/// With six years, the proposed predictive t(5) covers the seventh year at its nominal 90%,
/// while the plug-in normal N(ȳ, s) covers only about 81%. 2000 independent engine paths:
/// binomial standard error 0.0067, bound 4.5 standard errors.
#[test]
fn small_sample_predictive_has_nominal_coverage_and_the_plug_in_does_not() {
    let m = model(SHORT);
    let trials = 2000;
    let (mut predictive, mut plug_in) = (0, 0);
    for path in 0..trials {
        let g = growth_series(&m, "a.gdp", 3, path);
        let (history, fresh) = (&g[..6], g[6]);
        let observations = history
            .iter()
            .enumerate()
            .map(|(k, &v)| fit::Observation {
                year: 2015 + k as i32,
                value: v,
                origin: Origin::Reported { series: "A".into(), line: k + 2 },
                confidence: String::new(),
                source: String::new(),
            })
            .collect();
        let f = fit::estimate("a.gdp", fit::Measure::Growth, None, observations, vec![], vec![]);
        let marginal = f.proposal.as_ref().expect("n = 6 gives a proposal").marginal().expect("valid marginal");
        let (lo, hi) = (marginal.quantile(0.05), marginal.quantile(0.95));
        predictive += usize::from(lo <= fresh && fresh <= hi);
        let half = 1.644_853_626_951_472 * f.sd;
        plug_in += usize::from((fresh - f.mean).abs() <= half);
    }
    let rate = predictive as f64 / trials as f64;
    let bound = 4.5 * (0.9f64 * 0.1 / trials as f64).sqrt();
    assert!((rate - 0.9).abs() <= bound, "predictive coverage {rate}");
    let naive = plug_in as f64 / trials as f64;
    assert!(naive < 0.9 - bound, "plug-in coverage {naive} should fall short of 90%");
}

#[test]
fn student_t_tails_are_found_in_long_fat_tailed_series_and_not_claimed_in_short_ones() {
    let text = LONG.replace(
        "growth = { dist = \"normal\", mean = 5.0, sd = 2.0 }\npersistence = 0.4",
        "growth = { dist = \"student_t\", mean = 5.0, sd = 4.0, df = 3 }\ncompounding = \"log\"",
    );
    let m = model(&text);
    let mut found = 0;
    for path in 0..5 {
        let a = growth_series(&m, "a.gdp", 5, path);
        let log_points: Vec<f64> = a.iter().map(|g| 100.0 * (1.0 + g / 100.0).ln()).collect();
        let tails = fit::compare_tails(&log_points);
        found += usize::from(tails.student_t_preferred && tails.best_df <= 8.0);
    }
    assert!(found >= 4, "t(3) tails found in only {found} of 5 series of 100 years");
    let short = fit_texts(
        &growth_csv(&[("A", &[1.0, 2.0, 5.0, -3.0, 4.0, 3.0])]),
        "[[series]]\nindicator = \"a.gdp\"\ngrowth = [{ indicator = \"A\", region = \"sim\" }]\n",
    )
    .unwrap();
    let f = &short.indicators[0];
    assert!(f.tails.is_none());
    assert!(f.notes.iter().any(|n| n.contains("tails cannot be identified from 6 observations")), "{:?}", f.notes);
    assert!(f.notes.iter().any(|n| n.contains("small sample (n = 6)")));
    let p = f.proposal.as_ref().unwrap();
    assert_eq!(p.df, Some(5.0));
    // sd = s √(1 + 1/n) √((n−1)/(n−3)).
    assert!((p.sd - f.sd * (7.0f64 / 6.0).sqrt() * (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
}

const BREAKS_HISTORY: &str = "indicator,region,year,value,unit,source,confidence,note
GDP,x,2015,100,亿元,s1,high,
GDP,x,2016,104,亿元,s1,high,
GDP,x,2017,108.16,亿元,s1,medium,
GDP,x,2018,112,亿元,s1,high,old basis
GDP,x,2019,130,亿元,s2,high,census-revised basis
GDP,x,2020,132.6,亿元,s2,high,
GDP,x,2021,GAP,亿元,,gap,not found
GDP,x,2022,150,亿元,s3,high,after the base year
growth,x,2021,6.5,%,s4,low,
growth,x,2017,3.9,%,s4,low,
GDP_H1,x,2021H1,70,亿元,s5,high,half year
";

#[test]
fn growth_comes_from_reports_first_then_levels_on_one_basis_and_gaps_are_explained() {
    let report = fit_texts(
        BREAKS_HISTORY,
        r#"
[fit]
last_year = 2021
[[series]]
indicator = "x.gdp"
growth = [{ indicator = "growth", region = "x" }]
level = { indicator = "GDP", region = "x" }
new_basis_from = [2019]
"#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let f = &report.indicators[0];
    let years: Vec<(i32, bool)> =
        f.observations.iter().map(|o| (o.year, matches!(o.origin, Origin::Reported { .. }))).collect();
    assert_eq!(years, vec![(2016, false), (2017, true), (2018, false), (2020, false), (2021, true)]);
    assert!((f.observations[0].value - 4.0).abs() < 1e-9);
    assert!((f.observations[1].value - 3.9).abs() < 1e-12, "reported growth wins over the level ratio");
    assert!((f.observations[3].value - 2.0).abs() < 1e-9);
    assert_eq!(f.observations[2].confidence, "medium", "the lowest confidence of the two levels");
    let (year, why) = &f.missing[0];
    assert_eq!(*year, 2019);
    assert!(why.contains("different bases"), "{why}");
    assert_eq!(report.after_last_year, 1, "the 2022 level is ignored");
    let fragment = report.fragment(None);
    assert!(fragment.contains("missing 2019: levels 2018 and 2019 are on different bases"), "{fragment}");
    assert!(fragment.contains("GDP / x, ratio of consecutive levels: 2016 4"), "{fragment}");
}

#[test]
fn a_single_observation_gives_a_message_not_a_crash() {
    let report = fit_texts(
        "indicator,region,year,value\ng,x,2020,3.0\n",
        "[[series]]\nindicator = \"x.gdp\"\ngrowth = [{ indicator = \"g\", region = \"x\" }]\n",
    )
    .unwrap();
    let f = &report.indicators[0];
    assert_eq!(f.n, 1);
    assert!(f.proposal.is_none());
    assert!(f.notes.iter().any(|n| n.contains("a single observation")), "{:?}", f.notes);
    let fragment = report.fragment(None);
    assert!(fragment.contains("# [[indicator]]\n# id = \"x.gdp\""), "{fragment}");
    assert!(!fragment.contains("NaN") && !fragment.contains("nan"), "{fragment}");
    // Two and three observations: a t with 3 df and the predictive's 90% interval, flagged.
    let two = fit_texts(
        "indicator,region,year,value\ng,x,2019,1.0\ng,x,2020,3.0\n",
        "[[series]]\nindicator = \"x.gdp\"\ngrowth = [{ indicator = \"g\", region = \"x\" }]\n",
    )
    .unwrap();
    let p = two.indicators[0].proposal.as_ref().unwrap();
    assert!(p.approximate && p.df == Some(3.0));
    let m = p.marginal().unwrap();
    // Exact predictive: t(1) (Cauchy) with scale s √(1 + 1/2), s = √2; its 95% point is tan(0.45π).
    let exact_q95 = 2.0 + 2f64.sqrt() * 1.5f64.sqrt() * (0.45 * std::f64::consts::PI).tan();
    assert!((m.quantile(0.95) - exact_q95).abs() < 1e-6 * exact_q95, "{} vs {exact_q95}", m.quantile(0.95));
}

#[test]
fn mistakes_in_the_map_and_history_point_at_file_line_and_column() {
    let cases: [(&str, &str, &str); 5] = [
        (
            "indicator,region,year,value\ng,x,2020,3.0\n",
            "[[series]]\nindicator = \"x.gdp\"\ngrowht = [{ indicator = \"g\", region = \"x\" }]\n",
            "unknown field `growht`",
        ),
        (
            "indicator,region,year,value\ng,x,2020,3.0\n",
            "[[series]]\nindicator = \"x.gdp\"\ngrowth = [{ indicator = \"gg\", region = \"x\" }]\n",
            "the history has no series \"gg / x\"",
        ),
        (
            "indicator,region,year,value\ng,x,2020,3.0\ng,x,2020,3.5\n",
            "[[series]]\nindicator = \"x.gdp\"\ngrowth = [{ indicator = \"g\", region = \"x\" }]\n",
            "g / x 2020 is 3.5 here but 3 on line 2",
        ),
        (
            "indicator,region,year,value\ng,x,2020,abc\n",
            "[[series]]\nindicator = \"x.gdp\"\n",
            "\"abc\" is not a number",
        ),
        (
            "indicator,region,year,value\ng,x,2020,3\n",
            "[[series]]\nindicator = \"x.gdp\"\nmeasure = \"levels\"\ngrowth = [{ indicator = \"g\", region = \"x\" }]\n",
            "unknown measure \"levels\"",
        ),
    ];
    for (history, map, expected) in cases {
        let e = fit_texts(history, map).expect_err(expected).to_string();
        assert!(e.contains(expected), "{e}");
        assert!(e.contains(".csv:") || e.contains(".toml:"), "no file:line:column in {e}");
    }
    let dir = tempfile::tempdir().unwrap();
    let h = write(dir.path(), "h.csv", "indicator,region,year,value\ng,x,2020,3\n");
    let m = write(
        dir.path(),
        "m.toml",
        "[fit]\nlast_year = 2030\n[[series]]\nindicator = \"alpha.gdp_rael\"\ngrowth = [{ indicator = \"g\", region = \"x\" }]\n",
    );
    let scenario = Path::new("tests/data/calib-small.toml");
    let e = fit::fit_files(&FitInputs { history: &h, map: &m, scenario: Some(scenario) }).unwrap_err().to_string();
    assert!(e.contains("last_year 2030 is after the scenario's base year 2021"), "{e}");
    assert!(e.contains("did you mean \"alpha.gdp_real\""), "{e}");
    assert!(e.contains("m.toml:4:13"), "{e}");
}

/// The fragment loads as a variant of the scenario it was fitted for, and its growth line can be
/// pasted into the scenario itself.
#[test]
fn the_fragment_loads_as_a_variant_and_pastes_into_the_scenario() {
    let m = model(LONG);
    let a = growth_series(&m, "a.gdp", 2, 0);
    let b = growth_series(&m, "b.gdp", 2, 0);
    let dir = tempfile::tempdir().unwrap();
    let h = write(dir.path(), "h.csv", &growth_csv(&[("A", &a[..30]), ("B", &b[..7])]));
    let map = write(
        dir.path(),
        "map.toml",
        r#"
[fit]
last_year = 2021
[[series]]
indicator = "alpha.gdp_real"
growth = [{ indicator = "A", region = "sim" }]
[[series]]
indicator = "beta.trade"
growth = [{ indicator = "B", region = "sim" }]
"#,
    );
    let scenario = std::fs::canonicalize("tests/data/calib-small.toml").unwrap();
    let report = fit::fit_files(&FitInputs { history: &h, map: &map, scenario: Some(&scenario) })
        .unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("sub/fitted.toml");
    let fragment = report.fragment(Some(&out));
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, &fragment).unwrap();
    let variant = feasim::scenario::load(&out).unwrap_or_else(|e| panic!("{e}\n{fragment}"));
    assert_eq!(variant.name, "calib-small-fitted");
    let alpha = &variant.indicators[variant.indicator_index("alpha.gdp_real").unwrap()];
    let proposal = report.indicators[0].proposal.as_ref().unwrap();
    let (marginals, phi) = alpha.process.shock().unwrap();
    let written = proposal.marginal().unwrap();
    assert!((marginals[0].mean() - written.mean()).abs() < 0.01 && (marginals[0].sd() - written.sd()).abs() < 0.01);
    // 30 years: persistence estimated and written into the variant.
    let p = report.indicators[0].persistence.as_ref().unwrap();
    assert!((phi - p.phi).abs() < 0.01);
    // beta.trade compounds in log points: its fitted values are log growth.
    assert_eq!(report.indicators[1].measure, fit::Measure::LogGrowth);
    assert!((report.indicators[1].observations[0].value - 100.0 * (1.0 + b[0] / 100.0).ln()).abs() < 1e-9);
    // Pasting: the fitted growth line replaces the scenario's.
    let line = fragment.lines().find(|l| l.starts_with("growth = ")).unwrap();
    let original = std::fs::read_to_string("tests/data/calib-small.toml").unwrap();
    let pasted = original.replacen("growth = { dist = \"normal\", mean = 5.0, sd = 2.0 }", line, 1);
    assert_ne!(pasted, original);
    feasim::scenario::load_str("pasted.toml", &pasted).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_flagship_history_fits_and_its_fragment_is_a_valid_variant() {
    let inputs = FitInputs {
        history: Path::new("tests/data/liaoning-history-to-2021.csv"),
        map: Path::new("scenarios/liaoning-history-map.toml"),
        scenario: None,
    };
    let report = fit::fit_files(&inputs).unwrap_or_else(|e| panic!("{e}"));
    let gdp = report.indicators.iter().find(|f| f.indicator == "liaoning.gdp_real").unwrap();
    assert_eq!(gdp.n, 6, "2015–2018, 2020, 2021 (duplicates merged, 2019 missing)");
    assert!(report.indicators.iter().all(|f| f.observations.iter().all(|o| o.year <= 2021)));
    // The estimated correlation with national trade would contradict the flagship's other
    // correlations: the value nearest to it that keeps them valid is proposed instead.
    let c = report.correlations.iter().find(|c| c.a == "liaoning.gdp_real" && c.b == "china.trade").unwrap();
    assert!(c.adjusted.is_some() && c.proposed < c.rho, "{c:?}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fitted.toml");
    std::fs::write(&out, report.fragment(Some(&out))).unwrap();
    feasim::scenario::load(&out).unwrap_or_else(|e| panic!("{e}"));
}

const FORECAST_PATHS: u64 = 20_000;
const TRUTHS: u64 = 300;

/// Per target: the PITs and (probability, hit) of `TRUTHS` outcomes drawn from `truth_model`,
/// scored against the forecast of `forecast_model`.
/// One target's scores over many truths: id, PITs, (forecast probability, hit).
type TargetScores = (String, Vec<f64>, Vec<(f64, bool)>);

fn score_truths(forecast_model: &Model, truth_model: &Model) -> Vec<TargetScores> {
    let forecast = score::forecast(forecast_model, FORECAST_PATHS, 1, &|_| {});
    let mut per_target: Vec<TargetScores> =
        forecast_model.targets.iter().map(|t| (t.id.clone(), Vec::new(), Vec::new())).collect();
    let mut scratch = Scratch::new(truth_model);
    for k in 0..TRUTHS {
        simulate(truth_model, 424_242, k, &mut scratch);
        let report = score::score(forecast_model, &forecast, &Outcomes::from_path(forecast_model, &scratch.values));
        assert!(report.unscored.is_empty());
        for (t, s) in report.targets.iter().enumerate() {
            assert_eq!(per_target[t].0, s.id);
            per_target[t].1.push(s.pit.expect("a PIT"));
            per_target[t].2.push((s.probability, s.hit));
            assert!(s.log_score.is_finite() && s.brier.is_finite());
        }
    }
    per_target
}

/// KS bound at false-alarm rate α = 1e-6 for `n` draws (Dvoretzky–Kiefer–Wolfowitz–Massart),
/// plus 0.01 for the Monte Carlo and sketch error of the forecast CDF.
fn ks_bound(n: usize) -> f64 {
    ((2.0f64 / 1e-6).ln() / (2.0 * n as f64)).sqrt() + 0.01
}

/// z of the hits against the forecast probabilities over independent truths.
fn hit_z(outcomes: &[(f64, bool)]) -> f64 {
    let excess: f64 = outcomes.iter().map(|(p, h)| f64::from(u8::from(*h)) - p).sum();
    let var: f64 = outcomes.iter().map(|(p, _)| p * (1.0 - p)).sum();
    if var == 0.0 {
        // Certain forecasts: any miss of a certainty is infinitely surprising.
        return if excess == 0.0 { 0.0 } else { f64::INFINITY * excess };
    }
    excess / var.sqrt()
}

#[test]
fn outcomes_drawn_from_the_scenario_score_as_calibrated() {
    let text = std::fs::read_to_string("tests/data/calib-small.toml").unwrap();
    let m = model(&text);
    for (id, mut pits, outcomes) in score_truths(&m, &m) {
        pits.sort_by(f64::total_cmp);
        let d = score::ks_uniform(&pits);
        assert!(d <= ks_bound(pits.len()), "{id}: PIT KS distance {d} > {}", ks_bound(pits.len()));
        let z = hit_z(&outcomes);
        // |z| ≤ 5: false alarm about 6e-7 per target.
        assert!(z.abs() <= 5.0, "{id}: hits deviate from the forecast probabilities, z = {z}");
    }
}

#[test]
fn a_shifted_truth_is_detected() {
    let text = std::fs::read_to_string("tests/data/calib-small.toml").unwrap();
    let forecast_model = model(&text);
    let shifted = text.replace(
        "growth = { dist = \"normal\", mean = 5.0, sd = 2.0 }",
        "growth = { dist = \"normal\", mean = 3.5, sd = 2.0 }",
    );
    assert_ne!(shifted, text);
    let truth_model = model(&shifted);
    let results = score_truths(&forecast_model, &truth_model);
    let (_, mut pits, outcomes) = results.into_iter().find(|r| r.0 == "A1").unwrap();
    pits.sort_by(f64::total_cmp);
    let d = score::ks_uniform(&pits);
    assert!(d > ks_bound(pits.len()), "a 1.5 pp slower truth should give non-uniform PITs (KS {d})");
    assert!(hit_z(&outcomes) < -5.0, "a slower truth should hit A1 less often than forecast");
}

#[test]
fn score_reads_outcomes_and_lists_what_it_cannot_score() {
    let m = feasim::scenario::load(Path::new("tests/data/calib-small.toml")).unwrap();
    let table = feasim::calibration::history::read(Path::new("tests/data/calib-outcomes.csv"), true).unwrap();
    let outcomes = score::outcomes_from_table(&m, &table).unwrap_or_else(|e| panic!("{e}"));
    let forecast = score::forecast(&m, 4000, 3, &|_| {});
    let report = score::score(&m, &forecast, &outcomes);
    assert_eq!(report.unscored.len(), 2);
    assert_eq!(report.unscored[0].id, "B2");
    assert!(report.unscored[0].reason.contains("beta.urbanization 2024"), "{}", report.unscored[0].reason);
    let a2 = report.targets.iter().find(|t| t.id == "A2").unwrap();
    // Nominal GDP is derived from the realised real GDP and deflator: 1160 × 1.05.
    assert!((a2.realised - 1218.0).abs() < 1e-9 && !a2.hit);
    let o = &report.overall;
    let brier: f64 = report.targets.iter().map(|t| t.brier).sum::<f64>() / report.targets.len() as f64;
    assert!((o.brier - brier).abs() < 1e-15);
    assert!((o.brier_skill - (1.0 - brier / 0.25)).abs() < 1e-12);
    assert_eq!(report.reliability.iter().map(|b| b.targets).sum::<usize>(), 5);
    assert_eq!(report.pit_counts.iter().sum::<usize>(), 5);

    // A realised quantity given directly; a target the forecast never hits still scores finitely.
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "o.csv", "indicator,region,year,value,target\n,,2024,95,B4\n");
    let direct = score::outcomes_from_table(&m, &feasim::calibration::history::read(&path, true).unwrap()).unwrap();
    let report = score::score(&m, &forecast, &direct);
    let b4 = report.targets.iter().find(|t| t.id == "B4").unwrap();
    assert!(b4.realised_given && b4.hit);
    assert_eq!(b4.probability, 0.0, "urbanisation 70% + 0.5 pp/yr never reaches 90% by 2024");
    assert!((b4.log_score - (0.5 / 4001.0f64).ln()).abs() < 1e-12, "floored, finite");
    assert_eq!(report.unscored.len(), 6, "the other targets have no outcome");

    // Two different outcomes for one target, a row naming an indicator and a target, a gap row
    // with a value: each a located refusal, never a silent choice.
    let read = |name: &str, text: &str| {
        let path = write(dir.path(), name, text);
        score::outcomes_from_table(
            &m,
            &feasim::calibration::history::read(&path, true).unwrap_or_else(|e| panic!("{e}")),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    let twice = read("twice.csv", "indicator,region,year,value,target\n,,2024,95,B4\n,,2024,96,B4\n").unwrap_err();
    assert!(twice.contains("target B4 is 96 here but 95 on line 2") && twice.contains("twice.csv:3:"), "{twice}");
    assert_eq!(read("same.csv", "indicator,region,year,value,target\n,,2024,95,B4\n,,2024,95,B4\n"), Ok(()));
    let both = read("both.csv", "indicator,region,year,value,target\nalpha.gdp_real,,2024,95,B4\n").unwrap_err();
    assert!(both.contains("names both the indicator") && both.contains("both.csv:2:1"), "{both}");
    let gap = feasim::calibration::history::read(
        &write(dir.path(), "gap.csv", "indicator,region,year,value,confidence\nalpha.gdp_real,x,2022,1160,gap\n"),
        true,
    )
    .unwrap_err()
    .to_string();
    assert!(gap.contains("marked as a gap") && gap.contains("gap.csv:2:"), "{gap}");

    let bad = write(dir.path(), "bad.csv", "indicator,region,year,value\nalpha.gdp_rael,x,2022,1\n");
    let e = score::outcomes_from_table(&m, &feasim::calibration::history::read(&bad, true).unwrap())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no indicator \"alpha.gdp_rael\"")
            && e.contains("did you mean \"alpha.gdp_real\"")
            && e.contains("bad.csv:2:1"),
        "{e}"
    );
}

#[test]
fn fit_and_score_commands_write_their_files() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let fragment = dir.path().join("fitted.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_feasim"))
        .args([
            "fit",
            "tests/data/liaoning-history-to-2021.csv",
            "--map",
            "scenarios/liaoning-history-map.toml",
            "--out",
        ])
        .arg(&fragment)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("liaoning.gdp_real") && stdout.contains("small sample"), "{stdout}");
    assert!(std::fs::read_to_string(&fragment).unwrap().contains("extends = "));
    let score_dir = dir.path().join("score");
    let out = Command::new(env!("CARGO_BIN_EXE_feasim"))
        .args([
            "score",
            "tests/data/calib-small.toml",
            "tests/data/calib-outcomes.csv",
            "--paths",
            "2000",
            "--lang",
            "en",
            "--out",
        ])
        .arg(&score_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for file in [
        "score.json",
        "score.csv",
        "charts/reliability.png",
        "charts/reliability.svg",
        "charts/pit.png",
        "charts/pit.svg",
    ] {
        assert!(score_dir.join(file).is_file(), "{file}");
    }
    let csv = std::fs::read_to_string(score_dir.join("score.csv")).unwrap();
    assert!(csv.contains("B2,乙市城镇化率超过71%,unscored"), "{csv}");
    let bad = Command::new(env!("CARGO_BIN_EXE_feasim"))
        .args(["fit", "tests/data/calib-outcomes.csv", "--map", "tests/data/calib-small.toml"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "a bad map is bad input");
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("calib-small.toml:"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

fn observations(values: &[f64]) -> Vec<fit::Observation> {
    values
        .iter()
        .enumerate()
        .map(|(k, &v)| fit::Observation {
            year: 2000 + k as i32,
            value: v,
            origin: Origin::Reported { series: "S".into(), line: k + 2 },
            confidence: String::new(),
            source: String::new(),
        })
        .collect()
}

#[test]
fn shrinkage_follows_the_normal_normal_formulas_and_its_limits() {
    let city = || fit::estimate("c", fit::Measure::Growth, None, observations(&[1.0, 3.0]), vec![], vec![]);
    let province =
        fit::estimate("p", fit::Measure::Growth, None, observations(&[4.0, 6.0, 5.0, 5.0, 4.0, 6.0]), vec![], vec![]);
    let mut c = city();
    fit::shrink(&mut c, &province, 1.0, 0.0);
    let sh = c.shrinkage.as_ref().unwrap();
    // By hand: s² = 2 (1 df), s_p² = 0.8 (5 df): pooled (2 + 4)/6 = 1; SE_p² = 0.8/6.
    let prior_var = 1.0 + 0.8 / 6.0;
    let data_var = 1.0 / 2.0;
    let w = prior_var / (prior_var + data_var);
    assert!((sh.weight - w).abs() < 1e-12);
    assert!((sh.mean_after - (w * 2.0 + (1.0 - w) * 5.0)).abs() < 1e-12);
    assert!((sh.pooled_sd - 1.0).abs() < 1e-12 && sh.pooled_df == 6.0);
    let p = c.proposal.as_ref().unwrap();
    let scale = (1.0 + w * data_var).sqrt();
    assert!((p.sd - scale * 1.5f64.sqrt()).abs() < 1e-12 && p.df == Some(6.0));
    // A vague prior leaves the city's own mean, a tight one gives the province's (plus offset).
    let mut loose = city();
    fit::shrink(&mut loose, &province, 1e6, 0.0);
    assert!((loose.shrinkage.unwrap().mean_after - 2.0).abs() < 1e-6);
    let mut tight = city();
    fit::shrink(&mut tight, &province, 1e-6, 0.5);
    // With τ → 0 the prior is the province's mean + offset with the province's own SE.
    let w_tight = (0.8 / 6.0) / (0.8 / 6.0 + data_var);
    assert!((tight.shrinkage.unwrap().mean_after - (w_tight * 2.0 + (1.0 - w_tight) * 5.5)).abs() < 1e-9);
    // A single city year is enough when the province has a spread.
    let mut one = fit::estimate("c", fit::Measure::Growth, None, observations(&[2.0]), vec![], vec![]);
    assert!(one.proposal.is_none());
    fit::shrink(&mut one, &province, 1.0, 0.0);
    assert!(one.proposal.is_some() && one.shrinkage.as_ref().unwrap().pooled_df == 5.0);
}

/// Cities whose mean growth differs from the province's by N(0, 1) pp, three city years and six
/// province years: the shrunk mean has a smaller mean squared error than the city's own mean,
/// and the shrunk predictive covers the next city year at about its nominal 90%.
#[test]
fn shrinkage_beats_the_raw_city_mean_when_cities_resemble_their_province() {
    use rand::SeedableRng;
    use rand_distr::{Distribution, StandardNormal};
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(20220131);
    let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
    let trials = 2000;
    let (mut raw_se, mut shrunk_se, mut covered) = (0.0, 0.0, 0);
    for _ in 0..trials {
        let province_mean = 5.0;
        let city_mean = province_mean + normal();
        let p: Vec<f64> = (0..6).map(|_| province_mean + 2.0 * normal()).collect();
        let c: Vec<f64> = (0..3).map(|_| city_mean + 2.0 * normal()).collect();
        let next = city_mean + 2.0 * normal();
        let province = fit::estimate("p", fit::Measure::Growth, None, observations(&p), vec![], vec![]);
        let mut city = fit::estimate("c", fit::Measure::Growth, None, observations(&c), vec![], vec![]);
        raw_se += (city.mean - city_mean).powi(2);
        fit::shrink(&mut city, &province, 1.0, 0.0);
        shrunk_se += (city.shrinkage.as_ref().unwrap().mean_after - city_mean).powi(2);
        let m = city.proposal.as_ref().unwrap().marginal().unwrap();
        covered += usize::from(m.quantile(0.05) <= next && next <= m.quantile(0.95));
    }
    assert!(shrunk_se < 0.8 * raw_se, "MSE shrunk {} vs raw {}", shrunk_se / trials as f64, raw_se / trials as f64);
    let rate = covered as f64 / trials as f64;
    assert!((rate - 0.9).abs() <= 4.5 * (0.09f64 / trials as f64).sqrt(), "coverage {rate}");
}

#[test]
fn shrinking_toward_an_unmapped_indicator_is_an_error() {
    let e = fit_texts(
        "indicator,region,year,value\ng,x,2020,3.0\ng,x,2021,2.0\n",
        "[[series]]\nindicator = \"x.gdp\"\ngrowth = [{ indicator = \"g\", region = \"x\" }]\nshrink = { toward = \"y.gdp\", sd = 1.0 }\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("cannot shrink toward \"y.gdp\"") && e.contains("map.toml:4:21"), "{e}");
}

/// Pairwise correlations over different years can contradict each other; the proposal is then
/// the nearest valid matrix (Higham), and the change is reported.
#[test]
fn contradictory_pairwise_correlations_are_repaired_and_reported() {
    // A and B move together in 2001–05, A and C in 2006–10, B and C oppositely in 2011–15.
    let wave = [1.0, -2.0, 3.0, -1.0, 2.5];
    let mut csv = String::from("indicator,region,year,value\n");
    for (k, w) in wave.iter().enumerate() {
        for (series, year, value) in [
            ("A", 2001 + k, 5.0 + w),
            ("B", 2001 + k, 4.0 + w),
            ("A", 2006 + k, 5.0 + w),
            ("C", 2006 + k, 6.0 + w),
            ("B", 2011 + k, 4.0 + w),
            ("C", 2011 + k, 6.0 - w),
        ] {
            csv.push_str(&format!("{series},x,{year},{value}\n"));
        }
    }
    let map = ["a", "b", "c"]
        .iter()
        .map(|s| {
            format!(
                "[[series]]\nindicator = \"x.{s}\"\ngrowth = [{{ indicator = \"{}\", region = \"x\" }}]\n",
                s.to_uppercase()
            )
        })
        .collect::<String>();
    let report = fit_texts(&csv, &map).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(report.correlations.len(), 3);
    let rhos: Vec<f64> = report.correlations.iter().map(|c| c.rho).collect();
    assert!(
        (rhos[0] - 1.0).abs() < 1e-12 && (rhos[1] - 1.0).abs() < 1e-12 && (rhos[2] + 1.0).abs() < 1e-12,
        "{rhos:?}"
    );
    let repair = report.correlation_repair.as_ref().expect("the pairwise matrix is invalid");
    assert!(repair.min_eigenvalue < -0.5 && repair.max_abs_change > 0.1);
    let proposed: Vec<f64> = report.correlations.iter().map(|c| c.proposed).collect();
    let mut m = feasim::model::correlation::CorrelationMatrix::identity(3);
    m.set(0, 1, proposed[0]);
    m.set(0, 2, proposed[1]);
    m.set(1, 2, proposed[2]);
    assert!(m.cholesky().is_ok(), "proposed {proposed:?} must be a valid correlation matrix");
    let fragment = report.fragment(None);
    assert!(fragment.contains("the nearest valid one (Higham 2002) is proposed"), "{fragment}");
}

/// `score` simulates exactly as `run` does: the same probabilities to the bit.
#[test]
fn score_forecasts_are_the_run_summary() {
    let m = model(&std::fs::read_to_string("tests/data/calib-small.toml").unwrap());
    let forecast = score::forecast(&m, 3000, 9, &|_| {});
    assert_eq!(crate::util::json(&forecast.summary), crate::util::json(&crate::util::run(&m, 3000, 9)));
}

/// Histories at the edges of what a number can be: values near 1e200 (squares overflow), a
/// series growing at exactly 3% a year (a spread of rounding only), tiny spreads. `fit` must not
/// panic, and every fragment it writes must load as a variant of the scenario.
#[test]
fn extreme_histories_fit_without_panicking_and_their_fragments_load() {
    let huge: Vec<f64> = (0..12).map(|k| 1e200 * (1.0 + 0.01 * ((k * 7) % 5) as f64)).collect();
    let huge_b: Vec<f64> = (0..12).map(|k| 3e199 * (1.0 + 0.02 * ((k * 3) % 4) as f64)).collect();
    let exact: Vec<f64> = (0..12).map(|k| 100.0 * (1.03f64.powi(k + 1) / 1.03f64.powi(k) - 1.0)).collect();
    let tiny: Vec<f64> = (0..12).map(|k| 4.0 + 1e-6 * ((k % 3) as f64 - 1.0)).collect();
    let map = r#"
[fit]
last_year = 2021
[[series]]
indicator = "alpha.gdp_real"
growth = [{ indicator = "A", region = "sim" }]
[[series]]
indicator = "beta.trade"
growth = [{ indicator = "B", region = "sim" }]
"#;
    let scenario = std::fs::canonicalize("tests/data/calib-small.toml").unwrap();
    for (name, a, b) in [("huge", &huge, &huge_b), ("exact 3%", &exact, &tiny), ("tiny", &tiny, &exact)] {
        let dir = tempfile::tempdir().unwrap();
        let h = write(dir.path(), "h.csv", &growth_csv(&[("A", a), ("B", b)]));
        let m = write(dir.path(), "map.toml", map);
        let report = fit::fit_files(&FitInputs { history: &h, map: &m, scenario: Some(&scenario) })
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = dir.path().join("fitted.toml");
        let fragment = report.fragment(Some(&out));
        assert!(
            !fragment.contains("n/a") && !fragment.contains("NaN") && !fragment.contains("inf"),
            "{name}:\n{fragment}"
        );
        std::fs::write(&out, &fragment).unwrap();
        feasim::scenario::load(&out).unwrap_or_else(|e| panic!("{name}: the fragment does not load: {e}\n{fragment}"));
        for fit in &report.indicators {
            if let Some(p) = fit.proposal.as_ref().filter(|p| !p.blocked) {
                assert!(p.mean.is_finite() && p.sd > 0.0 && p.sd.is_finite(), "{name}: {p:?}");
            }
        }
    }
    // A log growth of a fall of more than 100%: a located refusal, its number in scientific notation.
    let dir = tempfile::tempdir().unwrap();
    let falls: Vec<f64> = huge.iter().map(|v| -v).collect();
    let h = write(dir.path(), "h.csv", &growth_csv(&[("A", &exact), ("B", &falls)]));
    let m = write(dir.path(), "map.toml", map);
    let e = fit::fit_files(&FitInputs { history: &h, map: &m, scenario: Some(&scenario) }).unwrap_err().to_string();
    assert!(e.contains("a growth of -1e200% has no log") && e.contains("h.csv:14:12"), "{e}");
    // The exactly-3% series has no spread to fit: it is said, not proposed as sd = 0.
    let dir = tempfile::tempdir().unwrap();
    let h = write(dir.path(), "h.csv", &growth_csv(&[("A", &exact), ("B", &tiny)]));
    let m = write(dir.path(), "map.toml", map);
    let report = fit::fit_files(&FitInputs { history: &h, map: &m, scenario: Some(&scenario) }).unwrap();
    assert!(report.indicators[0].proposal.is_none());
    assert!(report.indicators[0].notes.iter().any(|n| n.contains("no spread")), "{:?}", report.indicators[0].notes);
}
