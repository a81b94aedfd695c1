//! Destinations judged by their names. A public broker's name is hunted on any port: a
//! connection whose destination is named as a public MQTT broker (the source's resolved name, a
//! captured TLS handshake's server name, or a name log's record of the connection) is a
//! candidate of the destination analytic as MQTT when no port analytic takes its port; a beacon
//! there is found, a browser's dashboard is not, and on a pub/sub port nothing changes. A public
//! XMPP server's name makes a chat client's channel, unless its sessions are brief.

use crate::alert::Alert;
use crate::analytics::{Accumulator, Engine};
use crate::app::AppInfo;
use crate::config::HuntConfig;
use crate::event::ConnEvent;
use crate::protocol::Protocol;
use crate::signal::SignalId;
use crate::time::Micros;
use crate::verdict::{AnalyticId, Suspicion};

const SECOND: Micros = 1_000_000;
const HOUR: Micros = 3600 * SECOND;
/// 2024-03-04T00:00:00Z, a Monday.
const MONDAY: Micros = 1_709_510_400 * SECOND;
const BROKER: &str = "broker.hivemq.com";
const DEFAULTS: &str = "[analytics]\ndefault_allowlist = false";

fn engine(toml: &str) -> Engine {
    Engine::new(HuntConfig::from_toml_str(toml).unwrap())
}

fn run(toml: &str, named: &[ConnEvent], plain: &[ConnEvent]) -> Vec<Alert> {
    let engine = engine(toml);
    let mut acc = Accumulator::new();
    for e in named {
        engine.observe_named_connection(e, &mut acc);
    }
    for e in plain {
        engine.observe(e, &mut acc);
    }
    engine.finish(acc).0
}

/// A connection from `src` to the broker's address on `port` at `ts`, named as the broker.
fn to_broker(src: &str, port: u16, ts: Micros) -> ConnEvent {
    let mut e = ConnEvent::tcp(src.parse().unwrap(), "52.124.71.51".parse().unwrap(), port);
    e.ts = Some(ts);
    e.dst_name = Some(BROKER.into());
    e
}

/// Every 15 minutes with up to 40 % jitter, for a day: a script's MQTT-over-WebSocket beacon.
fn beacon(port: u16) -> Vec<ConnEvent> {
    (0..96)
        .map(|k| {
            to_broker(
                "10.1.0.7",
                port,
                MONDAY + k * 900 * SECOND + (k * 131 % 360) * SECOND,
            )
        })
        .collect()
}

/// Twenty other hosts on a standard broker of their own, a few connections each: data with
/// hosts enough for the prevalence and time-of-day evidence.
fn crowd() -> Vec<ConnEvent> {
    (1..=20)
        .flat_map(|i| {
            (0..4).map(move |k| {
                let mut e = ConnEvent::tcp(
                    format!("10.2.0.{i}").parse().unwrap(),
                    format!("192.0.2.{i}").parse().unwrap(),
                    1883,
                );
                e.ts = Some(MONDAY + (k * 21_000 + i * 97) * SECOND);
                e
            })
        })
        .collect()
}

#[test]
fn a_beacon_to_a_public_brokers_name_on_its_websocket_port_is_found() {
    let alerts: Vec<Alert> = run(DEFAULTS, &beacon(8884), &crowd())
        .into_iter()
        .filter(|a| a.dst_port == 8884)
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.analytic, AnalyticId::PubsubDestination);
    assert_eq!(a.protocol, Protocol::Mqtt);
    assert_eq!(a.connections, 96);
    assert_eq!(a.seed_suspicion, Suspicion::Low);
    assert!(a.signals.contains_key(&SignalId::PublicBroker), "{a:#?}");
    assert!(a.signals.contains_key(&SignalId::Beacon), "{a:#?}");
    assert!(a.suspicion >= Suspicion::Medium, "{:#?}", a.reasons);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("named as a public MQTT broker")),
        "{:#?}",
        a.reasons
    );
}

#[test]
fn a_dashboard_opened_a_few_times_at_work_stays_low() {
    let opened = [
        9 * HOUR + 5 * 60 * SECOND,
        11 * HOUR,
        14 * HOUR + 1234 * SECOND,
    ];
    let dashboard: Vec<ConnEvent> = opened
        .iter()
        .map(|&t| {
            let mut e = to_broker("10.1.0.9", 8084, MONDAY + t);
            e.end = e.ts.map(|s| s + HOUR);
            e.bytes_out = Some(40_000);
            e.bytes_in = Some(900_000);
            e
        })
        .collect();
    let all = "[analytics]\ndefault_allowlist = false\nmin_suspicion = \"low\"";
    let alerts = run(all, &dashboard, &crowd());
    let a = alerts
        .iter()
        .find(|a| a.dst_port == 8084)
        .expect("the dashboard's group is rated");
    assert_eq!(a.suspicion, Suspicion::Low, "{:#?}", a.reasons);
}

#[test]
fn only_where_no_port_analytic_takes_the_port() {
    let engine = engine(DEFAULTS);
    let named = to_broker("10.1.0.7", 8884, MONDAY);
    assert_eq!(
        engine.candidate_keys(&named),
        [(AnalyticId::PubsubDestination, Protocol::Mqtt)]
    );
    // On a standard port it is the port analytic's, as before; and a name log's record of it
    // is not observed (the connection log has it: it would count twice).
    let standard = to_broker("10.1.0.7", 8883, MONDAY);
    assert_eq!(
        engine.candidate_keys(&standard),
        [(AnalyticId::PubsubPort, Protocol::Mqtt)]
    );
    let mut acc = Accumulator::new();
    assert!(!engine.observe_named_connection(&standard, &mut acc));
    assert!(engine.observe_named_connection(&named, &mut acc));
    // Another name, or none, is not hunted on a web port.
    let mut other = named.clone();
    other.dst_name = Some("broker.hivemq.com.example.net".into());
    assert!(engine.candidate_keys(&other).is_empty());
    other.dst_name = None;
    assert!(engine.candidate_keys(&other).is_empty());
    // A captured handshake's server name counts as the name.
    other.app = Some(Box::new(AppInfo {
        server_names: [format!("eu.{BROKER}")].into(),
        ..AppInfo::default()
    }));
    assert_eq!(
        engine.candidate_keys(&other),
        [(AnalyticId::PubsubDestination, Protocol::Mqtt)]
    );
}

#[test]
fn the_seed_view_and_the_destination_analytic_off_leave_it_alone() {
    let seed = "[analytics]\ndefault_allowlist = false\n[behaviour]\nenabled = false";
    assert!(run(seed, &beacon(8884), &[]).is_empty());
    let no_destination = "[analytics]\ndefault_allowlist = false\nenabled = [\"pubsub-port\", \
                          \"pubsub-unusual-port\", \"pubsub-beacon\", \"pubsub-process\"]";
    assert!(run(no_destination, &beacon(8884), &[]).is_empty());
}

/// `n` sessions of `secs` seconds each, six hours apart, from 10.1.0.7 to a public XMPP server
/// on 5223, named `yax.im` by the source.
fn xmpp_sessions(n: i64, secs: i64) -> Vec<ConnEvent> {
    (0..n)
        .map(|k| {
            let mut e = ConnEvent::tcp(
                "10.1.0.7".parse().unwrap(),
                "81.151.216.186".parse().unwrap(),
                5223,
            );
            e.ts = Some(MONDAY + 3 * HOUR + k * 6 * HOUR + k * 97 * SECOND);
            e.end = e.ts.map(|t| t + secs * SECOND);
            e.bytes_out = Some(4000);
            e.bytes_in = Some(6000);
            e.dst_name = Some("yax.im".into());
            e
        })
        .collect()
}

#[test]
fn a_poller_logging_in_and_out_of_a_public_xmpp_server_is_no_chat_client() {
    let with_defaults = "[analytics]\nmin_suspicion = \"low\"";
    let on_5223 = |alerts: Vec<Alert>| -> Vec<Alert> {
        alerts.into_iter().filter(|a| a.dst_port == 5223).collect()
    };
    // Held for hours: a chat client, which the default entry covers.
    let held = on_5223(run(
        with_defaults,
        &[],
        &[xmpp_sessions(3, 3 * 3600), crowd()].concat(),
    ));
    assert!(held.is_empty(), "{held:#?}");
    // Seconds long, every six hours: the entry does not cover it.
    let brief = on_5223(run(
        with_defaults,
        &[],
        &[xmpp_sessions(4, 7), crowd()].concat(),
    ));
    assert_eq!(brief.len(), 1, "{brief:#?}");
    assert_eq!(brief[0].suppressed_by, None);
    // Without ends (a source that records starts only) nothing says the sessions were brief.
    let starts: Vec<ConnEvent> = xmpp_sessions(4, 7)
        .into_iter()
        .map(|mut e| {
            e.end = None;
            e
        })
        .collect();
    let unknown = on_5223(run(with_defaults, &[], &[starts, crowd()].concat()));
    assert!(unknown.is_empty(), "{unknown:#?}");
}
