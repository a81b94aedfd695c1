//! End-to-end tests of the SIEM/EDR formats: each synthetic fixture in `tests/fixtures/siem/`
//! goes through [`pubsub_hunt_ingest::run`] with the default options (format detection over
//! every built-in format) and the default hunt configuration, and the alerts must be the ones
//! the fixture was written to produce. Forcing a format by name must give the same result, and
//! forcing a format on an export it cannot read must skip the stream with a reason.

use pubsub_hunt_core::{Alert, AnalyticId, Engine, HuntConfig, HuntSummary, Protocol, Suspicion};
use pubsub_hunt_ingest::CollectProblems;
use pubsub_hunt_ingest::{
    IngestOptions, IngestReport, InputFormat, InputPath, ProblemKind, run, siem,
};
use std::path::PathBuf;

fn fixture(name: &str) -> InputPath {
    InputPath::Path(PathBuf::from(format!(
        "{}/tests/fixtures/siem/{name}",
        env!("CARGO_MANIFEST_DIR")
    )))
}

fn hunt(file: &str, format: InputFormat) -> (Vec<Alert>, HuntSummary, IngestReport) {
    let engine = Engine::new(seed_matrix_config());
    let opts = IngestOptions {
        format,
        threads: 2,
        ..IngestOptions::default()
    };
    let sink = CollectProblems::default();
    let (acc, report) = run(&[fixture(file)], &engine, &opts, &sink).expect("run");
    let (alerts, summary) = engine.finish(acc);
    (alerts, summary, report)
}

/// The parts of an alert the fixtures decide (the seed matrix's suspicion: the engine's own
/// also weighs behaviour evidence, which is not what these fixtures are about).
#[derive(Debug, PartialEq)]
struct Seen {
    analytic: AnalyticId,
    seed_suspicion: Suspicion,
    host: String,
    process: Option<String>,
    users: Vec<String>,
    dst: String,
    protocol: Protocol,
    external: bool,
    connections: u64,
    bytes: (Option<u64>, Option<u64>),
    source_format: String,
}

fn seen(alerts: &[Alert]) -> Vec<Seen> {
    alerts
        .iter()
        .map(|a| Seen {
            analytic: a.analytic,
            seed_suspicion: a.seed_suspicion,
            host: a.host.clone(),
            process: a.process.clone(),
            users: a.users.clone(),
            dst: format!("{}:{}", a.dst_ip, a.dst_port),
            protocol: a.protocol,
            external: a.external,
            connections: a.connections,
            bytes: (a.bytes_sent, a.bytes_received),
            source_format: a.source_format.clone(),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn want(
    analytic: AnalyticId,
    suspicion: Suspicion,
    host: &str,
    process: Option<&str>,
    users: &[&str],
    dst: &str,
    protocol: Protocol,
    connections: u64,
    bytes: (Option<u64>, Option<u64>),
    source_format: &str,
) -> Seen {
    Seen {
        analytic,
        seed_suspicion: suspicion,
        host: host.into(),
        process: process.map(str::to_string),
        users: users.iter().map(|u| u.to_string()).collect(),
        dst: dst.into(),
        protocol,
        external: true,
        connections,
        bytes,
        source_format: source_format.into(),
    }
}

fn streams(report: &IngestReport) -> Vec<(&'static str, u64)> {
    report
        .streams_by_format
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect()
}

fn defender_portal_alerts() -> Vec<Seen> {
    vec![
        want(
            AnalyticId::PubsubPort,
            Suspicion::High,
            "ws-fin-07.corp.example.com",
            Some(r"c:\users\jdoe\appdata\local\programs\python\python311\python.exe"),
            &[r"corp\jdoe"],
            "198.51.100.23:8883",
            Protocol::Mqtt,
            2,
            (None, None),
            "defender-csv",
        ),
        want(
            AnalyticId::PubsubPort,
            Suspicion::High,
            "ws-fin-07.corp.example.com",
            Some(r"c:\program files (x86)\pidgin\pidgin.exe"),
            &[r"corp\jdoe"],
            "2001:db8:85a3::8a2e:370:7334:5222",
            Protocol::Xmpp,
            2,
            (None, None),
            "defender-csv",
        ),
    ]
}

fn sorted(mut v: Vec<Seen>) -> Vec<Seen> {
    v.sort_by(|a, b| a.dst.cmp(&b.dst));
    v
}

#[test]
fn defender_csv_end_to_end() {
    let (alerts, summary, report) = hunt("defender-portal.csv", InputFormat::Auto);
    assert_eq!(streams(&report), vec![("defender-csv", 1)]);
    assert_eq!(sorted(seen(&alerts)), sorted(defender_portal_alerts()));
    // The failed attempt and the accepted inbound connection were candidates, not counted.
    assert_eq!(summary.counters.failed, 1);
    assert_eq!(summary.counters.inbound, 1);
    assert_eq!(report.problem_count(), 0);
}

#[test]
fn defender_csv_forced_by_name_gives_the_same_alerts() {
    let (alerts, _, report) = hunt(
        "defender-portal.csv",
        InputFormat::Named("defender-csv".into()),
    );
    assert_eq!(streams(&report), vec![("defender-csv", 1)]);
    assert_eq!(sorted(seen(&alerts)), sorted(defender_portal_alerts()));
}

#[test]
fn defender_csv_forced_on_another_export_is_skipped_with_a_reason() {
    let engine = Engine::new(seed_matrix_config());
    let opts = IngestOptions {
        format: InputFormat::Named("defender-csv".into()),
        ..IngestOptions::default()
    };
    let sink = CollectProblems::default();
    let (acc, report) = run(&[fixture("splunk-export.csv")], &engine, &opts, &sink).unwrap();
    assert_eq!(acc.group_count(), 0);
    assert_eq!(report.streams_skipped, 1);
    let problems = sink.0.lock().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].kind, ProblemKind::UnknownFormat);
    assert!(
        problems[0].detail.contains("RemoteIP"),
        "{}",
        problems[0].detail
    );
}

#[test]
fn defender_sentinel_csv_reports_the_cut_last_line() {
    let (alerts, _, report) = hunt("defender-sentinel.csv", InputFormat::Auto);
    assert_eq!(streams(&report), vec![("defender-csv", 1)]);
    assert_eq!(
        seen(&alerts),
        vec![want(
            AnalyticId::PubsubPort,
            Suspicion::High,
            "ws-eng-12.corp.example.com",
            Some(r"C:\ProgramData\svc\svchelper.exe"),
            &[r"corp\svc_backup"],
            "203.0.113.99:61614",
            Protocol::Stomp,
            2,
            (None, None),
            "defender-csv",
        )]
    );
    // The bad port is on a line the prefilter drops (it holds no pub/sub port); the cut last
    // line is always checked.
    assert_eq!(
        report.problems.get(&ProblemKind::TruncatedRecord).copied(),
        Some(1)
    );
    assert_eq!(report.problem_count(), 1);
}

#[test]
fn defender_sentinel_csv_strict_finds_the_bad_port_too() {
    let engine = Engine::new(seed_matrix_config());
    let opts = IngestOptions {
        strict: true,
        ..IngestOptions::default()
    };
    let sink = CollectProblems::default();
    let err =
        run(&[fixture("defender-sentinel.csv")], &engine, &opts, &sink).expect_err("strict stops");
    assert!(err.to_string().contains("bad RemotePort"), "{err}");
}

#[test]
fn defender_api_json_end_to_end() {
    for format in [
        InputFormat::Auto,
        InputFormat::Named("defender-json".into()),
    ] {
        let (alerts, summary, report) = hunt("defender-api.json", format);
        assert_eq!(streams(&report), vec![("defender-json", 1)]);
        assert_eq!(
            seen(&alerts),
            vec![want(
                AnalyticId::PubsubPort,
                Suspicion::Medium,
                "ws-hr-03.corp.example.com",
                Some(r"c:\windows\system32\rundll32.exe"),
                &[r"corp\mlee"],
                "198.51.100.140:5671",
                Protocol::Amqp,
                2,
                (None, None),
                "defender-json",
            )]
        );
        assert_eq!(summary.counters.failed, 1);
        assert_eq!(summary.counters.inbound, 1);
        assert_eq!(report.records, 4);
    }
}

#[test]
fn defender_streaming_json_end_to_end() {
    let (alerts, summary, report) = hunt("defender-streaming.jsonl", InputFormat::Auto);
    assert_eq!(streams(&report), vec![("defender-json", 1)]);
    // A Mosquitto client talking to an external broker is rated low and not reported.
    assert!(alerts.is_empty(), "{alerts:?}");
    assert_eq!(summary.groups, 1);
    assert_eq!(summary.below_min_suspicion, 1);
    assert_eq!(summary.counters.failed, 1);
}

#[test]
fn splunk_csv_end_to_end() {
    let (alerts, summary, report) = hunt("splunk-export.csv", InputFormat::Auto);
    assert_eq!(streams(&report), vec![("splunk-csv", 1)]);
    assert_eq!(
        sorted(seen(&alerts)),
        sorted(vec![
            // Splunk Stream: bytes_in (client→server) is what was sent.
            want(
                AnalyticId::PubsubPort,
                Suspicion::High,
                "10.30.1.9",
                None,
                &[],
                "198.51.100.77:61613",
                Protocol::Stomp,
                2,
                (Some(1700), Some(400)),
                "splunk-csv",
            ),
            want(
                AnalyticId::PubsubUnusualPort,
                Suspicion::High,
                "ws-lab-4",
                None,
                &[],
                "2001:db8:77::9:9001",
                Protocol::Mqtt,
                2,
                (Some(60), Some(40)),
                "splunk-csv",
            ),
            // A firewall: bytes_out (client→server) is what was sent.
            want(
                AnalyticId::PubsubPort,
                Suspicion::Medium,
                "10.30.1.5",
                None,
                &[r"corp\alice"],
                "203.0.113.80:5672",
                Protocol::Amqp,
                2,
                (Some(1500), Some(6000)),
                "splunk-csv",
            ),
        ])
    );
    assert_eq!(summary.counters.failed, 1);
    assert_eq!(summary.counters.inbound, 1);
}

#[test]
fn splunk_json_end_to_end() {
    for format in [InputFormat::Auto, InputFormat::Named("splunk-json".into())] {
        let (alerts, summary, report) = hunt("splunk-export.json", format);
        assert_eq!(streams(&report), vec![("splunk-json", 1)]);
        assert_eq!(
            seen(&alerts),
            vec![want(
                AnalyticId::PubsubPort,
                Suspicion::High,
                "10.30.5.5",
                None,
                &[],
                "192.0.2.88:5222",
                Protocol::Xmpp,
                2,
                (Some(1350), Some(6000)),
                "splunk-json",
            )]
        );
        // The blocked connection was a candidate but not counted; the internal STOMP
        // connection is below the threshold.
        assert_eq!(summary.counters.failed, 1);
        assert_eq!(summary.below_threshold, 1);
    }
}

#[test]
fn a_hunter_mapping_reads_a_custom_export() {
    let mapping = r#"
name = "acme-fw"
description = "ACME firewall CSV"
kind = "csv"
[sniff]
required = ["acme_dst", "acme_dport"]
confidence = "certain"
[timestamp]
field = "when"
formats = ["epoch_ms"]
[fields]
host = "who"
dst_ip = "acme_dst"
dst_port = "acme_dport"
[outcome]
field = "verdict"
success = ["pass"]
other = "failed"
"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.csv");
    std::fs::write(
        &path,
        "when,who,acme_dst,acme_dport,verdict\n1715691600000,ws1,203.0.113.5,61613,pass\n1715691660000,ws1,203.0.113.5,61613,pass\n1715691720000,ws1,203.0.113.5,61613,drop\n",
    )
    .unwrap();
    let mut opts = IngestOptions {
        threads: 1,
        ..IngestOptions::default()
    };
    opts.registry
        .push(siem::load_mapping(mapping).expect("mapping loads"));
    let engine = Engine::new(seed_matrix_config());
    let (acc, report) = run(
        &[InputPath::Path(path)],
        &engine,
        &opts,
        &CollectProblems::default(),
    )
    .unwrap();
    assert_eq!(streams(&report), vec![("acme-fw", 1)]);
    let (alerts, summary) = engine.finish(acc);
    assert_eq!(summary.counters.failed, 1);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].host, "ws1");
    assert_eq!(alerts[0].connections, 2);
    assert_eq!(alerts[0].first_seen, Some(1_715_691_600_000_000));
    assert_eq!(alerts[0].last_seen, Some(1_715_691_660_000_000));
    assert_eq!(alerts[0].source_format, "acme-fw");
}

/// The defaults without the shipped allowlist, so these format tests see every group the seed
/// matrix rates (the allowlist has its own tests in the core crate).
/// The fixtures decide what is read, not the verdict: a program with nothing against it would be
/// lowered by `process_unremarkable` (the engine's judgement, tested in core), so it weighs 0 here.
fn seed_matrix_config() -> HuntConfig {
    HuntConfig::from_toml_str(
        "[analytics]\ndefault_allowlist = false\n[behaviour.weights]\nprocess_unremarkable = 0.0",
    )
    .unwrap()
}
