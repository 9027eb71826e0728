//! Field checks every section shares: names, non-negative numbers,
//! seconds, distributions, node ids, trace files; and a JSON path's error.
//!
//! Imports: `sim/`, `scenario/` (types, raw).

use super::raw::*;
use super::types::{invalid, Invalid, ScenarioError, MAX_DURATION_S};
use crate::sim::dist::Dist;
use crate::sim::message::NodeId;
use crate::sim::time::SimTime;
use std::path::Path;

/// Reads the trace file the scenario names at `field`; a failure is blamed
/// on that field.
pub(super) fn read_trace(field: &str, path: &Path) -> Result<String, Invalid> {
    use crate::sim::input::{read_text, MAX_TRACE_BYTES};
    read_text(path, MAX_TRACE_BYTES)
        .or_else(|e| invalid(field, format!("cannot read {}: {e}", path.display())))
}

pub(super) fn path_error(file: &str, path: String, message: String) -> ScenarioError {
    let path = if path.is_empty() || path == "." {
        "(root)".to_string()
    } else {
        path
    };
    ScenarioError::Invalid {
        file: file.to_string(),
        path,
        message,
    }
}

pub(super) fn check_name(path: &str, name: &str) -> Result<(), Invalid> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        invalid(
            path,
            format!("expected a name of letters, digits, '-', '_' or '.', got {name:?}"),
        )
    }
}

pub(super) fn finite_nonneg(path: &str, v: f64) -> Result<f64, Invalid> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        invalid(path, format!("expected a finite number >= 0, got {v}"))
    }
}

pub(super) fn seconds(path: &str, v: f64, zero_ok: bool) -> Result<SimTime, Invalid> {
    let v = finite_nonneg(path, v)?;
    if (!zero_ok && v == 0.0) || v > MAX_DURATION_S {
        let low = if zero_ok { ">= 0" } else { "> 0" };
        return invalid(
            path,
            format!("expected seconds {low} and <= {MAX_DURATION_S}, got {v}"),
        );
    }
    let t = SimTime::from_secs_f64(v);
    // Time is whole microseconds: a positive value that rounds to none would
    // be zero after all (a BSP backoff unit of zero never lets a run end).
    if !zero_ok && t == SimTime::ZERO {
        return invalid(
            path,
            format!("expected at least one microsecond (0.000001 s), got {v}"),
        );
    }
    Ok(t)
}

pub(super) fn dist(path: &str, raw: &RawDist, max: f64) -> Result<Dist, Invalid> {
    let d = match *raw {
        RawDist::Fixed(v) => Dist::Fixed(finite_nonneg(&format!("{path}.fixed"), v)?),
        RawDist::Uniform { min, max } => {
            let lo = finite_nonneg(&format!("{path}.uniform.min"), min)?;
            let hi = finite_nonneg(&format!("{path}.uniform.max"), max)?;
            if hi < lo {
                return invalid(
                    format!("{path}.uniform"),
                    format!("expected min <= max, got {lo} > {hi}"),
                );
            }
            Dist::Uniform { min: lo, max: hi }
        }
        RawDist::Exponential { mean } => {
            let m = finite_nonneg(&format!("{path}.exponential.mean"), mean)?;
            if m == 0.0 {
                return invalid(
                    format!("{path}.exponential.mean"),
                    "expected a mean > 0, got 0",
                );
            }
            Dist::Exponential { mean: m }
        }
    };
    let top = match d {
        Dist::Fixed(v) => v,
        Dist::Uniform { max, .. } => max,
        Dist::Exponential { mean } => mean,
    };
    if top > max {
        return invalid(path, format!("expected values <= {max}, got {top}"));
    }
    Ok(d)
}

pub(crate) fn node_id(path: &str, id: u32, n: u32) -> Result<NodeId, Invalid> {
    if id < n {
        Ok(id)
    } else {
        invalid(
            path,
            format!("node {id} is not a node: expected an id in 0..{n}"),
        )
    }
}
