//! One run into a folder (`meshsync run`): the scenario under one strategy
//! with one seed, optionally run twice to check it is deterministic, and
//! its folder written (`output::run_folder`: summary, deliveries, plots,
//! The ONE's report when asked, provenance and effective scenario).
//!
//! Imports: `engine/`, `scenario/`, `report/`, `output/` and
//! `experiments::progress`.

use super::progress::{run_watched, Progress};
use super::Error;
use crate::engine::{self, Registry};
use crate::output::csv::DeliveriesMode;
use crate::output::provenance::command_line;
use crate::output::run_folder::{self, RunFiles};
use crate::output::{Provenance, ResultSet};
use crate::report::RunReport;
use crate::scenario::{effective, Scenario};
use std::path::Path;

/// One run to make: what the command line asked for, resolved.
pub struct RunJob<'a> {
    /// The scenario file, as named (for provenance and "reproduce with").
    pub scenario_file: &'a Path,
    /// The scenario loaded from it.
    pub scenario: &'a Scenario,
    /// The strategy to run.
    pub strategy: &'a str,
    /// The seed.
    pub seed: u64,
    /// The result folder.
    pub out: &'a Path,
    /// The optional files.
    pub files: RunFiles,
    /// Run twice and compare the outputs.
    pub check_determinism: bool,
}

/// How the determinism check went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Determinism {
    /// Not asked for.
    Unchecked,
    /// Two runs, identical outputs.
    Passed,
    /// The second run differed (its trace hash); nothing was written.
    Failed {
        /// The second run's trace hash.
        again: String,
    },
}

/// What a run into a folder gives back.
pub struct RunOutcome {
    /// The run's report.
    pub report: RunReport,
    /// The command that reproduces it.
    pub reproduce: String,
    /// How the determinism check went (when it failed, nothing was written).
    pub determinism: Determinism,
}

/// Runs `job` with `registry`'s strategies, telling `progress` how it
/// goes, and writes its folder; `provenance` is the invocation's record,
/// to which the run's details are added.
pub fn run_to_folder(
    registry: &Registry,
    job: &RunJob,
    provenance: Provenance,
    progress: &dyn Progress,
) -> Result<RunOutcome, Error> {
    let effective = effective::load_effective_with(job.scenario_file, registry)?;
    let reproduce = reproduce(job);
    let provenance = provenance
        .with("scenario_file", job.scenario_file.display().to_string())
        .with("scenario_hash", effective::hash(&effective)?)
        .with("seed", job.seed)
        .with("strategy", job.strategy)
        .with("reproduce", &reproduce);
    let set = ResultSet::begin(job.out)?;
    progress.begin(1, job.scenario.duration);
    let report = run_watched(registry, job.scenario, job.strategy, job.seed, progress)?;
    let determinism = if job.check_determinism {
        check_determinism(registry, job, &report)?
    } else {
        Determinism::Unchecked
    };
    if determinism == Determinism::Passed || determinism == Determinism::Unchecked {
        set.write_with(|dir| {
            run_folder::write_run(&report, dir, job.files, &registry.order())?;
            run_folder::write_provenance(dir, &provenance, &effective)
        })?;
    }
    Ok(RunOutcome {
        report,
        reproduce,
        determinism,
    })
}

/// Runs `job` again and compares its outputs with `report`'s.
fn check_determinism(
    registry: &Registry,
    job: &RunJob,
    report: &RunReport,
) -> Result<Determinism, Error> {
    let again = engine::run_in(registry, job.scenario, job.strategy, job.seed, &|_| {})?;
    let same = again.summary_json() == report.summary_json()
        && again.deliveries == report.deliveries
        && again.one == report.one;
    Ok(if same {
        Determinism::Passed
    } else {
        Determinism::Failed {
            again: again.summary.trace_hash,
        }
    })
}

/// `meshsync run FILE --seed N --strategy S [--deliveries M] [--report
/// one]`: every option that changes the folder's files.
fn reproduce(job: &RunJob) -> String {
    let scenario_file = job.scenario_file.display().to_string();
    let seed = job.seed.to_string();
    let mut words = vec![
        "run",
        &scenario_file,
        "--seed",
        &seed,
        "--strategy",
        job.strategy,
    ];
    match job.files.deliveries {
        DeliveriesMode::Delivered => {}
        DeliveriesMode::All => words.extend(["--deliveries", "all"]),
        DeliveriesMode::None => words.extend(["--deliveries", "none"]),
    }
    if job.files.one_report {
        words.extend(["--report", "one"]);
    }
    command_line(&words)
}

/// Writes `summary.json`, `deliveries.csv` and the run's plots into `dir`,
/// atomically, with the built-in strategies' plot styles.
pub fn write_report(report: &RunReport, dir: &Path) -> Result<(), crate::output::Error> {
    let order = Registry::builtin().order();
    run_folder::write_report(report, dir, DeliveriesMode::Delivered, &order)
}
