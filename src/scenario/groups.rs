//! Groups: `groups` (names, members, rates, sharing) and the member lists
//! (`"all"`, a range or ids) other sections use too. Sharing rules are in
//! `sharing.rs`.
//!
//! Imports: `sim/`, `scenario/` (types, fields, raw, sharing).

use super::fields::{check_name, finite_nonneg, node_id};
use super::raw::*;
use super::sharing;
use super::types::{invalid, GroupSpec, Invalid};
use crate::sim::message::NodeId;

pub(super) fn members(path: &str, raw: &RawMembers, n: u32) -> Result<Vec<NodeId>, Invalid> {
    let ids = match raw {
        RawMembers::Word(w) if w == "all" => (0..n).collect(),
        RawMembers::Word(w) => {
            return invalid(
                path,
                format!("expected \"all\", a list of ids or a range, got {w:?}"),
            )
        }
        RawMembers::Range { from, to } => {
            if from >= to || *to > n {
                return invalid(
                    path,
                    format!("expected a range with from < to <= {n}, got {from}..{to}"),
                );
            }
            (*from..*to).collect()
        }
        RawMembers::List(list) => {
            let mut ids = Vec::with_capacity(list.len());
            for (i, &id) in list.iter().enumerate() {
                ids.push(node_id(&format!("{path}[{i}]"), id, n)?);
            }
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                return invalid(path, format!("node {} is listed twice", w[0]));
            }
            sorted
        }
    };
    Ok(ids)
}

/// Each group's index by its name (look-ups by name are then O(log
/// groups), not a scan).
pub(super) fn by_name(groups: &[GroupSpec]) -> std::collections::BTreeMap<&str, usize> {
    groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.name.as_str(), i))
        .collect()
}

pub(super) fn groups(raw: &[RawGroup], n: u32) -> Result<Vec<GroupSpec>, Invalid> {
    let mut out: Vec<GroupSpec> = Vec::with_capacity(raw.len());
    let mut names = std::collections::BTreeSet::new();
    for (i, g) in raw.iter().enumerate() {
        let path = format!("groups[{i}]");
        check_name(&format!("{path}.name"), &g.name)?;
        // A set of the names: a scan of the groups so far made many groups
        // quadratic.
        if !names.insert(g.name.as_str()) {
            return invalid(
                format!("{path}.name"),
                format!("group name {:?} is used twice", g.name),
            );
        }
        let m = members(&format!("{path}.members"), &g.members, n)?;
        if m.len() < 2 {
            return invalid(format!("{path}.members"), "expected at least 2 members");
        }
        let rate = finite_nonneg(&format!("{path}.rate_per_hour"), g.rate_per_hour)?;
        let sharing = sharing::sharing(&path, &g.sharing, &m, n)?;
        out.push(GroupSpec {
            name: g.name.clone(),
            members: m,
            rate_per_hour: rate,
            wall_clock: g.rate_basis == RawRateBasis::WallClock,
            sharing,
            public: g.public,
        });
    }
    Ok(out)
}
