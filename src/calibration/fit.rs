//! `feasim fit`: growth assumptions estimated from a short annual history, with the uncertainty
//! of the estimate carried into the proposed distribution.
//!
//! For each `[[series]]` of the map the annual growth (or change) is taken year by year from a
//! reported growth rate where one exists, otherwise from the ratio (difference) of consecutive
//! annual levels that do not straddle a change of statistical basis (`new_basis_from`). Then:
//!
//! * mean `ȳ` and standard deviation `s` (divisor n − 1), with standard errors
//!   `s/√n · √((1+φ)/(1−φ))` and `s/√(2(n−1)) · √((1+φ²)/(1−φ²))` (φ = 0 unless estimated);
//! * AR(1) persistence from at least [`MIN_AR_PAIRS`] pairs of consecutive years: the least
//!   squares slope of `y_t − ȳ` on `y_{t−1} − ȳ`, bias-corrected after Kendall (1954),
//!   `φ̃ = φ̂ + (1 + 3φ̂)/m`, standard error `√((1 − φ̃²)/m)`;
//! * a Student-t alternative, by maximum likelihood (EM for location and scale) on the grid
//!   [`DF_GRID`], preferred when its AIC (3 parameters) is below the normal's (2), from
//!   [`MIN_TAIL_N`] observations on; below that the tails are not identified and we say so;
//! * the proposed distribution is the posterior predictive of the next year's growth: under
//!   the normal model with the reference prior p(μ, σ) ∝ 1/σ it is Student-t with n − 1
//!   degrees of freedom, location ȳ and scale `s √(1 + 1/n)` (Gelman et al., *Bayesian Data
//!   Analysis*, 3rd ed., §3.2). In feasim's vocabulary (`sd` is the standard deviation, df > 2)
//!   that is `student_t { mean = ȳ, sd = s √(1+1/n) √((n−1)/(n−3)), df = n − 1 }` for n ≥ 4,
//!   a normal with that sd when n − 1 > 30; for n = 2, 3 (infinite variance) a t with df = 3
//!   and the same central 90% interval, flagged as an approximation; nothing for n < 2;
//! * pairwise correlations of the annual values over shared years (at least
//!   [`MIN_CORRELATION_YEARS`]), with Fisher-z 95% intervals; if the pairwise matrix is not a
//!   valid correlation matrix it is replaced by the nearest valid one (Higham 2002, the
//!   scenario loader's own routine) and the change is reported.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::history::{self, Period, Row, Table, Value};
use super::map::{self, RawMap, RawSeriesRef};
use crate::model::correlation::CorrelationMatrix;
use crate::model::{Compounding, Marginal, Model, Process};
use crate::scenario::diagnostic::{Diagnostic, LoadError, did_you_mean};
use crate::scenario::raw::{FileId, Loc};

/// Fewest pairs of consecutive years for an AR(1) estimate (its standard error is then about
/// 0.35 at φ = 0; fewer pairs say nothing useful about persistence).
pub const MIN_AR_PAIRS: usize = 8;
/// Fewest observations for choosing between normal and Student-t tails.
pub const MIN_TAIL_N: usize = 12;
/// Fewest shared years for a correlation estimate.
pub const MIN_CORRELATION_YEARS: usize = 5;
/// Degrees of freedom tried for the Student-t alternative.
pub const DF_GRID: [f64; 9] = [3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0];
/// Largest probability of a fall of 100% or more the scenario loader accepts for simple
/// compounding (see docs/scenario-format.md, 5.3).
pub const FALL_TOLERANCE: f64 = crate::model::validate::NEGLIGIBLE;
/// Below this many observations the output says the sample is small.
pub const SMALL_SAMPLE: usize = 10;

/// What one year's number measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Growth in percent: `(X_t / X_{t−1} − 1)·100` (scenario `compounding = "simple"`).
    Growth,
    /// Growth in log points: `100 ln(X_t / X_{t−1})` (scenario `compounding = "log"`).
    LogGrowth,
    /// First difference `X_t − X_{t−1}` (rates, in percentage points).
    Change,
}

impl Measure {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "growth" => Some(Measure::Growth),
            "log_growth" => Some(Measure::LogGrowth),
            "change" => Some(Measure::Change),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Measure::Growth => "growth",
            Measure::LogGrowth => "log_growth",
            Measure::Change => "change",
        }
    }

    /// The scenario field the fitted distribution goes into.
    pub fn field(self) -> &'static str {
        match self {
            Measure::Growth | Measure::LogGrowth => "growth",
            Measure::Change => "change",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Measure::Growth => "%",
            Measure::LogGrowth => "log points",
            Measure::Change => "pp",
        }
    }
}

/// Where one year's value came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A reported growth rate of this series.
    Reported { series: String, line: usize },
    /// The ratio (difference) of this year's and last year's levels.
    Levels { series: String, lines: (usize, usize) },
}

#[derive(Debug, Clone, Serialize)]
pub struct Observation {
    pub year: i32,
    pub value: f64,
    pub origin: Origin,
    /// Lowest confidence of the rows used (`high`, `medium`, `low` or empty).
    pub confidence: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Persistence {
    pub pairs: usize,
    /// Least-squares slope before the bias correction.
    pub raw: f64,
    /// Kendall-corrected estimate.
    pub phi: f64,
    pub std_error: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tails {
    /// Whether enough observations were available to compare tails.
    pub identified: bool,
    pub aic_normal: f64,
    /// Best df on the grid and its AIC.
    pub best_df: f64,
    pub aic_t: f64,
    pub location_t: f64,
    pub scale_t: f64,
    pub student_t_preferred: bool,
}

/// The distribution proposed for the scenario.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    /// `normal` or `student_t`.
    pub dist: String,
    pub mean: f64,
    pub sd: f64,
    pub df: Option<f64>,
    /// How it was obtained, in words.
    pub how: String,
    /// True when the distribution only approximates the predictive (n = 2 or 3).
    pub approximate: bool,
    /// True when the scenario could not use it as it stands (written commented out, with why).
    pub blocked: bool,
}

impl Proposal {
    /// The same distribution as a feasim marginal (for checks and tests).
    pub fn marginal(&self) -> Result<Marginal, String> {
        match self.df {
            Some(df) => Marginal::student_t_from_sd(self.mean, self.sd, df),
            None => Ok(Marginal::Normal { mean: self.mean, sd: self.sd }),
        }
    }

    /// The inline TOML table, e.g. `{ dist = "normal", mean = 4.5, sd = 1.5 }`.
    pub fn toml(&self) -> String {
        match self.df {
            Some(df) => format!(
                "{{ dist = \"student_t\", mean = {}, sd = {}, df = {} }}",
                round_sig(self.mean),
                round_sig(self.sd),
                round_sig(df)
            ),
            None => format!("{{ dist = \"normal\", mean = {}, sd = {} }}", round_sig(self.mean), round_sig(self.sd)),
        }
    }
}

/// Everything fitted for one scenario indicator.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorFit {
    pub indicator: String,
    pub measure: Measure,
    /// The scenario's current distribution of this indicator, as written, when a scenario was given.
    pub scenario_now: Option<String>,
    pub observations: Vec<Observation>,
    /// Years left out on purpose, with the reason from the map.
    pub excluded: Vec<(i32, String)>,
    /// Years between the first and last observation with no value (and why, when known).
    pub missing: Vec<(i32, String)>,
    pub n: usize,
    pub mean: f64,
    pub mean_se: f64,
    pub sd: f64,
    pub sd_se: f64,
    pub persistence: Option<Persistence>,
    pub tails: Option<Tails>,
    pub proposal: Option<Proposal>,
    /// Partial pooling toward another indicator's mean, when the map asks for it.
    pub shrinkage: Option<Shrinkage>,
    pub notes: Vec<String>,
}

/// Normal–normal partial pooling of a mean (see [`shrink`]).
#[derive(Debug, Clone, Serialize)]
pub struct Shrinkage {
    pub toward: String,
    /// Prior mean (the other indicator's mean plus the offset) and prior sd.
    pub prior_mean: f64,
    pub prior_sd: f64,
    /// Weight on this indicator's own mean, `V_prior / (V_prior + SE²)`.
    pub weight: f64,
    pub mean_before: f64,
    pub mean_after: f64,
    pub mean_after_se: f64,
    /// Pooled within-series sd and its degrees of freedom.
    pub pooled_sd: f64,
    pub pooled_df: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct PairCorrelation {
    pub a: String,
    pub b: String,
    pub years: Vec<i32>,
    pub rho: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// The value proposed (after the repair, when one was needed).
    pub proposed: f64,
    /// Why the proposal differs from the estimate, when it does.
    pub adjusted: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepairInfo {
    pub min_eigenvalue: f64,
    pub max_abs_change: f64,
    pub between: (String, String),
    pub frobenius_change: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FitReport {
    pub history: PathBuf,
    pub map: PathBuf,
    pub scenario: Option<PathBuf>,
    pub scenario_name: Option<String>,
    pub first_year: Option<i32>,
    pub last_year: Option<i32>,
    /// Annual rows of mapped series dropped because they are after `last_year`.
    pub after_last_year: usize,
    pub indicators: Vec<IndicatorFit>,
    pub correlations: Vec<PairCorrelation>,
    /// Pairs with too few shared years, as (a, b, shared years).
    pub correlations_skipped: Vec<(String, String, usize)>,
    pub correlation_repair: Option<RepairInfo>,
}

/// Inputs of [`fit_files`].
#[derive(Debug, Clone)]
pub struct FitInputs<'a> {
    pub history: &'a Path,
    pub map: &'a Path,
    /// Overrides the map's `[fit] scenario`.
    pub scenario: Option<&'a Path>,
}

/// Read the history, the map and (if named) the scenario, and fit every mapped indicator.
pub fn fit_files(inputs: &FitInputs) -> Result<FitReport, LoadError> {
    let table = history::read(inputs.history, false)?;
    let mut sources = table.sources.clone();
    let (raw, map_file) = map::read(inputs.map, &mut sources)?;
    let scenario_path = match inputs.scenario {
        Some(p) => Some(p.to_path_buf()),
        None => raw.fit.as_ref().and_then(|f| f.value.scenario.as_ref()).map(|s| {
            let base = inputs.map.parent().unwrap_or(Path::new("."));
            base.join(&s.value)
        }),
    };
    let model = match &scenario_path {
        Some(p) => Some(crate::scenario::load(p)?),
        None => None,
    };
    let table = Table { sources, ..table };
    fit(&table, &raw, map_file, model.as_ref(), inputs, scenario_path)
}

/// A series of the history: annual values by year with their rows.
type Annual<'t> = BTreeMap<i32, &'t Row>;
/// A mapped series: its label, annual values, and documented gaps (period, note).
type Series<'t> = (String, Annual<'t>, Vec<(Period, String)>);

fn fit(
    table: &Table,
    raw: &RawMap,
    map_file: FileId,
    model: Option<&Model>,
    inputs: &FitInputs,
    scenario_path: Option<PathBuf>,
) -> Result<FitReport, LoadError> {
    let mut diagnostics = Vec::new();
    let meta = raw.fit.as_ref().map(|f| f.value.clone()).unwrap_or_default();
    let year_of = |v: &Option<Loc<i64>>, diagnostics: &mut Vec<Diagnostic>| -> Option<i32> {
        let loc = v.as_ref()?;
        if history::YEAR_RANGE.contains(&(loc.value as i32)) && loc.value == loc.value as i32 as i64 {
            Some(loc.value as i32)
        } else {
            diagnostics
                .push(Diagnostic::at(loc, format!("{} is not a year", loc.value)).help("write a year, e.g. 2021"));
            None
        }
    };
    let mut last_year = year_of(&meta.last_year, &mut diagnostics);
    let first_year = year_of(&meta.first_year, &mut diagnostics);
    if let Some(model) = model {
        match (&meta.last_year, last_year) {
            (Some(loc), Some(y)) if y > model.base_year => diagnostics.push(
                Diagnostic::at(loc, format!("last_year {y} is after the scenario's base year {}", model.base_year))
                    .help("a forecast made in the base year cannot use later data; use at most the base year"),
            ),
            (None, _) => last_year = Some(model.base_year),
            _ => {}
        }
    }

    let mut by_series: BTreeMap<(&str, &str), Vec<&Row>> = BTreeMap::new();
    for row in &table.rows {
        by_series.entry((row.indicator.text.as_str(), row.region.text.as_str())).or_default().push(row);
    }
    let names: Vec<String> = by_series.keys().map(|(i, r)| format!("{i} / {r}")).collect();

    let mut after_last_year = 0;
    let mut fits = Vec::new();
    let mut seen_indicators: Vec<&str> = Vec::new();
    let mut shrinks: Vec<(usize, Loc<map::RawShrink>)> = Vec::new();
    for series in &raw.series {
        let s = &series.value;
        let id = s.indicator.value.as_str();
        if seen_indicators.contains(&id) {
            diagnostics.push(
                Diagnostic::at(&s.indicator, format!("\"{id}\" is mapped twice"))
                    .help("give each indicator one [[series]]; list several growth series in its growth = [...]"),
            );
            continue;
        }
        seen_indicators.push(id);
        // The measure, from the scenario's indicator when there is one.
        let mut measure = match &s.measure {
            Some(m) => match Measure::parse(&m.value) {
                Some(x) => Some(x),
                None => {
                    diagnostics.push(Diagnostic::at(m, format!("unknown measure \"{}\"", m.value)).help(
                        "use \"growth\" (percent), \"log_growth\" (log points) or \"change\" (first differences)",
                    ));
                    continue;
                }
            },
            None => None,
        };
        let mut scenario_now = None;
        if let Some(model) = model {
            let Some(index) = model.indicator_index(id) else {
                let hint = did_you_mean(id, model.indicators.iter().map(|i| i.id.as_str()))
                    .unwrap_or_else(|| "indicator ids are in the scenario's [[indicator]] tables".into());
                diagnostics
                    .push(Diagnostic::at(&s.indicator, format!("the scenario has no indicator \"{id}\"")).help(hint));
                continue;
            };
            let indicator = &model.indicators[index];
            let implied = match &indicator.process {
                Process::Level { compounding: Compounding::Simple, .. } => Measure::Growth,
                Process::Level { compounding: Compounding::Log, .. } => Measure::LogGrowth,
                Process::Rate { .. } => Measure::Change,
                Process::Count { .. } | Process::Derived { .. } => {
                    diagnostics.push(
                        Diagnostic::at(&s.indicator, format!("\"{id}\" is a {} indicator; fit handles levels and rates", indicator.kind_name()))
                            .help("map a level (growth) or rate (change) indicator; derived indicators have no shocks of their own"),
                    );
                    continue;
                }
            };
            if let (Some(given), Some(m)) = (measure, &s.measure)
                && given != implied
            {
                diagnostics.push(
                    Diagnostic::at(
                        m,
                        format!(
                            "measure \"{}\" does not match the scenario, which needs \"{}\" for \"{id}\"",
                            given.name(),
                            implied.name()
                        ),
                    )
                    .help(
                        "leave measure out when a scenario is given; it follows the indicator's kind and compounding",
                    ),
                );
                continue;
            }
            measure = Some(implied);
            scenario_now = indicator.process.shock().map(|(marginals, _)| describe_by_year(model, marginals));
        }
        let measure = measure.unwrap_or(Measure::Growth);
        if s.growth.is_empty() && s.level.is_none() {
            diagnostics.push(
                Diagnostic::at(&s.indicator, format!("\"{id}\" names no history"))
                    .help("add growth = [{ indicator = \"...\", region = \"...\" }] and/or level = { indicator = \"...\", region = \"...\" }"),
            );
            continue;
        }
        if measure == Measure::Change && !s.growth.is_empty() {
            diagnostics.push(
                Diagnostic::at(&s.growth[0], "a rate is fitted from the changes of its levels, not from growth rates")
                    .help("use level = { indicator = \"...\", region = \"...\" } for a rate"),
            );
            continue;
        }
        let mut breaks = BTreeSet::new();
        for b in &s.new_basis_from {
            if let Some(y) = year_of(&Some(b.clone()), &mut diagnostics) {
                breaks.insert(y);
            }
        }
        let mut excluded = Vec::new();
        for e in &s.exclude {
            if e.value.reason.value.trim().is_empty() {
                diagnostics.push(
                    Diagnostic::at(&e.value.reason, "an excluded year needs a reason")
                        .help("say why the year is left out; it is printed with every result"),
                );
            }
            if let Some(y) = year_of(&Some(e.value.year.clone()), &mut diagnostics) {
                excluded.push((y, e.value.reason.value.trim().to_string()));
            }
        }
        let in_window = |y: i32| first_year.is_none_or(|f| y >= f) && last_year.is_none_or(|l| y <= l);
        let lookup = |r: &Loc<RawSeriesRef>, diagnostics: &mut Vec<Diagnostic>, after: &mut usize| -> Option<Series> {
            let key = (r.value.indicator.value.as_str(), r.value.region.value.as_str());
            let label = format!("{} / {}", key.0, key.1);
            let Some(rows) = by_series.get(&key) else {
                let hint = did_you_mean(&label, names.iter().map(|s| s.as_str()))
                    .unwrap_or_else(|| "series are named by the history's indicator and region columns".into());
                diagnostics.push(
                    Diagnostic::at(&r.value.indicator, format!("the history has no series \"{label}\"")).help(hint),
                );
                return None;
            };
            let mut annual: Annual = BTreeMap::new();
            let mut gaps = Vec::new();
            let mut bad = false;
            for row in rows {
                match (&row.period, row.value) {
                    (Period::Year(y), Value::Number(_)) if !in_window(*y) && last_year.is_some_and(|l| *y > l) => {
                        *after += 1;
                    }
                    (Period::Year(y), Value::Number(_)) if !in_window(*y) => {}
                    (Period::Year(y), Value::Number(v)) => {
                        if let Some(first) = annual.get(y) {
                            let (_, w) = first.annual().unwrap_or((*y, f64::NAN));
                            if w != v {
                                diagnostics.push(
                                    table
                                        .diagnostic(row.value_span.clone(), format!("{label} {y} is {v} here but {w} on line {}", first.line))
                                        .help("keep the figure you trust (e.g. the initial release known at the time) and delete the other row"),
                                );
                                bad = true;
                            }
                        } else {
                            annual.insert(*y, row);
                        }
                    }
                    (period, Value::Gap) => gaps.push((period.clone(), row.note.clone())),
                    _ => {}
                }
            }
            if bad { None } else { Some((label, annual, gaps)) }
        };
        let mut reported = Vec::new();
        let mut ok = true;
        for g in &s.growth {
            match lookup(g, &mut diagnostics, &mut after_last_year) {
                Some(x) => reported.push(x),
                None => ok = false,
            }
        }
        let levels = match &s.level {
            Some(l) => match lookup(l, &mut diagnostics, &mut after_last_year) {
                Some(x) => Some(x),
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        if !ok {
            continue;
        }
        // Year by year: the first reported series that has the year, else levels.
        let mut observations = Vec::new();
        let mut years: BTreeSet<i32> = reported.iter().flat_map(|(_, a, _)| a.keys().copied()).collect();
        if let Some((_, annual, _)) = &levels {
            years.extend(annual.keys().copied().filter(|y| annual.contains_key(&(y - 1)) && !breaks.contains(y)));
        }
        for year in years {
            if excluded.iter().any(|(y, _)| *y == year) {
                continue;
            }
            if let Some((label, row)) = reported.iter().find_map(|(l, a, _)| a.get(&year).map(|r| (l, *r))) {
                let v = row.annual().map_or(f64::NAN, |(_, v)| v);
                let value = match measure {
                    Measure::Growth => v,
                    Measure::LogGrowth if v > -100.0 => 100.0 * (1.0 + v / 100.0).ln(),
                    _ => {
                        diagnostics.push(
                            table
                                .diagnostic(
                                    row.value_span.clone(),
                                    format!(
                                        "a growth of {}% has no log (the level would vanish)",
                                        crate::numbers::shown(v)
                                    ),
                                )
                                .help("check the figure"),
                        );
                        continue;
                    }
                };
                observations.push(Observation {
                    year,
                    value,
                    origin: Origin::Reported { series: label.clone(), line: row.line },
                    confidence: row.confidence.clone(),
                    source: row.source.clone(),
                });
            } else if let Some((label, annual, _)) = &levels
                && let (Some(prev), Some(cur)) = (annual.get(&(year - 1)), annual.get(&year))
            {
                let (a, b) = (prev.annual().map_or(f64::NAN, |x| x.1), cur.annual().map_or(f64::NAN, |x| x.1));
                let value = match measure {
                    Measure::Change => b - a,
                    _ if a <= 0.0 || b <= 0.0 => {
                        let at = if a <= 0.0 { prev } else { cur };
                        diagnostics.push(
                            table
                                .diagnostic(at.value_span.clone(), "a level must be positive to give a growth rate")
                                .help("check the figure and its unit"),
                        );
                        continue;
                    }
                    Measure::Growth => (b / a - 1.0) * 100.0,
                    Measure::LogGrowth => 100.0 * (b / a).ln(),
                };
                observations.push(Observation {
                    year,
                    value,
                    origin: Origin::Levels { series: label.clone(), lines: (prev.line, cur.line) },
                    confidence: lowest_confidence(&prev.confidence, &cur.confidence),
                    source: if prev.source == cur.source {
                        cur.source.clone()
                    } else {
                        format!("{}; {}", prev.source, cur.source)
                    },
                });
            }
        }
        let mut missing = Vec::new();
        if let (Some(first), Some(last)) = (observations.first(), observations.last()) {
            for y in first.year..=last.year {
                if observations.iter().any(|o| o.year == y) {
                    continue;
                }
                if let Some((_, reason)) = excluded.iter().find(|(e, _)| *e == y) {
                    missing.push((y, format!("excluded: {reason}")));
                    continue;
                }
                let straddles = breaks.contains(&y)
                    && levels.as_ref().is_some_and(|(_, a, _)| a.contains_key(&y) && a.contains_key(&(y - 1)));
                let why = if straddles {
                    format!("levels {} and {y} are on different bases (new_basis_from = {y})", y - 1)
                } else {
                    let gap =
                        reported.iter().chain(levels.iter()).flat_map(|(_, _, g)| g.iter()).find(|(g, _)| g.covers(y));
                    gap.map_or("no figure in the history".to_string(), |(_, note)| format!("a documented gap: {note}"))
                };
                missing.push((y, why));
            }
        }
        fits.push(estimate(id, measure, scenario_now, observations, excluded, missing));
        if let Some(sh) = &s.shrink {
            if !(sh.value.sd.value > 0.0 && sh.value.sd.value.is_finite()) {
                diagnostics.push(
                    Diagnostic::at(
                        &sh.value.sd,
                        format!("the shrinkage sd must be > 0 (got {})", crate::numbers::shown(sh.value.sd.value)),
                    )
                    .help("how far the two means can plausibly differ, e.g. 1.0 (percentage points)"),
                );
            } else {
                shrinks.push((fits.len() - 1, sh.clone()));
            }
        }
    }
    for (index, sh) in &shrinks {
        let toward = sh.value.toward.value.as_str();
        match fits.iter().position(|f| f.indicator == toward) {
            Some(other) if other != *index => {
                let other = fits[other].clone();
                shrink(&mut fits[*index], &other, sh.value.sd.value, sh.value.offset.as_ref().map_or(0.0, |o| o.value));
            }
            _ => diagnostics.push(
                Diagnostic::at(
                    &sh.value.toward,
                    format!("cannot shrink toward \"{toward}\": it is not another indicator of this map"),
                )
                .help("shrink toward an indicator that has its own [[series]] here, e.g. the province"),
            ),
        }
    }
    if !diagnostics.is_empty() {
        let _ = map_file;
        return Err(table.error(diagnostics));
    }
    let (mut correlations, skipped, repair) = correlations(&fits);
    if let Some(model) = model {
        fit_into_scenario(model, &mut correlations);
    }
    Ok(FitReport {
        history: inputs.history.to_path_buf(),
        map: inputs.map.to_path_buf(),
        scenario: scenario_path,
        scenario_name: model.map(|m| m.name.clone()),
        first_year,
        last_year,
        after_last_year,
        indicators: fits,
        correlations,
        correlations_skipped: skipped,
        correlation_repair: repair,
    })
}

fn lowest_confidence(a: &str, b: &str) -> String {
    let rank = |c: &str| match c {
        "low" => 0,
        "medium" => 1,
        "high" => 2,
        _ => 3,
    };
    if rank(a) <= rank(b) { a.to_string() } else { b.to_string() }
}

/// Statistics of one series of annual values and the proposal; public for tests and tools.
pub fn estimate(
    id: &str,
    measure: Measure,
    scenario_now: Option<String>,
    observations: Vec<Observation>,
    excluded: Vec<(i32, String)>,
    missing: Vec<(i32, String)>,
) -> IndicatorFit {
    let n = observations.len();
    let mut notes = Vec::new();
    // Moments of y/s with s = max |y|: sums of squares cannot overflow whatever the magnitudes
    // (values near 1e200 are legal numbers), and every estimate below is location-scale equivariant.
    let s = scale_of(observations.iter().map(|o| o.value));
    let y: Vec<f64> = observations.iter().map(|o| o.value / s).collect();
    let scaled_mean = if n > 0 { y.iter().sum::<f64>() / n as f64 } else { f64::NAN };
    let scaled_sd = if n > 1 {
        (y.iter().map(|v| (v - scaled_mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    let mean = scaled_mean * s;
    // A spread below rounding (a series growing at exactly 3% a year, reported to many digits)
    // is no spread: a proposal with sd 1e-14 would be refused by the scenario, or printed as 0.
    let sd = if scaled_sd <= NO_SPREAD * scaled_mean.abs().max(f64::MIN_POSITIVE) { 0.0 } else { scaled_sd * s };
    // AR(1) from pairs of consecutive years (a ratio of sums: scale-free).
    let pairs: Vec<(f64, f64)> = observations
        .windows(2)
        .zip(y.windows(2))
        .filter(|(w, _)| w[1].year == w[0].year + 1)
        .map(|(_, v)| (v[0] - scaled_mean, v[1] - scaled_mean))
        .collect();
    let persistence = if pairs.len() >= MIN_AR_PAIRS {
        let m = pairs.len() as f64;
        let sxx: f64 = pairs.iter().map(|(a, _)| a * a).sum();
        let sxy: f64 = pairs.iter().map(|(a, b)| a * b).sum();
        let raw = if sxx > 0.0 { sxy / sxx } else { 0.0 };
        let phi = (raw + (1.0 + 3.0 * raw) / m).clamp(-0.95, 0.95);
        Some(Persistence { pairs: pairs.len(), raw, phi, std_error: ((1.0 - phi * phi) / m).sqrt() })
    } else {
        notes.push(format!(
            "persistence not estimated: {} pair(s) of consecutive years (at least {MIN_AR_PAIRS} needed)",
            pairs.len()
        ));
        None
    };
    let phi = persistence.as_ref().map_or(0.0, |p| p.phi);
    let mean_se = sd / (n as f64).sqrt() * ((1.0 + phi) / (1.0 - phi)).sqrt();
    let sd_se = if n > 1 {
        sd / (2.0 * (n - 1) as f64).sqrt() * ((1.0 + phi * phi) / (1.0 - phi * phi)).sqrt()
    } else {
        f64::NAN
    };
    let tails = if n >= MIN_TAIL_N && sd > 0.0 && sd.is_finite() {
        let mut tails = compare_tails(&y);
        // Back to the data's scale: location and scale times s, both log-likelihoods shifted alike.
        tails.location_t *= s;
        tails.scale_t *= s;
        let shift = 2.0 * n as f64 * s.ln();
        tails.aic_normal += shift;
        tails.aic_t += shift;
        Some(tails)
    } else {
        if n >= 2 {
            notes.push(format!(
                "tails cannot be identified from {n} observations (at least {MIN_TAIL_N} needed): whether shocks are fat-tailed is judgement"
            ));
        }
        None
    };
    if (2..SMALL_SAMPLE).contains(&n) {
        notes.push(format!(
            "small sample (n = {n}): the spread is widened for the uncertainty of the estimated mean and sd (predictive Student-t with {} df)",
            n - 1
        ));
    }
    let mut proposal = propose(n, mean, sd, tails.as_ref(), &mut notes);
    // The proposal passes the model's gate (`model::validate`), as every model simulated does:
    // one the scenario would refuse is written commented out, with why.
    if let Some(p) = &mut proposal {
        let gate = p.marginal().map_err(|e| e.to_string()).and_then(|m| {
            use crate::model::validate::{Use, marginal};
            marginal(&m, Use::Growth, "the proposal").map_err(|r| r.to_string())
        });
        if let Err(why) = gate {
            notes.push(format!(
                "the proposal is not a distribution a scenario accepts ({why}); the spread stays judgement"
            ));
            p.blocked = true;
        }
    }
    if let Some(p) = &mut proposal
        && !p.blocked
        && measure == Measure::Growth
        && let Ok(m) = p.marginal()
        && m.cdf(-100.0) > FALL_TOLERANCE
    {
        notes.push(format!(
            "this distribution gives a fall of 100% or more probability {:.1e}, which feasim refuses with simple compounding: \
             set compounding = \"log\" on the indicator and fit again (the map then fits log points), or treat the spread as judgement",
            m.cdf(-100.0)
        ));
        p.blocked = true;
    }
    IndicatorFit {
        indicator: id.to_string(),
        measure,
        scenario_now,
        observations,
        excluded,
        missing,
        n,
        mean,
        mean_se,
        sd,
        sd_se,
        persistence,
        tails,
        proposal,
        shrinkage: None,
        notes,
    }
}

/// Shrink `fit`'s mean toward `other`'s (a city toward its province), by the normal–normal
/// model `μ ~ N(μ̂_other + offset, τ² + SE_other²)`, `ȳ | μ ~ N(μ, s_pooled²/n)`:
/// `μ̃ = w ȳ + (1 − w)(μ̂_other + offset)`, `w = V / (V + s_pooled²/n)`, `Var(μ̃) = w s_pooled²/n`.
/// The yearly spread is pooled with the other series' (`s_pooled² = ((n−1)s² + (n_o−1)s_o²) /
/// (n + n_o − 2)`, assuming similar volatility), and the proposal becomes the predictive
/// Student-t with `n + n_o − 2` df, location `μ̃` and scale `√(s_pooled² + Var(μ̃))`.
/// Works from one own observation; needs at least two of the other's.
pub fn shrink(fit: &mut IndicatorFit, other: &IndicatorFit, tau: f64, offset: f64) {
    if fit.n == 0 || other.n < 2 || !(tau > 0.0 && tau.is_finite()) {
        fit.notes.push(format!(
            "not shrunk toward {}: needs at least one own observation and two of {} (have {} and {})",
            other.indicator, other.indicator, fit.n, other.n
        ));
        return;
    }
    let own_ss = if fit.n > 1 { (fit.n - 1) as f64 * fit.sd * fit.sd } else { 0.0 };
    let df = (fit.n + other.n - 2) as f64;
    let pooled_var = (own_ss + (other.n - 1) as f64 * other.sd * other.sd) / df;
    let prior_mean = other.mean + offset;
    let prior_var = tau * tau + other.mean_se * other.mean_se;
    let data_var = pooled_var / fit.n as f64;
    let weight = prior_var / (prior_var + data_var);
    let mean_after = weight * fit.mean + (1.0 - weight) * prior_mean;
    let post_var = weight * data_var;
    let scale = (pooled_var + post_var).sqrt();
    // Values near the largest float (a damaged history) overflow when squared: no shrinkage
    // rather than a proposal of NaN.
    if ![prior_mean, prior_var, pooled_var, weight, mean_after, post_var, scale].iter().all(|v| v.is_finite()) {
        fit.notes.push(format!(
            "not shrunk toward {}: its values are too large to combine with these (a mean or spread is not a finite number)",
            other.indicator
        ));
        return;
    }
    fit.shrinkage = Some(Shrinkage {
        toward: other.indicator.clone(),
        prior_mean,
        prior_sd: prior_var.sqrt(),
        weight,
        mean_before: fit.mean,
        mean_after,
        mean_after_se: post_var.sqrt(),
        pooled_sd: pooled_var.sqrt(),
        pooled_df: df,
    });
    fit.notes.retain(|n| {
        !n.starts_with("n = ")
            && !n.starts_with("a single observation")
            && !n.starts_with("this distribution gives a fall")
            && !n.starts_with("small sample")
    });
    fit.notes.push(format!(
        "shrunk toward {}: mean {} -> {} (weight {:.2} on its own {} year(s)); spread pooled with {} ({} df)",
        other.indicator,
        round_sig(fit.mean),
        round_sig(mean_after),
        weight,
        fit.n,
        other.indicator,
        df
    ));
    let how = format!(
        "shrunk toward {} (prior mean {}, prior sd {}): weight {:.2} on the own mean; spread pooled with it ({} df)",
        other.indicator,
        round_sig(prior_mean),
        round_sig(prior_var.sqrt()),
        weight,
        df
    );
    fit.proposal = if df > 2.0 {
        Some(Proposal {
            dist: "student_t".into(),
            mean: mean_after,
            sd: scale * (df / (df - 2.0)).sqrt(),
            df: Some(df.min(30.0)),
            how,
            approximate: false,
            blocked: false,
        })
    } else {
        fit.notes.push("too few pooled degrees of freedom for a proposal".into());
        None
    };
    if let Some(p) = &mut fit.proposal
        && fit.measure == Measure::Growth
        && let Ok(m) = p.marginal()
        && m.cdf(-100.0) > FALL_TOLERANCE
    {
        p.blocked = true;
        fit.notes.push("the shrunk proposal still allows a fall of 100% or more: use compounding = \"log\"".into());
    }
}

fn propose(n: usize, mean: f64, sd: f64, tails: Option<&Tails>, notes: &mut Vec<String>) -> Option<Proposal> {
    if n == 0 {
        notes.push("no observation: nothing to fit; the assumption stays judgement".into());
        return None;
    }
    if n == 1 {
        notes.push("a single observation gives a level but no spread: no distribution proposed; the assumption stays judgement".into());
        return None;
    }
    if !(mean.is_finite() && sd.is_finite()) {
        notes.push(
            "the mean or spread of these values is not a finite number (values too large to square): no distribution proposed".into(),
        );
        return None;
    }
    if sd <= 0.0 {
        notes.push(
            "every observation is the same (up to rounding): no spread to fit; the spread stays judgement".into(),
        );
        return None;
    }
    let nf = n as f64;
    if let Some(t) = tails.filter(|t| t.student_t_preferred) {
        let df = t.best_df;
        let sd_t = t.scale_t * (df / (df - 2.0)).sqrt() * (1.0 + 1.0 / nf).sqrt();
        return Some(Proposal {
            dist: "student_t".into(),
            mean: t.location_t,
            sd: sd_t,
            df: Some(df),
            how: format!(
                "Student-t by maximum likelihood (df {df} on the grid, AIC {:.1} vs normal {:.1}), sd widened by √(1+1/n)",
                t.aic_t, t.aic_normal
            ),
            approximate: false,
            blocked: false,
        });
    }
    let scale = sd * (1.0 + 1.0 / nf).sqrt();
    let df = nf - 1.0;
    if df > 30.0 {
        let sd_pred = scale * (df / (df - 2.0)).sqrt();
        return Some(Proposal {
            dist: "normal".into(),
            mean,
            sd: sd_pred,
            df: None,
            how: format!(
                "predictive of a normal with unknown mean and sd (t with {df} df ≈ normal), sd = s·√(1+1/n)·√(df/(df−2))"
            ),
            approximate: false,
            blocked: false,
        });
    }
    if df > 2.0 {
        return Some(Proposal {
            dist: "student_t".into(),
            mean,
            sd: scale * (df / (df - 2.0)).sqrt(),
            df: Some(df),
            how: format!(
                "posterior predictive of a normal with unknown mean and sd: t with n−1 = {df} df, scale s·√(1+1/n)"
            ),
            approximate: false,
            blocked: false,
        });
    }
    // n = 2 or 3: the predictive t(n−1) has no finite variance; feasim's student_t needs df > 2.
    let exact = Marginal::StudentT { location: 0.0, scale: 1.0, df }.quantile(0.95);
    let three = Marginal::StudentT { location: 0.0, scale: 1.0, df: 3.0 }.quantile(0.95);
    let scale3 = scale * exact / three;
    notes.push(format!(
        "n = {n}: the exact predictive (t with {df} df) has no finite variance; proposed is a t with 3 df and the same 90% interval, whose tails are thinner — weak evidence, treat as judgement"
    ));
    Some(Proposal {
        dist: "student_t".into(),
        mean,
        sd: scale3 * 3f64.sqrt(),
        df: Some(3.0),
        how: format!(
            "t with 3 df matching the central 90% interval of the predictive t with {df} df (scale s·√(1+1/n))"
        ),
        approximate: true,
        blocked: false,
    })
}

/// Relative spread (sd / |mean|) below which a series counts as constant.
const NO_SPREAD: f64 = 1e-9;

/// The largest magnitude among `values` when it is a positive finite number, else 1: the factor by
/// which values are divided before squaring them.
fn scale_of(values: impl Iterator<Item = f64>) -> f64 {
    let largest = values.fold(0.0_f64, |m, v| m.max(v.abs()));
    if largest.is_finite() && largest > 0.0 { largest } else { 1.0 }
}

/// Normal versus Student-t tails by AIC, t fitted by EM on the grid of df.
pub fn compare_tails(y: &[f64]) -> Tails {
    let n = y.len() as f64;
    let mean = y.iter().sum::<f64>() / n;
    let var_ml = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    let ll_normal = -0.5 * n * ((2.0 * std::f64::consts::PI * var_ml).ln() + 1.0);
    let aic_normal = -2.0 * ll_normal + 4.0;
    let mut best = (f64::INFINITY, f64::NAN, mean, var_ml.sqrt());
    for &df in &DF_GRID {
        let (loc, scale) = t_mle(y, df, mean, var_ml.sqrt());
        let ll = t_loglik(y, df, loc, scale);
        let aic = -2.0 * ll + 6.0;
        if aic < best.0 {
            best = (aic, df, loc, scale);
        }
    }
    Tails {
        identified: true,
        aic_normal,
        best_df: best.1,
        aic_t: best.0,
        location_t: best.2,
        scale_t: best.3,
        student_t_preferred: best.0 < aic_normal,
    }
}

/// EM iterations for the location and scale of a t with fixed `df` (Lange, Little & Taylor 1989).
fn t_mle(y: &[f64], df: f64, mut loc: f64, mut scale: f64) -> (f64, f64) {
    let n = y.len() as f64;
    for _ in 0..500 {
        let weights: Vec<f64> = y.iter().map(|v| (df + 1.0) / (df + ((v - loc) / scale).powi(2))).collect();
        let sw: f64 = weights.iter().sum();
        let new_loc = y.iter().zip(&weights).map(|(v, w)| w * v).sum::<f64>() / sw;
        let new_var = y.iter().zip(&weights).map(|(v, w)| w * (v - new_loc).powi(2)).sum::<f64>() / n;
        let new_scale = new_var.sqrt().max(1e-12);
        let done = (new_loc - loc).abs() < 1e-12 * (1.0 + loc.abs()) && (new_scale - scale).abs() < 1e-12 * scale;
        loc = new_loc;
        scale = new_scale;
        if done {
            break;
        }
    }
    (loc, scale)
}

fn t_loglik(y: &[f64], df: f64, loc: f64, scale: f64) -> f64 {
    use statrs::function::gamma::ln_gamma;
    let c = ln_gamma((df + 1.0) / 2.0) - ln_gamma(df / 2.0) - 0.5 * (df * std::f64::consts::PI).ln() - scale.ln();
    y.iter().map(|v| c - (df + 1.0) / 2.0 * (1.0 + ((v - loc) / scale).powi(2) / df).ln()).sum()
}

type CorrelationResult = (Vec<PairCorrelation>, Vec<(String, String, usize)>, Option<RepairInfo>);

fn correlations(fits: &[IndicatorFit]) -> CorrelationResult {
    let mut pairs = Vec::new();
    let mut skipped = Vec::new();
    for (i, a) in fits.iter().enumerate() {
        for b in &fits[i + 1..] {
            let shared: Vec<(i32, f64, f64)> = a
                .observations
                .iter()
                .filter_map(|oa| {
                    b.observations.iter().find(|ob| ob.year == oa.year).map(|ob| (oa.year, oa.value, ob.value))
                })
                .collect();
            if shared.len() < MIN_CORRELATION_YEARS {
                if !shared.is_empty() || (a.n > 0 && b.n > 0) {
                    skipped.push((a.indicator.clone(), b.indicator.clone(), shared.len()));
                }
                continue;
            }
            // Scaled by each series' largest magnitude: ρ is scale-free, and squares cannot overflow.
            let (sa, sb) = (scale_of(shared.iter().map(|s| s.1)), scale_of(shared.iter().map(|s| s.2)));
            let shared: Vec<(i32, f64, f64)> = shared.iter().map(|&(year, va, vb)| (year, va / sa, vb / sb)).collect();
            let m = shared.len() as f64;
            let (ma, mb) = (shared.iter().map(|s| s.1).sum::<f64>() / m, shared.iter().map(|s| s.2).sum::<f64>() / m);
            let sab: f64 = shared.iter().map(|s| (s.1 - ma) * (s.2 - mb)).sum();
            let saa: f64 = shared.iter().map(|s| (s.1 - ma).powi(2)).sum();
            let sbb: f64 = shared.iter().map(|s| (s.2 - mb).powi(2)).sum();
            if saa <= 0.0 || sbb <= 0.0 {
                skipped.push((a.indicator.clone(), b.indicator.clone(), shared.len()));
                continue;
            }
            let rho = (sab / (saa * sbb).sqrt()).clamp(-1.0, 1.0);
            let z = rho.clamp(-0.999_999, 0.999_999).atanh();
            let half = 1.959_963_984_540_054 / (m - 3.0).sqrt();
            pairs.push(PairCorrelation {
                a: a.indicator.clone(),
                b: b.indicator.clone(),
                years: shared.iter().map(|s| s.0).collect(),
                rho,
                ci_low: (z - half).tanh(),
                ci_high: (z + half).tanh(),
                proposed: rho,
                adjusted: None,
            });
        }
    }
    // The matrix over indicators in an estimated pair; pairs not estimated are 0.
    let mut ids: Vec<String> = Vec::new();
    for p in &pairs {
        for id in [&p.a, &p.b] {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    let mut repair = None;
    if !ids.is_empty() {
        let k = ids.len();
        let mut matrix = CorrelationMatrix::identity(k);
        let pos = |id: &str| ids.iter().position(|x| x == id).unwrap_or(0);
        for p in &pairs {
            matrix.set(pos(&p.a), pos(&p.b), p.rho);
        }
        if matrix.cholesky().is_err() {
            let diagnosis = matrix.diagnose();
            let fixed = matrix.nearest_valid();
            for p in &mut pairs {
                p.proposed = fixed.matrix.get(pos(&p.a), pos(&p.b));
                p.adjusted = Some("nearest valid matrix of the pairwise estimates (Higham 2002)".into());
            }
            let (i, j) = fixed.max_change_at;
            repair = Some(RepairInfo {
                min_eigenvalue: diagnosis.min_eigenvalue,
                max_abs_change: fixed.max_abs_change,
                between: (ids[i].clone(), ids[j].clone()),
                frobenius_change: fixed.frobenius_change,
            });
        }
    }
    let repaired: Vec<PairCorrelation> = pairs;
    (repaired, skipped, repair)
}

/// Make each proposed correlation consistent with the scenario's other correlations: where the
/// estimate would make the scenario's matrix invalid, propose the value nearest to it (on the
/// segment from the scenario's current value) that keeps the matrix valid, found by bisection.
fn fit_into_scenario(model: &Model, pairs: &mut [PairCorrelation]) {
    let k = model.stochastic.len();
    let values = model.correlation.clone().unwrap_or_else(|| CorrelationMatrix::identity(k).as_slice().to_vec());
    let Ok(mut matrix) = CorrelationMatrix::from_row_major(k, values) else { return };
    let position = |id: &str| model.indicator_index(id).and_then(|i| model.stochastic.iter().position(|s| *s == i));
    for p in pairs.iter_mut() {
        let (Some(a), Some(b)) = (position(&p.a), position(&p.b)) else { continue };
        let current = matrix.get(a, b);
        let valid = |m: &mut CorrelationMatrix, v: f64| {
            m.set(a, b, v);
            m.cholesky().is_ok()
        };
        if valid(&mut matrix, p.proposed) {
            continue;
        }
        let (mut lo, mut hi) = (0.0, 1.0);
        for _ in 0..50 {
            let mid = 0.5 * (lo + hi);
            if valid(&mut matrix, current + mid * (p.proposed - current)) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let value = current + lo * (p.proposed - current);
        let value = (value * 100.0).trunc() / 100.0;
        let value = if valid(&mut matrix, value) { value } else { current };
        valid(&mut matrix, value);
        p.adjusted = Some(format!(
            "{:.2} would contradict the scenario's other correlations (the scenario has {:.2}); {:.2} is the closest value that keeps them valid",
            p.proposed, current, value
        ));
        p.proposed = value;
    }
}

/// The scenario's yearly marginals, grouped: `2022: …; 2023–2024: …`.
fn describe_by_year(model: &Model, marginals: &[Marginal]) -> String {
    let mut groups: Vec<(i32, i32, String)> = Vec::new();
    for (k, m) in marginals.iter().enumerate() {
        let year = model.base_year + 1 + k as i32;
        let text = describe_marginal(m);
        match groups.last_mut() {
            Some(last) if last.2 == text => last.1 = year,
            _ => groups.push((year, year, text)),
        }
    }
    if groups.len() == 1 {
        return groups.remove(0).2;
    }
    groups
        .iter()
        .map(|(a, b, t)| if a == b { format!("{a}: {t}") } else { format!("{a}–{b}: {t}") })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A marginal in scenario syntax (for "the scenario has now").
pub fn describe_marginal(m: &Marginal) -> String {
    match *m {
        Marginal::Normal { mean, sd } => format!("normal mean {} sd {}", round_sig(mean), round_sig(sd)),
        Marginal::StudentT { location, df, .. } => {
            format!("student_t mean {} sd {} df {}", round_sig(location), round_sig(m.sd()), round_sig(df))
        }
        Marginal::SplitNormal { mode, sd_low, sd_high } => {
            format!("split_normal mode {} sd_low {} sd_high {}", round_sig(mode), round_sig(sd_low), round_sig(sd_high))
        }
        other => format!("mean {} sd {}", round_sig(other.mean()), round_sig(other.sd())),
    }
}

/// Three significant digits, at most two decimals, as TOML accepts it (`4.5`, `12`, `-0.25`).
pub fn round_sig(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "0.0".into();
    }
    if !(0.01..1e15).contains(&v.abs()) {
        // Scientific notation keeps three significant digits of small and huge values (TOML reads it).
        return format!("{v:.2e}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).clamp(0, 2) as usize;
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text };
    let text = if text == "-0" { "0".to_string() } else { text };
    if text.contains('.') { text } else { format!("{text}.0") }
}

impl IndicatorFit {
    /// `2015 3.0 R(low), 2016 -2.5 R, 2018 5.7 L` — the years used, R = reported, L = from levels.
    pub fn years_used(&self) -> String {
        self.observations
            .iter()
            .map(|o| {
                let kind = match o.origin {
                    Origin::Reported { .. } => "R",
                    Origin::Levels { .. } => "L",
                };
                format!("{} {}{kind}", o.year, round_sig(o.value).trim_end_matches(".0"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn data_comments(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let mut by_series: BTreeMap<String, Vec<&Observation>> = BTreeMap::new();
        for o in &self.observations {
            let key = match &o.origin {
                Origin::Reported { series, .. } => format!("{series}, reported growth"),
                Origin::Levels { series, .. } => format!("{series}, ratio of consecutive levels"),
            };
            by_series.entry(key).or_default().push(o);
        }
        for (series, obs) in by_series {
            let years = obs
                .iter()
                .map(|o| {
                    let line = match o.origin {
                        Origin::Reported { line, .. } => format!("line {line}"),
                        Origin::Levels { lines: (a, b), .. } => format!("lines {a},{b}"),
                    };
                    let conf = if o.confidence.is_empty() { String::new() } else { format!(", {}", o.confidence) };
                    format!("{} {} ({line}{conf})", o.year, round_sig(o.value).trim_end_matches(".0"))
                })
                .collect::<Vec<_>>()
                .join("; ");
            lines.push(format!("data: {series}: {years}"));
        }
        let sources: BTreeSet<&str> =
            self.observations.iter().map(|o| o.source.as_str()).filter(|s| !s.is_empty()).collect();
        for s in sources {
            lines.push(format!("source: {s}"));
        }
        for (y, why) in &self.missing {
            lines.push(format!("missing {y}: {why}"));
        }
        for (y, why) in &self.excluded {
            lines.push(format!("excluded {y}: {why}"));
        }
        lines
    }
}

impl FitReport {
    /// The TOML fragment: a variant of the scenario (`extends`) when one was given, else
    /// `[[indicator]]` blocks whose `growth`/`change`/`persistence` lines can be pasted into the
    /// indicators of the same id. Every value carries a comment saying where it came from.
    /// `out` is where the fragment will be written (for the relative `extends` path).
    pub fn fragment(&self, out: Option<&Path>) -> String {
        let mut s = String::new();
        let mut line = |text: &str| {
            s.push_str(text);
            s.push('\n');
        };
        line("# Fitted by `feasim fit` (docs/calibration.md).");
        line(&format!("# history: {}", self.history.display()));
        line(&format!("# map: {}", self.map.display()));
        if let Some(l) = self.last_year {
            line(&format!(
                "# years used: up to {l}{}",
                if self.after_last_year > 0 {
                    format!(" ({} later annual rows of mapped series ignored)", self.after_last_year)
                } else {
                    String::new()
                }
            ));
        }
        line("# Annual values are reported growth rates where given, else ratios of consecutive levels on the");
        line("# same statistical basis. Each proposal is the predictive distribution of one year's value given");
        line("# the years listed: wider than the sample spread when the sample is small, as it is here.");
        line("");
        if let (Some(scenario), Some(name)) = (&self.scenario, &self.scenario_name) {
            let rel = out.and_then(|o| relative_path(o, scenario)).unwrap_or_else(|| scenario.clone());
            line("# A variant of the scenario: run it as it is, or paste single lines into the scenario.");
            line("# Note: a variant's `growth` does not replace the base's `growth_by_year` years.");
            line(&format!("extends = \"{}\"", rel.display().to_string().replace('\\', "/")));
            line("");
            line("[scenario]");
            line(&format!("name = \"{name}-fitted\""));
            line(&format!(
                "notes = \"growth assumptions replaced by `feasim fit` proposals from {}\"",
                self.history.display().to_string().replace('"', "'")
            ));
        } else {
            line("# Paste the growth/change and persistence lines into the indicators of the same id.");
        }
        for fit in &self.indicators {
            line("");
            let active = fit.proposal.as_ref().is_some_and(|p| !p.blocked);
            let prefix = if active { "" } else { "# " };
            line(&format!("{prefix}[[indicator]]"));
            line(&format!("{prefix}id = \"{}\"", fit.indicator));
            for c in fit.data_comments() {
                line(&format!("# {c}"));
            }
            line(&format!(
                "# n = {}: mean {} (SE {}), sd {} (SE {}) {}",
                fit.n,
                round_sig(fit.mean),
                round_sig(fit.mean_se),
                round_sig(fit.sd),
                round_sig(fit.sd_se),
                fit.measure.unit()
            ));
            if let Some(t) = &fit.tails {
                line(&format!(
                    "# tails: AIC normal {:.1}, Student-t (df {}) {:.1}: {}",
                    t.aic_normal,
                    t.best_df,
                    t.aic_t,
                    if t.student_t_preferred { "t preferred" } else { "normal preferred" }
                ));
            }
            for n in &fit.notes {
                line(&format!("# {n}"));
            }
            if let Some(sh) = &fit.shrinkage {
                line(&format!(
                    "# shrunk toward {}: own mean {} -> {} (SE {}), weight {:.2} on own data; pooled sd {} ({} df)",
                    sh.toward,
                    round_sig(sh.mean_before),
                    round_sig(sh.mean_after),
                    round_sig(sh.mean_after_se),
                    sh.weight,
                    round_sig(sh.pooled_sd),
                    sh.pooled_df
                ));
            }
            if let Some(now) = &fit.scenario_now {
                line(&format!("# the scenario has: {now}"));
            }
            match &fit.proposal {
                Some(p) => {
                    line(&format!("# how: {}", p.how));
                    line(&format!("{prefix}{} = {}", fit.measure.field(), p.toml()));
                }
                None => line(&format!("# no {} proposed", fit.measure.field())),
            }
            match &fit.persistence {
                Some(p) if active => line(&format!(
                    "persistence = {}   # AR(1) from {} pairs of consecutive years, SE {} (raw slope {}, Kendall-corrected)",
                    round_sig(p.phi),
                    p.pairs,
                    round_sig(p.std_error),
                    round_sig(p.raw)
                )),
                _ => {}
            }
        }
        if !self.correlations.is_empty() || !self.correlations_skipped.is_empty() {
            line("");
            line(&format!(
                "# Correlations of the annual values over shared years (pairs with at least {MIN_CORRELATION_YEARS} shared years)."
            ));
        }
        if let Some(r) = &self.correlation_repair {
            line(&format!(
                "# The pairwise estimates (unestimated pairs 0) were not a valid correlation matrix (smallest eigenvalue {:.4});",
                r.min_eigenvalue
            ));
            line(&format!(
                "# the nearest valid one (Higham 2002) is proposed: largest change {:.4} ({} ~ {}), Frobenius norm {:.4}.",
                r.max_abs_change, r.between.0, r.between.1, r.frobenius_change
            ));
        }
        for p in &self.correlations {
            line("");
            line(&format!(
                "# {} shared years ({}): estimate {:.2}, 95% interval [{:.2}, {:.2}]",
                p.years.len(),
                p.years.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", "),
                p.rho,
                p.ci_low,
                p.ci_high
            ));
            if let Some(why) = &p.adjusted {
                line(&format!("# proposed {:.2}: {why}", p.proposed));
            }
            line("[[correlation]]");
            line(&format!("between = [\"{}\", \"{}\"]", p.a, p.b));
            line(&format!("rho = {:.2}", p.proposed));
        }
        for (a, b, n) in &self.correlations_skipped {
            line(&format!("# {a} ~ {b}: {n} shared years, too few for a correlation; keep your judgement"));
        }
        s
    }

    /// The terminal table.
    pub fn render(&self, width: Option<u16>) -> String {
        use comfy_table::{ContentArrangement, Table as Grid, presets::UTF8_FULL_CONDENSED};
        let mut grid = Grid::new();
        grid.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(w) = width {
            grid.set_width(w);
        }
        grid.set_header([
            "indicator",
            "n",
            "years used (R reported, L levels)",
            "mean ± SE",
            "sd ± SE",
            "persistence",
            "proposed",
            "scenario has",
        ]);
        for f in &self.indicators {
            grid.add_row([
                format!("{} ({})", f.indicator, f.measure.unit()),
                f.n.to_string(),
                f.years_used(),
                format!("{} ± {}", round_sig(f.mean), round_sig(f.mean_se)),
                format!("{} ± {}", round_sig(f.sd), round_sig(f.sd_se)),
                f.persistence
                    .as_ref()
                    .map_or("—".into(), |p| format!("{} ± {}", round_sig(p.phi), round_sig(p.std_error))),
                f.proposal.as_ref().map_or("none".into(), |p| {
                    if p.blocked { format!("{} (not usable as it stands: see below)", p.toml()) } else { p.toml() }
                }),
                f.scenario_now.clone().unwrap_or_default(),
            ]);
        }
        let mut out = format!("{grid}\n");
        for f in &self.indicators {
            for n in &f.notes {
                out.push_str(&format!("{}: {n}\n", f.indicator));
            }
            for (y, why) in &f.missing {
                out.push_str(&format!("{}: {y} missing: {why}\n", f.indicator));
            }
            for (y, why) in &f.excluded {
                out.push_str(&format!("{}: {y} excluded: {why}\n", f.indicator));
            }
        }
        for p in &self.correlations {
            out.push_str(&format!(
                "correlation {} ~ {}: {:.2} [{:.2}, {:.2}] over {} shared years{}\n",
                p.a,
                p.b,
                p.rho,
                p.ci_low,
                p.ci_high,
                p.years.len(),
                p.adjusted.as_ref().map_or(String::new(), |why| format!("; proposed {:.2}: {why}", p.proposed))
            ));
        }
        for (a, b, n) in &self.correlations_skipped {
            out.push_str(&format!(
                "correlation {a} ~ {b}: {n} shared years, too few (at least {MIN_CORRELATION_YEARS})\n"
            ));
        }
        if self.after_last_year > 0 {
            out.push_str(&format!(
                "{} annual rows after {} ignored (a forecast made then could not have seen them)\n",
                self.after_last_year,
                self.last_year.unwrap_or_default()
            ));
        }
        out
    }
}

/// `target` relative to the folder of `from` (a file), when both can be resolved.
fn relative_path(from: &Path, target: &Path) -> Option<PathBuf> {
    let absolute = |p: &Path| -> Option<PathBuf> {
        if p.is_absolute() { Some(p.to_path_buf()) } else { std::env::current_dir().ok().map(|d| d.join(p)) }
    };
    let normalise = |p: PathBuf| -> Vec<std::ffi::OsString> {
        let mut parts: Vec<std::ffi::OsString> = Vec::new();
        for c in p.components() {
            match c {
                std::path::Component::ParentDir => {
                    parts.pop();
                }
                std::path::Component::CurDir => {}
                other => parts.push(other.as_os_str().to_os_string()),
            }
        }
        parts
    };
    let from_dir = normalise(absolute(from)?.parent()?.to_path_buf());
    let target = normalise(absolute(target)?);
    let common = from_dir.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..from_dir.len() {
        rel.push("..");
    }
    for part in &target[common..] {
        rel.push(part);
    }
    Some(rel)
}
