//! Reading one value of an export, whatever the format and the mapping: the value patterns
//! of a mapping's lists (case-insensitive, `*` at either end), timestamp formats, addresses,
//! ports, host names in URLs and the protocol names in an application label. Nothing here knows
//! about rows or mappings; `siem::mapping` compiles a mapping file into these and
//! `siem::apply` uses them to read a row.
//!
//! - A value counts as present when it is not empty, not `-` and not JSON `null`.
//! - IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, as Defender writes them) are read as IPv4.
//! - Value lists compare without regard to case; a value may start and/or end with `*` to match
//!   a suffix, a prefix or a substring (`Tcp*`, `stream:*`).

use pubsub_hunt_core::Protocol;
use pubsub_hunt_core::time::{Micros, parse_epoch_seconds, parse_rfc3339};
use std::net::IpAddr;

/// A value pattern: exact, prefix (`abc*`), suffix (`*abc`) or substring (`*abc*`), compared
/// without regard to ASCII case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValuePattern {
    text: String,
    prefix_wild: bool,
    suffix_wild: bool,
}

impl ValuePattern {
    pub fn new(p: &str) -> ValuePattern {
        let prefix_wild = p.starts_with('*');
        let rest = p.strip_prefix('*').unwrap_or(p);
        let suffix_wild = rest.ends_with('*');
        let text = rest.strip_suffix('*').unwrap_or(rest).to_ascii_lowercase();
        ValuePattern {
            text,
            prefix_wild,
            suffix_wild,
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        let v = value.trim().as_bytes();
        let t = self.text.as_bytes();
        match (self.prefix_wild, self.suffix_wild) {
            (false, false) => v.eq_ignore_ascii_case(t),
            (false, true) => v.get(..t.len()).is_some_and(|h| h.eq_ignore_ascii_case(t)),
            (true, false) => v
                .len()
                .checked_sub(t.len())
                .and_then(|s| v.get(s..))
                .is_some_and(|h| h.eq_ignore_ascii_case(t)),
            (true, true) => t.is_empty() || v.windows(t.len()).any(|w| w.eq_ignore_ascii_case(t)),
        }
    }
}

pub(super) fn any_match(patterns: &[ValuePattern], value: &str) -> bool {
    patterns.iter().any(|p| p.matches(value))
}

/// How a timestamp value is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    /// RFC 3339 / ISO-8601, with or without a zone (no zone means UTC).
    Rfc3339,
    EpochSeconds,
    EpochMillis,
    EpochMicros,
    /// A strftime-like pattern (jiff); without an offset in it the time is read as UTC.
    Pattern(String),
}

impl TimeFormat {
    pub(super) fn from_name(s: &str) -> Result<TimeFormat, String> {
        Ok(match s {
            "rfc3339" | "iso8601" => TimeFormat::Rfc3339,
            "epoch_s" | "epoch" => TimeFormat::EpochSeconds,
            "epoch_ms" => TimeFormat::EpochMillis,
            "epoch_us" => TimeFormat::EpochMicros,
            p if p.contains('%') => TimeFormat::Pattern(p.to_string()),
            other => {
                return Err(format!(
                    "unknown time format {other:?} (rfc3339, epoch_s, epoch_ms, epoch_us, or a strftime pattern with %)"
                ));
            }
        })
    }

    pub(super) fn parse(&self, s: &str) -> Option<Micros> {
        let s = s.trim();
        match self {
            TimeFormat::Rfc3339 => parse_rfc3339(s),
            TimeFormat::EpochSeconds => parse_epoch_seconds(s),
            TimeFormat::EpochMillis => parse_epoch_scaled(s, 1_000),
            TimeFormat::EpochMicros => parse_epoch_scaled(s, 1),
            TimeFormat::Pattern(p) => {
                let tm = jiff::fmt::strtime::parse(p, s).ok()?;
                if let Ok(ts) = tm.to_timestamp() {
                    return Some(ts.as_microsecond());
                }
                let dt = tm.to_datetime().ok()?;
                let z = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?;
                Some(z.timestamp().as_microsecond())
            }
        }
    }
}

/// Parses a decimal count of a unit (`micros_per_unit` microseconds each), keeping integer
/// precision; digits finer than a microsecond are dropped.
fn parse_epoch_scaled(s: &str, micros_per_unit: i64) -> Option<Micros> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if int_part.is_empty()
        || int_part.len() > 18
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = int_part.parse().ok()?;
    let mut v = whole.checked_mul(micros_per_unit)?;
    // Fractional digits that still amount to whole microseconds.
    let mut scale = micros_per_unit;
    for b in frac_part.bytes() {
        scale /= 10;
        if scale == 0 {
            break;
        }
        v = v.checked_add(i64::from(b - b'0') * scale)?;
    }
    Some(if neg { -v } else { v })
}

/// Whether a value counts as present.
pub(super) fn present(v: &str) -> bool {
    let t = v.trim();
    !t.is_empty() && t != "-" && !t.eq_ignore_ascii_case("null")
}

/// Shortens input for an error message.
pub(super) fn short(s: &str) -> String {
    s.chars().take(48).collect()
}

pub(super) fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    // `[::1]` as some exports bracket IPv6.
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

pub(super) fn parse_port(name: &str, s: &str) -> Result<u16, String> {
    let t = s.trim();
    // JSON numbers written as floats by some exporters (`1883.0`).
    let t = t.strip_suffix(".0").unwrap_or(t);
    t.parse::<u16>()
        .map_err(|_| format!("bad {name} {:?}", short(s)))
}

/// The pub/sub protocols named in an application label (`mqtt`, `ssl,xmpp`, `ip:tcp:amqp`).
pub fn protocols_in_label(label: &str) -> Vec<Protocol> {
    let mut out = Vec::new();
    for part in label.split([',', ':', ';', '/', '|', ' ']) {
        if let Some(p) = Protocol::from_label(part)
            && !out.contains(&p)
        {
            out.push(p);
        }
    }
    out
}

/// The host name in a URL or bare name (`https://broker.example:8883/mqtt` → `broker.example`);
/// `None` for an empty value.
pub(super) fn host_of(value: &str) -> Option<&str> {
    let v = value.trim();
    let v = v.split_once("://").map_or(v, |(_, rest)| rest);
    let v = v.split(['/', '?', '#']).next().unwrap_or(v);
    let v = v.rsplit_once('@').map_or(v, |(_, host)| host);
    let v = match v.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            host
        }
        _ => v,
    };
    (!v.is_empty() && v != "-").then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(ValuePattern::new("Tcp*").matches("TcpV4"));
        assert!(ValuePattern::new("Tcp*").matches("tcp"));
        assert!(!ValuePattern::new("Tcp*").matches("udp"));
        assert!(ValuePattern::new("*Inspected").matches("DnsConnectionInspected"));
        assert!(ValuePattern::new("*conn*").matches("xConNy"));
        assert!(ValuePattern::new("allowed").matches(" Allowed "));
        assert!(!ValuePattern::new("allowed").matches("allowedx"));
        assert!(ValuePattern::new("*").matches("anything"));
    }

    #[test]
    fn epoch_units() {
        assert_eq!(
            parse_epoch_scaled("1714557600123", 1_000),
            Some(1_714_557_600_123_000)
        );
        assert_eq!(
            parse_epoch_scaled("1714557600123.456", 1_000),
            Some(1_714_557_600_123_456)
        );
        assert_eq!(
            parse_epoch_scaled("1714557600123456", 1),
            Some(1_714_557_600_123_456)
        );
        assert_eq!(parse_epoch_scaled("-5", 1_000), Some(-5_000));
        assert_eq!(parse_epoch_scaled("", 1_000), None);
        assert_eq!(parse_epoch_scaled("1e9", 1_000), None);
        assert_eq!(parse_epoch_scaled("999999999999999999", 1_000), None);
    }

    #[test]
    fn labels() {
        assert_eq!(protocols_in_label("ip:tcp:mqtt"), vec![Protocol::Mqtt]);
        assert_eq!(protocols_in_label("xmpp,ssl"), vec![Protocol::Xmpp]);
        assert_eq!(protocols_in_label("ssl"), vec![]);
    }

    #[test]
    fn names_and_urls() {
        assert_eq!(
            host_of("telemetry.example.net"),
            Some("telemetry.example.net")
        );
        assert_eq!(
            host_of("https://user@broker.example:8884/mqtt?x=1"),
            Some("broker.example")
        );
        assert_eq!(host_of("broker.example:1883"), Some("broker.example"));
        assert_eq!(host_of("  "), None);
        assert_eq!(host_of("-"), None);
    }
}
