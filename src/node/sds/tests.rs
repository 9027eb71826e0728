//! SDS nodes driven by hand: payloads handed over one by one, commands
//! and byte counts checked exactly.

use super::node::{Key, SdsNode};
use super::wire::{kind, Payload, Role};
use super::{Periods, RepairHash, SdsConfig, SyncMode};
use crate::node::store::{Delivery, DeliveryMode};
use crate::node::strategy::{NodeContext, WirePayload};
use crate::node::{Command, Node, Outbox};
use crate::sim::message::{test_message, GroupId, Members, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use std::rc::Rc;

fn s(x: f64) -> SimTime {
    SimTime::from_secs_f64(x)
}

/// Config for hand-driven tests: no sync messages, no store queries and
/// no SDS-R unless a test turns them on.
fn quiet() -> SdsConfig {
    SdsConfig {
        sync: SyncMode::Off,
        store_query_interval_s: None,
        repair: false,
        ..SdsConfig::default()
    }
}

fn nodes(n: u32, c: &SdsConfig) -> Vec<SdsNode> {
    let members: Members = (0..n).collect::<Vec<NodeId>>().into();
    let groups: Vec<(GroupId, Members)> = vec![(0, members)];
    let periods: Periods = c.periods().unwrap();
    (0..n)
        .map(|me| {
            let ctx = NodeContext {
                me,
                groups: &groups,
                sharing: &groups,
                delivery: Delivery {
                    mode: DeliveryMode::Consistent,
                    max_wait: None,
                },
                presence_known: true,
                seed: 7,
                role: crate::node::Role::Member,
                stores: true,
            };
            SdsNode::new(c, periods, &ctx)
        })
        .collect()
}

fn cmds(out: &mut Outbox<Payload>) -> Vec<Command<Payload>> {
    out.drain().collect()
}

fn published(cmds: &[Command<Payload>]) -> Vec<Payload> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Publish { payload, .. } => Some(payload.clone()),
            _ => None,
        })
        .collect()
}

fn delivered(cmds: &[Command<Payload>]) -> Vec<(MsgId, bool)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Deliver { msg } => Some((*msg, true)),
            Command::DeliverUnverified { msg } => Some((*msg, false)),
            _ => None,
        })
        .collect()
}

/// `node` writes message `id` at `now` (parents: its heads); returns
/// what it published.
fn write(node: &mut SdsNode, id: MsgId, me: NodeId, now: SimTime) -> Payload {
    let mut out = Outbox::new();
    let m: MessageRef = test_message(id, me, now, &node.heads(0));
    node.append(now, m, &mut out);
    let p = published(&cmds(&mut out));
    assert_eq!(p.len(), 1);
    p[0].clone()
}

/// Hands `p` to `node` at `now`; returns its commands.
fn hand(node: &mut SdsNode, p: &Payload, now: SimTime) -> Vec<Command<Payload>> {
    let mut out = Outbox::new();
    node.handle_payload(now, p.frame.sender, p.clone(), &mut out);
    cmds(&mut out)
}

fn tick(node: &mut SdsNode, now: SimTime) -> Vec<Command<Payload>> {
    let mut out = Outbox::new();
    node.handle_timeout(now, &mut out);
    cmds(&mut out)
}

/// Sizes of a default content message with a 10-byte body, by hand
/// (spec numbering): sender, id, channel 3 · 66; lamport 1 + 6; content
/// 2 + 1 + 10 = 218; each history entry 1 + 1 + (66 + 34) = 102, with
/// SDS-R's sender 1 + 2 + (66 + 34 + 66) = 169; bloom 1 + 3 + 18,752 =
/// 18,756.
const BARE: u64 = 218;
const ENTRY: u64 = 102;
const ENTRY_SDSR: u64 = 169;
const BLOOM: u64 = 18_756;

#[test]
fn acked_by_causal_history() {
    let mut n = nodes(2, &quiet());
    let p0 = write(&mut n[0], 0, 0, s(1.0));
    let by = p0.encoded_len_by_kind();
    assert_eq!((by[kind::MESSAGE], by[kind::BLOOM]), (BARE, BLOOM));
    // The bloom filter went out before the sender put its own id in.
    assert_eq!(p0.frame.bloom.as_ref().unwrap().ones(), 0);
    assert_eq!(n[0].timers().get(Key::Resend(0, 0)), Some(s(31.0)));
    assert_eq!(delivered(&hand(&mut n[1], &p0, s(1.1))), vec![(0, true)]);
    let p1 = write(&mut n[1], 1, 1, s(2.0));
    assert_eq!(p1.frame.history.len(), 1);
    assert_eq!(p1.encoded_len_by_kind()[kind::MESSAGE], BARE + ENTRY);
    assert_eq!(p1.frame.bloom.as_ref().unwrap().ones(), 10);
    hand(&mut n[0], &p1, s(2.1));
    assert_eq!(n[0].timers().get(Key::Resend(0, 0)), None);
    // Nothing is resent at 31 s.
    assert!(published(&tick(&mut n[0], s(31.0))).is_empty());
}

/// With no causal history (length 0) only bloom filters acknowledge:
/// js's two hits, nim's one.
#[test]
fn acked_by_two_bloom_hits() {
    for (threshold, acked_after) in [(2, 2), (1, 1)] {
        let c = SdsConfig {
            history_len: 0,
            possible_acks_threshold: threshold,
            ..quiet()
        };
        let mut n = nodes(3, &c);
        let p0 = write(&mut n[0], 0, 0, s(1.0));
        hand(&mut n[1], &p0, s(1.1));
        hand(&mut n[2], &p0, s(1.1));
        let p1 = write(&mut n[1], 1, 1, s(2.0));
        let p2 = write(&mut n[2], 2, 2, s(3.0));
        assert!(p1.frame.history.is_empty());
        // No history entries: a bare message and the filter, in which
        // m0's 10 bits are set.
        for p in [&p1, &p2] {
            let by = p.encoded_len_by_kind();
            assert_eq!((by[kind::MESSAGE], by[kind::BLOOM]), (BARE, BLOOM));
            assert_eq!(p.frame.bloom.as_ref().unwrap().ones(), 10);
        }
        hand(&mut n[0], &p1, s(2.1));
        let after_one = n[0].timers().get(Key::Resend(0, 0)).is_none();
        assert_eq!(after_one, acked_after == 1);
        hand(&mut n[0], &p2, s(3.1));
        assert_eq!(n[0].timers().get(Key::Resend(0, 0)), None);
    }
}

#[test]
fn resend_after_30_s_with_the_same_message() {
    let mut n = nodes(2, &quiet());
    let p0 = write(&mut n[0], 0, 0, s(1.0));
    assert!(published(&tick(&mut n[0], s(30.9))).is_empty());
    let again = published(&tick(&mut n[0], s(31.0)));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].role, Role::Resend);
    assert!(Rc::ptr_eq(&again[0].frame, &p0.frame));
    let by = again[0].encoded_len_by_kind();
    assert_eq!(
        (by[kind::RESEND], by[kind::MESSAGE], by[kind::BLOOM]),
        (BARE, 0, BLOOM)
    );
    assert_eq!(n[0].timers().get(Key::Resend(0, 0)), Some(s(61.0)));
}

#[test]
fn gives_up_after_ten_resends() {
    let mut n = nodes(2, &quiet());
    write(&mut n[0], 0, 0, s(0.0));
    let mut sent = Vec::new();
    for k in 1..=12 {
        sent.extend(published(&tick(&mut n[0], s(30.0 * k as f64))));
    }
    // Ten resends, at 30 s … 300 s, each the bare message and its filter.
    assert_eq!(sent.len(), 10);
    for p in &sent {
        assert_eq!(p.role, Role::Resend);
        let by = p.encoded_len_by_kind();
        assert_eq!((by[kind::RESEND], by[kind::BLOOM]), (BARE, BLOOM));
    }
    assert_eq!(n[0].timers().get(Key::Resend(0, 0)), None);
    // nim's value: never resend.
    let mut nim = nodes(
        2,
        &SdsConfig {
            resend_interval_s: None,
            ..quiet()
        },
    );
    write(&mut nim[0], 0, 0, s(0.0));
    assert!(nim[0].timers().is_empty());
}

/// m1 names m0, which node 1 never got: the store is asked at the next
/// 10 s tick; m0 from the store is delivered at once, m1 at the next 5 s
/// buffer sweep.
#[test]
fn gap_filled_from_a_store() {
    let c = SdsConfig {
        store_query_interval_s: Some(10.0),
        ..quiet()
    };
    let mut n = nodes(2, &c);
    let p0 = write(&mut n[0], 0, 0, s(0.0));
    hand(&mut n[0], &p0, s(0.0)); // its own: ignored
    let mut out = Outbox::new();
    let m1 = test_message(1, 0, s(1.0), &[0]);
    n[0].append(s(1.0), m1, &mut out);
    let p1 = published(&cmds(&mut out))[0].clone();
    assert_eq!(p1.encoded_len_by_kind()[kind::MESSAGE], BARE + ENTRY);
    assert!(delivered(&hand(&mut n[1], &p1, s(1.5))).is_empty());
    assert_eq!(n[1].timers().get(Key::Store), Some(s(10.0)));
    // No sweep while nothing new is in the log (it would find nothing).
    assert_eq!(n[1].timers().get(Key::Sweep), None);
    let at10 = tick(&mut n[1], s(10.0));
    assert!(at10.contains(&Command::QueryStore { ids: vec![0] }));
    assert_eq!(delivered(&hand(&mut n[1], &p0, s(10.3))), vec![(0, true)]);
    assert_eq!(n[1].timers().get(Key::Sweep), Some(s(15.0)));
    assert_eq!(delivered(&tick(&mut n[1], s(15.0))), vec![(1, true)]);
    // Nothing is missing any more: no more queries, no more sweeps.
    assert!(n[1].timers().is_empty());
}

/// Node 1 misses m0 (sent by 0, received by 2) and learns of it from m2.
/// SDS-R T_req = 1 s + 50.504 s and T_resp (node 2) = 37.205 s, node 0
/// answers at once: computed independently with
/// `python3 -c 'import hashlib,struct; x=lambda t,n: hashlib.sha256(t+struct.pack("<I",n)).hexdigest();
/// H=lambda s: int.from_bytes(hashlib.sha256(s.encode()).digest()[:8],"big");
/// p=lambda n: x(b"meshsync-sds-participant",n); m=x(b"meshsync-sds-message",0);
/// print(30000+H(p(1)+m)%90000, (H(p(2))^H(p(0)))*H(m)%120000)'`.
#[test]
fn gap_filled_by_sds_r_repair() {
    let c = SdsConfig {
        repair: true,
        resend_interval_s: None,
        ..quiet()
    };
    let mut n = nodes(3, &c);
    assert_eq!(n[1].t_req_offset(0), SimTime::from_millis(50_504));
    assert_eq!(n[2].t_resp_offset(0, 0), SimTime::from_millis(37_205));
    assert_eq!(n[0].t_resp_offset(0, 0), SimTime::ZERO);
    let p0 = write(&mut n[0], 0, 0, s(0.0));
    hand(&mut n[2], &p0, s(0.1)); // lost on the way to node 1
    let p2 = write(&mut n[2], 2, 2, s(1.0));
    assert_eq!(p2.frame.history[0].sender, Some(0));
    assert_eq!(p2.encoded_len_by_kind()[kind::MESSAGE], BARE + ENTRY_SDSR);
    assert!(delivered(&hand(&mut n[1], &p2, s(1.0))).is_empty());
    // Before T_req nothing is requested; at T_req the next message asks.
    let early = write(&mut n[1], 10, 1, s(51.0));
    assert!(early.frame.repair.is_empty());
    let ask = write(&mut n[1], 11, 1, s(51.504));
    assert_eq!(
        ask.frame.repair,
        vec![super::wire::Entry {
            id: 0,
            sender: Some(0)
        }]
    );
    let by = ask.encoded_len_by_kind();
    assert_eq!(by[kind::REPAIR_REQUEST], ENTRY_SDSR);
    assert_eq!(ask.count_by_kind()[kind::REPAIR_REQUEST], 1);
    // Asked once only.
    assert!(write(&mut n[1], 12, 1, s(52.0)).frame.repair.is_empty());
    hand(&mut n[0], &ask, s(51.6));
    hand(&mut n[2], &ask, s(51.6));
    // Responses go at the first 10 s repair sweep at or after T_resp.
    assert_eq!(n[0].timers().get(Key::Respond(0, 0)), Some(s(60.0)));
    assert_eq!(n[2].timers().get(Key::Respond(0, 0)), Some(s(90.0)));
    let answer = published(&tick(&mut n[0], s(60.0)));
    assert_eq!(answer.len(), 1);
    assert_eq!(answer[0].role, Role::Repair);
    assert!(Rc::ptr_eq(&answer[0].frame, &p0.frame));
    // Node 2 hears the answer and stays quiet.
    hand(&mut n[2], &answer[0], s(60.1));
    assert_eq!(n[2].timers().get(Key::Respond(0, 0)), None);
    assert_eq!(
        delivered(&hand(&mut n[1], &answer[0], s(60.1))),
        vec![(0, true)]
    );
    assert_eq!(delivered(&tick(&mut n[1], s(65.0))), vec![(2, true)]);
}

/// nim's hash and T_max: T_req = 30 s + |murmur(pid ‖ mid)| mod 270 s,
/// T_resp = |murmur(p2) xor murmur(p0)| · |murmur(mid)| mod 300 s, from
/// an independent Python MurmurHash3 (signed 32-bit, as Nim's `hash`).
#[test]
fn repair_timers_with_nim_hash() {
    let c = SdsConfig {
        repair: true,
        repair_hash: RepairHash::Murmur,
        repair_t_max_s: 300.0,
        ..quiet()
    };
    let n = nodes(3, &c);
    assert_eq!(n[1].t_req_offset(0), SimTime::from_millis(198_721));
    assert_eq!(n[2].t_resp_offset(0, 0), SimTime::from_millis(116_320));
}

#[test]
fn gives_up_on_a_missing_parent() {
    let c = SdsConfig {
        give_up_s: Some(60.0),
        ..quiet()
    };
    let mut n = nodes(2, &c);
    let m1 = test_message(1, 0, s(2.0), &[0]);
    let mut out = Outbox::new();
    n[0].append(s(2.0), m1, &mut out);
    let p1 = published(&cmds(&mut out))[0].clone();
    hand(&mut n[1], &p1, s(2.0));
    // Waiting since 2 s: past 62 s at the 65 s sweep.
    assert_eq!(n[1].timers().get(Key::Sweep), Some(s(65.0)));
    assert!(delivered(&tick(&mut n[1], s(60.0))).is_empty());
    assert_eq!(delivered(&tick(&mut n[1], s(65.0))), vec![(1, false)]);
}

/// js's adaptive sync: the first wait is uniform(0, 30 s); a sync goes
/// only once there is history to carry; then uniform(0, 60 s).
#[test]
fn adaptive_sync_messages() {
    let c = SdsConfig {
        sync: SyncMode::Adaptive,
        ..quiet()
    };
    let mut n = nodes(2, &c);
    let mut out = Outbox::new();
    n[1].handle_link_up(s(0.0), 0, &mut out);
    let first = n[1].timers().get(Key::Sync(0)).unwrap();
    assert!(first <= s(30.0));
    assert!(
        published(&tick(&mut n[1], first)).is_empty(),
        "nothing to sync yet"
    );
    let second = n[1].timers().get(Key::Sync(0)).unwrap();
    assert!(second >= first && second <= first + s(60.0));
    let p0 = write(&mut n[0], 0, 0, first);
    hand(&mut n[1], &p0, first);
    // A content message received: the next sync within 15 s.
    assert!(n[1].timers().get(Key::Sync(0)).unwrap() <= first + s(15.0));
    let at = n[1].timers().get(Key::Sync(0)).unwrap();
    let sync = published(&tick(&mut n[1], at));
    assert_eq!(sync.len(), 1);
    assert_eq!(sync[0].role, Role::Sync);
    assert_eq!(sync[0].frame.history.len(), 1);
    // sender, channel 2 · 66, id 1 + 1 + 16, lamport 7, one entry 102.
    let by = sync[0].encoded_len_by_kind();
    assert_eq!(by[kind::SYNC], 132 + 18 + 7 + ENTRY);
    assert_eq!(by[kind::BLOOM], BLOOM);
    // It acknowledges m0 at node 0.
    hand(&mut n[0], &sync[0], at);
    assert_eq!(n[0].timers().get(Key::Resend(0, 0)), None);
}

#[test]
fn lamport_follows_the_spec() {
    let mut n = nodes(2, &quiet());
    let p0 = write(&mut n[0], 0, 0, s(2.0));
    // max(now in Unix ms, L + 1): 1,700,000,002,000.
    assert_eq!(p0.frame.lamport, Some(1_700_000_002_000));
    let p1 = write(&mut n[0], 1, 0, s(2.0));
    assert_eq!(p1.frame.lamport, Some(1_700_000_002_001));
    // Node 1 delivers both and is raised to 2,001: its next is 2,002.
    hand(&mut n[1], &p0, s(2.0));
    hand(&mut n[1], &p1, s(2.0));
    assert_eq!(n[1].heads(0), vec![0, 1]);
    let p2 = write(&mut n[1], 2, 1, s(2.0));
    assert_eq!(p2.frame.lamport, Some(1_700_000_002_002));
    assert_eq!(n[1].heads(0), vec![1, 2]);
}

/// m1 waits for m0 (never received); m2 names only m1. The spec keeps m2
/// waiting for m1; js counts the buffered m1 as available and delivers
/// m2 at once.
#[test]
fn buffered_history_counts_as_js_does() {
    for (js, expect) in [(false, vec![]), (true, vec![(2, true)])] {
        let c = SdsConfig {
            buffered_history_counts: js,
            ..quiet()
        };
        let mut n = nodes(2, &c);
        let mut out = Outbox::new();
        n[0].append(s(1.0), test_message(1, 0, s(1.0), &[0]), &mut out);
        n[0].append(s(2.0), test_message(2, 0, s(2.0), &[1]), &mut out);
        let p = published(&cmds(&mut out));
        assert!(delivered(&hand(&mut n[1], &p[0], s(2.5))).is_empty());
        assert_eq!(delivered(&hand(&mut n[1], &p[1], s(2.5))), expect);
        assert!(n[1].holds(1) && n[1].holds(2) && !n[1].holds(0));
    }
}

/// js asks once for a missing id; nim forgets the request once sent and
/// asks again when a later message names the id missing (new T_req).
#[test]
fn repair_asked_once_or_again() {
    for (again, expect) in [(false, 0), (true, 1)] {
        let c = SdsConfig {
            repair: true,
            resend_interval_s: None,
            repair_ask_again: again,
            ..quiet()
        };
        let mut n = nodes(3, &c);
        let p0 = write(&mut n[0], 0, 0, s(0.0));
        hand(&mut n[2], &p0, s(0.0));
        let p2 = write(&mut n[2], 2, 2, s(1.0));
        hand(&mut n[1], &p2, s(1.0));
        let ask = write(&mut n[1], 10, 1, s(200.0));
        assert_eq!(ask.frame.repair.len(), 1);
        // The answer is lost; node 2 names m0 again (m3's history: 0, 2).
        let p3 = write(&mut n[2], 3, 2, s(201.0));
        hand(&mut n[1], &p3, s(201.0));
        let later = write(&mut n[1], 11, 1, s(400.0));
        assert_eq!(later.frame.repair.len(), expect);
    }
}
