//! How big a run will be, from the scenario alone, before any work:
//! messages written, deliveries due, engine events, other steps of work,
//! peak memory and the time it takes.
//!
//! The model counts what a run keeps: per (message, member) pair the
//! checker's times, the delivery row and the members' stores; per node its
//! sync state and its peers; per edge of a generated topology petgraph's
//! adjacency; for strategies that relay everything, every node's copy of
//! every message. Events grow with deliveries (each is a payload, an
//! arrival and timers), churn and crash transitions (a link change per
//! peer, and the sync each reconnection starts), crash draws and trace
//! contacts. Steps that are not events: the topology's pair draws
//! (Erdős–Rényi and random-geometric look at every pair of nodes), the
//! Barabási–Albert draws, crash draws of a node that is down, and with
//! multi-hop routing the components recomputed over every edge after each
//! change. The constants are fitted to the bundled scenarios and to the
//! grid of `tests/it/estimate.rs` (README, "Limits").
//!
//! Each figure also says which input field is most to blame for it
//! ([`Blame`]), so a refusal can point at the field to change.
//!
//! Imports: `sim/`, `world/`, `node/` (strategy traits), `scenario/`.

use crate::node::{Capabilities, Footprint, StrategyInfo};
use crate::scenario::{ChurnSpec, Scenario};
use crate::world::connectivity::Routing;
use crate::world::topology::TopologySpec;

/// Bytes per (message, member) pair: checker times, delivery row, store
/// entry and sync state.
const BYTES_PER_SLOT: f64 = 160.0;
/// Bytes per message: the message, its parents, its catalogue entries.
const BYTES_PER_MESSAGE: f64 = 200.0;
/// Bytes per node: its sync node, churn, random streams, queues.
const BYTES_PER_NODE: f64 = 4096.0;
/// Bytes per (node, peer) pair a node keeps state for.
const BYTES_PER_PEER: f64 = 96.0;
/// Bytes per (message, member, co-member) send state, for strategies in
/// which every member shares what it received (BSP keeps one per message
/// and peer until the peer acks it).
const BYTES_PER_SHARE_STATE: f64 = 12.0;
/// Bytes per (node, message) copy carried by a relaying node.
const BYTES_PER_RELAY_COPY: f64 = 16.0;
/// Bytes per edge of a generated topology at its peak: petgraph's
/// `UnGraphMap` keeps an edge map entry and two adjacency entries, and
/// doubles both as it grows (measured: Erdős–Rényi p = 1 at 3,000 nodes,
/// 4.5 M edges, peaks at 335 MB: 68 bytes an edge).
const BYTES_PER_EDGE: f64 = 72.0;
/// Bytes per (source, node) hop count cached with multi-hop routing.
const BYTES_PER_HOP: f64 = 4.0;
/// The process before any run (binary, allocator, fonts).
const BASE_BYTES: f64 = 24.0 * 1024.0 * 1024.0;
/// Events per delivery made, by kind of strategy (fitted on the grid of
/// `tests/it/estimate.rs`): members that share what they received (BSP)
/// or keep per-peer state until acknowledged (MVDS-VAC) exchange offers,
/// requests, acks and timers per pair; MVDS as Status runs it sends and
/// forgets; a strategy that only deposits with mailservers does little
/// without them; a relaying strategy costs per copy carried.
const EVENTS_PER_DELIVERY_SYNC: f64 = 24.0;
const EVENTS_PER_DELIVERY_SEND_ONCE: f64 = 3.0;
const EVENTS_PER_DELIVERY_DEPOSIT: f64 = 1.5;
/// Set reconciliation moves messages in batches per round (fitted on the
/// same grid: negentropy and waku-sync made 5–17× fewer events than a
/// per-pair sync strategy).
const EVENTS_PER_DELIVERY_RECONCILE: f64 = 2.5;
const EVENTS_PER_RELAY_COPY: f64 = 8.0;
/// With `transport.presence` unknown a node believes every online
/// co-member linked, so on a sparse graph it also sends to the ones it has
/// no edge to, and a strategy that promises delivery sends again on its
/// short backoff until the run ends ([`Capabilities::resends_to_unreachable`]):
/// sends per unreachable (message, member) pair, fitted on the random
/// worlds of `tests/it/estimate.rs` (mvds-vac on a ring made 19x the events
/// the estimate gave without it).
const UNKNOWN_PRESENCE_RESENDS: f64 = 3.0;
/// A reconciling strategy runs rounds every few minutes whether or not
/// there is anything new: negentropy with each pair sharing a group
/// ([`Capabilities::reconciles_with_every_peer`], every `interval_s`,
/// default 300 s, and on every link-up), waku-sync with one random peer per
/// node: rounds per pair (or node) and hour, and events per round (frames
/// both ways and their timers), fitted on the random worlds of
/// `tests/it/estimate.rs` (negentropy at low message rates made 10x the
/// events the per-delivery figure alone gave).
const RECONCILE_ROUNDS_PER_PAIR_HOUR: f64 = 12.0;
const EVENTS_PER_RECONCILE_ROUND: f64 = 1.5;
/// Wall time per envelope a store-forward mailserver returns: a client's
/// query (every `query_interval_s` and on coming online) is answered by
/// every mailserver with its whole archive of the served groups, one
/// envelope each, not one event each (measured ~20 µs an envelope: 100
/// mailservers, 10 clients, 600 s took 6.6 s on a loaded machine for
/// 26,000 events).
const SECONDS_PER_ENVELOPE: f64 = 20e-6;
/// Events per node going on- or offline (its own event), per sync peer it
/// reaches or leaves, per contact, per crash (the crash and the restart)
/// and per crash per peer, and per node (its first coming online).
const EVENTS_PER_TRANSITION: f64 = 1.0;
const EVENTS_PER_LINK_CHANGE: f64 = 0.3;
const EVENTS_PER_CONTACT: f64 = 6.0;
const EVENTS_PER_CRASH: f64 = 2.0;
const EVENTS_PER_CRASH_PEER: f64 = 0.15;
const EVENTS_PER_NODE: f64 = 1.0;
/// Steps per edge a topology generator adds (a map insert with growth:
/// ~1.1 µs here, against ~4 ns a pair draw).
const STEPS_PER_EDGE: f64 = 200.0;

/// Engine events per second this estimate assumes: a quarter of the rate
/// the slowest bundled scenario runs at (scale-10k, 0.89 M/s on one core
/// in docs/performance.md), as a busy or slower machine may.
pub const EVENTS_PER_SECOND: f64 = 250_000.0;
/// Other steps (pair draws, edge visits) per second, likewise a quarter of
/// what Erdős–Rényi generation draws here (230 M pairs/s; README "Limits").
pub const STEPS_PER_SECOND: f64 = 50_000_000.0;

/// The input field a figure of the estimate grows with most.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Blame {
    /// `nodes`.
    #[default]
    Nodes,
    /// `duration_s`.
    Duration,
    /// `groups[i]` (its rate and members).
    Group(usize),
    /// `messages` (the scripted ones).
    Script,
    /// `adversaries[i].rate_per_hour`.
    Adversary(usize),
    /// `churn`.
    Churn,
    /// `churn_overrides`.
    ChurnOverrides,
    /// `crashes[i].rate_per_hour`.
    CrashRate(usize),
    /// `crashes[i].nodes` (scheduled crashes).
    Crash(usize),
    /// `topology.p`.
    TopologyP,
    /// `topology.radius`.
    TopologyRadius,
    /// `topology.m`.
    TopologyM,
    /// `topology.kind` (pair draws grow with the square of `nodes`).
    TopologyKind,
    /// `topology.edges`.
    TopologyEdges,
    /// `topology.file` (the contact trace).
    TopologyFile,
    /// `transport.routing`.
    Routing,
    /// A strategy's config field (its [`Footprint::field`]).
    StrategyConfig(&'static str),
    /// `mailservers.nodes` (every query is answered by every one).
    Mailservers,
}

impl Blame {
    /// The JSON path of the field.
    pub fn path(&self) -> String {
        match self {
            Blame::Nodes => "nodes".into(),
            Blame::Duration => "duration_s".into(),
            Blame::Group(i) => format!("groups[{i}].rate_per_hour"),
            Blame::Script => "messages".into(),
            Blame::Adversary(i) => format!("adversaries[{i}].rate_per_hour"),
            Blame::Churn => "churn".into(),
            Blame::ChurnOverrides => "churn_overrides".into(),
            Blame::CrashRate(i) => format!("crashes[{i}].rate_per_hour"),
            Blame::Crash(i) => format!("crashes[{i}].nodes"),
            Blame::TopologyP => "topology.p".into(),
            Blame::TopologyRadius => "topology.radius".into(),
            Blame::TopologyM => "topology.m".into(),
            Blame::TopologyKind => "topology.kind (with nodes)".into(),
            Blame::Mailservers => "mailservers.nodes".into(),
            Blame::TopologyEdges => "topology.edges".into(),
            Blame::TopologyFile => "topology.file".into(),
            Blame::Routing => "transport.routing".into(),
            Blame::StrategyConfig(field) => (*field).into(),
        }
    }
}

/// A sum of parts, remembering the largest part's field.
#[derive(Default)]
struct Tally {
    total: f64,
    top: (f64, Blame),
}

impl Tally {
    fn add(&mut self, blame: Blame, x: f64) {
        let x = if x.is_nan() {
            f64::INFINITY
        } else {
            x.max(0.0)
        };
        self.total += x;
        if x > self.top.0 {
            self.top = (x, blame);
        }
    }
}

/// The estimated size of one run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Messages written.
    pub messages: f64,
    /// (message, recipient) pairs due.
    pub deliveries: f64,
    /// Engine events (what `summary.json` counts as `events`).
    pub events: f64,
    /// Steps of work that are not events: topology pair draws, crash
    /// draws of nodes that are down, multi-hop edge visits.
    pub steps: f64,
    /// Edges of a generated or listed topology.
    pub edges: f64,
    /// Peak resident memory, bytes.
    pub peak_bytes: f64,
    /// Wall time at [`EVENTS_PER_SECOND`] and [`STEPS_PER_SECOND`].
    pub seconds: f64,
    /// The field the peak memory grows with most.
    pub memory_blame: Blame,
    /// The field the time grows with most.
    pub time_blame: Blame,
}

impl Estimate {
    /// The estimate for `scenario` under `strategy`, with what its config
    /// section in the scenario adds ([`StrategyInfo::footprint`]).
    pub fn for_strategy(scenario: &Scenario, strategy: &dyn StrategyInfo) -> Estimate {
        let section = scenario.strategy_config.get(strategy.config_key());
        Estimate::with_footprint(
            scenario,
            &strategy.capabilities(),
            &strategy.footprint(section),
        )
    }

    /// The estimate for `scenario` under a strategy that relays everything
    /// (or not), and whose members share what they received (or only
    /// their own messages).
    pub fn of(scenario: &Scenario, relays_everything: bool, members_share: bool) -> Estimate {
        Estimate::with(
            scenario,
            &Capabilities {
                relays_everything,
                members_share_received: members_share,
                ..Capabilities::default()
            },
        )
    }

    /// The estimate for `scenario` under a strategy of capabilities `caps`
    /// whose config adds nothing.
    pub fn with(scenario: &Scenario, caps: &Capabilities) -> Estimate {
        Estimate::with_footprint(scenario, caps, &Footprint::default())
    }

    /// The estimate for `scenario` under a strategy of capabilities `caps`
    /// whose config adds `footprint`.
    pub fn with_footprint(
        scenario: &Scenario,
        caps: &Capabilities,
        footprint: &Footprint,
    ) -> Estimate {
        let relays_everything = caps.relays_everything;
        let members_share = caps.members_share_received;
        let per_delivery = if caps.reconciles {
            EVENTS_PER_DELIVERY_RECONCILE
        } else if members_share || caps.eventual_delivery && caps.carries_parents {
            EVENTS_PER_DELIVERY_SYNC
        } else if caps.carries_parents {
            EVENTS_PER_DELIVERY_DEPOSIT
        } else {
            EVENTS_PER_DELIVERY_SEND_ONCE
        };
        let unknown_presence = scenario.transport.presence == crate::scenario::Presence::Unknown;
        let duration = scenario.duration;
        let hours = duration.as_secs_f64() / 3600.0;
        let micros = duration.as_micros() as f64;
        let n = f64::from(scenario.nodes);
        let online: Vec<f64> = scenario
            .churn
            .iter()
            .map(|c| c.online_fraction(duration))
            .collect();
        let mut per_group = vec![0.0; scenario.groups.len()];
        // The field each group's messages are blamed on.
        let mut group_blame: Vec<(f64, Blame)> = (0..scenario.groups.len())
            .map(|g| (0.0, Blame::Group(g)))
            .collect();
        for (g, spec) in scenario.groups.iter().enumerate() {
            per_group[g] = spec
                .members
                .iter()
                .map(|&v| spec.rate_online(online[v as usize]) * hours * online[v as usize])
                .sum();
            group_blame[g].0 = per_group[g];
        }
        for s in &scenario.script {
            per_group[s.group as usize] += 1.0;
        }
        for (i, a) in scenario.adversaries.iter().enumerate() {
            let x = a.rate_per_hour * hours * online[a.node as usize];
            per_group[a.group as usize] += x;
            if x > group_blame[a.group as usize].0 {
                group_blame[a.group as usize] = (x, Blame::Adversary(i));
            }
        }
        let blame_of = |g: usize| {
            if group_blame[g].0 > 0.0 {
                group_blame[g].1
            } else {
                Blame::Script
            }
        };
        let size = |g: usize| scenario.groups[g].members.len() as f64;
        let messages: f64 = per_group.iter().sum();
        let deliveries: f64 = (0..per_group.len())
            .map(|g| per_group[g] * (size(g) - 1.0))
            .sum();
        let mut events = Tally::default();
        let mut steps = Tally::default();
        let mut memory = Tally::default();
        memory.add(Blame::Nodes, BASE_BYTES + BYTES_PER_NODE * n);
        events.add(Blame::Nodes, EVENTS_PER_NODE * n);
        let (edges, edge_blame) = topology(scenario, &mut steps, &mut memory);
        // With direct routing over a sparse graph, a member reaches only
        // its neighbours: deliveries scale with the share of co-members
        // adjacent, to the power 0.85 (the rest arrive relayed, later, or
        // never; fitted on the grid).
        let adjacency = |size: f64| {
            let direct = scenario.transport.routing == Routing::Direct;
            match &scenario.topology {
                TopologySpec::FullMesh | TopologySpec::Contacts(_) => 1.0,
                _ if !direct || size <= 1.0 => 1.0,
                _ => (2.0 * edges / n.max(1.0) / (size - 1.0))
                    .clamp(0.0, 1.0)
                    .powf(0.85),
            }
        };
        // What the strategy's config adds: per group a member syncs, and
        // per (message, member) pair held.
        let memberships: f64 = (0..per_group.len()).map(size).sum();
        let held: f64 = (0..per_group.len()).map(|g| per_group[g] * size(g)).sum();
        let field = Blame::StrategyConfig(footprint.field);
        memory.add(field, footprint.bytes_per_membership * memberships);
        memory.add(field, footprint.bytes_per_held_message * held);
        let top_group = (0..per_group.len())
            .max_by(|&a, &b| per_group[a].total_cmp(&per_group[b]))
            .map_or(Blame::Nodes, blame_of);
        for (g, &msgs) in per_group.iter().enumerate() {
            let b = blame_of(g);
            if !relays_everything {
                let adj = adjacency(size(g));
                let mut made = msgs * (size(g) - 1.0) * adj;
                if unknown_presence && caps.resends_to_unreachable {
                    made += msgs * (size(g) - 1.0) * (1.0 - adj) * UNKNOWN_PRESENCE_RESENDS;
                }
                events.add(b, per_delivery * made);
            }
            memory.add(b, BYTES_PER_MESSAGE * msgs);
            memory.add(b, BYTES_PER_SLOT * msgs * size(g));
            if members_share {
                let states = msgs * size(g) * (size(g) - 1.0);
                memory.add(b, BYTES_PER_SHARE_STATE * states);
            }
        }
        let peers = if relays_everything {
            n * (n - 1.0)
        } else {
            scenario
                .groups
                .iter()
                .map(|g| g.members.len() as f64)
                .map(|m| m * (m - 1.0))
                .sum()
        };
        memory.add(Blame::Nodes, BYTES_PER_PEER * peers);
        if relays_everything {
            let copies = n * messages;
            let reach = adjacency(n);
            events.add(
                top_group,
                EVENTS_PER_RELAY_COPY * (copies + deliveries) * reach,
            );
            memory.add(top_group, BYTES_PER_RELAY_COPY * copies);
        }
        // Sync peers per node, and what a node going on- or offline costs.
        let peers_per_node = (peers / n.max(1.0)).min(n);
        // A strategy that syncs with its peers starts a sync per peer it
        // reaches (a reconciling one, a round); the others do a tenth of
        // that.
        let link_share = if caps.reconciles_with_every_peer {
            1.0
        } else {
            (per_delivery / EVENTS_PER_DELIVERY_SYNC).max(0.1)
        };
        if caps.reconciles {
            let partners: f64 = if caps.reconciles_with_every_peer {
                scenario
                    .groups
                    .iter()
                    .map(|g| g.members.len() as f64)
                    .map(|m| m * (m - 1.0) / 2.0 * adjacency(m))
                    .sum()
            } else {
                scenario.groups.iter().map(|g| g.members.len() as f64).sum()
            };
            events.add(
                top_group,
                EVENTS_PER_RECONCILE_ROUND * RECONCILE_ROUNDS_PER_PAIR_HOUR * partners * hours,
            );
        }
        let per_transition =
            EVENTS_PER_TRANSITION + EVENTS_PER_LINK_CHANGE * link_share * peers_per_node;
        let per_crash = EVENTS_PER_CRASH + 2.0 * EVENTS_PER_CRASH_PEER * peers_per_node;

        // Churn: blamed on `churn` when the busiest node's churn is most
        // nodes' (the default), else on `churn_overrides`.
        let transitions: Vec<f64> = scenario
            .churn
            .iter()
            .map(|c| c.transitions(duration))
            .collect();
        let churn_transitions: f64 = transitions.iter().sum();
        let churn_blame = churn_blame(&scenario.churn, &transitions);
        events.add(churn_blame, per_transition * churn_transitions);
        let mut changes = Tally::default();
        changes.add(churn_blame, churn_transitions);

        // Crashes: a random crash is drawn every 1 / rate hours whether the
        // node is up or not (at most one a microsecond); it crashes the
        // node when it is online and up, which comes back after `down`.
        for (i, c) in scenario.crashes.iter().enumerate() {
            let mut crashes = 0.0;
            let mut idle_draws = 0.0;
            for &v in &c.nodes {
                let f = online[v as usize];
                match c.at {
                    Some(at) if at < duration => crashes += 1.0,
                    Some(_) => {}
                    None => {
                        let draws = (c.rate_per_hour * hours).min(micros);
                        let down_h = c.down.as_secs_f64() / 3600.0;
                        let lf = c.rate_per_hour * f;
                        let up_cycles = if lf > 0.0 {
                            hours / (1.0 / lf + down_h)
                        } else {
                            0.0
                        };
                        let k = up_cycles.min(draws);
                        crashes += k;
                        idle_draws += draws - k;
                    }
                }
            }
            let blame = if c.at.is_some() {
                Blame::Crash(i)
            } else {
                Blame::CrashRate(i)
            };
            events.add(blame, per_crash * crashes);
            // A draw is a queue event the summary does not count: timed
            // as an event.
            steps.add(blame, idle_draws * STEPS_PER_SECOND / EVENTS_PER_SECOND);
            changes.add(blame, 2.0 * crashes);
        }

        if let Some(m) = &scenario.mailservers {
            if m.mode == crate::scenario::MailserverMode::StoreForward {
                let servers = m.nodes.len() as f64;
                let (mut archived, mut clients) = (0.0, 0.0);
                for &g in &m.groups {
                    archived += per_group[g as usize];
                    clients += size(g as usize);
                }
                let periodic = m
                    .query_interval
                    .map_or(0.0, |q| duration.as_secs_f64() / q.as_secs_f64().max(1e-6));
                let queries = periodic + churn_transitions / n.max(1.0) / 2.0 + 1.0;
                // On average half the run's messages are archived when asked.
                let envelopes = clients * queries * servers * archived / 2.0;
                steps.add(
                    Blame::Mailservers,
                    envelopes * SECONDS_PER_ENVELOPE * STEPS_PER_SECOND,
                );
            }
        }
        if let TopologySpec::Contacts(list) = &scenario.topology {
            let contacts = list.len() as f64;
            events.add(Blame::TopologyFile, EVENTS_PER_CONTACT * contacts);
            changes.add(Blame::TopologyFile, contacts);
        }
        memory.add(edge_blame, BYTES_PER_EDGE * edges);
        steps.add(edge_blame, STEPS_PER_EDGE * edges);
        if scenario.transport.routing == Routing::MultiHop
            && !matches!(scenario.topology, TopologySpec::FullMesh)
        {
            // Components are recomputed over every edge after a change,
            // and each sender's hop counts cached for every node.
            steps.add(changes.top.1, changes.total * (edges + n));
            memory.add(Blame::Routing, BYTES_PER_HOP * n * n);
        }
        let seconds = events.total / EVENTS_PER_SECOND + steps.total / STEPS_PER_SECOND;
        let time_blame = if events.total / EVENTS_PER_SECOND >= steps.total / STEPS_PER_SECOND {
            events.top.1
        } else {
            steps.top.1
        };
        Estimate {
            messages,
            deliveries,
            events: events.total,
            steps: steps.total,
            edges,
            peak_bytes: memory.total,
            seconds,
            memory_blame: memory.top.1,
            time_blame,
        }
    }

    /// One line for people: `~1.2k messages, ~6.0k deliveries, ~80k
    /// events, ~24 MB peak memory, ~1 s`.
    pub fn render(&self) -> String {
        let mut s = format!(
            "~{} messages, ~{} deliveries, ~{} events",
            count(self.messages),
            count(self.deliveries),
            count(self.events),
        );
        if self.edges > 0.0 {
            s += &format!(", ~{} edges", count(self.edges));
        }
        if self.steps >= 1e6 {
            s += &format!(", ~{} other steps", count(self.steps));
        }
        s + &format!(
            ", ~{} peak memory, ~{}",
            bytes(self.peak_bytes),
            duration(self.seconds)
        )
    }
}

/// The topology's edges and the field they grow with; its generation's
/// steps (pairs looked at, Barabási–Albert draws) and memory besides the
/// edges go into `steps` and `memory`.
fn topology(scenario: &Scenario, steps: &mut Tally, memory: &mut Tally) -> (f64, Blame) {
    let n = f64::from(scenario.nodes);
    let pairs = n * (n - 1.0) / 2.0;
    match &scenario.topology {
        TopologySpec::FullMesh => (0.0, Blame::Nodes),
        TopologySpec::Ring => (n, Blame::Nodes),
        TopologySpec::Edges(list) => (list.len() as f64, Blame::TopologyEdges),
        TopologySpec::ErdosRenyi { p } => {
            steps.add(Blame::TopologyKind, pairs);
            (p * pairs, Blame::TopologyP)
        }
        TopologySpec::RandomGeometric { radius } => {
            steps.add(Blame::TopologyKind, pairs);
            // The chance two uniform points of the unit square are within
            // `radius` (pi r^2 less the border: exact up to r = 1).
            let r = *radius;
            let p = if r < 1.0 {
                std::f64::consts::PI * r * r - 8.0 / 3.0 * r * r * r + r.powi(4) / 2.0
            } else {
                1.0
            };
            (p.clamp(0.0, 1.0) * pairs, Blame::TopologyRadius)
        }
        TopologySpec::BarabasiAlbert { m } => {
            let m = f64::from(*m);
            let edges = m * (m + 1.0) / 2.0 + (n - m - 1.0).max(0.0) * m;
            steps.add(Blame::TopologyM, barabasi_albert_draws(n, m));
            // The list of edge ends it draws from.
            memory.add(Blame::TopologyM, 16.0 * edges);
            (edges, Blame::TopologyM)
        }
        TopologySpec::Contacts(list) => ((list.len() as f64).min(pairs), Blame::TopologyFile),
    }
}

/// The field to blame for churn transitions: `churn` when the node with
/// the most has the churn most nodes have, else `churn_overrides`.
fn churn_blame(churn: &[ChurnSpec], transitions: &[f64]) -> Blame {
    let Some(busiest) = (0..churn.len()).max_by(|&a, &b| transitions[a].total_cmp(&transitions[b]))
    else {
        return Blame::Churn;
    };
    let same = churn.iter().filter(|c| **c == churn[busiest]).count();
    if 2 * same >= churn.len() {
        Blame::Churn
    } else {
        Blame::ChurnOverrides
    }
}

/// Draws Barabási–Albert attachment makes: each node `v` after the first
/// `m + 1` draws edge ends until it has `m` distinct targets among `v`
/// nodes (a coupon collector: `v ln(v / (v - m))`, doubled for draws
/// weighted by degree), plus the seed clique; summed over 4,096 strata.
fn barabasi_albert_draws(n: f64, m: f64) -> f64 {
    let first = m + 1.0;
    if n <= first {
        return m * m;
    }
    let per_node = |v: f64| {
        if m >= v {
            return v * v;
        }
        (2.0 * v * (v / (v - m + 1.0)).ln()).max(m)
    };
    let span = n - first;
    let strata = span.min(4096.0);
    let width = span / strata;
    let sum: f64 = (0..strata as u64)
        .map(|k| per_node(first + (k as f64 + 0.5) * width) * width)
        .sum();
    m * m / 2.0 + sum
}

/// `950`, `12k`, `3.4M`, `1.2G`, `unbounded`.
fn count(x: f64) -> String {
    match x {
        x if !x.is_finite() => "unbounded".into(),
        x if x >= 1e12 => format!("{x:.1e}"),
        x if x >= 1e9 => format!("{:.1}G", x / 1e9),
        x if x >= 1e6 => format!("{:.1}M", x / 1e6),
        x if x >= 1e4 => format!("{:.0}k", x / 1e3),
        x if x >= 1e3 => format!("{:.1}k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

/// `900 bytes`, `64 kB`, `24 MB`, `1.5 GB`, `3.0 TB`, `unbounded`.
pub fn bytes(x: f64) -> String {
    match x {
        x if !x.is_finite() => "unbounded".into(),
        x if x >= 1e15 => format!("{x:.1e} bytes"),
        x if x >= 1e12 => format!("{:.1} TB", x / 1e12),
        x if x >= 1e9 => format!("{:.1} GB", x / 1e9),
        x if x >= 1e6 => format!("{:.0} MB", x / 1e6),
        x if x >= 1e3 => format!("{:.0} kB", x / 1e3),
        x => format!("{x:.0} bytes"),
    }
}

/// `3 s`, `12 min`, `5.0 h`, `40 days`, `3.2e9 years`, `unbounded`.
pub fn duration(secs: f64) -> String {
    match secs {
        x if !x.is_finite() => "unbounded time".into(),
        x if x >= 3.15e7 * 1e3 => format!("{:.1e} years", x / 3.15e7),
        x if x >= 3.15e7 => format!("{:.0} years", x / 3.15e7),
        x if x >= 86_400.0 * 2.0 => format!("{:.0} days", x / 86_400.0),
        x if x >= 3600.0 => format!("{:.1} h", x / 3600.0),
        x if x >= 60.0 => format!("{:.0} min", x / 60.0),
        x if x >= 1.0 => format!("{x:.0} s"),
        _ => "under 1 s".into(),
    }
}

/// The estimate of one run against the run itself (bounded): what the
/// estimate test and the scenario fuzz target check.
#[derive(Clone, Debug)]
pub struct Measured {
    /// Estimated events.
    pub estimated: f64,
    /// Events the run processed (the bound when it was stopped there).
    pub real: f64,
    /// True when the run was stopped at its bound.
    pub stopped: bool,
}

impl Measured {
    /// How many times more events the run made than estimated (both taken
    /// as at least [`MEASURE_FLOOR`], as a run under it takes
    /// milliseconds): the direction that lets a runaway past the guard.
    pub fn under_by(&self) -> f64 {
        self.real.max(MEASURE_FLOOR) / self.estimated.max(MEASURE_FLOOR)
    }

    /// How many times fewer events the run made than estimated (both taken
    /// as at least [`OVER_FLOOR`]): the direction that refuses a run that
    /// would have fitted (`--force` runs it anyway).
    pub fn over_by(&self) -> f64 {
        self.estimated.max(OVER_FLOOR) / self.real.max(OVER_FLOOR)
    }

    /// What is wrong with the estimate, if anything: more than
    /// [`UNDER_LIMIT`] x too low, or more than [`OVER_LIMIT`] x too high.
    pub fn finding(&self) -> Option<String> {
        let what = format!(
            "estimated {:.0} events, the run made {:.0}{}",
            self.estimated,
            self.real,
            if self.stopped {
                " (stopped at the bound)"
            } else {
                ""
            }
        );
        if self.under_by() > UNDER_LIMIT {
            return Some(format!("estimate {:.1}x too low: {what}", self.under_by()));
        }
        if self.over_by() > OVER_LIMIT {
            return Some(format!("estimate {:.1}x too high: {what}", self.over_by()));
        }
        None
    }
}

/// The most an estimate may be too low ([`Measured::under_by`]).
pub const UNDER_LIMIT: f64 = 10.0;
/// The most an estimate may be too high ([`Measured::over_by`]): looser,
/// as the estimate is conservative where runs lose work to faults (loss,
/// crashes, partitions, offline writers); measured up to 16x on random
/// worlds (README "Limits").
pub const OVER_LIMIT: f64 = 30.0;
/// Events below which a too-high estimate is not counted: such a run takes
/// milliseconds, far below any limit.
pub const OVER_FLOOR: f64 = 10_000.0;

/// The least either count is taken as in [`Measured::under_by`], events:
/// such a run takes milliseconds (on 20,000 random worlds, three estimated
/// at ~1,000 events made ~11,000). A measured run is bounded at `factor`
/// x the larger of the estimate and this.
pub const MEASURE_FLOOR: f64 = 10_000.0;

/// Runs `scenario` under `strategy` with `seed`, stopped after `factor` x
/// its estimated events (or [`MEASURE_FLOOR`]; a `factor` above
/// [`UNDER_LIMIT`] lets [`Measured::finding`] see a run stopped there), and measures the
/// estimate against it; `None` (not run) when the estimate is above
/// `max_events` events or `max_bytes` peak memory.
pub fn measure(
    registry: &super::Registry,
    scenario: &Scenario,
    strategy: &str,
    seed: u64,
    factor: f64,
    max_events: f64,
    max_bytes: f64,
) -> Option<Result<Measured, super::RunError>> {
    let info = registry.lookup(strategy).ok()?;
    let est = Estimate::for_strategy(scenario, info);
    if !(est.events <= max_events && est.peak_bytes <= max_bytes && est.steps <= max_events) {
        return None;
    }
    let bound = (est.events.max(MEASURE_FLOOR) * factor).ceil() as u64;
    Some(
        match super::run_bounded(registry, scenario, strategy, seed, bound) {
            Ok(r) => Ok(Measured {
                estimated: est.events,
                real: r.summary.events as f64,
                stopped: false,
            }),
            Err(super::RunError::EventLimit { limit }) => Ok(Measured {
                estimated: est.events,
                real: limit as f64,
                stopped: true,
            }),
            Err(e) => Err(e),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(json: &str) -> Scenario {
        Scenario::parse(json, "s.json").unwrap()
    }

    #[test]
    fn messages_and_deliveries_follow_rates_online_time_and_members() {
        // 4 members online half the time, 10 messages an hour, 2 hours:
        // 40 messages, each due to 3 others.
        let s = scenario(
            r#"{ "name": "e", "duration_s": 7200, "nodes": 5,
            "churn": { "kind": "periodic", "period_s": 600, "online_fraction": 0.5 },
            "groups": [ { "name": "g", "members": [0, 1, 2, 3], "rate_per_hour": 10 } ] }"#,
        );
        let e = Estimate::of(&s, false, true);
        assert!((e.messages - 40.0).abs() < 1e-9, "{e:?}");
        assert!((e.deliveries - 120.0).abs() < 1e-9, "{e:?}");
        let relay = Estimate::of(&s, true, false);
        assert!(relay.peak_bytes > Estimate::of(&s, false, false).peak_bytes);
    }

    #[test]
    fn huge_worlds_are_estimated_huge_without_building_them() {
        let s = scenario(
            r#"{ "name": "e", "duration_s": 3600, "nodes": 10000000,
            "groups": [ { "name": "g", "members": "all", "rate_per_hour": 1 } ] }"#,
        );
        let e = Estimate::of(&s, false, false);
        assert!(e.peak_bytes > 1e15, "{e:?}");
        assert!(e.render().contains("e"), "{}", e.render());
    }
}
