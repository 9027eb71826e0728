//! What a run produces and how it is measured: the result schema
//! ([`Summary`], [`RunReport`]) and the recorder the engine feeds, with its
//! invariant checks (causal order, accounting), independent of node code.
//!
//! Imports: `sim/` only. Strategies reach the report only through the record
//! kind names they declare and the byte counts the engine passes in.

mod recorder;

pub use recorder::*;
