//! Experiments: [`run`] (one run into a folder), [`compare`] (one world, several strategies
//! and seeds), [`aggregate`] (means and confidence intervals, and what
//! compare and sweep share), [`sweep`] (grids of overrides, shards, merge)
//! [`check`] (regressions against a baseline) and [`progress`] (what
//! long work tells a watcher).
//!
//! Imports: `sim/`, `scenario/`, `report/`, `engine/`, `output/`. Never
//! `cli/`: errors are returned as [`Error`] (or one of its parts), the CLI
//! maps them to exit codes.

pub mod aggregate;
pub mod check;
pub mod compare;
pub mod paired;
pub mod progress;
pub mod run;
pub mod sweep;

/// Bad input found by an experiment or a command (a result folder that is
/// not one, a bad tolerance, a bad flag value): the CLI reports it with exit
/// code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// What an experiment fails with: one of the errors of the layers it
/// drives, shown as that error is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input (a flag value, a result folder).
    #[error(transparent)]
    Input(#[from] InputError),
    /// A bad sweep file or shard set.
    #[error(transparent)]
    Sweep(#[from] sweep::SweepError),
    /// A scenario (or its effective form) that cannot be used.
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// A run that cannot be made (its scenario or strategy).
    #[error(transparent)]
    Run(#[from] crate::engine::RunError),
    /// An output folder that cannot take the results.
    #[error(transparent)]
    Folder(#[from] crate::output::OutputError),
    /// A result file that could not be written or read.
    #[error(transparent)]
    Output(#[from] crate::output::Error),
    /// A result that could not be serialized.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// True for bad input (exit code 2): everything but a failure to
    /// write or serialize.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, Error::Output(_) | Error::Json(_))
    }
}
