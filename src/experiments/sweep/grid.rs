//! Expanding a sweep's grid: the values of each key, the points (their
//! cartesian product, last key fastest), each point's scenario (the base
//! scenario with the overrides and the point's values set by JSON path),
//! and the runs, points × strategies × seeds, numbered in that order.
//!
//! Imports: `scenario/` and the sweep's `spec`.

use super::spec::{BaseScenario, Sweep};
use super::{err, SweepError};
use crate::engine::Registry;
use crate::scenario::{Scenario, ScenarioError};
use serde_json::{Map, Value};

/// One run to do.
#[derive(Clone, Copy, Debug)]
pub(super) struct Job {
    /// Position in the run list.
    pub index: usize,
    /// Grid point.
    pub point: usize,
    /// Strategy, by its position in the manifest.
    pub strategy: usize,
    /// Seed.
    pub seed: u64,
}

/// One axis of the product: a grid key, or a named axis of `axes`.
#[derive(Clone, Debug)]
pub(super) struct Axis {
    /// Its name (a grid key is its JSON path).
    pub name: String,
    /// The scenario JSON paths it sets.
    pub paths: Vec<String>,
    /// Its values: with one path, the value; with several, an object of
    /// each path's value.
    pub values: Vec<Value>,
    /// A label per value, when given.
    pub labels: Option<Vec<String>>,
    /// Where it is in the sweep file (`grid."key"`, `axes[0]`).
    pub at: String,
}

impl Axis {
    /// Sets the axis's `value` into `doc`.
    fn set(&self, doc: &mut Value, value: &Value) -> Result<(), String> {
        match self.paths.as_slice() {
            [one] => set_path(doc, one, value.clone()),
            paths => {
                for p in paths {
                    set_path(doc, p, value[p.as_str()].clone())?;
                }
                Ok(())
            }
        }
    }
}

/// The axes of a sweep: `axes` in order, then the grid's keys in file
/// order, each with a non-empty list of values.
pub(super) fn axes(
    file: &str,
    raw: &[super::spec::RawAxis],
    grid: &Map<String, Value>,
) -> Result<Vec<Axis>, SweepError> {
    let mut out: Vec<Axis> = Vec::new();
    for (i, a) in raw.iter().enumerate() {
        let at = format!("axes[{i}]");
        if a.name.is_empty() || out.iter().any(|o| o.name == a.name) || grid.contains_key(&a.name) {
            return err(
                file,
                format!("{at}.name"),
                format!(
                    "expected a name no other axis or grid key has, got {:?}",
                    a.name
                ),
            );
        }
        if a.set.contains_key("strategy") {
            return err(
                file,
                format!("{at}.set.\"strategy\""),
                "the strategies (and variants) a sweep runs are its `strategies`, its strategy axis: list them there",
            );
        }
        let mut len = None;
        let mut lists: Vec<(&String, &Vec<Value>)> = Vec::new();
        for (path, v) in &a.set {
            let Some(list) = v.as_array().filter(|l| !l.is_empty()) else {
                return err(
                    file,
                    format!("{at}.set.{path:?}"),
                    "expected a non-empty list of values, one per point of the axis",
                );
            };
            if len.is_some_and(|n| n != list.len()) {
                return err(
                    file,
                    format!("{at}.set.{path:?}"),
                    format!(
                        "expected {} values, as many as the axis's other paths, got {}",
                        len.unwrap_or(0),
                        list.len()
                    ),
                );
            }
            len = Some(list.len());
            lists.push((path, list));
        }
        let Some(n) = len else {
            return err(
                file,
                format!("{at}.set"),
                "expected at least one path to set",
            );
        };
        if let Some(l) = &a.labels {
            if l.len() != n {
                return err(
                    file,
                    format!("{at}.labels"),
                    format!("expected {n} labels, one per value, got {}", l.len()),
                );
            }
            if let Some(d) = l
                .iter()
                .enumerate()
                .find_map(|(j, x)| l[..j].contains(x).then_some(x))
            {
                return err(file, format!("{at}.labels"), format!("{d:?} is used twice"));
            }
        }
        let values = (0..n)
            .map(|j| match lists.as_slice() {
                [(_, list)] => list[j].clone(),
                many => Value::Object(
                    many.iter()
                        .map(|(p, list)| ((*p).clone(), list[j].clone()))
                        .collect(),
                ),
            })
            .collect();
        out.push(Axis {
            name: a.name.clone(),
            paths: lists.iter().map(|(p, _)| (*p).clone()).collect(),
            values,
            labels: a.labels.clone(),
            at,
        });
    }
    for (key, v) in grid {
        if key == "strategy" {
            return err(
                file,
                "grid.\"strategy\"",
                "the strategies (and variants) a sweep runs are its `strategies`, its strategy axis: list them there",
            );
        }
        let values = match v {
            Value::Array(a) if !a.is_empty() => a.clone(),
            Value::Array(_) => {
                return err(
                    file,
                    format!("grid.{key:?}"),
                    "expected a non-empty list of values",
                )
            }
            // One value (the schema allows it): a list of one.
            other => vec![other.clone()],
        };
        out.push(Axis {
            name: key.clone(),
            paths: vec![key.clone()],
            values,
            labels: None,
            at: format!("grid.{key:?}"),
        });
    }
    Ok(out)
}

/// Each point's label of each axis (its label, or its value's CSV text).
pub(super) fn labels(axes: &[Axis], points: &[Vec<Value>]) -> Vec<Vec<String>> {
    points
        .iter()
        .map(|pt| {
            axes.iter()
                .zip(pt)
                .map(|(a, v)| {
                    let i = a.values.iter().position(|x| x == v);
                    match (&a.labels, i) {
                        (Some(l), Some(i)) => l[i].clone(),
                        _ => crate::output::csv::json_text(v),
                    }
                })
                .collect()
        })
        .collect()
}

/// Every combination of one value per key, the last key varying fastest.
pub(super) fn cartesian(values: &[Vec<Value>]) -> Vec<Vec<Value>> {
    let mut out: Vec<Vec<Value>> = vec![Vec::new()];
    for vs in values {
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

/// The validated scenario of every point, and its effective scenario
/// (every default filled in, `scenario::effective`).
pub(super) fn scenarios(
    file: &str,
    base: &BaseScenario,
    overrides: &Map<String, Value>,
    variants: &Map<String, Value>,
    axes: &[Axis],
    points: &[Vec<Value>],
    registry: &Registry,
) -> Result<(Vec<Scenario>, Vec<Value>), SweepError> {
    let mut scenarios = Vec::with_capacity(points.len());
    let mut effective = Vec::with_capacity(points.len());
    for point in points {
        let (s, e) = scenario(file, base, overrides, variants, axes, point, registry)?;
        scenarios.push(s);
        effective.push(e);
    }
    Ok((scenarios, effective))
}

/// The scenario of one point: the overrides, then the point's values.
fn scenario(
    file: &str,
    base: &BaseScenario,
    overrides: &Map<String, Value>,
    variants: &Map<String, Value>,
    axes: &[Axis],
    point: &[Value],
    registry: &Registry,
) -> Result<(Scenario, Value), SweepError> {
    let mut d = base.doc.clone();
    for (key, v) in overrides {
        set_path(&mut d, key, v.clone()).or_else(|m| err(file, format!("overrides.{key:?}"), m))?;
    }
    for (axis, v) in axes.iter().zip(point) {
        axis.set(&mut d, v).or_else(|m| err(file, &axis.at, m))?;
    }
    let validated = Scenario::from_value_with(d.clone(), &base.file, registry).and_then(|s| {
        crate::scenario::effective::effective_with(d, &base.file, registry).map(|e| (s, e))
    });
    validated.or_else(|e| {
        let at = axes
            .iter()
            .zip(point)
            .map(|(a, v)| format!("{} = {v}", a.name))
            .collect::<Vec<_>>();
        let (path, msg) = match e {
            ScenarioError::Invalid { path, message, .. } => {
                (path.clone(), format!("{path}: {message}"))
            }
            other => (String::new(), other.to_string()),
        };
        // A variant of the sweep file is blamed on it.
        if let Some(name) = variants
            .keys()
            .find(|k| under(&path, &format!("variants.{k}")))
        {
            let rest = &path["variants.".len() + name.len()..];
            return err(file, format!("variants.{name}{rest}"), msg);
        }
        // A value the overrides set is blamed on them; anything else on
        // the grid point that made the scenario invalid.
        if let Some(key) = overrides.keys().find(|k| under(&path, k)) {
            if !axes.iter().any(|a| a.paths.iter().any(|g| under(&path, g))) {
                return err(
                    file,
                    format!("overrides.{key:?}"),
                    format!("the scenario becomes invalid: {msg}"),
                );
            }
        }
        err(
            file,
            "grid",
            format!("at {}: the scenario becomes invalid: {msg}", at.join(", ")),
        )
    })
}

/// True when JSON path `path` is `key` or inside it.
fn under(path: &str, key: &str) -> bool {
    path.strip_prefix(key)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
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
        cur = index_into(cur, key, indices, path)?;
        if last_part {
            *cur = value;
            return Ok(());
        }
    }
    Ok(())
}

/// Follows the `[i][j]…` after `key` in a path part, from `cur`.
fn index_into<'a>(
    mut cur: &'a mut Value,
    key: &str,
    indices: &str,
    path: &str,
) -> Result<&'a mut Value, String> {
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
    Ok(cur)
}

impl Sweep {
    /// Every run, in run order.
    pub(super) fn jobs(&self) -> Vec<Job> {
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

    /// The parameter values of `point`, by key.
    pub(super) fn params(&self, point: usize) -> Map<String, Value> {
        self.manifest
            .keys
            .iter()
            .cloned()
            .zip(self.manifest.points[point].iter().cloned())
            .collect()
    }
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
        let v = vec![vec![json!(1), json!(2)], vec![json!("x"), json!("y")]];
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
