//! The event queue: a binary min-heap keyed by `(SimTime, seq)`, plus one
//! timer per node.
//!
//! `seq` is a global insertion counter, so events scheduled for the same
//! instant pop in the order they were pushed (FIFO), never in an order that
//! depends on hashing or threads. Push and pop are O(log n).
//!
//! Nodes reset their single timer far more often than it fires, so timers
//! live in an [`IndexedHeap`] of their own: setting one moves the
//! node's entry in place (taking a fresh `seq`, exactly as if a new event had
//! been pushed and the old one discarded). Events go to one of two heaps: a
//! small `near` one for those due within 2 s (`NEAR`) of the last pop
//! (payloads in flight: nearly every event) and a `far` one for the rest
//! (writes and churn hours ahead, one entry per writer and node), so the
//! common push and pop sift through a few cache-resident levels instead of
//! the whole queue. Which heap holds an event never changes the order: the
//! queue pops whichever of the three heads is earliest by `(time, seq)`.

use crate::sim::indexed_heap::IndexedHeap;
use crate::sim::time::SimTime;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

struct Entry<E> {
    time: SimTime,
    seq: u64,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        (self.time, self.seq) == (other.time, other.seq)
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    // Reversed so that `BinaryHeap` (a max-heap) pops the earliest entry.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.seq).cmp(&(self.time, self.seq))
    }
}

/// Which event heap a pop takes from.
#[derive(Clone, Copy)]
enum Heap {
    Near,
    Far,
}
use Heap::{Far, Near};

/// What the queue pops.
#[derive(Debug, PartialEq, Eq)]
pub enum Popped<E> {
    /// A pushed event.
    Event(E),
    /// The timer of this owner (node) fired.
    Timer(u32),
}

/// Events due at most this long after the last pop go to the near heap.
const NEAR: SimTime = SimTime(2_000_000);

/// A deterministic priority queue of events.
pub struct EventQueue<E> {
    /// Events due at or before `horizon`.
    near: BinaryHeap<Entry<E>>,
    /// Events due later.
    far: BinaryHeap<Entry<E>>,
    /// The last popped time plus [`NEAR`].
    horizon: SimTime,
    /// One `(time, seq)` per owner.
    timers: IndexedHeap<(SimTime, u64)>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    /// An empty queue.
    pub fn new() -> Self {
        EventQueue {
            near: BinaryHeap::new(),
            far: BinaryHeap::new(),
            horizon: NEAR,
            timers: IndexedHeap::default(),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`, after every event already scheduled then.
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let heap = if time <= self.horizon {
            &mut self.near
        } else {
            &mut self.far
        };
        heap.push(Entry { time, seq, event });
    }

    /// Sets `owner`'s timer to fire at `time`, replacing any earlier
    /// setting; it pops after every event already scheduled then.
    pub fn set_timer(&mut self, owner: u32, time: SimTime) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.timers.set(owner as usize, (time, seq));
    }

    /// Cancels `owner`'s timer, if set.
    pub fn cancel_timer(&mut self, owner: u32) {
        self.timers.remove(owner as usize);
    }

    /// The time of the earliest event or timer, without removing it.
    pub fn peek_time(&self) -> Option<SimTime> {
        let heads = [self.near.peek(), self.far.peek()];
        let event = heads.into_iter().flatten().map(|e| e.time).min();
        let timer = self.timers.first().map(|((t, _), _)| t);
        match (event, timer) {
            (Some(e), Some(t)) => Some(e.min(t)),
            (e, t) => e.or(t),
        }
    }

    /// Removes and returns the earliest event or timer.
    pub fn pop(&mut self) -> Option<(SimTime, Popped<E>)> {
        let key = |h: &BinaryHeap<Entry<E>>| h.peek().map(|e| (e.time, e.seq));
        let (near, far) = (key(&self.near), key(&self.far));
        // The earlier event head (an absent head is never earlier).
        let (event, heap) = match (near, far) {
            (Some(n), Some(f)) if f < n => (far, Far),
            (None, _) => (far, Far),
            _ => (near, Near),
        };
        let popped = match (event, self.timers.first()) {
            (None, None) => return None,
            (Some(e), Some((t, _))) if e < t => self.pop_event(heap),
            (Some(_), None) => self.pop_event(heap),
            (_, Some(((time, _), _))) => self.timers.pop().map(|o| (time, Popped::Timer(o as u32))),
        };
        if let Some((time, _)) = popped {
            self.horizon = time + NEAR;
        }
        popped
    }

    fn pop_event(&mut self, heap: Heap) -> Option<(SimTime, Popped<E>)> {
        let heap = match heap {
            Near => &mut self.near,
            Far => &mut self.far,
        };
        heap.pop().map(|e| (e.time, Popped::Event(e.event)))
    }

    /// Pending events, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.near.iter().chain(&self.far).map(|e| &e.event)
    }

    /// Number of pending events and timers.
    pub fn len(&self) -> usize {
        self.near.len() + self.far.len() + self.timers.len()
    }

    /// True when no event or timer is pending.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_times_pop_fifo() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), "b");
        q.push(SimTime(1), "a");
        q.push(SimTime(5), "c");
        q.push(SimTime(5), "d");
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, e)| e).collect();
        let want = ["a", "b", "c", "d"].map(Popped::Event);
        assert_eq!(order, want);
    }

    fn at(t: u64) -> SimTime {
        SimTime(t * 300_000)
    }

    proptest::proptest! {
        /// Against the plain model: a timer is an event pushed at each
        /// setting, valid only while it is its owner's latest setting.
        /// Times step by 0.3 s, so events land in both the near and the far
        /// heap and move between them as the horizon advances.
        #[test]
        fn timers_pop_like_superseded_events(ops in proptest::collection::vec((0u8..4, 0u32..5, 0u64..20), 0..120)) {
            let mut q: EventQueue<u32> = EventQueue::new();
            // An independent model: a sorted map by (time, insertion order).
            let mut model = std::collections::BTreeMap::new();
            let mut latest = [0u64; 5];
            let mut got = Vec::new();
            let mut want = Vec::new();
            for (n, (op, owner, t)) in ops.into_iter().enumerate() {
                let n = n as u64;
                match op {
                    0 => {
                        q.push(at(t), 100 + n as u32);
                        model.insert((at(t), n), (100 + n as u32, 0));
                    }
                    1 => {
                        q.set_timer(owner, at(t));
                        latest[owner as usize] = n + 1;
                        model.insert((at(t), n), (owner, n + 1));
                    }
                    2 => {
                        q.cancel_timer(owner);
                        latest[owner as usize] = 0;
                    }
                    _ => {
                        if let Some((time, p)) = q.pop() {
                            got.push((time, p));
                        }
                        while let Some(((time, _), (x, g))) = model.pop_first() {
                            if x >= 100 {
                                want.push((time, Popped::Event(x)));
                                break;
                            }
                            if latest[x as usize] == g {
                                latest[x as usize] = 0;
                                want.push((time, Popped::Timer(x)));
                                break;
                            }
                        }
                    }
                }
            }
            proptest::prop_assert_eq!(got, want);
        }
    }
}
