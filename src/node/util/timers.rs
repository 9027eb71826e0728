//! Many named timers behind a node's one engine timer.
//!
//! A node has a single timer in the engine ([`crate::node::Outbox::set_timer`]);
//! a node with several periodic duties (resends, sync messages, sweeps)
//! keeps them in a [`TimerTable`] keyed by its own key type, sets the
//! engine timer to [`TimerTable::next`], and on a timeout pops the keys due
//! with [`TimerTable::pop_due`], in `(time, key)` order: deterministic, with
//! no hash-map order anywhere. Plain data; imports `sim/` only.

use crate::sim::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};

/// Timers named by keys `K`, each set to one time at most.
#[derive(Clone, Debug)]
pub struct TimerTable<K: Ord + Copy> {
    at: BTreeMap<K, SimTime>,
    order: BTreeSet<(SimTime, K)>,
}

impl<K: Ord + Copy> Default for TimerTable<K> {
    fn default() -> Self {
        TimerTable {
            at: BTreeMap::new(),
            order: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Copy> TimerTable<K> {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets timer `key` to `at`, replacing its earlier time.
    pub fn set(&mut self, key: K, at: SimTime) {
        if let Some(old) = self.at.insert(key, at) {
            self.order.remove(&(old, key));
        }
        self.order.insert((at, key));
    }

    /// Sets timer `key` to `at` unless it is already set earlier.
    pub fn set_earliest(&mut self, key: K, at: SimTime) {
        match self.at.get(&key) {
            Some(&old) if old <= at => {}
            _ => self.set(key, at),
        }
    }

    /// Cancels timer `key`; returns the time it was set to.
    pub fn cancel(&mut self, key: K) -> Option<SimTime> {
        let old = self.at.remove(&key)?;
        self.order.remove(&(old, key));
        Some(old)
    }

    /// When timer `key` fires, if set.
    pub fn get(&self, key: K) -> Option<SimTime> {
        self.at.get(&key).copied()
    }

    /// True when timer `key` is set.
    pub fn contains(&self, key: K) -> bool {
        self.at.contains_key(&key)
    }

    /// The earliest time set ([`SimTime::NEVER`] when none is).
    pub fn next(&self) -> SimTime {
        self.order.first().map_or(SimTime::NEVER, |&(t, _)| t)
    }

    /// Removes and returns every key due at or before `now`, earliest
    /// first, keys of one time in key order.
    pub fn pop_due(&mut self, now: SimTime) -> Vec<K> {
        let mut due = Vec::new();
        while let Some(&(t, k)) = self.order.first() {
            if t > now {
                break;
            }
            self.order.pop_first();
            self.at.remove(&k);
            due.push(k);
        }
        due
    }

    /// Number of timers set.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// True when no timer is set.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
    enum Key {
        Sync(u32),
        Resend(u32),
    }

    fn s(x: u64) -> SimTime {
        SimTime::from_secs(x)
    }

    #[test]
    fn next_is_the_earliest_and_never_when_empty() {
        let mut t = TimerTable::new();
        assert_eq!(t.next(), SimTime::NEVER);
        t.set(Key::Resend(1), s(30));
        t.set(Key::Sync(0), s(12));
        assert_eq!(t.next(), s(12));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn set_replaces_and_cancel_removes() {
        let mut t = TimerTable::new();
        t.set(Key::Sync(0), s(12));
        t.set(Key::Sync(0), s(40));
        assert_eq!(t.get(Key::Sync(0)), Some(s(40)));
        assert_eq!(t.next(), s(40));
        assert_eq!(t.cancel(Key::Sync(0)), Some(s(40)));
        assert_eq!(t.cancel(Key::Sync(0)), None);
        assert!(t.is_empty());
        assert_eq!(t.next(), SimTime::NEVER);
    }

    #[test]
    fn set_earliest_keeps_an_earlier_time() {
        let mut t = TimerTable::new();
        t.set_earliest(Key::Sync(1), s(20));
        t.set_earliest(Key::Sync(1), s(25));
        assert_eq!(t.get(Key::Sync(1)), Some(s(20)));
        t.set_earliest(Key::Sync(1), s(5));
        assert_eq!(t.get(Key::Sync(1)), Some(s(5)));
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn pop_due_in_time_then_key_order() {
        let mut t = TimerTable::new();
        t.set(Key::Resend(2), s(10));
        t.set(Key::Resend(1), s(10));
        t.set(Key::Sync(9), s(10));
        t.set(Key::Sync(0), s(5));
        t.set(Key::Sync(3), s(11));
        let due = t.pop_due(s(10));
        assert_eq!(
            due,
            vec![Key::Sync(0), Key::Sync(9), Key::Resend(1), Key::Resend(2)]
        );
        assert_eq!(t.next(), s(11));
        assert!(t.contains(Key::Sync(3)));
        assert!(!t.contains(Key::Sync(0)));
        assert!(t.pop_due(s(10)).is_empty());
    }
}
