//! `meshsync sweep` and `meshsync merge`: a grid of scenario overrides ×
//! strategies × seeds, run in parallel, resumable, shardable.
//!
//! A sweep file names a scenario, a grid of values for scenario fields by
//! JSON path (`churn.online_fraction`, `groups[0].rate_per_hour`), the
//! strategies and the number of seeds. Run `k` of the list (points ×
//! strategies × seeds, last fastest) is written to `runs/<k>.json` as soon as
//! it finishes (atomically), so a sweep started again skips finished runs,
//! and `--shard I/N` runs only the runs with `k % N == I`. When every run is
//! present the sweep writes `runs.csv` (one row per run), `points.csv` and
//! `points.json` (mean ± 95% CI per point and strategy) and plots; `merge`
//! does the same from shard folders and writes byte-identical files.
//! Results never depend on the thread count: runs are pure and everything
//! is assembled in run order.
//!
//! The parts: `spec` reads and validates the sweep file, `grid` expands it
//! into points × strategies × seeds, `run` runs it (resume, shards) into a
//! folder, `results` writes the tables and plots of a complete folder,
//! `merge` joins shard folders. They are private: this module holds the
//! error type and re-exports the public API.
//!
//! Imports: `sim/`, `scenario/`, `node/` (strategies), `report/`, `engine/`,
//! `output/` and `experiments::aggregate`.

mod grid;
mod merge;
mod results;
mod run;
mod spec;

pub use grid::set_path;
pub use merge::merge;
pub use results::{
    baseline_tables, plot_points, PointAgg, Points, Vs, VsBaseline, PLOTTED, PLOTTED_VS,
};
pub use spec::{sweep_schema, Baseline, Manifest, Sweep};

use thiserror::Error;

/// A bad sweep file or shard set (bad input: exit code 2).
#[derive(Debug, Error)]
#[error("{file}: {path}: {message}")]
pub struct SweepError {
    /// The file.
    pub file: String,
    /// JSON path in the sweep file (`(root)` for the whole file).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl SweepError {
    /// An error about `path` in `file`.
    pub fn new(file: &str, path: impl Into<String>, message: impl Into<String>) -> SweepError {
        SweepError {
            file: file.to_string(),
            path: path.into(),
            message: message.into(),
        }
    }
}

/// `Err` of a [`SweepError`] about `path` in `file`.
fn err<T>(
    file: &str,
    path: impl Into<String>,
    message: impl Into<String>,
) -> Result<T, SweepError> {
    Err(SweepError::new(file, path, message))
}
