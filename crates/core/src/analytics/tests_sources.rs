//! Tests of what several inputs do to a verdict: an input's extent judges only its own channels,
//! the same connection recorded twice counts once, and a process record joins the network record
//! of the same connection.

use super::*;
use crate::config::HuntConfig;
use crate::event::ConnEvent;
use crate::record::RecordRef;
use crate::time::Micros;
use proptest::prelude::*;

const T0: Micros = 1_700_006_400_000_000;
const SEC: Micros = 1_000_000;

fn from(file: &str, src: &str, dst: &str, port: u16, start_s: i64, dur_s: i64) -> ConnEvent {
    let mut e = ConnEvent::tcp(src.parse().unwrap(), dst.parse().unwrap(), port);
    e.ts = Some(T0 + start_s * SEC);
    e.end = Some(T0 + (start_s + dur_s) * SEC);
    e.origin = Some(RecordRef {
        file: Arc::from(file),
        line: start_s as u64,
    });
    e
}

fn run_parts(cfg: &HuntConfig, parts: &[Vec<ConnEvent>]) -> (Vec<Alert>, HuntSummary) {
    let engine = Engine::new(cfg.clone());
    let mut total = Accumulator::new();
    for p in parts {
        let mut acc = Accumulator::new();
        for e in p {
            engine.observe(e, &mut acc);
        }
        total.merge(acc, cfg);
    }
    engine.finish(total)
}

fn cfg_low() -> HuntConfig {
    HuntConfig::from_toml_str("[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false")
        .unwrap()
}

/// A six-second MQTT capture: two sessions to an external broker, alone in its file.
fn short_capture() -> Vec<ConnEvent> {
    vec![
        from("mqtt.pcap", "10.0.1.4", "198.41.30.241", 1883, 0, 3),
        from("mqtt.pcap", "10.0.1.4", "198.41.30.241", 1883, 4, 2),
    ]
}

/// Another capture, of other traffic, weeks later and lasting a day.
fn unrelated(days_later: i64) -> Vec<ConnEvent> {
    let base = days_later * 86_400;
    vec![
        from("other.pcap", "10.9.9.9", "192.0.2.77", 5222, base, 600),
        from(
            "other.pcap",
            "10.9.9.9",
            "192.0.2.77",
            5222,
            base + 86_000,
            300,
        ),
        from(
            "other.pcap",
            "10.9.9.8",
            "192.0.2.78",
            443,
            base + 40_000,
            30,
        ),
    ]
}

fn alert_for<'a>(alerts: &'a [Alert], dst: &str) -> Option<&'a Alert> {
    alerts.iter().find(|a| a.dst_ip.to_string() == dst)
}

#[test]
fn an_unrelated_input_does_not_move_a_verdict() {
    let cfg = cfg_low();
    let (alone, _) = run_parts(&cfg, &[short_capture()]);
    let (together, _) = run_parts(&cfg, &[short_capture(), unrelated(30)]);
    let a = alert_for(&alone, "198.41.30.241").unwrap();
    let b = alert_for(&together, "198.41.30.241").unwrap();
    assert!(!a.signals.contains_key("transient_use"), "{:?}", a.signals);
    assert_eq!(a, b);
    assert_eq!(a.sources, vec!["mqtt.pcap".to_string()]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn shuffled_and_added_inputs_leave_existing_alerts_alone(
        days in 1i64..400,
        seed in any::<u64>(),
        split in 1usize..4,
    ) {
        let cfg = cfg_low();
        let (alone, _) = run_parts(&cfg, &[short_capture()]);
        let mut all: Vec<ConnEvent> = short_capture();
        all.extend(unrelated(days));
        all.extend(unrelated(-days));
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..all.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            all.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let parts: Vec<Vec<ConnEvent>> =
            all.chunks(all.len().div_ceil(split)).map(<[ConnEvent]>::to_vec).collect();
        let (mixed, _) = run_parts(&cfg, &parts);
        prop_assert_eq!(
            alert_for(&alone, "198.41.30.241"),
            alert_for(&mixed, "198.41.30.241")
        );
    }
}

#[test]
fn a_connection_in_a_capture_and_its_conn_log_counts_once() {
    let cfg = cfg_low();
    let mut pcap = Vec::new();
    let mut zeek = Vec::new();
    for i in 0..360i64 {
        let mut p = from("day.pcap", "10.1.1.1", "203.0.113.5", 5672, i * 240, 20);
        p.src_port = Some(40_000 + i as u16);
        p.bytes_out = Some(100);
        p.bytes_in = Some(50);
        let mut z = p.clone();
        z.origin = Some(RecordRef {
            file: Arc::from("conn.log"),
            line: i as u64,
        });
        // The sensor's clock and the capture's differ a little.
        z.ts = p.ts.map(|t| t + 300_000);
        pcap.push(p);
        zeek.push(z);
    }
    let (alerts, summary) = run_parts(&cfg, &[zeek, pcap]);
    let a = alert_for(&alerts, "203.0.113.5").unwrap();
    assert_eq!(a.connections, 360);
    assert_eq!(a.bytes_sent, Some(36_000));
    assert_eq!(a.bytes_received, Some(18_000));
    assert_eq!(summary.duplicates, 360);
    assert_eq!(
        a.sources,
        vec!["conn.log".to_string(), "day.pcap".to_string()]
    );
    assert!(
        a.reasons.iter().any(|r| r.contains("360 second records")),
        "{:?}",
        a.reasons
    );
}

#[test]
fn a_process_record_and_a_network_record_of_one_connection_are_one_alert() {
    let cfg = cfg_low();
    let image = r"C:\Users\Public\Libraries\agent.exe";
    let mut sysmon = Vec::new();
    let mut zeek = Vec::new();
    for i in 0..6i64 {
        let mut s = from("sysmon.json", "10.1.1.7", "203.0.113.9", 1883, i * 600, 0);
        s.end = None;
        s.host = Some("WS7".into());
        s.process = Some(image.into());
        s.src_port = Some(50_000 + i as u16);
        let mut z = from("conn.log", "10.1.1.7", "203.0.113.9", 1883, i * 600, 30);
        z.ts = z.ts.map(|t| t + 800_000);
        z.src_port = s.src_port;
        z.bytes_out = Some(70);
        z.bytes_in = Some(4);
        sysmon.push(s);
        zeek.push(z);
    }
    // Another client on the same host, to the same broker, that Sysmon did not record.
    let mut other = Vec::new();
    for i in 0..3i64 {
        let mut z = from("conn.log", "10.1.1.8", "203.0.113.9", 1883, i * 900, 30);
        z.src_port = Some(60_000 + i as u16);
        other.push(z);
    }
    let (alerts, summary) = run_parts(&cfg, &[zeek, sysmon, other]);
    let here: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.dst_ip.to_string() == "203.0.113.9")
        .collect();
    assert_eq!(here.len(), 2, "{here:#?}");
    let joined = here.iter().find(|a| a.host == "WS7").unwrap();
    assert_eq!(joined.process.as_deref(), Some(image));
    assert_eq!(joined.connections, 6);
    assert_eq!(joined.bytes_sent, Some(420));
    assert_eq!(
        joined.sources,
        vec!["conn.log".to_string(), "sysmon.json".to_string()]
    );
    assert_eq!(summary.joined, 1);
    let alone = here.iter().find(|a| a.host == "10.1.1.8").unwrap();
    assert_eq!(alone.process, None);
    assert_eq!(alone.connections, 3);
}

#[test]
fn the_configured_direction_policy_decides_what_is_inbound() {
    // A sensor whose local networks miss 10.50/16 marks these connections inbound.
    let evs: Vec<ConnEvent> = (0..4)
        .map(|i| {
            let mut e = from("conn.log", "10.50.1.1", "203.0.113.20", 1883, i * 60, 5);
            e.direction = crate::event::Direction::Inbound;
            e
        })
        .collect();
    let (alerts, summary) = run_parts(&cfg_low(), std::slice::from_ref(&evs));
    assert!(alerts.is_empty());
    assert_eq!(summary.counters.inbound, 4);
    assert_eq!(summary.counters.inbound_from_internal, 4);

    let by_nets = HuntConfig::from_toml_str(
        "[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false\ndirection = \"internal-networks\"",
    )
    .unwrap();
    let (alerts, summary) = run_parts(&by_nets, &[evs]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].connections, 4);
    assert_eq!(summary.counters.inbound, 0);
    assert_eq!(summary.counters.inbound_from_internal, 4);

    // An initiator outside the internal networks stays inbound either way.
    let mut outside = from("conn.log", "198.51.100.3", "10.1.1.1", 1883, 0, 5);
    outside.direction = crate::event::Direction::Inbound;
    let (_, summary) = run_parts(&by_nets, &[vec![outside.clone(), outside]]);
    assert_eq!(summary.counters.inbound, 2);
    assert_eq!(summary.counters.inbound_from_internal, 0);
    assert!(HuntConfig::from_toml_str("[analytics]\ndirection = \"sideways\"").is_err());
}
