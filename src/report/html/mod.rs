//! `report.html`: one self-contained page (inline SVG, CSS and JavaScript; no request leaves the
//! file) an economist can hand over — headline and generated findings, the sortable target table,
//! a card per target (histogram, fan chart, tornado, what-if sliders over a precomputed sweep),
//! the assumptions, and how to reproduce the run.
//!
//! Pure: [`page`] takes a run's [`Summary`], its model and (optionally) the sensitivity analysis
//! and sweeps made on the same paths, and returns the page as a `String`; the `feasim report`
//! command simulates and writes it. Both languages are in the page (`<span class="zh">`/`"en"`),
//! and a switch in the page picks one; every string from the scenario is escaped ([`escape`]).

pub mod escape;
pub mod svg;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::params::{self, ParamKind, Subject};
use crate::analysis::sensitivity::{SensitivityReport, fmt_number, metric_reads};
use crate::analysis::sweep::SweepReport;
use crate::engine::Sampling;
use crate::model::{Model, Process};
use crate::report::assumptions::{self as described, Grounding, target_grounding};
use crate::summary::{Summary, TargetSummary};
use escape::text as esc;

/// A text in Chinese and in English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl Bilingual {
    pub fn new(zh: &str, en: &str) -> Self {
        Bilingual { zh: zh.to_string(), en: en.to_string() }
    }

    /// The same text in both languages (an id, a number).
    pub fn both(s: &str) -> Self {
        Bilingual::new(s, s)
    }

    /// Escaped markup: one span per language, or the text alone when both are equal.
    pub fn html(&self) -> String {
        if self.zh == self.en {
            esc(&self.en)
        } else {
            format!(r#"<span class="zh">{}</span><span class="en">{}</span>"#, esc(&self.zh), esc(&self.en))
        }
    }

    /// A label in each language, falling back to the other when one is empty.
    fn label(zh: &str, en: &str) -> Self {
        match (zh.trim().is_empty(), en.trim().is_empty()) {
            (true, false) => Bilingual::both(en),
            (false, true) => Bilingual::both(zh),
            _ => Bilingual::new(zh, en),
        }
    }
}

/// Language shown when the page opens (the other is one click away).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    Chinese,
    English,
}

/// Everything the page is made of.
pub struct ReportInput<'a> {
    pub model: &'a Model,
    pub summary: &'a Summary,
    /// The sensitivity analysis on the same seed (its own, smaller number of paths).
    pub sensitivity: Option<&'a SensitivityReport>,
    /// Sweeps of the strongest drivers on the sensitivity's paths, one report or several.
    pub sweeps: &'a [SweepReport],
    /// The command that reproduces the run, as the user would type it.
    pub command: String,
    pub language: Language,
    /// Drivers shown per target (tornado rows and sliders).
    pub top: usize,
}

/// A number for the page: four significant digits, whole numbers kept whole.
pub fn fmt_value(v: f64) -> String {
    fmt_number(v)
}

fn pct(p: f64) -> String {
    if p.is_finite() { format!("{:.1}%", 100.0 * p) } else { "–".into() }
}

fn pct_interval(p: f64, lo: f64, hi: f64) -> String {
    format!("{} [{:.1}, {:.1}]", pct(p), 100.0 * lo, 100.0 * hi)
}

/// The distinct parameters to sweep: the `top` strongest drivers (largest |ΔP|) of every target
/// in the sensitivity analysis, in order of first appearance over the targets.
pub fn drivers_to_sweep(sensitivity: &SensitivityReport, top: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in &sensitivity.targets {
        for (p, _) in sensitivity.top_movers(&t.id, top) {
            if !out.contains(&p.id) {
                out.push(p.id.clone());
            }
        }
    }
    out
}

/// A parameter in words, e.g. "沈阳 实际GDP · 增长率均值" / "Shenyang real GDP · mean growth".
pub fn param_words(model: &Model, id: &str) -> Bilingual {
    let Ok(param) = params::find(model, id) else { return Bilingual::both(id) };
    let name = |i: usize| {
        let ind = &model.indicators[i];
        Bilingual::label(&ind.label_zh, &ind.label_en)
    };
    match param.subject {
        Subject::Pair(i, j) => {
            let (a, b) = (name(i), name(j));
            Bilingual::new(&format!("{}与{}的相关系数", a.zh, b.zh), &format!("correlation of {} and {}", a.en, b.en))
        }
        Subject::Indicator(i) => {
            let n = name(i);
            let (zh, en) = match (param.kind, &model.indicators[i].process) {
                (ParamKind::Mean, Process::Level { .. }) => ("增长率均值", "mean growth"),
                (ParamKind::Mean, Process::Rate { .. }) => ("年变化均值", "mean yearly change"),
                (ParamKind::Mean, _) => ("年新增均值", "mean yearly additions"),
                (ParamKind::Spread, _) => ("波动幅度", "spread"),
                (ParamKind::Base, _) => ("基数", "base value"),
                (ParamKind::Persistence, _) => ("持续性", "persistence"),
                (ParamKind::Correlation, _) => ("相关系数", "correlation"),
            };
            Bilingual::new(&format!("{} · {zh}", n.zh), &format!("{} · {en}", n.en))
        }
    }
}

/// A tried value of a parameter in words: a spread as "÷ 1.5"/"× 1.5", others with their unit.
fn shift_words(kind: &str, value: f64, unit: &str) -> String {
    if kind == "spread" {
        if value < 1.0 { format!("÷{}", fmt_value(1.0 / value)) } else { format!("×{}", fmt_value(value)) }
    } else if unit.is_empty() {
        fmt_value(value)
    } else {
        format!("{} {unit}", fmt_value(value))
    }
}

/// One slider's data: P(hit) of a target at every grid value of one driver.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WhatIf {
    pub param: String,
    pub unit: String,
    pub kind: String,
    pub value: f64,
    pub values: Vec<f64>,
    pub p: Vec<f64>,
    pub lo: Vec<f64>,
    pub hi: Vec<f64>,
}

/// The sliders of every target: for each target, one entry per top driver that was swept.
pub fn what_ifs(sensitivity: &SensitivityReport, sweeps: &[SweepReport], top: usize) -> BTreeMap<String, Vec<WhatIf>> {
    let mut out = BTreeMap::new();
    for t in &sensitivity.targets {
        let mut list = Vec::new();
        for (p, _) in sensitivity.top_movers(&t.id, top) {
            let found = sweeps.iter().flat_map(|r| &r.sweeps).find(|s| s.param == p.id);
            let Some(sweep) = found else { continue };
            let Some(curve) = sweep.curves.iter().find(|c| c.target == t.id) else { continue };
            list.push(WhatIf {
                param: sweep.param.clone(),
                unit: sweep.unit.clone(),
                kind: sweep.kind.clone(),
                value: sweep.value,
                values: sweep.values.clone(),
                p: curve.points.iter().map(|q| q.probability.probability).collect(),
                lo: curve.points.iter().map(|q| q.probability.ci_low).collect(),
                hi: curve.points.iter().map(|q| q.probability.ci_high).collect(),
            });
        }
        if !list.is_empty() {
            out.insert(t.id.clone(), list);
        }
    }
    out
}

/// Index of the grid value closest to `value`.
fn nearest(values: &[f64], value: f64) -> usize {
    values.iter().enumerate().min_by(|a, b| (a.1 - value).abs().total_cmp(&(b.1 - value).abs())).map_or(0, |(k, _)| k)
}

fn target_label(t: &TargetSummary) -> Bilingual {
    Bilingual::label(&t.label_zh, &t.label_en)
}

fn sampling_words(s: Sampling, paths: u64) -> Bilingual {
    match s {
        Sampling::Independent => Bilingual::new("独立路径", "independent paths"),
        Sampling::Antithetic => Bilingual::new("对偶路径（成对）", "antithetic pairs"),
        Sampling::LatinHypercube => {
            let block = s.group_size(paths);
            Bilingual {
                zh: format!("拉丁超立方（每块{block}条路径）"),
                en: format!("Latin hypercube blocks of {} paths", crate::units::thousands(block as f64, 0)),
            }
        }
        Sampling::Sobol { replicate_bits, .. } => Bilingual::new(
            &format!("随机化拟蒙特卡洛（加扰 Sobol 点，每组{}条路径）", 1u64 << replicate_bits),
            &format!("scrambled Sobol' points in replicates of {} paths", 1u64 << replicate_bits),
        ),
    }
}

/// The findings written at the top of the page, each generated from the numbers.
pub fn findings(input: &ReportInput) -> Vec<Bilingual> {
    let s = input.summary;
    let mut out = Vec::new();
    let finite: Vec<&TargetSummary> = s.targets.iter().filter(|t| t.probability.is_finite()).collect();
    if let (Some(low), Some(high)) = (
        finite.iter().min_by(|a, b| a.probability.total_cmp(&b.probability).then_with(|| b.id.cmp(&a.id))),
        finite.iter().max_by(|a, b| a.probability.total_cmp(&b.probability).then_with(|| b.id.cmp(&a.id))),
    ) {
        let (l, h) = (target_label(low), target_label(high));
        out.push(Bilingual::new(
            &format!(
                "最难达成的目标：{}（{}），达成概率 {}。",
                l.zh,
                low.id,
                pct_interval(low.probability, low.ci_low, low.ci_high)
            ),
            &format!(
                "Least likely: {} ({}), hit with probability {}.",
                l.en,
                low.id,
                pct_interval(low.probability, low.ci_low, low.ci_high)
            ),
        ));
        out.push(Bilingual::new(
            &format!(
                "最有把握的目标：{}（{}），达成概率 {}。",
                h.zh,
                high.id,
                pct_interval(high.probability, high.ci_low, high.ci_high)
            ),
            &format!(
                "Most likely: {} ({}), hit with probability {}.",
                h.en,
                high.id,
                pct_interval(high.probability, high.ci_low, high.ci_high)
            ),
        ));
    }
    let n = s.targets.len();
    let below = s.targets.iter().filter(|t| t.probability < 0.5).count();
    let above = s.targets.iter().filter(|t| t.probability >= 0.8).count();
    out.push(Bilingual::new(
        &format!("{n} 个目标中，{below} 个达成概率低于50%，{above} 个不低于80%。"),
        &format!("Of {n} targets, {below} have less than a 50% chance and {above} at least 80%."),
    ));
    if let Some(sens) = input.sensitivity {
        let mut movers: Vec<_> = sens
            .parameters
            .iter()
            .filter_map(|p| p.effects.iter().max_by(|a, b| a.max_abs().total_cmp(&b.max_abs())).map(|e| (p, e)))
            .filter(|(_, e)| e.max_abs() > 0.0)
            .collect();
        movers.sort_by(|a, b| b.1.max_abs().total_cmp(&a.1.max_abs()).then_with(|| a.0.id.cmp(&b.0.id)));
        for (p, e) in movers.into_iter().take(3) {
            let words = param_words(input.model, &p.id);
            let (value, d) =
                if e.low.difference.abs() >= e.high.difference.abs() { (p.low, &e.low) } else { (p.high, &e.high) };
            let label = s
                .targets
                .iter()
                .find(|t| t.id == e.target)
                .map(target_label)
                .unwrap_or_else(|| Bilingual::both(&e.target));
            let tried = shift_words(&p.kind, value, &p.unit);
            let written = shift_words(&p.kind, p.value, &p.unit);
            out.push(Bilingual::new(
                &format!(
                    "假设“{}”从 {written} 改为 {tried}，使“{}”（{}）的达成概率变化 {:+.1} 个百分点（95%区间 {:+.1} 至 {:+.1}）。",
                    words.zh,
                    label.zh,
                    e.target,
                    100.0 * d.difference,
                    100.0 * d.ci_low,
                    100.0 * d.ci_high
                ),
                &format!(
                    "Moving “{}” from {written} to {tried} changes the chance of “{}” ({}) by {:+.1} percentage points (95% interval {:+.1} to {:+.1}).",
                    words.en,
                    label.en,
                    e.target,
                    100.0 * d.difference,
                    100.0 * d.ci_low,
                    100.0 * d.ci_high
                ),
            ));
        }
    }
    let judged = (0..input.model.targets.len()).filter(|&t| !target_grounding(input.model, t).0).count();
    if judged > 0 {
        out.push(Bilingual::new(
            &format!("{judged} 个目标依赖的基数是判断（没有已公布的统计数），其概率比其余目标更依赖假设。"),
            &format!(
                "{judged} target{} rest on a base value that is a judgement, not a published statistic; their probabilities lean more on the assumptions.",
                if judged == 1 { "" } else { "s" }
            ),
        ));
    }
    out
}

/// The page.
pub fn page(input: &ReportInput) -> String {
    let s = input.summary;
    let mut out = String::with_capacity(1 << 20);
    let (lang_attr, show) = match input.language {
        Language::Chinese => ("zh-CN", "show-zh"),
        Language::English => ("en", "show-en"),
    };
    let title = Bilingual::label(&s.scenario.title, s.scenario.title_in(true));
    let _ = write!(
        out,
        r#"<!DOCTYPE html>
<html lang="{lang_attr}" class="{show}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top">
<div class="switch" role="group" aria-label="language"><button type="button" data-set-lang="zh">中文</button><button type="button" data-set-lang="en">English</button></div>
<h1>{}</h1>
<p class="sub">{}</p>
</header>
<main>
"#,
        esc(&s.scenario.title),
        title.html(),
        Bilingual::new(
            &format!(
                "规划目标可行性报告 · 预测年份 {}–{} · {} 条模拟路径 · 随机种子 {}",
                s.scenario.base_year + 1,
                s.scenario.end_year,
                s.run.paths,
                s.run.seed
            ),
            &format!(
                "Feasibility of the plan's targets · projection {}–{} · {} simulated paths · seed {}",
                s.scenario.base_year + 1,
                s.scenario.end_year,
                s.run.paths,
                s.run.seed
            )
        )
        .html()
    );
    headline(&mut out, input);
    target_table(&mut out, input);
    cards(&mut out, input);
    assumptions(&mut out, input);
    method(&mut out, input);
    out.push_str("</main>\n");
    let data = input.sensitivity.map(|sens| what_ifs(sens, input.sweeps, input.top)).unwrap_or_default();
    let json = serde_json::to_string(&data).unwrap_or_else(|_| "{}".into());
    let _ = write!(
        out,
        "<script type=\"application/json\" id=\"whatif-data\">{}</script>\n<script>{JS}</script>\n</body>\n</html>\n",
        escape::script_json(&json)
    );
    out
}

fn section(out: &mut String, id: &str, heading: Bilingual) {
    let _ = writeln!(out, "<section id=\"{id}\"><h2>{}</h2>", heading.html());
}

fn headline(out: &mut String, input: &ReportInput) {
    let s = input.summary;
    section(out, "headline", Bilingual::new("要点", "Headline"));
    out.push_str("<div class=\"tiles\">");
    let tile = |out: &mut String, label: Bilingual, value: String, note: String| {
        let _ = write!(
            out,
            "<div class=\"tile\"><div class=\"tl\">{}</div><div class=\"tv\">{}</div><div class=\"tn\">{}</div></div>",
            label.html(),
            esc(&value),
            esc(&note)
        );
    };
    tile(
        out,
        Bilingual::new("预期达成目标数", "Expected number of targets hit"),
        format!("{:.1} / {}", s.targets_hit.expected, s.targets.len()),
        String::new(),
    );
    tile(
        out,
        Bilingual::new("全部目标同时达成", "All targets hit together"),
        pct(s.all_targets.probability),
        format!("[{:.1}, {:.1}]", 100.0 * s.all_targets.ci_low, 100.0 * s.all_targets.ci_high),
    );
    for r in &s.regions {
        let region = Bilingual::label(&r.region, s.scenario.region_in(&r.region, true));
        tile(
            out,
            Bilingual::new(
                &format!("{}：全部 {} 个目标达成", region.zh, r.targets),
                &format!("{}: all {} targets hit", region.en, r.targets),
            ),
            pct(r.all_hit.probability),
            format!("[{:.1}, {:.1}]", 100.0 * r.all_hit.ci_low, 100.0 * r.all_hit.ci_high),
        );
    }
    out.push_str("</div>\n<h3>");
    out.push_str(&Bilingual::new("主要发现", "Findings").html());
    out.push_str("</h3>\n<ul class=\"findings\">");
    for f in findings(input) {
        let _ = write!(out, "<li>{}</li>", f.html());
    }
    out.push_str("</ul>\n</section>\n");
}

/// A table cell with a sort key (`data-v`): numbers sort numerically, text alphabetically.
fn cell_num(out: &mut String, v: f64, shown: &str) {
    let key = if v.is_finite() { format!("{v}") } else { String::new() };
    let _ = write!(out, "<td class=\"n\" data-v=\"{key}\">{}</td>", esc(shown));
}

fn target_table(out: &mut String, input: &ReportInput) {
    let s = input.summary;
    section(out, "targets", Bilingual::new("目标一览", "Targets"));
    let _ = write!(
        out,
        "<p class=\"hint\">{}</p>\n<div class=\"table-wrap\"><table class=\"sortable\" id=\"target-table\"><thead><tr>",
        Bilingual::new(
            "点击表头排序。区间为95%置信区间；“50%/80%所需增长”为使目标以50%/80%概率达成所需的平均增长；“50%/80%可达门槛”为以该概率能达到的门槛值。",
            "Click a header to sort. Intervals are 95%. “Growth for 50%/80%” is the mean growth that would give the target a 50%/80% chance; “threshold at 50%/80%” is the threshold that would be hit with that probability."
        )
        .html()
    );
    let headers = [
        Bilingual::both("ID"),
        Bilingual::new("目标", "Target"),
        Bilingual::new("检验", "Test"),
        Bilingual::new("达成概率", "P(hit)"),
        Bilingual::both("p10"),
        Bilingual::new("中位数", "Median"),
        Bilingual::both("p90"),
        Bilingual::new("50%所需增长", "Growth for 50%"),
        Bilingual::new("80%所需增长", "Growth for 80%"),
        Bilingual::new("50%可达门槛", "Threshold at 50%"),
        Bilingual::new("80%可达门槛", "Threshold at 80%"),
        Bilingual::new("基数依据", "Base value"),
    ];
    for (k, h) in headers.iter().enumerate() {
        let kind = if (3..=10).contains(&k) { "num" } else { "text" };
        let _ = write!(out, "<th data-type=\"{kind}\" tabindex=\"0\">{}</th>", h.html());
    }
    out.push_str("</tr></thead><tbody>\n");
    for (t, ts) in s.targets.iter().enumerate() {
        let _ = write!(out, "<tr><td class=\"tid\" data-v=\"{0}\"><a href=\"#card-{0}\">{0}</a></td>", esc(&ts.id));
        let label = target_label(ts);
        let _ = write!(out, "<td class=\"tlabel\" data-v=\"{}\">{}</td>", esc(&label.en), label.html());
        if let Some(n) = ts.conditions {
            // A joint target: its conditions are spelled out on its card.
            let test = Bilingual::new(&format!("{n} 项条件全部满足"), &format!("all {n} conditions"));
            let _ = write!(out, "<td class=\"test\" data-v=\"{}\">{}</td>", esc(&test.en), test.html());
        } else {
            let test = format!("{} {} {} {}", ts.metric, ts.comparator, fmt_value(ts.threshold), ts.unit);
            let _ = write!(out, "<td class=\"test\" data-v=\"{0}\">{0}</td>", esc(&test));
        }
        cell_num(out, ts.probability, &pct_interval(ts.probability, ts.ci_low, ts.ci_high));
        for v in [ts.quantiles.p10, ts.quantiles.p50, ts.quantiles.p90] {
            cell_num(out, v, &fmt_value(v));
        }
        for k in 0..2 {
            let level = ts.needed_growth.as_ref().and_then(|g| g.levels.get(k));
            match level.and_then(|l| l.mean.map(|m| (m, l.ci_low, l.ci_high))) {
                Some((m, lo, hi)) => {
                    let interval = match (lo, hi) {
                        (Some(lo), Some(hi)) => format!(" [{}, {}]", fmt_value(lo), fmt_value(hi)),
                        _ => String::new(),
                    };
                    cell_num(out, m, &format!("{}%{interval}", fmt_value(m)));
                }
                None => cell_num(out, f64::NAN, "–"),
            }
        }
        for v in [ts.threshold_for_50, ts.threshold_for_80] {
            cell_num(out, v, &fmt_value(v));
        }
        let basis = match target_grounding(input.model, t) {
            (true, _) => Bilingual::new("已公布统计数", "cited statistic"),
            (false, ids) => {
                // A rank among many uncertain competitors would list them all: name three.
                let (zh, en) = match ids.len() {
                    0..=3 => (ids.join("、"), ids.join(", ")),
                    n => (
                        format!("{} 等{n}项", ids[..3].join("、")),
                        format!("{} and {} more", ids[..3].join(", "), n - 3),
                    ),
                };
                Bilingual::new(&format!("判断（{zh}）"), &format!("judgement ({en})"))
            }
        };
        let _ = writeln!(out, "<td class=\"basis\" data-v=\"{}\">{}</td></tr>", esc(&basis.en), basis.html());
    }
    out.push_str("</tbody></table></div>\n</section>\n");
}

fn cards(out: &mut String, input: &ReportInput) {
    let s = input.summary;
    let m = input.model;
    section(out, "cards", Bilingual::new("逐项目标", "Target by target"));
    let whatifs = input.sensitivity.map(|sens| what_ifs(sens, input.sweeps, input.top)).unwrap_or_default();
    for (t, ts) in s.targets.iter().enumerate() {
        let label = target_label(ts);
        let _ = write!(
            out,
            "<article class=\"card\" id=\"card-{}\"><h3><span class=\"id\">{}</span> {}</h3>",
            esc(&ts.id),
            esc(&ts.id),
            label.html()
        );
        let _ = write!(
            out,
            "<p class=\"big\">{} <b>{}</b> <span class=\"ci\">[{:.1}, {:.1}]</span></p>",
            Bilingual::new("达成概率", "P(hit)").html(),
            pct(ts.probability),
            100.0 * ts.ci_low,
            100.0 * ts.ci_high
        );
        let _ = write!(
            out,
            "<p class=\"meta\">{}: {} {} {} {}</p>",
            Bilingual::new("检验", "Test").html(),
            esc(&ts.metric),
            esc(&ts.comparator),
            esc(&fmt_value(ts.threshold)),
            esc(&ts.unit)
        );
        if !ts.wording.trim().is_empty() || !ts.region.trim().is_empty() {
            let _ = write!(out, "<p class=\"meta\">{} · {}</p>", esc(&ts.region), esc(&ts.wording));
        }
        if !ts.note.trim().is_empty() {
            let _ = write!(out, "<p class=\"note\">{}</p>", esc(&ts.note));
        }
        if ts.invalid > 0 {
            let _ = write!(
                out,
                "<p class=\"warn\">{}</p>",
                Bilingual::new(
                    &format!("{} 条路径的检验数值无法计算，计为未达成。", ts.invalid),
                    &format!(
                        "On {} paths the tested quantity could not be computed; they count as misses.",
                        ts.invalid
                    )
                )
                .html()
            );
        }
        out.push_str("<div class=\"charts\">");
        let hits_above = matches!(ts.comparator.as_str(), ">=" | ">");
        let (threshold, range) = (ts.threshold, ts.range);
        // Two-sided tests (==, between, about) hit inside their interval.
        let hits = move |x: f64| match range {
            Some([low, high]) => low <= x && x <= high,
            None if hits_above => x >= threshold,
            None => x <= threshold,
        };
        let _ = write!(
            out,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            svg::histogram(
                &ts.histogram.edges,
                &ts.histogram.counts,
                ts.threshold,
                &hits,
                &Bilingual::new("检验数值的分布", "Distribution of the tested quantity"),
                &ts.unit
            ),
            Bilingual::new("检验数值的分布（绿色：达成）", "Distribution of the tested quantity (green: hit)").html()
        );
        if let Some((years, marker, ind)) = fan_data(m, s, t) {
            let ind_label = Bilingual::label(&ind.label_zh, &ind.label_en);
            let _ = write!(
                out,
                "<figure>{}<figcaption>{}</figcaption></figure>",
                svg::fan(&years, marker, &Bilingual::new("扇形图", "Fan chart"), &ind.unit),
                Bilingual::new(&format!("{}（{}）", ind_label.zh, ind.id), &format!("{} ({})", ind_label.en, ind.id))
                    .html()
            );
        }
        out.push_str("</div>");
        if let Some(sens) = input.sensitivity {
            let rows: Vec<svg::TornadoRow> = sens
                .top_movers(&ts.id, input.top)
                .into_iter()
                .map(|(p, e)| svg::TornadoRow {
                    name: param_words(m, &p.id),
                    low: Bilingual::both(&shift_words(&p.kind, p.low, &p.unit)),
                    high: Bilingual::both(&shift_words(&p.kind, p.high, &p.unit)),
                    d_low: (e.low.difference, e.low.ci_low, e.low.ci_high),
                    d_high: (e.high.difference, e.high.ci_low, e.high.ci_high),
                })
                .collect();
            let warn = sens.targets.iter().find(|b| b.id == ts.id).and_then(|b| {
                let hits = b.baseline.hits;
                let misses = sens.run.paths.saturating_sub(hits);
                (hits.min(misses) < 30).then(|| {
                    Bilingual::new(
                        &format!("注意：敏感性分析的 {} 条路径中仅有 {} 条达成或未达成，变化量不精确。", sens.run.paths, hits.min(misses)),
                        &format!(
                            "Caution: only {} of the sensitivity analysis's {} paths hit (or miss) this target; the changes are imprecise.",
                            hits.min(misses),
                            sens.run.paths
                        ),
                    )
                })
            });
            let _ = write!(
                out,
                "<figure class=\"wide\">{}<figcaption>{}{}</figcaption></figure>",
                svg::tornado(&rows, &Bilingual::new("主要驱动因素", "Top drivers")),
                Bilingual::new(
                    &format!("主要驱动因素：每项假设下调（灰）与上调（蓝）时达成概率的变化，{} 条共同随机数路径", sens.run.paths),
                    &format!("Top drivers: change in P(hit) when each assumption moves down (grey) and up (blue), on {} common random paths", sens.run.paths)
                )
                .html(),
                warn.map(|w| format!(" <span class=\"warn\">{}</span>", w.html())).unwrap_or_default()
            );
        }
        if let Some(list) = whatifs.get(&ts.id) {
            let _ = write!(
                out,
                "<div class=\"whatifs\"><h4>{}</h4>",
                Bilingual::new("假如……（预先计算的扫描）", "What if… (precomputed sweep)").html()
            );
            for (k, w) in list.iter().enumerate() {
                let start = nearest(&w.values, w.value);
                let words = param_words(m, &w.param);
                let _ = write!(
                    out,
                    "<div class=\"whatif\" data-target=\"{}\" data-param=\"{}\" data-k=\"{k}\"><label><span class=\"wl\">{}</span> <input type=\"range\" min=\"0\" max=\"{}\" step=\"1\" value=\"{start}\" aria-label=\"{}\"></label> <output>{}</output></div>",
                    esc(&ts.id),
                    esc(&w.param),
                    words.html(),
                    w.values.len().saturating_sub(1),
                    esc(&words.en),
                    whatif_text(w, start)
                );
            }
            out.push_str("</div>");
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}

/// The slider's read-out at grid point `k` (the script writes the same text when it moves).
fn whatif_text(w: &WhatIf, k: usize) -> String {
    format!(
        "<span class=\"wv\">{}</span> → <span class=\"zh\">达成概率</span><span class=\"en\">P(hit)</span> <b class=\"wp\" data-p=\"{}\">{}</b> <span class=\"wi\">[{:.1}, {:.1}]</span>",
        esc(&shift_words(&w.kind, w.values[k], &w.unit)),
        w.p[k],
        pct(w.p[k]),
        100.0 * w.lo[k],
        100.0 * w.hi[k]
    )
}

type FanData<'m> = (Vec<svg::FanYear>, Option<(i32, f64)>, &'m crate::model::Indicator);

/// The fan chart of the indicator behind target `t`: the marker's indicator, or the first one
/// its metric reads.
fn fan_data<'m>(m: &'m Model, s: &Summary, t: usize) -> Option<FanData<'m>> {
    let ts = &s.targets[t];
    let (i, marker) = match &ts.marker {
        Some(mk) => (m.indicator_index(&mk.indicator)?, Some((mk.year, mk.level))),
        None => (*metric_reads(&m.targets[t].metric).first()?, None),
    };
    let ind = s.indicators.get(i)?;
    let years = ind
        .years
        .iter()
        .map(|y| svg::FanYear {
            year: y.year,
            p05: y.quantiles.p05,
            p25: y.quantiles.p25,
            p50: y.quantiles.p50,
            p75: y.quantiles.p75,
            p95: y.quantiles.p95,
        })
        .collect();
    Some((years, marker, &m.indicators[i]))
}

fn assumptions(out: &mut String, input: &ReportInput) {
    let s = input.summary;
    section(out, "assumptions", Bilingual::new("假设", "Assumptions"));
    let _ = writeln!(
        out,
        "<div class=\"table-wrap\"><table class=\"plain\"><thead><tr><th>ID</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        Bilingual::new("指标", "Indicator").html(),
        Bilingual::new("基数", "Base").html(),
        Bilingual::new("来源或假设", "Source or assumption").html(),
        Bilingual::new("每年变化", "Yearly movement").html(),
        Bilingual::new("相关", "Correlations").html()
    );
    for a in described::describe(input.model) {
        let label = Bilingual::label(&a.label_zh, &a.label_en);
        let grounding = match &a.grounding {
            Grounding::Cited { source } => Bilingual::new(&format!("统计：{source}"), &format!("statistic: {source}")),
            Grounding::Judgement { assumption } => {
                Bilingual::new(&format!("判断：{assumption}"), &format!("judgement: {assumption}"))
            }
            Grounding::Derived { expression } => {
                Bilingual::new(&format!("公式：{expression}"), &format!("formula: {expression}"))
            }
        };
        let movement = match a.persistence {
            Some(p) if p != 0.0 => Bilingual::new(
                &format!("{}；持续性 {}", a.process_zh, described::number(p)),
                &format!("{}; persistence {}", a.process_en, described::number(p)),
            ),
            _ => Bilingual::new(&a.process_zh, &a.process_en),
        };
        let correlations =
            a.correlations.iter().map(|(id, rho)| format!("{id} {rho:+.2}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            out,
            "<tr><td class=\"id\">{}</td><td>{}</td><td>{}</td><td>{}{}</td><td>{}</td><td class=\"small\">{}</td></tr>",
            esc(&a.id),
            label.html(),
            Bilingual::new(&a.base_zh, &a.base_en).html(),
            grounding.html(),
            if a.note.trim().is_empty() {
                String::new()
            } else {
                format!("<div class=\"note\">{}</div>", esc(&a.note))
            },
            movement.html(),
            esc(&correlations)
        );
    }
    out.push_str("</tbody></table></div>\n");
    if !s.not_modelled.is_empty() {
        let _ = write!(out, "<h3>{}</h3><ul>", Bilingual::new("未建模的目标", "Targets not modelled").html());
        for nm in &s.not_modelled {
            let _ = write!(
                out,
                "<li>{} {} — {}</li>",
                esc(&nm.id),
                Bilingual::label(&nm.label_zh, &nm.label_en).html(),
                esc(&nm.reason)
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("</section>\n");
}

fn method(out: &mut String, input: &ReportInput) {
    let s = input.summary;
    section(out, "method", Bilingual::new("方法与复现", "Method and reproducibility"));
    out.push_str("<dl class=\"method\">");
    let row = |out: &mut String, k: Bilingual, v: String| {
        let _ = write!(out, "<dt>{}</dt><dd>{v}</dd>", k.html());
    };
    row(out, Bilingual::new("feasim 版本", "feasim version"), esc(&s.feasim_version));
    row(out, Bilingual::new("情景文件 SHA-256", "Scenario SHA-256"), format!("<code>{}</code>", esc(&s.scenario.hash)));
    row(out, Bilingual::new("复现命令", "Command to reproduce"), format!("<pre>{}</pre>", esc(&input.command)));
    row(
        out,
        Bilingual::new("抽样设计", "Sampling design"),
        format!(
            "{}; {} {}",
            sampling_words(s.run.sampling, s.run.paths).html(),
            s.run.paths,
            Bilingual::new("条路径", "paths").html()
        ),
    );
    if let Some(sens) = input.sensitivity {
        let swept: usize = input.sweeps.iter().map(|r| r.sweeps.len()).sum();
        row(
            out,
            Bilingual::new("敏感性与扫描", "Sensitivity and sweeps"),
            Bilingual::new(
                &format!(
                    "{} 项假设逐一下调与上调；每个目标最强的驱动因素（共 {swept} 项）在网格上扫描；全部使用相同随机种子的 {} 条共同随机数路径。",
                    sens.parameters.len(),
                    sens.run.paths
                ),
                &format!(
                    "{} assumptions each moved down and up; each target's strongest drivers ({swept} in all) swept over a grid; all on the same {} common random paths (same seed).",
                    sens.parameters.len(),
                    sens.run.paths
                ),
            )
            .html(),
        );
    }
    row(
        out,
        Bilingual::new("区间的含义", "What the interval means"),
        Bilingual::new(
            "概率后的方括号是95%区间：若用其他随机种子重复模拟，估计值约有95%的机会落在其中。它只衡量模拟的随机误差，不衡量假设是否正确。敏感性和扫描的变化量是在相同路径上配对计算的，只反映结论改变的那些路径。",
            "The brackets after a probability hold its 95% interval: repeating the simulation with other seeds, the estimate would fall inside it about 95 times in 100. It measures simulation noise only, not whether the assumptions are right. Changes in the sensitivity analysis and the sweeps are paired on the same paths, so they reflect only the paths whose verdict changes.",
        )
        .html(),
    );
    out.push_str("</dl>\n");
    if !s.scenario.notes.trim().is_empty() {
        let _ = write!(
            out,
            "<h3>{}</h3><p class=\"notes\">{}</p>",
            Bilingual::new("情景说明", "Scenario notes").html(),
            esc(&s.scenario.notes)
        );
    }
    out.push_str("</section>\n");
}

const CSS: &str = r#"
:root{--fg:#212121;--muted:#616161;--line:#e0e0e0;--hit:#2ca02c;--accent:#1f77b4;--red:#c81e2d}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif;color:var(--fg);line-height:1.5;overflow-wrap:break-word}
.show-zh .en,.show-en .zh{display:none}
header.top{padding:16px 20px;border-bottom:1px solid var(--line)}
header.top h1{margin:0 0 4px;font-size:1.5rem}
.sub{margin:0;color:var(--muted)}
.switch{float:right;margin-left:12px}
.switch button{font:inherit;padding:2px 10px;border:1px solid var(--line);background:#fff;cursor:pointer}
.show-zh .switch [data-set-lang=zh],.show-en .switch [data-set-lang=en]{background:var(--accent);color:#fff}
main{max-width:1200px;margin:0 auto;padding:0 20px 40px}
h2{margin-top:32px;border-bottom:2px solid var(--accent);padding-bottom:4px}
.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(180px,1fr));gap:10px}
.tile{border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.tl{color:var(--muted);font-size:.85rem}.tv{font-size:1.5rem;font-weight:600}.tn{color:var(--muted);font-size:.8rem}
.findings li{margin:4px 0}
.hint{color:var(--muted);font-size:.9rem}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;font-size:.85rem;width:100%}
th,td{border-bottom:1px solid var(--line);padding:4px 6px;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.test{font-size:.92em;color:var(--muted);min-width:12em;overflow-wrap:anywhere}
td.tid{white-space:nowrap}td.tlabel{min-width:10em}td.basis{min-width:4.5em}
table.sortable th{cursor:pointer;user-select:none;background:#f6f6f6;position:sticky;top:0}
table.sortable th[aria-sort=ascending]::after{content:" ▲"}
table.sortable th[aria-sort=descending]::after{content:" ▼"}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:16px 0;break-inside:avoid}
.card h3{margin:0 0 4px}.card .id{color:var(--muted);font-weight:400}
.big{font-size:1.1rem;margin:4px 0}.big b{font-size:1.4rem}.ci{color:var(--muted)}
.meta,.note{color:var(--muted);font-size:.85rem;margin:2px 0}
.warn{color:#8a4b00}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,320px),1fr));gap:12px;margin-top:8px}
figure{margin:0;min-width:0}figure.wide{max-width:760px;margin-top:12px}
figcaption{font-size:.8rem;color:var(--muted)}
svg.chart{width:100%;height:auto;display:block;font-family:inherit}
svg text{font-size:11px;fill:#212121}svg text.tick,svg text.small{font-size:10px;fill:#616161}
svg text.mark{fill:#c81e2d;font-weight:600}svg text.axis{fill:#616161}svg text.name{font-size:12px;font-weight:600}
.whatifs h4{margin:8px 0 4px}
.whatif{display:flex;flex-wrap:wrap;align-items:center;gap:4px 10px;margin:4px 0}
.whatif label{display:flex;flex-wrap:wrap;align-items:center;gap:4px 8px;flex:1 1 260px;min-width:0}
.whatif input{flex:1 1 140px;min-width:0}
.whatif output{font-variant-numeric:tabular-nums}
dl.method dt{font-weight:600;margin-top:8px}dl.method dd{margin-left:0}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:6px;margin:0}
code{word-break:break-all}
td.small{font-size:.75rem}
@media print{
 @page{size:A4;margin:12mm}
 body{font-size:9pt}
 .switch,.whatifs,.hint{display:none}
 main{max-width:none;padding:0}
 header.top{padding:0 0 6px}
 .card{break-inside:avoid;page-break-inside:avoid}
 .table-wrap{overflow:visible}
 table{font-size:7pt}
 td.test{min-width:11em}
 td.n{white-space:normal}
 td.tlabel{min-width:8em}
 table.sortable th{position:static}
 th,td{padding:2px 3px}
 h2{break-after:avoid}
 a{color:inherit;text-decoration:none}
}
"#;

const JS: &str = r#"
(function(){
  var root = document.documentElement;
  document.querySelectorAll('[data-set-lang]').forEach(function(b){
    b.addEventListener('click', function(){
      var l = b.getAttribute('data-set-lang');
      root.classList.remove('show-zh','show-en');
      root.classList.add('show-' + l);
      root.lang = l === 'zh' ? 'zh-CN' : 'en';
    });
  });
  document.querySelectorAll('table.sortable').forEach(function(table){
    var ths = table.querySelectorAll('th');
    ths.forEach(function(th, col){
      function sort(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        ths.forEach(function(o){ o.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var num = th.getAttribute('data-type') === 'num';
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
          if (num) {
            var fx = x === '' ? NaN : parseFloat(x), fy = y === '' ? NaN : parseFloat(y);
            if (isNaN(fx) && isNaN(fy)) return 0;
            if (isNaN(fx)) return 1;
            if (isNaN(fy)) return -1;
            return asc ? fx - fy : fy - fx;
          }
          return asc ? x.localeCompare(y) : y.localeCompare(x);
        });
        rows.forEach(function(r){ body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function(e){ if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
  });
  var data = JSON.parse(document.getElementById('whatif-data').textContent);
  function num(v){
    if (!isFinite(v)) return 'n/a';
    if (v === 0) return '0';
    var d = Math.min(10, Math.max(0, 3 - Math.floor(Math.log10(Math.abs(v)))));
    var s = v.toFixed(d);
    if (s.indexOf('.') >= 0) s = s.replace(/0+$/, '').replace(/\.$/, '');
    return s;
  }
  function words(w, v){
    if (w.kind === 'spread') return v < 1 ? '\u00f7' + num(1 / v) : '\u00d7' + num(v);
    return w.unit ? num(v) + ' ' + w.unit : num(v);
  }
  document.querySelectorAll('.whatif').forEach(function(box){
    var w = (data[box.getAttribute('data-target')] || [])[+box.getAttribute('data-k')];
    var input = box.querySelector('input');
    if (!w || !input) return;
    input.addEventListener('input', function(){
      var k = +input.value;
      box.querySelector('.wv').textContent = words(w, w.values[k]);
      var p = box.querySelector('.wp');
      p.textContent = (100 * w.p[k]).toFixed(1) + '%';
      p.setAttribute('data-p', String(w.p[k]));
      box.querySelector('.wi').textContent = '[' + (100 * w.lo[k]).toFixed(1) + ', ' + (100 * w.hi[k]).toFixed(1) + ']';
    });
  });
})();
"#;

#[cfg(test)]
mod tests;
