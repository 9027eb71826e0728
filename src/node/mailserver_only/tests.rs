//! A mailserver-only node driven by hand.
//!
//! Imports `sim/` and `node/` only.

use super::wire::Payload;
use super::MailserverOnlyNode;
use crate::node::{Command, Node, Outbox};
use crate::sim::message::test_message;
use crate::sim::time::SimTime;

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
