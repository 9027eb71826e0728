//! Faults and adversaries: `crashes`, `adversaries` and `partitions`
//! validated into their specs.
//!
//! Imports: `sim/`, `scenario/` (types, fields, raw).

use super::fields::{finite_nonneg, node_id, seconds};
use super::groups::members;
use super::raw::*;
use super::types::{
    invalid, AdversaryKind, AdversarySpec, CrashSpec, Cut, GroupSpec, Invalid, PartitionSpec,
};
use crate::sim::message::GroupId;
use crate::sim::time::SimTime;

pub(super) fn crashes(raw: &[RawCrash], n: u32) -> Result<Vec<CrashSpec>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, c) in raw.iter().enumerate() {
        let path = format!("crashes[{i}]");
        let nodes = members(&format!("{path}.nodes"), &c.nodes, n)?;
        let at = match c.at_s {
            Some(t) => Some(seconds(&format!("{path}.at_s"), t, true)?),
            None => None,
        };
        let rate = match c.rate_per_hour {
            Some(r) => finite_nonneg(&format!("{path}.rate_per_hour"), r)?,
            None => 0.0,
        };
        if at.is_none() == (rate == 0.0) {
            return invalid(
                path,
                "expected either `at_s` (a scheduled crash) or a `rate_per_hour` > 0",
            );
        }
        let volatile = c.state == RawCrashState::Volatile;
        let down = seconds(&format!("{path}.down_s"), c.down_s, false)?;
        out.push(CrashSpec {
            nodes,
            at,
            rate_per_hour: rate,
            down,
            volatile,
        });
    }
    Ok(out)
}

pub(super) fn adversaries(
    raw: &[RawAdversary],
    groups: &[GroupSpec],
    n: u32,
) -> Result<Vec<AdversarySpec>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    let by_name = super::groups::by_name(groups);
    for (i, a) in raw.iter().enumerate() {
        let path = format!("adversaries[{i}]");
        let kind = match a.kind {
            RawAdversaryKind::Hole => AdversaryKind::Hole,
            RawAdversaryKind::Spam => AdversaryKind::Spam,
            RawAdversaryKind::Inject => AdversaryKind::Inject,
        };
        let node = node_id(&format!("{path}.node"), a.node, n)?;
        let Some(&g) = by_name.get(a.group.as_str()) else {
            return invalid(
                format!("{path}.group"),
                format!("no group is named {:?}", a.group),
            );
        };
        let member = groups[g].members.binary_search(&node).is_ok();
        if member == (kind == AdversaryKind::Inject) {
            let want = if member {
                "a non-member (inject)"
            } else {
                "a member (hole, spam)"
            };
            return invalid(
                format!("{path}.node"),
                format!("node {node} must be {want} of group {:?}", a.group),
            );
        }
        let rate = finite_nonneg(&format!("{path}.rate_per_hour"), a.rate_per_hour)?;
        out.push(AdversarySpec {
            kind,
            node,
            group: g as GroupId,
            rate_per_hour: rate,
        });
    }
    Ok(out)
}

pub(super) fn partitions(
    raw: &[RawPartition],
    n: u32,
    duration: SimTime,
) -> Result<Vec<PartitionSpec>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    for (i, p) in raw.iter().enumerate() {
        let path = format!("partitions[{i}]");
        let at = seconds(&format!("{path}.at_s"), p.at_s, true)?;
        let until = seconds(&format!("{path}.until_s"), p.until_s, false)?;
        if until <= at {
            return invalid(
                format!("{path}.until_s"),
                format!(
                    "expected a heal time after at_s ({}), got {}",
                    p.at_s, p.until_s
                ),
            );
        }
        if at >= duration {
            return invalid(
                format!("{path}.at_s"),
                "expected a start before the end of the run",
            );
        }
        let cut = match (&p.groups, &p.from, &p.to) {
            (Some(sets), None, None) => {
                if sets.is_empty() {
                    return invalid(
                        format!("{path}.groups"),
                        "expected at least one set of nodes",
                    );
                }
                let rest = sets.len() as u32;
                let mut set = vec![rest; n as usize];
                for (k, members_raw) in sets.iter().enumerate() {
                    for id in members(&format!("{path}.groups[{k}]"), members_raw, n)? {
                        if set[id as usize] != rest {
                            return invalid(
                                format!("{path}.groups[{k}]"),
                                format!("node {id} is in two sets"),
                            );
                        }
                        set[id as usize] = k as u32;
                    }
                }
                Cut::Split(set)
            }
            (None, Some(from), Some(to)) => {
                let mut f = vec![false; n as usize];
                let mut t = vec![false; n as usize];
                for id in members(&format!("{path}.from"), from, n)? {
                    f[id as usize] = true;
                }
                for id in members(&format!("{path}.to"), to, n)? {
                    t[id as usize] = true;
                }
                Cut::OneWay { from: f, to: t }
            }
            _ => {
                return invalid(
                    path,
                    "expected either `groups` (a split) or both `from` and `to` (one-way)",
                )
            }
        };
        out.push(PartitionSpec { at, until, cut });
    }
    Ok(out)
}
