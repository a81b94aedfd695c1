//! Chronicle / Google SecOps UDM events (`NETWORK_CONNECTION`), as the ingestion API writes them
//! (snake_case) or as the search API returns them (camelCase, int64 values as strings, each
//! event possibly wrapped as `{"udm": {…}}`), one per line or in a JSON array.
//!
//! `principal` is the initiator and `target` the responder (UDM's own convention);
//! `network.direction` `INBOUND` marks the record as inbound. Events of other types count as
//! other records; a `NETWORK_CONNECTION` that names its target only by host name cannot be placed
//! on an address and counts as another record too.

use super::common::{blank_event, clip, domain_user};
use super::json::{JsonSpec, count_at, get_any, ip_at, port_at, str_at};
use pubsub_hunt_core::time::{Micros, parse_rfc3339};
use pubsub_hunt_core::{Direction, Outcome, Protocol, Transport};
use pubsub_hunt_reader::{CERTAIN, Confidence, LIKELY, Record};
use serde_json::Value;

/// The format name.
pub const NAME: &str = "chronicle-udm";

/// The UDM format.
pub fn spec() -> JsonSpec {
    JsonSpec {
        name: NAME,
        description: "Chronicle / Google SecOps UDM NETWORK_CONNECTION events (snake_case or camelCase JSON, lines or array)",
        sniff,
        parse,
        records_programs: true,
    }
}

/// The event inside a search-API wrapper, or the record itself.
fn event(v: &Value) -> &Value {
    match v.get("udm") {
        Some(u) if u.is_object() => u,
        _ => v,
    }
}

fn event_type(e: &Value) -> Option<&str> {
    str_at(e, &["metadata.event_type", "metadata.eventType"])
}

fn sniff(v: &Value) -> Option<Confidence> {
    let e = event(v);
    let t = event_type(e)?;
    let udm_nouns = [
        "principal",
        "target",
        "network",
        "src",
        "intermediary",
        "observer",
    ];
    if !udm_nouns.iter().any(|n| e.get(*n).is_some()) {
        return None;
    }
    // UDM event types are upper-case enum names.
    if t.bytes().all(|b| b.is_ascii_uppercase() || b == b'_') {
        Some(CERTAIN - 10)
    } else {
        Some(LIKELY)
    }
}

/// An event time: RFC 3339 text, or the protobuf JSON `{"seconds": …, "nanos": …}` form.
fn timestamp(v: Option<&Value>) -> Result<Option<Micros>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse_rfc3339(s)
            .map(Some)
            .ok_or_else(|| format!("bad event timestamp {:?}", clip(s, 40))),
        Some(obj @ Value::Object(_)) => {
            let secs = count_at(obj, &["seconds"])?.ok_or("bad event timestamp")?;
            let nanos = count_at(obj, &["nanos"])?.unwrap_or(0);
            i64::try_from(secs)
                .ok()
                .and_then(|s| s.checked_mul(1_000_000))
                .and_then(|us| us.checked_add(i64::try_from(nanos / 1000).ok()?))
                .map(Some)
                .ok_or_else(|| "bad event timestamp".into())
        }
        Some(_) => Err("bad event timestamp".into()),
    }
}

/// `security_result[].action`: any block wins over allow.
fn outcome(e: &Value) -> Outcome {
    let Some(results) = get_any(e, &["security_result", "securityResult"]) else {
        return Outcome::Unknown;
    };
    let results: Vec<&Value> = match results {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Outcome::Unknown;
    for r in results {
        let actions: Vec<&str> = match r.get("action") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        for a in actions {
            match a.to_ascii_uppercase().as_str() {
                "BLOCK" | "QUARANTINE" | "FAIL" => return Outcome::Failed,
                "ALLOW" | "ALLOW_WITH_MODIFICATION" => out = Outcome::Succeeded,
                _ => {}
            }
        }
    }
    out
}

fn direction(label: Option<&str>) -> Direction {
    match label.map(str::to_ascii_uppercase).as_deref() {
        Some("OUTBOUND") => Direction::Outbound,
        Some("INBOUND") => Direction::Inbound,
        _ => Direction::Unknown,
    }
}

/// Maps one UDM event.
pub fn parse(v: &Value) -> Result<Record, String> {
    let e = event(v);
    if event_type(e) != Some("NETWORK_CONNECTION") {
        return Ok(Record::Other);
    }
    let dst_ip = ip_at(e, &["target.ip", "target.asset.ip"])?;
    let dst_port = port_at(e, &["target.port"])?;
    let (Some(dst_ip), Some(dst_port)) = (dst_ip, dst_port) else {
        return Ok(Record::Other);
    };
    let mut ev = blank_event(dst_ip, dst_port, NAME);
    ev.ts = timestamp(get_any(
        e,
        &["metadata.event_timestamp", "metadata.eventTimestamp"],
    ))?;
    ev.src_ip = ip_at(e, &["principal.ip", "principal.asset.ip"])?;
    ev.src_port = port_at(e, &["principal.port"])?;
    ev.host = str_at(e, &["principal.hostname", "principal.asset.hostname"]).map(str::to_string);
    ev.process = str_at(
        e,
        &[
            "principal.process.file.full_path",
            "principal.process.file.fullPath",
        ],
    )
    .map(str::to_string);
    ev.user = domain_user(
        None,
        str_at(e, &["principal.user.userid", "principal.user.userId"]),
    );
    ev.transport = str_at(e, &["network.ip_protocol", "network.ipProtocol"])
        .map_or(Transport::Unknown, Transport::from_label);
    ev.direction = direction(str_at(e, &["network.direction"]));
    ev.outcome = outcome(e);
    if let Some(label) = str_at(
        e,
        &[
            "network.application_protocol",
            "network.applicationProtocol",
        ],
    )
    .filter(|l| !l.eq_ignore_ascii_case("UNKNOWN_APPLICATION_PROTOCOL"))
    {
        ev.identified = Protocol::from_label(label).into_iter().collect();
        ev.app_label = Some(label.to_string());
    }
    ev.bytes_out = count_at(e, &["network.sent_bytes", "network.sentBytes"])?;
    ev.bytes_in = count_at(e, &["network.received_bytes", "network.receivedBytes"])?;
    ev.packets_out = count_at(e, &["network.sent_packets", "network.sentPackets"])?;
    ev.packets_in = count_at(e, &["network.received_packets", "network.receivedPackets"])?;
    ev.dst_name = str_at(e, &["target.hostname", "target.asset.hostname"])
        .map(|n| pubsub_hunt_core::app::bounded_name(n).to_string());
    Ok(Record::Conn(Box::new(ev)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_reader::{FormatSpec, LineFormat};

    #[test]
    fn camel_case_search_result_with_string_counts() {
        let line = r#"{"udm":{"metadata":{"eventTimestamp":"2023-01-24T21:40:00Z","eventType":"NETWORK_CONNECTION"},"principal":{"hostname":"abc","ip":["192.0.2.1"],"port":50000,"process":{"file":{"fullPath":"C:\\x\\a.exe"}},"user":{"userid":"alice"}},"target":{"ip":["198.51.100.7"],"port":5222},"securityResult":[{"action":["ALLOW"]}],"network":{"sentBytes":"54321","receivedBytes":"54123","ipProtocol":"TCP","direction":"OUTBOUND"}}}"#;
        let Ok(Record::Conn(ev)) = spec().parse_line(line.as_bytes()) else {
            panic!()
        };
        assert_eq!(ev.ts, Some(1_674_596_400_000_000));
        assert_eq!(ev.host.as_deref(), Some("abc"));
        assert_eq!(ev.process.as_deref(), Some("C:\\x\\a.exe"));
        assert_eq!(ev.user.as_deref(), Some("alice"));
        assert_eq!(ev.src_ip, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(ev.src_port, Some(50000));
        assert_eq!(ev.dst_port, 5222);
        assert_eq!((ev.bytes_out, ev.bytes_in), (Some(54321), Some(54123)));
        assert_eq!(ev.transport, Transport::Tcp);
        assert_eq!(ev.direction, Direction::Outbound);
        assert_eq!(ev.outcome, Outcome::Succeeded);
    }

    #[test]
    fn other_types_hostname_targets_blocks_and_protobuf_times() {
        let s = spec();
        assert!(matches!(
            s.parse_line(br#"{"metadata":{"event_type":"USER_LOGIN"},"principal":{}}"#),
            Ok(Record::Other)
        ));
        assert!(matches!(
            s.parse_line(br#"{"metadata":{"event_type":"NETWORK_CONNECTION"},"target":{"hostname":"github.com","port":60000}}"#),
            Ok(Record::Other)
        ));
        let Ok(Record::Conn(ev)) = s.parse_line(br#"{"metadata":{"event_type":"NETWORK_CONNECTION","event_timestamp":{"seconds":"1674596400","nanos":5000}},"target":{"ip":"198.51.100.7","port":"1883"},"security_result":[{"action":"BLOCK"}],"network":{"direction":"INBOUND"}}"#) else {
            panic!()
        };
        assert_eq!(ev.ts, Some(1_674_596_400_000_005));
        assert_eq!(ev.outcome, Outcome::Failed);
        assert_eq!(ev.direction, Direction::Inbound);
        assert_eq!(ev.bytes_out, None);
        assert!(
            s.parse_line(
                br#"{"metadata":{"event_type":"NETWORK_CONNECTION"},"target":{"ip":"x","port":1}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn sniffs_udm_not_ocsf() {
        let s = spec();
        assert!(
            s.sniff(br#"{"metadata":{"event_type":"NETWORK_CONNECTION"},"principal":{}}"#)
                .is_some()
        );
        assert!(
            s.sniff(br#"{"metadata":{"version":"1.4.0"},"class_uid":4001}"#)
                .is_none()
        );
    }
}
