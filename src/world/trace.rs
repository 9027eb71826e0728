//! The ONE's text formats: contact traces and external message events.
//!
//! Contacts: `<time> CONN <a> <b> up|down`, one per line; messages:
//! `<time> C <msg-id> <from> <to> <size> [<response-size>]`. Blank lines and
//! lines starting with `#` are skipped. Host ids are digits (`17`) or a
//! prefix and digits (`p17`, `car17`): the digits are the node id. Times must
//! not go backwards. Every error names the file and the line number.

use crate::sim::message::NodeId;
use crate::sim::time::SimTime;
use thiserror::Error;

/// A malformed trace line (bad input: exit code 2).
#[derive(Debug, Error, PartialEq, Eq)]
#[error("{file}:{line}: {message}")]
pub struct TraceError {
    /// The file.
    pub file: String,
    /// 1-based line number (0: the file as a whole).
    pub line: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

/// One contact event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContactEvent {
    /// When.
    pub at: SimTime,
    /// One end.
    pub a: NodeId,
    /// The other end.
    pub b: NodeId,
    /// Link comes up (true) or goes down.
    pub up: bool,
}

/// One message-creation event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageEvent {
    /// When.
    pub at: SimTime,
    /// The trace's message id.
    pub id: String,
    /// Sender.
    pub from: NodeId,
    /// Recipient.
    pub to: NodeId,
    /// Size in bytes.
    pub size: u32,
}

/// Parses a host id: digits, or a non-digit prefix then digits. A signed
/// number (`-1`, `+3`) is not a host id.
pub fn host_id(token: &str) -> Option<NodeId> {
    if token.starts_with(['-', '+']) {
        return None;
    }
    let digits = token.trim_start_matches(|c: char| !c.is_ascii_digit());
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

struct Lines<'a> {
    file: &'a str,
    last: SimTime,
    nodes: u32,
}

impl Lines<'_> {
    fn err<T>(&self, line: usize, message: impl Into<String>) -> Result<T, TraceError> {
        Err(TraceError {
            file: self.file.to_string(),
            line,
            message: message.into(),
        })
    }

    fn time(&mut self, line: usize, token: &str) -> Result<SimTime, TraceError> {
        let t: f64 = match token.parse() {
            Ok(t) if f64::is_finite(t) && t >= 0.0 => t,
            _ => {
                return self.err(
                    line,
                    format!("expected a time in seconds >= 0, got {token:?}"),
                )
            }
        };
        let at = SimTime::from_secs_f64(t);
        if at < self.last {
            return self.err(
                line,
                format!(
                    "time goes backwards: {token} after {}",
                    self.last.as_secs_f64()
                ),
            );
        }
        self.last = at;
        Ok(at)
    }

    fn host(&self, line: usize, token: &str) -> Result<NodeId, TraceError> {
        match host_id(token) {
            Some(h) if h < self.nodes => Ok(h),
            Some(h) => self.err(
                line,
                format!(
                    "unknown host {token:?}: host {h} is not a node (the scenario has nodes 0..{})",
                    self.nodes
                ),
            ),
            None if token.starts_with('-') => self.err(
                line,
                format!("expected a host id >= 0 (digits, or a prefix and digits), got the negative {token:?}"),
            ),
            None => self.err(
                line,
                format!("expected a host id (digits, or a prefix and digits), got {token:?}"),
            ),
        }
    }
}

fn records(text: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    text.lines().enumerate().filter_map(|(i, l)| {
        let l = l.trim();
        (!l.is_empty() && !l.starts_with('#')).then(|| (i + 1, l.split_whitespace().collect()))
    })
}

/// Runs `row` on every record of `text` after checking its shape: a field
/// count in `fields` and `keyword` as the second field (`usage` is quoted in
/// the error otherwise).
fn parse_records<T>(
    text: &str,
    file: &str,
    nodes: u32,
    (keyword, fields, usage): (&str, std::ops::RangeInclusive<usize>, &str),
    mut row: impl FnMut(&mut Lines, usize, &[&str]) -> Result<T, TraceError>,
) -> Result<Vec<T>, TraceError> {
    let mut p = Lines {
        file,
        last: SimTime::ZERO,
        nodes,
    };
    let mut out = Vec::new();
    for (line, f) in records(text) {
        if !fields.contains(&f.len()) || f[1] != keyword {
            return p.err(line, format!("expected `{usage}`, got {:?}", f.join(" ")));
        }
        out.push(row(&mut p, line, &f)?);
    }
    Ok(out)
}

/// Parses a contact trace whose hosts must be nodes `0..nodes`.
pub fn parse_contacts(text: &str, file: &str, nodes: u32) -> Result<Vec<ContactEvent>, TraceError> {
    let shape = ("CONN", 5..=5, "<time> CONN <a> <b> up|down");
    parse_records(text, file, nodes, shape, |p, line, f| {
        let at = p.time(line, f[0])?;
        let (a, b) = (p.host(line, f[2])?, p.host(line, f[3])?);
        if a == b {
            return p.err(line, format!("a host cannot contact itself ({})", f[2]));
        }
        let up = match f[4] {
            "up" => true,
            "down" => false,
            other => return p.err(line, format!("expected `up` or `down`, got {other:?}")),
        };
        Ok(ContactEvent { at, a, b, up })
    })
}

/// Parses external message-creation events (only `C` events are accepted)
/// whose hosts must be nodes `0..nodes`.
pub fn parse_messages(text: &str, file: &str, nodes: u32) -> Result<Vec<MessageEvent>, TraceError> {
    let shape = (
        "C",
        6..=7,
        "<time> C <id> <from> <to> <size> [<response-size>]",
    );
    parse_records(text, file, nodes, shape, |p, line, f| {
        let at = p.time(line, f[0])?;
        let (from, to) = (p.host(line, f[3])?, p.host(line, f[4])?);
        if from == to {
            return p.err(
                line,
                format!("a message needs two different hosts, got {} twice", f[3]),
            );
        }
        let size = match f[5].parse::<u32>() {
            Ok(s) if (1..=32_768).contains(&s) => s,
            _ => {
                return p.err(
                    line,
                    format!("expected a size of 1 to 32768 bytes, got {:?}", f[5]),
                )
            }
        };
        Ok(MessageEvent {
            at,
            id: f[2].to_string(),
            from,
            to,
            size,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_contacts_with_comments_and_prefixes() {
        let t = "# a comment\n\n0.5 CONN p1 p2 up\n2 CONN 1 2 down\n";
        let c = parse_contacts(t, "t.txt", 100).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0],
            ContactEvent {
                at: SimTime(500_000),
                a: 1,
                b: 2,
                up: true
            }
        );
        assert!(!c[1].up);
    }

    #[test]
    fn contact_errors_name_the_line() {
        let e = parse_contacts("1 CONN 1 2 up\n0.5 CONN 1 2 down\n", "t.txt", 100).unwrap_err();
        assert_eq!((e.line, e.message.contains("backwards")), (2, true));
        let e = parse_contacts("1 CONN 1 2 sideways\n", "t.txt", 100).unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.txt:1: expected `up` or `down`, got \"sideways\""
        );
        let e = parse_contacts("\n\n1 CONN x 2 up\n", "t.txt", 100).unwrap_err();
        assert_eq!(e.line, 3);
        assert!(parse_contacts("1 CON 1 2 up", "t", 100).is_err());
        assert!(parse_contacts("abc CONN 1 2 up", "t", 100).is_err());
        assert!(parse_contacts("1 CONN 1 1 up", "t", 100).is_err());
        let e = parse_contacts("1 CONN 1 2 up\n2 CONN 1 200 up", "t", 100).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("unknown host \"200\""), "{}", e.message);
    }

    #[test]
    fn parses_message_events() {
        let m =
            parse_messages("5.0 C M840 56 32 1000\n6 C M1 h1 h2 10 20\n", "m.txt", 100).unwrap();
        assert_eq!(
            m[0],
            MessageEvent {
                at: SimTime::from_secs(5),
                id: "M840".into(),
                from: 56,
                to: 32,
                size: 1000
            }
        );
        assert_eq!(m[1].to, 2);
        assert!(parse_messages("5 DE M1 1 2", "m", 100).is_err());
        assert!(parse_messages("5 C M1 1 2 0", "m", 100).is_err());
    }

    #[test]
    fn negative_host_ids_are_errors_naming_the_line() {
        let e = parse_contacts("0 CONN 0 1 up\n2 CONN 1 -1 up\n", "t.txt", 3).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("negative \"-1\""), "{e}");
        let e = parse_messages("# h\n1 C m1 -2 1 10\n", "m.txt", 3).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        assert!(e.message.contains("negative \"-2\""), "{e}");
    }

    #[test]
    fn host_ids() {
        assert_eq!(host_id("17"), Some(17));
        assert_eq!(host_id("car17"), Some(17));
        assert_eq!(host_id("car"), None);
        assert_eq!(host_id("1a"), None);
        assert_eq!(host_id("-1"), None);
        assert_eq!(host_id("+1"), None);
    }
}
