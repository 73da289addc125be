//! Histogram of one target's tested quantity across paths, split at the threshold: the side that
//! hits the target is shaded green, so the chart shows both the probability and how close the
//! paths that miss come to the threshold.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::summary::{Summary, TargetSummary};

const HEIGHT: u32 = 900;

pub struct HistogramChart<'a> {
    theme: &'a Theme,
    summary: &'a Summary,
    target: &'a TargetSummary,
}

impl<'a> HistogramChart<'a> {
    pub fn new(theme: &'a Theme, summary: &'a Summary, target: &'a TargetSummary) -> Self {
        HistogramChart { theme, summary, target }
    }

    /// Whether values above the threshold hit the target.
    fn hit_above(&self) -> bool {
        !self.target.comparator.starts_with('<')
    }

    /// Whether the histogram can be drawn: edges are finite and ascending, one more than counts.
    fn valid(&self) -> bool {
        let h = &self.target.histogram;
        !h.counts.is_empty()
            && h.edges.len() == h.counts.len() + 1
            && h.edges.iter().all(|e| e.is_finite())
            && h.edges.windows(2).all(|w| w[0] <= w[1])
            && h.edges[h.edges.len() - 1] > h.edges[0]
    }
}

impl Chart for HistogramChart<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let target = self.target;
        let paths = self.summary.run.paths;
        root.fill(&WHITE)?;
        let title = t.id_label(&target.id, &target.label_zh, &target.label_en);
        let mut subtitle = format!(
            "{} {} ({} {}–{}) · {} {}",
            t.tr("实现概率", "P(hit) ="),
            fmt_pct(target.probability),
            t.tr("95% 置信区间", "95% interval"),
            fmt_pct(target.ci_low),
            fmt_pct(target.ci_high),
            fmt_count(paths),
            t.tr("条模拟路径", "simulated paths"),
        );
        let h = &target.histogram;
        let outside = h.below + h.above;
        if outside > 0 && paths > 0 {
            subtitle += &format!(
                " · {} {}",
                fmt_pct(outside as f64 / paths as f64),
                t.tr("的路径落在图示范围外", "of paths outside the range shown")
            );
        }
        if target.invalid > 0 {
            subtitle += &format!(
                " · {} {}",
                fmt_count(target.invalid),
                t.tr("条路径无有效值（记为未实现）", "paths without a finite value (counted as misses)")
            );
        }
        let header = t.draw_header(root, &title, &subtitle)?;

        let cmp = t.comparator(&target.comparator);
        let threshold_label =
            format!("{} {cmp} {} {}", t.tr("目标", "target"), fmt_value(target.threshold), t.unit(&target.unit));
        let legend = vec![
            LegendItem::new(Swatch::Box(HIT.mix(0.85)), t.tr("实现目标的路径", "paths hitting the target")),
            LegendItem::new(Swatch::Box(MISS.mix(0.85)), t.tr("未实现目标的路径", "paths missing it")),
            LegendItem::new(Swatch::Dashed(TARGET.to_rgba(), 3), threshold_label.trim().to_string()),
        ];
        let legend_height = t.legend_height(&legend, WIDTH as i32 - 2 * MARGIN);
        let legend_top = HEIGHT as i32 - MARGIN - legend_height;
        t.draw_legend(root, &legend, (MARGIN, legend_top), WIDTH as i32 - 2 * MARGIN)?;
        let area = root.margin(header, HEIGHT as i32 - legend_top + 12, MARGIN, MARGIN + 20);

        if !self.valid() || paths == 0 {
            let message = if paths == 0 {
                t.tr("没有模拟路径", "No simulated paths").to_string()
            } else if t.zh() {
                format!("没有可绘制的值：全部 {} 条路径的检验量都不是有限数", fmt_count(paths))
            } else {
                format!("Nothing to draw: the tested quantity is not a finite number on any of the {} paths", fmt_count(paths))
            };
            let style = t.style(AXIS_DESC_SIZE, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
            let (w, hgt) = area.dim_in_pixel();
            area.draw_text(&t.fit(&message, AXIS_DESC_SIZE, w as i32 - 40), &style, (w as i32 / 2, hgt as i32 / 2))?;
            return Ok(());
        }

        let (low, high) = (h.edges[0], h.edges[h.edges.len() - 1]);
        let shares: Vec<f64> = h.counts.iter().map(|&c| c as f64 / paths as f64 * 100.0).collect();
        let top = shares.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.12;
        let (x_ticks, x_step) = nice_ticks(low, high, 10);
        let (y_ticks, y_step) = nice_ticks(0.0, top, 6);
        let y_label_width = y_ticks.iter().map(|v| t.width(&fmt_tick(*v, y_step), TICK_SIZE)).max().unwrap_or(40);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(80)
            .y_label_area_size(y_label_width + 70)
            .build_cartesian_2d(Ticked::new(low..high, x_ticks), Ticked::new(0.0..top, y_ticks))?;

        let threshold = target.threshold;
        let inside = threshold.is_finite() && threshold >= low && threshold <= high;
        // Shade the hit side of the plot.
        let hit_span = match (inside, self.hit_above()) {
            (true, true) => Some((threshold, high)),
            (true, false) => Some((low, threshold)),
            (false, above) if threshold.is_finite() => {
                // Threshold off the chart: the whole range is on one side of it.
                let all_hit = if above { threshold < low } else { threshold > high };
                all_hit.then_some((low, high))
            }
            _ => None,
        };
        if let Some((a, b)) = hit_span {
            chart.draw_series(std::iter::once(Rectangle::new([(a, 0.0), (b, top)], HIT.mix(0.08).filled())))?;
        }
        let metric = t.with_unit(&target.metric, &target.unit);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|v| fmt_tick(*v, x_step))
            .y_label_formatter(&|v| format!("{}%", fmt_tick(*v, y_step)))
            .x_desc(t.fit(&metric, AXIS_DESC_SIZE, WIDTH as i32 - 300))
            .y_desc(t.tr("路径占比", "Share of paths"))
            .axis_desc_style(t.style(AXIS_DESC_SIZE, TEXT))
            .label_style(t.style(TICK_SIZE, TEXT))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;

        // Bars, split where the threshold crosses a bin.
        let hits = |x: f64| if self.hit_above() { x >= threshold } else { x <= threshold };
        let mut bars = Vec::new();
        for (k, &share) in shares.iter().enumerate() {
            if share <= 0.0 {
                continue;
            }
            let (a, b) = (h.edges[k], h.edges[k + 1]);
            let pieces = if inside && threshold > a && threshold < b { vec![(a, threshold), (threshold, b)] } else { vec![(a, b)] };
            for (x0, x1) in pieces {
                let color = if threshold.is_finite() && hits((x0 + x1) / 2.0) { HIT } else { MISS };
                bars.push(Rectangle::new([(x0, 0.0), (x1, share)], color.mix(0.85).filled()));
            }
        }
        chart.draw_series(bars)?;
        // Thin white separators between bins.
        chart.draw_series(
            h.edges
                .iter()
                .zip(shares.iter().zip(shares.iter().skip(1)))
                .skip(1)
                .map(|(&e, (&l, &r))| PathElement::new(vec![(e, 0.0), (e, l.max(r))], WHITE.stroke_width(1))),
        )?;

        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        let label_style = t.style(NOTE_SIZE, TARGET);
        if inside {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(threshold, 0.0), (threshold, top)],
                10,
                6,
                TARGET.stroke_width(3),
            )))?;
            let (px, _) = chart.backend_coord(&(threshold, top));
            let text = t.clean(&threshold_label);
            let width = t.width(&text, NOTE_SIZE);
            // Label on the side of the line with room for it.
            let (x, anchor) = if px + 10 + width < x_pixels.end { (px + 10, HPos::Left) } else { (px - 10, HPos::Right) };
            root.draw_text(&text, &label_style.pos(Pos::new(anchor, VPos::Top)), (x, y_pixels.start + 8))?;
        } else if threshold.is_finite() {
            let (text, x, anchor) = if threshold > high {
                (t.clean(&format!("{threshold_label} →")), x_pixels.end - 10, HPos::Right)
            } else {
                (t.clean(&format!("← {threshold_label}")), x_pixels.start + 10, HPos::Left)
            };
            root.draw_text(&text, &label_style.pos(Pos::new(anchor, VPos::Top)), (x, y_pixels.start + 8))?;
        }
        Ok(())
    }
}
