//! Tornado chart of one target: the ten assumptions that move its probability the most, each a
//! pair of horizontal bars from the baseline probability to the probability with the assumption
//! moved down (blue) and up (orange), biggest mover on top, each bar with the paired 95% interval
//! of its end. Rows are named in words (the indicator's label and the kind of assumption), with
//! the shifts tried in words below ("growth mean −1 pp / +1 pp", "spread ÷ 1.5 / × 1.5"). A
//! warning is drawn when the baseline has fewer than 30 hits or misses (the intervals are then
//! unreliable).

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::analysis_style::{MIN_SIDE, human, joined_shifts, whisker};
use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::sensitivity::{SensitivityReport, TargetBaseline, fmt_number};
use crate::summary::PairedDifference;

/// Parameters shown.
pub const TOP: usize = 10;
const ROW: i32 = 56;
const X_AXIS: i32 = 84;
const VALUE_COLUMN: i32 = 190;
const LOW: RGBColor = PALETTE[0];
const HIGH: RGBColor = PALETTE[1];

struct Row {
    label: String,
    /// The shifts tried, in words.
    shifts: String,
    p_low: f64,
    p_high: f64,
    low: PairedDifference,
    high: PairedDifference,
    delta: String,
}

pub struct TornadoChart<'a> {
    theme: &'a Theme,
    report: &'a SensitivityReport,
    target: &'a TargetBaseline,
    rows: Vec<Row>,
    label_width: i32,
    legend: Vec<LegendItem>,
    /// Why the intervals are unreliable, when the baseline has too few hits or misses.
    warning: Option<String>,
    top: i32,
}

/// The warning drawn when the baseline has fewer than [`MIN_SIDE`] hits or misses.
fn few_paths_warning(theme: &Theme, hits: u64, paths: u64) -> Option<String> {
    let misses = paths.saturating_sub(hits);
    let (count, zh, en) = if hits < MIN_SIDE {
        (hits, "实现目标", "hit the target")
    } else if misses < MIN_SIDE {
        (misses, "未实现目标", "miss the target")
    } else {
        return None;
    };
    Some(if theme.zh() {
        format!("注意：基准情形中仅 {count} 条路径{zh}（少于 {MIN_SIDE} 条）：概率变化及其区间不可靠，请增加 --paths")
    } else {
        format!(
            "Warning: only {count} baseline paths {en} (fewer than {MIN_SIDE}): the changes and their intervals are unreliable; use more --paths"
        )
    })
}

impl<'a> TornadoChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a SensitivityReport, target: &'a TargetBaseline) -> Self {
        let movers = report.top_movers(&target.id, TOP);
        let raw: Vec<(String, String)> = movers
            .iter()
            .map(|(p, _)| {
                let label = human(theme, &p.id, &p.label_zh, &p.label_en);
                let (low, high) =
                    if theme.zh() { (&p.shift_low.zh, &p.shift_high.zh) } else { (&p.shift_low.en, &p.shift_high.en) };
                let shifts = if low.is_empty() || high.is_empty() || !theme.drawable(low) || !theme.drawable(high) {
                    format!("{} / {}", fmt_number(p.low), fmt_number(p.high))
                } else {
                    joined_shifts(low, high)
                };
                (label, shifts)
            })
            .collect();
        let max_label = (WIDTH as f64 * 0.45) as i32;
        let widest = raw
            .iter()
            .map(|r| theme.width(&theme.clean(&r.0), LABEL_SIZE).max(theme.width(&theme.clean(&r.1), NOTE_SIZE)))
            .max()
            .unwrap_or(0);
        let label_width = (widest + 24).clamp(160, max_label);
        let rows = raw
            .into_iter()
            .zip(&movers)
            .map(|((label, shifts), (_, e))| Row {
                label: theme.fit(&label, LABEL_SIZE, label_width - 24),
                shifts: theme.fit(&shifts, NOTE_SIZE, label_width - 24),
                p_low: e.p_low,
                p_high: e.p_high,
                low: e.low,
                high: e.high,
                delta: format!("{:+.1} / {:+.1} pp", 100.0 * e.low.difference, 100.0 * e.high.difference),
            })
            .collect();
        let legend = vec![
            LegendItem::new(Swatch::Box(LOW.to_rgba()), theme.tr("假设下调", "assumption lowered")),
            LegendItem::new(Swatch::Box(HIGH.to_rgba()), theme.tr("假设上调", "assumption raised")),
            LegendItem::new(Swatch::Line(TARGET.to_rgba(), 3), theme.tr("基准概率", "baseline probability")),
            LegendItem::new(Swatch::Whisker(TEXT.to_rgba()), theme.tr("95% 配对区间", "95% paired interval")),
        ];
        let warning = few_paths_warning(theme, target.baseline.hits, report.run.paths);
        let header = MARGIN + TITLE_SIZE as i32 + 12 + SUBTITLE_SIZE as i32 + 16;
        let warning_height = if warning.is_some() { LABEL_SIZE as i32 + 14 } else { 0 };
        let top = header + theme.legend_height(&legend, WIDTH as i32 - 2 * MARGIN) + warning_height + 16;
        TornadoChart { theme, report, target, rows, label_width, legend, warning, top }
    }
}

impl Chart for TornadoChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.rows.len().max(1) as i32;
        (WIDTH, (self.top + rows * ROW + X_AXIS + MARGIN) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let root = canvas.root;
        root.fill(&WHITE)?;
        let base = self.target.baseline.probability;
        let title = format!(
            "{} · {}",
            t.id_label(&self.target.id, &self.target.label_zh, &self.target.label_en),
            t.tr("对各项假设的敏感性", "sensitivity to assumptions")
        );
        let subtitle = if t.zh() {
            format!(
                "基准实现概率 {} · 影响最大的 {} 项假设 · {} 条路径（同一组随机数）",
                fmt_pct(base),
                self.rows.len(),
                fmt_count(self.report.run.paths)
            )
        } else {
            format!(
                "baseline P(hit) {} · {} biggest movers · {} paths (common random numbers)",
                fmt_pct(base),
                self.rows.len(),
                fmt_count(self.report.run.paths)
            )
        };
        let header = canvas.header(&title, &subtitle)?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;
        if let Some(warning) = &self.warning {
            let y = header + t.legend_height(&self.legend, WIDTH as i32 - 2 * MARGIN) + 4;
            let text = t.fit(warning, LABEL_SIZE, WIDTH as i32 - 2 * MARGIN);
            canvas.text(&text, LABEL_SIZE, TARGET, (MARGIN, y), (HPos::Left, VPos::Top))?;
        }

        let n = self.rows.len();
        let mut low = base;
        let mut high = base;
        for r in &self.rows {
            low = low.min(r.p_low).min(r.p_high).min(base + r.low.ci_low).min(base + r.high.ci_low);
            high = high.max(r.p_low).max(r.p_high).max(base + r.low.ci_high).max(base + r.high.ci_high);
        }
        let (low, high) = padded(100.0 * low, 100.0 * high, 0.08);
        let (low, high) = (low.max(0.0), high.min(100.0));
        let (low, high) = if high - low < 2.0 { ((low - 1.0).max(0.0), (high + 1.0).min(100.0)) } else { (low, high) };
        let (ticks, step) = nice_ticks(low, high, 8);
        let area = root.margin(self.top, MARGIN, MARGIN, MARGIN + VALUE_COLUMN);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(X_AXIS)
            .y_label_area_size(self.label_width)
            .build_cartesian_2d(Ticked::new(low..high, ticks.clone()), -0.5f64..(n.max(1) as f64 - 0.5))?;
        draw_row_frame(&mut chart, t, n, None)?;
        let axes = Axes {
            x_ticks: tick_labels(&ticks, step, "%"),
            y_ticks: vec![],
            x_desc: t.tr("实现目标的概率", "Probability of hitting the target"),
            y_desc: "",
        };
        canvas.axes(&chart, &axes)?;
        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        if n == 0 {
            canvas.message(
                t.tr("没有假设影响这个目标", "No assumption moves this target"),
                (x_pixels.start, x_pixels.end),
                (y_pixels.start, y_pixels.end),
            )?;
            return Ok(());
        }
        if (low..=high).contains(&50.0) {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(50.0, -0.5), (50.0, n as f64 - 0.5)],
                8,
                6,
                MUTED.stroke_width(2),
            )))?;
        }
        let b = 100.0 * base;
        for (i, row) in self.rows.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let (_, py) = chart.backend_coord(&(low, y));
            canvas.text(&row.label, LABEL_SIZE, TEXT, (x_pixels.start - 12, py - 2), (HPos::Right, VPos::Bottom))?;
            canvas.text(&row.shifts, NOTE_SIZE, MUTED, (x_pixels.start - 12, py + 2), (HPos::Right, VPos::Top))?;
            // Lowered below the row's centre, raised above it (the legend's order, top to bottom:
            // the raised bar is drawn nearer the top).
            chart.draw_series([
                Rectangle::new([(b, y - 0.36), (100.0 * row.p_low, y - 0.02)], LOW.filled()),
                Rectangle::new([(b, y + 0.02), (100.0 * row.p_high, y + 0.36)], HIGH.filled()),
            ])?;
            let clip = |v: f64| (100.0 * v).clamp(low, high);
            let style = TEXT.stroke_width(2);
            chart.draw_series(whisker(
                clip(base + row.low.ci_low),
                clip(base + row.low.ci_high),
                y - 0.19,
                0.1,
                style,
            ))?;
            chart.draw_series(whisker(
                clip(base + row.high.ci_low),
                clip(base + row.high.ci_high),
                y + 0.19,
                0.1,
                style,
            ))?;
            canvas.text(&row.delta, LABEL_SIZE, TEXT, (x_pixels.end + 14, py), (HPos::Left, VPos::Center))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(b, -0.5), (b, n as f64 - 0.5)],
            TARGET.stroke_width(3),
        )))?;
        Ok(())
    }
}
