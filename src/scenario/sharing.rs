//! Who shares a group with whom (`groups[].sharing`).
//!
//! In Briar, "peers that are members of a group do not necessarily share
//! it": a message is synced only with the contacts the group is visible to
//! (bramble-core `db/DatabaseComponentImpl`: `setGroupVisibility`; the
//! sync records it generates for a contact cover only groups visible to
//! that contact). Which members share with which depends on the client:
//! - a **private group** starts as a star: its creator invites each member
//!   and makes the group visible to each (briar-core
//!   `privategroup/invitation/CreatorProtocolEngine`); two members share it
//!   with each other only once their contact relationship is revealed
//!   (`PeerProtocolEngine`, `PrivateGroupManagerImpl.relationshipRevealed`)
//!   — `{"kind": "star", "creator": c}`, or explicit edges for reveals;
//! - a **forum** or a **blog** is shared by each member with the contacts
//!   they choose (briar-core `sharing/`) — explicit
//!   `{"kind": "edges", "edges": [[a, b], …]}`;
//! - a **private conversation** (a group of two), or a group everyone
//!   shared with everyone — `{"kind": "all"}`, the default.
//!
//! Sharing is a property of the world, not of a strategy: strategies that
//! model Briar (the `bsp-*` ones) sync a group only along its sharing
//! edges; the others ignore it (MVDS as Status runs it sends to every
//! member privately; epidemic routing relays to anyone). Sync-peer
//! mailservers share every group they serve with every member.
//!
//! Imports: `sim/` and the scenario layer.

use super::raw::RawSharing;
use super::{invalid, node_id, Invalid};
use crate::sim::message::NodeId;
use std::collections::BTreeSet;

/// Who shares a group with whom.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Sharing {
    /// Every member with every other (the default).
    #[default]
    All,
    /// The creator with each member, and no one else.
    Star {
        /// The creator.
        creator: NodeId,
    },
    /// Explicit undirected pairs of members, sorted, each `(a, b)` with
    /// `a < b`.
    Edges(Vec<(NodeId, NodeId)>),
}

impl Sharing {
    /// True when `a` and `b` (distinct members) share the group.
    pub fn shares(&self, a: NodeId, b: NodeId) -> bool {
        match self {
            Sharing::All => true,
            Sharing::Star { creator } => a == *creator || b == *creator,
            Sharing::Edges(e) => e.binary_search(&(a.min(b), a.max(b))).is_ok(),
        }
    }

    /// The members `me` shares the group with, sorted (excluding `me`).
    pub fn peers_of(&self, me: NodeId, members: &[NodeId]) -> Vec<NodeId> {
        members
            .iter()
            .copied()
            .filter(|&p| p != me && self.shares(me, p))
            .collect()
    }

    /// The name of the kind (`all`, `star`, `edges`).
    pub fn kind(&self) -> &'static str {
        match self {
            Sharing::All => "all",
            Sharing::Star { .. } => "star",
            Sharing::Edges(_) => "edges",
        }
    }
}

/// Checks `raw` against the group's sorted `members` (`path` is the
/// group's JSON path). Every member must be reachable from every other
/// along sharing edges, or some deliveries could never happen.
pub(super) fn sharing(
    path: &str,
    raw: &RawSharing,
    members: &[NodeId],
    n: u32,
) -> Result<Sharing, Invalid> {
    let is_member = |v: NodeId| members.binary_search(&v).is_ok();
    let s = match raw {
        RawSharing::All => Sharing::All,
        RawSharing::Star { creator } => {
            let p = format!("{path}.sharing.creator");
            let c = match creator {
                Some(c) => node_id(&p, *c, n)?,
                None => members[0],
            };
            if !is_member(c) {
                return invalid(p, format!("node {c} is not a member of the group"));
            }
            Sharing::Star { creator: c }
        }
        RawSharing::Edges { edges } => Sharing::Edges(edge_list(path, edges, members, n)?),
    };
    connected(path, &s, members)?;
    Ok(s)
}

fn edge_list(
    path: &str,
    edges: &[[u32; 2]],
    members: &[NodeId],
    n: u32,
) -> Result<Vec<(NodeId, NodeId)>, Invalid> {
    let mut out = BTreeSet::new();
    for (i, &[a, b]) in edges.iter().enumerate() {
        let p = format!("{path}.sharing.edges[{i}]");
        let (a, b) = (node_id(&p, a, n)?, node_id(&p, b, n)?);
        if let Some(v) = [a, b]
            .into_iter()
            .find(|v| members.binary_search(v).is_err())
        {
            return invalid(p, format!("node {v} is not a member of the group"));
        }
        if a == b {
            return invalid(p, format!("a node cannot share with itself ({a}, {b})"));
        }
        if !out.insert((a.min(b), a.max(b))) {
            return invalid(p, format!("the pair ({a}, {b}) is listed twice"));
        }
    }
    Ok(out.into_iter().collect())
}

/// Rejects a sharing graph that leaves some member unreachable (`all` and
/// `star` always connect every member; edges are walked from the first).
fn connected(path: &str, s: &Sharing, members: &[NodeId]) -> Result<(), Invalid> {
    let Sharing::Edges(edges) = s else {
        return Ok(());
    };
    let rank = |v: NodeId| members.binary_search(&v).expect("edges join members");
    let mut adjacent = vec![Vec::new(); members.len()];
    for &(a, b) in edges {
        adjacent[rank(a)].push(rank(b));
        adjacent[rank(b)].push(rank(a));
    }
    let mut seen = vec![false; members.len()];
    let mut stack = vec![0usize];
    seen[0] = true;
    while let Some(i) = stack.pop() {
        for &j in &adjacent[i] {
            if !seen[j] {
                seen[j] = true;
                stack.push(j);
            }
        }
    }
    match seen.iter().position(|&r| !r) {
        None => Ok(()),
        Some(j) => invalid(
            format!("{path}.sharing"),
            format!(
                "member {} is not reachable from member {} along sharing edges: \
                 its messages could never reach the others",
                members[j], members[0]
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_shares_only_through_the_creator() {
        let s = Sharing::Star { creator: 2 };
        assert_eq!(s.peers_of(2, &[1, 2, 3, 4]), vec![1, 3, 4]);
        assert_eq!(s.peers_of(1, &[1, 2, 3, 4]), vec![2]);
        assert!(!s.shares(1, 3));
    }

    #[test]
    fn edges_are_undirected() {
        let s = Sharing::Edges(vec![(1, 3), (3, 4)]);
        assert!(s.shares(3, 1) && s.shares(1, 3));
        assert_eq!(s.peers_of(3, &[1, 3, 4]), vec![1, 4]);
        assert_eq!(s.peers_of(1, &[1, 3, 4]), vec![3]);
    }

    #[test]
    fn disconnected_sharing_is_rejected() {
        let raw = RawSharing::Edges {
            edges: vec![[0, 1]],
        };
        let Err(Invalid::At(path, message)) = sharing("groups[0]", &raw, &[0, 1, 2], 3) else {
            panic!("a disconnected sharing graph was accepted");
        };
        assert_eq!(path, "groups[0].sharing");
        assert!(message.contains("member 2 is not reachable"), "{message}");
    }
}
