//! The CSV writer: a header row of [`CSV_COLUMNS`], then one row per alert with the JSON
//! fields flattened (lists joined by `;`, reasons by ` | `, nested objects as compact JSON).

use super::{AlertWriter, opt, time};
use pubsub_hunt_core::Alert;
use std::io::{self, Write};

/// CSV column names, in order.
pub const CSV_COLUMNS: [&str; 33] = [
    "kind",
    "id",
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
    "flows",
];

/// Comma-separated values with a header row.
pub struct CsvWriter<'a> {
    out: csv::Writer<Box<dyn Write + 'a>>,
    header: bool,
}

impl<'a> CsvWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> Self {
        CsvWriter {
            out: csv::Writer::from_writer(out),
            header: false,
        }
    }

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
            a.id.clone(),
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
            // The first connections' uids and Community IDs, as compact JSON like `app`.
            serde_json::to_string(&a.flows).map_err(io::Error::other)?,
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
