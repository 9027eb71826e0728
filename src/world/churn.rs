//! Node churn: when each node is online.
//!
//! Each node draws its on/off periods from its own `churn[i]` sub-stream, so
//! the schedule is identical whatever strategy runs. Periodic churn puts each
//! node at a uniformly random phase of the cycle; on/off churn starts a node
//! online with probability `mean_on / (mean_on + mean_off)`, part-way through
//! a period (its equilibrium residual), so nodes are phase-shifted even when
//! periods have a fixed length.

use crate::sim::dist::Dist;
use crate::sim::rng::stream;
use crate::sim::time::SimTime;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// When a node is online.
#[derive(Clone, Debug, PartialEq)]
pub enum ChurnSpec {
    /// Always.
    AlwaysOn,
    /// Alternating periods, seconds.
    OnOff {
        /// Online period length.
        on_s: Dist,
        /// Offline period length.
        off_s: Dist,
    },
    /// Online exactly during these `[from, to)` intervals, sorted, disjoint.
    Schedule(Vec<(SimTime, SimTime)>),
    /// `on` out of every `period`, at a per-node random phase.
    Periodic {
        /// Cycle.
        period: SimTime,
        /// Online part of the cycle.
        on: SimTime,
    },
}

impl ChurnSpec {
    /// The expected fraction of `[0, duration)` a node is online.
    pub fn online_fraction(&self, duration: SimTime) -> f64 {
        let d = duration.as_micros().max(1) as f64;
        match self {
            ChurnSpec::AlwaysOn => 1.0,
            ChurnSpec::OnOff { on_s, off_s } => {
                let (on, off) = (on_s.mean().max(0.0), off_s.mean().max(0.0));
                if on + off > 0.0 {
                    on / (on + off)
                } else {
                    1.0
                }
            }
            ChurnSpec::Schedule(iv) => {
                let online: u64 = iv
                    .iter()
                    .map(|&(a, b)| b.min(duration).as_micros().saturating_sub(a.as_micros()))
                    .sum();
                online as f64 / d
            }
            ChurnSpec::Periodic { period, on } => {
                on.as_micros() as f64 / period.as_micros().max(1) as f64
            }
        }
    }

    /// The expected number of times a node goes on- or offline in
    /// `[0, duration)`.
    pub fn transitions(&self, duration: SimTime) -> f64 {
        let secs = duration.as_secs_f64();
        match self {
            ChurnSpec::AlwaysOn => 0.0,
            ChurnSpec::OnOff { on_s, off_s } => 2.0 * secs / (on_s.mean() + off_s.mean()).max(1e-6),
            ChurnSpec::Schedule(iv) => {
                2.0 * iv.iter().filter(|&&(a, _)| a < duration).count() as f64
            }
            ChurnSpec::Periodic { period, on } if on < period => 2.0 * secs / period.as_secs_f64(),
            ChurnSpec::Periodic { .. } => 0.0,
        }
    }
}

/// One node's churn process.
#[derive(Debug)]
pub struct ChurnProcess {
    spec: ChurnSpec,
    rng: ChaCha8Rng,
    /// Schedule churn: index of the next online interval to enter.
    cursor: usize,
}

impl ChurnProcess {
    /// The churn of node `node` in a run seeded with `seed`.
    pub fn new(spec: ChurnSpec, seed: u64, node: u32) -> Self {
        ChurnProcess {
            spec,
            rng: stream(seed, "churn", u64::from(node)),
            cursor: 0,
        }
    }

    /// Initial state: online or not, and when it first changes
    /// (`None`: never).
    pub fn start(&mut self) -> (bool, Option<SimTime>) {
        match &self.spec {
            ChurnSpec::AlwaysOn => (true, None),
            ChurnSpec::Schedule(iv) => match iv.first() {
                None => (false, None),
                Some(&(from, to)) if from == SimTime::ZERO => {
                    self.cursor = 1;
                    (true, Some(to))
                }
                Some(&(from, _)) => (false, Some(from)),
            },
            ChurnSpec::Periodic { period, on } => {
                if on >= period {
                    return (true, None);
                }
                let phase = SimTime(self.rng.random_range(0..period.as_micros()));
                if phase < *on {
                    (true, Some(*on - phase))
                } else {
                    (false, Some(*period - phase))
                }
            }
            ChurnSpec::OnOff { on_s, off_s } => {
                let (on_mean, off_mean) = (on_s.mean(), off_s.mean());
                let online = self.rng.random_bool(on_mean / (on_mean + off_mean));
                let dist = if online { *on_s } else { *off_s };
                let residual = SimTime::from_secs_f64(self.residual(&dist));
                (online, Some(residual.max(SimTime(1))))
            }
        }
    }

    /// Schedule churn: the next online interval's length, or the gap before
    /// it (NEVER once the schedule is over); `cursor` moves on. O(1): a
    /// copy of the schedule per period made long schedules quadratic.
    fn scheduled(iv: &[(SimTime, SimTime)], cursor: &mut usize, online: bool) -> SimTime {
        let Some(&(from, to)) = iv.get(*cursor) else {
            return SimTime::NEVER;
        };
        if online {
            *cursor += 1;
            to - from
        } else {
            let prev_end = cursor.checked_sub(1).map_or(SimTime::ZERO, |k| iv[k].1);
            from - prev_end
        }
    }

    /// The remaining length of the period a node is in at a random instant
    /// (the renewal process's equilibrium residual life): a uniform fraction
    /// of a length-biased period. Fixed periods give a uniform phase;
    /// exponential ones are memoryless, so a fresh draw is exact.
    fn residual(&mut self, dist: &Dist) -> f64 {
        match *dist {
            Dist::Exponential { .. } => dist.sample(&mut self.rng),
            Dist::Fixed(v) => self.rng.random::<f64>() * v,
            Dist::Uniform { max, .. } => loop {
                let x = dist.sample(&mut self.rng);
                // Accept with probability x / max: a length-biased draw.
                if max <= 0.0 || self.rng.random::<f64>() * max <= x {
                    break self.rng.random::<f64>() * x;
                }
            },
        }
    }

    /// Length of the next period in state `online` (never zero, so time
    /// always advances).
    pub fn period(&mut self, online: bool) -> SimTime {
        let d = match &self.spec {
            ChurnSpec::AlwaysOn => return SimTime::NEVER,
            ChurnSpec::Schedule(iv) => return Self::scheduled(iv, &mut self.cursor, online),
            ChurnSpec::Periodic { period, on } => return if online { *on } else { *period - *on },
            ChurnSpec::OnOff { on_s, off_s } => {
                let dist = if online { on_s } else { off_s };
                SimTime::from_secs_f64(dist.sample(&mut self.rng))
            }
        };
        d.max(SimTime(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periodic_online_fraction_holds_over_time() {
        let spec = ChurnSpec::Periodic {
            period: SimTime::from_secs(1800),
            on: SimTime::from_secs(120),
        };
        let mut p = ChurnProcess::new(spec, 9, 0);
        let (mut online, first) = p.start();
        let mut t = first.unwrap();
        let mut on_time = if online { t } else { SimTime::ZERO };
        let end = SimTime::from_secs(1800 * 100);
        while t < end {
            online = !online;
            let d = p.period(online);
            if online {
                on_time = on_time + d;
            }
            t = t + d;
        }
        let frac = on_time.as_secs_f64() / t.as_secs_f64();
        assert!((frac - 120.0 / 1800.0).abs() < 0.002, "fraction {frac}");
    }

    #[test]
    fn on_off_starts_differ_per_node() {
        let spec = ChurnSpec::OnOff {
            on_s: Dist::Exponential { mean: 60.0 },
            off_s: Dist::Exponential { mean: 60.0 },
        };
        let starts: Vec<_> = (0..20)
            .map(|i| ChurnProcess::new(spec.clone(), 1, i).start())
            .collect();
        assert!(starts.iter().any(|s| s.0) && starts.iter().any(|s| !s.0));
    }
}

#[cfg(test)]
mod phase_tests {
    use super::*;

    #[test]
    fn fixed_on_off_periods_are_phase_shifted() {
        let spec = ChurnSpec::OnOff {
            on_s: Dist::Fixed(120.0),
            off_s: Dist::Fixed(1680.0),
        };
        let firsts: Vec<SimTime> = (0..50)
            .map(|i| ChurnProcess::new(spec.clone(), 1, i).start().1.unwrap())
            .collect();
        let mut distinct = firsts.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), firsts.len());
        assert!(firsts.iter().all(|&t| t <= SimTime::from_secs(1680)));
    }
}

#[cfg(test)]
mod schedule_tests {
    use super::*;

    #[test]
    fn schedule_replays_its_intervals() {
        let s = |a: u64, b: u64| (SimTime::from_secs(a), SimTime::from_secs(b));
        for (iv, first) in [
            (vec![s(0, 10), s(20, 30), s(50, 60)], true),
            (vec![s(5, 10), s(20, 30)], false),
        ] {
            let mut p = ChurnProcess::new(ChurnSpec::Schedule(iv.clone()), 1, 0);
            let (online, change) = p.start();
            assert_eq!(online, first);
            let mut t = change.unwrap();
            let mut seen = Vec::new();
            if online {
                seen.push((SimTime::ZERO, t));
            } else {
                let d = p.period(true);
                seen.push((t, t + d));
                t = t + d;
            }
            // Alternate as the engine does: on going down, draw off then on.
            loop {
                let off = p.period(false);
                if off == SimTime::NEVER {
                    break;
                }
                let on = p.period(true);
                seen.push((t + off, t + off + on));
                t = t + off + on;
            }
            assert_eq!(seen, iv);
        }
    }
}
