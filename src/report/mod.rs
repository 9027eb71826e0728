//! What a run produces and how it is measured: the result schema
//! ([`summary`]: [`Summary`], [`RunReport`]), the [`Recorder`] the engine
//! feeds (wire accounting, trace and world hashes), and inside it the
//! invariant checker (`checker.rs`: receipts, deliveries, causal order),
//! independent of node code; beside them what the seed's open questions
//! ask (`service.rs`: bytes by role, `nodes.csv`, exposure per group;
//! `history.rs`: canonical order, reorders, DAG shape).
//!
//! Imports: `sim/` only. Strategies reach the report only through the
//! record kind names they declare ([`RecordLabel`]) and the counts the
//! engine passes in ([`Sent`]).

mod checker;
mod history;
#[cfg(test)]
mod metrics_tests;
pub mod one;
mod recorder;
mod service;
pub mod summary;

pub use one::OneStats;
pub use recorder::{ConvergenceInput, EndOfRun, RecordLabel, Recorder, Sent, MAX_RECORD_KINDS};
pub use service::{NodeKind, ROLES};
pub use summary::*;
