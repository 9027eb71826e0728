//! The scenario file as written: serde structs mirroring the JSON, with
//! unknown fields rejected and documented defaults. Nothing outside the
//! `scenario` module sees these; [`super::Scenario`] is the validated form.
//! They serialize back to JSON with every default filled in: the effective
//! scenario result folders record (`super::effective`).
//!
//! The same types derive [`JsonSchema`], so `meshsync schema scenario`
//! describes exactly what this parser accepts (tags, defaults, the doc
//! comments below as descriptions, cheap numeric bounds); the schema is
//! built in [`super::schema`].

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Top level of a scenario file.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    /// Name; results go to `results/<name>/` by default.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Run seed (default 1).
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Simulated time in seconds.
    pub duration_s: f64,
    /// Strategy name (default `bsp-interactive`; `meshsync strategies` lists
    /// them), or the name of one of `variants`.
    #[serde(default = "default_strategy")]
    pub strategy: String,
    /// Number of nodes, ids `0..nodes`.
    #[schemars(range(min = 1, max = super::MAX_NODES))]
    pub nodes: u32,
    /// Who can reach whom (default full mesh).
    #[serde(default)]
    pub topology: RawTopology,
    /// Link behaviour, the same for every link.
    #[serde(default)]
    pub link: RawLink,
    /// Default churn of every node (default always on).
    #[serde(default)]
    pub churn: RawChurn,
    /// Per-node churn exceptions, later entries win.
    #[serde(default)]
    pub churn_overrides: Vec<RawChurnOverride>,
    /// Chats (default none; The ONE message events add 1:1 chats).
    #[serde(default)]
    pub groups: Vec<RawGroup>,
    /// The ONE external message events file (`<time> C <id> <from> <to>
    /// <size>`): each event a 1:1 message in a chat of its two hosts.
    #[serde(default)]
    pub one_messages: Option<String>,
    /// What nodes know of reachability, and how far packets travel.
    #[serde(default)]
    pub transport: RawTransport,
    /// Scheduled partitions.
    #[serde(default)]
    pub partitions: Vec<RawPartition>,
    /// Mailservers (default none).
    #[serde(default)]
    pub mailservers: Option<RawMailservers>,
    /// Node crashes (default none).
    #[serde(default)]
    pub crashes: Vec<RawCrash>,
    /// Misbehaving nodes (default none).
    #[serde(default)]
    pub adversaries: Vec<RawAdversary>,
    /// Scripted messages, beside the groups' Poisson writers.
    #[serde(default)]
    pub messages: Vec<RawScripted>,
    /// Body size of generated messages in bytes (default fixed 200).
    #[serde(default = "default_body")]
    pub body_bytes: RawDist,
    /// Delivery rules every strategy's store follows, except `mvds`, whose wire has no parents (Status's MVDS delivers on receipt).
    #[serde(default)]
    pub sync: RawSync,
    /// Each strategy's own parameters, by config key (`bsp`, `mvds`, ...):
    /// parsed and checked by the strategy itself.
    #[serde(default)]
    pub strategy_config: std::collections::BTreeMap<String, serde_json::Value>,
    /// Named (strategy, config section) pairs, usable wherever a strategy
    /// name is (`strategy`, `compare --strategies`, a sweep's
    /// `strategies`); each config is merged into the scenario's section for
    /// its strategy (default none).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub variants: std::collections::BTreeMap<String, super::variants::RawVariant>,
    /// The JSON Schema this file follows (editors use it; meshsync ignores
    /// it), e.g. `schema/scenario.schema.json` in `scenarios/`.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

fn default_seed() -> u64 {
    1
}
/// BSP as Briar runs it on live links (bramble-core
/// `sync/DuplexOutgoingSession`): the faithful default.
fn default_strategy() -> String {
    "bsp-interactive".into()
}
fn default_body() -> RawDist {
    RawDist::Fixed(200.0)
}

/// A distribution as written: `{"fixed": v}`, `{"uniform": {"min": a,
/// "max": b}}` or `{"exponential": {"mean": m}}`.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum RawDist {
    /// A constant.
    Fixed(f64),
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Exponential.
    Exponential {
        /// Mean.
        mean: f64,
    },
}

/// Topology as written, tagged by `kind`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawTopology {
    /// Any two online nodes reach each other.
    #[default]
    FullMesh,
    /// An explicit undirected edge list.
    Edges {
        /// Pairs of node ids.
        edges: Vec<[u32; 2]>,
    },
    /// Node i linked to i+1 (mod n).
    Ring,
    /// Each pair linked with probability `p`.
    ErdosRenyi {
        /// Edge probability.
        #[schemars(range(min = 0.0, max = 1.0))]
        p: f64,
    },
    /// Nodes uniform in the unit square, linked within `radius`.
    RandomGeometric {
        /// Link radius (unit square).
        #[schemars(range(min = 0.0))]
        radius: f64,
    },
    /// Preferential attachment: each new node links to `m` existing ones.
    BarabasiAlbert {
        /// Edges per new node.
        m: u32,
    },
    /// The ONE connectivity trace (`<time> CONN <a> <b> up|down`); the path
    /// is relative to the scenario file.
    ContactTrace {
        /// Trace file.
        file: String,
    },
}

/// Transport semantics as written.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawTransport {
    /// `known` (default): a node is told a peer is reachable only when it
    /// is (Bluetooth, Tor, LAN); `unknown`: a node addresses every peer
    /// while it is online itself, and payloads to unreachable peers are
    /// lost unless a store-forward mailserver archives them (Whisper).
    #[serde(default)]
    pub presence: RawPresence,
    /// `direct` (default): only adjacent nodes reach each other;
    /// `multi-hop`: any two online nodes in one connected component do,
    /// with one latency draw per hop.
    #[serde(default)]
    pub routing: RawRouting,
}

/// What a node knows of reachability (`transport.presence`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawPresence {
    /// Told when a peer becomes reachable or unreachable (default).
    #[default]
    Known,
    /// Addresses every sync peer while online itself.
    Unknown,
}

/// How far a payload travels (`transport.routing`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawRouting {
    /// Adjacent nodes only (default).
    #[default]
    Direct,
    /// Any online node in the same connected component.
    MultiHop,
}

/// A partition as written: either `groups` (a split into sets; nodes not
/// listed form one more set) or `from`/`to` (one-way: `from` cannot reach
/// `to`, the reverse works).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPartition {
    /// Start, seconds.
    pub at_s: f64,
    /// End (heal), seconds.
    pub until_s: f64,
    /// Symmetric split.
    #[serde(default)]
    pub groups: Option<Vec<RawMembers>>,
    /// One-way: senders cut off…
    #[serde(default)]
    pub from: Option<RawMembers>,
    /// …from these receivers.
    #[serde(default)]
    pub to: Option<RawMembers>,
}

/// Mailservers as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMailservers {
    /// `store-forward`, `sync-peer` or `off`.
    pub mode: RawMailMode,
    /// Mailserver node ids (never group members).
    pub nodes: RawMembers,
    /// Their uptime (default always on).
    #[serde(default)]
    pub churn: RawChurn,
    /// store-forward: how long envelopes are kept (default 30 days).
    #[serde(default = "default_retention")]
    pub retention_s: f64,
    /// store-forward: clients also query this often while online
    /// (default 300 s; `null` queries only on coming online).
    #[serde(default = "default_query_interval")]
    pub query_interval_s: Option<f64>,
    /// Groups served (default all).
    #[serde(default)]
    pub groups: Option<Vec<String>>,
}

fn default_retention() -> f64 {
    30.0 * 86_400.0
}
fn default_query_interval() -> Option<f64> {
    Some(300.0)
}

/// Link parameters as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    /// One-way latency in milliseconds (default fixed 100).
    #[serde(default = "default_latency")]
    pub latency_ms: RawDist,
    /// Bandwidth per direction in kilobits per second (default unlimited;
    /// at least 0.01, and fast enough that a 1 KiB payload crosses a link
    /// within the run).
    #[serde(default)]
    #[schemars(range(min = 0.01))]
    pub bandwidth_kbps: Option<f64>,
    /// Probability that a payload is lost (default 0).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub loss: f64,
    /// Transport bytes added to every payload (default 0).
    #[serde(default)]
    pub overhead_bytes: u32,
    /// Probability that a payload arrives twice (default 0).
    #[serde(default)]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub duplicate: f64,
    /// The ONE's link model for message records (default off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one: Option<RawOneLink>,
}

/// The ONE's link model as written (`link.one`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawOneLink {
    /// Transmit speed in bytes per second (ONE's `transmitSpeed`; default
    /// 250,000, the `250k` of its default settings' Bluetooth interface).
    #[serde(default = "default_one_speed")]
    #[schemars(range(min = 1.0))]
    pub transmit_bytes_per_s: f64,
    /// Seconds between updates (ONE's `Scenario.updateInterval`; default
    /// 0.1).
    #[serde(default = "default_one_interval")]
    #[schemars(range(min = 0.001, max = 3600.0))]
    pub update_interval_s: f64,
    /// `random` (ONE's default) or `fifo` (ONE's `sendQueue`).
    #[serde(default = "default_one_queue")]
    pub send_queue: String,
}

fn default_one_speed() -> f64 {
    250_000.0
}
fn default_one_interval() -> f64 {
    0.1
}
fn default_one_queue() -> String {
    "random".into()
}

fn default_latency() -> RawDist {
    RawDist::Fixed(100.0)
}

impl Default for RawLink {
    fn default() -> Self {
        RawLink {
            latency_ms: default_latency(),
            bandwidth_kbps: None,
            loss: 0.0,
            overhead_bytes: 0,
            duplicate: 0.0,
            one: None,
        }
    }
}

/// Churn as written, tagged by `kind`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawChurn {
    /// Online for the whole run.
    #[default]
    AlwaysOn,
    /// Alternating online and offline periods drawn from distributions.
    OnOff {
        /// Online period, seconds.
        on_s: RawDist,
        /// Offline period, seconds.
        off_s: RawDist,
    },
    /// Online exactly during these `[from_s, to_s]` intervals (sorted,
    /// disjoint), offline otherwise.
    Schedule {
        /// Online intervals in seconds.
        online: Vec<[f64; 2]>,
    },
    /// Online `online_fraction` of every `period_s`, phase-shifted per node.
    Periodic {
        /// Cycle length, seconds.
        period_s: f64,
        /// Fraction of the cycle online, in (0, 1].
        #[schemars(range(max = 1.0))]
        online_fraction: f64,
    },
}

/// A churn exception for some nodes.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChurnOverride {
    /// The nodes it applies to.
    pub nodes: RawMembers,
    /// Their churn.
    pub churn: RawChurn,
}

/// A set of nodes: a list of ids, `"all"`, or `{"from": a, "to": b}`
/// (b exclusive).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected a list of node ids, \"all\", or {\"from\": first, \"to\": end}"
)]
pub enum RawMembers {
    /// Explicit ids.
    List(Vec<u32>),
    /// The word `all`.
    #[schemars(with = "AllWord")]
    Word(String),
    /// A half-open range.
    Range {
        /// First id.
        from: u32,
        /// One past the last id.
        to: u32,
    },
}

/// The one word [`RawMembers::Word`] may be (checked in validation; the
/// schema says it).
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum AllWord {
    /// Every node.
    All,
}

/// A group (chat) as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGroup {
    /// Unique name.
    pub name: String,
    /// Its members.
    pub members: RawMembers,
    /// Messages each member writes per hour (default 0): per hour online
    /// (`rate_basis` `online`, the default), or per hour of simulated time
    /// (`wall-clock`).
    #[serde(default)]
    pub rate_per_hour: f64,
    /// What `rate_per_hour` counts hours of: `online` (default: a member
    /// writes `rate_per_hour` messages per hour it is online, so less
    /// uptime means fewer messages) or `wall-clock` (a member writes
    /// `rate_per_hour` messages per hour of simulated time, all while
    /// online: the workload stays the same whatever the uptime).
    #[serde(default, skip_serializing_if = "RawRateBasis::is_online")]
    pub rate_basis: RawRateBasis,
    /// A public chat (default false): Status runs no MVDS there, and
    /// `compare` says so when `mvds` runs it.
    #[serde(default)]
    pub public: bool,
    /// Which members sync the group with which (default: all with all).
    #[serde(default)]
    pub sharing: RawSharing,
}

/// What a group's `rate_per_hour` counts hours of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawRateBasis {
    /// Hours the member is online (default).
    #[default]
    Online,
    /// Hours of simulated time.
    WallClock,
}

impl RawRateBasis {
    fn is_online(&self) -> bool {
        *self == RawRateBasis::Online
    }
}

/// Who shares a group with whom, tagged by `kind`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawSharing {
    /// Every member with every other.
    #[default]
    All,
    /// The creator with each member (a new Briar private group).
    Star {
        /// The creator (default: the lowest member id).
        #[serde(default)]
        creator: Option<u32>,
    },
    /// Explicit undirected pairs of members.
    Edges {
        /// Pairs of member ids.
        edges: Vec<[u32; 2]>,
    },
}

/// One scripted message.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScripted {
    /// When it is written (deferred until the sender is online).
    pub at_s: f64,
    /// Sender node id.
    pub from: u32,
    /// Group name.
    pub group: String,
    /// Body size (default: a draw from `body_bytes`).
    #[serde(default)]
    pub body_bytes: Option<u32>,
}

/// Delivery rules as written (`sync`), shared by every strategy.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSync {
    /// `consistent` (default) or `eventual`; `mvds` always delivers on
    /// receipt (Status's MVDS carries no parents).
    #[serde(default)]
    pub delivery: RawDelivery,
    /// Deliver a message blocked this long without its missing parents
    /// (default null: wait for ever).
    #[serde(default)]
    pub max_parent_wait_s: Option<f64>,
    /// Moved to `strategy_config.bsp.{interactive,batch}.max_latency_s` (kept to say so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_latency_s: Option<serde_json::Value>,
    /// Moved to `strategy_config.bsp.offer_cap` (kept to say so).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offer_cap: Option<serde_json::Value>,
}

/// Kinds of mailserver (`mailservers.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawMailMode {
    /// Archives every payload; clients fetch what they missed.
    StoreForward,
    /// An always-on sync peer of the groups it serves.
    SyncPeer,
    /// No mailservers.
    Off,
}

/// When a received message reaches the application (`sync.delivery`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawDelivery {
    /// After all its parents (default).
    #[default]
    Consistent,
    /// On receipt.
    Eventual,
}

/// What a crashed node keeps (`crashes[].state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawCrashState {
    /// Its sync state survives.
    Persistent,
    /// It restarts empty.
    Volatile,
}

/// How an adversary misbehaves (`adversaries[].kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum RawAdversaryKind {
    /// Names parents that never exist.
    Hole,
    /// Writes at a high rate.
    Spam,
    /// A non-member writing into the group.
    Inject,
}

/// Crashes as written: at a time (`at_s`) or at a rate, each node of
/// `nodes` stays down `down_s`, then restarts with its state (`persistent`)
/// or empty (`volatile`).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCrash {
    /// Nodes that crash.
    pub nodes: RawMembers,
    /// Crash time (scheduled crashes).
    #[serde(default)]
    pub at_s: Option<f64>,
    /// Crashes per node per hour online (random crashes).
    #[serde(default)]
    pub rate_per_hour: Option<f64>,
    /// Time down before the restart.
    pub down_s: f64,
    /// `persistent` or `volatile`.
    pub state: RawCrashState,
}

/// A misbehaving node as written.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAdversary {
    /// `hole` (messages naming parents that never exist), `spam` (a member
    /// writing at a high rate) or `inject` (a non-member writing into the
    /// group).
    pub kind: RawAdversaryKind,
    /// The node.
    pub node: u32,
    /// Group name.
    pub group: String,
    /// Its messages per hour online.
    pub rate_per_hour: f64,
}
