//! The ONE trace parsers on arbitrary bytes: errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = meshsync::world::trace::parse_contacts(text, "fuzz.txt", 1000);
        let _ = meshsync::world::trace::parse_messages(text, "fuzz.txt", 1000);
    }
});
