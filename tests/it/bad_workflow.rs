//! Bad input outside scenario files (issue 25 classes 5, 6 and 8): folders
//! sweep and merge did not make, results check cannot compare, hand-edited
//! run records, charts whose path is a folder, lock files of refused
//! commands. Each is refused with exit code 2, naming the file and field,
//! within 10 s.

use crate::common::{meshsync, ok};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SWEEP: &str = r#"{
  "name": "tiny",
  "scenario": "SCENARIO",
  "grid": { "link.loss": [0.0, 0.2] },
  "strategies": ["bsp-batch"],
  "seeds": 2,
  "overrides": { "duration_s": 120 }
}"#;

fn write_sweep(dir: &Path) {
    let scenario = root().join("scenarios/quickstart.json");
    std::fs::write(
        dir.join("sweep.json"),
        SWEEP.replace("SCENARIO", scenario.to_str().unwrap()),
    )
    .unwrap();
}

/// Runs `args` in `d`, which must be refused (exit 2) within 10 s with
/// every one of `expected` in its error; returns the error.
fn refused(d: &Path, args: &[&str], expected: &[&str]) -> String {
    let t = Instant::now();
    let o: Output = meshsync(d, args);
    let took = t.elapsed();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    for e in expected {
        assert!(err.contains(e), "{args:?}: expected {e:?} in: {err}");
    }
    assert!(took < Duration::from_secs(10), "{args:?} took {took:?}");
    err
}

/// The lock files in `d`.
fn locks(d: &Path) -> Vec<String> {
    std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".meshsync.lock"))
        .collect()
}

#[test]
fn sweep_and_merge_write_only_into_their_own_folders() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d);
    let q = root().join("scenarios/quickstart.json");
    let q = q.to_str().unwrap();
    ok(&meshsync(d, &["run", q, "--out", "a-run", "-q"]));
    std::fs::create_dir(d.join("mine")).unwrap();
    std::fs::write(d.join("mine/notes.txt"), "mine").unwrap();
    std::fs::write(d.join("a-file"), "x").unwrap();
    for (out, expected) in [
        ("a-run", "holds"),
        ("mine", "holds notes.txt, which a sweep does not write"),
        ("a-file", "is not a folder"),
    ] {
        refused(d, &["sweep", "sweep.json", "--out", out], &[out, expected]);
    }
    assert_eq!(
        std::fs::read_to_string(d.join("mine/notes.txt")).unwrap(),
        "mine"
    );
    assert!(!d.join("a-run/sweep.json").exists(), "nothing written");
    // Its own folder (and an empty one) it takes.
    std::fs::create_dir(d.join("empty")).unwrap();
    ok(&meshsync(
        d,
        &["sweep", "sweep.json", "--out", "empty", "-q"],
    ));
    ok(&meshsync(
        d,
        &["sweep", "sweep.json", "--out", "empty", "-q"],
    ));
    for k in 0..2 {
        let shard = format!("{k}/2");
        ok(&meshsync(
            d,
            &[
                "sweep",
                "sweep.json",
                "--shard",
                &shard,
                "--out",
                &format!("s{k}"),
                "-q",
            ],
        ));
    }
    refused(
        d,
        &["merge", "s0", "s1", "--out", "a-run"],
        &["a-run", "which a sweep does not write"],
    );
    refused(
        d,
        &["merge", "s0", "s1", "--out", "mine"],
        &["mine: (root): holds notes.txt"],
    );
    ok(&meshsync(d, &["merge", "s0", "s1", "--out", "merged"]));
    ok(&meshsync(d, &["merge", "s0", "s1", "--out", "merged"]));
    assert!(locks(d).is_empty(), "no lock file stays: {:?}", locks(d));
}

#[test]
fn merge_refuses_hand_edited_and_truncated_runs_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sweep_in_two_shards(d);
    let run = d.join("s0/runs/000000.json");
    let good = std::fs::read_to_string(&run).unwrap();
    let edit = |field: &str, value: serde_json::Value| {
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        v["summary"][field] = value;
        std::fs::write(&run, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    };
    edit("delivery_ratio", serde_json::json!(7.5));
    refused(
        d,
        &["merge", "s0", "s1", "--out", "m"],
        &["000000.json: summary.delivery_ratio: expected a value in [0, 1]"],
    );
    edit("delivery_ratio", serde_json::json!(-5));
    refused(
        d,
        &["merge", "s0", "s1", "--out", "m"],
        &["summary.delivery_ratio"],
    );
    edit("deliveries", serde_json::json!(-5));
    refused(
        d,
        &["merge", "s0", "s1", "--out", "m"],
        &["000000.json: summary.deliveries: expected a value >= 0"],
    );
    std::fs::write(&run, &good[..good.len() / 2]).unwrap();
    refused(
        d,
        &["merge", "s0", "s1", "--out", "m"],
        &["000000.json: (root): not a whole run record"],
    );
    assert!(!d.join("m").exists(), "nothing merged");
    assert!(locks(d).is_empty(), "{:?}", locks(d));
}

#[test]
fn check_refuses_empty_baselines_and_other_seeds_and_names_strategies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let q = root().join("scenarios/quickstart.json");
    let q = q.to_str().unwrap();
    let compare = |out: &str, strategies: &str, seeds: &str| {
        ok(&meshsync(
            d,
            &[
                "compare",
                q,
                "--strategies",
                strategies,
                "--seeds",
                seeds,
                "--out",
                out,
                "-q",
            ],
        ));
    };
    compare("base", "bsp-batch", "2");
    compare("more", "bsp-batch,mvds", "2");
    compare("seeds3", "bsp-batch", "3");
    // A baseline with nothing in it checks nothing: refused.
    let base = d.join("base/comparison.json");
    let text = std::fs::read_to_string(&base).unwrap();
    let mut empty: serde_json::Value = serde_json::from_str(&text).unwrap();
    empty["strategies"] = serde_json::json!([]);
    empty["metrics"] = serde_json::json!([]);
    std::fs::create_dir(d.join("empty")).unwrap();
    std::fs::write(
        d.join("empty/comparison.json"),
        serde_json::to_string(&empty).unwrap(),
    )
    .unwrap();
    refused(
        d,
        &["check", "base", "--baseline", "empty"],
        &[
            "empty/comparison.json: nothing to check",
            "0 metrics checked",
        ],
    );
    // `"metrics": []` with strategies: the metric is named missing.
    empty["strategies"] = serde_json::json!(["bsp-batch"]);
    std::fs::write(
        d.join("empty/comparison.json"),
        serde_json::to_string(&empty).unwrap(),
    )
    .unwrap();
    refused(
        d,
        &["check", "base", "--baseline", "empty"],
        &["bsp-batch has no delivery_ratio"],
    );
    // Other seeds: named, refused.
    refused(
        d,
        &["check", "seeds3", "--baseline", "base"],
        &["ran different seeds (seeds: 1-3 here, 1-2 in the baseline)"],
    );
    // A strategy only the current result has is named; one only the
    // baseline has is a regression.
    let out = ok(&meshsync(d, &["check", "more", "--baseline", "base"]));
    assert!(
        out.contains("note: strategies: mvds in") && out.contains("not checked"),
        "{out}"
    );
    let o = meshsync(d, &["check", "base", "--baseline", "more"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("mvds: missing from the current result"));
}

#[test]
fn plot_refuses_a_chart_path_that_is_a_folder_and_titles_by_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let q = root().join("scenarios/quickstart.json");
    ok(&meshsync(
        d,
        &["run", q.to_str().unwrap(), "--out", "r", "-q"],
    ));
    std::fs::remove_file(d.join("r/latency_cdf.png")).unwrap();
    std::fs::create_dir(d.join("r/latency_cdf.png")).unwrap();
    refused(d, &["plot", "r"], &["r/latency_cdf.png: is a folder"]);
    std::fs::remove_dir(d.join("r/latency_cdf.png")).unwrap();
    ok(&meshsync(d, &["plot", "r"]));
    let svg = std::fs::read_to_string(d.join("r/latency_cdf.svg")).unwrap();
    assert!(svg.contains("quickstart"), "titled by the scenario");
}

#[test]
fn refused_commands_leave_no_lock_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d);
    ok(&meshsync(d, &["sweep", "sweep.json", "--out", "sw", "-q"]));
    // Another sweep into it: refused after the lock was taken.
    let other = std::fs::read_to_string(d.join("sweep.json"))
        .unwrap()
        .replace("\"seeds\": 2", "\"seeds\": 3");
    std::fs::write(d.join("other.json"), other).unwrap();
    refused(
        d,
        &["sweep", "other.json", "--out", "sw"],
        &["holds a different sweep"],
    );
    assert!(locks(d).is_empty(), "{:?}", locks(d));
}

/// Flag values that cannot be (issue 25 class 7): each refused naming the
/// flag and what it takes, exit 2.
#[test]
fn flag_values_that_cannot_be_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let q = root().join("scenarios/quickstart.json");
    let q = q.to_str().unwrap();
    refused(
        d,
        &["check", "a", "--baseline", "b", "--tolerance", "-0.1"],
        &["--tolerance", "expected a number >= 0, got \"-0.1\""],
    );
    refused(
        d,
        &[
            "check",
            "a",
            "--baseline",
            "b",
            "--tolerance",
            "latency_p90_s=-1",
        ],
        &["--tolerance"],
    );
    for cmd in ["run", "compare"] {
        refused(
            d,
            &[cmd, q, "--max-memory", "1", "--out", "x"],
            &["--max-memory", "is 1 bytes, less than any run needs", "1G"],
        );
    }
    assert!(!d.join("x").exists());
}

/// Sweep files (class 4 and 7): objects only, grid and override keys the
/// scenario has, and a sweep file given where a scenario goes is named as
/// one; `validate` checks a sweep file and every point.
#[test]
fn sweep_files_are_objects_with_keys_the_scenario_has() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d);
    let good = std::fs::read_to_string(d.join("sweep.json")).unwrap();
    let out = ok(&meshsync(d, &["validate", "sweep.json"]));
    assert!(
        out.contains("sweep.json: ok, a sweep file (2 points x 1 strategies x 2 seeds = 4 runs"),
        "{out}"
    );
    refused(
        d,
        &["run", "sweep.json", "--out", "r"],
        &[
            "sweep.json: (root): this is a sweep file",
            "meshsync validate sweep.json",
        ],
    );
    let cases = [
        (
            good.replace("\"link.loss\"", "\"churn.nonexistent\""),
            "grid.\"churn.nonexistent\": no such field: the scenario has no `nonexistent` under `churn`",
        ),
        (
            good.replace("\"link.loss\"", "\"groups[0].colour\""),
            "grid.\"groups[0].colour\": no such field: the scenario has no `colour` under `groups[0]`",
        ),
        (
            good.replace("\"duration_s\": 120", "\"link.speed\": 120"),
            "overrides.\"link.speed\": no such field: the scenario has no `speed` under `link`",
        ),
        (
            good.replace("\"overrides\": { \"duration_s\": 120 }", "\"overrides\": [120]"),
            "sweep.json: overrides: expected an object",
        ),
        (
            good.replace("\"grid\": { \"link.loss\": [0.0, 0.2] }", "\"grid\": [[0.0, 0.2]]"),
            "sweep.json: grid: expected an object",
        ),
        (
            format!("[{}]", good),
            "sweep.json: (root): expected an object",
        ),
        (
            // A grid value that is an array where the scenario has an
            // object: named by the point's scenario path.
            good.replace("\"link.loss\": [0.0, 0.2]", "\"link\": [[{\"fixed\": 5}]]"),
            "link: expected an object",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(d.join("sweep.json"), &text).unwrap();
        refused(d, &["validate", "sweep.json"], &[expected]);
        refused(d, &["sweep", "sweep.json", "--out", "o"], &[expected]);
        assert!(!d.join("o").exists(), "{text}");
    }
}

/// Result files read back (class 4): a struct written as an array is
/// refused naming its file and path, never read by position.
#[test]
fn result_files_with_arrays_for_objects_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let q = root().join("scenarios/quickstart.json");
    let q = q.to_str().unwrap();
    ok(&meshsync(
        d,
        &[
            "compare",
            q,
            "--strategies",
            "bsp-batch",
            "--seeds",
            "1",
            "--out",
            "base",
            "-q",
        ],
    ));
    ok(&meshsync(
        d,
        &[
            "compare",
            q,
            "--strategies",
            "bsp-batch",
            "--seeds",
            "1",
            "--out",
            "cur",
            "-q",
        ],
    ));
    // The baseline's top level as the list of its values.
    let file = d.join("base/comparison.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let values: Vec<serde_json::Value> = v.as_object().unwrap().values().cloned().collect();
    std::fs::write(&file, serde_json::to_string(&values).unwrap()).unwrap();
    refused(
        d,
        &["check", "cur", "--baseline", "base"],
        &["base/comparison.json: (root): expected an object"],
    );
    refused(
        d,
        &["plot", "base"],
        &["base/comparison.json: not a meshsync comparison: (root): expected an object"],
    );
    // A sweep shard's run record whose summary is a list of its values.
    sweep_in_two_shards(d);
    let run = d.join("s0/runs/000000.json");
    let mut r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&run).unwrap()).unwrap();
    let summary: Vec<serde_json::Value> = r["summary"]
        .as_object()
        .unwrap()
        .values()
        .cloned()
        .collect();
    r["summary"] = serde_json::Value::Array(summary);
    std::fs::write(&run, serde_json::to_string(&r).unwrap()).unwrap();
    refused(
        d,
        &["merge", "s0", "s1", "--out", "m"],
        &["000000.json", "summary: expected an object"],
    );
    // A missing run names the shard folder that should hold it.
    std::fs::remove_file(&run).unwrap();
    refused(
        d,
        &["merge", "s0", "s1", "--out", "m"],
        &["1 of 4 runs are missing (0): run 0 belongs to shard 0/2, whose folder s0 does not have it"],
    );
    refused(
        d,
        &["merge", "s1", "--out", "m"],
        &["run 0 is in none of the folders given (s1 is 1/2)"],
    );
    assert!(!d.join("m").exists());
}

/// Small workflow lines (class 8): the reproduce line keeps
/// `--deliveries`, compare's "wrote" line names every file it wrote.
#[test]
fn reproduce_and_wrote_lines_say_everything() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let q = root().join("scenarios/quickstart.json");
    let q = q.to_str().unwrap();
    for mode in ["all", "none"] {
        let out = ok(&meshsync(
            d,
            &["run", q, "--out", mode, "--deliveries", mode],
        ));
        let line = format!("--strategy bsp-interactive --deliveries {mode}\n");
        assert!(out.contains(&line), "{out}");
        let p = std::fs::read_to_string(d.join(mode).join("provenance.json")).unwrap();
        assert!(p.contains(&format!("--deliveries {mode}\"")), "{p}");
    }
    let out = ok(&meshsync(
        d,
        &[
            "compare",
            q,
            "--strategies",
            "bsp-batch",
            "--seeds",
            "1",
            "--out",
            "c",
        ],
    ));
    let wrote = out.lines().find(|l| l.starts_with("wrote ")).unwrap();
    for f in std::fs::read_dir(d.join("c")).unwrap() {
        let name = f.unwrap().file_name().to_string_lossy().into_owned();
        let stem = name.split('.').next().unwrap().to_string();
        assert!(wrote.contains(&stem), "{name} not in: {wrote}");
    }
}

/// Writes the sweep file and runs it as two shards into `s0` and `s1`.
fn sweep_in_two_shards(d: &std::path::Path) {
    write_sweep(d);
    for k in 0..2 {
        let shard = format!("{k}/2");
        let out = format!("s{k}");
        ok(&meshsync(
            d,
            &[
                "sweep",
                "sweep.json",
                "--shard",
                &shard,
                "--out",
                &out,
                "-q",
            ],
        ));
    }
}
