//! The Sysmon renderer: one event ID 3 (NetworkConnect) per TCP connection, as OTRF "flat" JSON
//! lines (the shape of the Mordor datasets; pubsub-hunt's `sysmon-json` reader), in time order.
//!
//! Only hosts that run Sysmon appear (Windows and Linux; Sysmon for Linux uses the
//! `Linux-Sysmon` provider and channel). Every event carries the initiating image and user, the
//! local address and port, the destination and its host name, and `Initiated: true`. A process
//! keeps one ProcessId and ProcessGuid for the day, except clients that are started once per
//! connection (`mosquitto_pub` in a shell loop).

use super::model::{Channel, Os};
use super::session::Connection;
use crate::rng::SplitMix64;
use crate::time::{Micros, civil_from_micros, iso8601};
use serde_json::json;
use std::collections::HashMap;
use std::io::{self, Write};

/// Sysmon's `UtcTime`: `2024-03-04 09:15:02.123` (UTC, milliseconds, no zone marker).
pub fn utc_time(t: Micros) -> String {
    let c = civil_from_micros(t);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.micros / 1000
    )
}

fn guid(rng: &mut SplitMix64) -> String {
    let h = |rng: &mut SplitMix64, n| super::wire::random_hex(rng, n);
    format!(
        "{{{}-{}-{}-{}-{}}}",
        h(rng, 8),
        h(rng, 4),
        h(rng, 4),
        h(rng, 4),
        h(rng, 12)
    )
}

/// Whether each connection is made by a new process (a CLI client run in a loop).
fn process_per_connection(ch: &Channel) -> bool {
    ch.image.ends_with("mosquitto_pub") || ch.image.ends_with("mosquitto_pub.exe")
}

/// Writes the events; returns how many.
pub fn write_sysmon<W: Write>(
    mut out: W,
    seed: u64,
    channels: &[Channel],
    conns: &[Connection],
) -> io::Result<u64> {
    let mut rng = SplitMix64::for_stream(seed, 0x5_5e5);
    let mut processes: HashMap<usize, (u32, String)> = HashMap::new();
    let mut events: Vec<(Micros, usize)> = conns
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            channels
                .get(c.channel)
                .is_some_and(|ch| ch.host.os.has_sysmon())
        })
        .map(|(i, c)| (c.start, i))
        .collect();
    events.sort();
    let mut record_ids: HashMap<&str, u64> = HashMap::new();
    let mut written = 0;
    for (t, i) in events {
        let Some(conn) = conns.get(i) else { continue };
        let Some(ch) = channels.get(conn.channel) else {
            continue;
        };
        let fresh = process_per_connection(ch);
        let (pid, pguid) = if fresh {
            (4 * (1000 + rng.below(30_000) as u32), guid(&mut rng))
        } else {
            processes
                .entry(conn.channel)
                .or_insert_with(|| (4 * (200 + rng.below(8000) as u32), guid(&mut rng)))
                .clone()
        };
        let (provider, channel) = match ch.host.os {
            Os::Windows => (
                "Microsoft-Windows-Sysmon",
                "Microsoft-Windows-Sysmon/Operational",
            ),
            _ => ("Linux-Sysmon", "Linux-Sysmon/Operational"),
        };
        let record = record_ids.entry(ch.host.name.as_str()).or_insert(1000);
        *record += 1 + rng.below(40);
        // Sysmon logs the connection once established; the event is written a moment later.
        let utc = t + ch.rtt_micros + 500;
        let created = utc + 2_000 + rng.below(40_000) as i64;
        let dest_name = if ch.dns_name.parse::<std::net::Ipv4Addr>().is_ok() {
            "-".to_string()
        } else {
            ch.dns_name.clone()
        };
        let line = json!({
            "SourceName": provider,
            "Channel": channel,
            "EventID": 3,
            "Hostname": ch.host.name,
            "TimeCreated": iso8601(created),
            "EventRecordID": *record,
            "RuleName": "-",
            "UtcTime": utc_time(utc),
            "ProcessGuid": pguid,
            "ProcessId": pid.to_string(),
            "Image": ch.image,
            "User": ch.user,
            "Protocol": "tcp",
            "Initiated": "true",
            "SourceIsIpv6": "false",
            "SourceIp": ch.host.ip.to_string(),
            "SourceHostname": "-",
            "SourcePort": conn.src_port.to_string(),
            "SourcePortName": "-",
            "DestinationIsIpv6": "false",
            "DestinationIp": ch.dst_ip.to_string(),
            "DestinationHostname": dest_name,
            "DestinationPort": ch.dst_port.to_string(),
            "DestinationPortName": "-",
        });
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::super::model::Scenario;
    use super::super::session::simulate;
    use super::*;

    #[test]
    fn one_event_per_connection_of_a_sysmon_host() {
        let s = Scenario::generate(5, 6.0);
        let conns = simulate(&s);
        let mut buf = Vec::new();
        let n = write_sysmon(&mut buf, 5, &s.channels, &conns).expect("write");
        let expected = conns
            .iter()
            .filter(|c| s.channels[c.channel].host.os.has_sysmon())
            .count() as u64;
        assert_eq!(n, expected);
        let text = String::from_utf8(buf).expect("utf-8");
        let mut last = String::new();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("json");
            assert_eq!(v["EventID"], 3);
            assert_eq!(v["Initiated"], "true");
            let t = v["UtcTime"].as_str().expect("UtcTime").to_string();
            assert!(t >= last, "time order");
            last = t;
            assert!(v["Image"].as_str().is_some_and(|i| !i.is_empty()));
        }
        assert_eq!(utc_time(1_709_510_400_123_456), "2024-03-04 00:00:00.123");
    }
}
