//! Machine-readable exports of a summary, one exporter per format (after hyperfine's `export`).

use std::io::{self, Write};

use crate::summary::Summary;

/// A file format for a summary.
pub trait Exporter {
    /// Name of the file this exporter writes in the output folder.
    fn file_name(&self) -> &'static str;
    fn export(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()>;
}

/// `summary.json`: everything, machine-readable.
pub struct JsonExporter;

impl Exporter for JsonExporter {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn export(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, summary)?;
        out.write_all(b"\n")
    }
}

/// `targets.csv`: one row per target, with labels beside ids (`label_zh`, `label_en`, and at the
/// end `region_en` and `unit_en`, the English names of the region and the unit).
pub struct CsvExporter;

pub const CSV_HEADER: [&str; 36] = [
    "id",
    "region",
    "section",
    "label_zh",
    "label_en",
    "metric",
    "unit",
    "comparator",
    "threshold",
    "paths",
    "hits",
    "invalid",
    "probability",
    "ci_low",
    "ci_high",
    "std_error",
    "min",
    "p05",
    "p10",
    "p25",
    "p50",
    "p75",
    "p90",
    "p95",
    "max",
    "seed",
    "needed_param",
    "assumed_mean",
    "mean_for_50",
    "mean_for_50_low",
    "mean_for_50_high",
    "mean_for_80",
    "mean_for_80_low",
    "mean_for_80_high",
    "region_en",
    "unit_en",
];

impl Exporter for CsvExporter {
    fn file_name(&self) -> &'static str {
        "targets.csv"
    }

    fn export(&self, summary: &Summary, out: &mut dyn Write) -> io::Result<()> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(CSV_HEADER)?;
        for t in &summary.targets {
            let number = |v: f64| if v.is_finite() { format!("{v}") } else { String::new() };
            let mut record: Vec<String> = vec![
                t.id.clone(),
                t.region.clone(),
                t.section.clone(),
                t.label_zh.clone(),
                t.label_en.clone(),
                t.metric.clone(),
                t.unit.clone(),
                // A two-sided test names its interval (the threshold column holds its lower end or
                // centre): "between [1, 2]", "about [6.5, 7.5]".
                match t.range {
                    Some([low, high]) if t.comparator != "==" => format!("{} [{low}, {high}]", t.comparator),
                    _ => t.comparator.clone(),
                },
                number(t.threshold),
                summary.run.paths.to_string(),
                t.hits.to_string(),
                t.invalid.to_string(),
            ];
            let q = &t.quantiles;
            let rest = [
                t.probability,
                t.ci_low,
                t.ci_high,
                t.std_error,
                q.min,
                q.p05,
                q.p10,
                q.p25,
                q.p50,
                q.p75,
                q.p90,
                q.p95,
                q.max,
            ];
            record.extend(rest.into_iter().map(number));
            record.push(summary.run.seed.to_string());
            let optional = |v: Option<f64>| v.map_or_else(String::new, number);
            match &t.needed_growth {
                Some(g) => {
                    record.push(g.parameter.clone());
                    record.push(number(g.assumed));
                    for level in g.levels.iter().take(2) {
                        record.extend([optional(level.mean), optional(level.ci_low), optional(level.ci_high)]);
                    }
                }
                None => record.extend(std::iter::repeat_n(String::new(), 8)),
            }
            record.push(summary.scenario.region_in(&t.region, true).to_string());
            record.push(crate::units::english(&t.unit));
            w.write_record(&record)?;
        }
        w.flush()?;
        Ok(())
    }
}
