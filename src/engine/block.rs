//! The engine's fast path: [`LANES`] consecutive paths at a time, in structure-of-arrays form.
//!
//! [`path::simulate_with`](super::path::simulate_with) follows one path through every indicator
//! and year; here every step runs over a block of paths before the next step starts, so that
//! what does not depend on the path (the indicator's kind, its marginal, the row of the Cholesky
//! factor, the expression of a derived indicator) is looked up once per block, and the arithmetic
//! runs over contiguous columns that the compiler vectorises: the correlation product, the
//! normal marginals, `exp` ([`super::exp`]), the expressions, the sketch buckets.
//!
//! **Invariant:** a block gives every path exactly the floating-point operations, in exactly the
//! order, that `path::simulate_with` gives it, so both produce the same bits (tested over the
//! shipped scenarios and every sampling design in `tests/determinism.rs`, `blocks_reproduce_the_per_path_reference_bit_for_bit`); `simulate_with` stays the
//! readable reference.

use super::normals::LaneStreams;
use super::path::{PER_CENT, Sampling, StreamSource, stratified, target_value_with};
use super::rqmc::{Dimensions, SobolPoint};
use super::simd::{self, Level};
use super::{exp, rng};
use crate::model::distribution::{FastMarginal, standard_normal_quantile_column};
use crate::model::{Base, Comparator, Compounding, Condition, Indicator, Marginal, Metric, Model, Process};

/// Paths per block. A multiple of 8 (the widest vector of `f64`), and a divisor of
/// [`CHUNK`](super::CHUNK) so that blocks never straddle chunks.
pub const LANES: usize = 64;

/// One block's state, reused from block to block by a worker.
/// Eight lanes' worth of `f64`, aligned to a cache line.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, align(64))]
struct Line([f64; 8]);

/// A buffer of block columns (a multiple of [`LANES`] values) that starts on a cache line, so
/// that every 64-lane column does too, and no 64-byte vector load or store is split across two
/// lines (glibc aligns a `Vec<f64>` to 16 bytes only; aligning the lane states of `LaneStreams`
/// the same way removed a load that held 5.5% of the reference scenario's time).
#[derive(Debug, Clone, Default)]
pub struct Columns(Vec<Line>);

impl Columns {
    fn zeros(len: usize) -> Self {
        assert_eq!(len % 8, 0, "whole lines of 8 values");
        Columns(vec![Line::default(); len / 8])
    }
}

impl std::ops::Deref for Columns {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        // SAFETY: `Line` is `repr(C)` around `[f64; 8]` with no padding (64 bytes, alignment 64),
        // so the vector's lines are `8 · len` consecutive, initialised `f64`s.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().cast::<f64>(), self.0.len() * 8) }
    }
}

impl std::ops::DerefMut for Columns {
    fn deref_mut(&mut self) -> &mut [f64] {
        // SAFETY: as in `deref`, and the borrow of `self` is unique.
        unsafe { std::slice::from_raw_parts_mut(self.0.as_mut_ptr().cast::<f64>(), self.0.len() * 8) }
    }
}

#[derive(Debug, Clone)]
pub struct Block {
    /// Index of the block's first path.
    pub first: u64,
    /// Paths in the block (`LANES`, or fewer at the end of a range).
    pub len: usize,
    n_years: usize,
    /// `values[(indicator * n_years + year) * LANES + lane]`.
    pub values: Columns,
    /// `target_values[target * LANES + lane]`.
    pub target_values: Columns,
    /// `hits[target * LANES + lane]`.
    pub hits: Vec<bool>,
    /// For a target on an indicator's value in a year: where that column starts in `values`
    /// (its tested quantities are read there, not copied).
    target_source: Vec<Option<usize>>,
    /// `shocks[(k * n_proj + t − 1) * LANES + lane]` for stochastic indicator k, year t.
    shocks: Columns,
    /// `correlated[((t − 1) * n_stochastic + k) * LANES + lane]`: the correlated normal of
    /// stochastic indicator k in year t (kept for every year, so that a variant can reuse them).
    correlated: Columns,
    /// `base_normals[i * LANES + lane]`: the standard normal behind an uncertain base value.
    base_normals: Columns,
    /// `persistent[k * LANES + lane]`: the AR(1) state of stochastic indicator k.
    persistent: Columns,
    drawn: Columns,
    lanes: LaneStreams,
    /// Prepared marginals: slot `i` for indicator i's base, `n_indicators + k * n_proj + t − 1`
    /// for stochastic indicator k's shock in year t (see [`prepared`]).
    prepared: Vec<Option<FastMarginal>>,
    rows: Option<RowFactor>,
    stack: Vec<f64>,
    args: Vec<f64>,
    series: Vec<f64>,
    versus: Vec<f64>,
    /// Sobol' dimensions of the draws (`--sampling sobol`).
    dimensions: Dimensions,
}

impl Block {
    pub fn new(model: &Model) -> Self {
        let n_years = model.n_years();
        let n_proj = n_years - 1;
        let n_stochastic = model.stochastic.len();
        Block {
            first: 0,
            len: 0,
            n_years,
            values: Columns::zeros(model.indicators.len() * n_years * LANES),
            target_values: Columns::zeros(model.targets.len() * LANES),
            hits: vec![false; model.targets.len() * LANES],
            target_source: model
                .targets
                .iter()
                .map(|t| match t.metric {
                    Metric::Value { indicator, year } if t.versus.is_none() => {
                        Some((indicator * n_years + year) * LANES)
                    }
                    _ => None,
                })
                .collect(),
            shocks: Columns::zeros(n_stochastic * n_proj * LANES),
            correlated: Columns::zeros(n_stochastic * n_proj * LANES),
            base_normals: Columns::zeros(model.indicators.len() * LANES),
            persistent: Columns::zeros(n_stochastic * LANES),
            drawn: Columns::zeros(LANES),
            lanes: LaneStreams::default(),
            prepared: vec![None; model.indicators.len() + n_stochastic * n_proj],
            rows: model.cholesky.as_deref().map(|l| RowFactor::new(l, n_stochastic)),
            stack: Vec::new(),
            args: Vec::new(),
            series: Vec::with_capacity(n_years),
            versus: Vec::with_capacity(n_years),
            dimensions: Dimensions::new(model),
        }
    }

    /// Indicator `i`'s values in year `y` on the block's paths.
    #[inline]
    pub fn column(&self, i: usize, y: usize) -> &[f64] {
        let at = (i * self.n_years + y) * LANES;
        &self.values[at..at + self.len]
    }

    /// Target `t`'s tested quantity on the block's paths.
    #[inline]
    pub fn target_column(&self, t: usize) -> (&[f64], &[bool]) {
        let values = match self.target_source[t] {
            Some(at) => &self.values[at..at + self.len],
            None => &self.target_values[t * LANES..t * LANES + self.len],
        };
        (values, &self.hits[t * LANES..t * LANES + self.len])
    }

    /// Simulate paths `first..first + len` (`len ≤ LANES`), with the widest vectors
    /// [`simd::level`] allows (every level gives the same bits).
    pub fn simulate<S: StreamSource>(&mut self, model: &Model, streams: &S, first: u64, len: usize) {
        assert!(len <= LANES, "a block holds at most {LANES} paths");
        match simd::level() {
            // SAFETY: the level is at most what the CPU was detected to support.
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => unsafe { self.simulate_avx512(model, streams, first, len) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => unsafe { self.simulate_avx2(model, streams, first, len) },
            _ => self.simulate_portable(model, streams, first, len),
        }
    }

    fn simulate_portable<S: StreamSource>(&mut self, model: &Model, streams: &S, first: u64, len: usize) {
        self.simulate_body(model, streams, first, len);
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn simulate_avx2<S: StreamSource>(&mut self, model: &Model, streams: &S, first: u64, len: usize) {
        self.simulate_body(model, streams, first, len);
    }

    /// # Safety
    /// The CPU must support AVX-512 F, DQ, VL and BW.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
    unsafe fn simulate_avx512<S: StreamSource>(&mut self, model: &Model, streams: &S, first: u64, len: usize) {
        self.simulate_body(model, streams, first, len);
    }

    #[inline(always)]
    fn simulate_body<S: StreamSource>(&mut self, model: &Model, streams: &S, first: u64, len: usize) {
        self.first = first;
        self.len = len;
        let n_years = self.n_years;
        let n_proj = n_years - 1;
        let sampling = streams.sampling();
        let sign = |lane: usize| {
            if sampling == Sampling::Antithetic && (first + lane as u64) & 1 == 1 { -1.0 } else { 1.0 }
        };

        // Base year.
        // (seed, path) of each lane's last base stream and its path key: ordinary runs give every
        // indicator of a path the same source, so the key is mixed once per lane and block.
        let mut base_keys: [Option<((u64, u64), u64)>; LANES] = [None; LANES];
        // Under `--sampling sobol`: each lane's point, made again only when its source changes
        // (in the `sobol` analysis's hybrids, between A's and B's indicators).
        let mut sobol_sources: [Option<(u64, u64)>; LANES] = [None; LANES];
        let mut sobol_points = [SobolPoint::default(); LANES];
        for (i, indicator) in model.indicators.iter().enumerate() {
            let column = &mut self.values[i * n_years * LANES..][..LANES];
            match &indicator.base {
                Base::Known { value, .. } => column.fill(*value),
                Base::Derived => column.fill(0.0),
                Base::Uncertain { marginal, .. } => {
                    let normals = &mut self.base_normals[i * LANES..][..len];
                    match sampling {
                        Sampling::Independent | Sampling::Antithetic => {
                            // The lanes' base streams side by side (`LaneStreams`): the numbers
                            // `rng::base_stream(..).sample(StandardNormal)` gives, drawn faster.
                            let mut seeds = [0u64; LANES];
                            for (lane, cached) in base_keys[..len].iter_mut().enumerate() {
                                let key = cached_path_key(cached, streams.base(i, first + lane as u64));
                                seeds[lane] = rng::base_stream_seed(key, indicator.stream_key);
                            }
                            self.lanes.seed(&seeds);
                            let mut drawn = [0.0_f64; LANES];
                            self.lanes.next_normals(len, &mut drawn);
                            if sampling == Sampling::Antithetic {
                                for (lane, (slot, &z)) in normals.iter_mut().zip(&drawn).enumerate() {
                                    *slot = sign(lane) * z;
                                }
                            } else {
                                normals.copy_from_slice(&drawn[..len]);
                            }
                        }
                        Sampling::LatinHypercube => {
                            // `stratified_uniform` for the lanes side by side (as for the shocks).
                            let bits = streams.latin_bits();
                            let dimension = rng::base_dimension(indicator.stream_key);
                            let (mut seeds, mut keys, mut positions) = ([0u64; LANES], [0u64; LANES], [0u64; LANES]);
                            for (lane, cached) in base_keys[..len].iter_mut().enumerate() {
                                let path = first + lane as u64;
                                let source = streams.base(i, path);
                                seeds[lane] =
                                    rng::base_stream_seed(cached_path_key(cached, source), indicator.stream_key);
                                keys[lane] = rng::stream_seed(source.0, path >> bits, dimension);
                                positions[lane] = path & ((1 << bits) - 1);
                            }
                            self.lanes.seed(&seeds);
                            let (mut words, mut strata) = ([0u64; LANES], [0u64; LANES]);
                            self.lanes.next_u64s(&mut words);
                            rng::permute_bits_column(&keys[..len], &positions[..len], bits, &mut strata[..len]);
                            let mut uniforms = [0.0_f64; LANES];
                            for ((u, &stratum), &word) in uniforms[..len].iter_mut().zip(&strata).zip(&words) {
                                *u = stratified(stratum, word, bits);
                            }
                            standard_normal_quantile_column(&uniforms[..len], normals);
                        }
                        Sampling::Sobol { replicate_bits, shared_bits } => {
                            refresh_points(
                                &mut sobol_sources[..len],
                                &mut sobol_points,
                                (replicate_bits, shared_bits),
                                |lane| streams.base(i, first + lane as u64),
                            );
                            let mut uniforms = [0.0_f64; LANES];
                            let dimension = self.dimensions.base(i) + streams.sobol_offset(i, true);
                            SobolPoint::uniform_column(&sobol_points[..len], dimension, &mut uniforms[..len]);
                            standard_normal_quantile_column(&uniforms[..len], normals);
                        }
                    }
                    let fast = prepared(&mut self.prepared, i, marginal);
                    base_from_normals(indicator, fast, normals, &mut column[..len]);
                }
            }
        }
        self.evaluate_derived(model, 0, None);

        // Independent normals, each indicator from its own stream, year by year.
        let mut keyed: [Option<((u64, u64), u64)>; LANES] = [None; LANES];
        let mut seeds = [0u64; LANES];
        // When every indicator's stream on a path has the same source (ordinary runs), the
        // path keys are computed once for the block and each indicator's seeds in one sweep.
        let mut path_keys = [0u64; LANES];
        let uniform = (0..len).all(|lane| match streams.shock_source(first + lane as u64) {
            Some((seed, path)) => {
                path_keys[lane] = rng::path_key(seed, path);
                true
            }
            None => false,
        });
        for (k, &i) in model.stochastic.iter().enumerate() {
            let stream_key = model.indicators[i].stream_key;
            if uniform {
                for (seed, &key) in seeds.iter_mut().zip(&path_keys) {
                    *seed = rng::shock_stream_seed(key, stream_key);
                }
            }
            for (lane, cached) in keyed[..len].iter_mut().enumerate().filter(|_| !uniform) {
                let key = cached_path_key(cached, streams.shock(i, first + lane as u64));
                seeds[lane] = rng::shock_stream_seed(key, stream_key);
            }
            let row = &mut self.shocks[k * n_proj * LANES..(k + 1) * n_proj * LANES];
            match sampling {
                Sampling::Independent | Sampling::Antithetic => {
                    // The block's streams side by side: the same numbers, drawn faster.
                    self.lanes.seed(&seeds);
                    for t in 0..n_proj {
                        let column: &mut [f64; LANES] =
                            (&mut row[t * LANES..(t + 1) * LANES]).try_into().expect("a block column");
                        self.lanes.next_normals(len, column);
                        if sampling == Sampling::Antithetic {
                            for (lane, e) in column[..len].iter_mut().enumerate() {
                                *e *= sign(lane);
                            }
                        }
                    }
                }
                // Both stratified designs fill the rows with uniforms, then map each year's column
                // through Φ⁻¹ at once (`standard_normal_quantile_column`, the scalar bits).
                Sampling::LatinHypercube => {
                    // `stratified_uniform` for the block's lanes side by side: their streams as
                    // for independent draws, each lane's stratum from its Latin block's key.
                    let bits = streams.latin_bits();
                    let (mut block_keys, mut positions) = ([0u64; LANES], [0u64; LANES]);
                    for (lane, (key, position)) in block_keys.iter_mut().zip(&mut positions).enumerate().take(len) {
                        let path = first + lane as u64;
                        *key = rng::path_key(streams.shock(i, path).0, path >> bits);
                        *position = path & ((1 << bits) - 1);
                    }
                    self.lanes.seed(&seeds);
                    let (mut keys, mut strata, mut words) = ([0u64; LANES], [0u64; LANES], [0u64; LANES]);
                    for t in 0..n_proj {
                        let dimension = rng::shock_dimension(stream_key, t);
                        for (key, &block_key) in keys.iter_mut().zip(&block_keys) {
                            *key = rng::splitmix64(block_key ^ dimension);
                        }
                        rng::permute_bits_column(&keys[..len], &positions[..len], bits, &mut strata[..len]);
                        self.lanes.next_u64s(&mut words);
                        for ((e, &stratum), &word) in row[t * LANES..][..len].iter_mut().zip(&strata).zip(&words) {
                            *e = stratified(stratum, word, bits);
                        }
                    }
                    normals_from_uniforms(row, n_proj, len);
                }
                Sampling::Sobol { replicate_bits, shared_bits } => {
                    // Scrambled Sobol' points (see `rqmc`): no stream to seed.
                    let offset = streams.sobol_offset(i, false);
                    refresh_points(
                        &mut sobol_sources[..len],
                        &mut sobol_points,
                        (replicate_bits, shared_bits),
                        |lane| streams.shock(i, first + lane as u64),
                    );
                    for t in 0..n_proj {
                        let dimension = self.dimensions.shock(i, t) + offset;
                        SobolPoint::uniform_column(&sobol_points[..len], dimension, &mut row[t * LANES..][..len]);
                    }
                    normals_from_uniforms(row, n_proj, len);
                }
            }
        }

        let n_stochastic = model.stochastic.len();
        for t in 1..n_years {
            // Correlate: z = L e, each z[a] summed over b in increasing order as in the path code.
            let year = &mut self.correlated[(t - 1) * n_stochastic * LANES..t * n_stochastic * LANES];
            match &self.rows {
                Some(rows) => rows.multiply(&self.shocks, n_proj, t - 1, year),
                None => {
                    for k in 0..n_stochastic {
                        let from = (k * n_proj + t - 1) * LANES;
                        year[k * LANES..(k + 1) * LANES].copy_from_slice(&self.shocks[from..from + LANES]);
                    }
                }
            }
            for k in 0..n_stochastic {
                self.step(model, k, t);
            }
            self.evaluate_derived(model, t, None);
        }
        self.evaluate_targets(model);
    }

    /// Stochastic indicator `k` (of `model.stochastic`) from year `t − 1` to year `t`, from its
    /// correlated normals of year `t`.
    #[inline(always)]
    fn step(&mut self, model: &Model, k: usize, t: usize) {
        let (n_years, len) = (self.n_years, self.len);
        let n_stochastic = model.stochastic.len();
        let i = model.stochastic[k];
        {
            {
                let indicator = &model.indicators[i];
                let Some((marginals, phi)) = indicator.process.shock() else { return };
                let z = &self.correlated[((t - 1) * n_stochastic + k) * LANES..][..len];
                let x = &mut self.drawn[..len];
                let slot = model.indicators.len() + k * (n_years - 1) + t - 1;
                let cache = &mut self.prepared[..];
                if phi == 0.0 {
                    from_standard_normal(&marginals[t - 1], cache, slot, z, x);
                } else {
                    let s = &mut self.persistent[k * LANES..][..len];
                    if t == 1 {
                        s.copy_from_slice(z);
                    } else {
                        let c = (1.0 - phi * phi).sqrt();
                        s.iter_mut().zip(z).for_each(|(s, &z)| *s = phi * *s + c * z);
                    }
                    from_standard_normal(&marginals[t - 1], cache, slot, s, x);
                }
                let at = (i * n_years + t - 1) * LANES;
                let (before, after) = self.values.split_at_mut(at + LANES);
                let (previous, current) = (&before[at..at + len], &mut after[..len]);
                match &indicator.process {
                    // A fall of 100% or more (rare by construction, see model::build) floors at zero.
                    Process::Level { compounding: Compounding::Simple, .. } => {
                        for ((c, &p), &x) in current.iter_mut().zip(previous).zip(x.iter()) {
                            *c = p * (1.0 + x / 100.0).max(0.0);
                        }
                    }
                    Process::Level { compounding: Compounding::Log, .. } => {
                        x.iter_mut().for_each(|x| *x *= PER_CENT);
                        exp::exp_in_place_generic(x);
                        for ((c, &p), &x) in current.iter_mut().zip(previous).zip(x.iter()) {
                            *c = p * x;
                        }
                    }
                    Process::Rate { lower, upper, .. } => {
                        for ((c, &p), &x) in current.iter_mut().zip(previous).zip(x.iter()) {
                            *c = (p + x).clamp(*lower, *upper);
                        }
                    }
                    Process::Count { .. } => {
                        for ((c, &p), &x) in current.iter_mut().zip(previous).zip(x.iter()) {
                            *c = p + x;
                        }
                    }
                    Process::Derived { .. } => current.copy_from_slice(previous),
                }
            }
        }
    }

    /// Every target's tested quantity and verdict on the block's paths.
    #[inline(always)]
    fn evaluate_targets(&mut self, model: &Model) {
        let (n_years, len) = (self.n_years, self.len);
        for (ti, target) in model.targets.iter().enumerate() {
            let out = ti * LANES;
            match self.target_source[ti] {
                // The value of an indicator in a year: read in place (see `target_column`).
                Some(_) => {}
                None => {
                    // The common metrics as columns (minus a `versus` metric's column, as the
                    // reference subtracts it; a joint target's conditions likewise); the others
                    // path by path.
                    let column = &mut self.target_values[out..out + len];
                    let as_columns = match &target.metric {
                        Metric::AllOf(conditions) => conditions_column(conditions, &self.values, n_years, column),
                        metric => tested_column(metric, target.versus.as_ref(), &self.values, n_years, column),
                    };
                    if !as_columns {
                        for lane in 0..len {
                            let values = &self.values;
                            let v = move |i: usize, y: usize| values[(i * n_years + y) * LANES + lane];
                            self.target_values[out + lane] =
                                target_value_with(target, v, &mut self.series, &mut self.versus);
                        }
                    }
                }
            }
            // NaN never passes; ±infinity never counts as a hit either.
            let values = match self.target_source[ti] {
                Some(at) => &self.values[at..at + len],
                None => &self.target_values[out..out + len],
            };
            let hits = &mut self.hits[out..out + len];
            let thr = target.threshold;
            let finite = |v: f64| v.abs() < f64::INFINITY;
            match target.comparator {
                Comparator::Ge => hits.iter_mut().zip(values).for_each(|(h, &v)| *h = finite(v) & (v >= thr)),
                Comparator::Gt => hits.iter_mut().zip(values).for_each(|(h, &v)| *h = finite(v) & (v > thr)),
                Comparator::Le => hits.iter_mut().zip(values).for_each(|(h, &v)| *h = finite(v) & (v <= thr)),
                Comparator::Lt => hits.iter_mut().zip(values).for_each(|(h, &v)| *h = finite(v) & (v < thr)),
                Comparator::Eq | Comparator::Between | Comparator::About => {
                    // Two-sided: inside [low, high], both ends included (see `Test::holds`).
                    let [low, high] = target.range.unwrap_or([f64::NAN; 2]);
                    hits.iter_mut().zip(values).for_each(|(h, &v)| *h = finite(v) & (low <= v) & (v <= high))
                }
            }
        }
    }

    /// The same paths as `base` under `model`, a variant of the model `base` was simulated with:
    /// the indicators `reuse` marks are recomputed from `base`'s normals (its base draws and
    /// correlated yearly normals), every other indicator's values are copied, then the targets
    /// are evaluated. Exactly the bits [`Block::simulate`] gives `model` on those paths (every
    /// recomputed value goes through the same operations on the same normals), at the cost of
    /// what changed: an analysis moving one assumption (`sensitivity`, `solve`, `sweep`) no
    /// longer draws and correlates every normal again for every value it tries.
    pub fn simulate_reusing(&mut self, model: &Model, base: &Block, reuse: &Reuse) {
        match simd::level() {
            // SAFETY: the level is at most what the CPU was detected to support.
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => unsafe { self.reusing_avx512(model, base, reuse) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => unsafe { self.reusing_avx2(model, base, reuse) },
            _ => self.reusing_body(model, base, reuse),
        }
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn reusing_avx2(&mut self, model: &Model, base: &Block, reuse: &Reuse) {
        self.reusing_body(model, base, reuse);
    }

    /// # Safety
    /// The CPU must support AVX-512 F, DQ, VL and BW.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
    unsafe fn reusing_avx512(&mut self, model: &Model, base: &Block, reuse: &Reuse) {
        self.reusing_body(model, base, reuse);
    }

    #[inline(always)]
    fn reusing_body(&mut self, model: &Model, base: &Block, reuse: &Reuse) {
        let redo = &reuse.redo;
        assert_eq!(redo.len(), model.indicators.len(), "a reuse plan made for this model");
        self.first = base.first;
        self.len = base.len;
        let (n_years, len) = (self.n_years, self.len);
        for (i, indicator) in model.indicators.iter().enumerate() {
            let columns = i * n_years * LANES..(i + 1) * n_years * LANES;
            if !redo[i] {
                self.values[columns.clone()].copy_from_slice(&base.values[columns]);
                continue;
            }
            let column = &mut self.values[columns.start..][..LANES];
            match &indicator.base {
                Base::Known { value, .. } => column.fill(*value),
                Base::Derived => column.fill(0.0),
                Base::Uncertain { marginal, .. } => {
                    let fast = prepared(&mut self.prepared, i, marginal);
                    base_from_normals(indicator, fast, &base.base_normals[i * LANES..][..len], &mut column[..len])
                }
            }
        }
        self.evaluate_derived(model, 0, Some(redo));
        let n_stochastic = model.stochastic.len();
        for t in 1..n_years {
            for (k, &i) in model.stochastic.iter().enumerate() {
                if redo[i] {
                    let at = ((t - 1) * n_stochastic + k) * LANES;
                    self.correlated[at..at + LANES].copy_from_slice(&base.correlated[at..at + LANES]);
                    self.step(model, k, t);
                }
            }
            self.evaluate_derived(model, t, Some(redo));
        }
        self.evaluate_targets(model);
    }

    /// The derived indicators in `year` (only those marked in `only`, when given).
    fn evaluate_derived(&mut self, model: &Model, year: usize, only: Option<&[bool]>) {
        let n_years = self.n_years;
        let len = self.len;
        let mut out = [0.0; LANES];
        for &i in &model.derived_order {
            if only.is_some_and(|only| !only[i]) {
                continue;
            }
            if let Process::Derived { expr } = &model.indicators[i].process {
                let values = &self.values;
                expr.eval_lanes(
                    |j| &values[(j * n_years + year) * LANES..][..LANES],
                    |j| &values[j * n_years * LANES..][..LANES],
                    &mut self.stack,
                    &mut self.args,
                    &mut out[..len],
                );
                self.values[(i * n_years + year) * LANES..][..len].copy_from_slice(&out[..len]);
            }
        }
    }
}

/// What a variant of a model must recompute when it reuses a block of the model's paths
/// ([`Block::simulate_reusing`]).
#[derive(Debug, Clone)]
pub struct Reuse {
    /// Per indicator of the variant: recomputed (`true`) or copied.
    redo: Vec<bool>,
}

impl Reuse {
    /// How `variant` can reuse blocks simulated under `base`, or `None` when it draws other
    /// normals (another correlation factor, other indicators or streams, another horizon).
    ///
    /// An indicator is recomputed when its base or process differs from `base`'s by a single
    /// bit (compared through `Debug`, which writes every `f64` so that it reads back to the
    /// same bits; a differing note or source only costs a recomputation), or when it is
    /// derived from one that is. The normals themselves never depend on an indicator's
    /// marginal, persistence or base: correlation acts on the normal scale before them.
    pub fn new(base: &Model, variant: &Model) -> Option<Reuse> {
        let same_bits = |a: &dyn std::fmt::Debug, b: &dyn std::fmt::Debug| format!("{a:?}") == format!("{b:?}");
        let same_factor = match (&base.cholesky, &variant.cholesky) {
            (None, None) => true,
            (Some(a), Some(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()),
            _ => false,
        };
        let uncertain = |i: &Indicator| matches!(i.base, Base::Uncertain { .. });
        if base.n_years() != variant.n_years()
            || base.stochastic != variant.stochastic
            || !same_factor
            || base.indicators.len() != variant.indicators.len()
            || base
                .indicators
                .iter()
                .zip(&variant.indicators)
                .any(|(a, b)| a.stream_key != b.stream_key || uncertain(a) != uncertain(b))
        {
            return None;
        }
        let mut redo: Vec<bool> = base
            .indicators
            .iter()
            .zip(&variant.indicators)
            .map(|(a, b)| !same_bits(&a.base, &b.base) || !same_bits(&a.process, &b.process))
            .collect();
        // Derived indicators reading a recomputed one (in its year or its base value); the
        // derived order puts every reader after what it reads.
        for &d in &variant.derived_order {
            if let Process::Derived { expr } = &variant.indicators[d].process
                && expr.reads().iter().chain(expr.base_reads()).any(|&r| redo[r])
            {
                redo[d] = true;
            }
        }
        Some(Reuse { redo })
    }

    /// Indicators recomputed.
    pub fn recomputed(&self) -> usize {
        self.redo.iter().filter(|&&r| r).count()
    }
}

/// An uncertain base value on a column of paths from its standard normals: the whole column
/// through the marginal's tables at once, then the process's bounds.
#[inline(always)]
fn base_from_normals(indicator: &Indicator, marginal: &FastMarginal, normals: &[f64], column: &mut [f64]) {
    marginal.from_standard_normal_column(normals, column);
    for drawn in column {
        *drawn = match &indicator.process {
            Process::Rate { lower, upper, .. } => drawn.clamp(*lower, *upper),
            Process::Count { .. } => drawn.round().max(0.0),
            _ => *drawn,
        };
    }
}

/// The prepared form of `marginal` kept in `cache[slot]`, made (a thread-local hash lookup and
/// reference counts, ~6% of a flagship run when done per column) only when the slot is empty
/// or holds another marginal: parameters are compared bit for bit, so a block used with
/// another model never reads a stale table.
#[inline(always)]
fn prepared<'a>(cache: &'a mut [Option<FastMarginal>], slot: usize, marginal: &Marginal) -> &'a FastMarginal {
    let fresh = match &cache[slot] {
        Some(fast) => !same_parameters(fast.marginal(), marginal),
        None => true,
    };
    if fresh {
        cache[slot] = Some(FastMarginal::new(marginal));
    }
    cache[slot].as_ref().expect("just prepared")
}

/// The same law with the same parameters, bit for bit (`==` would equate `0.0` and `-0.0`).
fn same_parameters(a: &Marginal, b: &Marginal) -> bool {
    fn bits(m: &Marginal) -> (u8, [u64; 3]) {
        let b = |x: f64| x.to_bits();
        match *m {
            Marginal::Normal { mean, sd } => (0, [b(mean), b(sd), 0]),
            Marginal::StudentT { location, scale, df } => (1, [b(location), b(scale), b(df)]),
            Marginal::Triangular { min, mode, max } => (2, [b(min), b(mode), b(max)]),
            Marginal::Pert { min, mode, max } => (3, [b(min), b(mode), b(max)]),
            Marginal::Uniform { min, max } => (4, [b(min), b(max), 0]),
            Marginal::SplitNormal { mode, sd_low, sd_high } => (5, [b(mode), b(sd_low), b(sd_high)]),
            Marginal::Fixed { value } => (6, [b(value), 0, 0]),
            Marginal::Poisson { mean } => (7, [b(mean), 0, 0]),
            Marginal::NegativeBinomial { mean, dispersion } => (8, [b(mean), b(dispersion), 0]),
        }
    }
    bits(a) == bits(b)
}

/// Under `--sampling sobol`: each lane's point for the source `source(lane)`, made again only
/// where the lane's source changed since its point was made (`sources` remembers them).
#[inline(always)]
fn refresh_points(
    sources: &mut [Option<(u64, u64)>],
    points: &mut [SobolPoint; LANES],
    (replicate_bits, shared_bits): (u8, u8),
    source: impl Fn(usize) -> (u64, u64),
) {
    for (lane, (cached, point)) in sources.iter_mut().zip(points).enumerate() {
        let source = source(lane);
        if *cached != Some(source) {
            *cached = Some(source);
            *point = SobolPoint::shared(source.0, source.1, replicate_bits, shared_bits);
        }
    }
}

/// Each of the `n_proj` year columns of `row` (`LANES` slots each, the first `len` in use): the
/// uniforms in it replaced by their standard normals.
#[inline(always)]
fn normals_from_uniforms(row: &mut [f64], n_proj: usize, len: usize) {
    let mut uniforms = [0.0_f64; LANES];
    for column in row.chunks_exact_mut(LANES).take(n_proj) {
        uniforms[..len].copy_from_slice(&column[..len]);
        standard_normal_quantile_column(&uniforms[..len], &mut column[..len]);
    }
}

/// [`Marginal::from_standard_normal`] over a column: normals inline (vectorised), the others
/// one value at a time through their [`FastMarginal`] tables.
#[inline(always)]
fn from_standard_normal(
    marginal: &Marginal,
    cache: &mut [Option<FastMarginal>],
    slot: usize,
    z: &[f64],
    x: &mut [f64],
) {
    match *marginal {
        Marginal::Normal { mean, sd } => {
            for (x, &z) in x.iter_mut().zip(z) {
                // Exactly `from_standard_normal`: NaN stays NaN, finite z is clamped to finite x.
                let v = mean + sd * z;
                *x = if z.is_nan() {
                    f64::NAN
                } else if z.is_finite() {
                    v.clamp(-f64::MAX, f64::MAX)
                } else {
                    v
                };
            }
        }
        _ => {
            // Tables prepared once per block's lifetime; the column's Clenshaw sums side by side.
            prepared(cache, slot, marginal).from_standard_normal_column(z, x)
        }
    }
}

/// The lower-triangular Cholesky factor by rows, each row's non-zero entries in increasing
/// column order, for `z = L e` over a block: row a's sum starts at +0.0 and adds `L[a][b]·e[b]`
/// for b increasing, exactly as the path code's column updates do (skipped terms are products
/// with an exact zero, which never change a sum that started at +0.0).
///
/// **Shared prefixes.** When row a begins with the same entries (same columns, same bits) as
/// row a − 1, its sum over them is the very partial sum row a − 1 formed on its way, so it is
/// carried over instead of recomputed: same terms, same order, same bits. Equicorrelated groups
/// (`group = [...]`, `rho = …`) are the common case — below the diagonal every column of their
/// factor is one repeated number — and there the product costs O(n) per lane instead of O(n²).
#[derive(Debug, Clone)]
struct RowFactor {
    /// Per row: `(start, len)` in `entries`; `carried`, the leading terms taken from the previous
    /// row's partial sum; `snapshot`, after how many terms this row's partial sum is kept for
    /// the next row (0: none).
    rows: Vec<Row>,
    entries: Vec<(usize, f64)>,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    start: usize,
    len: usize,
    carried: usize,
    snapshot: usize,
}

impl RowFactor {
    fn new(l: &[f64], n: usize) -> Self {
        let mut rows: Vec<Row> = Vec::with_capacity(n);
        let mut entries: Vec<(usize, f64)> = Vec::new();
        for a in 0..n {
            let start = entries.len();
            entries.extend((0..=a).filter(|&b| l[a * n + b] != 0.0).map(|b| (b, l[a * n + b])));
            let len = entries.len() - start;
            let mut carried = 0;
            if let Some(previous) = rows.last_mut() {
                let same = |(b1, l1): (usize, f64), (b2, l2): (usize, f64)| b1 == b2 && l1.to_bits() == l2.to_bits();
                let common = (0..previous.len.min(len))
                    .take_while(|&k| same(entries[previous.start + k], entries[start + k]))
                    .count();
                // The previous row can only keep a partial sum it computes itself (past its own
                // carried terms).
                if common > 0 && common >= previous.carried {
                    previous.snapshot = common;
                    carried = common;
                }
            }
            rows.push(Row { start, len, carried, snapshot: 0 });
        }
        RowFactor { rows, entries }
    }

    /// `z[a] = Σ_b L[a][b] e[b]` on every lane, `e[b] = shocks[(b * stride + offset) * LANES ..]`
    /// (inlined into the block engine's copy for each vector level).
    #[inline(always)]
    fn multiply(&self, shocks: &[f64], stride: usize, offset: usize, z: &mut [f64]) {
        let add_terms = |sum: &mut [f64; LANES], terms: &[(usize, f64)]| {
            for &(b, l) in terms {
                let at = (b * stride + offset) * LANES;
                let e: &[f64; LANES] = shocks[at..at + LANES].try_into().expect("a full block column");
                for j in 0..LANES {
                    sum[j] += l * e[j];
                }
            }
        };
        let mut carry = [0.0_f64; LANES];
        for (a, row) in self.rows.iter().enumerate() {
            let terms = &self.entries[row.start..row.start + row.len];
            let mut sum = if row.carried > 0 { carry } else { [0.0_f64; LANES] };
            if row.snapshot > 0 {
                add_terms(&mut sum, &terms[row.carried..row.snapshot]);
                carry = sum;
                add_terms(&mut sum, &terms[row.snapshot..]);
            } else {
                add_terms(&mut sum, &terms[row.carried..]);
            }
            z[a * LANES..(a + 1) * LANES].copy_from_slice(&sum);
        }
    }
}

/// `rng::path_key` of a lane's stream source `(seed, path)`, remembered in `cached` with the
/// source it belongs to: consecutive indicators of a path usually share their source, so the key
/// is mixed once per lane instead of once per indicator.
#[inline(always)]
fn cached_path_key(cached: &mut Option<((u64, u64), u64)>, source: (u64, u64)) -> u64 {
    match *cached {
        Some((s, key)) if s == source => key,
        _ => {
            let key = rng::path_key(source.0, source.1);
            *cached = Some((source, key));
            key
        }
    }
}

/// A metric minus its `versus` metric (when there is one) as a column: the tested quantity of
/// `target_value_with` for single-valued metrics with a column form ([`metric_column`]), same
/// bits; false (`out` then holds nothing useful) otherwise.
#[inline(always)]
fn tested_column(metric: &Metric, versus: Option<&Metric>, values: &[f64], n_years: usize, out: &mut [f64]) -> bool {
    if !metric_column(metric, values, n_years, out) {
        return false;
    }
    let Some(versus) = versus else { return true };
    let other = &mut [0.0; LANES][..out.len()];
    if !metric_column(versus, values, n_years, other) {
        return false;
    }
    out.iter_mut().zip(other.iter()).for_each(|(a, b)| *a -= b);
    true
}

/// A joint target's number of conditions met as a column (NaN on a path where a condition's
/// quantity is undefined), as `target_value_with` counts them, when every condition has a
/// column form; false otherwise.
#[inline(always)]
fn conditions_column(conditions: &[Condition], values: &[f64], n_years: usize, out: &mut [f64]) -> bool {
    let len = out.len();
    let (mut met, mut undefined) = ([0u32; LANES], [false; LANES]);
    let x = &mut [0.0; LANES][..len];
    for c in conditions {
        if !tested_column(&c.metric, c.versus.as_ref(), values, n_years, x) {
            return false;
        }
        for ((m, u), &x) in met.iter_mut().zip(&mut undefined).zip(x.iter()) {
            *u |= x.is_nan();
            *m += u32::from(c.test.hit(x));
        }
    }
    for ((o, &m), &u) in out.iter_mut().zip(&met).zip(&undefined) {
        *o = if u { f64::NAN } else { f64::from(m) };
    }
    true
}

/// A target's tested quantity on a block's paths as a column (`values` in the block's layout,
/// `out` one slot per path), for the metrics that are one expression of a few columns: exactly
/// the operations [`target_value_with`] gives each path (same bits), without its per-path
/// accessor and series. False (and `out` untouched) for the other metrics, which go path by path.
#[inline(always)]
fn metric_column(metric: &Metric, values: &[f64], n_years: usize, out: &mut [f64]) -> bool {
    let len = out.len();
    let column = |i: usize, y: usize| &values[(i * n_years + y) * LANES..][..len];
    let pairs = |i: usize, from: usize, to: usize| column(i, from).iter().zip(column(i, to));
    match *metric {
        Metric::Value { indicator, year } => out.copy_from_slice(column(indicator, year)),
        Metric::Cagr { indicator, from, to } => {
            // `powf` per path: its bits are the reference's (the CAGR of a non-positive start is NaN).
            let exponent = 1.0 / (to - from) as f64;
            for (o, (&a, &b)) in out.iter_mut().zip(pairs(indicator, from, to)) {
                *o = if a > 0.0 && b >= 0.0 { ((b / a).powf(exponent) - 1.0) * 100.0 } else { f64::NAN };
            }
        }
        Metric::CumulativeGrowth { indicator, from, to } => {
            for (o, (&a, &b)) in out.iter_mut().zip(pairs(indicator, from, to)) {
                *o = if a > 0.0 && b >= 0.0 { (b / a - 1.0) * 100.0 } else { f64::NAN };
            }
        }
        Metric::Change { indicator, from, to } => {
            for (o, (&a, &b)) in out.iter_mut().zip(pairs(indicator, from, to)) {
                *o = b - a;
            }
        }
        Metric::Share { numerator, denominator, year } => {
            for ((o, &n), &d) in out.iter_mut().zip(column(numerator, year)).zip(column(denominator, year)) {
                *o = 100.0 * n / d;
            }
        }
        Metric::Sum { indicator, from, to } => {
            out.fill(0.0);
            for y in from..=to {
                for (o, &v) in out.iter_mut().zip(column(indicator, y)) {
                    *o += v;
                }
            }
        }
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The row factor with shared prefixes against the textbook row products, bit for bit, on an
    /// equicorrelated block (every row shares all but its diagonal with the next), a block
    /// diagonal factor with zeros, and rows that share a prefix only by coincidence.
    #[test]
    fn shared_prefixes_give_the_textbook_sums() {
        let n = 7;
        let mut factors = Vec::new();
        // Equicorrelated: column-constant below the diagonal.
        let mut l = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..a {
                l[a * n + b] = 0.5 / (1.0 + b as f64);
            }
            l[a * n + a] = 0.3 + 0.01 * a as f64;
        }
        factors.push(l.clone());
        // Two blocks, zeros inside, a row sharing only its first entry.
        let mut m = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..=a {
                if (a < 3) == (b < 3) && (a + b) % 4 != 1 {
                    m[a * n + b] = 0.2 + 0.1 * (b as f64) - 0.03 * (a as f64);
                }
            }
            m[a * n + a] = 1.0;
        }
        m[5 * n + 3] = m[4 * n + 3];
        factors.push(m);
        let shocks: Vec<f64> = (0..n * 2 * LANES).map(|k| ((k as f64) * 0.754_877_666).fract() * 4.0 - 2.0).collect();
        for l in &factors {
            let factor = RowFactor::new(l, n);
            let mut z = vec![f64::NAN; n * LANES];
            for t in 0..2 {
                factor.multiply(&shocks, 2, t, &mut z);
                for a in 0..n {
                    for j in 0..LANES {
                        let mut sum = 0.0;
                        for b in 0..=a {
                            if l[a * n + b] != 0.0 {
                                sum += l[a * n + b] * shocks[(b * 2 + t) * LANES + j];
                            }
                        }
                        assert_eq!(sum.to_bits(), z[a * LANES + j].to_bits(), "row {a}, lane {j}, year {t}");
                    }
                }
            }
        }
        // The equicorrelated factor really is carried: from row 2 on, each row reuses all but the
        // diagonal of the previous one (row 1 shares nothing with row 0, which is only a diagonal).
        let factor = RowFactor::new(&factors[0], n);
        assert!((2..n).all(|a| factor.rows[a].carried == a - 1), "{:?}", factor.rows);
    }

    /// The column forms of the common metrics give every path the bits of `target_value_with`
    /// (the per-path reference), on levels that are positive, zero, negative, infinite or NaN,
    /// and on short blocks; the other metrics are left to the per-path loop.
    #[test]
    fn metric_columns_give_the_bits_of_the_path_reference() {
        use crate::model::Target;
        let (n_indicators, n_years) = (3, 5);
        let mut state = 0x853c_49e6_748f_ea9b_u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let special = [0.0, -0.0, -3.5, f64::INFINITY, f64::NAN, 1e-300, 1e300];
        let mut values = vec![0.0; n_indicators * n_years * LANES];
        for (k, v) in values.iter_mut().enumerate() {
            *v = if k % 11 == 4 { special[(k / 11) % special.len()] } else { 10f64.powf(4.0 * uniform() - 1.0) };
        }
        let target = |metric: Metric| Target {
            id: "t".into(),
            label_zh: String::new(),
            label_en: String::new(),
            section: String::new(),
            region: String::new(),
            wording: String::new(),
            note: String::new(),
            unit: String::new(),
            metric,
            versus: None,
            comparator: Comparator::Ge,
            threshold: 0.0,
            range: None,
        };
        let mut metrics = Vec::new();
        for indicator in 0..n_indicators {
            for from in 0..n_years {
                for to in from + 1..n_years {
                    metrics.push(Metric::Cagr { indicator, from, to });
                    metrics.push(Metric::CumulativeGrowth { indicator, from, to });
                    metrics.push(Metric::Change { indicator, from, to });
                    metrics.push(Metric::Sum { indicator, from, to });
                }
                metrics.push(Metric::Value { indicator, year: from });
                metrics.push(Metric::Share {
                    numerator: indicator,
                    denominator: (indicator + 1) % n_indicators,
                    year: from,
                });
            }
        }
        let (mut series, mut versus) = (Vec::new(), Vec::new());
        for len in [LANES, 1, 37] {
            for metric in &metrics {
                let mut out = vec![f64::NAN; len];
                assert!(metric_column(metric, &values, n_years, &mut out), "{metric:?} has a column form");
                let t = target(metric.clone());
                for (lane, &fast) in out.iter().enumerate() {
                    let v = |i: usize, y: usize| values[(i * n_years + y) * LANES + lane];
                    let reference = target_value_with(&t, v, &mut series, &mut versus);
                    assert!(
                        fast.to_bits() == reference.to_bits() || (fast.is_nan() && reference.is_nan()),
                        "{metric:?}, lane {lane}: {fast:e} against {reference:e}"
                    );
                }
            }
        }
        // Relative targets through the block: a metric minus a `versus` metric, as columns.
        let mut model_targets = Vec::new();
        for (k, metric) in metrics.iter().enumerate().step_by(3) {
            let versus = [
                Metric::Value { indicator: k % n_indicators, year: k % n_years },
                metrics[(7 * k + 1) % metrics.len()].clone(),
            ];
            for versus in versus {
                model_targets.push(Target { versus: Some(versus), ..target(metric.clone()) });
            }
        }
        for t in &model_targets {
            let mut out = vec![f64::NAN; LANES];
            assert!(tested_column(&t.metric, t.versus.as_ref(), &values, n_years, &mut out));
            for (lane, &fast) in out.iter().enumerate() {
                let v = |i: usize, y: usize| values[(i * n_years + y) * LANES + lane];
                let reference = target_value_with(t, v, &mut series, &mut versus);
                assert!(
                    fast.to_bits() == reference.to_bits() || (fast.is_nan() && reference.is_nan()),
                    "{t:?}, lane {lane}: {fast:e} against {reference:e}"
                );
            }
        }
        // Joint targets: the number of conditions met, NaN where one is undefined.
        for (k, t) in model_targets.iter().enumerate().step_by(5) {
            let other = &model_targets[(3 * k + 2) % model_targets.len()];
            let conditions: Vec<Condition> = [t, other]
                .into_iter()
                .zip([Comparator::Gt, Comparator::Le])
                .map(|(t, comparator)| Condition {
                    metric: t.metric.clone(),
                    versus: t.versus.clone(),
                    test: crate::model::Test { comparator, threshold: 0.5, range: None },
                    unit: String::new(),
                })
                .collect();
            let joint = target(Metric::AllOf(conditions.clone()));
            let mut out = vec![f64::NAN; LANES];
            assert!(conditions_column(&conditions, &values, n_years, &mut out));
            let mut defined = 0;
            for (lane, &fast) in out.iter().enumerate() {
                let v = |i: usize, y: usize| values[(i * n_years + y) * LANES + lane];
                let reference = target_value_with(&joint, v, &mut series, &mut versus);
                assert!(
                    fast.to_bits() == reference.to_bits() || (fast.is_nan() && reference.is_nan()),
                    "{joint:?}, lane {lane}: {fast:e} against {reference:e}"
                );
                defined += usize::from(!fast.is_nan());
            }
            assert!(defined > 0, "{joint:?}");
        }
        let growth_every_year = Metric::GrowthEveryYear { indicator: 0, from: 0, to: 3 };
        assert!(!metric_column(&growth_every_year, &values, n_years, &mut [0.0; LANES]));
    }
}
