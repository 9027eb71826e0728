//! A node's message store and causal delivery buffer, shared by strategies.
//!
//! The store holds every message a node has, delivers a message to the
//! application once all its parents are delivered (`consistent` mode) or at
//! once (`eventual` mode), and keeps the heads of each group's DAG: the
//! delivered messages no delivered message names as a parent. A message whose
//! parents never arrive waits for ever, which is what the metrics report as
//! `undelivered_missing_parents`.

use crate::message::{GroupId, MessageRef, MsgId};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

/// When a received message is shown to the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Only after all its parents (causal consistency).
    Consistent,
    /// As soon as it is received.
    Eventual,
}

/// Messages held by one node, and their delivery state.
#[derive(Debug)]
pub struct Store {
    mode: DeliveryMode,
    held: HashMap<MsgId, MessageRef>,
    delivered: HashSet<MsgId>,
    /// Child → number of its parents not yet delivered.
    missing: HashMap<MsgId, usize>,
    /// Parent → children waiting for it.
    waiting: HashMap<MsgId, Vec<MsgId>>,
    /// Messages some delivered message names as a parent.
    has_child: HashSet<MsgId>,
    heads: BTreeMap<GroupId, BTreeSet<MsgId>>,
}

impl Store {
    /// An empty store.
    pub fn new(mode: DeliveryMode) -> Self {
        Store {
            mode,
            held: HashMap::new(),
            delivered: HashSet::new(),
            missing: HashMap::new(),
            waiting: HashMap::new(),
            has_child: HashSet::new(),
            heads: BTreeMap::new(),
        }
    }

    /// True when the node has message `m` (delivered or waiting).
    pub fn holds(&self, m: MsgId) -> bool {
        self.held.contains_key(&m)
    }

    /// The message `m`, if held.
    pub fn get(&self, m: MsgId) -> Option<&MessageRef> {
        self.held.get(&m)
    }

    /// True when `m` was delivered to the application.
    pub fn is_delivered(&self, m: MsgId) -> bool {
        self.delivered.contains(&m)
    }

    /// Sorted heads of `group`.
    pub fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.heads
            .get(&group)
            .map(|h| h.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Stores the node's own new message: it is delivered at once.
    pub fn append_own(&mut self, msg: MessageRef) {
        self.held.insert(msg.id, msg.clone());
        self.mark_delivered(&msg);
    }

    /// Stores a received message. Returns the messages this makes
    /// deliverable, in delivery order (the message itself, then any children
    /// it unblocks); empty for a duplicate or a message still waiting.
    pub fn receive(&mut self, msg: MessageRef) -> Vec<MessageRef> {
        if self.held.contains_key(&msg.id) {
            return Vec::new();
        }
        self.held.insert(msg.id, msg.clone());
        let missing: Vec<MsgId> = match self.mode {
            DeliveryMode::Eventual => Vec::new(),
            DeliveryMode::Consistent => msg
                .parents
                .iter()
                .copied()
                .filter(|p| !self.delivered.contains(p))
                .collect(),
        };
        if missing.is_empty() {
            return self.deliver_cascade(msg);
        }
        self.missing.insert(msg.id, missing.len());
        for p in missing {
            self.waiting.entry(p).or_default().push(msg.id);
        }
        Vec::new()
    }

    fn deliver_cascade(&mut self, first: MessageRef) -> Vec<MessageRef> {
        let mut out = Vec::new();
        let mut ready = VecDeque::from([first]);
        while let Some(msg) = ready.pop_front() {
            self.mark_delivered(&msg);
            for child in self.waiting.remove(&msg.id).unwrap_or_default() {
                let left = self.missing.get_mut(&child).map(|n| {
                    *n -= 1;
                    *n
                });
                if left == Some(0) {
                    self.missing.remove(&child);
                    if let Some(c) = self.held.get(&child) {
                        ready.push_back(c.clone());
                    }
                }
            }
            out.push(msg);
        }
        out
    }

    fn mark_delivered(&mut self, msg: &MessageRef) {
        self.delivered.insert(msg.id);
        let heads = self.heads.entry(msg.group).or_default();
        for p in &msg.parents {
            heads.remove(p);
            self.has_child.insert(*p);
        }
        if !self.has_child.contains(&msg.id) {
            heads.insert(msg.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::time::SimTime;
    use std::sync::Arc;

    fn msg(id: MsgId, parents: &[MsgId]) -> MessageRef {
        Arc::new(Message {
            id,
            group: 0,
            sender: 1,
            created: SimTime::ZERO,
            body_len: 1,
            parents: parents.to_vec(),
        })
    }

    fn ids(v: Vec<MessageRef>) -> Vec<MsgId> {
        v.iter().map(|m| m.id).collect()
    }

    #[test]
    fn child_waits_for_parent_then_both_deliver_in_order() {
        let mut s = Store::new(DeliveryMode::Consistent);
        assert!(ids(s.receive(msg(2, &[1]))).is_empty());
        assert!(ids(s.receive(msg(3, &[1, 2]))).is_empty());
        assert!(s.holds(2) && !s.is_delivered(2));
        assert_eq!(ids(s.receive(msg(1, &[]))), vec![1, 2, 3]);
        assert_eq!(s.heads(0), vec![3]);
    }

    #[test]
    fn duplicate_is_not_redelivered() {
        let mut s = Store::new(DeliveryMode::Consistent);
        assert_eq!(ids(s.receive(msg(1, &[]))), vec![1]);
        assert!(s.receive(msg(1, &[])).is_empty());
    }

    #[test]
    fn eventual_mode_delivers_on_receipt_and_keeps_heads_right() {
        let mut s = Store::new(DeliveryMode::Eventual);
        assert_eq!(ids(s.receive(msg(2, &[1]))), vec![2]);
        assert_eq!(ids(s.receive(msg(1, &[]))), vec![1]);
        assert_eq!(s.heads(0), vec![2]);
    }

    #[test]
    fn concurrent_messages_are_both_heads() {
        let mut s = Store::new(DeliveryMode::Consistent);
        s.append_own(msg(1, &[]));
        s.receive(msg(2, &[]));
        assert_eq!(s.heads(0), vec![1, 2]);
        s.append_own(msg(3, &[1, 2]));
        assert_eq!(s.heads(0), vec![3]);
    }
}
