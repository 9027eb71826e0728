//! `meshsync merge`: sweep shard folders joined into one.
//!
//! Imports: `experiments/`, `output/` (provenance) and `cli/`.

use anyhow::Result;
use std::path::{Path, PathBuf};

/// Runs the `merge` command.
pub(super) fn merge(dirs: &[PathBuf], out: &Path, cx: &super::Cx) -> Result<i32> {
    let provenance = cx.provenance();
    let n = crate::experiments::sweep::merge(dirs, out, provenance, &cx.registry.order())?;
    outln!(
        "merged {} shard folders: {n} runs into {}",
        dirs.len(),
        out.display()
    );
    Ok(0)
}
