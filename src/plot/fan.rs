//! Fan chart of one indicator: how its simulated distribution spreads out year by year from the
//! base year (5–95% and 25–75% bands around the median, or the central 30/60/90% in the Bank of
//! England style), after the published history when the scenario gives one, with the level each
//! of its targets requires drawn where the target applies, so a reader sees how far into the fan
//! a target sits. The unit is written horizontally above the vertical axis (Chinese glyphs are
//! never rotated), and every number of the chart has one format ([`NumberFormat`]).

use plotters::coord::ranged1d::Ranged;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::FanBands;
use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::summary::{IndicatorSummary, Summary, TargetMarker, TargetSummary, YearQuantiles};

const HEIGHT: u32 = 900;

pub struct FanChart<'a> {
    theme: &'a Theme,
    summary: &'a Summary,
    indicator: &'a IndicatorSummary,
    /// Targets with a marker on this indicator.
    targets: Vec<(&'a TargetSummary, &'a TargetMarker)>,
    bands: FanBands,
}

/// What the base-year point of a fan stands for.
#[derive(Debug, Clone, Copy, PartialEq)]
enum BaseYear {
    /// A published statistic (or a value computed from published statistics alone: the same on
    /// every path).
    Known(f64),
    /// An assumption drawn on each path: the point is the median.
    Uncertain(f64),
}

/// A band of the fan: its lower and upper quantile in a year, its shade and legend text.
struct Band {
    lower: fn(&YearQuantiles) -> Option<f64>,
    upper: fn(&YearQuantiles) -> Option<f64>,
    alpha: f64,
    zh: &'static str,
    en: &'static str,
}

impl<'a> FanChart<'a> {
    pub fn new(theme: &'a Theme, summary: &'a Summary, indicator: &'a IndicatorSummary, bands: FanBands) -> Self {
        let targets = summary
            .targets
            .iter()
            .filter_map(|t| t.marker.as_ref().filter(|m| m.indicator == indicator.id).map(|m| (t, m)))
            .filter(|(_, m)| m.level.is_finite())
            .collect();
        FanChart { theme, summary, indicator, targets, bands }
    }

    /// The bands to shade, widest first. The 30/60/90% bands need the central quantiles, which
    /// summaries written by older versions lack: they fall back to the quartiles.
    fn bands(&self) -> Vec<Band> {
        let wide = Band {
            lower: |y| Some(y.quantiles.p05),
            upper: |y| Some(y.quantiles.p95),
            alpha: 0.16,
            zh: "5%–95% 区间（90% 的路径）",
            en: "5–95% of paths",
        };
        let boe = self.bands == FanBands::Boe && self.indicator.years.iter().all(|y| y.central.is_some());
        if boe {
            vec![
                Band { zh: "中间 90% 的路径", en: "central 90% of paths", ..wide },
                Band {
                    lower: |y| y.central.map(|c| c.p20),
                    upper: |y| y.central.map(|c| c.p80),
                    alpha: 0.32,
                    zh: "中间 60%",
                    en: "central 60%",
                },
                Band {
                    lower: |y| y.central.map(|c| c.p35),
                    upper: |y| y.central.map(|c| c.p65),
                    alpha: 0.52,
                    zh: "中间 30%",
                    en: "central 30%",
                },
            ]
        } else {
            vec![
                Band { alpha: 0.18, ..wide },
                Band {
                    lower: |y| Some(y.quantiles.p25),
                    upper: |y| Some(y.quantiles.p75),
                    alpha: 0.42,
                    zh: "25%–75% 区间",
                    en: "25–75% of paths",
                },
            ]
        }
    }

    fn legend(&self) -> Vec<LegendItem> {
        let t = self.theme;
        let mut items: Vec<LegendItem> =
            self.bands().iter().map(|b| LegendItem::new(Swatch::Box(DATA.mix(b.alpha)), t.tr(b.zh, b.en))).collect();
        items.push(LegendItem::new(Swatch::Line(DATA.to_rgba(), 3), t.tr("中位数", "median")));
        if !self.history().is_empty() {
            items.push(LegendItem::new(Swatch::Line(HISTORY.to_rgba(), 3), t.tr("历史数据", "published history")));
        }
        items.push(match self.base() {
            Some((_, BaseYear::Uncertain(_))) => LegendItem::new(
                Swatch::Point(TEXT.to_rgba()),
                t.tr("基期中位数（基期值不确定）", "base year median (base uncertain)"),
            ),
            _ => LegendItem::new(Swatch::Point(TEXT.to_rgba()), t.tr("基期值", "base year")),
        });
        if !self.targets.is_empty() {
            items.push(LegendItem::new(
                Swatch::Diamond(TARGET.to_rgba()),
                t.tr("目标要求水平", "level a target requires"),
            ));
        }
        items
    }

    /// The base year and its value: the published statistic; else the simulated base-year value
    /// when every path has the same one (a derived indicator of published bases); else the
    /// median of an uncertain base.
    fn base(&self) -> Option<(f64, BaseYear)> {
        let first = self.indicator.years.first()?;
        let year = first.year as f64;
        if let Some(value) = self.indicator.base.filter(|v| v.is_finite()) {
            return Some((year, BaseYear::Known(value)));
        }
        let q = &first.quantiles;
        if !q.p50.is_finite() {
            return None;
        }
        Some((year, if q.min == q.max { BaseYear::Known(q.p50) } else { BaseYear::Uncertain(q.p50) }))
    }

    fn base_point(&self) -> Option<(f64, f64)> {
        self.base().map(|(year, b)| match b {
            BaseYear::Known(v) | BaseYear::Uncertain(v) => (year, v),
        })
    }

    /// The published history before the base year (finite values, oldest first); a base-year
    /// value in the history is the base point itself.
    fn history(&self) -> Vec<(f64, f64)> {
        let base_year = self.indicator.years.first().map_or(i32::MAX, |y| y.year);
        let mut points: Vec<(f64, f64)> = self
            .indicator
            .history
            .iter()
            .filter(|h| h.year < base_year && h.value.is_finite())
            .map(|h| (h.year as f64, h.value))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        points
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
        let bands = self.bands();
        let shaded = if t.zh() { "阴影为路径分布区间" } else { "shaded: ranges of the paths" };
        let mut subtitle = if t.zh() {
            format!("{} · {} 条模拟路径 · {shaded}，实线为中位数", ind.id, fmt_count(self.summary.run.paths))
        } else {
            format!("{} · {} simulated paths · {shaded}, line: median", ind.id, fmt_count(self.summary.run.paths))
        };
        if matches!(self.base(), Some((_, BaseYear::Uncertain(_))))
            && ind.assumption.as_deref().is_some_and(|a| !a.trim().is_empty())
        {
            // The reasoning is too long for a chart; summary.json has it.
            subtitle +=
                t.tr(" · 基期值为假设（见 summary.json）", " · base-year value is an assumption (see summary.json)");
        }
        let header = canvas.header(&title, &subtitle)?;

        let legend = self.legend();
        let legend_height = t.legend_height(&legend, WIDTH as i32 - 2 * MARGIN);
        let legend_top = HEIGHT as i32 - MARGIN - legend_height;
        canvas.legend(&legend, (MARGIN, legend_top), WIDTH as i32 - 2 * MARGIN)?;
        let history = self.history();
        let mut bottom = legend_top - 12;
        if !history.is_empty() {
            let source = ind.history_source.as_deref().unwrap_or("").trim();
            let note = if source.is_empty() {
                t.tr("历史数据：来源未注明", "Published history: source not given").to_string()
            } else {
                format!("{}{source}", t.tr("历史数据来源：", "Published history: "))
            };
            // Up to two lines of it; summary.json has the whole text.
            let lines = wrap_two_lines(t, &note, NOTE_SIZE, WIDTH as i32 - 2 * MARGIN);
            let step = NOTE_SIZE as i32 + 4;
            let top = bottom - step * lines.len() as i32;
            for (k, line) in lines.iter().enumerate() {
                canvas.text(line, NOTE_SIZE, MUTED, (MARGIN, top + k as i32 * step), (HPos::Left, VPos::Top))?;
            }
            bottom = top - 12;
        }

        let years: Vec<i32> = ind.years.iter().map(|y| y.year).collect();
        let scenario = &self.summary.scenario;
        let (mut first_year, last_year) = match (years.first(), years.last()) {
            (Some(&a), Some(&b)) => (a, b.max(a)),
            _ => (scenario.base_year, scenario.end_year.max(scenario.base_year)),
        };
        if let Some(&(year, _)) = history.first() {
            first_year = first_year.min(year as i32);
        }
        let mut values: Vec<f64> = ind
            .years
            .iter()
            .flat_map(|y| [y.quantiles.p05, y.quantiles.p50, y.quantiles.p95])
            .chain(self.base_point().map(|(_, v)| v))
            .chain(history.iter().map(|&(_, v)| v))
            .chain(self.targets.iter().map(|(_, m)| m.level))
            .filter(|v| v.is_finite())
            .collect();
        if values.is_empty() {
            let message = t.tr("没有有限的模拟值", "No finite simulated values for this indicator");
            canvas.message(message, (MARGIN, WIDTH as i32 - MARGIN), (header, bottom))?;
            return Ok(());
        }
        values.sort_by(f64::total_cmp);
        let (low, high) = padded(values[0], values[values.len() - 1], 0.08);
        let (y_ticks, y_step) = nice_ticks(low, high, 8);
        let numbers = NumberFormat::new(y_step, y_ticks.iter().copied().chain(values.iter().copied()));
        let year_step = ((last_year - first_year) / 12 + 1).max(1);
        let x_ticks: Vec<f64> = (first_year..=last_year).step_by(year_step as usize).map(f64::from).collect();
        let x_range = (first_year as f64 - 0.3)..(last_year as f64 + 0.3);
        let y_labels = numbers.ticks(&y_ticks, "");
        let y_label_width = y_labels.iter().map(|(_, l)| t.width(l, TICK_SIZE)).max().unwrap_or(40);
        // The unit goes above the axis, written horizontally: room for one line of it.
        let unit = t.unit(&ind.unit);
        let unit_room = if unit.is_empty() { 0 } else { AXIS_DESC_SIZE as i32 + 16 };
        let area = root.margin(header + unit_room, HEIGHT as i32 - bottom, MARGIN, MARGIN + 20);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(80)
            .y_label_area_size(y_label_width + 24)
            .build_cartesian_2d(Ticked::new(x_range, x_ticks.clone()), Ticked::new(low..high, y_ticks))?;
        chart
            .configure_mesh()
            .label_style(t.hidden_labels())
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;
        let axes = Axes {
            x_ticks: x_ticks.iter().map(|v| (*v, format!("{v:.0}"))).collect(),
            y_ticks: y_labels,
            x_desc: t.tr("年份", "Year"),
            y_desc: "",
        };
        canvas.axes(&chart, &axes)?;
        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        if !unit.is_empty() {
            let left = x_pixels.start - 10 - y_label_width;
            let text = t.fit(&unit, AXIS_DESC_SIZE, WIDTH as i32 - MARGIN - left);
            canvas.text(&text, AXIS_DESC_SIZE, TEXT, (left, y_pixels.start - 12), (HPos::Left, VPos::Bottom))?;
        }

        let shade = |band: &Band| {
            let points: Vec<(f64, f64, f64)> = ind
                .years
                .iter()
                .filter_map(|y| Some((y.year as f64, (band.lower)(y)?, (band.upper)(y)?)))
                .filter(|(_, a, b)| a.is_finite() && b.is_finite())
                .collect();
            let mut outline: Vec<(f64, f64)> = points.iter().map(|&(x, _, b)| (x, b)).collect();
            outline.extend(points.iter().rev().map(|&(x, a, _)| (x, a)));
            outline
        };
        for band in &bands {
            let outline = shade(band);
            if outline.len() >= 4 {
                chart.draw_series(std::iter::once(Polygon::new(outline, DATA.mix(band.alpha).filled())))?;
            } else if outline.len() == 2 {
                // A single year: a narrow bar.
                let (x, y0, y1) = (outline[0].0, outline[1].1, outline[0].1);
                let bar = Rectangle::new([(x - 0.05, y0), (x + 0.05, y1)], DATA.mix(band.alpha).filled());
                chart.draw_series(std::iter::once(bar))?;
            }
        }
        let median: Vec<(f64, f64)> =
            ind.years.iter().map(|y| (y.year as f64, y.quantiles.p50)).filter(|(_, v)| v.is_finite()).collect();
        chart.draw_series(LineSeries::new(median.clone(), DATA.stroke_width(3)))?;
        chart.draw_series(median.iter().map(|&p| Circle::new(p, 4, DATA.filled())))?;
        if !history.is_empty() {
            // The history, joined to the base-year point, and a faint line where the forecast starts.
            let mut line = history.clone();
            line.extend(self.base_point());
            chart.draw_series(LineSeries::new(line, HISTORY.stroke_width(3)))?;
            chart.draw_series(history.iter().map(|&p| Circle::new(p, 5, HISTORY.filled())))?;
            if let Some((year, _)) = self.base_point() {
                chart.draw_series(std::iter::once(DashedPathElement::new(
                    vec![(year, low), (year, high)],
                    4,
                    6,
                    MUTED.stroke_width(1),
                )))?;
            }
            let (first, last) = (history[0], history[history.len() - 1]);
            for (i, &(x, v)) in [first, last].iter().enumerate() {
                if i == 1 && history.len() == 1 {
                    break;
                }
                let (px, py) = chart.backend_coord(&(x, v));
                canvas.text(&numbers.fmt(v), NOTE_SIZE, HISTORY, (px, py + 10), (HPos::Center, VPos::Top))?;
            }
        }
        if let Some(base) = self.base_point() {
            chart.draw_series(std::iter::once(Circle::new(base, 8, TEXT.filled())))?;
            let (px, py) = chart.backend_coord(&base);
            canvas.text(&numbers.fmt(base.1), NOTE_SIZE, TEXT, (px + 12, py - 10), (HPos::Left, VPos::Bottom))?;
        }
        self.draw_targets(canvas, &chart, first_year as f64 - 0.3, &numbers)?;
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
        numbers: &NumberFormat,
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
            let mut label = format!("{} {cmp} {}", t.clean(&target.id), numbers.fmt(marker.level));
            let relative = (marker.level - target.threshold).abs() > 1e-9 * marker.level.abs().max(1.0);
            if relative {
                // The threshold is in the target's own unit (a growth rate, a share): its format.
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
