//! Output: the writers that turn alerts into JSON lines, CSV or a terminal table, all behind
//! one [`AlertWriter`] interface so the binary never cares which one it holds. Field names and
//! column names are part of pubsub-hunt's interface: JSON lines carry the fields of
//! [`Alert`](pubsub_hunt_core::Alert) as they are; CSV has the same columns, with list fields
//! joined (`users` by `;`, `reasons` by ` | `).

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
        OutputFormat::Jsonl => Box::new(JsonlWriter { out }),
        OutputFormat::Csv => Box::new(CsvWriter {
            out: csv::Writer::from_writer(out),
            header: false,
        }),
        OutputFormat::Table => Box::new(TableWriter {
            out,
            rows: Vec::new(),
            width: table_width,
        }),
    }
}

/// One JSON object per line.
pub struct JsonlWriter<'a> {
    out: Box<dyn Write + 'a>,
}

impl AlertWriter for JsonlWriter<'_> {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, alert)?;
        self.out.write_all(b"\n")
    }
    fn write_session(&mut self, session: &Session) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, session)?;
        self.out.write_all(b"\n")
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// CSV column names, in order.
pub const CSV_COLUMNS: [&str; 31] = [
    "kind",
    "analytic",
    "analytics",
    "technique",
    "suspicion",
    "score",
    "signals",
    "first_seen",
    "last_seen",
    "host",
    "users",
    "process",
    "src_ip",
    "dst_ip",
    "dst_port",
    "destination_names",
    "protocol",
    "external",
    "connections",
    "bytes_sent",
    "bytes_received",
    "packets_sent",
    "packets_received",
    "reasons",
    "source_format",
    "samples",
    "suppressed_by",
    "app",
    "seed_suspicion",
    "windows",
    "sources",
];

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn time(v: Option<i64>) -> String {
    v.map(format_rfc3339).unwrap_or_default()
}

/// Comma-separated values with a header row.
pub struct CsvWriter<'a> {
    out: csv::Writer<Box<dyn Write + 'a>>,
    header: bool,
}

impl CsvWriter<'_> {
    fn ensure_header(&mut self) -> io::Result<()> {
        if !self.header {
            self.out
                .write_record(CSV_COLUMNS)
                .map_err(io::Error::other)?;
            self.header = true;
        }
        Ok(())
    }
}

impl AlertWriter for CsvWriter<'_> {
    fn write_alert(&mut self, a: &Alert) -> io::Result<()> {
        self.ensure_header()?;
        let row = [
            a.kind.to_string(),
            a.analytic.to_string(),
            a.analytics
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            a.technique.to_string(),
            a.suspicion.to_string(),
            a.score.to_string(),
            a.signals
                .iter()
                .map(|(k, v)| format!("{k}={v:+}"))
                .collect::<Vec<_>>()
                .join(";"),
            time(a.first_seen),
            time(a.last_seen),
            a.host.clone(),
            a.users.join(";"),
            opt(&a.process),
            opt(&a.src_ip),
            a.dst_ip.to_string(),
            a.dst_port.to_string(),
            a.destination_names.join(";"),
            a.protocol.to_string(),
            a.external.to_string(),
            a.connections.to_string(),
            opt(&a.bytes_sent),
            opt(&a.bytes_received),
            opt(&a.packets_sent),
            opt(&a.packets_received),
            a.reasons.join(" | "),
            a.source_format.clone(),
            a.samples
                .iter()
                .map(|r| format!("{}:{}", r.file, r.line))
                .collect::<Vec<_>>()
                .join(";"),
            opt(&a.suppressed_by),
            match &a.app {
                // The app object is nested; CSV carries it as compact JSON.
                Some(app) => serde_json::to_string(app).map_err(io::Error::other)?,
                None => String::new(),
            },
            a.seed_suspicion.to_string(),
            match &a.windows {
                // Per-window counts, as compact JSON like `app`.
                Some(w) => serde_json::to_string(w).map_err(io::Error::other)?,
                None => String::new(),
            },
            a.sources.join(";"),
        ];
        self.out.write_record(&row).map_err(io_err)
    }
    fn finish(&mut self) -> io::Result<()> {
        self.ensure_header()?;
        self.out.flush()
    }
}

fn io_err(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A table for people, rendered when all alerts are in.
pub struct TableWriter<'a> {
    out: Box<dyn Write + 'a>,
    rows: Vec<Alert>,
    width: Option<u16>,
}

impl AlertWriter for TableWriter<'_> {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        self.rows.push(alert.clone());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        use comfy_table::{ContentArrangement, Table, presets};
        if self.rows.is_empty() {
            writeln!(self.out, "No alerts.")?;
            return self.out.flush();
        }
        let mut t = Table::new();
        t.load_preset(presets::UTF8_FULL_CONDENSED);
        t.set_content_arrangement(ContentArrangement::Dynamic);
        t.set_width(self.width.unwrap_or(200));
        t.set_header(vec![
            "suspicion",
            "score",
            "analytic",
            "host",
            "process",
            "destination",
            "protocol",
            "ext",
            "conns",
            "first / last seen",
            "bytes out / in",
            "reasons",
        ]);
        for a in &self.rows {
            let bytes = match (a.bytes_sent, a.bytes_received) {
                (None, None) => "-".to_string(),
                (o, i) => format!("{} / {}", opt(&o), opt(&i)),
            };
            let dest = if a.dst_ip.is_ipv6() {
                format!("[{}]:{}", a.dst_ip, a.dst_port)
            } else {
                format!("{}:{}", a.dst_ip, a.dst_port)
            };
            t.add_row(vec![
                if a.seed_suspicion == a.suspicion {
                    a.suspicion.to_string()
                } else {
                    format!("{}\n(seed {})", a.suspicion, a.seed_suspicion)
                },
                a.score.to_string(),
                a.analytic.to_string(),
                a.host.clone(),
                a.process.clone().unwrap_or_else(|| "-".into()),
                dest,
                a.protocol.to_string(),
                if a.external { "yes" } else { "no" }.to_string(),
                a.connections.to_string(),
                format!("{}\n{}", time(a.first_seen), time(a.last_seen)),
                bytes,
                a.reasons
                    .iter()
                    .skip(1)
                    .map(|r| format!("• {r}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
            ]);
        }
        writeln!(self.out, "{t}")?;
        writeln!(
            self.out,
            "{} alert{}",
            self.rows.len(),
            if self.rows.len() == 1 { "" } else { "s" }
        )?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::{AnalyticId, Protocol, Suspicion, TECHNIQUE};

    fn alert() -> Alert {
        Alert {
            kind: "alert",
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
        let mut r = csv::Reader::from_reader(s.as_bytes());
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
