//! The strategy plug-in: what a sync strategy declares to the rest of
//! meshsync, and nothing more.
//!
//! A strategy owns
//! - its **payload** type (what one node puts on a link at once), which
//!   implements [`WirePayload`]: its exact encoded size by record kind, the
//!   records it carries by kind, and the messages it carries in full;
//! - its **record kinds** ([`RecordKind`]): the names under which the report
//!   counts its records and bytes (`records_sent`, `bytes_by_record`);
//! - its **config section** (`strategy_config.<key>` in a scenario file),
//!   parsed with serde into [`Strategy::Config`] and checked by
//!   [`Strategy::validate`]; errors carry the JSON path inside the section;
//! - how to **build a node** ([`Strategy::build`]) from a [`NodeContext`].
//!
//! The engine knows strategies only through this trait and the registry
//! ([`super::registry`]); [`StrategyInfo`] is the object-safe part the
//! scenario layer uses to validate names and parse config sections (once,
//! into a [`ParsedConfig`]), and [`Capabilities`] the engine policies a
//! strategy implies.
//!
//! Imports: `sim/` and the node layer only.

use super::store::Delivery;
use super::Node;
use crate::sim::message::{GroupId, Members, MessageRef, NodeId};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;
use thiserror::Error;

/// Most record kinds one strategy may declare.
pub const MAX_RECORD_KINDS: usize = 8;

/// A value per record kind, in the order of [`Strategy::record_kinds`];
/// entries past the declared kinds stay 0.
pub type PerKind = [u64; MAX_RECORD_KINDS];

/// One kind of record a strategy puts on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordKind {
    /// The name in `records_sent` and `bytes_by_record` (`ack`, `message`).
    pub name: &'static str,
    /// Listed in `records_sent` even when none was sent. A kind that is
    /// not (an extension most runs never use) appears only once used;
    /// `bytes_by_record` always lists every kind.
    pub listed_when_zero: bool,
}

/// What the engine and the recorder need to know about a payload.
///
/// Four methods are required; the other three have defaults that suit a
/// strategy which never needs them (see each).
pub trait WirePayload: Clone + Debug + 'static {
    /// True when the payload carries no record (it is then not sent).
    fn is_empty(&self) -> bool;
    /// The exact encoded length of each record kind's records, in the
    /// order of the strategy's kinds; the sum is the payload's size on the
    /// wire before the link's per-packet overhead.
    fn encoded_len_by_kind(&self) -> PerKind;
    /// The number of records of each kind.
    fn count_by_kind(&self) -> PerKind;
    /// The messages carried in full (their receipt is measured).
    fn messages(&self) -> &[MessageRef];
    /// A payload carrying exactly `messages` in full, or `None` when the
    /// wire cannot say that alone (the default). What a node outside the
    /// sync layer (a non-member injecting messages) publishes, and what one
    /// message's transfer under The ONE's link model (`link.one`) weighs:
    /// a run needing it refuses a strategy that returns `None`.
    fn carrying(_messages: Vec<MessageRef>) -> Option<Self> {
        None
    }
    /// The bytes one record carrying `msg` in full takes (spam
    /// accounting); by default the size of [`WirePayload::carrying`] it
    /// alone, or its body when the wire cannot carry it alone.
    fn message_record_len(msg: &MessageRef) -> usize {
        Self::carrying(vec![msg.clone()]).map_or(msg.body_len as usize, |p| {
            p.encoded_len_by_kind().iter().map(|&b| b as usize).sum()
        })
    }
    /// Bytes of causal metadata in the encoded payload: what it spends on
    /// parents, causal histories or bloom filters of seen ids (counted in
    /// `causal_bytes`; already part of [`WirePayload::encoded_len_by_kind`]).
    /// Default 0: a wire that carries none.
    fn causal_len(&self) -> u64 {
        0
    }
    /// Takes the messages carried in full out of the payload, leaving its
    /// other records: under The ONE's link model (`link.one`) each message
    /// travels as a transfer of its own, the rest as a payload. Implement
    /// it with [`WirePayload::carrying`]; the default (for payloads that
    /// cannot carry a message alone, which `link.one` refuses) takes none.
    fn take_messages(&mut self) -> Vec<MessageRef> {
        Vec::new()
    }
}

/// What the engine needs to know of a strategy beyond its nodes: the
/// policies it implies for building and linking the world. The default is
/// what most strategies are: members sync their own groups, messages carry
/// parents, a store-forward mailserver's host is passive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Every node relays every message, member or not: the engine links
    /// every pair of syncing nodes and builds a node even for nodes in no
    /// group (role [`Role::Relay`]).
    pub relays_everything: bool,
    /// Every member shares the messages it received with its co-members,
    /// keeping send state per (message, peer) (BSP), rather than only its
    /// own (MVDS as Status runs it). Used only to estimate a run's memory.
    pub members_share_received: bool,
    /// The strategy's messages carry parents on the wire. When false its
    /// nodes deliver on receipt whatever `sync.delivery` says (Status's
    /// MVDS): the run promises no causal order, and deliveries before a
    /// parent count as `delivered_before_parent`, not `causal_violations`.
    pub carries_parents: bool,
    /// The strategy promises eventual delivery: once faults stop and the
    /// world stays connected long enough, every member holds every message
    /// of its groups. False for a strategy that gives up (no
    /// retransmission, or a send limit): its `about` says what it promises
    /// instead.
    pub eventual_delivery: bool,
    /// Messages move in rounds of set reconciliation (a few frames per
    /// round and peer, then a batch), not as per-message exchanges with
    /// each peer: used only to estimate a run's events before it starts.
    pub reconciles: bool,
    /// A store-forward mailserver's host runs the strategy's own node
    /// (role [`Role::Store`]: a store that takes part in the protocol, as
    /// a reconciling store does) instead of a passive one.
    pub runs_on_stores: bool,
    /// The strategy's wire puts a message's author id beside its group id
    /// in what every relay and store sees, so any node outside the group
    /// that receives the message can link the author to the group (the
    /// `linking_nodes_*` metrics). When false, only a node that got the
    /// message from its author directly can (the transport names the peer).
    pub wire_links_sender_to_group: bool,
    /// A node sends again, on a backoff of minutes and with no send limit,
    /// to a peer it believes linked but that never answers (vacp2p/mvds on
    /// Status's schedule; BSP's backoff unit is the transport's max
    /// latency). Under `transport.presence` unknown on
    /// a sparse graph that is most of a run's events. Used only to
    /// estimate a run's events before it starts.
    pub resends_to_unreachable: bool,
    /// A reconciling strategy runs a round with every peer sharing a group,
    /// on every link-up and every interval (negentropy), rather than with
    /// one random peer per interval (waku-sync). Used only to estimate a
    /// run's events before it starts.
    pub reconciles_with_every_peer: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            relays_everything: false,
            members_share_received: false,
            carries_parents: true,
            eventual_delivery: true,
            reconciles: false,
            runs_on_stores: false,
            wire_links_sender_to_group: false,
            resends_to_unreachable: false,
            reconciles_with_every_peer: false,
        }
    }
}

/// What a strategy's configuration adds to a run's peak memory, beyond
/// what the size estimate counts for every strategy
/// ([`crate::engine::estimate`]): SDS's bloom filters grow with the
/// capacity and error rate its config sets.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Footprint {
    /// Bytes a node keeps for each group it syncs.
    pub bytes_per_membership: f64,
    /// Bytes for each (message, member) pair held.
    pub bytes_per_held_message: f64,
    /// The config field they grow with (`strategy_config.sds.bloom_capacity`),
    /// named when a run is refused for them.
    pub field: &'static str,
}

/// What a node is in the world it is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A member of at least one group (sync-peer mailservers included).
    Member,
    /// A store-forward mailserver's host (built only for strategies whose
    /// [`Capabilities::runs_on_stores`] is set).
    Store,
    /// A node in no group, relaying for others (built only for strategies
    /// whose [`Capabilities::relays_everything`] is set).
    Relay,
}

/// What a strategy's node is built from.
#[derive(Clone, Copy, Debug)]
pub struct NodeContext<'a> {
    /// The node's id.
    pub me: NodeId,
    /// The groups the node syncs, each with its sync members (sorted).
    pub groups: &'a [(GroupId, Members)],
    /// For each group of `groups`, in the same order, the peers the node
    /// shares it with (sorted, without `me`): the co-members along the
    /// group's sharing edges (`groups[].sharing`), plus sync-peer
    /// mailservers. Strategies modelling Briar sync a group only with
    /// these; the others may ignore it.
    pub sharing: &'a [(GroupId, Members)],
    /// When received messages reach the application (scenario `sync`).
    pub delivery: Delivery,
    /// True when `handle_link_up(p)` means `p` is reachable now
    /// (`transport.presence: known`); false when it only means this node
    /// came online and `p` may be offline (`unknown`).
    pub presence_known: bool,
    /// The run seed; a node that draws random numbers takes its own
    /// sub-stream (`crate::sim::rng::stream(seed, "node", me)`).
    pub seed: u64,
    /// What the node is: a member, a store or a relay.
    pub role: Role,
    /// True when the world has store nodes (store-forward mailservers)
    /// that [`crate::node::Outbox::query_store`] reaches; without them a
    /// query goes nowhere, and a node may skip building it.
    pub stores: bool,
}

/// A config section that does not fit its strategy.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// JSON path inside the section (empty: the section itself).
    pub path: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ConfigError {
    /// An error at `path` inside the section.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A sync strategy: one protocol (or one mode of it) meshsync can run.
///
/// Required: the payload and config types, [`Strategy::name`],
/// [`Strategy::about`], [`Strategy::record_kinds`] and [`Strategy::build`];
/// the rest has defaults.
pub trait Strategy: Send + Sync + 'static {
    /// What one node sends one peer at once.
    type Payload: WirePayload;
    /// The strategy's config section, parsed with serde; every field has a
    /// documented default, so `{}` (or no section) is valid. It serializes
    /// back with every default filled in (the effective scenario records
    /// it) and describes itself as a JSON Schema (`meshsync schema`).
    /// [`NoConfig`] is the section without parameters.
    type Config: DeserializeOwned + Serialize + JsonSchema + Debug + Send + Sync;

    /// The name in scenario files and on the command line (`bsp-batch`).
    fn name(&self) -> &str;
    /// The key of its config section under `strategy_config` (strategies
    /// that share parameters, such as BSP's two modes, share a key).
    fn config_key(&self) -> &str {
        self.name()
    }
    /// One line saying what the strategy is (`meshsync --help`, README).
    fn about(&self) -> &str;
    /// Its record kinds, at most [`MAX_RECORD_KINDS`].
    fn record_kinds(&self) -> &'static [RecordKind];
    /// The engine policies the strategy implies (default: see
    /// [`Capabilities`]).
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    /// What `config` adds to a run's memory (default: nothing beyond
    /// what every strategy keeps).
    fn footprint(&self, _config: &Self::Config) -> Footprint {
        Footprint::default()
    }
    /// Checks a parsed config beyond what its types say.
    fn validate(&self, _config: &Self::Config) -> Result<(), ConfigError> {
        Ok(())
    }
    /// The JSON Schema of its config section, for `meshsync schema`.
    fn config_schema(&self) -> serde_json::Value {
        config_schema_of::<Self::Config>()
    }
    /// Decodes arbitrary bytes with the strategy's wire decoders, throwing
    /// the result away: the fuzz target feeds every registered strategy
    /// through this, so a decoder that panics is found. Default: no decoder.
    fn fuzz_decode(&self, _bytes: &[u8]) {}
    /// The node for `ctx.me`.
    fn build(&self, config: &Self::Config, ctx: &NodeContext<'_>) -> Box<dyn Node<Self::Payload>>;
}

/// A config section parsed and validated once, at the edge: its typed
/// value (for the strategy's nodes) and the same value serialized back
/// with every default filled in (for the effective scenario).
#[derive(Clone)]
pub struct ParsedConfig {
    effective: serde_json::Value,
    typed: Arc<dyn Any + Send + Sync>,
}

impl ParsedConfig {
    /// The section with every default filled in.
    pub fn effective(&self) -> &serde_json::Value {
        &self.effective
    }
    /// The typed config, when it is a `T`.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.typed.downcast_ref::<T>()
    }
}

impl Debug for ParsedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.effective.fmt(f)
    }
}

impl PartialEq for ParsedConfig {
    fn eq(&self, other: &Self) -> bool {
        self.effective == other.effective
    }
}

/// The object-safe view of a [`Strategy`]: what lists, validates and
/// describes strategies without knowing their payload types. Every
/// [`Strategy`] is one (a blanket implementation: nothing to write).
pub trait StrategyInfo: Send + Sync {
    /// See [`Strategy::name`].
    fn name(&self) -> &str;
    /// See [`Strategy::config_key`].
    fn config_key(&self) -> &str;
    /// See [`Strategy::about`].
    fn about(&self) -> &str;
    /// See [`Strategy::record_kinds`].
    fn record_kinds(&self) -> &'static [RecordKind];
    /// See [`Strategy::capabilities`].
    fn capabilities(&self) -> Capabilities;
    /// See [`Strategy::footprint`]: of the scenario's section `config`
    /// (`None` or another strategy's section: the defaults).
    fn footprint(&self, config: Option<&ParsedConfig>) -> Footprint;
    /// See [`Strategy::config_schema`].
    fn config_schema(&self) -> serde_json::Value;
    /// See [`Strategy::fuzz_decode`].
    fn fuzz_decode(&self, bytes: &[u8]);
    /// Parses and validates a config section (`None`: no section).
    fn parse_config(
        &self,
        section: Option<&serde_json::Value>,
    ) -> Result<ParsedConfig, ConfigError>;
}

impl<S: Strategy> StrategyInfo for S {
    fn name(&self) -> &str {
        Strategy::name(self)
    }
    fn config_key(&self) -> &str {
        Strategy::config_key(self)
    }
    fn about(&self) -> &str {
        Strategy::about(self)
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        Strategy::record_kinds(self)
    }
    fn capabilities(&self) -> Capabilities {
        Strategy::capabilities(self)
    }
    fn footprint(&self, config: Option<&ParsedConfig>) -> Footprint {
        match config.and_then(|c| c.get::<S::Config>()) {
            Some(c) => Strategy::footprint(self, c),
            None => parse_config(self, None)
                .map_or_else(|_| Footprint::default(), |c| Strategy::footprint(self, &c)),
        }
    }
    fn config_schema(&self) -> serde_json::Value {
        Strategy::config_schema(self)
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        Strategy::fuzz_decode(self, bytes)
    }
    fn parse_config(
        &self,
        section: Option<&serde_json::Value>,
    ) -> Result<ParsedConfig, ConfigError> {
        let config = parse_config(self, section)?;
        let effective = serde_json::to_value(&config)
            .map_err(|e| ConfigError::at("", format!("cannot record the section: {e}")))?;
        Ok(ParsedConfig {
            effective,
            typed: Arc::new(config),
        })
    }
}

/// Parses a strategy's config section (`None`: every default) and
/// validates it.
pub fn parse_config<S: Strategy + ?Sized>(
    strategy: &S,
    section: Option<&serde_json::Value>,
) -> Result<S::Config, ConfigError> {
    let value = section
        .cloned()
        .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
    // Objects only, by the section's own schema (serde would take an
    // array's items as the fields, in order).
    let findings = crate::sim::shape::against_schema(&value, &strategy.config_schema());
    if let Some(m) = findings.array {
        return Err(ConfigError::at(m.path, m.message));
    }
    let config: S::Config = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        ConfigError::at(path, e.into_inner().to_string())
    })?;
    if let Some(m) = findings.unknown_key {
        return Err(ConfigError::at(m.path, m.message));
    }
    strategy.validate(&config)?;
    Ok(config)
}

/// The JSON Schema of a config type `T`, self-contained (sub-schemas
/// inlined, no `$schema` key) so it can sit inside the scenario schema.
pub fn config_schema_of<T: JsonSchema>() -> serde_json::Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let mut v = generator.into_root_schema_for::<T>().to_value();
    if let Some(o) = v.as_object_mut() {
        o.remove("$schema");
        o.remove("title");
    }
    v
}

/// A config section with no parameters: `{}` (unknown fields rejected).
#[derive(Clone, Copy, Debug, Default, serde::Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoConfig {}

/// A duration in seconds from a config section: finite, `> 0` and at most
/// ten years (the longest scenario), as microseconds of simulated time.
pub fn positive_seconds(path: &str, v: f64) -> Result<crate::sim::time::SimTime, ConfigError> {
    const MAX_S: f64 = 10.0 * 365.0 * 86_400.0;
    if !(v.is_finite() && v >= 0.0) {
        return Err(ConfigError::at(
            path,
            format!("expected a finite number >= 0, got {v}"),
        ));
    }
    if v == 0.0 || v > MAX_S {
        return Err(ConfigError::at(
            path,
            format!("expected seconds > 0 and <= {MAX_S}, got {v}"),
        ));
    }
    let t = crate::sim::time::SimTime::from_secs_f64(v);
    // Time is whole microseconds: a positive value that rounds to none
    // would be zero after all (a BSP backoff unit of zero never ends a run).
    if t == crate::sim::time::SimTime::ZERO {
        return Err(ConfigError::at(
            path,
            format!("expected at least one microsecond (0.000001 s), got {v}"),
        ));
    }
    Ok(t)
}
