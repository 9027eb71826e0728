//! What long work tells whoever watches it: how much simulated time and how
//! many events the runs have got through, and when a run is done. The CLI
//! draws a bar from it; a watcher cannot change a run (it only receives).
//!
//! Imports: `sim/` (time), `scenario/`, `report/` and `engine/`.

use crate::engine::{run_in, Registry, RunError, PROGRESS_EVERY};
use crate::report::RunReport;
use crate::scenario::Scenario;
use crate::sim::time::SimTime;
use std::cell::Cell;

/// Receives progress from runs going on in parallel (so it is `Sync`).
pub trait Progress: Sync {
    /// The work ahead: `runs` runs of `simulated` simulated time in all.
    fn begin(&self, runs: usize, simulated: SimTime);
    /// A run got `simulated` further and processed `events` more events.
    fn advanced(&self, simulated: SimTime, events: u64);
    /// A run finished.
    fn run_done(&self);
}

/// Watches nothing.
pub struct Unwatched;

impl Progress for Unwatched {
    fn begin(&self, _: usize, _: SimTime) {}
    fn advanced(&self, _: SimTime, _: u64) {}
    fn run_done(&self) {}
}

/// Runs `scenario` under `strategy` with `seed`, telling `progress` how it
/// goes: in steps while it runs, then the rest of its duration and events
/// when it ends (a run may end early, with nothing left to do, or process
/// timers past its end; `progress` gets exactly the scenario's duration).
pub fn run_watched(
    registry: &Registry,
    scenario: &Scenario,
    strategy: &str,
    seed: u64,
    progress: &dyn Progress,
) -> Result<RunReport, RunError> {
    let end = scenario.duration;
    let told = Cell::new(SimTime::ZERO);
    let events = Cell::new(0u64);
    let report = run_in(registry, scenario, strategy, seed, &|now| {
        let now = now.min(end);
        progress.advanced(now - told.get(), PROGRESS_EVERY);
        told.set(told.get().max(now));
        events.set(events.get() + PROGRESS_EVERY);
    })?;
    progress.advanced(
        end - told.get(),
        report.summary.events.saturating_sub(events.get()),
    );
    progress.run_done();
    Ok(report)
}
