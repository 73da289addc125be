//! The smallest model that still computes some targets exactly as the whole model does: what
//! analyses simulate when they only need a few targets.
//!
//! Kept: the indicators the targets read, everything their derived indicators read (also through
//! `base(...)`), and every indicator whose shocks are correlated with a kept one (the whole
//! connected block of the correlation graph). Random streams are keyed by indicator id and the
//! Cholesky factor of a union of whole blocks equals the corresponding entries of the full
//! factor (entries across blocks are exact zeros), so every kept indicator draws exactly the
//! same numbers as in the whole model: target values are identical bit for bit.

use super::{Condition, Metric, Model, Process};
use crate::model::correlation::CorrelationMatrix;

impl Metric {
    fn remapped(&self, map: &[Option<usize>]) -> Metric {
        let m = |i: &usize| map[*i].expect("a kept metric reads only kept indicators");
        match self {
            Metric::Value { indicator, year } => Metric::Value { indicator: m(indicator), year: *year },
            Metric::Share { numerator, denominator, year } => {
                Metric::Share { numerator: m(numerator), denominator: m(denominator), year: *year }
            }
            Metric::Cagr { indicator, from, to } => Metric::Cagr { indicator: m(indicator), from: *from, to: *to },
            Metric::GrowthEveryYear { indicator, from, to } => {
                Metric::GrowthEveryYear { indicator: m(indicator), from: *from, to: *to }
            }
            Metric::CumulativeGrowth { indicator, from, to } => {
                Metric::CumulativeGrowth { indicator: m(indicator), from: *from, to: *to }
            }
            Metric::Change { indicator, from, to } => Metric::Change { indicator: m(indicator), from: *from, to: *to },
            Metric::ChangeEveryYear { indicator, from, to } => {
                Metric::ChangeEveryYear { indicator: m(indicator), from: *from, to: *to }
            }
            Metric::Rank { indicator, year, competitors } => {
                Metric::Rank { indicator: m(indicator), year: *year, competitors: competitors.iter().map(m).collect() }
            }
            Metric::ValueEveryYear { indicator, from, to } => {
                Metric::ValueEveryYear { indicator: m(indicator), from: *from, to: *to }
            }
            Metric::Sum { indicator, from, to } => Metric::Sum { indicator: m(indicator), from: *from, to: *to },
            Metric::SincePast { indicator, measure, past_year, past, to, years } => Metric::SincePast {
                indicator: m(indicator),
                measure: *measure,
                past_year: *past_year,
                past: *past,
                to: *to,
                years: *years,
            },
            Metric::AllOf(conditions) => Metric::AllOf(
                conditions
                    .iter()
                    .map(|c| Condition {
                        metric: c.metric.remapped(map),
                        versus: c.versus.as_ref().map(|v| v.remapped(map)),
                        test: c.test,
                        unit: c.unit.clone(),
                    })
                    .collect(),
            ),
        }
    }
}

impl Model {
    /// Which indicators targets `keep` need, as a mask over `self.indicators`.
    pub fn needed_by(&self, keep: &[usize]) -> Vec<bool> {
        let n = self.indicators.len();
        let mut needed = vec![false; n];
        let mut stack: Vec<usize> = Vec::new();
        for &t in keep {
            stack.extend(self.targets[t].indicators());
        }
        let close = |stack: &mut Vec<usize>, needed: &mut Vec<bool>| {
            while let Some(i) = stack.pop() {
                if needed[i] {
                    continue;
                }
                needed[i] = true;
                if let Process::Derived { expr } = &self.indicators[i].process {
                    stack.extend(expr.reads().iter().chain(expr.base_reads()));
                }
            }
        };
        close(&mut stack, &mut needed);
        // Whole correlation blocks: union-find over the stochastic indicators.
        if let Some(matrix) = &self.correlation {
            let m = self.stochastic.len();
            let mut parent: Vec<usize> = (0..m).collect();
            fn root(parent: &mut [usize], mut a: usize) -> usize {
                while parent[a] != a {
                    parent[a] = parent[parent[a]];
                    a = parent[a];
                }
                a
            }
            for a in 0..m {
                for b in a + 1..m {
                    if matrix[a * m + b] != 0.0 {
                        let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
                        parent[ra] = rb;
                    }
                }
            }
            let mut block_needed = vec![false; m];
            for (k, &i) in self.stochastic.iter().enumerate() {
                if needed[i] {
                    let r = root(&mut parent, k);
                    block_needed[r] = true;
                }
            }
            for (k, &i) in self.stochastic.iter().enumerate() {
                if block_needed[root(&mut parent, k)] {
                    needed[i] = true;
                }
            }
        }
        needed
    }

    /// The model restricted to targets `keep` (in that order) and the indicators they need.
    pub fn restricted(&self, keep: &[usize]) -> Model {
        let needed = self.needed_by(keep);
        let mut map: Vec<Option<usize>> = vec![None; self.indicators.len()];
        let mut next = 0;
        for (i, &n) in needed.iter().enumerate() {
            if n {
                map[i] = Some(next);
                next += 1;
            }
        }
        let indicators = self
            .indicators
            .iter()
            .enumerate()
            .filter(|(i, _)| needed[*i])
            .map(|(_, ind)| {
                let mut ind = ind.clone();
                if let Process::Derived { expr } = &ind.process {
                    ind.process = Process::Derived { expr: expr.remapped(&map) };
                }
                ind
            })
            .collect();
        let kept_stochastic: Vec<usize> = (0..self.stochastic.len()).filter(|&k| needed[self.stochastic[k]]).collect();
        let stochastic = kept_stochastic.iter().filter_map(|&k| map[self.stochastic[k]]).collect();
        let (correlation, cholesky) = match &self.correlation {
            Some(full) => {
                let m = self.stochastic.len();
                let s = kept_stochastic.len();
                let mut sub = vec![0.0; s * s];
                for (a, &ka) in kept_stochastic.iter().enumerate() {
                    for (b, &kb) in kept_stochastic.iter().enumerate() {
                        sub[a * s + b] = full[ka * m + kb];
                    }
                }
                let cholesky = CorrelationMatrix::from_row_major(s, sub.clone()).ok().and_then(|c| c.cholesky().ok());
                match cholesky {
                    Some(l) => (Some(sub), Some(l)),
                    // A sub-block of a valid matrix is valid; this is unreachable in practice.
                    None => (self.correlation.clone(), self.cholesky.clone()),
                }
            }
            None => (None, None),
        };
        let targets: Vec<_> = keep
            .iter()
            .map(|&t| {
                let mut target = self.targets[t].clone();
                target.metric = target.metric.remapped(&map);
                target.versus = target.versus.as_ref().map(|v| v.remapped(&map));
                target
            })
            .collect();
        let mut regions: Vec<String> = Vec::new();
        for t in &targets {
            if !regions.contains(&t.region) {
                regions.push(t.region.clone());
            }
        }
        Model {
            indicators,
            stochastic,
            correlation,
            cholesky,
            derived_order: self.derived_order.iter().filter_map(|&i| map[i]).collect(),
            targets,
            regions,
            ..self.clone()
        }
    }
}
