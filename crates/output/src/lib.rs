//! Output: the writers that turn alerts into JSON lines, CSV, a terminal table, an HTML report,
//! OCSF Detection Findings or ECS alert documents, all behind one [`AlertWriter`] interface so
//! the binary never cares which one it holds. Field names and column names are part of
//! pubsub-hunt's interface: JSON lines carry the fields of [`Alert`](pubsub_hunt_core::Alert) as
//! they are; CSV has the same columns, with list fields joined (`users` by `;`, `reasons` by
//! ` | `); OCSF and ECS follow those schemas and carry the alert id.

mod app_facts;
mod attack;
mod csv;
mod ecs;
mod html;
mod jsonl;
mod ocsf;
mod summary;
mod table;

pub use csv::{CSV_COLUMNS, CsvWriter};
pub use ecs::EcsWriter;
pub use html::HtmlWriter;
pub use jsonl::JsonlWriter;
pub use ocsf::OcsfWriter;
pub use summary::RunSummary;
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
    /// One self-contained HTML report (inline CSS, script and pictures).
    Html,
    /// OCSF Detection Findings (class 2004), one JSON object per line.
    Ocsf,
    /// ECS alert documents (`event.kind: alert`), one JSON object per line.
    Ecs,
}

impl FromStr for OutputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "table" => Ok(OutputFormat::Table),
            "jsonl" | "json" => Ok(OutputFormat::Jsonl),
            "csv" => Ok(OutputFormat::Csv),
            "html" => Ok(OutputFormat::Html),
            "ocsf" => Ok(OutputFormat::Ocsf),
            "ecs" => Ok(OutputFormat::Ecs),
            _ => Err(format!(
                "unknown output format {s:?} (expected table, jsonl, csv, html, ocsf or ecs)"
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
            OutputFormat::Html => "html",
            OutputFormat::Ocsf => "ocsf",
            OutputFormat::Ecs => "ecs",
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
    /// Like [`finish`](AlertWriter::finish), with what the run read and decided: writers that
    /// describe the run (the HTML report) use it, the others just finish.
    fn finish_with_summary(&mut self, _summary: &RunSummary) -> io::Result<()> {
        self.finish()
    }
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
        OutputFormat::Html => Box::new(HtmlWriter::new(out)),
        OutputFormat::Ocsf => Box::new(OcsfWriter::new(out)),
        OutputFormat::Ecs => Box::new(EcsWriter::new(out)),
    }
}

pub(crate) fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

pub(crate) fn time(v: Option<i64>) -> String {
    v.map(format_rfc3339).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use pubsub_hunt_core::{AnalyticId, Protocol, Suspicion, TECHNIQUE};

    pub(crate) fn alert() -> Alert {
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
            flows: vec![],
            suppressed_by: None,
            app: None,
            windows: None,
            sources: Vec::new(),
            timeline: vec![1_329_843_175_736_107, 1_329_843_235_736_107],
            message_timeline: Vec::new(),
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

    #[test]
    fn html_escapes_what_the_data_says_and_draws_the_timeline() {
        let mut a = alert();
        a.host = "<script>alert(1)</script>".into();
        a.process = Some("C:\\x\"y.exe".into());
        let mut buf = Vec::new();
        {
            let mut w = new_writer(OutputFormat::Html, Box::new(&mut buf), None);
            w.write_alert(&a).unwrap();
            w.finish_with_summary(&RunSummary {
                inputs: vec!["in<put>.log".into()],
                ..RunSummary::default()
            })
            .unwrap();
        }
        let s = String::from_utf8(buf).unwrap();
        assert!(!s.contains("<script>alert(1)"));
        assert!(s.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(s.contains("in&lt;put&gt;.log"));
        assert!(!s.contains("http://") && !s.contains("src=\"http"));
        // Two connection starts: two ticks, one interval of 60 s.
        assert_eq!(s.matches("<line class=\"conn\"").count(), 2);
        assert!(s.contains("median 60 s"));
        assert!(s.contains(
            "ip.addr == 10.0.0.1 &amp;&amp; ip.addr == 198.51.100.1 &amp;&amp; tcp.port == 5222"
        ));
    }

    #[test]
    fn connection_ids_reach_every_machine_format_and_the_report_pivots() {
        let mut a = alert();
        a.flows = vec![
            pubsub_hunt_core::FlowRef {
                start: Some(1_329_843_175_736_107),
                src_port: Some(40_001),
                uid: Some("CUid1".into()),
                community_id: Some("1:aaa=".into()),
                file: Some("logs/conn.log".into()),
            },
            pubsub_hunt_core::FlowRef {
                start: Some(1_329_843_235_736_107),
                src_port: Some(40_002),
                uid: None,
                community_id: Some("1:bbb=".into()),
                file: Some("logs/conn.log".into()),
            },
        ];
        let one = |f: OutputFormat| -> serde_json::Value {
            let mut buf = Vec::new();
            {
                let mut w = new_writer(f, Box::new(&mut buf), None);
                w.write_alert(&a).unwrap();
                w.finish().unwrap();
            }
            serde_json::from_slice(&buf).unwrap()
        };
        let j = one(OutputFormat::Jsonl);
        assert_eq!(j["flows"][0]["uid"], "CUid1");
        assert_eq!(j["flows"][1]["community_id"], "1:bbb=");
        let o = one(OutputFormat::Ocsf);
        assert_eq!(o["evidences"][1]["connection_info"]["uid"], "CUid1");
        assert_eq!(
            o["evidences"][1]["connection_info"]["community_uid"],
            "1:aaa="
        );
        assert_eq!(
            o["evidences"][2]["connection_info"]["community_uid"],
            "1:bbb="
        );
        assert_eq!(o["evidences"][2]["src_endpoint"]["port"], 40_002);
        let e = one(OutputFormat::Ecs);
        assert_eq!(e["network"]["community_id"], "1:aaa=");
        assert_eq!(
            e["pubsub_hunt"]["community_ids"],
            serde_json::json!(["1:aaa=", "1:bbb="])
        );
        assert_eq!(e["pubsub_hunt"]["zeek_uids"], serde_json::json!(["CUid1"]));
        let mut buf = Vec::new();
        {
            let mut w = new_writer(OutputFormat::Html, Box::new(&mut buf), None);
            w.write_alert(&a).unwrap();
            w.finish_with_summary(&RunSummary::default()).unwrap();
        }
        let html = String::from_utf8(buf).unwrap();
        // quick-xml escapes both quotes.
        assert!(
            html.contains("grep -F -e &apos;CUid1&apos; &apos;logs&apos;/*.log"),
            "{html}"
        );
        assert!(
            html.contains("communityid == &quot;1:aaa=&quot; || communityid == &quot;1:bbb=&quot;")
        );
        assert!(html.contains("network.community_id:("));
    }

    #[test]
    fn ocsf_and_ecs_carry_the_id_and_the_technique() {
        let o: serde_json::Value = serde_json::from_str(render(OutputFormat::Ocsf).trim()).unwrap();
        assert_eq!(o["class_uid"], 2004);
        assert_eq!(o["type_uid"], 200401);
        assert_eq!(o["finding_info"]["uid"], "0123456789abcdef");
        assert_eq!(
            o["finding_info"]["attacks"][0]["sub_technique"]["uid"],
            "T1071.005"
        );
        assert_eq!(o["severity_id"], 4);
        assert_eq!(o["time"], 1_329_843_175_736_i64);
        assert_eq!(o["evidences"][0]["dst_endpoint"]["port"], 5222);
        let e: serde_json::Value = serde_json::from_str(render(OutputFormat::Ecs).trim()).unwrap();
        assert_eq!(e["event"]["kind"], "alert");
        assert_eq!(e["event"]["id"], "0123456789abcdef");
        assert_eq!(
            e["threat"]["technique"]["subtechnique"]["id"][0],
            "T1071.005"
        );
        assert_eq!(e["destination"]["port"], 5222);
        assert_eq!(e["network"]["protocol"], "xmpp");
        assert_eq!(e["related"]["user"][1], "b");
    }
}
