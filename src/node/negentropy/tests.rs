//! Hand-driven tests of `negentropy`: exact frames from the crate, whole
//! reconciliations with and without a frame limit, two nodes.

use super::node::{NegentropyNode, Params};
use super::wire::{
    self, client_step, frame_record_len, initiate, need_record_len, reconcile_in_memory, sealed,
    serve, Payload, SyncPayload,
};
use super::NegentropyStrategy;
use crate::node::store::DeliveryMode;
use crate::node::strategy::parse_config;
use crate::node::{Command, Node, Outbox};
use crate::sim::message::{Message, MessageRef, MsgId, NodeId};
use crate::sim::time::SimTime;
use prost::Message as _;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::rc::Rc;

#[test]
fn frames_of_tiny_sets_byte_for_byte() {
    let empty = sealed(&[]).unwrap();
    let one = sealed(&[(5, [1; 32])]).unwrap();
    // Version 0x61, bound: infinity (0) and no id prefix (0), IdList (2)
    // of 0 ids.
    assert_eq!(initiate(&empty, 0).unwrap(), vec![0x61, 0, 0, 2, 0]);
    let q = initiate(&one, 0).unwrap();
    let mut want = vec![0x61, 0, 0, 2, 1];
    want.extend_from_slice(&[1; 32]);
    assert_eq!(q, want);
    // The empty server answers with its own (empty) IdList; the client
    // learns it has the id the server lacks, and is done.
    let a = serve(&empty, 0, &q).unwrap();
    assert_eq!(a, vec![0x61, 0, 0, 2, 0]);
    let step = client_step(&one, 0, &a).unwrap();
    assert_eq!(
        (step.next, step.have, step.need),
        (None, vec![[1; 32]], vec![])
    );
}

#[test]
fn envelopes_have_their_computed_lengths() {
    for n in [0usize, 5, 127, 128, 4096, 70_000] {
        let p = SyncPayload {
            negentropy: Some(vec![0x61; n]),
            hashes: vec![],
        };
        assert_eq!(
            p.encode_length_delimited_to_vec().len(),
            frame_record_len(n),
            "{n}"
        );
    }
    for k in [0usize, 1, 3, 100] {
        let p = SyncPayload {
            negentropy: None,
            hashes: vec![vec![7; 32]; k],
        };
        assert_eq!(
            p.encode_length_delimited_to_vec().len(),
            need_record_len(k),
            "{k}"
        );
    }
    assert_eq!((frame_record_len(5), need_record_len(2)), (8, 71));
}

fn item(i: u64) -> (u64, [u8; 32]) {
    // Times 1 s apart in ns, ids hashes: as Waku messages would be.
    (
        1_700_000_000_000_000_000 + i * 1_000_000_000,
        Sha256::digest(i.to_le_bytes()).into(),
    )
}

/// Client storage, server storage, and what the client alone holds and
/// the server alone holds: `base` common items, `only_client` and
/// `only_server` more spread among them.
type Sets = (
    negentropy::NegentropyStorageVector,
    negentropy::NegentropyStorageVector,
    BTreeSet<[u8; 32]>,
    BTreeSet<[u8; 32]>,
);

fn sets(base: u64, only_client: u64, only_server: u64) -> Sets {
    let total = base + only_client + only_server;
    let (mut c, mut s) = (Vec::new(), Vec::new());
    let (mut have, mut need) = (BTreeSet::new(), BTreeSet::new());
    let every = |k: u64| total.checked_div(k).unwrap_or(u64::MAX);
    for i in 0..total {
        let it = item(i);
        if only_client > 0 && i % every(only_client) == 0 && have.len() < only_client as usize {
            c.push(it);
            have.insert(it.1);
        } else if only_server > 0
            && i % every(only_server) == 1
            && need.len() < only_server as usize
        {
            s.push(it);
            need.insert(it.1);
        } else {
            c.push(it);
            s.push(it);
        }
    }
    (sealed(&c).unwrap(), sealed(&s).unwrap(), have, need)
}

#[test]
fn bytes_grow_with_the_difference_not_with_the_set() {
    let mut figures = Vec::new();
    for (base, diff) in [(1_000, 1), (20_000, 1), (20_000, 100), (20_000, 10_000)] {
        let (c, s, have, need) = sets(base, diff, 0);
        let r = reconcile_in_memory(&c, &s, 0).unwrap();
        assert_eq!((&r.have, &r.need), (&have, &need), "exactly the difference");
        figures.push((base, diff, r.client_frames, r.bytes));
    }
    let [one_small, one_big, hundred, ten_k] = [0, 1, 2, 3].map(|i| figures[i].3);
    // 20 times the set: one more level of 16 buckets, not 20 times the bytes.
    assert!(one_big < 2 * one_small, "{figures:?}");
    assert!(one_big < hundred && hundred < ten_k, "{figures:?}");
    // 10,000 differences cannot cost less than their 32-byte ids.
    assert!(ten_k > 10_000 * 32, "{figures:?}");
    assert_eq!(
        figures, EXPECTED,
        "golden: exact bytes of the crate's frames"
    );
}

/// `(base, difference, client frames, bytes)` measured by the test above.
const EXPECTED: [(u64, u64, usize, usize); 4] = [
    (1_000, 1, 2, 1_090),
    (20_000, 1, 2, 1_305),
    (20_000, 100, 2, 58_414),
    (20_000, 10_000, 2, 773_528),
];

#[test]
fn a_4096_byte_frame_limit_forces_several_rounds() {
    let (c, s, have, need) = sets(10_000, 500, 500);
    let free = reconcile_in_memory(&c, &s, 0).unwrap();
    let limited = reconcile_in_memory(&c, &s, 4096).unwrap();
    assert_eq!((&free.have, &free.need), (&have, &need));
    assert_eq!(
        (&limited.have, &limited.need),
        (&have, &need),
        "same result"
    );
    assert!(free.largest_frame > 4096, "{free:?}");
    assert!(limited.largest_frame <= 4096, "{}", limited.largest_frame);
    assert!(
        limited.client_frames > free.client_frames + 3,
        "{} vs {}",
        limited.client_frames,
        free.client_frames
    );
    assert_eq!(
        (free.client_frames, limited.client_frames, limited.bytes),
        EXPECTED_LIMITED,
        "golden"
    );
}

/// Client frames without and with the limit, and bytes with it.
const EXPECTED_LIMITED: (usize, usize, usize) = (2, 103, 627_256);

#[test]
fn frame_size_limit_follows_the_crate() {
    let parse = |v: serde_json::Value| parse_config(&NegentropyStrategy, Some(&v));
    let c = parse(serde_json::json!({})).unwrap();
    assert_eq!(
        (c.interval_s, c.frame_size_limit, c.relay),
        (300.0, 1_048_576, true)
    );
    for ok in [0, 4096, 60_000] {
        assert!(
            parse(serde_json::json!({ "frame_size_limit": ok })).is_ok(),
            "{ok}"
        );
    }
    for bad in [1, 200, 4095] {
        let e = parse(serde_json::json!({ "frame_size_limit": bad })).unwrap_err();
        assert_eq!(e.path, "frame_size_limit", "{bad}");
    }
    assert_eq!(
        parse(serde_json::json!({ "interval_s": 0 }))
            .unwrap_err()
            .path,
        "interval_s"
    );
    assert!(parse(serde_json::json!({ "rounds": 1 }))
        .unwrap_err()
        .message
        .contains("unknown field"));
}

proptest::proptest! {
    #[test]
    fn the_crate_never_panics_on_arbitrary_frames(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
    ) {
        let (c, _, _, _) = sets(40, 3, 0);
        let _ = serve(&c, 0, &bytes);
        let _ = client_step(&c, 0, &bytes);
        let _ = serve(&c, 4096, &bytes);
        let _ = SyncPayload::decode_length_delimited(bytes.as_slice());
    }

    #[test]
    fn envelope_round_trip(frame in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600), k in 0usize..5) {
        let p = SyncPayload { negentropy: Some(frame), hashes: vec![vec![3; 32]; k] };
        let bytes = p.encode_length_delimited_to_vec();
        proptest::prop_assert_eq!(SyncPayload::decode_length_delimited(bytes.as_slice()).unwrap(), p);
    }
}

fn msg(id: MsgId, sender: NodeId, created: SimTime) -> MessageRef {
    Rc::new(Message {
        id,
        group: 0,
        sender,
        created,
        body_len: 50,
        parents: vec![],
    })
}

fn node(me: NodeId, presence_known: bool) -> NegentropyNode {
    let members = vec![(0, Rc::from(vec![0, 1]))];
    let sharing = vec![(0, Rc::from(vec![1 - me]))];
    let params = Params {
        interval: SimTime::from_secs(300),
        frame_size_limit: 0,
        relay: false,
        presence_known,
    };
    NegentropyNode::new(
        me,
        &members,
        &sharing,
        DeliveryMode::Eventual.into(),
        params,
    )
}

/// Carries payloads between nodes 0 and 1 until none is left; returns
/// what each delivered and every payload sent.
fn exchange(
    nodes: &mut [NegentropyNode; 2],
    now: SimTime,
    mut flying: Vec<(NodeId, NodeId, Payload)>,
) -> ([Vec<MsgId>; 2], Vec<Payload>) {
    let mut got = [Vec::new(), Vec::new()];
    let mut all = Vec::new();
    let mut out = Outbox::new();
    while !flying.is_empty() {
        let (from, to, p) = flying.remove(0);
        all.push(p.clone());
        nodes[to as usize].handle_payload(now, from, p, &mut out);
        for c in out.drain().collect::<Vec<_>>() {
            match c {
                Command::Send { to: t, payload } => flying.push((to, t, payload)),
                Command::Deliver { msg } => got[to as usize].push(msg),
                _ => {}
            }
        }
    }
    (got, all)
}

fn link_up(
    nodes: &mut [NegentropyNode; 2],
    now: SimTime,
    who: &[NodeId],
) -> Vec<(NodeId, NodeId, Payload)> {
    let mut out = Outbox::new();
    let mut flying = Vec::new();
    for &n in who {
        nodes[n as usize].handle_link_up(now, 1 - n, &mut out);
        for c in out.drain().collect::<Vec<_>>() {
            if let Command::Send { to, payload } = c {
                flying.push((n, to, payload));
            }
        }
    }
    flying
}

#[test]
fn on_link_up_the_lower_id_reconciles_and_both_get_what_they_lack() {
    let mut nodes = [node(0, true), node(1, true)];
    let mut out = Outbox::new();
    nodes[0].append(SimTime(1), msg(1, 0, SimTime(1)), &mut out);
    nodes[1].append(SimTime(2), msg(2, 1, SimTime(2)), &mut out);
    nodes[1].append(SimTime(3), msg(3, 1, SimTime(3)), &mut out);
    let flying = link_up(&mut nodes, SimTime(10), &[0, 1]);
    assert_eq!(flying.len(), 1, "only node 0 initiates");
    let (mut got, sent) = exchange(&mut nodes, SimTime(10), flying);
    got[0].sort_unstable();
    assert_eq!(got, [vec![2, 3], vec![1]]);
    let kinds: Vec<(usize, usize, usize)> = sent
        .iter()
        .map(|p| (p.frames.len(), p.needs.len(), p.messages.len()))
        .collect();
    // Client frame; server frame; client pushes 1 and sends its need
    // list; server pushes 2 and 3.
    assert_eq!(kinds, vec![(1, 0, 0), (1, 0, 0), (0, 1, 1), (0, 0, 2)]);
    assert_eq!(nodes[0].stats.completed, 1);
}

#[test]
fn with_unknown_presence_the_newcomer_initiates() {
    let mut nodes = [node(0, false), node(1, false)];
    let mut out = Outbox::new();
    nodes[0].append(SimTime(1), msg(1, 0, SimTime(1)), &mut out);
    // Node 0 came online long ago (its session went nowhere); node 1 comes
    // online now and, though the higher id, starts the session.
    let _lost = link_up(&mut nodes, SimTime(5), &[0]);
    let flying = link_up(&mut nodes, SimTime::from_secs(100), &[1]);
    assert_eq!(flying.len(), 1);
    let (got, _) = exchange(&mut nodes, SimTime::from_secs(100), flying);
    assert_eq!(got, [vec![], vec![1]]);
}

#[test]
fn rounds_repeat_every_interval_while_connected() {
    let mut nodes = [node(0, true), node(1, true)];
    let flying = link_up(&mut nodes, SimTime(0), &[0, 1]);
    let _ = exchange(&mut nodes, SimTime(0), flying);
    let mut out = Outbox::new();
    nodes[1].append(SimTime(50), msg(5, 1, SimTime(50)), &mut out);
    let _ = out.drain().count(); // relay is off
    nodes[0].handle_timeout(SimTime::from_secs(300), &mut out);
    let flying: Vec<_> = out
        .drain()
        .filter_map(|c| match c {
            Command::Send { to, payload } => Some((0, to, payload)),
            _ => None,
        })
        .collect();
    assert_eq!(flying.len(), 1, "a new round at 300 s");
    let (got, _) = exchange(&mut nodes, SimTime::from_secs(300), flying);
    assert_eq!(got[0], vec![5]);
    assert_eq!(nodes[0].stats.sessions, 2);
    let _ = wire::MIN_FRAME_SIZE_LIMIT;
}
