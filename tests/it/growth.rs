//! Work grows near-linearly with every input size (issue 25 class 2):
//! long contact traces, long message-event files, many partitions, many
//! groups, many mailservers, many scripted messages, long churn schedules.
//! Each world is validated and run at a size that takes at least 0.2 s
//! and at 4x that size; 4x the input must take under 10x the time (a
//! quadratic path takes 16x). The fastest of two tries of each size is
//! kept, so a busy machine slows both alike rather than one.

use meshsync::engine::{run_in, Registry};
use meshsync::scenario::Scenario;
use std::path::Path;
use std::time::{Duration, Instant};

/// The scenario JSON of world `kind` at size `k`, writing any trace file
/// it names into `dir`.
fn world(kind: &str, k: usize, dir: &Path) -> String {
    let head = r#""name": "growth", "strategy": "bsp-interactive""#;
    match kind {
        "contact-trace" => {
            let n = 50;
            let mut text = String::new();
            for i in 0..k {
                let (a, b) = (i % n, (i * 7 + 1) % n);
                let b = if a == b { (b + 1) % n } else { b };
                text += &format!("{i}.0 CONN {a} {b} up\n{i}.5 CONN {a} {b} down\n");
            }
            for a in 0..n {
                text += &format!("{k}.0 CONN {a} {} up\n", (a + 1) % n);
            }
            std::fs::write(dir.join(format!("trace-{k}.txt")), text).unwrap();
            format!(
                r#"{{ {head}, "duration_s": {}, "nodes": {n},
                "topology": {{ "kind": "contact-trace", "file": "trace-{k}.txt" }},
                "groups": [ {{ "name": "g", "members": [0, 1], "rate_per_hour": 1 }} ] }}"#,
                k + 10
            )
        }
        "message-events" => {
            let n = 40;
            let mut text = String::new();
            for i in 0..k {
                let (a, b) = (i % n, (i * 3 + 1) % n);
                let b = if a == b { (b + 1) % n } else { b };
                text += &format!("{:.2} C M{i} {a} {b} 100\n", i as f64 * 0.01);
            }
            std::fs::write(dir.join(format!("messages-{k}.txt")), text).unwrap();
            format!(
                r#"{{ {head}, "duration_s": {}, "nodes": {n},
                "one_messages": "messages-{k}.txt" }}"#,
                k as f64 * 0.01 + 10.0
            )
        }
        "partitions" => {
            // A heal a second, and about 200 messages whatever the length
            // (more messages would measure each heal's resync of all of
            // them, which is BSP's and not the partitions').
            let duration = 2 * k + 10;
            let rate = 200.0 / 20.0 / (duration as f64 / 3600.0);
            let parts: Vec<String> = (0..k)
                .map(|i| {
                    format!(
                        r#"{{ "at_s": {}, "until_s": {}, "groups": [ {{ "from": 0, "to": 10 }} ] }}"#,
                        2 * i + 1,
                        2 * i + 2
                    )
                })
                .collect();
            format!(
                r#"{{ {head}, "duration_s": {duration}, "nodes": 20,
                "groups": [ {{ "name": "g", "members": "all", "rate_per_hour": {rate:.6} }} ],
                "partitions": [{}] }}"#,
                parts.join(", ")
            )
        }
        "groups" => {
            let n = 2000;
            let groups: Vec<String> = (0..k)
                .map(|i| {
                    let (a, b) = (i % n, (i * 13 + 1) % n);
                    let b = if a == b { (b + 1) % n } else { b };
                    format!(r#"{{ "name": "g{i}", "members": [{a}, {b}], "rate_per_hour": 1 }}"#)
                })
                .collect();
            format!(
                r#"{{ {head}, "duration_s": 600, "nodes": {n}, "groups": [{}] }}"#,
                groups.join(", ")
            )
        }
        "mailservers" => format!(
            r#"{{ {head}, "duration_s": 600, "nodes": {},
            "groups": [ {{ "name": "g", "members": {{ "from": 0, "to": 10 }}, "rate_per_hour": 60 }} ],
            "mailservers": {{ "mode": "store-forward", "nodes": {{ "from": 10, "to": {} }} }} }}"#,
            k + 10,
            k + 10
        ),
        "scripted" => {
            let messages: Vec<String> = (0..k)
                .map(|i| {
                    format!(
                        r#"{{ "at_s": {:.3}, "from": {}, "group": "g" }}"#,
                        i as f64 * 0.01,
                        i % 10
                    )
                })
                .collect();
            format!(
                r#"{{ {head}, "duration_s": {}, "nodes": 10,
                "groups": [ {{ "name": "g", "members": "all" }} ], "messages": [{}] }}"#,
                k as f64 * 0.01 + 10.0,
                messages.join(", ")
            )
        }
        "schedule" => {
            let online: Vec<String> = (0..k)
                .map(|i| format!("[{}.0, {}.5]", 2 * i, 2 * i))
                .collect();
            format!(
                r#"{{ {head}, "duration_s": {}, "nodes": 4,
                "churn": {{ "kind": "schedule", "online": [{}] }},
                "groups": [ {{ "name": "g", "members": "all", "rate_per_hour": 10 }} ] }}"#,
                2 * k + 10,
                online.join(", ")
            )
        }
        other => panic!("no world {other}"),
    }
}

/// The fastest of two validations and runs of `kind` at size `k`.
fn time(registry: &Registry, kind: &str, k: usize, dir: &Path) -> Duration {
    let json = world(kind, k, dir);
    let file = dir.join(format!("{kind}-{k}.json"));
    (0..2)
        .map(|_| {
            let t = Instant::now();
            let s = Scenario::parse(&json, file.to_str().unwrap())
                .unwrap_or_else(|e| panic!("{kind} {k}: {e}"));
            let r = run_in(registry, &s, &s.strategy, s.seed, &|_| {}).unwrap();
            assert!(r.summary.events > 0);
            t.elapsed()
        })
        .min()
        .unwrap()
}

#[test]
fn every_input_size_grows_near_linearly() {
    let registry = Registry::builtin();
    let dir = tempfile::tempdir().unwrap();
    let mut report = Vec::new();
    for (kind, start) in [
        ("contact-trace", 5_000),
        ("message-events", 2_000),
        ("partitions", 200),
        ("groups", 1_000),
        ("mailservers", 10),
        ("scripted", 2_000),
        ("schedule", 5_000),
    ] {
        // The size that takes at least 0.2 s (timing noise is a few ms).
        let mut k = start;
        let mut small = time(&registry, kind, k, dir.path());
        while small < Duration::from_millis(200) && k < start << 10 {
            k *= 2;
            small = time(&registry, kind, k, dir.path());
        }
        let big = time(&registry, kind, 4 * k, dir.path());
        let ratio = big.as_secs_f64() / small.as_secs_f64();
        report.push(format!(
            "{kind}: {k} in {small:.2?}, {} in {big:.2?}: {ratio:.1}x",
            4 * k
        ));
        assert!(ratio < 10.0, "{kind}: not near-linear: {report:#?}");
    }
    println!("{}", report.join("\n"));
}
