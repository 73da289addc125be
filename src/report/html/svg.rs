//! The page's charts as inline SVG: a histogram of a target's tested quantity, a fan chart of an
//! indicator and a tornado of a target's drivers. Pure: numbers in, markup out.
//!
//! Why not the plotters PNGs: they are pictures of text, in one language and one font; the page
//! switches between Chinese and English and must stay one small file. Text here is SVG `<text>`,
//! drawn by the browser with the page's font stack (CJK fonts included), and every label carries
//! both languages (`class="zh"`/`class="en"`, one hidden by the page's style sheet).

use std::fmt::Write as _;

use super::escape::text as esc;
use super::{Bilingual, fmt_value};

/// Colours shared with the PNG charts (`plot::theme`).
pub const DATA: &str = "#1f77b4";
pub const TARGET: &str = "#c81e2d";
pub const HIT: &str = "#2ca02c";
pub const MISS: &str = "#969696";
pub const MUTED: &str = "#616161";
pub const GRID: &str = "#e0e0e0";

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 44.0;

fn open(out: &mut String, label: &Bilingual) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" preserveAspectRatio="xMidYMid meet"><title>{}</title>"#,
        esc(&label.en)
    );
}

/// A label in both languages at (x, y).
fn label(out: &mut String, x: f64, y: f64, anchor: &str, class: &str, text: &Bilingual) {
    if text.zh == text.en {
        let _ = write!(
            out,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" class="{class}">{}</text>"#,
            esc(&text.en)
        );
    } else {
        for (lang, t) in [("zh", &text.zh), ("en", &text.en)] {
            let _ = write!(
                out,
                r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" class="{class} {lang}">{}</text>"#,
                esc(t)
            );
        }
    }
}

fn plain(out: &mut String, x: f64, y: f64, anchor: &str, class: &str, text: &str) {
    let _ = write!(out, r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" class="{class}">{}</text>"#, esc(text));
}

/// About `n` round tick values covering [lo, hi].
pub fn ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || hi <= lo {
        return if lo.is_finite() { vec![lo] } else { vec![] };
    }
    let raw = (hi - lo) / n.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

struct Scale {
    lo: f64,
    hi: f64,
    a: f64,
    b: f64,
}

impl Scale {
    fn new(lo: f64, hi: f64, a: f64, b: f64) -> Self {
        let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, lo + 0.5) };
        Scale { lo, hi, a, b }
    }
    fn at(&self, v: f64) -> f64 {
        self.a + (v - self.lo) / (self.hi - self.lo) * (self.b - self.a)
    }
}

/// Histogram of a target's tested quantity: bars whose middle hits (`hits`) in green, the others
/// grey, the threshold as a red line.
pub fn histogram(
    edges: &[f64],
    counts: &[u64],
    threshold: f64,
    hits: &dyn Fn(f64) -> bool,
    title: &Bilingual,
    unit: &str,
) -> String {
    let mut out = String::new();
    open(&mut out, title);
    if edges.len() < 2 || counts.is_empty() {
        label(
            &mut out,
            WIDTH / 2.0,
            HEIGHT / 2.0,
            "middle",
            "note",
            &Bilingual::new("没有有效数值", "no finite values"),
        );
        out.push_str("</svg>");
        return out;
    }
    let (x0, x1) = (edges[0], edges[edges.len() - 1]);
    let x = Scale::new(x0, x1, LEFT, WIDTH - RIGHT);
    let max = counts.iter().copied().max().unwrap_or(1).max(1) as f64;
    let y = Scale::new(0.0, max, HEIGHT - BOTTOM, TOP);
    for (k, &c) in counts.iter().enumerate() {
        let (a, b) = (x.at(edges[k]), x.at(edges[k + 1]));
        let middle = 0.5 * (edges[k] + edges[k + 1]);
        let hit = hits(middle);
        let top = y.at(c as f64);
        let _ = write!(
            out,
            r#"<rect x="{:.1}" y="{top:.1}" width="{:.1}" height="{:.1}" fill="{}"/>"#,
            a + 0.5,
            (b - a - 1.0).max(0.5),
            (HEIGHT - BOTTOM - top).max(0.0),
            if hit { HIT } else { MISS }
        );
    }
    let _ = write!(
        out,
        r#"<line x1="{LEFT}" y1="{0:.1}" x2="{1:.1}" y2="{0:.1}" stroke="{MUTED}"/>"#,
        HEIGHT - BOTTOM,
        WIDTH - RIGHT
    );
    for t in ticks(x0, x1, 5) {
        let px = x.at(t);
        let _ = write!(
            out,
            r#"<line x1="{px:.1}" y1="{0:.1}" x2="{px:.1}" y2="{1:.1}" stroke="{MUTED}"/>"#,
            HEIGHT - BOTTOM,
            HEIGHT - BOTTOM + 4.0
        );
        plain(&mut out, px, HEIGHT - BOTTOM + 17.0, "middle", "tick", &fmt_value(t));
    }
    if threshold.is_finite() && threshold >= x0 && threshold <= x1 {
        let px = x.at(threshold);
        let _ = write!(
            out,
            r#"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{:.1}" stroke="{TARGET}" stroke-width="2"/>"#,
            HEIGHT - BOTTOM
        );
        let anchor = if px > WIDTH * 0.7 { "end" } else { "start" };
        let dx = if anchor == "end" { -4.0 } else { 4.0 };
        label(
            &mut out,
            px + dx,
            TOP + 10.0,
            anchor,
            "mark",
            &Bilingual::new(&format!("目标 {}", fmt_value(threshold)), &format!("target {}", fmt_value(threshold))),
        );
    }
    label(
        &mut out,
        (LEFT + WIDTH - RIGHT) / 2.0,
        HEIGHT - 8.0,
        "middle",
        "axis",
        &Bilingual::new(&format!("检验的数值（{unit}）"), &format!("tested quantity ({unit})")),
    );
    label(&mut out, 12.0, TOP + 4.0, "start", "axis", &Bilingual::new("路径数", "paths"));
    out.push_str("</svg>");
    out
}

/// One year of a fan chart: p05, p25, p50, p75, p95.
#[derive(Debug, Clone, Copy)]
pub struct FanYear {
    pub year: i32,
    pub p05: f64,
    pub p25: f64,
    pub p50: f64,
    pub p75: f64,
    pub p95: f64,
}

/// Fan chart: 90% and 50% bands and the median by year, and the target's level as a red dot.
pub fn fan(years: &[FanYear], marker: Option<(i32, f64)>, title: &Bilingual, unit: &str) -> String {
    let mut out = String::new();
    open(&mut out, title);
    let finite: Vec<&FanYear> = years.iter().filter(|y| y.p05.is_finite() && y.p95.is_finite()).collect();
    if finite.is_empty() {
        label(
            &mut out,
            WIDTH / 2.0,
            HEIGHT / 2.0,
            "middle",
            "note",
            &Bilingual::new("没有有效数值", "no finite values"),
        );
        out.push_str("</svg>");
        return out;
    }
    let mut lo = finite.iter().map(|y| y.p05).fold(f64::INFINITY, f64::min);
    let mut hi = finite.iter().map(|y| y.p95).fold(f64::NEG_INFINITY, f64::max);
    if let Some((_, level)) = marker.filter(|m| m.1.is_finite()) {
        lo = lo.min(level);
        hi = hi.max(level);
    }
    let pad = 0.06 * (hi - lo).max(1e-9 * hi.abs().max(1.0));
    let (lo, hi) = (lo - pad, hi + pad);
    let (first, last) = (finite[0].year, finite[finite.len() - 1].year);
    let x = Scale::new(first as f64 - 0.3, last as f64 + 0.3, LEFT, WIDTH - RIGHT);
    let y = Scale::new(lo, hi, HEIGHT - BOTTOM, TOP);
    for t in ticks(lo, hi, 4) {
        let py = y.at(t);
        let _ =
            write!(out, r#"<line x1="{LEFT}" y1="{py:.1}" x2="{:.1}" y2="{py:.1}" stroke="{GRID}"/>"#, WIDTH - RIGHT);
        plain(&mut out, LEFT - 4.0, py + 4.0, "end", "tick", &fmt_value(t));
    }
    let band = |out: &mut String, low: fn(&FanYear) -> f64, high: fn(&FanYear) -> f64, opacity: f64| {
        let mut points = String::new();
        for v in &finite {
            let _ = write!(points, "{:.1},{:.1} ", x.at(v.year as f64), y.at(high(v)));
        }
        for v in finite.iter().rev() {
            let _ = write!(points, "{:.1},{:.1} ", x.at(v.year as f64), y.at(low(v)));
        }
        let _ = write!(out, r#"<polygon points="{}" fill="{DATA}" fill-opacity="{opacity}"/>"#, points.trim_end());
    };
    band(&mut out, |v| v.p05, |v| v.p95, 0.2);
    band(&mut out, |v| v.p25, |v| v.p75, 0.35);
    let median: Vec<String> = finite.iter().map(|v| format!("{:.1},{:.1}", x.at(v.year as f64), y.at(v.p50))).collect();
    let _ = write!(out, r#"<polyline points="{}" fill="none" stroke="{DATA}" stroke-width="2"/>"#, median.join(" "));
    for v in &finite {
        plain(&mut out, x.at(v.year as f64), HEIGHT - BOTTOM + 17.0, "middle", "tick", &v.year.to_string());
    }
    if let Some((year, level)) = marker.filter(|m| m.1.is_finite()) {
        let (px, py) = (x.at(year as f64), y.at(level));
        let _ = write!(out, r#"<circle cx="{px:.1}" cy="{py:.1}" r="5" fill="{TARGET}"/>"#);
        let anchor = if px > WIDTH * 0.7 { "end" } else { "start" };
        let dx = if anchor == "end" { -8.0 } else { 8.0 };
        label(
            &mut out,
            px + dx,
            py - 8.0,
            anchor,
            "mark",
            &Bilingual::new(&format!("目标 {}", fmt_value(level)), &format!("target {}", fmt_value(level))),
        );
    }
    label(
        &mut out,
        (LEFT + WIDTH - RIGHT) / 2.0,
        HEIGHT - 8.0,
        "middle",
        "axis",
        &Bilingual::new(&format!("中位数、50%与90%区间（{unit}）"), &format!("median, 50% and 90% bands ({unit})")),
    );
    out.push_str("</svg>");
    out
}

/// One bar pair of a tornado: a driver moved down and up, with the paired changes in P(hit)
/// (in probability units) and their 95% intervals.
#[derive(Debug, Clone)]
pub struct TornadoRow {
    pub name: Bilingual,
    pub low: Bilingual,
    pub high: Bilingual,
    pub d_low: (f64, f64, f64),
    pub d_high: (f64, f64, f64),
}

/// Width of the tornado's drawing, wider than the other charts (names sit above their bars).
const TORNADO_WIDTH: f64 = 640.0;

/// At most `max` characters of `s`, with an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max - 1).chain(std::iter::once('…')).collect()
    }
}

/// Tornado: each driver's ΔP for its low and high value, bars from zero with the paired 95%
/// interval as a whisker, in percentage points. Each driver's name is written on its own line
/// above its two bars; each bar's value is written beyond its whisker.
pub fn tornado(rows: &[TornadoRow], title: &Bilingual) -> String {
    let row_h = 56.0;
    let height = TOP + BOTTOM + row_h * rows.len().max(1) as f64;
    let width = TORNADO_WIDTH;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart tornado" viewBox="0 0 {width} {height}" role="img" preserveAspectRatio="xMidYMid meet"><title>{}</title>"#,
        esc(&title.en)
    );
    if rows.is_empty() {
        label(
            &mut out,
            width / 2.0,
            height / 2.0,
            "middle",
            "note",
            &Bilingual::new("没有假设影响此目标", "no assumption moves this target"),
        );
        out.push_str("</svg>");
        return out;
    }
    let extent = rows
        .iter()
        .flat_map(|r| [r.d_low.0, r.d_low.1, r.d_low.2, r.d_high.0, r.d_high.1, r.d_high.2])
        .filter(|v| v.is_finite())
        .fold(0.0_f64, |m, v| m.max(v.abs()))
        .max(0.005)
        * 100.0;
    // Room beyond the longest whisker for its value.
    let x = Scale::new(-1.8 * extent, 1.8 * extent, 16.0, width - 16.0);
    let zero = x.at(0.0);
    for t in ticks(-extent, extent, 4) {
        let px = x.at(t);
        let _ =
            write!(out, r#"<line x1="{px:.1}" y1="{TOP}" x2="{px:.1}" y2="{:.1}" stroke="{GRID}"/>"#, height - BOTTOM);
        plain(&mut out, px, height - BOTTOM + 16.0, "middle", "tick", &format!("{t:+}"));
    }
    for (k, r) in rows.iter().enumerate() {
        let y0 = TOP + row_h * k as f64;
        let name = Bilingual::new(&shorten(&r.name.zh, 48), &shorten(&r.name.en, 90));
        label(&mut out, 16.0, y0 + 11.0, "start", "name", &name);
        for (j, (d, what, colour)) in [(r.d_low, &r.low, MISS), (r.d_high, &r.high, DATA)].into_iter().enumerate() {
            let yy = y0 + 17.0 + 17.0 * j as f64;
            let end = x.at(100.0 * d.0);
            let (a, b) = if end < zero { (end, zero) } else { (zero, end) };
            let _ = write!(
                out,
                r#"<rect x="{a:.1}" y="{yy:.1}" width="{:.1}" height="13" fill="{colour}"/>"#,
                (b - a).max(1.0)
            );
            let (l, h) = (x.at(100.0 * d.1), x.at(100.0 * d.2));
            let mid = yy + 6.5;
            let _ = write!(
                out,
                r##"<path d="M{l:.1} {:.1}V{:.1}M{l:.1} {mid:.1}H{h:.1}M{h:.1} {:.1}V{:.1}" stroke="#212121" fill="none"/>"##,
                mid - 4.0,
                mid + 4.0,
                mid - 4.0,
                mid + 4.0
            );
            let words = Bilingual::new(
                &format!("{} → {:+.1}", what.zh, 100.0 * d.0),
                &format!("{} → {:+.1}", what.en, 100.0 * d.0),
            );
            if d.0 < 0.0 {
                label(&mut out, l.min(end) - 4.0, yy + 10.5, "end", "small", &words);
            } else {
                label(&mut out, h.max(end) + 4.0, yy + 10.5, "start", "small", &words);
            }
        }
    }
    let _ = write!(
        out,
        r##"<line x1="{zero:.1}" y1="{TOP}" x2="{zero:.1}" y2="{:.1}" stroke="#212121"/>"##,
        height - BOTTOM
    );
    label(
        &mut out,
        width / 2.0,
        height - 8.0,
        "middle",
        "axis",
        &Bilingual::new(
            "P(达成)的变化（百分点，95%配对区间）",
            "change in P(hit) (percentage points, paired 95% interval)",
        ),
    );
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        let t = ticks(0.13, 0.97, 4);
        assert_eq!(t, vec![0.25, 0.5, 0.75]);
        assert_eq!(ticks(0.0, 100.0, 5), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert!(ticks(5.0, 5.0, 4).len() == 1);
        assert!(ticks(f64::NAN, 1.0, 4).is_empty());
    }

    #[test]
    fn histogram_colours_the_hitting_side_and_escapes_its_unit() {
        let svg = histogram(
            &[0.0, 1.0, 2.0, 3.0],
            &[5, 10, 5],
            2.0,
            &|x| x >= 2.0,
            &Bilingual::new("直方图", "histogram"),
            "<b>",
        );
        assert_eq!(svg.matches(HIT).count(), 1, "only the bar right of 2 hits");
        assert_eq!(svg.matches(MISS).count(), 2);
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn tornado_draws_a_whisker_per_bar() {
        let row = TornadoRow {
            name: Bilingual::new("增长", "growth"),
            low: Bilingual::new("−1", "−1"),
            high: Bilingual::new("+1", "+1"),
            d_low: (-0.1, -0.12, -0.08),
            d_high: (0.1, 0.08, 0.12),
        };
        let svg = tornado(&[row.clone(), row], &Bilingual::new("t", "t"));
        assert_eq!(svg.matches("<path").count(), 4);
    }
}
