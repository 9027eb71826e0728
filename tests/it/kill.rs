//! A run killed at any moment leaves each result file complete or absent.
//!
//! The kills land at points the program itself shows, not after a guessed
//! time: once its staging folder exists (made before the simulation, so
//! long before anything is written), once each result file is in that
//! folder, and once the set is in place.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
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

/// The files of a run's set, in the order `run` writes them.
const WRITTEN: [&str; 10] = [
    "summary.json",
    "deliveries.csv",
    "latency_cdf.png",
    "latency_cdf.svg",
    "deliveries_over_time.png",
    "deliveries_over_time.svg",
    "bytes_by_record.png",
    "bytes_by_record.svg",
    "provenance.json",
    "effective-scenario.json",
];

/// The staging folders of target `name` in `dir` (a run's, or one a killed
/// run left).
fn stagings(dir: &Path, name: &str) -> BTreeSet<PathBuf> {
    let prefix = format!(".{name}.meshsync-");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with(&prefix) && !n.ends_with("-old") && p.is_dir()
        })
        .collect()
}

/// Runs `meshsync run big.json --seed SEED --out NAME` in `dir` and kills
/// it as soon as `at` holds of its staging folder (one that was not there
/// before it started). True when the kill landed on a running process.
fn kill_when(dir: &Path, name: &str, seed: &str, at: impl Fn(&Path) -> bool) -> bool {
    let before = stagings(dir, name);
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshsync"))
        .args(["run", "big.json", "-q", "--seed", seed, "--out", name])
        .current_dir(dir)
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let mine = stagings(dir, name)
            .into_iter()
            .find(|s| !before.contains(s));
        if mine.is_some_and(|s| at(&s)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill();
    let _ = child.wait();
    true
}

#[test]
fn killed_runs_leave_complete_files_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("big.json"), BIG).unwrap();
    // Killed as the simulation starts: nothing.
    assert!(kill_when(d, "early", "1", |_| true), "killed while running");
    assert_eq!(check_complete_or_absent(&d.join("early")), (false, false));
    assert!(!d.join("early").exists());
    // Killed once each file is written (or, for the last ones, once the set
    // is moved in): never half a file, never part of a set.
    for f in WRITTEN {
        let name = format!("at-{f}");
        kill_when(d, &name, "1", |s| s.join(f).exists());
        let got = check_complete_or_absent(&d.join(&name));
        assert!(got == (false, false) || got == (true, true), "{f}: {got:?}");
    }
    // Run to the end: the whole set.
    assert!(!kill_when(d, "whole", "1", |_| false));
    assert_eq!(check_complete_or_absent(&d.join("whole")), (true, true));
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
    let d = dir.path();
    std::fs::write(d.join("big.json"), BIG).unwrap();
    let out = d.join("out");
    assert!(
        !kill_when(d, "out", "1", |_| false),
        "seed 1 runs to the end"
    );
    assert_eq!(whole_set_seed(&out), 1);
    // Killed as the simulation starts: the seed-1 set stays.
    assert!(kill_when(d, "out", "2", |_| true), "killed while running");
    assert_eq!(whole_set_seed(&out), 1);
    // Killed once each file of the seed-2 set is written: one set or the
    // other, whole.
    let mut seeds = BTreeSet::new();
    for f in WRITTEN {
        kill_when(d, "out", "2", |s| s.join(f).exists());
        seeds.insert(whole_set_seed(&out));
    }
    assert!(seeds.is_subset(&BTreeSet::from([1, 2])), "{seeds:?}");
    assert!(
        !kill_when(d, "out", "3", |_| false),
        "seed 3 runs to the end"
    );
    assert_eq!(whole_set_seed(&out), 3);
    let left: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("meshsync"))
        .collect();
    // The lock file goes with the process that held it.
    assert!(
        left.is_empty(),
        "a later run removes what killed runs left: {left:?}"
    );
}
