//! An indexed binary min-heap: at most one key per owner (a dense index),
//! changed or removed in place in O(log n).
//!
//! The event queue keeps each node's single timer in one, and sync nodes keep
//! each peer's earliest send time in one: both are reset far more often than
//! they come due, which a plain heap would answer with stale entries and an
//! ordered set with an allocation per change.

/// Position of an owner without a key.
const UNSET: u32 = u32::MAX;

/// Keys `K`, one per owner `0..`, ordered smallest first.
#[derive(Debug)]
pub struct IndexedHeap<K> {
    heap: Vec<(K, u32)>,
    /// Owner → its index in `heap`, or [`UNSET`].
    pos: Vec<u32>,
}

impl<K> Default for IndexedHeap<K> {
    fn default() -> Self {
        IndexedHeap {
            heap: Vec::new(),
            pos: Vec::new(),
        }
    }
}

impl<K: Ord + Copy> IndexedHeap<K> {
    /// The smallest key and its owner.
    pub fn first(&self) -> Option<(K, usize)> {
        self.heap.first().map(|&(k, o)| (k, o as usize))
    }

    /// Number of owners with a key.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when no owner has a key.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }

    /// `owner`'s key, if any.
    pub fn get(&self, owner: usize) -> Option<K> {
        match self.pos.get(owner) {
            Some(&i) if i != UNSET => Some(self.heap[i as usize].0),
            _ => None,
        }
    }

    /// Sets `owner`'s key, replacing any earlier one.
    pub fn set(&mut self, owner: usize, key: K) {
        if self.pos.len() <= owner {
            self.pos.resize(owner + 1, UNSET);
        }
        let i = match self.pos[owner] {
            UNSET => {
                self.heap.push((key, owner as u32));
                self.heap.len() - 1
            }
            i if self.heap[i as usize].0 == key => return,
            i => {
                self.heap[i as usize].0 = key;
                i as usize
            }
        };
        self.place(i);
    }

    /// Removes `owner`'s key, if any.
    pub fn remove(&mut self, owner: usize) {
        if let Some(&i) = self.pos.get(owner).filter(|&&i| i != UNSET) {
            self.remove_at(i as usize);
        }
    }

    /// Removes the smallest key, returning its owner.
    pub fn pop(&mut self) -> Option<usize> {
        (!self.heap.is_empty()).then(|| self.remove_at(0))
    }

    /// Every `(key, owner)` with `key <= bound`, sorted.
    pub fn at_most(&self, bound: K) -> Vec<(K, usize)> {
        let mut out = Vec::new();
        self.at_most_into(bound, &mut out);
        out
    }

    /// Appends every `(key, owner)` with `key <= bound` to `out`, sorted.
    pub fn at_most_into(&self, bound: K, out: &mut Vec<(K, usize)>) {
        let start = out.len();
        self.collect_from(0, bound, out);
        out[start..].sort_unstable();
    }

    /// The subtree under `i` (heap order: a child is never smaller).
    fn collect_from(&self, i: usize, bound: K, out: &mut Vec<(K, usize)>) {
        if let Some(&(k, o)) = self.heap.get(i).filter(|e| e.0 <= bound) {
            out.push((k, o as usize));
            self.collect_from(2 * i + 1, bound, out);
            self.collect_from(2 * i + 2, bound, out);
        }
    }

    /// Removes the entry at `i`, returning its owner.
    fn remove_at(&mut self, i: usize) -> usize {
        let (_, owner) = self.heap.swap_remove(i);
        self.pos[owner as usize] = UNSET;
        if i < self.heap.len() {
            self.place(i);
        }
        owner as usize
    }

    /// Restores the heap order around `i` after its key changed: the entry
    /// moves up or down through a hole (each displaced entry is written
    /// once, and its owner's position with it).
    fn place(&mut self, mut i: usize) {
        let entry = self.heap[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            if entry.0 >= self.heap[parent].0 {
                break;
            }
            self.fill(i, parent);
            i = parent;
        }
        let len = self.heap.len();
        loop {
            let l = 2 * i + 1;
            if l >= len {
                break;
            }
            let r = l + 1;
            let child = if r < len && self.heap[r].0 < self.heap[l].0 {
                r
            } else {
                l
            };
            if self.heap[child].0 >= entry.0 {
                break;
            }
            self.fill(i, child);
            i = child;
        }
        self.heap[i] = entry;
        self.pos[entry.1 as usize] = i as u32;
    }

    /// Moves the entry at `from` into the hole at `to`.
    fn fill(&mut self, to: usize, from: usize) {
        let e = self.heap[from];
        self.heap[to] = e;
        self.pos[e.1 as usize] = to as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    proptest::proptest! {
        /// Against a map from owner to key, for any sequence of changes.
        #[test]
        fn matches_a_map(ops in proptest::collection::vec((0u8..4, 0usize..9, 0u32..30), 0..200)) {
            let mut h = IndexedHeap::default();
            let mut model: BTreeMap<usize, (u32, usize)> = BTreeMap::new();
            for (op, owner, k) in ops {
                match op {
                    0 | 1 => {
                        h.set(owner, (k, owner));
                        model.insert(owner, (k, owner));
                    }
                    2 => {
                        h.remove(owner);
                        model.remove(&owner);
                    }
                    _ => {
                        let want = model.values().min().map(|&(_, o)| o);
                        proptest::prop_assert_eq!(h.pop(), want);
                        if let Some(o) = want {
                            model.remove(&o);
                        }
                    }
                }
                let mut sorted: Vec<_> = model.values().map(|&key| (key, key.1)).collect();
                sorted.sort_unstable();
                proptest::prop_assert_eq!(h.first(), sorted.first().copied());
                let bound = (k, usize::MAX);
                let le: Vec<_> = sorted.iter().copied().filter(|&(key, _)| key <= bound).collect();
                proptest::prop_assert_eq!(h.at_most(bound), le);
                proptest::prop_assert_eq!(h.get(owner), model.get(&owner).copied());
                proptest::prop_assert_eq!(h.len(), model.len());
            }
        }
    }
}
