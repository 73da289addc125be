//! Feasibility curve: a target's probability as one assumption moves over a grid, with the 95%
//! Wilson interval as a band, the scenario as written as a diamond and the 50% line dashed.

use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::sensitivity::fmt_number;
use crate::analysis::sweep::{ParamSweep, SweepCurve, SweepReport};

const HEIGHT: u32 = 900;

pub struct CurveChart<'a> {
    theme: &'a Theme,
    report: &'a SweepReport,
    sweep: &'a ParamSweep,
    curve: &'a SweepCurve,
    legend: Vec<LegendItem>,
}

impl<'a> CurveChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a SweepReport, sweep: &'a ParamSweep, curve: &'a SweepCurve) -> Self {
        let legend = vec![
            LegendItem::new(Swatch::Line(DATA.to_rgba(), 3), theme.tr("实现概率", "probability of hitting")),
            LegendItem::new(Swatch::Box(DATA.mix(0.2)), theme.tr("95% 置信区间", "95% interval")),
            LegendItem::new(Swatch::Diamond(TARGET.to_rgba()), theme.tr("情景原值", "scenario as written")),
            LegendItem::new(Swatch::Dashed(MUTED.to_rgba(), 2), "50%"),
        ];
        CurveChart { theme, report, sweep, curve, legend }
    }
}

impl Chart for CurveChart<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let root = canvas.root;
        root.fill(&WHITE)?;
        let target = self.report.targets.iter().find(|x| x.id == self.curve.target);
        let name = target.map_or(t.clean(&self.curve.target), |x| t.id_label(&x.id, &x.label_zh, &x.label_en));
        let title = format!("{name} · {}", t.tr("可行性曲线", "feasibility curve"));
        let subtitle = if t.zh() {
            format!(
                "随 {} 变化（原值 {}）· {} 条路径（各取值使用同一组随机数）",
                self.sweep.param,
                fmt_number(self.sweep.value),
                fmt_count(self.report.run.paths)
            )
        } else {
            format!(
                "as {} moves (as written: {}) · {} paths (the same random numbers for every value)",
                self.sweep.param,
                fmt_number(self.sweep.value),
                fmt_count(self.report.run.paths)
            )
        };
        let header = canvas.header(&title, &subtitle)?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;
        let top = header + t.legend_height(&self.legend, WIDTH as i32 - 2 * MARGIN) + 16;

        let points = &self.curve.points;
        let xs = points.iter().map(|p| p.value).chain(std::iter::once(self.sweep.value));
        let (low, high) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
        let (low, high) = padded(low, high, 0.03);
        let (x_ticks, x_step) = nice_ticks(low, high, 10);
        let y_ticks: Vec<f64> = (0..=10).map(|k| k as f64 * 10.0).collect();
        let area = root.margin(top, MARGIN, MARGIN, MARGIN);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(90)
            .y_label_area_size(120)
            .build_cartesian_2d(Ticked::new(low..high, x_ticks.clone()), Ticked::new(0f64..100f64, y_ticks.clone()))?;
        chart
            .configure_mesh()
            .label_style(t.hidden_labels())
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;
        let unit = t.unit(&self.sweep.unit);
        let x_desc = if unit.is_empty() { self.sweep.param.clone() } else { format!("{} ({unit})", self.sweep.param) };
        let axes = Axes {
            x_ticks: tick_labels(&x_ticks, x_step, ""),
            y_ticks: y_ticks.iter().map(|v| (*v, format!("{v:.0}%"))).collect(),
            x_desc: &x_desc,
            y_desc: t.tr("实现目标的概率", "Probability of hitting"),
        };
        canvas.axes(&chart, &axes)?;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(low, 50.0), (high, 50.0)],
            8,
            6,
            MUTED.stroke_width(2),
        )))?;
        let mut band: Vec<(f64, f64)> = points.iter().map(|p| (p.value, 100.0 * p.probability.ci_high)).collect();
        band.extend(points.iter().rev().map(|p| (p.value, 100.0 * p.probability.ci_low)));
        chart.draw_series(std::iter::once(Polygon::new(band, DATA.mix(0.2).filled())))?;
        chart.draw_series(LineSeries::new(
            points.iter().map(|p| (p.value, 100.0 * p.probability.probability)),
            DATA.stroke_width(3),
        ))?;
        chart.draw_series(
            points.iter().map(|p| Circle::new((p.value, 100.0 * p.probability.probability), 5, DATA.filled())),
        )?;
        let marker = chart.backend_coord(&(self.sweep.value, 100.0 * self.curve.baseline.probability));
        root.draw(&diamond(marker, 11, TARGET.to_rgba()))?;
        Ok(())
    }
}
