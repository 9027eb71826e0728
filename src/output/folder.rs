//! A result folder written as a whole set: the files go into a hidden
//! staging folder beside the target, which is swapped in only once every
//! file is written. A run that dies (kill -9, full disk) leaves the old set
//! or the new one, never a mix; the next run removes what it left behind.
//!
//! The target is checked before any work: it must be absent, or a folder
//! holding only the files a run or a comparison writes, and its parent
//! must be writable. Failures are [`OutputError`]s (exit code 2)
//! naming the path.
//!
//! Two meshsync processes never write the same target at once: each holds
//! an exclusive lock ([`OutputLock`], an OS file lock on `.NAME.meshsync.lock`
//! beside the target, released when the process ends however it ends)
//! while it writes; the second is refused at once. Without it, the second
//! would remove the first one's staging folder as stale. The lock file is
//! removed when the lock is released (a refused or finished command leaves
//! none); a process that took it checks, once locked, that the file it
//! locked is still the one at that path, and tries again if not, so
//! removing it never lets two writers in.
//!
//! Imports: `output::error`.

use std::path::{Path, PathBuf};
use thiserror::Error;

/// The output folder cannot take the results.
#[derive(Debug, Error)]
#[error("{path}: {message}")]
pub struct OutputError {
    /// The file or folder at fault.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn fail<T>(path: &Path, message: impl Into<String>) -> Result<T, OutputError> {
    Err(OutputError {
        path: path.display().to_string(),
        message: message.into(),
    })
}

/// A result set being written; [`ResultSet::commit`] swaps it in, dropping
/// it uncommitted removes it.
#[derive(Debug)]
pub struct ResultSet {
    target: PathBuf,
    staging: Option<tempfile::TempDir>,
    _lock: OutputLock,
}

/// The exclusive right to write one result folder, held until dropped.
#[derive(Debug)]
pub struct OutputLock {
    file: std::fs::File,
    path: PathBuf,
}

impl Drop for OutputLock {
    /// Removes the lock file while still holding the lock.
    fn drop(&mut self) {
        if same_file(&self.file, &self.path) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// True when `path` is the file `file` has open.
#[cfg(unix)]
fn same_file(file: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_: &std::fs::File, path: &Path) -> bool {
    path.exists()
}

impl OutputLock {
    /// Takes the lock of `target` (a folder, present or not) or refuses at
    /// once, naming the folder, when another process holds it.
    pub fn take(target: &Path) -> Result<OutputLock, OutputError> {
        let parent = parent_of(target);
        std::fs::create_dir_all(parent)
            .or_else(|e| fail(parent, format!("cannot create the folder: {e}")))?;
        let name = target
            .file_name()
            .map_or("out".into(), |n| n.to_string_lossy().into_owned());
        let path = parent.join(format!(".{name}.meshsync.lock"));
        loop {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .or_else(|e| fail(&path, format!("cannot create the lock file: {e}")))?;
            match file.try_lock() {
                // The holder removed it between our open and lock: again.
                Ok(()) if !same_file(&file, &path) => continue,
                Ok(()) => return Ok(OutputLock { file, path }),
                Err(std::fs::TryLockError::WouldBlock) => {
                    return fail(
                        target,
                        format!(
                            "another meshsync is writing results here (it holds {}); wait for it to finish or choose another --out",
                            path.display()
                        ),
                    )
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return fail(&path, format!("cannot lock the output folder: {e}"))
                }
            }
        }
    }
}

/// The files `run` and `compare` write into a result folder: a folder
/// holding anything else is not replaced (a folder of the user's own JSON
/// files must never be taken for an old result). A new result file must be
/// added here.
const RESULT_FILES: [&str; 19] = [
    "provenance.json",
    "effective-scenario.json",
    "summary.json",
    "nodes.csv",
    "deliveries.csv",
    "MessageStatsReport.txt",
    "comparison.json",
    "comparison.csv",
    "runs.csv",
    "latency_cdf.png",
    "latency_cdf.svg",
    "deliveries_over_time.png",
    "deliveries_over_time.svg",
    "bytes_by_record.png",
    "bytes_by_record.svg",
    "bytes_by_role.png",
    "bytes_by_role.svg",
    "exposure.png",
    "exposure.svg",
];

impl ResultSet {
    /// Checks `target` can take a result set and opens a staging folder
    /// beside it, after removing staging folders a killed run left there.
    pub fn begin(target: &Path) -> Result<ResultSet, OutputError> {
        check_target(target)?;
        let lock = OutputLock::take(target)?;
        let parent = parent_of(target);
        let prefix = staging_prefix(target);
        restore_swapped_out(target, parent, &prefix)?;
        remove_stale(parent, &prefix);
        clean_orphans(parent, &prefix);
        let staging = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(parent)
            .or_else(|e| fail(parent, format!("cannot write into the folder: {e}")))?;
        Ok(ResultSet {
            target: target.to_path_buf(),
            staging: Some(staging),
            _lock: lock,
        })
    }

    /// The folder to write the files into.
    pub fn dir(&self) -> &Path {
        self.staging.as_ref().expect("open until committed").path()
    }

    /// Runs `write` on the staging folder, then swaps the set in; a
    /// failure names the target and what went wrong.
    pub fn write_with<E: Into<super::error::Cause>>(
        self,
        write: impl FnOnce(&Path) -> Result<(), E>,
    ) -> Result<(), OutputError> {
        if let Err(e) = write(self.dir()) {
            let e = super::error::chain(&*e.into());
            return fail(&self.target, format!("cannot write the results: {e}"));
        }
        self.commit()
    }

    /// Replaces the target with the written set.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let staging = self.staging.take().expect("committed once").keep();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // Staging folders are private (0700); a result folder is not.
            let _ = std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o755));
        }
        let old = self.target.exists().then(|| {
            let mut o = staging.clone().into_os_string();
            o.push("-old");
            PathBuf::from(o)
        });
        if let Some(old) = &old {
            std::fs::rename(&self.target, old)
                .or_else(|e| fail(&self.target, format!("cannot replace the folder: {e}")))?;
        }
        std::fs::rename(&staging, &self.target)
            .or_else(|e| fail(&self.target, format!("cannot move the results in: {e}")))?;
        if let Some(old) = old {
            let _ = std::fs::remove_dir_all(old);
        }
        Ok(())
    }
}

fn parent_of(target: &Path) -> &Path {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `.NAME.meshsync-`: staging folders of `target` start with this.
fn staging_prefix(target: &Path) -> String {
    let name = target
        .file_name()
        .map_or("out".into(), |n| n.to_string_lossy().into_owned());
    format!(".{name}.meshsync-")
}

/// A run killed between the two renames of [`ResultSet::commit`] left the
/// target absent and the old set in a `…-old` folder: put it back.
fn restore_swapped_out(target: &Path, parent: &Path, prefix: &str) -> Result<(), OutputError> {
    if target.exists() {
        return Ok(());
    }
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(prefix) && name.ends_with("-old") && e.path().is_dir() {
            return std::fs::rename(e.path(), target).or_else(|err| {
                fail(
                    target,
                    format!("cannot restore the previous results: {err}"),
                )
            });
        }
    }
    Ok(())
}

/// Removes staging folders (and half-swapped old sets) a killed run left.
fn remove_stale(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

/// Staging folders that killed runs into other targets of `parent` left
/// (a target never written again would keep them for ever): each is
/// removed, or its old set put back, once that target's lock is free.
fn clean_orphans(parent: &Path, own_prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let mut targets = std::collections::BTreeSet::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with(own_prefix) || !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if let Some(i) = name.find(".meshsync-") {
            if name.starts_with('.') && i > 1 {
                targets.insert(name[1..i].to_string());
            }
        }
    }
    for t in targets {
        let target = parent.join(&t);
        let Ok(_lock) = OutputLock::take(&target) else {
            continue;
        };
        let prefix = staging_prefix(&target);
        if restore_swapped_out(&target, parent, &prefix).is_ok() {
            remove_stale(parent, &prefix);
        }
    }
}

/// The target is absent, or a folder of result files only.
fn check_target(target: &Path) -> Result<(), OutputError> {
    if target.as_os_str().is_empty() || target.file_name().is_none() {
        return fail(target, "expected a folder name for the results");
    }
    let meta = match std::fs::symlink_metadata(target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return fail(target, format!("cannot use it: {e}")),
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return fail(
            target,
            "exists and is not a folder: results go into a folder",
        );
    }
    let entries =
        std::fs::read_dir(target).or_else(|e| fail(target, format!("cannot read: {e}")))?;
    for e in entries.flatten() {
        let p = e.path();
        let is_result = e.file_type().is_ok_and(|t| t.is_file())
            && p.file_name()
                .and_then(|x| x.to_str())
                .is_some_and(|x| RESULT_FILES.contains(&x));
        if !is_result {
            return fail(
                target,
                format!(
                    "holds {}, which meshsync did not write; results replace the whole folder, so choose a new or empty one",
                    e.file_name().to_string_lossy()
                ),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The entries of `dir`, but for lock files.
    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| !n.ends_with(".meshsync.lock"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_set_replaces_the_old_one_whole() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        for (i, files) in [vec!["summary.json", "deliveries.csv"], vec!["summary.json"]]
            .iter()
            .enumerate()
        {
            let set = ResultSet::begin(&target).unwrap();
            for f in files {
                std::fs::write(set.dir().join(f), format!("{i}")).unwrap();
            }
            set.commit().unwrap();
        }
        assert_eq!(
            names(&target),
            vec!["summary.json"],
            "no file of the old set stays"
        );
        assert_eq!(
            std::fs::read_to_string(target.join("summary.json")).unwrap(),
            "1"
        );
        assert_eq!(names(root.path()), vec!["out"], "no staging folder left");
    }

    #[test]
    fn an_uncommitted_set_leaves_the_old_one() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let set = ResultSet::begin(&target).unwrap();
        std::fs::write(set.dir().join("summary.json"), "old").unwrap();
        set.commit().unwrap();
        let set = ResultSet::begin(&target).unwrap();
        std::fs::write(set.dir().join("summary.json"), "new").unwrap();
        drop(set);
        assert_eq!(
            std::fs::read_to_string(target.join("summary.json")).unwrap(),
            "old"
        );
        assert_eq!(names(root.path()), vec!["out"]);
    }

    #[test]
    fn an_old_set_swapped_out_by_a_killed_run_is_restored() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join(".out.meshsync-dead-old");
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("summary.json"), "old").unwrap();
        let target = root.path().join("out");
        let set = ResultSet::begin(&target).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("summary.json")).unwrap(),
            "old"
        );
        drop(set);
        assert_eq!(names(root.path()), vec!["out"]);
    }

    #[test]
    fn stale_staging_folders_are_removed() {
        let root = tempfile::tempdir().unwrap();
        let stale = root.path().join(".out.meshsync-dead");
        std::fs::create_dir(&stale).unwrap();
        std::fs::write(stale.join("summary.json"), "{}").unwrap();
        let set = ResultSet::begin(&root.path().join("out")).unwrap();
        assert!(!stale.exists());
        set.commit().unwrap();
        assert_eq!(names(root.path()), vec!["out"]);
    }

    #[test]
    fn staging_folders_of_other_targets_are_cleaned_and_lock_files_go() {
        let root = tempfile::tempdir().unwrap();
        // A run into `gone` killed, and `gone` never written again.
        let orphan = root.path().join(".gone.meshsync-dead");
        std::fs::create_dir(&orphan).unwrap();
        let busy = root.path().join("busy");
        let held = OutputLock::take(&busy).unwrap();
        let busy_staging = root.path().join(".busy.meshsync-live");
        std::fs::create_dir(&busy_staging).unwrap();
        ResultSet::begin(&root.path().join("out"))
            .unwrap()
            .commit()
            .unwrap();
        assert!(!orphan.exists(), "an orphan staging folder is removed");
        assert!(busy_staging.exists(), "a folder being written is left");
        drop(held);
        let all: Vec<String> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".lock"))
            .collect();
        assert!(all.is_empty(), "no lock file stays: {all:?}");
    }

    #[test]
    fn a_folder_being_written_is_refused_to_a_second_writer() {
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("out");
        let first = ResultSet::begin(&target).unwrap();
        let e = ResultSet::begin(&target).unwrap_err();
        assert!(e.message.contains("another meshsync is writing"), "{e}");
        assert!(first.dir().exists(), "the first one's staging stays");
        std::fs::write(first.dir().join("summary.json"), "1").unwrap();
        first.commit().unwrap();
        // Released: the next writer gets in; another folder never waited.
        let other = ResultSet::begin(&root.path().join("other")).unwrap();
        ResultSet::begin(&target).unwrap().commit().unwrap();
        drop(other);
    }

    #[test]
    fn targets_that_cannot_take_results_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("f.json");
        std::fs::write(&file, "{}").unwrap();
        let e = ResultSet::begin(&file).unwrap_err();
        assert!(e.message.contains("is not a folder"), "{e}");
        let mine = root.path().join("mine");
        std::fs::create_dir(&mine).unwrap();
        std::fs::write(mine.join("notes.txt"), "keep").unwrap();
        let e = ResultSet::begin(&mine).unwrap_err();
        assert!(e.message.contains("holds notes.txt"), "{e}");
        // A folder of the user's own scenario files is not a result.
        let scenarios = root.path().join("scenarios");
        std::fs::create_dir(&scenarios).unwrap();
        std::fs::write(scenarios.join("mine.json"), "{}").unwrap();
        let e = ResultSet::begin(&scenarios).unwrap_err();
        assert!(e.message.contains("holds mine.json"), "{e}");
        assert!(scenarios.join("mine.json").exists());
        for name in [".", "..", "/"] {
            assert!(ResultSet::begin(Path::new(name)).is_err(), "{name}");
        }
        let e = ResultSet::begin(Path::new("/dev/null")).unwrap_err();
        assert!(e.message.contains("is not a folder"), "{e}");
    }
}
