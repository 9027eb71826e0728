//! The BSP strategies (`bsp-interactive`, `bsp-batch`) and their config
//! section, `strategy_config.bsp`.
//!
//! Briar picks the mode by transport (bramble-core `sync/`): duplex
//! transports (Bluetooth, LAN, Tor: `MAX_LATENCY` 30 s in their plugin
//! factories) run a `DuplexOutgoingSession`, which offers messages and sends
//! only requested ones: **interactive** mode. Simplex transports run a
//! `SimplexOutgoingSession`, which sends every message the contact may lack:
//! **batch** mode, with the transport's maximum latency as the backoff unit
//! (the mailbox: 14 days, bramble-api `mailbox/MailboxConstants.java`;
//! removable drives: 28 days). So each mode has its own `max_latency_s`,
//! defaulting to Briar's for the transport it runs on: 30 s interactive,
//! 14 days batch (the mailbox, the simplex transport Briar uses without the
//! user carrying a drive). Batch mode with a 30 s unit, on live links, is a
//! configuration Briar never runs; meshsync keeps it for comparison.
//!
//! ```json
//! "strategy_config": { "bsp": {
//!     "interactive": { "max_latency_s": 30 },
//!     "batch": { "max_latency_s": 1209600 },
//!     "offer_cap": 1000 } }
//! ```
//!
//! The old shared key `strategy_config.bsp.max_latency_s` is an error that
//! says where it moved.
//!
//! Imports `sim/` and `node/` only.

use super::{BspConfig, BspMode, BspNode, Payload, BSP_KINDS};
use crate::node::strategy::{
    positive_seconds, Capabilities, ConfigError, NodeContext, RecordKind, Strategy,
};
use crate::node::Node;
use crate::sim::time::SimTime;

/// Briar's duplex transports' maximum latency (Bluetooth, LAN, Tor), s.
pub const DUPLEX_MAX_LATENCY_S: f64 = 30.0;
/// Briar's mailbox's maximum latency (14 days), s.
pub const MAILBOX_MAX_LATENCY_S: f64 = 14.0 * 86_400.0;

/// One mode's parameters, `strategy_config.bsp.<mode>`.
#[derive(
    Clone, Copy, Debug, Default, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct ModeParams {
    /// The transport's maximum latency, seconds: the unit of the
    /// retransmission backoff (default: 30 interactive, 1,209,600 batch).
    pub max_latency_s: Option<f64>,
}

/// BSP's config section, `strategy_config.bsp`, read by both modes. It
/// serializes with both modes' maximum latencies filled in (see
/// [`BspParams::max_latency_s`]) and without the old shared form.
#[derive(Clone, Copy, Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BspParams {
    /// Interactive mode's parameters.
    #[serde(default)]
    pub interactive: ModeParams,
    /// Batch mode's parameters.
    #[serde(default)]
    pub batch: ModeParams,
    /// Offers remembered per peer (default 1000, Briar's
    /// `MAX_OFFERED_MESSAGES`); new ones are ignored while full.
    #[serde(default = "BspParams::default_offer_cap")]
    pub offer_cap: usize,
    /// The old form, shared by both modes: rejected, with where it moved.
    #[serde(default)]
    #[schemars(skip)]
    max_latency_s: Option<f64>,
}

impl BspParams {
    fn default_offer_cap() -> usize {
        1000
    }

    /// The maximum latency `mode` runs with, seconds.
    pub fn max_latency_s(&self, mode: BspMode) -> f64 {
        match mode {
            BspMode::Interactive => self.interactive.max_latency_s,
            BspMode::Batch => self.batch.max_latency_s,
        }
        .unwrap_or(default_max_latency_s(mode))
    }
}

impl serde::Serialize for BspParams {
    fn serialize<Ser: serde::Serializer>(&self, ser: Ser) -> Result<Ser::Ok, Ser::Error> {
        use serde::ser::SerializeStruct;
        let mode = |m| ModeParams {
            max_latency_s: Some(self.max_latency_s(m)),
        };
        let mut st = ser.serialize_struct("BspParams", 3)?;
        st.serialize_field("interactive", &mode(BspMode::Interactive))?;
        st.serialize_field("batch", &mode(BspMode::Batch))?;
        st.serialize_field("offer_cap", &self.offer_cap)?;
        st.end()
    }
}

/// Briar's maximum latency for the transports `mode` runs on, seconds.
pub fn default_max_latency_s(mode: BspMode) -> f64 {
    match mode {
        BspMode::Interactive => DUPLEX_MAX_LATENCY_S,
        BspMode::Batch => MAILBOX_MAX_LATENCY_S,
    }
}

/// The BSP strategy in one mode: `bsp-batch` or `bsp-interactive`.
#[derive(Clone, Copy, Debug)]
pub struct Bsp {
    mode: BspMode,
}

impl Bsp {
    /// Batch mode (`bsp-batch`).
    pub fn batch() -> Bsp {
        Bsp {
            mode: BspMode::Batch,
        }
    }
    /// Interactive mode (`bsp-interactive`).
    pub fn interactive() -> Bsp {
        Bsp {
            mode: BspMode::Interactive,
        }
    }
}

impl Strategy for Bsp {
    type Payload = Payload;
    type Config = BspParams;

    fn name(&self) -> &str {
        match self.mode {
            BspMode::Batch => "bsp-batch",
            BspMode::Interactive => "bsp-interactive",
        }
    }
    fn config_key(&self) -> &str {
        "bsp"
    }
    fn about(&self) -> &str {
        match self.mode {
            BspMode::Interactive => "Briar's BSP as Briar runs it on live (duplex) links, Bluetooth, LAN, Tor: offer, then request, then send; max latency 30 s",
            BspMode::Batch => "BSP batch mode, which Briar runs only on simplex transports (mailbox: max latency 14 days, the default): send every message a co-member may lack; with a 30 s max latency on live links, a configuration Briar never runs",
        }
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        BSP_KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        // Records in BTP frames, with and without the stream's preamble.
        let _ = super::wire::decode(bytes, false);
        let _ = super::wire::decode(bytes, true);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            members_share_received: true,
            // MESSAGE = group id ‖ timestamp ‖ parents ‖ body: no author
            // id (Briar authenticates the author inside the body, which
            // only group members can read).
            wire_links_sender_to_group: false,
            ..Capabilities::default()
        }
    }
    fn validate(&self, c: &BspParams) -> Result<(), ConfigError> {
        if c.max_latency_s.is_some() {
            return Err(ConfigError::at(
                "max_latency_s",
                "moved: each BSP mode has its own max latency, \
                 strategy_config.bsp.interactive.max_latency_s (default 30, Briar's \
                 duplex transports) and strategy_config.bsp.batch.max_latency_s \
                 (default 1209600 = 14 days, Briar's mailbox)",
            ));
        }
        for (mode, key) in [
            (BspMode::Interactive, "interactive.max_latency_s"),
            (BspMode::Batch, "batch.max_latency_s"),
        ] {
            positive_seconds(key, c.max_latency_s(mode))?;
        }
        if c.offer_cap == 0 {
            return Err(ConfigError::at("offer_cap", "expected at least 1"));
        }
        Ok(())
    }
    fn build(&self, c: &BspParams, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        let cfg = BspConfig {
            mode: self.mode,
            max_latency: SimTime::from_secs_f64(c.max_latency_s(self.mode)),
            offer_cap: c.offer_cap,
            delivery: ctx.delivery,
        };
        Box::new(BspNode::with_sharing(ctx.me, ctx.groups, ctx.sharing, cfg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::strategy::parse_config;
    use serde_json::json;

    fn latency(s: &Bsp, section: serde_json::Value) -> f64 {
        parse_config(s, Some(&section))
            .unwrap()
            .max_latency_s(s.mode)
    }

    /// Briar runs interactive sync on duplex transports (30 s) and batch
    /// sync on simplex ones (the mailbox: 14 days): each mode defaults to
    /// its own transport's maximum latency.
    #[test]
    fn interactive_is_default_on_live_links() {
        assert_eq!(latency(&Bsp::interactive(), json!({})), 30.0);
        assert_eq!(latency(&Bsp::batch(), json!({})), 1_209_600.0);
        let both = json!({"interactive": {"max_latency_s": 5}, "batch": {"max_latency_s": 30}});
        assert_eq!(latency(&Bsp::interactive(), both.clone()), 5.0);
        assert_eq!(latency(&Bsp::batch(), both), 30.0);
        assert!(Bsp::batch().about().contains("never runs"));
    }

    #[test]
    fn old_shared_max_latency_says_where_it_moved() {
        let e = parse_config(&Bsp::batch(), Some(&json!({"max_latency_s": 30}))).unwrap_err();
        assert_eq!(e.path, "max_latency_s");
        assert!(
            e.message
                .contains("strategy_config.bsp.batch.max_latency_s"),
            "{e}"
        );
        let e = parse_config(
            &Bsp::interactive(),
            Some(&json!({"batch": {"max_latency_s": 0}})),
        )
        .unwrap_err();
        assert_eq!(e.path, "batch.max_latency_s");
    }
}
