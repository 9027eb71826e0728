//! The strategies the engine can run, by name.
//!
//! [`Registry::builtin`] holds the strategies `node::registry::builtin`
//! lists; [`Registry::register`] adds one defined anywhere (another crate
//! included). Each entry keeps the strategy's concrete type behind
//! [`Runnable`], so a run is monomorphised for its payload type: the event
//! loop never boxes or downcasts a payload.

use super::World;
use crate::node::registry::{builtin, Register};
use crate::node::strategy::parse_config;
use crate::node::{Catalog, ConfigError, Strategy, StrategyInfo};
use crate::report::RunReport;
use crate::scenario::Scenario;
use std::sync::Arc;
use thiserror::Error;

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
}

/// A strategy the engine can run: its info plus a run monomorphised for
/// its types.
pub trait Runnable: StrategyInfo {
    /// Runs `scenario` with `seed` under this strategy.
    fn run(&self, scenario: &Scenario, seed: u64) -> Result<RunReport, RunError> {
        self.run_observed(scenario, seed, &|_| {})
    }
    /// [`Runnable::run`], reporting the simulated time to `progress`.
    fn run_observed(
        &self,
        scenario: &Scenario,
        seed: u64,
        progress: &dyn Fn(crate::sim::time::SimTime),
    ) -> Result<RunReport, RunError>;
}

impl<S: Strategy> Runnable for S {
    fn run_observed(
        &self,
        scenario: &Scenario,
        seed: u64,
        progress: &dyn Fn(crate::sim::time::SimTime),
    ) -> Result<RunReport, RunError> {
        let key = Strategy::config_key(self);
        let config = parse_config(self, scenario.strategy_config.get(key)).map_err(|error| {
            RunError::Config {
                key: key.to_string(),
                error,
            }
        })?;
        Ok(World::build(scenario, self, &config, seed).run_observed(progress))
    }
}

/// Strategies by name, in registration order.
#[derive(Clone, Default)]
pub struct Registry {
    runners: Vec<Arc<dyn Runnable>>,
    catalog: Catalog,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.catalog.fmt(f)
    }
}

impl Registry {
    /// The built-in strategies.
    pub fn builtin() -> Registry {
        let mut r = Registry::default();
        builtin(&mut r);
        r
    }

    /// Adds `strategy` (replacing one of the same name); returns `self` for
    /// chaining.
    pub fn register<S: Strategy>(&mut self, strategy: S) -> &mut Self {
        let s = Arc::new(strategy);
        self.catalog.add_shared(s.clone());
        match self.runners.iter().position(|r| r.name() == s.name()) {
            Some(i) => self.runners[i] = s,
            None => self.runners.push(s),
        }
        self
    }

    /// The names and config checks of every strategy, for validating
    /// scenarios ([`Scenario::parse_with`]).
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Every strategy name, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.catalog.names()
    }

    /// The strategy called `name`.
    pub fn get(&self, name: &str) -> Result<&dyn Runnable, RunError> {
        self.runners
            .iter()
            .find(|r| r.name() == name)
            .map(|r| r.as_ref())
            .ok_or_else(|| {
                RunError::UnknownStrategy(self.catalog.lookup(name).err().unwrap_or_default())
            })
    }

    /// Runs `scenario` under `strategy` with `seed`: a pure function.
    pub fn run(
        &self,
        scenario: &Scenario,
        strategy: &str,
        seed: u64,
    ) -> Result<RunReport, RunError> {
        self.get(strategy)?.run(scenario, seed)
    }
}

impl Register for Registry {
    fn add<S: Strategy>(&mut self, strategy: S) {
        self.register(strategy);
    }
}
