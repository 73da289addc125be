//! Values still to fill: the string `"TODO"` written where a number goes (`base = "TODO"`,
//! `growth = { dist = "normal", mean = "TODO", sd = "TODO" }`), as `feasim init` writes them.
//!
//! The loader accepts `"TODO"` only in a numeric field, and only as a placeholder: before the file
//! is deserialized, each one is replaced by a stand-in number of the same byte length (so every
//! span stays exact), and the places are reported. [`super::load`] refuses a scenario that still
//! has any, listing each with file, line and column; [`super::load_draft`] (used by `feasim check`)
//! builds the model with the stand-ins so the rest of the file is still checked, and returns the
//! list. Problems the stand-ins themselves cause (a triangular with min = max) are not reported.
//! Everywhere else a string in a numeric field is the usual type error.

use std::ops::Range;

use toml::de::{DeTable, DeValue};

/// The text of a placeholder.
pub const TODO: &str = "TODO";

/// Fields whose value is a number, where `"TODO"` is accepted as a placeholder.
const NUMERIC_FIELDS: &[&str] = &[
    "base",
    "persistence",
    "rho",
    "threshold",
    "mean",
    "sd",
    "df",
    "min",
    "mode",
    "max",
    "skew",
    "sd_low",
    "sd_high",
    "value",
    "dispersion",
];

/// One placeholder: its byte span (the quoted string) and what it stands for
/// (`indicator "r1.i01" growth.mean`).
#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder {
    pub span: Range<usize>,
    pub field: String,
}

/// Every placeholder in a scenario file's text (none if the text is not valid TOML: the parser
/// reports that).
pub fn find(text: &str) -> Vec<Placeholder> {
    let Ok(table) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    walk_table(text, table.get_ref(), "", &mut found);
    found.sort_by_key(|p| p.span.start);
    found
}

fn walk_table(text: &str, table: &DeTable<'_>, path: &str, found: &mut Vec<Placeholder>) {
    for (key, value) in table {
        let key = key.get_ref().as_ref();
        let field = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
        walk_value(text, value.get_ref(), value.span(), key, &field, found);
    }
}

fn walk_value(
    text: &str,
    value: &DeValue<'_>,
    span: Range<usize>,
    key: &str,
    field: &str,
    found: &mut Vec<Placeholder>,
) {
    match value {
        DeValue::String(s)
            if s.as_ref() == TODO
                && NUMERIC_FIELDS.contains(&key)
                && matches!(text.get(span.clone()), Some("\"TODO\"" | "'TODO'")) =>
        {
            found.push(Placeholder { span, field: field.to_string() });
        }
        DeValue::Table(table) => walk_table(text, table, field, found),
        DeValue::Array(items) => {
            for item in items.iter() {
                let name = match item.get_ref() {
                    DeValue::Table(t) => t
                        .iter()
                        .find(|(k, _)| k.get_ref().as_ref() == "id")
                        .and_then(|(_, v)| v.get_ref().as_str().map(|id| format!("{field} \"{id}\"")))
                        .unwrap_or_else(|| field.to_string()),
                    _ => field.to_string(),
                };
                walk_value(text, item.get_ref(), item.span(), key, &name, found);
            }
        }
        _ => {}
    }
}

/// `text` with every placeholder replaced by a stand-in number of the same length (`1` and
/// spaces), so that the file deserializes and every span stays where it was.
pub fn with_stand_ins(text: &str, placeholders: &[Placeholder]) -> String {
    let mut out = text.to_string();
    for p in placeholders {
        let stand_in = format!("{:<width$}", 1, width = p.span.len());
        out.replace_range(p.span.clone(), &stand_in);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_placeholders_in_numeric_fields_only() {
        let text = "[[indicator]]\nid = \"r1.i01\"\nbase = \"TODO\"\nsource = \"TODO\"\ngrowth = { dist = \"normal\", mean = \"TODO\", sd = 1.5 }\n";
        let found = find(text);
        let fields: Vec<_> = found.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["indicator \"r1.i01\".base", "indicator \"r1.i01\".growth.mean"]);
        let replaced = with_stand_ins(text, &found);
        assert_eq!(replaced.len(), text.len());
        assert!(replaced.contains("base = 1     \n") && replaced.contains("source = \"TODO\""));
    }
}
