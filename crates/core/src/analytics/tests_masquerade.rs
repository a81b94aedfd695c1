//! A masqueraded program is hunted on any port: a Windows system binary's name running from
//! outside its directory makes its connections candidates whatever the port, reported with the
//! protocol `unidentified` under the process analytic, and the genuine binary's connections are
//! not.

use crate::alert::Alert;
use crate::analytics::{Accumulator, Engine};
use crate::config::HuntConfig;
use crate::event::ConnEvent;
use crate::protocol::Protocol;
use crate::signal::SignalId;
use crate::time::Micros;
use crate::verdict::{AnalyticId, Suspicion};

const SECOND: Micros = 1_000_000;
/// 2024-03-04T00:00:00Z, a Monday.
const MONDAY: Micros = 1_709_510_400 * SECOND;
const IMPLANT: &str = r"C:\Users\kim\AppData\Roaming\Microsoft\Windows\Templates\taskhostw.exe";
const GENUINE: &str = r"C:\Windows\System32\taskhostw.exe";

fn run(toml: &str, events: &[ConnEvent]) -> Vec<Alert> {
    let cfg = HuntConfig::from_toml_str(toml).unwrap();
    let engine = Engine::new(cfg);
    let mut acc = Accumulator::new();
    for e in events {
        engine.observe(e, &mut acc);
    }
    engine.finish(acc).0
}

/// Every 10 minutes (± a little) for a day, from `image` on 10.1.0.7 to 203.0.113.7:443.
fn checkins(image: &str) -> Vec<ConnEvent> {
    (0..144)
        .map(|k| {
            let mut e = ConnEvent::tcp(
                "10.1.0.7".parse().unwrap(),
                "203.0.113.7".parse().unwrap(),
                443,
            );
            e.ts = Some(MONDAY + k * 600 * SECOND + (k * 37 % 50) * SECOND);
            e.end = e.ts.map(|t| t + 2 * SECOND);
            e.process = Some(image.to_string());
            e.host = Some("WKS-7".into());
            e
        })
        .collect()
}

const DEFAULTS: &str = "[analytics]\ndefault_allowlist = false";

/// Twelve other hosts, each with a broker of its own: data with many hosts, where one host
/// alone on a destination would be `sole_host_destination`.
fn crowd() -> Vec<ConnEvent> {
    (1..=12)
        .flat_map(|i| {
            (0..3).map(move |k| {
                let mut e = ConnEvent::tcp(
                    format!("10.2.0.{i}").parse().unwrap(),
                    format!("192.0.2.{i}").parse().unwrap(),
                    1883,
                );
                e.ts = Some(MONDAY + (k * 5000 + i * 97) * SECOND);
                e
            })
        })
        .collect()
}

#[test]
fn a_masqueraded_programs_connections_on_a_web_port_are_hunted() {
    let alerts: Vec<Alert> = run(DEFAULTS, &[checkins(IMPLANT), crowd()].concat())
        .into_iter()
        .filter(|a| a.dst_port == 443)
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(
        a.analytics
            .iter()
            .filter(|&&x| x == AnalyticId::PubsubProcess)
            .count(),
        1,
        "{:?}",
        a.analytics
    );
    // Its peers would be other masqueraded programs only: prevalence does not judge it.
    assert!(
        !a.signals.contains_key(&SignalId::SoleHostDestination),
        "{a:#?}"
    );
    assert_eq!(a.protocol, Protocol::Unidentified);
    assert_eq!(a.analytic, AnalyticId::PubsubProcess);
    assert_eq!(a.dst_port, 443);
    assert!(
        a.signals.contains_key(&SignalId::MasqueradedSystemBinary),
        "{a:#?}"
    );
    assert!(a.signals.contains_key(&SignalId::Beacon), "{a:#?}");
    assert_eq!(a.seed_suspicion, Suspicion::Low);
    assert_eq!(a.suspicion, Suspicion::High, "{:#?}", a.reasons);
    assert!(
        a.reasons.iter().any(|r| r.contains("names no protocol")),
        "{:#?}",
        a.reasons
    );
}

#[test]
fn the_genuine_binary_and_the_seed_view_leave_web_ports_alone() {
    assert!(run(DEFAULTS, &checkins(GENUINE)).is_empty());
    let seed = "[analytics]\ndefault_allowlist = false\n[behaviour]\nenabled = false";
    assert!(run(seed, &checkins(IMPLANT)).is_empty());
    let no_process = "[analytics]\ndefault_allowlist = false\nenabled = [\"pubsub-port\", \
                      \"pubsub-unusual-port\", \"pubsub-beacon\", \"pubsub-destination\"]";
    assert!(run(no_process, &checkins(IMPLANT)).is_empty());
}

#[test]
fn on_a_pubsub_port_it_is_one_channel_of_that_protocol() {
    let events: Vec<ConnEvent> = checkins(IMPLANT)
        .into_iter()
        .map(|mut e| {
            e.dst_port = 1883;
            e
        })
        .collect();
    let alerts = run(DEFAULTS, &events);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(alerts[0].protocol, Protocol::Mqtt);
    assert!(
        alerts[0]
            .signals
            .contains_key(&SignalId::MasqueradedSystemBinary)
    );
}
