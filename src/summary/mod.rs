//! What a run produces: mergeable accumulators filled path by path ([`Accumulator`]), and the
//! serializable result ([`Summary`]) computed from them once at the end.
//!
//! **Invariant:** an accumulator holds only integer counts and exact minima/maxima, so merging
//! is associative and commutative and the summary does not depend on how paths were split
//! across threads or machines. Memory does not grow with the number of paths.

pub(crate) mod exact_f64;
pub mod interval;
pub mod needed;
pub mod paired;
pub mod sketch;

use serde::{Deserialize, Serialize};

use crate::engine::Sampling;
use crate::model::{Base, Metric, Model, Process};
pub use interval::{wilson, wilson_effective, wilson_replicated};
pub use needed::{NeededGrowth, NeededLevel};
pub use paired::{PairedAccumulator, PairedDifference};
pub use sketch::Sketch;

/// Number of bins of each target's histogram in the summary.
pub const HISTOGRAM_BINS: usize = 40;

/// Running totals over a set of paths.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Accumulator {
    pub paths: u64,
    /// Paths hitting each target.
    pub hits: Vec<u64>,
    /// Paths whose target metric was not a finite number (counted as misses).
    pub invalid: Vec<u64>,
    /// Per indicator: paths on which it took an impossible value in some year — not a finite
    /// number, or a level at or below zero (a fall of 100% floors a level at 0; a log-growth
    /// level can underflow to 0 or overflow). Never silent: the summary and the table report it.
    #[serde(default)]
    pub invalid_values: Vec<u64>,
    /// Per indicator: whether it is a level (which must stay positive). From the model.
    #[serde(skip)]
    is_level: Vec<bool>,
    /// Per-target sketches of the tested quantity; read them through [`Accumulator::metric`].
    metrics: Vec<Sketch>,
    /// One sketch per indicator and year, index `indicator * n_years + year`; the base year of an
    /// indicator with a published base is not recorded (it is the same on every path: see
    /// [`Accumulator::indicator`]).
    indicators: Vec<Sketch>,
    /// `hit_counts[k]`: paths on which exactly k targets were hit.
    pub hit_counts: Vec<u64>,
    /// Paths on which every target of a region was hit (regions in model order).
    pub region_all_hit: Vec<u64>,
    pub all_hit: u64,
    /// Per-path sketches of the growth shift δ* each simple-compounding target needs (see
    /// [`needed`]), one per plan with a slot.
    pub shifts: Vec<Sketch>,
    /// Replicate-group statistics for the variance of the estimates under a sampling design
    /// whose paths are not independent (antithetic pairs, Latin hypercube blocks).
    pub groups: Option<GroupStats>,
    pub sampling: Sampling,
    n_years: usize,
    target_region: Vec<usize>,
    /// Derived from the model, not counted: not in partial results (a merge starts from
    /// the model's own empty accumulator).
    #[serde(skip)]
    needed: Vec<needed::NeededPlan>,
    /// Base-year value of each indicator when it is the same on every path (a published base).
    constant_base: Vec<Option<f64>>,
    /// For a target whose metric is an indicator's value in a year: that indicator-year sketch,
    /// which then stands for the target's metric sketch (the same values, added once).
    metric_alias: Vec<Option<usize>>,
}

/// Integer sums over replicate groups (independent units of `size` consecutive paths) from which
/// the variance of every hit probability follows: for group g with n_g paths and h_g hits,
/// `Var(p̂) = G/(G−1) · Σ_g (h_g − p̂·n_g)² / N²` (a ratio estimator over G groups), expanded into
/// `Σh², Σh·n, Σn²` so that merging stays exact. Entries: targets, then regions, then "all".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupStats {
    pub size: u64,
    pub groups: u64,
    pub sum_h2: Vec<u64>,
    pub sum_hn: Vec<u64>,
    pub sum_n2: u64,
    open: Option<u64>,
    open_paths: u64,
    open_hits: Vec<u64>,
}

impl GroupStats {
    fn new(size: u64, entries: usize) -> Self {
        GroupStats {
            size,
            groups: 0,
            sum_h2: vec![0; entries],
            sum_hn: vec![0; entries],
            sum_n2: 0,
            open: None,
            open_paths: 0,
            open_hits: vec![0; entries],
        }
    }

    /// Close the group being filled (call at the end of every contiguous range of paths).
    pub fn close(&mut self) {
        if self.open.take().is_none() {
            return;
        }
        let n = self.open_paths;
        for (e, h) in self.open_hits.iter_mut().enumerate() {
            self.sum_h2[e] += *h * *h;
            self.sum_hn[e] += *h * n;
            *h = 0;
        }
        self.sum_n2 += n * n;
        self.groups += 1;
        self.open_paths = 0;
    }

    fn merge(&mut self, other: &GroupStats) {
        self.groups += other.groups;
        add_into(&mut self.sum_h2, &other.sum_h2);
        add_into(&mut self.sum_hn, &other.sum_hn);
        self.sum_n2 += other.sum_n2;
    }

    /// Variance of the estimated probability of entry `e` (`hits` of `paths`), or `None` with
    /// fewer than two groups.
    pub fn variance(&self, e: usize, hits: u64, paths: u64) -> Option<f64> {
        if self.groups < 2 || paths == 0 {
            return None;
        }
        let p = hits as f64 / paths as f64;
        let ss = self.sum_h2[e] as f64 - 2.0 * p * self.sum_hn[e] as f64 + p * p * self.sum_n2 as f64;
        let g = self.groups as f64;
        Some((g / (g - 1.0) * ss.max(0.0)) / (paths as f64 * paths as f64))
    }
}

impl Accumulator {
    pub fn new(model: &Model) -> Self {
        Self::with_sampling(model, Sampling::Independent, 1)
    }

    /// An accumulator for paths drawn under `sampling` in replicate groups of `group_size`
    /// consecutive paths (the run's [`Sampling::group_size`]; 1: independent paths).
    pub fn with_sampling(model: &Model, sampling: Sampling, group_size: u64) -> Self {
        let n_targets = model.targets.len();
        let target_region =
            model.targets.iter().map(|t| model.regions.iter().position(|r| *r == t.region).unwrap_or(0)).collect();
        let needed = needed::plans(model);
        let slots = needed.iter().filter(|p| p.slot.is_some()).count();
        let n_years = model.n_years();
        let constant_base = model
            .indicators
            .iter()
            .map(|i| match i.base {
                Base::Known { value, .. } => Some(value),
                _ => None,
            })
            .collect();
        let metric_alias = model
            .targets
            .iter()
            .map(|t| match t.metric {
                Metric::Value { indicator, year } if t.versus.is_none() => Some(indicator * n_years + year),
                _ => None,
            })
            .collect();
        Accumulator {
            paths: 0,
            hits: vec![0; n_targets],
            invalid: vec![0; n_targets],
            invalid_values: vec![0; model.indicators.len()],
            is_level: model.indicators.iter().map(|i| matches!(i.process, Process::Level { .. })).collect(),
            metrics: vec![Sketch::new(); n_targets],
            indicators: vec![Sketch::new(); model.indicators.len() * model.n_years()],
            hit_counts: vec![0; n_targets + 1],
            region_all_hit: vec![0; model.regions.len()],
            all_hit: 0,
            shifts: vec![Sketch::new(); slots],
            groups: (group_size > 1).then(|| GroupStats::new(group_size, n_targets + model.regions.len() + 1)),
            sampling,
            n_years: model.n_years(),
            target_region,
            needed,
            constant_base,
            metric_alias,
        }
    }

    /// The quantile sketch of indicator `i` in year `y` (0 = base year).
    pub fn indicator(&self, i: usize, y: usize) -> std::borrow::Cow<'_, Sketch> {
        match self.constant_base[i] {
            Some(value) if y == 0 => {
                let mut sketch = Sketch::new();
                sketch.add_n(value, self.paths);
                std::borrow::Cow::Owned(sketch)
            }
            _ => std::borrow::Cow::Borrowed(&self.indicators[i * self.n_years + y]),
        }
    }

    /// The quantile sketch of target `t`'s tested quantity (finite values only).
    pub fn metric(&self, t: usize) -> std::borrow::Cow<'_, Sketch> {
        match self.metric_alias[t] {
            Some(slot) => self.indicator(slot / self.n_years, slot % self.n_years),
            None => std::borrow::Cow::Borrowed(&self.metrics[t]),
        }
    }

    /// Record one path: its indicator values (`indicator * n_years + year`) and each target's
    /// tested quantity.
    pub fn record(&mut self, values: &[f64], target_values: &[f64], hit: &[bool], region_missed: &mut [bool]) {
        self.record_path(u64::MAX, values, target_values, hit, region_missed);
    }

    /// [`Accumulator::record`] for path number `path` (which places it in its replicate group).
    pub fn record_path(
        &mut self,
        path: u64,
        values: &[f64],
        target_values: &[f64],
        hit: &[bool],
        region_missed: &mut [bool],
    ) {
        self.paths += 1;
        let n_years = self.n_years;
        for ((count, &level), row) in self.invalid_values.iter_mut().zip(&self.is_level).zip(values.chunks(n_years)) {
            *count += u64::from(row.iter().any(|&v| impossible(v, level)));
        }
        for (i, (sketches, row)) in self.indicators.chunks_mut(n_years).zip(values.chunks(n_years)).enumerate() {
            let first = usize::from(self.constant_base[i].is_some());
            for (sketch, &v) in sketches[first..].iter_mut().zip(&row[first..]) {
                sketch.add(v);
            }
        }
        region_missed.iter_mut().for_each(|m| *m = false);
        let mut n_hit = 0;
        for (t, (&v, &h)) in target_values.iter().zip(hit).enumerate() {
            if v.is_finite() {
                if self.metric_alias[t].is_none() {
                    self.metrics[t].add(v);
                }
            } else {
                self.invalid[t] += 1;
            }
            if h {
                self.hits[t] += 1;
                n_hit += 1;
            } else {
                region_missed[self.target_region[t]] = true;
            }
        }
        self.hit_counts[n_hit] += 1;
        if n_hit == hit.len() {
            self.all_hit += 1;
        }
        for (count, missed) in self.region_all_hit.iter_mut().zip(region_missed.iter()) {
            if !missed {
                *count += 1;
            }
        }
        if let Some(g) = &mut self.groups {
            let group = path / g.size;
            if g.open.is_some_and(|open| open != group) {
                g.close();
            }
            g.open = Some(group);
            g.open_paths += 1;
            let n_targets = hit.len();
            for (h, &is_hit) in g.open_hits.iter_mut().zip(hit) {
                *h += u64::from(is_hit);
            }
            for (r, missed) in region_missed.iter().enumerate() {
                g.open_hits[n_targets + r] += u64::from(!missed);
            }
            g.open_hits[n_targets + region_missed.len()] += u64::from(n_hit == hit.len());
        }
        for plan in &self.needed {
            if let Some(slot) = plan.slot {
                self.shifts[slot].add(needed::shift_on_path(plan, values, self.n_years));
            }
        }
    }

    /// Record a block of consecutive paths `first..first + len` at once, exactly as recording
    /// them one by one with [`Accumulator::record_path`] would. `column(i, y)` gives indicator
    /// `i`'s values in year `y` on the block's paths, and `target(t)` target `t`'s tested
    /// quantities and hits.
    pub fn record_block<'a>(
        &mut self,
        first: u64,
        len: usize,
        column: impl Fn(usize, usize) -> &'a [f64] + Copy,
        target: impl Fn(usize) -> (&'a [f64], &'a [bool]),
    ) {
        use crate::engine::simd::{self, Level};
        match simd::level() {
            // SAFETY: the level is at most what the CPU was detected to support.
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => unsafe { self.record_block_avx512(first, len, column, target) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => unsafe { self.record_block_avx2(first, len, column, target) },
            _ => self.record_block_body(first, len, column, target),
        }
    }

    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn record_block_avx2<'a>(
        &mut self,
        first: u64,
        len: usize,
        column: impl Fn(usize, usize) -> &'a [f64] + Copy,
        target: impl Fn(usize) -> (&'a [f64], &'a [bool]),
    ) {
        self.record_block_body(first, len, column, target);
    }

    /// # Safety
    /// The CPU must support AVX-512 F, DQ, VL and BW.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
    unsafe fn record_block_avx512<'a>(
        &mut self,
        first: u64,
        len: usize,
        column: impl Fn(usize, usize) -> &'a [f64] + Copy,
        target: impl Fn(usize) -> (&'a [f64], &'a [bool]),
    ) {
        self.record_block_body(first, len, column, target);
    }

    #[inline(always)]
    fn record_block_body<'a>(
        &mut self,
        first: u64,
        len: usize,
        column: impl Fn(usize, usize) -> &'a [f64] + Copy,
        target: impl Fn(usize) -> (&'a [f64], &'a [bool]),
    ) {
        self.paths += len as u64;
        let n_years = self.n_years;
        // Each column once: into its sketch, which tells whether every value was ordinary
        // (positive and finite, so not impossible); only the other columns are checked lane by
        // lane (a rate's negative values, a published base not added to a sketch).
        let mut bad: Vec<bool> = Vec::new();
        for (i, (count, &level)) in self.invalid_values.iter_mut().zip(&self.is_level).enumerate() {
            let published = usize::from(self.constant_base[i].is_some());
            let sketches = &mut self.indicators[i * n_years..(i + 1) * n_years];
            // (A fold, not `all`: it vectorises.)
            let mut ordinary =
                (0..published).all(|y| column(i, y).iter().fold(true, |all, &v| all & (v > 0.0) & (v < f64::INFINITY)));
            for (y, sketch) in sketches.iter_mut().enumerate().skip(published) {
                ordinary &= sketch.add_column(column(i, y));
            }
            if ordinary {
                continue;
            }
            bad.clear();
            bad.resize(len, false);
            for y in 0..n_years {
                for (b, &v) in bad.iter_mut().zip(column(i, y)) {
                    *b |= impossible(v, level);
                }
            }
            *count += bad.iter().map(|&b| u64::from(b)).sum::<u64>();
        }
        let n_targets = self.hits.len();
        let n_regions = self.region_all_hit.len();
        // Per lane, in runs of 64: the number of targets hit, and per region a bit for a lane
        // that missed one of its targets.
        let mut missed = vec![0u64; n_regions];
        let mut path_hits = vec![0u64; if self.groups.is_some() { n_targets } else { 0 }];
        for run in 0..len.div_ceil(64) {
            let lanes = run * 64..((run + 1) * 64).min(len);
            let width = lanes.len();
            let mut n_hit = [0u32; 64];
            missed.iter_mut().for_each(|m| *m = 0);
            for t in 0..n_targets {
                let (values, hits) = target(t);
                let (values, hits) = (&values[lanes.clone()], &hits[lanes.clone()]);
                let ordinary = if self.metric_alias[t].is_none() {
                    self.metrics[t].add_column(values)
                } else {
                    values.iter().fold(true, |all, v| all & v.is_finite())
                };
                if !ordinary {
                    self.invalid[t] += values.iter().map(|v| u64::from(!v.is_finite())).sum::<u64>();
                }
                // Branch-free: a hit probability near 1/2 would defeat the branch predictor.
                let mut mask = 0u64;
                for ((n, &hit), lane) in n_hit.iter_mut().zip(hits).zip(0u32..) {
                    *n += u32::from(hit);
                    mask |= u64::from(hit) << lane;
                }
                self.hits[t] += u64::from(mask.count_ones());
                missed[self.target_region[t]] |= !mask;
                if let Some(h) = path_hits.get_mut(t) {
                    *h = mask;
                }
            }
            let in_run = if width == 64 { u64::MAX } else { (1u64 << width) - 1 };
            for (count, &m) in self.region_all_hit.iter_mut().zip(&missed) {
                *count += u64::from((!m & in_run).count_ones());
            }
            for &n in &n_hit[..width] {
                self.hit_counts[n as usize] += 1;
            }
            self.all_hit += n_hit[..width].iter().map(|&n| u64::from(n as usize == n_targets)).sum::<u64>();
            if let Some(g) = &mut self.groups {
                for (lane, &n) in n_hit[..width].iter().enumerate() {
                    let group = (first + (run * 64 + lane) as u64) / g.size;
                    if g.open.is_some_and(|open| open != group) {
                        g.close();
                    }
                    g.open = Some(group);
                    g.open_paths += 1;
                    for (h, &mask) in g.open_hits.iter_mut().zip(&path_hits) {
                        *h += (mask >> lane) & 1;
                    }
                    for (r, &m) in missed.iter().enumerate() {
                        g.open_hits[n_targets + r] += u64::from((m >> lane) & 1 == 0);
                    }
                    g.open_hits[n_targets + n_regions] += u64::from(n as usize == n_targets);
                }
            }
        }
        // δ* of every simple-compounding plan, a column of (at most) one block's paths at a time.
        const LANES: usize = crate::engine::block::LANES;
        let mut shifts = [0.0; LANES];
        for plan in &self.needed {
            if let Some(slot) = plan.slot {
                for start in (0..len).step_by(LANES) {
                    let shifts = &mut shifts[..LANES.min(len - start)];
                    needed::shifts_of_block(plan, move |i, y| &column(i, y)[start..], shifts);
                    self.shifts[slot].add_slice(shifts);
                }
            }
        }
    }

    /// Checks the counts of an accumulator read from a file against each other: no target hit
    /// (or invalid) on more paths than there are, the distribution of the number of targets hit
    /// adding up to the paths, every sketch well formed and holding at most one value a path, the
    /// replicate-group sums possible. A merge refuses a part that fails this, whatever its checksum.
    pub fn check_counts(&self) -> Result<(), String> {
        let paths = self.paths;
        for (t, (&hits, &invalid)) in self.hits.iter().zip(&self.invalid).enumerate() {
            if u128::from(hits) + u128::from(invalid) > u128::from(paths) {
                return Err(format!("target {t} is hit on {hits} and invalid on {invalid} of {paths} paths"));
            }
        }
        if let Some(&most) = self.invalid_values.iter().find(|&&c| c > paths) {
            return Err(format!("an indicator has impossible values on {most} of {paths} paths"));
        }
        let spread: u128 = self.hit_counts.iter().map(|&c| u128::from(c)).sum();
        if spread != u128::from(paths) {
            return Err(format!("the numbers of targets hit cover {spread} paths, not {paths}"));
        }
        if let Some(&most) = self.region_all_hit.iter().chain([&self.all_hit]).find(|&&c| c > paths) {
            return Err(format!("a region's targets are all hit on {most} of {paths} paths"));
        }
        for sketch in self.metrics.iter().chain(&self.indicators).chain(&self.shifts) {
            sketch.check()?;
            if sketch.count() > paths {
                return Err(format!("a sketch holds {} values from {paths} paths", sketch.count()));
            }
        }
        if let Some(g) = &self.groups {
            let n2 = u128::from(g.sum_n2);
            let impossible = g.groups > paths
                || n2 > u128::from(paths) * u128::from(paths)
                || g.sum_h2.len() != g.sum_hn.len()
                || g.sum_h2.iter().chain(&g.sum_hn).any(|&v| u128::from(v) > n2);
            if impossible {
                return Err(format!("its replicate-group sums are impossible for {paths} paths"));
            }
        }
        Ok(())
    }

    /// Add another accumulator of the same model.
    pub fn merge(&mut self, other: &Accumulator) {
        self.paths += other.paths;
        add_into(&mut self.hits, &other.hits);
        add_into(&mut self.invalid, &other.invalid);
        add_into(&mut self.invalid_values, &other.invalid_values);
        add_into(&mut self.hit_counts, &other.hit_counts);
        add_into(&mut self.region_all_hit, &other.region_all_hit);
        self.all_hit += other.all_hit;
        for (a, b) in self.metrics.iter_mut().zip(&other.metrics) {
            a.merge(b);
        }
        for (a, b) in self.indicators.iter_mut().zip(&other.indicators) {
            a.merge(b);
        }
        for (a, b) in self.shifts.iter_mut().zip(&other.shifts) {
            a.merge(b);
        }
        if let (Some(a), Some(b)) = (&mut self.groups, &other.groups) {
            a.merge(b);
        }
    }

    /// The probability of entry `e` of the group statistics (targets, regions, all) with its
    /// interval: Wilson's for independent paths, otherwise Wilson's at the effective number of
    /// paths `p̂(1−p̂)/Var(p̂)` from the replicate groups, with the Student-t quantile of
    /// (groups − 1) degrees of freedom ([`wilson_replicated`]).
    /// Target `t`'s hit probability with its 95% interval and standard error: what
    /// [`Summary::from_accumulator`] reports for it, without building the rest of the summary
    /// (for tests that repeat thousands of short runs).
    pub fn target_probability(&self, t: usize) -> (Probability, f64) {
        self.probability(t, self.hits[t])
    }

    fn probability(&self, e: usize, hits: u64) -> (Probability, f64) {
        let n = self.paths;
        let binomial = Probability::new(hits, n);
        let binomial_se = (binomial.probability * (1.0 - binomial.probability) / n as f64).sqrt();
        let Some((variance, groups)) = self.groups.as_ref().and_then(|g| Some((g.variance(e, hits, n)?, g.groups)))
        else {
            return (binomial, binomial_se);
        };
        let p = binomial.probability;
        if variance <= 0.0 || hits == 0 || hits == n {
            return (binomial, variance.sqrt());
        }
        let (ci_low, ci_high) = wilson_replicated(p, p * (1.0 - p) / variance, groups);
        (Probability { hits, probability: p, ci_low, ci_high }, variance.sqrt())
    }

    pub fn n_years(&self) -> usize {
        self.n_years
    }
}

/// A value no path may hold: not a finite number, or (for a level) at or below zero.
#[inline]
fn impossible(v: f64, level: bool) -> bool {
    !v.is_finite() || (level && v <= 0.0)
}

fn add_into(a: &mut [u64], b: &[u64]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

/// Everything a run found, as written to `summary.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub feasim_version: String,
    pub scenario: ScenarioInfo,
    pub run: RunInfo,
    pub targets: Vec<TargetSummary>,
    pub regions: Vec<RegionSummary>,
    /// Probability that every modelled target is hit on the same path.
    pub all_targets: Probability,
    pub targets_hit: TargetsHit,
    pub indicators: Vec<IndicatorSummary>,
    pub not_modelled: Vec<NotModelledSummary>,
    pub correlation_repair: Option<CorrelationRepairSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ScenarioInfo {
    pub name: String,
    pub title: String,
    /// The English title (`title_en`); absent when the scenario gives none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title_en: String,
    /// English names of regions (`[regions]`), by the region name targets and indicators use.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub regions_en: std::collections::BTreeMap<String, String>,
    /// SHA-256 of the scenario file(s).
    pub hash: String,
    pub base_year: i32,
    pub end_year: i32,
    /// The scenario's free-text notes.
    pub notes: String,
}

impl ScenarioInfo {
    /// The scenario's identity as recorded in every output.
    pub fn of(model: &Model) -> ScenarioInfo {
        ScenarioInfo {
            name: model.name.clone(),
            title: model.title.clone(),
            title_en: model.title_en.clone(),
            regions_en: model.region_en.clone(),
            hash: model.hash.clone(),
            base_year: model.base_year,
            end_year: model.end_year,
            notes: model.notes.clone(),
        }
    }

    /// The title in English (`title_en`) when asked for and given, else the title.
    pub fn title_in(&self, english: bool) -> &str {
        if english && !self.title_en.trim().is_empty() { &self.title_en } else { &self.title }
    }

    /// A region's name in English (from `[regions]`) when asked for and given, else as written.
    pub fn region_in<'a>(&'a self, region: &'a str, english: bool) -> &'a str {
        match self.regions_en.get(region) {
            Some(en) if english => en,
            _ => region,
        }
    }
}

impl Summary {
    /// A copy whose scenario title and region names are the English ones the scenario gives
    /// (`title_en`, `[regions]`), for charts drawn in English.
    pub fn with_english_names(&self) -> Summary {
        let mut s = self.clone();
        let info = &self.scenario;
        s.scenario.title = info.title_in(true).to_string();
        for r in &mut s.regions {
            r.region = info.region_in(&r.region, true).to_string();
        }
        for t in &mut s.targets {
            t.region = info.region_in(&t.region, true).to_string();
        }
        for i in &mut s.indicators {
            i.region = info.region_in(&i.region, true).to_string();
        }
        s
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    pub paths: u64,
    pub seed: u64,
    /// Variance reduction used (absent: independent paths).
    #[serde(default, skip_serializing_if = "is_independent")]
    pub sampling: Sampling,
}

/// A probability estimated from `hits` out of `paths`, with its 95% Wilson score interval.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Probability {
    pub hits: u64,
    pub probability: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

impl Probability {
    pub fn new(hits: u64, paths: u64) -> Self {
        let (ci_low, ci_high) = wilson(hits, paths);
        Probability { hits, probability: ratio(hits, paths), ci_low, ci_high }
    }
}

fn is_independent(s: &Sampling) -> bool {
    *s == Sampling::Independent
}

fn ratio(k: u64, n: u64) -> f64 {
    if n == 0 { f64::NAN } else { k as f64 / n as f64 }
}

/// Quantiles of a simulated quantity.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Quantiles {
    pub min: f64,
    pub p05: f64,
    pub p10: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p90: f64,
    pub p95: f64,
    pub max: f64,
}

impl Quantiles {
    pub fn of(sketch: &Sketch) -> Self {
        let [p05, p10, p25, p50, p75, p90, p95] = sketch.quantiles([0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95]);
        Quantiles { min: sketch.min(), p05, p10, p25, p50, p75, p90, p95, max: sketch.max() }
    }
}

/// Equal-width histogram of a target's tested quantity over its 0.5–99.5% range.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Histogram {
    /// `counts.len() + 1` bin edges.
    pub edges: Vec<f64>,
    pub counts: Vec<u64>,
    /// Paths below the first edge and above the last one.
    pub below: u64,
    pub above: u64,
}

/// Where a target sits on an indicator's fan chart: the level the indicator must reach in a year.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetMarker {
    pub indicator: String,
    pub year: i32,
    pub level: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetSummary {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub section: String,
    pub region: String,
    pub wording: String,
    pub note: String,
    /// What is tested, in words.
    pub metric: String,
    /// What is tested, in words for readers: indicator labels instead of ids (charts' axes).
    #[serde(default)]
    pub metric_label_zh: String,
    #[serde(default)]
    pub metric_label_en: String,
    pub unit: String,
    pub comparator: String,
    pub threshold: f64,
    pub hits: u64,
    /// Paths where the tested quantity was not a finite number (e.g. a share of zero); counted as misses.
    pub invalid: u64,
    pub probability: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    /// Monte Carlo standard error of the probability, sqrt(p(1−p)/n).
    pub std_error: f64,
    pub quantiles: Quantiles,
    /// The threshold this target would be hit at with probability 50%: the median of the tested
    /// quantity (for every one-sided comparator). Not defined (NaN, `null` in JSON) for two-sided
    /// tests (`==`, `between`, `about`).
    #[serde(deserialize_with = "number_or_null")]
    pub threshold_for_50: f64,
    /// The threshold this target would be hit at with probability 80%: the 20th percentile of the
    /// tested quantity for `>=`/`>` targets, the 80th for `<=`/`<` (see [`thresholds_for`]).
    #[serde(deserialize_with = "number_or_null")]
    pub threshold_for_80: f64,
    /// The interval that passes a two-sided test (`==`, `between`, `about`), both ends included.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<[f64; 2]>,
    /// A joint target (`all = [...]`): how many conditions it has. Its tested quantity is the
    /// number of them met on a path, and it is hit when all are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<usize>,
    pub histogram: Histogram,
    pub marker: Option<TargetMarker>,
    /// The tested quantity can only be a whole number (a count, a rank): its histogram has one
    /// bar per whole number (or whole-number-aligned bars) with an edge between the last
    /// missing and the first hitting value (see [`hit_boundary`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub integer: bool,
    /// `[lower, upper]` the tested quantity is clamped to (the value of a bounded rate), so
    /// paths may sit exactly on a bound; the histogram then ends at the upper bound reached and
    /// `histogram.above` counts the paths exactly on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bounds: Option<[f64; 2]>,
    /// The mean growth of the level behind the target needed for a 50% and an 80% chance, when
    /// it is exact and cheap to compute (see [`needed`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needed_growth: Option<NeededGrowth>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RegionSummary {
    pub region: String,
    pub targets: usize,
    pub all_hit: Probability,
}

/// Distribution of the number of targets hit on a path.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetsHit {
    /// `counts[k]`: paths on which exactly k targets were hit.
    pub counts: Vec<u64>,
    /// Expected number of targets hit (the sum of the probabilities).
    pub expected: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct YearQuantiles {
    pub year: i32,
    #[serde(flatten)]
    pub quantiles: Quantiles,
    /// The quantiles bounding the central 30% and 60% of paths (with p05–p95, the 90%), for fan
    /// charts in the Bank of England style.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub central: Option<CentralQuantiles>,
}

/// Quantiles of the central 30% (p35–p65) and 60% (p20–p80) of paths.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct CentralQuantiles {
    pub p20: f64,
    pub p35: f64,
    pub p65: f64,
    pub p80: f64,
}

impl CentralQuantiles {
    pub fn of(sketch: &Sketch) -> Self {
        let [p20, p35, p65, p80] = sketch.quantiles([0.20, 0.35, 0.65, 0.80]);
        CentralQuantiles { p20, p35, p65, p80 }
    }
}

/// A published value of an indicator before (or in) the base year.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct HistoryPoint {
    pub year: i32,
    pub value: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IndicatorSummary {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub unit: String,
    pub kind: String,
    pub region: String,
    /// The base-year statistic, when there is one.
    pub base: Option<f64>,
    pub source: Option<String>,
    /// Why the base is uncertain, when it is an assumption.
    pub assumption: Option<String>,
    /// The scenario author's note on this indicator.
    pub note: String,
    /// Quantiles per year, base year first.
    pub years: Vec<YearQuantiles>,
    /// Published values up to the base year (the scenario's `history`), oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryPoint>,
    /// Where `history` comes from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_source: Option<String>,
    /// Paths on which the indicator took an impossible value in some year (not a finite number,
    /// or a level at or below zero); omitted when none did.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub invalid_paths: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NotModelledSummary {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CorrelationRepairSummary {
    pub max_abs_change: f64,
    pub max_change_between: (String, String),
    pub frobenius_change: f64,
}

impl Summary {
    /// Condense an accumulator of `model`'s paths.
    pub fn from_accumulator(model: &Model, acc: &Accumulator, seed: u64) -> Summary {
        let n = acc.paths;
        let n_years = model.n_years();
        let targets: Vec<TargetSummary> = model
            .targets
            .iter()
            .enumerate()
            .map(|(t, target)| {
                let sketch = &*acc.metric(t);
                let (p, std_error) = acc.probability(t, acc.hits[t]);
                let [threshold_for_50, threshold_for_80] = thresholds_for(sketch, target.comparator, [0.5, 0.8]);
                TargetSummary {
                    id: target.id.clone(),
                    label_zh: target.label_zh.clone(),
                    label_en: target.label_en.clone(),
                    section: target.section.clone(),
                    region: target.region.clone(),
                    wording: target.wording.clone(),
                    note: target.note.clone(),
                    metric: target.describe(model),
                    metric_label_zh: target.label(model, true),
                    metric_label_en: target.label(model, false),
                    unit: target.unit.clone(),
                    comparator: target.comparator.ascii().to_string(),
                    threshold: target.threshold,
                    hits: acc.hits[t],
                    invalid: acc.invalid[t],
                    probability: p.probability,
                    ci_low: p.ci_low,
                    ci_high: p.ci_high,
                    std_error,
                    quantiles: Quantiles::of(sketch),
                    threshold_for_50,
                    threshold_for_80,
                    range: target.range,
                    conditions: match &target.metric {
                        crate::model::Metric::AllOf(conditions) => Some(conditions.len()),
                        _ => None,
                    },
                    histogram: histogram(
                        sketch,
                        target.comparator.ascii(),
                        target.threshold,
                        target.integer_valued(model),
                        target.bounds(model),
                    ),
                    marker: marker(model, target),
                    integer: target.integer_valued(model),
                    bounds: target.bounds(model),
                    needed_growth: acc
                        .needed
                        .iter()
                        .find(|plan| plan.target == t)
                        .map(|plan| needed::summarise(model, acc, plan)),
                }
            })
            .collect();
        let regions = model
            .regions
            .iter()
            .enumerate()
            .map(|(r, region)| RegionSummary {
                region: region.clone(),
                targets: model.targets.iter().filter(|t| t.region == *region).count(),
                all_hit: acc.probability(model.targets.len() + r, acc.region_all_hit[r]).0,
            })
            .collect();
        let indicators = model
            .indicators
            .iter()
            .enumerate()
            .map(|(i, ind)| {
                let (base, source, assumption) = match &ind.base {
                    Base::Known { value, source } => (Some(*value), Some(source.clone()), None),
                    Base::Uncertain { assumption, .. } => (None, None, Some(assumption.clone())),
                    Base::Derived => (None, None, None),
                };
                IndicatorSummary {
                    id: ind.id.clone(),
                    label_zh: ind.label_zh.clone(),
                    label_en: ind.label_en.clone(),
                    unit: ind.unit.clone(),
                    kind: ind.kind_name().to_string(),
                    region: ind.region.clone(),
                    base,
                    source,
                    assumption,
                    note: ind.note.clone(),
                    invalid_paths: acc.invalid_values.get(i).copied().unwrap_or(0),
                    years: (0..n_years)
                        .map(|y| {
                            let sketch = acc.indicator(i, y);
                            YearQuantiles {
                                year: model.base_year + y as i32,
                                quantiles: Quantiles::of(&sketch),
                                central: Some(CentralQuantiles::of(&sketch)),
                            }
                        })
                        .collect(),
                    history: ind.history.iter().map(|(&year, &value)| HistoryPoint { year, value }).collect(),
                    history_source: (!ind.history.is_empty()).then(|| ind.history_source.clone()),
                }
            })
            .collect();
        let expected = targets.iter().map(|t| t.probability).sum();
        Summary {
            feasim_version: env!("CARGO_PKG_VERSION").to_string(),
            scenario: ScenarioInfo::of(model),
            run: RunInfo { paths: n, seed, sampling: acc.sampling },
            targets,
            regions,
            all_targets: acc.probability(model.targets.len() + model.regions.len(), acc.all_hit).0,
            targets_hit: TargetsHit { counts: acc.hit_counts.clone(), expected },
            indicators,
            not_modelled: model
                .not_modelled
                .iter()
                .map(|m| NotModelledSummary {
                    id: m.id.clone(),
                    label_zh: m.label_zh.clone(),
                    label_en: m.label_en.clone(),
                    reason: m.reason.clone(),
                })
                .collect(),
            correlation_repair: model.correlation_repair.as_ref().map(|r| CorrelationRepairSummary {
                max_abs_change: r.max_abs_change,
                max_change_between: r.max_change_between.clone(),
                frobenius_change: r.frobenius_change,
            }),
        }
    }
}

/// A number, or `null` (what serde_json writes for NaN) read back as NaN.
fn number_or_null<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(deserializer)?.unwrap_or(f64::NAN))
}

/// The thresholds at which a target with `comparator` would be hit with each probability of
/// `probabilities`, read off the sketch of its tested quantity Q: for `>=`/`>` the threshold x
/// with P(Q ≥ x) = p is the (1 − p) quantile of Q, for `<=`/`<` the threshold with P(Q ≤ x) = p
/// is the p quantile (within the sketch's 2^-10 relative accuracy). Strict and non-strict
/// comparators differ only at atoms of Q: for a whole-number quantity (a count, a rank) a `>`
/// target needs one less than the `>=` threshold, a `<` target one more than the `<=` one.
pub fn thresholds_for<const K: usize>(
    sketch: &Sketch,
    comparator: crate::model::Comparator,
    probabilities: [f64; K],
) -> [f64; K] {
    use crate::model::Comparator;
    let step = if sketch.is_integer_valued() { 1.0 } else { 0.0 };
    let upper = probabilities.map(|p| 1.0 - p);
    match comparator {
        Comparator::Ge => sketch.quantiles(upper),
        Comparator::Gt => sketch.quantiles(upper).map(|q| q - step),
        Comparator::Le => sketch.quantiles(probabilities),
        Comparator::Lt => sketch.quantiles(probabilities).map(|q| q + step),
        // No single threshold of a two-sided test gives a chosen probability.
        Comparator::Eq | Comparator::Between | Comparator::About => [f64::NAN; K],
    }
}

/// Where a histogram separates the paths that hit a target from those that miss it: the
/// threshold itself, or for a whole-number quantity the half-way point between the last missing
/// and the first hitting whole number (so `>= 3` and `> 2` both give 2.5), which is then a bin
/// edge and no bar is part hit, part missed.
pub fn hit_boundary(comparator: &str, threshold: f64, integer: bool) -> f64 {
    if !integer || !threshold.is_finite() {
        return threshold;
    }
    match comparator {
        // Two-sided tests (`==`, `between`, `about`): the boundary below their interval, whose
        // lower end is the threshold.
        ">=" | "<" | "==" | "between" | "about" => threshold.ceil() - 0.5,
        _ => threshold.floor() + 0.5,
    }
}

/// Histogram over the 0.5–99.5% range, widened to show the threshold when it is close by.
/// Whole-number quantities (counts, ranks) get bins of one or more whole numbers, centred on
/// them, with an edge at the [`hit_boundary`]. A bounded quantity that reaches its upper bound
/// ends at it, so the paths exactly on the bound are the ones counted `above`.
fn histogram(sketch: &Sketch, comparator: &str, threshold: f64, integer: bool, bounds: Option<[f64; 2]>) -> Histogram {
    if sketch.count() == 0 {
        return Histogram { edges: vec![], counts: vec![], below: 0, above: 0 };
    }
    let integer = integer || sketch.is_integer_valued();
    let (mut low, mut high) = if integer && sketch.max() - sketch.min() < HISTOGRAM_BINS as f64 {
        // Few whole numbers: every one of them gets its bar, none is left to a pale end bar.
        (sketch.min(), sketch.max())
    } else {
        let [low, high] = sketch.quantiles([0.005, 0.995]);
        (low, high)
    };
    let span = (high - low).max(1e-9 * low.abs().max(1.0));
    if threshold.is_finite() && threshold > low - span && threshold < high + span {
        low = low.min(threshold);
        high = high.max(threshold);
    }
    if let Some([_, upper]) = bounds
        && !integer
        && sketch.max() >= upper
        && low < upper
    {
        high = upper;
    }
    let edges: Vec<f64> = if integer {
        let (first, last) = (low.floor() - 0.5, high.ceil() + 0.5);
        let width = ((last - first) / HISTOGRAM_BINS as f64).ceil().max(1.0);
        let anchor = if threshold.is_finite() { hit_boundary(comparator, threshold, true) } else { first };
        let start = anchor - width * ((anchor - first) / width).ceil();
        let mut edges = vec![start];
        while edges[edges.len() - 1] < last {
            edges.push(start + width * edges.len() as f64);
        }
        edges
    } else {
        if high <= low {
            let pad = 0.5_f64.max(low.abs() * 0.01);
            low -= pad;
            high += pad;
        }
        let width = (high - low) / HISTOGRAM_BINS as f64;
        (0..=HISTOGRAM_BINS).map(|k| low + width * k as f64).collect()
    };
    let (counts, below, above) = sketch.histogram(&edges);
    Histogram { edges, counts, below, above }
}

/// The level an indicator must reach for a target, when that level is known in advance.
fn marker(model: &Model, target: &crate::model::Target) -> Option<TargetMarker> {
    if target.versus.is_some() {
        return None;
    }
    let year = |y: usize| model.base_year + y as i32;
    let known_base = |i: usize, from: usize| match (&model.indicators[i].base, from) {
        (Base::Known { value, .. }, 0) => Some(*value),
        _ => None,
    };
    let (indicator, y, level) = match target.metric {
        Metric::Value { indicator, year: y } => (indicator, y, target.threshold),
        Metric::Cagr { indicator, from, to } => {
            let base = known_base(indicator, from)?;
            (indicator, to, base * (1.0 + target.threshold / 100.0).powi((to - from) as i32))
        }
        Metric::CumulativeGrowth { indicator, from, to } => {
            (indicator, to, known_base(indicator, from)? * (1.0 + target.threshold / 100.0))
        }
        Metric::Change { indicator, from, to } => (indicator, to, known_base(indicator, from)? + target.threshold),
        _ => return None,
    };
    if matches!(model.indicators[indicator].process, Process::Derived { .. })
        && !matches!(target.metric, Metric::Value { .. })
    {
        return None;
    }
    Some(TargetMarker { indicator: model.indicators[indicator].id.clone(), year: year(y), level })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch_of(values: impl IntoIterator<Item = f64>) -> Sketch {
        let mut sketch = Sketch::new();
        for v in values {
            sketch.add(v);
        }
        sketch
    }

    /// A whole-number quantity gets bins centred on whole numbers, one per value, with the
    /// boundary between missing and hitting values on an edge, for every comparator; the counts
    /// are exact.
    #[test]
    fn whole_number_histograms_put_the_hit_boundary_on_an_edge() {
        // Values 0..=8, value k seen k + 1 times.
        let values: Vec<f64> = (0..=8).flat_map(|k| std::iter::repeat_n(k as f64, k + 1)).collect();
        let sketch = sketch_of(values.iter().copied());
        for (comparator, threshold, boundary) in
            [(">=", 3.0, 2.5), (">", 3.0, 3.5), ("<=", 5.0, 5.5), ("<", 5.0, 4.5), (">=", 2.4, 2.5)]
        {
            assert_eq!(hit_boundary(comparator, threshold, true), boundary);
            let h = histogram(&sketch, comparator, threshold, true, None);
            assert!(h.edges.iter().all(|e| (e - e.floor() - 0.5).abs() < 1e-12), "{:?}", h.edges);
            assert!(h.edges.windows(2).all(|w| (w[1] - w[0] - 1.0).abs() < 1e-12), "one value per bin");
            assert!(h.edges.contains(&boundary), "{comparator} {threshold}: {:?}", h.edges);
            assert_eq!((h.below, h.above), (0, 0));
            for (k, &c) in h.counts.iter().enumerate() {
                let centre = (h.edges[k] + h.edges[k + 1]) / 2.0;
                assert_eq!(c, values.iter().filter(|&&v| v == centre).count() as u64, "bin at {centre}");
            }
        }
        // A wide range: bins several whole numbers wide, still with an edge at the boundary.
        let wide = sketch_of((0..=1000).map(f64::from));
        let h = histogram(&wide, ">=", 300.0, true, None);
        let width = h.edges[1] - h.edges[0];
        assert!(width > 1.0 && width.fract() == 0.0, "{width}");
        assert!(h.edges.contains(&299.5), "{:?}", h.edges);
        assert!(h.counts.len() <= HISTOGRAM_BINS + 1);
        // Without the flag a continuous quantity is split evenly, threshold or not.
        let h = histogram(&sketch_of((0..100).map(|k| k as f64 * 0.37)), ">=", 10.0, false, None);
        assert_eq!(h.counts.len(), HISTOGRAM_BINS);
    }

    /// `record_block` against `record_path` one path at a time, on columns holding every kind of
    /// value (NaN, ±∞, zero, negative, tiny, ordinary) and hit patterns with whole regions hit
    /// and missed, over blocks longer than 64 paths and ending inside a run of 64, with and
    /// without replicate groups: the same accumulator, bit for bit (layout included).
    #[test]
    fn record_block_equals_recording_path_by_path() {
        let model = crate::scenario::load(std::path::Path::new("scenarios/liaoning-2022-2024.toml")).expect("flagship");
        let (n_indicators, n_years, n_targets) = (model.indicators.len(), model.n_years(), model.targets.len());
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, -2.5, 1e-13, 5e-324];
        for (len, group_size) in [(150usize, 1u64), (64, 1), (37, 1), (150, 16), (200, 64)] {
            let sampling = if group_size > 1 { Sampling::LatinHypercube } else { Sampling::Independent };
            // values[(i * n_years + y) * len + lane]; special values in a few columns only, so
            // that most columns stay ordinary as in a real run.
            let mut values = vec![0.0; n_indicators * n_years * len];
            for (column, chunk) in values.chunks_mut(len).enumerate() {
                for v in chunk.iter_mut() {
                    *v = 50.0 + (next() % 1000) as f64 * 0.173;
                }
                let published = match model.indicators[column / n_years].base {
                    Base::Known { value, .. } if column % n_years == 0 => Some(value),
                    _ => None,
                };
                if let Some(base) = published {
                    chunk.iter_mut().for_each(|v| *v = base);
                } else if column % 7 == 3 {
                    let lane = (next() % len as u64) as usize;
                    chunk[lane] = specials[(next() % specials.len() as u64) as usize];
                }
            }
            let mut target_values = vec![0.0; n_targets * len];
            let mut hits = vec![false; n_targets * len];
            for t in 0..n_targets {
                for lane in 0..len {
                    target_values[t * len + lane] = match next() % 50 {
                        0 => f64::NAN,
                        1 => -1.0,
                        _ => (next() % 100) as f64 + 0.5,
                    };
                    // Some paths hit everything, so that regions and "all" are counted too.
                    hits[t * len + lane] = lane % 9 == 0 || next() % 4 != 0;
                }
            }
            let first = 3 * 64;
            let mut blocks = Accumulator::with_sampling(&model, sampling, group_size);
            blocks.record_block(
                first,
                len,
                |i, y| &values[(i * n_years + y) * len..][..len],
                |t| (&target_values[t * len..][..len], &hits[t * len..][..len]),
            );
            let mut paths = Accumulator::with_sampling(&model, sampling, group_size);
            let mut row = vec![0.0; n_indicators * n_years];
            let mut region_missed = vec![false; model.regions.len()];
            for lane in 0..len {
                for (s, v) in row.iter_mut().enumerate() {
                    *v = values[s * len + lane];
                }
                let tv: Vec<f64> = (0..n_targets).map(|t| target_values[t * len + lane]).collect();
                let h: Vec<bool> = (0..n_targets).map(|t| hits[t * len + lane]).collect();
                paths.record_path(first + lane as u64, &row, &tv, &h, &mut region_missed);
            }
            for acc in [&mut blocks, &mut paths] {
                if let Some(g) = &mut acc.groups {
                    g.close();
                }
            }
            assert!(paths.invalid_values.iter().any(|&c| c > 0), "the test must reach impossible values");
            assert!(paths.all_hit > 0 && paths.region_all_hit.iter().all(|&c| c > 0), "{:?}", paths.region_all_hit);
            assert_eq!(
                serde_json::to_string(&blocks).unwrap(),
                serde_json::to_string(&paths).unwrap(),
                "{len} paths, groups of {group_size}"
            );
        }
    }

    /// A bounded rate with paths exactly on its upper bound: the histogram ends at the bound and
    /// those paths, and only those, are counted above it.
    #[test]
    fn mass_on_an_upper_bound_is_counted_above_the_last_edge() {
        let values: Vec<f64> =
            (0..600).map(|k| 90.0 + k as f64 / 60.0).chain(std::iter::repeat_n(100.0, 400)).collect();
        let h = histogram(&sketch_of(values.iter().copied()), ">=", 100.0, false, Some([0.0, 100.0]));
        assert_eq!(*h.edges.last().unwrap(), 100.0);
        assert_eq!(h.above, 400);
        assert_eq!(h.counts.iter().sum::<u64>() + h.below, 600);
    }
}
