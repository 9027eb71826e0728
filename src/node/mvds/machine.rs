//! The MVDS sync state both variants share: per peer, the records waiting to
//! go out, each with a send epoch and a send count, and the epoch ticks that
//! send them.
//!
//! It follows `node/node.go` of status-go's vendored fork and of
//! vacp2p/mvds alike. The node sends once per epoch (`sendMessages`): every
//! state whose send epoch has come goes into one payload per peer, then its
//! send count grows and its next send epoch is `nextEpoch(count, epoch)`.
//! `insertSyncState` files a new state at `epoch + 1`, so a record written
//! during an epoch goes out at the second tick after it; ACKs are not states
//! (`payloads.AddAcks`) and go out at the next tick, once. A state is one
//! per (message, peer, kind) and inserting one that exists changes nothing
//! (status-go's `INSERT OR IGNORE`). `Remove(message, peer)`, on an ACK or
//! on receipt of the message from that peer, drops every kind at once.
//!
//! Time: epochs are numbered as the Go node numbers them. The tick at
//! simulated time `j · epoch` sends the states due at or before epoch `j`;
//! between ticks `j - 1` and `j` the node is in epoch `j`
//! ([`Machine::current_epoch`]). Ticks fall on a grid shared by all nodes.
//! Only peers the node believes linked are sent to; a state due while its
//! peer is away waits (its count unchanged) until the link is up.
//!
//! Call order: the owning node calls the `insert`/`remove` methods from its
//! handlers, [`Machine::tick`] from `handle_timeout`, and [`Machine::rearm`]
//! at the end of every handler.
//!
//! Imports `sim/` and `node/` only.

use super::payload::{Dialect, MvdsPayload};
use crate::node::store::Store;
use crate::node::util::sched::PeerSchedule;
use crate::node::Outbox;
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// What a sync state sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// An ACK (sent once, at the next tick).
    Ack,
    /// An OFFER of a message the node holds.
    Offer,
    /// A REQUEST for a message the node lacks.
    Request,
    /// The message in full.
    Message,
}

/// When records are sent and resent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// Epoch length (`DatasyncTicker`, 300 ms).
    pub epoch: SimTime,
    /// Resend after `base_epochs · 2^(count-1)` epochs (`backoffInterval`
    /// 30 s × `offsetToSecond` 3 = 90).
    pub base_epochs: u64,
    /// Plus `uniform(0..jitter_epochs)` (`rand.Intn(30)`).
    pub jitter_epochs: u64,
    /// A state sent more than this many times is deleted (Status's
    /// `MaxSendCount`; `None`: kept until acknowledged).
    pub max_send_count: Option<u32>,
    /// Resend every this many epochs instead of backing off (`resend:
    /// fixed`, a configuration the sources do not run; `None`: backoff).
    pub fixed_epochs: Option<u64>,
}

impl Schedule {
    /// status-go's `protocol/datasync/transport.go` `CalculateSendTime`
    /// and 300 ms ticker, with the given `MaxSendCount`.
    pub fn status(max_send_count: Option<u32>) -> Self {
        Schedule {
            epoch: SimTime::from_millis(300),
            base_epochs: 90,
            jitter_epochs: 30,
            max_send_count,
            fixed_epochs: None,
        }
    }

    /// This schedule with `resend`'s intervals.
    pub fn with_resend(self, resend: super::resend::Resend) -> Self {
        Schedule {
            fixed_epochs: resend.fixed_epochs(),
            ..self
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct State {
    due: u64,
    count: u32,
}

#[derive(Debug, Default)]
struct Peer {
    id: NodeId,
    connected: bool,
    /// (message, kind) → state.
    states: BTreeMap<(MsgId, Kind), State>,
    /// The same states by (due epoch, message, kind).
    by_due: BTreeSet<(u64, MsgId, Kind)>,
}

/// One node's MVDS sync state, its peers and its epoch timer.
#[derive(Debug)]
pub struct Machine {
    sched: Schedule,
    peers: Vec<Peer>,
    peer_index: FxHashMap<NodeId, usize>,
    group_peers: BTreeMap<GroupId, Vec<usize>>,
    schedule: PeerSchedule<u64>,
    rng: ChaCha8Rng,
    timer: SimTime,
}

impl Machine {
    /// The state of node `me` in `groups`, drawing jitter from `rng`.
    pub fn new(
        me: NodeId,
        groups: &[(GroupId, Members)],
        sched: Schedule,
        rng: ChaCha8Rng,
    ) -> Self {
        let mut peers: Vec<Peer> = Vec::new();
        let mut peer_index = FxHashMap::default();
        let mut group_peers = BTreeMap::new();
        for (g, members) in groups {
            let mut idx = Vec::new();
            for &p in members.iter().filter(|&&p| p != me) {
                let i = *peer_index.entry(p).or_insert_with(|| {
                    peers.push(Peer {
                        id: p,
                        ..Peer::default()
                    });
                    peers.len() - 1
                });
                idx.push(i);
            }
            group_peers.insert(*g, idx);
        }
        Machine {
            sched,
            peers,
            peer_index,
            group_peers,
            schedule: PeerSchedule::default(),
            rng,
            timer: SimTime::NEVER,
        }
    }

    /// The epoch the node is in at `now` (between ticks `j - 1` and `j`:
    /// `j`).
    pub fn current_epoch(&self, now: SimTime) -> u64 {
        now.as_micros() / self.sched.epoch.as_micros() + 1
    }

    /// The index of peer `p`.
    pub fn peer(&self, p: NodeId) -> Option<usize> {
        self.peer_index.get(&p).copied()
    }

    /// How many peers the node has (indices `0..n`).
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// The node id of peer `i`.
    pub fn peer_id(&self, i: usize) -> NodeId {
        self.peers[i].id
    }

    /// The peers of group `g`.
    pub fn group_peers(&self, g: GroupId) -> &[usize] {
        self.group_peers.get(&g).map_or(&[], Vec::as_slice)
    }

    /// True when peer `i` is a member of group `g`.
    pub fn in_group(&self, i: usize, g: GroupId) -> bool {
        self.group_peers(g).contains(&i)
    }

    /// The timer last set.
    pub fn timer(&self) -> SimTime {
        self.timer
    }

    fn resched(&mut self, i: usize) {
        let p = &self.peers[i];
        let due = p.by_due.first().map(|&(d, _, _)| d);
        self.schedule.update(i, due.filter(|_| p.connected));
    }

    /// Files a state as `insertSyncState` does at `now` (due the epoch
    /// after the current one); an ACK is due at the next tick. Nothing
    /// changes if the state exists.
    pub fn insert(&mut self, now: SimTime, i: usize, m: MsgId, kind: Kind) {
        let e = self.current_epoch(now);
        let due = if kind == Kind::Ack { e } else { e + 1 };
        let p = &mut self.peers[i];
        if p.states.contains_key(&(m, kind)) {
            return;
        }
        p.states.insert((m, kind), State { due, count: 0 });
        p.by_due.insert((due, m, kind));
        self.resched(i);
    }

    /// True when a state of `kind` for `m` waits for peer `i`.
    pub fn has(&self, i: usize, m: MsgId, kind: Kind) -> bool {
        self.peers[i].states.contains_key(&(m, kind))
    }

    /// Drops every state of message `m` for peer `i` (`Remove(id, peer)`).
    pub fn remove(&mut self, i: usize, m: MsgId) {
        let p = &mut self.peers[i];
        let keys: Vec<(MsgId, Kind)> = p
            .states
            .range((m, Kind::Ack)..=(m, Kind::Message))
            .map(|(&k, _)| k)
            .collect();
        for k in keys {
            if let Some(s) = p.states.remove(&k) {
                p.by_due.remove(&(s.due, k.0, k.1));
            }
        }
        self.resched(i);
    }

    /// Peer `i` is linked or not.
    pub fn set_connected(&mut self, i: usize, up: bool) {
        self.peers[i].connected = up;
        self.resched(i);
    }

    /// status-go's `resetPeerEpoch`: the first `limit` states of peer `i`
    /// (table order, here message order) move to `epoch +
    /// uniform(0..spread)` epochs, their counts unchanged. ACKs are not
    /// states and are left alone.
    pub fn reset_peer(&mut self, now: SimTime, i: usize, limit: usize, spread: u64) {
        let e = self.current_epoch(now);
        let keys: Vec<(MsgId, Kind)> = self.peers[i]
            .states
            .keys()
            .filter(|k| k.1 != Kind::Ack)
            .take(limit)
            .copied()
            .collect();
        for k in keys {
            let due = e + self.rng.random_range(0..spread.max(1));
            let p = &mut self.peers[i];
            if let Some(s) = p.states.get_mut(&k) {
                p.by_due.remove(&(s.due, k.0, k.1));
                s.due = due;
                p.by_due.insert((due, k.0, k.1));
            }
        }
        self.resched(i);
    }

    /// Replaces the schedule (before anything is sent).
    pub fn set_schedule(&mut self, sched: Schedule) {
        self.sched = sched;
    }

    /// The next send epoch after a send at `epoch` (count after the
    /// increment): `epoch + 2^(count-1) · base + uniform(0..jitter)`, or
    /// `epoch + fixed + uniform(0..jitter)` with a fixed interval.
    fn next_epoch(&mut self, epoch: u64, count: u32) -> u64 {
        let backoff = self.sched.fixed_epochs.unwrap_or_else(|| {
            self.sched
                .base_epochs
                .saturating_mul(1u64 << (count.saturating_sub(1)).min(40))
        });
        epoch + backoff + self.rng.random_range(0..self.sched.jitter_epochs.max(1))
    }

    /// `onPayload`'s control records from peer `i`, in its order: an ACK
    /// clears the states of the acked message, a REQUEST for a message
    /// `store` holds in a group shared with `i` files a MESSAGE, an OFFER
    /// of a message not held files a REQUEST. (MESSAGEs come last, and
    /// each variant handles them its own way.)
    pub fn on_control(
        &mut self,
        now: SimTime,
        i: usize,
        [acks, requests, offers]: [&[MsgId]; 3],
        store: &Store,
    ) {
        for &m in acks {
            self.remove(i, m);
        }
        for &m in requests {
            if store.get(m).is_some_and(|msg| self.in_group(i, msg.group)) {
                self.insert(now, i, m, Kind::Message);
            }
        }
        for &m in offers.iter().filter(|&&m| !store.holds(m)) {
            self.insert(now, i, m, Kind::Request);
        }
    }

    /// Sends the payloads due at `now` ([`Machine::tick`]), the messages
    /// taken from `store`.
    pub fn send_due<D: Dialect>(
        &mut self,
        now: SimTime,
        store: &Store,
        out: &mut Outbox<MvdsPayload<D>>,
    ) {
        for (to, p) in self.tick(now, |m| store.get(m).cloned()) {
            out.send(to, p);
        }
    }

    /// The tick at `now`: one payload per linked peer with states due, in
    /// (earliest due, peer) order. `get` finds a message the node holds; a MESSAGE state
    /// for one it does not hold is dropped.
    pub fn tick<D: Dialect>(
        &mut self,
        now: SimTime,
        get: impl Fn(MsgId) -> Option<MessageRef>,
    ) -> Vec<(NodeId, MvdsPayload<D>)> {
        let e = self.current_epoch(now) - 1;
        let due: Vec<usize> = self.schedule.due(e).collect();
        due.into_iter()
            .map(|i| (self.peers[i].id, self.payload_for(i, e, &get)))
            .collect()
    }

    fn payload_for<D: Dialect>(
        &mut self,
        i: usize,
        e: u64,
        get: &impl Fn(MsgId) -> Option<MessageRef>,
    ) -> MvdsPayload<D> {
        let mut out = MvdsPayload::<D>::default();
        let p = &mut self.peers[i];
        let mut sent = Vec::new();
        while let Some(&(due, m, kind)) = p.by_due.first() {
            if due > e {
                break;
            }
            p.by_due.pop_first();
            let Some(s) = p.states.remove(&(m, kind)) else {
                continue;
            };
            match kind {
                Kind::Ack => {
                    out.acks.push(m);
                    continue;
                }
                Kind::Offer => out.offers.push(m),
                Kind::Request => out.requests.push(m),
                Kind::Message => match get(m) {
                    Some(msg) => out.messages.push(msg),
                    None => continue,
                },
            }
            sent.push((m, kind, s.count + 1));
        }
        for (m, kind, count) in sent {
            if self.sched.max_send_count.is_some_and(|max| count > max) {
                continue; // `Clear(MaxSendCount)`: sent too often, deleted
            }
            let due = self.next_epoch(e, count);
            let p = &mut self.peers[i];
            p.states.insert((m, kind), State { due, count });
            p.by_due.insert((due, m, kind));
        }
        self.resched(i);
        out
    }

    /// Sets the timer to the tick that sends the earliest due state, or to
    /// `other` if sooner (the store's maximum wait).
    pub fn rearm<P: crate::node::WirePayload>(
        &mut self,
        now: SimTime,
        other: Option<SimTime>,
        out: &mut Outbox<P>,
    ) {
        let tick_at = match self.schedule.first() {
            None => SimTime::NEVER,
            Some(due) => {
                let tick = due.max(self.current_epoch(now));
                SimTime(tick.saturating_mul(self.sched.epoch.as_micros()))
            }
        };
        let at = tick_at.min(other.unwrap_or(SimTime::NEVER));
        if at != self.timer {
            self.timer = at;
            out.set_timer(at);
        }
    }

    /// The send count of peer `i`'s state (`m`, `kind`), if it exists.
    #[cfg(test)]
    pub fn count(&self, i: usize, m: MsgId, kind: Kind) -> Option<u32> {
        self.peers[i].states.get(&(m, kind)).map(|s| s.count)
    }

    /// The due epoch of peer `i`'s state (`m`, `kind`), if it exists.
    #[cfg(test)]
    pub fn due(&self, i: usize, m: MsgId, kind: Kind) -> Option<u64> {
        self.peers[i].states.get(&(m, kind)).map(|s| s.due)
    }
}
