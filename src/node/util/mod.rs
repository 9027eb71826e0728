//! Performance structures the strategies share: a hash table of keyed
//! records ([`keyed`]) and due-time schedules ([`sched`]). Plain data
//! structures with no protocol knowledge; they import nothing above `sim/`.

pub mod keyed;
pub mod sched;
