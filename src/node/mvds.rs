//! MVDS as Status shipped it: batch mode, 300 ms epochs, no relaying.
//!
//! Per peer and record (ACK, REQUEST, MESSAGE, OFFER) the node keeps a send
//! count and a send epoch. The node ticks once per epoch while it has due
//! records and puts every due record for a peer into one payload. After a
//! send, a MESSAGE, REQUEST or OFFER is due again at
//! `epoch + 2^(count-1) * 30 * 3 + uniform(0..30)` epochs (count after the
//! increment: ≈27 s, 54 s, 108 s, … plus up to 9 s of jitter, no bound);
//! an ACK is sent once. Unlike BSP, a node only sends the messages it wrote
//! itself (or was asked for): it never relays what it received. Every
//! message is non-ephemeral. The jitter draws from the node's own sub-stream.

use super::store::{Delivery, Store};
use super::strategy::{NoConfig, NodeContext, RecordKind, Strategy};
use super::util::sched::{DueMap, PeerSchedule};
use super::wire::MVDS_KINDS;
use super::{Node, Outbox};
use crate::node::wire::Payload;
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::rng::stream;
use crate::sim::time::SimTime;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// MVDS parameters (defaults: Status's production values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MvdsConfig {
    /// Epoch length (300 ms).
    pub epoch: SimTime,
    /// Base resend interval in epochs (30 * 3 = 90).
    pub base_epochs: u64,
    /// Jitter added to each resend, `uniform(0..jitter_epochs)` (30).
    pub jitter_epochs: u64,
    /// When received messages reach the application.
    pub delivery: Delivery,
}

impl MvdsConfig {
    /// Status's schedule with the given delivery mode.
    pub fn status(delivery: impl Into<Delivery>) -> Self {
        MvdsConfig {
            epoch: SimTime::from_millis(300),
            base_epochs: 90,
            jitter_epochs: 30,
            delivery: delivery.into(),
        }
    }
}

/// Record kinds MVDS keeps state for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Ack,
    Request,
    Message,
}

#[derive(Debug, Default)]
struct Peer {
    id: NodeId,
    connected: bool,
    /// (message, kind) → (send epoch, send count).
    states: DueMap<u64, (MsgId, Kind), u32>,
}

/// An MVDS node.
#[derive(Debug)]
pub struct MvdsNode {
    cfg: MvdsConfig,
    store: Store,
    peers: Vec<Peer>,
    peer_index: FxHashMap<NodeId, usize>,
    group_peers: BTreeMap<GroupId, Vec<usize>>,
    schedule: PeerSchedule<u64>,
    rng: ChaCha8Rng,
    timer: SimTime,
}

impl MvdsNode {
    /// A node `me` in `groups`, drawing jitter from `rng`.
    pub fn new(
        me: NodeId,
        groups: &[(GroupId, Members)],
        cfg: MvdsConfig,
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
        MvdsNode {
            cfg,
            store: Store::new(cfg.delivery, groups),
            peers,
            peer_index,
            group_peers,
            schedule: PeerSchedule::default(),
            rng,
            timer: SimTime::NEVER,
        }
    }

    fn epoch(&self, now: SimTime) -> u64 {
        now.as_micros() / self.cfg.epoch.as_micros()
    }

    fn resched(&mut self, i: usize) {
        let p = &self.peers[i];
        self.schedule
            .update(i, p.states.first_due().filter(|_| p.connected));
    }

    fn add(&mut self, i: usize, m: MsgId, kind: Kind, epoch: u64) {
        let count = self.peers[i].states.get(&(m, kind)).map_or(0, |(_, &c)| c);
        self.peers[i].states.insert((m, kind), epoch, count);
        self.resched(i);
    }

    fn remove(&mut self, i: usize, m: MsgId, kind: Kind) {
        self.peers[i].states.remove(&(m, kind));
        self.resched(i);
    }

    /// The next resend epoch after a send at `epoch` (count after increment).
    fn next_epoch(&mut self, epoch: u64, count: u32) -> u64 {
        let backoff = self
            .cfg
            .base_epochs
            .saturating_mul(1u64 << (count.saturating_sub(1)).min(40));
        epoch + backoff + self.rng.random_range(0..self.cfg.jitter_epochs.max(1))
    }

    /// Sets the timer to the tick at which the earliest record goes out:
    /// records due in the current epoch go at the next epoch boundary.
    fn rearm(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        let tick_at = match self.schedule.first() {
            None => SimTime::NEVER,
            Some(due) => {
                let tick = due.max(self.epoch(now) + 1);
                SimTime(tick.saturating_mul(self.cfg.epoch.as_micros()))
            }
        };
        let at = tick_at.min(self.store.next_expiry().unwrap_or(SimTime::NEVER));
        if at != self.timer {
            self.timer = at;
            out.set_timer(at);
        }
    }

    fn payload_for(&mut self, i: usize, epoch: u64) -> Payload {
        let mut p = Payload::default();
        let mut resend = Vec::new();
        let mut due = Vec::new();
        self.peers[i].states.drain_due(epoch, &mut due);
        for (_, (m, kind), count) in due {
            match kind {
                Kind::Ack => p.acks.push(m),
                Kind::Request => p.requests.push(m),
                Kind::Message => match self.store.get(m) {
                    Some(msg) => p.messages.push(msg.clone()),
                    None => continue,
                },
            }
            if kind != Kind::Ack {
                resend.push((m, kind, count + 1));
            }
        }
        for (m, kind, count) in resend {
            let next = self.next_epoch(epoch, count);
            self.peers[i].states.insert((m, kind), next, count);
        }
        self.resched(i);
        p
    }
}

impl Node<Payload> for MvdsNode {
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        if let Some(&i) = self.peer_index.get(&peer) {
            self.peers[i].connected = true;
            self.resched(i);
            self.rearm(now, out);
        }
    }

    fn handle_link_down(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        if let Some(&i) = self.peer_index.get(&peer) {
            self.peers[i].connected = false;
            self.resched(i);
            self.rearm(now, out);
        }
    }

    fn handle_payload(
        &mut self,
        now: SimTime,
        from: NodeId,
        payload: Payload,
        out: &mut Outbox<Payload>,
    ) {
        let Some(&i) = self.peer_index.get(&from) else {
            return;
        };
        let e = self.epoch(now);
        for m in payload.acks {
            self.remove(i, m, Kind::Message);
        }
        for msg in payload.messages {
            if !self.store.authorized(&msg) {
                continue;
            }
            let m = msg.id;
            self.add(i, m, Kind::Ack, e);
            self.remove(i, m, Kind::Message);
            self.remove(i, m, Kind::Request);
            for d in self.store.receive(now, msg) {
                out.delivered(&d);
            }
        }
        for m in payload.offers {
            let kind = if self.store.holds(m) {
                Kind::Ack
            } else {
                Kind::Request
            };
            self.add(i, m, kind, e);
        }
        for m in payload.requests {
            if self.store.holds(m) {
                self.add(i, m, Kind::Message, e);
            }
        }
        self.rearm(now, out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        self.timer = SimTime::NEVER;
        for d in self.store.expire(now) {
            out.delivered(&d);
        }
        let e = self.epoch(now);
        let due: Vec<usize> = self.schedule.due(e).collect();
        for i in due {
            let p = self.payload_for(i, e);
            out.send(self.peers[i].id, p);
        }
        self.rearm(now, out);
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn holds(&self, m: MsgId) -> bool {
        self.store.holds(m)
    }

    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        let e = self.epoch(now);
        let peers = self
            .group_peers
            .get(&msg.group)
            .cloned()
            .unwrap_or_default();
        for i in peers {
            self.add(i, msg.id, Kind::Message, e);
        }
        self.rearm(now, out);
    }
}

/// Status's MVDS as a strategy (`mvds`): Status's fixed schedule, no
/// parameters yet (`strategy_config.mvds` must be `{}`).
#[derive(Clone, Copy, Debug)]
pub struct Mvds;

impl Strategy for Mvds {
    type Payload = Payload;
    type Config = NoConfig;

    fn name(&self) -> &str {
        "mvds"
    }
    fn about(&self) -> &str {
        "Status's production MVDS: batch, 300 ms epochs, one payload per peer per epoch, exponential resends; a node sends only what it wrote (or was asked for), it never relays"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        MVDS_KINDS
    }
    fn build(&self, _: &NoConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        Box::new(MvdsNode::new(
            ctx.me,
            ctx.groups,
            MvdsConfig::status(ctx.delivery),
            stream(ctx.seed, "node", u64::from(ctx.me)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::store::DeliveryMode;
    use crate::node::Command;
    use crate::sim::message::test_message;
    use crate::sim::rng::stream;

    fn sends(out: &mut Outbox<Payload>) -> Vec<Payload> {
        out.drain()
            .filter_map(|c| match c {
                Command::Send { payload, .. } => Some(payload),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn resends_follow_status_schedule() {
        let cfg = MvdsConfig::status(DeliveryMode::Consistent);
        let mut a = MvdsNode::new(0, &[(0, vec![0, 1].into())], cfg, stream(1, "node", 0));
        let mut out = Outbox::new();
        a.handle_link_up(SimTime::ZERO, 1, &mut out);
        let m = test_message(0, 0, SimTime::ZERO, &[]);
        a.append(SimTime(100_000), m, &mut out);
        // Appended in epoch 0: goes out at the tick of epoch 1 (300 ms).
        assert_eq!(a.timer, SimTime::from_millis(300));
        let mut now = a.timer;
        let mut sent_at = Vec::new();
        for _ in 0..5 {
            a.handle_timeout(now, &mut out);
            let s = sends(&mut out);
            assert_eq!(s.len(), 1);
            assert_eq!(s[0].messages.len(), 1);
            sent_at.push(a.epoch(now));
            now = a.timer;
        }
        for (k, w) in sent_at.windows(2).enumerate() {
            let base = 90u64 << k;
            let gap = w[1] - w[0];
            assert!(
                (base..base + 30).contains(&gap),
                "resend {k}: gap {gap} epochs"
            );
        }
    }

    #[test]
    fn ack_is_sent_once_and_stops_resends() {
        let cfg = MvdsConfig::status(DeliveryMode::Consistent);
        let mut b = MvdsNode::new(1, &[(0, vec![0, 1].into())], cfg, stream(1, "node", 1));
        let mut out = Outbox::new();
        b.handle_link_up(SimTime::ZERO, 0, &mut out);
        let m = test_message(0, 0, SimTime::ZERO, &[]);
        b.handle_payload(
            SimTime(1),
            0,
            Payload {
                messages: vec![m],
                ..Payload::default()
            },
            &mut out,
        );
        let _ = out.drain().count();
        b.handle_timeout(b.timer, &mut out);
        let s = sends(&mut out);
        assert_eq!(s[0].acks, vec![0]);
        assert!(s[0].messages.is_empty(), "MVDS does not relay");
        assert_eq!(b.timer, SimTime::NEVER, "ACKs are not retransmitted");
    }
}
