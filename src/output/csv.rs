//! CSV files: every CSV meshsync writes (`deliveries.csv`, `comparison.csv`,
//! `runs.csv`, `points.csv`) or reads (`deliveries.csv`, for `plot`) goes
//! through here, with the `csv` crate and serde rows.
//!
//! A file is a header row (written even when no row follows) and then one
//! serde row per line: `\n` line ends, quotes only around a field holding a
//! comma, a quote or a line break (quotes inside doubled). Numbers do not go
//! through the `csv` crate's own float formatting, so the text stays what it
//! has always been: integers are serialized as integers, floats are
//! pre-formatted into `String` fields with [`num`] (Rust's shortest
//! round-trip `Display`, empty for none) and times with [`Secs`] (seconds
//! with six decimals). A row struct may nest sequences and structs: they are
//! written inline, in field order.
//!
//! Imports: `sim/`, `report/` and `output::error`.

use crate::output::error::{Context, Error, Result};
use crate::report::{DeliveryRow, RunReport, UndeliveredRow};
use crate::sim::message::{MsgId, NodeId};
use crate::sim::time::SimTime;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;

/// A CSV file being written: the header first, then rows.
pub struct Table<W: Write> {
    out: ::csv::Writer<W>,
}

impl<W: Write> Table<W> {
    /// Starts a table on `out` with the `header` row.
    pub fn new<I>(out: W, header: I) -> io::Result<Table<W>>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut out = ::csv::WriterBuilder::new()
            .has_headers(false)
            .terminator(::csv::Terminator::Any(b'\n'))
            .from_writer(out);
        out.write_record(header)?;
        Ok(Table { out })
    }

    /// Writes one row: a struct's fields (sequences and nested structs
    /// inline) in order. Every row has as many fields as the header.
    pub fn row<R: Serialize>(&mut self, row: &R) -> io::Result<()> {
        Ok(self.out.serialize(row)?)
    }

    /// Flushes what is buffered into the underlying writer.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A float as CSV text: Rust's `Display` (shortest round-trip, no
/// exponent), empty for none.
pub fn num(x: Option<f64>) -> String {
    x.map_or(String::new(), |x| x.to_string())
}

/// A JSON value as the text of a cell: a string as it is, anything else as
/// JSON (`0.5`, `true`, `[1,2]`). The table quotes it if needed.
pub fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One field as it appears in a CSV line, quoted if needed (for labels
/// that show a cell as the files do). An empty field stays empty.
pub fn field(text: &str) -> String {
    if text.is_empty() {
        // A record of one empty field is written `""` by the csv crate.
        return String::new();
    }
    let mut w = ::csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let bytes = w
        .write_record([text])
        .and_then(|_| w.into_inner().map_err(|e| e.into_error().into()));
    let mut s = bytes.map_or_else(|_| text.to_string(), |b| String::from_utf8_lossy(&b).into());
    s.pop(); // the line end
    s
}

/// A time as seconds with microsecond precision (`12.000250`); serializes
/// as that text without allocating.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secs(pub SimTime);

impl fmt::Display for Secs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.0.as_micros();
        write!(f, "{}.{:06}", us / 1_000_000, us % 1_000_000)
    }
}

impl Serialize for Secs {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 32];
        let mut cur = &mut buf[..];
        write!(cur, "{self}").map_err(serde::ser::Error::custom)?;
        let len = 32 - cur.len();
        let text = std::str::from_utf8(&buf[..len]).map_err(serde::ser::Error::custom)?;
        s.serialize_str(text)
    }
}

/// One row of `deliveries.csv` as written (an undelivered pair has no
/// delivery time, and no receipt time unless it was received).
#[derive(Serialize)]
struct DeliveryOut<'a> {
    message: MsgId,
    group: &'a str,
    sender: NodeId,
    recipient: NodeId,
    created_s: Secs,
    received_s: Option<Secs>,
    delivered_s: Option<Secs>,
}

/// Which (message, recipient) pairs `deliveries.csv` lists (`run
/// --deliveries`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum DeliveriesMode {
    /// No `deliveries.csv` (runs of millions of deliveries, whose file
    /// is about 1 GB at 10,000 nodes).
    None,
    /// The delivered pairs (the default).
    #[default]
    Delivered,
    /// Every due pair: the delivered ones and the undelivered ones, whose
    /// `delivered_s` is empty (and `received_s` too unless received), so
    /// per-recipient ratios can be computed.
    All,
}

/// The columns of `deliveries.csv`.
pub const DELIVERIES_HEADER: [&str; 7] = [
    "message",
    "group",
    "sender",
    "recipient",
    "created_s",
    "received_s",
    "delivered_s",
];

/// Writes `deliveries.csv` of `report` to `w`, a row at a time: the
/// delivered pairs.
pub fn write_deliveries(report: &RunReport, w: &mut dyn Write) -> io::Result<()> {
    write_deliveries_mode(report, DeliveriesMode::Delivered, w)
}

/// Writes `deliveries.csv` of `report` to `w` with the pairs `mode` lists,
/// in (message, recipient) order (nothing for [`DeliveriesMode::None`]).
pub fn write_deliveries_mode(
    report: &RunReport,
    mode: DeliveriesMode,
    w: &mut dyn Write,
) -> io::Result<()> {
    if mode == DeliveriesMode::None {
        return Ok(());
    }
    let mut t = Table::new(w, DELIVERIES_HEADER)?;
    let none: &[UndeliveredRow] = &[];
    let missed = if mode == DeliveriesMode::All {
        &report.undelivered[..]
    } else {
        none
    };
    let (mut d, mut u) = (
        report.deliveries.iter().peekable(),
        missed.iter().peekable(),
    );
    loop {
        let take_d = match (d.peek(), u.peek()) {
            (None, None) => break,
            (Some(a), Some(b)) => (a.message, a.recipient) < (b.message, b.recipient),
            (a, _) => a.is_some(),
        };
        let row = if take_d {
            delivered_row(report, d.next().expect("peeked"))
        } else {
            undelivered_row(report, u.next().expect("peeked"))
        };
        t.row(&row)?;
    }
    t.finish()
}

fn delivered_row<'a>(report: &'a RunReport, d: &DeliveryRow) -> DeliveryOut<'a> {
    DeliveryOut {
        message: d.message,
        group: &report.group_names[d.group as usize],
        sender: d.sender,
        recipient: d.recipient,
        created_s: Secs(d.created),
        received_s: Some(Secs(d.received)),
        delivered_s: Some(Secs(d.delivered)),
    }
}

fn undelivered_row<'a>(report: &'a RunReport, u: &UndeliveredRow) -> DeliveryOut<'a> {
    let m = &report.messages[u.message as usize];
    DeliveryOut {
        message: u.message,
        group: &report.group_names[m.group as usize],
        sender: m.sender,
        recipient: u.recipient,
        created_s: Secs(m.created),
        received_s: (u.received != SimTime::NEVER).then_some(Secs(u.received)),
        delivered_s: None,
    }
}

/// The columns of `nodes.csv`.
pub const NODES_HEADER: [&str; 10] = [
    "node",
    "role",
    "online_fraction",
    "bytes_sent_author",
    "bytes_sent_member",
    "bytes_sent_nonmember",
    "bytes_sent_store",
    "bytes_received",
    "messages_authored",
    "deliveries_received",
];

/// Writes `nodes.csv` of `report` to `w`: one row per node, by id (see
/// [`crate::report::NodeRow`]; bytes by role as `bytes_by_role` splits
/// them).
pub fn write_nodes(report: &RunReport, w: &mut dyn Write) -> io::Result<()> {
    let mut t = Table::new(w, NODES_HEADER)?;
    for n in &report.nodes {
        let [a, m, x, s] = n.bytes_sent;
        let online = format!("{:.6}", n.online_fraction);
        t.row(&(
            n.node,
            n.role,
            online,
            a,
            m,
            x,
            s,
            n.bytes_received,
            n.messages_authored,
            n.deliveries_received,
        ))?;
    }
    t.finish()
}

/// The `deliveries.csv` text of `report`.
pub fn deliveries(report: &RunReport) -> String {
    let mut s = Vec::with_capacity(64 * (report.deliveries.len() + 1));
    let _ = write_deliveries(report, &mut s);
    String::from_utf8(s).unwrap_or_default()
}

/// One row of `deliveries.csv` as read back (times in seconds).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct DeliveryIn {
    /// Message id.
    pub message: MsgId,
    /// Group name.
    pub group: String,
    /// Author.
    pub sender: NodeId,
    /// Recipient.
    pub recipient: NodeId,
    /// Written at.
    pub created_s: f64,
    /// First received at (empty: never; `--deliveries all` only).
    pub received_s: Option<f64>,
    /// Delivered at (empty: not delivered; `--deliveries all` only).
    pub delivered_s: Option<f64>,
}

/// Reads `deliveries.csv`.
pub fn read_deliveries(path: &Path) -> Result<Vec<DeliveryIn>> {
    read_rows(path)
}

/// Reads every row of the CSV file `path` (a header row, then rows matched
/// to `R`'s fields by column name). An error names the file and the line.
pub fn read_rows<R: DeserializeOwned>(path: &Path) -> Result<Vec<R>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut rows = Vec::new();
    for row in ::csv::Reader::from_reader(io::BufReader::new(file)).into_deserialize() {
        rows.push(row.map_err(|e| located(path, &e))?);
    }
    Ok(rows)
}

/// A read error as `file:line: what`.
fn located(path: &Path, e: &::csv::Error) -> Error {
    let line = e
        .position()
        .map_or(String::new(), |p| format!(":{}", p.line()));
    let what = match e.kind() {
        ::csv::ErrorKind::Deserialize { err, .. } => err.to_string(),
        ::csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("expected {expected_len} fields, found {len}"),
        _ => e.to_string(),
    };
    Error::Content(format!("{}{line}: {what}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row<'a> {
        a: u64,
        cells: Vec<String>,
        b: &'a str,
    }

    #[test]
    fn writes_header_rows_and_quotes_only_when_needed() {
        let mut out = Vec::new();
        let mut t = Table::new(&mut out, ["a", "x,y", "z", "b"]).unwrap();
        let cells = vec![json_text(&serde_json::json!([1, 2])), num(Some(0.1))];
        t.row(&Row {
            a: 7,
            cells,
            b: "say \"hi\"",
        })
        .unwrap();
        t.row(&Row {
            a: 8,
            cells: vec![num(None), num(Some(1e20))],
            b: "",
        })
        .unwrap();
        t.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"x,y\",z,b\n7,\"[1,2]\",0.1,\"say \"\"hi\"\"\"\n8,,100000000000000000000,\n"
        );
    }

    #[test]
    fn a_header_alone_is_a_file() {
        let mut out = Vec::new();
        Table::new(&mut out, ["a", "b"]).unwrap().finish().unwrap();
        assert_eq!(out, b"a,b\n");
    }

    #[test]
    fn fields_and_times() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field(""), "");
        assert_eq!(Secs(SimTime(12_000_250)).to_string(), "12.000250");
    }

    #[test]
    fn read_errors_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("deliveries.csv");
        let head = DELIVERIES_HEADER.join(",");
        std::fs::write(&p, format!("{head}\n1,g,0,1,1.5,2,2.25\n2,g,0,1,x,2,3\n")).unwrap();
        let e = read_deliveries(&p).unwrap_err().to_string();
        assert!(e.contains("deliveries.csv:3: "), "{e}");
        std::fs::write(&p, format!("{head}\n1,g,0,1,1.5,2,2.25\n")).unwrap();
        let rows = read_deliveries(&p).unwrap();
        assert_eq!((rows[0].created_s, rows[0].delivered_s), (1.5, Some(2.25)));
        std::fs::write(&p, format!("{head}\n1,g,0,1,1.5,,\n")).unwrap();
        let rows = read_deliveries(&p).unwrap();
        assert_eq!((rows[0].received_s, rows[0].delivered_s), (None, None));
    }
}
