//! The member against librdkafka's in-process mock broker (a real Kafka protocol peer on
//! 127.0.0.1): a labeled day of Zeek JSON (`pubsub_hunt_testgen`) is produced to a topic, one or
//! two members consume it in a group, and their findings are compared with the batch engine
//! run over the same records read from a file by the ingest pipeline (the `hunt` path). Findings
//! in OCSF, on a findings topic, must be keyed by the alert id they carry.

use pubsub_hunt_core::{Alert, Engine, HuntConfig};
use pubsub_hunt_ingest::{IgnoreProblems, IngestOptions, InputPath};
use pubsub_hunt_stream::{Decoder, FindingFormat, MemberConfig, MemberReport, WindowPolicy};
use pubsub_hunt_testgen::{GenConfig, RenderOptions, conn_log_bytes};
use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

const DAY_US: i64 = 86_400_000_000;

/// The labeled day: Zeek JSON lines.
fn day(lines: u64, seed: u64) -> Vec<String> {
    let (bytes, _) = conn_log_bytes(&GenConfig::new(lines, seed), &RenderOptions::json());
    String::from_utf8(bytes)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn orig_h(line: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["id.orig_h"].as_str().unwrap_or("").to_string()
}

/// Produces `messages` to `topic`, keyed by `key` (none: librdkafka spreads them).
fn produce(brokers: &str, topic: &str, messages: &[(Option<String>, String)]) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    for (key, payload) in messages {
        let mut r = BaseRecord::to(topic).payload(payload.as_bytes());
        if let Some(k) = key {
            r = r.key(k.as_bytes());
        }
        p.send(r).map_err(|(e, _)| e).unwrap();
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(30)).unwrap();
}

/// Produce `payloads` without keys, spread over `partitions` partitions in turn, as a
/// round-robin or random partitioner spreads unkeyed records. (librdkafka's default sticky
/// partitioner may put a whole short burst on one partition, which would leave nothing split.)
fn produce_unkeyed_spread(brokers: &str, topic: &str, payloads: &[String], partitions: i32) {
    let p: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .unwrap();
    for (i, payload) in payloads.iter().enumerate() {
        let partition = i32::try_from(i).unwrap() % partitions;
        let r: BaseRecord<'_, (), [u8]> = BaseRecord::to(topic)
            .payload(payload.as_bytes())
            .partition(partition);
        p.send(r).map_err(|(e, _)| e).unwrap();
        p.poll(Duration::ZERO);
    }
    p.flush(Duration::from_secs(30)).unwrap();
}

fn member(brokers: &str, topic: &str, group: &str, out: &Path) -> MemberConfig {
    MemberConfig {
        brokers: brokers.to_string(),
        topics: vec![topic.to_string()],
        group: group.to_string(),
        output_file: Some(out.to_path_buf()),
        output_topic: None,
        format: FindingFormat::Jsonl,
        policy: WindowPolicy {
            len: DAY_US,
            lateness: 0,
            idle_close: None,
            max_open: 64,
        },
        strict: false,
        stats_every: Duration::from_secs(2),
        commit_every: Duration::from_secs(1),
        stop_when_idle: Some(Duration::from_secs(4)),
        extra: vec![
            ("session.timeout.ms".into(), "6000".into()),
            ("heartbeat.interval.ms".into(), "500".into()),
        ],
    }
}

fn run_member(cfg: MemberConfig) -> MemberReport {
    let stop = AtomicBool::new(false);
    pubsub_hunt_stream::run(
        cfg,
        Engine::new(HuntConfig::default()),
        None,
        Decoder::new(pubsub_hunt_ingest::builtin_formats(), None),
        &stop,
    )
    .unwrap()
}

/// The batch engine over `lines` written to a file, as `hunt` reads it.
fn batch(lines: &[String], dir: &Path, name: &str) -> Vec<Alert> {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let engine = Engine::new(HuntConfig::default());
    let opts = IngestOptions {
        registry: pubsub_hunt_ingest::builtin_formats(),
        threads: 1,
        ..IngestOptions::default()
    };
    let (acc, report) = pubsub_hunt_ingest::run(
        &[InputPath::from(path.to_str().unwrap())],
        &engine,
        &opts,
        &IgnoreProblems,
    )
    .unwrap();
    assert_eq!(report.problem_count(), 0);
    engine.finish(acc).0
}

/// Findings (or alerts) by id, as JSON without the record samples and input names (a file path
/// in batch, `topic/partition` in a stream).
fn by_id(
    alerts: impl IntoIterator<Item = serde_json::Value>,
) -> BTreeMap<String, serde_json::Value> {
    alerts
        .into_iter()
        .map(|mut v| {
            let o = v.as_object_mut().unwrap();
            o.remove("samples");
            o.remove("sources");
            // A flow's file is where the record came from: a partition for the member, the
            // file for the batch run. Its uid, community id, port and start must agree.
            if let Some(flows) = o.get_mut("flows").and_then(|f| f.as_array_mut()) {
                for f in flows {
                    if let Some(f) = f.as_object_mut() {
                        f.remove("file");
                    }
                }
            }
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn alerts_json(alerts: &[Alert]) -> Vec<serde_json::Value> {
    alerts
        .iter()
        .map(|a| serde_json::to_value(a).unwrap())
        .collect()
}

fn findings(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn one_partition_gives_exactly_the_batch_findings() {
    let lines = day(3000, 7);
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("zeek", 1, 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    // Every third record in zeek-kafka's envelope (`{"conn": {...}}`): read as the record
    // itself, so the batch run over the plain lines is still the oracle.
    let mut msgs: Vec<(Option<String>, String)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            (
                None,
                if i % 3 == 0 {
                    format!("{{\"conn\":{l}}}")
                } else {
                    l.clone()
                },
            )
        })
        .collect();
    // Malformed and unknown messages in the middle: counted, never stopping the member.
    msgs.insert(100, (None, "{\"ts\": 17".to_string()));
    msgs.insert(200, (None, "not a record".to_string()));
    produce(&brokers, "zeek", &msgs);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("findings.jsonl");
    let report = run_member(member(&brokers, "zeek", "g1", &out));
    let got = by_id(findings(&out));
    let want = by_id(alerts_json(&batch(&lines, dir.path(), "conn.json")));
    assert!(
        want.len() >= 3,
        "the labeled day must raise alerts: {}",
        want.len()
    );
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert_eq!(got, want);
    let c = report.totals.counters;
    assert_eq!(c.records, msgs.len() as u64);
    assert_eq!(c.malformed, 2);
    assert_eq!(report.partitions["zeek/0"].malformed, 2);
    assert_eq!(c.windows_closed, 1);
    assert_eq!(report.findings_written as usize, want.len());
    assert!(report.commits >= 1);

    // The group's offsets were committed after the findings: a member of the same group
    // finds nothing new to read, and writes nothing.
    let out2 = dir.path().join("again.jsonl");
    let again = run_member(member(&brokers, "zeek", "g1", &out2));
    assert_eq!(again.totals.counters.records, 0, "{again:?}");
    assert!(findings(&out2).is_empty());
}

#[test]
fn hosts_keyed_to_partitions_give_the_batch_ids_and_unkeyed_records_are_reported() {
    let lines = day(3000, 11);
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("keyed", 4, 1).unwrap();
    cluster.create_topic("unkeyed", 4, 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let keyed: Vec<(Option<String>, String)> =
        lines.iter().map(|l| (Some(orig_h(l)), l.clone())).collect();
    produce(&brokers, "keyed", &keyed);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keyed.jsonl");
    let report = run_member(member(&brokers, "keyed", "g2", &out));
    assert_eq!(report.split_hosts, 0);
    assert_eq!(report.totals.counters.records, lines.len() as u64);
    let got = by_id(findings(&out));
    let want = by_id(alerts_json(&batch(&lines, dir.path(), "conn.json")));
    // Per-host state over four partitions finds the channels batch finds (same ids).
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (id, w) in &want {
        assert_eq!(got[id]["connections"], w["connections"], "{id}");
        assert_eq!(got[id]["host"], w["host"], "{id}");
    }

    // Without keys a host's records land on several partitions: detected and counted.
    produce_unkeyed_spread(&brokers, "unkeyed", &lines, 4);
    let report = run_member(member(
        &brokers,
        "unkeyed",
        "g3",
        &dir.path().join("u.jsonl"),
    ));
    assert!(report.split_hosts > 0, "{report:?}");
}

/// Every message of `topic` (one partition) from the start: (key, format header, payload).
fn consume_all(brokers: &str, topic: &str, want: usize) -> Vec<(String, String, String)> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "reader")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut got = Vec::new();
    let end = std::time::Instant::now() + Duration::from_secs(30);
    while got.len() < want && std::time::Instant::now() < end {
        let Some(m) = c.poll(Duration::from_millis(200)) else {
            continue;
        };
        let m = m.unwrap();
        let format = m
            .headers()
            .and_then(|h| h.iter().find(|h| h.key == "pubsub-hunt-format"))
            .and_then(|h| h.value)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        got.push((
            String::from_utf8(m.key().unwrap().to_vec()).unwrap(),
            format,
            String::from_utf8(m.payload().unwrap().to_vec()).unwrap(),
        ));
    }
    got
}

#[test]
fn ocsf_findings_carry_and_are_keyed_by_the_batch_alert_ids() {
    let lines = day(3000, 7);
    let cluster = MockCluster::new(1).unwrap();
    cluster.create_topic("zeek", 1, 1).unwrap();
    cluster.create_topic("findings", 1, 1).unwrap();
    let brokers = cluster.bootstrap_servers();
    let msgs: Vec<(Option<String>, String)> = lines.iter().map(|l| (None, l.clone())).collect();
    produce(&brokers, "zeek", &msgs);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("findings.ocsf.jsonl");
    let mut cfg = member(&brokers, "zeek", "g-ocsf", &out);
    cfg.format = FindingFormat::Ocsf;
    cfg.output_topic = Some("findings".into());
    let report = run_member(cfg);
    let want: Vec<String> = by_id(alerts_json(&batch(&lines, dir.path(), "conn.json")))
        .into_keys()
        .collect();
    assert!(want.len() >= 3, "the labeled day must raise alerts");
    assert_eq!(report.findings_written as usize, want.len());

    // The file: one OCSF Detection Finding per alert, its uid the batch alert id.
    let file = findings(&out);
    let mut uids: Vec<String> = file
        .iter()
        .map(|f| {
            assert_eq!(f["class_uid"], 2004, "{f}");
            assert_eq!(f["type_uid"], 200401, "{f}");
            assert_eq!(f["metadata"]["uid"], f["finding_info"]["uid"], "{f}");
            assert!(f.get("id").is_none(), "our JSON leaked into OCSF: {f}");
            f["finding_info"]["uid"].as_str().unwrap().to_string()
        })
        .collect();
    uids.sort();
    assert_eq!(uids, want);

    // The topic: the same findings, each keyed by the uid it carries.
    let topic = consume_all(&brokers, "findings", want.len());
    assert_eq!(topic.len(), want.len());
    let mut keys = Vec::new();
    for (key, format, payload) in &topic {
        assert_eq!(format, "ocsf");
        assert!(!payload.ends_with('\n'));
        let f: serde_json::Value = serde_json::from_str(payload).unwrap();
        assert_eq!(f["finding_info"]["uid"].as_str(), Some(key.as_str()));
        assert!(file.contains(&f), "topic and file disagree on {key}");
        keys.push(key.clone());
    }
    keys.sort();
    assert_eq!(keys, want);
}
