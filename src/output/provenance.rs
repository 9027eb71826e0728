//! Where a result came from. [`build`] names the code: meshsync's version
//! and, when built from a git checkout, the commit (captured by `build.rs`;
//! the same binary always says the same). [`Provenance`] is
//! `provenance.json`, the record of one invocation every result folder
//! holds: the build, the exact command (shell-quoted, pasteable), the
//! folder it ran in, and what the command adds (the effective scenario's
//! hash, a "reproduce with" line, a sweep's shard).
//!
//! `provenance.json` is the one file that legitimately differs between
//! invocations that give the same results (another `--threads`, a shard,
//! a merge): every other file of a folder is a pure function of the
//! inputs and the build.
//!
//! Imports: `output::atomic` and `output::error`.

use super::error::Result;
use super::write_atomic;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::Path;

/// meshsync's version (`Cargo.toml`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git commit meshsync was built from (`-dirty` when its sources
/// differed from it), when built from a checkout.
pub const GIT_COMMIT: Option<&str> = option_env!("MESHSYNC_GIT_COMMIT");

/// The build that makes a result: `0.1.0`, or `0.1.0 (git <commit>)`.
pub fn build() -> String {
    match GIT_COMMIT {
        Some(c) => format!("{VERSION} (git {c})"),
        None => VERSION.to_string(),
    }
}

/// The file name.
pub const FILE: &str = "provenance.json";

/// One invocation's record (`provenance.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// meshsync's version.
    pub meshsync: String,
    /// The git commit it was built from, if built from a checkout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub git_commit: Option<String>,
    /// The command, shell-quoted, `meshsync` first.
    pub command: String,
    /// The folder it ran in (relative paths in `command` are from there).
    pub working_dir: String,
    /// What the command adds, in the order added.
    #[serde(flatten)]
    pub details: Map<String, Value>,
}

impl Provenance {
    /// The record of `meshsync ARGS` (the arguments after the program),
    /// run now by this build.
    pub fn new<S: AsRef<str>>(args: &[S]) -> Provenance {
        Provenance {
            meshsync: VERSION.to_string(),
            git_commit: GIT_COMMIT.map(str::to_string),
            command: command_line(args),
            working_dir: std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default(),
            details: Map::new(),
        }
    }

    /// Adds `key` (after the ones already there).
    pub fn with(mut self, key: &str, value: impl Serialize) -> Provenance {
        let v = serde_json::to_value(value).unwrap_or(Value::Null);
        self.details.insert(key.to_string(), v);
        self
    }

    /// Writes `dir/provenance.json` (atomically).
    pub fn write(&self, dir: &Path) -> Result<()> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        write_atomic(&dir.join(FILE), text.as_bytes())
    }

    /// Reads `dir/provenance.json`, if it is there and one.
    pub fn read(dir: &Path) -> Option<Provenance> {
        let text = std::fs::read_to_string(dir.join(FILE)).ok()?;
        serde_json::from_str(&text).ok()
    }
}

/// `meshsync ARGS`, each argument quoted for a POSIX shell where needed.
pub fn command_line<S: AsRef<str>>(args: &[S]) -> String {
    std::iter::once("meshsync".to_string())
        .chain(
            args.iter()
                .map(|a| shell_words::quote(a.as_ref()).into_owned()),
        )
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_paste_into_a_shell() {
        let line = command_line(&["run", "my scenarios/x.json", "--seed", "3"]);
        assert_eq!(line, "meshsync run 'my scenarios/x.json' --seed 3");
        assert_eq!(
            shell_words::split(&line).unwrap(),
            ["meshsync", "run", "my scenarios/x.json", "--seed", "3"]
        );
    }

    #[test]
    fn the_build_names_the_version() {
        assert!(build().starts_with(VERSION));
        // Built from a checkout git can read, the commit is recorded.
        let git_reads_it = std::process::Command::new("git")
            .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
            .output()
            .is_ok_and(|o| o.status.success());
        if git_reads_it && Path::new(env!("CARGO_MANIFEST_DIR")).join(".git").exists() {
            let c = GIT_COMMIT.expect("built from a checkout");
            assert!(
                c.len() >= 40 && c[..40].chars().all(|x| x.is_ascii_hexdigit()),
                "{c}"
            );
        }
    }
}
