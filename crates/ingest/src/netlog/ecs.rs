//! Elastic Common Schema network events, from any shipper (Filebeat modules, Elastic Agent,
//! Packetbeat, Winlogbeat with the Sysmon pipeline, Logstash): `destination.*`, `source.*`,
//! `process.*`, `host.*`, `user.*`, `network.*`, `event.outcome`, nested or dotted keys, one
//! document per line or a JSON array (an Elasticsearch hit's `_source` is unwrapped).
//!
//! `source` is taken as the initiator; `network.direction` says whether it was (ECS copies
//! Sysmon's `Initiated=false` into `ingress`, which then excludes the record as inbound).
//! Documents without `destination.ip`/`destination.port` (nor Packetbeat's `server.*`) are
//! valid ECS that is not a connection: they count as other records.

use super::common::{blank_event, domain_user};
use super::json::{JsonSpec, count_at, get, ip_at, port_at, str_at};
use pubsub_hunt_core::time::parse_rfc3339;
use pubsub_hunt_core::{Direction, Outcome, Protocol, Transport};
use pubsub_hunt_reader::{Confidence, Record};
use serde_json::Value;

/// The format name.
pub const NAME: &str = "ecs";

/// The ECS format.
pub fn spec() -> JsonSpec {
    JsonSpec {
        name: NAME,
        description: "Elastic Common Schema network events (JSON lines or array; nested or dotted keys)",
        sniff,
        parse,
        records_programs: true,
    }
}

/// The document itself, inside an Elasticsearch hit when it is one.
fn document(v: &Value) -> &Value {
    match v.get("_source") {
        Some(s) if s.is_object() => s,
        _ => v,
    }
}

fn sniff(v: &Value) -> Option<Confidence> {
    let d = document(v);
    let has = |p: &str| get(d, p).is_some();
    let ecs_shaped = has("ecs.version")
        || (has("@timestamp")
            && (has("destination.ip")
                || has("source.ip")
                || has("server.ip")
                || has("event.category")));
    if !ecs_shaped {
        return None;
    }
    // Winlogbeat documents are ECS too, but the Sysmon readers know their event ids; they
    // should win the stream.
    if has("winlog") { Some(30) } else { Some(80) }
}

fn direction(label: Option<&str>) -> Direction {
    match label.map(str::to_ascii_lowercase).as_deref() {
        Some("egress" | "outbound") => Direction::Outbound,
        Some("ingress" | "inbound") => Direction::Inbound,
        _ => Direction::Unknown,
    }
}

fn outcome(label: Option<&str>) -> Outcome {
    match label.map(str::to_ascii_lowercase).as_deref() {
        Some("success") => Outcome::Succeeded,
        Some("failure") => Outcome::Failed,
        _ => Outcome::Unknown,
    }
}

fn time_at(d: &Value, paths: &[&str]) -> Result<Option<i64>, String> {
    match str_at(d, paths) {
        None => Ok(None),
        Some(s) => parse_rfc3339(s)
            .map(Some)
            .ok_or_else(|| format!("bad time {:?}", super::common::clip(s, 40))),
    }
}

/// Maps one ECS document.
pub fn parse(v: &Value) -> Result<Record, String> {
    let d = document(v);
    let dst_ip = ip_at(d, &["destination.ip", "server.ip"])?;
    let dst_port = port_at(d, &["destination.port", "server.port"])?;
    let (Some(dst_ip), Some(dst_port)) = (dst_ip, dst_port) else {
        return Ok(Record::Other);
    };
    let mut ev = blank_event(dst_ip, dst_port, NAME);
    ev.ts = time_at(d, &["event.start", "@timestamp"])?;
    ev.end = time_at(d, &["event.end"])?;
    ev.src_ip = ip_at(d, &["source.ip", "client.ip"])?;
    ev.src_port = port_at(d, &["source.port", "client.port"])?;
    ev.host = str_at(d, &["host.name", "host.hostname"]).map(str::to_string);
    ev.process = str_at(d, &["process.executable", "process.name"]).map(str::to_string);
    ev.user = domain_user(str_at(d, &["user.domain"]), str_at(d, &["user.name"]));
    ev.transport =
        str_at(d, &["network.transport"]).map_or(Transport::Unknown, Transport::from_label);
    ev.direction = direction(str_at(d, &["network.direction"]));
    ev.outcome = outcome(str_at(d, &["event.outcome"]));
    if let Some(label) = str_at(d, &["network.protocol"]) {
        ev.identified = Protocol::from_label(label).into_iter().collect();
        ev.app_label = Some(label.to_string());
    }
    ev.bytes_out = count_at(d, &["source.bytes", "client.bytes"])?;
    ev.bytes_in = count_at(d, &["destination.bytes", "server.bytes"])?;
    ev.packets_out = count_at(d, &["source.packets", "client.packets"])?;
    ev.dst_name = str_at(d, &["destination.domain", "server.domain"])
        .map(|n| pubsub_hunt_core::app::bounded_name(n).to_string());
    ev.packets_in = count_at(d, &["destination.packets", "server.packets"])?;
    Ok(Record::Conn(Box::new(ev)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::ConnEvent;
    use pubsub_hunt_reader::{FormatSpec, LineFormat};

    fn conn(line: &str) -> ConnEvent {
        match spec().parse_line(line.as_bytes()) {
            Ok(Record::Conn(e)) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nested_and_dotted_documents_agree() {
        let nested = conn(
            r#"{"@timestamp":"2024-05-01T10:00:00.5Z","source":{"ip":"10.1.1.5","port":50123,"bytes":120},"destination":{"ip":"203.0.113.9","port":8883,"bytes":40},"network":{"transport":"tcp","protocol":"mqtt","direction":"egress"},"process":{"executable":"/usr/bin/python3","name":"python3"},"user":{"name":"svc","domain":"CORP"},"host":{"name":"web-1"},"event":{"outcome":"success"}}"#,
        );
        let dotted = conn(
            r#"{"@timestamp":"2024-05-01T10:00:00.5Z","source.ip":"10.1.1.5","source.port":"50123","source.bytes":120,"destination.ip":"203.0.113.9","destination.port":8883,"destination.bytes":"40","network.transport":"tcp","network.protocol":"mqtt","network.direction":"egress","process.executable":"/usr/bin/python3","user.name":"svc","user.domain":"CORP","host.name":"web-1","event.outcome":"success"}"#,
        );
        assert_eq!(nested, dotted);
        assert_eq!(nested.ts, Some(1_714_557_600_500_000));
        assert_eq!(nested.user.as_deref(), Some("CORP\\svc"));
        assert_eq!(nested.process.as_deref(), Some("/usr/bin/python3"));
        assert_eq!(nested.identified, vec![Protocol::Mqtt]);
        assert_eq!(nested.direction, Direction::Outbound);
        assert_eq!(nested.outcome, Outcome::Succeeded);
        assert_eq!((nested.bytes_out, nested.bytes_in), (Some(120), Some(40)));
    }

    #[test]
    fn non_connections_and_errors() {
        assert!(matches!(
            spec().parse_line(br#"{"@timestamp":"2024-05-01T10:00:00Z","message":"login"}"#),
            Ok(Record::Other)
        ));
        assert!(
            spec()
                .parse_line(br#"{"destination":{"ip":"nope","port":1}}"#)
                .is_err()
        );
        assert!(
            spec()
                .parse_line(br#"{"destination":{"ip":"1.2.3.4","port":1},"@timestamp":"x"}"#)
                .is_err()
        );
        assert!(spec().parse_line(b"{").is_err());
    }

    #[test]
    fn winlogbeat_documents_sniff_lower() {
        let plain = br#"{"@timestamp":"2019-03-18T16:57:48.07Z","destination":{"ip":"10.0.2.3","port":53}}"#;
        let winlog = br#"{"@timestamp":"2019-03-18T16:57:48.07Z","destination":{"ip":"10.0.2.3","port":53},"winlog":{"event_id":3}}"#;
        let s = spec();
        assert_eq!(s.sniff(plain), Some(80));
        assert_eq!(s.sniff(winlog), Some(30));
        assert_eq!(s.sniff(br#"{"ts":1,"id.resp_p":1}"#), None);
    }
}
