//! Charts of a Sobol' analysis, two per target: one for the target's tested quantity (the
//! metric) and one for its hit indicator (1 when the target is hit, else 0, whose variance is
//! P(1 − P)). Each shows, for the groups of random inputs with the largest total effect, the
//! first-order index S_i and the total-effect index ST_i as paired horizontal bars with their 95%
//! bootstrap intervals; the gap between the two bars is the share of variance the group
//! contributes through interactions. Groups are named in words; an interval reaching beyond the
//! axis is cut at the frame and drawn without a cap there.

use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, VPos};

use super::analysis_style::human;
use super::canvas::{Axes, Canvas};
use super::render::{Chart, DrawResult};
use super::theme::*;
use crate::analysis::sobol::{GroupIndices, QuantityIndices, SobolResult, TargetSobol};

/// Which quantity of a target the chart decomposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantity {
    /// The tested quantity (e.g. the growth rate compared with the threshold).
    Metric,
    /// The hit indicator: 1 when the target is hit, else 0.
    Hit,
}

/// Groups shown per chart.
pub const TOP: usize = 12;
const ROW: i32 = 56;
const X_AXIS: i32 = 84;
const VALUE_COLUMN: i32 = 190;
const FIRST: RGBColor = PALETTE[0];
const TOTAL: RGBColor = PALETTE[1];

pub struct SobolChart<'a> {
    theme: &'a Theme,
    result: &'a SobolResult,
    target: &'a TargetSobol,
    quantity: Quantity,
    rows: Vec<&'a GroupIndices>,
    labels: Vec<String>,
    label_width: i32,
    legend: Vec<LegendItem>,
    top: i32,
}

impl<'a> SobolChart<'a> {
    pub fn new(theme: &'a Theme, result: &'a SobolResult, target: &'a TargetSobol, quantity: Quantity) -> Self {
        let rows = Self::indices_of(target, quantity).top(TOP);
        let raw: Vec<String> = rows
            .iter()
            .map(|g| match result.groups.iter().find(|info| info.id == g.group) {
                Some(info) => human(theme, &info.id, &info.label_zh, &info.label_en),
                None => theme.clean(&g.group),
            })
            .collect();
        let max_label = (WIDTH as f64 * 0.42) as i32;
        let widest = raw.iter().map(|l| theme.width(l, LABEL_SIZE)).max().unwrap_or(0);
        let label_width = (widest + 24).clamp(160, max_label);
        let labels = raw.iter().map(|l| theme.fit(l, LABEL_SIZE, label_width - 24)).collect();
        let legend = vec![
            LegendItem::new(Swatch::Box(FIRST.to_rgba()), theme.tr("一阶指数 S（单独作用）", "first order S (alone)")),
            LegendItem::new(
                Swatch::Box(TOTAL.to_rgba()),
                theme.tr("总效应指数 ST（含交互作用）", "total effect ST (with interactions)"),
            ),
            LegendItem::new(
                Swatch::Whisker(TEXT.to_rgba()),
                match result.run.blocks {
                    // `--sampling sobol`: from the spread of the sequence's blocks (conservative).
                    Some(_) => theme.tr("95% 区间（分块估计，保守）", "95% interval (from blocks, conservative)"),
                    None => theme.tr("95% 自助法区间", "95% bootstrap interval"),
                },
            ),
        ];
        let header = MARGIN + TITLE_SIZE as i32 + 12 + SUBTITLE_SIZE as i32 + 16;
        let top = header + theme.legend_height(&legend, WIDTH as i32 - 2 * MARGIN) + 16;
        SobolChart { theme, result, target, quantity, rows, labels, label_width, legend, top }
    }

    fn indices_of(target: &TargetSobol, quantity: Quantity) -> &QuantityIndices {
        match quantity {
            Quantity::Metric => &target.metric,
            Quantity::Hit => &target.hit,
        }
    }

    fn indices(&self) -> &QuantityIndices {
        Self::indices_of(self.target, self.quantity)
    }

    /// The x range: 0 to the largest upper bound (at least 0.1), below 0 if an interval is.
    fn x_range(&self) -> (f64, f64) {
        let estimates = self.rows.iter().flat_map(|g| [g.first, g.total]).flatten();
        let (mut low, mut high) = (0.0f64, 0.1f64);
        for e in estimates {
            for v in [e.value, e.low, e.high] {
                if v.is_finite() {
                    low = low.min(v);
                    high = high.max(v);
                }
            }
        }
        // A margin so that whiskers end visibly inside the frame.
        let pad = 0.04 * (high - low);
        ((low - if low < 0.0 { pad } else { 0.0 }).max(-0.5), (high + pad).min(1.5))
    }
}

impl Chart for SobolChart<'_> {
    fn size(&self) -> (u32, u32) {
        let rows = self.rows.len().max(1) as i32;
        (WIDTH, (self.top + rows * ROW + X_AXIS + MARGIN) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, canvas: &Canvas<DB>) -> DrawResult
    where
        DB::ErrorType: 'static,
    {
        let t = self.theme;
        let target = self.target;
        let root = canvas.root;
        root.fill(&WHITE)?;
        let sum = self.indices().sum_first.map_or("n/a".into(), |s| format!("{s:.2}"));
        let what = match (self.quantity, t.zh()) {
            (Quantity::Metric, true) => format!("考察量 {} 的 Sobol 指数", t.clean(&target.metric_description)),
            (Quantity::Metric, false) => format!("Sobol' indices of {}", target.metric_description),
            (Quantity::Hit, true) => "是否实现目标（1 = 实现，0 = 未实现）的 Sobol 指数".to_string(),
            (Quantity::Hit, false) => "Sobol' indices of hit (1) or miss (0)".to_string(),
        };
        let subtitle = if t.zh() {
            format!(
                "{} · N = {} · 实现概率 {} · ΣS = {}",
                what,
                fmt_count(self.result.run.samples),
                fmt_pct(target.probability),
                sum
            )
        } else {
            format!(
                "{} · N = {} · P(hit) = {} · ΣS = {}",
                what,
                fmt_count(self.result.run.samples),
                fmt_pct(target.probability),
                sum
            )
        };
        let prefix = match self.quantity {
            Quantity::Metric => t.tr("方差来源：", "Where the variance comes from: "),
            Quantity::Hit => t.tr("实现与否取决于什么：", "What decides hit or miss: "),
        };
        let title = format!("{prefix}{}", t.id_label(&target.id, &target.label_zh, &target.label_en));
        let header = canvas.header(&title, &subtitle)?;
        canvas.legend(&self.legend, (MARGIN, header), WIDTH as i32 - 2 * MARGIN)?;

        let n = self.rows.len();
        let (low, high) = self.x_range();
        let (ticks, step) = nice_ticks(low, high, 8);
        let (x0, x1) =
            (low.min(ticks.first().copied().unwrap_or(low)), high.max(ticks.last().copied().unwrap_or(high)));
        let area = root.margin(self.top, MARGIN, MARGIN, MARGIN + VALUE_COLUMN);
        let mut chart = ChartBuilder::on(&area)
            .x_label_area_size(X_AXIS)
            .y_label_area_size(self.label_width)
            .build_cartesian_2d(Ticked::new(x0..x1, ticks.clone()), -0.5f64..(n.max(1) as f64 - 0.5))?;
        draw_row_frame(&mut chart, t, n, Some((x0, x1)))?;
        let axes = Axes {
            x_ticks: tick_labels(&ticks, step, ""),
            y_ticks: vec![],
            x_desc: match self.quantity {
                Quantity::Metric => t.tr("考察量方差的份额", "Share of the variance of the tested quantity"),
                Quantity::Hit => t.tr("是否实现目标（0/1）方差的份额", "Share of the variance of hit (1) or miss (0)"),
            },
            y_desc: "",
        };
        canvas.axes(&chart, &axes)?;
        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        if n == 0 || self.rows.iter().all(|g| g.first.is_none() && g.total.is_none()) {
            let message = match &self.indices().note {
                Some(note) if !t.zh() => note.clone(),
                _ if n > 0 => t
                    .tr(
                        "指数无法估计（实现或未实现的路径太少，或考察量恒定）",
                        "The indices cannot be estimated (too few hits or misses, or a constant quantity)",
                    )
                    .to_string(),
                _ => t.tr("没有随机输入影响此目标", "No random input reaches this target").to_string(),
            };
            let message = message.as_str();
            canvas.message(message, (x_pixels.start, x_pixels.end), (y_pixels.start, y_pixels.end))?;
            return Ok(());
        }
        if x0 < 0.0 {
            chart.draw_series(std::iter::once(DashedPathElement::new(
                vec![(0.0, -0.5), (0.0, n as f64 - 0.5)],
                6,
                4,
                MUTED.stroke_width(1),
            )))?;
        }
        let right = (HPos::Right, VPos::Center);
        let left = (HPos::Left, VPos::Center);
        for (i, (group, label)) in self.rows.iter().zip(&self.labels).enumerate() {
            let y = (n - 1 - i) as f64;
            let (_, py) = chart.backend_coord(&(0.0, y));
            canvas.text(label, LABEL_SIZE, TEXT, (x_pixels.start - 12, py), right)?;
            for (estimate, offset, color) in [(group.first, 0.17, FIRST), (group.total, -0.17, TOTAL)] {
                let Some(e) = estimate else { continue };
                let yc = y + offset;
                let v = e.value.clamp(x0, x1);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(0.0f64.clamp(x0, x1), yc - 0.14), (v, yc + 0.14)],
                    color.filled(),
                )))?;
                // Cut at the frame; a cut end has no cap (the interval goes on beyond it).
                let (lo, hi) = (e.low.clamp(x0, x1), e.high.clamp(x0, x1));
                let whisker = TEXT.stroke_width(2);
                chart.draw_series(std::iter::once(PathElement::new(vec![(lo, yc), (hi, yc)], whisker)))?;
                for (end, raw) in [(lo, e.low), (hi, e.high)] {
                    if end == raw {
                        chart.draw_series(std::iter::once(PathElement::new(
                            vec![(end, yc - 0.09), (end, yc + 0.09)],
                            whisker,
                        )))?;
                    }
                }
            }
            let value =
                |e: Option<crate::analysis::sobol::Estimate>| e.map_or("n/a".into(), |e| format!("{:.2}", e.value));
            let text = format!("S {} · ST {}", value(group.first), value(group.total));
            canvas.text(&text, LABEL_SIZE, TEXT, (x_pixels.end + 14, py), left)?;
        }
        Ok(())
    }
}
