//! `meshsync run`: one scenario, one strategy, one seed, into a folder
//! (`summary.json`, `deliveries.csv`, plots, `provenance.json`,
//! `effective-scenario.json`, and with `--report one` The ONE's
//! `MessageStatsReport.txt`), with an optional determinism check; and the
//! summary printed for a person.
//!
//! Imports: `engine/`, `output/`, `report/`, `scenario/`,
//! `experiments::progress` and `cli/` (its clap definitions and bars).

use super::progress::{WorkBar, SHOW_AFTER};
use super::{Cx, RunArgs};
use crate::engine;
use crate::experiments::progress::{run_watched, Progress};
use crate::output::csv::DeliveriesMode;
use crate::output::curves;
use crate::output::one_report;
use crate::output::plots;
use crate::output::provenance::command_line;
use crate::output::{write_atomic, write_atomic_with, Provenance, ResultSet};
use crate::report::{RunReport, Summary};
use crate::scenario::Scenario;
use anyhow::Result;
use std::path::Path;

/// The file `--report one` writes.
const ONE_REPORT: &str = "MessageStatsReport.txt";

/// Runs the `run` command.
pub(super) fn run(args: RunArgs, cx: &Cx) -> Result<i32> {
    let registry = cx.registry;
    if let Some(s) = &args.strategy {
        cx.strategy("--strategy", s)?;
    }
    let scenario = Scenario::load_with(&args.scenario, registry)?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let strategy = args.strategy.unwrap_or_else(|| scenario.strategy.clone());
    let out = args
        .out
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    let est = super::limits::estimate(registry, &scenario, &strategy)?;
    let copies = if args.check_determinism { 2.0 } else { 1.0 };
    let work = format!("{} under {strategy}", args.scenario.display());
    args.limits.check(&work, est.peak_bytes * copies, &est)?;
    let effective = crate::scenario::effective::load_effective_with(&args.scenario, registry)?;
    let one = args.report.contains(&super::ExtraReport::One);
    let scenario_file = args.scenario.display().to_string();
    let seed_text = seed.to_string();
    let mut words = vec![
        "run",
        &scenario_file,
        "--seed",
        &seed_text,
        "--strategy",
        &strategy,
    ];
    if one {
        words.extend(["--report", "one"]);
    }
    let reproduce = command_line(&words);
    let provenance = cx
        .provenance()
        .with("scenario_file", args.scenario.display().to_string())
        .with(
            "scenario_hash",
            crate::scenario::effective::hash(&effective)?,
        )
        .with("seed", seed)
        .with("strategy", &strategy)
        .with("reproduce", &reproduce);
    let set = ResultSet::begin(&out)?;
    let bar = WorkBar::new(args.quiet, SHOW_AFTER);
    bar.begin(1, scenario.duration);
    let report = run_watched(registry, &scenario, &strategy, seed, &bar);
    bar.finish();
    let report = report?;
    if args.check_determinism {
        let again = engine::run_in(registry, &scenario, &strategy, seed, &|_| {})?;
        let same = again.summary_json() == report.summary_json()
            && again.deliveries == report.deliveries
            && again.one == report.one;
        if !same {
            eprintln!(
                "meshsync: determinism check FAILED: trace hash {} then {}; reproduce with: meshsync run {} --seed {seed} --strategy {strategy} --check-determinism",
                report.summary.trace_hash,
                again.summary.trace_hash,
                args.scenario.display()
            );
            return Ok(1);
        }
        if !args.quiet {
            outln!(
                "determinism check passed: two runs, trace hash {} both times, identical outputs",
                report.summary.trace_hash
            );
        }
    }
    set.write_with(|dir| {
        write_report_with(&report, dir, args.deliveries, &registry.order())?;
        if one {
            let text = one_report::render(&report.summary.scenario, &report.one);
            write_atomic(&dir.join(ONE_REPORT), text.as_bytes())?;
        }
        write_provenance(dir, &provenance, &effective)
    })?;
    if !args.quiet {
        out!("{}", render_summary(&report.summary));
        let deliveries = match args.deliveries {
            DeliveriesMode::None => "",
            DeliveriesMode::Delivered => ", deliveries.csv",
            DeliveriesMode::All => ", deliveries.csv (every due pair)",
        };
        outln!(
            "wrote {}/summary.json, nodes.csv{deliveries}{}, plots (latency_cdf, deliveries_over_time, bytes_by_record, bytes_by_role, exposure), provenance.json and effective-scenario.json\nreproduce with: {reproduce}",
            out.display(),
            if one { format!(", {ONE_REPORT}") } else { String::new() },
        );
    }
    Ok(0)
}

/// Writes `summary.json`, `nodes.csv`, `deliveries.csv` and the run's plots into `dir`,
/// atomically.
pub fn write_report(report: &RunReport, dir: &Path) -> Result<()> {
    let order = engine::Registry::builtin().order();
    write_report_with(report, dir, DeliveriesMode::Delivered, &order)
}

/// [`write_report`] with `deliveries.csv` as `mode` says (none: no file)
/// and `order` as the strategies' registry order (the plots' line styles).
pub fn write_report_with(
    report: &RunReport,
    dir: &Path,
    mode: DeliveriesMode,
    order: &[String],
) -> Result<()> {
    write_atomic(&dir.join("summary.json"), report.summary_json().as_bytes())?;
    write_atomic_with(&dir.join("nodes.csv"), |w| {
        crate::output::csv::write_nodes(report, w)
    })?;
    if mode != DeliveriesMode::None {
        write_atomic_with(&dir.join("deliveries.csv"), |w| {
            crate::output::csv::write_deliveries_mode(report, mode, w)
        })?;
    }
    let c = curves::from_reports(&report.summary.strategy, &[report]);
    Ok(plots::curves(dir, &report.summary.scenario, &[c], order)?)
}

/// Writes `provenance.json` and `effective-scenario.json` (the scenario
/// with every default filled in, runnable as it is) into `dir`.
pub(super) fn write_provenance(
    dir: &Path,
    provenance: &Provenance,
    effective: &serde_json::Value,
) -> Result<()> {
    provenance.write(dir)?;
    let mut text = serde_json::to_string_pretty(effective)?;
    text.push('\n');
    Ok(write_atomic(
        &dir.join("effective-scenario.json"),
        text.as_bytes(),
    )?)
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
