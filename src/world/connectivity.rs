//! Who can reach whom right now: node liveness, current links and routing.
//!
//! Adjacency starts from the static [`Topology`]; contact traces add and
//! remove edges as contacts come and go. With `direct` routing two online
//! nodes reach each other when they are adjacent; with `multi-hop` routing
//! when a path of online nodes joins them (components by petgraph's
//! union-find, hop counts by breadth-first search, both cached until the
//! next change).

use crate::sim::message::NodeId;
use crate::world::topology::Topology;
use petgraph::graphmap::UnGraphMap;
use petgraph::unionfind::UnionFind;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;

/// How far a payload travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Routing {
    /// Adjacent nodes only.
    Direct,
    /// Any online node in the same connected component.
    MultiHop,
}

/// Reachability state of a run.
#[derive(Debug)]
pub struct Connectivity {
    full_mesh: bool,
    graph: UnGraphMap<NodeId, ()>,
    online: Vec<bool>,
    multi_hop: bool,
    components: Option<Vec<usize>>,
    hops_from: FxHashMap<NodeId, Vec<u32>>,
}

impl Connectivity {
    /// All nodes offline, links as in `topology`.
    pub fn new(topology: Topology, n: u32, routing: Routing) -> Self {
        let (full_mesh, graph) = match topology {
            Topology::FullMesh => (true, UnGraphMap::new()),
            Topology::Graph(g) => (false, g),
        };
        Connectivity {
            full_mesh,
            graph,
            online: vec![false; n as usize],
            multi_hop: routing == Routing::MultiHop && !full_mesh,
            components: None,
            hops_from: FxHashMap::default(),
        }
    }

    /// True with multi-hop routing (any change may affect any pair).
    pub fn multi_hop(&self) -> bool {
        self.multi_hop
    }

    /// True when `n` is online.
    pub fn online(&self, n: NodeId) -> bool {
        self.online[n as usize]
    }

    /// Sets whether `n` is online.
    pub fn set_online(&mut self, n: NodeId, on: bool) {
        self.online[n as usize] = on;
        self.invalidate();
    }

    /// Adds (`up`) or removes the link `a`–`b`.
    pub fn set_link(&mut self, a: NodeId, b: NodeId, up: bool) {
        if up {
            self.graph.add_edge(a, b, ());
        } else {
            self.graph.remove_edge(a, b);
        }
        self.invalidate();
    }

    fn invalidate(&mut self) {
        if self.multi_hop {
            self.components = None;
            self.hops_from.clear();
        }
    }

    /// True when `a` and `b` are directly linked (whether online or not).
    pub fn adjacent(&self, a: NodeId, b: NodeId) -> bool {
        a != b && (self.full_mesh || self.graph.contains_edge(a, b))
    }

    /// True when a payload from `a` can reach `b` now.
    pub fn reachable(&mut self, a: NodeId, b: NodeId) -> bool {
        if a == b || !self.online(a) || !self.online(b) {
            return false;
        }
        if !self.multi_hop {
            return self.adjacent(a, b);
        }
        let comps = self.components();
        comps[a as usize] == comps[b as usize]
    }

    /// Links a payload from `a` to `b` crosses (1 unless multi-hop).
    pub fn hops(&mut self, a: NodeId, b: NodeId) -> u32 {
        if !self.multi_hop {
            return 1;
        }
        if !self.hops_from.contains_key(&a) {
            let d = self.bfs(a);
            self.hops_from.insert(a, d);
        }
        self.hops_from[&a][b as usize].max(1)
    }

    fn components(&mut self) -> &[usize] {
        if self.components.is_none() {
            let mut uf = UnionFind::<usize>::new(self.online.len());
            for (a, b, _) in self.graph.all_edges() {
                if self.online[a as usize] && self.online[b as usize] {
                    uf.union(a as usize, b as usize);
                }
            }
            self.components = Some(uf.into_labeling());
        }
        self.components.as_deref().expect("just computed")
    }

    fn bfs(&self, from: NodeId) -> Vec<u32> {
        let mut dist = vec![u32::MAX; self.online.len()];
        dist[from as usize] = 0;
        let mut queue = VecDeque::from([from]);
        while let Some(v) = queue.pop_front() {
            for w in self.graph.neighbors(v) {
                if self.online[w as usize] && dist[w as usize] == u32::MAX {
                    dist[w as usize] = dist[v as usize] + 1;
                    queue.push_back(w);
                }
            }
        }
        dist
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::topology::TopologySpec;

    fn line(routing: Routing) -> Connectivity {
        let t = Topology::build(&TopologySpec::Edges(vec![(0, 1), (1, 2), (2, 3)]), 4, 1);
        let mut c = Connectivity::new(t, 4, routing);
        for i in 0..4 {
            c.set_online(i, true);
        }
        c
    }

    #[test]
    fn direct_routing_needs_adjacency() {
        let mut c = line(Routing::Direct);
        assert!(c.reachable(0, 1) && !c.reachable(0, 2));
        assert_eq!(c.hops(0, 1), 1);
    }

    #[test]
    fn multi_hop_follows_online_paths() {
        let mut c = line(Routing::MultiHop);
        assert!(c.reachable(0, 3));
        assert_eq!(c.hops(0, 3), 3);
        c.set_online(2, false);
        assert!(!c.reachable(0, 3) && c.reachable(0, 1));
        c.set_online(2, true);
        c.set_link(1, 2, false);
        assert!(!c.reachable(0, 3));
    }

    #[test]
    fn offline_nodes_are_unreachable() {
        let mut c = Connectivity::new(Topology::FullMesh, 3, Routing::Direct);
        c.set_online(0, true);
        assert!(!c.reachable(0, 1));
        c.set_online(1, true);
        assert!(c.reachable(0, 1) && c.reachable(1, 0));
        c.set_link(0, 1, false); // no effect on a full mesh
        assert!(c.reachable(0, 1));
    }
}
