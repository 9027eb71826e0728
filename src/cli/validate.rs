//! `meshsync validate`: a scenario file (or a sweep file, with every
//! point's scenario) checked, not run.
//!
//! Imports: `scenario/`, `experiments/` (sweeps), `sim/` (reading input).

use crate::scenario::Scenario;
use anyhow::Result;
use std::path::Path;

/// Runs the `validate` command.
pub(super) fn validate(scenario: &Path, cx: &super::Cx) -> Result<i32> {
    if is_sweep_file(scenario) {
        let sweep = crate::experiments::sweep::Sweep::load_with(scenario, cx.registry)?;
        let m = &sweep.manifest;
        outln!(
            "{}: ok, a sweep file ({} points x {} strategies x {} seeds = {} runs; every point's scenario is valid)",
            scenario.display(),
            m.points.len(),
            m.strategies.len(),
            m.seeds.len(),
            m.runs
        );
        return Ok(0);
    }
    let s = Scenario::load_with(scenario, cx.registry)?;
    outln!(
        "{}: ok ({} nodes, {} groups, {} scripted messages, {} s, strategy {})",
        scenario.display(),
        s.nodes,
        s.groups.len(),
        s.script.len(),
        s.duration.as_secs_f64(),
        s.strategy
    );
    let est = super::limits::estimate(cx.registry, &s, &s.strategy)?;
    outln!("estimated size under {}: {}", s.strategy, est.render());
    if let Some(why) = super::limits::LimitArgs::default().refusal(&est) {
        outln!("run, compare and sweep refuse it as it is: {why}");
    }
    Ok(0)
}

/// True when `path` holds a JSON object with the key only a sweep file
/// has (`scenario`, the file its points start from; a sweep may vary it
/// by `grid`, `axes` or neither).
fn is_sweep_file(path: &Path) -> bool {
    let Ok(text) = crate::sim::input::read_text(path, crate::sim::input::MAX_JSON_BYTES) else {
        return false;
    };
    matches!(
        serde_json::from_str::<serde_json::Value>(&text),
        Ok(serde_json::Value::Object(o)) if o.contains_key("scenario")
    )
}
