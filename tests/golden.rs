//! Golden tests: every scenario in `scenarios/` is run with a fixed seed and a small number of
//! paths, and its summary must match `tests/golden/<name>.json` exactly. A change that moves any
//! number shows up here; when the change is intended, regenerate with
//! `FEASIM_UPDATE_GOLDEN=1 cargo test --test integration golden` and explain why in the commit.

use std::path::{Path, PathBuf};

use crate::util::{json, run_on};

const GOLDEN_PATHS: u64 = 4096;

fn scenarios() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("scenarios")
        .expect("scenarios/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        // `*-map.toml` are `feasim fit` maps (history series → indicators), not scenarios.
        .filter(|p| !p.to_string_lossy().ends_with("-map.toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_scenario_matches_its_golden_summary() {
    let update = std::env::var_os("FEASIM_UPDATE_GOLDEN").is_some();
    let files = scenarios();
    assert!(files.len() >= 3, "the flagship, its variant and the tutorial");
    let mut failures = Vec::new();
    for file in files {
        let model = feasim::scenario::load(&file).unwrap_or_else(|e| panic!("{e}"));
        let summary = run_on(&model, GOLDEN_PATHS, model.default_seed, 2);
        let mut text = serde_json::to_string_pretty(&summary).unwrap();
        text.push('\n');
        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
        let golden = Path::new("tests/golden").join(format!("{stem}.json"));
        if update {
            std::fs::create_dir_all("tests/golden").unwrap();
            std::fs::write(&golden, &text).unwrap();
            continue;
        }
        match std::fs::read_to_string(&golden) {
            Ok(expected) if expected == text => {}
            Ok(_) => failures.push(format!("{} differs from {}", file.display(), golden.display())),
            Err(_) => failures.push(format!("{} has no golden file {}", file.display(), golden.display())),
        }
        // The golden run is also a determinism check against a single thread.
        assert_eq!(json(&summary), json(&run_on(&model, GOLDEN_PATHS, model.default_seed, 1)));
    }
    assert!(
        failures.is_empty(),
        "{}\nif the change is intended: FEASIM_UPDATE_GOLDEN=1 cargo test --test integration golden",
        failures.join("\n")
    );
}

#[test]
fn every_flagship_target_is_modelled_or_explained() {
    let model = feasim::scenario::load(Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
    let catalogue = std::fs::read_to_string("seeds/targets.csv").unwrap();
    let mut reader = csv::Reader::from_reader(catalogue.as_bytes());
    let mut ids = Vec::new();
    for record in reader.records() {
        ids.push(record.unwrap()[0].to_string());
    }
    assert_eq!(ids.len(), 55);
    for id in &ids {
        let modelled = model.targets.iter().filter(|t| &t.id == id).count();
        let explained = model.not_modelled.iter().filter(|t| &t.id == id).count();
        assert_eq!(modelled + explained, 1, "{id} must be a [[target]] or [[not_modelled]] exactly once");
    }
}

/// An indicator's `history` reaches the Summary as written (years in order, values, source),
/// survives summary.json, and is accepted on a derived indicator and in the base year when it
/// repeats `base`; the flagship's histories are all before or at its base year.
#[test]
fn history_round_trips_from_file_to_summary() {
    let text = format!(
        "{}{}",
        crate::util::header(2023),
        r#"
[[indicator]]
id = "city.gdp"
kind = "level"
base = 100
source = "s"
growth = { dist = "normal", mean = 5, sd = 1 }
history = { source = "统计年鉴 2021 (medium)", values = { 2019 = 92.5, 2017 = 85.0, 2021 = 100.0 } }

[[indicator]]
id = "city.gdp_twice"
kind = "derived"
expr = "2 * city.gdp"
history = { source = "derived", values = { 2021 = 200.0 } }

[[target]]
id = "T1"
metric = "value"
indicator = "city.gdp"
year = 2023
comparator = ">="
threshold = 110
"#
    );
    let summary = crate::util::run(&crate::util::model(&text), 256, 7);
    let gdp = &summary.indicators[0];
    let points: Vec<(i32, f64)> = gdp.history.iter().map(|h| (h.year, h.value)).collect();
    assert_eq!(points, [(2017, 85.0), (2019, 92.5), (2021, 100.0)]);
    assert_eq!(gdp.history_source.as_deref(), Some("统计年鉴 2021 (medium)"));
    assert_eq!(summary.indicators[1].history.len(), 1);
    let back: feasim::summary::Summary = serde_json::from_str(&json(&summary)).unwrap();
    assert_eq!(back.indicators[0].history, gdp.history);

    let flagship = feasim::scenario::load(Path::new("scenarios/liaoning-2022-2024.toml")).unwrap();
    let with_history: Vec<_> = flagship.indicators.iter().filter(|i| !i.history.is_empty()).collect();
    assert!(with_history.len() >= 5, "the flagship cites history for its GDP, trade, FDI and more");
    for i in with_history {
        assert!(i.history.keys().all(|&y| y <= flagship.base_year), "{}", i.id);
        assert!(!i.history_source.trim().is_empty(), "{}", i.id);
    }
}
