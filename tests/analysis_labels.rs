//! What the analysis outputs call things: every assumption and target named in words in the
//! reports and beside every id column of every analysis CSV; the heatmap's rows filtered as
//! documented; the solve chart's grid evenly spaced and simulated on the search's paths.

use feasim::analysis::compare;
use feasim::analysis::params;
use feasim::analysis::sensitivity::{self, SensitivityConfig, SensitivityReport};
use feasim::analysis::separation::{self, SeparationConfig};
use feasim::analysis::sobol::{self, SobolConfig};
use feasim::analysis::solve::{self, SolveConfig};
use feasim::analysis::sweep::{self, SweepSpec};
use feasim::model::Model;

const SEED: u64 = 7;

fn tutorial() -> Model {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/tutorial.toml");
    feasim::scenario::load(std::path::Path::new(path)).unwrap_or_else(|e| panic!("{e}"))
}

fn sensitivity(model: &Model, paths: u64) -> SensitivityReport {
    let config = SensitivityConfig { paths, seed: SEED, kinds: vec![], mean_shift: None, batch: sensitivity::BATCH };
    let plan = sensitivity::plan(model, &config);
    sensitivity::run(model, &plan, &config, &|_| {}).unwrap()
}

/// Every id column (`parameter`, `target`, `group`, `feature`) of `csv` is followed by
/// `<id>_label_zh` and `<id>_label_en`, and every row has both labels filled in, none of them
/// equal to the id. Returns the number of rows.
fn check_label_columns(name: &str, csv: &[u8]) -> usize {
    let mut reader = csv::Reader::from_reader(csv);
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let ids: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| matches!(h.as_str(), "parameter" | "target" | "group" | "feature"))
        .map(|(k, _)| k)
        .collect();
    assert!(!ids.is_empty(), "{name}: no id column in {header:?}");
    for &k in &ids {
        assert_eq!(header.get(k + 1), Some(&format!("{}_label_zh", header[k])), "{name}: {header:?}");
        assert_eq!(header.get(k + 2), Some(&format!("{}_label_en", header[k])), "{name}: {header:?}");
    }
    let mut rows = 0;
    for record in reader.records() {
        let record = record.unwrap();
        for &k in &ids {
            let (id, zh, en) = (&record[k], &record[k + 1], &record[k + 2]);
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{name}: row {rows} has no label for {id}");
            assert!(zh != id && en != id, "{name}: row {rows}: the label of {id} is its id");
        }
        rows += 1;
    }
    assert!(rows > 0, "{name}: no rows");
    rows
}

#[test]
fn every_analysis_csv_has_labels_beside_its_ids() {
    let model = tutorial();
    check_label_columns("sensitivity.csv", &sensitivity(&model, 1_000).to_csv().unwrap());
    let param = params::find(&model, "shenyang.gdp_real:mean").unwrap();
    let spec = SweepSpec { param, from: 4.0, to: 8.0, steps: 3 };
    let swept = sweep::run(&model, &[spec], 1_000, SEED, &|_| {}).unwrap();
    check_label_columns("sweep.csv", &swept.to_csv().unwrap());
    let compared = compare::compare(&[&model, &model], 1_000, SEED, &|_| {});
    check_label_columns("compare.csv", &compared.to_csv().unwrap());
    let indices = sobol::sobol(&model, &SobolConfig::new(256, SEED), &|_| {});
    check_label_columns("sobol.csv", &sobol::to_csv(&indices).unwrap());
    let separated = separation::separate(&model, &SeparationConfig { paths: 1_000, seed: SEED }, &|_| {});
    check_label_columns("separation.csv", &separation::to_csv(&separated).unwrap());
}

#[test]
fn parameters_are_named_in_words_and_their_shifts_too() {
    let model = tutorial();
    let report = sensitivity(&model, 500);
    let by_id = |id: &str| report.parameters.iter().find(|p| p.id == id).unwrap_or_else(|| panic!("no {id}"));
    let mean = by_id("shenyang.gdp_real:mean");
    assert_eq!(mean.label_en, "Shenyang real GDP (2021 prices) · growth mean");
    assert_eq!(mean.label_zh, "沈阳市地区生产总值（2021年价格） · 增速均值");
    assert_eq!((mean.shift_low.en.as_str(), mean.shift_high.en.as_str()), ("growth mean −1 pp", "growth mean +1 pp"));
    assert_eq!(mean.shift_high.zh, "增速均值 +1 个百分点");
    let spread = by_id("shenyang.gdp_real:spread");
    assert_eq!((spread.shift_low.en.as_str(), spread.shift_high.en.as_str()), ("spread ÷ 1.5", "spread × 1.5"));
    for p in &report.parameters {
        for label in [&p.label_zh, &p.label_en] {
            // The label is words: the indicator's id (with its dot) never appears in it.
            let indicator = p.id.split([':', '~']).next().unwrap();
            assert!(!label.contains(indicator), "{}: label {label:?} shows the id", p.id);
        }
        assert!(!p.shift_low.en.is_empty() && !p.shift_high.zh.is_empty(), "{}: no shift words", p.id);
    }
    // A published base moves by ±1%, an uncertain one by ± its sd.
    for p in report.parameters.iter().filter(|p| p.kind == "base") {
        let words = &p.shift_low.en;
        assert!(words == "base −1%" || words == "base − 1 sd", "{}: {words}", p.id);
    }
}

#[test]
fn heatmap_rows_are_the_significant_assumptions_strongest_first_and_capped() {
    let model = tutorial();
    let report = sensitivity(&model, 2_000);
    let min = 0.005;
    let significant =
        |d: &feasim::summary::PairedDifference| d.difference.abs() >= min && (d.ci_low > 0.0 || d.ci_high < 0.0);
    let strength = |p: &sensitivity::ParamSensitivity| {
        p.effects
            .iter()
            .flat_map(|e| [&e.low, &e.high])
            .filter(|d| significant(d))
            .map(|d| d.difference.abs())
            .fold(0.0, f64::max)
    };
    let expected: Vec<&str> = report.parameters.iter().filter(|p| strength(p) > 0.0).map(|p| p.id.as_str()).collect();
    let quiet = report.parameters.len() - expected.len();
    assert!(!expected.is_empty() && quiet > 0, "the tutorial should have both kinds: {} / {quiet}", expected.len());
    let (all, left_out) = report.heatmap_rows(min, usize::MAX);
    assert_eq!(left_out, 0);
    let mut ids: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    ids.sort_unstable();
    let mut want = expected.clone();
    want.sort_unstable();
    assert_eq!(ids, want, "rows = exactly the parameters with a significant effect ≥ {min}");
    assert!(all.windows(2).all(|w| strength(w[0]) >= strength(w[1])), "strongest first");
    let cap = 3;
    let (capped, left_out) = report.heatmap_rows(min, cap);
    assert_eq!(capped.len(), cap.min(expected.len()));
    assert_eq!(left_out, expected.len().saturating_sub(cap));
    assert!(capped.iter().zip(&all).all(|(a, b)| a.id == b.id), "the cap keeps the strongest");
}

#[test]
fn the_solve_grid_is_evenly_spaced_and_simulated_on_the_same_paths() {
    let model = tutorial();
    let target = model.targets.iter().position(|t| t.id == "TUT1").unwrap();
    let param = params::find(&model, "shenyang.gdp_real:mean").unwrap();
    let paths = 3_000;
    let config = SolveConfig { paths, seed: SEED, probabilities: vec![0.5, 0.8], tolerance: None };
    let report = solve::solve(&model, target, &param, &config, &|_| {}).unwrap();
    assert_eq!(report.param_label_en, "Shenyang real GDP (2021 prices) · growth mean");
    let grid = &report.grid;
    assert_eq!(grid.len(), solve::GRID_STEPS);
    let (low, high) = solve::grid_range(&report.answers, report.value, (report.searched_low, report.searched_high));
    assert_eq!((grid[0].value, grid[grid.len() - 1].value), (low, high));
    assert!(report.searched_low <= low && high <= report.searched_high);
    for a in report.answers.iter().filter(|a| a.status == "solved") {
        for v in [a.value, a.ci_low, a.ci_high].into_iter().flatten() {
            assert!(low <= v && v <= high, "answer {v} outside the grid [{low}, {high}]");
        }
    }
    let step = (high - low) / (grid.len() - 1) as f64;
    for (k, w) in grid.windows(2).enumerate() {
        assert!(((w[1].value - w[0].value) - step).abs() <= 1e-9 * step, "uneven step {k}: {:?}", w);
    }
    // Same paths: a sweep over the same grid with the same seed and paths counts the same hits,
    // and so does the search wherever it simulated a grid value.
    let spec = SweepSpec { param: param.clone(), from: low, to: high, steps: solve::GRID_STEPS };
    let swept = sweep::run(&model, &[spec], paths, SEED, &|_| {}).unwrap();
    let curve = swept.sweeps[0].curves.iter().find(|c| c.target == "TUT1").unwrap();
    let solved: Vec<u64> = grid.iter().map(|p| p.probability.hits).collect();
    let expected: Vec<u64> = curve.points.iter().map(|p| p.probability.hits).collect();
    assert_eq!(solved, expected);
    for point in &report.curve {
        if let Some(g) = grid.iter().find(|g| g.value == point.value) {
            assert_eq!(g.probability.hits, point.probability.hits, "at {}", point.value);
        }
    }
    // P(hit) rises with the growth mean, from below 50% to above 80% across the grid.
    assert!(solved.windows(2).all(|w| w[0] <= w[1]), "{solved:?}");
    assert!(grid[0].probability.probability < 0.5 && grid[grid.len() - 1].probability.probability > 0.8);
}

#[test]
fn reports_written_before_labels_existed_still_read() {
    let model = tutorial();
    let param = params::find(&model, "shenyang.gdp_real:mean").unwrap();
    let config = SolveConfig { paths: 500, seed: SEED, probabilities: vec![0.5], tolerance: None };
    let target = model.targets.iter().position(|t| t.id == "TUT1").unwrap();
    let report = solve::solve(&model, target, &param, &config, &|_| {}).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    for field in ["grid", "param_label_zh", "param_label_en"] {
        json.as_object_mut().unwrap().remove(field);
    }
    let old: solve::SolveReport = serde_json::from_value(json).unwrap();
    assert!(old.grid.is_empty() && old.param_label_en.is_empty());
}
