//! Side-by-side probabilities of two or more scenarios (the first is the baseline), with the
//! paired difference of every other scenario against it.
//!
//! All scenarios are simulated on the same paths with the same seed (common random numbers):
//! streams are keyed by indicator id, so an indicator the scenarios share draws the same numbers
//! in each, and the interval of a difference reflects the scenarios' disagreement only.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::sensitivity::{fmt_difference, scenario_info};
use crate::engine;
use crate::model::Model;
use crate::summary::{PairedDifference, Probability, RunInfo, ScenarioInfo};

/// Everything `feasim compare` found, as written to `compare.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompareReport {
    pub feasim_version: String,
    pub run: RunInfo,
    /// The scenarios compared, baseline first.
    pub scenarios: Vec<ScenarioInfo>,
    /// The baseline's targets in its order, then targets only other scenarios have.
    pub targets: Vec<CompareTarget>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompareTarget {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    /// One entry per scenario (baseline first); `None` where a scenario lacks the target.
    pub scenarios: Vec<Option<CompareCell>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompareCell {
    pub probability: Probability,
    /// Against the baseline (paired); `None` for the baseline itself and where it lacks the target.
    pub difference: Option<PairedDifference>,
}

/// Whether every scenario has the baseline's base and end years (`names`: the files, for the
/// message). A target of another span tests other years, and the same indicator id draws its
/// shocks for other calendar years: `feasim compare` refuses unless `--allow-different-years`.
pub fn same_years(models: &[&Model], names: &[String]) -> Result<(), String> {
    let Some(first) = models.first() else { return Ok(()) };
    let name = |k: usize| names.get(k).cloned().unwrap_or_else(|| models[k].name.clone());
    for (k, m) in models.iter().enumerate().skip(1) {
        if (m.base_year, m.end_year) != (first.base_year, first.end_year) {
            return Err(format!(
                "{} runs {}–{} but the baseline {} runs {}–{}; compare scenarios over the same years, \
                 or pass --allow-different-years if that is what you mean",
                name(k),
                m.base_year,
                m.end_year,
                name(0),
                first.base_year,
                first.end_year
            ));
        }
    }
    Ok(())
}

/// Simulate `models` (baseline first) on the same `paths` paths.
pub fn compare(models: &[&Model], paths: u64, seed: u64, progress: &(dyn Fn(u64) + Sync)) -> CompareReport {
    let acc = engine::accumulate_paired(models, seed, 0..paths, progress);
    let n = acc.paths;
    let mut ids: Vec<(String, String, String)> = Vec::new();
    for m in models {
        for t in &m.targets {
            if !ids.iter().any(|(id, _, _)| *id == t.id) {
                ids.push((t.id.clone(), t.label_zh.clone(), t.label_en.clone()));
            }
        }
    }
    let in_baseline = |id: &str| models.first().is_some_and(|b| b.targets.iter().any(|t| t.id == id));
    let targets = ids
        .into_iter()
        .map(|(id, label_zh, label_en)| {
            let scenarios = models
                .iter()
                .enumerate()
                .map(|(v, m)| {
                    let t = m.targets.iter().position(|t| t.id == id)?;
                    Some(CompareCell {
                        probability: Probability::new(acc.hits[v][t], n),
                        difference: (v > 0 && in_baseline(&id))
                            .then(|| PairedDifference::new(acc.gained[v][t], acc.lost[v][t], n)),
                    })
                })
                .collect();
            CompareTarget { id, label_zh, label_en, scenarios }
        })
        .collect();
    CompareReport {
        feasim_version: env!("CARGO_PKG_VERSION").to_string(),
        run: RunInfo { paths, seed, sampling: Default::default() },
        scenarios: models.iter().map(|m| scenario_info(m)).collect(),
        targets,
    }
}

impl CompareReport {
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(self)
    }

    /// One row per target and scenario.
    pub fn to_csv(&self) -> anyhow::Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record([
            "target",
            "target_label_zh",
            "target_label_en",
            "scenario",
            "scenario_title",
            "hits",
            "probability",
            "ci_low",
            "ci_high",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
        ])?;
        for t in &self.targets {
            for (s, cell) in self.scenarios.iter().zip(&t.scenarios) {
                let Some(c) = cell else { continue };
                let f = |v: f64| v.to_string();
                let d = |g: fn(&PairedDifference) -> f64| c.difference.as_ref().map_or(String::new(), |x| f(g(x)));
                w.write_record([
                    t.id.clone(),
                    t.label_zh.clone(),
                    t.label_en.clone(),
                    s.name.clone(),
                    s.title.clone(),
                    c.probability.hits.to_string(),
                    f(c.probability.probability),
                    f(c.probability.ci_low),
                    f(c.probability.ci_high),
                    d(|x| x.difference),
                    d(|x| x.ci_low),
                    d(|x| x.ci_high),
                ])?;
            }
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Terminal table: per target the probability in each scenario and the differences (pp).
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Scenario names are often long and alike (a base and its variants): a legend, then
        // short column letters.
        let letter = |k: usize| char::from(b'A' + (k % 26) as u8);
        for (k, s) in self.scenarios.iter().enumerate() {
            let role = if k == 0 { " (baseline)" } else { "" };
            let _ = writeln!(out, "[{}] {}{role}", letter(k), s.name);
        }
        let _ = write!(out, "{:<12}", "target");
        for (k, _) in self.scenarios.iter().enumerate() {
            let _ = write!(out, "{:>8}", letter(k));
            if k > 0 {
                let _ = write!(out, "  {:<24}", format!("Δ {}−A pp [95% CI]", letter(k)));
            }
        }
        out.push('\n');
        for t in &self.targets {
            let _ = write!(out, "{:<12}", truncate(&t.id, 11));
            for (k, cell) in t.scenarios.iter().enumerate() {
                match cell {
                    Some(c) => {
                        let _ = write!(out, "{:>7.1}%", 100.0 * c.probability.probability);
                    }
                    None => {
                        let _ = write!(out, "{:>8}", "—");
                    }
                }
                if k > 0 {
                    let d = cell.as_ref().and_then(|c| c.difference.as_ref()).map_or("—".to_string(), fmt_difference);
                    let _ = write!(out, "  {d:<24}");
                }
            }
            out.push('\n');
        }
        out
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { s.chars().take(n - 1).collect::<String>() + "…" }
}
