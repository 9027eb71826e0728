//! A `waku-sync` node: relay for new messages, store sync to repair.
//!
//! - **Ingress**: every message the node writes, receives on relay or by
//!   transfer enters its store and its sync cache (nwaku
//!   `reconciliation.nim` `messageIngress`; transfer's `idsTx`).
//! - **Periodic sync**: every `interval` (first one `phase + interval`
//!   after start: nodes do not start together) the node picks a random
//!   connected peer (`peer_manager.nim` `selectPeer`: shuffled peers of the
//!   codec) and sends one Fingerprint range over `[now − offset − range,
//!   now − offset]` (`initiate`, `calculateTimeRange`).
//! - **Sessions**: both ends answer a frame the same way
//!   (`processRequest`): a payload that is empty or all Skip ends the
//!   session unanswered; otherwise the node processes it over the content
//!   topics both have (`preProcessPayload`: an empty intersection is
//!   answered with an empty frame), sends the answer, and pushes at once
//!   every message it found the peer lacks (`remoteNeedsTx` → transfer).
//! - **Prune**: every `interval`, half an interval after the syncs, ids
//!   older than `now − range` leave the cache (`periodicPrune`). A message
//!   older than the window is never reconciled again: a phone offline
//!   longer than `range + offset` gets what it missed only from relay
//!   while online or a store (a store-forward mailserver's replay, or a
//!   sync-peer mailserver — an always-on store node that also reconciles
//!   — while the message is still in the window).
//!
//! Frames from a peer the node is not linked to (a store-forward
//! mailserver's replay of an old session) are not answered; the messages
//! such a replay carries are taken in.
//!
//! Imports: `sim/` and the node layer.

use super::message::{content_topic, message_hash, timestamp_ns, PUBSUB_TOPIC};
use super::recon::{Cache, Entry};
use super::timers::Timers;
use super::wire::{self, Frame, Payload, RangesData, Session, SyncId};
use crate::node::store::{Delivery, Store};
use crate::node::{Node, Outbox};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId, EPOCH_UNIX_S};
use crate::sim::time::SimTime;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeSet;

/// A node's store-sync parameters, validated.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Time between two syncs this node starts.
    pub interval: SimTime,
    /// Length of the sync window.
    pub range: SimTime,
    /// How far before now the window ends.
    pub offset: SimTime,
    /// Parts a range splits into.
    pub partitions: u64,
    /// Largest range sent as an item set.
    pub threshold: usize,
    /// New messages are published on relay.
    pub relay: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Sync,
    Prune,
    Expiry,
}

/// Simulated time as Unix nanoseconds.
pub fn now_ns(now: SimTime) -> u64 {
    EPOCH_UNIX_S as u64 * 1_000_000_000 + now.as_micros() * 1_000
}

/// The group a content topic names, if it is one of meshsync's.
fn topic_group(t: &str) -> Option<GroupId> {
    t.strip_prefix("/meshsync/1/group-")?
        .strip_suffix("/proto")?
        .parse()
        .ok()
}

/// A store-sync node.
#[derive(Debug)]
pub struct WakuSyncNode {
    me: NodeId,
    params: Params,
    store: Store,
    groups: Vec<GroupId>,
    cache: Cache,
    connected: BTreeSet<NodeId>,
    rng: ChaCha8Rng,
    timers: Timers<Timer>,
    seq: u32,
    /// Sessions started, and frames answered (for tests and figures).
    pub stats: Stats,
}

/// Counters of a node's sessions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Sessions this node initiated.
    pub initiated: u64,
    /// Frames it answered.
    pub answered: u64,
    /// Messages it pushed by transfer.
    pub pushed: u64,
}

impl WakuSyncNode {
    /// Node `me` of `groups`, drawing from `rng`.
    pub fn new(
        me: NodeId,
        groups: &[(GroupId, Members)],
        delivery: Delivery,
        params: Params,
        mut rng: ChaCha8Rng,
    ) -> Self {
        let mut timers = Timers::new();
        let phase = SimTime(rng.random_range(0..params.interval.as_micros().max(1)));
        timers.set(Timer::Sync, phase + params.interval);
        timers.set(
            Timer::Prune,
            phase + params.interval + SimTime(params.interval.as_micros() / 2),
        );
        let mut gs: Vec<GroupId> = groups.iter().map(|(g, _)| *g).collect();
        gs.sort_unstable();
        gs.dedup();
        WakuSyncNode {
            me,
            params,
            store: Store::new(delivery, groups),
            groups: gs,
            cache: Cache::new(params.partitions, params.threshold),
            connected: BTreeSet::new(),
            rng,
            timers,
            seq: 0,
            stats: Stats::default(),
        }
    }

    /// The ids in the sync cache.
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    fn my_topics(&self) -> Vec<String> {
        self.groups.iter().map(|&g| content_topic(g)).collect()
    }

    fn wrap(&self, ranges: Vec<wire::Range>) -> RangesData {
        RangesData {
            pubsub_topics: vec![PUBSUB_TOPIC.to_string()],
            content_topics: self.my_topics(),
            ranges,
        }
    }

    /// Takes `msg` in: store, cache; true when new.
    fn ingest(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) -> bool {
        if self.store.holds(msg.id) || !self.store.authorized(&msg) {
            return false;
        }
        self.cache_insert(&msg);
        for d in self.store.receive(now, msg) {
            out.delivered(&d);
        }
        true
    }

    fn cache_insert(&mut self, msg: &MessageRef) {
        let id = SyncId {
            time: timestamp_ns(msg),
            hash: message_hash(msg),
        };
        self.cache.insert(Entry {
            id,
            group: msg.group,
            msg: msg.id,
        });
    }

    /// Starts a session with a random connected peer.
    fn start_sync(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        if self.connected.is_empty() {
            return;
        }
        let k = self.rng.random_range(0..self.connected.len());
        let peer = *self.connected.iter().nth(k).expect("k < len");
        let end = now_ns(now).saturating_sub(self.params.offset.as_micros() * 1_000);
        let start = end.saturating_sub(self.params.range.as_micros() * 1_000);
        let ranges = self.cache.initial(start, end, &self.groups);
        let session = Session {
            initiator: self.me,
            seq: self.seq,
        };
        self.seq += 1;
        self.stats.initiated += 1;
        let bytes = wire::encode(&self.wrap(ranges));
        out.send(peer, frame_payload(session, bytes, Vec::new()));
    }

    /// Our answer to a frame of `from` (`processRequest`), if any.
    fn answer(&mut self, from: NodeId, f: &Frame, out: &mut Outbox<Payload>) {
        let Ok(input) = wire::decode(&f.bytes) else {
            return; // the code closes the stream
        };
        if input.is_done() {
            return;
        }
        let topics: Vec<GroupId> = input
            .content_topics
            .iter()
            .filter_map(|t| topic_group(t))
            .filter(|g| self.groups.binary_search(g).is_ok())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        self.stats.answered += 1;
        if topics.is_empty() {
            out.send(from, frame_payload(f.session, Vec::new(), Vec::new()));
            return;
        }
        let outcome = self.cache.process(&input, &topics);
        let msgs: Vec<MessageRef> = outcome
            .to_send
            .iter()
            .filter_map(|&m| self.store.get(m).cloned())
            .collect();
        self.stats.pushed += msgs.len() as u64;
        let bytes = wire::encode(&self.wrap(outcome.reply.ranges));
        out.send(from, frame_payload(f.session, bytes, msgs));
    }

    fn rearm(&mut self, out: &mut Outbox<Payload>) {
        let exp = self.store.next_expiry().unwrap_or(SimTime::NEVER);
        self.timers.set(Timer::Expiry, exp);
        out.set_timer(self.timers.next());
    }

    fn fire(&mut self, now: SimTime, t: Timer, out: &mut Outbox<Payload>) {
        match t {
            Timer::Sync => {
                self.start_sync(now, out);
                self.timers.set(Timer::Sync, now + self.params.interval);
            }
            Timer::Prune => {
                let range_ns = self.params.range.as_micros() * 1_000;
                self.cache.prune(now_ns(now).saturating_sub(range_ns));
                self.timers.set(Timer::Prune, now + self.params.interval);
            }
            Timer::Expiry => {
                for d in self.store.expire(now) {
                    out.delivered(&d);
                }
            }
        }
    }
}

/// A payload of one frame and the transfers that go with it.
fn frame_payload(session: Session, bytes: Vec<u8>, transfer: Vec<MessageRef>) -> Payload {
    Payload {
        messages: transfer,
        relayed: 0,
        frames: vec![Frame { session, bytes }],
    }
}

impl Node<Payload> for WakuSyncNode {
    fn handle_link_up(&mut self, _now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        self.connected.insert(peer);
        self.rearm(out);
    }

    fn handle_link_down(&mut self, _now: SimTime, peer: NodeId, _out: &mut Outbox<Payload>) {
        self.connected.remove(&peer);
    }

    fn handle_payload(
        &mut self,
        now: SimTime,
        from: NodeId,
        p: Payload,
        out: &mut Outbox<Payload>,
    ) {
        for m in p.messages.iter() {
            self.ingest(now, m.clone(), out);
        }
        if self.connected.contains(&from) {
            for f in &p.frames {
                self.answer(from, f, out);
            }
        }
        self.rearm(out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        for t in self.timers.take_due(now) {
            self.fire(now, t, out);
        }
        self.rearm(out);
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn append(&mut self, _now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        self.cache_insert(&msg);
        if self.params.relay {
            out.publish(msg.group, Payload::relaying(vec![msg]));
        }
        self.rearm(out);
    }

    fn holds(&self, m: MsgId) -> bool {
        self.store.holds(m)
    }
}
