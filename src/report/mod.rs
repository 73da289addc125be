//! Files and terminal output made from a [`Summary`]: `summary.json`, `targets.csv` and the
//! terminal table. Every file is written whole or not at all (temporary file, then rename).

pub mod assumptions;
pub mod export;
pub mod html;
pub mod manifest;
pub mod table;
pub mod xlsx;

use std::io::Write;
use std::path::{Path, PathBuf};

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
    let tmp = written_aside(path, bytes)?;
    tmp.as_file().sync_all().ok();
    put_in_place(tmp.into_temp_path(), path)
}

/// `bytes` in a temporary file beside `path` (the first step of [`atomic_write`]).
fn written_aside(path: &Path, bytes: &[u8]) -> anyhow::Result<tempfile::NamedTempFile> {
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
    Ok(tmp)
}

/// Rename a finished (flushed) temporary file over `path` and note it in the manifest.
fn put_in_place(tmp: tempfile::TempPath, path: &Path) -> anyhow::Result<()> {
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("cannot write {}", path.display()))?;
    manifest::record(path);
    Ok(())
}

/// Files written atomically as one set (a run's charts): each is written to a temporary file
/// beside its path as [`atomic_write`] does, but the last steps wait for [`Batch::finish`], which
/// flushes them all to disk together and then renames them into place in the order they were
/// written. Flushed one by one, a chart set of hundreds of files waits for hundreds of disk
/// commits (about 1.5 ms each on this machine's disk, 5 ms when it is busy: half a second of a
/// flagship run); flushes issued together share commits. No reader ever sees a half-written file;
/// a batch dropped without `finish` (an error while drawing) replaces nothing and removes its
/// temporary files.
#[derive(Default)]
pub struct Batch {
    pending: std::sync::Mutex<Vec<(tempfile::TempPath, PathBuf)>>,
}

impl Batch {
    /// [`atomic_write`] of `bytes` to `path`, held back until [`Batch::finish`].
    pub fn write(&self, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        let tmp = written_aside(path, bytes)?;
        self.hold(tmp, path);
        Ok(())
    }

    /// A temporary file written beside `path`, to be flushed and renamed to `path` by
    /// [`Batch::finish`].
    pub fn hold(&self, tmp: tempfile::NamedTempFile, path: &Path) {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).push((tmp.into_temp_path(), path.to_path_buf()));
    }

    /// Flush every file held (many at a time: the disk merges flushes issued together), then
    /// rename each into place. A file that cannot be flushed is still renamed, as
    /// [`atomic_write`] always did: its data is written; only its durability against a power
    /// cut is at stake.
    pub fn finish(self) -> anyhow::Result<()> {
        const AT_ONCE: usize = 32;
        let files = self.pending.into_inner().unwrap_or_else(|e| e.into_inner());
        let per_thread = files.len().div_ceil(AT_ONCE).max(1);
        std::thread::scope(|scope| {
            for chunk in files.chunks(per_thread) {
                scope.spawn(move || {
                    for (tmp, _) in chunk {
                        if let Ok(file) = std::fs::File::open(tmp) {
                            file.sync_all().ok();
                        }
                    }
                });
            }
        });
        for (tmp, path) in files {
            put_in_place(tmp, &path)?;
        }
        Ok(())
    }
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

    #[test]
    fn a_batch_puts_every_file_in_place_at_the_end_or_none_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.txt"), dir.path().join("b.csv"));
        std::fs::write(&a, "old").unwrap();
        let files = Batch::default();
        files.write(&a, b"new a").unwrap();
        std::thread::scope(|s| s.spawn(|| files.write(&b, b"new b")).join().unwrap()).unwrap();
        // Nothing is in place before `finish`.
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "old");
        assert!(!b.exists());
        files.finish().unwrap();
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        // Written as atomic_write writes it: the CSV gets its byte order mark.
        assert_eq!(std::fs::read(&b).unwrap(), [UTF8_BOM, b"new b"].concat());
        // A batch dropped unfinished replaces nothing and leaves no temporary file behind.
        let failed = Batch::default();
        failed.write(&a, b"newer a").unwrap();
        drop(failed);
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "new a");
        let mut names: Vec<String> =
            std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["a.txt", "b.csv"]);
    }

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
