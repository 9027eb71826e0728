//! meshsync: a deterministic discrete-event simulator of peer-to-peer data
//! sync protocols (BSP, MVDS and their relatives) over intermittent networks.
//!
//! A run is a pure function of a validated [`scenario::Scenario`] and a seed:
//! [`engine::run`] builds the world (connectivity, workload, one sans-IO
//! [`node::Node`] per peer), processes events in `(time, seq)` order and
//! returns a [`metrics::RunReport`].
#![warn(missing_docs)]

pub mod aggregate;
pub mod check;
pub mod churn;
pub mod cli;
pub mod compare;
pub mod connectivity;
pub mod curves;
pub mod dist;
pub mod engine;
pub mod indexed_heap;
pub mod message;
pub mod metrics;
pub mod network;
pub mod node;
pub mod output;
pub mod plot;
pub mod plots;
pub mod queue;
pub mod rng;
pub mod scenario;
pub mod sweep;
pub mod time;
pub mod topology;
pub mod trace;
pub mod wire;
