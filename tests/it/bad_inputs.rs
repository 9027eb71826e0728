//! The corpus of bad inputs in `tests/bad-inputs/`: each `NAME.json` must be
//! rejected with exit code 2 and exactly the error in `NAME.expected`
//! (file, JSON path or line number, what was expected), by `validate` and by
//! `run`, which must write nothing. An expected text says `{strategies}`
//! and `{config_keys}` where the error lists the registry's strategies or
//! their config keys (so a new strategy changes no file here).

use std::path::Path;
use std::process::Command;

#[test]
fn every_bad_input_gives_its_exact_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-inputs");
    let out = tempfile::tempdir().unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 20, "the corpus has {} cases", names.len());
    for name in names {
        let expected_file = dir.join(name.replace(".json", ".expected"));
        let registry = meshsync::engine::Registry::builtin();
        let expected = std::fs::read_to_string(&expected_file)
            .unwrap_or_else(|_| panic!("{name}: no {}", expected_file.display()))
            .replace("{strategies}", &registry.names().join(", "))
            .replace("{config_keys}", &registry.config_keys().join(", "));
        let target = out.path().join(&name);
        for args in [
            vec!["validate", name.as_str()],
            vec!["run", name.as_str(), "--out", target.to_str().unwrap()],
        ] {
            let o = Command::new(env!("CARGO_BIN_EXE_meshsync"))
                .args(&args)
                .current_dir(&dir)
                .output()
                .unwrap();
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
