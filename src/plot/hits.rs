//! Distribution of the number of targets hit on the same path: targets are correlated, so this
//! spread (not just its mean, the sum of the probabilities) says how many targets the plan is
//! likely to reach together.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::summary::Summary;

const HEIGHT: u32 = 900;

pub struct HitsChart<'a> {
    theme: &'a Theme,
    summary: &'a Summary,
}

impl<'a> HitsChart<'a> {
    pub fn new(theme: &'a Theme, summary: &'a Summary) -> Self {
        HitsChart { theme, summary }
    }
}

impl Chart for HitsChart<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let s = self.summary;
        root.fill(&WHITE)?;
        let counts = &s.targets_hit.counts;
        let n_targets = counts.len().saturating_sub(1).max(s.targets.len());
        let paths: u64 = counts.iter().sum();
        let expected = s.targets_hit.expected;
        let subtitle = if t.zh() {
            format!(
                "{} 个目标 · {} 条模拟路径 · 期望实现 {} 个 · 全部实现的概率 {}",
                n_targets,
                fmt_count(paths),
                fmt_value(expected),
                fmt_pct(s.all_targets.probability)
            )
        } else {
            format!(
                "{} targets · {} simulated paths · expected number hit {} · P(all hit) = {}",
                n_targets,
                fmt_count(paths),
                fmt_value(expected),
                fmt_pct(s.all_targets.probability)
            )
        };
        let header =
            t.draw_header(root, t.tr("同一路径上实现的目标个数", "Number of targets hit on the same path"), &subtitle)?;
        let expected_label = format!("{} {}", t.tr("期望个数", "expected number"), fmt_value(expected));
        let legend = vec![
            LegendItem::new(Swatch::Box(DATA.mix(0.85)), t.tr("路径占比", "share of paths")),
            LegendItem::new(Swatch::Dashed(TARGET.to_rgba(), 3), expected_label.clone()),
        ];
        let legend_height = t.legend_height(&legend, WIDTH as i32 - 2 * MARGIN);
        let legend_top = HEIGHT as i32 - MARGIN - legend_height;
        t.draw_legend(root, &legend, (MARGIN, legend_top), WIDTH as i32 - 2 * MARGIN)?;
        let area = root.margin(header, HEIGHT as i32 - legend_top + 12, MARGIN, MARGIN + 20);
        if paths == 0 {
            let style = t.style(AXIS_DESC_SIZE, MUTED).pos(Pos::new(HPos::Center, VPos::Center));
            let (w, h) = area.dim_in_pixel();
            area.draw_text(t.tr("没有模拟路径", "No simulated paths"), &style, (w as i32 / 2, h as i32 / 2))?;
            return Ok(());
        }

        let shares: Vec<f64> = counts.iter().map(|&c| c as f64 / paths as f64 * 100.0).collect();
        let top = shares.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.15;
        let x_max = n_targets as f64 + 0.5;
        let (mut x_ticks, _) = nice_ticks(0.0, n_targets as f64, 12);
        x_ticks.retain(|v| v.fract() == 0.0);
        let (y_ticks, y_step) = nice_ticks(0.0, top, 6);
        let y_label_width = y_ticks.iter().map(|v| t.width(&fmt_tick(*v, y_step), TICK_SIZE)).max().unwrap_or(40);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(80)
            .y_label_area_size(y_label_width + 70)
            .build_cartesian_2d(Ticked::new(-0.5..x_max, x_ticks), Ticked::new(0.0..top, y_ticks))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{}%", fmt_tick(*v, y_step)))
            .x_desc(if t.zh() {
                format!("实现的目标个数（共 {n_targets} 个）")
            } else {
                format!("Targets hit (of {n_targets})")
            })
            .y_desc(t.tr("路径占比", "Share of paths"))
            .axis_desc_style(t.style(AXIS_DESC_SIZE, TEXT))
            .label_style(t.style(TICK_SIZE, TEXT))
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;
        chart.draw_series(shares.iter().enumerate().filter(|(_, s)| **s > 0.0).map(|(k, &share)| {
            Rectangle::new([(k as f64 - 0.4, 0.0), (k as f64 + 0.4, share)], DATA.mix(0.85).filled())
        }))?;
        if expected.is_finite() {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(expected, 0.0), (expected, top)],
                10,
                6,
                TARGET.stroke_width(3),
            )))?;
            let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
            let (px, _) = chart.backend_coord(&(expected, top));
            let text = t.clean(&expected_label);
            let width = t.width(&text, NOTE_SIZE);
            let (x, anchor) = if px + 10 + width < x_pixels.end { (px + 10, HPos::Left) } else { (px - 10, HPos::Right) };
            root.draw_text(&text, &t.style(NOTE_SIZE, TARGET).pos(Pos::new(anchor, VPos::Top)), (x, y_pixels.start + 8))?;
        }
        Ok(())
    }
}
