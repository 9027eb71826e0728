//! The engine's registry: the node layer's one list of strategies, with
//! the engine as its runner.
//!
//! [`Registry`] is `node::Registry<Engine>`: [`Registry::builtin`] holds the
//! built-in strategies, `register` adds one defined anywhere (another
//! crate included), and [`run`] runs any of them by name. Each entry keeps
//! a run monomorphised for its strategy's payload type: the event loop
//! never boxes or downcasts a payload.

use super::World;
use crate::node::strategy::parse_config;
use crate::node::{ConfigError, Runner, Strategy};
use crate::report::RunReport;
use crate::scenario::Scenario;
use crate::sim::time::SimTime;
use thiserror::Error;

/// Strategies by name, runnable by the engine.
pub type Registry = crate::node::Registry<Engine>;

/// Why a run could not start.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RunError {
    /// No strategy of that name is registered.
    #[error("{0}")]
    UnknownStrategy(String),
    /// The scenario's config section does not fit the strategy.
    #[error("strategy_config.{key}: {error}")]
    Config {
        /// The section's key.
        key: String,
        /// What is wrong in it.
        error: ConfigError,
    },
    /// A bounded run ([`run_bounded`]) reached its event limit.
    #[error("stopped after {limit} events, the bound it was run with")]
    EventLimit {
        /// The bound.
        limit: u64,
    },
    /// The scenario needs something the strategy's wire cannot do.
    #[error("strategy {strategy:?} cannot run this scenario: {reason}")]
    Unsupported {
        /// The strategy.
        strategy: String,
        /// What the scenario asks and the strategy lacks.
        reason: String,
    },
}

/// What one run takes: the scenario, the seed, and where to report the
/// simulated time as it goes (a progress bar; it cannot change the run).
#[derive(Clone, Copy)]
pub struct RunInput<'a> {
    /// The world.
    pub scenario: &'a Scenario,
    /// The run's seed.
    pub seed: u64,
    /// Called with the simulated time now and then.
    pub progress: &'a dyn Fn(SimTime),
    /// Stop with [`RunError::EventLimit`] after this many events (none:
    /// run to the end).
    pub max_events: Option<u64>,
}

/// The engine as a registry's [`Runner`]: builds the world for the
/// strategy and runs it.
#[derive(Debug)]
pub struct Engine;

impl Runner for Engine {
    type Input<'a> = RunInput<'a>;
    type Output = Result<RunReport, RunError>;

    fn run<S: Strategy>(strategy: &S, input: RunInput<'_>) -> Result<RunReport, RunError> {
        let key = strategy.config_key();
        let config_error = |error| RunError::Config {
            key: key.to_string(),
            error,
        };
        // Parsed once, when the scenario was validated; a scenario
        // validated without this strategy had no section for it.
        let parsed;
        let config = match input.scenario.strategy_config.get(key) {
            Some(p) => p.get::<S::Config>().ok_or_else(|| {
                config_error(ConfigError::at(
                    "",
                    "the section was parsed for another strategy with this key",
                ))
            })?,
            None => {
                parsed = parse_config(strategy, None).map_err(config_error)?;
                &parsed
            }
        };
        World::check_supported(input.scenario, strategy)?;
        let world = World::build(input.scenario, strategy, config, input.seed);
        world
            .run_bounded(input.progress, input.max_events)
            .ok_or(RunError::EventLimit {
                limit: input.max_events.unwrap_or(u64::MAX),
            })
    }
}

impl Registry {
    /// Runs `scenario` under the strategy called `strategy` with `seed`: a
    /// pure function of its inputs ([`run_in`] without progress).
    pub fn run_scenario(
        &self,
        scenario: &Scenario,
        strategy: &str,
        seed: u64,
    ) -> Result<RunReport, RunError> {
        run_in(self, scenario, strategy, seed, &|_| {})
    }
}

/// Runs `scenario` under the strategy called `strategy` in `registry` (or
/// under one of the scenario's variants), with `seed`, reporting progress:
/// a pure function of its inputs.
pub fn run_in(
    registry: &Registry,
    scenario: &Scenario,
    strategy: &str,
    seed: u64,
    progress: &dyn Fn(SimTime),
) -> Result<RunReport, RunError> {
    // A variant runs its strategy on the scenario with its config section.
    let (strategy, scenario) = scenario.resolve(strategy);
    let input = RunInput {
        scenario: &scenario,
        seed,
        progress,
        max_events: None,
    };
    registry
        .run(strategy, input)
        .unwrap_or_else(|| Err(RunError::UnknownStrategy(registry.unknown(strategy))))
}

/// [`run_in`] stopped with [`RunError::EventLimit`] once it has processed
/// `max_events` events: what checks the size estimate against a real run
/// (tests, the scenario fuzz target) runs, so an estimate far too low
/// cannot make it run for ever.
pub fn run_bounded(
    registry: &Registry,
    scenario: &Scenario,
    strategy: &str,
    seed: u64,
    max_events: u64,
) -> Result<RunReport, RunError> {
    let input = RunInput {
        scenario,
        seed,
        progress: &|_| {},
        max_events: Some(max_events),
    };
    registry
        .run(strategy, input)
        .unwrap_or_else(|| Err(RunError::UnknownStrategy(registry.unknown(strategy))))
}
