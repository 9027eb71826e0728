//! The world nodes live in, independent of any protocol: who can reach whom
//! ([`topology`], [`connectivity`]), how a payload travels ([`network`]),
//! The ONE's one-transfer-at-a-time link model ([`one_link`]),
//! when nodes are online ([`churn`]), and The ONE's contact-trace and
//! message-event formats ([`trace`]). Each module owns the validated spec
//! type it runs from (`TopologySpec`, `LinkSpec`, `ChurnSpec`, ...); the
//! scenario layer builds those specs from JSON.
//!
//! Imports: `sim/` only.

pub mod churn;
pub mod connectivity;
pub mod network;
pub mod one_link;
pub mod topology;
pub mod trace;
