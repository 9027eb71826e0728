//! The world of one run: [`World`] and how it is built from a scenario,
//! a strategy (with its parsed config) and a seed; who syncs which group
//! ([`SyncGroups`]), each node's sync peers, and each node built in its role.
//!
//! The world's parts live with the code that moves them: the event loop in
//! `event_loop.rs`, links and delivery in `links.rs` (with `mail.rs` and
//! `one.rs`), the workload in `workload.rs`, faults in `faults.rs`.
//!
//! Imports: `sim/`, `world/`, `node/`, `scenario/`, `report/`.

use super::event_loop::Event;
use super::faults::Faults;
use super::workload::Workload;
use super::{mail, RunError};
use crate::node::{Node, NodeContext, Outbox, Passive, Role, Strategy, WirePayload};
use crate::report::{NodeKind, RecordLabel, Recorder};
use crate::scenario::{AdversaryKind, MailserverMode, Presence, Scenario};
use crate::sim::message::{GroupId, Members, NodeId};
use crate::sim::queue::EventQueue;
use crate::sim::time::SimTime;
use crate::world::connectivity::Connectivity;
use crate::world::network::Network;
use crate::world::one_link::OneLinks;
use crate::world::topology::Topology;
use rustc_hash::FxHashSet;

/// Who syncs which group, computed once per run: each group's sync members
/// (its members plus sync-peer mailservers serving it) and each node's groups.
pub(super) struct SyncGroups {
    pub(super) members: Vec<Members>,
    pub(super) of_node: Vec<Vec<GroupId>>,
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

/// Builds the node for `me` running `strategy`, in its role: a passive
/// one for a store-forward mailserver's host (unless the strategy runs on
/// stores) and for a node in no group (unless it relays everything).
pub(super) fn build_node<S: Strategy>(
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
        stores: scenario
            .mailservers
            .as_ref()
            .is_some_and(|m| m.mode == MailserverMode::StoreForward),
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

/// The simulated world of one run under strategy `S`: what the run is
/// (scenario, strategy, seed), the event queue, the nodes, the links and
/// the network, the recorder, and the workload and faults that drive it.
pub struct World<'a, S: Strategy> {
    pub(super) scenario: &'a Scenario,
    pub(super) strategy: &'a S,
    pub(super) config: &'a S::Config,
    pub(super) seed: u64,
    pub(super) sync: SyncGroups,
    pub(super) queue: EventQueue<Event<S::Payload>>,
    pub(super) nodes: Vec<Box<dyn Node<S::Payload>>>,
    pub(super) conn: Connectivity,
    /// Online epochs: a node's count goes up each time it goes offline, so
    /// an event scheduled in an older epoch is stale.
    pub(super) epoch: Vec<u32>,
    pub(super) peers: Vec<Vec<NodeId>>,
    /// Peers each node was told are linked.
    pub(super) told: Vec<FxHashSet<NodeId>>,
    pub(super) network: Network,
    pub(super) recorder: Recorder,
    pub(super) outbox: Outbox<S::Payload>,
    /// The next message id.
    pub(super) next_msg: u32,
    pub(super) mail: Option<mail::Mail<S::Payload>>,
    pub(super) mailserver: Vec<bool>,
    /// The ONE's link model, with `link.one`.
    pub(super) one: Option<OneLinks>,
    /// Its next update tick ([`SimTime::NEVER`]: none needed).
    pub(super) one_next: SimTime,
    /// Writers, scripted messages, adversaries.
    pub(super) workload: Workload,
    /// Churn, crashes, partitions.
    pub(super) faults: Faults,
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
            peers: sync_peers(scenario, &sync, strategy.capabilities().relays_everything),
            told: vec![FxHashSet::default(); n],
            network: Network::new(scenario.link.clone(), seed),
            recorder: recorder(scenario, strategy),
            outbox: Outbox::new(),
            next_msg: 0,
            mail: mail::Mail::new(scenario),
            mailserver: (0..scenario.nodes)
                .map(|v| scenario.is_mailserver(v))
                .collect(),
            one: scenario.link.one.map(|spec| OneLinks::new(spec, n, seed)),
            one_next: SimTime::NEVER,
            workload: Workload::new(scenario, seed),
            faults: Faults::new(scenario, seed),
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
