//! BSP's wire: the sizes Briar's constants give, and the encoder against
//! the computed lengths.
//!
//! Imports `sim/` and `node/` only.

use super::*;
use crate::node::wire::arb::{self, fake_id};
use crate::node::wire::wire_proptests;
use crate::sim::message::Message;
use crate::sim::time::SimTime;
use proptest::prelude::*;

fn message(id: MsgId, body_len: u32, parents: Vec<MsgId>) -> MessageRef {
    MessageRef::new(Message {
        id,
        group: 1,
        sender: 0,
        created: SimTime::from_secs(3),
        body_len,
        parents,
    })
}

fn acks(n: u32) -> Payload {
    Payload {
        acks: (0..n).collect(),
        ..Payload::default()
    }
}

/// Briar's `Record.RECORD_HEADER_BYTES` = 4: version, type, length u16.
#[test]
fn bsp_wire_record_header_is_4_bytes() {
    let p = acks(1);
    assert_eq!(p.encoded_len_by_kind()[0], 4 + 32);
    let bytes = encode(&p, fake_id).unwrap();
    // After the frame header: version 0, type ACK = 0, length 32.
    let record = &bytes[FRAME_HEADER_LENGTH..];
    assert_eq!(&record[..4], &[0, 0, 0, 32]);
    assert_eq!(&record[4..36], &fake_id(0));
}

/// `MAX_MESSAGE_IDS` = `MAX_RECORD_PAYLOAD_BYTES` (48 KiB) / 32 = 1,536:
/// one more id takes a second record.
#[test]
fn id_records_hold_at_most_1536_ids() {
    assert_eq!(MAX_MESSAGE_IDS, 1536);
    assert_eq!(acks(1536).encoded_len_by_kind()[0], 4 + 1536 * 32);
    assert_eq!(acks(1537).encoded_len_by_kind()[0], 2 * 4 + 1537 * 32);
    let d = decode(&encode(&acks(1537), fake_id).unwrap(), false).unwrap();
    assert_eq!(d.acks.len(), 1537);
}

/// A MESSAGE record's payload is the raw message: group id (32),
/// timestamp (8), body (`SyncConstants.MESSAGE_HEADER_LENGTH` = 40); the
/// client's dependency ids are part of the body.
#[test]
fn message_record_is_group_id_timestamp_and_body() {
    let alone = message(5, 100, vec![]);
    assert_eq!(message_record_len(&alone), 4 + 32 + 8 + 100);
    let reply = message(6, 100, vec![1, 2]);
    assert_eq!(message_record_len(&reply), 4 + 32 + 8 + 64 + 100);
    let p = Payload {
        messages: vec![reply],
        ..Payload::default()
    };
    let d = decode(&encode(&p, fake_id).unwrap(), false).unwrap();
    let m = &d.messages[0];
    assert_eq!(m.group, group_wire_id(1));
    assert_eq!(&m.body[..32], &fake_id(1));
    assert_eq!(m.body.len(), 164);
}

/// BTP frames (`TransportConstants`): at most 1,024 bytes, a 20-byte
/// header (4 + MAC) and a 16-byte MAC, so at most 988 payload bytes; the
/// stream writer emits a frame per 988 bytes buffered and one at the flush.
#[test]
fn btp_frame_overhead() {
    assert_eq!((FRAME_OVERHEAD, MAX_PAYLOAD_LENGTH), (36, 988));
    for (records, frames_want) in [(1, 1), (987, 1), (988, 2), (989, 2), (1976, 3)] {
        assert_eq!(frames(records), frames_want, "{records} record bytes");
    }
    // 30 ids: one 964-byte record, one frame.
    let p = acks(30);
    assert_eq!(p.encoded_len(), 964 + 36);
    assert_eq!(p.count_by_kind()[4], 1);
    // 31 ids: 996 bytes, a full frame and the flush's.
    let p = acks(31);
    assert_eq!(p.encoded_len(), 996 + 2 * 36);
    assert_eq!(encode(&p, fake_id).unwrap().len(), 996 + 2 * 36);
}

/// A stream starts with a 16-byte tag and an 82-byte header, and its
/// session with a VERSIONS record (5 bytes): counted once, on the payload
/// that opens it, as `btp`.
#[test]
fn stream_preamble_is_counted_once_per_connection() {
    assert_eq!(STREAM_PREAMBLE, 98);
    let first = Payload {
        opens_stream: true,
        ..acks(1)
    };
    let by_kind = first.encoded_len_by_kind();
    assert_eq!(by_kind[4], 98 + 5 + 36);
    assert_eq!(first.encoded_len() - acks(1).encoded_len(), 98 + 5);
    let d = decode(&encode(&first, fake_id).unwrap(), true).unwrap();
    assert_eq!((d.versions, d.acks.len()), (vec![0], 1));
}

/// BSP's payloads: bodies up to 32 KiB (a MESSAGE record must fit its
/// 16-bit length with up to 11 parents), up to three messages, and
/// payloads that open the stream.
fn arb_payload() -> impl Strategy<Value = Payload> {
    (arb::records(arb::message_up_to(32_768), 4), any::<bool>()).prop_map(
        |((acks, offers, requests, messages), opens_stream)| Payload {
            acks,
            offers,
            requests,
            messages,
            opens_stream,
        },
    )
}

wire_proptests! {
    payload: arb_payload(),
    encode: |p| encode(p, fake_id).unwrap(),
    decode_any: |bytes| (decode(bytes, false), decode(bytes, true)),
    round_trip: |p, bytes| {
        let d = decode(&bytes, p.opens_stream).unwrap();
        let ids = |v: &[MsgId]| v.iter().map(|&m| fake_id(m)).collect::<Vec<_>>();
        let versions = if p.opens_stream { vec![PROTOCOL_VERSION] } else { vec![] };
        prop_assert_eq!(d.versions, versions);
        prop_assert_eq!(d.acks, ids(&p.acks));
        prop_assert_eq!(d.offers, ids(&p.offers));
        prop_assert_eq!(d.requests, ids(&p.requests));
        prop_assert_eq!(d.messages.len(), p.messages.len());
        for (got, m) in d.messages.iter().zip(&p.messages) {
            prop_assert_eq!(got.body.len(), message_len(m) - MESSAGE_HEADER_LENGTH);
            let mut body: Vec<u8> = m.parents.iter().flat_map(|&q| fake_id(q)).collect();
            body.extend_from_slice(&body_bytes(m));
            prop_assert_eq!(&got.body, &body);
            prop_assert_eq!(got.group, group_wire_id(m.group));
            prop_assert_eq!(got.timestamp / 1000, m.wire_timestamp() as u64);
        }
    },
    garbage: 2048,
}

#[test]
fn truncated_stream_is_an_error() {
    let bytes = encode(&acks(3), fake_id).unwrap();
    assert_eq!(
        decode(&bytes[..bytes.len() - 1], false),
        Err(WireError::UnexpectedEnd)
    );
}
