//! The command line: clap parsing, then calls into the library.
//!
//! Exit codes: 0 success, 1 an internal failure (or, later, a failed check),
//! 2 bad input (a scenario or argument error, named with its file and JSON
//! path). `main.rs` only calls [`main`].

use crate::engine;
use crate::metrics::{RunReport, Summary};
use crate::node::Strategy;
use crate::output::write_atomic;
use crate::scenario::{Scenario, ScenarioError};
use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};

/// meshsync: simulate peer-to-peer data sync protocols over intermittent networks.
#[derive(Debug, Parser)]
#[command(name = "meshsync", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run a scenario and write results/<name>/summary.json and deliveries.csv.
    Run(RunArgs),
    /// Check a scenario file without running it.
    Validate {
        /// The scenario file (JSON).
        scenario: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario file (JSON).
    scenario: PathBuf,
    /// Seed for this run (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Strategy for every node (default: the scenario's `strategy`):
    /// bsp-batch or bsp-interactive.
    #[arg(long)]
    strategy: Option<Strategy>,
    /// Output folder (default: results/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

/// Bad input: reported with exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Parses the process arguments, runs the command, returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("meshsync: error: {e:#}");
            if e.downcast_ref::<ScenarioError>().is_some()
                || e.downcast_ref::<InputError>().is_some()
            {
                2
            } else {
                1
            }
        }
    }
}

fn dispatch(cli: Cli) -> Result<i32> {
    match cli.command {
        Cmd::Run(args) => run(args),
        Cmd::Validate { scenario } => {
            let s = Scenario::load(&scenario)?;
            println!(
                "{}: ok ({} nodes, {} groups, {} scripted messages, {} s, strategy {})",
                scenario.display(),
                s.nodes,
                s.groups.len(),
                s.script.len(),
                s.duration.as_secs_f64(),
                s.strategy
            );
            Ok(0)
        }
    }
}

fn run(args: RunArgs) -> Result<i32> {
    let scenario = Scenario::load(&args.scenario)?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let strategy = args.strategy.unwrap_or(scenario.strategy);
    let out = args
        .out
        .unwrap_or_else(|| Path::new("results").join(&scenario.name));
    let report = engine::run_with(&scenario, strategy, seed);
    write_report(&report, &out)?;
    if !args.quiet {
        print!("{}", render_summary(&report.summary));
        println!(
            "wrote {0}/summary.json and {0}/deliveries.csv\nreproduce with: meshsync run {1} --seed {2} --strategy {3}",
            out.display(),
            args.scenario.display(),
            seed,
            strategy
        );
    }
    Ok(0)
}

/// Writes `summary.json` and `deliveries.csv` into `dir`, atomically.
pub fn write_report(report: &RunReport, dir: &Path) -> Result<()> {
    write_atomic(&dir.join("summary.json"), report.summary_json().as_bytes())?;
    write_atomic(
        &dir.join("deliveries.csv"),
        report.deliveries_csv().as_bytes(),
    )?;
    Ok(())
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

/// A human-readable summary of a run.
pub fn render_summary(s: &Summary) -> String {
    let r = &s.records_sent;
    format!(
        "meshsync: {} under {} (seed {}, {} nodes, {} s simulated)\n\
         \x20 messages created     {}\n\
         \x20 deliveries           {} of {} (ratio {})\n\
         \x20 latency (s)          mean {}  p50 {}  p90 {}  p99 {}  max {}\n\
         \x20 bandwidth            {} bytes in {} payloads ({} lost), {} bytes per delivery\n\
         \x20 records sent         ack {}  message {}  offer {}  request {}\n\
         \x20 duplicates received  {}\n\
         \x20 causal               {} violations, {} blocked (mean wait {} s), {} undeliverable (missing parents)\n\
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
        r.ack,
        r.message,
        r.offer,
        r.request,
        s.duplicate_messages_received,
        s.causal_violations,
        s.blocked_deliveries,
        opt(s.blocked_time_mean_s, 3),
        s.undelivered_missing_parents,
        s.events,
        s.trace_hash
    )
}
