//! The scenario loader on arbitrary bytes: errors, never panics. A
//! scenario that parses also gets its size estimate (the guard that runs
//! before any work), which must not panic either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshsync::engine::estimate::Estimate;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(s) = meshsync::scenario::Scenario::parse(text, "fuzz.json") {
            for (relays, share) in [(false, false), (true, true)] {
                let _ = Estimate::of(&s, relays, share).render();
            }
        }
    }
});
