//! The JSON Schema of scenario files (`meshsync schema scenario`), derived
//! from the serde types in [`super::raw`] with `schemars`, so it describes
//! what the parser accepts: every key, the tagged forms, defaults and the
//! doc comments as descriptions. `strategy_config` lists one property per
//! config key of the registry's strategies (with the strategy's own schema
//! when it gives one) and admits no other key, as validation does.
//!
//! What the schema cannot say (ids below `nodes`, group names that exist,
//! sorted intervals, files that exist) is checked by validation, with the
//! JSON path of the fault.
//!
//! Imports: `node/` (the strategy registry) and the scenario's `raw` types.

use super::raw::RawScenario;
use crate::node::{Registry, Runner};
use serde_json::{json, Map, Value};

/// The scenario file's JSON Schema (draft 2020-12) for `registry`'s
/// strategies.
pub fn scenario_schema<R: Runner>(registry: &Registry<R>) -> Value {
    let mut schema = schemars::schema_for!(RawScenario).to_value();
    if let Some(top) = schema.as_object_mut() {
        top.insert("title".into(), json!("meshsync scenario"));
    }
    if let Some(section) = schema.pointer_mut("/properties/strategy_config") {
        *section = strategy_config(registry);
    }
    // `strategy` is a strategy's name, or (in a file with `variants`) a
    // variant's: a schema cannot name the file's own keys, so a file with
    // variants may name any string there (the parser checks it).
    if let Some(top) = schema.as_object_mut() {
        top.insert(
            "anyOf".into(),
            json!([
                {"properties": {"strategy": {"enum": registry.names()}}},
                {"required": ["variants"], "properties": {"variants": {"minProperties": 1}}}
            ]),
        );
    }
    schema
}

/// `strategy_config`: an object with one optional section per config key.
fn strategy_config<R: Runner>(registry: &Registry<R>) -> Value {
    let mut props = Map::new();
    for s in registry.iter() {
        let key = s.config_key();
        let users: Vec<&str> = registry.by_config_key(key).map(|s| s.name()).collect();
        let mut section = s.config_schema();
        if let Some(o) = section.as_object_mut() {
            o.insert(
                "description".into(),
                json!(format!("Parameters of {}.", users.join(" and "))),
            );
        }
        props.entry(key.to_string()).or_insert(section);
    }
    json!({
        "description": "Each strategy's own parameters, by config key; every parameter has a default, so a section may be `{}` or left out.",
        "type": "object",
        "properties": props,
        "additionalProperties": false,
        "default": {}
    })
}
