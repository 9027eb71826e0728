//! What users expect of a command-line tool: the JSON Schema of scenario and
//! sweep files (committed, printed by `meshsync schema`, and every bundled
//! file valid against it), shell completions, man pages, examples and exit
//! codes in `--help`, and the `--deliveries` modes, `runs.csv` identity
//! columns and the comparison's per-run CSV.

use crate::common::meshsync;
use meshsync::cli::{schema_text, SchemaKind};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn committed(kind: &str) -> Value {
    let p = root().join(format!("scenarios/schema/{kind}.schema.json"));
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).expect("a valid JSON Schema")
}

/// Every `*.json` directly in `dir`, sorted.
fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    v.sort();
    v
}

fn errors(v: &jsonschema::Validator, doc: &Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn committed_schemas_are_what_meshsync_schema_prints() {
    for (kind, name) in [
        (SchemaKind::Scenario, "scenario"),
        (SchemaKind::Sweep, "sweep"),
    ] {
        let path = root().join(format!("scenarios/schema/{name}.schema.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            schema_text(kind, &meshsync::engine::Registry::builtin()).unwrap(),
            "{} is stale: regenerate with `meshsync schema {name} > {}`",
            path.display(),
            path.display()
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let o = meshsync(dir.path(), &["schema", "sweep"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        schema_text(SchemaKind::Sweep, &meshsync::engine::Registry::builtin()).unwrap()
    );
    let o = meshsync(dir.path(), &["schema"]);
    assert_eq!(
        stdout(&o),
        schema_text(SchemaKind::Scenario, &meshsync::engine::Registry::builtin()).unwrap()
    );
}

#[test]
fn every_bundled_scenario_and_sweep_is_valid_against_its_schema() {
    let scenario = validator(&committed("scenario"));
    let files = json_files(&root().join("scenarios"));
    assert!(files.len() >= 10, "{files:?}");
    for f in &files {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        assert_eq!(
            errors(&scenario, &doc),
            Vec::<String>::new(),
            "{}",
            f.display()
        );
        assert_eq!(
            doc["$schema"],
            "schema/scenario.schema.json",
            "{}",
            f.display()
        );
    }
    let sweep = validator(&committed("sweep"));
    let sweeps = json_files(&root().join("scenarios/sweeps"));
    assert!(!sweeps.is_empty());
    for f in &sweeps {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        assert_eq!(
            errors(&sweep, &doc),
            Vec::<String>::new(),
            "{}",
            f.display()
        );
        assert_eq!(
            doc["$schema"],
            "../schema/sweep.schema.json",
            "{}",
            f.display()
        );
        // A sweep file is not a scenario, and the other way round.
        assert!(!scenario.is_valid(&doc), "{}", f.display());
    }
}

/// A minimal scenario the parser accepts, with `extra` merged in.
fn scenario_with(extra: Value) -> Value {
    let mut doc = json!({
        "name": "m", "duration_s": 10, "nodes": 2,
        "groups": [{"name": "g", "members": "all", "rate_per_hour": 1}]
    });
    for (k, v) in extra.as_object().unwrap() {
        doc[k] = v.clone();
    }
    doc
}

/// The schema rejects what the parser rejects for its shape (unknown keys,
/// unknown tags, a probability above 1, an unknown strategy or config
/// section) and accepts the minimal file.
#[test]
fn the_scenario_schema_rejects_what_the_parser_rejects() {
    let v = validator(&committed("scenario"));
    let minimal = scenario_with(json!({}));
    assert!(v.is_valid(&minimal));
    assert!(meshsync::scenario::Scenario::from_value(minimal, "t.json").is_ok());
    let bad = [
        json!({"jitter": 1}),
        json!({"nodes": 0}),
        json!({"link": {"loss": 1.5}}),
        json!({"link": {"jitter": 1}}),
        json!({"topology": {"kind": "star"}}),
        json!({"churn": {"kind": "on-off", "on_s": {"fixed": 1}}}),
        json!({"strategy": "gossip"}),
        json!({"strategy_config": {"gossip": {}}}),
        json!({"strategy_config": {"bsp": {"offer": 1}}}),
        json!({"strategy_config": {"mvds-vac": {"mode": "eager"}}}),
        json!({"groups": [{"name": "g", "members": "most"}]}),
        json!({"body_bytes": {"normal": {"mean": 1}}}),
    ];
    for extra in bad {
        let doc = scenario_with(extra);
        assert!(!v.is_valid(&doc), "the schema accepts {doc}");
        let parsed = meshsync::scenario::Scenario::from_value(doc.clone(), "t.json");
        assert!(parsed.is_err(), "the parser accepts {doc}");
    }
    let mut no_nodes = scenario_with(json!({}));
    no_nodes.as_object_mut().unwrap().remove("nodes");
    assert!(!v.is_valid(&no_nodes));
}

#[test]
fn the_parser_ignores_schema_but_no_other_extra_key() {
    let ok = scenario_with(json!({"$schema": "anything"}));
    assert!(meshsync::scenario::Scenario::from_value(ok, "t.json").is_ok());
    let other = scenario_with(json!({"$comment": "x"}));
    let e = meshsync::scenario::Scenario::from_value(other, "t.json").unwrap_err();
    assert!(e.to_string().contains("$comment"), "{e}");
}

#[test]
fn completions_for_each_shell_name_the_commands() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = meshsync(dir.path(), &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let text = stdout(&o);
        // fish spells flags `-l strategy`, the others `--strategy`.
        for word in [
            "compare",
            "sweep",
            "schema",
            "strategy",
            "deliveries",
            "check-determinism",
        ] {
            assert!(text.contains(word), "{shell} completions lack {word}");
        }
    }
    let o = meshsync(dir.path(), &["completions", "tcsh"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn man_pages_describe_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let o = meshsync(dir.path(), &["man"]);
    assert_eq!(o.status.code(), Some(0));
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie") || page.contains(".TH meshsync 1"),
        "{page}"
    );
    for word in ["compare", "Exit codes", "meshsync\\-run(1)"] {
        assert!(page.contains(word), "the man page lacks {word}");
    }
    let o = meshsync(dir.path(), &["man", "--out", "man"]);
    assert_eq!(o.status.code(), Some(0));
    for cmd in [
        "meshsync",
        "meshsync-run",
        "meshsync-compare",
        "meshsync-schema",
    ] {
        let p = dir.path().join("man").join(format!("{cmd}.1"));
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        assert!(text.contains(".TH"), "{}", p.display());
    }
    let run = std::fs::read_to_string(dir.path().join("man/meshsync-run.1")).unwrap();
    assert!(
        run.contains("deliveries"),
        "meshsync-run(1) lists --deliveries"
    );
}

#[test]
fn help_has_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["compare", "--help"],
        &["check", "--help"],
    ] {
        let o = meshsync(dir.path(), args);
        assert_eq!(o.status.code(), Some(0));
        let text = stdout(&o);
        assert!(text.contains("Examples:\n  meshsync "), "{args:?}: {text}");
        assert!(text.contains("Exit codes"), "{args:?}: {text}");
        assert!(
            text.contains("2 bad input") || text.contains("2  bad input"),
            "{args:?}"
        );
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let head = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(String::from).collect())
        .collect();
    (head, rows)
}

fn col(head: &[String], name: &str) -> usize {
    head.iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no {name} column in {head:?}"))
}

/// `--deliveries all` lists every due (message, recipient) pair once: the
/// delivered rows exactly as the default file has them, and the others with
/// an empty delivery time; `none` writes no file; the default is unchanged.
#[test]
fn deliveries_modes_list_delivered_all_or_no_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/mailserver-off.json");
    let s = scenario.to_str().unwrap();
    for (mode, out) in [("delivered", "d"), ("all", "a"), ("none", "n")] {
        let o = meshsync(
            dir.path(),
            &["run", s, "-q", "--deliveries", mode, "--out", out],
        );
        assert_eq!(o.status.code(), Some(0), "{mode}");
    }
    let o = meshsync(dir.path(), &["run", s, "-q", "--out", "default"]);
    assert_eq!(o.status.code(), Some(0));
    let p = |d: &str| dir.path().join(d).join("deliveries.csv");
    assert_eq!(
        std::fs::read(p("default")).unwrap(),
        std::fs::read(p("d")).unwrap()
    );
    assert!(
        !p("n").exists(),
        "--deliveries none writes no deliveries.csv"
    );
    assert!(dir.path().join("n/summary.json").exists());
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a/summary.json")).unwrap())
            .unwrap();
    let (expected, delivered) = (
        summary["deliveries_expected"].as_u64().unwrap() as usize,
        summary["deliveries"].as_u64().unwrap() as usize,
    );
    assert!(delivered < expected, "the test needs undelivered pairs");
    let (head, all) = read_csv(&p("a"));
    let (head_d, only) = read_csv(&p("d"));
    assert_eq!(head, head_d);
    assert_eq!(all.len(), expected);
    assert_eq!(only.len(), delivered);
    let (m, r, dcol) = (
        col(&head, "message"),
        col(&head, "recipient"),
        col(&head, "delivered_s"),
    );
    let keys: Vec<(u64, u64)> = all
        .iter()
        .map(|x| (x[m].parse().unwrap(), x[r].parse().unwrap()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        sorted, keys,
        "one row per pair, in (message, recipient) order"
    );
    let with_time: Vec<&Vec<String>> = all.iter().filter(|x| !x[dcol].is_empty()).collect();
    assert_eq!(with_time.len(), delivered);
    assert!(with_time.iter().zip(&only).all(|(a, b)| *a == b));
    assert!(all.iter().all(|x| x[col(&head, "sender")] != x[r]));
    // `plot` redraws from a file with undelivered rows, and says why it
    // cannot without one.
    assert_eq!(meshsync(dir.path(), &["plot", "a"]).status.code(), Some(0));
    let o = meshsync(dir.path(), &["plot", "n"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--deliveries none"));
}

/// `compare` writes `runs.csv`, one row per (strategy, seed) with the
/// run's trace and world hashes and its metrics as in `comparison.json`;
/// a sweep's `runs.csv` has the same identity columns.
#[test]
fn runs_csv_of_compare_and_sweep_carry_trace_and_world_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = root().join("scenarios/quickstart.json");
    let args = [
        "compare",
        scenario.to_str().unwrap(),
        "--strategies",
        "bsp-interactive,mvds",
    ];
    let o = meshsync(
        dir.path(),
        &[&args[..], &["--seeds", "3", "--out", "c", "-q"]].concat(),
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (head, rows) = read_csv(&dir.path().join("c/runs.csv"));
    let first: Vec<&str> = head[..5].iter().map(String::as_str).collect();
    assert_eq!(
        first,
        ["index", "strategy", "seed", "trace_hash", "world_hash"]
    );
    assert_eq!(rows.len(), 6);
    let c: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("c/comparison.json")).unwrap(),
    )
    .unwrap();
    let ratio = col(&head, "delivery_ratio");
    for (row, run) in rows.iter().zip(c["runs"].as_array().unwrap()) {
        assert_eq!(row[1], run["strategy"].as_str().unwrap());
        assert_eq!(row[2], run["seed"].to_string());
        assert_eq!(row[3], run["summary"]["trace_hash"].as_str().unwrap());
        assert_eq!(row[4], run["summary"]["world_hash"].as_str().unwrap());
        let r: f64 = row[ratio].parse().unwrap();
        assert_eq!(r, run["summary"]["delivery_ratio"].as_f64().unwrap());
    }
    // Same seed, same world under both strategies; another seed, another.
    assert_eq!(rows[0][4], rows[3][4]);
    assert_ne!(rows[0][4], rows[1][4]);
    assert_ne!(rows[0][3], rows[3][3]);

    let sweep = dir.path().join("s.json");
    std::fs::write(
        &sweep,
        json!({
            "name": "s", "scenario": scenario.to_str().unwrap(),
            "grid": {"link.loss": [0.0, 0.2]}, "strategies": ["bsp-interactive", "mvds"], "seeds": 2
        })
        .to_string(),
    )
    .unwrap();
    let o = meshsync(dir.path(), &["sweep", "s.json", "--out", "sw", "-q"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (head, rows) = read_csv(&dir.path().join("sw/runs.csv"));
    let first: Vec<&str> = head[..7].iter().map(String::as_str).collect();
    assert_eq!(
        first,
        [
            "index",
            "point",
            "link.loss",
            "strategy",
            "seed",
            "trace_hash",
            "world_hash"
        ]
    );
    assert_eq!(rows.len(), 8);
    // Runs in (point, strategy, seed) order: the world depends on the
    // point and the seed only.
    assert_eq!(rows[0][6], rows[2][6]);
    assert_ne!(rows[0][6], rows[1][6]);
    assert!(rows.iter().all(|r| r[5].len() == 16 && r[6].len() == 16));
}

/// The plots give each built-in strategy its colour, dash and marker by
/// its place in the registry's order, which the callers hand in: every
/// built-in strategy gets a colour of its own.
#[test]
fn plot_styles_follow_the_registry_order() {
    let order = meshsync::engine::Registry::builtin().order();
    let names: Vec<&str> = order.iter().map(|s| s.as_str()).collect();
    let styles = meshsync::output::plot::style::styles(&names, &order);
    let colours: std::collections::BTreeSet<_> = styles
        .iter()
        .map(|s| (s.color.0, s.color.1, s.color.2))
        .collect();
    assert_eq!(colours.len(), order.len());
    // A strategy plotted alone keeps its registry colour.
    for (i, n) in names.iter().enumerate() {
        assert_eq!(
            meshsync::output::plot::style::styles(&[n], &order)[0],
            styles[i]
        );
    }
}
