//! Engine tests of the behaviour analytics end to end: timing, message content and rates, new
//! processes and brokers, names joined from other logs, presence in the data, cloud IoT
//! endpoints, and the timelines alerts carry.

use super::*;
use crate::verdict::AnalyticId;

fn beacon_events(
    dst: &str,
    port: u16,
    process: Option<&str>,
    every_s: i64,
    n: i64,
) -> Vec<ConnEvent> {
    (0..n)
        .map(|i| {
            let mut e = ev("10.0.0.9", dst, port);
            e.ts = Some(1_700_000_000_000_000 + i * every_s * 1_000_000);
            e.process = process.map(str::to_string);
            e.bytes_out = Some(312);
            e
        })
        .collect()
}

#[test]
fn behaviour_evidence_raises_and_explains() {
    // Internal XMPP is medium by the seed matrix; a script host beaconing every 5 minutes is not
    // what a chat client looks like.
    let events = beacon_events(
        "10.1.1.1",
        5222,
        Some(r"C:\Users\bob\AppData\Local\Temp\wscript.exe"),
        300,
        24,
    );
    let (alerts, _) = run(cfg_all(), &events);
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.suspicion, Suspicion::High, "{:#?}", a.reasons);
    assert_eq!(a.seed_suspicion, Suspicion::Medium);
    // The high band starts at 80 points, score 70.
    assert!(a.score >= 70, "{}", a.score);
    for id in ["beacon", "process_script_host", "process_in_temp"] {
        assert!(a.signals.contains_key(id), "{id} missing: {:?}", a.signals);
        assert!(
            a.reasons.iter().any(|r| r.contains(id)),
            "no reason for {id}: {:#?}",
            a.reasons
        );
    }
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("raised from medium to high"))
    );

    // The seed view: the same events with behaviour scoring off stay medium, with no signals.
    let mut seed = cfg_all();
    seed.behaviour.enabled = false;
    let (alerts, _) = run(seed, &events);
    assert_eq!(alerts[0].suspicion, Suspicion::Medium);
    assert!(alerts[0].signals.is_empty());
    // 45 points: the medium base.
    assert_eq!(alerts[0].score, 45);
}

#[test]
fn random_timing_from_an_unknown_process_adds_nothing() {
    // Irregular gaps (a fixed pseudo-random sequence), no process: no behaviour signal.
    let gaps = [7, 300, 41, 1900, 5, 620, 88, 2400, 13, 170, 950, 33];
    let mut t = 1_700_000_000i64;
    let events: Vec<ConnEvent> = gaps
        .iter()
        .map(|g| {
            t += g;
            let mut e = ev("10.0.0.9", "198.51.100.7", 5222);
            e.ts = Some(t * 1_000_000);
            e
        })
        .collect();
    let (alerts, _) = run(cfg_all(), &events);
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].signals.is_empty(), "{:?}", alerts[0].signals);
    // 50 points: the high base, at the medium threshold.
    assert_eq!(alerts[0].score, 50);
}

#[test]
fn alerts_are_ranked_by_score() {
    let mut events = beacon_events("10.1.1.1", 5222, Some("/tmp/.x/python3"), 60, 30);
    // An external XMPP group with no evidence: high by the seed, but a lower score.
    events.extend(beacon_events("198.51.100.7", 5222, None, 1, 1));
    let mut e = ev("10.0.0.9", "198.51.100.7", 5222);
    e.ts = Some(1_700_000_000_000_000 + 12_345_000_000);
    events.push(e);
    let (alerts, _) = run(cfg_all(), &events);
    assert_eq!(alerts.len(), 2);
    assert!(alerts[0].score >= alerts[1].score);
    assert_eq!(alerts[0].dst_ip.to_string(), "10.1.1.1");
}

/// One MQTT session from `src` to an external broker, inspected: `messages` publications of
/// `size` bytes and `entropy` bits/byte on `topic`, at the given offsets (seconds) from `t0`.
fn mqtt_session(src: &str, offsets: &[i64], size: u32, entropy: f32, topic: &str) -> ConnEvent {
    use crate::app::{AppInfo, MessageEvent, TopicDirection, TopicUse};
    let t0: Micros = 1_700_000_000_000_000;
    let mut e = ev(src, "198.51.100.50", 1883);
    e.ts = Some(t0);
    e.end = Some(t0 + offsets.last().copied().unwrap_or(0) * 1_000_000);
    let mut app = AppInfo {
        protocol: Some(Protocol::Mqtt),
        ..AppInfo::default()
    };
    app.topics.push(TopicUse::new(
        topic,
        TopicDirection::Publish,
        offsets.len() as u64,
    ));
    for &o in offsets {
        app.messages.push(MessageEvent {
            ts: t0 + o * 1_000_000,
            direction: TopicDirection::Publish,
            topic: Some(crate::app::TopicKey::of(topic, TopicDirection::Publish)),
            size,
            entropy,
            weight: 1,
            traits: 0,
        });
    }
    e.app = Some(Box::new(app));
    e
}

#[test]
fn one_long_session_is_judged_by_its_messages() {
    let offsets: Vec<i64> = (0..10).map(|i| i * 37 + (i * i) % 11).collect();
    let e = mqtt_session("10.1.1.9", &offsets, 40, 3.0, "plant/line1/status");
    let (alerts, summary) = run(cfg_all(), std::slice::from_ref(&e));
    assert_eq!(alerts.len(), 1, "{summary:?}");
    assert!(
        alerts[0].reasons[0].contains("1 connections")
            && alerts[0].reasons[0].contains("carrying 10 messages"),
        "{}",
        alerts[0].reasons[0]
    );
    // The seed view counts connections only: one is below its threshold.
    let mut seed = cfg_all();
    seed.behaviour.enabled = false;
    let (alerts, summary) = run(seed, &[e]);
    assert!(alerts.is_empty());
    assert_eq!(summary.below_threshold, 1);
}

#[test]
fn opaque_payloads_on_a_telemetry_topic() {
    let offsets: Vec<i64> = (0..8).map(|i| i * 45 + (i * 7) % 13).collect();
    let (alerts, _) = run(
        cfg_all(),
        &[mqtt_session("10.1.1.9", &offsets, 300, 7.8, "sensors/temp")],
    );
    let s = &alerts[0].signals;
    assert!(s.contains_key("payload_high_entropy"), "{s:?}");
    assert!(s.contains_key("telemetry_payload_opaque"), "{s:?}");
    assert!(alerts[0].analytics.contains(&AnalyticId::PubsubContent));
    // Plain JSON telemetry (low entropy) says nothing.
    let (alerts, _) = run(
        cfg_all(),
        &[mqtt_session("10.1.1.9", &offsets, 300, 4.5, "sensors/temp")],
    );
    assert!(!alerts[0].signals.contains_key("payload_high_entropy"));
}

#[test]
fn publication_rate_against_peers_and_own_history() {
    // Six quiet clients publishing every 10 minutes for two hours, one publishing every 10 s.
    let quiet: Vec<i64> = (0..12).map(|i| i * 600).collect();
    let mut evs: Vec<ConnEvent> = (1..=6)
        .map(|h| mqtt_session(&format!("10.1.2.{h}"), &quiet, 50, 4.0, "fleet/telemetry"))
        .collect();
    let loud: Vec<i64> = (0..720).map(|i| i * 10).collect();
    evs.push(mqtt_session("10.1.2.99", &loud, 50, 4.0, "fleet/telemetry"));
    // A client quiet for an hour that then bursts for five minutes.
    let mut bursty: Vec<i64> = (0..60).map(|i| i * 60).collect();
    bursty.extend((0..300).map(|i| 3600 + i));
    evs.push(mqtt_session(
        "10.1.3.1",
        &bursty,
        50,
        4.0,
        "fleet/telemetry",
    ));
    let (alerts, _) = run(cfg_all(), &evs);
    let by_src = |ip: &str| {
        alerts
            .iter()
            .find(|a| a.src_ip == Some(ip.parse().unwrap()))
            .unwrap()
    };
    assert!(
        by_src("10.1.2.99").signals.contains_key("rate_above_peers"),
        "{:?}",
        by_src("10.1.2.99").reasons
    );
    assert!(!by_src("10.1.2.1").signals.contains_key("rate_above_peers"));
    assert!(
        by_src("10.1.3.1").signals.contains_key("rate_burst"),
        "{:?}",
        by_src("10.1.3.1").reasons
    );
    assert!(
        by_src("10.1.3.1")
            .analytics
            .contains(&AnalyticId::PubsubRate)
    );
    assert!(!by_src("10.1.2.1").signals.contains_key("rate_burst"));
}

#[test]
fn new_process_and_new_broker_need_an_earlier_window() {
    let cfg = HuntConfig::from_toml_str(
        "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false\nwindow = \"1h\"",
    )
    .unwrap();
    let t0: Micros = 1_700_000_000_000_000 - 1_700_000_000_000_000 % 3_600_000_000;
    let at = |dst: &str, process: &str, secs: i64| {
        let mut e = ev("10.1.1.1", dst, 1883);
        e.process = Some(process.into());
        e.ts = Some(t0 + secs * 1_000_000);
        e
    };
    let evs = [
        at("198.51.100.1", "/usr/bin/python3", 10),
        at("198.51.100.1", "/usr/bin/python3", 20),
        at("198.51.100.1", "/usr/bin/python3", 3610),
        at("198.51.100.1", "/usr/bin/python3", 3620),
        at("203.0.113.9", "/tmp/.x/agent", 3700),
        at("203.0.113.9", "/tmp/.x/agent", 3800),
    ];
    let (alerts, _) = run(cfg, &evs);
    let agent = alerts
        .iter()
        .find(|a| a.process.as_deref() == Some("/tmp/.x/agent"))
        .unwrap();
    assert!(
        agent.signals.contains_key("new_process"),
        "{:?}",
        agent.signals
    );
    assert!(agent.signals.contains_key("new_broker"));
    for a in alerts
        .iter()
        .filter(|a| a.process.as_deref() == Some("/usr/bin/python3"))
    {
        assert!(!a.signals.contains_key("new_process"), "{:?}", a.signals);
        assert!(!a.signals.contains_key("new_broker"));
    }
    // Without windows there is no history to be new against.
    let (alerts, _) = run(cfg_all(), &evs);
    assert!(
        alerts
            .iter()
            .all(|a| !a.signals.contains_key("new_process"))
    );
}

#[test]
fn names_from_other_logs_join_their_destination_whichever_arrives_first() {
    let cfg = HuntConfig::from_toml_str("[analytics]\nmin_suspicion = \"low\"").unwrap();
    let engine = Engine::new(cfg.clone());
    let events = [
        ev("10.1.1.1", "52.48.17.198", 8883),
        ev("10.1.1.1", "52.48.17.198", 8883),
        ev("10.1.1.2", "45.147.229.12", 8883),
        ev("10.1.1.2", "45.147.229.12", 8883),
    ];
    // Names in one accumulator (the ssl.log reader), connections in another (conn.log).
    let mut names = Accumulator::new();
    let ip = |s: &str| s.parse().unwrap();
    engine.observe_dest_name(
        None,
        ip("52.48.17.198"),
        8883,
        "a3k7-ats.iot.eu-west-1.amazonaws.com",
        &mut names,
    );
    engine.observe_dest_name(None, ip("45.147.229.12"), 8883, "c2.ddns.net", &mut names);
    engine.observe_dest_name(None, ip("45.147.229.12"), 8883, "-", &mut names);
    let mut conns = Accumulator::new();
    for e in &events {
        engine.observe(e, &mut conns);
    }
    for (a, b) in [(names.clone(), conns.clone()), (conns, names)] {
        let mut acc = a;
        acc.merge(b, &cfg);
        let (alerts, summary) = engine.finish(acc);
        // The AWS IoT endpoint is a default-allowlisted fleet destination; the dynamic-DNS one
        // is scored as such.
        assert_eq!(alerts.len(), 1, "{alerts:#?}");
        assert_eq!(alerts[0].destination_names, vec!["c2.ddns.net".to_string()]);
        assert!(alerts[0].signals.contains_key("dynamic_dns"));
        assert!(summary.suppressed.keys().any(|r| r.contains("AWS IoT")));
    }
}

/// A day of data: a standing channel from the first minute to the last, plus `extra`.
fn day_with(extra: &[(&str, i64, Option<i64>)]) -> Vec<ConnEvent> {
    let t0: Micros = 1_700_006_400_000_000;
    let at = |src: &str, dst: &str, start_s: i64, dur_s: Option<i64>| {
        let mut e = ev(src, dst, 1883);
        e.ts = Some(t0 + start_s * 1_000_000);
        e.end = dur_s.map(|d| t0 + (start_s + d) * 1_000_000);
        e
    };
    let mut evs = vec![
        at("10.2.2.2", "10.0.0.5", 0, Some(43_000)),
        at("10.2.2.2", "10.0.0.5", 43_200, Some(43_190)),
    ];
    evs.extend(
        extra
            .iter()
            .map(|&(dst, start, dur)| at("10.1.1.1", dst, start, dur)),
    );
    evs
}

fn public_broker_alert(alerts: &[Alert]) -> Option<&Alert> {
    alerts
        .iter()
        .find(|a| a.dst_ip.to_string() == "198.51.100.1")
}

#[test]
fn a_short_irregular_session_inside_the_data_is_a_one_off_not_a_channel() {
    let b = "198.51.100.1";
    // Three sessions between 10:00 and 12:10 of a 24-hour day, at irregular times.
    let session = [
        (b, 36_000, Some(1_800)),
        (b, 36_780, Some(2_400)),
        (b, 40_800, Some(3_000)),
    ];
    let evs = day_with(&session);
    let (alerts, summary) = run(cfg_no_defaults(), &evs);
    assert!(public_broker_alert(&alerts).is_none(), "{alerts:#?}");
    assert!(summary.below_min_suspicion >= 1);

    // Still there for a hunter who asks for low suspicion, with the reason.
    let (alerts, _) = run(cfg_all(), &evs);
    let a = public_broker_alert(&alerts).unwrap();
    assert_eq!(a.signals.get("transient_use"), Some(&-25.0));
    assert_eq!(a.suspicion, Suspicion::Low);
    assert!(
        a.reasons.iter().any(|r| r.contains("a one-off use")),
        "{:?}",
        a.reasons
    );

    // With windows the channel is judged over all of them, not per window.
    let mut windowed = cfg_all();
    windowed.window = "1h".parse().unwrap();
    let (alerts, _) = run(windowed, &evs);
    let here: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.dst_ip.to_string() == b)
        .collect();
    assert!(!here.is_empty());
    assert!(here.iter().all(|a| a.signals.contains_key("transient_use")));
}

#[test]
fn a_channel_whose_end_is_unknown_or_near_the_data_edge_is_not_one_off() {
    let b = "198.51.100.1";
    // Sysmon-like: only starts are known, so how long it stayed open is not.
    let evs = day_with(&[(b, 36_000, Some(1_800)), (b, 36_780, None)]);
    let (alerts, _) = run(cfg_no_defaults(), &evs);
    let a = public_broker_alert(&alerts).unwrap();
    assert!(!a.signals.contains_key("transient_use"), "{:?}", a.signals);

    // Still open an hour before the data ends: it may run on beyond it.
    let evs = day_with(&[(b, 72_000, Some(1_800)), (b, 79_000, Some(3_000))]);
    let (alerts, _) = run(cfg_no_defaults(), &evs);
    assert!(public_broker_alert(&alerts).is_some());

    // Regular check-ins for an hour are a beacon, however short-lived.
    let beacon: Vec<(&str, i64, Option<i64>)> =
        (0..30).map(|i| (b, 36_000 + i * 120, Some(2))).collect();
    let (alerts, _) = run(cfg_no_defaults(), &day_with(&beacon));
    let a = public_broker_alert(&alerts).unwrap();
    assert!(a.signals.contains_key("beacon"), "{:?}", a.signals);
    assert!(!a.signals.contains_key("transient_use"));
}

#[test]
fn cloud_iot_from_a_host_outside_the_configured_iot_hosts_is_reported() {
    let aws = "a3k7-ats.iot.eu-west-1.amazonaws.com";
    let run_with = |toml: &str| {
        let cfg = HuntConfig::from_toml_str(toml).unwrap();
        let engine = Engine::new(cfg.clone());
        let mut acc = Accumulator::new();
        engine.observe_dest_name(None, "52.48.17.198".parse().unwrap(), 8883, aws, &mut acc);
        // A thermostat in the IoT network and a workstation, both on the fleet's endpoint.
        for src in ["10.40.3.9", "10.40.3.9", "10.10.20.5", "10.10.20.5"] {
            engine.observe(&ev(src, "52.48.17.198", 8883), &mut acc);
        }
        engine.finish(acc)
    };

    // Without host roles the engine cannot tell the two apart: both look like fleet telemetry.
    let (alerts, summary) = run_with("");
    assert!(alerts.is_empty(), "{alerts:#?}");
    assert_eq!(summary.suppressed.values().sum::<usize>(), 2);

    let (alerts, summary) = run_with("[hosts]\niot = [\"10.40.0.0/16\"]");
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.host, "10.10.20.5");
    assert_eq!(a.signals.get("cloud_iot_from_other_host"), Some(&20.0));
    assert!(!a.signals.contains_key("cloud_iot_endpoint"));
    assert!(a.analytics.contains(&AnalyticId::PubsubDestination));
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("not among the configured IoT hosts ([hosts] iot: 10.40.0.0/16)")),
        "{:?}",
        a.reasons
    );
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("default allowlist entry") && r.contains("not applied")),
        "{:?}",
        a.reasons
    );
    assert_eq!(summary.suppressed.values().sum::<usize>(), 1);

    // The thermostat's alert, shown suppressed, says its endpoint is expected.
    let (alerts, _) =
        run_with("[hosts]\niot = [\"10.40.0.0/16\"]\n[analytics]\nmin_suspicion = \"low\"");
    assert_eq!(alerts.len(), 1);
    let mut shown = HuntConfig::from_toml_str("[hosts]\niot = [\"10.40.0.0/16\"]").unwrap();
    shown.show_suppressed = true;
    let engine = Engine::new(shown);
    let mut acc = Accumulator::new();
    engine.observe_dest_name(None, "52.48.17.198".parse().unwrap(), 8883, aws, &mut acc);
    for _ in 0..2 {
        engine.observe(&ev("10.40.3.9", "52.48.17.198", 8883), &mut acc);
    }
    let (alerts, _) = engine.finish(acc);
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].suppressed_by.is_some());
    assert_eq!(alerts[0].signals.get("cloud_iot_endpoint"), Some(&0.0));
    assert!(
        alerts[0]
            .reasons
            .iter()
            .any(|r| r.contains("one of the configured IoT hosts")),
        "{:?}",
        alerts[0].reasons
    );
}

#[test]
fn alerts_carry_timelines_only_when_the_output_draws_them() {
    let mut evs = Vec::new();
    for i in 0..5 {
        let mut e = ev("10.1.1.1", "198.51.100.9", 1883);
        e.ts = Some(1_700_000_000_000_000 + i * 60_000_000);
        evs.push(e);
    }
    let (plain, _) = run(cfg_all(), &evs);
    assert_eq!(plain.len(), 1);
    assert!(plain[0].timeline.is_empty(), "{:?}", plain[0].timeline);
    let mut drawn = cfg_all();
    drawn.alert_timelines = true;
    let (with, _) = run(drawn, &evs);
    assert_eq!(with[0].timeline.len(), 5);
    let mut without = with[0].clone();
    without.timeline.clear();
    assert_eq!(without, plain[0], "nothing else differs");
}
