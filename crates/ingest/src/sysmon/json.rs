//! The `sysmon-json` format: Windows events as JSON lines, in the shapes collectors write them.
//!
//! - Winlogbeat / Elastic Agent without the Sysmon ingest pipeline: `winlog.event_id`,
//!   `winlog.channel`, `winlog.provider_name`, `winlog.computer_name`, and the event data in
//!   `winlog.event_data.*` (all strings). When the pipeline has already moved the event data
//!   into ECS fields, those are read instead (`source.ip`, `destination.port`,
//!   `process.executable`, `network.transport`, `network.direction`, `user.*`, `host.name`).
//! - OTRF "flat" JSON (Mordor datasets): event data at top level with `EventID`, `Channel`,
//!   `SourceName`, `Hostname`, `TimeCreated`.
//! - NXLog `im_msvistalog`: the same top-level names with native numbers; its `EventTime` is the
//!   collector's local time and is not used (`UtcTime` is).
//! - Azure Log Analytics `Syslog` rows of Sysmon for Linux: the `<Event>` XML in
//!   `SyslogMessage`.
//!
//! Records of other channels and other Sysmon event ids are `Other`. Parsing borrows from the
//! line into a struct of just the fields used; everything else is skipped by serde.

use super::event::{MAX_FIELD_BYTES, SysmonEvent};
use super::xml::{cut_event_id, escape_stray_ampersands, parse_event};
use pubsub_hunt_reader::{
    CERTAIN, Confidence, FormatSpec, LIKELY, LineFormat, Reader, Record, head_lines,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;
use std::sync::Arc;

/// A JSON value as collectors write Windows fields: a string, a number or a boolean; `null` is
/// absent, and an object or array is kept as "present but unusable". Deserialized by hand
/// (not an untagged enum) so that strings are borrowed from the line without buffering.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    UInt(u64),
    Float(f64),
    Bool(bool),
    Null,
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::UInt(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D: serde::Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<Self::Value, D::Error> {
                Scalar::deserialize(d)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'a> Scalar<'a> {
    fn into_text(self) -> Option<Cow<'a, str>> {
        match self {
            Scalar::Str(s) => Some(s),
            Scalar::Int(n) => Some(Cow::Owned(n.to_string())),
            Scalar::UInt(n) => Some(Cow::Owned(n.to_string())),
            Scalar::Float(f) => Some(Cow::Owned(f.to_string())),
            Scalar::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
            Scalar::Null => None,
            Scalar::Other => Some(Cow::Borrowed("?")),
        }
    }
}

fn text(v: Option<Scalar<'_>>) -> Option<Cow<'_, str>> {
    v.and_then(Scalar::into_text)
}

/// Sysmon event data fields, as OTRF/NXLog write them at top level and Winlogbeat writes them
/// under `winlog.event_data`.
#[derive(Deserialize, Default)]
#[allow(non_snake_case)]
struct EventData<'a> {
    #[serde(default, borrow)]
    UtcTime: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Image: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    User: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Protocol: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Initiated: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    SourceIp: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    SourcePort: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    DestinationIp: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    DestinationPort: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    DestinationHostname: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
struct Winlog<'a> {
    #[serde(default, borrow)]
    event_id: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    channel: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    provider_name: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    computer_name: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    record_id: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    event_data: Option<EventData<'a>>,
}

/// `host` is an object in Winlogbeat and a string (the collector) in NXLog.
#[derive(Deserialize)]
#[serde(untagged)]
enum Host<'a> {
    Obj {
        #[serde(default, borrow)]
        name: Option<Cow<'a, str>>,
    },
    Other(IgnoredAny),
}

/// ECS endpoint (`source`, `destination`).
#[derive(Deserialize)]
struct Endpoint<'a> {
    #[serde(default, borrow)]
    ip: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    port: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
struct Process<'a> {
    #[serde(default, borrow)]
    executable: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
struct Network<'a> {
    #[serde(default, borrow)]
    transport: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    direction: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
struct User<'a> {
    #[serde(default, borrow)]
    name: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    domain: Option<Scalar<'a>>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct Line<'a> {
    #[serde(default, borrow)]
    EventID: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Channel: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    SourceName: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    ProviderName: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Hostname: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Computer: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    TimeCreated: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    EventRecordID: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    RecordNumber: Option<Scalar<'a>>,
    #[serde(default, borrow, rename = "@timestamp")]
    timestamp: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    SyslogMessage: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    HostName: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    winlog: Option<Winlog<'a>>,
    #[serde(default, borrow)]
    host: Option<Host<'a>>,
    #[serde(default, borrow)]
    source: Option<Endpoint<'a>>,
    #[serde(default, borrow)]
    destination: Option<Endpoint<'a>>,
    #[serde(default, borrow)]
    process: Option<Process<'a>>,
    #[serde(default, borrow)]
    network: Option<Network<'a>>,
    #[serde(default, borrow)]
    user: Option<User<'a>>,
    // Top-level event data (OTRF, NXLog).
    #[serde(default, borrow)]
    UtcTime: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Image: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    User: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Protocol: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    Initiated: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    SourceIp: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    SourcePort: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    DestinationIp: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    DestinationPort: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    DestinationHostname: Option<Scalar<'a>>,
}

fn fill_event_data<'a>(ev: &mut SysmonEvent<'a>, d: EventData<'a>) {
    ev.utc_time = text(d.UtcTime);
    ev.image = text(d.Image);
    ev.user = text(d.User);
    ev.protocol = text(d.Protocol);
    ev.initiated = text(d.Initiated);
    ev.source_ip = text(d.SourceIp);
    ev.source_port = text(d.SourcePort);
    ev.destination_ip = text(d.DestinationIp);
    ev.destination_port = text(d.DestinationPort);
    ev.destination_hostname = text(d.DestinationHostname);
}

/// Parses one JSON line into a record.
pub fn parse_line(line: &[u8]) -> Result<Record, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(Record::Skip);
    }
    let r: Line<'_> = serde_json::from_slice(line).map_err(|e| format!("bad JSON: {e}"))?;
    // Azure `Syslog` row of Sysmon for Linux: the event is the XML in SyslogMessage.
    if let Some(msg) = text(r.SyslogMessage) {
        let Some(start) = super::xml::find_event_start(msg.as_bytes()) else {
            return Ok(Record::Other);
        };
        let rest = msg.get(start..).unwrap_or_default();
        let Some(end) = rest.rfind("</Event>").map(|i| i + 8) else {
            // Cut by a syslog line limit: only an event 3 is a loss.
            return match cut_event_id(rest.as_bytes()) {
                Some(id) if id != super::event::NETWORK_CONNECT => Ok(Record::Other),
                _ => Err("event XML in SyslogMessage is cut off".into()),
            };
        };
        let xml = rest
            .get(..end)
            .ok_or("event XML in SyslogMessage is cut off")?;
        if xml.len() > MAX_FIELD_BYTES * 4 {
            return Err("event XML in SyslogMessage too long".into());
        }
        let xml = escape_stray_ampersands(xml);
        let mut ev = parse_event(&xml)?;
        if ev.computer.is_none() {
            ev.computer = text(r.Computer.or(r.HostName)).map(|c| Cow::Owned(c.into_owned()));
        }
        return ev.to_record();
    }
    let mut ev = SysmonEvent::default();
    if let Some(w) = r.winlog {
        ev.event_id = text(w.event_id);
        ev.channel = text(w.channel);
        ev.provider = text(w.provider_name);
        ev.computer = text(w.computer_name);
        ev.record_id = text(w.record_id);
        ev.system_time = text(r.timestamp);
        if let Some(d) = w.event_data {
            fill_event_data(&mut ev, d);
        }
        if ev.computer.is_none() {
            ev.computer = match r.host {
                Some(Host::Obj { name }) => name,
                _ => None,
            };
        }
        // The Sysmon ingest pipeline moves the event data into ECS fields.
        if ev.destination_ip.is_none() {
            if let Some(s) = r.source {
                ev.source_ip = text(s.ip);
                ev.source_port = text(s.port);
            }
            if let Some(d) = r.destination {
                ev.destination_ip = text(d.ip);
                ev.destination_port = text(d.port);
            }
            if ev.image.is_none() {
                ev.image = r.process.and_then(|p| text(p.executable));
            }
            if let Some(n) = r.network {
                if ev.protocol.is_none() {
                    ev.protocol = text(n.transport);
                }
                if ev.initiated.is_none() {
                    ev.initiated = text(n.direction).map(|d| {
                        Cow::Borrowed(match d.as_ref() {
                            "egress" | "outbound" => "true",
                            "ingress" | "inbound" => "false",
                            _ => "-",
                        })
                    });
                }
            }
            if ev.user.is_none()
                && let Some(u) = r.user
            {
                ev.user = match (text(u.domain), text(u.name)) {
                    (Some(d), Some(n)) => Some(Cow::Owned(format!("{d}\\{n}"))),
                    (None, n) => n,
                    (Some(_), None) => None,
                };
            }
        }
        return ev.to_record();
    }
    ev.event_id = text(r.EventID);
    ev.channel = text(r.Channel);
    ev.provider = text(r.SourceName.or(r.ProviderName));
    ev.computer = text(r.Hostname.or(r.Computer));
    ev.record_id = text(r.EventRecordID.or(r.RecordNumber));
    ev.system_time = text(r.TimeCreated);
    fill_event_data(
        &mut ev,
        EventData {
            UtcTime: r.UtcTime,
            Image: r.Image,
            User: r.User,
            Protocol: r.Protocol,
            Initiated: r.Initiated,
            SourceIp: r.SourceIp,
            SourcePort: r.SourcePort,
            DestinationIp: r.DestinationIp,
            DestinationPort: r.DestinationPort,
            DestinationHostname: r.DestinationHostname,
        },
    );
    if ev.event_id.is_none() && ev.channel.is_none() && ev.provider.is_none() {
        return Err("not a Windows event (no EventID, Channel or winlog)".into());
    }
    ev.to_record()
}

/// The `sysmon-json` format.
pub struct JsonSpec;

impl FormatSpec for JsonSpec {
    fn name(&self) -> &'static str {
        "sysmon-json"
    }

    fn description(&self) -> &'static str {
        "Sysmon event 3 as JSON lines: Winlogbeat/Elastic Agent (winlog.event_data), OTRF flat JSON, NXLog, Azure Syslog with Sysmon for Linux XML"
    }

    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        let mut best = None;
        for line in head_lines(head, 32) {
            let line = line.trim_ascii_start();
            if !line.starts_with(b"{") {
                return None;
            }
            let has = |s: &[u8]| memchr::memmem::find(line, s).is_some();
            let sysmon = has(b"Microsoft-Windows-Sysmon") || has(b"Linux-Sysmon");
            let confidence = if has(b"\"SyslogMessage\"") {
                // Any Azure Syslog row is not ours; one carrying Sysmon XML is.
                sysmon.then_some(CERTAIN)
            } else if has(b"\"winlog\"")
                || (has(b"\"EventID\"") && (has(b"\"Channel\"") || has(b"\"SourceName\"")))
            {
                Some(if sysmon { CERTAIN } else { LIKELY })
            } else {
                None
            };
            best = best.max(confidence);
            if best == Some(CERTAIN) {
                break;
            }
        }
        best
    }

    fn open(&self, _head: &[u8]) -> Result<Reader, String> {
        Ok(Reader::Lines(Arc::new(JsonLines)))
    }
}

/// Parses `sysmon-json` lines.
pub struct JsonLines;

impl LineFormat for JsonLines {
    fn name(&self) -> &'static str {
        "sysmon-json"
    }

    fn records_programs(&self) -> bool {
        true
    }

    fn parse_line(&self, line: &[u8]) -> Result<Record, String> {
        parse_line(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::{ConnEvent, Direction, Transport};

    fn conn(line: &str) -> ConnEvent {
        match parse_line(line.as_bytes()) {
            Ok(Record::Conn(e)) => *e,
            other => panic!("{other:?}"),
        }
    }

    const OTRF: &str = r#"{"Keywords":"0x8000000000000000","Task":"3","RuleName":"-","SourceIsIpv6":"false","Protocol":"tcp","DestinationIp":"151.101.208.133","SourceHostname":"-","Initiated":"true","SourcePort":"61091","User":"NT AUTHORITY\\SYSTEM","SourceName":"Microsoft-Windows-Sysmon","ProcessGuid":"{39e4a257-79fb-5f92-7217-000000000700}","UtcTime":"2020-10-23 06:36:42.882","SourcePortName":"-","SourceIp":"192.168.2.5","DestinationPort":"443","ProcessId":"4696","TimeCreated":"2020-10-23T02:36:46.838Z","@timestamp":"2020-10-23T02:36:46.838Z","DestinationHostname":"-","Level":"4","Image":"C:\\windows\\System32\\svchost.exe","Hostname":"WORKSTATION5","DestinationPortName":"-","Channel":"Microsoft-Windows-Sysmon/Operational","DestinationIsIpv6":"false","EventID":3,"ProviderGuid":"{5770385f-c22a-43e0-bf4c-06f5698ffbd9}","Message":"Network connection detected:\r\nRuleName: -"}"#;

    #[test]
    fn otrf_flat() {
        let e = conn(OTRF);
        assert_eq!(e.host.as_deref(), Some("WORKSTATION5"));
        assert_eq!(
            e.process.as_deref(),
            Some(r"C:\windows\System32\svchost.exe")
        );
        assert_eq!(e.user.as_deref(), Some(r"NT AUTHORITY\SYSTEM"));
        assert_eq!(
            e.src_ip.map(|i| i.to_string()).as_deref(),
            Some("192.168.2.5")
        );
        assert_eq!(e.src_port, Some(61091));
        assert_eq!(e.dst_ip.to_string(), "151.101.208.133");
        assert_eq!(e.dst_port, 443);
        assert_eq!(e.direction, Direction::Outbound);
        assert_eq!(e.transport, Transport::Tcp);
        // 2020-10-23 06:36:42.882 UTC
        assert_eq!(e.ts, Some(1_603_435_002_882_000));
    }

    #[test]
    fn nxlog_numbers_are_native() {
        let e = conn(
            r#"{"EventReceivedTime":"2020-09-22 14:53:34","EventID":3,"Channel":"Microsoft-Windows-Sysmon/Operational","host":"wec.internal.cloudapp.net","Protocol":"tcp","SourcePort":"62782","DestinationPort":445,"User":"NT AUTHORITY\\SYSTEM","SourceName":"Microsoft-Windows-Sysmon","DestinationIp":"172.18.39.6","SourceIp":"172.18.39.5","Keywords":-9223372036854775808,"Task":3,"Initiated":"true","Version":5,"Image":"System","EventTime":"2020-09-22 14:53:31","UtcTime":"2020-09-22 18:53:31.668","Hostname":"WORKSTATION5.theshire.local"}"#,
        );
        assert_eq!(e.host.as_deref(), Some("WORKSTATION5.theshire.local"));
        assert_eq!(e.dst_port, 445);
        assert_eq!(e.process.as_deref(), Some("System"));
        assert_eq!(e.ts, Some(1_600_800_811_668_000));
    }

    #[test]
    fn winlogbeat_event_data_and_ecs() {
        let raw = r#"{"@timestamp":"2019-03-18T16:57:48.070Z","host":{"name":"vagrant-2016"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":3,"provider_name":"Microsoft-Windows-Sysmon","computer_name":"vagrant-2016","record_id":99,"event_data":{"UtcTime":"2019-03-18 16:57:38.007","Image":"C:\\Program Files\\mosquitto\\mosquitto_pub.exe","User":"VAGRANT-2016\\vagrant","Protocol":"tcp","Initiated":"true","SourceIp":"10.0.2.15","SourcePort":"49781","DestinationIp":"::ffff:198.51.100.7","DestinationPort":"8883"}}}"#;
        let e = conn(raw);
        assert_eq!(e.host.as_deref(), Some("vagrant-2016"));
        assert_eq!(e.dst_ip.to_string(), "198.51.100.7");
        assert_eq!(e.dst_port, 8883);
        assert_eq!(e.user.as_deref(), Some(r"VAGRANT-2016\vagrant"));
        assert_eq!(e.ts, Some(1_552_928_258_007_000));
        let ecs = r#"{"@timestamp":"2019-03-18T16:57:48.070Z","host":{"name":"vagrant-2016"},"winlog":{"channel":"Microsoft-Windows-Sysmon/Operational","event_id":"3","provider_name":"Microsoft-Windows-Sysmon","event_data":{"RuleName":"-"}},"source":{"ip":"10.0.2.15","port":49781},"destination":{"ip":"198.51.100.7","port":8883},"process":{"executable":"C:\\Program Files\\mosquitto\\mosquitto_pub.exe"},"network":{"transport":"tcp","direction":"egress"},"user":{"name":"vagrant","domain":"VAGRANT-2016"}}"#;
        let f = conn(ecs);
        assert_eq!(f.host, e.host);
        assert_eq!(
            (f.src_ip, f.src_port, f.dst_ip, f.dst_port),
            (e.src_ip, e.src_port, e.dst_ip, e.dst_port)
        );
        assert_eq!(f.process, e.process);
        assert_eq!(f.user, e.user);
        assert_eq!(f.direction, Direction::Outbound);
        // Without UtcTime, the time is when the event was written.
        assert_eq!(f.ts, Some(1_552_928_268_070_000));
    }

    #[test]
    fn azure_syslog_row_with_linux_xml() {
        let raw = r#"{"Computer":"UBUNTU5","SyslogMessage":"\u003cEvent\u003e\u003cSystem\u003e\u003cProvider Name=\"Linux-Sysmon\" Guid=\"{ff032593-a8d3-4f13-b0d6-01fc615a0f97}\"/\u003e\u003cEventID\u003e3\u003c/EventID\u003e\u003cTimeCreated SystemTime=\"2022-05-11T18:10:21.783984000Z\"/\u003e\u003cChannel\u003eLinux-Sysmon/Operational\u003c/Channel\u003e\u003c/System\u003e\u003cEventData\u003e\u003cData Name=\"UtcTime\"\u003e2022-05-11 18:10:21.790\u003c/Data\u003e\u003cData Name=\"Image\"\u003e/usr/bin/java\u003c/Data\u003e\u003cData Name=\"User\"\u003etomcat\u003c/Data\u003e\u003cData Name=\"Protocol\"\u003etcp\u003c/Data\u003e\u003cData Name=\"Initiated\"\u003etrue\u003c/Data\u003e\u003cData Name=\"SourceIp\"\u003e192.168.2.5\u003c/Data\u003e\u003cData Name=\"SourcePort\"\u003e41696\u003c/Data\u003e\u003cData Name=\"DestinationIp\"\u003e192.168.2.6\u003c/Data\u003e\u003cData Name=\"DestinationPort\"\u003e1389\u003c/Data\u003e\u003c/EventData\u003e\u003c/Event\u003e"}"#;
        let e = conn(raw);
        assert_eq!(e.host.as_deref(), Some("UBUNTU5"));
        assert_eq!(e.user.as_deref(), Some("tomcat"));
        assert_eq!(e.dst_port, 1389);
        assert!(matches!(
            parse_line(br#"{"Computer":"x","SyslogMessage":"cron job ran"}"#),
            Ok(Record::Other)
        ));
    }

    #[test]
    fn other_events_and_errors() {
        assert!(matches!(
            parse_line(br#"{"EventID":4624,"Channel":"Security","SourceName":"Microsoft-Windows-Security-Auditing"}"#),
            Ok(Record::Other)
        ));
        assert!(matches!(
            parse_line(
                br#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Image":"x"}"#
            ),
            Ok(Record::Other)
        ));
        assert!(matches!(parse_line(b"  "), Ok(Record::Skip)));
        assert!(parse_line(b"{\"EventID\":3,").is_err());
        assert!(parse_line(br#"{"a":1}"#).is_err());
        let bad = OTRF.replace(r#""DestinationPort":"443""#, r#""DestinationPort":"99999""#);
        assert!(
            parse_line(bad.as_bytes())
                .unwrap_err()
                .contains("DestinationPort")
        );
        let bad = OTRF.replace(r#""DestinationPort":"443""#, r#""DestinationPort":{"x":1}"#);
        assert!(parse_line(bad.as_bytes()).is_err());
    }

    #[test]
    fn sniffs() {
        assert_eq!(JsonSpec.sniff(OTRF.as_bytes()), Some(CERTAIN));
        assert_eq!(
            JsonSpec.sniff(br#"{"EventID":4624,"Channel":"Security"}"#),
            Some(LIKELY)
        );
        assert_eq!(JsonSpec.sniff(br#"{"ts":1,"id.orig_h":"1.1.1.1"}"#), None);
        assert_eq!(JsonSpec.sniff(br#"{"SyslogMessage":"hello"}"#), None);
        assert_eq!(JsonSpec.sniff(b"<Event>"), None);
    }
}
