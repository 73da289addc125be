//! Every CSV feasim writes, read back with pandas as an economist would: the files parse, the id
//! columns hold the scenario's ids, the numbers are numbers, and the Chinese labels come back as
//! written. Runs `python3`; skipped with a printed reason only when python3 is absent (pandas
//! missing is a failure: `scripts/setup` installs it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use feasim::model::Model;

const TUTORIAL: &str = "scenarios/tutorial.toml";
const CALIBRATION: &str = "tests/data/calib-small.toml";

/// Which language of a target's label a column holds.
#[derive(Clone, Copy)]
enum Label {
    Zh,
    En,
}

/// (file, column of target ids, column of labels, language): the label columns the CSVs have
/// TODAY. When more CSVs get label columns beside their ids (issue 10 item 3), add them here; the
/// test then checks them against the scenario's labels.
const LABELLED: &[(&str, &str, &str, Label)] = &[
    ("targets.csv", "id", "label_zh", Label::Zh),
    ("targets.csv", "id", "label_en", Label::En),
    ("score.csv", "id", "label_zh", Label::Zh),
];

/// (file, column of target ids): every CSV that names targets.
const TARGET_IDS: &[(&str, &str)] = &[
    ("targets.csv", "id"),
    ("sensitivity.csv", "target"),
    ("sweep.csv", "target"),
    ("compare.csv", "target"),
    ("sobol.csv", "target"),
    ("separation.csv", "target"),
    ("score.csv", "id"),
];

/// (file, column): columns pandas must read as numbers (float64 or int64).
const NUMERIC: &[(&str, &str)] = &[
    ("targets.csv", "probability"),
    ("targets.csv", "p50"),
    ("sensitivity.csv", "delta_low"),
    ("sweep.csv", "probability"),
    ("compare.csv", "probability"),
    ("sobol.csv", "total"),
    ("separation.csv", "standardized_difference"),
    ("score.csv", "probability"),
];

/// Reads each CSV given on the command line twice — as text (every cell a string) and with
/// pandas' own type inference — and prints what it found as JSON.
const READER: &str = r#"
import json, sys
import pandas as pd
out = {}
for path in sys.argv[1:]:
    text = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    typed = pd.read_csv(path, encoding="utf-8-sig")
    out[path] = {
        "columns": [str(c) for c in text.columns],
        "rows": text.values.tolist(),
        "dtypes": {str(c): str(t) for c, t in typed.dtypes.items()},
    }
json.dump(out, sys.stdout, ensure_ascii=False)
"#;

fn feasim(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_feasim")).args(args).output().expect("feasim runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn load(path: &str) -> Model {
    feasim::scenario::load(Path::new(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn every_csv_reads_back_in_pandas_with_ids_and_chinese_labels() {
    if Command::new("python3").arg("--version").output().is_err() {
        println!("skipped: python3 is not installed (the CSV files are not read back with pandas)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let common = ["-n", "400", "--seed", "3", "--no-charts", "-q", "--threads", "2"];
    let with = |args: &[&str], dir: &str| -> Vec<String> {
        args.iter().chain(&common).chain(&["-o", dir]).map(|s| s.to_string()).collect()
    };
    let runs: Vec<(Vec<String>, String, &str)> = vec![
        (with(&["run", TUTORIAL], &out("run")), out("run"), "targets.csv"),
        (with(&["sensitivity", TUTORIAL, "--only-kind", "mean,rho"], &out("sens")), out("sens"), "sensitivity.csv"),
        (
            with(&["sweep", TUTORIAL, "--param", "shenyang.gdp_real:mean=4:6", "--steps", "3"], &out("sweep")),
            out("sweep"),
            "sweep.csv",
        ),
        (with(&["compare", TUTORIAL, TUTORIAL], &out("compare")), out("compare"), "compare.csv"),
        (with(&["sobol", TUTORIAL, "--bootstrap", "20"], &out("sobol")), out("sobol"), "sobol.csv"),
        (with(&["separate", TUTORIAL], &out("separate")), out("separate"), "separation.csv"),
        (with(&["score", CALIBRATION, "tests/data/calib-outcomes.csv"], &out("score")), out("score"), "score.csv"),
    ];
    let mut files = BTreeMap::new();
    for (args, dir, file) in &runs {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        feasim(&args);
        let path = Path::new(dir).join(file);
        assert!(path.is_file(), "{args:?} wrote no {file}");
        files.insert(*file, path.to_str().unwrap().to_string());
    }

    let reader = Command::new("python3").arg("-c").arg(READER).args(files.values()).output().unwrap();
    let stderr = String::from_utf8_lossy(&reader.stderr);
    assert!(
        !stderr.contains("No module named 'pandas'"),
        "pandas is not installed for python3: run `bash scripts/setup` (or `python3 -m pip install pandas`)"
    );
    assert!(reader.status.success(), "pandas could not read a CSV: {stderr}");
    let read: serde_json::Value = serde_json::from_slice(&reader.stdout).expect("the reader prints JSON");
    let table = |file: &str| &read[files[file].as_str()];
    let column = |file: &str, name: &str| -> Vec<String> {
        let t = table(file);
        let columns: Vec<&str> = t["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
        let c = columns
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("{file}: no column {name} in {columns:?}"));
        t["rows"].as_array().unwrap().iter().map(|row| row[c].as_str().unwrap().to_string()).collect()
    };

    let tutorial = load(TUTORIAL);
    let calibration = load(CALIBRATION);
    let model_of = |file: &str| if file == "score.csv" { &calibration } else { &tutorial };
    for &(file, id_column) in TARGET_IDS {
        let model = model_of(file);
        let known: BTreeSet<&str> = model.targets.iter().map(|t| t.id.as_str()).collect();
        let ids = column(file, id_column);
        assert!(!ids.is_empty(), "{file}: no rows");
        for id in &ids {
            assert!(known.contains(id.as_str()), "{file}: {id_column} {id:?} is not a target of the scenario");
        }
        if matches!(file, "targets.csv" | "score.csv" | "compare.csv") {
            let found: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
            assert_eq!(found, known, "{file}: every target is listed");
        }
        assert!(!table(file)["columns"][0].as_str().unwrap().starts_with('\u{feff}'), "{file}: the BOM is not data");
    }
    for &(file, id_column, label_column, language) in LABELLED {
        let model = model_of(file);
        let ids = column(file, id_column);
        let labels = column(file, label_column);
        let mut chinese = 0;
        for (id, label) in ids.iter().zip(&labels) {
            let target = model.targets.iter().find(|t| &t.id == id).unwrap();
            let want = match language {
                Label::Zh => &target.label_zh,
                Label::En => &target.label_en,
            };
            assert_eq!(label, want, "{file}: {label_column} of {id}");
            chinese += usize::from(label.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
        }
        if matches!(language, Label::Zh) {
            assert_eq!(chinese, ids.len(), "{file}: every {label_column} holds Chinese characters");
        }
    }
    let parameters = column("sensitivity.csv", "parameter");
    assert!(parameters.iter().any(|p| p == "shenyang.gdp_real:mean"), "{parameters:?}");
    assert!(column("sweep.csv", "parameter").iter().all(|p| p == "shenyang.gdp_real:mean"));
    for &(file, name) in NUMERIC {
        let dtype = table(file)["dtypes"][name].as_str().unwrap_or_else(|| panic!("{file}: no column {name}"));
        assert!(matches!(dtype, "float64" | "int64"), "{file}: pandas reads {name} as {dtype}, not as numbers");
    }
}
