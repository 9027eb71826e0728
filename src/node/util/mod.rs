//! Structures the strategies share: a hash table of keyed records
//! ([`keyed`]), due-time schedules ([`sched`]) and a relay's buffer with
//! a size limit and a TTL ([`relay_buffer`]). Plain data
//! structures with no protocol knowledge; they import nothing above `sim/`.

pub mod keyed;
pub mod relay_buffer;
pub mod sched;
