//! Experiments over many runs: [`compare`] (one world, several strategies
//! and seeds), [`aggregate`] (means and confidence intervals, and what
//! compare and sweep share), [`sweep`] (grids of overrides, shards, merge)
//! [`check`] (regressions against a baseline) and [`progress`] (what
//! long work tells a watcher).
//!
//! Imports: `sim/`, `scenario/`, `report/`, `engine/`, `output/`. Never
//! `cli/`: errors are returned, the CLI maps them to exit codes.

pub mod aggregate;
pub mod check;
pub mod compare;
pub mod progress;
pub mod sweep;

/// Bad input found by an experiment or a command (a result folder that is
/// not one, a bad tolerance, a bad flag value): the CLI reports it with exit
/// code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);
