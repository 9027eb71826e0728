//! The world nodes live in, independent of any protocol: who can reach whom
//! ([`topology`], [`connectivity`]), how a payload travels ([`network`]),
//! when nodes are online ([`churn`]), and The ONE's contact-trace and
//! message-event formats ([`trace`]). Each module owns the validated spec
//! type it runs from (`TopologySpec`, `LinkSpec`, `ChurnSpec`, ...); the
//! scenario layer builds those specs from JSON.
//!
//! Imports: `sim/` only.

pub mod churn;
pub mod connectivity;
pub mod network;
pub mod topology;
pub mod trace;
