//! Extreme finite parameters through the loader and the engine (issue 11): each scenario is
//! either refused by `check` with a located message, or runs with every impossible value counted
//! and reported, never silently. The distributions alone are swept in
//! `src/model/distribution/extremes.rs`.

use feasim::engine::{self, RunConfig, Sampling};

use crate::util::header;

/// A level `x` with the given base and growth lines, and one target on its 2024 value.
fn level(base: &str, growth: &str) -> String {
    header(2024)
        + &format!("[[indicator]]\nid = \"x\"\nkind = \"level\"\n{base}\n{growth}\n")
        + "[[target]]\nid = \"t\"\nmetric = \"value\"\nindicator = \"x\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 1\n"
}

/// Refused with a message located on the offending line, saying what to do.
#[test]
fn impossible_levels_are_refused_where_they_are_written() {
    let cases = [
        // A NaN probability once waved this through: the base is −5 for sure.
        (
            "base_dist = { dist = \"normal\", mean = -5, sd = 1e-307 }\nassumption = \"a\"",
            "growth = { dist = \"normal\", mean = 5, sd = 2 }",
            "zero or negative level",
        ),
        (
            "base_dist = { dist = \"normal\", mean = -1e308, sd = 1e308 }\nassumption = \"a\"",
            "growth = { dist = \"normal\", mean = 5, sd = 2 }",
            "zero or negative level",
        ),
        (
            "base = 100\nsource = \"s\"",
            "growth = { dist = \"normal\", mean = -1e308, sd = 1e-308 }",
            "fall of 100% or more",
        ),
        (
            "base = 100\nsource = \"s\"",
            "growth = { dist = \"split_normal\", mode = 0, sd_low = 1.7e308, sd_high = 1.7e308 }",
            "overflows",
        ),
    ];
    for (base, growth, expected) in cases {
        let text = level(base, growth);
        let err = match feasim::scenario::load_str("x.toml", &text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        };
        let shown = err.to_string();
        assert!(shown.contains(expected), "{base} / {growth}: {shown}");
        let (_, line, _) = err.first_location().expect("a located error");
        let wrong_line = text.lines().nth(line - 1).unwrap_or_default();
        assert!(
            wrong_line.contains("base_dist") || wrong_line.contains("growth"),
            "{base} / {growth}: points at line {line} ({wrong_line}): {shown}"
        );
    }
}

/// Accepted, and reported: a log-growth level that underflows to 0 on every path, or overflows.
#[test]
fn levels_that_reach_zero_or_overflow_are_counted_on_every_design() {
    for (growth, reached) in [
        ("growth = { dist = \"normal\", mean = -1e6, sd = 1 }", "zero"),
        ("growth = { dist = \"normal\", mean = 1e6, sd = 1 }", "overflow"),
    ] {
        let text = level("base = 100\nsource = \"s\"", &format!("compounding = \"log\"\n{growth}"));
        let m = crate::util::model(&text);
        for sampling in Sampling::ALL {
            let s = engine::run(&m, &RunConfig { paths: 500, seed: 1, sampling }, &|_| {});
            assert_eq!(s.indicators[0].invalid_paths, 500, "{reached}, {sampling:?}");
            let table = feasim::report::table::render(&s, feasim::report::table::Labels::English, Some(160));
            assert!(table.contains("warning: indicator x: 500 of 500 paths"), "{reached}, {sampling:?}:\n{table}");
        }
    }
    // An ordinary level reports nothing.
    let m =
        crate::util::model(&level("base = 100\nsource = \"s\"", "growth = { dist = \"normal\", mean = 5, sd = 2 }"));
    let s = crate::util::run(&m, 500, 1);
    assert_eq!(s.indicators[0].invalid_paths, 0);
    assert!(!crate::util::json(&s).contains("invalid_paths"), "omitted when zero");
}

/// A triangular or PERT base on a range near the largest double draws across the range instead
/// of collapsing onto `min` (the median of a triangular with its mode at `min` is
/// `max − (max − min)/√2`).
#[test]
fn huge_ranges_draw_across_the_range() {
    for dist in ["triangular", "pert"] {
        let base = format!("base_dist = {{ dist = \"{dist}\", min = 1, mode = 1, max = 1e308 }}\nassumption = \"a\"");
        let m = crate::util::model(&level(&base, "growth = { dist = \"fixed\", value = 0 }"));
        let s = crate::util::run(&m, 4000, 3);
        let median = s.indicators[0].years[0].quantiles.p50;
        assert!(median > 1e307 && median < 1e308, "{dist}: median {median:e}");
        assert_eq!(s.indicators[0].invalid_paths, 0, "{dist}");
    }
}
