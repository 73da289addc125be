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

/// P(X₃ ≥ T) = Φ((3μ − 100·ln(T/100))/(σ√3)) for each level.
fn exact() -> [f64; 2] {
    let p = |mu: f64, sigma: f64, threshold: f64| {
        phi((3.0 * mu - 100.0 * (threshold / 100.0_f64).ln()) / (sigma * 3.0_f64.sqrt()))
    };
    [p(5.0, 3.0, 118.0), p(4.0, 2.0, 110.0)]
}

fn run(m: &feasim::model::Model, paths: u64, seed: u64) -> Summary {
    engine::run(m, &RunConfig { paths, seed, sampling: Sampling::sobol(paths) }, &|_| {})
}

/// Coverage of the 95% intervals over 1 200 seeds at 1 025, 2 048, 5 120 and 16 384 paths (32 to
/// 40 replicates of 32 to 512 paths; 1 025 leaves one replicate of a single path), for both
/// targets: each of the 8 coverage rates must lie in [92%, 98%].
///
/// The false-alarm probability of a correct estimator (coverage 95%): the number of covering
/// seeds is Binomial(1200, 0.95), and P(X < 1104) + P(X > 1176) = 3.76e-6 + 2.3e-8 = 3.8e-6
/// (exact binomial sums); over the 8 checks (Bonferroni, whatever their dependence) below
/// 3.1e-5 < 1e-4. An interval built from the binomial variance, or from the normal quantile
/// with too few replicates, or a biased design, falls outside the band.
#[test]
fn sobol_intervals_cover_at_every_path_count() {
    let m = scenario();
    let truth = exact();
    let seeds = 1200u64;
    for paths in [1025u64, 2048, 5120, 16_384] {
        let mut covered = [0u64; 2];
        for seed in 0..seeds {
            let s = run(&m, paths, 10_000 + seed);
            for (t, p) in truth.iter().enumerate() {
                let target = &s.targets[t];
                covered[t] += u64::from(target.ci_low <= *p && *p <= target.ci_high);
            }
        }
        for (t, &c) in covered.iter().enumerate() {
            let rate = c as f64 / seeds as f64;
            eprintln!("sobol coverage at {paths} paths, target {t}: {rate:.4}");
            assert!((0.92..=0.98).contains(&rate), "{paths} paths, target {t}: coverage {rate} outside [0.92, 0.98]");
        }
    }
}

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
    let sequential = engine::accumulate_sequential_designed(&m, 5, design, 0..10_000);
    assert_eq!(one, json(&Summary::from_accumulator(&m, &sequential, 5)), "sequential");
    let mut parts = engine::accumulate_designed(&m, 5, design, 4096..10_000, &|_| {});
    parts.merge(&engine::accumulate_designed(&m, 5, design, 0..4096, &|_| {}));
    assert_eq!(one, json(&Summary::from_accumulator(&m, &parts, 5)), "split");
    let per_path = engine::accumulate_per_path(&m, 5, design, 0..10_000);
    assert_eq!(one, json(&Summary::from_accumulator(&m, &per_path, 5)), "per-path reference");
    assert_ne!(one, json(&engine::run(&m, &RunConfig { sampling: Sampling::Independent, ..config }, &|_| {})));
}

/// One replicate really is a scrambled net: in a replicate of 1024 paths, the first year's
/// shock of `x` falls once in each of 1024 equal-probability strata.
#[test]
fn a_sobol_replicate_is_stratified() {
    let m = scenario();
    let mut scratch = engine::Scratch::new(&m);
    let streams = engine::DesignedStreams { seed: 9, sampling: Sampling::Sobol { replicate_bits: 10 } };
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
