//! What nodes are told about reachability, and how payloads travel.
//!
//! With `known` presence a node hears `link_up(p)` when `p` becomes reachable
//! and `link_down(p)` when it stops being so; with `unknown` presence
//! (Whisper-like) it hears `link_up` for every sync peer when it comes online
//! itself. A payload a node sends to a peer it was told is linked is put on
//! the wire (its bytes count) and archived by store-forward mailservers; it
//! arrives only if the peer is really reachable, no partition cuts the pair,
//! the link does not lose it, and both ends stay online until it arrives.

use super::mail::Topic;
use super::{Event, World};
use crate::node::{PerKind, Strategy, WirePayload};
use crate::report::Sent;
use crate::scenario::Presence;
use crate::sim::message::{GroupId, NodeId};
use crate::sim::time::SimTime;
use crate::world::network::Verdict;

impl<S: Strategy> World<'_, S> {
    /// True when a partition in force drops payloads from `a` to `b`.
    pub(super) fn cut(&self, a: NodeId, b: NodeId) -> bool {
        self.faults
            .partitions_active
            .iter()
            .any(|&i| self.scenario.partitions[i].cuts(a, b))
    }

    /// What node `a` should believe about its link to `b`.
    fn view(&mut self, a: NodeId, b: NodeId) -> bool {
        match self.scenario.transport.presence {
            Presence::Known => self.conn.reachable(a, b),
            Presence::Unknown => self.conn.online(a),
        }
    }

    /// Tells `a` about a change in its link to `b`, if there is one.
    fn refresh(&mut self, now: SimTime, a: NodeId, b: NodeId) {
        let want = self.view(a, b);
        let told = &mut self.told[a as usize];
        if want == told.contains(&b) {
            return;
        }
        if want {
            told.insert(b);
            if let Some(one) = &mut self.one {
                one.connect(a, b);
            }
            self.nodes[a as usize].handle_link_up(now, b, &mut self.outbox);
        } else {
            told.remove(&b);
            self.one_pair_down(now, a, b);
            self.nodes[a as usize].handle_link_down(now, b, &mut self.outbox);
        }
        self.apply(now, a);
    }

    fn refresh_all(&mut self, now: SimTime) {
        for a in 0..self.peers.len() {
            for k in 0..self.peers[a].len() {
                let b = self.peers[a][k];
                self.refresh(now, a as NodeId, b);
            }
        }
    }

    /// After node `n` went up or down.
    pub(super) fn refresh_node_or_all(&mut self, now: SimTime, n: NodeId) {
        if self.conn.multi_hop() {
            return self.refresh_all(now);
        }
        for k in 0..self.peers[n as usize].len() {
            let p = self.peers[n as usize][k];
            self.refresh(now, n, p);
            self.refresh(now, p, n);
        }
    }

    /// After the link `a`–`b` came or went.
    pub(super) fn refresh_pair_or_all(&mut self, now: SimTime, a: NodeId, b: NodeId) {
        if self.conn.multi_hop() {
            return self.refresh_all(now);
        }
        if self.peers[a as usize].binary_search(&b).is_ok() {
            self.refresh(now, a, b);
            self.refresh(now, b, a);
        }
    }

    /// Puts one copy of `payload` on the way from `from` to `to`.
    fn transmit(
        &mut self,
        now: SimTime,
        from: NodeId,
        to: NodeId,
        payload: S::Payload,
        size: Size,
    ) {
        let bytes = size.bytes;
        self.recorder.on_send(Sent {
            from,
            bytes,
            bytes_by_kind: &size.by_kind,
            records_by_kind: &payload.count_by_kind(),
            messages: payload.messages(),
            message_record_len: S::Payload::message_record_len,
            causal_bytes: payload.causal_len(),
        });
        if !self.conn.reachable(from, to) || self.cut(from, to) {
            self.recorder.on_lost(payload.messages().len());
            return;
        }
        let hops = self.conn.hops(from, to);
        match self.network.send(now, from, to, bytes, hops) {
            Verdict::Lost => self.recorder.on_lost(payload.messages().len()),
            Verdict::Deliver { at, again } => {
                let epochs = (self.epoch[from as usize], self.epoch[to as usize]);
                if let Some(at2) = again {
                    self.recorder.on_duplicate();
                    let copy = Box::new((payload.clone(), bytes));
                    self.queue.push(
                        at2,
                        Event::Arrive {
                            from,
                            to,
                            payload: copy,
                            epochs,
                        },
                    );
                }
                self.queue.push(
                    at,
                    Event::Arrive {
                        from,
                        to,
                        payload: Box::new((payload, bytes)),
                        epochs,
                    },
                );
            }
        }
    }

    /// The encoded size of `payload`, computed once per payload.
    fn size(&self, payload: &S::Payload) -> Size {
        let by_kind = payload.encoded_len_by_kind();
        Size {
            bytes: self
                .network
                .wire_bytes(by_kind.iter().sum::<u64>() as usize),
            by_kind,
        }
    }

    /// Carries out `Command::Send`.
    pub(super) fn send(&mut self, now: SimTime, from: NodeId, to: NodeId, payload: S::Payload) {
        if !self.told[from as usize].contains(&to) {
            // A node sends only to peers it was told are linked; anything
            // else never reaches a link and costs nothing.
            return;
        }
        let size = self.size(&payload);
        self.mail_archive(now, from, Topic::Node(to), &payload, size.bytes);
        if self.one.is_none() {
            return self.transmit(now, from, to, payload, size);
        }
        let mut payload = payload;
        for msg in payload.take_messages() {
            self.one_enqueue(now, from, to, msg);
        }
        if !payload.is_empty() {
            let size = self.size(&payload);
            self.transmit(now, from, to, payload, size);
        }
    }

    /// Carries out `Command::Publish`: one copy to each reachable member.
    pub(super) fn publish(
        &mut self,
        now: SimTime,
        from: NodeId,
        group: GroupId,
        payload: S::Payload,
    ) {
        let size = self.size(&payload);
        self.mail_archive(now, from, Topic::Group(group), &payload, size.bytes);
        let (payload, size) = if self.one.is_some() {
            let mut rest = payload;
            let messages = rest.take_messages();
            for k in 0..self.sync.members[group as usize].len() {
                let to = self.sync.members[group as usize][k];
                for msg in &messages {
                    self.one_enqueue(now, from, to, msg.clone());
                }
            }
            let size = self.size(&rest);
            (rest, size)
        } else {
            (payload, size)
        };
        if payload.is_empty() {
            return;
        }
        for k in 0..self.sync.members[group as usize].len() {
            let to = self.sync.members[group as usize][k];
            if to != from && self.conn.reachable(from, to) && !self.cut(from, to) {
                self.transmit(now, from, to, payload.clone(), size);
            }
        }
    }

    /// A payload reaches `to`, unless an end went offline, the pair became
    /// unreachable or a partition now cuts it.
    pub(super) fn arrive(
        &mut self,
        now: SimTime,
        from: NodeId,
        to: NodeId,
        payload: S::Payload,
        bytes: u64,
        epochs: (u32, u32),
    ) {
        let intact = (self.epoch[from as usize], self.epoch[to as usize]) == epochs
            && self.conn.reachable(from, to)
            && !self.cut(from, to);
        if !intact {
            self.recorder.on_lost(payload.messages().len());
            return;
        }
        self.recorder
            .on_arrival(from, to, payload.messages(), bytes, now);
        self.nodes[to as usize].handle_payload(now, from, payload, &mut self.outbox);
        self.apply(now, to);
    }
}

/// A payload's size on the wire: with the link's overhead, and its encoded
/// records by kind (see [`WirePayload::encoded_len_by_kind`]).
#[derive(Clone, Copy)]
struct Size {
    bytes: u64,
    by_kind: PerKind,
}
