//! Distribution of the number of targets hit on the same path: targets are correlated, so this
//! spread (not just its mean, the sum of the probabilities) says how many targets the plan is
//! likely to reach together.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{Axes, Canvas};
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

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let s = self.summary;
        let root = canvas.root;
        root.fill(&WHITE)?;
        let counts = &s.targets_hit.counts;
        let n_targets = counts.len().saturating_sub(1).max(s.targets.len());
        let counted: u64 = counts.iter().sum();
        let paths = if s.run.paths > 0 { s.run.paths } else { counted };
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
            canvas.header(t.tr("同一路径上实现的目标个数", "Number of targets hit on the same path"), &subtitle)?;
        let expected_label = format!("{} {}", t.tr("期望个数", "expected number"), fmt_value(expected));
        let legend = vec![
            LegendItem::new(Swatch::Box(DATA.mix(0.85)), t.tr("路径占比", "share of paths")),
            LegendItem::new(Swatch::Dashed(TARGET.to_rgba(), 3), expected_label.clone()),
        ];
        let legend_height = t.legend_height(&legend, WIDTH as i32 - 2 * MARGIN);
        let legend_top = HEIGHT as i32 - MARGIN - legend_height;
        canvas.legend(&legend, (MARGIN, legend_top), WIDTH as i32 - 2 * MARGIN)?;
        let bottom = legend_top - 12;
        if counted == 0 {
            canvas.message(
                t.tr("没有模拟路径", "No simulated paths"),
                (MARGIN, WIDTH as i32 - MARGIN),
                (header, bottom),
            )?;
            return Ok(());
        }

        let shares: Vec<f64> = counts.iter().map(|&c| c as f64 / counted as f64 * 100.0).collect();
        let top = shares.iter().copied().fold(0.0, f64::max).max(1e-9) * 1.15;
        let x_max = n_targets as f64 + 0.5;
        let (mut x_ticks, _) = nice_ticks(0.0, n_targets as f64, 12);
        x_ticks.retain(|v| v.fract() == 0.0);
        let (y_ticks, y_step) = nice_ticks(0.0, top, 6);
        let y_labels = tick_labels(&y_ticks, y_step, "%");
        let y_label_width = y_labels.iter().map(|(_, l)| t.width(l, TICK_SIZE)).max().unwrap_or(40);
        let area = root.margin(header, HEIGHT as i32 - bottom, MARGIN, MARGIN + 20);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(80)
            .y_label_area_size(y_label_width + 70)
            .build_cartesian_2d(Ticked::new(-0.5..x_max, x_ticks.clone()), Ticked::new(0.0..top, y_ticks))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .label_style(t.hidden_labels())
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;
        let x_desc = if t.zh() {
            format!("实现的目标个数（共 {n_targets} 个）")
        } else {
            format!("Targets hit (of {n_targets})")
        };
        let axes = Axes {
            x_ticks: x_ticks.iter().map(|v| (*v, format!("{v:.0}"))).collect(),
            y_ticks: y_labels,
            x_desc: &x_desc,
            y_desc: t.tr("路径占比", "Share of paths"),
        };
        canvas.axes(&chart, &axes)?;
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
            let width = t.width(&t.clean(&expected_label), NOTE_SIZE);
            let (x, anchor) =
                if px + 10 + width < x_pixels.end { (px + 10, HPos::Left) } else { (px - 10, HPos::Right) };
            canvas.text(&expected_label, NOTE_SIZE, TARGET, (x, y_pixels.start + 8), (anchor, VPos::Top))?;
        }
        Ok(())
    }
}
