//! The small conversions every network-log mapping shares: a blank [`ConnEvent`] for a
//! destination, `domain\user` account names, clipped input for error messages, and syslog
//! civil times (English month abbreviations, dates and times read as UTC). It imports no
//! format module, so every format can depend on it.

use pubsub_hunt_core::ConnEvent;
use pubsub_hunt_core::time::{Micros, parse_rfc3339};
use std::net::IpAddr;

/// A connection to `dst_ip:dst_port` with nothing else known yet: every field the source does
/// not fill stays unknown.
pub(crate) fn blank_event(dst_ip: IpAddr, dst_port: u16, format: &'static str) -> ConnEvent {
    ConnEvent {
        source_format: Some(format),
        ..ConnEvent::new(dst_ip, dst_port)
    }
}

/// The account as `domain\user` when both are known, the user alone otherwise. A user that
/// already carries its domain (`CORP\alice`) is kept as written.
pub(crate) fn domain_user(domain: Option<&str>, user: Option<&str>) -> Option<String> {
    let user = user.map(str::trim).filter(|u| !u.is_empty() && *u != "-")?;
    match domain.map(str::trim).filter(|d| !d.is_empty() && *d != "-") {
        Some(d) if !user.contains('\\') => Some(format!("{d}\\{user}")),
        _ => Some(user.to_string()),
    }
}

/// At most `max` characters of `s`, for error messages that must not echo much input.
pub(crate) fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Month number (1–12) of an English three-letter month abbreviation, any case.
pub(crate) fn month_number(s: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(s))
        .and_then(|i| u32::try_from(i + 1).ok())
}

/// A civil date and time (`HH:MM:SS[.fff]`) read as UTC. Firewalls write their local time
/// without a zone; UTC is the only reading that does not depend on the machine running the
/// hunt, and the reports say the time is as logged.
pub(crate) fn civil_utc(year: i32, month: u32, day: u32, time: &str) -> Option<Micros> {
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || !(1970..=9999).contains(&year) {
        return None;
    }
    let time = time.trim_end_matches(':');
    parse_rfc3339(&format!("{year:04}-{month:02}-{day:02}T{time}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_join_domain_once() {
        assert_eq!(
            domain_user(Some("CORP"), Some("alice")).as_deref(),
            Some("CORP\\alice")
        );
        assert_eq!(
            domain_user(Some("CORP"), Some("CORP\\alice")).as_deref(),
            Some("CORP\\alice")
        );
        assert_eq!(domain_user(None, Some("bob")).as_deref(), Some("bob"));
        assert_eq!(domain_user(Some("CORP"), None), None);
        assert_eq!(domain_user(Some(""), Some(" ")), None);
    }

    #[test]
    fn civil_times() {
        assert_eq!(
            civil_utc(2018, 11, 30, "16:09:07"),
            Some(1_543_594_147_000_000)
        );
        assert_eq!(
            civil_utc(2013, 4, 29, "12:59:50:"),
            Some(1_367_240_390_000_000)
        );
        assert_eq!(civil_utc(2013, 13, 29, "12:59:50"), None);
        assert_eq!(civil_utc(2013, 4, 29, "xx"), None);
        assert_eq!(month_number("Apr"), Some(4));
        assert_eq!(month_number("DEC"), Some(12));
        assert_eq!(month_number("Foo"), None);
    }
}
