//! The MVDS resend schedule as a parameter (`strategy_config.mvds.resend`,
//! `strategy_config.mvds-vac.resend`): `exponential`, the schedule the
//! sources run (status-go `protocol/datasync/transport.go`
//! `CalculateSendTime`: `epoch + 2^(count-1) · 90 + uniform(0..30)`
//! epochs of 300 ms), the default; or `fixed`, a resend every
//! `interval_s` (plus the same jitter) whatever the count: no backoff, a
//! configuration neither status-go nor vacp2p/mvds runs, for comparison.
//!
//! Imports: `node/` only.

use crate::node::strategy::{positive_seconds, ConfigError};
use crate::sim::time::SimTime;
use serde::{Deserialize, Serialize};

/// When a sent state is sent again (`resend`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(tag = "schedule", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Resend {
    /// status-go's `CalculateSendTime` (default): `2^(count-1) · 27 s`
    /// after a send, plus up to 9 s of jitter.
    #[default]
    Exponential,
    /// Every `interval_s` after a send, plus up to 9 s of jitter, however
    /// often it was sent: a configuration the sources do not run.
    Fixed {
        /// Seconds between sends (at least one 300 ms epoch).
        interval_s: f64,
    },
}

impl Resend {
    /// True for the default (`exponential`), which the effective config
    /// leaves out.
    pub fn is_exponential(&self) -> bool {
        *self == Resend::Exponential
    }

    /// Checks `fixed`'s interval (`path` names the section in errors).
    pub fn validate(&self, path: &str) -> Result<(), ConfigError> {
        if let Resend::Fixed { interval_s } = *self {
            let t = positive_seconds(&format!("{path}.interval_s"), interval_s)?;
            if t < EPOCH {
                return Err(ConfigError::at(
                    format!("{path}.interval_s"),
                    format!("expected at least one 300 ms epoch (0.3), got {interval_s}"),
                ));
            }
        }
        Ok(())
    }

    /// The fixed interval in epochs (`None`: exponential).
    pub fn fixed_epochs(&self) -> Option<u64> {
        match *self {
            Resend::Exponential => None,
            Resend::Fixed { interval_s } => {
                Some((SimTime::from_secs_f64(interval_s).as_micros() / EPOCH.as_micros()).max(1))
            }
        }
    }
}

/// The MVDS epoch (status-go's 300 ms `DatasyncTicker`).
const EPOCH: SimTime = SimTime(300_000);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_intervals_in_epochs_and_their_bounds() {
        assert_eq!(Resend::Exponential.fixed_epochs(), None);
        assert_eq!(Resend::Fixed { interval_s: 30.0 }.fixed_epochs(), Some(100));
        assert!(Resend::Fixed { interval_s: 0.1 }
            .validate("resend")
            .is_err());
        assert!(Resend::Fixed {
            interval_s: f64::NAN
        }
        .validate("resend")
        .is_err());
        assert!(Resend::Fixed { interval_s: 0.3 }.validate("resend").is_ok());
    }
}
