//! Hand-driven BSP nodes: a fake clock, commands inspected one by one.
//!
//! Imports `sim/` and `node/` only.

use super::*;
use crate::node::Command;
use crate::sim::message::test_message;

const L: SimTime = SimTime(30_000_000); // 30 s max latency

fn cfg(mode: BspMode) -> BspConfig {
    BspConfig {
        mode,
        max_latency: L,
        offer_cap: 3,
        delivery: crate::node::store::DeliveryMode::Consistent.into(),
    }
}

fn node(me: NodeId, mode: BspMode) -> BspNode {
    BspNode::new(me, &[(0, vec![0, 1].into())], cfg(mode))
}

fn msg(id: MsgId, sender: NodeId, parents: &[MsgId]) -> MessageRef {
    test_message(id, sender, SimTime::ZERO, parents)
}

/// Nodes 0 and 1, each told the other is reachable, outbox drained.
fn linked_pair(mode: BspMode) -> (BspNode, BspNode, Outbox<Payload>) {
    let (mut a, mut b) = (node(0, mode), node(1, mode));
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    let _ = cmds(&mut out);
    (a, b, out)
}

fn cmds(out: &mut Outbox<Payload>) -> Vec<Command<Payload>> {
    out.drain().collect()
}

fn sends(cmds: &[Command<Payload>]) -> Vec<Payload> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Send { payload, .. } => Some(payload.clone()),
            _ => None,
        })
        .collect()
}

fn timer(cmds: &[Command<Payload>]) -> Option<SimTime> {
    cmds.iter().rev().find_map(|c| match c {
        Command::SetTimer { at } => Some(*at),
        _ => None,
    })
}

fn delivered(cmds: &[Command<Payload>]) -> Vec<MsgId> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Deliver { msg } => Some(*msg),
            _ => None,
        })
        .collect()
}

fn ids(p: &Payload) -> Vec<MsgId> {
    p.messages.iter().map(|m| m.id).collect()
}

#[test]
fn retransmission_follows_briar_backoff() {
    let mut a = node(0, BspMode::Batch);
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    a.handle_timeout(SimTime::ZERO, &mut out);
    assert_eq!(timer(&cmds(&mut out)), Some(SimTime::NEVER));
    let t0 = SimTime::from_secs(5);
    a.append(t0, msg(0, 0, &[]), &mut out);
    assert_eq!(timer(&cmds(&mut out)), Some(t0));
    // send_time = now + L * 2^(count+1): 2L, then 4L, 8L, 16L after each send.
    let mut now = t0;
    for count in 0..5u32 {
        a.handle_timeout(now, &mut out);
        let c = cmds(&mut out);
        let s = sends(&c);
        assert_eq!(s.len(), 1, "send #{count} at {now}");
        assert_eq!(ids(&s[0]), vec![0]);
        let next = now + SimTime(L.0 << (count + 1));
        assert_eq!(timer(&c), Some(next));
        // Waking early sends nothing.
        a.handle_timeout(next - SimTime(1), &mut out);
        assert!(sends(&cmds(&mut out)).is_empty());
        now = next;
    }
}

#[test]
fn ack_stops_retransmission_and_acks_are_never_resent() {
    let (mut a, mut b, mut out) = linked_pair(BspMode::Batch);
    a.append(SimTime::ZERO, msg(0, 0, &[]), &mut out);
    a.handle_timeout(SimTime::ZERO, &mut out);
    let p = sends(&cmds(&mut out)).remove(0);
    b.handle_payload(SimTime(10), 0, p, &mut out);
    let c = cmds(&mut out);
    assert_eq!(delivered(&c), vec![0]);
    b.handle_timeout(SimTime(10), &mut out);
    let c = cmds(&mut out);
    let ack = sends(&c).remove(0);
    assert_eq!(ack.acks, vec![0]);
    assert!(ack.messages.is_empty(), "b must not echo the message back");
    assert_eq!(
        timer(&c),
        Some(SimTime::NEVER),
        "ACKs are not retransmitted"
    );
    a.handle_payload(SimTime(20), 1, ack, &mut out);
    a.handle_timeout(SimTime(20), &mut out);
    let c = cmds(&mut out);
    assert!(sends(&c).is_empty());
    assert_eq!(timer(&c), Some(SimTime::NEVER));
}

#[test]
fn duplicate_message_rearms_the_ack() {
    let mut b = node(1, BspMode::Batch);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    let p = Payload {
        messages: vec![msg(0, 0, &[])],
        ..Payload::default()
    };
    for round in 0..2 {
        b.handle_payload(SimTime(round), 0, p.clone(), &mut out);
        b.handle_timeout(SimTime(round), &mut out);
        let c = cmds(&mut out);
        assert_eq!(delivered(&c).len(), usize::from(round == 0));
        assert_eq!(sends(&c)[0].acks, vec![0], "round {round}");
    }
}

#[test]
fn interactive_offers_then_requests_then_sends() {
    let (mut a, mut b, mut out) = linked_pair(BspMode::Interactive);
    a.append(SimTime::ZERO, msg(0, 0, &[]), &mut out);
    a.handle_timeout(SimTime::ZERO, &mut out);
    let offer = sends(&cmds(&mut out)).remove(0);
    assert_eq!((offer.offers.clone(), offer.messages.len()), (vec![0], 0));
    b.handle_payload(SimTime(1), 0, offer, &mut out);
    b.handle_timeout(SimTime(1), &mut out);
    let request = sends(&cmds(&mut out)).remove(0);
    assert_eq!(request.requests, vec![0]);
    a.handle_payload(SimTime(2), 1, request, &mut out);
    a.handle_timeout(SimTime(2), &mut out);
    let c = cmds(&mut out);
    let message = sends(&c).remove(0);
    assert_eq!(ids(&message), vec![0], "a request resets the send time");
    assert!(message.offers.is_empty());
    b.handle_payload(SimTime(3), 0, message, &mut out);
    assert_eq!(delivered(&cmds(&mut out)), vec![0]);
}

#[test]
fn offered_message_we_hold_is_acked_not_requested() {
    let mut b = node(1, BspMode::Interactive);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    b.handle_payload(
        SimTime(1),
        0,
        Payload {
            messages: vec![msg(0, 0, &[])],
            ..Payload::default()
        },
        &mut out,
    );
    b.handle_timeout(SimTime(1), &mut out);
    let _ = cmds(&mut out);
    b.handle_payload(
        SimTime(2),
        0,
        Payload {
            offers: vec![0, 1],
            ..Payload::default()
        },
        &mut out,
    );
    b.handle_timeout(SimTime(2), &mut out);
    let p = sends(&cmds(&mut out)).remove(0);
    assert_eq!(p.acks, vec![0]);
    assert_eq!(p.requests, vec![1]);
}

/// Briar's `DatabaseComponentImpl.receiveOffer` stores an offer only while
/// fewer than `MAX_OFFERED_MESSAGES` (1,000; here 3) are stored: the first
/// offers are kept, later ones ignored until requests empty the table.
#[test]
fn offer_cap_keeps_first_offers() {
    let mut b = node(1, BspMode::Interactive);
    let mut out = Outbox::new();
    b.handle_payload(
        SimTime(1),
        0,
        Payload {
            offers: vec![1, 2, 3, 4, 5],
            ..Payload::default()
        },
        &mut out,
    );
    b.handle_link_up(SimTime(2), 0, &mut out);
    b.handle_timeout(SimTime(2), &mut out);
    assert_eq!(sends(&cmds(&mut out))[0].requests, vec![1, 2, 3]);
}

#[test]
fn child_before_parent_is_held_then_delivered_after_it() {
    let mut b = node(1, BspMode::Batch);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    let child = Payload {
        messages: vec![msg(1, 0, &[0])],
        ..Payload::default()
    };
    b.handle_payload(SimTime(1), 0, child, &mut out);
    assert!(delivered(&cmds(&mut out)).is_empty());
    assert_eq!(b.heads(0), Vec::<MsgId>::new());
    let parent = Payload {
        messages: vec![msg(0, 0, &[])],
        ..Payload::default()
    };
    b.handle_payload(SimTime(2), 0, parent, &mut out);
    assert_eq!(delivered(&cmds(&mut out)), vec![0, 1]);
    assert_eq!(b.heads(0), vec![1]);
}

#[test]
fn nothing_is_sent_to_a_disconnected_peer() {
    let mut a = node(0, BspMode::Batch);
    let mut out = Outbox::new();
    a.append(SimTime::ZERO, msg(0, 0, &[]), &mut out);
    a.handle_timeout(SimTime::ZERO, &mut out);
    assert!(sends(&cmds(&mut out)).is_empty());
    a.handle_link_up(SimTime(5), 1, &mut out);
    a.handle_timeout(SimTime(5), &mut out);
    assert_eq!(ids(&sends(&cmds(&mut out))[0]), vec![0]);
}

#[test]
fn non_member_records_are_ignored() {
    let mut a = node(0, BspMode::Batch);
    let mut out = Outbox::new();
    a.handle_payload(
        SimTime(1),
        7,
        Payload {
            messages: vec![msg(0, 7, &[])],
            ..Payload::default()
        },
        &mut out,
    );
    assert!(cmds(&mut out).is_empty());
}

/// A peer that asked for a message we hold but have not delivered (its
/// parent is missing), and then acknowledged it, holds it: when the parent
/// arrives and both are delivered, the message is not offered to it again.
/// (The request is ignored; the ACK finds no send state, so the node must
/// ask its store and remember the peer holds the message.)
#[test]
fn ack_of_a_message_requested_before_delivery_is_remembered() {
    let mut a = BspNode::new(0, &[(0, vec![0, 1, 2].into())], cfg(BspMode::Interactive));
    let mut out = Outbox::new();
    let t = SimTime::from_secs(1);
    a.handle_link_up(t, 1, &mut out);
    a.handle_link_up(t, 2, &mut out);
    let (m1, m2) = (msg(1, 2, &[]), msg(2, 2, &[1]));
    let from = |p: Payload, who: NodeId, a: &mut BspNode, out: &mut Outbox<Payload>| {
        a.handle_payload(t, who, p, out);
        a.handle_timeout(t, out);
        cmds(out)
    };
    // Node 2 sends m2 without its parent: held, blocked.
    let c = from(
        Payload {
            messages: vec![m2.clone()],
            ..Payload::default()
        },
        2,
        &mut a,
        &mut out,
    );
    assert!(delivered(&c).is_empty());
    // Node 1 asks for m2: not delivered here, so not sent (Briar serves
    // only visible messages). Then node 1 acknowledges it.
    let c = from(
        Payload {
            requests: vec![2],
            ..Payload::default()
        },
        1,
        &mut a,
        &mut out,
    );
    assert!(sends(&c).iter().flat_map(ids).next().is_none());
    let _ = from(
        Payload {
            acks: vec![2],
            ..Payload::default()
        },
        1,
        &mut a,
        &mut out,
    );
    // The parent arrives: both are delivered; node 1 is offered m1 only.
    let c = from(
        Payload {
            messages: vec![m1],
            ..Payload::default()
        },
        2,
        &mut a,
        &mut out,
    );
    assert_eq!(delivered(&c), vec![1, 2]);
    let offers: Vec<MsgId> = c
        .iter()
        .filter_map(|c| match c {
            Command::Send { to: 1, payload } => Some(payload.offers.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(offers, vec![1]);
}

/// Messages shared while a co-member is away are sent to it when it comes
/// back (more than a log's trim threshold of them, twice, so trimmed logs
/// are exercised), except those it is known to hold: one it wrote and sent
/// us, and a child it sent before we had the parent (the parent, which it
/// never sent, goes out with the backlog).
#[test]
fn backlog_shared_while_a_peer_was_away_is_sent_when_it_returns() {
    let mut a = BspNode::new(0, &[(0, vec![0, 1, 2].into())], cfg(BspMode::Batch));
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    let _ = cmds(&mut out);
    let n = 2 * TRIM_MIN as MsgId;
    let mut next = 0;
    for round in 0..2u64 {
        let t = SimTime::from_secs(1 + round);
        let first = next;
        for _ in 0..n {
            a.append(t, msg(next, 0, &[]), &mut out);
            a.handle_timeout(t, &mut out);
            let c = cmds(&mut out);
            assert_eq!(
                ids(&sends(&c)[0]),
                vec![next],
                "connected peer 1 gets it at once"
            );
            next += 1;
        }
        // From node 2 (still away for us): a message it wrote, and the child
        // of a message we get from node 1 afterwards.
        let (own, parent, child) = (next, next + 1, next + 2);
        next += 3;
        let payload = |m: Vec<MessageRef>| Payload {
            messages: m,
            ..Payload::default()
        };
        a.handle_payload(t, 2, payload(vec![msg(own, 2, &[])]), &mut out);
        a.handle_payload(t, 2, payload(vec![msg(child, 2, &[parent])]), &mut out);
        a.handle_payload(t, 1, payload(vec![msg(parent, 1, &[])]), &mut out);
        a.handle_timeout(t, &mut out);
        let _ = cmds(&mut out);
        let back = t + SimTime::from_secs(1);
        a.handle_link_up(back, 2, &mut out);
        a.handle_timeout(back, &mut out);
        let c = cmds(&mut out);
        let to_2: Vec<Payload> = c
            .iter()
            .filter_map(|c| match c {
                Command::Send { to: 2, payload } => Some(payload.clone()),
                _ => None,
            })
            .collect();
        let mut want: Vec<MsgId> = (first..first + n).collect();
        want.push(parent);
        assert_eq!(ids(&to_2[0]), want, "round {round}");
        a.handle_link_down(back, 2, &mut out);
    }
}

#[test]
fn peer_state_is_four_cache_lines() {
    // A field more would make every peer five lines (and a flush, a catch-up
    // and an ack read more of them): make room before adding one.
    assert_eq!(std::mem::size_of::<Peer>(), 256);
}

/// Briar's `resetExpiryTime` (bramble-core `db/JdbcDatabase.java`) sets
/// `expiry = 0, txCount = 0` when a REQUEST arrives: the message goes out at
/// once and its next retransmission is one round trip (2 max latencies)
/// later, however often it was offered before.
#[test]
fn request_resets_send_count() {
    let (mut a, _, mut out) = linked_pair(BspMode::Interactive);
    a.append(SimTime::ZERO, msg(0, 0, &[]), &mut out);
    a.handle_timeout(SimTime::ZERO, &mut out);
    let c = cmds(&mut out);
    assert_eq!(sends(&c)[0].offers, vec![0]);
    assert_eq!(timer(&c), Some(SimTime(2 * L.0)));
    a.handle_timeout(SimTime(2 * L.0), &mut out);
    let c = cmds(&mut out);
    assert_eq!(sends(&c)[0].offers, vec![0], "offered a second time");
    assert_eq!(timer(&c), Some(SimTime(6 * L.0)));
    let now = SimTime(3 * L.0);
    let request = Payload {
        requests: vec![0],
        ..Payload::default()
    };
    a.handle_payload(now, 1, request, &mut out);
    a.handle_timeout(now, &mut out);
    let c = cmds(&mut out);
    assert_eq!(ids(&sends(&c)[0]), vec![0], "sent at once");
    // Count reset to 0: next send after 2L (kept, it would be 8L).
    assert_eq!(timer(&c), Some(now + SimTime(2 * L.0)));
}

/// Each connection is a new BTP stream: the first payload after a link-up
/// carries the stream's tag, header and VERSIONS record (bramble-core
/// `crypto/StreamEncrypterImpl.java`, `sync/DuplexOutgoingSession.java`),
/// later ones only frames.
#[test]
fn first_payload_after_link_up_opens_the_stream() {
    let (mut a, _, mut out) = linked_pair(BspMode::Batch);
    let mut opens = Vec::new();
    for (k, t) in [1u64, 2, 3].into_iter().enumerate() {
        if k == 2 {
            a.handle_link_down(SimTime(t), 1, &mut out);
            a.handle_link_up(SimTime(t), 1, &mut out);
        }
        a.append(SimTime(t), msg(k as MsgId, 0, &[]), &mut out);
        a.handle_timeout(SimTime(t), &mut out);
        opens.push(sends(&cmds(&mut out))[0].opens_stream);
    }
    assert_eq!(opens, vec![true, false, true]);
}

/// Briar serves a REQUEST only for a message visible to the contact that
/// the contact does not hold (`containsVisibleMessage` in
/// DatabaseComponentImpl.receiveRequest, `seen = FALSE` in
/// JdbcDatabase.getRequestedMessagesToSend): a request for a message the
/// peer acked, or for one we have not delivered, is ignored.
#[test]
fn request_is_served_only_for_visible_messages_the_peer_lacks() {
    let (mut a, _, mut out) = linked_pair(BspMode::Interactive);
    let t = SimTime(1);
    a.append(t, msg(0, 0, &[]), &mut out);
    a.handle_timeout(t, &mut out);
    let _ = cmds(&mut out);
    // A child whose parent is missing: held, not delivered.
    let child = Payload {
        messages: vec![msg(2, 1, &[1])],
        ..Payload::default()
    };
    a.handle_payload(t, 1, child, &mut out);
    let acked = Payload {
        acks: vec![0],
        ..Payload::default()
    };
    a.handle_payload(t, 1, acked, &mut out);
    a.handle_timeout(t, &mut out);
    let _ = cmds(&mut out);
    let request = Payload {
        requests: vec![0, 2],
        ..Payload::default()
    };
    a.handle_payload(SimTime(2), 1, request, &mut out);
    a.handle_timeout(SimTime(2), &mut out);
    assert!(sends(&cmds(&mut out)).is_empty());
}

/// Briar offers and sends the messages due `ORDER BY timestamp`
/// (bramble-core `db/JdbcDatabase.java`, `getMessagesToOffer` and
/// `getMessagesToSend`), not by when each became due: here m1 fell due
/// before m0 (its backoff is younger), yet m0 goes first.
#[test]
fn rule_5_sends_oldest_message_first() {
    let (mut a, _, mut out) = linked_pair(BspMode::Batch);
    let at = |k: u64| SimTime(k * L.0);
    a.append(at(0), msg(0, 0, &[]), &mut out);
    a.handle_timeout(at(0), &mut out);
    // m0 again at 2L: next at 6L.
    a.handle_timeout(at(2), &mut out);
    // m1 first sent just after: next at 4L + 1.
    let t1 = at(2) + SimTime(1);
    a.append(t1, msg(1, 0, &[0]), &mut out);
    a.handle_timeout(t1, &mut out);
    a.handle_link_down(t1, 1, &mut out);
    let _ = cmds(&mut out);
    a.handle_link_up(at(7), 1, &mut out);
    a.handle_timeout(at(7), &mut out);
    assert_eq!(ids(&sends(&cmds(&mut out))[0]), vec![0, 1]);
}
