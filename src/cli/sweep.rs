//! `meshsync sweep`: a sweep file run (or one shard of it) into a folder,
//! with a progress bar on a terminal.
//!
//! Imports: `experiments/` and `cli/` (its clap definitions and thread
//! pool).

use super::{with_threads, SweepArgs};
use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::Path;

/// Runs the `sweep` command.
pub(super) fn sweep(args: SweepArgs) -> Result<i32> {
    let sweep = crate::experiments::sweep::Sweep::load(&args.sweep)?;
    let m = &sweep.manifest;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&m.name));
    let todo = sweep.shard_len(args.shard);
    check_size(&args, &sweep, todo)?;
    let bar = progress_bar(todo, args.quiet)?;
    let (done, complete) =
        with_threads(args.threads, || sweep.run(&out, args.shard, &|| bar.inc(1)))??;
    bar.finish_and_clear();
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
            outln!(
                "wrote {0}/runs.csv, points.csv, points.json and sweep_*.png/.svg",
                out.display()
            );
        } else {
            outln!("{} holds part of the sweep; when every shard is done: meshsync merge <shard folders> --out <folder>", out.display());
        }
    }
    Ok(0)
}

/// A bar of `todo` runs on stderr, hidden when quiet or not a terminal.
fn progress_bar(todo: usize, quiet: bool) -> Result<ProgressBar> {
    let bar = if quiet || !std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(todo as u64), ProgressDrawTarget::hidden())
    } else {
        ProgressBar::new(todo as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {elapsed} elapsed, eta {eta}")
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    Ok(bar)
}

/// Refuses a sweep whose largest run, times the runs going at once, would
/// not fit (finished runs are on disk, not in memory).
fn check_size(
    args: &SweepArgs,
    sweep: &crate::experiments::sweep::Sweep,
    todo: usize,
) -> Result<()> {
    let mut worst: Option<crate::engine::estimate::Estimate> = None;
    for scenario in sweep.scenarios() {
        for s in sweep.strategies() {
            let e = super::limits::estimate(scenario, s)?;
            if worst.is_none_or(|w| e.peak_bytes > w.peak_bytes) {
                worst = Some(e);
            }
        }
    }
    let Some(worst) = worst else { return Ok(()) };
    let at_once = args
        .threads
        .unwrap_or_else(rayon::current_num_threads)
        .min(todo.max(1)) as f64;
    let work = format!("{} ({todo} runs)", args.sweep.display());
    args.limits.check(&work, worst.peak_bytes * at_once, &worst)
}
