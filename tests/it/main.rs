//! The integration tests, one binary (linking one test binary per file cost
//! minutes of build time): each module is one area, named as the files
//! were (`cargo test --test it golden::` runs one area).

mod bad_inputs;
mod bad_workflow;
mod cli;
mod common;
mod conventions;
mod engine;
mod epidemic;
mod estimate;
mod faults;
mod golden;
mod growth;
mod house;
mod intermittent;
mod kill;
mod layers;
mod one;
mod plugin;
mod provenance;
mod questions;
mod reconciliation;
mod robustness;
mod sds;
mod sharing;
mod swarm;
mod workflow;
