//! One gate for every model: what `feasim check` refuses in a file is refused in every variant
//! an analysis builds (sweep grid values, solve brackets, sensitivity shifts), naming the value;
//! a parameter that cannot move a target is said to, without simulating; `compare` refuses
//! scenarios of different years unless asked.

use feasim::analysis::compare;
use feasim::analysis::params;
use feasim::analysis::sensitivity::{self, SensitivityConfig};
use feasim::analysis::solve::{self, SolveConfig};
use feasim::analysis::sweep::{self, SweepSpec};
use feasim::model::Model;

use crate::util::{header, model};

/// `x` (simple compounding, growth sd `sd`) read by target `tx`; `z` read by no target.
fn text(sd: f64) -> String {
    header(2024)
        + &format!(
            "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"test\"\ngrowth = {{ dist = \"normal\", mean = 4, sd = {sd} }}\n"
        )
        + "[[indicator]]\nid = \"z\"\nkind = \"level\"\nbase = 50\nsource = \"test\"\ngrowth = { dist = \"normal\", mean = 4, sd = 3 }\n"
        + "[[target]]\nid = \"tx\"\nmetric = \"value\"\nindicator = \"x\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 110\n"
}

fn scenario() -> Model {
    model(&text(3.0))
}

#[test]
fn a_spread_check_refuses_is_refused_in_a_sweep_naming_the_value() {
    let m = scenario();
    let param = params::find(&m, "x:spread").unwrap();
    let spec = SweepSpec { param, from: 1.0, to: 40.0, steps: 40 };
    let err = sweep::run(&m, &[spec], 256, 1, &|_| {}).unwrap_err();
    assert!(err.contains("x:spread") && err.contains("fall of 100% or more"), "{err}");
    // The refused value is named: the first grid value whose model `check` refuses.
    assert!(err.contains("x:spread = "), "{err}");
}

#[test]
fn a_variant_is_valid_exactly_when_the_same_file_loads() {
    let m = scenario();
    let param = params::find(&m, "x:spread").unwrap();
    let mut both = [0, 0];
    for factor in [0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 21.0, 25.0, 40.0] {
        let variant = params::with_value(&m, &param, factor).is_ok();
        let file = feasim::scenario::load_str("test.toml", &text(3.0 * factor)).is_ok();
        assert_eq!(variant, file, "spread factor {factor}: variant valid {variant}, file loads {file}");
        both[usize::from(variant)] += 1;
    }
    assert!(both[0] > 0 && both[1] > 0, "both outcomes tried: {both:?}");
    // Persistence and means through the same gate.
    let mean = params::find(&m, "x:mean").unwrap();
    let err = params::with_value(&m, &mean, -90.0).unwrap_err();
    assert!(err.contains("x:mean = -90") && err.contains("fall of 100% or more"), "{err}");
    let persistence = params::find(&m, "x:persistence").unwrap();
    assert!(params::with_value(&m, &persistence, 1.0).is_err());
    assert!(params::with_value(&m, &persistence, 0.5).unwrap().validate().is_ok());
}

#[test]
fn a_parameter_no_target_reads_is_said_to_move_nothing_without_simulating() {
    let m = scenario();
    let z = params::find(&m, "z:mean").unwrap();
    let spec = SweepSpec { param: z.clone(), from: 3.0, to: 5.0, steps: 5 };
    let err = sweep::run(&m, &[spec], 256, 1, &|_| {}).unwrap_err();
    assert!(err.contains("z:mean cannot move any target") && err.contains("\"z\""), "{err}");

    let config = SolveConfig { paths: 256, seed: 1, probabilities: vec![0.5], tolerance: None };
    let simulated = std::sync::atomic::AtomicU64::new(0);
    let err = solve::solve(&m, 0, &z, &config, &|n| {
        simulated.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    })
    .unwrap_err();
    assert!(err.contains("cannot move target \"tx\""), "{err}");
    assert_eq!(simulated.into_inner(), 0, "nothing simulated");

    let config = SensitivityConfig { paths: 256, seed: 1, kinds: Vec::new(), mean_shift: None, batch: 4 };
    let plan = sensitivity::plan(&m, &config);
    assert!(plan.params.iter().all(|p| !p.param.id.starts_with("z:")), "z is not simulated");
    let skipped: Vec<&str> =
        plan.skipped.iter().filter(|s| s.id.starts_with("z:")).map(|s| s.reason.as_str()).collect();
    assert!(!skipped.is_empty() && skipped.iter().all(|r| r.contains("cannot move any target")), "{skipped:?}");
}

#[test]
fn solve_searches_only_the_valid_range_and_says_where_it_ends() {
    // P(x_2024 >= 110) cannot reach 0.999 by lowering... ask for a probability only a fall gives.
    let text = text(3.0).replace("comparator = \">=\"\nthreshold = 110", "comparator = \"<=\"\nthreshold = 0.01");
    let m = model(&text);
    let mean = params::find(&m, "x:mean").unwrap();
    let config = SolveConfig { paths: 512, seed: 7, probabilities: vec![0.9], tolerance: None };
    let report = solve::solve(&m, 0, &mean, &config, &|_| {}).unwrap();
    // The lowest mean searched keeps P(growth <= -100%) within the gate's negligible 1e-6.
    assert!(report.searched_low > -100.0 + 4.0 * 3.0, "searched down to {}", report.searched_low);
    for point in &report.curve {
        assert!(params::with_value(&m, &mean, point.value).is_ok(), "simulated an invalid mean {}", point.value);
    }
    let answer = &report.answers[0];
    assert_eq!(answer.status, "unreachable");
    assert!(answer.message.contains("lower values are refused"), "{}", answer.message);
}

#[test]
fn compare_refuses_different_years_unless_asked() {
    let a = scenario();
    let b = model(&text(3.0).replace("end_year = 2024", "end_year = 2025").replace("year = 2024", "year = 2025"));
    let names = ["a.toml".to_string(), "b.toml".to_string()];
    let err = compare::same_years(&[&a, &b], &names).unwrap_err();
    assert!(err.contains("b.toml runs 2021–2025") && err.contains("--allow-different-years"), "{err}");
    assert!(compare::same_years(&[&a, &a], &names).is_ok());
}

#[test]
fn the_gate_accepts_every_shipped_scenario_and_adds_no_refusal_of_its_default_shifts() {
    for path in ["scenarios/tutorial.toml", "scenarios/liaoning-2022-2024.toml"] {
        let m = feasim::scenario::load(std::path::Path::new(path)).unwrap();
        m.validate().unwrap();
        let mut refused = Vec::new();
        for p in params::parameters(&m) {
            let (low, high) = params::default_range(&m, &p);
            for v in [low, high] {
                // Contradictory correlations and a count's negative mean were refused before the
                // gate; nothing else a default shift makes may be.
                if let Err(e) = params::with_value(&m, &p, v)
                    && !e.contains("contradict each other")
                    && !e.contains("mean must be >= 0 for a count")
                {
                    refused.push(e);
                }
            }
        }
        assert!(refused.is_empty(), "{path}: {refused:#?}");
    }
}

fn feasim(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_feasim")).args(args).output().expect("feasim runs")
}

#[test]
fn the_command_line_refuses_before_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gate.toml");
    std::fs::write(&file, text(3.0)).unwrap();
    let file = file.to_str().unwrap();
    let out_dir = dir.path().join("out");
    let out_dir = out_dir.to_str().unwrap();

    // The case: a spread `check` refuses is not simulated.
    let out = feasim(&["sweep", file, "--param", "x:spread=1:40", "--paths", "256", "--out", out_dir]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--param x:spread=1:40: x:spread = ") && stderr.contains("fall of 100% or more"),
        "{stderr}"
    );
    assert!(!std::path::Path::new(out_dir).exists(), "nothing written");

    // Scenarios over other years.
    let later = dir.path().join("later.toml");
    std::fs::write(&later, text(3.0).replace("end_year = 2024", "end_year = 2025")).unwrap();
    let later = later.to_str().unwrap();
    let out = feasim(&["compare", file, later, "--paths", "256", "--out", out_dir]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("runs 2021–2025") && stderr.contains("--allow-different-years"), "{stderr}");
    let out =
        feasim(&["compare", file, later, "--allow-different-years", "--paths", "256", "--no-charts", "--out", out_dir]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
