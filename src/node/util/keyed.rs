//! A hash table whose entries carry their own key.
//!
//! A `HashMap<u32, V>` stores `(u32, V)` pairs: with `V` an 8-byte-aligned
//! struct the key's 4 bytes cost 8, and nested tuples pad again (a
//! `HashMap<u32, (u64, u32)>` slot is 24 bytes). Sync nodes keep millions of
//! such entries per run, looked up in random order, so their size is cache
//! misses. [`KeyedTable`] stores one flat struct per entry (the key is one of
//! its fields, and the compiler packs the fields): a message id, a message
//! reference and a flag fit in 16 bytes. It is a thin layer over
//! `hashbrown::HashTable` hashed with FxHash, and is only ever looked up,
//! never iterated, so no result depends on its order.
//!
//! Imports `sim/` and `node/` only.

use hashbrown::hash_table::Entry;
use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;
use std::fmt;
use std::hash::{BuildHasher, Hash};

/// An entry that knows its key.
pub trait Keyed {
    /// The key type.
    type Key: Hash + Eq + Copy;
    /// This entry's key.
    fn key(&self) -> Self::Key;
}

/// Entries `E`, found by [`Keyed::key`].
pub struct KeyedTable<E> {
    table: HashTable<E>,
}

impl<E> Default for KeyedTable<E> {
    fn default() -> Self {
        KeyedTable {
            table: HashTable::new(),
        }
    }
}

impl<E> fmt::Debug for KeyedTable<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyedTable({} entries)", self.table.len())
    }
}

fn hash<K: Hash>(k: &K) -> u64 {
    FxBuildHasher.hash_one(k)
}

impl<E: Keyed> KeyedTable<E> {
    fn hasher(e: &E) -> u64 {
        hash(&e.key())
    }

    /// The entry for `k`.
    pub fn get(&self, k: E::Key) -> Option<&E> {
        self.table.find(hash(&k), |e| e.key() == k)
    }

    /// The entry for `k`, to change (not its key).
    pub fn get_mut(&mut self, k: E::Key) -> Option<&mut E> {
        self.table.find_mut(hash(&k), |e| e.key() == k)
    }

    /// True when `k` has an entry.
    pub fn contains(&self, k: E::Key) -> bool {
        self.get(k).is_some()
    }

    /// Inserts `e`, returning the entry it replaces.
    pub fn insert(&mut self, e: E) -> Option<E> {
        let k = e.key();
        match self.table.entry(hash(&k), |x| x.key() == k, Self::hasher) {
            Entry::Occupied(mut o) => Some(std::mem::replace(o.get_mut(), e)),
            Entry::Vacant(v) => {
                v.insert(e);
                None
            }
        }
    }

    /// Inserts `make()` unless `k` has an entry; true when it inserted.
    pub fn insert_new(&mut self, k: E::Key, make: impl FnOnce() -> E) -> bool {
        match self.table.entry(hash(&k), |x| x.key() == k, Self::hasher) {
            Entry::Occupied(_) => false,
            Entry::Vacant(v) => {
                v.insert(make());
                true
            }
        }
    }

    /// Removes and returns the entry for `k`.
    pub fn remove(&mut self, k: E::Key) -> Option<E> {
        let o = self.table.find_entry(hash(&k), |e| e.key() == k).ok()?;
        Some(o.remove().0)
    }

    /// Lets `f` change the entry for `k` (not its key); when `f` answers
    /// false the entry is removed and handed back. `None` when `k` has no
    /// entry. (One look-up for a read, change or removal.)
    pub fn update<R>(
        &mut self,
        k: E::Key,
        f: impl FnOnce(&mut E) -> (bool, R),
    ) -> Option<(R, Option<E>)> {
        let mut o = self.table.find_entry(hash(&k), |e| e.key() == k).ok()?;
        let (keep, r) = f(o.get_mut());
        let removed = (!keep).then(|| o.remove().0);
        Some((r, removed))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// Entries the table holds without growing.
    pub fn capacity(&self) -> usize {
        self.table.capacity()
    }

    /// Makes room for `n` more entries (one rehash at most).
    pub fn reserve(&mut self, n: usize) {
        self.table.reserve(n, Self::hasher);
    }

    /// Shrinks the table to hold at least `n` entries.
    pub fn shrink_to(&mut self, n: usize) {
        self.table.shrink_to(n, Self::hasher);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[derive(Debug, Clone, Copy, PartialEq)]
    struct Item {
        id: u32,
        due: u64,
        count: u32,
    }

    impl Keyed for Item {
        type Key = u32;
        fn key(&self) -> u32 {
            self.id
        }
    }

    #[test]
    fn entries_are_packed() {
        assert_eq!(std::mem::size_of::<Item>(), 16);
    }

    proptest::proptest! {
        /// Against a BTreeMap model, for any sequence of operations.
        #[test]
        fn matches_model(ops in proptest::collection::vec((0u8..5, 0u32..40, 0u64..9), 0..300)) {
            let mut t: KeyedTable<Item> = KeyedTable::default();
            let mut model: BTreeMap<u32, Item> = BTreeMap::new();
            for (op, id, due) in ops {
                let item = Item { id, due, count: id ^ due as u32 };
                match op {
                    0 => proptest::prop_assert_eq!(t.insert(item), model.insert(id, item)),
                    1 => {
                        let fresh = !model.contains_key(&id);
                        model.entry(id).or_insert(item);
                        proptest::prop_assert_eq!(t.insert_new(id, || item), fresh);
                    }
                    2 => proptest::prop_assert_eq!(t.remove(id), model.remove(&id)),
                    3 => {
                        let got = t.update(id, |e| { e.count += 1; (due % 2 == 0, e.due) });
                        let want = model.get_mut(&id).map(|e| {
                            e.count += 1;
                            (e.due, (due % 2 != 0).then_some(*e))
                        });
                        if due % 2 != 0 {
                            model.remove(&id);
                        }
                        proptest::prop_assert_eq!(got, want);
                    }
                    _ => t.shrink_to(t.len()),
                }
                proptest::prop_assert_eq!(t.len(), model.len());
                proptest::prop_assert_eq!(t.get(id).copied(), model.get(&id).copied());
            }
        }
    }
}
