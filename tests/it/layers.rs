//! The layer rule, checked on the source: each folder of `src/` imports only
//! the layers below it (see the table in `src/lib.rs`). A `use crate::x` or
//! `crate::x::` path to a layer not allowed for the file's folder fails here,
//! naming the file and line.

use std::path::{Path, PathBuf};

/// Each layer and the layers it may import (itself included).
const ALLOWED: &[(&str, &[&str])] = &[
    ("sim", &["sim"]),
    ("world", &["sim", "world"]),
    ("node", &["sim", "node"]),
    ("scenario", &["sim", "world", "node", "scenario"]),
    ("report", &["sim", "report"]),
    (
        "engine",
        &["sim", "world", "node", "scenario", "report", "engine"],
    ),
    ("output", &["sim", "report", "output"]),
    (
        "experiments",
        &[
            "sim",
            "world",
            "node",
            "scenario",
            "report",
            "engine",
            "output",
            "experiments",
        ],
    ),
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every `crate::<layer>` named in `text`, with its line number.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        for (at, _) in code.match_indices("crate::") {
            let rest = &code[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            found.push((i + 1, name));
        }
    }
    found
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    for (layer, allowed) in ALLOWED {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no files under src/{layer}");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for (line, name) in crate_paths(&text) {
                if !allowed.contains(&name.as_str()) {
                    bad.push(format!("{}:{line}: crate::{name}", f.display()));
                }
            }
        }
    }
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

#[test]
fn the_checker_sees_imports() {
    let found =
        crate_paths("use crate::engine::run; // crate::cli\nlet x = crate::sim::time::SimTime(1);");
    assert_eq!(
        found,
        vec![(1, "engine".to_string()), (2, "sim".to_string())]
    );
}
