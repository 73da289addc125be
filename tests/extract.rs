//! `feasim extract`: precision and recall against answer keys, on the Liaoning plan and on
//! plan-style texts written for the purpose (tests/data/plans/, each with its `.key.csv`).
//!
//! The floors are the figures measured when the rules were written (see docs/walkthrough.md):
//! the Liaoning plan and three development texts (a metropolitan-area three-year plan, a city
//! five-year plan, a provincial manufacturing plan) at F1 = 1.000, and a held-out county tourism
//! plan, written after the rules were frozen and never tuned on, at F1 = 0.944 (one miss: a count
//! of people in 人, a unit the rules do not know; one false alarm: a budget line in the
//! safeguards section). A change that loses a target fails here.

use feasim::extract::{self, CatalogueRow, score};

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn check(plan: &str, key: &str, min_precision: f64, min_recall: f64) {
    let text = read(plan);
    let rows = extract::extract(&text);
    let key_rows = extract::read_csv(&read(key)).expect("answer key");
    let s = score::score(&text, &rows, &key_rows);
    assert!(s.unlocated.is_empty(), "{key}: wordings not in {plan}: {:?}", s.unlocated);
    assert!(s.precision() >= min_precision && s.recall() >= min_recall, "{plan}: {s}");
    // Every row points at its sentence.
    let chars: Vec<char> = text.chars().collect();
    for row in &rows {
        let (start, end) = (row.start.unwrap(), row.end.unwrap());
        let sentence: String = chars[start..end].iter().collect();
        assert_eq!(sentence, row.sentence, "{plan}: {}", row.id);
        assert!(row.sentence.contains(&row.wording), "{plan}: {} wording outside its sentence", row.id);
    }
}

#[test]
fn liaoning_plan() {
    check("seeds/000_aee63c1ff58da7dc.txt", "seeds/targets.csv", 1.0, 1.0);
}

#[test]
fn metropolitan_three_year_plan() {
    check("tests/data/plans/metro-three-year.txt", "tests/data/plans/metro-three-year.key.csv", 1.0, 1.0);
}

#[test]
fn city_five_year_plan() {
    check("tests/data/plans/city-five-year.txt", "tests/data/plans/city-five-year.key.csv", 1.0, 1.0);
}

#[test]
fn provincial_manufacturing_plan() {
    check("tests/data/plans/province-manufacturing.txt", "tests/data/plans/province-manufacturing.key.csv", 1.0, 1.0);
}

#[test]
fn held_out_county_tourism_plan() {
    check(
        "tests/data/plans/heldout-county-tourism.txt",
        "tests/data/plans/heldout-county-tourism.key.csv",
        0.944,
        0.944,
    );
}

#[test]
fn the_score_can_fail() {
    // Dropping a row loses recall; a wrong unit loses a match: the measure is not vacuous.
    let text = read("seeds/000_aee63c1ff58da7dc.txt");
    let key = extract::read_csv(&read("seeds/targets.csv")).unwrap();
    let mut rows = extract::extract(&text);
    rows.remove(0);
    rows[0].unit = "万元".into();
    let s = score::score(&text, &rows, &key);
    assert_eq!((s.matched, s.extracted, s.key), (53, 54, 55));
}

#[test]
fn gbk_plan_gives_the_same_catalogue() {
    let text = read("tests/data/plans/province-manufacturing.txt");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&text);
    assert!(!unmappable);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan-gbk.txt");
    std::fs::write(&path, &gbk).unwrap();
    let out = dir.path().join("catalogue.csv");
    assert_cmd::Command::cargo_bin("feasim").unwrap().arg("extract").arg(&path).arg("-o").arg(&out).assert().success();
    let from_gbk: Vec<CatalogueRow> = extract::read_csv(&read(out.to_str().unwrap())).unwrap();
    assert_eq!(from_gbk, extract::extract(&text));
}

#[test]
fn undecodable_plan_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.bin");
    std::fs::write(&path, [0x41u8, 0xff, 0xff, 0x41]).unwrap();
    assert_cmd::Command::cargo_bin("feasim")
        .unwrap()
        .arg("extract")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("UTF-8"));
}

/// Fill every placeholder of a skeleton with a plausible number for its field.
fn fill(toml: &str) -> String {
    let mut out = toml.to_string();
    let mut places = feasim::scenario::placeholder::find(toml);
    places.reverse(); // replace from the end so earlier spans stay valid
    for p in places {
        let value = if p.field.ends_with(".base") {
            "40"
        } else if p.field.ends_with(".sd") {
            "1.5"
        } else if p.field.ends_with(".dispersion") {
            "5"
        } else if p.field.ends_with(".mean") {
            "4"
        } else {
            "1"
        };
        out.replace_range(p.span, value);
    }
    out
}

#[test]
fn plan_to_catalogue_to_skeleton_to_run() {
    let text = read("tests/data/plans/province-manufacturing.txt");
    let rows = extract::extract(&text);
    let toml = extract::init::skeleton(&rows, "manufacturing");
    // The skeleton loads apart from its placeholders, which are listed with their places.
    let err = feasim::scenario::load_str("skeleton.toml", &toml).expect_err("placeholders are refused");
    let n_placeholders = feasim::scenario::placeholder::find(&toml).len();
    assert!(n_placeholders > 0);
    assert_eq!(err.diagnostics.len(), n_placeholders, "{err}");
    assert!(err.to_string().contains("value still to fill: indicator \"r1.i01\".base"), "{err}");
    // Filled, it runs: one target per catalogue row (no rank or relative target in this plan).
    let filled = fill(&toml);
    let model = match feasim::scenario::load_str("filled.toml", &filled) {
        Ok(m) => m,
        Err(e) => panic!("filled skeleton should load:\n{e}\n{filled}"),
    };
    assert_eq!(model.targets.len(), rows.len());
    let summary = crate::util::run(&model, 2000, 7);
    assert_eq!(summary.targets.len(), rows.len());
    assert!(summary.targets.iter().all(|t| (0.0..=1.0).contains(&t.probability)));
}

#[test]
fn check_lists_placeholders_and_run_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let catalogue = dir.path().join("catalogue.csv");
    let skeleton = dir.path().join("skeleton.toml");
    let feasim = || assert_cmd::Command::cargo_bin("feasim").unwrap();
    feasim().args(["extract", "tests/data/plans/metro-three-year.txt", "-o"]).arg(&catalogue).assert().success();
    feasim().arg("init").arg(&catalogue).arg("-o").arg(&skeleton).assert().success();
    let n = feasim::scenario::placeholder::find(&read(skeleton.to_str().unwrap())).len();
    feasim()
        .arg("check")
        .arg(&skeleton)
        .assert()
        .code(2)
        .stdout(predicates::str::contains(format!("valid apart from {n} values still to fill")))
        .stdout(predicates::str::contains("skeleton.toml:"));
    feasim()
        .args(["run", "--quiet", "--no-charts", "--paths", "100"])
        .arg(&skeleton)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("value still to fill"))
        .stderr(predicates::str::contains("skeleton.toml:"));
}
