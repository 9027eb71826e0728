//! Structures the strategies share: a hash table of keyed records
//! ([`keyed`]), due-time schedules ([`sched`]), a relay's buffer with
//! a size limit and a TTL ([`relay_buffer`]) and many named timers behind
//! a node's one engine timer ([`timers`]). Plain data
//! structures with no protocol knowledge; they import nothing above `sim/`.

pub mod keyed;
pub mod relay_buffer;
pub mod sched;
pub mod timers;
