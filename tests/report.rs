//! `feasim report` end to end: the files it writes, and report.html of the flagship in headless
//! Chromium (tests/browser.py): no console error, no request outside the file, no horizontal
//! overflow at 1280 and 390 px, and a moved slider shows the sweep's value at that grid point.

use std::path::Path;
use std::process::{Command, Output};

fn feasim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feasim")).args(args).output().expect("feasim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Why the browser test cannot run here, if it cannot: Chromium, its driver or selenium missing.
fn browser_missing() -> Option<String> {
    for exe in ["/usr/bin/chromium", "/usr/bin/chromedriver"] {
        if !Path::new(exe).exists() {
            return Some(format!("{exe} is not installed (bash scripts/setup installs chromium and chromium-driver)"));
        }
    }
    match Command::new("python3").args(["-c", "import selenium"]).output() {
        Ok(out) if out.status.success() => None,
        Ok(_) => Some("the Python package selenium is not installed (bash scripts/setup installs it)".into()),
        Err(e) => Some(format!("python3 cannot be started: {e}")),
    }
}

#[test]
fn report_of_the_flagship_works_in_headless_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("flagship");
    let out = feasim(&[
        "report",
        "scenarios/liaoning-2022-2024.toml",
        "--paths",
        "2000",
        "--analysis-paths",
        "1000",
        "--steps",
        "5",
        "--no-charts",
        "--threads",
        "2",
        "--lang",
        "zh",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("report.html"), "{stdout}");
    for file in ["report.html", "summary.json", "targets.csv", "sensitivity.json", "sweep.json", "sweep.csv"] {
        assert!(out_dir.join(file).is_file(), "{file} written");
    }
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("summary.json")).unwrap()).unwrap();
    let targets = summary["targets"].as_array().unwrap();
    for t in targets {
        let id = t["id"].as_str().unwrap();
        assert!(html.contains(&format!("id=\"card-{id}\"")), "a card for {id}");
    }
    assert!(
        html.contains("feasim report scenarios/liaoning-2022-2024.toml --paths 2000 --seed 20220131"),
        "the command to reproduce"
    );
    assert!(html.contains(summary["scenario"]["hash"].as_str().unwrap()));

    if let Some(reason) = browser_missing() {
        println!("skipping the browser part of report_of_the_flagship_works_in_headless_chromium: {reason}");
        return;
    }
    let mut command = Command::new("python3");
    command.arg("tests/browser.py").arg(out_dir.join("report.html")).arg(out_dir.join("sweep.json"));
    if let Ok(shots) = std::env::var("FEASIM_SCREENSHOTS") {
        command.args(["--screenshots", &shots]);
    }
    let out = command.output().expect("python3 runs");
    assert!(out.status.success(), "browser test:\n{}\n{}", text(&out.stdout), text(&out.stderr));
    println!("{}", text(&out.stdout));
}

#[test]
fn run_with_report_writes_the_page_and_refuses_bad_options() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("tutorial");
    let out = feasim(&[
        "run",
        "scenarios/tutorial.toml",
        "--report",
        "--paths",
        "3000",
        "--no-charts",
        "--lang",
        "en",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("<html lang=\"en\" class=\"show-en\">"));
    assert!(html.contains("type=\"range\""), "sliders from the sweeps");
    assert!(html.contains("--analysis-paths 2000 --top 3 --steps 11"), "defaults made explicit in the command");

    let out_dir = dir.path().join("plain");
    let out = feasim(&[
        "report",
        "scenarios/tutorial.toml",
        "--paths",
        "1000",
        "--no-analyses",
        "--no-charts",
        "-q",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(!html.contains("type=\"range\"") && !out_dir.join("sensitivity.json").exists());

    for (flag, value) in [("--steps", "1"), ("--top", "0"), ("--analysis-paths", "0")] {
        let out = feasim(&[
            "report",
            "scenarios/tutorial.toml",
            flag,
            value,
            "--out",
            dir.path().join("bad").to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(flag), "{}", text(&out.stderr));
    }
    let out = feasim(&[
        "run",
        "scenarios/tutorial.toml",
        "--report",
        "--shard",
        "0/2",
        "--out",
        dir.path().join("bad").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}
