//! The analysis charts drawn from real (small) analyses of the tutorial: rows and axes named in
//! words, not ids; the tornado's few-hits warning; the heatmap's key and note; the Sobol' hit
//! charts; the separation chart's colour-blind-safe colours.

use std::path::{Path, PathBuf};

use super::*;
use crate::analysis::sensitivity::{self, SensitivityConfig, SensitivityReport};
use crate::analysis::separation::{self, SeparationConfig};
use crate::analysis::sobol::{self, SobolConfig};
use crate::analysis::{params, solve};
use crate::model::Model;

fn tutorial() -> Model {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/tutorial.toml");
    crate::scenario::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

fn options(language: Language) -> Option<ChartOptions> {
    font::installed(true).map(|font| ChartOptions { language, font_path: Some(font) })
}

fn svg(dir: &Path, name: &str) -> String {
    let path: PathBuf = dir.join(format!("{name}.svg"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn sensitivity_report(model: &Model, paths: u64) -> SensitivityReport {
    let config = SensitivityConfig { paths, seed: 3, kinds: vec![], mean_shift: None, batch: sensitivity::BATCH };
    let plan = sensitivity::plan(model, &config);
    sensitivity::run(model, &plan, &config, &|_| {}).unwrap()
}

#[test]
fn tornado_and_heatmap_name_assumptions_in_words_and_warn_on_few_hits() {
    let Some(options) = options(Language::English) else { return };
    let model = tutorial();
    let report = sensitivity_report(&model, 2_000);
    let dir = tempfile::tempdir().unwrap();
    write_sensitivity_charts(&report, dir.path(), &options).unwrap();
    // TUT1 (1 trillion yuan) is hit on only a handful of the 2 000 paths; TUT2 on hundreds.
    let rare = report.targets.iter().find(|t| t.id == "TUT1").unwrap();
    let common = report.targets.iter().find(|t| t.id == "TUT2").unwrap();
    assert!(rare.baseline.hits < 30, "{}", rare.baseline.hits);
    assert!(common.baseline.hits >= 30 && 2_000 - common.baseline.hits >= 30);
    let tornado = svg(dir.path(), "tornado/TUT1");
    assert!(tornado.contains("Warning: only"), "no warning on a target with {} hits", rare.baseline.hits);
    assert!(!svg(dir.path(), "tornado/TUT2").contains("Warning: only"));
    assert!(tornado.contains("Shenyang real GDP (2021 prices) · growth mean"));
    assert!(tornado.contains("growth mean −1 pp / +1 pp"));
    assert!(tornado.contains("spread ÷ 1.5 / × 1.5"));
    assert!(!tornado.contains("shenyang.gdp_real:mean"), "an id on the tornado");
    assert!(tornado.contains("95% paired interval"));
    let heatmap = svg(dir.path(), "heatmap");
    assert!(heatmap.contains("Shenyang real GDP (2021 prices) · growth mean"));
    assert!(!heatmap.contains(":mean"), "an id on the heatmap");
    // The key's ends are the signed extremes, and the note says what was left out.
    let (rows, _) = report.heatmap_rows(heatmap::MIN_EFFECT, heatmap::MAX_ROWS);
    let max = rows.iter().flat_map(|p| p.effects.iter()).map(|e| e.high.difference.abs()).fold(0.0, f64::max);
    assert!(heatmap.contains(&format!("{:+.1}", 100.0 * max)) && heatmap.contains(&format!("{:+.1}", -100.0 * max)));
    assert!(heatmap.contains("(all are in sensitivity.csv)"));
    assert!(heatmap.contains("assumptions have no significant effect"));
}

#[test]
fn solve_chart_draws_the_grid_and_names_the_parameter() {
    let Some(zh) = options(Language::Chinese) else { return };
    let model = tutorial();
    let target = model.targets.iter().position(|t| t.id == "TUT1").unwrap();
    let param = params::find(&model, "shenyang.gdp_real:mean").unwrap();
    let config = solve::SolveConfig { paths: 1_000, seed: 3, probabilities: vec![0.5], tolerance: None };
    let report = solve::solve(&model, target, &param, &config, &|_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_solve_chart(&report, dir.path(), &zh).unwrap();
    let chart = svg(dir.path(), "solve");
    assert!(chart.contains("沈阳市地区生产总值（2021年价格） · 增速均值"));
    assert!(!chart.contains("shenyang.gdp_real:mean"));
    // One marker per grid value (the grid has fewer than 60 points, so each is drawn).
    assert_eq!(report.grid.len(), solve::GRID_STEPS);
    assert!(chart.matches("<circle").count() >= solve::GRID_STEPS, "grid points not drawn");
}

#[test]
fn sobol_charts_cover_the_hit_indicator_and_separation_is_colour_blind_safe() {
    let Some(options) = options(Language::English) else { return };
    let model = tutorial();
    let dir = tempfile::tempdir().unwrap();
    let indices = sobol::sobol(&model, &SobolConfig::new(256, 3), &|_| {});
    let written = write_sobol_charts(&indices, dir.path(), &options).unwrap();
    assert_eq!(written.files.len(), 2 * 2 * model.targets.len());
    let hit = svg(dir.path(), "sobol_hit/TUT2");
    assert!(hit.contains("What decides hit or miss"));
    assert!(hit.contains("Liaoning real GDP (2021 prices) · yearly shocks"));
    assert!(!hit.contains(":shocks"), "an id on the Sobol' chart");
    let separated = separation::separate(&model, &SeparationConfig { paths: 2_000, seed: 3 }, &|_| {});
    write_separation_charts(&separated, dir.path(), &options).unwrap();
    let chart = svg(dir.path(), "separation/TUT2");
    assert!(chart.contains("higher on paths that hit than on paths that miss"));
    assert!(chart.contains("Shenyang real GDP (2021 prices) · average growth"));
    assert!(chart.contains("#0072B2") && chart.contains("#D55E00"), "not the Okabe–Ito pair");
    assert!(!chart.contains("#2CA02C"), "the old green");
}
