//! Mailservers: `mailservers` validated into a [`MailserverSpec`]: which
//! nodes, which mode (store-forward or sync peer), which groups they serve.
//!
//! Imports: `sim/`, `scenario/` (types, fields, raw).

use super::churn::churn;
use super::fields::seconds;
use super::groups::members;
use super::raw::*;
use super::types::{invalid, GroupSpec, Invalid, MailserverMode, MailserverSpec};
use crate::sim::message::GroupId;
use crate::world::churn::ChurnSpec;

pub(super) fn mailservers(
    raw: &RawMailservers,
    groups: &[GroupSpec],
    n: u32,
    churn_of: &mut [ChurnSpec],
) -> Result<Option<MailserverSpec>, Invalid> {
    let mode = match raw.mode {
        RawMailMode::StoreForward => MailserverMode::StoreForward,
        RawMailMode::SyncPeer => MailserverMode::SyncPeer,
        RawMailMode::Off => return Ok(None),
    };
    let nodes = members("mailservers.nodes", &raw.nodes, n)?;
    if nodes.is_empty() {
        return invalid(
            "mailservers.nodes",
            "expected at least one node (a mailserver mode with no mailserver serves \
             nothing; for none, leave `mailservers` out or set \"mode\": \"off\")",
        );
    }
    // The first group of each node, once (a scan of the groups per
    // mailserver made many of both quadratic).
    let mut group_of: Vec<Option<usize>> = vec![None; n as usize];
    for (gi, g) in groups.iter().enumerate() {
        for &v in &g.members {
            group_of[v as usize].get_or_insert(gi);
        }
    }
    for &m in &nodes {
        if let Some(g) = group_of[m as usize].map(|gi| &groups[gi]) {
            return invalid(
                "mailservers.nodes",
                format!(
                    "node {m} is a member of group {:?}: a mailserver is never a group member",
                    g.name
                ),
            );
        }
    }
    let spec = churn("mailservers.churn", &raw.churn)?;
    for &m in &nodes {
        churn_of[m as usize] = spec.clone();
    }
    let retention = seconds("mailservers.retention_s", raw.retention_s, false)?;
    let query_interval = match raw.query_interval_s {
        None => None,
        Some(q) => Some(seconds("mailservers.query_interval_s", q, false)?),
    };
    let served = match &raw.groups {
        None => (0..groups.len() as GroupId).collect(),
        Some(names) => {
            let by_name = super::groups::by_name(groups);
            let mut ids = Vec::with_capacity(names.len());
            for (i, name) in names.iter().enumerate() {
                match by_name.get(name.as_str()) {
                    Some(&g) => ids.push(g as GroupId),
                    None => {
                        return invalid(
                            format!("mailservers.groups[{i}]"),
                            format!("no group is named {name:?}"),
                        )
                    }
                }
            }
            ids.sort_unstable();
            ids.dedup();
            ids
        }
    };
    Ok(Some(MailserverSpec {
        mode,
        nodes,
        retention,
        query_interval,
        groups: served,
    }))
}
