//! Feasibility curves: the probability of each affected target as one assumption moves over a
//! grid of values, with the 95% Wilson interval of every point.
//!
//! Every grid point of every swept parameter is a variant of one call of
//! [`crate::engine::accumulate_paired`], so all points are simulated on the same paths (common
//! random numbers): the curve is smooth and, where the model is monotone in the parameter,
//! monotone — its steps come from paths crossing the threshold, not from noise.

use std::fmt::Write as _;
use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::params::{self, Param};
use super::sensitivity::{TargetBaseline, affected_targets, fmt_number, scenario_info, target_baselines};
use crate::engine;
use crate::model::Model;
use crate::summary::{PairedAccumulator, PairedDifference, Probability, RunInfo, ScenarioInfo};

/// Default number of grid points.
pub const DEFAULT_STEPS: usize = 11;

/// One parameter to sweep from `from` to `to` in `steps` equally spaced values.
#[derive(Debug, Clone)]
pub struct SweepSpec {
    pub param: Param,
    pub from: f64,
    pub to: f64,
    pub steps: usize,
}

impl SweepSpec {
    /// The grid: `steps` values from `from` to `to`, both included (one value: `from`).
    pub fn grid(&self) -> Vec<f64> {
        if self.steps <= 1 {
            return vec![self.from];
        }
        let last = (self.steps - 1) as f64;
        (0..self.steps)
            .map(|k| if k + 1 == self.steps { self.to } else { self.from + (self.to - self.from) * k as f64 / last })
            .collect()
    }
}

/// Everything `feasim sweep` found, as written to `sweep.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SweepReport {
    pub feasim_version: String,
    pub scenario: ScenarioInfo,
    pub run: RunInfo,
    pub targets: Vec<TargetBaseline>,
    pub sweeps: Vec<ParamSweep>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ParamSweep {
    pub param: String,
    /// The assumption in words (indicator label and kind), for charts and tables.
    #[serde(default)]
    pub label_zh: String,
    #[serde(default)]
    pub label_en: String,
    pub kind: String,
    pub unit: String,
    /// The value in the scenario as written.
    pub value: f64,
    pub values: Vec<f64>,
    /// One curve per target the parameter can affect.
    pub curves: Vec<SweepCurve>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SweepCurve {
    pub target: String,
    pub baseline: Probability,
    /// One point per value of the grid.
    pub points: Vec<SweepPoint>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SweepPoint {
    pub value: f64,
    /// P(hit) with its Wilson interval.
    pub probability: Probability,
    /// P(hit) − P(hit under the scenario as written), paired.
    pub difference: PairedDifference,
}

/// What a sweep simulates: the model restricted to the targets its parameters can move (and what
/// those targets need), the specs' parameters found again in it, and one variant of it per grid
/// value of every spec, in spec then grid order. Built the same way by `feasim sweep`, its shards
/// and their merge.
#[derive(Debug, Clone)]
pub struct SweepPlan {
    /// The scenario restricted to the affected targets: it computes them bit for bit as the whole
    /// model does.
    pub model: Model,
    /// The specs, their parameters found in [`SweepPlan::model`].
    pub specs: Vec<SweepSpec>,
    /// One model per grid value of every spec.
    pub variants: Vec<Model>,
}

impl SweepPlan {
    /// The plan of sweeping `specs` (parameters of `model`).
    pub fn new(model: &Model, specs: &[SweepSpec]) -> Result<Self, String> {
        // Simulate only the targets the parameters can move, and what those targets need: the
        // restricted model computes them bit for bit as the whole model does.
        let mut keep: Vec<usize> = Vec::new();
        for spec in specs {
            let affected = affected_targets(model, &spec.param);
            if affected.is_empty() {
                return Err(super::sensitivity::moves_nothing(model, &spec.param, None));
            }
            keep.extend(affected);
        }
        keep.sort_unstable();
        keep.dedup();
        let restricted = model.restricted(&keep);
        let specs = specs
            .iter()
            .map(|s| {
                Ok(SweepSpec { param: params::find(&restricted, &s.param.id)?, from: s.from, to: s.to, steps: s.steps })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut variants = Vec::new();
        for spec in &specs {
            for v in spec.grid() {
                variants.push(params::with_value(&restricted, &spec.param, v)?);
            }
        }
        Ok(SweepPlan { model: restricted, specs, variants })
    }

    /// The models simulated on every path: the baseline, then the variants.
    pub fn models(&self) -> Vec<&Model> {
        std::iter::once(&self.model).chain(self.variants.iter()).collect()
    }

    /// Simulate the paths `paths` (of a sweep with `seed`) of the baseline and every variant.
    /// Counts of disjoint ranges merge into those of their union.
    pub fn simulate(&self, seed: u64, paths: Range<u64>, progress: &(dyn Fn(u64) + Sync)) -> PairedAccumulator {
        engine::accumulate_paired(&self.models(), seed, paths, progress)
    }

    /// The report of a sweep of `paths` paths with `seed` whose counts are `acc`: a pure function
    /// of its arguments, so the single run and the merge of its shards write the same bytes.
    pub fn report(&self, acc: &PairedAccumulator, paths: u64, seed: u64) -> SweepReport {
        report(&self.model, &self.specs, acc, paths, seed)
    }
}

/// Simulate every grid point of every spec on the same `paths` paths.
pub fn run(
    model: &Model,
    specs: &[SweepSpec],
    paths: u64,
    seed: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<SweepReport, String> {
    let plan = SweepPlan::new(model, specs)?;
    let acc = plan.simulate(seed, 0..paths, progress);
    Ok(plan.report(&acc, paths, seed))
}

/// The report of the sweep of `specs` on `model` (the plan's restricted model and specs) from the
/// counts `acc` of the baseline and of the variants in plan order, for a run of `paths` paths
/// with `seed`.
pub fn report(model: &Model, specs: &[SweepSpec], acc: &PairedAccumulator, paths: u64, seed: u64) -> SweepReport {
    let n = acc.paths;
    let mut next = 1;
    let mut sweeps = Vec::new();
    for spec in specs {
        let grid = spec.grid();
        let first = next;
        next += grid.len();
        let curves = affected_targets(model, &spec.param)
            .into_iter()
            .map(|t| SweepCurve {
                target: model.targets[t].id.clone(),
                baseline: Probability::new(acc.hits[0][t], n),
                points: grid
                    .iter()
                    .enumerate()
                    .map(|(k, &value)| {
                        let v = first + k;
                        SweepPoint {
                            value,
                            probability: Probability::new(acc.hits[v][t], n),
                            difference: PairedDifference::new(acc.gained[v][t], acc.lost[v][t], n),
                        }
                    })
                    .collect(),
            })
            .collect();
        let label = spec.param.label(model);
        sweeps.push(ParamSweep {
            param: spec.param.id.clone(),
            label_zh: label.zh,
            label_en: label.en,
            kind: spec.param.kind.name().to_string(),
            unit: spec.param.unit.clone(),
            value: spec.param.value,
            values: grid,
            curves,
        });
    }
    SweepReport {
        feasim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario_info(model),
        run: RunInfo { paths, seed, sampling: Default::default() },
        targets: target_baselines(model, &acc.hits[0], n),
        sweeps,
    }
}

impl SweepReport {
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// One row per parameter × target × grid value.
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "parameter",
            "parameter_label_zh",
            "parameter_label_en",
            "value",
            "target",
            "target_label_zh",
            "target_label_en",
            "hits",
            "probability",
            "ci_low",
            "ci_high",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
        ])?;
        for s in &self.sweeps {
            for c in &s.curves {
                let target = self.targets.iter().find(|t| t.id == c.target);
                let (target_zh, target_en) =
                    target.map_or((String::new(), String::new()), |t| (t.label_zh.clone(), t.label_en.clone()));
                for p in &c.points {
                    let f = |v: f64| v.to_string();
                    w.write_record([
                        s.param.clone(),
                        s.label_zh.clone(),
                        s.label_en.clone(),
                        f(p.value),
                        c.target.clone(),
                        target_zh.clone(),
                        target_en.clone(),
                        p.probability.hits.to_string(),
                        f(p.probability.probability),
                        f(p.probability.ci_low),
                        f(p.probability.ci_high),
                        f(p.difference.difference),
                        f(p.difference.ci_low),
                        f(p.difference.ci_high),
                    ])?;
                }
            }
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Terminal text: per parameter, a row of P(hit) in percent per affected target.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for s in &self.sweeps {
            let _ = writeln!(out, "{} (as written: {} {})", s.param, fmt_number(s.value), s.unit);
            if s.curves.is_empty() {
                let _ = writeln!(out, "    affects no target");
                continue;
            }
            let _ = write!(out, "    {:<36}", "value →");
            for v in &s.values {
                let _ = write!(out, "{:>9}", fmt_number(*v));
            }
            out.push('\n');
            for c in &s.curves {
                let _ = write!(out, "    {:<36}", c.target);
                for p in &c.points {
                    let _ = write!(out, "{:>8.1}%", 100.0 * p.probability.probability);
                }
                out.push('\n');
            }
        }
        out
    }
}
