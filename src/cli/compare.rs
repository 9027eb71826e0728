//! `meshsync compare`: one scenario under several strategies and seeds,
//! side by side, into a folder (`experiments::compare::compare_to_folder`
//! runs them and writes it); here the flags are checked, the size
//! estimated, and the table printed.
//!
//! Imports: `engine/` (the registry, size estimates), `experiments/`,
//! `scenario/` and `cli/` (its clap definitions, thread pool and bars).

use super::progress::{WorkBar, SHOW_AFTER};
use super::{with_threads, CompareArgs, Cx, InputError};
use crate::experiments::compare::{compare_to_folder, CompareJob};
use crate::scenario::Scenario;
use anyhow::Result;
use std::path::Path;

/// Most seeds one comparison may run.
pub const MAX_COMPARE_SEEDS: u64 = 10_000;

/// Runs the `compare` command.
pub(super) fn compare(args: CompareArgs, cx: &Cx) -> Result<i32> {
    let registry = cx.registry;
    let scenario = Scenario::load_with(&args.scenario, registry)?;
    for s in &args.strategies {
        cx.strategy("--strategies", s, &scenario)?;
    }
    let (strategies, seeds) = strategies_and_seeds(&args, cx, &scenario)?;
    if let Some(b) = args.baseline.as_ref().filter(|b| !strategies.contains(b)) {
        return Err(InputError(format!(
            "--baseline: {b:?} is not one of the strategies compared ({})",
            strategies.join(", ")
        ))
        .into());
    }
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(format!("{}-compare", scenario.name)));
    check_size(&args, registry, &scenario, &strategies, seeds.len())?;
    let job = CompareJob {
        scenario_file: &args.scenario,
        scenario: &scenario,
        strategies: &strategies,
        seeds: &seeds,
        out: &out,
        baseline: args.baseline.as_deref(),
    };
    let provenance = cx.provenance();
    let bar = WorkBar::new(args.quiet, SHOW_AFTER);
    let c = with_threads(args.threads, || {
        compare_to_folder(registry, &job, provenance, &bar)
    });
    bar.finish();
    let c = c??;
    if !args.quiet {
        outln!(
            "meshsync compare: {} ({} strategies x {} seeds {}..={}; mean ± 95% CI)\n",
            c.scenario,
            strategies.len(),
            seeds.len(),
            seeds[0],
            seeds[seeds.len() - 1]
        );
        out!("{}", c.table());
        if let Some(b) = &c.baseline {
            outln!("\nagainst {b} (paired by seed; ratio of means and mean difference, 95% CI)\n");
            out!("{}", c.vs_table());
        }
        for note in &c.notes {
            outln!("\nnote: {note}");
        }
        outln!(
            "\nwrote {}/comparison.json, comparison.csv, runs.csv, plots (latency_cdf, deliveries_over_time, bytes_by_record, bytes_by_role, exposure; .png and .svg), provenance.json and effective-scenario.json",
            out.display()
        );
    }
    Ok(0)
}

/// The strategies (all, in registry order, unless listed) and seeds
/// (`--seeds` of them from `--seed` or the scenario's), checked.
fn strategies_and_seeds(
    args: &CompareArgs,
    cx: &Cx,
    scenario: &Scenario,
) -> Result<(Vec<String>, Vec<u64>)> {
    let strategies = if args.strategies.is_empty() {
        cx.registry.order()
    } else {
        args.strategies.clone()
    };
    if args.seeds == 0 || args.seeds > MAX_COMPARE_SEEDS {
        return Err(InputError(format!(
            "--seeds: expected 1 to {MAX_COMPARE_SEEDS} (a comparison keeps every run in memory; use a sweep for more), got {}",
            args.seeds
        ))
        .into());
    }
    if let Some(d) = strategies
        .iter()
        .enumerate()
        .find_map(|(i, s)| strategies[..i].contains(s).then_some(s))
    {
        return Err(InputError(format!("--strategies: {d:?} is listed twice")).into());
    }
    let first = args.seed.unwrap_or(scenario.seed);
    let seeds = (0..args.seeds).map(|k| first.wrapping_add(k)).collect();
    Ok((strategies, seeds))
}

/// Bytes a finished run's report keeps per delivery (its row) until the
/// comparison is written.
const KEPT_PER_DELIVERY: f64 = 48.0;

/// Refuses a comparison whose runs would not fit: the largest run times
/// the runs going at once, plus every finished run's delivery rows.
fn check_size(
    args: &CompareArgs,
    registry: &crate::engine::Registry,
    scenario: &Scenario,
    strategies: &[String],
    seeds: usize,
) -> Result<()> {
    let runs = strategies.len() * seeds;
    let at_once = args
        .threads
        .unwrap_or_else(rayon::current_num_threads)
        .min(runs) as f64;
    let mut worst = None;
    let mut kept = 0.0;
    for s in strategies {
        let e = super::limits::estimate(registry, scenario, s)?;
        kept += e.deliveries * KEPT_PER_DELIVERY * seeds as f64;
        if worst.is_none_or(|w: crate::engine::estimate::Estimate| e.peak_bytes > w.peak_bytes) {
            worst = Some(e);
        }
    }
    let worst = worst.expect("at least one strategy");
    let work = format!("{} ({runs} runs)", args.scenario.display());
    args.limits
        .check(&work, worst.peak_bytes * at_once + kept, &worst)
}
