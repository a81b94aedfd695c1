//! Calendar arithmetic for the generators: epoch microseconds to the UTC text forms Zeek writes
//! (`#open`/`#close` stamps, the ISO-8601 `ts` of the JSON-streaming package) and back.
//!
//! Written out (Howard Hinnant's `days_from_civil`/`civil_from_days`) instead of calling a date
//! library because rendering runs once per generated line, and because the parser doubles as an
//! independent reader of the RFC 3339 instants in pubsub-hunt's and the oracle's output.

/// Microseconds since 1970-01-01T00:00:00Z.
pub type Micros = i64;

pub const MICROS_PER_SEC: i64 = 1_000_000;

/// A UTC calendar instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

pub fn civil_from_micros(t: Micros) -> Civil {
    let secs = t.div_euclid(MICROS_PER_SEC);
    let micros = t.rem_euclid(MICROS_PER_SEC) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: sod / 3600,
        minute: sod / 60 % 60,
        second: sod % 60,
        micros,
    }
}

fn push_padded(buf: &mut Vec<u8>, value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut v = value;
    let mut n = 0;
    loop {
        digits[19 - n] = b'0' + (v % 10) as u8;
        v /= 10;
        n += 1;
        if v == 0 {
            break;
        }
    }
    for _ in n..width {
        buf.push(b'0');
    }
    buf.extend_from_slice(&digits[20 - n..]);
}

/// Appends the decimal digits of `value`.
pub fn push_u64(buf: &mut Vec<u8>, value: u64) {
    push_padded(buf, value, 1);
}

/// Appends `t` as epoch seconds with six decimals (`1709251200.123456`), as Zeek writes `ts`.
pub fn push_epoch_seconds(buf: &mut Vec<u8>, t: Micros) {
    if t < 0 {
        buf.push(b'-');
    }
    let abs = t.unsigned_abs();
    push_u64(buf, abs / 1_000_000);
    buf.push(b'.');
    push_padded(buf, abs % 1_000_000, 6);
}

/// Appends `t` as ISO-8601 UTC with microseconds (`2024-03-04T09:15:02.123456Z`), the form of
/// the JSON-streaming-logs package.
pub fn push_iso8601(buf: &mut Vec<u8>, t: Micros) {
    let c = civil_from_micros(t);
    push_padded(buf, c.year.unsigned_abs(), 4);
    buf.push(b'-');
    push_padded(buf, u64::from(c.month), 2);
    buf.push(b'-');
    push_padded(buf, u64::from(c.day), 2);
    buf.push(b'T');
    push_padded(buf, u64::from(c.hour), 2);
    buf.push(b':');
    push_padded(buf, u64::from(c.minute), 2);
    buf.push(b':');
    push_padded(buf, u64::from(c.second), 2);
    buf.push(b'.');
    push_padded(buf, u64::from(c.micros), 6);
    buf.push(b'Z');
}

/// `t` as ISO-8601 UTC with microseconds.
pub fn iso8601(t: Micros) -> String {
    let mut buf = Vec::with_capacity(27);
    push_iso8601(&mut buf, t);
    String::from_utf8_lossy(&buf).into_owned()
}

/// `t` as the stamp of Zeek's `#open`/`#close` header lines (`2024-03-04-09-15-02`).
pub fn zeek_header_stamp(t: Micros) -> String {
    let c = civil_from_micros(t);
    format!(
        "{:04}-{:02}-{:02}-{:02}-{:02}-{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

fn digits_value(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u64, |acc, d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Parses an RFC 3339 instant (`2012-02-21T16:52:55.736107Z`, `…+00:00`, `…-05:30`, 0 to 9
/// fractional digits, digits past the sixth truncated) to microseconds. `None` for anything
/// else.
pub fn parse_rfc3339(s: &str) -> Option<Micros> {
    let b = s.trim().as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits_value(&b[0..4])? as i64;
    let month = digits_value(&b[5..7])? as u32;
    let day = digits_value(&b[8..10])? as u32;
    let hour = digits_value(&b[11..13])? as i64;
    let minute = digits_value(&b[14..16])? as i64;
    let second = digits_value(&b[17..19])? as i64;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut micros: i64 = 0;
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, d) in frac[..n.min(6)].iter().enumerate() {
            micros += i64::from(d - b'0') * 10_i64.pow(5 - i as u32);
        }
        rest = &frac[n..];
    }
    let offset_secs: i64 = match rest {
        b"Z" | b"z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits_value(&[*h1, *h2])? as i64;
            let m = digits_value(&[*m1, *m2])? as i64;
            let v = h * 3600 + m * 60;
            if *sign == b'-' { -v } else { v }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offset_secs;
    Some(secs * MICROS_PER_SEC + micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_days() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn iso_matches_jiff() {
        let mut rng = crate::rng::SplitMix64::new(3);
        for _ in 0..2_000 {
            let t = rng.between(0, 4_102_444_800_000_000) as i64; // up to 2100
            let ours = iso8601(t);
            let theirs = jiff::Timestamp::from_microsecond(t)
                .map(|ts| ts.strftime("%Y-%m-%dT%H:%M:%S.%6fZ").to_string())
                .unwrap_or_default();
            assert_eq!(ours, theirs);
            assert_eq!(parse_rfc3339(&ours), Some(t));
        }
    }

    #[test]
    fn epoch_seconds_text() {
        let mut buf = Vec::new();
        push_epoch_seconds(&mut buf, 1_329_843_175_000_107);
        assert_eq!(buf, b"1329843175.000107");
        buf.clear();
        push_epoch_seconds(&mut buf, 0);
        assert_eq!(buf, b"0.000000");
    }

    #[test]
    fn parses_rfc3339_forms() {
        let want = Some(1_329_843_175_736_107);
        assert_eq!(parse_rfc3339("2012-02-21T16:52:55.736107Z"), want);
        assert_eq!(parse_rfc3339("2012-02-21T16:52:55.7361079Z"), want);
        assert_eq!(parse_rfc3339("2012-02-21T17:52:55.736107+01:00"), want);
        assert_eq!(
            parse_rfc3339("2012-02-21T16:52:55Z"),
            Some(1_329_843_175_000_000)
        );
        assert_eq!(
            parse_rfc3339("2012-02-21T16:52:55.5Z"),
            Some(1_329_843_175_500_000)
        );
        assert_eq!(parse_rfc3339("2012-02-21T16:52:55"), None);
        assert_eq!(parse_rfc3339("2012-13-21T16:52:55Z"), None);
        assert_eq!(parse_rfc3339("garbage"), None);
    }

    #[test]
    fn header_stamp() {
        assert_eq!(
            zeek_header_stamp(1_396_394_149_000_000),
            "2014-04-01-23-15-49"
        );
    }
}
