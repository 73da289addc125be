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
