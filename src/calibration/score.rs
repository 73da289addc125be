//! `feasim score`: how good were a scenario's probabilities, judged against what happened?
//!
//! The scenario is simulated as by `run`; each target's realised tested quantity is computed
//! from the outcome table with the engine's own metric code (`engine::path::target_value`), or
//! taken directly from a row with a `target` column. Then, per target with forecast
//! probability `p` and outcome `o` (1 hit, 0 miss):
//!
//! * Brier score `(p − o)²` (Brier 1950); the baseline always says 50%, scoring 0.25, so the
//!   Brier skill score is `1 − B / 0.25`;
//! * log score `ln p̃` for a hit, `ln(1 − p̃)` for a miss, with `p̃ = (hits + ½)/(paths + 1)`
//!   (the Krichevsky–Trofimov add-½ estimate) so that a target never hit in the simulation
//!   scores `ln(0.5/(paths+1))`, finite, rather than `−∞`; the baseline scores `ln ½`;
//! * the probability integral transform (PIT) of the realised quantity in the forecast
//!   distribution, `F̂(x)` from the target's quantile sketch (mid-point `(F(x−) + F(x))/2` for
//!   whole-number quantities such as ranks); uniform on [0, 1] when the forecast is calibrated
//!   (Dawid 1984; Gneiting, Balabdaoui & Raftery 2007);
//! * a reliability table: forecasts in ten bins of probability against the observed hit
//!   frequency, with Wilson intervals; and two calibration statistics under the assumption that
//!   targets are independent (they are not when they share indicators, so read them as
//!   indicative): `z = Σ(o − p)/√Σ p(1−p)` and `χ² = Σ_bins (O − E)² / Σ p(1−p)` with as many
//!   degrees of freedom as non-empty bins.
//!
//! Targets whose outcome is missing are listed as unscored, with what is missing.

use std::collections::BTreeMap;

use serde::Serialize;

use super::history::{Period, Table, Value};
use crate::engine::{self, path};
use crate::model::{Base, Model, Process};
use crate::scenario::diagnostic::{LoadError, did_you_mean};
use crate::summary::interval::wilson;
use crate::summary::{Accumulator, RunInfo, ScenarioInfo, Summary};

/// Forecast probability that the baseline always states.
pub const BASELINE_PROBABILITY: f64 = 0.5;
/// Number of equal-width bins of the reliability table and of the PIT histogram.
pub const BINS: usize = 10;

/// Realised values, laid out like a path (`indicator * n_years + year`, NaN where unknown),
/// plus realised tested quantities given directly per target.
#[derive(Debug, Clone)]
pub struct Outcomes {
    pub values: Vec<f64>,
    pub direct: Vec<Option<f64>>,
    /// Rows read but not used, in words (other years, sub-annual periods, gaps).
    pub notes: Vec<String>,
}

impl Outcomes {
    /// Outcomes of one simulated path (used to test that a scenario scores itself as calibrated).
    pub fn from_path(model: &Model, values: &[f64]) -> Self {
        Outcomes { values: values.to_vec(), direct: vec![None; model.targets.len()], notes: Vec::new() }
    }
}

/// Read outcomes for `model` from a long table: the `indicator` column holds a scenario
/// indicator id and `year` a year from the base year to the end year; a row with a `target`
/// column gives that target's realised tested quantity directly.
pub fn outcomes_from_table(model: &Model, table: &Table) -> Result<Outcomes, LoadError> {
    let n_years = model.n_years();
    let mut values = vec![f64::NAN; model.indicators.len() * n_years];
    let mut given_at: BTreeMap<usize, usize> = BTreeMap::new();
    let mut direct: Vec<Option<f64>> = vec![None; model.targets.len()];
    // Line of the row that gave each target's realised value.
    let mut direct_at: Vec<Option<usize>> = vec![None; model.targets.len()];
    let mut diagnostics = Vec::new();
    let (mut other_years, mut periods, mut gaps) = (0, 0, 0);
    for row in &table.rows {
        if let Some(target) = &row.target {
            let Some(t) = model.targets.iter().position(|x| x.id == target.text) else {
                let hint = did_you_mean(&target.text, model.targets.iter().map(|t| t.id.as_str()))
                    .unwrap_or_else(|| "the target column holds target ids of the scenario".into());
                diagnostics.push(
                    table
                        .diagnostic(target.span.clone(), format!("the scenario has no target \"{}\"", target.text))
                        .help(hint),
                );
                continue;
            };
            if !row.indicator.text.is_empty() {
                diagnostics.push(
                    table
                        .diagnostic(
                            row.indicator.span.clone(),
                            format!(
                                "this row names both the indicator \"{}\" and the target \"{}\"",
                                row.indicator.text, target.text
                            ),
                        )
                        .help("a row gives either an indicator's value in a year or a target's tested quantity: empty one of the two columns"),
                );
                continue;
            }
            let v = match row.value {
                Value::Number(v) => v,
                Value::Gap => {
                    gaps += 1;
                    continue;
                }
            };
            match (direct[t], direct_at[t]) {
                (Some(before), Some(line)) if before.to_bits() != v.to_bits() => diagnostics.push(
                    table
                        .diagnostic(
                            row.value_span.clone(),
                            format!(
                                "target {} is {} here but {} on line {line}",
                                target.text,
                                crate::numbers::shown(v),
                                crate::numbers::shown(before)
                            ),
                        )
                        .help("keep one realised value per target"),
                ),
                (Some(_), _) => {}
                (None, _) => {
                    direct[t] = Some(v);
                    direct_at[t] = Some(row.line);
                }
            }
            continue;
        }
        let Some(i) = model.indicator_index(&row.indicator.text) else {
            let hint = did_you_mean(&row.indicator.text, model.indicators.iter().map(|i| i.id.as_str()))
                .unwrap_or_else(|| "in an outcome file the indicator column holds scenario indicator ids".into());
            diagnostics.push(
                table
                    .diagnostic(
                        row.indicator.span.clone(),
                        format!("the scenario has no indicator \"{}\"", row.indicator.text),
                    )
                    .help(hint),
            );
            continue;
        };
        let year = match row.period {
            Period::Year(y) => y,
            Period::Other(_) => {
                periods += 1;
                continue;
            }
        };
        if year < model.base_year || year > model.end_year {
            other_years += 1;
            continue;
        }
        let v = match row.value {
            Value::Number(v) => v,
            Value::Gap => {
                gaps += 1;
                continue;
            }
        };
        let cell = i * n_years + (year - model.base_year) as usize;
        if let Some(line) = given_at.get(&cell) {
            if values[cell] != v {
                diagnostics.push(
                    table
                        .diagnostic(
                            row.value_span.clone(),
                            format!(
                                "{} {year} is {} here but {} on line {line}",
                                row.indicator.text,
                                crate::numbers::shown(v),
                                crate::numbers::shown(values[cell])
                            ),
                        )
                        .help("keep one realised value per indicator and year"),
                );
            }
            continue;
        }
        given_at.insert(cell, row.line);
        values[cell] = v;
    }
    if !diagnostics.is_empty() {
        return Err(table.error(diagnostics));
    }
    let mut notes = Vec::new();
    if other_years > 0 {
        notes.push(format!("{other_years} rows outside {}–{} not used", model.base_year, model.end_year));
    }
    if periods > 0 {
        notes.push(format!("{periods} rows for periods other than a year not used"));
    }
    if gaps > 0 {
        notes.push(format!("{gaps} rows marked as gaps"));
    }
    Ok(Outcomes { values, direct, notes })
}

/// The forecast: the scenario's simulated paths, condensed.
#[derive(Debug, Clone)]
pub struct Forecast {
    pub accumulator: Accumulator,
    pub summary: Summary,
}

/// Simulate the scenario (exactly as `feasim run` does with the same paths and seed).
pub fn forecast(model: &Model, paths: u64, seed: u64, progress: &(dyn Fn(u64) + Sync)) -> Forecast {
    let accumulator = engine::accumulate(model, seed, 0..paths, progress);
    let summary = Summary::from_accumulator(model, &accumulator, seed);
    Forecast { accumulator, summary }
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetScore {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub region: String,
    pub metric: String,
    pub comparator: String,
    pub threshold: f64,
    pub unit: String,
    pub probability: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub realised: f64,
    /// Whether `realised` came from a `target` row rather than from indicator outcomes.
    pub realised_given: bool,
    pub hit: bool,
    pub brier: f64,
    pub log_score: f64,
    /// Percentile of the realised quantity in the forecast distribution (0–1); `None` when no
    /// simulated path gave a finite value.
    pub pit: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Unscored {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReliabilityBin {
    pub low: f64,
    pub high: f64,
    pub targets: usize,
    pub mean_forecast: f64,
    pub hits: usize,
    pub observed: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Overall {
    pub scored: usize,
    pub unscored: usize,
    pub hits: usize,
    pub expected_hits: f64,
    pub brier: f64,
    pub brier_baseline: f64,
    pub brier_skill: f64,
    pub log_score: f64,
    pub log_score_baseline: f64,
    /// `Σ(o − p) / √Σ p(1−p)`: standard normal under calibration with independent targets.
    pub calibration_z: f64,
    /// `Σ_bins (O − E)² / Σ p(1−p)`, chi-square with `chi_square_df` df under calibration.
    pub chi_square: f64,
    pub chi_square_df: usize,
    pub chi_square_p: f64,
    /// Kolmogorov–Smirnov distance of the PITs from the uniform distribution.
    pub pit_ks: f64,
    pub pit_count: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScoreReport {
    pub feasim_version: String,
    pub scenario: ScenarioInfo,
    pub run: RunInfo,
    pub baseline_probability: f64,
    pub log_score_floor: String,
    pub overall: Overall,
    pub targets: Vec<TargetScore>,
    pub unscored: Vec<Unscored>,
    pub reliability: Vec<ReliabilityBin>,
    /// PIT histogram: `BINS` equal bins on [0, 1].
    pub pit_counts: Vec<usize>,
    pub notes: Vec<String>,
}

/// Score the forecast of `model` against `outcomes`.
pub fn score(model: &Model, forecast: &Forecast, outcomes: &Outcomes) -> ScoreReport {
    let n_years = model.n_years();
    let values = realised_values(model, outcomes);
    let paths = forecast.accumulator.paths;
    let (mut series, mut versus) = (Vec::new(), Vec::new());
    let mut targets = Vec::new();
    let mut unscored = Vec::new();
    for (t, target) in model.targets.iter().enumerate() {
        let summary = &forecast.summary.targets[t];
        let (realised, given) = match outcomes.direct[t] {
            Some(v) => (v, true),
            None => (path::target_value(target, &values, n_years, &mut series, &mut versus), false),
        };
        if !realised.is_finite() {
            let missing = missing_cells(model, target, &values);
            let reason = if missing.is_empty() {
                "the realised value is not a finite number (e.g. growth of a level at zero)".to_string()
            } else {
                format!("no outcome for {}", missing.join(", "))
            };
            unscored.push(Unscored {
                id: target.id.clone(),
                label_zh: target.label_zh.clone(),
                label_en: target.label_en.clone(),
                reason,
            });
            continue;
        }
        let hits = forecast.accumulator.hits[t];
        let p = summary.probability;
        let hit = target.test().holds(realised);
        let o = if hit { 1.0 } else { 0.0 };
        let smoothed = (hits as f64 + 0.5) / (paths as f64 + 1.0);
        let sketch = &*forecast.accumulator.metric(t);
        let valid = sketch.count();
        let pit = (valid > 0).then(|| {
            let below = sketch.count_below(realised);
            let at_most = if sketch.is_integer_valued() { sketch.count_below(realised + 0.5) } else { below };
            (0.5 * (below + at_most) / valid as f64).clamp(0.0, 1.0)
        });
        targets.push(TargetScore {
            id: target.id.clone(),
            label_zh: target.label_zh.clone(),
            label_en: target.label_en.clone(),
            region: target.region.clone(),
            metric: summary.metric.clone(),
            comparator: summary.comparator.clone(),
            threshold: target.threshold,
            unit: target.unit.clone(),
            probability: p,
            ci_low: summary.ci_low,
            ci_high: summary.ci_high,
            realised,
            realised_given: given,
            hit,
            brier: (p - o).powi(2),
            log_score: if hit { smoothed.ln() } else { (1.0 - smoothed).ln() },
            pit,
        });
    }
    let overall = overall(&targets, unscored.len());
    let mut notes = outcomes.notes.clone();
    if targets.len() < 30 {
        notes.push(format!(
            "{} scored targets: the calibration statistics have little power; one realised year of one plan is a small sample",
            targets.len()
        ));
    }
    notes.push("targets of one scenario share indicators and paths, so they are not independent: the z and chi-square tests assume they are".into());
    ScoreReport {
        feasim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: forecast.summary.scenario.clone(),
        run: forecast.summary.run.clone(),
        baseline_probability: BASELINE_PROBABILITY,
        log_score_floor: format!(
            "log score uses p = (hits + 0.5)/(paths + 1), so the worst possible score is ln(0.5/{}) = {:.2}",
            paths + 1,
            (0.5 / (paths as f64 + 1.0)).ln()
        ),
        overall,
        reliability: reliability(&targets),
        pit_counts: pit_histogram(&targets),
        targets,
        unscored,
        notes,
    }
}

/// Outcomes filled with the published bases and with derived indicators computed from their
/// inputs wherever they were not given themselves.
fn realised_values(model: &Model, outcomes: &Outcomes) -> Vec<f64> {
    let n_years = model.n_years();
    let mut values = outcomes.values.clone();
    for (i, indicator) in model.indicators.iter().enumerate() {
        if let Base::Known { value, .. } = indicator.base
            && values[i * n_years].is_nan()
        {
            values[i * n_years] = value;
        }
    }
    let mut stack = Vec::new();
    for year in 0..n_years {
        for &i in &model.derived_order {
            if let Process::Derived { expr } = &model.indicators[i].process
                && values[i * n_years + year].is_nan()
            {
                let v = expr.eval(|j| values[j * n_years + year], |j| values[j * n_years], &mut stack);
                values[i * n_years + year] = v;
            }
        }
    }
    values
}

/// The indicator-years a target reads that have no value, as `id year`.
fn missing_cells(model: &Model, target: &crate::model::Target, values: &[f64]) -> Vec<String> {
    let n_years = model.n_years();
    let cells = target.reads();
    let mut out = Vec::new();
    for (i, y) in cells {
        let text = format!("{} {}", model.indicators[i].id, model.base_year + y as i32);
        if values[i * n_years + y].is_nan() && !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

fn bin_of(p: f64) -> usize {
    ((p * BINS as f64).floor() as usize).min(BINS - 1)
}

fn reliability(targets: &[TargetScore]) -> Vec<ReliabilityBin> {
    (0..BINS)
        .map(|b| {
            let members: Vec<&TargetScore> = targets.iter().filter(|t| bin_of(t.probability) == b).collect();
            let n = members.len();
            let hits = members.iter().filter(|t| t.hit).count();
            let (ci_low, ci_high) = wilson(hits as u64, n as u64);
            ReliabilityBin {
                low: b as f64 / BINS as f64,
                high: (b + 1) as f64 / BINS as f64,
                targets: n,
                mean_forecast: if n > 0 {
                    members.iter().map(|t| t.probability).sum::<f64>() / n as f64
                } else {
                    f64::NAN
                },
                hits,
                observed: if n > 0 { hits as f64 / n as f64 } else { f64::NAN },
                ci_low,
                ci_high,
            }
        })
        .collect()
}

fn pit_histogram(targets: &[TargetScore]) -> Vec<usize> {
    let mut counts = vec![0; BINS];
    for pit in targets.iter().filter_map(|t| t.pit) {
        counts[bin_of(pit)] += 1;
    }
    counts
}

fn overall(targets: &[TargetScore], unscored: usize) -> Overall {
    let n = targets.len();
    let nf = n as f64;
    let mean = |f: &dyn Fn(&TargetScore) -> f64| if n > 0 { targets.iter().map(f).sum::<f64>() / nf } else { f64::NAN };
    let brier = mean(&|t| t.brier);
    let brier_baseline = mean(&|t| (BASELINE_PROBABILITY - if t.hit { 1.0 } else { 0.0 }).powi(2));
    let variance: f64 = targets.iter().map(|t| t.probability * (1.0 - t.probability)).sum();
    let excess: f64 = targets.iter().map(|t| if t.hit { 1.0 } else { 0.0 } - t.probability).sum();
    let mut chi_square = 0.0;
    let mut df = 0;
    for b in 0..BINS {
        let members: Vec<&TargetScore> = targets.iter().filter(|t| bin_of(t.probability) == b).collect();
        if members.is_empty() {
            continue;
        }
        let observed = members.iter().filter(|t| t.hit).count() as f64;
        let expected: f64 = members.iter().map(|t| t.probability).sum();
        let var: f64 = members.iter().map(|t| t.probability * (1.0 - t.probability)).sum();
        if var > 0.0 {
            chi_square += (observed - expected).powi(2) / var;
            df += 1;
        }
    }
    let chi_square_p = if df > 0 { chi_square_upper(chi_square, df as f64) } else { f64::NAN };
    let mut pits: Vec<f64> = targets.iter().filter_map(|t| t.pit).collect();
    pits.sort_by(f64::total_cmp);
    let pit_ks = ks_uniform(&pits);
    Overall {
        scored: n,
        unscored,
        hits: targets.iter().filter(|t| t.hit).count(),
        expected_hits: targets.iter().map(|t| t.probability).sum(),
        brier,
        brier_baseline,
        brier_skill: if n > 0 { 1.0 - brier / brier_baseline } else { f64::NAN },
        log_score: mean(&|t| t.log_score),
        log_score_baseline: BASELINE_PROBABILITY.ln(),
        calibration_z: if variance > 0.0 { excess / variance.sqrt() } else { f64::NAN },
        chi_square,
        chi_square_df: df,
        chi_square_p,
        pit_ks,
        pit_count: pits.len(),
    }
}

/// `P(χ²_df > x)`.
fn chi_square_upper(x: f64, df: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    ChiSquared::new(df).map_or(f64::NAN, |d| d.sf(x))
}

/// Kolmogorov–Smirnov distance of sorted values in [0, 1] from the uniform distribution.
pub fn ks_uniform(sorted: &[f64]) -> f64 {
    let n = sorted.len() as f64;
    sorted.iter().enumerate().map(|(i, &u)| (u - i as f64 / n).max((i + 1) as f64 / n - u)).fold(0.0, f64::max)
}

impl ScoreReport {
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// One row per target, scored or not.
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "id",
            "label_zh",
            "status",
            "probability",
            "ci_low",
            "ci_high",
            "comparator",
            "threshold",
            "realised",
            "hit",
            "brier",
            "log_score",
            "pit",
            "reason",
        ])?;
        let num = |v: f64| if v.is_finite() { format!("{v}") } else { String::new() };
        for t in &self.targets {
            w.write_record([
                t.id.clone(),
                t.label_zh.clone(),
                "scored".into(),
                num(t.probability),
                num(t.ci_low),
                num(t.ci_high),
                t.comparator.clone(),
                num(t.threshold),
                num(t.realised),
                if t.hit { "1".into() } else { "0".into() },
                num(t.brier),
                num(t.log_score),
                t.pit.map_or(String::new(), num),
                String::new(),
            ])?;
        }
        for u in &self.unscored {
            let mut row = vec![u.id.clone(), u.label_zh.clone(), "unscored".into()];
            row.extend(std::iter::repeat_n(String::new(), 10));
            row.push(u.reason.clone());
            w.write_record(row)?;
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// The terminal table.
    pub fn render(&self, width: Option<u16>) -> String {
        use comfy_table::{CellAlignment, ContentArrangement, Table as Grid, presets::UTF8_FULL_CONDENSED};
        let mut grid = Grid::new();
        grid.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(w) = width {
            grid.set_width(w);
        }
        grid.set_header(["ID", "Target", "Test", "P(hit)", "realised", "hit", "Brier", "log", "PIT"]);
        for t in &self.targets {
            grid.add_row([
                t.id.clone(),
                if t.label_zh.is_empty() { t.label_en.clone() } else { t.label_zh.clone() },
                format!("{} {}", t.comparator, crate::analysis::sensitivity::fmt_number(t.threshold)),
                format!("{:.1}%", 100.0 * t.probability),
                crate::analysis::sensitivity::fmt_number(t.realised),
                if t.hit { "yes".into() } else { "no".into() },
                format!("{:.3}", t.brier),
                format!("{:.2}", t.log_score),
                t.pit.map_or("n/a".into(), |p| format!("{:.2}", p)),
            ]);
        }
        for c in 3..9 {
            if let Some(col) = grid.column_mut(c) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        let o = &self.overall;
        let mut out = format!("{grid}\n");
        for u in &self.unscored {
            out.push_str(&format!("unscored {}: {}\n", u.id, u.reason));
        }
        out.push_str(&format!(
            "{} targets scored ({} unscored): {} hit, {:.1} expected\n\
             Brier {:.4} (always-50% baseline {:.4}; skill {:+.3}); log score {:.3} (baseline {:.3})\n\
             calibration z {:+.2}; chi-square {:.2} on {} df (p = {:.3}); PIT KS distance {:.3} over {} targets\n",
            o.scored,
            o.unscored,
            o.hits,
            o.expected_hits,
            o.brier,
            o.brier_baseline,
            o.brier_skill,
            o.log_score,
            o.log_score_baseline,
            o.calibration_z,
            o.chi_square,
            o.chi_square_df,
            o.chi_square_p,
            o.pit_ks,
            o.pit_count
        ));
        out.push_str("reliability: forecast bin, targets, mean forecast, observed [95% interval]\n");
        for b in self.reliability.iter().filter(|b| b.targets > 0) {
            out.push_str(&format!(
                "  {:>3.0}–{:<3.0}% {:>4}  {:>5.1}%  {:>5.1}% [{:.0}%, {:.0}%]\n",
                100.0 * b.low,
                100.0 * b.high,
                b.targets,
                100.0 * b.mean_forecast,
                100.0 * b.observed,
                100.0 * b.ci_low,
                100.0 * b.ci_high
            ));
        }
        for n in &self.notes {
            out.push_str(&format!("note: {n}\n"));
        }
        out
    }
}
