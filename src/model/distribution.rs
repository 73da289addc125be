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
//!   so the smaller tail is always computed directly and never as `1 - (something near 1)`.
//! * Student-t and PERT quantiles: safeguarded Newton iteration on `ln(tail)` against
//!   `ln(x)` (exact for the power-law tails of both), started from the Cornish–Fisher
//!   expansion of t (Abramowitz & Stegun 26.7.5) or from the tail asymptote.
//! * Poisson and negative-binomial quantiles: exact (smallest `k` with `F(k) >= p`), by a
//!   Cornish–Fisher / Wilson–Hilferty start, a bracketed Newton search on `ln F` or `ln S`
//!   with freshly computed tails, and a final walk with the pmf recurrences.
//! * Split normal: A. John (1982), "The two-piece normal"; the skew parametrization is that
//!   of Britton, Fisher & Whitley (1998), "The Inflation Report projections: understanding
//!   the fan chart", Bank of England Quarterly Bulletin.
//!
//! statrs 0.19.1 is used only for `ln_gamma`. Measured against 40-digit references, its
//! `erfc` is off by ~1e-10 relative everywhere, `StudentsT::inverse_cdf` by 2e-7 at
//! `p = 1e-19` (and by a factor 10 at `p = 0.5 + 1e-9`), and its Poisson / negative binomial
//! CDFs by ~1e-11, which is too coarse for a tail-accurate, exactly-discrete quantile map.

use statrs::function::gamma::ln_gamma;
use std::f64::consts::PI;

const EPS: f64 = f64::EPSILON;
/// `ln √(2π)`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;
/// `ln(2π)`.
const LN_2PI: f64 = 1.837_877_066_409_345_5;
/// `ln √π = ln Γ(1/2)`.
const LN_SQRT_PI: f64 = 0.572_364_942_924_700_1;
/// `1/√(2π)`.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// `√32`, Cody's switch between the middle and the asymptotic range of `Φ`.
const SQRT_32: f64 = 5.656_854_249_492_381;
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
    /// * Non-decreasing in `z` (up to the ~1e-15 relative rounding of the underlying special
    ///   functions for the continuous marginals that need an iterative inverse).
    /// * Finite for finite `z`: where the exact quantile would overflow (Student-t with very
    ///   small `df` far in the tail) it is clamped to `±f64::MAX`. Infinite `z` maps to the
    ///   ends of the support, NaN to NaN.
    /// * `Poisson` and `NegativeBinomial` return the exact quantile, an integer-valued `f64`.
    pub fn from_standard_normal(&self, z: f64) -> f64 {
        if z.is_nan() {
            return f64::NAN;
        }
        let x = match *self {
            Marginal::Normal { mean, sd } => mean + sd * z,
            Marginal::Fixed { value } => value,
            Marginal::SplitNormal {
                mode,
                sd_low,
                sd_high,
            } if sd_low == sd_high => mode + sd_low * z,
            _ => self.quantile_of(TailProb::from_z(z), z),
        };
        if z.is_finite() {
            x.clamp(-f64::MAX, f64::MAX)
        } else {
            x
        }
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
            Marginal::StudentT {
                location,
                scale,
                df,
            } => t_tails((x - location) / scale, df).0,
            Marginal::Triangular { min, mode, max } => {
                if x <= min {
                    0.0
                } else if x >= max {
                    1.0
                } else if x < mode {
                    (x - min) * (x - min) / ((max - min) * (mode - min))
                } else {
                    1.0 - (max - x) * (max - x) / ((max - min) * (max - mode))
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
                    beta_reg_pair(alpha, beta, y, w, alpha - (alpha + beta) * y).0
                }
            }
            Marginal::Uniform { min, max } => ((x - min) / (max - min)).clamp(0.0, 1.0),
            Marginal::SplitNormal {
                mode,
                sd_low,
                sd_high,
            } => {
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
            Marginal::Triangular { min, mode, max } => (min + mode + max) / 3.0,
            Marginal::Pert { min, mode, max } => (min + 4.0 * mode + max) / 6.0,
            Marginal::Uniform { min, max } => 0.5 * (min + max),
            // E = mode + sqrt(2/π) (sd_high - sd_low): each half-normal piece contributes
            // ± sd * sqrt(2/π) weighted by its probability sd_i / (sd_low + sd_high).
            Marginal::SplitNormal {
                mode,
                sd_low,
                sd_high,
            } => mode + (2.0 / PI).sqrt() * (sd_high - sd_low),
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
            Marginal::Triangular { min, mode, max } => ((min * min + mode * mode + max * max
                - min * mode
                - min * max
                - mode * max)
                / 18.0)
                .max(0.0)
                .sqrt(),
            Marginal::Pert { min, max, .. } => {
                // var = (μ - min)(max - μ) / 7 for λ = 4.
                let mu = self.mean();
                ((mu - min) * (max - mu) / 7.0).max(0.0).sqrt()
            }
            Marginal::Uniform { min, max } => (max - min) / 12.0_f64.sqrt(),
            // var = (1 - 2/π)(sd_high - sd_low)² + sd_low sd_high (John 1982).
            Marginal::SplitNormal {
                sd_low, sd_high, ..
            } => {
                let d = sd_high - sd_low;
                ((1.0 - 2.0 / PI) * d * d + sd_low * sd_high).sqrt()
            }
            Marginal::Fixed { .. } => 0.0,
            Marginal::Poisson { mean } => mean.sqrt(),
            Marginal::NegativeBinomial { mean, dispersion } => {
                (mean + mean * mean / dispersion).sqrt()
            }
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
        matches!(
            self,
            Marginal::Poisson { .. } | Marginal::NegativeBinomial { .. }
        )
    }

    /// Checks the parameters. The error names the bad parameter, shows the value and says
    /// what to do, e.g. `"sd must be > 0 (got -0.1)"`.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Marginal::Normal { mean, sd } => {
                finite("mean", mean)?;
                positive_sd("sd", sd)
            }
            Marginal::StudentT {
                location,
                scale,
                df,
            } => {
                finite("location", location)?;
                positive_sd("scale", scale)?;
                finite("df", df)?;
                if df <= 0.0 {
                    return Err(format!(
                        "df must be > 0 (got {df}); degrees of freedom of 3 to 10 give fat tails"
                    ));
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
                    return Err(format!(
                        "mode must lie between min and max (got min {min}, mode {mode}, max {max})"
                    ));
                }
                Ok(())
            }
            Marginal::Uniform { min, max } => {
                finite("min", min)?;
                finite("max", max)?;
                bounds(min, max)
            }
            Marginal::SplitNormal {
                mode,
                sd_low,
                sd_high,
            } => {
                finite("mode", mode)?;
                positive_sd("sd_low", sd_low)?;
                positive_sd("sd_high", sd_high)
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
        let m = Marginal::SplitNormal {
            mode,
            sd_low: sigma / (1.0 + skew).sqrt(),
            sd_high: sigma / (1.0 - skew).sqrt(),
        };
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
        let m = Marginal::StudentT {
            location: mean,
            scale: sd * ((df - 2.0) / df).sqrt(),
            df,
        };
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
            Marginal::StudentT {
                location,
                scale,
                df,
            } => match tail {
                TailProb::Lower(p) => location - scale * t_upper_quantile(p, df),
                TailProb::Upper(s) => location + scale * t_upper_quantile(s, df),
            },
            Marginal::Triangular { min, mode, max } => {
                let range = max - min;
                let (left, right) = (mode - min, max - mode);
                let x = match tail {
                    TailProb::Lower(p) if p * range <= left => min + (p * range * left).sqrt(),
                    TailProb::Lower(p) => max - ((1.0 - p) * range * right).sqrt(),
                    TailProb::Upper(s) if s * range <= right => max - (s * range * right).sqrt(),
                    TailProb::Upper(s) => min + ((1.0 - s) * range * left).sqrt(),
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
            Marginal::SplitNormal {
                mode,
                sd_low,
                sd_high,
            } => {
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
                count_quantile(&law, tail, law.guess(z, tail))
            }
            Marginal::NegativeBinomial { mean, dispersion } => {
                if mean == 0.0 {
                    return 0.0;
                }
                let law = NegBinLaw::new(mean, dispersion);
                count_quantile(&law, tail, law.guess(z, tail))
            }
        }
    }
}

fn finite(name: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("{name} must be a finite number (got {v})"))
    }
}

fn positive_sd(name: &str, v: f64) -> Result<(), String> {
    finite(name, v)?;
    if v > 0.0 {
        Ok(())
    } else {
        Err(format!(
            "{name} must be > 0 (got {v}); use Fixed for a shock without uncertainty"
        ))
    }
}

fn bounds(min: f64, max: f64) -> Result<(), String> {
    if min < max {
        Ok(())
    } else {
        Err(format!(
            "min must be < max (got min {min}, max {max}); use Fixed for a single value"
        ))
    }
}

fn count_mean(mean: f64) -> Result<(), String> {
    finite("mean", mean)?;
    if mean < 0.0 {
        return Err(format!("mean must be >= 0 for a count (got {mean})"));
    }
    if mean > MAX_COUNT_MEAN {
        return Err(format!(
            "mean must be <= {MAX_COUNT_MEAN:e} for a count (got {mean}); \
             model totals this large with a continuous marginal such as Normal"
        ));
    }
    Ok(())
}

/// PERT shape parameters for λ = 4.
fn pert_shape(min: f64, mode: f64, max: f64) -> (f64, f64) {
    let range = max - min;
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
        if z <= 0.0 {
            TailProb::Lower(lower)
        } else {
            TailProb::Upper(upper)
        }
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
    const B: [f64; 4] = [
        47.20258190468824187,
        976.09855173777669322,
        10260.932208618978205,
        45507.789335026729956,
    ];
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
    if z < 0.0 {
        (tail, 1.0 - tail)
    } else {
        (1.0 - tail, tail)
    }
}

/// Standard normal quantile `Φ⁻¹(p)` by Wichura (1988) AS 241 (`PPND16`), about 1e-16
/// relative. `p <= 0` gives `-∞`, `p >= 1` gives `+∞`, NaN gives NaN.
#[allow(clippy::excessive_precision)]
pub fn standard_normal_quantile(p: f64) -> f64 {
    const A: [f64; 8] = [
        3.387132872796366608,
        133.14166789178437745,
        1971.5909503065514427,
        13731.693765509461125,
        45921.953931549871457,
        67265.770927008700853,
        33430.575583588128105,
        2509.0809287301226727,
    ];
    const B: [f64; 8] = [
        1.0,
        42.313330701600911252,
        687.1870074920579083,
        5394.1960214247511077,
        21213.794301586595867,
        39307.89580009271061,
        28729.085735721942674,
        5226.495278852854561,
    ];
    const C: [f64; 8] = [
        1.42343711074968357734,
        4.6303378461565452959,
        5.7694972214606914055,
        3.64784832476320460504,
        1.27045825245236838258,
        0.24178072517745061177,
        0.0227238449892691845833,
        7.7454501427834140764e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.05319162663775882187,
        1.6763848301838038494,
        0.68976733498510000455,
        0.14810397642748007459,
        0.0151986665636164571966,
        5.475938084995344946e-4,
        1.05075007164441684324e-9,
    ];
    const E: [f64; 8] = [
        6.6579046435011037772,
        5.4637849111641143699,
        1.7848265399172913358,
        0.29656057182850489123,
        0.026532189526576123093,
        0.0012426609473880784386,
        2.71155556874348757815e-5,
        2.01033439929228813265e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        0.59983220655588793769,
        0.13692988092273580531,
        0.0148753612908506148525,
        7.868691311456132591e-4,
        1.8463183175100546818e-5,
        1.4215117583164458887e-7,
        2.04426310338993978564e-15,
    ];
    fn poly(c: &[f64; 8], x: f64) -> f64 {
        c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
    }

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
        return q * poly(&A, r) / poly(&B, r);
    }
    // r = sqrt(-ln(min(p, 1-p))); 1 - p is exact for p > 1/2.
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let mut r = (-tail.ln()).sqrt();
    let val = if r <= 5.0 {
        r -= 1.6;
        poly(&C, r) / poly(&D, r)
    } else {
        r -= 5.0;
        poly(&E, r) / poly(&F, r)
    };
    if q < 0.0 { -val } else { val }
}

// ---------------------------------------------------------------------------------------
// Loader (2000) saddle-point pieces and the regularized incomplete beta
// ---------------------------------------------------------------------------------------

/// `stirlerr(n) = ln Γ(n+1) - (n + 1/2) ln n + n - ln √(2π)`, the error of Stirling's
/// formula (Loader 2000): tabulated at half-integers up to 15, `ln Γ` below 15 otherwise,
/// and the Stirling series (coefficients B_2k / (2k(2k-1))) above 15.
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
    const S0: f64 = 1.0 / 12.0;
    const S1: f64 = 1.0 / 360.0;
    const S2: f64 = 1.0 / 1260.0;
    const S3: f64 = 1.0 / 1680.0;
    const S4: f64 = 1.0 / 1188.0;
    if n <= 15.0 {
        let twice = n + n;
        if twice == twice.floor() && twice >= 1.0 {
            // Exact index: twice is an integer in [1, 30].
            return HALVES[twice as usize];
        }
        return ln_gamma(n + 1.0) - (n + 0.5) * n.ln() + n - LN_SQRT_2PI;
    }
    let nn = n * n;
    if n > 500.0 {
        (S0 - S1 / nn) / n
    } else if n > 80.0 {
        (S0 - (S1 - S2 / nn) / nn) / n
    } else if n > 35.0 {
        (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n
    } else {
        (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n
    }
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

/// `Γ(a+b+1) / (Γ(a+1) Γ(b+1)) x^a y^b` for `a, b > 0`, `x, y > 0`, `x + y = 1`: the
/// binomial "density" of Loader (2000), with `delta = a - (a+b) x = (a+b) y - b` supplied
/// accurately by the caller.
fn binom_kernel(a: f64, b: f64, x: f64, y: f64, delta: f64) -> f64 {
    let n = a + b;
    let lc = stirlerr(n) - stirlerr(a) - stirlerr(b) - bd0(a, n * x, delta) - bd0(b, n * y, -delta);
    let lf = LN_2PI + a.ln() + (b / n).ln();
    (lc - 0.5 * lf).exp()
}

/// Continued fraction `h` with `I_x(a, b) = x^a y^b / (a B(a, b)) * h` (Abramowitz & Stegun
/// 26.5.8), by the modified Lentz method. Converges fast for `x < (a+1)/(a+b+2)`.
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const MAX_ITER: u32 = 100_000;
    let guard = |v: f64| if v.abs() < TINY { TINY } else { v };
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / guard(1.0 - qab * x / qap);
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

/// `(I_x(a, b), 1 - I_x(a, b))` for `a, b > 0`, where `y = 1 - x` and
/// `delta = a - (a+b) x` must be supplied accurately. The smaller of the two is computed
/// directly by the continued fraction; the other as its complement.
fn beta_reg_pair(a: f64, b: f64, x: f64, y: f64, delta: f64) -> (f64, f64) {
    if x.is_nan() || y.is_nan() {
        return (f64::NAN, f64::NAN);
    }
    if x <= 0.0 {
        return (0.0, 1.0);
    }
    if y <= 0.0 {
        return (1.0, 0.0);
    }
    let kernel = binom_kernel(a, b, x, y, delta);
    let n = a + b;
    if x < (a + 1.0) / (n + 2.0) {
        // x^a y^b / (a B(a,b)) = kernel * b / (a + b)
        let lower = (kernel * (b / n) * beta_cf(a, b, x)).clamp(0.0, 1.0);
        (lower, 1.0 - lower)
    } else {
        let upper = (kernel * (a / n) * beta_cf(b, a, y)).clamp(0.0, 1.0);
        (1.0 - upper, upper)
    }
}

/// Finds `x` in `[lo, hi]` with `g(x) = target` for a monotone positive `g`, given
/// `eval(x) = (g(x), g'(x))`. Newton steps are taken on `ln g` against `ln x`, which is exact
/// for power laws (the tails of the t and beta laws); a step leaving the current bracket is
/// replaced by (geometric) bisection.
fn solve_monotone(
    target: f64,
    mut lo: f64,
    mut hi: f64,
    x0: f64,
    increasing: bool,
    eval: impl Fn(f64) -> (f64, f64),
) -> f64 {
    const MAX_ITER: usize = 200;
    let bisect = |lo: f64, hi: f64| {
        if lo > 0.0 && hi > 8.0 * lo {
            (lo * hi).sqrt()
        } else {
            0.5 * (lo + hi)
        }
    };
    let ln_target = target.ln();
    let mut x = if x0 > lo && x0 < hi { x0 } else { bisect(lo, hi) };
    let mut last_step = f64::INFINITY;
    for _ in 0..MAX_ITER {
        let (g, dg) = eval(x);
        if g == target {
            return x;
        }
        if (g < target) == increasing {
            lo = x;
        } else {
            hi = x;
        }
        let mut next = f64::NAN;
        if g > 0.0 && dg != 0.0 && dg.is_finite() {
            // d ln g / d ln x = x g'(x) / g(x)
            let step = (ln_target - g.ln()) / (x * dg / g);
            if step.abs() <= 2.0 * EPS {
                return x * step.exp();
            }
            // Below 1e-13 further steps only chase the rounding noise of g.
            if step.abs() < 1e-13 && step.abs() >= 0.5 * last_step {
                return x;
            }
            last_step = step.abs();
            next = x * step.exp();
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

/// `ln B(ν/2, 1/2)`.
fn t_ln_beta(nu: f64) -> f64 {
    ln_gamma(0.5 * nu) + LN_SQRT_PI - ln_gamma(0.5 * (nu + 1.0))
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
    // Upper tail beyond |t| and the central mass P(|T| <= |t|) / 2.
    let (tail, central) = if u > 1e150 {
        // sf(u) = ν^(ν/2-1) u^-ν / B(ν/2, 1/2) (1 + O(ν u^-2)); the correction is < 1e-276.
        let ln_sf = (0.5 * nu - 1.0) * nu.ln() - nu * u.ln() - t_ln_beta(nu);
        let sf = ln_sf.exp().min(0.5);
        (sf, 0.5 - sf)
    } else {
        let t2 = u * u;
        let den = nu + t2;
        let x = nu / den;
        let y = t2 / den;
        let delta = nu * ((u - 1.0) * (u + 1.0)) / (2.0 * den);
        let (lower, upper) = beta_reg_pair(0.5 * nu, 0.5, x, y, delta);
        (0.5 * lower, 0.5 * upper)
    };
    if t > 0.0 {
        (0.5 + central, tail)
    } else {
        (tail, 0.5 + central)
    }
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
        return if q < 0.25 {
            1.0 / (PI * q).tan()
        } else {
            (PI * (0.5 - q)).tan()
        };
    }
    if nu == 2.0 {
        // sf(t) = 1/2 - t / (2 sqrt(t² + 2))  =>  t = (1 - 2q) / sqrt(2 q (1 - q)).
        return (1.0 - 2.0 * q) / (2.0 * q * (1.0 - q)).sqrt();
    }
    let ln_b = t_ln_beta(nu);
    // Since (1 + t²/ν)^(-(ν+1)/2) <= (t²/ν)^(-(ν+1)/2), sf(t) <= ν^(ν/2-1) t^-ν / B(ν/2, 1/2):
    // t_bound solves the bound and is a rigorous upper bracket, and the asymptote itself
    // when t is large, with relative error corr = ν(ν+1) / (2(ν+2) t²).
    let ln_bound = ((0.5 * nu - 1.0) * nu.ln() - ln_b - q.ln()) / nu;
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
    let a = 0.5 * nu;
    let tails = |t: f64| {
        let t2 = t * t;
        let den = nu + t2;
        let delta = nu * ((t - 1.0) * (t + 1.0)) / (2.0 * den);
        let pair = beta_reg_pair(a, 0.5, nu / den, t2 / den, delta);
        let pdf = (-0.5 * (nu + 1.0) * (t2 / nu).ln_1p() - 0.5 * nu.ln() - ln_b).exp();
        (pair, pdf)
    };
    if q < 0.25 {
        // I_x(ν/2, 1/2) = 2 sf(t): decreasing in t.
        solve_monotone(2.0 * q, 0.0, t_bound, x0, false, |t| {
            let ((lower, _), pdf) = tails(t);
            (lower, -2.0 * pdf)
        })
    } else {
        // 1 - I_x(ν/2, 1/2) = P(|T| <= t): increasing in t; 1 - 2q is exact here.
        solve_monotone(1.0 - 2.0 * q, 0.0, t_bound, x0, true, |t| {
            let ((_, upper), pdf) = tails(t);
            (upper, 2.0 * pdf)
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
    let ln_beta = ln_gamma(a) + ln_gamma(b) - ln_gamma(a + b);
    // For b >= 1 the density is <= x^(a-1) / B(a, b), so I_x(a, b) <= x^a / (a B(a, b)):
    // the root of that bound is a lower bracket, and the root itself as x -> 0.
    let x_low = ((p.ln() + a.ln() + ln_beta) / a).exp().min(1.0);
    let lo = if b >= 1.0 { x_low } else { 0.0 };
    solve_monotone(p, lo, 1.0, x_low, true, |x| {
        let y = 1.0 - x;
        let (lower, _) = beta_reg_pair(a, b, x, y, a - (a + b) * x);
        let pdf = ((a - 1.0) * x.ln() + (b - 1.0) * (-x).ln_1p() - ln_beta).exp();
        (lower, pdf)
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
        if k == 0.0 {
            return (-self.lambda).exp();
        }
        // Loader (2000): exp(-stirlerr(k) - bd0(k, λ)) / sqrt(2π k).
        (-stirlerr(k) - bd0(k, self.lambda, k - self.lambda)).exp() / (2.0 * PI * k).sqrt()
    }

    fn ratio_up(&self, k: f64) -> f64 {
        self.lambda / (k + 1.0)
    }

    fn ratio_down(&self, k: f64) -> f64 {
        k / self.lambda
    }

    fn tails(&self, k: f64) -> (f64, f64) {
        let lambda = self.lambda;
        // The median is within [λ - ln 2, λ + 1/3]: below λ - 1/2 the lower tail is the
        // smaller one (or not much larger), above it the upper tail.
        if k < lambda - 0.5 {
            // Sum pmf(j) downward from j = k; the ratio j/λ < 1 shrinks as j falls, so the
            // rest after a term t with ratio r is below t r / (1 - r).
            let mut term = self.pmf(k);
            let mut sum = term;
            let mut j = k;
            while j > 0.0 {
                let r = j / lambda;
                term *= r;
                sum += term;
                j -= 1.0;
                if term * r <= 0.25 * EPS * sum * (1.0 - r) {
                    break;
                }
            }
            let f = sum.min(1.0);
            (f, 1.0 - f)
        } else {
            // Sum pmf(j) upward from j = k + 1; the ratio λ/(j+1) < 1 (as k + 2 > λ) shrinks
            // as j grows.
            let mut j = k + 1.0;
            let mut term = self.pmf(j);
            let mut sum = term;
            loop {
                let r = lambda / (j + 1.0);
                term *= r;
                sum += term;
                j += 1.0;
                if term * r <= 0.25 * EPS * sum * (1.0 - r) || term == 0.0 {
                    break;
                }
            }
            let s = sum.min(1.0);
            (1.0 - s, s)
        }
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
        NegBinLaw {
            mean,
            r: dispersion,
            p: dispersion / total,
            q: mean / total,
        }
    }

    /// Wilson–Hilferty (Pearson type III) start `μ + σ (2/γ)((1 + γz/6 - γ²/36)³ - 1)`
    /// with skewness `γ = (1 + q)/sqrt(r q)`.
    fn guess(&self, z: f64, tail: TailProb) -> f64 {
        let z = if z.is_finite() { z } else { tail_score(tail) };
        let sigma = (self.mean + self.mean * self.mean / self.r).sqrt();
        let gamma = (1.0 + self.q) / (self.r * self.q).sqrt();
        let w = 1.0 + gamma * z / 6.0 - gamma * gamma / 36.0;
        let k = self.mean + sigma * (2.0 / gamma) * (w * w * w - 1.0);
        if k.is_finite() {
            k.round().clamp(0.0, MAX_COUNT)
        } else {
            self.mean.round()
        }
    }
}

impl CountLaw for NegBinLaw {
    fn pmf(&self, k: f64) -> f64 {
        if k == 0.0 {
            // p^r = exp(-r ln(1 + mean/r))
            return (-self.r * (self.mean / self.r).ln_1p()).exp();
        }
        // Γ(k+r)/(Γ(r) k!) p^r q^k = r/(r+k) * binom_kernel(r, k, p, q), with
        // r - (r+k) p = (mean - k) p exactly.
        self.r / (self.r + k) * binom_kernel(self.r, k, self.p, self.q, (self.mean - k) * self.p)
    }

    fn ratio_up(&self, k: f64) -> f64 {
        (k + self.r) / (k + 1.0) * self.q
    }

    fn ratio_down(&self, k: f64) -> f64 {
        k / ((k - 1.0 + self.r) * self.q)
    }

    fn tails(&self, k: f64) -> (f64, f64) {
        // F(k) = I_p(r, k+1), with r - (r+k+1) p = (mean - k - 1) p.
        beta_reg_pair(self.r, k + 1.0, self.p, self.q, (self.mean - k - 1.0) * self.p)
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
/// The tail that is compared is always the one in which the target is small, and it is only
/// ever extended by *adding* pmf terms or recomputed from scratch, never reduced by
/// subtracting a large part of it, so the comparison keeps full relative accuracy.
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
        let slope = if lower {
            -(-pmf / v).ln_1p()
        } else {
            -(pmf / v).ln_1p()
        };
        let step = (target.ln() - v.ln()) / slope;
        if step.is_finite() && step.abs() <= WALK {
            match walk(law, &ok, lower, k, v, pmf, lo, hi, WALK as usize) {
                Ok(answer) => return answer,
                // WALK steps without crossing: evaluate afresh where the walk stopped.
                Err(reached) => {
                    k = reached;
                    continue;
                }
            }
        }
        let mut next = if step.is_finite() {
            (k + step).round()
        } else {
            f64::NAN
        };
        if !(next > lo && next < hi) || next == k {
            next = if hi.is_infinite() {
                (2.0 * k + WALK).min(MAX_COUNT)
            } else {
                (0.5 * (lo + hi)).floor()
            };
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
