//! compare, sweep, merge and check: the real binary end to end.

use meshsync::engine::run_with;
use meshsync::engine::Registry;
use meshsync::experiments::compare::compare;
use meshsync::experiments::progress::Unwatched;
use meshsync::scenario::Scenario;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::{meshsync, ok};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, relative path → bytes, except the invocation's
/// `provenance.json` (its command differs between a shard, a merge and
/// another `--threads`; every other file is a function of the inputs).
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n != "provenance.json") {
                let rel = p.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn assert_same_tree(a: &Path, b: &Path) {
    let (ta, tb) = (tree(a), tree(b));
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    for (k, v) in &ta {
        assert!(
            v == &tb[k],
            "{k} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

#[test]
fn compare_gives_every_strategy_the_same_world() {
    for file in ["mobile-churn", "contact-trace", "mailserver-on"] {
        let s = Scenario::load(&root().join(format!("scenarios/{file}.json"))).unwrap();
        let all: Vec<String> = Registry::builtin()
            .names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        let c = compare(&Registry::builtin(), &s, &all, &[1, 2], &Unwatched).unwrap();
        for seed in [1, 2] {
            let hashes: Vec<&str> = c
                .runs
                .iter()
                .filter(|r| r.seed == seed)
                .map(|r| r.summary.world_hash.as_str())
                .collect();
            assert_eq!(hashes.len(), all.len());
            assert!(
                hashes.windows(2).all(|w| w[0] == w[1]),
                "{file} seed {seed}: {hashes:?}"
            );
        }
        if file == "mobile-churn" {
            let worlds: Vec<_> = c.runs.iter().map(|r| &r.summary.world_hash).collect();
            assert_ne!(
                worlds[0], worlds[1],
                "different seeds, different churn and writes"
            );
        }
        // And directly: the same messages, written by the same nodes at the same times.
        let key = |st: &str| -> Vec<_> {
            run_with(&s, st, 1)
                .unwrap()
                .messages
                .iter()
                .map(|m| (m.id, m.group, m.sender, m.created, m.body_len))
                .collect()
        };
        let first = key(&all[0]);
        for st in &all[1..] {
            assert_eq!(key(st), first, "{file}: {st}");
        }
    }
}

const SWEEP: &str = r#"{
  "name": "tiny-sweep",
  "scenario": "SCENARIO",
  "grid": { "link.loss": [0.0, 0.2], "groups[0].rate_per_hour": [30, 60] },
  "strategies": ["bsp-batch", "mailserver-only"],
  "seeds": 2,
  "overrides": { "duration_s": 300 }
}"#;

fn write_sweep(dir: &Path, body: &str) -> PathBuf {
    let scenario = root().join("scenarios/quickstart.json");
    let p = dir.join("sweep.json");
    std::fs::write(&p, body.replace("SCENARIO", scenario.to_str().unwrap())).unwrap();
    p
}

#[test]
fn sweep_is_thread_count_independent_and_shards_merge_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d, SWEEP);
    let one = ok(&meshsync(
        d,
        &["sweep", "sweep.json", "--threads", "1", "--out", "t1"],
    ));
    assert!(
        one.contains("4 points x 2 strategies x 2 seeds = 16 runs; 16 run now"),
        "{one}"
    );
    ok(&meshsync(
        d,
        &["sweep", "sweep.json", "--threads", "2", "--out", "t2"],
    ));
    assert_same_tree(&d.join("t1"), &d.join("t2"));
    for k in 0..3 {
        let shard = format!("{k}/3");
        let out = ok(&meshsync(
            d,
            &[
                "sweep",
                "sweep.json",
                "--shard",
                &shard,
                "--out",
                &format!("s{k}"),
            ],
        ));
        assert!(out.contains("holds part of the sweep"), "{out}");
        assert!(!d.join(format!("s{k}/points.csv")).exists());
    }
    let early = meshsync(d, &["merge", "s0", "s1", "--out", "m"]);
    assert_eq!(
        early.status.code(),
        Some(2),
        "merging an incomplete set fails"
    );
    assert!(String::from_utf8_lossy(&early.stderr).contains("runs are missing"));
    ok(&meshsync(d, &["merge", "s0", "s1", "s2", "--out", "m"]));
    assert_same_tree(&d.join("t1"), &d.join("m"));
    let csv = std::fs::read_to_string(d.join("t1/runs.csv")).unwrap();
    assert_eq!(csv.lines().count(), 17);
    assert!(csv.starts_with("index,point,link.loss,groups[0].rate_per_hour,strategy,seed,"));
}

#[test]
fn interrupted_sweep_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write_sweep(d, SWEEP);
    ok(&meshsync(d, &["sweep", "sweep.json", "--out", "full"]));
    ok(&meshsync(d, &["sweep", "sweep.json", "--out", "cut"]));
    // As if killed: some runs and the final tables are gone.
    for f in [
        "runs/000003.json",
        "runs/000011.json",
        "runs.csv",
        "points.csv",
        "points.json",
    ] {
        std::fs::remove_file(d.join("cut").join(f)).unwrap();
    }
    let out = ok(&meshsync(d, &["sweep", "sweep.json", "--out", "cut"]));
    assert!(out.contains("2 run now, 14 already done"), "{out}");
    assert_same_tree(&d.join("full"), &d.join("cut"));
}

#[test]
fn check_passes_identical_and_fails_doctored_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let scenario = root().join("scenarios/quickstart.json");
    let s = scenario.to_str().unwrap();
    ok(&meshsync(
        d,
        &[
            "compare",
            s,
            "--strategies",
            "bsp-batch,bsp-interactive",
            "--seeds",
            "2",
            "--out",
            "base",
            "-q",
        ],
    ));
    ok(&meshsync(
        d,
        &[
            "compare",
            s,
            "--strategies",
            "bsp-batch,bsp-interactive",
            "--seeds",
            "2",
            "--out",
            "cur",
            "-q",
        ],
    ));
    // A baseline written by an older version lacks newer summary keys: it
    // must still be read.
    let base = d.join("base/comparison.json");
    let mut old: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
    for run in old["runs"].as_array_mut().unwrap() {
        let summary = run["summary"].as_object_mut().unwrap();
        summary.remove("world_hash");
        summary.remove("mailserver_lost");
    }
    std::fs::write(&base, serde_json::to_string(&old).unwrap()).unwrap();
    let same = ok(&meshsync(d, &["check", "cur", "--baseline", "base"]));
    assert!(same.contains("no regression"), "{same}");
    // Doctor the current result: p90 latency of bsp-interactive doubles.
    let path = d.join("cur/comparison.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    for row in v["metrics"].as_array_mut().unwrap() {
        if row["metric"] == "latency_p90_s" {
            let cell = &mut row["by_strategy"][1][1]["mean"];
            *cell = serde_json::json!(cell.as_f64().unwrap() * 2.0);
        }
        if row["metric"] == "delivery_ratio" {
            row["by_strategy"][0][1]["mean"] = serde_json::json!(0.5);
        }
    }
    std::fs::write(&path, serde_json::to_string(&v).unwrap()).unwrap();
    let bad = meshsync(d, &["check", "cur", "--baseline", "base"]);
    assert_eq!(bad.status.code(), Some(1));
    let out = String::from_utf8_lossy(&bad.stdout);
    assert!(out.contains("2 regression(s)"), "{out}");
    assert!(
        out.contains("REGRESSION bsp-interactive latency_p90_s") && out.contains("+100.0%"),
        "{out}"
    );
    assert!(out.contains("REGRESSION bsp-batch delivery_ratio"), "{out}");
    // A generous tolerance lets the latency through, not the ratio.
    let loose = meshsync(
        d,
        &[
            "check",
            "cur",
            "--baseline",
            "base",
            "--tolerance",
            "latency_p90_s=1.5",
        ],
    );
    assert_eq!(loose.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&loose.stdout).contains("1 regression(s)"));
    // A baseline without one of the checked metrics is refused, not
    // half-checked.
    let rows = old["metrics"].as_array_mut().unwrap();
    rows.retain(|r| r["metric"] != "delivered_before_parent");
    std::fs::write(&base, serde_json::to_string(&old).unwrap()).unwrap();
    let lacking = meshsync(d, &["check", "cur", "--baseline", "base"]);
    let err = String::from_utf8_lossy(&lacking.stderr);
    assert_eq!(lacking.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bsp-batch has no delivered_before_parent"),
        "{err}"
    );
}

fn rejects_sweep(body: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    write_sweep(dir.path(), body);
    let o = meshsync(dir.path(), &["sweep", "sweep.json", "--out", "o"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for e in expected {
        assert!(err.contains(e), "expected {e:?} in {err}");
    }
    assert!(!err.contains("panicked"));
    assert!(!dir.path().join("o").exists(), "nothing written");
}

#[test]
fn bad_sweep_files_are_rejected() {
    rejects_sweep(
        &SWEEP.replace("\"link.loss\"", "\"link.lossy\""),
        &[
            "sweep.json: grid.\"link.lossy\": no such field",
            "the scenario has no `lossy` under `link`",
        ],
    );
    rejects_sweep(
        r#"{ "name": "x", "scenario": "SCENARIO", "grid": {} }"#,
        &["grid: expected at least one parameter"],
    );
    // One value is a grid of one (as the schema says), checked as a list's.
    rejects_sweep(
        r#"{ "name": "x", "scenario": "SCENARIO", "grid": { "link.loss": "lots" } }"#,
        &["link.loss = \"lots\"", "invalid type"],
    );
    rejects_sweep(
        r#"{ "name": "x", "scenario": "SCENARIO", "grid": { "link.loss": ["lots"] } }"#,
        &["link.loss = \"lots\"", "invalid type"],
    );
    rejects_sweep(
        r#"{ "name": "x", "scenario": "SCENARIO", "grid": [1] }"#,
        &["sweep.json: grid: expected an object"],
    );
    rejects_sweep(
        r#"{ "name": "x", "scenario": "SCENARIO", "grid": { "link.loss": [0.1] }, "strategies": ["flood"] }"#,
        &["strategies[0]", "unknown strategy"],
    );
    rejects_sweep(
        r#"{ "name": "x", "scenario": "nope.json", "grid": { "a": [1] } }"#,
        &["scenario", "cannot read"],
    );
}

#[test]
fn plot_redraws_every_kind_of_folder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let s = root().join("scenarios/quickstart.json");
    ok(&meshsync(
        d,
        &["run", s.to_str().unwrap(), "--out", "run", "-q"],
    ));
    ok(&meshsync(
        d,
        &[
            "compare",
            s.to_str().unwrap(),
            "--seeds",
            "2",
            "--out",
            "cmp",
            "-q",
        ],
    ));
    for sub in ["run", "cmp"] {
        for f in ["latency_cdf", "deliveries_over_time", "bytes_by_record"] {
            let png = d.join(sub).join(format!("{f}.png"));
            std::fs::remove_file(&png).unwrap();
            assert!(d.join(sub).join(format!("{f}.svg")).exists());
        }
        ok(&meshsync(d, &["plot", sub]));
        assert!(d.join(sub).join("latency_cdf.png").exists());
    }
    let none = meshsync(d, &["plot", "."]);
    assert_eq!(none.status.code(), Some(2));
}

/// Status runs no MVDS in public chats: `compare` says so, in its table's
/// notes and in `comparison.json`, when `mvds` runs a group marked public.
#[test]
fn compare_notes_mvds_in_public_chat() {
    let json = |public: bool| {
        format!(
            r#"{{"name": "pub", "duration_s": 60, "nodes": 3,
            "groups": [{{"name": "square", "members": "all", "public": {public}}}]}}"#
        )
    };
    let s = Scenario::parse(&json(true), "pub.json").unwrap();
    let with = compare(
        &Registry::builtin(),
        &s,
        &["mvds".into(), "bsp-batch".into()],
        &[1],
        &Unwatched,
    )
    .unwrap();
    assert_eq!(with.notes.len(), 1);
    assert!(with.notes[0].contains("square"), "{:?}", with.notes);
    let dir = tempfile::tempdir().unwrap();
    with.write(dir.path(), &Registry::builtin().order())
        .unwrap();
    let written = std::fs::read_to_string(dir.path().join("comparison.json")).unwrap();
    assert!(written.contains("Status does not use MVDS in public chats"));
    let without_mvds = compare(
        &Registry::builtin(),
        &s,
        &["bsp-batch".into()],
        &[1],
        &Unwatched,
    )
    .unwrap();
    assert!(without_mvds.notes.is_empty());
    let private = Scenario::parse(&json(false), "pub.json").unwrap();
    assert!(compare(
        &Registry::builtin(),
        &private,
        &["mvds".into()],
        &[1],
        &Unwatched
    )
    .unwrap()
    .notes
    .is_empty());
}

/// `run` and `compare` show a progress bar by simulated time on a terminal
/// once the work takes over a second, `sweep` shows its bar at once, and
/// nothing is shown when stderr is not a terminal.
#[test]
fn long_work_shows_progress_on_a_terminal_only() {
    let bin = env!("CARGO_BIN_EXE_meshsync");
    let scenarios = concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let plain = std::process::Command::new(bin)
        .args([
            "run",
            &format!("{scenarios}/public-chat.json"),
            "-q",
            "--out",
        ])
        .arg(d.join("plain"))
        .output()
        .unwrap();
    assert!(plain.status.success());
    assert!(plain.stderr.is_empty(), "no bar off a terminal");
    // scale-1k runs for seconds even on a fast machine; so do four runs of
    // public-chat. A sweep of two quickstart runs is quick.
    let sweep = d.join("two.json");
    std::fs::write(
        &sweep,
        format!(
            r#"{{"name": "two", "scenario": "{scenarios}/quickstart.json",
            "grid": {{"duration_s": [60, 120]}}, "strategies": ["bsp-interactive"], "seeds": 1}}"#
        ),
    )
    .unwrap();
    let cases = [
        (
            format!("run {scenarios}/scale-1k.json --out {}", d.join("r").display()),
            "/86400 s simulated",
        ),
        (
            format!(
                "compare {scenarios}/public-chat.json --seeds 2 --strategies bsp-interactive,bsp-batch --out {}",
                d.join("c").display()
            ),
            "/28800 s simulated, ",
        ),
        (
            format!("sweep {} --out {}", sweep.display(), d.join("s").display()),
            "0/180 s simulated, 0/2 runs, ",
        ),
    ];
    for (args, expect) in cases {
        // `script` (util-linux) gives the command a terminal.
        let tty = std::process::Command::new("script")
            .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
            .output();
        // A machine without `script` or pseudo-terminals cannot show a
        // bar: say so rather than fail on the environment.
        let tty = match tty {
            Ok(o) if !String::from_utf8_lossy(&o.stderr).contains("pseudo-terminal") => o,
            other => {
                eprintln!("skipped: no terminal to run under ({other:?})");
                return;
            }
        };
        let text = String::from_utf8_lossy(&tty.stdout);
        assert!(tty.status.success(), "{args}: {text}");
        assert!(text.contains(expect), "{args}: {text}");
        assert!(text.contains("events/s"), "{args}: {text}");
    }
}
