//! A `negentropy` node: publishes new messages, and reconciles each group
//! it shares with a peer, with negentropy v1, on link-up and every
//! interval while the link stays up.
//!
//! - **Who initiates**: the lower node id of the pair, so one session per
//!   (pair, group) and round, with `transport.presence: known` (both ends
//!   hear the link-up at once). With `presence: unknown` a link-up only
//!   means this node came online (its peer may be offline), so the node
//!   told initiates, whatever its id: the peer that was online first heard
//!   its link-up long ago and its session then went nowhere. Periodic
//!   rounds stay with the lower id.
//! - **Session** (Waku Sync 1.0 flow, nwaku `682981f96^:
//!   waku/waku_sync/session.nim`): client frame → server answer → … until
//!   the client's `reconcile_with_ids` says done. After each server frame
//!   the client pushes the messages it has and the server lacks (once per
//!   session: with a frame limit the crate may report them again), and
//!   keeps the ids it needs; when done it sends them in one `need`
//!   record, which the server answers with those messages.
//! - Frames from a peer the node is not linked to (a store-forward
//!   mailserver's replay) are not answered; replayed messages are taken in.
//!
//! Imports: `sim/`, the node layer, the `negentropy` crate (via `wire`).

use super::wire::{self, Frame, Need, Payload};
use crate::node::store::{Delivery, Store};
use crate::node::waku_sync::message::{message_hash, timestamp_ns};
use crate::node::waku_sync::timers::Timers;
use crate::node::{Node, Outbox};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use negentropy::NegentropyStorageVector;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// A node's negentropy parameters, validated.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Time between two rounds with a connected peer.
    pub interval: SimTime,
    /// The crate's frame size limit (0 or >= 4,096).
    pub frame_size_limit: u64,
    /// New messages are published.
    pub relay: bool,
    /// `transport.presence: known`.
    pub presence_known: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Timer {
    Expiry,
    Round(NodeId),
}

/// One group's items and their sealed storage (rebuilt when stale).
#[derive(Debug, Default)]
struct GroupSet {
    items: BTreeSet<(u64, [u8; 32])>,
    by_hash: FxHashMap<[u8; 32], MsgId>,
    storage: Option<NegentropyStorageVector>,
}

impl GroupSet {
    fn insert(&mut self, msg: &MessageRef) {
        let h = message_hash(msg);
        if self.by_hash.insert(h, msg.id).is_none() {
            self.items.insert((timestamp_ns(msg), h));
            self.storage = None;
        }
    }

    fn storage(&mut self) -> &NegentropyStorageVector {
        let items = &self.items;
        self.storage.get_or_insert_with(|| {
            let v: Vec<(u64, [u8; 32])> = items.iter().copied().collect();
            wire::sealed(&v).expect("timestamps are below u64::MAX")
        })
    }
}

/// A client session's state.
#[derive(Debug, Default)]
struct Session {
    need: BTreeSet<[u8; 32]>,
    sent: BTreeSet<[u8; 32]>,
}

/// Counters for tests and figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Sessions started as client.
    pub sessions: u64,
    /// Client frames sent (the first included).
    pub client_frames: u64,
    /// Sessions the client saw to the end.
    pub completed: u64,
}

/// A negentropy node.
#[derive(Debug)]
pub struct NegentropyNode {
    me: NodeId,
    params: Params,
    store: Store,
    sets: BTreeMap<GroupId, GroupSet>,
    /// Groups shared with each peer.
    shared: BTreeMap<NodeId, Vec<GroupId>>,
    connected: BTreeSet<NodeId>,
    sessions: BTreeMap<(NodeId, GroupId), Session>,
    timers: Timers<Timer>,
    /// Counters.
    pub stats: Stats,
}

impl NegentropyNode {
    /// Node `me` of `groups`, sharing them along `sharing`.
    pub fn new(
        me: NodeId,
        groups: &[(GroupId, Members)],
        sharing: &[(GroupId, Members)],
        delivery: Delivery,
        params: Params,
    ) -> Self {
        let mut shared: BTreeMap<NodeId, Vec<GroupId>> = BTreeMap::new();
        for (g, peers) in sharing {
            for &p in peers.iter().filter(|&&p| p != me) {
                shared.entry(p).or_default().push(*g);
            }
        }
        for gs in shared.values_mut() {
            gs.sort_unstable();
            gs.dedup();
        }
        NegentropyNode {
            me,
            params,
            store: Store::new(delivery, groups),
            sets: groups
                .iter()
                .map(|(g, _)| (*g, GroupSet::default()))
                .collect(),
            shared,
            connected: BTreeSet::new(),
            sessions: BTreeMap::new(),
            timers: Timers::new(),
            stats: Stats::default(),
        }
    }

    /// Takes `msg` in; true when new.
    fn ingest(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) -> bool {
        if self.store.holds(msg.id) || !self.store.authorized(&msg) {
            return false;
        }
        if let Some(s) = self.sets.get_mut(&msg.group) {
            s.insert(&msg);
        }
        for d in self.store.receive(now, msg) {
            out.delivered(&d);
        }
        true
    }

    /// Starts a session per group shared with `peer`.
    fn start_round(&mut self, peer: NodeId, out: &mut Outbox<Payload>) {
        let groups = self.shared.get(&peer).cloned().unwrap_or_default();
        let mut p = Payload::default();
        for g in groups {
            let Some(set) = self.sets.get_mut(&g) else {
                continue;
            };
            let Ok(bytes) = wire::initiate(set.storage(), self.params.frame_size_limit) else {
                continue;
            };
            self.sessions.insert((peer, g), Session::default());
            self.stats.sessions += 1;
            self.stats.client_frames += 1;
            p.frames.push(Frame {
                group: g,
                to_server: true,
                bytes,
            });
        }
        out.send(peer, p);
    }

    fn held(&self, g: GroupId, ids: &[[u8; 32]]) -> Vec<MessageRef> {
        let Some(set) = self.sets.get(&g) else {
            return Vec::new();
        };
        ids.iter()
            .filter_map(|h| set.by_hash.get(h))
            .filter_map(|&m| self.store.get(m).cloned())
            .collect()
    }

    /// Our part of a frame from `from`, into `reply`.
    fn on_frame(&mut self, from: NodeId, f: &Frame, reply: &mut Payload) {
        let limit = self.params.frame_size_limit;
        let Some(set) = self.sets.get_mut(&f.group) else {
            return;
        };
        if !f.to_server {
            return self.client_frame(from, f, reply);
        }
        if let Ok(bytes) = wire::serve(set.storage(), limit, &f.bytes) {
            reply.frames.push(Frame {
                to_server: false,
                bytes,
                ..*f
            });
        }
    }

    /// The client's step on a server frame of its session with `from`:
    /// push what the server lacks, then the next frame or the need list.
    fn client_frame(&mut self, from: NodeId, f: &Frame, reply: &mut Payload) {
        let Some(mut s) = self.sessions.remove(&(from, f.group)) else {
            return;
        };
        let set = self.sets.get_mut(&f.group).expect("checked by on_frame");
        let Ok(step) = wire::client_step(set.storage(), self.params.frame_size_limit, &f.bytes)
        else {
            return;
        };
        let fresh: Vec<[u8; 32]> = step
            .have
            .into_iter()
            .filter(|h| s.sent.insert(*h))
            .collect();
        reply.messages.extend(self.held(f.group, &fresh));
        s.need.extend(step.need);
        if let Some(bytes) = step.next {
            self.stats.client_frames += 1;
            reply.frames.push(Frame {
                to_server: true,
                bytes,
                ..*f
            });
            self.sessions.insert((from, f.group), s);
            return;
        }
        self.stats.completed += 1;
        if !s.need.is_empty() {
            let ids = s.need.into_iter().collect();
            reply.needs.push(Need {
                group: f.group,
                ids,
            });
        }
    }

    fn rearm(&mut self, out: &mut Outbox<Payload>) {
        let exp = self.store.next_expiry().unwrap_or(SimTime::NEVER);
        self.timers.set(Timer::Expiry, exp);
        out.set_timer(self.timers.next());
    }
}

impl Node<Payload> for NegentropyNode {
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        self.connected.insert(peer);
        if self.me < peer {
            self.timers
                .set(Timer::Round(peer), now + self.params.interval);
        }
        if self.me < peer || !self.params.presence_known {
            self.start_round(peer, out);
        }
        self.rearm(out);
    }

    fn handle_link_down(&mut self, _now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        self.connected.remove(&peer);
        self.timers.clear(Timer::Round(peer));
        self.sessions.retain(|(p, _), _| *p != peer);
        self.rearm(out);
    }

    fn handle_payload(
        &mut self,
        now: SimTime,
        from: NodeId,
        p: Payload,
        out: &mut Outbox<Payload>,
    ) {
        for m in &p.messages {
            self.ingest(now, m.clone(), out);
        }
        if self.connected.contains(&from) {
            let mut reply = Payload::default();
            for f in &p.frames {
                self.on_frame(from, f, &mut reply);
            }
            for n in &p.needs {
                reply.messages.extend(self.held(n.group, &n.ids));
            }
            out.send(from, reply);
        }
        self.rearm(out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        for t in self.timers.take_due(now) {
            match t {
                Timer::Expiry => {
                    for d in self.store.expire(now) {
                        out.delivered(&d);
                    }
                }
                Timer::Round(peer) => {
                    self.start_round(peer, out);
                    self.timers
                        .set(Timer::Round(peer), now + self.params.interval);
                }
            }
        }
        self.rearm(out);
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn append(&mut self, _now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        if let Some(s) = self.sets.get_mut(&msg.group) {
            s.insert(&msg);
        }
        if self.params.relay {
            out.publish(msg.group, Payload::relaying(vec![msg]));
        }
        self.rearm(out);
    }

    fn holds(&self, m: MsgId) -> bool {
        self.store.holds(m)
    }
}
