//! A run killed at any moment leaves each result file complete or absent.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BIG: &str = r#"{ "name": "big", "duration_s": 600, "nodes": 80,
  "groups": [ { "name": "g", "members": "all", "rate_per_hour": 120 } ],
  "strategy": "mailserver-only" }"#;

fn check_complete_or_absent(dir: &Path) -> (bool, bool) {
    let summary = dir.join("summary.json");
    let csv = dir.join("deliveries.csv");
    let mut deliveries = None;
    if summary.exists() {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&summary).unwrap())
                .expect("summary.json is whole");
        deliveries = v["deliveries"].as_u64();
        assert!(deliveries.is_some());
    }
    if csv.exists() {
        let text = std::fs::read_to_string(&csv).unwrap();
        assert!(text.ends_with('\n'), "deliveries.csv is whole");
        let rows = text.lines().count() as u64 - 1;
        if let Some(d) = deliveries {
            assert_eq!(rows, d, "deliveries.csv matches summary.json");
        }
        assert!(rows > 1000);
    }
    for png in [
        "latency_cdf.png",
        "deliveries_over_time.png",
        "bytes_by_record.png",
    ] {
        let p = dir.join(png);
        if p.exists() {
            let bytes = std::fs::read(&p).unwrap();
            assert_eq!(&bytes[1..4], b"PNG");
            assert_eq!(
                &bytes[bytes.len() - 8..bytes.len() - 4],
                b"IEND",
                "{png} is whole"
            );
        }
    }
    (summary.exists(), csv.exists())
}

#[test]
fn killed_runs_leave_complete_files_or_none() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.json"), BIG).unwrap();
    // Time one whole run on this machine, then kill runs at moments spread
    // over 1.5 times that.
    let t0 = std::time::Instant::now();
    let whole = Command::new(env!("CARGO_BIN_EXE_meshsync"))
        .args(["run", "big.json", "-q", "--out", "whole"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(whole.success());
    let run_ms = t0.elapsed().as_millis() as u64;
    check_complete_or_absent(&dir.path().join("whole"));
    let (mut none, mut some) = (0, 0);
    for k in 0..24u64 {
        let out = dir.path().join(format!("out{k}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_meshsync"))
            .args(["run", "big.json", "-q", "--out", out.to_str().unwrap()])
            .current_dir(dir.path())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(run_ms * 3 * k / 2 / 23));
        let _ = child.kill();
        let _ = child.wait();
        match check_complete_or_absent(&out) {
            (false, false) => none += 1,
            _ => some += 1,
        }
    }
    // Early kills leave nothing, late ones whole files; never half a file.
    assert!(
        none > 0,
        "some kills must land before the results are written"
    );
    assert!(some > 0, "and some after");
}

/// The seed of the complete set in `dir`: every file present and whole,
/// `deliveries.csv` matching `summary.json`.
fn whole_set_seed(dir: &Path) -> u64 {
    let (summary, csv) = check_complete_or_absent(dir);
    assert!(summary && csv, "both files of the set are there");
    for f in ["latency_cdf", "deliveries_over_time", "bytes_by_record"] {
        for ext in ["png", "svg"] {
            assert!(dir.join(format!("{f}.{ext}")).exists(), "{f}.{ext}");
        }
    }
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    v["seed"].as_u64().unwrap()
}

#[test]
fn killed_reruns_leave_the_old_set_or_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.json"), BIG).unwrap();
    let run = |seed: &str| {
        Command::new(env!("CARGO_BIN_EXE_meshsync"))
            .args(["run", "big.json", "-q", "--seed", seed, "--out", "out"])
            .current_dir(dir.path())
            .spawn()
            .unwrap()
    };
    let t0 = std::time::Instant::now();
    assert!(run("1").wait().unwrap().success());
    let run_ms = t0.elapsed().as_millis() as u64;
    let mut seeds = std::collections::BTreeSet::new();
    for k in 0..16u64 {
        let mut child = run("2");
        std::thread::sleep(Duration::from_millis(run_ms * 3 * k / 2 / 15));
        let _ = child.kill();
        let _ = child.wait();
        seeds.insert(whole_set_seed(&dir.path().join("out")));
    }
    assert!(seeds.contains(&1), "early kills keep the seed-1 set");
    assert!(run("3").wait().unwrap().success());
    assert_eq!(whole_set_seed(&dir.path().join("out")), 3);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("meshsync"))
        .collect();
    // The lock file stays (removing it would race with a writer taking it).
    assert!(
        left == [".out.meshsync.lock"],
        "a later run removes what killed runs left: {left:?}"
    );
}
