//! The real `meshsync` binary: exit codes, messages, files written.

use std::path::Path;
use std::process::Output;

use crate::common::meshsync;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const GOOD: &str = r#"{
  "name": "cli-good", "duration_s": 60, "nodes": 3,
  "groups": [ { "name": "g", "members": "all", "rate_per_hour": 600 } ]
}"#;

/// Runs a bad scenario; asserts exit 2, the message, and no output at all.
fn rejects(json: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.json"), json).unwrap();
    for cmd in ["run", "validate"] {
        let o = meshsync(dir.path(), &[cmd, "bad.json"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{cmd}: {err}");
        assert!(err.contains("bad.json"), "names the file: {err}");
        for e in expected {
            assert!(err.contains(e), "expected {e:?} in: {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(
        !dir.path().join("results").exists(),
        "nothing may be written"
    );
}

#[test]
fn run_writes_summary_and_deliveries() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.json"), GOOD).unwrap();
    let o = meshsync(dir.path(), &["run", "s.json", "--seed", "4"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("deliveries") && out.contains("--seed 4"),
        "{out}"
    );
    let summary =
        std::fs::read_to_string(dir.path().join("results/cli-good/summary.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&summary).unwrap();
    for key in [
        "strategy",
        "seed",
        "nodes",
        "messages_created",
        "deliveries_expected",
        "deliveries",
        "delivery_ratio",
        "latency_mean_s",
        "latency_p50_s",
        "latency_p90_s",
        "latency_p99_s",
        "latency_max_s",
        "bytes_sent_total",
        "bytes_per_delivery",
        "records_sent",
        "duplicate_messages_received",
        "causal_violations",
        "blocked_deliveries",
        "blocked_time_mean_s",
        "undelivered_missing_parents",
        "events",
    ] {
        assert!(v.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(v["seed"], 4);
    for k in ["ack", "message", "offer", "request"] {
        assert!(v["records_sent"].get(k).is_some());
    }
    let csv = std::fs::read_to_string(dir.path().join("results/cli-good/deliveries.csv")).unwrap();
    assert!(csv.starts_with("message,group,sender,recipient,created_s,received_s,delivered_s\n"));
    assert_eq!(
        csv.lines().count() as u64,
        v["deliveries"].as_u64().unwrap() + 1
    );
}

#[test]
fn overrides_strategy_and_output_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.json"), GOOD).unwrap();
    let o = meshsync(
        dir.path(),
        &[
            "run",
            "s.json",
            "--strategy",
            "bsp-interactive",
            "--out",
            "elsewhere",
            "-q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    let summary = std::fs::read_to_string(dir.path().join("elsewhere/summary.json")).unwrap();
    assert!(summary.contains("\"strategy\": \"bsp-interactive\""));
    let bad = meshsync(dir.path(), &["run", "s.json", "--strategy", "flood"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("bsp-batch"),
        "lists the strategies: {}",
        stderr(&bad)
    );
}

#[test]
fn validate_accepts_every_bundled_scenario() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(root.join("scenarios")).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "json") {
            let o = meshsync(root, &["validate", p.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(0), "{}: {}", p.display(), stderr(&o));
            n += 1;
        }
    }
    assert!(n >= 3, "at least three bundled scenarios");
}

#[test]
fn help_is_available_for_each_command() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["run", "--help"], &["validate", "--help"]] {
        let o = meshsync(dir.path(), args);
        assert_eq!(o.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&o.stdout).contains("Usage"));
    }
}

#[test]
fn missing_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let o = meshsync(dir.path(), &["run", "nope.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("nope.json: cannot read"));
}

#[test]
fn empty_file() {
    rejects("", &["(root)", "not valid JSON", "EOF"]);
}

#[test]
fn not_json() {
    rejects("name = quickstart\n", &["(root)", "not valid JSON"]);
}

#[test]
fn missing_field() {
    rejects(
        r#"{ "name": "x", "nodes": 3, "groups": [] }"#,
        &["missing field `duration_s`"],
    );
}

#[test]
fn wrong_type() {
    rejects(
        r#"{ "name": "x", "duration_s": "long", "nodes": 3, "groups": [] }"#,
        &["duration_s", "invalid type: string \"long\", expected f64"],
    );
}

#[test]
fn unknown_field() {
    rejects(
        r#"{ "name": "x", "duration_s": 5, "nodes": 3, "groups": [], "colour": "red" }"#,
        &["unknown field `colour`"],
    );
}

#[test]
fn unknown_nested_field_names_its_path() {
    rejects(
        r#"{ "name": "x", "duration_s": 5, "nodes": 3, "link": { "loss": 0.1, "jitter": 3 },
             "groups": [ { "name": "g", "members": "all" } ] }"#,
        &["link", "unknown field `jitter`"],
    );
}

#[test]
fn negative_rate() {
    rejects(
        r#"{ "name": "x", "duration_s": 5, "nodes": 3,
             "groups": [ { "name": "g", "members": "all", "rate_per_hour": -2 } ] }"#,
        &[
            "groups[0].rate_per_hour",
            "expected a finite number >= 0, got -2",
        ],
    );
}

#[test]
fn member_not_a_node() {
    rejects(
        r#"{ "name": "x", "duration_s": 5, "nodes": 3,
             "groups": [ { "name": "g", "members": [0, 1, 7] } ] }"#,
        &[
            "groups[0].members[2]",
            "node 7 is not a node: expected an id in 0..3",
        ],
    );
}

#[test]
fn loss_above_one() {
    rejects(
        r#"{ "name": "x", "duration_s": 5, "nodes": 3, "link": { "loss": 1.5 },
             "groups": [ { "name": "g", "members": "all" } ] }"#,
        &["link.loss", "expected a probability in [0, 1], got 1.5"],
    );
}

/// A scenario using `trace.txt` (contacts) and `msgs.txt` (The ONE events).
fn rejects_trace(contacts: &str, messages: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("trace.txt"), contacts).unwrap();
    std::fs::write(dir.path().join("msgs.txt"), messages).unwrap();
    let json = r#"{ "name": "t", "duration_s": 100, "nodes": 3,
        "topology": { "kind": "contact-trace", "file": "trace.txt" }, "one_messages": "msgs.txt" }"#;
    std::fs::write(dir.path().join("s.json"), json).unwrap();
    let o = meshsync(dir.path(), &["run", "s.json"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for e in expected {
        assert!(err.contains(e), "expected {e:?} in: {err}");
    }
    assert!(!dir.path().join("results").exists());
}

const GOOD_MSGS: &str = "1 C M1 h0 h1 100\n";
const GOOD_TRACE: &str = "# ok\n1 CONN h0 h1 up\n2 CONN h1 h2 up\n5 CONN h0 h1 down\n";

#[test]
fn trace_unknown_host() {
    rejects_trace(
        "1 CONN h0 h1 up\n2 CONN h1 h7 up\n",
        GOOD_MSGS,
        &["trace.txt:2:", "unknown host \"h7\"", "nodes 0..3"],
    );
}

#[test]
fn trace_time_going_backwards() {
    rejects_trace(
        "1 CONN 0 1 up\n2 CONN 1 2 up\n1.5 CONN 0 1 down\n",
        GOOD_MSGS,
        &["trace.txt:3:", "time goes backwards"],
    );
}

#[test]
fn trace_malformed_line() {
    rejects_trace(
        "1 CONN 0 1 up\n2 CONN 1 2\n",
        GOOD_MSGS,
        &["trace.txt:2:", "expected `<time> CONN <a> <b> up|down`"],
    );
}

#[test]
fn trace_node_never_in_trace() {
    rejects_trace(
        "1 CONN 0 1 up\n",
        GOOD_MSGS,
        &["topology.file", "node 2 never appears in the trace"],
    );
}

#[test]
fn message_events_malformed_and_unknown_host() {
    rejects_trace(
        GOOD_TRACE,
        "1 C M1 h0 h1 100\n2 C M2 h0 h9 100\n",
        &["msgs.txt:2:", "unknown host \"h9\""],
    );
    rejects_trace(
        GOOD_TRACE,
        "1 C M1 h0 h1\n",
        &["msgs.txt:1:", "expected `<time> C <id> <from> <to> <size>"],
    );
}

#[test]
fn missing_trace_file() {
    let dir = tempfile::tempdir().unwrap();
    let json = r#"{ "name": "t", "duration_s": 100, "nodes": 3,
        "topology": { "kind": "contact-trace", "file": "nope.txt" },
        "groups": [ { "name": "g", "members": "all" } ] }"#;
    std::fs::write(dir.path().join("s.json"), json).unwrap();
    let o = meshsync(dir.path(), &["validate", "s.json"]);
    assert_eq!(o.status.code(), Some(2));
    // The scenario, the field and the trace, and the OS's words once.
    assert_eq!(
        stderr(&o),
        "meshsync: error: s.json: topology.file: cannot read nope.txt: \
         No such file or directory (os error 2)\n"
    );
}

#[test]
fn broken_pipe_is_success() {
    // The reader is gone before meshsync writes a byte (`… | head -0`).
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_meshsync"))
        .arg("strategies")
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

#[test]
fn trailing_content_after_the_json_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let json = r#"{ "name": "t", "duration_s": 100, "nodes": 3,
        "groups": [ { "name": "g", "members": "all" } ] } {}"#;
    std::fs::write(dir.path().join("s.json"), json).unwrap();
    let o = meshsync(dir.path(), &["validate", "s.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("s.json: (root): not valid JSON: content after the scenario object: trailing characters at line 2"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_endless_input_is_refused_at_the_size_limit() {
    let o = meshsync(Path::new("."), &["run", "/dev/zero"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        "meshsync: error: /dev/zero: cannot read the file: not a regular file (a FIFO, socket or device): save it to a file first\n"
    );
}

#[test]
fn mailserver_that_is_a_member() {
    rejects(
        r#"{ "name": "x", "duration_s": 5, "nodes": 3,
             "groups": [ { "name": "g", "members": "all" } ],
             "mailservers": { "mode": "store-forward", "nodes": [2] } }"#,
        &["mailservers.nodes", "node 2 is a member of group \"g\""],
    );
}

#[test]
fn partition_with_both_forms() {
    rejects(
        r#"{ "name": "x", "duration_s": 50, "nodes": 3,
             "groups": [ { "name": "g", "members": "all" } ],
             "partitions": [ { "at_s": 1, "until_s": 5, "groups": [[0]], "from": [0], "to": [1] } ] }"#,
        &["partitions[0]", "either `groups`"],
    );
}

/// A sweep file over the bundled quickstart: `fields` are the sweep's
/// fields after `name` and `scenario`.
fn sweep_with(dir: &Path, fields: &str) -> String {
    let quickstart = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.json");
    let json = format!(
        r#"{{ "name": "s", "scenario": {:?}, {fields} }}"#,
        quickstart.display().to_string()
    );
    std::fs::write(dir.join("sweep.json"), json).unwrap();
    "sweep.json".into()
}

// One point, a field the quickstart has (an `online_fraction` set on its
// always-on churn is refused: the variant has no such field).
const ONE_POINT: &str = r#""grid": { "link.loss": [0.05] }"#;

#[test]
fn too_much_or_repeated_work_is_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let many: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
    let grid = format!(r#""grid": {{ "a": [{0}], "b": [{0}] }}"#, many.join(","));
    let seeds = format!(r#"{ONE_POINT}, "seeds": 1000000000000"#);
    let dup = format!(r#"{ONE_POINT}, "strategies": ["mvds", "mvds"]"#);
    let bad_override = format!(r#"{ONE_POINT}, "overrides": {{ "duration_s": -5 }}"#);
    let cases: [(&str, &str); 4] = [
        (
            &seeds,
            "sweep.json: seeds: expected 1 to 100000 seeds, got 1000000000000",
        ),
        (
            &grid,
            "sweep.json: grid: 1000 x 1000 points is more than the 100000 a sweep may have",
        ),
        (&dup, r#"sweep.json: strategies[1]: "mvds" is listed twice"#),
        (
            &bad_override,
            r#"sweep.json: overrides."duration_s": the scenario becomes invalid: duration_s:"#,
        ),
    ];
    for (extra, want) in cases {
        let f = sweep_with(d, extra);
        let o = meshsync(d, &["sweep", &f, "--out", "out"]);
        assert_eq!(o.status.code(), Some(2), "{extra}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{extra}: {}", stderr(&o));
        assert!(!d.join("out").exists(), "{extra}: wrote output");
    }
    let q = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.json");
    let q = q.to_str().unwrap();
    for (args, want) in [
        (
            vec!["compare", q, "--seeds", "18446744073709551615"],
            "--seeds: expected 1 to 10000",
        ),
        (
            vec!["compare", q, "--strategies", "mvds,mvds"],
            r#"--strategies: "mvds" is listed twice"#,
        ),
    ] {
        let o = meshsync(d, &[&args[..], &["--out", "out"]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn more_threads_than_cores_are_clamped_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let f = sweep_with(dir.path(), ONE_POINT);
    let o = meshsync(
        dir.path(),
        &["sweep", &f, "--threads", "100000", "--out", "out"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--threads 100000 is more than the"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn work_too_big_for_the_machine_is_refused_with_an_estimate() {
    let dir = tempfile::tempdir().unwrap();
    // Ten million nodes: 41 GB, and quick (a group of "all" would be
    // refused for its time first: tests/bad-inputs/runaway/).
    let huge = r#"{ "name": "huge", "duration_s": 3600, "nodes": 10000000,
        "groups": [ { "name": "g", "members": [0, 1], "rate_per_hour": 1 } ] }"#;
    std::fs::write(dir.path().join("huge.json"), huge).unwrap();
    let o = meshsync(dir.path(), &["run", "huge.json", "--out", "out"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("huge.json under bsp-interactive: estimated peak memory"),
        "{}",
        stderr(&o)
    );
    assert!(!dir.path().join("out").exists());
    let q = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.json");
    let q = q.to_str().unwrap();
    for args in [
        vec!["run", q, "--max-memory", "1M"],
        vec!["compare", q, "--max-memory", "1M"],
    ] {
        let o = meshsync(dir.path(), &[&args[..], &["--out", "q"]].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("is more than the 1 MB --max-memory"),
            "{}",
            stderr(&o)
        );
    }
    let o = meshsync(
        dir.path(),
        &[
            "run",
            q,
            "--max-memory",
            "1M",
            "--force",
            "-q",
            "--out",
            "q",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = meshsync(dir.path(), &["validate", q]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("estimated size under"));
}

/// A second meshsync writing the folder another one is writing is refused
/// at once (exit 2, naming the folder), and the first one's result is
/// whole; a folder beside it is not held up.
#[test]
fn a_second_writer_of_one_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let long = root.join("scenarios/scale-1k.json");
    let mut first = std::process::Command::new(env!("CARGO_BIN_EXE_meshsync"))
        .args(["run", long.to_str().unwrap(), "-q", "--out", "out"])
        .current_dir(d)
        .spawn()
        .unwrap();
    // The lock is taken before simulating; its staging folder then appears.
    let started = std::time::Instant::now();
    while !std::fs::read_dir(d).unwrap().flatten().any(|e| {
        e.file_name()
            .to_string_lossy()
            .starts_with(".out.meshsync-")
    }) {
        assert!(
            started.elapsed().as_secs() < 60,
            "the first run never began"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let quick = root.join("scenarios/quickstart.json");
    let second = meshsync(d, &["run", quick.to_str().unwrap(), "-q", "--out", "out"]);
    let other = meshsync(d, &["run", quick.to_str().unwrap(), "-q", "--out", "other"]);
    let still_running = first.try_wait().unwrap().is_none();
    first.kill().unwrap();
    first.wait().unwrap();
    if !still_running {
        eprintln!("skipped: the first run ended before the second began");
        return;
    }
    assert_eq!(second.status.code(), Some(2), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("another meshsync is writing results here"),
        "{}",
        stderr(&second)
    );
    assert!(stderr(&second).contains("out"), "{}", stderr(&second));
    assert!(other.status.success(), "{}", stderr(&other));
    // Killed, the first one released the lock: the folder takes results.
    let again = meshsync(d, &["run", quick.to_str().unwrap(), "-q", "--out", "out"]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(d.join("out/summary.json").exists());
}

/// A full disk is an output error (exit 2) naming the file that could not
/// be written, in plain words; nothing half-written is left. Needs a tiny
/// tmpfs (root): skipped, saying so, where it cannot be mounted.
#[test]
fn a_full_disk_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&disk)
        .output();
    if !mounted.as_ref().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot mount a small tmpfs here ({mounted:?})");
        return;
    }
    let quick = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/quickstart.json");
    let out = disk.join("out");
    let o = meshsync(
        dir.path(),
        &[
            "run",
            quick.to_str().unwrap(),
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let left: Vec<_> = std::fs::read_dir(&disk)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let _ = std::process::Command::new("umount").arg(&disk).status();
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{e}");
    assert!(e.contains("No space left on device"), "{e}");
    assert!(e.contains("cannot write") && e.contains(".png"), "{e}");
    assert!(!e.contains("Error("), "no debug dump of the error: {e}");
    assert!(
        left.is_empty(),
        "no half-written set, no lock file: {left:?}"
    );
}
