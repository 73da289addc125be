//! Errors in scenario files, rendered the way a person needs them: file, line, column, the line
//! itself with a caret under the culprit, and what to do about it.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use unicode_width::UnicodeWidthStr;

use super::raw::{FileId, Loc};

/// The text of every file read while loading a scenario (a variant and the files it extends).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<(PathBuf, String)>,
    /// Byte offset of the start of every line after the first, per file (for `line_col` in
    /// O(log lines): a scenario of 20 000 indicators asks for many locations).
    line_starts: Vec<Vec<usize>>,
}

impl Sources {
    pub fn add(&mut self, path: &Path, text: String) -> FileId {
        self.line_starts.push(text.match_indices('\n').map(|(i, _)| i + 1).collect());
        self.files.push((path.to_path_buf(), text));
        self.files.len() - 1
    }

    pub fn path(&self, file: FileId) -> &Path {
        &self.files[file].0
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.files[file].1
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, file: FileId, offset: usize) -> (usize, usize) {
        let text = self.text(file);
        let offset = floor_char_boundary(text, offset.min(text.len()));
        // Lines starting at or before `offset`, after the first.
        let later_lines = self.line_starts[file].partition_point(|&start| start <= offset);
        let line_start = if later_lines == 0 { 0 } else { self.line_starts[file][later_lines - 1] };
        let line = later_lines + 1;
        let column = text[line_start..offset].chars().count() + 1;
        (line, column)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One problem in a scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: FileId,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn at<T>(loc: &Loc<T>, message: impl Into<String>) -> Self {
        Diagnostic { file: loc.file, span: loc.span.clone(), message: message.into(), help: None }
    }

    pub fn new(file: FileId, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic { file, span, message: message.into(), help: None }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }
}

/// Everything wrong with a scenario, with the sources needed to show where.
#[derive(Debug, Clone)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
    pub sources: Sources,
}

impl LoadError {
    /// Where the first problem is: (path, line, column).
    pub fn first_location(&self) -> Option<(PathBuf, usize, usize)> {
        let d = self.diagnostics.first()?;
        if d.file >= self.sources.len() {
            return None;
        }
        let (line, col) = self.sources.line_col(d.file, d.span.start);
        Some((self.sources.path(d.file).to_path_buf(), line, col))
    }
}

impl std::error::Error for LoadError {}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            render(f, &self.sources, d, "error")?;
        }
        if self.diagnostics.len() > 1 {
            write!(f, "\n{} problems found", self.diagnostics.len())?;
        }
        Ok(())
    }
}

/// A diagnostic that does not stop the scenario from loading, rendered like an error
/// (`warning: …`, then `--> file:line:column`, the line, a caret and the help).
pub fn render_warning(sources: &Sources, d: &Diagnostic) -> String {
    let mut out = String::new();
    render(&mut out, sources, d, "warning").expect("writing to a String cannot fail");
    out
}

fn render(f: &mut impl fmt::Write, sources: &Sources, d: &Diagnostic, kind: &str) -> fmt::Result {
    // Names and values from the file are echoed inside messages and source lines: their control
    // characters (an escape sequence could recolour or rewrite the terminal) are shown escaped.
    writeln!(f, "{kind}: {}", printable(&d.message))?;
    if d.file < sources.len() {
        let text = sources.text(d.file);
        let (line, col) = sources.line_col(d.file, d.span.start);
        writeln!(f, "  --> {}:{}:{}", printable(&sources.path(d.file).display().to_string()), line, col)?;
        let line_text = text.lines().nth(line - 1).unwrap_or("");
        let gutter = line.to_string().len();
        writeln!(f, "{:gutter$} |", "")?;
        writeln!(f, "{line} | {}", printable(line_text).replace('\n', "\\n"))?;
        // Caret under the span, measured in display columns (CJK characters are two wide).
        let start_in_line: String = line_text.chars().take(col - 1).collect();
        let pad = printable(&start_in_line).width();
        let span_text = text.get(d.span.clone()).unwrap_or("");
        let span_first_line = span_text.lines().next().unwrap_or("");
        let width = printable(span_first_line).width().max(1);
        // Spaces repeated, not a format width: a width above 65 535 (a long line) panics.
        write!(f, "{:gutter$} | {}{}", "", " ".repeat(pad), "^".repeat(width))?;
    }
    if let Some(help) = &d.help {
        write!(f, "\n  = help: {}", printable(help))?;
    }
    Ok(())
}

/// `text` with its control characters (other than line breaks and tabs) and bidirectional
/// overrides escaped as `\u{1b}`, so that echoing a name or value from a file can neither drive
/// the terminal nor reorder what is shown.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{feff}')
    };
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// "did you mean ...?" for a misspelt name, from the closest candidates.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let mut best: Vec<(f64, &str)> =
        candidates.into_iter().map(|c| (strsim::jaro_winkler(name, c), c)).filter(|(score, _)| *score > 0.8).collect();
    best.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    match best.as_slice() {
        [] => None,
        [(_, one)] => Some(format!("did you mean \"{one}\"?")),
        [(_, one), (_, two), ..] => Some(format!("did you mean \"{one}\" (or \"{two}\")?")),
    }
}
