//! The ECS writer: one Elastic Common Schema alert document per alert, one JSON object per
//! line, ready for an Elasticsearch index or a SIEM that reads ECS. `event.kind` is `alert`
//! (a detection made outside the Elastic Stack), `event.id` is the alert id; the analytic is the
//! `rule`, the ATT&CK technique is `threat.*`, the channel is `source`/`destination`/`network`,
//! the initiating program is `process`; `network.community_id` is the
//! Community ID of the channel's first connection (a single keyword in ECS), and all the sampled
//! connections' Community IDs and Zeek uids are in `pubsub_hunt.community_ids`, `zeek_uids`
//! and `flows` (ECS has no field for a sensor's connection id). What ECS has no field for (score, signals, reasons,
//! samples, topics) goes under the custom `pubsub_hunt` object, outside ECS's names as ECS asks
//! of custom fields.

use super::{AlertWriter, time};
use crate::attack::{self, process_name};
use pubsub_hunt_core::{Alert, Suspicion};
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::net::IpAddr;

/// The ECS version the documents follow.
pub const ECS_VERSION: &str = "9.4.0";

/// ECS alert documents as JSON lines.
pub struct EcsWriter<'a> {
    out: Box<dyn Write + 'a>,
}

impl<'a> EcsWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> Self {
        EcsWriter { out }
    }
}

impl AlertWriter for EcsWriter<'_> {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &document(alert))?;
        self.out.write_all(b"\n")
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// `event.severity` of a suspicion, on the 0–100 scale Elastic's detection rules use (low 21,
/// medium 47, high 73).
fn severity(s: Suspicion) -> u8 {
    match s {
        Suspicion::High => 73,
        Suspicion::Medium => 47,
        Suspicion::Low => 21,
    }
}

/// Inserts `v` at the dotted `path`, creating objects on the way.
fn put(doc: &mut Map<String, Value>, path: &str, v: Value) {
    let mut parts = path.split('.').peekable();
    let mut cur = doc;
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(p.to_string(), v);
            return;
        }
        let next = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        match next {
            Value::Object(m) => cur = m,
            _ => return,
        }
    }
}

/// The document of one alert.
pub fn document(a: &Alert) -> Value {
    let mut d = Map::new();
    // @timestamp: the channel's last connection (the same data gives the same document).
    let ts = a.last_seen.or(a.first_seen);
    if ts.is_some() {
        put(&mut d, "@timestamp", json!(time(ts)));
    }
    put(&mut d, "ecs.version", json!(ECS_VERSION));
    put(&mut d, "message", json!(attack::title(a)));
    put(&mut d, "event.kind", json!("alert"));
    put(
        &mut d,
        "event.category",
        json!(["network", "intrusion_detection"]),
    );
    put(&mut d, "event.type", json!(["connection", "info"]));
    put(&mut d, "event.id", json!(a.id));
    put(&mut d, "event.module", json!("pubsub_hunt"));
    put(&mut d, "event.dataset", json!("pubsub_hunt.alert"));
    put(&mut d, "event.provider", json!("pubsub-hunt"));
    put(&mut d, "event.severity", json!(severity(a.suspicion)));
    put(&mut d, "event.risk_score", json!(f64::from(a.score)));
    if let Some(t) = a.first_seen {
        put(&mut d, "event.start", json!(time(Some(t))));
    }
    if let Some(t) = a.last_seen {
        put(&mut d, "event.end", json!(time(Some(t))));
    }
    if let Some(r) = a.reasons.first() {
        put(&mut d, "event.reason", json!(r));
    }
    put(&mut d, "rule.id", json!(a.analytic.as_str()));
    put(&mut d, "rule.name", json!(a.analytic.as_str()));
    put(
        &mut d,
        "rule.description",
        json!(format!(
            "{} command and control over a publish/subscribe protocol",
            a.protocol
        )),
    );
    put(&mut d, "rule.category", json!(attack::TACTIC_NAME));
    put(&mut d, "rule.ruleset", json!("pubsub-hunt"));
    put(&mut d, "rule.version", json!(env!("CARGO_PKG_VERSION")));
    put(&mut d, "threat.framework", json!("MITRE ATT&CK"));
    put(&mut d, "threat.tactic.id", json!([attack::TACTIC_ID]));
    put(&mut d, "threat.tactic.name", json!([attack::TACTIC_NAME]));
    put(
        &mut d,
        "threat.tactic.reference",
        json!([attack::TACTIC_URL]),
    );
    put(&mut d, "threat.technique.id", json!([attack::TECHNIQUE_ID]));
    put(
        &mut d,
        "threat.technique.name",
        json!([attack::TECHNIQUE_NAME]),
    );
    put(
        &mut d,
        "threat.technique.reference",
        json!([attack::TECHNIQUE_URL]),
    );
    put(
        &mut d,
        "threat.technique.subtechnique.id",
        json!([a.technique]),
    );
    put(
        &mut d,
        "threat.technique.subtechnique.name",
        json!([attack::SUBTECHNIQUE_NAME]),
    );
    put(
        &mut d,
        "threat.technique.subtechnique.reference",
        json!([attack::SUBTECHNIQUE_URL]),
    );
    let host_is_address = a.host.parse::<IpAddr>().is_ok();
    if !host_is_address {
        put(&mut d, "host.name", json!(a.host));
    }
    if let Some(ip) = a.src_ip {
        put(&mut d, "source.ip", json!(ip.to_string()));
        put(&mut d, "source.address", json!(ip.to_string()));
    }
    if let Some(b) = a.bytes_sent {
        put(&mut d, "source.bytes", json!(b));
    }
    if let Some(p) = a.packets_sent {
        put(&mut d, "source.packets", json!(p));
    }
    put(&mut d, "destination.ip", json!(a.dst_ip.to_string()));
    put(&mut d, "destination.port", json!(a.dst_port));
    put(
        &mut d,
        "destination.address",
        json!(
            a.destination_names
                .first()
                .cloned()
                .unwrap_or_else(|| a.dst_ip.to_string())
        ),
    );
    if let Some(name) = a.destination_names.first() {
        put(&mut d, "destination.domain", json!(name));
    }
    if let Some(b) = a.bytes_received {
        put(&mut d, "destination.bytes", json!(b));
    }
    if let Some(p) = a.packets_received {
        put(&mut d, "destination.packets", json!(p));
    }
    put(&mut d, "network.transport", json!("tcp"));
    put(
        &mut d,
        "network.protocol",
        json!(a.protocol.as_str().to_ascii_lowercase()),
    );
    put(
        &mut d,
        "network.type",
        json!(if a.dst_ip.is_ipv4() { "ipv4" } else { "ipv6" }),
    );
    put(
        &mut d,
        "network.direction",
        json!(if a.external { "outbound" } else { "internal" }),
    );
    if let Some(c) = a.flows.iter().find_map(|f| f.community_id.as_deref()) {
        put(&mut d, "network.community_id", json!(c));
    }
    if let Some(p) = &a.process {
        put(&mut d, "process.executable", json!(p));
        put(&mut d, "process.name", json!(process_name(p)));
    }
    if let Some(u) = a.users.first() {
        put(&mut d, "user.name", json!(u));
    }
    let mut ips = vec![a.dst_ip.to_string()];
    if let Some(ip) = a.src_ip {
        ips.insert(0, ip.to_string());
    }
    put(&mut d, "related.ip", json!(ips));
    let mut hosts: Vec<&str> = Vec::new();
    if !host_is_address {
        hosts.push(&a.host);
    }
    hosts.extend(a.destination_names.iter().map(String::as_str));
    if !hosts.is_empty() {
        put(&mut d, "related.hosts", json!(hosts));
    }
    if !a.users.is_empty() {
        put(&mut d, "related.user", json!(a.users));
    }
    put(&mut d, "tags", json!(["pubsub-hunt", a.suspicion.as_str()]));
    put(&mut d, "pubsub_hunt", custom(a));
    Value::Object(d)
}

/// pubsub-hunt's own fields (a custom object, so no ECS name is given a new meaning).
fn custom(a: &Alert) -> Value {
    let mut m = json!({
        "alert_id": a.id,
        "analytics": a.analytics.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "suspicion": a.suspicion.as_str(),
        "seed_suspicion": a.seed_suspicion.as_str(),
        "score": a.score,
        "signals": a.signals,
        "reasons": a.reasons,
        "connections": a.connections,
        "samples": a.samples.iter().map(|r| format!("{}:{}", r.file, r.line)).collect::<Vec<_>>(),
        "source_format": a.source_format,
        "sources": a.sources,
        "community_ids": a.flows.iter().filter_map(|f| f.community_id.as_deref()).collect::<Vec<_>>(),
        "zeek_uids": a.flows.iter().filter_map(|f| f.uid.as_deref()).collect::<Vec<_>>(),
        "flows": a.flows,
    });
    if let Some(reason) = &a.suppressed_by {
        m["suppressed_by"] = json!(reason);
    }
    if let Some(app) = &a.app {
        crate::app_facts::add_app_facts(&mut m, app);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_nest() {
        let mut d = Map::new();
        put(&mut d, "a.b.c", json!(1));
        put(&mut d, "a.b.d", json!(2));
        put(&mut d, "e", json!(3));
        assert_eq!(
            Value::Object(d),
            json!({"a": {"b": {"c": 1, "d": 2}}, "e": 3})
        );
    }
}
