//! A day's window of a Zeek conn.log topic is rated with the census of its hosts, as `hunt`
//! rates a file of the same records: a workstation that browses while it holds a cloud
//! broker's session through the night keeps it around the clock, and a device whose only other
//! traffic is name lookups is a dedicated device. Without the census the window knew neither.

use super::*;
use crate::decode::{Decoder, FormatCache};
use pubsub_hunt_core::{HuntConfig, SignalId, Suspicion};
use pubsub_hunt_testgen::sensor_day;

const SEC: Micros = 1_000_000;
const WORKSTATION: &str = "10.20.0.50";
const DEVICE: &str = "10.20.0.60";

/// The census day (`pubsub_hunt_testgen::sensor_day`, the workstation browsing) as Zeek JSON
/// conn records in time order, each a TCP connection answered both ways.
fn day() -> Vec<String> {
    let mut conns = sensor_day::connections(true, 0);
    conns.sort_by_key(|c| (c.from, c.src, c.sport));
    let ip = |a: [u8; 4]| std::net::Ipv4Addr::from(a).to_string();
    conns
        .iter()
        .enumerate()
        .map(|(uid, c)| {
            let secs = c.to - c.from;
            format!(
                r#"{{"ts":{}.25,"uid":"C{uid}","id.orig_h":"{}","id.orig_p":{},"id.resp_h":"{}","id.resp_p":{},"proto":"tcp","duration":{secs},"orig_bytes":{},"resp_bytes":{},"conn_state":"SF","local_orig":true}}"#,
                c.from,
                ip(c.src),
                c.sport,
                ip(c.dst),
                c.dport,
                20 * secs / 60 + 40,
                15 * secs / 60 + 30
            )
        })
        .collect()
}

fn engine() -> Engine {
    Engine::new(HuntConfig {
        min_suspicion: Suspicion::Low,
        ..HuntConfig::default()
    })
}

fn of<'a>(alerts: &'a [Alert], host: &str) -> &'a Alert {
    alerts
        .iter()
        .find(|a| a.src_ip.is_some_and(|ip| ip.to_string() == host))
        .unwrap_or_else(|| panic!("no alert of {host}: {alerts:?}"))
}

/// The windows of a partition holding `lines` (two days long, so the day is one window),
/// decoded as the member decodes messages.
fn stream(engine: &Engine, lines: &[String]) -> Vec<Alert> {
    let decoder = Decoder::new(pubsub_hunt_ingest::builtin_formats(), None);
    let mut cache = FormatCache::default();
    let policy = WindowPolicy {
        len: 48 * 3600 * SEC,
        lateness: 60 * SEC,
        idle_close: None,
        max_open: 4,
    };
    let mut state = PartitionState::new(Arc::from("conn/0"), policy, None);
    let mut names = Accumulator::new();
    for (offset, line) in lines.iter().enumerate() {
        let record = decoder.decode(line.as_bytes(), &mut cache).unwrap();
        let census = cache.takes_census();
        state.observe_counted(engine, offset as i64, record, census, &mut names);
    }
    let closed = state.close_due(engine, &names, Instant::now(), true);
    assert_eq!(closed.len(), 1);
    closed.into_iter().next().unwrap().alerts
}

#[test]
fn a_window_of_a_conn_log_is_rated_with_its_hosts_census_as_hunt_rates_the_file() {
    let engine = engine();
    let lines = day();
    let streamed = stream(&engine, &lines);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("conn.log");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let (acc, _) = pubsub_hunt_ingest::run(
        &[pubsub_hunt_ingest::InputPath::Path(path)],
        &engine,
        &pubsub_hunt_ingest::IngestOptions::default(),
        &pubsub_hunt_ingest::IgnoreProblems,
    )
    .unwrap();
    let (hunted, _) = engine.finish(acc);

    let verdicts = |alerts: &[Alert]| -> Vec<String> {
        alerts
            .iter()
            .map(|a| format!("{} {} {:?} {:?}", a.id, a.score, a.suspicion, a.signals))
            .collect()
    };
    assert_eq!(verdicts(&streamed), verdicts(&hunted));
    let w = of(&streamed, WORKSTATION);
    assert_eq!(
        w.signals.get(&SignalId::KeptAroundTheClock),
        Some(&10.0),
        "{w:?}"
    );
    let d = of(&streamed, DEVICE);
    assert_eq!(
        d.signals.get(&SignalId::DedicatedDevice),
        Some(&-20.0),
        "{d:?}"
    );
}

/// A format that records only some connections (Sysmon, a firewall's rule hits) gives no
/// census: the member passes `census` false for it, and nothing is counted.
#[test]
fn records_of_a_format_without_a_census_are_not_counted() {
    let engine = engine();
    let decoder = Decoder::new(pubsub_hunt_ingest::builtin_formats(), None);
    let mut cache = FormatCache::default();
    let mut state = PartitionState::new(
        Arc::from("conn/0"),
        WindowPolicy {
            len: 48 * 3600 * SEC,
            lateness: 60 * SEC,
            idle_close: None,
            max_open: 4,
        },
        None,
    );
    let mut names = Accumulator::new();
    for (offset, line) in day().iter().enumerate() {
        let record = decoder.decode(line.as_bytes(), &mut cache).unwrap();
        state.observe_counted(&engine, offset as i64, record, false, &mut names);
    }
    let alerts = state
        .close_due(&engine, &names, Instant::now(), true)
        .into_iter()
        .next()
        .unwrap()
        .alerts;
    let d = of(&alerts, DEVICE);
    assert!(!d.signals.contains_key(&SignalId::DedicatedDevice), "{d:?}");
}
