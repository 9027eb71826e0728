//! Static topologies: who is adjacent to whom, built through petgraph.
//!
//! Full mesh needs no graph. Edge lists, rings, Erdős–Rényi G(n, p), random
//! geometric graphs (unit square, link radius) and Barabási–Albert
//! preferential attachment are `UnGraphMap`s over node ids; random ones draw
//! from the run's `topology` sub-stream. A contact trace starts as a graph
//! with no edges; the engine adds and removes edges as contacts come and go.

use crate::sim::message::NodeId;
use crate::sim::rng::stream;
use crate::world::trace::ContactEvent;
use petgraph::graphmap::UnGraphMap;
use rand::Rng;

/// Who can reach whom.
#[derive(Clone, Debug, PartialEq)]
pub enum TopologySpec {
    /// Any two online nodes.
    FullMesh,
    /// Explicit undirected edges.
    Edges(Vec<(NodeId, NodeId)>),
    /// A ring over `0..nodes`.
    Ring,
    /// G(n, p).
    ErdosRenyi {
        /// Edge probability.
        p: f64,
    },
    /// Random geometric graph in the unit square.
    RandomGeometric {
        /// Link radius.
        radius: f64,
    },
    /// Barabási–Albert preferential attachment.
    BarabasiAlbert {
        /// Edges per new node.
        m: u32,
    },
    /// A contact trace: links come and go at the listed times.
    Contacts(Vec<ContactEvent>),
}

/// Adjacency at the start of a run.
#[derive(Debug, Clone)]
pub enum Topology {
    /// Every pair adjacent.
    FullMesh,
    /// An undirected graph over node ids.
    Graph(UnGraphMap<NodeId, ()>),
}

impl Topology {
    /// Builds the topology for `n` nodes.
    pub fn build(spec: &TopologySpec, n: u32, seed: u64) -> Topology {
        let mut g = UnGraphMap::<NodeId, ()>::with_capacity(n as usize, 0);
        for i in 0..n {
            g.add_node(i);
        }
        let mut rng = stream(seed, "topology", 0);
        match spec {
            TopologySpec::FullMesh => return Topology::FullMesh,
            TopologySpec::Contacts(_) => {}
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
                for a in 0..n {
                    for b in a + 1..n {
                        if rng.random_bool(*p) {
                            g.add_edge(a, b, ());
                        }
                    }
                }
            }
            TopologySpec::RandomGeometric { radius } => {
                let pos: Vec<(f64, f64)> = (0..n).map(|_| (rng.random(), rng.random())).collect();
                for a in 0..n as usize {
                    for b in a + 1..n as usize {
                        let (dx, dy) = (pos[a].0 - pos[b].0, pos[a].1 - pos[b].1);
                        if dx * dx + dy * dy <= radius * radius {
                            g.add_edge(a as NodeId, b as NodeId, ());
                        }
                    }
                }
            }
            TopologySpec::BarabasiAlbert { m } => barabasi_albert(&mut g, n, *m, &mut rng),
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

/// Preferential attachment: nodes `0..=m` form a clique; each later node
/// links to `m` distinct earlier nodes chosen with probability proportional
/// to their degree (by drawing from the list of edge endpoints).
fn barabasi_albert(g: &mut UnGraphMap<NodeId, ()>, n: u32, m: u32, rng: &mut impl Rng) {
    let mut ends: Vec<NodeId> = Vec::new();
    let seed_nodes = (m + 1).min(n);
    for a in 0..seed_nodes {
        for b in a + 1..seed_nodes {
            g.add_edge(a, b, ());
            ends.extend([a, b]);
        }
    }
    for v in seed_nodes..n {
        let mut targets = std::collections::BTreeSet::new();
        while (targets.len() as u32) < m {
            targets.insert(ends[rng.random_range(0..ends.len())]);
        }
        for t in targets {
            g.add_edge(v, t, ());
            ends.extend([v, t]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(spec: TopologySpec, n: u32) -> UnGraphMap<NodeId, ()> {
        match Topology::build(&spec, n, 3) {
            Topology::Graph(g) => g,
            Topology::FullMesh => panic!("expected a graph"),
        }
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
        let g = graph(TopologySpec::ErdosRenyi { p: 0.2 }, 100);
        let density = g.edge_count() as f64 / (100.0 * 99.0 / 2.0);
        assert!((density - 0.2).abs() < 0.03, "density {density}");
    }

    #[test]
    fn random_geometric_density_matches_disc_area() {
        // Away from the borders a node's neighbours are ~ n * pi * r^2.
        let g = graph(TopologySpec::RandomGeometric { radius: 0.1 }, 400);
        let mean_degree = 2.0 * g.edge_count() as f64 / 400.0;
        let expect = 399.0 * std::f64::consts::PI * 0.01;
        assert!(
            mean_degree < expect && mean_degree > 0.8 * expect,
            "{mean_degree} vs {expect}"
        );
    }

    #[test]
    fn barabasi_albert_has_m_edges_per_node_and_hubs() {
        let g = graph(TopologySpec::BarabasiAlbert { m: 2 }, 500);
        assert_eq!(g.edge_count(), 3 + 2 * (500 - 3));
        let max_degree = g.nodes().map(|v| g.neighbors(v).count()).max().unwrap();
        assert!(
            max_degree > 20,
            "preferential attachment makes hubs: {max_degree}"
        );
    }
}
