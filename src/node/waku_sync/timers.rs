//! A node's several timers in one table, keyed by an enum of the
//! strategy's own; the engine sees only the earliest (`Outbox::set_timer`).
//! Used by `waku-sync` and `negentropy` (a shared `node/util/timers.rs` is
//! being written elsewhere; this one stays in the strategy folder).
//!
//! Imports: `sim/` only.

use crate::sim::time::SimTime;
use std::collections::BTreeMap;

/// Timers by key; iteration and draining follow `(time, key)` order.
#[derive(Clone, Debug, Default)]
pub struct Timers<K: Ord + Copy> {
    at: BTreeMap<K, SimTime>,
}

impl<K: Ord + Copy> Timers<K> {
    /// No timer set.
    pub fn new() -> Self {
        Timers {
            at: BTreeMap::new(),
        }
    }

    /// Sets timer `k` to `t` ([`SimTime::NEVER`] clears it).
    pub fn set(&mut self, k: K, t: SimTime) {
        if t == SimTime::NEVER {
            self.at.remove(&k);
        } else {
            self.at.insert(k, t);
        }
    }

    /// When timer `k` fires, if set.
    pub fn get(&self, k: K) -> Option<SimTime> {
        self.at.get(&k).copied()
    }

    /// Clears timer `k`.
    pub fn clear(&mut self, k: K) {
        self.at.remove(&k);
    }

    /// The earliest time set ([`SimTime::NEVER`] when none).
    pub fn next(&self) -> SimTime {
        self.at.values().copied().min().unwrap_or(SimTime::NEVER)
    }

    /// Removes and returns the timers due at `now`, by `(time, key)`.
    pub fn take_due(&mut self, now: SimTime) -> Vec<K> {
        let mut due: Vec<(SimTime, K)> = self
            .at
            .iter()
            .filter(|(_, &t)| t <= now)
            .map(|(&k, &t)| (t, k))
            .collect();
        due.sort();
        for (_, k) in &due {
            self.at.remove(k);
        }
        due.into_iter().map(|(_, k)| k).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earliest_first_and_cleared_when_taken() {
        let mut t = Timers::new();
        t.set(2u8, SimTime(50));
        t.set(1u8, SimTime(70));
        t.set(3u8, SimTime(50));
        assert_eq!(t.next(), SimTime(50));
        assert_eq!(t.take_due(SimTime(60)), vec![2, 3]);
        assert_eq!(t.next(), SimTime(70));
        t.set(1, SimTime::NEVER);
        assert_eq!(t.next(), SimTime::NEVER);
        assert!(t.take_due(SimTime(100)).is_empty());
    }
}
