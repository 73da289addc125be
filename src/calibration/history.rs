//! Long-format tables of statistics, one value per row:
//! `indicator,region,year,value,unit,source,confidence,note` (plus `target` in outcome files).
//!
//! The reader is strict about what it cannot interpret and says where: an unknown column, a row
//! with the wrong number of fields, a value that is not a number, an unknown confidence level —
//! each is a [`Diagnostic`] pointing at the file, line and column (rendered by [`LoadError`]).
//! What it can interpret but [`crate::calibration::fit`] does not use is kept and labelled:
//! periods other than a whole year (`2021H1`, `2021Q1-3`, `2015-11`, `2016-2020`,
//! `2016;2019`) and documented gaps (`value = GAP`, or an empty value with `confidence = gap`).
//! Values are never silently turned into NaN.

use std::ops::Range;
use std::path::Path;

use crate::scenario::diagnostic::{Diagnostic, LoadError, Sources, did_you_mean};
use crate::scenario::raw::FileId;

/// Columns every table must have.
pub const REQUIRED_COLUMNS: [&str; 4] = ["indicator", "region", "year", "value"];
/// Columns a table may have besides the required ones.
pub const OPTIONAL_COLUMNS: [&str; 4] = ["unit", "source", "confidence", "note"];
/// The confidence levels accepted (empty is allowed too).
pub const CONFIDENCE_LEVELS: [&str; 4] = ["high", "medium", "low", "gap"];
/// Years accepted as annual observations.
pub const YEAR_RANGE: std::ops::RangeInclusive<i32> = 1900..=2200;
/// How many problems are listed before the reader stops.
const MAX_DIAGNOSTICS: usize = 20;

/// A text field with its byte span in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub text: String,
    pub span: Range<usize>,
}

/// The `year` column of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Period {
    /// A calendar year: an annual observation.
    Year(i32),
    /// A recognised period that is not one whole year (half year, quarters, month, several
    /// years): kept, never used for annual growth.
    Other(String),
}

impl Period {
    /// Whether the period covers (part of) `year`: `2016-2020` and `2015-2016;2018-2019` cover
    /// each year listed, `2021H1` and `2021Q1-3` cover 2021.
    pub fn covers(&self, year: i32) -> bool {
        match self {
            Period::Year(y) => *y == year,
            Period::Other(text) => text.split(';').any(|part| {
                let head = |s: &str| s.get(..4).and_then(|h| h.parse::<i32>().ok());
                match part.split_once('-') {
                    Some((a, b)) if b.len() == 4 => {
                        matches!((head(a), head(b)), (Some(a), Some(b)) if a <= year && year <= b)
                    }
                    _ => head(part) == Some(year),
                }
            }),
        }
    }
}

/// The `value` column of a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Number(f64),
    /// A documented gap (`GAP`, or empty with `confidence = gap`).
    Gap,
}

/// One row of a long table.
#[derive(Debug, Clone)]
pub struct Row {
    /// 1-based line number in the file.
    pub line: usize,
    pub indicator: Field,
    pub region: Field,
    pub period: Period,
    pub period_span: Range<usize>,
    pub value: Value,
    pub value_span: Range<usize>,
    pub unit: String,
    pub source: String,
    pub confidence: String,
    pub note: String,
    /// Outcome files only: the id of a target whose tested quantity this row gives directly.
    pub target: Option<Field>,
}

impl Row {
    /// The annual value, if this row is one.
    pub fn annual(&self) -> Option<(i32, f64)> {
        match (&self.period, self.value) {
            (Period::Year(y), Value::Number(v)) => Some((*y, v)),
            _ => None,
        }
    }
}

/// A whole table, with its text kept for error messages.
#[derive(Debug, Clone)]
pub struct Table {
    pub sources: Sources,
    pub file: FileId,
    pub rows: Vec<Row>,
}

impl Table {
    /// A diagnostic at `span` in this table's file.
    pub fn diagnostic(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(self.file, span, message)
    }

    /// Wrap diagnostics about this table (and possibly other files in `sources`) into an error.
    pub fn error(&self, diagnostics: Vec<Diagnostic>) -> LoadError {
        LoadError { diagnostics, sources: self.sources.clone() }
    }

    pub fn path(&self) -> &Path {
        self.sources.path(self.file)
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> usize {
        self.sources.line_col(self.file, offset).0
    }
}

/// Largest history or outcome table read (1.5 million rows of a typical table are about 150 MB).
pub const MAX_TABLE_BYTES: u64 = 512 << 20;

/// Read a long table from a file. `allow_target` admits the `target` column (outcome files).
pub fn read(path: &Path, allow_target: bool) -> Result<Table, LoadError> {
    let check_path = "check the path; the file is CSV with a header row indicator,region,year,value,...";
    match crate::scenario::read_text_file(path, MAX_TABLE_BYTES, check_path) {
        Ok(text) => parse(path, text, allow_target),
        Err((message, help)) => {
            let mut sources = Sources::default();
            let file = sources.add(path, String::new());
            let d = Diagnostic::new(file, 0..0, message).help(help);
            Err(LoadError { diagnostics: vec![d], sources })
        }
    }
}

/// Parse a long table from text; `path` is shown in messages.
pub fn parse(path: &Path, text: String, allow_target: bool) -> Result<Table, LoadError> {
    let mut sources = Sources::default();
    let file = sources.add(path, text);
    let text = sources.text(file);
    let fail = |diagnostics: Vec<Diagnostic>, sources: &Sources| LoadError { diagnostics, sources: sources.clone() };
    let quote_help = "close the quote; a quote inside a field is written twice (\"\")";
    // Records are read one at a time and turned into rows at once, so a large table is held once
    // (as rows), never also as a list of split records.
    let mut records = Records::new(text);
    let header = match records.next() {
        Some(Ok(header)) => header,
        Some(Err((span, message))) => {
            return Err(fail(vec![Diagnostic::new(file, span, message).help(quote_help)], &sources));
        }
        None => {
            let d = Diagnostic::new(file, 0..0, "the table is empty").help(format!(
                "the first line names the columns: {}",
                REQUIRED_COLUMNS.iter().chain(OPTIONAL_COLUMNS.iter()).copied().collect::<Vec<_>>().join(",")
            ));
            return Err(fail(vec![d], &sources));
        }
    };
    let mut diagnostics = Vec::new();
    let mut known: Vec<&str> = REQUIRED_COLUMNS.iter().chain(OPTIONAL_COLUMNS.iter()).copied().collect();
    if allow_target {
        known.push("target");
    }
    let mut columns: Vec<Option<&str>> = Vec::new();
    for field in &header.fields {
        let name = field.text.trim();
        let canonical = known.iter().copied().find(|k| *k == name);
        match canonical {
            Some(k) if columns.contains(&Some(k)) => diagnostics.push(
                Diagnostic::new(file, field.span.clone(), format!("the column \"{name}\" appears twice"))
                    .help("keep one column of each name"),
            ),
            Some(k) => columns.push(Some(k)),
            None => {
                let hint = did_you_mean(name, known.iter().copied())
                    .unwrap_or_else(|| format!("the columns are {}", known.join(", ")));
                diagnostics
                    .push(Diagnostic::new(file, field.span.clone(), format!("unknown column \"{name}\"")).help(hint));
                columns.push(None);
            }
        }
    }
    for required in REQUIRED_COLUMNS {
        if !columns.contains(&Some(required)) {
            diagnostics.push(
                Diagnostic::new(file, header.span.clone(), format!("the header has no column \"{required}\""))
                    .help(format!("the required columns are {}", REQUIRED_COLUMNS.join(", "))),
            );
        }
    }
    if !diagnostics.is_empty() {
        return Err(fail(diagnostics, &sources));
    }
    let index = |name: &str| columns.iter().position(|c| *c == Some(name));
    let mut rows = Vec::new();
    for record in records {
        if diagnostics.len() >= MAX_DIAGNOSTICS {
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err((span, message)) => {
                // The rest of the file cannot be split reliably after an unclosed quote.
                diagnostics.push(Diagnostic::new(file, span, message).help(quote_help));
                break;
            }
        };
        if record.fields.len() != columns.len() {
            diagnostics.push(
                Diagnostic::new(
                    file,
                    record.span.clone(),
                    format!("this row has {} fields but the header has {} columns", record.fields.len(), columns.len()),
                )
                .help("a comma inside a field needs quotes: \"a, b\""),
            );
            continue;
        }
        let get = |name: &str| index(name).map(|i| record.fields[i].clone());
        let text_of = |name: &str| get(name).map(|f| f.text.trim().to_string()).unwrap_or_default();
        let (indicator, region, year, value) = match (get("indicator"), get("region"), get("year"), get("value")) {
            (Some(a), Some(b), Some(c), Some(d)) => (a, b, c, d),
            _ => continue,
        };
        let confidence = text_of("confidence").to_lowercase();
        let mut ok = true;
        if !confidence.is_empty() && !CONFIDENCE_LEVELS.contains(&confidence.as_str()) {
            let span = get("confidence").map(|f| f.span).unwrap_or(record.span.clone());
            diagnostics.push(
                Diagnostic::new(file, span, format!("unknown confidence \"{confidence}\""))
                    .help(format!("use one of {} (or leave it empty)", CONFIDENCE_LEVELS.join(", "))),
            );
            ok = false;
        }
        if indicator.text.trim().is_empty() && get("target").is_none_or(|t| t.text.trim().is_empty()) {
            diagnostics.push(
                Diagnostic::new(file, record.span.clone(), "the row names no indicator")
                    .help("every row needs the series it belongs to in the indicator column"),
            );
            ok = false;
        }
        let period = match parse_period(year.text.trim()) {
            Ok(p) => Some(p),
            Err(message) => {
                diagnostics.push(Diagnostic::new(file, year.span.clone(), message).help(
                    "write a calendar year (2021); periods such as 2021H1, 2021Q1-3, 2015-11, 2016-2020 are read but not used",
                ));
                ok = false;
                None
            }
        };
        let parsed_value = parse_value(value.text.trim(), &confidence);
        let value_parsed = match parsed_value {
            Ok(v) => Some(v),
            Err(message) => {
                diagnostics.push(
                    Diagnostic::new(file, value.span.clone(), message)
                        .help("write a plain number (27584.1, -2.5), without units or thousands separators; GAP marks a known gap"),
                );
                ok = false;
                None
            }
        };
        let target = get("target")
            .filter(|t| !t.text.trim().is_empty())
            .map(|t| Field { text: t.text.trim().into(), span: t.span });
        if let (true, Some(period), Some(value_parsed)) = (ok, period, value_parsed) {
            rows.push(Row {
                line: sources.line_col(file, record.span.start).0,
                indicator: Field { text: indicator.text.trim().into(), span: indicator.span },
                region: Field { text: region.text.trim().into(), span: region.span },
                period,
                period_span: year.span,
                value: value_parsed,
                value_span: value.span,
                unit: text_of("unit"),
                source: text_of("source"),
                confidence,
                note: text_of("note"),
                target,
            });
        }
    }
    if !diagnostics.is_empty() {
        return Err(fail(diagnostics, &sources));
    }
    Ok(Table { sources, file, rows })
}

fn parse_period(text: &str) -> Result<Period, String> {
    let is_year = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    if is_year(text) {
        let year: i32 = text.parse().map_err(|_| format!("\"{text}\" is not a year"))?;
        if !YEAR_RANGE.contains(&year) {
            return Err(format!("year {year} is outside {}–{}", YEAR_RANGE.start(), YEAR_RANGE.end()));
        }
        return Ok(Period::Year(year));
    }
    let Some(head) = text.get(..4).filter(|h| is_year(h)) else {
        return Err(if text.is_empty() { "the year is empty".into() } else { format!("\"{text}\" is not a year") });
    };
    let rest = &text[4..];
    let digit = |s: &str, range: std::ops::RangeInclusive<u8>| {
        s.len() == 1 && s.as_bytes()[0].is_ascii_digit() && range.contains(&(s.as_bytes()[0] - b'0'))
    };
    let recognised = match rest.as_bytes().first() {
        Some(b'H') => digit(&rest[1..], 1..=2),
        Some(b'Q') => match rest[1..].split_once('-') {
            Some((a, b)) => digit(a, 1..=4) && digit(b, 1..=4) && a < b,
            None => digit(&rest[1..], 1..=4),
        },
        Some(b'-') => {
            let tail = &rest[1..];
            (tail.len() == 2 && tail.parse::<u8>().is_ok_and(|m| (1..=12).contains(&m)))
                || (is_year(tail) && tail > head)
                || is_year_list(text)
        }
        Some(b';') => is_year_list(text),
        _ => false,
    };
    if recognised {
        Ok(Period::Other(text.to_string()))
    } else {
        Err(format!("\"{text}\" is neither a year nor a recognised period"))
    }
}

/// `2016;2019`, `2015-2016;2018-2019`: lists of years and year ranges (used in gap rows).
fn is_year_list(text: &str) -> bool {
    let is_year = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
    text.split(';').all(|part| match part.split_once('-') {
        Some((a, b)) => is_year(a) && is_year(b) && a < b,
        None => is_year(part),
    })
}

fn parse_value(text: &str, confidence: &str) -> Result<Value, String> {
    if text.eq_ignore_ascii_case("gap") || (text.is_empty() && confidence == "gap") {
        return Ok(Value::Gap);
    }
    if text.is_empty() {
        return Err("the value is empty".into());
    }
    if confidence == "gap" {
        return Err(format!(
            "this row is marked as a gap (confidence = gap) but gives the value {text}: a gap has no value"
        ));
    }
    let looks_numeric = text.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && looks_numeric => Ok(Value::Number(v)),
        _ => Err(format!("\"{text}\" is not a number")),
    }
}

struct Record {
    fields: Vec<Field>,
    /// The record's byte span (without its line break).
    span: Range<usize>,
}

/// The records of CSV text, one at a time (RFC 4180: `,` separated, `"` quoted, `""` inside
/// quotes), with the byte span of every field (without its quotes). Blank lines and lines starting with `#`
/// are skipped; a leading byte-order mark is ignored.
struct Records<'a> {
    text: &'a str,
    pos: usize,
    failed: bool,
}

impl<'a> Records<'a> {
    fn new(text: &'a str) -> Self {
        Records { text, pos: if text.starts_with('\u{feff}') { 3 } else { 0 }, failed: false }
    }
}

impl Iterator for Records<'_> {
    type Item = Result<Record, (Range<usize>, String)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let result = split_record(self.text, &mut self.pos)?;
        self.failed = result.is_err();
        Some(result)
    }
}

/// The next record of `text` from byte `*pos` (advanced past it), or `None` at the end.
fn split_record(text: &str, pos_ref: &mut usize) -> Option<Result<Record, (Range<usize>, String)>> {
    let bytes = text.as_bytes();
    let mut pos = *pos_ref;
    while pos < bytes.len() {
        let line_end = bytes[pos..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| pos + i);
        let line = text[pos..line_end].trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            pos = line_end + 1;
            continue;
        }
        let start = pos;
        let mut fields = Vec::new();
        loop {
            if pos < bytes.len() && bytes[pos] == b'"' {
                let open = pos;
                pos += 1;
                let mut value = String::new();
                let content_start = pos;
                loop {
                    match bytes.get(pos) {
                        None => return Some(Err((open..open + 1, "this quoted field is never closed".into()))),
                        Some(b'"') if bytes.get(pos + 1) == Some(&b'"') => {
                            value.push('"');
                            pos += 2;
                        }
                        Some(b'"') => break,
                        Some(_) => {
                            let ch = text[pos..].chars().next().unwrap_or('\u{fffd}');
                            value.push(ch);
                            pos += ch.len_utf8().max(1);
                        }
                    }
                }
                let content_end = pos;
                pos += 1; // closing quote
                if pos < bytes.len() && !matches!(bytes[pos], b',' | b'\n' | b'\r') {
                    let end =
                        bytes[pos..].iter().position(|&b| matches!(b, b',' | b'\n')).map_or(bytes.len(), |i| pos + i);
                    return Some(Err((pos..end, "text after the closing quote of a field".into())));
                }
                fields.push(Field { text: value, span: content_start..content_end });
            } else {
                let field_start = pos;
                while pos < bytes.len() && !matches!(bytes[pos], b',' | b'\n') {
                    pos += 1;
                }
                let field_end = if pos > field_start && bytes[pos - 1] == b'\r' { pos - 1 } else { pos };
                fields.push(Field { text: text[field_start..field_end].to_string(), span: field_start..field_end });
            }
            match bytes.get(pos) {
                Some(b',') => pos += 1,
                Some(b'\r') if bytes.get(pos + 1) == Some(&b'\n') => {
                    pos += 2;
                    break;
                }
                Some(b'\n') => {
                    pos += 1;
                    break;
                }
                Some(b'\r') => {
                    pos += 1;
                    break;
                }
                None => break,
                Some(_) => pos += 1,
            }
        }
        let end = text[start..pos].trim_end_matches(['\n', '\r']).len() + start;
        *pos_ref = pos;
        return Some(Ok(Record { fields, span: start..end }));
    }
    *pos_ref = pos;
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<Table, LoadError> {
        parse(Path::new("h.csv"), text.to_string(), false)
    }

    #[test]
    fn reads_quoted_fields_periods_and_gaps() {
        let t = table(
            "indicator,region,year,value,unit,source,confidence,note\n\
             GDP,辽宁省,2018,25300,亿元,x,medium,\"a, quoted \"\"note\"\"\"\n\
             GDP_H1,辽宁省,2016H1,12812.6,亿元,,low,\n\
             GDP,沈阳,2015-2016;2018-2019,GAP,亿元,,gap,not found\n\
             FAI,盘锦,2021Q1-3,16.4,%,,high,\r\n",
        )
        .expect("valid table");
        assert_eq!(t.rows.len(), 4);
        assert_eq!(t.rows[0].annual(), Some((2018, 25300.0)));
        assert_eq!(t.rows[0].note, "a, quoted \"note\"");
        assert_eq!(t.rows[1].period, Period::Other("2016H1".into()));
        assert_eq!(t.rows[2].value, Value::Gap);
        assert_eq!(t.rows[3].line, 5);
        assert!(t.rows[2].period.covers(2016) && t.rows[2].period.covers(2018) && !t.rows[2].period.covers(2017));
        assert!(t.rows[3].period.covers(2021) && !t.rows[3].period.covers(2020));
    }

    #[test]
    fn bad_cells_are_reported_with_line_and_column() {
        let e = table("indicator,region,year,value\nGDP,x,2018,1 234\nGDP,x,20x8,5\nGDP,x,2019\n").unwrap_err();
        let text = e.to_string();
        assert!(text.contains("\"1 234\" is not a number"), "{text}");
        assert!(text.contains("h.csv:2:12"), "{text}");
        assert!(text.contains("\"20x8\" is not a year"), "{text}");
        assert!(text.contains("h.csv:3:7"), "{text}");
        assert!(text.contains("3 fields but the header has 4"), "{text}");
        assert!(text.contains("3 problems found"), "{text}");
    }

    #[test]
    fn unknown_and_missing_columns_are_errors() {
        let e = table("indicator,regoin,year,value,vintage\nGDP,x,2018,1,2\n").unwrap_err().to_string();
        assert!(e.contains("unknown column \"regoin\""), "{e}");
        assert!(e.contains("did you mean \"region\""), "{e}");
        assert!(e.contains("unknown column \"vintage\""), "{e}");
        assert!(e.contains("no column \"region\""), "{e}");
    }

    #[test]
    fn broken_quotes_are_errors() {
        let e = table("indicator,region,year,value\n\"GDP\"x,r,2018,1\n").unwrap_err().to_string();
        assert!(e.contains("text after the closing quote") && e.contains("h.csv:2:6"), "{e}");
        let e = table("indicator,region,year,value\n\"GDP,r,2018,1\n").unwrap_err().to_string();
        assert!(e.contains("never closed") && e.contains("h.csv:2:1"), "{e}");
    }

    #[test]
    fn non_numbers_never_become_nan() {
        for bad in ["NaN", "inf", "-inf", "1e999", "5%", "1,5"] {
            let text = format!("indicator,region,year,value\nGDP,x,2018,\"{bad}\"\n");
            assert!(table(&text).is_err(), "{bad} must be rejected");
        }
        assert!(table("indicator,region,year,value\nGDP,x,2018,\n").is_err());
        assert!(table("indicator,region,year,value,confidence\nGDP,x,2018,,gap\n").is_ok());
        assert!(table("indicator,region,year,value,confidence\nGDP,x,2018,1,sure\n").is_err());
    }
}
