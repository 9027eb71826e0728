//! The Bramble Synchronisation Protocol (Briar), batch and interactive mode.
//!
//! Briar runs interactive mode on duplex transports (max latency 30 s) and
//! batch mode only on simplex ones (mailbox, 14 days): `params.rs` holds the
//! two strategies and their config, each mode defaulting to its own
//! transport's latency; `wire.rs` is what the payloads weigh on the wire
//! (BSP records in BTP frames).
//!
//! Per (message, peer) the node keeps the BSP state: the ack flag (we owe the
//! peer an ACK), the request flag (the peer asked for it), whether the peer
//! holds it ("seen"), the send count and the send time (when it may next be
//! sent). Whenever something changed, or the earliest send time comes, the
//! node flushes: for every connected peer it builds one payload by BSP's rules,
//! in order:
//!
//! 1. ACK messages the peer sent that we have not acked;
//! 2. ACK offered messages we hold;
//! 3. REQUEST offered messages we lack;
//! 4. send requested messages whose send time has come;
//! 5. send (batch) or OFFER (interactive) shared messages the peer may lack
//!    whose send time has come, oldest message first.
//!
//! After each send or offer, `send_time = now + max_latency * 2^(send_count+1)`
//! and `send_count += 1` (Briar's retransmission backoff). ACKs are never
//! retransmitted; a duplicate MESSAGE re-arms the ack flag. A REQUEST resets
//! the send time and the send count (Briar's `resetExpiryTime`), so a
//! requested message goes out at once and backs off from the start. A node shares a
//! message (offers or sends it to the group's other members) once it is
//! delivered to its application, as Briar does; offers stored per peer are
//! capped: the first are kept, new ones ignored while full.
//!
//! Sharing is recorded once per message, not once per co-member: each group
//! keeps a log of the messages shared in it, and each peer a cursor into the
//! logs of the groups it is in. A peer catches up (its send state gains a
//! fresh entry for every logged message it may lack, exactly what sharing
//! to it at once would have made) before anything reads or changes its send
//! state; a connected one catches up at the flush that follows the share.
//! So a co-member offline for hours costs nothing per message shared
//! meanwhile, and its backlog is filed in one pass when it comes back, on a
//! table that is then in cache.
//!
//! Imports `sim/` and `node/` only.

use super::store::{Delivery, Store};
use super::util::sched::{DueMap, PeerSchedule};
use super::{Node, Outbox};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
pub use params::{default_max_latency_s, Bsp, BspParams, ModeParams};
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;
use std::collections::{BTreeSet, VecDeque};
use wire::{Payload, BSP_KINDS};

/// Whether rule 5 sends messages or offers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BspMode {
    /// Send messages the peer may lack eagerly (Briar's
    /// `SimplexOutgoingSession`, simplex transports only).
    Batch,
    /// Offer them; send only on request (Briar's `DuplexOutgoingSession`,
    /// duplex transports).
    Interactive,
}

/// Parameters of a BSP node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BspConfig {
    /// Batch or interactive.
    pub mode: BspMode,
    /// The transport's maximum latency, the unit of the backoff.
    pub max_latency: SimTime,
    /// Offers remembered per peer (Briar: 1000); new ones are ignored
    /// while full.
    pub offer_cap: usize,
    /// When received messages reach the application.
    pub delivery: Delivery,
}

/// Peer-side BSP state. Fields in the order of use, aligned to a cache
/// line (`repr(C)`): a catch-up, an ack and a received message read only
/// the first three lines (from the cursors to the send state's buckets).
#[derive(Debug, Default)]
#[repr(C, align(64))]
struct Peer {
    /// For each group shared with this peer: the group's slot in
    /// `Logs::groups` and how far into its log the peer has caught up.
    /// (Inline: a peer nearly always shares one or two groups with us, and
    /// its cursors are read before every use of its state.)
    cursors: SmallVec<[(u32, u32); 2]>,
    /// `Logs::total` when the peer last caught up (equal: nothing to do,
    /// without reading the groups).
    synced: u64,
    /// Ack flags: messages we owe this peer an ACK for (may repeat; sorted
    /// and deduplicated when the payload is built).
    acks: Vec<MsgId>,
    /// Request flags: messages this peer asked for.
    requested: BTreeSet<MsgId>,
    /// Messages we know this peer holds, among those we have not yet
    /// delivered (catching up is the only reader, once per message shared;
    /// entries are dropped then, which keeps memory bounded).
    seen: FxHashSet<MsgId>,
    /// Shared messages the peer may lack: send time and send state.
    outgoing: DueMap<SimTime, MsgId, SendState>,
    /// Offers received and not yet answered (rule 3), oldest first.
    offered: VecDeque<MsgId>,
    id: NodeId,
}

/// The send state of a message towards one peer in 4 bytes (so that a
/// pending send is a 16-byte table entry): the times it was sent (or
/// offered) so far. Every entry is for a delivered message (only those are
/// shared, and requests are served only for them), so an ACK that finds
/// one needs no store look-up to know the peer's `seen` entry is not
/// wanted.
#[derive(Clone, Copy, Debug)]
struct SendState(u32);

impl SendState {
    fn new(count: u32) -> Self {
        Self(count)
    }

    fn count(self) -> u32 {
        self.0
    }
}

impl Peer {
    /// The peer holds `m`. `delivered()` says whether we delivered it; it
    /// is asked only when the send state cannot tell.
    fn mark_seen(&mut self, m: MsgId, delivered: impl FnOnce() -> bool) {
        if !self.requested.is_empty() {
            self.requested.remove(&m);
        }
        let shared = self.outgoing.remove(&m).is_some();
        if !shared && !delivered() {
            self.seen.insert(m);
        }
    }

    /// Files every message shared in our groups since the last catch-up
    /// as a fresh send, unless the peer holds it (see the module doc).
    fn catch_up(&mut self, me: usize, logs: &Logs) {
        if self.synced == logs.total {
            return;
        }
        self.synced = logs.total;
        let groups = &logs.groups;
        for (slot, pos) in &mut self.cursors {
            let g = &groups[*slot as usize];
            let end = g.end();
            if *pos == end {
                continue;
            }
            let backlog = &g.log[(*pos - g.base) as usize..];
            self.outgoing.reserve(backlog.len());
            for e in backlog {
                // `seen` is nearly always empty: asking its length first
                // saves a probe per message.
                let seen =
                    (!self.seen.is_empty() && self.seen.remove(&e.id)) || e.holder as usize == me;
                if !seen {
                    let fresh = || SendState::new(0);
                    self.outgoing.insert_new(e.id, SimTime::ZERO, fresh);
                }
            }
            *pos = end;
        }
    }

    fn has_work(&self, now: SimTime) -> bool {
        !self.acks.is_empty()
            || !self.offered.is_empty()
            || !self.requested.is_empty()
            || self.outgoing.first_due().is_some_and(|t| t <= now)
    }
}

/// A message shared in a group, and the peer (index) it came from, which
/// holds it (`u32::MAX`: none).
#[derive(Clone, Copy, Debug)]
struct Shared {
    id: MsgId,
    holder: u32,
}

/// One of our groups: its other members and the messages shared in it.
#[derive(Debug)]
struct Group {
    id: GroupId,
    /// Indices of the other members in `BspNode::peers`.
    peers: Vec<usize>,
    /// Messages shared, oldest first; the first has position `base` (the
    /// earlier ones every peer had caught up with, and were dropped).
    log: Vec<Shared>,
    base: u32,
    /// Log length at which dropping caught-up entries is tried next.
    trim_at: usize,
}

impl Group {
    /// The position after the last logged message.
    fn end(&self) -> u32 {
        self.base + self.log.len() as u32
    }
}

/// Our groups, and how many messages were shared in them so far.
#[derive(Debug, Default)]
struct Logs {
    /// Sorted by id.
    groups: Vec<Group>,
    total: u64,
}

/// A BSP node.
#[derive(Debug)]
pub struct BspNode {
    me: NodeId,
    cfg: BspConfig,
    store: Store,
    peers: Vec<Peer>,
    peer_index: FxHashMap<NodeId, usize>,
    /// Whether each peer is connected (by index; apart from `peers`, so
    /// sharing reads one small table instead of every peer's state).
    connected: Vec<bool>,
    /// Whether our BTP stream to each peer is open: a payload went out
    /// since the last link-up (the first one carries the stream's preamble).
    streaming: Vec<bool>,
    /// Our groups and the messages shared in them.
    logs: Logs,
    flush_pending: bool,
    /// Peers with acks, offers, requests or newly shared messages to
    /// answer at the next flush. (May repeat; sorted and deduplicated at
    /// the flush, whose buffer it reuses.)
    dirty: Vec<usize>,
    /// Connected peers by their earliest send time.
    schedule: PeerSchedule<SimTime>,
}

impl BspNode {
    /// A node `me` that syncs `groups` (each with its full member list)
    /// with every co-member.
    pub fn new(me: NodeId, groups: &[(GroupId, Members)], cfg: BspConfig) -> Self {
        Self::with_sharing(me, groups, groups, cfg)
    }

    /// A node `me` in `groups` (each with its full member list: whose
    /// messages it accepts) that syncs each group only with the peers
    /// `sharing` lists for it (Briar's group visibility).
    pub fn with_sharing(
        me: NodeId,
        groups: &[(GroupId, Members)],
        sharing: &[(GroupId, Members)],
        cfg: BspConfig,
    ) -> Self {
        let mut node = BspNode {
            me,
            cfg,
            store: Store::new(cfg.delivery, groups),
            peers: Vec::new(),
            peer_index: FxHashMap::default(),
            connected: Vec::new(),
            streaming: Vec::new(),
            logs: Logs::default(),
            flush_pending: false,
            dirty: Vec::new(),
            schedule: PeerSchedule::default(),
        };
        // Peers are numbered in the order the groups list them (the flush
        // visits peers in that order).
        for (g, members) in sharing {
            let peers: Vec<usize> = members
                .iter()
                .filter(|&&p| p != me)
                .map(|&p| node.peer_slot(p))
                .collect();
            node.logs.groups.push(Group {
                id: *g,
                peers,
                log: Vec::new(),
                base: 0,
                trim_at: TRIM_MIN,
            });
        }
        node.logs.groups.sort_by_key(|g| g.id);
        node.logs.groups.dedup_by_key(|g| g.id);
        for (slot, g) in node.logs.groups.iter().enumerate() {
            for &i in &g.peers {
                node.peers[i].cursors.push((slot as u32, 0));
            }
        }
        node
    }

    /// True when `group` is shared with peer `i`.
    fn shares_with(&self, i: usize, group: GroupId) -> bool {
        self.peers[i]
            .cursors
            .iter()
            .any(|&(slot, _)| self.logs.groups[slot as usize].id == group)
    }

    fn peer_slot(&mut self, p: NodeId) -> usize {
        if let Some(&i) = self.peer_index.get(&p) {
            return i;
        }
        self.peers.push(Peer {
            id: p,
            ..Peer::default()
        });
        self.connected.push(false);
        self.streaming.push(false);
        self.peer_index.insert(p, self.peers.len() - 1);
        self.peers.len() - 1
    }

    /// Re-files peer `i` in the schedule after its send times changed.
    fn resched(&mut self, i: usize) {
        let due = if self.connected[i] {
            self.peer(i).outgoing.first_due()
        } else {
            None
        };
        self.schedule.update(i, due);
    }

    /// Peer `i`, caught up (see [`caught_up`]).
    fn peer(&mut self, i: usize) -> &mut Peer {
        caught_up(&mut self.peers, &self.logs, i)
    }

    fn request_flush(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        if !self.flush_pending {
            self.flush_pending = true;
            out.set_timer(now);
        }
    }

    /// Makes `msg` eligible for sending to every co-member that may lack
    /// it (`holder`, when given, is known to hold it): logs it in its group.
    fn share(&mut self, msg: &MessageRef, holder: Option<usize>) {
        let Ok(slot) = self.logs.groups.binary_search_by_key(&msg.group, |g| g.id) else {
            return;
        };
        let g = &mut self.logs.groups[slot];
        g.log.push(Shared {
            id: msg.id,
            holder: holder.map_or(u32::MAX, |h| h as u32),
        });
        self.logs.total += 1;
        if g.log.len() >= g.trim_at {
            self.trim(slot);
        }
        // A connected co-member now has a fresh send due unless it holds
        // the message: it is visited by the flush that follows every share,
        // catches up there and is re-filed in the schedule (which nothing
        // reads before).
        let connected = &self.connected;
        let peers = self.logs.groups[slot].peers.iter().copied();
        self.dirty.extend(peers.filter(|&i| connected[i]));
    }

    /// Drops the log entries of group `slot` every peer has caught up with.
    fn trim(&mut self, slot: usize) {
        let g = &self.logs.groups[slot];
        let caught_up = g
            .peers
            .iter()
            .filter_map(|&i| self.peers[i].cursors.iter().find(|c| c.0 == slot as u32))
            .map(|c| c.1)
            .min()
            .unwrap_or(g.end());
        let g = &mut self.logs.groups[slot];
        g.log.drain(..(caught_up - g.base) as usize);
        g.base = caught_up;
        g.trim_at = (2 * g.log.len()).max(TRIM_MIN);
    }

    fn receive_message(
        &mut self,
        now: SimTime,
        from: usize,
        msg: MessageRef,
        out: &mut Outbox<Payload>,
    ) {
        let id = msg.id;
        let peer = caught_up(&mut self.peers, &self.logs, from);
        peer.acks.push(id);
        self.dirty.push(from);
        if let Some(delivered) = self.store.delivered(id) {
            // A duplicate: the store has nothing to deliver.
            peer.mark_seen(id, || delivered);
            return;
        }
        // A message we lack has no request, send state or `seen` entry yet.
        let ds = self.store.receive(now, msg);
        if ds.is_empty() {
            // Blocked behind missing parents: remember the sender holds it.
            self.peers[from].seen.insert(id);
        }
        for d in ds {
            out.delivered(&d);
            let holder = (d.msg.id == id).then_some(from);
            self.share(&d.msg, holder);
        }
    }

    fn receive_offer(&mut self, from: usize, m: MsgId) {
        let state = self.store.delivered(m);
        let holds = state.is_some();
        let peer = caught_up(&mut self.peers, &self.logs, from);
        peer.mark_seen(m, || state == Some(true));
        if holds {
            peer.acks.push(m);
        } else if peer.offered.len() < self.cfg.offer_cap {
            // Briar keeps the first `MAX_OFFERED_MESSAGES` offers and
            // ignores new ones while full (DatabaseComponentImpl.receiveOffer).
            peer.offered.push_back(m);
        }
        self.dirty.push(from);
    }

    fn receive_request(&mut self, from: usize, m: MsgId) {
        // Briar serves a request only for a message visible to the peer
        // (delivered and shared, in a group shared with it:
        // `containsVisibleMessage`) that the peer does not hold (`seen =
        // FALSE` in `getRequestedMessagesToSend`): here, a delivered
        // message with a send state towards the peer.
        if !self.store.is_delivered(m) {
            return;
        }
        let peer = caught_up(&mut self.peers, &self.logs, from);
        if peer.outgoing.get(&m).is_none() {
            return;
        }
        peer.requested.insert(m);
        // Briar's `resetExpiryTime` (bramble-core db/JdbcDatabase.java)
        // sets `expiry = 0, txCount = 0`: the message goes out now, and its
        // backoff starts again from one round trip.
        peer.outgoing.insert(m, SimTime::ZERO, SendState::new(0));
        self.dirty.push(from);
    }

    /// Builds the payload for peer `i` by the five rules.
    fn build_payload(&mut self, now: SimTime, i: usize) -> Payload {
        let mut payload = Payload::default();
        let peer = caught_up(&mut self.peers, &self.logs, i);
        // Rules 1 and 2: every ack flag (set by received and offered messages).
        let mut acks = std::mem::take(&mut peer.acks);
        acks.sort_unstable();
        acks.dedup();
        payload.acks = acks;
        // Rule 3: request offered messages we still lack.
        if !peer.offered.is_empty() {
            let mut asked: Vec<MsgId> = std::mem::take(&mut peer.offered)
                .into_iter()
                .filter(|&m| !self.store.holds(m))
                .collect();
            asked.sort_unstable();
            asked.dedup();
            payload.requests = asked;
        }
        // Rule 4: requested messages whose send time has come.
        let requested = std::mem::take(&mut peer.requested);
        for m in requested {
            let state = self.peers[i].outgoing.get(&m).map(|(t, s)| (t, s.count()));
            if state.is_some_and(|(t, _)| t > now) {
                self.peers[i].requested.insert(m);
                continue;
            }
            let Some(msg) = self.store.get(m) else {
                continue;
            };
            payload.messages.push(msg.clone());
            let (next, count) = backoff(self.cfg.max_latency, now, state.map_or(0, |(_, c)| c));
            self.peers[i]
                .outgoing
                .insert(m, next, SendState::new(count));
        }
        // Rule 5: shared messages the peer may lack, due now; each is
        // re-filed in place under its next send time.
        let cfg = self.cfg;
        let mut due = Vec::new();
        self.peers[i].outgoing.update_due(now, |m, s| {
            due.push(m);
            let (next, count) = backoff(cfg.max_latency, now, s.count());
            *s = SendState::new(count);
            Some(next)
        });
        // Briar offers and sends them `ORDER BY timestamp`
        // (JdbcDatabase.getMessagesToOffer, getMessagesToSend); ids are
        // numbered in the order messages are written, so id order is
        // timestamp order.
        due.sort_unstable();
        match cfg.mode {
            BspMode::Interactive => payload.offers = due,
            BspMode::Batch => self.attach(&mut payload, &due, i),
        }
        payload
    }

    /// Puts the messages `due` to peer `i` into `payload`, in order. A
    /// pass of its own: the store look-ups do not depend on each other, so
    /// the processor overlaps their cache misses. (Only held messages are
    /// shared; one not held would leave the peer's send state unsent.)
    fn attach(&mut self, payload: &mut Payload, due: &[MsgId], i: usize) {
        let mut missing = Vec::new();
        for &m in due {
            match self.store.get(m) {
                Some(msg) => payload.messages.push(msg.clone()),
                None => missing.push(m),
            }
        }
        for m in missing {
            self.peers[i].outgoing.remove(&m);
        }
    }

    fn flush(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        self.flush_pending = false;
        let mut candidates = std::mem::take(&mut self.dirty);
        self.schedule.due_into(now, &mut candidates);
        candidates.sort_unstable();
        candidates.dedup();
        for &i in &candidates {
            if !self.connected[i] {
                continue;
            }
            if self.peer(i).has_work(now) {
                let mut payload = self.build_payload(now, i);
                if !payload.is_empty() {
                    payload.opens_stream = !self.streaming[i];
                    self.streaming[i] = true;
                }
                out.send(self.peers[i].id, payload);
            }
            self.resched(i);
        }
        candidates.clear();
        self.dirty = candidates;
        let wake = self.schedule.first().unwrap_or(SimTime::NEVER);
        out.set_timer(wake.min(self.store.next_expiry().unwrap_or(SimTime::NEVER)));
    }
}

/// Briar's backoff after a send at `now` with `count` earlier sends (the
/// unit is the transport's `max_latency`): the next send time and the new
/// count.
fn backoff(max_latency: SimTime, now: SimTime, count: u32) -> (SimTime, u32) {
    let factor = 1u64 << (count + 1).min(40);
    let wait = SimTime(max_latency.as_micros().saturating_mul(factor));
    (now + wait, count + 1)
}

/// Peer `i`, caught up with every message shared so far: the only way
/// its send state is read or changed.
fn caught_up<'a>(peers: &'a mut [Peer], logs: &Logs, i: usize) -> &'a mut Peer {
    let p = &mut peers[i];
    p.catch_up(i, logs);
    p
}

/// Log length below which a group's log is never trimmed.
const TRIM_MIN: usize = 64;

impl Node<Payload> for BspNode {
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        if let Some(&i) = self.peer_index.get(&peer) {
            self.connected[i] = true;
            // A new connection: a new BTP stream.
            self.streaming[i] = false;
            self.dirty.push(i);
            self.resched(i);
            self.request_flush(now, out);
        }
    }

    fn handle_link_down(&mut self, _now: SimTime, peer: NodeId, _out: &mut Outbox<Payload>) {
        if let Some(&i) = self.peer_index.get(&peer) {
            self.connected[i] = false;
            self.resched(i);
        }
    }

    fn handle_payload(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        out: &mut Outbox<Payload>,
    ) {
        // Records from a node we share no group with are ignored.
        let Some(&i) = self.peer_index.get(&from) else {
            return;
        };
        let store = &self.store;
        let peer = caught_up(&mut self.peers, &self.logs, i);
        for m in payload.acks {
            peer.mark_seen(m, || store.is_delivered(m));
        }
        for msg in payload.messages {
            // Messages of groups not shared with the sender, or by
            // non-members, are ignored (bramble-core
            // `DatabaseComponentImpl.receiveMessage`: only when the group
            // is visible to the contact).
            if self.shares_with(i, msg.group) && self.store.authorized(&msg) {
                self.receive_message(now, i, msg, out);
            }
        }
        for m in payload.offers {
            self.receive_offer(i, m);
        }
        for m in payload.requests {
            self.receive_request(i, m);
        }
        // The sender's send times changed: re-filed once per payload (the
        // schedule is read only at the flush).
        self.resched(i);
        self.request_flush(now, out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        for d in self.store.expire(now) {
            out.delivered(&d);
            self.share(&d.msg, None);
        }
        self.flush(now, out);
    }

    fn holds(&self, m: MsgId) -> bool {
        self.store.holds(m)
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        debug_assert_eq!(msg.sender, self.me);
        self.store.append_own(msg.clone());
        self.share(&msg, None);
        self.request_flush(now, out);
    }
}

mod params;
pub mod wire;

#[cfg(test)]
mod differential;
#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
