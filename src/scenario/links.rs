//! Links and transport: `transport` (presence, routing), `topology`
//! (static graphs and contact traces), `link` (latency, loss, bandwidth)
//! and `link.one` (The ONE's link model).
//!
//! Imports: `sim/`, `world/` (the specs), `scenario/` (types, fields, raw).

use super::fields::{dist, node_id, read_trace};
use super::raw::*;
use super::types::{invalid, Invalid, Presence, TransportSpec, MAX_DURATION_S};
use crate::sim::time::SimTime;
use crate::world::connectivity::Routing;
use crate::world::network::LinkSpec;
use crate::world::one_link::{OneLinkSpec, SendQueue};
use crate::world::topology::TopologySpec;
use crate::world::trace;
use std::path::Path;

pub(super) fn transport(raw: &RawTransport) -> Result<TransportSpec, Invalid> {
    let presence = match raw.presence {
        RawPresence::Known => Presence::Known,
        RawPresence::Unknown => Presence::Unknown,
    };
    let routing = match raw.routing {
        RawRouting::Direct => Routing::Direct,
        RawRouting::MultiHop => Routing::MultiHop,
    };
    Ok(TransportSpec { presence, routing })
}

pub(super) fn topology(raw: &RawTopology, n: u32, base: &Path) -> Result<TopologySpec, Invalid> {
    Ok(match raw {
        RawTopology::FullMesh => TopologySpec::FullMesh,
        RawTopology::Ring => TopologySpec::Ring,
        RawTopology::ErdosRenyi { p } => {
            if !(0.0..=1.0).contains(p) {
                return invalid(
                    "topology.p",
                    format!("expected a probability in [0, 1], got {p}"),
                );
            }
            TopologySpec::ErdosRenyi { p: *p }
        }
        RawTopology::RandomGeometric { radius } => {
            if !(radius.is_finite() && *radius >= 0.0) {
                return invalid(
                    "topology.radius",
                    format!("expected a radius >= 0, got {radius}"),
                );
            }
            TopologySpec::RandomGeometric { radius: *radius }
        }
        RawTopology::BarabasiAlbert { m } => {
            if *m == 0 || *m >= n {
                return invalid(
                    "topology.m",
                    format!("expected 1 <= m < nodes ({n}), got {m}"),
                );
            }
            TopologySpec::BarabasiAlbert { m: *m }
        }
        RawTopology::ContactTrace { file } => {
            let path = base.join(file);
            let name = path.display().to_string();
            let events = trace::parse_contacts(&read_trace("topology.file", &path)?, &name, n)?;
            let mut seen = vec![false; n as usize];
            for e in &events {
                seen[e.a as usize] = true;
                seen[e.b as usize] = true;
            }
            if let Some(missing) = seen.iter().position(|s| !s) {
                return invalid(
                    "topology.file",
                    format!("node {missing} never appears in the trace {name}: every node must"),
                );
            }
            TopologySpec::Contacts(events)
        }
        RawTopology::Edges { edges } => {
            let mut out = Vec::with_capacity(edges.len());
            for (i, [a, b]) in edges.iter().enumerate() {
                let path = format!("topology.edges[{i}]");
                let a = node_id(&format!("{path}[0]"), *a, n)?;
                let b = node_id(&format!("{path}[1]"), *b, n)?;
                if a == b {
                    return invalid(path, format!("a node cannot link to itself ({a})"));
                }
                out.push((a, b));
            }
            TopologySpec::Edges(out)
        }
    })
}

/// The lowest `link.bandwidth_kbps`: 0.01 kbps (10 bits a second, a
/// 1 KiB payload in under 14 minutes). Below it every payload is in
/// flight for hours (1e-300 kbps: for ever), which no one means.
pub const MIN_BANDWIDTH_KBPS: f64 = 0.01;

pub(super) fn link(raw: &RawLink, duration: SimTime) -> Result<LinkSpec, Invalid> {
    let bandwidth_bps = match raw.bandwidth_kbps {
        None => None,
        Some(b) if b.is_finite() && b >= MIN_BANDWIDTH_KBPS => {
            // A payload of 1 KiB (a BTP frame; most payloads are larger)
            // must cross a link within the run.
            let frame_s = 8.0 * 1024.0 / (b * 1000.0);
            if frame_s >= duration.as_secs_f64() {
                return invalid(
                    "link.bandwidth_kbps",
                    format!(
                        "at {b} kbps a 1 KiB payload takes {frame_s:.0} s, longer than the run \
                         (duration_s {}): nothing would arrive",
                        duration.as_secs_f64()
                    ),
                );
            }
            Some(b * 1000.0)
        }
        Some(b) => {
            return invalid(
                "link.bandwidth_kbps",
                format!(
                    "expected a number >= {MIN_BANDWIDTH_KBPS} (kilobits per second), got {}",
                    if b != 0.0 && b.abs() < 1e-6 {
                        format!("{b:e}")
                    } else {
                        b.to_string()
                    }
                ),
            )
        }
    };
    if !(0.0..=1.0).contains(&raw.loss) {
        return invalid(
            "link.loss",
            format!("expected a probability in [0, 1], got {}", raw.loss),
        );
    }
    if !(0.0..=1.0).contains(&raw.duplicate) {
        return invalid(
            "link.duplicate",
            format!("expected a probability in [0, 1], got {}", raw.duplicate),
        );
    }
    Ok(LinkSpec {
        latency_ms: dist("link.latency_ms", &raw.latency_ms, MAX_DURATION_S * 1000.0)?,
        bandwidth_bps,
        loss: raw.loss,
        overhead_bytes: raw.overhead_bytes,
        duplicate: raw.duplicate,
        one: raw.one.as_ref().map(one_link).transpose()?,
    })
}

/// `link.one`: The ONE's link model for message records.
pub(super) fn one_link(raw: &RawOneLink) -> Result<OneLinkSpec, Invalid> {
    let speed = raw.transmit_bytes_per_s;
    if !(speed.is_finite() && (1.0..=1e15).contains(&speed)) {
        return invalid(
            "link.one.transmit_bytes_per_s",
            format!("expected bytes per second in [1, 1e15], got {speed}"),
        );
    }
    let dt = raw.update_interval_s;
    // At least a millisecond, as churn cycles: a tick visits every host,
    // so a finer grid would make a run of hours take years.
    if !(dt.is_finite() && (1e-3..=3600.0).contains(&dt)) {
        return invalid(
            "link.one.update_interval_s",
            format!("expected seconds in [0.001, 3600], got {dt}"),
        );
    }
    let send_queue = match raw.send_queue.as_str() {
        "random" => SendQueue::Random,
        "fifo" => SendQueue::Fifo,
        other => {
            return invalid(
                "link.one.send_queue",
                format!("expected \"random\" or \"fifo\", got {other:?}"),
            )
        }
    };
    Ok(OneLinkSpec {
        bytes_per_s: speed.round() as u64,
        update_interval: SimTime::from_secs_f64(dt),
        send_queue,
    })
}
