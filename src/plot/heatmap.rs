//! Heatmap of assumptions × targets: the colour of a cell is the largest change in the target's
//! probability when the assumption is moved down or up (max |ΔP|). Only the most influential
//! assumptions are shown (rows sorted by their largest effect), so the chart stays readable;
//! cells of targets an assumption cannot affect are left blank.

use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::Canvas;
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::sensitivity::{ParamSensitivity, SensitivityReport};

/// Rows shown at most.
pub const MAX_ROWS: usize = 40;
const ROW: i32 = 30;
const SCALE_HEIGHT: i32 = 110;
const STRONG: RGBColor = RGBColor(165, 15, 21);

pub struct HeatmapChart<'a> {
    theme: &'a Theme,
    report: &'a SensitivityReport,
    rows: Vec<&'a ParamSensitivity>,
    row_labels: Vec<String>,
    column_labels: Vec<String>,
    label_width: i32,
    column_label_height: i32,
    /// Largest |ΔP| of any cell shown (the top of the colour scale).
    max: f64,
    top: i32,
}

impl<'a> HeatmapChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a SensitivityReport) -> Self {
        let mut rows: Vec<&ParamSensitivity> =
            report.parameters.iter().filter(|p| p.max_abs_difference > 0.0).collect();
        rows.sort_by(|a, b| b.max_abs_difference.total_cmp(&a.max_abs_difference).then_with(|| a.id.cmp(&b.id)));
        rows.truncate(MAX_ROWS);
        let max_label = (WIDTH as f64 * 0.3) as i32;
        let row_labels: Vec<String> = rows.iter().map(|p| theme.fit(&p.id, TICK_SIZE, max_label - 16)).collect();
        let label_width =
            row_labels.iter().map(|l| theme.width(l, TICK_SIZE)).max().unwrap_or(0).clamp(100, max_label) + 16;
        let column_labels: Vec<String> = report.targets.iter().map(|t| theme.fit(&t.id, NOTE_SIZE, 300)).collect();
        let column_label_height =
            column_labels.iter().map(|l| theme.width(l, NOTE_SIZE)).max().unwrap_or(0).clamp(40, 300) + 16;
        let max = rows.iter().map(|p| p.max_abs_difference).fold(0.0, f64::max);
        let top = MARGIN + TITLE_SIZE as i32 + 12 + SUBTITLE_SIZE as i32 + 16;
        HeatmapChart { theme, report, rows, row_labels, column_labels, label_width, column_label_height, max, top }
    }

    fn color(&self, value: f64) -> RGBColor {
        let f = if self.max > 0.0 { (value / self.max).clamp(0.0, 1.0).sqrt() } else { 0.0 };
        let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
        RGBColor(mix(255, STRONG.0), mix(245, STRONG.1), mix(240, STRONG.2))
    }
}

impl Chart for HeatmapChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.rows.len().max(1) as i32;
        (WIDTH, (self.top + self.column_label_height + rows * ROW + SCALE_HEIGHT + MARGIN) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let root = canvas.root;
        root.fill(&WHITE)?;
        let subtitle = if t.zh() {
            format!(
                "{} · 影响最大的 {} 项假设 × {} 个目标 · 颜色 = 假设上调或下调时实现概率的最大变化 · {} 条路径",
                t.scenario_title(&self.report.scenario),
                self.rows.len(),
                self.report.targets.len(),
                fmt_count(self.report.run.paths)
            )
        } else {
            format!(
                "{} · {} most influential assumptions × {} targets · colour = largest |ΔP| when moved down or up · {} paths",
                t.scenario_title(&self.report.scenario),
                self.rows.len(),
                self.report.targets.len(),
                fmt_count(self.report.run.paths)
            )
        };
        canvas.header(t.tr("假设对各目标实现概率的影响", "Which assumptions move which targets"), &subtitle)?;

        let n_cols = self.report.targets.len().max(1) as i32;
        let x0 = MARGIN + self.label_width;
        let cell = ((WIDTH as i32 - MARGIN - x0) / n_cols).clamp(6, 60);
        let y0 = self.top + self.column_label_height;
        if self.rows.is_empty() {
            canvas.message(
                t.tr("没有假设改变任何目标的概率", "No assumption changes any target's probability"),
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
            for (c, target) in self.report.targets.iter().enumerate() {
                let x = x0 + c as i32 * cell;
                let rect = [(x, y), (x + cell - 1, y + ROW - 1)];
                match param.effects.iter().find(|e| e.target == target.id) {
                    Some(e) => root.draw(&Rectangle::new(rect, self.color(e.max_abs()).filled()))?,
                    None => root.draw(&Rectangle::new(rect, GRID_LIGHT.filled()))?,
                }
            }
        }
        // Colour scale.
        let y = y0 + self.rows.len() as i32 * ROW + 30;
        let width = 400;
        let steps = 50;
        for k in 0..steps {
            let x = x0 + k * width / steps;
            let value = self.max * (k as f64 + 0.5) / steps as f64;
            root.draw(&Rectangle::new([(x, y), (x + width / steps, y + 22)], self.color(value).filled()))?;
        }
        root.draw(&Rectangle::new([(x0, y), (x0 + width, y + 22)], MUTED.stroke_width(1)))?;
        let top = (HPos::Center, VPos::Top);
        canvas.text("0", TICK_SIZE, TEXT, (x0, y + 30), top)?;
        canvas.text(&format!("{:.1} pp", 100.0 * self.max), TICK_SIZE, TEXT, (x0 + width, y + 30), top)?;
        let blank = t.tr("灰色：该假设不影响此目标", "grey: the assumption cannot affect the target");
        root.draw(&Rectangle::new([(x0 + width + 60, y), (x0 + width + 82, y + 22)], GRID_LIGHT.filled()))?;
        canvas.text(blank, LABEL_SIZE, TEXT, (x0 + width + 92, y + 11), (HPos::Left, VPos::Center))?;
        Ok(())
    }
}
