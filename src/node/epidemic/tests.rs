//! Epidemic routers driven by hand: summaries, what goes once per
//! exchange, anti-entropy, presence, buffer limits; and the config
//! section's checks.
//!
//! Imports `sim/` and `node/` only.

use super::wire::Payload;
use super::{Epidemic, EpidemicConfig, EpidemicNode};
use crate::node::util::relay_buffer::Limits;
use crate::node::{Command, Node, Outbox};
use crate::sim::message::{test_message, MsgId, NodeId};
use crate::sim::time::SimTime;

fn config(presence_known: bool) -> EpidemicConfig {
    EpidemicConfig {
        delivery: crate::node::store::DeliveryMode::Consistent.into(),
        presence_known,
        anti_entropy: SimTime::from_secs(300),
        limits: Limits::default(),
    }
}

fn known() -> EpidemicConfig {
    config(true)
}

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
    let mut a = EpidemicNode::new(&[], known());
    let mut b = EpidemicNode::new(&[(0, vec![1, 2].into())], known());
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

/// `a` holds message 4 (a relay's); `a` and `b` (members) are linked
/// and have swapped summaries; returns `a`'s payload to `b`.
fn linked_pair(out: &mut Outbox<Payload>) -> (EpidemicNode, EpidemicNode, Payload) {
    let mut a = EpidemicNode::new(&[], known());
    let mut b = EpidemicNode::new(&[(0, vec![1, 2].into())], known());
    a.append(SimTime(0), test_message(4, 2, SimTime::ZERO, &[]), out);
    a.handle_link_up(SimTime(1), 1, out);
    b.handle_link_up(SimTime(1), 0, out);
    let _ = out.drain().count();
    a.handle_timeout(SimTime(1), out);
    let sa = sends(out);
    b.handle_timeout(SimTime(1), out);
    let sb = sends(out);
    b.handle_payload(SimTime(2), 0, sa[0].1.clone(), out);
    a.handle_payload(SimTime(2), 1, sb[0].1.clone(), out);
    let _ = out.drain().count();
    a.handle_timeout(SimTime(2), out);
    let sa = sends(out);
    assert_eq!(sa[0].1.messages.len(), 1, "the message `b` lacks");
    (a, b, sa[0].1.clone())
}

#[test]
fn sending_does_not_mark_the_peer_as_holding() {
    let mut out = Outbox::new();
    // The message is lost on the way; the contact goes down and up.
    let (mut a, mut b, _lost) = linked_pair(&mut out);
    a.handle_link_down(SimTime(3), 1, &mut out);
    b.handle_link_down(SimTime(3), 0, &mut out);
    a.handle_link_up(SimTime(10), 1, &mut out);
    b.handle_link_up(SimTime(10), 0, &mut out);
    let _ = out.drain().count();
    b.handle_timeout(SimTime(10), &mut out);
    let sb = sends(&mut out);
    assert_eq!(sb[0].1.summary, Some(vec![]), "b still lacks it");
    a.handle_payload(SimTime(11), 1, sb[0].1.clone(), &mut out);
    let _ = out.drain().count();
    a.handle_timeout(SimTime(11), &mut out);
    let sa = sends(&mut out);
    let resent: Vec<MsgId> = sa
        .iter()
        .flat_map(|(_, p)| p.messages.iter().map(|m| m.id))
        .collect();
    assert_eq!(resent, vec![4], "resent at the next exchange");
}

#[test]
fn a_message_goes_once_per_exchange() {
    let mut out = Outbox::new();
    let (mut a, _b, _) = linked_pair(&mut out);
    // Another copy reaches `a` from elsewhere: not sent again to `b`
    // before `b`'s next summary.
    a.handle_payload(
        SimTime(3),
        9,
        Payload {
            messages: vec![test_message(4, 2, SimTime::ZERO, &[])],
            ..Payload::default()
        },
        &mut out,
    );
    let _ = out.drain().count();
    a.handle_timeout(SimTime(3), &mut out);
    assert!(sends(&mut out).iter().all(|(to, _)| *to != 1));
}

#[test]
fn a_peer_holds_what_it_sent_us() {
    let mut out = Outbox::new();
    let (mut a, _b, _) = linked_pair(&mut out);
    // `b` sends `a` message 5: `a` must not send it back.
    let m5 = test_message(5, 1, SimTime(2), &[]);
    a.handle_payload(
        SimTime(3),
        1,
        Payload {
            messages: vec![m5],
            ..Payload::default()
        },
        &mut out,
    );
    let _ = out.drain().count();
    a.handle_timeout(SimTime(3), &mut out);
    assert!(sends(&mut out).iter().all(|(to, _)| *to != 1));
}

fn summaries(sent: &[(NodeId, Payload)]) -> usize {
    sent.iter().filter(|(_, p)| p.summary.is_some()).count()
}

#[test]
fn crossing_summaries_under_known_presence_are_not_answered() {
    let mut out = Outbox::new();
    let mut a = EpidemicNode::new(&[], known());
    let mut b = EpidemicNode::new(&[], known());
    a.handle_link_up(SimTime(1), 1, &mut out);
    b.handle_link_up(SimTime(1), 0, &mut out);
    a.handle_timeout(SimTime(1), &mut out);
    let sa = sends(&mut out);
    b.handle_timeout(SimTime(1), &mut out);
    let sb = sends(&mut out);
    a.handle_payload(SimTime(2), 1, sb[0].1.clone(), &mut out);
    b.handle_payload(SimTime(2), 0, sa[0].1.clone(), &mut out);
    a.handle_timeout(SimTime(2), &mut out);
    b.handle_timeout(SimTime(2), &mut out);
    assert_eq!(summaries(&sends(&mut out)), 0);
}

#[test]
fn unknown_presence_answers_the_summary_of_a_peer_that_came_online_later() {
    let mut out = Outbox::new();
    let mut a = EpidemicNode::new(&[(0, vec![0, 1].into())], config(false));
    let mut b = EpidemicNode::new(&[(0, vec![0, 1].into())], config(false));
    // `a` comes online first: its summary goes nowhere.
    a.handle_link_up(SimTime(0), 1, &mut out);
    a.handle_timeout(SimTime(0), &mut out);
    assert_eq!(summaries(&sends(&mut out)), 1);
    // `b` comes online at 50 s; its summary reaches `a`, which answers.
    b.handle_link_up(SimTime::from_secs(50), 0, &mut out);
    b.handle_timeout(SimTime::from_secs(50), &mut out);
    let sb = sends(&mut out);
    a.handle_payload(SimTime::from_secs(51), 1, sb[0].1.clone(), &mut out);
    a.handle_timeout(SimTime::from_secs(51), &mut out);
    let sa = sends(&mut out);
    assert_eq!(summaries(&sa), 1, "a answers");
    // `b`'s own summary was sent blind: it answers once, then no more.
    b.handle_payload(SimTime::from_secs(52), 0, sa[0].1.clone(), &mut out);
    b.handle_timeout(SimTime::from_secs(52), &mut out);
    let sb = sends(&mut out);
    assert_eq!(summaries(&sb), 1, "b answers once");
    a.handle_payload(SimTime::from_secs(53), 1, sb[0].1.clone(), &mut out);
    a.handle_timeout(SimTime::from_secs(53), &mut out);
    assert_eq!(summaries(&sends(&mut out)), 0, "no ping-pong");
    // Now `b` knows what `a` lacks: its new message goes at once.
    b.append(
        SimTime::from_secs(60),
        test_message(7, 1, SimTime::from_secs(60), &[]),
        &mut out,
    );
    b.handle_timeout(SimTime::from_secs(60), &mut out);
    let sb = sends(&mut out);
    assert_eq!(sb[0].1.messages.len(), 1);
    a.handle_payload(SimTime::from_secs(61), 1, sb[0].1.clone(), &mut out);
    assert!(out.drain().any(|c| c == Command::Deliver { msg: 7 }));
}

#[test]
fn anti_entropy_sends_the_summary_again_every_interval() {
    let mut out = Outbox::new();
    let (mut a, _b, _lost) = linked_pair(&mut out);
    let interval = SimTime::from_secs(300);
    a.handle_timeout(SimTime(3), &mut out);
    let timers: Vec<SimTime> = out
        .drain()
        .filter_map(|c| match c {
            Command::SetTimer { at } => Some(at),
            _ => None,
        })
        .collect();
    assert_eq!(timers.last(), Some(&(SimTime(1) + interval)), "next round");
    a.handle_timeout(SimTime(1) + interval, &mut out);
    let sa = sends(&mut out);
    assert_eq!(summaries(&sa), 1);
    // `b`'s summary of the new round still lacks the lost message.
    a.handle_payload(
        SimTime(2) + interval,
        1,
        Payload {
            summary: Some(vec![]),
            ..Payload::default()
        },
        &mut out,
    );
    a.handle_timeout(SimTime(2) + interval, &mut out);
    let sa = sends(&mut out);
    assert_eq!(summaries(&sa), 0, "a round a sent is not answered");
    assert_eq!(sa[0].1.messages.len(), 1, "the lost message goes again");
}

#[test]
fn anti_entropy_interval_must_be_a_positive_duration() {
    use crate::node::strategy::parse_config;
    let parse = |v: serde_json::Value| parse_config(&Epidemic, Some(&v));
    assert_eq!(parse(serde_json::json!({})).unwrap().anti_entropy_s, 300.0);
    for bad in [0.0, -1.0, 1e-7] {
        let e = parse(serde_json::json!({ "anti_entropy_s": bad })).unwrap_err();
        assert_eq!(e.path, "anti_entropy_s", "{bad}");
    }
    let e = parse(serde_json::json!({ "anti_entropy": 5 })).unwrap_err();
    assert!(e.message.contains("unknown field"), "{e}");
}

fn limited(bytes: Option<u64>, ttl_s: Option<u64>) -> EpidemicConfig {
    EpidemicConfig {
        limits: Limits {
            bytes,
            ttl: ttl_s.map(SimTime::from_secs),
        },
        ..known()
    }
}

fn carrying(ids: &[MsgId], created: SimTime) -> Payload {
    Payload {
        messages: ids
            .iter()
            .map(|&id| test_message(id, 9, created, &[]))
            .collect(),
        ..Payload::default()
    }
}

fn dropped(out: &mut Outbox<Payload>) -> Vec<MsgId> {
    out.drain()
        .filter_map(|c| match c {
            Command::Dropped { msg, .. } => Some(msg),
            _ => None,
        })
        .collect()
}

#[test]
fn a_full_buffer_drops_the_oldest_and_says_so() {
    // test_message bodies are small; room for two of them.
    let body = u64::from(test_message(0, 9, SimTime::ZERO, &[]).body_len);
    let mut a = EpidemicNode::new(&[], limited(Some(2 * body), None));
    let mut out = Outbox::new();
    a.handle_payload(SimTime(1), 9, carrying(&[5], SimTime::ZERO), &mut out);
    a.handle_payload(SimTime(2), 9, carrying(&[3], SimTime::ZERO), &mut out);
    assert!(dropped(&mut out).is_empty());
    a.handle_payload(SimTime(3), 9, carrying(&[4], SimTime::ZERO), &mut out);
    assert_eq!(dropped(&mut out), vec![5], "the one received first");
    assert!(!a.holds(5) && a.holds(3) && a.holds(4));
    // Its summary no longer lists it, so a peer would send it again.
    a.handle_link_up(SimTime(4), 1, &mut out);
    let _ = out.drain().count();
    a.handle_timeout(SimTime(4), &mut out);
    assert_eq!(sends(&mut out)[0].1.summary, Some(vec![3, 4]));
}

#[test]
fn expired_messages_are_dropped_and_not_taken_in() {
    let mut a = EpidemicNode::new(&[], limited(None, Some(100)));
    let mut out = Outbox::new();
    a.handle_payload(
        SimTime::from_secs(10),
        9,
        carrying(&[1], SimTime::ZERO),
        &mut out,
    );
    a.handle_timeout(SimTime::from_secs(10), &mut out);
    assert!(dropped(&mut out).is_empty());
    a.handle_timeout(SimTime::from_secs(120), &mut out);
    assert_eq!(dropped(&mut out), vec![1]);
    // Written at 0, arriving at 150 s: past its TTL, a relay refuses it.
    a.handle_payload(
        SimTime::from_secs(150),
        9,
        carrying(&[2], SimTime::ZERO),
        &mut out,
    );
    assert!(!a.holds(2));
}

#[test]
fn with_limits_a_new_summary_replaces_the_old() {
    let body = u64::from(test_message(0, 9, SimTime::ZERO, &[]).body_len);
    let mut a = EpidemicNode::new(&[], limited(Some(10 * body), None));
    let mut out = Outbox::new();
    a.handle_payload(SimTime(1), 9, carrying(&[4], SimTime::ZERO), &mut out);
    a.handle_link_up(SimTime(2), 1, &mut out);
    let summary = |ids: Vec<MsgId>| Payload {
        summary: Some(ids),
        ..Payload::default()
    };
    // The peer holds 4: nothing to send.
    a.handle_payload(SimTime(3), 1, summary(vec![4]), &mut out);
    let _ = out.drain().count();
    a.handle_timeout(SimTime(3), &mut out);
    assert!(sends(&mut out).iter().all(|(_, p)| p.messages.is_empty()));
    // It dropped 4 since: its next summary says so, and 4 goes again.
    a.handle_payload(SimTime(4), 1, summary(vec![]), &mut out);
    let _ = out.drain().count();
    a.handle_timeout(SimTime(4), &mut out);
    let s = sends(&mut out);
    assert_eq!(s[0].1.messages.len(), 1);
    assert_eq!(s[0].1.messages[0].id, 4);
}

#[test]
fn buffer_settings_are_checked() {
    use crate::node::strategy::parse_config;
    let parse = |v: serde_json::Value| parse_config(&Epidemic, Some(&v));
    let e = parse(serde_json::json!({ "drop_policy": "random" })).unwrap_err();
    assert_eq!(e.path, "drop_policy");
    let e = parse(serde_json::json!({ "buffer_bytes": 0 })).unwrap_err();
    assert_eq!(e.path, "buffer_bytes");
    let e = parse(serde_json::json!({ "ttl_s": 0 })).unwrap_err();
    assert_eq!(e.path, "ttl_s");
    let c = parse(serde_json::json!({ "buffer_bytes": 200000, "ttl_s": 10740 })).unwrap();
    assert_eq!((c.buffer_bytes, c.ttl_s), (Some(200000), Some(10740.0)));
}
