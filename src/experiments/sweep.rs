//! `meshsync sweep` and `meshsync merge`: a grid of scenario overrides ×
//! strategies × seeds, run in parallel, resumable, shardable.
//!
//! A sweep file names a scenario, a grid of values for scenario fields by
//! JSON path (`churn.online_fraction`, `groups[0].rate_per_hour`), the
//! strategies and the number of seeds. Run `k` of the list (points ×
//! strategies × seeds, last fastest) is written to `runs/<k>.json` as soon as
//! it finishes (atomically), so a sweep started again skips finished runs,
//! and `--shard I/N` runs only the runs with `k % N == I`. When every run is
//! present the sweep writes `runs.csv` (one row per run), `points.csv` and
//! `points.json` (mean ± 95% CI per point and strategy) and plots; `merge`
//! does the same from shard folders and writes byte-identical files.
//! Results never depend on the thread count: runs are pure and everything
//! is assembled in run order.

use crate::engine::run_with;
use crate::experiments::aggregate::{
    aggregate_runs, flatten, Agg, AggCells, RunRecord, AGG_COLUMNS,
};
use crate::node::Strategy;
use crate::output::csv::{field, json_text, num, Table};
use crate::output::plot::{line_chart, LineChart, Series};
use crate::output::{write_atomic, write_atomic_with};
use crate::scenario::{Scenario, ScenarioError};
use anyhow::{Context, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// A bad sweep file or shard set (bad input: exit code 2).
#[derive(Debug, Error)]
#[error("{file}: {path}: {message}")]
pub struct SweepError {
    /// The file.
    pub file: String,
    /// JSON path in the sweep file (`(root)` for the whole file).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    name: String,
    scenario: String,
    grid: Map<String, Value>,
    #[serde(default)]
    strategies: Vec<String>,
    #[serde(default = "one")]
    seeds: u64,
    #[serde(default)]
    overrides: Map<String, Value>,
}

fn one() -> u64 {
    1
}

/// The identity of a sweep, written as `sweep.json` in every output folder
/// (shards must agree on it to be merged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Sweep name.
    pub name: String,
    /// Scenario name.
    pub scenario: String,
    /// FNV-1a of the scenario file's text.
    pub scenario_hash: String,
    /// Grid keys, in file order.
    pub keys: Vec<String>,
    /// The points: one value per key.
    pub points: Vec<Vec<Value>>,
    /// Strategies.
    pub strategies: Vec<String>,
    /// Seeds (the scenario's seed and the next ones).
    pub seeds: Vec<u64>,
    /// Number of runs.
    pub runs: usize,
}

/// A validated sweep: the manifest and each point's scenario.
pub struct Sweep {
    /// What it is.
    pub manifest: Manifest,
    scenarios: Vec<Scenario>,
    strategies: Vec<Strategy>,
}

/// One run to do.
#[derive(Clone, Copy, Debug)]
struct Job {
    index: usize,
    point: usize,
    strategy: usize,
    seed: u64,
}

fn err<T>(
    file: &str,
    path: impl Into<String>,
    message: impl Into<String>,
) -> Result<T, SweepError> {
    Err(SweepError {
        file: file.to_string(),
        path: path.into(),
        message: message.into(),
    })
}

/// Sets `value` at a dotted JSON `path` (`a.b[2].c`) in `doc`, creating
/// missing object keys; array indices must exist.
pub fn set_path(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let mut cur = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (pi, part) in parts.iter().enumerate() {
        let (key, indices) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (*part, ""),
        };
        if key.is_empty() {
            return Err(format!("empty key in path {path:?}"));
        }
        let last_part = pi + 1 == parts.len();
        let obj = cur
            .as_object_mut()
            .ok_or_else(|| format!("{key:?}: not inside an object"))?;
        if last_part && indices.is_empty() {
            obj.insert(key.to_string(), value);
            return Ok(());
        }
        cur = obj
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let mut rest = indices;
        while let Some(stripped) = rest.strip_prefix('[') {
            let close = stripped
                .find(']')
                .ok_or_else(|| format!("unclosed '[' in {path:?}"))?;
            let idx: usize = stripped[..close]
                .parse()
                .map_err(|_| format!("bad index {:?} in {path:?}", &stripped[..close]))?;
            rest = &stripped[close + 1..];
            let arr = cur
                .as_array_mut()
                .ok_or_else(|| format!("{key:?} is not a list"))?;
            let len = arr.len();
            cur = arr
                .get_mut(idx)
                .ok_or_else(|| format!("index {idx} out of range: {key:?} has {len} items"))?;
        }
        if !rest.is_empty() {
            return Err(format!("unexpected {rest:?} in {path:?}"));
        }
        if last_part {
            *cur = value;
            return Ok(());
        }
    }
    Ok(())
}

fn fnv_text(text: &str) -> String {
    let h = crate::sim::hash::fnv_str(text);
    format!("{h:016x}")
}

impl Sweep {
    /// Reads and validates a sweep file (and every point's scenario).
    pub fn load(path: &Path) -> Result<Sweep> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| SweepError {
            file: file.clone(),
            path: "(root)".into(),
            message: format!("cannot read the file: {e}"),
        })?;
        let de = &mut serde_json::Deserializer::from_str(&text);
        let raw: RawSweep = serde_path_to_error::deserialize(de).map_err(|e| SweepError {
            file: file.clone(),
            path: match e.path().to_string().as_str() {
                "." | "" => "(root)".into(),
                p => p.to_string(),
            },
            message: e.inner().to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        Ok(Sweep::build(raw, &file, base)?)
    }

    fn build(raw: RawSweep, file: &str, base: &Path) -> Result<Sweep, SweepError> {
        if raw.name.is_empty()
            || !raw
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return err(
                file,
                "name",
                format!(
                    "expected letters, digits, '-', '_' or '.', got {:?}",
                    raw.name
                ),
            );
        }
        if raw.grid.is_empty() {
            return err(file, "grid", "expected at least one parameter to vary");
        }
        if raw.seeds == 0 {
            return err(file, "seeds", "expected at least 1 seed");
        }
        let scenario_path = base.join(&raw.scenario);
        let scenario_file = scenario_path.display().to_string();
        let text = std::fs::read_to_string(&scenario_path).or_else(|e| {
            err(
                file,
                "scenario",
                format!("cannot read {scenario_file}: {e}"),
            )
        })?;
        let doc: Value = serde_json::from_str(&text).or_else(|e| {
            err(
                file,
                "scenario",
                format!("{scenario_file} is not valid JSON: {e}"),
            )
        })?;
        let mut values: Vec<(String, Vec<Value>)> = Vec::new();
        for (key, v) in &raw.grid {
            match v {
                Value::Array(a) if !a.is_empty() => values.push((key.clone(), a.clone())),
                Value::Array(_) => {
                    return err(
                        file,
                        format!("grid.{key:?}"),
                        "expected a non-empty list of values",
                    )
                }
                other => {
                    return err(
                        file,
                        format!("grid.{key:?}"),
                        format!("expected a list of values, got {other}"),
                    )
                }
            }
        }
        let points = cartesian(&values);
        let mut scenarios = Vec::with_capacity(points.len());
        for point in &points {
            let mut d = doc.clone();
            for (key, v) in &raw.overrides {
                set_path(&mut d, key, v.clone())
                    .or_else(|m| err(file, format!("overrides.{key:?}"), m))?;
            }
            for ((key, _), v) in values.iter().zip(point) {
                set_path(&mut d, key, v.clone())
                    .or_else(|m| err(file, format!("grid.{key:?}"), m))?;
            }
            let s = Scenario::from_value(d, &scenario_file).or_else(|e| {
                let at = values
                    .iter()
                    .zip(point)
                    .map(|((k, _), v)| format!("{k} = {v}"))
                    .collect::<Vec<_>>();
                let msg = match e {
                    ScenarioError::Invalid { path, message, .. } => format!("{path}: {message}"),
                    other => other.to_string(),
                };
                err(
                    file,
                    "grid",
                    format!("at {}: the scenario becomes invalid: {msg}", at.join(", ")),
                )
            })?;
            scenarios.push(s);
        }
        let strategies: Vec<Strategy> = if raw.strategies.is_empty() {
            vec![scenarios[0].strategy]
        } else {
            let mut out = Vec::new();
            for (i, s) in raw.strategies.iter().enumerate() {
                out.push(
                    s.parse()
                        .or_else(|m: String| err(file, format!("strategies[{i}]"), m))?,
                );
            }
            out
        };
        let first = scenarios[0].seed;
        let seeds: Vec<u64> = (0..raw.seeds).map(|k| first.wrapping_add(k)).collect();
        let manifest = Manifest {
            name: raw.name,
            scenario: scenarios[0].name.clone(),
            scenario_hash: fnv_text(&text),
            keys: values.iter().map(|(k, _)| k.clone()).collect(),
            runs: points.len() * strategies.len() * seeds.len(),
            points,
            strategies: strategies.iter().map(|s| s.name().to_string()).collect(),
            seeds,
        };
        Ok(Sweep {
            manifest,
            scenarios,
            strategies,
        })
    }

    fn jobs(&self) -> Vec<Job> {
        let m = &self.manifest;
        let mut out = Vec::with_capacity(m.runs);
        for point in 0..m.points.len() {
            for strategy in 0..m.strategies.len() {
                for &seed in &m.seeds {
                    out.push(Job {
                        index: out.len(),
                        point,
                        strategy,
                        seed,
                    });
                }
            }
        }
        out
    }

    /// Runs the sweep (or one shard) into `dir`; returns how many runs were
    /// done now and whether the sweep is complete (then its files are
    /// written). `progress` is told of each finished run.
    pub fn run(
        &self,
        dir: &Path,
        shard: Option<(usize, usize)>,
        progress: &(dyn Fn() + Sync),
    ) -> Result<(usize, bool)> {
        write_manifest(dir, &self.manifest)?;
        let pending: Vec<Job> = self
            .jobs()
            .into_iter()
            .filter(|j| shard.is_none_or(|(i, n)| j.index % n == i))
            .filter(|j| load_run(dir, j.index).is_none())
            .collect();
        // One task per run (runs differ in length by orders of magnitude; a
        // coarser split leaves a core idle at the end).
        pending
            .par_iter()
            .with_max_len(1)
            .try_for_each(|j| -> Result<()> {
                let r = run_with(
                    &self.scenarios[j.point],
                    self.strategies[j.strategy],
                    j.seed,
                );
                let record = RunRecord {
                    index: j.index,
                    point: j.point,
                    params: self.params(j.point),
                    strategy: self.manifest.strategies[j.strategy].clone(),
                    seed: j.seed,
                    summary: r.summary,
                };
                write_run(dir, &record)?;
                progress();
                Ok(())
            })?;
        let complete = finish(dir, &self.manifest)?;
        Ok((pending.len(), complete))
    }

    fn params(&self, point: usize) -> Map<String, Value> {
        self.manifest
            .keys
            .iter()
            .cloned()
            .zip(self.manifest.points[point].iter().cloned())
            .collect()
    }

    /// Runs that are to be done by this shard.
    pub fn shard_len(&self, shard: Option<(usize, usize)>) -> usize {
        self.jobs()
            .iter()
            .filter(|j| shard.is_none_or(|(i, n)| j.index % n == i))
            .count()
    }
}

fn cartesian(values: &[(String, Vec<Value>)]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = vec![Vec::new()];
    for (_, vs) in values {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                vs.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    out
}

fn run_path(dir: &Path, index: usize) -> PathBuf {
    dir.join("runs").join(format!("{index:06}.json"))
}

fn write_run(dir: &Path, r: &RunRecord) -> Result<()> {
    let mut text = serde_json::to_string_pretty(r)?;
    text.push('\n');
    write_atomic(&run_path(dir, r.index), text.as_bytes())
}

fn load_run(dir: &Path, index: usize) -> Option<RunRecord> {
    let text = std::fs::read_to_string(run_path(dir, index)).ok()?;
    serde_json::from_str::<RunRecord>(&text)
        .ok()
        .filter(|r| r.index == index)
}

fn write_manifest(dir: &Path, m: &Manifest) -> Result<()> {
    let path = dir.join("sweep.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let old: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a meshsync sweep manifest", path.display()))?;
        if &old != m {
            return Err(SweepError {
                file: path.display().to_string(),
                path: "(root)".into(),
                message: "this folder holds a different sweep (or the scenario changed); use another --out".into(),
            }
            .into());
        }
        return Ok(());
    }
    let mut text = serde_json::to_string_pretty(m)?;
    text.push('\n');
    write_atomic(&path, text.as_bytes())
}

/// Writes the sweep's tables and plots if every run is present.
fn finish(dir: &Path, m: &Manifest) -> Result<bool> {
    let runs: Option<Vec<RunRecord>> = (0..m.runs).map(|i| load_run(dir, i)).collect();
    let Some(runs) = runs else { return Ok(false) };
    write_atomic_with(&dir.join("runs.csv"), |w| write_runs_csv(w, m, &runs))?;
    let points = aggregate_points(m, &runs);
    let mut json = serde_json::to_string_pretty(&points)?;
    json.push('\n');
    write_atomic(&dir.join("points.json"), json.as_bytes())?;
    write_atomic_with(&dir.join("points.csv"), |w| write_points_csv(w, &points))?;
    plot_points(dir, &points)?;
    Ok(true)
}

/// Aggregates of one (point, strategy).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointAgg {
    /// Grid point.
    pub point: usize,
    /// Its parameter values.
    pub params: Map<String, Value>,
    /// Strategy.
    pub strategy: String,
    /// Metric aggregates over seeds.
    pub metrics: Vec<(String, Agg)>,
}

/// `points.json`: the sweep's aggregated results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Points {
    /// The sweep.
    pub manifest: Manifest,
    /// One entry per (point, strategy), in run order.
    pub points: Vec<PointAgg>,
}

fn aggregate_points(m: &Manifest, runs: &[RunRecord]) -> Points {
    let mut points = Vec::new();
    for (p, values) in m.points.iter().enumerate() {
        for s in &m.strategies {
            let mine: Vec<&RunRecord> = runs
                .iter()
                .filter(|r| r.point == p && &r.strategy == s)
                .collect();
            points.push(PointAgg {
                point: p,
                params: m.keys.iter().cloned().zip(values.iter().cloned()).collect(),
                strategy: s.clone(),
                metrics: aggregate_runs(&mine),
            });
        }
    }
    Points {
        manifest: m.clone(),
        points,
    }
}

/// One row of `runs.csv`.
#[derive(Serialize)]
struct RunCsvRow<'a> {
    index: usize,
    point: usize,
    params: Vec<String>,
    strategy: &'a str,
    seed: u64,
    metrics: Vec<String>,
}

/// Writes `runs.csv`: one row per run, every metric a column.
fn write_runs_csv(
    w: &mut dyn std::io::Write,
    m: &Manifest,
    runs: &[RunRecord],
) -> std::io::Result<()> {
    let metric_names: Vec<String> = crate::experiments::compare::metric_rows(&m.strategies, runs)
        .into_iter()
        .map(|r| r.metric)
        .collect();
    let header = ["index", "point"]
        .iter()
        .map(|x| x.to_string())
        .chain(m.keys.iter().cloned())
        .chain(["strategy".to_string(), "seed".to_string()])
        .chain(metric_names.iter().cloned());
    let mut t = Table::new(w, header)?;
    for r in runs {
        let flat = flatten(&r.summary);
        let metrics = metric_names
            .iter()
            .map(|name| num(flat.iter().find(|(k, _)| k == name).and_then(|(_, v)| *v)));
        t.row(&RunCsvRow {
            index: r.index,
            point: r.point,
            params: m.points[r.point].iter().map(json_text).collect(),
            strategy: &r.strategy,
            seed: r.seed,
            metrics: metrics.collect(),
        })?;
    }
    t.finish()
}

/// One row of `points.csv`.
#[derive(Serialize)]
struct PointCsvRow<'a> {
    point: usize,
    params: &'a [String],
    strategy: &'a str,
    metric: &'a str,
    agg: AggCells,
}

/// Writes `points.csv`: one row per (point, strategy, metric).
fn write_points_csv(w: &mut dyn std::io::Write, points: &Points) -> std::io::Result<()> {
    let m = &points.manifest;
    let header = std::iter::once("point")
        .chain(m.keys.iter().map(String::as_str))
        .chain(["strategy", "metric"])
        .chain(AGG_COLUMNS);
    let mut t = Table::new(w, header)?;
    for p in &points.points {
        let params: Vec<String> = m.points[p.point].iter().map(json_text).collect();
        for (metric, a) in &p.metrics {
            t.row(&PointCsvRow {
                point: p.point,
                params: &params,
                strategy: &p.strategy,
                metric,
                agg: a.into(),
            })?;
        }
    }
    t.finish()
}

/// Metrics plotted against the first grid parameter.
pub const PLOTTED: [(&str, &str); 4] = [
    ("delivery_ratio", "delivery ratio"),
    ("latency_p90_s", "p90 latency (s)"),
    ("bytes_per_delivery", "bytes per delivery"),
    ("latency_mean_s", "mean latency (s)"),
];

/// One chart per plotted metric: x = the first grid parameter, a line per
/// strategy (and per value of the other parameters), 95% CI bands.
pub fn plot_points(dir: &Path, points: &Points) -> Result<()> {
    let m = &points.manifest;
    let numeric = m.points.iter().all(|p| p[0].is_number());
    let x_of = |p: usize| -> f64 {
        if numeric {
            m.points[p][0].as_f64().unwrap_or(0.0)
        } else {
            m.points
                .iter()
                .position(|q| q[0] == m.points[p][0])
                .unwrap_or(0) as f64
        }
    };
    for (metric, label) in PLOTTED {
        let mut series: Vec<Series> = Vec::new();
        for pa in &points.points {
            let rest: Vec<String> = m
                .keys
                .iter()
                .skip(1)
                .map(|k| format!("{k}={}", field(&json_text(&pa.params[k]))))
                .collect();
            let name = std::iter::once(pa.strategy.clone())
                .chain(rest)
                .collect::<Vec<_>>()
                .join(", ");
            let Some((_, a)) = pa.metrics.iter().find(|(k, _)| k == metric) else {
                continue;
            };
            let Some(mean) = a.mean else { continue };
            let x = x_of(pa.point);
            let idx = match series.iter().position(|s| s.label == name) {
                Some(i) => i,
                None => {
                    series.push(Series {
                        label: name,
                        ..Series::default()
                    });
                    series.len() - 1
                }
            };
            let ci = a.ci95.unwrap_or(0.0);
            series[idx].points.push((x, mean));
            series[idx].band.push((x, mean - ci, mean + ci));
        }
        for s in &mut series {
            s.points.sort_by(|a, b| a.0.total_cmp(&b.0));
            s.band.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        let chart = LineChart {
            title: format!("{}: {label} vs {}", m.name, m.keys[0]),
            x_label: m.keys[0].clone(),
            y_label: format!("{label}, mean ± 95% CI over {} seeds", m.seeds.len()),
            series,
            ..LineChart::default()
        };
        line_chart(&dir.join(format!("sweep_{metric}")), &chart)?;
    }
    Ok(())
}

/// Merges shard folders into `out`: checks they hold the same sweep and,
/// together, every run; then writes exactly what an unsharded sweep writes.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<usize> {
    let mut manifest: Option<Manifest> = None;
    for d in dirs {
        let p = d.join("sweep.json");
        let text = std::fs::read_to_string(&p).map_err(|e| SweepError {
            file: p.display().to_string(),
            path: "(root)".into(),
            message: format!("cannot read the sweep manifest: {e}"),
        })?;
        let m: Manifest = serde_json::from_str(&text).map_err(|e| SweepError {
            file: p.display().to_string(),
            path: "(root)".into(),
            message: format!("not a meshsync sweep manifest: {e}"),
        })?;
        match &manifest {
            Some(first) if first != &m => {
                return Err(SweepError {
                    file: p.display().to_string(),
                    path: "(root)".into(),
                    message: "this shard belongs to a different sweep".into(),
                }
                .into())
            }
            _ => manifest = Some(m),
        }
    }
    let Some(m) = manifest else {
        return Err(SweepError {
            file: "-".into(),
            path: "(root)".into(),
            message: "no shard folder given".into(),
        }
        .into());
    };
    let mut missing = Vec::new();
    let mut runs = Vec::with_capacity(m.runs);
    for i in 0..m.runs {
        match dirs.iter().find_map(|d| load_run(d, i)) {
            Some(r) => runs.push(r),
            None => missing.push(i),
        }
    }
    if !missing.is_empty() {
        let shown: Vec<String> = missing.iter().take(10).map(|i| i.to_string()).collect();
        return Err(SweepError {
            file: out.display().to_string(),
            path: "(root)".into(),
            message: format!(
                "{} of {} runs are missing (first: {}); run the remaining shards first",
                missing.len(),
                m.runs,
                shown.join(", ")
            ),
        }
        .into());
    }
    write_manifest(out, &m)?;
    for r in &runs {
        write_run(out, r)?;
    }
    finish(out, &m)?;
    Ok(m.runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn set_path_walks_objects_and_lists() {
        let mut d = json!({"a": {"b": 1}, "l": [{"x": 1}, {"x": 2}]});
        set_path(&mut d, "a.b", json!(5)).unwrap();
        set_path(&mut d, "l[1].x", json!(7)).unwrap();
        set_path(&mut d, "new.deep", json!(true)).unwrap();
        assert_eq!(
            d,
            json!({"a": {"b": 5}, "l": [{"x": 1}, {"x": 7}], "new": {"deep": true}})
        );
        assert!(set_path(&mut d, "l[5].x", json!(1))
            .unwrap_err()
            .contains("out of range"));
        assert!(set_path(&mut d, "a.b.c", json!(1)).is_err());
    }

    #[test]
    fn cartesian_last_key_fastest() {
        let v = vec![
            ("a".to_string(), vec![json!(1), json!(2)]),
            ("b".to_string(), vec![json!("x"), json!("y")]),
        ];
        let c = cartesian(&v);
        assert_eq!(
            c,
            vec![
                vec![json!(1), json!("x")],
                vec![json!(1), json!("y")],
                vec![json!(2), json!("x")],
                vec![json!(2), json!("y")]
            ]
        );
    }
}
