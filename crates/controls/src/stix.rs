//! The STIX 2.1 bundle: an `identity` for pubsub-hunt and one `indicator` per planned broker
//! address and port (a `network-traffic` pattern) and per broker name (a `domain-name` pattern),
//! each with external references to the ATT&CK technique and to the alert, and the channel's
//! topics, client ids and user names as custom properties (`x_pubsub_hunt_*`), which STIX has no
//! object for. Identifiers are UUIDs derived from the content (SHA-256 of the alert id and the
//! observable, in the version-4 layout), so the same findings give the same bundle and a
//! platform that imports it twice updates instead of duplicating.

use crate::alert::{AlertView, Direction};
use crate::observable::Observable;
use crate::plan::Plan;
use crate::{ControlWriter, Written};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// `stix-bundle.json`.
pub struct StixWriter {
    /// The time used when an alert carries none (RFC 3339), e.g. the run's start.
    pub now: String,
}

/// A content-derived identifier `type--uuid`.
fn stix_id(kind: &str, parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"pubsub-hunt-stix-v1\0");
    h.update(kind.as_bytes());
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    let d = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&d[..16]);
    format!(
        "{kind}--{}",
        uuid::Builder::from_random_bytes(bytes).into_uuid()
    )
}

/// An RFC 3339 time in STIX's form: UTC with exactly millisecond precision.
fn stix_time(t: &str) -> Option<String> {
    let micros = pubsub_hunt_core::time::parse_rfc3339(t)?;
    let ts = jiff::Timestamp::from_microsecond(micros - micros.rem_euclid(1000)).ok()?;
    Some(ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
}

/// A string literal in a STIX pattern: `'` and `\` escaped.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn pattern(o: &Observable) -> Option<(String, String)> {
    match o {
        Observable::Address { ip, port } => {
            let ty = if ip.is_ipv4() {
                "ipv4-addr"
            } else {
                "ipv6-addr"
            };
            Some((
                format!(
                    "[network-traffic:dst_ref.type = '{ty}' AND network-traffic:dst_ref.value = {} AND network-traffic:dst_port = {port}]",
                    literal(&ip.to_string())
                ),
                format!("broker {}", crate::observable::socket(*ip, *port)),
            ))
        }
        Observable::Domain { name, .. } => Some((
            format!("[domain-name:value = {}]", literal(name)),
            format!("broker name {name}"),
        )),
        _ => None,
    }
}

/// The channel's own observables, as custom properties.
fn channel_properties(plan: &Plan, i: usize) -> serde_json::Map<String, Value> {
    let mut topics_pub = Vec::new();
    let mut topics_sub = Vec::new();
    let mut clients = Vec::new();
    let mut users = Vec::new();
    let mut peers = Vec::new();
    for o in plan.of_alert(i) {
        match o {
            Observable::Topic {
                name,
                direction: Direction::Publish,
                ..
            } => topics_pub.push(name.clone()),
            Observable::Topic { name, .. } => topics_sub.push(name.clone()),
            Observable::ClientId { value, .. } => clients.push(value.clone()),
            Observable::Username { value, .. } => users.push(value.clone()),
            Observable::Peer { value } => peers.push(value.clone()),
            _ => {}
        }
    }
    let mut m = serde_json::Map::new();
    for (k, v) in [
        ("x_pubsub_hunt_publish_topics", topics_pub),
        ("x_pubsub_hunt_subscribe_topics", topics_sub),
        ("x_pubsub_hunt_client_ids", clients),
        ("x_pubsub_hunt_usernames", users),
        ("x_pubsub_hunt_peers", peers),
    ] {
        if !v.is_empty() {
            m.insert(k.to_string(), json!(v));
        }
    }
    m
}

fn indicator(a: &AlertView, o: &Observable, identity: &str, now: &str) -> Option<Value> {
    let (pattern, what) = pattern(o)?;
    let first = a.first_seen.as_deref().and_then(stix_time);
    let last = a.last_seen.as_deref().and_then(stix_time);
    let created = last
        .clone()
        .or(first.clone())
        .unwrap_or_else(|| now.to_string());
    let valid_from = first.unwrap_or_else(|| created.clone());
    let mut v = json!({
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id("indicator", &[&a.id, o.kind(), &o.value()]),
        "created_by_ref": identity,
        "created": created,
        "modified": created,
        "name": format!("{} C2 {what} (pubsub-hunt alert {})", a.protocol, a.id),
        "description": format!(
            "{} command-and-control channel from {} to {}:{} found by pubsub-hunt (suspicion {}, score {}).",
            a.protocol, a.host, a.dst_ip, a.dst_port, a.suspicion, a.score
        ),
        "indicator_types": ["malicious-activity"],
        "pattern": pattern,
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": valid_from,
        "kill_chain_phases": [
            {"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}
        ],
        "external_references": [
            {
                "source_name": "mitre-attack",
                "external_id": "T1071.005",
                "url": "https://attack.mitre.org/techniques/T1071/005/"
            },
            {"source_name": "pubsub-hunt", "external_id": a.id, "description": "alert id"}
        ],
        "x_pubsub_hunt_alert_id": a.id,
        "x_pubsub_hunt_protocol": a.protocol.as_str(),
    });
    Some(v.take())
}

/// The whole bundle as a JSON value.
pub fn bundle(plan: &Plan, now: &str) -> (Value, usize) {
    let now = stix_time(now).unwrap_or_else(|| "1970-01-01T00:00:00.000Z".to_string());
    let identity_id = stix_id("identity", &["pubsub-hunt"]);
    let mut objects = vec![json!({
        "type": "identity",
        "spec_version": "2.1",
        "id": identity_id,
        "created": "2024-01-01T00:00:00.000Z",
        "modified": "2024-01-01T00:00:00.000Z",
        "name": "pubsub-hunt",
        "identity_class": "system",
    })];
    let mut n = 0;
    for (i, a) in plan.alerts.iter().enumerate() {
        let extra = channel_properties(plan, i);
        for o in plan.of_alert(i) {
            if let Some(mut ind) = indicator(a, o, &identity_id, &now) {
                if let Some(map) = ind.as_object_mut() {
                    map.extend(extra.clone());
                }
                objects.push(ind);
                n += 1;
            }
        }
    }
    let ids: Vec<&str> = plan.alerts.iter().map(|a| a.id.as_str()).collect();
    let b = json!({
        "type": "bundle",
        "id": stix_id("bundle", &ids),
        "objects": objects,
    });
    (b, n)
}

impl ControlWriter for StixWriter {
    fn file_name(&self) -> &'static str {
        "stix-bundle.json"
    }
    fn write(&self, plan: &Plan, out: &mut dyn Write) -> io::Result<Written> {
        let (b, n) = bundle(plan, &self.now);
        serde_json::to_writer_pretty(&mut *out, &b)?;
        writeln!(out)?;
        Ok(Written { controls: n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_have_millisecond_precision() {
        assert_eq!(
            stix_time("2026-01-02T03:04:05.678912Z").as_deref(),
            Some("2026-01-02T03:04:05.678Z")
        );
        assert_eq!(
            stix_time("2026-01-02T03:04:05Z").as_deref(),
            Some("2026-01-02T03:04:05.000Z")
        );
        assert_eq!(stix_time("yesterday"), None);
    }

    #[test]
    fn ids_are_uuids_fixed_by_content() {
        let a = stix_id("indicator", &["x", "y"]);
        assert_eq!(a, stix_id("indicator", &["x", "y"]));
        assert_ne!(a, stix_id("indicator", &["xy"]));
        let u = a.strip_prefix("indicator--").unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4", "version-4 layout: {u}");
    }

    #[test]
    fn pattern_literals_are_escaped() {
        assert_eq!(literal("a'b\\c"), "'a\\'b\\\\c'");
    }
}
