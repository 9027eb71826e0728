//! A relay's message buffer as The ONE's `ActiveRouter` keeps it: a size
//! limit with drop-oldest, and a time to live.
//!
//! Followed from `akeranen/the-one` `routing/ActiveRouter.java` and
//! `routing/MessageRouter.java`:
//! - **Size.** Messages count their size (here the body length, The ONE's
//!   message size). A message that does not fit even in an empty buffer is
//!   not kept (`makeRoomForMessage` → `DENIED_NO_SPACE`); otherwise the
//!   messages received longest ago are dropped until it fits
//!   (`getNextMessageToRemove`, by receive time). The ONE spares a
//!   message it is sending at that moment; a sans-IO node does not know
//!   what the link is doing, so here none is spared.
//! - **TTL.** A message expires `ttl` after it was written. Expired ones
//!   are dropped at the first check at least [`TTL_CHECK`] after the
//!   previous one (`TTL_CHECK_INTERVAL = 60`); an expired message is not
//!   taken in (`checkReceiving` → `DENIED_TTL`). The ONE's TTL is in whole
//!   minutes and `Message.getTtl` truncates the remaining time to minutes,
//!   so its `msgTtl = m` expires a message after `60·m − 60` s: write
//!   `ttl_s = 60·m − 60` to reproduce it.
//!
//! Every message let go of is returned with the time it was taken in, for
//! the report's `dropped` and `buffertime`.
//!
//! Imports: `sim/` only.

use crate::sim::message::{MessageRef, MsgId};
use crate::sim::time::SimTime;

/// Time between two TTL checks (The ONE's `TTL_CHECK_INTERVAL`).
pub const TTL_CHECK: SimTime = SimTime(60_000_000);

/// Limits of a relay buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of message bodies held (`None`: no limit).
    pub bytes: Option<u64>,
    /// Lifetime of a message from its creation (`None`: for ever).
    pub ttl: Option<SimTime>,
}

/// A message let go of, and when it had been taken in.
pub type Gone = (MessageRef, SimTime);

/// Every message a node carries: by dense id, and in the order taken in.
#[derive(Debug, Default)]
pub struct RelayBuffer {
    limits: Limits,
    by_id: Vec<Option<(MessageRef, SimTime)>>,
    order: Vec<MsgId>,
    bytes: u64,
    next_check: SimTime,
}

impl RelayBuffer {
    /// An empty buffer with these limits.
    pub fn new(limits: Limits) -> Self {
        RelayBuffer {
            limits,
            ..Default::default()
        }
    }

    /// True when `id` is held.
    pub fn contains(&self, id: MsgId) -> bool {
        self.by_id.get(id as usize).is_some_and(Option::is_some)
    }

    /// Held ids, oldest first.
    pub fn ids(&self) -> &[MsgId] {
        &self.order
    }

    /// The held message `id`.
    pub fn get(&self, id: MsgId) -> Option<&MessageRef> {
        self.by_id.get(id as usize)?.as_ref().map(|(m, _)| m)
    }

    /// True when `msg` has lived its TTL at `now`.
    pub fn expired(&self, msg: &MessageRef, now: SimTime) -> bool {
        self.limits.ttl.is_some_and(|ttl| {
            now.as_micros().saturating_sub(msg.created.as_micros()) >= ttl.as_micros()
        })
    }

    /// Takes `msg` in at `now` unless it is held, expired or too big;
    /// returns whether it was taken and what was dropped to make room.
    pub fn insert(&mut self, msg: MessageRef, now: SimTime, own: bool) -> (bool, Vec<Gone>) {
        let size = u64::from(msg.body_len);
        if self.contains(msg.id) || (!own && self.expired(&msg, now)) {
            return (false, Vec::new());
        }
        let mut gone = Vec::new();
        if let Some(cap) = self.limits.bytes {
            if size > cap {
                return (false, gone);
            }
            while self.bytes + size > cap {
                let oldest = self.order[0];
                gone.extend(self.remove(oldest));
            }
        }
        let i = msg.id as usize;
        if i >= self.by_id.len() {
            self.by_id.resize((i + 1).next_power_of_two(), None);
        }
        self.order.push(msg.id);
        self.bytes += size;
        self.by_id[i] = Some((msg, now));
        (true, gone)
    }

    /// Lets go of `id`, if held.
    pub fn remove(&mut self, id: MsgId) -> Option<Gone> {
        let (msg, since) = self.by_id.get_mut(id as usize)?.take()?;
        let pos = self
            .order
            .iter()
            .position(|&x| x == id)
            .expect("held ids are listed");
        self.order.remove(pos);
        self.bytes -= u64::from(msg.body_len);
        Some((msg, since))
    }

    /// When the next TTL check is due (`None`: no TTL or nothing held).
    pub fn next_check(&self) -> Option<SimTime> {
        (self.limits.ttl.is_some() && !self.order.is_empty()).then_some(self.next_check)
    }

    /// The TTL check, if due at `now`: drops every expired message.
    pub fn check_ttl(&mut self, now: SimTime) -> Vec<Gone> {
        if self.limits.ttl.is_none() || now < self.next_check {
            return Vec::new();
        }
        self.next_check = now + TTL_CHECK;
        let expired: Vec<MsgId> = self
            .order
            .iter()
            .copied()
            .filter(|&id| self.get(id).is_some_and(|m| self.expired(m, now)))
            .collect();
        expired
            .into_iter()
            .filter_map(|id| self.remove(id))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::message::test_message;

    fn msg(id: MsgId, created_s: u64, body: u32) -> MessageRef {
        let mut m = (*test_message(id, 0, SimTime::from_secs(created_s), &[])).clone();
        m.body_len = body;
        MessageRef::new(m)
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_received() {
        let limits = Limits {
            bytes: Some(2500),
            ttl: None,
        };
        let mut b = RelayBuffer::new(limits);
        let t = SimTime::from_secs;
        // Received in the order 3, 1, 2 (not id or creation order).
        assert_eq!(b.insert(msg(3, 9, 1000), t(1), false), (true, vec![]));
        assert!(b.insert(msg(1, 0, 1000), t(2), false).0);
        let (taken, gone) = b.insert(msg(2, 5, 1000), t(3), false);
        assert!(taken);
        assert_eq!(gone.len(), 1);
        assert_eq!((gone[0].0.id, gone[0].1), (3, t(1)), "oldest by receipt");
        assert_eq!(b.ids(), &[1, 2]);
        // Too big for the whole buffer: refused, nothing dropped.
        assert_eq!(b.insert(msg(4, 0, 3000), t(4), false), (false, vec![]));
        assert_eq!(b.ids(), &[1, 2]);
        // A held message is not taken twice.
        assert!(!b.insert(msg(1, 0, 1000), t(5), false).0);
    }

    #[test]
    fn ttl_drops_at_checks_a_minute_apart_and_refuses_expired() {
        let limits = Limits {
            bytes: None,
            ttl: Some(SimTime::from_secs(100)),
        };
        let mut b = RelayBuffer::new(limits);
        let t = SimTime::from_secs;
        b.insert(msg(1, 0, 10), t(0), true);
        b.insert(msg(2, 50, 10), t(50), true);
        assert!(b.check_ttl(t(0)).is_empty());
        assert!(b.check_ttl(t(59)).is_empty(), "next check at 60 s");
        assert!(b.check_ttl(t(60)).is_empty(), "nothing expired yet");
        let gone = b.check_ttl(t(120));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].0.id, 1);
        assert_eq!(b.next_check(), Some(t(180)));
        // Message 2 expired at 150 s, dropped at the 180 s check.
        assert!(b.check_ttl(t(170)).is_empty());
        assert_eq!(b.check_ttl(t(180)).len(), 1);
        assert_eq!(b.next_check(), None);
        // An expired message is not taken in, unless written here.
        assert!(!b.insert(msg(3, 0, 10), t(200), false).0);
        assert!(b.insert(msg(3, 0, 10), t(200), true).0);
    }
}
