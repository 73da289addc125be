//! One chart per target: the assumptions whose draws differ most between the paths that hit the
//! target and those that miss it, as horizontal bars of the standardised difference
//! (mean among hits − mean among misses) / sd, with the medians among hits and misses beside.
//! Assumptions are named in words; the two bar colours are Okabe–Ito blue and vermillion
//! (colour-blind safe), and the legend says which side is hits and which misses.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::analysis_style::{OKABE_ITO, human};
use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::separation::{SeparatingFeature, SeparationResult, TargetSeparation};

/// Assumptions shown per chart.
pub const TOP: usize = 10;
const ROW: i32 = 44;
const X_AXIS: i32 = 84;
const VALUE_COLUMN: i32 = 480;
/// Bars of assumptions higher on hits than on misses, and lower.
const HIGHER_ON_HITS: RGBColor = OKABE_ITO[0];
const LOWER_ON_HITS: RGBColor = OKABE_ITO[1];

pub struct SeparationChart<'a> {
    theme: &'a Theme,
    result: &'a SeparationResult,
    target: &'a TargetSeparation,
    rows: Vec<&'a SeparatingFeature>,
    labels: Vec<String>,
    label_width: i32,
    legend: Vec<LegendItem>,
    top: i32,
}

impl<'a> SeparationChart<'a> {
    pub fn new(theme: &'a Theme, result: &'a SeparationResult, target: &'a TargetSeparation) -> Self {
        let rows: Vec<&SeparatingFeature> =
            target.features.iter().filter(|f| f.standardized_difference.is_some()).take(TOP).collect();
        let raw: Vec<String> = rows.iter().map(|f| human(theme, &f.id, &f.label_zh, &f.label_en)).collect();
        let max_label = (WIDTH as f64 * 0.36) as i32;
        let widest = raw.iter().map(|l| theme.width(l, LABEL_SIZE)).max().unwrap_or(0);
        let label_width = (widest + 24).clamp(160, max_label);
        let labels = raw.iter().map(|l| theme.fit(l, LABEL_SIZE, label_width - 24)).collect();
        let legend = vec![
            LegendItem::new(
                Swatch::Box(HIGHER_ON_HITS.to_rgba()),
                theme.tr("实现目标的路径高于未实现的路径", "higher on paths that hit than on paths that miss"),
            ),
            LegendItem::new(
                Swatch::Box(LOWER_ON_HITS.to_rgba()),
                theme.tr("实现目标的路径低于未实现的路径", "lower on paths that hit than on paths that miss"),
            ),
        ];
        let header = MARGIN + TITLE_SIZE as i32 + 12 + SUBTITLE_SIZE as i32 + 16;
        let top = header + theme.legend_height(&legend, WIDTH as i32 - 2 * MARGIN) + 16;
        SeparationChart { theme, result, target, rows, labels, label_width, legend, top }
    }
}

impl Chart for SeparationChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.rows.len().max(1) as i32;
        (WIDTH, (self.top + rows * ROW + X_AXIS + MARGIN) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let target = self.target;
        let root = canvas.root;
        root.fill(&WHITE)?;
        let subtitle = if t.zh() {
            format!(
                "实现概率 {} · {} 条模拟路径（实现 {}，未实现 {}）",
                fmt_pct(target.probability),
                fmt_count(self.result.run.paths),
                fmt_count(target.hits),
                fmt_count(target.misses)
            )
        } else {
            format!(
                "P(hit) {} · {} simulated paths ({} hit, {} miss)",
                fmt_pct(target.probability),
                fmt_count(self.result.run.paths),
                fmt_count(target.hits),
                fmt_count(target.misses)
            )
        };
        let title = format!(
            "{}{}",
            t.tr("实现与未实现目标的路径有何不同：", "What separates hits from misses: "),
            t.id_label(&target.id, &target.label_zh, &target.label_en)
        );
        let header = canvas.header(&title, &subtitle)?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;

        let n = self.rows.len();
        let extent =
            self.rows.iter().filter_map(|f| f.standardized_difference).map(f64::abs).fold(0.5f64, f64::max).min(10.0)
                * 1.05;
        let (ticks, step) = nice_ticks(-extent, extent, 8);
        let (x0, x1) = (-extent.max(-ticks[0]), extent.max(*ticks.last().unwrap_or(&extent)));
        let area = root.margin(self.top, MARGIN, MARGIN, MARGIN + VALUE_COLUMN);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(X_AXIS)
            .y_label_area_size(self.label_width)
            .build_cartesian_2d(Ticked::new(x0..x1, ticks.clone()), -0.5f64..(n.max(1) as f64 - 0.5))?;
        draw_row_frame(&mut chart, t, n, Some((x0, x1)))?;
        let axes = Axes {
            x_ticks: tick_labels(&ticks, step, ""),
            y_ticks: vec![],
            x_desc: t.tr(
                "标准化差异：(实现路径均值 − 未实现路径均值) / 标准差",
                "Standardised difference: (mean on hits − mean on misses) / sd",
            ),
            y_desc: "",
        };
        canvas.axes(&chart, &axes)?;
        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        if n == 0 {
            let message = t
                .tr("没有可比较的随机假设", "No random assumption to compare (no hits, no misses, or none reaches it)");
            canvas.message(message, (x_pixels.start, x_pixels.end), (y_pixels.start, y_pixels.end))?;
            return Ok(());
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
            TEXT.stroke_width(1),
        )))?;
        let right = (HPos::Right, VPos::Center);
        let left = (HPos::Left, VPos::Center);
        for (i, (feature, label)) in self.rows.iter().zip(&self.labels).enumerate() {
            let y = (n - 1 - i) as f64;
            let (_, py) = chart.backend_coord(&(0.0, y));
            canvas.text(label, LABEL_SIZE, TEXT, (x_pixels.start - 12, py), right)?;
            let d = feature.standardized_difference.unwrap_or(0.0);
            let color = if d >= 0.0 { HIGHER_ON_HITS } else { LOWER_ON_HITS };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y - 0.3), (d.clamp(x0, x1), y + 0.3)],
                color.filled(),
            )))?;
            let median = |v: Option<f64>| v.map_or("n/a".into(), fmt_value);
            let text = if t.zh() {
                format!(
                    "{:+.2} · 中位数：实现 {} / 未实现 {} {}",
                    d,
                    median(feature.median_hit),
                    median(feature.median_miss),
                    t.unit(&feature.unit)
                )
            } else {
                format!(
                    "{:+.2} · median hit {} / miss {} {}",
                    d,
                    median(feature.median_hit),
                    median(feature.median_miss),
                    t.unit(&feature.unit)
                )
            };
            let text = t.fit(&text, LABEL_SIZE, VALUE_COLUMN - 20);
            canvas.text(&text, LABEL_SIZE, TEXT, (x_pixels.end + 14, py), left)?;
        }
        Ok(())
    }
}
