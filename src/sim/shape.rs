//! Objects only: serde's derived structs accept a JSON array as well as an
//! object, filling the fields by position (`"link": [{"fixed": 5}]` would
//! set a latency), and an internally tagged unit variant ignores any other
//! key (`{"kind": "always-on", "period_s": 5}`). No user means either, so
//! every file read from a user is checked here against the shape its type
//! has, generically, at the parse edge:
//!
//! - [`against_schema`]: a JSON value against the JSON Schema its type
//!   derives (schemars): an array where the schema admits an object and no
//!   array, and a key the branch a tag chose does not have (scenario,
//!   sweep, strategy config sections, including strategies from outside
//!   the crate);
//! - [`against_serialized`]: for result files read back (baselines, run
//!   records, manifests), whose types serialize but derive no schema: an
//!   array where the value, deserialized and serialized again, is an
//!   object.
//!
//! Paths are written as `serde_path_to_error` writes them (`link.latency_ms`,
//! `groups[0].members`; the empty string is the root).
//!
//! Imports: nothing from this crate.

use serde_json::Value;

/// Where a value does not have the shape its type has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Misshape {
    /// JSON path (empty: the root).
    pub path: String,
    /// What was expected.
    pub message: String,
}

impl std::fmt::Display for Misshape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.path.is_empty() {
            "(root)"
        } else {
            &self.path
        };
        write!(f, "{at}: {}", self.message)
    }
}

impl Misshape {
    /// True for an array written where an object is expected.
    pub fn is_positional(&self) -> bool {
        self.message == EXPECTED_OBJECT
    }
}

/// What [`against_schema`] found: the first array written for an object
/// (to report before the typed parse, whose error would be about a field
/// taken by position), and the first key no schema branch knows (to report
/// when the typed parse let it through).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// An array where only an object fits.
    pub array: Option<Misshape>,
    /// A key the object's schema does not have.
    pub unknown_key: Option<Misshape>,
}

/// The message for an array written where an object is expected.
pub const EXPECTED_OBJECT: &str =
    "expected an object ({...} with named keys), got an array (fields are never given by position)";

/// Checks `value` against `schema` (a JSON Schema as schemars writes it:
/// `$ref` into `$defs`, `oneOf`/`anyOf`/`allOf`, `type`, `properties`,
/// `additionalProperties`, `items`, `prefixItems`, `const`, `enum`).
pub fn against_schema(value: &Value, schema: &Value) -> Findings {
    let mut f = Findings::default();
    walk(value, &[schema], schema, &mut String::new(), &mut f);
    f
}

static ANY: Value = Value::Bool(true);

fn walk(value: &Value, schemas: &[&Value], root: &Value, path: &mut String, f: &mut Findings) {
    let mut leaves = Vec::new();
    for s in schemas {
        flatten(s, root, &mut leaves, 0);
    }
    if leaves.is_empty() || (f.array.is_some() && f.unknown_key.is_some()) {
        return;
    }
    match value {
        Value::Array(items) => {
            let arrays: Vec<&Value> = leaves
                .iter()
                .copied()
                .filter(|l| admits(l, "array"))
                .collect();
            if arrays.is_empty() {
                if f.array.is_none() && leaves.iter().any(|l| admits_only_by_type(l, "object")) {
                    f.array = Some(Misshape {
                        path: path.clone(),
                        message: EXPECTED_OBJECT.into(),
                    });
                }
                return;
            }
            for (i, item) in items.iter().enumerate() {
                let children: Vec<&Value> = arrays
                    .iter()
                    .map(|l| {
                        l.get("prefixItems")
                            .and_then(|p| p.get(i))
                            .or_else(|| l.get("items"))
                            .unwrap_or(&ANY)
                    })
                    .collect();
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(item, &children, root, path, f);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            let objects: Vec<&Value> = leaves
                .iter()
                .copied()
                .filter(|l| admits(l, "object"))
                .collect();
            if objects.is_empty() {
                return;
            }
            // Tagged variants: keep the branches whose constant keys match.
            let tagged: Vec<&Value> = objects
                .iter()
                .copied()
                .filter(|l| tags_match(l, map, root))
                .collect();
            // Unknown keys are reported only where a tag chose the branch:
            // that is serde's hole (an internally tagged unit variant takes
            // any other key); elsewhere serde's own `deny_unknown_fields`
            // speaks, and a key the schema hides (an old key kept to say
            // where it moved) is the type's to refuse.
            let by_tag = !tagged.is_empty() && tagged.len() < objects.len();
            let branches = if tagged.is_empty() { objects } else { tagged };
            for (key, v) in map {
                let children: Vec<&Value> = branches
                    .iter()
                    .filter_map(|l| {
                        if let Some(p) = l.get("properties").and_then(|p| p.get(key)) {
                            return Some(p);
                        }
                        match l.get("additionalProperties") {
                            Some(Value::Bool(false)) => None,
                            Some(a) => Some(a),
                            None => Some(&ANY),
                        }
                    })
                    .collect();
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if children.is_empty() {
                    if by_tag && f.unknown_key.is_none() {
                        let mut known: Vec<&str> = Vec::new();
                        for l in &branches {
                            if let Some(Value::Object(p)) = l.get("properties") {
                                for k in p.keys() {
                                    if !known.contains(&k.as_str()) {
                                        known.push(k);
                                    }
                                }
                            }
                        }
                        f.unknown_key = Some(Misshape {
                            path: path.clone(),
                            message: unknown_field(key, &known),
                        });
                    }
                } else {
                    walk(v, &children, root, path, f);
                }
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// serde's wording for an unknown field.
fn unknown_field(key: &str, known: &[&str]) -> String {
    let names: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
    match names.len() {
        0 => format!("unknown field `{key}`, there are no fields"),
        1 => format!("unknown field `{key}`, expected {}", names[0]),
        2 => format!(
            "unknown field `{key}`, expected {} or {}",
            names[0], names[1]
        ),
        _ => format!(
            "unknown field `{key}`, expected one of {}",
            names.join(", ")
        ),
    }
}

/// Follows `$ref`s (`#/...` pointers into `root`).
fn resolve<'a>(mut s: &'a Value, root: &'a Value) -> &'a Value {
    for _ in 0..64 {
        match s.get("$ref").and_then(Value::as_str) {
            Some(r) if r.starts_with('#') => match root.pointer(&r[1..]) {
                Some(t) => s = t,
                None => return &ANY,
            },
            Some(_) => return &ANY,
            None => return s,
        }
    }
    &ANY
}

/// The schemas without combinators that `s` is made of.
fn flatten<'a>(s: &'a Value, root: &'a Value, out: &mut Vec<&'a Value>, depth: usize) {
    let s = resolve(s, root);
    if depth > 64 {
        out.push(&ANY);
        return;
    }
    // A schema with its own `properties` is the object's shape; its
    // `anyOf` (the scenario's "a built-in strategy, or a file with
    // variants") only constrains values and adds no field.
    let mut combined = false;
    if s.get("properties").is_some() {
        out.push(s);
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(Value::Array(branches)) = s.get(key) {
            combined = true;
            for b in branches {
                flatten(b, root, out, depth + 1);
            }
        }
    }
    if !combined {
        out.push(s);
    }
}

/// The JSON types a leaf schema names, `None` when it names none (any).
fn types(s: &Value) -> Option<Vec<&str>> {
    if let Value::Bool(b) = s {
        return if *b { None } else { Some(Vec::new()) };
    }
    match s.get("type") {
        Some(Value::String(t)) => return Some(vec![t.as_str()]),
        Some(Value::Array(ts)) => return Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => {}
    }
    let of = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if let Some(c) = s.get("const") {
        return Some(vec![of(c)]);
    }
    if let Some(Value::Array(e)) = s.get("enum") {
        return Some(e.iter().map(of).collect());
    }
    if s.get("properties").is_some() || s.get("additionalProperties").is_some() {
        return Some(vec!["object"]);
    }
    if s.get("items").is_some() || s.get("prefixItems").is_some() {
        return Some(vec!["array"]);
    }
    None
}

fn admits(s: &Value, ty: &str) -> bool {
    types(s).is_none_or(|t| t.contains(&ty))
}

fn admits_only_by_type(s: &Value, ty: &str) -> bool {
    types(s).is_some_and(|t| t.contains(&ty))
}

/// False when a property of `s` is a constant (a tag) that `map` gives
/// another value.
fn tags_match(s: &Value, map: &serde_json::Map<String, Value>, root: &Value) -> bool {
    let Some(Value::Object(props)) = s.get("properties") else {
        return true;
    };
    props.iter().all(|(k, p)| {
        let p = resolve(p, root);
        match (p.get("const"), map.get(k)) {
            (Some(c), Some(v)) => c == v,
            _ => true,
        }
    })
}

/// Whether `path` (`churn.period_s`, `groups[0].rate_per_hour`: keys and
/// indices) names a place `schema` has: `Err` names the first key no
/// branch of its object knows, and the keys it has.
pub fn path_in_schema(schema: &Value, path: &str) -> Result<(), Misshape> {
    let mut current: Vec<&Value> = vec![schema];
    let mut done = String::new();
    for part in path.split('.') {
        let (key, indices) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        let mut leaves = Vec::new();
        for s in &current {
            flatten(s, schema, &mut leaves, 0);
        }
        let objects: Vec<&Value> = leaves.into_iter().filter(|l| admits(l, "object")).collect();
        let mut next: Vec<&Value> = Vec::new();
        let mut known: Vec<&str> = Vec::new();
        for l in &objects {
            if let Some(Value::Object(p)) = l.get("properties") {
                for k in p.keys() {
                    if !known.contains(&k.as_str()) {
                        known.push(k);
                    }
                }
                if let Some(c) = p.get(key) {
                    next.push(c);
                    continue;
                }
            }
            match l.get("additionalProperties") {
                Some(Value::Bool(false)) => {}
                Some(a) => next.push(a),
                None => next.push(&ANY),
            }
        }
        if next.is_empty() && !objects.is_empty() {
            let under = if done.is_empty() {
                "at the top level".to_string()
            } else {
                format!("under `{done}`")
            };
            let names: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            return Err(Misshape {
                path: path.to_string(),
                message: format!(
                    "no such field: the scenario has no `{key}` {under} (it has {})",
                    names.join(", ")
                ),
            });
        }
        if !done.is_empty() {
            done.push('.');
        }
        done.push_str(key);
        // Each `[i]` steps into the items of the array-admitting branches.
        for _ in indices.matches('[') {
            let mut leaves = Vec::new();
            for s in &next {
                flatten(s, schema, &mut leaves, 0);
            }
            next = leaves
                .into_iter()
                .filter(|l| admits(l, "array"))
                .map(|l| l.get("items").unwrap_or(&ANY))
                .collect();
        }
        done.push_str(indices);
        if next.is_empty() {
            return Ok(());
        }
        current = next;
    }
    Ok(())
}

/// The first array in `input` where `output` (the same value deserialized
/// and serialized again) has an object: a struct written by position.
pub fn against_serialized(input: &Value, output: &Value) -> Option<Misshape> {
    fn go(input: &Value, output: &Value, path: &mut String) -> Option<Misshape> {
        match (input, output) {
            (Value::Array(_), Value::Object(_)) => Some(Misshape {
                path: path.clone(),
                message: EXPECTED_OBJECT.into(),
            }),
            (Value::Array(a), Value::Array(b)) => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    let len = path.len();
                    path.push_str(&format!("[{i}]"));
                    let found = go(x, y, path);
                    path.truncate(len);
                    if found.is_some() {
                        return found;
                    }
                }
                None
            }
            (Value::Object(a), Value::Object(b)) => {
                for (k, x) in a {
                    let Some(y) = b.get(k) else { continue };
                    let len = path.len();
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    let found = go(x, y, path);
                    path.truncate(len);
                    if found.is_some() {
                        return found;
                    }
                }
                None
            }
            _ => None,
        }
    }
    go(input, output, &mut String::new())
}

/// Parses `text` as a `T`, objects only: `Err((path, message))` for text
/// that is not JSON (path empty), a value serde refuses, or an array
/// written where `T` has a struct.
pub fn parse_objects<T>(text: &str) -> Result<T, Misshape>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let value: Value = serde_json::from_str(text).map_err(|e| Misshape {
        path: String::new(),
        message: format!("not valid JSON: {e}"),
    })?;
    let parsed: T = serde_path_to_error::deserialize(&value).map_err(|e| Misshape {
        path: match e.path().to_string().as_str() {
            "." => String::new(),
            p => p.to_string(),
        },
        message: e.into_inner().to_string(),
    })?;
    if let Ok(again) = serde_json::to_value(&parsed) {
        if let Some(m) = against_serialized(&value, &again) {
            return Err(m);
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "additionalProperties": false,
            "properties": {
                "link": { "$ref": "#/$defs/Link" },
                "list": { "type": "array", "items": { "$ref": "#/$defs/Link" } },
                "pair": { "type": "array", "items": { "type": "number" } },
                "members": { "anyOf": [ { "type": "array" }, { "type": "string" } ] },
                "opt": { "anyOf": [ { "$ref": "#/$defs/Link" }, { "type": "null" } ] },
                "free": { "type": "object" },
                "churn": { "oneOf": [
                    { "type": "object", "additionalProperties": false,
                      "properties": { "kind": { "const": "always-on" } } },
                    { "type": "object", "additionalProperties": false,
                      "properties": { "kind": { "const": "periodic" }, "period_s": { "type": "number" } } }
                ] }
            },
            "$defs": { "Link": { "type": "object", "additionalProperties": false,
                "properties": { "latency": { "type": "number" } } } }
        })
    }

    #[test]
    fn arrays_where_objects_are_found_with_their_path() {
        let s = schema();
        let at = |v: Value| against_schema(&v, &s).array.map(|m| m.path);
        assert_eq!(at(json!([1])), Some(String::new()));
        assert_eq!(at(json!({"link": [5]})), Some("link".into()));
        assert_eq!(at(json!({"opt": [5]})), Some("opt".into()));
        assert_eq!(at(json!({"free": []})), Some("free".into()));
        assert_eq!(
            at(json!({"list": [{"latency": 1}, [1]]})),
            Some("list[1]".into())
        );
        assert_eq!(
            at(json!({"pair": [1, 2], "members": [1], "link": {"latency": 1}})),
            None
        );
        assert_eq!(at(json!({"link": "x"})), None, "serde reports other types");
    }

    #[test]
    fn keys_no_branch_knows_are_found() {
        let s = schema();
        let at = |v: Value| against_schema(&v, &s).unknown_key;
        let m = at(json!({"churn": {"kind": "always-on", "period_s": 5}})).unwrap();
        assert_eq!(m.path, "churn.period_s");
        assert_eq!(m.message, "unknown field `period_s`, expected `kind`");
        assert_eq!(
            at(json!({"churn": {"kind": "periodic", "period_s": 5}})),
            None
        );
        assert_eq!(at(json!({"free": {"x": 1}})), None);
        assert_eq!(
            at(json!({"zz": 1})),
            None,
            "serde's deny_unknown_fields speaks"
        );
    }

    #[test]
    fn paths_are_looked_up_in_the_schema() {
        let s = schema();
        assert!(path_in_schema(&s, "link.latency").is_ok());
        assert!(path_in_schema(&s, "list[0].latency").is_ok());
        assert!(path_in_schema(&s, "churn.period_s").is_ok());
        assert!(path_in_schema(&s, "free.anything").is_ok());
        let e = path_in_schema(&s, "churn.nonexistent").unwrap_err();
        assert_eq!(
            e.message,
            "no such field: the scenario has no `nonexistent` under `churn` (it has `kind`, `period_s`)"
        );
        let e = path_in_schema(&s, "list[0].x").unwrap_err();
        assert!(e.message.contains("under `list[0]`"), "{}", e.message);
        assert!(path_in_schema(&s, "nope").is_err());
    }

    #[test]
    fn round_trip_finds_structs_written_by_position() {
        #[derive(serde::Deserialize, serde::Serialize)]
        struct Inner {
            a: u32,
        }
        #[derive(serde::Deserialize, serde::Serialize)]
        struct Outer {
            inner: Inner,
            list: Vec<u32>,
        }
        let ok: Result<Outer, _> = parse_objects(r#"{"inner": {"a": 1}, "list": [1]}"#);
        assert!(ok.is_ok());
        let e = parse_objects::<Outer>(r#"{"inner": [1], "list": [1]}"#)
            .err()
            .unwrap();
        assert_eq!(e.path, "inner");
        assert_eq!(e.message, EXPECTED_OBJECT);
        let e = parse_objects::<Outer>(r#"[{"a": 1}, [1]]"#).err().unwrap();
        assert_eq!(e.path, "");
    }
}
