//! `negentropy`: range-based set reconciliation with negentropy protocol
//! v1 (hoytech/negentropy; the `negentropy` crate of rust-nostr, as Nostr
//! relays use it for NIP-77 and nwaku's Waku Sync 1.0 did until nwaku PR
//! #3185) as a meshsync strategy.
//!
//! Files: [`wire`] (the crate's frames, Waku Sync 1.0's envelope, the
//! payload), [`node`] (who initiates, sessions, transfers). Messages are
//! Waku messages (`waku_sync::message`: id = Waku message hash, timestamp =
//! creation time in ns). Sources: `docs/sources/reconciliation.md`.
//!
//! The mailserver switch: a `sync-peer` mailserver is an always-on store
//! node that also reconciles (this strategy, for every group it serves);
//! a `store-forward` mailserver replays what was published while a client
//! was away.
//!
//! Imports: `sim/`, the node layer, the `negentropy` crate.

pub mod node;
pub mod wire;

#[cfg(test)]
mod tests;

use super::strategy::{
    positive_seconds, Capabilities, ConfigError, NodeContext, RecordKind, Strategy,
};
use super::Node;
use node::{NegentropyNode, Params};
use wire::Payload;

/// The `negentropy` section of `strategy_config`.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NegentropyConfig {
    /// Seconds between two rounds with a connected peer (default 300:
    /// nwaku's negentropy-era Waku Sync, `682981f96^:
    /// waku/waku_sync/common.nim` `DefaultSyncInterval`).
    #[serde(default = "NegentropyConfig::default_interval_s")]
    pub interval_s: f64,
    /// Largest frame in bytes, 0 for none, else at least 4,096 (the
    /// crate's rule, `Negentropy::new`); default 1,048,576 (nwaku
    /// `682981f96^:waku/waku_sync/common.nim` `DefaultMaxFrameSize`).
    #[serde(default = "NegentropyConfig::default_frame_size_limit")]
    pub frame_size_limit: u64,
    /// New messages are published (default true: Waku Sync 1.0 ran beside
    /// relay, `682981f96^:waku/waku_sync/protocol.nim` `messageIngress`);
    /// false leaves reconciliation alone to spread them.
    #[serde(default = "NegentropyConfig::default_relay")]
    pub relay: bool,
}

impl NegentropyConfig {
    fn default_interval_s() -> f64 {
        300.0
    }
    fn default_frame_size_limit() -> u64 {
        1_048_576
    }
    fn default_relay() -> bool {
        true
    }
}

/// Negentropy v1 as a strategy (`negentropy`).
#[derive(Clone, Copy, Debug)]
pub struct NegentropyStrategy;

impl Strategy for NegentropyStrategy {
    type Payload = Payload;
    type Config = NegentropyConfig;

    fn name(&self) -> &str {
        "negentropy"
    }
    fn about(&self) -> &str {
        "Negentropy v1 set reconciliation (the negentropy crate): new messages published; on link-up and every interval_s (default 300 s) the lower id reconciles each shared group with the peer, then each side sends what the other lacks"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        wire::KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        // The crate's frame decoder, as a server with an empty set and as
        // a client, on whatever arrives.
        if let Ok(s) = wire::sealed(&[]) {
            let _ = wire::serve(&s, 0, bytes);
        }
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            members_share_received: true,
            reconciles: true,
            // On link-up and every interval_s, with each peer.
            reconciles_with_every_peer: true,
            ..Capabilities::default()
        }
    }
    fn validate(&self, c: &NegentropyConfig) -> Result<(), ConfigError> {
        positive_seconds("interval_s", c.interval_s)?;
        wire::check_frame_size_limit(c.frame_size_limit).map_err(|e| {
            ConfigError::at(
                "frame_size_limit",
                format!(
                    "expected 0 or at least {}, got {} ({e})",
                    wire::MIN_FRAME_SIZE_LIMIT,
                    c.frame_size_limit
                ),
            )
        })
    }
    fn build(&self, c: &NegentropyConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        let params = Params {
            interval: positive_seconds("interval_s", c.interval_s).expect("validated"),
            frame_size_limit: c.frame_size_limit,
            relay: c.relay,
            presence_known: ctx.presence_known,
        };
        Box::new(NegentropyNode::new(
            ctx.me,
            ctx.groups,
            ctx.sharing,
            ctx.delivery,
            params,
        ))
    }
}
