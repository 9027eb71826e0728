//! `meshsync run`: one scenario, one strategy, one seed, into a folder
//! (`experiments::run::run_to_folder` runs it and writes `summary.json`,
//! `deliveries.csv`, plots, `provenance.json`, `effective-scenario.json`,
//! and with `--report one` The ONE's `MessageStatsReport.txt`), with an
//! optional determinism check; here the flags are resolved, the size
//! checked, and the summary printed for a person.
//!
//! Imports: `experiments/`, `output/` (file names and modes), `report/`,
//! `scenario/` and `cli/` (its clap definitions and bars).

use super::progress::{WorkBar, SHOW_AFTER};
use super::{Cx, RunArgs};
use crate::experiments::run::{run_to_folder, Determinism, RunJob, RunOutcome};
use crate::output::csv::DeliveriesMode;
use crate::output::run_folder::{RunFiles, ONE_REPORT};
use crate::report::Summary;
use crate::scenario::Scenario;
use anyhow::Result;
use std::path::Path;

/// Runs the `run` command.
pub(super) fn run(args: RunArgs, cx: &Cx) -> Result<i32> {
    let registry = cx.registry;
    let scenario = Scenario::load_with(&args.scenario, registry)?;
    if let Some(s) = &args.strategy {
        cx.strategy("--strategy", s, &scenario)?;
    }
    let strategy = args
        .strategy
        .clone()
        .unwrap_or_else(|| scenario.strategy.clone());
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    let est = super::limits::estimate(registry, &scenario, &strategy)?;
    let copies = if args.check_determinism { 2.0 } else { 1.0 };
    let work = format!("{} under {strategy}", args.scenario.display());
    args.limits.check(&work, est.peak_bytes * copies, &est)?;
    let job = RunJob {
        scenario_file: &args.scenario,
        scenario: &scenario,
        strategy: &strategy,
        seed: args.seed.unwrap_or(scenario.seed),
        out: &out,
        files: RunFiles {
            deliveries: args.deliveries,
            one_report: args.report.contains(&super::ExtraReport::One),
        },
        check_determinism: args.check_determinism,
    };
    let bar = WorkBar::new(args.quiet, SHOW_AFTER);
    let outcome = run_to_folder(registry, &job, cx.provenance(), &bar);
    bar.finish();
    report(&job, &outcome?, args.quiet)
}

/// Prints how the run went (unless `quiet`, but a failed determinism
/// check always), and gives the exit code.
fn report(job: &RunJob, outcome: &RunOutcome, quiet: bool) -> Result<i32> {
    let summary = &outcome.report.summary;
    if let Determinism::Failed { again } = &outcome.determinism {
        eprintln!(
            "meshsync: determinism check FAILED: trace hash {} then {again}; reproduce with: meshsync run {} --seed {} --strategy {} --check-determinism",
            summary.trace_hash,
            job.scenario_file.display(),
            job.seed,
            job.strategy,
        );
        return Ok(1);
    }
    if quiet {
        return Ok(0);
    }
    if outcome.determinism == Determinism::Passed {
        outln!(
            "determinism check passed: two runs, trace hash {} both times, identical outputs",
            summary.trace_hash
        );
    }
    out!("{}", render_summary(summary));
    let deliveries = match job.files.deliveries {
        DeliveriesMode::None => "",
        DeliveriesMode::Delivered => ", deliveries.csv",
        DeliveriesMode::All => ", deliveries.csv (every due pair)",
    };
    outln!(
        "wrote {}/summary.json, nodes.csv{deliveries}{}, plots (latency_cdf, deliveries_over_time, bytes_by_record, bytes_by_role, exposure), provenance.json and effective-scenario.json\nreproduce with: {}",
        job.out.display(),
        if job.files.one_report { format!(", {ONE_REPORT}") } else { String::new() },
        outcome.reproduce,
    );
    Ok(0)
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// A human-readable summary of a run.
pub fn render_summary(s: &Summary) -> String {
    let records: Vec<String> = s
        .records_sent
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    format!(
        "meshsync: {} under {} (seed {}, {} nodes, {} s simulated)\n\
         \x20 messages created     {}\n\
         \x20 deliveries           {} of {} (ratio {})\n\
         \x20 latency (s)          mean {}  p50 {}  p90 {}  p99 {}  max {}\n\
         \x20 bandwidth            {} bytes in {} payloads ({} lost), {} bytes per delivery\n\
         \x20 records sent         {}\n\
         \x20 duplicates received  {}\n\
         \x20 causal               {} violations, {} delivered before a parent, {} blocked (mean wait {} s), {} undeliverable (missing parents)\n\
         \x20 events               {} (trace {})\n",
        s.scenario,
        s.strategy,
        s.seed,
        s.nodes,
        s.duration_s,
        s.messages_created,
        s.deliveries,
        s.deliveries_expected,
        opt(s.delivery_ratio, 4),
        opt(s.latency_mean_s, 3),
        opt(s.latency_p50_s, 3),
        opt(s.latency_p90_s, 3),
        opt(s.latency_p99_s, 3),
        opt(s.latency_max_s, 3),
        s.bytes_sent_total,
        s.payloads_sent,
        s.payloads_lost,
        opt(s.bytes_per_delivery, 1),
        records.join("  "),
        s.duplicate_messages_received,
        s.causal_violations,
        s.delivered_before_parent,
        s.blocked_deliveries,
        opt(s.blocked_time_mean_s, 3),
        s.undelivered_missing_parents,
        s.events,
        s.trace_hash
    )
}
