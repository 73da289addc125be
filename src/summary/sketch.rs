//! A mergeable quantile sketch with a relative-accuracy guarantee, in the manner of DDSketch
//! (Masson, Rim & Lee 2019) and HdrHistogram: values are counted in log-linear buckets read
//! straight off the bits of the `f64` — the exponent and the top [`MANTISSA_BITS`] bits of the
//! mantissa — so each octave `[2^e, 2^(e+1))` is cut into 2^9 = 512 equal buckets, and a bucket
//! `[lo, hi)` has `(hi − lo)/lo ≤ 2^-9`. Returning a bucket's midpoint puts every quantile within
//! a relative error of 2^-10 ≈ 0.098% of a true sample quantile ([`RELATIVE_ACCURACY`]).
//!
//! Finding a value's bucket is a shift of its bits (no logarithm), which matters: a run adds
//! every indicator's value in every year of every path.
//!
//! All state is integer counts plus an exact minimum and maximum, so merging is associative and
//! commutative: the same paths give the same sketch however they were split across threads or
//! machines. Memory grows with the logarithm of the value range, never with the number of values.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Mantissa bits kept in a bucket index.
pub const MANTISSA_BITS: u32 = 9;

/// Relative accuracy of every quantile: 2^-10 ≈ 0.098%.
pub const RELATIVE_ACCURACY: f64 = 1.0 / (1u64 << (MANTISSA_BITS + 1)) as f64;

/// Magnitudes below this are counted as zero.
const ZERO_THRESHOLD: f64 = 1e-12;

/// Bits of an `f64` dropped to form a bucket index.
const SHIFT: u32 = 52 - MANTISSA_BITS;

/// The bucket of a positive finite magnitude: its bits without the low mantissa bits. Monotone
/// in the magnitude, and below 2^(11 + 9) so it fits an `i32`.
#[inline]
fn bucket_of(magnitude: f64) -> i32 {
    (magnitude.to_bits() >> SHIFT) as i32
}

/// The magnitudes `[lo, hi)` of bucket `index`.
fn bucket_range(index: i32) -> (f64, f64) {
    let lo = f64::from_bits((index as u64) << SHIFT);
    let hi = f64::from_bits(((index + 1) as u64) << SHIFT);
    (lo, hi)
}

/// The value a bucket stands for: its midpoint.
fn representative(index: i32) -> f64 {
    let (lo, hi) = bucket_range(index);
    0.5 * (lo + hi)
}

/// Most buckets a store keeps in its dense window: 8 octaves of 512. Values beyond the window
/// (the far tails, and magnitudes approaching zero, which cover many octaves with few values
/// each) are counted in a sparse map, so memory follows the number of distinct buckets used
/// rather than the span of the values.
const DENSE_MAX: usize = 8 << MANTISSA_BITS;
/// Largest bucket index an `f64` can fall in (11 exponent bits, then the mantissa bits), with room.
const MAX_BUCKET_INDEX: i64 = 1 << (12 + MANTISSA_BITS);

/// Counts by bucket index: a dense window `offset..offset + counts.len()` for the bulk of the
/// values, and a sparse map for buckets outside it. Which bucket lives where depends on the order
/// values arrived in, so equality and every reading go through [`Store::buckets`], never the
/// layout.
///
/// Runs of values go first into `pending`, 16-bit counts over the same window, added into
/// `counts` before they could overflow (after 65 472 to 65 535 values) and whenever the window
/// moves. A bucket holds `counts[k] + pending[k]` values; files hold exactly that
/// ([`StoreFile`]), so the narrow counts are never seen outside. Why: a run visits every
/// indicator-year's window once per block of 64 paths, and the flagship's 450 windows of 8-byte
/// counts (5.9 MB, the bulk in about 30 cache lines each) do not stay in the 2 MB L2 between
/// visits; a quarter of the bytes does better (the scatter increment was 11% of a flagship run
/// on one thread; with `pending`, `record_block` went from 22% to 18% of the run's samples,
/// 25% fewer, for a quarter more memory per window and the same instructions).
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(from = "StoreFile", into = "StoreFile")]
struct Store {
    offset: i32,
    counts: Vec<u64>,
    sparse: BTreeMap<i32, u64>,
    /// Empty, or as long as `counts`: values counted since `counts` was last brought up to date.
    pending: Vec<u16>,
    /// Values in `pending` (at most `PENDING_MAX`).
    pending_total: u32,
}

/// Most values `Store::pending` may hold before a run: one more run of 64 keeps every count
/// within a `u16`.
const PENDING_MAX: u32 = u16::MAX as u32 - 64;

/// A store as files hold it: the counts of every bucket in one window, whatever the store still
/// had pending.
#[derive(Serialize, Deserialize)]
struct StoreFile {
    offset: i32,
    counts: Vec<u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sparse: BTreeMap<i32, u64>,
}

impl From<StoreFile> for Store {
    fn from(file: StoreFile) -> Store {
        Store { offset: file.offset, counts: file.counts, sparse: file.sparse, pending: Vec::new(), pending_total: 0 }
    }
}

/// Files hold a store in one canonical layout, whatever order its values arrived in (the dense
/// window a store grew depends on it, and so on how a run's paths were shared among threads): the
/// window is the span of at most [`DENSE_MAX`] buckets holding the most non-empty buckets (the
/// lowest such span on a tie), cut to its first and last non-empty bucket; every other bucket is
/// sparse. So a shard's part file is the same bytes on any number of threads.
impl From<Store> for StoreFile {
    fn from(store: Store) -> StoreFile {
        let buckets: Vec<(i32, u64)> = store.buckets().collect();
        if buckets.is_empty() {
            return StoreFile { offset: 0, counts: Vec::new(), sparse: BTreeMap::new() };
        }
        // Two pointers over the sorted indices: the widest run [first, last] within the limit.
        let (mut best, mut first) = ((0, 0), 0);
        for last in 0..buckets.len() {
            while (buckets[last].0 - buckets[first].0) as usize >= DENSE_MAX {
                first += 1;
            }
            if last - first > best.1 - best.0 {
                best = (first, last);
            }
        }
        let (lo, hi) = (buckets[best.0].0, buckets[best.1].0);
        let mut counts = vec![0; (hi - lo) as usize + 1];
        let mut sparse = BTreeMap::new();
        for (index, count) in buckets {
            if (lo..=hi).contains(&index) {
                counts[(index - lo) as usize] = count;
            } else {
                sparse.insert(index, count);
            }
        }
        StoreFile { offset: lo, counts, sparse }
    }
}

/// The live layout, pending counts added in (what adding value by value would have built; files
/// hold the canonical layout of [`StoreFile`] instead).
impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut store = self.clone();
        store.flush();
        f.debug_struct("Store")
            .field("offset", &store.offset)
            .field("counts", &store.counts)
            .field("sparse", &store.sparse)
            .finish()
    }
}

impl PartialEq for Store {
    fn eq(&self, other: &Store) -> bool {
        self.buckets().eq(other.buckets())
    }
}

impl Store {
    #[inline]
    fn add(&mut self, index: i32, n: u64) {
        let k = index.wrapping_sub(self.offset) as u32 as usize;
        if let Some(count) = self.counts.get_mut(k) {
            *count += n;
            return;
        }
        self.add_outside(index, n);
    }

    /// Add the pending counts into the wide ones.
    fn flush(&mut self) {
        for (count, pending) in self.counts.iter_mut().zip(&mut self.pending) {
            *count += u64::from(*pending);
            *pending = 0;
        }
        self.pending_total = 0;
    }

    /// Count the bucket of every value of `run` (at most 64 magnitudes, each finite and at or
    /// above the zero threshold), exactly as [`Store::add`] value by value would. One pass
    /// finds the buckets; those in the dense window (usually all) are counted in `pending`
    /// without bounds checks, and the others then go through `add` in their order. The same
    /// layout as value by value: the window only grows, so a value inside it stays inside
    /// whatever comes later, and how the window grows (or what goes to the sparse map) depends
    /// only on the values outside it, in their order.
    #[inline(always)]
    fn add_run(&mut self, run: &[f64]) {
        const RUN: usize = 64;
        let run = &run[..run.len().min(RUN)];
        if self.pending.len() != self.counts.len() || self.pending_total > PENDING_MAX {
            self.make_room();
        }
        let (offset, n) = (self.offset, self.counts.len() as u32);
        let mut ks = [0u32; RUN];
        let mut inside = 0;
        for (k, &x) in ks.iter_mut().zip(run) {
            *k = bucket_of(x).wrapping_sub(offset) as u32;
            inside += u32::from(*k < n);
        }
        let ks = &ks[..run.len()];
        self.pending_total += inside;
        // A slice, not the vector: the loop then keeps its pointer in a register instead of
        // reading it again after every increment (which might have changed it, as far as the
        // compiler knows).
        let pending = &mut self.pending[..];
        if inside as usize == run.len() {
            for &k in ks {
                // SAFETY: every k < n = counts.len() = pending.len() (counted in the loop above;
                // `make_room` sized `pending`), and a run of at most 64 cannot take a count past
                // u16::MAX: before it `pending_total`, which bounds every count, was at most
                // PENDING_MAX.
                unsafe { *pending.get_unchecked_mut(k as usize) += 1 };
            }
            return;
        }
        let mut outside = [0i32; RUN];
        let mut n_outside = 0;
        for &k in ks {
            match pending.get_mut(k as usize) {
                Some(count) => *count += 1,
                None => {
                    outside[n_outside] = (k as i32).wrapping_add(offset);
                    n_outside += 1;
                }
            }
        }
        for &index in &outside[..n_outside] {
            self.add(index, 1);
        }
    }

    /// Flush `pending` (full, or sized for a window that has since moved) and size it for the
    /// window.
    #[cold]
    fn make_room(&mut self) {
        self.flush();
        self.pending.resize(self.counts.len(), 0);
    }

    /// Widen the dense window to `index` when it stays within [`DENSE_MAX`] buckets (growing by
    /// half its size at a time, up to that limit), else count `index` in the sparse map.
    #[cold]
    fn add_outside(&mut self, index: i32, n: u64) {
        if self.counts.is_empty() {
            self.offset = index;
            self.counts.push(0);
        } else {
            let len = self.counts.len();
            let end = self.offset + len as i32;
            let span = (end.max(index + 1) - self.offset.min(index)) as usize;
            if span > DENSE_MAX {
                *self.sparse.entry(index).or_insert(0) += n;
                return;
            }
            // The window moves: `pending` is sized again before its next use.
            self.flush();
            let room = DENSE_MAX - len;
            if index < self.offset {
                let grow = ((self.offset - index) as usize).max(len / 2).min(room);
                let mut counts = vec![0; grow + len];
                counts[grow..].copy_from_slice(&self.counts);
                self.counts = counts;
                self.offset -= grow as i32;
            } else {
                let needed = (index - self.offset) as usize + 1;
                self.counts.resize(needed.max(len + len / 2).min(DENSE_MAX), 0);
            }
            // Buckets counted sparsely before the window reached them move into it.
            let window = self.offset..self.offset + self.counts.len() as i32;
            let inside: Vec<i32> = self.sparse.range(window).map(|(&i, _)| i).collect();
            for i in inside {
                let c = self.sparse.remove(&i).unwrap_or(0);
                self.counts[(i - self.offset) as usize] += c;
            }
        }
        self.counts[(index - self.offset) as usize] += n;
    }

    fn merge(&mut self, other: &Store) {
        for (index, count) in other.buckets() {
            self.add(index, count);
        }
    }

    /// Checks a store read from a file: a dense window of at most [`DENSE_MAX`] buckets at indices
    /// an `f64` can have, sparse buckets outside the window; returns the total count.
    fn checked_total(&self) -> Result<u128, String> {
        let in_range = |index: i64| index.abs() <= MAX_BUCKET_INDEX;
        if self.counts.len() > DENSE_MAX {
            return Err(format!("a sketch window of {} buckets (at most {DENSE_MAX})", self.counts.len()));
        }
        let (start, end) = (i64::from(self.offset), i64::from(self.offset) + self.counts.len() as i64);
        if !in_range(start) || !in_range(end) {
            return Err(format!("a sketch window at bucket {start}, outside the buckets of an f64"));
        }
        let mut total: u128 = self.counts.iter().map(|&c| u128::from(c)).sum();
        total += u128::from(self.pending_total);
        for (&index, &count) in &self.sparse {
            let index = i64::from(index);
            if !in_range(index) || (start..end).contains(&index) {
                return Err(format!("a sketch bucket {index} out of place"));
            }
            total += u128::from(count);
        }
        Ok(total)
    }

    /// Non-empty buckets in increasing index order.
    fn buckets(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        let end = self.offset + self.counts.len() as i32;
        let below = self.sparse.range(..self.offset).map(|(&i, &c)| (i, c));
        let pending = |k: usize| self.pending.get(k).map_or(0, |&p| u64::from(p));
        let dense = self
            .counts
            .iter()
            .enumerate()
            .map(move |(k, &c)| (self.offset + k as i32, c + pending(k)))
            .filter(|(_, c)| *c > 0);
        let above = self.sparse.range(end..).map(|(&i, &c)| (i, c));
        below.chain(dense).chain(above)
    }
}

/// Quantile sketch of a stream of finite values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sketch {
    positive: Store,
    negative: Store,
    zeros: u64,
    count: u64,
    /// Bit patterns in files (±infinity when empty, which JSON numbers cannot hold).
    #[serde(with = "super::exact_f64")]
    min: f64,
    #[serde(with = "super::exact_f64")]
    max: f64,
    /// Every value added so far was a whole number (counts, ranks): quantiles are then rounded
    /// to whole numbers, which they must be.
    integers: bool,
}

impl Default for Sketch {
    fn default() -> Self {
        Sketch {
            positive: Store::default(),
            negative: Store::default(),
            zeros: 0,
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            integers: true,
        }
    }
}

impl Sketch {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a value; non-finite values are ignored (callers count them separately).
    #[inline]
    pub fn add(&mut self, x: f64) {
        self.add_n(x, 1);
    }

    /// Add every value of `xs`, exactly as `xs.iter().for_each(|&x| self.add(x))` would.
    #[inline(always)]
    pub fn add_slice(&mut self, xs: &[f64]) {
        self.add_column(xs);
    }

    /// [`Sketch::add_slice`], returning whether every value was ordinary: positive, finite and
    /// at or above the zero threshold (then none of them is NaN, infinite, zero or negative,
    /// which spares a caller checking the column again).
    ///
    /// One pass per run of 64 values finds the range of their bit patterns: as signed integers,
    /// the ordinary values are exactly those in `[ZERO_THRESHOLD, +∞)` — a negative value (or a
    /// NaN with the sign bit) has a negative pattern, +∞ and the other NaNs lie above +∞ — and
    /// they order like the values. For an ordinary run the minimum, maximum and whole-number
    /// test are reductions (order-independent for such values, so the result is the same), and
    /// the buckets are counted by [`Store::add_run`]; any other run goes to
    /// [`Sketch::add_run_of_both_signs`].
    #[inline(always)]
    pub(crate) fn add_column(&mut self, xs: &[f64]) -> bool {
        const RUN: usize = 64;
        let floor = ZERO_THRESHOLD.to_bits() as i64;
        let ceiling = f64::INFINITY.to_bits() as i64;
        let mut all_ordinary = true;
        for run in xs.chunks(RUN) {
            let (lo, hi) = run.iter().fold((i64::MAX, i64::MIN), |(lo, hi), x| {
                let bits = x.to_bits() as i64;
                (lo.min(bits), hi.max(bits))
            });
            if lo < floor || hi >= ceiling {
                all_ordinary = false;
                self.add_run_of_both_signs(run);
                continue;
            }
            self.count += run.len() as u64;
            if self.integers {
                self.integers = run.iter().fold(true, |all, &x| all & (x.fract() == 0.0));
            }
            self.min = self.min.min(f64::from_bits(lo as u64));
            self.max = self.max.max(f64::from_bits(hi as u64));
            self.positive.add_run(run);
        }
        all_ordinary
    }

    /// Add a run of at most 64 values, exactly as [`Sketch::add`] value by value would. When
    /// every value is finite (a rate of either sign, zeros among them), the minimum, maximum and
    /// whole-number test are folds in the same order, and the buckets are counted store by
    /// store: a store's layout depends only on the values it was given, in their order, so the
    /// run is split into its positive magnitudes, its negative ones and its zeros (without
    /// branches: a sign as likely as not, as in a needed shift, would defeat the predictor),
    /// and each store counts its part with [`Store::add_run`]. A run with a NaN or an infinity
    /// (an impossible value, which the sketch ignores) goes value by value.
    #[inline(always)]
    fn add_run_of_both_signs(&mut self, run: &[f64]) {
        const RUN: usize = 64;
        let run = &run[..run.len().min(RUN)];
        if !run.iter().fold(true, |all, x| all & x.is_finite()) {
            run.iter().for_each(|&x| self.add(x));
            return;
        }
        self.count += run.len() as u64;
        if self.integers {
            self.integers = run.iter().fold(true, |all, &x| all & (x.fract() == 0.0));
        }
        self.min = run.iter().fold(self.min, |m, &x| m.min(x));
        self.max = run.iter().fold(self.max, |m, &x| m.max(x));
        // Every magnitude is written to both sides, and the count of its own side moves on (a
        // magnitude at or above the zero threshold is not zero, so its sign bit tells the side
        // `add` would choose).
        let (mut positive, mut negative) = ([0.0; RUN], [0.0; RUN]);
        let (mut n_positive, mut n_negative, mut n_zero) = (0, 0, 0);
        for &x in run {
            let magnitude = x.abs();
            let zero = magnitude < ZERO_THRESHOLD;
            let below = x.is_sign_negative();
            positive[n_positive] = magnitude;
            negative[n_negative] = magnitude;
            n_positive += usize::from(!zero & !below);
            n_negative += usize::from(!zero & below);
            n_zero += u64::from(zero);
        }
        self.zeros += n_zero;
        self.positive.add_run(&positive[..n_positive]);
        self.negative.add_run(&negative[..n_negative]);
    }

    /// Add `n` copies of a value.
    #[inline]
    pub fn add_n(&mut self, x: f64, n: u64) {
        if !x.is_finite() || n == 0 {
            return;
        }
        self.count += n;
        if self.integers {
            self.integers = x.fract() == 0.0;
        }
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        let magnitude = x.abs();
        if magnitude < ZERO_THRESHOLD {
            self.zeros += n;
            return;
        }
        let index = bucket_of(magnitude);
        if x > 0.0 {
            self.positive.add(index, n);
        } else {
            self.negative.add(index, n);
        }
    }

    pub fn merge(&mut self, other: &Sketch) {
        self.positive.merge(&other.positive);
        self.negative.merge(&other.negative);
        self.zeros += other.zeros;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.integers &= other.integers;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Checks a sketch read from a file: well-formed stores whose counts add up to its count, and
    /// minimum and maximum consistent with it (finite and ordered when it holds values).
    pub fn check(&self) -> Result<(), String> {
        let total = self.positive.checked_total()? + self.negative.checked_total()? + u128::from(self.zeros);
        if total != u128::from(self.count) {
            return Err(format!("a sketch whose buckets hold {total} values but which counts {}", self.count));
        }
        let ordered = self.min.is_finite() && self.max.is_finite() && self.min <= self.max;
        if self.count > 0 && !ordered {
            return Err(format!(
                "a sketch of {} values with minimum {} and maximum {}",
                self.count, self.min, self.max
            ));
        }
        Ok(())
    }

    /// Smallest value seen (NaN when empty).
    pub fn min(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.min }
    }

    /// Largest value seen (NaN when empty).
    pub fn max(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.max }
    }

    /// Buckets as (representative value, count) in increasing order of value.
    fn ordered(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        let negative = self.negative.buckets().rev().map(|(i, c)| (-representative(i), c));
        let zero = (self.zeros > 0).then_some((0.0, self.zeros));
        let positive = self.positive.buckets().map(|(i, c)| (representative(i), c));
        negative.chain(zero).chain(positive)
    }

    /// The q-quantile (0 ≤ q ≤ 1) within relative accuracy [`RELATIVE_ACCURACY`], clamped to the
    /// observed range; NaN when the sketch is empty.
    pub fn quantile(&self, q: f64) -> f64 {
        if self.count == 0 {
            return f64::NAN;
        }
        if q <= 0.0 {
            return self.min;
        }
        if q >= 1.0 {
            return self.max;
        }
        let rank = q * (self.count - 1) as f64;
        let mut seen = 0u64;
        for (value, c) in self.ordered() {
            seen += c;
            if seen as f64 > rank {
                let value = if self.integers { value.round() } else { value };
                return value.clamp(self.min, self.max);
            }
        }
        self.max
    }

    /// [`Sketch::quantile`] of each of `qs`, in one pass over the buckets (a summary reads a
    /// dozen quantiles of each of hundreds of sketches): the same bits as one call per quantile.
    pub fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [f64; N] {
        let mut out = [f64::NAN; N];
        if self.count == 0 {
            return out;
        }
        // The quantiles strictly inside (0, 1), by increasing rank. A NaN q is at neither end and
        // its rank is never passed: `quantile` gives it the maximum.
        let mut pending: Vec<(f64, usize)> = Vec::with_capacity(N);
        for (j, &q) in qs.iter().enumerate() {
            if q <= 0.0 {
                out[j] = self.min;
            } else if q >= 1.0 || q.is_nan() {
                out[j] = self.max;
            } else {
                pending.push((q * (self.count - 1) as f64, j));
            }
        }
        pending.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mut next = 0;
        let mut seen = 0u64;
        for (value, c) in self.ordered() {
            if next == pending.len() {
                break;
            }
            seen += c;
            while next < pending.len() && seen as f64 > pending[next].0 {
                let value = if self.integers { value.round() } else { value };
                out[pending[next].1] = value.clamp(self.min, self.max);
                next += 1;
            }
        }
        for &(_, j) in &pending[next..] {
            out[j] = self.max;
        }
        out
    }

    /// Number of values ≤ x, counted by bucket (exact except inside x's own bucket).
    pub fn rank_of(&self, x: f64) -> u64 {
        self.ordered().filter(|(v, _)| *v <= x).map(|(_, c)| c).sum()
    }

    /// Whether every value added was a whole number.
    pub fn is_integer_valued(&self) -> bool {
        self.integers && self.count > 0
    }

    /// Buckets as (lowest value, highest value, count), in increasing order: the value range each
    /// bucket stands for, narrowed to the observed [min, max]. Whole-number sketches give point
    /// masses at their (rounded) representative values.
    fn ranges(&self) -> impl Iterator<Item = (f64, f64, u64)> + '_ {
        let (min, max, integers) = (self.min, self.max, self.integers);
        let negative = self.negative.buckets().rev().map(|(i, c)| {
            let (lo, hi) = bucket_range(i);
            (-hi, -lo, c, -representative(i))
        });
        let zero = (self.zeros > 0).then_some((0.0, 0.0, self.zeros, 0.0));
        let positive = self.positive.buckets().map(|(i, c)| {
            let (lo, hi) = bucket_range(i);
            (lo, hi, c, representative(i))
        });
        negative.chain(zero).chain(positive).map(move |(lo, hi, c, point)| {
            if integers {
                // Whole numbers: a point mass at the bucket's rounded representative value.
                let point = point.round().clamp(min, max);
                (point, point, c)
            } else {
                (lo.clamp(min, max), hi.clamp(min, max), c)
            }
        })
    }

    /// Estimated number of values below `x`: whole buckets below it, and the share of the bucket
    /// containing it (values spread evenly within a bucket).
    pub fn count_below(&self, x: f64) -> f64 {
        let mut total = 0.0;
        for (lo, hi, c) in self.ranges() {
            if hi < x {
                total += c as f64;
            } else if lo < x && hi > lo {
                total += c as f64 * (x - lo) / (hi - lo);
            } else {
                break;
            }
        }
        total
    }

    /// [`Sketch::count_below`] at each of `xs`, in one pass over the buckets when `xs` increase
    /// (the edges of a histogram): the same bits as one call per value. Buckets' ranges
    /// increase, so the whole buckets below `x` are a prefix, summed exactly (counts are whole
    /// numbers below 2^53), and the first bucket reaching `x` adds its share.
    pub fn counts_below(&self, xs: &[f64]) -> Vec<f64> {
        if !xs.windows(2).all(|w| w[0] <= w[1]) || xs.iter().any(|x| x.is_nan()) {
            return xs.iter().map(|&x| self.count_below(x)).collect();
        }
        let mut out = Vec::with_capacity(xs.len());
        let mut below = 0u64;
        for (lo, hi, c) in self.ranges() {
            while let Some(&x) = xs.get(out.len()) {
                if hi < x {
                    break;
                }
                let whole = below as f64;
                out.push(if lo < x && hi > lo { whole + c as f64 * (x - lo) / (hi - lo) } else { whole });
            }
            if out.len() == xs.len() {
                return out;
            }
            below += c;
        }
        out.resize(xs.len(), below as f64);
        out
    }

    /// Counts in the bins between consecutive `edges`, plus the counts below the first and above
    /// the last edge. Counts are whole numbers that add up to the number of values: cumulative
    /// counts at the edges are estimated with [`Sketch::count_below`] and rounded, so bins are
    /// smooth even where they are narrower than the sketch's buckets.
    pub fn histogram(&self, edges: &[f64]) -> (Vec<u64>, u64, u64) {
        let cumulative: Vec<u64> =
            self.counts_below(edges).into_iter().map(|below| (below.round() as u64).min(self.count)).collect();
        let counts = cumulative.windows(2).map(|w| w[1].saturating_sub(w[0])).collect();
        let below = cumulative.first().copied().unwrap_or(0);
        let above = self.count - cumulative.last().copied().unwrap_or(0);
        (counts, below, above)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same values in any order are written alike (the canonical layout of `StoreFile`),
    /// though the windows they grew differ; a far outlier stays sparse, and the file reads back
    /// to the same buckets.
    #[test]
    fn a_sketch_is_written_alike_whatever_order_its_values_came_in() {
        let mut values: Vec<f64> = (0..5_000).map(|k| 1.0 + ((k as f64) * 0.618_033_988_75).fract() * 9.0).collect();
        values.extend([1e-300, 3e250, -2.0, -7.5, 0.0, 1e-14]);
        let (mut forward, mut backward, mut columns) = (Sketch::new(), Sketch::new(), Sketch::new());
        values.iter().for_each(|&v| forward.add(v));
        values.iter().rev().for_each(|&v| backward.add(v));
        values.chunks(37).rev().for_each(|c| {
            columns.add_column(c);
        });
        assert_ne!(format!("{:?}", forward.positive), format!("{:?}", backward.positive), "layouts differ");
        let json = serde_json::to_string(&forward).unwrap();
        assert_eq!(json, serde_json::to_string(&backward).unwrap());
        assert_eq!(json, serde_json::to_string(&columns).unwrap());
        let read: Sketch = serde_json::from_str(&json).unwrap();
        assert_eq!(read, forward);
        assert_eq!(serde_json::to_string(&read).unwrap(), json);
        let file = StoreFile::from(forward.positive.clone());
        assert!(file.counts.len() <= DENSE_MAX && file.sparse.contains_key(&bucket_of(3e250)));
    }

    #[test]
    fn quantiles_within_relative_accuracy() {
        // A deterministic spread of positive and negative values.
        let values: Vec<f64> = (0..20_001).map(|k| ((k as f64) * 0.618_033_988_75).fract() * 200.0 - 50.0).collect();
        let mut sketch = Sketch::new();
        for &v in &values {
            sketch.add(v);
        }
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99] {
            let estimate = sketch.quantile(q);
            // The sketch targets the sample element of rank floor(q(n−1)), to relative accuracy.
            let exact = sorted[(q * (sorted.len() - 1) as f64).floor() as usize];
            let tolerance = RELATIVE_ACCURACY * exact.abs() + 1e-12;
            assert!((estimate - exact).abs() <= tolerance, "q={q}: {estimate} vs {exact} ± {tolerance}");
        }
        assert_eq!(sketch.quantile(0.0), sorted[0]);
        assert_eq!(sketch.quantile(1.0), *sorted.last().unwrap());
    }

    #[test]
    fn add_slice_equals_adding_one_by_one() {
        // Columns of ordinary levels (the fast path) and columns with every kind of exception.
        let ordinary: Vec<f64> = (0..203).map(|k| 90.0 + ((k as f64) * 0.618_033_988_75).fract() * 30.0).collect();
        let mut integers: Vec<f64> = (0..37).map(|k| (k % 7 + 1) as f64).collect();
        let specials = [0.0, -0.0, -3.5, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e-13, 5e-324, 1e300, 2.0];
        let mut mixed = ordinary.clone();
        for (j, &x) in specials.iter().enumerate() {
            mixed.insert(j * 17 % mixed.len(), x);
        }
        integers.push(2.5);
        // Rates of both signs, away from zero (the reductions for a run of both signs), with
        // whole numbers among them and one run of 64 holding only negative values.
        let mut rates: Vec<f64> = (0..300).map(|k| ((k as f64) * 0.618_033_988_75).fract() * 10.0 - 5.0).collect();
        rates.iter_mut().for_each(|x| *x = if x.abs() < 0.01 { 0.5 } else { *x });
        rates[7] = -3.0;
        rates[64..128].iter_mut().for_each(|x| *x = -x.abs());
        let whole_rates: Vec<f64> = (0..100).map(|k| (k % 9) as f64 - 4.5).map(|x| x.round() + 0.0).collect();
        for column in [
            &ordinary[..],
            &ordinary[..5],
            &ordinary[..0],
            &integers[..36],
            &integers[..],
            &mixed[..],
            &rates[..],
            &whole_rates[..],
        ] {
            for split in [0, 1, 8, column.len() / 2] {
                let split = split.min(column.len());
                let mut one_by_one = Sketch::new();
                column.iter().for_each(|&x| one_by_one.add(x));
                let mut sliced = Sketch::new();
                sliced.add_slice(&column[..split]);
                sliced.add_slice(&column[split..]);
                // Debug shows the layout and the exact min/max: stricter than PartialEq.
                assert_eq!(format!("{one_by_one:?}"), format!("{sliced:?}"), "column of {}", column.len());
            }
        }
    }

    /// The one-pass readings against one call per value, bit for bit, on sketches of every
    /// shape (continuous, whole numbers, both signs with zeros, empty), at levels and edges that
    /// fall on bucket boundaries, outside the range, in any order, repeated, and NaN.
    #[test]
    fn one_pass_readings_equal_one_call_each() {
        let continuous: Vec<f64> = (0..5000).map(|k| 90.0 + ((k as f64) * 0.618_033_988_75).fract() * 30.0).collect();
        let whole: Vec<f64> = (0..3000).map(|k| ((k * 7919) % 23) as f64).collect();
        let signed: Vec<f64> =
            (0..4000).map(|k| ((k * 37) % 201) as f64 * 0.37 - 30.0).chain([0.0, -0.0, 0.0]).collect();
        let one = [42.0];
        for values in [&continuous[..], &whole[..], &signed[..], &one[..], &[][..]] {
            let mut sketch = Sketch::new();
            values.iter().for_each(|&v| sketch.add(v));
            let qs = [0.05, 0.5, 0.0, 1.0, 0.95, 0.5, -0.0, 1e-9, 0.999_999, f64::NAN, 0.25, 2.0, -1.0, 0.75];
            let together = sketch.quantiles(qs);
            for (q, got) in qs.iter().zip(together) {
                assert_eq!(got.to_bits(), sketch.quantile(*q).to_bits(), "q = {q}: {got}");
            }
            let (lo, hi) = (sketch.min(), sketch.max());
            let mut edges: Vec<f64> = (0..=40).map(|k| lo - 1.0 + (hi - lo + 2.0) * k as f64 / 40.0).collect();
            // Bucket boundaries, the extremes themselves and repeated edges.
            edges.extend([lo, lo, hi, hi, 96.0, 128.0, 0.0, -0.0, 0.5, 1e300, -1e300]);
            edges.retain(|e| e.is_finite());
            let mut sorted = edges.clone();
            sorted.sort_by(f64::total_cmp);
            for xs in [&sorted[..], &edges[..], &[f64::NAN, 1.0][..], &[][..]] {
                let together = sketch.counts_below(xs);
                assert_eq!(together.len(), xs.len());
                for (x, got) in xs.iter().zip(together) {
                    assert_eq!(got.to_bits(), sketch.count_below(*x).to_bits(), "x = {x}: {got}");
                }
            }
        }
    }

    /// Columns added run by run (through the pending narrow counts, the split by sign, the
    /// values outside the window) against `add` one value at a time, on adversarial columns:
    /// the same layout, minimum, maximum and counts (Debug), the same file (JSON, which a file
    /// read back keeps), and the same readings; also merged, and after more than a `u16` of
    /// values in one bucket.
    #[test]
    fn add_column_equals_adding_one_by_one_on_adversarial_columns() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let uniform = |r: u64| (r >> 11) as f64 / (1u64 << 53) as f64;
        let mut columns: Vec<(&str, Vec<f64>)> = Vec::new();
        columns.push(("one bucket", vec![100.0; 300]));
        columns.push(("alternating buckets", (0..300).map(|k| if k % 2 == 0 { 100.0 } else { 100.2 }).collect()));
        columns.push(("alternating octaves apart", (0..300).map(|k| if k % 2 == 0 { 1.0 } else { 1e6 }).collect()));
        // A dense bulk, then values beyond the window on both sides, within runs.
        let mut tails: Vec<f64> = (0..200).map(|_| 100.0 + 10.0 * uniform(next())).collect();
        for j in 0..40 {
            tails[j * 5 + 2] = 100.0 * 2f64.powi((j as i32 % 21) - 10);
        }
        columns.push(("outside the window", tails));
        columns.push(("far tails", (0..500).map(|_| 10f64.powf(-11.0 + 20.0 * uniform(next()))).collect()));
        let specials = [f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e-13, -1e-13, 5e-324];
        let mut mixed: Vec<f64> = (0..400).map(|_| 50.0 + 100.0 * uniform(next())).collect();
        for (j, &x) in specials.iter().enumerate() {
            mixed[j * 41 + 3] = x;
        }
        columns.push(("NaN, infinities, zeros, tiny", mixed));
        columns.push(("signs at random", (0..400).map(|_| 20.0 * uniform(next()) - 10.0).collect()));
        columns.push((
            "signs and zeros",
            (0..400)
                .map(|k| match k % 5 {
                    0 => 0.0,
                    1 => -0.0,
                    2 => 1e-13 * (uniform(next()) - 0.5),
                    _ => (20.0 * uniform(next()) - 10.0).round(),
                })
                .collect(),
        ));
        columns.push(("negatives only", (0..150).map(|_| -1.0 - 3.0 * uniform(next())).collect()));
        columns.push(("whole numbers", (0..300).map(|k| (k % 4 + 1) as f64).collect()));
        columns.push(("more than a u16 in one bucket", vec![7.0; 3 * 65_536 + 17]));
        for (name, column) in &columns {
            let mut one_by_one = Sketch::new();
            column.iter().for_each(|&x| one_by_one.add(x));
            for piece in [1, 5, 37, 64, 100, column.len()] {
                let mut runs = Sketch::new();
                column.chunks(piece).for_each(|part| {
                    runs.add_column(part);
                });
                let context = format!("{name}, pieces of {piece}");
                assert_eq!(format!("{one_by_one:?}"), format!("{runs:?}"), "{context}");
                let file = serde_json::to_string(&runs).unwrap();
                assert_eq!(serde_json::to_string(&one_by_one).unwrap(), file, "{context}");
                let read: Sketch = serde_json::from_str(&file).unwrap();
                assert_eq!(read, runs, "{context}");
                runs.check().unwrap();
                let qs = [0.0, 0.01, 0.3, 0.5, 0.9, 1.0];
                assert_eq!(one_by_one.quantiles(qs).map(f64::to_bits), runs.quantiles(qs).map(f64::to_bits));
                // Merging sketches with pending counts, into either side.
                let mut twice = runs.clone();
                twice.merge(&runs);
                let mut expected = one_by_one.clone();
                expected.merge(&one_by_one);
                assert_eq!(format!("{expected:?}"), format!("{twice:?}"), "{context}, merged");
                // Adding value by value on top of pending counts.
                let mut after = runs.clone();
                let mut expected = one_by_one.clone();
                for &x in &column[..column.len().min(70)] {
                    after.add(x);
                    expected.add(x);
                }
                assert_eq!(format!("{expected:?}"), format!("{after:?}"), "{context}, then one by one");
            }
        }
    }

    /// `add_column` reports a column ordinary exactly when every value is positive, finite and
    /// at or above the zero threshold, run by run of 64 values.
    #[test]
    fn add_column_tells_ordinary_columns() {
        let ordinary: Vec<f64> = (0..150).map(|k| 1.0 + k as f64).collect();
        for special in [0.0, -0.0, -1.0, 1e-13, f64::NAN, -f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for at in [0, 63, 64, 149] {
                let mut column = ordinary.clone();
                column[at] = special;
                assert!(!Sketch::new().add_column(&column), "{special} at {at}");
            }
        }
        assert!(Sketch::new().add_column(&ordinary));
        assert!(Sketch::new().add_column(&[ZERO_THRESHOLD, f64::MAX]));
        assert!(Sketch::new().add_column(&[]));
    }

    #[test]
    fn merge_is_order_independent() {
        let values: Vec<f64> = (0..5000).map(|k| ((k * 7919) % 1000) as f64 - 300.0).collect();
        let mut whole = Sketch::new();
        values.iter().for_each(|&v| whole.add(v));
        let mut parts: Vec<Sketch> = values
            .chunks(333)
            .map(|c| {
                let mut s = Sketch::new();
                c.iter().for_each(|&v| s.add(v));
                s
            })
            .collect();
        parts.reverse();
        let mut merged = Sketch::new();
        parts.iter().for_each(|p| merged.merge(p));
        for q in [0.0, 0.1, 0.5, 0.9, 1.0] {
            assert_eq!(whole.quantile(q).to_bits(), merged.quantile(q).to_bits());
        }
        let edges: Vec<f64> = (0..=10).map(|k| -300.0 + 100.0 * k as f64).collect();
        assert_eq!(whole.histogram(&edges), merged.histogram(&edges));
    }

    #[test]
    fn wide_ranges_stay_small_and_read_the_same_in_any_order() {
        // Magnitudes from 1e-11 to 1e9 on both sides of zero: far more octaves than the dense
        // window holds.
        let values: Vec<f64> = (0..50_000)
            .map(|k| {
                let u = ((k as f64) * 0.618_033_988_75).fract();
                let sign = if k % 3 == 0 { -1.0 } else { 1.0 };
                sign * 10f64.powf(-11.0 + 20.0 * u)
            })
            .collect();
        let mut forward = Sketch::new();
        values.iter().for_each(|&v| forward.add(v));
        let mut backward = Sketch::new();
        values.iter().rev().for_each(|&v| backward.add(v));
        let mut merged = Sketch::new();
        for part in values.chunks(777) {
            let mut s = Sketch::new();
            part.iter().for_each(|&v| s.add(v));
            merged.merge(&s);
        }
        assert_eq!(forward, backward);
        assert_eq!(forward, merged);
        for store in [&forward.positive, &forward.negative, &merged.positive] {
            assert!(store.counts.len() <= DENSE_MAX, "{}", store.counts.len());
            assert!(!store.sparse.is_empty(), "the test must reach the sparse map");
        }
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        for q in [0.001, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 0.999] {
            let exact = sorted[(q * (sorted.len() - 1) as f64).floor() as usize];
            for s in [&forward, &backward, &merged] {
                let estimate = s.quantile(q);
                assert!((estimate - exact).abs() <= RELATIVE_ACCURACY * exact.abs(), "q={q}: {estimate} vs {exact}");
                assert_eq!(estimate.to_bits(), forward.quantile(q).to_bits());
            }
        }
    }

    #[test]
    fn whole_numbers_have_whole_quantiles() {
        let mut s = Sketch::new();
        for k in 0..1000 {
            s.add((k % 37) as f64);
        }
        for q in [0.1, 0.5, 0.9] {
            assert_eq!(s.quantile(q).fract(), 0.0);
        }
        assert_eq!(s.quantile(0.5), 18.0);
        s.add(0.5);
        assert_ne!(s.quantile(0.3).fract(), 0.0);
    }

    #[test]
    fn histogram_counts_add_up_and_follow_the_data() {
        // 10_000 values spread evenly over [1, 101): every bin of width 10 holds about 1000.
        let mut s = Sketch::new();
        for k in 0..10_000 {
            s.add(1.0 + k as f64 / 100.0);
        }
        let edges: Vec<f64> = (0..=8).map(|k| 11.0 + 10.0 * k as f64).collect();
        let (counts, below, above) = s.histogram(&edges);
        assert_eq!(counts.iter().sum::<u64>() + below + above, 10_000);
        assert!((below as i64 - 1000).abs() <= 2, "{below}");
        for c in counts {
            assert!((c as i64 - 1000).abs() <= 25, "{c}");
        }
        // Whole numbers fall into bins centred on them.
        let mut counts_sketch = Sketch::new();
        for k in 0..300 {
            counts_sketch.add((k % 3) as f64);
        }
        let (counts, below, above) = counts_sketch.histogram(&[-0.5, 0.5, 1.5, 2.5]);
        assert_eq!((counts, below, above), (vec![100, 100, 100], 0, 0));
    }

    #[test]
    fn zeros_and_non_finite() {
        let mut s = Sketch::new();
        s.add(0.0);
        s.add(f64::NAN);
        s.add(f64::INFINITY);
        s.add(1.0);
        assert_eq!(s.count(), 2);
        assert_eq!(s.quantile(0.0), 0.0);
        assert_eq!(s.quantile(1.0), 1.0);
        assert!(Sketch::new().quantile(0.5).is_nan());
    }
}
