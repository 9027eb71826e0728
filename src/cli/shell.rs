//! `meshsync completions <shell>` and `meshsync man [--out DIR]`: shell
//! completion scripts (`clap_complete`) and man pages (`clap_mangen`),
//! both generated from the clap definitions, so they list exactly the
//! commands and flags the binary takes.
//!
//! Imports: `cli/` (its clap definitions).

use super::Cli;
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::path::Path;

/// Runs the `completions` command: the script for `shell` on stdout.
pub(super) fn completions(shell: clap_complete::Shell) -> Result<i32> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "meshsync", &mut buf);
    out!("{}", String::from_utf8_lossy(&buf));
    Ok(0)
}

/// Runs the `man` command: `meshsync(1)` on stdout, or with `out` one page
/// per command (`meshsync.1`, `meshsync-run.1`, …) written into that folder.
pub(super) fn man(out: Option<&Path>) -> Result<i32> {
    let cmd = Cli::command();
    match out {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            out!("{}", String::from_utf8_lossy(&buf));
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                super::InputError(format!("{}: cannot create the folder: {e}", dir.display()))
            })?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            let mut pages: Vec<String> = std::fs::read_dir(dir)?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("meshsync") && n.ends_with(".1"))
                .collect();
            pages.sort();
            outln!(
                "wrote {} man pages into {}: {}",
                pages.len(),
                dir.display(),
                pages.join(" ")
            );
        }
    }
    Ok(0)
}
