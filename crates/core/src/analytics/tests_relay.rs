//! A channel relayed outside through an internal server, through the whole engine: the
//! server's link to the outside keeps its client's timer, so the link is credited as relayed
//! (`server_federation`) and the client's channel is where the relayed channel is judged, as
//! one to the outside (`relayed_outside`) — before, the client's internal channel stayed low and
//! the relayed channel was reported nowhere.

use super::tests_peers::run;
use crate::alert::Alert;
use crate::event::ConnEvent;
use crate::signal::SignalId;
use crate::time::Micros;
use crate::verdict::Suspicion;

const SECOND: Micros = 1_000_000;
const HOUR: Micros = 3600 * SECOND;
/// 2024-03-04T00:00:00Z, a Monday.
const MONDAY: Micros = 1_709_510_400 * SECOND;
const BROKER: &str = "10.20.0.13";
const CLIENT: &str = "10.10.1.55";
const OUTSIDE: &str = "198.51.100.7";

fn conn(src: &str, dst: &str, start: Micros) -> ConnEvent {
    let mut e = ConnEvent::tcp(src.parse().unwrap(), dst.parse().unwrap(), 1883);
    e.ts = Some(start);
    e.end = Some(start + 2 * SECOND);
    e.bytes_out = Some(180);
    e.bytes_in = Some(40);
    e
}

/// Connections from `src` to `dst` every `period` seconds (a few seconds of jitter) for eight
/// hours from 00:30.
fn timer(src: &str, dst: &str, period: i64) -> Vec<ConnEvent> {
    timer_for(src, dst, period, 8)
}

/// The same for `hours` hours from 00:30.
fn timer_for(src: &str, dst: &str, period: i64, hours: i64) -> Vec<ConnEvent> {
    let first = MONDAY + HOUR / 2;
    (0..)
        .map(|k| first + k * period * SECOND + (k * 7919 % 5) * SECOND)
        .take_while(|t| *t < first + hours * HOUR)
        .map(|t| conn(src, dst, t))
        .collect()
}

/// Six hosts using the broker at irregular hours: it is a server many hosts reach.
fn the_brokers_users() -> Vec<ConnEvent> {
    (1..=6)
        .flat_map(|i| {
            [1.0, 3.7, 9.9, 15.2, 23.4].map(|h| {
                let t = MONDAY + (h * HOUR as f64) as Micros + i * 97 * SECOND;
                conn(&format!("10.30.0.{i}"), BROKER, t)
            })
        })
        .collect()
}

fn find<'a>(alerts: &'a [Alert], src: &str) -> &'a Alert {
    alerts
        .iter()
        .find(|a| a.host == src)
        .unwrap_or_else(|| panic!("no alert for {src} in {alerts:#?}"))
}

#[test]
fn a_client_whose_timer_the_broker_keeps_outside_is_judged_as_a_channel_to_the_outside() {
    let mut events = the_brokers_users();
    events.extend(timer(CLIENT, BROKER, 211));
    // The link opened for each relayed message keeps the client's timer (its own jitter).
    events.extend(timer(BROKER, OUTSIDE, 205));
    let alerts = run(&events);
    let link = find(&alerts, BROKER);
    assert!(
        link.signals.contains_key(&SignalId::ServerFederation),
        "{link:#?}"
    );
    let client = find(&alerts, CLIENT);
    assert_eq!(
        client.signals.get(&SignalId::RelayedOutside),
        Some(&15.0),
        "{client:#?}"
    );
    assert!(client.suspicion >= Suspicion::Medium, "{client:#?}");
    assert!(
        client
            .reasons
            .iter()
            .any(|r| r.contains("198.51.100.7:1883")),
        "{client:#?}"
    );
}

#[test]
fn a_client_on_a_timer_the_broker_does_not_keep_outside_is_not_relayed() {
    // The broker keeps another timer outside (10 min; 3 min, a fifth off the client's: its own
    // beacon, not the client's relayed), or none.
    for outside in [Some(600), Some(180), None] {
        let mut events = the_brokers_users();
        events.extend(timer(CLIENT, BROKER, 211));
        if let Some(period) = outside {
            events.extend(timer(BROKER, OUTSIDE, period));
        }
        let alerts = run(&events);
        let client = find(&alerts, CLIENT);
        assert!(
            !client.signals.contains_key(&SignalId::RelayedOutside),
            "{outside:?}: {client:#?}"
        );
        if outside.is_some() {
            // The broker's own timer is not explained away as its client's.
            let link = find(&alerts, BROKER);
            assert!(
                !link.signals.contains_key(&SignalId::ServerFederation),
                "{outside:?}: {link:#?}"
            );
        }
    }
}

#[test]
fn a_brokers_own_night_timer_on_a_clients_period_is_not_the_client_relayed() {
    // A client publishes every ten minutes all day; the broker's host runs a beacon of its own,
    // every ten minutes too, but only from 00:30 to 04:30: it relays nothing of the client's
    // day. Kept as long as the client's, the same timer is the client's relayed.
    for (broker_hours, relayed) in [(4, false), (20, true)] {
        let mut events = the_brokers_users();
        events.extend(timer_for(CLIENT, BROKER, 600, 20));
        events.extend(timer_for(BROKER, OUTSIDE, 605, broker_hours));
        let alerts = run(&events);
        let link = find(&alerts, BROKER);
        assert_eq!(
            link.signals.contains_key(&SignalId::ServerFederation),
            relayed,
            "{broker_hours} h: {link:#?}"
        );
        if !relayed {
            assert!(link.signals[&SignalId::Beacon] > 0.0, "{link:#?}");
            assert!(link.suspicion >= Suspicion::Medium, "{link:#?}");
        }
    }
}

#[test]
fn a_servers_link_held_open_and_reopened_after_idling_is_federation_not_a_beacon() {
    // The chat server holds its link to a partner's server for one to three hours while its
    // users talk, and reopens it 20 to 40 minutes after the idle timeout closed it: the
    // openings come about every 2.5 hours, as regular as a loose timer.
    let held = |check_in: bool| {
        let mut events = the_brokers_users();
        let mut t = MONDAY + HOUR / 2;
        for k in 0..9i64 {
            let open = if check_in {
                2 * SECOND
            } else {
                HOUR + (k * 37 % 5) * 20 * 60 * SECOND
            };
            let mut e = conn(BROKER, OUTSIDE, t);
            e.end = Some(t + open);
            events.push(e);
            t += 150 * 60 * SECOND + (k * 53 % 7 - 3) * 4 * 60 * SECOND;
        }
        let alerts = run(&events);
        find(&alerts, BROKER).clone()
    };
    let link = held(false);
    assert!(
        link.signals.contains_key(&SignalId::ServerFederation),
        "{link:#?}"
    );
    assert_eq!(link.signals.get(&SignalId::Beacon), Some(&0.0), "{link:#?}");
    assert!(
        link.reasons
            .iter()
            .any(|r| r.contains("reopened after the last closed")),
        "{link:#?}"
    );
    assert_eq!(link.suspicion, Suspicion::Low, "{link:#?}");
    // Check-ins of seconds on the same openings are the server's own timer.
    let beacon = held(true);
    assert!(
        !beacon.signals.contains_key(&SignalId::ServerFederation),
        "{beacon:#?}"
    );
    assert!(beacon.signals[&SignalId::Beacon] > 0.0, "{beacon:#?}");
}
