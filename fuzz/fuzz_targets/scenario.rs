//! The scenario loader on arbitrary bytes: errors, never panics. A
//! scenario that parses also gets its size estimate (the guard that runs
//! before any work), which must not panic either; and when the estimate
//! says the run is small, the run itself, stopped at 11x the estimated
//! events: an estimate more than 10x too low (a run the guard would let
//! run away) or more than 30x too high is a finding (`Measured::finding`,
//! the same check `tests/it/estimate.rs` makes on generated worlds).
#![no_main]
use libfuzzer_sys::fuzz_target;
use meshsync::engine::estimate::{measure, Estimate};
use meshsync::engine::{Registry, RunError};

/// Runs only what the estimate puts under this many events (the fuzzer
/// should go on to the next input within milliseconds).
const MAX_EVENTS: f64 = 20_000.0;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(s) = meshsync::scenario::Scenario::parse(text, "fuzz.json") else {
        return;
    };
    for (relays, share) in [(false, false), (true, true)] {
        let _ = Estimate::of(&s, relays, share).render();
    }
    let registry = Registry::builtin();
    let Some(m) = measure(&registry, &s, &s.strategy, s.seed, 11.0, MAX_EVENTS, 256e6) else {
        return;
    };
    match m {
        Ok(m) => {
            if let Some(f) = m.finding() {
                panic!("{f}");
            }
        }
        Err(RunError::Unsupported { .. }) => {}
        Err(e) => panic!("a valid scenario failed to run: {e}"),
    }
});
