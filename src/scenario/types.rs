//! The validated scenario's types: [`Scenario`] and every section's spec,
//! the limits a scenario must keep to, and [`ScenarioError`] (with
//! `Invalid`, a failure before the file name is attached).
//!
//! Imports: `sim/`, `world/` (the specs it defines), `node::store`.

use super::sharing::Sharing;
use crate::node::store::{Delivery, DeliveryMode};
use crate::node::ParsedConfig;
use crate::sim::dist::Dist;
use crate::sim::message::{GroupId, NodeId};
use crate::sim::time::SimTime;
use crate::world::churn::ChurnSpec;
use crate::world::connectivity::Routing;
use crate::world::network::LinkSpec;
use crate::world::topology::TopologySpec;
use crate::world::trace::TraceError;
use std::collections::BTreeMap;
use thiserror::Error;

/// Largest simulated duration accepted: 10 years.
pub const MAX_DURATION_S: f64 = 10.0 * 365.0 * 86_400.0;
/// Largest message body (BSP: 32 KiB).
pub const MAX_BODY_BYTES: f64 = 32_768.0;
/// Shortest churn cycle accepted (periodic `period_s`, on-off means), s.
pub const MIN_CHURN_PERIOD_S: f64 = 0.001;
/// Largest node count accepted.
pub const MAX_NODES: u32 = 10_000_000;

/// Why a scenario cannot be used. Always bad input (exit code 2).
#[derive(Debug, Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {cause}")]
    Read {
        /// The file.
        file: String,
        /// The I/O error (in the message, not repeated as a source).
        cause: std::io::Error,
    },
    /// A trace file the scenario names is malformed.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// The file is not a valid scenario.
    #[error("{file}: {path}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// JSON path of the offending value (`(root)` for the whole file).
        path: String,
        /// What is wrong and what was expected.
        message: String,
    },
}

/// A validation failure before the file name is attached.
#[derive(Debug)]
pub(crate) enum Invalid {
    /// At a JSON path, with a message.
    At(String, String),
    /// In a trace file the scenario names.
    Trace(TraceError),
}

impl From<TraceError> for Invalid {
    fn from(e: TraceError) -> Self {
        Invalid::Trace(e)
    }
}

pub(crate) fn invalid<T>(
    path: impl Into<String>,
    message: impl Into<String>,
) -> Result<T, Invalid> {
    Err(Invalid::At(path.into(), message.into()))
}

/// What a node knows about reachability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presence {
    /// Told exactly when a peer becomes reachable or unreachable.
    Known,
    /// Addresses every peer while online itself (Whisper-like).
    Unknown,
}

/// Transport semantics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransportSpec {
    /// Presence knowledge.
    pub presence: Presence,
    /// Routing.
    pub routing: Routing,
}

/// Which links a partition cuts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cut {
    /// Set index of every node; links between different sets are cut.
    Split(Vec<u32>),
    /// Payloads from a `from` node to a `to` node are cut.
    OneWay {
        /// Senders.
        from: Vec<bool>,
        /// Receivers.
        to: Vec<bool>,
    },
}

/// A scheduled partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionSpec {
    /// Start.
    pub at: SimTime,
    /// Heal.
    pub until: SimTime,
    /// What it cuts.
    pub cut: Cut,
}

impl PartitionSpec {
    /// True when this partition drops payloads from `a` to `b`.
    pub fn cuts(&self, a: NodeId, b: NodeId) -> bool {
        match &self.cut {
            Cut::Split(set) => set[a as usize] != set[b as usize],
            Cut::OneWay { from, to } => from[a as usize] && to[b as usize],
        }
    }
}

/// Kinds of mailserver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailserverMode {
    /// Archives every payload; clients fetch what they missed.
    StoreForward,
    /// Takes part in sync as an always-on peer of the groups it serves.
    SyncPeer,
}

/// Mailservers of a scenario (when on).
#[derive(Clone, Debug, PartialEq)]
pub struct MailserverSpec {
    /// Kind.
    pub mode: MailserverMode,
    /// Their node ids, sorted.
    pub nodes: Vec<NodeId>,
    /// Envelope retention (store-forward).
    pub retention: SimTime,
    /// Periodic query interval while online (store-forward).
    pub query_interval: Option<SimTime>,
    /// Groups served, sorted.
    pub groups: Vec<GroupId>,
}

/// A chat.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupSpec {
    /// Unique name.
    pub name: String,
    /// Members, sorted, distinct.
    pub members: Vec<NodeId>,
    /// Messages per member per hour online, or per hour of simulated
    /// time with `wall_clock`.
    pub rate_per_hour: f64,
    /// `rate_per_hour` counts hours of simulated time, not hours online.
    pub wall_clock: bool,
    /// Which members sync the group with which.
    pub sharing: Sharing,
    /// A public chat (`groups[].public`).
    pub public: bool,
}

impl GroupSpec {
    /// Messages a member online `online_fraction` of the time writes per
    /// hour online: `rate_per_hour`, or with `wall_clock` that rate spread
    /// over its hours online (none when it is never online).
    pub fn rate_online(&self, online_fraction: f64) -> f64 {
        if !self.wall_clock {
            self.rate_per_hour
        } else if online_fraction > 0.0 {
            self.rate_per_hour / online_fraction
        } else {
            0.0
        }
    }
}

/// A scripted message.
#[derive(Clone, Debug, PartialEq)]
pub struct Scripted {
    /// When it is written (or when the sender next comes online).
    pub at: SimTime,
    /// Sender.
    pub from: NodeId,
    /// Group index.
    pub group: GroupId,
    /// Body size, or a draw from the scenario's body distribution.
    pub body_bytes: Option<u32>,
}

/// Delivery rules every strategy's store follows (`sync`), except `mvds`, whose wire has no parents (Status's MVDS delivers on receipt).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SyncSpec {
    /// When received messages reach the application.
    pub delivery: DeliveryMode,
    /// Deliver a blocked message after this wait without its parents.
    pub max_parent_wait: Option<SimTime>,
}

impl SyncSpec {
    /// The store's delivery rules.
    pub fn delivery(&self) -> Delivery {
        Delivery {
            mode: self.delivery,
            max_wait: self.max_parent_wait,
        }
    }
}

/// Scheduled or random crashes of some nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct CrashSpec {
    /// Nodes that crash.
    pub nodes: Vec<NodeId>,
    /// Scheduled crash time.
    pub at: Option<SimTime>,
    /// Random crashes per hour online.
    pub rate_per_hour: f64,
    /// Down time.
    pub down: SimTime,
    /// Restart empty.
    pub volatile: bool,
}

/// What a misbehaving node does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdversaryKind {
    /// Writes messages whose parents never exist.
    Hole,
    /// Writes at a high rate.
    Spam,
    /// Writes into a group it is not a member of.
    Inject,
}

/// A misbehaving node.
#[derive(Clone, Debug, PartialEq)]
pub struct AdversarySpec {
    /// What it does.
    pub kind: AdversaryKind,
    /// The node.
    pub node: NodeId,
    /// The group attacked.
    pub group: GroupId,
    /// Messages per hour online.
    pub rate_per_hour: f64,
}

/// A validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// Name (safe as a folder name).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Default seed.
    pub seed: u64,
    /// Simulated time.
    pub duration: SimTime,
    /// Strategy run by every node (a name in the catalog it was
    /// validated with, or one of `variants`).
    pub strategy: String,
    /// Every config section of the strategies the scenario was validated
    /// with, by config key: parsed and checked once (a section the file
    /// leaves out has every default).
    pub strategy_config: BTreeMap<String, ParsedConfig>,
    /// Named (strategy, config section) pairs (`variants`), by name.
    pub variants: BTreeMap<String, super::variants::Variant>,
    /// Number of nodes.
    pub nodes: u32,
    /// Topology.
    pub topology: TopologySpec,
    /// Links.
    pub link: LinkSpec,
    /// Churn of each node, indexed by node id.
    pub churn: Vec<ChurnSpec>,
    /// Groups, indexed by group id.
    pub groups: Vec<GroupSpec>,
    /// Scripted messages, sorted by time (stable).
    pub script: Vec<Scripted>,
    /// Body size distribution, bytes.
    pub body_bytes: Dist,
    /// Delivery rules every strategy's store follows, except `mvds`, whose wire has no parents (Status's MVDS delivers on receipt).
    pub sync: SyncSpec,
    /// Transport semantics.
    pub transport: TransportSpec,
    /// Scheduled partitions, in file order.
    pub partitions: Vec<PartitionSpec>,
    /// Mailservers, when on.
    pub mailservers: Option<MailserverSpec>,
    /// Crashes.
    pub crashes: Vec<CrashSpec>,
    /// Misbehaving nodes.
    pub adversaries: Vec<AdversarySpec>,
}

impl Scenario {
    /// True when `node` is a mailserver.
    pub fn is_mailserver(&self, node: NodeId) -> bool {
        self.mailservers
            .as_ref()
            .is_some_and(|m| m.nodes.binary_search(&node).is_ok())
    }

    /// True when `node` is a store-forward mailserver (an archive in the
    /// transport, not a sync node).
    pub fn is_store_forward_mailserver(&self, node: NodeId) -> bool {
        self.mailservers.as_ref().is_some_and(|m| {
            m.mode == MailserverMode::StoreForward && m.nodes.binary_search(&node).is_ok()
        })
    }

    /// The nodes that sync `group`: its members, plus sync-peer mailservers
    /// serving it. Sorted.
    pub fn sync_members(&self, group: GroupId) -> Vec<NodeId> {
        let mut m = self.groups[group as usize].members.clone();
        if let Some(ms) = &self.mailservers {
            if ms.mode == MailserverMode::SyncPeer && ms.groups.binary_search(&group).is_ok() {
                m.extend(&ms.nodes);
                m.sort_unstable();
            }
        }
        m
    }

    /// The nodes `me` syncs `group` with along its sharing edges, sorted:
    /// the members it shares the group with, plus sync-peer mailservers
    /// serving it (a mailserver shares with every member).
    pub fn share_peers(&self, group: GroupId, me: NodeId) -> Vec<NodeId> {
        let g = &self.groups[group as usize];
        let sync = self.sync_members(group);
        if g.members.binary_search(&me).is_err() {
            return sync.into_iter().filter(|&p| p != me).collect();
        }
        sync.into_iter()
            .filter(|&p| {
                p != me && (g.members.binary_search(&p).is_err() || g.sharing.shares(me, p))
            })
            .collect()
    }
}
