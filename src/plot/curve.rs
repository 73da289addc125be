//! Feasibility curve: a target's probability as one assumption moves over a grid, with the 95%
//! Wilson interval as a band, the scenario as written as a diamond and the 50% line dashed.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::sensitivity::fmt_number;
use crate::analysis::solve::SolveReport;
use crate::analysis::sweep::{ParamSweep, SweepCurve, SweepReport};
use crate::summary::Probability;

const HEIGHT: u32 = 900;

pub struct CurveChart<'a> {
    theme: &'a Theme,
    /// The target's id and labels.
    target: (&'a str, &'a str, &'a str),
    param: &'a str,
    unit: &'a str,
    /// The parameter's value in the scenario as written, and P(hit) there.
    written: (f64, f64),
    paths: u64,
    points: Vec<(f64, Probability)>,
    /// Solved probabilities: (P, value, interval low, interval high).
    marks: Vec<(f64, f64, Option<f64>, Option<f64>)>,
    legend: Vec<LegendItem>,
}

impl<'a> CurveChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a SweepReport, sweep: &'a ParamSweep, curve: &'a SweepCurve) -> Self {
        let target = report.targets.iter().find(|x| x.id == curve.target);
        CurveChart {
            theme,
            target: target.map_or((&curve.target, "", ""), |x| (&x.id, &x.label_zh, &x.label_en)),
            param: &sweep.param,
            unit: &sweep.unit,
            written: (sweep.value, curve.baseline.probability),
            paths: report.run.paths,
            points: curve.points.iter().map(|p| (p.value, p.probability)).collect(),
            marks: Vec::new(),
            legend: legend(theme, false),
        }
    }

    /// The curve `feasim solve` traced while searching, with its answers marked.
    pub fn for_solve(theme: &'a Theme, report: &'a SolveReport) -> Self {
        let marks: Vec<_> =
            report.answers.iter().filter_map(|a| a.value.map(|v| (a.probability, v, a.ci_low, a.ci_high))).collect();
        // Show the neighbourhood of the answers and the value as written, not the whole search.
        let mut xs: Vec<f64> = marks.iter().flat_map(|m| [Some(m.1), m.2, m.3]).flatten().collect();
        xs.push(report.value);
        let (lo, hi) = xs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let pad = 0.25 * (hi - lo).max(1e-9);
        let points: Vec<(f64, Probability)> = report
            .curve
            .iter()
            .filter(|p| marks.is_empty() || (p.value >= lo - pad && p.value <= hi + pad))
            .map(|p| (p.value, p.probability))
            .collect();
        CurveChart {
            theme,
            target: (&report.target.id, &report.target.label_zh, &report.target.label_en),
            param: &report.param,
            unit: &report.unit,
            written: (report.value, report.target.baseline.probability),
            paths: report.run.paths,
            points,
            marks,
            legend: legend(theme, true),
        }
    }
}

fn legend(theme: &Theme, solved: bool) -> Vec<LegendItem> {
    let mut items = vec![
        LegendItem::new(Swatch::Line(DATA.to_rgba(), 3), theme.tr("实现概率", "probability of hitting")),
        LegendItem::new(Swatch::Box(DATA.mix(0.2)), theme.tr("95% 置信区间", "95% interval")),
        LegendItem::new(Swatch::Diamond(TARGET.to_rgba()), theme.tr("情景原值", "scenario as written")),
    ];
    if solved {
        items.push(LegendItem::new(
            Swatch::Line(TARGET.to_rgba(), 3),
            theme.tr("求解值及区间", "solved value and interval"),
        ));
    } else {
        items.push(LegendItem::new(Swatch::Dashed(MUTED.to_rgba(), 2), "50%"));
    }
    items
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
        let (id, zh, en) = self.target;
        let name = if zh.is_empty() && en.is_empty() { t.clean(id) } else { t.id_label(id, zh, en) };
        let kind =
            if self.marks.is_empty() { t.tr("可行性曲线", "feasibility curve") } else { t.tr("求解", "solve") };
        let title = format!("{name} · {kind}");
        let subtitle = if t.zh() {
            format!(
                "随 {} 变化（原值 {}）· {} 条路径（各取值使用同一组随机数）",
                self.param,
                fmt_number(self.written.0),
                fmt_count(self.paths)
            )
        } else {
            format!(
                "as {} moves (as written: {}) · {} paths (the same random numbers for every value)",
                self.param,
                fmt_number(self.written.0),
                fmt_count(self.paths)
            )
        };
        let header = canvas.header(&title, &subtitle)?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;
        let top = header + t.legend_height(&self.legend, WIDTH as i32 - 2 * MARGIN) + 16;

        let points = &self.points;
        let xs = points.iter().map(|p| p.0).chain(std::iter::once(self.written.0));
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
        let unit = t.unit(self.unit);
        let x_desc = if unit.is_empty() { self.param.to_string() } else { format!("{} ({unit})", self.param) };
        let axes = Axes {
            x_ticks: tick_labels(&x_ticks, x_step, ""),
            y_ticks: y_ticks.iter().map(|v| (*v, format!("{v:.0}%"))).collect(),
            x_desc: &x_desc,
            y_desc: t.tr("实现目标的概率", "Probability of hitting"),
        };
        canvas.axes(&chart, &axes)?;
        if self.marks.is_empty() {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(low, 50.0), (high, 50.0)],
                8,
                6,
                MUTED.stroke_width(2),
            )))?;
        }
        let mut band: Vec<(f64, f64)> = points.iter().map(|p| (p.0, 100.0 * p.1.ci_high)).collect();
        band.extend(points.iter().rev().map(|p| (p.0, 100.0 * p.1.ci_low)));
        chart.draw_series(std::iter::once(Polygon::new(band, DATA.mix(0.2).filled())))?;
        chart.draw_series(LineSeries::new(
            points.iter().map(|p| (p.0, 100.0 * p.1.probability)),
            DATA.stroke_width(3),
        ))?;
        if points.len() <= 60 {
            chart.draw_series(points.iter().map(|p| Circle::new((p.0, 100.0 * p.1.probability), 5, DATA.filled())))?;
        }
        for &(p, value, ci_low, ci_high) in &self.marks {
            let y = 100.0 * p;
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(low, y), (value, y), (value, 0.0)],
                8,
                6,
                TARGET.stroke_width(2),
            )))?;
            let (a, b) = (ci_low.unwrap_or(value).max(low), ci_high.unwrap_or(value).min(high));
            chart.draw_series(std::iter::once(PathElement::new(vec![(a, y), (b, y)], TARGET.stroke_width(6))))?;
            let (px, py) = chart.backend_coord(&(value, y));
            let label = format!("{:.0}%: {}", 100.0 * p, fmt_number(value));
            canvas.text(&label, LABEL_SIZE, TARGET, (px - 12, py - 8), (HPos::Right, VPos::Bottom))?;
        }
        let marker = chart.backend_coord(&(self.written.0, 100.0 * self.written.1));
        root.draw(&diamond(marker, 11, TARGET.to_rgba()))?;
        Ok(())
    }
}
