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

/// The alerts of `events` at every suspicion, without the default allowlist.
pub(super) fn run(events: &[ConnEvent]) -> Vec<Alert> {
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
fn a_servers_timer_to_a_public_service_its_users_share_is_their_traffic_relayed() {
    // Eight hosts use the internal chat server 10.0.0.5; six of them also reach the public
    // server chat.example.org directly, which 10.0.0.5 federates with, reconnecting every
    // 10 minutes for 8 hours (a user's traffic, relayed, closing the link when idle).
    let named = |mut e: ConnEvent| {
        e.dst_name = Some("chat.example.org".into());
        e
    };
    let mut events: Vec<ConnEvent> = (1..=8)
        .flat_map(|i| irregular(&format!("10.1.0.{i}"), "10.0.0.5", 5222, i))
        .collect();
    for i in 1..=6 {
        events.extend(
            irregular(&format!("10.1.0.{i}"), "203.0.113.9", 5222, i + 20)
                .into_iter()
                .map(named),
        );
    }
    let timer: Vec<ConnEvent> = (0..48)
        .map(|k| {
            named(conn(
                "10.0.0.5",
                "203.0.113.9",
                5269,
                MONDAY + k * 600 * SECOND,
            ))
        })
        .collect();
    let alerts = run(&[events.clone(), timer.clone()].concat());
    let s2s = find(&alerts, "10.0.0.5", 5269);
    assert!(
        s2s.signals.contains_key(&crate::SignalId::ServerFederation),
        "{s2s:#?}"
    );
    assert_eq!(
        s2s.signals.get(&crate::SignalId::Beacon),
        Some(&0.0),
        "{s2s:#?}"
    );
    assert!(
        !s2s.signals
            .contains_key(&crate::SignalId::LoneTimerOnSharedDestination)
    );
    assert_eq!(s2s.suspicion, Suspicion::Low, "{:#?}", s2s.reasons);

    // The same timer from a host that serves nobody is its own: it stands apart.
    let lone: Vec<ConnEvent> = timer
        .into_iter()
        .map(|mut e| {
            e.src_ip = "10.1.0.99".parse().ok();
            e
        })
        .collect();
    let alerts = run(&[events, lone].concat());
    let lone = find(&alerts, "10.1.0.99", 5269);
    assert!(lone.signals[&crate::SignalId::Beacon] > 0.0, "{lone:#?}");
    assert!(
        lone.signals
            .contains_key(&crate::SignalId::LoneTimerOnSharedDestination),
        "{lone:#?}"
    );
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

#[test]
fn a_servers_timer_one_of_its_clients_keeps_in_its_session_is_that_clients_relayed() {
    use crate::app::{AppInfo, MessageEvent, TopicDirection};
    // Eight hosts use the internal chat server 10.0.0.5. One of them, 10.1.0.3, holds one
    // session for eight hours and sends a message every ten minutes to a contact on a public
    // server nobody else reaches; the server opens its link there for each message.
    let mut events: Vec<ConnEvent> = (1..=8)
        .flat_map(|i| irregular(&format!("10.1.0.{i}"), "10.0.0.5", 5222, i))
        .collect();
    let mut session = conn("10.1.0.3", "10.0.0.5", 5222, MONDAY + 9 * HOUR);
    session.end = Some(MONDAY + 17 * HOUR);
    let mut app = AppInfo {
        protocol: Some(Protocol::Xmpp),
        ..AppInfo::default()
    };
    for k in 0..48 {
        app.messages.push(MessageEvent {
            ts: MONDAY + 9 * HOUR + 60 * SECOND + k * 600 * SECOND,
            direction: TopicDirection::Publish,
            topic: None,
            size: 180,
            entropy: 5.9,
            weight: 1,
            traits: 0,
        });
    }
    session.app = Some(Box::new(app));
    events.push(session);
    let link: Vec<ConnEvent> = (0..48)
        .map(|k| {
            conn(
                "10.0.0.5",
                "203.0.113.9",
                5269,
                MONDAY + 9 * HOUR + 62 * SECOND + k * 600 * SECOND,
            )
        })
        .collect();
    let alerts = run(&[events.clone(), link.clone()].concat());
    let s2s = find(&alerts, "10.0.0.5", 5269);
    assert_eq!(
        s2s.signals.get(&crate::SignalId::Beacon),
        Some(&0.0),
        "{s2s:#?}"
    );
    assert!(
        s2s.reasons
            .iter()
            .any(|r| r.contains("is the one its client 10.1.0.3 keeps to it")),
        "{:#?}",
        s2s.reasons
    );
    assert_eq!(s2s.suspicion, Suspicion::Low, "{:#?}", s2s.reasons);

    // Without that client's session, the link's timer is the server's own.
    events.pop();
    let alerts = run(&[events, link].concat());
    let s2s = find(&alerts, "10.0.0.5", 5269);
    assert!(s2s.signals[&crate::SignalId::Beacon] > 0.0, "{s2s:#?}");
}

#[test]
fn another_hosts_name_for_a_shared_address_allows_nothing() {
    // The fleet's devices' sessions named their AWS IoT endpoint (ssl.log); the workstation's
    // session on the same regional address began before the log, so it carried no name. It
    // borrows the fleet's name to show, but the default entry for the cloud's device endpoints
    // does not hide it by that name: another tenant's name says nothing of what it talked to.
    let run = |client: Option<&str>| {
        let engine =
            Engine::new(HuntConfig::from_toml_str("[analytics]\nmin_suspicion = \"low\"").unwrap());
        let mut acc = Accumulator::new();
        let pool: std::net::IpAddr = "52.48.17.198".parse().unwrap();
        let fleet = "fleet-ats.iot.eu-west-1.amazonaws.com";
        engine.observe_dest_name(
            client.and_then(|c| c.parse().ok()),
            pool,
            8883,
            fleet,
            &mut acc,
        );
        for src in ["10.5.0.1", "10.1.0.66"] {
            for e in irregular(src, "52.48.17.198", 8883, 1) {
                engine.observe(&e, &mut acc);
            }
        }
        engine.finish(acc)
    };
    let (alerts, summary) = run(Some("10.5.0.1"));
    let w = find(&alerts, "10.1.0.66", 8883);
    assert_eq!(
        w.destination_names,
        vec!["fleet-ats.iot.eu-west-1.amazonaws.com"]
    );
    assert!(w.suppressed_by.is_none(), "{w:#?}");
    // The device's own name is its own: its fleet's entry covers it.
    assert!(
        alerts.iter().all(|a| a.src_ip != "10.5.0.1".parse().ok()),
        "{alerts:#?}"
    );
    assert_eq!(summary.suppressed.values().sum::<usize>(), 1);
    // A name whose source did not say who asked is the address's, for every host: it is
    // matched for both.
    let (alerts, summary) = run(None);
    assert!(alerts.is_empty(), "{alerts:#?}");
    assert_eq!(summary.suppressed.values().sum::<usize>(), 2);
}

#[test]
fn borrowed_names_do_not_make_a_tenants_name_look_shared() {
    // The workstation looks up its own tenant's name on a shared cloud address; a device that
    // never looks anything up borrows every name the address was given. In data with many
    // hosts, the workstation is still the only host using its name, and the default entry for
    // the cloud's device endpoints, which rests on a fleet, does not hide it.
    for toml in [
        "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false",
        "[analytics]\nmin_suspicion = \"low\"",
    ] {
        borrowed_names_case(HuntConfig::from_toml_str(toml).unwrap());
    }
}

#[test]
fn a_host_with_a_name_of_its_own_borrows_none() {
    // The device's own session named its fleet's endpoint (ssl.log); it looked nothing up, and
    // the workstation's lookup named its own tenant on the same address. The device keeps its
    // own name only, and is counted under it.
    let engine = Engine::new(
        HuntConfig::from_toml_str(
            "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false",
        )
        .unwrap(),
    );
    let mut acc = Accumulator::new();
    let pool: std::net::IpAddr = "52.48.17.198".parse().unwrap();
    let fleet = "fleet-ats.iot.eu-west-1.amazonaws.com";
    let own = vec!["zz9-ats.iot.eu-west-1.amazonaws.com".to_string()];
    engine.observe_dest_name("10.7.0.7".parse().ok(), pool, 8883, fleet, &mut acc);
    engine.observe_addr_names(Some("10.1.0.66".parse().unwrap()), &[pool], &own, &mut acc);
    for src in ["10.1.0.66", "10.7.0.7"] {
        for e in irregular(src, "52.48.17.198", 8883, 1) {
            engine.observe(&e, &mut acc);
        }
    }
    let alerts = engine.finish(acc).0;
    let device = find(&alerts, "10.7.0.7", 8883);
    assert_eq!(device.destination_names, vec![fleet.to_string()]);
    let ws = find(&alerts, "10.1.0.66", 8883);
    assert_eq!(ws.destination_names, own);
}

fn borrowed_names_case(cfg: HuntConfig) {
    let engine = Engine::new(cfg);
    let mut acc = Accumulator::new();
    let pool: std::net::IpAddr = "52.48.17.198".parse().unwrap();
    let own = vec!["zz9-ats.iot.eu-west-1.amazonaws.com".to_string()];
    engine.observe_addr_names(Some("10.1.0.66".parse().unwrap()), &[pool], &own, &mut acc);
    for src in ["10.1.0.66", "10.7.0.7"] {
        for e in irregular(src, "52.48.17.198", 8883, 1) {
            engine.observe(&e, &mut acc);
        }
    }
    for i in 1..=12 {
        for e in irregular(&format!("10.2.0.{i}"), &format!("192.0.2.{i}"), 1883, i) {
            engine.observe(&e, &mut acc);
        }
    }
    let alerts = engine.finish(acc).0;
    if let Some(device) = alerts.iter().find(|a| a.host == "10.7.0.7") {
        assert_eq!(device.destination_names, own, "shown, borrowed");
    }
    let ws = find(&alerts, "10.1.0.66", 8883);
    assert!(
        ws.signals
            .contains_key(&crate::SignalId::SoleHostDestination),
        "{ws:#?}"
    );
}

#[test]
fn tls_server_names_follow_the_client_that_sent_them() {
    // Six devices of a fleet and one workstation reach the same cloud address; the ssl.log
    // names the fleet's endpoint for the devices and another tenant's for the workstation,
    // which checks in every ten minutes. The default entry for the cloud's device endpoints
    // explains a timer only where many hosts reach the endpoint: by the fleet's name (what the
    // address alone would give the workstation) seven do, by its own name one does.
    let engine =
        Engine::new(HuntConfig::from_toml_str("[analytics]\nmin_suspicion = \"low\"").unwrap());
    let mut shown = HuntConfig::from_toml_str("[analytics]\nmin_suspicion = \"low\"").unwrap();
    shown.show_suppressed = true;
    let fleet = "fleet-ats.iot.eu-west-1.amazonaws.com";
    let own = "zz9-ats.iot.eu-west-1.amazonaws.com";
    let pool: std::net::IpAddr = "52.48.17.198".parse().unwrap();
    let devices: Vec<String> = (1..=6).map(|i| format!("10.5.0.{i}")).collect();
    let feed = |engine: &Engine| {
        let mut acc = Accumulator::new();
        for d in &devices {
            engine.observe_dest_name(d.parse().ok(), pool, 8883, fleet, &mut acc);
        }
        engine.observe_dest_name("10.1.0.66".parse().ok(), pool, 8883, own, &mut acc);
        for (i, src) in devices.iter().enumerate() {
            for e in irregular(src, "52.48.17.198", 8883, i as i64) {
                engine.observe(&e, &mut acc);
            }
        }
        for i in 0..48 {
            let e = conn("10.1.0.66", "52.48.17.198", 8883, MONDAY + i * 600 * SECOND);
            engine.observe(&e, &mut acc);
        }
        engine.finish(acc).0
    };
    let alerts = feed(&engine);
    let ws = find(&alerts, "10.1.0.66", 8883);
    assert_eq!(ws.destination_names, vec![own.to_string()]);
    assert!(ws.suppressed_by.is_none(), "{ws:#?}");
    assert!(
        devices.iter().all(|d| alerts.iter().all(|a| &a.host != d)),
        "the fleet's devices are the shared IoT service's: {alerts:#?}"
    );
    // Shown suppressed, every device carries only the fleet's name.
    let shown = feed(&Engine::new(shown));
    for d in &devices {
        let a = find(&shown, d, 8883);
        assert_eq!(a.destination_names, vec![fleet.to_string()]);
        assert!(a.suppressed_by.is_some(), "{a:#?}");
    }
}

#[test]
fn hosts_earlier_runs_saw_make_a_destination_shared() {
    // In this run one host of twelve reaches a chat server; the history saw four others do.
    let mut events = irregular("10.1.0.66", "203.0.113.9", 5222, 0);
    for i in 1..=11 {
        events.extend(irregular(&format!("10.2.0.{i}"), "198.51.100.20", 1883, i));
    }
    let rate = |prior: Option<crate::prior::History>| {
        let cfg = HuntConfig::from_toml_str(
            "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false",
        )
        .unwrap();
        let mut engine = Engine::new(cfg);
        if let Some(p) = prior {
            engine = engine.with_prior(std::sync::Arc::new(p));
        }
        let mut acc = Accumulator::new();
        for e in &events {
            engine.observe(e, &mut acc);
        }
        engine.finish(acc).0
    };
    let alone = rate(None);
    let a = find(&alone, "10.1.0.66", 5222);
    assert!(
        a.signals.contains_key("sole_host_destination"),
        "{:#?}",
        a.signals
    );

    let mut prior = crate::prior::History::default();
    let dest = prior
        .destinations
        .entry(("203.0.113.9".parse().unwrap(), 5222))
        .or_default();
    for h in ["10.3.0.1", "10.3.0.2", "10.3.0.3", "10.3.0.4", "10.1.0.66"] {
        dest.hosts
            .insert(h.to_string(), crate::prior::Seen::at(MONDAY - 72 * HOUR));
    }
    let shared = rate(Some(prior));
    let a = find(&shared, "10.1.0.66", 5222);
    assert_eq!(
        a.signals.get("shared_destination"),
        Some(&-20.0),
        "{:#?}",
        a.signals
    );
    assert!(!a.signals.contains_key("sole_host_destination"));
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("5 internal hosts")
                && r.contains("4 of them seen only in earlier runs")),
        "{:#?}",
        a.reasons
    );
}

#[test]
fn the_alerts_do_not_depend_on_the_rating_threads() {
    // Hosts on timers of their own (some shared destinations, some not), hosts without one, and
    // groups large enough that the threads finish their beacons out of order.
    let mut events = Vec::new();
    for h in 0..40u32 {
        let src = format!("10.4.{}.{}", h / 200, h % 200 + 1);
        let dst = format!("203.0.113.{}", h % 7 + 1);
        let port = [1883, 5222, 61613, 5672][h as usize % 4];
        if h % 3 == 0 {
            events.extend(irregular(&src, &dst, port, i64::from(h)));
            continue;
        }
        let period = 60 + i64::from(h) * 13;
        for i in 0..(50 + i64::from(h) * 40) {
            let jitter = (i * 7919 + i64::from(h) * 104_729) % (period / 3);
            events.push(conn(
                &src,
                &dst,
                port,
                MONDAY + (i * period + jitter) * SECOND,
            ));
        }
    }
    let cfg = HuntConfig::from_toml_str(
        "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false",
    )
    .unwrap();
    let rate_on = |threads: usize| {
        let engine = Engine::new(cfg.clone()).with_threads(threads);
        let mut acc = Accumulator::new();
        for e in &events {
            engine.observe(e, &mut acc);
        }
        engine.finish(acc)
    };
    let (one, one_summary) = rate_on(1);
    assert!(
        one.iter().any(|a| a.signals.contains_key("beacon")),
        "the data has beacons: {one:#?}"
    );
    for threads in [2, 3, 8] {
        let (alerts, summary) = rate_on(threads);
        assert_eq!(alerts, one, "{threads} threads");
        assert_eq!(summary, one_summary, "{threads} threads");
    }
}

/// A virtual host (`/`, RabbitMQ's and ActiveMQ's default) is announced where a server name may
/// go, by every client of every broker: it names no server, so twelve hosts each on a broker of
/// its own do not share "/" as a destination.
#[test]
fn a_virtual_host_names_no_server() {
    let events: Vec<ConnEvent> = (1..=12)
        .flat_map(|i| {
            irregular(&format!("10.1.0.{i}"), &format!("198.51.100.{i}"), 61613, i)
                .into_iter()
                .map(|mut e| {
                    let mut app = crate::app::AppInfo {
                        protocol: Some(Protocol::Stomp),
                        ..Default::default()
                    };
                    app.add_server_name("/");
                    e.app = Some(Box::new(app));
                    e
                })
        })
        .collect();
    let alerts = run(&events);
    assert_eq!(alerts.len(), 12, "{alerts:#?}");
    for a in &alerts {
        assert!(
            !a.signals.contains_key(&crate::SignalId::SharedDestination),
            "{a:#?}"
        );
        assert!(
            a.signals
                .contains_key(&crate::SignalId::SoleHostDestination),
            "{a:#?}"
        );
    }
}
