//! The simulation: many independent paths of a [`Model`], condensed into a [`Summary`].
//!
//! **Invariant:** the engine does no I/O; progress is reported through a callback.
//! **Invariant:** this module is the only place that uses rayon. Paths are simulated in chunks of
//! [`CHUNK`] on rayon's current thread pool (install a pool to choose the number of threads), and
//! every chunk's results go into integer accumulators, so the same seed gives the same bits on
//! any number of threads.

pub mod block;
pub mod exp;
pub mod normals;
pub mod path;
pub mod rng;
pub mod rqmc;
pub mod simd;
mod ziggurat_tables;

use std::ops::Range;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::model::Model;
use crate::summary::{Accumulator, PairedAccumulator, Summary};
pub use block::Block;
pub use path::{DesignedStreams, Sampling, Scratch, SeedStreams, StreamSource};

/// Paths per unit of parallel work (and per progress tick).
pub const CHUNK: u64 = 1024;

/// Most paths one run accepts (10^12: about four days on two cores for the reference scenario;
/// split larger runs into shards and runs with different seeds).
pub const MAX_PATHS: u64 = 1_000_000_000_000;

/// How many paths to simulate, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunConfig {
    pub paths: u64,
    pub seed: u64,
    /// Variance reduction (default: none).
    pub sampling: Sampling,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { paths: 10_000, seed: 0, sampling: Sampling::Independent }
    }
}

impl RunConfig {
    /// The streams of this run: its seed and design, with the Latin hypercube block size its
    /// total number of paths fixes ([`Sampling::group_size`]). Every part of a sharded run uses
    /// the whole run's streams.
    pub fn streams(&self) -> DesignedStreams {
        DesignedStreams::for_run(self.seed, self.sampling, self.paths)
    }

    /// The scenario's own defaults.
    pub fn for_model(model: &Model) -> Self {
        RunConfig { paths: model.default_paths, seed: model.default_seed, sampling: Sampling::Independent }
    }
}

/// Simulate `config.paths` paths in parallel and summarise them. `progress` receives the number
/// of paths finished since its last call.
pub fn run(model: &Model, config: &RunConfig, progress: &(dyn Fn(u64) + Sync)) -> Summary {
    let acc = accumulate_designed(model, config.streams(), 0..config.paths, progress);
    Summary::from_accumulator(model, &acc, config.seed)
}

/// Simulate the paths with indices in `paths`, in parallel, into one accumulator.
pub fn accumulate(model: &Model, seed: u64, paths: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> Accumulator {
    accumulate_designed(model, DesignedStreams::for_run(seed, Sampling::Independent, paths.end), paths, progress)
}

/// [`accumulate`] under a sampling design (`streams`: [`RunConfig::streams`] of the whole run).
/// For results that do not depend on how a run is split, every range must start at a multiple
/// of the design's group size (any multiple of [`CHUNK`] will do for every design).
pub fn accumulate_designed(
    model: &Model,
    streams: DesignedStreams,
    paths: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Accumulator {
    let (sampling, group_size) = (streams.sampling, streams.group_size());
    let start = paths.start;
    let n_chunks = (paths.end.saturating_sub(start)).div_ceil(CHUNK);
    // One accumulator per worker (a large scenario's accumulator holds tens of MB of sketches),
    // each taking the next chunk from a shared counter until none is left: memory is fixed by the
    // number of threads, the load balances itself, and since accumulators merge exactly, which
    // worker simulated which chunk cannot change the result.
    let workers = (rayon::current_num_threads() as u64).clamp(1, n_chunks.max(1)) as usize;
    let next = AtomicU64::new(0);
    let parts: Vec<Accumulator> = (0..workers)
        .into_par_iter()
        .map(|_| {
            let mut acc = Accumulator::with_sampling(model, sampling, group_size);
            let mut block = Block::new(model);
            loop {
                let chunk = next.fetch_add(1, Ordering::Relaxed);
                if chunk >= n_chunks {
                    break;
                }
                let from = start + chunk * CHUNK;
                let to = (from + CHUNK).min(paths.end);
                simulate_range(model, &streams, from..to, &mut acc, &mut block);
                progress(to - from);
            }
            acc
        })
        .collect();
    let mut parts = parts.into_iter();
    let mut total = parts.next().unwrap_or_else(|| Accumulator::with_sampling(model, sampling, group_size));
    for part in parts {
        total.merge(&part);
    }
    total
}

/// Simulate the paths with indices in `paths` on the calling thread (the reference the parallel
/// driver must reproduce bit for bit).
pub fn accumulate_sequential(model: &Model, seed: u64, paths: Range<u64>) -> Accumulator {
    accumulate_sequential_designed(model, DesignedStreams::for_run(seed, Sampling::Independent, paths.end), paths)
}

/// [`accumulate_sequential`] under a sampling design.
pub fn accumulate_sequential_designed(model: &Model, streams: DesignedStreams, paths: Range<u64>) -> Accumulator {
    let mut acc = Accumulator::with_sampling(model, streams.sampling, streams.group_size());
    let mut block = Block::new(model);
    simulate_range(model, &streams, paths, &mut acc, &mut block);
    acc
}

/// Simulate `paths` block by block into `acc` (the fast path; see [`block`]).
fn simulate_range(
    model: &Model,
    streams: &DesignedStreams,
    paths: Range<u64>,
    acc: &mut Accumulator,
    block: &mut Block,
) {
    let mut first = paths.start;
    while first < paths.end {
        let len = (paths.end - first).min(block::LANES as u64) as usize;
        block.simulate(model, streams, first, len);
        let b = &*block;
        acc.record_block(first, len, |i, y| b.column(i, y), |t| b.target_column(t));
        first += len as u64;
    }
    if let Some(groups) = &mut acc.groups {
        groups.close();
    }
}

/// [`accumulate_sequential_designed`] one path at a time with [`path::simulate_with`] and
/// [`Accumulator::record_path`]: the readable reference that the block engine must reproduce
/// bit for bit (tested in `tests/determinism.rs`).
pub fn accumulate_per_path(model: &Model, streams: DesignedStreams, paths: Range<u64>) -> Accumulator {
    let mut acc = Accumulator::with_sampling(model, streams.sampling, streams.group_size());
    let mut scratch = Scratch::new(model);
    for p in paths {
        path::simulate_with(model, &streams, p, &mut scratch);
        acc.record_path(p, &scratch.values, &scratch.target_values, &scratch.hits, &mut scratch.region_missed);
    }
    if let Some(groups) = &mut acc.groups {
        groups.close();
    }
    acc
}

/// What `--precision` did: the paths it settled on and the widest interval it left.
#[derive(Debug, Clone, PartialEq)]
pub struct PrecisionOutcome {
    pub paths: u64,
    /// Largest 95% interval half-width over the targets (max of the two sides).
    pub half_width: f64,
    /// The target with that half-width.
    pub widest: Option<String>,
    pub batches: usize,
    /// False when `max_paths` was reached first.
    pub reached: bool,
}

/// Paths of the first batch of a `--precision` run.
pub const FIRST_BATCH: u64 = 16 * CHUNK;

/// Simulate in deterministic batches until every target's 95% interval half-width is at most
/// `half_width` (or `max_paths` is reached). Batches start at multiples of [`CHUNK`] and merge
/// exactly, so the summary is bit-identical to a fixed-N [`run`] with the paths used. The next
/// total is predicted from the widest interval (half-widths shrink like 1/√N), at most ×4 per
/// batch, rounded up to whole chunks. The design is the one of a run of `max_paths` paths and
/// the first batch holds at least [`path::MIN_GROUPS`] of its groups, so a Latin hypercube
/// run uses the blocks a fixed run of any total it can stop at would use.
pub fn run_to_precision(
    model: &Model,
    seed: u64,
    sampling: Sampling,
    half_width: f64,
    max_paths: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> (Summary, PrecisionOutcome) {
    let streams = DesignedStreams::for_run(seed, sampling, max_paths);
    let first = FIRST_BATCH.max(path::MIN_GROUPS * streams.group_size());
    let mut total = first.min(max_paths).max(1);
    let mut acc = accumulate_designed(model, streams, 0..total, progress);
    let mut batches = 1;
    loop {
        let summary = Summary::from_accumulator(model, &acc, seed);
        let (widest, worst) = summary
            .targets
            .iter()
            .map(|t| (Some(t.id.clone()), (t.probability - t.ci_low).max(t.ci_high - t.probability)))
            .fold((None, 0.0_f64), |a, b| if b.1 > a.1 { b } else { a });
        let reached = worst <= half_width;
        if reached || total >= max_paths {
            let outcome = PrecisionOutcome { paths: total, half_width: worst, widest, batches, reached };
            return (summary, outcome);
        }
        let predicted = (total as f64 * (worst / half_width).powi(2)).ceil().min(4.0 * total as f64) as u64;
        let next = predicted.div_ceil(CHUNK).saturating_mul(CHUNK).max(total + CHUNK).min(max_paths);
        let more = accumulate_designed(model, streams, total..next, progress);
        acc.merge(&more);
        total = next;
        batches += 1;
    }
}

/// Simulate the paths in `paths` under every model in `variants` with the same random numbers
/// (common random numbers: streams are keyed by seed, path and indicator id), counting each
/// variant's hits and the paths it gains or loses against `variants[0]`, target by target
/// (targets are paired by id; a target the baseline lacks counts as a baseline miss).
pub fn accumulate_paired(
    variants: &[&Model],
    seed: u64,
    paths: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
) -> PairedAccumulator {
    let sizes: Vec<usize> = variants.iter().map(|m| m.targets.len()).collect();
    let Some(baseline) = variants.first() else {
        return PairedAccumulator::new(&sizes);
    };
    let pairing: Vec<Vec<Option<usize>>> = variants
        .iter()
        .map(|m| m.targets.iter().map(|t| baseline.targets.iter().position(|b| b.id == t.id)).collect())
        .collect();
    // Variants of the baseline that draw its normals recompute only what they change.
    let reuse: Vec<Option<block::Reuse>> =
        variants.iter().enumerate().map(|(v, m)| (v > 0).then(|| block::Reuse::new(baseline, m)).flatten()).collect();
    let n_chunks = (paths.end.saturating_sub(paths.start)).div_ceil(CHUNK);
    (0..n_chunks)
        .into_par_iter()
        .fold(
            || {
                let blocks: Vec<Block> = variants.iter().map(|m| Block::new(m)).collect();
                (PairedAccumulator::new(&sizes), blocks)
            },
            |(mut acc, mut blocks), chunk| {
                let start = paths.start + chunk * CHUNK;
                let end = (start + CHUNK).min(paths.end);
                let streams = SeedStreams(seed);
                let mut first = start;
                while first < end {
                    let len = (end - first).min(block::LANES as u64) as usize;
                    let (base, others) = blocks.split_first_mut().expect("a baseline");
                    base.simulate(baseline, &streams, first, len);
                    for ((block, model), reuse) in others.iter_mut().zip(&variants[1..]).zip(&reuse[1..]) {
                        match reuse {
                            Some(reuse) => block.simulate_reusing(model, base, reuse),
                            None => block.simulate(model, &streams, first, len),
                        }
                    }
                    acc.paths += len as u64;
                    for v in 0..variants.len() {
                        for (t, base) in pairing[v].iter().enumerate() {
                            let (_, hits) = blocks[v].target_column(t);
                            let base_hits = base.map(|b| blocks[0].target_column(b).1);
                            for (lane, &hit) in hits.iter().enumerate() {
                                let base_hit = base_hits.is_some_and(|h| h[lane]);
                                acc.hits[v][t] += u64::from(hit);
                                acc.gained[v][t] += u64::from(hit && !base_hit);
                                acc.lost[v][t] += u64::from(!hit && base_hit);
                            }
                        }
                    }
                    first += len as u64;
                }
                progress(end - start);
                (acc, blocks)
            },
        )
        .map(|(acc, _)| acc)
        .reduce(
            || PairedAccumulator::new(&sizes),
            |mut a, b| {
                a.merge(&b);
                a
            },
        )
}
