//! Time-ordered bookkeeping shared by the sync strategies.
//!
//! [`DueMap`] keeps per-item state with a due time (a send time, a send
//! epoch) and answers "what is due now" in O(log n). [`PeerSchedule`] keeps,
//! for a node, each connected peer's earliest due time, so a flush visits
//! only peers with work instead of scanning them all.

use rustc_hash::FxHashMap;
use std::collections::BTreeSet;
use std::hash::Hash;

/// Items `K` with state `V` and a due time `T`, ordered by `(T, K)`.
#[derive(Debug)]
pub struct DueMap<T, K, V> {
    items: FxHashMap<K, (T, V)>,
    order: BTreeSet<(T, K)>,
}

impl<T, K, V> Default for DueMap<T, K, V> {
    fn default() -> Self {
        DueMap {
            items: FxHashMap::default(),
            order: BTreeSet::new(),
        }
    }
}

impl<T: Ord + Copy, K: Ord + Copy + Hash, V> DueMap<T, K, V> {
    /// Sets `k` due at `t` with state `v`, replacing any earlier entry.
    pub fn insert(&mut self, k: K, t: T, v: V) {
        if let Some((old, _)) = self.items.insert(k, (t, v)) {
            self.order.remove(&(old, k));
        }
        self.order.insert((t, k));
    }

    /// Removes `k`, returning its due time and state.
    pub fn remove(&mut self, k: &K) -> Option<(T, V)> {
        let (t, v) = self.items.remove(k)?;
        self.order.remove(&(t, *k));
        Some((t, v))
    }

    /// The due time and state of `k`.
    pub fn get(&self, k: &K) -> Option<&(T, V)> {
        self.items.get(k)
    }

    /// True when `k` is present.
    pub fn contains(&self, k: &K) -> bool {
        self.items.contains_key(k)
    }

    /// The earliest due time.
    pub fn first_due(&self) -> Option<T> {
        self.order.first().map(|&(t, _)| t)
    }

    /// Removes and returns the earliest entry if it is due at or before `now`.
    pub fn pop_due(&mut self, now: T) -> Option<(T, K, V)> {
        let &(t, k) = self.order.first()?;
        if t > now {
            return None;
        }
        self.order.pop_first();
        let (_, v) = self.items.remove(&k)?;
        Some((t, k, v))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Peers (by local index) ordered by their earliest due time.
#[derive(Debug, Default)]
pub struct PeerSchedule<T> {
    order: BTreeSet<(T, usize)>,
    key: Vec<Option<T>>,
}

impl<T: Ord + Copy> PeerSchedule<T> {
    /// Files peer `i` under `due` (`None`: nothing due, or not connected).
    pub fn update(&mut self, i: usize, due: Option<T>) {
        if self.key.len() <= i {
            self.key.resize(i + 1, None);
        }
        if self.key[i] == due {
            return;
        }
        if let Some(old) = self.key[i] {
            self.order.remove(&(old, i));
        }
        if let Some(new) = due {
            self.order.insert((new, i));
        }
        self.key[i] = due;
    }

    /// Peers due at or before `now`, in (time, index) order.
    pub fn due(&self, now: T) -> impl Iterator<Item = usize> + '_ {
        self.order
            .iter()
            .take_while(move |&&(t, _)| t <= now)
            .map(|&(_, i)| i)
    }

    /// The earliest due time of any peer.
    pub fn first(&self) -> Option<T> {
        self.order.first().map(|&(t, _)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_map_orders_and_replaces() {
        let mut d: DueMap<u64, u32, &str> = DueMap::default();
        d.insert(1, 10, "a");
        d.insert(2, 5, "b");
        d.insert(1, 3, "c");
        assert_eq!(d.first_due(), Some(3));
        assert_eq!(d.pop_due(4), Some((3, 1, "c")));
        assert_eq!(d.pop_due(4), None);
        assert_eq!(d.remove(&2), Some((5, "b")));
        assert!(d.is_empty());
    }

    #[test]
    fn peer_schedule_tracks_keys() {
        let mut s = PeerSchedule::default();
        s.update(3, Some(7u64));
        s.update(1, Some(2));
        s.update(3, Some(1));
        assert_eq!(s.due(5).collect::<Vec<_>>(), vec![3, 1]);
        s.update(3, None);
        assert_eq!(s.first(), Some(2));
    }
}
