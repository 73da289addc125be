//! Sharded runs end to end: shards run as separate `feasim run --shard I/N` processes, `feasim
//! merge` gives the single run's files byte for byte, and every set of parts that is not one run
//! is refused with exit code 2 and a message naming the files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TUTORIAL: &str = "scenarios/tutorial.toml";

fn feasim<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_feasim")).args(args).output().expect("feasim runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn arg(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

/// Start `feasim ARGS --shard I/count --threads 1 --out dir` for every I in `indices`, each in its
/// own process, all at once; check that each succeeded, said so on a line starting
/// "shard I/count: paths " and wrote its part. Returns (part file, stdout), in `indices` order.
fn shard_processes(args: &[&str], what: &str, count: u64, indices: &[u64], dir: &Path) -> Vec<(PathBuf, String)> {
    let children: Vec<_> = indices
        .iter()
        .map(|i| {
            Command::new(env!("CARGO_BIN_EXE_feasim"))
                .args(args)
                .args(["--shard", &format!("{i}/{count}"), "--threads", "1", "--out", arg(dir)])
                .output()
        })
        .collect();
    indices
        .iter()
        .zip(children)
        .map(|(i, out)| {
            let out = out.expect("feasim runs");
            assert!(out.status.success(), "{what} {i}/{count}: {}", text(&out.stderr));
            let stdout = text(&out.stdout);
            assert!(stdout.starts_with(&format!("shard {i}/{count}: paths ")), "{stdout}");
            let file = dir.join(format!("shard-{i}-of-{count}.json"));
            assert!(file.is_file(), "{} written", file.display());
            (file, stdout)
        })
        .collect()
}

/// Run shards `indices` of `count` of `scenario`, each in its own process, all at once; returns
/// the files written, in `indices` order.
fn shards(scenario: &str, paths: u64, seed: u64, count: u64, indices: &[u64], dir: &Path) -> Vec<PathBuf> {
    let (paths, seed) = (paths.to_string(), seed.to_string());
    shard_processes(&["run", scenario, "--paths", &paths, "--seed", &seed], "shard", count, indices, dir)
        .into_iter()
        .map(|(file, stdout)| {
            assert_eq!(stdout.lines().count(), 1, "one line per shard: {stdout}");
            file
        })
        .collect()
}

/// A run's summary.json and targets.csv.
fn outputs(dir: &Path) -> (String, String) {
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    (read("summary.json"), read("targets.csv"))
}

fn single_run(scenario: &str, paths: u64, seed: u64, dir: &Path, charts: bool) -> (String, String) {
    let mut args = vec!["run", scenario, "--paths", &*paths.to_string(), "--seed", &*seed.to_string()]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    args.extend(["--quiet", "--lang", "en", "--out", arg(dir)].map(String::from));
    if !charts {
        args.push("--no-charts".into());
    }
    let out = feasim(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    outputs(dir)
}

fn merge(parts: &[&Path], extra: &[&str], out_dir: &Path) -> Output {
    let mut args: Vec<&str> = vec!["merge"];
    args.extend(parts.iter().map(|p| arg(p)));
    args.extend(extra);
    args.extend(["--out", arg(out_dir)]);
    feasim(&args)
}

/// Merge must refuse: exit code 2, every `needles` in the message, nothing written.
fn assert_refused(parts: &[&Path], extra: &[&str], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("merged");
    let out = merge(parts, extra, &out_dir);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "refused with exit code 2: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "message should contain {needle:?}:\n{stderr}");
    }
    assert!(stderr.starts_with("error: cannot merge") || stderr.starts_with("error: "), "{stderr}");
    assert!(!out_dir.exists(), "nothing is written when the merge is refused");
}

/// Files written by a run, relative to its folder, with their bytes.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push((path.strip_prefix(dir).unwrap().to_path_buf(), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

/// A part file is the same bytes whatever the number of threads (the order in which a shard's
/// paths reach the sketches shaped their dense windows, and the files held that layout).
#[test]
fn a_shard_writes_the_same_bytes_on_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    let flagship = "scenarios/liaoning-2022-2024.toml";
    let bytes: Vec<Vec<u8>> = ["1", "2", "2", "3"]
        .iter()
        .enumerate()
        .map(|(k, threads)| {
            let out_dir = dir.path().join(format!("t{k}"));
            let args =
                ["run", flagship, "--paths", "12288", "--shard", "1/3", "--no-charts", "-q", "--threads", threads];
            let out = feasim(&[&args[..], &["--out", arg(&out_dir)]].concat());
            assert!(out.status.success(), "{}", text(&out.stderr));
            std::fs::read(out_dir.join("shard-1-of-3.json")).unwrap()
        })
        .collect();
    for (k, other) in bytes.iter().enumerate().skip(1) {
        assert!(other == &bytes[0], "run {k} wrote a different part file than the run on one thread");
    }
}

#[test]
fn shards_in_separate_processes_merge_to_the_single_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, seed) = (6144, 17);
    let single = dir.path().join("single");
    single_run(TUTORIAL, paths, seed, &single, true);

    let parts_dir = dir.path().join("parts");
    let files = shards(TUTORIAL, paths, seed, 4, &[0, 1, 2, 3], &parts_dir);
    let names: Vec<_> = std::fs::read_dir(&parts_dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 4, "each shard writes one file and nothing else: {names:?}");

    // Given in shuffled order.
    let merged = dir.path().join("merged");
    let order = [&files[2], &files[0], &files[3], &files[1]].map(PathBuf::as_path);
    let out = merge(&order, &["--lang", "en"], &merged);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("P(hit)") && stdout.contains("merged 4 shards: 6144 paths (seed 17)"), "{stdout}");

    // Everything `run` writes, charts included, is the same bytes.
    let (expected, got) = (tree(&single), tree(&merged));
    assert!(expected.iter().any(|(p, _)| p.ends_with("probability.svg")), "charts were written");
    assert_eq!(expected.iter().map(|(p, _)| p).collect::<Vec<_>>(), got.iter().map(|(p, _)| p).collect::<Vec<_>>());
    for ((path, a), (_, b)) in expected.iter().zip(&got) {
        assert!(a == b, "{} differs between the single run and the merge", path.display());
    }
}

#[test]
fn an_uneven_split_merged_from_its_folder_matches_the_single_run() {
    // 4500 paths are 5 chunks of 1024, the last one partial: 3 shards get 1, 2 and 2 chunks.
    let dir = tempfile::tempdir().unwrap();
    let (paths, seed) = (4500, 3);
    let single = single_run(TUTORIAL, paths, seed, &dir.path().join("single"), false);
    let parts_dir = dir.path().join("parts");
    let files = shards(TUTORIAL, paths, seed, 3, &[2, 1, 0], &parts_dir);
    let ranges: Vec<(u64, u64)> = files
        .iter()
        .map(|f| {
            let part: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
            (part["paths"]["start"].as_u64().unwrap(), part["paths"]["end"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(ranges, vec![(3072, 4500), (1024, 3072), (0, 1024)]);

    let merged = dir.path().join("merged");
    let out = merge(&[&parts_dir], &["--no-charts", "--quiet"], &merged);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "--quiet prints nothing");
    assert_eq!(outputs(&merged), single);
}

#[test]
fn sampling_designs_shard_exactly() {
    // Antithetic pairs and Latin hypercube blocks never straddle shards (boundaries are multiples
    // of 1024), so a sharded run under a design is the single run under it; the design travels in
    // the partial results' run configuration.
    let dir = tempfile::tempdir().unwrap();
    for sampling in ["antithetic", "lhs"] {
        let d = dir.path().join(sampling);
        let run = |extra: &[&str], out: &Path| {
            let mut args = vec!["run", TUTORIAL, "--paths", "4500", "--seed", "5", "--sampling", sampling];
            args.extend(extra);
            args.extend(["--no-charts", "-q", "--out", arg(out)]);
            let out = feasim(&args);
            assert!(out.status.success(), "{sampling}: {}", text(&out.stderr));
        };
        run(&[], &d.join("single"));
        for i in 0..3 {
            run(&["--shard", &format!("{i}/3")], &d.join("parts"));
        }
        let merged = d.join("merged");
        let out = merge(&[&d.join("parts")], &["--no-charts", "-q"], &merged);
        assert!(out.status.success(), "{sampling}: {}", text(&out.stderr));
        assert_eq!(outputs(&merged), outputs(&d.join("single")), "{sampling}");
    }
    // Parts of the same run but another design are refused.
    let (a, b) = (dir.path().join("antithetic/parts"), dir.path().join("lhs/parts"));
    assert_refused(
        &[&a.join("shard-0-of-3.json"), &a.join("shard-1-of-3.json"), &b.join("shard-2-of-3.json")],
        &[],
        &["different run configurations", "antithetic", "latin_hypercube"],
    );
}

#[test]
fn more_shards_than_chunks_leave_empty_shards_that_still_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (paths, seed) = (1500, 8);
    let single = single_run(TUTORIAL, paths, seed, &dir.path().join("single"), false);
    let parts_dir = dir.path().join("parts");
    shards(TUTORIAL, paths, seed, 5, &[0, 1, 2, 3, 4], &parts_dir);
    let merged = dir.path().join("merged");
    let out = merge(&[&parts_dir], &["--no-charts", "-q"], &merged);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(outputs(&merged), single);
}

#[test]
fn parts_of_different_runs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let seed_1 = shards(TUTORIAL, 3000, 1, 2, &[0, 1], &d.join("seed1"));
    let seed_2 = shards(TUTORIAL, 3000, 2, 2, &[1], &d.join("seed2"));
    assert_refused(
        &[&seed_1[0], &seed_2[0]],
        &[],
        &["different seeds", &format!("{} has 1", arg(&seed_1[0])), &format!("{} has 2", arg(&seed_2[0]))],
    );

    let more_paths = shards(TUTORIAL, 4000, 1, 2, &[1], &d.join("paths"));
    assert_refused(&[&seed_1[0], &more_paths[0]], &[], &["different total numbers of paths", "3000", "4000"]);

    // The same scenario with one more comment line: another file, another hash.
    let edited = d.join("tutorial-edited.toml");
    std::fs::write(&edited, std::fs::read_to_string(TUTORIAL).unwrap() + "# edited\n").unwrap();
    let other = shards(arg(&edited), 3000, 1, 2, &[1], &d.join("edited"));
    assert_refused(&[&seed_1[0], &other[0]], &[], &["different scenarios", arg(&seed_1[0]), arg(&other[0])]);

    let of_three = shards(TUTORIAL, 3000, 1, 3, &[1, 2], &d.join("three"));
    assert_refused(&[&seed_1[0], &of_three[0], &of_three[1]], &[], &["different shard counts", "have 3", "has 2"]);
}

#[test]
fn duplicate_and_missing_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = shards(TUTORIAL, 5000, 4, 3, &[0, 1, 2], &d.join("parts"));
    // The same shard twice, once as a copy in another folder: the paths overlap.
    let copy = d.join("copy").join("shard-1-of-3.json");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(&files[1], &copy).unwrap();
    assert_refused(
        &[&files[0], &files[1], &copy, &files[2]],
        &[],
        &["shard 1/3 is given 2 times", arg(&files[1]), arg(&copy)],
    );
    assert_refused(&[&files[0], &files[0], &files[1], &files[2]], &[], &["shard 0/3 is given 2 times"]);
    assert_refused(&[&files[2], &files[0]], &[], &["shard 1/3 is missing"]);
    assert_refused(&[&files[1]], &[], &["shards 0/3, 2/3 are missing"]);
    // Both problems at once are both reported.
    assert_refused(
        &[&files[0], &files[0]],
        &[],
        &["2 problems", "shard 0/3 is given 2 times", "shards 1/3, 2/3 are missing"],
    );
}

#[test]
fn files_that_are_not_partial_results_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = shards(TUTORIAL, 2500, 6, 2, &[0, 1], &d.join("parts"));
    let write = |name: &str, content: &str| {
        let path = d.join(name);
        std::fs::write(&path, content).unwrap();
        path
    };
    let garbage = write("garbage.json", "this is not JSON\n");
    assert_refused(&[&files[0], &garbage], &[], &[arg(&garbage), "not a feasim partial result", "feasim run --shard"]);

    // A run's summary.json is JSON, but not a partial result.
    single_run(TUTORIAL, 1000, 1, &d.join("single"), false);
    let summary = d.join("single").join("summary.json");
    assert_refused(&[&files[0], &summary], &[], &[arg(&summary), "not a feasim partial result"]);

    let binary = d.join("binary.json");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x81]).unwrap();
    assert_refused(&[&binary, &files[1]], &[], &[arg(&binary), "not a feasim partial result"]);

    let original = std::fs::read_to_string(&files[1]).unwrap();
    let version = write("shard-1-of-2-v9.json", &original.replacen("\"format_version\":1", "\"format_version\":9", 1));
    assert_refused(&[&files[0], &version], &[], &[arg(&version), "format version 9", "reads version 1"]);

    let old =
        write("shard-1-of-2-old.json", &original.replacen("\"feasim_version\":\"", "\"feasim_version\":\"0.0.0-", 1));
    assert_refused(&[&files[0], &old], &[], &[arg(&old), "written by feasim 0.0.0-", "same build"]);

    let edited = write("shard-1-of-2-edited.json", &original.replacen("\"hits\":[", "\"hits\":[9", 1));
    assert_refused(&[&files[0], &edited], &[], &[arg(&edited), "damaged", "checksum"]);

    let cut = write("shard-1-of-2-cut.json", &original[..original.len() / 3]);
    assert_refused(&[&files[0], &cut], &[], &[arg(&cut), "damaged", "cut short"]);

    let missing = d.join("nowhere.json");
    assert_refused(&[&files[0], &missing], &[], &[arg(&missing), "cannot read"]);

    // Every unusable file is named at once.
    assert_refused(&[&garbage, &edited, &files[0]], &[], &["2 problems", arg(&garbage), arg(&edited)]);

    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_refused(&[&empty], &[], &["no partial results (shard-I-of-N.json) in this folder"]);
}

#[test]
fn a_scenario_edited_or_moved_after_the_shards_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = d.join("plan.toml");
    let original = std::fs::read_to_string(TUTORIAL).unwrap();
    std::fs::write(&scenario, &original).unwrap();
    let parts = d.join("parts");
    shards(arg(&scenario), 3000, 2, 2, &[0, 1], &parts);
    let kept = d.join("kept.toml");
    std::fs::copy(&scenario, &kept).unwrap();

    // Edited: the merge would describe a different scenario than the one simulated.
    std::fs::write(&scenario, original.replace("seed = 20220131", "seed = 1")).unwrap();
    assert_refused(&[&parts], &[], &[arg(&scenario), "is not the scenario the shards simulated", "--scenario"]);
    // Moved away: the merge says where it looked and how to point it to the file.
    std::fs::remove_file(&scenario).unwrap();
    assert_refused(&[&parts], &[], &["no longer at", arg(&scenario), "--scenario PATH"]);
    // The same file elsewhere is accepted with --scenario, and gives the single run.
    let merged = d.join("merged");
    let out = merge(&[&parts], &["--scenario", arg(&kept), "--no-charts", "-q"], &merged);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(&scenario, &original).unwrap();
    assert_eq!(outputs(&merged), single_run(arg(&scenario), 3000, 2, &d.join("single"), false));
    // Whatever file now sits at the recorded path, its content is never printed.
    std::fs::write(&scenario, "SECRET-TOKEN = hunter2 [not toml\n").unwrap();
    assert_refused(&[&parts], &[], &["cannot be loaded as a scenario", "--scenario PATH"]);
    let out = merge(&[&parts], &[], &d.join("never"));
    assert!(!text(&out.stderr).contains("SECRET") && !text(&out.stdout).contains("SECRET"));
    std::fs::write(&scenario, &original).unwrap();
    // --scenario pointing to another scenario is refused.
    assert_refused(
        &[&parts],
        &["--scenario", "scenarios/liaoning-2022-2024.toml"],
        &["is not the scenario the shards simulated"],
    );
}

#[test]
fn a_bad_shard_argument_is_a_usage_error() {
    for (shard, message) in [("4/4", "0 to 3"), ("x", "expected I/N"), ("1/0", "at least 1"), ("-1/2", "expected I/N")]
    {
        let out =
            feasim(&["run", TUTORIAL, "--paths", "100", "--out", "/nonexistent/never", &format!("--shard={shard}")]);
        assert_eq!(out.status.code(), Some(2), "--shard {shard}");
        assert!(text(&out.stderr).contains(message), "--shard {shard}: {}", text(&out.stderr));
    }
    let out = feasim(&["run", TUTORIAL, "--precision", "0.01", "--shard", "0/2", "--out", "/nonexistent/never"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--precision cannot be split into shards"), "{}", text(&out.stderr));
}

/// The sweep of the tests: two parameters, one with its own range, 5 steps.
const SWEEP: [&str; 6] =
    ["--param", "shenyang.gdp_real:mean=3:7", "--param", "shenyang.deflator:spread", "--steps", "5"];

/// Run sweep shards `indices` of `count` (with `params`), each in its own process, all at once;
/// returns the files written, in `indices` order.
fn sweep_shards(params: &[&str], paths: u64, count: u64, indices: &[u64], dir: &Path) -> Vec<PathBuf> {
    let paths = paths.to_string();
    let mut args = vec!["sweep", TUTORIAL, "--paths", &paths, "--seed", "9"];
    args.extend(params);
    shard_processes(&args, "sweep shard", count, indices, dir)
        .into_iter()
        .map(|(file, _)| {
            let part: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            assert_eq!(part["format"], "feasim partial sweep");
            file
        })
        .collect()
}

#[test]
fn sweep_shards_merge_to_the_single_sweep_byte_for_byte() {
    // 4500 paths are 5 chunks of 1024: 3 shards get 1, 2 and 2 chunks.
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single");
    let mut args =
        vec!["sweep", TUTORIAL, "--paths", "4500", "--seed", "9", "--lang", "en", "-q", "--out", arg(&single)];
    args.extend(SWEEP);
    let out = feasim(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let parts = dir.path().join("parts");
    let files = sweep_shards(&SWEEP, 4500, 3, &[2, 0, 1], &parts);
    let names: Vec<_> = std::fs::read_dir(&parts).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 3, "each shard writes one file and nothing else: {names:?}");

    let merged = dir.path().join("merged");
    let out = merge(&[&files[1], &files[0], &files[2]], &["--lang", "en"], &merged);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("merged 3 sweep shards: 4500 paths (seed 9)"), "{stdout}");

    // sweep.json, sweep.csv and every chart are the same bytes.
    let (expected, got) = (tree(&single), tree(&merged));
    let names = |t: &[(PathBuf, Vec<u8>)]| t.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert!(expected.iter().any(|(p, _)| p.starts_with("charts")), "charts were written: {:?}", names(&expected));
    assert!(expected.iter().any(|(p, _)| p.ends_with("sweep.csv")));
    assert_eq!(names(&expected), names(&got));
    for ((path, a), (_, b)) in expected.iter().zip(&got) {
        assert!(a == b, "{} differs between the single sweep and the merge", path.display());
    }
}

#[test]
fn sweep_shards_of_other_sweeps_runs_or_missing_shards_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let files = sweep_shards(&SWEEP, 3000, 3, &[0, 1, 2], &d.join("parts"));

    // Another range of the first parameter.
    let mut other_range = SWEEP;
    other_range[1] = "shenyang.gdp_real:mean=3:8";
    let other = sweep_shards(&other_range, 3000, 3, &[2], &d.join("other"));
    assert_refused(
        &[&files[0], &files[1], &other[0]],
        &[],
        &["different sweeps", "shenyang.gdp_real:mean=3.0:7.0", "shenyang.gdp_real:mean=3.0:8.0", arg(&other[0])],
    );
    // Other steps.
    let mut other_steps = SWEEP;
    other_steps[5] = "4";
    let steps = sweep_shards(&other_steps, 3000, 3, &[2], &d.join("steps"));
    assert_refused(&[&files[0], &files[1], &steps[0]], &[], &["different sweeps", "(4 steps)", "(5 steps)"]);

    // A run's shard among a sweep's.
    let run = shards(TUTORIAL, 3000, 9, 3, &[2], &d.join("run"));
    assert_refused(
        &[&files[0], &files[1], &run[0]],
        &[],
        &["mix shards of a run and of a sweep", arg(&run[0]), arg(&files[0]), arg(&files[1])],
    );

    // A missing shard, and a duplicate.
    assert_refused(&[&files[0], &files[2]], &[], &["shard 1/3 is missing"]);
    assert_refused(&[&files[0], &files[1], &files[1], &files[2]], &[], &["shard 1/3 is given 2 times"]);

    // Damaged and foreign versions.
    let original = std::fs::read_to_string(&files[1]).unwrap();
    let version = d.join("v9.json");
    std::fs::write(&version, original.replacen("\"format_version\":1", "\"format_version\":9", 1)).unwrap();
    assert_refused(&[&files[0], &version, &files[2]], &[], &[arg(&version), "partial-sweep format version 9"]);
    let edited = d.join("edited.json");
    std::fs::write(&edited, original.replacen("\"hits\":[[", "\"hits\":[[9", 1)).unwrap();
    assert_refused(&[&files[0], &edited, &files[2]], &[], &[arg(&edited), "damaged", "checksum"]);

    // The whole folder merges.
    let out = merge(&[&d.join("parts")], &["--no-charts", "-q"], &d.join("merged"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(d.join("merged/sweep.json").is_file() && d.join("merged/sweep.csv").is_file());
}

#[test]
fn sweep_shards_with_empty_shards_still_merge() {
    // 1500 paths are 2 chunks: one of 3 shards is empty.
    let dir = tempfile::tempdir().unwrap();
    let single = dir.path().join("single");
    let mut args =
        vec!["sweep", TUTORIAL, "--paths", "1500", "--seed", "9", "--no-charts", "-q", "--out", arg(&single)];
    args.extend(SWEEP);
    let out = feasim(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let parts = dir.path().join("parts");
    sweep_shards(&SWEEP, 1500, 3, &[0, 1, 2], &parts);
    let merged = dir.path().join("merged");
    let out = merge(&[&parts], &["--no-charts", "-q"], &merged);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(tree(&merged), tree(&single));
}
