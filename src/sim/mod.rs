//! The simulation kernel every other layer builds on: integer time
//! ([`time`]), ids and messages ([`message`]), seeded random sub-streams
//! ([`rng`]), distributions ([`dist`]), the event queue ([`queue`],
//! [`indexed_heap`]) and the one hash used for fingerprints ([`hash`]).
//!
//! Imports: nothing from this crate outside `sim/`.

pub mod dist;
pub mod hash;
pub mod indexed_heap;
pub mod input;
pub mod message;
pub mod queue;
pub mod rng;
pub mod shape;
pub mod time;
