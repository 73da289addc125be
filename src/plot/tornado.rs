//! Tornado chart of one target: the ten assumptions that move its probability the most, each a
//! pair of horizontal bars from the baseline probability to the probability with the assumption
//! moved down (blue) and up (orange), biggest mover on top, labelled with the values tried.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::sensitivity::{SensitivityReport, TargetBaseline, fmt_number};

/// Parameters shown.
pub const TOP: usize = 10;
const ROW: i32 = 56;
const X_AXIS: i32 = 84;
const VALUE_COLUMN: i32 = 190;
const LOW: RGBColor = PALETTE[0];
const HIGH: RGBColor = PALETTE[1];

struct Row {
    label: String,
    p_low: f64,
    p_high: f64,
    delta: String,
}

pub struct TornadoChart<'a> {
    theme: &'a Theme,
    report: &'a SensitivityReport,
    target: &'a TargetBaseline,
    rows: Vec<Row>,
    label_width: i32,
    legend: Vec<LegendItem>,
    top: i32,
}

impl<'a> TornadoChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a SensitivityReport, target: &'a TargetBaseline) -> Self {
        let raw: Vec<(String, f64, f64, String)> = report
            .top_movers(&target.id, TOP)
            .into_iter()
            .map(|(p, e)| {
                let label = format!("{} ({} / {})", p.id, fmt_number(p.low), fmt_number(p.high));
                let delta = format!("{:+.1} / {:+.1} pp", 100.0 * e.low.difference, 100.0 * e.high.difference);
                (label, e.p_low, e.p_high, delta)
            })
            .collect();
        let max_label = (WIDTH as f64 * 0.5) as i32;
        let widest = raw.iter().map(|r| theme.width(&theme.clean(&r.0), LABEL_SIZE)).max().unwrap_or(0);
        let label_width = (widest + 24).clamp(160, max_label);
        let rows = raw
            .into_iter()
            .map(|(label, p_low, p_high, delta)| Row {
                label: theme.fit(&label, LABEL_SIZE, label_width - 24),
                p_low,
                p_high,
                delta,
            })
            .collect();
        let legend = vec![
            LegendItem::new(Swatch::Box(LOW.to_rgba()), theme.tr("假设下调", "assumption lowered")),
            LegendItem::new(Swatch::Box(HIGH.to_rgba()), theme.tr("假设上调", "assumption raised")),
            LegendItem::new(Swatch::Line(TARGET.to_rgba(), 3), theme.tr("基准概率", "baseline probability")),
        ];
        let header = MARGIN + TITLE_SIZE as i32 + 12 + SUBTITLE_SIZE as i32 + 16;
        let top = header + theme.legend_height(&legend, WIDTH as i32 - 2 * MARGIN) + 16;
        TornadoChart { theme, report, target, rows, label_width, legend, top }
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

        let n = self.rows.len();
        let mut low = base;
        let mut high = base;
        for r in &self.rows {
            low = low.min(r.p_low).min(r.p_high);
            high = high.max(r.p_low).max(r.p_high);
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
            canvas.text(&row.label, LABEL_SIZE, TEXT, (x_pixels.start - 12, py), (HPos::Right, VPos::Center))?;
            chart.draw_series([
                Rectangle::new([(b, y - 0.36), (100.0 * row.p_low, y - 0.02)], LOW.filled()),
                Rectangle::new([(b, y + 0.02), (100.0 * row.p_high, y + 0.36)], HIGH.filled()),
            ])?;
            canvas.text(&row.delta, LABEL_SIZE, TEXT, (x_pixels.end + 14, py), (HPos::Left, VPos::Center))?;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(b, -0.5), (b, n as f64 - 0.5)],
            TARGET.stroke_width(3),
        )))?;
        Ok(())
    }
}
