//! Charts of `feasim score`, drawn from the [`ScoreReport`] alone:
//! - the **reliability diagram**: forecast probability (mean of each 10%-bin) against the
//!   observed share of targets hit, with Wilson 95% intervals and the number of targets per bin;
//!   a calibrated forecaster's points scatter around the diagonal within their intervals;
//! - the **PIT histogram**: where each realised outcome fell in its forecast distribution; flat
//!   (within the binomial 95% band shown) when the forecast distributions are calibrated, U-shaped
//!   when they are too narrow, hump-shaped when too wide, sloped when biased.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::calibration::score::ScoreReport;

const HEIGHT: u32 = 1000;

fn subtitle(theme: &Theme, report: &ScoreReport) -> String {
    let o = &report.overall;
    if theme.zh() {
        format!(
            "{} · 已评分目标 {} 个（未评分 {} 个）· Brier {:.3}（50%基准 {:.3}）· {} 条模拟路径",
            theme.scenario_title(&report.scenario),
            o.scored,
            o.unscored,
            o.brier,
            o.brier_baseline,
            fmt_count(report.run.paths)
        )
    } else {
        format!(
            "{} · {} targets scored ({} unscored) · Brier {:.3} (50% baseline {:.3}) · {} paths",
            theme.scenario_title(&report.scenario),
            o.scored,
            o.unscored,
            o.brier,
            o.brier_baseline,
            fmt_count(report.run.paths)
        )
    }
}

pub struct ReliabilityChart<'a> {
    theme: &'a Theme,
    report: &'a ScoreReport,
    legend: Vec<LegendItem>,
}

impl<'a> ReliabilityChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a ScoreReport) -> Self {
        let legend = vec![
            LegendItem::new(
                Swatch::Point(DATA.to_rgba()),
                theme.tr("各概率区间的实际实现比例", "observed share hit per forecast bin"),
            ),
            LegendItem::new(
                Swatch::Whisker(TEXT.to_rgba()),
                theme.tr("95% 置信区间（Wilson）", "95% interval (Wilson)"),
            ),
            LegendItem::new(Swatch::Dashed(MUTED.to_rgba(), 2), theme.tr("完美校准", "perfect calibration")),
        ];
        ReliabilityChart { theme, report, legend }
    }
}

impl Chart for ReliabilityChart<'_> {
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
        let header = canvas.header(
            t.tr("可靠性图：预测概率与实际实现比例", "Reliability: forecast probability vs observed frequency"),
            &subtitle(t, self.report),
        )?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;
        let top = header + t.legend_height(&self.legend, WIDTH as i32 - 2 * MARGIN) + 16;
        let ticks: Vec<f64> = (0..=10).map(|k| k as f64 * 10.0).collect();
        let area = root.margin(top, MARGIN, MARGIN + 200, MARGIN + 200);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(90)
            .y_label_area_size(120)
            .build_cartesian_2d(Ticked::new(0f64..100f64, ticks.clone()), Ticked::new(0f64..100f64, ticks.clone()))?;
        chart
            .configure_mesh()
            .label_style(t.hidden_labels())
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;
        let pct: Vec<(f64, String)> = ticks.iter().map(|v| (*v, format!("{v:.0}%"))).collect();
        let axes = Axes {
            x_ticks: pct.clone(),
            y_ticks: pct,
            x_desc: t.tr("预测的实现概率", "Forecast probability of hitting"),
            y_desc: t.tr("实际实现的目标比例", "Share of targets actually hit"),
        };
        canvas.axes(&chart, &axes)?;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(0.0, 0.0), (100.0, 100.0)],
            8,
            6,
            MUTED.stroke_width(2),
        )))?;
        let bins: Vec<_> = self.report.reliability.iter().filter(|b| b.targets > 0).collect();
        if bins.is_empty() {
            let (x, y) = chart.plotting_area().get_pixel_range();
            canvas.message(t.tr("没有已评分的目标", "No scored targets"), (x.start, x.end), (y.start, y.end))?;
            return Ok(());
        }
        let max_n = bins.iter().map(|b| b.targets).max().unwrap_or(1) as f64;
        for b in &bins {
            let x = 100.0 * b.mean_forecast;
            let whisker = TEXT.stroke_width(2);
            chart.draw_series([
                PathElement::new(vec![(x, 100.0 * b.ci_low), (x, 100.0 * b.ci_high)], whisker),
                PathElement::new(vec![(x - 0.8, 100.0 * b.ci_low), (x + 0.8, 100.0 * b.ci_low)], whisker),
                PathElement::new(vec![(x - 0.8, 100.0 * b.ci_high), (x + 0.8, 100.0 * b.ci_high)], whisker),
            ])?;
            let radius = (7.0 + 11.0 * (b.targets as f64 / max_n).sqrt()) as i32;
            chart.draw_series(std::iter::once(Circle::new((x, 100.0 * b.observed), radius, DATA.filled())))?;
            let (px, py) = chart.backend_coord(&(x, 100.0 * b.observed));
            let label = if t.zh() { format!("{} 个", b.targets) } else { format!("n = {}", b.targets) };
            canvas.text(&label, LABEL_SIZE, TEXT, (px + radius + 8, py), (HPos::Left, VPos::Center))?;
        }
        Ok(())
    }
}

pub struct PitChart<'a> {
    theme: &'a Theme,
    report: &'a ScoreReport,
    legend: Vec<LegendItem>,
}

impl<'a> PitChart<'a> {
    pub fn new(theme: &'a Theme, report: &'a ScoreReport) -> Self {
        let legend = vec![
            LegendItem::new(Swatch::Box(DATA.to_rgba()), theme.tr("目标个数", "targets")),
            LegendItem::new(Swatch::Dashed(MUTED.to_rgba(), 2), theme.tr("校准时的期望个数", "expected if calibrated")),
            LegendItem::new(Swatch::Box(MUTED.mix(0.15)), theme.tr("校准时的 95% 范围", "95% range if calibrated")),
        ];
        PitChart { theme, report, legend }
    }
}

impl Chart for PitChart<'_> {
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
        let header = canvas.header(
            t.tr(
                "PIT 直方图：实际值在预测分布中的分位",
                "PIT histogram: where each outcome fell in its forecast distribution",
            ),
            &subtitle(t, self.report),
        )?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;
        let top = header + t.legend_height(&self.legend, WIDTH as i32 - 2 * MARGIN) + 16;
        let counts = &self.report.pit_counts;
        let bins = counts.len().max(1);
        let n: usize = counts.iter().sum();
        let expected = n as f64 / bins as f64;
        let p = 1.0 / bins as f64;
        let half = 1.96 * (n as f64 * p * (1.0 - p)).sqrt();
        let highest = counts.iter().copied().max().unwrap_or(0) as f64;
        let (y_ticks, y_step) = nice_ticks(0.0, (highest.max(expected + half) * 1.15).max(1.0), 6);
        // Counts are whole numbers: no ticks between them.
        let (y_ticks, y_step) = if y_step < 1.0 {
            ((0..=(y_ticks.last().copied().unwrap_or(1.0).ceil() as i64)).map(|k| k as f64).collect(), 1.0)
        } else {
            (y_ticks, y_step)
        };
        let y_max = y_ticks.last().copied().unwrap_or(1.0).max(highest * 1.1).max(1.0);
        let x_ticks: Vec<f64> = (0..=bins).map(|k| k as f64 / bins as f64).collect();
        let area = root.margin(top, MARGIN, MARGIN, MARGIN);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(90)
            .y_label_area_size(120)
            .build_cartesian_2d(Ticked::new(0f64..1f64, x_ticks.clone()), Ticked::new(0f64..y_max, y_ticks.clone()))?;
        chart
            .configure_mesh()
            .label_style(t.hidden_labels())
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;
        let axes = Axes {
            x_ticks: tick_labels(&x_ticks, 0.1, ""),
            y_ticks: tick_labels(&y_ticks, y_step, ""),
            x_desc: t.tr("实际值在预测分布中的累积概率（PIT）", "Probability integral transform of the outcome (PIT)"),
            y_desc: t.tr("目标个数", "Targets"),
        };
        canvas.axes(&chart, &axes)?;
        if n == 0 {
            let (x, y) = chart.plotting_area().get_pixel_range();
            canvas.message(t.tr("没有可计算 PIT 的目标", "No target has a PIT"), (x.start, x.end), (y.start, y.end))?;
            return Ok(());
        }
        chart.draw_series(std::iter::once(Rectangle::new(
            [(0.0, (expected - half).max(0.0)), (1.0, expected + half)],
            MUTED.mix(0.15).filled(),
        )))?;
        chart.draw_series(counts.iter().enumerate().map(|(k, &c)| {
            let (a, b) = (k as f64 / bins as f64, (k + 1) as f64 / bins as f64);
            Rectangle::new([(a + 0.004, 0.0), (b - 0.004, c as f64)], DATA.filled())
        }))?;
        chart.draw_series(std::iter::once(DashedPathElement::new(
            vec![(0.0, expected), (1.0, expected)],
            8,
            6,
            MUTED.stroke_width(2),
        )))?;
        Ok(())
    }
}
