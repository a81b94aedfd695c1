//! The Zeek renderer: one conn.log row per TCP connection (TSV, Zeek 7.1 columns, through the
//! crate's [`ConnLogWriter`]), with packet and byte counts taken from the very packets the
//! capture renderer writes, so the log and the capture describe the same traffic.
//!
//! A conn log has no content and no process. `service` is what Zeek's default analyzers would
//! confirm without pub/sub-specific scripts: `ssl` for TLS, `xmpp` (and `xmpp,ssl` after
//! STARTTLS) for XMPP, `http` for a WebSocket upgrade; MQTT, AMQP, STOMP and Kafka stay unset
//! (Zeek's MQTT analyzer is not loaded by default). Rows are written in the order Zeek writes
//! them: when the connection is removed, a few seconds after it closes.

use super::model::{AppProtocol, Carrier, Channel};
use super::pcap::packets;
use super::session::Connection;
use crate::record::{ConnRecord, ConnState, Transport, Uid};
use crate::render::{ConnLogWriter, RenderOptions};
use crate::rng::SplitMix64;
use std::io::{self, Write};
use std::net::IpAddr;

/// The `service` Zeek would log for a channel.
pub fn service(ch: &Channel) -> Option<&'static str> {
    match (&ch.carrier, ch.protocol) {
        (Carrier::StartTls, _) => Some("xmpp,ssl"),
        (Carrier::Tls { .. }, _) => Some("ssl"),
        (Carrier::WebSocket { .. }, _) => Some("http"),
        (Carrier::Cleartext, AppProtocol::Xmpp) => Some("xmpp"),
        (Carrier::Cleartext, _) => None,
    }
}

fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_private() || a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback(),
    }
}

/// The conn.log record of one connection. `rng` must be in the same state as when the capture
/// renderer drew this connection's packets (same ISNs do not matter; counts do not depend on
/// them, only on the segments).
pub fn record(rng: &mut SplitMix64, conn: &Connection, ch: &Channel) -> ConnRecord {
    let pkts = packets(rng, conn, ch);
    let (mut orig_pkts, mut orig_ip, mut resp_pkts, mut resp_ip) = (0, 0, 0, 0);
    for p in &pkts {
        if p.from_client {
            orig_pkts += 1;
            orig_ip += p.ip_len() as u64;
        } else {
            resp_pkts += 1;
            resp_ip += p.ip_len() as u64;
        }
    }
    let last = pkts.last().map_or(conn.end, |p| p.t);
    let orig_h = IpAddr::V4(ch.host.ip);
    let resp_h = IpAddr::V4(ch.dst_ip);
    ConnRecord {
        ts: conn.start,
        // Zeek removes a closed connection after tcp_close_delay (5 s).
        write_ts: last + 5_000_000,
        uid: Uid::random(rng),
        orig_h,
        orig_p: conn.src_port,
        resp_h,
        resp_p: ch.dst_port,
        transport: Transport::Tcp,
        service: service(ch),
        duration: Some(last - conn.start),
        orig_bytes: Some(conn.client_bytes()),
        resp_bytes: Some(conn.server_bytes()),
        conn_state: Some(ConnState::SF),
        local_orig: Some(is_local(orig_h)),
        local_resp: Some(is_local(resp_h)),
        missed_bytes: 0,
        history: Some("ShADadFf"),
        orig_pkts,
        orig_ip_bytes: orig_ip,
        resp_pkts,
        resp_ip_bytes: resp_ip,
    }
}

/// Writes the conn log; returns the number of rows.
pub fn write_conn_log<W: Write>(
    out: W,
    seed: u64,
    channels: &[Channel],
    conns: &[Connection],
) -> io::Result<u64> {
    let mut rng = SplitMix64::for_stream(seed, 0x2eec);
    let mut rows: Vec<ConnRecord> = conns
        .iter()
        .filter_map(|c| channels.get(c.channel).map(|ch| record(&mut rng, c, ch)))
        .collect();
    rows.sort_by_key(|r| (r.write_ts, r.ts));
    let mut w = ConnLogWriter::new(out, RenderOptions::tsv());
    for r in &rows {
        w.write_record(r)?;
    }
    let n = w.rows();
    w.finish()?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::super::model::Scenario;
    use super::super::session::simulate;
    use super::*;

    #[test]
    fn rows_match_connections() {
        let s = Scenario::generate(4, 6.0);
        let conns = simulate(&s);
        let mut buf = Vec::new();
        let n = write_conn_log(&mut buf, 4, &s.channels, &conns).expect("write");
        assert_eq!(n as usize, conns.len());
        let text = String::from_utf8(buf).expect("utf-8");
        let rows: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(rows.len(), conns.len());
        let total_orig: u64 = conns.iter().map(Connection::client_bytes).sum();
        let logged: u64 = rows
            .iter()
            .map(|r| {
                r.split('\t')
                    .nth(9)
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(0)
            })
            .sum();
        assert_eq!(
            total_orig, logged,
            "orig_bytes are the client's payload bytes"
        );
        assert!(!text.contains("\tmqtt\t"), "no content-derived MQTT label");
    }
}
