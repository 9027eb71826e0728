//! `meshsync check`: a result against a baseline; exit code 1 on a
//! regression.
//!
//! Imports: `experiments/` and the clap definitions in `cli/`.

use super::CheckArgs;
use anyhow::Result;

/// Runs the `check` command.
pub(super) fn check(args: CheckArgs) -> Result<i32> {
    let tol = crate::experiments::check::Tolerances::new(&args.tolerance);
    let report = crate::experiments::check::check(&args.current, &args.baseline, &tol)?;
    out!("{}", report.render());
    Ok(if report.regressions.is_empty() { 0 } else { 1 })
}
