//! Unit tests of the ONE transfer model: one transfer at a time per host,
//! transfer time, abort when the contact goes down, the candidate order.

use super::*;
use crate::sim::message::{test_message, MsgId};
use std::cell::RefCell;
use std::collections::BTreeSet;

/// Hosts holding what the test says; message `m`'s recipient is host
/// `m % 10` (so messages 1, 11, ... are for host 1).
#[derive(Default)]
struct Fake {
    held: RefCell<BTreeSet<(NodeId, MsgId)>>,
}

impl Fake {
    fn give(&self, node: NodeId, id: MsgId) {
        self.held.borrow_mut().insert((node, id));
    }
}

impl Hosts for Fake {
    fn holds(&self, node: NodeId, msg: &MessageRef) -> bool {
        self.held.borrow().contains(&(node, msg.id))
    }
    fn recipient(&self, node: NodeId, msg: &MessageRef) -> bool {
        msg.id % 10 == node
    }
    fn bytes(&self, _: &MessageRef) -> u64 {
        1000
    }
}

fn msg(id: MsgId) -> MessageRef {
    test_message(id, 0, SimTime::ZERO, &[])
}

fn links(bytes_per_s: u64, order: SendQueue) -> OneLinks {
    let spec = OneLinkSpec {
        bytes_per_s,
        update_interval: SimTime::from_millis(100),
        send_queue: order,
    };
    OneLinks::new(spec, 4, 1)
}

const T0: SimTime = SimTime(1_000_000);

#[test]
fn one_transfer_at_a_time_per_host() {
    let (mut l, h) = (links(250_000, SendQueue::Random), Fake::default());
    l.connect(0, 1);
    l.connect(0, 2);
    l.connect(3, 1);
    for id in [2, 3, 12] {
        h.give(0, id);
    }
    h.give(3, 21);
    l.enqueue(0, 1, msg(2));
    l.enqueue(0, 2, msg(12));
    l.enqueue(0, 2, msg(3));
    l.enqueue(3, 1, msg(21));
    let t = l.start_next(T0, 0, &h).expect("host 0 starts one transfer");
    assert_eq!(
        (t.from, t.to, t.msg.id % 10),
        (0, 2, 2),
        "deliverable first"
    );
    assert!(l.busy(0) && l.busy(2));
    assert_eq!(l.start_next(T0, 0, &h), None, "the sender is busy");
    assert_eq!(l.start_next(T0, 2, &h), None, "the receiver is busy");
    // Host 3 may still send to host 1, which is free.
    let t3 = l.start_next(T0, 3, &h).expect("3 -> 1");
    assert_eq!((t3.from, t3.to), (3, 1));
    assert_eq!(l.under_way(), 2);
}

#[test]
fn a_transfer_completes_at_the_first_tick_after_its_done_time() {
    let (mut l, h) = (links(2_000, SendQueue::Fifo), Fake::default());
    l.connect(0, 1);
    h.give(0, 5);
    l.enqueue(0, 1, msg(5));
    let t = l.start_next(T0, 0, &h).unwrap();
    assert_eq!(t.done, T0 + SimTime::from_millis(500), "1000 B at 2 kB/s");
    for dt in [0, 100, 400] {
        assert_eq!(l.finish_due(T0 + SimTime::from_millis(dt), 0), None);
    }
    let done = l.finish_due(T0 + SimTime::from_millis(500), 0).unwrap();
    assert_eq!(done.msg.id, 5);
    assert!(!l.busy(0) && !l.busy(1) && l.idle());
}

#[test]
fn a_fast_transfer_is_not_done_in_the_tick_it_started() {
    let (mut l, h) = (links(1_000_000_000, SendQueue::Fifo), Fake::default());
    l.connect(0, 1);
    h.give(0, 5);
    l.enqueue(0, 1, msg(5));
    l.start_next(T0, 0, &h).unwrap();
    assert_eq!(l.finish_due(T0, 0), None);
    assert!(l.finish_due(T0 + SimTime::from_millis(100), 0).is_some());
}

#[test]
fn link_down_aborts_a_transfer_under_way_and_completes_a_done_one() {
    let (mut l, h) = (links(2_000, SendQueue::Fifo), Fake::default());
    l.connect(0, 1);
    h.give(0, 5);
    h.give(0, 15);
    l.enqueue(0, 1, msg(5));
    l.enqueue(0, 1, msg(15));
    l.start_next(T0, 0, &h).unwrap();
    let down = T0 + SimTime::from_millis(300);
    match l.disconnect(down, 1, 0) {
        Some(Ended::Aborted(t)) => assert_eq!((t.from, t.to), (0, 1)),
        other => panic!("expected an abort, got {other:?}"),
    }
    assert!(l.idle(), "the queued message is forgotten with the contact");
    assert!(!l.busy(0) && !l.busy(1));
    // Next contact: done before the contact ends, so it completes.
    l.connect(0, 1);
    l.enqueue(0, 1, msg(5));
    l.start_next(T0, 0, &h).unwrap();
    let later = T0 + SimTime::from_millis(500);
    assert!(matches!(
        l.disconnect(later, 0, 1),
        Some(Ended::Completed(_))
    ));
    // Nothing queued for an unconnected peer.
    l.enqueue(0, 1, msg(5));
    assert!(l.idle());
}

#[test]
fn refused_and_vanished_messages_cost_nothing() {
    let (mut l, h) = (links(250_000, SendQueue::Fifo), Fake::default());
    l.connect(0, 2);
    for id in [3, 4, 6] {
        h.give(0, id);
    }
    h.give(2, 3); // the receiver has it already: refused
    l.enqueue(0, 2, msg(3));
    l.enqueue(0, 2, msg(7)); // the sender does not hold it (dropped)
    l.enqueue(0, 2, msg(4));
    l.enqueue(0, 2, msg(6));
    let t = l.start_next(T0, 0, &h).unwrap();
    assert_eq!(t.msg.id, 4, "FIFO, skipping the refused and the vanished");
}

#[test]
fn a_peer_sends_its_messages_for_a_free_host() {
    let (mut l, h) = (links(250_000, SendQueue::Random), Fake::default());
    l.connect(0, 1);
    h.give(1, 10); // message 10 is for host 0
    l.enqueue(1, 0, msg(10));
    // Host 0 has nothing queued: it asks its peers.
    let t = l.start_next(T0, 0, &h).unwrap();
    assert_eq!((t.from, t.to, t.msg.id), (1, 0, 10));
}

#[test]
fn a_busy_peer_is_skipped_for_the_next_connection() {
    let (mut l, h) = (links(250_000, SendQueue::Random), Fake::default());
    l.connect(0, 1);
    l.connect(0, 2);
    l.connect(1, 3);
    h.give(3, 13);
    h.give(0, 5);
    l.enqueue(3, 1, msg(13)); // deliverable: keeps 1 busy
    assert!(l.start_next(T0, 3, &h).is_some());
    l.enqueue(0, 1, msg(5));
    l.enqueue(0, 2, msg(5));
    let t = l.start_next(T0, 0, &h).unwrap();
    assert_eq!(t.to, 2);
}

#[test]
fn random_order_is_a_seeded_draw() {
    let picks = |seed| {
        let spec = OneLinkSpec {
            bytes_per_s: 250_000,
            update_interval: SimTime::from_millis(100),
            send_queue: SendQueue::Random,
        };
        let (mut l, h) = (OneLinks::new(spec, 4, seed), Fake::default());
        l.connect(0, 3);
        let mut got = Vec::new();
        for round in 0..20u64 {
            for id in 0..8 {
                h.give(0, 100 + id * 10 + 4);
                l.enqueue(0, 3, msg(100 + id * 10 + 4));
            }
            let now = T0 + SimTime::from_secs(round);
            got.push(l.start_next(now, 0, &h).unwrap().msg.id);
            l.disconnect(now, 0, 3);
            l.connect(0, 3);
        }
        got
    };
    assert_eq!(picks(1), picks(1));
    assert_ne!(picks(1), picks(2));
    let distinct: BTreeSet<_> = picks(1).into_iter().collect();
    assert!(distinct.len() > 3, "not always the same pick: {distinct:?}");
}

#[test]
fn ticks_fall_on_the_update_grid() {
    let l = links(250_000, SendQueue::Fifo);
    assert_eq!(l.tick_at_or_after(SimTime(0)), SimTime(0));
    assert_eq!(l.tick_at_or_after(SimTime(100_000)), SimTime(100_000));
    assert_eq!(l.tick_at_or_after(SimTime(100_001)), SimTime(200_000));
}
