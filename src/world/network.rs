//! Links: what happens to a payload put on a link.
//!
//! [`Network::send`] puts a payload on the
//! directed link `from → to` and returns a [`Verdict`]: its bytes serialize
//! after anything already queued on that direction (FIFO at the link's
//! bandwidth), then it travels for a latency drawn from the link's
//! distribution, unless the loss draw drops it. Whether the endpoints are
//! still online when it arrives is the engine's business.

use crate::sim::dist::Dist;
use crate::sim::message::NodeId;
use crate::sim::rng::stream;
use crate::sim::time::{SimTime, MICROS_PER_SEC};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rustc_hash::FxHashMap;

/// Link behaviour, the same for every link.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkSpec {
    /// One-way latency, milliseconds.
    pub latency_ms: Dist,
    /// Bits per second per direction; `None` is unlimited.
    pub bandwidth_bps: Option<f64>,
    /// Probability a payload is lost.
    pub loss: f64,
    /// Transport bytes added to each payload.
    pub overhead_bytes: u32,
    /// Probability a payload arrives twice.
    pub duplicate: f64,
    /// The ONE's link model for message records (`None`: messages travel
    /// in their payloads like every other record).
    pub one: Option<crate::world::one_link::OneLinkSpec>,
}

/// What became of a payload put on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It arrives at `at` (if both endpoints are still online then), and
    /// a duplicate at `again` when the link duplicates it.
    Deliver {
        /// Arrival time.
        at: SimTime,
        /// Arrival time of a duplicate copy.
        again: Option<SimTime>,
    },
    /// The link lost it.
    Lost,
}

/// Link state for one run.
#[derive(Debug)]
pub struct Network {
    link: LinkSpec,
    /// Per directed link: when its transmitter is free again.
    busy_until: FxHashMap<(NodeId, NodeId), SimTime>,
    rng: ChaCha8Rng,
}

impl Network {
    /// A network whose latency and loss draws use the run's `network`
    /// sub-stream.
    pub fn new(link: LinkSpec, seed: u64) -> Network {
        Network {
            link,
            busy_until: FxHashMap::default(),
            rng: stream(seed, "network", 0),
        }
    }

    /// Bytes a payload of `encoded` bytes occupies on the wire.
    pub fn wire_bytes(&self, encoded: usize) -> u64 {
        encoded as u64 + u64::from(self.link.overhead_bytes)
    }

    /// Time to serialize `bytes` at the link's bandwidth (zero if unlimited).
    pub fn serialization(&self, bytes: u64) -> SimTime {
        match self.link.bandwidth_bps {
            None => SimTime::ZERO,
            Some(bps) => SimTime(((bytes * 8) as f64 * MICROS_PER_SEC as f64 / bps).ceil() as u64),
        }
    }

    /// Puts `bytes` on the link `from → to` at `now`; the payload crosses
    /// `hops` links (one latency draw each; serialization on the first).
    pub fn send(
        &mut self,
        now: SimTime,
        from: NodeId,
        to: NodeId,
        bytes: u64,
        hops: u32,
    ) -> Verdict {
        let done = match self.link.bandwidth_bps {
            // Unlimited: nothing ever queues, so no per-link state is kept.
            None => now,
            Some(_) => {
                let ser = self.serialization(bytes);
                let free = self.busy_until.entry((from, to)).or_insert(SimTime::ZERO);
                let done = (*free).max(now) + ser;
                *free = done;
                done
            }
        };
        // Both draws always happen, so loss does not shift later latencies.
        let latency_ms: f64 = (0..hops.max(1))
            .map(|_| self.link.latency_ms.sample(&mut self.rng))
            .sum();
        let lost = self.link.loss > 0.0 && self.rng.random_bool(self.link.loss);
        if lost {
            return Verdict::Lost;
        }
        let at = done + SimTime::from_secs_f64(latency_ms / 1000.0);
        // Draws only when duplication is on, so other runs keep their streams.
        let again =
            (self.link.duplicate > 0.0 && self.rng.random_bool(self.link.duplicate)).then(|| {
                let extra: f64 = (0..hops.max(1))
                    .map(|_| self.link.latency_ms.sample(&mut self.rng))
                    .sum();
                done + SimTime::from_secs_f64(extra / 1000.0)
            });
        Verdict::Deliver { at, again }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::dist::Dist;

    fn link(bw_kbps: Option<f64>, loss: f64) -> LinkSpec {
        LinkSpec {
            latency_ms: Dist::Fixed(50.0),
            bandwidth_bps: bw_kbps.map(|k| k * 1000.0),
            loss,
            overhead_bytes: 10,
            duplicate: 0.0,
            one: None,
        }
    }

    #[test]
    fn fifo_serialization_per_direction() {
        let mut net = Network::new(link(Some(8.0), 0.0), 1); // 1000 bytes/s
        let t = SimTime::ZERO;
        // 1000 bytes take 1 s; the second payload waits for the first.
        assert_eq!(
            net.send(t, 0, 1, 1000, 1),
            Verdict::Deliver {
                at: SimTime::from_millis(1050),
                again: None
            }
        );
        assert_eq!(
            net.send(t, 0, 1, 1000, 1),
            Verdict::Deliver {
                at: SimTime::from_millis(2050),
                again: None
            }
        );
        // The other direction is independent.
        assert_eq!(
            net.send(t, 1, 0, 500, 1),
            Verdict::Deliver {
                at: SimTime::from_millis(550),
                again: None
            }
        );
        assert_eq!(net.wire_bytes(90), 100);
    }

    #[test]
    fn loss_one_loses_everything() {
        let mut net = Network::new(link(None, 1.0), 1);
        assert_eq!(net.send(SimTime::ZERO, 0, 1, 10, 1), Verdict::Lost);
    }

    #[test]
    fn duplication_makes_a_second_copy() {
        let mut l = link(None, 0.0);
        l.duplicate = 1.0;
        let mut net = Network::new(l, 1);
        assert_eq!(
            net.send(SimTime::ZERO, 0, 1, 10, 1),
            Verdict::Deliver {
                at: SimTime::from_millis(50),
                again: Some(SimTime::from_millis(50))
            }
        );
    }

    #[test]
    fn hops_add_latency() {
        let mut net = Network::new(link(None, 0.0), 1);
        assert_eq!(
            net.send(SimTime::ZERO, 0, 1, 10, 3),
            Verdict::Deliver {
                at: SimTime::from_millis(150),
                again: None
            }
        );
    }
}
