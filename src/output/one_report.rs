//! The ONE's `MessageStatsReport` text (`meshsync run --report one`):
//! the same keys in the same order, numbers formatted as The ONE formats
//! them, so the file can be diffed against The ONE's own.
//!
//! Formatting follows `report/Report.java` in `akeranen/the-one`: doubles
//! with `String.format("%.4f")` (Java rounds the shortest decimal
//! representation half-up, and prints `NaN`), averages and medians of an
//! empty list as `NaN`, the integer median of an empty list as `0`, the
//! median as the upper one (`values.get(size / 2)` of the sorted list).
//! meshsync has no request/response messages: `response_prob` is 0 and
//! the round-trip times `NaN`, as The ONE prints them without responses.
//! `sim_time` is the scenario's duration (The ONE prints the clock after
//! its last update, one update interval later).
//!
//! Imports: `report/`.

use crate::report::OneStats;

/// Digits after the point, The ONE's default `precision`.
const PRECISION: usize = 4;

/// The report text for scenario `scenario`.
pub fn render(scenario: &str, s: &OneStats) -> String {
    let delivery_prob = if s.expected > 0 {
        s.delivered as f64 / s.expected as f64
    } else {
        0.0
    };
    let overhead = if s.delivered > 0 {
        (s.relayed as f64 - s.delivered as f64) / s.delivered as f64
    } else {
        f64::NAN
    };
    let hops: Vec<f64> = s.hopcounts.iter().map(|&h| f64::from(h)).collect();
    let mut int_hops = s.hopcounts.clone();
    int_hops.sort_unstable();
    let hop_med = int_hops.get(int_hops.len() / 2).copied().unwrap_or(0);
    let lines = [
        format!("Message stats for scenario {scenario}"),
        format!("sim_time: {}", java_fixed(s.sim_time_s, PRECISION)),
        format!("created: {}", s.created),
        format!("started: {}", s.started),
        format!("relayed: {}", s.relayed),
        format!("aborted: {}", s.aborted),
        format!("dropped: {}", s.dropped),
        format!("removed: {}", s.removed),
        format!("delivered: {}", s.delivered),
        format!("delivery_prob: {}", java_fixed(delivery_prob, PRECISION)),
        format!("response_prob: {}", java_fixed(0.0, PRECISION)),
        format!("overhead_ratio: {}", java_fixed(overhead, PRECISION)),
        format!("latency_avg: {}", average(&s.latencies_s)),
        format!("latency_med: {}", median(&s.latencies_s)),
        format!("hopcount_avg: {}", average(&hops)),
        format!("hopcount_med: {hop_med}"),
        format!("buffertime_avg: {}", average(&s.buffer_times_s)),
        format!("buffertime_med: {}", median(&s.buffer_times_s)),
        "rtt_avg: NaN".to_string(),
        "rtt_med: NaN".to_string(),
    ];
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// `Report.getAverage`.
fn average(values: &[f64]) -> String {
    if values.is_empty() {
        return "NaN".into();
    }
    java_fixed(values.iter().sum::<f64>() / values.len() as f64, PRECISION)
}

/// `Report.getMedian`: the upper median.
fn median(values: &[f64]) -> String {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2)
        .map_or("NaN".into(), |&m| java_fixed(m, PRECISION))
}

/// `String.format("%.<prec>f", x)` as Java prints it: the shortest
/// decimal that reads back as `x`, rounded half-up to `prec` digits.
pub fn java_fixed(x: f64, prec: usize) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    // Shortest round-trip digits and exponent: d.ddddde±x.
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp has an exponent");
    let exp: i64 = exp.parse().expect("an integer exponent");
    let digits: Vec<u8> = mantissa
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect();
    // Digit i has weight 10^(exp - i); keep those with weight >= 10^-prec.
    let keep = exp + 1 + prec as i64; // digits kept, counting from the first
    let mut int_digits: Vec<u8> = if keep <= 0 {
        Vec::new()
    } else {
        (0..keep as usize)
            .map(|i| digits.get(i).copied().unwrap_or(0))
            .collect()
    };
    let round_up = keep >= 0 && digits.get(keep as usize).is_some_and(|&d| d >= 5);
    if round_up {
        let mut i = int_digits.len();
        loop {
            if i == 0 {
                int_digits.insert(0, 1);
                break;
            }
            i -= 1;
            if int_digits[i] == 9 {
                int_digits[i] = 0;
            } else {
                int_digits[i] += 1;
                break;
            }
        }
    }
    // `int_digits` is the value times 10^prec; pad and place the point.
    let mut s: String = int_digits.iter().map(|d| char::from(b'0' + d)).collect();
    if s.len() <= prec {
        s = format!("{}{s}", "0".repeat(prec + 1 - s.len()));
    }
    let (whole, frac) = s.split_at(s.len() - prec);
    let whole = whole.trim_start_matches('0');
    let whole = if whole.is_empty() { "0" } else { whole };
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if prec == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_java() {
        assert_eq!(java_fixed(897.5458, 4), "897.5458");
        assert_eq!(java_fixed(43200.1, 4), "43200.1000");
        assert_eq!(java_fixed(1.0, 4), "1.0000");
        assert_eq!(java_fixed(0.0, 4), "0.0000");
        assert_eq!(java_fixed(124.013, 4), "124.0130");
        assert_eq!(java_fixed(0.15, 1), "0.2", "half-up on the shortest digits");
        assert_eq!(java_fixed(2.5, 0), "3");
        assert_eq!(java_fixed(0.00004, 4), "0.0000");
        assert_eq!(java_fixed(0.00005, 4), "0.0001");
        assert_eq!(java_fixed(9.99995, 4), "10.0000");
        assert_eq!(java_fixed(1e-9, 4), "0.0000");
        assert_eq!(java_fixed(123456789.0, 4), "123456789.0000");
        assert_eq!(java_fixed(-2.25, 1), "-2.3");
        assert_eq!(java_fixed(f64::NAN, 4), "NaN");
    }

    fn stats() -> OneStats {
        OneStats {
            sim_time_s: 43200.0,
            created: 3,
            started: 9,
            relayed: 7,
            aborted: 2,
            delivered: 2,
            expected: 3,
            latencies_s: vec![10.0, 2.5],
            hopcounts: vec![1, 4],
            ..OneStats::default()
        }
    }

    #[test]
    fn report_has_the_one_keys_and_definitions() {
        let text = render("x", &stats());
        let want = "Message stats for scenario x\nsim_time: 43200.0000\ncreated: 3\n\
            started: 9\nrelayed: 7\naborted: 2\ndropped: 0\nremoved: 0\ndelivered: 2\n\
            delivery_prob: 0.6667\nresponse_prob: 0.0000\noverhead_ratio: 2.5000\n\
            latency_avg: 6.2500\nlatency_med: 10.0000\nhopcount_avg: 2.5000\n\
            hopcount_med: 4\nbuffertime_avg: NaN\nbuffertime_med: NaN\n\
            rtt_avg: NaN\nrtt_med: NaN\n";
        assert_eq!(text, want);
    }

    #[test]
    fn nothing_delivered_prints_nan_as_the_one_does() {
        let s = OneStats {
            created: 1,
            expected: 1,
            ..OneStats::default()
        };
        let text = render("y", &s);
        assert!(text.contains("\noverhead_ratio: NaN\n"), "{text}");
        assert!(text.contains("\nlatency_avg: NaN\nlatency_med: NaN\n"));
        assert!(text.contains("\nhopcount_avg: NaN\nhopcount_med: 0\n"));
        assert!(text.contains("\ndelivery_prob: 0.0000\n"));
    }
}
