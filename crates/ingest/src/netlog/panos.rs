//! Palo Alto Networks PAN-OS TRAFFIC logs as syslog CSV lines (PAN-OS 8.x–11.x: later versions
//! only append columns), with or without a syslog header glued to the first field.
//!
//! Columns used (0-based, PAN-OS "Traffic Log Fields"): 3 type, 4 subtype, 7/8 source and
//! destination address, 12 source user, 14 application (App-ID), 24/25 ports, 29 protocol,
//! 30 action, 32/33 bytes sent/received (client→server / server→client), 35 start time, 36 elapsed
//! seconds. Only `end`, `drop` and `deny` records are connections: a firewall that also logs at
//! session start writes a second record for the same session, and counting both would double the
//! connection count (the `end` record also has the final App-ID and byte counts). The firewall's
//! own device name (col 52) is the observer, not the host that started the connection, so `host`
//! stays empty and the analytics group by source address. PAN-OS writes its local time without a
//! zone; it is read as UTC.

use super::common::{blank_event, civil_utc, clip, domain_user};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{Outcome, Protocol, Transport};
use pubsub_hunt_reader::{CERTAIN, Confidence, FormatSpec, LIKELY, LineFormat, Reader, Record};
use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

/// The format name.
pub const NAME: &str = "panos";

/// Columns read; the rest of a (long) line is not split.
const COLUMNS_USED: usize = 53;

mod col {
    pub const RECEIVE_TIME: usize = 1;
    pub const TYPE: usize = 3;
    pub const SUBTYPE: usize = 4;
    pub const SRC: usize = 7;
    pub const DST: usize = 8;
    pub const SRC_USER: usize = 12;
    pub const APP: usize = 14;
    pub const SRC_PORT: usize = 24;
    pub const DST_PORT: usize = 25;
    pub const PROTO: usize = 29;
    pub const ACTION: usize = 30;
    pub const BYTES_SENT: usize = 32;
    pub const BYTES_RECEIVED: usize = 33;
    pub const START: usize = 35;
    pub const ELAPSED: usize = 36;
}

/// PAN-OS log types other than TRAFFIC: a stream of them is PAN-OS, its records are not
/// connections.
const OTHER_TYPES: [&str; 10] = [
    "THREAT",
    "SYSTEM",
    "CONFIG",
    "HIPMATCH",
    "GLOBALPROTECT",
    "USERID",
    "DECRYPTION",
    "AUTHENTICATION",
    "TUNNEL",
    "SCTP",
];

/// Splits a CSV line (double quotes, `""` inside quotes) into at most `max` fields.
fn split_csv(line: &str, max: usize) -> Vec<Cow<'_, str>> {
    let mut out = Vec::with_capacity(max.min(64));
    let bytes = line.as_bytes();
    let mut i = 0;
    while out.len() < max {
        if bytes.get(i) == Some(&b'"') {
            let mut field = String::new();
            let mut j = i + 1;
            let mut start = j;
            loop {
                match memchr::memchr(b'"', bytes.get(j..).unwrap_or_default()) {
                    None => {
                        field.push_str(line.get(start..).unwrap_or_default());
                        j = bytes.len();
                        break;
                    }
                    Some(k) => {
                        let q = j + k;
                        field.push_str(line.get(start..q).unwrap_or_default());
                        if bytes.get(q + 1) == Some(&b'"') {
                            field.push('"');
                            j = q + 2;
                            start = j;
                        } else {
                            j = q + 1;
                            break;
                        }
                    }
                }
            }
            out.push(Cow::Owned(field));
            // Skip anything between the closing quote and the next comma.
            match memchr::memchr(b',', bytes.get(j..).unwrap_or_default()) {
                Some(k) => i = j + k + 1,
                None => break,
            }
        } else {
            match memchr::memchr(b',', bytes.get(i..).unwrap_or_default()) {
                Some(k) => {
                    out.push(Cow::Borrowed(line.get(i..i + k).unwrap_or_default()));
                    i += k + 1;
                }
                None => {
                    out.push(Cow::Borrowed(line.get(i..).unwrap_or_default()));
                    break;
                }
            }
        }
    }
    out
}

/// `YYYY/MM/DD HH:MM:SS`.
fn panos_time(s: &str) -> Option<Micros> {
    let (date, time) = s.trim().split_once(' ')?;
    let mut parts = date.split('/');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    civil_utc(year, month, day, time)
}

fn field<'a>(fields: &'a [Cow<'a, str>], i: usize) -> Option<&'a str> {
    fields.get(i).map(|f| f.trim()).filter(|f| !f.is_empty())
}

fn outcome(action: Option<&str>) -> Outcome {
    match action {
        None => Outcome::Unknown,
        Some(a) if a.eq_ignore_ascii_case("allow") => Outcome::Succeeded,
        // deny, drop, drop-icmp, reset-client, reset-server, reset-both, block-*.
        Some(_) => Outcome::Failed,
    }
}

/// Parses one line.
pub fn parse_line(line: &[u8]) -> Result<Record, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(Record::Skip);
    }
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8 text".to_string())?;
    let f = split_csv(text, COLUMNS_USED);
    let kind = field(&f, col::TYPE).ok_or("no log type in column 4")?;
    if kind != "TRAFFIC" {
        return if OTHER_TYPES.contains(&kind) {
            Ok(Record::Other)
        } else {
            Err(format!("not a PAN-OS log line (type {:?})", clip(kind, 20)))
        };
    }
    if field(&f, col::SUBTYPE).is_some_and(|s| s.eq_ignore_ascii_case("start")) {
        return Ok(Record::Other);
    }
    let addr = |i: usize, name: &str| -> Result<IpAddr, String> {
        let s = field(&f, i).ok_or_else(|| format!("{name} is missing"))?;
        s.parse()
            .map_err(|_| format!("bad {name} {:?}", clip(s, 40)))
    };
    let port = |i: usize, name: &str| -> Result<Option<u16>, String> {
        field(&f, i)
            .map(|s| {
                s.parse()
                    .map_err(|_| format!("bad {name} {:?}", clip(s, 20)))
            })
            .transpose()
    };
    let count = |i: usize, name: &str| -> Result<Option<u64>, String> {
        field(&f, i)
            .map(|s| {
                s.parse()
                    .map_err(|_| format!("bad {name} {:?}", clip(s, 20)))
            })
            .transpose()
    };
    let dst_ip = addr(col::DST, "destination address")?;
    let dst_port = port(col::DST_PORT, "destination port")?.ok_or("destination port is missing")?;
    let mut ev = blank_event(dst_ip, dst_port, NAME);
    ev.src_ip = Some(addr(col::SRC, "source address")?);
    ev.src_port = port(col::SRC_PORT, "source port")?;
    ev.user = domain_user(None, field(&f, col::SRC_USER));
    ev.transport = field(&f, col::PROTO).map_or(Transport::Unknown, Transport::from_label);
    ev.outcome = outcome(field(&f, col::ACTION));
    if let Some(app) = field(&f, col::APP) {
        ev.identified = Protocol::from_label(app).into_iter().collect();
        ev.app_label = Some(app.to_string());
    }
    ev.bytes_out = count(col::BYTES_SENT, "bytes sent")?;
    ev.bytes_in = count(col::BYTES_RECEIVED, "bytes received")?;
    ev.ts = match field(&f, col::START) {
        Some(s) => Some(panos_time(s).ok_or_else(|| format!("bad start time {:?}", clip(s, 30)))?),
        None => field(&f, col::RECEIVE_TIME).and_then(panos_time),
    };
    let elapsed = count(col::ELAPSED, "elapsed time")?;
    ev.end = match (ev.ts, elapsed) {
        (Some(t), Some(secs)) => i64::try_from(secs)
            .ok()
            .and_then(|s| s.checked_mul(1_000_000))
            .and_then(|d| t.checked_add(d)),
        _ => None,
    };
    Ok(Record::Conn(Box::new(ev)))
}

/// The PAN-OS TRAFFIC reader (stateless, one record per line).
pub struct PanOsLines;

impl LineFormat for PanOsLines {
    fn name(&self) -> &'static str {
        NAME
    }
    fn parse_line(&self, line: &[u8]) -> Result<Record, String> {
        parse_line(line)
    }
}

/// The PAN-OS format.
pub struct PanOsSpec;

impl FormatSpec for PanOsSpec {
    fn name(&self) -> &'static str {
        NAME
    }
    fn description(&self) -> &'static str {
        "Palo Alto PAN-OS TRAFFIC logs, syslog CSV (App-ID, bytes sent/received, source user)"
    }
    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        let mut best = None;
        for line in pubsub_hunt_reader::head_lines(head, 8) {
            let text = String::from_utf8_lossy(line);
            let f = split_csv(&text, 8);
            let dated = field(&f, col::RECEIVE_TIME).is_some_and(|t| panos_time(t).is_some());
            let kind = field(&f, col::TYPE);
            let c = match kind {
                Some("TRAFFIC") if dated => CERTAIN,
                Some(k) if dated && OTHER_TYPES.contains(&k) => LIKELY,
                _ => continue,
            };
            if best.is_none_or(|b| c > b) {
                best = Some(c);
            }
        }
        best
    }
    fn open(&self, _head: &[u8]) -> Result<Reader, String> {
        Ok(Reader::Lines(Arc::new(PanOsLines)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        let f = split_csv(r#"a,"b,c","d""e",,f"#, 10);
        assert_eq!(f, vec!["a", "b,c", "d\"e", "", "f"]);
        assert_eq!(split_csv("a,b,c", 2), vec!["a", "b"]);
        assert_eq!(split_csv(r#""unterminated"#, 3), vec!["unterminated"]);
    }

    #[test]
    fn start_records_and_other_types_are_not_connections() {
        let start = "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0128,TRAFFIC,start,2049,2018/11/30 16:09:07,192.168.15.207,175.16.199.1,,,r,,,mqtt,vsys1,trust,untrust,e1,e2,fwd,2018/11/30 16:09:07,22751,1,55113,1883,0,0,0x0,tcp,allow,0,0,0,1,2018/11/30 16:09:07,0";
        assert!(matches!(parse_line(start.as_bytes()), Ok(Record::Other)));
        let threat = "Nov 30 16:09:08 PA-220 1,2018/11/30 16:09:07,0128,THREAT,url,2049";
        assert!(matches!(parse_line(threat.as_bytes()), Ok(Record::Other)));
        assert!(parse_line(b"hello,world").is_err());
    }
}
