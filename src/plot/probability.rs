//! The overview chart: one horizontal bar per target showing its probability of being hit, with
//! its 95% Wilson interval, coloured by region and sorted from most to least likely.
//!
//! The chart grows in height with the number of targets (one fixed-height row each) so that the
//! 55 targets of the Liaoning plan stay readable; labels longer than the label column are
//! wrapped onto a second line (rows grow taller), and only shortened with an ellipsis beyond
//! that. Regions differ in lightness and hatching as well as hue ([`GREY_SAFE`]), so they stay
//! apart when the chart is printed in greyscale.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::summary::{Summary, TargetSummary};

const ROW: i32 = 36;
/// Height of a row when some label takes two lines.
const ROW_TWO_LINES: i32 = 52;
const X_AXIS: i32 = 84;
const VALUE_COLUMN: i32 = 110;

pub struct ProbabilityChart<'a> {
    theme: &'a Theme,
    summary: &'a Summary,
    /// Targets from most to least likely (targets without a probability last).
    order: Vec<&'a TargetSummary>,
    regions: Vec<String>,
    /// Each target's label, on one or two lines.
    labels: Vec<Vec<String>>,
    label_width: i32,
    row: i32,
    legend: Vec<LegendItem>,
    top: i32,
}

impl<'a> ProbabilityChart<'a> {
    pub fn new(theme: &'a Theme, summary: &'a Summary) -> Self {
        let mut order: Vec<&TargetSummary> = summary.targets.iter().collect();
        order.sort_by(|a, b| sort_key(b.probability).total_cmp(&sort_key(a.probability)));
        // Regions in the order the summary lists them, then any only named by targets.
        let mut regions: Vec<String> = summary.regions.iter().map(|r| r.region.clone()).collect();
        for t in &summary.targets {
            if !regions.contains(&t.region) {
                regions.push(t.region.clone());
            }
        }
        regions.retain(|r| summary.targets.iter().any(|t| t.region == *r));
        let max_label = (WIDTH as f64 * 0.46) as i32;
        let raw: Vec<String> = order.iter().map(|t| theme.id_label(&t.id, &t.label_zh, &t.label_en)).collect();
        let widest = raw.iter().map(|l| theme.width(l, LABEL_SIZE)).max().unwrap_or(0);
        let label_width = (widest + 24).clamp(120, max_label);
        let fits = raw.iter().all(|l| theme.width(l, LABEL_SIZE) <= label_width - 24);
        let labels: Vec<Vec<String>> = if fits {
            raw.iter().map(|l| vec![theme.clean(l)]).collect()
        } else {
            raw.iter().map(|l| wrap_two_lines(theme, l, LABEL_SIZE, label_width - 24)).collect()
        };
        let row = if labels.iter().any(|l| l.len() > 1) { ROW_TWO_LINES } else { ROW };
        let mut legend: Vec<LegendItem> = regions
            .iter()
            .enumerate()
            .map(|(i, r)| LegendItem::new(Swatch::Box(region_color(i).to_rgba()), theme.region(r, i)))
            .collect();
        legend.push(LegendItem::new(Swatch::Whisker(TEXT.to_rgba()), theme.tr("95% 置信区间", "95% interval")));
        legend.push(LegendItem::new(Swatch::Dashed(MUTED.to_rgba(), 2), "50%"));
        let header = MARGIN + TITLE_SIZE as i32 + 12 + SUBTITLE_SIZE as i32 + 16;
        let top = header + theme.legend_height(&legend, WIDTH as i32 - 2 * MARGIN) + 16;
        ProbabilityChart { theme, summary, order, regions, labels, label_width, row, legend, top }
    }

    fn region_index(&self, region: &str) -> usize {
        self.regions.iter().position(|r| r == region).unwrap_or(0)
    }
}

/// Sort key putting NaN (no paths) below every probability.
fn sort_key(p: f64) -> f64 {
    if p.is_nan() { -1.0 } else { p }
}

fn region_color(i: usize) -> RGBColor {
    GREY_SAFE[i % GREY_SAFE.len()].0
}

/// Whether region `i`'s bars are hatched.
fn region_hatched(i: usize) -> bool {
    GREY_SAFE[i % GREY_SAFE.len()].1
}

/// Hatching colour on a fill: white on dark fills, dark grey on light ones.
fn hatch_color(fill: RGBColor) -> RGBColor {
    let luma = 0.299 * fill.0 as f64 + 0.587 * fill.1 as f64 + 0.114 * fill.2 as f64;
    if luma < 140.0 { WHITE } else { RGBColor(60, 60, 60) }
}

impl Chart for ProbabilityChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.order.len().max(1) as i32;
        (WIDTH, (self.top + rows * self.row + X_AXIS + MARGIN) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let s = self.summary;
        let root = canvas.root;
        root.fill(&WHITE)?;
        let subtitle = if t.zh() {
            format!(
                "{} · {} 个目标 · {} 条模拟路径 · 全部目标同时实现的概率 {}",
                t.scenario_title(&s.scenario),
                s.targets.len(),
                fmt_count(s.run.paths),
                fmt_pct(s.all_targets.probability)
            )
        } else {
            format!(
                "{} · {} targets · {} simulated paths · P(all targets hit) = {}",
                t.scenario_title(&s.scenario),
                s.targets.len(),
                fmt_count(s.run.paths),
                fmt_pct(s.all_targets.probability)
            )
        };
        let header = canvas.header(t.tr("各目标的实现概率", "Probability of hitting each target"), &subtitle)?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;
        // Hatch the swatches of hatched regions as their bars are.
        let layout = t.legend_layout(&self.legend, WIDTH as i32 - 2 * MARGIN);
        for (i, &(x, y)) in layout.iter().enumerate().take(self.regions.len()) {
            if region_hatched(i) {
                let (x, mid) = (MARGIN + x, header + y + LEGEND_ROW / 2 - 4);
                for line in hatch_lines((x, mid - 9), (x + SWATCH_WIDTH, mid + 9), 7) {
                    root.draw(&PathElement::new(line.to_vec(), hatch_color(region_color(i)).stroke_width(2)))?;
                }
            }
        }

        let n = self.order.len();
        let area = root.margin(self.top, MARGIN, MARGIN, MARGIN + VALUE_COLUMN);
        let ticks: Vec<f64> = (0..=10).map(|k| k as f64 * 10.0).collect();
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(X_AXIS)
            .y_label_area_size(self.label_width)
            .build_cartesian_2d(Ticked::new(0f64..100f64, ticks.clone()), -0.5f64..(n.max(1) as f64 - 0.5))?;
        draw_row_frame(&mut chart, t, n, Some((0.0, 100.0)))?;
        let axes = Axes {
            x_ticks: ticks.iter().map(|v| (*v, format!("{v:.0}%"))).collect(),
            y_ticks: vec![],
            x_desc: t.tr("实现目标的概率", "Probability of hitting the target"),
            y_desc: "",
        };
        canvas.axes(&chart, &axes)?;
        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        if n == 0 {
            canvas.message(
                t.tr("没有目标", "No targets"),
                (x_pixels.start, x_pixels.end),
                (y_pixels.start, y_pixels.end),
            )?;
            return Ok(());
        }
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(50.0, -0.5), (50.0, n as f64 - 0.5)],
            8,
            6,
            MUTED.stroke_width(2),
        )))?;

        let right = (HPos::Right, VPos::Center);
        let left = (HPos::Left, VPos::Center);
        for (i, (target, label)) in self.order.iter().zip(&self.labels).enumerate() {
            let y = (n - 1 - i) as f64;
            let (_, py) = chart.backend_coord(&(0.0, y));
            match label.as_slice() {
                [one] => canvas.text(one, LABEL_SIZE, TEXT, (x_pixels.start - 12, py), right)?,
                lines => {
                    let step = LABEL_SIZE as i32 + 2;
                    let first = py - step * (lines.len() as i32 - 1) / 2;
                    for (k, line) in lines.iter().enumerate() {
                        canvas.text(line, LABEL_SIZE, TEXT, (x_pixels.start - 12, first + k as i32 * step), right)?;
                    }
                }
            }
            let p = target.probability;
            if !p.is_finite() {
                canvas.text("n/a", LABEL_SIZE, MUTED, (x_pixels.end + 14, py), left)?;
                continue;
            }
            let region = self.region_index(&target.region);
            let color = region_color(region);
            let end = p.clamp(0.0, 1.0) * 100.0;
            chart.draw_series(std::iter::once(Rectangle::new([(0.0, y - 0.32), (end, y + 0.32)], color.filled())))?;
            if region_hatched(region) {
                let (a, b) = (chart.backend_coord(&(0.0, y + 0.32)), chart.backend_coord(&(end, y - 0.32)));
                for line in hatch_lines(a, b, 7) {
                    root.draw(&PathElement::new(line.to_vec(), hatch_color(color).stroke_width(2)))?;
                }
            }
            let (low, high) = (target.ci_low, target.ci_high);
            if low.is_finite() && high.is_finite() {
                let (low, high) = (low.clamp(0.0, 1.0) * 100.0, high.clamp(0.0, 1.0) * 100.0);
                let whisker = TEXT.stroke_width(2);
                chart.draw_series([
                    PathElement::new(vec![(low, y), (high, y)], whisker),
                    PathElement::new(vec![(low, y - 0.2), (low, y + 0.2)], whisker),
                    PathElement::new(vec![(high, y - 0.2), (high, y + 0.2)], whisker),
                ])?;
            }
            canvas.text(&fmt_pct(p), LABEL_SIZE, TEXT, (x_pixels.end + 14, py), left)?;
        }
        Ok(())
    }
}
