//! The one list of strategies: the built-in ones, plus any a caller
//! registers (another crate's included).
//!
//! [`Registry::builtin`] is the only place meshsync lists its strategies:
//! adding one is a folder in `node/` plus one line there. Everything that
//! needs strategies reads a registry: the scenario validator (names and
//! config sections), the schema, the engine (which runs them), the
//! experiments and the CLI (columns, plot styles, error texts), the fuzz
//! target (every decoder).
//!
//! A registry is generic over a [`Runner`]: what it can do with a
//! strategy whose type it no longer knows. The node layer cannot run a
//! world, so the engine supplies its runner (`engine::Registry` is
//! `Registry<engine::Engine>`); each entry keeps a function monomorphised
//! for its strategy's concrete type, so a run never boxes or downcasts a
//! payload. [`NoRunner`] is a registry that only lists and validates.
//!
//! Imports: the node layer only.

use super::bsp::Bsp;
use super::epidemic::Epidemic;
use super::mailserver_only::MailserverOnly;
use super::mvds::vac::MvdsVac;
use super::mvds::Mvds;
use super::negentropy::NegentropyStrategy;
use super::sds::Sds;
use super::strategy::{Strategy, StrategyInfo};
use super::waku_sync::WakuSync;
use std::any::Any;
use std::sync::Arc;

/// What a registry does with a strategy once only its name is known: a
/// generic function the registry instantiates for each strategy type when
/// it is registered.
pub trait Runner: 'static {
    /// What a run takes.
    type Input<'a>;
    /// What a run gives.
    type Output;
    /// Runs `strategy` on `input`.
    fn run<S: Strategy>(strategy: &S, input: Self::Input<'_>) -> Self::Output;
}

/// A runner that runs nothing: for registries that only list strategies
/// and validate their config sections (the scenario layer's default).
#[derive(Debug)]
pub struct NoRunner;

impl Runner for NoRunner {
    type Input<'a> = ();
    type Output = ();
    fn run<S: Strategy>(_: &S, _: ()) {}
}

type RunFn<R> =
    for<'a> fn(&(dyn Any + Send + Sync), <R as Runner>::Input<'a>) -> <R as Runner>::Output;

/// Runs the strategy behind `any`, which [`Registry::register`] made of
/// an `S`.
fn run_as<R: Runner, S: Strategy>(any: &(dyn Any + Send + Sync), input: R::Input<'_>) -> R::Output {
    let strategy = any
        .downcast_ref::<S>()
        .expect("a registry entry holds the type it was registered with");
    R::run(strategy, input)
}

struct Entry<R: Runner> {
    info: Arc<dyn StrategyInfo>,
    value: Arc<dyn Any + Send + Sync>,
    run: RunFn<R>,
}

impl<R: Runner> Clone for Entry<R> {
    fn clone(&self) -> Self {
        Entry {
            info: self.info.clone(),
            value: self.value.clone(),
            run: self.run,
        }
    }
}

/// Strategies by name, in registration order (the order of `compare`'s
/// columns and of the plots' colours).
pub struct Registry<R: Runner = NoRunner> {
    entries: Vec<Entry<R>>,
}

impl<R: Runner> Clone for Registry<R> {
    fn clone(&self) -> Self {
        Registry {
            entries: self.entries.clone(),
        }
    }
}

impl<R: Runner> Default for Registry<R> {
    fn default() -> Self {
        Registry {
            entries: Vec::new(),
        }
    }
}

impl<R: Runner> std::fmt::Debug for Registry<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl<R: Runner> Registry<R> {
    /// The built-in strategies: the one list of them.
    pub fn builtin() -> Self {
        let mut r = Self::default();
        r.register(Bsp::batch())
            .register(Bsp::interactive())
            .register(Mvds)
            .register(MvdsVac)
            .register(Epidemic)
            .register(MailserverOnly)
            .register(Sds)
            .register(NegentropyStrategy)
            .register(WakuSync);
        r
    }

    /// Adds `strategy`; one of the same name is replaced in its place.
    /// Returns `self` for chaining.
    pub fn register<S: Strategy>(&mut self, strategy: S) -> &mut Self {
        let s = Arc::new(strategy);
        let entry = Entry {
            info: s.clone(),
            value: s,
            run: run_as::<R, S>,
        };
        match self
            .entries
            .iter()
            .position(|e| e.info.name() == entry.info.name())
        {
            Some(i) => self.entries[i] = entry,
            None => self.entries.push(entry),
        }
        self
    }

    /// The strategy called `name`.
    pub fn get(&self, name: &str) -> Option<&dyn StrategyInfo> {
        self.entry(name).map(|e| e.info.as_ref())
    }

    fn entry(&self, name: &str) -> Option<&Entry<R>> {
        self.entries.iter().find(|e| e.info.name() == name)
    }

    /// The strategy called `name`, or an error listing the known names.
    pub fn lookup(&self, name: &str) -> Result<&dyn StrategyInfo, String> {
        self.get(name).ok_or_else(|| self.unknown(name))
    }

    /// The error for a name no strategy has.
    pub fn unknown(&self, name: &str) -> String {
        format!(
            "unknown strategy {name:?}, expected one of {}",
            self.names().join(", ")
        )
    }

    /// Every name, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.iter().map(|e| e.name()).collect()
    }

    /// Every name, in registration order, owned (the plots' style order).
    pub fn order(&self) -> Vec<String> {
        self.iter().map(|e| e.name().to_string()).collect()
    }

    /// Every strategy, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn StrategyInfo> {
        self.entries.iter().map(|e| e.info.as_ref())
    }

    /// The strategies whose config section is `key`.
    pub fn by_config_key<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a dyn StrategyInfo> {
        self.iter().filter(move |e| e.config_key() == key)
    }

    /// Every config key, in registration order, each once.
    pub fn config_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for s in self.iter() {
            if !keys.contains(&s.config_key()) {
                keys.push(s.config_key());
            }
        }
        keys
    }

    /// Runs the strategy called `name` with the registry's runner; `None`
    /// when no strategy has that name.
    pub fn run(&self, name: &str, input: R::Input<'_>) -> Option<R::Output> {
        self.entry(name).map(|e| (e.run)(e.value.as_ref(), input))
    }
}
