//! The `pubsub-hunt stream` binary against librdkafka's in-process mock broker (a real Kafka
//! protocol peer on 127.0.0.1, in this test's process): a labeled day of Zeek JSON is produced
//! to a topic and one member drains it into one window, so batch `hunt` over the same records
//! is the oracle.
//!
//! - `--format ocsf`: the findings, in the file and on the findings topic, must be OCSF
//!   Detection Findings that an independent OCSF implementation accepts (py-ocsf-models, through
//!   `tests/python/ocsf_check.py`, as for `hunt --format ocsf`), one per alert `hunt` finds,
//!   `finding_info.uid` its alert id and the topic message keyed by it.
//! - `--state`: a member judges against the history `hunt` saved, exactly as `hunt` does with
//!   the same history, and leaves the store as it was.
//!
//! The oracle is installed by `scripts/test.sh` (`PUBSUB_HUNT_PYTHON`); without it that check
//! skips with a message, or fails when `PUBSUB_HUNT_REQUIRE_ORACLES=1`.
#![cfg(feature = "kafka")]

mod common;

use pubsub_hunt_stream::rdkafka::ClientConfig;
use pubsub_hunt_stream::rdkafka::consumer::{BaseConsumer, Consumer};
use pubsub_hunt_stream::rdkafka::message::Message;
use pubsub_hunt_stream::rdkafka::mocking::MockCluster;
use pubsub_hunt_stream::rdkafka::producer::{
    BaseProducer, BaseRecord, DefaultProducerContext, Producer,
};
use pubsub_hunt_testgen::{GenConfig, RenderOptions, conn_log_bytes};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::root;

fn json_lines(s: &str) -> Vec<Value> {
    s.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The py-ocsf-models oracle's summary of `findings`, or `None` when it is not installed and
/// not required.
fn ocsf_oracle(findings: &str) -> Option<Value> {
    let required = std::env::var("PUBSUB_HUNT_REQUIRE_ORACLES").is_ok_and(|v| v == "1");
    let python = std::env::var("PUBSUB_HUNT_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
        .filter(|p| {
            std::process::Command::new(p)
                .args(["-c", "import py_ocsf_models"])
                .output()
                .is_ok_and(|o| o.status.success())
        });
    let Some(python) = python else {
        assert!(
            !required,
            "oracle required (PUBSUB_HUNT_REQUIRE_ORACLES=1) but no PUBSUB_HUNT_PYTHON with py_ocsf_models"
        );
        eprintln!("SKIPPED: py-ocsf-models not installed (run scripts/test.sh)");
        return None;
    };
    let mut child = std::process::Command::new(python)
        .arg(root().join("tests/python/ocsf_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(findings.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "oracle rejected the findings:\n{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_str(stdout.trim()).unwrap())
}

/// Every message of the one-partition `topic`: (key, payload).
fn consume_all(brokers: &str, topic: &str, want: usize) -> Vec<(String, String)> {
    let c: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", "reader")
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    c.subscribe(&[topic]).unwrap();
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(30);
    while got.len() < want && Instant::now() < end {
        if let Some(m) = c.poll(Duration::from_millis(200)) {
            let m = m.unwrap();
            got.push((
                String::from_utf8_lossy(m.key().unwrap_or_default()).into_owned(),
                String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
            ));
        }
    }
    got
}

/// A labeled day of Zeek JSON in `dir/conn.json`, also produced to topic `zeek` of `cluster`
/// (one partition), whose `findings` topic is created too.
fn day_on(cluster: &MockCluster<'_, DefaultProducerContext>, dir: &Path) -> PathBuf {
    let (bytes, _) = conn_log_bytes(&GenConfig::new(3000, 7), &RenderOptions::json());
    let conn = dir.join("conn.json");
    std::fs::write(&conn, &bytes).unwrap();
    cluster.create_topic("zeek", 1, 1).unwrap();
    cluster.create_topic("findings", 1, 1).unwrap();
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", cluster.bootstrap_servers())
        .create()
        .unwrap();
    for line in String::from_utf8(bytes).unwrap().lines() {
        if line.trim().is_empty() {
            continue;
        }
        let mut r = BaseRecord::<(), str>::to("zeek").payload(line);
        while let Err((_, back)) = producer.send(r) {
            producer.poll(Duration::from_millis(50));
            r = back;
        }
        producer.poll(Duration::ZERO);
    }
    producer.flush(Duration::from_secs(30)).unwrap();
    conn
}

/// One member draining `zeek` into one window holding the whole day (lateness 0: it closes
/// when the member goes idle), with `args` added; its standard error.
fn drain(brokers: &str, group: &str, args: &[&str]) -> String {
    let member = common::std_bin()
        .args(["stream", "--brokers", brokers, "--topic", "zeek"])
        .args(["--group", group, "--window", "1d"])
        .args([
            "--lateness",
            "0",
            "--idle-close",
            "0",
            "--stop-when-idle",
            "4s",
        ])
        .args(["--commit-every", "1", "--stats-every", "2"])
        .args([
            "-X",
            "session.timeout.ms=6000",
            "-X",
            "heartbeat.interval.ms=500",
        ])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&member.stderr).into_owned();
    assert!(member.status.success(), "{err}");
    err
}

/// `hunt --format jsonl` over `input` with `args` added: the alerts.
fn hunt(input: &Path, args: &[&str]) -> Vec<Value> {
    let out = common::bin()
        .args(["hunt", "--format", "jsonl", "--quiet"])
        .args(args)
        .arg(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    json_lines(&String::from_utf8(out.stdout).unwrap())
}

#[test]
fn stream_ocsf_findings_validate_and_carry_the_hunt_alert_ids() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = MockCluster::new(1).unwrap();
    let conn = day_on(&cluster, dir.path());
    let brokers = cluster.bootstrap_servers();
    let out = dir.path().join("findings.ocsf");
    let out_arg = out.to_str().unwrap();
    drain(
        &brokers,
        "ocsf",
        &[
            "--format",
            "ocsf",
            "-o",
            out_arg,
            "--output-topic",
            "findings",
        ],
    );

    let mut ids: Vec<String> = hunt(&conn, &[])
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert!(ids.len() >= 3, "the labeled day must raise alerts: {ids:?}");

    let text = std::fs::read_to_string(&out).unwrap();
    let file = json_lines(&text);
    let mut uids: Vec<String> = file
        .iter()
        .map(|f| {
            assert_eq!(f["class_uid"], 2004, "{f}");
            f["finding_info"]["uid"].as_str().unwrap().to_string()
        })
        .collect();
    uids.sort();
    assert_eq!(uids, ids);

    let topic = consume_all(&brokers, "findings", ids.len());
    assert_eq!(topic.len(), ids.len());
    for (key, payload) in &topic {
        let f: Value = serde_json::from_str(payload).unwrap();
        assert_eq!(f["finding_info"]["uid"].as_str(), Some(key.as_str()));
        assert!(file.contains(&f), "topic and file disagree on {key}");
    }

    if let Some(summary) = ocsf_oracle(&text) {
        assert_eq!(summary["findings"], ids.len(), "{summary}");
        let mut checked: Vec<String> = summary["ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        checked.sort();
        assert_eq!(checked, ids);
    }
}

/// Alerts by id without the record samples and input names (a file in batch, `topic/partition`
/// in a stream), in the flows too (their uids, community ids, ports and starts must agree).
fn by_id(alerts: Vec<Value>) -> BTreeMap<String, Value> {
    alerts
        .into_iter()
        .map(|mut a| {
            common::strip_input_names(&mut a);
            (a["id"].as_str().unwrap().to_string(), a)
        })
        .collect()
}

#[test]
fn stream_judges_against_the_history_hunt_saved_and_leaves_it_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = MockCluster::new(1).unwrap();
    let conn = day_on(&cluster, dir.path());
    let brokers = cluster.bootstrap_servers();
    // History: `hunt` saves the same day once, as a daily run would have.
    let store = dir.path().join("state.sqlite");
    let store_arg = store.to_str().unwrap();
    let fresh = by_id(hunt(&conn, &["--no-state"]));
    hunt(&conn, &["--state", store_arg]);
    let saved = std::fs::read(&store).unwrap();
    // The oracle: `hunt` judging the same records against a copy of that history.
    let copy = dir.path().join("copy.sqlite");
    std::fs::write(&copy, &saved).unwrap();
    let want = by_id(hunt(&conn, &["--state", copy.to_str().unwrap()]));
    assert!(want.len() >= 3, "the labeled day must raise alerts");
    assert_ne!(
        want, fresh,
        "history must change what hunt says, or this test proves nothing"
    );

    let out = dir.path().join("findings.jsonl");
    let err = drain(
        &brokers,
        "history",
        &["--state", store_arg, "-o", out.to_str().unwrap()],
    );
    assert!(err.contains("read only"), "{err}");
    let got = by_id(json_lines(&std::fs::read_to_string(&out).unwrap()));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    assert_eq!(got, want);
    assert!(
        std::fs::read(&store).unwrap() == saved,
        "stream wrote to the state store"
    );

    // Without a store the same member says everything is new, as `hunt --no-state` does.
    let out = dir.path().join("fresh.jsonl");
    let cluster2 = MockCluster::new(1).unwrap();
    day_on(&cluster2, dir.path());
    drain(
        &cluster2.bootstrap_servers(),
        "fresh",
        &["--no-state", "-o", out.to_str().unwrap()],
    );
    assert_eq!(
        by_id(json_lines(&std::fs::read_to_string(&out).unwrap())),
        fresh
    );
}
