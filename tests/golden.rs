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
