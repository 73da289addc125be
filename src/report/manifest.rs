//! What feasim wrote into an output folder, so that nothing it wrote is left behind by mistake.
//!
//! - **Temporary files** are named `.feasim-tmp-<pid>-…`; the first write into a folder removes
//!   those whose process is gone (a run killed with `kill -9` while writing), never those of a
//!   process still running.
//! - **A manifest**, `.feasim-manifest.json` in the output folder, lists per command (`run`,
//!   `sensitivity`, …) the files that command wrote there last time. When the same command writes
//!   into the folder again, the files it wrote before and not this time (the charts of a target
//!   since removed from the scenario, say) are removed. Only files listed by feasim's own manifest
//!   are ever removed — never a file of the user's, and never another command's outputs.

use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;

/// Name of the manifest in an output folder.
pub const MANIFEST: &str = ".feasim-manifest.json";

/// Prefix of feasim's temporary files; the process id follows.
pub const TEMP_PREFIX: &str = ".feasim-tmp-";

/// Largest manifest read back (a run of 10 000 targets lists about 1 MB of names).
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// Every file written by this process, in order.
static WRITTEN: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Folders whose stale temporary files this process has already removed.
static SWEPT: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// The prefix of this process's temporary files.
pub fn temp_prefix() -> String {
    format!("{TEMP_PREFIX}{}-", std::process::id())
}

/// Note that `path` was written (called by [`super::atomic_write`]).
pub(crate) fn record(path: &Path) {
    WRITTEN.lock().unwrap_or_else(|e| e.into_inner()).push(path.to_path_buf());
}

/// Once per folder and process: remove the temporary files of feasim processes that no longer run.
pub(crate) fn sweep_temporaries(dir: &Path) {
    {
        let mut swept = SWEPT.lock().unwrap_or_else(|e| e.into_inner());
        if !swept.get_or_insert_with(HashSet::new).insert(dir.to_path_buf()) {
            return;
        }
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(TEMP_PREFIX)) else { continue };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { continue };
        if pid != std::process::id() && !process_alive(pid) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether process `pid` still runs. Where this cannot be known (no `/proc`), it is assumed to,
/// so a file that may still be written is never removed.
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return true;
    }
    proc.join(pid.to_string()).exists()
}

/// At the end of a successful `command` writing into `dir`: remove the files that the same command
/// wrote there last time and not this time, and record what it wrote now. Returns the files removed.
pub fn finish(dir: &Path, command: &str) -> anyhow::Result<Vec<PathBuf>> {
    let now: Vec<String> = {
        let written = WRITTEN.lock().unwrap_or_else(|e| e.into_inner());
        let mut now: Vec<String> = written
            .iter()
            .filter_map(|p| p.strip_prefix(dir).ok())
            .filter(|rel| is_plain_relative(rel) && rel != &Path::new(MANIFEST))
            .filter_map(|rel| rel.to_str().map(str::to_string))
            .collect();
        now.sort();
        now.dedup();
        now
    };
    let manifest_path = dir.join(MANIFEST);
    let mut manifest = read_manifest(&manifest_path);
    let kept: HashSet<&str> = now.iter().map(String::as_str).collect();
    let mut removed = Vec::new();
    for rel in manifest.get(command).into_iter().flatten() {
        let rel_path = Path::new(rel);
        if kept.contains(rel.as_str()) || !is_plain_relative(rel_path) {
            continue;
        }
        let path = dir.join(rel_path);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove the stale output {}", path.display()))?;
            removed.push(path);
        }
    }
    manifest.insert(command.to_string(), now);
    let text = serde_json::to_string_pretty(&manifest).context("cannot format the output manifest")?;
    super::atomic_write(&manifest_path, text.as_bytes())?;
    Ok(removed)
}

/// The manifest's lists by command; empty when there is none or it is not feasim's.
fn read_manifest(path: &Path) -> BTreeMap<String, Vec<String>> {
    let fits = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.len() <= MAX_MANIFEST_BYTES);
    if !fits {
        return BTreeMap::new();
    }
    std::fs::read_to_string(path).ok().and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default()
}

/// A path below a folder: relative, with no `..`, root or prefix components.
fn is_plain_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rerun_removes_only_its_own_stale_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let write = |rel: &str| super::super::atomic_write(&d.join(rel), b"x").unwrap();
        // First run: two charts and a summary; a sensitivity run into the same folder; a user file.
        write("summary.json");
        write("charts/a.png");
        write("charts/b.png");
        finish(d, "run").unwrap();
        write("sensitivity.json");
        finish(d, "sensitivity").unwrap();
        std::fs::write(d.join("charts/mine.png"), b"user").unwrap();
        std::fs::write(d.join("notes.txt"), b"user").unwrap();
        // The second run no longer draws b.png: it alone is removed.
        WRITTEN.lock().unwrap().clear();
        write("summary.json");
        write("charts/a.png");
        let removed = finish(d, "run").unwrap();
        assert_eq!(removed, vec![d.join("charts/b.png")]);
        for kept in ["summary.json", "charts/a.png", "sensitivity.json", "charts/mine.png", "notes.txt"] {
            assert!(d.join(kept).exists(), "{kept} kept");
        }
        // A manifest that names paths outside the folder is never followed.
        let outside = tempfile::NamedTempFile::new().unwrap();
        let hostile = format!(r#"{{"run": ["../{}", "/etc/hostname"]}}"#, outside.path().display());
        std::fs::write(d.join(MANIFEST), hostile).unwrap();
        WRITTEN.lock().unwrap().clear();
        assert!(finish(d, "run").unwrap().is_empty());
        assert!(outside.path().exists());
    }

    #[test]
    fn temporaries_of_dead_processes_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // A pid that cannot run (beyond the kernel's pid_max), and this process's own.
        let dead = d.join(format!("{TEMP_PREFIX}4294967290-abc"));
        let live = d.join(format!("{}xyz", temp_prefix()));
        let other = d.join(".tmp-not-feasim");
        for f in [&dead, &live, &other] {
            std::fs::write(f, b"partial").unwrap();
        }
        sweep_temporaries(d);
        assert_eq!(dead.exists(), !Path::new("/proc/self").exists());
        assert!(live.exists() && other.exists());
    }
}
