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
    assert!(csv.starts_with("id,region,section"));
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
