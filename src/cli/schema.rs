//! `meshsync schema [scenario|sweep]`: prints the JSON Schema of scenario
//! or sweep files (the committed copies in `scenarios/schema/` are this
//! output, checked by a test).
//!
//! Imports: `scenario/`, `experiments/`, `node/` and `cli/`.

use crate::engine::Registry;
use anyhow::Result;

/// Which file kind's schema to print.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaKind {
    /// Scenario files (`scenarios/*.json`).
    Scenario,
    /// Sweep files (`scenarios/sweeps/*.json`).
    Sweep,
}

/// The schema of `kind` for `registry`'s strategies, as pretty JSON text
/// with a final line end.
pub fn schema_text(kind: SchemaKind, registry: &Registry) -> Result<String> {
    let schema = match kind {
        SchemaKind::Scenario => crate::scenario::schema::scenario_schema(registry),
        SchemaKind::Sweep => crate::experiments::sweep::sweep_schema(registry),
    };
    let mut text = serde_json::to_string_pretty(&schema)?;
    text.push('\n');
    Ok(text)
}

/// Runs the `schema` command.
pub(super) fn schema(kind: SchemaKind, cx: &super::Cx) -> Result<i32> {
    out!("{}", schema_text(kind, cx.registry)?);
    Ok(0)
}
