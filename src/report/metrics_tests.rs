//! The contribution, exposure, order and DAG figures on worlds of 3–5
//! nodes fed to the recorder by hand, each answer computed by hand.

use super::recorder::{EndOfRun, Recorder, Sent, MAX_RECORD_KINDS};
use super::service::NodeKind;
use super::summary::{RunInfo, RunReport};
use crate::sim::hash::{fnv_words, FNV_OFFSET};
use crate::sim::message::{GroupId, Message, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;

/// Every MESSAGE record weighs 100 bytes in these worlds.
fn hundred(_: &MessageRef) -> usize {
    100
}

const ZERO: [u64; MAX_RECORD_KINDS] = [0; MAX_RECORD_KINDS];

fn send(r: &mut Recorder, from: NodeId, bytes: u64, messages: &[MessageRef], causal: u64) {
    r.on_send(Sent {
        from,
        bytes,
        bytes_by_kind: &ZERO,
        records_by_kind: &ZERO,
        messages,
        message_record_len: hundred,
        causal_bytes: causal,
    });
}

fn msg(id: MsgId, group: GroupId, sender: NodeId, at_ms: u64, parents: &[MsgId]) -> MessageRef {
    MessageRef::new(Message {
        id,
        group,
        sender,
        created: SimTime::from_micros(at_ms * 1000),
        body_len: 10,
        parents: parents.to_vec(),
    })
}

fn finish(r: Recorder, nodes: u32, secs: u64) -> RunReport {
    let info = RunInfo {
        scenario: "t".into(),
        strategy: "t".into(),
        seed: 1,
        nodes,
        duration: SimTime::from_secs(secs),
    };
    let end = EndOfRun {
        in_flight: 0,
        holds: &|_, _| true,
        convergence: None,
    };
    r.finish(info, end)
}

/// Group g = {0, 1, 2}, group h = {1, 2}; node 3 is in no group and
/// relays. Node 0's message reaches 3 from 0 itself, which relays it to 1
/// and 2; node 1's message in h reaches 3 through 2.
#[test]
fn a_nonmember_relay_serves_most_bytes() {
    let mut r = Recorder::new(
        vec![vec![0, 1, 2], vec![1, 2]],
        vec!["g".into(), "h".into()],
        vec![],
    );
    use NodeKind::{Member, NonMember};
    r.set_nodes(vec![Member, Member, Member, NonMember], false);
    let (m0, m1) = (msg(0, 0, 0, 1000, &[]), msg(1, 1, 1, 1000, &[]));
    r.on_create(m0.clone());
    r.on_create(m1.clone());
    let at = SimTime::from_secs(2);
    let one = |m: &MessageRef| vec![m.clone()];
    send(&mut r, 0, 120, &one(&m0), 0); // author 120
    r.on_arrival(0, 3, &one(&m0), 120, at);
    for to in [1, 2] {
        send(&mut r, 3, 120, &one(&m0), 0); // non-member 2 × 120
        r.on_arrival(3, to, &one(&m0), 120, at);
    }
    send(&mut r, 1, 10, &[], 0); // an ack: member 10
    send(&mut r, 2, 100, &one(&m1), 0); // member (h's co-member) 100
    r.on_arrival(2, 3, &one(&m1), 100, at);
    r.on_online(0, SimTime::ZERO, true);
    r.on_online(0, SimTime::from_secs(5), false);
    let rep = finish(r, 4, 10);
    let s = &rep.summary;
    assert_eq!(s.bytes_sent_total, 470);
    let roles: Vec<u64> = s.bytes_by_role.iter().map(|(_, v)| v).collect();
    assert_eq!(
        roles,
        vec![120, 110, 240, 0],
        "author, member, nonmember, store"
    );
    assert_eq!(s.nonmember_byte_share, Some(240.0 / 470.0), "over half");
    assert_eq!(s.store_byte_share, Some(0.0));
    // Members' service: 0, 10, 100 → 110² / (3 · (100 + 10,000)).
    let jain = 110.0 * 110.0 / (3.0 * 10_100.0);
    assert!((s.service_fairness.unwrap() - jain).abs() < 1e-12);
    // g: node 3 exposed and linking (it got m0 from its author); h: node
    // 3 exposed only (m1 came through 2).
    assert_eq!((s.exposed_nodes_mean, s.exposed_nodes_max), (Some(1.0), 1));
    assert_eq!((s.linking_nodes_mean, s.linking_nodes_max), (Some(0.5), 1));
    let n3 = &rep.nodes[3];
    assert_eq!(
        (n3.role, n3.bytes_sent, n3.bytes_received),
        ("nonmember", [0, 0, 240, 0], 220)
    );
    let n0 = &rep.nodes[0];
    assert_eq!((n0.online_fraction, n0.messages_authored), (0.5, 1));
    assert_eq!(rep.nodes[1].deliveries_received, 0, "nothing was delivered");
}

/// When the wire names the author, every outside receiver can link.
#[test]
fn a_wire_naming_the_author_links_every_outside_receiver() {
    let mut r = Recorder::new(vec![vec![0, 1]], vec!["g".into()], vec![]);
    use NodeKind::{Member, NonMember};
    r.set_nodes(vec![Member, Member, NonMember], true);
    let m0 = msg(0, 0, 0, 1000, &[]);
    r.on_create(m0.clone());
    r.on_arrival(1, 2, std::slice::from_ref(&m0), 50, SimTime::from_secs(2));
    let s = finish(r, 3, 10).summary;
    assert_eq!((s.exposed_nodes_max, s.linking_nodes_max), (1, 1));
}

/// Control bytes split in proportion to the message bytes, the rounding
/// remainder to the first message's role; a store's relaying is `store`.
#[test]
fn control_bytes_split_pro_rata_and_stores_serve() {
    let mut r = Recorder::new(vec![vec![0, 1, 2]], vec!["g".into()], vec![]);
    use NodeKind::{Member, Store};
    r.set_nodes(vec![Member, Member, Member, Store], false);
    let (m0, m1) = (msg(0, 0, 0, 1000, &[]), msg(1, 0, 1, 1000, &[]));
    r.on_create(m0.clone());
    r.on_create(m1.clone());
    // Node 1 relays m0 (member) and sends its own m1 (author): 200 bytes
    // of records, 51 of control and overhead → 25 each, 1 to member.
    send(&mut r, 1, 251, &[m0.clone(), m1.clone()], 0);
    send(&mut r, 3, 140, std::slice::from_ref(&m0), 64); // store 140
    let s = finish(r, 4, 10).summary;
    let roles: Vec<u64> = s.bytes_by_role.iter().map(|(_, v)| v).collect();
    assert_eq!(roles, vec![125, 126, 0, 140]);
    assert_eq!(s.store_byte_share, Some(140.0 / 391.0));
    assert_eq!(s.causal_bytes, 64);
    assert_eq!(s.causal_byte_share, Some(64.0 / 391.0));
}

/// Node 0 writes a question (1 s) and its reply (2 s); members 1 and 2
/// each get the reply first (no causal blocking): each shows the
/// question above the reply it already showed, two reorders in all.
#[test]
fn a_late_parent_causes_exactly_two_reorders() {
    let mut r = Recorder::new(vec![vec![0, 1, 2]], vec!["g".into()], vec![]);
    let (q, a) = (msg(0, 0, 0, 1000, &[]), msg(1, 0, 0, 2000, &[0]));
    r.on_create(q);
    r.on_create(a);
    for v in [1, 2] {
        r.on_deliver(v, 1, SimTime::from_secs(3));
        r.on_deliver(v, 0, SimTime::from_secs(4));
    }
    let s = finish(r, 3, 10).summary;
    assert_eq!(s.reorders, 2);
    assert_eq!(s.reorders_per_delivery, Some(0.5));
    assert_eq!(s.delivered_before_parent, 2);
    assert_eq!(s.order_agreement, Some(1.0), "all end with question, reply");
}

/// In order, nothing moves; a concurrent older message arriving late
/// goes above the newer one (one reorder), with no parent involved.
#[test]
fn an_older_concurrent_message_shown_late_is_a_reorder() {
    let mut r = Recorder::new(vec![vec![0, 1, 2]], vec!["g".into()], vec![]);
    r.on_create(msg(0, 0, 0, 1000, &[]));
    r.on_deliver(1, 0, SimTime::from_micros(1_500_000)); // 1: [0]
    r.on_create(msg(1, 0, 1, 2000, &[])); // 1: [0, 1]: in order
    r.on_deliver(2, 1, SimTime::from_secs(3));
    r.on_deliver(2, 0, SimTime::from_secs(4)); // 2: 0 goes above 1
    r.on_deliver(0, 1, SimTime::from_secs(4)); // 0: [0, 1]: in order
    let s = finish(r, 3, 10).summary;
    assert_eq!(s.reorders, 1);
    assert_eq!(s.order_agreement, Some(1.0));
}

/// The id hash of message `id` (the order's tie-break).
fn h(id: MsgId) -> u64 {
    fnv_words(FNV_OFFSET, &[u64::from(id)])
}

/// Three messages of one second, `a`, its child `b` and a root `c`, with
/// ids whose hashes sort b < c < a. Member 1 shows b without its parent,
/// then c: [b, c]. Member 2 shows a, b, c: Kahn puts c first (ready with
/// a, smaller), [c, a, b]. The author shows the same as member 2. Of the
/// three pairs, the two with member 1 disagree on b and c.
#[test]
fn members_missing_a_parent_disagree_on_the_order() {
    let k = (0..1000)
        .find(|&k| h(k + 1) < h(k + 2) && h(k + 2) < h(k))
        .expect("some ids hash in that order");
    // Fillers of another group take ids 0..k.
    let mut r = Recorder::new(
        vec![vec![0, 1, 2], vec![0]],
        vec!["g".into(), "x".into()],
        vec![],
    );
    for i in 0..k {
        r.on_create(msg(i, 1, 0, u64::from(i) * 1000, &[])); // in order
    }
    let (a, b, c) = (k, k + 1, k + 2);
    let at = u64::from(k + 10) * 1000;
    r.on_create(msg(a, 0, 0, at, &[]));
    r.on_create(msg(b, 0, 0, at + 100, &[a]));
    r.on_create(msg(c, 0, 0, at + 200, &[]));
    let t = SimTime::from_secs(u64::from(k) + 11);
    r.on_deliver(1, b, t);
    r.on_deliver(1, c, t);
    for m in [a, b, c] {
        r.on_deliver(2, m, t);
    }
    let s = finish(r, 3, u64::from(k) + 20).summary;
    assert_eq!(s.order_agreement, Some(1.0 / 3.0));
    // Member 2's c went above a and b; the author's too; member 1's b was
    // shown last each time.
    assert_eq!(s.reorders, 2);
}

/// Two concurrent roots, then a merge: heads 1, 2, 1.
#[test]
fn dag_shape_is_measured() {
    let mut r = Recorder::new(vec![vec![0, 1, 2]], vec!["g".into()], vec![]);
    r.on_create(msg(0, 0, 0, 1000, &[]));
    r.on_create(msg(1, 0, 1, 1500, &[]));
    r.on_create(msg(2, 0, 2, 3000, &[0, 1]));
    let s = finish(r, 3, 5).summary;
    assert_eq!((s.parents_mean, s.parents_max), (Some(2.0 / 3.0), 2));
    assert_eq!(s.heads_max, 2);
    // 1 head for 0.5 s, 2 for 1.5 s, 1 for 2 s, over 4 s.
    assert_eq!(s.heads_mean, Some(5.5 / 4.0));
    assert_eq!(s.dag_depth_max, 2);
}
