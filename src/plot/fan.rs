//! Fan chart of one indicator: how its simulated distribution spreads out year by year from the
//! base year (5–95% and 25–75% bands around the median), with the level each of its targets
//! requires drawn where the target applies, so a reader sees how far into the fan a target sits.

use plotters::coord::ranged1d::Ranged;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::summary::{IndicatorSummary, Quantiles, Summary, TargetMarker, TargetSummary};

const HEIGHT: u32 = 900;

pub struct FanChart<'a> {
    theme: &'a Theme,
    summary: &'a Summary,
    indicator: &'a IndicatorSummary,
    /// Targets with a marker on this indicator.
    targets: Vec<(&'a TargetSummary, &'a TargetMarker)>,
}

impl<'a> FanChart<'a> {
    pub fn new(theme: &'a Theme, summary: &'a Summary, indicator: &'a IndicatorSummary) -> Self {
        let targets = summary
            .targets
            .iter()
            .filter_map(|t| t.marker.as_ref().filter(|m| m.indicator == indicator.id).map(|m| (t, m)))
            .filter(|(_, m)| m.level.is_finite())
            .collect();
        FanChart { theme, summary, indicator, targets }
    }

    fn legend(&self) -> Vec<LegendItem> {
        let t = self.theme;
        let mut items = vec![
            LegendItem::new(Swatch::Box(DATA.mix(0.18)), t.tr("5%–95% 区间", "5–95% of paths")),
            LegendItem::new(Swatch::Box(DATA.mix(0.42)), t.tr("25%–75% 区间", "25–75% of paths")),
            LegendItem::new(Swatch::Line(DATA.to_rgba(), 3), t.tr("中位数", "median")),
            if self.indicator.base.is_some_and(f64::is_finite) {
                LegendItem::new(Swatch::Point(TEXT.to_rgba()), t.tr("基期值", "base year"))
            } else {
                LegendItem::new(
                    Swatch::Point(TEXT.to_rgba()),
                    t.tr("基期中位数（基期值不确定）", "base year median (base uncertain)"),
                )
            },
        ];
        if !self.targets.is_empty() {
            items.push(LegendItem::new(
                Swatch::Diamond(TARGET.to_rgba()),
                t.tr("目标要求水平", "level a target requires"),
            ));
        }
        items
    }

    /// The base-year value: the published statistic, else the simulated base-year median.
    fn base(&self) -> Option<(f64, f64)> {
        let first = self.indicator.years.first()?;
        let value = self.indicator.base.filter(|v| v.is_finite()).unwrap_or(first.quantiles.p50);
        value.is_finite().then_some((first.year as f64, value))
    }
}

impl Chart for FanChart<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let ind = self.indicator;
        let root = canvas.root;
        root.fill(&WHITE)?;
        let name = t.label(&ind.label_zh, &ind.label_en).unwrap_or_else(|| t.clean(&ind.id));
        let title = t.with_unit(&name, &ind.unit);
        let mut subtitle = if t.zh() {
            format!("{} · {} 条模拟路径 · 阴影为路径分布区间，实线为中位数", ind.id, fmt_count(self.summary.run.paths))
        } else {
            format!(
                "{} · {} simulated paths · shaded: ranges of the paths, line: median",
                ind.id,
                fmt_count(self.summary.run.paths)
            )
        };
        if ind.assumption.as_deref().is_some_and(|a| !a.trim().is_empty()) {
            // The reasoning is too long for a chart; summary.json has it.
            subtitle +=
                t.tr(" · 基期值为假设（见 summary.json）", " · base-year value is an assumption (see summary.json)");
        }
        let header = canvas.header(&title, &subtitle)?;

        let legend = self.legend();
        let legend_height = t.legend_height(&legend, WIDTH as i32 - 2 * MARGIN);
        let legend_top = HEIGHT as i32 - MARGIN - legend_height;
        canvas.legend(&legend, (MARGIN, legend_top), WIDTH as i32 - 2 * MARGIN)?;

        let years: Vec<i32> = ind.years.iter().map(|y| y.year).collect();
        let scenario = &self.summary.scenario;
        let (first_year, last_year) = match (years.first(), years.last()) {
            (Some(&a), Some(&b)) => (a, b.max(a)),
            _ => (scenario.base_year, scenario.end_year.max(scenario.base_year)),
        };
        let mut values: Vec<f64> = ind
            .years
            .iter()
            .flat_map(|y| [y.quantiles.p05, y.quantiles.p50, y.quantiles.p95])
            .chain(self.base().map(|(_, v)| v))
            .chain(self.targets.iter().map(|(_, m)| m.level))
            .filter(|v| v.is_finite())
            .collect();
        let bottom = legend_top - 12;
        if values.is_empty() {
            let message = t.tr("没有有限的模拟值", "No finite simulated values for this indicator");
            canvas.message(message, (MARGIN, WIDTH as i32 - MARGIN), (header, bottom))?;
            return Ok(());
        }
        values.sort_by(f64::total_cmp);
        let (low, high) = padded(values[0], values[values.len() - 1], 0.08);
        let (y_ticks, y_step) = nice_ticks(low, high, 8);
        let year_step = ((last_year - first_year) / 12 + 1).max(1);
        let x_ticks: Vec<f64> = (first_year..=last_year).step_by(year_step as usize).map(f64::from).collect();
        let x_range = (first_year as f64 - 0.3)..(last_year as f64 + 0.3);
        let y_labels = tick_labels(&y_ticks, y_step, "");
        let y_label_width = y_labels.iter().map(|(_, l)| t.width(l, TICK_SIZE)).max().unwrap_or(40);
        let area = root.margin(header, HEIGHT as i32 - bottom, MARGIN, MARGIN + 20);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(80)
            .y_label_area_size(y_label_width + 70)
            .build_cartesian_2d(Ticked::new(x_range, x_ticks.clone()), Ticked::new(low..high, y_ticks))?;
        chart
            .configure_mesh()
            .label_style(t.hidden_labels())
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;
        let unit = t.unit(&ind.unit);
        let axes = Axes {
            x_ticks: x_ticks.iter().map(|v| (*v, format!("{v:.0}"))).collect(),
            y_ticks: y_labels,
            x_desc: t.tr("年份", "Year"),
            y_desc: if unit.is_empty() { &name } else { &unit },
        };
        canvas.axes(&chart, &axes)?;

        let band = |lower: fn(&Quantiles) -> f64, upper: fn(&Quantiles) -> f64| {
            let points: Vec<(f64, f64, f64)> = ind
                .years
                .iter()
                .map(|y| (y.year as f64, lower(&y.quantiles), upper(&y.quantiles)))
                .filter(|(_, a, b)| a.is_finite() && b.is_finite())
                .collect();
            let mut outline: Vec<(f64, f64)> = points.iter().map(|&(x, _, b)| (x, b)).collect();
            outline.extend(points.iter().rev().map(|&(x, a, _)| (x, a)));
            outline
        };
        for (outline, alpha) in [(band(|q| q.p05, |q| q.p95), 0.18), (band(|q| q.p25, |q| q.p75), 0.42)] {
            if outline.len() >= 4 {
                chart.draw_series(std::iter::once(Polygon::new(outline, DATA.mix(alpha).filled())))?;
            } else if outline.len() == 2 {
                // A single year: a narrow bar.
                let (x, y0, y1) = (outline[0].0, outline[1].1, outline[0].1);
                let bar = Rectangle::new([(x - 0.05, y0), (x + 0.05, y1)], DATA.mix(alpha).filled());
                chart.draw_series(std::iter::once(bar))?;
            }
        }
        let median: Vec<(f64, f64)> =
            ind.years.iter().map(|y| (y.year as f64, y.quantiles.p50)).filter(|(_, v)| v.is_finite()).collect();
        chart.draw_series(LineSeries::new(median.clone(), DATA.stroke_width(3)))?;
        chart.draw_series(median.iter().map(|&p| Circle::new(p, 4, DATA.filled())))?;
        if let Some(base) = self.base() {
            chart.draw_series(std::iter::once(Circle::new(base, 8, TEXT.filled())))?;
            let (px, py) = chart.backend_coord(&base);
            canvas.text(&fmt_value(base.1), NOTE_SIZE, TEXT, (px + 12, py - 10), (HPos::Left, VPos::Bottom))?;
        }
        self.draw_targets(canvas, &chart, first_year as f64 - 0.3)?;
        Ok(())
    }
}

impl FanChart<'_> {
    /// Each target's required level: a dashed line from the left edge to its year, a diamond at
    /// the year, and a label at the left end of the line, moved apart when labels would collide.
    fn draw_targets<DB: DrawingBackend, X, Y>(
        &self,
        canvas: &Canvas<DB>,
        chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>,
        x_left: f64,
    ) -> DrawResult
    where
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let t = self.theme;
        let root = canvas.root;
        let mut placed: Vec<i32> = Vec::new();
        let line_height = NOTE_SIZE as i32 + 6;
        let mut targets = self.targets.clone();
        targets.sort_by(|a, b| b.1.level.total_cmp(&a.1.level));
        let (_, y_pixels) = chart.plotting_area().get_pixel_range();
        let lines: Vec<i32> = targets.iter().map(|(_, m)| chart.backend_coord(&(x_left, m.level)).1).collect();
        for (target, marker) in targets {
            let point = (marker.year as f64, marker.level);
            let (x0, y) = chart.backend_coord(&(x_left, marker.level));
            let (x1, _) = chart.backend_coord(&point);
            root.draw(&DashedPathElement::new(vec![(x0, y), (x1, y)], 10, 6, TARGET.mix(0.9).stroke_width(2)))?;
            root.draw(&diamond((x1, y), 10, TARGET.to_rgba()))?;
            let cmp = t.comparator(&target.comparator);
            let mut label = format!("{} {cmp} {}", t.clean(&target.id), fmt_value(marker.level));
            let relative = (marker.level - target.threshold).abs() > 1e-9 * marker.level.abs().max(1.0);
            if relative {
                label += &format!(" ({cmp} {})", t.value_with_unit(&fmt_value(target.threshold), &target.unit));
            }
            label += &format!(" · P = {}", fmt_pct(target.probability));
            // Above the line if free, else below it, else further away: never over another label
            // or across another target's line.
            let free = |top: i32| {
                top >= y_pixels.start
                    && top + line_height <= y_pixels.end
                    && placed.iter().all(|&p| (p - top).abs() >= line_height)
                    && lines.iter().all(|&l| l <= top || l >= top + line_height - 4)
            };
            let candidates = (0..8).flat_map(|k| [y - (k + 1) * line_height - 2, y + 4 + k * line_height]);
            let top = candidates.into_iter().find(|&top| free(top)).unwrap_or_else(|| {
                (y - line_height - 2).clamp(y_pixels.start, (y_pixels.end - line_height).max(y_pixels.start))
            });
            placed.push(top);
            let text = t.fit(&label, NOTE_SIZE, (x1 - x0 - 30).max(200));
            let width = t.width(&text, NOTE_SIZE);
            root.draw(&Rectangle::new(
                [(x0 + 6, top - 1), (x0 + 14 + width, top + line_height - 5)],
                WHITE.mix(0.8).filled(),
            ))?;
            canvas.text(&text, NOTE_SIZE, TARGET, (x0 + 10, top), (HPos::Left, VPos::Top))?;
        }
        Ok(())
    }
}
