//! Applying a compiled [`Mapping`] to one record: the [`Row`] a CSV or JSON reader hands over
//! becomes a connection event (or [`Record::Other`] when the mapping's `match` conditions do
//! not hold). The rules here follow the event model and no mapping can change them:
//!
//! - Every field reference is one name or a list of names; the first name whose value is
//!   present (not empty, not `-`, not JSON `null`) wins. For addresses the first value that
//!   parses as an address wins (CIM `src` may hold a host name where `src_ip` is absent).
//! - A destination address and port are required: a record the mapping applies to without them
//!   is malformed. Everything else is optional and stays `None`/`Unknown` when absent; byte
//!   counts are never made up (a missing column is `None`, not 0).
//! - An inbound record of a mapping with `inbound_swaps_endpoints` is turned around so that the
//!   initiator is the source.

use super::mapping::{Mapping, TimeSpec};
use super::values::{any_match, host_of, parse_ip, parse_port, present, protocols_in_label, short};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{ConnEvent, Direction, Outcome, Transport};
use pubsub_hunt_reader::Record;
use std::borrow::Cow;
use std::net::IpAddr;

/// Access to one record's values by column name or JSON key.
pub trait Row {
    /// The value of `name`, or `None` when the record has no such field. Values are returned
    /// as text (numbers in their JSON spelling).
    fn get(&self, name: &str) -> Option<Cow<'_, str>>;
}

/// The first present value among `names`, with the name it came from.
fn first<'r>(row: &'r dyn Row, names: &'r [String]) -> Option<(&'r str, Cow<'r, str>)> {
    names
        .iter()
        .find_map(|n| row.get(n).filter(|v| present(v)).map(|v| (n.as_str(), v)))
}

fn first_string(row: &dyn Row, names: &[String]) -> Option<String> {
    first(row, names).map(|(_, v)| v.trim().to_string())
}

impl Mapping {
    fn applies(&self, row: &dyn Row) -> bool {
        self.conditions.iter().all(|c| match first(row, &c.field) {
            None => false,
            Some((_, v)) => {
                c.values.as_ref().is_none_or(|p| any_match(p, &v)) && !any_match(&c.not_values, &v)
            }
        })
    }

    fn time(spec: &Option<TimeSpec>, row: &dyn Row) -> Result<Option<Micros>, String> {
        let Some(spec) = spec else { return Ok(None) };
        let Some((name, v)) = first(row, &spec.field) else {
            return Ok(None);
        };
        spec.formats
            .iter()
            .find_map(|f| f.parse(&v))
            .map(Some)
            .ok_or_else(|| format!("bad {name} {:?}", short(&v)))
    }

    fn transport(&self, row: &dyn Row) -> Transport {
        match first(row, &self.transport_field) {
            None => Transport::Unknown,
            Some((_, v)) if any_match(&self.transport_tcp, &v) => Transport::Tcp,
            Some((_, v)) if any_match(&self.transport_udp, &v) => Transport::Udp,
            Some((_, v)) => Transport::from_label(&v),
        }
    }

    fn outcome(&self, row: &dyn Row) -> Outcome {
        match first(row, &self.outcome_field) {
            None => Outcome::Unknown,
            Some((_, v)) if any_match(&self.outcome_success, &v) => Outcome::Succeeded,
            Some((_, v)) if any_match(&self.outcome_failure, &v) => Outcome::Failed,
            Some(_) => self.outcome_other,
        }
    }

    fn direction(&self, row: &dyn Row) -> Direction {
        match first(row, &self.direction_field) {
            Some((_, v)) if any_match(&self.direction_inbound, &v) => Direction::Inbound,
            Some((_, v)) if any_match(&self.direction_outbound, &v) => Direction::Outbound,
            _ => Direction::Unknown,
        }
    }

    /// Bytes (to server, to client) as the mapped source/destination columns give them; a rule
    /// whose condition holds picks other columns (Splunk Stream's reversed `bytes_in`).
    fn bytes(&self, row: &dyn Row) -> Result<(Option<u64>, Option<u64>), String> {
        let (to_server, to_client) = self
            .bytes_rules
            .iter()
            .find(|r| first(row, &r.field).is_some_and(|(_, v)| any_match(&r.values, &v)))
            .map_or((&self.bytes_to_server, &self.bytes_to_client), |r| {
                (&r.to_server, &r.to_client)
            });
        let count = |names: &[String]| -> Result<Option<u64>, String> {
            match first(row, names) {
                None => Ok(None),
                Some((name, v)) => {
                    let t = v.trim();
                    let t = t.strip_suffix(".0").unwrap_or(t);
                    t.parse::<u64>()
                        .map(Some)
                        .map_err(|_| format!("bad {name} {:?}", short(&v)))
                }
            }
        };
        Ok((count(to_server)?, count(to_client)?))
    }

    fn ip(row: &dyn Row, names: &[String]) -> Result<Option<IpAddr>, (String, String)> {
        let mut bad = None;
        for n in names {
            if let Some(v) = row.get(n).filter(|v| present(v)) {
                match parse_ip(&v) {
                    Some(ip) => return Ok(Some(ip)),
                    None => {
                        bad.get_or_insert((n.clone(), short(&v)));
                    }
                }
            }
        }
        match bad {
            Some(b) => Err(b),
            None => Ok(None),
        }
    }

    fn process(&self, row: &dyn Row) -> Option<String> {
        let path = first_string(row, &self.process_path);
        let name = first_string(row, &self.process_name);
        match (path, name) {
            (Some(p), Some(n)) => {
                // Some exports give the folder only; join it with the file name then.
                let base = p.rsplit(['\\', '/']).next().unwrap_or(&p);
                if base.eq_ignore_ascii_case(&n) {
                    Some(p)
                } else {
                    let sep = if p.contains('\\') { '\\' } else { '/' };
                    let folder = p.trim_end_matches(['\\', '/']);
                    Some(format!("{folder}{sep}{n}"))
                }
            }
            (Some(p), None) => Some(p),
            (None, n) => n,
        }
    }

    fn user(&self, row: &dyn Row) -> Option<String> {
        let user = first_string(row, &self.user)?;
        match first_string(row, &self.user_domain) {
            Some(d) if !user.contains('\\') && !user.contains('@') => Some(format!("{d}\\{user}")),
            _ => Some(user),
        }
    }

    /// Reduces one record to an event, [`Record::Other`] when the mapping's `match` conditions
    /// do not hold.
    pub fn record(&self, row: &dyn Row) -> Result<Record, String> {
        if !self.applies(row) {
            return Ok(Record::Other);
        }
        let dst_ip = match Self::ip(row, &self.dst_ip) {
            Ok(Some(ip)) => ip,
            Ok(None) => return Err(format!("{} is missing", self.dst_ip.join("/"))),
            Err((name, v)) => return Err(format!("bad {name} {v:?}")),
        };
        let dst_port = match first(row, &self.dst_port) {
            Some((name, v)) => parse_port(name, &v)?,
            None => return Err(format!("{} is missing", self.dst_port.join("/"))),
        };
        // The source side is optional: a value that is not an address (a CIM `src` host name)
        // leaves it unknown rather than losing the record.
        let src_ip = Self::ip(row, &self.src_ip).unwrap_or(None);
        let src_port = match first(row, &self.src_port) {
            Some((name, v)) => Some(parse_port(name, &v)?),
            None => None,
        };
        let direction = self.direction(row);
        let (mut bytes_out, mut bytes_in) = self.bytes(row)?;
        let mut ev = ConnEvent {
            ts: Self::time(&self.timestamp, row)?,
            end: Self::time(&self.end, row)?,
            host: first_string(row, &self.host),
            process: self.process(row),
            user: self.user(row),
            src_ip,
            src_port,
            transport: self.transport(row),
            outcome: self.outcome(row),
            direction,
            app_label: first_string(row, &self.app_label),
            dst_name: first_string(row, &self.dst_name).and_then(|n| {
                host_of(&n).map(|h| pubsub_hunt_core::app::bounded_name(h).to_string())
            }),
            source_format: Some(self.name),
            ..ConnEvent::new(dst_ip, dst_port)
        };
        if direction == Direction::Inbound && self.inbound_swaps_endpoints {
            // The mapped source is the local side; in an inbound record the remote side
            // started the connection, so it becomes the initiator.
            match ev.src_ip {
                Some(local_ip) => {
                    ev.src_ip = Some(ev.dst_ip);
                    ev.dst_ip = local_ip;
                }
                None => return Err("inbound record without a local address".into()),
            }
            match ev.src_port {
                Some(local_port) => {
                    ev.src_port = Some(ev.dst_port);
                    ev.dst_port = local_port;
                }
                None => return Err("inbound record without a local port".into()),
            }
            std::mem::swap(&mut bytes_out, &mut bytes_in);
        }
        ev.bytes_out = bytes_out;
        ev.bytes_in = bytes_in;
        if let Some(label) = &ev.app_label {
            ev.identified = protocols_in_label(label);
        }
        Ok(Record::Conn(Box::new(ev)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::Protocol;
    use std::collections::HashMap;

    struct MapRow(HashMap<&'static str, &'static str>);

    impl Row for MapRow {
        fn get(&self, name: &str) -> Option<Cow<'_, str>> {
            self.0.get(name).map(|v| Cow::Borrowed(*v))
        }
    }

    fn row(pairs: &[(&'static str, &'static str)]) -> MapRow {
        MapRow(pairs.iter().copied().collect())
    }

    const SMALL: &str = r#"
name = "test-map"
description = "a test"
kind = "csv"

[[match]]
field = "kind"
values = ["conn*"]
not_values = ["*probe"]

[timestamp]
field = ["when", "time"]
formats = ["epoch_ms", "%d/%m/%Y %H:%M:%S"]

[fields]
host = "host"
process_path = "folder"
process_name = "exe"
user = "acct"
user_domain = "dom"
src_ip = ["sip", "src"]
src_port = "sport"
dst_ip = ["dip", "dest"]
dst_port = "dport"
app_label = "app"

[transport]
field = "proto"
tcp = ["Tcp*"]
udp = ["Udp*"]

[outcome]
field = "kind"
success = ["conn-ok", "conn-in"]
other = "failed"

[direction]
field = "kind"
inbound = ["conn-in"]
outbound = ["conn-ok", "conn-fail"]
inbound_swaps_endpoints = true

[bytes]
to_server = "sent"
to_client = "recv"

[[bytes.when]]
field = "st"
values = ["stream:*"]
to_server = "recv"
to_client = "sent"
"#;

    fn small() -> Mapping {
        Mapping::from_toml(SMALL).unwrap()
    }

    fn conn(m: &Mapping, r: &MapRow) -> ConnEvent {
        match m.record(r).unwrap() {
            Record::Conn(e) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_full_record() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("when", "1714557600123"),
                ("host", "ws01"),
                ("folder", r"C:\Tools\mosquitto_pub.exe"),
                ("exe", "mosquitto_pub.exe"),
                ("acct", "alice"),
                ("dom", "CORP"),
                ("sip", "::ffff:10.0.0.5"),
                ("sport", "50000"),
                ("dip", "203.0.113.7"),
                ("dport", "1883"),
                ("app", "ssl,MQTT"),
                ("proto", "TcpV4"),
                ("sent", "10"),
                ("recv", "20"),
            ]),
        );
        assert_eq!(e.ts, Some(1_714_557_600_123_000));
        assert_eq!(e.host.as_deref(), Some("ws01"));
        assert_eq!(e.process.as_deref(), Some(r"C:\Tools\mosquitto_pub.exe"));
        assert_eq!(e.user.as_deref(), Some(r"CORP\alice"));
        assert_eq!(e.src_ip, Some("10.0.0.5".parse().unwrap()));
        assert_eq!(e.src_port, Some(50000));
        assert_eq!(e.dst_ip, "203.0.113.7".parse::<IpAddr>().unwrap());
        assert_eq!(e.dst_port, 1883);
        assert_eq!(e.transport, Transport::Tcp);
        assert_eq!(e.outcome, Outcome::Succeeded);
        assert_eq!(e.direction, Direction::Outbound);
        assert_eq!(e.identified, vec![Protocol::Mqtt]);
        assert_eq!(e.app_label.as_deref(), Some("ssl,MQTT"));
        assert_eq!((e.bytes_out, e.bytes_in), (Some(10), Some(20)));
        assert_eq!(e.source_format, Some("test-map"));
    }

    #[test]
    fn folder_only_paths_are_joined_and_names_alone_kept() {
        let m = small();
        let base = [
            ("kind", "conn-ok"),
            ("dip", "203.0.113.7"),
            ("dport", "1883"),
        ];
        let mut r = row(&base);
        r.0.insert("folder", r"C:\Tools\");
        r.0.insert("exe", "nc.exe");
        assert_eq!(conn(&m, &r).process.as_deref(), Some(r"C:\Tools\nc.exe"));
        let mut r = row(&base);
        r.0.insert("exe", "nc.exe");
        assert_eq!(conn(&m, &r).process.as_deref(), Some("nc.exe"));
        let mut r = row(&base);
        r.0.insert("folder", "/usr/bin");
        r.0.insert("exe", "nc");
        assert_eq!(conn(&m, &r).process.as_deref(), Some("/usr/bin/nc"));
    }

    #[test]
    fn missing_values_stay_unknown() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-x"),
                ("dest", "2001:db8::1"),
                ("dport", "5222"),
                ("sent", ""),
            ]),
        );
        assert_eq!(e.ts, None);
        assert_eq!(e.host, None);
        assert_eq!(e.process, None);
        assert_eq!(e.user, None);
        assert_eq!(e.src_ip, None);
        assert_eq!(e.transport, Transport::Unknown);
        // A value in neither list: `other = "failed"`.
        assert_eq!(e.outcome, Outcome::Failed);
        assert_eq!(e.direction, Direction::Unknown);
        assert_eq!((e.bytes_out, e.bytes_in), (None, None));
        assert_eq!(e.dst_ip, "2001:db8::1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn user_with_domain_already_is_kept() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
                ("acct", r"X\bob"),
                ("dom", "CORP"),
            ]),
        );
        assert_eq!(e.user.as_deref(), Some(r"X\bob"));
    }

    #[test]
    fn inbound_records_are_turned_around() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-in"),
                ("sip", "10.0.0.5"),
                ("sport", "1883"),
                ("dip", "198.51.100.9"),
                ("dport", "40000"),
                ("sent", "1"),
                ("recv", "2"),
            ]),
        );
        assert_eq!(e.direction, Direction::Inbound);
        assert_eq!(e.src_ip, Some("198.51.100.9".parse().unwrap()));
        assert_eq!(e.src_port, Some(40000));
        assert_eq!(e.dst_ip, "10.0.0.5".parse::<IpAddr>().unwrap());
        assert_eq!(e.dst_port, 1883);
        assert_eq!((e.bytes_out, e.bytes_in), (Some(2), Some(1)));
    }

    #[test]
    fn byte_rules_pick_other_columns() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
                ("st", "stream:tcp"),
                ("sent", "5"),
                ("recv", "7"),
            ]),
        );
        assert_eq!((e.bytes_out, e.bytes_in), (Some(7), Some(5)));
    }

    #[test]
    fn match_conditions_and_errors() {
        let m = small();
        assert!(matches!(
            m.record(&row(&[("dip", "1.2.3.4"), ("dport", "1")])),
            Ok(Record::Other)
        ));
        assert!(matches!(
            m.record(&row(&[
                ("kind", "conn-probe"),
                ("dip", "1.2.3.4"),
                ("dport", "1")
            ])),
            Ok(Record::Other)
        ));
        assert!(matches!(
            m.record(&row(&[("kind", "other"), ("dip", "1.2.3.4")])),
            Ok(Record::Other)
        ));
        let err = |pairs: &[(&'static str, &'static str)]| m.record(&row(pairs)).unwrap_err();
        assert!(err(&[("kind", "conn-ok"), ("dport", "1")]).contains("missing"));
        assert!(err(&[("kind", "conn-ok"), ("dip", "1.2.3.4")]).contains("missing"));
        assert!(err(&[("kind", "conn-ok"), ("dip", "nope"), ("dport", "1")]).contains("bad dip"));
        assert!(
            err(&[("kind", "conn-ok"), ("dip", "1.2.3.4"), ("dport", "70000")])
                .contains("bad dport")
        );
        assert!(
            err(&[
                ("kind", "conn-ok"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
                ("when", "yesterday")
            ])
            .contains("bad when")
        );
        assert!(
            err(&[
                ("kind", "conn-ok"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
                ("sent", "-5")
            ])
            .contains("bad sent")
        );
        // A host name where an address is optional leaves it unknown.
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("src", "ws01"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
            ]),
        );
        assert_eq!(e.src_ip, None);
    }

    #[test]
    fn strftime_patterns_read_as_utc() {
        let m = small();
        let e = conn(
            &m,
            &row(&[
                ("kind", "conn-ok"),
                ("time", "01/05/2024 10:00:00"),
                ("dip", "1.2.3.4"),
                ("dport", "1"),
            ]),
        );
        assert_eq!(e.ts, Some(1_714_557_600_000_000));
    }
}
