//! The simulation: many independent paths of a [`Model`], condensed into a [`Summary`].
//!
//! **Invariant:** the engine does no I/O; progress is reported through a callback.
//! **Invariant:** this module is the only place that uses rayon. Paths are simulated in chunks of
//! [`CHUNK`] on rayon's current thread pool (install a pool to choose the number of threads), and
//! every chunk's results go into integer accumulators, so the same seed gives the same bits on
//! any number of threads.

pub mod path;
pub mod rng;

use std::ops::Range;

use rayon::prelude::*;

use crate::model::Model;
use crate::summary::{Accumulator, PairedAccumulator, Summary};
pub use path::{Scratch, SeedStreams, StreamSource};

/// Paths per unit of parallel work (and per progress tick).
pub const CHUNK: u64 = 1024;

/// How many paths to simulate, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunConfig {
    pub paths: u64,
    pub seed: u64,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { paths: 10_000, seed: 0 }
    }
}

impl RunConfig {
    /// The scenario's own defaults.
    pub fn for_model(model: &Model) -> Self {
        RunConfig { paths: model.default_paths, seed: model.default_seed }
    }
}

/// Simulate `config.paths` paths in parallel and summarise them. `progress` receives the number
/// of paths finished since its last call.
pub fn run(model: &Model, config: &RunConfig, progress: &(dyn Fn(u64) + Sync)) -> Summary {
    let acc = accumulate(model, config.seed, 0..config.paths, progress);
    Summary::from_accumulator(model, &acc, config.seed)
}

/// Simulate the paths with indices in `paths`, in parallel, into one accumulator.
pub fn accumulate(model: &Model, seed: u64, paths: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> Accumulator {
    let n_chunks = (paths.end.saturating_sub(paths.start)).div_ceil(CHUNK);
    (0..n_chunks)
        .into_par_iter()
        .fold(
            || (Accumulator::new(model), Scratch::new(model)),
            |(mut acc, mut scratch), chunk| {
                let start = paths.start + chunk * CHUNK;
                let end = (start + CHUNK).min(paths.end);
                simulate_range(model, seed, start..end, &mut acc, &mut scratch);
                progress(end - start);
                (acc, scratch)
            },
        )
        .map(|(acc, _)| acc)
        .reduce(
            || Accumulator::new(model),
            |mut a, b| {
                a.merge(&b);
                a
            },
        )
}

/// Simulate the paths with indices in `paths` on the calling thread (the reference the parallel
/// driver must reproduce bit for bit).
pub fn accumulate_sequential(model: &Model, seed: u64, paths: Range<u64>) -> Accumulator {
    let mut acc = Accumulator::new(model);
    let mut scratch = Scratch::new(model);
    simulate_range(model, seed, paths, &mut acc, &mut scratch);
    acc
}

fn simulate_range(model: &Model, seed: u64, paths: Range<u64>, acc: &mut Accumulator, scratch: &mut Scratch) {
    for p in paths {
        path::simulate(model, seed, p, scratch);
        acc.record(&scratch.values, &scratch.target_values, &scratch.hits, &mut scratch.region_missed);
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
    let n_chunks = (paths.end.saturating_sub(paths.start)).div_ceil(CHUNK);
    (0..n_chunks)
        .into_par_iter()
        .fold(
            || {
                let scratch: Vec<Scratch> = variants.iter().map(|m| Scratch::new(m)).collect();
                (PairedAccumulator::new(&sizes), scratch)
            },
            |(mut acc, mut scratch), chunk| {
                let start = paths.start + chunk * CHUNK;
                let end = (start + CHUNK).min(paths.end);
                for p in start..end {
                    for (v, model) in variants.iter().enumerate() {
                        path::simulate(model, seed, p, &mut scratch[v]);
                    }
                    acc.paths += 1;
                    for v in 0..variants.len() {
                        for (t, &hit) in scratch[v].hits.iter().enumerate() {
                            let base_hit = pairing[v][t].is_some_and(|b| scratch[0].hits[b]);
                            acc.hits[v][t] += u64::from(hit);
                            acc.gained[v][t] += u64::from(hit && !base_hit);
                            acc.lost[v][t] += u64::from(!hit && base_hit);
                        }
                    }
                }
                progress(end - start);
                (acc, scratch)
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
