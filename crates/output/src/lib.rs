//! Output: the writers that turn alerts into JSON lines, CSV or a terminal table, all behind
//! one [`AlertWriter`] interface so the binary never cares which one it holds. Field names and
//! column names are part of pubsub-hunt's interface: JSON lines carry the fields of
//! [`Alert`](pubsub_hunt_core::Alert) as they are; CSV has the same columns, with list fields
//! joined (`users` by `;`, `reasons` by ` | `).

mod csv;
mod jsonl;
mod table;

pub use csv::{CSV_COLUMNS, CsvWriter};
pub use jsonl::JsonlWriter;
pub use table::{DEFAULT_WIDTH, TableOptions, TableWriter};

use pubsub_hunt_core::time::format_rfc3339;
use pubsub_hunt_core::{Alert, Session};
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Jsonl,
    Csv,
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(OutputFormat::Table),
            "jsonl" | "json" => Ok(OutputFormat::Jsonl),
            "csv" => Ok(OutputFormat::Csv),
            _ => Err(format!(
                "unknown output format {s:?} (expected table, jsonl or csv)"
            )),
        }
    }
}

impl fmt::Display for OutputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            OutputFormat::Table => "table",
            OutputFormat::Jsonl => "jsonl",
            OutputFormat::Csv => "csv",
        })
    }
}

/// Writes alerts in one format.
pub trait AlertWriter {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()>;
    /// Writes one session line (`--all-sessions`). Only JSON lines can mix sessions with
    /// alerts; the other writers refuse, and the CLI checks that before a run.
    fn write_session(&mut self, _session: &Session) -> io::Result<()> {
        Err(io::Error::other(
            "sessions can only be written as JSON lines",
        ))
    }
    /// Writes anything buffered (the table) and flushes.
    fn finish(&mut self) -> io::Result<()>;
}

/// A writer for `format` on `out`. `table_width` bounds the table (the terminal width), if any.
pub fn new_writer<'a>(
    format: OutputFormat,
    out: Box<dyn Write + 'a>,
    table_width: Option<u16>,
) -> Box<dyn AlertWriter + 'a> {
    match format {
        OutputFormat::Jsonl => Box::new(JsonlWriter::new(out)),
        OutputFormat::Csv => Box::new(CsvWriter::new(out)),
        OutputFormat::Table => Box::new(TableWriter::new(out, table_width)),
    }
}

pub(crate) fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

pub(crate) fn time(v: Option<i64>) -> String {
    v.map(format_rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::{AnalyticId, Protocol, Suspicion, TECHNIQUE};

    fn alert() -> Alert {
        Alert {
            kind: "alert",
            id: "0123456789abcdef".into(),
            analytic: AnalyticId::PubsubPort,
            analytics: vec![AnalyticId::PubsubPort],
            technique: TECHNIQUE,
            suspicion: Suspicion::High,
            seed_suspicion: Suspicion::High,
            score: 85,
            signals: [(pubsub_hunt_core::SignalId::Beacon, 15.0)]
                .into_iter()
                .collect(),
            first_seen: Some(1_329_843_175_736_107),
            last_seen: None,
            host: "10.0.0.1".into(),
            users: vec!["a".into(), "b".into()],
            process: None,
            src_ip: Some("10.0.0.1".parse().unwrap()),
            dst_ip: "198.51.100.1".parse().unwrap(),
            dst_port: 5222,
            destination_names: vec![],
            protocol: Protocol::Xmpp,
            external: true,
            connections: 3,
            bytes_sent: Some(10),
            bytes_received: None,
            packets_sent: None,
            packets_received: None,
            reasons: vec!["one, with comma".into(), "two".into()],
            source_format: "zeek-tsv".into(),
            samples: vec![pubsub_hunt_core::RecordRef {
                file: "conn.log".into(),
                line: 9,
            }],
            suppressed_by: None,
            app: None,
            windows: None,
            sources: Vec::new(),
        }
    }

    fn render(format: OutputFormat) -> String {
        let mut buf = Vec::new();
        {
            let mut w = new_writer(format, Box::new(&mut buf), Some(250));
            w.write_alert(&alert()).unwrap();
            w.finish().unwrap();
        }
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn jsonl_has_the_interface_fields() {
        let s = render(OutputFormat::Jsonl);
        let v: serde_json::Value = serde_json::from_str(s.trim()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut want = CSV_COLUMNS.to_vec();
        want.sort_unstable();
        let mut got = keys.clone();
        got.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(v["first_seen"], "2012-02-21T16:52:55.736107Z");
        assert!(v["last_seen"].is_null());
        assert!(v["process"].is_null());
        assert!(v["bytes_received"].is_null());
        assert_eq!(v["protocol"], "XMPP");
        assert_eq!(v["suspicion"], "high");
        assert_eq!(v["technique"], "T1071.005");
    }

    #[test]
    fn csv_has_the_same_columns() {
        let s = render(OutputFormat::Csv);
        let mut r = ::csv::Reader::from_reader(s.as_bytes());
        let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(headers, CSV_COLUMNS);
        let row = r.records().next().unwrap().unwrap();
        let col = |name: &str| CSV_COLUMNS.iter().position(|c| *c == name).unwrap();
        assert_eq!(&row[col("users")], "a;b");
        assert_eq!(&row[col("reasons")], "one, with comma | two");
        assert_eq!(&row[col("last_seen")], "");
        assert_eq!(&row[col("score")], "85");
        assert_eq!(&row[col("signals")], "beacon=+15");
        assert_eq!(&row[col("samples")], "conn.log:9");
    }

    #[test]
    fn empty_csv_still_has_a_header_and_table_says_so() {
        let mut buf = Vec::new();
        {
            let mut w = new_writer(OutputFormat::Csv, Box::new(&mut buf), None);
            w.finish().unwrap();
        }
        assert_eq!(String::from_utf8(buf).unwrap().lines().count(), 1);
        let mut buf = Vec::new();
        {
            let mut w = new_writer(OutputFormat::Table, Box::new(&mut buf), None);
            w.finish().unwrap();
        }
        assert_eq!(String::from_utf8(buf).unwrap(), "No alerts.\n");
    }

    #[test]
    fn table_shows_every_alert() {
        let s = render(OutputFormat::Table);
        assert!(s.contains("198.51.100.1:5222"));
        assert!(s.contains("XMPP"));
        assert!(s.contains("1 alert"));
    }
}
