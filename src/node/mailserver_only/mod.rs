//! No data sync layer: the Whisper-era Status client.
//!
//! A new message is published once on its group's topic; the transport hands
//! it to the members online and reachable at that moment, and a
//! store-forward mailserver (if any) archives it for the others to fetch
//! when they come online. No ACK, no offer, no retransmission. Receivers
//! still deliver causally (a message waits for its parents).
//!
//! **Files.** `mod.rs`: the strategy (no config section); `node.rs`: the
//! node; `wire.rs`: its payload, epidemic's MVDS-2019 dialect;
//! `tests.rs`: a node driven by hand. Imports `sim/` and `node/` only.

mod node;
#[cfg(test)]
mod tests;
pub mod wire;

pub use node::MailserverOnlyNode;

use crate::node::strategy::{Capabilities, NoConfig, NodeContext, RecordKind, Strategy};
use crate::node::Node;
use wire::{Payload, MVDS_KINDS};

/// No sync layer as a strategy (`mailserver-only`); no parameters.
#[derive(Clone, Copy, Debug)]
pub struct MailserverOnly;

impl Strategy for MailserverOnly {
    type Payload = Payload;
    type Config = NoConfig;

    fn name(&self) -> &str {
        "mailserver-only"
    }
    fn about(&self) -> &str {
        "no sync layer: a message is published once to the members reachable then; the rest depend on a `store-forward` mailserver; no ACK, no retransmission"
    }
    fn record_kinds(&self) -> &'static [RecordKind] {
        MVDS_KINDS
    }
    fn fuzz_decode(&self, bytes: &[u8]) {
        let _ = wire::decode(bytes);
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            eventual_delivery: false,
            // MVDS-2019 `Message`: group id, no author id.
            wire_links_sender_to_group: false,
            ..Capabilities::default()
        }
    }
    fn build(&self, _: &NoConfig, ctx: &NodeContext<'_>) -> Box<dyn Node<Payload>> {
        Box::new(MailserverOnlyNode::new(ctx.groups, ctx.delivery))
    }
}
