//! Churn: the default `churn` process and `churn_overrides` per node.
//!
//! Imports: `sim/`, `world/` (the churn spec), `scenario/` (types, fields,
//! groups, raw).

use super::fields::{dist, seconds};
use super::groups::members;
use super::raw::*;
use super::types::{invalid, Invalid, MAX_DURATION_S, MIN_CHURN_PERIOD_S};
use crate::sim::time::SimTime;
use crate::world::churn::ChurnSpec;

pub(super) fn churn(path: &str, raw: &RawChurn) -> Result<ChurnSpec, Invalid> {
    Ok(match raw {
        RawChurn::AlwaysOn => ChurnSpec::AlwaysOn,
        RawChurn::OnOff { on_s, off_s } => {
            let on = dist(&format!("{path}.on_s"), on_s, MAX_DURATION_S)?;
            let off = dist(&format!("{path}.off_s"), off_s, MAX_DURATION_S)?;
            for (field, d) in [("on_s", &on), ("off_s", &off)] {
                if d.mean() < MIN_CHURN_PERIOD_S && !(field == "off_s" && d.mean() == 0.0) {
                    return invalid(
                        format!("{path}.{field}"),
                        format!(
                            "expected periods with a mean of at least {MIN_CHURN_PERIOD_S} s \
                             (shorter ones flood the engine with link changes), got {}",
                            d.mean()
                        ),
                    );
                }
            }
            ChurnSpec::OnOff {
                on_s: on,
                off_s: off,
            }
        }
        RawChurn::Schedule { online } => {
            let mut out: Vec<(SimTime, SimTime)> = Vec::with_capacity(online.len());
            for (i, [from, to]) in online.iter().enumerate() {
                let p = format!("{path}.online[{i}]");
                let (f, t) = (seconds(&p, *from, true)?, seconds(&p, *to, false)?);
                if t <= f {
                    return invalid(p, format!("expected from < to, got [{from}, {to}]"));
                }
                if out.last().is_some_and(|&(_, prev)| f <= prev) {
                    return invalid(
                        p,
                        "expected intervals sorted and apart (each starts after the previous ends)",
                    );
                }
                out.push((f, t));
            }
            ChurnSpec::Schedule(out)
        }
        RawChurn::Periodic {
            period_s,
            online_fraction,
        } => {
            let period = seconds(&format!("{path}.period_s"), *period_s, false)?;
            if period.as_secs_f64() < MIN_CHURN_PERIOD_S {
                return invalid(
                    format!("{path}.period_s"),
                    format!(
                        "expected a period of at least {MIN_CHURN_PERIOD_S} s \
                         (shorter ones flood the engine with link changes), got {period_s}"
                    ),
                );
            }
            if !(*online_fraction > 0.0 && *online_fraction <= 1.0) {
                return invalid(
                    format!("{path}.online_fraction"),
                    format!("expected a fraction in (0, 1], got {online_fraction}"),
                );
            }
            let on = SimTime((period.as_micros() as f64 * online_fraction).round() as u64);
            ChurnSpec::Periodic {
                period,
                on: on.max(SimTime(1)),
            }
        }
    })
}

pub(super) fn churn_per_node(
    default: &RawChurn,
    overrides: &[RawChurnOverride],
    n: u32,
) -> Result<Vec<ChurnSpec>, Invalid> {
    let mut per_node = vec![churn("churn", default)?; n as usize];
    for (i, o) in overrides.iter().enumerate() {
        let path = format!("churn_overrides[{i}]");
        let spec = churn(&format!("{path}.churn"), &o.churn)?;
        for id in members(&format!("{path}.nodes"), &o.nodes, n)? {
            per_node[id as usize] = spec.clone();
        }
    }
    Ok(per_node)
}
