//! Where charts put text: a drawing area plus the [`Theme`], with the header, legend, axis labels
//! and messages every chart draws the same way.
//!
//! All text of a chart goes through [`Canvas::text`]. For PNG it places every glyph itself, at its
//! pen position plus its left side bearing: plotters 0.3.7's ab_glyph renderer ignores the left
//! side bearing, which leaves visible gaps after glyphs inked narrowly to the right of their box
//! (目, 占, i) and makes Chinese text look badly spaced. For SVG whole strings are written, so the
//! viewer's own font lays them out. For the same reason plotters' own tick labels are made
//! transparent and drawn here instead.

use plotters::coord::Shift;
use plotters::coord::ranged1d::Ranged;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::render::DrawResult;
use super::theme::*;
use plotters::element::DashedPathElement;
use plotters::style::FontTransform;

pub struct Canvas<'r, 't, DB: DrawingBackend> {
    pub root: &'r DrawingArea<DB, Shift>,
    pub theme: &'t Theme,
    /// Place glyphs one by one (bitmap output) rather than write whole strings (SVG).
    pub per_glyph: bool,
}

/// Axis labelling for [`Canvas::axes`]: tick positions with their labels, and the descriptions.
pub struct Axes<'a> {
    pub x_ticks: Vec<(f64, String)>,
    pub y_ticks: Vec<(f64, String)>,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
}

impl<DB: DrawingBackend> Canvas<'_, '_, DB>
where
    DB::ErrorType: 'static,
{
    /// Draw `text` (already cleaned) in `style` at `pos`, anchored as the style says.
    pub fn text_styled(&self, text: &str, style: &TextStyle, pos: (i32, i32)) -> DrawResult {
        if !self.per_glyph {
            self.root.draw_text(text, style, pos)?;
            return Ok(());
        }
        let size = style.font.get_size();
        let direction = match style.font.get_transform() {
            FontTransform::None => (1, 0),
            FontTransform::Rotate90 => (0, 1),
            FontTransform::Rotate180 => (-1, 0),
            FontTransform::Rotate270 => (0, -1),
        };
        // plotters puts the bitmap baseline 0.2 em-size higher than SVG viewers do (and than the
        // anchor means): text anchored at its top would stick out above the anchor.
        let drop = (0.2 * size).round() as i32;
        let pos = (pos.0 - direction.1 * drop, pos.1 + direction.0 * drop);
        let metrics: Option<Vec<(f64, f64)>> = text.chars().map(|c| self.theme.font.h_metrics(c, size)).collect();
        let Some(metrics) = metrics else {
            self.root.draw_text(text, style, pos)?;
            return Ok(());
        };
        let width = self.theme.width(text, size) as f64;
        let mut pen = match style.pos.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -width / 2.0,
            HPos::Right => -width,
        };
        let glyph_style = style.pos(Pos::new(HPos::Left, style.pos.v_pos));
        let mut buffer = [0u8; 4];
        for (c, (advance, bearing)) in text.chars().zip(metrics) {
            if !c.is_whitespace() {
                let offset = (pen + bearing).round() as i32;
                let at = (pos.0 + direction.0 * offset, pos.1 + direction.1 * offset);
                self.root.draw_text(c.encode_utf8(&mut buffer), &glyph_style, at)?;
            }
            pen += advance;
        }
        Ok(())
    }

    /// Draw `text` (cleaned here) of `size` pixels in `color`, anchored at `pos`.
    pub fn text(&self, text: &str, size: f64, color: RGBColor, pos: (i32, i32), anchor: (HPos, VPos)) -> DrawResult {
        let style = self.theme.style(size, color).pos(Pos::new(anchor.0, anchor.1));
        self.text_styled(&self.theme.clean(text), &style, pos)
    }

    /// Draw the title and subtitle at the top; returns the height they take.
    pub fn header(&self, title: &str, subtitle: &str) -> anyhow::Result<i32> {
        if subtitle.is_empty() {
            return Ok(self.header_lines(title, &[])? - 2);
        }
        let width = self.root.dim_in_pixel().0 as i32 - 2 * MARGIN;
        self.header_lines(title, &[self.theme.fit(subtitle, SUBTITLE_SIZE, width)])
    }

    /// A title and a subtitle already split into lines (e.g. by [`super::theme::wrap_two_lines`]);
    /// returns the y below them, `MARGIN + TITLE_SIZE + 12 + lines·(SUBTITLE_SIZE + 6) + 10`
    /// (with no subtitle [`Canvas::header`] ends 2 pixels higher, as it always has).
    pub fn header_lines(&self, title: &str, subtitle: &[String]) -> anyhow::Result<i32> {
        let t = self.theme;
        let width = self.root.dim_in_pixel().0 as i32 - 2 * MARGIN;
        let top = (HPos::Left, VPos::Top);
        self.text(&t.fit(title, TITLE_SIZE, width), TITLE_SIZE, TEXT, (MARGIN, MARGIN), top)?;
        let mut y = MARGIN + TITLE_SIZE as i32 + 12;
        for line in subtitle {
            self.text(line, SUBTITLE_SIZE, MUTED, (MARGIN, y), top)?;
            y += SUBTITLE_SIZE as i32 + 6;
        }
        Ok(y + 10)
    }

    /// A message centred in the rectangle `x0..x1`, `y0..y1` (for charts with nothing to plot).
    pub fn message(&self, text: &str, (x0, x1): (i32, i32), (y0, y1): (i32, i32)) -> DrawResult {
        let fitted = self.theme.fit(text, AXIS_DESC_SIZE, x1 - x0 - 40);
        self.text(&fitted, AXIS_DESC_SIZE, MUTED, ((x0 + x1) / 2, (y0 + y1) / 2), (HPos::Center, VPos::Center))
    }

    /// Draw a legend with its top-left corner at `origin`, wrapping rows at `max_width` pixels.
    pub fn legend(&self, items: &[LegendItem], origin: (i32, i32), max_width: i32) -> DrawResult {
        let root = self.root;
        for (item, (x, y)) in items.iter().zip(self.theme.legend_layout(items, max_width)) {
            let (x, y) = (origin.0 + x, origin.1 + y);
            let mid = y + LEGEND_ROW / 2 - 4;
            match item.swatch {
                Swatch::Box(color) => {
                    root.draw(&Rectangle::new([(x, mid - 9), (x + SWATCH_WIDTH, mid + 9)], color.filled()))?;
                }
                Swatch::Line(color, width) => {
                    root.draw(&PathElement::new(vec![(x, mid), (x + SWATCH_WIDTH, mid)], color.stroke_width(width)))?;
                }
                Swatch::Dashed(color, width) => {
                    root.draw(&DashedPathElement::new(
                        vec![(x, mid), (x + SWATCH_WIDTH, mid)],
                        8,
                        5,
                        color.stroke_width(width),
                    ))?;
                }
                Swatch::Whisker(color) => {
                    let style = color.stroke_width(2);
                    root.draw(&PathElement::new(vec![(x + 4, mid), (x + SWATCH_WIDTH - 4, mid)], style))?;
                    for cap in [x + 4, x + SWATCH_WIDTH - 4] {
                        root.draw(&PathElement::new(vec![(cap, mid - 7), (cap, mid + 7)], style))?;
                    }
                }
                Swatch::Point(color) => {
                    root.draw(&Circle::new((x + SWATCH_WIDTH / 2, mid), 7, color.filled()))?;
                }
                Swatch::Diamond(color) => {
                    root.draw(&diamond((x + SWATCH_WIDTH / 2, mid), 9, color))?;
                }
            }
            let label = self.theme.fit(&item.label, LABEL_SIZE, max_width - SWATCH_WIDTH - 10);
            self.text(&label, LABEL_SIZE, TEXT, (x + SWATCH_WIDTH + 10, mid), (HPos::Left, VPos::Center))?;
        }
        Ok(())
    }

    /// Draw the tick labels and axis descriptions of a chart whose plotters mesh was drawn with
    /// invisible labels (see [`Theme::hidden_labels`]). The y description goes left of the widest
    /// y tick label.
    pub fn axes<X, Y>(&self, chart: &ChartContext<'_, DB, Cartesian2d<X, Y>>, axes: &Axes) -> DrawResult
    where
        X: Ranged<ValueType = f64>,
        Y: Ranged<ValueType = f64>,
    {
        let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
        let x_any = chart.x_range().start;
        let y_any = chart.y_range().start;
        for (v, label) in &axes.x_ticks {
            let (px, _) = chart.backend_coord(&(*v, y_any));
            self.text(label, TICK_SIZE, TEXT, (px, y_pixels.end + 10), (HPos::Center, VPos::Top))?;
        }
        let mut widest = 0;
        for (v, label) in &axes.y_ticks {
            let (_, py) = chart.backend_coord(&(x_any, *v));
            widest = widest.max(self.theme.width(label, TICK_SIZE));
            self.text(label, TICK_SIZE, TEXT, (x_pixels.start - 10, py), (HPos::Right, VPos::Center))?;
        }
        let t = self.theme;
        if !axes.x_desc.is_empty() {
            let desc = t.fit(axes.x_desc, AXIS_DESC_SIZE, x_pixels.end - x_pixels.start);
            let at = ((x_pixels.start + x_pixels.end) / 2, y_pixels.end + 10 + TICK_SIZE as i32 + 16);
            self.text(&desc, AXIS_DESC_SIZE, TEXT, at, (HPos::Center, VPos::Top))?;
        }
        if !axes.y_desc.is_empty() {
            let desc = t.fit(axes.y_desc, AXIS_DESC_SIZE, y_pixels.end - y_pixels.start);
            let style = t
                .style(AXIS_DESC_SIZE, TEXT)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top));
            let at = (x_pixels.start - 10 - widest - 16 - AXIS_DESC_SIZE as i32, (y_pixels.start + y_pixels.end) / 2);
            self.text_styled(&desc, &style, at)?;
        }
        Ok(())
    }
}
