//! The built-in strategies, listed once, and a catalog of strategies by
//! name.
//!
//! [`builtin`] is the one list of the strategies meshsync ships: adding a
//! strategy is a file in `node/` plus one line there. Whatever collects
//! strategies implements [`Register`]: the [`Catalog`] here (names and
//! config checks, for the scenario layer), and the engine's registry (which
//! also runs them).
//!
//! Imports: the node layer only.

use super::bsp::Bsp;
use super::epidemic::Epidemic;
use super::mailserver_only::MailserverOnly;
use super::mvds::Mvds;
use super::mvds_vac::MvdsVac;
use super::negentropy::NegentropyStrategy;
use super::strategy::{Strategy, StrategyInfo};
use super::waku_sync::WakuSync;
use std::sync::Arc;

/// Something strategies can be added to.
pub trait Register {
    /// Adds `strategy`; a later strategy of the same name replaces it.
    fn add<S: Strategy>(&mut self, strategy: S);
}

/// Adds every built-in strategy to `r`, in the order they are listed
/// (the order of `meshsync compare`'s columns).
pub fn builtin(r: &mut impl Register) {
    r.add(Bsp::batch());
    r.add(Bsp::interactive());
    r.add(Mvds);
    r.add(MvdsVac);
    r.add(Epidemic);
    r.add(MailserverOnly);
    r.add(NegentropyStrategy);
    r.add(WakuSync);
}

/// Strategies by name, in registration order.
#[derive(Clone, Default)]
pub struct Catalog {
    entries: Vec<Arc<dyn StrategyInfo>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Catalog {
    /// The built-in strategies.
    pub fn builtin() -> Catalog {
        let mut c = Catalog::default();
        builtin(&mut c);
        c
    }

    /// Adds an already shared strategy (the engine's registry shares one
    /// value between its catalog and its runners).
    pub fn add_shared(&mut self, info: Arc<dyn StrategyInfo>) {
        match self.entries.iter().position(|e| e.name() == info.name()) {
            Some(i) => self.entries[i] = info,
            None => self.entries.push(info),
        }
    }

    /// The strategy called `name`.
    pub fn get(&self, name: &str) -> Option<&dyn StrategyInfo> {
        self.entries
            .iter()
            .find(|e| e.name() == name)
            .map(|e| e.as_ref())
    }

    /// The strategy called `name`, or an error listing the known names.
    pub fn lookup(&self, name: &str) -> Result<&dyn StrategyInfo, String> {
        self.get(name).ok_or_else(|| {
            format!(
                "unknown strategy {name:?}, expected one of {}",
                self.names().join(", ")
            )
        })
    }

    /// Every name, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name()).collect()
    }

    /// Every strategy, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn StrategyInfo> {
        self.entries.iter().map(|e| e.as_ref())
    }

    /// The strategies whose config section is `key`.
    pub fn by_config_key<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a dyn StrategyInfo> {
        self.iter().filter(move |e| e.config_key() == key)
    }
}

impl Register for Catalog {
    fn add<S: Strategy>(&mut self, strategy: S) {
        self.add_shared(Arc::new(strategy));
    }
}
