//! What every chart shares: the font and label language, text sizes and colours, number
//! formatting and tick placement.
//!
//! Text goes through [`Theme::clean`] before it is drawn, so a character the font lacks becomes
//! an ASCII stand-in (or `?`) rather than a box, and labels are chosen in the chart language with
//! a fallback to the other language when one is missing or cannot be drawn.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Language;
use super::font::{LoadedFont, ascii_fallback};

/// Chart width in pixels.
pub const WIDTH: u32 = 1600;
/// Outer margin in pixels.
pub const MARGIN: i32 = 32;
pub const TITLE_SIZE: f64 = 38.0;
pub const SUBTITLE_SIZE: f64 = 24.0;
pub const AXIS_DESC_SIZE: f64 = 25.0;
pub const TICK_SIZE: f64 = 22.0;
pub const LABEL_SIZE: f64 = 22.0;
pub const NOTE_SIZE: f64 = 20.0;

pub const TEXT: RGBColor = RGBColor(33, 33, 33);
pub const MUTED: RGBColor = RGBColor(97, 97, 97);
pub const GRID: RGBColor = RGBColor(224, 224, 224);
pub const GRID_LIGHT: RGBColor = RGBColor(246, 246, 246);
/// Main data colour (bands, bars).
pub const DATA: RGBColor = RGBColor(31, 119, 180);
/// Targets and thresholds.
pub const TARGET: RGBColor = RGBColor(200, 30, 45);
/// The side of a threshold that hits the target.
pub const HIT: RGBColor = RGBColor(44, 160, 44);
/// The side that misses it.
pub const MISS: RGBColor = RGBColor(150, 150, 150);

/// Region colours (Tableau 10, then the lighter Tableau 20 shades), repeated beyond 20 regions.
pub const PALETTE: [RGBColor; 20] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
    RGBColor(160, 203, 232),
    RGBColor(255, 190, 125),
    RGBColor(255, 157, 154),
    RGBColor(134, 188, 182),
    RGBColor(140, 209, 125),
    RGBColor(241, 206, 99),
    RGBColor(212, 166, 200),
    RGBColor(250, 191, 210),
    RGBColor(215, 181, 166),
    RGBColor(121, 112, 110),
];

/// The chosen font and label language.
pub struct Theme {
    pub font: &'static LoadedFont,
    /// Chinese or English, never Auto.
    pub language: Language,
    /// Where the chart files go as one set, flushed and put in place together when the set is
    /// drawn (`report::Batch`); `None` puts each file in place as soon as it is written.
    pub files: Option<crate::report::Batch>,
}

impl Theme {
    pub fn zh(&self) -> bool {
        self.language == Language::Chinese
    }

    /// The Chinese or English UI string.
    pub fn tr<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.zh() { zh } else { en }
    }

    /// A text style of `size` pixels in `color`, anchored at its top-left corner.
    pub fn style(&self, size: f64, color: RGBColor) -> TextStyle<'static> {
        TextStyle {
            font: FontDesc::new(FontFamily::Name(self.font.family), size, FontStyle::Normal),
            color: color.to_backend_color(),
            pos: Pos::new(HPos::Left, VPos::Top),
        }
    }

    /// Width of `text` in pixels at `size`.
    pub fn width(&self, text: &str, size: f64) -> i32 {
        self.style(size, TEXT).font.box_size(text).map(|(w, _)| w as i32).unwrap_or(0)
    }

    /// Whether `text` can be drawn (characters the font lacks but [`ascii_fallback`] covers count
    /// as drawable).
    pub fn drawable(&self, text: &str) -> bool {
        text.chars().all(|c| self.font.has_char(c) || ascii_fallback(c).is_some())
    }

    /// `text` with every character the font lacks replaced by an ASCII stand-in or `?`.
    pub fn clean(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            if c.is_control() {
                out.push(' ');
            } else if self.font.has_char(c) {
                out.push(c);
            } else {
                out.push_str(ascii_fallback(c).unwrap_or("?"));
            }
        }
        out
    }

    /// `text` cleaned and shortened with an ellipsis to at most `max_width` pixels at `size`.
    pub fn fit(&self, text: &str, size: f64, max_width: i32) -> String {
        let text = self.clean(text);
        if self.width(&text, size) <= max_width {
            return text;
        }
        let ellipsis = if self.font.has_char('…') { "…" } else { "..." };
        let chars: Vec<char> = text.chars().collect();
        // Binary search on the number of characters kept.
        let (mut low, mut high) = (0, chars.len());
        while low < high {
            let mid = (low + high).div_ceil(2);
            let candidate: String = chars[..mid].iter().collect::<String>() + ellipsis;
            if self.width(&candidate, size) <= max_width {
                low = mid;
            } else {
                high = mid - 1;
            }
        }
        chars[..low].iter().collect::<String>().trim_end().to_string() + ellipsis
    }

    /// The label in the chart language, else the other one, else `None`.
    pub fn label(&self, zh: &str, en: &str) -> Option<String> {
        let (first, second) = if self.zh() { (zh, en) } else { (en, zh) };
        [first, second].into_iter().map(str::trim).find(|s| !s.is_empty() && self.drawable(s)).map(|s| self.clean(s))
    }

    /// `"<id> <label>"`, or the id alone when there is no drawable label.
    pub fn id_label(&self, id: &str, zh: &str, en: &str) -> String {
        match self.label(zh, en) {
            Some(label) => format!("{} {label}", self.clean(id)),
            None => self.clean(id),
        }
    }

    /// A region name, or `Region k` when the font cannot draw it.
    pub fn region(&self, name: &str, index: usize) -> String {
        if !name.trim().is_empty() && self.drawable(name) {
            self.clean(name)
        } else {
            format!("{} {}", self.tr("地区", "Region"), index + 1)
        }
    }

    /// A unit in the chart language: for English charts, through [`crate::units`] (亿元 →
    /// "100 million yuan"); units it does not know get their common Chinese parts translated.
    pub fn unit(&self, unit: &str) -> String {
        const ZH_EN: [(&str, &str); 18] = [
            ("平方公里", "km²"),
            ("万千瓦", "10,000 kW"),
            ("亿元", "100 million yuan"),
            ("万元", "10,000 yuan"),
            ("万人", "10,000 people"),
            ("万吨", "10,000 tonnes"),
            ("万亩", "10,000 mu"),
            ("千瓦", "kW"),
            ("公里", "km"),
            ("元", "yuan"),
            ("人", "people"),
            ("吨", "tonnes"),
            ("亩", "mu"),
            ("家", "firms"),
            ("个", "units"),
            ("项", "items"),
            ("年", "yr"),
            ("名", "rank"),
        ];
        let unit = unit.trim();
        let translated = if self.zh() {
            match unit {
                "index" => "指数".to_string(),
                "ratio" => "比值".to_string(),
                "rank" => "名次".to_string(),
                "pp" => "个百分点".to_string(),
                _ => unit.replace("%/yr", "%/年"),
            }
        } else {
            let parsed = crate::units::Unit::parse(unit);
            if parsed.is_known() {
                parsed.en
            } else {
                ZH_EN.iter().fold(unit.to_string(), |u, (zh, en)| u.replace(zh, en))
            }
        };
        self.clean(&translated)
    }

    /// `value` followed by its unit (`%` and `‰` attach without a space).
    pub fn value_with_unit(&self, value: &str, unit: &str) -> String {
        let unit = self.unit(unit);
        if unit.is_empty() {
            value.to_string()
        } else if unit.starts_with(['%', '‰']) {
            format!("{value}{unit}")
        } else if unit.starts_with(|c: char| c.is_ascii_digit()) {
            // "10,000 (100 million yuan)", not "10,000 100 million yuan".
            format!("{value} ({unit})")
        } else {
            format!("{value} {unit}")
        }
    }

    /// The scenario title in the chart language (`title_en` in English when given), or its name
    /// when the font cannot draw the title.
    pub fn scenario_title(&self, scenario: &crate::summary::ScenarioInfo) -> String {
        let title = scenario.title_in(!self.zh());
        if !title.trim().is_empty() && self.drawable(title) { self.clean(title) } else { self.clean(&scenario.name) }
    }

    /// `"<text> (<unit>)"`, or the text alone without a unit.
    pub fn with_unit(&self, text: &str, unit: &str) -> String {
        let unit = self.unit(unit);
        let text = self.clean(text);
        if unit.is_empty() {
            text
        } else if let Some(inner) = text.strip_suffix('）') {
            // "地区生产总值（现价）" → "地区生产总值（现价，亿元）"
            format!("{inner}，{unit}）")
        } else if let Some(inner) = text.strip_suffix(')') {
            format!("{inner}, {unit})")
        } else {
            format!("{text} ({unit})")
        }
    }

    /// A comparator as a symbol the font can draw.
    pub fn comparator(&self, comparator: &str) -> String {
        let symbol = match comparator {
            ">=" => "≥",
            "<=" => "≤",
            other => other,
        };
        self.clean(symbol)
    }

    /// A tick-label style plotters draws invisibly: [`super::canvas::Canvas::axes`] draws the labels.
    pub fn hidden_labels(&self) -> TextStyle<'static> {
        let mut style = self.style(TICK_SIZE, TEXT);
        style.color = TRANSPARENT.to_backend_color();
        style
    }

    /// Height a legend of `items` takes when laid out in rows `max_width` pixels wide.
    pub fn legend_height(&self, items: &[LegendItem], max_width: i32) -> i32 {
        self.legend_layout(items, max_width).last().map_or(0, |&(_, y)| y + LEGEND_ROW)
    }

    pub fn legend_layout(&self, items: &[LegendItem], max_width: i32) -> Vec<(i32, i32)> {
        let (mut x, mut y) = (0, 0);
        items
            .iter()
            .map(|item| {
                let w = SWATCH_WIDTH + 10 + self.width(&self.clean(&item.label), LABEL_SIZE).min(max_width);
                if x > 0 && x + w > max_width {
                    x = 0;
                    y += LEGEND_ROW;
                }
                let at = (x, y);
                x += w + 36;
                at
            })
            .collect()
    }
}

pub const SWATCH_WIDTH: i32 = 36;
pub const LEGEND_ROW: i32 = 34;

/// How an entry of a legend is drawn.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    Box(RGBAColor),
    Line(RGBAColor, u32),
    Dashed(RGBAColor, u32),
    Whisker(RGBAColor),
    Point(RGBAColor),
    Diamond(RGBAColor),
}

#[derive(Debug, Clone)]
pub struct LegendItem {
    pub swatch: Swatch,
    pub label: String,
}

impl LegendItem {
    pub fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        LegendItem { swatch, label: label.into() }
    }
}

/// A filled diamond of half-diagonal `r` pixels centred on a pixel position.
pub fn diamond(center: (i32, i32), r: i32, color: RGBAColor) -> Polygon<(i32, i32)> {
    let (x, y) = center;
    Polygon::new(vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)], color.filled())
}

/// The frame of a horizontal-bar chart with `n` rows (row 0 at the top, at y = n − 1): shading
/// on every other row when `stripes` gives the x extent to shade, the vertical grid at the x
/// ticks, and plotters' own labels hidden (all text is placed by the canvas).
pub fn draw_row_frame<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<Ticked, plotters::coord::types::RangedCoordf64>>,
    theme: &Theme,
    n: usize,
    stripes: Option<(f64, f64)>,
) -> super::render::DrawResult
where
    DB::ErrorType: 'static,
{
    if let Some((x0, x1)) = stripes {
        chart.draw_series((0..n).filter(|i| i % 2 == 0).map(|i| {
            let y = (n - 1 - i) as f64;
            Rectangle::new([(x0, y - 0.5), (x1, y + 0.5)], GRID_LIGHT.filled())
        }))?;
    }
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .label_style(theme.hidden_labels())
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(MUTED.stroke_width(1))
        .draw()?;
    Ok(())
}

/// A linear f64 axis with ticks at given values only (plotters' `with_key_points` loses the
/// label formatting `configure_mesh` needs for f64 axes).
pub struct Ticked {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    pub fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Self {
        let ticks = ticks.into_iter().filter(|t| range.start <= *t && *t <= range.end).collect();
        Ticked { range, ticks }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span.is_nan() || span <= 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let fraction = (value - self.range.start) / span;
        let pixel = limit.0 as f64 + fraction * (limit.1 - limit.0) as f64;
        pixel.clamp(-1e6, 1e6).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() || hint.max_num_points() == 0 { vec![] } else { self.ticks.clone() }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// A value for labels: four significant digits at most, thousands separators from 10,000.
pub fn fmt_value(v: f64) -> String {
    if !v.is_finite() {
        return if v.is_nan() {
            "n/a".into()
        } else if v > 0.0 {
            "∞".into()
        } else {
            "-∞".into()
        };
    }
    if v == 0.0 {
        return "0".into();
    }
    let decimals = (3 - v.abs().log10().floor() as i32).clamp(0, 8) as usize;
    group_thousands(&trim_zeros(format!("{v:.decimals$}")))
}

/// Labels for ticks `step` apart, each followed by `suffix`; thousands are grouped on every
/// label when any has five digits or more, so one axis never mixes `9500` and `10,000`.
pub fn tick_labels(ticks: &[f64], step: f64, suffix: &str) -> Vec<(f64, String)> {
    let decimals = if step > 0.0 && step.is_finite() {
        (0..8)
            .find(|&d| {
                let scaled = step * 10f64.powi(d as i32);
                (scaled - scaled.round()).abs() < 1e-6 * scaled.max(1.0)
            })
            .unwrap_or(8)
    } else {
        2
    };
    let group = ticks.iter().any(|v| v.abs() >= 9999.5);
    ticks
        .iter()
        .map(|&v| {
            let v = if v.abs() < step.abs() * 1e-9 { 0.0 } else { v };
            let text = format!("{v:.decimals$}");
            let text = if group { group_digits(&text, 4) } else { text };
            (v, format!("{text}{suffix}"))
        })
        .collect()
}

/// A probability in percent, with more decimals close to 0 and 1.
pub fn fmt_pct(p: f64) -> String {
    if !p.is_finite() {
        return "n/a".into();
    }
    let pct = p * 100.0;
    if pct == 0.0 || pct == 100.0 {
        format!("{pct:.0}%")
    } else if !(1.0..=99.0).contains(&pct) {
        format!("{pct:.2}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// A number of paths with thousands separators.
pub fn fmt_count(n: u64) -> String {
    group_thousands(&n.to_string())
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

fn group_thousands(s: &str) -> String {
    group_digits(s, 5)
}

/// `s` with thousands separators when its integer part has at least `min_digits` digits.
fn group_digits(s: &str, min_digits: usize) -> String {
    let (sign, rest) = s.strip_prefix('-').map_or(("", s), |r| ("-", r));
    let (int, frac) = rest.split_once('.').map_or((rest, None), |(i, f)| (i, Some(f)));
    if int.len() < min_digits || !int.bytes().all(|b| b.is_ascii_digit()) {
        return s.to_string();
    }
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Evenly spaced "nice" tick positions (steps of 1, 2 or 5 × 10ⁿ) covering `low..=high`, about
/// `target` of them; returns the ticks and the step.
pub fn nice_ticks(low: f64, high: f64, target: usize) -> (Vec<f64>, f64) {
    if !(low.is_finite() && high.is_finite()) || high <= low {
        return (vec![low], 1.0);
    }
    let raw = (high - low) / target.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let first = (low / step).ceil() as i64;
    let last = (high / step).floor() as i64;
    let ticks = (first..=last).map(|k| k as f64 * step).collect();
    (ticks, step)
}

/// `low..high` padded by `fraction` of its span on each side; a zero span gets a span of its own.
pub fn padded(low: f64, high: f64, fraction: f64) -> (f64, f64) {
    let span = high - low;
    if span > 0.0 && span.is_finite() {
        (low - span * fraction, high + span * fraction)
    } else {
        let pad = (low.abs() * 0.05).max(1.0);
        (low - pad, high + pad)
    }
}

/// Published history on fan charts.
pub const HISTORY: RGBColor = RGBColor(66, 66, 66);

/// One number format for every number of a chart (ticks, point labels, target levels): the
/// decimals the tick step needs, and thousands separators on every number from four digits
/// when any number shown has five or more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberFormat {
    pub decimals: usize,
    pub group: bool,
}

impl NumberFormat {
    /// The format for ticks `step` apart on an axis also showing `values`.
    pub fn new(step: f64, values: impl IntoIterator<Item = f64>) -> Self {
        let decimals =
            tick_labels(&[0.0], step, "").first().map_or(0, |(_, l)| l.split_once('.').map_or(0, |(_, f)| f.len()));
        let group = values.into_iter().any(|v| v.is_finite() && v.abs() >= 9999.5);
        NumberFormat { decimals, group }
    }

    pub fn fmt(&self, v: f64) -> String {
        if !v.is_finite() {
            return fmt_value(v);
        }
        let decimals = self.decimals;
        let text = format!("{v:.decimals$}");
        let text = if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
            format!("{:.decimals$}", 0.0)
        } else {
            text
        };
        if self.group { group_digits(&text, 4) } else { text }
    }

    /// Tick labels in this format, each followed by `suffix`.
    pub fn ticks(&self, ticks: &[f64], suffix: &str) -> Vec<(f64, String)> {
        ticks.iter().map(|&v| (v, format!("{}{suffix}", self.fmt(v)))).collect()
    }
}

/// Fills that stay apart in greyscale print: colours in clearly different lightness steps
/// (dark, light, medium, very light), the second four hatched; beyond eight they repeat.
pub const GREY_SAFE: [(RGBColor, bool); 8] = [
    (RGBColor(31, 73, 125), false),
    (RGBColor(245, 166, 35), false),
    (RGBColor(196, 58, 58), true),
    (RGBColor(150, 215, 205), true),
    (RGBColor(90, 90, 90), true),
    (RGBColor(120, 180, 235), false),
    (RGBColor(110, 60, 140), false),
    (RGBColor(230, 200, 120), true),
];

/// Segments (in pixels) of diagonal hatching every `spacing` pixels inside the rectangle from
/// `(x0, y0)` (top left) to `(x1, y1)` (bottom right).
pub fn hatch_lines((x0, y0): (i32, i32), (x1, y1): (i32, i32), spacing: i32) -> Vec<[(i32, i32); 2]> {
    let height = y1 - y0;
    if height <= 0 || x1 <= x0 || spacing <= 0 {
        return vec![];
    }
    // Lines x = c + t, y = y1 − t for t in 0..=height, clipped to x0..=x1.
    let mut lines = Vec::new();
    let mut c = x0 - height;
    while c <= x1 {
        let (a, b) = ((x0 - c).max(0), (x1 - c).min(height));
        if a < b {
            lines.push([(c + a, y1 - a), (c + b, y1 - b)]);
        }
        c += spacing;
    }
    lines
}

/// `text` broken into at most two lines that each fit `max_width` pixels at `size` (at spaces
/// when there are any, else between characters); a second line still too long gets an ellipsis.
pub fn wrap_two_lines(theme: &Theme, text: &str, size: f64, max_width: i32) -> Vec<String> {
    let text = theme.clean(text);
    if theme.width(&text, size) <= max_width {
        return vec![text];
    }
    let chars: Vec<char> = text.chars().collect();
    // The longest first line that fits, ended at a space when the text has spaces.
    let mut cut = 0;
    for k in 1..chars.len() {
        let head: String = chars[..k].iter().collect();
        if theme.width(head.trim_end(), size) > max_width {
            break;
        }
        if !text.contains(' ') || chars[k] == ' ' {
            cut = k;
        }
    }
    if cut == 0 {
        return vec![theme.fit(&text, size, max_width)];
    }
    let first: String = chars[..cut].iter().collect::<String>().trim_end().to_string();
    let rest: String = chars[cut..].iter().collect::<String>().trim_start().to_string();
    vec![first, theme.fit(&rest, size, max_width)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_formatted_readably() {
        assert_eq!(fmt_value(10000.0), "10,000");
        assert_eq!(fmt_value(85.0), "85");
        assert_eq!(fmt_value(7.7), "7.7");
        assert_eq!(fmt_value(-1234.56), "-1235");
        assert_eq!(fmt_value(-12345.6), "-12,346");
        assert_eq!(fmt_value(0.01234), "0.01234");
        assert_eq!(fmt_value(f64::NAN), "n/a");
        assert_eq!(fmt_pct(0.6321), "63.2%");
        assert_eq!(fmt_pct(0.0004), "0.04%");
        assert_eq!(fmt_pct(1.0), "100%");
        let labels: Vec<String> = tick_labels(&[9500.0, 10000.0], 500.0, "").into_iter().map(|(_, l)| l).collect();
        assert_eq!(labels, ["9,500", "10,000"]);
        assert_eq!(tick_labels(&[0.5], 0.25, "%")[0].1, "0.50%");
        assert_eq!(tick_labels(&[-1e-17], 0.1, "")[0].1, "0.0");
        assert_eq!(fmt_count(1_000_000), "1,000,000");
    }

    /// Ticks, end labels and point labels of one chart share decimals and digit grouping (a
    /// histogram once showed "< 7844" beside ticks "8,000").
    #[test]
    fn one_number_format_per_chart() {
        let f = NumberFormat::new(250.0, [7843.7, 10000.0]);
        assert_eq!(f.fmt(7843.7), "7,844");
        assert_eq!(f.ticks(&[8000.0, 10000.0], ""), [(8000.0, "8,000".to_string()), (10000.0, "10,000".to_string())]);
        let f = NumberFormat::new(0.5, [2.25, 3.0]);
        assert_eq!((f.fmt(2.26), f.fmt(3.0), f.fmt(-0.01)), ("2.3".into(), "3.0".into(), "0.0".into()));
        assert_eq!(NumberFormat::new(2.0, [84.52, 9000.0]).fmt(9000.0), "9000");
    }

    /// Hatching stays inside its rectangle and covers it evenly.
    #[test]
    fn hatching_is_clipped_to_its_rectangle() {
        let lines = hatch_lines((10, 20), (110, 40), 7);
        assert!(lines.len() >= 100 / 7);
        for [(xa, ya), (xb, yb)] in lines {
            for (x, y) in [(xa, ya), (xb, yb)] {
                assert!((10..=110).contains(&x) && (20..=40).contains(&y), "({x}, {y})");
            }
            assert_eq!(xb - xa, ya - yb, "45 degrees");
        }
        assert!(hatch_lines((0, 0), (0, 10), 7).is_empty());
    }

    #[test]
    fn ticks_are_nice_and_cover_the_range() {
        let (ticks, step) = nice_ticks(0.0, 100.0, 10);
        assert_eq!(step, 10.0);
        assert_eq!(ticks.len(), 11);
        let (ticks, _) = nice_ticks(3.0, 3.0, 10);
        assert_eq!(ticks, vec![3.0]);
        assert_eq!(padded(5.0, 5.0, 0.1), (4.0, 6.0));
    }
}
