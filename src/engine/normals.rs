//! Standard normals for a block of paths at once, bit-identical to drawing them one stream at a
//! time with `rand_distr::StandardNormal` from `rand_xoshiro::Xoshiro256PlusPlus`.
//!
//! Every path of a block has its own stream for each indicator ([`super::rng`]). Drawn one at a
//! time, a stream's draws form a serial chain (seed, generator step, ziggurat test) that leaves
//! most of the CPU idle. Here the [`LANES`] streams of a block advance side by side in
//! structure-of-arrays form, so seeding (SplitMix64) and the generator steps are vectorised and
//! the ziggurat's fast path (taken by about 98.8% of draws) is a column operation. A lane whose
//! draw fails the fast test finishes it with the same code as `rand_distr` (the wedge test, the
//! tail algorithm, or a fresh draw), through a `Xoshiro256PlusPlus` rebuilt from the lane's
//! state and written back. So each stream yields exactly the numbers it yields alone (tested
//! against `rand_distr` over two million draws, rejections and tail draws included), and this is
//! only a faster way to compute them.

use super::block::LANES;
use super::rng::splitmix64;
use super::ziggurat_tables::{ZIG_NORM_F, ZIG_NORM_R, ZIG_NORM_X};

const GOLDEN_GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The Xoshiro256++ states of a block's streams, word by word.
///
/// Aligned to a cache line, so that each vector of a word's lanes is one line: at the alignment
/// of `u64`, seven of every eight 64-byte loads and stores of the states were split across two
/// lines, and one load in the generator step held 5.5% of the reference scenario's samples.
#[derive(Debug, Clone)]
#[repr(C, align(64))]
pub struct LaneStreams {
    s: [[u64; LANES]; 4],
}

impl Default for LaneStreams {
    fn default() -> Self {
        LaneStreams { s: [[0; LANES]; 4] }
    }
}

impl LaneStreams {
    /// Seed every lane as `Xoshiro256PlusPlus::seed_from_u64(seeds[lane])` does: the four state
    /// words are the first four outputs of SplitMix64 started at the seed.
    #[inline(always)]
    pub fn seed(&mut self, seeds: &[u64; LANES]) {
        for (w, word) in self.s.iter_mut().enumerate() {
            let offset = (w as u64).wrapping_mul(GOLDEN_GAMMA);
            for (x, &seed) in word.iter_mut().zip(seeds) {
                *x = splitmix64(seed.wrapping_add(offset));
            }
        }
    }

    /// The next 64-bit output of every lane's stream (`Xoshiro256PlusPlus::next_u64`).
    #[inline(always)]
    pub fn next_u64s(&mut self, out: &mut [u64; LANES]) {
        self.step(out);
    }

    /// One standard normal from each of the first `len` lanes' streams into `out`.
    #[inline(always)]
    pub fn next_normals(&mut self, len: usize, out: &mut [f64; LANES]) {
        let mut bits = [0u64; LANES];
        self.step(&mut bits);
        // The lanes that fail the fast test, as bits of one word: folded in the same loop, it
        // stays in registers. (A `[bool; LANES]` written byte by byte and read back by one
        // 64-byte load for the "any" test stalled on store forwarding: 7.3% of the reference
        // scenario's samples sat on that test.)
        let mut slow = 0u64;
        for j in 0..LANES {
            let b = bits[j];
            let i = (b & 0xff) as usize;
            let u = f64::from_bits((1024u64 << 52) | (b >> 12)) - 3.0;
            let x = u * ZIG_NORM_X[i];
            out[j] = x;
            slow |= u64::from(x.abs() >= ZIG_NORM_X[i + 1]) << j;
        }
        // Only the first `len` lanes are finished (the others' streams stay untouched).
        let mut slow = slow & lane_mask(len);
        while slow != 0 {
            let j = slow.trailing_zeros() as usize;
            out[j] = self.finish(j, bits[j]);
            slow &= slow - 1;
        }
    }

    /// Advance every lane's Xoshiro256++ by one step, its output into `out`.
    #[inline(always)]
    fn step(&mut self, out: &mut [u64; LANES]) {
        let [s0, s1, s2, s3] = &mut self.s;
        for j in 0..LANES {
            out[j] = s0[j].wrapping_add(s3[j]).rotate_left(23).wrapping_add(s0[j]);
            let t = s1[j] << 17;
            s2[j] ^= s0[j];
            s3[j] ^= s1[j];
            s1[j] ^= s2[j];
            s0[j] ^= s3[j];
            s2[j] ^= t;
            s3[j] = s3[j].rotate_left(45);
        }
    }

    /// The rest of `rand_distr`'s ziggurat loop for lane `j`, whose first word `bits` failed the
    /// fast test, on the lane's generator taken out of the block (and put back).
    #[cold]
    fn finish(&mut self, j: usize, bits: u64) -> f64 {
        let mut lane = Lane::take(self, j);
        let value = lane.normal_after(bits);
        for (word, &x) in self.s.iter_mut().zip(&lane.s) {
            word[j] = x;
        }
        value
    }
}

/// One lane's Xoshiro256++ as a scalar generator: the numbers `Xoshiro256PlusPlus` gives from the
/// same state, and `rand`'s and `rand_distr`'s conversions of them written out, so that a slow
/// draw works on four words in registers. (It used to rebuild a `Xoshiro256PlusPlus` from 32 seed
/// bytes and write its state back through bytes: the 16-byte reloads of the 8-byte stores
/// stalled on store forwarding, and `finish` took 6.2% of the reference scenario's samples for
/// 3.4% of its instructions.) Tested against `rand_xoshiro` and `rand_distr` below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lane {
    s: [u64; 4],
}

impl Lane {
    /// Lane `j`'s state, as `Xoshiro256PlusPlus::from_seed` of its bytes would have it: an
    /// all-zero state (a fixed point of the generator) becomes `seed_from_u64(0)`'s. No seeded
    /// lane is ever all zero (the four SplitMix64 outputs of one seed are distinct, and a step
    /// maps a non-zero state to a non-zero state), so this is only `from_seed`'s rule kept exact.
    #[inline(always)]
    fn take(lanes: &LaneStreams, j: usize) -> Lane {
        let s = [lanes.s[0][j], lanes.s[1][j], lanes.s[2][j], lanes.s[3][j]];
        if s == [0; 4] {
            return Lane { s: [0, 1, 2, 3].map(|w: u64| splitmix64(w.wrapping_mul(GOLDEN_GAMMA))) };
        }
        Lane { s }
    }

    /// `Xoshiro256PlusPlus::next_u64` (the step of [`LaneStreams::step`]).
    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        let [s0, s1, s2, s3] = &mut self.s;
        let out = s0.wrapping_add(*s3).rotate_left(23).wrapping_add(*s0);
        let t = *s1 << 17;
        *s2 ^= *s0;
        *s3 ^= *s1;
        *s1 ^= *s2;
        *s0 ^= *s3;
        *s2 ^= t;
        *s3 = s3.rotate_left(45);
        out
    }

    /// `rand`'s `random::<f64>()` (`StandardUniform`): the top 53 bits times 2⁻⁵³, in [0, 1).
    #[inline(always)]
    fn uniform(&mut self) -> f64 {
        let scale = 1.0 / (1u64 << 53) as f64;
        scale * (self.next_u64() >> 11) as f64
    }

    /// `rand`'s `Open01` for `f64`: the top 52 bits as the fraction of a number in [1, 2), minus
    /// 1 − ε/2, in (0, 1).
    #[inline(always)]
    fn open01(&mut self) -> f64 {
        f64::from_bits((self.next_u64() >> 12) | (1023u64 << 52)) - (1.0 - f64::EPSILON / 2.0)
    }

    /// `rand_distr`'s `StandardNormal` (its `utils::ziggurat`, symmetric, with the normal's
    /// tables, density and tail), verbatim, from the loop's first word `bits` on.
    fn normal_after(&mut self, mut bits: u64) -> f64 {
        loop {
            let i = (bits & 0xff) as usize;
            let u = f64::from_bits((1024u64 << 52) | (bits >> 12)) - 3.0;
            let x = u * ZIG_NORM_X[i];
            if x.abs() < ZIG_NORM_X[i + 1] {
                return x;
            }
            if i == 0 {
                return self.zero_case(u);
            }
            if ZIG_NORM_F[i + 1] + (ZIG_NORM_F[i] - ZIG_NORM_F[i + 1]) * self.uniform() < pdf(x) {
                return x;
            }
            bits = self.next_u64();
        }
    }

    /// `rand_distr`'s tail draw (the bottom layer of the ziggurat), verbatim.
    fn zero_case(&mut self, u: f64) -> f64 {
        let mut x = 1.0f64;
        let mut y = 0.0f64;
        while -2.0 * y < x * x {
            let x_ = self.open01();
            let y_ = self.open01();
            x = x_.ln() / ZIG_NORM_R;
            y = y_.ln();
        }
        if u < 0.0 { x - ZIG_NORM_R } else { ZIG_NORM_R - x }
    }
}

/// The bits of lanes `0..len`.
#[inline(always)]
fn lane_mask(len: usize) -> u64 {
    const { assert!(LANES == 64) };
    if len >= LANES { u64::MAX } else { (1u64 << len) - 1 }
}

/// `rand_distr`'s normal density up to a constant.
#[inline]
fn pdf(x: f64) -> f64 {
    (-x * x / 2.0).exp()
}

#[cfg(test)]
mod tests {
    use rand::{Rng, RngExt, SeedableRng, distr::Open01};
    use rand_distr::{Distribution, StandardNormal};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;

    #[test]
    fn seeding_matches_rand_xoshiro() {
        let mut seeds = [0u64; LANES];
        for (j, s) in seeds.iter_mut().enumerate() {
            *s = splitmix64(j as u64 * 7919);
        }
        seeds[3] = 0;
        seeds[4] = u64::MAX;
        let mut lanes = LaneStreams::default();
        lanes.seed(&seeds);
        for (j, &seed) in seeds.iter().enumerate() {
            let state = Xoshiro256PlusPlus::seed_from_u64(seed).state();
            for w in 0..4 {
                assert_eq!(lanes.s[w][j].to_le_bytes(), state[w * 8..(w + 1) * 8], "lane {j}, word {w}");
            }
        }
    }

    /// About 2·10⁶ draws (2048 blocks of up to 64 streams, 16 draws each) against rand_distr,
    /// bit for bit: the fast path, the wedge test and the tail all occur (counted), and partial
    /// blocks leave the unused lanes' streams untouched by rejections.
    #[test]
    fn block_draws_equal_rand_distr_bit_for_bit() {
        let draws_per_stream = 16;
        let (mut slow, mut tail) = (0, 0);
        let mut lanes = LaneStreams::default();
        let mut out = [0.0; LANES];
        for block in 0..2048u64 {
            let len = if block % 7 == 3 { 1 + (block as usize % LANES) } else { LANES };
            let mut seeds = [0u64; LANES];
            for (j, s) in seeds.iter_mut().enumerate() {
                *s = splitmix64(block * LANES as u64 + j as u64);
            }
            lanes.seed(&seeds);
            let mut reference: Vec<Xoshiro256PlusPlus> =
                seeds[..len].iter().map(|&s| Xoshiro256PlusPlus::seed_from_u64(s)).collect();
            for _ in 0..draws_per_stream {
                lanes.next_normals(len, &mut out);
                for (j, rng) in reference.iter_mut().enumerate() {
                    let probe = rng.clone().next_u64();
                    let i = (probe & 0xff) as usize;
                    let u = f64::from_bits((1024u64 << 52) | (probe >> 12)) - 3.0;
                    if (u * ZIG_NORM_X[i]).abs() >= ZIG_NORM_X[i + 1] {
                        slow += 1;
                        tail += usize::from(i == 0);
                    }
                    let expected: f64 = StandardNormal.sample(rng);
                    assert_eq!(out[j].to_bits(), expected.to_bits(), "block {block}, lane {j}");
                }
            }
        }
        // About 1.2% of the draws leave the fast path, about 0.05% through the tail.
        assert!(slow > 5_000 && tail > 100, "{slow} slow draws, {tail} in the tail");
    }

    /// `finish` as it was first written (kept as the reference): a `Xoshiro256PlusPlus` rebuilt
    /// from the lane's state bytes, `rand` and `rand_distr` doing the rest; the value and the
    /// state left behind.
    fn finish_through_rand(state: [u64; 4], bits: u64) -> (f64, [u64; 4]) {
        fn zero_case<R: Rng + ?Sized>(rng: &mut R, u: f64) -> f64 {
            let mut x = 1.0f64;
            let mut y = 0.0f64;
            while -2.0 * y < x * x {
                let x_: f64 = rng.sample(Open01);
                let y_: f64 = rng.sample(Open01);
                x = x_.ln() / ZIG_NORM_R;
                y = y_.ln();
            }
            if u < 0.0 { x - ZIG_NORM_R } else { ZIG_NORM_R - x }
        }
        let mut seed = [0u8; 32];
        for w in 0..4 {
            seed[w * 8..(w + 1) * 8].copy_from_slice(&state[w].to_le_bytes());
        }
        let mut rng = Xoshiro256PlusPlus::from_seed(seed);
        let i = (bits & 0xff) as usize;
        let u = f64::from_bits((1024u64 << 52) | (bits >> 12)) - 3.0;
        let x = u * ZIG_NORM_X[i];
        let value = if i == 0 {
            zero_case(&mut rng, u)
        } else if ZIG_NORM_F[i + 1] + (ZIG_NORM_F[i] - ZIG_NORM_F[i + 1]) * rng.random::<f64>() < pdf(x) {
            x
        } else {
            StandardNormal.sample(&mut rng)
        };
        (value, words(&rng))
    }

    fn words(rng: &Xoshiro256PlusPlus) -> [u64; 4] {
        let state = rng.state();
        [0, 1, 2, 3].map(|w| u64::from_le_bytes(state[w * 8..(w + 1) * 8].try_into().expect("8 bytes")))
    }

    /// A state whose next output is `out` (Xoshiro256++ outputs rotl(s0 + s3, 23) + s0, so s3
    /// follows from s0 and the output).
    fn state_giving(out: u64, s0: u64, s1: u64, s2: u64) -> [u64; 4] {
        let s3 = out.wrapping_sub(s0).rotate_right(23).wrapping_sub(s0);
        let state = [s0, s1, s2, s3];
        assert_eq!(Lane { s: state }.next_u64(), out);
        state
    }

    /// The scalar lane generator against `rand_xoshiro` and `rand`'s conversions, on outputs at
    /// the edges of the conversions (all bits clear or set around bits 11 and 12, which the
    /// uniform and `Open01` drop) and on arbitrary states.
    #[test]
    fn lane_generator_equals_rand_xoshiro() {
        let edges =
            [0, 1, 0x7ff, 0x800, 0xfff, 0x1000, u64::MAX, u64::MAX << 11, u64::MAX << 12, 1 << 63, (1 << 63) - 1];
        let mut states: Vec<[u64; 4]> =
            edges.iter().enumerate().map(|(k, &out)| state_giving(out, splitmix64(k as u64), k as u64, 0)).collect();
        states.extend((0..2000u64).map(|k| [0, 1, 2, 3].map(|w| splitmix64(k * 4 + w))));
        states.extend([[0, 0, 0, 1], [u64::MAX; 4], [1, 0, 0, 0]]);
        for state in states {
            let seed: Vec<u8> = state.iter().flat_map(|w| w.to_le_bytes()).collect();
            let rng = Xoshiro256PlusPlus::from_seed(seed.try_into().expect("32 bytes"));
            let (mut a, mut b, mut c) = (rng.clone(), rng.clone(), rng);
            let mut lane = Lane { s: state };
            for _ in 0..4 {
                assert_eq!(lane.next_u64(), a.next_u64(), "{state:x?}");
            }
            let mut lane = Lane { s: state };
            for _ in 0..4 {
                assert_eq!(lane.uniform().to_bits(), b.random::<f64>().to_bits(), "{state:x?}");
            }
            let mut lane = Lane { s: state };
            for _ in 0..4 {
                assert_eq!(lane.open01().to_bits(), c.sample::<f64, _>(Open01).to_bits(), "{state:x?}");
            }
            assert_eq!(lane.s, words(&c));
        }
    }

    /// `finish` against the reference above, value and state, on first words that fail the fast
    /// test in every layer (forced: the layer index in the low byte, the fraction drawn until the
    /// draw is slow), many more in the tail layer, and states drawn or chosen: the wedge test's
    /// acceptance and rejection (a fresh draw), the tail's first try and its repeats all occur
    /// (counted by the generator steps taken), and lanes other than the finished one are left
    /// alone. Also the all-zero state, which `from_seed` replaces by `seed_from_u64(0)`'s.
    #[test]
    fn finish_equals_rand_distr_through_a_rebuilt_generator() {
        let mut lanes = LaneStreams::default();
        let mut seeds = [0u64; LANES];
        for (j, s) in seeds.iter_mut().enumerate() {
            *s = j as u64;
        }
        lanes.seed(&seeds);
        let untouched = lanes.clone();
        // Generator steps taken by finish, by how many (7: seven or more), in the wedge layers
        // and in the tail layer.
        let (mut wedge, mut tail) = ([0usize; 8], [0usize; 8]);
        let mut counter = 0u64;
        let mut next = || {
            counter += 1;
            splitmix64(counter)
        };
        for i in 0..256 {
            let cases = if i == 0 { 4000 } else { 60 };
            let mut found = 0;
            while found < cases {
                let bits = next() & !0xff | i as u64;
                let u = f64::from_bits((1024u64 << 52) | (bits >> 12)) - 3.0;
                if (u * ZIG_NORM_X[i]).abs() < ZIG_NORM_X[i + 1] {
                    continue;
                }
                found += 1;
                let state = match found % 5 {
                    0 => [0; 4],
                    1 => [next(), 0, 0, 0],
                    _ => [next(), next(), next(), next()],
                };
                let (expected, expected_state) = finish_through_rand(state, bits);
                let j = found % LANES;
                for (w, word) in lanes.s.iter_mut().enumerate() {
                    word[j] = state[w];
                }
                let value = lanes.finish(j, bits);
                assert_eq!(value.to_bits(), expected.to_bits(), "layer {i}, bits {bits:x}, state {state:x?}");
                let left = [0, 1, 2, 3].map(|w| lanes.s[w][j]);
                assert_eq!(left, expected_state, "layer {i}, bits {bits:x}, state {state:x?}");
                for k in (0..LANES).filter(|&k| k != j) {
                    assert!((0..4).all(|w| lanes.s[w][k] == untouched.s[w][k]), "lane {k} changed");
                }
                for (w, word) in lanes.s.iter_mut().enumerate() {
                    word[j] = untouched.s[w][j];
                }
                if state != [0; 4] {
                    let mut lane = Lane { s: state };
                    let steps = (1..=64).find(|_| {
                        lane.next_u64();
                        lane.s == expected_state
                    });
                    let seen = if i == 0 { &mut tail } else { &mut wedge };
                    seen[steps.expect("at most 64 steps").min(7)] += 1;
                }
            }
        }
        // A wedge test takes one step, and a fresh draw at least one more; a try in the tail
        // takes two.
        assert!(wedge[1] > 1000 && wedge[2..].iter().sum::<usize>() > 1000, "{wedge:?}");
        assert!(tail[2] > 1000 && tail[4..].iter().sum::<usize>() > 100, "{tail:?}");
    }

    /// A block's streams for lanes past `len` take one plain step per draw, however their first
    /// words fare in the fast test (the slow lanes are finished only up to `len`).
    #[test]
    fn lanes_past_len_take_one_step() {
        let mut lanes = LaneStreams::default();
        let mut out = [0.0; LANES];
        let mut slow_past_len = 0;
        for block in 0..400u64 {
            let len = (block as usize * 13) % (LANES + 1);
            let mut seeds = [0u64; LANES];
            for (j, s) in seeds.iter_mut().enumerate() {
                *s = splitmix64(block * LANES as u64 + j as u64 + 1_000_000);
            }
            lanes.seed(&seeds);
            let mut reference: Vec<Xoshiro256PlusPlus> =
                seeds.iter().map(|&s| Xoshiro256PlusPlus::seed_from_u64(s)).collect();
            for _ in 0..4 {
                lanes.next_normals(len, &mut out);
                for (j, rng) in reference.iter_mut().enumerate() {
                    if j < len {
                        let expected: f64 = StandardNormal.sample(rng);
                        assert_eq!(out[j].to_bits(), expected.to_bits(), "block {block}, lane {j}");
                    } else {
                        let bits = rng.next_u64();
                        let i = (bits & 0xff) as usize;
                        let u = f64::from_bits((1024u64 << 52) | (bits >> 12)) - 3.0;
                        slow_past_len += usize::from((u * ZIG_NORM_X[i]).abs() >= ZIG_NORM_X[i + 1]);
                    }
                    assert_eq!([0, 1, 2, 3].map(|w| lanes.s[w][j]), words(rng), "block {block}, lane {j}");
                }
            }
        }
        assert!(slow_past_len > 100, "{slow_past_len}");
    }
}
