//! Finding, checking and registering the one font every chart is drawn with.
//!
//! plotters (with the `ab_glyph` feature) renders text only with fonts registered at run time and
//! has no per-glyph fallback, so the font must cover Chinese and Latin at once; a font without
//! Chinese glyphs would draw boxes in place of the labels. This module looks for a font in a fixed
//! order (explicit path, `FEASIM_FONT`, well-known CJK fonts, a scan of the font directories, then
//! Latin-only fonts), verifies its coverage by reading its `cmap` table ([`super::sfnt`]), and registers it
//! once per process under a family name of its own, so concurrent runs with different fonts do
//! not overwrite each other.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{Context, bail};
use plotters::style::{FontStyle, register_font};

use super::Language;
use super::sfnt::Face;

/// Environment variable naming a font file to draw charts with.
pub const FONT_ENV: &str = "FEASIM_FONT";

/// What to tell a user who has no usable font.
pub const INSTALL_HINT: &str = "install a Chinese font (Debian/Ubuntu: `apt-get install fonts-wqy-microhei`) or point FEASIM_FONT at a .ttf/.otf/.ttc file";

/// Characters a font must have for Chinese labels to render: common ones from the plan's labels.
const CJK_PROBE: &str = "沈阳辽宁省亿元增长率达到";

/// Well-known fonts covering Chinese, best first. plotters reads face 0 of a collection, and face 0
/// of `NotoSansCJK-*.ttc` is the Japanese variant, so the Simplified Chinese files come first and
/// the collections only as a fallback (Japanese glyph forms, but no boxes).
const CJK_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansSC-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-sans-cjk-fonts/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/google-droid/DroidSansFallbackFull.ttf",
    "/System/Library/Fonts/Hiragino Sans GB.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:\\Windows\\Fonts\\msyh.ttc",
    "C:\\Windows\\Fonts\\simhei.ttf",
    "C:\\Windows\\Fonts\\simsun.ttc",
];

/// Latin fonts used for English labels when no Chinese font exists.
const LATIN_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
    "C:\\Windows\\Fonts\\segoeui.ttf",
];

/// Directories scanned when no well-known font exists.
const FONT_DIRS: &[&str] = &["/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "C:\\Windows\\Fonts"];

/// A font read into memory (for the life of the process) and registered with plotters.
#[derive(Debug)]
pub struct LoadedFont {
    pub path: PathBuf,
    /// The plotters family name this font is registered under.
    pub family: &'static str,
    /// Whether the font has the Chinese glyphs of [`CJK_PROBE`].
    pub cjk: bool,
    face: Face,
    data: &'static [u8],
}

impl LoadedFont {
    /// Whether the font has a glyph for `c` (whitespace and control characters always pass).
    pub fn has_char(&self, c: char) -> bool {
        c.is_whitespace() || c.is_control() || self.face.glyph(self.data, c) != 0
    }

    /// Advance and left side bearing of `c` in pixels at a plotters font size of `size` pixels.
    pub fn h_metrics(&self, c: char, size: f64) -> Option<(f64, f64)> {
        let (advance, lsb) = self.face.h_metrics(self.data, self.face.glyph(self.data, c))?;
        let scale = self.face.scale(size);
        Some((advance * scale, lsb * scale))
    }

    /// Whether every character of `text` has a glyph.
    pub fn can_render(&self, text: &str) -> bool {
        text.chars().all(|c| self.has_char(c))
    }
}

/// The font charts are drawn with, how it was chosen and the label language it allows.
pub struct Choice {
    pub font: &'static LoadedFont,
    pub language: Language,
    pub warnings: Vec<String>,
}

/// Every font loaded so far, by path: each file is read, leaked and registered at most once.
static LOADED: Mutex<Vec<&'static LoadedFont>> = Mutex::new(Vec::new());

/// Load (once per process) and register the font at `path`.
pub fn load(path: &Path) -> anyhow::Result<&'static LoadedFont> {
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(font) = loaded.iter().find(|f| f.path == path) {
        return Ok(font);
    }
    let bytes = read_font_file(path)?;
    let Some(face) = Face::parse(&bytes) else {
        bail!("{} is not a TrueType/OpenType font with a Unicode character map", path.display());
    };
    let data: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    let family: &'static str = Box::leak(format!("feasim-font-{}", loaded.len()).into_boxed_str());
    if register_font(family, FontStyle::Normal, data).is_err() {
        bail!("{} could not be parsed as a font", path.display());
    }
    let mut font = LoadedFont { path: path.to_path_buf(), family, cjk: false, face, data };
    font.cjk = font.can_render(CJK_PROBE);
    let font: &'static LoadedFont = Box::leak(Box::new(font));
    loaded.push(font);
    Ok(font)
}

/// Largest font file read (Noto Sans CJK's collection is about 20 MB).
const MAX_FONT_BYTES: u64 = 128 << 20;

/// The bytes of a font file: a regular file (not a device such as /dev/zero, or a pipe) of at most
/// [`MAX_FONT_BYTES`].
fn read_font_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    check_font_file(path)?;
    std::fs::read(path).with_context(|| format!("cannot read font file {}", path.display()))
}

/// Whether `path` can be a font file (regular, at most [`MAX_FONT_BYTES`]), without reading it.
pub fn check_font_file(path: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read font file {}", path.display()))?;
    if !meta.is_file() {
        bail!("{} is not a font file (not a regular file); give a .ttf, .otf or .ttc file", path.display());
    }
    if meta.len() > MAX_FONT_BYTES {
        bail!("{} is {} bytes, more than a font file can be ({MAX_FONT_BYTES} at most)", path.display(), meta.len());
    }
    Ok(())
}

/// Whether `path` holds a font with Chinese glyphs, without keeping it in memory.
fn probe_cjk(path: &Path) -> bool {
    if let Some(font) = LOADED.lock().unwrap_or_else(|e| e.into_inner()).iter().find(|f| f.path == path) {
        return font.cjk;
    }
    let Ok(bytes) = read_font_file(path) else { return false };
    Face::parse(&bytes).is_some_and(|face| CJK_PROBE.chars().all(|c| face.glyph(&bytes, c) != 0))
}

/// Choose the font for `language`, following the lookup order in the module docs.
pub fn choose(language: Language, explicit: Option<&Path>) -> anyhow::Result<Choice> {
    let env = std::env::var_os(FONT_ENV).filter(|v| !v.is_empty()).map(PathBuf::from);
    let (explicit, origin) = match (explicit, env) {
        (Some(path), _) => (Some(path.to_path_buf()), "--font"),
        (None, Some(path)) => (Some(path), FONT_ENV),
        (None, None) => (None, ""),
    };
    if let Some(path) = explicit {
        let font = load(&path).with_context(|| format!("font given by {origin}"))?;
        return match (language, font.cjk) {
            (Language::Chinese, false) => bail!(
                "font {} (from {origin}) has no Chinese glyphs, so Chinese labels would render as boxes; {INSTALL_HINT}",
                path.display()
            ),
            (Language::Auto, false) => Ok(Choice {
                font,
                language: Language::English,
                warnings: vec![format!("font {} has no Chinese glyphs: charts use English labels", path.display())],
            }),
            (Language::Auto, true) => Ok(Choice { font, language: Language::Chinese, warnings: vec![] }),
            (chosen, _) => Ok(Choice { font, language: chosen, warnings: vec![] }),
        };
    }
    // A Chinese font also serves English labels: region names and units may still be Chinese.
    let cjk = CJK_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file() && probe_cjk(p))
        .or_else(|| scan_font_dirs(true).into_iter().find(|p| probe_cjk(p)));
    if let Some(path) = cjk {
        let font = load(&path)?;
        let language = if language == Language::Auto { Language::Chinese } else { language };
        return Ok(Choice { font, language, warnings: vec![] });
    }
    if language == Language::Chinese {
        bail!("no font with Chinese glyphs found for Chinese chart labels; {INSTALL_HINT}");
    }
    let latin = LATIN_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .chain(scan_font_dirs(false))
        .find_map(|p| load(&p).ok());
    let Some(font) = latin else {
        bail!("no font found to draw charts with; {INSTALL_HINT}");
    };
    let mut warnings = Vec::new();
    if language == Language::Auto {
        warnings.push(format!(
            "no font with Chinese glyphs found: charts use English labels with {}; for Chinese labels {INSTALL_HINT}",
            font.path.display()
        ));
    }
    Ok(Choice { font, language: Language::English, warnings })
}

/// Font files under the usual directories (and the user's), sorted; with `cjk_names` only those
/// whose name suggests Chinese coverage.
fn scan_font_dirs(cjk_names: bool) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = FONT_DIRS.iter().map(PathBuf::from).collect();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".local/share/fonts"));
        dirs.push(Path::new(&home).join(".fonts"));
    }
    let mut found = Vec::new();
    for dir in dirs {
        collect_fonts(&dir, 4, &mut found);
    }
    found.retain(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        let cjk = ["cjk", "wqy", "hei", "song", "ming", "kai", "fallback", "sc-", "sc.", "gb", "han", "yahei"]
            .iter()
            .any(|k| name.contains(k));
        cjk || !cjk_names
    });
    found.sort();
    found
}

fn collect_fonts(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if depth > 0 {
                collect_fonts(&path, depth - 1, found);
            }
        } else if path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .is_some_and(|e| matches!(e.as_str(), "ttf" | "otf" | "ttc"))
        {
            found.push(path);
        }
    }
}

/// Replacements for typographic characters a font may lack.
pub fn ascii_fallback(c: char) -> Option<&'static str> {
    Some(match c {
        '≥' => ">=",
        '≤' => "<=",
        '–' | '—' | '−' => "-",
        '·' | '×' => "*",
        '…' => "...",
        '‰' => "permille",
        '→' => "->",
        '←' => "<-",
        '∞' => "inf",
        '“' | '”' => "\"",
        '‘' | '’' => "'",
        _ => return None,
    })
}

/// Fonts that exist on this machine, for tests: the first CJK and the first Latin candidate.
#[cfg(test)]
pub fn installed(cjk: bool) -> Option<PathBuf> {
    let list = if cjk { CJK_CANDIDATES } else { LATIN_CANDIDATES };
    list.iter().map(PathBuf::from).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmap_finds_chinese_in_a_cjk_font_and_not_in_dejavu() {
        if let Some(path) = installed(true) {
            let font = load(&path).unwrap();
            assert!(font.cjk, "{} should have Chinese glyphs", path.display());
            assert!(font.can_render("T02 沈阳GDP达到1万亿元 (%)"));
            assert!(!font.has_char('\u{10FFFD}'));
        }
        if let Some(path) = installed(false) {
            let font = load(&path).unwrap();
            assert!(!font.cjk);
            assert!(font.can_render("GDP 2024 (%)"));
            assert!(!font.has_char('沈'));
        }
    }

    #[test]
    fn loading_twice_reuses_the_registration() {
        let Some(path) = installed(true).or_else(|| installed(false)) else { return };
        let a = load(&path).unwrap();
        let b = load(&path).unwrap();
        assert!(std::ptr::eq(a, b));
    }

    #[test]
    fn explicit_latin_font_with_chinese_labels_is_an_error() {
        let Some(path) = installed(false) else { return };
        let err = choose(Language::Chinese, Some(&path)).err().expect("an error");
        assert!(format!("{err:#}").contains("fonts-wqy-microhei"));
        let auto = choose(Language::Auto, Some(&path)).unwrap();
        assert_eq!(auto.language, Language::English);
        assert_eq!(auto.warnings.len(), 1);
    }

    #[test]
    fn a_missing_font_file_is_an_error_naming_it() {
        let err = choose(Language::Auto, Some(Path::new("/nonexistent/font.ttf"))).err().expect("an error");
        assert!(format!("{err:#}").contains("/nonexistent/font.ttf"));
    }

    #[test]
    fn garbage_is_not_a_font() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.ttf");
        std::fs::write(&path, b"not a font at all").unwrap();
        assert!(load(&path).is_err());
    }
}
