//! The network: who can reach whom, and what happens to a payload on a link.
//!
//! [`Topology`] answers adjacency (full mesh, or a petgraph graph built from
//! an edge list, a ring or G(n, p)). [`Network::send`] puts a payload on the
//! directed link `from → to` and returns a [`Verdict`]: its bytes serialize
//! after anything already queued on that direction (FIFO at the link's
//! bandwidth), then it travels for a latency drawn from the link's
//! distribution, unless the loss draw drops it. Whether the endpoints are
//! still online when it arrives is the engine's business.

use crate::message::NodeId;
use crate::rng::stream;
use crate::scenario::{LinkSpec, TopologySpec};
use crate::time::{SimTime, MICROS_PER_SEC};
use petgraph::graphmap::UnGraphMap;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashMap;

/// Adjacency between nodes.
#[derive(Debug, Clone)]
pub enum Topology {
    /// Every pair adjacent.
    FullMesh,
    /// An undirected graph over node ids.
    Graph(UnGraphMap<NodeId, ()>),
}

impl Topology {
    /// Builds the topology for `n` nodes; random generators draw from the
    /// run's `topology` sub-stream.
    pub fn build(spec: &TopologySpec, n: u32, seed: u64) -> Topology {
        let mut g = UnGraphMap::<NodeId, ()>::with_capacity(n as usize, 0);
        for i in 0..n {
            g.add_node(i);
        }
        match spec {
            TopologySpec::FullMesh => return Topology::FullMesh,
            TopologySpec::Edges(edges) => {
                for &(a, b) in edges {
                    g.add_edge(a, b, ());
                }
            }
            TopologySpec::Ring => {
                for i in 0..n {
                    let j = (i + 1) % n;
                    if i != j {
                        g.add_edge(i, j, ());
                    }
                }
            }
            TopologySpec::ErdosRenyi { p } => {
                let mut rng = stream(seed, "topology", 0);
                for a in 0..n {
                    for b in a + 1..n {
                        if rng.random_bool(*p) {
                            g.add_edge(a, b, ());
                        }
                    }
                }
            }
        }
        Topology::Graph(g)
    }

    /// True when `a` and `b` are directly linked.
    pub fn adjacent(&self, a: NodeId, b: NodeId) -> bool {
        match self {
            Topology::FullMesh => a != b,
            Topology::Graph(g) => g.contains_edge(a, b),
        }
    }
}

/// What became of a payload put on a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It arrives at `at` (if both endpoints are still online then).
    Deliver {
        /// Arrival time.
        at: SimTime,
    },
    /// The link lost it.
    Lost,
}

/// Link state for one run.
#[derive(Debug)]
pub struct Network {
    link: LinkSpec,
    /// Per directed link: when its transmitter is free again.
    busy_until: HashMap<(NodeId, NodeId), SimTime>,
    rng: ChaCha8Rng,
}

impl Network {
    /// A network whose latency and loss draws use the run's `network`
    /// sub-stream.
    pub fn new(link: LinkSpec, seed: u64) -> Network {
        Network {
            link,
            busy_until: HashMap::new(),
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

    /// Puts `bytes` on the link `from → to` at `now`.
    pub fn send(&mut self, now: SimTime, from: NodeId, to: NodeId, bytes: u64) -> Verdict {
        let ser = self.serialization(bytes);
        let free = self.busy_until.entry((from, to)).or_insert(SimTime::ZERO);
        let done = (*free).max(now) + ser;
        *free = done;
        // Both draws always happen, so loss does not shift later latencies.
        let latency_ms = self.link.latency_ms.sample(&mut self.rng);
        let lost = self.link.loss > 0.0 && self.rng.random_bool(self.link.loss);
        if lost {
            Verdict::Lost
        } else {
            Verdict::Deliver {
                at: done + SimTime::from_secs_f64(latency_ms / 1000.0),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Dist;

    fn link(bw_kbps: Option<f64>, loss: f64) -> LinkSpec {
        LinkSpec {
            latency_ms: Dist::Fixed(50.0),
            bandwidth_bps: bw_kbps.map(|k| k * 1000.0),
            loss,
            overhead_bytes: 10,
        }
    }

    #[test]
    fn fifo_serialization_per_direction() {
        let mut net = Network::new(link(Some(8.0), 0.0), 1); // 1000 bytes/s
        let t = SimTime::ZERO;
        // 1000 bytes take 1 s; the second payload waits for the first.
        assert_eq!(
            net.send(t, 0, 1, 1000),
            Verdict::Deliver {
                at: SimTime::from_millis(1050)
            }
        );
        assert_eq!(
            net.send(t, 0, 1, 1000),
            Verdict::Deliver {
                at: SimTime::from_millis(2050)
            }
        );
        // The other direction is independent.
        assert_eq!(
            net.send(t, 1, 0, 500),
            Verdict::Deliver {
                at: SimTime::from_millis(550)
            }
        );
        assert_eq!(net.wire_bytes(90), 100);
    }

    #[test]
    fn loss_one_loses_everything() {
        let mut net = Network::new(link(None, 1.0), 1);
        assert_eq!(net.send(SimTime::ZERO, 0, 1, 10), Verdict::Lost);
    }

    #[test]
    fn ring_and_edges_adjacency() {
        let ring = Topology::build(&TopologySpec::Ring, 4, 1);
        assert!(ring.adjacent(0, 1) && ring.adjacent(3, 0) && !ring.adjacent(0, 2));
        let e = Topology::build(&TopologySpec::Edges(vec![(0, 2)]), 3, 1);
        assert!(e.adjacent(2, 0) && !e.adjacent(0, 1));
        assert!(Topology::build(&TopologySpec::FullMesh, 3, 1).adjacent(0, 2));
    }

    #[test]
    fn erdos_renyi_density_is_about_p() {
        let Topology::Graph(g) = Topology::build(&TopologySpec::ErdosRenyi { p: 0.2 }, 100, 3)
        else {
            panic!("expected a graph");
        };
        let density = g.edge_count() as f64 / (100.0 * 99.0 / 2.0);
        assert!((density - 0.2).abs() < 0.03, "density {density}");
    }
}
