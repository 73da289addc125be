//! The scenario file format: reading TOML files (and the files they extend) into a validated
//! [`Model`], or into a [`LoadError`] that lists every problem with its place in the file.

pub mod diagnostic;
pub mod merge;
pub mod placeholder;
pub mod raw;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use diagnostic::{Diagnostic, LoadError, Sources};
use raw::{FileId, RawFile};

use crate::model::{self, Model};

/// How deep a chain of `extends` may go before it is treated as a mistake.
const MAX_EXTENDS_DEPTH: usize = 16;

/// Options that change how a scenario is interpreted.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Replace an invalid correlation matrix by the nearest valid one (also settable in the file).
    pub repair_correlations: bool,
}

/// Read, merge and validate a scenario file.
pub fn load(path: &Path) -> Result<Model, LoadError> {
    load_with(path, LoadOptions::default())
}

/// [`load`] with options. A scenario with values still to fill (`"TODO"`, see [`placeholder`])
/// is refused, each placeholder listed with its place.
pub fn load_with(path: &Path, options: LoadOptions) -> Result<Model, LoadError> {
    let draft = load_draft(path, options)?;
    if draft.to_fill.diagnostics.is_empty() { Ok(draft.model) } else { Err(draft.to_fill) }
}

/// A scenario that is valid apart from its placeholders.
#[derive(Debug)]
pub struct Draft {
    /// The model, built with a stand-in number for every placeholder: not for simulating.
    pub model: Model,
    /// One diagnostic per value still to fill (empty when the scenario is complete).
    pub to_fill: LoadError,
}

/// Read, merge and validate a scenario that may still hold placeholders (`feasim check`).
pub fn load_draft(path: &Path, options: LoadOptions) -> Result<Draft, LoadError> {
    let mut sources = Sources::default();
    let raw = match read_chain(path, &mut sources, 0, &mut Vec::new()) {
        Ok(raw) => raw,
        Err(diagnostics) => return Err(LoadError { diagnostics, sources }),
    };
    let hash = hash_sources(&sources);
    let to_fill = placeholder_diagnostics(&sources);
    match model::build::build(raw, &sources, options, hash) {
        Ok(model) => Ok(Draft { model, to_fill: LoadError { diagnostics: to_fill, sources } }),
        Err(diagnostics) => {
            // Problems caused by a stand-in (a triangular with min = max = 1) are not the user's.
            let mut real: Vec<Diagnostic> = diagnostics
                .into_iter()
                .filter(|d| {
                    !to_fill.iter().any(|p| {
                        p.file == d.file && p.span.start < d.span.end.max(d.span.start + 1) && d.span.start < p.span.end
                    })
                })
                .collect();
            real.extend(to_fill);
            Err(LoadError { diagnostics: real, sources })
        }
    }
}

/// One diagnostic per placeholder in every file of the scenario.
fn placeholder_diagnostics(sources: &Sources) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    for file in (0..sources.len()).rev() {
        for p in placeholder::find(sources.text(file)) {
            found.push(
                Diagnostic::new(file, p.span, format!("value still to fill: {}", p.field))
                    .help("replace \"TODO\" with a number: a statistic for a base (cite it in `source`), an assumption for growth (`feasim fit` proposes them from history)"),
            );
        }
    }
    found
}

/// Parse a scenario given as text (for tests and tools); `name` is shown in messages.
pub fn load_str(name: &str, text: &str) -> Result<Model, LoadError> {
    let mut sources = Sources::default();
    let file = sources.add(Path::new(name), text.to_string());
    let raw = match parse(&sources, file) {
        Ok(raw) => raw,
        Err(d) => return Err(LoadError { diagnostics: vec![d], sources }),
    };
    if let Some(extends) = &raw.extends {
        let d = Diagnostic::at(extends, "`extends` needs a scenario read from a file")
            .help("save the variant next to its base and load it by path");
        return Err(LoadError { diagnostics: vec![d], sources });
    }
    let hash = hash_sources(&sources);
    let to_fill = placeholder_diagnostics(&sources);
    match model::build::build(raw, &sources, LoadOptions::default(), hash) {
        Ok(model) if to_fill.is_empty() => Ok(model),
        Ok(_) => Err(LoadError { diagnostics: to_fill, sources }),
        Err(mut diagnostics) => {
            diagnostics.extend(to_fill);
            Err(LoadError { diagnostics, sources })
        }
    }
}

fn read_chain(
    path: &Path,
    sources: &mut Sources,
    depth: usize,
    seen: &mut Vec<PathBuf>,
) -> Result<RawFile, Vec<Diagnostic>> {
    let text = read_scenario_text(path).map_err(|(message, help)| {
        let file = sources.add(path, String::new());
        vec![Diagnostic::new(file, 0..0, message).help(help)]
    })?;
    let file = sources.add(path, text);
    let mut raw = parse(sources, file).map_err(|d| vec![d])?;
    let Some(extends) = raw.extends.clone() else {
        return Ok(raw);
    };
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if seen.contains(&canonical) {
        return Err(vec![
            Diagnostic::at(&extends, "these files extend each other in a loop")
                .help("a variant extends a base scenario; the base must not extend the variant"),
        ]);
    }
    if depth >= MAX_EXTENDS_DEPTH {
        return Err(vec![
            Diagnostic::at(
                &extends,
                format!(
                    "this file is the {}th in a chain of `extends`; feasim follows at most {MAX_EXTENDS_DEPTH}",
                    depth + 1
                ),
            )
            .help("a variant usually extends its base directly: merge some of the files in the chain"),
        ]);
    }
    seen.push(canonical);
    let base_path = path.parent().unwrap_or(Path::new(".")).join(&extends.value);
    if !base_path.is_file() {
        let what = if base_path.is_dir() {
            "is a folder, not a scenario file"
        } else if base_path.exists() {
            "is not a regular file (a pipe, socket or device)"
        } else {
            "was not found"
        };
        return Err(vec![
            Diagnostic::at(&extends, format!("the scenario this file extends {what}: {}", base_path.display()))
                .help("`extends` is a path relative to this file, e.g. extends = \"liaoning-2022-2024.toml\""),
        ]);
    }
    let base = read_chain(&base_path, sources, depth + 1, seen)?;
    raw.extends = None;
    Ok(merge::merge(base, raw))
}

/// Largest scenario file read (a scenario of 20 000 indicators is about 4 MB).
pub const MAX_SCENARIO_BYTES: u64 = 16 << 20;

/// The text of a scenario file, or a message and a hint: only regular files (not folders, FIFOs
/// or devices, which could block or never end), at most [`MAX_SCENARIO_BYTES`], in UTF-8.
fn read_scenario_text(path: &Path) -> Result<String, (String, String)> {
    read_text_file(path, MAX_SCENARIO_BYTES, "check the path; scenario files are TOML, e.g. scenarios/tutorial.toml")
}

/// The text of an input file, or a message and a hint (`check_path` when it cannot be read): only
/// regular files (not folders, FIFOs or devices, which could block or never end), at most
/// `max_bytes`, in UTF-8.
pub fn read_text_file(path: &Path, max_bytes: u64, check_path: &str) -> Result<String, (String, String)> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| (format!("cannot read {shown}: {e}"), check_path.to_string()))?;
    if meta.is_dir() {
        return Err((format!("{shown} is a folder, not a scenario file"), check_path.into()));
    }
    if !meta.is_file() {
        return Err((
            format!("{shown} is not a regular file (a pipe, socket or device)"),
            "give the path of a scenario file saved on disk".into(),
        ));
    }
    if meta.len() > max_bytes {
        return Err((
            format!("{shown} is {} bytes; files of this kind are read up to {max_bytes} bytes", meta.len()),
            "is this the right file? Split a very large input into several smaller ones".into(),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| (format!("cannot read {shown}: {e}"), check_path.to_string()))?;
    // A UTF-8 byte order mark (Excel writes one) is not part of the text.
    let bytes = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let column = 1 + bytes[..at].iter().rev().take_while(|&&b| b != b'\n').count();
        let place = format!("line {line}, column {column} (byte {at})");
        let convert = "save the file as UTF-8 (editors call it \"UTF-8\" or \"Unicode\"), e.g. iconv -f GB18030 -t UTF-8";
        match encoding_of(bytes) {
            Some(encoding) => (
                format!("{shown} is not UTF-8: it looks like {encoding} text (the first byte that is not UTF-8 is at {place})"),
                convert.replace("GB18030", if encoding.starts_with("UTF-16") { "UTF-16" } else { "GB18030" }),
            ),
            None => (
                format!("{shown} is not UTF-8 text (the first byte that is not UTF-8 is at {place})"),
                format!("{convert}; GBK/GB18030 files must be converted"),
            ),
        }
    })
}

/// The encoding `bytes` (not UTF-8) look written in, when it can be told: UTF-16 from its byte
/// order mark, GB18030 (a superset of GBK and GB2312, what Chinese Windows saves) when the
/// bytes decode as GB18030 without a single error and hold Chinese characters.
fn encoding_of(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xff\xfe") {
        return Some("UTF-16 (little-endian)");
    }
    if bytes.starts_with(b"\xfe\xff") {
        return Some("UTF-16 (big-endian)");
    }
    let text = encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes)?;
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)).then_some("GB18030 (GBK)")
}

fn parse(sources: &Sources, file: FileId) -> Result<RawFile, Diagnostic> {
    let original = sources.text(file);
    if original.trim().is_empty() {
        return Err(Diagnostic::new(file, 0..0, "the scenario file is empty").help(
            "a scenario needs at least a [scenario] table, indicators and targets; start from scenarios/tutorial.toml",
        ));
    }
    // Placeholders become stand-in numbers of the same length; `load` lists and refuses them.
    let text = placeholder::with_stand_ins(original, &placeholder::find(original));
    raw::with_current_file(file, || toml::from_str::<RawFile>(&text)).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        let message = e.message().trim_end_matches('\n').to_string();
        Diagnostic::new(file, span, message).maybe_help(toml_help(e.message()))
    })
}

fn toml_help(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some("check the spelling; docs/scenario-format.md lists every field".into())
    } else if message.contains("invalid type") {
        Some("numbers are written without quotes (5.5), text with quotes (\"亿元\"), lists in brackets".into())
    } else if message.contains("missing field `id`") {
        Some("every [[indicator]] and [[target]] needs an id".into())
    } else {
        None
    }
}

/// SHA-256 over the texts of all files that make up the scenario (base first, variant last).
fn hash_sources(sources: &Sources) -> String {
    let mut hasher = Sha256::new();
    for file in (0..sources.len()).rev() {
        hasher.update(sources.text(file).as_bytes());
        hasher.update([0u8]);
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}
