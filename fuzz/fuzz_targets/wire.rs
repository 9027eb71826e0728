//! The payload decoders on arbitrary bytes: errors, never panics. The
//! shared wire (BSP, epidemic, mailserver-only) and the two MVDS wires
//! (Status's and Vac's) each get the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = meshsync::node::wire::decode(data);
    let _ = meshsync::node::mvds::status_wire::decode(data);
    let _ = meshsync::node::mvds::vac_wire::decode(data);
});
