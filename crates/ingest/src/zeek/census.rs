//! The host census of a Zeek conn.log: each record's initiator, responder, port and transport,
//! read from those four fields alone. The census reads every line of the log (the parser only
//! the prefilter's candidates), so this is the only per-line work a hunt does on the lines the
//! prefilter skips: in TSV it finds the separators with a vectorised search, in JSON the keys,
//! and it parses nothing but the port.

use super::tsv::TsvSchema;
use memchr::memmem::Finder;
use pubsub_hunt_core::Transport;
use pubsub_hunt_core::analytics::census::CensusEntry;
use pubsub_hunt_core::time::{Micros, parse_rfc3339};
use std::sync::LazyLock;

impl TsvSchema {
    /// The census entry of one conn.log record: its initiator, responder, port and transport,
    /// found with a vectorised search for the separators up to the last of those columns,
    /// without parsing anything else (the census reads every line of the log, the parser only
    /// the prefilter's candidates). `None` when the line is too short or the port does not read.
    pub fn census_entry<'l>(&self, line: &'l [u8]) -> Option<CensusEntry<'l>> {
        let [src, dst, port, proto, ts] = self.census_columns;
        let optional = |c: usize| if c == usize::MAX { 0 } else { c };
        let last = src
            .max(dst)
            .max(port)
            .max(optional(proto))
            .max(optional(ts));
        let mut fields: [&[u8]; 5] = [&[]; 5];
        let mut start = 0usize;
        let mut seps = memchr::memchr_iter(self.separator, line);
        for n in 0..=last {
            let end = if n + 1 == self.columns {
                line.len()
            } else {
                seps.next()?
            };
            let field = line.get(start..end)?;
            for (slot, column) in fields.iter_mut().zip(self.census_columns) {
                if column == n {
                    *slot = field;
                }
            }
            start = end + 1;
        }
        let [src, dst, port, proto, ts] = fields;
        let dst_port = port_number(port)?;
        let transport = match proto {
            b"tcp" => Transport::Tcp,
            b"udp" => Transport::Udp,
            other => std::str::from_utf8(other).map_or(Transport::Unknown, Transport::from_label),
        };
        Some(CensusEntry {
            src,
            dst,
            dst_port,
            transport,
            ts: epoch_seconds(ts),
        })
    }
}

/// Whole epoch seconds (`1709510400.123456` → 1709510400 s, in microseconds), without going
/// through text or a float: the census needs to know when a host was there, to the second.
fn epoch_seconds(text: &[u8]) -> Option<Micros> {
    let whole = text.split(|&b| b == b'.').next()?;
    i64::try_from(decimal(whole, 12)?)
        .ok()?
        .checked_mul(1_000_000)
}

/// A port number written in decimal digits (1 to 5 of them), without going through text.
fn port_number(digits: &[u8]) -> Option<u16> {
    u16::try_from(decimal(digits, 5)?).ok()
}

/// A number written in 1 to `max_digits` decimal digits and nothing else.
fn decimal(digits: &[u8], max_digits: usize) -> Option<u64> {
    if digits.is_empty() || digits.len() > max_digits {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })
}

/// The keys the JSON census reads, each dotted (Zeek's default) and underscored
/// (`json_logs_separator`-style exports): initiator, responder, port, transport; and the key
/// only a conn.log record has (a dns.log or ssl.log record has the other four too).
static JSON_KEYS: LazyLock<[[Finder<'static>; 2]; 6]> = LazyLock::new(|| {
    let both = |dotted: &'static str, underscored: &'static str| {
        [Finder::new(dotted), Finder::new(underscored)]
    };
    [
        both("\"id.orig_h\"", "\"id_orig_h\""),
        both("\"id.resp_h\"", "\"id_resp_h\""),
        both("\"id.resp_p\"", "\"id_resp_p\""),
        both("\"proto\"", "\"proto\""),
        both("\"conn_state\"", "\"conn_state\""),
        both("\"ts\"", "\"ts\""),
    ]
});

/// The value after a key in a JSON line: a string's characters (addresses and transports hold
/// no escapes) or a number's digits.
fn json_value<'l>(line: &'l [u8], keys: &[Finder<'static>; 2]) -> Option<&'l [u8]> {
    let (at, key) = keys
        .iter()
        .find_map(|k| k.find(line).map(|at| (at, k.needle().len())))?;
    let mut rest = line.get(at + key..)?.trim_ascii_start();
    rest = rest.strip_prefix(b":")?.trim_ascii_start();
    if let Some(text) = rest.strip_prefix(b"\"") {
        let end = memchr::memchr(b'"', text)?;
        return text.get(..end);
    }
    let end = rest
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(rest.len());
    rest.get(..end)
}

/// The census entry of one Zeek JSON line, when it is a conn.log record.
pub(super) fn json_census_entry(line: &[u8]) -> Option<CensusEntry<'_>> {
    let [src, dst, port, proto, state, ts] = &*JSON_KEYS;
    json_value(line, state)?;
    let transport = match json_value(line, proto) {
        Some(b"tcp") => Transport::Tcp,
        Some(b"udp") => Transport::Udp,
        Some(other) => std::str::from_utf8(other).map_or(Transport::Unknown, Transport::from_label),
        None => Transport::Unknown,
    };
    Some(CensusEntry {
        src: json_value(line, src)?,
        dst: json_value(line, dst)?,
        dst_port: port_number(json_value(line, port)?)?,
        transport,
        // Epoch seconds, or an ISO 8601 time (`json_logs_timestamp_format`).
        ts: json_value(line, ts)
            .and_then(|t| epoch_seconds(t).or_else(|| parse_rfc3339(std::str::from_utf8(t).ok()?))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema(columns: &str) -> TsvSchema {
        let names: Vec<&str> = columns.split('\t').collect();
        TsvSchema::from_columns(&names, b'\t', ',', b"-", b"(empty)", None).unwrap()
    }

    #[test]
    fn reads_the_four_columns_wherever_the_header_puts_them() {
        let s = schema(super::super::tsv::DEFAULT_CONN_LAYOUTS[2]);
        let line = b"1709510400.1\tC1\t10.1.2.121\t54040\t10.0.3.30\t443\ttcp\tssl\t0.2\t1\t2\tSF\tT\tT\t0\tSh\t5\t1\t4\t1\t-\t6";
        let e = s.census_entry(line).unwrap();
        assert_eq!(e.src, b"10.1.2.121");
        assert_eq!(e.dst, b"10.0.3.30");
        assert_eq!(e.dst_port, 443);
        assert_eq!(e.transport, Transport::Tcp);
        assert_eq!(e.ts, Some(1_709_510_400_000_000));
        // Another order, the port last on the line, ICMP.
        let s = schema("id.resp_h\tproto\tid.orig_h\tid.resp_p");
        let e = s.census_entry(b"10.0.0.1\ticmp\t10.0.0.5\t8").unwrap();
        assert_eq!(
            (e.src, e.dst, e.dst_port),
            (&b"10.0.0.5"[..], &b"10.0.0.1"[..], 8)
        );
        assert_eq!(e.transport, Transport::Other);
        // No ts column: the host's presence is unknown, the rest is read.
        assert_eq!(e.ts, None);
        // A time after the responder, and one that does not read.
        let s = schema("id.orig_h\tid.resp_h\tid.resp_p\tts");
        let e = s
            .census_entry(b"10.0.0.5\t10.0.0.1\t53\t1709510401")
            .unwrap();
        assert_eq!(e.ts, Some(1_709_510_401_000_000));
        for ts in ["-", "XXXXXXXXXX.XXXXXX", "", "1e9", "9999999999999"] {
            let line = format!("10.0.0.5\t10.0.0.1\t53\t{ts}");
            let e = s.census_entry(line.as_bytes()).unwrap();
            assert_eq!(e.ts, None, "{ts}");
        }
        // Without a proto column.
        let s = schema("id.orig_h\tid.resp_h\tid.resp_p");
        let e = s.census_entry(b"10.0.0.5\t10.0.0.1\t53").unwrap();
        assert_eq!(e.transport, Transport::Unknown);
    }

    #[test]
    fn short_lines_and_bad_ports_are_not_entries() {
        let s = schema("id.orig_h\tid.resp_h\tid.resp_p\tproto");
        assert!(s.census_entry(b"10.0.0.5\t10.0.0.1").is_none());
        assert!(s.census_entry(b"").is_none());
        assert!(
            s.census_entry(b"#fields\tid.orig_h\tid.resp_h\tid.resp_p")
                .is_none()
        );
        for port in ["-", "70000", "123456", "4x3", ""] {
            let line = format!("10.0.0.5\t10.0.0.1\t{port}\ttcp");
            assert!(s.census_entry(line.as_bytes()).is_none(), "{port}");
        }
        assert_eq!(port_number(b"65535"), Some(65535));
        assert_eq!(port_number(b"0"), Some(0));
    }

    #[test]
    fn reads_json_conn_records_and_nothing_else() {
        let line = br#"{"ts":1700000000.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":50000,"id.resp_h":"203.0.113.7","id.resp_p":8883,"proto":"tcp","service":"ssl","conn_state":"SF"}"#;
        let e = json_census_entry(line).unwrap();
        assert_eq!(
            (e.src, e.dst, e.dst_port),
            (&b"10.0.0.5"[..], &b"203.0.113.7"[..], 8883)
        );
        assert_eq!(e.transport, Transport::Tcp);
        assert_eq!(e.ts, Some(1_700_000_000_000_000));
        // An ISO 8601 time (`json_logs_timestamp_format`).
        let iso = br#"{"ts":"2023-11-14T22:13:20.5Z","id.orig_h":"10.0.0.5","id.resp_h":"203.0.113.7","id.resp_p":8883,"proto":"tcp","conn_state":"SF"}"#;
        assert_eq!(
            json_census_entry(iso).unwrap().ts,
            Some(1_700_000_000_500_000)
        );
        // Underscored keys, spaces, the port as a string, ICMP.
        let line = br#"{"id_orig_h": "fe80::1", "id_resp_h": "ff02::1", "id_resp_p": "143", "proto": "icmp", "conn_state": "OTH"}"#;
        let e = json_census_entry(line).unwrap();
        assert_eq!((e.src, e.dst_port), (&b"fe80::1"[..], 143));
        assert_eq!(e.transport, Transport::Other);
        // A dns.log record is no connection record of the census.
        let dns = br#"{"ts":1.0,"id.orig_h":"10.0.0.5","id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","query":"a.example","answers":["1.2.3.4"]}"#;
        assert!(json_census_entry(dns).is_none());
        assert!(json_census_entry(b"{\"conn_state\":\"SF\"}").is_none());
        assert!(json_census_entry(b"not json").is_none());
    }
}
