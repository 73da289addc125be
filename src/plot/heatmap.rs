//! Heatmap of assumptions × targets: the colour of a cell is the signed change in the target's
//! probability when the assumption is raised (ΔP of the upward shift, paired with the baseline),
//! on a diverging scale centred on 0 (blue: P(hit) rises, red: it falls) with a key.
//!
//! Only rows that matter are drawn ([`SensitivityReport::heatmap_rows`]): assumptions with at
//! least one effect (down or up) of at least [`MIN_EFFECT`] whose paired 95% interval excludes 0,
//! strongest first, at most [`MAX_ROWS`]; a note says how many were left out. Columns are the
//! targets moved by at least one row shown. Cells of targets an assumption cannot affect are grey.

use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::analysis_style::human;
use super::canvas::Canvas;
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::sensitivity::{ParamSensitivity, SensitivityReport, TargetBaseline};

/// Rows shown at most.
pub const MAX_ROWS: usize = 30;
/// The smallest |ΔP| that makes a row matter (half a percentage point).
pub const MIN_EFFECT: f64 = 0.005;
const ROW: i32 = 30;
const KEY_HEIGHT: i32 = 160;
/// Ends of the diverging scale (ColorBrewer RdBu): P(hit) falls, P(hit) rises.
const FALLS: RGBColor = RGBColor(178, 24, 43);
const RISES: RGBColor = RGBColor(33, 102, 172);
const ZERO: RGBColor = RGBColor(247, 247, 247);

pub struct HeatmapChart<'a> {
    theme: &'a Theme,
    report: &'a SensitivityReport,
    rows: Vec<&'a ParamSensitivity>,
    /// Parameters that matter but were left out by [`MAX_ROWS`].
    left_out: usize,
    columns: Vec<&'a TargetBaseline>,
    row_labels: Vec<String>,
    column_labels: Vec<String>,
    label_width: i32,
    column_label_height: i32,
    /// Largest |ΔP| of any cell shown (the ends of the colour scale).
    max: f64,
    top: i32,
    /// The subtitle's lines (one or two).
    subtitle: Vec<String>,
}

impl<'a> HeatmapChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a SensitivityReport) -> Self {
        let (rows, left_out) = report.heatmap_rows(MIN_EFFECT, MAX_ROWS);
        let columns: Vec<&TargetBaseline> =
            report.targets.iter().filter(|t| rows.iter().any(|p| p.effects.iter().any(|e| e.target == t.id))).collect();
        let max_label = (WIDTH as f64 * 0.36) as i32;
        let row_labels: Vec<String> = rows
            .iter()
            .map(|p| theme.fit(&human(theme, &p.id, &p.label_zh, &p.label_en), TICK_SIZE, max_label - 16))
            .collect();
        let label_width =
            row_labels.iter().map(|l| theme.width(l, TICK_SIZE)).max().unwrap_or(0).clamp(100, max_label) + 16;
        let column_labels: Vec<String> = columns
            .iter()
            .map(|t| theme.fit(&theme.id_label(&t.id, &t.label_zh, &t.label_en), NOTE_SIZE, 320))
            .collect();
        let column_label_height =
            column_labels.iter().map(|l| theme.width(l, NOTE_SIZE)).max().unwrap_or(0).clamp(40, 320) + 16;
        let max = rows.iter().flat_map(|p| p.effects.iter()).map(|e| e.high.difference.abs()).fold(0.0, f64::max);
        let subtitle = if theme.zh() {
            format!(
                "{} · {} 项有显著影响（≥ {} 个百分点）的假设 × {} 个目标 · {} 条路径",
                theme.scenario_title(&report.scenario),
                rows.len(),
                fmt_value(100.0 * MIN_EFFECT),
                columns.len(),
                fmt_count(report.run.paths)
            )
        } else {
            format!(
                "{} · {} assumptions with a significant effect (≥ {} pp) × {} targets · {} paths",
                theme.scenario_title(&report.scenario),
                rows.len(),
                fmt_value(100.0 * MIN_EFFECT),
                columns.len(),
                fmt_count(report.run.paths)
            )
        };
        // The subtitle on up to two lines: the scenario's title is long, and the counts after it
        // are what the reader needs.
        let subtitle = wrap_two_lines(theme, &subtitle, SUBTITLE_SIZE, WIDTH as i32 - 2 * MARGIN);
        let top = MARGIN + TITLE_SIZE as i32 + 12 + subtitle.len() as i32 * (SUBTITLE_SIZE as i32 + 6) + 10;
        HeatmapChart {
            subtitle,
            theme,
            report,
            rows,
            left_out,
            columns,
            row_labels,
            column_labels,
            label_width,
            column_label_height,
            max,
            top,
        }
    }

    /// The colour of a signed ΔP: white at 0, blue for gains and red for losses, saturating at
    /// ±max on a square-root scale (so that small effects are not lost beside a large one).
    fn color(&self, value: f64) -> RGBColor {
        let f = if self.max > 0.0 { (value.abs() / self.max).clamp(0.0, 1.0).sqrt() } else { 0.0 };
        let end = if value < 0.0 { FALLS } else { RISES };
        let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
        RGBColor(mix(ZERO.0, end.0), mix(ZERO.1, end.1), mix(ZERO.2, end.2))
    }
}

impl Chart for HeatmapChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.rows.len().max(1) as i32;
        (WIDTH, (self.top + self.column_label_height + rows * ROW + KEY_HEIGHT + MARGIN) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let root = canvas.root;
        root.fill(&WHITE)?;
        canvas
            .header_lines(t.tr("假设对各目标实现概率的影响", "Which assumptions move which targets"), &self.subtitle)?;

        let n_cols = self.columns.len().max(1) as i32;
        let x0 = MARGIN + self.label_width;
        let cell = ((WIDTH as i32 - MARGIN - x0) / n_cols).clamp(6, 60);
        let y0 = self.top + self.column_label_height;
        if self.rows.is_empty() {
            canvas.message(
                t.tr("没有假设显著改变任何目标的概率", "No assumption changes any target's probability significantly"),
                (MARGIN, WIDTH as i32 - MARGIN),
                (y0, y0 + ROW),
            )?;
            return Ok(());
        }
        // Column labels, rotated, reading upwards from just above the grid.
        let style =
            t.style(NOTE_SIZE, TEXT).transform(FontTransform::Rotate270).pos(Pos::new(HPos::Left, VPos::Center));
        for (c, label) in self.column_labels.iter().enumerate() {
            let x = x0 + c as i32 * cell + cell / 2;
            canvas.text_styled(label, &style, (x, y0 - 8))?;
        }
        for (r, (param, label)) in self.rows.iter().zip(&self.row_labels).enumerate() {
            let y = y0 + r as i32 * ROW;
            canvas.text(label, TICK_SIZE, TEXT, (x0 - 10, y + ROW / 2), (HPos::Right, VPos::Center))?;
            for (c, target) in self.columns.iter().enumerate() {
                let x = x0 + c as i32 * cell;
                let rect = [(x, y), (x + cell - 1, y + ROW - 1)];
                match param.effects.iter().find(|e| e.target == target.id) {
                    Some(e) => root.draw(&Rectangle::new(rect, self.color(e.high.difference).filled()))?,
                    None => root.draw(&Rectangle::new(rect, GRID_LIGHT.filled()))?,
                }
            }
        }
        // The key: a colour bar from −max to +max with values in percentage points.
        let y = y0 + self.rows.len() as i32 * ROW + 30;
        let width = 480;
        let steps = 96;
        for k in 0..steps {
            let x = x0 + k * width / steps;
            let position = (k as f64 + 0.5) / steps as f64 * 2.0 - 1.0;
            let value = position.signum() * position * position * self.max;
            root.draw(&Rectangle::new([(x, y), (x0 + (k + 1) * width / steps, y + 22)], self.color(value).filled()))?;
        }
        root.draw(&Rectangle::new([(x0, y), (x0 + width, y + 22)], MUTED.stroke_width(1)))?;
        let top = (HPos::Center, VPos::Top);
        for fraction in [-1.0, -0.25, 0.0, 0.25, 1.0f64] {
            // Square-root scale: a value v sits at sign(v)·√(|v|/max) of the half-width.
            let value = fraction * self.max;
            let position = fraction.signum() * fraction.abs().sqrt();
            let x = x0 + ((position + 1.0) / 2.0 * width as f64).round() as i32;
            root.draw(&PathElement::new(vec![(x, y + 22), (x, y + 28)], MUTED.stroke_width(1)))?;
            let text = if value == 0.0 { "0".to_string() } else { format!("{:+.1}", 100.0 * value) };
            canvas.text(&text, TICK_SIZE, TEXT, (x, y + 30), top)?;
        }
        canvas.text(
            t.tr(
                "颜色：上调假设时实现概率的变化（百分点；蓝 = 升高，红 = 降低）",
                "colour: change in P(hit) when the assumption is raised (pp; blue = up, red = down)",
            ),
            NOTE_SIZE,
            MUTED,
            (x0 + width / 2, y + 58),
            top,
        )?;
        let blank = t.tr("灰色：该假设不影响此目标", "grey: the assumption cannot affect the target");
        let gx = x0 + width + 60;
        root.draw(&Rectangle::new([(gx, y), (gx + 22, y + 22)], GRID_LIGHT.filled()))?;
        canvas.text(blank, LABEL_SIZE, TEXT, (gx + 32, y + 11), (HPos::Left, VPos::Center))?;
        let shown = self.rows.len();
        let quiet = self.report.parameters.len().saturating_sub(shown + self.left_out);
        let min = fmt_value(100.0 * MIN_EFFECT);
        let notes = if t.zh() {
            [
                format!("另有 {} 项有显著影响的假设因篇幅未列出（全部见 sensitivity.csv）", self.left_out),
                format!("{quiet} 项假设无显著影响（95% 区间含 0，或变化小于 {min} 个百分点）"),
            ]
        } else {
            [
                format!(
                    "{} more assumptions with a significant effect are not shown (all are in sensitivity.csv)",
                    self.left_out
                ),
                format!("{quiet} assumptions have no significant effect (95% interval contains 0, or under {min} pp)"),
            ]
        };
        for (k, note) in notes.iter().enumerate() {
            let note = t.fit(note, NOTE_SIZE, WIDTH as i32 - 2 * MARGIN);
            canvas.text(&note, NOTE_SIZE, MUTED, (MARGIN, y + 94 + 26 * k as i32), (HPos::Left, VPos::Top))?;
        }
        Ok(())
    }
}
