//! The kit every wire shares: id length, protobuf length helpers, id checks,
//! and (for tests) the generators and the `wire_proptests!` macro that
//! proves each wire's computed size against its real encoder.
//!
//! Each protocol owns its wire in its folder: `epidemic/wire.rs` (the
//! MVDS-2019 dialect with parents and epidemic's summary extension, which
//! mailserver-only borrows), `mvds/status_wire.rs` and `mvds/vac_wire.rs`
//! (on `mvds/payload.rs`), `bsp/wire.rs` (Bramble records in BTP frames).
//! A wire computes its payload's exact encoded size by hand
//! (`WirePayload::encoded_len_by_kind`: the engine asks for it on every
//! send, and building the real message to measure it would allocate every
//! id and body), so each one invokes `wire_proptests!`: encode with the
//! real encoder, compare lengths, decode and compare, and decode arbitrary
//! and mutated bytes without panicking.
//!
//! **Why the prost structs are written by hand.** Generating them with
//! `prost-build` 0.14 from the upstream `.proto` files, compiled by the
//! pure-Rust `protox` 0.10 (no `protoc`, no system tool), works (tried in a
//! scratch crate): vacp2p/mvds's `protobuf/sync.proto` gives field for
//! field the structs in `mvds/vac_wire.rs` (same tags, types and `Option`s;
//! no docs, so the module would need `allow(missing_docs)`). It is not done
//! because it buys little and costs every build: a build script and the 48
//! crates it needs (13 of them new: protox, protox-parse, prost-reflect,
//! prost-types, prost-build, miette, logos, prettyplease, multimap, …; 44 s
//! of CPU, 11 minutes of wall time niced on the shared 2-core VM) compiled
//! before this crate in each profile CI builds (release and debug) and in
//! `fuzz/`, for five messages of ten lines each whose field numbers the
//! wires' `//!` docs quote with their source, and which `wire_proptests!`
//! checks against the size arithmetic on every test run. Status's schema
//! sits in status-go's vendor tree, and the epidemic extension has no
//! upstream file at all, so two of the three wires would be meshsync's own
//! `.proto` anyway.
//!
//! Imports `sim/` and `node/` only, like the rest of `node/`.

use prost::encoding::{encoded_len_varint, key_len};
use thiserror::Error;

#[cfg(test)]
pub mod arb;

/// Length in bytes of every message and group id on the wire.
pub const ID_LEN: usize = 32;

/// Why bytes are not a valid payload of a protobuf wire.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    /// The bytes are not a protobuf encoding of the schema.
    #[error("malformed payload: {0}")]
    Decode(String),
    /// An id field does not hold exactly 32 bytes.
    #[error("{field} id has {len} bytes, expected 32")]
    BadIdLength {
        /// Which field held the bad id.
        field: &'static str,
        /// Its length.
        len: usize,
    },
}

/// Bytes of `n` 32-byte ids in repeated field `tag`.
pub fn ids_len(tag: u32, n: usize) -> usize {
    n * (key_len(tag) + encoded_len_varint(ID_LEN as u64) + ID_LEN)
}

/// Bytes of a length-delimited field `tag` holding `inner` bytes.
pub fn len_delimited(tag: u32, inner: usize) -> usize {
    key_len(tag) + encoded_len_varint(inner as u64) + inner
}

/// An error naming `field` if some id is not 32 bytes long.
pub fn check_ids(field: &'static str, ids: &[Vec<u8>]) -> Result<(), WireError> {
    match ids.iter().find(|id| id.len() != ID_LEN) {
        Some(id) => Err(WireError::BadIdLength {
            field,
            len: id.len(),
        }),
        None => Ok(()),
    }
}

/// Parses `bytes` as the protobuf message `M`; a malformed encoding is
/// [`WireError::Decode`]. Never panics.
pub fn decode_proto<M: prost::Message + Default>(bytes: &[u8]) -> Result<M, WireError> {
    M::decode(bytes).map_err(|e| WireError::Decode(e.to_string()))
}

/// The sum of a payload's `encoded_len_by_kind`: what the engine counts.
#[cfg(test)]
pub fn computed_len<P: crate::node::WirePayload>(p: &P) -> usize {
    p.encoded_len_by_kind().iter().sum::<u64>() as usize
}

/// The three property tests every wire has, generated at the call site
/// (inside the wire's `#[cfg(test)] mod tests`):
///
/// - `computed_length_equals_encoding`: a payload from `payload`, encoded
///   by the real encoder, has exactly the length its
///   `encoded_len_by_kind` parts add up to ([`computed_len`]), and decodes
///   back to what was encoded;
/// - `decode_never_panics`: arbitrary bytes (up to `garbage` of them)
///   decode to a value or an error;
/// - `decode_never_panics_on_mutated_payloads`: so do encodings of
///   arbitrary payloads with up to seven bytes flipped.
///
/// A protobuf wire names its payload generator, how a payload becomes its
/// prost message (`proto`) and its checking decoder (`decode`, bytes to a
/// `Result` of that message); the round trip then asserts the decoded
/// message equals the encoded one:
///
/// ```ignore
/// wire_proptests! {
///     payload: arb_payload(),
///     proto: |p| to_proto(&p, arb::fake_id),
///     decode: |bytes| decode(bytes),
///     garbage: 512,
/// }
/// ```
///
/// Any other wire gives its encoder (`encode`, payload to bytes), a
/// decoder for arbitrary bytes whose result is dropped (`decode_any`), and
/// the round trip's comparison (`round_trip`, a block of `prop_assert`s
/// on the payload and its bytes).
#[cfg(test)]
macro_rules! wire_proptests {
    (
        payload: $arb:expr,
        proto: |$pp:ident| $proto:expr,
        decode: |$db:ident| $decode:expr,
        garbage: $garbage:expr $(,)?
    ) => {
        $crate::node::wire::wire_proptests! {
            payload: $arb,
            encode: |$pp| ::prost::Message::encode_to_vec(&$proto),
            decode_any: |$db| $decode,
            round_trip: |$pp, bytes| {
                let $db: &[u8] = &bytes;
                let back = $decode;
                ::proptest::prop_assert_eq!(back, Ok($proto));
            },
            garbage: $garbage,
        }
    };
    (
        payload: $arb:expr,
        encode: |$ep:ident| $encode:expr,
        decode_any: |$ab:ident| $decode_any:expr,
        round_trip: |$rp:ident, $rb:ident| $round_trip:block,
        garbage: $garbage:expr $(,)?
    ) => {
        ::proptest::proptest! {
            #[test]
            fn computed_length_equals_encoding(p in $arb) {
                let bytes: Vec<u8> = {
                    let $ep = &p;
                    $encode
                };
                ::proptest::prop_assert_eq!(
                    bytes.len(),
                    $crate::node::wire::computed_len(&p)
                );
                let $rp = &p;
                let $rb = bytes;
                $round_trip
            }

            #[test]
            fn decode_never_panics(
                bytes in ::proptest::collection::vec(::proptest::prelude::any::<u8>(), 0..$garbage)
            ) {
                let $ab: &[u8] = &bytes;
                let _ = $decode_any;
            }

            #[test]
            fn decode_never_panics_on_mutated_payloads(
                p in $arb,
                flips in ::proptest::collection::vec(
                    (::proptest::prelude::any::<usize>(), ::proptest::prelude::any::<u8>()),
                    1..8,
                )
            ) {
                let mut bytes: Vec<u8> = {
                    let $ep = &p;
                    $encode
                };
                if !bytes.is_empty() {
                    for (at, v) in flips {
                        let n = bytes.len();
                        bytes[at % n] ^= v;
                    }
                }
                let $ab: &[u8] = &bytes;
                let _ = $decode_any;
            }
        }
    };
}
#[cfg(test)]
pub(crate) use wire_proptests;
