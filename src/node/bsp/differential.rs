//! Differential test: the fast [`BspNode`] against the reference model
//! ([`ReferenceNode`]), driven side by side through random histories.
//!
//! A small world (2–5 nodes, 1–3 groups with overlapping members, one BSP
//! configuration for all) runs a random sequence of operations: links going
//! up and down, payloads the nodes wrote being delivered, random payloads
//! injected (ACKs, OFFERs, REQUESTs and MESSAGEs, for messages a node may or
//! may not hold, from co-members, strangers or itself), timers firing when
//! set or later, time passing, local writes (one at a time and in bursts,
//! so that the fast node's logs get trimmed), and messages written outside
//! the world (by members or not, in a group or not, some with a parent that
//! never exists). Every node is a fast node and a reference node fed the
//! same calls; after every call both must have written exactly the same
//! commands (payload ids in the same order: no canonicalisation). What the
//! fast node sent is what travels on.
//!
//! Mutations of `bsp.rs` this test caught, one at a time: skipping rule 1,
//! 2, 3 or 4; swapping rules 4 and 5; rule 5 ignoring send times; the
//! backoff exponent off by one either way; the send count not counting;
//! no offer cap, a cap off by one, a full cap dropping the oldest offer; a
//! REQUEST not resetting the send time or the count, or accepted
//! for a message we lack; a duplicate not re-arming the ack; ACKs unsorted
//! or repeated; an ACK not stopping retransmission; sharing before
//! delivery, to the sender, or not at all (own or forced deliveries);
//! forgetting who holds an undelivered message (at the ACK, at a blocked
//! MESSAGE, or when catching up); offers not counted as work; the two
//! modes swapped; link-down ignored or leaving the peer scheduled; link-up
//! not flushing; peers flushed in another order; the timer ignoring forced
//! deliveries; log trimming dropping entries a peer still needs; a link-up
//! not opening a new BTP stream. (Checked again after the changes of
//! issue 13: a REQUEST keeping the send count, a full offer cap dropping
//! the oldest offer, a link-up not opening a stream, a REQUEST served for
//! a message the peer acked, and rule 5 in send-time order each fail it.) (Swapping
//! rules 3 and 4 is not observable: they share no state and fill different
//! fields.)
//!
//! Imports `sim/` and `node/` only.

use super::reference::ReferenceNode;
use super::*;
use crate::node::store::DeliveryMode;
use crate::node::Command;
use crate::sim::message::Message;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The time unit of a world: 1 ms.
const U: u64 = 1000;

/// A message id no message ever has (a parent that never arrives).
const PHANTOM: MsgId = 1_000_000;

/// The shape and configuration of a world.
#[derive(Clone, Debug)]
struct World {
    nodes: u32,
    /// Member bitmask of each group.
    groups: Vec<u32>,
    cfg: BspConfig,
    /// Bit `i`: node `i` lists its groups in reverse (peer order differs).
    reversed: u32,
    /// Bit `k`: the `k`th pair of nodes (in `(a, b)`, `a < b` order) is
    /// linked from the start.
    links: u32,
}

/// One step of a history. Node and message numbers are taken modulo what
/// exists when the step runs.
#[derive(Clone, Debug)]
enum Op {
    LinkUp(u32, u32),
    LinkDown(u32, u32),
    /// The oldest payload in flight on one of the links that carry some
    /// (the `n`th of them).
    Deliver(u32),
    Inject {
        to: u32,
        /// `nodes` is a stranger; `to` itself is possible.
        from: u32,
        acks: Vec<u32>,
        offers: Vec<u32>,
        requests: Vec<u32>,
        messages: Vec<u32>,
    },
    /// Node's timer fires `late` units after it was set (or after now).
    Fire {
        node: u32,
        late: u64,
    },
    /// The earliest timer of any node fires, `late` units late.
    FireNext {
        late: u64,
    },
    Advance(u64),
    Append {
        node: u32,
        group: u32,
    },
    /// `count` appends in a row: enough, now and then, for a group's log
    /// to be trimmed (the fast node's `TRIM_MIN`).
    Burst {
        node: u32,
        group: u32,
        count: u32,
    },
    /// A message written outside the world, sent later by injection.
    Invent {
        group: u32,
        sender: u32,
        parents: Vec<u32>,
        phantom: bool,
    },
}

/// One node, twice.
struct Twin {
    fast: BspNode,
    reference: ReferenceNode,
    /// The time last passed to `SetTimer`.
    timer: SimTime,
}

/// The world while a history runs.
struct Harness {
    now: SimTime,
    nodes: Vec<Twin>,
    /// Member list of each group.
    members: Vec<Members>,
    links: BTreeSet<(NodeId, NodeId)>,
    in_flight: BTreeMap<(NodeId, NodeId), VecDeque<Payload>>,
    /// Every message written so far; a message's id is its index.
    pool: Vec<MessageRef>,
    /// The steps run so far, for failure messages.
    step: usize,
}

impl Harness {
    fn new(w: &World) -> Self {
        let members: Vec<Members> = w
            .groups
            .iter()
            .map(|mask| (0..w.nodes).filter(|i| mask >> i & 1 == 1).collect())
            .collect();
        let nodes = (0..w.nodes)
            .map(|me| {
                let mut groups: Vec<(GroupId, Members)> = (0..members.len() as GroupId)
                    .filter(|&g| members[g as usize].contains(&me))
                    .map(|g| (g, members[g as usize].clone()))
                    .collect();
                if w.reversed >> me & 1 == 1 {
                    groups.reverse();
                }
                Twin {
                    fast: BspNode::new(me, &groups, w.cfg),
                    reference: ReferenceNode::new(me, &groups, w.cfg),
                    timer: SimTime::NEVER,
                }
            })
            .collect();
        Harness {
            now: SimTime::ZERO,
            nodes,
            members,
            links: BTreeSet::new(),
            in_flight: BTreeMap::new(),
            pool: Vec::new(),
            step: 0,
        }
    }

    fn n(&self) -> u32 {
        self.nodes.len() as u32
    }

    /// Brings up the links the world starts with.
    fn start(&mut self, w: &World) -> Result<(), TestCaseError> {
        let n = self.n();
        let pairs = (0..n).flat_map(|a| (a + 1..n).map(move |b| (a, b)));
        for (k, (a, b)) in pairs.enumerate() {
            if w.links >> k & 1 == 1 {
                self.link(a, b, true)?;
            }
        }
        Ok(())
    }

    /// Calls `f` on both versions of node `i`, checks they wrote the same
    /// commands, and carries them out.
    fn call(
        &mut self,
        i: NodeId,
        what: &str,
        f: impl Fn(&mut dyn Node<Payload>, &mut Outbox<Payload>),
    ) -> Result<(), TestCaseError> {
        let twin = &mut self.nodes[i as usize];
        let (mut a, mut b) = (Outbox::new(), Outbox::new());
        f(&mut twin.fast, &mut a);
        f(&mut twin.reference, &mut b);
        let fast: Vec<Command<Payload>> = a.drain().collect();
        let reference: Vec<Command<Payload>> = b.drain().collect();
        prop_assert_eq!(
            &fast,
            &reference,
            "step {} at {}: node {} {}",
            self.step,
            self.now,
            i,
            what
        );
        for c in fast {
            self.carry_out(i, c);
        }
        Ok(())
    }

    fn carry_out(&mut self, i: NodeId, c: Command<Payload>) {
        match c {
            // (A payload on a link that is down is lost.)
            Command::Send { to, payload } if self.links.contains(&(i.min(to), i.max(to))) => {
                self.in_flight
                    .entry((i, to))
                    .or_default()
                    .push_back(payload);
            }
            Command::SetTimer { at } => self.nodes[i as usize].timer = at,
            _ => {}
        }
    }
}

/// The steps.
impl Harness {
    fn run(&mut self, op: &Op) -> Result<(), TestCaseError> {
        self.step += 1;
        let n = self.n();
        match *op {
            Op::LinkUp(a, b) => self.link(a % n, b % n, true),
            Op::LinkDown(a, b) => self.link(a % n, b % n, false),
            Op::Deliver(k) => self.deliver(k),
            Op::Inject { to, from, .. } => {
                let payload = self.payload(op);
                let (to, from) = (to % n, from % (n + 1));
                let (now, what) = (self.now, format!("gets {payload:?} from {from}"));
                self.call(to, &what, |node, out| {
                    node.handle_payload(now, from, payload.clone(), out)
                })
            }
            Op::Fire { node, late } => self.fire(node % n, late),
            Op::FireNext { late } => {
                let next = (0..n).min_by_key(|&i| self.nodes[i as usize].timer);
                self.fire(next.unwrap_or(0), late)
            }
            Op::Advance(d) => {
                self.now = self.now + SimTime(d * U);
                Ok(())
            }
            Op::Append { node, group } => self.append(node % n, group),
            Op::Burst { node, group, count } => {
                (0..count).try_for_each(|_| self.append(node % n, group))
            }
            Op::Invent {
                group,
                sender,
                ref parents,
                phantom,
            } => {
                self.invent(group, sender % (n + 1), parents, phantom);
                Ok(())
            }
        }
    }

    fn link(&mut self, a: NodeId, b: NodeId, up: bool) -> Result<(), TestCaseError> {
        if a == b {
            return Ok(());
        }
        let now = self.now;
        if up {
            self.links.insert((a.min(b), a.max(b)));
            self.call(a, "link up", |node, out| node.handle_link_up(now, b, out))?;
            self.call(b, "link up", |node, out| node.handle_link_up(now, a, out))
        } else {
            self.links.remove(&(a.min(b), a.max(b)));
            self.in_flight.remove(&(a, b));
            self.in_flight.remove(&(b, a));
            self.call(a, "link down", |node, out| {
                node.handle_link_down(now, b, out)
            })?;
            self.call(b, "link down", |node, out| {
                node.handle_link_down(now, a, out)
            })
        }
    }

    fn deliver(&mut self, k: u32) -> Result<(), TestCaseError> {
        self.in_flight.retain(|_, q| !q.is_empty());
        if self.in_flight.is_empty() {
            return Ok(());
        }
        let k = k as usize % self.in_flight.len();
        let (&(from, to), q) = self.in_flight.iter_mut().nth(k).expect("k < len");
        let p = q.pop_front().expect("not empty");
        let now = self.now;
        let what = format!("gets {p:?} from {from}");
        self.call(to, &what, |node, out| {
            node.handle_payload(now, from, p.clone(), out)
        })
    }

    /// The payload of an `Inject` step: ids may name messages not written
    /// yet (or never).
    fn payload(&self, op: &Op) -> Payload {
        let Op::Inject {
            acks,
            offers,
            requests,
            messages,
            ..
        } = op
        else {
            unreachable!("not an injection")
        };
        let span = self.pool.len() as u32 + 3;
        let ids = |v: &Vec<u32>| v.iter().map(|x| x % span).collect();
        let messages = match self.pool.len() {
            0 => Vec::new(),
            len => messages
                .iter()
                .map(|&x| self.pool[x as usize % len].clone())
                .collect(),
        };
        Payload {
            acks: ids(acks),
            offers: ids(offers),
            requests: ids(requests),
            messages,
            opens_stream: false,
        }
    }

    /// Fires node `i`'s timer `late` units after the time it was set, or
    /// after now when that has passed (never when it is cancelled).
    fn fire(&mut self, i: NodeId, late: u64) -> Result<(), TestCaseError> {
        let at = self.nodes[i as usize].timer;
        if at == SimTime::NEVER {
            return Ok(());
        }
        self.now = at.max(self.now) + SimTime(late * U);
        let now = self.now;
        self.call(i, "times out", |node, out| node.handle_timeout(now, out))
    }

    /// Node `i` writes a message in group `g` if it is a member.
    fn append(&mut self, i: NodeId, g: u32) -> Result<(), TestCaseError> {
        let g = g % self.members.len() as u32;
        if !self.members[g as usize].contains(&i) {
            return Ok(());
        }
        let twin = &self.nodes[i as usize];
        let parents = twin.fast.heads(g);
        prop_assert_eq!(&parents, &twin.reference.heads(g), "heads of {}", g);
        let msg = self.write(g, i, parents);
        let now = self.now;
        self.call(i, &format!("writes {msg:?}"), |node, out| {
            node.append(now, msg.clone(), out)
        })
    }

    /// A message by `sender` (maybe a stranger) in group `g` (maybe one no
    /// node is in), whose parents are earlier messages of the group and
    /// maybe one that never exists.
    fn invent(&mut self, g: u32, sender: NodeId, parents: &[u32], phantom: bool) {
        let g = g % (self.members.len() as u32 + 1);
        let earlier: Vec<MsgId> = self
            .pool
            .iter()
            .filter(|m| m.group == g)
            .map(|m| m.id)
            .collect();
        let mut ps: Vec<MsgId> = match earlier.len() {
            0 => Vec::new(),
            len => parents.iter().map(|&x| earlier[x as usize % len]).collect(),
        };
        if phantom {
            ps.push(PHANTOM);
        }
        ps.sort_unstable();
        ps.dedup();
        self.write(g, sender, ps);
    }

    fn write(&mut self, group: GroupId, sender: NodeId, parents: Vec<MsgId>) -> MessageRef {
        let msg = Rc::new(Message {
            id: self.pool.len() as MsgId,
            group,
            sender,
            created: self.now,
            body_len: 10,
            parents,
        });
        self.pool.push(msg.clone());
        msg
    }

    /// Both versions of every node hold the same messages.
    fn check_holds(&self) -> Result<(), TestCaseError> {
        for (i, twin) in self.nodes.iter().enumerate() {
            for m in 0..self.pool.len() as MsgId {
                prop_assert_eq!(
                    twin.fast.holds(m),
                    twin.reference.holds(m),
                    "node {} holds {}",
                    i,
                    m
                );
            }
        }
        Ok(())
    }
}

fn world() -> impl proptest::strategy::Strategy<Value = World> {
    (2u32..=5).prop_flat_map(|nodes| {
        let groups = prop::collection::vec(1u32..(1 << nodes), 1..=3);
        let mode = prop_oneof![Just(BspMode::Batch), Just(BspMode::Interactive)];
        let delivery = (
            prop_oneof![Just(DeliveryMode::Consistent), Just(DeliveryMode::Eventual)],
            prop::option::of(5u64..=30),
        );
        (
            groups,
            mode,
            1u64..=5,
            0usize..=3,
            delivery,
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(
                move |(groups, mode, latency, offer_cap, (dm, wait), reversed, links)| World {
                    nodes,
                    groups,
                    cfg: BspConfig {
                        mode,
                        max_latency: SimTime(latency * U),
                        offer_cap,
                        delivery: Delivery {
                            mode: dm,
                            max_wait: wait.map(|w| SimTime(w * U)),
                        },
                    },
                    reversed,
                    links,
                },
            )
    })
}

/// Steps, weighted towards those that make traffic (deliveries, timers,
/// writes).
fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    let pair = || (any::<u32>(), any::<u32>());
    let ids = || prop::collection::vec(any::<u32>(), 0..4);
    let msgs = prop::collection::vec(any::<u32>(), 0..3);
    let inject = (pair(), ids(), ids(), ids(), msgs).prop_map(
        |((to, from), acks, offers, requests, messages)| Op::Inject {
            to,
            from,
            acks,
            offers,
            requests,
            messages,
        },
    );
    let late = prop_oneof![3 => Just(0u64), 1 => 0u64..40];
    let fire = (any::<u32>(), late.clone()).prop_map(|(node, late)| Op::Fire { node, late });
    let burst =
        (pair(), 1u32..80).prop_map(|((node, group), count)| Op::Burst { node, group, count });
    let parents = prop::collection::vec(any::<u32>(), 0..3);
    let invent = (pair(), parents, prop::bool::weighted(0.2)).prop_map(
        |((group, sender), parents, phantom)| Op::Invent {
            group,
            sender,
            parents,
            phantom,
        },
    );
    prop_oneof![
        4 => pair().prop_map(|(a, b)| Op::LinkUp(a, b)),
        1 => pair().prop_map(|(a, b)| Op::LinkDown(a, b)),
        10 => any::<u32>().prop_map(Op::Deliver),
        3 => inject,
        2 => fire,
        7 => late.prop_map(|late| Op::FireNext { late }),
        2 => (0u64..40).prop_map(Op::Advance),
        6 => pair().prop_map(|(node, group)| Op::Append { node, group }),
        1 => burst,
        1 => invent,
    ]
}

/// Histories per run: about 2 s in a release build, 7 s in a debug one
/// (100 000 histories of up to 250 steps ran clean once, in 3 minutes).
const CASES: u32 = if cfg!(debug_assertions) { 500 } else { 5000 };

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    /// The fast node and the reference write the same commands at every
    /// step of any history.
    #[test]
    fn fast_node_matches_reference(w in world(), ops in prop::collection::vec(op(), 10..100)) {
        let mut h = Harness::new(&w);
        h.start(&w)?;
        for op in &ops {
            h.run(op)?;
        }
        h.check_holds()?;
    }
}
