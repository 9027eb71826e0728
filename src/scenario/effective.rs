//! The effective scenario: a scenario (a file, or a sweep point's JSON)
//! with every default filled in, as result folders record it, and its hash.
//!
//! The file's raw form is serialized back, so every field is present with
//! the value a run used. Trace files (`topology.file` of a contact trace,
//! `one_messages`) are named by absolute path, so the recorded scenario runs
//! from any folder on the machine that wrote it; its [`hash`] covers their
//! content, not their path, so the same inputs hash alike on any machine.
//! `strategy_config` records a section for every config key of the
//! strategies it was made with (the built-in ones unless a registry is
//! given), each parsed once and serialized back with its defaults filled
//! in, so the hash covers every parameter a run under any of them used.
//!
//! Imports: `sim/`, `node/` (the registry) and the scenario's `raw`.

use super::raw::{RawScenario, RawTopology};
use super::{path_error, Invalid, ScenarioError};
use crate::node::{NoRunner, Registry, Runner};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// The effective scenario of `doc`, read from `file` (trace paths are
/// relative to its folder).
pub fn effective(doc: Value, file: &str) -> Result<Value, ScenarioError> {
    effective_with(doc, file, &Registry::<NoRunner>::builtin())
}

/// [`effective`] with `registry`'s strategies' sections.
pub fn effective_with<R: Runner>(
    doc: Value,
    file: &str,
    registry: &Registry<R>,
) -> Result<Value, ScenarioError> {
    let mut raw: RawScenario = serde_path_to_error::deserialize(doc)
        .map_err(|e| path_error(file, e.path().to_string(), e.inner().to_string()))?;
    let to_error = |e| match e {
        Invalid::At(path, message) => path_error(file, path, message),
        Invalid::Trace(t) => ScenarioError::Trace(t),
    };
    let variants = super::variants::variants(&raw.variants, &raw.strategy_config, registry)
        .map_err(to_error)?;
    raw.variants = super::variants::effective(&variants);
    raw.strategy_config = super::strategy_config(&raw.strategy_config, registry)
        .map_err(to_error)?
        .into_iter()
        .map(|(k, c)| (k, c.effective().clone()))
        .collect();
    // `$schema` names the file's format, not the world (and is relative to
    // the file): not recorded, not hashed.
    raw.schema = None;
    let base = Path::new(file).parent().unwrap_or(Path::new(""));
    if let RawTopology::ContactTrace { file: f } = &mut raw.topology {
        *f = absolute(base, f);
    }
    if let Some(f) = &mut raw.one_messages {
        *f = absolute(base, f);
    }
    serde_json::to_value(&raw)
        .map_err(|e| path_error(file, String::new(), format!("cannot record it: {e}")))
}

/// The effective scenario of the scenario file at `path`.
pub fn load_effective(path: &Path) -> Result<Value, ScenarioError> {
    load_effective_with(path, &Registry::<NoRunner>::builtin())
}

/// [`load_effective`] with `registry`'s strategies' sections.
pub fn load_effective_with<R: Runner>(
    path: &Path,
    registry: &Registry<R>,
) -> Result<Value, ScenarioError> {
    let file = path.display().to_string();
    let text =
        crate::sim::input::read_text(path, crate::sim::input::MAX_JSON_BYTES).map_err(|cause| {
            ScenarioError::Read {
                file: file.clone(),
                cause,
            }
        })?;
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| path_error(&file, String::new(), format!("not valid JSON: {e}")))?;
    effective_with(doc, &file, registry)
}

/// `path` relative to `base`, made absolute (canonical when it exists).
fn absolute(base: &Path, path: &str) -> String {
    let joined = base.join(path);
    let abs = joined.canonicalize().unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(&joined))
            .unwrap_or(joined)
    });
    abs.display().to_string()
}

/// SHA-256 (hex) of an effective scenario: its JSON text with each trace
/// path replaced by the SHA-256 of the trace file's bytes.
pub fn hash(effective: &Value) -> Result<String, ScenarioError> {
    let mut v = effective.clone();
    if v["topology"]["kind"] == "contact-trace" {
        if let Some(f) = v["topology"]["file"].as_str() {
            v["topology"]["file"] = Value::String(file_hash(Path::new(f))?);
        }
    }
    if let Some(f) = v["one_messages"].as_str() {
        v["one_messages"] = Value::String(file_hash(Path::new(f))?);
    }
    Ok(hex(&Sha256::digest(v.to_string().as_bytes())))
}

/// `sha256:<hex>` of a file's bytes.
fn file_hash(path: &Path) -> Result<String, ScenarioError> {
    let read = |cause| ScenarioError::Read {
        file: path.display().to_string(),
        cause,
    };
    let mut f = std::fs::File::open(PathBuf::from(path)).map_err(read)?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(read)?;
    Ok(format!("sha256:{}", hex(&h.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn bundled() -> Vec<PathBuf> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_effective_scenario_is_the_same_scenario_with_every_default() {
        for path in bundled() {
            let eff = load_effective(&path).unwrap();
            let text = serde_json::to_string_pretty(&eff).unwrap();
            // Somewhere else entirely: trace paths are absolute.
            let elsewhere = std::env::temp_dir().join("effective.json");
            let again = Scenario::parse(&text, elsewhere.to_str().unwrap()).unwrap();
            assert_eq!(again, Scenario::load(&path).unwrap(), "{}", path.display());
            for key in [
                "seed",
                "strategy",
                "link",
                "transport",
                "sync",
                "body_bytes",
            ] {
                assert!(eff.get(key).is_some(), "{}: {key}", path.display());
            }
            // A fixed point: recording it again changes nothing.
            let twice = effective(eff.clone(), elsewhere.to_str().unwrap()).unwrap();
            assert_eq!(twice, eff);
            assert_eq!(hash(&twice).unwrap(), hash(&eff).unwrap());
        }
    }

    #[test]
    fn the_hash_follows_content_not_spelling() {
        let a = r#"{"name": "x", "duration_s": 60, "nodes": 2,
                    "groups": [{"name": "g", "members": "all"}]}"#;
        let b = r#"{"nodes": 2, "duration_s": 60.0, "name": "x", "seed": 1,
                    "groups": [{"name": "g", "members": "all", "rate_per_hour": 0}]}"#;
        let h = |t: &str| hash(&effective(serde_json::from_str(t).unwrap(), "x.json").unwrap());
        assert_eq!(h(a).unwrap(), h(b).unwrap());
        assert_ne!(h(a).unwrap(), h(&a.replace("60", "61")).unwrap());
    }

    #[test]
    fn the_hash_covers_trace_content() {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("t.txt");
        std::fs::write(&trace, "0 CONN 0 1 up\n").unwrap();
        let doc = serde_json::json!({"name": "x", "duration_s": 60, "nodes": 2,
            "topology": {"kind": "contact-trace", "file": "t.txt"},
            "groups": [{"name": "g", "members": "all"}]});
        let file = dir.path().join("s.json");
        let eff = effective(doc, file.to_str().unwrap()).unwrap();
        assert_eq!(
            eff["topology"]["file"],
            trace.canonicalize().unwrap().to_str().unwrap()
        );
        let before = hash(&eff).unwrap();
        std::fs::write(&trace, "0 CONN 0 1 up\n5 CONN 0 1 down\n").unwrap();
        assert_ne!(hash(&eff).unwrap(), before);
    }
}
