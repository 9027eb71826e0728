//! Scripted messages: `script` (messages at set times) and `one_messages`
//! (a trace of The ONE's message events), with their bodies.
//!
//! Imports: `sim/`, `world/` (trace parsing), `scenario/` (types, fields,
//! raw).

use super::fields::{dist, node_id, read_trace, seconds};
use super::raw::*;
use super::sharing::Sharing;
use super::types::{invalid, GroupSpec, Invalid, Scripted, MAX_BODY_BYTES};
use crate::sim::dist::Dist;
use crate::sim::message::{GroupId, NodeId};
use crate::sim::time::SimTime;
use crate::world::trace;
use std::collections::BTreeMap;
use std::path::Path;

pub(super) fn one_messages(
    path: &Path,
    n: u32,
    duration: SimTime,
    groups: &mut Vec<GroupSpec>,
    script: &mut Vec<Scripted>,
) -> Result<(), Invalid> {
    let file = path.display().to_string();
    let events = trace::parse_messages(&read_trace("one_messages", path)?, &file, n)?;
    // Events past the end are left out (a trace may run longer than the
    // scenario); a file with none inside the run is a mistake in one or the
    // other, named here rather than as a scenario without groups.
    if let Some(first) = events.iter().map(|e| e.at).min() {
        if first >= duration {
            return invalid(
                "one_messages",
                format!(
                    "{file}: all {} message events are at or after the end of the run \
                     (the first at {} s, duration_s {})",
                    events.len(),
                    first.as_secs_f64(),
                    duration.as_secs_f64()
                ),
            );
        }
    }
    let mut pair_group: BTreeMap<(NodeId, NodeId), GroupId> = BTreeMap::new();
    for e in events.into_iter().filter(|e| e.at < duration) {
        let pair = (e.from.min(e.to), e.from.max(e.to));
        let g = *pair_group.entry(pair).or_insert_with(|| {
            groups.push(GroupSpec {
                name: format!("one-{}-{}", pair.0, pair.1),
                members: vec![pair.0, pair.1],
                rate_per_hour: 0.0,
                wall_clock: false,
                sharing: Sharing::All,
                public: false,
            });
            (groups.len() - 1) as GroupId
        });
        script.push(Scripted {
            at: e.at,
            from: e.from,
            group: g,
            body_bytes: Some(e.size),
        });
    }
    script.sort_by_key(|s| s.at);
    Ok(())
}

pub(super) fn script(
    raw: &[RawScripted],
    groups: &[GroupSpec],
    n: u32,
    duration: SimTime,
) -> Result<Vec<Scripted>, Invalid> {
    let mut out = Vec::with_capacity(raw.len());
    let by_name = super::groups::by_name(groups);
    for (i, m) in raw.iter().enumerate() {
        let path = format!("messages[{i}]");
        let at = seconds(&format!("{path}.at_s"), m.at_s, true)?;
        if at >= duration {
            return invalid(
                format!("{path}.at_s"),
                format!(
                    "expected a time before the end of the run ({duration}), got {}",
                    m.at_s
                ),
            );
        }
        let from = node_id(&format!("{path}.from"), m.from, n)?;
        let Some(&g) = by_name.get(m.group.as_str()) else {
            return invalid(
                format!("{path}.group"),
                format!("no group is named {:?}", m.group),
            );
        };
        if groups[g].members.binary_search(&from).is_err() {
            return invalid(
                format!("{path}.from"),
                format!("node {from} is not a member of group {:?}", m.group),
            );
        }
        if let Some(b) = m.body_bytes {
            if f64::from(b) > MAX_BODY_BYTES {
                return invalid(
                    format!("{path}.body_bytes"),
                    format!("expected at most {MAX_BODY_BYTES} bytes, got {b}"),
                );
            }
        }
        out.push(Scripted {
            at,
            from,
            group: g as GroupId,
            body_bytes: m.body_bytes,
        });
    }
    out.sort_by_key(|s| s.at);
    Ok(out)
}

pub(super) fn body(raw: &RawDist) -> Result<Dist, Invalid> {
    dist("body_bytes", raw, MAX_BODY_BYTES)
}
