//! Semantic equivalence: the exported Sigma rules, evaluated in-process by an independent Sigma
//! engine (rsigma), select the same connections and raise the same groups as pubsub-hunt's own
//! engine, on a few hundred generated connections.
//!
//! The events are Sysmon Event ID 3 records (the log source of Sigma's network_connection
//! category) rendered from the same `ConnEvent`s the engine sees. Sysmon has no outcome field,
//! so every event's outcome is "unknown", as a Sysmon reader would give it. Two comparisons:
//!
//! * per connection: an event matches the detection rule of level L exactly when the engine
//!   counts it into a group that it rates L and does not suppress (found by running the engine
//!   with a threshold of 1, so that single connections are rated too);
//! * per group: rsigma's correlation engine fires the `event_count` correlation of level L for
//!   (host, process, destination, port[, window]) exactly when the engine reports that group at
//!   L, with the same number of connections.
//!
//! A last test mutates the export (drop the IPv4-mapped ranges, shift the threshold, drop the
//! "transport unknown" branch) and checks that the comparison notices each change.

mod common;

use pubsub_hunt_core::{
    Accumulator, Alert, ConnEvent, Direction, Engine, EventOutcome, HuntConfig, Outcome, Suspicion,
    Transport,
};
use pubsub_hunt_rules::{Target, export};
use rsigma_eval::{CorrelationConfig, CorrelationEngine, JsonEvent};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// A small linear congruential generator: deterministic, no dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const HOSTS: &[&str] = &["ws-01", "ws-02", "build-07", "BUILD-08", "LAB-3", "srv-9"];

const PROCESSES: &[Option<&str>] = &[
    Some(r"C:\Program Files\Mosquitto\mosquitto_pub.exe"),
    Some(r"C:\Tools\MOSQUITTO.EXE"),
    Some("/usr/bin/mosquitto_sub"),
    Some("mosquitto"),
    Some(r"C:\Tools\mosquittox.exe"),
    Some("/opt/mqtt/mosquitto_pub.py"),
    Some(r"C:\Windows\System32\rundll32.exe"),
    Some("/usr/bin/python3"),
    Some("/usr/bin/home-assistant"),
    Some(r"C:\home-assistant\python.exe"),
    Some(r"C:\Program Files\Vendor Agent\agent.exe"),
    Some(r"c:\program files\vendor agent\bin\Updater.EXE"),
    Some(r"C:\Program Files\Vendor Agentx\agent.exe"),
    Some(r"D:\relay\MQTT-Relay.exe"),
    Some("/usr/local/bin/mqtt-relay"),
    Some("/opt/we?rd/tool"),
    Some("/opt/weird/tool"),
    None,
];

const DESTINATIONS: &[&str] = &[
    "8.8.8.8",
    "198.41.30.241",
    "203.0.113.5",
    "203.0.113.200",
    "192.0.2.10",
    "192.0.2.11",
    "10.1.2.3",
    "172.20.5.5",
    "172.15.0.1",
    "172.32.0.1",
    "192.168.1.10",
    "100.64.3.3",
    "100.128.0.1",
    "127.0.0.1",
    "169.254.10.1",
    "198.51.100.9",
    "::1",
    "fd12:3456::1",
    "fe80::1",
    "2001:db8::1",
    "2001:db8:42::7",
    "::ffff:10.0.0.5",
    "::ffff:8.8.4.4",
    "::ffff:203.0.113.9",
];

const OTHER_PORTS: &[u16] = &[443, 80, 4222, 1884];

/// 2026-01-05T00:00:00Z, in microseconds.
const DAY_START: i64 = 1_767_571_200_000_000;
const MINUTE: i64 = 60_000_000;

struct Scenario {
    host: &'static str,
    process: Option<&'static str>,
    dst: &'static str,
    port: u16,
    connections: usize,
}

/// Hand-picked groups that hit every edge of the analytic, then random ones.
fn scenarios(cfg: &HuntConfig, rng: &mut Lcg) -> Vec<Scenario> {
    let s = |host, process, dst, port, connections| Scenario {
        host,
        process,
        dst,
        port,
        connections,
    };
    let ha = Some("/usr/bin/home-assistant");
    let agent = Some(r"C:\Program Files\Vendor Agent\agent.exe");
    let mut out = vec![
        s("ws-01", ha, "203.0.113.5", 1883, 3),
        s(
            "ws-01",
            Some(r"C:\home-assistant\python.exe"),
            "203.0.113.5",
            1883,
            3,
        ),
        s("ws-01", ha, "::ffff:203.0.113.9", 8883, 3),
        s("build-07", agent, "8.8.8.8", 5222, 3),
        s(
            "BUILD-08",
            Some(r"c:\program files\vendor agent\bin\Updater.EXE"),
            "198.41.30.241",
            61613,
            4,
        ),
        s(
            "build-07",
            Some(r"C:\Program Files\Vendor Agentx\agent.exe"),
            "8.8.8.8",
            5222,
            3,
        ),
        s("ws-02", agent, "8.8.8.8", 5222, 3),
        s("ws-01", Some("/usr/bin/python3"), "192.0.2.10", 5222, 3),
        s("ws-01", Some("/usr/bin/python3"), "192.0.2.10", 5223, 3),
        s("ws-01", Some("/usr/bin/python3"), "192.0.2.11", 5222, 3),
        s("ws-02", Some(r"C:\Tools\MOSQUITTO.EXE"), "8.8.8.8", 1883, 3),
        s("ws-02", Some("/usr/bin/mosquitto_sub"), "8.8.8.8", 8883, 3),
        s("ws-02", Some("mosquitto"), "8.8.8.8", 1883, 2),
        s(
            "ws-02",
            Some(r"C:\Tools\mosquittox.exe"),
            "8.8.8.8",
            1883,
            3,
        ),
        s(
            "ws-02",
            Some("/opt/mqtt/mosquitto_pub.py"),
            "8.8.8.8",
            1883,
            3,
        ),
        s(
            "ws-02",
            Some(r"D:\relay\MQTT-Relay.exe"),
            "8.8.8.8",
            1883,
            3,
        ),
        s("ws-02", None, "8.8.8.8", 1883, 3),
        s("LAB-3", Some("/usr/bin/python3"), "8.8.8.8", 5222, 3),
        s("srv-9", Some("/usr/bin/python3"), "172.20.5.5", 5222, 3),
        s("srv-9", Some("/usr/bin/python3"), "100.64.3.3", 61614, 3),
        s("srv-9", Some("/usr/bin/python3"), "172.32.0.1", 5222, 3),
        s(
            "srv-9",
            Some("/usr/bin/python3"),
            "::ffff:10.0.0.5",
            5222,
            3,
        ),
        s("srv-9", Some("/usr/bin/python3"), "::ffff:8.8.4.4", 5222, 3),
        s("srv-9", Some("/usr/bin/python3"), "198.51.100.9", 5222, 3),
        s("srv-9", Some("/usr/bin/python3"), "2001:db8:42::7", 5269, 3),
        s("srv-9", Some("/usr/bin/python3"), "fe80::1", 61613, 3),
        s("srv-9", Some("/usr/bin/python3"), "203.0.113.200", 5671, 3),
        s("srv-9", Some("/usr/bin/python3"), "10.1.2.3", 5672, 3),
        s("srv-9", Some("/usr/bin/python3"), "8.8.8.8", 4222, 3),
        s("srv-9", Some("/usr/bin/python3"), "8.8.8.8", 443, 3),
    ];
    let mut ports = cfg.all_ports();
    ports.extend_from_slice(OTHER_PORTS);
    for _ in 0..120 {
        out.push(Scenario {
            host: rng.pick(HOSTS),
            process: rng.pick(PROCESSES),
            dst: rng.pick(DESTINATIONS),
            port: rng.pick(&ports),
            connections: 1 + rng.below(5),
        });
    }
    out
}

/// Connections for the scenarios: each group starts somewhere in the first 20 hours of one UTC
/// day and repeats every 1 to 40 minutes (so hour windows split some groups), with a mix of
/// transports and directions.
fn generate(cfg: &HuntConfig, seed: u64) -> Vec<ConnEvent> {
    let mut rng = Lcg(seed);
    let mut events = Vec::new();
    for sc in scenarios(cfg, &mut rng) {
        let mut ts =
            DAY_START + rng.below(20 * 60) as i64 * MINUTE + rng.below(60) as i64 * 1_000_000;
        let step = (1 + rng.below(40)) as i64 * MINUTE;
        for _ in 0..sc.connections {
            let dst: IpAddr = sc.dst.parse().unwrap();
            let src: IpAddr = if dst.is_ipv4() {
                "10.9.8.7".parse().unwrap()
            } else {
                "fd00::7".parse().unwrap()
            };
            let mut ev = ConnEvent::tcp(src, dst, sc.port);
            ev.ts = Some(ts);
            ev.host = Some(sc.host.to_string());
            ev.process = sc.process.map(String::from);
            ev.user = Some(format!("CORP\\{}", sc.host.to_ascii_lowercase()));
            ev.src_port = Some(49_152 + rng.below(10_000) as u16);
            ev.outcome = Outcome::Unknown;
            ev.transport = match rng.below(10) {
                0 => Transport::Udp,
                1 => Transport::Unknown,
                _ => Transport::Tcp,
            };
            ev.direction = match rng.below(20) {
                0..=2 => Direction::Inbound,
                3..=5 => Direction::Unknown,
                _ => Direction::Outbound,
            };
            events.push(ev);
            ts += step;
        }
    }
    events.sort_by_key(|e| e.ts);
    events
}

/// The Sysmon Event ID 3 record of a connection (flat, as OTRF and NXLog ship them). Fields a
/// `ConnEvent` does not know are left out, as the engine treats them: no `Protocol` for an
/// unknown transport, no `Initiated` for an unknown direction, no `Image` for an unknown process.
fn sysmon(ev: &ConnEvent) -> Value {
    let mut m = serde_json::Map::new();
    m.insert("EventID".into(), json!(3));
    m.insert(
        "Channel".into(),
        json!("Microsoft-Windows-Sysmon/Operational"),
    );
    if let Some(h) = &ev.host {
        m.insert("Computer".into(), json!(h));
    }
    if let Some(p) = &ev.process {
        m.insert("Image".into(), json!(p));
    }
    if let Some(u) = &ev.user {
        m.insert("User".into(), json!(u));
    }
    match ev.transport {
        Transport::Tcp => {
            m.insert("Protocol".into(), json!("tcp"));
        }
        Transport::Udp => {
            m.insert("Protocol".into(), json!("udp"));
        }
        Transport::Other | Transport::Unknown => {}
    }
    match ev.direction {
        Direction::Outbound => {
            m.insert("Initiated".into(), json!("true"));
        }
        Direction::Inbound => {
            m.insert("Initiated".into(), json!("false"));
        }
        Direction::Unknown => {}
    }
    if let Some(ip) = ev.src_ip {
        m.insert("SourceIp".into(), json!(ip.to_string()));
        m.insert(
            "SourceIsIpv6".into(),
            json!(if ip.is_ipv6() { "true" } else { "false" }),
        );
    }
    if let Some(p) = ev.src_port {
        m.insert("SourcePort".into(), json!(p.to_string()));
    }
    m.insert("DestinationIp".into(), json!(ev.dst_ip.to_string()));
    m.insert(
        "DestinationIsIpv6".into(),
        json!(if ev.dst_ip.is_ipv6() { "true" } else { "false" }),
    );
    // Sysmon exports write the port as a number (NXLog) or as a string (OTRF, Winlogbeat's
    // event_data); both occur here.
    if ev.src_port.is_some_and(|p| p % 2 == 1) {
        m.insert("DestinationPort".into(), json!(ev.dst_port.to_string()));
    } else {
        m.insert("DestinationPort".into(), json!(ev.dst_port));
    }
    Value::Object(m)
}

/// (window, host, process, destination address, destination port)
type Key = (Option<i64>, String, Option<String>, String, u16);

fn window_of(cfg: &HuntConfig, ts: Option<i64>) -> Option<i64> {
    cfg.window.micros().map(|w| ts.unwrap().div_euclid(w))
}

fn key_of(cfg: &HuntConfig, ev: &ConnEvent) -> Key {
    (
        window_of(cfg, ev.ts),
        ev.host_key(),
        ev.process.clone(),
        ev.dst_ip.to_string(),
        ev.dst_port,
    )
}

/// The level in a rule title ("..., high suspicion").
fn title_level(title: &str) -> Suspicion {
    let word = title
        .trim_end_matches(" suspicion")
        .rsplit(' ')
        .next()
        .unwrap();
    word.parse().unwrap_or_else(|e| panic!("{title}: {e}"))
}

struct EngineView {
    /// Per event: the level its group is reported at when every group counts (threshold 1).
    selected: Vec<Option<Suspicion>>,
    /// Reported groups with the real threshold: level and connections.
    groups: BTreeMap<Key, (Suspicion, u64)>,
}

/// An engine alert (one per channel) as the rows a windowed SIEM rule gives: one per window the
/// channel was active in, with its connections there; one row without a window.
fn per_window(cfg: &HuntConfig, a: &Alert) -> Vec<(Key, (Suspicion, u64))> {
    let key = |window: Option<i64>| {
        (
            window,
            a.host.clone(),
            a.process.clone(),
            a.dst_ip.to_string(),
            a.dst_port,
        )
    };
    match (&a.windows, cfg.window.micros()) {
        (Some(windows), Some(len)) => windows
            .iter()
            .map(|w| {
                (
                    key(Some(w.start.div_euclid(len))),
                    (a.suspicion, w.connections),
                )
            })
            .collect(),
        _ => vec![(
            key(window_of(cfg, a.first_seen)),
            (a.suspicion, a.connections),
        )],
    }
}

fn engine_view(cfg: &HuntConfig, events: &[ConnEvent]) -> EngineView {
    // The exported rules are the seed analytic; behaviour scoring is the engine's own addition.
    let mut seed = cfg.clone();
    seed.behaviour.enabled = false;
    let cfg = &seed;
    let run = |cfg: &HuntConfig| {
        let engine = Engine::new(cfg.clone());
        let mut acc = Accumulator::new();
        for e in events {
            engine.observe(e, &mut acc);
        }
        engine.finish(acc).0
    };
    let groups: BTreeMap<Key, (Suspicion, u64)> = run(cfg)
        .into_iter()
        .flat_map(|a| per_window(cfg, &a))
        .filter(|(_, (_, n))| *n >= cfg.min_connections)
        .collect();
    let mut every_group = cfg.clone();
    every_group.min_connections = 1;
    every_group.behaviour.enabled = false;
    let rated: BTreeMap<Key, Suspicion> = run(&every_group)
        .into_iter()
        .flat_map(|a| per_window(cfg, &a))
        .map(|(k, (level, _))| (k, level))
        .collect();
    let engine = Engine::new(cfg.clone());
    let selected = events
        .iter()
        .map(|e| {
            let counted = engine.observe(e, &mut Accumulator::new()) == EventOutcome::Counted;
            if counted {
                rated.get(&key_of(cfg, e)).copied()
            } else {
                None
            }
        })
        .collect();
    EngineView { selected, groups }
}

struct SigmaView {
    selected: Vec<Option<Suspicion>>,
    groups: BTreeMap<Key, (Suspicion, u64)>,
}

fn sigma_view(cfg: &HuntConfig, sigma: &str, events: &[ConnEvent]) -> Result<SigmaView, String> {
    let collection = rsigma_parser::parse_sigma_yaml(sigma).map_err(|e| e.to_string())?;
    if collection.has_errors() {
        return Err(format!("rsigma parse errors: {:?}", collection.errors));
    }
    let mut detector = rsigma_eval::Engine::new();
    detector
        .add_collection(&collection)
        .map_err(|e| e.to_string())?;
    let mut correlator = CorrelationEngine::new(CorrelationConfig::default());
    correlator
        .add_collection(&collection)
        .map_err(|e| e.to_string())?;

    let mut selected = Vec::new();
    let mut groups: BTreeMap<Key, (Suspicion, u64)> = BTreeMap::new();
    for ev in events {
        let json = sysmon(ev);
        let event = JsonEvent::borrow(&json);
        let levels: Vec<Suspicion> = detector
            .evaluate(&event)
            .iter()
            .map(|r| title_level(&r.header.rule_title))
            .collect();
        if levels.len() > 1 {
            return Err(format!("{json} matched several levels: {levels:?}"));
        }
        selected.push(levels.first().copied());

        let ts_secs = ev.ts.unwrap().div_euclid(1_000_000);
        for result in correlator.process_event_at(&event, ts_secs) {
            let Some(body) = result.as_correlation() else {
                continue;
            };
            let field = |name: &str| {
                body.group_key
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            let key: Key = (
                window_of(cfg, ev.ts),
                field("Computer").unwrap_or_default(),
                field("Image"),
                field("DestinationIp").unwrap_or_default(),
                field("DestinationPort")
                    .and_then(|p| p.parse().ok())
                    .unwrap_or_default(),
            );
            let level = title_level(&result.header.rule_title);
            let count = body.aggregated_value as u64;
            let entry = groups.entry(key).or_insert((level, count));
            if entry.0 != level {
                return Err(format!("group fired at two levels: {entry:?} and {level}"));
            }
            entry.1 = entry.1.max(count);
        }
    }
    Ok(SigmaView { selected, groups })
}

/// Every difference between the engine and the Sigma rules on these events.
fn differences(cfg: &HuntConfig, sigma: &str, events: &[ConnEvent]) -> Vec<String> {
    let want = engine_view(cfg, events);
    let got = match sigma_view(cfg, sigma, events) {
        Ok(v) => v,
        Err(e) => return vec![e],
    };
    let mut diffs = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        if want.selected[i] != got.selected[i] {
            diffs.push(format!(
                "connection {i} {}: engine {:?}, sigma {:?}",
                sysmon(ev),
                want.selected[i],
                got.selected[i]
            ));
        }
    }
    let keys: BTreeSet<&Key> = want.groups.keys().chain(got.groups.keys()).collect();
    for k in keys {
        let (w, g) = (want.groups.get(k), got.groups.get(k));
        if w != g {
            diffs.push(format!(
                "group {k:?}: engine {w:?}, sigma correlation {g:?}"
            ));
        }
    }
    diffs
}

/// Runs the comparison and checks that the data really exercised the analytic, so that a
/// vacuous pass (nothing selected, nothing reported) cannot happen.
fn assert_equivalent(cfg: &HuntConfig, seed: u64) {
    let events = generate(cfg, seed);
    assert!(events.len() >= 300, "only {} events", events.len());
    let sigma = export(Target::Sigma, cfg, "test");
    let diffs = differences(cfg, &sigma, &events);
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );

    let view = engine_view(cfg, &events);
    let selected = view.selected.iter().filter(|s| s.is_some()).count();
    eprintln!(
        "{} connections, {selected} selected by a detection rule, {} groups reported",
        events.len(),
        view.groups.len()
    );
    assert!(
        selected >= 40 && selected < events.len(),
        "selected {selected} of {}",
        events.len()
    );
    let levels: BTreeSet<Suspicion> = view.groups.values().map(|(s, _)| *s).collect();
    let want_levels: BTreeSet<Suspicion> = [Suspicion::High, Suspicion::Medium, Suspicion::Low]
        .into_iter()
        .filter(|s| *s >= cfg.min_suspicion)
        .collect();
    assert_eq!(levels, want_levels, "every reported level must occur");
    // Some groups selected per connection stay below the threshold.
    let below = view
        .selected
        .iter()
        .zip(&events)
        .filter(|(s, e)| s.is_some() && !view.groups.contains_key(&key_of(cfg, e)))
        .count();
    assert!(
        below > 0,
        "no selected connection in a group below the threshold"
    );
}

#[test]
fn default_config_sigma_matches_the_engine() {
    assert_equivalent(&common::default_config(), 1);
}

/// How many allowlist entries suppressed at least one group, counting every group (threshold
/// 1, as the per-connection comparison does), and how many entries apply to pubsub-port.
fn allowlist_use(cfg: &HuntConfig, events: &[ConnEvent]) -> (usize, usize) {
    let mut every_group = cfg.clone();
    every_group.min_connections = 1;
    every_group.behaviour.enabled = false;
    let engine = Engine::new(every_group);
    let mut acc = Accumulator::new();
    for e in events {
        engine.observe(e, &mut acc);
    }
    let (_, summary) = engine.finish(acc);
    let applicable = cfg
        .allowlist
        .iter()
        .filter(|e| e.analytic.is_none_or(|a| a.as_str() == "pubsub-port"))
        .count();
    (summary.suppressed.len(), applicable)
}

#[test]
fn tuned_config_sigma_matches_the_engine() {
    let cfg = common::tuned_config();
    assert_equivalent(&cfg, 2);
    // The tuning mattered on these events: every applicable allowlist entry suppressed some
    // group, so the comparison covered each of them.
    let (used, applicable) = allowlist_use(&cfg, &generate(&cfg, 2));
    assert_eq!((used, applicable), (3, 3));
}

#[test]
fn all_levels_config_sigma_matches_the_engine() {
    assert_equivalent(&common::low_config(), 3);
}

#[test]
fn another_seed_for_the_tuned_config() {
    assert_equivalent(&common::tuned_config(), 42);
}

/// Edge configurations: the comparison holds there too, and the data still selects something.
#[test]
fn odd_configs_sigma_matches_the_engine() {
    for (i, cfg) in common::odd_configs().iter().enumerate() {
        let events = generate(cfg, 100 + i as u64);
        let sigma = export(Target::Sigma, cfg, "odd");
        let diffs = differences(cfg, &sigma, &events);
        assert!(diffs.is_empty(), "config {i}: {}", diffs.join("\n"));
        let view = engine_view(cfg, &events);
        assert!(!view.groups.is_empty(), "config {i}: nothing reported");
        let (used, applicable) = allowlist_use(cfg, &events);
        assert_eq!(
            used, applicable,
            "config {i}: an allowlist entry never applied"
        );
    }
}

/// The comparison has teeth: each of these small mistakes in the export is noticed.
#[test]
fn the_comparison_notices_wrong_rules() {
    let cfg = common::tuned_config();
    let events = generate(&cfg, 2);
    let good = export(Target::Sigma, &cfg, "test");
    assert!(differences(&cfg, &good, &events).is_empty());

    let no_mapped: String = good
        .lines()
        .filter(|l| !l.contains("'::ffff:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let off_by_one = good.replace("gte: 3", "gte: 2");
    let tcp_only = good.replace("        - Protocol: null\n", "");
    let seed_scope = good.replace("            - '172.16.0.0/12'\n", "");
    let sliding = good.replace("    window: tumbling\n", "");
    for (what, bad) in [
        ("sliding instead of tumbling windows", sliding),
        ("IPv4-mapped ranges dropped", no_mapped),
        ("threshold off by one", off_by_one),
        ("unknown transport dropped", tcp_only),
        ("172.16/12 dropped", seed_scope),
    ] {
        assert_ne!(bad, good, "{what}: mutation did not apply");
        assert!(
            !differences(&cfg, &bad, &events).is_empty(),
            "{what} went unnoticed"
        );
    }
}
