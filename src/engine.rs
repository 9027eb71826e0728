//! The discrete-event engine: builds a world from a scenario and a seed, and
//! runs it.
//!
//! [`run`] is a pure function of `(scenario, seed)`. The engine owns time,
//! the event queue, the network and every node; nodes only answer through
//! their [`Outbox`], whose commands the engine carries out. Events are
//! ordered by `(time, seq)`; every random draw comes from a named sub-stream
//! of the seed (churn per node, writers per (group, member), network, topology).
//!
//! Reachability: two nodes are linked when both are online and adjacent in
//! the topology. Nodes hear `handle_link_up/down` only for their sync peers
//! (co-members of a group). A payload arrives only if both endpoints stayed
//! online since it was sent; otherwise it is lost in flight.

use crate::churn::ChurnProcess;
use crate::message::{GroupId, Message, MessageRef, NodeId};
use crate::metrics::{Recorder, RunInfo, RunReport};
use crate::network::{Network, Topology, Verdict};
use crate::node::bsp::{BspConfig, BspMode, BspNode};
use crate::node::{Command, Node, Outbox, Strategy};
use crate::rng::stream;
use crate::scenario::{Scenario, MAX_BODY_BYTES};
use crate::time::SimTime;
use crate::wire::Payload;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use std::sync::Arc;

/// Event kinds, as folded into the trace hash.
mod kind {
    pub const UP: u8 = 1;
    pub const DOWN: u8 = 2;
    pub const ARRIVE: u8 = 3;
    pub const TIMER: u8 = 4;
    pub const WRITE: u8 = 5;
    pub const SCRIPT: u8 = 6;
}

#[derive(Debug)]
enum Event {
    /// The node comes online; it goes down again at the given time.
    NodeUp(NodeId, SimTime),
    NodeDown(NodeId),
    Arrive {
        from: NodeId,
        to: NodeId,
        payload: Payload,
        /// Online epochs of (from, to) when it was sent.
        epochs: (u32, u32),
    },
    Timer {
        node: NodeId,
        generation: u64,
    },
    Write {
        writer: usize,
        epoch: u32,
    },
    Script(usize),
}

/// A Poisson writer: one member of one group.
struct Writer {
    group: GroupId,
    node: NodeId,
    rate: Option<Exp<f64>>,
    rng: ChaCha8Rng,
}

/// Builds the node for `me` running `strategy`.
pub fn build_node(scenario: &Scenario, strategy: Strategy, me: NodeId) -> Box<dyn Node> {
    let groups: Vec<(GroupId, Vec<NodeId>)> = scenario
        .groups
        .iter()
        .enumerate()
        .filter(|(_, g)| g.members.binary_search(&me).is_ok())
        .map(|(i, g)| (i as GroupId, g.members.clone()))
        .collect();
    let mode = match strategy {
        Strategy::BspBatch => BspMode::Batch,
        Strategy::BspInteractive => BspMode::Interactive,
    };
    let cfg = BspConfig {
        mode,
        max_latency: scenario.sync.max_latency,
        offer_cap: scenario.sync.offer_cap,
        delivery: scenario.sync.delivery,
    };
    Box::new(BspNode::new(me, &groups, cfg))
}

/// For each node, its sync peers (co-members) adjacent in the topology, sorted.
fn sync_peers(scenario: &Scenario, topology: &Topology) -> Vec<Vec<NodeId>> {
    let mut peers = vec![Vec::new(); scenario.nodes as usize];
    for g in &scenario.groups {
        for &a in &g.members {
            peers[a as usize].extend(
                g.members
                    .iter()
                    .copied()
                    .filter(|&b| topology.adjacent(a, b)),
            );
        }
    }
    for p in &mut peers {
        p.sort_unstable();
        p.dedup();
    }
    peers
}

/// The simulated world of one run.
pub struct World<'a> {
    scenario: &'a Scenario,
    strategy: Strategy,
    seed: u64,
    queue: crate::queue::EventQueue<Event>,
    nodes: Vec<Box<dyn Node>>,
    online: Vec<bool>,
    epoch: Vec<u32>,
    timer_generation: Vec<u64>,
    churn: Vec<ChurnProcess>,
    peers: Vec<Vec<NodeId>>,
    writers: Vec<Writer>,
    writers_of: Vec<Vec<usize>>,
    /// Scripted messages waiting for their offline sender.
    deferred: Vec<Vec<usize>>,
    body_rng: ChaCha8Rng,
    network: Network,
    recorder: Recorder,
    outbox: Outbox,
    next_msg: u32,
}

impl<'a> World<'a> {
    /// Builds the world for `scenario` under `strategy` with `seed`.
    pub fn build(scenario: &'a Scenario, strategy: Strategy, seed: u64) -> World<'a> {
        let n = scenario.nodes as usize;
        let topology = Topology::build(&scenario.topology, scenario.nodes, seed);
        let mut writers = Vec::new();
        let mut writers_of = vec![Vec::new(); n];
        for (g, spec) in scenario.groups.iter().enumerate() {
            for &m in &spec.members {
                writers_of[m as usize].push(writers.len());
                writers.push(Writer {
                    group: g as GroupId,
                    node: m,
                    rate: Exp::new(spec.rate_per_hour / 3600.0)
                        .ok()
                        .filter(|_| spec.rate_per_hour > 0.0),
                    rng: stream(seed, &format!("writer-{g}"), u64::from(m)),
                });
            }
        }
        World {
            scenario,
            strategy,
            seed,
            queue: crate::queue::EventQueue::new(),
            nodes: (0..scenario.nodes)
                .map(|i| build_node(scenario, strategy, i))
                .collect(),
            online: vec![false; n],
            epoch: vec![0; n],
            timer_generation: vec![0; n],
            churn: (0..scenario.nodes)
                .map(|i| ChurnProcess::new(scenario.churn[i as usize].clone(), seed, i))
                .collect(),
            peers: sync_peers(scenario, &topology),
            writers,
            writers_of,
            deferred: vec![Vec::new(); n],
            body_rng: stream(seed, "script-bodies", 0),
            network: Network::new(scenario.link.clone(), seed),
            recorder: Recorder::new(
                scenario.groups.iter().map(|g| g.members.clone()).collect(),
                scenario.groups.iter().map(|g| g.name.clone()).collect(),
            ),
            outbox: Outbox::new(),
            next_msg: 0,
        }
    }

    fn schedule_initial(&mut self) {
        for i in 0..self.nodes.len() {
            let node = i as NodeId;
            match self.churn[i].start() {
                (true, change) => {
                    let down = change.unwrap_or(SimTime::NEVER);
                    self.queue.push(SimTime::ZERO, Event::NodeUp(node, down));
                }
                (false, Some(up)) => {
                    let down = up + self.churn[i].period(true);
                    self.queue.push(up, Event::NodeUp(node, down));
                }
                (false, None) => {}
            }
        }
        for (i, s) in self.scenario.script.iter().enumerate() {
            self.queue.push(s.at, Event::Script(i));
        }
    }

    /// Runs until the scenario's end and returns the report.
    pub fn run(mut self) -> RunReport {
        self.schedule_initial();
        let end = self.scenario.duration;
        while let Some((now, event)) = self.queue.pop() {
            if now > end {
                break;
            }
            self.dispatch(now, event);
        }
        let strategy = self.strategy.name().to_string();
        self.recorder.finish(RunInfo {
            scenario: self.scenario.name.clone(),
            strategy,
            seed: self.seed,
            nodes: self.scenario.nodes,
            duration: end,
        })
    }

    fn dispatch(&mut self, now: SimTime, event: Event) {
        match event {
            Event::NodeUp(n, down) => {
                self.recorder.on_event(now, kind::UP, n);
                self.node_up(now, n, down);
            }
            Event::NodeDown(n) => {
                self.recorder.on_event(now, kind::DOWN, n);
                self.node_down(now, n);
            }
            Event::Arrive {
                from,
                to,
                payload,
                epochs,
            } => {
                self.recorder.on_event(now, kind::ARRIVE, to);
                self.arrive(now, from, to, payload, epochs);
            }
            Event::Timer { node, generation } => {
                if generation == self.timer_generation[node as usize] {
                    self.recorder.on_event(now, kind::TIMER, node);
                    self.nodes[node as usize].handle_timeout(now, &mut self.outbox);
                    self.apply(now, node);
                }
            }
            Event::Write { writer, epoch } => {
                let node = self.writers[writer].node;
                if self.online[node as usize] && self.epoch[node as usize] == epoch {
                    self.recorder.on_event(now, kind::WRITE, node);
                    let body = self.draw_body(writer);
                    self.write(now, node, self.writers[writer].group, body);
                    self.schedule_write(now, writer);
                }
            }
            Event::Script(i) => {
                let s = &self.scenario.script[i];
                self.recorder.on_event(now, kind::SCRIPT, s.from);
                if self.online[s.from as usize] {
                    self.write_scripted(now, i);
                } else {
                    self.deferred[s.from as usize].push(i);
                }
            }
        }
    }

    fn node_up(&mut self, now: SimTime, n: NodeId, down: SimTime) {
        let i = n as usize;
        self.online[i] = true;
        if down != SimTime::NEVER {
            self.queue.push(down, Event::NodeDown(n));
        }
        for k in 0..self.peers[i].len() {
            let p = self.peers[i][k];
            if self.online[p as usize] {
                self.nodes[i].handle_link_up(now, p, &mut self.outbox);
                self.apply(now, n);
                self.nodes[p as usize].handle_link_up(now, n, &mut self.outbox);
                self.apply(now, p);
            }
        }
        for w in self.writers_of[i].clone() {
            self.schedule_write(now, w);
        }
        for s in std::mem::take(&mut self.deferred[i]) {
            self.write_scripted(now, s);
        }
    }

    fn node_down(&mut self, now: SimTime, n: NodeId) {
        let i = n as usize;
        self.online[i] = false;
        self.epoch[i] += 1;
        for k in 0..self.peers[i].len() {
            let p = self.peers[i][k];
            if self.online[p as usize] {
                self.nodes[i].handle_link_down(now, p, &mut self.outbox);
                self.apply(now, n);
                self.nodes[p as usize].handle_link_down(now, n, &mut self.outbox);
                self.apply(now, p);
            }
        }
        let off = self.churn[i].period(false);
        let up = now + off;
        let down = up + self.churn[i].period(true);
        if up != SimTime::NEVER {
            self.queue.push(up, Event::NodeUp(n, down));
        }
    }

    fn arrive(
        &mut self,
        now: SimTime,
        from: NodeId,
        to: NodeId,
        payload: Payload,
        epochs: (u32, u32),
    ) {
        let intact = self.online[to as usize]
            && self.online[from as usize]
            && (self.epoch[from as usize], self.epoch[to as usize]) == epochs;
        if !intact {
            self.recorder.on_lost();
            return;
        }
        self.recorder.on_receive(to, &payload, now);
        self.nodes[to as usize].handle_payload(now, from, payload, &mut self.outbox);
        self.apply(now, to);
    }

    fn schedule_write(&mut self, now: SimTime, writer: usize) {
        let w = &mut self.writers[writer];
        if let Some(exp) = w.rate {
            let gap = SimTime::from_secs_f64(exp.sample(&mut w.rng)).max(SimTime(1));
            let epoch = self.epoch[w.node as usize];
            self.queue.push(now + gap, Event::Write { writer, epoch });
        }
    }

    fn draw_body(&mut self, writer: usize) -> u32 {
        let x = self
            .scenario
            .body_bytes
            .sample(&mut self.writers[writer].rng);
        x.round().clamp(1.0, MAX_BODY_BYTES) as u32
    }

    fn write_scripted(&mut self, now: SimTime, i: usize) {
        let s = self.scenario.script[i].clone();
        let body = s.body_bytes.unwrap_or_else(|| {
            let x = self.scenario.body_bytes.sample(&mut self.body_rng);
            x.round().clamp(1.0, MAX_BODY_BYTES) as u32
        });
        self.write(now, s.from, s.group, body);
    }

    fn write(&mut self, now: SimTime, node: NodeId, group: GroupId, body_len: u32) {
        let msg: MessageRef = Arc::new(Message {
            id: self.next_msg,
            group,
            sender: node,
            created: now,
            body_len,
            parents: self.nodes[node as usize].heads(group),
        });
        self.next_msg += 1;
        self.recorder.on_create(msg.clone());
        self.nodes[node as usize].append(now, msg, &mut self.outbox);
        self.apply(now, node);
    }

    /// Carries out the commands node `n` wrote.
    fn apply(&mut self, now: SimTime, n: NodeId) {
        let mut out = std::mem::take(&mut self.outbox);
        for cmd in out.drain() {
            match cmd {
                Command::Send { to, payload } => self.send(now, n, to, payload),
                Command::Deliver { msg } => self.recorder.on_deliver(n, msg, now),
                Command::SetTimer { at } => {
                    let g = &mut self.timer_generation[n as usize];
                    *g += 1;
                    if at != SimTime::NEVER {
                        let generation = *g;
                        self.queue.push(
                            at.max(now),
                            Event::Timer {
                                node: n,
                                generation,
                            },
                        );
                    }
                }
            }
        }
        self.outbox = out;
    }

    fn send(&mut self, now: SimTime, from: NodeId, to: NodeId, payload: Payload) {
        let reachable = self.online[from as usize]
            && self.online[to as usize]
            && self.peers[from as usize].binary_search(&to).is_ok();
        if !reachable {
            // A node only sends to peers it was told are up; anything else
            // never reaches a link and costs nothing.
            return;
        }
        let bytes = self.network.wire_bytes(payload.encoded_len());
        self.recorder.on_send(bytes, &payload);
        match self.network.send(now, from, to, bytes) {
            Verdict::Lost => self.recorder.on_lost(),
            Verdict::Deliver { at } => {
                let epochs = (self.epoch[from as usize], self.epoch[to as usize]);
                self.queue.push(
                    at,
                    Event::Arrive {
                        from,
                        to,
                        payload,
                        epochs,
                    },
                );
            }
        }
    }
}

/// Runs `scenario` under its own strategy with `seed`: a pure function.
pub fn run(scenario: &Scenario, seed: u64) -> RunReport {
    run_with(scenario, scenario.strategy, seed)
}

/// Runs `scenario` under `strategy` with `seed`: a pure function.
pub fn run_with(scenario: &Scenario, strategy: Strategy, seed: u64) -> RunReport {
    World::build(scenario, strategy, seed).run()
}
