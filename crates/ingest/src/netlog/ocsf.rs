//! OCSF Network Activity events (`class_uid` 4001), as JSON lines or a JSON array: endpoints,
//! `actor.process`/`actor.user` (host profile), `traffic.bytes_out`/`bytes_in`,
//! `connection_info.direction_id`/`protocol_name`, `activity_id` and `status_id`.
//!
//! `src_endpoint` is the initiator unless `initiator_id` (OCSF 1.9) says the destination
//! started the connection. `time`, `start_time` and `end_time` are milliseconds in the schema,
//! but producers write seconds too (the ocsf/examples Zeek mapping does): values below 10¹¹ are
//! read as seconds, which is unambiguous for any date after March 1973. Other OCSF classes count
//! as other records, and so does activity 7 (Listen), which is not a connection.

use super::common::{blank_event, clip, domain_user};
use super::json::{JsonSpec, count_at, get, ip_at, port_at, str_at};
use pubsub_hunt_core::time::{Micros, parse_rfc3339};
use pubsub_hunt_core::{Direction, Outcome, Protocol, Transport};
use pubsub_hunt_reader::{CERTAIN, Confidence, LIKELY, Record};
use serde_json::Value;

/// The format name.
pub const NAME: &str = "ocsf";

const NETWORK_ACTIVITY: u64 = 4001;

/// The OCSF format.
pub fn spec() -> JsonSpec {
    JsonSpec {
        name: NAME,
        description: "OCSF Network Activity (class_uid 4001), JSON lines or array",
        sniff,
        parse,
        records_programs: true,
    }
}

fn sniff(v: &Value) -> Option<Confidence> {
    let class = get(v, "class_uid").and_then(super::json::u64_of)?;
    let ocsf_shaped = get(v, "category_uid").is_some()
        || get(v, "type_uid").is_some()
        || get(v, "metadata.version").is_some();
    match (class, ocsf_shaped) {
        (NETWORK_ACTIVITY, true) => Some(CERTAIN),
        (NETWORK_ACTIVITY, false) | (_, true) => Some(LIKELY),
        _ => None,
    }
}

/// An OCSF time: epoch milliseconds (or seconds, see the module docs) or RFC 3339 text.
fn time_at(v: &Value, path: &str) -> Result<Option<Micros>, String> {
    match get(v, path) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.bytes().any(|b| b == b'-' || b == b'T') => parse_rfc3339(s)
            .map(Some)
            .ok_or_else(|| format!("bad {path} {:?}", clip(s, 40))),
        Some(x) => {
            let n = super::json::u64_of(x).ok_or_else(|| format!("bad {path}"))?;
            let n = i64::try_from(n).map_err(|_| format!("bad {path}"))?;
            let micros = if n < 100_000_000_000 {
                n.checked_mul(1_000_000)
            } else {
                n.checked_mul(1_000)
            };
            micros.map(Some).ok_or_else(|| format!("bad {path}"))
        }
    }
}

fn outcome(status_id: Option<u64>, activity_id: Option<u64>) -> Outcome {
    match (status_id, activity_id) {
        (Some(1), _) => Outcome::Succeeded,
        (Some(2), _) => Outcome::Failed,
        // Fail, Refuse.
        (_, Some(4 | 5)) => Outcome::Failed,
        // Open, Close, Traffic: the connection existed.
        (_, Some(1 | 2 | 6)) => Outcome::Succeeded,
        _ => Outcome::Unknown,
    }
}

fn direction(direction_id: Option<u64>) -> Direction {
    match direction_id {
        Some(1) => Direction::Inbound,
        Some(2) => Direction::Outbound,
        // 0 Unknown, 3 Lateral (inside to inside: says nothing of which side started), 99 Other.
        _ => Direction::Unknown,
    }
}

/// Maps one OCSF event.
pub fn parse(v: &Value) -> Result<Record, String> {
    if count_at(v, &["class_uid"])? != Some(NETWORK_ACTIVITY) {
        return Ok(Record::Other);
    }
    let activity_id = count_at(v, &["activity_id"])?;
    if activity_id == Some(7) {
        return Ok(Record::Other);
    }
    let (init, resp) = if count_at(v, &["initiator_id"])? == Some(2) {
        ("dst_endpoint", "src_endpoint")
    } else {
        ("src_endpoint", "dst_endpoint")
    };
    let dst_ip = ip_at(v, &[format!("{resp}.ip").as_str()])?;
    let dst_port = port_at(v, &[format!("{resp}.port").as_str()])?;
    let (Some(dst_ip), Some(dst_port)) = (dst_ip, dst_port) else {
        return Ok(Record::Other);
    };
    let mut ev = blank_event(dst_ip, dst_port, NAME);
    ev.ts = match time_at(v, "start_time")? {
        Some(t) => Some(t),
        None => time_at(v, "time")?,
    };
    ev.end = time_at(v, "end_time")?;
    ev.src_ip = ip_at(v, &[format!("{init}.ip").as_str()])?;
    ev.src_port = port_at(v, &[format!("{init}.port").as_str()])?;
    ev.host = str_at(
        v,
        &[
            format!("{init}.hostname").as_str(),
            "device.hostname",
            "device.name",
        ],
    )
    .map(str::to_string);
    ev.process = str_at(
        v,
        &[
            "actor.process.file.path",
            "actor.process.path",
            "actor.process.name",
        ],
    )
    .map(str::to_string);
    ev.user = domain_user(
        str_at(v, &["actor.user.domain"]),
        str_at(v, &["actor.user.name", "actor.user.uid"]),
    );
    ev.transport = match str_at(v, &["connection_info.protocol_name"]) {
        Some(p) => Transport::from_label(p),
        None => count_at(v, &["connection_info.protocol_num"])?.map_or(Transport::Unknown, |n| {
            Transport::from_label(&n.to_string())
        }),
    };
    ev.direction = direction(count_at(v, &["connection_info.direction_id"])?);
    ev.outcome = outcome(count_at(v, &["status_id"])?, activity_id);
    if let Some(label) = str_at(v, &["app_protocol_name", "app_name"]) {
        ev.identified = Protocol::from_label(label).into_iter().collect();
        ev.app_label = Some(label.to_string());
    }
    ev.bytes_out = count_at(v, &["traffic.bytes_out"])?;
    ev.bytes_in = count_at(v, &["traffic.bytes_in"])?;
    ev.packets_out = count_at(v, &["traffic.packets_out"])?;
    ev.packets_in = count_at(v, &["traffic.packets_in"])?;
    Ok(Record::Conn(Box::new(ev)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::ConnEvent;
    use pubsub_hunt_reader::LineFormat;

    fn conn(line: &str) -> ConnEvent {
        match spec().parse_line(line.as_bytes()) {
            Ok(Record::Conn(e)) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn seconds_and_milliseconds_give_the_same_time() {
        let s = conn(
            r#"{"class_uid":4001,"time":1729052821,"dst_endpoint":{"ip":"37.120.182.208","port":80},"src_endpoint":{"ip":"10.4.30.5","port":49227}}"#,
        );
        let ms = conn(
            r#"{"class_uid":4001,"time":1729052821000,"dst_endpoint":{"ip":"37.120.182.208","port":80},"src_endpoint":{"ip":"10.4.30.5","port":49227}}"#,
        );
        assert_eq!(s.ts, Some(1_729_052_821_000_000));
        assert_eq!(s, ms);
    }

    #[test]
    fn initiator_id_two_swaps_the_endpoints() {
        let ev = conn(
            r#"{"class_uid":4001,"initiator_id":2,"dst_endpoint":{"ip":"10.0.0.2","port":50000,"hostname":"laptop"},"src_endpoint":{"ip":"198.51.100.1","port":5672},"status_id":2,"connection_info":{"protocol_num":6,"direction_id":2}}"#,
        );
        assert_eq!(ev.src_ip, Some("10.0.0.2".parse().unwrap()));
        assert_eq!(ev.dst_port, 5672);
        assert_eq!(ev.host.as_deref(), Some("laptop"));
        assert_eq!(ev.outcome, Outcome::Failed);
        assert_eq!(ev.transport, Transport::Tcp);
        assert_eq!(ev.direction, Direction::Outbound);
    }

    #[test]
    fn other_classes_listen_and_errors() {
        let s = spec();
        assert!(matches!(
            s.parse_line(br#"{"class_uid":4003,"dst_endpoint":{"ip":"1.1.1.1","port":53}}"#),
            Ok(Record::Other)
        ));
        assert!(matches!(
            s.parse_line(
                br#"{"class_uid":4001,"activity_id":7,"dst_endpoint":{"ip":"1.1.1.1","port":53}}"#
            ),
            Ok(Record::Other)
        ));
        assert!(
            s.parse_line(
                br#"{"class_uid":4001,"time":"soon","dst_endpoint":{"ip":"1.1.1.1","port":53}}"#
            )
            .is_err()
        );
    }
}
