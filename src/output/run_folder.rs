//! The files of one run's folder (`meshsync run`): `summary.json`,
//! `nodes.csv` (each node's contribution),
//! `deliveries.csv` (as [`DeliveriesMode`] says), the run's plots, with
//! `--report one` The ONE's `MessageStatsReport.txt`; and what every
//! result folder holds besides its results, `provenance.json` and
//! `effective-scenario.json`.
//!
//! Imports: `report/` and `output/`.

use super::csv::{write_deliveries_mode, write_nodes, DeliveriesMode};
use super::error::Result;
use super::{curves, one_report, plots, write_atomic, write_atomic_with, Provenance};
use crate::report::RunReport;
use std::path::Path;

/// The file `--report one` writes.
pub const ONE_REPORT: &str = "MessageStatsReport.txt";

/// Which of a run's optional files its folder gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunFiles {
    /// Which rows `deliveries.csv` has (none: no file).
    pub deliveries: DeliveriesMode,
    /// The ONE's `MessageStatsReport.txt`.
    pub one_report: bool,
}

/// Writes `summary.json`, `deliveries.csv` (as `mode` says; none: no
/// file) and the run's plots into `dir`, atomically; `order` is the
/// strategies' registry order (the plots' line styles).
pub fn write_report(
    report: &RunReport,
    dir: &Path,
    mode: DeliveriesMode,
    order: &[String],
) -> Result<()> {
    write_atomic(&dir.join("summary.json"), report.summary_json().as_bytes())?;
    write_atomic_with(&dir.join("nodes.csv"), |w| write_nodes(report, w))?;
    if mode != DeliveriesMode::None {
        write_atomic_with(&dir.join("deliveries.csv"), |w| {
            write_deliveries_mode(report, mode, w)
        })?;
    }
    let c = curves::from_reports(&report.summary.strategy, &[report]);
    plots::curves(dir, &report.summary.scenario, &[c], order)
}

/// Writes a run's files into `dir` as `files` says: [`write_report`],
/// then The ONE's report when asked for.
pub fn write_run(report: &RunReport, dir: &Path, files: RunFiles, order: &[String]) -> Result<()> {
    write_report(report, dir, files.deliveries, order)?;
    if files.one_report {
        let text = one_report::render(&report.summary.scenario, &report.one);
        write_atomic(&dir.join(ONE_REPORT), text.as_bytes())?;
    }
    Ok(())
}

/// Writes `provenance.json` and `effective-scenario.json` (the scenario
/// with every default filled in, runnable as it is) into `dir`.
pub fn write_provenance(
    dir: &Path,
    provenance: &Provenance,
    effective: &serde_json::Value,
) -> Result<()> {
    provenance.write(dir)?;
    let mut text = serde_json::to_string_pretty(effective)?;
    text.push('\n');
    write_atomic(&dir.join("effective-scenario.json"), text.as_bytes())
}
