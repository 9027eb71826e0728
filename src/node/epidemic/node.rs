//! The epidemic router: a sans-IO node that relays every message to
//! every connected peer lacking it, after summary vectors (see the module
//! above for what it believes a peer holds and when it sends a summary).
//! Imports `sim/` and `node/` only.

use super::wire::Payload;
use crate::node::store::{Delivery, Store};
use crate::node::util::relay_buffer::{Gone, Limits, RelayBuffer};
use crate::node::{Node, Outbox};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use fixedbitset::FixedBitSet;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
struct Peer {
    connected: bool,
    /// Something arrived from it since the link came up (evidence it is
    /// online, which `presence: unknown` does not give).
    heard: bool,
    /// Our summary goes out at the next flush.
    summary_due: bool,
    /// The peer should have our summary: we sent it one since its last
    /// summary arrived, while we knew it reachable (so its next summary
    /// needs no answer).
    summary_out: bool,
    /// Its summary arrived during this contact: we know what it lacks.
    summary_received: bool,
    /// When our next anti-entropy summary to it is due.
    next_round: SimTime,
    /// Messages this peer holds (its summaries during this contact, and
    /// what it sent us), as a bitset over dense message ids.
    known: FixedBitSet,
    /// Messages sent to it since its latest summary (not sent twice in one
    /// exchange; a lost one goes again after its next summary).
    sent: FixedBitSet,
    /// Messages to send it at the next flush.
    pending: BTreeSet<MsgId>,
}

impl Peer {
    fn offer(&mut self, id: MsgId) {
        if self.connected && self.summary_received && !self.covered(id) {
            self.pending.insert(id);
        }
    }

    /// True when the peer holds `id` or we sent it in this exchange.
    fn covered(&self, id: MsgId) -> bool {
        self.known.contains(id as usize) || self.sent.contains(id as usize)
    }

    /// Records that the peer holds `id`.
    fn learn(&mut self, id: MsgId) {
        put(&mut self.known, id);
    }

    /// The peer's summary: it holds these too (only these, when peers'
    /// buffers `forget`), and a new exchange starts.
    fn take_summary(&mut self, summary: &[MsgId], forget: bool) {
        self.sent.clear();
        if forget {
            self.known.clear();
        }
        for &id in summary {
            put(&mut self.known, id);
        }
        self.summary_received = true;
    }
}

/// Sets bit `id`, growing the set; true if it was not set.
fn put(bits: &mut FixedBitSet, id: MsgId) -> bool {
    let i = id as usize;
    if i >= bits.len() {
        bits.grow((i + 1).next_power_of_two());
    }
    !bits.put(i)
}

/// What an epidemic node is told besides its groups.
#[derive(Clone, Copy, Debug)]
pub struct EpidemicConfig {
    /// When received messages reach the application.
    pub delivery: Delivery,
    /// True when a link-up means the peer is reachable (`presence:
    /// known`); false when it only means this node came online.
    pub presence_known: bool,
    /// Time between two summaries to a connected peer.
    pub anti_entropy: SimTime,
    /// Buffer size and TTL (The ONE's `bufferSize`, `msgTtl`).
    pub limits: Limits,
}

/// An epidemic router.
#[derive(Debug)]
pub struct EpidemicNode {
    groups: BTreeSet<GroupId>,
    store: Store,
    /// Buffers have a size limit or a TTL, so a peer may drop what its
    /// last summary listed.
    forgetful: bool,
    /// Every message carried, members' or not.
    buffer: RelayBuffer,
    peers: BTreeMap<NodeId, Peer>,
    flush_pending: bool,
    presence_known: bool,
    anti_entropy: SimTime,
}

impl EpidemicNode {
    /// A node that is a member of `groups` (it relays for everyone).
    pub fn new(groups: &[(GroupId, Members)], cfg: EpidemicConfig) -> Self {
        EpidemicNode {
            groups: groups.iter().map(|(g, _)| *g).collect(),
            store: Store::new(cfg.delivery, groups),
            buffer: RelayBuffer::new(cfg.limits),
            forgetful: cfg.limits.bytes.is_some() || cfg.limits.ttl.is_some(),
            peers: BTreeMap::new(),
            flush_pending: false,
            presence_known: cfg.presence_known,
            anti_entropy: cfg.anti_entropy,
        }
    }

    fn request_flush(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        if !self.flush_pending {
            self.flush_pending = true;
            out.set_timer(now);
        }
    }

    /// What goes to peer `p` at a flush at `now`.
    fn payload_for(&self, now: SimTime, p: &mut Peer) -> Payload {
        let mut payload = Payload::default();
        if p.summary_due {
            payload.summary = Some(self.buffer.ids().to_vec());
            p.summary_due = false;
            p.summary_out = self.presence_known || p.heard;
            p.next_round = now + self.anti_entropy;
        }
        for id in std::mem::take(&mut p.pending) {
            if !p.known.contains(id as usize) && put(&mut p.sent, id) {
                let msg = self.buffer.get(id).expect("only held ids are pending");
                if !self.buffer.expired(msg, now) {
                    payload.messages.push(msg.clone());
                }
            }
        }
        payload
    }

    /// A message joins the buffer (unless it cannot: expired, too big):
    /// queue it for connected peers lacking it.
    fn carry(&mut self, now: SimTime, msg: MessageRef, own: bool, out: &mut Outbox<Payload>) {
        let id = msg.id;
        let (taken, gone) = self.buffer.insert(msg, now, own);
        self.let_go(gone, out);
        if taken {
            for p in self.peers.values_mut() {
                p.offer(id);
            }
        }
    }

    /// Messages the buffer dropped: no longer offered to anyone.
    fn let_go(&mut self, gone: Vec<Gone>, out: &mut Outbox<Payload>) {
        for (msg, since) in gone {
            for p in self.peers.values_mut() {
                p.pending.remove(&msg.id);
            }
            out.dropped(msg.id, since);
        }
    }

    /// The buffer's TTL check, when due.
    fn check_ttl(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        let gone = self.buffer.check_ttl(now);
        self.let_go(gone, out);
    }
}

impl Node<Payload> for EpidemicNode {
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        let p = self.peers.entry(peer).or_default();
        p.connected = true;
        p.heard = false;
        p.summary_due = true;
        p.summary_out = false;
        p.summary_received = false;
        p.pending.clear();
        p.sent.clear();
        p.known.clear();
        self.request_flush(now, out);
    }

    fn handle_link_down(&mut self, _now: SimTime, peer: NodeId, _out: &mut Outbox<Payload>) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.connected = false;
        }
    }

    fn handle_payload(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        out: &mut Outbox<Payload>,
    ) {
        let p = self.peers.entry(from).or_default();
        p.heard = true;
        if let Some(summary) = &payload.summary {
            p.take_summary(summary, self.forgetful);
            // Answer unless the peer should have ours already.
            p.summary_due |= p.connected && !p.summary_out;
            p.summary_out = false;
        }
        for m in &payload.messages {
            p.learn(m.id);
        }
        if payload.summary.is_some() {
            for &id in self.buffer.ids() {
                p.offer(id);
            }
        }
        for msg in payload.messages {
            if self.holds(msg.id) {
                continue;
            }
            self.carry(now, msg.clone(), false, out);
            if self.groups.contains(&msg.group) {
                for d in self.store.receive(now, msg) {
                    out.delivered(&d);
                }
            }
        }
        self.request_flush(now, out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        self.flush_pending = false;
        for d in self.store.expire(now) {
            out.delivered(&d);
        }
        self.check_ttl(now, out);
        let mut peers = std::mem::take(&mut self.peers);
        let mut wake = self.store.next_expiry().unwrap_or(SimTime::NEVER);
        wake = wake.min(self.buffer.next_check().unwrap_or(SimTime::NEVER));
        for (&id, p) in peers.iter_mut().filter(|(_, p)| p.connected) {
            p.summary_due |= p.next_round <= now;
            if p.summary_due || !p.pending.is_empty() {
                out.send(id, self.payload_for(now, p));
            }
            wake = wake.min(p.next_round);
        }
        self.peers = peers;
        out.set_timer(wake);
    }

    fn holds(&self, m: MsgId) -> bool {
        self.buffer.contains(m) || self.store.holds(m)
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        self.carry(now, msg, true, out);
        self.request_flush(now, out);
    }
}
