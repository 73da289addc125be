//! The validated model the engine runs: indicators with their yearly processes, the correlation
//! of their shocks, derived expressions resolved to indices, and targets as metrics with a test.
//!
//! Built once by [`build::build`] from a scenario file; every cross-reference and range has been
//! checked there, so the engine can index without checks. Free of serde on purpose: this is an
//! internal type, not a file format.

pub mod build;
pub mod correlation;
pub mod distribution;
pub mod expr;
mod restrict;
pub mod validate;
pub mod warnings;

pub use distribution::Marginal;
pub use expr::Expr;

/// A scenario ready to simulate.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub title: String,
    /// The English title (`title_en`), empty when not given.
    pub title_en: String,
    /// English names of regions (`[regions]`), by the region name used in the file.
    pub region_en: std::collections::BTreeMap<String, String>,
    /// Located warnings from the loader (rendered with file, line and column): likely unit slips,
    /// targets already met in the base year, targets out of reach of the assumptions.
    pub warnings: Vec<String>,
    pub notes: String,
    pub base_year: i32,
    pub end_year: i32,
    pub default_paths: u64,
    pub default_seed: u64,
    /// SHA-256 of the scenario text(s), recorded in every output.
    pub hash: String,
    pub indicators: Vec<Indicator>,
    /// Indices of indicators with a yearly random shock, in declaration order.
    ///
    /// The shock structure (this, `cholesky`, `correlation`, `derived_order`) is private to the
    /// crate: only the builder, `restricted` and the analysis variants (`with_value`, through the
    /// gate of `validate.rs`) set it; read it through the methods of the same names.
    pub(crate) stochastic: Vec<usize>,
    /// Lower Cholesky factor (row-major, `stochastic.len()²`) of the shock correlation, or `None`
    /// when the shocks are independent.
    pub(crate) cholesky: Option<Vec<f64>>,
    /// The correlation matrix itself (row-major, `stochastic.len()²`) when shocks are correlated;
    /// kept so that analyses can change one correlation and refactor.
    pub(crate) correlation: Option<Vec<f64>>,
    /// What the repair of an invalid correlation matrix changed, when it was asked for.
    pub correlation_repair: Option<CorrelationRepair>,
    /// Derived indicators in an order where each comes after everything it reads.
    pub(crate) derived_order: Vec<usize>,
    pub targets: Vec<Target>,
    pub not_modelled: Vec<NotModelled>,
    /// Target regions in order of first appearance.
    pub regions: Vec<String>,
}

impl Model {
    /// Number of years held per path: the base year plus the projection years.
    pub fn n_years(&self) -> usize {
        (self.end_year - self.base_year) as usize + 1
    }

    /// The projection years (base year excluded).
    pub fn projection_years(&self) -> std::ops::RangeInclusive<i32> {
        self.base_year + 1..=self.end_year
    }

    /// Indices of indicators with a yearly random shock, in declaration order.
    pub fn stochastic(&self) -> &[usize] {
        &self.stochastic
    }

    /// Lower Cholesky factor (row-major, `stochastic().len()²`) of the shock correlation, or
    /// `None` when the shocks are independent.
    pub fn cholesky(&self) -> Option<&[f64]> {
        self.cholesky.as_deref()
    }

    /// The shock correlation matrix (row-major), when shocks are correlated.
    pub fn correlation(&self) -> Option<&[f64]> {
        self.correlation.as_deref()
    }

    /// Derived indicators in an order where each comes after everything it reads.
    pub fn derived_order(&self) -> &[usize] {
        &self.derived_order
    }

    pub fn indicator_index(&self, id: &str) -> Option<usize> {
        self.indicators.iter().position(|i| i.id == id)
    }
}

#[derive(Debug, Clone)]
pub struct Indicator {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub unit: String,
    pub region: String,
    pub note: String,
    pub base: Base,
    pub process: Process,
    /// Published values up to the base year (scenario `history`), year → value; empty when the
    /// scenario gives none. Not simulated: charts draw it before the fan.
    pub history: std::collections::BTreeMap<i32, f64>,
    /// Where `history` comes from (empty when there is none).
    pub history_source: String,
    /// Key of this indicator's random streams: a hash of its id, so that adding or reordering
    /// indicators leaves every other indicator's draws unchanged.
    pub stream_key: u64,
}

impl Indicator {
    pub fn kind_name(&self) -> &'static str {
        validate::Kind::of(&self.process).name()
    }
}

/// The base-year value.
#[derive(Debug, Clone)]
pub enum Base {
    /// A statistic, with its source.
    Known { value: f64, source: String },
    /// No statistic: an assumption, drawn once per path.
    Uncertain { marginal: Marginal, assumption: String },
    /// Derived indicators compute their base-year value from their expression.
    Derived,
}

/// How an indicator moves from one year to the next.
#[derive(Debug, Clone)]
pub enum Process {
    /// `X_t = X_{t-1}·(1 + g_t/100)` (simple) or `X_{t-1}·exp(g_t/100)` (log); `growth[t-1]` is the
    /// distribution of `g_t` in percent.
    Level { growth: Vec<Marginal>, compounding: Compounding, persistence: f64 },
    /// `X_t = clamp(X_{t-1} + d_t, lower, upper)`, `d_t` in percentage points.
    Rate { change: Vec<Marginal>, lower: f64, upper: f64, persistence: f64 },
    /// `X_t = X_{t-1} + N_t` with integer additions `N_t`.
    Count { additions: Vec<Marginal>, persistence: f64 },
    /// An expression over other indicators in the same year.
    Derived { expr: Expr },
}

impl Process {
    /// The yearly marginals and AR(1) coefficient of a process with a random shock.
    pub fn shock(&self) -> Option<(&[Marginal], f64)> {
        match self {
            Process::Level { growth, persistence, .. } => Some((growth, *persistence)),
            Process::Rate { change, persistence, .. } => Some((change, *persistence)),
            Process::Count { additions, persistence } => Some((additions, *persistence)),
            Process::Derived { .. } => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compounding {
    Simple,
    Log,
}

#[derive(Debug, Clone)]
pub struct CorrelationRepair {
    pub max_abs_change: f64,
    pub max_change_between: (String, String),
    pub frobenius_change: f64,
}

/// A plan target: a metric of the simulated paths and a test it must pass.
#[derive(Debug, Clone)]
pub struct Target {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub section: String,
    pub region: String,
    pub wording: String,
    pub note: String,
    pub unit: String,
    pub metric: Metric,
    /// For relative targets: the tested quantity is `metric − versus`.
    pub versus: Option<Metric>,
    pub comparator: Comparator,
    pub threshold: f64,
}

impl Target {
    /// The tested quantity is a minimum over years (every-year targets with `>`/`>=`) or a maximum.
    pub fn reduce_by_min(&self) -> bool {
        matches!(self.comparator, Comparator::Ge | Comparator::Gt)
    }

    /// Whether the tested quantity can only be a whole number: a count's value or change, a rank,
    /// or the difference of two such quantities.
    pub fn integer_valued(&self, model: &Model) -> bool {
        self.metric.integer_valued(model) && self.versus.as_ref().is_none_or(|v| v.integer_valued(model))
    }

    /// The bounds `[lower, upper]` the tested quantity is clamped to, when it is the value of a
    /// bounded rate (so it may sit exactly on a bound on many paths).
    pub fn bounds(&self, model: &Model) -> Option<[f64; 2]> {
        match (&self.metric, &self.versus) {
            (Metric::Value { indicator, .. }, None) => match model.indicators[*indicator].process {
                Process::Rate { lower, upper, .. } => Some([lower, upper]),
                _ => None,
            },
            _ => None,
        }
    }

    /// What is tested in words for a reader, with indicator labels instead of ids, in Chinese
    /// (`zh`) or English: e.g. "沈阳市地区生产总值（现价） 2021–2024年年均增速". Every-year
    /// metrics name the year that decides (the weakest for `>=`/`>`, the strongest otherwise).
    pub fn label(&self, model: &Model, zh: bool) -> String {
        let main = self.metric.label(model, zh, self.reduce_by_min());
        match &self.versus {
            Some(v) => format!("{main} − {}", v.label(model, zh, self.reduce_by_min())),
            None => main,
        }
    }

    /// Plain-words description of what is tested, e.g. "CAGR of shenyang.gdp_real 2021–2024 (%)".
    pub fn describe(&self, model: &Model) -> String {
        let main = self.metric.describe(model);
        match &self.versus {
            Some(v) => format!("{main} − {}", v.describe(model)),
            None => main,
        }
    }
}

/// What is measured on a path. Years are stored as indices into the path (0 = base year).
#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    Value { indicator: usize, year: usize },
    Share { numerator: usize, denominator: usize, year: usize },
    Cagr { indicator: usize, from: usize, to: usize },
    GrowthEveryYear { indicator: usize, from: usize, to: usize },
    CumulativeGrowth { indicator: usize, from: usize, to: usize },
    Change { indicator: usize, from: usize, to: usize },
    ChangeEveryYear { indicator: usize, from: usize, to: usize },
    Rank { indicator: usize, year: usize, competitors: Vec<usize> },
}

impl Metric {
    /// The metric names accepted in scenario files.
    pub const NAMES: [&'static str; 8] =
        ["value", "share", "cagr", "growth_every_year", "cumulative_growth", "change", "change_every_year", "rank"];

    /// Whether the metric yields one value per year (tested in every year of its span).
    pub fn is_every_year(&self) -> bool {
        matches!(self, Metric::GrowthEveryYear { .. } | Metric::ChangeEveryYear { .. })
    }

    /// Whether the metric can only be a whole number: the value or change of a count, or a rank.
    pub fn integer_valued(&self, model: &Model) -> bool {
        match self {
            Metric::Value { indicator, .. }
            | Metric::Change { indicator, .. }
            | Metric::ChangeEveryYear { indicator, .. } => {
                matches!(model.indicators[*indicator].process, Process::Count { .. })
            }
            Metric::Rank { .. } => true,
            _ => false,
        }
    }

    /// The metric in words with indicator labels (see [`Target::label`]); `by_min`: an every-year
    /// metric is decided by its lowest year.
    pub fn label(&self, model: &Model, zh: bool, by_min: bool) -> String {
        let name = |i: &usize| {
            let ind = &model.indicators[*i];
            let label = if zh { &ind.label_zh } else { &ind.label_en };
            if label.trim().is_empty() { ind.id.clone() } else { label.trim().to_string() }
        };
        let year = |y: &usize| model.base_year + *y as i32;
        let decisive = match (zh, by_min) {
            (true, true) => "最低一年",
            (true, false) => "最高一年",
            (false, true) => "weakest year",
            (false, false) => "strongest year",
        };
        match (self, zh) {
            (Metric::Value { indicator, year: y }, true) => format!("{} {}年", name(indicator), year(y)),
            (Metric::Value { indicator, year: y }, false) => format!("{} in {}", name(indicator), year(y)),
            (Metric::Share { numerator, denominator, year: y }, true) => {
                format!("{}占{}的比重 {}年", name(numerator), name(denominator), year(y))
            }
            (Metric::Share { numerator, denominator, year: y }, false) => {
                format!("{} as a share of {} in {}", name(numerator), name(denominator), year(y))
            }
            (Metric::Cagr { indicator, from, to }, true) => {
                format!("{} {}–{}年年均增速", name(indicator), year(from), year(to))
            }
            (Metric::Cagr { indicator, from, to }, false) => {
                format!("Average annual growth of {}, {}–{}", name(indicator), year(from), year(to))
            }
            (Metric::GrowthEveryYear { indicator, from, to }, true) => {
                format!("{} {}–{}年逐年增速（{decisive}）", name(indicator), year(from) + 1, year(to))
            }
            (Metric::GrowthEveryYear { indicator, from, to }, false) => {
                format!("Yearly growth of {}, {}–{} ({decisive})", name(indicator), year(from) + 1, year(to))
            }
            (Metric::CumulativeGrowth { indicator, from, to }, true) => {
                format!("{} {}–{}年累计增长", name(indicator), year(from), year(to))
            }
            (Metric::CumulativeGrowth { indicator, from, to }, false) => {
                format!("Cumulative growth of {}, {}–{}", name(indicator), year(from), year(to))
            }
            (Metric::Change { indicator, from, to }, true) => {
                format!("{} {}–{}年变化", name(indicator), year(from), year(to))
            }
            (Metric::Change { indicator, from, to }, false) => {
                format!("Change in {}, {}–{}", name(indicator), year(from), year(to))
            }
            (Metric::ChangeEveryYear { indicator, from, to }, true) => {
                format!("{} {}–{}年逐年变化（{decisive}）", name(indicator), year(from) + 1, year(to))
            }
            (Metric::ChangeEveryYear { indicator, from, to }, false) => {
                format!("Yearly change in {}, {}–{} ({decisive})", name(indicator), year(from) + 1, year(to))
            }
            (Metric::Rank { indicator, year: y, competitors }, true) => {
                format!("{}在{}个中的名次 {}年", name(indicator), competitors.len() + 1, year(y))
            }
            (Metric::Rank { indicator, year: y, competitors }, false) => {
                format!("Rank of {} among {} in {}", name(indicator), competitors.len() + 1, year(y))
            }
        }
    }

    /// Natural unit of the metric, given the unit of its indicator.
    pub fn unit(&self, model: &Model) -> String {
        match self {
            Metric::Value { indicator, .. }
            | Metric::Change { indicator, .. }
            | Metric::ChangeEveryYear { indicator, .. } => model.indicators[*indicator].unit.clone(),
            Metric::Share { .. } | Metric::CumulativeGrowth { .. } => "%".into(),
            Metric::Cagr { .. } | Metric::GrowthEveryYear { .. } => "%/yr".into(),
            Metric::Rank { .. } => "rank".into(),
        }
    }

    pub fn describe(&self, model: &Model) -> String {
        let id = |i: &usize| model.indicators[*i].id.as_str();
        let year = |y: &usize| model.base_year + *y as i32;
        match self {
            Metric::Value { indicator, year: y } => format!("{} in {}", id(indicator), year(y)),
            Metric::Share { numerator, denominator, year: y } => {
                format!("100·{}/{} in {}", id(numerator), id(denominator), year(y))
            }
            Metric::Cagr { indicator, from, to } => {
                format!("average annual growth of {} {}–{}", id(indicator), year(from), year(to))
            }
            Metric::GrowthEveryYear { indicator, from, to } => {
                format!("growth of {} in every year {}–{}", id(indicator), year(from) + 1, year(to))
            }
            Metric::CumulativeGrowth { indicator, from, to } => {
                format!("cumulative growth of {} {}–{}", id(indicator), year(from), year(to))
            }
            Metric::Change { indicator, from, to } => {
                format!("change in {} {}–{}", id(indicator), year(from), year(to))
            }
            Metric::ChangeEveryYear { indicator, from, to } => {
                format!("yearly change in {} in every year {}–{}", id(indicator), year(from) + 1, year(to))
            }
            Metric::Rank { indicator, year: y, competitors } => {
                format!("rank of {} among {} in {}", id(indicator), competitors.len() + 1, year(y))
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Ge,
    Gt,
    Le,
    Lt,
}

impl Comparator {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            ">=" | "≥" => Some(Comparator::Ge),
            ">" => Some(Comparator::Gt),
            "<=" | "≤" => Some(Comparator::Le),
            "<" => Some(Comparator::Lt),
            _ => None,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Ge => "≥",
            Comparator::Gt => ">",
            Comparator::Le => "≤",
            Comparator::Lt => "<",
        }
    }

    pub fn ascii(self) -> &'static str {
        match self {
            Comparator::Ge => ">=",
            Comparator::Gt => ">",
            Comparator::Le => "<=",
            Comparator::Lt => "<",
        }
    }

    /// Whether `value` passes against `threshold`. NaN never passes.
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparator::Ge => value >= threshold,
            Comparator::Gt => value > threshold,
            Comparator::Le => value <= threshold,
            Comparator::Lt => value < threshold,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NotModelled {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub reason: String,
}
