//! The one gate every simulated model passes: the validity rules of an indicator's base, yearly
//! shocks, persistence and bounds, and of the shock correlations.
//!
//! `model::build` calls these functions on what the file says (and locates each refusal in the
//! file); every other maker of a model — a variant of an analysis (`analysis::params::with_value`:
//! sweep grid values, solve brackets, sensitivity shifts), `fit`'s proposal — calls the same
//! functions, or [`Model::validate`] on the whole result, so nothing the engine simulates has
//! been refused by `feasim check`, whoever built it.

use super::{Base, Compounding, Indicator, Marginal, Model, Process};
use crate::numbers::shown;

/// Probability (per year) below which a tail event — growth of −100% or worse, a non-positive
/// uncertain base level — is accepted as negligible. Such a draw, if it happens, floors the level
/// at zero, and targets whose growth then cannot be computed report the path as invalid.
pub const NEGLIGIBLE: f64 = 1e-6;

/// The kind of an indicator, parsed once from the file's `kind = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Level,
    Rate,
    Count,
    Derived,
}

impl Kind {
    pub const ALL: [Kind; 4] = [Kind::Level, Kind::Rate, Kind::Count, Kind::Derived];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Level => "level",
            Kind::Rate => "rate",
            Kind::Count => "count",
            Kind::Derived => "derived",
        }
    }

    /// The kind called `name` in a scenario file; `None` for any other name (never a guess).
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind of a built process.
    pub fn of(process: &Process) -> Kind {
        match process {
            Process::Level { .. } => Kind::Level,
            Process::Rate { .. } => Kind::Rate,
            Process::Count { .. } => Kind::Count,
            Process::Derived { .. } => Kind::Derived,
        }
    }
}

/// A distribution family, parsed once from the file's `dist = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Normal,
    StudentT,
    Triangular,
    Pert,
    Uniform,
    SplitNormal,
    Fixed,
    Poisson,
    NegativeBinomial,
}

impl Family {
    pub const ALL: [Family; 9] = [
        Family::Normal,
        Family::StudentT,
        Family::Triangular,
        Family::Pert,
        Family::Uniform,
        Family::SplitNormal,
        Family::Fixed,
        Family::Poisson,
        Family::NegativeBinomial,
    ];
    /// Families of continuous quantities (growth, changes, bases of levels and rates).
    pub const CONTINUOUS: [Family; 7] = [
        Family::Normal,
        Family::StudentT,
        Family::Triangular,
        Family::Pert,
        Family::Uniform,
        Family::SplitNormal,
        Family::Fixed,
    ];
    /// Families of a count's yearly additions.
    pub const ADDITIONS: [Family; 3] = [Family::Poisson, Family::NegativeBinomial, Family::Fixed];

    /// The name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            Family::Normal => "normal",
            Family::StudentT => "student_t",
            Family::Triangular => "triangular",
            Family::Pert => "pert",
            Family::Uniform => "uniform",
            Family::SplitNormal => "split_normal",
            Family::Fixed => "fixed",
            Family::Poisson => "poisson",
            Family::NegativeBinomial => "negbin",
        }
    }

    /// The family called `name` in a scenario file; `None` for any other name (never a guess).
    pub fn parse(name: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.name() == name)
    }

    /// The family of a built marginal.
    pub fn of(m: &Marginal) -> Family {
        match m {
            Marginal::Normal { .. } => Family::Normal,
            Marginal::StudentT { .. } => Family::StudentT,
            Marginal::Triangular { .. } => Family::Triangular,
            Marginal::Pert { .. } => Family::Pert,
            Marginal::Uniform { .. } => Family::Uniform,
            Marginal::SplitNormal { .. } => Family::SplitNormal,
            Marginal::Fixed { .. } => Family::Fixed,
            Marginal::Poisson { .. } => Family::Poisson,
            Marginal::NegativeBinomial { .. } => Family::NegativeBinomial,
        }
    }

    /// The parameters a file may give this family.
    pub fn parameters(self) -> &'static [&'static str] {
        match self {
            Family::Normal => &["mean", "sd"],
            Family::StudentT => &["mean", "sd", "df"],
            Family::Triangular | Family::Pert => &["min", "mode", "max"],
            Family::Uniform => &["min", "max"],
            Family::SplitNormal => &["mode", "sd", "skew", "sd_low", "sd_high"],
            Family::Fixed => &["value"],
            Family::Poisson => &["mean"],
            Family::NegativeBinomial => &["mean", "dispersion"],
        }
    }
}

/// Names of a list of families, for messages.
pub fn family_names(families: &[Family]) -> Vec<&'static str> {
    families.iter().map(|f| f.name()).collect()
}

/// What a distribution is used for; each use accepts different families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Growth,
    Change,
    Additions,
    Base,
    CountBase,
}

impl Use {
    pub fn families(self) -> &'static [Family] {
        match self {
            Use::Growth | Use::Change | Use::Base => &Family::CONTINUOUS,
            Use::Additions => &Family::ADDITIONS,
            Use::CountBase => &Family::ALL,
        }
    }

    /// The use of the yearly shocks of a process (`None` for derived indicators).
    pub fn of_shock(kind: Kind) -> Option<Use> {
        match kind {
            Kind::Level => Some(Use::Growth),
            Kind::Rate => Some(Use::Change),
            Kind::Count => Some(Use::Additions),
            Kind::Derived => None,
        }
    }
}

/// Why a value is refused, and what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub message: String,
    pub help: Option<String>,
}

impl Refusal {
    fn new(message: impl Into<String>) -> Self {
        Refusal { message: message.into(), help: None }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.help {
            Some(help) => write!(f, "{} ({help})", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// A distribution for `use_`: a family the use accepts, valid parameters, and for additions a
/// fixed value that is a whole number ≥ 0. `what` names it in messages ("growth of \"x\"").
pub fn marginal(m: &Marginal, use_: Use, what: &str) -> Result<(), Refusal> {
    let family = Family::of(m);
    if !use_.families().contains(&family) {
        return Err(Refusal::new(format!("a {} distribution cannot be used for {what}", family.name()))
            .help(format!("use one of {}", family_names(use_.families()).join(", "))));
    }
    m.validate().map_err(|message| Refusal::new(format!("{what}: {message}")))?;
    if use_ == Use::Additions
        && let Marginal::Fixed { value } = *m
        && (value < 0.0 || value.fract() != 0.0)
    {
        return Err(Refusal::new(format!(
            "{what}: a fixed number of additions must be a whole number ≥ 0 (got {})",
            shown(value)
        )));
    }
    Ok(())
}

/// Simple compounding cannot take a growth of −100% or less: refused when a year's growth
/// distribution puts more than [`NEGLIGIBLE`] probability there.
pub fn growth_floor(m: &Marginal, year: i32) -> Result<(), Refusal> {
    let p = m.cdf(-100.0);
    if p > NEGLIGIBLE || p.is_nan() {
        return Err(Refusal::new(format!(
            "in {year} this growth distribution puts probability {p:.2e} on a fall of 100% or more"
        ))
        .help("narrow the spread, bound it (triangular/pert/uniform with min > -100), or use compounding = \"log\""));
    }
    Ok(())
}

/// The AR(1) coefficient of the yearly shocks.
pub fn persistence(p: f64) -> Result<(), Refusal> {
    if p.is_finite() && p > -1.0 && p < 1.0 {
        return Ok(());
    }
    Err(Refusal::new(format!("persistence must lie strictly between -1 and 1 (got {})", shown(p))).help(
        "it is the AR(1) coefficient of the yearly shocks: 0 = independent years, 0.5 = half of a shock carries over",
    ))
}

/// A rate's bounds.
pub fn bounds(lower: f64, upper: f64) -> Result<(), Refusal> {
    if lower.is_finite() && upper.is_finite() && lower < upper {
        return Ok(());
    }
    Err(Refusal::new("bounds must be two finite numbers [lower, upper] with lower < upper")
        .help("e.g. bounds = [0, 100] for a share in percent"))
}

/// A published base-year value of an indicator of `kind` (`bounds`: a rate's bounds).
pub fn known_base(kind: Kind, value: f64, rate_bounds: Option<(f64, f64)>) -> Result<(), Refusal> {
    if !value.is_finite() {
        return Err(Refusal::new("base must be a finite number"));
    }
    match kind {
        Kind::Level if value <= 0.0 => {
            Err(Refusal::new(format!("a level with growth needs a positive base (got {})", shown(value))).help(
                "growth rates compound a positive level; model quantities that can be negative as kind = \"rate\"",
            ))
        }
        Kind::Count if value < 0.0 || value.fract() != 0.0 => Err(Refusal::new(format!(
            "a count's base must be a whole number of things, 0 or more (got {})",
            shown(value)
        ))),
        Kind::Rate => match rate_bounds {
            Some((lower, upper)) if !(lower..=upper).contains(&value) => Err(Refusal::new(format!(
                "base {} is outside the bounds [{}, {}]",
                shown(value),
                shown(lower),
                shown(upper)
            ))
            .help("a rate or share in percent lies between 0 and 100; set `bounds` if yours differs")),
            _ => Ok(()),
        },
        Kind::Level | Kind::Count | Kind::Derived => Ok(()),
    }
}

/// An uncertain base-year value (`base_dist`) of an indicator of `kind`.
pub fn uncertain_base(kind: Kind, m: &Marginal, what: &str) -> Result<(), Refusal> {
    let use_ = if kind == Kind::Count { Use::CountBase } else { Use::Base };
    marginal(m, use_, what)?;
    if kind == Kind::Level {
        let (low, _) = m.support();
        let p = m.cdf(0.0);
        if low <= 0.0 && (p > NEGLIGIBLE || p.is_nan()) {
            return Err(Refusal::new(format!(
                "this base distribution gives a zero or negative level with probability {p:.2e}"
            ))
            .help("a level must stay positive: use a triangular/pert/uniform range above 0 or a narrower spread"));
        }
    }
    Ok(())
}

/// Every rule of one built indicator (`base_year`: the first projection year is `base_year + 1`).
pub fn indicator(ind: &Indicator, base_year: i32) -> Result<(), Refusal> {
    let kind = Kind::of(&ind.process);
    let id = &ind.id;
    let rate_bounds = match ind.process {
        Process::Rate { lower, upper, .. } => {
            bounds(lower, upper).map_err(|r| prefixed(id, r))?;
            Some((lower, upper))
        }
        _ => None,
    };
    match &ind.base {
        Base::Known { value, .. } => known_base(kind, *value, rate_bounds).map_err(|r| prefixed(id, r))?,
        Base::Uncertain { marginal, .. } => {
            uncertain_base(kind, marginal, &format!("uncertain base of \"{id}\""))?;
        }
        Base::Derived if kind != Kind::Derived => {
            return Err(Refusal::new(format!("indicator \"{id}\" has no base-year value")));
        }
        Base::Derived => {}
    }
    if let (Some((shocks, p)), Some(use_)) = (ind.process.shock(), Use::of_shock(kind)) {
        persistence(p).map_err(|r| prefixed(id, r))?;
        let field = match use_ {
            Use::Growth => "growth",
            Use::Change => "change",
            _ => "additions",
        };
        for (k, m) in shocks.iter().enumerate() {
            let year = base_year + 1 + k as i32;
            marginal(m, use_, &format!("{field} of \"{id}\" in {year}"))?;
            if let Process::Level { compounding: Compounding::Simple, .. } = ind.process {
                growth_floor(m, year).map_err(|r| prefixed(id, r))?;
            }
        }
    }
    Ok(())
}

fn prefixed(id: &str, r: Refusal) -> Refusal {
    Refusal { message: format!("indicator \"{id}\": {}", r.message), help: r.help }
}

impl Model {
    /// Whether this model passes every rule `feasim check` applies to indicators and
    /// correlations: what every analysis calls on the variants it builds before simulating them.
    pub fn validate(&self) -> Result<(), Refusal> {
        for ind in &self.indicators {
            indicator(ind, self.base_year)?;
        }
        let n = self.stochastic.len();
        match (&self.correlation, &self.cholesky) {
            (None, None) => {}
            (Some(matrix), Some(factor)) if matrix.len() == n * n && factor.len() == n * n => {
                for a in 0..n {
                    let diagonal = matrix[a * n + a];
                    // A correlation of exactly ±1 makes the factor's diagonal 0: valid.
                    if diagonal != 1.0 || !factor[a * n + a].is_finite() || factor[a * n + a] < 0.0 {
                        return Err(Refusal::new(format!(
                            "the correlation matrix is not valid at \"{}\"",
                            self.indicators[self.stochastic[a]].id
                        )));
                    }
                    for b in 0..a {
                        let rho = matrix[a * n + b];
                        if !(-1.0..=1.0).contains(&rho) || rho != matrix[b * n + a] {
                            return Err(Refusal::new(format!(
                                "the correlation of \"{}\" and \"{}\" must lie between -1 and 1 (got {})",
                                self.indicators[self.stochastic[a]].id,
                                self.indicators[self.stochastic[b]].id,
                                shown(rho)
                            )));
                        }
                    }
                }
            }
            _ => return Err(Refusal::new("the correlation matrix and its Cholesky factor do not match the shocks")),
        }
        Ok(())
    }
}
