//! Who serves whom, and who sees what: the bytes each node sent split by
//! the role it sent them in, what it received, how long it was online
//! ([`Contribution`]); and per group the nodes outside it that received or
//! stored its messages, and those that could link an author to the group
//! ([`Exposure`]). Fed by the recorder from what the engine reports (sends,
//! arrivals, mailserver traffic); never from a node.
//!
//! **How a payload's bytes split between roles.** Each MESSAGE record (its
//! encoded length, [`super::Sent::message_record_len`]) goes to the role
//! its sender plays for that message: `author` when it wrote it, else
//! `store` when the sender is a mailserver, else `member` when it is a
//! member of the message's group (relaying for co-members), else
//! `nonmember`. The rest of the payload (control records: acks, offers,
//! requests, summaries; and the link's overhead) splits over those roles in
//! proportion to the message bytes (rounding down, the remainder to the
//! role of the payload's first message); a payload carrying no message
//! goes whole to the sender's standing role: `store` for a mailserver,
//! `member` for a group member (sync control serving its co-members),
//! `nonmember` for a node in no group. Mailserver traffic follows the same
//! rule: an archive upload is the uploader's payload, a query is control
//! of the querying member, a response is the store's.
//!
//! Imports: `sim/` only.

use crate::sim::message::{GroupId, MessageRef, NodeId};
use crate::sim::time::SimTime;
use fixedbitset::FixedBitSet;

/// What a node is, for the contribution figures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A member of some group.
    Member,
    /// A mailserver (store-forward or sync peer).
    Store,
    /// A node in no group (a relay, an adversary).
    NonMember,
}

impl NodeKind {
    /// The name in `nodes.csv`.
    pub fn name(self) -> &'static str {
        match self {
            NodeKind::Member => "member",
            NodeKind::Store => "store",
            NodeKind::NonMember => "nonmember",
        }
    }

    /// The role its bytes go to when they carry no message.
    fn standing(self) -> usize {
        match self {
            NodeKind::Member => ROLE_MEMBER,
            NodeKind::Store => ROLE_STORE,
            NodeKind::NonMember => ROLE_NONMEMBER,
        }
    }
}

/// The roles bytes are sent in, in `bytes_by_role` order.
pub const ROLES: [&str; 4] = ["author", "member", "nonmember", "store"];
const ROLE_AUTHOR: usize = 0;
const ROLE_MEMBER: usize = 1;
const ROLE_NONMEMBER: usize = 2;
const ROLE_STORE: usize = 3;

/// Per node: bytes sent by role, bytes received, online time.
#[derive(Debug, Default)]
pub(super) struct Contribution {
    kinds: Vec<NodeKind>,
    pub(super) sent: Vec<[u64; 4]>,
    pub(super) received: Vec<u64>,
    online_since: Vec<SimTime>,
    online_total: Vec<u64>,
    /// Per message: its MESSAGE record's length, once measured (0: not yet).
    record_len: Vec<u32>,
}

impl Contribution {
    /// Contribution of nodes of these kinds.
    pub(super) fn new(kinds: Vec<NodeKind>) -> Self {
        let n = kinds.len();
        Contribution {
            kinds,
            sent: vec![[0; 4]; n],
            received: vec![0; n],
            online_since: vec![SimTime::NEVER; n],
            online_total: vec![0; n],
            record_len: Vec::new(),
        }
    }

    pub(super) fn kind(&self, node: NodeId) -> NodeKind {
        self.kinds
            .get(node as usize)
            .copied()
            .unwrap_or(NodeKind::NonMember)
    }

    /// `from` sent `bytes` carrying `messages` in full (see the module
    /// docs for the split); `member_of(node, group)` says who is a member.
    pub(super) fn on_send(
        &mut self,
        from: NodeId,
        bytes: u64,
        messages: &[MessageRef],
        record_len: fn(&MessageRef) -> usize,
        member_of: impl Fn(NodeId, GroupId) -> bool,
    ) {
        if from as usize >= self.sent.len() {
            return;
        }
        let kind = self.kind(from);
        let mut by_role = [0u64; 4];
        let mut first = kind.standing();
        for (i, m) in messages.iter().enumerate() {
            let role = if m.sender == from {
                ROLE_AUTHOR
            } else if kind == NodeKind::Store {
                ROLE_STORE
            } else if member_of(from, m.group) {
                ROLE_MEMBER
            } else {
                ROLE_NONMEMBER
            };
            if i == 0 {
                first = role;
            }
            by_role[role] += self.record_len(m, record_len);
        }
        let carried: u64 = by_role.iter().sum();
        let rest = bytes.saturating_sub(carried);
        let out = &mut self.sent[from as usize];
        if carried == 0 {
            out[first] += bytes;
            return;
        }
        let mut given = 0;
        for r in 0..4 {
            let share = (u128::from(rest) * u128::from(by_role[r]) / u128::from(carried)) as u64;
            out[r] += by_role[r] + share;
            given += share;
        }
        out[first] += rest - given;
    }

    /// The MESSAGE record length of `m`, measured once.
    fn record_len(&mut self, m: &MessageRef, f: fn(&MessageRef) -> usize) -> u64 {
        let i = m.id as usize;
        if self.record_len.len() <= i {
            self.record_len.resize(i + 1, 0);
        }
        if self.record_len[i] == 0 {
            self.record_len[i] = f(m).max(1) as u32;
        }
        u64::from(self.record_len[i])
    }

    /// `from` sent `bytes` carrying no message (a query, a response
    /// header): its standing role.
    pub(super) fn on_control(&mut self, from: NodeId, bytes: u64) {
        let role = self.kind(from).standing();
        if let Some(out) = self.sent.get_mut(from as usize) {
            out[role] += bytes;
        }
    }

    /// `node` received `bytes`.
    pub(super) fn on_received(&mut self, node: NodeId, bytes: u64) {
        if let Some(r) = self.received.get_mut(node as usize) {
            *r += bytes;
        }
    }

    /// `node` came online (`up`) or went offline at `now`.
    pub(super) fn on_online(&mut self, node: NodeId, now: SimTime, up: bool) {
        let i = node as usize;
        if i >= self.online_since.len() {
            return;
        }
        let since = self.online_since[i];
        if up && since == SimTime::NEVER {
            self.online_since[i] = now;
        } else if !up && since != SimTime::NEVER {
            self.online_total[i] += (now - since).as_micros();
            self.online_since[i] = SimTime::NEVER;
        }
    }

    /// Per node: the fraction of `[0, end)` it was online.
    pub(super) fn online_fraction(&self, end: SimTime) -> Vec<f64> {
        let span = end.as_micros().max(1) as f64;
        (0..self.online_total.len())
            .map(|i| {
                let since = self.online_since[i];
                let open = if since == SimTime::NEVER || since >= end {
                    0
                } else {
                    (end - since).as_micros()
                };
                (self.online_total[i] + open) as f64 / span
            })
            .collect()
    }

    /// Bytes sent in each role, over every node.
    pub(super) fn by_role(&self) -> [u64; 4] {
        let mut t = [0; 4];
        for s in &self.sent {
            for r in 0..4 {
                t[r] += s[r];
            }
        }
        t
    }

    /// Jain's fairness index of the service members gave (bytes they sent
    /// in any role but `author`): `(Σx)² / (n·Σx²)`, 1 when all served
    /// alike, `1/n` when one served alone; `None` with no member or no
    /// service at all.
    pub(super) fn member_fairness(&self) -> Option<f64> {
        let service = self
            .kinds
            .iter()
            .zip(&self.sent)
            .filter(|(k, _)| **k == NodeKind::Member)
            .map(|(_, s)| (s[ROLE_MEMBER] + s[ROLE_NONMEMBER] + s[ROLE_STORE]) as f64);
        jain(service)
    }
}

/// Jain's fairness index of `xs` (`None`: empty or all zero).
pub(super) fn jain(xs: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut n, mut s, mut s2) = (0.0, 0.0, 0.0);
    for x in xs {
        n += 1.0;
        s += x;
        s2 += x * x;
    }
    (s2 > 0.0).then(|| s * s / (n * s2))
}

/// Per group: the nodes outside it that received or stored one of its
/// messages, and those that could link an author to it.
#[derive(Debug, Default)]
pub(super) struct Exposure {
    /// The strategy's wire carries the author's id beside the group id.
    pub(super) wire_links: bool,
    exposed: Vec<FixedBitSet>,
    linkers: Vec<FixedBitSet>,
}

impl Exposure {
    pub(super) fn new(groups: usize, nodes: usize) -> Self {
        Exposure {
            wire_links: false,
            exposed: vec![FixedBitSet::with_capacity(nodes); groups],
            linkers: vec![FixedBitSet::with_capacity(nodes); groups],
        }
    }

    /// `node`, outside `m`'s group, received or stored `m` from `from`.
    /// It can link author and group when the wire says both, or when it
    /// got the message from its author directly (the transport names the
    /// peer it talks to).
    pub(super) fn on_outside(&mut self, from: NodeId, node: NodeId, m: &MessageRef) {
        let g = m.group as usize;
        let Some(set) = self.exposed.get_mut(g) else {
            return;
        };
        grow_put(set, node);
        if self.wire_links || from == m.sender {
            grow_put(&mut self.linkers[g], node);
        }
    }

    /// Per group: (exposed nodes, linking nodes).
    pub(super) fn counts(&self) -> Vec<(u64, u64)> {
        self.exposed
            .iter()
            .zip(&self.linkers)
            .map(|(e, l)| (e.count_ones(..) as u64, l.count_ones(..) as u64))
            .collect()
    }
}

fn grow_put(set: &mut FixedBitSet, node: NodeId) {
    let i = node as usize;
    if set.len() <= i {
        set.grow(i + 1);
    }
    set.insert(i);
}

/// Mean and max of `xs` (`None` when empty).
pub(super) fn mean_max(xs: &[u64]) -> (Option<f64>, u64) {
    let max = xs.iter().copied().max().unwrap_or(0);
    let mean = (!xs.is_empty()).then(|| xs.iter().sum::<u64>() as f64 / xs.len() as f64);
    (mean, max)
}
