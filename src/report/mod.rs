//! Files and terminal output made from a [`Summary`]: `summary.json`, `targets.csv` and the
//! terminal table. Every file is written whole or not at all (temporary file, then rename).

pub mod assumptions;
pub mod export;
pub mod html;
pub mod table;
pub mod xlsx;

use std::io::Write;
use std::path::Path;

use anyhow::Context;

pub use export::{CsvExporter, Exporter, JsonExporter};

/// Write `bytes` to `path` atomically: into a temporary file in the same directory, then renamed
/// over `path`, so readers never see a half-written file even if the process dies.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create the folder {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    tmp.as_file().sync_all().ok();
    tmp.persist(path).map_err(|e| e.error).with_context(|| format!("cannot write {}", path.display()))?;
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
