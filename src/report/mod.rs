//! What a run produces and how it is measured: the result schema
//! ([`summary`]: [`Summary`], [`RunReport`]) and the [`Recorder`] the
//! engine feeds, with its invariant checks (causal order, accounting),
//! independent of node code.
//!
//! Imports: `sim/` only. Strategies reach the report only through the
//! record kind names they declare ([`RecordLabel`]) and the counts the
//! engine passes in ([`Sent`]).

mod recorder;
pub mod summary;

pub use recorder::{ConvergenceInput, EndOfRun, RecordLabel, Recorder, Sent};
pub use summary::*;
