//! No data sync layer: the Whisper-era Status client.
//!
//! A new message is published once on its group's topic; the transport hands
//! it to the members online and reachable at that moment, and a
//! store-forward mailserver (if any) archives it for the others to fetch
//! when they come online. No ACK, no offer, no retransmission. Receivers
//! still deliver causally (a message waits for its parents).

use super::store::{DeliveryMode, Store};
use super::{Node, Outbox};
use crate::message::{GroupId, MessageRef, MsgId, NodeId};
use crate::time::SimTime;
use crate::wire::Payload;
use std::collections::BTreeSet;

/// A mailserver-only node.
#[derive(Debug)]
pub struct MailserverOnlyNode {
    groups: BTreeSet<GroupId>,
    store: Store,
}

impl MailserverOnlyNode {
    /// A node that is a member of `groups`.
    pub fn new(groups: &[(GroupId, Vec<NodeId>)], delivery: DeliveryMode) -> Self {
        MailserverOnlyNode {
            groups: groups.iter().map(|(g, _)| *g).collect(),
            store: Store::new(delivery),
        }
    }
}

impl Node for MailserverOnlyNode {
    fn handle_link_up(&mut self, _: SimTime, _: NodeId, _: &mut Outbox) {}
    fn handle_link_down(&mut self, _: SimTime, _: NodeId, _: &mut Outbox) {}

    fn handle_payload(&mut self, _now: SimTime, _from: NodeId, payload: Payload, out: &mut Outbox) {
        for msg in payload.messages {
            if self.groups.contains(&msg.group) {
                for d in self.store.receive(msg) {
                    out.deliver(d.id);
                }
            }
        }
    }

    fn handle_timeout(&mut self, _: SimTime, _: &mut Outbox) {}

    fn heads(&self, group: GroupId) -> Vec<MsgId> {
        self.store.heads(group)
    }

    fn append(&mut self, _now: SimTime, msg: MessageRef, out: &mut Outbox) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;
    use crate::node::Command;
    use std::sync::Arc;

    #[test]
    fn publishes_once_and_never_acks() {
        let mut n = MailserverOnlyNode::new(&[(0, vec![0, 1, 2])], DeliveryMode::Consistent);
        let mut out = Outbox::new();
        let m = Arc::new(Message {
            id: 0,
            group: 0,
            sender: 0,
            created: SimTime::ZERO,
            body_len: 5,
            parents: vec![],
        });
        n.append(SimTime::ZERO, m.clone(), &mut out);
        let cmds: Vec<_> = out.drain().collect();
        assert!(
            matches!(&cmds[..], [Command::Publish { group: 0, payload }] if payload.messages.len() == 1)
        );
        let mut r = MailserverOnlyNode::new(&[(0, vec![0, 1, 2])], DeliveryMode::Consistent);
        r.handle_payload(
            SimTime(1),
            0,
            Payload {
                messages: vec![m],
                ..Payload::default()
            },
            &mut out,
        );
        let cmds: Vec<_> = out.drain().collect();
        assert_eq!(cmds, vec![Command::Deliver { msg: 0 }]);
    }
}
