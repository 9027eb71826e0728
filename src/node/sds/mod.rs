//! SDS (Scalable Data Sync) with its repair extension SDS-R: what Status's
//! stack runs today (spec vacp2p/rfc-index `docs/ift-ts/raw/sds.md`;
//! implementations logos-messaging/nim-sds and `@waku/sds`; every fact and
//! default is sourced in `docs/sources/sds.md`).
//!
//! No per-peer state. Every message is broadcast on the group's topic and
//! carries its Lamport timestamp, its causal history (the last ids of the
//! sender's local log) and a bloom filter of the ids its sender has seen.
//! A received message is delivered once every id of its causal history is
//! in the local log; gaps are filled by store queries by message id and by
//! SDS-R repair requests. Where the sources differ, the default models the
//! spec (or js, where the spec leaves it open) and [`SdsConfig`] has the
//! other as a value.
//!
//! - [`bloom`]: the filter, bit for bit as the implementations;
//! - [`wire`]: the payload and its exact protobuf sizes;
//! - [`node`]: the sans-IO node.
//!
//! Imports: `sim/` and the node layer only.

pub mod bloom;
pub mod node;
pub mod wire;

#[cfg(test)]
mod tests;

use super::strategy::{
    positive_seconds, Capabilities, ConfigError, Footprint, NodeContext, RecordKind, Strategy,
};
use super::Node;
use crate::sim::time::SimTime;
pub use node::SdsNode;
use serde::{Deserialize, Serialize};
pub use wire::{Dialect, Payload};

/// How sync messages are timed.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// js's `RandomTimeout`: wait `uniform(0, interval · m)`, m = 1 at
    /// start, after sending a content message and after receiving a sync
    /// message, 0.5 after receiving a content message, 2 after the timer
    /// fired; × 0.3 while a repair request is due (`reliable_channel.ts`).
    #[default]
    Adaptive,
    /// nim's: every `interval` (`DefaultSyncMessageInterval = 30 s`).
    Fixed,
    /// No sync messages.
    Off,
}

/// How the Lamport timestamp moves.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum LamportMode {
    /// spec and js: milliseconds; `max(now, L + 1)` on send, raised to a
    /// message's timestamp on delivery.
    #[default]
    Spec,
    /// nim: seconds; `max(t, L) + 1` on send (t = now) and on receipt of
    /// any new message (t = its timestamp), before its dependencies are met.
    Nim,
}

/// The hash SDS-R's timers and response groups use (the spec leaves it
/// open).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum RepairHash {
    /// js: the first 8 bytes of `sha256(string)`, big-endian
    /// (`repair/utils.ts` `hashToInteger`).
    #[default]
    Sha256,
    /// nim: `abs` of Nim's `hash(string)` (MurmurHash3, signed;
    /// `sds_utils.nim` `computeTReq`).
    Murmur,
}

fn d_history() -> usize {
    2
}
fn d_capacity() -> u64 {
    10_000
}
fn d_error() -> f64 {
    0.001
}
fn d_threshold() -> u32 {
    2
}
fn d_resend() -> Option<f64> {
    Some(30.0)
}
fn d_max_resends() -> u32 {
    10
}
fn d_sync_interval() -> f64 {
    30.0
}
fn d_true() -> bool {
    true
}
fn d_t_min() -> f64 {
    30.0
}
fn d_t_max() -> f64 {
    120.0
}
fn d_groups() -> u32 {
    1
}
fn d_max_requests() -> usize {
    3
}
fn d_repair_sweep() -> f64 {
    10.0
}
fn d_store_query() -> Option<f64> {
    Some(10.0)
}
fn d_buffer_sweep() -> Option<f64> {
    Some(5.0)
}

/// `strategy_config.sds`: every parameter, its default and its source
/// (`docs/sources/sds.md`).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SdsConfig {
    /// Ids in a message's causal history (spec: "We recommend a causal
    /// history of two message IDs"; nim `DefaultMaxCausalHistory = 10`; js
    /// `DEFAULT_CAUSAL_HISTORY_SIZE = 200`). Default 2.
    #[serde(default = "d_history")]
    pub history_len: usize,
    /// Ids the bloom filter is sized for (js `DEFAULT_BLOOM_FILTER_OPTIONS`,
    /// nim `DefaultBloomFilterCapacity`: 10,000). Default 10000.
    #[serde(default = "d_capacity")]
    pub bloom_capacity: u64,
    /// Target false-positive rate of the bloom filter (both: 0.001).
    /// 10,000 at 0.001 gives k = 10 and 150,000 bits: 18,752 bytes in
    /// every message. Default 0.001.
    #[serde(default = "d_error")]
    pub bloom_error_rate: f64,
    /// Roll the filter as nim-sds does (above 1.2 · capacity ids, rebuild
    /// at capacity 1.2 · capacity from the newest 0.8 · capacity); js never
    /// rolls. Default false (js).
    #[serde(default)]
    pub bloom_rolling: bool,
    /// Bloom hits that acknowledge a message (js
    /// `DEFAULT_POSSIBLE_ACKS_THRESHOLD = 2`; nim: 1). Default 2.
    #[serde(default = "d_threshold")]
    pub possible_acks_threshold: u32,
    /// Seconds between resends of an unacknowledged message (js
    /// `DEFAULT_RETRY_INTERVAL_MS = 30 s`); `null`: never resend (nim
    /// counts attempts but never retransmits). Default 30.
    #[serde(default = "d_resend")]
    pub resend_interval_s: Option<f64>,
    /// Resends at most (js `DEFAULT_MAX_RETRY_ATTEMPTS = 10`). Default 10.
    #[serde(default = "d_max_resends")]
    pub max_resends: u32,
    /// Sync message timing: `adaptive` (js), `fixed` (nim) or `off`.
    /// Default adaptive.
    #[serde(default)]
    pub sync: SyncMode,
    /// The sync interval (js `DEFAULT_SYNC_MIN_INTERVAL_MS`, nim
    /// `DefaultSyncMessageInterval`: 30 s). Default 30.
    #[serde(default = "d_sync_interval")]
    pub sync_interval_s: f64,
    /// Lamport timestamp rule: `spec` (ms, js) or `nim` (seconds, on
    /// receipt). Default spec.
    #[serde(default)]
    pub lamport: LamportMode,
    /// SDS-R on (js `enableRepair` default true). Default true.
    #[serde(default = "d_true")]
    pub repair: bool,
    /// SDS-R `T_min` (js `tMin = 30 s`, nim `DefaultRepairTMin = 30 s`).
    /// Default 30.
    #[serde(default = "d_t_min")]
    pub repair_t_min_s: f64,
    /// SDS-R `T_max` (js `tMax = 120 s`; nim `DefaultRepairTMax = 300 s`).
    /// Default 120.
    #[serde(default = "d_t_max")]
    pub repair_t_max_s: f64,
    /// SDS-R response groups (js and nim default 1); 0: the spec's
    /// `members div 128 + 1` for each group. Default 1.
    #[serde(default = "d_groups")]
    pub response_groups: u32,
    /// Repair requests per message at most (spec RECOMMENDS 3; js
    /// `MAX_REPAIR_REQUESTS_PER_MESSAGE`, nim `DefaultMaxRepairRequests`).
    /// Default 3.
    #[serde(default = "d_max_requests")]
    pub max_repair_requests: usize,
    /// Ask again for an entry already requested when a later message names
    /// it missing again, with a new T_req, as nim does (it deletes the
    /// entry once requested, `wrapOutgoingMessage`, and re-adds it in
    /// `unwrapReceivedMessage`); js asks once (`requested`, never reset),
    /// so a lost answer leaves the gap for good. Default false (js).
    #[serde(default)]
    pub repair_ask_again: bool,
    /// The hash in T_req, T_resp and the response groups: `sha256` (js)
    /// or `murmur` (nim). Default sha256.
    #[serde(default)]
    pub repair_hash: RepairHash,
    /// Seconds between sweeps of due repair responses (js
    /// `DEFAULT_SWEEP_REPAIR_INTERVAL_MS = 10 s`; nim 5 s): a response
    /// goes at the first sweep at or after its T_resp. Default 10.
    #[serde(default = "d_repair_sweep")]
    pub repair_sweep_s: f64,
    /// Seconds between store queries for missing ids (js
    /// `DEFAULT_RETRIEVE_FREQUENCY_MS = 10 s`); `null`: never query.
    /// Needs store-forward mailservers. Default 10.
    #[serde(default = "d_store_query")]
    pub store_query_interval_s: Option<f64>,
    /// Seconds between incoming buffer sweeps, which deliver buffered
    /// messages whose history has arrived (js
    /// `DEFAULT_SWEEP_IN_BUF_INTERVAL_MS = 5 s`); `null`: at once, as
    /// nim's cascade. Default 5.
    #[serde(default = "d_buffer_sweep")]
    pub buffer_sweep_s: Option<f64>,
    /// Count an id waiting in the incoming buffer as available when
    /// checking a message's history, as js's `isMessageAvailable` does (a
    /// message may then be delivered before a dependency); the spec asks
    /// for the local log only. Default false (spec).
    #[serde(default)]
    pub buffered_history_counts: bool,
    /// Deliver a message still missing history this long after receipt
    /// anyway (js `timeoutForLostMessagesMs`, default unset); `null`: the
    /// scenario's `sync.max_wait`, if any. Default null.
    #[serde(default)]
    pub give_up_s: Option<f64>,
    /// Field numbers and bloom encoding counted: `spec` (spec and js) or
    /// `nim`. Default spec.
    #[serde(default)]
    pub dialect: Dialect,
}

impl Default for SdsConfig {
    fn default() -> Self {
        serde_json::from_value(serde_json::json!({})).expect("every field has a default")
    }
}

/// The SDS strategy.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sds;

/// Durations as simulated time, checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Periods {
    /// Resend interval (`None`: never).
    pub resend: Option<SimTime>,
    /// Sync interval.
    pub sync: SimTime,
    /// SDS-R T_min.
    pub t_min: SimTime,
    /// SDS-R T_max.
    pub t_max: SimTime,
    /// Repair response sweep.
    pub repair_sweep: SimTime,
    /// Store query interval (`None`: never).
    pub store_query: Option<SimTime>,
    /// Incoming buffer sweep (`None`: at once).
    pub buffer_sweep: Option<SimTime>,
    /// Give-up timeout (`None`: never).
    pub give_up: Option<SimTime>,
}

fn opt(path: &str, v: Option<f64>) -> Result<Option<SimTime>, ConfigError> {
    v.map(|v| positive_seconds(path, v)).transpose()
}

impl SdsConfig {
    /// The durations, validated.
    pub fn periods(&self) -> Result<Periods, ConfigError> {
        let p = Periods {
            resend: opt("resend_interval_s", self.resend_interval_s)?,
            sync: positive_seconds("sync_interval_s", self.sync_interval_s)?,
            t_min: positive_seconds("repair_t_min_s", self.repair_t_min_s)?,
            t_max: positive_seconds("repair_t_max_s", self.repair_t_max_s)?,
            repair_sweep: positive_seconds("repair_sweep_s", self.repair_sweep_s)?,
            store_query: opt("store_query_interval_s", self.store_query_interval_s)?,
            buffer_sweep: opt("buffer_sweep_s", self.buffer_sweep_s)?,
            give_up: opt("give_up_s", self.give_up_s)?,
        };
        if p.t_max <= p.t_min {
            return Err(ConfigError::at(
                "repair_t_max_s",
                "expected repair_t_max_s > repair_t_min_s",
            ));
        }
        // Timers this short would flood the engine with events.
        for (path, t) in [
            ("sync_interval_s", Some(p.sync)),
            ("repair_sweep_s", Some(p.repair_sweep)),
            ("store_query_interval_s", p.store_query),
            ("buffer_sweep_s", p.buffer_sweep),
            ("resend_interval_s", p.resend),
        ] {
            if t.is_some_and(|t| t < SimTime::from_millis(100)) {
                return Err(ConfigError::at(path, "expected at least 0.1 s"));
            }
        }
        Ok(p)
    }
}

impl Strategy for Sds {
    type Payload = Payload;
    type Config = SdsConfig;

    fn name(&self) -> &str {
        "sds"
    }
    fn about(&self) -> &str {
        "SDS with SDS-R, what Status runs today (`docs/sources/sds.md`): every message broadcast with its causal history (2 ids) and the sender's bloom filter (10,000 ids at 0.001: 18,752 bytes in every message); delivered once its history is local; js's resends (30 s, ≤ 10) and adaptive sync messages; gaps filled by store queries by id (needs `store-forward` mailservers) and SDS-R repair requests"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        wire::SDS_KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        let _ = wire::decode(bytes, wire::Dialect::Spec);
        let _ = wire::decode(bytes, wire::Dialect::Nim);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            members_share_received: true,
            // Every message carries sender_id beside channel_id
            // (sds_message.proto fields 1 and 3).
            wire_links_sender_to_group: true,
            // js gives up after 10 resends and asks each repair once: a
            // lost answer leaves a gap for good (docs/sources/sds.md).
            eventual_delivery: false,
            ..Capabilities::default()
        }
    }
    /// Per (node, group): the channel's bloom filter, its words (nim's
    /// rolled filter has 1.2 times the capacity and keeps 1.2 · capacity
    /// 16-byte keys). Per (message, member) held: the k bits its id sets,
    /// each remembered with the insertion that set it first (what lets a
    /// message's snapshot of its sender's filter be a handle, not a copy:
    /// `bloom.rs`), a u32 → u32 hash-map slot and its control byte at
    /// about two thirds load, 13 bytes. With the default filter that is
    /// 18,760 bytes a membership and 130 bytes a message held.
    fn footprint(&self, c: &SdsConfig) -> Footprint {
        let Ok(p) = bloom::BloomParams::new(c.bloom_capacity, c.bloom_error_rate) else {
            return Footprint::default();
        };
        let words = 8.0 * p.words as f64;
        let per_membership = if c.bloom_rolling {
            1.2 * words + 16.0 * 1.2 * p.capacity as f64
        } else {
            words
        };
        Footprint {
            bytes_per_membership: per_membership,
            bytes_per_held_message: 13.0 * f64::from(p.k),
            field: "strategy_config.sds.bloom_capacity",
        }
    }
    fn validate(&self, c: &SdsConfig) -> Result<(), ConfigError> {
        c.periods()?;
        bloom::BloomParams::new(c.bloom_capacity, c.bloom_error_rate)
            .map_err(|e| ConfigError::at("bloom_capacity", e))?;
        if c.possible_acks_threshold == 0 {
            return Err(ConfigError::at(
                "possible_acks_threshold",
                "expected at least 1",
            ));
        }
        if c.history_len > 10_000 {
            return Err(ConfigError::at("history_len", "expected at most 10000"));
        }
        Ok(())
    }
    fn build(&self, c: &SdsConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        let periods = c.periods().expect("validated config");
        Box::new(SdsNode::new(c, periods, ctx))
    }
}
