//! Random streams keyed by (seed, path, indicator).
//!
//! Every indicator draws from its own stream on every path. The stream's seed is a SplitMix64
//! (Steele, Lea & Flood 2014) mix of the run seed, the path index and a hash of the indicator id,
//! and the stream itself is Xoshiro256++ (Blackman & Vigna 2021). Consequences:
//! - results do not depend on which thread or machine simulates a path;
//! - adding, removing or reordering an indicator leaves every other indicator's draws unchanged;
//! - two runs with different assumptions but the same seed share their random numbers
//!   (common random numbers), so their difference is due to the assumptions.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator behind every stream.
pub type Stream = Xoshiro256PlusPlus;

/// Salt that separates an indicator's base-value stream from its yearly-shock stream.
const BASE_SALT: u64 = 0x6261_7365_5f76_616c; // "base_val"

/// SplitMix64 finaliser: a bijective 64-bit mix.
#[inline]
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Seed of the stream for `key` on `path` of a run seeded with `seed`.
#[inline]
pub fn stream_seed(seed: u64, path: u64, key: u64) -> u64 {
    splitmix64(path_key(seed, path) ^ key)
}

/// The part of [`stream_seed`] shared by every indicator of a path (computed once per path).
#[inline]
pub fn path_key(seed: u64, path: u64) -> u64 {
    splitmix64(splitmix64(seed) ^ path)
}

/// [`shock_stream`] from a precomputed [`path_key`].
#[inline]
pub fn shock_stream_keyed(path_key: u64, key: u64) -> Stream {
    Stream::seed_from_u64(shock_stream_seed(path_key, key))
}

/// The `seed_from_u64` seed of [`shock_stream_keyed`]`(path_key, key)`.
#[inline]
pub fn shock_stream_seed(path_key: u64, key: u64) -> u64 {
    splitmix64(path_key ^ key)
}

/// The yearly-shock stream of the indicator with stream key `key` on `path`.
#[inline]
pub fn shock_stream(seed: u64, path: u64, key: u64) -> Stream {
    Stream::seed_from_u64(stream_seed(seed, path, key))
}

/// The base-value stream (for uncertain base values) of the indicator with key `key`.
#[inline]
pub fn base_stream(seed: u64, path: u64, key: u64) -> Stream {
    Stream::seed_from_u64(stream_seed(seed, path, key ^ BASE_SALT))
}

/// The `seed_from_u64` seed of [`base_stream`]`(seed, path, key)` from its precomputed
/// [`path_key`]`(seed, path)` (the block engine seeds a block's base streams side by side).
#[inline]
pub fn base_stream_seed(path_key: u64, key: u64) -> u64 {
    splitmix64(path_key ^ key ^ BASE_SALT)
}

/// Dimension key of year `t`'s shock of the indicator with stream key `key` (Latin hypercube).
#[inline]
pub fn shock_dimension(key: u64, t: usize) -> u64 {
    splitmix64(key ^ (t as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// Dimension key of the base draw of the indicator with stream key `key` (Latin hypercube).
#[inline]
pub fn base_dimension(key: u64) -> u64 {
    splitmix64(key ^ BASE_SALT)
}

/// A keyed bijection of 0..1024: a 6-round balanced Feistel network on two 5-bit halves with
/// SplitMix64 round functions. Different keys give (pseudo-)independent permutations.
#[inline]
pub fn permute_10_bits(key: u64, x: u64) -> u64 {
    feistel(key, x, 5)
}

/// A keyed bijection of 0..2^`bits` (`bits` ≤ 10, the strata of a Latin hypercube block of
/// 2^`bits` paths). An even width is the balanced Feistel network of [`permute_10_bits`] on two
/// halves of `bits/2` (the same function at 10 bits); an odd width walks the cycle of the
/// network on `bits + 1` until it lands inside the range (Black & Rogaway 2002, "cycle walking":
/// a bijection of the smaller set, two steps on average).
#[inline]
pub fn permute_bits(key: u64, x: u64, bits: u32) -> u64 {
    debug_assert!(bits <= 10 && x < 1 << bits);
    match bits {
        0 => 0,
        _ if bits % 2 == 0 => feistel(key, x, bits / 2),
        _ => {
            let mut y = feistel(key, x, bits.div_ceil(2));
            while y >> bits != 0 {
                y = feistel(key, y, bits.div_ceil(2));
            }
            y
        }
    }
}

/// [`permute_bits`]`(keys[j], xs[j], bits)` into `out[j]`: the network for every lane in one
/// branch-free loop (it vectorises), then the cycle walk of an odd width for the lanes that
/// landed outside the range. The same values.
#[inline(always)]
pub fn permute_bits_column(keys: &[u64], xs: &[u64], bits: u32, out: &mut [u64]) {
    debug_assert!(bits <= 10 && xs.iter().all(|&x| x < 1 << bits));
    if bits == 0 {
        out.fill(0);
        return;
    }
    let half = bits.div_ceil(2);
    for ((o, &key), &x) in out.iter_mut().zip(keys).zip(xs) {
        *o = feistel(key, x, half);
    }
    if bits % 2 == 1 {
        for (o, &key) in out.iter_mut().zip(keys) {
            while *o >> bits != 0 {
                *o = feistel(key, *o, half);
            }
        }
    }
}

/// The 6-round balanced Feistel network on two halves of `half` bits.
#[inline(always)]
fn feistel(key: u64, x: u64, half: u32) -> u64 {
    let mask = (1u64 << half) - 1;
    let (mut left, mut right) = (x >> half & mask, x & mask);
    for round in 0..6u64 {
        let f = splitmix64(key ^ (round << 56) ^ right) & mask;
        (left, right) = (right, left ^ f);
    }
    left << half | right
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_columns_are_permute_bits() {
        let keys: Vec<u64> = (0..70u64).map(|j| splitmix64(j ^ 0xabc)).collect();
        for bits in 0..=10u32 {
            let xs: Vec<u64> = (0..70u64).map(|j| splitmix64(j) & ((1 << bits) - 1)).collect();
            for len in [1usize, 5, 64, 70] {
                let mut out = vec![u64::MAX; len];
                permute_bits_column(&keys[..len], &xs[..len], bits, &mut out);
                for j in 0..len {
                    assert_eq!(out[j], permute_bits(keys[j], xs[j], bits), "bits {bits}, lane {j}");
                }
            }
        }
    }
    use rand::RngExt;

    #[test]
    fn streams_differ_by_every_coordinate_and_repeat_exactly() {
        let draw = |seed, path, key| shock_stream(seed, path, key).random::<u64>();
        let a = draw(1, 2, 3);
        assert_eq!(a, draw(1, 2, 3));
        assert_ne!(a, draw(2, 2, 3));
        assert_ne!(a, draw(1, 3, 3));
        assert_ne!(a, draw(1, 2, 4));
        assert_ne!(shock_stream(1, 2, 3).random::<u64>(), base_stream(1, 2, 3).random::<u64>());
        assert_eq!(a, shock_stream_keyed(path_key(1, 2), 3).random::<u64>());
        assert_eq!(
            base_stream(1, 2, 3).random::<u64>(),
            Stream::seed_from_u64(base_stream_seed(path_key(1, 2), 3)).random::<u64>()
        );
    }

    #[test]
    fn feistel_is_a_permutation_of_1024() {
        for key in [0, 1, 0xdead_beef, u64::MAX] {
            let mut seen = vec![false; 1024];
            for x in 0..1024 {
                let y = permute_10_bits(key, x) as usize;
                assert!(y < 1024 && !seen[y], "key {key}: {x} → {y} repeats");
                seen[y] = true;
            }
        }
        assert_ne!(
            (0..16).map(|x| permute_10_bits(1, x)).collect::<Vec<_>>(),
            (0..16).map(|x| permute_10_bits(2, x)).collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_width_is_a_permutation_and_ten_bits_is_the_original() {
        for bits in 0..=10u32 {
            for key in [0, 7, 0xdead_beef, u64::MAX] {
                let mut seen = vec![false; 1 << bits];
                for x in 0..1u64 << bits {
                    let y = permute_bits(key, x, bits) as usize;
                    assert!(y < 1 << bits && !seen[y], "{bits} bits, key {key}: {x} → {y}");
                    seen[y] = true;
                }
            }
        }
        for x in 0..1024 {
            assert_eq!(permute_bits(42, x, 10), permute_10_bits(42, x));
        }
        // The Feistel network at 10 bits as first written (the bits of every Latin hypercube run
        // of at least 32 768 paths depend on it).
        let original = |key: u64, x: u64| {
            let (mut left, mut right) = (x >> 5 & 31, x & 31);
            for round in 0..6u64 {
                let f = splitmix64(key ^ (round << 56) ^ right) & 31;
                (left, right) = (right, left ^ f);
            }
            left << 5 | right
        };
        assert!((0..1024).all(|x| permute_10_bits(9, x) == original(9, x)));
    }

    #[test]
    fn splitmix_reference_values() {
        // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation): the
        // generator state advances by the golden gamma, so output k = mix(k·gamma).
        assert_eq!(splitmix64(0), 0xe220_a839_7b1d_cdaf);
        assert_eq!(splitmix64(0x9e37_79b9_7f4a_7c15), 0x6e78_9e6a_a1b9_65f4);
    }
}
