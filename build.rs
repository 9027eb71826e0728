//! Records the git commit meshsync is built from, when it is built from a
//! git checkout of itself, as `MESHSYNC_GIT_COMMIT` (`<40 hex>` or
//! `<40 hex>-dirty` when `src/`, `Cargo.toml`, `Cargo.lock` or `build.rs`
//! differ from that commit). Outside a checkout (a crates.io download) it is
//! not set and result folders record the version alone. The same binary
//! always records the same commit, so results stay byte-identical.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    for p in ["build.rs", "src", "Cargo.toml", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={p}");
    }
    // Only a checkout whose top level is this crate (not a download
    // unpacked inside some other repository).
    let top = git(&dir, &["rev-parse", "--show-toplevel"]).map(PathBuf::from);
    let same = |t: &Path| t.canonicalize().ok() == dir.canonicalize().ok();
    if !top.as_deref().is_some_and(same) {
        return;
    }
    // Rebuild when HEAD moves (a commit, a checkout). Only files that
    // exist: cargo takes a missing one as changed, and would rebuild on
    // every build (a ref packed away later removes its file: a change).
    let branch = git(&dir, &["symbolic-ref", "-q", "HEAD"]);
    for p in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(path) = git(&dir, &["rev-parse", "--git-path", p]) {
            let path = dir.join(path);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    let Some(commit) = git(&dir, &["rev-parse", "HEAD"]) else {
        return;
    };
    let status = git(
        &dir,
        &[
            "status",
            "--porcelain",
            "--",
            "src",
            "Cargo.toml",
            "Cargo.lock",
            "build.rs",
        ],
    );
    let dirty = status.is_none_or(|s| !s.is_empty());
    let suffix = if dirty { "-dirty" } else { "" };
    println!("cargo:rustc-env=MESHSYNC_GIT_COMMIT={commit}{suffix}");
}
