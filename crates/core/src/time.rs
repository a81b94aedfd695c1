//! Time as the analytics see it: instants are microseconds since the Unix epoch (UTC), the
//! precision of Zeek and of most network logs. This module owns parsing the textual forms the
//! sources write (epoch seconds with a fraction, RFC 3339 / ISO-8601) and formatting instants as
//! RFC 3339 UTC for output.

use jiff::Timestamp;

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

const MICROS_PER_SEC: i64 = 1_000_000;

/// Parses epoch seconds written as a decimal (`1329843175.736107`, `1517336042`, `-1.5`) without
/// going through a float, so that microsecond values survive exactly. Digits past the sixth
/// fractional place are truncated. Returns `None` for anything else, including the masked
/// `XXXXXXXXXX.XXXXXX` of Zeek test baselines.
pub fn parse_epoch_seconds(s: &str) -> Option<Micros> {
    let s = s.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
        || int_part.len() > 12
    {
        return None;
    }
    let secs: i64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut frac: i64 = 0;
    for (i, b) in frac_part.bytes().take(6).enumerate() {
        frac += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
    }
    let v = secs.checked_mul(MICROS_PER_SEC)?.checked_add(frac)?;
    Some(if neg { -v } else { v })
}

/// Parses epoch seconds given as a JSON number (Zeek JSON `ts`).
pub fn from_epoch_f64(secs: f64) -> Option<Micros> {
    if !secs.is_finite() || secs.abs() > 1e12 {
        return None;
    }
    Some((secs * 1e6).round() as Micros)
}

/// Parses an RFC 3339 / ISO-8601 instant with a zone (`2018-03-24T17:15:20.873410Z`,
/// `2023-09-18T06:13:21.216460+0000`). A missing zone is read as UTC, which is what the network
/// logs that omit it (Sysmon `UtcTime`, Zeek) mean.
pub fn parse_rfc3339(s: &str) -> Option<Micros> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts.as_microsecond());
    }
    // Offsets written without a colon (+0000) and zone-less civil times.
    if let Ok(zoned) =
        jiff::fmt::strtime::parse("%Y-%m-%dT%H:%M:%S%.f%z", s).and_then(|t| t.to_timestamp())
    {
        return Some(zoned.as_microsecond());
    }
    let civil = s.replace(' ', "T");
    if let Ok(dt) = civil.trim_end_matches('Z').parse::<jiff::civil::DateTime>()
        && let Ok(z) = dt.to_zoned(jiff::tz::TimeZone::UTC)
    {
        return Some(z.timestamp().as_microsecond());
    }
    None
}

/// Formats an instant as RFC 3339 UTC (`2012-02-21T16:52:55.736107Z`).
pub fn format_rfc3339(t: Micros) -> String {
    match Timestamp::from_microsecond(t) {
        Ok(ts) => ts.to_string(),
        Err(_) => t.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_seconds_are_exact() {
        assert_eq!(
            parse_epoch_seconds("1329843175.736107"),
            Some(1_329_843_175_736_107)
        );
        assert_eq!(
            parse_epoch_seconds("1517336042"),
            Some(1_517_336_042_000_000)
        );
        assert_eq!(parse_epoch_seconds("1.5"), Some(1_500_000));
        assert_eq!(parse_epoch_seconds("1.1234567"), Some(1_123_456));
        assert_eq!(parse_epoch_seconds("-1.5"), Some(-1_500_000));
        assert_eq!(parse_epoch_seconds("XXXXXXXXXX.XXXXXX"), None);
        assert_eq!(parse_epoch_seconds(""), None);
        assert_eq!(parse_epoch_seconds("."), None);
        assert_eq!(parse_epoch_seconds("1e9"), None);
        assert_eq!(parse_epoch_seconds("99999999999999999999"), None);
    }

    #[test]
    fn rfc3339_forms() {
        let want = Some(1_521_911_720_873_410);
        assert_eq!(parse_rfc3339("2018-03-24T17:15:20.873410Z"), want);
        assert_eq!(parse_rfc3339("2018-03-24T17:15:20.873410+00:00"), want);
        assert_eq!(parse_rfc3339("2018-03-24T17:15:20.873410+0000"), want);
        assert_eq!(parse_rfc3339("2018-03-24 17:15:20.873410"), want);
        assert_eq!(parse_rfc3339("not a time"), None);
    }

    #[test]
    fn formats_utc() {
        assert_eq!(
            format_rfc3339(1_329_843_175_736_107),
            "2012-02-21T16:52:55.736107Z"
        );
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
