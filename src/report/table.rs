//! The terminal view of a run: targets grouped by region with P(hit), its 95% interval and the
//! spread of the tested quantity, then the probability that all targets of each region are hit.
//!
//! The tables fit the terminal's width (`COLUMNS`, 80 and up): ids, probabilities and numbers are
//! never broken; labels wrap. When even that is too wide, columns are dropped in a fixed order
//! ([`DROP_ORDER`]): first p10 and p90, then the median, then the 95% interval.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, ColumnConstraint, ContentArrangement, Table};
use unicode_width::UnicodeWidthStr;

use crate::summary::Summary;

/// Which labels to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    Chinese,
    English,
}

/// A number with as many decimals as its size deserves: thousands grouped from 1,000 on, and
/// scientific notation from 10^15 (where a column would otherwise show a 300-digit decimal).
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a >= 1e15 {
        format!("{v:.3e}")
    } else if a >= 1000.0 {
        crate::units::thousands(v, 0)
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 || a == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// A value of the tested quantity: whole numbers without decimals when the quantity can only be
/// a whole number (a count, a rank), else [`format_number`].
fn format_value(v: f64, integer: bool) -> String {
    if integer && v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        crate::units::thousands(v, 0)
    } else {
        format_number(v)
    }
}

fn percent(p: f64) -> String {
    if p.is_finite() { format!("{:.1}%", 100.0 * p) } else { "–".into() }
}

/// A column: its header, and the narrowest it may wrap to (`None`: never wrapped, as wide as
/// its widest cell — ids, probabilities, numbers).
type Column = (&'static str, Option<usize>);

/// Columns of the target table; labels wrap, the test wraps between words.
const COLUMNS: [Column; 8] = [
    ("ID", None),
    ("Target", Some(24)),
    ("Test", Some(10)),
    ("P(hit)", None),
    ("95% CI", None),
    ("p10", None),
    ("median", None),
    ("p90", None),
];
/// Which columns of the target table go, group by group, when it does not fit: p10 and p90,
/// then the median, then the 95% interval.
pub const DROP_ORDER: [&[usize]; 3] = [&[5, 7], &[6], &[4]];

/// Columns of the table of growth needed; intervals wrap between their two numbers.
const NEEDED_COLUMNS: [Column; 9] = [
    ("ID", None),
    ("Target", Some(16)),
    ("P(hit)", None),
    ("Growth assumption", None),
    ("Assumed", None),
    ("For 50%", None),
    ("95% CI", Some(7)),
    ("For 80%", None),
    ("95% CI", Some(7)),
];
/// Which columns of the table of growth needed go when it does not fit: the intervals, then the
/// label (the target table above has it), then P(hit).
pub const NEEDED_DROP_ORDER: [&[usize]; 3] = [&[6, 8], &[1], &[2]];

/// Display width of a table whose columns hold `widths` (content), with its borders and padding.
fn table_width(widths: &[usize]) -> usize {
    widths.iter().map(|w| w + 3).sum::<usize>() + 1
}

/// The widest word of `text` (what a wrapping column needs at least).
fn widest_word(text: &str) -> usize {
    text.split_whitespace().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

/// Which columns to keep so that `rows` fit in `width`, dropping per `drop_order`.
fn columns_to_keep(columns: &[Column], rows: &[Row], drop_order: &[&[usize]], width: Option<u16>) -> Vec<bool> {
    let n = columns.len();
    let mut keep = vec![true; n];
    let Some(width) = width else { return keep };
    let cells =
        |c: usize| rows.iter().map(move |row| row.0.get(c).map(String::as_str).unwrap_or("")).chain([columns[c].0]);
    let widths: Vec<usize> = (0..n)
        .map(|c| match columns[c].1 {
            None => cells(c).map(UnicodeWidthStr::width).max().unwrap_or(0),
            // A label may be split inside a long word; the words of other wrapping cells fit.
            Some(min) if c == 1 => min,
            Some(min) => cells(c).map(widest_word).max().unwrap_or(0).max(min),
        })
        .collect();
    let need = |keep: &[bool]| table_width(&(0..n).filter(|&c| keep[c]).map(|c| widths[c]).collect::<Vec<_>>());
    for group in drop_order {
        if need(&keep) <= width as usize {
            break;
        }
        for &c in *group {
            keep[c] = false;
        }
    }
    keep
}

/// A table of `rows` fitted to `width`: columns that do not wrap are as wide as their content.
fn fitted_table(columns: &[Column], rows: &[Row], keep: &[bool], width: Option<u16>) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    let kept: Vec<usize> = (0..columns.len()).filter(|&c| keep[c]).collect();
    table.set_header(kept.iter().map(|&c| columns[c].0));
    for row in rows {
        table.add_row(kept.iter().map(|&c| {
            let mut cell = Cell::new(row.0.get(c).map(String::as_str).unwrap_or(""));
            if row.1.contains(&c) {
                cell = cell.set_alignment(CellAlignment::Right);
            }
            if row.2 {
                cell = cell.add_attribute(Attribute::Bold);
            }
            cell
        }));
    }
    for (k, &c) in kept.iter().enumerate() {
        if columns[c].1.is_none()
            && let Some(column) = table.column_mut(k)
        {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    table
}

/// A row of a fitted table: its cells, the columns aligned right, and whether it is bold.
struct Row(Vec<String>, &'static [usize], bool);

/// Right-aligned columns of the target table.
const RIGHT: &[usize] = &[3, 4, 5, 6, 7];

/// The whole terminal report as text (`width` = terminal columns, if known). In English, the
/// title, region names and units are the English ones (`title_en`, `[regions]`, [`crate::units`]).
pub fn render(summary: &Summary, labels: Labels, width: Option<u16>) -> String {
    let english = labels == Labels::English;
    let info = &summary.scenario;
    let mut out = String::new();
    out.push_str(&wrap(
        &format!(
            "{} — {} paths, seed {}, base year {}, projection to {}",
            info.title_in(english),
            crate::units::thousands(summary.run.paths as f64, 0),
            summary.run.seed,
            info.base_year,
            info.end_year
        ),
        width,
    ));
    let mut rows = Vec::new();
    for region in &summary.regions {
        let name = info.region_in(&region.region, english);
        rows.push(Row(
            vec![
                String::new(),
                if name.is_empty() { "(no region)".to_string() } else { name.to_string() },
                format!("all {} hit", region.targets),
                percent(region.all_hit.probability),
                format!("[{}, {}]", percent(region.all_hit.ci_low), percent(region.all_hit.ci_high)),
            ],
            RIGHT,
            true,
        ));
        for t in summary.targets.iter().filter(|t| t.region == region.region) {
            let label = match labels {
                Labels::Chinese => &t.label_zh,
                Labels::English => &t.label_en,
            };
            let unit = match (english, t.unit.is_empty()) {
                (_, true) => String::new(),
                (false, false) => format!(" {}", t.unit),
                (true, false) => {
                    // "≥ 10000 (100 million yuan)": a unit starting with a number in brackets.
                    let en = crate::units::english(&t.unit);
                    if en.starts_with(|c: char| c.is_ascii_digit()) { format!(" ({en})") } else { format!(" {en}") }
                }
            };
            let flag = if t.invalid > 0 { format!(" ({} invalid)", t.invalid) } else { String::new() };
            rows.push(Row(
                vec![
                    t.id.clone(),
                    label.clone(),
                    match (t.comparator.as_str(), t.range) {
                        // A joint target: the tested quantity is the number of its conditions met.
                        _ if t.conditions.is_some() => {
                            let n = t.conditions.unwrap_or(0);
                            match labels {
                                Labels::Chinese => format!("{n} 项条件全部满足"),
                                Labels::English => format!("all {n} conditions"),
                            }
                        }
                        ("between", Some([low, high])) => {
                            format!(
                                "between [{}, {}]{}",
                                format_value(low, t.integer),
                                format_value(high, t.integer),
                                unit
                            )
                        }
                        ("about", Some([low, high])) => format!(
                            "about {} ± {}{}",
                            format_value(t.threshold, t.integer),
                            format_number((high - low) / 2.0),
                            unit
                        ),
                        _ => format!("{} {}{}", t.comparator, format_value(t.threshold, t.integer), unit),
                    },
                    format!("{}{flag}", percent(t.probability)),
                    format!("[{}, {}]", percent(t.ci_low), percent(t.ci_high)),
                    format_value(t.quantiles.p10, t.integer),
                    format_value(t.quantiles.p50, t.integer),
                    format_value(t.quantiles.p90, t.integer),
                ],
                RIGHT,
                false,
            ));
        }
    }
    let keep = columns_to_keep(&COLUMNS, &rows, &DROP_ORDER, width);
    out.push_str(&fitted_table(&COLUMNS, &rows, &keep, width).to_string());
    out.push('\n');
    out.push_str(&dropped_note(&COLUMNS, &keep, width));
    if let Some(needed) = needed_table(summary, labels, width) {
        out.push_str(&needed);
    }
    let all = &summary.all_targets;
    out.push_str(&wrap(
        &format!(
            "All {} modelled targets hit on the same path: {} [{}, {}]; expected number hit: {:.1}",
            summary.targets.len(),
            percent(all.probability),
            percent(all.ci_low),
            percent(all.ci_high),
            summary.targets_hit.expected
        ),
        width,
    ));
    if !summary.not_modelled.is_empty() {
        out.push_str(&format!("Not modelled ({}):\n", summary.not_modelled.len()));
        for m in &summary.not_modelled {
            out.push_str(&format!("  {} — {}\n", m.id, m.reason));
        }
    }
    let invalid: Vec<_> = summary.targets.iter().filter(|t| t.invalid > 0).collect();
    for t in invalid {
        out.push_str(&format!(
            "warning: target {}: {} of {} paths gave no finite value (e.g. growth of a level that reached zero); they count as misses\n",
            t.id, t.invalid, summary.run.paths
        ));
    }
    for i in summary.indicators.iter().filter(|i| i.invalid_paths > 0) {
        let what = if i.kind == "level" { "a value at or below zero, or no finite value" } else { "no finite value" };
        out.push_str(&format!(
            "warning: indicator {}: {} of {} paths reached {what} in some year; check its distributions and unit (targets reading it count those paths as invalid or as misses)\n",
            i.id, i.invalid_paths, summary.run.paths
        ));
    }
    if let Some(r) = &summary.correlation_repair {
        out.push_str(&format!(
            "note: the correlation matrix was repaired to the nearest valid one; largest change {:.4} ({} ~ {}), Frobenius norm of the change {:.4}\n",
            r.max_abs_change, r.max_change_between.0, r.max_change_between.1, r.frobenius_change
        ));
    }
    out
}

/// `text` wrapped between words to lines of at most `width` columns (when known), each ending
/// in a newline.
fn wrap(text: &str, width: Option<u16>) -> String {
    let Some(width) = width.map(usize::from) else { return format!("{text}\n") };
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.width() + 1 + word.width() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// A line naming the columns left out to fit the width, or nothing.
fn dropped_note(columns: &[Column], keep: &[bool], width: Option<u16>) -> String {
    let mut dropped: Vec<&str> = (0..columns.len()).filter(|&c| !keep[c]).map(|c| columns[c].0).collect();
    dropped.dedup();
    if dropped.is_empty() {
        return String::new();
    }
    wrap(
        &format!(
            "(left out to fit {} columns: {}; widen the terminal or see targets.csv)",
            width.unwrap_or(0),
            dropped.join(", ")
        ),
        width,
    )
}

/// "What mean growth would it take": the assumed first-year mean growth of the level behind each
/// target against the mean growth that gives a 50% and an 80% chance (every year shifted alike).
fn needed_table(summary: &Summary, labels: Labels, width: Option<u16>) -> Option<String> {
    let rows: Vec<_> = summary.targets.iter().filter_map(|t| t.needed_growth.as_ref().map(|g| (t, g))).collect();
    if rows.is_empty() {
        return None;
    }
    let growth = |v: Option<f64>| v.map_or_else(|| "out of reach".to_string(), |v| format!("{v:.2}%"));
    let mut table_rows = Vec::new();
    for (t, g) in rows {
        let label = match labels {
            Labels::Chinese => &t.label_zh,
            Labels::English => &t.label_en,
        };
        let mut row = vec![
            t.id.clone(),
            label.clone(),
            percent(t.probability),
            g.parameter.trim_end_matches(":mean").to_string(),
            format!("{:.2}%", g.assumed),
        ];
        for level in g.levels.iter().take(2) {
            row.push(growth(level.mean));
            row.push(match (level.ci_low, level.ci_high) {
                (Some(a), Some(b)) => format!("[{a:.2}, {b:.2}]"),
                _ => String::new(),
            });
        }
        row.resize(NEEDED_COLUMNS.len(), String::new());
        table_rows.push(Row(row, &[2, 4, 5, 6, 7, 8], false));
    }
    let keep = columns_to_keep(&NEEDED_COLUMNS, &table_rows, &NEEDED_DROP_ORDER, width);
    let table = fitted_table(&NEEDED_COLUMNS, &table_rows, &keep, width);
    let dropped = dropped_note(&NEEDED_COLUMNS, &keep, width);
    let intro = wrap(
        "Mean yearly growth needed: the first projection year's mean growth of the level behind each target \
         (later years shifted by the same amount) for a 50% and an 80% chance, from the same paths (95% CI):",
        width,
    );
    Some(format!("{intro}{table}\n{dropped}"))
}

#[cfg(test)]
mod tests {
    use super::{format_number, format_value};

    #[test]
    fn numbers_are_grouped_and_never_a_long_decimal() {
        assert_eq!(format_number(10344.4), "10,344");
        assert_eq!(format_number(-2_990_000.0), "-2,990,000");
        assert_eq!(format_number(958.46), "958.5");
        assert_eq!(format_number(29.271), "29.27");
        assert_eq!(format_number(0.6312), "0.631");
        assert_eq!(format_number(1.6e294), "1.600e294");
        assert_eq!(format_number(f64::NAN), "–");
    }

    #[test]
    fn whole_number_quantities_have_no_decimals() {
        assert_eq!(format_value(3.0, true), "3");
        assert_eq!(format_value(1200.0, true), "1,200");
        assert_eq!(format_value(3.0, false), "3.00");
        // A quantile between whole numbers (never for a count, but a rank difference may) keeps them.
        assert_eq!(format_value(2.5, true), "2.50");
    }
}
