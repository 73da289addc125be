//! `report.xlsx` read back with an independent reader (calamine): every value of the Targets,
//! Indicators and Sensitivity sheets equals the f64 of `summary.json` / `sensitivity.json`, ids
//! and Chinese labels survive, and the workbook is the same bytes when the run is repeated with
//! the command its Run sheet records.

use std::io::Cursor;
use std::path::Path;
use std::process::Command;

use calamine::{Data, Range, Reader, Xlsx};
use feasim::analysis::sensitivity::{self, SensitivityConfig, SensitivityReport};
use feasim::plot::Language;
use feasim::report::xlsx;
use feasim::summary::Summary;

const FLAGSHIP: &str = "scenarios/liaoning-2022-2024.toml";
const TUTORIAL: &str = "scenarios/tutorial.toml";

fn feasim(args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_feasim")).args(args).output().expect("feasim runs");
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn sheet(bytes: &[u8], name: &str) -> Range<Data> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("a readable xlsx");
    // The sheets in order; Sensitivity only when the workbook was given one.
    let names = book.sheet_names();
    let with_sensitivity = names.iter().any(|s| s == "Sensitivity");
    let expected: Vec<&str> = xlsx::SHEETS.into_iter().filter(|s| with_sensitivity || *s != "Sensitivity").collect();
    assert_eq!(names, expected);
    book.worksheet_range(name).unwrap_or_else(|e| panic!("sheet {name}: {e}"))
}

/// Column index of `header` in the first row.
fn column(range: &Range<Data>, header: &str) -> usize {
    let row = range.rows().next().expect("a header row");
    row.iter().position(|c| *c == Data::String(header.to_string())).unwrap_or_else(|| panic!("no column {header:?}"))
}

/// Cell `(row, header)` as a number: `None` for an empty cell; panics on text.
fn number(range: &Range<Data>, row: usize, header: &str) -> Option<f64> {
    match &range[(row, column(range, header))] {
        Data::Float(v) => Some(*v),
        Data::Int(v) => Some(*v as f64),
        Data::Empty => None,
        other => panic!("row {row} {header}: not a number: {other:?}"),
    }
}

/// Cell `(row, header)` as text (empty for an empty cell).
fn text(range: &Range<Data>, row: usize, header: &str) -> String {
    match &range[(row, column(range, header))] {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("row {row} {header}: not text: {other:?}"),
    }
}

/// A value as the workbook must hold it: the exact f64, or an empty cell when it is not finite.
fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

fn assert_bits(what: &str, got: Option<f64>, want: Option<f64>) {
    assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{what}: {got:?} ≠ {want:?}");
}

#[test]
fn targets_and_indicators_sheets_equal_summary_json_and_reruns_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let out_arg = out.to_str().unwrap();
    feasim(&[
        "run",
        FLAGSHIP,
        "--paths",
        "3000",
        "--seed",
        "11",
        "--xlsx",
        "--lang",
        "en",
        "--no-charts",
        "-q",
        "-o",
        out_arg,
    ]);
    let summary: Summary = serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let bytes = std::fs::read(out.join("report.xlsx")).unwrap();

    let targets = sheet(&bytes, "Targets");
    assert_eq!(targets.height(), summary.targets.len() + 1, "a header and one row per target");
    let mut needed = 0;
    for (i, t) in summary.targets.iter().enumerate() {
        let r = i + 1;
        let at = |h: &str| format!("{} {h}", t.id);
        assert_eq!(text(&targets, r, "id"), t.id);
        assert_eq!(text(&targets, r, "region"), t.region);
        assert_eq!(text(&targets, r, "label (Chinese)"), t.label_zh);
        assert_eq!(text(&targets, r, "label (English)"), t.label_en);
        assert_eq!(text(&targets, r, "tested quantity"), t.metric);
        assert_eq!(text(&targets, r, "test"), t.comparator);
        assert_eq!(text(&targets, r, "unit"), t.unit);
        let q = &t.quantiles;
        for (header, want) in [
            ("threshold", t.threshold),
            ("P(hit)", t.probability),
            ("95% CI low", t.ci_low),
            ("95% CI high", t.ci_high),
            ("std error", t.std_error),
            ("hits", t.hits as f64),
            ("invalid paths", t.invalid as f64),
            ("p10", q.p10),
            ("median", q.p50),
            ("p90", q.p90),
        ] {
            assert_bits(&at(header), number(&targets, r, header), finite(want));
        }
        match &t.needed_growth {
            Some(g) => {
                needed += 1;
                assert_eq!(text(&targets, r, "needed growth: parameter"), g.parameter);
                assert_bits(&at("assumed"), number(&targets, r, "assumed mean growth (%)"), finite(g.assumed));
                let headers = [("growth for 50% (%)", 0), ("growth for 80% (%)", 1)];
                for (header, k) in headers {
                    let c = column(&targets, header);
                    let level = &g.levels[k];
                    for (offset, want) in [(0, level.mean), (1, level.ci_low), (2, level.ci_high)] {
                        let got = match &targets[(r, c + offset)] {
                            Data::Float(v) => Some(*v),
                            Data::Empty => None,
                            other => panic!("{}: {other:?}", at(header)),
                        };
                        assert_bits(&at(header), got, want.and_then(finite));
                    }
                }
            }
            None => assert_eq!(text(&targets, r, "needed growth: parameter"), ""),
        }
    }
    assert!(needed > 10, "the flagship has targets with a needed growth ({needed})");
    assert!(summary.targets.iter().any(|t| t.label_zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))));

    let indicators = sheet(&bytes, "Indicators");
    let mut r = 1;
    for indicator in &summary.indicators {
        for y in &indicator.years {
            assert_eq!(text(&indicators, r, "id"), indicator.id);
            assert_eq!(text(&indicators, r, "label (Chinese)"), indicator.label_zh);
            assert_eq!(number(&indicators, r, "year"), Some(f64::from(y.year)));
            let q = &y.quantiles;
            for (header, want) in [("min", q.min), ("p05", q.p05), ("median", q.p50), ("p95", q.p95), ("max", q.max)] {
                assert_bits(
                    &format!("{} {} {header}", indicator.id, y.year),
                    number(&indicators, r, header),
                    finite(want),
                );
            }
            r += 1;
        }
    }
    assert_eq!(indicators.height(), r, "one row per indicator and year");

    // Assumptions: every indicator as `report::assumptions::describe` words it.
    let model = feasim::scenario::load(Path::new(FLAGSHIP)).unwrap();
    let described = feasim::report::assumptions::describe(&model);
    let assumptions = sheet(&bytes, "Assumptions");
    assert_eq!(assumptions.height(), described.len() + 1, "one row per indicator");
    for (i, a) in described.iter().enumerate() {
        let r = i + 1;
        assert_eq!(text(&assumptions, r, "id"), a.id);
        assert_eq!(text(&assumptions, r, "label (Chinese)"), a.label_zh);
        assert_bits(&format!("{} base", a.id), number(&assumptions, r, "base value"), a.base);
        assert_eq!(text(&assumptions, r, "source, assumption or formula"), a.grounding.text());
        assert_eq!(text(&assumptions, r, "yearly assumption"), a.process_en);
        assert_bits(&format!("{} persistence", a.id), number(&assumptions, r, "persistence"), a.persistence);
        let correlations = text(&assumptions, r, "correlations");
        for (other, _) in &a.correlations {
            assert!(correlations.contains(other.as_str()), "{}: {correlations}", a.id);
        }
    }
    assert!(described.iter().any(|a| !a.correlations.is_empty()), "the flagship has correlations");
    for (i, t) in summary.targets.iter().enumerate() {
        let (cited, judgements) = feasim::report::assumptions::target_grounding(&model, i);
        let words = text(&targets, i + 1, "base values");
        if cited {
            assert_eq!(words, "published statistics", "{}", t.id);
        } else {
            assert_eq!(words, format!("judgement: {}", judgements.join(", ")), "{}", t.id);
        }
    }

    // The Run sheet records the scenario's identity and a command that gives the same workbook.
    let run = sheet(&bytes, "Run");
    let value = |item: &str| {
        let r =
            (0..run.height()).find(|&r| run[(r, 0)] == Data::String(item.into())).unwrap_or_else(|| panic!("{item}"));
        run[(r, 1)].clone()
    };
    assert_eq!(value("SHA-256"), Data::String(summary.scenario.hash.clone()));
    assert_eq!(value("seed"), Data::Float(11.0));
    assert_eq!(value("paths"), Data::Float(3000.0));
    let Data::String(command) = value("command to reproduce") else { panic!("no command") };
    assert_eq!(command, format!("feasim run {FLAGSHIP} --paths 3000 --seed 11 --xlsx --lang en"));
    let again = dir.path().join("again");
    let mut args: Vec<&str> = command.split(' ').skip(1).collect();
    args.extend(["--threads", "1", "--no-charts", "-q", "-o", again.to_str().unwrap()]);
    feasim(&args);
    assert!(std::fs::read(again.join("report.xlsx")).unwrap() == bytes, "the same run gives the same workbook bytes");
}

#[test]
fn sensitivity_sheet_equals_sensitivity_json_and_chinese_survives() {
    let model = feasim::scenario::load(Path::new(TUTORIAL)).unwrap();
    let summary =
        feasim::engine::run(&model, &feasim::engine::RunConfig { paths: 2000, seed: 5, ..Default::default() }, &|_| {});
    let config = SensitivityConfig { paths: 600, seed: 5, kinds: vec![], mean_shift: None, batch: sensitivity::BATCH };
    let plan = sensitivity::plan(&model, &config);
    let report = sensitivity::run(&model, &plan, &config, &|_| {}).unwrap();
    // Compare with what sensitivity.json holds, read back.
    let json: SensitivityReport = serde_json::from_str(&report.to_json().unwrap()).unwrap();
    let bytes = xlsx::workbook(&model, &summary, Some(&report), Language::Chinese, Path::new(TUTORIAL)).unwrap();
    let again = xlsx::workbook(&model, &summary, Some(&report), Language::Chinese, Path::new(TUTORIAL)).unwrap();
    assert!(bytes == again, "the same inputs give the same bytes");

    let s = sheet(&bytes, "Sensitivity");
    let mut r = 1;
    for p in &json.parameters {
        for e in &p.effects {
            let at = |h: &str| format!("{} {} {h}", p.id, e.target);
            let target = json.targets.iter().find(|t| t.id == e.target).unwrap();
            assert_eq!(text(&s, r, "参数"), p.id);
            assert_eq!(text(&s, r, "目标"), e.target);
            assert_eq!(text(&s, r, "目标（中文）"), target.label_zh);
            assert_eq!(text(&s, r, "目标（英文）"), target.label_en);
            let label = text(&s, r, "参数说明");
            assert!(!label.contains(':') && label.contains(" · "), "{}: parameter in words: {label}", p.id);
            for (header, want) in [
                ("设定值", p.value),
                ("低值", p.low),
                ("高值", p.high),
                ("基准概率", target.baseline.probability),
                ("低值时概率", e.p_low),
                ("高值时概率", e.p_high),
                ("ΔP 低值", e.low.difference),
                ("ΔP 低值 区间下限", e.low.ci_low),
                ("ΔP 低值 区间上限", e.low.ci_high),
                ("ΔP 高值", e.high.difference),
                ("ΔP 高值 区间下限", e.high.ci_low),
                ("ΔP 高值 区间上限", e.high.ci_high),
            ] {
                assert_bits(&at(header), number(&s, r, header), finite(want));
            }
            r += 1;
        }
    }
    assert!(r > 10, "the tutorial has many parameter × target effects ({r})");
    assert_eq!(s.height(), r, "one row per parameter and affected target");

    let targets = sheet(&bytes, "Targets");
    for (i, t) in summary.targets.iter().enumerate() {
        assert_eq!(text(&targets, i + 1, "编号"), t.id);
        assert_eq!(text(&targets, i + 1, "目标（中文）"), t.label_zh);
        assert_bits(&t.id, number(&targets, i + 1, "达成概率"), finite(t.probability));
    }
    assert!(summary.targets.iter().all(|t| t.label_zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))));
}

#[test]
fn xlsx_with_shard_is_refused_as_bad_input() {
    let out = Command::new(env!("CARGO_BIN_EXE_feasim"))
        .args(["run", TUTORIAL, "--paths", "2048", "--shard", "0/2", "--xlsx", "-q", "-o", "/nonexistent/never"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--xlsx cannot be used with --shard"));
}
