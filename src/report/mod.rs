//! Files and terminal output made from a [`Summary`]: `summary.json`, `targets.csv` and the
//! terminal table. Every file is written whole or not at all (temporary file, then rename).

pub mod assumptions;
pub mod export;
pub mod html;
pub mod manifest;
pub mod table;
pub mod xlsx;

use std::io::Write;
use std::path::Path;

use anyhow::Context;

pub use export::{CsvExporter, Exporter, JsonExporter};

/// The UTF-8 byte order mark that every CSV file feasim writes starts with: Excel on a
/// Chinese-locale PC reads a CSV without it as GBK (mojibake); pandas (`encoding="utf-8-sig"`),
/// LibreOffice and feasim's own readers skip it.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Write `bytes` to `path` atomically: into a temporary file in the same directory, then renamed
/// over `path`, so readers never see a half-written file even if the process dies.
///
/// The file gets the mode an ordinary `open` would give it (`0666 & !umask`, usually 0644), not
/// the 0600 of a private temporary file. A `.csv` file gets a UTF-8 byte order mark in front
/// unless it already has one: this is the one place where every CSV feasim writes gets it.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
    manifest::sweep_temporaries(dir);
    let prefix = manifest::temp_prefix();
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The kernel applies the umask to the mode given to open(2), as for any new file.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp =
        builder.tempfile_in(dir).with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    if is_csv && !bytes.starts_with(UTF8_BOM) {
        tmp.write_all(UTF8_BOM).with_context(|| format!("cannot write {}", path.display()))?;
    }
    tmp.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("cannot write {}", path.display()))?;
    manifest::record(path);
    Ok(())
}

/// Write every exporter's file into `dir`; returns the paths written.
pub fn write_files(summary: &crate::summary::Summary, dir: &Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let exporters: [&dyn Exporter; 2] = [&JsonExporter, &CsvExporter];
    let mut written = Vec::new();
    for exporter in exporters {
        let mut buffer = Vec::new();
        exporter.export(summary, &mut buffer).with_context(|| format!("cannot format {}", exporter.file_name()))?;
        let path = dir.join(exporter.file_name());
        atomic_write(&path, &buffer)?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn files_get_the_mode_of_an_ordinary_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let ordinary = dir.path().join("ordinary.txt");
        std::fs::File::create(&ordinary).unwrap();
        let expected = std::fs::metadata(&ordinary).unwrap().permissions().mode() & 0o777;
        let written = dir.path().join("summary.json");
        atomic_write(&written, b"{}").unwrap();
        let mode = std::fs::metadata(&written).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, expected, "atomic_write gave {mode:o}, an ordinary file gets {expected:o}");
        // The umask as the kernel reports it, when it does (Linux): 0666 & !umask.
        if let Ok(status) = std::fs::read_to_string("/proc/self/status")
            && let Some(line) = status.lines().find(|l| l.starts_with("Umask:"))
        {
            let umask = u32::from_str_radix(line["Umask:".len()..].trim(), 8).unwrap();
            assert_eq!(mode, 0o666 & !umask);
        }
        // Replacing an existing file keeps the same rule.
        atomic_write(&written, b"{ }").unwrap();
        assert_eq!(std::fs::metadata(&written).unwrap().permissions().mode() & 0o777, expected);
    }

    #[test]
    fn csv_files_and_only_they_start_with_one_bom() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("targets.csv");
        atomic_write(&csv, "id,label_zh\nT01,地区生产总值\n".as_bytes()).unwrap();
        let bytes = std::fs::read(&csv).unwrap();
        assert!(bytes.starts_with(UTF8_BOM));
        assert_eq!(&bytes[3..], "id,label_zh\nT01,地区生产总值\n".as_bytes());
        let upper = dir.path().join("A.CSV");
        atomic_write(&upper, &[UTF8_BOM, b"x\n"].concat()).unwrap();
        assert_eq!(std::fs::read(&upper).unwrap(), [UTF8_BOM, b"x\n"].concat(), "no second BOM");
        let json = dir.path().join("summary.json");
        atomic_write(&json, b"{}").unwrap();
        assert_eq!(std::fs::read(&json).unwrap(), b"{}");
    }
}
