//! The prevalence signals through the whole engine: a shared server's ordinary clients are
//! benign, a host on a timer of its own there stands apart, a server federating is not a client,
//! and a server one host talks to in data with many hosts is suspicious.

use crate::alert::Alert;
use crate::analytics::{Accumulator, Engine};
use crate::config::HuntConfig;
use crate::event::ConnEvent;
use crate::protocol::Protocol;
use crate::time::Micros;
use crate::verdict::Suspicion;

const SECOND: Micros = 1_000_000;
const HOUR: Micros = 3600 * SECOND;
/// 2024-03-04T00:00:00Z, a Monday.
const MONDAY: Micros = 1_709_510_400 * SECOND;

fn run(events: &[ConnEvent]) -> Vec<Alert> {
    let cfg = HuntConfig::from_toml_str(
        "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false",
    )
    .unwrap();
    let engine = Engine::new(cfg);
    let mut acc = Accumulator::new();
    for e in events {
        engine.observe(e, &mut acc);
    }
    engine.finish(acc).0
}

fn conn(src: &str, dst: &str, port: u16, start: Micros) -> ConnEvent {
    let mut e = ConnEvent::tcp(src.parse().unwrap(), dst.parse().unwrap(), port);
    e.ts = Some(start);
    e.end = Some(start + 20 * SECOND);
    e.bytes_out = Some(900);
    e.bytes_in = Some(1500);
    e
}

/// Six connections at irregular hours (no timer), shifted per host.
fn irregular(src: &str, dst: &str, port: u16, shift: i64) -> Vec<ConnEvent> {
    [1.0, 3.7, 4.1, 9.9, 15.2, 23.4]
        .iter()
        .map(|h| {
            conn(
                src,
                dst,
                port,
                MONDAY + (h * HOUR as f64) as Micros + shift * 97 * SECOND,
            )
        })
        .collect()
}

fn find<'a>(alerts: &'a [Alert], src: &str, port: u16) -> &'a Alert {
    alerts
        .iter()
        .find(|a| a.host == src && a.dst_port == port)
        .unwrap_or_else(|| panic!("no alert for {src}:{port} in {alerts:#?}"))
}

#[test]
fn a_shared_servers_clients_are_benign_and_a_host_on_its_own_timer_stands_apart() {
    let mut events: Vec<ConnEvent> = (1..=8)
        .flat_map(|i| irregular(&format!("10.1.0.{i}"), "198.51.100.7", 5222, i))
        .collect();
    // Every 10 minutes for 8 hours to the same server.
    events.extend(
        (0..48).map(|k| conn("10.1.0.99", "198.51.100.7", 5222, MONDAY + k * 600 * SECOND)),
    );
    let alerts = run(&events);
    let client = find(&alerts, "10.1.0.3", 5222);
    assert!(
        client
            .signals
            .contains_key(&crate::SignalId::SharedDestination),
        "{client:#?}"
    );
    assert_eq!(client.seed_suspicion, Suspicion::High);
    assert_eq!(client.suspicion, Suspicion::Low, "{:#?}", client.reasons);
    let lone = find(&alerts, "10.1.0.99", 5222);
    assert!(
        lone.signals.contains_key(&crate::SignalId::Beacon),
        "{lone:#?}"
    );
    assert!(
        lone.signals
            .contains_key(&crate::SignalId::LoneTimerOnSharedDestination),
        "{lone:#?}"
    );
    assert_eq!(lone.suspicion, Suspicion::High);
    assert!(
        lone.score > client.score + 30,
        "{} vs {}",
        lone.score,
        client.score
    );
}

#[test]
fn a_server_its_hosts_reach_federates_and_a_lone_server_is_suspicious() {
    // Eight hosts use the internal chat server 10.0.0.5, which federates on 5269.
    let mut events: Vec<ConnEvent> = (1..=8)
        .flat_map(|i| irregular(&format!("10.1.0.{i}"), "10.0.0.5", 5222, i))
        .collect();
    events.extend(irregular("10.0.0.5", "203.0.113.9", 5269, 0));
    // Twelve other hosts each talk to an external MQTT broker of their own.
    for i in 1..=12 {
        events.extend(irregular(
            &format!("10.2.0.{i}"),
            &format!("192.0.2.{i}"),
            1883,
            i,
        ));
    }
    let alerts = run(&events);
    let s2s = find(&alerts, "10.0.0.5", 5269);
    assert!(
        s2s.signals.contains_key(&crate::SignalId::ServerFederation),
        "{s2s:#?}"
    );
    assert!(
        !s2s.signals
            .contains_key(&crate::SignalId::SoleHostDestination)
    );
    let lone = find(&alerts, "10.2.0.4", 1883);
    assert!(
        lone.signals
            .contains_key(&crate::SignalId::SoleHostDestination),
        "{lone:#?}"
    );
    assert_eq!(lone.protocol, Protocol::Mqtt);
    assert!(lone.score > s2s.score);
}

#[test]
fn dns_names_follow_the_host_that_asked() {
    // One cloud address serves two tenants: the fleet's and a workstation's own.
    let cfg = HuntConfig::from_toml_str(
        "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false",
    )
    .unwrap();
    let engine = Engine::new(cfg);
    let mut acc = Accumulator::new();
    let pool: std::net::IpAddr = "52.48.17.198".parse().unwrap();
    let fleet = vec!["fleet-ats.iot.eu-west-1.amazonaws.com".to_string()];
    let own = vec!["zz9-ats.iot.eu-west-1.amazonaws.com".to_string()];
    engine.observe_addr_names(Some("10.5.0.1".parse().unwrap()), &[pool], &fleet, &mut acc);
    engine.observe_addr_names(Some("10.1.0.66".parse().unwrap()), &[pool], &own, &mut acc);
    for src in ["10.5.0.1", "10.1.0.66", "10.7.0.7"] {
        for e in irregular(src, "52.48.17.198", 8883, 1) {
            engine.observe(&e, &mut acc);
        }
    }
    let alerts = engine.finish(acc).0;
    let names = |src| find(&alerts, src, 8883).destination_names.clone();
    assert_eq!(names("10.5.0.1"), fleet);
    assert_eq!(names("10.1.0.66"), own);
    // A host whose lookup the data does not hold takes every name the address was given.
    assert_eq!(names("10.7.0.7").len(), 2);
}
