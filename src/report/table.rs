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

/// Columns of the target table.
const HEADER: [&str; 8] = ["ID", "Target", "Test", "P(hit)", "95% CI", "p10", "median", "p90"];
/// Columns that wrap (labels and the test's words); the others are kept whole.
const WRAPS: [bool; 8] = [false, true, true, false, false, false, false, false];
/// Which columns go, group by group, when the table does not fit: p10 and p90, then the
/// median, then the 95% interval.
pub const DROP_ORDER: [&[usize]; 3] = [&[5, 7], &[6], &[4]];
/// The narrowest a wrapping label column is allowed to become before columns are dropped.
const MIN_LABEL_WIDTH: usize = 16;

/// Which labels to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    Chinese,
    English,
}

/// A number with as many decimals as its size deserves.
pub fn format_number(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 1.0 || a == 0.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

fn percent(p: f64) -> String {
    if p.is_finite() { format!("{:.1}%", 100.0 * p) } else { "–".into() }
}

/// Display width of a table whose columns hold `widths` (content), with its borders and padding.
fn table_width(widths: &[usize]) -> usize {
    widths.iter().map(|w| w + 3).sum::<usize>() + 1
}

/// The widest word of `text` (what a wrapping column needs at least).
fn widest_word(text: &str) -> usize {
    text.split_whitespace().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

/// Which columns to keep so that rows of `cells` fit in `width`, dropping per `drop_order`.
fn columns_to_keep(cells: &[Vec<String>], wraps: &[bool], drop_order: &[&[usize]], width: Option<u16>) -> Vec<bool> {
    let n = wraps.len();
    let mut keep = vec![true; n];
    let Some(width) = width else { return keep };
    let need = |keep: &[bool]| {
        let widths: Vec<usize> = (0..n)
            .filter(|&c| keep[c])
            .map(|c| {
                let widest = cells.iter().filter_map(|row| row.get(c)).map(|s| {
                    if wraps[c] {
                        widest_word(s).min(MIN_LABEL_WIDTH)
                    } else {
                        s.lines().map(|l| l.width()).max().unwrap_or(0)
                    }
                });
                let min = if wraps[c] { MIN_LABEL_WIDTH } else { 0 };
                widest.max().unwrap_or(0).max(min)
            })
            .collect();
        table_width(&widths)
    };
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

/// A table of `rows` (and full-width `spans`, bold, in the second column) fitted to `width`.
fn fitted_table(header: &[&str], wraps: &[bool], rows: &[Row], keep: &[bool], width: Option<u16>) -> Table {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    let kept: Vec<usize> = (0..header.len()).filter(|&c| keep[c]).collect();
    table.set_header(kept.iter().map(|&c| header[c]));
    for row in rows {
        match row {
            Row::Span(text) => {
                table.add_row(vec![Cell::new(""), Cell::new(text).add_attribute(Attribute::Bold)]);
            }
            Row::Cells(cells, right) => {
                table.add_row(kept.iter().map(|&c| {
                    let cell = Cell::new(&cells[c]);
                    if right[c] { cell.set_alignment(CellAlignment::Right) } else { cell }
                }));
            }
        }
    }
    for (k, &c) in kept.iter().enumerate() {
        if !wraps[c]
            && let Some(column) = table.column_mut(k)
        {
            column.set_constraint(ColumnConstraint::ContentWidth);
        }
    }
    table
}

/// A row of a fitted table.
enum Row {
    /// A bold line across the label column (a region's heading).
    Span(String),
    /// One cell per column, and whether each is right-aligned.
    Cells(Vec<String>, Vec<bool>),
}

/// The whole terminal report as text (`width` = terminal columns, if known). In English, the
/// title, region names and units are the English ones (`title_en`, `[regions]`, [`crate::units`]).
pub fn render(summary: &Summary, labels: Labels, width: Option<u16>) -> String {
    let english = labels == Labels::English;
    let info = &summary.scenario;
    let mut out = String::new();
    out.push_str(&format!(
        "{} — {} paths, seed {}, base year {}, projection to {}\n",
        info.title_in(english),
        crate::units::thousands(summary.run.paths as f64, 0),
        summary.run.seed,
        info.base_year,
        info.end_year
    ));
    let mut rows = Vec::new();
    let right = vec![false, false, false, true, true, true, true, true];
    for region in &summary.regions {
        let name = info.region_in(&region.region, english);
        rows.push(Row::Span(format!(
            "{} — all {} hit: {} [{}, {}]",
            if name.is_empty() { "(no region)" } else { name },
            region.targets,
            percent(region.all_hit.probability),
            percent(region.all_hit.ci_low),
            percent(region.all_hit.ci_high)
        )));
        for t in summary.targets.iter().filter(|t| t.region == region.region) {
            let label = match labels {
                Labels::Chinese => &t.label_zh,
                Labels::English => &t.label_en,
            };
            let unit_name = if english { crate::units::english(&t.unit) } else { t.unit.clone() };
            let unit = if unit_name.is_empty() { String::new() } else { format!(" {unit_name}") };
            let flag = if t.invalid > 0 { format!(" ({} invalid)", t.invalid) } else { String::new() };
            rows.push(Row::Cells(
                vec![
                    t.id.clone(),
                    label.clone(),
                    format!("{} {}{}", t.comparator, format_number(t.threshold), unit),
                    format!("{}{flag}", percent(t.probability)),
                    format!("[{}, {}]", percent(t.ci_low), percent(t.ci_high)),
                    format_number(t.quantiles.p10),
                    format_number(t.quantiles.p50),
                    format_number(t.quantiles.p90),
                ],
                right.clone(),
            ));
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Cells(c, _) => Some(c.clone()),
            Row::Span(_) => None,
        })
        .chain(std::iter::once(HEADER.iter().map(|h| h.to_string()).collect()))
        .collect();
    let keep = columns_to_keep(&cells, &WRAPS, &DROP_ORDER, width);
    let table = fitted_table(&HEADER, &WRAPS, &rows, &keep, width);
    out.push_str(&table.to_string());
    out.push('\n');
    if keep.iter().any(|k| !k) {
        let dropped: Vec<&str> = (0..HEADER.len()).filter(|&c| !keep[c]).map(|c| HEADER[c]).collect();
        out.push_str(&format!(
            "(columns {} left out to fit {} columns; all are in targets.csv)\n",
            dropped.join(", "),
            width.unwrap_or(0)
        ));
    }
    if let Some(needed) = needed_table(summary, labels, width) {
        out.push_str(&needed);
    }
    let all = &summary.all_targets;
    out.push_str(&format!(
        "All {} modelled targets hit on the same path: {} [{}, {}]; expected number hit: {:.1}\n",
        summary.targets.len(),
        percent(all.probability),
        percent(all.ci_low),
        percent(all.ci_high),
        summary.targets_hit.expected
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
    if let Some(r) = &summary.correlation_repair {
        out.push_str(&format!(
            "note: the correlation matrix was repaired to the nearest valid one; largest change {:.4} ({} ~ {}), Frobenius norm of the change {:.4}\n",
            r.max_abs_change, r.max_change_between.0, r.max_change_between.1, r.frobenius_change
        ));
    }
    out
}

/// "What mean growth would it take": the assumed first-year mean growth of the level behind each
/// target against the mean growth that gives a 50% and an 80% chance (every year shifted alike).
fn needed_table(summary: &Summary, labels: Labels, width: Option<u16>) -> Option<String> {
    let rows: Vec<_> = summary.targets.iter().filter_map(|t| t.needed_growth.as_ref().map(|g| (t, g))).collect();
    if rows.is_empty() {
        return None;
    }
    const NEEDED_HEADER: [&str; 7] = ["ID", "Target", "P(hit)", "Growth assumption", "Assumed", "For 50%", "For 80%"];
    const NEEDED_WRAPS: [bool; 7] = [false, true, false, false, false, true, true];
    let growth = |v: Option<f64>| v.map_or_else(|| "out of reach".to_string(), |v| format!("{v:.2}%"));
    let right = vec![false, false, true, false, true, true, true];
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
            let interval = match (level.ci_low, level.ci_high) {
                (Some(a), Some(b)) => format!(" [{a:.2}, {b:.2}]"),
                _ => String::new(),
            };
            row.push(format!("{}{interval}", growth(level.mean)));
        }
        row.resize(NEEDED_HEADER.len(), String::new());
        table_rows.push(Row::Cells(row, right.clone()));
    }
    let keep = vec![true; NEEDED_HEADER.len()];
    let table = fitted_table(&NEEDED_HEADER, &NEEDED_WRAPS, &table_rows, &keep, width);
    Some(format!(
        "Mean yearly growth needed: the first projection year's mean growth of the level behind each target \
         (later years shifted by the same amount) for a 50% and an 80% chance, from the same paths (95% CI):\n{table}\n"
    ))
}
