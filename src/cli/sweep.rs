//! `meshsync sweep`: a sweep file run (or one shard of it) into a folder,
//! with a progress bar by simulated time on a terminal.
//!
//! Imports: `experiments/` and `cli/` (its clap definitions, thread pool
//! and bars).

use super::progress::WorkBar;
use super::{with_threads, Cx, SweepArgs};
use anyhow::Result;
use std::path::Path;
use std::time::Duration;

/// Runs the `sweep` command.
pub(super) fn sweep(args: SweepArgs, cx: &Cx) -> Result<i32> {
    let sweep = crate::experiments::sweep::Sweep::load_with(&args.sweep, cx.registry)?;
    let m = &sweep.manifest;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&m.name));
    let todo = sweep.shard_len(args.shard);
    check_size(&args, cx.registry, &sweep, todo)?;
    // A sweep's bar appears at once (it says how many runs are left).
    let bar = WorkBar::new(args.quiet, Duration::ZERO);
    let provenance = cx
        .provenance()
        .with("sweep_file", args.sweep.display().to_string())
        .with("shard", args.shard.map(|(i, n)| format!("{i}/{n}")));
    let done = with_threads(args.threads, || {
        sweep.run(&out, args.shard, &provenance, &bar)
    });
    bar.finish();
    let (done, complete) = done??;
    if !args.quiet {
        let shard = args
            .shard
            .map_or(String::new(), |(i, n)| format!(" (shard {i}/{n})"));
        outln!(
            "meshsync sweep: {}{shard}: {} points x {} strategies x {} seeds = {} runs; {done} run now, {} already done",
            m.name,
            m.points.len(),
            m.strategies.len(),
            m.seeds.len(),
            m.runs,
            todo - done
        );
        if complete {
            if m.baseline.is_some() {
                let text = std::fs::read_to_string(out.join("points.json"))?;
                let points: crate::experiments::sweep::Points = serde_json::from_str(&text)?;
                if let Some(t) = crate::experiments::sweep::baseline_tables(&points) {
                    outln!("\n{t}");
                }
            }
            outln!(
                "wrote {0}/runs.csv, points.csv, points.json and sweep_*.png/.svg",
                out.display()
            );
        } else {
            outln!("{} holds part of the sweep; when every shard is done: meshsync merge <shard folders> --out <folder>", out.display());
        }
        outln!(
            "each run alone: cd {} && the \"reproduce\" line of runs/<index>.json (e.g. meshsync run effective-scenarios/000000.json --seed {} --strategy {} --out ../{}-run-000000)",
            out.display(),
            m.seeds[0],
            m.strategies[0],
            m.name
        );
    }
    Ok(0)
}

/// Refuses a sweep whose largest run, times the runs going at once, would
/// not fit (finished runs are on disk, not in memory).
fn check_size(
    args: &SweepArgs,
    registry: &crate::engine::Registry,
    sweep: &crate::experiments::sweep::Sweep,
    todo: usize,
) -> Result<()> {
    let mut worst: Option<crate::engine::estimate::Estimate> = None;
    let mut longest: Option<crate::engine::estimate::Estimate> = None;
    for scenario in sweep.scenarios() {
        for s in sweep.strategies() {
            let e = super::limits::estimate(registry, scenario, s)?;
            if worst.is_none_or(|w| e.peak_bytes > w.peak_bytes) {
                worst = Some(e);
            }
            if longest.is_none_or(|w| e.seconds > w.seconds || e.seconds.is_nan()) {
                longest = Some(e);
            }
        }
    }
    let (Some(worst), Some(longest)) = (worst, longest) else {
        return Ok(());
    };
    let at_once = args
        .threads
        .unwrap_or_else(rayon::current_num_threads)
        .min(todo.max(1)) as f64;
    let work = format!("{} ({todo} runs)", args.sweep.display());
    // The longest run's time, then the largest runs' memory.
    args.limits.check(&work, 0.0, &longest)?;
    args.limits.check(&work, worst.peak_bytes * at_once, &worst)
}
