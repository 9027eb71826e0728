//! The validate entry point: [`Scenario::load`], `parse` and `from_value`
//! (each also `_with` a registry), the sections validated in order into a
//! [`Scenario`], the `sync` section, and every strategy's config section
//! parsed once.
//!
//! Imports: `sim/`, `node/` (the registry and delivery rules), the other
//! `scenario/` files.

use super::churn::churn_per_node;
use super::faults::{adversaries, crashes, partitions};
use super::fields::{check_name, path_error, seconds};
use super::groups::groups;
use super::links::{link, topology, transport};
use super::mailservers::mailservers;
use super::raw::*;
use super::scripted::{body, one_messages, script};
use super::types::{invalid, Invalid, Presence, Scenario, ScenarioError, SyncSpec, MAX_NODES};
use crate::node::store::DeliveryMode;
use crate::node::{ParsedConfig, Registry, Runner};
use crate::world::connectivity::Routing;
use std::collections::BTreeMap;
use std::path::Path;

impl Scenario {
    /// Reads and validates a scenario file against the built-in
    /// strategies.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with(path, &Registry::<crate::node::NoRunner>::builtin())
    }

    /// Reads and validates a scenario file against `registry`'s strategies.
    pub fn load_with<R: Runner>(
        path: &Path,
        registry: &Registry<R>,
    ) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = crate::sim::input::read_text(path, crate::sim::input::MAX_JSON_BYTES).map_err(
            |cause| ScenarioError::Read {
                file: file.clone(),
                cause,
            },
        )?;
        Scenario::parse_with(&text, &file, registry)
    }

    /// Parses and validates scenario JSON text against the built-in
    /// strategies; `file` names it in errors and trace paths are relative
    /// to its folder.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with(text, file, &Registry::<crate::node::NoRunner>::builtin())
    }

    /// [`Scenario::parse`] against `registry`'s strategies.
    pub fn parse_with<R: Runner>(
        text: &str,
        file: &str,
        registry: &Registry<R>,
    ) -> Result<Scenario, ScenarioError> {
        // The text as a value first: an array written for an object is
        // refused before serde takes its items by position.
        let value: Option<serde_json::Value> = serde_json::from_str(text).ok();
        if let Some(serde_json::Value::Object(o)) = &value {
            if o.contains_key("scenario") && o.contains_key("grid") {
                return Err(path_error(
                    file,
                    String::new(),
                    format!(
                        "this is a sweep file (it has `scenario` and `grid`), not a scenario: \
                         `meshsync validate {file}` checks it and every point's scenario, \
                         `meshsync sweep {file}` runs it"
                    ),
                ));
            }
        }
        let findings = value.as_ref().map(shape_of).unwrap_or_default();
        if let Some(m) = findings.array {
            return Err(path_error(file, m.path, m.message));
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: RawScenario = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let inner = e.inner();
            match (inner.classify(), &value) {
                // Valid JSON that serde's streaming parser stopped in (an
                // enum with two keys): the value gives the path.
                (
                    serde_json::error::Category::Syntax | serde_json::error::Category::Eof,
                    Some(v),
                ) => match serde_path_to_error::deserialize::<_, RawScenario>(v) {
                    Err(e) => path_error(file, e.path().to_string(), plain(e.inner())),
                    Ok(_) => path_error(file, String::new(), format!("not valid JSON: {inner}")),
                },
                // Where the text stops being JSON, only line and column mean anything.
                (serde_json::error::Category::Syntax | serde_json::error::Category::Eof, None) => {
                    path_error(file, String::new(), format!("not valid JSON: {inner}"))
                }
                _ => path_error(file, e.path().to_string(), inner.to_string()),
            }
        })?;
        de.end().map_err(|e| {
            path_error(
                file,
                String::new(),
                format!("not valid JSON: content after the scenario object: {e}"),
            )
        })?;
        if let Some(m) = findings.unknown_key {
            return Err(path_error(file, m.path, m.message));
        }
        Scenario::validate(raw, file, registry)
    }

    /// Validates a scenario given as a JSON value (used by overrides).
    pub fn from_value(value: serde_json::Value, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_value_with(value, file, &Registry::<crate::node::NoRunner>::builtin())
    }

    /// [`Scenario::from_value`] against `registry`'s strategies.
    pub fn from_value_with<R: Runner>(
        value: serde_json::Value,
        file: &str,
        registry: &Registry<R>,
    ) -> Result<Scenario, ScenarioError> {
        let findings = shape_of(&value);
        if let Some(m) = findings.array {
            return Err(path_error(file, m.path, m.message));
        }
        let raw: RawScenario = serde_path_to_error::deserialize(value)
            .map_err(|e| path_error(file, e.path().to_string(), plain(e.inner())))?;
        if let Some(m) = findings.unknown_key {
            return Err(path_error(file, m.path, m.message));
        }
        Scenario::validate(raw, file, registry)
    }

    fn validate<R: Runner>(
        raw: RawScenario,
        file: &str,
        registry: &Registry<R>,
    ) -> Result<Scenario, ScenarioError> {
        let base = Path::new(file).parent().unwrap_or(Path::new(""));
        validate(raw, base, registry).map_err(|e| match e {
            Invalid::At(path, message) => path_error(file, path, message),
            Invalid::Trace(t) => ScenarioError::Trace(t),
        })
    }
}

/// The raw scenario's JSON Schema (the strategy sections are checked by
/// their strategies), derived once.
fn raw_schema() -> &'static serde_json::Value {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| schemars::schema_for!(RawScenario).to_value())
}

/// Arrays written for objects, keys no section has.
fn shape_of(value: &serde_json::Value) -> crate::sim::shape::Findings {
    crate::sim::shape::against_schema(value, raw_schema())
}

/// serde's message, with its wording for an enum given two kinds made
/// plain.
fn plain(e: &serde_json::Error) -> String {
    let m = e.to_string();
    if m.starts_with("invalid value: map, expected map with a single key") {
        return "expected exactly one kind (an object with a single key, such as {\"fixed\": 5}), got several keys".into();
    }
    m
}

fn validate<R: Runner>(
    raw: RawScenario,
    base: &Path,
    registry: &Registry<R>,
) -> Result<Scenario, Invalid> {
    check_name("name", &raw.name)?;
    let duration = seconds("duration_s", raw.duration_s, false)?;
    if !raw.variants.contains_key(&raw.strategy) {
        registry.lookup(&raw.strategy).or_else(|e| {
            let names: Vec<&str> = raw.variants.keys().map(String::as_str).collect();
            let e = if names.is_empty() {
                e
            } else {
                format!("{e}, or a variant: {}", names.join(", "))
            };
            invalid("strategy", e)
        })?;
    }
    let strategy_config = strategy_config(&raw.strategy_config, registry)?;
    let variants = super::variants::variants(&raw.variants, &raw.strategy_config, registry)?;
    if raw.nodes == 0 || raw.nodes > MAX_NODES {
        return invalid(
            "nodes",
            format!("expected 1 to {MAX_NODES} nodes, got {}", raw.nodes),
        );
    }
    let n = raw.nodes;
    let mut groups = groups(&raw.groups, n)?;
    let mut script = script(&raw.messages, &groups, n, duration)?;
    if let Some(file) = &raw.one_messages {
        one_messages(&base.join(file), n, duration, &mut groups, &mut script)?;
    }
    if groups.is_empty() {
        return invalid("groups", "expected at least one group (or one_messages)");
    }
    let mut churn = churn_per_node(&raw.churn, &raw.churn_overrides, n)?;
    let adversaries = adversaries(&raw.adversaries, &groups, n)?;
    let mailservers = match &raw.mailservers {
        None => None,
        Some(m) => mailservers(m, &groups, n, &mut churn)?,
    };
    let link = link(&raw.link, duration)?;
    let transport = transport(&raw.transport)?;
    if link.one.is_some()
        && (transport.presence != Presence::Known || transport.routing != Routing::Direct)
    {
        return invalid(
            "link.one",
            "expected transport.presence \"known\" and transport.routing \"direct\" \
             (The ONE transfers messages only between hosts in contact)",
        );
    }
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        seed: raw.seed,
        duration,
        strategy: raw.strategy,
        strategy_config,
        variants,
        nodes: n,
        topology: topology(&raw.topology, n, base)?,
        link,
        churn,
        script,
        groups,
        body_bytes: body(&raw.body_bytes)?,
        sync: sync(&raw.sync)?,
        transport,
        partitions: partitions(&raw.partitions, n, duration)?,
        crashes: crashes(&raw.crashes, n)?,
        adversaries,
        mailservers,
    })
}

fn sync(raw: &RawSync) -> Result<SyncSpec, Invalid> {
    for (key, set, to) in [
        (
            "max_latency_s",
            raw.max_latency_s.is_some(),
            "strategy_config.bsp.interactive.max_latency_s and strategy_config.bsp.batch.max_latency_s",
        ),
        (
            "offer_cap",
            raw.offer_cap.is_some(),
            "strategy_config.bsp.offer_cap",
        ),
    ] {
        if set {
            return invalid(
                format!("sync.{key}"),
                format!("moved: BSP's parameters are now {to}"),
            );
        }
    }
    let delivery = match raw.delivery {
        RawDelivery::Consistent => DeliveryMode::Consistent,
        RawDelivery::Eventual => DeliveryMode::Eventual,
    };
    let max_parent_wait = match raw.max_parent_wait_s {
        None => None,
        Some(w) => Some(seconds("sync.max_parent_wait_s", w, false)?),
    };
    Ok(SyncSpec {
        delivery,
        max_parent_wait,
    })
}

/// Every strategy's config section, parsed once: each section the file
/// has goes to every strategy that reads it, and each key the file leaves
/// out gets its defaults.
pub(crate) fn strategy_config<R: Runner>(
    raw: &BTreeMap<String, serde_json::Value>,
    registry: &Registry<R>,
) -> Result<BTreeMap<String, ParsedConfig>, Invalid> {
    let keys = registry.config_keys();
    if let Some(key) = raw.keys().find(|k| !keys.contains(&k.as_str())) {
        return invalid(
            format!("strategy_config.{key}"),
            format!(
                "no strategy reads this section, expected one of {}",
                keys.join(", ")
            ),
        );
    }
    let mut parsed = BTreeMap::new();
    for key in keys {
        let path = format!("strategy_config.{key}");
        for s in registry.by_config_key(key) {
            let config = s.parse_config(raw.get(key)).or_else(|e| {
                let at = if e.path.is_empty() {
                    path.clone()
                } else {
                    format!("{path}.{}", e.path)
                };
                invalid(at, e.message)
            })?;
            parsed.entry(key.to_string()).or_insert(config);
        }
    }
    Ok(parsed)
}
