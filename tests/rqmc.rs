//! `--sampling sobol` (randomised quasi-Monte Carlo): intervals that cover, and the same bits
//! everywhere. The closed-form case is `sampling`'s: two correlated lognormal levels.

use feasim::engine::{self, RunConfig, Sampling};
use feasim::summary::Summary;

use crate::util::{header, json, model, phi};

fn scenario() -> feasim::model::Model {
    let text = header(2024)
        + "[[indicator]]\nid = \"x\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ncompounding = \"log\"\ngrowth = { dist = \"normal\", mean = 5, sd = 3 }\n"
        + "[[indicator]]\nid = \"y\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ncompounding = \"log\"\ngrowth = { dist = \"normal\", mean = 4, sd = 2 }\n"
        + "[[correlation]]\nbetween = [\"x\", \"y\"]\nrho = 0.6\n"
        + "[[target]]\nid = \"tx\"\nmetric = \"value\"\nindicator = \"x\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 118\n"
        + "[[target]]\nid = \"ty\"\nmetric = \"value\"\nindicator = \"y\"\nyear = 2024\ncomparator = \">=\"\nthreshold = 110\n";
    model(&text)
}

// Coverage of `--sampling sobol`'s intervals at 1 025 to 16 384 paths is tested with every other
// design in `tests/coverage.rs` (`Sampling::ALL`).

/// The design keeps the engine's reproducibility: same bits on 1 and 2 threads, sequentially,
/// split at a multiple of 1024 and merged, and through the per-path reference engine.
#[test]
fn sobol_is_thread_split_and_engine_independent() {
    let m = scenario();
    let design = Sampling::sobol(10_000);
    let config = RunConfig { paths: 10_000, seed: 5, sampling: design };
    let on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        json(&pool.install(|| engine::run(&m, &config, &|_| {})))
    };
    let one = on(1);
    assert_eq!(one, on(2));
    let sequential = engine::accumulate_sequential_designed(&m, config.streams(), 0..10_000);
    assert_eq!(one, json(&Summary::from_accumulator(&m, &sequential, 5)), "sequential");
    let mut parts = engine::accumulate_designed(&m, config.streams(), 4096..10_000, &|_| {});
    parts.merge(&engine::accumulate_designed(&m, config.streams(), 0..4096, &|_| {}));
    assert_eq!(one, json(&Summary::from_accumulator(&m, &parts, 5)), "split");
    let per_path = engine::accumulate_per_path(&m, config.streams(), 0..10_000);
    assert_eq!(one, json(&Summary::from_accumulator(&m, &per_path, 5)), "per-path reference");
    assert_ne!(one, json(&engine::run(&m, &RunConfig { sampling: Sampling::Independent, ..config }, &|_| {})));
}

/// One replicate really is a scrambled net: in a replicate of 1024 paths, the first year's
/// shock of `x` falls once in each of 1024 equal-probability strata.
#[test]
fn a_sobol_replicate_is_stratified() {
    let m = scenario();
    let mut scratch = engine::Scratch::new(&m);
    let streams = engine::DesignedStreams::for_run(9, Sampling::Sobol { replicate_bits: 10, shared_bits: 0 }, 1 << 15);
    let mut strata = vec![0; 1024];
    for path in 3072..4096 {
        engine::path::simulate_with(&m, &streams, path, &mut scratch);
        let z = (100.0 * (scratch.values[1] / scratch.values[0]).ln() - 5.0) / 3.0;
        strata[((phi(z) * 1024.0) as usize).min(1023)] += 1;
    }
    assert!(strata.iter().all(|&c| c == 1), "every stratum once: {:?}", &strata[..16]);
}

/// `feasim run --sampling sobol` records the design with its replicate size (32 replicates of 64
/// paths at 2 048 paths), and `feasim sobol` refuses the designs it does not implement.
#[test]
fn the_command_line_takes_sobol_sampling() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_feasim"))
        .args([
            "run",
            "scenarios/tutorial.toml",
            "--paths",
            "2048",
            "--sampling",
            "sobol",
            "-q",
            "--no-charts",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["run"]["sampling"], serde_json::json!({ "sobol": { "replicate_bits": 6 } }));
    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_feasim"))
        .args(["sobol", "scenarios/tutorial.toml", "--paths", "64", "--sampling", "lhs", "-q", "--no-charts", "--out"])
        .arg(dir.path().join("s"))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--sampling independent or --sampling sobol"));
}

/// `feasim sobol --sampling sobol` draws one scrambled sequence in at least 16 blocks (N = 1000:
/// 31 blocks of 32 paths, the 8-path remainder in the last), records it in `sobol.json` and
/// writes its charts with the blocks' interval, and the same bits on 1 and 2 threads.
#[test]
fn the_sobol_command_uses_one_sequence_in_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str, out: &str| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_feasim"))
            .args(["sobol", "tests/data/linear.toml", "--paths", "1000", "--sampling", "sobol", "-q", "--threads"])
            .arg(threads)
            .arg("--out")
            .arg(dir.path().join(out))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        std::fs::read(dir.path().join(out).join("sobol.json")).unwrap()
    };
    let one = run("1", "one");
    assert_eq!(one, run("2", "two"));
    let result: serde_json::Value = serde_json::from_slice(&one).unwrap();
    assert_eq!((result["run"]["blocks"].as_u64(), result["run"]["bootstrap"].as_u64()), (Some(31), Some(0)));
    assert!(result["run"]["method"].as_str().unwrap().contains("one Owen-scrambled Sobol' sequence"));
    let x3 = &result["targets"][0]["metric"]["groups"][2]["first"];
    let (low, value, high) = (x3["low"].as_f64().unwrap(), x3["value"].as_f64().unwrap(), x3["high"].as_f64().unwrap());
    assert!(low < value && value < high && (value - 9.0 / 14.0).abs() < 0.05, "{x3}");
    assert!(dir.path().join("one/charts/sobol/F.svg").exists() || dir.path().join("one/charts/sobol/F.png").exists());
}
