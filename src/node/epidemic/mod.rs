//! Epidemic routing as The ONE's `EpidemicRouter` does it, for comparison
//! with the DTN literature.
//!
//! Every node relays every message, members or not; there are no ACKs. When a
//! contact comes up both ends send a summary vector (the ids they hold); each
//! then sends every message the other lacks. Messages that arrive or are
//! written during a contact go to connected peers that lack them. A node
//! delivers to its application only messages of its own groups (causally,
//! through the store); the others it only carries.
//!
//! **What a node believes a peer holds.** A peer holds a message when a
//! summary vector it sent during the current contact lists it, or when it
//! sent us the message: never because we sent it (The ONE's
//! `ActiveRouter` asks the receiving router, which refuses only messages it
//! really has). Summaries add to what the contact's first one said (a
//! store-forward mailserver may replay an older one); a new contact starts
//! from nothing, so a peer that restarted empty is served again. Messages
//! sent since the peer's latest summary are not sent again until its next
//! one: a message that did not arrive (lost on the link, in a partition,
//! or when the contact or a node went down) is still missing from that
//! summary, so it goes again at the next exchange.
//!
//! **Who sends a summary when.** Each end sends its summary when told the
//! link is up, and answers a peer's summary with its own unless the peer
//! should already have ours: one we sent it since its previous summary,
//! while we knew it reachable. With `transport.presence: known` a link-up
//! means the peer is reachable, so the summaries sent then cross and
//! neither end answers (two summaries a contact, as before). With
//! `presence: unknown` the engine tells a node `link_up` for every peer
//! when the node itself comes online, whether the peer is online or not
//! (`engine/links.rs`); a summary sent before anything was heard from the
//! peer may have gone nowhere. So the node that came online first, whose
//! summary was lost, answers the newcomer's summary, and the newcomer,
//! whose own summary was sent blind too, answers that once; then both
//! hold the other's summary and send what it lacks, new messages included.
//!
//! **Buffers.** With `buffer_bytes` and `ttl_s` a node's buffer drops the
//! message received longest ago when full, and messages past their TTL
//! (`node/util/relay_buffer.rs`, after The ONE's `ActiveRouter`); each
//! drop is reported (`dropped` in `--report one`). A peer may then have
//! dropped what its summary listed, so each summary replaces what the
//! peer's earlier ones said, and a message the peer dropped is offered
//! again after its next summary (without limits summaries only add).
//! The ONE's router, which asks the receiver before each transfer, offers
//! it again at once; a short `anti_entropy_s` comes close to that.
//!
//! **Anti-entropy.** While a link stays up, a node sends each peer its
//! summary again `anti_entropy_s` after the last one it sent that peer
//! (default 300 s, the `antiEntropyInterval` of OPS's epidemic layer,
//! ComNets-Bremen/OPS `src/KEpidemicRoutingLayer.ned`), and the exchange
//! above follows. So a partition the nodes cannot see (the engine drops
//! payloads across it without telling anyone) or a lossy link strands
//! nothing for longer than one interval after it heals. The same round
//! repairs a summary the link lost (nothing answers it: the other end
//! cannot tell it from crossing summaries). A message still on its way
//! when the peer's next summary leaves goes twice; the report counts the
//! second copy in `duplicate_messages_received`.
//!
//! **Files.** `mod.rs`: the strategy and its config section; `node.rs`: the
//! router; `wire.rs`: its payload (the MVDS-2019 protobuf dialect and the
//! summary extension); `tests.rs`: two or three routers driven by hand.
//! Imports `sim/` and `node/` only.

mod node;
#[cfg(test)]
mod tests;
pub mod wire;

pub use node::{EpidemicConfig, EpidemicNode};

use crate::node::strategy::{
    positive_seconds, Capabilities, ConfigError, NodeContext, RecordKind, Strategy,
};
use crate::node::util::relay_buffer::Limits;
use crate::node::Node;
use crate::sim::time::SimTime;
use wire::{Payload, MVDS_KINDS};

/// The `epidemic` section of `strategy_config`.
#[derive(Clone, Debug, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EpidemicParams {
    /// Seconds between two summary-vector exchanges with a peer while the
    /// link stays up (default 300, OPS's `antiEntropyInterval`).
    #[serde(default = "EpidemicParams::default_anti_entropy_s")]
    #[schemars(range(min = MIN_ANTI_ENTROPY_S))]
    pub anti_entropy_s: f64,
    /// Bytes of message bodies a node's buffer holds (The ONE's
    /// `Group.bufferSize`); default unlimited.
    #[serde(default)]
    pub buffer_bytes: Option<u64>,
    /// What a full buffer lets go of: `drop-oldest` (the message received
    /// longest ago, The ONE's `ActiveRouter`), the only policy.
    #[serde(default = "EpidemicParams::default_drop_policy")]
    pub drop_policy: String,
    /// Seconds a message lives after it was written (The ONE's `msgTtl`,
    /// in minutes there: see `node/util/relay_buffer.rs`); default for
    /// ever.
    #[serde(default)]
    pub ttl_s: Option<f64>,
}

impl EpidemicParams {
    fn default_anti_entropy_s() -> f64 {
        300.0
    }
    fn default_drop_policy() -> String {
        "drop-oldest".into()
    }
}

/// Shortest anti-entropy interval accepted, seconds.
pub const MIN_ANTI_ENTROPY_S: f64 = 1.0;

/// The ONE's epidemic router, with OPS's periodic anti-entropy, as a
/// strategy (`epidemic`).
#[derive(Clone, Copy, Debug)]
pub struct Epidemic;

impl Strategy for Epidemic {
    type Payload = Payload;
    type Config = EpidemicParams;

    fn name(&self) -> &str {
        "epidemic"
    }
    fn about(&self) -> &str {
        "The ONE's epidemic router: on contact, and every anti_entropy_s while connected (default 300 s, as OPS), exchange summary vectors, then send every message the peer lacks; every node relays, members or not; no ACKs"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        MVDS_KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        let _ = wire::decode(bytes);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            relays_everything: true,
            // MVDS-2019 `Message { group_id, timestamp, body, metadata }`:
            // the group id travels, the author's id does not.
            wire_links_sender_to_group: false,
            ..Capabilities::default()
        }
    }
    fn validate(&self, c: &EpidemicParams) -> Result<(), ConfigError> {
        positive_seconds("anti_entropy_s", c.anti_entropy_s)?;
        if let Some(ttl) = c.ttl_s {
            positive_seconds("ttl_s", ttl)?;
        }
        if c.buffer_bytes == Some(0) {
            return Err(ConfigError::at(
                "buffer_bytes",
                "expected at least 1 byte (omit it for no limit)",
            ));
        }
        if c.drop_policy != "drop-oldest" {
            return Err(ConfigError::at(
                "drop_policy",
                format!("expected \"drop-oldest\", got {:?}", c.drop_policy),
            ));
        }
        // Each round sends every connected peer every id held: a shorter
        // interval floods the engine (1 µs: ~10^9 rounds a run).
        if c.anti_entropy_s < MIN_ANTI_ENTROPY_S {
            return Err(ConfigError::at(
                "anti_entropy_s",
                format!(
                    "expected at least {MIN_ANTI_ENTROPY_S} s between summary exchanges, got {}",
                    c.anti_entropy_s
                ),
            ));
        }
        Ok(())
    }
    fn build(&self, c: &EpidemicParams, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        let cfg = EpidemicConfig {
            delivery: ctx.delivery,
            presence_known: ctx.presence_known,
            anti_entropy: SimTime::from_secs_f64(c.anti_entropy_s),
            limits: Limits {
                bytes: c.buffer_bytes,
                ttl: c.ttl_s.map(SimTime::from_secs_f64),
            },
        };
        Box::new(EpidemicNode::new(ctx.groups, cfg))
    }
}
