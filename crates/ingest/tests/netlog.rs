//! Network-log readers (PAN-OS, Cisco ASA, Chronicle UDM, ECS, OCSF, Suricata EVE): exact events
//! for every record of the synthetic fixtures in `tests/fixtures/netlog/` (written from the field
//! descriptions in docs/inputs.md; the corpus holds no sample of these formats), format detection
//! against every built-in format, one end-to-end hunt per format through
//! `pubsub_hunt_ingest::run`, and property tests that no reader panics on arbitrary bytes.

use proptest::prelude::*;
use pubsub_hunt_core::{
    AnalyticId, ConnEvent, Direction, Engine, HuntConfig, Outcome, Protocol, Suspicion, Transport,
};
use pubsub_hunt_ingest::{CollectProblems, ProblemKind};
use pubsub_hunt_ingest::{FormatSpec, IngestOptions, InputPath, builtin_formats, netlog, run};
use pubsub_hunt_reader::{Reader, Record, RecordSink, choose};
use std::path::PathBuf;
use std::sync::Arc;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/netlog/"
    ))
    .join(name)
}

fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[derive(Default)]
struct Collect {
    records: Vec<(u64, Result<Record, String>)>,
    problems: Vec<(Option<u64>, ProblemKind, String)>,
}

impl RecordSink for Collect {
    fn record(&mut self, pos: u64, record: Result<Record, String>) {
        self.records.push((pos, record));
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.problems.push((pos, kind, detail));
    }
    fn aborted(&self) -> bool {
        false
    }
    fn bytes(&mut self, _: u64) {}
}

/// The netlog format with this name.
fn format(name: &str) -> Arc<dyn FormatSpec> {
    netlog::formats()
        .into_iter()
        .find(|f| f.name() == name)
        .unwrap_or_else(|| panic!("no format {name}"))
}

/// Reads `data` with the format as the pipeline would (line by line, or as a stream), keeping
/// every record with its position, sorted by position.
fn read_with(f: &dyn FormatSpec, data: &[u8]) -> Collect {
    let head = &data[..data.len().min(64 * 1024)];
    let mut sink = Collect::default();
    match f.open(head).expect("open") {
        Reader::Lines(l) => {
            for (i, line) in data.split(|b| *b == b'\n').enumerate() {
                if i + 1 == data.split(|b| *b == b'\n').count() && line.is_empty() {
                    break;
                }
                sink.records.push((i as u64 + 1, l.parse_line(line)));
            }
        }
        Reader::Stream(mut s) => s.read(&mut &data[..], &mut sink).expect("read"),
        Reader::Headered(_) => panic!("no netlog format is a headered format"),
    }
    sink.records.sort_by_key(|(n, _)| *n);
    sink
}

/// The events of a fixture by position, and the positions of other records.
fn events(name: &str, format_name: &str) -> (Vec<(u64, ConnEvent)>, Vec<u64>) {
    let data = read_fixture(name);
    let got = read_with(&*format(format_name), &data);
    assert!(got.problems.is_empty(), "{:?}", got.problems);
    let mut conns = Vec::new();
    let mut others = Vec::new();
    for (n, r) in got.records {
        match r {
            Ok(Record::Conn(e)) => conns.push((n, *e)),
            Ok(
                Record::Other
                | Record::DestName { .. }
                | Record::AddrNames { .. }
                | Record::SessionFacts { .. },
            ) => others.push(n),
            Ok(Record::Skip) => {}
            Err(e) => panic!("{name}:{n}: {e}"),
        }
    }
    (conns, others)
}

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

/// 2024-03-03T09:10:00Z.
const T0910: i64 = 1_709_457_000_000_000;
const SEC: i64 = 1_000_000;

/// An event with the fields every test states, the rest unknown.
fn expected(format: &'static str, src: &str, sport: u16, dst: &str, dport: u16) -> ConnEvent {
    ConnEvent {
        ts: None,
        end: None,
        host: None,
        process: None,
        user: None,
        src_ip: Some(ip(src)),
        src_port: Some(sport),
        dst_ip: ip(dst),
        dst_port: dport,
        transport: Transport::Tcp,
        outcome: Outcome::Unknown,
        direction: Direction::Unknown,
        identified: Vec::new(),
        app_label: None,
        bytes_out: None,
        bytes_in: None,
        packets_out: None,
        packets_in: None,
        dst_name: None,
        origin: None,
        source_format: Some(format),
        app: None,
        uid: None,
        community_id: None,
    }
}

#[test]
fn panos_fixture_events() {
    let (conns, others) = events("panos_traffic.log", "panos");
    let mqtt = |sport, ts, elapsed, out, inb| ConnEvent {
        ts: Some(ts),
        end: Some(ts + elapsed * SEC),
        user: Some(r"corp\jdoe".into()),
        outcome: Outcome::Succeeded,
        identified: vec![Protocol::Mqtt],
        app_label: Some("mqtt".into()),
        bytes_out: Some(out),
        bytes_in: Some(inb),
        packets_out: None,
        packets_in: None,
        dst_name: None,
        ..expected("panos", "10.20.1.15", sport, "198.51.100.23", 1883)
    };
    let want = vec![
        (1, mqtt(51514, T0910, 302, 2048, 512)),
        (3, mqtt(51600, T0910 + 370 * SEC, 275, 1024, 256)),
        (
            4,
            ConnEvent {
                ts: Some(T0910 + 540 * SEC),
                end: Some(T0910 + 660 * SEC),
                outcome: Outcome::Succeeded,
                identified: vec![Protocol::Xmpp],
                app_label: Some("jabber".into()),
                bytes_out: Some(900),
                bytes_in: Some(4000),
                packets_out: None,
                packets_in: None,
                dst_name: None,
                ..expected("panos", "10.20.1.16", 50001, "192.0.2.77", 443)
            },
        ),
        (
            5,
            ConnEvent {
                ts: Some(T0910 + 720 * SEC),
                end: Some(T0910 + 720 * SEC),
                outcome: Outcome::Failed,
                identified: vec![Protocol::Amqp],
                app_label: Some("amqp".into()),
                bytes_out: Some(0),
                bytes_in: Some(0),
                packets_out: None,
                packets_in: None,
                dst_name: None,
                ..expected("panos", "10.20.1.17", 50002, "198.51.100.23", 5672)
            },
        ),
    ];
    assert_eq!(conns, want);
    // The session-start record of session 1002 and the THREAT line.
    assert_eq!(others, vec![2, 6]);
}

#[test]
fn asa_fixture_pairs_built_and_teardown_and_orients_outbound() {
    let (conns, others) = events("asa.log", "cisco-asa");
    let out = |sport, src: &str, ts| ConnEvent {
        ts: Some(ts),
        direction: Direction::Outbound,
        ..expected("cisco-asa", src, sport, "198.51.100.23", 8883)
    };
    let want = vec![
        // Built outbound (responder printed first) + Teardown: start, end, outcome.
        (
            1,
            ConnEvent {
                end: Some(T0910 + 302 * SEC),
                outcome: Outcome::Succeeded,
                ..out(51514, "10.20.1.15", T0910)
            },
        ),
        // Never torn down: emitted at the end, outcome unknown; the AAA user is kept.
        (
            3,
            ConnEvent {
                user: Some(r"CORP\jdoe".into()),
                ..out(51600, "10.20.1.15", T0910 + 60 * SEC)
            },
        ),
        // Built inbound: the initiator is printed first.
        (
            5,
            ConnEvent {
                ts: Some(T0910 + 360 * SEC),
                end: Some(T0910 + 390 * SEC),
                outcome: Outcome::Succeeded,
                direction: Direction::Inbound,
                ..expected("cisco-asa", "192.0.2.99", 40404, "10.30.0.5", 1883)
            },
        ),
        (
            7,
            ConnEvent {
                end: Some(T0910 + 450 * SEC),
                outcome: Outcome::Failed,
                ..out(52000, "10.20.1.17", T0910 + 420 * SEC)
            },
        ),
        // Teardown alone: the lower port is the responder, start = end − duration.
        (
            9,
            ConnEvent {
                ts: Some(T0910 - 600 * SEC),
                end: Some(T0910 + 600 * SEC),
                outcome: Outcome::Succeeded,
                ..expected("cisco-asa", "10.20.1.15", 50999, "198.51.100.23", 8883)
            },
        ),
        (
            10,
            ConnEvent {
                ts: Some(T0910 + 660 * SEC),
                transport: Transport::Udp,
                direction: Direction::Outbound,
                ..expected("cisco-asa", "10.20.1.15", 53000, "198.51.100.53", 53)
            },
        ),
    ];
    assert_eq!(conns, want);
    assert_eq!(others, vec![2]);
}

fn udm_first() -> ConnEvent {
    ConnEvent {
        ts: Some(T0910),
        host: Some("WKS-0415".into()),
        process: Some(r"C:\Users\jdoe\AppData\Local\Temp\updater.exe".into()),
        user: Some(r"CORP\jdoe".into()),
        outcome: Outcome::Succeeded,
        direction: Direction::Outbound,
        bytes_out: Some(4096),
        bytes_in: Some(1024),
        packets_out: None,
        packets_in: None,
        dst_name: None,
        ..expected("chronicle-udm", "10.20.1.15", 51514, "198.51.100.23", 5222)
    }
}

#[test]
fn udm_array_with_string_byte_counts() {
    let (conns, others) = events("udm.json", "chronicle-udm");
    let second = ConnEvent {
        ts: Some(T0910 + 1800 * SEC + 250_000),
        bytes_out: Some(2048),
        bytes_in: Some(512),
        packets_out: None,
        packets_in: None,
        dst_name: None,
        src_port: Some(51600),
        ..udm_first()
    };
    assert_eq!(conns, vec![(1, udm_first()), (2, second)]);
    // USER_LOGIN, and a connection whose target has only a host name.
    assert_eq!(others, vec![3, 4]);
}

#[test]
fn udm_snake_case_lines_match_the_camel_case_export() {
    let (conns, _) = events("udm_snake.jsonl", "chronicle-udm");
    assert_eq!(conns, vec![(1, udm_first())]);
}

#[test]
fn ecs_fixture_events() {
    let (conns, others) = events("ecs.ndjson", "ecs");
    let stomp = |sport| ConnEvent {
        host: Some("build-07".into()),
        process: Some("/opt/agent/bin/agentd".into()),
        user: Some(r"CORP\svc_build".into()),
        outcome: Outcome::Succeeded,
        direction: Direction::Outbound,
        ..expected("ecs", "10.20.1.15", sport, "198.51.100.23", 61613)
    };
    let want = vec![
        (
            1,
            ConnEvent {
                ts: Some(T0910 - 300 * SEC),
                end: Some(T0910),
                identified: vec![Protocol::Stomp],
                app_label: Some("stomp".into()),
                bytes_out: Some(2048),
                bytes_in: Some(512),
                packets_out: None,
                packets_in: None,
                dst_name: None,
                ..stomp(51514)
            },
        ),
        (
            2,
            ConnEvent {
                ts: Some(T0910 + 600 * SEC),
                bytes_out: Some(1024),
                bytes_in: Some(256),
                packets_out: None,
                packets_in: None,
                dst_name: None,
                ..stomp(51600)
            },
        ),
        (
            4,
            ConnEvent {
                ts: Some(T0910 + 720 * SEC),
                host: Some("build-07".into()),
                outcome: Outcome::Succeeded,
                direction: Direction::Inbound,
                ..expected("ecs", "192.0.2.44", 40000, "10.20.1.15", 61613)
            },
        ),
        (
            5,
            ConnEvent {
                ts: Some(T0910 + 780 * SEC),
                host: Some("build-07".into()),
                process: Some("/opt/agent/bin/agentd".into()),
                outcome: Outcome::Failed,
                direction: Direction::Outbound,
                ..expected("ecs", "10.20.1.15", 51700, "198.51.100.23", 61613)
            },
        ),
    ];
    assert_eq!(conns, want);
    assert_eq!(others, vec![3]);
}

#[test]
fn ocsf_fixture_events() {
    let (conns, others) = events("ocsf.jsonl", "ocsf");
    let agent = |sport, ts| ConnEvent {
        ts: Some(ts),
        host: Some("wks-0415".into()),
        process: Some(r"C:\ProgramData\svchost-helper.exe".into()),
        user: Some(r"CORP\jdoe".into()),
        outcome: Outcome::Succeeded,
        direction: Direction::Outbound,
        ..expected("ocsf", "10.20.1.15", sport, "198.51.100.23", 5671)
    };
    let want = vec![
        (
            1,
            ConnEvent {
                ts: Some(T0910 - 300 * SEC),
                end: Some(T0910),
                outcome: Outcome::Succeeded,
                direction: Direction::Outbound,
                app_label: Some("ssl".into()),
                bytes_out: Some(3200),
                bytes_in: Some(640),
                packets_out: None,
                packets_in: None,
                dst_name: None,
                ..expected("ocsf", "10.20.1.15", 51514, "198.51.100.23", 5671)
            },
        ),
        (
            2,
            ConnEvent {
                bytes_out: Some(200),
                bytes_in: Some(100),
                packets_out: None,
                packets_in: None,
                dst_name: None,
                ..agent(51600, T0910 + 300 * SEC)
            },
        ),
        (3, agent(51700, T0910 + 400 * SEC)),
        (
            5,
            ConnEvent {
                user: None,
                outcome: Outcome::Failed,
                ..agent(51800, T0910 + 600 * SEC)
            },
        ),
    ];
    assert_eq!(conns, want);
    assert_eq!(others, vec![4]);
}

#[test]
fn suricata_fixture_events() {
    let (conns, others) = events("eve.json", "suricata-eve");
    let mqtt = |sport| ConnEvent {
        identified: vec![Protocol::Mqtt],
        app_label: Some("mqtt".into()),
        outcome: Outcome::Succeeded,
        ..expected("suricata-eve", "10.20.1.15", sport, "198.51.100.23", 17501)
    };
    let want = vec![
        // The flow event of flow 1001, which replaces its two mqtt events.
        (
            4,
            ConnEvent {
                ts: Some(T0910 + 50_000),
                end: Some(T0910 + 300 * SEC),
                bytes_out: Some(4200),
                bytes_in: Some(3100),
                packets_out: Some(40),
                packets_in: Some(38),
                dst_name: None,
                ..mqtt(51514)
            },
        ),
        // Flow 1003 has only mqtt events: its CONNECT stands in, without bytes.
        (
            5,
            ConnEvent {
                ts: Some(T0910 + 600 * SEC + 100_000),
                ..mqtt(51600)
            },
        ),
        (
            6,
            ConnEvent {
                ts: Some(T0910 + 658 * SEC),
                end: Some(T0910 + 658 * SEC),
                outcome: Outcome::Failed,
                bytes_out: Some(74),
                bytes_in: Some(0),
                packets_out: Some(1),
                packets_in: Some(0),
                dst_name: None,
                ..expected("suricata-eve", "10.20.1.15", 51700, "198.51.100.24", 5222)
            },
        ),
    ];
    assert_eq!(conns, want);
    assert_eq!(others, vec![1, 2, 3]);
}

#[test]
fn every_fixture_is_recognised_as_its_format_among_all_builtin_formats() {
    let registry = builtin_formats();
    for (file, name) in [
        ("panos_traffic.log", "panos"),
        ("asa.log", "cisco-asa"),
        ("udm.json", "chronicle-udm"),
        ("udm_snake.jsonl", "chronicle-udm"),
        ("ecs.ndjson", "ecs"),
        ("ocsf.jsonl", "ocsf"),
        ("eve.json", "suricata-eve"),
    ] {
        let data = read_fixture(file);
        let chosen = choose(&registry, None, &data).map(|f| f.name());
        assert_eq!(chosen, Some(name), "{file}");
        // No netlog format claims another's fixture more surely than its own.
        let own = format(name).sniff(&data);
        for f in netlog::formats() {
            if f.name() != name {
                assert!(f.sniff(&data) < own, "{} claims {file}", f.name());
            }
        }
    }
}

/// Hunts one fixture through the whole pipeline.
fn hunt(
    file: &str,
) -> (
    Vec<pubsub_hunt_core::Alert>,
    pubsub_hunt_ingest::IngestReport,
) {
    // The fixtures decide what is read, not the verdict: a program with nothing against it would
    // be lowered by `process_unremarkable` (the engine's judgement, tested in core).
    let cfg = HuntConfig::from_toml_str("[behaviour.weights]\nprocess_unremarkable = 0.0")
        .expect("config");
    let engine = Engine::new(cfg);
    let problems = CollectProblems::default();
    let (acc, report) = run(
        &[InputPath::Path(fixture(file))],
        &engine,
        &IngestOptions::default(),
        &problems,
    )
    .expect("run");
    let got = problems.0.lock().map(|p| p.clone()).unwrap_or_default();
    assert!(got.is_empty(), "{file}: {got:?}");
    let (alerts, _) = engine.finish(acc);
    (alerts, report)
}

fn one_alert(file: &str, format_name: &str) -> pubsub_hunt_core::Alert {
    let (alerts, report) = hunt(file);
    assert_eq!(
        report.streams_by_format.get(format_name),
        Some(&1),
        "{file}: {:?}",
        report.streams_by_format
    );
    assert_eq!(alerts.len(), 1, "{file}: {alerts:#?}");
    alerts.into_iter().next().unwrap()
}

#[test]
fn end_to_end_panos() {
    let a = one_alert("panos_traffic.log", "panos");
    assert_eq!(
        (a.analytic, a.seed_suspicion, a.protocol),
        (AnalyticId::PubsubPort, Suspicion::High, Protocol::Mqtt)
    );
    assert_eq!((a.host.as_str(), a.connections), ("10.20.1.15", 2));
    assert_eq!((a.bytes_sent, a.bytes_received), (Some(3072), Some(768)));
    assert_eq!(a.users, vec![r"corp\jdoe".to_string()]);
}

#[test]
fn end_to_end_cisco_asa() {
    let a = one_alert("asa.log", "cisco-asa");
    assert_eq!(
        (a.analytic, a.seed_suspicion, a.protocol, a.dst_port),
        (
            AnalyticId::PubsubPort,
            Suspicion::High,
            Protocol::Mqtt,
            8883
        )
    );
    // 5001, 5002 and the lone teardown 4999; the SYN timeout and the inbound one do not count.
    assert_eq!((a.host.as_str(), a.connections), ("10.20.1.15", 3));
    assert_eq!((a.bytes_sent, a.bytes_received), (None, None));
}

#[test]
fn end_to_end_chronicle_udm() {
    let a = one_alert("udm.json", "chronicle-udm");
    assert_eq!(
        (a.analytic, a.seed_suspicion, a.protocol),
        (AnalyticId::PubsubPort, Suspicion::High, Protocol::Xmpp)
    );
    assert_eq!((a.host.as_str(), a.connections), ("WKS-0415", 2));
    assert_eq!(
        a.process.as_deref(),
        Some(r"C:\Users\jdoe\AppData\Local\Temp\updater.exe")
    );
    assert_eq!((a.bytes_sent, a.bytes_received), (Some(6144), Some(1536)));
}

#[test]
fn end_to_end_ecs() {
    let a = one_alert("ecs.ndjson", "ecs");
    assert_eq!(
        (a.analytic, a.seed_suspicion, a.protocol),
        (AnalyticId::PubsubPort, Suspicion::High, Protocol::Stomp)
    );
    assert_eq!((a.host.as_str(), a.connections), ("build-07", 2));
    assert_eq!(a.users, vec![r"CORP\svc_build".to_string()]);
    assert_eq!((a.bytes_sent, a.bytes_received), (Some(3072), Some(768)));
}

#[test]
fn end_to_end_ocsf() {
    let a = one_alert("ocsf.jsonl", "ocsf");
    assert_eq!(
        (a.analytic, a.seed_suspicion, a.protocol),
        (AnalyticId::PubsubPort, Suspicion::Medium, Protocol::Amqp)
    );
    assert_eq!((a.host.as_str(), a.connections), ("wks-0415", 2));
    assert_eq!(
        a.process.as_deref(),
        Some(r"C:\ProgramData\svchost-helper.exe")
    );
}

#[test]
fn end_to_end_suricata_eve() {
    let a = one_alert("eve.json", "suricata-eve");
    assert_eq!(
        (a.analytic, a.seed_suspicion, a.protocol, a.dst_port),
        (
            AnalyticId::PubsubUnusualPort,
            Suspicion::High,
            Protocol::Mqtt,
            17501
        )
    );
    assert_eq!(a.connections, 2);
}

/// Runs every netlog reader over `data`: sniff, open, and each line or the whole stream.
fn read_everything(data: &[u8]) {
    for f in netlog::formats() {
        let _ = f.sniff(data);
        match f.open(data) {
            Ok(Reader::Lines(l)) => {
                for line in data.split(|b| *b == b'\n') {
                    let _ = l.parse_line(line);
                }
            }
            Ok(Reader::Stream(mut s)) => {
                let mut sink = Collect::default();
                let _ = s.read(&mut &data[..], &mut sink);
            }
            Ok(Reader::Headered(_)) | Err(_) => {}
        }
    }
}

/// Lines shaped like each format, for mutation.
fn shaped_line() -> impl Strategy<Value = Vec<u8>> {
    let files = [
        "panos_traffic.log",
        "asa.log",
        "udm_snake.jsonl",
        "ecs.ndjson",
        "ocsf.jsonl",
        "eve.json",
    ];
    let lines: Vec<Vec<u8>> = files
        .iter()
        .flat_map(|f| {
            read_fixture(f)
                .split(|b| *b == b'\n')
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
        })
        .collect();
    prop::sample::select(lines)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn readers_never_panic_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..2048)) {
        read_everything(&data);
    }

    #[test]
    fn readers_never_panic_on_damaged_records(
        line in shaped_line(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
    ) {
        let mut line = line;
        for (at, b) in flips {
            if !line.is_empty() {
                let i = at.index(line.len());
                line[i] = b;
            }
        }
        let keep = if line.is_empty() { 0 } else { cut.index(line.len() + 1) };
        line.truncate(keep);
        read_everything(&line);
    }
}
