//! Provenance, the user stories of issue 15 §2: a sweep's identity covers
//! everything that changes a result (resume and merge refuse a mismatch),
//! every result folder says where it came from, a sweep run's "reproduce"
//! line re-runs it alone, and `check` refuses to compare unlike results.

use crate::common::{meshsync, ok};
use crate::workflow::tree;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// Exit code 2 and stderr holding every one of `expected`.
fn refused(o: &Output, expected: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{err}");
    for e in expected {
        assert!(err.contains(e), "expected {e:?} in {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn quickstart() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.json")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A 2-point sweep of the quickstart world for `duration` seconds.
fn write_sweep(dir: &Path, duration: u32) {
    let body = format!(
        r#"{{ "name": "prov", "scenario": {:?},
             "grid": {{ "link.loss": [0.0, 0.2] }},
             "strategies": ["bsp-interactive", "mvds"], "seeds": 2,
             "overrides": {{ "duration_s": {duration} }} }}"#,
        quickstart().to_str().unwrap()
    );
    std::fs::write(dir.join("sweep.json"), body).unwrap();
}

/// The user's report: overrides changed from 6 h to 1 h, the sweep re-run
/// into the same folder: "0 run now, 105 already done", stale numbers kept.
#[test]
fn a_sweep_with_changed_overrides_does_not_resume_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d, 300);
    ok(&meshsync(d, &["sweep", "sweep.json", "--out", "o", "-q"]));
    let before = tree(&d.join("o"));
    let record = std::fs::read(d.join("o/provenance.json")).unwrap();
    write_sweep(d, 200);
    refused(
        &meshsync(d, &["sweep", "sweep.json", "--out", "o"]),
        &[
            "o/sweep.json",
            "holds a different sweep",
            r#"overrides: {"duration_s":300} in the folder, {"duration_s":200} in the sweep file"#,
            "use another --out",
        ],
    );
    assert_eq!(tree(&d.join("o")), before, "nothing in the folder changed");
    assert_eq!(std::fs::read(d.join("o/provenance.json")).unwrap(), record);
    // The same sweep file resumes as before.
    write_sweep(d, 300);
    let out = ok(&meshsync(d, &["sweep", "sweep.json", "--out", "o"]));
    assert!(out.contains("0 run now, 8 already done"), "{out}");
}

/// The scenario file itself changing (a default made explicit with another
/// value) is a different sweep too.
#[test]
fn a_sweep_whose_scenario_changed_does_not_resume_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut scenario = json(&quickstart());
    std::fs::write(d.join("s.json"), scenario.to_string()).unwrap();
    let body = r#"{ "name": "x", "scenario": "s.json", "grid": { "link.loss": [0.0] },
                    "overrides": { "duration_s": 60 } }"#;
    std::fs::write(d.join("sweep.json"), body).unwrap();
    ok(&meshsync(d, &["sweep", "sweep.json", "--out", "o", "-q"]));
    scenario["body_bytes"] = serde_json::json!({ "fixed": 500 });
    std::fs::write(d.join("s.json"), scenario.to_string()).unwrap();
    refused(
        &meshsync(d, &["sweep", "sweep.json", "--out", "o"]),
        &["holds a different sweep", "effective_hash:"],
    );
}

/// The user's report: `merge` of a 6 h shard with a 1 h shard succeeded
/// and mixed them.
#[test]
fn shards_of_different_sweeps_do_not_merge() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d, 300);
    ok(&meshsync(
        d,
        &["sweep", "sweep.json", "--shard", "0/2", "--out", "s0", "-q"],
    ));
    write_sweep(d, 200);
    ok(&meshsync(
        d,
        &["sweep", "sweep.json", "--shard", "1/2", "--out", "s1", "-q"],
    ));
    refused(
        &meshsync(d, &["merge", "s0", "s1", "--out", "m"]),
        &[
            "s1/sweep.json",
            "belongs to a different sweep than s0",
            r#"overrides: {"duration_s":200} here, {"duration_s":300} in s0"#,
        ],
    );
    assert!(!d.join("m").exists(), "nothing written");
}

/// A folder written by another build (here: one that recorded none, as
/// before meshsync recorded its version) is not resumed either.
#[test]
fn a_sweep_folder_of_another_build_is_not_resumed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d, 60);
    ok(&meshsync(d, &["sweep", "sweep.json", "--out", "o", "-q"]));
    let path = d.join("o/sweep.json");
    let mut m = json(&path);
    m["meshsync"] = Value::String("0.0.9 (git 0123456789abcdef0123456789abcdef01234567)".into());
    std::fs::write(&path, m.to_string()).unwrap();
    refused(
        &meshsync(d, &["sweep", "sweep.json", "--out", "o"]),
        &["meshsync: \"0.0.9 (git 0123", "in the folder"],
    );
}

/// Every sweep run records a `meshsync run` line that, run from the sweep
/// folder, re-runs it alone into a folder beside the sweep's (not inside
/// it) and gives the same summary.
#[test]
fn a_sweep_runs_reproduce_line_reruns_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d, 300);
    let out = ok(&meshsync(d, &["sweep", "sweep.json", "--out", "o"]));
    assert!(out.contains("each run alone: cd o && "), "{out}");
    let sweep = d.join("o");
    for k in [0, 7] {
        let run = json(&sweep.join(format!("runs/{k:06}.json")));
        let line = run["reproduce"].as_str().unwrap();
        assert!(
            line.starts_with("meshsync run effective-scenarios/"),
            "{line}"
        );
        let mut args: Vec<&str> = line.split(' ').skip(1).collect();
        let alone = d.join(format!("prov-run-{k:06}"));
        assert!(
            line.ends_with(&format!(" --out ../prov-run-{k:06}")),
            "{line}"
        );
        args.push("-q");
        ok(&meshsync(&sweep, &args));
        assert!(!sweep.join("results").exists(), "nothing inside the sweep");
        assert_eq!(json(&alone.join("summary.json")), run["summary"], "run {k}");
        // The run alone records the same world the sweep recorded.
        let p = json(&alone.join("provenance.json"));
        let point = run["point"].as_u64().unwrap() as usize;
        let effective = json(&sweep.join(format!("effective-scenarios/{point:06}.json")));
        assert_eq!(json(&alone.join("effective-scenario.json")), effective);
        assert_eq!(p["scenario_hash"].as_str().unwrap().len(), 64);
    }
}

/// What a run folder records: the build, the command, where it ran, the
/// effective scenario (every default filled in) and its hash; the same
/// every time the same command runs.
#[test]
fn a_run_folder_says_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = quickstart();
    let args = [
        "run",
        s.to_str().unwrap(),
        "--seed",
        "3",
        "--out",
        "r",
        "-q",
    ];
    ok(&meshsync(d, &args));
    let p = json(&d.join("r/provenance.json"));
    assert_eq!(p["meshsync"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        p["command"],
        format!("meshsync run {} --seed 3 --out r -q", s.display())
    );
    assert_eq!(
        p["working_dir"],
        d.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(
        p["reproduce"],
        format!(
            "meshsync run {} --seed 3 --strategy bsp-interactive",
            s.display()
        )
    );
    let e = json(&d.join("r/effective-scenario.json"));
    // Defaults the file leaves out are filled in.
    assert_eq!(e["transport"]["presence"], "known");
    assert_eq!(e["sync"]["delivery"], "consistent");
    assert_eq!(e["strategy"], "bsp-interactive");
    let first = std::fs::read(d.join("r/provenance.json")).unwrap();
    ok(&meshsync(d, &args));
    assert_eq!(std::fs::read(d.join("r/provenance.json")).unwrap(), first);
    // The effective scenario runs as it is and gives the same summary.
    ok(&meshsync(
        d,
        &[
            "run",
            "r/effective-scenario.json",
            "--seed",
            "3",
            "--out",
            "again",
            "-q",
        ],
    ));
    assert_eq!(
        std::fs::read(d.join("again/summary.json")).unwrap(),
        std::fs::read(d.join("r/summary.json")).unwrap()
    );
    assert_eq!(
        json(&d.join("again/provenance.json"))["scenario_hash"],
        p["scenario_hash"]
    );
}

fn compare(d: &Path, scenario: &Path, out: &str) {
    ok(&meshsync(
        d,
        &[
            "compare",
            scenario.to_str().unwrap(),
            "--strategies",
            "bsp-interactive,mvds",
            "--seeds",
            "2",
            "--out",
            out,
            "-q",
        ],
    ));
}

/// `check` across kinds reported "5 regression(s) (0 metrics checked)";
/// across scenarios, regressions. Both are bad input now.
#[test]
fn check_refuses_unlike_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    compare(d, &quickstart(), "cmp");
    assert!(json(&d.join("cmp/comparison.json"))["scenario_hash"].is_string());
    write_sweep(d, 300);
    ok(&meshsync(d, &["sweep", "sweep.json", "--out", "sw", "-q"]));
    refused(
        &meshsync(d, &["check", "cmp", "--baseline", "sw"]),
        &["cmp/comparison.json is a comparison result and sw/points.json a sweep result"],
    );
    refused(
        &meshsync(d, &["check", "sw", "--baseline", "cmp"]),
        &["is a sweep result", "a comparison result"],
    );
    // Another scenario.
    let churn = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/mobile-churn.json");
    compare(d, &churn, "churn");
    refused(
        &meshsync(d, &["check", "churn", "--baseline", "cmp"]),
        &[
            r#"of scenario "mobile-churn""#,
            r#"of scenario "quickstart""#,
        ],
    );
    // The same name, another world.
    let mut edited = json(&quickstart());
    edited["link"]["loss"] = serde_json::json!(0.3);
    std::fs::write(d.join("edited.json"), edited.to_string()).unwrap();
    compare(d, &d.join("edited.json"), "edited");
    refused(
        &meshsync(d, &["check", "edited", "--baseline", "cmp"]),
        &["simulate different worlds", "regenerate the baseline"],
    );
    // A sweep of another world.
    write_sweep(d, 200);
    ok(&meshsync(d, &["sweep", "sweep.json", "--out", "sw2", "-q"]));
    refused(
        &meshsync(d, &["check", "sw2", "--baseline", "sw"]),
        &["simulate different worlds"],
    );
    // Like results still check.
    compare(d, &quickstart(), "cmp2");
    assert!(ok(&meshsync(d, &["check", "cmp2", "--baseline", "cmp"])).contains("no regression"));
    assert!(ok(&meshsync(d, &["check", "sw", "--baseline", "sw"])).contains("no regression"));
}
