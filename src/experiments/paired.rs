//! A metric against a baseline, paired by seed: the ratio of the means
//! and the mean difference, each with a 95% confidence interval.
//!
//! The runs of a row and of its baseline with the same seed share their
//! world (the same churn, the same messages written at the same times),
//! so they are paired: seed `i` gives `x_i` (the row) and `b_i` (its
//! baseline); seeds where either has no value are left out.
//!
//! - **Difference** `d̄ = mean(x_i − b_i)`, CI half-width `t(n−1) · s_d / √n`
//!   (Student's t on the paired differences).
//! - **Ratio** `R = x̄ / b̄` (the multiplier: total over total, not a mean
//!   of per-seed ratios, which a seed with a tiny baseline would swamp),
//!   CI half-width by the delta method for a ratio of paired means:
//!   `t(n−1) · s_e / (√n · |b̄|)`, where `e_i = x_i − R·b_i` and `s_e` is
//!   their sample standard deviation. This is the linearisation of `x̄/b̄`
//!   around the means; the pairing enters through `e_i` (a row that moves
//!   with its baseline from seed to seed has small residuals).
//!
//! Deterministic and closed-form: no resampling, so no random stream to
//! fix. With fewer than two pairs the intervals are null; with a baseline
//! mean of 0 the ratio is null.
//!
//! Imports: `experiments::aggregate` (the t quantile).

use super::aggregate::{flatten, t95, RunRecord};
use serde::{Deserialize, Serialize};

/// A metric against its baseline, over the seeds both have.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Seeds paired (both have a value).
    pub n: usize,
    /// Mean of the row over the baseline's mean (null when the baseline's
    /// is 0 or there is no pair).
    pub ratio: Option<f64>,
    /// Half-width of the ratio's 95% CI (delta method; null below two
    /// pairs).
    pub ratio_ci95: Option<f64>,
    /// Mean of the paired differences, row minus baseline.
    pub diff: Option<f64>,
    /// Half-width of the difference's 95% CI (Student's t; null below two
    /// pairs).
    pub diff_ci95: Option<f64>,
}

/// The CSV columns of a [`Paired`].
pub const PAIRED_COLUMNS: [&str; 5] = ["paired_n", "ratio", "ratio_ci95", "diff", "diff_ci95"];

/// [`Paired`] of `pairs` (row value, baseline value), one per seed.
pub fn paired(pairs: &[(f64, f64)]) -> Paired {
    let n = pairs.len();
    if n == 0 {
        return Paired {
            n,
            ratio: None,
            ratio_ci95: None,
            diff: None,
            diff_ci95: None,
        };
    }
    let nf = n as f64;
    let xm = pairs.iter().map(|p| p.0).sum::<f64>() / nf;
    let bm = pairs.iter().map(|p| p.1).sum::<f64>() / nf;
    let dm = pairs.iter().map(|p| p.0 - p.1).sum::<f64>() / nf;
    let ratio = (bm != 0.0).then(|| xm / bm);
    let t = (n >= 2).then(|| t95(n - 1));
    let sd = |dev: &dyn Fn(&(f64, f64)) -> f64| {
        (pairs.iter().map(|p| dev(p).powi(2)).sum::<f64>() / (nf - 1.0)).sqrt()
    };
    let diff_ci95 = t.map(|t| t * sd(&|p| p.0 - p.1 - dm) / nf.sqrt());
    let ratio_ci95 = match (t, ratio) {
        (Some(t), Some(r)) => Some(t * sd(&|p| p.0 - r * p.1) / (nf.sqrt() * bm.abs())),
        _ => None,
    };
    Paired {
        n,
        ratio,
        ratio_ci95,
        diff: Some(dm),
        diff_ci95,
    }
}

/// The pairs of two per-seed value lists: seeds both have a value for.
pub fn pairs(row: &[(u64, Option<f64>)], base: &[(u64, Option<f64>)]) -> Vec<(f64, f64)> {
    row.iter()
        .filter_map(|&(seed, x)| {
            let b = base.iter().find(|(s, _)| *s == seed)?.1?;
            Some((x?, b))
        })
        .collect()
}

/// One run's seed and its flattened metrics.
type SeedMetrics = (u64, Vec<(String, Option<f64>)>);

/// Every metric of `row` (in the order [`super::aggregate::aggregate_runs`]
/// lists them) against `base`, paired by seed.
pub fn vs_baseline(row: &[&RunRecord], base: &[&RunRecord]) -> Vec<(String, Paired)> {
    let flat = |runs: &[&RunRecord]| -> Vec<SeedMetrics> {
        runs.iter().map(|r| (r.seed, flatten(&r.summary))).collect()
    };
    let (rf, bf) = (flat(row), flat(base));
    let mut names: Vec<&String> = Vec::new();
    for (_, f) in &rf {
        for (k, _) in f {
            if !names.contains(&k) {
                names.push(k);
            }
        }
    }
    let values = |runs: &[SeedMetrics], name: &str| -> Vec<(u64, Option<f64>)> {
        runs.iter()
            .map(|(seed, f)| {
                (
                    *seed,
                    f.iter().find(|(k, _)| k == name).and_then(|(_, v)| *v),
                )
            })
            .collect()
    };
    names
        .into_iter()
        .map(|name| {
            let p = paired(&pairs(&values(&rf, name), &values(&bf, name)));
            (name.clone(), p)
        })
        .collect()
}

/// A ratio with three significant digits (`0.000123`, `2.40`, `1234`).
fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !a.is_finite() || a >= 100.0 {
        return super::aggregate::fmt_num(x);
    }
    let decimals = (2 - a.log10().floor() as i32).clamp(0, 12) as usize;
    format!("{x:.decimals$}")
}

/// `ratio ± ci` for tables (`×2.40 ± 1.58`), `-` with no ratio.
pub fn fmt_ratio(p: &Paired) -> String {
    match (p.ratio, p.ratio_ci95) {
        (None, _) => "-".into(),
        (Some(r), None) => format!("×{}", fmt_num(r)),
        (Some(r), Some(c)) => format!("×{} ± {}", fmt_num(r), fmt_num(c)),
    }
}

/// `+diff ± ci` for tables, `-` with no pair.
pub fn fmt_diff(p: &Paired) -> String {
    use super::aggregate::fmt_num;
    match (p.diff, p.diff_ci95) {
        (None, _) => "-".into(),
        (Some(d), None) => format!("{}{}", if d >= 0.0 { "+" } else { "" }, fmt_num(d)),
        (Some(d), Some(c)) => {
            format!(
                "{}{} ± {}",
                if d >= 0.0 { "+" } else { "" },
                fmt_num(d),
                fmt_num(c)
            )
        }
    }
}

/// A [`Paired`] as CSV cells, in [`PAIRED_COLUMNS`] order.
pub fn paired_cells(p: &Paired) -> Vec<String> {
    use crate::output::csv::num;
    vec![
        p.n.to_string(),
        num(p.ratio),
        num(p.ratio_ci95),
        num(p.diff),
        num(p.diff_ci95),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-4, "{a} != {b}");
    }

    /// Three seeds, computed by hand: x = 2, 4, 6 and b = 1, 2, 2.
    /// x̄ = 4, b̄ = 5/3, R = 2.4; e = x − 2.4·b = −0.4, −0.8, 1.2,
    /// s_e² = (0.16 + 0.64 + 1.44) / 2 = 1.12; t(2) = 4.302653;
    /// ratio CI = 4.302653 · √1.12 / (√3 · 5/3) = 1.577378.
    /// d = 1, 2, 4: d̄ = 7/3, s_d² = (16/9 + 1/9 + 25/9) / 2 = 7/3;
    /// diff CI = 4.302653 · √(7/3) / √3 = 3.794588.
    #[test]
    fn ratio_and_difference_by_hand() {
        let p = paired(&[(2.0, 1.0), (4.0, 2.0), (6.0, 2.0)]);
        assert_eq!(p.n, 3);
        close(p.ratio, 2.4);
        close(p.ratio_ci95, 1.577378);
        close(p.diff, 7.0 / 3.0);
        close(p.diff_ci95, 3.794588);
    }

    #[test]
    fn a_row_against_itself_is_one_and_zero_exactly() {
        let p = paired(&[(3.0, 3.0), (5.0, 5.0), (9.5, 9.5)]);
        assert_eq!(p.ratio, Some(1.0));
        assert_eq!(p.ratio_ci95, Some(0.0));
        assert_eq!(p.diff, Some(0.0));
        assert_eq!(p.diff_ci95, Some(0.0));
    }

    #[test]
    fn pairs_by_seed_and_edge_cases() {
        let row = [(1, Some(2.0)), (2, None), (3, Some(6.0))];
        let base = [(3, Some(3.0)), (1, Some(1.0)), (2, Some(5.0))];
        assert_eq!(pairs(&row, &base), vec![(2.0, 1.0), (6.0, 3.0)]);
        let one = paired(&[(2.0, 0.0)]);
        assert_eq!(
            (one.ratio, one.ratio_ci95, one.diff),
            (None, None, Some(2.0))
        );
        assert_eq!(paired(&[]).diff, None);
    }

    #[test]
    fn ratios_keep_three_significant_digits() {
        let p = |r: f64, c: f64| Paired {
            n: 2,
            ratio: Some(r),
            ratio_ci95: Some(c),
            diff: None,
            diff_ci95: None,
        };
        assert_eq!(fmt_ratio(&p(2.4, 1.577378)), "×2.40 ± 1.58");
        assert_eq!(fmt_ratio(&p(0.000123, 0.0000456)), "×0.000123 ± 0.0000456");
        assert_eq!(fmt_ratio(&p(1.0, 0.0)), "×1.00 ± 0");
        assert_eq!(fmt_ratio(&p(1234.4, 150.0)), "×1234 ± 150");
    }
}
