//! The discrete-event engine: builds a world from a scenario and a seed, and
//! runs it.
//!
//! [`run`] is a pure function of `(scenario, seed)`. The engine owns time,
//! the event queue, connectivity, the network, the mailservers' archives and
//! every node; nodes only answer through their [`Outbox`], whose commands the
//! engine carries out. Events are ordered by `(time, seq)`; every random draw
//! comes from a named sub-stream of the seed (churn per node, writers per
//! (group, member), network, topology, each node's own).
//!
//! Submodules: `links` (what nodes are told about reachability, and how a
//! payload travels), `mail` (store-forward mailservers), `one` (The ONE's
//! link model, `link.one`).

pub mod estimate;
mod links;
mod mail;
mod one;
mod registry;

pub use registry::{run_in, Engine, Registry, RunError, RunInput};

use crate::node::{Command, Node, NodeContext, Outbox, Passive, Role, Strategy, WirePayload};
use crate::report::{
    ConvergenceInput, EndOfRun, NodeKind, RecordLabel, Recorder, RunInfo, RunReport,
};
use crate::scenario::{AdversaryKind, Presence, Scenario, TopologySpec, MAX_BODY_BYTES};
use crate::sim::message::{GroupId, Members, Message, MessageRef, MsgId, NodeId};
use crate::sim::queue::{EventQueue, Popped};
use crate::sim::rng::stream;
use crate::sim::time::SimTime;
use crate::world::churn::ChurnProcess;
use crate::world::connectivity::Connectivity;
use crate::world::network::Network;
use crate::world::one_link::OneLinks;
use crate::world::topology::Topology;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp};
use rustc_hash::FxHashSet;

/// Event kinds, as folded into the trace hash.
mod kind {
    pub const UP: u8 = 1;
    pub const DOWN: u8 = 2;
    pub const ARRIVE: u8 = 3;
    pub const TIMER: u8 = 4;
    pub const WRITE: u8 = 5;
    pub const SCRIPT: u8 = 6;
    pub const CONTACT: u8 = 7;
    pub const PARTITION: u8 = 8;
    pub const MAIL: u8 = 9;
    pub const CRASH: u8 = 10;
    pub const RESTART: u8 = 11;
    pub const TRANSFER: u8 = 12;
    pub const ABORT: u8 = 13;
}

#[derive(Debug)]
enum Event<P> {
    /// The node comes online; it goes down again at the given time.
    NodeUp(NodeId, SimTime),
    NodeDown(NodeId),
    Contact {
        a: NodeId,
        b: NodeId,
        up: bool,
    },
    Partition {
        index: usize,
        start: bool,
    },
    Arrive {
        from: NodeId,
        to: NodeId,
        /// The payload and its bytes on the wire. Boxed: keeps events
        /// small, so the heap moves little memory.
        payload: Box<(P, u64)>,
        /// Online epochs of (from, to) when it was sent.
        epochs: (u32, u32),
    },
    Write {
        writer: usize,
        epoch: u32,
    },
    Script(usize),
    /// Boxed: mail events are rare and large; keeping them out of line keeps
    /// every queue entry small.
    Mail(Box<mail::MailEvent<P>>),
    /// Crash spec `spec` takes `node` down now.
    Crash {
        node: NodeId,
        spec: usize,
    },
    /// The node restarts after a crash.
    Restart {
        node: NodeId,
        volatile: bool,
    },
    /// Next random-crash draw of `node` under crash spec `spec`.
    CrashDraw {
        node: NodeId,
        spec: usize,
    },
}

/// A Poisson writer: one member of one group, or an adversary.
struct Writer {
    group: GroupId,
    node: NodeId,
    rate: Option<Exp<f64>>,
    rng: ChaCha8Rng,
    adversary: Option<AdversaryKind>,
}

/// Who syncs which group, computed once per run: each group's sync members
/// (its members plus sync-peer mailservers serving it) and each node's groups.
struct SyncGroups {
    members: Vec<Members>,
    of_node: Vec<Vec<GroupId>>,
}

impl SyncGroups {
    fn new(scenario: &Scenario) -> Self {
        let members: Vec<Members> = (0..scenario.groups.len() as GroupId)
            .map(|g| scenario.sync_members(g).into())
            .collect();
        let mut of_node = vec![Vec::new(); scenario.nodes as usize];
        for (g, m) in members.iter().enumerate() {
            for &v in m.iter() {
                of_node[v as usize].push(g as GroupId);
            }
        }
        SyncGroups { members, of_node }
    }

    /// The groups node `me` syncs, each with its sync member list.
    fn of(&self, me: NodeId) -> Vec<(GroupId, Members)> {
        self.of_node[me as usize]
            .iter()
            .map(|&g| (g, self.members[g as usize].clone()))
            .collect()
    }
}

/// The run's recorder: the groups, the strategy's record kinds, and
/// whether the run promises causal order (consistent delivery under a
/// strategy that carries parents).
fn recorder<S: Strategy>(scenario: &Scenario, strategy: &S) -> Recorder {
    let mut r = Recorder::new(
        scenario.groups.iter().map(|g| g.members.clone()).collect(),
        scenario.groups.iter().map(|g| g.name.clone()).collect(),
        record_labels(strategy),
    );
    let consistent = scenario.sync.delivery().mode == crate::node::store::DeliveryMode::Consistent;
    let caps = strategy.capabilities();
    r.promise_causal_order(consistent && caps.carries_parents);
    r.set_nodes(node_kinds(scenario), caps.wire_links_sender_to_group);
    r
}

/// What each node is, for the contribution figures: a mailserver, a
/// member of some group, or neither.
fn node_kinds(scenario: &Scenario) -> Vec<NodeKind> {
    let mut kinds = vec![NodeKind::NonMember; scenario.nodes as usize];
    for g in &scenario.groups {
        for &v in &g.members {
            kinds[v as usize] = NodeKind::Member;
        }
    }
    for (v, k) in kinds.iter_mut().enumerate() {
        if scenario.is_mailserver(v as NodeId) {
            *k = NodeKind::Store;
        }
    }
    kinds
}

/// Builds the node for `me` running `strategy`, in its role: a passive
/// one for a store-forward mailserver's host (unless the strategy runs on
/// stores) and for a node in no group (unless it relays everything).
fn build_node<S: Strategy>(
    scenario: &Scenario,
    sync: &SyncGroups,
    strategy: &S,
    config: &S::Config,
    me: NodeId,
    seed: u64,
) -> Box<dyn Node<S::Payload>> {
    let caps = strategy.capabilities();
    let groups = sync.of(me);
    let role = if scenario.is_store_forward_mailserver(me) {
        Role::Store
    } else if groups.is_empty() {
        Role::Relay
    } else {
        Role::Member
    };
    let runs = match role {
        Role::Store => caps.runs_on_stores,
        Role::Relay => caps.relays_everything,
        Role::Member => true,
    };
    if !runs {
        return Box::new(Passive);
    }
    let sharing: Vec<(GroupId, Members)> = groups
        .iter()
        .map(|&(g, _)| (g, scenario.share_peers(g, me).into()))
        .collect();
    let ctx = NodeContext {
        me,
        groups: &groups,
        sharing: &sharing,
        delivery: scenario.sync.delivery(),
        presence_known: scenario.transport.presence == Presence::Known,
        seed,
        role,
    };
    strategy.build(config, &ctx)
}

/// For each node, the nodes it syncs with, sorted: co-members (with
/// sync-peer mailservers), or every other syncing node for strategies that
/// relay everything.
fn sync_peers(scenario: &Scenario, sync: &SyncGroups, relays_everything: bool) -> Vec<Vec<NodeId>> {
    let n = scenario.nodes as usize;
    let mut peers = vec![Vec::new(); n];
    if relays_everything {
        let active: Vec<NodeId> = (0..scenario.nodes)
            .filter(|&v| !scenario.is_store_forward_mailserver(v))
            .collect();
        for &a in &active {
            peers[a as usize] = active.iter().copied().filter(|&b| b != a).collect();
        }
        return peers;
    }
    for members in &sync.members {
        for &a in members.iter() {
            peers[a as usize].extend(members.iter().copied().filter(|&b| b != a));
        }
    }
    for p in &mut peers {
        p.sort_unstable();
        p.dedup();
    }
    peers
}

/// The simulated world of one run under strategy `S`.
pub struct World<'a, S: Strategy> {
    scenario: &'a Scenario,
    strategy: &'a S,
    config: &'a S::Config,
    seed: u64,
    sync: SyncGroups,
    queue: EventQueue<Event<S::Payload>>,
    nodes: Vec<Box<dyn Node<S::Payload>>>,
    conn: Connectivity,
    epoch: Vec<u32>,
    churn: Vec<ChurnProcess>,
    peers: Vec<Vec<NodeId>>,
    /// Peers each node was told are linked.
    told: Vec<FxHashSet<NodeId>>,
    writers: Vec<Writer>,
    writers_of: Vec<Vec<usize>>,
    /// Scripted messages waiting for their offline sender.
    deferred: Vec<Vec<usize>>,
    body_rng: ChaCha8Rng,
    network: Network,
    recorder: Recorder,
    outbox: Outbox<S::Payload>,
    next_msg: u32,
    /// Whether each partition is in force.
    partition_active: Vec<bool>,
    mail: Option<mail::Mail<S::Payload>>,
    mailserver: Vec<bool>,
    /// Online intervals per node (kept when partitions need convergence).
    online_log: Option<Vec<Vec<(SimTime, SimTime)>>>,
    /// Online by churn (a crashed node is offline whatever its churn says).
    churn_online: Vec<bool>,
    crashed: Vec<bool>,
    crash_rng: Vec<ChaCha8Rng>,
    /// Fake parent ids handed out to hole attackers, counting down from MAX.
    next_hole: MsgId,
    /// The ONE's link model, with `link.one`.
    one: Option<OneLinks>,
    /// Its next update tick ([`SimTime::NEVER`]: none needed).
    one_next: SimTime,
}

impl<'a, S: Strategy> World<'a, S> {
    /// Builds the world for `scenario` under `strategy` (with its parsed
    /// `config`) and `seed`.
    pub fn build(
        scenario: &'a Scenario,
        strategy: &'a S,
        config: &'a S::Config,
        seed: u64,
    ) -> World<'a, S> {
        let n = scenario.nodes as usize;
        let topology = Topology::build(&scenario.topology, scenario.nodes, seed);
        let (writers, writers_of) = Self::writers(scenario, seed);
        let sync = SyncGroups::new(scenario);
        World {
            scenario,
            strategy,
            config,
            seed,
            queue: EventQueue::new(),
            nodes: (0..scenario.nodes)
                .map(|i| build_node(scenario, &sync, strategy, config, i, seed))
                .collect(),
            conn: Connectivity::new(topology, scenario.nodes, scenario.transport.routing),
            epoch: vec![0; n],
            churn: (0..scenario.nodes)
                .map(|i| ChurnProcess::new(scenario.churn[i as usize].clone(), seed, i))
                .collect(),
            peers: sync_peers(scenario, &sync, strategy.capabilities().relays_everything),
            told: vec![FxHashSet::default(); n],
            writers,
            writers_of,
            deferred: vec![Vec::new(); n],
            body_rng: stream(seed, "script-bodies", 0),
            network: Network::new(scenario.link.clone(), seed),
            recorder: recorder(scenario, strategy),
            outbox: Outbox::new(),
            next_msg: 0,
            partition_active: vec![false; scenario.partitions.len()],
            mail: mail::Mail::new(scenario),
            mailserver: (0..scenario.nodes)
                .map(|v| scenario.is_mailserver(v))
                .collect(),
            online_log: (!scenario.partitions.is_empty()).then(|| vec![Vec::new(); n]),
            churn_online: vec![false; n],
            crashed: vec![false; n],
            crash_rng: (0..scenario.crashes.len())
                .map(|i| stream(seed, "crash", i as u64))
                .collect(),
            next_hole: MsgId::MAX,
            one: scenario.link.one.map(|spec| OneLinks::new(spec, n, seed)),
            one_next: SimTime::NEVER,
            sync,
        }
    }

    /// Refuses a scenario that needs what the strategy's wire cannot do:
    /// a payload carrying messages alone, for The ONE's link model (each
    /// message a transfer of its own) and for injected messages.
    pub fn check_supported(scenario: &Scenario, strategy: &S) -> Result<(), RunError> {
        let needs = if scenario.link.one.is_some() {
            Some("link.one sends each message as a transfer of its own")
        } else if scenario
            .adversaries
            .iter()
            .any(|a| a.kind == AdversaryKind::Inject)
        {
            Some("an inject adversary publishes messages outside the sync layer")
        } else {
            None
        };
        match needs {
            Some(why) if S::Payload::carrying(Vec::new()).is_none() => Err(RunError::Unsupported {
                strategy: strategy.name().to_string(),
                reason: format!(
                    "{why}, and its payload cannot carry messages alone (WirePayload::carrying)"
                ),
            }),
            _ => Ok(()),
        }
    }

    fn writers(scenario: &Scenario, seed: u64) -> (Vec<Writer>, Vec<Vec<usize>>) {
        let mut writers = Vec::new();
        let mut writers_of = vec![Vec::new(); scenario.nodes as usize];
        for (g, spec) in scenario.groups.iter().enumerate() {
            if spec.rate_per_hour <= 0.0 {
                continue;
            }
            for &m in &spec.members {
                writers_of[m as usize].push(writers.len());
                writers.push(Writer {
                    group: g as GroupId,
                    node: m,
                    rate: Exp::new(spec.rate_per_hour / 3600.0).ok(),
                    rng: stream(seed, &format!("writer-{g}"), u64::from(m)),
                    adversary: None,
                });
            }
        }
        for (i, a) in scenario.adversaries.iter().enumerate() {
            if a.rate_per_hour <= 0.0 {
                continue;
            }
            writers_of[a.node as usize].push(writers.len());
            writers.push(Writer {
                group: a.group,
                node: a.node,
                rate: Exp::new(a.rate_per_hour / 3600.0).ok(),
                rng: stream(seed, "adversary", i as u64),
                adversary: Some(a.kind),
            });
        }
        (writers, writers_of)
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
        if let TopologySpec::Contacts(events) = &self.scenario.topology {
            for e in events {
                self.queue.push(
                    e.at,
                    Event::Contact {
                        a: e.a,
                        b: e.b,
                        up: e.up,
                    },
                );
            }
        }
        for (index, p) in self.scenario.partitions.iter().enumerate() {
            self.queue
                .push(p.at, Event::Partition { index, start: true });
            self.queue.push(
                p.until,
                Event::Partition {
                    index,
                    start: false,
                },
            );
        }
        for (i, s) in self.scenario.script.iter().enumerate() {
            self.queue.push(s.at, Event::Script(i));
        }
        for (spec, c) in self.scenario.crashes.iter().enumerate() {
            for &node in &c.nodes {
                match c.at {
                    Some(at) => self.queue.push(at, Event::Crash { node, spec }),
                    None => self.schedule_crash_draw(SimTime::ZERO, node, spec),
                }
            }
        }
    }

    fn schedule_crash_draw(&mut self, now: SimTime, node: NodeId, spec: usize) {
        let rate = self.scenario.crashes[spec].rate_per_hour / 3600.0;
        if let Ok(exp) = Exp::new(rate) {
            let gap = SimTime::from_secs_f64(exp.sample(&mut self.crash_rng[spec])).max(SimTime(1));
            self.queue.push(now + gap, Event::CrashDraw { node, spec });
        }
    }

    /// Total payloads still travelling, counting `extra` (an event popped
    /// past the end).
    fn in_flight(&self, extra: Option<&Event<S::Payload>>) -> u64 {
        let arrive = |e: &Event<S::Payload>| matches!(e, Event::Arrive { .. });
        self.queue.iter().filter(|e| arrive(e)).count() as u64
            + u64::from(extra.is_some_and(arrive))
            + self.one.as_ref().map_or(0, |o| o.under_way() as u64)
    }

    /// Messages some store-forward archive still holds.
    fn archived(&self) -> Vec<bool> {
        let mut archived = vec![false; self.next_msg as usize];
        if let Some(mail) = &self.mail {
            for m in mail.archived_messages() {
                if let Some(a) = archived.get_mut(m as usize) {
                    *a = true;
                }
            }
        }
        archived
    }

    /// Runs until the scenario's end and returns the report.
    pub fn run(self) -> RunReport {
        self.run_observed(&|_| {})
    }

    /// [`World::run`], calling `progress` with the simulated time every
    /// [`PROGRESS_EVERY`] events (for a progress bar; it cannot change the
    /// run).
    pub fn run_observed(mut self, progress: &dyn Fn(SimTime)) -> RunReport {
        self.schedule_initial();
        let end = self.scenario.duration;
        let mut past_end = None;
        let mut count: u64 = 0;
        loop {
            if let Some(t) = self.one_tick_due(self.queue.peek_time()) {
                self.one_tick(t);
                continue;
            }
            let Some((now, popped)) = self.queue.pop() else {
                break;
            };
            count += 1;
            if count.is_multiple_of(PROGRESS_EVERY) {
                progress(now);
            }
            let event = match popped {
                Popped::Event(e) => e,
                Popped::Timer(_) if now > end => break,
                Popped::Timer(node) => {
                    self.fire_timer(now, node);
                    continue;
                }
            };
            if now > end {
                past_end = Some(event);
                break;
            }
            self.dispatch(now, event);
        }
        self.finish(past_end)
    }

    /// Hands the recorder what only the engine knows, and takes the report.
    fn finish(mut self, past_end: Option<Event<S::Payload>>) -> RunReport {
        let in_flight = self.in_flight(past_end.as_ref());
        let convergence = self.convergence_input();
        let archived = self.archived();
        let info = RunInfo {
            scenario: self.scenario.name.clone(),
            strategy: self.strategy.name().to_string(),
            seed: self.seed,
            nodes: self.scenario.nodes,
            duration: self.scenario.duration,
        };
        let nodes = std::mem::take(&mut self.nodes);
        let members = &self.sync.members;
        // A message is held when an archive, a member of its group (asked
        // first: the likely holders) or any node holds it.
        let holds = |m: MsgId, g: GroupId| {
            archived[m as usize]
                || members[g as usize]
                    .iter()
                    .any(|&v| nodes[v as usize].holds(m))
                || nodes.iter().any(|n| n.holds(m))
        };
        let end = EndOfRun {
            in_flight,
            holds: &holds,
            convergence,
        };
        self.recorder.finish(info, end)
    }

    /// With partitions: the last heal and who was online when.
    fn convergence_input(&mut self) -> Option<ConvergenceInput> {
        let heal = self.scenario.partitions.iter().map(|p| p.until).max()?;
        // Intervals still open end at NEVER: the node stayed online.
        let online = self.online_log.take()?;
        let member = (0..self.scenario.nodes)
            .map(|v| !self.mailserver[v as usize] && !self.peers[v as usize].is_empty())
            .collect();
        Some(ConvergenceInput {
            heal: heal.min(self.scenario.duration),
            online,
            member,
        })
    }

    fn fire_timer(&mut self, now: SimTime, node: NodeId) {
        self.recorder.on_event(now, kind::TIMER, node);
        self.nodes[node as usize].handle_timeout(now, &mut self.outbox);
        self.apply(now, node);
    }

    fn dispatch(&mut self, now: SimTime, event: Event<S::Payload>) {
        match event {
            Event::NodeUp(n, down) => {
                self.recorder.on_world_event(now, kind::UP, n);
                self.churn_up(now, n, down);
            }
            Event::NodeDown(n) => {
                self.recorder.on_world_event(now, kind::DOWN, n);
                self.churn_down(now, n);
            }
            Event::Crash { node, spec } => {
                self.recorder.on_world_event(now, kind::CRASH, node);
                self.crash(now, node, spec);
            }
            Event::Restart { node, volatile } => {
                self.recorder.on_world_event(now, kind::RESTART, node);
                self.restart(now, node, volatile);
            }
            Event::CrashDraw { node, spec } => {
                if self.conn.online(node) {
                    self.recorder.on_world_event(now, kind::CRASH, node);
                    self.crash(now, node, spec);
                }
                self.schedule_crash_draw(now, node, spec);
            }
            Event::Contact { a, b, up } => {
                self.recorder.on_world_event(now, kind::CONTACT, a);
                self.conn.set_link(a, b, up);
                self.refresh_pair_or_all(now, a, b);
            }
            Event::Partition { index, start } => {
                self.recorder
                    .on_world_event(now, kind::PARTITION, index as NodeId);
                self.partition_active[index] = start;
            }
            Event::Arrive {
                from,
                to,
                payload,
                epochs,
            } => {
                self.recorder.on_event(now, kind::ARRIVE, to);
                let (payload, bytes) = *payload;
                self.arrive(now, from, to, payload, bytes, epochs);
            }
            Event::Write { writer, epoch } => {
                let node = self.writers[writer].node;
                if self.conn.online(node) && self.epoch[node as usize] == epoch {
                    self.recorder.on_event(now, kind::WRITE, node);
                    let body = self.draw_body(writer);
                    let group = self.writers[writer].group;
                    match self.writers[writer].adversary {
                        None => self.write(now, node, group, body, &[]),
                        Some(a) => self.adversary_write(now, a, node, group, body),
                    }
                    self.schedule_write(now, writer);
                }
            }
            Event::Script(i) => {
                let s = &self.scenario.script[i];
                self.recorder.on_event(now, kind::SCRIPT, s.from);
                if self.conn.online(s.from) {
                    self.write_scripted(now, i);
                } else {
                    self.deferred[s.from as usize].push(i);
                }
            }
            Event::Mail(ev) => {
                self.recorder.on_event(now, kind::MAIL, ev.client());
                self.mail_event(now, *ev);
            }
        }
    }

    fn churn_up(&mut self, now: SimTime, n: NodeId, down: SimTime) {
        self.churn_online[n as usize] = true;
        if down != SimTime::NEVER {
            self.queue.push(down, Event::NodeDown(n));
        }
        if !self.crashed[n as usize] {
            self.go_online(now, n);
        }
    }

    fn churn_down(&mut self, now: SimTime, n: NodeId) {
        let i = n as usize;
        self.churn_online[i] = false;
        if self.conn.online(n) {
            self.go_offline(now, n);
        }
        let off = self.churn[i].period(false);
        let up = now + off;
        let down = up + self.churn[i].period(true);
        if up != SimTime::NEVER {
            self.queue.push(up, Event::NodeUp(n, down));
        }
    }

    fn crash(&mut self, now: SimTime, n: NodeId, spec: usize) {
        if self.crashed[n as usize] {
            return;
        }
        let c = &self.scenario.crashes[spec];
        let (volatile, down) = (c.volatile, c.down);
        self.recorder.on_crash(n, volatile);
        self.crashed[n as usize] = true;
        if self.conn.online(n) {
            self.go_offline(now, n);
        }
        self.queue
            .push(now + down, Event::Restart { node: n, volatile });
    }

    /// Restarts a crashed node; with volatile state it comes back empty.
    fn restart(&mut self, now: SimTime, n: NodeId, volatile: bool) {
        let i = n as usize;
        self.crashed[i] = false;
        if volatile {
            self.nodes[i] = build_node(
                self.scenario,
                &self.sync,
                self.strategy,
                self.config,
                n,
                self.seed,
            );
            self.told[i].clear();
            self.queue.cancel_timer(n);
            if let Some(mail) = &mut self.mail {
                mail.forget(n);
            }
        }
        if self.churn_online[i] {
            self.go_online(now, n);
        }
    }

    fn go_online(&mut self, now: SimTime, n: NodeId) {
        let i = n as usize;
        self.conn.set_online(n, true);
        self.recorder.on_online(n, now, true);
        if let Some(log) = &mut self.online_log {
            log[i].push((now, SimTime::NEVER));
        }
        self.refresh_node_or_all(now, n);
        for w in self.writers_of[i].clone() {
            self.schedule_write(now, w);
        }
        for s in std::mem::take(&mut self.deferred[i]) {
            self.write_scripted(now, s);
        }
        self.mail_on_up(now, n);
    }

    fn go_offline(&mut self, now: SimTime, n: NodeId) {
        let i = n as usize;
        self.conn.set_online(n, false);
        self.recorder.on_online(n, now, false);
        self.epoch[i] += 1;
        if let Some(last) = self.online_log.as_mut().and_then(|l| l[i].last_mut()) {
            last.1 = now;
        }
        self.refresh_node_or_all(now, n);
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
        self.write(now, s.from, s.group, body, &[]);
    }

    /// A write by a misbehaving node.
    fn adversary_write(
        &mut self,
        now: SimTime,
        kind: AdversaryKind,
        node: NodeId,
        group: GroupId,
        body: u32,
    ) {
        match kind {
            AdversaryKind::Spam => {
                self.recorder.tag_spam(self.next_msg);
                self.write(now, node, group, body, &[]);
            }
            AdversaryKind::Hole => {
                let fake = self.next_hole;
                self.next_hole -= 1;
                self.write(now, node, group, body, &[fake]);
            }
            AdversaryKind::Inject => {
                // Not a member: no sync state for the group; it publishes the
                // message to every member it can reach.
                let msg = MessageRef::new(Message {
                    id: self.next_msg,
                    group,
                    sender: node,
                    created: now,
                    body_len: body,
                    parents: Vec::new(),
                });
                self.next_msg += 1;
                self.recorder.on_create(msg.clone());
                let payload = S::Payload::carrying(vec![msg])
                    .expect("checked before the run: the strategy's wire carries messages alone");
                self.publish(now, node, group, payload);
            }
        }
    }

    /// `node` writes a message in `group`; its parents are the node's heads
    /// plus `extra_parents` (ids that never exist, for the hole attack).
    fn write(
        &mut self,
        now: SimTime,
        node: NodeId,
        group: GroupId,
        body_len: u32,
        extra_parents: &[MsgId],
    ) {
        let mut parents = self.nodes[node as usize].heads(group);
        parents.extend_from_slice(extra_parents);
        let msg = MessageRef::new(Message {
            id: self.next_msg,
            group,
            sender: node,
            created: now,
            body_len,
            parents,
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
                Command::Publish { group, payload } => self.publish(now, n, group, payload),
                // Mailservers have no application.
                Command::Deliver { msg } if !self.mailserver[n as usize] => {
                    self.recorder.on_deliver(n, msg, now)
                }
                Command::DeliverUnverified { msg } if !self.mailserver[n as usize] => {
                    self.recorder.on_deliver_unverified(n, msg, now)
                }
                Command::Deliver { .. } | Command::DeliverUnverified { .. } => {}
                Command::SetTimer { at } if at == SimTime::NEVER => self.queue.cancel_timer(n),
                Command::SetTimer { at } => self.queue.set_timer(n, at.max(now)),
                Command::Dropped { since, .. } => self.recorder.on_buffer_delete(since, now, true),
            }
        }
        self.outbox = out;
    }
}

// The node layer's per-kind arrays are the report's.
const _: () = assert!(crate::node::MAX_RECORD_KINDS == crate::report::MAX_RECORD_KINDS);

/// The strategy's record kinds as the report labels them.
fn record_labels<S: Strategy>(strategy: &S) -> Vec<RecordLabel> {
    strategy
        .record_kinds()
        .iter()
        .map(|k| RecordLabel {
            name: k.name,
            listed_when_zero: k.listed_when_zero,
        })
        .collect()
}

/// Runs `scenario` under its own strategy with `seed`: a pure function.
/// The strategy must be a built-in one (a scenario validated by
/// [`Scenario::parse`] names one); see [`run_in`] for others.
pub fn run(scenario: &Scenario, seed: u64) -> Result<RunReport, RunError> {
    run_with(scenario, &scenario.strategy, seed)
}

/// Runs `scenario` under the built-in strategy `strategy` with `seed`.
pub fn run_with(scenario: &Scenario, strategy: &str, seed: u64) -> Result<RunReport, RunError> {
    run_in(&Registry::builtin(), scenario, strategy, seed, &|_| {})
}

/// Events between two progress reports.
pub const PROGRESS_EVERY: u64 = 1 << 16;

#[cfg(test)]
mod size_tests {
    #[test]
    fn events_stay_small() {
        // Every queue entry moves this many bytes on each heap swap.
        assert!(std::mem::size_of::<super::Event<crate::node::wire::Payload>>() <= 32);
    }
}
