//! A node's message store and causal delivery buffer, shared by strategies.
//!
//! The store holds every message a node has, delivers a message to the
//! application once all its parents are delivered (`consistent` mode) or at
//! once (`eventual` mode), and keeps the heads of each group's DAG: the
//! delivered messages no delivered message names as a parent. A message whose
//! parents never arrive waits for ever, which is what the metrics report as
//! `undelivered_missing_parents`, unless a maximum wait is set: then a
//! message blocked that long is delivered without its missing parents (a
//! mitigation of the hole attack), reported as such. Messages from a sender
//! who is not a member of the group are rejected (never held).
//!
//! Imports `sim/` and `node/` only.

use super::util::keyed::{Keyed, KeyedTable};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId};
use crate::sim::time::SimTime;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// When a received message is shown to the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryMode {
    /// Only after all its parents (causal consistency).
    Consistent,
    /// As soon as it is received.
    Eventual,
}

/// Delivery rules of a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Consistent or eventual.
    pub mode: DeliveryMode,
    /// Deliver a message blocked this long without its missing parents
    /// (`None`: wait for ever).
    pub max_wait: Option<SimTime>,
}

impl From<DeliveryMode> for Delivery {
    fn from(mode: DeliveryMode) -> Self {
        Delivery {
            mode,
            max_wait: None,
        }
    }
}

/// A message handed to the application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivered {
    /// The message.
    pub msg: MessageRef,
    /// False when it was delivered without all its parents (max wait).
    pub verified: bool,
}

/// A held message (16 bytes: see [`KeyedTable`]).
#[derive(Debug)]
struct Held {
    msg: MessageRef,
    id: MsgId,
    delivered: bool,
}

impl Keyed for Held {
    type Key = MsgId;
    fn key(&self) -> MsgId {
        self.id
    }
}

/// Messages held by one node, and their delivery state.
#[derive(Debug)]
pub struct Store {
    mode: DeliveryMode,
    max_wait: Option<SimTime>,
    /// Members of each group this node stores for (authorization), sorted
    /// by group: a node has a group or two, so this is one short vector,
    /// read for every message received.
    members: Vec<(GroupId, Members)>,
    /// Blocked messages by the time they were received.
    blocked: BTreeSet<(SimTime, MsgId)>,
    blocked_at: FxHashMap<MsgId, SimTime>,
    /// Every message held, and whether it was delivered (one table: most
    /// look-ups ask both).
    held: KeyedTable<Held>,
    /// Child → number of its parents not yet delivered.
    missing: FxHashMap<MsgId, usize>,
    /// Parent → children waiting for it.
    waiting: FxHashMap<MsgId, Vec<MsgId>>,
    /// Messages some delivered message names as a parent.
    has_child: FxHashSet<MsgId>,
    heads: BTreeMap<GroupId, BTreeSet<MsgId>>,
}

/// `groups` sorted by id (a node's groups are listed once each; a repeat
/// would be dropped, as the BSP node drops it).
fn sorted_groups(groups: &[(GroupId, Members)]) -> Vec<(GroupId, Members)> {
    let mut v: Vec<(GroupId, Members)> = groups.to_vec();
    v.sort_by_key(|(g, _)| *g);
    v.dedup_by_key(|(g, _)| *g);
    v
}

impl Store {
    /// An empty store for `groups` (with their member lists).
    pub fn new(delivery: impl Into<Delivery>, groups: &[(GroupId, Members)]) -> Self {
        let d = delivery.into();
        Store {
            mode: d.mode,
            max_wait: d.max_wait,
            members: sorted_groups(groups),
            blocked: BTreeSet::new(),
            blocked_at: FxHashMap::default(),
            held: KeyedTable::default(),
            missing: FxHashMap::default(),
            waiting: FxHashMap::default(),
            has_child: FxHashSet::default(),
            heads: BTreeMap::new(),
        }
    }

    /// True when `msg` belongs to one of the store's groups and its sender
    /// is a member of that group.
    pub fn authorized(&self, msg: &MessageRef) -> bool {
        self.members
            .binary_search_by_key(&msg.group, |(g, _)| *g)
            .is_ok_and(|i| self.members[i].1.binary_search(&msg.sender).is_ok())
    }

    /// When the earliest blocked message reaches the maximum wait.
    pub fn next_expiry(&self) -> Option<SimTime> {
        let wait = self.max_wait?;
        self.blocked.first().map(|&(t, _)| t + wait)
    }

    /// Delivers every message blocked for the maximum wait by `now`, without
    /// its missing parents, and the children that unblocks.
    pub fn expire(&mut self, now: SimTime) -> Vec<Delivered> {
        let mut out = Vec::new();
        let Some(wait) = self.max_wait else {
            return out;
        };
        while let Some(&(t, m)) = self.blocked.first() {
            if t + wait > now {
                break;
            }
            self.unblock(m);
            self.missing.remove(&m);
            if let Some(msg) = self.get(m).cloned() {
                let mut ds = self.deliver_cascade(msg);
                ds[0].verified = false;
                out.extend(ds);
            }
        }
        out
    }

    fn unblock(&mut self, m: MsgId) {
        if let Some(t) = self.blocked_at.remove(&m) {
            self.blocked.remove(&(t, m));
        }
    }

    /// True when the node has message `m` (delivered or waiting).
    pub fn holds(&self, m: MsgId) -> bool {
        self.held.contains(m)
    }

    /// The message `m`, if held.
    pub fn get(&self, m: MsgId) -> Option<&MessageRef> {
        self.held.get(m).map(|h| &h.msg)
    }

    /// The message `m` and whether it was delivered, if held (one look-up).
    pub fn held(&self, m: MsgId) -> Option<(&MessageRef, bool)> {
        self.held.get(m).map(|h| (&h.msg, h.delivered))
    }

    /// Whether `m` was delivered to the application, if it is held (one
    /// look-up for both questions).
    pub fn delivered(&self, m: MsgId) -> Option<bool> {
        self.held.get(m).map(|h| h.delivered)
    }

    /// True when `m` was delivered to the application.
    pub fn is_delivered(&self, m: MsgId) -> bool {
        self.delivered(m) == Some(true)
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
        self.hold(&msg);
        self.mark_delivered(&msg);
    }

    /// Stores a message received at `now`. Returns the messages this makes
    /// deliverable, in delivery order (the message itself, then any children
    /// it unblocks); empty for a duplicate, an unauthorized message or a
    /// message still waiting.
    pub fn receive(&mut self, now: SimTime, msg: MessageRef) -> Vec<Delivered> {
        if self.held.contains(msg.id) || !self.authorized(&msg) {
            return Vec::new();
        }
        self.hold(&msg);
        let missing: Vec<MsgId> = match self.mode {
            DeliveryMode::Eventual => Vec::new(),
            DeliveryMode::Consistent => msg
                .parents
                .iter()
                .copied()
                .filter(|&p| !self.is_delivered(p))
                .collect(),
        };
        if missing.is_empty() {
            return self.deliver_cascade(msg);
        }
        self.missing.insert(msg.id, missing.len());
        for p in missing {
            self.waiting.entry(p).or_default().push(msg.id);
        }
        if self.max_wait.is_some() {
            self.blocked.insert((now, msg.id));
            self.blocked_at.insert(msg.id, now);
        }
        Vec::new()
    }

    fn deliver_cascade(&mut self, first: MessageRef) -> Vec<Delivered> {
        let mut out = Vec::new();
        let mut ready = VecDeque::from([first]);
        while let Some(msg) = ready.pop_front() {
            if self.is_delivered(msg.id) {
                continue;
            }
            self.unblock(msg.id);
            self.mark_delivered(&msg);
            for child in self.waiting.remove(&msg.id).unwrap_or_default() {
                let left = self.missing.get_mut(&child).map(|n| {
                    *n -= 1;
                    *n
                });
                if left == Some(0) {
                    self.missing.remove(&child);
                    if let Some(c) = self.get(child) {
                        ready.push_back(c.clone());
                    }
                }
            }
            out.push(Delivered {
                msg,
                verified: true,
            });
        }
        out
    }

    fn hold(&mut self, msg: &MessageRef) {
        self.held.insert(Held {
            msg: msg.clone(),
            id: msg.id,
            delivered: false,
        });
    }

    fn mark_delivered(&mut self, msg: &MessageRef) {
        if let Some(h) = self.held.get_mut(msg.id) {
            h.delivered = true;
        }
        let heads = self.heads.entry(msg.group).or_default();
        for p in &msg.parents {
            heads.remove(p);
        }
        // In consistent mode without a maximum wait no child is delivered
        // before its parent, so a message is always a head when delivered;
        // eventual mode and forced deliveries need to remember which
        // messages already have delivered children.
        if self.mode == DeliveryMode::Eventual || self.max_wait.is_some() {
            self.has_child.extend(msg.parents.iter().copied());
            if self.has_child.contains(&msg.id) {
                return;
            }
        }
        heads.insert(msg.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::message::test_message;
    use crate::sim::time::SimTime;

    fn msg(id: MsgId, parents: &[MsgId]) -> MessageRef {
        test_message(id, 1, SimTime::ZERO, parents)
    }

    fn ids(v: Vec<Delivered>) -> Vec<MsgId> {
        v.iter().map(|d| d.msg.id).collect()
    }

    fn store(mode: DeliveryMode) -> Store {
        Store::new(mode, &[(0, vec![0, 1, 2].into())])
    }

    #[test]
    fn child_waits_for_parent_then_both_deliver_in_order() {
        let mut s = store(DeliveryMode::Consistent);
        assert!(ids(s.receive(SimTime::ZERO, msg(2, &[1]))).is_empty());
        assert!(ids(s.receive(SimTime::ZERO, msg(3, &[1, 2]))).is_empty());
        assert!(s.holds(2) && !s.is_delivered(2));
        assert_eq!(ids(s.receive(SimTime::ZERO, msg(1, &[]))), vec![1, 2, 3]);
        assert_eq!(s.heads(0), vec![3]);
    }

    #[test]
    fn duplicate_is_not_redelivered() {
        let mut s = store(DeliveryMode::Consistent);
        assert_eq!(ids(s.receive(SimTime::ZERO, msg(1, &[]))), vec![1]);
        assert!(s.receive(SimTime::ZERO, msg(1, &[])).is_empty());
    }

    #[test]
    fn eventual_mode_delivers_on_receipt_and_keeps_heads_right() {
        let mut s = store(DeliveryMode::Eventual);
        assert_eq!(ids(s.receive(SimTime::ZERO, msg(2, &[1]))), vec![2]);
        assert_eq!(ids(s.receive(SimTime::ZERO, msg(1, &[]))), vec![1]);
        assert_eq!(s.heads(0), vec![2]);
    }

    #[test]
    fn non_member_messages_are_rejected() {
        let mut s = store(DeliveryMode::Consistent);
        let mut m = (*msg(1, &[])).clone();
        m.sender = 9;
        assert!(s.receive(SimTime::ZERO, MessageRef::new(m)).is_empty());
        assert!(!s.holds(1));
    }

    #[test]
    fn max_wait_delivers_without_missing_parents_then_children() {
        let d = Delivery {
            mode: DeliveryMode::Consistent,
            max_wait: Some(SimTime::from_secs(10)),
        };
        let mut s = Store::new(d, &[(0, vec![0, 1, 2].into())]);
        // 1 names a parent (99) that never exists; 2 is a child of 1.
        assert!(s.receive(SimTime::from_secs(1), msg(1, &[99])).is_empty());
        assert!(s.receive(SimTime::from_secs(3), msg(2, &[1])).is_empty());
        assert_eq!(s.next_expiry(), Some(SimTime::from_secs(11)));
        assert!(s.expire(SimTime::from_secs(10)).is_empty());
        let out = s.expire(SimTime::from_secs(11));
        assert_eq!(
            out.iter()
                .map(|d| (d.msg.id, d.verified))
                .collect::<Vec<_>>(),
            vec![(1, false), (2, true)]
        );
        assert_eq!(
            s.next_expiry(),
            None,
            "the child left the blocked list when delivered"
        );
    }

    #[test]
    fn concurrent_messages_are_both_heads() {
        let mut s = store(DeliveryMode::Consistent);
        s.append_own(msg(1, &[]));
        let _ = s.receive(SimTime::ZERO, msg(2, &[]));
        assert_eq!(s.heads(0), vec![1, 2]);
        s.append_own(msg(3, &[1, 2]));
        assert_eq!(s.heads(0), vec![3]);
    }
}
