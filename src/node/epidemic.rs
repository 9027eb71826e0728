//! Epidemic routing as The ONE's `EpidemicRouter` does it, for comparison
//! with the DTN literature.
//!
//! Every node relays every message, members or not; there are no ACKs. When a
//! contact comes up both ends send a summary vector (the ids they hold); each
//! then sends every message the other lacks. Messages that arrive or are
//! written during a contact go to connected peers that lack them. A node
//! delivers to its application only messages of its own groups (causally,
//! through the store); the others it only carries.

use super::store::{Delivery, Store};
use super::strategy::{NoConfig, NodeContext, RecordKind, Strategy};
use super::wire::MVDS_KINDS;
use super::{Node, Outbox};
use crate::node::wire::Payload;
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use fixedbitset::FixedBitSet;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Default)]
struct Peer {
    connected: bool,
    summary_sent: bool,
    summary_received: bool,
    /// Messages this peer holds (from its summary, or exchanged with it),
    /// as a bitset over dense message ids.
    known: FixedBitSet,
    /// Messages to send it at the next flush.
    pending: BTreeSet<MsgId>,
}

impl Peer {
    fn offer(&mut self, id: MsgId) {
        if self.connected && self.summary_received && !self.known.contains(id as usize) {
            self.pending.insert(id);
        }
    }

    /// Records that the peer holds `id`; true if that is news.
    fn learn(&mut self, id: MsgId) -> bool {
        let i = id as usize;
        if i >= self.known.len() {
            self.known.grow((i + 1).next_power_of_two());
        }
        !self.known.put(i)
    }
}

/// Every message a node carries: by dense id, and in arrival order.
#[derive(Debug, Default)]
struct Buffer {
    by_id: Vec<Option<MessageRef>>,
    order: Vec<MsgId>,
}

impl Buffer {
    fn contains(&self, id: MsgId) -> bool {
        self.by_id.get(id as usize).is_some_and(Option::is_some)
    }

    fn insert(&mut self, msg: MessageRef) {
        let i = msg.id as usize;
        if i >= self.by_id.len() {
            self.by_id.resize((i + 1).next_power_of_two(), None);
        }
        if self.by_id[i].is_none() {
            self.order.push(msg.id);
            self.by_id[i] = Some(msg);
        }
    }

    fn get(&self, id: MsgId) -> &MessageRef {
        self.by_id[id as usize]
            .as_ref()
            .expect("only held ids are pending")
    }
}

/// An epidemic router.
#[derive(Debug)]
pub struct EpidemicNode {
    groups: BTreeSet<GroupId>,
    store: Store,
    /// Every message carried, members' or not.
    buffer: Buffer,
    peers: BTreeMap<NodeId, Peer>,
    flush_pending: bool,
}

impl EpidemicNode {
    /// A node that is a member of `groups` (it relays for everyone).
    pub fn new(groups: &[(GroupId, Members)], delivery: impl Into<Delivery>) -> Self {
        EpidemicNode {
            groups: groups.iter().map(|(g, _)| *g).collect(),
            store: Store::new(delivery, groups),
            buffer: Buffer::default(),
            peers: BTreeMap::new(),
            flush_pending: false,
        }
    }

    fn request_flush(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        if !self.flush_pending {
            self.flush_pending = true;
            out.set_timer(now);
        }
    }

    fn payload_for(buffer: &Buffer, p: &mut Peer) -> Payload {
        let mut payload = Payload::default();
        if !p.summary_sent {
            payload.summary = Some(buffer.order.clone());
            p.summary_sent = true;
        }
        for id in std::mem::take(&mut p.pending) {
            if p.learn(id) {
                payload.messages.push(buffer.get(id).clone());
            }
        }
        payload
    }

    /// A message joined the buffer: queue it for connected peers lacking it.
    fn carry(&mut self, msg: MessageRef) {
        let id = msg.id;
        self.buffer.insert(msg);
        for p in self.peers.values_mut() {
            p.offer(id);
        }
    }
}

impl Node<Payload> for EpidemicNode {
    fn handle_link_up(&mut self, now: SimTime, peer: NodeId, out: &mut Outbox<Payload>) {
        let p = self.peers.entry(peer).or_default();
        p.connected = true;
        p.summary_sent = false;
        p.summary_received = false;
        p.pending.clear();
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
        for m in &payload.messages {
            p.learn(m.id);
        }
        if let Some(summary) = &payload.summary {
            p.summary_received = true;
            for &id in summary {
                p.learn(id);
            }
            for &id in &self.buffer.order {
                p.offer(id);
            }
        }
        for msg in payload.messages {
            if self.buffer.contains(msg.id) {
                continue;
            }
            self.carry(msg.clone());
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
        for (&id, p) in self.peers.iter_mut() {
            if p.connected && (!p.summary_sent || !p.pending.is_empty()) {
                out.send(id, Self::payload_for(&self.buffer, p));
            }
        }
        out.set_timer(self.store.next_expiry().unwrap_or(SimTime::NEVER));
    }

    fn holds(&self, m: MsgId) -> bool {
        self.buffer.contains(m)
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn append(&mut self, now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        self.carry(msg);
        self.request_flush(now, out);
    }
}

/// The ONE's epidemic router as a strategy (`epidemic`); no parameters yet.
#[derive(Clone, Copy, Debug)]
pub struct Epidemic;

impl Strategy for Epidemic {
    type Payload = Payload;
    type Config = NoConfig;

    fn name(&self) -> &str {
        "epidemic"
    }
    fn about(&self) -> &str {
        "The ONE's epidemic router: on contact, exchange summary vectors, then send every message the peer lacks; every node relays, members or not; no ACKs"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        MVDS_KINDS
    }
    fn relays_everything(&self) -> bool {
        true
    }
    fn build(&self, _: &NoConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        Box::new(EpidemicNode::new(ctx.groups, ctx.delivery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Command;
    use crate::sim::message::test_message;

    fn sends(out: &mut Outbox<Payload>) -> Vec<(NodeId, Payload)> {
        out.drain()
            .filter_map(|c| match c {
                Command::Send { to, payload } => Some((to, payload)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn summary_then_missing_messages() {
        use crate::node::store::DeliveryMode;
        let mut a = EpidemicNode::new(&[], DeliveryMode::Consistent);
        let mut b = EpidemicNode::new(&[(0, vec![1, 2].into())], DeliveryMode::Consistent);
        let mut out = Outbox::new();
        let m = test_message(4, 2, SimTime::ZERO, &[]);
        // `a` carries a message of a group it is not in.
        a.handle_payload(
            SimTime(0),
            9,
            Payload {
                messages: vec![m],
                ..Payload::default()
            },
            &mut out,
        );
        assert!(
            out.drain().all(|c| !matches!(c, Command::Deliver { .. })),
            "relays do not deliver"
        );
        a.handle_link_up(SimTime(1), 1, &mut out);
        b.handle_link_up(SimTime(1), 0, &mut out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(1), &mut out);
        let sa = sends(&mut out);
        assert_eq!(sa[0].1.summary, Some(vec![4]));
        assert!(
            sa[0].1.messages.is_empty(),
            "nothing before the peer's summary"
        );
        b.handle_timeout(SimTime(1), &mut out);
        let sb = sends(&mut out);
        assert_eq!(
            sb[0].1.summary,
            Some(vec![]),
            "an empty summary is still sent"
        );
        assert!(sb[0].1.messages.is_empty());
        a.handle_payload(SimTime(1), 1, sb[0].1.clone(), &mut out);
        let _ = out.drain().count();
        a.handle_timeout(SimTime(1), &mut out);
        let sa = sends(&mut out);
        assert_eq!(sa[0].1.messages.len(), 1);
        b.handle_payload(SimTime(1), 0, sa[0].1.clone(), &mut out);
        assert!(out.drain().any(|c| c == Command::Deliver { msg: 4 }));
    }
}
