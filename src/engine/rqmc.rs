//! Randomised quasi-Monte Carlo (`--sampling sobol`): scrambled Sobol' points in replicates.
//!
//! **Design.** The paths of a run are cut into replicates of `2^m` consecutive paths (`m ≤ 10`,
//! so a replicate never straddles a chunk of [`CHUNK`](super::CHUNK) paths or a shard). Within a
//! replicate, path `k` takes point `π(k)` of the first `2^m` points of Sobol' sequence (Joe–Kuo
//! direction numbers, as shipped by the `sobol_burley` crate), and every coordinate is
//! Owen-scrambled (nested uniform scrambling, by Burley's hash approximation: Burley 2020,
//! "Practical Hash-based Owen Scrambling", JCGT 9(4)) with a key of its own. Each indicator has
//! its own padded set of dimensions (Burley's "padding": the same Sobol' dimensions, a different
//! key and a nested-uniform shuffle `π` of the points, so different indicators' sets are only
//! randomly associated): its yearly shocks are dimensions `0, 1, …` of its shock set, its base
//! draw dimension 0 of its base set. The keys are a SplitMix64 mix of (seed, replicate, the
//! indicator's stream key), so, as for every other design, results do not depend on threads,
//! shards, or the other indicators of the model (common random numbers across variants).
//!
//! The 32 scrambled bits of a coordinate are extended to 53 by 21 bits hashed from the key and
//! the point (the digits a nested uniform scramble leaves uniform and independent), so every
//! uniform lies in the open interval (0, 1) and maps to a finite normal through Φ⁻¹.
//!
//! **Intervals.** Replicates are independently scrambled, so their hit fractions are independent
//! and each is unbiased: the variance of a probability is the spread of the replicate means
//! (the ratio estimator of [`GroupStats`](crate::summary::GroupStats)), and the interval uses
//! Student's t with R − 1 degrees of freedom. [`replicate_bits`] chooses `m` so that a run has at
//! least [`MIN_REPLICATES`] replicates (the largest `2^m ≤ paths / 32`, at most 1024): larger
//! replicates gain more from the Sobol' structure, more replicates make the interval sharper.

use sobol_burley::parts::{owen_scramble_rev, sobol_rev};

use super::rng::{splitmix64, stream_seed};
use crate::model::distribution::standard_normal_quantile;

/// Fewest replicates a run is cut into (when it has at least 32 paths).
pub const MIN_REPLICATES: u64 = 32;

/// Largest replicate: one chunk, `2^10` paths.
pub const MAX_REPLICATE_BITS: u8 = 10;

/// Salt separating the Sobol' keys from the independent streams' seeds.
const SOBOL_SALT: u64 = 0x736f_626f_6c5f_7271; // "sobol_rq"

/// Salt separating an indicator's base-value set from its shock set.
const BASE_SALT: u64 = 0x6261_7365_5f73_6574; // "base_set"

/// `m` for a run of `paths` paths: the largest `2^m ≤ paths / 32`, capped at `2^10` (0 for runs
/// of fewer than 64 paths, which are then plain Monte Carlo with one path per replicate).
pub fn replicate_bits(paths: u64) -> u8 {
    let per_replicate = (paths / MIN_REPLICATES).max(1);
    ((63 - per_replicate.leading_zeros()) as u8).min(MAX_REPLICATE_BITS)
}

/// One indicator's padded Sobol' set in one replicate.
#[derive(Debug, Clone, Copy)]
pub struct SobolSet {
    key: u64,
    /// The point of the replicate this path takes, bit-reversed (`sobol_burley`'s convention).
    index_rev: u32,
}

impl SobolSet {
    /// The set of the indicator with stream key `stream_key` for path `path` of a run seeded
    /// `seed` with replicates of `2^bits` paths; `base` chooses the base-value set.
    #[inline]
    pub fn new(seed: u64, path: u64, bits: u8, stream_key: u64, base: bool) -> Self {
        let replicate = path >> bits;
        let position = (path & ((1u64 << bits) - 1)) as u32;
        let salt = if base { SOBOL_SALT ^ BASE_SALT } else { SOBOL_SALT };
        let key = stream_seed(seed, replicate, stream_key ^ salt);
        // A nested uniform scramble of the position's bits is a permutation of 0..2^bits (its
        // top `bits` bits, reversed, depend only on the position): Burley's shuffle, kept inside
        // the replicate's first 2^bits points.
        let mask = !(u32::MAX >> bits);
        let index_rev = owen_scramble_rev(position.reverse_bits(), splitmix64(key) as u32) & mask;
        SobolSet { key, index_rev }
    }

    /// Coordinate `dimension` (< 256) of the path's point, scrambled: a uniform in (0, 1).
    #[inline]
    pub fn uniform(&self, dimension: u32) -> f64 {
        let dimension_key = splitmix64(self.key ^ u64::from(dimension + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let sobol = sobol_rev(self.index_rev, dimension);
        let high = owen_scramble_rev(sobol, dimension_key as u32).reverse_bits();
        let low = splitmix64(dimension_key ^ u64::from(self.index_rev)) >> 43;
        ((u64::from(high) << 21 | low) as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
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
                    let set = SobolSet::new(42, (replicate << bits) + k, bits, 12345, false);
                    std::array::from_fn(|d| set.uniform(d as u32))
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

    /// Different replicates, indicators and the base set are scrambled differently, and every
    /// uniform stays strictly inside (0, 1).
    #[test]
    fn keys_separate_replicates_indicators_and_base_draws() {
        let u = |path, key, base| SobolSet::new(1, path, 5, key, base).uniform(0);
        let a = u(3, 9, false);
        assert_eq!(a, u(3, 9, false));
        assert_ne!(a, u(3 + 32, 9, false));
        assert_ne!(a, u(3, 10, false));
        assert_ne!(a, u(3, 9, true));
        for path in 0..4096 {
            let x = SobolSet::new(path, path, 7, 0, false).uniform((path % 100) as u32);
            assert!(x > 0.0 && x < 1.0);
        }
    }
}
