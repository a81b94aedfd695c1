//! A host's timer to a service that answers from several addresses, through the whole engine:
//! check-ins spread over a round robin's addresses take the timer they keep together; a session
//! held beside them on the same port, and a tool tried beside an agent's own timer there, do not.

use super::tests_peers::run;
use crate::alert::Alert;
use crate::event::ConnEvent;
use crate::signal::SignalId;
use crate::time::Micros;

const SECOND: Micros = 1_000_000;
const HOUR: Micros = 3600 * SECOND;
/// 2024-03-04T00:00:00Z, a Monday.
const MONDAY: Micros = 1_709_510_400 * SECOND;
const POOL: [&str; 4] = ["203.0.113.7", "198.51.100.40", "192.0.2.90", "203.0.113.77"];

fn conn(src: &str, dst: &str, start: Micros, secs: i64) -> ConnEvent {
    let mut e = ConnEvent::tcp(src.parse().unwrap(), dst.parse().unwrap(), 8883);
    e.ts = Some(start);
    e.end = Some(start + secs * SECOND);
    // Readings of varying size.
    e.bytes_out = Some(500 + (start / SECOND % 7 * 61) as u64);
    e.bytes_in = Some(400);
    e
}

/// A day of check-ins every 15 minutes (a few seconds late or early), each to the address of
/// `POOL` a round robin picks: irregular at each address.
fn check_ins(src: &str) -> Vec<ConnEvent> {
    (0..96i64)
        .map(|k| {
            let pick = round_robin(k, POOL.len());
            let ts = MONDAY + k * 900 * SECOND + (k * 37 % 23) * SECOND;
            conn(src, POOL[pick], ts, 3)
        })
        .collect()
}

/// The round robin's pick for check-in `k` among `n` addresses: a mix of its number (splitmix64).
fn round_robin(k: i64, n: usize) -> usize {
    let mut x = (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((x ^ (x >> 31)) % n as u64) as usize
}

fn of<'a>(alerts: &'a [Alert], src: &str, dst: &str) -> &'a Alert {
    alerts
        .iter()
        .find(|a| a.host == src && a.dst_ip.to_string() == dst)
        .unwrap_or_else(|| panic!("no alert for {src} -> {dst} in {alerts:#?}"))
}

fn beacon(a: &Alert) -> Option<f64> {
    a.signals.get(&SignalId::Beacon).copied()
}

#[test]
fn check_ins_spread_over_a_round_robin_keep_its_timer_at_each_address() {
    let alerts = run(&check_ins("10.0.0.5"));
    for dst in POOL {
        let a = of(&alerts, "10.0.0.5", dst);
        assert!(beacon(a).is_some_and(|w| w > 0.0), "{a:#?}");
        assert!(
            a.reasons
                .iter()
                .any(|r| r.contains("timed over the host's 96 connections to the 4 external")),
            "{a:#?}"
        );
    }
}

#[test]
fn a_session_held_beside_them_on_the_same_port_takes_no_timer() {
    let mut events = check_ins("10.0.0.5");
    // A chat-like session through the working day, reopened twice.
    for (start, hours) in [(8, 3), (12, 5), (18, 1)] {
        events.push(conn(
            "10.0.0.5",
            "192.0.2.200",
            MONDAY + start * HOUR,
            hours * 3600,
        ));
    }
    let alerts = run(&events);
    assert!(beacon(of(&alerts, "10.0.0.5", POOL[0])).is_some());
    assert_eq!(beacon(of(&alerts, "10.0.0.5", "192.0.2.200")), None);
}

#[test]
fn a_tool_tried_beside_an_agents_own_timer_takes_none() {
    // An agent keeping a timer to one address on its own, and three short tries of a tool at
    // another address of the same port in the afternoon.
    let mut events: Vec<ConnEvent> = (0..96i64)
        .map(|k| conn("10.0.0.6", POOL[0], MONDAY + k * 900 * SECOND, 2))
        .collect();
    for m in [14 * 60 + 3, 14 * 60 + 41, 16 * 60 + 2] {
        events.push(conn(
            "10.0.0.6",
            "192.0.2.201",
            MONDAY + m * 60 * SECOND,
            40,
        ));
    }
    let alerts = run(&events);
    assert!(beacon(of(&alerts, "10.0.0.6", POOL[0])).is_some());
    let tool = of(&alerts, "10.0.0.6", "192.0.2.201");
    assert_eq!(beacon(tool), None, "{tool:#?}");
}
