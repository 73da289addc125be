//! Variance-based global sensitivity: which groups of random inputs the spread of each target's
//! tested quantity (and of its hit indicator, 0/1) comes from, as first-order and total-effect
//! Sobol' indices.
//!
//! **Inputs are groups of independent random streams**: each stochastic indicator's yearly-shock
//! stream (`<id>:shocks`, the independent normals before the Cholesky mixing, so groups stay
//! independent even when shocks are correlated) and each uncertain base (`<id>:base`).
//!
//! **Design** (Saltelli et al. 2010): two independent samples A (seed `s`) and B (seed
//! `splitmix64(s ^ B_SALT)`), both indexed by the path index j, and for every group i the hybrid
//! A_B^(i): all streams from A except group i's, which come from B ([`Hybrid`], a
//! [`StreamSource`]). N·(d+2) model evaluations for d groups; one evaluation gives every target.
//!
//! **Estimators**, with V the variance of f over the 2N values of A and B and f̄ their mean:
//! - first order, Saltelli et al. (2010) applied to f centred on f̄:
//!   `S_i = (1/N) Σ_j (f(B)_j − f̄)(f(A_B^i)_j − f(A)_j) / V`. Centring removes the term
//!   `f̄·mean(f(A_B^i) − f(A))`, whose expectation is zero but whose noise grows with the level of
//!   f (GDP in 亿元 would otherwise swamp the estimate);
//! - total effect, Jansen (1999): `ST_i = (1/(2N)) Σ_j (f(A)_j − f(A_B^i)_j)² / V`.
//!
//! **Confidence intervals**: 95% normal intervals `estimate ± 1.96·SE`, with SE the standard
//! deviation of the estimator over a Poisson bootstrap (Hanley & MacGibbon 2006; Chamandy et
//! al. 2012): replicate r weights path j by `w_rj ~ Poisson(1)`, drawn from a stream keyed by
//! (bootstrap seed, j) and shared by f(A)_j, f(B)_j and every f(A_B^i)_j, and recomputes every
//! quantity (mean, V, sums) from its weights, so the replicates are deterministic and the
//! estimator sums are accumulated in one streaming pass. Not percentile intervals: with the
//! default 200 replicates the 2.5% and 97.5% order statistics are noisy (±0.19 SE) and the usual
//! interpolated quantile sits at ±1.885 SE instead of ±1.96, which under-covered (≈ 93% on the
//! Ishigami function, 1000 seeds); the bootstrap SE uses every replicate. The estimators are
//! ratios (of sums over V), biased by O(1/N) (delta method), far below their O(1/√N) standard
//! error at the sample sizes used, and their sampling distribution is close to normal there.
//! Memory is constant in N: paths are
//! simulated in blocks (parallel, collected in order), then each target's weighted sums are
//! updated path by path in index order (parallel over targets). Every float sum is therefore
//! taken in the same order on any number of threads, and the result is bit-identical.
//!
//! **Skipping**: a group that cannot reach a target (no dependency through derived expressions,
//! correlation, or the years the target reads) has f(A_B^i) = f(A) exactly on every path, so both
//! of its indices are exactly 0; such (group, target) pairs are neither stored nor listed, and a
//! group that reaches no target is not simulated at all. Skipping never changes a result.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::engine::block::LANES;
use crate::engine::path::StreamSource;
use crate::engine::{Block, CHUNK, DesignedStreams, Sampling, rng};
use crate::model::{Base, Marginal, Metric, Model, Process, Target};
use crate::summary::ScenarioInfo;

/// Bootstrap replicates used unless asked otherwise.
pub const DEFAULT_BOOTSTRAP: usize = 200;

/// Fewest hits (and misses) among the 2N evaluations of A and B for which the indices of a
/// target's hit indicator are reported.
pub const MIN_HIT_EVENTS: f64 = 30.0;

/// Salt of sample B's seed ("Sobol_B!").
const B_SALT: u64 = 0x536f_626f_6c5f_4221;
/// Salt of the bootstrap weights' seed ("bootstrp").
const BOOTSTRAP_SALT: u64 = 0x626f_6f74_7374_7270;
/// Bytes of per-path values held at once (one block of paths); the block never goes below
/// [`CHUNK`] paths.
const BLOCK_BYTES: usize = 64 << 20;

/// Paths per parallel work item: four blocks of the engine. (A chunk of 1 024 paths would leave
/// the default N = 1 024 on one thread; every path's numbers depend only on its index, and the
/// records are gathered in path order, so the item size changes no result.)
const PIECE: u64 = 4 * LANES as u64;

/// How many base samples, from which seed, with how many bootstrap replicates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SobolConfig {
    /// N, the number of paths in each of A and B.
    pub samples: u64,
    pub seed: u64,
    /// Bootstrap replicates for the confidence intervals (0: no intervals).
    pub bootstrap: usize,
    /// How A and B are drawn: independent paths, or scrambled Sobol' points
    /// ([`Sampling::sobol_sequence`]: one scrambled sequence in blocks; [`Sampling::sobol`]:
    /// independently scrambled replicates), whose intervals then come from the spread of the
    /// estimates on the blocks or replicates.
    pub sampling: Sampling,
}

impl SobolConfig {
    pub fn new(samples: u64, seed: u64) -> Self {
        SobolConfig { samples, seed, bootstrap: DEFAULT_BOOTSTRAP, sampling: Sampling::Independent }
    }
}

/// What kind of input a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupKind {
    /// The indicator's yearly-shock stream (its independent normals, every projection year).
    Shocks,
    /// The indicator's uncertain base-year draw.
    Base,
}

impl GroupKind {
    pub fn name(self) -> &'static str {
        match self {
            GroupKind::Shocks => "shocks",
            GroupKind::Base => "base",
        }
    }
}

/// One group of random inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputGroup {
    /// Index into `Model::indicators`.
    pub indicator: usize,
    pub kind: GroupKind,
}

impl InputGroup {
    /// `<indicator id>:shocks` or `<indicator id>:base`.
    pub fn id(&self, model: &Model) -> String {
        format!("{}:{}", model.indicators[self.indicator].id, self.kind.name())
    }
}

/// Every group of random inputs of `model`, in declaration order (per indicator: base, shocks).
pub fn input_groups(model: &Model) -> Vec<InputGroup> {
    let mut groups = Vec::new();
    for (i, indicator) in model.indicators.iter().enumerate() {
        if matches!(indicator.base, Base::Uncertain { .. }) {
            groups.push(InputGroup { indicator: i, kind: GroupKind::Base });
        }
        if indicator.process.shock().is_some() {
            groups.push(InputGroup { indicator: i, kind: GroupKind::Shocks });
        }
    }
    groups
}

/// Streams of the hybrid sample A_B^(i): everything from seed `a` except one group from seed `b`.
#[derive(Debug, Clone, Copy)]
pub struct Hybrid {
    pub a: u64,
    pub b: u64,
    pub group: InputGroup,
    /// The design A and B are drawn under (independent, or scrambled Sobol' points).
    pub sampling: Sampling,
    /// Under scrambled Sobol' points, B is A's points in the dimensions after A's (`a == b`):
    /// the offset of group i's dimensions (0 otherwise).
    pub b_offset: u32,
}

impl StreamSource for Hybrid {
    #[inline]
    fn shock(&self, indicator: usize, path: u64) -> (u64, u64) {
        let from_b = self.group.kind == GroupKind::Shocks && self.group.indicator == indicator;
        (if from_b { self.b } else { self.a }, path)
    }

    #[inline]
    fn base(&self, indicator: usize, path: u64) -> (u64, u64) {
        let from_b = self.group.kind == GroupKind::Base && self.group.indicator == indicator;
        (if from_b { self.b } else { self.a }, path)
    }

    fn sampling(&self) -> Sampling {
        self.sampling
    }

    fn sobol_offset(&self, indicator: usize, base: bool) -> u32 {
        let kind = if base { GroupKind::Base } else { GroupKind::Shocks };
        if self.group.kind == kind && self.group.indicator == indicator { self.b_offset } else { 0 }
    }
}

/// Sample B under scrambled Sobol' points: the points of A (same seed) in the `offset`
/// dimensions after A's, as Saltelli's design takes A and B from one sequence of 2D dimensions.
#[derive(Debug, Clone, Copy)]
struct SobolB {
    seed: u64,
    sampling: Sampling,
    offset: u32,
}

impl StreamSource for SobolB {
    fn shock(&self, _: usize, path: u64) -> (u64, u64) {
        (self.seed, path)
    }

    fn base(&self, _: usize, path: u64) -> (u64, u64) {
        (self.seed, path)
    }

    fn sampling(&self) -> Sampling {
        self.sampling
    }

    fn sobol_offset(&self, _: usize, _: bool) -> u32 {
        self.offset
    }
}

/// Whether an indicator's yearly draws are all fixed numbers (its shocks then move nothing of it).
fn shocks_are_fixed(model: &Model, indicator: usize) -> bool {
    model.indicators[indicator]
        .process
        .shock()
        .is_some_and(|(marginals, _)| marginals.iter().all(|m| matches!(m, Marginal::Fixed { .. })))
}

/// `reach[g][t]`: whether group `g` of `groups` can change target `t`'s tested quantity. Follows
/// the Cholesky factor (group k's normals move every stochastic indicator m with `L[m][k] ≠ 0`
/// whose draws are not all fixed), derived expressions (including `base(...)` reads) and the years
/// each metric reads (a metric of the base year only is moved by base groups only).
pub fn group_reach(model: &Model, groups: &[InputGroup]) -> Vec<Vec<bool>> {
    let n_ind = model.indicators.len();
    let n_groups = groups.len();
    // affects_any[i][g]: group g moves indicator i in some year; affects_base[i][g]: in the base year.
    let mut any = vec![vec![false; n_groups]; n_ind];
    let mut base = vec![vec![false; n_groups]; n_ind];
    let n_stochastic = model.stochastic.len();
    for (g, group) in groups.iter().enumerate() {
        match group.kind {
            GroupKind::Base => {
                any[group.indicator][g] = true;
                base[group.indicator][g] = true;
            }
            GroupKind::Shocks => {
                let Some(k) = model.stochastic.iter().position(|&i| i == group.indicator) else { continue };
                for (m, &i) in model.stochastic.iter().enumerate() {
                    let mixes = match &model.cholesky {
                        Some(l) => m >= k && l[m * n_stochastic + k] != 0.0,
                        None => m == k,
                    };
                    if mixes && !shocks_are_fixed(model, i) {
                        any[i][g] = true;
                    }
                }
            }
        }
    }
    for &i in &model.derived_order {
        if let Process::Derived { expr } = &model.indicators[i].process {
            for &j in expr.reads() {
                for g in 0..n_groups {
                    any[i][g] |= any[j][g];
                    base[i][g] |= base[j][g];
                }
            }
            for &j in expr.base_reads() {
                for g in 0..n_groups {
                    any[i][g] |= base[j][g];
                    base[i][g] |= base[j][g];
                }
            }
        }
    }
    let mut reach = vec![vec![false; model.targets.len()]; n_groups];
    for (t, target) in model.targets.iter().enumerate() {
        for metric in std::iter::once(&target.metric).chain(target.versus.as_ref()) {
            let (indicators, last_year) = metric_reads(metric);
            let sets = if last_year == 0 { &base } else { &any };
            for i in indicators {
                for (g, row) in reach.iter_mut().enumerate() {
                    row[t] |= sets[i][g];
                }
            }
        }
    }
    reach
}

/// The indicators a metric reads and the last year (index) it reads (see [`Metric::reads`]).
pub(crate) fn metric_reads(metric: &Metric) -> (Vec<usize>, usize) {
    let last_year = metric.reads().iter().map(|&(_, y)| y).max().unwrap_or(0);
    (metric.indicators(), last_year)
}

/// Whether target `t` counts as hit for tested quantity `v` (the engine's rule).
#[inline]
fn hit_value(target: &Target, v: f64) -> f64 {
    if target.hit(v) { 1.0 } else { 0.0 }
}

/// Everything `feasim sobol` found, as written to `sobol.json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SobolResult {
    pub feasim_version: String,
    pub scenario: ScenarioInfo,
    pub run: SobolRun,
    /// Every group of random inputs of the model, in declaration order.
    pub groups: Vec<GroupInfo>,
    pub targets: Vec<TargetSobol>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SobolRun {
    /// Seed of sample A.
    pub seed: u64,
    /// Seed of sample B (derived from `seed`).
    pub seed_b: u64,
    /// N: paths in each of A and B.
    pub samples: u64,
    /// Poisson-bootstrap replicates of the intervals (0 when they come from `blocks`).
    pub bootstrap: usize,
    /// Under scrambled Sobol' points: the blocks of paths whose spread the intervals come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<u64>,
    /// Groups simulated as hybrids (those that can reach at least one target).
    pub groups_simulated: usize,
    /// Model evaluations: N · (groups simulated + 2).
    pub model_evaluations: u64,
    pub method: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupInfo {
    /// `<indicator>:shocks` or `<indicator>:base`.
    pub id: String,
    pub indicator: String,
    /// "shocks" or "base".
    pub kind: String,
    pub label_zh: String,
    pub label_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TargetSobol {
    pub id: String,
    pub label_zh: String,
    pub label_en: String,
    /// What is tested, in words.
    pub metric_description: String,
    pub unit: String,
    /// P(hit) over the 2N paths of A and B.
    pub probability: f64,
    /// Indices of the tested quantity.
    pub metric: QuantityIndices,
    /// Indices of the hit indicator (1 when the target is hit, else 0).
    pub hit: QuantityIndices,
}

/// Sobol' indices of one quantity of one target.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QuantityIndices {
    /// Paths j with f(A)_j and f(B)_j both finite (only those are used).
    pub n_valid: u64,
    /// Mean and variance V of the quantity over those paths of A and B; `None` without paths.
    pub mean: Option<f64>,
    pub variance: Option<f64>,
    /// Σ S_i over the groups listed (1 for an additive model; less with interactions).
    pub sum_first: Option<f64>,
    /// Every group that can reach the target, in declaration order; groups not listed have
    /// indices exactly 0. Indices are `None` when V = 0 (a constant quantity), and for the hit
    /// indicator when hits or misses are too rare to estimate them (see `note`).
    pub groups: Vec<GroupIndices>,
    /// Why indices are missing, when they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupIndices {
    pub group: String,
    /// First-order index S_i.
    pub first: Option<Estimate>,
    /// Total-effect index ST_i.
    pub total: Option<Estimate>,
}

/// A point estimate with its 95% interval, estimate ± 1.96 bootstrap standard errors (equal to
/// the estimate when no bootstrap was asked for).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

impl TargetSobol {
    /// The indices of group `group` (an id such as `x1:base`) on the tested quantity.
    pub fn metric_group(&self, group: &str) -> Option<&GroupIndices> {
        self.metric.groups.iter().find(|g| g.group == group)
    }

    /// The indices of group `group` on the hit indicator.
    pub fn hit_group(&self, group: &str) -> Option<&GroupIndices> {
        self.hit.groups.iter().find(|g| g.group == group)
    }
}

impl QuantityIndices {
    /// Groups sorted by decreasing total effect (undefined last), at most `top`.
    pub fn top(&self, top: usize) -> Vec<&GroupIndices> {
        let mut sorted: Vec<&GroupIndices> = self.groups.iter().collect();
        let key = |g: &GroupIndices| g.total.map_or(f64::NEG_INFINITY, |e| e.value);
        sorted.sort_by(|a, b| key(b).total_cmp(&key(a)));
        sorted.truncate(top);
        sorted
    }
}

/// Weighted sums of one quantity of one target, one slot per replicate (slot 0: weights all 1).
#[derive(Debug, Clone)]
struct QuantityAcc {
    /// Shift subtracted before summing (the first valid f(A)), against cancellation.
    shift: Option<f64>,
    n_valid: u64,
    /// Per slot: Σ w, Σ w (a + b), Σ w (a² + b²) with a = f(A) − shift, b = f(B) − shift.
    sums: Vec<[f64; 3]>,
    /// Per pair (group reaching the target) and slot: Σ w, Σ w·b·d, Σ w·d, Σ w·d² with
    /// d = f(A_B^i) − f(A), over the paths where f(A_B^i) is finite too.
    pairs: Vec<Vec<[f64; 4]>>,
}

impl QuantityAcc {
    fn new(slots: usize, n_pairs: usize) -> Self {
        QuantityAcc {
            shift: None,
            n_valid: 0,
            sums: vec![[0.0; 3]; slots],
            pairs: vec![vec![[0.0; 4]; slots]; n_pairs],
        }
    }

    /// Add path j: f(A), f(B), and f(A_B^i) of each pair, with its weights `w`.
    fn add(&mut self, fa: f64, fb: f64, hybrids: impl Iterator<Item = f64>, w: Weights) {
        if !(fa.is_finite() && fb.is_finite()) {
            return;
        }
        let c = *self.shift.get_or_insert(fa);
        self.n_valid += 1;
        let (a, b) = (fa - c, fb - c);
        let (s, ss) = (a + b, a * a + b * b);
        w.add(&mut self.sums, [1.0, s, ss]);
        for (pair, fab) in self.pairs.iter_mut().zip(hybrids) {
            if !fab.is_finite() {
                continue;
            }
            let d = fab - fa;
            w.add(pair, [1.0, b * d, d, d * d]);
        }
    }

    /// (mean, V) of replicate k, in the shifted scale for the mean.
    fn moments(&self, k: usize) -> Option<(f64, f64)> {
        let [weight, sum, sum_squares] = self.sums[k];
        let n = 2.0 * weight;
        if n <= 0.0 {
            return None;
        }
        let mean = sum / n;
        let variance = (sum_squares / n - mean * mean).max(0.0);
        Some((mean, variance))
    }

    /// (S_i, ST_i) of pair `p` in replicate k.
    fn indices(&self, p: usize, k: usize) -> Option<(f64, f64)> {
        let (mean, variance) = self.moments(k)?;
        let [n, cross, diff, diff_squares] = self.pairs[p][k];
        if variance <= 0.0 || n <= 0.0 {
            return None;
        }
        let first = (cross - mean * diff) / n / variance;
        let total = diff_squares / (2.0 * n) / variance;
        Some((first, total))
    }

    /// The indices with their intervals: from the bootstrap replicates in slots 1.., or with
    /// `blocks`, from the estimates on the blocks in slots 1.. (Student's t).
    fn finish(&self, groups: &[String], blocks: bool) -> QuantityIndices {
        let slots = self.sums.len();
        let moments = self.moments(0);
        let mut out = Vec::with_capacity(groups.len());
        for (p, group) in groups.iter().enumerate() {
            let Some((first, total)) = self.indices(p, 0) else {
                out.push(GroupIndices { group: group.clone(), first: None, total: None });
                continue;
            };
            let mut firsts = Vec::with_capacity(slots - 1);
            let mut totals = Vec::with_capacity(slots - 1);
            for k in 1..slots {
                if let Some((f, t)) = self.indices(p, k) {
                    firsts.push(f);
                    totals.push(t);
                }
            }
            let interval = if blocks { block_interval } else { normal_interval };
            out.push(GroupIndices {
                group: group.clone(),
                first: Some(interval(first, &firsts)),
                total: Some(interval(total, &totals)),
            });
        }
        let sum_first = if out.iter().all(|g| g.first.is_some()) && moments.is_some_and(|(_, v)| v > 0.0) {
            Some(out.iter().filter_map(|g| g.first).map(|e| e.value).sum())
        } else {
            None
        };
        QuantityIndices {
            n_valid: self.n_valid,
            mean: moments.map(|(m, _)| m + self.shift.unwrap_or(0.0)),
            variance: moments.map(|(_, v)| v),
            sum_first,
            groups: out,
            note: None,
        }
    }
}

/// Standard normal quantile at 0.975.
const Z_975: f64 = 1.959_963_984_540_054;

/// The estimate ± 1.96 times the standard deviation of its bootstrap replicates (divisor
/// B − 1; summed in replicate order, so the same bits on any number of threads).
fn normal_interval(value: f64, replicates: &[f64]) -> Estimate {
    if replicates.len() < 2 {
        return Estimate { value, low: value, high: value };
    }
    let b = replicates.len() as f64;
    let mean = replicates.iter().sum::<f64>() / b;
    let variance = replicates.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (b - 1.0);
    let half = Z_975 * variance.sqrt();
    Estimate { value, low: value - half, high: value + half }
}

/// The estimate ± t₀.₉₇₅,R−1 · s/√R, s the standard deviation of its estimates on R blocks of
/// paths (divisor R − 1; summed in block order, so the same bits on any number of threads): the
/// Student-t interval of R independent replicates, and a conservative one for blocks of one
/// scrambled sequence (see [`sobol`]).
fn block_interval(value: f64, blocks: &[f64]) -> Estimate {
    if blocks.len() < 2 {
        return Estimate { value, low: value, high: value };
    }
    let r = blocks.len() as f64;
    let mean = blocks.iter().sum::<f64>() / r;
    let variance = blocks.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (r - 1.0);
    let t = crate::model::distribution::student_t_upper_quantile(0.025, r - 1.0);
    let half = t * (variance / r).sqrt();
    Estimate { value, low: value - half, high: value + half }
}

/// How a path's sums enter the slots of an accumulator.
#[derive(Debug, Clone, Copy)]
enum Weights<'a> {
    /// Slot k with weight `w[k]` (slot 0: 1, then the Poisson bootstrap's).
    Bootstrap(&'a [f64]),
    /// Slot 0 and slot `k` (the path's block), each with weight 1.
    Block(usize),
}

impl Weights<'_> {
    #[inline]
    fn add<const K: usize>(self, slots: &mut [[f64; K]], values: [f64; K]) {
        match self {
            Weights::Bootstrap(w) => {
                for (acc, &wk) in slots.iter_mut().zip(w) {
                    for (a, v) in acc.iter_mut().zip(values) {
                        *a += wk * v;
                    }
                }
            }
            Weights::Block(k) => {
                for slot in [0, k] {
                    for (a, v) in slots[slot].iter_mut().zip(values) {
                        *a += v;
                    }
                }
            }
        }
    }
}

/// Poisson(1) by inversion of its CDF at `u` (capped at 30, probability < 1e-32 beyond).
fn poisson_one(u: f64) -> f64 {
    let mut k = 0u32;
    let mut p = (-1.0f64).exp();
    let mut cdf = p;
    while u > cdf && k < 30 {
        k += 1;
        p /= k as f64;
        cdf += p;
    }
    k as f64
}

/// Bootstrap weights of path j: slot 0 is 1, slots 1..=replicates are Poisson(1) draws.
fn weights(seed: u64, j: u64, replicates: usize, out: &mut [f64]) {
    out[0] = 1.0;
    let mut stream = rng::shock_stream(seed, j, 0);
    for w in &mut out[1..=replicates] {
        *w = poisson_one(stream.random::<f64>());
    }
}

/// The seed of sample B for a run seeded with `seed`.
pub fn seed_b(seed: u64) -> u64 {
    rng::splitmix64(seed ^ B_SALT)
}

/// Estimate first-order and total-effect indices of every target's tested quantity and hit
/// indicator with respect to every group of random inputs. `progress` receives the number of
/// model evaluations finished since its last call. Runs on rayon's current thread pool; the
/// result is bit-identical on any number of threads.
pub fn sobol(model: &Model, config: &SobolConfig, progress: &(dyn Fn(u64) + Sync)) -> SobolResult {
    let all_groups = input_groups(model);
    let reach = group_reach(model, &all_groups);
    let n_targets = model.targets.len();
    // Groups simulated (reaching some target), and per target the simulated groups reaching it.
    let active: Vec<usize> = (0..all_groups.len()).filter(|&g| reach[g].iter().any(|&r| r)).collect();
    let target_groups: Vec<Vec<usize>> =
        (0..n_targets).map(|t| (0..active.len()).filter(|&a| reach[active[a]][t]).collect()).collect();
    // Record of path j: f(A)[T], f(B)[T], then per active group its reached targets' f(A_B^i).
    let mut pair_offset = vec![vec![0usize; n_targets]; active.len()];
    let mut len = 2 * n_targets;
    for (a, offsets) in pair_offset.iter_mut().enumerate() {
        for (t, offset) in offsets.iter_mut().enumerate() {
            if reach[active[a]][t] {
                *offset = len;
                len += 1;
            }
        }
    }
    let record_len = len;
    let sampling = config.sampling;
    let whole = matches!(sampling, Sampling::Sobol { .. });
    // Under scrambled Sobol' points, B is A's points in the next D dimensions (D: the model's
    // draws), so A, B and every hybrid are projections of one scrambled net.
    let (seed_a, seed_b) = (config.seed, if whole { config.seed } else { seed_b(config.seed) });
    let b_offset = if whole { crate::engine::rqmc::Dimensions::new(model).count() } else { 0 };
    let streams_a = DesignedStreams::for_run(seed_a, sampling, config.samples);
    let streams_b = SobolB { seed: seed_b, sampling, offset: b_offset };
    let streams_b_independent = DesignedStreams::for_run(seed_b, sampling, config.samples);
    // Each hybrid A_B^(i) simulates only the smallest model computing the targets group i
    // reaches (`Model::restricted`: bit-identical on them, and usually a small part of the
    // model), with the group's indicator renumbered in it. Not on scrambled Sobol' points, whose
    // dimensions follow the whole model's draws: there the hybrids simulate the whole model.
    let hybrids: Vec<(Model, Vec<usize>, InputGroup)> = active
        .iter()
        .map(|&g| {
            if whole {
                return (model.clone(), (0..n_targets).collect(), all_groups[g]);
            }
            let keep: Vec<usize> = (0..n_targets).filter(|&t| reach[g][t]).collect();
            let restricted = model.restricted(&keep);
            let id = &model.indicators[all_groups[g].indicator].id;
            match restricted.indicators.iter().position(|i| &i.id == id) {
                Some(indicator) => (restricted, keep, InputGroup { indicator, kind: all_groups[g].kind }),
                // Not expected (a group reaches a target only through indicators it needs); the
                // whole model is always right.
                None => (model.clone(), (0..n_targets).collect(), all_groups[g]),
            }
        })
        .collect();
    let boot_seed = rng::splitmix64(config.seed ^ BOOTSTRAP_SALT);
    // Under scrambled Sobol' points the intervals come from the estimates on blocks of
    // 2^replicate_bits paths (a remainder joins the last whole block), not from a bootstrap.
    let blocks = match sampling {
        Sampling::Sobol { replicate_bits, .. } if config.bootstrap > 0 => {
            Some((replicate_bits, (config.samples >> replicate_bits).max(1)))
        }
        _ => None,
    };
    let slots = match blocks {
        Some((_, count)) => count as usize + 1,
        None => config.bootstrap + 1,
    };
    let mut accs: Vec<[QuantityAcc; 2]> =
        target_groups.iter().map(|g| [QuantityAcc::new(slots, g.len()), QuantityAcc::new(slots, g.len())]).collect();
    let block = ((BLOCK_BYTES / (8 * record_len.max(1))) as u64 / CHUNK).max(1) * CHUNK;
    let evaluations_per_path = (active.len() + 2) as u64;

    let mut start = 0;
    while start < config.samples {
        let end = (start + block).min(config.samples);
        let n_pieces = (end - start).div_ceil(PIECE);
        let records: Vec<Vec<f64>> = (0..n_pieces)
            .into_par_iter()
            .map_init(
                || (Block::new(model), hybrids.iter().map(|(m, _, _)| Block::new(m)).collect::<Vec<_>>()),
                |(block, hybrid_blocks), piece| {
                    let from = start + piece * PIECE;
                    let to = (from + PIECE).min(end);
                    let mut out = vec![0.0; (to - from) as usize * record_len];
                    // Blocks of LANES paths on the block engine (the per-path reference's bits):
                    // A, B, then each hybrid, each target's column copied into the records.
                    let mut first = from;
                    for records in out.chunks_mut(LANES * record_len) {
                        let len = records.len() / record_len;
                        let mut copy = |block: &Block, t: usize, at: usize| {
                            let (values, _) = block.target_column(t);
                            for (record, &v) in records.chunks_exact_mut(record_len).zip(values) {
                                record[at] = v;
                            }
                        };
                        block.simulate(model, &streams_a, first, len);
                        (0..n_targets).for_each(|t| copy(block, t, t));
                        if whole {
                            block.simulate(model, &streams_b, first, len);
                        } else {
                            block.simulate(model, &streams_b_independent, first, len);
                        }
                        (0..n_targets).for_each(|t| copy(block, t, n_targets + t));
                        for (a, (sub_model, keep, group)) in hybrids.iter().enumerate() {
                            let hybrid = Hybrid { a: seed_a, b: seed_b, group: *group, sampling, b_offset };
                            let sub_block = &mut hybrid_blocks[a];
                            sub_block.simulate(sub_model, &hybrid, first, len);
                            for (k, &t) in keep.iter().enumerate() {
                                if reach[active[a]][t] {
                                    copy(sub_block, k, pair_offset[a][t]);
                                }
                            }
                        }
                        first += len as u64;
                    }
                    progress((to - from) * evaluations_per_path);
                    out
                },
            )
            .collect();
        let n_block = (end - start) as usize;
        let mut block_weights = vec![0.0; if blocks.is_some() { 0 } else { n_block * slots }];
        block_weights
            .par_chunks_mut(slots)
            .enumerate()
            .for_each(|(k, w)| weights(boot_seed, start + k as u64, config.bootstrap, w));
        let path_weights = |k: usize| match blocks {
            Some((bits, count)) => Weights::Block(1 + ((start + k as u64) >> bits).min(count - 1) as usize),
            None => Weights::Bootstrap(&block_weights[k * slots..(k + 1) * slots]),
        };
        accs.par_iter_mut().enumerate().for_each(|(t, [metric, hit])| {
            let target = &model.targets[t];
            let offsets: Vec<usize> = target_groups[t].iter().map(|&a| pair_offset[a][t]).collect();
            let mut k = 0;
            for chunk in &records {
                for record in chunk.chunks_exact(record_len) {
                    let w = path_weights(k);
                    let (fa, fb) = (record[t], record[n_targets + t]);
                    metric.add(fa, fb, offsets.iter().map(|&o| record[o]), w);
                    hit.add(
                        hit_value(target, fa),
                        hit_value(target, fb),
                        offsets.iter().map(|&o| hit_value(target, record[o])),
                        w,
                    );
                    k += 1;
                }
            }
        });
        start = end;
    }

    let group_ids: Vec<String> = all_groups.iter().map(|g| g.id(model)).collect();
    let targets = model
        .targets
        .iter()
        .enumerate()
        .map(|(t, target)| {
            let names: Vec<String> = target_groups[t].iter().map(|&a| group_ids[active[a]].clone()).collect();
            let [metric, hit] = &accs[t];
            let mut hit_indices = hit.finish(&names, blocks.is_some());
            // Indices of a 0/1 quantity rest on the paths where it is 1 (or 0): with a handful
            // of them the estimators are noise (total effects far above 1 have been seen).
            let events = hit_indices.mean.map(|p| {
                let n = 2.0 * hit_indices.n_valid as f64;
                (p * n).min((1.0 - p) * n)
            });
            if events.is_some_and(|e| e < MIN_HIT_EVENTS) {
                for g in &mut hit_indices.groups {
                    g.first = None;
                    g.total = None;
                }
                hit_indices.sum_first = None;
                hit_indices.note = Some(format!(
                    "fewer than {MIN_HIT_EVENTS} hits or misses among the 2N evaluations of A and B: \
                     indices of the hit indicator are not estimated (raise N)"
                ));
            }
            TargetSobol {
                id: target.id.clone(),
                label_zh: target.label_zh.clone(),
                label_en: target.label_en.clone(),
                metric_description: target.describe(model),
                unit: target.unit.clone(),
                probability: hit_indices.mean.unwrap_or(f64::NAN),
                metric: metric.finish(&names, blocks.is_some()),
                hit: hit_indices,
            }
        })
        .collect();
    SobolResult {
        feasim_version: env!("CARGO_PKG_VERSION").to_string(),
        scenario: scenario_info(model),
        run: SobolRun {
            seed: seed_a,
            seed_b,
            samples: config.samples,
            bootstrap: if blocks.is_some() { 0 } else { config.bootstrap },
            blocks: blocks.map(|(_, count)| count),
            groups_simulated: active.len(),
            model_evaluations: config.samples * evaluations_per_path,
            method: format!(
                "Saltelli et al. (2010) design{}; first order: Saltelli (2010) on f centred at its mean; \
                 total effect: Jansen (1999); {}",
                match config.sampling {
                    Sampling::Sobol { shared_bits: 0, .. } => {
                        " on scrambled Sobol' points (A and B the first and second D dimensions of one point per path, \
                         in independently scrambled replicates of 2^m paths)"
                    }
                    Sampling::Sobol { .. } => {
                        " on scrambled Sobol' points (A and B the first and second D dimensions of one point per path; \
                         the N paths are the first N points of one Owen-scrambled Sobol' sequence, \
                         independently scrambled sequences of 65536 points beyond that)"
                    }
                    _ => "",
                },
                match (config.sampling, blocks) {
                    (Sampling::Sobol { shared_bits: 0, .. }, Some((_, count))) => format!(
                        "95% intervals: estimate ± t(0.975, {}) standard errors from the spread of the estimates \
                         on the {count} independently scrambled replicates",
                        count - 1
                    ),
                    (_, Some((_, count))) => format!(
                        "95% intervals: estimate ± t(0.975, {}) standard errors from the spread of the estimates \
                         on {count} consecutive blocks of the sequence, as if the blocks were independent \
                         (conservative: the whole sequence is more even than independent blocks)",
                        count - 1
                    ),
                    (_, None) => "95% intervals: estimate ± 1.96 Poisson-bootstrap standard errors".to_string(),
                }
            ),
        },
        groups: all_groups
            .iter()
            .zip(&group_ids)
            .map(|(g, id)| {
                let indicator = &model.indicators[g.indicator];
                let name = crate::analysis::params::indicator_words(model, g.indicator);
                let (kind_zh, kind_en) = match g.kind {
                    GroupKind::Shocks => ("各年冲击", "yearly shocks"),
                    GroupKind::Base => ("基期值", "base value"),
                };
                GroupInfo {
                    id: id.clone(),
                    indicator: indicator.id.clone(),
                    kind: g.kind.name().into(),
                    label_zh: format!("{} · {kind_zh}", name.zh),
                    label_en: format!("{} · {kind_en}", name.en),
                }
            })
            .collect(),
        targets,
    }
}

/// The scenario's identification as recorded in analysis outputs.
pub(crate) fn scenario_info(model: &Model) -> ScenarioInfo {
    ScenarioInfo::of(model)
}

/// One line of the terminal table: a group's indices on one target.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolRow {
    pub target: String,
    pub group: String,
    pub first: Option<Estimate>,
    pub total: Option<Estimate>,
    pub hit_first: Option<Estimate>,
    pub hit_total: Option<Estimate>,
}

/// Rows for a terminal table: per target, its `top` groups by total effect on the tested quantity.
pub fn table_rows(result: &SobolResult, top: usize) -> Vec<SobolRow> {
    let mut rows = Vec::new();
    for target in &result.targets {
        for g in target.metric.top(top) {
            let hit = target.hit_group(&g.group);
            rows.push(SobolRow {
                target: target.id.clone(),
                group: g.group.clone(),
                first: g.first,
                total: g.total,
                hit_first: hit.and_then(|h| h.first),
                hit_total: hit.and_then(|h| h.total),
            });
        }
    }
    rows
}

fn fmt_estimate(e: Option<Estimate>) -> String {
    match e {
        Some(e) => format!("{:.3} [{:.3}, {:.3}]", e.value, e.low, e.high),
        None => "–".into(),
    }
}

/// The terminal table: per target its `top` groups (`width` = terminal columns, if known).
pub fn render_table(result: &SobolResult, top: usize, width: Option<u16>) -> String {
    use comfy_table::presets::UTF8_FULL_CONDENSED;
    use comfy_table::{ContentArrangement, Table};
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    table.set_header(["Target", "Group", "S (metric)", "ST (metric)", "S (hit)", "ST (hit)"]);
    for row in table_rows(result, top) {
        table.add_row(vec![
            row.target,
            row.group,
            fmt_estimate(row.first),
            fmt_estimate(row.total),
            fmt_estimate(row.hit_first),
            fmt_estimate(row.hit_total),
        ]);
    }
    let intervals = match result.run.blocks {
        Some(blocks) => format!("95% intervals from {blocks} blocks of Sobol' points"),
        None => format!("95% bootstrap intervals ({} replicates)", result.run.bootstrap),
    };
    format!(
        "{} — Sobol' indices, N = {} ({} model evaluations), seed {}, {intervals}\n{table}\n",
        result.scenario.title, result.run.samples, result.run.model_evaluations, result.run.seed
    )
}

/// `sobol.csv`: one row per target, quantity (metric / hit) and group reaching the target.
pub fn to_csv(result: &SobolResult) -> anyhow::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "target",
        "target_label_zh",
        "target_label_en",
        "quantity",
        "group",
        "group_label_zh",
        "group_label_en",
        "first",
        "first_low",
        "first_high",
        "total",
        "total_low",
        "total_high",
        "variance",
        "n_valid",
    ])?;
    let cell = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for target in &result.targets {
        for (name, q) in [("metric", &target.metric), ("hit", &target.hit)] {
            for g in &q.groups {
                let group = result.groups.iter().find(|info| info.id == g.group);
                writer.write_record([
                    target.id.clone(),
                    target.label_zh.clone(),
                    target.label_en.clone(),
                    name.to_string(),
                    g.group.clone(),
                    group.map_or(String::new(), |info| info.label_zh.clone()),
                    group.map_or(String::new(), |info| info.label_en.clone()),
                    cell(g.first.map(|e| e.value)),
                    cell(g.first.map(|e| e.low)),
                    cell(g.first.map(|e| e.high)),
                    cell(g.total.map(|e| e.value)),
                    cell(g.total.map(|e| e.low)),
                    cell(g.total.map(|e| e.high)),
                    cell(q.variance),
                    q.n_valid.to_string(),
                ])?;
            }
        }
    }
    Ok(writer.into_inner().map_err(|e| e.into_error())?)
}

/// Write `sobol.json` and `sobol.csv` into `dir` (each atomically); returns the paths written.
pub fn write_files(result: &SobolResult, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let json = serde_json::to_vec_pretty(result).context("cannot format sobol.json")?;
    let csv = to_csv(result).context("cannot format sobol.csv")?;
    let mut written = Vec::new();
    for (name, bytes) in [("sobol.json", json), ("sobol.csv", csv)] {
        let path = dir.join(name);
        crate::report::atomic_write(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_weights_have_mean_and_variance_one() {
        let mut w = vec![0.0; 20_001];
        weights(7, 3, 20_000, &mut w);
        assert_eq!(w[0], 1.0);
        let n = 20_000.0;
        let mean = w[1..].iter().sum::<f64>() / n;
        let var = w[1..].iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        assert!((mean - 1.0).abs() < 0.03 && (var - 1.0).abs() < 0.05, "mean {mean} var {var}");
    }

    #[test]
    fn normal_interval_is_the_estimate_plus_minus_1_96_standard_deviations() {
        // Replicates −1, 0, 1: standard deviation 1 (divisor B − 1).
        let e = normal_interval(0.5, &[1.0, -1.0, 0.0]);
        assert_eq!(e.value, 0.5);
        assert!((e.low - (0.5 - Z_975)).abs() < 1e-15 && (e.high - (0.5 + Z_975)).abs() < 1e-15);
        // Constant replicates (a structural zero): no width.
        let zero = normal_interval(0.0, &[0.0; 5]);
        assert_eq!((zero.low, zero.high), (0.0, 0.0));
    }
}
