//! Randomised quasi-Monte Carlo (`--sampling sobol`): scrambled Sobol' points in replicates.
//!
//! **Design.** The paths of a run are cut into replicates of `2^m` consecutive paths (`m ≤ 10`,
//! so a replicate never straddles a chunk of [`CHUNK`](super::CHUNK) paths or a shard). Within a
//! replicate, path `k` takes point `π(k)` of the first `2^m` points of Sobol' sequence (Joe–Kuo
//! direction numbers, as shipped by the `sobol_burley` crate), `π` a nested-uniform shuffle, and
//! every coordinate is Owen-scrambled (nested uniform scrambling, by Burley's hash approximation:
//! Burley 2020, "Practical Hash-based Owen Scrambling", JCGT 9(4)) with a key of its own. The
//! whole path is one point: [`Dimensions`] numbers the model's draws — every uncertain base, then
//! every stochastic indicator's yearly shocks, in declaration order — and dimensions beyond the
//! 256 the direction numbers cover are padded (Burley): dimension `d` is Sobol' dimension
//! `d mod 256` of a set shuffled and scrambled with keys of its own, so sets of 256 are
//! stratified within themselves and only randomly associated with each other. The keys are a
//! SplitMix64 mix of (seed, replicate, set, dimension), so results do not depend on threads or
//! shards; unlike the other designs, a point's dimensions follow the scenario's order, so adding
//! an indicator changes which numbers the others draw (not their distribution).
//!
//! The 32 scrambled bits of a coordinate are extended to 53 by 21 bits hashed from the key and
//! the point (the digits a nested uniform scramble leaves uniform and independent), so every
//! uniform lies in the open interval (0, 1) and maps to a finite normal through Φ⁻¹.
//!
//! **Why this scramble and not SALib's.** scipy (hence SALib) uses a random linear matrix
//! scramble plus a digital shift (Matoušek 1998). Its variance is the same as that of nested
//! uniform scrambling (Owen 2003, "Variance with alternative scramblings of digital nets"), and so
//! is its measured error: over 1 000 seeds at N = 4 096 and 16 384, the RMSE of Sobol' indices on
//! Ishigami and the G function under this scramble, a true nested uniform scramble, an LMS + shift
//! and scipy's all agree within their bootstrap intervals (`benches/compare-salib/scrambles.py`,
//! docs/analysis.md). The shape differs: a linear scramble's errors are usually ~3× smaller and
//! about 1% of them far larger (half the mean square error), a nested scramble's are close to
//! normal — what intervals from the spread of a few replicates rely on.
//!
//! **Intervals.** Replicates are independently scrambled, so their hit fractions are independent
//! and each is unbiased: the variance of a probability is the spread of the replicate means
//! (the ratio estimator of [`GroupStats`](crate::summary::GroupStats)), and the interval uses
//! Student's t with R − 1 degrees of freedom. [`replicate_bits`] chooses `m` so that a run has at
//! least [`MIN_REPLICATES`] replicates (the largest `2^m ≤ paths / 32`, at most 1024): larger
//! replicates gain more from the Sobol' structure, more replicates make the interval sharper.

use std::sync::OnceLock;

use sobol_burley::parts::{owen_scramble_rev, sobol_rev};

use super::rng::{splitmix64, stream_seed};
use crate::model::distribution::standard_normal_quantile;
use crate::model::{Base, Marginal, Model};

/// Fewest replicates a run is cut into (when it has at least 32 paths).
pub const MIN_REPLICATES: u64 = 32;

/// Largest replicate: one chunk, `2^10` paths.
pub const MAX_REPLICATE_BITS: u8 = 10;

/// Salt separating the Sobol' keys from the independent streams' seeds.
const SOBOL_SALT: u64 = 0x736f_626f_6c5f_7271; // "sobol_rq"

/// `m` for a run of `paths` paths: the largest `2^m ≤ paths / 32`, capped at `2^10` (0 for runs
/// of fewer than 64 paths, which are then plain Monte Carlo with one path per replicate).
pub fn replicate_bits(paths: u64) -> u8 {
    let per_replicate = (paths / MIN_REPLICATES).max(1);
    ((63 - per_replicate.leading_zeros()) as u8).min(MAX_REPLICATE_BITS)
}

/// Sobol' dimensions of a model's draws: every uncertain base (in declaration order), then every
/// stochastic indicator's shocks year by year (in `model.stochastic` order), and last the shocks
/// of indicators whose yearly draws are all fixed numbers (their normals move nothing, so the
/// best dimensions go to draws that matter).
#[derive(Debug, Clone, Default)]
pub struct Dimensions {
    /// Per indicator: the dimension of its base draw, and of its shock in the first projection
    /// year (its shock in year t is that + t − 1); `u32::MAX` where it has none.
    per_indicator: Vec<(u32, u32)>,
    count: u32,
}

impl Dimensions {
    pub fn new(model: &Model) -> Self {
        let n_proj = (model.n_years() - 1) as u32;
        let mut per_indicator = vec![(u32::MAX, u32::MAX); model.indicators.len()];
        let mut next = 0u32;
        for (i, indicator) in model.indicators.iter().enumerate() {
            if matches!(indicator.base, Base::Uncertain { .. }) {
                per_indicator[i].0 = next;
                next += 1;
            }
        }
        let fixed = |i: usize| {
            model.indicators[i]
                .process
                .shock()
                .is_some_and(|(marginals, _)| marginals.iter().all(|m| matches!(m, Marginal::Fixed { .. })))
        };
        for &i in model.stochastic.iter().filter(|&&i| !fixed(i)) {
            per_indicator[i].1 = next;
            next += n_proj;
        }
        let count = next;
        for &i in model.stochastic.iter().filter(|&&i| fixed(i)) {
            per_indicator[i].1 = next;
            next += n_proj;
        }
        Dimensions { per_indicator, count }
    }

    /// How many dimensions the model's draws that matter take (fixed shocks come after them):
    /// another point's draws may start there without sharing a dimension that moves anything.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The dimension of indicator `i`'s base draw.
    #[inline]
    pub fn base(&self, i: usize) -> u32 {
        self.per_indicator[i].0
    }

    /// The dimension of indicator `i`'s shock in projection year `t` (0-based).
    #[inline]
    pub fn shock(&self, i: usize, t: usize) -> u32 {
        self.per_indicator[i].1 + t as u32
    }
}

/// Dimensions per padded set: those `sobol_burley`'s direction numbers cover.
const SET_DIMENSIONS: u32 = 256;

/// Longest run of one scrambled Sobol' sequence: `sobol_burley` reads the first 16 bits of a
/// point's index, so its sequence has 2^16 distinct points.
pub const SEQUENCE_BITS: u8 = 16;

/// Blocks of one scrambled sequence that the `sobol` analysis cuts its N base samples into
/// (see [`sequence_blocks`]): the interval of an index is the spread of its estimates on these
/// blocks, with Student's t at 15 degrees of freedom.
pub const SEQUENCE_BLOCKS: u64 = 16;

/// `(replicate_bits, shared_bits)` for the one-sequence design of `feasim sobol` at N = `paths`:
/// blocks of `2^replicate_bits` consecutive paths, the largest power of two with at least
/// [`SEQUENCE_BLOCKS`] blocks in the run, and `2^shared_bits` consecutive blocks sharing one
/// scrambling, so that a sequence is [`SEQUENCE_BITS`] bits long: up to 65 536 paths the run is
/// the first N points of ONE scrambled Sobol' sequence, beyond that consecutive runs of 65 536
/// points, each independently scrambled.
pub fn sequence_blocks(paths: u64) -> (u8, u8) {
    let per_block = (paths / SEQUENCE_BLOCKS).max(1);
    let cap = SEQUENCE_BITS - SEQUENCE_BLOCKS.trailing_zeros() as u8;
    let bits = ((63 - per_block.leading_zeros()) as u8).min(cap);
    (bits, SEQUENCE_BITS - bits)
}

/// `sobol_burley`'s direction vectors, bit-reversed, per dimension: `[d][k]` is the point of
/// dimension `d` whose index has only bit `k` set (bit 0 the highest of the 16 the crate reads).
fn directions() -> &'static [[u32; 16]] {
    static DIRECTIONS: OnceLock<Vec<[u32; 16]>> = OnceLock::new();
    DIRECTIONS
        .get_or_init(|| (0..SET_DIMENSIONS).map(|d| std::array::from_fn(|k| sobol_rev(0x8000_0000 >> k, d))).collect())
}

/// Coordinate `within` of the point with shuffled index `index_rev` in the padded set keyed
/// `key` (`vectors`: that dimension's direction vectors): the Sobol' digits Owen-scrambled with
/// the dimension's own key, extended to 53 bits by hashed digits, as a uniform in (0, 1).
#[inline(always)]
fn scrambled(key: u64, index_rev: u32, within: u32, vectors: &[u32; 16]) -> f64 {
    let dimension_key = splitmix64(key ^ u64::from(within + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9));
    let mut sobol = 0u32;
    for (k, &v) in vectors.iter().enumerate() {
        sobol ^= v & 0u32.wrapping_sub((index_rev >> (31 - k)) & 1);
    }
    let high = owen_scramble_rev(sobol, dimension_key as u32).reverse_bits();
    let low = splitmix64(dimension_key ^ u64::from(index_rev)) >> 43;
    // Below 2^53, so converted exactly through i64 (one instruction on every x86-64).
    (((u64::from(high) << 21 | low) as i64) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}

/// One path's scrambled Sobol' point.
#[derive(Debug, Clone, Copy, Default)]
pub struct SobolPoint {
    seed: u64,
    /// The independently scrambled point set the path belongs to: its replicate, or under shared
    /// scrambling its group of `2^shared_bits` replicates.
    replicate: u64,
    /// Position of the path in its replicate, bit-reversed (`sobol_burley`'s convention).
    position_rev: u32,
    /// The top `bits` bits: the points of one replicate.
    mask: u32,
    /// The index bits above the replicate's (its place in its group of replicates sharing one
    /// scrambling), bit-reversed; 0 without shared scrambling.
    block_rev: u32,
    /// The key and the shuffled index of the first padded set (dimensions 0..256, all a model
    /// has unless it draws more), computed once for the point rather than per coordinate.
    first_set: (u64, u32),
}

impl SobolPoint {
    /// The point of path `path` of a run seeded `seed` with replicates of `2^bits` paths, each
    /// replicate scrambled independently.
    #[inline]
    pub fn new(seed: u64, path: u64, bits: u8) -> Self {
        Self::shared(seed, path, bits, 0)
    }

    /// The point of path `path` when groups of `2^shared_bits` consecutive replicates of `2^bits`
    /// paths share one scrambling: replicate `r` of a group takes points `r·2^bits ..
    /// (r + 1)·2^bits` of ONE scrambled sequence (a scrambled net of its own, and together with
    /// the group's other replicates the first points of the sequence). `bits + shared_bits ≤
    /// 16` ([`SEQUENCE_BITS`]); `shared_bits = 0` is [`new`](Self::new).
    #[inline]
    pub fn shared(seed: u64, path: u64, bits: u8, shared_bits: u8) -> Self {
        debug_assert!(bits + shared_bits <= SEQUENCE_BITS || shared_bits == 0);
        let position = (path & ((1u64 << bits) - 1)) as u32;
        let replicate = path >> bits;
        let block = (replicate & ((1u64 << shared_bits) - 1)) as u32;
        let mut point = SobolPoint {
            seed,
            replicate: replicate >> shared_bits,
            position_rev: position.reverse_bits(),
            mask: !(u32::MAX >> bits),
            block_rev: (block << bits).reverse_bits(),
            first_set: (0, 0),
        };
        point.first_set = point.set(0);
        point
    }

    /// The key of padded set `set` for this point's replicate, and the point's shuffled index in
    /// that set.
    #[inline(always)]
    fn set(&self, set: u64) -> (u64, u32) {
        let key = stream_seed(self.seed, self.replicate, SOBOL_SALT ^ set.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // A nested uniform scramble of the position's bits is a permutation of 0..2^bits (its
        // top `bits` bits, reversed, depend only on the position's): Burley's shuffle, kept
        // inside the replicate's 2^bits points, one per set; under shared scrambling the
        // replicate's points are those of its block of the sequence (`block_rev`, the index's
        // higher bits).
        let index_rev = (owen_scramble_rev(self.position_rev, splitmix64(key) as u32) & self.mask) | self.block_rev;
        (key, index_rev)
    }

    /// Coordinate `dimension` of the point, scrambled: a uniform in (0, 1).
    #[inline]
    pub fn uniform(&self, dimension: u32) -> f64 {
        let set = dimension / SET_DIMENSIONS;
        let (key, index_rev) = if set == 0 { self.first_set } else { self.set(u64::from(set)) };
        let within = dimension % SET_DIMENSIONS;
        scrambled(key, index_rev, within, &directions()[within as usize])
    }

    /// [`uniform`](Self::uniform) of every point of a column in one dimension, into `out`: the
    /// same bits, in one branch-free loop over the points, which vectorises.
    #[inline(always)]
    pub fn uniform_column(points: &[SobolPoint], dimension: u32, out: &mut [f64]) {
        let (set, within) = (dimension / SET_DIMENSIONS, dimension % SET_DIMENSIONS);
        let vectors = &directions()[within as usize];
        if set == 0 {
            for (o, point) in out.iter_mut().zip(points) {
                *o = scrambled(point.first_set.0, point.first_set.1, within, vectors);
            }
        } else {
            // Beyond the first 256 dimensions the set's key and index are made per coordinate.
            for (o, point) in out.iter_mut().zip(points) {
                let (key, index_rev) = point.set(u64::from(set));
                *o = scrambled(key, index_rev, within, vectors);
            }
        }
    }

    /// [`uniform`](Self::uniform) through Φ⁻¹: a standard normal.
    #[inline]
    pub fn normal(&self, dimension: u32) -> f64 {
        standard_normal_quantile(self.uniform(dimension))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The coordinate as it was computed before the per-point set cache and the direction
    /// table (straight from `sobol_burley`): the same bits.
    fn uniform_reference(point: &SobolPoint, dimension: u32) -> f64 {
        let set = u64::from(dimension / SET_DIMENSIONS);
        let key = stream_seed(point.seed, point.replicate, SOBOL_SALT ^ set.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let index_rev = (owen_scramble_rev(point.position_rev, splitmix64(key) as u32) & point.mask) | point.block_rev;
        let within = dimension % SET_DIMENSIONS;
        let dimension_key = splitmix64(key ^ u64::from(within + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9));
        let sobol = sobol_rev(index_rev, within);
        let high = owen_scramble_rev(sobol, dimension_key as u32).reverse_bits();
        let low = splitmix64(dimension_key ^ u64::from(index_rev)) >> 43;
        ((u64::from(high) << 21 | low) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
    }

    #[test]
    fn cached_sets_and_direction_table_give_the_crates_bits() {
        // `scrambled`'s digital construction from the table is `sobol_rev`: with the scramble
        // keyed 0 both sides, equal uniforms mean equal Sobol' digits.
        for d in 0..SET_DIMENSIONS {
            for index_rev in [0u32, u32::MAX, 0x8000_0000, 0x0001_0000, 0xffff, 0x1234_5678, 0xdead_beef, 0xa5a5_0000] {
                let key = 0x51ed_270b_27ad_c3e5;
                let dimension_key = splitmix64(key ^ u64::from(d + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9));
                let high = owen_scramble_rev(sobol_rev(index_rev, d), dimension_key as u32).reverse_bits();
                let low = splitmix64(dimension_key ^ u64::from(index_rev)) >> 43;
                let want = ((u64::from(high) << 21 | low) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64);
                let got = scrambled(key, index_rev, d, &directions()[d as usize]);
                assert_eq!(got.to_bits(), want.to_bits(), "dimension {d}, index {index_rev:x}");
            }
        }
        for (seed, path, bits, shared) in [(1u64, 0u64, 10u8, 0u8), (7, 123_456, 6, 4), (42, 1023, 10, 6), (3, 5, 0, 0)]
        {
            for p in path..path + 70 {
                let point = SobolPoint::shared(seed, p, bits, shared);
                for d in (0..600).step_by(7).chain([255, 256, 511, 512]) {
                    assert_eq!(point.uniform(d).to_bits(), uniform_reference(&point, d).to_bits(), "{p} {d}");
                }
            }
            // Columns of every length, in and beyond the first set.
            let points: Vec<SobolPoint> =
                (path..path + 70).map(|p| SobolPoint::shared(seed, p, bits, shared)).collect();
            for d in [0u32, 1, 100, 255, 256, 300] {
                for len in [1usize, 7, 64, 70] {
                    let mut column = vec![0.0; len];
                    SobolPoint::uniform_column(&points[..len], d, &mut column);
                    for (point, &u) in points.iter().zip(&column) {
                        assert_eq!(u.to_bits(), uniform_reference(point, d).to_bits(), "column, dimension {d}");
                    }
                }
            }
        }
    }

    #[test]
    fn replicates_are_at_least_32_and_at_most_a_chunk() {
        assert_eq!(replicate_bits(1), 0);
        assert_eq!(replicate_bits(63), 0);
        assert_eq!(replicate_bits(64), 1);
        assert_eq!(replicate_bits(1025), 5);
        assert_eq!(replicate_bits(2048), 6);
        assert_eq!(replicate_bits(5120), 7);
        assert_eq!(replicate_bits(16_384), 9);
        assert_eq!(replicate_bits(32_768), 10);
        assert_eq!(replicate_bits(u64::MAX), 10);
        for paths in [64, 100, 1025, 5000, 40_000, 1 << 20] {
            assert!(paths >> replicate_bits(paths) >= MIN_REPLICATES, "{paths}");
        }
    }

    /// A replicate is a scrambled (t, m, s)-net: in every dimension each of 1024 equal intervals
    /// holds one point, and so does each of 32 × 32 squares in the first two dimensions (a
    /// (0, m, 2)-net).
    #[test]
    fn a_replicate_is_stratified_in_every_dimension_and_in_pairs() {
        let bits = 10;
        for replicate in [0u64, 7] {
            let points: Vec<[f64; 6]> = (0..1024)
                .map(|k| {
                    let point = SobolPoint::new(42, (replicate << bits) + k, bits);
                    std::array::from_fn(|d| point.uniform(if d < 5 { d as u32 } else { 300 }))
                })
                .collect();
            for d in 0..6 {
                let mut strata = vec![0; 1024];
                points.iter().for_each(|p| strata[(p[d] * 1024.0) as usize] += 1);
                assert!(strata.iter().all(|&c| c == 1), "dimension {d}");
            }
            let mut cells = vec![0; 1024];
            points.iter().for_each(|p| cells[(p[0] * 32.0) as usize * 32 + (p[1] * 32.0) as usize] += 1);
            assert!(cells.iter().all(|&c| c == 1), "dimensions 0 and 1");
        }
    }

    /// Under shared scrambling (`feasim sobol`'s design) consecutive replicates are blocks of one
    /// scrambled sequence: each block of 64 paths is a net of its own (one point in each of 64
    /// intervals), and 16 blocks together are one net of 1024 points (one in each of 1024
    /// intervals, and in each of 32 × 32 squares of the first two dimensions); the next 1024 paths
    /// are a new sequence, and with `shared_bits = 0` this is the independent design.
    #[test]
    fn shared_blocks_are_one_scrambled_sequence() {
        let (bits, shared) = (6u8, 4u8);
        let u = |path: u64, d: u32| SobolPoint::shared(3, path, bits, shared).uniform(d);
        for d in [0u32, 1, 7, 300] {
            let mut strata = vec![0; 1024];
            (0..1024).for_each(|path| strata[(u(path, d) * 1024.0) as usize] += 1);
            assert!(strata.iter().all(|&c| c == 1), "dimension {d}");
            for block in 0..16u64 {
                let mut strata = vec![0; 64];
                (block * 64..(block + 1) * 64).for_each(|path| strata[(u(path, d) * 64.0) as usize] += 1);
                assert!(strata.iter().all(|&c| c == 1), "dimension {d}, block {block}");
            }
        }
        let mut cells = vec![0; 1024];
        (0..1024).for_each(|path| cells[(u(path, 0) * 32.0) as usize * 32 + (u(path, 1) * 32.0) as usize] += 1);
        assert!(cells.iter().all(|&c| c == 1), "dimensions 0 and 1");
        // Paths 1024.. start a new, independently scrambled sequence (2^(bits + shared) points
        // each): a net of its own, but not together with the first.
        let mut strata = vec![0; 1024];
        (1024..2048).for_each(|path| strata[(u(path, 0) * 1024.0) as usize] += 1);
        assert!(strata.iter().all(|&c| c == 1), "second sequence");
        let mut strata = vec![0; 2048];
        (0..2048).for_each(|path| strata[(u(path, 0) * 2048.0) as usize] += 1);
        assert!(strata.iter().any(|&c| c != 1), "two sequences");
        // Independent replicates (shared_bits = 0): 16 replicates of 64 are not one net.
        let mut strata = vec![0; 1024];
        (0..1024).for_each(|path| strata[(SobolPoint::new(3, path, bits).uniform(0) * 1024.0) as usize] += 1);
        assert!(strata.iter().any(|&c| c != 1), "independent replicates");
        assert_eq!(SobolPoint::shared(3, 70, bits, 0).uniform(5), SobolPoint::new(3, 70, bits).uniform(5));
    }

    #[test]
    fn sequence_blocks_are_at_least_16_and_a_sequence_is_65536_points() {
        assert_eq!(sequence_blocks(1), (0, 16));
        assert_eq!(sequence_blocks(4096), (8, 8));
        assert_eq!(sequence_blocks(10_000), (9, 7));
        assert_eq!(sequence_blocks(1 << 16), (12, 4));
        assert_eq!(sequence_blocks(1 << 20), (12, 4));
        for paths in [16, 100, 4096, 10_000, 1 << 20] {
            let (bits, shared) = sequence_blocks(paths);
            assert!(paths >> bits >= SEQUENCE_BLOCKS && bits + shared == SEQUENCE_BITS, "{paths}");
        }
    }

    /// Different seeds, replicates and padded sets are scrambled differently, and every uniform
    /// stays strictly inside (0, 1).
    #[test]
    fn keys_separate_seeds_replicates_and_sets() {
        let u = |seed, path, dimension| SobolPoint::new(seed, path, 5).uniform(dimension);
        let a = u(1, 3, 0);
        assert_eq!(a, u(1, 3, 0));
        assert_ne!(a, u(2, 3, 0));
        assert_ne!(a, u(1, 3 + 32, 0));
        assert_ne!(a, u(1, 3, 256));
        for path in 0..4096 {
            let x = SobolPoint::new(path, path, 7).uniform((path % 600) as u32);
            assert!(x > 0.0 && x < 1.0);
        }
    }
}
