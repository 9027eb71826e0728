//! The invariant checker: per (message, member) pair, when the member first
//! received the message and when it delivered it, and the checks every
//! delivery passes — causal order (all parents delivered first), a member
//! recipient, a member author, no second delivery. It is fed what happened
//! (messages written, payloads received, deliveries made) and never asks a
//! node anything, so a strategy cannot mark its own work.
//!
//! `duplicate_messages_received` counts every MESSAGE record that reaches a
//! node already holding its message (written there or received before),
//! members and relays alike: a member's holding is its slot's receipt bit;
//! a relay's (a node outside the message's group, which only strategies
//! that relay everything reach) is a bit per (node, message) in a bitset
//! per relay, allocated on the first message it receives. So the members'
//! path is unchanged and the memory stays within one bit per node and
//! message.
//!
//! Imports: `sim/` only.

use super::history::History;
use super::summary::{DeliveryRow, UndeliveredRow};
use crate::sim::message::{GroupId, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use fixedbitset::FixedBitSet;

/// When a message first reached a member, and when the member delivered it
/// (`NEVER`: not yet).
#[derive(Clone, Copy, Debug)]
struct SlotTimes {
    received: SimTime,
    delivered: SimTime,
}

impl SlotTimes {
    const NEVER: SlotTimes = SlotTimes {
        received: SimTime::NEVER,
        delivered: SimTime::NEVER,
    };
}

/// Receipt and delivery times of every (message, member) pair, and the
/// invariant counters.
#[derive(Debug)]
pub(super) struct Checker {
    group_members: Vec<Vec<NodeId>>,
    pub(super) messages: Vec<MessageRef>,
    slot_base: Vec<usize>,
    /// Per slot: when the message first reached the member, and when the
    /// member delivered it (side by side: a delivery reads the line its
    /// receipt just wrote).
    times: Vec<SlotTimes>,
    /// Slots whose receipt time is set: a bit each, so the common case (a
    /// duplicate) is answered from a small, cache-resident table.
    got: FixedBitSet,
    /// Nodes that lost their state in a crash: repeated deliveries to them
    /// are re-displays, not errors.
    forgetful: Vec<bool>,
    /// Per node: messages of groups it is not in that it holds (written or
    /// received); empty for a node that never held one.
    relayed: Vec<FixedBitSet>,
    /// MESSAGE records for messages the receiver already held.
    pub(super) duplicates: u64,
    /// Deliveries made before one of the message's parents was delivered
    /// at that node (a reply shown before its question), whatever the
    /// strategy promised.
    pub(super) before_parent: u64,
    /// Deliveries to a non-member, or a second time.
    pub(super) invalid_deliveries: u64,
    /// Deliveries of messages whose author is not a member.
    pub(super) unauthorized: u64,
    /// Deliveries made without all parents (the store's maximum wait).
    pub(super) unverified: u64,
    /// DAG shape and the order each member shows.
    pub(super) history: History,
}

impl Checker {
    /// A checker for groups with these (sorted) member lists.
    pub(super) fn new(group_members: Vec<Vec<NodeId>>) -> Self {
        let sizes: Vec<usize> = group_members.iter().map(Vec::len).collect();
        Checker {
            history: History::new(&sizes),
            group_members,
            messages: Vec::new(),
            slot_base: Vec::new(),
            times: Vec::new(),
            got: FixedBitSet::new(),
            forgetful: Vec::new(),
            relayed: Vec::new(),
            duplicates: 0,
            before_parent: 0,
            invalid_deliveries: 0,
            unauthorized: 0,
            unverified: 0,
        }
    }

    /// A message was written; ids must be dense, in creation order. Its
    /// author holds and has delivered it.
    pub(super) fn on_create(&mut self, msg: MessageRef) {
        debug_assert_eq!(msg.id as usize, self.messages.len());
        let base = self.times.len();
        let n = self.group_members[msg.group as usize].len();
        self.slot_base.push(base);
        self.times.resize(base + n, SlotTimes::NEVER);
        self.got.grow(base + n);
        self.messages.push(msg.clone());
        self.history.on_create(&msg);
        match self.slot(msg.sender, msg.id) {
            Some(s) => {
                self.times[s] = SlotTimes {
                    received: msg.created,
                    delivered: msg.created,
                };
                self.got.insert(s);
                let orphan = !self.ready(msg.sender, &msg, msg.created);
                self.history.on_show(s - base, &msg, &self.messages, orphan);
            }
            // A non-member author (an injecting adversary) holds it too.
            None => {
                self.relay_holds(msg.sender, msg.id);
            }
        }
    }

    /// Records that `node`, not a member of `msg`'s group, holds `msg`;
    /// true if it already did.
    fn relay_holds(&mut self, node: NodeId, msg: MsgId) -> bool {
        let (n, m) = (node as usize, msg as usize);
        if self.relayed.len() <= n {
            self.relayed.resize_with(n + 1, FixedBitSet::new);
        }
        let held = &mut self.relayed[n];
        if held.len() <= m {
            // Whole messages at a time: a relay sees nearly every one.
            held.grow((m + 1).max(self.messages.len()));
        }
        held.put(m)
    }

    /// `node` lost its state: repeated deliveries to it are re-displays.
    pub(super) fn forget(&mut self, node: NodeId) {
        let i = node as usize;
        if self.forgetful.len() <= i {
            self.forgetful.resize(i + 1, false);
        }
        self.forgetful[i] = true;
        // It restarted empty: what it relays from now on is news again.
        // (A member's receipts are kept: its first receipt times feed the
        // latency and blocking figures, so a message re-received after a
        // volatile restart still counts as a duplicate there.)
        if let Some(held) = self.relayed.get_mut(i) {
            held.clear();
        }
    }

    /// Whether `node` is a member of `group`.
    pub(super) fn is_member(&self, node: NodeId, group: GroupId) -> bool {
        self.group_members[group as usize]
            .binary_search(&node)
            .is_ok()
    }

    fn slot(&self, node: NodeId, msg: MsgId) -> Option<usize> {
        let m = self.messages.get(msg as usize)?;
        self.slot_in(node, m.group, msg)
    }

    /// The slot of (`msg`, `node`) when the caller knows `msg`'s group.
    fn slot_in(&self, node: NodeId, group: GroupId, msg: MsgId) -> Option<usize> {
        let rank = self.group_members[group as usize]
            .binary_search(&node)
            .ok()?;
        Some(self.slot_base.get(msg as usize)? + rank)
    }

    /// A payload (sync or from a mailserver) carrying `messages` in full
    /// reached `node` at `now`.
    pub(super) fn on_receive(&mut self, node: NodeId, messages: &[MessageRef], now: SimTime) {
        for m in messages {
            // Every message on the wire is one the engine created (and
            // registered here), so its group is the registered one.
            debug_assert!(self
                .messages
                .get(m.id as usize)
                .is_some_and(|r| MessageRef::ptr_eq(r, m)));
            match self.slot_in(node, m.group, m.id) {
                Some(s) if !self.got.put(s) => self.times[s].received = now,
                Some(_) => self.duplicates += 1,
                None => {
                    if self.relay_holds(node, m.id) {
                        self.duplicates += 1;
                    }
                }
            }
        }
    }

    /// `node` delivered `msg` to its application at `now` without all its
    /// parents (the store's maximum wait ran out).
    pub(super) fn on_deliver_unverified(&mut self, node: NodeId, msg: MsgId, now: SimTime) {
        if let Some(s) = self.deliverable_slot(node, msg) {
            self.unverified += 1;
            self.show(node, s, msg, now);
        }
    }

    /// The slot a delivery fills, after the checks every delivery passes:
    /// the recipient is a member, the author is one, it is the first time.
    fn deliverable_slot(&mut self, node: NodeId, msg: MsgId) -> Option<usize> {
        let Some(s) = self.slot(node, msg) else {
            self.invalid_deliveries += 1;
            return None;
        };
        let m = &self.messages[msg as usize];
        if self.group_members[m.group as usize]
            .binary_search(&m.sender)
            .is_err()
        {
            self.unauthorized += 1;
            return None;
        }
        if self.times[s].delivered != SimTime::NEVER {
            if !self.forgetful.get(node as usize).copied().unwrap_or(false) {
                self.invalid_deliveries += 1;
            }
            return None;
        }
        Some(s)
    }

    /// `node` delivered `msg` to its application at `now`.
    pub(super) fn on_deliver(&mut self, node: NodeId, msg: MsgId, now: SimTime) {
        let Some(s) = self.deliverable_slot(node, msg) else {
            return;
        };
        if !self.show(node, s, msg, now) {
            self.before_parent += 1;
        }
    }

    /// Marks slot `s` (of `msg` at `node`) delivered at `now` and shows the
    /// message in the member's order; true when every parent was delivered.
    fn show(&mut self, node: NodeId, s: usize, msg: MsgId, now: SimTime) -> bool {
        let m = &self.messages[msg as usize];
        let ready = self.ready(node, m, now);
        let rank = s - self.slot_base[msg as usize];
        self.history.on_show(rank, m, &self.messages, !ready);
        self.times[s].delivered = now;
        ready
    }

    /// Whether `node` delivered every parent of `m` by `now`.
    fn ready(&self, node: NodeId, m: &MessageRef, now: SimTime) -> bool {
        m.parents.iter().all(|&p| {
            self.slot(node, p)
                .is_some_and(|ps| self.times[ps].delivered <= now)
        })
    }

    /// When, at or after `heal`, every member online (by `online`
    /// intervals, `[up, down)`) had delivered every message of its groups
    /// written before `heal`: seconds after `heal`, or `None` if never by
    /// `end`. `member[v]` says whether node `v` counts.
    pub(super) fn convergence(
        &self,
        heal: SimTime,
        online: &[Vec<(SimTime, SimTime)>],
        member: &[bool],
        end: SimTime,
    ) -> Option<f64> {
        let done = self.caught_up(heal, member);
        let mut candidates = vec![heal];
        candidates.extend(
            done.iter()
                .copied()
                .filter(|&t| t >= heal && t != SimTime::NEVER),
        );
        for iv in online {
            candidates.extend(
                iv.iter()
                    .flat_map(|&(u, d)| [u, d])
                    .filter(|&t| t >= heal && t != SimTime::NEVER),
            );
        }
        candidates.retain(|&t| t <= end);
        candidates.sort_unstable();
        candidates.dedup();
        let is_online = |v: usize, t: SimTime| online[v].iter().any(|&(u, d)| u <= t && t < d);
        candidates
            .into_iter()
            .find(|&t| (0..member.len()).all(|v| !member[v] || !is_online(v, t) || done[v] <= t))
            .map(|t| (t - heal).as_secs_f64())
    }

    /// Per node: when it had delivered every message of its groups written
    /// before `heal` by someone else (`NEVER` if it never did).
    fn caught_up(&self, heal: SimTime, member: &[bool]) -> Vec<SimTime> {
        let mut done = vec![SimTime::ZERO; member.len()];
        for m in self.messages.iter().take_while(|m| m.created < heal) {
            let members = &self.group_members[m.group as usize];
            for (rank, &v) in members.iter().enumerate() {
                if v != m.sender && member[v as usize] {
                    let at = self.times[self.slot_base[m.id as usize] + rank].delivered;
                    done[v as usize] = done[v as usize].max(at);
                }
            }
        }
        done
    }

    /// Per message: whether some node or mailserver holds it at the end.
    /// Only messages some member lacks matter for loss accounting, so only
    /// they are asked about.
    pub(super) fn held_at_end(&self, holds: &dyn Fn(MsgId, GroupId) -> bool) -> Vec<bool> {
        self.messages
            .iter()
            .map(|m| !self.incomplete(m) || holds(m.id, m.group))
            .collect()
    }

    /// True when `m` was written by a member and some other member has not
    /// delivered it.
    fn incomplete(&self, m: &MessageRef) -> bool {
        let members = &self.group_members[m.group as usize];
        let base = self.slot_base[m.id as usize];
        members.binary_search(&m.sender).is_ok()
            && members
                .iter()
                .enumerate()
                .any(|(r, &v)| v != m.sender && self.times[base + r].delivered == SimTime::NEVER)
    }

    /// Folds every (message, member) slot into the delivery figures.
    pub(super) fn tally(&self, held: &[bool]) -> Tally {
        // Sized up front (an upper bound: senders' own slots count too), so
        // millions of rows never pass through a doubling reallocation.
        let rows = self
            .times
            .iter()
            .filter(|t| t.delivered != SimTime::NEVER)
            .count();
        let mut t = Tally {
            latencies: Vec::with_capacity(rows),
            rows: Vec::with_capacity(rows),
            ..Tally::default()
        };
        for m in &self.messages {
            let members = &self.group_members[m.group as usize];
            if members.binary_search(&m.sender).is_err() {
                continue; // injected by a non-member: due to no one
            }
            let base = self.slot_base[m.id as usize];
            if !held[m.id as usize] {
                let got = members
                    .iter()
                    .enumerate()
                    .filter(|&(r, &v)| {
                        v != m.sender && self.times[base + r].delivered != SimTime::NEVER
                    })
                    .count();
                t.lost_msgs += u64::from(got == 0);
                t.lost_pairs += (members.len() - 1 - got) as u64;
            }
            for (rank, &node) in members.iter().enumerate() {
                if node != m.sender {
                    t.add(m, node, self.times[base + rank]);
                }
            }
        }
        t.latencies.sort_unstable();
        t
    }
}

/// The delivery figures of a run, folded slot by slot.
#[derive(Default)]
pub(super) struct Tally {
    /// Creation to delivery, microseconds, sorted at the end.
    pub(super) latencies: Vec<u64>,
    pub(super) rows: Vec<DeliveryRow>,
    pub(super) undelivered: Vec<UndeliveredRow>,
    pub(super) expected: u64,
    pub(super) blocked: u64,
    pub(super) blocked_done: u64,
    pub(super) blocked_wait: u128,
    pub(super) undeliverable: u64,
    pub(super) lost_msgs: u64,
    pub(super) lost_pairs: u64,
}

impl Tally {
    /// Counts the slot of (`m`, `node`), a member other than the sender.
    fn add(&mut self, m: &MessageRef, node: NodeId, times: SlotTimes) {
        self.expected += 1;
        let SlotTimes {
            received: rx,
            delivered: dx,
        } = times;
        if rx != SimTime::NEVER && dx != rx {
            self.blocked += 1;
        }
        if dx == SimTime::NEVER {
            self.undeliverable += u64::from(rx != SimTime::NEVER);
            self.undelivered.push(UndeliveredRow {
                message: m.id,
                recipient: node,
                received: rx,
            });
            return;
        }
        if rx != SimTime::NEVER && dx > rx {
            self.blocked_done += 1;
            self.blocked_wait += u128::from((dx - rx).as_micros());
        }
        self.latencies.push((dx - m.created).as_micros());
        self.rows.push(DeliveryRow {
            message: m.id,
            group: m.group,
            sender: m.sender,
            recipient: node,
            created: m.created,
            received: rx.min(dx),
            delivered: dx,
        });
    }
}
