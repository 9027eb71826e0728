//! `meshsync plot`: the plots of a run, comparison or sweep folder drawn
//! again from its files.
//!
//! Imports: `experiments/`, `output/` and `cli/` (its error type).

use super::InputError;
use crate::output::curves;
use crate::output::plots;
use anyhow::Result;
use std::path::Path;

/// Runs the `plot` command.
pub(super) fn plot(dir: &Path, cx: &super::Cx) -> Result<i32> {
    let order = cx.registry.order();
    refuse_folders_named_as_plots(dir)?;
    let compare = dir.join("comparison.json");
    let points = dir.join("points.json");
    if points.exists() {
        let text = std::fs::read_to_string(&points)?;
        let p: crate::experiments::sweep::Points = crate::sim::shape::parse_objects(&text)
            .map_err(|e| {
                InputError(format!(
                    "{}: not meshsync sweep points: {e}",
                    points.display()
                ))
            })?;
        crate::experiments::sweep::plot_points(dir, &p, &order)?;
    } else if compare.exists() {
        let text = std::fs::read_to_string(&compare)?;
        let c: crate::experiments::compare::Comparison = crate::sim::shape::parse_objects(&text)
            .map_err(|e| {
                InputError(format!(
                    "{}: not a meshsync comparison: {e}",
                    compare.display()
                ))
            })?;
        plots::curves(dir, &c.scenario, &c.curves, &order)?;
    } else if dir.join("summary.json").exists() {
        let c =
            curves::from_run_dir(dir).map_err(|e| InputError(crate::output::error::chain(&e)))?;
        let name = scenario_of_run(dir).unwrap_or_else(|| {
            dir.file_name()
                .map_or("run".into(), |n| n.to_string_lossy().into_owned())
        });
        plots::curves(dir, &name, &[c], &order)?;
    } else {
        return Err(InputError(format!(
            "{}: no summary.json or comparison.json: not a meshsync result folder",
            dir.display()
        ))
        .into());
    }
    outln!("wrote plots into {}", dir.display());
    Ok(0)
}

/// The scenario a run folder's `summary.json` names (the charts' title, as
/// `run` gives them), if it says.
fn scenario_of_run(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(v.get("scenario")?.as_str()?.to_string())
}

/// A folder where a chart file goes (`latency_cdf.png/`) cannot be
/// replaced by the chart: bad input, named, before anything is drawn.
fn refuse_folders_named_as_plots(dir: &Path) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if (name.ends_with(".png") || name.ends_with(".svg"))
            && e.file_type().is_ok_and(|t| t.is_dir())
        {
            return Err(InputError(format!(
                "{}: is a folder, where plot writes a chart; remove or rename it",
                e.path().display()
            ))
            .into());
        }
    }
    Ok(())
}
