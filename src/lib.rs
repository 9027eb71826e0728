//! meshsync: a deterministic discrete-event simulator of peer-to-peer data
//! sync protocols (BSP, MVDS and their relatives) over intermittent networks.
//!
//! A run is a pure function of a validated [`scenario::Scenario`] and a seed:
//! [`engine::run`] builds the world (connectivity, workload, one sans-IO
//! [`node::Node`] per peer), processes events in `(time, seq)` order and
//! returns a [`report::RunReport`].
//!
//! ```
//! use meshsync::engine;
//! use meshsync::scenario::Scenario;
//!
//! // Six friends in one chat on a lossy full mesh, always online.
//! let text = r#"{
//!     "name": "example", "duration_s": 600, "nodes": 6,
//!     "link": { "latency_ms": { "fixed": 100 }, "loss": 0.05 },
//!     "groups": [ { "name": "friends", "members": "all", "rate_per_hour": 20 } ]
//! }"#;
//! let scenario = Scenario::parse(text, "example.json")?;
//! let report = engine::run_with(&scenario, "bsp-interactive", 1)?;
//! let s = &report.summary;
//! assert_eq!(s.causal_violations, 0);
//! assert!(s.deliveries > 0 && s.records_sent["offer"] > 0);
//! // Same scenario, same seed: the same bytes.
//! let again = engine::run_with(&scenario, "bsp-interactive", 1)?;
//! assert_eq!(again.summary_json(), report.summary_json());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! A strategy of your own plugs in through [`node::Strategy`] and
//! [`engine::Registry::register`] (the README's "Adding a strategy").
//!
//! # Layers
//!
//! Folders are layers; a layer imports only the layers listed before it
//! (a test, `tests/it/layers.rs`, checks it):
//!
//! | layer | what it is for |
//! |---|---|
//! | [`sim`] | the kernel: integer time, ids and messages, random sub-streams, distributions, the event queue, hashing |
//! | [`world`] | reachability, links, churn, The ONE's trace formats (each with its spec type) |
//! | [`node`] | the sans-IO sync strategies behind one trait, their wire formats, their registry |
//! | [`scenario`] | the scenario file: JSON in, a validated [`scenario::Scenario`] out |
//! | [`report`] | the result schema and the recorder that measures a run, with its invariant checks |
//! | [`engine`] | the event loop: world, workload, links, mailservers, feeding the recorder |
//! | [`output`] | atomic files, CSV, plot curves and plots |
//! | [`experiments`] | compare, aggregate, sweep (spec, grid, run, merge), check |
//! | [`cli`] | one function per command; the only place errors become exit codes |
#![warn(missing_docs)]

pub mod cli;
pub mod engine;
pub mod experiments;
pub mod node;
pub mod output;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod world;
