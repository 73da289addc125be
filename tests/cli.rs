//! The `feasim` command end to end: exit codes, files written, messages.

use std::path::Path;
use std::process::{Command, Output};

fn feasim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feasim")).args(args).output().expect("feasim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_every_shipped_scenario() {
    for file in [
        "scenarios/tutorial.toml",
        "scenarios/liaoning-2022-2024.toml",
        "scenarios/liaoning-2022-2024-pessimistic.toml",
    ] {
        let out = feasim(&["check", file]);
        assert!(out.status.success(), "{file}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("ok"));
    }
}

#[test]
fn run_writes_summary_csv_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let out = feasim(&["run", "scenarios/tutorial.toml", "--paths", "3000", "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("P(hit)") && stdout.contains("95% CI"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["run"]["paths"], 3000);
    assert!(summary["targets"][0]["probability"].is_number());
    assert!(summary["scenario"]["hash"].as_str().unwrap().len() == 64);
    let csv = std::fs::read_to_string(out_dir.join("targets.csv")).unwrap();
    assert!(csv.starts_with("\u{feff}id,region,section"), "targets.csv starts with a UTF-8 BOM for Excel");
    assert!(out_dir.join("charts/probability.png").is_file());
    assert!(out_dir.join("charts/probability.svg").is_file());
    assert!(out_dir.join("charts/targets_hit.png").is_file());
    // No temporary files are left behind.
    for entry in std::fs::read_dir(&out_dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.starts_with(".tmp"), "leftover {name}");
    }
}

#[test]
fn thread_count_does_not_change_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str| {
        let out_dir = dir.path().join(format!("t{threads}"));
        let out = feasim(&[
            "run",
            "scenarios/tutorial.toml",
            "--paths",
            "5000",
            "--seed",
            "99",
            "--threads",
            threads,
            "--no-charts",
            "--quiet",
            "--out",
            out_dir.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "--quiet prints nothing");
        (std::fs::read(out_dir.join("summary.json")).unwrap(), std::fs::read(out_dir.join("targets.csv")).unwrap())
    };
    assert_eq!(run("1"), run("2"));
}

#[test]
fn bad_input_exits_2_with_a_located_message() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[scenario]\nname = \"x\"\nbase_year = 2021\nend_year = 2024\npaths = -5\n").unwrap();
    let out = feasim(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.toml:5:9") && stderr.contains("paths must be between"), "{stderr}");
    let out = feasim(&["run", "no/such/file.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read no/such/file.toml"));
    let out = feasim(&["run", "scenarios/tutorial.toml", "--paths", "lots"]);
    assert_eq!(out.status.code(), Some(2), "clap usage errors exit 2");
    assert!(!Path::new("lots").exists());
}

/// `--lang en` names the scenario and its regions in English, and the table fits `COLUMNS` (80
/// and 120) without breaking an id; the rate is printed with thousands separators.
#[test]
fn english_table_fits_the_terminal_without_breaking_ids() {
    use unicode_width::UnicodeWidthStr;
    let dir = tempfile::tempdir().unwrap();
    for columns in [80usize, 120] {
        let out_dir = dir.path().join(format!("out{columns}"));
        let out = Command::new(env!("CARGO_BIN_EXE_feasim"))
            .args(["run", "scenarios/liaoning-2022-2024.toml", "--paths", "2000", "--no-charts", "--lang", "en"])
            .args(["--out", out_dir.to_str().unwrap()])
            .env("COLUMNS", columns.to_string())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        for line in stdout.lines() {
            assert!(line.width() <= columns, "wider than {columns}: {line}");
        }
        assert!(stdout.starts_with("Liaoning \"one circle, one belt, two zones\" three-year plan"), "{stdout}");
        assert!(stdout.contains("┆ One circle (Shenyang"), "region names in English:\n{stdout}");
        assert!(columns < 120 || stdout.contains("(100 million yuan)"), "units in English:\n{stdout}");
        assert!(!stdout.contains("亿元"), "no Chinese unit left:\n{stdout}");
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap()).unwrap();
        for t in summary["targets"].as_array().unwrap() {
            let id = t["id"].as_str().unwrap();
            assert!(stdout.contains(&format!("│ {id} ")), "id {id} not whole at {columns} columns:\n{stdout}");
        }
        let csv = std::fs::read_to_string(out_dir.join("targets.csv")).unwrap();
        let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
        assert_eq!(&header[header.len() - 2..], ["region_en", "unit_en"]);
        let t02 = csv.lines().find(|l| l.starts_with("T02,")).unwrap();
        assert!(t02.ends_with(",One circle (Shenyang metropolitan area),100 million yuan"), "{t02}");
        if columns == 80 {
            assert!(stdout.contains("(left out to fit 80 columns: p10, median, p90;"), "{stdout}");
        }
        // "2,000 paths in 0.41 s (4,878 paths/s)"
        let last = stdout.lines().last().unwrap();
        let rate = last.split(" s (").nth(1).and_then(|r| r.split(" paths/s").next()).unwrap();
        let digits: String = rate.chars().filter(|c| *c != ',').collect();
        let value: f64 = digits.parse().unwrap_or_else(|_| panic!("{last}"));
        assert_eq!(rate, feasim::units::thousands(value, 0), "{last}");
        assert!(last.starts_with("2,000 paths in "), "{last}");
    }
}

/// `check` and `run` print the loader's warnings with file, line and column; they do not fail.
#[test]
fn check_and_run_print_located_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slip.toml");
    std::fs::write(
        &path,
        r#"[scenario]
name = "slip"
base_year = 2021
end_year = 2024

[[indicator]]
id = "city.gdp"
unit = "亿元"
kind = "level"
base = 7250
source = "s"
growth = { dist = "normal", mean = 5, sd = 1.5 }

[[target]]
id = "T1"
metric = "value"
indicator = "city.gdp"
year = 2024
comparator = "<="
threshold = 2.5
"#,
    )
    .unwrap();
    let out = feasim(&["check", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("warning: target \"T1\": the threshold 2.5 亿元 is 1/2900 of the base-year value"),
        "{stdout}"
    );
    assert!(stdout.contains("slip.toml:20:13"), "{stdout}");
    assert!(stdout.contains("2 warnings (the scenario still runs)"), "{stdout}");
    let out_dir = dir.path().join("out");
    let out = feasim(&[
        "run",
        path.to_str().unwrap(),
        "--paths",
        "500",
        "--no-charts",
        "--quiet",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("slip.toml:20:13"), "{}", text(&out.stderr));
}

#[test]
fn runaway_arguments_are_refused_before_any_work() {
    let t = "scenarios/tutorial.toml";
    let never = "/nonexistent/feasim-never";
    let cases: [(&[&str], &str); 7] = [
        (&["run", t, "--threads", "10000", "--out", never], "10000 is not in 1..=1024"),
        (&["run", t, "--paths", "18446744073709551615", "--out", never], "is not in 1..=1000000000000"),
        (&["run", t, "--paths", "0", "--out", never], "is not in 1..="),
        (&["run", t, "--font", "/dev/zero", "--out", never], "not a regular file"),
        (&["run", t, "--font", "/nonexistent/font.ttf", "--out", never], "cannot read font file"),
        (
            &["sweep", t, "--param", "shenyang.gdp_real:mean", "--steps", "1000000", "--out", never],
            "is not in 1..=1000",
        ),
        (&["sobol", t, "--bootstrap", "100000000", "--out", never], "is not in 1..=10000"),
    ];
    for (args, needle) in cases {
        let started = std::time::Instant::now();
        let out = feasim(args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        assert!(stderr.len() < 2_000, "{args:?}: a short message");
        assert!(started.elapsed().as_secs() < 30, "{args:?} answered at once");
        assert!(!Path::new(never).exists());
    }
}

#[test]
fn a_rerun_removes_its_own_stale_outputs_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let first = feasim(&["run", "scenarios/tutorial.toml", "--paths", "2000", "--out", o, "-q"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(out.join("charts/probability.png").exists());
    std::fs::write(out.join("charts/my-own.png"), b"mine").unwrap();
    std::fs::write(out.join("notes.txt"), b"mine").unwrap();
    // The same command again without charts: the previous run's charts would describe another run.
    let second = feasim(&["run", "scenarios/tutorial.toml", "--paths", "3000", "--no-charts", "--out", o]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(text(&second.stdout).contains("removed"), "{}", text(&second.stdout));
    assert!(!out.join("charts/probability.png").exists(), "stale chart removed");
    assert!(out.join("charts/my-own.png").exists() && out.join("notes.txt").exists(), "the user's files stay");
    assert!(out.join("summary.json").exists());
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".feasim-tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
