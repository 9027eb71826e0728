//! Questions posed in one file: variants, linked and labelled axes,
//! baselines, and the plots and tables they give (issue 27).

use meshsync::engine::Registry;
use meshsync::experiments::compare::compare;
use meshsync::experiments::progress::Unwatched;
use meshsync::experiments::sweep::{Points, Sweep};
use meshsync::scenario::Scenario;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

use crate::common::{meshsync, ok};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A small churning world whose scenario names `strategy_config` and
/// `variants` as given.
fn world(strategy: &str, config: Value, variants: Value) -> Value {
    json!({
        "name": "q", "duration_s": 3600, "nodes": 6, "seed": 3,
        "strategy": strategy,
        "transport": {"presence": "unknown"},
        "link": {"latency_ms": {"uniform": {"min": 50, "max": 300}}, "loss": 0.05},
        "churn": {"kind": "periodic", "period_s": 600, "online_fraction": 0.3},
        "groups": [{"name": "g", "members": "all", "rate_per_hour": 6}],
        "strategy_config": config,
        "variants": variants
    })
}

fn write(dir: &Path, name: &str, v: &Value) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, serde_json::to_string_pretty(v).unwrap()).unwrap();
    p
}

/// A variant runs exactly as its strategy in a scenario whose config
/// section is the variant's: the same summary (trace hash included) and
/// the same deliveries, in `run` (byte for byte) and in `compare`.
#[test]
fn a_variant_runs_as_its_strategy_with_its_config() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let interactive = json!({"mvds-vac": {"mode": "interactive"}});
    let variants = json!({"vac-i": {"strategy": "mvds-vac", "config": {"mode": "interactive"}}});
    write(d, "plain.json", &world("mvds-vac", interactive, json!({})));
    write(d, "variant.json", &world("vac-i", json!({}), variants));
    ok(&meshsync(d, &["run", "plain.json", "--out", "plain", "-q"]));
    ok(&meshsync(
        d,
        &["run", "variant.json", "--out", "variant", "-q"],
    ));
    for f in ["summary.json", "deliveries.csv"] {
        let (a, b) = (
            std::fs::read(d.join("plain").join(f)).unwrap(),
            std::fs::read(d.join("variant").join(f)).unwrap(),
        );
        assert!(a == b, "{f} differs between the plain run and the variant");
    }
    // The variant is not the strategy's default (batch) run.
    ok(&meshsync(
        d,
        &[
            "run",
            "variant.json",
            "--strategy",
            "mvds-vac",
            "--out",
            "batch",
            "-q",
        ],
    ));
    assert_ne!(
        std::fs::read(d.join("batch/summary.json")).unwrap(),
        std::fs::read(d.join("variant/summary.json")).unwrap()
    );
    // The effective scenario and provenance record its config.
    let eff: Value =
        serde_json::from_slice(&std::fs::read(d.join("variant/effective-scenario.json")).unwrap())
            .unwrap();
    assert_eq!(eff["variants"]["vac-i"]["config"]["mode"], "interactive");
    assert_eq!(eff["variants"]["vac-i"]["strategy"], "mvds-vac");

    // In compare, listed under its name, with the plain run's figures.
    let s = Scenario::load(&d.join("variant.json")).unwrap();
    let plain = Scenario::load(&d.join("plain.json")).unwrap();
    let names = vec!["vac-i".to_string(), "mvds-vac".to_string()];
    let c = compare(&Registry::builtin(), &s, &names, &[1, 2], &Unwatched).unwrap();
    assert_eq!(c.strategies, names);
    let p = compare(
        &Registry::builtin(),
        &plain,
        &["mvds-vac".to_string()],
        &[1, 2],
        &Unwatched,
    )
    .unwrap();
    let summaries = |c: &meshsync::experiments::compare::Comparison, name: &str| -> Vec<String> {
        c.runs
            .iter()
            .filter(|r| r.strategy == name)
            .map(|r| serde_json::to_string(&r.summary).unwrap())
            .collect()
    };
    assert_eq!(summaries(&c, "vac-i"), summaries(&p, "mvds-vac"));
    assert_ne!(summaries(&c, "vac-i"), summaries(&c, "mvds-vac"));
    let out = ok(&meshsync(
        d,
        &[
            "compare",
            "variant.json",
            "--strategies",
            "vac-i,mvds-vac",
            "--seeds",
            "2",
            "--out",
            "cmp",
            "--baseline",
            "mvds-vac",
        ],
    ));
    assert!(out.contains("against mvds-vac"), "{out}");
    let prov: Value =
        serde_json::from_slice(&std::fs::read(d.join("cmp/provenance.json")).unwrap()).unwrap();
    assert_eq!(prov["variants"]["vac-i"]["config"]["mode"], "interactive");
    let csv = std::fs::read_to_string(d.join("cmp/comparison.csv")).unwrap();
    assert!(
        csv.starts_with(
            "strategy,metric,n,mean,ci95,min,max,paired_n,ratio,ratio_ci95,diff,diff_ci95\n"
        ),
        "{csv}"
    );
    // The baseline against itself: ratio 1 and difference 0, exactly.
    assert!(
        csv.contains("mvds-vac,bytes_sent_total,2,")
            && csv
                .lines()
                .any(|l| l.starts_with("mvds-vac,bytes_sent_total,") && l.ends_with(",2,1,0,0,0")),
        "{csv}"
    );
}

/// An unknown variant strategy is bad input naming its JSON path, and
/// `--strategies` accepts a scenario's variants but nothing else.
#[test]
fn bad_variants_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "bad.json",
        &world(
            "mvds",
            json!({}),
            json!({"x": {"strategy": "mvds-vac", "config": {"mode": "fast"}}}),
        ),
    );
    let o = meshsync(d, &["validate", "bad.json"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("bad.json: variants.x.config.mode:"), "{err}");
    write(d, "ok.json", &world("mvds", json!({}), json!({})));
    let o = meshsync(d, &["compare", "ok.json", "--strategies", "mvds,vac-i"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--strategies: unknown strategy \"vac-i\""),
        "{err}"
    );
}

const SWEEP: &str = r#"{
  "name": "linked",
  "scenario": "SCENARIO",
  "axes": [
    { "name": "uptime",
      "set": { "churn.online_fraction": [0.2, 0.5, 1.0], "groups[0].rate_per_hour": [5, 2, 1] },
      "labels": ["20%", "50%", "always"] }
  ],
  "grid": { "link.loss": [0.0, 0.1] },
  "variants": { "vac-i": { "strategy": "mvds-vac", "config": { "mode": "interactive" } } },
  "strategies": ["vac-i", "mvds"],
  "baseline": { "point": { "uptime": "always" } },
  "seeds": 3
}"#;

fn sweep_file(dir: &Path) -> PathBuf {
    write(dir, "scenario.json", &world("mvds", json!({}), json!({})));
    let p = dir.join("sweep.json");
    std::fs::write(&p, SWEEP.replace("SCENARIO", "scenario.json")).unwrap();
    p
}

/// Linked axes set their paths together, point by point, in the product
/// with the other axes (last fastest); labels name their values.
#[test]
fn linked_axes_expand_as_declared() {
    let dir = tempfile::tempdir().unwrap();
    let sweep = Sweep::load(&sweep_file(dir.path())).unwrap();
    let m = &sweep.manifest;
    assert_eq!(m.keys, ["uptime", "link.loss"]);
    assert_eq!(m.points.len(), 6);
    let seen: Vec<(f64, f64, f64)> = sweep
        .scenarios()
        .iter()
        .map(|s| {
            let fraction = s.churn[0].online_fraction(s.duration);
            (fraction, s.groups[0].rate_per_hour, s.link.loss)
        })
        .collect();
    assert_eq!(
        seen,
        [
            (0.2, 5.0, 0.0),
            (0.2, 5.0, 0.1),
            (0.5, 2.0, 0.0),
            (0.5, 2.0, 0.1),
            (1.0, 1.0, 0.0),
            (1.0, 1.0, 0.1)
        ]
    );
    assert_eq!(m.label(2, 0), "50%");
    assert_eq!(m.label(2, 1), "0.0");
    assert_eq!(
        m.points[2][0],
        json!({"churn.online_fraction": 0.5, "groups[0].rate_per_hour": 2})
    );
    // Each row's baseline: the same strategy and loss, always online.
    assert_eq!(m.baseline_of(1, "mvds"), Some((5, "mvds".to_string())));
    assert_eq!(m.baseline_of(2, "vac-i"), Some((4, "vac-i".to_string())));
    assert_eq!(sweep.strategies(), ["vac-i", "mvds"]);
}

/// Mismatched linked lists, labels and baselines are refused with the
/// JSON path in the sweep file, exit 2.
#[test]
fn bad_axes_and_baselines_name_their_path() {
    let cases = [
        (
            SWEEP.replace("[5, 2, 1]", "[5, 2]"),
            "axes[0].set.\"groups[0].rate_per_hour\": expected 3 values",
        ),
        (
            SWEEP.replace("\"20%\", ", ""),
            "axes[0].labels: expected 3 labels",
        ),
        (
            SWEEP.replace("\"always\" }", "\"never\" }"),
            "baseline.point.\"uptime\": \"never\" is neither",
        ),
        (
            SWEEP.replace(
                "{ \"uptime\": \"always\" }",
                "{}, \"strategy\": \"bsp-batch\"",
            ),
            "baseline.strategy: \"bsp-batch\" is not run",
        ),
        (
            SWEEP.replace("\"mode\": \"interactive\"", "\"mode\": 7"),
            "variants.vac-i.config.mode",
        ),
        (
            SWEEP.replace("\"vac-i\", \"mvds\"", "\"vac-x\""),
            "strategies[0]: unknown strategy \"vac-x\"",
        ),
        (
            SWEEP.replace("\"link.loss\": [0.0, 0.1]", "\"strategy\": [\"mvds\"]"),
            "grid.\"strategy\": the strategies (and variants) a sweep runs are its `strategies`",
        ),
    ];
    for (body, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        sweep_file(d);
        std::fs::write(
            d.join("sweep.json"),
            body.replace("SCENARIO", "scenario.json"),
        )
        .unwrap();
        let o = meshsync(d, &["sweep", "sweep.json", "--out", "o"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("sweep.json: {expected}")),
            "expected {expected:?} in {err}"
        );
        assert!(!d.join("o").exists());
    }
}

/// A sweep with a baseline: `points.csv` has labels and the paired
/// columns, the baseline rows are ×1 and +0, every ratio is the one the
/// runs give by hand, the terminal prints the tables, and the plots
/// carry the labels as ticks; the same at any thread count.
#[test]
fn a_baseline_sweep_gives_ratios_tables_and_labelled_plots() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    sweep_file(d);
    let out = ok(&meshsync(
        d,
        &["sweep", "sweep.json", "--out", "o", "--threads", "2"],
    ));
    assert!(out.contains("bytes per delivery: multiplier"), "{out}");
    assert!(out.contains("always"), "{out}");
    let csv = std::fs::read_to_string(d.join("o/points.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        "point,uptime,link.loss,strategy,metric,n,mean,ci95,min,max,baseline_point,baseline_strategy,paired_n,ratio,ratio_ci95,diff,diff_ci95"
    );
    assert!(csv.contains("\n4,always,0.0,vac-i,bytes_sent_total,3,"));
    let points: Points =
        serde_json::from_slice(&std::fs::read(d.join("o/points.json")).unwrap()).unwrap();
    let runs = std::fs::read_to_string(d.join("o/runs.csv")).unwrap();
    let head: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let col = head.iter().position(|h| *h == "bytes_sent_total").unwrap();
    let value = |point: usize, strategy: &str, seed: u64| -> f64 {
        runs.lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|c| c[1] == point.to_string() && c[4] == strategy && c[5] == seed.to_string())
            .unwrap()[col]
            .parse()
            .unwrap()
    };
    for pa in &points.points {
        let vs = pa.vs_baseline.as_ref().unwrap();
        let (_, p) = vs
            .metrics
            .iter()
            .find(|(k, _)| k == "bytes_sent_total")
            .unwrap();
        let seeds = &points.manifest.seeds;
        assert_eq!(seeds, &[3, 4, 5]);
        let x: f64 = seeds
            .iter()
            .map(|&s| value(pa.point, &pa.strategy, s))
            .sum();
        let b: f64 = seeds
            .iter()
            .map(|&s| value(vs.point, &vs.strategy, s))
            .sum();
        let r = p.ratio.unwrap();
        assert!(
            (r - x / b).abs() < 1e-9 * r.abs(),
            "{} {}: {r} vs {}",
            pa.point,
            pa.strategy,
            x / b
        );
        if pa.point == vs.point {
            assert_eq!((p.ratio, p.diff), (Some(1.0), Some(0.0)));
        }
    }
    let svg = std::fs::read_to_string(d.join("o/sweep_ratio_bytes_per_delivery.svg")).unwrap();
    for tick in ["20%", "50%", "always", "vac-i, link.loss=0.1"] {
        assert!(svg.contains(tick), "{tick} missing from the plot");
    }
    ok(&meshsync(
        d,
        &["sweep", "sweep.json", "--out", "o1", "--threads", "1"],
    ));
    for f in [
        "points.csv",
        "points.json",
        "runs.csv",
        "sweep_ratio_bytes_per_delivery.svg",
    ] {
        assert!(
            std::fs::read(d.join("o").join(f)).unwrap()
                == std::fs::read(d.join("o1").join(f)).unwrap(),
            "{f} depends on the thread count"
        );
    }
}

/// `rate_basis: wall-clock` keeps the messages written per hour of
/// simulated time whatever the uptime; the default counts hours online.
#[test]
fn wall_clock_rates_keep_the_workload() {
    let written = |fraction: f64, basis: &str| -> usize {
        let mut w = world("mvds", json!({}), json!({}));
        w["duration_s"] = json!(86400);
        w["churn"]["online_fraction"] = json!(fraction);
        w["groups"][0]["rate_per_hour"] = json!(4);
        w["groups"][0]["rate_basis"] = json!(basis);
        let s = Scenario::from_value(w, "w.json").unwrap();
        meshsync::engine::run_with(&s, "mvds", 1)
            .unwrap()
            .messages
            .len()
    };
    // 6 members x 4 per hour x 24 h = 576 expected messages.
    for f in [0.1, 0.5, 1.0] {
        let n = written(f, "wall-clock") as f64;
        assert!((n - 576.0).abs() < 4.0 * 576f64.sqrt(), "{f}: {n}");
    }
    let online = written(0.1, "online") as f64;
    assert!((online - 57.6).abs() < 4.0 * 57.6f64.sqrt(), "{online}");
    assert_eq!(written(1.0, "online"), written(1.0, "wall-clock"));
}

/// The committed vac-2019 sweep is valid: its axes, variants and
/// baseline resolve.
#[test]
fn the_vac_2019_sweep_poses_its_question() {
    let sweep = Sweep::load(&root().join("scenarios/sweeps/vac-2019.json")).unwrap();
    let m = &sweep.manifest;
    assert_eq!(m.keys, ["uptime", "cache"]);
    assert_eq!(m.points.len(), 10);
    assert_eq!(m.label(8, 0), "100%");
    assert_eq!(m.baseline_of(1, "mvds"), Some((8, "mvds".to_string())));
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("scenarios/sweeps/vac-2019.json")).unwrap(),
    )
    .unwrap();
    let listed: Vec<&str> = file["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(sweep.strategies(), listed);
    assert!(listed.contains(&"mvds-vac-interactive"));
}

/// `check` compares the figures against each result's own baseline too: a
/// multiplier that grew past its tolerance is a regression.
#[test]
fn check_flags_a_multiplier_that_grew() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let variants = json!({"vac-i": {"strategy": "mvds-vac", "config": {"mode": "interactive"}}});
    write(d, "s.json", &world("mvds", json!({}), variants));
    let args = |out: &'static str| {
        [
            "compare",
            "s.json",
            "--strategies",
            "vac-i,mvds",
            "--seeds",
            "3",
            "--out",
            out,
            "--baseline",
            "mvds",
            "-q",
        ]
    };
    ok(&meshsync(d, &args("base")));
    ok(&meshsync(d, &args("cur")));
    let same = ok(&meshsync(d, &["check", "cur", "--baseline", "base"]));
    assert!(same.contains("no regression"), "{same}");
    let file = d.join("cur/comparison.json");
    let mut c: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for row in c["metrics"].as_array_mut().unwrap() {
        if row["metric"] == "bytes_per_delivery" {
            let r = row["vs_baseline"][0][1]["ratio"].as_f64().unwrap();
            assert_eq!(row["vs_baseline"][0][0], "vac-i");
            row["vs_baseline"][0][1]["ratio"] = json!(r * 1.5);
        }
    }
    std::fs::write(&file, serde_json::to_string_pretty(&c).unwrap()).unwrap();
    let o = meshsync(d, &["check", "cur", "--baseline", "base"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("vac-i bytes_per_delivery vs baseline: ×"),
        "{out}"
    );
    assert!(out.contains("+50.0%, tolerance 10.0%"), "{out}");
}
