//! The Zeek renderer: one conn.log row per TCP connection (TSV, Zeek 7.1 columns, through the
//! crate's [`ConnLogWriter`]), with packet and byte counts taken from the very packets the
//! capture renderer writes, so the log and the capture describe the same traffic; and the
//! ssl.log Zeek writes beside it, one row per connection whose bytes carry a TLS handshake.
//!
//! A conn log has no content and no process. `service` is what Zeek's default analyzers would
//! confirm without pub/sub-specific scripts: `ssl` for TLS, `xmpp` (and `xmpp,ssl` after
//! STARTTLS) for XMPP, `http` for a WebSocket upgrade; MQTT, AMQP, STOMP and Kafka stay unset
//! (Zeek's MQTT analyzer is not loaded by default). Rows are written in the order Zeek writes
//! them: when the connection is removed, a few seconds after it closes.
//!
//! The ssl.log (Zeek 6 default columns, TSV) covers direct TLS and XMPP STARTTLS alike (Zeek's
//! XMPP analyzer hands the TLS part to its SSL analyzer). Its `uid` is the connection's conn.log
//! uid, `ts` the ClientHello, `server_name` the SNI of that ClientHello. The simulated handshake
//! is TLS 1.3 in shape (ServerHello, ChangeCipherSpec, then encrypted records: no certificate in
//! clear), so every row says `TLSv13`, curve `x25519` (the one key share the client sends),
//! a TLS 1.3 cipher the server prefers, `ssl_history` `CsiI`, no certificate fields, and
//! `resumed` T for every connection of a channel but its first (later ones resume the session
//! and carry no certificate chain). `next_protocol` is the ALPN value the server selects: the
//! client's first offer.

use super::model::{AppProtocol, Carrier, Channel};
use super::pcap::packets;
use super::session::{Connection, tls_server_name};
use crate::record::{ConnRecord, ConnState, Transport, Uid};
use crate::render::{ConnLogWriter, RenderOptions, zeek_tsv_header};
use crate::rng::SplitMix64;
use crate::time::{Micros, push_epoch_seconds, zeek_header_stamp};
use std::collections::HashMap;
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

/// The conn.log record of every connection, in the order of `conns` (`None` for a connection
/// whose channel is not in `channels`). Draws from the conn renderer's stream in that order, so
/// uids are the same whichever log asks for them.
pub fn conn_records(
    seed: u64,
    channels: &[Channel],
    conns: &[Connection],
) -> Vec<Option<ConnRecord>> {
    let mut rng = SplitMix64::for_stream(seed, 0x2eec);
    conns
        .iter()
        .map(|c| channels.get(c.channel).map(|ch| record(&mut rng, c, ch)))
        .collect()
}

/// Writes conn records in the order Zeek writes them; returns the number of rows.
fn write_conn_records<W: Write>(out: W, records: &[Option<ConnRecord>]) -> io::Result<u64> {
    let mut rows: Vec<&ConnRecord> = records.iter().flatten().collect();
    rows.sort_by_key(|r| (r.write_ts, r.ts));
    let mut w = ConnLogWriter::new(out, RenderOptions::tsv());
    for r in rows {
        w.write_record(r)?;
    }
    let n = w.rows();
    w.finish()?;
    Ok(n)
}

/// Writes the conn log; returns the number of rows.
pub fn write_conn_log<W: Write>(
    out: W,
    seed: u64,
    channels: &[Channel],
    conns: &[Connection],
) -> io::Result<u64> {
    write_conn_records(out, &conn_records(seed, channels, conns))
}

/// Column names of Zeek 6's default ssl.log, in order.
pub const SSL_FIELDS: [&str; 18] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "version",
    "cipher",
    "curve",
    "server_name",
    "resumed",
    "last_alert",
    "next_protocol",
    "established",
    "ssl_history",
    "cert_chain_fps",
    "client_cert_chain_fps",
    "sni_matches_cert",
];

/// Zeek types of [`SSL_FIELDS`].
pub const SSL_TYPES: [&str; 18] = [
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "string",
    "string",
    "string",
    "string",
    "bool",
    "string",
    "string",
    "bool",
    "string",
    "vector[string]",
    "vector[string]",
    "bool",
];

/// One ssl.log row (fields this generator never sets are written unset).
#[derive(Debug, Clone, PartialEq)]
pub struct SslRecord {
    /// The ClientHello.
    pub ts: Micros,
    pub uid: Uid,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
    pub version: &'static str,
    pub cipher: &'static str,
    pub curve: &'static str,
    /// The SNI of the ClientHello.
    pub server_name: Option<String>,
    pub resumed: bool,
    /// The ALPN value the server selected.
    pub next_protocol: Option<&'static str>,
    pub established: bool,
    pub ssl_history: &'static str,
}

/// Whether a channel's connections carry a TLS handshake (direct TLS or XMPP STARTTLS).
pub fn has_tls(ch: &Channel) -> bool {
    matches!(ch.carrier, Carrier::Tls { .. } | Carrier::StartTls)
}

/// Whether `bytes` open a TLS handshake record holding a ClientHello.
fn is_client_hello(bytes: &[u8]) -> bool {
    bytes.len() > 5 && bytes[0] == 0x16 && bytes[1] == 0x03 && bytes[5] == 0x01
}

/// The TLS 1.3 cipher a server prefers: a property of the server (its DNS name), so every
/// connection to it, on every seed, shows the same one.
fn server_cipher(ch: &Channel) -> &'static str {
    // FNV-1a of the server name.
    let hash = ch.dns_name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    const CIPHERS: [(u32, &str); 3] = [
        (6, "TLS_AES_128_GCM_SHA256"),
        (3, "TLS_AES_256_GCM_SHA384"),
        (1, "TLS_CHACHA20_POLY1305_SHA256"),
    ];
    let cipher: &&'static str = SplitMix64::new(hash).weighted(&CIPHERS);
    cipher
}

/// The ssl.log row of one connection, `None` when its bytes hold no ClientHello.
pub fn ssl_record(
    conn: &Connection,
    ch: &Channel,
    rec: &ConnRecord,
    resumed: bool,
) -> Option<SslRecord> {
    if !has_tls(ch) {
        return None;
    }
    let hello = conn
        .segments
        .iter()
        .find(|s| s.from_client && is_client_hello(&s.bytes))?;
    let next_protocol = match &ch.carrier {
        Carrier::Tls { alpn } => alpn.first().copied(),
        _ => None,
    };
    Some(SslRecord {
        ts: hello.t,
        uid: rec.uid,
        orig_h: rec.orig_h,
        orig_p: rec.orig_p,
        resp_h: rec.resp_h,
        resp_p: rec.resp_p,
        version: "TLSv13",
        cipher: server_cipher(ch),
        curve: "x25519",
        server_name: tls_server_name(ch).map(str::to_string),
        resumed,
        next_protocol,
        established: true,
        ssl_history: "CsiI",
    })
}

/// The ssl.log rows of `conns`, given their conn records (from [`conn_records`]), by `ts`.
pub fn ssl_records(
    channels: &[Channel],
    conns: &[Connection],
    records: &[Option<ConnRecord>],
) -> Vec<SslRecord> {
    // A channel's first connection does the full handshake; the session simulator resumes the
    // TLS session on every later one.
    let mut first: HashMap<usize, Micros> = HashMap::new();
    for c in conns {
        first
            .entry(c.channel)
            .and_modify(|t| *t = (*t).min(c.start))
            .or_insert(c.start);
    }
    let mut rows: Vec<SslRecord> = conns
        .iter()
        .zip(records)
        .filter_map(|(c, rec)| {
            let ch = channels.get(c.channel)?;
            let resumed = first.get(&c.channel).is_some_and(|t| *t < c.start);
            ssl_record(c, ch, rec.as_ref()?, resumed)
        })
        .collect();
    rows.sort_by(|a, b| (a.ts, a.uid.as_bytes()).cmp(&(b.ts, b.uid.as_bytes())));
    rows
}

fn push_ip(b: &mut Vec<u8>, ip: IpAddr) {
    b.extend_from_slice(ip.to_string().as_bytes());
}

fn render_ssl_tsv(b: &mut Vec<u8>, r: &SslRecord) {
    const UNSET: &[u8] = b"-";
    let flag = |v: bool| if v { &b"T"[..] } else { &b"F"[..] };
    push_epoch_seconds(b, r.ts);
    b.push(b'\t');
    b.extend_from_slice(r.uid.as_bytes());
    b.push(b'\t');
    push_ip(b, r.orig_h);
    b.push(b'\t');
    b.extend_from_slice(r.orig_p.to_string().as_bytes());
    b.push(b'\t');
    push_ip(b, r.resp_h);
    b.push(b'\t');
    b.extend_from_slice(r.resp_p.to_string().as_bytes());
    for text in [r.version, r.cipher, r.curve] {
        b.push(b'\t');
        b.extend_from_slice(text.as_bytes());
    }
    b.push(b'\t');
    b.extend_from_slice(r.server_name.as_deref().map_or(UNSET, str::as_bytes));
    b.push(b'\t');
    b.extend_from_slice(flag(r.resumed));
    b.push(b'\t');
    b.extend_from_slice(UNSET); // last_alert
    b.push(b'\t');
    b.extend_from_slice(r.next_protocol.map_or(UNSET, str::as_bytes));
    b.push(b'\t');
    b.extend_from_slice(flag(r.established));
    b.push(b'\t');
    b.extend_from_slice(if r.ssl_history.is_empty() {
        b"(empty)"
    } else {
        r.ssl_history.as_bytes()
    });
    // cert_chain_fps, client_cert_chain_fps, sni_matches_cert: TLS 1.3 encrypts the
    // certificates, so Zeek never sees them.
    for _ in 0..3 {
        b.push(b'\t');
        b.extend_from_slice(UNSET);
    }
    b.push(b'\n');
}

/// Writes ssl rows as a Zeek TSV log: the header (`#open` at the first row), the rows in the
/// given order, and `#close` at `close` (when Zeek shut its logs down). Returns the row count.
fn write_ssl_records<W: Write>(mut out: W, rows: &[SslRecord], close: Micros) -> io::Result<u64> {
    let open = rows.first().map_or(close, |r| r.ts);
    out.write_all(zeek_tsv_header("ssl", open, &SSL_FIELDS, &SSL_TYPES).as_bytes())?;
    let mut line = Vec::with_capacity(256);
    for r in rows {
        line.clear();
        render_ssl_tsv(&mut line, r);
        out.write_all(&line)?;
    }
    writeln!(out, "#close\t{}", zeek_header_stamp(close.max(open)))?;
    out.flush()?;
    Ok(rows.len() as u64)
}

/// When Zeek shuts its logs down: after the last conn.log row.
fn close_time(records: &[Option<ConnRecord>]) -> Micros {
    records
        .iter()
        .flatten()
        .map(|r| r.write_ts)
        .max()
        .unwrap_or(0)
}

/// Writes the ssl log; returns the number of rows.
pub fn write_ssl_log<W: Write>(
    out: W,
    seed: u64,
    channels: &[Channel],
    conns: &[Connection],
) -> io::Result<u64> {
    let records = conn_records(seed, channels, conns);
    let rows = ssl_records(channels, conns, &records);
    write_ssl_records(out, &rows, close_time(&records))
}

/// Writes conn.log and ssl.log from one set of conn records (the ssl rows reuse their uids);
/// returns the row counts.
pub fn write_conn_and_ssl_logs<C: Write, S: Write>(
    conn_out: C,
    ssl_out: S,
    seed: u64,
    channels: &[Channel],
    conns: &[Connection],
) -> io::Result<(u64, u64)> {
    let records = conn_records(seed, channels, conns);
    let conn_rows = write_conn_records(conn_out, &records)?;
    let rows = ssl_records(channels, conns, &records);
    let ssl_rows = write_ssl_records(ssl_out, &rows, close_time(&records))?;
    Ok((conn_rows, ssl_rows))
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

    /// Rows of a TSV log (header and `#close` left out), split into fields.
    fn rows(text: &str) -> Vec<Vec<&str>> {
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split('\t').collect())
            .collect()
    }

    /// Zeek's `ts` (`1709510400.123456`) as epoch microseconds.
    fn micros(ts: &str) -> Micros {
        let (s, f) = ts.split_once('.').expect("seconds.micros");
        s.parse::<Micros>().expect("seconds") * 1_000_000 + f.parse::<Micros>().expect("micros")
    }

    fn logs(s: &Scenario, conns: &[Connection]) -> (String, String) {
        let (mut conn, mut ssl) = (Vec::new(), Vec::new());
        let (n_conn, n_ssl) =
            write_conn_and_ssl_logs(&mut conn, &mut ssl, s.seed, &s.channels, conns)
                .expect("write");
        let conn = String::from_utf8(conn).expect("utf-8");
        let ssl = String::from_utf8(ssl).expect("utf-8");
        assert_eq!(n_conn as usize, rows(&conn).len());
        assert_eq!(n_ssl as usize, rows(&ssl).len());
        (conn, ssl)
    }

    fn channel_at<'a>(s: &'a Scenario, orig_h: &str, resp_h: &str, resp_p: &str) -> &'a Channel {
        s.channels
            .iter()
            .find(|c| {
                c.host.ip.to_string() == orig_h
                    && c.dst_ip.to_string() == resp_h
                    && c.dst_port.to_string() == resp_p
            })
            .expect("a channel of the scenario")
    }

    #[test]
    fn conn_log_alone_is_unchanged_by_the_ssl_log() {
        let s = Scenario::generate(3, 4.0);
        let conns = simulate(&s);
        let mut alone = Vec::new();
        write_conn_log(&mut alone, s.seed, &s.channels, &conns).expect("write");
        let mut ssl_alone = Vec::new();
        write_ssl_log(&mut ssl_alone, s.seed, &s.channels, &conns).expect("write");
        let (conn, ssl) = logs(&s, &conns);
        assert_eq!(String::from_utf8(alone).expect("utf-8"), conn);
        assert_eq!(String::from_utf8(ssl_alone).expect("utf-8"), ssl);
    }

    #[test]
    fn ssl_log_has_zeeks_header_and_columns() {
        let s = Scenario::generate(4, 6.0);
        let (_, ssl) = logs(&s, &simulate(&s));
        let lines: Vec<&str> = ssl.lines().collect();
        assert_eq!(lines[0], "#separator \\x09");
        assert_eq!(lines[1], "#set_separator\t,");
        assert_eq!(lines[2], "#empty_field\t(empty)");
        assert_eq!(lines[3], "#unset_field\t-");
        assert_eq!(lines[4], "#path\tssl");
        assert!(lines[5].starts_with("#open\t2024-"), "{}", lines[5]);
        assert_eq!(
            lines[6],
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\t\
             curve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\tssl_history\t\
             cert_chain_fps\tclient_cert_chain_fps\tsni_matches_cert"
        );
        assert_eq!(
            lines[7],
            "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\t\
             string\tstring\tbool\tstring\tvector[string]\tvector[string]\tbool"
        );
        assert!(lines.last().is_some_and(|l| l.starts_with("#close\t2024-")));
        let rows = rows(&ssl);
        assert!(!rows.is_empty());
        for r in &rows {
            assert_eq!(r.len(), SSL_FIELDS.len(), "{r:?}");
            assert!(matches!(r[6], "TLSv12" | "TLSv13"));
            assert!(r[7].starts_with("TLS_"));
            assert!(matches!(r[10], "T" | "F"));
            assert_eq!(r[13], "T", "established");
            assert!(r.iter().all(|f| !f.is_empty()));
        }
        let ts: Vec<Micros> = rows.iter().map(|r| micros(r[0])).collect();
        assert!(ts.windows(2).all(|w| w[0] <= w[1]), "rows by ts");
    }

    #[test]
    fn every_ssl_row_is_a_tls_connection_of_the_conn_log() {
        let s = Scenario::generate(4, 12.0);
        let conns = simulate(&s);
        let (conn, ssl) = logs(&s, &conns);
        let conn_rows = rows(&conn);
        let by_uid: HashMap<&str, &Vec<&str>> = conn_rows.iter().map(|r| (r[1], r)).collect();
        let ssl_rows = rows(&ssl);
        let mut per_channel: HashMap<&str, Vec<&Vec<&str>>> = HashMap::new();
        for r in &ssl_rows {
            let c = by_uid.get(r[1]).expect("the ssl uid is in conn.log");
            assert_eq!(&r[2..6], &c[2..6], "same endpoints as the conn row");
            let ch = channel_at(&s, r[2], r[4], r[5]);
            assert!(has_tls(ch), "{} is not a TLS channel", ch.id);
            assert!(c[7].split(',').any(|svc| svc == "ssl"), "service {}", c[7]);
            let after = micros(r[0]) - micros(c[0]);
            assert!(
                (0..10_000_000).contains(&after),
                "hello {after} µs after SYN"
            );
            let alpn = match &ch.carrier {
                Carrier::Tls { alpn } => alpn.first().copied().unwrap_or("-"),
                _ => "-",
            };
            assert_eq!(r[12], alpn, "next_protocol of {}", ch.id);
            per_channel.entry(ch.id.as_str()).or_default().push(r);
        }
        let uids: std::collections::HashSet<&str> = ssl_rows.iter().map(|r| r[1]).collect();
        assert_eq!(uids.len(), ssl_rows.len(), "one row per connection");
        let counts = super::super::session::connections_per_channel(&s, &conns);
        let mut tls_channels = 0;
        for (ch, n) in s.channels.iter().zip(counts) {
            let mine = per_channel
                .get(ch.id.as_str())
                .map_or(&[][..], Vec::as_slice);
            if !has_tls(ch) {
                assert!(mine.is_empty(), "cleartext {} has ssl.log rows", ch.id);
                continue;
            }
            assert_eq!(mine.len(), n, "ssl.log rows of {}", ch.id);
            if n > 0 {
                tls_channels += 1;
                // Rows are by ts: the first connection does the full handshake, the rest resume.
                let resumed: Vec<&str> = mine.iter().map(|r| r[10]).collect();
                assert_eq!(resumed[0], "F", "{}", ch.id);
                assert!(resumed[1..].iter().all(|v| *v == "T"), "{}", ch.id);
                let ciphers: std::collections::HashSet<&str> = mine.iter().map(|r| r[7]).collect();
                assert_eq!(ciphers.len(), 1, "one server, one cipher: {}", ch.id);
            }
        }
        assert!(tls_channels >= 5, "only {tls_channels} TLS channels");
        assert!(
            s.channels.iter().any(|c| c.carrier == Carrier::StartTls)
                && ssl_rows
                    .iter()
                    .any(|r| channel_at(&s, r[2], r[4], r[5]).carrier == Carrier::StartTls),
            "XMPP STARTTLS connections get ssl.log rows"
        );
    }

    fn u16_at(b: &[u8], i: usize) -> usize {
        usize::from(u16::from_be_bytes([b[i], b[i + 1]]))
    }

    /// The SNI of a ClientHello record, read from the bytes (RFC 8446 4.1.2, RFC 6066 3).
    fn sni_of(hello: &[u8]) -> Option<String> {
        let mut i = 5 + 4 + 2 + 32; // record header, handshake header, version, random
        i += 1 + usize::from(hello[i]); // session id
        i += 2 + u16_at(hello, i); // cipher suites
        i += 1 + usize::from(hello[i]); // compression methods
        let end = i + 2 + u16_at(hello, i);
        i += 2;
        while i + 4 <= end {
            let (kind, len) = (u16_at(hello, i), u16_at(hello, i + 2));
            let data = &hello[i + 4..i + 4 + len];
            if kind == 0 {
                assert_eq!(data[2], 0, "host_name");
                let n = u16_at(data, 3);
                return Some(String::from_utf8(data[5..5 + n].to_vec()).expect("ascii name"));
            }
            i += 4 + len;
        }
        None
    }

    /// Every ClientHello in a capture: (client, client port, server, server port, time) → SNI.
    fn capture_hellos(pcap: &[u8]) -> HashMap<(String, u16, String, u16, Micros), Option<String>> {
        let mut out = HashMap::new();
        let mut at = 24;
        while at < pcap.len() {
            let rec = &pcap[at..at + 16];
            let sec = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]);
            let usec = u32::from_le_bytes([rec[4], rec[5], rec[6], rec[7]]);
            let incl = u32::from_le_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
            let f = &pcap[at + 16..at + 16 + incl];
            at += 16 + incl;
            let ip = &f[14..];
            let tcp = &ip[20..];
            let payload = &tcp[usize::from(tcp[12] >> 4) * 4..];
            if !is_client_hello(payload) {
                continue;
            }
            let addr = |i: usize| format!("{}.{}.{}.{}", ip[i], ip[i + 1], ip[i + 2], ip[i + 3]);
            let t = Micros::from(sec) * 1_000_000 + Micros::from(usec);
            let key = (
                addr(12),
                u16_at(tcp, 0) as u16,
                addr(16),
                u16_at(tcp, 2) as u16,
                t,
            );
            assert!(
                out.insert(key, sni_of(payload)).is_none(),
                "one hello a flow"
            );
        }
        out
    }

    #[test]
    fn server_names_are_the_sni_of_the_capture() {
        let mut s = Scenario::generate(6, 8.0);
        // One TLS client dials a bare address: its hello has no SNI and its rows none either.
        let bare = s
            .channels
            .iter_mut()
            .find(|c| matches!(c.carrier, Carrier::Tls { .. }))
            .expect("a TLS channel");
        bare.dns_name = bare.dst_ip.to_string();
        let bare_id = bare.id.clone();
        let conns = simulate(&s);
        let (_, ssl) = logs(&s, &conns);
        let mut pcap = Vec::new();
        super::super::pcap::write_pcap(&mut pcap, s.seed, &s.channels, &conns).expect("pcap");
        let hellos = capture_hellos(&pcap);
        let ssl_rows = rows(&ssl);
        assert_eq!(hellos.len(), ssl_rows.len(), "one row per ClientHello");
        let mut unnamed = 0;
        for r in &ssl_rows {
            let key = (
                r[2].to_string(),
                r[3].parse::<u16>().expect("port"),
                r[4].to_string(),
                r[5].parse::<u16>().expect("port"),
                micros(r[0]),
            );
            let sni = hellos.get(&key).expect("a ClientHello at the row's ts");
            assert_eq!(
                r[9],
                sni.as_deref().unwrap_or("-"),
                "server_name of {key:?}"
            );
            let ch = channel_at(&s, r[2], r[4], r[5]);
            if ch.id == bare_id {
                assert_eq!(r[9], "-");
                unnamed += 1;
            } else {
                assert_eq!(r[9], ch.dns_name);
            }
        }
        assert!(unnamed >= 2, "the bare-address channel has rows");
        // `resumed` agrees with the bytes: a resumed handshake carries no certificate chain.
        for c in &conns {
            let Some(ch) = s.channels.get(c.channel).filter(|ch| has_tls(ch)) else {
                continue;
            };
            let Some(at) = c
                .segments
                .iter()
                .position(|g| g.from_client && is_client_hello(&g.bytes))
            else {
                panic!("no hello in a connection of {}", ch.id);
            };
            let server = c.segments[at + 1..]
                .iter()
                .find(|g| !g.from_client)
                .expect("server handshake");
            let row = ssl_rows
                .iter()
                .find(|r| {
                    r[3] == c.src_port.to_string()
                        && r[4] == ch.dst_ip.to_string()
                        && micros(r[0]) == c.segments[at].t
                })
                .expect("the connection's row");
            let full = server.bytes.len() > 1000;
            assert_eq!(row[10], if full { "F" } else { "T" }, "{}", ch.id);
        }
    }
}
