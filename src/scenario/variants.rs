//! Strategy variants: a named (strategy, config section) pair usable
//! wherever a strategy name is (a scenario's `strategy`, `compare
//! --strategies`, a sweep's `strategies`).
//!
//! A scenario file declares them under `variants`:
//!
//! ```json
//! "variants": {
//!   "mvds-vac-interactive": { "strategy": "mvds-vac", "config": { "mode": "interactive" } }
//! }
//! ```
//!
//! A variant's config is merged into the scenario's own section for its
//! strategy's config key (objects key by key, anything else replaced), and
//! the merged section is parsed by the strategy, so a variant runs exactly
//! as its strategy would in a scenario whose `strategy_config` held the
//! merged section. The effective scenario records each variant's merged
//! section with every default filled in.
//!
//! Imports: `node/` (the registry) and the scenario's `raw`, `fields` and
//! `types`.

use super::fields::check_name;
use super::types::{invalid, Invalid, Scenario};
use crate::node::{ParsedConfig, Registry, Runner};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// A variant as written (`variants.<name>`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawVariant {
    /// The strategy it runs (`meshsync strategies` lists them).
    pub strategy: String,
    /// Its config section (the strategy's `strategy_config` section),
    /// merged into the scenario's own: objects key by key, other values
    /// replaced (default `{}`: the scenario's section as it is).
    #[serde(default = "empty_object")]
    pub config: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

/// A validated variant.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    /// The strategy it runs.
    pub strategy: String,
    /// Its strategy's config key.
    pub config_key: String,
    /// The merged section, parsed.
    pub config: ParsedConfig,
}

/// `patch` merged into `base`: objects key by key (recursively), any other
/// value replaced.
pub fn merge(base: &mut Value, patch: &Value) {
    match (base, patch) {
        (Value::Object(b), Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) => merge(slot, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// Validates every variant: its name (not a strategy's), its strategy, and
/// its merged config section.
pub(crate) fn variants<R: Runner>(
    raw: &BTreeMap<String, RawVariant>,
    sections: &BTreeMap<String, Value>,
    registry: &Registry<R>,
) -> Result<BTreeMap<String, Variant>, Invalid> {
    let mut out = BTreeMap::new();
    for (name, v) in raw {
        let path = format!("variants.{name}");
        check_name(&path, name)?;
        if registry.get(name).is_some() {
            return invalid(
                path,
                format!("{name:?} is a strategy's name: a variant needs a name of its own"),
            );
        }
        let strategy = registry
            .lookup(&v.strategy)
            .or_else(|e| invalid(format!("{path}.strategy"), e))?;
        if !v.config.is_object() {
            return invalid(
                format!("{path}.config"),
                "expected an object: the strategy's config section",
            );
        }
        let key = strategy.config_key().to_string();
        let mut section = sections.get(&key).cloned().unwrap_or_else(empty_object);
        merge(&mut section, &v.config);
        let config = strategy.parse_config(Some(&section)).or_else(|e| {
            let at = if e.path.is_empty() {
                format!("{path}.config")
            } else {
                format!("{path}.config.{}", e.path)
            };
            invalid(at, e.message)
        })?;
        out.insert(
            name.clone(),
            Variant {
                strategy: v.strategy.clone(),
                config_key: key,
                config,
            },
        );
    }
    Ok(out)
}

/// The effective form of each variant: its strategy and its merged
/// section with every default filled in.
pub(crate) fn effective(variants: &BTreeMap<String, Variant>) -> BTreeMap<String, RawVariant> {
    variants
        .iter()
        .map(|(name, v)| {
            (
                name.clone(),
                RawVariant {
                    strategy: v.strategy.clone(),
                    config: v.config.effective().clone(),
                },
            )
        })
        .collect()
}

impl Scenario {
    /// True when `name` is one of the scenario's variants.
    pub fn is_variant(&self, name: &str) -> bool {
        self.variants.contains_key(name)
    }

    /// The strategy `name` runs and the scenario it runs on: a variant's
    /// strategy on this scenario with the variant's config section, or
    /// `name` itself on this scenario.
    pub fn resolve<'a>(&'a self, name: &'a str) -> (&'a str, Cow<'a, Scenario>) {
        match self.variants.get(name) {
            None => (name, Cow::Borrowed(self)),
            Some(v) => {
                let mut s = self.clone();
                s.strategy_config
                    .insert(v.config_key.clone(), v.config.clone());
                (v.strategy.as_str(), Cow::Owned(s))
            }
        }
    }

    /// The strategy `name` runs (a variant's, or `name`).
    pub fn base_strategy<'a>(&'a self, name: &'a str) -> &'a str {
        self.variants
            .get(name)
            .map_or(name, |v| v.strategy.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_is_key_by_key_for_objects() {
        let mut a = json!({"batch": {"max_latency_s": 30, "x": 1}, "offer_cap": 5});
        merge(
            &mut a,
            &json!({"batch": {"max_latency_s": 60}, "offer_cap": 7}),
        );
        assert_eq!(
            a,
            json!({"batch": {"max_latency_s": 60, "x": 1}, "offer_cap": 7})
        );
    }

    #[test]
    fn a_variant_carries_its_merged_section() {
        let s = Scenario::parse(
            r#"{"name": "v", "duration_s": 60, "nodes": 3, "strategy": "vac-i",
                "groups": [{"name": "g", "members": "all"}],
                "variants": {"vac-i": {"strategy": "mvds-vac", "config": {"mode": "interactive"}}}}"#,
            "v.json",
        )
        .unwrap();
        assert_eq!(s.strategy, "vac-i");
        assert_eq!(s.base_strategy("vac-i"), "mvds-vac");
        let (base, resolved) = s.resolve("vac-i");
        assert_eq!(base, "mvds-vac");
        assert_eq!(
            resolved.strategy_config["mvds-vac"].effective()["mode"],
            "interactive"
        );
        assert_eq!(s.strategy_config["mvds-vac"].effective()["mode"], "batch");
    }

    #[test]
    fn bad_variants_name_their_path() {
        let bad = |variants: &str| {
            Scenario::parse(
                &format!(
                    r#"{{"name": "v", "duration_s": 60, "nodes": 3,
                        "groups": [{{"name": "g", "members": "all"}}], "variants": {variants}}}"#
                ),
                "v.json",
            )
            .unwrap_err()
            .to_string()
        };
        assert!(bad(r#"{"x": {"strategy": "nope"}}"#).contains("variants.x.strategy: unknown"));
        assert!(bad(r#"{"mvds": {"strategy": "mvds"}}"#).contains("variants.mvds: "));
        assert!(
            bad(r#"{"x": {"strategy": "mvds-vac", "config": {"mode": "fast"}}}"#)
                .contains("variants.x.config.mode")
        );
        assert!(bad(r#"{"x": {"strategy": "mvds-vac", "config": 3}}"#)
            .contains("variants.x.config: expected an object"));
    }
}
