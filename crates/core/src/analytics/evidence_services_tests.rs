//! Engine tests of channels that span a service's addresses (its network's pool, its name) and
//! of sessions held for hours: how they meet the threshold, with and without windows, and how
//! their use is judged.

use super::*;

#[test]
fn sessions_split_over_a_services_address_pool_are_judged_together() {
    // Four working-day sessions, alternating between two addresses of one network (DNS round
    // robin), judged with three sessions needed: two per address is under it.
    let split = |second: &str| -> Vec<ConnEvent> {
        let mut events: Vec<ConnEvent> = working_week("198.51.100.7", 5223, None, 0)
            .into_iter()
            .take(4)
            .enumerate()
            .map(|(i, mut e)| {
                if i % 2 == 1 {
                    e.dst_ip = second.parse().unwrap();
                }
                e
            })
            .collect();
        events.push(week_end());
        events
    };
    let mut cfg = cfg_all();
    cfg.behaviour.interactive.min_sessions = 3;
    let (alerts, _) = run(cfg.clone(), &split("198.51.100.9"));
    let chats: Vec<_> = alerts
        .iter()
        .filter(|a| a.protocol == Protocol::Xmpp)
        .collect();
    assert_eq!(chats.len(), 2);
    for chat in &chats {
        assert!(chat.signals.contains_key("interactive_use"), "{chat:#?}");
        let why = chat
            .reasons
            .iter()
            .find(|r| r.contains("interactive_use"))
            .unwrap();
        assert!(
            why.contains(
                "judged over its 4 sessions with the 2 addresses of 198.51.100.0/24 it reached \
                 on port 5223 (one service's pool"
            ),
            "{why}"
        );
        assert_eq!(chat.suspicion, Suspicion::Low, "{:#?}", chat.reasons);
    }
    // Two unrelated networks are two services: each channel alone is too short to judge.
    let (alerts, _) = run(cfg, &split("203.0.113.9"));
    let chats: Vec<_> = alerts
        .iter()
        .filter(|a| a.protocol == Protocol::Xmpp)
        .collect();
    assert_eq!(chats.len(), 2);
    for chat in &chats {
        assert!(!chat.signals.contains_key("interactive_use"), "{chat:#?}");
        assert_eq!(chat.suspicion, Suspicion::Medium);
    }
}

#[test]
fn one_named_service_reached_once_at_each_address_meets_the_threshold() {
    // A workstation's implant on its own AWS IoT account: one session a day, each to another of
    // the endpoint's addresses. Per address, one connection is under the two the seed needs.
    let name = "g7eha3y0179ajy-ats.iot.us-west-2.amazonaws.com";
    let days = |named: bool| -> Vec<ConnEvent> {
        let mut events: Vec<ConnEvent> = ["198.51.100.7", "198.51.100.71", "203.0.113.9"]
            .iter()
            .enumerate()
            .map(|(i, dst)| {
                let mut e = conn("10.1.2.4", dst, 8883, MONDAY + i as i64 * 24 * HOUR);
                e.end = Some(MONDAY + i as i64 * 24 * HOUR + 6 * HOUR);
                if named {
                    e.dst_name = Some(name.to_string());
                }
                e
            })
            .collect();
        events.push(week_end());
        events
    };
    let (alerts, summary) = run(cfg_all(), &days(true));
    let mqtt: Vec<_> = alerts
        .iter()
        .filter(|a| a.protocol == Protocol::Mqtt)
        .collect();
    assert_eq!(mqtt.len(), 3, "{summary:?}");
    for a in &mqtt {
        assert_eq!(a.connections, 1);
        assert!(
            a.reasons.iter().any(|r| r.contains(&format!(
                "3 connections from 10.1.2.4 to {name} on port 8883 over the 3 addresses it was \
                 reached at: one named service"
            ))),
            "{:#?}",
            a.reasons
        );
        assert!(
            !a.reasons
                .iter()
                .any(|r| r.contains("rated on its first exchange"))
        );
    }
    // Without the name, an address's neighbours may be anyone: nothing is pooled.
    let (alerts, summary) = run(cfg_all(), &days(false));
    assert!(
        !alerts.iter().any(|a| a.protocol == Protocol::Mqtt),
        "{alerts:#?}"
    );
    assert_eq!(summary.below_threshold, 3);
}

#[test]
fn one_named_service_meets_the_threshold_in_a_window_over_its_addresses() {
    // Two short sessions to two addresses of one AWS IoT endpoint, `gap` minutes apart, each
    // day: per address one connection a day, per service two within the hour.
    let name = "g7eha3y0179ajy-ats.iot.us-west-2.amazonaws.com";
    let days = |gap: i64| -> Vec<ConnEvent> {
        let mut events = Vec::new();
        for day in 0..3i64 {
            for (i, dst) in ["198.51.100.7", "203.0.113.9"].iter().enumerate() {
                let start = MONDAY + day * 24 * HOUR + 9 * HOUR + i as i64 * gap * 60 * SECOND;
                let mut e = conn("10.1.2.4", dst, 8883, start);
                e.end = Some(start + 5 * 60 * SECOND);
                e.dst_name = Some(name.to_string());
                events.push(e);
            }
        }
        events.push(week_end());
        events
    };
    let mut cfg = cfg_all();
    cfg.window = "1h".parse().unwrap();
    let (alerts, summary) = run(cfg.clone(), &days(20));
    let mqtt: Vec<_> = alerts
        .iter()
        .filter(|a| a.protocol == Protocol::Mqtt)
        .collect();
    assert_eq!(mqtt.len(), 2, "{summary:?}");
    for a in &mqtt {
        assert!(
            a.reasons.iter().any(|r| r.contains(&format!(
                "over the 2 addresses {name} was reached at, the busiest 1h window holds 2"
            ))),
            "{:#?}",
            a.reasons
        );
    }
    // Two hours apart, no hour holds two connections to the service either.
    let (alerts, summary) = run(cfg, &days(120));
    assert!(
        !alerts.iter().any(|a| a.protocol == Protocol::Mqtt),
        "{alerts:#?}"
    );
    assert_eq!(summary.below_threshold_in_every_window, 2, "{summary:?}");
}

#[test]
fn a_session_moved_to_the_next_address_of_its_service_is_no_one_off() {
    // An implant holds one session to its AWS IoT endpoint for two days, then, after a reset,
    // for 2.6 h on another of its addresses, then on a third to the end of the week: one
    // standing channel over three addresses, each a channel of its own to the engine.
    let name = "g7eha3y0179ajy-ats.iot.us-west-2.amazonaws.com";
    let sessions = [
        ("198.51.100.7", 0, 47 * 60),
        ("203.0.113.9", 47 * 60 + 36, 50 * 60 + 12),
        ("192.0.2.5", 50 * 60 + 20, 7 * 24 * 60 - 1),
    ];
    let mut events: Vec<ConnEvent> = sessions
        .iter()
        .map(|(dst, from, to)| {
            let mut e = conn("10.1.2.4", dst, 8883, MONDAY + from * 60 * SECOND);
            e.end = Some(MONDAY + to * 60 * SECOND);
            e.dst_name = Some(name.to_string());
            e
        })
        .collect();
    events.push(week_end());
    let (alerts, _) = run(cfg_all(), &events);
    let middle = alerts
        .iter()
        .find(|a| a.dst_ip.to_string() == "203.0.113.9")
        .expect("the middle session is rated with its service");
    assert!(
        !middle.signals.contains_key("transient_use"),
        "{:#?}",
        middle.reasons
    );
    // The same 2.6 h alone on one address of no wider service is a one-off.
    let mut week_start = week_end();
    week_start.ts = Some(MONDAY);
    week_start.end = week_start.ts;
    let mut alone = vec![week_start, events[1].clone(), events[1].clone(), week_end()];
    alone[2].ts = alone[2].ts.map(|t| t + HOUR);
    let (alerts, _) = run(cfg_all(), &alone);
    let a = alerts
        .iter()
        .find(|a| a.dst_ip.to_string() == "203.0.113.9")
        .expect("two connections meet the threshold");
    assert!(a.signals.contains_key("transient_use"), "{:#?}", a.reasons);
}

/// Back-to-back sessions of `held` seconds each from 10.1.2.3 to 52.1.2.3:8883, named `name`,
/// one every `period` seconds (with a little jitter) for two days.
fn held_sessions(name: &str, period: i64, held: i64) -> Vec<ConnEvent> {
    (0..(48 * 3600 / period))
        .map(|i| {
            let start = MONDAY + i * period * SECOND + (i % 7) * 3 * SECOND;
            let mut e = conn("10.1.2.3", "52.1.2.3", 8883, start);
            e.end = Some(start + held * SECOND);
            e.dst_name = Some(name.into());
            e.bytes_out = Some(40_000);
            e.bytes_in = Some(9_000);
            e
        })
        .collect()
}

#[test]
fn a_cloud_iot_platforms_session_renewal_is_not_a_timer_of_the_device() {
    // An Azure IoT Hub device renewing its session about every 50 minutes, connected all along.
    let (alerts, _) = run(
        cfg_all(),
        &held_sessions("fleet.azure-devices.net", 3000, 2990),
    );
    let a = alerts.first().expect("the channel is rated");
    assert_eq!(a.signals.get(&SignalId::Beacon), Some(&0.0), "{a:#?}");
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("cloud IoT platform's endpoint")),
        "{:#?}",
        a.reasons
    );
    // The same held sessions to a broker that is no IoT platform keep half the beacon's weight.
    let (alerts, _) = run(cfg_all(), &held_sessions("mq.example.net", 3000, 2990));
    let b = alerts.first().expect("the channel is rated");
    let beacon = b.signals.get(&SignalId::Beacon).copied().unwrap_or(0.0);
    assert!(beacon > 0.0, "{b:#?}");
    // And an IoT platform's endpoint reached by short check-ins keeps a timer of the device's.
    let (alerts, _) = run(
        cfg_all(),
        &held_sessions("fleet.azure-devices.net", 3000, 5),
    );
    let c = alerts.first().expect("the channel is rated");
    assert!(
        c.signals.get(&SignalId::Beacon).copied().unwrap_or(0.0) > beacon,
        "{c:#?}"
    );
}

/// One connection from 10.1.2.3 to 52.1.2.3:8883, named `name`, open `secs` seconds.
fn one_session(name: &str, secs: i64) -> ConnEvent {
    let start = MONDAY + 3 * HOUR;
    let mut e = conn("10.1.2.3", "52.1.2.3", 8883, start);
    e.end = Some(start + secs * SECOND);
    e.dst_name = Some(name.into());
    e.bytes_out = Some(90_000);
    e.bytes_in = Some(40_000);
    e
}

#[test]
fn one_session_held_for_hours_to_a_dynamic_dns_name_is_a_standing_channel() {
    // A camera holding one TLS session to a dynamic-DNS name through the whole capture.
    let (alerts, summary) = run(cfg_all(), &[one_session("sync77.duckdns.org", 5 * 3600)]);
    assert_eq!(summary.below_threshold, 0, "{summary:?}");
    let a = alerts.first().expect("rated on the held session");
    assert!(a.suspicion >= Suspicion::Medium, "{:#?}", a.reasons);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.starts_with("rated on one connection held open 5.0 h")),
        "{:#?}",
        a.reasons
    );
    // A one-off: the same destination for twenty minutes is below the seed's threshold.
    let (alerts, summary) = run(cfg_all(), &[one_session("sync77.duckdns.org", 1200)]);
    assert!(alerts.is_empty(), "{alerts:#?}");
    assert_eq!(summary.below_threshold, 1);
    // Held for hours, but to a destination nothing marks: the seed's repetition decides.
    let (alerts, summary) = run(cfg_all(), &[one_session("mq.example.net", 5 * 3600)]);
    assert!(alerts.is_empty(), "{alerts:#?}");
    assert_eq!(summary.below_threshold, 1);
}

/// A channel rated on one exchange needs no window to hold the seed's repetition: a tool run
/// once and a held session are reported with `--window` as without.
#[test]
fn one_exchange_is_enough_in_windows_too() {
    let mut cfg = cfg_all();
    cfg.window = "1h".parse().unwrap();
    let (alerts, summary) = run(cfg.clone(), &[one_session("sync77.duckdns.org", 5 * 3600)]);
    assert_eq!(alerts.len(), 1, "{summary:?}");
    assert_eq!(summary.below_threshold_in_every_window, 0);
    let tool = mqtt_once(
        Some("/usr/bin/mosquitto_pub"),
        "mosq-AbCdEfGhIjKlMnOpQr",
        TopicDirection::Publish,
        "c2/beacon",
        b"ws-1|root|Linux ws-1 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux",
    );
    let (alerts, summary) = run(cfg, &[tool]);
    assert_eq!(alerts.len(), 1, "{summary:?}");
    assert!(alerts[0].suspicion >= Suspicion::Medium);
}
