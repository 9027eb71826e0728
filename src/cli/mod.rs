//! The command line: clap parsing, then calls into the library.
//!
//! Exit codes: 0 success, 1 an internal failure (or, later, a failed check),
//! 2 bad input (a scenario or argument error, named with its file and JSON
//! path). `main.rs` only calls [`main`].

use crate::engine;
use crate::node::Strategy;
use crate::output::curves;
use crate::output::plots;
use crate::output::{write_atomic, write_atomic_with};
use crate::report::{RunReport, Summary};
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
    /// Run one scenario under several strategies and seeds, side by side.
    Compare(CompareArgs),
    /// Run a grid of scenario overrides x strategies x seeds in parallel.
    Sweep(SweepArgs),
    /// Join sweep shard folders into the files an unsharded sweep writes.
    Merge {
        /// Shard folders (written by `sweep --shard`).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Compare a comparison or sweep result with a baseline; exit 1 on regressions.
    Check(CheckArgs),
    /// Draw the plots of a run, comparison or sweep folder again.
    Plot {
        /// A folder written by run, compare, sweep or merge.
        dir: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct SweepArgs {
    /// The sweep file (JSON).
    sweep: PathBuf,
    /// Output folder (default: results/<sweep name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Run only shard I of N (runs with index % N == I), e.g. 0/4.
    #[arg(long, value_parser = parse_shard)]
    shard: Option<(usize, usize)>,
    /// No progress bar, no summary.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let bad = || format!("expected I/N with 0 <= I < N, got {s:?}");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (usize, usize) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// Current result: a compare or sweep folder (or its comparison.json / points.json).
    current: PathBuf,
    /// Baseline result, same kind.
    #[arg(long)]
    baseline: PathBuf,
    /// Tolerances: a number sets the relative tolerance of every
    /// higher-is-worse metric (default 0.1); METRIC=VALUE sets one metric's.
    #[arg(long)]
    tolerance: Vec<crate::experiments::check::Tolerance>,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// The scenario file (JSON).
    scenario: PathBuf,
    /// Comma-separated strategies (default: all).
    #[arg(long, value_delimiter = ',')]
    strategies: Vec<Strategy>,
    /// Seeds per strategy: the scenario's seed (or --seed) and the next K-1.
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// First seed (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Output folder (default: results/<scenario name>-compare).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads (default: all cores); results do not depend on it.
    #[arg(long)]
    threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario file (JSON).
    scenario: PathBuf,
    /// Seed for this run (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Strategy for every node (default: the scenario's `strategy`):
    /// bsp-batch, bsp-interactive, mvds, epidemic or mailserver-only.
    #[arg(long)]
    strategy: Option<Strategy>,
    /// Output folder (default: results/<scenario name>).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    quiet: bool,
    /// Run twice and compare the event-trace hash and every output byte;
    /// exit 1 on any difference (a determinism bug).
    #[arg(long)]
    check_determinism: bool,
}

pub use crate::experiments::InputError;

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
                || e.downcast_ref::<crate::experiments::sweep::SweepError>()
                    .is_some()
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
        Cmd::Compare(args) => compare(args),
        Cmd::Plot { dir } => plot(&dir),
        Cmd::Sweep(args) => sweep(args),
        Cmd::Merge { dirs, out } => {
            let n = crate::experiments::sweep::merge(&dirs, &out)?;
            println!(
                "merged {} shard folders: {n} runs into {}",
                dirs.len(),
                out.display()
            );
            Ok(0)
        }
        Cmd::Check(args) => check(args),
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
    if args.check_determinism {
        let again = engine::run_with(&scenario, strategy, seed);
        let same =
            again.summary_json() == report.summary_json() && again.deliveries == report.deliveries;
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
            println!(
                "determinism check passed: two runs, trace hash {} both times, identical outputs",
                report.summary.trace_hash
            );
        }
    }
    write_report(&report, &out)?;
    if !args.quiet {
        print!("{}", render_summary(&report.summary));
        println!(
            "wrote {0}/summary.json, deliveries.csv and plots (latency_cdf, deliveries_over_time, bytes_by_record)\nreproduce with: meshsync run {1} --seed {2} --strategy {3}",
            out.display(),
            args.scenario.display(),
            seed,
            strategy
        );
    }
    Ok(0)
}

/// Writes `summary.json`, `deliveries.csv` and the run's plots into `dir`,
/// atomically.
pub fn write_report(report: &RunReport, dir: &Path) -> Result<()> {
    write_atomic(&dir.join("summary.json"), report.summary_json().as_bytes())?;
    write_atomic_with(&dir.join("deliveries.csv"), |w| {
        crate::output::csv::write_deliveries(report, w)
    })?;
    let c = curves::from_reports(&report.summary.strategy, &[report]);
    plots::curves(dir, &report.summary.scenario, &[c])
}

/// Runs `f` on a rayon pool of `threads` workers (default: all cores).
pub fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => Err(InputError("--threads must be at least 1".into()).into()),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()?
            .install(f)),
    }
}

fn compare(args: CompareArgs) -> Result<i32> {
    let scenario = Scenario::load(&args.scenario)?;
    let strategies = if args.strategies.is_empty() {
        Strategy::ALL.to_vec()
    } else {
        args.strategies.clone()
    };
    if args.seeds == 0 {
        return Err(InputError("--seeds must be at least 1".into()).into());
    }
    let first = args.seed.unwrap_or(scenario.seed);
    let seeds: Vec<u64> = (0..args.seeds).map(|k| first.wrapping_add(k)).collect();
    let out = args
        .out
        .unwrap_or_else(|| Path::new("results").join(format!("{}-compare", scenario.name)));
    let c = with_threads(args.threads, || {
        crate::experiments::compare::compare(&scenario, &strategies, &seeds)
    })?;
    c.write(&out)?;
    if !args.quiet {
        println!(
            "meshsync compare: {} ({} strategies x {} seeds {}..={}; mean ± 95% CI)\n",
            c.scenario,
            strategies.len(),
            seeds.len(),
            seeds[0],
            seeds[seeds.len() - 1]
        );
        print!("{}", c.table());
        println!(
            "\nwrote {}/comparison.json, comparison.csv and plots (latency_cdf, deliveries_over_time, bytes_by_record; .png and .svg)",
            out.display()
        );
    }
    Ok(0)
}

fn sweep(args: SweepArgs) -> Result<i32> {
    use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
    use std::io::IsTerminal;
    let sweep = crate::experiments::sweep::Sweep::load(&args.sweep)?;
    let m = &sweep.manifest;
    let out = args
        .out
        .unwrap_or_else(|| Path::new("results").join(&m.name));
    let todo = sweep.shard_len(args.shard);
    let bar = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::with_draw_target(Some(todo as u64), ProgressDrawTarget::hidden())
    } else {
        ProgressBar::new(todo as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} runs, {elapsed} elapsed, eta {eta}")
            .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let (done, complete) =
        with_threads(args.threads, || sweep.run(&out, args.shard, &|| bar.inc(1)))??;
    bar.finish_and_clear();
    if !args.quiet {
        let shard = args
            .shard
            .map_or(String::new(), |(i, n)| format!(" (shard {i}/{n})"));
        println!(
            "meshsync sweep: {}{shard}: {} points x {} strategies x {} seeds = {} runs; {done} run now, {} already done",
            m.name,
            m.points.len(),
            m.strategies.len(),
            m.seeds.len(),
            m.runs,
            todo - done
        );
        if complete {
            println!(
                "wrote {0}/runs.csv, points.csv, points.json and sweep_*.png/.svg",
                out.display()
            );
        } else {
            println!("{} holds part of the sweep; when every shard is done: meshsync merge <shard folders> --out <folder>", out.display());
        }
    }
    Ok(0)
}

fn check(args: CheckArgs) -> Result<i32> {
    let tol = crate::experiments::check::Tolerances::new(&args.tolerance);
    let report = crate::experiments::check::check(&args.current, &args.baseline, &tol)?;
    print!("{}", report.render());
    Ok(if report.regressions.is_empty() { 0 } else { 1 })
}

fn plot(dir: &Path) -> Result<i32> {
    let compare = dir.join("comparison.json");
    let points = dir.join("points.json");
    if points.exists() {
        let text = std::fs::read_to_string(&points)?;
        let p: crate::experiments::sweep::Points = serde_json::from_str(&text).map_err(|e| {
            InputError(format!(
                "{}: not meshsync sweep points: {e}",
                points.display()
            ))
        })?;
        crate::experiments::sweep::plot_points(dir, &p)?;
    } else if compare.exists() {
        let text = std::fs::read_to_string(&compare)?;
        let c: crate::experiments::compare::Comparison =
            serde_json::from_str(&text).map_err(|e| {
                InputError(format!(
                    "{}: not a meshsync comparison: {e}",
                    compare.display()
                ))
            })?;
        plots::curves(dir, &c.scenario, &c.curves)?;
    } else if dir.join("summary.json").exists() {
        let c = curves::from_run_dir(dir).map_err(|e| InputError(format!("{e:#}")))?;
        let name = dir
            .file_name()
            .map_or("run".into(), |n| n.to_string_lossy().into_owned());
        plots::curves(dir, &name, &[c])?;
    } else {
        return Err(InputError(format!(
            "{}: no summary.json or comparison.json: not a meshsync result folder",
            dir.display()
        ))
        .into());
    }
    println!("wrote plots into {}", dir.display());
    Ok(0)
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
