//! The payload decoders on arbitrary bytes: errors, never panics. Every
//! registered strategy gets the same bytes through `Strategy::fuzz_decode`
//! (its own wire's decoders), so a new strategy's decoder is fuzzed with
//! no change here.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for s in meshsync::engine::Registry::builtin().iter() {
        s.fuzz_decode(data);
    }
});
