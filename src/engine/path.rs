//! One Monte Carlo path: base values, yearly correlated shocks, the indicator projections, and
//! each target's tested quantity. Pure functions of (model, seed, path index).
//!
//! The shock of indicator k in year t is built in three steps:
//! 1. `e[k][t]`: independent standard normals, year after year from indicator k's own stream;
//! 2. `z[·][t] = L · e[·][t]`: correlated through the Cholesky factor L (Gaussian copula);
//! 3. `s[k][t] = φ_k s[k][t−1] + √(1−φ_k²) z[k][t]`, `s[k][1] = z[k][1]`: AR(1) persistence that
//!    keeps every year's shock standard normal,
//!
//! and the year's growth/change/addition is the marginal's quantile at Φ(s[k][t]).

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::model::distribution::standard_normal_quantile;

use super::rng;
use super::rqmc::{Dimensions, SobolPoint};
use crate::model::{Base, Compounding, Condition, Metric, Model, PastMeasure, Process, Target};

/// 1/100, the nearest double: log-compounded growth of x% multiplies a level by `e^(x·PER_CENT)`.
/// (A multiplication rather than a division by 100, which costs as much as the rest of a path's
/// arithmetic on a vector unit; the two differ by at most one unit in the last place of the
/// exponent, far below anything a summary can show, and the golden files did not change.)
pub const PER_CENT: f64 = 0.01;

/// Scratch buffers reused across the paths simulated by one worker.
#[derive(Debug, Clone)]
pub struct Scratch {
    /// `values[indicator * n_years + year]`, year 0 = base year.
    pub values: Vec<f64>,
    /// `shocks[k * n_proj + (t−1)]` for stochastic indicator k.
    shocks: Vec<f64>,
    correlated: Vec<f64>,
    persistent: Vec<f64>,
    /// `x/100` of the log-compounded levels in the year being simulated.
    log_growth: Vec<f64>,
    /// The Cholesky factor by columns, each cut to its non-zero rows (see [`ColumnFactor`]).
    factor: Option<ColumnFactor>,
    stack: Vec<f64>,
    series: Vec<f64>,
    versus: Vec<f64>,
    pub target_values: Vec<f64>,
    pub hits: Vec<bool>,
    pub region_missed: Vec<bool>,
    /// Sobol' dimensions of the draws (`--sampling sobol`).
    dimensions: Dimensions,
}

impl Scratch {
    pub fn new(model: &Model) -> Self {
        let n_proj = model.n_years() - 1;
        let n_stochastic = model.stochastic.len();
        let max_stack = model
            .indicators
            .iter()
            .filter_map(|i| match &i.process {
                Process::Derived { expr } => Some(expr.max_stack()),
                _ => None,
            })
            .max()
            .unwrap_or(1);
        Scratch {
            values: vec![0.0; model.indicators.len() * model.n_years()],
            shocks: vec![0.0; n_stochastic * n_proj],
            correlated: vec![0.0; n_stochastic],
            persistent: vec![0.0; n_stochastic],
            log_growth: vec![0.0; n_stochastic],
            factor: model.cholesky.as_deref().map(|l| ColumnFactor::new(l, n_stochastic)),
            stack: Vec::with_capacity(max_stack),
            series: Vec::with_capacity(n_proj + 1),
            versus: Vec::with_capacity(n_proj + 1),
            target_values: vec![0.0; model.targets.len()],
            hits: vec![false; model.targets.len()],
            region_missed: vec![false; model.regions.len()],
            dimensions: Dimensions::new(model),
        }
    }
}

/// A lower-triangular Cholesky factor `L` stored column by column, each column cut to the rows
/// from its first to its last non-zero entry, so that `z = L e` is a sequence of contiguous
/// `z[rows] += L[rows][b] · e[b]` updates (which the compiler vectorises) that skip the zeros of
/// block-diagonal correlation structures.
///
/// Every `z[a]` still adds its terms in increasing order of `b` starting from +0.0, exactly as
/// the row-by-row dot product `Σ_b L[a][b] e[b]` does; skipped terms are products with an exact
/// zero, and adding ±0.0 never changes a sum that started at +0.0. So the result is bit-identical
/// to the textbook loop (tested in `column_factor_matches_row_products`).
#[derive(Debug, Clone)]
struct ColumnFactor {
    /// `(first row, offset into values, length)` per column.
    columns: Vec<(usize, usize, usize)>,
    values: Vec<f64>,
}

impl ColumnFactor {
    fn new(l: &[f64], n: usize) -> Self {
        let mut columns = Vec::with_capacity(n);
        let mut values = Vec::new();
        for b in 0..n {
            let rows: Vec<usize> = (b..n).filter(|&a| l[a * n + b] != 0.0).collect();
            match (rows.first(), rows.last()) {
                (Some(&first), Some(&last)) => {
                    columns.push((first, values.len(), last - first + 1));
                    values.extend((first..=last).map(|a| l[a * n + b]));
                }
                _ => columns.push((b, values.len(), 0)),
            }
        }
        ColumnFactor { columns, values }
    }

    /// `z = L e`, with `e[b] = shocks[b * stride + offset]`.
    #[inline]
    fn multiply(&self, shocks: &[f64], stride: usize, offset: usize, z: &mut [f64]) {
        z.iter_mut().for_each(|x| *x = 0.0);
        for (b, &(first, start, len)) in self.columns.iter().enumerate() {
            let e = shocks[b * stride + offset];
            let column = &self.values[start..start + len];
            for (x, &l) in z[first..first + len].iter_mut().zip(column) {
                *x += l * e;
            }
        }
    }
}

/// Where each indicator's random streams come from on a path: normally every indicator uses the
/// run's seed and the path index; variance-based sensitivity (Saltelli designs) mixes streams
/// from two independent samples, indicator by indicator.
pub trait StreamSource: Sync {
    /// (seed, path index) of indicator `indicator`'s yearly-shock stream on path `path`.
    fn shock(&self, indicator: usize, path: u64) -> (u64, u64);
    /// (seed, path index) of indicator `indicator`'s base-value stream on path `path`.
    fn base(&self, indicator: usize, path: u64) -> (u64, u64);
    /// The (seed, path index) of every indicator's yearly-shock stream on path `path`, when it
    /// is the same for all indicators (`shock(i, path)` for every `i`); `None` otherwise.
    fn shock_source(&self, _path: u64) -> Option<(u64, u64)> {
        None
    }
    /// How the streams' draws become standard normals (see [`Sampling`]).
    fn sampling(&self) -> Sampling {
        Sampling::Independent
    }
    /// Latin hypercube: log2 of the paths per block (strata per dimension).
    fn latin_bits(&self) -> u32 {
        10
    }
    /// Under [`Sampling::Sobol`]: what is added to indicator `indicator`'s Sobol' dimensions (its
    /// base draw's when `base`), so that variance-based sensitivity can take sample B from the
    /// dimensions after A's of the same points (Saltelli's design on one sequence of twice the
    /// dimensions). 0 for ordinary runs.
    fn sobol_offset(&self, _indicator: usize, _base: bool) -> u32 {
        0
    }
}

/// How a run turns its random streams into standard normals: the variance-reduction options.
/// Every design is a function of (seed, path index, indicator) alone, in groups of paths that
/// never straddle a chunk of [`CHUNK`](super::CHUNK) paths, so results stay independent of
/// threads and shards.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampling {
    /// Every path draws its own normals (plain Monte Carlo).
    #[default]
    Independent,
    /// Paths 2m and 2m+1 use the same draws with opposite signs (antithetic variates).
    Antithetic,
    /// Each block of paths is a Latin hypercube in every shock and base draw: path k of a block
    /// of B paths draws from stratum π(k) of B equal-probability strata, π a keyed
    /// pseudo-random permutation per block, indicator and year. B is
    /// [`Sampling::group_size`]: 1024 paths from 32 768 paths up, fewer below so that a run
    /// always has at least [`MIN_GROUPS`] blocks to estimate its variance from.
    LatinHypercube,
    /// Randomised quasi-Monte Carlo: replicates of `2^replicate_bits` consecutive paths, each an
    /// independently Owen-scrambled Sobol' point set (see [`rqmc`](super::rqmc)); choose the
    /// size with [`Sampling::sobol`]. With `shared_bits > 0`, groups of `2^shared_bits`
    /// consecutive replicates share one scrambling: they are consecutive blocks of ONE scrambled
    /// Sobol' sequence ([`Sampling::sobol_sequence`], the design of `feasim sobol`), not
    /// independent replicates.
    Sobol {
        replicate_bits: u8,
        #[serde(default, skip_serializing_if = "is_zero")]
        shared_bits: u8,
    },
}

fn is_zero(bits: &u8) -> bool {
    *bits == 0
}

/// Fewest replicate groups a Latin hypercube run is split into (while blocks of at least 2
/// paths allow it): the variance of its estimates comes from the spread between blocks, and with
/// 32 blocks the Student-t quantile of its interval (31 degrees of freedom, 2.04) is within 4% of
/// the normal one. With a single block of 1024 at 1 025 paths the interval covered the truth in
/// 3–16% of seeds (issue 11).
pub const MIN_GROUPS: u64 = 32;

impl Sampling {
    /// Every design, in the order of [`Sampling::position`] (tests iterate over it so that a new
    /// design is tested like the others). A Sobol' design's replicate size depends on the run:
    /// take [`Sampling::for_paths`] of these before running.
    pub const ALL: [Sampling; 4] = [
        Sampling::Independent,
        Sampling::Antithetic,
        Sampling::LatinHypercube,
        Sampling::Sobol { replicate_bits: 0, shared_bits: 0 },
    ];

    /// The design's place in [`Sampling::ALL`]. An exhaustive match: a new design does not
    /// compile until it has a place here, which is the reminder to list it in `ALL`.
    pub const fn position(self) -> usize {
        match self {
            Sampling::Independent => 0,
            Sampling::Antithetic => 1,
            Sampling::LatinHypercube => 2,
            Sampling::Sobol { .. } => 3,
        }
    }

    /// The same design sized for a run of `paths` paths: a Sobol' design's replicates as
    /// [`Sampling::sobol`] chooses them; every other design is its own.
    pub fn for_paths(self, paths: u64) -> Self {
        match self {
            Sampling::Sobol { .. } => Sampling::sobol(paths),
            other => other,
        }
    }

    /// Paths per independent replicate (the unit of the variance estimate) in a run of
    /// `total_paths` paths: 1 for independent paths, 2 for antithetic pairs, and for Latin
    /// hypercube the largest power of two B ≤ [`CHUNK`](super::CHUNK) with at least
    /// [`MIN_GROUPS`] whole blocks in the run (1 below 64 paths: plain Monte Carlo). A power of
    /// two dividing [`CHUNK`](super::CHUNK), so blocks never straddle a chunk or a shard, and a
    /// function of the run's total alone, so every thread count and shard split gives the same
    /// blocks.
    pub fn group_size(self, total_paths: u64) -> u64 {
        match self {
            Sampling::Independent => 1,
            Sampling::Antithetic => 2,
            Sampling::LatinHypercube => {
                let mut size = super::CHUNK;
                while size > 1 && total_paths / size < MIN_GROUPS {
                    size /= 2;
                }
                size
            }
            Sampling::Sobol { replicate_bits, .. } => 1 << replicate_bits,
        }
    }

    /// Scrambled Sobol' points in replicates sized for a run of `paths` paths (at least
    /// [`MIN_REPLICATES`](super::rqmc::MIN_REPLICATES) replicates, see
    /// [`replicate_bits`](super::rqmc::replicate_bits)).
    pub fn sobol(paths: u64) -> Self {
        Sampling::Sobol { replicate_bits: super::rqmc::replicate_bits(paths), shared_bits: 0 }
    }

    /// The first N = `paths` points of one scrambled Sobol' sequence (consecutive sequences of
    /// 65 536 points beyond that), in at least 16 blocks of `2^replicate_bits` paths that share
    /// the scrambling (see [`sequence_blocks`](super::rqmc::sequence_blocks)): what `feasim sobol
    /// --sampling sobol` draws A and B from.
    pub fn sobol_sequence(paths: u64) -> Self {
        let (replicate_bits, shared_bits) = super::rqmc::sequence_blocks(paths);
        Sampling::Sobol { replicate_bits, shared_bits }
    }

    pub fn name(self) -> &'static str {
        match self {
            Sampling::Independent => "independent",
            Sampling::Antithetic => "antithetic",
            Sampling::LatinHypercube => "latin_hypercube",
            Sampling::Sobol { .. } => "sobol",
        }
    }
}

/// The ordinary run's streams under a sampling design, for a run of a given total of paths
/// (which fixes the Latin hypercube block size: [`Sampling::group_size`]).
#[derive(Debug, Clone, Copy)]
pub struct DesignedStreams {
    pub seed: u64,
    pub sampling: Sampling,
    /// log2 of the design's replicate-group size (Latin hypercube: strata per block).
    group_bits: u32,
}

impl DesignedStreams {
    /// The streams of a run of `total_paths` paths seeded with `seed` under `sampling`.
    pub fn for_run(seed: u64, sampling: Sampling, total_paths: u64) -> Self {
        let group_bits = sampling.group_size(total_paths).trailing_zeros();
        DesignedStreams { seed, sampling, group_bits }
    }

    /// Paths per replicate group (see [`Sampling::group_size`]).
    pub fn group_size(&self) -> u64 {
        1 << self.group_bits
    }
}

impl StreamSource for DesignedStreams {
    #[inline]
    fn shock(&self, _: usize, path: u64) -> (u64, u64) {
        match self.sampling {
            Sampling::Antithetic => (self.seed, path & !1),
            _ => (self.seed, path),
        }
    }

    #[inline]
    fn base(&self, indicator: usize, path: u64) -> (u64, u64) {
        self.shock(indicator, path)
    }

    #[inline]
    fn shock_source(&self, path: u64) -> Option<(u64, u64)> {
        Some(self.shock(0, path))
    }

    fn sampling(&self) -> Sampling {
        self.sampling
    }

    fn latin_bits(&self) -> u32 {
        self.group_bits
    }
}

/// Latin hypercube: the standard normal of stratum π(k) for path `path` (k = its position in its
/// block of 2^`bits` paths) in dimension `dimension`, from one uniform of `stream`.
#[inline]
pub(super) fn stratified_normal(stream: &mut rng::Stream, seed: u64, path: u64, dimension: u64, bits: u32) -> f64 {
    standard_normal_quantile(stratified_uniform(stream, seed, path, dimension, bits))
}

/// The uniform [`stratified_normal`] maps through Φ⁻¹ (the block engine converts a column of them
/// at once).
#[inline]
pub(super) fn stratified_uniform(stream: &mut rng::Stream, seed: u64, path: u64, dimension: u64, bits: u32) -> f64 {
    let block = path >> bits;
    let position = path & ((1 << bits) - 1);
    let stratum = rng::permute_bits(rng::stream_seed(seed, block, dimension), position, bits);
    stratified(stratum, stream.next_u64(), bits)
}

/// A uniform in stratum `stratum` of `2^bits`, placed in it by the stream's word `word`.
#[inline(always)]
pub(super) fn stratified(stratum: u64, word: u64, bits: u32) -> f64 {
    // A uniform in the open interval (0, 1), never 0 or 1. (Below 2^53, both conversions are
    // exact through i64, one instruction on every x86-64.)
    let u = (((word >> 11) as i64) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
    ((stratum as i64) as f64 + u) / (1u64 << bits) as f64
}

/// Every stream from one seed: the ordinary run.
#[derive(Debug, Clone, Copy)]
pub struct SeedStreams(pub u64);

impl StreamSource for SeedStreams {
    #[inline]
    fn shock(&self, _: usize, path: u64) -> (u64, u64) {
        (self.0, path)
    }

    #[inline]
    fn base(&self, _: usize, path: u64) -> (u64, u64) {
        (self.0, path)
    }

    #[inline]
    fn shock_source(&self, path: u64) -> Option<(u64, u64)> {
        Some((self.0, path))
    }
}

/// Simulate path `path` of a run seeded with `seed`, leaving the indicator values in
/// `scratch.values` and each target's tested quantity and hit in `scratch.target_values` and
/// `scratch.hits`.
pub fn simulate(model: &Model, seed: u64, path: u64, scratch: &mut Scratch) {
    simulate_with(model, &SeedStreams(seed), path, scratch);
}

/// [`simulate`] with the streams chosen by `streams`.
pub fn simulate_with<S: StreamSource>(model: &Model, streams: &S, path: u64, scratch: &mut Scratch) {
    let n_years = model.n_years();
    let n_proj = n_years - 1;
    let Scratch { values, shocks, correlated, persistent, log_growth, factor, stack, dimensions, .. } = scratch;

    let sampling = streams.sampling();
    let sign = if sampling == Sampling::Antithetic && path & 1 == 1 { -1.0 } else { 1.0 };

    // Base year.
    for (i, indicator) in model.indicators.iter().enumerate() {
        values[i * n_years] = match &indicator.base {
            Base::Known { value, .. } => *value,
            Base::Uncertain { marginal, .. } => {
                let (seed, stream_path) = streams.base(i, path);
                let mut stream = rng::base_stream(seed, stream_path, indicator.stream_key);
                let z: f64 = match sampling {
                    Sampling::Independent => StandardNormal.sample(&mut stream),
                    Sampling::Antithetic => sign * Distribution::<f64>::sample(&StandardNormal, &mut stream),
                    Sampling::LatinHypercube => stratified_normal(
                        &mut stream,
                        seed,
                        path,
                        rng::base_dimension(indicator.stream_key),
                        streams.latin_bits(),
                    ),
                    Sampling::Sobol { replicate_bits, shared_bits } => {
                        SobolPoint::shared(seed, stream_path, replicate_bits, shared_bits)
                            .normal(dimensions.base(i) + streams.sobol_offset(i, true))
                    }
                };
                let drawn = marginal.from_standard_normal(z);
                match &indicator.process {
                    Process::Rate { lower, upper, .. } => drawn.clamp(*lower, *upper),
                    Process::Count { .. } => drawn.round().max(0.0),
                    _ => drawn,
                }
            }
            Base::Derived => 0.0,
        };
    }
    evaluate_derived(model, values, stack, 0);

    // Independent normals, each indicator from its own stream, year by year.
    let mut keyed = None;
    for (k, &i) in model.stochastic.iter().enumerate() {
        let source = streams.shock(i, path);
        let key = match keyed {
            Some((s, key)) if s == source => key,
            _ => {
                let key = rng::path_key(source.0, source.1);
                keyed = Some((source, key));
                key
            }
        };
        let stream_key = model.indicators[i].stream_key;
        let mut stream = rng::shock_stream_keyed(key, stream_key);
        let row = &mut shocks[k * n_proj..(k + 1) * n_proj];
        match sampling {
            Sampling::Independent => row.iter_mut().for_each(|e| *e = StandardNormal.sample(&mut stream)),
            Sampling::Antithetic => {
                row.iter_mut().for_each(|e| *e = sign * Distribution::<f64>::sample(&StandardNormal, &mut stream))
            }
            Sampling::LatinHypercube => {
                for (t, e) in row.iter_mut().enumerate() {
                    let dimension = rng::shock_dimension(stream_key, t);
                    *e = stratified_normal(&mut stream, source.0, path, dimension, streams.latin_bits());
                }
            }
            Sampling::Sobol { replicate_bits, shared_bits } => {
                let point = SobolPoint::shared(source.0, source.1, replicate_bits, shared_bits);
                let offset = streams.sobol_offset(i, false);
                row.iter_mut().enumerate().for_each(|(t, e)| *e = point.normal(dimensions.shock(i, t) + offset));
            }
        }
    }

    for t in 1..n_years {
        // Correlate: z = L e (L lower triangular), in a fixed order for identical bits everywhere.
        match factor {
            Some(f) => f.multiply(shocks, n_proj, t - 1, correlated),
            None => {
                for (a, z) in correlated.iter_mut().enumerate() {
                    *z = shocks[a * n_proj + t - 1];
                }
            }
        }
        for (k, &i) in model.stochastic.iter().enumerate() {
            let indicator = &model.indicators[i];
            let Some((marginals, phi)) = indicator.process.shock() else { continue };
            let s = if t == 1 || phi == 0.0 {
                correlated[k]
            } else {
                phi * persistent[k] + (1.0 - phi * phi).sqrt() * correlated[k]
            };
            persistent[k] = s;
            let x = marginals[t - 1].from_standard_normal(s);
            let previous = values[i * n_years + t - 1];
            values[i * n_years + t] = match &indicator.process {
                // A fall of 100% or more (rare by construction, see model::build) floors at zero.
                Process::Level { compounding: Compounding::Simple, .. } => previous * (1.0 + x / 100.0).max(0.0),
                Process::Level { compounding: Compounding::Log, .. } => {
                    // previous · e^(x/100), the exponentials taken together below.
                    log_growth[k] = x * PER_CENT;
                    continue;
                }
                Process::Rate { lower, upper, .. } => (previous + x).clamp(*lower, *upper),
                Process::Count { .. } => previous + x,
                Process::Derived { .. } => previous,
            };
        }
        super::exp::exp_in_place(log_growth);
        for (k, &i) in model.stochastic.iter().enumerate() {
            if let Process::Level { compounding: Compounding::Log, .. } = model.indicators[i].process {
                values[i * n_years + t] = values[i * n_years + t - 1] * log_growth[k];
            }
        }
        evaluate_derived(model, values, stack, t);
    }

    // Targets.
    for (t, target) in model.targets.iter().enumerate() {
        let v = target_value(target, values, n_years, &mut scratch.series, &mut scratch.versus);
        scratch.target_values[t] = v;
        scratch.hits[t] = target.hit(v);
    }
}

fn evaluate_derived(model: &Model, values: &mut [f64], stack: &mut Vec<f64>, year: usize) {
    let n_years = model.n_years();
    for &i in &model.derived_order {
        if let Process::Derived { expr } = &model.indicators[i].process {
            let v = expr.eval(|j| values[j * n_years + year], |j| values[j * n_years], stack);
            values[i * n_years + year] = v;
        }
    }
}

/// The quantity a target tests on one path: the metric (minus the `versus` metric), reduced
/// over the years of an every-year metric by min (for ≥, >) or max (for ≤, <).
pub fn target_value(
    target: &Target,
    values: &[f64],
    n_years: usize,
    series: &mut Vec<f64>,
    versus: &mut Vec<f64>,
) -> f64 {
    target_value_with(target, |i, y| values[i * n_years + y], series, versus)
}

/// [`target_value`] reading indicator `i` in year `y` through `v(i, y)` (any layout).
#[inline]
pub fn target_value_with(
    target: &Target,
    v: impl Fn(usize, usize) -> f64 + Copy,
    series: &mut Vec<f64>,
    versus: &mut Vec<f64>,
) -> f64 {
    match &target.metric {
        Metric::AllOf(conditions) => conditions_met(conditions, v, series, versus),
        metric => tested_value(metric, target.versus.as_ref(), target.reduce_by_min(), v, series, versus),
    }
}

/// A metric minus its `versus` metric, reduced over the years of an every-year metric by min
/// (`by_min`) or max.
#[inline]
fn tested_value(
    metric: &Metric,
    versus_metric: Option<&Metric>,
    by_min: bool,
    v: impl Fn(usize, usize) -> f64 + Copy,
    series: &mut Vec<f64>,
    versus: &mut Vec<f64>,
) -> f64 {
    metric_series_with(metric, v, series);
    if let Some(m) = versus_metric {
        metric_series_with(m, v, versus);
        if versus.len() == 1 {
            let b = versus[0];
            series.iter_mut().for_each(|a| *a -= b);
        } else {
            series.iter_mut().zip(versus.iter()).for_each(|(a, b)| *a -= *b);
        }
    }
    if series.len() == 1 {
        return series[0];
    }
    if series.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    if by_min {
        series.iter().copied().fold(f64::INFINITY, f64::min)
    } else {
        series.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
}

/// The number of a joint target's conditions that hold on the path (each tested exactly as a
/// target of its own would be); NaN when any condition's quantity is undefined (an invalid path).
fn conditions_met(
    conditions: &[Condition],
    v: impl Fn(usize, usize) -> f64 + Copy,
    series: &mut Vec<f64>,
    versus: &mut Vec<f64>,
) -> f64 {
    let mut met = 0u32;
    for c in conditions {
        let x = tested_value(&c.metric, c.versus.as_ref(), c.test.reduce_by_min(), v, series, versus);
        if x.is_nan() {
            return f64::NAN;
        }
        met += u32::from(c.test.hit(x));
    }
    f64::from(met)
}

/// The metric's value(s) on one path: one number, or one per year for every-year metrics.
/// Growth of a non-positive level is NaN (reported as invalid, never silently a number).
pub fn metric_series(metric: &Metric, values: &[f64], n_years: usize, out: &mut Vec<f64>) {
    metric_series_with(metric, |i, y| values[i * n_years + y], out)
}

/// [`metric_series`] reading indicator `i` in year `y` through `v(i, y)` (any layout).
#[inline]
pub fn metric_series_with(metric: &Metric, v: impl Fn(usize, usize) -> f64 + Copy, out: &mut Vec<f64>) {
    out.clear();
    let growth = |a: f64, b: f64| if a > 0.0 && b >= 0.0 { (b / a - 1.0) * 100.0 } else { f64::NAN };
    match *metric {
        Metric::Value { indicator, year } => out.push(v(indicator, year)),
        Metric::ValueEveryYear { indicator, from, to } => out.extend((from..=to).map(|y| v(indicator, y))),
        Metric::Sum { indicator, from, to } => {
            let mut sum = 0.0;
            for y in from..=to {
                sum += v(indicator, y);
            }
            out.push(sum);
        }
        Metric::SincePast { indicator, measure, past, to, years, .. } => {
            let b = v(indicator, to);
            out.push(match measure {
                PastMeasure::Cagr if past > 0.0 && b >= 0.0 => ((b / past).powf(1.0 / years as f64) - 1.0) * 100.0,
                PastMeasure::Cagr => f64::NAN,
                PastMeasure::CumulativeGrowth => growth(past, b),
                PastMeasure::Change => b - past,
            });
        }
        Metric::AllOf(ref conditions) => {
            let (mut series, mut versus) = (Vec::new(), Vec::new());
            out.push(conditions_met(conditions, v, &mut series, &mut versus));
        }
        Metric::Share { numerator, denominator, year } => {
            out.push(100.0 * v(numerator, year) / v(denominator, year));
        }
        Metric::Cagr { indicator, from, to } => {
            let (a, b) = (v(indicator, from), v(indicator, to));
            out.push(if a > 0.0 && b >= 0.0 {
                ((b / a).powf(1.0 / (to - from) as f64) - 1.0) * 100.0
            } else {
                f64::NAN
            });
        }
        Metric::CumulativeGrowth { indicator, from, to } => out.push(growth(v(indicator, from), v(indicator, to))),
        Metric::GrowthEveryYear { indicator, from, to } => {
            for y in from + 1..=to {
                out.push(growth(v(indicator, y - 1), v(indicator, y)));
            }
        }
        Metric::Change { indicator, from, to } => out.push(v(indicator, to) - v(indicator, from)),
        Metric::ChangeEveryYear { indicator, from, to } => {
            for y in from + 1..=to {
                out.push(v(indicator, y) - v(indicator, y - 1));
            }
        }
        Metric::Rank { indicator, year, ref competitors } => {
            let own = v(indicator, year);
            let ahead = competitors.iter().filter(|&&c| v(c, year) > own).count();
            out.push(if own.is_nan() { f64::NAN } else { 1.0 + ahead as f64 });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_design_is_listed_once_in_order() {
        for (k, design) in Sampling::ALL.into_iter().enumerate() {
            assert_eq!(design.position(), k, "{design:?}");
        }
    }

    #[test]
    fn latin_blocks_leave_at_least_32_per_run_and_divide_a_chunk() {
        let size = |paths| Sampling::LatinHypercube.group_size(paths);
        // The path counts of issue 11 and the edges of the rule.
        assert_eq!([size(1025), size(2048), size(5120), size(16_384)], [32, 64, 128, 512]);
        assert_eq!(
            [size(0), size(63), size(64), size(32_767), size(32_768), size(u64::MAX)],
            [1, 1, 2, 512, 1024, 1024]
        );
        for paths in (0..70_000).step_by(97).chain([1 << 40]) {
            let b = size(paths);
            assert!(b.is_power_of_two() && super::super::CHUNK % b == 0, "{paths}: {b}");
            assert!(b == 1 || paths / b >= MIN_GROUPS, "{paths}: {b}");
            assert!(b == super::super::CHUNK || paths / (2 * b) < MIN_GROUPS, "{paths}: {b} is not the largest");
        }
        assert_eq!(Sampling::Independent.group_size(5), 1);
        assert_eq!(Sampling::Antithetic.group_size(5), 2);
    }

    #[test]
    fn column_factor_matches_row_products() {
        // A block-diagonal factor with zeros inside columns, and a dense one.
        let n = 5;
        let mut l = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..=a {
                let same_block = (a < 2) == (b < 2) && (a != 4 || b != 2);
                if same_block {
                    l[a * n + b] = 0.3 + 0.1 * (a as f64) - 0.07 * (b as f64);
                }
            }
        }
        let shocks: Vec<f64> = (0..n * 3).map(|k| ((k as f64) * 0.754_877_666).fract() * 4.0 - 2.0).collect();
        let factor = ColumnFactor::new(&l, n);
        let mut z = vec![f64::NAN; n];
        for t in 0..3 {
            factor.multiply(&shocks, 3, t, &mut z);
            for a in 0..n {
                let mut sum = 0.0;
                for b in 0..=a {
                    sum += l[a * n + b] * shocks[b * 3 + t];
                }
                assert_eq!(sum.to_bits(), z[a].to_bits(), "row {a}, year {t}");
            }
        }
    }
}
