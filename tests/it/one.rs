//! The ONE side by side: meshsync's ONE link model (`link.one`) against
//! The ONE's own `MessageStatsReport` on the Helsinki trace
//! (`tests/data/one-helsinki/`), and `run --report one`.

use crate::common::meshsync;
use meshsync::engine;
use meshsync::output::one_report;
use meshsync::scenario::Scenario;
use std::path::Path;

/// `key: value` lines of a MessageStatsReport, in order (the title line
/// is skipped).
fn parse(text: &str) -> Vec<(String, String)> {
    text.lines()
        .skip(1)
        .map(|l| {
            let (k, v) = l.split_once(": ").expect("key: value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn get(report: &[(String, String)], key: &str) -> f64 {
    let v = &report.iter().find(|(k, _)| k == key).expect(key).1;
    v.parse()
        .unwrap_or_else(|_| panic!("{key}: {v} is a number"))
}

/// meshsync's report for a bundled scenario, as `--report one` writes it.
fn ours(scenario: &str) -> Vec<(String, String)> {
    let path = format!("scenarios/{scenario}.json");
    let s = Scenario::load(Path::new(&path)).unwrap();
    let report = engine::run(&s, s.seed).unwrap();
    parse(&one_report::render(&s.name, &report.one))
}

fn theirs(name: &str) -> Vec<(String, String)> {
    let path = format!("tests/data/one-helsinki/{name}.MessageStatsReport.txt");
    parse(&std::fs::read_to_string(path).unwrap())
}

/// Relative difference of `key`, ours against The ONE's.
fn gap(ours: &[(String, String)], theirs: &[(String, String)], key: &str) -> f64 {
    let (o, t) = (get(ours, key), get(theirs, key));
    (o - t).abs() / t.abs()
}

fn assert_within(ours: &[(String, String)], theirs: &[(String, String)], key: &str, tol: f64) {
    let g = gap(ours, theirs, key);
    assert!(
        g <= tol,
        "{key}: meshsync {} against The ONE's {} ({:.2}% apart, allowed {:.0}%)",
        get(ours, key),
        get(theirs, key),
        g * 100.0,
        tol * 100.0
    );
}

/// The acceptance test of the ONE link model: EpidemicRouter on the
/// Helsinki trace, buffers and TTL that never bind.
#[test]
fn epidemic_reproduces_the_ones_report() {
    let (o, t) = (ours("helsinki-one"), theirs("epidemic-250k"));
    let keys = |r: &[(String, String)]| r.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(keys(&o), keys(&t), "The ONE's keys, in its order");
    assert_eq!(get(&o, "delivered"), get(&t, "delivered"));
    // The ONE at 1000M: the same transfers, the same report.
    assert_eq!(t, theirs("epidemic-1000M"));
    for key in ["relayed", "latency_avg", "latency_med", "hopcount_avg"] {
        assert_within(&o, &t, key, 0.02);
    }
}

/// Without the ONE link model (instant transfers) the same run is an
/// earliest-arrival oracle: several percent faster than The ONE, so the
/// acceptance test above can tell the models apart.
#[test]
fn instant_links_do_not_reproduce_the_one() {
    let (o, t) = (ours("helsinki"), theirs("epidemic-1000M"));
    assert!(
        gap(&o, &t, "latency_avg") > 0.03,
        "{}",
        get(&o, "latency_avg")
    );
    assert!(
        gap(&o, &t, "latency_med") > 0.03,
        "{}",
        get(&o, "latency_med")
    );
}

/// Slow links (contacts end mid-transfer), small buffers and a TTL: the
/// counts agree; latency is within 7% (README: what differs).
#[test]
fn constrained_epidemic_is_close_to_the_ones_report() {
    let (o, t) = (
        ours("helsinki-one-2k"),
        theirs("epidemic-2k-buf200k-ttl180"),
    );
    assert_within(&o, &t, "delivered", 0.01);
    assert_within(&o, &t, "relayed", 0.02);
    assert_within(&o, &t, "dropped", 0.02);
    assert_within(&o, &t, "aborted", 0.10);
    assert_within(&o, &t, "latency_avg", 0.07);
    assert_within(&o, &t, "latency_med", 0.07);
}

#[test]
fn run_writes_the_ones_report_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenario = root.join("scenarios/quickstart.json");
    let out = dir.path().join("q");
    let args = [
        "run",
        scenario.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--report",
        "one",
        "-q",
    ];
    let done = meshsync(dir.path(), &args);
    assert!(done.status.success(), "{done:?}");
    let text = std::fs::read_to_string(out.join("MessageStatsReport.txt")).unwrap();
    assert!(text.starts_with("Message stats for scenario quickstart\nsim_time: 600.0000\n"));
    let r = parse(&text);
    // Definitions: overhead from relayed and delivered; every started
    // message record either arrived or was aborted (nothing in flight at
    // the end of this run).
    let (relayed, delivered) = (get(&r, "relayed"), get(&r, "delivered"));
    let overhead = (relayed - delivered) / delivered;
    assert!((get(&r, "overhead_ratio") - overhead).abs() < 1e-4);
    assert_eq!(get(&r, "started"), relayed + get(&r, "aborted"));
    // Without --report one no such file.
    let plain = dir.path().join("p");
    let args = [
        "run",
        scenario.to_str().unwrap(),
        "--out",
        plain.to_str().unwrap(),
        "-q",
    ];
    assert!(meshsync(dir.path(), &args).status.success());
    assert!(!plain.join("MessageStatsReport.txt").exists());
}
