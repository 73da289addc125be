//! Fast exact marginals: the quantile map `x = Q(Φ(z))` read off tables built once per
//! marginal, instead of inverting an incomplete beta function for every draw.
//!
//! The engine draws `z` and needs `Q(Φ(z))`; for the Student-t, PERT and count marginals the
//! reference ([`Marginal::from_standard_normal_exact`]) solves for the quantile afresh each
//! time (0.1–7 µs), and even the closed forms (triangular, split normal) need `Φ(z)` (~40 ns). Here the same map is tabulated **in `z` itself** (no `Φ` at all per draw):
//!
//! * **Student-t, PERT, triangular and split normal**: `|z| ∈ [0, 8]` is cut into 64 cells of width 1/8; each cell is
//!   split into `2^level` equal pieces (level 0–4, chosen per cell while building), and each
//!   piece carries the Chebyshev interpolant of degree 12 (13 first-kind nodes) of the
//!   reference, evaluated by Clenshaw's recurrence. A piece is accepted only if it matches the
//!   reference to [`BUILD_TOLERANCE`] relative at both ends and between every pair of nodes;
//!   a cell no level can fit (extreme shapes, overflowing tails) is marked *exact* and its
//!   draws go to the reference, as do all draws with `|z| > 8` (probability 1.2e-15).
//!   The quantity tabulated is the one whose relative accuracy matters: for the t, the
//!   standardized quantile divided by `|z|` (so it stays relative at the median, where the
//!   quantile is 0); for PERT, the distance from the nearer end of the support in units of
//!   the range (lower side from `min`, upper side from `max`), and likewise for the triangular
//!   with the reference's cancellation-free formulas; for the split normal, `x - mode`; exactly
//!   the quantities the reference computes before adding the location.
//! * **Poisson and negative binomial**: the exact quantile is the smallest `k` with
//!   `F(k) >= Φ(z)`, that is with `θ_k >= z` for the thresholds `θ_k = Φ⁻¹(F(k))` (taken
//!   through the smaller of `F` and `S = 1 - F`, so they are accurate in both tails). The
//!   thresholds from the answer at `z = -8.5` to the one at `z = 8.5` are stored with a guide
//!   table (uniform cells in `z` → first threshold at or above the cell's left edge), so a
//!   lookup is one division and a short scan. A draw within [`COUNT_MARGIN`] of a threshold
//!   (relative differences of ~1e-13 in `F` could decide it) goes to the reference, so the
//!   result is **the same integer as the reference for every `z`**, not merely almost always.
//!   Laws needing more than [`MAX_COUNT_THRESHOLDS`] thresholds (means above ~10^6) keep the
//!   reference.
//!
//! Tables are keyed by the bits of the parameters that shape them (the t's `df`, PERT's
//! `α, β`, a count's mean and dispersion) and kept in a process-wide cache with a per-thread
//! front, so a model's marginals are tabulated once however many workers and model variants
//! use them. Building is deterministic, so results never depend on which thread built a table
//! or on the cache's state. Building costs ~1 ms (t) to a few ms (PERT, counts).
//!
//! # Measured accuracy (`cargo test --lib measure_table_errors -- --ignored --nocapture`)
//! Dense grid of 2·10^5 values of `z` in [-9, 9] plus 80 points down to `|z| = 1e-12`; the
//! error is relative to the quantity tabulated (the standardized quantile for t and PERT,
//! the distance from the nearer end for the triangular, from the mode for the split normal,
//! after allowing 2 ulps for the rounding of `x` itself). "Reference share" is the part of
//! `|z| <= 8` whose draws still go to the reference.
//!
//! | marginal | max relative error | reference share | per draw before |
//! |---|---|---|---|
//! | Student-t, df 1 to 10^6 (10 values) | 1.2e-14 – 1.4e-14 | 9.8e-4 (`|z| < 1/128`) | 0.3–0.5 µs |
//! | PERT, 7 shapes incl. α = 1, β = 1 | 5.1e-15 – 1.9e-14 | 0 | ~0.8 µs |
//! | triangular, 6 shapes incl. mode at an end | ≤ 4.4e-15 | ≤ 4.9e-4 | ~40 ns |
//! | split normal, sd ratios 1.0001 to 300 | 2.9e-15 – 5.7e-14 | 4.9e-4 – 9.3e-3 (near the mode) | ~40 ns |
//! | Poisson (6 means), negative binomial (6 laws) | identical integers | within 1e-9 of a threshold | 0.1–7 µs |
//!
//! A tabulated draw costs one multiplication, a table lookup and a 13-term Clenshaw sum
//! (about 10 ns); a count draw one multiplication, a guide lookup and a short scan.
//!
//! Why not a crate: statrs' t and beta inverse CDFs are off by up to 2e-7 in the tails (see
//! the parent module) and cost ~1 µs; no crate tabulates a quantile map with a stated
//! relative error.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use super::{CountLaw, Marginal, NegBinLaw, PoissonLaw, beta_lower_quantile, normal_tails, pert_shape};
use super::{standard_normal_quantile, t_upper_quantile, triangular_distance};

/// Largest `|z|` the continuous tables cover (beyond it: the reference).
const Z_TABLE: f64 = 8.0;
/// Cells per unit of `|z|`.
const CELLS_PER_UNIT: f64 = 8.0;
const N_CELLS: usize = (Z_TABLE * CELLS_PER_UNIT) as usize;
/// Chebyshev nodes per piece (degree 12).
const NODES: usize = 13;
/// Finest subdivision of a cell: `2^MAX_LEVEL` pieces.
const MAX_LEVEL: u32 = 4;
/// Relative error a piece must meet at every check point while building.
pub(super) const BUILD_TOLERANCE: f64 = 1e-13;

/// Largest `|z|` the count tables cover.
const Z_COUNT: f64 = 8.5;
/// Draws this close (in `z`) to a count threshold are decided by the reference.
pub(super) const COUNT_MARGIN: f64 = 1e-9;
/// Largest number of thresholds a count table may hold.
pub(super) const MAX_COUNT_THRESHOLDS: usize = 50_000;

/// One function of `a ∈ [0, 8]` (`SIDES = 1`, the t's) or two (`SIDES = 2`: the lower and upper
/// sides of a two-sided map, at `a = |z|`) as piecewise Chebyshev interpolants (see the module
/// doc), the pieces of both sides in one array so that a column's lanes read their coefficients
/// by index from one base (vector gathers) whichever side they are on.
#[derive(Debug)]
pub(super) struct Piecewise<const SIDES: usize> {
    /// Per side and cell: the cell's number of pieces `2^level` as a float; 1 for a cell no
    /// level fits.
    pieces: [[f64; N_CELLS]; SIDES],
    /// Per side and cell: the index in `coeffs` of the cell's first piece; 0 (the NaN piece)
    /// for a cell no level fits.
    first: [[u32; N_CELLS]; SIDES],
    /// [`NAN_PIECE`]'s NaNs, then every piece's [`NODES`] coefficients. A lane that the
    /// reference decides (outside the table, a cell no level fits, a piece that could not be
    /// fitted) reads a piece of NaNs, so its sum is NaN: no flag per lane.
    coeffs: Vec<f64>,
}

/// Where `coeffs` holds a piece of NaNs (the first).
const NAN_PIECE: usize = 0;

/// `cos(π j (k + 1/2) / NODES)`: row `j`, column `k`.
type CosineTable = [[f64; NODES]; NODES];

fn cosine_table() -> CosineTable {
    std::array::from_fn(|j| {
        std::array::from_fn(|k| (std::f64::consts::PI * j as f64 * (k as f64 + 0.5) / NODES as f64).cos())
    })
}

/// Chebyshev coefficients of the interpolant through `values` at the first-kind nodes.
fn chebyshev_coefficients(values: &[f64; NODES], cosines: &CosineTable) -> [f64; NODES] {
    let n = NODES as f64;
    let mut c = [0.0; NODES];
    for (cj, row) in c.iter_mut().zip(cosines) {
        let sum: f64 = values.iter().zip(row).map(|(v, cos)| v * cos).sum();
        *cj = 2.0 * sum / n;
    }
    c[0] *= 0.5;
    c
}

/// Clenshaw's recurrence for `Σ c_j T_j(t)`.
#[inline(always)]
fn clenshaw(c: &[f64], t: f64) -> f64 {
    let t2 = 2.0 * t;
    let (mut b1, mut b2) = (0.0, 0.0);
    for &cj in c[1..].iter().rev() {
        let b0 = cj + t2 * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    c[0] + t * b1 - b2
}

/// `x` truncated to an integer, for an `x` known to be in range: one conversion instruction where
/// Rust's saturating `x as usize` takes about ten without AVX-512 (these conversions were ~4% of
/// a flagship path's instructions, two per tabulated draw and one per count draw). To `i32`: the
/// signed conversion, and back to `f64`, are also single vector instructions without AVX-512
/// (those of `u32` and `usize` are sequences).
///
/// # Safety
/// `x` must be finite and in `[0, 2^31)`.
#[inline(always)]
unsafe fn truncate(x: f64) -> i32 {
    debug_assert!((0.0..2_147_483_648.0).contains(&x), "{x} is out of range");
    // SAFETY: the caller guarantees that `x` is finite and its truncation fits an `i32`.
    unsafe { x.to_int_unchecked::<i32>() }
}

/// [`truncate`] as an index.
///
/// # Safety
/// As for [`truncate`].
#[inline(always)]
unsafe fn index_unchecked(x: f64) -> usize {
    // SAFETY: the caller's guarantee; the result is not negative.
    unsafe { truncate(x) as usize }
}

/// Position of `scaled = 8a` in cell `cell` (`scaled` truncated) cut into `n = 2^level` pieces:
/// the piece and the local variable in `[-1, 1]`. Every step is exact in binary floating point
/// except the final rescaling.
///
/// # Safety
/// `scaled` must be in `[cell, cell + 1]`, `cell` at least 0, and `n` a power of two at most
/// `2^30`.
#[inline(always)]
unsafe fn locate(scaled: f64, cell: i32, n: f64) -> (usize, f64) {
    let u = (scaled - f64::from(cell)) * n;
    // SAFETY: `scaled - cell` is in [0, 1] (the caller's range), so `u` is in [0, n], and `n` is
    // below 2^31.
    let piece = unsafe { truncate(u) }.min(unsafe { truncate(n) } - 1);
    (piece as usize, 2.0 * (u - f64::from(piece)) - 1.0)
}

impl<const SIDES: usize> Piecewise<SIDES> {
    /// Tabulates each of `sides` on `[0, 8]`; each must be the reference the table stands in
    /// for on its side.
    ///
    /// Each cell takes the coarsest level at which every piece passes its checks; at the
    /// finest level, pieces that still fail are filled with NaN (their draws go to the
    /// reference), and a cell where all fail is left to the reference as a whole.
    fn build(sides: [&dyn Fn(f64) -> f64; SIDES]) -> Piecewise<SIDES> {
        let mut pieces = [[1.0; N_CELLS]; SIDES];
        let mut first = [[NAN_PIECE as u32; N_CELLS]; SIDES];
        let mut coeffs = vec![f64::NAN; NODES];
        let cosines = cosine_table();
        let nodes: [f64; NODES] =
            std::array::from_fn(|k| (std::f64::consts::PI * (k as f64 + 0.5) / NODES as f64).cos());
        // Check points in [0, 1] across a piece: both ends and between consecutive nodes.
        let checks: Vec<f64> = (0..=NODES)
            .map(|k| match k {
                0 => 0.0,
                k if k == NODES => 1.0,
                k => 0.5 * (1.0 + 0.5 * (nodes[k - 1] + nodes[k])),
            })
            .collect();
        for (side, f) in sides.into_iter().enumerate() {
            for cell in 0..N_CELLS {
                let left = cell as f64 / CELLS_PER_UNIT;
                for level in 0..=MAX_LEVEL {
                    let count = 1usize << level;
                    let n = count as f64;
                    let width = 1.0 / (CELLS_PER_UNIT * n);
                    let mut fitted = Vec::with_capacity(count * NODES);
                    let mut failed = 0;
                    for piece in 0..count {
                        let piece_left = left + piece as f64 * width;
                        let values: [f64; NODES] =
                            std::array::from_fn(|k| f(piece_left + 0.5 * (nodes[k] + 1.0) * width));
                        let c = chebyshev_coefficients(&values, &cosines);
                        let fits = values.iter().all(|v| v.is_finite() && *v != 0.0)
                            && checks.iter().all(|&s| {
                                let a = piece_left + s * width;
                                // SAFETY: `a` is in [left, left + 1/8] (`s` in [0, 1], the piece
                                // inside the cell; the sums of dyadic widths are exact and
                                // rounding is monotone), so `a · 8` (exact) is in [cell, cell + 1];
                                // `n` is at most 2^MAX_LEVEL.
                                let (p, t) = unsafe { locate(a * CELLS_PER_UNIT, cell as i32, n) };
                                if p != piece {
                                    // The end of a piece that the lookup assigns to its neighbour.
                                    return true;
                                }
                                let exact = f(a);
                                exact.is_finite() && (clenshaw(&c, t) - exact).abs() <= BUILD_TOLERANCE * exact.abs()
                            });
                        if fits {
                            fitted.extend_from_slice(&c);
                        } else {
                            failed += 1;
                            fitted.extend_from_slice(&[f64::NAN; NODES]);
                        }
                    }
                    if failed == 0 || level == MAX_LEVEL {
                        if failed < count {
                            pieces[side][cell] = n;
                            first[side][cell] = coeffs.len() as u32;
                            coeffs.extend_from_slice(&fitted);
                        }
                        break;
                    }
                }
            }
        }
        Piecewise { pieces, first, coeffs }
    }

    /// Where the piece holding `a` on `side` starts in `coeffs`, and the local variable in it;
    /// [`NAN_PIECE`] where the reference must be used (`a` beyond the table or NaN, a cell no
    /// level fits), and a piece filled with NaN as it is. Free of branches, so that a column's
    /// lanes can be located side by side (vector gathers of the cells' entries with AVX-512).
    #[inline(always)]
    fn position(&self, side: usize, a: f64) -> (usize, f64) {
        let scaled = a * CELLS_PER_UNIT;
        // Also rejects NaN (`a` is `|z|`, never negative).
        let inside = (0.0..N_CELLS as f64).contains(&scaled);
        let scaled = if inside { scaled } else { 0.0 };
        // SAFETY: `scaled` is in [0, 64) (just made so).
        let cell = unsafe { truncate(scaled) };
        // Below 64 already: the mask only lets the compiler see that the lookups need no bounds
        // checks (with them, the lanes were located one by one, ~5% of a flagship run).
        let (pieces, first) = (&self.pieces[side], &self.first[side]);
        let n = pieces[cell as usize & (N_CELLS - 1)];
        // SAFETY: `cell` is `scaled` truncated, and below 64; `n` is at most 2^MAX_LEVEL.
        let (piece, t) = unsafe { locate(scaled, cell, n) };
        // A cell no level fits has one piece, at NAN_PIECE.
        let start = first[cell as usize & (N_CELLS - 1)] as usize + piece * NODES;
        (if inside { start } else { NAN_PIECE }, t)
    }

    /// The tabulated value at `a >= 0` on `side`, or `None` where the reference must be used.
    #[inline(always)]
    fn eval(&self, side: usize, a: f64) -> Option<f64> {
        let (start, t) = self.position(side, a);
        let v = clenshaw(&self.coeffs[start..start + NODES], t);
        // A piece filled with NaN: the reference decides.
        if v.is_nan() { None } else { Some(v) }
    }

    /// Width of `|z|` on `side` handed to the reference (cells no level fits, NaN pieces).
    #[cfg(test)]
    pub(super) fn exact_width(&self, side: usize) -> f64 {
        (0..N_CELLS)
            .map(|cell| {
                let count = self.pieces[side][cell] as usize;
                let first = self.first[side][cell] as usize;
                let nan = (0..count).filter(|p| self.coeffs[first + p * NODES].is_nan()).count();
                nan as f64 / (count as f64 * CELLS_PER_UNIT)
            })
            .sum()
    }
}

/// Thresholds of an exact count quantile (see the module doc).
#[derive(Debug)]
pub(super) struct CountTable {
    /// The count of `thresholds[0]`.
    first: f64,
    /// `θ_k` for `k = first, first + 1, …`, non-decreasing.
    thresholds: Vec<f64>,
    /// `guide[g]`: index of the first threshold `>= -Z_COUNT + g / guide_scale`.
    guide: Vec<u32>,
    guide_scale: f64,
    /// `-∞`, `thresholds`, then [`COUNT_STEPS`] + 1 infinities: `bracketed[i]` and
    /// `bracketed[i + 1]` are the thresholds below and above answer `i` for every `i` a
    /// column's fixed-length scan can reach ([`CountTable::eval_group`]), with no test of the
    /// ends.
    bracketed: Vec<f64>,
    /// At most this many thresholds lie between a guide entry and any `z` of its cell (see
    /// `build`); 0 when that exceeds [`COUNT_STEPS`] (the column then scans like `eval`).
    steps: usize,
}

/// Longest fixed scan of the column version of a count lookup.
const COUNT_STEPS: usize = 8;

impl CountTable {
    fn build<L: CountLaw>(marginal: &Marginal, law: &L) -> Option<CountTable> {
        let k_low = marginal.from_standard_normal_exact(-Z_COUNT);
        let k_high = marginal.from_standard_normal_exact(Z_COUNT);
        if !(k_low.is_finite() && k_high.is_finite()) {
            return None;
        }
        // One threshold below the range, so that the draws just above -Z_COUNT also get the
        // margin test against the threshold they passed.
        let first = (k_low - 1.0).max(0.0);
        let n = (k_high - first) as usize + 1;
        if n > MAX_COUNT_THRESHOLDS {
            return None;
        }
        let thresholds: Vec<f64> = (0..n)
            .map(|i| {
                let (lower, upper) = law.tails(first + i as f64);
                if lower <= 0.5 { standard_normal_quantile(lower) } else { -standard_normal_quantile(upper) }
            })
            .collect();
        // Monotone thresholds are what the search relies on; the tails are accurate to
        // ~1e-15, far below the spacing of consecutive thresholds here.
        if thresholds.iter().any(|t| t.is_nan()) || thresholds.windows(2).any(|w| w[0] > w[1]) {
            return None;
        }
        let n_guide = (2 * n).clamp(64, 4 * MAX_COUNT_THRESHOLDS);
        let guide_scale = n_guide as f64 / (2.0 * Z_COUNT);
        let mut guide = Vec::with_capacity(n_guide);
        let mut index = 0usize;
        for g in 0..n_guide {
            let edge = -Z_COUNT + g as f64 / guide_scale;
            while index < n && thresholds[index] < edge {
                index += 1;
            }
            guide.push(index as u32);
        }
        // A `z` the lookup puts in cell g lies below the cell's right edge (up to rounding far
        // below a cell's width), so every threshold the scan from `guide[g]` passes is below
        // the left edge of cell g + 2: at most `guide[g + 2] - guide[g]` of them (`n` past the
        // end).
        let at = |g: usize| guide.get(g).map_or(n, |&i| i as usize);
        let most = (0..n_guide).map(|g| at(g + 2) - at(g)).max().unwrap_or(0);
        let steps = if most <= COUNT_STEPS { most } else { 0 };
        let mut bracketed = vec![f64::NEG_INFINITY];
        bracketed.extend_from_slice(&thresholds);
        bracketed.resize(n + COUNT_STEPS + 2, f64::INFINITY);
        Some(CountTable { first, thresholds, guide, guide_scale, bracketed, steps })
    }

    /// The exact quantile at `z`, or `None` where the reference must decide.
    #[inline(always)]
    fn eval(&self, z: f64) -> Option<f64> {
        if z.is_nan() || z.abs() > Z_COUNT {
            return None;
        }
        // SAFETY: `z` is in [-8.5, 8.5] (just checked) and `guide_scale` is the guide's length
        // (at most 4·MAX_COUNT_THRESHOLDS) over 17, so the product is in [0, 2·10^5].
        let g = unsafe { index_unchecked((z + Z_COUNT) * self.guide_scale) }.min(self.guide.len() - 1);
        let mut i = self.guide[g] as usize;
        // The guide may start one cell early (rounding of the cell edge): scan forward.
        while i < self.thresholds.len() && self.thresholds[i] < z {
            i += 1;
        }
        if i >= self.thresholds.len() || self.thresholds[i] - z <= COUNT_MARGIN {
            return None;
        }
        if i == 0 {
            // Below every threshold: 0 if the table starts at 0, else outside the range.
            return if self.first == 0.0 { Some(0.0) } else { None };
        }
        if z - self.thresholds[i - 1] <= COUNT_MARGIN {
            return None;
        }
        Some(self.first + i as f64)
    }

    /// [`CountTable::eval`] on every lane of a group (at most [`GROUP`] lanes), the lanes
    /// the reference must decide left at NaN: the same answers without the scan's
    /// data-dependent branches. The guide cell is found as in `eval`; the scan from the
    /// guide's entry becomes a count of the next `steps` thresholds below `z` (the thresholds
    /// are sorted and `steps` bounds how many the scan can pass, see `build`), so every lane
    /// does the same work, and each step of the count runs over the lanes side by side (as do
    /// the guide lookup and `eval`'s checks, branch-free: vector gathers with AVX-512).
    #[inline(always)]
    fn eval_group(&self, z: &[f64], x: &mut [f64]) {
        if self.steps == 0 {
            for (x, &z) in x.iter_mut().zip(z) {
                *x = self.eval(z).unwrap_or(f64::NAN);
            }
            return;
        }
        let len = z.len();
        let last = self.guide.len() - 1;
        let (mut zc, mut start) = ([0.0_f64; GROUP], [0_i32; GROUP]);
        for lane in 0..len {
            let inside = z[lane].abs() <= Z_COUNT; // also false for NaN
            zc[lane] = if inside { z[lane] } else { 0.0 };
            // SAFETY: `zc` is in [-8.5, 8.5], so (as in `eval`) the product is in [0, 2·10^5].
            let g = unsafe { index_unchecked((zc[lane] + Z_COUNT) * self.guide_scale) }.min(last);
            // SAFETY: `g <= last`, the guide's last index. Its entries are at most the number
            // of thresholds, below 2^31.
            start[lane] = unsafe { *self.guide.get_unchecked(g) } as i32;
        }
        let mut i = start;
        for k in 1..=self.steps {
            for lane in 0..len {
                // SAFETY: `start <= n` (the guide's entries) and `k <= steps <= COUNT_STEPS`, so
                // the index is at most `n + COUNT_STEPS`, inside `bracketed` (`n + COUNT_STEPS + 2`
                // entries). `bracketed[start + k]` is `thresholds[start + k - 1]`.
                let threshold = unsafe { *self.bracketed.get_unchecked(start[lane] as usize + k) };
                i[lane] += i32::from(threshold < zc[lane]);
            }
        }
        let n = self.thresholds.len() as i32;
        for lane in 0..len {
            let (i, zc) = (i[lane], zc[lane]);
            // SAFETY: `i <= start + steps <= n + COUNT_STEPS` (as above), so both indices are
            // inside `bracketed`.
            let (below, above) =
                unsafe { (*self.bracketed.get_unchecked(i as usize), *self.bracketed.get_unchecked(i as usize + 1)) };
            // The checks of `eval`, as one test: `below` is -∞ for `i == 0`, where `eval`
            // answers 0 if the table starts at 0 (`first + 0`) and leaves the rest to the
            // reference. Non-short-circuit `|`, so that no lane branches.
            let refer =
                (i >= n) | (above - zc <= COUNT_MARGIN) | (i == 0 && self.first != 0.0) | (zc - below <= COUNT_MARGIN);
            let inside = z[lane].abs() <= Z_COUNT;
            x[lane] = if inside && !refer { self.first + f64::from(i) } else { f64::NAN };
        }
    }

    #[cfg(test)]
    pub(super) fn thresholds(&self) -> (f64, &[f64]) {
        (self.first, &self.thresholds)
    }
}

/// A marginal with its quantile map ready for many draws: the tables it needs, looked up or
/// built once. [`FastMarginal::from_standard_normal`] equals
/// [`Marginal::from_standard_normal`].
#[derive(Debug, Clone)]
pub struct FastMarginal {
    marginal: Marginal,
    kind: FastKind,
}

#[derive(Debug, Clone)]
enum FastKind {
    Exact,
    StudentT {
        location: f64,
        scale: f64,
        table: Arc<Piecewise<1>>,
    },
    /// `min + range · lower(|z|)` for `z <= 0`, `max - range · upper(z)` for `z > 0`.
    Bounded {
        min: f64,
        max: f64,
        range: f64,
        table: Arc<Piecewise<2>>,
    },
    /// `anchor + lower(|z|)` for `z <= 0`, `anchor + upper(z)` for `z > 0`.
    Offset {
        anchor: f64,
        table: Arc<Piecewise<2>>,
    },
    Count(Arc<CountTable>),
}

#[derive(Debug, Clone)]
enum Table {
    T(Arc<Piecewise<1>>),
    Sides(Arc<Piecewise<2>>),
    Count(Option<Arc<CountTable>>),
}

type Key = (u8, u64, u64, u64);

const MAX_CACHED: usize = 1024;

fn shared_cache() -> &'static RwLock<HashMap<Key, Table>> {
    static CACHE: OnceLock<RwLock<HashMap<Key, Table>>> = OnceLock::new();
    CACHE.get_or_init(|| RwLock::new(HashMap::new()))
}

thread_local! {
    static LOCAL: RefCell<HashMap<Key, Table>> = RefCell::new(HashMap::new());
}

/// The table for `key`, from this thread's cache, the shared cache, or built.
fn cached(key: Key, build: impl FnOnce() -> Table) -> Table {
    if let Some(t) = LOCAL.with(|l| l.borrow().get(&key).cloned()) {
        return t;
    }
    let shared = shared_cache().read().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
    let table = match shared {
        Some(t) => t,
        None => {
            // Built outside the lock; two threads may build the same table, with the same result.
            let built = build();
            let mut map = shared_cache().write().unwrap_or_else(|e| e.into_inner());
            if map.len() >= MAX_CACHED {
                map.clear();
            }
            map.entry(key).or_insert(built).clone()
        }
    };
    LOCAL.with(|l| {
        let mut l = l.borrow_mut();
        if l.len() >= MAX_CACHED {
            l.clear();
        }
        l.insert(key, table.clone());
    });
    table
}

impl FastMarginal {
    /// Prepares `marginal` (which must be valid) for many draws.
    pub fn new(marginal: &Marginal) -> FastMarginal {
        let kind = match *marginal {
            Marginal::StudentT { location, scale, df } => {
                let Table::T(table) = cached((1, df.to_bits(), 0, 0), || Table::T(Arc::new(student_t_table(df))))
                else {
                    unreachable!("key 1 holds t tables")
                };
                FastKind::StudentT { location, scale, table }
            }
            Marginal::Pert { min, mode, max } => {
                let (alpha, beta) = pert_shape(min, mode, max);
                let Table::Sides(table) = cached((2, alpha.to_bits(), beta.to_bits(), 0), || {
                    Table::Sides(Arc::new(pert_tables(alpha, beta)))
                }) else {
                    unreachable!("key 2 holds PERT tables")
                };
                FastKind::Bounded { min, max, range: max - min, table }
            }
            Marginal::Triangular { min, mode, max } => {
                let Table::Sides(table) = cached((5, min.to_bits(), mode.to_bits(), max.to_bits()), || {
                    Table::Sides(Arc::new(triangular_tables(min, mode, max)))
                }) else {
                    unreachable!("key 5 holds triangular tables")
                };
                FastKind::Bounded { min, max, range: max - min, table }
            }
            Marginal::SplitNormal { mode, sd_low, sd_high } if sd_low != sd_high => {
                let Table::Sides(table) = cached((6, mode.to_bits(), sd_low.to_bits(), sd_high.to_bits()), || {
                    Table::Sides(Arc::new(split_normal_tables(sd_low, sd_high)))
                }) else {
                    unreachable!("key 6 holds split normal tables")
                };
                FastKind::Offset { anchor: mode, table }
            }
            Marginal::Poisson { mean } if mean > 0.0 => {
                let m = *marginal;
                let Table::Count(table) = cached((3, mean.to_bits(), 0, 0), || {
                    Table::Count(CountTable::build(&m, &PoissonLaw { lambda: mean }).map(Arc::new))
                }) else {
                    unreachable!("key 3 holds count tables")
                };
                table.map_or(FastKind::Exact, FastKind::Count)
            }
            Marginal::NegativeBinomial { mean, dispersion } if mean > 0.0 => {
                let m = *marginal;
                let Table::Count(table) = cached((4, mean.to_bits(), dispersion.to_bits(), 0), || {
                    Table::Count(CountTable::build(&m, &NegBinLaw::new(mean, dispersion)).map(Arc::new))
                }) else {
                    unreachable!("key 4 holds count tables")
                };
                table.map_or(FastKind::Exact, FastKind::Count)
            }
            _ => FastKind::Exact,
        };
        FastMarginal { marginal: *marginal, kind }
    }

    /// The marginal this was prepared for.
    pub fn marginal(&self) -> &Marginal {
        &self.marginal
    }

    /// `Q(Φ(z))`, equal to [`Marginal::from_standard_normal_exact`] within 1e-12 relative
    /// (Student-t, PERT) or exactly (everything else).
    #[inline]
    pub fn from_standard_normal(&self, z: f64) -> f64 {
        let fast = match &self.kind {
            FastKind::Exact => None,
            FastKind::StudentT { location, scale, table } => table.eval(0, z.abs()).map(|v| {
                // The reference's `location ∓ scale · t_upper` with `t_upper = |z| v`.
                (location + scale * (z * v)).clamp(-f64::MAX, f64::MAX)
            }),
            FastKind::Bounded { min, max, range, table } => {
                if z <= 0.0 {
                    table.eval(0, -z).map(|y| (min + range * y).clamp(*min, *max))
                } else {
                    table.eval(1, z).map(|y| (max - range * y).clamp(*min, *max))
                }
            }
            FastKind::Offset { anchor, table } => {
                let offset = if z <= 0.0 { table.eval(0, -z) } else { table.eval(1, z) };
                offset.map(|g| (anchor + g).clamp(-f64::MAX, f64::MAX))
            }
            FastKind::Count(table) => table.eval(z),
        };
        match fast {
            Some(x) => x,
            None => self.marginal.from_standard_normal_exact(z),
        }
    }
}

/// Lanes of a column whose Clenshaw sums run side by side in
/// [`FastMarginal::from_standard_normal_column`] (the block engine's width).
const GROUP: usize = 64;

impl FastMarginal {
    /// [`FastMarginal::from_standard_normal`] of every `z`, into `x` (same length): the same
    /// bits, faster. The scalar version is one Clenshaw recurrence, a chain of 12 dependent
    /// multiply–add–subtract steps per draw (latency-bound, ~150 cycles); here the pieces of up
    /// to [`GROUP`] lanes are located first and their recurrences advance together, each lane
    /// doing exactly the scalar version's operations in its order (so the compiler may run
    /// the lanes in vector registers, and the chains overlap).
    #[inline(always)]
    pub fn from_standard_normal_column(&self, z: &[f64], x: &mut [f64]) {
        assert_eq!(z.len(), x.len(), "one output per draw");
        for (z, x) in z.chunks(GROUP).zip(x.chunks_mut(GROUP)) {
            match &self.kind {
                FastKind::Exact => {
                    x.iter_mut().zip(z).for_each(|(x, &z)| *x = self.marginal.from_standard_normal_exact(z));
                }
                FastKind::Count(table) => {
                    table.eval_group(z, x);
                    // A count is never NaN: NaN marks the lanes the reference decides.
                    for (x, &z) in x.iter_mut().zip(z) {
                        if x.is_nan() {
                            *x = self.marginal.from_standard_normal_exact(z);
                        }
                    }
                }
                FastKind::StudentT { location, scale, table } => self.tabulated_group(
                    z,
                    x,
                    table,
                    |_| 0,
                    // The reference's `location ∓ scale · t_upper` with `t_upper = |z| v`.
                    |z, v| (location + scale * (z * v)).clamp(-f64::MAX, f64::MAX),
                ),
                // The lower side at `|z|` for `z <= 0` (`-z` there, the same position), the upper
                // side for `z > 0` and NaN (which finds no piece).
                FastKind::Bounded { min, max, range, table } => self.tabulated_group(
                    z,
                    x,
                    table,
                    |z| usize::from(z > 0.0),
                    |z, v| {
                        if z <= 0.0 { (min + range * v).clamp(*min, *max) } else { (max - range * v).clamp(*min, *max) }
                    },
                ),
                FastKind::Offset { anchor, table } => self.tabulated_group(
                    z,
                    x,
                    table,
                    |z| usize::from(z > 0.0),
                    |_, v| (anchor + v).clamp(-f64::MAX, f64::MAX),
                ),
            }
        }
    }

    /// [`FastMarginal::from_standard_normal_column`] on at most [`GROUP`] lanes of a tabulated
    /// (continuous) marginal: `side` picks a lane's side of `table` (it is read at `|z|`, as
    /// `from_standard_normal` reads it), `finish` turns the tabulated value `v` at `z` into the
    /// draw (both chosen once per column, not matched per lane). The draws are finished side by
    /// side, then the lanes whose sum is NaN (the reference's) are redone one by one.
    #[inline(always)]
    fn tabulated_group<const SIDES: usize>(
        &self,
        z: &[f64],
        x: &mut [f64],
        table: &Piecewise<SIDES>,
        side: impl Fn(f64) -> usize,
        finish: impl Fn(f64, f64) -> f64,
    ) {
        let n = z.len();
        // A partial group's missing lanes are NaN: no piece, and never read back.
        let padded: [f64; GROUP];
        let full: &[f64; GROUP] = match z.try_into() {
            Ok(full) => full,
            Err(_) => {
                padded = std::array::from_fn(|lane| z.get(lane).copied().unwrap_or(f64::NAN));
                &padded
            }
        };
        let v = table.eval_group(full, side);
        for lane in 0..n {
            x[lane] = finish(z[lane], v[lane]);
        }
        for lane in 0..n {
            if v[lane].is_nan() {
                x[lane] = self.marginal.from_standard_normal_exact(z[lane]);
            }
        }
    }
}

/// Lanes of a group whose Clenshaw recurrences advance together in
/// [`Piecewise::eval_group`]: their partial sums and local variables fit in vector registers
/// (three sets of two registers with AVX-512), where all 64 lanes' spilled to the stack and
/// went back and forth between every step.
const CHUNK: usize = 16;

impl<const SIDES: usize> Piecewise<SIDES> {
    /// [`Piecewise::eval`] of every lane of a group, lane `i` at `|z[i]|` on side `side(z[i])`,
    /// NaN where the reference must be used: the same bits, each lane doing exactly `eval`'s
    /// operations in its order. The scalar version is one Clenshaw recurrence, a chain of 12
    /// dependent multiply–add–subtract steps per draw (latency-bound, ~150 cycles); here the
    /// lanes are located side by side, and the recurrences of [`CHUNK`] lanes advance
    /// together, each reading its coefficients by index from `coeffs` (vector gathers with
    /// AVX-512; reading them through an array of per-lane piece references instead took 20%
    /// more time with AVX-512 and 60% more without, measured on a synthetic column).
    #[inline(always)]
    fn eval_group(&self, z: &[f64; GROUP], side: impl Fn(f64) -> usize) -> [f64; GROUP] {
        let mut start = [NAN_PIECE; GROUP];
        let mut t = [0.0_f64; GROUP];
        for lane in 0..GROUP {
            (start[lane], t[lane]) = self.position(side(z[lane]), z[lane].abs());
        }
        let coeffs = &self.coeffs[..];
        let mut v = [0.0_f64; GROUP];
        for ((v, start), t) in v.chunks_exact_mut(CHUNK).zip(start.chunks_exact(CHUNK)).zip(t.chunks_exact(CHUNK)) {
            // Clenshaw's recurrence (`clenshaw`), lane by lane within each step.
            // SAFETY (every `get_unchecked` below): `position` returns NAN_PIECE (a whole piece
            // at the start of `coeffs`) or `first[cell] + piece · NODES` with `piece` below the
            // cell's number of pieces, whose coefficients `build` stored from `first[cell]` on;
            // so `start + j` is inside `coeffs` for every `j < NODES`.
            let c = |lane: usize, j: usize| unsafe { *coeffs.get_unchecked(start[lane] + j) };
            let t2: [f64; CHUNK] = std::array::from_fn(|lane| 2.0 * t[lane]);
            let (mut b1, mut b2) = ([0.0_f64; CHUNK], [0.0_f64; CHUNK]);
            for j in (1..NODES).rev() {
                for lane in 0..CHUNK {
                    let b0 = c(lane, j) + t2[lane] * b1[lane] - b2[lane];
                    b2[lane] = b1[lane];
                    b1[lane] = b0;
                }
            }
            for lane in 0..CHUNK {
                v[lane] = c(lane, 0) + t[lane] * b1[lane] - b2[lane];
            }
        }
        v
    }
}

/// `t_upper(Φ(-a)) / a` for the standard t with `df` degrees of freedom.
fn student_t_table(df: f64) -> Piecewise<1> {
    Piecewise::build([&|a| {
        let (lower, _) = normal_tails(-a);
        t_upper_quantile(lower, df) / a
    }])
}

/// The PERT's standardized distances from `min` (for `z <= 0`) and from `max` (`z > 0`).
fn pert_tables(alpha: f64, beta: f64) -> Piecewise<2> {
    Piecewise::build([&|a| beta_lower_quantile(alpha, beta, normal_tails(-a).0), &|a| {
        beta_lower_quantile(beta, alpha, normal_tails(a).1)
    }])
}

/// The triangular's standardized distances from `min` (for `z <= 0`) and from `max`
/// (`z > 0`): the reference's `x - min` and `max - x` in units of the range, formed as it
/// forms them (no subtraction of nearly equal numbers).
fn triangular_tables(min: f64, mode: f64, max: f64) -> Piecewise<2> {
    let range = max - min;
    let (left, right) = (mode - min, max - mode);
    let distance = |p: f64, near: f64, far: f64| triangular_distance(p, range, near, far);
    Piecewise::build([&|a| distance(normal_tails(-a).0, left, right), &|a| distance(normal_tails(a).1, right, left)])
}

/// The split normal's `x - mode` for `z <= 0` (at `|z|`) and for `z > 0`, with the
/// reference's branches (they change at the mode, where the table falls back to it).
fn split_normal_tables(sd_low: f64, sd_high: f64) -> Piecewise<2> {
    let total = sd_low + sd_high;
    let (lower_mass, upper_mass) = (sd_low / total, sd_high / total);
    let below = move |p: f64| sd_low * standard_normal_quantile(p * total / (2.0 * sd_low));
    let above = move |s: f64| -sd_high * standard_normal_quantile(s * total / (2.0 * sd_high));
    Piecewise::build([
        &|a| {
            let p = normal_tails(-a).0;
            if p <= lower_mass { below(p) } else { above(1.0 - p) }
        },
        &|a| {
            let s = normal_tails(a).1;
            if s <= upper_mass { above(s) } else { below(1.0 - s) }
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dense grid over [-9, 9] (beyond the tables on both sides), with extra points near 0.
    fn grid(step: f64) -> Vec<f64> {
        let n = (18.0 / step) as i64;
        let mut zs: Vec<f64> = (0..=n).map(|i| -9.0 + i as f64 * step).collect();
        for e in 1..=40 {
            let tiny = 2f64.powi(-e) * 0.987;
            zs.extend([tiny, -tiny]);
        }
        zs.extend([0.0, -0.0, Z_TABLE, -Z_TABLE, Z_COUNT, -Z_COUNT]);
        zs
    }

    fn rel(a: f64, b: f64) -> f64 {
        if a == b { 0.0 } else { (a - b).abs() / b.abs() }
    }

    fn student_t(df: f64) -> Marginal {
        Marginal::StudentT { location: 0.0, scale: 1.0, df }
    }

    /// Largest relative error of the fast standardized quantile against the reference's, and
    /// the share of `|z| <= 8` handed to the reference.
    fn t_error(df: f64, zs: &[f64]) -> (f64, f64) {
        let m = student_t(df);
        let fast = FastMarginal::new(&m);
        let FastKind::StudentT { table, .. } = &fast.kind else { panic!("no table for {m:?}") };
        let worst =
            zs.iter().map(|&z| rel(fast.from_standard_normal(z), m.from_standard_normal_exact(z))).fold(0.0, f64::max);
        (worst, table.exact_width(0) / Z_TABLE)
    }

    /// As `t_error` for PERT, on the distances from the nearer end in units of the range
    /// (the reference's `beta_lower_quantile`), and checking that the draws themselves
    /// differ by no more than that error times the range plus the rounding of `x`.
    fn pert_error(min: f64, mode: f64, max: f64, zs: &[f64]) -> (f64, f64) {
        let m = Marginal::Pert { min, mode, max };
        let fast = FastMarginal::new(&m);
        let FastKind::Bounded { table, .. } = &fast.kind else { panic!("no table for {m:?}") };
        let (alpha, beta) = pert_shape(min, mode, max);
        let range = max - min;
        let mut worst = 0.0f64;
        for &z in zs {
            let (exact, tabulated) = if z <= 0.0 {
                (beta_lower_quantile(alpha, beta, normal_tails(z).0), table.eval(0, -z))
            } else {
                (beta_lower_quantile(beta, alpha, normal_tails(z).1), table.eval(1, z))
            };
            let error = rel(tabulated.unwrap_or(exact), exact);
            worst = worst.max(error);
            let (got, want) = (fast.from_standard_normal(z), m.from_standard_normal_exact(z));
            let allowed = error * range * exact + 2.0 * f64::EPSILON * want.abs().max(range * exact);
            assert!((got - want).abs() <= allowed * (1.0 + 1e-9), "PERT {min} {mode} {max} at z {z}: {got} vs {want}");
        }
        (worst, (table.exact_width(0) + table.exact_width(1)) / (2.0 * Z_TABLE))
    }

    const T_DFS: [f64; 10] = [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 30.0, 1e3, 1e6];
    const PERTS: [(f64, f64, f64); 7] = [
        (0.0, 0.5, 1.0),
        (0.0, 0.1, 1.0),
        (0.0, 0.9, 1.0),
        (0.0, 0.0, 1.0),
        (0.0, 1.0, 1.0),
        (-5.0, 2.0, 10.0),
        (0.02, 0.021, 9.0),
    ];

    #[test]
    fn student_t_tables_match_the_reference_within_1e_12() {
        let zs = grid(7.3e-4);
        for df in T_DFS {
            let (worst, exact_share) = t_error(df, &zs);
            assert!(worst <= 1e-12, "df {df}: relative error {worst:e}");
            // The tables must do the work: at most the piece next to the median (where the
            // reference's own p = 1/2 - O(z) loses digits) is left to the reference.
            assert!(exact_share <= 1.0 / 512.0 + 1e-12, "df {df}: {exact_share} of |z| <= 8 left to the reference");
        }
    }

    #[test]
    fn pert_tables_match_the_reference_within_1e_12() {
        let zs = grid(7.3e-4);
        for (min, mode, max) in PERTS {
            let (worst, exact_share) = pert_error(min, mode, max, &zs);
            assert!(worst <= 1e-12, "PERT {min} {mode} {max}: relative error {worst:e}");
            assert!(exact_share <= 1.0 / 512.0 + 1e-12, "PERT {min} {mode} {max}: {exact_share} left to the reference");
        }
    }

    /// Location and scale are applied exactly as the reference applies them.
    #[test]
    fn student_t_location_and_scale_follow_the_reference() {
        let m = Marginal::StudentT { location: 4.4, scale: 6.0 / (5.0f64 / 3.0).sqrt(), df: 5.0 };
        let fast = FastMarginal::new(&m);
        for z in grid(1.1e-2) {
            let (got, want) = (fast.from_standard_normal(z), m.from_standard_normal_exact(z));
            // The error of the standardized quantile, scaled; plus rounding of the sum.
            let allowed = 1e-12 * (want - 4.4).abs() + 4.0 * f64::EPSILON * want.abs();
            assert!((got - want).abs() <= allowed, "z {z}: {got} vs {want}");
        }
    }

    /// Largest error of the fast draws against the reference, relative to the distance from
    /// the quantity the draw is formed from (the nearer end of a triangular, the mode of a
    /// split normal) once the rounding of `x` itself (2 ulps) is allowed for; and the share
    /// of `|z| <= 8` left to the reference.
    fn anchored_error(m: Marginal, zs: &[f64]) -> (f64, f64) {
        let fast = FastMarginal::new(&m);
        // The anchors for z <= 0 and z > 0.
        let (tables, anchors) = match (&fast.kind, m) {
            (FastKind::Bounded { table, .. }, Marginal::Triangular { min, max, .. }) => (table, (min, max)),
            (FastKind::Offset { table, anchor }, _) => (table, (*anchor, *anchor)),
            _ => panic!("no table for {m:?}"),
        };
        let anchor = |z: f64| if z <= 0.0 { anchors.0 } else { anchors.1 };
        let mut worst = 0.0f64;
        for &z in zs {
            let (got, want) = (fast.from_standard_normal(z), m.from_standard_normal_exact(z));
            let excess = ((got - want).abs() - 2.0 * f64::EPSILON * want.abs()).max(0.0);
            if excess > 0.0 {
                worst = worst.max(excess / (want - anchor(z)).abs());
            }
        }
        (worst, (tables.exact_width(0) + tables.exact_width(1)) / (2.0 * Z_TABLE))
    }

    const TRIANGULARS: [(f64, f64, f64); 6] = [
        (0.0, 0.5, 1.0),
        (7120.0, 7250.0, 7380.0),
        (0.0, 0.0, 1.0),
        (0.0, 1.0, 1.0),
        (-3.0, 2.9, 3.0),
        (33.0, 45.0, 55.0),
    ];
    const SPLIT_NORMALS: [(f64, f64, f64); 4] =
        [(4.8, 2.0, 1.2), (5.6, 1.3, 2.4), (0.0, 1.0, 1.0001), (-1.0, 0.01, 3.0)];

    #[test]
    fn triangular_and_split_normal_tables_match_the_reference_within_1e_12() {
        let zs = grid(7.3e-4);
        for (min, mode, max) in TRIANGULARS {
            let (worst, share) = anchored_error(Marginal::Triangular { min, mode, max }, &zs);
            assert!(worst <= 1e-12, "triangular {min} {mode} {max}: relative error {worst:e}");
            assert!(share <= 1.0 / 256.0, "triangular {min} {mode} {max}: {share} left to the reference");
        }
        for (mode, sd_low, sd_high) in SPLIT_NORMALS {
            let (worst, share) = anchored_error(Marginal::SplitNormal { mode, sd_low, sd_high }, &zs);
            assert!(worst <= 1e-12, "split normal {mode} {sd_low} {sd_high}: relative error {worst:e}");
            // The pieces around the mode (a kink of the second derivative, where `x - mode`
            // changes sign) are left to it: 0.1% of |z| <= 8, 0.9% for a 1:300 split.
            assert!(share <= 1.0 / 64.0, "split normal {mode} {sd_low} {sd_high}: {share} left to the reference");
        }
    }

    fn count_marginals() -> Vec<Marginal> {
        let mut v: Vec<Marginal> =
            [0.01, 0.5, 3.0, 17.5, 300.0, 5000.0].into_iter().map(|mean| Marginal::Poisson { mean }).collect();
        v.extend(
            [(1000.0, 5.0), (420.0, 10.0), (3.0, 0.5), (50.0, 200.0), (0.2, 0.05), (500.0, 1.0)]
                .into_iter()
                .map(|(mean, dispersion)| Marginal::NegativeBinomial { mean, dispersion }),
        );
        v
    }

    /// The same integer as the reference everywhere: on a dense grid, at and around every
    /// threshold (inside and outside the margin), and at the edges of the table.
    #[test]
    fn count_tables_give_the_reference_integers() {
        let zs = grid(3.7e-4);
        for m in count_marginals() {
            let fast = FastMarginal::new(&m);
            let FastKind::Count(table) = &fast.kind else { panic!("no table for {m:?}") };
            let (first, thresholds) = table.thresholds();
            let mut points = zs.clone();
            for &t in thresholds {
                for d in [0.0, 1e-15, 1e-12, 0.5e-9, 0.99e-9, 1.01e-9, 2e-9, 1e-7, 1e-4] {
                    points.extend([t + d, t - d]);
                }
                points.extend([t.next_up(), t.next_down()]);
            }
            points.extend([Z_COUNT.next_up(), Z_COUNT.next_down(), (-Z_COUNT).next_up(), (-Z_COUNT).next_down()]);
            let mut from_table = 0usize;
            for z in points {
                let want = m.from_standard_normal_exact(z);
                let got = fast.from_standard_normal(z);
                assert_eq!(got.to_bits(), want.to_bits(), "{m:?} at z = {z:e}: {got} vs {want}");
                from_table += usize::from(table.eval(z).is_some());
            }
            assert!(from_table > zs.len() / 2, "{m:?}: the table answered only {from_table} draws");
            assert!(first >= 0.0 && !thresholds.is_empty());
        }
    }

    /// The column version (groups of 64 lanes, a partial group at the end) gives the scalar
    /// version's bits for every kind of table: counts on a dense grid and at, around and
    /// within the margin of every threshold (the fixed-length scans; every table here has a
    /// scan bound), and the continuous tables on a dense grid with tails beyond the tables.
    #[test]
    fn columns_give_the_scalar_bits() {
        let check = |m: &Marginal, points: &[f64]| {
            let fast = FastMarginal::new(m);
            let mut column = vec![f64::NAN; points.len()];
            fast.from_standard_normal_column(points, &mut column);
            for (&z, &got) in points.iter().zip(&column) {
                let want = fast.from_standard_normal(z);
                assert_eq!(got.to_bits(), want.to_bits(), "{m:?} at z = {z:e}: {got} vs {want}");
            }
            fast
        };
        let zs = grid(3.7e-4);
        for m in count_marginals() {
            let mut points = zs.clone();
            let FastKind::Count(table) = FastMarginal::new(&m).kind else { panic!("no table for {m:?}") };
            assert!(table.steps > 0, "{m:?}: no scan bound");
            for &t in table.thresholds().1 {
                for d in [0.0, 1e-15, 1e-12, 0.5e-9, 0.99e-9, 1.01e-9, 2e-9, 1e-7, 1e-4] {
                    points.extend([t + d, t - d]);
                }
                points.extend([t.next_up(), t.next_down()]);
            }
            points.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, Z_COUNT.next_up(), (-Z_COUNT).next_down()]);
            points.push(0.25);
            check(&m, &points);
        }
        let mut points = zs.clone();
        points.extend([f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 37.0, -37.0]);
        points.push(0.25);
        let continuous = [
            student_t(3.0),
            Marginal::StudentT { location: 2.0, scale: 5.0, df: 1.5 },
            Marginal::Pert { min: 1.0, mode: 2.0, max: 9.0 },
            Marginal::Triangular { min: 50.0, mode: 100.0, max: 150.0 },
            Marginal::Triangular { min: 0.0, mode: 0.0, max: 1.0 },
            Marginal::SplitNormal { mode: 4.8, sd_low: 2.0, sd_high: 1.2 },
            Marginal::Normal { mean: 1.0, sd: 2.0 },
        ];
        for m in &continuous {
            check(m, &points);
        }
    }

    /// The column version at every piece edge of every level (where the lookup assigns a point
    /// to a piece or its neighbour) and one ulp either side, on both sides, at ±0, ±∞, NaN and
    /// beyond the tables, with a partial last group, for tables with pieces and cells left to
    /// the reference (the t with df 1 next to the median, a 1:300 split normal around the
    /// mode): the scalar version's bits, which are the reference's bits wherever the table
    /// gives no answer.
    #[test]
    fn columns_give_the_scalar_bits_at_piece_edges() {
        let marginals = [
            (student_t(1.0), true),
            (Marginal::StudentT { location: -3.0, scale: 0.5, df: 1e6 }, true),
            (Marginal::SplitNormal { mode: -1.0, sd_low: 0.01, sd_high: 3.0 }, true),
            (Marginal::Pert { min: 0.0, mode: 0.0, max: 1.0 }, false),
            (Marginal::Triangular { min: 0.0, mode: 1.0, max: 1.0 }, false),
            (Marginal::Triangular { min: 7120.0, mode: 7250.0, max: 7380.0 }, false),
        ];
        let finest = CELLS_PER_UNIT * f64::from(1u32 << MAX_LEVEL);
        let mut points = vec![0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 8.25, -8.25, 1e300, -1e300];
        for k in 0..=(Z_TABLE * finest) as u32 {
            let a = f64::from(k) / finest;
            for a in [a, a.next_up(), a.next_down()] {
                points.extend([a, -a]);
            }
        }
        points.extend([f64::MIN_POSITIVE, -f64::MIN_POSITIVE, 5e-324, -5e-324]);
        if points.len() % GROUP == 0 {
            points.push(0.3);
        }
        for (m, refers) in &marginals {
            let fast = FastMarginal::new(m);
            let (table, one_sided) = match &fast.kind {
                FastKind::StudentT { table, .. } => (None, Some(table)),
                FastKind::Bounded { table, .. } | FastKind::Offset { table, .. } => (Some(table), None),
                _ => panic!("no table for {m:?}"),
            };
            let tabulated = |z: f64| match (table, one_sided) {
                (_, Some(t)) => t.eval(0, z.abs()),
                (Some(t), _) => {
                    if z <= 0.0 {
                        t.eval(0, -z)
                    } else {
                        t.eval(1, z)
                    }
                }
                _ => unreachable!(),
            };
            let mut column = vec![f64::NAN; points.len()];
            fast.from_standard_normal_column(&points, &mut column);
            let mut referred_inside = 0;
            for (&z, &got) in points.iter().zip(&column) {
                let want = fast.from_standard_normal(z);
                assert_eq!(got.to_bits(), want.to_bits(), "{m:?} at z = {z:e}: {got} vs {want}");
                if tabulated(z).is_none() {
                    let exact = m.from_standard_normal_exact(z);
                    assert_eq!(want.to_bits(), exact.to_bits(), "{m:?} at z = {z:e}: {want} vs {exact}");
                    referred_inside += usize::from(z.abs() <= Z_TABLE);
                }
            }
            // The t's next to the median and the split normal's around the mode are left to the
            // reference (see the module doc), so the edges of those parts are tested too.
            assert!(referred_inside > 0 || !refers, "{m:?}: nothing left to the reference");
        }
    }

    /// Not only the parameters above: a seeded sweep of random parameters over the whole range
    /// a scenario may give (t with 0 < df <= 1e12, PERT and triangular modes anywhere in their
    /// range at any scale and offset, split normals up to 1:1000), on a coarser grid, within the
    /// same 1e-12; and counts giving the reference's integers.
    #[test]
    fn random_parameters_match_the_reference_within_1e_12() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(13);
        let zs = grid(3.1e-3);
        let log_uniform = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus, lo: f64, hi: f64| {
            (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
        };
        for _ in 0..12 {
            let df = log_uniform(&mut rng, 0.05, 1e12);
            let m = Marginal::StudentT { location: 0.0, scale: 1.0, df };
            let fast = FastMarginal::new(&m);
            let worst = zs
                .iter()
                .map(|&z| rel(fast.from_standard_normal(z), m.from_standard_normal_exact(z)))
                .fold(0.0, f64::max);
            assert!(worst <= 1e-12, "t df {df}: relative error {worst:e}");
        }
        for _ in 0..12 {
            let scale = log_uniform(&mut rng, 1e-3, 1e6);
            let min = (rng.random::<f64>() - 0.5) * 10.0 * scale;
            let max = min + scale * log_uniform(&mut rng, 1e-2, 1e2);
            let mode = min + (max - min) * rng.random::<f64>().powi(3 * rng.random_range(0..2) + 1);
            let (worst, _) = pert_error(min, mode, max, &zs);
            assert!(worst <= 1e-12, "PERT {min} {mode} {max}: relative error {worst:e}");
            let (worst, _) = anchored_error(Marginal::Triangular { min, mode, max }, &zs);
            assert!(worst <= 1e-12, "triangular {min} {mode} {max}: relative error {worst:e}");
        }
        for _ in 0..12 {
            let mode = (rng.random::<f64>() - 0.5) * 20.0;
            let sd_low = log_uniform(&mut rng, 1e-2, 1e1);
            let sd_high = sd_low * log_uniform(&mut rng, 1e-3, 1e3);
            let (worst, _) = anchored_error(Marginal::SplitNormal { mode, sd_low, sd_high }, &zs);
            assert!(worst <= 1e-12, "split normal {mode} {sd_low} {sd_high}: relative error {worst:e}");
        }
        for _ in 0..12 {
            let mean = log_uniform(&mut rng, 1e-3, 1e5);
            let counts = [
                Marginal::Poisson { mean },
                Marginal::NegativeBinomial { mean, dispersion: log_uniform(&mut rng, 1e-2, 1e3) },
            ];
            for m in counts {
                let fast = FastMarginal::new(&m);
                for &z in &zs {
                    let (got, want) = (fast.from_standard_normal(z), m.from_standard_normal_exact(z));
                    assert_eq!(got.to_bits(), want.to_bits(), "{m:?} at z = {z:e}: {got} vs {want}");
                }
            }
        }
    }

    /// Laws too wide to tabulate keep the reference.
    #[test]
    fn very_wide_counts_keep_the_reference() {
        let m = Marginal::Poisson { mean: 1e8 };
        let fast = FastMarginal::new(&m);
        assert!(matches!(fast.kind, FastKind::Exact));
        for z in [-3.0, 0.0, 0.5, 4.0] {
            assert_eq!(fast.from_standard_normal(z), m.from_standard_normal_exact(z));
        }
    }

    /// The measurement quoted in the module doc (a denser grid; slow in debug builds).
    #[test]
    #[ignore]
    fn measure_table_errors() {
        let zs = grid(9e-5);
        for df in T_DFS {
            let (worst, share) = t_error(df, &zs);
            println!("student_t df {df}: max relative error {worst:.2e}, reference share {share:.2e}");
        }
        for (min, mode, max) in PERTS {
            let (worst, share) = pert_error(min, mode, max, &zs);
            println!("pert {min} {mode} {max}: max relative error {worst:.2e}, reference share {share:.2e}");
        }
        for (min, mode, max) in TRIANGULARS {
            let (worst, share) = anchored_error(Marginal::Triangular { min, mode, max }, &zs);
            println!("triangular {min} {mode} {max}: max relative error {worst:.2e}, reference share {share:.2e}");
        }
        for (mode, sd_low, sd_high) in SPLIT_NORMALS {
            let (worst, share) = anchored_error(Marginal::SplitNormal { mode, sd_low, sd_high }, &zs);
            println!(
                "split normal {mode} {sd_low} {sd_high}: max relative error {worst:.2e}, reference share {share:.2e}"
            );
        }
    }
}
