//! `meshsync validate`: a scenario file checked, not run.
//!
//! Imports: `scenario/`.

use crate::scenario::Scenario;
use anyhow::Result;
use std::path::Path;

/// Runs the `validate` command.
pub(super) fn validate(scenario: &Path, cx: &super::Cx) -> Result<i32> {
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
