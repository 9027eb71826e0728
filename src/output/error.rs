//! The error of writing and reading result files: what was being done
//! (naming the file) and why. [`Context::with_context`] attaches the what
//! to a lower error, which stays the [`std::error::Error::source`], so a
//! report of the whole chain (`cannot write x.csv: No space left on
//! device`) reads as it always did.
//!
//! Imports: nothing from this crate.

/// A boxed lower error: an I/O error, a temporary file that could not be
/// persisted, a CSV reader's error.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A result file that could not be written, read or drawn.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file operation failed: `context` says which, `source` why.
    #[error("{context}")]
    File {
        /// What was being done (`cannot write out/summary.json`).
        context: String,
        /// Why it failed.
        #[source]
        source: Cause,
    },
    /// A file holds what it should not (`deliveries.csv:3: …`), or lacks
    /// what it should.
    #[error("{0}")]
    Content(String),
    /// A plot could not be drawn or encoded.
    #[error("{0}")]
    Plot(String),
    /// A result could not be serialized.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// A result of this layer.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds what was being done to a lower error (as `anyhow`'s `Context`).
pub trait Context<T> {
    /// The error becomes an [`Error::File`] with `what()` as its context.
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T, E: Into<Cause>> Context<T> for std::result::Result<T, E> {
    fn with_context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| Error::File {
            context: what(),
            source: e.into(),
        })
    }
}

/// A plotters drawing error as a [`Error::Plot`] (its debug text, as the
/// backends' errors carry no better).
pub fn drawing<E: std::fmt::Debug>(e: E) -> Error {
    Error::Plot(format!("{e:?}"))
}

/// `e` and every error under it, joined with `: ` (as `anyhow` prints an
/// error with `{:#}`).
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        text.push_str(": ");
        text.push_str(&s.to_string());
        cur = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chain_names_the_file_and_the_cause() {
        let io = std::io::Error::other("No space left on device");
        let e = Err::<(), _>(io)
            .with_context(|| "cannot write x.csv".into())
            .unwrap_err();
        assert_eq!(e.to_string(), "cannot write x.csv");
        assert_eq!(chain(&e), "cannot write x.csv: No space left on device");
    }
}
