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
//! been pushed and the old one discarded), and the queue pops whichever of
//! the two heads is earlier by `(time, seq)`.

use crate::indexed_heap::IndexedHeap;
use crate::time::SimTime;
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

/// What the queue pops.
#[derive(Debug, PartialEq, Eq)]
pub enum Popped<E> {
    /// A pushed event.
    Event(E),
    /// The timer of this owner (node) fired.
    Timer(u32),
}

/// A deterministic priority queue of events.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
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
            heap: BinaryHeap::new(),
            timers: IndexedHeap::default(),
            next_seq: 0,
        }
    }

    /// Schedules `event` at `time`, after every event already scheduled then.
    pub fn push(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { time, seq, event });
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

    /// Removes and returns the earliest event or timer.
    pub fn pop(&mut self) -> Option<(SimTime, Popped<E>)> {
        let event = self.heap.peek().map(|e| (e.time, e.seq));
        match (event, self.timers.first()) {
            (None, None) => None,
            (Some(e), Some((t, _))) if e < t => self.pop_event(),
            (Some(_), None) => self.pop_event(),
            (_, Some(((time, _), _))) => self.timers.pop().map(|o| (time, Popped::Timer(o as u32))),
        }
    }

    fn pop_event(&mut self) -> Option<(SimTime, Popped<E>)> {
        self.heap.pop().map(|e| (e.time, Popped::Event(e.event)))
    }

    /// Pending events, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &E> {
        self.heap.iter().map(|e| &e.event)
    }

    /// Number of pending events and timers.
    pub fn len(&self) -> usize {
        self.heap.len() + self.timers.len()
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

    proptest::proptest! {
        /// Against the plain model: a timer is an event pushed at each
        /// setting, valid only while it is its owner's latest setting.
        #[test]
        fn timers_pop_like_superseded_events(ops in proptest::collection::vec((0u8..4, 0u32..5, 0u64..20), 0..120)) {
            let mut q: EventQueue<u32> = EventQueue::new();
            let mut model: EventQueue<(u32, u64)> = EventQueue::new();
            let mut latest = [0u64; 5];
            let mut got = Vec::new();
            let mut want = Vec::new();
            for (n, (op, owner, t)) in ops.into_iter().enumerate() {
                let n = n as u64;
                match op {
                    0 => {
                        q.push(SimTime(t), 100 + n as u32);
                        model.push(SimTime(t), (100 + n as u32, 0));
                    }
                    1 => {
                        q.set_timer(owner, SimTime(t));
                        latest[owner as usize] = n + 1;
                        model.push(SimTime(t), (owner, n + 1));
                    }
                    2 => {
                        q.cancel_timer(owner);
                        latest[owner as usize] = 0;
                    }
                    _ => {
                        if let Some((time, p)) = q.pop() {
                            got.push((time, p));
                        }
                        while let Some((time, Popped::Event((x, g)))) = model.pop() {
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
