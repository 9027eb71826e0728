//! Scenario files: parsing, validation, and the typed [`Scenario`].
//!
//! A file is parsed into [`raw::RawScenario`] (serde, unknown fields rejected,
//! defaults documented there and in the README) and then validated into a
//! [`Scenario`]. Every error names the file, the JSON path and what was
//! expected. Nothing downstream sees raw JSON.

pub mod effective;
pub mod raw;
pub mod schema;
pub mod sharing;

use crate::node::store::{Delivery, DeliveryMode};
use crate::node::{ParsedConfig, Registry, Runner};
use crate::sim::dist::Dist;
use crate::sim::message::{GroupId, NodeId};
use crate::sim::time::SimTime;
pub use crate::world::churn::ChurnSpec;
pub use crate::world::connectivity::Routing;
pub use crate::world::network::LinkSpec;
pub use crate::world::one_link::{OneLinkSpec, SendQueue};
pub use crate::world::topology::TopologySpec;
use crate::world::trace::{self, TraceError};
use raw::*;
pub use sharing::Sharing;
use std::collections::BTreeMap;
use std::path::Path;
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
    /// Messages per member per hour online.
    pub rate_per_hour: f64,
    /// Which members sync the group with which.
    pub sharing: Sharing,
    /// A public chat (`groups[].public`).
    pub public: bool,
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
    /// validated with).
    pub strategy: String,
    /// Every config section of the strategies the scenario was validated
    /// with, by config key: parsed and checked once (a section the file
    /// leaves out has every default).
    pub strategy_config: BTreeMap<String, ParsedConfig>,
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

impl Scenario {
    /// Reads and validates a scenario file against the built-in
    /// strategies.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with(path, &Registry::<crate::node::NoRunner>::builtin())
    }

    /// Reads and validates a scenario file against `registry`'s strategies.
    pub fn load_with<R: Runner>(
        path: &Path,
        registry: &Registry<R>,
    ) -> Result<Scenario, ScenarioError> {
        let file = path.display().to_string();
        let text = crate::sim::input::read_text(path, crate::sim::input::MAX_JSON_BYTES).map_err(
            |cause| ScenarioError::Read {
                file: file.clone(),
                cause,
            },
        )?;
        Scenario::parse_with(&text, &file, registry)
    }

    /// Parses and validates scenario JSON text against the built-in
    /// strategies; `file` names it in errors and trace paths are relative
    /// to its folder.
    pub fn parse(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse_with(text, file, &Registry::<crate::node::NoRunner>::builtin())
    }

    /// [`Scenario::parse`] against `registry`'s strategies.
    pub fn parse_with<R: Runner>(
        text: &str,
        file: &str,
        registry: &Registry<R>,
    ) -> Result<Scenario, ScenarioError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let raw: RawScenario = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
            let inner = e.inner();
            match inner.classify() {
                // Where the text stops being JSON, only line and column mean anything.
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    path_error(file, String::new(), format!("not valid JSON: {inner}"))
                }
                _ => path_error(file, e.path().to_string(), inner.to_string()),
            }
        })?;
        de.end().map_err(|e| {
            path_error(
                file,
                String::new(),
                format!("not valid JSON: content after the scenario object: {e}"),
            )
        })?;
        Scenario::validate(raw, file, registry)
    }

    /// Validates a scenario given as a JSON value (used by overrides).
    pub fn from_value(value: serde_json::Value, file: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_value_with(value, file, &Registry::<crate::node::NoRunner>::builtin())
    }

    /// [`Scenario::from_value`] against `registry`'s strategies.
    pub fn from_value_with<R: Runner>(
        value: serde_json::Value,
        file: &str,
        registry: &Registry<R>,
    ) -> Result<Scenario, ScenarioError> {
        let raw: RawScenario = serde_path_to_error::deserialize(value)
            .map_err(|e| path_error(file, e.path().to_string(), e.inner().to_string()))?;
        Scenario::validate(raw, file, registry)
    }

    fn validate<R: Runner>(
        raw: RawScenario,
        file: &str,
        registry: &Registry<R>,
    ) -> Result<Scenario, ScenarioError> {
        let base = Path::new(file).parent().unwrap_or(Path::new(""));
        validate(raw, base, registry).map_err(|e| match e {
            Invalid::At(path, message) => path_error(file, path, message),
            Invalid::Trace(t) => ScenarioError::Trace(t),
        })
    }
}

fn validate<R: Runner>(
    raw: RawScenario,
    base: &Path,
    registry: &Registry<R>,
) -> Result<Scenario, Invalid> {
    check_name("name", &raw.name)?;
    let duration = seconds("duration_s", raw.duration_s, false)?;
    registry
        .lookup(&raw.strategy)
        .or_else(|e| invalid("strategy", e))?;
    let strategy_config = strategy_config(&raw.strategy_config, registry)?;
    if raw.nodes == 0 || raw.nodes > MAX_NODES {
        return invalid(
            "nodes",
            format!("expected 1 to {MAX_NODES} nodes, got {}", raw.nodes),
        );
    }
    let n = raw.nodes;
    let mut groups = groups(&raw.groups, n)?;
    let mut script = script(&raw.messages, &groups, n, duration)?;
    if let Some(file) = &raw.one_messages {
        one_messages(&base.join(file), n, duration, &mut groups, &mut script)?;
    }
    if groups.is_empty() {
        return invalid("groups", "expected at least one group (or one_messages)");
    }
    let mut churn = churn_per_node(&raw.churn, &raw.churn_overrides, n)?;
    let adversaries = adversaries(&raw.adversaries, &groups, n)?;
    let mailservers = match &raw.mailservers {
        None => None,
        Some(m) => mailservers(m, &groups, n, &mut churn)?,
    };
    let link = link(&raw.link)?;
    let transport = transport(&raw.transport)?;
    if link.one.is_some()
        && (transport.presence != Presence::Known || transport.routing != Routing::Direct)
    {
        return invalid(
            "link.one",
            "expected transport.presence \"known\" and transport.routing \"direct\" \
             (The ONE transfers messages only between hosts in contact)",
        );
    }
    Ok(Scenario {
        name: raw.name,
        description: raw.description,
        seed: raw.seed,
        duration,
        strategy: raw.strategy,
        strategy_config,
        nodes: n,
        topology: topology(&raw.topology, n, base)?,
        link,
        churn,
        script,
        groups,
        body_bytes: body(&raw.body_bytes)?,
        sync: sync(&raw.sync)?,
        transport,
        partitions: partitions(&raw.partitions, n, duration)?,
        crashes: crashes(&raw.crashes, n)?,
        adversaries,
        mailservers,
    })
}

fn crashes(raw: &[RawCrash], n: u32) -> Result<Vec<CrashSpec>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        let path = format!("crashes[{i}]");
        let nodes = members(&format!("{path}.nodes"), &c.nodes, n)?;
        let at = match c.at_s {
            Some(t) => Some(seconds(&format!("{path}.at_s"), t, true)?),
            None => None,
        };
        let rate = match c.rate_per_hour {
            Some(r) => finite_nonneg(&format!("{path}.rate_per_hour"), r)?,
            None => 0.0,
        };
        if at.is_none() == (rate == 0.0) {
            return invalid(
                path,
                "expected either `at_s` (a scheduled crash) or a `rate_per_hour` > 0",
            );
        }
        let volatile = c.state == RawCrashState::Volatile;
        let down = seconds(&format!("{path}.down_s"), c.down_s, false)?;
        out.push(CrashSpec {
            nodes,
            at,
            rate_per_hour: rate,
            down,
            volatile,
        });
    }
    Ok(out)
}

fn adversaries(
    raw: &[RawAdversary],
    groups: &[GroupSpec],
    n: u32,
) -> Result<Vec<AdversarySpec>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, a) in raw.iter().enumerate() {
        let path = format!("adversaries[{i}]");
        let kind = match a.kind {
            RawAdversaryKind::Hole => AdversaryKind::Hole,
            RawAdversaryKind::Spam => AdversaryKind::Spam,
            RawAdversaryKind::Inject => AdversaryKind::Inject,
        };
        let node = node_id(&format!("{path}.node"), a.node, n)?;
        let Some(g) = groups.iter().position(|g| g.name == a.group) else {
            return invalid(
                format!("{path}.group"),
                format!("no group is named {:?}", a.group),
            );
        };
        let member = groups[g].members.binary_search(&node).is_ok();
        if member == (kind == AdversaryKind::Inject) {
            let want = if member {
                "a non-member (inject)"
            } else {
                "a member (hole, spam)"
            };
            return invalid(
                format!("{path}.node"),
                format!("node {node} must be {want} of group {:?}", a.group),
            );
        }
        let rate = finite_nonneg(&format!("{path}.rate_per_hour"), a.rate_per_hour)?;
        out.push(AdversarySpec {
            kind,
            node,
            group: g as GroupId,
            rate_per_hour: rate,
        });
    }
    Ok(out)
}

/// Reads the trace file the scenario names at `field`; a failure is blamed
/// on that field.
fn read_trace(field: &str, path: &Path) -> Result<String, Invalid> {
    use crate::sim::input::{read_text, MAX_TRACE_BYTES};
    read_text(path, MAX_TRACE_BYTES)
        .or_else(|e| invalid(field, format!("cannot read {}: {e}", path.display())))
}

fn one_messages(
    path: &Path,
    n: u32,
    duration: SimTime,
    groups: &mut Vec<GroupSpec>,
    script: &mut Vec<Scripted>,
) -> Result<(), Invalid> {
    let file = path.display().to_string();
    let events = trace::parse_messages(&read_trace("one_messages", path)?, &file, n)?;
    let mut pair_group: BTreeMap<(NodeId, NodeId), GroupId> = BTreeMap::new();
    for e in events.into_iter().filter(|e| e.at < duration) {
        let pair = (e.from.min(e.to), e.from.max(e.to));
        let g = *pair_group.entry(pair).or_insert_with(|| {
            groups.push(GroupSpec {
                name: format!("one-{}-{}", pair.0, pair.1),
                members: vec![pair.0, pair.1],
                rate_per_hour: 0.0,
                sharing: Sharing::All,
                public: false,
            });
            (groups.len() - 1) as GroupId
        });
        script.push(Scripted {
            at: e.at,
            from: e.from,
            group: g,
            body_bytes: Some(e.size),
        });
    }
    script.sort_by_key(|s| s.at);
    Ok(())
}

fn transport(raw: &RawTransport) -> Result<TransportSpec, Invalid> {
    let presence = match raw.presence {
        RawPresence::Known => Presence::Known,
        RawPresence::Unknown => Presence::Unknown,
    };
    let routing = match raw.routing {
        RawRouting::Direct => Routing::Direct,
        RawRouting::MultiHop => Routing::MultiHop,
    };
    Ok(TransportSpec { presence, routing })
}

fn partitions(
    raw: &[RawPartition],
    n: u32,
    duration: SimTime,
) -> Result<Vec<PartitionSpec>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let path = format!("partitions[{i}]");
        let at = seconds(&format!("{path}.at_s"), p.at_s, true)?;
        let until = seconds(&format!("{path}.until_s"), p.until_s, false)?;
        if until <= at {
            return invalid(
                format!("{path}.until_s"),
                format!(
                    "expected a heal time after at_s ({}), got {}",
                    p.at_s, p.until_s
                ),
            );
        }
        if at >= duration {
            return invalid(
                format!("{path}.at_s"),
                "expected a start before the end of the run",
            );
        }
        let cut = match (&p.groups, &p.from, &p.to) {
            (Some(sets), None, None) => {
                if sets.is_empty() {
                    return invalid(
                        format!("{path}.groups"),
                        "expected at least one set of nodes",
                    );
                }
                let rest = sets.len() as u32;
                let mut set = vec![rest; n as usize];
                for (k, members_raw) in sets.iter().enumerate() {
                    for id in members(&format!("{path}.groups[{k}]"), members_raw, n)? {
                        if set[id as usize] != rest {
                            return invalid(
                                format!("{path}.groups[{k}]"),
                                format!("node {id} is in two sets"),
                            );
                        }
                        set[id as usize] = k as u32;
                    }
                }
                Cut::Split(set)
            }
            (None, Some(from), Some(to)) => {
                let mut f = vec![false; n as usize];
                let mut t = vec![false; n as usize];
                for id in members(&format!("{path}.from"), from, n)? {
                    f[id as usize] = true;
                }
                for id in members(&format!("{path}.to"), to, n)? {
                    t[id as usize] = true;
                }
                Cut::OneWay { from: f, to: t }
            }
            _ => {
                return invalid(
                    path,
                    "expected either `groups` (a split) or both `from` and `to` (one-way)",
                )
            }
        };
        out.push(PartitionSpec { at, until, cut });
    }
    Ok(out)
}

fn mailservers(
    raw: &RawMailservers,
    groups: &[GroupSpec],
    n: u32,
    churn_of: &mut [ChurnSpec],
) -> Result<Option<MailserverSpec>, Invalid> {
    let mode = match raw.mode {
        RawMailMode::StoreForward => MailserverMode::StoreForward,
        RawMailMode::SyncPeer => MailserverMode::SyncPeer,
        RawMailMode::Off => return Ok(None),
    };
    let nodes = members("mailservers.nodes", &raw.nodes, n)?;
    for &m in &nodes {
        if let Some(g) = groups.iter().find(|g| g.members.binary_search(&m).is_ok()) {
            return invalid(
                "mailservers.nodes",
                format!(
                    "node {m} is a member of group {:?}: a mailserver is never a group member",
                    g.name
                ),
            );
        }
    }
    let spec = churn("mailservers.churn", &raw.churn)?;
    for &m in &nodes {
        churn_of[m as usize] = spec.clone();
    }
    let retention = seconds("mailservers.retention_s", raw.retention_s, false)?;
    let query_interval = match raw.query_interval_s {
        None => None,
        Some(q) => Some(seconds("mailservers.query_interval_s", q, false)?),
    };
    let served = match &raw.groups {
        None => (0..groups.len() as GroupId).collect(),
        Some(names) => {
            let mut ids = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                match groups.iter().position(|g| &g.name == name) {
                    Some(g) => ids.push(g as GroupId),
                    None => {
                        return invalid(
                            format!("mailservers.groups[{i}]"),
                            format!("no group is named {name:?}"),
                        )
                    }
                }
            }
            ids.sort_unstable();
            ids.dedup();
            ids
        }
    };
    Ok(Some(MailserverSpec {
        mode,
        nodes,
        retention,
        query_interval,
        groups: served,
    }))
}

fn path_error(file: &str, path: String, message: String) -> ScenarioError {
    let path = if path.is_empty() || path == "." {
        "(root)".to_string()
    } else {
        path
    };
    ScenarioError::Invalid {
        file: file.to_string(),
        path,
        message,
    }
}

fn check_name(path: &str, name: &str) -> Result<(), Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        invalid(
            path,
            format!("expected a name of letters, digits, '-', '_' or '.', got {name:?}"),
        )
    }
}

fn finite_nonneg(path: &str, v: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        invalid(path, format!("expected a finite number >= 0, got {v}"))
    }
}

fn seconds(path: &str, v: f64, zero_ok: bool) -> Result<SimTime, Invalid> {
    let v = finite_nonneg(path, v)?;
    if (!zero_ok && v == 0.0) || v > MAX_DURATION_S {
        let low = if zero_ok { ">= 0" } else { "> 0" };
        return invalid(
            path,
            format!("expected seconds {low} and <= {MAX_DURATION_S}, got {v}"),
        );
    }
    let t = SimTime::from_secs_f64(v);
    // Time is whole microseconds: a positive value that rounds to none would
    // be zero after all (a BSP backoff unit of zero never lets a run end).
    if !zero_ok && t == SimTime::ZERO {
        return invalid(
            path,
            format!("expected at least one microsecond (0.000001 s), got {v}"),
        );
    }
    Ok(t)
}

fn dist(path: &str, raw: &RawDist, max: f64) -> Result<Dist, Invalid> {
    let d = match *raw {
        RawDist::Fixed(v) => Dist::Fixed(finite_nonneg(&format!("{path}.fixed"), v)?),
        RawDist::Uniform { min, max } => {
            let lo = finite_nonneg(&format!("{path}.uniform.min"), min)?;
            let hi = finite_nonneg(&format!("{path}.uniform.max"), max)?;
            if hi < lo {
                return invalid(
                    format!("{path}.uniform"),
                    format!("expected min <= max, got {lo} > {hi}"),
                );
            }
            Dist::Uniform { min: lo, max: hi }
        }
        RawDist::Exponential { mean } => {
            let m = finite_nonneg(&format!("{path}.exponential.mean"), mean)?;
            if m == 0.0 {
                return invalid(
                    format!("{path}.exponential.mean"),
                    "expected a mean > 0, got 0",
                );
            }
            Dist::Exponential { mean: m }
        }
    };
    let top = match d {
        Dist::Fixed(v) => v,
        Dist::Uniform { max, .. } => max,
        Dist::Exponential { mean } => mean,
    };
    if top > max {
        return invalid(path, format!("expected values <= {max}, got {top}"));
    }
    Ok(d)
}

pub(crate) fn node_id(path: &str, id: u32, n: u32) -> Result<NodeId, Invalid> {
    if id < n {
        Ok(id)
    } else {
        invalid(
            path,
            format!("node {id} is not a node: expected an id in 0..{n}"),
        )
    }
}

fn members(path: &str, raw: &RawMembers, n: u32) -> Result<Vec<NodeId>, Invalid> {
    let ids = match raw {
        RawMembers::Word(w) if w == "all" => (0..n).collect(),
        RawMembers::Word(w) => {
            return invalid(
                path,
                format!("expected \"all\", a list of ids or a range, got {w:?}"),
            )
        }
        RawMembers::Range { from, to } => {
            if from >= to || *to > n {
                return invalid(
                    path,
                    format!("expected a range with from < to <= {n}, got {from}..{to}"),
                );
            }
            (*from..*to).collect()
        }
        RawMembers::List(list) => {
            let mut ids = Vec::with_capacity(list.len());
            for (i, &id) in list.iter().enumerate() {
                ids.push(node_id(&format!("{path}[{i}]"), id, n)?);
            }
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                return invalid(path, format!("node {} is listed twice", w[0]));
            }
            sorted
        }
    };
    Ok(ids)
}

fn groups(raw: &[RawGroup], n: u32) -> Result<Vec<GroupSpec>, Invalid> {
    let mut out: Vec<GroupSpec> = Vec::with_capacity(raw.len());
    for (i, g) in raw.iter().enumerate() {
        let path = format!("groups[{i}]");
        check_name(&format!("{path}.name"), &g.name)?;
        if out.iter().any(|o| o.name == g.name) {
            return invalid(
                format!("{path}.name"),
                format!("group name {:?} is used twice", g.name),
            );
        }
        let m = members(&format!("{path}.members"), &g.members, n)?;
        if m.len() < 2 {
            return invalid(format!("{path}.members"), "expected at least 2 members");
        }
        let rate = finite_nonneg(&format!("{path}.rate_per_hour"), g.rate_per_hour)?;
        let sharing = sharing::sharing(&path, &g.sharing, &m, n)?;
        out.push(GroupSpec {
            name: g.name.clone(),
            members: m,
            rate_per_hour: rate,
            sharing,
            public: g.public,
        });
    }
    Ok(out)
}

fn topology(raw: &RawTopology, n: u32, base: &Path) -> Result<TopologySpec, Invalid> {
    Ok(match raw {
        RawTopology::FullMesh => TopologySpec::FullMesh,
        RawTopology::Ring => TopologySpec::Ring,
        RawTopology::ErdosRenyi { p } => {
            if !(0.0..=1.0).contains(p) {
                return invalid(
                    "topology.p",
                    format!("expected a probability in [0, 1], got {p}"),
                );
            }
            TopologySpec::ErdosRenyi { p: *p }
        }
        RawTopology::RandomGeometric { radius } => {
            if !(radius.is_finite() && *radius >= 0.0) {
                return invalid(
                    "topology.radius",
                    format!("expected a radius >= 0, got {radius}"),
                );
            }
            TopologySpec::RandomGeometric { radius: *radius }
        }
        RawTopology::BarabasiAlbert { m } => {
            if *m == 0 || *m >= n {
                return invalid(
                    "topology.m",
                    format!("expected 1 <= m < nodes ({n}), got {m}"),
                );
            }
            TopologySpec::BarabasiAlbert { m: *m }
        }
        RawTopology::ContactTrace { file } => {
            let path = base.join(file);
            let name = path.display().to_string();
            let events = trace::parse_contacts(&read_trace("topology.file", &path)?, &name, n)?;
            let mut seen = vec![false; n as usize];
            for e in &events {
                seen[e.a as usize] = true;
                seen[e.b as usize] = true;
            }
            if let Some(missing) = seen.iter().position(|s| !s) {
                return invalid(
                    "topology.file",
                    format!("node {missing} never appears in the trace {name}: every node must"),
                );
            }
            TopologySpec::Contacts(events)
        }
        RawTopology::Edges { edges } => {
            let mut out = Vec::with_capacity(edges.len());
            for (i, [a, b]) in edges.iter().enumerate() {
                let path = format!("topology.edges[{i}]");
                let a = node_id(&format!("{path}[0]"), *a, n)?;
                let b = node_id(&format!("{path}[1]"), *b, n)?;
                if a == b {
                    return invalid(path, format!("a node cannot link to itself ({a})"));
                }
                out.push((a, b));
            }
            TopologySpec::Edges(out)
        }
    })
}

fn link(raw: &RawLink) -> Result<LinkSpec, Invalid> {
    let bandwidth_bps = match raw.bandwidth_kbps {
        None => None,
        Some(b) if b.is_finite() && b > 0.0 => Some(b * 1000.0),
        Some(b) => {
            return invalid(
                "link.bandwidth_kbps",
                format!("expected a number > 0, got {b}"),
            )
        }
    };
    if !(0.0..=1.0).contains(&raw.loss) {
        return invalid(
            "link.loss",
            format!("expected a probability in [0, 1], got {}", raw.loss),
        );
    }
    if !(0.0..=1.0).contains(&raw.duplicate) {
        return invalid(
            "link.duplicate",
            format!("expected a probability in [0, 1], got {}", raw.duplicate),
        );
    }
    Ok(LinkSpec {
        latency_ms: dist("link.latency_ms", &raw.latency_ms, MAX_DURATION_S * 1000.0)?,
        bandwidth_bps,
        loss: raw.loss,
        overhead_bytes: raw.overhead_bytes,
        duplicate: raw.duplicate,
        one: raw.one.as_ref().map(one_link).transpose()?,
    })
}

/// `link.one`: The ONE's link model for message records.
fn one_link(raw: &RawOneLink) -> Result<OneLinkSpec, Invalid> {
    let speed = raw.transmit_bytes_per_s;
    if !(speed.is_finite() && (1.0..=1e15).contains(&speed)) {
        return invalid(
            "link.one.transmit_bytes_per_s",
            format!("expected bytes per second in [1, 1e15], got {speed}"),
        );
    }
    let dt = raw.update_interval_s;
    // At least a millisecond, as churn cycles: a tick visits every host,
    // so a finer grid would make a run of hours take years.
    if !(dt.is_finite() && (1e-3..=3600.0).contains(&dt)) {
        return invalid(
            "link.one.update_interval_s",
            format!("expected seconds in [0.001, 3600], got {dt}"),
        );
    }
    let send_queue = match raw.send_queue.as_str() {
        "random" => SendQueue::Random,
        "fifo" => SendQueue::Fifo,
        other => {
            return invalid(
                "link.one.send_queue",
                format!("expected \"random\" or \"fifo\", got {other:?}"),
            )
        }
    };
    Ok(OneLinkSpec {
        bytes_per_s: speed.round() as u64,
        update_interval: SimTime::from_secs_f64(dt),
        send_queue,
    })
}

fn churn(path: &str, raw: &RawChurn) -> Result<ChurnSpec, Invalid> {
    Ok(match raw {
        RawChurn::AlwaysOn => ChurnSpec::AlwaysOn,
        RawChurn::OnOff { on_s, off_s } => {
            let on = dist(&format!("{path}.on_s"), on_s, MAX_DURATION_S)?;
            let off = dist(&format!("{path}.off_s"), off_s, MAX_DURATION_S)?;
            for (field, d) in [("on_s", &on), ("off_s", &off)] {
                if d.mean() < MIN_CHURN_PERIOD_S && !(field == "off_s" && d.mean() == 0.0) {
                    return invalid(
                        format!("{path}.{field}"),
                        format!(
                            "expected periods with a mean of at least {MIN_CHURN_PERIOD_S} s \
                             (shorter ones flood the engine with link changes), got {}",
                            d.mean()
                        ),
                    );
                }
            }
            ChurnSpec::OnOff {
                on_s: on,
                off_s: off,
            }
        }
        RawChurn::Schedule { online } => {
            let mut out: Vec<(SimTime, SimTime)> = Vec::with_capacity(online.len());
            for (i, [from, to]) in online.iter().enumerate() {
                let p = format!("{path}.online[{i}]");
                let (f, t) = (seconds(&p, *from, true)?, seconds(&p, *to, false)?);
                if t <= f {
                    return invalid(p, format!("expected from < to, got [{from}, {to}]"));
                }
                if out.last().is_some_and(|&(_, prev)| f <= prev) {
                    return invalid(
                        p,
                        "expected intervals sorted and apart (each starts after the previous ends)",
                    );
                }
                out.push((f, t));
            }
            ChurnSpec::Schedule(out)
        }
        RawChurn::Periodic {
            period_s,
            online_fraction,
        } => {
            let period = seconds(&format!("{path}.period_s"), *period_s, false)?;
            if period.as_secs_f64() < MIN_CHURN_PERIOD_S {
                return invalid(
                    format!("{path}.period_s"),
                    format!(
                        "expected a period of at least {MIN_CHURN_PERIOD_S} s \
                         (shorter ones flood the engine with link changes), got {period_s}"
                    ),
                );
            }
            if !(*online_fraction > 0.0 && *online_fraction <= 1.0) {
                return invalid(
                    format!("{path}.online_fraction"),
                    format!("expected a fraction in (0, 1], got {online_fraction}"),
                );
            }
            let on = SimTime((period.as_micros() as f64 * online_fraction).round() as u64);
            ChurnSpec::Periodic {
                period,
                on: on.max(SimTime(1)),
            }
        }
    })
}

fn churn_per_node(
    default: &RawChurn,
    overrides: &[RawChurnOverride],
    n: u32,
) -> Result<Vec<ChurnSpec>, Invalid> {
    let mut per_node = vec![churn("churn", default)?; n as usize];
    for (i, o) in overrides.iter().enumerate() {
        let path = format!("churn_overrides[{i}]");
        let spec = churn(&format!("{path}.churn"), &o.churn)?;
        for id in members(&format!("{path}.nodes"), &o.nodes, n)? {
            per_node[id as usize] = spec.clone();
        }
    }
    Ok(per_node)
}

fn script(
    raw: &[RawScripted],
    groups: &[GroupSpec],
    n: u32,
    duration: SimTime,
) -> Result<Vec<Scripted>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, m) in raw.iter().enumerate() {
        let path = format!("messages[{i}]");
        let at = seconds(&format!("{path}.at_s"), m.at_s, true)?;
        if at >= duration {
            return invalid(
                format!("{path}.at_s"),
                format!(
                    "expected a time before the end of the run ({duration}), got {}",
                    m.at_s
                ),
            );
        }
        let from = node_id(&format!("{path}.from"), m.from, n)?;
        let Some(g) = groups.iter().position(|g| g.name == m.group) else {
            return invalid(
                format!("{path}.group"),
                format!("no group is named {:?}", m.group),
            );
        };
        if groups[g].members.binary_search(&from).is_err() {
            return invalid(
                format!("{path}.from"),
                format!("node {from} is not a member of group {:?}", m.group),
            );
        }
        if let Some(b) = m.body_bytes {
            if f64::from(b) > MAX_BODY_BYTES {
                return invalid(
                    format!("{path}.body_bytes"),
                    format!("expected at most {MAX_BODY_BYTES} bytes, got {b}"),
                );
            }
        }
        out.push(Scripted {
            at,
            from,
            group: g as GroupId,
            body_bytes: m.body_bytes,
        });
    }
    out.sort_by_key(|s| s.at);
    Ok(out)
}

fn body(raw: &RawDist) -> Result<Dist, Invalid> {
    dist("body_bytes", raw, MAX_BODY_BYTES)
}

fn sync(raw: &RawSync) -> Result<SyncSpec, Invalid> {
    for (key, set, to) in [
        (
            "max_latency_s",
            raw.max_latency_s.is_some(),
            "strategy_config.bsp.interactive.max_latency_s and strategy_config.bsp.batch.max_latency_s",
        ),
        (
            "offer_cap",
            raw.offer_cap.is_some(),
            "strategy_config.bsp.offer_cap",
        ),
    ] {
        if set {
            return invalid(
                format!("sync.{key}"),
                format!("moved: BSP's parameters are now {to}"),
            );
        }
    }
    let delivery = match raw.delivery {
        RawDelivery::Consistent => DeliveryMode::Consistent,
        RawDelivery::Eventual => DeliveryMode::Eventual,
    };
    let max_parent_wait = match raw.max_parent_wait_s {
        None => None,
        Some(w) => Some(seconds("sync.max_parent_wait_s", w, false)?),
    };
    Ok(SyncSpec {
        delivery,
        max_parent_wait,
    })
}

/// Every strategy's config section, parsed once: each section the file
/// has goes to every strategy that reads it, and each key the file leaves
/// out gets its defaults.
pub(crate) fn strategy_config<R: Runner>(
    raw: &BTreeMap<String, serde_json::Value>,
    registry: &Registry<R>,
) -> Result<BTreeMap<String, ParsedConfig>, Invalid> {
    let keys = registry.config_keys();
    if let Some(key) = raw.keys().find(|k| !keys.contains(&k.as_str())) {
        return invalid(
            format!("strategy_config.{key}"),
            format!(
                "no strategy reads this section, expected one of {}",
                keys.join(", ")
            ),
        );
    }
    let mut parsed = BTreeMap::new();
    for key in keys {
        let path = format!("strategy_config.{key}");
        for s in registry.by_config_key(key) {
            let config = s.parse_config(raw.get(key)).or_else(|e| {
                let at = if e.path.is_empty() {
                    path.clone()
                } else {
                    format!("{path}.{}", e.path)
                };
                invalid(at, e.message)
            })?;
            parsed.entry(key.to_string()).or_insert(config);
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests;
