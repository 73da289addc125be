//! The terminal view of a run: targets grouped by region with P(hit), its 95% interval and the
//! spread of the tested quantity, then the probability that all targets of each region are hit.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Attribute, Cell, CellAlignment, ContentArrangement, Table};

use crate::summary::Summary;

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

/// The whole terminal report as text (`width` = terminal columns, if known).
pub fn render(summary: &Summary, labels: Labels, width: Option<u16>) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{} — {} paths, seed {}, base year {}, projection to {}\n",
        summary.scenario.title,
        summary.run.paths,
        summary.run.seed,
        summary.scenario.base_year,
        summary.scenario.end_year
    ));
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    table.set_header(["ID", "Target", "Test", "P(hit)", "95% CI", "p10", "median", "p90"]);
    for region in &summary.regions {
        table.add_row(vec![
            Cell::new("").add_attribute(Attribute::Bold),
            Cell::new(format!(
                "{} — all {} hit: {} [{}, {}]",
                if region.region.is_empty() { "(no region)" } else { &region.region },
                region.targets,
                percent(region.all_hit.probability),
                percent(region.all_hit.ci_low),
                percent(region.all_hit.ci_high)
            ))
            .add_attribute(Attribute::Bold),
        ]);
        for t in summary.targets.iter().filter(|t| t.region == region.region) {
            let label = match labels {
                Labels::Chinese => &t.label_zh,
                Labels::English => &t.label_en,
            };
            let unit = if t.unit.is_empty() { String::new() } else { format!(" {}", t.unit) };
            let flag = if t.invalid > 0 { format!(" ({} invalid)", t.invalid) } else { String::new() };
            table.add_row(vec![
                Cell::new(&t.id),
                Cell::new(label),
                Cell::new(format!("{} {}{}", t.comparator, format_number(t.threshold), unit)),
                Cell::new(format!("{}{flag}", percent(t.probability))).set_alignment(CellAlignment::Right),
                Cell::new(format!("[{}, {}]", percent(t.ci_low), percent(t.ci_high)))
                    .set_alignment(CellAlignment::Right),
                Cell::new(format_number(t.quantiles.p10)).set_alignment(CellAlignment::Right),
                Cell::new(format_number(t.quantiles.p50)).set_alignment(CellAlignment::Right),
                Cell::new(format_number(t.quantiles.p90)).set_alignment(CellAlignment::Right),
            ]);
        }
    }
    out.push_str(&table.to_string());
    out.push('\n');
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
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    table.set_header(["ID", "Target", "P(hit)", "Growth assumption", "Assumed", "For 50%", "For 80%"]);
    let growth = |v: Option<f64>| v.map_or_else(|| "out of reach".to_string(), |v| format!("{v:.2}%"));
    for (t, g) in rows {
        let label = match labels {
            Labels::Chinese => &t.label_zh,
            Labels::English => &t.label_en,
        };
        let mut row = vec![
            Cell::new(&t.id),
            Cell::new(label),
            Cell::new(percent(t.probability)).set_alignment(CellAlignment::Right),
            Cell::new(g.parameter.trim_end_matches(":mean")),
            Cell::new(format!("{:.2}%", g.assumed)).set_alignment(CellAlignment::Right),
        ];
        for level in g.levels.iter().take(2) {
            let interval = match (level.ci_low, level.ci_high) {
                (Some(a), Some(b)) => format!(" [{a:.2}, {b:.2}]"),
                _ => String::new(),
            };
            row.push(Cell::new(format!("{}{interval}", growth(level.mean))).set_alignment(CellAlignment::Right));
        }
        table.add_row(row);
    }
    Some(format!(
        "Mean yearly growth needed: the first projection year's mean growth of the level behind each target \
         (later years shifted by the same amount) for a 50% and an 80% chance, from the same paths (95% CI):\n{table}\n"
    ))
}
