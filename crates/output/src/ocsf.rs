//! The OCSF writer: one Detection Finding (class 2004, activity Create) per alert, one JSON
//! object per line, as SOC pipelines that speak OCSF ingest them. The finding's `uid` is the
//! alert id, so a second run over the same channel updates the same finding rather than adding
//! another. Fields follow OCSF 1.5: the required ones (`activity_id`, `category_uid`,
//! `class_uid`, `type_uid`, `severity_id`, `time`, `metadata`, `finding_info`), the ATT&CK
//! technique in `finding_info.attacks`, the channel's endpoints, process and connection in one
//! `evidences` entry followed by one entry per sampled connection (its Zeek `uid` as
//! `connection_info.uid`, its Community ID as `connection_info.community_uid`), pivots in
//! `observables`, and what OCSF has no place for (score, signals,
//! reasons, samples, topics) under `unmapped.pubsub_hunt`.

use super::AlertWriter;
use crate::attack::{self, process_name};
use pubsub_hunt_core::{Alert, Suspicion};
use serde_json::{Map, Value, json};
use std::io::{self, Write};
use std::net::IpAddr;

/// The OCSF schema version the findings follow.
pub const OCSF_VERSION: &str = "1.5.0";
const CLASS_UID: u32 = 2004;
const CATEGORY_UID: u32 = 2;
const ACTIVITY_CREATE: u32 = 1;

/// OCSF Detection Findings as JSON lines.
pub struct OcsfWriter<'a> {
    out: Box<dyn Write + 'a>,
}

impl<'a> OcsfWriter<'a> {
    pub fn new(out: Box<dyn Write + 'a>) -> Self {
        OcsfWriter { out }
    }
}

impl AlertWriter for OcsfWriter<'_> {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &finding(alert))?;
        self.out.write_all(b"\n")
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// OCSF severity (`severity_id`, caption) of a suspicion.
fn severity(s: Suspicion) -> (u8, &'static str) {
    match s {
        Suspicion::High => (4, "High"),
        Suspicion::Medium => (3, "Medium"),
        Suspicion::Low => (2, "Low"),
    }
}

/// OCSF confidence (`confidence_id`, caption) of a 0–100 score: the behaviour evidence is what
/// makes a detection more or less certain.
fn confidence(score: u8) -> (u8, &'static str) {
    match score {
        70.. => (3, "High"),
        40..=69 => (2, "Medium"),
        _ => (1, "Low"),
    }
}

fn ms(t: i64) -> i64 {
    t.div_euclid(1_000)
}

/// The finding of one alert.
pub fn finding(a: &Alert) -> Value {
    let (severity_id, severity) = severity(a.suspicion);
    let (confidence_id, confidence) = confidence(a.score);
    // `time` is required: when the finding's activity happened, the channel's last connection
    // (so the same data gives the same finding); a source that masks time gives 0, the epoch.
    let time = a.last_seen.or(a.first_seen).map_or(0, ms);
    let suppressed = a.suppressed_by.is_some();
    let mut f = Map::new();
    f.insert("activity_id".into(), json!(ACTIVITY_CREATE));
    f.insert("activity_name".into(), json!("Create"));
    f.insert("category_uid".into(), json!(CATEGORY_UID));
    f.insert("category_name".into(), json!("Findings"));
    f.insert("class_uid".into(), json!(CLASS_UID));
    f.insert("class_name".into(), json!("Detection Finding"));
    f.insert("type_uid".into(), json!(CLASS_UID * 100 + ACTIVITY_CREATE));
    f.insert("type_name".into(), json!("Detection Finding: Create"));
    f.insert("severity_id".into(), json!(severity_id));
    f.insert("severity".into(), json!(severity));
    f.insert("confidence_id".into(), json!(confidence_id));
    f.insert("confidence".into(), json!(confidence));
    f.insert("confidence_score".into(), json!(a.score));
    f.insert("risk_score".into(), json!(a.score));
    // Suppressed alerts only appear with --show-suppressed; OCSF has a status for them.
    let (status_id, status) = if suppressed {
        (3, "Suppressed")
    } else {
        (1, "New")
    };
    f.insert("status_id".into(), json!(status_id));
    f.insert("status".into(), json!(status));
    if let Some(reason) = &a.suppressed_by {
        f.insert("status_detail".into(), json!(reason));
    }
    f.insert("time".into(), json!(time));
    if let Some(t) = a.first_seen {
        f.insert("start_time".into(), json!(ms(t)));
    }
    if let Some(t) = a.last_seen {
        f.insert("end_time".into(), json!(ms(t)));
    }
    f.insert("count".into(), json!(a.connections));
    f.insert("message".into(), json!(attack::title(a)));
    f.insert("metadata".into(), metadata(a));
    f.insert("finding_info".into(), finding_info(a));
    let mut evidences = vec![evidence(a)];
    evidences.extend(a.flows.iter().map(|fl| flow_evidence(a, fl)));
    f.insert("evidences".into(), Value::Array(evidences));
    f.insert("observables".into(), Value::Array(observables(a)));
    f.insert("unmapped".into(), json!({ "pubsub_hunt": unmapped(a) }));
    Value::Object(f)
}

fn metadata(a: &Alert) -> Value {
    json!({
        "version": OCSF_VERSION,
        "uid": a.id,
        "product": {
            "name": "pubsub-hunt",
            "vendor_name": "pubsub-hunt",
            "version": env!("CARGO_PKG_VERSION"),
        },
        "log_name": a.source_format,
        "labels": [a.protocol.as_str(), a.suspicion.as_str()],
    })
}

fn finding_info(a: &Alert) -> Value {
    let mut info = json!({
        "uid": a.id,
        "title": attack::title(a),
        "desc": a.reasons.join("; "),
        "types": ["Command and Control", a.protocol.as_str()],
        "analytic": analytic(a.analytic),
        "attacks": [{
            "version": "v16",
            "tactic": {"uid": attack::TACTIC_ID, "name": attack::TACTIC_NAME, "src_url": attack::TACTIC_URL},
            "technique": {"uid": attack::TECHNIQUE_ID, "name": attack::TECHNIQUE_NAME, "src_url": attack::TECHNIQUE_URL},
            "sub_technique": {"uid": a.technique, "name": attack::SUBTECHNIQUE_NAME, "src_url": attack::SUBTECHNIQUE_URL},
        }],
        "data_sources": a.source_format.split(',').collect::<Vec<_>>(),
    });
    if let Some(t) = a.first_seen {
        info["first_seen_time"] = json!(ms(t));
    }
    if let Some(t) = a.last_seen {
        info["last_seen_time"] = json!(ms(t));
    }
    let related: Vec<Value> = a
        .analytics
        .iter()
        .filter(|x| **x != a.analytic)
        .map(|x| analytic(*x))
        .collect();
    if !related.is_empty() {
        info["related_analytics"] = Value::Array(related);
    }
    info
}

/// An analytic as OCSF describes one: a rule (`type_id` 1).
fn analytic(id: pubsub_hunt_core::AnalyticId) -> Value {
    json!({"uid": id.as_str(), "name": id.as_str(), "type_id": 1, "type": "Rule"})
}

/// The channel: its two endpoints, the connection, the process. OCSF's evidence artifacts
/// carry these objects; `data` repeats the channel's counts.
fn evidence(a: &Alert) -> Value {
    let mut src = Map::new();
    if let Some(ip) = a.src_ip {
        src.insert("ip".into(), json!(ip.to_string()));
    }
    // The host is a name unless the source had none and it is the address itself.
    if a.host.parse::<IpAddr>().is_err() {
        src.insert("hostname".into(), json!(a.host));
    }
    let mut dst = Map::new();
    dst.insert("ip".into(), json!(a.dst_ip.to_string()));
    dst.insert("port".into(), json!(a.dst_port));
    if let Some(name) = a.destination_names.first() {
        dst.insert("hostname".into(), json!(name));
    }
    let mut e = json!({
        "name": "pubsub channel",
        "src_endpoint": src,
        "dst_endpoint": dst,
        "connection_info": {
            "protocol_name": "tcp",
            "protocol_num": 6,
            // 2: outbound (leaves the internal networks), 3: lateral (stays inside).
            "direction_id": if a.external { 2 } else { 3 },
            "direction": if a.external { "Outbound" } else { "Lateral" },
        },
        "data": {
            "protocol": a.protocol.as_str(),
            "connections": a.connections,
            "bytes_out": a.bytes_sent,
            "bytes_in": a.bytes_received,
        },
    });
    if let Some(p) = &a.process {
        e["process"] = json!({"name": process_name(p), "file": {"path": p, "name": process_name(p), "type_id": 1}});
    }
    if let Some(u) = a.users.first() {
        e["actor"] = json!({"user": {"name": u}});
    }
    e
}

/// One sampled connection of the channel, named as other tools name it: OCSF's network
/// connection information has a place for the sensor's connection id (`uid`, the Zeek uid) and
/// for the Community ID (`community_uid`).
fn flow_evidence(a: &Alert, fl: &pubsub_hunt_core::FlowRef) -> Value {
    let mut conn = json!({
        "protocol_name": "tcp",
        "protocol_num": 6,
        "direction_id": if a.external { 2 } else { 3 },
        "direction": if a.external { "Outbound" } else { "Lateral" },
    });
    if let Some(uid) = &fl.uid {
        conn["uid"] = json!(uid);
    }
    if let Some(c) = &fl.community_id {
        conn["community_uid"] = json!(c);
    }
    let mut src = Map::new();
    if let Some(ip) = a.src_ip {
        src.insert("ip".into(), json!(ip.to_string()));
    }
    if let Some(p) = fl.src_port {
        src.insert("port".into(), json!(p));
    }
    let mut e = json!({
        "name": "connection",
        "connection_info": conn,
        "src_endpoint": src,
        "dst_endpoint": {"ip": a.dst_ip.to_string(), "port": a.dst_port},
    });
    if let Some(t) = fl.start {
        e["data"] = json!({"start_time": ms(t)});
    }
    e
}

/// OCSF observable type ids used here.
const HOSTNAME: u8 = 1;
const IP_ADDRESS: u8 = 2;
const USER_NAME: u8 = 4;
const PROCESS_NAME: u8 = 9;

fn observables(a: &Alert) -> Vec<Value> {
    let o = |name: &str, type_id: u8, ty: &str, value: &str| json!({"name": name, "type_id": type_id, "type": ty, "value": value});
    let mut v = Vec::new();
    if let Some(ip) = a.src_ip {
        v.push(o(
            "evidences[0].src_endpoint.ip",
            IP_ADDRESS,
            "IP Address",
            &ip.to_string(),
        ));
    }
    if a.host.parse::<IpAddr>().is_err() {
        v.push(o(
            "evidences[0].src_endpoint.hostname",
            HOSTNAME,
            "Hostname",
            &a.host,
        ));
    }
    v.push(o(
        "evidences[0].dst_endpoint.ip",
        IP_ADDRESS,
        "IP Address",
        &a.dst_ip.to_string(),
    ));
    for name in &a.destination_names {
        v.push(o(
            "evidences[0].dst_endpoint.hostname",
            HOSTNAME,
            "Hostname",
            name,
        ));
    }
    if let Some(p) = &a.process {
        v.push(o(
            "evidences[0].process.name",
            PROCESS_NAME,
            "Process Name",
            process_name(p),
        ));
    }
    for u in &a.users {
        v.push(o("evidences[0].actor.user.name", USER_NAME, "User Name", u));
    }
    v
}

/// pubsub-hunt's own fields, where OCSF has no place for them.
fn unmapped(a: &Alert) -> Value {
    let mut m = json!({
        "alert_id": a.id,
        "analytic": a.analytic.as_str(),
        "analytics": a.analytics.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "suspicion": a.suspicion.as_str(),
        "seed_suspicion": a.seed_suspicion.as_str(),
        "score": a.score,
        "signals": a.signals,
        "reasons": a.reasons,
        "samples": a.samples.iter().map(|r| format!("{}:{}", r.file, r.line)).collect::<Vec<_>>(),
        "sources": a.sources,
        "external": a.external,
        "flows": a.flows,
    });
    if let Some(app) = &a.app {
        crate::app_facts::add_app_facts(&mut m, app);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_and_confidence_cover_the_scale() {
        assert_eq!(severity(Suspicion::High).0, 4);
        assert_eq!(severity(Suspicion::Low).0, 2);
        assert_eq!(confidence(100).0, 3);
        assert_eq!(confidence(40).0, 2);
        assert_eq!(confidence(39).0, 1);
        assert_eq!(ms(1_500), 1);
        assert_eq!(ms(-1), -1);
    }
}
