//! The ONE's link model: one message transfer at a time per host, at a
//! transmit speed, decided at update ticks.
//!
//! Followed from `akeranen/the-one`: `routing/ActiveRouter.java`,
//! `routing/EpidemicRouter.java`, `routing/MessageRouter.java` and
//! `core/CBRConnection.java`.
//!
//! - **One transfer at a time per host.** A host sending or receiving a
//!   message starts nothing else and refuses anything else
//!   (`ActiveRouter.isTransferring`, `checkReceiving` → `TRY_LATER_BUSY`).
//! - **Transfer time.** A transfer of a message of `b` bytes (its size as
//!   The ONE counts it: here its body, framing not included) started at
//!   `t` is done at `t + b / speed` (`CBRConnection.startTransfer`); the
//!   sender notices at
//!   its first update after that (`ActiveRouter.update` →
//!   `isMessageTransferred`), never in the tick it started.
//! - **What goes next** (`EpidemicRouter.update`), for a host not
//!   transferring, at each tick, hosts in id order (`World.updateHosts`
//!   with `randomizeUpdateOrder = false`): first a message whose final
//!   recipient is a connected peer (`exchangeDeliverableMessages`,
//!   `tryMessagesForConnected`); else a connected peer's message for this
//!   host (`requestDeliverableMessages`), peers in connection order; else,
//!   connections in the order they came up, a message for the first peer
//!   that is not busy (`tryAllMessagesToAllConnections`). Among candidates
//!   the order is random (`sendQueue = 1`, ONE's default; here a uniform
//!   draw from the run's `one-link` sub-stream, since Java's
//!   `Random(SimClock.getIntTime())` and `HashMap` order cannot be
//!   reproduced) or FIFO (`sendQueue = 2`; here the order in which the
//!   node queued the messages).
//! - **Refusals cost nothing.** A peer that already holds the message
//!   refuses it at once (`DENIED_OLD`) and the next candidate is tried; a
//!   message its sender no longer holds is not sent.
//! - **Abort.** When a contact goes down, a transfer between its ends that
//!   is not done is aborted (`ActiveRouter.update` → `transferAborted`);
//!   one whose done time has passed completes (`isMessageTransferred` is
//!   checked first). Messages queued between the two ends are forgotten:
//!   the node offers them again at its next contact.
//!
//! Which messages a host would send a peer is the node's decision (its
//! `Send` commands); this module only orders and times them. It asks the
//! engine the questions the ONE asks a router ([`Hosts`]).
//!
//! Imports: `sim/` only.

use crate::sim::message::{MessageRef, NodeId};
use crate::sim::rng::stream;
use crate::sim::time::{SimTime, MICROS_PER_SEC};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// In which order a host tries its candidate messages (The ONE's
/// `sendQueue` setting).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendQueue {
    /// A uniform random pick among the candidates (ONE's default, `1`).
    Random,
    /// The oldest queued candidate first (`2`).
    Fifo,
}

/// The ONE link model's parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OneLinkSpec {
    /// Transmit speed in bytes per second (`transmitSpeed`).
    pub bytes_per_s: u64,
    /// Time between two updates (`Scenario.updateInterval`).
    pub update_interval: SimTime,
    /// Candidate order (`sendQueue`).
    pub send_queue: SendQueue,
}

/// What the model asks about hosts and messages (the engine answers from
/// its nodes and groups).
pub trait Hosts {
    /// True when `node` holds `msg` (a sender can send it; a receiver
    /// refuses it).
    fn holds(&self, node: NodeId, msg: &MessageRef) -> bool;
    /// True when `node` is a final recipient of `msg`.
    fn recipient(&self, node: NodeId, msg: &MessageRef) -> bool;
    /// Bytes that time a transfer of `msg` (The ONE: the message's size).
    fn bytes(&self, msg: &MessageRef) -> u64;
}

/// One message transfer on a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// The message.
    pub msg: MessageRef,
    /// Bytes that time it.
    pub bytes: u64,
    /// When it started.
    pub start: SimTime,
    /// When its last byte is sent.
    pub done: SimTime,
}

/// How a transfer ended when its contact went down.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Its done time had passed: it completes.
    Completed(Transfer),
    /// It was still under way: it is aborted.
    Aborted(Transfer),
}

#[derive(Clone, Debug)]
struct Queued {
    to: NodeId,
    msg: MessageRef,
}

/// Transfer state of every host in one run.
#[derive(Debug)]
pub struct OneLinks {
    spec: OneLinkSpec,
    /// Per sender: messages its node asked to send, in queue order.
    queues: Vec<Vec<Queued>>,
    /// Per sender: the transfer it is sending.
    outgoing: Vec<Option<Transfer>>,
    /// Per host: in a transfer (sending or receiving).
    busy: Vec<bool>,
    /// Per host: connected peers, in the order the connections came up.
    conns: Vec<Vec<NodeId>>,
    queued: usize,
    transfers: usize,
    rng: ChaCha8Rng,
}

impl OneLinks {
    /// No host connected, nothing queued; random picks from the run's
    /// `one-link` sub-stream of `seed`.
    pub fn new(spec: OneLinkSpec, hosts: usize, seed: u64) -> Self {
        OneLinks {
            spec,
            queues: vec![Vec::new(); hosts],
            outgoing: vec![None; hosts],
            busy: vec![false; hosts],
            conns: vec![Vec::new(); hosts],
            queued: 0,
            transfers: 0,
            rng: stream(seed, "one-link", 0),
        }
    }

    /// The model's parameters.
    pub fn spec(&self) -> &OneLinkSpec {
        &self.spec
    }

    /// Number of hosts.
    pub fn hosts(&self) -> usize {
        self.busy.len()
    }

    /// True when nothing is queued or under way (no tick is needed).
    pub fn idle(&self) -> bool {
        self.queued == 0 && self.transfers == 0
    }

    /// Transfers under way.
    pub fn under_way(&self) -> usize {
        self.transfers
    }

    /// True when `host` is sending or receiving.
    pub fn busy(&self, host: NodeId) -> bool {
        self.busy[host as usize]
    }

    /// The first update tick at or after `now`.
    pub fn tick_at_or_after(&self, now: SimTime) -> SimTime {
        let i = self.spec.update_interval.as_micros();
        SimTime(now.as_micros().div_ceil(i) * i)
    }

    /// The connection `a`–`b` came up (idempotent).
    pub fn connect(&mut self, a: NodeId, b: NodeId) {
        for (x, y) in [(a, b), (b, a)] {
            let c = &mut self.conns[x as usize];
            if !c.contains(&y) {
                c.push(y);
            }
        }
    }

    /// The connection `a`–`b` went down at `now`: the transfer between
    /// them, if any, completes or is aborted, and what either queued for
    /// the other is forgotten.
    pub fn disconnect(&mut self, now: SimTime, a: NodeId, b: NodeId) -> Option<Ended> {
        for (x, y) in [(a, b), (b, a)] {
            self.conns[x as usize].retain(|&p| p != y);
            let q = &mut self.queues[x as usize];
            let before = q.len();
            q.retain(|e| e.to != y);
            self.queued -= before - q.len();
        }
        let (from, to) = [(a, b), (b, a)].into_iter().find(|&(x, y)| {
            self.outgoing[x as usize]
                .as_ref()
                .is_some_and(|t| t.to == y)
        })?;
        let t = self.take(from);
        debug_assert_eq!(t.to, to);
        Some(if t.done <= now {
            Ended::Completed(t)
        } else {
            Ended::Aborted(t)
        })
    }

    /// `from`'s node asks to send `msg` to `to`; ignored unless they are
    /// connected or when it is queued already.
    pub fn enqueue(&mut self, from: NodeId, to: NodeId, msg: MessageRef) {
        if !self.conns[from as usize].contains(&to) {
            return;
        }
        let q = &mut self.queues[from as usize];
        if q.iter().any(|e| e.to == to && e.msg.id == msg.id) {
            return;
        }
        q.push(Queued { to, msg });
        self.queued += 1;
    }

    /// The transfer `host` sends, if it is done by `now` and started
    /// before `now` (the sender notices at a later update).
    pub fn finish_due(&mut self, now: SimTime, host: NodeId) -> Option<Transfer> {
        let t = self.outgoing[host as usize].as_ref()?;
        (t.start < now && t.done <= now).then(|| self.take(host))
    }

    fn take(&mut self, from: NodeId) -> Transfer {
        let t = self.outgoing[from as usize].take().expect("a transfer");
        self.busy[t.from as usize] = false;
        self.busy[t.to as usize] = false;
        self.transfers -= 1;
        t
    }

    /// If `host` is free, starts the transfer The ONE's `EpidemicRouter`
    /// would start at its update at `now`, and returns it.
    pub fn start_next(
        &mut self,
        now: SimTime,
        host: NodeId,
        hosts: &dyn Hosts,
    ) -> Option<Transfer> {
        if self.busy[host as usize] {
            return None;
        }
        if !self.queues[host as usize].is_empty() {
            // Deliverable messages to connected peers first.
            let pick = self.pick(host, hosts, |to, m| hosts.recipient(to, m));
            if let Some(i) = pick {
                return Some(self.start(now, host, i, hosts));
            }
        }
        // Then ask each free peer for its messages for this host.
        for k in 0..self.conns[host as usize].len() {
            let p = self.conns[host as usize][k];
            if self.busy[p as usize] {
                continue;
            }
            let first = self.prune_first(p, hosts, |to, m| to == host && hosts.recipient(to, m));
            if let Some(i) = first {
                return Some(self.start(now, p, i, hosts));
            }
        }
        if self.queues[host as usize].is_empty() {
            return None;
        }
        // Then anything, connection by connection.
        for k in 0..self.conns[host as usize].len() {
            let p = self.conns[host as usize][k];
            if self.busy[p as usize] {
                continue;
            }
            if let Some(i) = self.pick(host, hosts, |to, _| to == p) {
                return Some(self.start(now, host, i, hosts));
            }
        }
        None
    }

    /// Drops `host`'s queued entries that would be refused (the receiver
    /// holds the message) or cannot go (the sender no longer holds it).
    fn stale(&self, host: NodeId, e: &Queued, hosts: &dyn Hosts) -> bool {
        hosts.holds(e.to, &e.msg) || !hosts.holds(host, &e.msg)
    }

    /// Among `host`'s queued entries matching `want` whose receiver is
    /// free, after dropping stale ones: a random or the oldest one.
    fn pick(
        &mut self,
        host: NodeId,
        hosts: &dyn Hosts,
        want: impl Fn(NodeId, &MessageRef) -> bool,
    ) -> Option<usize> {
        let mut cands = Vec::new();
        let mut i = 0;
        while i < self.queues[host as usize].len() {
            let e = &self.queues[host as usize][i];
            if !want(e.to, &e.msg) {
                i += 1;
                continue;
            }
            if self.stale(host, e, hosts) {
                self.queues[host as usize].remove(i);
                self.queued -= 1;
                continue;
            }
            if !self.busy[e.to as usize] {
                cands.push(i);
            }
            i += 1;
        }
        match (cands.len(), self.spec.send_queue) {
            (0, _) => None,
            (1, _) | (_, SendQueue::Fifo) => Some(cands[0]),
            (n, SendQueue::Random) => Some(cands[self.rng.random_range(0..n)]),
        }
    }

    /// The first (in queue order) of `host`'s entries matching `want`,
    /// after dropping stale ones.
    fn prune_first(
        &mut self,
        host: NodeId,
        hosts: &dyn Hosts,
        want: impl Fn(NodeId, &MessageRef) -> bool,
    ) -> Option<usize> {
        let mut i = 0;
        while i < self.queues[host as usize].len() {
            let e = &self.queues[host as usize][i];
            if !want(e.to, &e.msg) {
                i += 1;
            } else if self.stale(host, e, hosts) {
                self.queues[host as usize].remove(i);
                self.queued -= 1;
            } else {
                return Some(i);
            }
        }
        None
    }

    fn start(&mut self, now: SimTime, from: NodeId, i: usize, hosts: &dyn Hosts) -> Transfer {
        let e = self.queues[from as usize].remove(i);
        self.queued -= 1;
        let bytes = hosts.bytes(&e.msg);
        let micros = (u128::from(bytes) * u128::from(MICROS_PER_SEC))
            .div_ceil(u128::from(self.spec.bytes_per_s.max(1)));
        let t = Transfer {
            from,
            to: e.to,
            msg: e.msg,
            bytes,
            start: now,
            done: now + SimTime(micros.min(u128::from(u64::MAX / 2)) as u64),
        };
        self.busy[from as usize] = true;
        self.busy[t.to as usize] = true;
        self.transfers += 1;
        self.outgoing[from as usize] = Some(t.clone());
        t
    }
}

#[cfg(test)]
mod tests;
