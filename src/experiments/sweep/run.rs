//! Running a sweep into a folder: `sweep.json` (the manifest, which must
//! match a folder's earlier one, field by field, or nothing is run), the
//! invocation's `provenance.json`, each point's effective scenario as
//! `effective-scenarios/<p>.json`, then each pending run of this shard, in
//! parallel, to `runs/<k>.json` as it finishes (a run already there is not
//! run again: that is resuming), with the `meshsync run` line that runs it
//! alone; when every run is present, the results.
//!
//! Imports: `engine/`, `output/`, `experiments::aggregate` and the sweep's
//! `spec`, `grid` and `results`.

use super::grid::Job;
use super::results::finish;
use super::spec::{Manifest, Sweep};
use super::SweepError;
use crate::engine::RunError;
use crate::experiments::aggregate::RunRecord;
use crate::experiments::progress::{run_watched, Progress};
use crate::experiments::Error;
use crate::output::provenance::command_line;
use crate::output::{write_atomic, OutputLock, Provenance};
use crate::sim::time::SimTime;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

impl Sweep {
    /// Runs the sweep (or one shard) into `dir`; returns how many runs were
    /// done now and whether the sweep is complete (then its files are
    /// written). `progress` is told how the pending runs go.
    pub fn run(
        &self,
        dir: &Path,
        shard: Option<(usize, usize)>,
        provenance: &Provenance,
        progress: &dyn Progress,
    ) -> Result<(usize, bool), Error> {
        check_folder(dir)?;
        let _lock = OutputLock::take(dir)?;
        write_manifest(dir, &self.manifest, "in the sweep file")?;
        provenance.write(dir)?;
        for (p, e) in self.effective.iter().enumerate() {
            let mut text = serde_json::to_string_pretty(e)?;
            text.push('\n');
            // A resumed sweep has them already: no rewrite (and no fsync).
            let path = effective_path(dir, p);
            if std::fs::read(&path).ok().as_deref() != Some(text.as_bytes()) {
                write_atomic(&path, text.as_bytes())?;
            }
        }
        let pending: Vec<Job> = self
            .jobs()
            .into_iter()
            .filter(|j| in_shard(j, shard))
            .filter(|j| load_run(dir, j.index).is_none())
            .collect();
        let simulated = pending.iter().fold(0u64, |t, j| {
            t.saturating_add(self.scenarios[j.point].duration.as_micros())
        });
        progress.begin(pending.len(), SimTime::from_micros(simulated));
        // One task per run (runs differ in length by orders of magnitude; a
        // coarser split leaves a core idle at the end).
        pending
            .par_iter()
            .with_max_len(1)
            .try_for_each(|j| -> Result<(), Error> {
                write_run(dir, &self.run_one(j, progress)?)?;
                Ok(())
            })?;
        let complete = finish(dir, &self.manifest, &self.registry.order())?;
        Ok((pending.len(), complete))
    }

    /// Runs `j`.
    fn run_one(&self, j: &Job, progress: &dyn Progress) -> Result<RunRecord, RunError> {
        let r = run_watched(
            &self.registry,
            &self.scenarios[j.point],
            &self.strategies[j.strategy],
            j.seed,
            progress,
        )?;
        Ok(RunRecord {
            index: j.index,
            point: j.point,
            params: self.params(j.point),
            strategy: self.manifest.strategies[j.strategy].clone(),
            seed: j.seed,
            reproduce: Some(command_line(&[
                "run",
                &effective_name(j.point),
                "--seed",
                &j.seed.to_string(),
                "--strategy",
                &self.strategies[j.strategy],
                "--out",
                &alone_name(&self.manifest.name, j.index),
            ])),
            summary: r.summary,
        })
    }

    /// Runs that are to be done by this shard.
    pub fn shard_len(&self, shard: Option<(usize, usize)>) -> usize {
        self.jobs().iter().filter(|j| in_shard(j, shard)).count()
    }
}

/// Whether shard `I/N` (all runs: none) does `j`.
fn in_shard(j: &Job, shard: Option<(usize, usize)>) -> bool {
    shard.is_none_or(|(i, n)| j.index % n == i)
}

/// `effective-scenarios/<p>.json`: point `p`'s effective scenario, relative
/// to the sweep folder.
/// Where run `index`'s "reproduce" line (run from the sweep folder) writes:
/// beside the sweep folder, `../<sweep>-run-<index>` (run's default,
/// `results/<scenario>`, would put a folder inside the sweep's, which the
/// sweep then refuses to resume).
fn alone_name(sweep: &str, index: usize) -> String {
    format!("../{sweep}-run-{index:06}")
}

fn effective_name(point: usize) -> String {
    format!("{EFFECTIVE_DIR}/{point:06}.json")
}

/// The folder of the points' effective scenarios.
pub(super) const EFFECTIVE_DIR: &str = "effective-scenarios";

pub(super) fn effective_path(dir: &Path, point: usize) -> PathBuf {
    dir.join(effective_name(point))
}

pub(super) fn run_path(dir: &Path, index: usize) -> PathBuf {
    dir.join("runs").join(format!("{index:06}.json"))
}

/// Writes `runs/<k>.json` of a finished run.
pub(super) fn write_run(dir: &Path, r: &RunRecord) -> Result<(), crate::output::Error> {
    let mut text = serde_json::to_string_pretty(r)?;
    text.push('\n');
    write_atomic(&run_path(dir, r.index), text.as_bytes())
}

/// Run `index` of the folder, if it is there and whole.
pub(super) fn load_run(dir: &Path, index: usize) -> Option<RunRecord> {
    let text = std::fs::read_to_string(run_path(dir, index)).ok()?;
    crate::sim::shape::parse_objects::<RunRecord>(&text)
        .ok()
        .filter(|r| r.index == index)
}

/// A sweep folder's own files and folders (`sweep_METRIC.png`/`.svg` and
/// `.meshsync-*.tmp`, a file being written, besides).
const SWEEP_FILES: [&str; 5] = [
    "sweep.json",
    "provenance.json",
    "runs.csv",
    "points.csv",
    "points.json",
];

/// `sweep` and `merge` write only into a folder that is absent, empty or
/// a sweep folder (it holds `sweep.json` and nothing a sweep does not
/// write): never into a run's or comparison's folder, or a user's.
pub(super) fn check_folder(dir: &Path) -> Result<(), SweepError> {
    let file = dir.display().to_string();
    let meta = match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(SweepError::new(
                &file,
                "(root)",
                format!("cannot use it: {e}"),
            ))
        }
        Ok(m) => m,
    };
    if !meta.is_dir() {
        return Err(SweepError::new(
            &file,
            "(root)",
            "exists and is not a folder: a sweep goes into a folder",
        ));
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| SweepError::new(&file, "(root)", format!("cannot read: {e}")))?;
    let mut names = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        let ours = if is_dir {
            name == "runs" || name == EFFECTIVE_DIR
        } else {
            SWEEP_FILES.contains(&name.as_str())
                || name.starts_with("sweep_") && (name.ends_with(".png") || name.ends_with(".svg"))
                || name.starts_with(".meshsync-") && name.ends_with(".tmp")
        };
        if !ours {
            return Err(SweepError::new(
                &file,
                "(root)",
                format!(
                    "holds {name}, which a sweep does not write: a sweep writes only into a new or empty folder or its own; choose another --out"
                ),
            ));
        }
        names.push(name);
    }
    if !names.is_empty() && !names.iter().any(|n| n == "sweep.json") {
        return Err(SweepError::new(
            &file,
            "(root)",
            "is not a sweep folder (no sweep.json) and not empty: choose another --out",
        ));
    }
    Ok(())
}

/// Writes `sweep.json`, or checks that the folder's is the same sweep
/// (`source` says where `m` comes from, in the error).
pub(super) fn write_manifest(dir: &Path, m: &Manifest, source: &str) -> Result<(), Error> {
    let path = dir.join("sweep.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let file = path.display().to_string();
        let old: Manifest = crate::sim::shape::parse_objects(&text).map_err(|e| {
            SweepError::new(
                &file,
                "(root)",
                format!("not a meshsync sweep manifest: {e}"),
            )
        })?;
        if &old != m {
            let diff = old.differences(m, "in the folder", source);
            return Err(SweepError::new(
                &file,
                "(root)",
                format!(
                    "this folder holds a different sweep, whose runs must not mix with this one's ({}); use another --out, or remove the folder to start again",
                    diff.join("; ")
                ),
            )
            .into());
        }
        return Ok(());
    }
    let mut text = serde_json::to_string_pretty(m)?;
    text.push('\n');
    Ok(write_atomic(&path, text.as_bytes())?)
}
