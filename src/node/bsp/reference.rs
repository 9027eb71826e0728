//! A reference model of the BSP node, written the way the spec reads.
//!
//! [`BspNode`](super::BspNode) is fast: its per-(message, peer) state is
//! spread over group logs, per-peer cursors, a bit-packed send state, a
//! due-time map and a few sets. This model keeps the same state the way
//! Briar's database does: one [`Record`] per (message, peer) with the ack
//! flag, the request flag, the seen flag, the send count and the send time,
//! in plain `BTreeMap`s, and a flush that applies the five rules of the
//! module doc of `bsp.rs` in order, to every connected peer, by scanning
//! its records. It is slow and obviously right (or obviously wrong), and
//! exists only to be driven side by side with the fast node by the
//! differential test (`differential.rs`), which asserts that both write the
//! same commands at every step. It is compiled for tests only.
//!
//! It reproduces the fast node's observable behaviour, including where that
//! departs from Briar's BSP (bramble-core `sync/` and `db/`); each such
//! place is marked "Deviation from Briar" below. Message storage and causal
//! delivery are not BSP state: the model reuses [`Store`].
//!
//! Imports `sim/` and `node/` only.

use super::wire::Payload;
use super::{BspConfig, BspMode};
use crate::node::store::Store;
use crate::node::{Node, Outbox};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, VecDeque};

/// The BSP state of one message towards one peer (Briar: a `statuses` row).
#[derive(Clone, Copy, Debug, Default)]
struct Record {
    /// We owe the peer an ACK for the message.
    ack: bool,
    /// The peer asked for the message.
    requested: bool,
    /// The peer holds the message: it sent, offered or acked it to us.
    /// Read when the message is shared (a peer known to hold it gets no
    /// send) and when the peer requests it (a request for a message the
    /// peer holds is ignored: Briar sends only messages with `seen =
    /// FALSE`).
    seen: bool,
    /// Times the message was sent or offered since its send was armed.
    send_count: u32,
    /// When it may next be sent or offered; `None`: no send pending (never
    /// shared with or requested by the peer, or the peer holds it).
    send_time: Option<SimTime>,
}

/// What we know of one peer.
#[derive(Debug, Default)]
struct Peer {
    connected: bool,
    /// A payload went out on this connection: its BTP stream is open (the
    /// first payload after a link-up carries the stream's preamble).
    stream_open: bool,
    /// Messages the peer offered that we lacked, oldest first: the first
    /// `offer_cap` of them (Briar: the `offers` table).
    offered: VecDeque<MsgId>,
    /// One record per message we have BSP state for.
    records: BTreeMap<MsgId, Record>,
}

/// A BSP node built from [`Record`]s. Same [`Node`] behaviour as
/// [`BspNode`](super::BspNode), command for command.
#[derive(Debug)]
pub(super) struct ReferenceNode {
    cfg: BspConfig,
    store: Store,
    /// Peers in the order the group lists name them (payloads of one flush
    /// go out in this order).
    order: Vec<NodeId>,
    peers: BTreeMap<NodeId, Peer>,
    /// Each group's members other than us (the first list given for a
    /// group id wins).
    co_members: BTreeMap<GroupId, Vec<NodeId>>,
    /// A flush was asked for (`SetTimer(now)`) and has not run yet.
    flush_pending: bool,
}

impl ReferenceNode {
    /// A node `me` that syncs `groups` (each with its full member list).
    pub(super) fn new(me: NodeId, groups: &[(GroupId, Members)], cfg: BspConfig) -> Self {
        let mut node = ReferenceNode {
            cfg,
            store: Store::new(cfg.delivery, groups),
            order: Vec::new(),
            peers: BTreeMap::new(),
            co_members: BTreeMap::new(),
            flush_pending: false,
        };
        for (g, members) in groups {
            let others: Vec<NodeId> = members.iter().copied().filter(|&p| p != me).collect();
            for &p in &others {
                if let Entry::Vacant(e) = node.peers.entry(p) {
                    e.insert(Peer::default());
                    node.order.push(p);
                }
            }
            node.co_members.entry(*g).or_insert(others);
        }
        node
    }

    /// The record of `m` towards peer `p` (a known peer).
    fn record(&mut self, p: NodeId, m: MsgId) -> &mut Record {
        let peer = self.peers.get_mut(&p).expect("a known peer");
        peer.records.entry(m).or_default()
    }

    /// Asks for a flush now (`SetTimer(now)`), once until it has run.
    fn request_flush(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        if !self.flush_pending {
            self.flush_pending = true;
            out.set_timer(now);
        }
    }
}

/// Event handlers: what each incoming record or local event does to the
/// records.
impl ReferenceNode {
    /// Peer `p` holds `m` (it acked, offered or sent it): raise the seen
    /// flag; nothing more is pending towards `p` for `m`.
    ///
    /// Deviation from Briar: the seen flag is raised for any message, also
    /// one we lack or have not delivered (Briar's `receiveAck` ignores
    /// acks of messages not visible to the contact). The send count goes
    /// with the pending send (Briar keeps `txCount`; it never sends a seen
    /// message again, so there it does not matter).
    fn mark_seen(&mut self, p: NodeId, m: MsgId) {
        let r = self.record(p, m);
        r.seen = true;
        r.requested = false;
        r.send_time = None;
        r.send_count = 0;
    }

    /// Shares `msg`, just delivered to our application: every co-member
    /// of its group not known to hold it gets a fresh send (send time 0,
    /// count 0). (No send can be pending yet: requests are served only for
    /// delivered messages.)
    fn share(&mut self, msg: &MessageRef) {
        let Some(members) = self.co_members.get(&msg.group).cloned() else {
            return;
        };
        for p in members {
            let r = self.record(p, msg.id);
            if !r.seen && r.send_time.is_none() {
                r.send_time = Some(SimTime::ZERO);
                r.send_count = 0;
            }
        }
    }

    /// A MESSAGE from `p`. Every one, duplicate or new, raises the ack flag
    /// (a duplicate re-arms it). A new one goes to the store; whatever the
    /// store delivers is shared.
    ///
    /// Deviation from Briar: accepted from any peer, also one the group is
    /// not visible to (Briar drops it); only the author's membership is
    /// checked (by the caller, with `Store::authorized`).
    fn receive_message(
        &mut self,
        now: SimTime,
        p: NodeId,
        msg: MessageRef,
        out: &mut Outbox<Payload>,
    ) {
        let id = msg.id;
        self.record(p, id).ack = true;
        self.mark_seen(p, id);
        if self.store.holds(id) {
            return;
        }
        for d in self.store.receive(now, msg) {
            out.delivered(&d);
            self.share(&d.msg);
        }
    }

    /// An OFFER from `p`. Rule 2 is applied here, as Briar's `receiveOffer`
    /// does: a message we hold gets its ack flag raised; one we lack is
    /// remembered for rule 3 while fewer than `offer_cap` are remembered,
    /// and ignored once that many are (Briar's `MAX_OFFERED_MESSAGES`: the
    /// first offers are kept).
    ///
    /// Deviations from Briar: "hold" includes messages not yet delivered
    /// (Briar acks only visible, i.e. delivered and shared, messages); a
    /// repeated offer takes a second place (Briar stores it once).
    fn receive_offer(&mut self, p: NodeId, m: MsgId) {
        self.mark_seen(p, m);
        if self.store.holds(m) {
            self.record(p, m).ack = true;
            return;
        }
        let cap = self.cfg.offer_cap;
        let offered = &mut self.peers.get_mut(&p).expect("a known peer").offered;
        if offered.len() < cap {
            offered.push_back(m);
        }
    }

    /// A REQUEST from `p`: for a message we hold, raise the request flag
    /// and reset the send time and the send count (Briar's
    /// `resetExpiryTime`: `expiry = 0, txCount = 0`), so it goes out at the
    /// next flush and backs off from the start.
    ///
    /// Only a message visible to `p` (delivered here, in a group `p` is
    /// in: Briar's `containsVisibleMessage`) that `p` is not known to hold
    /// (Briar's `getRequestedMessagesToSend` needs `seen = FALSE`) is
    /// served; other requests are ignored.
    fn receive_request(&mut self, p: NodeId, m: MsgId) {
        if !self.store.is_delivered(m) {
            return;
        }
        let group = self.store.get(m).expect("delivered, so held").group;
        let shared = self
            .co_members
            .get(&group)
            .is_some_and(|ms| ms.contains(&p));
        if !shared || self.record(p, m).seen {
            return;
        }
        let r = self.record(p, m);
        r.requested = true;
        r.send_time = Some(SimTime::ZERO);
        r.send_count = 0;
    }
}

/// The flush: one payload per connected peer with something to say.
impl ReferenceNode {
    /// Visits the peers in order; ends by setting the timer to the next
    /// wake-up.
    fn flush(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        self.flush_pending = false;
        for p in self.order.clone() {
            let peer = &self.peers[&p];
            if peer.connected && has_work(peer, now) {
                let mut payload = self.build_payload(now, p);
                let peer = self.peers.get_mut(&p).expect("a known peer");
                if !payload.is_empty() {
                    payload.opens_stream = !peer.stream_open;
                    peer.stream_open = true;
                }
                out.send(p, payload);
            }
        }
        out.set_timer(self.next_wake());
    }

    /// The five rules, in order, for peer `p`.
    fn build_payload(&mut self, now: SimTime, p: NodeId) -> Payload {
        let mut payload = Payload {
            acks: self.rules_1_and_2(p),
            requests: self.rule_3(p),
            ..Payload::default()
        };
        payload.messages = self.rule_4(now, p);
        let due = self.rule_5(now, p);
        match self.cfg.mode {
            BspMode::Interactive => payload.offers = due,
            BspMode::Batch => payload.messages.extend(self.held(p, &due)),
        }
        payload
    }

    /// Rules 1 and 2: ACK every message whose ack flag is raised (by a
    /// MESSAGE received, or an OFFER of a message we hold), in id order.
    /// ACKs are never retransmitted: the flags are lowered.
    fn rules_1_and_2(&mut self, p: NodeId) -> Vec<MsgId> {
        let peer = self.peers.get_mut(&p).expect("a known peer");
        let mut acks = Vec::new();
        for (&m, r) in peer.records.iter_mut().filter(|(_, r)| r.ack) {
            r.ack = false;
            acks.push(m);
        }
        acks
    }

    /// Rule 3: REQUEST the offered messages we still lack, in id order,
    /// each once; every remembered offer is answered (forgotten).
    fn rule_3(&mut self, p: NodeId) -> Vec<MsgId> {
        let peer = self.peers.get_mut(&p).expect("a known peer");
        let mut asked: Vec<MsgId> = std::mem::take(&mut peer.offered)
            .into_iter()
            .filter(|&m| !self.store.holds(m))
            .collect();
        asked.sort_unstable();
        asked.dedup();
        asked
    }

    /// Rule 4: send the requested messages whose send time has come, in id
    /// order; each send lowers the request flag and backs off.
    fn rule_4(&mut self, now: SimTime, p: NodeId) -> Vec<MessageRef> {
        let requested: Vec<MsgId> = self.peers[&p]
            .records
            .iter()
            .filter(|(_, r)| r.requested && r.send_time.is_none_or(|t| t <= now))
            .map(|(&m, _)| m)
            .collect();
        let mut sent = Vec::new();
        let max_latency = self.cfg.max_latency;
        for m in requested {
            self.record(p, m).requested = false;
            // (Always held: only held messages can be requested.)
            let Some(msg) = self.store.get(m).cloned() else {
                continue;
            };
            backoff(self.record(p, m), max_latency, now);
            sent.push(msg);
        }
        sent
    }

    /// Rule 5: the messages with a send pending whose send time has come,
    /// oldest message first (Briar: `ORDER BY timestamp`; ids are numbered
    /// in the order messages are written); each is sent or offered, so
    /// each backs off.
    ///
    /// (Requested messages due now were all sent by rule 4 and backed off,
    /// so with a positive `max_latency` none is offered or sent twice.)
    fn rule_5(&mut self, now: SimTime, p: NodeId) -> Vec<MsgId> {
        let due: Vec<MsgId> = self.peers[&p]
            .records
            .iter()
            .filter(|(_, r)| r.send_time.is_some_and(|t| t <= now))
            .map(|(&m, _)| m)
            .collect();
        let max_latency = self.cfg.max_latency;
        for &m in &due {
            backoff(self.record(p, m), max_latency, now);
        }
        due
    }

    /// The messages `due` that we hold, in order (a message we do not
    /// hold cannot be sent: its pending send is dropped).
    fn held(&mut self, p: NodeId, due: &[MsgId]) -> Vec<MessageRef> {
        let mut messages = Vec::new();
        for &m in due {
            match self.store.get(m) {
                Some(msg) => messages.push(msg.clone()),
                None => self.record(p, m).send_time = None,
            }
        }
        messages
    }

    /// When the node must wake next: the earliest send time towards a
    /// connected peer, or the store's next forced delivery.
    fn next_wake(&self) -> SimTime {
        let sends = self
            .peers
            .values()
            .filter(|peer| peer.connected)
            .flat_map(|peer| peer.records.values().filter_map(|r| r.send_time));
        let expiry = self.store.next_expiry();
        sends.chain(expiry).min().unwrap_or(SimTime::NEVER)
    }
}

/// True when the flush has something to do for `peer`: an ack flag, an
/// offer, a request flag, or a send whose time has come. (A peer can have
/// work and still get an empty payload: offers all answered by messages
/// received meanwhile. Empty payloads are not sent.)
fn has_work(peer: &Peer, now: SimTime) -> bool {
    !peer.offered.is_empty()
        || peer
            .records
            .values()
            .any(|r| r.ack || r.requested || r.send_time.is_some_and(|t| t <= now))
}

/// Briar's retransmission backoff after a send or offer at `now`:
/// `send_time = now + max_latency * 2^(send_count + 1)`, then
/// `send_count += 1`. (The exponent is capped at 40 and the product
/// saturates, as in the fast node; Briar saturates at `Long.MAX_VALUE`.)
fn backoff(r: &mut Record, max_latency: SimTime, now: SimTime) {
    let factor = 1u64 << (r.send_count + 1).min(40);
    let wait = SimTime(max_latency.as_micros().saturating_mul(factor));
    r.send_time = Some(now + wait);
    r.send_count += 1;
}

impl Node<Payload> for ReferenceNode {
    /// A peer coming (back) up gets a flush: whatever waited for it goes
    /// out, on a new stream. Links to nodes we share no group with are
    /// ignored.
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.connected = true;
            p.stream_open = false;
            self.request_flush(now, out);
        }
    }

    /// Nothing is forgotten: ack flags, offers, requests and send times
    /// wait for the peer to come back.
    fn handle_link_down(&mut self, _now: SimTime, peer: NodeId, _out: &mut Outbox<Payload>) {
        if let Some(p) = self.peers.get_mut(&peer) {
            p.connected = false;
        }
    }

    /// Records are handled kind by kind: ACKs, MESSAGEs, OFFERs, REQUESTs.
    /// A payload from a node we share no group with is ignored.
    fn handle_payload(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        out: &mut Outbox<Payload>,
    ) {
        if !self.peers.contains_key(&from) {
            return;
        }
        for m in payload.acks {
            self.mark_seen(from, m);
        }
        for msg in payload.messages {
            // Only messages of groups visible to (shared with) the sender.
            let shared = self
                .co_members
                .get(&msg.group)
                .is_some_and(|c| c.contains(&from));
            if shared && self.store.authorized(&msg) {
                self.receive_message(now, from, msg, out);
            }
        }
        for m in payload.offers {
            self.receive_offer(from, m);
        }
        for m in payload.requests {
            self.receive_request(from, m);
        }
        self.request_flush(now, out);
    }

    /// Messages blocked for the store's maximum wait are delivered (and
    /// shared) first; then the flush.
    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        for d in self.store.expire(now) {
            out.delivered(&d);
            self.share(&d.msg);
        }
        self.flush(now, out);
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    /// Our own message is delivered at once (no `Deliver` command) and
    /// shared.
    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        self.share(&msg);
        self.request_flush(now, out);
    }

    fn holds(&self, m: MsgId) -> bool {
        self.store.holds(m)
    }
}
