//! The sweep file: JSON in, a validated [`Sweep`] out (its [`Manifest`],
//! one scenario per grid point, the strategies). Errors name the file and
//! the JSON path in it.
//!
//! Imports: `sim/` (hashing), `scenario/`, `node/` (strategies), `output/`
//! (the build's name) and the sweep's `grid`.

use super::grid;
use super::{err, SweepError};
use crate::engine::Registry;
use crate::scenario::Scenario;
use crate::sim::input::{read_text, MAX_JSON_BYTES};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;

/// A sweep file: one scenario, a grid of overrides, strategies and seeds
/// (`meshsync schema sweep` prints its JSON Schema, derived from this type).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "meshsync sweep")]
struct RawSweep {
    /// Sweep name (letters, digits, `-`, `_`, `.`); results go to
    /// `results/<name>/` by default.
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]+$"))]
    name: String,
    /// The scenario file, relative to the sweep file.
    scenario: String,
    /// The parameters to vary: a scenario JSON path (`churn.online_fraction`,
    /// `groups[0].rate_per_hour`) to a list of values, or to one value (not
    /// a list: a list-valued parameter is given as a list of lists); the
    /// runs cover every combination.
    #[schemars(length(min = 1))]
    grid: Map<String, Value>,
    /// Strategies run at every point (default: the scenario's `strategy`).
    #[serde(default)]
    strategies: Vec<String>,
    /// Seeds per (point, strategy): the scenario's seed and the next ones
    /// (default 1).
    #[serde(default = "one")]
    #[schemars(range(min = 1, max = MAX_SEEDS))]
    seeds: u64,
    /// Overrides applied at every point before the grid's, by JSON path.
    #[serde(default)]
    overrides: Map<String, Value>,
    /// The JSON Schema this file follows (editors use it; meshsync ignores
    /// it), e.g. `../schema/sweep.schema.json` in `scenarios/sweeps/`.
    #[serde(rename = "$schema", default)]
    #[allow(dead_code)]
    schema: Option<String>,
}

/// The sweep file's JSON Schema (draft 2020-12); `strategies` lists
/// `registry`'s names.
pub fn sweep_schema(registry: &Registry) -> Value {
    let mut schema = schemars::schema_for!(RawSweep).to_value();
    if let Some(Value::Object(items)) = schema.pointer_mut("/properties/strategies/items") {
        items.insert("enum".into(), Value::from(registry.names()));
    }
    schema
}

fn one() -> u64 {
    1
}

/// The identity of a sweep, written as `sweep.json` in every output folder:
/// everything that changes a result. A folder is resumed, and shards are
/// merged, only when their manifests are equal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Sweep name.
    pub name: String,
    /// Scenario name.
    pub scenario: String,
    /// FNV-1a of the scenario file's text.
    pub scenario_hash: String,
    /// The build that ran it: `0.1.0 (git <commit>)` (absent in folders
    /// written before meshsync recorded it).
    #[serde(default)]
    pub meshsync: String,
    /// The sweep file's `overrides`.
    #[serde(default)]
    pub overrides: Map<String, Value>,
    /// SHA-256 of the points' effective scenarios (every default filled
    /// in, trace files by content): the worlds the runs simulate.
    #[serde(default)]
    pub effective_hash: String,
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
    pub(super) scenarios: Vec<Scenario>,
    /// Each point's effective scenario (written to `effective-scenarios/`).
    pub(super) effective: Vec<Value>,
    pub(super) strategies: Vec<String>,
    /// The strategies it runs with.
    pub(super) registry: Registry,
}

impl Sweep {
    /// Each grid point's scenario, in point order.
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// The strategies run at each point.
    pub fn strategies(&self) -> &[String] {
        &self.strategies
    }
}

/// The scenario file a sweep names, read.
pub(super) struct BaseScenario {
    /// Its path, as shown in errors.
    pub file: String,
    /// Its text (hashed into the manifest).
    pub text: String,
    /// Its JSON (each point overrides a copy).
    pub doc: Value,
}

impl Sweep {
    /// Reads and validates a sweep file (and every point's scenario)
    /// against the built-in strategies.
    pub fn load(path: &Path) -> Result<Sweep, SweepError> {
        Sweep::load_with(path, &Registry::builtin())
    }

    /// [`Sweep::load`] against `registry`'s strategies.
    pub fn load_with(path: &Path, registry: &Registry) -> Result<Sweep, SweepError> {
        let file = path.display().to_string();
        let text = read_text(path, MAX_JSON_BYTES)
            .map_err(|e| SweepError::new(&file, "(root)", format!("cannot read the file: {e}")))?;
        // Objects only (serde would take an array's items as the fields).
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            let shape =
                crate::sim::shape::against_schema(&v, &schemars::schema_for!(RawSweep).to_value());
            if let Some(m) = shape.array {
                let at = if m.path.is_empty() {
                    "(root)".to_string()
                } else {
                    m.path
                };
                return Err(SweepError::new(&file, at, m.message));
            }
        }
        let de = &mut serde_json::Deserializer::from_str(&text);
        let raw: RawSweep = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let at = match e.path().to_string().as_str() {
                "." | "" => "(root)".to_string(),
                p => p.to_string(),
            };
            SweepError::new(&file, at, e.inner().to_string())
        })?;
        de.end().map_err(|e| {
            SweepError::new(
                &file,
                "(root)",
                format!("content after the sweep object: {e}"),
            )
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        Sweep::build(raw, &file, base, registry)
    }

    fn build(
        raw: RawSweep,
        file: &str,
        base: &Path,
        registry: &Registry,
    ) -> Result<Sweep, SweepError> {
        check_fields(&raw, file)?;
        let scenario = read_scenario(file, &base.join(&raw.scenario))?;
        // Every key set must be a field the scenario has: set_path would
        // make any key, and the scenario then reads "missing field" or
        // (an always-on churn) nothing at all.
        let schema = crate::scenario::schema::scenario_schema(registry);
        for (section, keys) in [("overrides", &raw.overrides), ("grid", &raw.grid)] {
            for key in keys.keys() {
                if let Err(m) = crate::sim::shape::path_in_schema(&schema, key) {
                    return err(file, format!("{section}.{key:?}"), m.message);
                }
            }
        }

        let values = grid::values(file, &raw.grid)?;
        let points = grid::cartesian(&values);
        let (scenarios, effective) =
            grid::scenarios(file, &scenario, &raw.overrides, &values, &points, registry)?;
        let strategies = strategies(file, &raw.strategies, &scenarios[0].strategy, registry)?;
        let first = scenarios[0].seed;
        let seeds: Vec<u64> = (0..raw.seeds).map(|k| first.wrapping_add(k)).collect();
        let manifest = Manifest {
            name: raw.name,
            scenario: scenarios[0].name.clone(),
            scenario_hash: fnv_text(&scenario.text),
            meshsync: crate::output::provenance::build(),
            overrides: raw.overrides,
            effective_hash: effective_hash(file, &effective)?,
            keys: values.iter().map(|(k, _)| k.clone()).collect(),
            runs: points.len() * strategies.len() * seeds.len(),
            points,
            strategies: strategies.clone(),
            seeds,
        };
        Ok(Sweep {
            manifest,
            scenarios,
            effective,
            strategies,
            registry: registry.clone(),
        })
    }
}

/// Most seeds a sweep or a comparison may ask for.
pub const MAX_SEEDS: u64 = 100_000;
/// Most grid points a sweep may have (each is validated up front).
pub const MAX_POINTS: u64 = 100_000;
/// Most runs (points × strategies × seeds) a sweep may have.
pub const MAX_RUNS: u64 = 10_000_000;

/// The name, the grid's size and the seed count.
fn check_fields(raw: &RawSweep, file: &str) -> Result<(), SweepError> {
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
    if raw.seeds == 0 || raw.seeds > MAX_SEEDS {
        return err(
            file,
            "seeds",
            format!("expected 1 to {MAX_SEEDS} seeds, got {}", raw.seeds),
        );
    }
    let points = raw.grid.values().try_fold(1u64, |n, v| {
        n.checked_mul(v.as_array().map_or(1, |a| a.len() as u64))
    });
    if points.is_none_or(|p| p > MAX_POINTS) {
        let sizes: Vec<String> = raw
            .grid
            .values()
            .map(|v| v.as_array().map_or(1, Vec::len).to_string())
            .collect();
        return err(
            file,
            "grid",
            format!(
                "{} points is more than the {MAX_POINTS} a sweep may have (split it into several sweeps)",
                sizes.join(" x ")
            ),
        );
    }
    let runs = points.unwrap_or(0) * raw.seeds * raw.strategies.len().max(1) as u64;
    if runs > MAX_RUNS {
        return err(
            file,
            "seeds",
            format!("{runs} runs (points x strategies x seeds) is more than the {MAX_RUNS} a sweep may have"),
        );
    }
    Ok(())
}

/// Reads the scenario file at `path` as JSON (validated point by point
/// later, with the overrides applied).
fn read_scenario(file: &str, path: &Path) -> Result<BaseScenario, SweepError> {
    let scenario_file = path.display().to_string();
    let text = read_text(path, MAX_JSON_BYTES).or_else(|e| {
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
    Ok(BaseScenario {
        file: scenario_file,
        text,
        doc,
    })
}

/// The strategies named in the sweep file (default: the scenario's).
fn strategies(
    file: &str,
    names: &[String],
    default: &str,
    registry: &Registry,
) -> Result<Vec<String>, SweepError> {
    if names.is_empty() {
        return Ok(vec![default.to_string()]);
    }
    let mut out: Vec<String> = Vec::new();
    for (i, s) in names.iter().enumerate() {
        registry
            .lookup(s)
            .or_else(|m| err(file, format!("strategies[{i}]"), m))?;
        if out.contains(s) {
            return err(
                file,
                format!("strategies[{i}]"),
                format!("{s:?} is listed twice (every run would be done twice)"),
            );
        }
        out.push(s.clone());
    }
    Ok(out)
}

/// SHA-256 of the points' effective-scenario hashes, one per line.
fn effective_hash(file: &str, effective: &[Value]) -> Result<String, SweepError> {
    let mut all = String::new();
    for (p, e) in effective.iter().enumerate() {
        let h = crate::scenario::effective::hash(e)
            .or_else(|e| err(file, "scenario", format!("point {p}: {e}")))?;
        all.push_str(&h);
        all.push('\n');
    }
    let digest = <sha2::Sha256 as sha2::Digest>::digest(all.as_bytes());
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

impl Manifest {
    /// What differs between `self` (`here`) and `other` (`there`), one
    /// `field: value here, value there` per field, values shortened.
    pub fn differences(&self, other: &Manifest, here: &str, there: &str) -> Vec<String> {
        let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
            (serde_json::to_value(self), serde_json::to_value(other))
        else {
            return vec!["the manifests differ".into()];
        };
        a.iter()
            .filter(|(k, v)| b.get(*k) != Some(v))
            .map(|(k, v)| {
                let w = b.get(k).unwrap_or(&Value::Null);
                format!("{k}: {} {here}, {} {there}", short(v), short(w))
            })
            .collect()
    }
}

/// A JSON value's text, cut to 80 characters.
fn short(v: &Value) -> String {
    let t = match v {
        Value::String(s) if s.is_empty() => "(not recorded)".to_string(),
        _ => v.to_string(),
    };
    if t.chars().count() <= 80 {
        return t;
    }
    format!("{}…", t.chars().take(79).collect::<String>())
}

fn fnv_text(text: &str) -> String {
    let h = crate::sim::hash::fnv_str(text);
    format!("{h:016x}")
}
