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
    /// The threshold as written: the lower end of a `between`, the centre of an `about`, `n` (all
    /// conditions) for a joint target.
    pub threshold: f64,
    /// The interval that passes a two-sided test (`==`, `between`, `about`), both ends included.
    pub range: Option<[f64; 2]>,
}

impl Target {
    /// The target's test of its tested quantity.
    #[inline]
    pub fn test(&self) -> Test {
        Test { comparator: self.comparator, threshold: self.threshold, range: self.range }
    }

    /// Whether tested quantity `value` hits the target (finite and passing the test).
    #[inline]
    pub fn hit(&self, value: f64) -> bool {
        self.test().hit(value)
    }

    /// The tested quantity is a minimum over years (every-year targets with `>`/`>=`) or a maximum.
    pub fn reduce_by_min(&self) -> bool {
        self.test().reduce_by_min()
    }

    /// Every simulated (indicator, year index) the target reads, `versus` included (see
    /// [`Metric::reads`]).
    pub fn reads(&self) -> Vec<(usize, usize)> {
        let mut out = self.metric.reads();
        if let Some(v) = &self.versus {
            out.extend(v.reads());
        }
        out
    }

    /// The indicators the target reads directly, each once.
    pub fn indicators(&self) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for (i, _) in self.reads() {
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
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
            (Metric::Value { indicator, .. } | Metric::ValueEveryYear { indicator, .. }, None) => {
                match model.indicators[*indicator].process {
                    Process::Rate { lower, upper, .. } => Some([lower, upper]),
                    _ => None,
                }
            }
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
    Value {
        indicator: usize,
        year: usize,
    },
    /// The value in every year `from..=to` (稳定在/保持在…以上): tested as its lowest year for
    /// `>=`/`>`, its highest for `<=`/`<`.
    ValueEveryYear {
        indicator: usize,
        from: usize,
        to: usize,
    },
    Share {
        numerator: usize,
        denominator: usize,
        year: usize,
    },
    Cagr {
        indicator: usize,
        from: usize,
        to: usize,
    },
    GrowthEveryYear {
        indicator: usize,
        from: usize,
        to: usize,
    },
    CumulativeGrowth {
        indicator: usize,
        from: usize,
        to: usize,
    },
    Change {
        indicator: usize,
        from: usize,
        to: usize,
    },
    ChangeEveryYear {
        indicator: usize,
        from: usize,
        to: usize,
    },
    /// The sum of the values in years `from..=to` (累计), added in year order.
    Sum {
        indicator: usize,
        from: usize,
        to: usize,
    },
    /// Growth or change from a published value of a year before the base year (较2019年…), read
    /// from the indicator's `history`, to the simulated value in year `to`.
    SincePast {
        indicator: usize,
        measure: PastMeasure,
        past_year: i32,
        past: f64,
        to: usize,
        years: usize,
    },
    Rank {
        indicator: usize,
        year: usize,
        competitors: Vec<usize>,
    },
    /// A joint target (`all = [...]`): the number of its conditions that hold on the path; the
    /// target asks for all of them (`>= n`).
    AllOf(Vec<Condition>),
}

/// What a [`Metric::SincePast`] measures between the past year and `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PastMeasure {
    Cagr,
    CumulativeGrowth,
    Change,
}

/// One condition of a joint target: a metric (minus `versus`) and its test.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub metric: Metric,
    pub versus: Option<Metric>,
    pub test: Test,
    /// The unit of the tested quantity (for labels).
    pub unit: String,
}

impl Condition {
    /// "A ≥ 3 %" in words, with indicator labels.
    pub fn label(&self, model: &Model, zh: bool) -> String {
        let by_min = self.test.reduce_by_min();
        let mut text = self.metric.label(model, zh, by_min);
        if let Some(v) = &self.versus {
            text = format!("{text} − {}", v.label(model, zh, by_min));
        }
        format!("{text} {}", self.test.words(&self.unit))
    }

    pub fn describe(&self, model: &Model) -> String {
        let mut text = self.metric.describe(model);
        if let Some(v) = &self.versus {
            text = format!("{text} − {}", v.describe(model));
        }
        format!("{text} {}", self.test.words(&self.unit))
    }
}

/// The names of the metrics a scenario file may write (`metric = "..."`), parsed once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricName {
    Value,
    ValueEveryYear,
    Share,
    Cagr,
    GrowthEveryYear,
    CumulativeGrowth,
    Change,
    ChangeEveryYear,
    Sum,
    Rank,
}

impl MetricName {
    pub const ALL: [MetricName; 10] = [
        MetricName::Value,
        MetricName::ValueEveryYear,
        MetricName::Share,
        MetricName::Cagr,
        MetricName::GrowthEveryYear,
        MetricName::CumulativeGrowth,
        MetricName::Change,
        MetricName::ChangeEveryYear,
        MetricName::Sum,
        MetricName::Rank,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricName::Value => "value",
            MetricName::ValueEveryYear => "value_every_year",
            MetricName::Share => "share",
            MetricName::Cagr => "cagr",
            MetricName::GrowthEveryYear => "growth_every_year",
            MetricName::CumulativeGrowth => "cumulative_growth",
            MetricName::Change => "change",
            MetricName::ChangeEveryYear => "change_every_year",
            MetricName::Sum => "sum",
            MetricName::Rank => "rank",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        MetricName::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The fields besides `metric` this metric takes.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            MetricName::Value => &["indicator", "year"],
            MetricName::Share => &["numerator", "denominator", "year"],
            MetricName::Rank => &["indicator", "year", "competitors"],
            MetricName::ValueEveryYear
            | MetricName::Cagr
            | MetricName::GrowthEveryYear
            | MetricName::CumulativeGrowth
            | MetricName::Change
            | MetricName::ChangeEveryYear
            | MetricName::Sum => &["indicator", "from", "to"],
        }
    }

    /// Whether the metric is a growth rate of a level (not defined for a rate in percent).
    pub fn is_growth(self) -> bool {
        matches!(self, MetricName::Cagr | MetricName::GrowthEveryYear | MetricName::CumulativeGrowth)
    }
}

impl Metric {
    /// Whether the metric yields one value per year (tested in every year of its span).
    pub fn is_every_year(&self) -> bool {
        matches!(self, Metric::ValueEveryYear { .. } | Metric::GrowthEveryYear { .. } | Metric::ChangeEveryYear { .. })
    }

    /// The name of the metric as written in scenario files (`"all"` for a joint target, which is
    /// written `all = [...]`).
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Value { .. } => MetricName::Value.as_str(),
            Metric::ValueEveryYear { .. } => MetricName::ValueEveryYear.as_str(),
            Metric::Share { .. } => MetricName::Share.as_str(),
            Metric::Cagr { .. } | Metric::SincePast { measure: PastMeasure::Cagr, .. } => MetricName::Cagr.as_str(),
            Metric::GrowthEveryYear { .. } => MetricName::GrowthEveryYear.as_str(),
            Metric::CumulativeGrowth { .. } | Metric::SincePast { measure: PastMeasure::CumulativeGrowth, .. } => {
                MetricName::CumulativeGrowth.as_str()
            }
            Metric::Change { .. } | Metric::SincePast { measure: PastMeasure::Change, .. } => {
                MetricName::Change.as_str()
            }
            Metric::ChangeEveryYear { .. } => MetricName::ChangeEveryYear.as_str(),
            Metric::Sum { .. } => MetricName::Sum.as_str(),
            Metric::Rank { .. } => MetricName::Rank.as_str(),
            Metric::AllOf(_) => "all",
        }
    }

    /// Every simulated (indicator, year index) the metric reads, in a fixed order, repeats
    /// possible. The one answer to "what does this metric depend on": restricted models,
    /// sensitivity, Sobol' groups and `score` all ask it. (A [`Metric::SincePast`] also reads
    /// a published value, which is a constant of the model, not a simulated cell.)
    pub fn reads(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        self.reads_into(&mut out);
        out
    }

    fn reads_into(&self, out: &mut Vec<(usize, usize)>) {
        match self {
            Metric::Value { indicator, year } => out.push((*indicator, *year)),
            Metric::Share { numerator, denominator, year } => out.extend([(*numerator, *year), (*denominator, *year)]),
            Metric::Cagr { indicator, from, to }
            | Metric::CumulativeGrowth { indicator, from, to }
            | Metric::Change { indicator, from, to } => out.extend([(*indicator, *from), (*indicator, *to)]),
            Metric::ValueEveryYear { indicator, from, to }
            | Metric::GrowthEveryYear { indicator, from, to }
            | Metric::ChangeEveryYear { indicator, from, to }
            | Metric::Sum { indicator, from, to } => out.extend((*from..=*to).map(|y| (*indicator, y))),
            Metric::SincePast { indicator, to, .. } => out.push((*indicator, *to)),
            Metric::Rank { indicator, year, competitors } => {
                out.push((*indicator, *year));
                out.extend(competitors.iter().map(|c| (*c, *year)));
            }
            Metric::AllOf(conditions) => {
                for c in conditions {
                    c.metric.reads_into(out);
                    if let Some(v) = &c.versus {
                        v.reads_into(out);
                    }
                }
            }
        }
    }

    /// The indicators the metric reads directly (from [`Metric::reads`]), each once, in order
    /// of first reading.
    pub fn indicators(&self) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        for (i, _) in self.reads() {
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    }

    /// Whether the metric can only be a whole number: the value, change or sum of a count, a
    /// rank, or the number of conditions of a joint target that hold.
    pub fn integer_valued(&self, model: &Model) -> bool {
        self.integer_valued_among(&model.indicators)
    }

    /// [`Metric::integer_valued`] given the indicators (usable before the model exists).
    pub fn integer_valued_among(&self, indicators: &[Indicator]) -> bool {
        let count = |i: &usize| matches!(indicators[*i].process, Process::Count { .. });
        match self {
            Metric::Value { indicator, .. }
            | Metric::ValueEveryYear { indicator, .. }
            | Metric::Change { indicator, .. }
            | Metric::ChangeEveryYear { indicator, .. }
            | Metric::Sum { indicator, .. } => count(indicator),
            Metric::SincePast { indicator, measure: PastMeasure::Change, past, .. } => {
                count(indicator) && past.fract() == 0.0
            }
            Metric::Rank { .. } | Metric::AllOf(_) => true,
            Metric::Share { .. }
            | Metric::Cagr { .. }
            | Metric::GrowthEveryYear { .. }
            | Metric::CumulativeGrowth { .. }
            | Metric::SincePast { .. } => false,
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
            (Metric::ValueEveryYear { indicator, from, to }, true) => {
                format!("{} {}–{}年逐年数值（{decisive}）", name(indicator), year(from), year(to))
            }
            (Metric::ValueEveryYear { indicator, from, to }, false) => {
                // "lowest/highest", not "weakest/strongest": on a class scale a low value is good.
                let decisive = if by_min { "lowest year" } else { "highest year" };
                format!("{} in every year {}–{} ({decisive})", name(indicator), year(from), year(to))
            }
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
            (Metric::Sum { indicator, from, to }, true) => {
                format!("{} {}–{}年累计", name(indicator), year(from), year(to))
            }
            (Metric::Sum { indicator, from, to }, false) => {
                format!("Sum of {} over {}–{}", name(indicator), year(from), year(to))
            }
            (Metric::SincePast { indicator, measure, past_year, to, .. }, true) => {
                let what = match measure {
                    PastMeasure::Cagr => "年均增速",
                    PastMeasure::CumulativeGrowth => "累计增长",
                    PastMeasure::Change => "变化",
                };
                format!("{} {}–{}年{what}（较{}年）", name(indicator), past_year, year(to), past_year)
            }
            (Metric::SincePast { indicator, measure, past_year, to, .. }, false) => {
                let what = match measure {
                    PastMeasure::Cagr => "Average annual growth",
                    PastMeasure::CumulativeGrowth => "Cumulative growth",
                    PastMeasure::Change => "Change",
                };
                format!(
                    "{what} of {}, {}–{} (from the published {past_year} value)",
                    name(indicator),
                    past_year,
                    year(to)
                )
            }
            (Metric::Rank { indicator, year: y, competitors }, true) => {
                format!("{}在{}个中的名次 {}年", name(indicator), competitors.len() + 1, year(y))
            }
            (Metric::Rank { indicator, year: y, competitors }, false) => {
                format!("Rank of {} among {} in {}", name(indicator), competitors.len() + 1, year(y))
            }
            // Short: it labels a chart axis. The conditions themselves are in `describe` and in
            // `Condition::label`.
            (Metric::AllOf(conditions), true) => format!("同时满足的条件数（共{}项）", conditions.len()),
            (Metric::AllOf(conditions), false) => format!("Conditions met (of {})", conditions.len()),
        }
    }

    /// Natural unit of the metric, given the unit of its indicator.
    pub fn unit(&self, model: &Model) -> String {
        metric_unit(self, &model.indicators)
    }

    pub fn describe(&self, model: &Model) -> String {
        let id = |i: &usize| model.indicators[*i].id.as_str();
        let year = |y: &usize| model.base_year + *y as i32;
        match self {
            Metric::Value { indicator, year: y } => format!("{} in {}", id(indicator), year(y)),
            Metric::ValueEveryYear { indicator, from, to } => {
                format!("{} in every year {}–{}", id(indicator), year(from), year(to))
            }
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
            Metric::Sum { indicator, from, to } => format!("sum of {} over {}–{}", id(indicator), year(from), year(to)),
            Metric::SincePast { indicator, measure, past_year, past, to, .. } => {
                let what = match measure {
                    PastMeasure::Cagr => "average annual growth",
                    PastMeasure::CumulativeGrowth => "cumulative growth",
                    PastMeasure::Change => "change",
                };
                format!(
                    "{what} of {} {past_year}–{} (published {past_year} value {})",
                    id(indicator),
                    year(to),
                    crate::numbers::shown(*past)
                )
            }
            Metric::Rank { indicator, year: y, competitors } => {
                format!("rank of {} among {} in {}", id(indicator), competitors.len() + 1, year(y))
            }
            Metric::AllOf(conditions) => {
                let parts: Vec<String> = conditions.iter().map(|c| c.describe(model)).collect();
                format!("number of conditions met of {}: {}", conditions.len(), parts.join("; "))
            }
        }
    }
}

/// Natural unit of a metric, from its indicators' units (usable before the model exists).
pub fn metric_unit(metric: &Metric, indicators: &[Indicator]) -> String {
    match metric {
        Metric::Value { indicator, .. }
        | Metric::ValueEveryYear { indicator, .. }
        | Metric::Change { indicator, .. }
        | Metric::ChangeEveryYear { indicator, .. }
        | Metric::Sum { indicator, .. }
        | Metric::SincePast { indicator, measure: PastMeasure::Change, .. } => indicators[*indicator].unit.clone(),
        Metric::Share { .. }
        | Metric::CumulativeGrowth { .. }
        | Metric::SincePast { measure: PastMeasure::CumulativeGrowth, .. } => "%".into(),
        Metric::Cagr { .. } | Metric::GrowthEveryYear { .. } | Metric::SincePast { measure: PastMeasure::Cagr, .. } => {
            "%/yr".into()
        }
        Metric::Rank { .. } => "rank".into(),
        // A number of conditions: the label says so, in the reader's language.
        Metric::AllOf(_) => String::new(),
    }
}

/// How the tested quantity is compared with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparator {
    Ge,
    Gt,
    Le,
    Lt,
    /// Equal (whole-number quantities only).
    Eq,
    /// Within `[low, high]`, both ends included (`threshold = [low, high]`).
    Between,
    /// Within the tolerance of the threshold, both ends included.
    About,
}

impl Comparator {
    /// The comparators accepted in scenario files.
    pub const NAMES: [&'static str; 7] = [">=", ">", "<=", "<", "==", "between", "about"];

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            ">=" | "≥" => Some(Comparator::Ge),
            ">" => Some(Comparator::Gt),
            "<=" | "≤" => Some(Comparator::Le),
            "<" => Some(Comparator::Lt),
            "==" => Some(Comparator::Eq),
            "between" => Some(Comparator::Between),
            "about" => Some(Comparator::About),
            _ => None,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Ge => "≥",
            Comparator::Gt => ">",
            Comparator::Le => "≤",
            Comparator::Lt => "<",
            Comparator::Eq => "=",
            Comparator::Between => "∈",
            Comparator::About => "≈",
        }
    }

    pub fn ascii(self) -> &'static str {
        match self {
            Comparator::Ge => ">=",
            Comparator::Gt => ">",
            Comparator::Le => "<=",
            Comparator::Lt => "<",
            Comparator::Eq => "==",
            Comparator::Between => "between",
            Comparator::About => "about",
        }
    }

    /// Whether the test asks for a quantity above (`>=`, `>`) or below (`<=`, `<`) one
    /// threshold, rather than inside an interval.
    pub fn is_one_sided(self) -> bool {
        matches!(self, Comparator::Ge | Comparator::Gt | Comparator::Le | Comparator::Lt)
    }
}

/// A test of a tested quantity: the comparator, the threshold as written (the lower end of a
/// `between`, the centre of an `about`) and, for two-sided tests, the interval that passes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Test {
    pub comparator: Comparator,
    pub threshold: f64,
    /// `[low, high]`, both included, for `==` (`[t, t]`), `between` and `about` (`t ± tolerance`).
    pub range: Option<[f64; 2]>,
}

impl Test {
    /// Whether `value` passes. NaN never passes.
    #[inline]
    pub fn holds(&self, value: f64) -> bool {
        match (self.comparator, self.range) {
            (Comparator::Ge, _) => value >= self.threshold,
            (Comparator::Gt, _) => value > self.threshold,
            (Comparator::Le, _) => value <= self.threshold,
            (Comparator::Lt, _) => value < self.threshold,
            (Comparator::Eq | Comparator::Between | Comparator::About, Some([low, high])) => {
                low <= value && value <= high
            }
            (Comparator::Eq | Comparator::Between | Comparator::About, None) => false,
        }
    }

    /// The engine's rule: a finite value that passes.
    #[inline]
    pub fn hit(&self, value: f64) -> bool {
        value.is_finite() && self.holds(value)
    }

    /// An every-year quantity is decided by its lowest year (≥, >) or its highest (≤, <).
    pub fn reduce_by_min(&self) -> bool {
        matches!(self.comparator, Comparator::Ge | Comparator::Gt)
    }

    /// The test in symbols, e.g. "≥ 6.5 %", "∈ [1, 2] 个", "≈ 6 ± 0.5 %".
    pub fn words(&self, unit: &str) -> String {
        let n = crate::numbers::shown;
        let unit = if unit.is_empty() { String::new() } else { format!(" {unit}") };
        match (self.comparator, self.range) {
            (Comparator::Between, Some([low, high])) => format!("∈ [{}, {}]{unit}", n(low), n(high)),
            (Comparator::About, Some([low, high])) => {
                format!("≈ {} ± {}{unit}", n(self.threshold), n((high - low) / 2.0))
            }
            (c, _) => format!("{} {}{unit}", c.symbol(), n(self.threshold)),
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
