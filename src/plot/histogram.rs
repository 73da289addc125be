//! Histogram of one target's tested quantity across paths, split at the threshold: the side that
//! hits the target is shaded green, so the chart shows both the probability and how close the
//! paths that miss come to the threshold.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::summary::{Summary, TargetSummary, hit_boundary};

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

    /// The interval of a two-sided test (`==`, `between`, `about`), widened to the half-way points
    /// between whole numbers for a whole-number quantity (so its ends are bin edges).
    fn hit_range(&self) -> Option<(f64, f64)> {
        let [low, high] = self.target.range?;
        Some(if self.target.integer { (low.ceil() - 0.5, high.floor() + 0.5) } else { (low, high) })
    }

    /// Whether values above the threshold hit the target.
    fn hit_above(&self) -> bool {
        !self.target.comparator.starts_with('<')
    }

    /// Where bars turn from missing to hitting: the threshold, or for a whole-number quantity the
    /// half-way point between the last missing and the first hitting whole number (a bin edge).
    fn boundary(&self) -> f64 {
        if let Some((low, _)) = self.hit_range() {
            return low;
        }
        hit_boundary(&self.target.comparator, self.target.threshold, self.target.integer)
    }

    /// Whether the paths above the histogram's range all sit exactly on the upper bound of a
    /// bounded quantity (the range ends at that bound).
    fn above_is_bound(&self, high: f64) -> bool {
        matches!(self.target.bounds, Some([_, upper]) if high >= upper)
    }

    /// Labels of the pale bars of the paths below and above the histogram's range: "= upper"
    /// for paths on the upper bound of a bounded quantity; "≤ k" and "≥ k" for whole numbers.
    fn end_labels(&self, low: f64, high: f64, numbers: &NumberFormat) -> (String, String) {
        if self.target.integer {
            return (format!("≤ {}", numbers.fmt(low - 0.5)), format!("≥ {}", numbers.fmt(high + 0.5)));
        }
        let above = if self.above_is_bound(high) {
            format!("= {}", numbers.fmt(high))
        } else {
            format!("> {}", numbers.fmt(high))
        };
        (format!("< {}", numbers.fmt(low)), above)
    }

    /// The bins to draw and the x range, or why there are none. A histogram whose edges all
    /// coincide (every path gave the same value) becomes one narrow bar in a padded range.
    fn bins(&self) -> Result<Bins, &'static (&'static str, &'static str)> {
        let h = &self.target.histogram;
        let total: u64 = h.counts.iter().sum();
        if self.summary.run.paths == 0 {
            return Err(&("没有模拟路径", "No simulated paths"));
        }
        if h.counts.is_empty() || total == 0 {
            return Err(&(
                "没有可绘制的值：所有路径的检验量都不是有限数",
                "Nothing to draw: the tested quantity is not a finite number on any path",
            ));
        }
        let well_formed = h.edges.len() == h.counts.len() + 1
            && h.edges.iter().all(|e| e.is_finite())
            && h.edges.windows(2).all(|w| w[0] <= w[1]);
        if !well_formed {
            return Err(&(
                "直方图数据不完整，无法绘制",
                "The histogram in the summary is malformed and cannot be drawn",
            ));
        }
        let (first, last) = (h.edges[0], h.edges[h.edges.len() - 1]);
        if last > first {
            return Ok(Bins { edges: h.edges.clone(), counts: h.counts.clone(), low: first, high: last, point: false });
        }
        let (low, high) = padded(first, first, 0.0);
        let half = (high - low) / 80.0;
        Ok(Bins { edges: vec![first - half, first + half], counts: vec![total], low, high, point: true })
    }
}

struct Bins {
    edges: Vec<f64>,
    counts: Vec<u64>,
    low: f64,
    high: f64,
    /// Every path gave the same value: one bar, not split at the threshold.
    point: bool,
}

impl Chart for HistogramChart<'_> {
    fn size(&self) -> (u32, u32) {
        (WIDTH, HEIGHT)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let target = self.target;
        let paths = self.summary.run.paths;
        let root = canvas.root;
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
        let bins = self.bins();
        let on_bound = bins.as_ref().is_ok_and(|b| !b.point && self.above_is_bound(b.high));
        let bound_paths = if on_bound { target.histogram.above } else { 0 };
        if bound_paths > 0 && paths > 0 {
            let bound = target.bounds.map_or(f64::NAN, |b| b[1]);
            subtitle += &format!(
                " · {} {} {}",
                fmt_pct(bound_paths as f64 / paths as f64),
                t.tr("的路径恰为上限", "exactly at the bound"),
                fmt_value(bound)
            );
        }
        let outside = target.histogram.below + target.histogram.above - bound_paths;
        if outside > 0 && paths > 0 {
            subtitle += &format!(
                " · {} {}",
                fmt_pct(outside as f64 / paths as f64),
                t.tr("的路径在主范围外（两端浅色柱）", "of paths beyond the main range (pale end bars)")
            );
        }
        if target.invalid > 0 {
            subtitle += &format!(
                " · {} {}",
                fmt_count(target.invalid),
                t.tr("条路径无有效值（记为未实现）", "paths without a finite value (counted as misses)")
            );
        }
        let header = canvas.header(&title, &subtitle)?;

        let cmp = t.comparator(&target.comparator);
        let threshold_value = match (target.comparator.as_str(), target.range) {
            ("between", Some([a, b])) => {
                t.value_with_unit(&format!("[{}, {}]", fmt_value(a), fmt_value(b)), &target.unit)
            }
            ("about", Some([a, b])) => t.value_with_unit(
                &format!("{} ± {}", fmt_value(target.threshold), fmt_value((b - a) / 2.0)),
                &target.unit,
            ),
            _ => t.value_with_unit(&fmt_value(target.threshold), &target.unit),
        };
        let cmp = match target.comparator.as_str() {
            "between" => "∈".to_string(),
            "about" => "≈".to_string(),
            "==" => "=".to_string(),
            _ => cmp,
        };
        let threshold_label = format!("{} {cmp} {threshold_value}", t.tr("目标", "target"));
        let threshold_label = threshold_label.as_str();
        let legend = vec![
            LegendItem::new(Swatch::Box(HIT.mix(0.85)), t.tr("实现目标的路径", "paths hitting the target")),
            LegendItem::new(Swatch::Box(MISS.mix(0.85)), t.tr("未实现目标的路径", "paths missing it")),
            LegendItem::new(Swatch::Dashed(TARGET.to_rgba(), 3), threshold_label),
        ];
        let legend_height = t.legend_height(&legend, WIDTH as i32 - 2 * MARGIN);
        let legend_top = HEIGHT as i32 - MARGIN - legend_height;
        canvas.legend(&legend, (MARGIN, legend_top), WIDTH as i32 - 2 * MARGIN)?;
        let bottom = legend_top - 12;

        let bins = match bins {
            Ok(bins) => bins,
            Err((zh, en)) => {
                canvas.message(t.tr(zh, en), (MARGIN, WIDTH as i32 - MARGIN), (header, bottom))?;
                return Ok(());
            }
        };
        let (low, high) = (bins.low, bins.high);
        let h = &bins;
        let share = |count: u64| count as f64 / paths as f64 * 100.0;
        let shares: Vec<f64> = h.counts.iter().map(|&c| share(c)).collect();
        // Paths beyond the histogram's range, drawn as pale bars just outside it.
        let width = (h.edges[h.edges.len() - 1] - h.edges[0]) / h.counts.len() as f64;
        let (below, above) = (share(target.histogram.below), share(target.histogram.above));
        let plot_low = if below > 0.0 { low - 2.0 * width } else { low };
        let plot_high = if above > 0.0 { high + 2.0 * width } else { high };
        let top = shares.iter().copied().chain([below, above]).fold(0.0, f64::max).max(1e-9) * 1.12;
        let (mut x_ticks, mut x_step) = nice_ticks(low, high, 10);
        if target.integer {
            // Whole-number quantities: ticks on whole numbers only.
            x_step = x_step.max(1.0).round();
            x_ticks = if high - low <= 20.0 {
                (low.ceil() as i64..=high.floor() as i64).map(|k| k as f64).collect()
            } else {
                nice_ticks(low, high, 10).0.into_iter().filter(|v| v.fract() == 0.0).collect()
            };
            if x_ticks.is_empty() {
                x_ticks = vec![((low + high) / 2.0).round()];
            }
        }
        let numbers = NumberFormat::new(x_step, x_ticks.iter().copied().chain([low, high]));
        let (y_ticks, y_step) = nice_ticks(0.0, top, 6);
        let y_labels = tick_labels(&y_ticks, y_step, "%");
        let y_label_width = y_labels.iter().map(|(_, l)| t.width(l, TICK_SIZE)).max().unwrap_or(40);
        let area = root.margin(header, HEIGHT as i32 - bottom, MARGIN, MARGIN + 20);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(80)
            .y_label_area_size(y_label_width + 70)
            .build_cartesian_2d(Ticked::new(plot_low..plot_high, x_ticks.clone()), Ticked::new(0.0..top, y_ticks))?;

        let threshold = self.boundary();
        let inside = threshold.is_finite() && threshold >= low && threshold <= high;
        // Shade the hit side of the plot.
        let hit_span = match (inside, self.hit_above()) {
            _ if self.hit_range().is_some() => {
                let (a, b) = self.hit_range().unwrap_or((threshold, threshold));
                (a < plot_high && b > plot_low).then(|| (a.max(plot_low), b.min(plot_high)))
            }
            (true, true) => Some((threshold, plot_high)),
            (true, false) => Some((plot_low, threshold)),
            (false, above) if threshold.is_finite() => {
                // Threshold off the histogram: the whole range is on one side of it.
                let all_hit = if above { threshold < low } else { threshold > high };
                all_hit.then_some((plot_low, plot_high))
            }
            _ => None,
        };
        if let Some((a, b)) = hit_span {
            chart.draw_series(std::iter::once(Rectangle::new([(a, 0.0), (b, top)], HIT.mix(0.08).filled())))?;
        }
        chart
            .configure_mesh()
            .disable_x_mesh()
            .label_style(t.hidden_labels())
            .bold_line_style(GRID.stroke_width(1))
            .light_line_style(TRANSPARENT)
            .axis_style(MUTED.stroke_width(1))
            .draw()?;
        let metric_label = t
            .label(&target.metric_label_zh, &target.metric_label_en)
            .unwrap_or_else(|| t.id_label(&target.id, &target.label_zh, &target.label_en));
        let metric = t.with_unit(&metric_label, &target.unit);
        let axes = Axes {
            x_ticks: numbers.ticks(&x_ticks, ""),
            y_ticks: y_labels,
            x_desc: &metric,
            y_desc: t.tr("路径占比", "Share of paths"),
        };
        canvas.axes(&chart, &axes)?;

        // Bars, split where the threshold crosses a bin.
        let range = self.hit_range();
        let hits = |x: f64| match range {
            Some((a, b)) => a <= x && x <= b,
            None if self.hit_above() => x >= threshold,
            None => x <= threshold,
        };
        // Bars are split at the boundary only for continuous quantities; a whole-number
        // quantity's boundary is a bin edge already.
        let mut bars = Vec::new();
        for (k, &share) in shares.iter().enumerate() {
            if share <= 0.0 {
                continue;
            }
            let (a, b) = (h.edges[k], h.edges[k + 1]);
            let split = inside && !h.point && threshold > a && threshold < b;
            let pieces = if split { vec![(a, threshold), (threshold, b)] } else { vec![(a, b)] };
            for (x0, x1) in pieces {
                let value = if h.point { h.edges[0] / 2.0 + h.edges[1] / 2.0 } else { (x0 + x1) / 2.0 };
                let color = if threshold.is_finite() && hits(value) { HIT } else { MISS };
                bars.push(Rectangle::new([(x0, 0.0), (x1, share)], color.mix(0.85).filled()));
                // A white outline separates neighbouring bins.
                bars.push(Rectangle::new([(x0, 0.0), (x1, share)], WHITE.stroke_width(1)));
            }
        }
        chart.draw_series(bars)?;
        // Pale bars for the paths below and above the range, coloured by the side of the
        // threshold they are on when that is known.
        let (below_label, above_label) = self.end_labels(low, high, &numbers);
        let line_px = inside.then(|| chart.backend_coord(&(threshold, 0.0)).0);
        for (count, x0, x1, label) in [
            (below, low - 1.7 * width, low - 0.3 * width, below_label),
            (above, high + 0.3 * width, high + 1.7 * width, above_label),
        ] {
            if count <= 0.0 {
                continue;
            }
            let side_known = threshold.is_finite() && (if x0 < low { threshold >= low } else { threshold <= high });
            let color = if !side_known {
                DATA
            } else if hits((x0 + x1) / 2.0) {
                HIT
            } else {
                MISS
            };
            chart.draw_series(std::iter::once(Rectangle::new([(x0, 0.0), (x1, count)], color.mix(0.4).filled())))?;
            let (px, py) = chart.backend_coord(&((x0 + x1) / 2.0, count));
            // Centred over its bar unless that crosses the threshold line: then beside the line,
            // on the bar's side.
            let half = t.width(&t.clean(&label), NOTE_SIZE) / 2 + 4;
            let (x, anchor) = match line_px {
                Some(line) if (px - half..=px + half).contains(&line) && px >= line => (line + 8, HPos::Left),
                Some(line) if (px - half..=px + half).contains(&line) => (line - 8, HPos::Right),
                _ => (px, HPos::Center),
            };
            canvas.text(&label, NOTE_SIZE, MUTED, (x, py - 4), (anchor, VPos::Bottom))?;
        }
        // Thin white separators between bins.
        chart.draw_series(
            h.edges
                .iter()
                .zip(shares.iter().zip(shares.iter().skip(1)))
                .skip(1)
                .map(|(&e, (&l, &r))| PathElement::new(vec![(e, 0.0), (e, l.min(r))], WHITE.stroke_width(1))),
        )?;

        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        // The upper end of a two-sided test's interval.
        if let Some((_, upper)) = range
            && upper >= low
            && upper <= high
        {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(upper, 0.0), (upper, top)],
                10,
                6,
                TARGET.stroke_width(3),
            )))?;
        }
        if inside {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(threshold, 0.0), (threshold, top)],
                10,
                6,
                TARGET.stroke_width(3),
            )))?;
            let (px, _) = chart.backend_coord(&(threshold, top));
            let width = t.width(&t.clean(threshold_label), NOTE_SIZE);
            // Label on the side of the line with room for it.
            let (x, anchor) =
                if px + 10 + width < x_pixels.end { (px + 10, HPos::Left) } else { (px - 10, HPos::Right) };
            canvas.text(threshold_label, NOTE_SIZE, TARGET, (x, y_pixels.start + 8), (anchor, VPos::Top))?;
        } else if threshold.is_finite() {
            let (text, x, anchor) = if threshold > high {
                (format!("{threshold_label} →"), x_pixels.end - 10, HPos::Right)
            } else {
                (format!("← {threshold_label}"), x_pixels.start + 10, HPos::Left)
            };
            canvas.text(&text, NOTE_SIZE, TARGET, (x, y_pixels.start + 8), (anchor, VPos::Top))?;
        }
        Ok(())
    }
}
