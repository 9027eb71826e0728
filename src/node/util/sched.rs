//! Time-ordered bookkeeping shared by the sync strategies.
//!
//! [`DueMap`] keeps per-item state with a due time (a send time, a send
//! epoch) and hands out everything due now in `(time, key)` order. [`PeerSchedule`] keeps,
//! for a node, each connected peer's earliest due time, so a flush visits
//! only peers with work instead of scanning them all.
//!
//! Imports `sim/` and `node/` only.

use super::keyed::{Keyed, KeyedTable};
use crate::sim::indexed_heap::IndexedHeap;
use smallvec::SmallVec;
use std::hash::Hash;

/// Items `K` with state `V` and a due time `T`, drained in `(T, K)` order.
///
/// Items live in a hash table, one flat entry each (see [`KeyedTable`]:
/// a message id, a time and a 4-byte state take 16 bytes). Their keys are
/// filed in one bucket per due time (most share one: everything sent in one
/// flush comes due again together), so inserting is a hash insert and a
/// push. A removed or moved item leaves its key behind in its old bucket;
/// each bucket counts its live items, so the earliest due time stays exact,
/// and draining skips the stale keys. A bucket goes when its last item
/// leaves or it comes due, and is swept of stale keys before that only when
/// they outnumber its live items many times over (a sweep costs a hash probe
/// per key: sweeping as soon as stale keys dominated cost as many probes as
/// MESSAGE records, for buckets nearly all dropped whole a moment later).
#[derive(Debug)]
#[repr(C)] // the table and the buckets first: they are read on every use
pub struct DueMap<T, K, V> {
    items: KeyedTable<Item<T, K, V>>,
    /// The first bucket's due time, kept here so that asking for it (every
    /// flush asks, for every peer it visits) does not read the buckets.
    first: Option<T>,
    /// Buckets sorted by due time (a handful per peer: a sorted vector).
    buckets: Vec<(T, Bucket<K>)>,
    /// Key vectors of dropped buckets, kept for reuse (no allocation per
    /// bucket).
    spare: Vec<Vec<K>>,
}

/// A bucket is swept of stale keys when it holds more than this many times
/// its live items, plus [`STALE_SLACK`].
const STALE_MAX: usize = 8;
/// See [`STALE_MAX`].
const STALE_SLACK: usize = 1024;

/// The keys filed under one due time (some may be stale) and how many of
/// them are live.
#[derive(Debug)]
struct Bucket<K> {
    keys: Vec<K>,
    live: usize,
}

/// One item of a [`DueMap`].
#[derive(Debug)]
struct Item<T, K, V> {
    key: K,
    due: T,
    state: V,
}

impl<T, K: Hash + Eq + Copy, V> Keyed for Item<T, K, V> {
    type Key = K;
    fn key(&self) -> K {
        self.key
    }
}

impl<T, K, V> Default for DueMap<T, K, V> {
    fn default() -> Self {
        DueMap {
            items: KeyedTable::default(),
            first: None,
            buckets: Vec::new(),
            spare: Vec::new(),
        }
    }
}

impl<T: Ord + Copy, K: Ord + Copy + Hash, V> DueMap<T, K, V> {
    /// Sets `k` due at `t` with state `v`, replacing any earlier entry.
    pub fn insert(&mut self, k: K, t: T, v: V) {
        let item = Item {
            key: k,
            due: t,
            state: v,
        };
        match self.items.insert(item) {
            Some(old) if old.due == t => {}
            Some(old) => {
                self.forget(old.due);
                self.file(t, k);
            }
            None => self.file(t, k),
        }
    }

    /// Sets `k` due at `t` with state `v()` unless `k` is present; true
    /// when it was inserted (`v` is called only then).
    pub fn insert_new(&mut self, k: K, t: T, v: impl FnOnce() -> V) -> bool {
        let make = || Item {
            key: k,
            due: t,
            state: v(),
        };
        let inserted = self.items.insert_new(k, make);
        if inserted {
            self.file(t, k);
        }
        inserted
    }

    fn file(&mut self, t: T, k: K) {
        if file_in(&mut self.buckets, &mut self.spare, t, k) == 0 {
            self.first = Some(t);
        }
    }

    /// Re-reads the first due time after the buckets changed.
    fn sync_first(&mut self) {
        self.first = self.buckets.first().map(|&(t, _)| t);
    }

    /// Keeps a dropped bucket's key vector for reuse (small ones only: a
    /// large one would hold memory nothing needs).
    fn recycle(&mut self, mut keys: Vec<K>) {
        if self.spare.len() < 4 && keys.capacity() <= 64 {
            keys.clear();
            self.spare.push(keys);
        }
    }

    /// One live item left the bucket of `t`: drops the bucket when it was
    /// the last.
    fn forget(&mut self, t: T) {
        let Ok(i) = self.buckets.binary_search_by(|(at, _)| at.cmp(&t)) else {
            return;
        };
        let b = &mut self.buckets[i].1;
        b.live -= 1;
        if b.live == 0 {
            let (_, b) = self.buckets.remove(i);
            self.recycle(b.keys);
            if i == 0 {
                self.sync_first();
            }
        } else if b.keys.len() > STALE_MAX * b.live + STALE_SLACK {
            // Only a bucket kept alive while the same keys are filed in it
            // and removed again and again gets here.
            let items = &self.items;
            b.keys.retain(|&k| items.get(k).is_some_and(|e| e.due == t));
            b.keys.sort_unstable();
            b.keys.dedup();
        }
    }

    /// Removes `k`, returning its due time and state.
    pub fn remove(&mut self, k: &K) -> Option<(T, V)> {
        let e = self.items.remove(*k)?;
        self.forget(e.due);
        self.shrink();
        Some((e.due, e.state))
    }

    /// Gives memory back once the map is nearly empty (under 1/16 full): a
    /// peer that was away for hours leaves a large table behind otherwise,
    /// for ever. (Not at a quarter: backlogs come and go, and every regrowth
    /// rehashes.)
    fn shrink(&mut self) {
        let cap = self.items.capacity();
        if cap > 64 && self.items.len() * 16 < cap {
            self.items.shrink_to(self.items.len() * 2);
        }
    }

    /// Makes room for `n` more entries (a batch of inserts then rehashes
    /// the table once at most).
    pub fn reserve(&mut self, n: usize) {
        self.items.reserve(n);
    }

    /// The due time and state of `k`.
    pub fn get(&self, k: &K) -> Option<(T, &V)> {
        self.items.get(*k).map(|e| (e.due, &e.state))
    }

    /// True when `k` is present.
    pub fn contains(&self, k: &K) -> bool {
        self.items.contains(*k)
    }

    /// The earliest due time.
    pub fn first_due(&self) -> Option<T> {
        self.first
    }

    /// Removes every entry due at or before `now` and appends them to `out`
    /// in `(T, K)` order.
    pub fn drain_due(&mut self, now: T, out: &mut Vec<(T, K, V)>) {
        self.visit_due(now, |_, _| None, |t, k, v| out.push((t, k, v)));
    }

    /// Visits every entry due at or before `now` in `(T, K)` order and
    /// updates it in place: `f(key, &mut state)` returns the entry's new
    /// due time, or `None` to remove it. One hash probe per entry (a drain
    /// followed by re-inserts costs two). Entries re-filed at or before
    /// `now` are not visited again in the same call.
    pub fn update_due(&mut self, now: T, f: impl FnMut(K, &mut V) -> Option<T>) {
        self.visit_due(now, f, |_, _, _| {});
    }

    /// [`DueMap::update_due`], handing each removed entry to `removed`.
    fn visit_due(
        &mut self,
        now: T,
        mut f: impl FnMut(K, &mut V) -> Option<T>,
        mut removed: impl FnMut(T, K, V),
    ) {
        let n = self.buckets.iter().take_while(|&&(t, _)| t <= now).count();
        if n == 0 {
            return;
        }
        let mut late = Vec::new();
        // Nearly always one or two buckets: on the stack.
        let visiting: SmallVec<[(T, Bucket<K>); 4]> = self.buckets.drain(..n).collect();
        for (t, mut bucket) in visiting {
            bucket.keys.sort_unstable();
            bucket.keys.dedup();
            for &k in &bucket.keys {
                let visit = self.items.update(k, |e| {
                    if e.due != t {
                        return (true, None); // a stale copy
                    }
                    let next = f(k, &mut e.state);
                    // One still due is re-filed after the visit, so that a
                    // stale copy of its key in a bucket not yet visited
                    // cannot match its new time.
                    if let Some(t2) = next.filter(|&t2| t2 > now) {
                        e.due = t2;
                    }
                    (next.is_some(), next)
                });
                match visit {
                    Some((Some(t2), _)) if t2 <= now => late.push((k, t2)),
                    Some((Some(t2), _)) => {
                        file_in(&mut self.buckets, &mut self.spare, t2, k);
                    }
                    Some((None, Some(e))) => removed(t, k, e.state),
                    _ => {}
                }
            }
            self.recycle(bucket.keys);
        }
        for (k, t2) in late {
            if let Some(e) = self.items.get_mut(k) {
                e.due = t2;
                file_in(&mut self.buckets, &mut self.spare, t2, k);
            }
        }
        self.sync_first();
        self.shrink();
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

/// Files key `k` under due time `t` in `buckets` (sorted by time), taking
/// a spare key vector for a new bucket; returns the bucket's index.
fn file_in<T: Ord, K>(
    buckets: &mut Vec<(T, Bucket<K>)>,
    spare: &mut Vec<Vec<K>>,
    t: T,
    k: K,
) -> usize {
    // Most keys join the first bucket (shared now) or the last (sent now,
    // due after the longest wait so far): look there before searching.
    let found = match (buckets.first(), buckets.last()) {
        (Some((first, _)), _) if *first == t => Ok(0),
        (_, Some((last, _))) if *last == t => Ok(buckets.len() - 1),
        (_, Some((last, _))) if *last < t => Err(buckets.len()),
        _ => buckets.binary_search_by(|(at, _)| at.cmp(&t)),
    };
    let i = match found {
        Ok(i) => i,
        Err(i) => {
            let keys = spare.pop().unwrap_or_default();
            buckets.insert(i, (t, Bucket { keys, live: 0 }));
            i
        }
    };
    let b = &mut buckets[i].1;
    b.keys.push(k);
    b.live += 1;
    i
}

/// Peers (by local index) ordered by their earliest due time.
#[derive(Debug)]
pub struct PeerSchedule<T> {
    heap: IndexedHeap<(T, usize)>,
    /// Buffer for [`PeerSchedule::due_into`] (reused).
    scratch: Vec<((T, usize), usize)>,
}

impl<T> Default for PeerSchedule<T> {
    fn default() -> Self {
        PeerSchedule {
            heap: IndexedHeap::default(),
            scratch: Vec::new(),
        }
    }
}

impl<T: Ord + Copy> PeerSchedule<T> {
    /// Files peer `i` under `due` (`None`: nothing due, or not connected).
    pub fn update(&mut self, i: usize, due: Option<T>) {
        match due {
            Some(t) => self.heap.set(i, (t, i)),
            None => self.heap.remove(i),
        }
    }

    /// Peers due at or before `now`, in (time, index) order.
    pub fn due(&self, now: T) -> impl Iterator<Item = usize> {
        self.heap
            .at_most((now, usize::MAX))
            .into_iter()
            .map(|(_, i)| i)
    }

    /// Appends the peers due at or before `now` to `out`, in (time, index)
    /// order, without allocating once warm.
    pub fn due_into(&mut self, now: T, out: &mut Vec<usize>) {
        let mut scratch = std::mem::take(&mut self.scratch);
        self.heap.at_most_into((now, usize::MAX), &mut scratch);
        out.extend(scratch.drain(..).map(|(_, i)| i));
        self.scratch = scratch;
    }

    /// The earliest due time of any peer.
    pub fn first(&self) -> Option<T> {
        self.heap.first().map(|((t, _), _)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_packed() {
        // A message id, a send time and a 4-byte state: one 16-byte slot.
        assert_eq!(std::mem::size_of::<Item<u64, u32, u32>>(), 16);
    }

    #[test]
    fn due_map_orders_and_replaces() {
        let mut d: DueMap<u64, u32, &str> = DueMap::default();
        d.insert(1, 10, "a");
        d.insert(2, 5, "b");
        d.insert(1, 3, "c");
        assert_eq!(d.first_due(), Some(3));
        let mut due = Vec::new();
        d.drain_due(4, &mut due);
        assert_eq!(due, vec![(3, 1, "c")]);
        d.drain_due(4, &mut due);
        assert_eq!(due.len(), 1);
        assert_eq!(d.remove(&2), Some((5, "b")));
        assert!(d.is_empty());
        assert_eq!(d.first_due(), None);
    }

    proptest::proptest! {
        /// Against a model (a map and a sorted set), for any sequence of
        /// inserts, removals and drains.
        #[test]
        fn due_map_matches_model(ops in proptest::collection::vec((0u8..5, 0u32..12, 0u64..6), 0..200)) {
            use std::collections::BTreeMap as Model;
            let mut d: DueMap<u64, u32, u64> = DueMap::default();
            let mut model: Model<u32, (u64, u64)> = Model::new();
            for (n, (op, k, t)) in ops.into_iter().enumerate() {
                match op {
                    0 => {
                        d.insert(k, t, n as u64);
                        model.insert(k, (t, n as u64));
                    }
                    1 => {
                        let fresh = !model.contains_key(&k);
                        model.entry(k).or_insert((t, n as u64));
                        proptest::prop_assert_eq!(d.insert_new(k, t, || n as u64), fresh);
                    }
                    2 => proptest::prop_assert_eq!(d.remove(&k), model.remove(&k)),
                    3 => {
                        // Every due entry in (time, key) order: keys divisible
                        // by 3 leave, the others move to t + k % 4 (those with
                        // k % 4 == 0 stay due: they must not be visited twice).
                        let mut seen = Vec::new();
                        d.update_due(t, |key, v| {
                            seen.push(key);
                            *v += 100;
                            (key % 3 != 0).then_some(t + u64::from(key % 4))
                        });
                        let mut due: Vec<(u64, u32)> =
                            model.iter().filter(|(_, v)| v.0 <= t).map(|(&k, v)| (v.0, k)).collect();
                        due.sort_unstable();
                        proptest::prop_assert_eq!(&seen, &due.iter().map(|p| p.1).collect::<Vec<_>>());
                        for (_, key) in due {
                            if key % 3 == 0 {
                                model.remove(&key);
                            } else if let Some(v) = model.get_mut(&key) {
                                *v = (t + u64::from(key % 4), v.1 + 100);
                            }
                        }
                    }
                    _ => {
                        let mut got = Vec::new();
                        d.drain_due(t, &mut got);
                        let mut want: Vec<(u64, u32, u64)> =
                            model.iter().filter(|(_, v)| v.0 <= t).map(|(&k, &(at, v))| (at, k, v)).collect();
                        want.sort_unstable();
                        model.retain(|_, v| v.0 > t);
                        proptest::prop_assert_eq!(got, want);
                    }
                }
                proptest::prop_assert_eq!(d.first_due(), model.values().map(|v| v.0).min());
                proptest::prop_assert_eq!(d.len(), model.len());
            }
        }
    }

    #[test]
    fn stale_keys_stay_bounded() {
        // One item keeps the bucket alive while another is filed in it and
        // removed again and again: its stale keys are swept in time.
        let mut d: DueMap<u64, u32, ()> = DueMap::default();
        d.insert(0, 5, ());
        for _ in 0..10 * STALE_SLACK {
            d.insert(1, 5, ());
            d.remove(&1);
            assert!(d.buckets[0].1.keys.len() <= STALE_MAX + STALE_SLACK + 1);
        }
        let mut due = Vec::new();
        d.drain_due(5, &mut due);
        assert_eq!(due, vec![(5, 0, ())]);
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
