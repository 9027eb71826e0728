//! `meshsync merge`: shard folders of one sweep joined into one folder that
//! holds exactly what an unsharded sweep writes (its `provenance.json`
//! records the merge and each shard's own record). Shards merge only when
//! their manifests are equal: same scenario content, overrides, grid,
//! strategies, seeds and build.
//!
//! Imports: `output/` (atomic files, provenance, the folder's lock),
//! `experiments::aggregate` and the sweep's `spec`, `run` and `results`.

use super::results::finish;
use super::run::{check_folder, effective_path, run_path, write_manifest, write_run};
use super::spec::Manifest;
use super::SweepError;
use crate::experiments::aggregate::RunRecord;
use crate::experiments::Error;
use crate::output::{write_atomic, OutputLock, Provenance};
use std::path::{Path, PathBuf};

/// Merges shard folders into `out`: checks they hold the same sweep and,
/// together, every run; then writes exactly what an unsharded sweep writes.
/// `provenance` is the merge's own record; `order` the strategies'
/// registry order (the plots' line styles).
pub fn merge(
    dirs: &[PathBuf],
    out: &Path,
    provenance: Provenance,
    order: &[String],
) -> Result<usize, Error> {
    let m = common_manifest(dirs)?;
    let runs = gather_runs(dirs, &m, out)?;
    check_folder(out)?;
    let _lock = OutputLock::take(out)?;
    let effective = gather_effective(dirs, &m, out)?;
    write_manifest(out, &m, "in the shards")?;
    let shards: Vec<serde_json::Value> = dirs
        .iter()
        .map(|d| serde_json::json!({ "folder": d.display().to_string(), "provenance": Provenance::read(d) }))
        .collect();
    provenance.with("shards", shards).write(out)?;
    for (p, text) in effective.iter().enumerate() {
        write_atomic(&effective_path(out, p), text)?;
    }
    for r in &runs {
        write_run(out, r)?;
    }
    finish(out, &m, order)?;
    Ok(m.runs)
}

/// The manifest every shard folder holds (an error if they differ).
fn common_manifest(dirs: &[PathBuf]) -> Result<Manifest, SweepError> {
    let mut manifest: Option<(Manifest, String)> = None;
    for d in dirs {
        let p = d.join("sweep.json");
        let file = p.display().to_string();
        let text = std::fs::read_to_string(&p).map_err(|e| {
            SweepError::new(
                &file,
                "(root)",
                format!("cannot read the sweep manifest: {e}"),
            )
        })?;
        let m: Manifest = crate::sim::shape::parse_objects(&text).map_err(|e| {
            SweepError::new(
                &file,
                "(root)",
                format!("not a meshsync sweep manifest: {e}"),
            )
        })?;
        match &manifest {
            Some((first, from)) if first != &m => {
                let diff = m.differences(first, "here", &format!("in {from}"));
                return Err(SweepError::new(
                    &file,
                    "(root)",
                    format!(
                        "this shard belongs to a different sweep than {from}, and their runs must not mix ({})",
                        diff.join("; ")
                    ),
                ));
            }
            Some(_) => {}
            None => manifest = Some((m, d.display().to_string())),
        }
    }
    manifest
        .map(|(m, _)| m)
        .ok_or_else(|| SweepError::new("-", "(root)", "no shard folder given"))
}

/// Each point's effective scenario file, from the first folder that has
/// it (every shard writes them all).
fn gather_effective(
    dirs: &[PathBuf],
    m: &Manifest,
    out: &Path,
) -> Result<Vec<Vec<u8>>, SweepError> {
    (0..m.points.len())
        .map(|p| {
            dirs.iter()
                .find_map(|d| std::fs::read(effective_path(d, p)).ok())
                .ok_or_else(|| {
                    SweepError::new(
                        &out.display().to_string(),
                        "(root)",
                        format!(
                            "no shard folder holds {}: shards written before meshsync recorded effective scenarios cannot be merged; run them again",
                            effective_path(Path::new(""), p).display()
                        ),
                    )
                })
        })
        .collect()
}

/// Every run of the sweep, each from the first folder that has it (an
/// error naming the missing ones if some folder set lacks any).
fn gather_runs(dirs: &[PathBuf], m: &Manifest, out: &Path) -> Result<Vec<RunRecord>, SweepError> {
    let mut missing = Vec::new();
    let mut runs = Vec::with_capacity(m.runs);
    for i in 0..m.runs {
        let mut found = None;
        for d in dirs {
            if let Some(r) = read_run(d, i)? {
                found = Some(r);
                break;
            }
        }
        match found {
            Some(r) => runs.push(r),
            None => missing.push(i),
        }
    }
    if missing.is_empty() {
        return Ok(runs);
    }
    let shown: Vec<String> = missing.iter().take(10).map(|i| i.to_string()).collect();
    let first = missing[0];
    // The folder that should have held the first missing run, by the
    // shard its provenance.json records.
    let shards: Vec<(&PathBuf, (usize, usize))> = dirs
        .iter()
        .filter_map(|d| Some((d, shard_of(d)?)))
        .collect();
    let whose = match shards.iter().find(|(_, (k, n))| first % n == *k) {
        Some((d, (k, n))) => format!(
            "run {first} belongs to shard {k}/{n}, whose folder {} does not have it (stopped before it finished?): run that shard again, it resumes where it stopped",
            d.display()
        ),
        None => {
            let given: Vec<String> = shards
                .iter()
                .map(|(d, (k, n))| format!("{} is {k}/{n}", d.display()))
                .collect();
            format!(
                "run {first} is in none of the folders given ({}): give every shard's folder, or run the remaining shards first",
                if given.is_empty() { "none records its shard".to_string() } else { given.join(", ") }
            )
        }
    };
    Err(SweepError::new(
        &out.display().to_string(),
        "(root)",
        format!(
            "{} of {} runs are missing ({}): {whose}",
            missing.len(),
            m.runs,
            shown.join(", ")
        ),
    ))
}

/// The shard `I/N` a sweep folder's `provenance.json` records, if any.
fn shard_of(dir: &Path) -> Option<(usize, usize)> {
    let text = std::fs::read_to_string(dir.join("provenance.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    let (k, n) = v.get("shard")?.as_str()?.split_once('/')?;
    let (k, n): (usize, usize) = (k.parse().ok()?, n.parse().ok()?);
    (n > 0 && k < n).then_some((k, n))
}

/// Run `index` of shard folder `dir`: none when absent; an error naming
/// the file when it is not a whole run record (truncated, edited) or its
/// summary holds values no run has (a negative count, a ratio above 1).
fn read_run(dir: &Path, index: usize) -> Result<Option<RunRecord>, SweepError> {
    let path = run_path(dir, index);
    let file = path.display().to_string();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(SweepError::new(
                &file,
                "(root)",
                format!("cannot read: {e}"),
            ))
        }
    };
    let redo = "remove it and run that shard again";
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        SweepError::new(
            &file,
            "(root)",
            format!("not a whole run record (truncated or edited?): {e}; {redo}"),
        )
    })?;
    if let Some(summary) = value.get("summary") {
        check_values(&file, "summary", summary)?;
    }
    let r: RunRecord = crate::sim::shape::parse_objects(&text).map_err(|e| {
        SweepError::new(
            &file,
            "(root)",
            format!("not a meshsync run record: {e}; {redo}"),
        )
    })?;
    if r.index != index {
        return Err(SweepError::new(
            &file,
            "index",
            format!(
                "expected {index} (the file's name), got {}; {redo}",
                r.index
            ),
        ));
    }
    Ok(Some(r))
}

/// Every number under `v` (at JSON path `path`) is one a run can give:
/// finite and >= 0, and at most 1 for a ratio or probability.
fn check_values(file: &str, path: &str, v: &serde_json::Value) -> Result<(), SweepError> {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .try_for_each(|(k, x)| check_values(file, &format!("{path}.{k}"), x)),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .try_for_each(|(i, x)| check_values(file, &format!("{path}[{i}]"), x)),
        serde_json::Value::Number(n) => {
            let x = n.as_f64().unwrap_or(f64::NAN);
            let ratio = path.ends_with("_ratio") || path.ends_with("_prob");
            if !(x.is_finite() && x >= 0.0) || ratio && x > 1.0 {
                let expected = if ratio {
                    "a value in [0, 1]"
                } else {
                    "a value >= 0"
                };
                return Err(SweepError::new(
                    file,
                    path,
                    format!("expected {expected} (a run cannot give {n}: was the file edited?)"),
                ));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_summary_values_name_the_field() {
        let v = serde_json::json!({ "delivery_ratio": 7.5, "deliveries": 3 });
        let e = check_values("r.json", "summary", &v).unwrap_err();
        assert_eq!(e.path, "summary.delivery_ratio");
        let v = serde_json::json!({ "deliveries": -5, "bytes_by_record": { "MESSAGE": 2 } });
        let e = check_values("r.json", "summary", &v).unwrap_err();
        assert_eq!(e.path, "summary.deliveries");
        assert!(e.message.contains(">= 0"), "{e:?}");
        let ok = serde_json::json!({ "delivery_ratio": 1.0, "latency_mean_s": null, "x": [0, 2] });
        assert!(check_values("r.json", "summary", &ok).is_ok());
    }
}
