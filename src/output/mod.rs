//! Writing results: whole result folders ([`folder`]), atomic files ([`atomic`]), their errors ([`error`]), CSV files ([`csv`]), where a result came from ([`provenance`]), the
//! plot curves computed from reports ([`curves`]) and the plots drawn from
//! them ([`plots`], [`plot`]), The ONE's `MessageStatsReport` text
//! ([`one_report`]), the files of one run's folder ([`run_folder`]).
//!
//! Imports: `sim/` and `report/`.

pub mod atomic;
pub mod csv;
pub mod curves;
pub mod error;
pub mod folder;
pub mod one_report;
pub mod plot;
pub mod plots;
pub mod provenance;
pub mod run_folder;

pub use atomic::{write_atomic, write_atomic_with};
pub use error::Error;
pub use folder::{OutputError, OutputLock, ResultSet};
pub use provenance::Provenance;
