//! Sharded runs: one run's paths split into contiguous shards that separate processes or machines
//! simulate on their own, each writing a *partial result* file, and the exact merge of those files
//! into the accumulator a single run would have produced.
//!
//! **Invariant:** partial results are exact. A partial result holds the shard's [`Accumulator`]
//! (integer counts, and sketches whose minima and maxima are stored as bit patterns), shard
//! boundaries are multiples of [`CHUNK`], and accumulators merge associatively, so merging every
//! shard of a run gives the accumulator — and the same bytes in every output file — of the
//! single-process run with the same scenario, seed and number of paths.
//!
//! A merge refuses, rather than silently mixes, parts that do not make up one run: different
//! scenarios (SHA-256 of the scenario files), seeds, numbers of paths, run configurations or shard
//! counts, a shard given twice, a missing shard, files that are not partial results of this
//! format version and feasim version, and parts whose first paths the merging build simulates
//! differently ([`Fingerprint`]: another build may simulate different values).
//!
//! Sweeps shard the same way: `feasim sweep --shard I/N` writes a [`PartialSweep`] (format
//! [`SWEEP_FORMAT`]) holding the shard's paired counts ([`PairedCounts`]: integers only) and the
//! sweep exactly as asked ([`SweptParam`]); a [`SweepMerger`] checks and adds them up, and the
//! sweep's report is built from the merged counts by the same pure function as the single run's
//! ([`SweepPlan::report`]). [`gather`] reads the files given to `feasim merge`, which must all be
//! shards of runs or all of sweeps.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::analysis::sweep::{SweepPlan, SweepSpec};
use crate::engine::{CHUNK, RunConfig};
use crate::model::Model;

/// Most shards a run or sweep can be split into (a Slurm job array is far smaller by default).
pub const MAX_SHARDS: u64 = 100_000;
/// Missing shards named one by one in a message; the rest are counted.
const MISSING_LISTED: usize = 20;
use crate::summary::{Accumulator, PairedAccumulator};

/// The `format` field of every partial result file.
pub const FORMAT: &str = "feasim partial result";

/// Version of the partial-result layout; a merge reads only this version.
pub const FORMAT_VERSION: u32 = 1;

/// The feasim version writing and reading partial results (parts must come from the same one).
pub const FEASIM_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Paths at the start of each shard that the merge simulates again to check that its build
/// computes the same numbers as the shard's ([`Fingerprint`]).
pub const FINGERPRINT_PATHS: u64 = 64;

/// Shard `index` of `count` (0-based): which share of a run's paths to simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ShardId {
    pub index: u64,
    pub count: u64,
}

impl ShardId {
    /// Shard `index` of `count`, checked: `count ≥ 1` and `0 ≤ index < count`.
    pub fn new(index: u64, count: u64) -> Result<Self, String> {
        if count == 0 {
            return Err("the number of shards must be at least 1".into());
        }
        if count > MAX_SHARDS {
            return Err(format!(
                "{count} shards are more than feasim splits a run into (at most {MAX_SHARDS}); each shard \
                 simulates whole chunks of {CHUNK} paths, so more shards than chunks only add empty ones"
            ));
        }
        if index >= count {
            return Err(format!(
                "shard index {index} is out of range: shards are numbered from 0 to {} (I/N with 0 ≤ I < N)",
                count - 1
            ));
        }
        Ok(ShardId { index, count })
    }

    /// The paths this shard simulates out of `total`: the ⌈total / CHUNK⌉ chunks of [`CHUNK`]
    /// paths are dealt out as evenly as possible (shard sizes differ by at most one chunk), so
    /// every boundary but the run's end is a multiple of [`CHUNK`] and work that pairs paths
    /// within a chunk never straddles two shards. More shards than chunks leave some empty.
    pub fn paths(&self, total: u64) -> Range<u64> {
        let chunks = u128::from(total.div_ceil(CHUNK));
        let boundary = |k: u64| -> u64 {
            let chunk = chunks * u128::from(k) / u128::from(self.count);
            // chunk ≤ ⌈total / CHUNK⌉, so chunk · CHUNK < total + CHUNK fits in a u128 and the
            // minimum with `total` fits in a u64.
            (chunk * u128::from(CHUNK)).min(u128::from(total)) as u64
        };
        boundary(self.index)..boundary(self.index + 1)
    }

    /// The file a shard writes: `shard-I-of-N.json`.
    pub fn file_name(&self) -> String {
        format!("shard-{}-of-{}.json", self.index, self.count)
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardId {
    type Err = String;

    /// `I/N`, e.g. `0/4` for the first of four shards.
    fn from_str(text: &str) -> Result<Self, String> {
        let expected =
            || format!("expected I/N with 0 ≤ I < N, e.g. 0/4 for the first of four shards (got \"{text}\")");
        let (index, count) = text.split_once('/').ok_or_else(expected)?;
        let index: u64 = index.trim().parse().map_err(|_| expected())?;
        let count: u64 = count.trim().parse().map_err(|_| expected())?;
        ShardId::new(index, count)
    }
}

/// Which scenario a partial result was simulated from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioRef {
    /// The scenario's `name`.
    pub name: String,
    /// The path as given on the command line of the shard.
    pub path: PathBuf,
    /// The same path made absolute, when that was possible.
    pub absolute_path: Option<PathBuf>,
    /// SHA-256 of the scenario file(s), as in `summary.json`.
    pub hash: String,
    /// Whether the shard ran with `--repair-correlations` (it changes the model, not the hash).
    pub repair_correlations: bool,
}

/// The paths `start..end` a shard simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PathRange {
    pub start: u64,
    pub end: u64,
}

/// SHA-256 of the accumulator of the paths `paths` (the first [`FINGERPRINT_PATHS`] of a shard),
/// simulated on one thread. The scenario hash tells that two processes read the same scenario; the
/// fingerprint tells that they compute the same numbers from it: two builds of one feasim version
/// (or builds for different platforms) could differ, and a merge of their shards would then be no
/// single run's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    pub paths: PathRange,
    pub sha256: String,
}

impl Fingerprint {
    /// The fingerprint of the first paths of `shard_paths` of a run of `model` under `config`
    /// (`None` when there are none).
    pub fn of(model: &Model, config: &RunConfig, shard_paths: Range<u64>) -> Option<Self> {
        let paths = shard_paths.start..shard_paths.end.min(shard_paths.start.saturating_add(FINGERPRINT_PATHS));
        if paths.is_empty() {
            return None;
        }
        let accumulator = crate::engine::accumulate_sequential_designed(model, config.streams(), paths.clone());
        // Integers, booleans and bit patterns always serialise.
        let bytes = serde_json::to_vec(&accumulator).unwrap_or_default();
        Some(Fingerprint { paths: PathRange { start: paths.start, end: paths.end }, sha256: sha256_hex(&bytes) })
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// What one shard writes: enough to check that it belongs with the other shards of its run, and
/// its exact accumulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialResult {
    /// Always [`FORMAT`].
    pub format: String,
    pub format_version: u32,
    pub feasim_version: String,
    pub scenario: ScenarioRef,
    /// The whole run's configuration (`paths` is the run's total, not this shard's).
    pub config: RunConfig,
    pub shard: ShardId,
    pub paths: PathRange,
    /// What the shard's build computed for its first few paths, for the merge to compare with
    /// its own build's (`None` for an empty shard).
    pub fingerprint: Option<Fingerprint>,
    /// SHA-256 of this record written without its checksum: a file changed or cut short after it
    /// was written is refused.
    pub checksum: String,
    pub accumulator: Accumulator,
}

impl PartialResult {
    /// The partial result of `shard` of a run of `model`, whose paths `accumulator` holds.
    pub fn new(
        model: &Model,
        scenario: ScenarioRef,
        config: RunConfig,
        shard: ShardId,
        accumulator: Accumulator,
    ) -> Self {
        let range = shard.paths(config.paths);
        let fingerprint = Fingerprint::of(model, &config, range.clone());
        let mut result = PartialResult {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            feasim_version: FEASIM_VERSION.to_string(),
            scenario,
            config,
            shard,
            paths: PathRange { start: range.start, end: range.end },
            fingerprint,
            checksum: String::new(),
            accumulator,
        };
        result.checksum = checksum_of(&mut result);
        result
    }

    /// The file's text: compact JSON (the accumulator is large), header fields first.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        json_line(self)
    }

    /// Read a partial result from its text, checking its format, versions, checksum and that it is
    /// consistent in itself.
    pub fn from_json(text: &str) -> Result<Self, PartError> {
        match parse_any(text)? {
            AnyPart::Run(result) => Ok(*result),
            AnyPart::Sweep(_) => Err(PartError::NotPartial),
        }
    }

    fn from_value(value: serde_json::Value) -> Result<Self, PartError> {
        verified(value, "partial-result", FORMAT_VERSION)
    }
}

impl PartFile for PartialResult {
    fn checksum_field(&mut self) -> &mut String {
        &mut self.checksum
    }

    fn check_itself(&self) -> Result<(), String> {
        ShardId::new(self.shard.index, self.shard.count).map_err(|e| format!("shard {}: {e}", self.shard))?;
        let expected = self.shard.paths(self.config.paths);
        if (self.paths.start..self.paths.end) != expected {
            return Err(format!(
                "shard {} of {} paths should hold paths {}..{}, not {}..{}",
                self.shard, self.config.paths, expected.start, expected.end, self.paths.start, self.paths.end
            ));
        }
        if self.accumulator.paths != expected.end - expected.start {
            return Err(format!(
                "its accumulator counts {} paths where the shard has {}",
                self.accumulator.paths,
                expected.end - expected.start
            ));
        }
        self.accumulator.check_counts().map_err(|e| format!("its counts are impossible: {e}"))
    }
}

/// The shape of an accumulator: how many counts and sketches each of its fields holds (one per
/// target, one per indicator and year, …), its number of years and its sampling design. Two
/// accumulators of the same model under the same design have the same shape, and only those can
/// be merged. Read from the serialised form, which names every field.
fn shape(accumulator: &Accumulator) -> Vec<String> {
    let value = serde_json::to_value(accumulator).unwrap_or_default();
    let Some(fields) = value.as_object() else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|(name, field)| match field {
            serde_json::Value::Array(items) => Some(format!("{name}: {}", items.len())),
            serde_json::Value::Object(group) => {
                let sizes: Vec<String> = group
                    .iter()
                    .filter_map(|(k, v)| match v {
                        serde_json::Value::Array(items) => Some(format!("{k}: {}", items.len())),
                        _ if k == "size" => Some(format!("{k} = {v}")),
                        _ => None,
                    })
                    .collect();
                Some(format!("{name}: {{{}}}", sizes.join(", ")))
            }
            _ if name == "n_years" || name == "sampling" || name == "groups" => Some(format!("{name} = {field}")),
            _ => None,
        })
        .collect()
}

/// Why one file cannot be used as a partial result.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartError {
    #[error("cannot read it: {0}")]
    Unreadable(String),
    #[error(
        "it is not a feasim partial result (those are the shard-I-of-N.json files written by `feasim run --shard I/N` \
         or `feasim sweep --shard I/N`)"
    )]
    NotPartial,
    /// The layout (`partial-result` or `partial-sweep`), the file's version and the version read.
    #[error("it has {0} format version {1}; this feasim ({FEASIM_VERSION}) reads version {2}")]
    FormatVersion(&'static str, String, u32),
    #[error(
        "it was written by feasim {0}, and this is feasim {FEASIM_VERSION}: run every shard and the merge with the same build"
    )]
    FeasimVersion(String),
    #[error("it is damaged: {0}")]
    Damaged(String),
}

/// A partial result and the file it was read from. In a [`Merger`], the accumulator has been
/// added to the total and emptied.
#[derive(Debug, Clone)]
pub struct Part {
    pub file: PathBuf,
    pub result: PartialResult,
}

/// Read the partial result in `file`.
pub fn read(file: &Path) -> Result<PartialResult, PartError> {
    let text = std::fs::read_to_string(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => PartError::NotPartial,
        _ => PartError::Unreadable(e.to_string()),
    })?;
    PartialResult::from_json(&text)
}

/// The partial-result files in `dir` (`shard-I-of-N.json`), sorted by name.
pub fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("shard-") && name.contains("-of-") && name.ends_with(".json") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// One reason why a set of files cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// No partial results were given.
    NoParts,
    /// A file that cannot be used at all.
    Part { file: PathBuf, error: PartError },
    /// The parts disagree on `what`: each value with the files that have it.
    Differ { what: &'static str, groups: Vec<(String, Vec<PathBuf>)> },
    /// The same shard more than once.
    Duplicate { shard: ShardId, files: Vec<PathBuf> },
    /// Shards (by index) that no file holds.
    Missing { indices: Vec<u64>, count: u64 },
    /// The scenario loaded for the merge is not the one the shards simulated.
    ScenarioChanged { parts_hash: String, loaded_hash: String },
    /// A part whose accumulator does not have the loaded scenario's shape.
    Shape { file: PathBuf },
    /// A part whose first paths this build simulates differently (another build made it).
    OtherBuild { file: PathBuf },
    /// Shards of a run (`feasim run --shard`) and of a sweep (`feasim sweep --shard`) together.
    Mixed { runs: Vec<PathBuf>, sweeps: Vec<PathBuf> },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoParts => write!(f, "no partial results were given"),
            Problem::Part { file, error } => write!(f, "{}: {error}", file.display()),
            Problem::Differ { what, groups } => {
                write!(f, "the parts come from different {what}: ")?;
                for (k, (value, files)) in groups.iter().enumerate() {
                    let sep = if k == 0 { "" } else { "; " };
                    let verb = if files.len() == 1 { "has" } else { "have" };
                    write!(f, "{sep}{} {verb} {value}", list(files))?;
                }
                Ok(())
            }
            Problem::Duplicate { shard, files } => {
                write!(f, "shard {shard} is given {} times: {}", files.len(), list(files))
            }
            Problem::Missing { indices, count } => {
                let mut names: Vec<String> =
                    indices.iter().take(MISSING_LISTED).map(|i| format!("{i}/{count}")).collect();
                if indices.len() > MISSING_LISTED {
                    names.push(format!("and {} more", indices.len() - MISSING_LISTED));
                }
                let (noun, verb) = if indices.len() == 1 { ("shard", "is") } else { ("shards", "are") };
                write!(
                    f,
                    "{noun} {} {verb} missing (expected {count} shards, 0/{count} to {}/{count})",
                    names.join(", "),
                    count - 1
                )
            }
            Problem::ScenarioChanged { parts_hash, loaded_hash } => write!(
                f,
                "the scenario is not the one the shards simulated: its SHA-256 is {loaded_hash}, the parts' is \
                 {parts_hash} (was the file edited since? give the original with --scenario, or run the shards again)"
            ),
            Problem::Shape { file } => {
                write!(f, "{}: its counts do not fit the scenario's targets and indicators", file.display())
            }
            Problem::OtherBuild { file } => write!(
                f,
                "{}: this feasim build computes other numbers than the build that simulated it (its first paths, \
                 simulated again, differ): run every shard and the merge with the same build",
                file.display()
            ),
            Problem::Mixed { runs, sweeps } => write!(
                f,
                "the parts mix shards of a run and of a sweep: {} (`feasim run --shard`) and {} (`feasim sweep \
                 --shard`); merge the shards of each command separately",
                list(runs),
                list(sweeps)
            ),
        }
    }
}

fn list(files: &[PathBuf]) -> String {
    files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Why a set of files cannot be merged: every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeError {
    pub problems: Vec<Problem>,
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "cannot merge: {one}"),
            many => {
                write!(f, "cannot merge, {} problems:", many.len())?;
                for problem in many {
                    write!(f, "\n  - {problem}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for MergeError {}

impl From<Problem> for MergeError {
    fn from(problem: Problem) -> Self {
        MergeError { problems: vec![problem] }
    }
}

/// What every part of a run agrees on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOfParts {
    pub scenario: ScenarioRef,
    pub config: RunConfig,
    pub shards: u64,
}

/// Check that `parts` are all the shards of one run, exactly once each.
pub fn check(parts: &[Part]) -> Result<RunOfParts, MergeError> {
    let Some(first) = parts.first() else {
        return Err(Problem::NoParts.into());
    };
    let run_configuration = |r: &PartialResult| {
        // Everything but the seed and paths (compared above), including fields this code does
        // not name.
        let mut config = serde_json::to_value(r.config).unwrap_or_default();
        if let Some(fields) = config.as_object_mut() {
            fields.remove("seed");
            fields.remove("paths");
        }
        config.to_string()
    };
    let keys: [Key<PartialResult>; 6] = [
        ("scenarios (SHA-256 of the scenario files)", &|r| r.scenario.hash.clone()),
        ("correlation settings (--repair-correlations)", &|r| r.scenario.repair_correlations.to_string()),
        ("seeds", &|r| r.config.seed.to_string()),
        ("total numbers of paths", &|r| r.config.paths.to_string()),
        ("run configurations", &run_configuration),
        ("shard counts", &|r| r.shard.count.to_string()),
    ];
    let files: Vec<(&Path, &PartialResult)> = parts.iter().map(|p| (p.file.as_path(), &p.result)).collect();
    check_shards(&files, &keys, |r| r.shard)?;
    Ok(RunOfParts {
        scenario: first.result.scenario.clone(),
        config: first.result.config,
        shards: first.result.shard.count,
    })
}

/// What the parts must agree on, and how to read it from a part.
type Key<'a, T> = (&'static str, &'a dyn Fn(&T) -> String);

/// Check that `parts` agree on every key (each disagreement is one problem naming the files), then
/// that they hold every shard exactly once.
fn check_shards<T>(parts: &[(&Path, &T)], keys: &[Key<T>], shard: impl Fn(&T) -> ShardId) -> Result<(), MergeError> {
    let Some(&(_, first)) = parts.first() else {
        return Err(Problem::NoParts.into());
    };
    let mut problems = Vec::new();
    for &(what, key) in keys {
        let mut groups: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for &(file, part) in parts {
            groups.entry(key(part)).or_default().push(file.to_path_buf());
        }
        if groups.len() > 1 {
            problems.push(Problem::Differ { what, groups: groups.into_iter().collect() });
        }
    }
    if !problems.is_empty() {
        return Err(MergeError { problems });
    }
    let count = shard(first).count;
    let mut by_index: BTreeMap<u64, Vec<PathBuf>> = BTreeMap::new();
    for &(file, part) in parts {
        by_index.entry(shard(part).index).or_default().push(file.to_path_buf());
    }
    for (&index, files) in &by_index {
        if files.len() > 1 {
            problems.push(Problem::Duplicate { shard: ShardId { index, count }, files: files.clone() });
        }
    }
    let missing: Vec<u64> = (0..count).filter(|i| !by_index.contains_key(i)).collect();
    if !missing.is_empty() {
        problems.push(Problem::Missing { indices: missing, count });
    }
    if !problems.is_empty() {
        return Err(MergeError { problems });
    }
    Ok(())
}

/// Adds up partial results as they come, keeping only their headers, so that merging holds one
/// accumulator in memory however many shards there are; then checks that they were all the shards
/// of one run of a model and gives the run's accumulator (bit-identical to simulating every path
/// in one process).
#[derive(Debug, Default)]
pub struct Merger {
    parts: Vec<Part>,
    problems: Vec<Problem>,
    total: Option<Accumulator>,
    /// The shape of the first part's accumulator.
    shape: Vec<String>,
    /// Parts whose accumulator has another shape than the first's (not added).
    misfits: Vec<PathBuf>,
}

impl Merger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Read the partial result in `file` and add it; a file that cannot be used is remembered as
    /// a problem.
    pub fn add_file(&mut self, file: &Path) {
        match read(file) {
            Ok(result) => self.add(file.to_path_buf(), result),
            Err(error) => self.problems.push(Problem::Part { file: file.to_path_buf(), error }),
        }
    }

    /// Add a partial result read from `file`.
    pub fn add(&mut self, file: PathBuf, mut result: PartialResult) {
        let accumulator = std::mem::take(&mut result.accumulator);
        let shape = shape(&accumulator);
        match &mut self.total {
            None => {
                self.total = Some(accumulator);
                self.shape = shape;
            }
            Some(total) if shape == self.shape => total.merge(&accumulator),
            Some(_) => self.misfits.push(file.clone()),
        }
        self.parts.push(Part { file, result });
    }

    /// The parts added so far (their accumulators emptied).
    pub fn parts(&self) -> &[Part] {
        &self.parts
    }

    /// Check that the files added so far are all the shards of one run, exactly once each; return
    /// what they agree on.
    pub fn check(&self) -> Result<RunOfParts, MergeError> {
        if !self.problems.is_empty() {
            return Err(MergeError { problems: self.problems.clone() });
        }
        let run = check(&self.parts)?;
        if !self.misfits.is_empty() {
            let problems = self.misfits.iter().map(|file| Problem::Shape { file: file.clone() }).collect();
            return Err(MergeError { problems });
        }
        Ok(run)
    }

    /// The accumulator of the whole run of `model`, once [`Merger::check`] passes and the parts
    /// were simulated from `model` (same hash, same shape).
    pub fn finish(self, model: &Model) -> Result<Accumulator, MergeError> {
        let run = self.check()?;
        if run.scenario.hash != model.hash {
            return Err(
                Problem::ScenarioChanged { parts_hash: run.scenario.hash, loaded_hash: model.hash.clone() }.into()
            );
        }
        // Start from the model's own empty accumulator, so that what is derived from the model
        // rather than counted (which region each target is in, …) comes from the model.
        let mut merged = Accumulator::with_sampling(model, run.config.sampling, run.config.streams().group_size());
        let total = match self.total {
            Some(total) if self.shape == shape(&merged) => total,
            _ => {
                let problems = self.parts.into_iter().map(|part| Problem::Shape { file: part.file }).collect();
                return Err(MergeError { problems });
            }
        };
        let problems: Vec<Problem> = self
            .parts
            .iter()
            .filter(|part| {
                let shard_paths = part.result.paths.start..part.result.paths.end;
                Fingerprint::of(model, &run.config, shard_paths) != part.result.fingerprint
            })
            .map(|part| Problem::OtherBuild { file: part.file.clone() })
            .collect();
        if !problems.is_empty() {
            return Err(MergeError { problems });
        }
        merged.merge(&total);
        Ok(merged)
    }
}

/// What the two kinds of part file (runs and sweeps) share: a checksum over their own JSON, and a
/// check that their fields agree with each other.
trait PartFile: Serialize + serde::de::DeserializeOwned {
    fn checksum_field(&mut self) -> &mut String;
    fn check_itself(&self) -> Result<(), String>;
}

/// A part's file text: compact JSON and a newline.
fn json_line<T: Serialize>(part: &T) -> Result<String, serde_json::Error> {
    serde_json::to_string(part).map(|mut text| {
        text.push('\n');
        text
    })
}

/// SHA-256 of the part's JSON with an empty checksum field.
fn checksum_of<T: PartFile>(part: &mut T) -> String {
    let saved = std::mem::take(part.checksum_field());
    // Integers, strings and bit patterns always serialise; a path that is not UTF-8 does not,
    // and `to_json` reports it.
    let bytes = serde_json::to_vec(part).unwrap_or_default();
    *part.checksum_field() = saved;
    sha256_hex(&bytes)
}

/// A message about a file's content, at most 300 characters with control characters escaped: an
/// error may quote whatever a damaged or hostile file holds.
fn clipped(e: &dyn std::fmt::Display) -> String {
    let text = e.to_string();
    let mut out: String = text
        .chars()
        .take(300)
        .flat_map(|c| if c.is_control() { c.escape_debug().collect::<Vec<_>>() } else { vec![c] })
        .collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// A part read from its JSON value, after checking its layout version, checksum and consistency.
fn verified<T: PartFile>(value: serde_json::Value, layout: &'static str, version: u32) -> Result<T, PartError> {
    check_versions(&value, layout, version)?;
    let mut part: T = serde_json::from_value(value)
        .map_err(|e| PartError::Damaged(format!("unexpected content: {}", clipped(&e))))?;
    let written = part.checksum_field().clone();
    if checksum_of(&mut part) != written {
        return Err(PartError::Damaged(
            "its checksum does not match: the file was changed after it was written".into(),
        ));
    }
    part.check_itself().map_err(|e| PartError::Damaged(clipped(&e)))?;
    Ok(part)
}

/// The `format` field of every partial sweep file (`feasim sweep --shard I/N`).
pub const SWEEP_FORMAT: &str = "feasim partial sweep";

/// Version of the partial-sweep layout; a merge reads only this version.
pub const SWEEP_FORMAT_VERSION: u32 = 1;

/// One swept parameter exactly as the sweep was asked for it: its id, its range (`from` and `to`
/// as bit patterns) and its number of grid values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweptParam {
    pub id: String,
    #[serde(with = "crate::summary::exact_f64")]
    pub from: f64,
    #[serde(with = "crate::summary::exact_f64")]
    pub to: f64,
    pub steps: usize,
}

impl SweptParam {
    /// What the sweep of `spec` asked for.
    pub fn of(spec: &SweepSpec) -> Self {
        SweptParam { id: spec.param.id.clone(), from: spec.from, to: spec.to, steps: spec.steps }
    }
}

impl fmt::Display for SweptParam {
    /// `ID=FROM:TO (K steps)`, the floats written so that different bits read differently.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={:?}:{:?} ({} steps)", self.id, self.from, self.to, self.steps)
    }
}

/// A [`PairedAccumulator`] as a file holds it: integer counts only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairedCounts {
    pub paths: u64,
    pub hits: Vec<Vec<u64>>,
    pub gained: Vec<Vec<u64>>,
    pub lost: Vec<Vec<u64>>,
}

impl PairedCounts {
    /// Targets per model (baseline, then variants), when hits, gains and losses agree on them.
    fn shape(&self) -> Option<Vec<usize>> {
        let sizes = |counts: &Vec<Vec<u64>>| counts.iter().map(Vec::len).collect::<Vec<_>>();
        let shape = sizes(&self.hits);
        (shape == sizes(&self.gained) && shape == sizes(&self.lost)).then_some(shape)
    }
}

impl From<PairedAccumulator> for PairedCounts {
    fn from(acc: PairedAccumulator) -> Self {
        PairedCounts { paths: acc.paths, hits: acc.hits, gained: acc.gained, lost: acc.lost }
    }
}

impl From<PairedCounts> for PairedAccumulator {
    fn from(counts: PairedCounts) -> Self {
        PairedAccumulator { paths: counts.paths, hits: counts.hits, gained: counts.gained, lost: counts.lost }
    }
}

impl Fingerprint {
    /// The fingerprint of the first paths of `shard_paths` of a sweep with `seed` under `plan`
    /// (`None` when there are none): the hash of the baseline's accumulator (values, through its
    /// sketches, as [`Fingerprint::of`]) followed by the paired counts of every variant.
    pub fn of_sweep(plan: &SweepPlan, seed: u64, shard_paths: Range<u64>) -> Option<Self> {
        let paths = shard_paths.start..shard_paths.end.min(shard_paths.start.saturating_add(FINGERPRINT_PATHS));
        if paths.is_empty() {
            return None;
        }
        let baseline = crate::engine::accumulate_sequential(&plan.model, seed, paths.clone());
        let paired = PairedCounts::from(plan.simulate(seed, paths.clone(), &|_| {}));
        // Integers, booleans and bit patterns always serialise.
        let mut bytes = serde_json::to_vec(&baseline).unwrap_or_default();
        bytes.extend(serde_json::to_vec(&paired).unwrap_or_default());
        Some(Fingerprint { paths: PathRange { start: paths.start, end: paths.end }, sha256: sha256_hex(&bytes) })
    }
}

/// What one shard of a sweep writes: enough to check that it belongs with the other shards of its
/// sweep, and its exact paired counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialSweep {
    /// Always [`SWEEP_FORMAT`].
    pub format: String,
    pub format_version: u32,
    pub feasim_version: String,
    pub scenario: ScenarioRef,
    pub seed: u64,
    /// The whole sweep's number of paths (not this shard's).
    pub total_paths: u64,
    /// The swept parameters, in command-line order.
    pub sweep: Vec<SweptParam>,
    pub shard: ShardId,
    pub paths: PathRange,
    /// What the shard's build computed for its first few paths (`None` for an empty shard).
    pub fingerprint: Option<Fingerprint>,
    /// SHA-256 of this record written without its checksum.
    pub checksum: String,
    /// Counts of the baseline (model 0) and of the variants, in plan order.
    pub accumulator: PairedCounts,
}

impl PartialSweep {
    /// The partial sweep of `shard` of a sweep of `total_paths` paths with `seed` under `plan`,
    /// whose shard paths `accumulator` holds.
    pub fn new(
        plan: &SweepPlan,
        scenario: ScenarioRef,
        seed: u64,
        total_paths: u64,
        shard: ShardId,
        accumulator: PairedAccumulator,
    ) -> Self {
        let range = shard.paths(total_paths);
        let fingerprint = Fingerprint::of_sweep(plan, seed, range.clone());
        let mut result = PartialSweep {
            format: SWEEP_FORMAT.to_string(),
            format_version: SWEEP_FORMAT_VERSION,
            feasim_version: FEASIM_VERSION.to_string(),
            scenario,
            seed,
            total_paths,
            sweep: plan.specs.iter().map(SweptParam::of).collect(),
            shard,
            paths: PathRange { start: range.start, end: range.end },
            fingerprint,
            checksum: String::new(),
            accumulator: accumulator.into(),
        };
        result.checksum = checksum_of(&mut result);
        result
    }

    /// The file's text: compact JSON, header fields first.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        json_line(self)
    }

    /// Read a partial sweep from its text, checking its format, versions, checksum and that it is
    /// consistent in itself.
    pub fn from_json(text: &str) -> Result<Self, PartError> {
        match parse_any(text)? {
            AnyPart::Sweep(result) => Ok(*result),
            AnyPart::Run(_) => Err(PartError::NotPartial),
        }
    }

    fn from_value(value: serde_json::Value) -> Result<Self, PartError> {
        verified(value, "partial-sweep", SWEEP_FORMAT_VERSION)
    }
}

impl PartFile for PartialSweep {
    fn checksum_field(&mut self) -> &mut String {
        &mut self.checksum
    }

    fn check_itself(&self) -> Result<(), String> {
        ShardId::new(self.shard.index, self.shard.count).map_err(|e| format!("shard {}: {e}", self.shard))?;
        let expected = self.shard.paths(self.total_paths);
        if (self.paths.start..self.paths.end) != expected {
            return Err(format!(
                "shard {} of {} paths should hold paths {}..{}, not {}..{}",
                self.shard, self.total_paths, expected.start, expected.end, self.paths.start, self.paths.end
            ));
        }
        if self.accumulator.paths != expected.end - expected.start {
            return Err(format!(
                "its counts cover {} paths where the shard has {}",
                self.accumulator.paths,
                expected.end - expected.start
            ));
        }
        // Grid sizes come from the file: added without overflow (a huge one is refused below).
        let models = self.sweep.iter().try_fold(1usize, |total, p| total.checked_add(p.steps.max(1)));
        match (self.accumulator.shape(), models) {
            (Some(shape), Some(models)) if shape.len() == models => {}
            (_, None) => return Err("its sweep lists more grid values than can be counted".into()),
            (_, Some(models)) => {
                return Err(format!("its counts do not fit its sweep (the scenario and {} variants)", models - 1));
            }
        }
        PairedAccumulator::from(self.accumulator.clone())
            .check_counts()
            .map_err(|e| format!("its counts are impossible: {e}"))
    }
}

/// A partial result of either command.
#[derive(Debug, Clone)]
pub enum AnyPart {
    Run(Box<PartialResult>),
    Sweep(Box<PartialSweep>),
}

/// Read a partial result of `feasim run --shard` or `feasim sweep --shard` from its text.
pub fn parse_any(text: &str) -> Result<AnyPart, PartError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        // A partial result's text starts with its format; a file that does but does not parse
        // was cut short or edited.
        if text.get(..64).is_some_and(|head| head.contains(FORMAT) || head.contains(SWEEP_FORMAT)) {
            PartError::Damaged(format!("it is not valid JSON ({e}); was it cut short?"))
        } else {
            PartError::NotPartial
        }
    })?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => PartialResult::from_value(value).map(|r| AnyPart::Run(Box::new(r))),
        Some(SWEEP_FORMAT) => PartialSweep::from_value(value).map(|r| AnyPart::Sweep(Box::new(r))),
        _ => Err(PartError::NotPartial),
    }
}

/// The format and feasim versions of a partial result of the layout `layout`.
fn check_versions(value: &serde_json::Value, layout: &'static str, version: u32) -> Result<(), PartError> {
    match value.get("format_version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(version) => {}
        other => {
            return Err(PartError::FormatVersion(
                layout,
                other.map_or_else(|| "none".into(), |v| v.to_string()),
                version,
            ));
        }
    }
    match value.get("feasim_version").and_then(|v| v.as_str()) {
        Some(FEASIM_VERSION) => Ok(()),
        other => Err(PartError::FeasimVersion(clipped(&other.unwrap_or("none")))),
    }
}

/// Read the partial result of either command in `file`.
pub fn read_any(file: &Path) -> Result<AnyPart, PartError> {
    let text = std::fs::read_to_string(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => PartError::NotPartial,
        _ => PartError::Unreadable(e.to_string()),
    })?;
    parse_any(&text)
}

/// A partial sweep and the file it was read from (in a [`SweepMerger`], its counts emptied).
#[derive(Debug, Clone)]
pub struct SweepPart {
    pub file: PathBuf,
    pub result: PartialSweep,
}

/// What every part of a sweep agrees on.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepOfParts {
    pub scenario: ScenarioRef,
    pub seed: u64,
    pub total_paths: u64,
    pub sweep: Vec<SweptParam>,
    pub shards: u64,
}

/// Check that `parts` are all the shards of one sweep, exactly once each.
pub fn check_sweep(parts: &[SweepPart]) -> Result<SweepOfParts, MergeError> {
    let Some(first) = parts.first() else {
        return Err(Problem::NoParts.into());
    };
    let request = |r: &PartialSweep| r.sweep.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
    let keys: [Key<PartialSweep>; 6] = [
        ("scenarios (SHA-256 of the scenario files)", &|r| r.scenario.hash.clone()),
        ("correlation settings (--repair-correlations)", &|r| r.scenario.repair_correlations.to_string()),
        ("seeds", &|r| r.seed.to_string()),
        ("total numbers of paths", &|r| r.total_paths.to_string()),
        ("sweeps (--param ID=FROM:TO, --steps)", &request),
        ("shard counts", &|r| r.shard.count.to_string()),
    ];
    let files: Vec<(&Path, &PartialSweep)> = parts.iter().map(|p| (p.file.as_path(), &p.result)).collect();
    check_shards(&files, &keys, |r| r.shard)?;
    let r = &first.result;
    Ok(SweepOfParts {
        scenario: r.scenario.clone(),
        seed: r.seed,
        total_paths: r.total_paths,
        sweep: r.sweep.clone(),
        shards: r.shard.count,
    })
}

/// Adds up partial sweeps as they come, keeping only their headers; then checks that they were all
/// the shards of one sweep and gives its counts (identical to simulating every path in one
/// process).
#[derive(Debug, Default)]
pub struct SweepMerger {
    parts: Vec<SweepPart>,
    total: Option<PairedCounts>,
    /// Parts whose counts have another shape than the first's (not added).
    misfits: Vec<PathBuf>,
}

impl SweepMerger {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a partial sweep read from `file`.
    pub fn add(&mut self, file: PathBuf, mut result: PartialSweep) {
        let counts = std::mem::take(&mut result.accumulator);
        match &mut self.total {
            None => self.total = Some(counts),
            Some(total) if total.shape() == counts.shape() => {
                let mut merged = PairedAccumulator::from(std::mem::take(total));
                merged.merge(&PairedAccumulator::from(counts));
                *total = merged.into();
            }
            Some(_) => self.misfits.push(file.clone()),
        }
        self.parts.push(SweepPart { file, result });
    }

    /// The parts added so far (their counts emptied).
    pub fn parts(&self) -> &[SweepPart] {
        &self.parts
    }

    /// Check that the files added so far are all the shards of one sweep, exactly once each.
    pub fn check(&self) -> Result<SweepOfParts, MergeError> {
        let sweep = check_sweep(&self.parts)?;
        if !self.misfits.is_empty() {
            let problems = self.misfits.iter().map(|file| Problem::Shape { file: file.clone() }).collect();
            return Err(MergeError { problems });
        }
        Ok(sweep)
    }

    /// The counts of the whole sweep under `plan`, once [`SweepMerger::check`] passes and the
    /// parts were simulated from the plan's scenario (same hash, same shape, same numbers).
    pub fn finish(self, plan: &SweepPlan) -> Result<PairedAccumulator, MergeError> {
        let sweep = self.check()?;
        if sweep.scenario.hash != plan.model.hash {
            return Err(Problem::ScenarioChanged {
                parts_hash: sweep.scenario.hash,
                loaded_hash: plan.model.hash.clone(),
            }
            .into());
        }
        let sizes: Vec<usize> = plan.models().iter().map(|m| m.targets.len()).collect();
        let total = match self.total {
            Some(total) if total.shape().as_ref() == Some(&sizes) => total,
            _ => {
                let problems = self.parts.into_iter().map(|part| Problem::Shape { file: part.file }).collect();
                return Err(MergeError { problems });
            }
        };
        let problems: Vec<Problem> = self
            .parts
            .iter()
            .filter(|part| {
                let shard_paths = part.result.paths.start..part.result.paths.end;
                Fingerprint::of_sweep(plan, sweep.seed, shard_paths) != part.result.fingerprint
            })
            .map(|part| Problem::OtherBuild { file: part.file.clone() })
            .collect();
        if !problems.is_empty() {
            return Err(MergeError { problems });
        }
        let mut merged = PairedAccumulator::new(&sizes);
        merged.merge(&total.into());
        Ok(merged)
    }
}

/// The parts given to `feasim merge`, read and added up: all shards of runs, or all of sweeps.
#[derive(Debug)]
pub enum Gathered {
    Runs(Box<Merger>),
    Sweeps(SweepMerger),
}

/// Read every file, adding each part up as it is read (one set of counts in memory however many
/// shards); refuse files that are not partial results, and a mix of run and sweep shards.
pub fn gather(files: &[PathBuf]) -> Result<Gathered, MergeError> {
    let mut runs = Merger::new();
    let mut sweeps = SweepMerger::new();
    let mut problems = Vec::new();
    for file in files {
        match read_any(file) {
            Ok(AnyPart::Run(result)) => runs.add(file.clone(), *result),
            Ok(AnyPart::Sweep(result)) => sweeps.add(file.clone(), *result),
            Err(error) => problems.push(Problem::Part { file: file.clone(), error }),
        }
    }
    if !runs.parts().is_empty() && !sweeps.parts().is_empty() {
        problems.push(Problem::Mixed {
            runs: runs.parts().iter().map(|p| p.file.clone()).collect(),
            sweeps: sweeps.parts().iter().map(|p| p.file.clone()).collect(),
        });
    }
    if !problems.is_empty() {
        return Err(MergeError { problems });
    }
    Ok(if sweeps.parts().is_empty() { Gathered::Runs(Box::new(runs)) } else { Gathered::Sweeps(sweeps) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{self, Sampling};
    use crate::summary::Summary;

    const SCENARIO: &str = "[scenario]\nname = \"s\"\nbase_year = 2021\nend_year = 2023\n\
            [[indicator]]\nid = \"a\"\nkind = \"level\"\nbase = 100\nsource = \"t\"\ngrowth = { dist = \"normal\", mean = 5, sd = 3 }\n\
            [[indicator]]\nid = \"r\"\nkind = \"rate\"\nbase = 10\nsource = \"t\"\nchange = { dist = \"uniform\", min = -1, max = 1 }\n\
            [[indicator]]\nid = \"q\"\nkind = \"derived\"\nexpr = \"a / r\"\n\
            [[target]]\nid = \"t1\"\nregion = \"x\"\nmetric = \"value\"\nindicator = \"a\"\ncomparator = \">=\"\nthreshold = 110\n\
            [[target]]\nid = \"t2\"\nregion = \"y\"\nmetric = \"cagr\"\nindicator = \"q\"\ncomparator = \">\"\nthreshold = 3\n";

    fn model() -> Model {
        crate::scenario::load_str("s.toml", SCENARIO).expect("valid scenario")
    }

    fn scenario_ref(model: &Model) -> ScenarioRef {
        ScenarioRef {
            name: model.name.clone(),
            path: "s.toml".into(),
            absolute_path: None,
            hash: model.hash.clone(),
            repair_correlations: false,
        }
    }

    fn merge(model: &Model, parts: &[Part]) -> Result<Accumulator, MergeError> {
        let mut merger = Merger::new();
        for part in parts {
            merger.add(part.file.clone(), part.result.clone());
        }
        merger.finish(model)
    }

    fn shard(model: &Model, config: RunConfig, index: u64, count: u64) -> Part {
        let id = ShardId::new(index, count).unwrap();
        let acc = engine::accumulate_designed(model, config.streams(), id.paths(config.paths), &|_| {});
        let result = PartialResult::new(model, scenario_ref(model), config, id, acc);
        // Through the file format, as a merge sees it.
        let result = PartialResult::from_json(&result.to_json().unwrap()).unwrap();
        Part { file: id.file_name().into(), result }
    }

    #[test]
    fn impossible_counts_are_refused_even_with_a_recomputed_checksum() {
        let model = model();
        let config = RunConfig { paths: 3000, seed: 4, sampling: Sampling::Independent };
        let good = shard(&model, config, 0, 2).result;
        let tampered = |edit: &dyn Fn(&mut Accumulator)| {
            let mut result = good.clone();
            edit(&mut result.accumulator);
            result.checksum = checksum_of(&mut result);
            PartialResult::from_json(&result.to_json().unwrap()).map(|_| ()).map_err(|e| e.to_string())
        };
        assert_eq!(tampered(&|_| {}), Ok(()), "an untouched part reads back");
        let paths = good.accumulator.paths;
        type Edit<'a> = &'a dyn Fn(&mut Accumulator);
        let cases: [(&str, Edit); 5] = [
            ("hits above paths", &|a| a.hits[0] = paths + 1),
            ("hits plus invalid above paths", &|a| a.invalid[1] = paths - a.hits[1] + 1),
            ("number hit not adding up", &|a| a.hit_counts[0] += 1),
            ("region above paths", &|a| a.region_all_hit[0] = 50_000 * paths),
            ("all above paths", &|a| a.all_hit = u64::MAX),
        ];
        for (what, edit) in cases {
            let error = tampered(edit).expect_err(what);
            assert!(error.contains("impossible"), "{what}: {error}");
        }
    }

    #[test]
    fn shard_counts_are_bounded_and_missing_shards_listed_briefly() {
        assert!(ShardId::new(0, u64::MAX).unwrap_err().contains("at most 100000"));
        assert!(ShardId::new(5, MAX_SHARDS).is_ok());
        let message = Problem::Missing { indices: (1..MAX_SHARDS).collect(), count: MAX_SHARDS }.to_string();
        assert!(message.len() < 1_000, "{} bytes", message.len());
        assert!(message.contains("and 99979 more"), "{message}");
    }

    #[test]
    fn shard_ids_parse_and_refuse_what_is_not_i_of_n() {
        assert_eq!("0/1".parse(), Ok(ShardId { index: 0, count: 1 }));
        assert_eq!(" 3 / 4 ".parse(), Ok(ShardId { index: 3, count: 4 }));
        for bad in ["4/4", "1/0", "-1/3", "a/b", "1", "1/2/3", "", "/4"] {
            assert!(bad.parse::<ShardId>().is_err(), "{bad}");
        }
        assert!("4/4".parse::<ShardId>().unwrap_err().contains("0 to 3"));
        assert_eq!(ShardId { index: 2, count: 5 }.file_name(), "shard-2-of-5.json");
    }

    #[test]
    fn shards_tile_the_paths_on_chunk_boundaries_as_evenly_as_possible() {
        for total in [1, 1023, 1024, 1025, 5000, 50_000, 1 << 40, u64::MAX] {
            for count in [1, 2, 3, 7, 64, 1000] {
                let mut next = 0;
                let mut sizes = Vec::new();
                for index in 0..count {
                    let range = ShardId::new(index, count).unwrap().paths(total);
                    assert_eq!(range.start, next, "{total} paths, shard {index}/{count}: contiguous");
                    assert!(range.end >= range.start);
                    assert!(range.start % CHUNK == 0, "{total} paths, shard {index}/{count}: starts on a chunk");
                    assert!(range.end % CHUNK == 0 || range.end == total);
                    sizes.push(range.end.div_ceil(CHUNK) - range.start / CHUNK);
                    next = range.end;
                }
                assert_eq!(next, total, "{total} paths in {count} shards: all covered");
                let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
                assert!(hi - lo <= 1, "{total} paths in {count} shards: chunks per shard {sizes:?}");
            }
        }
    }

    #[test]
    fn a_partial_result_survives_its_file_bit_for_bit() {
        let m = model();
        let config = RunConfig { paths: 3000, seed: 5, ..RunConfig::default() };
        let id = ShardId::new(1, 2).unwrap();
        let acc = engine::accumulate(&m, config.seed, id.paths(config.paths), &|_| {});
        let written = PartialResult::new(&m, scenario_ref(&m), config, id, acc);
        assert!(!written.accumulator.shifts.is_empty(), "per-path sketches of the needed growth are covered too");
        let text = written.to_json().unwrap();
        let read = PartialResult::from_json(&text).unwrap();
        assert_same(&read, &written);
        assert_eq!(read.to_json().unwrap(), text);

        // An empty shard: its sketches' minima and maxima are ±infinity.
        let empty = PartialResult::new(
            &m,
            scenario_ref(&m),
            RunConfig { paths: 10, seed: 5, ..RunConfig::default() },
            ShardId::new(0, 2).unwrap(),
            Accumulator::new(&m),
        );
        let text = empty.to_json().unwrap();
        assert!(text.contains("\"7ff0000000000000\"") && text.contains("\"fff0000000000000\""));
        assert_same(&PartialResult::from_json(&text).unwrap(), &empty);
    }

    /// Everything a file holds is the same; the accumulator's counts, sketches (bucket layout,
    /// minima and maxima) and shape too. (What is derived from the model rather than counted is
    /// not in files.)
    fn assert_same(read: &PartialResult, written: &PartialResult) {
        let header = |p: &PartialResult| PartialResult { accumulator: Accumulator::default(), ..p.clone() };
        assert_eq!(header(read), header(written));
        // Counts, sketches (bucket layout, minima and maxima as bit patterns) and shape.
        let json = |a: &Accumulator| serde_json::to_string(a).unwrap();
        assert_eq!(json(&read.accumulator), json(&written.accumulator));
        assert_eq!(read.accumulator.paths, written.accumulator.paths);
    }

    #[test]
    fn merged_shards_give_the_single_run_summary() {
        let m = model();
        for sampling in [Sampling::Independent, Sampling::Antithetic, Sampling::LatinHypercube, Sampling::sobol(5000)] {
            let config = RunConfig { paths: 5000, seed: 11, sampling };
            let single = serde_json::to_string(&engine::run(&m, &config, &|_| {})).unwrap();
            for count in [1, 2, 3, 5, 8] {
                let mut parts: Vec<Part> = (0..count).map(|i| shard(&m, config, i, count)).collect();
                parts.reverse();
                let merged = Summary::from_accumulator(&m, &merge(&m, &parts).unwrap(), config.seed);
                assert_eq!(serde_json::to_string(&merged).unwrap(), single, "{sampling:?}, {count} shards");
            }
        }
    }

    #[test]
    fn damaged_or_foreign_files_are_refused() {
        let m = model();
        let part = shard(&m, RunConfig { paths: 2000, seed: 1, ..RunConfig::default() }, 0, 2);
        let text = part.result.to_json().unwrap();
        let err = |t: &str| PartialResult::from_json(t).unwrap_err();
        assert_eq!(err("not json"), PartError::NotPartial);
        assert_eq!(err("{\"targets\": []}"), PartError::NotPartial);
        assert_eq!(
            err(&text.replace("\"format_version\":1", "\"format_version\":2")),
            PartError::FormatVersion("partial-result", "2".into(), FORMAT_VERSION)
        );
        let other = text.replace(&format!("\"feasim_version\":\"{FEASIM_VERSION}\""), "\"feasim_version\":\"0.0.1\"");
        assert_eq!(err(&other), PartError::FeasimVersion("0.0.1".into()));
        // A count changed by hand, and a file cut short.
        let edited = text.replacen("\"hits\":[", "\"hits\":[1", 1);
        assert!(matches!(err(&edited), PartError::Damaged(m) if m.contains("checksum")));
        assert!(matches!(err(&text[..text.len() / 2]), PartError::Damaged(m) if m.contains("cut short")));
    }

    #[test]
    fn merge_refuses_parts_that_are_not_one_run() {
        let m = model();
        let config = RunConfig { paths: 4000, seed: 3, ..RunConfig::default() };
        let parts: Vec<Part> = (0..3).map(|i| shard(&m, config, i, 3)).collect();
        let problems = |parts: &[Part]| merge(&m, parts).unwrap_err().problems;

        let other_seed = shard(&m, RunConfig { seed: 4, ..config }, 2, 3);
        let p = problems(&[parts[0].clone(), parts[1].clone(), other_seed]);
        assert!(matches!(&p[..], [Problem::Differ { what: "seeds", .. }]), "{p:?}");

        let p = problems(&[parts[0].clone(), parts[2].clone()]);
        assert_eq!(p, vec![Problem::Missing { indices: vec![1], count: 3 }]);

        let p = problems(&[parts[0].clone(), parts[1].clone(), parts[1].clone(), parts[2].clone()]);
        assert!(
            matches!(&p[..], [Problem::Duplicate { shard: ShardId { index: 1, count: 3 }, files }] if files.len() == 2)
        );

        let of_two = shard(&m, config, 1, 2);
        let p = problems(&[parts[0].clone(), of_two]);
        assert!(matches!(&p[..], [Problem::Differ { what: "shard counts", .. }]), "{p:?}");

        // The same scenario file, but a build that computes other numbers from it (simulated by a
        // model whose growth differs under the same hash): every part with paths is refused.
        let mut other_build =
            crate::scenario::load_str("s.toml", &SCENARIO.replace("mean = 5, sd = 3", "mean = 5, sd = 3.001")).unwrap();
        other_build.hash = m.hash.clone();
        let p = merge(&other_build, &parts).unwrap_err().problems;
        let files: Vec<PathBuf> = parts.iter().map(|p| p.file.clone()).collect();
        assert_eq!(p, files.into_iter().map(|file| Problem::OtherBuild { file }).collect::<Vec<_>>());

        let mut repaired = parts.clone();
        repaired[1].result.scenario.repair_correlations = true;
        let p = problems(&repaired);
        assert!(matches!(&p[..], [Problem::Differ { what, .. }] if what.contains("--repair-correlations")), "{p:?}");

        let mut changed = parts.clone();
        changed.iter_mut().for_each(|p| p.result.scenario.hash = "0".repeat(64));
        assert!(matches!(&problems(&changed)[..], [Problem::ScenarioChanged { .. }]));

        assert_eq!(problems(&[]), vec![Problem::NoParts]);
        assert!(merge(&m, &parts).is_ok());

        // A part claiming the scenario but counting another model's targets is not added.
        let other = crate::scenario::load_str("o.toml", &format!("{}\n[[target]]\nid = \"t3\"\nregion = \"x\"\nmetric = \"value\"\nindicator = \"r\"\ncomparator = \">=\"\nthreshold = 10\n", SCENARIO)).unwrap();
        let id = ShardId::new(2, 3).unwrap();
        let foreign = PartialResult::new(
            &other,
            scenario_ref(&m),
            config,
            id,
            engine::accumulate(&other, config.seed, id.paths(config.paths), &|_| {}),
        );
        let misfit = Part { file: "misfit.json".into(), result: foreign };
        let p = problems(&[parts[0].clone(), parts[1].clone(), misfit.clone()]);
        assert_eq!(p, vec![Problem::Shape { file: "misfit.json".into() }]);
        let p = problems(&[misfit, parts[0].clone(), parts[1].clone()]);
        assert_eq!(p.len(), 2, "the first part sets the shape; the model then refuses all: {p:?}");
    }
}
