//! Scenario files: parsing, validation, and the typed [`Scenario`].
//!
//! A file is parsed into [`raw::RawScenario`] (serde, unknown fields rejected,
//! defaults documented there and in the README) and then validated into a
//! [`Scenario`]. Every error names the file, the JSON path and what was
//! expected. Nothing downstream sees raw JSON.
//!
//! Files: `types` (the validated types and limits), `validate` (the entry
//! points and the order sections are validated in), one file per section
//! (`groups` with `sharing`, `churn`, `links` for transport, topology and
//! link, `mailservers`, `faults` for crashes, adversaries and partitions,
//! `scripted` for script and one_messages), `fields` (checks they share),
//! `raw` (the serde form), `effective` (the scenario with every default
//! filled in), `schema` (its JSON Schema).
//!
//! Imports: `sim/`, `world/` (the specs it validates into), `node/` (the
//! registry's config sections and the delivery rules).

pub mod effective;
pub mod raw;
pub mod schema;
pub mod sharing;
pub mod variants;

mod churn;
mod faults;
mod fields;
mod groups;
mod links;
mod mailservers;
mod scripted;
mod types;
mod validate;

pub use crate::world::churn::ChurnSpec;
pub use crate::world::connectivity::Routing;
pub use crate::world::network::LinkSpec;
pub use crate::world::one_link::{OneLinkSpec, SendQueue};
pub use crate::world::topology::TopologySpec;
pub use sharing::Sharing;
pub use types::{
    AdversaryKind, AdversarySpec, CrashSpec, Cut, GroupSpec, MailserverMode, MailserverSpec,
    PartitionSpec, Presence, Scenario, ScenarioError, Scripted, SyncSpec, TransportSpec,
    MAX_BODY_BYTES, MAX_DURATION_S, MAX_NODES, MIN_CHURN_PERIOD_S,
};
pub use variants::{RawVariant, Variant};

use fields::{node_id, path_error};
use types::{invalid, Invalid};
use validate::strategy_config;

#[cfg(test)]
mod tests;
