//! Status's MVDS (`mvds`) and the Vac reference (`mvds-vac`), driven by
//! hand: one test per fact of status-go's vendored fork and of
//! vacp2p/mvds.
//!
//! Imports `sim/` and `node/` only.

use super::machine::Kind;
use super::*;
use crate::node::mvds::vac::{Mode, VacNode};
use crate::node::store::{Delivery, DeliveryMode};
use crate::node::{Command, WirePayload};
use crate::sim::message::test_message;

fn sends<P>(out: &mut Outbox<P>) -> Vec<(NodeId, P)>
where
    P: WirePayload,
{
    out.drain()
        .filter_map(|c| match c {
            Command::Send { to, payload } => Some((to, payload)),
            _ => None,
        })
        .collect()
}

fn delivered<P: WirePayload>(out: &mut Outbox<P>) -> Vec<MsgId> {
    out.drain()
        .filter_map(|c| match c {
            Command::Deliver { msg } => Some(msg),
            _ => None,
        })
        .collect()
}

fn group(members: &[NodeId]) -> Vec<(GroupId, Members)> {
    vec![(0, members.to_vec().into())]
}

fn status(me: NodeId, members: &[NodeId], presence_known: bool) -> MvdsNode {
    MvdsNode::new(
        me,
        &group(members),
        presence_known,
        stream(1, "node", u64::from(me)),
    )
}

fn vac(me: NodeId, members: &[NodeId], mode: Mode, delivery: DeliveryMode) -> VacNode {
    let groups = group(members);
    let ctx = NodeContext {
        me,
        groups: &groups,
        delivery: Delivery::from(delivery),
        presence_known: true,
        sharing: &groups,
        seed: 1,
        role: crate::node::Role::Member,
        stores: false,
    };
    VacNode::new(&ctx, mode)
}

fn carrying<D: payload::Dialect>(msgs: Vec<MessageRef>) -> payload::MvdsPayload<D> {
    payload::MvdsPayload {
        messages: msgs,
        ..Default::default()
    }
}

#[test]
fn resends_follow_status_schedule() {
    let mut a = status(0, &[0, 1], true);
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    a.append(
        SimTime(100_000),
        test_message(0, 0, SimTime::ZERO, &[]),
        &mut out,
    );
    // Written in epoch 1 (before the tick at 300 ms): `insertSyncState`
    // files it at epoch 2, sent by the tick at 600 ms.
    assert_eq!(a.sync.timer(), SimTime::from_millis(600));
    let mut now = a.sync.timer();
    let mut sent_at = Vec::new();
    for _ in 0..5 {
        a.handle_timeout(now, &mut out);
        let s = sends(&mut out);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].1.messages.len(), 1);
        sent_at.push(now.as_micros() / 300_000);
        now = a.sync.timer();
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

/// `resend: fixed` (a configuration the sources do not run): every
/// interval plus jitter, however often the state was sent.
#[test]
fn fixed_resends_do_not_back_off() {
    let mut a = status(0, &[0, 1], true);
    a.sync.set_schedule(
        Schedule::status(Some(MAX_SEND_COUNT))
            .with_resend(super::resend::Resend::Fixed { interval_s: 30.0 }),
    );
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    a.append(
        SimTime(100_000),
        test_message(0, 0, SimTime::ZERO, &[]),
        &mut out,
    );
    let mut now = a.sync.timer();
    let mut sent_at = Vec::new();
    for _ in 0..6 {
        a.handle_timeout(now, &mut out);
        assert_eq!(sends(&mut out).len(), 1);
        sent_at.push(now.as_micros() / 300_000);
        now = a.sync.timer();
    }
    for w in sent_at.windows(2) {
        let gap = w[1] - w[0];
        assert!((100..130).contains(&gap), "gap {gap} epochs");
    }
}

#[test]
fn ack_is_sent_once_and_stops_resends() {
    let mut b = status(1, &[0, 1], true);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    let m = test_message(0, 0, SimTime::ZERO, &[]);
    b.handle_payload(SimTime(1), 0, carrying(vec![m]), &mut out);
    let _ = out.drain().count();
    // An ACK goes at the next tick.
    assert_eq!(b.sync.timer(), SimTime::from_millis(300));
    b.handle_timeout(b.sync.timer(), &mut out);
    let s = sends(&mut out);
    assert_eq!(s[0].1.acks, vec![0]);
    assert!(s[0].1.messages.is_empty());
    assert_eq!(b.sync.timer(), SimTime::NEVER, "ACKs are not retransmitted");
}

#[test]
fn mvds_delivers_on_receipt_without_parents() {
    let mut b = status(1, &[0, 1], true);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    // Message 1 names message 0, which node 1 never got.
    let child = test_message(1, 0, SimTime::ZERO, &[0]);
    b.handle_payload(SimTime(5), 0, carrying(vec![child.clone()]), &mut out);
    assert_eq!(delivered(&mut out), vec![1]);
    // Nor does it ask for the parent: the wire has no parents.
    b.handle_timeout(b.sync.timer(), &mut out);
    let s = sends(&mut out);
    assert!(s[0].1.requests.is_empty());
    assert_eq!(
        payload::message_record_len::<status_wire::Status>(&child),
        payload::message_record_len::<status_wire::Status>(&test_message(1, 0, SimTime::ZERO, &[]))
    );
    assert!(!Mvds.capabilities().carries_parents);
}

#[test]
fn max_send_count_deletes_state() {
    let mut a = status(0, &[0, 1], true);
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    a.append(
        SimTime::ZERO,
        test_message(0, 0, SimTime::ZERO, &[]),
        &mut out,
    );
    let mut sent = 0;
    while a.sync.timer() != SimTime::NEVER {
        a.handle_timeout(a.sync.timer(), &mut out);
        sent += sends(&mut out).len();
        assert!(sent <= 16);
    }
    // Sent once and resent 15 times; `Clear(15)` then drops the state.
    assert_eq!(sent, 1 + MAX_SEND_COUNT as usize);
    assert_eq!(a.sync.count(0, 0, Kind::Message), None);
}

#[test]
fn reschedules_pending_on_peer_online() {
    let mut a = status(0, &[0, 1], true);
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    for m in 0..150 {
        a.append(
            SimTime::ZERO,
            test_message(m, 0, SimTime::ZERO, &[]),
            &mut out,
        );
    }
    a.handle_timeout(a.sync.timer(), &mut out);
    let _ = out.drain().count();
    // Sent once at epoch 2: next due at 92..122.
    assert!((92..122).contains(&a.sync.due(0, 0, Kind::Message).unwrap()));
    let now = SimTime::from_secs(3); // epoch 11
    a.handle_link_down(now, 1, &mut out);
    a.handle_link_up(now, 1, &mut out);
    let dues: Vec<u64> = (0..150)
        .map(|m| a.sync.due(0, m, Kind::Message).unwrap())
        .collect();
    // The first 100 move to 11 + uniform(0..60); the rest stay.
    assert!(dues[..100].iter().all(|d| (11..71).contains(d)), "{dues:?}");
    assert!(dues[100..].iter().all(|d| (92..122).contains(d)));
    assert_eq!(
        a.sync.count(0, 0, Kind::Message),
        Some(1),
        "counts unchanged"
    );
}

#[test]
fn reschedules_on_first_payload_when_presence_unknown() {
    let mut a = status(0, &[0, 1], false);
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    a.append(
        SimTime::ZERO,
        test_message(0, 0, SimTime::ZERO, &[]),
        &mut out,
    );
    a.handle_timeout(a.sync.timer(), &mut out);
    let before = a.sync.due(0, 0, Kind::Message).unwrap();
    // Link-up means only "I am online": nothing moves.
    a.handle_link_up(SimTime::from_secs(3), 1, &mut out);
    assert_eq!(a.sync.due(0, 0, Kind::Message), Some(before));
    // A payload from the peer shows it online.
    let ack_other = payload::MvdsPayload {
        acks: vec![99],
        ..Default::default()
    };
    a.handle_payload(SimTime::from_secs(3), 1, ack_other.clone(), &mut out);
    let after = a.sync.due(0, 0, Kind::Message).unwrap();
    assert!((11..71).contains(&after), "{after}");
    // Another within the status-update period changes nothing.
    a.handle_payload(SimTime::from_secs(60), 1, ack_other, &mut out);
    assert_eq!(a.sync.due(0, 0, Kind::Message), Some(after));
}

#[test]
fn mvds_never_relays() {
    let mut b = status(1, &[0, 1, 2], true);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    b.handle_link_up(SimTime::ZERO, 2, &mut out);
    let _ = out.drain().count();
    let m = test_message(0, 0, SimTime::ZERO, &[]);
    b.handle_payload(SimTime(1), 0, carrying(vec![m]), &mut out);
    let mut sent = sends(&mut out);
    while b.sync.timer() != SimTime::NEVER {
        b.handle_timeout(b.sync.timer(), &mut out);
        sent.extend(sends(&mut out));
    }
    // Something was sent (the ACK), so "nothing relayed" is not vacuous.
    assert!(
        sent.iter().any(|(to, p)| *to == 0 && p.acks == [0]),
        "the message is acked to its sender"
    );
    for (to, p) in &sent {
        assert_eq!(*to, 0, "only the ACK to the sender, nothing to node 2");
        assert!(p.messages.is_empty() && p.offers.is_empty(), "no relay");
    }
}

#[test]
fn status_ignores_offer_for_held_message() {
    let mut a = status(0, &[0, 1], true);
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    a.append(
        SimTime::ZERO,
        test_message(0, 0, SimTime::ZERO, &[]),
        &mut out,
    );
    let offer = payload::MvdsPayload {
        offers: vec![0, 5],
        ..Default::default()
    };
    a.handle_payload(SimTime(1), 1, offer, &mut out);
    assert!(!a.sync.has(0, 0, Kind::Ack), "held: not acked");
    assert!(!a.sync.has(0, 0, Kind::Request));
    assert!(a.sync.has(0, 5, Kind::Request), "lacking: requested");
}

#[test]
fn request_is_answered_with_the_message() {
    let mut a = status(0, &[0, 1], true);
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    a.append(
        SimTime::ZERO,
        test_message(0, 0, SimTime::ZERO, &[]),
        &mut out,
    );
    a.handle_timeout(a.sync.timer(), &mut out);
    let _ = out.drain().count();
    let req = payload::MvdsPayload {
        requests: vec![0],
        ..Default::default()
    };
    // The MESSAGE state exists (waiting for its resend): INSERT OR IGNORE
    // leaves it as it is.
    let due = a.sync.due(0, 0, Kind::Message);
    a.handle_payload(SimTime::from_secs(1), 1, req, &mut out);
    assert_eq!(a.sync.due(0, 0, Kind::Message), due);
}

/// Drives two or three nodes to quiescence over perfect links, returning
/// what each delivered.
fn exchange(nodes: &mut [VacNode], rounds: usize) -> Vec<Vec<MsgId>> {
    let mut got = vec![Vec::new(); nodes.len()];
    let mut out = Outbox::new();
    for _ in 0..rounds {
        let Some(now) = nodes.iter().map(|n| n.sync_timer()).min() else {
            break;
        };
        if now == SimTime::NEVER {
            break;
        }
        let mut wire = Vec::new();
        for (k, n) in nodes.iter_mut().enumerate() {
            if n.sync_timer() == now {
                n.handle_timeout(now, &mut out);
                for (to, p) in sends(&mut out) {
                    wire.push((k as NodeId, to, p));
                }
            }
        }
        for (from, to, p) in wire {
            nodes[to as usize].handle_payload(now, from, p, &mut out);
            got[to as usize].extend(delivered(&mut out));
        }
    }
    got
}

fn vac_trio(mode: Mode) -> Vec<VacNode> {
    let mut out = Outbox::new();
    let mut nodes: Vec<VacNode> = (0..3)
        .map(|v| vac(v, &[0, 1, 2], mode, DeliveryMode::Consistent))
        .collect();
    // Node 0 reaches node 1 only; node 1 reaches both.
    nodes[0].handle_link_up(SimTime::ZERO, 1, &mut out);
    nodes[1].handle_link_up(SimTime::ZERO, 0, &mut out);
    nodes[1].handle_link_up(SimTime::ZERO, 2, &mut out);
    nodes[2].handle_link_up(SimTime::ZERO, 1, &mut out);
    nodes
}

#[test]
fn mvds_vac_relays_to_group() {
    for mode in [Mode::Batch, Mode::Interactive] {
        let mut nodes = vac_trio(mode);
        let mut out = Outbox::new();
        nodes[0].append(
            SimTime::ZERO,
            test_message(0, 0, SimTime::ZERO, &[]),
            &mut out,
        );
        let got = exchange(&mut nodes, 200);
        assert_eq!(got[1], vec![0], "{mode:?}");
        assert_eq!(got[2], vec![0], "{mode:?}: node 2 gets it through node 1");
    }
}

#[test]
fn mvds_vac_interactive_offers_then_sends_requested() {
    let mut a = vac(0, &[0, 1], Mode::Interactive, DeliveryMode::Consistent);
    let mut out = Outbox::new();
    a.handle_link_up(SimTime::ZERO, 1, &mut out);
    a.append(
        SimTime::ZERO,
        test_message(0, 0, SimTime::ZERO, &[]),
        &mut out,
    );
    a.handle_timeout(a.sync_timer(), &mut out);
    let s = sends(&mut out);
    assert_eq!((s[0].1.offers.clone(), s[0].1.messages.len()), (vec![0], 0));
    let req = payload::MvdsPayload {
        requests: vec![0],
        ..Default::default()
    };
    a.handle_payload(SimTime::from_secs(1), 1, req, &mut out);
    a.handle_timeout(a.sync_timer(), &mut out);
    let s = sends(&mut out);
    assert_eq!(s[0].1.messages.len(), 1);
}

#[test]
fn mvds_vac_ignores_offer_for_held_message() {
    let mut b = vac(1, &[0, 1], Mode::Interactive, DeliveryMode::Consistent);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    let m = test_message(0, 0, SimTime::ZERO, &[]);
    b.handle_payload(SimTime(1), 0, carrying(vec![m]), &mut out);
    b.handle_timeout(b.sync_timer(), &mut out);
    let _ = out.drain().count();
    let offer = payload::MvdsPayload {
        offers: vec![0],
        ..Default::default()
    };
    b.handle_payload(SimTime::from_secs(1), 0, offer, &mut out);
    assert_eq!(b.sync_timer(), SimTime::NEVER, "no ACK, no REQUEST");
}

#[test]
fn mvds_vac_requests_missing_parents_from_sender() {
    let mut b = vac(1, &[0, 1], Mode::Batch, DeliveryMode::Consistent);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    let child = test_message(1, 0, SimTime::ZERO, &[0]);
    b.handle_payload(SimTime(1), 0, carrying(vec![child]), &mut out);
    assert!(
        delivered(&mut out).is_empty(),
        "consistent: waits for its parent"
    );
    let mut now = b.sync_timer();
    let mut asked = false;
    while now != SimTime::NEVER && now < SimTime::from_secs(2) {
        b.handle_timeout(now, &mut out);
        asked |= sends(&mut out).iter().any(|(_, p)| p.requests == vec![0]);
        now = b.sync_timer();
    }
    assert!(asked, "the missing parent is requested from the sender");
    b.handle_payload(
        now,
        0,
        carrying(vec![test_message(0, 0, SimTime::ZERO, &[])]),
        &mut out,
    );
    assert_eq!(delivered(&mut out), vec![0, 1]);
}

#[test]
fn mvds_vac_keeps_sync_delivery() {
    let mut b = vac(1, &[0, 1], Mode::Batch, DeliveryMode::Eventual);
    let mut out = Outbox::new();
    b.handle_link_up(SimTime::ZERO, 0, &mut out);
    let child = test_message(1, 0, SimTime::ZERO, &[0]);
    b.handle_payload(SimTime(1), 0, carrying(vec![child]), &mut out);
    assert_eq!(delivered(&mut out), vec![1], "eventual: on receipt");
}
