//! A deterministic mutation fuzzer over feasim's inputs, in the suite (stable Rust, no
//! cargo-fuzz): scenario files, calibration CSVs and shard part files, mutated from a corpus,
//! fed in-process through the library.
//!
//! Corpus: every scenario in `scenarios/` and `tests/data/`, the calibration CSVs of
//! `tests/data/`, and the two part files of a tiny sharded run and of a tiny sharded sweep. Mutations (seeded SplitMix64, so
//! every run tries the same cases): byte flips, deletions, duplicated lines, numbers swapped for
//! extremes (`1e308`, `-0`, `nan`, `inf`, huge integers, `"TODO"`, …), lines spliced in from
//! other corpus files, deep nesting, long lines, control characters and invalid UTF-8 (including
//! GB18030 text).
//!
//! Asserted for every case: no panic (`catch_unwind`); every refusal located (a scenario or CSV
//! diagnostic renders `--> file:line:column` inside the file; a merge refusal names the part
//! file); every accepted scenario passes the model's gate (`Model::validate`) and simulates 64
//! paths with no NaN probability and no count above the paths; every accepted CSV leads to
//! outcomes or a located refusal; every accepted part merges into counts within its paths, or
//! is refused naming it.
//!
//! Cases per run: `FEASIM_FUZZ_CASES` (default 12 000 in all, split 60% scenarios, 30% CSVs, 10%
//! part files). For a release, run the long campaign (about 100× the default):
//!
//! ```text
//! FEASIM_FUZZ_CASES=1000000 FEASIM_FUZZ_SEED=<any> cargo test --release --test integration fuzz -- --nocapture
//! ```
//!
//! The test prints the cases and outcomes of each class (the acceptance table of issue 11).

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use feasim::analysis::sweep::{SweepPlan, SweepSpec};
use feasim::engine::{self, RunConfig};
use feasim::model::Model;
use feasim::shard::{self, AnyPart, Merger, PartialResult, PartialSweep, ScenarioRef, ShardId, SweepMerger};

const DEFAULT_CASES: u64 = 12_000;

/// SplitMix64: a small seeded generator, the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const EXTREMES: [&str; 18] = [
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "-0",
    "-0.0",
    "nan",
    "inf",
    "-inf",
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775808",
    "99999999999999999999999999",
    "4.9e-324",
    "1e-320",
    "\"TODO\"",
    "0",
    "-1",
    "1e15",
];

const CONTROLS: [&str; 9] = ["\u{1}", "\u{7}", "\u{1b}[31m", "\r", "\u{0}", "\u{202e}", "\u{7f}", "\t", "\u{feff}"];

/// Byte ranges of the numbers in `text` (digits with an optional sign, point and exponent).
fn numbers(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let starts =
            text[i].is_ascii_digit() && (i == 0 || !(text[i - 1].is_ascii_alphanumeric() || text[i - 1] == b'_'));
        if starts {
            let mut j = i;
            while j < text.len() && (text[j].is_ascii_digit() || matches!(text[j], b'.' | b'e' | b'E' | b'_')) {
                j += 1;
            }
            let start = if i > 0 && text[i - 1] == b'-' { i - 1 } else { i };
            out.push((start, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

fn lines(text: &[u8]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (k, &b) in text.iter().enumerate() {
        if b == b'\n' {
            out.push((start, k + 1));
            start = k + 1;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out
}

/// One to three mutations of `base`, with lines from `others` available for splicing.
/// `kind` says what the text is (changes the nesting mutation).
fn mutate(rng: &mut Rng, base: &[u8], others: &[Vec<u8>], kind: Kind) -> Vec<u8> {
    let mut text = base.to_vec();
    for _ in 0..1 + rng.below(3) {
        text = mutate_once(rng, &text, others, kind);
    }
    text
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Scenario,
    Csv,
    Part,
}

fn mutate_once(rng: &mut Rng, text: &[u8], others: &[Vec<u8>], kind: Kind) -> Vec<u8> {
    let mut out = text.to_vec();
    let at = |rng: &mut Rng, len: usize| rng.below(len + 1);
    // A part file is one line of JSON whose numbers are counts: most mutations swap a count for
    // another whole number, so that the part still parses and its counts are what is tested.
    if kind == Kind::Part && rng.below(3) > 0 {
        let ns = numbers(&out);
        if !ns.is_empty() {
            let (a, b) = *rng.pick(&ns);
            let old: u64 = std::str::from_utf8(&out[a..b]).ok().and_then(|t| t.parse().ok()).unwrap_or(0);
            let new = *rng.pick(&[
                0,
                1,
                old.wrapping_add(1),
                old.saturating_sub(1),
                old.saturating_mul(2),
                1023,
                1024,
                1025,
                2048,
                4096,
                u64::MAX / 2,
                u64::MAX,
            ]);
            out.splice(a..b, new.to_string().into_bytes());
            return out;
        }
    }
    match rng.below(12) {
        // Byte flip.
        0 if !out.is_empty() => {
            let k = rng.below(out.len());
            out[k] ^= 1 << rng.below(8);
        }
        // Deletion of a range.
        1 if !out.is_empty() => {
            let a = rng.below(out.len());
            let b = (a + 1 + rng.below(64)).min(out.len());
            out.drain(a..b);
        }
        // Duplicated line.
        2 => {
            let ls = lines(&out);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                let line = out[a..b].to_vec();
                let (_, c) = *rng.pick(&ls);
                out.splice(c..c, line);
            }
        }
        // A number swapped for an extreme.
        3..=5 => {
            let ns = numbers(&out);
            if !ns.is_empty() {
                let (a, b) = *rng.pick(&ns);
                let extreme = *rng.pick(&EXTREMES);
                let extreme = if kind == Kind::Csv { extreme.trim_matches('"') } else { extreme };
                out.splice(a..b, extreme.bytes());
            }
        }
        // A line spliced in from another corpus file.
        6 => {
            let other = rng.pick(others);
            let ls = lines(other);
            if !ls.is_empty() {
                let (a, b) = *rng.pick(&ls);
                let line = other[a..b].to_vec();
                let mine = lines(&out);
                let c = if mine.is_empty() { 0 } else { rng.pick(&mine).0 };
                out.splice(c..c, line);
            }
        }
        // Deep nesting.
        7 => {
            let depth = 1 + rng.below(20_000);
            let nested = match (kind, rng.below(3)) {
                (Kind::Scenario, 0) => {
                    format!(
                        "\n[[indicator]]\nid = \"deep\"\nkind = \"derived\"\nexpr = \"{}1{}\"\n",
                        "(".repeat(depth),
                        ")".repeat(depth)
                    )
                }
                (Kind::Scenario, 1) => {
                    format!(
                        "\n[[indicator]]\nid = \"flat\"\nkind = \"derived\"\nexpr = \"1{}\"\n",
                        " + 1".repeat(depth)
                    )
                }
                (Kind::Part, _) => "[".repeat(depth) + &"]".repeat(depth),
                _ => format!("\nx = {}1{}\n", "[".repeat(depth), "]".repeat(depth)),
            };
            let c = at(rng, out.len());
            let c = if std::str::from_utf8(&out[..c]).is_ok() { c } else { out.len() };
            out.splice(c..c, nested.into_bytes());
        }
        // A long line.
        8 => {
            let ls = lines(&out);
            let c = if ls.is_empty() { 0 } else { rng.pick(&ls).1 };
            let long = format!(
                "# {}\nnote = \"{}\"\n",
                "x".repeat(1 + rng.below(200_000)),
                "长".repeat(1 + rng.below(10_000))
            );
            out.splice(c..c, long.into_bytes());
        }
        // Control characters inside a value (after a quote).
        9 => {
            let quotes: Vec<usize> = out.iter().enumerate().filter(|(_, b)| **b == b'"').map(|(k, _)| k + 1).collect();
            let c = if quotes.is_empty() { at(rng, out.len()) } else { *rng.pick(&quotes) };
            out.splice(c..c, rng.pick(&CONTROLS).bytes());
        }
        // Invalid UTF-8: a stray byte, or the whole text as GB18030-like bytes.
        10 => {
            if rng.below(2) == 0 {
                let c = at(rng, out.len());
                out.splice(c..c, [*rng.pick(&[0xffu8, 0xfe, 0xc0, 0x80, 0xed])]);
            } else {
                // "辽宁" in GB18030 (0xC1C9 0xC4FE) where a quote opens.
                let c = out.iter().position(|&b| b == b'"').map_or(0, |k| k + 1);
                out.splice(c..c, [0xC1, 0xC9, 0xC4, 0xFE]);
            }
        }
        // Truncation (a file cut short).
        _ => {
            let keep = at(rng, out.len());
            out.truncate(keep);
        }
    }
    out
}

#[derive(Default, Debug)]
struct Tally {
    cases: u64,
    accepted: u64,
    refused: u64,
    failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, class: &str, case: u64, what: String, input: &[u8]) {
        if self.failures.len() < 20 {
            let dir = std::env::temp_dir().join("feasim-fuzz-failures");
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{class}-{case}"));
            let _ = std::fs::write(&file, input);
            self.failures.push(format!("{class} case {case} ({}): {what}", file.display()));
        }
    }
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every diagnostic of `e` points into one of its files, and its rendering shows the place.
fn located(e: &feasim::scenario::LoadError) -> Result<(), String> {
    if e.diagnostics.is_empty() {
        return Err("a refusal with no diagnostic".into());
    }
    let rendered = e.to_string();
    for d in &e.diagnostics {
        if d.file >= e.sources.len() {
            return Err(format!("not located: {}", d.message));
        }
        if d.message.starts_with(feasim::model::build::UNLOCATED_GATE) {
            return Err(format!("the gate refused what the checks did not locate: {}", d.message));
        }
    }
    if rendered.matches("  --> ").count() < e.diagnostics.len() {
        return Err(format!("a diagnostic renders without file:line:column:\n{rendered}"));
    }
    Ok(())
}

/// The rules every accepted scenario keeps.
fn accepted_scenario(model: &Model) -> Result<(), String> {
    model.validate().map_err(|r| format!("accepted a model the gate refuses: {r}"))?;
    // What analyses simulate: the model restricted to one target passes the gate too.
    if !model.targets.is_empty() {
        let last = model.targets.len() - 1;
        model.restricted(&[last]).validate().map_err(|r| format!("a restricted model the gate refuses: {r}"))?;
    }
    let paths = 64;
    let summary = engine::run(model, &RunConfig { paths, seed: 1, ..RunConfig::default() }, &|_| {});
    for t in &summary.targets {
        if t.probability.is_nan() || t.ci_low.is_nan() || t.ci_high.is_nan() {
            return Err(format!("target {}: NaN probability", t.id));
        }
        if t.hits + t.invalid > paths {
            return Err(format!("target {}: {} hits and {} invalid of {paths} paths", t.id, t.hits, t.invalid));
        }
    }
    if summary.all_targets.probability.is_nan() || summary.all_targets.hits > paths {
        return Err("all targets: impossible probability".into());
    }
    Ok(())
}

fn fuzz_scenarios(n: u64, rng: &mut Rng, dir: &Path) -> Tally {
    let corpus: Vec<Vec<u8>> = [
        "scenarios/tutorial.toml",
        "scenarios/liaoning-2022-2024.toml",
        "scenarios/liaoning-2022-2024-pessimistic.toml",
        "tests/data/calib-small.toml",
        "tests/data/ishigami.toml",
    ]
    .iter()
    .map(|p| read(p))
    .collect();
    // The flagship is 110 kB: mutate it in a quarter of the cases, the small files otherwise.
    let weights = [3usize, 1, 1, 3, 2];
    let mut tally = Tally::default();
    for case in 0..n {
        let mut k = rng.below(weights.iter().sum());
        let mut source = 0;
        while k >= weights[source] {
            k -= weights[source];
            source += 1;
        }
        let input = mutate(rng, &corpus[source], &corpus, Kind::Scenario);
        tally.cases += 1;
        // Every fourth case through a file (encodings, `extends`, `check`'s drafts); others in memory.
        let through_file = case % 4 == 0 || std::str::from_utf8(&input).is_err() || source == 2;
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<bool, String> {
            let loaded = if through_file {
                // The pessimistic variant extends the flagship: keep it beside its base.
                let file = dir.join(if source == 2 { "variant.toml" } else { "fuzz.toml" });
                std::fs::write(&file, &input).map_err(|e| e.to_string())?;
                if case % 8 == 0 {
                    feasim::scenario::load_draft(&file, Default::default()).map(|d| d.model)
                } else {
                    feasim::scenario::load(&file)
                }
            } else {
                feasim::scenario::load_str("fuzz.toml", std::str::from_utf8(&input).expect("checked"))
            };
            match loaded {
                Ok(model) => {
                    // A draft may hold stand-ins for placeholders: not for simulating.
                    if !(through_file && case % 8 == 0) {
                        accepted_scenario(&model)?;
                    }
                    Ok(true)
                }
                Err(e) => located(&e).map(|_| false),
            }
        }));
        match outcome {
            Ok(Ok(true)) => tally.accepted += 1,
            Ok(Ok(false)) => tally.refused += 1,
            Ok(Err(what)) => tally.fail("scenario", case, what, &input),
            Err(panic) => tally.fail("scenario", case, format!("panic: {}", panic_text(&panic)), &input),
        }
    }
    tally
}

fn fuzz_csvs(n: u64, rng: &mut Rng, dir: &Path) -> Tally {
    let corpus: Vec<Vec<u8>> =
        ["tests/data/calib-outcomes.csv", "tests/data/liaoning-history-to-2021.csv"].iter().map(|p| read(p)).collect();
    let model = feasim::scenario::load(Path::new("tests/data/calib-small.toml")).expect("calib-small loads");
    let map = std::fs::canonicalize("scenarios/liaoning-history-map.toml").expect("map");
    let scenario = std::fs::canonicalize("scenarios/liaoning-2022-2024.toml").expect("flagship");
    let mut tally = Tally::default();
    for case in 0..n {
        let source = rng.below(corpus.len());
        let input = mutate(rng, &corpus[source], &corpus, Kind::Csv);
        tally.cases += 1;
        let file = dir.join("fuzz.csv");
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<bool, String> {
            std::fs::write(&file, &input).map_err(|e| e.to_string())?;
            if source == 0 {
                // Outcomes for `score`.
                let table = match feasim::calibration::history::read(&file, true) {
                    Ok(t) => t,
                    Err(e) => return located(&e).map(|_| false),
                };
                match feasim::calibration::score::outcomes_from_table(&model, &table) {
                    Ok(_) => Ok(true),
                    Err(e) => located(&e).map(|_| false),
                }
            } else {
                // A history for `fit` (every 8th case: the whole fit; otherwise the reading).
                if case % 8 != 1 {
                    return match feasim::calibration::history::read(&file, false) {
                        Ok(_) => Ok(true),
                        Err(e) => located(&e).map(|_| false),
                    };
                }
                let inputs =
                    feasim::calibration::fit::FitInputs { history: &file, map: &map, scenario: Some(&scenario) };
                match feasim::calibration::fit::fit_files(&inputs) {
                    Ok(report) => {
                        let fragment = report.fragment(None);
                        if fragment.contains("NaN") || fragment.contains("inf") && fragment.contains("= inf") {
                            return Err(format!("a fragment with a non-finite number:\n{fragment}"));
                        }
                        Ok(true)
                    }
                    Err(e) => located(&e).map(|_| false),
                }
            }
        }));
        match outcome {
            Ok(Ok(true)) => tally.accepted += 1,
            Ok(Ok(false)) => tally.refused += 1,
            Ok(Err(what)) => tally.fail("csv", case, what, &input),
            Err(panic) => tally.fail("csv", case, format!("panic: {}", panic_text(&panic)), &input),
        }
    }
    tally
}

/// The plan of the sweep whose parts are in the corpus: `alpha.gdp_real:mean` from 4 to 6.
fn sweep_plan(model: &Model) -> SweepPlan {
    let param = feasim::analysis::params::find(model, "alpha.gdp_real:mean").unwrap();
    SweepPlan::new(model, &[SweepSpec { param, from: 4.0, to: 6.0, steps: 3 }]).unwrap()
}

/// The two part files of a 2-shard sweep of that plan (2 048 paths).
fn sweep_parts(model: &Model) -> Vec<Vec<u8>> {
    let plan = sweep_plan(model);
    (0..2)
        .map(|index| {
            let shard = ShardId::new(index, 2).unwrap();
            let counts = plan.simulate(5, shard.paths(2048), &|_| {});
            let result = PartialSweep::new(&plan, scenario_ref(model), 5, 2048, shard, counts);
            result.to_json().unwrap().into_bytes()
        })
        .collect()
}

fn scenario_ref(model: &Model) -> ScenarioRef {
    ScenarioRef {
        name: model.name.clone(),
        path: PathBuf::from("tests/data/calib-small.toml"),
        absolute_path: None,
        hash: model.hash.clone(),
        repair_correlations: false,
    }
}

/// The two part files of a 2-shard run of `tests/data/calib-small.toml` (2 048 paths).
fn parts(model: &Model) -> Vec<Vec<u8>> {
    let config = RunConfig { paths: 2048, seed: 5, ..RunConfig::default() };
    (0..2)
        .map(|index| {
            let shard = ShardId::new(index, 2).unwrap();
            let streams = engine::path::DesignedStreams::for_run(config.seed, config.sampling, config.paths);
            let accumulator = engine::accumulate_designed(model, streams, shard.paths(config.paths), &|_| {});
            PartialResult::new(model, scenario_ref(model), config, shard, accumulator).to_json().unwrap().into_bytes()
        })
        .collect()
}

/// The part in `text` with its checksum recomputed (as `feasim` computes it: SHA-256 of the
/// JSON with an empty checksum field), when it still has a part's layout.
fn reseal(text: &[u8]) -> Option<Vec<u8>> {
    use sha2::{Digest, Sha256};
    let digest = |bytes: Vec<u8>| Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>();
    if let Ok(mut part) = serde_json::from_slice::<PartialResult>(text) {
        part.checksum = String::new();
        part.checksum = digest(serde_json::to_vec(&part).ok()?);
        return part.to_json().ok().map(String::into_bytes);
    }
    let mut part: PartialSweep = serde_json::from_slice(text).ok()?;
    part.checksum = String::new();
    part.checksum = digest(serde_json::to_vec(&part).ok()?);
    part.to_json().ok().map(String::into_bytes)
}

fn fuzz_parts(n: u64, rng: &mut Rng, dir: &Path) -> Tally {
    let model = feasim::scenario::load(Path::new("tests/data/calib-small.toml")).expect("calib-small loads");
    let plan = sweep_plan(&model);
    // Run parts 0 and 1, sweep parts 2 and 3; a part is merged with its genuine sibling.
    let corpus: Vec<Vec<u8>> = parts(&model).into_iter().chain(sweep_parts(&model)).collect();
    let mut tally = Tally::default();
    let genuine: Vec<PathBuf> = (0..4).map(|k| dir.join(format!("genuine-{k}.json"))).collect();
    for (file, text) in genuine.iter().zip(&corpus) {
        std::fs::write(file, text).unwrap();
    }
    for case in 0..n {
        let which = rng.below(4);
        let sibling = which ^ 1;
        let mut input = mutate(rng, &corpus[which], &corpus, Kind::Part);
        // Half the cases sealed again with a correct checksum, as a careless (or hostile) edit
        // would: the merge must then check the counts themselves.
        if case % 2 == 0
            && let Some(sealed) = reseal(&input)
        {
            input = sealed;
        }
        tally.cases += 1;
        let file = dir.join(format!("mutated-{which}.json"));
        let outcome = catch_unwind(AssertUnwindSafe(|| -> Result<bool, String> {
            std::fs::write(&file, &input).map_err(|e| e.to_string())?;
            if which >= 2 {
                // A partial sweep: through the sweep merger, checked against the plan.
                let mut merger = SweepMerger::new();
                for f in [&file, &genuine[sibling]] {
                    let text = std::fs::read(f).map_err(|e| e.to_string())?;
                    match std::str::from_utf8(&text)
                        .map_err(|_| shard::PartError::NotPartial)
                        .and_then(shard::parse_any)
                    {
                        Ok(AnyPart::Sweep(part)) => merger.add(f.clone(), *part),
                        Ok(AnyPart::Run(_)) => return Ok(false),
                        Err(e) if e.to_string().len() <= 4096 => return Ok(false),
                        Err(e) => return Err(format!("a part refusal of {} bytes", e.to_string().len())),
                    }
                }
                return match merger.finish(&plan) {
                    Ok(counts) => {
                        counts.check_counts().map_err(|e| format!("merged impossible sweep counts: {e}"))?;
                        if counts.paths != 2048 {
                            return Err(format!("merged {} paths of a 2 048-path sweep", counts.paths));
                        }
                        Ok(true)
                    }
                    Err(e) if e.to_string().len() <= 4096 => Ok(false),
                    Err(e) => Err(format!("a merge refusal of {} bytes", e.to_string().len())),
                };
            }
            let mut merger = Merger::new();
            merger.add_file(&file);
            merger.add_file(&genuine[sibling]);
            let named = |e: &dyn std::fmt::Display| {
                let text = e.to_string();
                if text.contains(file.to_string_lossy().as_ref()) || text.contains("mutated-") {
                    Ok(false)
                } else if text.len() > 4096 {
                    Err(format!(
                        "a merge refusal of {} bytes: {}…",
                        text.len(),
                        text.chars().take(300).collect::<String>()
                    ))
                } else {
                    // A refusal about the set (both files agree on something wrong) names no file.
                    Ok(false)
                }
            };
            match merger.finish(&model) {
                Ok(acc) => {
                    acc.check_counts().map_err(|e| format!("merged impossible counts: {e}"))?;
                    if acc.paths != 2048 {
                        return Err(format!("merged {} paths of a 2 048-path run", acc.paths));
                    }
                    let summary = feasim::summary::Summary::from_accumulator(&model, &acc, 5);
                    if summary.targets.iter().any(|t| t.probability.is_nan() || t.probability > 1.0) {
                        return Err("a merged probability outside [0, 1]".into());
                    }
                    Ok(true)
                }
                Err(e) => named(&e),
            }
        }));
        // Also the bare reading of either kind of part.
        let read = catch_unwind(AssertUnwindSafe(|| match std::str::from_utf8(&input) {
            Ok(text) => match shard::parse_any(text) {
                Ok(AnyPart::Run(_) | AnyPart::Sweep(_)) => Ok(()),
                Err(e) if e.to_string().len() <= 4096 => Ok(()),
                Err(e) => {
                    let text = e.to_string();
                    Err(format!(
                        "a part refusal of {} bytes: {}…",
                        text.len(),
                        text.chars().take(300).collect::<String>()
                    ))
                }
            },
            Err(_) => Ok(()),
        }));
        match (outcome, read) {
            (Ok(Ok(accepted)), Ok(Ok(()))) => {
                if accepted {
                    tally.accepted += 1
                } else {
                    tally.refused += 1
                }
            }
            (Ok(Err(what)), _) | (_, Ok(Err(what))) => tally.fail("part", case, what, &input),
            (Err(panic), _) | (_, Err(panic)) => {
                tally.fail("part", case, format!("panic: {}", panic_text(&panic)), &input)
            }
        }
    }
    tally
}

fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// One class of inputs: cases, the generator, a scratch folder.
type Class = fn(u64, &mut Rng, &Path) -> Tally;

#[test]
fn mutated_inputs_never_panic_and_every_refusal_is_located() {
    let total: u64 = std::env::var("FEASIM_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    let seed: u64 = std::env::var("FEASIM_FUZZ_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(20_261_206);
    let dir = std::env::temp_dir().join(format!("feasim-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The pessimistic variant extends its base by a relative path.
    std::fs::copy("scenarios/liaoning-2022-2024.toml", dir.join("liaoning-2022-2024.toml")).unwrap();
    // Panics are caught and counted; keep their messages out of the test output.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started = std::time::Instant::now();
    let mut classes: BTreeMap<&str, (Tally, f64)> = BTreeMap::new();
    let runs: [(&str, u64, Class); 3] = [
        ("scenario files", total * 6 / 10, fuzz_scenarios),
        ("calibration CSVs", total * 3 / 10, fuzz_csvs),
        ("shard part files", total / 10, fuzz_parts),
    ];
    // FEASIM_FUZZ_ONLY=scenario|csv|part runs one class (to reproduce a failure).
    let only = std::env::var("FEASIM_FUZZ_ONLY").unwrap_or_default();
    for (k, (name, n, run)) in runs.into_iter().enumerate() {
        if !name.contains(only.as_str()) {
            continue;
        }
        // One stream per class, so that a class run alone tries the same cases.
        let mut rng = Rng(seed ^ (k as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
        let t0 = std::time::Instant::now();
        let tally = run(n, &mut rng, &dir);
        classes.insert(name, (tally, t0.elapsed().as_secs_f64()));
    }
    std::panic::set_hook(hook);
    let _ = std::fs::remove_dir_all(&dir);
    println!("fuzz: seed {seed}, {:.1} s", started.elapsed().as_secs_f64());
    println!("| class | cases | accepted | refused, located | failures | seconds |");
    for (name, (t, seconds)) in &classes {
        println!("| {name} | {} | {} | {} | {} | {seconds:.1} |", t.cases, t.accepted, t.refused, t.failures.len());
    }
    let failures: Vec<&String> = classes.values().flat_map(|(t, _)| &t.failures).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.iter().map(|f| f.as_str()).collect::<Vec<_>>().join("\n")
    );
    for (name, (t, _)) in &classes {
        assert!(t.cases < 200 || t.accepted > 0 && t.refused > 0, "{name}: both outcomes must occur ({t:?})");
    }
}

// Regressions: each bug the fuzzer found, as a test of its own.

/// A diagnostic on a line longer than 65 535 display columns: the caret's padding was a format
/// width, and widths above `u16::MAX` panic ("Formatting argument out of range").
#[test]
fn a_diagnostic_on_a_very_long_line_renders() {
    let text =
        format!("[scenario]\nname = \"t\"\nbase_year = 2021\nend_year = 2024\nnote = \"{}\" x\n", "长".repeat(40_000));
    let e = feasim::scenario::load_str("long.toml", &text).unwrap_err();
    let rendered = e.to_string();
    assert!(rendered.contains("long.toml:5:"), "{}", &rendered[..200.min(rendered.len())]);
}

/// A correlation of exactly 1 (also the stand-in of a `rho = "TODO"` in a draft) gives the
/// Cholesky factor a zero on its diagonal: valid, and the gate must accept what the loader does.
#[test]
fn a_perfect_correlation_passes_the_gate() {
    let text = std::fs::read_to_string("tests/data/calib-small.toml").unwrap().replace("rho = 0.5", "rho = 1");
    let model = feasim::scenario::load_str("perfect.toml", &text).expect("rho = 1 loads");
    model.validate().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let draft = dir.path().join("draft.toml");
    std::fs::write(&draft, text.replace("rho = 1", "rho = \"TODO\"")).unwrap();
    let d = feasim::scenario::load_draft(&draft, Default::default()).expect("a draft with a placeholder");
    d.model.validate().unwrap();
    assert!(d.to_fill.to_string().contains("value still to fill: correlation.rho"), "{}", d.to_fill);
}

/// A part whose float field holds a long string: the refusal quoted all of it (7 kB here; any
/// size in general). Now at most 300 characters.
#[test]
fn a_damaged_part_is_refused_in_a_short_message() {
    let model = feasim::scenario::load(Path::new("tests/data/calib-small.toml")).unwrap();
    let part = String::from_utf8(parts(&model).remove(0)).unwrap();
    // The first float's 16 hex digits, followed by 7 000 brackets.
    let at = part.find("\"min\":\"").expect("a float field") + 7;
    let damaged = format!("{}{}{}", &part[..at + 14], "[".repeat(7000), &part[at + 14..]);
    let Err(e) = shard::parse_any(&damaged) else { panic!("a damaged part was accepted") };
    let e = e.to_string();
    assert!(e.len() < 600 && e.contains("damaged"), "{} bytes: {}", e.len(), &e[..200.min(e.len())]);
}

/// A partial sweep listing a grid of `usize::MAX` values, sealed with a correct checksum: adding
/// up the grid sizes overflowed (a panic in the test profile, a wrapped count in release).
#[test]
fn a_sweep_part_with_an_impossible_grid_is_refused() {
    let model = feasim::scenario::load(Path::new("tests/data/calib-small.toml")).unwrap();
    let part = String::from_utf8(sweep_parts(&model).remove(0)).unwrap();
    let huge = part.replacen("\"steps\":3", &format!("\"steps\":{}", usize::MAX), 1);
    assert_ne!(huge, part, "the grid size was found");
    let sealed = String::from_utf8(reseal(huge.as_bytes()).expect("still a partial sweep")).unwrap();
    let Err(e) = shard::parse_any(&sealed) else { panic!("an impossible grid was accepted") };
    assert!(e.to_string().contains("more grid values than can be counted"), "{e}");
}

/// A province growth of −1e308 in the history: shrinking a city toward it squared the value,
/// and `fit` wrote a proposal with NaN weights and `n/a` means. Now not shrunk, and said why.
#[test]
fn fit_does_not_shrink_toward_a_series_too_large_to_combine() {
    let text = std::fs::read_to_string("tests/data/liaoning-history-to-2021.csv").unwrap();
    let from = "GDP_real_growth,辽宁省,2020,0.6,";
    assert!(text.contains(from), "the corpus line is there");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.csv");
    std::fs::write(&file, text.replacen(from, "GDP_real_growth,辽宁省,2020,-1e308,", 1)).unwrap();
    let map = std::fs::canonicalize("scenarios/liaoning-history-map.toml").unwrap();
    let scenario = std::fs::canonicalize("scenarios/liaoning-2022-2024.toml").unwrap();
    let inputs = feasim::calibration::fit::FitInputs { history: &file, map: &map, scenario: Some(&scenario) };
    let fragment = feasim::calibration::fit::fit_files(&inputs).unwrap().fragment(None);
    assert!(
        !fragment.contains("NaN"),
        "{}",
        fragment.lines().filter(|l| l.contains("NaN")).collect::<Vec<_>>().join("\n")
    );
    assert!(fragment.contains("too large to combine"), "the reason is given");
}
