//! Shared pieces of the analysis charts (tornado, heatmap, curves, compare, Sobol', separation):
//! human names in place of ids, interval whiskers, and a colour-blind-safe palette.

use plotters::prelude::*;

use super::theme::Theme;

/// The Okabe–Ito palette (Okabe & Ito 2008), distinguishable with every common colour-vision
/// deficiency: blue, vermillion, bluish green, orange, reddish purple, sky blue, yellow.
pub const OKABE_ITO: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(230, 159, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(240, 228, 66),
];

/// Fewer baseline hits (or misses) than this make a probability difference unreliable: the
/// normal approximation of its interval needs enough paths on each side of the threshold.
pub const MIN_SIDE: u64 = 30;

/// The label in the chart's language (else the other language), or the id when neither can be
/// drawn: what a row or axis of an analysis chart is called.
pub fn human(theme: &Theme, id: &str, zh: &str, en: &str) -> String {
    theme.label(zh, en).unwrap_or_else(|| theme.clean(id))
}

/// `low` and `high` with their longest common leading words written once: "growth mean −1 pp" and
/// "growth mean +1 pp" give "growth mean −1 pp / +1 pp".
pub fn joined_shifts(low: &str, high: &str) -> String {
    let common = low.chars().zip(high.chars()).take_while(|(a, b)| a == b).count();
    let prefix: String = low.chars().take(common).collect();
    let cut = prefix.rfind(' ').map_or(0, |k| prefix[..k + 1].chars().count());
    let tail: String = high.chars().skip(cut).collect();
    format!("{low} / {tail}")
}

/// A horizontal whisker from `low` to `high` at height `y` with end caps `cap` high (data units).
pub fn whisker(low: f64, high: f64, y: f64, cap: f64, style: ShapeStyle) -> [PathElement<(f64, f64)>; 3] {
    [
        PathElement::new(vec![(low, y), (high, y)], style),
        PathElement::new(vec![(low, y - cap), (low, y + cap)], style),
        PathElement::new(vec![(high, y - cap), (high, y + cap)], style),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_share_their_leading_words() {
        assert_eq!(joined_shifts("growth mean −1 pp", "growth mean +1 pp"), "growth mean −1 pp / +1 pp");
        assert_eq!(joined_shifts("spread ÷ 1.5", "spread × 1.5"), "spread ÷ 1.5 / × 1.5");
        assert_eq!(joined_shifts("增速均值 −1 个百分点", "增速均值 +1 个百分点"), "增速均值 −1 个百分点 / +1 个百分点");
        assert_eq!(joined_shifts("a", "b"), "a / b");
    }
}
