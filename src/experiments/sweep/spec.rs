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
    /// (default none: `axes` then says what varies).
    #[serde(default)]
    grid: Map<String, Value>,
    /// Named axes, before the grid's keys in the product (the first axis
    /// is the plots' x): each sets one or several scenario JSON paths
    /// together (linked), one value per point of the axis, with optional
    /// labels for the CSV files and the plots' ticks.
    #[serde(default)]
    axes: Vec<RawAxis>,
    /// Strategies, or variants (of the scenario or of this file), run at
    /// every point (default: the scenario's `strategy`).
    #[serde(default)]
    strategies: Vec<String>,
    /// Named (strategy, config section) pairs usable in `strategies`,
    /// added to the scenario's own `variants` (one of the same name is
    /// replaced).
    #[serde(default)]
    variants: Map<String, Value>,
    /// The row every (point, strategy) is compared with, paired by seed:
    /// each metric then also comes as ratio and difference to it, with
    /// 95% confidence intervals.
    #[serde(default)]
    baseline: Option<RawBaseline>,
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
    // A strategy's name, or a variant's (of the sweep file or of its
    // scenario, which the schema cannot see: the sweep checks them).
    if let Some(Value::Object(items)) = schema.pointer_mut("/properties/strategies/items") {
        let names = Value::from(registry.names());
        items.insert("examples".into(), names);
    }
    schema
}

fn one() -> u64 {
    1
}

/// A named axis of a sweep (`axes[i]`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAxis {
    /// Its name: the column of the CSV files, the plots' axis title.
    pub name: String,
    /// Scenario JSON paths set together, each to a list of values of
    /// the same length: point `i` of the axis sets every path to its
    /// `i`-th value (linked, or "zipped", axes).
    #[schemars(length(min = 1))]
    pub set: Map<String, Value>,
    /// One label per value (in the CSV files and on plot ticks; default:
    /// the values themselves).
    #[serde(default)]
    pub labels: Option<Vec<String>>,
}

/// The baseline of a sweep (`baseline`): a point, a strategy, or both.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBaseline {
    /// The baseline point's value (or label) of some axes, by axis name
    /// (a grid key or an axis's name); an axis not named is the row's own.
    #[serde(default)]
    pub point: Map<String, Value>,
    /// The baseline strategy or variant (default: the row's own).
    #[serde(default)]
    pub strategy: Option<String>,
}

/// A sweep's baseline, resolved (`sweep.json`'s `baseline`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The baseline's value of some axes, by axis name (the others are the
    /// row's own).
    pub point: Map<String, Value>,
    /// The baseline strategy (none: the row's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<String>,
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
    /// The label of each point's value of each key, as `points` (absent
    /// when the sweep has no `axes`: the values are their own labels).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<Vec<String>>,
    /// What each (point, strategy) is compared with (none: nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<Baseline>,
}

impl Manifest {
    /// The label of point `p`'s value of key `k`: the axis's label, or the
    /// value as the CSV files write it.
    pub fn label(&self, p: usize, k: usize) -> String {
        match self.labels.get(p).and_then(|l| l.get(k)) {
            Some(l) => l.clone(),
            None => crate::output::csv::json_text(&self.points[p][k]),
        }
    }

    /// The points' labels, one per key (the values' text without `axes`).
    pub fn point_labels(&self) -> Vec<Vec<String>> {
        (0..self.points.len())
            .map(|p| (0..self.keys.len()).map(|k| self.label(p, k)).collect())
            .collect()
    }

    /// The (point, strategy) that (`p`, `s`) is compared with, if the sweep
    /// has a baseline and that point exists.
    pub fn baseline_of(&self, p: usize, s: &str) -> Option<(usize, String)> {
        let b = self.baseline.as_ref()?;
        let target: Vec<&Value> = self
            .keys
            .iter()
            .enumerate()
            .map(|(k, key)| b.point.get(key).unwrap_or(&self.points[p][k]))
            .collect();
        let q = self
            .points
            .iter()
            .position(|pt| pt.iter().zip(&target).all(|(a, b)| a == *b))?;
        Some((q, b.strategy.clone().unwrap_or_else(|| s.to_string())))
    }
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
        let mut scenario = read_scenario(file, &base.join(&raw.scenario))?;
        add_variants(file, &mut scenario, &raw.variants)?;
        // Every key set must be a field the scenario has: set_path would
        // make any key, and the scenario then reads "missing field" or
        // (an always-on churn) nothing at all.
        let schema = crate::scenario::schema::scenario_schema(registry);
        let axis_keys = raw
            .axes
            .iter()
            .enumerate()
            .flat_map(|(i, a)| a.set.keys().map(move |k| (format!("axes[{i}].set"), k)));
        let keys = [("overrides", &raw.overrides), ("grid", &raw.grid)]
            .into_iter()
            .flat_map(|(section, keys)| keys.keys().map(move |k| (section.to_string(), k)))
            .chain(axis_keys);
        for (section, key) in keys {
            if let Err(m) = crate::sim::shape::path_in_schema(&schema, key) {
                return err(file, format!("{section}.{key:?}"), m.message);
            }
        }
        let axes = grid::axes(file, &raw.axes, &raw.grid)?;
        let values: Vec<Vec<Value>> = axes.iter().map(|a| a.values.clone()).collect();
        let points = grid::cartesian(&values);
        let (scenarios, effective) = grid::scenarios(
            file,
            &scenario,
            &raw.overrides,
            &raw.variants,
            &axes,
            &points,
            registry,
        )?;
        let strategies = strategies(file, &raw.strategies, &scenarios[0], registry)?;
        let labels = if raw.axes.is_empty() {
            Vec::new()
        } else {
            grid::labels(&axes, &points)
        };
        let baseline = match &raw.baseline {
            None => None,
            Some(b) => Some(baseline(file, b, &axes, &strategies)?),
        };
        let first = scenarios[0].seed;
        let seeds: Vec<u64> = (0..raw.seeds).map(|k| first.wrapping_add(k)).collect();
        let manifest = Manifest {
            name: raw.name,
            scenario: scenarios[0].name.clone(),
            scenario_hash: fnv_text(&scenario.text),
            meshsync: crate::output::provenance::build(),
            overrides: raw.overrides,
            effective_hash: effective_hash(file, &effective)?,
            keys: axes.iter().map(|a| a.name.clone()).collect(),
            runs: points.len() * strategies.len() * seeds.len(),
            points,
            strategies: strategies.clone(),
            seeds,
            labels,
            baseline,
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
    if raw.grid.is_empty() && raw.axes.is_empty() {
        return err(
            file,
            "grid",
            "expected at least one parameter to vary (in grid or axes)",
        );
    }
    if raw.seeds == 0 || raw.seeds > MAX_SEEDS {
        return err(
            file,
            "seeds",
            format!("expected 1 to {MAX_SEEDS} seeds, got {}", raw.seeds),
        );
    }
    let axis_len = |a: &RawAxis| {
        a.set
            .values()
            .next()
            .and_then(Value::as_array)
            .map_or(1, Vec::len) as u64
    };
    let sizes: Vec<u64> = raw
        .axes
        .iter()
        .map(axis_len)
        .chain(
            raw.grid
                .values()
                .map(|v| v.as_array().map_or(1, |a| a.len() as u64)),
        )
        .collect();
    let points = sizes.iter().try_fold(1u64, |n, &v| n.checked_mul(v));
    if points.is_none_or(|p| p > MAX_POINTS) {
        let sizes: Vec<String> = sizes.iter().map(u64::to_string).collect();
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

/// The sweep file's `variants`, added to the scenario's (as if it had
/// them; validated with each point's scenario).
fn add_variants(
    file: &str,
    scenario: &mut BaseScenario,
    variants: &Map<String, Value>,
) -> Result<(), SweepError> {
    if variants.is_empty() {
        return Ok(());
    }
    let Value::Object(doc) = &mut scenario.doc else {
        return err(file, "scenario", "the scenario is not a JSON object");
    };
    let slot = doc
        .entry("variants")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(slot) = slot else {
        return err(file, "scenario", "the scenario's variants is not an object");
    };
    for (k, v) in variants {
        slot.insert(k.clone(), v.clone());
    }
    Ok(())
}

/// `name` when it is a strategy or a variant of `scenario`, else the error.
fn known(registry: &Registry, scenario: &Scenario, name: &str) -> Result<(), String> {
    if scenario.is_variant(name) {
        return Ok(());
    }
    registry.lookup(name).map(|_| ()).map_err(|e| {
        let v: Vec<&str> = scenario.variants.keys().map(String::as_str).collect();
        if v.is_empty() {
            e
        } else {
            format!("{e}, or a variant: {}", v.join(", "))
        }
    })
}

/// The baseline, resolved: each named axis's value (a label is looked up
/// among the axis's labels first), the strategy checked.
fn baseline(
    file: &str,
    raw: &RawBaseline,
    axes: &[grid::Axis],
    strategies: &[String],
) -> Result<Baseline, SweepError> {
    let mut point = Map::new();
    for (key, v) in &raw.point {
        let path = format!("baseline.point.{key:?}");
        let Some(axis) = axes.iter().find(|a| &a.name == key) else {
            let names: Vec<&str> = axes.iter().map(|a| a.name.as_str()).collect();
            return err(
                file,
                path,
                format!(
                    "no axis is called {key:?}, expected one of {}",
                    names.join(", ")
                ),
            );
        };
        let by_label = axis
            .labels
            .as_ref()
            .and_then(|l| v.as_str().and_then(|t| l.iter().position(|x| x == t)));
        let at = by_label.or_else(|| axis.values.iter().position(|x| x == v));
        let Some(i) = at else {
            return err(
                file,
                path,
                format!("{v} is neither a value nor a label of axis {key:?}"),
            );
        };
        point.insert(key.clone(), axis.values[i].clone());
    }
    if let Some(s) = raw.strategy.as_ref().filter(|s| !strategies.contains(s)) {
        return err(
            file,
            "baseline.strategy",
            format!(
                "{s:?} is not run by this sweep, expected one of its strategies: {}",
                strategies.join(", ")
            ),
        );
    }
    if point.is_empty() && raw.strategy.is_none() {
        return err(
            file,
            "baseline",
            "expected a point, a strategy, or both: the baseline of every row would be itself",
        );
    }
    Ok(Baseline {
        point,
        strategy: raw.strategy.clone(),
    })
}

/// The strategies named in the sweep file (default: the scenario's).
fn strategies(
    file: &str,
    names: &[String],
    scenario: &Scenario,
    registry: &Registry,
) -> Result<Vec<String>, SweepError> {
    if names.is_empty() {
        return Ok(vec![scenario.strategy.clone()]);
    }
    let mut out: Vec<String> = Vec::new();
    for (i, s) in names.iter().enumerate() {
        known(registry, scenario, s).or_else(|m| err(file, format!("strategies[{i}]"), m))?;
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
