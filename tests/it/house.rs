//! A strategy is one folder and one registry line: nothing else in the
//! repository lists the built-in strategies. The registry is the list;
//! the README's strategy table must say what the registry says; and no
//! file outside a protocol's own folder and the registry spells the
//! built-in names as a list (a list elsewhere is a place a new strategy
//! would have to be added by hand).

use meshsync::engine::Registry;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The README's "Strategies" table: (name, what it is) per row.
fn readme_table() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("| name | what it is |")
        .expect("README has the strategy table");
    readme[start..]
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').splitn(2, " | ").collect();
            (
                cells[0].trim().trim_matches('`').to_string(),
                cells.get(1).unwrap_or(&"").trim().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_readme_strategy_table_is_the_registry() {
    let registry = Registry::builtin();
    let expected: Vec<(String, String)> = registry
        .iter()
        .map(|s| (s.name().to_string(), s.about().to_string()))
        .collect();
    assert_eq!(readme_table(), expected, "README strategy table");
}

/// Files that may list strategies: each protocol's folder (its own
/// names), the registry, the generated schemas, the scenario and sweep
/// files (a user's choice of what to compare, not a copy of the
/// registry), and this test.
fn may_list(path: &Path) -> bool {
    let p = path.to_string_lossy();
    p.contains("/src/node/") && !p.ends_with("/src/node/mod.rs")
        || p.contains("/scenarios/")
        || p.ends_with("/tests/it/house.rs")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') || name == "target" || name == "results" {
            continue;
        }
        if p.is_dir() {
            files(&p, out);
        } else if ["rs", "json", "expected", "sh", "py", "toml"]
            .iter()
            .any(|x| p.extension().is_some_and(|e| e == *x))
        {
            out.push(p);
        }
    }
}

/// The places in `text` where a quoted built-in name starts a run of at
/// least `MIN` distinct quoted built-in names with nothing but
/// separators, whitespace and comments between them: a list.
fn lists(text: &str, names: &[String]) -> Vec<usize> {
    const MIN: usize = 3;
    let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < text.len() {
        let Some(first) = quoted.iter().find(|q| text[at..].starts_with(q.as_str())) else {
            at += text[at..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let mut seen = vec![first.clone()];
        let mut end = at + first.len();
        loop {
            let rest = &text[end..];
            let gap = rest.len() - rest.trim_start_matches([',', ' ', '\n', '\t', '\r']).len();
            let next = &rest[gap..];
            match quoted.iter().find(|q| next.starts_with(q.as_str())) {
                Some(q) => {
                    if !seen.contains(q) {
                        seen.push(q.clone());
                    }
                    end += gap + q.len();
                }
                None => break,
            }
        }
        if seen.len() >= MIN {
            found.push(text[..at].lines().count().max(1));
        }
        at = end;
    }
    found
}

#[test]
fn no_file_outside_the_protocols_lists_the_builtin_strategies() {
    let names = Registry::builtin().order();
    let mut all = Vec::new();
    for dir in ["src", "tests", "benches", "fuzz", "scripts", "scenarios"] {
        files(&root().join(dir), &mut all);
    }
    all.push(root().join(".ci/run"));
    let mut bad = Vec::new();
    for f in all.iter().filter(|f| !may_list(f)) {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        for line in lists(&text, &names) {
            bad.push(format!("{}:{line}", f.display()));
        }
    }
    assert!(
        bad.is_empty(),
        "lists of built-in strategies outside src/node/ (read the registry instead):\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_list_finder_finds_lists() {
    let names: Vec<String> = ["aa", "bb", "cc"].map(String::from).to_vec();
    assert_eq!(lists("x = [\"aa\", \"bb\",\n \"cc\"];", &names), vec![1]);
    assert_eq!(lists("\n\n[\"cc\", \"aa\", \"bb\"]", &names), vec![3]);
    // Two names, or one name three times, are not a list of strategies.
    assert!(lists("[\"aa\", \"bb\"]", &names).is_empty());
    assert!(lists("[\"aa\", \"aa\", \"aa\"]", &names).is_empty());
    // Names apart in the text are not a list.
    assert!(lists("\"aa\"; f(\"bb\"); \"cc\"", &names).is_empty());
}
