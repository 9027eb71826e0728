//! The mailserver-only node: publishes what its user writes once, and
//! delivers what arrives causally through the store; no sync records.
//! Imports `sim/` and `node/` only.

use super::wire::Payload;
use crate::node::store::{Delivery, Store};
use crate::node::{Node, Outbox};
use crate::sim::message::{GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;

/// A mailserver-only node.
#[derive(Debug)]
pub struct MailserverOnlyNode {
    store: Store,
}

impl MailserverOnlyNode {
    /// A node that is a member of `groups`.
    pub fn new(groups: &[(GroupId, Members)], delivery: impl Into<Delivery>) -> Self {
        MailserverOnlyNode {
            store: Store::new(delivery, groups),
        }
    }

    fn rearm(&self, out: &mut Outbox<Payload>) {
        if let Some(at) = self.store.next_expiry() {
            out.set_timer(at);
        }
    }
}

impl Node<Payload> for MailserverOnlyNode {
    fn handle_link_up(&mut self, _: SimTime, _: NodeId, _: &mut Outbox<Payload>) {}
    fn handle_link_down(&mut self, _: SimTime, _: NodeId, _: &mut Outbox<Payload>) {}

    fn handle_payload(
        &mut self,
        now: SimTime,
        _from: NodeId,
        payload: Payload,
        out: &mut Outbox<Payload>,
    ) {
        for msg in payload.messages {
            for d in self.store.receive(now, msg) {
                out.delivered(&d);
            }
        }
        self.rearm(out);
    }

    fn handle_timeout(&mut self, now: SimTime, out: &mut Outbox<Payload>) {
        for d in self.store.expire(now) {
            out.delivered(&d);
        }
        self.rearm(out);
    }

    fn holds(&self, m: MsgId) -> bool {
        self.store.holds(m)
    }

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn append(&mut self, _now: SimTime, msg: MessageRef, out: &mut Outbox<Payload>) {
        self.store.append_own(msg.clone());
        let group = msg.group;
        out.publish(
            group,
            Payload {
                messages: vec![msg],
                ..Payload::default()
            },
        );
    }
}
