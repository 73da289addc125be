//! Feasibility curve: a target's probability as one assumption moves over a grid, with the 95%
//! Wilson interval as a band, the scenario as written as a diamond and the 50% line dashed. The
//! assumption is named in words on the axis and in the subtitle (its id only when it has no label).
//!
//! For `solve` the curve is the report's evenly spaced grid (simulated on the search's paths), and
//! each answer is a point at the probability asked for with its interval drawn as a whisker and
//! written beside it.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::analysis_style::{human, whisker};
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
    /// The assumption in words.
    param: String,
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
            param: human(theme, &sweep.param, &sweep.label_zh, &sweep.label_en),
            unit: &sweep.unit,
            written: (sweep.value, curve.baseline.probability),
            paths: report.run.paths,
            points: curve.points.iter().map(|p| (p.value, p.probability)).collect(),
            marks: Vec::new(),
            legend: legend(theme, false),
        }
    }

    /// The curve of `feasim solve`: its evenly spaced grid, with its answers marked.
    pub fn for_solve(theme: &'a Theme, report: &'a SolveReport) -> Self {
        let marks: Vec<_> =
            report.answers.iter().filter_map(|a| a.value.map(|v| (a.probability, v, a.ci_low, a.ci_high))).collect();
        let points: Vec<(f64, Probability)> = if report.grid.is_empty() {
            // A report written before the grid existed: the search's values near the answers.
            let (lo, hi) = crate::analysis::solve::grid_range(
                &report.answers,
                report.value,
                (report.searched_low, report.searched_high),
            );
            report.curve.iter().filter(|p| p.value >= lo && p.value <= hi).map(|p| (p.value, p.probability)).collect()
        } else {
            report.grid.iter().map(|p| (p.value, p.probability)).collect()
        };
        CurveChart {
            theme,
            target: (&report.target.id, &report.target.label_zh, &report.target.label_en),
            param: human(theme, &report.param, &report.param_label_zh, &report.param_label_en),
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
        items.push(LegendItem::new(Swatch::Point(TARGET.to_rgba()), theme.tr("求解值", "solved value")));
        items.push(LegendItem::new(
            Swatch::Whisker(TARGET.to_rgba()),
            theme.tr("求解值的 95% 区间", "its 95% interval"),
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
        // A spread is a factor on the written spread (1 = as written).
        let unit = if self.unit == "factor" { t.tr("倍", "factor") } else { self.unit };
        let x_desc = if t.unit(unit).is_empty() { self.param.clone() } else { t.with_unit(&self.param, unit) };
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
                TARGET.mix(0.6).stroke_width(2),
            )))?;
            // The interval: a whisker with caps; an open end (beyond the searched range) runs to
            // the frame without a cap.
            let (a, b) = (ci_low.unwrap_or(low).max(low), ci_high.unwrap_or(high).min(high));
            let style = TARGET.stroke_width(3);
            let [line, cap_low, cap_high] = whisker(a, b, y, 2.2, style);
            chart.draw_series(std::iter::once(line))?;
            if ci_low.is_some() {
                chart.draw_series(std::iter::once(cap_low))?;
            }
            if ci_high.is_some() {
                chart.draw_series(std::iter::once(cap_high))?;
            }
            let (px, py) = chart.backend_coord(&(value, y));
            root.draw(&Circle::new((px, py), 9, WHITE.filled()))?;
            root.draw(&Circle::new((px, py), 7, TARGET.filled()))?;
            let show = |v: Option<f64>| v.map_or("…".to_string(), fmt_number);
            let label = format!("{:.0}%: {} [{}, {}]", 100.0 * p, fmt_number(value), show(ci_low), show(ci_high));
            // Left of the interval, or right of it when there is no room on the left.
            let (left_end, _) = chart.backend_coord(&(a, y));
            let (right_end, _) = chart.backend_coord(&(b, y));
            let frame = chart.plotting_area().get_pixel_range().0;
            if left_end - 12 - t.width(&label, LABEL_SIZE) >= frame.start {
                canvas.text(&label, LABEL_SIZE, TARGET, (left_end - 12, py - 6), (HPos::Right, VPos::Bottom))?;
            } else {
                canvas.text(&label, LABEL_SIZE, TARGET, (right_end + 12, py - 6), (HPos::Left, VPos::Bottom))?;
            }
        }
        let marker = chart.backend_coord(&(self.written.0, 100.0 * self.written.1));
        root.draw(&diamond(marker, 11, TARGET.to_rgba()))?;
        Ok(())
    }
}
