//! The command line: the clap definitions, [`main`], the dispatch to one
//! function per command (each in its own file: `run.rs`, `validate.rs`,
//! `compare.rs`, `sweep.rs`, `merge.rs`, `check.rs`, `plot.rs`, `schema.rs`,
//! `shell.rs` for completions and man pages) and the
//! mapping of errors to exit codes, done here and nowhere else.
//!
//! Exit codes: 0 success, 1 an internal failure (or a failed check or
//! determinism check), 2 bad input (a scenario or argument error, named
//! with its file and JSON path). `main.rs` only calls [`main`]; a research
//! group's own binary calls [`main_with`] with a registry holding its own
//! strategies, and every command (run, compare, sweep, check, plot,
//! schema, strategies) then knows them.
//!
//! Imports: any layer (it is the top one).

/// `print!` that returns the error instead of panicking (a closed pipe is
/// then a clean exit, see [`main`]).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

/// `println!` that returns the error instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?;
    }};
}

mod check;
mod compare;
mod limits;
mod merge;
mod plot;
mod progress;
mod run;
mod schema;
mod shell;
mod sweep;
mod validate;

pub use crate::experiments::run::write_report;
pub use crate::output::run_folder::write_report as write_report_with;
pub use run::render_summary;
pub use schema::{schema_text, SchemaKind};

use crate::engine::Registry;
use crate::scenario::ScenarioError;
use anyhow::Result;
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

/// meshsync: simulate peer-to-peer data sync protocols over intermittent networks.
#[derive(Debug, Parser)]
#[command(name = "meshsync", version, about, long_about = None, after_help = MAIN_AFTER_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// Examples and exit codes, after `meshsync --help` (and in the man page).
const MAIN_AFTER_HELP: &str = "\
Examples:
  meshsync run scenarios/quickstart.json                 run the quickstart, results in results/quickstart/
  meshsync run scenarios/faults.json --strategy mvds --seed 7 --out /tmp/f
  meshsync compare scenarios/mobile-churn.json --strategies bsp-interactive,mvds --seeds 10
  meshsync sweep scenarios/sweeps/online-fraction.json --threads 2
  meshsync check results/mobile-churn-compare --baseline results/baseline
  meshsync schema scenario > scenario.schema.json
  meshsync completions bash > ~/.local/share/bash-completion/completions/meshsync

Exit codes:
  0  success
  1  an internal failure, a failed `check` (regressions listed) or a failed --check-determinism
  2  bad input: a scenario, sweep file, flag value or result folder (named with its file and JSON path)";

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run a scenario and write results/<name>/summary.json and deliveries.csv.
    #[command(after_help = "Examples:
  meshsync run scenarios/quickstart.json
  meshsync run scenarios/mobile-churn.json --strategy mvds --seed 3 --out /tmp/churn
  meshsync run scenarios/scale-10k.json --deliveries none     (no 1 GB deliveries.csv)
  meshsync run scenarios/quickstart.json --deliveries all     (undelivered pairs too)

Exit codes: 0 success, 1 internal failure or failed --check-determinism, 2 bad input")]
    Run(RunArgs),
    /// Check a scenario file (or a sweep file and every point's scenario)
    /// without running it.
    Validate {
        /// The scenario or sweep file (JSON).
        scenario: PathBuf,
    },
    /// Run one scenario under several strategies and seeds, side by side.
    #[command(after_help = "Examples:
  meshsync compare scenarios/mobile-churn.json
  meshsync compare scenarios/faults.json --strategies bsp-interactive,mvds-vac --seeds 10 --threads 2

Exit codes: 0 success, 1 internal failure, 2 bad input")]
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
    #[command(after_help = "Examples:
  meshsync check results/mobile-churn-compare --baseline results/baseline
  meshsync check new/ --baseline old/ --tolerance 0.05 --tolerance latency_p90_s=0.2

Exit codes: 0 no regression, 1 regressions (listed), 2 bad input (a missing or mismatched folder)")]
    Check(CheckArgs),
    /// List the strategies, with what each is.
    Strategies,
    /// Draw the plots of a run, comparison or sweep folder again.
    Plot {
        /// A folder written by run, compare, sweep or merge.
        dir: PathBuf,
    },
    /// Print the JSON Schema of scenario or sweep files.
    #[command(after_help = "Examples:
  meshsync schema                 the scenario schema (scenarios/schema/scenario.schema.json)
  meshsync schema sweep           the sweep schema (scenarios/schema/sweep.schema.json)")]
    Schema {
        /// Which files.
        #[arg(value_enum, default_value_t = SchemaKind::Scenario)]
        kind: SchemaKind,
    },
    /// Print a shell completion script.
    #[command(after_help = "Examples:
  meshsync completions bash > ~/.local/share/bash-completion/completions/meshsync
  meshsync completions zsh > ~/.zfunc/_meshsync
  meshsync completions fish > ~/.config/fish/completions/meshsync.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, or write one page per command into a folder.
    #[command(after_help = "Examples:
  meshsync man | man -l -
  meshsync man --out ~/.local/share/man/man1")]
    Man {
        /// Write meshsync.1, meshsync-run.1, ... into this folder instead.
        #[arg(long)]
        out: Option<PathBuf>,
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
    #[command(flatten)]
    limits: limits::LimitArgs,
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
    #[arg(long, allow_negative_numbers = true)]
    tolerance: Vec<crate::experiments::check::Tolerance>,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// The scenario file (JSON).
    scenario: PathBuf,
    /// Comma-separated strategies (default: all; `meshsync strategies`
    /// lists them), or variants of the scenario (its `variants`).
    #[arg(long, value_delimiter = ',')]
    strategies: Vec<String>,
    /// A strategy (or variant) of --strategies every metric is also given
    /// against: ratio and difference, paired by seed, with 95% CIs.
    #[arg(long)]
    baseline: Option<String>,
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
    #[command(flatten)]
    limits: limits::LimitArgs,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario file (JSON).
    scenario: PathBuf,
    /// Seed for this run (default: the scenario's `seed`).
    #[arg(long)]
    seed: Option<u64>,
    /// Strategy for every node (default: the scenario's `strategy`;
    /// `meshsync strategies` lists them).
    #[arg(long)]
    strategy: Option<String>,
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
    /// Which (message, recipient) pairs deliveries.csv lists: `delivered`
    /// (default), `all` (undelivered pairs too, with empty times) or `none`
    /// (no file, for huge runs).
    #[arg(long, value_enum, default_value_t = crate::output::csv::DeliveriesMode::Delivered)]
    deliveries: crate::output::csv::DeliveriesMode,
    /// Also write another simulator's report: `one` writes The ONE's
    /// MessageStatsReport (MessageStatsReport.txt, same keys and number
    /// format) for any strategy.
    #[arg(long, value_enum)]
    report: Vec<ExtraReport>,
    #[command(flatten)]
    limits: limits::LimitArgs,
}

/// Extra report formats of `meshsync run --report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ExtraReport {
    /// The ONE's MessageStatsReport (`MessageStatsReport.txt`).
    One,
}

pub use crate::experiments::InputError;

/// Parses the process arguments, runs the command with the built-in
/// strategies, returns the exit code.
pub fn main() -> i32 {
    main_with(Registry::builtin())
}

/// [`main`] with `registry`'s strategies: the whole command line (run,
/// compare, sweep, check, plot, schema, strategies) knows them. A crate
/// with a strategy of its own builds its binary with
/// `fn main() { std::process::exit(meshsync::cli::main_with(registry)) }`.
pub fn main_with(registry: Registry) -> i32 {
    main_from(&registry, std::env::args_os())
}

/// [`main_with`] on the given arguments (the first is the program's name).
pub fn main_from<I, T>(registry: &Registry, args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let cx = Cx {
        registry,
        args: args
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    };
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    match dispatch(cli, &cx) {
        Ok(code) => code,
        // The reader went away (`meshsync … | head -1`): what it wanted
        // was printed, so this is success, as in ripgrep.
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("meshsync: error: {e:#}");
            exit_code(&e)
        }
    }
}

/// True when `e` comes from writing to a closed pipe.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// 2 for bad input (a scenario, a sweep file, a flag value, a result
/// folder), 1 for anything else.
fn exit_code(e: &anyhow::Error) -> i32 {
    if e.downcast_ref::<ScenarioError>().is_some()
        || e.downcast_ref::<InputError>().is_some()
        || e.downcast_ref::<crate::output::OutputError>().is_some()
        || e.downcast_ref::<crate::engine::RunError>().is_some()
        || e.downcast_ref::<crate::experiments::sweep::SweepError>()
            .is_some()
        || e.downcast_ref::<crate::experiments::Error>()
            .is_some_and(|x| x.is_bad_input())
    {
        2
    } else {
        1
    }
}

/// What every command is run with: the strategies, and the arguments as
/// given (for `provenance.json`).
struct Cx<'a> {
    registry: &'a Registry,
    args: Vec<String>,
}

impl Cx<'_> {
    /// This invocation's `provenance.json` record (its arguments as given).
    fn provenance(&self) -> crate::output::Provenance {
        crate::output::Provenance::new(&self.args)
    }

    /// `name` when a strategy or one of `scenario`'s variants has it, else
    /// an input error naming `flag` and listing the strategies.
    fn strategy(
        &self,
        flag: &str,
        name: &str,
        scenario: &crate::scenario::Scenario,
    ) -> std::result::Result<(), InputError> {
        if self.registry.get(name).is_some() || scenario.is_variant(name) {
            return Ok(());
        }
        let variants: Vec<&str> = scenario.variants.keys().map(String::as_str).collect();
        let also = if variants.is_empty() {
            String::new()
        } else {
            format!(", or a variant of the scenario: {}", variants.join(", "))
        };
        Err(InputError(format!(
            "{flag}: {}{also}",
            self.registry.unknown(name)
        )))
    }
}

fn dispatch(cli: Cli, cx: &Cx) -> Result<i32> {
    match cli.command {
        Cmd::Run(args) => run::run(args, cx),
        Cmd::Compare(args) => compare::compare(args, cx),
        Cmd::Plot { dir } => plot::plot(&dir, cx),
        Cmd::Sweep(args) => sweep::sweep(args, cx),
        Cmd::Merge { dirs, out } => merge::merge(&dirs, &out, cx),
        Cmd::Check(args) => check::check(args),
        Cmd::Validate { scenario } => validate::validate(&scenario, cx),
        Cmd::Strategies => strategies(cx),
        Cmd::Schema { kind } => schema::schema(kind, cx),
        Cmd::Completions { shell } => shell::completions(shell),
        Cmd::Man { out } => shell::man(out.as_deref()),
    }
}

/// Runs the `strategies` command: each name and what it is.
fn strategies(cx: &Cx) -> Result<i32> {
    for s in cx.registry.iter() {
        outln!("{:<16} {}", s.name(), s.about());
    }
    Ok(0)
}

/// `n` threads, or the number of cores when `n` is more (with a note on
/// stderr): more workers than cores only add memory and switching.
fn clamp_threads(n: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    if n > cores {
        eprintln!("meshsync: note: --threads {n} is more than the {cores} cores; using {cores}");
        cores
    } else {
        n
    }
}

/// Runs `f` on a rayon pool of `threads` workers (default: all cores);
/// shared by `compare` and `sweep`.
pub fn with_threads<T: Send>(threads: Option<usize>, f: impl FnOnce() -> T + Send) -> Result<T> {
    match threads {
        None => Ok(f()),
        Some(0) => Err(InputError("--threads must be at least 1".into()).into()),
        Some(n) => Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(clamp_threads(n))
            .build()?
            .install(f)),
    }
}
