//! Zeek logs as JSON lines: `LogAscii::use_json=T` (dotted keys), the json-streaming
//! package (ISO-8601 `ts`, `_path`), and collectors that rename `id.orig_h` to `id_orig_h` and
//! add `@stream`/`@system` keys. Every record is parsed into one `ZeekJson` and its log told
//! by `_path`/`@stream` or by its keys ([`ZeekLog`]); conn and ssl records are read here, the
//! fields of dns and MQTT records handed to their logs' rules (`dns.rs`, `mqtt.rs`), and records
//! of logs not read are left out.

use super::conn::ConnRecord;
use super::log::ZeekLog;
use super::mqtt::MqttFact;
use super::tsv::unescape;
use super::{dns, mqtt};
use crate::server_name::ServerName;
use pubsub_hunt_core::time::{Micros, from_epoch_f64, parse_epoch_seconds, parse_rfc3339};
use pubsub_hunt_reader::Record;
use serde::Deserialize;
use std::borrow::Cow;
use std::net::IpAddr;

/// A scalar some writers quote and others do not.
#[derive(Deserialize)]
#[serde(untagged)]
enum JsonValue<'a> {
    Num(f64),
    #[serde(borrow)]
    Str(Cow<'a, str>),
    Bool(bool),
}

/// The keys of every log read; each record fills those of its log.
#[derive(Deserialize)]
struct ZeekJson<'a> {
    #[serde(default, borrow)]
    ts: Option<JsonValue<'a>>,
    #[serde(default, borrow, rename = "_path")]
    path: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "@stream")]
    stream: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "id.orig_h", alias = "id_orig_h")]
    orig_h: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "id.orig_p", alias = "id_orig_p")]
    orig_p: Option<JsonValue<'a>>,
    #[serde(default, borrow, rename = "id.resp_h", alias = "id_resp_h")]
    resp_h: Option<Cow<'a, str>>,
    #[serde(default, borrow, rename = "id.resp_p", alias = "id_resp_p")]
    resp_p: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    proto: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    service: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    conn_state: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    local_orig: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    orig_bytes: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    resp_bytes: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    server_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    orig_pkts: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    resp_pkts: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    duration: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    query: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    qtype_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    qtype: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    answers: Option<Vec<Cow<'a, str>>>,
    #[serde(default, borrow)]
    rejected: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    proto_name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    proto_version: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    client_id: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    will_topic: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    action: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    topics: Option<Vec<Cow<'a, str>>>,
    #[serde(default, borrow)]
    from_client: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    topic: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    payload: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    payload_len: Option<JsonValue<'a>>,
    #[serde(default, borrow)]
    uid: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    community_id: Option<Cow<'a, str>>,
}

impl ZeekJson<'_> {
    /// The log this record belongs to, when it is one that is read.
    fn log(&self) -> Option<ZeekLog> {
        match self.path.as_deref().or(self.stream.as_deref()) {
            Some(p) => ZeekLog::from_path(p),
            None => ZeekLog::from_keys(|k| match k {
                "conn_state" => self.conn_state.is_some(),
                "server_name" => self.server_name.is_some(),
                "proto" => self.proto.is_some(),
                "query" => self.query.is_some(),
                "qtype_name" => self.qtype_name.is_some(),
                "qtype" => self.qtype.is_some(),
                "answers" => self.answers.is_some(),
                "from_client" => self.from_client.is_some(),
                "topic" => self.topic.is_some(),
                "topics" => self.topics.is_some(),
                "action" => self.action.is_some(),
                "client_id" => self.client_id.is_some(),
                "proto_name" => self.proto_name.is_some(),
                "proto_version" => self.proto_version.is_some(),
                _ => false,
            }),
        }
    }

    /// `ts`, `None` when absent.
    fn ts(&self) -> Result<Option<Micros>, String> {
        Ok(match &self.ts {
            None => None,
            Some(JsonValue::Num(n)) => Some(from_epoch_f64(*n).ok_or("bad ts")?),
            Some(JsonValue::Str(s)) => Some(
                parse_epoch_seconds(s)
                    .or_else(|| parse_rfc3339(s))
                    .ok_or_else(|| {
                        format!("bad ts {:?}", s.chars().take(40).collect::<String>())
                    })?,
            ),
            Some(JsonValue::Bool(_)) => return Err("bad ts".into()),
        })
    }

    /// The connection's (`id.orig_h`, `id.resp_h`, `id.resp_p`).
    fn endpoints(&self) -> Result<(IpAddr, IpAddr, u16), String> {
        let src = addr(&self.orig_h, "id.orig_h")?;
        let dst = addr(&self.resp_h, "id.resp_h")?;
        let port = as_port(self.resp_p.as_ref(), "id.resp_p")?.ok_or("id.resp_p is missing")?;
        Ok((src, dst, port))
    }
}

fn addr(v: &Option<Cow<'_, str>>, name: &str) -> Result<IpAddr, String> {
    let s = v.as_deref().ok_or_else(|| format!("{name} is missing"))?;
    s.parse()
        .map_err(|_| format!("bad {name} {:?}", s.chars().take(40).collect::<String>()))
}

/// A boolean written as `true`/`false` or Zeek's `T`/`F`.
fn as_bool(v: &JsonValue<'_>) -> Option<bool> {
    match v {
        JsonValue::Bool(b) => Some(*b),
        JsonValue::Str(s) if s == "T" || s == "true" => Some(true),
        JsonValue::Str(s) if s == "F" || s == "false" => Some(false),
        _ => None,
    }
}

fn as_u64(v: &JsonValue<'_>) -> Option<u64> {
    match v {
        JsonValue::Num(n) if *n >= 0.0 && n.fract() == 0.0 && *n <= u64::MAX as f64 => {
            Some(*n as u64)
        }
        JsonValue::Str(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn as_port(v: Option<&JsonValue<'_>>, name: &str) -> Result<Option<u16>, String> {
    match v {
        None => Ok(None),
        Some(v) => as_u64(v)
            .and_then(|n| u16::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("bad {name}")),
    }
}

/// An `ssl.log` record: the server name the client asked the responder for.
fn ssl_record(r: &ZeekJson<'_>) -> Result<Record, String> {
    let Some(name) = r
        .server_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty() && *n != "-")
    else {
        return Ok(Record::Other);
    };
    let ip_text = r.resp_h.as_deref().ok_or("id.resp_h is missing")?;
    let ip: IpAddr = ip_text.parse().map_err(|_| {
        format!(
            "bad id.resp_h {:?}",
            ip_text.chars().take(40).collect::<String>()
        )
    })?;
    let port = as_port(r.resp_p.as_ref(), "id.resp_p")?.ok_or("id.resp_p is missing")?;
    // The client only narrows which groups take the name: a bad or missing one leaves the name
    // for every host.
    let client = r.orig_h.as_deref().and_then(|s| s.trim().parse().ok());
    Ok(ServerName {
        client,
        client_port: as_port(r.orig_p.as_ref(), "id.orig_p").ok().flatten(),
        ip,
        port,
        name: name.to_string(),
        ts: r.ts().ok().flatten(),
        uid: r.uid.as_deref().map(str::to_string),
    }
    .into_record())
}

/// The log of one JSON line, when it parses and is one that is read (for the reader choice).
pub fn log_of_line(line: &[u8]) -> Option<ZeekLog> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    serde_json::from_slice::<ZeekJson<'_>>(line).ok()?.log()
}

/// Parses one JSON line: a connection, a destination name (`ssl.log`), names of addresses
/// (`dns.log`), facts of a session (`mqtt_*.log`), or a record of another Zeek log (its
/// `_path`), which is [`Record::Other`].
pub fn parse_line(line: &[u8]) -> Result<Record, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let r: ZeekJson<'_> = serde_json::from_slice(line).map_err(|e| format!("bad JSON: {e}"))?;
    match r.log() {
        None => Ok(Record::Other),
        Some(ZeekLog::Conn) => conn_record(&r),
        Some(ZeekLog::Ssl) => ssl_record(&r),
        Some(ZeekLog::Dns) => Ok(dns_record(&r)),
        Some(log) => mqtt_record(log, &r),
    }
}

/// A `conn.log` record.
fn conn_record(r: &ZeekJson<'_>) -> Result<Record, String> {
    let ts = r.ts()?;
    let src_ip = addr(&r.orig_h, "id.orig_h")?;
    let dst_ip = addr(&r.resp_h, "id.resp_h")?;
    let dst_port = as_port(r.resp_p.as_ref(), "id.resp_p")?.ok_or("id.resp_p is missing")?;
    let src_port = as_port(r.orig_p.as_ref(), "id.orig_p")?;
    let local_orig = r.local_orig.as_ref().and_then(as_bool);
    let duration = match &r.duration {
        Some(JsonValue::Num(n)) => from_epoch_f64(*n),
        Some(JsonValue::Str(s)) => parse_epoch_seconds(s),
        _ => None,
    };
    let record = ConnRecord {
        ts,
        duration,
        src_ip,
        src_port,
        dst_ip,
        dst_port,
        proto: r.proto.as_deref(),
        conn_state: r.conn_state.as_deref(),
        local_orig,
        service: r.service.as_deref().filter(|s| !s.is_empty() && *s != "-"),
        set_separator: ',',
        orig_bytes: r.orig_bytes.as_ref().and_then(as_u64),
        resp_bytes: r.resp_bytes.as_ref().and_then(as_u64),
        orig_pkts: r.orig_pkts.as_ref().and_then(as_u64),
        resp_pkts: r.resp_pkts.as_ref().and_then(as_u64),
        uid: r.uid.as_deref().filter(|u| !u.is_empty() && *u != "-"),
        community_id: r
            .community_id
            .as_deref()
            .filter(|c| !c.is_empty() && *c != "-"),
    };
    Ok(Record::Conn(Box::new(record.into_event("zeek-json"))))
}

/// A `dns.log` record read from JSON.
fn dns_record(r: &ZeekJson<'_>) -> Record {
    let query = r.query.as_deref().map(|q| unescape(q.as_bytes()));
    let answers: Vec<&[u8]> = r.answers.iter().flatten().map(|a| a.as_bytes()).collect();
    let rejected = r.rejected.as_ref().and_then(as_bool).unwrap_or(false);
    dns::names_of(
        r.orig_h.as_deref().and_then(|s| s.parse().ok()),
        query.as_deref(),
        r.qtype_name.as_deref().map(str::as_bytes),
        &answers,
        rejected,
    )
}

/// A record of an MQTT log read from JSON. Zeek's JSON writer escapes bytes that are not UTF-8
/// as `\xNN`, decoded like the TSV writer's escapes.
fn mqtt_record(log: ZeekLog, r: &ZeekJson<'_>) -> Result<Record, String> {
    let fact = match log {
        ZeekLog::MqttConnect => MqttFact::Connect {
            version: text(&r.proto_version),
            client_id: text(&r.client_id),
            will_topic: text(&r.will_topic),
        },
        ZeekLog::MqttSubscribe => MqttFact::Subscribe {
            topics: r
                .topics
                .iter()
                .flatten()
                .map(|t| unescape(t.as_bytes()))
                .collect(),
        },
        ZeekLog::MqttPublish => MqttFact::Publish {
            from_client: r
                .from_client
                .as_ref()
                .and_then(as_bool)
                .ok_or("from_client is missing or not a boolean")?,
            topic: text(&r.topic),
            payload: text(&r.payload).unwrap_or_default(),
            payload_len: r.payload_len.as_ref().and_then(as_u64),
        },
        ZeekLog::Conn | ZeekLog::Ssl | ZeekLog::Dns => return Ok(Record::Other),
    };
    Ok(mqtt::facts(r.endpoints()?, r.ts()?, fact))
}

/// A JSON text value with Zeek's escapes decoded.
fn text<'a>(v: &'a Option<Cow<'_, str>>) -> Option<Cow<'a, [u8]>> {
    v.as_deref().map(|s| unescape(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zeek::header::{Directive, HeaderState};
    use pubsub_hunt_core::ConnEvent;
    use pubsub_hunt_core::{Direction, Outcome, Protocol};

    fn conn(line: &str) -> ConnEvent {
        match parse_line(line.as_bytes()).unwrap() {
            Record::Conn(e) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dotted_underscored_and_iso_give_the_same_event() {
        let dotted = conn(
            r#"{"ts":1461170596.653525,"uid":"C","id.orig_h":"10.0.1.4","id.orig_p":49330,"id.resp_h":"198.41.30.241","id.resp_p":1883,"proto":"tcp","service":"mqtt","orig_bytes":66,"resp_bytes":4,"conn_state":"SH","local_orig":true}"#,
        );
        let under = conn(
            r#"{"@stream":"conn","ts":1461170596.653525,"uid":"C","id_orig_h":"10.0.1.4","id_orig_p":49330,"id_resp_h":"198.41.30.241","id_resp_p":1883,"proto":"tcp","service":"mqtt","orig_bytes":66,"resp_bytes":4,"conn_state":"SH","local_orig":true}"#,
        );
        let iso = conn(
            r#"{"_path":"conn","ts":"2016-04-20T16:43:16.653525Z","uid":"C","id.orig_h":"10.0.1.4","id.orig_p":49330,"id.resp_h":"198.41.30.241","id.resp_p":1883,"proto":"tcp","service":"mqtt","orig_bytes":66,"resp_bytes":4,"conn_state":"SH","local_orig":true}"#,
        );
        assert_eq!(dotted, under);
        assert_eq!(dotted, iso);
        // SH, but 66 bytes out and a 4-byte answer (an MQTT CONNACK): Zeek missed the
        // handshake, not the exchange, so the connection succeeded.
        assert_eq!(dotted.outcome, Outcome::Succeeded);
        assert_eq!(dotted.direction, Direction::Outbound);
        assert_eq!(dotted.identified, vec![Protocol::Mqtt]);
    }

    #[test]
    fn json_and_tsv_of_one_connection_agree() {
        let j = conn(
            r#"{"ts": 1437091701.732171, "uid": "C", "id.orig_h": "198.128.203.95", "id.orig_p": 56048, "id.resp_h": "146.255.57.229", "id.resp_p": 5222, "proto": "tcp", "service": "xmpp,ssl", "duration": 2.21, "orig_bytes": 676, "resp_bytes": 4678, "conn_state": "SF", "local_orig": false}"#,
        );
        let mut st = HeaderState::default();
        let Directive::Schema(s) = st
            .apply(b"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig")
            .unwrap()
        else {
            panic!()
        };
        let mut t = s
            .parse_line(b"1437091701.732171\tC\t198.128.203.95\t56048\t146.255.57.229\t5222\ttcp\txmpp,ssl\t2.21\t676\t4678\tSF\tF")
            .unwrap();
        // Only the format name may differ.
        assert_eq!(j.source_format, Some("zeek-json"));
        assert_eq!(t.source_format, Some("zeek-tsv"));
        t.source_format = j.source_format;
        assert_eq!(j.end, Some(1_437_091_701_732_171 + 2_210_000));
        assert_eq!(j, t);
    }

    #[test]
    fn ssl_records_name_their_destination() {
        let ip: IpAddr = "52.48.17.198".parse().unwrap();
        for line in [
            &br#"{"_path":"ssl","ts":1.0,"uid":"C","id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"52.48.17.198","id.resp_p":8883,"version":"TLSv12","server_name":"a1-ats.iot.eu-west-1.amazonaws.com"}"#[..],
            br#"{"ts":1.0,"uid":"C","id.orig_h":"10.0.0.1","id.orig_p":5,"id.resp_h":"52.48.17.198","id.resp_p":8883,"version":"TLSv12","server_name":"a1-ats.iot.eu-west-1.amazonaws.com","established":true}"#,
        ] {
            match parse_line(line) {
                Ok(Record::DestName {
                    client,
                    ip: i,
                    port: 8883,
                    name: n,
                    conn: None,
                }) => {
                    assert_eq!(client, Some("10.0.0.1".parse().unwrap()));
                    assert_eq!(i, ip);
                    assert_eq!(n, "a1-ats.iot.eu-west-1.amazonaws.com");
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(
            parse_line(br#"{"_path":"ssl","id.resp_h":"nope","id.resp_p":1,"server_name":"x"}"#)
                .is_err()
        );
    }

    #[test]
    fn other_logs_and_errors() {
        assert!(matches!(
            parse_line(
                br#"{"_path":"ssl","id.orig_h":"1.1.1.1","id.resp_h":"2.2.2.2","id.resp_p":5222}"#
            ),
            Ok(Record::Other)
        ));
        assert!(parse_line(b"{\"ts\":1,").is_err());
        assert!(
            parse_line(
                br#"{"proto":"tcp","id.orig_h":"1.1.1.1","id.resp_h":"2.2.2.2","id.resp_p":99999}"#
            )
            .is_err()
        );
        assert!(
            parse_line(br#"{"proto":"tcp","id.orig_h":"x","id.resp_h":"2.2.2.2","id.resp_p":1}"#)
                .is_err()
        );
        assert!(
            parse_line(br#"{"proto":"tcp","id.orig_h":"1.1.1.1","id.resp_h":"2.2.2.2"}"#).is_err()
        );
    }
}
