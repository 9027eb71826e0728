//! The discrete-event engine: builds a world from a scenario and a seed, and
//! runs it.
//!
//! [`run`] is a pure function of `(scenario, seed)`. The engine owns time,
//! the event queue, connectivity, the network, the mailservers' archives and
//! every node; nodes only answer through their [`Outbox`](crate::node::Outbox),
//! whose commands the engine carries out. Events are ordered by `(time, seq)`;
//! every random draw comes from a named sub-stream of the seed (churn per
//! node, writers per (group, member), network, topology, each node's own).
//!
//! Submodules, in the order a payload meets them: `world` ([`World`] and
//! how it is built), `event_loop` (the events, the loop, a node's commands
//! carried out), `links` (what nodes are told about reachability, and how
//! a payload travels and arrives, to the recorder), `mail` (store-forward
//! mailservers), `one` (The ONE's link model, `link.one`); what drives the
//! world: `workload` (writers, scripted messages, adversaries) and
//! `faults` (churn, crashes, partitions); `registry` (strategies by name)
//! and `estimate` (a run's size before it runs).
//!
//! Imports: `sim/`, `world/`, `node/`, `scenario/`, `report/`.

pub mod estimate;
mod event_loop;
mod faults;
mod links;
mod mail;
mod one;
mod registry;
mod workload;
mod world;

pub use registry::{run_bounded, run_in, Engine, Registry, RunError, RunInput};
pub use world::World;

use crate::report::RunReport;
use crate::scenario::Scenario;
use event_loop::{kind, Event};

/// Runs `scenario` under its own strategy with `seed`: a pure function.
/// The strategy must be a built-in one (a scenario validated by
/// [`Scenario::parse`] names one); see [`run_in`] for others.
pub fn run(scenario: &Scenario, seed: u64) -> Result<RunReport, RunError> {
    run_with(scenario, &scenario.strategy, seed)
}

/// Runs `scenario` under the built-in strategy `strategy` with `seed`.
pub fn run_with(scenario: &Scenario, strategy: &str, seed: u64) -> Result<RunReport, RunError> {
    run_in(&Registry::builtin(), scenario, strategy, seed, &|_| {})
}

/// Events between two progress reports.
pub const PROGRESS_EVERY: u64 = 1 << 16;

#[cfg(test)]
mod size_tests {
    #[test]
    fn events_stay_small() {
        // Every queue entry moves this many bytes on each heap swap.
        assert!(std::mem::size_of::<super::Event<crate::node::epidemic::wire::Payload>>() <= 32);
    }
}
