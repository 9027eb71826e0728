//! Reading input files with a size limit: a file larger than its limit is
//! refused before it is read whole (from its length when the file system
//! knows it, else as soon as the limit is passed). Only regular files are
//! read: a FIFO with no writer would block for ever (even opening it
//! blocks), and a device such as `/dev/zero` never ends, so both are
//! refused before they are opened. A UTF-8 byte-order mark, which some
//! editors write, is dropped.
//!
//! Imports: nothing from this crate.

use std::io::Read;
use std::path::Path;

/// Largest scenario or sweep file read (16 MiB: the largest bundled one
/// is under 10 kB; a scenario with a million scripted messages is ~60 MB
/// and belongs in a trace file).
pub const MAX_JSON_BYTES: u64 = 16 << 20;

/// Largest contact-trace or message-event file read (2 GiB).
pub const MAX_TRACE_BYTES: u64 = 2 << 30;

/// Reads `path` as UTF-8 text of at most `limit` bytes. The error says
/// what went wrong (the caller names the file).
pub fn read_text(path: &Path, limit: u64) -> std::io::Result<String> {
    // Asked of the path, before opening: opening a FIFO blocks until
    // something writes to it.
    let kind = std::fs::metadata(path)?.file_type();
    if !kind.is_file() && !kind.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket or device): save it to a file first",
        ));
    }
    let file = std::fs::File::open(path)?;
    let too_big = || {
        std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "larger than the {} limit for this kind of file",
                human(limit)
            ),
        )
    };
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "a folder, not a file",
        ));
    }
    if meta.is_file() && meta.len() > limit {
        return Err(too_big());
    }
    let mut text = String::new();
    file.take(limit + 1).read_to_string(&mut text)?;
    if text.len() as u64 > limit {
        return Err(too_big());
    }
    if let Some(rest) = text.strip_prefix('\u{feff}') {
        text = rest.to_string();
    }
    Ok(text)
}

/// `16 MiB`, `2 GiB`, `512 B`.
fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b => format!("{b} B"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_fifos_are_refused_before_they_are_opened() {
        let e = read_text(Path::new("/dev/zero"), 1000).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            // Nothing writes to it: opening it would block for ever.
            let e = read_text(&fifo, 1000).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput, "{e}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bom.json");
        std::fs::write(&p, "\u{feff}{}").unwrap();
        assert_eq!(read_text(&p, 100).unwrap(), "{}");
    }

    #[test]
    fn a_large_file_is_refused_by_its_length() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.json");
        std::fs::write(&p, vec![b' '; 2048]).unwrap();
        assert!(read_text(&p, 2047).is_err());
        assert_eq!(read_text(&p, 2048).unwrap().len(), 2048);
    }

    #[test]
    fn a_folder_is_not_read() {
        let e = read_text(Path::new("."), 100).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::IsADirectory);
    }
}
