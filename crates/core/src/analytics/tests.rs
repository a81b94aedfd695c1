use super::*;
use crate::config::HuntConfig;
use crate::event::ConnEvent;
use crate::protocol::Protocol;
use crate::time::Micros;
use crate::verdict::AnalyticId;
use proptest::prelude::*;

fn ev(src: &str, dst: &str, port: u16) -> ConnEvent {
    ConnEvent::tcp(src.parse().unwrap(), dst.parse().unwrap(), port)
}

fn run(cfg: HuntConfig, events: &[ConnEvent]) -> (Vec<Alert>, HuntSummary) {
    let engine = Engine::new(cfg);
    let mut acc = Accumulator::new();
    for e in events {
        engine.observe(e, &mut acc);
    }
    engine.finish(acc)
}

/// Every suspicion reported, without the default allowlist (so the seed matrix shows whole).
fn cfg_all() -> HuntConfig {
    HuntConfig::from_toml_str("[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false")
        .unwrap()
}

fn cfg_no_defaults() -> HuntConfig {
    HuntConfig::from_toml_str("[analytics]\ndefault_allowlist = false").unwrap()
}

#[test]
fn default_allowlist_suppresses_internal_chat_and_apple_push_but_not_the_seed_view() {
    let evs = [
        ev("10.1.1.1", "10.0.0.5", 5222),
        ev("10.1.1.1", "10.0.0.5", 5222),
        ev("10.1.1.1", "17.57.144.20", 5223),
        ev("10.1.1.1", "17.57.144.20", 5223),
    ];
    let low = HuntConfig::from_toml_str("[analytics]\nmin_suspicion = \"low\"").unwrap();
    let (alerts, summary) = run(low.clone(), &evs);
    assert!(alerts.is_empty(), "{alerts:#?}");
    assert_eq!(summary.suppressed.values().sum::<usize>(), 2);
    assert!(summary.suppressed.keys().any(|r| r.contains("Apple")));

    let mut shown = low.clone();
    shown.show_suppressed = true;
    let (alerts, _) = run(shown, &evs);
    assert_eq!(alerts.len(), 2);
    assert!(alerts.iter().all(|a| a.suppressed_by.is_some()));
    assert!(alerts.iter().all(|a| {
        a.reasons
            .iter()
            .any(|r| r.contains("suppressed by the default allowlist"))
    }));

    let mut seed = low;
    seed.behaviour.enabled = false;
    let (alerts, _) = run(seed, &evs);
    assert_eq!(alerts.len(), 2, "the seed view has no default allowlist");
}

#[test]
fn seed_matrix_cases() {
    let cfg = cfg_all();
    let cases: &[(&str, u16, Option<&str>, Suspicion, bool)] = &[
        ("198.51.100.1", 5222, None, Suspicion::High, true),
        ("198.51.100.1", 61613, None, Suspicion::High, true),
        ("198.51.100.1", 1883, None, Suspicion::High, true),
        (
            "198.51.100.1",
            1883,
            Some("python.exe"),
            Suspicion::High,
            true,
        ),
        (
            "198.51.100.1",
            8883,
            Some(r"C:\m\mosquitto_pub.exe"),
            Suspicion::Low,
            true,
        ),
        ("198.51.100.1", 5671, None, Suspicion::Medium, true),
        ("172.20.1.1", 5222, None, Suspicion::Medium, false),
        ("100.64.3.3", 61614, None, Suspicion::Medium, false),
        ("10.0.0.1", 1883, None, Suspicion::Low, false),
        ("fd00::1", 5672, None, Suspicion::Low, false),
        ("2001:db8::1", 5269, None, Suspicion::High, true),
    ];
    for &(dst, port, process, want, external) in cases {
        let mut e = ev("10.1.1.1", dst, port);
        e.process = process.map(String::from);
        let (alerts, _) = run(cfg.clone(), &[e.clone(), e]);
        assert_eq!(alerts.len(), 1, "{dst}:{port}");
        assert_eq!(alerts[0].seed_suspicion, want, "{dst}:{port} {process:?}");
        // The engine's suspicion: the seed's, at most medium without evidence.
        assert_eq!(
            alerts[0].suspicion,
            want.min(Suspicion::Medium),
            "{dst}:{port} {process:?}"
        );
        assert_eq!(alerts[0].external, external, "{dst}:{port}");
        assert_eq!(alerts[0].analytic, AnalyticId::PubsubPort);
        assert!(alerts[0].reasons.len() >= 4, "{:?}", alerts[0].reasons);
    }
}

#[test]
fn exclusions_and_threshold() {
    let cfg = HuntConfig::default();
    let ok = ev("10.1.1.1", "198.51.100.1", 5222);
    let mut failed = ok.clone();
    failed.outcome = Outcome::Failed;
    let mut inbound = ok.clone();
    inbound.direction = Direction::Inbound;
    let mut udp = ok.clone();
    udp.transport = Transport::Udp;
    let other_port = ev("10.1.1.1", "198.51.100.1", 443);
    // One good connection plus excluded ones: below the threshold of 2.
    let (alerts, summary) = run(
        cfg.clone(),
        &[ok.clone(), failed.clone(), inbound, udp, other_port],
    );
    assert!(alerts.is_empty());
    assert_eq!(summary.counters.failed, 1);
    assert_eq!(summary.counters.inbound, 1);
    assert_eq!(summary.counters.not_tcp, 1);
    assert_eq!(summary.counters.not_candidate, 1);
    assert_eq!(summary.below_threshold, 1);
    let mut unknown_transport = ok.clone();
    unknown_transport.transport = Transport::Unknown;
    let (alerts, _) = run(cfg, &[ok, unknown_transport]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].connections, 2);
}

#[test]
fn default_hides_low() {
    let (alerts, summary) = run(
        HuntConfig::default(),
        &[
            ev("10.1.1.1", "10.0.0.9", 1883),
            ev("10.1.1.1", "10.0.0.9", 1883),
        ],
    );
    assert!(alerts.is_empty());
    assert_eq!(summary.below_min_suspicion, 1);
}

#[test]
fn unusual_port_from_identified_protocol() {
    let mut e = ev("10.1.1.1", "198.51.100.7", 4444);
    e.identified = vec![Protocol::Mqtt];
    e.app_label = Some("mqtt".into());
    let mut std_port = ev("10.1.1.1", "198.51.100.7", 1883);
    std_port.identified = vec![Protocol::Mqtt];
    let mut internal = ev("10.1.1.1", "192.168.1.1", 443);
    internal.identified = vec![Protocol::Xmpp];
    internal.app_label = Some("xmpp,ssl".into());
    let (alerts, _) = run(
        cfg_no_defaults(),
        &[
            e.clone(),
            e,
            std_port.clone(),
            std_port,
            internal.clone(),
            internal,
        ],
    );
    let unusual: Vec<_> = alerts
        .iter()
        .filter(|a| a.analytic == AnalyticId::PubsubUnusualPort)
        .collect();
    assert_eq!(unusual.len(), 2, "{alerts:#?}");
    assert_eq!(unusual[0].seed_suspicion, Suspicion::High);
    assert_eq!(unusual[0].suspicion, Suspicion::Medium);
    assert_eq!(unusual[0].dst_port, 4444);
    assert!(unusual[0].reasons.iter().any(|r| r.contains("\"mqtt\"")));
    assert_eq!(unusual[1].suspicion, Suspicion::Medium);
    assert!(
        unusual[1]
            .reasons
            .iter()
            .any(|r| r.contains("\"xmpp,ssl\""))
    );
}

#[test]
fn windows_are_counted_inside_one_alert_per_channel() {
    let cfg = HuntConfig::from_toml_str("[analytics]\nwindow = \"1h\"").unwrap();
    let mut evs = Vec::new();
    for ts in [0, 10, 3_600_000_000, 3_600_000_001] {
        let mut e = ev("10.1.1.1", "198.51.100.1", 5222);
        e.ts = Some(ts);
        evs.push(e);
    }
    let mut lonely = ev("10.1.1.1", "198.51.100.1", 5222);
    lonely.ts = Some(7_300_000_000);
    evs.push(lonely);
    let no_ts = ev("10.1.1.1", "198.51.100.1", 5222);
    evs.push(no_ts);
    let (alerts, summary) = run(cfg, &evs);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    let a = &alerts[0];
    assert_eq!(a.connections, 5);
    let counts: Vec<(i64, u64)> = a
        .windows
        .as_ref()
        .unwrap()
        .iter()
        .map(|w| (w.start, w.connections))
        .collect();
    assert_eq!(counts, vec![(0, 2), (3_600_000_000, 2), (7_200_000_000, 1)]);
    assert!(
        a.reasons
            .iter()
            .any(|r| r.contains("active in 3 windows of 1h, 2 of them with at least 2")),
        "{:?}",
        a.reasons
    );
    assert_eq!(summary.below_threshold, 0);
    assert_eq!(summary.counters.no_timestamp, 1);
}

#[test]
fn a_window_shorter_than_the_channel_is_reported_not_silent() {
    // Two connections an hour apart: enough over the data, never two in one minute.
    let mut evs = Vec::new();
    for ts in [0, 3_600_000_000] {
        let mut e = ev("10.1.1.1", "198.51.100.1", 5222);
        e.ts = Some(ts);
        evs.push(e);
    }
    let cfg = HuntConfig::from_toml_str("[analytics]\nwindow = \"1m\"").unwrap();
    let (alerts, summary) = run(cfg, &evs);
    assert!(alerts.is_empty());
    assert_eq!(summary.below_threshold_in_every_window, 1);
    assert_eq!(summary.slower_than_window, 1);

    // A beacon slower than the window is judged across windows and still reported.
    let beacon: Vec<ConnEvent> = (0..40)
        .map(|i| {
            let mut e = ev("10.1.1.2", "198.51.100.2", 1883);
            e.ts = Some(i * 600_000_000);
            e
        })
        .collect();
    let cfg = HuntConfig::from_toml_str("[analytics]\nwindow = \"1m\"\ndefault_allowlist = false")
        .unwrap();
    let (alerts, summary) = run(cfg, &beacon);
    assert_eq!(alerts.len(), 1, "{summary:?}");
    assert_eq!(alerts[0].connections, 40);
    assert!(
        alerts[0]
            .reasons
            .iter()
            .any(|r| r.contains("judged across windows the channel beacons")),
        "{:?}",
        alerts[0].reasons
    );
}

#[test]
fn bytes_null_when_never_reported_and_summed_otherwise() {
    let a = ev("10.1.1.1", "198.51.100.1", 5222);
    let (alerts, _) = run(HuntConfig::default(), &[a.clone(), a.clone()]);
    assert_eq!(alerts[0].bytes_sent, None);
    let mut b = a.clone();
    b.bytes_out = Some(5);
    b.bytes_in = Some(7);
    let (alerts, _) = run(HuntConfig::default(), &[a, b.clone(), b]);
    assert_eq!(alerts[0].bytes_sent, Some(10));
    assert_eq!(alerts[0].bytes_received, Some(14));
}

#[test]
fn allowlist_suppresses_with_reason() {
    let cfg = HuntConfig::from_toml_str(
        "[[allowlist]]\nreason = \"corporate jabber\"\ndestination = \"198.51.100.0/24\"\nprotocol = \"XMPP\"\n",
    )
    .unwrap();
    let e = ev("10.1.1.1", "198.51.100.1", 5222);
    let f = ev("10.1.1.1", "203.0.113.1", 5222);
    let (alerts, summary) = run(cfg, &[e.clone(), e, f.clone(), f]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].dst_ip.to_string(), "203.0.113.1");
    assert_eq!(summary.suppressed.get("corporate jabber"), Some(&1));
}

#[test]
fn group_table_is_bounded() {
    let cfg = HuntConfig::from_toml_str("[limits]\nmax_groups = 2").unwrap();
    let evs: Vec<_> = (1..=5)
        .map(|i| ev("10.1.1.1", &format!("198.51.100.{i}"), 5222))
        .collect();
    let (_, summary) = run(cfg, &evs);
    assert_eq!(summary.groups, 2);
    assert_eq!(summary.counters.group_table_full, 3);
}

#[test]
fn the_alert_limit_keeps_the_first_in_report_order_and_counts_the_rest() {
    // Five hosts, each with a different number of connections to its own broker: five alerts
    // ranked by their connection counts.
    let mut evs = Vec::new();
    for host in 1..=5 {
        for _ in 0..host + 1 {
            evs.push(ev(
                &format!("10.1.1.{host}"),
                &format!("198.51.100.{host}"),
                5672,
            ));
        }
    }
    let (all, all_summary) = run(cfg_no_defaults(), &evs);
    assert_eq!(all.len(), 5);
    assert_eq!(all_summary.alerts_past_limit, 0);

    let mut capped = cfg_no_defaults();
    capped.limits.max_alerts = 2;
    let engine = Engine::new(capped);
    let mut acc = Accumulator::new();
    for e in evs.iter().rev() {
        engine.observe(e, &mut acc);
    }
    let (kept, summary, fates) = engine.finish_explained(acc);
    assert_eq!(kept, all[..2].to_vec());
    assert_eq!(summary.alerts_past_limit, 3);
    assert_eq!(
        summary.alerts(),
        2,
        "the counts by suspicion are of what is reported"
    );
    let past: Vec<&str> = fates
        .iter()
        .filter(|f| f.fate == Fate::PastAlertLimit { limit: 2 })
        .map(|f| f.alert.host.as_str())
        .collect();
    let mut expected: Vec<&str> = all[2..].iter().map(|a| a.host.as_str()).collect();
    expected.sort_unstable();
    let mut past_sorted = past.clone();
    past_sorted.sort_unstable();
    assert_eq!(past_sorted, expected);
    assert_eq!(fates.iter().filter(|f| f.fate.alerted()).count(), 2);
}

#[test]
fn users_keep_the_smallest_set() {
    let cfg = HuntConfig::from_toml_str("[limits]\nmax_users_per_group = 2").unwrap();
    let mut evs = Vec::new();
    for u in ["d", "b", "a", "c"] {
        let mut e = ev("10.1.1.1", "198.51.100.1", 5222);
        e.user = Some(u.into());
        evs.push(e);
    }
    let (alerts, _) = run(cfg, &evs);
    assert_eq!(alerts[0].users, vec!["a", "b"]);
    assert!(alerts[0].reasons.iter().any(|r| r.contains("more than")));
}

#[test]
fn ordering_high_then_count() {
    let mut evs = Vec::new();
    for _ in 0..3 {
        evs.push(ev("10.1.1.1", "10.0.0.5", 5222)); // medium, 3
    }
    for _ in 0..2 {
        evs.push(ev("10.1.1.1", "198.51.100.1", 5222)); // high, 2
    }
    for _ in 0..5 {
        evs.push(ev("10.1.1.2", "198.51.100.1", 5672)); // medium, 5
    }
    let (alerts, _) = run(cfg_no_defaults(), &evs);
    // Ranked by score: the seed's high prior first (its suspicion counts as medium without
    // evidence), then by connections.
    let got: Vec<_> = alerts
        .iter()
        .map(|a| (a.seed_suspicion, a.connections))
        .collect();
    assert_eq!(
        got,
        vec![
            (Suspicion::High, 2),
            (Suspicion::Medium, 5),
            (Suspicion::Medium, 3)
        ]
    );
}

fn arb_event() -> impl Strategy<Value = ConnEvent> {
    let dsts = prop::sample::select(vec![
        "198.51.100.1",
        "10.0.0.5",
        "172.20.1.1",
        "100.64.0.9",
        "2001:db8::7",
        "fd00::2",
    ]);
    let ports = prop::sample::select(vec![1883u16, 8883, 5222, 5269, 5672, 61613, 443, 4444]);
    let users = prop::option::of(prop::sample::select(vec!["alice", "bob", "carol", "dave"]));
    let procs = prop::option::of(prop::sample::select(vec!["mosquitto_pub", "python.exe"]));
    (
        0u8..4,
        dsts,
        ports,
        prop::option::of(0i64..20_000_000_000),
        users,
        procs,
        prop::option::of(0u64..10_000),
        any::<bool>(),
        0u8..6,
        prop::option::of(0i64..50_000_000_000),
    )
        .prop_map(
            |(h, dst, port, ts, user, proc_, bytes, ident, state, dur)| {
                let mut e = ConnEvent::tcp(
                    format!("10.9.0.{h}").parse().unwrap(),
                    dst.parse().unwrap(),
                    port,
                );
                e.ts = ts;
                e.end = ts.zip(dur).map(|(t, d)| t + d);
                e.user = user.map(String::from);
                e.process = proc_.map(String::from);
                e.bytes_out = bytes;
                e.bytes_in = bytes.map(|b| b * 2);
                if ident {
                    e.identified = vec![Protocol::Mqtt];
                    e.app_label = Some("mqtt".into());
                }
                match state {
                    0 => e.outcome = Outcome::Failed,
                    1 => e.direction = Direction::Inbound,
                    2 => e.transport = Transport::Unknown,
                    _ => {}
                }
                e
            },
        )
}

fn run_split(cfg: &HuntConfig, parts: &[Vec<ConnEvent>]) -> (Vec<Alert>, HuntSummary) {
    let engine = Engine::new(cfg.clone());
    let mut total = Accumulator::new();
    for part in parts {
        let mut acc = Accumulator::new();
        for e in part {
            engine.observe(e, &mut acc);
        }
        total.merge(acc, cfg);
    }
    engine.finish(total)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Splitting the input into parts read by separate accumulators, and reordering it, never
    /// changes the alerts or the summary.
    #[test]
    fn split_and_reorder_do_not_change_alerts(
        events in prop::collection::vec(arb_event(), 0..120),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        seed in any::<u64>(),
        window in prop::sample::select(vec!["none", "1h", "1d"]),
        min in prop::sample::select(vec!["low", "medium", "high"]),
        max_alerts in prop::sample::select(vec![1usize, 3, 100_000]),
    ) {
        let cfg = HuntConfig::from_toml_str(&format!(
            "[analytics]\nwindow = \"{window}\"\nmin_suspicion = \"{min}\"\n[limits]\nmax_users_per_group = 2\nmax_alerts = {max_alerts}"
        )).unwrap();
        let whole = run_split(&cfg, std::slice::from_ref(&events));

        let mut idx: Vec<usize> = cuts.iter().map(|c| c.index(events.len() + 1)).collect();
        idx.sort_unstable();
        let mut parts = Vec::new();
        let mut last = 0;
        for i in idx.into_iter().chain(std::iter::once(events.len())) {
            parts.push(events[last..i].to_vec());
            last = i;
        }
        // Reorder: reverse the parts and rotate the events inside each by the seed.
        parts.reverse();
        for p in &mut parts {
            if !p.is_empty() {
                let k = (seed as usize) % p.len();
                p.rotate_left(k);
            }
        }
        let split = run_split(&cfg, &parts);
        prop_assert_eq!(&whole.0, &split.0);
        prop_assert_eq!(&whole.1, &split.1);
    }
}

/// Behaviour evidence, presence, names and timelines through the engine.
#[path = "tests_behaviour.rs"]
mod behaviour;
