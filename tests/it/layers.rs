//! The layer rule, checked on the source: each folder of `src/` imports only
//! the layers below it (see the table in `src/lib.rs`). A path to a layer
//! not allowed for the file's folder fails here, naming the file and line:
//! `crate::x::…`, `crate::{x, …}`, and `super::super::x::…` chains that
//! climb to the crate root (resolved from the file's module path and the
//! inline `mod name {` blocks around the line). Every folder of `src/` must
//! be listed, so a new layer is not left unchecked. `anyhow` is for `cli/`
//! alone: the layers below return typed (`thiserror`) errors.

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
    (
        "cli",
        &[
            "sim",
            "world",
            "node",
            "scenario",
            "report",
            "engine",
            "output",
            "experiments",
            "cli",
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

/// The module path of a file relative to `src/`: `a/b.rs` is `[a, b]`,
/// `a/mod.rs` is `[a]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut m: Vec<String> = rel
        .with_extension("")
        .iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect();
    if m.last().is_some_and(|l| l == "mod") {
        m.pop();
    }
    m
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The top-level names `rest` imports: `x::…` names `x`, `{x, y::z}` names
/// `x` and `y` (a brace list on one line).
fn names_at(rest: &str) -> Vec<String> {
    let Some(list) = rest.strip_prefix('{') else {
        return vec![ident(rest)];
    };
    let (mut depth, mut names, mut start) = (0, Vec::new(), true);
    for (i, c) in list.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => start = true,
            c if start && !c.is_whitespace() => {
                names.push(ident(&list[i..]));
                start = false;
            }
            _ => {}
        }
    }
    names
}

/// The name of the inline module `code` opens (`mod tests {`), if any.
fn inline_mod(code: &str) -> Option<String> {
    let t = code.trim_start();
    let t = t
        .strip_prefix("pub ")
        .or(t.strip_prefix("pub(crate) "))
        .unwrap_or(t);
    let name = ident(t.strip_prefix("mod ")?);
    code.contains('{').then_some(name)
}

/// Every layer a path in `code` names from the crate root, for a line in
/// module `module`: after `crate::`, or after `super::` chains that climb
/// out of `module`.
fn root_names(code: &str, module: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    let starts_path = |at: usize| {
        let before = code[..at].chars().next_back();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '$')
    };
    for (at, _) in code.match_indices("crate::") {
        if starts_path(at) {
            found.extend(names_at(&code[at + "crate::".len()..]));
        }
    }
    for (at, _) in code.match_indices("super::") {
        if !starts_path(at) {
            continue;
        }
        let mut rest = &code[at..];
        let mut up = 0;
        while let Some(r) = rest.strip_prefix("super::") {
            (rest, up) = (r, up + 1);
        }
        if up >= module.len() {
            found.extend(names_at(rest));
        }
    }
    found
}

/// Every path from the crate root in `text` (the file of module `module`),
/// with its line number: the checker, apart from the file system.
fn crate_paths(text: &str, module: &[String]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let (mut depth, mut inline): (i32, Vec<(String, i32)>) = (0, Vec::new());
    for (i, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let here: Vec<String> = module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        for name in root_names(code, &here) {
            found.push((i + 1, name));
        }
        if let Some(name) = inline_mod(code) {
            inline.push((name, depth + 1));
        }
        depth += code.matches('{').count() as i32 - code.matches('}').count() as i32;
        while inline.last().is_some_and(|&(_, d)| depth < d) {
            inline.pop();
        }
    }
    found
}

/// The upward imports of `text` (file `shown`, module `module`, in a
/// folder whose layer may import `allowed`).
fn violations(text: &str, module: &[String], allowed: &[&str], shown: &str) -> Vec<String> {
    crate_paths(text, module)
        .into_iter()
        .filter(|(_, name)| !allowed.contains(&name.as_str()))
        .map(|(line, name)| format!("{shown}:{line}: {name}"))
        .collect()
}

#[test]
fn no_layer_imports_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut bad = Vec::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if p.is_dir() {
            assert!(
                ALLOWED.iter().any(|(l, _)| *l == name),
                "src/{name} is not in ALLOWED"
            );
        }
    }
    for (layer, allowed) in ALLOWED {
        let mut files = Vec::new();
        rust_files(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no files under src/{layer}");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            let module = module_of(f.strip_prefix(&src).unwrap());
            bad.extend(violations(
                &text,
                &module,
                allowed,
                &f.display().to_string(),
            ));
        }
    }
    assert!(bad.is_empty(), "upward imports:\n{}", bad.join("\n"));
}

/// The lines of `text` whose code (not comments) names `anyhow`.
fn anyhow_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.split("//").next().unwrap_or("").contains("anyhow"))
        .map(|(i, _)| i + 1)
        .collect()
}

#[test]
fn anyhow_only_in_cli() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut bad = Vec::new();
    for f in files.iter().filter(|f| !f.starts_with(src.join("cli"))) {
        let text = std::fs::read_to_string(f).unwrap();
        for line in anyhow_lines(&text) {
            bad.push(format!("{}:{line}", f.display()));
        }
    }
    assert!(bad.is_empty(), "anyhow below cli/:\n{}", bad.join("\n"));
    let sample = "/// Like anyhow's Context.\nuse anyhow::Result; // no\nfn f() {}\n";
    assert_eq!(anyhow_lines(sample), [2]);
}

fn module(path: &str) -> Vec<String> {
    module_of(Path::new(path))
}

#[test]
fn the_checker_sees_imports() {
    let found = crate_paths(
        "use crate::engine::run; // crate::cli\nlet x = crate::sim::time::SimTime(1);",
        &module("output/csv.rs"),
    );
    assert_eq!(
        found,
        vec![(1, "engine".to_string()), (2, "sim".to_string())]
    );
    assert_eq!(module("node/mod.rs"), ["node"]);
    assert_eq!(module("node/mvds/tests.rs"), ["node", "mvds", "tests"]);
}

#[test]
fn the_checker_flags_a_sample_violation() {
    // A file of `sim/` reaching `engine` every way a path can.
    let sample = "\
use crate::{engine, sim::rng};
use super::super::engine::run;
use super::rng::Stream; // stays in sim
fn f() { let _ = $crate::engine::x; let _ = other_crate::engine::y; }
mod tests {
    use super::super::super::engine::Event;
    use super::super::queue::Queue;
}
use super::super::world::Link;
";
    let allowed = ALLOWED.iter().find(|(l, _)| *l == "sim").unwrap().1;
    let bad = violations(sample, &module("sim/clock.rs"), allowed, "sample.rs");
    assert_eq!(
        bad,
        [
            "sample.rs:1: engine",
            "sample.rs:2: engine",
            "sample.rs:6: engine",
            "sample.rs:9: world",
        ]
    );
    // The same climb from a shallower file stays inside `sim`.
    assert!(violations(
        "use super::super::rng::Stream;",
        &module("sim/a/b.rs"),
        allowed,
        "x"
    )
    .is_empty());
}
