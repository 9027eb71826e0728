//! The sans-IO SDS node (sources: `docs/sources/sds.md`).
//!
//! One [`Channel`] per group: Lamport clock, local log ordered by
//! (Lamport, id), bloom filter, outgoing buffer of unacknowledged own
//! messages, incoming buffer of messages whose causal history is not local
//! yet, SDS-R's outgoing and incoming repair buffers, and the ids to ask
//! the store for. Everything is broadcast with [`Outbox::publish`].
//!
//! Timers (one [`TimerTable`] behind the engine's one timer): resends of
//! each unacknowledged message, each group's sync message, repair
//! responses, incoming buffer sweeps and store queries. Sweeps, store
//! queries and repair responses run on fixed grids from time zero (js's
//! `setInterval`s), and only while they have work.
//!
//! Imports: `sim/` and the node layer only.

use super::bloom::{nim_hash, Bloom, BloomKey, BloomParams};
use super::wire::{self, Dialect, Entry, Frame, Payload, Role};
use super::{LamportMode, Periods, RepairHash, SdsConfig, SyncMode};
use crate::node::store::{Delivered, DeliveryMode};
use crate::node::strategy::NodeContext;
use crate::node::util::timers::TimerTable;
use crate::node::{Node, Outbox};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The node's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    /// Incoming buffer sweep (and give-up check).
    Sweep,
    /// Store query for the missing ids.
    Store,
    /// A group's sync message.
    Sync(GroupId),
    /// Resend of an unacknowledged message.
    Resend(GroupId, MsgId),
    /// SDS-R repair response.
    Respond(GroupId, MsgId),
}

/// The settings a node runs with.
#[derive(Clone, Debug)]
struct Params {
    threshold: u32,
    max_resends: u32,
    sync: SyncMode,
    lamport: LamportMode,
    repair: bool,
    response_groups: u32,
    max_requests: usize,
    hash: RepairHash,
    dialect: Dialect,
    periods: Periods,
    eventual: bool,
    buffered_counts: bool,
    ask_again: bool,
}

/// A message in the local log.
#[derive(Debug)]
struct Logged {
    msg: MessageRef,
    frame: Rc<Frame>,
}

/// An own message not yet acknowledged.
#[derive(Debug)]
struct Unacked {
    msg: MessageRef,
    frame: Rc<Frame>,
    key: BloomKey,
    possible: u32,
    resends: u32,
}

/// A received message waiting for its causal history.
#[derive(Debug)]
struct Buffered {
    msg: MessageRef,
    frame: Rc<Frame>,
    since: SimTime,
}

/// SDS-R's outgoing repair request buffer: missing entries, each asked
/// for once from its `T_req` on (js marks it `requested`; it stays until
/// the message arrives).
#[derive(Debug, Default)]
struct RepairOut {
    /// Every entry and its T_req.
    entries: BTreeMap<MsgId, (SimTime, Entry)>,
    /// The entries not requested yet, by (T_req, id).
    queue: BTreeSet<(SimTime, MsgId)>,
}

impl RepairOut {
    fn contains(&self, id: MsgId) -> bool {
        self.entries.contains_key(&id)
    }

    fn insert(&mut self, entry: Entry, t_req: SimTime) {
        self.entries.insert(entry.id, (t_req, entry));
        self.queue.insert((t_req, entry.id));
    }

    fn remove(&mut self, id: MsgId) {
        if let Some((t, _)) = self.entries.remove(&id) {
            self.queue.remove(&(t, id));
        }
    }

    fn has_due(&self, now: SimTime) -> bool {
        self.queue.first().is_some_and(|&(t, _)| t <= now)
    }

    /// Up to `max` due entries, lowest T_req first, marked requested
    /// (`forget`: dropped, as nim does).
    fn take_due(&mut self, now: SimTime, max: usize, forget: bool) -> Vec<Entry> {
        let mut out = Vec::new();
        while out.len() < max {
            match self.queue.first() {
                Some(&(t, id)) if t <= now => {
                    self.queue.pop_first();
                    out.push(self.entries[&id].1);
                    if forget {
                        self.entries.remove(&id);
                    }
                }
                _ => break,
            }
        }
        out
    }
}

/// A local log position: (Lamport, id bytes, id).
type OrderKey = (u64, [u8; 32], MsgId);

/// One group's SDS state.
#[derive(Debug)]
struct Channel {
    members: Members,
    lamport: u64,
    order: BTreeSet<OrderKey>,
    /// The newest `history_len` keys of `order` with their senders,
    /// oldest first: what every message's causal history names, kept so
    /// that a sync message does not walk the tree.
    newest: Vec<(OrderKey, NodeId)>,
    history_len: usize,
    log: FxHashMap<MsgId, Logged>,
    bloom: Bloom,
    outgoing: BTreeMap<MsgId, Unacked>,
    incoming: BTreeMap<MsgId, Buffered>,
    /// The buffered messages by arrival, for the give-up.
    waiting: BTreeSet<(SimTime, MsgId)>,
    /// The local log grew since the last sweep: buffered messages may be
    /// ready (a sweep that finds nothing new does nothing, so none runs).
    dirty: bool,
    /// Ids missing from the history of buffered messages, each with the
    /// messages waiting on it.
    waiters: FxHashMap<MsgId, Vec<MsgId>>,
    /// Ids waited on that became available since the last look.
    arrived: Vec<MsgId>,
    repair_out: RepairOut,
    repair_in: BTreeSet<MsgId>,
    missing: BTreeSet<MsgId>,
}

impl Channel {
    fn has(&self, id: MsgId) -> bool {
        self.log.contains_key(&id) || self.incoming.contains_key(&id)
    }

    /// The newest `history_len` ids of the local log, oldest first.
    fn recent(&self) -> impl Iterator<Item = (MsgId, NodeId)> + '_ {
        self.newest.iter().map(|&((_, _, id), sender)| (id, sender))
    }

    /// Puts `m` in the local log at Lamport time `lamport`.
    fn log(&mut self, lamport: u64, m: MessageRef, frame: Rc<Frame>) {
        let key = (lamport, wire::id_bytes(m.id), m.id);
        if self.order.insert(key) && self.history_len > 0 {
            let full = self.newest.len() >= self.history_len;
            if !full || key > self.newest[0].0 {
                let at = self.newest.partition_point(|&(k, _)| k < key);
                self.newest.insert(at, (key, m.sender));
                if full {
                    self.newest.remove(0);
                }
            }
        }
        self.became_available(m.id);
        self.log.insert(m.id, Logged { msg: m, frame });
    }

    /// Every history id is in the local log (or, js's way, buffered).
    fn ready(&self, frame: &Frame, buffered_counts: bool) -> bool {
        let ok =
            |id| self.log.contains_key(&id) || (buffered_counts && self.incoming.contains_key(&id));
        frame.history.iter().all(|e| ok(e.id))
    }

    /// Buffers `b`, waiting on the history ids not in the local log; in
    /// js's way (`buffered_counts`) its own arrival may complete others.
    fn buffer(&mut self, id: MsgId, b: Buffered, buffered_counts: bool) {
        for e in &b.frame.history {
            if !self.log.contains_key(&e.id) {
                self.waiters.entry(e.id).or_default().push(id);
            }
        }
        self.waiting.insert((b.since, id));
        self.incoming.insert(id, b);
        if buffered_counts {
            self.became_available(id);
        }
    }

    /// `id` became available: the messages waiting on it are candidates
    /// at the next sweep.
    fn became_available(&mut self, id: MsgId) {
        if self.waiters.contains_key(&id) {
            self.arrived.push(id);
        }
    }

    /// The buffered messages that may have become ready since the last
    /// look: those waiting on an id that became available since. Every
    /// buffered message that is ready is among them: it was not ready when
    /// buffered, so its last missing id arrived later, and a look after
    /// that would have released it. In id order.
    fn candidates(&mut self) -> Vec<MsgId> {
        let mut ids = Vec::new();
        for id in std::mem::take(&mut self.arrived) {
            if let Some(w) = self.waiters.remove(&id) {
                ids.extend(w);
            }
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    fn unbuffer(&mut self, id: MsgId) -> Option<Buffered> {
        let b = self.incoming.remove(&id)?;
        self.waiting.remove(&(b.since, id));
        Some(b)
    }

    fn has_due_request(&self, now: SimTime) -> bool {
        self.repair_out.has_due(now)
    }
}

/// An SDS participant.
#[derive(Debug)]
pub struct SdsNode {
    me: NodeId,
    pid: String,
    p: Params,
    channels: BTreeMap<GroupId, Channel>,
    timers: TimerTable<Key>,
    timer_set: SimTime,
    rng: ChaCha8Rng,
    started: bool,
    /// `raw_hash` of the participant ids met so far (SDS-R's T_resp).
    participant_hashes: RefCell<FxHashMap<NodeId, u64>>,
    /// The world has store nodes to query.
    stores: bool,
}

/// The first multiple of `period` at or after `t`.
fn tick_at_or_after(t: SimTime, period: SimTime) -> SimTime {
    SimTime(t.0.div_ceil(period.0) * period.0)
}

/// Simulated time as Unix milliseconds (spec) or seconds (nim).
fn clock(mode: LamportMode, now: SimTime) -> u64 {
    let ms = wire::unix_ms(now.as_micros() / 1000);
    match mode {
        LamportMode::Spec => ms,
        LamportMode::Nim => ms / 1000,
    }
}

impl SdsNode {
    /// Node `ctx.me` with config `c`.
    pub fn new(c: &SdsConfig, periods: Periods, ctx: &NodeContext<'_>) -> SdsNode {
        let bloom = BloomParams::new(c.bloom_capacity, c.bloom_error_rate).expect("validated");
        let p = Params {
            threshold: c.possible_acks_threshold,
            max_resends: c.max_resends,
            sync: c.sync,
            lamport: c.lamport,
            repair: c.repair,
            response_groups: c.response_groups,
            max_requests: c.max_repair_requests,
            hash: c.repair_hash,
            dialect: c.dialect,
            periods: Periods {
                give_up: periods.give_up.or(ctx.delivery.max_wait),
                ..periods
            },
            eventual: ctx.delivery.mode == DeliveryMode::Eventual,
            buffered_counts: c.buffered_history_counts,
            ask_again: c.repair_ask_again,
        };
        let start_lamport = match c.lamport {
            LamportMode::Spec => clock(LamportMode::Spec, SimTime::ZERO),
            LamportMode::Nim => 0,
        };
        let channels = ctx
            .groups
            .iter()
            .map(|(g, members)| {
                let ch = Channel {
                    members: members.clone(),
                    lamport: start_lamport,
                    order: BTreeSet::new(),
                    newest: Vec::new(),
                    history_len: c.history_len,
                    log: FxHashMap::default(),
                    bloom: Bloom::new(bloom, c.bloom_rolling),
                    outgoing: BTreeMap::new(),
                    incoming: BTreeMap::new(),
                    waiting: BTreeSet::new(),
                    dirty: false,
                    waiters: FxHashMap::default(),
                    arrived: Vec::new(),
                    repair_out: RepairOut::default(),
                    repair_in: BTreeSet::new(),
                    missing: BTreeSet::new(),
                };
                (*g, ch)
            })
            .collect();
        SdsNode {
            me: ctx.me,
            pid: wire::participant_hex(ctx.me),
            p,
            channels,
            timers: TimerTable::new(),
            timer_set: SimTime::NEVER,
            rng: crate::sim::rng::stream(ctx.seed, "node", u64::from(ctx.me)),
            started: false,
            participant_hashes: RefCell::new(FxHashMap::default()),
            stores: ctx.stores,
        }
    }

    /// Starts the sync timers at the first call.
    fn start(&mut self, now: SimTime) {
        if std::mem::replace(&mut self.started, true) {
            return;
        }
        let groups: Vec<GroupId> = self.channels.keys().copied().collect();
        for g in groups {
            match self.p.sync {
                SyncMode::Adaptive => self.restart_sync(now, g, 1.0),
                SyncMode::Fixed => self.timers.set(Key::Sync(g), now + self.p.periods.sync),
                SyncMode::Off => {}
            }
        }
    }

    /// Points the engine's timer at the earliest of ours.
    fn finish(&mut self, out: &mut Outbox<Payload>) {
        let next = self.timers.next();
        if next != self.timer_set {
            self.timer_set = next;
            out.set_timer(next);
        }
    }

    // ----- hashes (SDS-R) -----

    /// The hash of a string as it comes out of the hash function: js's
    /// first 8 bytes of sha256 big-endian, or nim's signed MurmurHash3
    /// (its bits).
    fn raw_hash(&self, s: &[u8]) -> u64 {
        match self.p.hash {
            RepairHash::Sha256 => {
                let d = Sha256::digest(s);
                u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
            }
            RepairHash::Murmur => nim_hash(s) as u64,
        }
    }

    /// The hash as the timers use it (nim: `abs`).
    fn hash(&self, s: &[u8]) -> u64 {
        let raw = self.raw_hash(s);
        match self.p.hash {
            RepairHash::Sha256 => raw,
            RepairHash::Murmur => (raw as i64).unsigned_abs(),
        }
    }

    /// `raw_hash` of participant `n`'s id, each hashed once.
    fn raw_participant_hash(&self, n: NodeId) -> u64 {
        if let Some(&h) = self.participant_hashes.borrow().get(&n) {
            return h;
        }
        let h = self.raw_hash(wire::participant_hex(n).as_bytes());
        self.participant_hashes.borrow_mut().insert(n, h);
        h
    }

    /// `hash(a) XOR hash(b)` as js (sha256) or nim (`abs` of the signed
    /// xor) computes it.
    fn distance(&self, a: NodeId, b: NodeId) -> u64 {
        let (a, b) = (self.raw_participant_hash(a), self.raw_participant_hash(b));
        match self.p.hash {
            RepairHash::Sha256 => a ^ b,
            RepairHash::Murmur => ((a as i64) ^ (b as i64)).unsigned_abs(),
        }
    }

    /// The hash of participant `n`'s id followed by message `id`'s.
    fn pair_hash(&self, n: NodeId, id: MsgId) -> u64 {
        let mut s = [0u8; 2 * wire::ID_HEX_LEN];
        let (p, m) = s.split_at_mut(wire::ID_HEX_LEN);
        if n == self.me {
            p.copy_from_slice(self.pid.as_bytes());
        } else {
            p.copy_from_slice(wire::participant_hex(n).as_bytes());
        }
        wire::id_hex_into(id, m);
        self.hash(&s)
    }

    /// `hash(participant_id, message_id) % (T_max − T_min) + T_min`, in ms.
    pub fn t_req_offset(&self, id: MsgId) -> SimTime {
        let (lo, hi) = (self.p.periods.t_min, self.p.periods.t_max);
        let (lo_ms, range) = (lo.as_micros() / 1000, (hi - lo).as_micros() / 1000);
        let h = self.pair_hash(self.me, id);
        SimTime::from_millis(lo_ms + h % range.max(1))
    }

    /// `(hash(participant_id) XOR hash(sender_id)) · hash(message_id) %
    /// T_max`, in ms (0 for the original sender).
    pub fn t_resp_offset(&self, sender: NodeId, id: MsgId) -> SimTime {
        let t_max = u128::from(self.p.periods.t_max.as_micros() / 1000);
        let d = self.distance(self.me, sender);
        let mut mid = [0u8; wire::ID_HEX_LEN];
        wire::id_hex_into(id, &mut mid);
        let h = self.hash(&mid);
        SimTime::from_millis((u128::from(d) * u128::from(h) % t_max) as u64)
    }

    fn in_response_group(&self, members: usize, sender: NodeId, id: MsgId) -> bool {
        let n = match self.p.response_groups {
            0 => members as u64 / 128 + 1,
            n => u64::from(n),
        };
        if n <= 1 {
            return true;
        }
        self.pair_hash(self.me, id) % n == self.pair_hash(sender, id) % n
    }

    // ----- sending -----

    fn bump_lamport(&mut self, now: SimTime, g: GroupId) -> u64 {
        let mode = self.p.lamport;
        let ch = self.channels.get_mut(&g).expect("own group");
        let t = clock(mode, now);
        ch.lamport = match mode {
            LamportMode::Spec => t.max(ch.lamport + 1),
            LamportMode::Nim => t.max(ch.lamport) + 1,
        };
        ch.lamport
    }

    fn entry(&self, ch: &Channel, id: MsgId) -> Entry {
        let sender = if self.p.repair {
            ch.log.get(&id).map(|l| l.msg.sender)
        } else {
            None
        };
        Entry { id, sender }
    }

    /// Up to `max_repair_requests` due entries, lowest T_req first; each
    /// is requested once (js marks it `requested`).
    fn due_requests(&mut self, now: SimTime, g: GroupId) -> Vec<Entry> {
        if !self.p.repair {
            return Vec::new();
        }
        let (max, forget) = (self.p.max_requests, self.p.ask_again);
        let ch = self.channels.get_mut(&g).expect("own group");
        ch.repair_out.take_due(now, max, forget)
    }

    fn frame(&mut self, now: SimTime, g: GroupId, history: Vec<Entry>) -> Frame {
        let lamport = self.bump_lamport(now, g);
        let repair = self.due_requests(now, g);
        let ch = &self.channels[&g];
        Frame {
            sender: self.me,
            channel: g,
            lamport: Some(lamport),
            history,
            bloom: Some(ch.bloom.snapshot()),
            repair,
            dialect: self.p.dialect,
        }
    }

    fn send_content(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        let g = msg.group;
        let Some(ch) = self.channels.get(&g) else {
            return;
        };
        let history = msg.parents.iter().map(|&id| self.entry(ch, id)).collect();
        let frame = Rc::new(self.frame(now, g, history));
        let key = BloomKey::of(wire::id_hex(msg.id).as_bytes());
        let ch = self.channels.get_mut(&g).expect("own group");
        ch.bloom.insert(key);
        let lamport = frame.lamport.unwrap_or(0);
        ch.log(lamport, msg.clone(), frame.clone());
        out.publish(g, payload(Role::Content, &msg, &frame));
        if let Some(every) = self.p.periods.resend {
            let u = Unacked {
                msg: msg.clone(),
                frame,
                key,
                possible: 0,
                resends: 0,
            };
            ch.outgoing.insert(msg.id, u);
            self.timers.set(Key::Resend(g, msg.id), now + every);
        }
        self.restart_sync(now, g, 1.0);
    }

    fn resend(&mut self, now: SimTime, g: GroupId, id: MsgId, out: &mut Outbox<Payload>) {
        let max = self.p.max_resends;
        let Some(u) = self
            .channels
            .get_mut(&g)
            .and_then(|c| c.outgoing.get_mut(&id))
        else {
            return;
        };
        if u.resends >= max {
            return;
        }
        u.resends += 1;
        out.publish(g, payload(Role::Resend, &u.msg, &u.frame));
        if u.resends < max {
            let every = self.p.periods.resend.expect("resends on");
            self.timers.set(Key::Resend(g, id), now + every);
        }
    }

    /// js's `RandomTimeout.restart(m)`: the next sync in `uniform(0,
    /// interval · m)`, × 0.3 while a repair request is due.
    fn restart_sync(&mut self, now: SimTime, g: GroupId, m: f64) {
        if self.p.sync != SyncMode::Adaptive {
            return;
        }
        let due = self.p.repair && self.channels[&g].has_due_request(now);
        let m = if due { m * 0.3 } else { m };
        let wait = self.rng.random::<f64>() * self.p.periods.sync.as_secs_f64() * m;
        self.timers
            .set(Key::Sync(g), now + SimTime::from_secs_f64(wait));
    }

    fn send_sync(&mut self, now: SimTime, g: GroupId, out: &mut Outbox<Payload>) {
        let repair = self.p.repair;
        let history: Vec<Entry> = self.channels[&g]
            .recent()
            .map(|(id, sender)| Entry {
                id,
                sender: repair.then_some(sender),
            })
            .collect();
        let frame = self.frame(now, g, history);
        if !(frame.history.is_empty() && frame.repair.is_empty()) {
            let p = Payload {
                role: Role::Sync,
                content: Vec::new(),
                frame: Rc::new(frame),
            };
            out.publish(g, p);
        }
        match self.p.sync {
            SyncMode::Adaptive => self.restart_sync(now, g, 2.0),
            SyncMode::Fixed => self.timers.set(Key::Sync(g), now + self.p.periods.sync),
            SyncMode::Off => {}
        }
    }

    fn respond(&mut self, g: GroupId, id: MsgId, out: &mut Outbox<Payload>) {
        let Some(ch) = self.channels.get_mut(&g) else {
            return;
        };
        if ch.repair_in.remove(&id) {
            if let Some(l) = ch.log.get(&id) {
                out.publish(g, payload(Role::Repair, &l.msg, &l.frame));
            }
        }
    }

    fn query_store(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        if self.channels.values().all(|c| c.missing.is_empty()) {
            return;
        }
        // With no store in the world the query goes nowhere: js keeps its
        // timer and asks in vain, so the timer stays, but the list of ids
        // (every gap the node has ever had) is not built.
        if self.stores {
            let ids: Vec<MsgId> = self
                .channels
                .values()
                .flat_map(|c| c.missing.iter().copied())
                .collect();
            out.query_store(ids);
        }
        if let Some(every) = self.p.periods.store_query {
            self.timers
                .set(Key::Store, tick_at_or_after(now + SimTime(1), every));
        }
    }

    // ----- receiving -----

    fn receive(&mut self, now: SimTime, p: Payload, out: &mut Outbox<Payload>) {
        let f = p.frame;
        let g = f.channel;
        if f.sender == self.me || !self.channels.contains_key(&g) {
            return;
        }
        let msg = p.content.into_iter().next();
        if let Some(m) = &msg {
            let ch = &self.channels[&g];
            if m.group != g || ch.members.binary_search(&m.sender).is_err() {
                return;
            }
            self.on_id_received(g, m.id);
        }
        self.take_repair_requests(now, g, &f);
        self.review_acks(g, &f);
        match msg {
            None => {
                self.note_missing(now, g, &f.history);
                self.restart_sync(now, g, 1.0);
            }
            Some(m) if !self.channels[&g].has(m.id) => {
                self.restart_sync(now, g, 0.5);
                self.accept(now, m, f, out);
            }
            Some(_) => {}
        }
    }

    /// A message arrived (a duplicate too): SDS-R stops asking and
    /// answering for it; the store is no longer asked.
    fn on_id_received(&mut self, g: GroupId, id: MsgId) {
        let ch = self.channels.get_mut(&g).expect("own group");
        ch.repair_out.remove(id);
        ch.missing.remove(&id);
        if ch.repair_in.remove(&id) {
            self.timers.cancel(Key::Respond(g, id));
        }
        if self.channels.values().all(|c| c.missing.is_empty()) {
            self.timers.cancel(Key::Store);
        }
    }

    fn take_repair_requests(&mut self, now: SimTime, g: GroupId, f: &Frame) {
        if !self.p.repair {
            return;
        }
        for e in &f.repair {
            let ch = self.channels.get_mut(&g).expect("own group");
            ch.repair_out.remove(e.id);
            let Some(sender) = e.sender else { continue };
            if !ch.log.contains_key(&e.id) || ch.repair_in.contains(&e.id) {
                continue;
            }
            let members = ch.members.len();
            if !self.in_response_group(members, sender, e.id) {
                continue;
            }
            let at = now + self.t_resp_offset(sender, e.id);
            let sweep = self.p.periods.repair_sweep;
            let ch = self.channels.get_mut(&g).expect("own group");
            ch.repair_in.insert(e.id);
            let tick = tick_at_or_after(at.max(now + SimTime(1)), sweep);
            self.timers.set(Key::Respond(g, e.id), tick);
        }
    }

    /// Ids in a causal history acknowledge; bloom hits possibly do, and
    /// `possible_acks_threshold` of them acknowledge.
    fn review_acks(&mut self, g: GroupId, f: &Frame) {
        let threshold = self.p.threshold;
        let ch = self.channels.get_mut(&g).expect("own group");
        let mut acked: Vec<MsgId> = f
            .history
            .iter()
            .filter(|e| ch.outgoing.contains_key(&e.id))
            .map(|e| e.id)
            .collect();
        if let Some(b) = &f.bloom {
            for (&id, u) in ch.outgoing.iter_mut() {
                if !acked.contains(&id) && b.lookup(u.key) {
                    u.possible += 1;
                    if u.possible >= threshold {
                        acked.push(id);
                    }
                }
            }
        }
        for id in acked {
            ch.outgoing.remove(&id);
            self.timers.cancel(Key::Resend(g, id));
        }
    }

    /// A new content message: delivered now when its history is local
    /// (or in eventual mode), else buffered.
    fn accept(&mut self, now: SimTime, m: MessageRef, f: Rc<Frame>, out: &mut Outbox<Payload>) {
        let g = m.group;
        let (eventual, nim) = (self.p.eventual, self.p.lamport == LamportMode::Nim);
        let counts = self.p.buffered_counts;
        let ch = self.channels.get_mut(&g).expect("own group");
        ch.bloom.insert(BloomKey::of(wire::id_hex(m.id).as_bytes()));
        if nim {
            ch.lamport = f.lamport.unwrap_or(0).max(ch.lamport) + 1;
        }
        if eventual || ch.ready(&f, counts) {
            self.deliver(g, m, f, true, out);
        } else {
            let history = f.history.clone();
            // js counts buffered ids: this one may complete another's history.
            ch.dirty |= counts;
            let b = Buffered {
                msg: m.clone(),
                frame: f,
                since: now,
            };
            ch.buffer(m.id, b, counts);
            self.note_missing(now, g, &history);
        }
        if self.p.periods.buffer_sweep.is_none() {
            self.sweep(now, out);
        }
        self.schedule_sweep(now);
    }

    fn deliver(
        &mut self,
        g: GroupId,
        m: MessageRef,
        f: Rc<Frame>,
        ok: bool,
        out: &mut Outbox<Payload>,
    ) {
        let spec = self.p.lamport == LamportMode::Spec;
        let ch = self.channels.get_mut(&g).expect("own group");
        let lamport = f.lamport.unwrap_or(0);
        if spec {
            ch.lamport = ch.lamport.max(lamport);
        }
        out.delivered(&Delivered {
            msg: m.clone(),
            verified: ok,
        });
        ch.log(lamport, m, f);
        ch.dirty = true;
    }

    /// Missing history ids (not held at all): asked from the store and,
    /// after T_req, by SDS-R.
    fn note_missing(&mut self, now: SimTime, g: GroupId, history: &[Entry]) {
        let ch = &self.channels[&g];
        let absent: Vec<Entry> = history.iter().filter(|e| !ch.has(e.id)).copied().collect();
        if absent.is_empty() {
            return;
        }
        let fresh: Vec<(Entry, SimTime)> = absent
            .iter()
            .filter(|e| self.p.repair && !ch.repair_out.contains(e.id))
            .map(|e| (*e, now + self.t_req_offset(e.id)))
            .collect();
        let store = self.p.periods.store_query;
        let ch = self.channels.get_mut(&g).expect("own group");
        for (entry, t_req) in fresh {
            ch.repair_out.insert(entry, t_req);
        }
        if let Some(every) = store {
            let before = ch.missing.len();
            ch.missing.extend(absent.iter().map(|e| e.id));
            if ch.missing.len() > before {
                self.timers
                    .set_earliest(Key::Store, tick_at_or_after(now + SimTime(1), every));
            }
        }
    }

    /// Sweep timer: the next grid tick after the log grew while messages
    /// wait, and the tick that gives up on the longest wait (with no grid,
    /// that wait's end).
    fn schedule_sweep(&mut self, now: SimTime) {
        let (grid, give_up) = (self.p.periods.buffer_sweep, self.p.periods.give_up);
        let on_grid = |t: SimTime| grid.map_or(t, |every| tick_at_or_after(t, every));
        let soon = now + SimTime(1);
        let mut at = SimTime::NEVER;
        for ch in self.channels.values().filter(|c| !c.incoming.is_empty()) {
            if ch.dirty {
                at = at.min(on_grid(soon));
            }
            if let (Some(wait), Some(&(since, _))) = (give_up, ch.waiting.first()) {
                at = at.min(on_grid((since + wait).max(soon)));
            }
        }
        if at == SimTime::NEVER {
            self.timers.cancel(Key::Sweep);
        } else {
            self.timers.set(Key::Sweep, at);
        }
    }

    /// Delivers every buffered message whose history is local, until none
    /// is left; then those waiting past the give-up time, unverified.
    fn sweep(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        let groups: Vec<GroupId> = self.channels.keys().copied().collect();
        for g in groups {
            loop {
                let ready = self.take_ready(g);
                let expired = self.expired(now, g);
                if ready.is_empty() && expired.is_none() {
                    break;
                }
                for id in ready {
                    self.release(g, id, true, out);
                }
                if let Some(id) = expired {
                    self.release(g, id, false, out);
                }
            }
        }
        self.schedule_sweep(now);
    }

    /// The buffered messages whose history is local, if the log grew.
    fn take_ready(&mut self, g: GroupId) -> Vec<MsgId> {
        let counts = self.p.buffered_counts;
        let ch = self.channels.get_mut(&g).expect("own group");
        if !std::mem::take(&mut ch.dirty) {
            return Vec::new();
        }
        let mut ids = ch.candidates();
        ids.retain(|id| {
            ch.incoming
                .get(id)
                .is_some_and(|b| ch.ready(&b.frame, counts))
        });
        ids
    }

    /// The buffered message waiting longest, if past the give-up time.
    fn expired(&self, now: SimTime, g: GroupId) -> Option<MsgId> {
        let wait = self.p.periods.give_up?;
        let &(since, id) = self.channels[&g].waiting.first()?;
        (since + wait <= now).then_some(id)
    }

    fn release(&mut self, g: GroupId, id: MsgId, ok: bool, out: &mut Outbox<Payload>) {
        let ch = self.channels.get_mut(&g).expect("own group");
        if let Some(b) = ch.unbuffer(id) {
            self.deliver(g, b.msg, b.frame, ok, out);
        }
    }

    fn fire(&mut self, now: SimTime, key: Key, out: &mut Outbox<Payload>) {
        match key {
            Key::Sweep => self.sweep(now, out),
            Key::Store => self.query_store(now, out),
            Key::Sync(g) => self.send_sync(now, g, out),
            Key::Resend(g, id) => self.resend(now, g, id, out),
            Key::Respond(g, id) => self.respond(g, id, out),
        }
    }

    /// The timers set (for tests).
    pub fn timers(&self) -> &TimerTable<Key> {
        &self.timers
    }
}

fn payload(role: Role, msg: &MessageRef, frame: &Rc<Frame>) -> Payload {
    Payload {
        role,
        content: vec![msg.clone()],
        frame: frame.clone(),
    }
}

impl Node<Payload> for SdsNode {
    fn handle_link_up(&mut self, now: SimTime, _peer: NodeId, out: &mut Outbox<Payload>) {
        self.start(now);
        self.finish(out);
    }

    fn handle_link_down(&mut self, _: SimTime, _: NodeId, _: &mut Outbox<Payload>) {}

    fn handle_payload(
        &mut self,
        now: SimTime,
        _from: NodeId,
        p: Payload,
        out: &mut Outbox<Payload>,
    ) {
        self.start(now);
        self.receive(now, p, out);
        self.finish(out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        self.timer_set = SimTime::NEVER;
        self.start(now);
        for key in self.timers.pop_due(now) {
            self.fire(now, key, out);
        }
        self.finish(out);
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        let Some(ch) = self.channels.get(&group) else {
            return Vec::new();
        };
        let mut ids: Vec<MsgId> = ch.recent().map(|(id, _)| id).collect();
        ids.sort_unstable();
        ids
    }

    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.start(now);
        self.send_content(now, msg, out);
        self.finish(out);
    }

    fn holds(&self, m: MsgId) -> bool {
        self.channels.values().any(|c| c.has(m))
    }
}
