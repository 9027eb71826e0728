//! Mailserver-only's wire: epidemic's MVDS-2019 protobuf payload
//! (`epidemic::wire`), of which it fills only `messages` (the summary
//! extension is epidemic's and never sent here). Re-exported so every
//! protocol folder has its `wire`; imports `node/` only.

pub use crate::node::epidemic::wire::{decode, proto, Payload, MVDS_KINDS};
