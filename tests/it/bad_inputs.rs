//! The corpus of bad inputs in `tests/bad-inputs/`: each `NAME.json` must be
//! rejected with exit code 2 and exactly the error in `NAME.expected`
//! (file, JSON path or line number, what was expected), by `validate` and by
//! `run`, which must write nothing. An expected text says `{strategies}`
//! and `{config_keys}` where the error lists the registry's strategies or
//! their config keys (so a new strategy changes no file here).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The `*.json` cases in `dir`, sorted.
fn cases(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_bad_input_gives_its_exact_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs");
    let out = tempfile::tempdir().unwrap();
    let names = cases(&dir);
    assert!(names.len() >= 20, "the corpus has {} cases", names.len());
    let registry = meshsync::engine::Registry::builtin();
    for name in names {
        let expected_file = dir.join(name.replace(".json", ".expected"));
        let expected = std::fs::read_to_string(&expected_file)
            .unwrap_or_else(|_| panic!("{name}: no {}", expected_file.display()))
            .replace("{strategies}", &registry.names().join(", "))
            .replace("{config_keys}", &registry.config_keys().join(", "));
        let target = out.path().join(&name);
        for args in [
            vec!["validate", name.as_str()],
            vec!["run", name.as_str(), "--out", target.to_str().unwrap()],
        ] {
            let t = Instant::now();
            let o = Command::new(env!("CARGO_BIN_EXE_meshsync"))
                .args(&args)
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{name}: {:?}",
                t.elapsed()
            );
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{name} ({}): {err}", args[0]);
            assert_eq!(
                err,
                format!("meshsync: error: {expected}"),
                "{name} ({})",
                args[0]
            );
        }
        assert!(!target.exists(), "{name}: run wrote output");
    }
}

/// `tests/bad-inputs/runaway/`: valid scenarios whose runs would not fit in
/// memory (under `--max-memory 2G`, so the verdict is the same on every
/// machine) or not end in the default `--max-time`: `run` refuses each
/// within 10 s, exit 2, writing nothing, with an error holding every line
/// of `NAME.expected` (the estimate's figures change with its constants;
/// the field blamed must not); `validate` accepts it and prints the
/// estimate.
#[test]
fn every_runaway_input_is_refused_with_its_estimate_and_field() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs/runaway");
    let out = tempfile::tempdir().unwrap();
    let names = cases(&dir);
    assert!(names.len() >= 10, "the corpus has {} cases", names.len());
    for name in names {
        let expected = std::fs::read_to_string(dir.join(name.replace(".json", ".expected")))
            .unwrap_or_else(|_| panic!("{name}: no .expected"));
        let target = out.path().join(&name);
        let run = |args: &[&str]| {
            let t = Instant::now();
            let o = Command::new(env!("CARGO_BIN_EXE_meshsync"))
                .args(args)
                .current_dir(&dir)
                .output()
                .unwrap();
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{name}: {:?}",
                t.elapsed()
            );
            o
        };
        let o = run(&[
            "run",
            &name,
            "--out",
            target.to_str().unwrap(),
            "--max-memory",
            "2G",
        ]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{name}: {err}");
        for line in expected.lines() {
            assert!(err.contains(line), "{name}: expected {line:?} in {err}");
        }
        assert!(
            !err.contains("inf") && !err.contains("NaN"),
            "{name}: {err}"
        );
        assert!(!target.exists(), "{name}: run wrote output");
        let o = run(&["validate", &name]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(text.contains("estimated size under"), "{name}: {text}");
    }
}
