//! Generators for the wires' property tests: fake 32-byte ids, messages,
//! and the records every sync payload carries (ids acknowledged, offered
//! and requested, messages in full). Each wire builds its own payload from
//! these (its dialect, its extensions). Test-only; imports `sim/` only.

use crate::sim::message::{Message, MessageRef, MsgId};
use crate::sim::time::SimTime;
use proptest::prelude::*;

/// A fake 32-byte wire id for message `m`: distinct for distinct `m`.
pub fn fake_id(m: MsgId) -> [u8; 32] {
    let mut id = [7u8; 32];
    id[..4].copy_from_slice(&m.to_le_bytes());
    id
}

/// Up to 39 message ids below 5,000.
pub fn ids() -> impl Strategy<Value = Vec<MsgId>> {
    prop::collection::vec(0u32..5000, 0..40)
}

/// Any message of groups 0–4 with up to 11 parents, its body at most
/// `max_body` bytes, created at any time up to ~116 days.
pub fn message_up_to(max_body: u32) -> impl Strategy<Value = MessageRef> {
    (
        0u32..1000,
        0u32..5,
        0u64..10_000_000_000_000,
        0u32..=max_body,
        prop::collection::vec(0u32..1000, 0..12),
    )
        .prop_map(|(id, group, t, body_len, parents)| {
            MessageRef::new(Message {
                id,
                group,
                sender: 0,
                created: SimTime(t),
                body_len,
                parents,
            })
        })
}

/// Any message, bodies up to 39,999 bytes (the protobuf wires').
pub fn message() -> impl Strategy<Value = MessageRef> {
    message_up_to(39_999)
}

/// The records of a sync payload: `(acks, offers, requests, messages)`,
/// each id list from [`ids`], fewer than `max_messages` messages from
/// `message`.
pub fn records(
    message: impl Strategy<Value = MessageRef>,
    max_messages: usize,
) -> impl Strategy<Value = (Vec<MsgId>, Vec<MsgId>, Vec<MsgId>, Vec<MessageRef>)> {
    (
        ids(),
        ids(),
        ids(),
        prop::collection::vec(message, 0..max_messages),
    )
}
