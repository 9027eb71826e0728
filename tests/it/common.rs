//! Helpers shared by the integration tests that run the real binary.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `meshsync ARGS` in `dir` and returns what it did.
pub fn meshsync(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshsync"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("binary runs")
}

/// Asserts `o` succeeded (showing its stderr if not); returns its stdout.
pub fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}
