//! The Sysmon Event ID 3 record every reader fills ([`SysmonEvent`]) and its one mapping to a
//! [`ConnEvent`], turned initiator → responder from `Initiated`, with the field parsers
//! (times, addresses, ports) and the limits the readers share. It imports no reader module, so
//! every reader can depend on it.

use pubsub_hunt_core::time::parse_rfc3339;
use pubsub_hunt_core::{ConnEvent, Direction, Outcome, Transport};
use pubsub_hunt_reader::Record;
use std::borrow::Cow;
use std::net::IpAddr;

/// Sysmon's NetworkConnect event id.
pub const NETWORK_CONNECT: u32 = 3;

/// Longest text of one field kept by the readers, in bytes; longer values are an error rather
/// than a reason to grow without bound.
pub(crate) const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The fields of one Windows or Linux event that the mapping needs, however the source spelled
/// them. `None` when the source did not carry the field.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SysmonEvent<'a> {
    pub event_id: Option<Cow<'a, str>>,
    /// Provider name (`Microsoft-Windows-Sysmon`, `Linux-Sysmon`).
    pub provider: Option<Cow<'a, str>>,
    /// Channel (`Microsoft-Windows-Sysmon/Operational`).
    pub channel: Option<Cow<'a, str>>,
    /// The host the event was logged on (`Computer`, `Hostname`, `winlog.computer_name`).
    pub computer: Option<Cow<'a, str>>,
    /// `TimeCreated`: when the event was written (ISO-8601 with a zone).
    pub system_time: Option<Cow<'a, str>>,
    pub record_id: Option<Cow<'a, str>>,
    /// Event data, named as Sysmon names them.
    pub utc_time: Option<Cow<'a, str>>,
    pub image: Option<Cow<'a, str>>,
    pub user: Option<Cow<'a, str>>,
    pub protocol: Option<Cow<'a, str>>,
    pub initiated: Option<Cow<'a, str>>,
    pub source_ip: Option<Cow<'a, str>>,
    pub source_port: Option<Cow<'a, str>>,
    pub destination_ip: Option<Cow<'a, str>>,
    pub destination_port: Option<Cow<'a, str>>,
    pub destination_hostname: Option<Cow<'a, str>>,
}

/// A field's value, or `None` when absent, empty or Sysmon's `-` placeholder.
fn value<'s>(v: &'s Option<Cow<'_, str>>) -> Option<&'s str> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "-")
}

/// Up to 40 characters of a value, for error messages that must not echo much input.
pub(crate) fn excerpt(s: &str) -> String {
    s.chars().take(40).collect()
}

impl SysmonEvent<'_> {
    /// Whether the event comes from Sysmon. Sources that carry neither a provider nor a channel
    /// (a bare `<Event>` without `<System>`) are taken as Sysmon when they have its connection
    /// fields.
    pub fn is_sysmon(&self) -> bool {
        let named = |v: &Option<Cow<'_, str>>| {
            value(v).map(|s| s.contains("Sysmon") || s.contains("sysmon"))
        };
        match (named(&self.provider), named(&self.channel)) {
            (Some(true), _) | (_, Some(true)) => true,
            (None, None) => self.destination_ip.is_some(),
            _ => false,
        }
    }

    /// The event id as a number, when it is one.
    pub fn event_id(&self) -> Option<u32> {
        value(&self.event_id).and_then(|s| s.parse().ok())
    }

    /// Turns the event into a record: a connection for Sysmon event 3, `Other` for any other
    /// event, `Err` when an event 3 has a field that cannot be read.
    pub fn to_record(&self) -> Result<Record, String> {
        if !self.is_sysmon() || self.event_id() != Some(NETWORK_CONNECT) {
            return Ok(Record::Other);
        }
        self.to_conn().map(|e| Record::Conn(Box::new(e)))
    }

    /// Maps a Sysmon event 3 to a connection, initiator → responder.
    pub fn to_conn(&self) -> Result<ConnEvent, String> {
        let ts = match (value(&self.utc_time), value(&self.system_time)) {
            (Some(t), _) => {
                Some(parse_time(t).ok_or_else(|| format!("bad UtcTime {:?}", excerpt(t)))?)
            }
            (None, Some(t)) => {
                Some(parse_time(t).ok_or_else(|| format!("bad TimeCreated {:?}", excerpt(t)))?)
            }
            (None, None) => None,
        };
        let source_ip = value(&self.source_ip)
            .map(|s| parse_ip(s).ok_or_else(|| format!("bad SourceIp {:?}", excerpt(s))))
            .transpose()?;
        let source_port = value(&self.source_port)
            .map(|s| parse_port(s).ok_or_else(|| format!("bad SourcePort {:?}", excerpt(s))))
            .transpose()?;
        let dest = value(&self.destination_ip).ok_or("DestinationIp is missing")?;
        let destination_ip =
            parse_ip(dest).ok_or_else(|| format!("bad DestinationIp {:?}", excerpt(dest)))?;
        let dest_port = value(&self.destination_port).ok_or("DestinationPort is missing")?;
        let destination_port = parse_port(dest_port)
            .ok_or_else(|| format!("bad DestinationPort {:?}", excerpt(dest_port)))?;
        let direction = match value(&self.initiated) {
            None => Direction::Unknown,
            Some(s) if s.eq_ignore_ascii_case("true") || s == "1" => Direction::Outbound,
            Some(s) if s.eq_ignore_ascii_case("false") || s == "0" => Direction::Inbound,
            Some(s) => return Err(format!("bad Initiated {:?}", excerpt(s))),
        };
        // Sysmon's Source is the local socket. For an accepted connection the remote peer
        // (Destination) started it, so the two sides are swapped to keep initiator → responder.
        let (src_ip, src_port, dst_ip, dst_port) = match (direction, source_ip, source_port) {
            (Direction::Inbound, Some(local_ip), Some(local_port)) => (
                Some(destination_ip),
                Some(destination_port),
                local_ip,
                local_port,
            ),
            _ => (source_ip, source_port, destination_ip, destination_port),
        };
        Ok(ConnEvent {
            ts,
            host: value(&self.computer).map(str::to_string),
            process: value(&self.image).map(str::to_string),
            user: value(&self.user).map(str::to_string),
            src_ip,
            src_port,
            transport: value(&self.protocol).map_or(Transport::Unknown, Transport::from_label),
            // Sysmon logs a connection once it is established (or, for UDP, once a datagram
            // went out or came in).
            outcome: Outcome::Succeeded,
            direction,
            // DestinationPortName is a services-file name for the port, not a protocol the
            // source saw in the traffic, so it is not passed on as a label.
            app_label: None,
            dst_name: value(&self.destination_hostname)
                .map(|n| pubsub_hunt_core::app::bounded_name(n).to_string()),
            ..ConnEvent::new(dst_ip, dst_port)
        })
    }
}

/// Parses Sysmon's `UtcTime` (`2019-05-14 04:27:26.575`, UTC without a marker) and the
/// `TimeCreated` forms (`2019-09-03T11:04:07.2070480Z`, `2019-09-03 11:04:07.207048+00:00`,
/// nine fractional digits on Linux).
pub fn parse_time(s: &str) -> Option<i64> {
    parse_rfc3339(s)
}

/// Parses an address as Sysmon and its collectors write it: IPv4, IPv6 (optionally in
/// brackets or with a `%zone`), and IPv4-mapped IPv6 (`::ffff:1.2.3.4`), which is kept as the
/// IPv4 address it stands for so that both spellings of one peer group together.
pub fn parse_ip(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let s = s
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(s);
    let s = s.split_once('%').map_or(s, |(addr, _zone)| addr);
    s.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
}

/// Parses a port number (a JSON source may have written `443.0`-free integers only).
pub fn parse_port(s: &str) -> Option<u16> {
    s.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn event() -> SysmonEvent<'static> {
        SysmonEvent {
            event_id: Some("3".into()),
            provider: Some("Microsoft-Windows-Sysmon".into()),
            channel: Some("Microsoft-Windows-Sysmon/Operational".into()),
            computer: Some("WS1".into()),
            system_time: Some("2019-09-03T11:04:07.2070480Z".into()),
            record_id: Some("7".into()),
            utc_time: Some("2019-05-14 04:27:26.575".into()),
            image: Some(r"C:\Tools\mosquitto_pub.exe".into()),
            user: Some(r"CORP\alice".into()),
            protocol: Some("tcp".into()),
            initiated: Some("true".into()),
            source_ip: Some("10.0.0.5".into()),
            source_port: Some("50000".into()),
            destination_ip: Some("203.0.113.9".into()),
            destination_port: Some("1883".into()),
            destination_hostname: Some("broker.hivemq.com".into()),
        }
    }

    #[test]
    fn outbound_event_maps_every_field() {
        let e = event().to_conn().unwrap();
        assert_eq!(e.ts, Some(1_557_808_046_575_000));
        assert_eq!(e.host.as_deref(), Some("WS1"));
        assert_eq!(e.process.as_deref(), Some(r"C:\Tools\mosquitto_pub.exe"));
        assert_eq!(e.user.as_deref(), Some(r"CORP\alice"));
        assert_eq!(e.src_ip, Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5))));
        assert_eq!(e.src_port, Some(50000));
        assert_eq!(e.dst_ip, IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)));
        assert_eq!(e.dst_port, 1883);
        assert_eq!(e.transport, Transport::Tcp);
        assert_eq!(e.direction, Direction::Outbound);
        assert_eq!(e.outcome, Outcome::Succeeded);
        assert!(e.identified.is_empty());
        assert_eq!(e.bytes_out, None);
        assert_eq!(e.bytes_in, None);
        assert_eq!(e.dst_name.as_deref(), Some("broker.hivemq.com"));
    }

    #[test]
    fn inbound_event_is_turned_to_the_initiator() {
        let mut ev = event();
        ev.initiated = Some("False".into());
        ev.source_port = Some("5222".into());
        ev.destination_port = Some("61000".into());
        let e = ev.to_conn().unwrap();
        assert_eq!(e.direction, Direction::Inbound);
        assert_eq!(e.src_ip, Some(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9))));
        assert_eq!(e.src_port, Some(61000));
        assert_eq!(e.dst_ip, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5)));
        assert_eq!(e.dst_port, 5222);
    }

    #[test]
    fn time_falls_back_to_time_created() {
        let mut ev = event();
        ev.utc_time = Some("-".into());
        assert_eq!(ev.to_conn().unwrap().ts, Some(1_567_508_647_207_048));
        ev.system_time = Some("2019-09-03 11:04:07.207048+00:00".into());
        assert_eq!(ev.to_conn().unwrap().ts, Some(1_567_508_647_207_048));
        ev.system_time = Some("2022-11-24T09:59:47.924977000Z".into());
        assert_eq!(ev.to_conn().unwrap().ts, Some(1_669_283_987_924_977));
        ev.system_time = None;
        assert_eq!(ev.to_conn().unwrap().ts, None);
    }

    #[test]
    fn addresses() {
        assert_eq!(
            parse_ip("::ffff:192.0.2.1"),
            Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)))
        );
        assert_eq!(
            parse_ip("fe80::1%12"),
            Some(IpAddr::V6("fe80::1".parse::<Ipv6Addr>().unwrap()))
        );
        assert_eq!(
            parse_ip("[2001:db8::1]"),
            Some(IpAddr::V6("2001:db8::1".parse::<Ipv6Addr>().unwrap()))
        );
        assert_eq!(parse_ip("::1"), Some(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(parse_ip("1.2.3"), None);
        let mut ev = event();
        ev.destination_ip = Some("::ffff:203.0.113.9".into());
        ev.source_ip = Some("::ffff:10.0.0.5".into());
        let e = ev.to_conn().unwrap();
        assert_eq!(e.dst_ip, IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9)));
        assert_eq!(e.src_ip, Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5))));
    }

    #[test]
    fn bad_fields_are_errors_and_other_events_are_other() {
        for (field, bad) in [
            ("DestinationIp", "10.0.0"),
            ("DestinationPort", "70000"),
            ("UtcTime", "yesterday"),
            ("Initiated", "maybe"),
            ("SourcePort", "x"),
        ] {
            let mut ev = event();
            let slot = match field {
                "DestinationIp" => &mut ev.destination_ip,
                "DestinationPort" => &mut ev.destination_port,
                "UtcTime" => &mut ev.utc_time,
                "Initiated" => &mut ev.initiated,
                _ => &mut ev.source_port,
            };
            *slot = Some(bad.into());
            let err = ev.to_record().unwrap_err();
            assert!(err.contains(field), "{err}");
        }
        let mut ev = event();
        ev.destination_ip = None;
        assert!(ev.to_record().is_err());
        let mut ev = event();
        ev.event_id = Some("1".into());
        assert!(matches!(ev.to_record(), Ok(Record::Other)));
        let mut ev = event();
        ev.provider = Some("Microsoft-Windows-Security-Auditing".into());
        ev.channel = Some("Security".into());
        assert!(matches!(ev.to_record(), Ok(Record::Other)));
        // Empty and `-` values are absent, not errors.
        let mut ev = event();
        ev.source_ip = Some("-".into());
        ev.source_port = Some(String::new().into());
        ev.user = Some("-".into());
        let e = ev.to_conn().unwrap();
        assert_eq!((e.src_ip, e.src_port, e.user), (None, None, None));
    }
}
