//! No data sync layer: the Whisper-era Status client.
//!
//! A new message is published once on its group's topic; the transport hands
//! it to the members online and reachable at that moment, and a
//! store-forward mailserver (if any) archives it for the others to fetch
//! when they come online. No ACK, no offer, no retransmission. Receivers
//! still deliver causally (a message waits for its parents).

use super::store::{Delivery, Store};
use super::strategy::{Capabilities, NoConfig, NodeContext, RecordKind, Strategy};
use super::wire::MVDS_KINDS;
use super::{Node, Outbox};
use crate::node::wire::Payload;
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

/// No sync layer as a strategy (`mailserver-only`); no parameters.
#[derive(Clone, Copy, Debug)]
pub struct MailserverOnly;

impl Strategy for MailserverOnly {
    type Payload = Payload;
    type Config = NoConfig;

    fn name(&self) -> &str {
        "mailserver-only"
    }
    fn about(&self) -> &str {
        "no sync layer: a message is published once to the members reachable then; the rest depend on a `store-forward` mailserver; no ACK, no retransmission"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        MVDS_KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        let _ = crate::node::wire::decode(bytes);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            eventual_delivery: false,
            // MVDS-2019 `Message`: group id, no author id.
            wire_links_sender_to_group: false,
            ..Capabilities::default()
        }
    }
    fn build(&self, _: &NoConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        Box::new(MailserverOnlyNode::new(ctx.groups, ctx.delivery))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Command;
    use crate::sim::message::test_message;

    #[test]
    fn publishes_once_and_never_acks() {
        use crate::node::store::DeliveryMode;
        let mut n = MailserverOnlyNode::new(&[(0, vec![0, 1, 2].into())], DeliveryMode::Consistent);
        let mut out = Outbox::new();
        let m = test_message(0, 0, SimTime::ZERO, &[]);
        n.append(SimTime::ZERO, m.clone(), &mut out);
        let cmds: Vec<_> = out.drain().collect();
        assert!(
            matches!(&cmds[..], [Command::Publish { group: 0, payload }] if payload.messages.len() == 1)
        );
        let mut r = MailserverOnlyNode::new(&[(0, vec![0, 1, 2].into())], DeliveryMode::Consistent);
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
