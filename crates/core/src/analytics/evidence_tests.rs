//! Engine-level tests of the evidence this module gathers: single-shot tools rated on their first
//! exchange, masqueraded system binaries through the default allowlist, interactive use against
//! machine timers, and strong behaviour ranking above the seed's protocol prior.

use crate::alert::Alert;
use crate::analytics::{Accumulator, Engine, HuntSummary};
use crate::app::{AppInfo, TopicDirection};
use crate::behaviour::Weights;
use crate::config::HuntConfig;
use crate::event::ConnEvent;
use crate::protocol::Protocol;
use crate::signal::SignalId;
use crate::time::Micros;
use crate::verdict::Suspicion;

const SECOND: Micros = 1_000_000;
const HOUR: Micros = 3600 * SECOND;
/// 2024-03-04T00:00:00Z, a Monday.
const MONDAY: Micros = 1_709_510_400 * SECOND;

fn run(cfg: HuntConfig, events: &[ConnEvent]) -> (Vec<Alert>, HuntSummary) {
    let engine = Engine::new(cfg);
    let mut acc = Accumulator::new();
    for e in events {
        engine.observe(e, &mut acc);
    }
    engine.finish(acc)
}

fn cfg_all() -> HuntConfig {
    HuntConfig::from_toml_str("[analytics]\nmin_suspicion = \"low\"\ndefault_allowlist = false")
        .unwrap()
}

fn conn(src: &str, dst: &str, port: u16, start: Micros) -> ConnEvent {
    let mut e = ConnEvent::tcp(src.parse().unwrap(), dst.parse().unwrap(), port);
    e.ts = Some(start);
    e
}

/// One MQTT exchange from `process`: a CONNECT with `client_id`, then one PUBLISH or SUBSCRIBE.
fn mqtt_once(
    process: Option<&str>,
    client_id: &str,
    direction: TopicDirection,
    topic: &str,
    payload: &[u8],
) -> ConnEvent {
    let start = MONDAY + 10 * HOUR;
    let mut e = conn("127.0.0.1", "127.0.0.1", 1883, start);
    e.end = Some(start + SECOND);
    e.process = process.map(String::from);
    e.bytes_out = Some(120);
    e.bytes_in = Some(4);
    let mut app = AppInfo {
        protocol: Some(Protocol::Mqtt),
        ..AppInfo::default()
    };
    app.add_client_id(client_id);
    match direction {
        TopicDirection::Publish => {
            app.add_message(start, direction, Some(topic), payload, payload.len() as u32)
        }
        TopicDirection::Subscribe => {
            app.add_topic(topic, direction, 0);
        }
    }
    e.app = Some(Box::new(app));
    e
}

#[test]
fn a_mosquitto_client_publishing_host_data_to_c2_alerts_on_its_first_connection() {
    // The default configuration: loopback is internal, so the seed rates this MQTT low and
    // needs two connections.
    let cfg = HuntConfig::default();
    let pub_ = mqtt_once(
        Some("/usr/bin/mosquitto_pub"),
        "mosq-AbCdEfGhIjKlMnOpQr",
        TopicDirection::Publish,
        "c2/beacon",
        b"ws-1|root|Linux ws-1 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux",
    );
    let (alerts, summary) = run(cfg.clone(), std::slice::from_ref(&pub_));
    assert_eq!(alerts.len(), 1, "{summary:?}");
    let a = &alerts[0];
    assert_eq!(a.seed_suspicion, Suspicion::Low);
    assert_eq!(a.suspicion, Suspicion::Medium, "{:#?}", a.reasons);
    for id in ["c2_vocabulary", "payload_host_data", "single_shot_tool"] {
        assert!(a.signals.contains_key(id), "{id}: {:?}", a.signals);
    }
    assert!(
        a.reasons
            .iter()
            .any(|r| r.starts_with("rated on its first exchange")),
        "{:#?}",
        a.reasons
    );
    // Stock client ids are not on the default list, and the Mosquitto clients' entry yields to
    // this evidence: nothing suppresses it.
    assert!(a.suppressed_by.is_none());

    // The same from a capture, with no process: the content alone is enough for medium.
    let mut anonymous = pub_.clone();
    anonymous.process = None;
    let (alerts, _) = run(cfg.clone(), &[anonymous]);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].suspicion, Suspicion::Medium, "{:#?}", alerts[0]);

    // A subscriber on the command tree.
    let sub = mqtt_once(
        Some("/usr/bin/mosquitto_sub"),
        "mosq-QrStUvWxYzAbCdEfGh",
        TopicDirection::Subscribe,
        "c2/commands/#",
        b"",
    );
    let (alerts, _) = run(cfg.clone(), &[sub]);
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].suspicion >= Suspicion::Medium);
    assert!(alerts[0].signals.contains_key("wildcard_command_tree"));

    // Plain use of the same tool stays quiet: nothing to rate on one connection.
    let plain = mqtt_once(
        Some("/usr/bin/mosquitto_pub"),
        "mosq-AbCdEfGhIjKlMnOpQr",
        TopicDirection::Publish,
        "sensors/x",
        b"21.5",
    );
    let (alerts, summary) = run(cfg_all(), &[plain]);
    assert!(alerts.is_empty(), "{alerts:#?}");
    assert_eq!(summary.below_threshold, 1);
}

#[test]
fn nc_typing_xmpp_alerts_on_its_first_connection() {
    let mut e = conn("127.0.0.1", "127.0.0.1", 5222, MONDAY + 10 * HOUR);
    e.process = Some("/usr/bin/nc.openbsd".into());
    let (alerts, _) = run(HuntConfig::default(), &[e.clone()]);
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.seed_suspicion, Suspicion::Medium);
    assert_eq!(a.suspicion, Suspicion::High);
    assert!(
        a.reasons.iter().any(|r| r.contains("XMPP typed by hand")),
        "{:#?}",
        a.reasons
    );
    // Without the process and content, one connection is still below the seed's threshold.
    e.process = None;
    let (alerts, _) = run(HuntConfig::default(), &[e]);
    assert!(alerts.is_empty());
}

/// Connections from `src` to `dst:port` every `every` from `first`, `n` times, each open `open`
/// with bytes both ways.
fn timer(
    (src, dst, port): (&str, &str, u16),
    process: Option<&str>,
    first: Micros,
    every: Micros,
    open: Micros,
    n: i64,
) -> Vec<ConnEvent> {
    (0..n)
        .map(|i| {
            let start = first + i * every;
            let mut e = conn(src, dst, port, start);
            e.end = Some(start + open);
            e.process = process.map(String::from);
            e.bytes_out = Some(400);
            e.bytes_in = Some(300);
            e
        })
        .collect()
}

#[test]
fn a_masqueraded_wmiprvse_relaying_through_internal_xmpp_is_high_despite_the_default_allowlist() {
    // Every 10 minutes for 8 hours, from C:\Users\Public\Libraries (Sysmon: no end times).
    let mut events = timer(
        ("10.1.2.3", "10.0.0.5", 5222),
        Some(r"C:\Users\Public\Libraries\wmiprvse.exe"),
        MONDAY + 9 * HOUR,
        600 * SECOND,
        0,
        48,
    );
    for e in &mut events {
        e.end = None;
        e.bytes_in = None;
        e.bytes_out = None;
    }
    let (alerts, _) = run(HuntConfig::default(), &events);
    assert_eq!(alerts.len(), 1, "suppressed by the default allowlist?");
    let a = &alerts[0];
    assert_eq!(a.suspicion, Suspicion::High, "{:#?}", a.reasons);
    assert!(a.signals.contains_key("masqueraded_system_binary"));
    assert!(a.reasons.iter().any(|r| r.contains("T1036.005")));
}

/// An unrelated connection a week after [`MONDAY`], so the data covers nights and a weekend.
fn week_end() -> ConnEvent {
    let mut edge = conn("10.9.9.9", "10.0.0.1", 80, MONDAY + 7 * 24 * HOUR);
    edge.end = edge.ts;
    edge
}

/// A chat client's working week: sessions opened in the morning, reconnected over lunch and
/// closed in the evening, at times that differ from day to day.
fn working_week(dst: &str, port: u16, process: Option<&str>, shift: Micros) -> Vec<ConnEvent> {
    (0..5i64)
        .flat_map(|d| {
            let day = MONDAY + d * 24 * HOUR + shift;
            let j = d * 7 * 60 * SECOND;
            [
                (day + 8 * HOUR + j, day + 12 * HOUR + 2 * j),
                (day + 13 * HOUR - j, day + 17 * HOUR + 3 * j),
            ]
        })
        .map(|(start, end)| {
            let mut e = conn("10.1.2.4", dst, port, start);
            e.end = Some(end);
            e.process = process.map(String::from);
            e.bytes_out = Some(80_000);
            e.bytes_in = Some(120_000);
            e
        })
        .collect()
}

#[test]
fn interactive_chat_is_lowered_and_a_machine_at_night_is_not() {
    let pidgin = Some(r"C:\Program Files (x86)\Pidgin\pidgin.exe");
    // A week of data, so nights and a weekend are in it.
    let mut events = working_week("198.51.100.7", 5222, pidgin, 0);
    events.push(week_end());
    let (alerts, _) = run(cfg_all(), &events);
    let chat = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Xmpp)
        .unwrap();
    assert_eq!(chat.seed_suspicion, Suspicion::High);
    assert!(chat.signals.contains_key("interactive_use"), "{chat:#?}");
    assert_eq!(chat.suspicion, Suspicion::Low, "{:#?}", chat.reasons);
    // Not reported at the default least suspicion.
    let (alerts, _) = run(HuntConfig::default(), &events);
    assert!(!alerts.iter().any(|a| a.protocol == Protocol::Xmpp));

    // The same sessions twelve hours later run at night: no benign evidence.
    let mut night = working_week("198.51.100.7", 5222, pidgin, 12 * HOUR);
    night.push(events.last().cloned().unwrap());
    let (alerts, _) = run(cfg_all(), &night);
    let chat = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Xmpp)
        .unwrap();
    assert!(!chat.signals.contains_key("interactive_use"), "{chat:#?}");
    // Sysmon names the program and nothing about it or the channel is suspicious: the seed's
    // prior alone gives way (`process_unremarkable`).
    assert!(
        chat.signals.contains_key("process_unremarkable"),
        "{chat:#?}"
    );
    assert_eq!(chat.suspicion, Suspicion::Low);
    // Without the program (conn.log), the absence of evidence says nothing: still reported, the
    // seed's high counting as medium.
    let mut unnamed = night.clone();
    for e in &mut unnamed {
        e.process = None;
    }
    let (alerts, _) = run(cfg_all(), &unnamed);
    let chat = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Xmpp)
        .unwrap();
    assert!(!chat.signals.contains_key("interactive_use"), "{chat:#?}");
    assert!(
        !chat.signals.contains_key("process_unremarkable"),
        "{chat:#?}"
    );
    assert_eq!(chat.suspicion, Suspicion::Medium);

    // The site's offset moves working hours: in UTC-12 the night sessions are daytime ones (in
    // UTC+12 the last two would fall on a Saturday).
    let mut west = cfg_all();
    west.behaviour.interactive.utc_offset_hours = Some(-12.0);
    let (alerts, _) = run(west, &night);
    let chat = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Xmpp)
        .unwrap();
    assert!(chat.signals.contains_key("interactive_use"), "{chat:#?}");
}

#[test]
fn a_developers_worker_is_lowered_and_an_implant_uploading_in_the_same_hours_is_not() {
    let java = Some(r"C:\Users\dev\.jdks\temurin-21.0.2\bin\java.exe");
    let mut events = working_week("198.51.100.9", 5671, java, 0);
    let edge = week_end();
    events.push(edge.clone());
    let (alerts, _) = run(cfg_all(), &events);
    let worker = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Amqp)
        .unwrap();
    // Full weight on AMQP too, now that an implant's uploads earn none; the interpreter in the
    // developer's toolchain weighs nothing.
    assert_eq!(
        worker.signals.get("interactive_use"),
        Some(&Weights::default().interactive_use),
        "{worker:#?}"
    );
    assert_eq!(worker.signals.get("process_interpreter"), Some(&0.0));
    assert_eq!(worker.suspicion, Suspicion::Low, "{:#?}", worker.reasons);

    // The same hours, but the session uploads and gets acknowledgements back (as conn.log
    // sees it, without the program: an implant in the developer's own JDK with nothing else to
    // show would be `process_unremarkable`).
    let mut implant = working_week("198.51.100.9", 5671, None, 0);
    for e in &mut implant {
        e.bytes_out = Some(85_000);
        e.bytes_in = Some(2_200);
    }
    implant.push(edge);
    let (alerts, _) = run(cfg_all(), &implant);
    let a = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Amqp)
        .unwrap();
    assert!(!a.signals.contains_key("interactive_use"), "{a:#?}");
    assert_eq!(a.suspicion, Suspicion::Medium, "{:#?}", a.reasons);
}

#[test]
fn a_beacon_in_working_hours_is_not_interactive() {
    // Every 10 minutes, 09:00-17:00 on weekdays, sessions of 9 minutes with bytes both ways.
    let mut events: Vec<ConnEvent> = (0..5i64)
        .flat_map(|d| {
            timer(
                ("10.1.2.5", "198.51.100.9", 5222),
                None,
                MONDAY + d * 24 * HOUR + 9 * HOUR,
                600 * SECOND,
                540 * SECOND,
                48,
            )
        })
        .collect();
    events.push(week_end());
    let (alerts, _) = run(cfg_all(), &events);
    let a = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Xmpp)
        .unwrap();
    assert!(a.signals.contains_key("beacon"), "{:?}", a.signals);
    assert!(
        !a.signals.contains_key("interactive_use"),
        "{:?}",
        a.signals
    );
    assert_eq!(a.seed_suspicion, Suspicion::High);
    assert!(a.suspicion >= Suspicion::Medium, "{:#?}", a.reasons);
}

#[test]
fn a_strong_beacon_outranks_a_chat_client_on_the_protocol_prior() {
    // A 10-minute AMQP beacon with 900 connections (external AMQP: medium by the seed) against
    // an external XMPP client (high by the seed) with no behaviour evidence.
    let mut events = timer(
        ("10.1.2.6", "203.0.113.50", 5672),
        None,
        MONDAY,
        600 * SECOND,
        2 * SECOND,
        900,
    );
    events.extend(working_week("198.51.100.7", 5222, None, 12 * HOUR));
    let (alerts, _) = run(cfg_all(), &events);
    let amqp = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Amqp)
        .unwrap();
    let chat = alerts
        .iter()
        .find(|a| a.protocol == Protocol::Xmpp)
        .unwrap();
    assert_eq!(amqp.seed_suspicion, Suspicion::Medium);
    assert_eq!(chat.seed_suspicion, Suspicion::High);
    assert!(amqp.score > chat.score, "{} {}", amqp.score, chat.score);
    assert_eq!(alerts[0].protocol, Protocol::Amqp);
}

#[test]
fn connection_spans_merge_to_the_same_earliest_ones_in_any_order() {
    use crate::analytics::group::{MAX_SPANS_PER_GROUP, add_spans, earliest_spans};
    use crate::behaviour::interactive::ConnSpan;
    let span = |i: i64| ConnSpan {
        start: (i * 7_919) % 5_003,
        end: (i * 7_919) % 5_003 + 60,
        both_ways: i % 3 != 0,
        unanswered: false,
    };
    let all: Vec<ConnSpan> = (0..3 * MAX_SPANS_PER_GROUP as i64).map(span).collect();
    let mut one = Vec::new();
    for s in &all {
        add_spans(&mut one, [*s]);
    }
    let (left, right) = all.split_at(all.len() / 3);
    let mut a = Vec::new();
    add_spans(&mut a, right.iter().rev().copied());
    let mut b = Vec::new();
    add_spans(&mut b, left.iter().copied());
    add_spans(&mut b, a);
    let mut sorted = all.clone();
    sorted.sort_unstable();
    sorted.truncate(MAX_SPANS_PER_GROUP);
    assert_eq!(earliest_spans(&one), sorted);
    assert_eq!(earliest_spans(&b), sorted);
}

/// One long session per working day for `host`, opened around 08:30 and closed around 17:30 in
/// UTC+8 (00:30 and 09:30 UTC), a few minutes apart from day to day.
fn office_days_utc8(host: &str, dst: &str) -> Vec<ConnEvent> {
    (0..5i64)
        .map(|d| {
            let open = MONDAY + d * 24 * HOUR + HOUR / 2 + (d * 3 + 1) * 60 * SECOND;
            let mut e = conn(host, dst, 5222, open);
            e.end = Some(open + 9 * HOUR - d * 4 * 60 * SECOND);
            e.bytes_out = Some(50_000);
            e.bytes_in = Some(90_000);
            e
        })
        .collect()
}

#[test]
fn the_sites_zone_is_inferred_and_a_daily_session_is_a_working_day_not_a_timer() {
    // Six people in UTC+8 open their chat client each morning; nothing configures the zone.
    let mut events: Vec<ConnEvent> = (1..=6)
        .flat_map(|i| office_days_utc8(&format!("10.1.3.{i}"), &format!("198.51.100.{i}")))
        .collect();
    events.push(week_end());
    let (alerts, _) = run(cfg_all(), &events);
    let chat = alerts.iter().find(|a| a.host == "10.1.3.2").unwrap();
    let why = chat.reasons.join("\n");
    assert!(chat.signals.contains_key("interactive_use"), "{why}");
    assert!(why.contains("UTC+8 (the site's local time"), "{why}");
    // The sessions recur daily: a working day's rhythm, so no beacon is left.
    assert!(!chat.signals.contains_key("beacon"), "{why}");
    assert!(why.contains("a person's rhythm"), "{why}");

    // Configured as UTC, the same sessions start at night: no benign evidence.
    let mut utc = cfg_all();
    utc.behaviour.interactive.utc_offset_hours = Some(0.0);
    let (alerts, _) = run(utc, &events);
    let chat = alerts.iter().find(|a| a.host == "10.1.3.2").unwrap();
    assert!(!chat.signals.contains_key("interactive_use"), "{chat:#?}");
}

#[test]
fn a_nightly_jobs_many_connections_do_not_set_the_sites_clock() {
    // The same six people, and a build job that opens 300 connections every night at 22:00 local
    // (14:00 UTC): counted by connections it would outvote them, moving "working hours" onto the
    // job's night; each channel votes once.
    let mut events: Vec<ConnEvent> = (1..=6)
        .flat_map(|i| office_days_utc8(&format!("10.1.3.{i}"), &format!("198.51.100.{i}")))
        .collect();
    for d in 0..5i64 {
        for k in 0..300i64 {
            let open = MONDAY + d * 24 * HOUR + 14 * HOUR + k * 20 * SECOND;
            let mut e = conn("10.1.4.1", "10.0.0.9", 5672, open);
            e.end = Some(open + 5 * SECOND);
            e.bytes_out = Some(900);
            e.bytes_in = Some(400);
            events.push(e);
        }
    }
    events.push(week_end());
    let (alerts, _) = run(cfg_all(), &events);
    let chat = alerts.iter().find(|a| a.host == "10.1.3.2").unwrap();
    let why = chat.reasons.join("\n");
    assert!(chat.signals.contains_key("interactive_use"), "{why}");
    assert!(why.contains("UTC+8 (the site's local time"), "{why}");
}

#[test]
fn sessions_held_across_the_logs_edges_do_not_set_the_sites_clock() {
    // A log from Monday 13:00 to Friday 14:00 UTC: thirty sensors hold one session each through
    // all of it, so their "openings" and "closings" are the log's edges, which offsets −7 to +5
    // put in working hours. Counted, they would outvote the six people of UTC+8, whose sessions
    // (00:31 to 09:30 UTC, Tuesday to Friday) would then lie at night.
    let (start, end) = (MONDAY + 13 * HOUR, MONDAY + 4 * 24 * HOUR + 14 * HOUR);
    let mut events: Vec<ConnEvent> = (1..=6)
        .flat_map(|i| office_days_utc8(&format!("10.1.3.{i}"), &format!("198.51.100.{i}")))
        .filter(|e| e.ts.is_some_and(|t| t > start))
        .collect();
    for i in 1..=30 {
        let mut e = conn(&format!("10.1.5.{i}"), "10.0.0.13", 1883, start);
        e.end = Some(end);
        e.bytes_out = Some(40_000);
        e.bytes_in = Some(2_000);
        events.push(e);
    }
    let (alerts, _) = run(cfg_all(), &events);
    let chat = alerts.iter().find(|a| a.host == "10.1.3.2").unwrap();
    let why = chat.reasons.join("\n");
    assert!(chat.signals.contains_key("interactive_use"), "{why}");
    assert!(why.contains("UTC+8 (the site's local time"), "{why}");
}

#[test]
fn a_shared_broker_does_not_excuse_what_one_host_says_there() {
    // Five hosts use a broker by hand; one of them also subscribes to a command tree.
    let mut events = Vec::new();
    for (i, host) in ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5"]
        .into_iter()
        .enumerate()
    {
        for h in [1.0, 3.7, 4.1, 9.9, 15.2, 23.4] {
            let start = MONDAY + (h * HOUR as f64) as Micros + i as Micros * 97 * SECOND;
            let mut e = conn(host, "198.51.100.7", 1883, start);
            e.end = Some(start + 20 * SECOND);
            let mut app = AppInfo {
                protocol: Some(Protocol::Mqtt),
                ..AppInfo::default()
            };
            let topic = if host == "10.1.0.5" {
                "ops/commands/#"
            } else {
                "home/sensors/temperature"
            };
            app.add_topic(topic, TopicDirection::Subscribe, 0);
            e.app = Some(Box::new(app));
            events.push(e);
        }
    }
    let (alerts, _) = run(cfg_all(), &events);
    let shared = |host: &str| {
        let a = alerts
            .iter()
            .find(|a| a.host == host)
            .unwrap_or_else(|| panic!("no alert for {host}: {alerts:#?}"));
        (
            a.signals.get("shared_destination").copied(),
            a.score,
            a.reasons.clone(),
        )
    };
    let (plain, plain_score, _) = shared("10.1.0.1");
    assert_eq!(plain, Some(-20.0));
    let (commands, commands_score, reasons) = shared("10.1.0.5");
    let a = alerts.iter().find(|a| a.host == "10.1.0.5").unwrap();
    let content: f64 = ["wildcard_command_tree", "c2_vocabulary_weak"]
        .iter()
        .filter_map(|id| a.signals.get(*id))
        .sum();
    assert!(content >= 15.0, "{:#?}", a.signals);
    assert_eq!(commands, Some((-20.0 + content).min(0.0)), "{reasons:#?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("shared_destination") && r.contains("not the crowd's")),
        "{reasons:#?}"
    );
    assert!(commands_score > plain_score);
}

#[test]
fn powershell_holding_one_session_to_an_address_is_rated_on_it() {
    // A PowerShell implant that reaches each address of a cloud pool once (Sysmon: no content).
    let mut e = conn("10.1.2.9", "198.51.100.40", 8883, MONDAY + 3 * HOUR);
    e.process = Some(r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe".into());
    let (alerts, _) = run(HuntConfig::default(), std::slice::from_ref(&e));
    let a = alerts
        .iter()
        .find(|a| a.dst_ip == e.dst_ip)
        .expect("rated on one connection");
    assert!(a.signals.contains_key("process_shell"), "{a:#?}");
    assert!(a.suspicion >= Suspicion::Medium, "{:#?}", a.reasons);
    // A network tool alone touching a broker once (a port check) is not.
    e.process = Some("/usr/bin/nc".into());
    let (alerts, _) = run(HuntConfig::default(), &[e]);
    assert!(alerts.is_empty(), "{alerts:#?}");
}

#[test]
fn a_runtime_the_crowd_shares_does_not_cancel_the_crowds_credit() {
    // Five developers' Node workers on the team's hosted broker, opened at odd times, from a
    // Node unpacked outside any installer's place (an installed one weighs nothing anyway).
    let node = r"C:\tools\node-v20\node.exe";
    let mut events = Vec::new();
    for h in 1..=5i64 {
        for k in 0..4i64 {
            let mut e = conn(
                &format!("10.1.5.{h}"),
                "198.51.100.60",
                5671,
                MONDAY + (k * 29 + h * 3) * HOUR + h * 17 * 60 * SECOND,
            );
            e.process = Some(node.into());
            events.push(e);
        }
    }
    let (alerts, _) = run(cfg_all(), &events);
    let a = alerts.iter().find(|a| a.host == "10.1.5.2").unwrap();
    assert_eq!(a.signals.get("process_interpreter"), Some(&10.0), "{a:#?}");
    assert_eq!(
        a.signals.get("shared_destination"),
        Some(&Weights::default().shared_destination),
        "{:#?}",
        a.reasons
    );
    assert_eq!(a.suspicion, Suspicion::Low, "{:#?}", a.reasons);
}

/// One session from `port` carrying `n` publications of `body` an irregular few minutes apart.
fn session_with(protocol: Protocol, port: u16, body: &[u8], n: i64) -> ConnEvent {
    let start = MONDAY + 9 * HOUR;
    let mut e = conn("10.1.6.1", "198.51.100.70", port, start);
    e.end = Some(start + 8 * HOUR);
    let mut app = AppInfo {
        protocol: Some(protocol),
        ..AppInfo::default()
    };
    for i in 0..n {
        let at = start + (i * i % 17 + i * 7) * 60 * SECOND;
        app.add_message(at, TopicDirection::Publish, None, body, body.len() as u32);
    }
    e.app = Some(Box::new(app));
    e
}

#[test]
fn encoded_bodies_weigh_more_in_chat_than_in_device_telemetry() {
    let body = b"Z2sf1RjxHThlPd0L4zG0KepmpYc1hQLlTUa4QJ7db5LvV4TDI5dKONfBR+KBhjuNqrejHBxYLKIBx+tSPPCRD8hEYnXbaWSiQsVV1KJKwen7ug==";
    let w = Weights::default();
    let (alerts, _) = run(cfg_all(), &[session_with(Protocol::Xmpp, 5222, body, 12)]);
    let chat = &alerts[0];
    assert_eq!(
        chat.signals.get("payload_encoded"),
        Some(&(w.payload_encoded * 2.5)),
        "{chat:#?}"
    );
    let (alerts, _) = run(cfg_all(), &[session_with(Protocol::Mqtt, 1883, body, 12)]);
    assert_eq!(
        alerts[0].signals.get("payload_encoded"),
        Some(&w.payload_encoded)
    );
}

/// Services answering from several addresses, and sessions held for hours.
#[path = "evidence_services_tests.rs"]
mod services;

#[test]
fn a_device_naming_itself_in_its_topics_keeps_its_credit_and_a_command_word_does_not() {
    use crate::behaviour::Signal;
    let w = Weights::default();
    let sig = |id: SignalId, weight: f64| Signal::new(id, weight, "evidence");
    // Azure IoT Hub's `devices/{id}/messages/events/`: the device's own id in its topic.
    let mut own_name = vec![
        sig(SignalId::DedicatedDevice, w.dedicated_device),
        sig(SignalId::HostScopedTopic, w.host_scoped_topic),
    ];
    super::offset_shared_credit(&mut own_name);
    assert_eq!(own_name[0].weight, w.dedicated_device, "{own_name:#?}");
    // A command word is not what a device's job explains.
    let mut vocabulary = vec![
        sig(SignalId::DedicatedDevice, w.dedicated_device),
        sig(SignalId::HostScopedTopic, w.host_scoped_topic),
        sig(SignalId::C2Vocabulary, w.c2_vocabulary),
    ];
    super::offset_shared_credit(&mut vocabulary);
    assert_eq!(
        vocabulary[0].weight,
        (w.dedicated_device + w.c2_vocabulary).min(0.0)
    );
    // The crowd's credit still shrinks by a per-host topic: a crowd shares the broker, not one
    // host's channel on it.
    let mut shared = vec![
        sig(SignalId::SharedDestination, w.shared_destination),
        sig(SignalId::HostScopedTopic, w.host_scoped_topic),
    ];
    super::offset_shared_credit(&mut shared);
    assert_eq!(
        shared[0].weight,
        (w.shared_destination + w.host_scoped_topic).min(0.0)
    );
}
