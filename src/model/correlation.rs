//! Correlation matrices for the Gaussian copula: factor them (Cholesky, tolerant of
//! positive semi-definite singular inputs), explain why a user-supplied matrix is not a valid
//! correlation matrix (eigen-analysis), and repair it to the nearest valid one (Higham 2002).
//!
//! # Methods
//! * Factorization: left-looking, column-by-column Cholesky (Cholesky–Crout) in a fixed
//!   loop order with plain `f64` arithmetic (no SIMD library, no fused multiply-add, no
//!   library calls but the correctly rounded `sqrt`), so the factor is bit-identical on every
//!   CPU. A pivot within [`PIVOT_TOLERANCE`] of zero gives a zero column, which is how
//!   perfectly correlated indicators (ρ = ±1) are represented.
//! * Diagnosis: the eigenvector `v` of the most negative eigenvalue λ satisfies
//!   `λ = Σ_i v_i² + 2 Σ_{i<j} ρ_ij v_i v_j`; the pairs with the most negative terms
//!   `ρ_ij v_i v_j` are the ones pulling λ below zero.
//! * Repair: N. J. Higham (2002), "Computing the nearest correlation matrix — a problem from
//!   finance", IMA J. Numer. Anal. 22, 329–343, Algorithm 3.3: alternating projections onto
//!   the positive semi-definite cone and the unit-diagonal matrices with Dykstra's
//!   correction (Boyle & Dykstra 1986), unweighted Frobenius norm; then a final nudge to
//!   strictly positive definite (eigenvalues floored, diagonal rescaled to 1).
//!
//! Eigen-decompositions use nalgebra's `SymmetricEigen` (Householder tridiagonalization and
//! implicit QR in plain loops, without run-time CPU dispatch); the reconstructions `Q Λ Qᵀ`
//! are written out here rather than done with nalgebra's matrix product, whose
//! `matrixmultiply` backend picks FMA kernels at run time by CPU, so a repaired matrix does
//! not depend on the machine's instruction set.

use nalgebra::{DMatrix, SymmetricEigen};
use std::fmt;

/// Cholesky pivots with `|d| <= PIVOT_TOLERANCE` are treated as exactly zero (singular but
/// positive semi-definite direction).
pub const PIVOT_TOLERANCE: f64 = 1e-12;
/// Off-diagonal residual allowed under a zero pivot. For a positive semi-definite matrix with
/// unit diagonal the residual is at most `sqrt(PIVOT_TOLERANCE * 1) = 1e-6` by
/// Cauchy–Schwarz on the Schur complement, so anything larger proves indefiniteness.
const ZERO_PIVOT_RESIDUAL: f64 = 1e-6 * (1.0 + 1e-9);
/// Smallest eigenvalue guaranteed by [`CorrelationMatrix::nearest_valid`].
pub const REPAIR_MIN_EIGENVALUE: f64 = 1e-8;
/// How many offending pairs [`CorrelationMatrix::diagnose`] reports at most.
pub const MAX_OFFENDING: usize = 5;
/// Convergence tolerance (relative Frobenius change) of Higham's iteration.
const HIGHAM_TOLERANCE: f64 = 1e-12;
/// Cap on Higham's sweeps (each one eigen-decomposition; ~10 ms at n = 200). Random 200 × 200
/// matrices far from valid converge in ~100; if the cap is hit the result is still valid,
/// only not quite the nearest.
const HIGHAM_MAX_ITER: usize = 1000;

/// Symmetric matrix with unit diagonal, stored dense and row-major (`n * n` entries).
///
/// Entries are finite by construction. Off-diagonal entries are whatever the caller set: the
/// matrix is only known to be a valid correlation matrix once [`CorrelationMatrix::cholesky`]
/// succeeds.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrelationMatrix {
    n: usize,
    values: Vec<f64>,
}

/// The matrix is not positive semi-definite: the Cholesky factorization broke down at
/// column `pivot` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotPositiveDefinite {
    pub pivot: usize,
}

impl fmt::Display for NotPositiveDefinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "correlation matrix is not positive semi-definite (Cholesky breaks down at \
             indicator {}); some correlations are mutually inconsistent",
            self.pivot
        )
    }
}

impl std::error::Error for NotPositiveDefinite {}

/// Why a matrix is not positive semi-definite.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnosis {
    /// Smallest eigenvalue (`+∞` for an empty matrix; NaN if the eigen-solver failed).
    pub min_eigenvalue: f64,
    /// Up to [`MAX_OFFENDING`] pairs `(i, j, rho_ij, contribution)` with `i < j`, where
    /// `contribution = rho_ij * v_i * v_j` for the unit eigenvector `v` of the smallest
    /// eigenvalue. Only pairs with a negative contribution (those pulling the eigenvalue down)
    /// are listed, most negative first. Empty when the matrix is positive semi-definite to
    /// rounding (`min_eigenvalue >= -64 ε n`, the eigen-solver's rounding level).
    pub offending: Vec<(usize, usize, f64, f64)>,
}

/// Result of [`CorrelationMatrix::nearest_valid`].
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    /// Positive definite (smallest eigenvalue >= [`REPAIR_MIN_EIGENVALUE`]), unit diagonal,
    /// exactly symmetric.
    pub matrix: CorrelationMatrix,
    /// Largest `|repaired - original|` entry.
    pub max_abs_change: f64,
    /// Where it occurs, as `(i, j)` with `i <= j` (the first in row-major order; `(0, 0)` when
    /// nothing changed).
    pub max_change_at: (usize, usize),
    /// Frobenius norm of `repaired - original` (over all `n * n` entries).
    pub frobenius_change: f64,
}

impl CorrelationMatrix {
    /// The `n × n` identity (all indicators independent).
    pub fn identity(n: usize) -> Self {
        let mut values = vec![0.0; n * n];
        for i in 0..n {
            values[i * n + i] = 1.0;
        }
        CorrelationMatrix { n, values }
    }

    /// Builds a matrix from `n * n` row-major values. The diagonal must be 1 and the matrix
    /// symmetric, each to within 1e-12 (it is then made exactly so), and every entry finite.
    pub fn from_row_major(n: usize, values: Vec<f64>) -> Result<Self, String> {
        if n.checked_mul(n) != Some(values.len()) {
            return Err(format!("a {n}x{n} correlation matrix needs {n}² values (got {})", values.len()));
        }
        let mut m = CorrelationMatrix { n, values };
        for i in 0..n {
            let d = m.values[i * n + i];
            if !d.is_finite() || (d - 1.0).abs() > 1e-12 {
                return Err(format!(
                    "diagonal entry ({i},{i}) must be 1 (got {d}); a variable is perfectly correlated with itself"
                ));
            }
            m.values[i * n + i] = 1.0;
            for j in (i + 1)..n {
                let (a, b) = (m.values[i * n + j], m.values[j * n + i]);
                if !a.is_finite() || !b.is_finite() {
                    return Err(format!("entry ({i},{j}) must be a finite number (got {a} and {b})"));
                }
                if (a - b).abs() > 1e-12 {
                    return Err(format!("matrix must be symmetric: entry ({i},{j}) is {a} but ({j},{i}) is {b}"));
                }
                let avg = 0.5 * (a + b);
                m.values[i * n + j] = avg;
                m.values[j * n + i] = avg;
            }
        }
        Ok(m)
    }

    /// Dimension.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Entry `(i, j)`.
    ///
    /// # Panics
    /// If `i >= n` or `j >= n`.
    pub fn get(&self, i: usize, j: usize) -> f64 {
        assert!(i < self.n && j < self.n, "index ({i},{j}) out of range for n = {}", self.n);
        self.values[i * self.n + j]
    }

    /// The `n * n` row-major entries.
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// Sets the correlation of indicators `i` and `j` (both `(i, j)` and `(j, i)`).
    ///
    /// `rho` outside `[-1, 1]` is stored as given: it makes the matrix invalid, which
    /// [`CorrelationMatrix::cholesky`] reports and [`CorrelationMatrix::nearest_valid`] repairs.
    ///
    /// # Panics
    /// If `i >= n`, `j >= n`, `i == j` (the diagonal is fixed at 1) or `rho` is not finite.
    pub fn set(&mut self, i: usize, j: usize, rho: f64) {
        assert!(i < self.n && j < self.n, "index ({i},{j}) out of range for n = {}", self.n);
        assert!(i != j, "the diagonal of a correlation matrix is fixed at 1 (tried ({i},{i}))");
        assert!(rho.is_finite(), "correlation ({i},{j}) must be finite (got {})", crate::numbers::shown(rho));
        self.values[i * self.n + j] = rho;
        self.values[j * self.n + i] = rho;
    }

    /// Lower-triangular Cholesky factor `L` (row-major, `n * n`, zeros above the diagonal)
    /// with `L Lᵀ = self`.
    ///
    /// Positive semi-definite singular matrices are accepted, as a Gaussian copula allows
    /// them (e.g. ρ = 1 between two indicators): a pivot with `|d| <= PIVOT_TOLERANCE`
    /// yields a zero column, provided the rest of that column is within 1e-6 of zero (the
    /// most a PSD matrix allows under such a pivot). `L Lᵀ` then reproduces the matrix to
    /// within 1e-6 entrywise (to rounding when the singularity is exact, as with ρ = 1).
    /// A negative pivot, or a non-zero column under a zero pivot, proves the matrix
    /// indefinite and returns the error.
    ///
    /// Fixed loop order, no SIMD library, no FMA: the result is bit-identical on every CPU.
    pub fn cholesky(&self) -> Result<Vec<f64>, NotPositiveDefinite> {
        let n = self.n;
        let a = &self.values;
        let mut l = vec![0.0; n * n];
        for j in 0..n {
            let mut d = a[j * n + j];
            for k in 0..j {
                d -= l[j * n + k] * l[j * n + k];
            }
            if d > PIVOT_TOLERANCE {
                let ljj = d.sqrt();
                l[j * n + j] = ljj;
                for i in (j + 1)..n {
                    let mut s = a[i * n + j];
                    for k in 0..j {
                        s -= l[i * n + k] * l[j * n + k];
                    }
                    l[i * n + j] = s / ljj;
                }
            } else if d >= -PIVOT_TOLERANCE {
                for i in (j + 1)..n {
                    let mut s = a[i * n + j];
                    for k in 0..j {
                        s -= l[i * n + k] * l[j * n + k];
                    }
                    if s.is_nan() || s.abs() > ZERO_PIVOT_RESIDUAL {
                        return Err(NotPositiveDefinite { pivot: j });
                    }
                }
            } else {
                return Err(NotPositiveDefinite { pivot: j });
            }
        }
        Ok(l)
    }

    /// Smallest eigenvalue and, when it is negative, the pairs most responsible for it.
    pub fn diagnose(&self) -> Diagnosis {
        let n = self.n;
        if n == 0 {
            return Diagnosis { min_eigenvalue: f64::INFINITY, offending: Vec::new() };
        }
        let Some(eig) = eigen(n, &self.values) else {
            return Diagnosis { min_eigenvalue: f64::NAN, offending: Vec::new() };
        };
        let (idx, min_eigenvalue) = eig
            .eigenvalues
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::INFINITY), |best, (i, v)| if v < best.1 { (i, v) } else { best });
        let mut offending = Vec::new();
        if min_eigenvalue < -64.0 * f64::EPSILON * n as f64 {
            let v = eig.eigenvectors.column(idx);
            for i in 0..n {
                for j in (i + 1)..n {
                    let rho = self.values[i * n + j];
                    let contribution = rho * v[i] * v[j];
                    if contribution < 0.0 {
                        offending.push((i, j, rho, contribution));
                    }
                }
            }
            // Most negative first; ties by position, so the order is deterministic.
            offending.sort_by(|x, y| x.3.total_cmp(&y.3).then((x.0, x.1).cmp(&(y.0, y.1))));
            offending.truncate(MAX_OFFENDING);
        }
        Diagnosis { min_eigenvalue, offending }
    }

    /// Nearest valid correlation matrix in the Frobenius norm (Higham 2002, alternating
    /// projections with Dykstra's correction), nudged to be strictly positive definite
    /// (smallest eigenvalue >= [`REPAIR_MIN_EIGENVALUE`]) with an exactly unit diagonal.
    ///
    /// A matrix whose smallest eigenvalue is already >= [`REPAIR_MIN_EIGENVALUE`] is returned
    /// unchanged (all changes exactly 0). A positive semi-definite singular matrix (e.g.
    /// ρ = 1) is nudged by about `REPAIR_MIN_EIGENVALUE`; use [`CorrelationMatrix::cholesky`]
    /// directly to keep it singular.
    ///
    /// Should an eigen-decomposition ever fail to converge (it does not for finite input; the
    /// iteration is capped only as a guard), the fallback is the shrinkage `(1 - t) A + t I`
    /// with the smallest `t` whose Cholesky pivots all reach `REPAIR_MIN_EIGENVALUE`: valid,
    /// but not the nearest. Cost: about 100 eigen-decompositions for a badly invalid matrix,
    /// ~1 s at n = 200.
    pub fn nearest_valid(&self) -> Repair {
        let n = self.n;
        let unchanged =
            || Repair { matrix: self.clone(), max_abs_change: 0.0, max_change_at: (0, 0), frobenius_change: 0.0 };
        if n == 0 {
            return unchanged();
        }
        if min_eigenvalue(n, &self.values).is_some_and(|m| m >= REPAIR_MIN_EIGENVALUE) {
            return unchanged();
        }
        let repaired = higham(n, &self.values)
            .and_then(|y| make_positive_definite(n, y))
            .unwrap_or_else(|| shrink_to_identity(n, &self.values));
        let mut max_abs_change = 0.0;
        let mut max_change_at = (0, 0);
        let mut sum_sq = 0.0;
        for i in 0..n {
            for j in 0..n {
                let d = repaired[i * n + j] - self.values[i * n + j];
                sum_sq += d * d;
                if j >= i && d.abs() > max_abs_change {
                    max_abs_change = d.abs();
                    max_change_at = (i, j);
                }
            }
        }
        Repair {
            matrix: CorrelationMatrix { n, values: repaired },
            max_abs_change,
            max_change_at,
            frobenius_change: sum_sq.sqrt(),
        }
    }
}

/// Symmetric eigen-decomposition; `None` if the QR iteration does not converge (it always
/// does for finite input; the cap only guards against a hang).
fn eigen(n: usize, values: &[f64]) -> Option<SymmetricEigen<f64, nalgebra::Dyn>> {
    let m = DMatrix::from_row_slice(n, n, values);
    SymmetricEigen::try_new(m, f64::EPSILON, 1000 * n + 1000)
}

fn min_eigenvalue(n: usize, values: &[f64]) -> Option<f64> {
    eigen(n, values).map(|e| e.eigenvalues.iter().copied().fold(f64::INFINITY, f64::min))
}

/// `Q diag(max(λ, floor)) Qᵀ` for the eigen-decomposition of `values`, written out in a fixed
/// loop order (see the module docs) and exactly symmetric.
fn floor_eigenvalues(n: usize, values: &[f64], floor: f64) -> Option<Vec<f64>> {
    let eig = eigen(n, values)?;
    let lambda: Vec<f64> = eig.eigenvalues.iter().map(|&l| l.max(floor)).collect();
    let q = &eig.eigenvectors;
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in i..n {
            let mut s = 0.0;
            for (k, &l) in lambda.iter().enumerate() {
                s += q[(i, k)] * l * q[(j, k)];
            }
            out[i * n + j] = s;
            out[j * n + i] = s;
        }
    }
    Some(out)
}

/// Higham (2002) Algorithm 3.3 with `W = I`: returns the limit `Y` (unit diagonal, positive
/// semi-definite up to the iteration tolerance).
fn higham(n: usize, a: &[f64]) -> Option<Vec<f64>> {
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let diff_norm = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt();
    let mut y = a.to_vec();
    let mut x = a.to_vec();
    let mut ds = vec![0.0; n * n];
    for _ in 0..HIGHAM_MAX_ITER {
        // R = Y - ΔS; X = P_S(R); ΔS = X - R; Y = P_U(X).
        let r: Vec<f64> = y.iter().zip(&ds).map(|(yi, di)| yi - di).collect();
        let x_new = floor_eigenvalues(n, &r, 0.0)?;
        for ((d, xn), ri) in ds.iter_mut().zip(&x_new).zip(&r) {
            *d = xn - ri;
        }
        let mut y_new = x_new.clone();
        for i in 0..n {
            y_new[i * n + i] = 1.0;
        }
        let scale = norm(&y_new).max(f64::MIN_POSITIVE);
        let change = diff_norm(&x_new, &x).max(diff_norm(&y_new, &y)).max(diff_norm(&y_new, &x_new)) / scale;
        x = x_new;
        y = y_new;
        if change <= HIGHAM_TOLERANCE {
            break;
        }
    }
    Some(y)
}

/// Floors the eigenvalues at twice [`REPAIR_MIN_EIGENVALUE`] and rescales to a unit diagonal
/// (`D^-1/2 X D^-1/2` keeps the smallest eigenvalue >= floor / max d_i >= the target), then
/// checks the result; repeats a few times if rounding left it short.
fn make_positive_definite(n: usize, mut y: Vec<f64>) -> Option<Vec<f64>> {
    for _ in 0..5 {
        if min_eigenvalue(n, &y)? >= REPAIR_MIN_EIGENVALUE {
            return Some(y);
        }
        let mut x = floor_eigenvalues(n, &y, 2.0 * REPAIR_MIN_EIGENVALUE)?;
        let scale: Vec<f64> = (0..n).map(|i| 1.0 / x[i * n + i].sqrt()).collect();
        for i in 0..n {
            for j in 0..n {
                x[i * n + j] = if i == j { 1.0 } else { x[i * n + j] * scale[i] * scale[j] };
            }
        }
        y = x;
    }
    (min_eigenvalue(n, &y)? >= REPAIR_MIN_EIGENVALUE).then_some(y)
}

/// Fallback if an eigen-decomposition fails: `(1 - t) A + t I` with the smallest `t` (to
/// 2^-40, by bisection) whose Cholesky pivots all exceed `REPAIR_MIN_EIGENVALUE`
/// (`t = 1`, the identity, always qualifies).
fn shrink_to_identity(n: usize, a: &[f64]) -> Vec<f64> {
    let blend = |t: f64| -> Vec<f64> {
        let mut m: Vec<f64> = a.iter().map(|v| (1.0 - t) * v).collect();
        for i in 0..n {
            m[i * n + i] = 1.0;
        }
        m
    };
    let min_pivot_ok = |m: &[f64]| -> bool {
        let mut l = vec![0.0; n * n];
        for j in 0..n {
            let mut d = m[j * n + j];
            for k in 0..j {
                d -= l[j * n + k] * l[j * n + k];
            }
            if d.is_nan() || d < REPAIR_MIN_EIGENVALUE {
                return false;
            }
            let ljj = d.sqrt();
            l[j * n + j] = ljj;
            for i in (j + 1)..n {
                let mut s = m[i * n + j];
                for k in 0..j {
                    s -= l[i * n + k] * l[j * n + k];
                }
                l[i * n + j] = s / ljj;
            }
        }
        true
    };
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if min_pivot_ok(&blend(mid)) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    blend(hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_rows(rows: &[&[f64]]) -> CorrelationMatrix {
        CorrelationMatrix::from_row_major(rows.len(), rows.concat()).expect("valid input")
    }

    /// `L Lᵀ` for a row-major `n × n` factor.
    fn reconstruct(l: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = (0..n).map(|k| l[i * n + k] * l[j * n + k]).sum();
            }
        }
        out
    }

    fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
    }

    /// The classic inconsistent triple: 1~2 and 1~3 strongly positive, 2~3 strongly negative.
    fn classic_invalid() -> CorrelationMatrix {
        from_rows(&[&[1.0, 0.9, 0.9], &[0.9, 1.0, -0.9], &[0.9, -0.9, 1.0]])
    }

    #[test]
    fn identity_set_and_accessors() {
        let mut m = CorrelationMatrix::identity(3);
        assert_eq!(m.n(), 3);
        assert_eq!(m.as_slice(), &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
        m.set(0, 2, -0.4);
        assert_eq!(m.get(0, 2), -0.4);
        assert_eq!(m.get(2, 0), -0.4);
        assert_eq!(m.get(1, 1), 1.0);
        let l = CorrelationMatrix::identity(4).cholesky().expect("identity is PD");
        assert_eq!(l, CorrelationMatrix::identity(4).as_slice());
        assert_eq!(CorrelationMatrix::identity(0).cholesky(), Ok(vec![]));
    }

    #[test]
    fn cholesky_of_known_matrix_matches_hand_values() {
        let m = from_rows(&[&[1.0, 0.5, 0.3], &[0.5, 1.0, 0.2], &[0.3, 0.2, 1.0]]);
        let l = m.cholesky().expect("positive definite");
        // L = [[1, 0, 0], [0.5, √0.75, 0], [0.3, 0.05/√0.75, √(0.91 - 0.05²/0.75)]]
        let l11 = 0.75f64.sqrt();
        let l21 = 0.05 / l11;
        let l22 = (0.91 - 0.0025 / 0.75f64).sqrt();
        let want = [1.0, 0.0, 0.0, 0.5, l11, 0.0, 0.3, l21, l22];
        assert!(max_abs_diff(&l, &want) <= 2.0 * f64::EPSILON, "{l:?}");
        assert!(max_abs_diff(&reconstruct(&l, 3), m.as_slice()) <= 1e-14);
        // Bit-for-bit repeatable (fixed loop order, plain arithmetic).
        assert_eq!(m.cholesky(), Ok(l));
    }

    #[test]
    fn cholesky_accepts_perfect_correlation() {
        for rho in [1.0, -1.0] {
            let m = from_rows(&[&[1.0, rho, 0.3], &[rho, 1.0, 0.3 * rho], &[0.3, 0.3 * rho, 1.0]]);
            let l = m.cholesky().expect("singular but PSD");
            // The second indicator is ±the first: its own column is zero.
            assert_eq!(&l[3..6], &[rho, 0.0, 0.0]);
            assert_eq!(l[7], 0.0);
            assert!(max_abs_diff(&reconstruct(&l, 3), m.as_slice()) <= 1e-14);
        }
        // A whole group of perfectly correlated indicators.
        let mut m = CorrelationMatrix::identity(4);
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            m.set(i, j, 1.0);
        }
        m.set(0, 3, 0.5);
        m.set(1, 3, 0.5);
        m.set(2, 3, 0.5);
        let l = m.cholesky().expect("singular but PSD");
        assert!(max_abs_diff(&reconstruct(&l, 4), m.as_slice()) <= 1e-14);
        // Perfect correlation with an inconsistent third entry is still rejected.
        let bad = from_rows(&[&[1.0, 1.0, 0.3], &[1.0, 1.0, 0.5], &[0.3, 0.5, 1.0]]);
        assert_eq!(bad.cholesky(), Err(NotPositiveDefinite { pivot: 1 }));
    }

    #[test]
    fn classic_inconsistent_matrix_is_rejected_and_diagnosed() {
        let m = classic_invalid();
        let err = m.cholesky().expect_err("indefinite");
        // d_2 = 1 - 0.81 - (-0.9 - 0.81)² / 0.19 < 0.
        assert_eq!(err, NotPositiveDefinite { pivot: 2 });
        assert!(err.to_string().contains("not positive semi-definite"));
        // Eigenvalues are 1.9, 1.9 and -0.8 with v = (1, -1, -1)/√3, so every pair
        // contributes ρ v_i v_j = -0.3: all three are named.
        let d = m.diagnose();
        assert!((d.min_eigenvalue + 0.8).abs() < 1e-14, "{}", d.min_eigenvalue);
        let mut pairs: Vec<(usize, usize)> = d.offending.iter().map(|o| (o.0, o.1)).collect();
        pairs.sort_unstable();
        assert_eq!(pairs, vec![(0, 1), (0, 2), (1, 2)]);
        for &(i, j, rho, c) in &d.offending {
            assert_eq!(rho, m.get(i, j));
            assert!((c + 0.3).abs() < 1e-14, "({i},{j}): {c}");
        }
        // And a valid matrix has nothing to blame.
        let ok = from_rows(&[&[1.0, 0.5, 0.3], &[0.5, 1.0, 0.2], &[0.3, 0.2, 1.0]]).diagnose();
        assert!(ok.offending.is_empty() && ok.min_eigenvalue > 0.0);
    }

    #[test]
    fn diagnose_reports_the_negative_terms_of_the_rayleigh_quotient() {
        // 0~1 = 0.9 and 1~2 = 0.9 but 0~2 = -0.8: inconsistent; indicator 3 barely related.
        let mut m = CorrelationMatrix::identity(4);
        m.set(0, 1, 0.9);
        m.set(1, 2, 0.9);
        m.set(0, 2, -0.8);
        m.set(0, 3, 0.1);
        let d = m.diagnose();
        // Recompute λ_min and its eigenvector independently of `diagnose`.
        let eig = eigen(4, m.as_slice()).expect("eigen");
        let (k, lambda) = eig
            .eigenvalues
            .iter()
            .copied()
            .enumerate()
            .fold((0, f64::INFINITY), |b, (i, v)| if v < b.1 { (i, v) } else { b });
        assert_eq!(d.min_eigenvalue, lambda);
        assert!(lambda < 0.0);
        let v = eig.eigenvectors.column(k);
        // λ = Σ v_i² + 2 Σ_{i<j} ρ_ij v_i v_j
        let mut quotient = v.iter().map(|x| x * x).sum::<f64>();
        let mut negative = Vec::new();
        for i in 0..4 {
            for j in (i + 1)..4 {
                let c = m.get(i, j) * v[i] * v[j];
                quotient += 2.0 * c;
                if c < 0.0 {
                    negative.push((i, j, c));
                }
            }
        }
        assert!((quotient - lambda).abs() < 1e-14);
        negative.sort_by(|a, b| a.2.total_cmp(&b.2));
        assert_eq!(d.offending.len(), negative.len().min(MAX_OFFENDING));
        for (&(i, j, rho, c), &(wi, wj, wc)) in d.offending.iter().zip(&negative) {
            assert_eq!((i, j), (wi, wj));
            assert_eq!(rho, m.get(i, j));
            assert!((c - wc).abs() < 1e-15);
        }
        // The contradicting entry is among those named.
        assert!(d.offending.iter().any(|o| (o.0, o.1) == (0, 2)));
    }

    #[test]
    fn nearest_valid_repairs_the_classic_matrix() {
        let m = classic_invalid();
        let r = m.nearest_valid();
        let x = &r.matrix;
        for i in 0..3 {
            assert_eq!(x.get(i, i), 1.0);
            for j in 0..3 {
                assert_eq!(x.get(i, j), x.get(j, i));
            }
        }
        assert!(x.cholesky().is_ok());
        let min_eig = min_eigenvalue(3, x.as_slice()).expect("eigen");
        assert!(min_eig >= REPAIR_MIN_EIGENVALUE, "{min_eig}");
        // The reported change is the actual change.
        let delta: Vec<f64> = x.as_slice().iter().zip(m.as_slice()).map(|(a, b)| a - b).collect();
        let frob = delta.iter().map(|d| d * d).sum::<f64>().sqrt();
        assert!((r.frobenius_change - frob).abs() <= 1e-15);
        let (i, j) = r.max_change_at;
        assert_eq!(r.max_abs_change, delta[i * 3 + j].abs());
        assert!(delta.iter().all(|d| d.abs() <= r.max_abs_change));
        // The exact nearest correlation matrix is X* = I + 0.5 S (S the sign pattern of the
        // off-diagonal): A - X* = 0.4 S = -(Z + diag(θ)) with Z = 1.2 v vᵀ ⪰ 0,
        // v = (1, -1, -1)/√3 spanning the null space of X*, θ = -0.4, which are the
        // optimality conditions of Higham (2002), Theorem 2.4. Ours is X* nudged by ~1e-8.
        let want = [1.0, 0.5, 0.5, 0.5, 1.0, -0.5, 0.5, -0.5, 1.0];
        assert!(max_abs_diff(x.as_slice(), &want) < 1e-7, "{x:?}");
        assert!((r.frobenius_change - 0.96f64.sqrt()).abs() < 1e-7);
    }

    #[test]
    fn nearest_valid_matches_highams_published_example() {
        // Higham (2002), §4: the nearest correlation matrix to [[1,1,0],[1,1,1],[0,1,1]].
        let a = from_rows(&[&[1.0, 1.0, 0.0], &[1.0, 1.0, 1.0], &[0.0, 1.0, 1.0]]);
        let r = a.nearest_valid();
        let want = [
            1.0, 0.7607, 0.1573, //
            0.7607, 1.0, 0.7607, //
            0.1573, 0.7607, 1.0,
        ];
        assert!(max_abs_diff(r.matrix.as_slice(), &want) < 1e-4, "{:?}", r.matrix);
        assert!(r.matrix.cholesky().is_ok());
        assert_eq!(r.max_change_at, (0, 1));
    }

    #[test]
    fn nearest_valid_leaves_a_valid_matrix_unchanged() {
        let m = from_rows(&[&[1.0, 0.5, 0.3], &[0.5, 1.0, 0.2], &[0.3, 0.2, 1.0]]);
        let r = m.nearest_valid();
        assert_eq!(r.matrix, m);
        assert_eq!(r.max_abs_change, 0.0);
        assert_eq!(r.frobenius_change, 0.0);
        assert_eq!(r.max_change_at, (0, 0));
        // A singular (ρ = 1) matrix is nudged by about REPAIR_MIN_EIGENVALUE only.
        let s = from_rows(&[&[1.0, 1.0], &[1.0, 1.0]]);
        let r = s.nearest_valid();
        assert!(r.max_abs_change > 0.0 && r.max_abs_change < 1e-7, "{}", r.max_abs_change);
        assert!(min_eigenvalue(2, r.matrix.as_slice()).expect("eigen") >= REPAIR_MIN_EIGENVALUE);
    }

    #[test]
    fn nearest_valid_repairs_a_large_random_matrix() {
        // n = 60 with independent uniform off-diagonal entries: far from PSD.
        let n = 60;
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut m = CorrelationMatrix::identity(n);
        for i in 0..n {
            for j in (i + 1)..n {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                m.set(i, j, 2.0 * ((state >> 11) as f64 / (1u64 << 53) as f64) - 1.0);
            }
        }
        assert!(m.cholesky().is_err());
        assert!(m.diagnose().min_eigenvalue < -1.0);
        let r = m.nearest_valid();
        let x = r.matrix.as_slice();
        assert!((0..n).all(|i| x[i * n + i] == 1.0));
        assert!(min_eigenvalue(n, x).expect("eigen") >= REPAIR_MIN_EIGENVALUE);
        assert!(r.matrix.cholesky().is_ok());
        // Optimality (Higham 2002, Theorem 2.4): A - X = V D Vᵀ-type condition is awkward to
        // test directly; instead X must beat the (feasible) shrinkage towards the identity.
        let shrunk = shrink_to_identity(n, m.as_slice());
        let shrink_frob = shrunk.iter().zip(m.as_slice()).map(|(a, b)| (a - b) * (a - b)).sum::<f64>().sqrt();
        assert!(r.frobenius_change < shrink_frob, "{} vs {shrink_frob}", r.frobenius_change);
    }

    #[test]
    fn from_row_major_checks_its_input() {
        assert!(CorrelationMatrix::from_row_major(2, vec![1.0, 0.5, 0.5]).is_err());
        let err = CorrelationMatrix::from_row_major(2, vec![1.0, 0.5, 0.4, 1.0]).expect_err("asymmetric");
        assert!(err.contains("symmetric"), "{err}");
        let err = CorrelationMatrix::from_row_major(2, vec![0.9, 0.5, 0.5, 1.0]).expect_err("diagonal");
        assert!(err.contains("diagonal entry (0,0) must be 1"), "{err}");
        let err = CorrelationMatrix::from_row_major(2, vec![1.0, f64::NAN, f64::NAN, 1.0]).expect_err("NaN");
        assert!(err.contains("finite"), "{err}");
        let m = CorrelationMatrix::from_row_major(2, vec![1.0, 0.5, 0.5 + 1e-15, 1.0]).expect("within tolerance");
        assert_eq!(m.get(0, 1), m.get(1, 0));
    }
}
