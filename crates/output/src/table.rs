//! The terminal table: alerts are collected and rendered at the end, fitted to a width.

use super::{AlertWriter, opt, time};
use pubsub_hunt_core::Alert;
use std::io::{self, Write};

/// A table for people, rendered when all alerts are in.
pub struct TableWriter<'a> {
    out: Box<dyn Write + 'a>,
    rows: Vec<Alert>,
    width: Option<u16>,
}

impl<'a> TableWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>, width: Option<u16>) -> Self {
        TableWriter {
            out,
            rows: Vec::new(),
            width,
        }
    }
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
