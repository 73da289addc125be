//! One test per class of mistake a person can make in a scenario file: each must be reported with
//! the file, line and column, the line itself, and a hint — never a panic.

use feasim::scenario::load_str;

const VALID: &str = r#"[scenario]
name = "t"
base_year = 2021
end_year = 2024

[[indicator]]
id = "city.gdp"
kind = "level"
base = 100
source = "s"
growth = { dist = "normal", mean = 5, sd = 1 }

[[target]]
id = "T1"
metric = "value"
indicator = "city.gdp"
comparator = ">="
threshold = 110
"#;

/// Apply `edit` (replace `from` by `to`) to the valid scenario, load it, and check the first
/// diagnostic: its line, a fragment of its message and of its help, and the rendered location.
fn check(from: &str, to: &str, line: usize, message: &str, help: &str) {
    assert!(VALID.contains(from) || from.is_empty(), "test edit not found: {from}");
    let text = if from.is_empty() { format!("{VALID}{to}") } else { VALID.replacen(from, to, 1) };
    let error = match load_str("case.toml", &text) {
        Ok(_) => panic!("expected an error for edit {from:?} -> {to:?}"),
        Err(e) => e,
    };
    let rendered = error.to_string();
    let (_, got_line, column) = error.first_location().expect("a location");
    assert_eq!(got_line, line, "wrong line for {message:?}:\n{rendered}");
    assert!(rendered.contains(&format!("case.toml:{line}:{column}")), "{rendered}");
    assert!(rendered.contains(message), "message should contain {message:?}:\n{rendered}");
    assert!(rendered.contains(help), "help should contain {help:?}:\n{rendered}");
    assert!(rendered.contains('^'), "caret under the culprit:\n{rendered}");
}

#[test]
fn the_valid_base_loads() {
    load_str("case.toml", VALID).unwrap();
}

#[test]
fn empty_file() {
    let e = load_str("case.toml", "  \n").unwrap_err().to_string();
    assert!(e.contains("empty") && e.contains("case.toml:1:1"), "{e}");
}

#[test]
fn toml_syntax_error() {
    check("threshold = 110", "threshold = = 110", 18, "", "");
}

#[test]
fn misspelt_field() {
    check("threshold = 110", "treshold = 110", 18, "unknown field", "docs/scenario-format.md");
}

#[test]
fn wrong_type() {
    check("base = 100", "base = \"100\"", 9, "invalid type", "without quotes");
}

#[test]
fn unknown_indicator_with_did_you_mean() {
    check(
        "indicator = \"city.gdp\"",
        "indicator = \"city.gpd\"",
        16,
        "unknown indicator \"city.gpd\"",
        "did you mean \"city.gdp\"",
    );
}

#[test]
fn unknown_name_in_an_expression_points_inside_the_string() {
    let text = format!("{VALID}\n[[indicator]]\nid = \"city.double\"\nkind = \"derived\"\nexpr = \"2 * city.gdpp\"\n");
    let e = load_str("case.toml", &text).unwrap_err();
    let (_, line, column) = e.first_location().unwrap();
    assert_eq!((line, column), (23, 13), "{e}");
    assert!(e.to_string().contains("did you mean \"city.gdp\""), "{e}");
}

#[test]
fn negative_spread() {
    check("sd = 1 }", "sd = -1 }", 11, "sd", "");
}

#[test]
fn unknown_distribution() {
    check("dist = \"normal\"", "dist = \"normall\"", 11, "unknown distribution \"normall\"", "did you mean \"normal\"");
}

#[test]
fn parameter_of_another_distribution() {
    check(
        "mean = 5, sd = 1",
        "min = 5, sd = 1",
        11,
        "`min` is not a parameter of a normal distribution",
        "normal takes mean, sd",
    );
}

#[test]
fn override_year_outside_the_projection() {
    check(
        "growth = { dist = \"normal\", mean = 5, sd = 1 }",
        "growth = { dist = \"normal\", mean = 5, sd = 1 }\ngrowth_by_year = { 2026 = { dist = \"normal\", mean = 1, sd = 1 } }",
        12,
        "year 2026 is outside the projection years 2022–2024",
        "per-year overrides",
    );
}

#[test]
fn target_year_outside_the_scenario() {
    check(
        "indicator = \"city.gdp\"",
        "indicator = \"city.gdp\"\nyear = 2030",
        17,
        "year 2030 is outside",
        "end_year = 2024",
    );
}

#[test]
fn share_above_100() {
    let share = "[[indicator]]\nid = \"city.mfg\"\nkind = \"level\"\nbase = 30\nsource = \"s\"\ngrowth = { dist = \"normal\", mean = 5, sd = 1 }\n[[target]]\nid = \"T2\"\nmetric = \"share\"\nnumerator = \"city.mfg\"\ndenominator = \"city.gdp\"\ncomparator = \">=\"\nthreshold = 130\n";
    check("", share, 31, "a share is a percentage between 0 and 100 (got 130)", "write 30 for 30%");
}

#[test]
fn rate_base_above_its_bounds() {
    let rate = "[[indicator]]\nid = \"city.urban\"\nkind = \"rate\"\nbase = 120\nsource = \"s\"\nchange = { dist = \"normal\", mean = 0.5, sd = 0.2 }\n";
    check("", rate, 22, "base 120 is outside the bounds [0, 100]", "between 0 and 100");
}

#[test]
fn unknown_kind() {
    check("kind = \"level\"", "kind = \"levle\"", 8, "unknown kind \"levle\"", "did you mean \"level\"");
}

#[test]
fn field_of_another_kind() {
    check(
        "source = \"s\"",
        "source = \"s\"\nchange = { dist = \"normal\", mean = 1, sd = 1 }",
        7,
        "sets `change`",
        "kind = \"rate\"",
    );
}

#[test]
fn missing_source() {
    check("source = \"s\"\n", "", 9, "has no source", "add source");
}

#[test]
fn missing_base() {
    check("base = 100\nsource = \"s\"\n", "", 7, "has no base-year value", "base_dist");
}

#[test]
fn duplicate_indicator() {
    let dup = "[[indicator]]\nid = \"city.gdp\"\nkind = \"level\"\nbase = 1\nsource = \"s\"\ngrowth = { dist = \"fixed\", value = 1 }\n";
    check("", dup, 20, "defined twice", "line 7");
}

#[test]
fn cycle_between_derived_indicators() {
    let cycle = "[[indicator]]\nid = \"a\"\nkind = \"derived\"\nexpr = \"b + 1\"\n[[indicator]]\nid = \"b\"\nkind = \"derived\"\nexpr = \"a * 2\"\n";
    let text = format!("{VALID}{cycle}");
    let e = load_str("case.toml", &text).unwrap_err().to_string();
    assert!(e.contains("cycle: ") && (e.contains("a → b → a") || e.contains("b → a → b")), "{e}");
}

#[test]
fn list_used_as_a_number() {
    let group = "[groups]\ncities = [\"city\"]\n";
    let text = VALID.replacen("[[indicator]]", &format!("{group}\n[[indicator]]"), 1)
        + "[[indicator]]\nid = \"x\"\nkind = \"derived\"\nexpr = \"cities.gdp * 2\"\n";
    let e = load_str("case.toml", &text).unwrap_err();
    let rendered = e.to_string();
    assert!(rendered.contains("type mismatch"), "{rendered}");
    assert!(rendered.contains("sum(), mean(), min() or max()"), "{rendered}");
}

#[test]
fn growth_metric_on_a_share_is_a_type_mismatch() {
    let rate = "[[indicator]]\nid = \"city.urban\"\nkind = \"rate\"\nbase = 70\nsource = \"s\"\nchange = { dist = \"normal\", mean = 0.5, sd = 0.2 }\n[[target]]\nid = \"T2\"\nmetric = \"cagr\"\nindicator = \"city.urban\"\ncomparator = \">=\"\nthreshold = 1\n";
    check("", rate, 28, "type mismatch", "metric \"change\"");
}

#[test]
fn invalid_correlation_matrix_names_the_entries() {
    let extra = "[[indicator]]\nid = \"b\"\nkind = \"level\"\nbase = 1\nsource = \"s\"\ngrowth = { dist = \"normal\", mean = 1, sd = 1 }\n[[indicator]]\nid = \"c\"\nkind = \"level\"\nbase = 1\nsource = \"s\"\ngrowth = { dist = \"normal\", mean = 1, sd = 1 }\n[[correlation]]\nbetween = [\"city.gdp\", \"b\"]\nrho = 0.9\n[[correlation]]\nbetween = [\"city.gdp\", \"c\"]\nrho = 0.9\n[[correlation]]\nbetween = [\"b\", \"c\"]\nrho = -0.9\n";
    let text = format!("{VALID}{extra}");
    let e = load_str("case.toml", &text).unwrap_err().to_string();
    assert!(e.contains("not form a valid correlation matrix"), "{e}");
    assert!(e.contains("b ~ c = -0.9"), "{e}");
    assert!(e.contains("repair_correlations = true"), "{e}");
    // Asking for the repair makes it load, and says how much it changed.
    let repaired = text.replacen("end_year = 2024", "end_year = 2024\nrepair_correlations = true", 1);
    let m = load_str("case.toml", &repaired).unwrap();
    let r = m.correlation_repair.expect("a repair report");
    assert!(r.max_abs_change > 0.05 && r.max_abs_change < 0.9, "{}", r.max_abs_change);
}

#[test]
fn correlation_out_of_range() {
    check(
        "",
        "[[correlation]]\nbetween = [\"city.gdp\", \"city.gdp\"]\nrho = 1.5\n",
        21,
        "rho must lie between -1 and 1",
        "",
    );
}

#[test]
fn persistence_out_of_range() {
    check(
        "source = \"s\"",
        "source = \"s\"\npersistence = 1.0",
        11,
        "persistence must lie strictly between -1 and 1",
        "AR(1)",
    );
}

#[test]
fn growth_that_can_wipe_out_a_level() {
    check("mean = 5, sd = 1", "mean = 5, sd = 40", 11, "fall of 100% or more", "compounding = \"log\"");
}

#[test]
fn unknown_metric_and_comparator() {
    check("metric = \"value\"", "metric = \"valeu\"", 15, "unknown metric \"valeu\"", "did you mean \"value\"");
    check(
        "comparator = \">=\"",
        "comparator = \"=>\"",
        17,
        "unknown comparator \"=>\"",
        "use one of >=, >, <=, <, ==, between, about",
    );
}

#[test]
fn missing_scenario_table_and_years() {
    let e = load_str("case.toml", &VALID.replacen("[scenario]", "[scenari]", 1)).unwrap_err().to_string();
    assert!(e.contains("unknown field `scenari`"), "{e}");
    check("end_year = 2024\n", "", 1, "needs base_year and end_year", "end_year = 2024");
    check("end_year = 2024", "end_year = 2020", 4, "must be after base_year", "");
}

#[test]
fn no_targets() {
    let text = &VALID[..VALID.find("[[target]]").unwrap()];
    let e = load_str("case.toml", text).unwrap_err().to_string();
    assert!(e.contains("no [[target]]"), "{e}");
}

#[test]
fn all_problems_are_reported_at_once() {
    let text = VALID.replacen("sd = 1 }", "sd = -1 }", 1).replacen("comparator = \">=\"", "comparator = \"~\"", 1);
    let e = load_str("case.toml", &text).unwrap_err();
    assert_eq!(e.diagnostics.len(), 2, "{e}");
    assert!(e.to_string().contains("2 problems found"));
}

#[test]
fn extends_problems_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let variant = dir.path().join("variant.toml");
    std::fs::write(&variant, "extends = \"missing.toml\"\n").unwrap();
    let e = feasim::scenario::load(&variant).unwrap_err().to_string();
    assert!(e.contains("was not found") && e.contains("variant.toml:1:11"), "{e}");
    let a = dir.path().join("a.toml");
    let b = dir.path().join("b.toml");
    std::fs::write(&a, "extends = \"b.toml\"\n").unwrap();
    std::fs::write(&b, "extends = \"a.toml\"\n").unwrap();
    let e = feasim::scenario::load(&a).unwrap_err().to_string();
    assert!(e.contains("loop"), "{e}");
    let e = feasim::scenario::load(&dir.path().join("nope.toml")).unwrap_err().to_string();
    assert!(e.contains("cannot read"), "{e}");
}

#[test]
fn files_that_are_not_scenarios_are_refused_before_reading_them_whole() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let load = |p: &std::path::Path| feasim::scenario::load(p).unwrap_err().to_string();
    // A folder, and a FIFO that would block a reader forever, given directly or through `extends`.
    std::fs::create_dir(d.join("folder.toml")).unwrap();
    assert!(load(&d.join("folder.toml")).contains("is a folder"), "{}", load(&d.join("folder.toml")));
    let fifo = d.join("fifo.toml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
    if made {
        assert!(load(&fifo).contains("not a regular file"), "{}", load(&fifo));
        std::fs::write(d.join("v.toml"), "extends = \"fifo.toml\"\n").unwrap();
        let e = load(&d.join("v.toml"));
        assert!(e.contains("not a regular file") && e.contains("v.toml:1:11"), "{e}");
    }
    // Too large: refused from its size, without reading it.
    let big = d.join("big.toml");
    std::fs::File::create(&big).unwrap().set_len(feasim::scenario::MAX_SCENARIO_BYTES + 1).unwrap();
    assert!(load(&big).contains("files of this kind are read up to"), "{}", load(&big));
    // Not UTF-8 (GBK bytes of 辽宁): named as an encoding problem.
    let gbk = d.join("gbk.toml");
    std::fs::write(&gbk, b"[scenario]\nname = \"\xc1\xc9\xc4\xfe\"\n").unwrap();
    let e = load(&gbk);
    assert!(e.contains("not UTF-8") && e.contains("GBK"), "{e}");
}

#[test]
fn a_variant_overrides_fields_and_errors_point_into_the_variant() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), VALID).unwrap();
    let variant = dir.path().join("low.toml");
    std::fs::write(
        &variant,
        "extends = \"base.toml\"\n[scenario]\nname = \"low\"\n[[indicator]]\nid = \"city.gdp\"\ngrowth_by_year = { 2022 = { dist = \"normal\", mean = 1, sd = 1 } }\n",
    )
    .unwrap();
    let m = feasim::scenario::load(&variant).unwrap();
    assert_eq!(m.name, "low");
    match &m.indicators[0].process {
        feasim::model::Process::Level { growth, .. } => {
            assert_eq!(growth[0].mean(), 1.0);
            assert_eq!(growth[1].mean(), 5.0);
        }
        other => panic!("{other:?}"),
    }
    std::fs::write(
        &variant,
        "extends = \"base.toml\"\n[[indicator]]\nid = \"city.gdp\"\ngrowth = { dist = \"normal\", mean = 1, sd = -2 }\n",
    )
    .unwrap();
    let e = feasim::scenario::load(&variant).unwrap_err().to_string();
    assert!(e.contains("low.toml:4:"), "the error is in the variant, not the base:\n{e}");
}

/// No input makes the loader panic: every prefix of a valid file, and every single-line deletion.
#[test]
fn truncated_and_mangled_files_never_panic() {
    let text = std::fs::read_to_string("scenarios/tutorial.toml").unwrap_or_else(|_| VALID.to_string());
    for (end, _) in text.char_indices().step_by(7) {
        let _ = load_str("cut.toml", &text[..end]);
    }
    let lines: Vec<&str> = text.lines().collect();
    for skip in 0..lines.len() {
        let mangled: Vec<&str> = lines.iter().enumerate().filter(|(k, _)| *k != skip).map(|(_, l)| *l).collect();
        let _ = load_str("mangled.toml", &mangled.join("\n"));
    }
}

// The `history` table of an indicator: every bad entry is located at its value.
const HISTORY: &str = "growth = { dist = \"normal\", mean = 5, sd = 1 }\n";

#[test]
fn history_year_after_the_base_year() {
    check(
        HISTORY,
        "growth = { dist = \"normal\", mean = 5, sd = 1 }\nhistory = { source = \"yearbook\", values = { 2020 = 95.0, 2022 = 104.0 } }\n",
        12,
        "history year 2022 of \"city.gdp\" is after the base year 2021",
        "up to the base year",
    );
}

#[test]
fn history_key_not_a_year() {
    check(
        HISTORY,
        "growth = { dist = \"normal\", mean = 5, sd = 1 }\nhistory = { source = \"yearbook\", values = { y2020 = 95.0 } }\n",
        12,
        "\"y2020\" in the history of \"city.gdp\" is not a year",
        "years as keys",
    );
}

#[test]
fn history_base_year_disagrees_with_base() {
    check(
        HISTORY,
        "growth = { dist = \"normal\", mean = 5, sd = 1 }\nhistory = { source = \"yearbook\", values = { 2020 = 95.0, 2021 = 101.0 } }\n",
        12,
        "history gives 101 for the base year 2021 of \"city.gdp\", but base = 100",
        "make the two agree",
    );
}

#[test]
fn history_without_source_or_with_impossible_value() {
    check(
        HISTORY,
        "growth = { dist = \"normal\", mean = 5, sd = 1 }\nhistory = { values = { 2020 = 95.0 } }\n",
        12,
        "the history of \"city.gdp\" has no source",
        "history = { source =",
    );
    check(
        HISTORY,
        "growth = { dist = \"normal\", mean = 5, sd = 1 }\nhistory = { source = \"yearbook\", values = { 2020 = -3.0 } }\n",
        12,
        "the history value -3 for 2020 of \"city.gdp\" is impossible: a level is positive",
        "unit",
    );
}

#[test]
fn threshold_with_a_unit_is_converted_into_the_indicators_unit() {
    let with_unit = |threshold: &str| {
        VALID.replacen("kind = \"level\"", "unit = \"亿元\"\nkind = \"level\"", 1).replacen(
            "threshold = 110",
            &format!("threshold = {threshold}"),
            1,
        )
    };
    let threshold = |text: &str| load_str("case.toml", text).unwrap_or_else(|e| panic!("{e}")).targets[0].threshold;
    assert_eq!(threshold(&with_unit("\"2.5 万亿元\"")), 25000.0);
    assert_eq!(threshold(&with_unit("\"2.5万亿元\"")), 25000.0);
    assert_eq!(threshold(&with_unit("\"110 亿元\"")), 110.0);
    assert_eq!(threshold(&with_unit("\"1,100,000 万元\"")), 110.0);
    assert_eq!(threshold(&with_unit("110")), 110.0, "a plain number keeps its meaning");
    assert_eq!(threshold(&with_unit("\"110\"")), 110.0);
    // A growth target may be written as a percentage.
    let cagr = VALID.replacen(
        "metric = \"value\"\nindicator = \"city.gdp\"",
        "metric = \"cagr\"\nindicator = \"city.gdp\"\nfrom = 2021\nto = 2024",
        1,
    );
    assert_eq!(threshold(&cagr.replacen("threshold = 110", "threshold = \"6.5%\"", 1)), 6.5);
}

#[test]
fn threshold_in_an_incompatible_unit() {
    let text = VALID.replacen("kind = \"level\"", "unit = \"亿元\"\nkind = \"level\"", 1).replacen(
        "threshold = 110",
        "threshold = \"3 万人\"",
        1,
    );
    let e = load_str("case.toml", &text).unwrap_err().to_string();
    assert!(
        e.contains("the threshold is in 万人, which cannot be converted into 亿元, the unit of indicator \"city.gdp\"")
            && e.contains("case.toml:19:13")
            && e.contains("a unit of the same kind (元, 千元, 万元, 百万元, 亿元, 万亿元)"),
        "{e}"
    );
}

#[test]
fn threshold_with_a_unit_against_an_indicator_without_one() {
    check("threshold = 110", "threshold = \"110 亿元\"", 18, "city.gdp\" has no unit", "give the indicator its unit");
}

#[test]
fn threshold_text_that_is_not_a_number() {
    check("threshold = 110", "threshold = \"about 110\"", 18, "does not start with a number", "\"2.5 万亿元\"");
    check("threshold = 110", "threshold = true", 18, "a number and a unit in quotes", "");
}

#[test]
fn a_horizon_beyond_100_years_says_so_rather_than_that_the_years_are_in_the_wrong_order() {
    check("end_year = 2024", "end_year = 2150", 4, "is 129 years after base_year 2021", "typo");
    check("end_year = 2024", "end_year = 2122", 4, "feasim projects at most 100 years", "");
    check("end_year = 2024", "end_year = 2020", 4, "must be after base_year 2021", "base_year+1");
}

#[test]
fn a_long_chain_of_extends_without_a_loop_is_called_a_chain_not_a_loop() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("v0.toml"), VALID).unwrap();
    for k in 1..=20 {
        std::fs::write(dir.path().join(format!("v{k}.toml")), format!("extends = \"v{}.toml\"\n", k - 1)).unwrap();
    }
    // 16 levels are followed.
    feasim::scenario::load(&dir.path().join("v16.toml")).unwrap();
    let e = feasim::scenario::load(&dir.path().join("v20.toml")).unwrap_err().to_string();
    assert!(e.contains("chain of `extends`") && e.contains("at most 16") && !e.contains("loop"), "{e}");
    assert!(e.contains(":1:11"), "located at the extends value: {e}");
}

#[test]
fn a_file_in_another_encoding_is_named_with_its_encoding_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let load = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        feasim::scenario::load(&path).unwrap_err().to_string()
    };
    // 辽宁 in GB18030, on line 2.
    let e = load("gbk.toml", b"[scenario]\nname = \"\xc1\xc9\xc4\xfe\"\n");
    assert!(e.contains("looks like GB18030") && e.contains("line 2, column 9") && e.contains("iconv"), "{e}");
    // UTF-16 with its byte order mark.
    let utf16: Vec<u8> =
        [0xff, 0xfe].into_iter().chain("[scenario]\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let e = load("utf16.toml", &utf16);
    assert!(e.contains("looks like UTF-16"), "{e}");
    // Bytes that are no encoding at all.
    let e = load("binary.toml", b"[scenario]\nname = \"\xff\xff\"\n");
    assert!(e.contains("is not UTF-8 text") && !e.contains("looks like"), "{e}");
}

#[test]
fn control_characters_in_echoed_names_and_values_are_escaped() {
    // TOML escapes: the file is plain ASCII, the value holds ESC and a right-to-left override.
    let text = VALID.replace("kind = \"level\"", "kind = \"le\\u001b[2J\\u202evel\"");
    let e = load_str("case.toml", &text).unwrap_err().to_string();
    assert!(e.contains("unknown kind \"le\\u{1b}[2J\\u{202e}vel\""), "{e}");
    assert!(!e.contains('\u{1b}') && !e.contains('\u{202e}'), "raw control characters in {e:?}");
}

#[test]
fn huge_numbers_in_messages_are_in_scientific_notation() {
    // A rate base far outside its bounds, and an impossible history value.
    let rate = VALID.replace("kind = \"level\"", "kind = \"rate\"").replace("base = 100", "base = 1.6e294").replace(
        "growth = { dist = \"normal\", mean = 5, sd = 1 }",
        "change = { dist = \"normal\", mean = 0, sd = 1 }",
    );
    let e = load_str("case.toml", &rate).unwrap_err().to_string();
    assert!(e.contains("base 1.6e294 is outside the bounds [0, 100]"), "{e}");
    let history =
        VALID.replace("source = \"s\"", "source = \"s\"\nhistory = { source = \"h\", values = { 2020 = -3e199 } }");
    let e = load_str("case.toml", &history).unwrap_err().to_string();
    assert!(e.contains("the history value -3e199 for 2020"), "{e}");
    assert!(!e.contains("000000000000000000000"), "{e}");
}

#[test]
fn huge_thresholds_in_warnings_are_in_scientific_notation() {
    let text = VALID.replace("threshold = 110", "threshold = 1.6e294");
    let model = load_str("case.toml", &text).unwrap();
    let warnings = model.warnings.join("\n");
    assert!(warnings.contains("1.6e294"), "{warnings}");
    assert!(!warnings.contains("000000000000000000000"), "a long decimal in:\n{warnings}");
}
