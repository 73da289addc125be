//! Marginal distributions of the yearly shocks: the map `x = Q(Φ(z))` that turns one
//! copula-correlated standard normal draw `z` into an indicator's yearly growth, change or
//! addition, accurate in both tails and exact for counts.
//!
//! A draw `z <= 0` is inverted through its lower tail probability `Φ(z)`, a draw `z > 0`
//! through its upper tail probability `Φ(-z)`, so that `z = 9` (`Φ(-9) ≈ 1.1e-19`) keeps its
//! information instead of collapsing to `u = 1`.
//!
//! # Methods
//! * `Φ`: W. J. Cody (1969), "Rational Chebyshev approximations for the error function",
//!   Math. Comp. 23, in the arrangement of Cody's SPECFUN `ANORM` (ACM TOMS Algorithm 715,
//!   1993) that R's `pnorm` uses; both tails are computed directly, about 1e-16 relative.
//! * `Φ⁻¹`: M. J. Wichura (1988), Algorithm AS 241 (`PPND16`), Applied Statistics 37,
//!   477–484; about 1e-16 relative.
//! * Point probabilities and beta kernels: C. Loader (2000), "Fast and accurate computation
//!   of binomial probabilities" (saddle-point form with `stirlerr` and `bd0`), which avoids
//!   the cancellation of `ln Γ` differences at large arguments.
//! * Regularized incomplete beta `I_x(a, b)`: the continued fraction of Abramowitz & Stegun
//!   26.5.8, evaluated with the modified Lentz method (Thompson & Barnett 1986; Press et al.,
//!   *Numerical Recipes*, §6.4) on whichever side of `x = (a+1)/(a+b+2)` it converges fast,
//!   so the smaller tail is computed directly rather than as `1 - (something near 1)`. Near
//!   `x = 1` that fraction loses `log10(1/(1-x))` digits, so there (large `a`, small `b`:
//!   Student-t with many degrees of freedom, upper tails of overdispersed counts) the
//!   asymptotic expansion BGRAT of DiDonato & Morris (1992, ACM TOMS Algorithm 708) is used.
//! * Student-t and PERT quantiles: Halley iteration on `ln(tail)` against `ln(x)` (exactly
//!   linear for the power-law tails of both), safeguarded by bisection inside a rigorous
//!   bracket, started from the Cornish–Fisher expansion of t (Abramowitz & Stegun 26.7.5),
//!   Carter's (1947) beta approximation (as in AS 109), or the tail asymptotes.
//! * Poisson and negative-binomial quantiles: exact (smallest `k` with `F(k) >= p`), by a
//!   Cornish–Fisher / Wilson–Hilferty start, a bracketed Newton search on `ln F` or `ln S`
//!   with freshly computed tails, and a final walk with the pmf recurrences. Tails of the
//!   Poisson, and of negative binomials with `dispersion >= mean`, are sums of positive pmf
//!   terms (`O(sd)` of them); other negative binomial tails are incomplete beta functions.
//!
//! # Accuracy and cost
//! Measured against 40–50 digit references: `Φ` and `Φ⁻¹` to a few ulps; Student-t and beta
//! tails to ~1e-14 relative down to probabilities of ~1e-20 and ~1e-13 below (where the
//! rounding of `ln p` itself, about `|ln p| ε`, dominates); Poisson / negative binomial tails
//! likewise (~3e-15 in the bulk), which is what the "exact" count quantiles are exact against.
//! Per draw of the reference solver (`from_standard_normal_exact`, one core; the engine's draws
//! go through the tables of `distribution/table.rs`, a few ns each):
//! Normal ~10 ns; triangular, uniform, split normal ~40 ns; Student-t ~0.3–0.5 µs; PERT
//! ~0.8 µs; Poisson ~0.1 µs at mean 3, ~0.4 µs at 300, ~5 µs at 1e5 (growing like
//! `√mean`, hence [`MAX_COUNT_MEAN`]); negative binomial ~0.2–7 µs.
//! * Split normal: A. John (1982), "The two-piece normal"; the skew parametrization is that
//!   of Britton, Fisher & Whitley (1998), "The Inflation Report projections: understanding
//!   the fan chart", Bank of England Quarterly Bulletin.
//!
//! Nothing here relies on statrs 0.19.1: measured against 40-digit references, its `erfc`
//! is off by ~1e-10 relative everywhere, `ln_gamma` by up to 1e-13 absolute, the far tail of
//! `StudentsT::inverse_cdf` by 2e-7 at `p = 1e-19` (and by a factor 10 at `p = 0.5 + 1e-9`),
//! and its Poisson / negative binomial CDFs by ~1e-11: too coarse for a tail-accurate,
//! exactly-discrete quantile map. (Its values at the published points t(0.975; 5) and
//! t(0.995; 3) are fine; the failures are in the tails and near the median.)

use std::f64::consts::PI;

#[cfg(test)]
mod extremes;
mod table;
pub use table::FastMarginal;

const EPS: f64 = f64::EPSILON;
/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// `ln(2π)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;
/// `1/√(2π)`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// `√32`, Cody's switch between the middle and the asymptotic range of `Φ`.
const SQRT_32: f64 = 5.656_854_249_492_381;
/// Smallest denominator allowed in the modified Lentz method.
const TINY: f64 = 1e-300;
/// Counts are kept below 2^53, where every integer is exact in an `f64`.
const MAX_COUNT: f64 = 9_007_199_254_740_992.0;
/// Largest mean accepted for the count marginals (work per draw grows like `√mean`).
pub const MAX_COUNT_MEAN: f64 = 1e8;
/// Largest Student-t degrees of freedom accepted (beyond it the t is a normal to ~1e-10).
pub const MAX_STUDENT_T_DF: f64 = 1e12;

/// Marginal distribution of one indicator's yearly shock (growth, change or addition).
///
/// All variants are plain parameter sets; call [`Marginal::validate`] before use. Every
/// method is total on validated parameters: none panics, and the quantile map is finite for
/// finite `z`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Marginal {
    /// Normal with mean `mean` and standard deviation `sd > 0`.
    Normal { mean: f64, sd: f64 },
    /// `location + scale * T` where `T` is Student-t with `df` degrees of freedom
    /// (`0 < df <= 1e12`). Note that `scale` is not the standard deviation; see
    /// [`Marginal::student_t_from_sd`].
    StudentT { location: f64, scale: f64, df: f64 },
    /// Triangular on `[min, max]` with peak at `mode` (`min <= mode <= max`, `min < max`).
    Triangular { min: f64, mode: f64, max: f64 },
    /// Classic PERT (λ = 4): `min + (max - min) * Beta(α, β)` with
    /// `α = 1 + 4 (mode - min)/(max - min)`, `β = 1 + 4 (max - mode)/(max - min)`.
    Pert { min: f64, mode: f64, max: f64 },
    /// Uniform on `[min, max]`, `min < max`.
    Uniform { min: f64, max: f64 },
    /// Two-piece (split) normal: a normal with `sd_low` left of `mode` and `sd_high` right of
    /// it, scaled so the density is continuous at the mode (John 1982; Bank of England fan
    /// charts). See [`Marginal::split_normal_from_skew`].
    SplitNormal { mode: f64, sd_low: f64, sd_high: f64 },
    /// Degenerate: always `value`.
    Fixed { value: f64 },
    /// Poisson count with mean `mean` (`0 <= mean <= 1e8`; mean 0 is always 0).
    Poisson { mean: f64 },
    /// Negative binomial count (Poisson–gamma mixture) with mean `mean` and
    /// `var = mean + mean² / dispersion` (`0 <= mean <= 1e8`, `dispersion > 0`).
    NegativeBinomial { mean: f64, dispersion: f64 },
}

impl Marginal {
    /// The shock for a standard normal draw: `x = Q(Φ(z))`.
    ///
    /// * `Normal` is exactly `mean + sd * z` (no round trip).
    /// * For `z <= 0` the lower tail probability `Φ(z)` is inverted, for `z > 0` the upper
    ///   tail probability `Φ(-z)`, each computed directly, so both tails keep full relative
    ///   accuracy (`z = ±9` and beyond give distinct, correct values).
    /// * Non-decreasing in `z` up to the ~1e-14 relative error of the tables (and the ~1e-15
    ///   rounding of the special functions behind the reference).
    /// * Finite for finite `z`: where the exact quantile would overflow (Student-t with very
    ///   small `df` far in the tail) it is clamped to `±f64::MAX`. Infinite `z` maps to the
    ///   ends of the support, NaN to NaN.
    /// * `Poisson` and `NegativeBinomial` return the exact quantile, an integer-valued `f64`.
    /// * Beyond `|z| ≈ 37.5` the tail probability is subnormal (below 2.2e-308) and carries
    ///   fewer digits: results stay finite and monotone, but are only as exact as it allows.
    ///
    /// Student-t, PERT, triangular, split normal and count marginals are read off tables
    /// built once per marginal ([`FastMarginal`]): counts give exactly the integers of
    /// [`Marginal::from_standard_normal_exact`], the others agree with it within 1e-12
    /// relative (measured: 6e-14 at worst). Prepare a [`FastMarginal`] instead when drawing many values.
    pub fn from_standard_normal(&self, z: f64) -> f64 {
        if self.has_table() {
            FastMarginal::new(self).from_standard_normal(z)
        } else {
            self.from_standard_normal_exact(z)
        }
    }

    /// Whether [`FastMarginal`] tabulates this marginal.
    fn has_table(&self) -> bool {
        match *self {
            Marginal::StudentT { .. } | Marginal::Pert { .. } | Marginal::Triangular { .. } => true,
            Marginal::SplitNormal { sd_low, sd_high, .. } => sd_low != sd_high,
            Marginal::Poisson { mean } | Marginal::NegativeBinomial { mean, .. } => mean > 0.0,
            _ => false,
        }
    }

    /// The reference for [`Marginal::from_standard_normal`]: the quantile solved afresh for
    /// each draw (see the module doc for the methods and their accuracy).
    pub fn from_standard_normal_exact(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let x = match *self {
            Marginal::Normal { mean, sd } => mean + sd * z,
            Marginal::Fixed { value } => value,
            Marginal::SplitNormal { mode, sd_low, sd_high } if sd_low == sd_high => mode + sd_low * z,
            _ => self.quantile_of(TailProb::from_z(z), z),
        };
        if z.is_finite() { x.clamp(-f64::MAX, f64::MAX) } else { x }
    }

    /// Quantile function: the smallest `x` with `cdf(x) >= p`, for `p` in `(0, 1)`.
    ///
    /// `p <= 0` and `p >= 1` return the ends of the support (possibly infinite); NaN returns
    /// NaN. Probabilities above 1/2 are inverted through `1 - p` (exact there), so the upper
    /// tail is as accurate as `p` itself allows; for extreme upper quantiles prefer
    /// [`Marginal::from_standard_normal`], whose `z` carries more information than `p`.
    pub fn quantile(&self, p: f64) -> f64 {
        if p.is_nan() {
            return f64::NAN;
        }
        let (lo, hi) = self.support();
        if p <= 0.0 {
            return lo;
        }
        if p >= 1.0 {
            return hi;
        }
        match *self {
            Marginal::Normal { mean, sd } => mean + sd * standard_normal_quantile(p),
            Marginal::Fixed { value } => value,
            Marginal::Poisson { .. } | Marginal::NegativeBinomial { .. } => {
                self.quantile_of(TailProb::from_p(p), standard_normal_quantile(p))
            }
            // The normal score is only used as a starting value by the count marginals.
            _ => self.quantile_of(TailProb::from_p(p), f64::NAN),
        }
    }

    /// Cumulative distribution function `P(X <= x)`.
    ///
    /// For the count marginals `x` need not be an integer (`F(x) = F(floor(x))`).
    pub fn cdf(&self, x: f64) -> f64 {
        if x.is_nan() {
            return f64::NAN;
        }
        match *self {
            Marginal::Normal { mean, sd } => normal_tails((x - mean) / sd).0,
            Marginal::StudentT { location, scale, df } => t_tails((x - location) / scale, df).0,
            Marginal::Triangular { min, mode, max } => {
                if x <= min {
                    0.0
                } else if x >= max {
                    1.0
                } else if !direct_triangular(max - min, mode - min, max - mode) {
                    // The same formulas on distances in units of the range (no overflow or
                    // underflow of the products).
                    let range = max - min;
                    let (u, left, right) = ((x - min) / range, (mode - min) / range, (max - mode) / range);
                    if x < mode {
                        u * (u / left)
                    } else {
                        let (v, w) = ((x - mode) / range, (max - x) / range);
                        (v * (w + right) + left * right) / right
                    }
                } else if x < mode {
                    (x - min) * (x - min) / ((max - min) * (mode - min))
                } else {
                    // 1 - (max-x)²/(R right), rearranged into non-negative terms so that it
                    // keeps its relative accuracy when the mode is near min.
                    let (left, right) = (mode - min, max - mode);
                    ((x - mode) * ((max - x) + right) + left * right) / ((max - min) * right)
                }
            }
            Marginal::Pert { min, mode, max } => {
                if x <= min {
                    0.0
                } else if x >= max {
                    1.0
                } else {
                    let (alpha, beta) = pert_shape(min, mode, max);
                    let range = max - min;
                    let y = (x - min) / range;
                    let w = (max - x) / range;
                    IncBeta::new(alpha, beta).tails(y, w, alpha - (alpha + beta) * y).0
                }
            }
            Marginal::Uniform { min, max } => ((x - min) / (max - min)).clamp(0.0, 1.0),
            Marginal::SplitNormal { mode, sd_low, sd_high } => {
                let total = sd_low + sd_high;
                if x < mode {
                    2.0 * sd_low / total * normal_tails((x - mode) / sd_low).0
                } else {
                    1.0 - 2.0 * sd_high / total * normal_tails((x - mode) / sd_high).1
                }
            }
            Marginal::Fixed { value } => {
                if x < value {
                    0.0
                } else {
                    1.0
                }
            }
            Marginal::Poisson { mean } => {
                let k = x.floor();
                if k < 0.0 {
                    0.0
                } else if mean == 0.0 || k >= MAX_COUNT {
                    1.0
                } else {
                    PoissonLaw { lambda: mean }.tails(k).0
                }
            }
            Marginal::NegativeBinomial { mean, dispersion } => {
                let k = x.floor();
                if k < 0.0 {
                    0.0
                } else if mean == 0.0 || k >= MAX_COUNT {
                    1.0
                } else {
                    NegBinLaw::new(mean, dispersion).tails(k).0
                }
            }
        }
    }

    /// Mean. NaN for a Student-t with `df <= 1`, whose mean does not exist.
    pub fn mean(&self) -> f64 {
        match *self {
            Marginal::Normal { mean, .. } => mean,
            Marginal::StudentT { location, df, .. } => {
                if df > 1.0 {
                    location
                } else {
                    f64::NAN
                }
            }
            // Each formula again on scaled terms where the direct sum overflows.
            Marginal::Triangular { min, mode, max } => {
                let direct = (min + mode + max) / 3.0;
                if direct.is_finite() { direct } else { min / 3.0 + mode / 3.0 + max / 3.0 }
            }
            Marginal::Pert { min, mode, max } => {
                let direct = (min + 4.0 * mode + max) / 6.0;
                if direct.is_finite() { direct } else { min / 6.0 + mode / 1.5 + max / 6.0 }
            }
            Marginal::Uniform { min, max } => {
                let direct = 0.5 * (min + max);
                if direct.is_finite() { direct } else { 0.5 * min + 0.5 * max }
            }
            // E = mode + sqrt(2/π) (sd_high - sd_low): each half-normal piece contributes
            // ± sd * sqrt(2/π) weighted by its probability sd_i / (sd_low + sd_high).
            Marginal::SplitNormal { mode, sd_low, sd_high } => mode + (2.0 / PI).sqrt() * (sd_high - sd_low),
            Marginal::Fixed { value } => value,
            Marginal::Poisson { mean } => mean,
            Marginal::NegativeBinomial { mean, .. } => mean,
        }
    }

    /// Standard deviation; `f64::INFINITY` for a Student-t with `df <= 2`.
    pub fn sd(&self) -> f64 {
        match *self {
            Marginal::Normal { sd, .. } => sd,
            Marginal::StudentT { scale, df, .. } => {
                if df > 2.0 {
                    scale * (df / (df - 2.0)).sqrt()
                } else {
                    f64::INFINITY
                }
            }
            // var = (a² + b² + c² - ab - ac - bc)/18 = (l² + l r + r²)/18 in terms of the
            // distances l, r of the mode from the ends (no cancellation for large offsets).
            Marginal::Triangular { min, mode, max } => {
                let (l, r) = (mode - min, max - mode);
                let direct = ((l * l + l * r + r * r) / 18.0).sqrt();
                if direct.is_finite() {
                    direct
                } else {
                    let (range, l, r) = (max - min, l / (max - min), r / (max - min));
                    range * ((l * l + l * r + r * r) / 18.0).sqrt()
                }
            }
            // var = (μ - min)(max - μ)/7 for λ = 4, with μ - min = (4 l + R)/6 and
            // max - μ = (4 r + R)/6.
            Marginal::Pert { min, mode, max } => {
                let range = max - min;
                let (lo_gap, hi_gap) = ((4.0 * (mode - min) + range) / 6.0, (4.0 * (max - mode) + range) / 6.0);
                let direct = (lo_gap * hi_gap / 7.0).sqrt();
                if direct.is_finite() {
                    direct
                } else {
                    let (lo_gap, hi_gap) =
                        ((4.0 * ((mode - min) / range) + 1.0) / 6.0, (4.0 * ((max - mode) / range) + 1.0) / 6.0);
                    range * (lo_gap * hi_gap / 7.0).sqrt()
                }
            }
            Marginal::Uniform { min, max } => (max - min) / 12.0_f64.sqrt(),
            // var = (1 - 2/π)(sd_high - sd_low)² + sd_low sd_high (John 1982).
            Marginal::SplitNormal { sd_low, sd_high, .. } => {
                let d = sd_high - sd_low;
                ((1.0 - 2.0 / PI) * d * d + sd_low * sd_high).sqrt()
            }
            Marginal::Fixed { .. } => 0.0,
            Marginal::Poisson { mean } => mean.sqrt(),
            Marginal::NegativeBinomial { mean, dispersion } => (mean + mean * mean / dispersion).sqrt(),
        }
    }

    /// Closed support `(lower, upper)`, with infinities where unbounded.
    pub fn support(&self) -> (f64, f64) {
        match *self {
            Marginal::Normal { .. } | Marginal::StudentT { .. } | Marginal::SplitNormal { .. } => {
                (f64::NEG_INFINITY, f64::INFINITY)
            }
            Marginal::Triangular { min, max, .. }
            | Marginal::Pert { min, max, .. }
            | Marginal::Uniform { min, max } => (min, max),
            Marginal::Fixed { value } => (value, value),
            Marginal::Poisson { mean } | Marginal::NegativeBinomial { mean, .. } => {
                if mean == 0.0 {
                    (0.0, 0.0)
                } else {
                    (0.0, f64::INFINITY)
                }
            }
        }
    }

    /// True for the integer-valued count marginals (`Poisson`, `NegativeBinomial`).
    /// `Fixed` is a point mass at an arbitrary real value and is not counted as discrete.
    pub fn is_discrete(&self) -> bool {
        matches!(self, Marginal::Poisson { .. } | Marginal::NegativeBinomial { .. })
    }

    /// Checks the parameters. The error names the bad parameter, shows the value and says
    /// what to do, e.g. `"sd must be > 0 (got -0.1)"`.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Marginal::Normal { mean, sd } => {
                finite("mean", mean)?;
                positive_sd("sd", sd)
            }
            Marginal::StudentT { location, scale, df } => {
                finite("location", location)?;
                positive_sd("scale", scale)?;
                finite("df", df)?;
                if df <= 0.0 {
                    return Err(format!("df must be > 0 (got {df}); degrees of freedom of 3 to 10 give fat tails"));
                }
                if df > MAX_STUDENT_T_DF {
                    return Err(format!(
                        "df must be <= {MAX_STUDENT_T_DF:e} (got {df}); use Normal instead, \
                         which it matches to about 1e-10"
                    ));
                }
                Ok(())
            }
            Marginal::Triangular { min, mode, max } | Marginal::Pert { min, mode, max } => {
                finite("min", min)?;
                finite("mode", mode)?;
                finite("max", max)?;
                bounds(min, max)?;
                if !(min <= mode && mode <= max) {
                    return Err(format!("mode must lie between min and max (got min {min}, mode {mode}, max {max})"));
                }
                Ok(())
            }
            Marginal::Uniform { min, max } => {
                finite("min", min)?;
                finite("max", max)?;
                bounds(min, max)
            }
            Marginal::SplitNormal { mode, sd_low, sd_high } => {
                finite("mode", mode)?;
                positive_sd("sd_low", sd_low)?;
                positive_sd("sd_high", sd_high)?;
                if !(sd_low + sd_high).is_finite() {
                    return Err(format!(
                        "sd_low + sd_high overflows (got {} and {}); rescale the indicator's unit",
                        crate::numbers::shown(sd_low),
                        crate::numbers::shown(sd_high)
                    ));
                }
                Ok(())
            }
            Marginal::Fixed { value } => finite("value", value),
            Marginal::Poisson { mean } => count_mean(mean),
            Marginal::NegativeBinomial { mean, dispersion } => {
                count_mean(mean)?;
                finite("dispersion", dispersion)?;
                if dispersion <= 0.0 {
                    return Err(format!(
                        "dispersion must be > 0 (got {dispersion}); var = mean + mean^2/dispersion, \
                         so a large dispersion approaches Poisson"
                    ));
                }
                Ok(())
            }
        }
    }

    /// Split normal from the Bank of England parametrization (Britton, Fisher & Whitley 1998):
    /// `mode`, uncertainty `sigma > 0` and skew `gamma` in `(-1, 1)`, with
    /// `sd_low = sigma / sqrt(1 + gamma)` and `sd_high = sigma / sqrt(1 - gamma)`.
    ///
    /// Positive skew widens the upper half (upside risk); `gamma = 0` is `Normal(mode, sigma)`.
    /// `sigma` is not the standard deviation unless `gamma = 0`: `sd_low * sd_high =
    /// sigma² / sqrt(1 - gamma²)`; see [`Marginal::sd`].
    pub fn split_normal_from_skew(mode: f64, sigma: f64, skew: f64) -> Result<Marginal, String> {
        finite("mode", mode)?;
        positive_sd("sigma", sigma)?;
        if !(skew > -1.0 && skew < 1.0) {
            return Err(format!(
                "skew must lie strictly between -1 and 1 (got {skew}); positive values mean upside risk"
            ));
        }
        let m =
            Marginal::SplitNormal { mode, sd_low: sigma / (1.0 + skew).sqrt(), sd_high: sigma / (1.0 - skew).sqrt() };
        m.validate()?;
        Ok(m)
    }

    /// Student-t with the given mean and standard deviation instead of scale:
    /// `scale = sd * sqrt((df - 2) / df)`, which needs `df > 2` (finite variance).
    pub fn student_t_from_sd(mean: f64, sd: f64, df: f64) -> Result<Marginal, String> {
        finite("mean", mean)?;
        positive_sd("sd", sd)?;
        finite("df", df)?;
        if df <= 2.0 {
            return Err(format!(
                "df must be > 2 for the standard deviation to exist (got {df}); \
                 give the scale directly for heavier tails"
            ));
        }
        let m = Marginal::StudentT { location: mean, scale: sd * ((df - 2.0) / df).sqrt(), df };
        m.validate()?;
        Ok(m)
    }

    /// Quantile at a tail probability; `z` is the matching normal score (NaN if unknown),
    /// used only as a starting value by the count marginals.
    fn quantile_of(&self, tail: TailProb, z: f64) -> f64 {
        match *self {
            Marginal::Normal { mean, sd } => match tail {
                TailProb::Lower(p) => mean + sd * standard_normal_quantile(p),
                TailProb::Upper(s) => mean - sd * standard_normal_quantile(s),
            },
            Marginal::StudentT { location, scale, df } => match tail {
                TailProb::Lower(p) => location - scale * t_upper_quantile(p, df),
                TailProb::Upper(s) => location + scale * t_upper_quantile(s, df),
            },
            Marginal::Triangular { min, mode, max } => {
                let range = max - min;
                let (left, right) = (mode - min, max - mode);
                // Past the mode, x - min = R - sqrt(R right (1-p)) is written as
                // R (left + right p) / (R + sqrt(R right (1-p))) to avoid cancellation when
                // the mode is near min and p is small (and mirrored for the upper tail).
                let x = match tail {
                    // A range beyond about 1e150 or below 1e-100: the products below would
                    // overflow or underflow.
                    _ if !direct_triangular(range, left, right) => match tail {
                        TailProb::Lower(p) => min + range * triangular_distance(p, range, left, right),
                        TailProb::Upper(s) => max - range * triangular_distance(s, range, right, left),
                    },
                    TailProb::Lower(p) if p * range <= left => min + (p * range * left).sqrt(),
                    TailProb::Lower(p) => {
                        min + range * (left + right * p) / (range + ((1.0 - p) * range * right).sqrt())
                    }
                    TailProb::Upper(s) if s * range <= right => max - (s * range * right).sqrt(),
                    TailProb::Upper(s) => {
                        max - range * (right + left * s) / (range + ((1.0 - s) * range * left).sqrt())
                    }
                };
                x.clamp(min, max)
            }
            Marginal::Pert { min, mode, max } => {
                let (alpha, beta) = pert_shape(min, mode, max);
                let range = max - min;
                let x = match tail {
                    TailProb::Lower(p) => min + range * beta_lower_quantile(alpha, beta, p),
                    TailProb::Upper(s) => max - range * beta_lower_quantile(beta, alpha, s),
                };
                x.clamp(min, max)
            }
            Marginal::Uniform { min, max } => {
                let x = match tail {
                    TailProb::Lower(p) => min + p * (max - min),
                    TailProb::Upper(s) => max - s * (max - min),
                };
                x.clamp(min, max)
            }
            Marginal::SplitNormal { mode, sd_low, sd_high } => {
                let total = sd_low + sd_high;
                // Probability mass left of the mode is sd_low / (sd_low + sd_high).
                let lower_mass = sd_low / total;
                let upper_mass = sd_high / total;
                let below = |p: f64| mode + sd_low * standard_normal_quantile(p * total / (2.0 * sd_low));
                let above = |s: f64| mode - sd_high * standard_normal_quantile(s * total / (2.0 * sd_high));
                match tail {
                    TailProb::Lower(p) if p <= lower_mass => below(p),
                    TailProb::Lower(p) => above(1.0 - p),
                    TailProb::Upper(s) if s <= upper_mass => above(s),
                    TailProb::Upper(s) => below(1.0 - s),
                }
            }
            Marginal::Fixed { value } => value,
            Marginal::Poisson { mean } => {
                if mean == 0.0 {
                    return 0.0;
                }
                let law = PoissonLaw { lambda: mean };
                // `+ 0.0` turns a -0.0 from rounding a negative start into 0.0.
                count_quantile(&law, tail, law.guess(z, tail)) + 0.0
            }
            Marginal::NegativeBinomial { mean, dispersion } => {
                if mean == 0.0 {
                    return 0.0;
                }
                let law = NegBinLaw::new(mean, dispersion);
                count_quantile(&law, tail, law.guess(z, tail)) + 0.0
            }
        }
    }
}

fn finite(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("{name} must be a finite number (got {})", crate::numbers::shown(v)))
    }
}

fn positive_sd(name: &str, v: f64) -> Result<(), String> {
    finite(name, v)?;
    if v > 0.0 {
        Ok(())
    } else {
        Err(format!("{name} must be > 0 (got {}); use Fixed for a shock without uncertainty", crate::numbers::shown(v)))
    }
}

fn bounds(min: f64, max: f64) -> Result<(), String> {
    // Also rejects NaN bounds (their comparisons are false).
    if min >= max || min.is_nan() || max.is_nan() {
        return Err(format!("min must be < max (got min {min}, max {max}); use Fixed for a single value"));
    }
    if !(max - min).is_finite() {
        return Err(format!("max - min overflows (got min {min}, max {max}); rescale the indicator"));
    }
    Ok(())
}

fn count_mean(mean: f64) -> Result<(), String> {
    finite("mean", mean)?;
    if mean < 0.0 {
        return Err(format!("mean must be >= 0 for a count (got {})", crate::numbers::shown(mean)));
    }
    if mean > MAX_COUNT_MEAN {
        return Err(format!(
            "mean must be <= {MAX_COUNT_MEAN:e} for a count (got {mean}); \
             model totals this large with a continuous marginal such as Normal"
        ));
    }
    Ok(())
}

/// A triangular's distance from the end at which the tail probability `p` is measured, in units
/// of the range `range = near + far` (`near`: from that end to the mode; `far`: from the mode to
/// the other end): `√(p·near/range)` up to the mode, else `(near + far·p)/(range + √((1−p)·range·far))`
/// (no cancellation when the mode is near the end and `p` is small). When `range·near` or
/// `range·far` would overflow or underflow (a range beyond about 1e150 or below 1e-100) the same
/// formulas are evaluated on `near/range` and `far/range`; otherwise the bits are those of the
/// direct form.
pub(super) fn triangular_distance(p: f64, range: f64, near: f64, far: f64) -> f64 {
    if direct_triangular(range, near, far) {
        if p * range <= near {
            (p * range * near).sqrt() / range
        } else {
            (near + far * p) / (range + ((1.0 - p) * range * far).sqrt())
        }
    } else {
        let (near, far) = (near / range, far / range);
        if p <= near { (p * near).sqrt() } else { (near + far * p) / (1.0 + ((1.0 - p) * far).sqrt()) }
    }
}

/// Whether the triangular's products `range·near`, `range·far` (and those times a tail
/// probability) stay well inside the normal floating-point range, where the direct formulas
/// keep their accuracy: every range from 1e-100 to 1e150.
fn direct_triangular(range: f64, near: f64, far: f64) -> bool {
    let product = range * near.max(far);
    (1e-200..=1e300).contains(&product)
}

/// PERT shape parameters for λ = 4.
fn pert_shape(min: f64, mode: f64, max: f64) -> (f64, f64) {
    let range = max - min;
    if range > 1e300 {
        // 4·(max − mode) could overflow (a PERT on a range near 1.8e308 collapsed to `min`).
        return (1.0 + 4.0 * ((mode - min) / range), 1.0 + 4.0 * ((max - mode) / range));
    }
    (1.0 + 4.0 * (mode - min) / range, 1.0 + 4.0 * (max - mode) / range)
}

/// A probability given through the tail in which it is small.
#[derive(Debug, Clone, Copy)]
enum TailProb {
    /// `P(X <= x) = p`.
    Lower(f64),
    /// `P(X > x) = s`.
    Upper(f64),
}

impl TailProb {
    fn from_p(p: f64) -> Self {
        if p <= 0.5 {
            TailProb::Lower(p)
        } else {
            // Exact for p in [1/2, 1] (Sterbenz).
            TailProb::Upper(1.0 - p)
        }
    }

    fn from_z(z: f64) -> Self {
        let (lower, upper) = normal_tails(z);
        if z <= 0.0 { TailProb::Lower(lower) } else { TailProb::Upper(upper) }
    }
}

// ---------------------------------------------------------------------------------------
// Standard normal
// ---------------------------------------------------------------------------------------

/// Standard normal CDF `Φ(z)`, accurate to about 1e-16 relative in both tails
/// (Cody 1969 / TOMS 715, as in R's `pnorm`). `Φ(-37.5) ≈ 4.6e-308` is still resolved.
pub fn standard_normal_cdf(z: f64) -> f64 {
    normal_tails(z).0
}

/// `(P(Z <= z), P(Z > z))`, each computed directly (never as `1 - tiny`) where it is small.
#[allow(clippy::excessive_precision)]
fn normal_tails(z: f64) -> (f64, f64) {
    const A: [f64; 5] = [
        2.2352520354606839287,
        161.02823106855587881,
        1067.6894854603709582,
        18154.981253343561249,
        0.065682337918207449113,
    ];
    const B: [f64; 4] = [47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956];
    const C: [f64; 9] = [
        0.39894151208813466764,
        8.8831497943883759412,
        93.506656132177855979,
        597.27027639480026226,
        2494.5375852903726711,
        6848.1904505362823326,
        11602.651437647350124,
        9842.7148383839780218,
        1.0765576773720192317e-8,
    ];
    const D: [f64; 8] = [
        22.266688044328115691,
        235.38790178262499861,
        1519.377599407554805,
        6485.558298266760755,
        18615.571640885098091,
        34900.952721145977266,
        38912.003286093271411,
        19685.429676859990727,
    ];
    const P: [f64; 6] = [
        0.21589853405795699,
        0.1274011611602473639,
        0.022235277870649807,
        0.001421619193227893466,
        2.9112874951168792e-5,
        0.02307344176494017303,
    ];
    const Q: [f64; 5] = [
        1.28426009614491121,
        0.468238212480865118,
        0.0659881378689285515,
        0.00378239633202758244,
        7.29751555083966205e-5,
    ];

    if z.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if z.is_infinite() {
        return if z > 0.0 { (1.0, 0.0) } else { (0.0, 1.0) };
    }
    let y = z.abs();
    if y > 40.0 {
        // Φ(−40) ≈ 3.7e−350 is below the smallest subnormal: the tail is exactly 0 in f64. (The
        // formula below would form y² = ∞ for |z| > 1.3e154 and return NaN.)
        return if z < 0.0 { (0.0, 1.0) } else { (1.0, 0.0) };
    }
    if y <= 0.674_489_75 {
        let zsq = z * z;
        let mut num = A[4] * zsq;
        let mut den = zsq;
        for i in 0..3 {
            num = (num + A[i]) * zsq;
            den = (den + B[i]) * zsq;
        }
        let t = z * (num + A[3]) / (den + B[3]);
        return (0.5 + t, 0.5 - t);
    }
    let rational = if y <= SQRT_32 {
        let mut num = C[8] * y;
        let mut den = y;
        for i in 0..7 {
            num = (num + C[i]) * y;
            den = (den + D[i]) * y;
        }
        (num + C[7]) / (den + D[7])
    } else {
        let ysq = 1.0 / (y * y);
        let mut num = P[5] * ysq;
        let mut den = ysq;
        for i in 0..4 {
            num = (num + P[i]) * ysq;
            den = (den + Q[i]) * ysq;
        }
        (FRAC_1_SQRT_2PI - ysq * (num + P[4]) / (den + Q[4])) / y
    };
    // exp(-y²/2) split as exp(-y0²/2) exp(-(y-y0)(y+y0)/2) with y0 = y rounded down to a
    // multiple of 1/16, so that y0² is exact and the rounding of y² is not amplified.
    let y0 = (y * 16.0).trunc() / 16.0;
    let del = (y - y0) * (y + y0);
    let tail = (-0.5 * y0 * y0).exp() * (-0.5 * del).exp() * rational;
    if z < 0.0 { (tail, 1.0 - tail) } else { (1.0 - tail, tail) }
}

// AS 241's coefficients (Wichura 1988, `PPND16`): the central region, then the two tails.
#[allow(clippy::excessive_precision)]
const PPND_A: [f64; 8] = [
    3.387132872796366608,
    133.14166789178437745,
    1971.5909503065514427,
    13731.693765509461125,
    45921.953931549871457,
    67265.770927008700853,
    33430.575583588128105,
    2509.0809287301226727,
];
#[allow(clippy::excessive_precision)]
const PPND_B: [f64; 8] = [
    1.0,
    42.313330701600911252,
    687.1870074920579083,
    5394.1960214247511077,
    21213.794301586595867,
    39307.89580009271061,
    28729.085735721942674,
    5226.495278852854561,
];
#[allow(clippy::excessive_precision)]
const PPND_C: [f64; 8] = [
    1.42343711074968357734,
    4.6303378461565452959,
    5.7694972214606914055,
    3.64784832476320460504,
    1.27045825245236838258,
    0.24178072517745061177,
    0.0227238449892691845833,
    7.7454501427834140764e-4,
];
#[allow(clippy::excessive_precision)]
const PPND_D: [f64; 8] = [
    1.0,
    2.05319162663775882187,
    1.6763848301838038494,
    0.68976733498510000455,
    0.14810397642748007459,
    0.0151986665636164571966,
    5.475938084995344946e-4,
    1.05075007164441684324e-9,
];
#[allow(clippy::excessive_precision)]
const PPND_E: [f64; 8] = [
    6.6579046435011037772,
    5.4637849111641143699,
    1.7848265399172913358,
    0.29656057182850489123,
    0.026532189526576123093,
    0.0012426609473880784386,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
];
#[allow(clippy::excessive_precision)]
const PPND_F: [f64; 8] = [
    1.0,
    0.59983220655588793769,
    0.13692988092273580531,
    0.0148753612908506148525,
    7.868691311456132591e-4,
    1.8463183175100546818e-5,
    1.4215117583164458887e-7,
    2.04426310338993978564e-15,
];

/// AS 241's polynomial `c[0] + c[1]·x + … + c[7]·x⁷`, by Horner's rule from the top.
#[inline(always)]
fn ppnd_poly(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

/// Standard normal quantile `Φ⁻¹(p)` by Wichura (1988) AS 241 (`PPND16`), about 1e-16
/// relative. `p <= 0` gives `-∞`, `p >= 1` gives `+∞`, NaN gives NaN.
pub fn standard_normal_quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180625 - q * q;
        return q * ppnd_poly(&PPND_A, r) / ppnd_poly(&PPND_B, r);
    }
    // r = sqrt(-ln(min(p, 1-p))); 1 - p is exact for p > 1/2.
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let val = if r <= 5.0 {
        r -= 1.6;
        ppnd_poly(&PPND_C, r) / ppnd_poly(&PPND_D, r)
    } else {
        r -= 5.0;
        ppnd_poly(&PPND_E, r) / ppnd_poly(&PPND_F, r)
    };
    if q < 0.0 { -val } else { val }
}

/// [`standard_normal_quantile`] of every `p[j]` into `out[j]`, the same bits: the central
/// region's rational function (`|p − 1/2| <= 0.425`, 85% of uniforms) for all lanes side by side
/// (it vectorises; the same operations in the same order as the scalar function), then the
/// scalar function for the lanes outside it (tails, 0, 1, NaN).
#[inline(always)]
pub fn standard_normal_quantile_column(p: &[f64], out: &mut [f64]) {
    assert_eq!(p.len(), out.len(), "columns of different lengths");
    // A lane is central when |p − 1/2| <= 0.425 (false for NaN).
    let central = |p: f64| (p - 0.5).abs() <= 0.425;
    let mut all_central = true;
    for (o, &p) in out.iter_mut().zip(p) {
        let q = p - 0.5;
        let r = 0.180625 - q * q;
        *o = q * ppnd_poly(&PPND_A, r) / ppnd_poly(&PPND_B, r);
        all_central &= central(p);
    }
    if !all_central {
        for (o, &p) in out.iter_mut().zip(p) {
            if !central(p) {
                *o = standard_normal_quantile(p);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Loader (2000) saddle-point pieces and the regularized incomplete beta
// ---------------------------------------------------------------------------------------

/// `stirlerr(n) = ln Γ(n+1) - (n + 1/2) ln n + n - ln √(2π)`, the error of Stirling's
/// formula (Loader 2000), to about 1e-16 absolute for every `n > 0`: tabulated at
/// half-integers up to 15; the Stirling series `Σ B_2k / (2k (2k-1) n^(2k-1))` from 8 on
/// (truncated where the next term is below 1e-16); below 8 shifted up with
/// `stirlerr(n) = stirlerr(n+1) + d(n)`, `d(n) = (n + 1/2) ln(1 + 1/n) - 1`, where for
/// `n >= 1` `d(n) = Σ_k w^(2k) / (2k+1)` with `w = 1/(2n+1)` is summed without cancellation.
/// (statrs' `ln_gamma` is off by up to 1e-13 absolute near 16, too much for the exponent of
/// a probability.)
#[allow(clippy::excessive_precision)]
fn stirlerr(n: f64) -> f64 {
    // stirlerr(k/2) for k = 0..=30, computed to 50 digits (value at 0 unused).
    const HALVES: [f64; 31] = [
        0.0,
        0.15342640972002734529,
        0.08106146679532725822,
        0.054814121051917653896,
        0.041340695955409294094,
        0.033162873519936287485,
        0.027677925684998339149,
        0.023746163656297495971,
        0.020790672103765093112,
        0.018488450532673185231,
        0.016644691189821192163,
        0.015134973221917378874,
        0.013876128823070747999,
        0.012810465242920226924,
        0.011896709945891770095,
        0.011104559758206917327,
        0.010411265261972096497,
        0.0097994161261588032984,
        0.0092554621827127329177,
        0.008768700134139385463,
        0.0083305634333628712565,
        0.0079341145643140205472,
        0.007573675487951840795,
        0.0072445543013203831795,
        0.0069428401072095298657,
        0.0066652470327076824424,
        0.0064089941880042070684,
        0.0061717122630394576475,
        0.0059513701127588477356,
        0.005746216513010115682,
        0.005554733551962801371,
    ];
    // |B_2k| / (2k (2k-1)) for k = 1..=8.
    const S: [f64; 8] = [
        1.0 / 12.0,
        1.0 / 360.0,
        1.0 / 1260.0,
        1.0 / 1680.0,
        1.0 / 1188.0,
        691.0 / 360360.0,
        1.0 / 156.0,
        3617.0 / 122400.0,
    ];
    if n.is_nan() || n <= 0.0 {
        return f64::NAN;
    }
    if n <= 15.0 {
        let twice = n + n;
        if twice == twice.floor() {
            // twice is an integer in [1, 30].
            return HALVES[twice as usize];
        }
    }
    if n >= 8.0 {
        // Terms alternate in sign; keep those above 1e-16 at the smallest n of each range.
        let terms = if n > 500.0 {
            2
        } else if n > 80.0 {
            3
        } else if n > 35.0 {
            4
        } else if n > 15.0 {
            6
        } else {
            8
        };
        let inv2 = 1.0 / (n * n);
        let mut acc = 0.0;
        for &c in S[..terms].iter().rev() {
            acc = c - acc * inv2;
        }
        return acc / n;
    }
    let mut x = n;
    let mut sum = 0.0;
    if x < 1.0 {
        sum += (x + 0.5) * x.recip().ln_1p() - 1.0;
        x += 1.0;
    }
    while x < 8.0 {
        // d(x) = atanh(w)/w - 1 = Σ_{k>=1} w^(2k) / (2k+1), w = 1/(2x+1) <= 1/3: positive
        // terms, summed until they fall below 1e-18 (d <= 0.035, so that is 1e-16 relative).
        let w = 1.0 / (2.0 * x + 1.0);
        let w2 = w * w;
        let mut power = w2;
        let mut k = 1.0;
        while power > 1e-18 {
            sum += power / (2.0 * k + 1.0);
            power *= w2;
            k += 1.0;
        }
        x += 1.0;
    }
    sum + stirlerr(x)
}

/// Deviance term `bd0(x, m) = x ln(x/m) + m - x` (Loader 2000), with the difference
/// `delta = x - m` supplied by the caller so it can be formed without cancellation.
fn bd0(x: f64, m: f64, delta: f64) -> f64 {
    let sum = x + m;
    if delta.abs() < 0.1 * sum {
        // x ln(x/m) = 2x atanh(v) with v = delta/(x + m).
        let v = delta / sum;
        let v2 = v * v;
        let mut s = delta * v;
        let mut ej = 2.0 * x * v;
        let mut j = 1.0;
        loop {
            ej *= v2;
            let s1 = s + ej / (2.0 * j + 1.0);
            if s1 == s || j > 1000.0 {
                return s1;
            }
            s = s1;
            j += 1.0;
        }
    }
    x * (x / m).ln() - delta
}

/// `x^b e^-x / Γ(b+1)` for `b > 0`, `x >= 0` (Loader's `dpois_raw`).
fn poisson_kernel(b: f64, x: f64) -> f64 {
    if x == 0.0 {
        return 0.0;
    }
    (-stirlerr(b) - bd0(b, x, b - x)).exp() / (2.0 * PI * b).sqrt()
}

/// Scaled upper incomplete gamma `Γ(b, u) e^u u^-b` for `b > 0`, `u > 0`: Legendre's
/// continued fraction (Abramowitz & Stegun 6.5.31, modified Lentz) for `u > b + 1`, else
/// `Q = 1 - P` with the power series of `P` (A&S 6.5.29), where `Q` is not small.
fn upper_gamma_scaled(b: f64, u: f64) -> f64 {
    const MAX_ITER: u32 = 10_000;
    if u > b + 1.0 {
        let mut bb = u + 1.0 - b;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / bb;
        let mut h = d;
        for i in 1..=MAX_ITER {
            let i = f64::from(i);
            let an = -i * (i - b);
            bb += 2.0;
            d = 1.0 / guard(an * d + bb);
            c = guard(bb + an / c);
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() <= EPS {
                break;
            }
        }
        h
    } else {
        // P(b, u) = u^b e^-u / Γ(b+1) * Σ_n u^n / ((b+1)...(b+n)).
        let mut term = 1.0;
        let mut sum = 1.0;
        let mut bn = b;
        for _ in 0..MAX_ITER {
            bn += 1.0;
            term *= u / bn;
            sum += term;
            if term <= 0.5 * EPS * sum {
                break;
            }
        }
        let k = poisson_kernel(b, u);
        // Γ(b, u) e^u u^-b = Q Γ(b) / (u^b e^-u) = Q / (b k).
        (1.0 - k * sum) / (b * k)
    }
}

/// Lentz's guard against a zero denominator.
fn guard(v: f64) -> f64 {
    if v.abs() < TINY { TINY } else { v }
}

/// Regularized incomplete beta `I_x(a, b)` for fixed `a, b > 0`, with the `x`-independent
/// part of Loader's kernel precomputed (the quantile solvers evaluate it repeatedly).
#[derive(Debug, Clone, Copy)]
struct IncBeta {
    a: f64,
    b: f64,
    n: f64,
    /// `stirlerr(a+b) - stirlerr(a) - stirlerr(b)`.
    stirl: f64,
    log_const: f64,
}

impl IncBeta {
    fn new(a: f64, b: f64) -> Self {
        let n = a + b;
        let stirl = stirlerr(n) - stirlerr(a) - stirlerr(b);
        IncBeta { a, b, n, stirl, log_const: stirl - 0.5 * (LN_2PI + a.ln() + (b / n).ln()) }
    }

    /// `ln B(a, b)` from Stirling errors:
    /// `ln √(2π) - stirl - (a - 1/2) ln(1 + b/a) - (b - 1/2) ln(1 + a/b) - (ln(a+b))/2`,
    /// free of the cancellation between `ln Γ` values at large arguments.
    fn ln_beta(&self) -> f64 {
        let (a, b) = (self.a, self.b);
        LN_SQRT_2PI - self.stirl - (a - 0.5) * (b / a).ln_1p() - (b - 0.5) * (a / b).ln_1p() - 0.5 * self.n.ln()
    }

    /// Loader's binomial kernel `K = Γ(a+b+1) / (Γ(a+1) Γ(b+1)) x^a y^b` (symmetric under
    /// `(a, x) <-> (b, y)`), with `delta = a - (a+b) x = (a+b) y - b`. In terms of it,
    /// `x^a y^b / (a B(a, b)) = K b/(a+b)` and the density `x^(a-1) y^(b-1) / B(a, b)` is
    /// `K a b / ((a+b) x y)`.
    fn kernel(&self, x: f64, y: f64, delta: f64) -> f64 {
        (self.log_const - bd0(self.a, self.n * x, delta) - bd0(self.b, self.n * y, -delta)).exp()
    }

    /// `(I_x(a, b), 1 - I_x(a, b), K)` for `y = 1 - x` and `delta = a - (a+b) x`, which the
    /// caller must supply without cancellation. The side on which the continued fraction
    /// converges fast (`x < (a+1)/(a+b+2)`) is computed directly; the other side is computed
    /// directly too when the first exceeds 0.9 (so its complement would lose digits) and that
    /// can be done accurately, else as the complement.
    fn tails(&self, x: f64, y: f64, delta: f64) -> (f64, f64, f64) {
        let (a, b, n) = (self.a, self.b, self.n);
        if x.is_nan() || y.is_nan() || delta.is_nan() {
            return (f64::NAN, f64::NAN, f64::NAN);
        }
        if x <= 0.0 {
            return (0.0, 1.0, 0.0);
        }
        if y <= 0.0 {
            return (1.0, 0.0, 0.0);
        }
        let kernel = self.kernel(x, y, delta);
        let lower_front = kernel * (b / n);
        let upper_front = kernel * (a / n);
        if x < (a + 1.0) / (n + 2.0) {
            let lower = beta_direct(a, b, x, y, delta, lower_front, false).unwrap_or(f64::NAN);
            let upper = if lower > 0.9 {
                beta_direct(b, a, y, x, -delta, upper_front, true).unwrap_or(1.0 - lower)
            } else {
                1.0 - lower
            };
            (lower, upper, kernel)
        } else {
            let upper = beta_direct(b, a, y, x, -delta, upper_front, false).unwrap_or(f64::NAN);
            let lower = if upper > 0.9 {
                beta_direct(a, b, x, y, delta, lower_front, true).unwrap_or(1.0 - upper)
            } else {
                1.0 - upper
            };
            (lower, upper, kernel)
        }
    }
}

/// `I_x(a, b)` computed directly, not as a complement; `front = x^a y^b / (a B(a, b))`.
///
/// Near `x = 1` (`y < 0.1`) the continued fraction loses about `log10(1/y)` digits to
/// cancellation, so there BGRAT is used when it applies; otherwise the continued fraction is
/// used anyway unless `strict`, in which case `None` is returned.
fn beta_direct(a: f64, b: f64, x: f64, y: f64, delta: f64, front: f64, strict: bool) -> Option<f64> {
    if y < 0.1 {
        if let Some(v) = bgrat(a, b, x, y) {
            return Some(v);
        }
        if strict {
            return None;
        }
    }
    Some((front * beta_cf(a, b, x, delta)).clamp(0.0, 1.0))
}

/// Continued fraction `h` with `I_x(a, b) = x^a y^b / (a B(a, b)) * h` (Abramowitz & Stegun
/// 26.5.8), by the modified Lentz method; fast for `x < (a+1)/(a+b+2)`. The first partial
/// denominator `1 - (a+b) x/(a+1)` is formed as `(1 + delta)/(a+1)` to avoid cancellation.
fn beta_cf(a: f64, b: f64, x: f64, delta: f64) -> f64 {
    const MAX_ITER: u32 = 100_000;
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / guard((1.0 + delta) / qap);
    let mut h = d;
    for m in 1..=MAX_ITER {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        let aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        h *= d * c;
        let aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        let del = d * c;
        h *= del;
        if (del - 1.0).abs() <= EPS {
            break;
        }
    }
    h
}

/// `I_x(a, b)` for large `a` and small `b` by the asymptotic expansion of DiDonato & Morris
/// (1992), ACM TOMS Algorithm 708, routine BGRAT (their eqs. 9–9.6):
/// with `T = a + (b-1)/2` and `u = -T ln x`,
/// `I_x(a, b) = u^b e^-u / (B(a, b) T^b) Σ_n p_n J_n`, where `p_n` are the coefficients of
/// `(sinh(v)/v)^(b-1)` in `v²` and `J_n = Γ(b+2n, u) / (u^b e^-u (2T)^(2n))`.
/// Every factor is formed without cancellation, so it stays accurate for `x` near 1, where
/// the continued fraction does not. `None` if `a < 15` or the series has not converged to
/// `ε` within 30 terms (then the caller falls back to the continued fraction).
fn bgrat(a: f64, b: f64, x: f64, y: f64) -> Option<f64> {
    const N: usize = 30;
    if a < 15.0 {
        return None;
    }
    let t = a + 0.5 * (b - 1.0);
    let lx = if y < 0.35 { (-y).ln_1p() } else { x.ln() };
    let u = -t * lx;
    if !(u > 0.0 && u.is_finite()) {
        return None;
    }
    // ln(u^b e^-u / Γ(b)) and ln(Γ(a+b) / (Γ(a) T^b)), both via Stirling errors.
    let ln_h = b.ln() - stirlerr(b) - bd0(b, u, b - u) - 0.5 * (2.0 * PI * b).ln();
    let ln_ratio =
        stirlerr(a + b) - stirlerr(a) + (a - 0.5) * (b / a).ln_1p() + b * ((b + 1.0) / (2.0 * t)).ln_1p() - b;
    let prefix = (ln_h + ln_ratio).exp();
    let j0 = upper_gamma_scaled(b, u);
    if !(prefix > 0.0 && prefix.is_finite() && j0.is_finite()) {
        return None;
    }
    let mut p = [0.0; N];
    let mut inv_odd_fact = [0.0; N]; // 1 / (2m+1)!
    p[0] = 1.0;
    inv_odd_fact[0] = 1.0;
    let mut j = j0;
    let mut sum = j0;
    let lx2 = 0.25 * lx * lx;
    let mut lx_pow = 1.0;
    let t4 = 4.0 * t * t;
    let mut s = b;
    for n in 1..N {
        let nf = n as f64;
        inv_odd_fact[n] = inv_odd_fact[n - 1] / ((2.0 * nf) * (2.0 * nf + 1.0));
        let mut acc = 0.0;
        for m in 1..n {
            acc += (m as f64 * b - nf) * p[n - m] * inv_odd_fact[m];
        }
        p[n] = acc / nf + (b - 1.0) * inv_odd_fact[n];
        // Γ(s+2, u) = s(s+1) Γ(s, u) + (u + s + 1) u^s e^-u with s = b + 2n - 2.
        j = (s * (s + 1.0) * j + (u + s + 1.0) * lx_pow) / t4;
        lx_pow *= lx2;
        s += 2.0;
        let term = p[n] * j;
        sum += term;
        if term.abs() <= EPS * sum.abs() {
            return Some((prefix * sum).clamp(0.0, 1.0));
        }
    }
    None
}

/// Finds `x` in `[lo, hi]` with `g(x) = target` for a monotone positive `g`, given
/// `eval(x) = (g(x), g'(x), x g''(x) / g'(x))`.
///
/// Halley steps are taken on `h(s) = ln g(e^s) - ln target`, i.e. on `ln g` against `ln x`,
/// which is exactly linear for power laws (the tails of the t and beta laws): with the
/// elasticity `E = x g'/g`, `h' = E` and `h'' = E (1 + x g''/g' - E)`. A step leaving the
/// current bracket is replaced by (geometric) bisection. The iteration stops after a Halley
/// step below 1e-6 (relative), or a Newton step below 1e-9, which leave errors of order
/// 1e-18 by the cubic (quadratic) convergence.
fn solve_monotone(
    target: f64,
    mut lo: f64,
    mut hi: f64,
    x0: f64,
    increasing: bool,
    eval: impl Fn(f64) -> (f64, f64, f64),
) -> f64 {
    const MAX_ITER: usize = 200;
    let bisect = |lo: f64, hi: f64| {
        if lo > 0.0 && hi > 8.0 * lo { (lo * hi).sqrt() } else { 0.5 * (lo + hi) }
    };
    let ln_target = target.ln();
    let mut x = if x0 > lo && x0 < hi { x0 } else { bisect(lo, hi) };
    for _ in 0..MAX_ITER {
        let (g, dg, x_curv) = eval(x);
        if g == target {
            return x;
        }
        if (g < target) == increasing {
            lo = x;
        } else {
            hi = x;
        }
        let mut next = f64::NAN;
        let elasticity = x * dg / g;
        if g > 0.0 && elasticity != 0.0 && elasticity.is_finite() {
            let h = g.ln() - ln_target;
            let newton = -h / elasticity;
            let halley_denominator = 1.0 - 0.5 * h * (1.0 + x_curv - elasticity) / elasticity;
            // A Halley step of size δ leaves an error of order δ³ (Newton: δ²).
            let (step, done) = if halley_denominator >= 0.5 && halley_denominator.is_finite() {
                let step = newton / halley_denominator;
                (step, step.abs() <= 1e-6)
            } else {
                (newton, newton.abs() <= 1e-9)
            };
            next = x * step.exp();
            if done {
                return next.clamp(lo, hi);
            }
        }
        if !(next > lo && next < hi) {
            next = bisect(lo, hi);
        }
        if hi - lo <= 2.0 * EPS * hi {
            return next;
        }
        x = next;
    }
    x
}

// ---------------------------------------------------------------------------------------
// Student-t
// ---------------------------------------------------------------------------------------

/// For `t > 0`: `(I_x(ν/2, 1/2), 1 - I_x(ν/2, 1/2), K)` with `x = ν/(ν + t²)`, i.e.
/// `(2 P(T > t), P(|T| <= t), kernel)`.
fn t_beta_tails(ib: &IncBeta, nu: f64, t: f64) -> (f64, f64, f64) {
    let t2 = t * t;
    let den = nu + t2;
    // a - (a+b) x = ν/2 - (ν+1)/2 * ν/(ν+t²) = ν (t² - 1) / (2 (ν + t²))
    let delta = nu * ((t - 1.0) * (t + 1.0)) / (2.0 * den);
    ib.tails(nu / den, t2 / den, delta)
}

/// `(P(T <= t), P(T > t))` for a standard Student-t with `nu` degrees of freedom, both
/// tails computed directly through `I_x(ν/2, 1/2)` with `x = ν/(ν + t²)`.
fn t_tails(t: f64, nu: f64) -> (f64, f64) {
    if t.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if t == 0.0 {
        return (0.5, 0.5);
    }
    let u = t.abs();
    // Upper tail beyond |t| and half the central mass P(|T| <= |t|).
    let (tail, central) = if u > 1e150 {
        // sf(u) = ν^(ν/2-1) u^-ν / B(ν/2, 1/2) (1 + O(ν u^-2)), exact to rounding here.
        let ln_sf = (0.5 * nu - 1.0) * nu.ln() - nu * u.ln() - IncBeta::new(0.5 * nu, 0.5).ln_beta();
        let sf = ln_sf.exp().min(0.5);
        (sf, 0.5 - sf)
    } else {
        let (two_sf, mass, _) = t_beta_tails(&IncBeta::new(0.5 * nu, 0.5), nu, u);
        (0.5 * two_sf, 0.5 * mass)
    };
    if t > 0.0 { (0.5 + central, tail) } else { (tail, 0.5 + central) }
}

/// The upper `q` quantile of a standard Student-t with `nu` degrees of freedom (`q` in
/// `[0, 1/2]`): what a Monte Carlo interval from few replicate groups needs instead of the normal
/// quantile (see `summary::interval`).
pub fn student_t_upper_quantile(q: f64, nu: f64) -> f64 {
    t_upper_quantile(q, nu)
}

/// The `t >= 0` with `P(T > t) = q` for a standard Student-t, `q` in `[0, 1/2]`
/// (`+∞` for `q = 0`).
fn t_upper_quantile(q: f64, nu: f64) -> f64 {
    if q.is_nan() {
        return f64::NAN;
    }
    if q <= 0.0 {
        return f64::INFINITY;
    }
    if q >= 0.5 {
        return 0.0;
    }
    if nu == 1.0 {
        // Cauchy: t = cot(π q), written so the argument of tan is formed exactly.
        return if q < 0.25 { 1.0 / (PI * q).tan() } else { (PI * (0.5 - q)).tan() };
    }
    if nu == 2.0 {
        // sf(t) = 1/2 - t / (2 sqrt(t² + 2))  =>  t = (1 - 2q) / sqrt(2 q (1 - q)).
        return (1.0 - 2.0 * q) / (2.0 * q * (1.0 - q)).sqrt();
    }
    // Since (1 + t²/ν)^(-(ν+1)/2) <= (t²/ν)^(-(ν+1)/2), sf(t) <= ν^(ν/2-1) t^-ν / B(ν/2, 1/2):
    // t_bound solves the bound and is a rigorous upper bracket, and the asymptote itself
    // when t is large, with relative error corr = ν(ν+1) / (2(ν+2) t²).
    let ib = IncBeta::new(0.5 * nu, 0.5);
    let ln_bound = ((0.5 * nu - 1.0) * nu.ln() - ib.ln_beta() - q.ln()) / nu;
    if ln_bound >= f64::MAX.ln() {
        return f64::INFINITY;
    }
    let t_bound = ln_bound.exp();
    let corr = nu * (nu + 1.0) / (2.0 * (nu + 2.0) * t_bound * t_bound);
    if corr < 0.125 * EPS {
        return t_bound;
    }
    let x0 = if corr < 0.1 {
        t_bound * (1.0 - corr)
    } else {
        // Cornish–Fisher expansion of t in the normal quantile (Abramowitz & Stegun 26.7.5).
        let z = -standard_normal_quantile(q);
        let z2 = z * z;
        let g1 = (z2 + 1.0) * z / 4.0;
        let g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
        let g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
        let g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
        z + (g1 + (g2 + (g3 + g4 / nu) / nu) / nu) / nu
    };
    // d/dt I_x(ν/2, 1/2) = -2 K (ab/(a+b)) / t with a = ν/2, b = 1/2 (see IncBeta::kernel),
    // i.e. -2 pdf(t); and t pdf'(t) / pdf(t) = -(ν+1) t² / (ν + t²).
    let ab_n = 0.5 * nu * 0.5 / (0.5 * nu + 0.5);
    let t_curv = |t: f64| -(nu + 1.0) * t * t / (nu + t * t);
    if q < 0.25 {
        // I_x(ν/2, 1/2) = 2 sf(t): decreasing in t.
        solve_monotone(2.0 * q, 0.0, t_bound, x0, false, |t| {
            let (two_sf, _, k) = t_beta_tails(&ib, nu, t);
            (two_sf, -2.0 * k * ab_n / t, t_curv(t))
        })
    } else {
        // 1 - I_x(ν/2, 1/2) = P(|T| <= t): increasing in t; 1 - 2q is exact here.
        solve_monotone(1.0 - 2.0 * q, 0.0, t_bound, x0, true, |t| {
            let (_, mass, k) = t_beta_tails(&ib, nu, t);
            (mass, 2.0 * k * ab_n / t, t_curv(t))
        })
    }
}

// ---------------------------------------------------------------------------------------
// Beta (PERT)
// ---------------------------------------------------------------------------------------

/// The `x` in `[0, 1]` with `I_x(a, b) = p`, for `p` in `[0, 1/2]` and `a, b >= 1`.
fn beta_lower_quantile(a: f64, b: f64, p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return 0.0;
    }
    if a == 1.0 {
        // I_x(1, b) = 1 - (1 - x)^b
        return -((-p).ln_1p() / b).exp_m1();
    }
    if b == 1.0 {
        // I_x(a, 1) = x^a
        return (p.ln() / a).exp();
    }
    let ib = IncBeta::new(a, b);
    let ln_beta = ib.ln_beta();
    // For b >= 1 the density is <= x^(a-1) / B(a, b), so I_x(a, b) <= x^a / (a B(a, b)):
    // the root of that bound is a lower bracket, and the root itself as x -> 0.
    let x_low = ((p.ln() + a.ln() + ln_beta) / a).exp().min(1.0);
    let x0 = if p < 1e-3 {
        // I_x(a, b) = x^a / (a B) (1 - a (b-1) x / (a+1) + O(x²)): one correction term.
        x_low * (1.0 + (b - 1.0) * x_low / (a + 1.0))
    } else {
        // Carter (1947) starting value, as in AS 109 (Cran, Martin & Thomas 1977), a, b > 1.
        let z = -standard_normal_quantile(p);
        let r = (z * z - 3.0) / 6.0;
        let s = 1.0 / (2.0 * a - 1.0);
        let t = 1.0 / (2.0 * b - 1.0);
        let h = 2.0 / (s + t);
        let w = z * (h + r).sqrt() / h - (t - s) * (r + 5.0 / 6.0 - 2.0 / (3.0 * h));
        a / (a + b * (2.0 * w).exp())
    };
    let ab_n = a * b / (a + b);
    // (Widened by 1e-9 so rounding in ln B cannot push the bracket past the root.)
    solve_monotone(p, x_low * (1.0 - 1e-9), 1.0, x0, true, |x| {
        let y = 1.0 - x;
        let (lower, _, k) = ib.tails(x, y, a - (a + b) * x);
        // density K ab/((a+b) x y); x (d/dx ln density) = (a-1) - (b-1) x/y.
        (lower, k * ab_n / (x * y), (a - 1.0) - (b - 1.0) * x / y)
    })
}

// ---------------------------------------------------------------------------------------
// Counts: Poisson and negative binomial
// ---------------------------------------------------------------------------------------

/// What the exact count-quantile search needs from a law on `0, 1, 2, ...`.
trait CountLaw {
    /// `P(X = k)`, accurate to a few ulps.
    fn pmf(&self, k: f64) -> f64;
    /// `pmf(k+1) / pmf(k)`.
    fn ratio_up(&self, k: f64) -> f64;
    /// `pmf(k-1) / pmf(k)` for `k >= 1`.
    fn ratio_down(&self, k: f64) -> f64;
    /// `(F(k), S(k)) = (P(X <= k), P(X > k))`, the smaller one computed directly.
    fn tails(&self, k: f64) -> (f64, f64);
}

/// `(F(k), S(k))` by summing pmf terms away from `k`: `F(k)` downward from `k` if
/// `lower_direct`, else `S(k)` upward from `k + 1`; the other as the complement. The terms
/// are summed relative to the first one (so nothing underflows however far out `k` is) and
/// the sum stops once the geometric bound `t ρ/(1 - ρ)` on the rest is below ε/4 of it,
/// which needs the downward ratios to shrink as `j` falls and the upward ones to stay below
/// `ρ = max(ratio, up_limit)`. The terms are positive: no cancellation.
fn summed_tails<L: CountLaw>(law: &L, k: f64, lower_direct: bool, up_limit: f64) -> (f64, f64) {
    let mut term = 1.0;
    let mut sum = 1.0;
    let first = if lower_direct {
        let mut j = k;
        while j > 0.0 {
            let r = law.ratio_down(j);
            term *= r;
            sum += term;
            j -= 1.0;
            if r < 1.0 && term * r <= 0.25 * EPS * sum * (1.0 - r) {
                break;
            }
        }
        law.pmf(k)
    } else {
        let mut j = k + 1.0;
        while j < MAX_COUNT {
            let r = law.ratio_up(j);
            term *= r;
            sum += term;
            j += 1.0;
            let rho = r.max(up_limit);
            if rho < 1.0 && term * rho <= 0.25 * EPS * sum * (1.0 - rho) {
                break;
            }
        }
        law.pmf(k + 1.0)
    };
    let direct = (first * sum).min(1.0);
    if lower_direct { (direct, 1.0 - direct) } else { (1.0 - direct, direct) }
}

struct PoissonLaw {
    lambda: f64,
}

impl PoissonLaw {
    /// Cornish–Fisher start `λ + σ (z + (z² - 1) / (6σ))` (skewness 1/σ).
    fn guess(&self, z: f64, tail: TailProb) -> f64 {
        let z = if z.is_finite() { z } else { tail_score(tail) };
        let sigma = self.lambda.sqrt();
        let k = self.lambda + sigma * z + (z * z - 1.0) / 6.0;
        k.round().clamp(0.0, MAX_COUNT)
    }
}

impl CountLaw for PoissonLaw {
    fn pmf(&self, k: f64) -> f64 {
        if k == 0.0 { (-self.lambda).exp() } else { poisson_kernel(k, self.lambda) }
    }

    fn ratio_up(&self, k: f64) -> f64 {
        self.lambda / (k + 1.0)
    }

    fn ratio_down(&self, k: f64) -> f64 {
        k / self.lambda
    }

    fn tails(&self, k: f64) -> (f64, f64) {
        // The median lies in [λ - ln 2, λ + 1/3] (Choi 1994): below λ - 1/2 sum the lower
        // tail, else the upper one (whose ratios λ/(j+1) are then < 1).
        summed_tails(self, k, k < self.lambda - 0.5, 0.0)
    }
}

struct NegBinLaw {
    mean: f64,
    r: f64,
    /// `r / (r + mean)`
    p: f64,
    /// `mean / (r + mean)`
    q: f64,
}

impl NegBinLaw {
    fn new(mean: f64, dispersion: f64) -> Self {
        let total = dispersion + mean;
        NegBinLaw { mean, r: dispersion, p: dispersion / total, q: mean / total }
    }

    /// Wilson–Hilferty (Pearson type III) start `μ + σ (2/γ)((1 + γz/6 - γ²/36)³ - 1)`
    /// with skewness `γ = (1 + q)/sqrt(r q)`.
    fn guess(&self, z: f64, tail: TailProb) -> f64 {
        let z = if z.is_finite() { z } else { tail_score(tail) };
        let sigma = (self.mean + self.mean * self.mean / self.r).sqrt();
        let gamma = (1.0 + self.q) / (self.r * self.q).sqrt();
        let w = 1.0 + gamma * z / 6.0 - gamma * gamma / 36.0;
        let k = self.mean + sigma * (2.0 / gamma) * (w * w * w - 1.0);
        if k.is_finite() { k.round().clamp(0.0, MAX_COUNT) } else { self.mean.round() }
    }
}

impl CountLaw for NegBinLaw {
    fn pmf(&self, k: f64) -> f64 {
        if k == 0.0 {
            // p^r = exp(-r ln(1 + mean/r))
            return (-self.r * (self.mean / self.r).ln_1p()).exp();
        }
        // Γ(k+r)/(Γ(r) k!) p^r q^k = r/(r+k) * K(r, k; p, q), with r - (r+k) p = (mean - k) p.
        self.r / (self.r + k) * IncBeta::new(self.r, k).kernel(self.p, self.q, (self.mean - k) * self.p)
    }

    fn ratio_up(&self, k: f64) -> f64 {
        (k + self.r) / (k + 1.0) * self.q
    }

    fn ratio_down(&self, k: f64) -> f64 {
        k / ((k - 1.0 + self.r) * self.q)
    }

    fn tails(&self, k: f64) -> (f64, f64) {
        if self.p >= 0.5 {
            // dispersion >= mean: variance <= 2 mean and F(k) = I_p(r, k+1) would be taken
            // near p = 1 with both parameters possibly large, where neither the continued
            // fraction nor BGRAT is accurate. Summing O(sd) positive terms is.
            summed_tails(self, k, k < self.mean - 0.5, self.q)
        } else {
            // F(k) = I_p(r, k+1), with r - (r+k+1) p = (mean - k - 1) p.
            let (f, s, _) = IncBeta::new(self.r, k + 1.0).tails(self.p, self.q, (self.mean - k - 1.0) * self.p);
            (f, s)
        }
    }
}

/// A rough normal score for a tail probability (only a starting value).
fn tail_score(tail: TailProb) -> f64 {
    match tail {
        TailProb::Lower(p) => standard_normal_quantile(p),
        TailProb::Upper(s) => -standard_normal_quantile(s),
    }
}

/// Exact quantile of a count law: the smallest `k >= 0` with `F(k) >= p` (for
/// `TailProb::Lower(p)`) or with `S(k) <= s` (for `TailProb::Upper(s)`), searched from `k0`.
///
/// The tail that is compared is always the one in which the target is small. Far from the
/// answer, fresh tail evaluations drive a bracketed Newton iteration on `ln T(k)`; close to
/// it (within 256 steps) the pmf recurrences walk to it, adding pmf terms to the tail where
/// that grows it and, where the walk shrinks it by subtraction, re-evaluating it afresh
/// whenever it has halved, so the comparison keeps its relative accuracy throughout.
fn count_quantile<L: CountLaw>(law: &L, tail: TailProb, k0: f64) -> f64 {
    /// Steps walked with the pmf recurrence before a fresh evaluation is preferred.
    const WALK: f64 = 256.0;
    const MAX_EVALS: usize = 200;
    let (target, lower) = match tail {
        TailProb::Lower(p) => (p, true),
        TailProb::Upper(s) => (s, false),
    };
    if target.is_nan() {
        return f64::NAN;
    }
    if lower && target <= 0.0 {
        return 0.0;
    }
    if !lower && target <= 0.0 {
        return f64::INFINITY;
    }
    // In-tail value T(k): F(k) when lower, S(k) otherwise. ok(k) marks the answer set.
    let value = |k: f64| {
        let (f, s) = law.tails(k);
        if lower { f } else { s }
    };
    let ok = |v: f64| if lower { v >= target } else { v <= target };

    // Known bracket: ok(hi) holds, ok(lo) fails (lo = -1 stands for "below 0").
    let mut lo = -1.0_f64;
    let mut hi = f64::INFINITY;
    let mut k = k0.clamp(0.0, MAX_COUNT);
    for _ in 0..MAX_EVALS {
        let v = value(k);
        let pmf = law.pmf(k);
        if ok(v) {
            hi = k;
        } else {
            lo = k;
        }
        if hi - lo <= 1.0 {
            return hi;
        }
        // Newton on ln T(k) with the exact backward difference
        // ln T(k) - ln T(k-1) = -ln(1 - pmf/F) (lower) or -ln(1 + pmf/S) (upper).
        let slope = if lower { -(-pmf / v).ln_1p() } else { -(pmf / v).ln_1p() };
        let step = (target.ln() - v.ln()) / slope;
        // Subnormal (or underflowed) values carry too few digits to walk or step from.
        let trusted = v.is_normal() && pmf.is_normal() && step.is_finite();
        if trusted && step.abs() <= WALK {
            match walk(law, &ok, lower, k, v, pmf, lo, hi, WALK as usize) {
                Ok(answer) => return answer,
                // WALK steps without crossing: evaluate afresh where the walk stopped.
                Err(reached) => {
                    k = reached;
                    continue;
                }
            }
        }
        let mut next = if trusted { (k + step).round() } else { f64::NAN };
        if !(next > lo && next < hi) || next == k {
            next = if hi.is_infinite() { (2.0 * k + WALK).min(MAX_COUNT) } else { (0.5 * (lo + hi)).floor() };
        }
        if next >= MAX_COUNT {
            return MAX_COUNT;
        }
        k = next.max(0.0);
    }
    if hi.is_finite() { hi } else { k }
}

/// Walks from `k` (with in-tail value `v` and `pmf = P(X = k)`) toward the answer for at
/// most `max_steps` steps, using the pmf recurrences. Returns `Err(k)` with the position
/// reached if it did not arrive.
#[allow(clippy::too_many_arguments)]
fn walk<L: CountLaw>(
    law: &L,
    ok: &impl Fn(f64) -> bool,
    lower: bool,
    mut k: f64,
    mut v: f64,
    mut pmf: f64,
    lo: f64,
    hi: f64,
    max_steps: usize,
) -> Result<f64, f64> {
    if ok(v) {
        // Step down: the answer is k unless ok(k - 1).
        // lower: F(k-1) = F(k) - pmf(k) (a subtraction: re-anchor when F has halved);
        // upper: S(k-1) = S(k) + pmf(k).
        let mut anchor = v;
        for _ in 0..max_steps {
            if k - 1.0 <= lo || k <= 0.0 {
                return Ok(k);
            }
            let below = if lower { v - pmf } else { v + pmf };
            let (below, pmf_below) = if lower && below < 0.5 * anchor {
                let (f, _) = law.tails(k - 1.0);
                anchor = f;
                (f, law.pmf(k - 1.0))
            } else {
                (below, pmf * law.ratio_down(k))
            };
            if !ok(below) {
                return Ok(k);
            }
            if !(below.is_normal() && pmf_below.is_normal()) {
                return Err(k - 1.0);
            }
            k -= 1.0;
            v = below;
            pmf = pmf_below;
        }
    } else {
        // Step up: lower: F(k+1) = F(k) + pmf(k+1);
        // upper: S(k+1) = S(k) - pmf(k+1) (a subtraction: re-anchor when S has halved).
        let mut anchor = v;
        for _ in 0..max_steps {
            if k + 1.0 >= hi {
                return Ok(hi);
            }
            let pmf_above = pmf * law.ratio_up(k);
            let above = if lower { v + pmf_above } else { v - pmf_above };
            let (above, pmf_above) = if !lower && above < 0.5 * anchor {
                let (_, s) = law.tails(k + 1.0);
                anchor = s;
                (s, law.pmf(k + 1.0))
            } else {
                (above, pmf_above)
            };
            let trusted = above.is_normal() && pmf_above.is_normal();
            if !trusted && !ok(above) {
                return Err(k + 1.0);
            }
            k += 1.0;
            v = above;
            pmf = pmf_above;
            if ok(v) {
                return Ok(k);
            }
            if k >= MAX_COUNT {
                return Ok(MAX_COUNT);
            }
        }
    }
    Err(k)
}

// Reference values are quoted to 20 digits, as computed, rather than rounded to f64.
#[cfg(test)]
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    /// The column version gives the scalar bits: on a dense grid, at and one ulp either side of
    /// the central region's edges (|p − 1/2| = 0.425), in the far tails, at 0, 1, beyond them,
    /// NaN, subnormals, and in columns of every length up to 64 (so partial vectors too).
    #[test]
    fn normal_quantile_column_gives_the_scalar_bits() {
        let mut ps: Vec<f64> = (0..=200_000).map(|k| k as f64 / 200_000.0).collect();
        for edge in [0.075, 0.925, 0.5 - 0.425, 0.5 + 0.425, 0.5] {
            ps.extend([edge, f64::next_up(edge), f64::next_down(edge)]);
        }
        ps.extend([1e-300, 5e-324, 1.0 - 1e-16, -0.0, -1.0, 2.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        let mut out = vec![0.0; ps.len()];
        for len in 1..=64 {
            for (p, o) in ps.chunks(len).zip(out.chunks_mut(len)) {
                standard_normal_quantile_column(p, o);
            }
            for (&p, &o) in ps.iter().zip(&out) {
                let want = standard_normal_quantile(p);
                assert_eq!(o.to_bits(), want.to_bits(), "p = {p:e}, columns of {len}: {o} vs {want}");
            }
        }
    }

    /// `|got - want| <= rel * |want|`, with a readable failure. (References are written in
    /// forms free of cancellation, so that their own error is far below `rel`.)
    #[track_caller]
    fn assert_rel(got: f64, want: f64, rel: f64) {
        let err = (got - want).abs();
        assert!(
            err <= rel * want.abs(),
            "got {got:e}, want {want:e} (relative error {:e} > {rel:e})",
            err / want.abs()
        );
    }

    fn std_t(df: f64) -> Marginal {
        Marginal::StudentT { location: 0.0, scale: 1.0, df }
    }

    /// One of each continuous family, with a few shapes each.
    fn continuous_marginals() -> Vec<Marginal> {
        vec![
            Marginal::Normal { mean: 2.5, sd: 1.5 },
            std_t(0.7),
            std_t(1.0),
            std_t(2.0),
            std_t(3.0),
            Marginal::StudentT { location: 1.0, scale: 0.5, df: 5.5 },
            std_t(60.0),
            std_t(1e6),
            Marginal::Triangular { min: -1.0, mode: 0.5, max: 4.0 },
            Marginal::Triangular { min: 0.0, mode: 0.0, max: 2.0 },
            Marginal::Triangular { min: 0.0, mode: 2.0, max: 2.0 },
            Marginal::Pert { min: -1.0, mode: 0.5, max: 4.0 },
            Marginal::Pert { min: 0.0, mode: 0.0, max: 1.0 },
            Marginal::Pert { min: 0.0, mode: 1.0, max: 1.0 },
            Marginal::Pert { min: 10.0, mode: 10.3, max: 11.0 },
            Marginal::Uniform { min: -2.0, max: 3.0 },
            Marginal::SplitNormal { mode: 1.0, sd_low: 0.5, sd_high: 2.0 },
            Marginal::SplitNormal { mode: -1.0, sd_low: 3.0, sd_high: 1.0 },
        ]
    }

    fn count_marginals() -> Vec<Marginal> {
        let mut v: Vec<Marginal> =
            [1e-3, 0.5, 30.0, 9000.0, 1e5].iter().map(|&mean| Marginal::Poisson { mean }).collect();
        for (mean, dispersion) in
            [(1e-3, 1.0), (0.5, 0.5), (10.0, 0.001), (30.0, 5.0), (30.0, 1e6), (9000.0, 0.5), (1e4, 3e4), (1e5, 50.0)]
        {
            v.push(Marginal::NegativeBinomial { mean, dispersion });
        }
        v
    }

    fn all_marginals() -> Vec<Marginal> {
        let mut v = continuous_marginals();
        v.extend(count_marginals());
        v.push(Marginal::Fixed { value: 3.25 });
        v
    }

    // ----- standard normal -----------------------------------------------------------

    #[test]
    fn as241_matches_published_and_reference_values() {
        // Published: Wichura (1988) / standard tables.
        assert_rel(standard_normal_quantile(0.975), 1.959963984540054, 4e-16);
        assert_rel(standard_normal_quantile(1e-10), -6.361340902404056, 4e-16);
        // 50-digit references (mpmath 1.3), rounded to 20 digits.
        for (p, z) in [
            (1e-300, -37.047096299361199237),
            (1e-50, -14.933337534788488981),
            (0.02, -2.0537489106318230529),
            (0.3, -0.52440051270804078404),
        ] {
            assert_rel(standard_normal_quantile(p), z, 6e-16);
        }
        assert_eq!(standard_normal_quantile(0.5), 0.0);
        assert_eq!(standard_normal_quantile(0.0), f64::NEG_INFINITY);
        assert_eq!(standard_normal_quantile(1.0), f64::INFINITY);
        assert!(standard_normal_quantile(f64::NAN).is_nan());
    }

    #[test]
    fn normal_cdf_is_accurate_in_both_tails() {
        // 50-digit references (mpmath 1.3).
        for (z, p) in [
            (-37.5, 4.6053530095819548438e-308),
            (-20.0, 2.7536241186062336951e-89),
            (-9.0, 1.1285884059538406477e-19),
            (-3.0, 0.0013498980316300945267),
            (-0.3, 0.38208857781104736269),
            (0.3, 0.61791142218895263731),
            (1.5, 0.933192798731141934),
            (5.0, 0.99999971334842812081),
        ] {
            assert_rel(standard_normal_cdf(z), p, 1e-15);
        }
        // The upper tail is computed directly, not as 1 - Φ(z).
        assert_rel(normal_tails(9.0).1, 1.1285884059538406477e-19, 1e-15);
        assert_eq!(standard_normal_cdf(0.0), 0.5);
        assert_eq!(standard_normal_cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(standard_normal_cdf(f64::INFINITY), 1.0);
        for i in 0..=400 {
            let z = -10.0 + 0.05 * f64::from(i);
            let (lo, hi) = normal_tails(z);
            assert!((lo + hi - 1.0).abs() <= 2.0 * EPS, "z = {z}");
            // Round trip through AS241 where Φ(z) carries enough digits.
            if z <= 0.0 {
                let back = standard_normal_quantile(lo);
                assert!((back - z).abs() <= 1e-14 * z.abs().max(1.0), "z = {z}: {back}");
            }
        }
    }

    // ----- special functions -----------------------------------------------------------

    #[test]
    fn stirlerr_matches_reference_values() {
        // stirlerr(n) = ln Γ(n+1) - (n+1/2) ln n + n - ln √(2π), 50-digit references.
        for (n, v) in [
            (0.001, 2.5422704679670945518),
            (0.3, 0.23606490074821558137),
            (1.25, 0.065431966887856779931),
            (6.001, 0.013873820739244207349),
            (7.3, 0.011408422368027264493),
            (20.7, 0.004025451929237934315),
            (10000.3, 8.3330833380555805552e-6),
            (1e7, 8.3333333333333305556e-9),
        ] {
            // A few ulps of the value (it enters probabilities as an exponent).
            assert!((stirlerr(n) - v).abs() <= 4.0 * EPS * v.max(0.25), "stirlerr({n}): {}", stirlerr(n) - v);
        }
        // Half-integers come from the table.
        assert_eq!(stirlerr(2.5), 0.033162873519936287485);
    }

    #[test]
    fn ln_beta_matches_closed_forms_and_references() {
        // B(2, 4) = 1/20, B(1/2, 1/2) = π; others 50-digit references.
        assert!((IncBeta::new(2.0, 4.0).ln_beta() - (0.05f64).ln()).abs() <= 4.0 * EPS);
        assert!((IncBeta::new(0.5, 0.5).ln_beta() - PI.ln()).abs() <= 4.0 * EPS);
        for (a, b, v) in [
            (5e5, 0.5, -5.9888164957774643103),
            (1.3, 3.7, -1.8581563131904183033),
            (0.001, 6.0, 6.9054726770594084552),
        ] {
            assert_rel(IncBeta::new(a, b).ln_beta(), v, 4.0 * EPS);
        }
    }

    #[test]
    fn incomplete_beta_matches_closed_forms() {
        // I_x(2, 4) = 1 - (1-x)^5 - 5 x (1-x)^4; I_x(1, b) = 1 - (1-x)^b; I_x(a, 1) = x^a.
        for i in 1..100 {
            let x = f64::from(i) / 100.0;
            let y = 1.0 - x;
            // Both tails of Beta(2, 4) as binomial sums, free of cancellation.
            let (lo, hi, _) = IncBeta::new(2.0, 4.0).tails(x, y, 2.0 - 6.0 * x);
            let want = 10.0 * x * x * y.powi(3) + 10.0 * x.powi(3) * y * y + 5.0 * x.powi(4) * y + x.powi(5);
            assert_rel(lo, want, 5e-15);
            assert_rel(hi, y.powi(5) + 5.0 * x * y.powi(4), 5e-15);
            let (lo, _, _) = IncBeta::new(1.0, 3.5).tails(x, y, 1.0 - 4.5 * x);
            assert_rel(lo, -(3.5 * (-x).ln_1p()).exp_m1(), 5e-15);
            let (lo, _, _) = IncBeta::new(2.5, 1.0).tails(x, y, 2.5 - 3.5 * x);
            assert_rel(lo, x.powf(2.5), 5e-15);
        }
    }

    #[test]
    fn student_t_tails_match_closed_forms_and_references() {
        // ν = 1: F(t) = 1/2 + atan(t)/π; ν = 2: F(t) = 1/2 + t / (2 sqrt(t² + 2)), whose
        // lower tail is 1 / (r (r + |t|)) with r = sqrt(t² + 2).
        for i in 0..=200 {
            let t = -50.0 + 0.5 * f64::from(i);
            let (lo1, hi1) = t_tails(t, 1.0);
            let (lo2, _) = t_tails(t, 2.0);
            // Tails in the form that keeps their relative accuracy.
            let cauchy_tail = (1.0 / t.abs()).atan() / PI;
            if t < 0.0 {
                assert_rel(lo1, cauchy_tail, 4e-15);
                let r = (t * t + 2.0).sqrt();
                assert_rel(lo2, 1.0 / (r * (r + t.abs())), 4e-15);
            } else if t > 0.0 {
                assert_rel(hi1, cauchy_tail, 4e-15);
            }
            if t >= 0.0 {
                assert_rel(lo1, 0.5 + t.atan() / PI, 4e-15);
                assert_rel(lo2, 0.5 + t / (2.0 * (t * t + 2.0).sqrt()), 4e-15);
            }
        }
        // Upper tails P(T > t), 50-digit references (mpmath 1.3); the large-ν cases need BGRAT.
        for (nu, t, sf) in [
            (2.5, 1.0, 0.20203051363913673318),
            (100.0, 5.0, 1.2250867067519002115e-6),
            (1e4, 3.0, 0.0013532240949988331429),
            (1e6, 2.0, 0.022750266925659604211),
            (1e6, 5.0, 2.8669989354453707845e-7),
        ] {
            assert_rel(t_tails(t, nu).1, sf, 1e-14);
            assert_rel(t_tails(-t, nu).0, sf, 1e-14);
        }
    }

    // ----- quantiles of the continuous marginals ----------------------------------------

    #[test]
    fn student_t_quantiles_match_published_tables() {
        // Published 10-digit table values, and 50-digit references.
        let q = std_t(5.0).quantile(0.975);
        assert!((q - 2.570581836).abs() < 5e-10);
        assert_rel(q, 2.5705818356363155147, 2e-15);
        let q = std_t(3.0).quantile(0.995);
        // (The printed 5.840909309 is truncated: the value is 5.8409093097...)
        assert!((q - 5.840909309).abs() < 1e-9);
        assert_rel(q, 5.8409093097333572607, 2e-15);
        // Far tails through z, where p = Φ(z) alone would have collapsed to 1.
        assert_rel(std_t(3.0).from_standard_normal(9.0), 2137806.4774796653971, 1e-14);
        assert_rel(std_t(3.0).from_standard_normal(-9.0), -2137806.4774796653971, 1e-14);
        assert_rel(std_t(0.5).from_standard_normal(9.0), 8.0747557206265302082e36, 1e-13);
        assert_rel(std_t(30.0).quantile(1e-10), -9.3774897804071431961, 1e-14);
        assert_rel(std_t(2.5).quantile(0.4), -0.28145951274854765657, 1e-14);
        assert_rel(std_t(1e6).from_standard_normal(5.0), 5.0000325001837507703, 1e-14);
        // Next to the median (statrs is off by a factor 10 here).
        let p = 0.5 + 2f64.powi(-30);
        assert_rel(std_t(3.0).quantile(p), 2.5338484406017947754e-9, 1e-13);
        // Closed forms: Cauchy tan(π(p - 1/2)), ν = 2: (2p - 1) / sqrt(2 p (1-p)).
        for i in 1..100 {
            let p = f64::from(i) / 100.0;
            assert!(
                (std_t(1.0).quantile(p) - (PI * (p - 0.5)).tan()).abs() <= 1e-14 * (1.0 + (PI * (p - 0.5)).tan().abs())
            );
            let want = (2.0 * p - 1.0) / (2.0 * p * (1.0 - p)).sqrt();
            assert!((std_t(2.0).quantile(p) - want).abs() <= 1e-14 * (1.0 + want.abs()));
        }
        // Location and scale.
        let m = Marginal::StudentT { location: 2.0, scale: 3.0, df: 5.0 };
        assert_rel(m.quantile(0.975), 2.0 + 3.0 * 2.5705818356363155147, 2e-15);
    }

    #[test]
    fn pert_quantiles_match_references() {
        // PERT(0, 0.75, 1) is Beta(4, 2); PERT(0, 0.25, 1) is Beta(2, 4). 50-digit references.
        let beta42 = Marginal::Pert { min: 0.0, mode: 0.75, max: 1.0 };
        assert_rel(beta42.from_standard_normal(-9.0), 1.2257233505703116623e-5, 1e-14);
        let beta24 = Marginal::Pert { min: 0.0, mode: 0.25, max: 1.0 };
        assert_rel(beta24.quantile(1e-15), 1.000000010000000175e-8, 1e-14);
        // Symmetry of the two: Q_{2,4}(p) = 1 - Q_{4,2}(1-p), the upper tail through z.
        assert_rel(1.0 - beta24.from_standard_normal(9.0), 1.2257233505703116623e-5, 1e-10);
        // Beta(1, 5) (mode at min) in closed form: Q(p) = 1 - (1-p)^(1/5).
        let beta15 = Marginal::Pert { min: 0.0, mode: 0.0, max: 1.0 };
        for i in 1..100 {
            let p = f64::from(i) / 100.0;
            assert_rel(beta15.quantile(p), -(0.2 * (-p).ln_1p()).exp_m1(), 1e-14);
            // CDF of Beta(2, 4) in closed form (binomial sum).
            let y = 1.0 - p;
            let want = 10.0 * p * p * y.powi(3) + 10.0 * p.powi(3) * y * y + 5.0 * p.powi(4) * y + p.powi(5);
            assert_rel(beta24.cdf(p), want, 5e-15);
        }
    }

    #[test]
    fn quantile_inverts_cdf_for_every_continuous_marginal() {
        for m in continuous_marginals() {
            let (lo, hi) = m.support();
            let scale = if m.sd().is_finite() { m.sd() } else { 1.0 };
            let mut checked = 0;
            for i in 0..=600 {
                // Points through the body and into both tails.
                let z = -12.0 + 0.04 * f64::from(i);
                let x = m.from_standard_normal(z);
                if !(x > lo && x < hi) {
                    continue;
                }
                let p = m.cdf(x);
                // Keep away from p ≈ 1, where p itself has lost the digits that define x
                // (1 - p carries a relative error of up to ε/(1 - p)).
                if !(p > 1e-300 && p < 1.0 - 1e-3) {
                    continue;
                }
                let back = m.quantile(p);
                assert!(
                    (back - x).abs() <= 1e-12 * (x.abs() + scale),
                    "{m:?}: x = {x:e}, cdf = {p:e}, quantile = {back:e}"
                );
                // And the lower tail of the cdf reproduces Φ(z) to full relative accuracy
                // (unless x sits next to a non-zero lower bound, where x itself cannot
                // resolve it).
                if z < 0.0 && (lo == f64::NEG_INFINITY || lo == 0.0) {
                    let want = standard_normal_cdf(z);
                    assert!((p - want).abs() <= 1e-11 * want, "{m:?}: z = {z}: {p:e} vs {want:e}");
                }
                checked += 1;
            }
            assert!(checked > 100, "{m:?}: only {checked} points");
        }
    }

    #[test]
    fn bounded_marginals_keep_their_tails() {
        // Φ(-9) ≈ 1.1e-19 survives next to a bound at 0 (next to any other bound it is below
        // the spacing of doubles, as it must be).
        let (s9, _) = normal_tails(-9.0);
        let u = Marginal::Uniform { min: 0.0, max: 5.0 };
        assert_eq!(u.from_standard_normal(-9.0), s9 * 5.0);
        let u = Marginal::Uniform { min: -5.0, max: 0.0 };
        assert_eq!(u.from_standard_normal(9.0), -(s9 * 5.0));
        let t = Marginal::Triangular { min: 0.0, mode: 1.5, max: 5.0 };
        assert_rel(t.from_standard_normal(-9.0), (s9 * 5.0 * 1.5).sqrt(), 1e-15);
        let t = Marginal::Triangular { min: -5.0, mode: -1.5, max: 0.0 };
        assert_rel(-t.from_standard_normal(9.0), (s9 * 5.0 * 1.5).sqrt(), 1e-15);
        // Split normal tails are normal tails of the matching half.
        let s = Marginal::SplitNormal { mode: 1.0, sd_low: 0.5, sd_high: 2.0 };
        // Beyond the mode the upper tail is 2 σ2/(σ1+σ2) Φ(-(x-mode)/σ2); recomputing it from
        // the rounded x costs about w² ε relative with w = (x-mode)/σ2 ≈ 8.9.
        let x = s.from_standard_normal(9.0);
        let tail = 2.0 * 2.0 / 2.5 * normal_tails((x - 1.0) / 2.0).1;
        assert_rel(tail, s9, 5e-14);
    }

    #[test]
    fn from_standard_normal_is_monotone_and_finite() {
        for m in all_marginals() {
            let mut prev = f64::NEG_INFINITY;
            for i in 0..=1800 {
                let z = -9.0 + 0.01 * f64::from(i);
                let x = m.from_standard_normal(z);
                assert!(x.is_finite(), "{m:?}: z = {z} gives {x}");
                assert!(x >= prev, "{m:?}: not monotone at z = {z}: {prev} then {x}");
                if m.is_discrete() {
                    assert_eq!(x, x.round(), "{m:?}: z = {z} gives non-integer {x}");
                }
                prev = x;
            }
        }
        // Very heavy tails, and counts, stay finite and ordered out to where Φ(-z) underflows.
        let mut far = vec![std_t(0.05), std_t(0.3), std_t(1.0), std_t(3.0)];
        far.extend([
            Marginal::Poisson { mean: 1e5 },
            Marginal::NegativeBinomial { mean: 1e5, dispersion: 50.0 },
            Marginal::NegativeBinomial { mean: 10.0, dispersion: 0.001 },
        ]);
        for m in far {
            let mut prev = f64::NEG_INFINITY;
            for i in 0..=800 {
                let z = -40.0 + 0.1 * f64::from(i);
                let x = m.from_standard_normal(z);
                assert!(x.is_finite() && x >= prev, "{m:?}: z = {z}: {prev} then {x}");
                prev = x;
            }
        }
    }

    // ----- split normal -----------------------------------------------------------------

    #[test]
    fn split_normal_with_equal_sides_is_normal() {
        let s = Marginal::SplitNormal { mode: 1.5, sd_low: 0.8, sd_high: 0.8 };
        let n = Marginal::Normal { mean: 1.5, sd: 0.8 };
        assert_eq!(s.mean(), n.mean());
        assert!((s.sd() - n.sd()).abs() <= 2.0 * EPS);
        for i in 0..=180 {
            let z = -9.0 + 0.1 * f64::from(i);
            assert_eq!(s.from_standard_normal(z), n.from_standard_normal(z));
            let x = n.from_standard_normal(z);
            assert_rel(s.cdf(x), n.cdf(x), 1e-15);
        }
        for i in 1..100 {
            let p = f64::from(i) / 100.0;
            assert!((s.quantile(p) - n.quantile(p)).abs() <= 1e-15 * 4.0);
        }
        assert_eq!(
            Marginal::split_normal_from_skew(1.5, 0.8, 0.0),
            Ok(Marginal::SplitNormal { mode: 1.5, sd_low: 0.8, sd_high: 0.8 })
        );
    }

    /// `∫_0^1 g(Q(u)) du` as `∫ g(Q(Φ(z))) φ(z) dz` over |z| <= 12 by composite Simpson, split
    /// at `z_kink` where the integrand's second derivative jumps.
    fn integrate_quantile(m: &Marginal, z_kink: f64, g: impl Fn(f64) -> f64) -> f64 {
        let simpson = |a: f64, b: f64| {
            let n = 20_000;
            let h = (b - a) / f64::from(n);
            let f = |z: f64| g(m.from_standard_normal(z)) * (-0.5 * z * z).exp() * FRAC_1_SQRT_2PI;
            let mut s = f(a) + f(b);
            for i in 1..n {
                let w = if i % 2 == 1 { 4.0 } else { 2.0 };
                s += w * f(a + h * f64::from(i));
            }
            s * h / 3.0
        };
        simpson(-12.0, z_kink) + simpson(z_kink, 12.0)
    }

    #[test]
    fn split_normal_moments_match_integrated_quantile() {
        for (mode, lo, hi) in [(1.0, 0.5, 2.0), (-2.0, 3.0, 1.0), (0.0, 1.0, 1.7)] {
            let m = Marginal::SplitNormal { mode, sd_low: lo, sd_high: hi };
            // Closed forms: mean = mode + sqrt(2/π)(σ2 - σ1),
            // var = (1 - 2/π)(σ2 - σ1)² + σ1 σ2.
            let mean = mode + (2.0 / PI).sqrt() * (hi - lo);
            let var = (1.0 - 2.0 / PI) * (hi - lo) * (hi - lo) + lo * hi;
            assert_rel(m.mean(), mean, 1e-15);
            assert_rel(m.sd(), var.sqrt(), 1e-15);
            // The quantile is kinked at the mode, i.e. at z = Φ⁻¹(σ1/(σ1+σ2)).
            let kink = standard_normal_quantile(lo / (lo + hi));
            let int_mean = integrate_quantile(&m, kink, |x| x);
            let int_var = integrate_quantile(&m, kink, |x| (x - mean) * (x - mean));
            assert!((int_mean - mean).abs() < 1e-11, "{m:?}: {int_mean} vs {mean}");
            assert!((int_var - var).abs() < 1e-11 * var, "{m:?}: {int_var} vs {var}");
        }
    }

    // ----- moments ------------------------------------------------------------------------

    #[test]
    fn moments_match_closed_forms() {
        let cases = [
            (Marginal::Normal { mean: -1.0, sd: 2.0 }, -1.0, 2.0),
            (Marginal::StudentT { location: 1.0, scale: 2.0, df: 5.0 }, 1.0, 2.0 * (5.0f64 / 3.0).sqrt()),
            (Marginal::Triangular { min: 0.0, mode: 1.0, max: 4.0 }, 5.0 / 3.0, (13.0f64 / 18.0).sqrt()),
            // PERT: mean (a + 4m + b)/6, var (μ - a)(b - μ)/7.
            (Marginal::Pert { min: 0.0, mode: 1.0, max: 5.0 }, 1.5, (1.5f64 * 3.5 / 7.0).sqrt()),
            (Marginal::Uniform { min: 2.0, max: 5.0 }, 3.5, 3.0 / 12f64.sqrt()),
            (Marginal::Fixed { value: 4.0 }, 4.0, 0.0),
            (Marginal::Poisson { mean: 9.0 }, 9.0, 3.0),
            (Marginal::NegativeBinomial { mean: 10.0, dispersion: 4.0 }, 10.0, 35f64.sqrt()),
        ];
        for (m, mean, sd) in cases {
            assert_rel(m.mean(), mean, 1e-15);
            if sd == 0.0 {
                assert_eq!(m.sd(), 0.0);
            } else {
                assert_rel(m.sd(), sd, 1e-15);
            }
        }
        assert_eq!(std_t(2.0).sd(), f64::INFINITY);
        assert_eq!(std_t(1.5).sd(), f64::INFINITY);
        assert!(std_t(1.0).mean().is_nan());
        assert_eq!(std_t(1.5).mean(), 0.0);
        // Means of the bounded and skewed families also agree with the integrated quantile.
        for m in
            [Marginal::Pert { min: 0.0, mode: 1.0, max: 5.0 }, Marginal::Triangular { min: 0.0, mode: 1.0, max: 4.0 }]
        {
            let mean = integrate_quantile(&m, 0.0, |x| x);
            assert!((mean - m.mean()).abs() < 1e-9, "{m:?}: {mean}");
        }
    }

    // ----- counts -----------------------------------------------------------------------

    /// Brute-force pmf on 0..=kmax: unnormalized weights by the pmf recurrence from the mode
    /// (each step exact to rounding), normalized by their total.
    fn brute_pmf(ratio_up: impl Fn(f64) -> f64, mode: usize, kmax: usize) -> Vec<f64> {
        let mut w = vec![0.0; kmax + 1];
        w[mode] = 1.0;
        for k in mode..kmax {
            w[k + 1] = w[k] * ratio_up(k as f64);
        }
        for k in (1..=mode).rev() {
            w[k - 1] = w[k] / ratio_up((k - 1) as f64);
        }
        // Sum from the smallest terms up.
        let mut sorted = w.clone();
        sorted.sort_by(f64::total_cmp);
        let total: f64 = sorted.iter().sum();
        w.iter().map(|v| v / total).collect()
    }

    /// (pmf, F, S) by brute force, F summed from the bottom and S from the top so that both
    /// tails keep their relative accuracy.
    fn brute_force(m: &Marginal) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (pmf, _) = match *m {
            Marginal::Poisson { mean } => {
                let kmax = (mean + 60.0 * mean.sqrt() + 60.0) as usize;
                (brute_pmf(|k| mean / (k + 1.0), mean.floor() as usize, kmax), ())
            }
            Marginal::NegativeBinomial { mean, dispersion } => {
                let q = mean / (mean + dispersion);
                let p = dispersion / (mean + dispersion);
                let mode = if dispersion > 1.0 { ((dispersion - 1.0) * q / p).floor() as usize } else { 0 };
                // The tail decays like q^k; go far enough for Φ(-9) ≈ 1e-19 and beyond.
                let sd = (mean + mean * mean / dispersion).sqrt();
                let kmax = (mean + 60.0 * sd + 80.0 / p.min(1.0)).min(5e6) as usize;
                (brute_pmf(|k| (k + dispersion) / (k + 1.0) * q, mode, kmax), ())
            }
            _ => unreachable!(),
        };
        let n = pmf.len();
        let mut f = vec![0.0; n];
        let mut acc = 0.0;
        for k in 0..n {
            acc += pmf[k];
            f[k] = acc;
        }
        let mut s = vec![0.0; n];
        let mut acc = 0.0;
        for k in (0..n).rev() {
            s[k] = acc;
            acc += pmf[k];
        }
        (pmf, f, s)
    }

    #[test]
    fn count_quantiles_are_exact() {
        for m in count_marginals() {
            let (pmf, f, s) = brute_force(&m);
            let mut skipped = 0;
            for i in 0..=360 {
                let z = -9.0 + 0.05 * f64::from(i);
                let (lower, upper) = normal_tails(z);
                // The exact answer: smallest k with F(k) >= Φ(z), or with S(k) <= Φ(-z).
                let want =
                    if z <= 0.0 { f.iter().position(|&v| v >= lower) } else { s.iter().position(|&v| v <= upper) }
                        .expect("brute-force range too short");
                // Skip targets within 1e-10 of a jump, where the brute force itself is not
                // trustworthy to that many digits.
                let near = |v: f64, t: f64| (v - t).abs() <= 1e-10 * t;
                let ambiguous = if z <= 0.0 {
                    near(f[want], lower) || (want > 0 && near(f[want - 1], lower))
                } else {
                    near(s[want], upper) || (want > 0 && near(s[want - 1], upper))
                };
                if ambiguous {
                    skipped += 1;
                    continue;
                }
                assert_eq!(m.from_standard_normal(z), want as f64, "{m:?}: z = {z}");
            }
            assert!(skipped <= 3, "{m:?}: {skipped} ambiguous targets");
            // quantile(p) at the middle of each jump around the bulk.
            let center = m.mean().floor() as usize;
            let span = (6.0 * m.sd()).ceil() as usize + 3;
            for k in center.saturating_sub(span)..(center + span).min(pmf.len() - 1) {
                if pmf[k] < 1e-9 * f[k].min(s[k].max(1e-300)) {
                    continue;
                }
                let p = f[k] - 0.5 * pmf[k];
                assert_eq!(m.quantile(p), k as f64, "{m:?}: p = {p}");
            }
        }
    }

    #[test]
    fn count_cdfs_match_references() {
        // 50-digit references (mpmath 1.3 regularized incomplete gamma / beta).
        let pois = |mean| Marginal::Poisson { mean };
        assert_rel(pois(9000.0).cdf(9000.0), 0.50280344077791522331, 1e-14);
        assert_rel(pois(30.0).cdf(20.0), 0.035284618454228643014, 1e-14);
        assert_rel(pois(30.0).cdf(20.7), 0.035284618454228643014, 1e-14);
        let nb = Marginal::NegativeBinomial { mean: 30.0, dispersion: 5.0 };
        assert_rel(nb.cdf(10.0), 0.051581690392872899577, 1e-14);
        // Upper tails, computed directly (BGRAT for the overdispersed case).
        let law = PoissonLaw { lambda: 30.0 };
        assert_rel(law.tails(60.0).1, 4.4846402180026798882e-7, 1e-14);
        let law = NegBinLaw::new(1e5, 50.0);
        assert_rel(law.tails(3e5).1, 7.537196099054999879e-22, 1e-13);
        assert_eq!(pois(3.0).cdf(-0.5), 0.0);
        assert_eq!(pois(3.0).cdf(f64::INFINITY), 1.0);
    }

    #[test]
    fn zero_mean_counts_are_always_zero() {
        for m in [Marginal::Poisson { mean: 0.0 }, Marginal::NegativeBinomial { mean: 0.0, dispersion: 2.0 }] {
            assert_eq!(m.validate(), Ok(()));
            for z in [-40.0, -9.0, 0.0, 9.0, 40.0] {
                assert_eq!(m.from_standard_normal(z), 0.0);
            }
            assert_eq!(m.quantile(0.999), 0.0);
            assert_eq!(m.cdf(0.0), 1.0);
            assert_eq!(m.support(), (0.0, 0.0));
            assert!(m.is_discrete());
        }
        assert_eq!(Marginal::Poisson { mean: 2.0 }.support(), (0.0, f64::INFINITY));
        assert!(!Marginal::Fixed { value: 1.0 }.is_discrete());
    }

    // ----- validation and helpers -------------------------------------------------------

    #[test]
    fn validate_names_each_bad_parameter() {
        let cases = [
            (Marginal::Normal { mean: 0.0, sd: -0.1 }, "sd must be > 0 (got -0.1)"),
            (Marginal::Normal { mean: 0.0, sd: 0.0 }, "use Fixed"),
            (Marginal::Normal { mean: f64::NAN, sd: 1.0 }, "mean must be a finite number (got NaN)"),
            (Marginal::StudentT { location: 0.0, scale: 1.0, df: 0.0 }, "df must be > 0 (got 0)"),
            (Marginal::StudentT { location: 0.0, scale: 1.0, df: 1e13 }, "use Normal instead"),
            (Marginal::StudentT { location: 0.0, scale: -2.0, df: 4.0 }, "scale must be > 0 (got -2)"),
            (
                Marginal::Triangular { min: 1.0, mode: 5.0, max: 3.0 },
                "mode must lie between min and max (got min 1, mode 5, max 3)",
            ),
            (Marginal::Pert { min: 2.0, mode: 2.0, max: 2.0 }, "min must be < max (got min 2, max 2)"),
            (Marginal::Pert { min: 0.0, mode: f64::INFINITY, max: 2.0 }, "mode must be a finite number (got inf)"),
            (Marginal::Uniform { min: 3.0, max: 1.0 }, "min must be < max (got min 3, max 1)"),
            (Marginal::Uniform { min: -1e308, max: 1e308 }, "max - min overflows"),
            (Marginal::SplitNormal { mode: 0.0, sd_low: 1.0, sd_high: 0.0 }, "sd_high must be > 0 (got 0)"),
            (Marginal::Fixed { value: f64::NAN }, "value must be a finite number"),
            (Marginal::Poisson { mean: -1.0 }, "mean must be >= 0 for a count (got -1)"),
            (Marginal::Poisson { mean: 1e9 }, "continuous marginal"),
            (Marginal::NegativeBinomial { mean: 3.0, dispersion: 0.0 }, "dispersion must be > 0 (got 0)"),
        ];
        for (m, want) in cases {
            let err = m.validate().expect_err("should be rejected");
            assert!(err.contains(want), "{m:?}: {err:?} does not contain {want:?}");
        }
        for m in all_marginals() {
            assert_eq!(m.validate(), Ok(()), "{m:?}");
        }
    }

    #[test]
    fn helper_constructors_follow_their_conventions() {
        // Bank of England: sd_low = σ/sqrt(1+γ), sd_high = σ/sqrt(1-γ).
        let m = Marginal::split_normal_from_skew(2.0, 1.0, 0.5).expect("valid");
        assert_eq!(m, Marginal::SplitNormal { mode: 2.0, sd_low: 1.0 / 1.5f64.sqrt(), sd_high: 1.0 / 0.5f64.sqrt() });
        assert!(m.mean() > 2.0, "positive skew is upside risk");
        for bad in [1.0, -1.0, 1.5, f64::NAN] {
            let err = Marginal::split_normal_from_skew(2.0, 1.0, bad).expect_err("bad skew");
            assert!(err.contains("skew must lie strictly between -1 and 1"), "{err}");
        }
        assert!(Marginal::split_normal_from_skew(2.0, 0.0, 0.1).is_err());

        let t = Marginal::student_t_from_sd(1.0, 2.0, 5.0).expect("valid");
        assert_rel(t.sd(), 2.0, 1e-15);
        assert_eq!(t.mean(), 1.0);
        let Marginal::StudentT { scale, .. } = t else { panic!("not a t") };
        assert_rel(scale, 2.0 * (3.0f64 / 5.0).sqrt(), 1e-15);
        let err = Marginal::student_t_from_sd(1.0, 2.0, 2.0).expect_err("df <= 2");
        assert!(err.contains("df must be > 2"), "{err}");
        assert!(Marginal::student_t_from_sd(1.0, -2.0, 5.0).is_err());
    }

    #[test]
    fn quantile_handles_the_ends_of_the_unit_interval() {
        for m in all_marginals() {
            let (lo, hi) = m.support();
            assert_eq!(m.quantile(0.0), lo, "{m:?}");
            assert_eq!(m.quantile(1.0), hi, "{m:?}");
            assert!(m.quantile(f64::NAN).is_nan());
            assert!(m.from_standard_normal(f64::NAN).is_nan());
            assert!(m.cdf(f64::NAN).is_nan());
        }
    }
}
