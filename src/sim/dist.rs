//! Probability distributions of scenario quantities (latency, durations,
//! body sizes), sampled from a caller's `ChaCha8Rng` sub-stream.

use rand::Rng;
use rand_distr::{Distribution, Exp};

/// A validated distribution over non-negative reals.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dist {
    /// Always this value.
    Fixed(f64),
    /// Uniform on `[min, max]`.
    Uniform {
        /// Lower bound.
        min: f64,
        /// Upper bound (≥ min).
        max: f64,
    },
    /// Exponential with this mean (> 0).
    Exponential {
        /// Mean value.
        mean: f64,
    },
}

impl Dist {
    /// One draw.
    pub fn sample(&self, rng: &mut impl Rng) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } if max > min => rng.random_range(min..=max),
            Dist::Uniform { min, .. } => min,
            Dist::Exponential { mean } => match Exp::new(1.0 / mean) {
                Ok(exp) => exp.sample(rng),
                Err(_) => mean,
            },
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { min, max } => (min + max) / 2.0,
            Dist::Exponential { mean } => mean,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    #[test]
    fn samples_stay_in_range_and_means_match() {
        let mut rng = stream(1, "dist-test", 0);
        let u = Dist::Uniform { min: 2.0, max: 4.0 };
        let e = Dist::Exponential { mean: 3.0 };
        let n = 20_000;
        let (mut su, mut se) = (0.0, 0.0);
        for _ in 0..n {
            let x = u.sample(&mut rng);
            assert!((2.0..=4.0).contains(&x));
            su += x;
            let y = e.sample(&mut rng);
            assert!(y >= 0.0);
            se += y;
        }
        assert!((su / n as f64 - 3.0).abs() < 0.05);
        assert!((se / n as f64 - 3.0).abs() < 0.15);
        assert_eq!(Dist::Fixed(7.0).sample(&mut rng), 7.0);
    }
}
