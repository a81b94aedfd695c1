//! Zeek's content logs through the pipeline and the engine: `mqtt_*.log` records give the
//! connections of conn.log the client ids, topics and timed messages packet inspection would
//! have given them (the same signals as a capture's), `dns.log` answers name their cleartext
//! destinations, whichever file, order or thread read what, and with `--window` facts join the
//! connection that carried them. The btest baselines of Zeek's MQTT analyzer in the corpus are
//! read in place.

use pubsub_hunt_core::{
    Accumulator, Alert, AppInfo, ConnEvent, Engine, HuntConfig, Protocol, TopicDirection,
};
use pubsub_hunt_ingest::{CollectProblems, IngestOptions, IngestReport, InputPath, run};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

const HEAD: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n";
const T0: i64 = 1_700_000_000;
const CLIENT: &str = "10.1.1.7";
const BROKER: &str = "203.0.113.9";

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn cfg(toml: &str) -> HuntConfig {
    HuntConfig::from_toml_str(&format!("[analytics]\ndefault_allowlist = false\n{toml}")).unwrap()
}

fn conn_log(rows: &[(&str, u16, i64, f64)]) -> String {
    let mut s = format!(
        "{HEAD}#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\n"
    );
    for (i, (dst, port, start, dur)) in rows.iter().enumerate() {
        s.push_str(&format!(
            "{start}.0\tC{i}\t{CLIENT}\t4{i:04}\t{dst}\t{port}\ttcp\tmqtt\t{dur}\t5000\t900\tSF\tT\n"
        ));
    }
    s
}

/// A bot's session: CONNECT, SUBSCRIBE to its command tree, a beacon every minute for half an
/// hour, one command delivered.
fn mqtt_logs(start: i64) -> [(&'static str, String); 3] {
    let id = format!("{CLIENT}\t40000\t{BROKER}\t1883");
    let connect = format!(
        "{HEAD}#path\tmqtt_connect\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto_name\tproto_version\tclient_id\tconnect_status\twill_topic\twill_payload\n{start}.1\tC0\t{id}\tMQTT\t3.1.1\tbot-7f3a9c\tConnection Accepted\t-\t-\n"
    );
    let subscribe = format!(
        "{HEAD}#path\tmqtt_subscribe\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\taction\ttopics\tqos_levels\tgranted_qos_level\tack\n{start}.2\tC0\t{id}\tMQTT::SUBSCRIBE\tc2/cmd/#\t1\t1\tT\n"
    );
    let mut publish = format!(
        "{HEAD}#path\tmqtt_publish\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfrom_client\tretain\tqos\tstatus\ttopic\tpayload\tpayload_len\n"
    );
    for k in 0..30 {
        let ts = start + 60 + k * 60;
        publish.push_str(&format!(
            "{ts}.0\tC0\t{id}\tT\tF\tat most once\tok\tc2/beacon\talive {k}\t{}\n",
            6 + k.to_string().len()
        ));
    }
    publish.push_str(&format!(
        "{}.5\tC0\t{id}\tF\tF\tat most once\tok\tc2/cmd/run\twhoami\t6\n",
        start + 900
    ));
    [
        ("mqtt_connect.log", connect),
        ("mqtt_subscribe.log", subscribe),
        ("mqtt_publish.log", publish),
    ]
}

fn write(dir: &Path, files: &[(&str, String)]) -> Vec<InputPath> {
    files
        .iter()
        .map(|(name, text)| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            InputPath::Path(p)
        })
        .collect()
}

fn hunt(inputs: &[InputPath], cfg: HuntConfig) -> (Vec<Alert>, IngestReport, CollectProblems) {
    let engine = Engine::new(cfg);
    let opts = IngestOptions {
        threads: 2,
        ..IngestOptions::default()
    };
    let sink = CollectProblems::default();
    let (acc, report) = run(inputs, &engine, &opts, &sink).expect("run");
    (engine.finish(acc).0, report, sink)
}

/// What the MQTT dissector would have filled for the same session.
fn dissected(start: i64) -> AppInfo {
    let mut a = AppInfo {
        protocol: Some(Protocol::Mqtt),
        protocol_version: Some("3.1.1".into()),
        ..AppInfo::default()
    };
    a.add_client_id("bot-7f3a9c");
    a.add_topic("c2/cmd/#", TopicDirection::Subscribe, 0);
    for k in 0..30i64 {
        let payload = format!("alive {k}");
        let ts = (start + 60 + k * 60) * 1_000_000;
        let size = payload.len() as u32;
        a.add_message(
            ts,
            TopicDirection::Publish,
            Some("c2/beacon"),
            payload.as_bytes(),
            size,
        );
    }
    a.add_message(
        (start + 900) * 1_000_000 + 500_000,
        TopicDirection::Subscribe,
        Some("c2/cmd/run"),
        b"whoami",
        6,
    );
    a
}

#[test]
fn mqtt_logs_give_a_connection_what_packet_inspection_would() {
    let dir = tempfile::tempdir().unwrap();
    let conns = conn_log(&[(BROKER, 1883, T0, 1900.0), (BROKER, 1883, T0 + 3600, 10.0)]);
    let mut files = vec![("conn.log", conns)];
    files.extend(mqtt_logs(T0));
    let inputs = write(dir.path(), &files);
    let (alerts, report, problems) = hunt(&inputs, cfg(""));
    let problems = problems.0.lock().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(report.session_facts, 33);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let zeek = &alerts[0];
    let app = zeek.app.as_ref().expect("the mqtt logs' facts");
    assert!(app.client_ids.contains("bot-7f3a9c"));
    let topics: Vec<(&str, TopicDirection, u64)> = app
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.direction, t.messages))
        .collect();
    assert_eq!(
        topics,
        vec![
            ("c2/beacon", TopicDirection::Publish, 30),
            ("c2/cmd/run", TopicDirection::Subscribe, 1),
            ("c2/cmd/#", TopicDirection::Subscribe, 0),
        ]
    );

    // The same connections with the dissector's facts on the first: the same signals.
    let engine = Engine::new(cfg(""));
    let mut acc = Accumulator::new();
    for (start, dur, app) in [(T0, 1900, Some(dissected(T0))), (T0 + 3600, 10, None)] {
        let ev = ConnEvent {
            ts: Some(start * 1_000_000),
            end: Some((start + dur) * 1_000_000),
            bytes_out: Some(5000),
            bytes_in: Some(900),
            identified: vec![Protocol::Mqtt],
            app: app.map(Box::new),
            ..ConnEvent::tcp(ip(CLIENT), ip(BROKER), 1883)
        };
        engine.observe(&ev, &mut acc);
    }
    let (pcap, _) = engine.finish(acc);
    assert_eq!(pcap.len(), 1);
    assert_eq!(zeek.signals, pcap[0].signals);
    assert_eq!(zeek.app, pcap[0].app);
    assert!(
        zeek.signals.keys().any(|s| s.is_beacon()),
        "{:?}",
        zeek.signals
    );

    // Without the mqtt logs the same connections say nothing of their content.
    let (bare, _, _) = hunt(&inputs[..1], cfg(""));
    assert!(bare.iter().all(|a| a.app.is_none()), "{bare:#?}");
    assert_ne!(bare.first().map(|a| &a.signals), Some(&zeek.signals));
}

#[test]
fn facts_join_whatever_reads_them_first() {
    let engine = Engine::new(cfg(""));
    let c = cfg("");
    let (src, dst) = (ip(CLIENT), ip(BROKER));
    let mut facts = Accumulator::new();
    let mut conns = Accumulator::new();
    let fact = |id: &str| {
        let mut a = AppInfo::default();
        a.add_client_id(id);
        Box::new(a)
    };
    engine.observe_session_facts(
        src,
        dst,
        1883,
        Some(T0 * 1_000_000),
        fact("a-1"),
        &mut facts,
    );
    engine.observe_session_facts(src, dst, 1883, None, fact("b-2"), &mut conns);
    // Another channel's facts join nothing.
    engine.observe_session_facts(src, ip("198.51.100.1"), 1883, None, fact("z"), &mut facts);
    for k in 0..3 {
        let ev = ConnEvent {
            ts: Some((T0 + k * 600) * 1_000_000),
            ..ConnEvent::tcp(src, dst, 1883)
        };
        engine.observe(&ev, &mut conns);
    }
    let mut results = Vec::new();
    for (a, b) in [(facts.clone(), conns.clone()), (conns, facts)] {
        let mut acc = a;
        acc.merge(b, &c);
        let (alerts, _) = engine.finish(acc);
        assert_eq!(alerts.len(), 1);
        let ids: Vec<String> = alerts[0]
            .app
            .as_ref()
            .unwrap()
            .client_ids
            .iter()
            .cloned()
            .collect();
        results.push(ids);
    }
    assert_eq!(results[0], vec!["a-1".to_string(), "b-2".to_string()]);
    assert_eq!(results[0], results[1]);
}

#[test]
fn with_a_window_facts_join_the_one_alert_of_their_channel() {
    let engine = Engine::new(cfg("window = \"1h\"\nmin_suspicion = \"low\""));
    let (src, dst) = (ip(CLIENT), ip(BROKER));
    let mut acc = Accumulator::new();
    // One long session opened in the first hour, a reconnect in the fourth.
    for (start, n) in [(T0 - T0 % 3600, 2), (T0 - T0 % 3600 + 3 * 3600, 2)] {
        for k in 0..n {
            let ev = ConnEvent {
                ts: Some((start + k) * 1_000_000),
                ..ConnEvent::tcp(src, dst, 1883)
            };
            engine.observe(&ev, &mut acc);
        }
    }
    let hour = T0 - T0 % 3600;
    for (at, id) in [
        (hour + 100, "first-hour"),
        (hour + 2 * 3600 + 5, "third-hour"),
        (hour + 3 * 3600 + 60, "fourth-hour"),
    ] {
        let mut a = AppInfo::default();
        a.add_client_id(id);
        engine.observe_session_facts(src, dst, 1883, Some(at * 1_000_000), Box::new(a), &mut acc);
    }
    let (alerts, _) = engine.finish(acc);
    assert_eq!(
        alerts.len(),
        1,
        "one alert per channel, whatever the window"
    );
    let ids: Vec<String> = alerts[0]
        .app
        .as_ref()
        .map(|x| x.client_ids.iter().cloned().collect())
        .unwrap_or_default();
    assert_eq!(ids, vec!["first-hour", "fourth-hour", "third-hour"]);
    assert_eq!(alerts[0].windows.as_ref().map(Vec::len), Some(2));
}

#[test]
fn dns_answers_name_cleartext_destinations_on_any_port() {
    let dir = tempfile::tempdir().unwrap();
    let hivemq = "52.29.1.2";
    let dns = format!(
        "{HEAD}#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tquery\tqtype_name\trcode_name\tanswers\tTTLs\trejected\n\
         {T0}.0\tD1\t{CLIENT}\t5353\t10.0.0.53\t53\tudp\tbroker.hivemq.com\tA\tNOERROR\t{hivemq}\t60.0\tF\n\
         {T0}.0\tD2\t{CLIENT}\t5354\t10.0.0.53\t53\tudp\tgateway.example.net\tA\tNOERROR\tcdn.example.net,{BROKER}\t60.0,60.0\tF\n"
    );
    let conns = conn_log(&[
        (hivemq, 1883, T0 + 10, 5.0),
        (hivemq, 1883, T0 + 600, 5.0),
        (BROKER, 5672, T0 + 20, 5.0),
        (BROKER, 5672, T0 + 620, 5.0),
    ]);
    let inputs = write(dir.path(), &[("dns.log", dns), ("conn.log", conns)]);
    let (alerts, report, _) = hunt(&inputs, cfg("min_suspicion = \"low\""));
    assert_eq!(report.address_names, 2);
    let names = |dst: &str| -> Vec<String> {
        let a = alerts
            .iter()
            .find(|a| a.dst_ip == ip(dst))
            .unwrap_or_else(|| panic!("{alerts:#?}"));
        a.destination_names.clone()
    };
    assert_eq!(names(hivemq), vec!["broker.hivemq.com".to_string()]);
    assert_eq!(
        names(BROKER),
        vec![
            "cdn.example.net".to_string(),
            "gateway.example.net".to_string()
        ]
    );
    let broker = alerts.iter().find(|a| a.dst_ip == ip(hivemq)).unwrap();
    assert!(
        broker.reasons.iter().any(|r| r.contains("HiveMQ")),
        "{broker:#?}"
    );
}

fn corpus(rel: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        dir.is_dir(),
        "the test corpus is missing: expected {} (see ../shared/corpus/README.md)",
        dir.display()
    );
    dir.join(rel)
}

/// Zeek's own MQTT baselines (timestamps masked), read in place, with a conn.log of the two
/// connections they are about.
#[test]
fn zeek_mqtt_baselines_in_the_corpus() {
    let base = "logs/zeek/testing/btest/Baseline/scripts.base.protocols.mqtt.mqtt";
    let mut inputs: Vec<InputPath> = ["mqtt_connect.log", "mqtt_subscribe.log", "mqtt_publish.log"]
        .iter()
        .map(|f| InputPath::Path(corpus(&format!("{base}/{f}"))))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let conn = format!(
        "{HEAD}#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tconn_state\tlocal_orig\n\
         1461170590.509491\tCVSL\t10.0.1.4\t49327\t198.41.30.241\t1883\ttcp\tmqtt\tOTH\tT\n\
         1461170596.653525\tCdAB\t10.0.1.4\t49330\t198.41.30.241\t1883\ttcp\tmqtt\tSF\tT\n"
    );
    inputs.extend(write(dir.path(), &[("conn.log", conn)]));
    let (alerts, report, problems) = hunt(&inputs, cfg("min_suspicion = \"low\""));
    let problems = problems.0.lock().unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(report.session_facts, 6);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let app = alerts[0].app.as_ref().unwrap();
    assert_eq!(app.protocol_version.as_deref(), Some("3.1"));
    let ids: Vec<&str> = app.client_ids.iter().map(String::as_str).collect();
    assert_eq!(ids, ["paho/34AAE54A75D839566E", "paho/DDE4DDAF4108D3E363"]);
    let topics: Vec<(&str, TopicDirection, u64)> = app
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.direction, t.messages))
        .collect();
    // Two deliveries and one publication, untimed (masked), and the subscription.
    assert_eq!(
        topics,
        vec![
            ("SampleTopic", TopicDirection::Subscribe, 2),
            ("SampleTopic", TopicDirection::Publish, 1),
        ]
    );
}
