//! Dumbbell chart of scenarios side by side: one row per target, a marker per scenario at its
//! probability with its 95% Wilson interval as a whisker, joined to the baseline's marker; rows
//! sorted by the difference of the second scenario from the baseline (largest gain on top), that
//! difference and its paired interval written on the right. Scenarios differ in marker shape
//! (circle, diamond, square, triangle) and in their vertical place within the row, not only in
//! hue, so the chart reads in greyscale.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::analysis_style::whisker;
use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::compare::{CompareReport, CompareTarget};

const ROW: i32 = 46;
const X_AXIS: i32 = 84;
const VALUE_COLUMN: i32 = 250;
const BASELINE: RGBColor = RGBColor(120, 120, 120);

pub struct CompareChart<'a> {
    theme: &'a Theme,
    report: &'a CompareReport,
    order: Vec<&'a CompareTarget>,
    labels: Vec<String>,
    label_width: i32,
    legend: Vec<LegendItem>,
    top: i32,
}

fn color(scenario: usize) -> RGBColor {
    if scenario == 0 { BASELINE } else { PALETTE[(scenario - 1) % PALETTE.len()] }
}

/// Marker shapes, one per scenario (cycling).
#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Diamond,
    Square,
    Triangle,
}

fn marker(scenario: usize) -> Marker {
    [Marker::Circle, Marker::Diamond, Marker::Square, Marker::Triangle][scenario % 4]
}

fn swatch(scenario: usize) -> Swatch {
    let c = color(scenario).to_rgba();
    match marker(scenario) {
        Marker::Circle => Swatch::Point(c),
        Marker::Diamond => Swatch::Diamond(c),
        // The legend has no triangle swatch: a square stands for both (they differ in the chart).
        Marker::Square | Marker::Triangle => Swatch::Box(c),
    }
}

/// A filled marker of `shape` centred on a pixel, `r` pixels in radius, with a white outline.
fn draw_marker<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    shape: Marker,
    (x, y): (i32, i32),
    r: i32,
    color: RGBColor,
) -> DrawResult
where
    DB::ErrorType: 'static,
{
    for (radius, fill) in [(r + 2, WHITE), (r, color)] {
        match shape {
            Marker::Circle => root.draw(&Circle::new((x, y), radius, fill.filled()))?,
            Marker::Diamond => root.draw(&diamond((x, y), radius + 2, fill.to_rgba()))?,
            Marker::Square => {
                root.draw(&Rectangle::new([(x - radius, y - radius), (x + radius, y + radius)], fill.filled()))?
            }
            Marker::Triangle => root.draw(&Polygon::new(
                vec![(x, y - radius - 2), (x + radius + 1, y + radius), (x - radius - 1, y + radius)],
                fill.filled(),
            ))?,
        }
    }
    Ok(())
}

/// Vertical offset of scenario `k` of `count` within its row (data units; rows are 1 apart).
fn offset(k: usize, count: usize) -> f64 {
    if count <= 1 { 0.0 } else { 0.25 - 0.5 * k as f64 / (count - 1) as f64 }
}

/// The difference of the second scenario from the baseline, for sorting (missing last).
fn sort_key(t: &CompareTarget) -> f64 {
    t.scenarios.get(1).and_then(|c| c.as_ref()).and_then(|c| c.difference).map_or(f64::NEG_INFINITY, |d| d.difference)
}

impl<'a> CompareChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a CompareReport) -> Self {
        let mut order: Vec<&CompareTarget> = report.targets.iter().collect();
        order.sort_by(|a, b| sort_key(b).total_cmp(&sort_key(a)));
        let max_label = (WIDTH as f64 * 0.42) as i32;
        let raw: Vec<String> = order.iter().map(|t| theme.id_label(&t.id, &t.label_zh, &t.label_en)).collect();
        let widest = raw.iter().map(|l| theme.width(l, LABEL_SIZE)).max().unwrap_or(0);
        let label_width = (widest + 24).clamp(120, max_label);
        let labels = raw.iter().map(|l| theme.fit(l, LABEL_SIZE, label_width - 24)).collect();
        let legend = report
            .scenarios
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let name = t_name(theme, s);
                let label = if k == 0 { format!("{name} ({})", theme.tr("基准", "baseline")) } else { name };
                LegendItem::new(swatch(k), label)
            })
            .chain(std::iter::once(LegendItem::new(
                Swatch::Whisker(TEXT.to_rgba()),
                theme.tr("95% 置信区间", "95% interval"),
            )))
            .collect::<Vec<_>>();
        let header = MARGIN + TITLE_SIZE as i32 + 12 + SUBTITLE_SIZE as i32 + 16;
        let top = header + theme.legend_height(&legend, WIDTH as i32 - 2 * MARGIN) + 16;
        CompareChart { theme, report, order, labels, label_width, legend, top }
    }
}

fn t_name(theme: &Theme, s: &crate::summary::ScenarioInfo) -> String {
    theme.scenario_title(s)
}

impl Chart for CompareChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.order.len().max(1) as i32;
        (WIDTH, (self.top + rows * ROW + X_AXIS + MARGIN) as u32)
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
                "{} 个情景 · {} 条路径（同一组随机数）· 右侧为第二个情景与基准之差及其 95% 配对区间（百分点）",
                self.report.scenarios.len(),
                fmt_count(self.report.run.paths)
            )
        } else {
            format!(
                "{} scenarios · {} paths (common random numbers) · right: second scenario minus baseline, with its 95% paired interval (pp)",
                self.report.scenarios.len(),
                fmt_count(self.report.run.paths)
            )
        };
        let header = canvas
            .header(t.tr("情景对比：各目标的实现概率", "Scenarios compared: probability of each target"), &subtitle)?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;

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
        for (i, (target, label)) in self.order.iter().zip(&self.labels).enumerate() {
            let y = (n - 1 - i) as f64;
            let (_, py) = chart.backend_coord(&(0.0, y));
            canvas.text(label, LABEL_SIZE, TEXT, (x_pixels.start - 12, py), (HPos::Right, VPos::Center))?;
            let count = target.scenarios.len();
            let base = target.scenarios.first().and_then(|c| c.as_ref()).map(|c| 100.0 * c.probability.probability);
            for (k, cell) in target.scenarios.iter().enumerate().skip(1) {
                if let (Some(b), Some(c)) = (base, cell) {
                    let p = 100.0 * c.probability.probability;
                    chart.draw_series(std::iter::once(PathElement::new(
                        vec![(b, y + offset(0, count)), (p, y + offset(k, count))],
                        color(k).mix(0.7).stroke_width(2),
                    )))?;
                }
            }
            for (k, cell) in target.scenarios.iter().enumerate() {
                if let Some(c) = cell {
                    let yk = y + offset(k, count);
                    let (lo, hi) = (100.0 * c.probability.ci_low, 100.0 * c.probability.ci_high);
                    chart.draw_series(whisker(lo, hi, yk, 0.12, TEXT.stroke_width(2)))?;
                    let at = chart.backend_coord(&(100.0 * c.probability.probability, yk));
                    draw_marker(root, marker(k), at, 7, color(k))?;
                }
            }
            let difference = target.scenarios.get(1).and_then(|c| c.as_ref()).and_then(|c| c.difference);
            let text = difference.map_or("—".to_string(), |d| {
                format!("{:+.1} [{:+.1}, {:+.1}] pp", 100.0 * d.difference, 100.0 * d.ci_low, 100.0 * d.ci_high)
            });
            canvas.text(&text, LABEL_SIZE, TEXT, (x_pixels.end + 14, py), (HPos::Left, VPos::Center))?;
        }
        Ok(())
    }
}
