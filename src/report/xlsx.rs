//! `report.xlsx`: a run as an Excel workbook an economist can hand over — targets, indicator
//! quantiles by year, assumptions, sensitivity and the run's identity, one sheet each.
//!
//! Pure: builds the workbook in memory from a [`Model`], its [`Summary`] and optionally a
//! [`SensitivityReport`]; the caller writes the bytes with [`super::atomic_write`]. Numbers are
//! stored as numbers (the exact f64, so a reader gets back the value of `summary.json`) with a
//! number format for display; every sheet has a frozen, filtered header row and column widths fitted
//! to its text (Chinese characters counted as two columns). The workbook carries no date, so the
//! same run gives the same bytes (written with `rust_xlsxwriter`, whose zip entries carry a fixed
//! time; the document's creation time is pinned to 1980-01-01, the zip epoch).

use std::path::Path;

use anyhow::Context;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet};
use unicode_width::UnicodeWidthStr;

use crate::analysis::sensitivity::SensitivityReport;
use crate::engine::Sampling;
use crate::model::Model;
use crate::plot::Language;
use crate::report::assumptions::{self, Grounding};
use crate::summary::Summary;

/// The sheet names, in order. They stay English in both languages so scripts can find them.
pub const SHEETS: [&str; 5] = ["Targets", "Indicators", "Assumptions", "Sensitivity", "Run"];

/// Widest column, in Excel's character units; longer text wraps.
const MAX_WIDTH: f64 = 60.0;

/// Height of one line of text in the default font (Calibri 11), in points.
const ROW_HEIGHT: f64 = 15.0;

/// Lines `s` takes in a column of [`MAX_WIDTH`], allowing a tenth more for proportional glyphs.
fn wrapped_lines(s: &str) -> usize {
    let per_line = MAX_WIDTH - 3.0;
    s.lines().map(|line| ((line.width() as f64 * 1.1 / per_line).ceil() as usize).max(1)).sum::<usize>().max(1)
}

/// The workbook of a run: the sheets of [`SHEETS`] (Sensitivity only when `sensitivity` is given).
/// `scenario_path` is the scenario file as given on the command line, for the command that
/// reproduces the run. Headers and words follow `language` (`Auto` is Chinese: a workbook needs
/// no font of ours); labels are given in both languages.
pub fn workbook(
    model: &Model,
    summary: &Summary,
    sensitivity: Option<&SensitivityReport>,
    language: Language,
    scenario_path: &Path,
) -> anyhow::Result<Vec<u8>> {
    let en = language == Language::English;
    let mut sheets =
        vec![targets_sheet(model, summary, en), indicators_sheet(summary, en), assumptions_sheet(model, en)];
    if let Some(report) = sensitivity {
        sheets.push(sensitivity_sheet(model, report, en));
    }
    sheets.push(run_sheet(model, summary, sensitivity, scenario_path, en));

    let mut book = Workbook::new();
    let epoch = ExcelDateTime::from_ymd(1980, 1, 1).context("the workbook's fixed date")?;
    let title = if en { "feasim report" } else { "feasim 报告" };
    book.set_properties(
        &DocProperties::new().set_title(format!("{title}: {}", summary.scenario.title)).set_creation_datetime(&epoch),
    );
    let formats = Formats::new();
    for sheet in &sheets {
        let worksheet = book.add_worksheet();
        sheet.write(worksheet, &formats).with_context(|| format!("cannot build the sheet {}", sheet.name))?;
    }
    book.save_to_buffer().context("cannot assemble report.xlsx")
}

/// How a number is shown (the stored value is always the exact f64).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shown {
    /// A probability as a percentage, 0.00%.
    Percent,
    /// A small probability (standard error) as a percentage, 0.000%.
    PercentFine,
    /// A difference of probabilities, signed: +0.00%.
    PercentSigned,
    /// A whole number with thousands separators.
    Integer,
    /// `n` decimals with thousands separators.
    Decimals(u8),
    /// Excel's General format (seeds, years).
    General,
}

enum Cell {
    Text(String),
    Number(f64, Shown),
    Blank,
}

fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    if s.is_empty() { Cell::Blank } else { Cell::Text(s) }
}

/// A number, or a blank cell when it is not finite (Excel has no NaN; a blank is what a reader
/// expects for "not available").
fn number(v: f64, shown: Shown) -> Cell {
    if v.is_finite() { Cell::Number(v, shown) } else { Cell::Blank }
}

fn optional(v: Option<f64>, shown: Shown) -> Cell {
    v.map_or(Cell::Blank, |v| number(v, shown))
}

/// A count: a number when Excel holds it exactly (below 2^53), else text.
fn count(v: u64) -> Cell {
    if v < 1 << 53 { Cell::Number(v as f64, Shown::General) } else { Cell::Text(v.to_string()) }
}

/// The display format of a quantity whose typical size is `typical`: about four significant
/// digits, as the terminal table shows them.
fn sized(typical: f64) -> Shown {
    if !typical.is_finite() || typical == 0.0 {
        return Shown::Decimals(2);
    }
    let decimals = (3 - typical.abs().log10().floor() as i32).clamp(0, 4) as u8;
    if decimals == 0 { Shown::Integer } else { Shown::Decimals(decimals) }
}

struct Sheet {
    name: &'static str,
    headers: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

/// A column header in the workbook's language.
fn header(en: bool, zh: &'static str, english: &'static str) -> &'static str {
    if en { english } else { zh }
}

struct Formats {
    header: Format,
    wrap: Format,
    percent: Format,
    percent_fine: Format,
    percent_signed: Format,
    integer: Format,
    decimals: [Format; 5],
    general: Format,
}

impl Formats {
    fn new() -> Self {
        Formats {
            header: Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Top),
            wrap: Format::new().set_text_wrap().set_align(FormatAlign::Top),
            percent: Format::new().set_num_format("0.00%"),
            percent_fine: Format::new().set_num_format("0.000%"),
            percent_signed: Format::new().set_num_format("+0.00%;-0.00%;0.00%"),
            integer: Format::new().set_num_format("#,##0"),
            decimals: [
                Format::new().set_num_format("#,##0"),
                Format::new().set_num_format("#,##0.0"),
                Format::new().set_num_format("#,##0.00"),
                Format::new().set_num_format("#,##0.000"),
                Format::new().set_num_format("#,##0.0000"),
            ],
            general: Format::new(),
        }
    }

    fn of(&self, shown: Shown) -> &Format {
        match shown {
            Shown::Percent => &self.percent,
            Shown::PercentFine => &self.percent_fine,
            Shown::PercentSigned => &self.percent_signed,
            Shown::Integer => &self.integer,
            Shown::Decimals(d) => &self.decimals[usize::from(d.min(4))],
            Shown::General => &self.general,
        }
    }
}

/// Approximate displayed width of a number in `shown` (for column widths).
fn shown_width(v: f64, shown: Shown) -> usize {
    let digits = |decimals: usize, scale: f64| {
        let s = format!("{:.decimals$}", v * scale);
        let int_digits = s.split('.').next().unwrap_or("").trim_start_matches('-').len();
        s.len() + int_digits.saturating_sub(1) / 3
    };
    match shown {
        Shown::Percent => digits(2, 100.0) + 1,
        Shown::PercentFine => digits(3, 100.0) + 1,
        Shown::PercentSigned => digits(2, 100.0) + 2,
        Shown::Integer => digits(0, 1.0),
        Shown::Decimals(d) => digits(usize::from(d), 1.0),
        Shown::General => format!("{v}").len(),
    }
}

impl Sheet {
    fn write(&self, ws: &mut Worksheet, formats: &Formats) -> anyhow::Result<()> {
        ws.set_name(self.name)?;
        let n_cols = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width().clamp(6, 24)).collect();
        for (c, h) in self.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &formats.header)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            debug_assert_eq!(row.len(), n_cols, "sheet {} row {r}", self.name);
            let r = r as u32 + 1;
            // Lines of the tallest wrapped cell: readers do not grow a row for wrapped text
            // themselves, so the row gets its height here.
            let mut lines = 1;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                match cell {
                    Cell::Text(s) => {
                        let w = s.lines().map(|l| l.width()).max().unwrap_or(0);
                        widths[c] = widths[c].max(w);
                        if w as f64 > MAX_WIDTH - 2.0 || s.contains('\n') {
                            ws.write_string_with_format(r, col, s, &formats.wrap)?;
                            lines = lines.max(wrapped_lines(s));
                        } else {
                            ws.write_string(r, col, s)?;
                        }
                    }
                    Cell::Number(v, shown) => {
                        widths[c] = widths[c].max(shown_width(*v, *shown));
                        ws.write_number_with_format(r, col, *v, formats.of(*shown))?;
                    }
                    Cell::Blank => {}
                }
            }
            if lines > 1 {
                ws.set_row_height(r, ROW_HEIGHT * lines as f64)?;
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w as f64 + 2.0).min(MAX_WIDTH))?;
        }
        ws.set_freeze_panes(1, 0)?;
        ws.set_landscape();
        ws.set_repeat_rows(0, 0)?;
        if n_cols > 0 {
            ws.autofilter(0, 0, self.rows.len() as u32, n_cols as u16 - 1)?;
        }
        Ok(())
    }
}

fn targets_sheet(model: &Model, summary: &Summary, en: bool) -> Sheet {
    let h = |zh, english| header(en, zh, english);
    let headers = vec![
        h("编号", "id"),
        h("地区", "region"),
        h("章节", "section"),
        h("目标（中文）", "label (Chinese)"),
        h("目标（英文）", "label (English)"),
        h("检验的量", "tested quantity"),
        h("比较", "test"),
        h("阈值", "threshold"),
        h("单位", "unit"),
        h("达成概率", "P(hit)"),
        h("95% 区间下限", "95% CI low"),
        h("95% 区间上限", "95% CI high"),
        h("标准误", "std error"),
        h("达成路径数", "hits"),
        h("无效路径数", "invalid paths"),
        h("P10", "p10"),
        h("中位数", "median"),
        h("P90", "p90"),
        h("所需增长：参数", "needed growth: parameter"),
        h("假设的平均增长 (%)", "assumed mean growth (%)"),
        h("50% 概率所需增长 (%)", "growth for 50% (%)"),
        h("下限", "low"),
        h("上限", "high"),
        h("80% 概率所需增长 (%)", "growth for 80% (%)"),
        h("下限", "low"),
        h("上限", "high"),
        h("基期值依据", "base values"),
    ];
    let rows = summary
        .targets
        .iter()
        .map(|t| {
            let q = &t.quantiles;
            let shown = sized(if t.threshold != 0.0 { t.threshold } else { q.p50 });
            let mut row = vec![
                text(&t.id),
                text(&t.region),
                text(&t.section),
                text(&t.label_zh),
                text(&t.label_en),
                text(&t.metric),
                text(&t.comparator),
                number(t.threshold, shown),
                text(&t.unit),
                number(t.probability, Shown::Percent),
                number(t.ci_low, Shown::Percent),
                number(t.ci_high, Shown::Percent),
                number(t.std_error, Shown::PercentFine),
                count(t.hits),
                count(t.invalid),
                number(q.p10, shown),
                number(q.p50, shown),
                number(q.p90, shown),
            ];
            match &t.needed_growth {
                Some(g) => {
                    row.push(text(&g.parameter));
                    row.push(number(g.assumed, Shown::Decimals(2)));
                    for k in 0..2 {
                        match g.levels.get(k) {
                            Some(level) => row.extend([
                                optional(level.mean, Shown::Decimals(2)),
                                optional(level.ci_low, Shown::Decimals(2)),
                                optional(level.ci_high, Shown::Decimals(2)),
                            ]),
                            None => row.extend([Cell::Blank, Cell::Blank, Cell::Blank]),
                        }
                    }
                }
                None => row.extend((0..8).map(|_| Cell::Blank)),
            }
            let grounding =
                model.targets.iter().position(|m| m.id == t.id).map(|i| assumptions::target_grounding(model, i));
            row.push(match grounding {
                Some((true, _)) => text(header(en, "统计数据", "published statistics")),
                Some((false, judgements)) => {
                    text(format!("{}{}", header(en, "含判断：", "judgement: "), judgements.join(", ")))
                }
                None => Cell::Blank,
            });
            row
        })
        .collect();
    Sheet { name: SHEETS[0], headers, rows }
}

fn indicators_sheet(summary: &Summary, en: bool) -> Sheet {
    let h = |zh, english| header(en, zh, english);
    let headers = vec![
        h("编号", "id"),
        h("地区", "region"),
        h("指标（中文）", "label (Chinese)"),
        h("指标（英文）", "label (English)"),
        h("单位", "unit"),
        h("类型", "kind"),
        h("年份", "year"),
        h("最小值", "min"),
        h("P5", "p05"),
        h("P10", "p10"),
        h("P25", "p25"),
        h("中位数", "median"),
        h("P75", "p75"),
        h("P90", "p90"),
        h("P95", "p95"),
        h("最大值", "max"),
    ];
    let mut rows = Vec::new();
    for indicator in &summary.indicators {
        let typical = indicator.years.last().map_or(f64::NAN, |y| y.quantiles.p50);
        let shown = sized(typical);
        for y in &indicator.years {
            let q = &y.quantiles;
            let mut row = vec![
                text(&indicator.id),
                text(&indicator.region),
                text(&indicator.label_zh),
                text(&indicator.label_en),
                text(&indicator.unit),
                text(&indicator.kind),
                Cell::Number(f64::from(y.year), Shown::General),
            ];
            row.extend([q.min, q.p05, q.p10, q.p25, q.p50, q.p75, q.p90, q.p95, q.max].map(|v| number(v, shown)));
            rows.push(row);
        }
    }
    Sheet { name: SHEETS[1], headers, rows }
}

fn assumptions_sheet(model: &Model, en: bool) -> Sheet {
    let h = |zh, english| header(en, zh, english);
    let headers = vec![
        h("编号", "id"),
        h("地区", "region"),
        h("指标（中文）", "label (Chinese)"),
        h("指标（英文）", "label (English)"),
        h("单位", "unit"),
        h("类型", "kind"),
        h("基期值", "base value"),
        h("基期值说明", "base in words"),
        h("依据", "grounding"),
        h("来源、假设或公式", "source, assumption or formula"),
        h("每年的假设", "yearly assumption"),
        h("持续性", "persistence"),
        h("相关系数", "correlations"),
        h("备注", "note"),
    ];
    let rows = assumptions::describe(model)
        .into_iter()
        .map(|a| {
            let grounding = match (&a.grounding, en) {
                (Grounding::Cited { .. }, true) => "published statistic",
                (Grounding::Cited { .. }, false) => "统计数据",
                (Grounding::Judgement { .. }, true) => "judgement",
                (Grounding::Judgement { .. }, false) => "判断（假设）",
                (Grounding::Derived { .. }, true) => "computed",
                (Grounding::Derived { .. }, false) => "公式计算",
            };
            let correlations = a
                .correlations
                .iter()
                .map(|(other, rho)| format!("{other} {}", assumptions::number(*rho)))
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                text(&a.id),
                text(&a.region),
                text(&a.label_zh),
                text(&a.label_en),
                text(&a.unit),
                text(a.kind),
                optional(a.base, sized(a.base.unwrap_or(f64::NAN))),
                text(if en { &a.base_en } else { &a.base_zh }),
                text(grounding),
                text(a.grounding.text()),
                text(if en { &a.process_en } else { &a.process_zh }),
                optional(a.persistence, Shown::Decimals(2)),
                text(correlations),
                text(a.note.trim()),
            ]
        })
        .collect();
    Sheet { name: SHEETS[2], headers, rows }
}

/// A parameter's name in words: the indicator's label and what is shifted, e.g.
/// "沈阳 GDP（实际）· 增长均值"; correlations name both indicators.
fn parameter_label(model: &Model, id: &str, en: bool) -> String {
    let label = |indicator: &str| {
        model.indicator_index(indicator).map_or_else(
            || indicator.to_string(),
            |i| {
                let ind = &model.indicators[i];
                let l = if en { &ind.label_en } else { &ind.label_zh };
                if l.is_empty() { ind.id.clone() } else { l.clone() }
            },
        )
    };
    let Some((subject, kind)) = id.rsplit_once(':') else { return id.to_string() };
    let what = match (kind, en) {
        ("mean", true) => "mean growth",
        ("mean", false) => "增长均值",
        ("spread", true) => "spread",
        ("spread", false) => "波动",
        ("base", true) => "base value",
        ("base", false) => "基期值",
        ("persistence", true) => "persistence",
        ("persistence", false) => "持续性",
        ("rho", true) => "correlation",
        ("rho", false) => "相关系数",
        _ => kind,
    };
    match subject.split_once('~') {
        Some((a, b)) => format!("{} ~ {} · {what}", label(a), label(b)),
        None => format!("{} · {what}", label(subject)),
    }
}

fn sensitivity_sheet(model: &Model, report: &SensitivityReport, en: bool) -> Sheet {
    let h = |zh, english| header(en, zh, english);
    let headers = vec![
        h("参数", "parameter"),
        h("参数说明", "parameter in words"),
        h("类型", "kind"),
        h("单位", "unit"),
        h("设定值", "value"),
        h("低值", "low"),
        h("高值", "high"),
        h("目标", "target"),
        h("目标（中文）", "target (Chinese)"),
        h("目标（英文）", "target (English)"),
        h("基准概率", "P(hit) baseline"),
        h("低值时概率", "P(hit) at low"),
        h("高值时概率", "P(hit) at high"),
        h("ΔP 低值", "ΔP low"),
        h("ΔP 低值 区间下限", "ΔP low CI low"),
        h("ΔP 低值 区间上限", "ΔP low CI high"),
        h("ΔP 高值", "ΔP high"),
        h("ΔP 高值 区间下限", "ΔP high CI low"),
        h("ΔP 高值 区间上限", "ΔP high CI high"),
    ];
    let mut rows = Vec::new();
    for p in &report.parameters {
        let shown = sized(if p.value != 0.0 { p.value } else { p.high - p.low });
        for e in &p.effects {
            let target = report.targets.iter().find(|t| t.id == e.target);
            let pct = Shown::PercentSigned;
            rows.push(vec![
                text(&p.id),
                text(parameter_label(model, &p.id, en)),
                text(&p.kind),
                text(&p.unit),
                number(p.value, shown),
                number(p.low, shown),
                number(p.high, shown),
                text(&e.target),
                text(target.map_or("", |t| t.label_zh.as_str())),
                text(target.map_or("", |t| t.label_en.as_str())),
                number(target.map_or(f64::NAN, |t| t.baseline.probability), Shown::Percent),
                number(e.p_low, Shown::Percent),
                number(e.p_high, Shown::Percent),
                number(e.low.difference, pct),
                number(e.low.ci_low, pct),
                number(e.low.ci_high, pct),
                number(e.high.difference, pct),
                number(e.high.ci_low, pct),
                number(e.high.ci_high, pct),
            ]);
        }
    }
    Sheet { name: SHEETS[3], headers, rows }
}

fn sampling_name(sampling: Sampling) -> &'static str {
    match sampling {
        Sampling::Independent => "independent",
        Sampling::Antithetic => "antithetic",
        Sampling::LatinHypercube => "lhs",
        Sampling::Sobol { .. } => "sobol",
    }
}

/// `path` as a shell word: quoted when it holds anything but safe characters.
fn shell_word(path: &Path) -> String {
    let s = path.to_string_lossy();
    let safe = |c: char| c.is_alphanumeric() || "-_./+,:=@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) { s.into_owned() } else { format!("'{}'", s.replace('\'', r"'\''")) }
}

fn run_sheet(
    model: &Model,
    summary: &Summary,
    sensitivity: Option<&SensitivityReport>,
    scenario_path: &Path,
    en: bool,
) -> Sheet {
    let h = |zh, english| header(en, zh, english);
    let headers = vec![h("项目", "item"), h("值", "value"), h("说明", "meaning")];
    let run = &summary.run;
    let sampling = sampling_name(run.sampling);
    let mut command = format!("feasim run {} --paths {} --seed {}", shell_word(scenario_path), run.paths, run.seed);
    if run.sampling != Sampling::Independent {
        command.push_str(&format!(" --sampling {sampling}"));
    }
    if model.correlation_repair.is_some() {
        command.push_str(" --repair-correlations");
    }
    command.push_str(" --xlsx");
    if en {
        command.push_str(" --lang en");
    }
    let sampling_words = match (run.sampling, en) {
        (Sampling::Independent, true) => "independent paths (plain Monte Carlo)",
        (Sampling::Independent, false) => "独立路径（普通蒙特卡洛）",
        (Sampling::Antithetic, true) => "antithetic pairs of paths",
        (Sampling::Antithetic, false) => "对偶路径",
        (Sampling::LatinHypercube, true) => {
            &format!("Latin hypercube blocks of {} paths", run.sampling.group_size(run.paths))
        }
        (Sampling::LatinHypercube, false) => {
            &format!("每 {} 条路径一组的拉丁超立方抽样", run.sampling.group_size(run.paths))
        }
        (Sampling::Sobol { .. }, true) => &format!(
            "scrambled Sobol' points (randomised quasi-Monte Carlo) in independent replicates of {} paths",
            run.sampling.group_size(run.paths)
        ),
        (Sampling::Sobol { .. }, false) => &format!(
            "每 {} 条路径一组、各组独立加扰的 Sobol 点（随机化拟蒙特卡洛）",
            run.sampling.group_size(run.paths)
        ),
    };
    let mut rows = vec![
        vec![text(h("feasim 版本", "feasim version")), text(&summary.feasim_version), Cell::Blank],
        vec![text(h("情景", "scenario")), text(&summary.scenario.name), text(&summary.scenario.title)],
        vec![
            text(h("情景文件", "scenario file")),
            text(scenario_path.to_string_lossy()),
            text(h("相对于运行时的工作目录", "as given on the command line")),
        ],
        vec![
            text("SHA-256"),
            text(&summary.scenario.hash),
            text(h("情景文件（含所扩展的文件）的哈希", "hash of the scenario file(s), extends included")),
        ],
        vec![
            text(h("基期年", "base year")),
            Cell::Number(f64::from(summary.scenario.base_year), Shown::General),
            Cell::Blank,
        ],
        vec![
            text(h("末年", "end year")),
            Cell::Number(f64::from(summary.scenario.end_year), Shown::General),
            Cell::Blank,
        ],
        vec![text(h("路径数", "paths")), count(run.paths), text(h("模拟的路径数", "simulated paths"))],
        vec![
            text(h("随机种子", "seed")),
            count(run.seed),
            text(h("同一种子得到同样的结果", "the same seed gives the same result")),
        ],
        vec![text(h("抽样", "sampling")), text(sampling), text(sampling_words)],
        vec![
            text(h("重现命令", "command to reproduce")),
            text(command),
            text(h("在同一工作目录运行，得到同样的数字", "run from the same folder: gives the same numbers")),
        ],
        vec![
            text(h("全部目标达成概率", "P(all targets hit)")),
            number(summary.all_targets.probability, Shown::Percent),
            text(format!(
                "95% CI {:.2}%–{:.2}%",
                100.0 * summary.all_targets.ci_low,
                100.0 * summary.all_targets.ci_high
            )),
        ],
        vec![
            text(h("预期达成目标数", "expected number of targets hit")),
            number(summary.targets_hit.expected, Shown::Decimals(2)),
            text(format!("{} {}", h("目标总数", "of"), summary.targets.len())),
        ],
    ];
    for region in &summary.regions {
        rows.push(vec![
            text(format!("{}{}", h("该地区全部目标达成概率：", "P(all targets hit): "), region.region)),
            number(region.all_hit.probability, Shown::Percent),
            text(format!(
                "95% CI {:.2}%–{:.2}%, {} {}",
                100.0 * region.all_hit.ci_low,
                100.0 * region.all_hit.ci_high,
                region.targets,
                h("个目标", "targets")
            )),
        ]);
    }
    rows.push(vec![
        text(h("区间的含义", "what an interval means")),
        text(h(
            "95% 区间反映有限路径数带来的蒙特卡洛误差（Wilson 区间），不包括假设本身的不确定性",
            "95% intervals show the Monte Carlo error of a finite number of paths (Wilson score interval), not the uncertainty of the assumptions themselves",
        )),
        Cell::Blank,
    ]);
    if let Some(r) = &model.correlation_repair {
        rows.push(vec![
            text(h("相关矩阵修复", "correlations repaired")),
            number(r.max_abs_change, Shown::Decimals(4)),
            text(format!(
                "{} {} ~ {}",
                h("最大改变位于", "largest change between"),
                r.max_change_between.0,
                r.max_change_between.1
            )),
        ]);
    }
    if let Some(s) = sensitivity {
        rows.push(vec![
            text(h("敏感性分析路径数", "sensitivity paths")),
            count(s.run.paths),
            text(h("敏感性分析在共同随机数上成对比较", "sensitivity compares pairs on common random numbers")),
        ]);
        rows.push(vec![text(h("敏感性分析种子", "sensitivity seed")), count(s.run.seed), Cell::Blank]);
        for skipped in &s.skipped {
            rows.push(vec![text(h("未分析的参数", "parameter left out")), text(&skipped.id), text(&skipped.reason)]);
        }
    }
    if !summary.scenario.notes.is_empty() {
        rows.push(vec![text(h("情景说明", "scenario notes")), text(summary.scenario.notes.trim()), Cell::Blank]);
    }
    Sheet { name: SHEETS[4], headers, rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sized_keeps_about_four_significant_digits() {
        assert_eq!(sized(31_000.0), Shown::Integer);
        assert_eq!(sized(6.5), Shown::Decimals(3));
        assert_eq!(sized(0.05), Shown::Decimals(4));
        assert_eq!(sized(f64::NAN), Shown::Decimals(2));
    }

    #[test]
    fn wrapped_text_counts_its_lines() {
        assert_eq!(wrapped_lines("short"), 1);
        assert_eq!(wrapped_lines("one\ntwo\nthree"), 3);
        // 100 Chinese characters are 200 columns wide: four lines of 57 columns.
        assert_eq!(wrapped_lines(&"目".repeat(100)), 4);
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word(Path::new("scenarios/a-b.toml")), "scenarios/a-b.toml");
        assert_eq!(shell_word(Path::new("my plan's.toml")), r"'my plan'\''s.toml'");
        assert_eq!(shell_word(Path::new("规划.toml")), "规划.toml");
    }
}
