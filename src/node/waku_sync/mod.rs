//! `waku-sync`: Waku's store sync (nwaku `waku/waku_store_sync`, protocols
//! `/vac/waku/reconciliation/1.0.0` and `/vac/waku/transfer/1.0.0`) as a
//! meshsync strategy, with relay for new messages.
//!
//! Files: [`message`] (a message as a Waku message: id, timestamp,
//! envelope; shared with `negentropy`), [`wire`] (the `RangesData`
//! encoder and decoder, the payload), [`recon`] (range processing over the
//! sync cache), [`node`] (sessions, timers, transfer), [`timers`] (the
//! node's timer table). Sources and where spec and code differ:
//! `docs/sources/reconciliation.md`.
//!
//! The mailserver switch: a `sync-peer` mailserver is an always-on store
//! node that also reconciles (it runs this strategy for the groups it
//! serves); a `store-forward` mailserver is a Waku store queried when a
//! client comes online, replaying what was published (relay) while the
//! client was away.
//!
//! Imports: `sim/` and the node layer.

pub mod message;
pub mod node;
pub mod recon;
pub mod timers;
pub mod wire;

#[cfg(test)]
mod tests;

use super::strategy::{
    positive_seconds, Capabilities, ConfigError, NodeContext, RecordKind, Strategy,
};
use super::Node;
use node::{Params, WakuSyncNode};
use wire::Payload;

/// The `waku-sync` section of `strategy_config`.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WakuSyncConfig {
    /// Seconds between two syncs a node starts (default 300: nwaku
    /// `waku/waku_store_sync/common.nim` `DefaultSyncInterval`, CLI
    /// `store-sync-interval` in `tools/confutils/cli_args.nim`).
    #[serde(default = "WakuSyncConfig::default_interval_s")]
    pub interval_s: f64,
    /// Length of the sync window in seconds (default 3600: nwaku
    /// `DefaultSyncRange`).
    #[serde(default = "WakuSyncConfig::default_range_s")]
    pub range_s: f64,
    /// How many seconds before now the window ends (default 20: nwaku
    /// `DefaultGossipSubJitter`).
    #[serde(default = "WakuSyncConfig::default_offset_s")]
    pub offset_s: f64,
    /// Parts a differing range splits into, at least 2 (default 8: nwaku
    /// `storage/seq_storage.nim` `SeqStorage.new(partitions = 8)`).
    #[serde(default = "WakuSyncConfig::default_partitions")]
    pub partitions: u64,
    /// Largest range sent as an item set, at least 1 (default 100: nwaku
    /// `SeqStorage.new(threshold = 100)`).
    #[serde(default = "WakuSyncConfig::default_threshold")]
    pub threshold: usize,
    /// New messages are published on relay (default true: store sync's
    /// ingress is relay, nwaku `reconciliation.nim` `messageIngress`);
    /// false leaves store sync alone to spread them.
    #[serde(default = "WakuSyncConfig::default_relay")]
    pub relay: bool,
}

impl WakuSyncConfig {
    fn default_interval_s() -> f64 {
        300.0
    }
    fn default_range_s() -> f64 {
        3600.0
    }
    fn default_offset_s() -> f64 {
        20.0
    }
    fn default_partitions() -> u64 {
        8
    }
    fn default_threshold() -> usize {
        100
    }
    fn default_relay() -> bool {
        true
    }

    /// The validated parameters.
    pub fn params(&self) -> Result<Params, ConfigError> {
        if self.partitions < 2 {
            return Err(ConfigError::at(
                "partitions",
                "expected at least 2 (1 never ends a session)",
            ));
        }
        if self.threshold < 1 {
            return Err(ConfigError::at("threshold", "expected at least 1"));
        }
        let offset = match self.offset_s {
            0.0 => crate::sim::time::SimTime::ZERO,
            v => positive_seconds("offset_s", v)?,
        };
        Ok(Params {
            interval: positive_seconds("interval_s", self.interval_s)?,
            range: positive_seconds("range_s", self.range_s)?,
            offset,
            partitions: self.partitions,
            threshold: self.threshold,
            relay: self.relay,
        })
    }
}

/// Waku store sync as a strategy (`waku-sync`).
#[derive(Clone, Copy, Debug)]
pub struct WakuSync;

impl Strategy for WakuSync {
    type Payload = Payload;
    type Config = WakuSyncConfig;

    fn name(&self) -> &str {
        "waku-sync"
    }
    fn about(&self) -> &str {
        "Waku store sync (nwaku waku_store_sync): new messages on relay; every 5 min a random peer reconciles the last hour (ending 20 s ago) by XOR fingerprints, 8 partitions, item sets up to 100, then each side pushes what the other lacks"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        wire::KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        let _ = wire::decode(bytes);
        let _ = message::decode_transfer_frame(bytes);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            members_share_received: true,
            reconciles: true,
            // Only the last hour is reconciled: a node away longer never
            // gets what was written before unless a store replays it.
            eventual_delivery: false,
            ..Capabilities::default()
        }
    }
    fn validate(&self, c: &WakuSyncConfig) -> Result<(), ConfigError> {
        c.params().map(|_| ())
    }
    fn build(&self, c: &WakuSyncConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        let params = c.params().expect("validated");
        let rng = crate::sim::rng::stream(ctx.seed, "node", u64::from(ctx.me));
        Box::new(WakuSyncNode::new(
            ctx.me,
            ctx.groups,
            ctx.delivery,
            params,
            rng,
        ))
    }
}
