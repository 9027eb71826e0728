//! The payload decoders on arbitrary bytes: errors, never panics. Every
//! wire gets the same bytes: the MVDS-style wire of epidemic and
//! mailserver-only, the two MVDS wires (Status's and Vac's), and BSP's
//! records in BTP frames (with and without the stream's preamble), and
//! SDS messages in both dialects (spec/js and nim field numbers).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = meshsync::node::wire::decode(data);
    let _ = meshsync::node::mvds::status_wire::decode(data);
    let _ = meshsync::node::mvds::vac_wire::decode(data);
    let _ = meshsync::node::bsp::wire::decode(data, false);
    let _ = meshsync::node::bsp::wire::decode(data, true);
    let _ = meshsync::node::sds::wire::decode(data, meshsync::node::sds::Dialect::Spec);
    let _ = meshsync::node::sds::wire::decode(data, meshsync::node::sds::Dialect::Nim);
});
