//! The alerts controls are made from: [`AlertView`], the fields of an alert that controls need,
//! read back from the JSON lines `hunt --format jsonl` writes (so a hunter can edit the selection
//! first) or taken from an in-memory [`Alert`] of a hunt run in the same process. Fields this
//! crate does not use are ignored, and fields a hand-edited file left out take their empty value,
//! so an older or trimmed alerts file still reads.

use pubsub_hunt_core::{Alert, AppInfo, Protocol, Suspicion, TopicDirection};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// Whether the client wrote to a topic or listened on it (the `direction` of a topic in `app`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Publish,
    Subscribe,
}

/// One topic of `app.topics`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct TopicView {
    pub name: String,
    pub direction: Direction,
}

/// What packet inspection learned about the channel (`app` of an alert).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AppView {
    pub protocol_version: Option<String>,
    pub client_ids: BTreeSet<String>,
    pub usernames: BTreeSet<String>,
    pub server_names: BTreeSet<String>,
    pub alpn: BTreeSet<String>,
    pub peers: BTreeSet<String>,
    pub topics: Vec<TopicView>,
    pub tls: bool,
    pub websocket: bool,
}

/// The fields of one alert that controls are made from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlertView {
    pub id: String,
    pub suspicion: Suspicion,
    #[serde(default)]
    pub score: u8,
    pub host: String,
    #[serde(default)]
    pub process: Option<String>,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub protocol: Protocol,
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub destination_names: Vec<String>,
    /// RFC 3339; dates the controls (Suricata `created_at`, STIX `valid_from`).
    #[serde(default)]
    pub first_seen: Option<String>,
    #[serde(default)]
    pub last_seen: Option<String>,
    #[serde(default)]
    pub app: Option<AppView>,
    #[serde(default)]
    pub suppressed_by: Option<String>,
}

impl From<&AppInfo> for AppView {
    fn from(a: &AppInfo) -> AppView {
        AppView {
            protocol_version: a.protocol_version.clone(),
            client_ids: a.client_ids.clone(),
            usernames: a.usernames.clone(),
            server_names: a.server_names.clone(),
            alpn: a.alpn.clone(),
            peers: a.peers.clone(),
            topics: a
                .topics
                .iter()
                .map(|t| TopicView {
                    name: t.name.clone(),
                    direction: match t.direction {
                        TopicDirection::Publish => Direction::Publish,
                        TopicDirection::Subscribe => Direction::Subscribe,
                    },
                })
                .collect(),
            tls: a.tls,
            websocket: a.websocket,
        }
    }
}

impl From<&Alert> for AlertView {
    fn from(a: &Alert) -> AlertView {
        AlertView {
            id: a.id.clone(),
            suspicion: a.suspicion,
            score: a.score,
            host: a.host.clone(),
            process: a.process.clone(),
            dst_ip: a.dst_ip,
            dst_port: a.dst_port,
            protocol: a.protocol,
            external: a.external,
            destination_names: a.destination_names.clone(),
            first_seen: a.first_seen.map(pubsub_hunt_core::time::format_rfc3339),
            last_seen: a.last_seen.map(pubsub_hunt_core::time::format_rfc3339),
            app: a.app.as_deref().map(AppView::from),
            suppressed_by: a.suppressed_by.clone(),
        }
    }
}

/// Why one line of an alerts file was not read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    pub line: u64,
    pub message: String,
}

/// One line of an alerts file: an alert, something else `hunt` writes (a session), or nothing.
pub fn parse_line(line: &str, number: u64) -> Result<Option<AlertView>, LineError> {
    let text = line.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| LineError {
        line: number,
        message: format!("not JSON: {e}"),
    })?;
    // `--all-sessions` mixes sessions into the same file; they are not findings.
    match value.get("kind").and_then(serde_json::Value::as_str) {
        Some("alert") | None => {}
        Some(_) => return Ok(None),
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| LineError {
            line: number,
            message: format!("not an alert: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_alert_line_and_skips_sessions_and_blanks() {
        let line = r#"{"kind":"alert","id":"0123456789abcdef","suspicion":"high","score":90,
            "host":"ws-01","process":null,"dst_ip":"198.51.100.7","dst_port":1883,
            "protocol":"MQTT","external":true,"destination_names":[],"suppressed_by":null,
            "app":{"client_ids":["bot-1"],"topics":[{"name":"c2/cmd","direction":"subscribe",
            "messages":3}],"tls":false,"websocket":false,"pings":0},"extra":1}"#;
        let a = parse_line(&line.replace('\n', ""), 1).unwrap().unwrap();
        assert_eq!(a.id, "0123456789abcdef");
        assert_eq!(a.suspicion, Suspicion::High);
        let app = a.app.unwrap();
        assert!(app.client_ids.contains("bot-1"));
        assert_eq!(app.topics[0].direction, Direction::Subscribe);
        assert!(parse_line("  ", 2).unwrap().is_none());
        assert!(
            parse_line(r#"{"kind":"session","dst_ip":"1.2.3.4"}"#, 3)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn bad_lines_say_which_line_and_why() {
        let e = parse_line("{nope", 7).unwrap_err();
        assert_eq!(e.line, 7);
        assert!(e.to_string().contains("not JSON"), "{e}");
        let e = parse_line(r#"{"kind":"alert","id":"x"}"#, 8).unwrap_err();
        assert!(e.to_string().contains("not an alert"), "{e}");
    }
}
