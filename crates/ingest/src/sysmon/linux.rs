//! The `sysmon-linux` format: Sysmon for Linux as written to syslog (`/var/log/syslog`,
//! `/var/log/messages`): a syslog line (RFC 3164 or RFC 5424 header) whose message is the
//! `<Event>…</Event>` XML. The syslog header is not needed: the event carries its own UTC time
//! and computer name. Lines of other programs in the same file are `Other`; an event cut by
//! syslog's line limit (which the SysmonForLinux README warns about) is an error.

use super::xml::{cut_event_id, find_event_start, parse_event_record};
use pubsub_hunt_reader::{
    CERTAIN, Confidence, FormatSpec, LIKELY, LineFormat, Reader, Record, head_lines,
};
use std::sync::Arc;

/// Parses one syslog line.
pub fn parse_line(line: &[u8]) -> Result<Record, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Ok(Record::Skip);
    }
    let Some(start) = find_event_start(line) else {
        return Ok(Record::Other);
    };
    let rest = &line[start..];
    let Some(end) = memchr::memmem::rfind(rest, b"</Event>").map(|i| i + 8) else {
        // Cut by a syslog line limit: only an event 3 is a loss.
        return match cut_event_id(rest) {
            Some(id) if id != super::event::NETWORK_CONNECT => Ok(Record::Other),
            _ => Err("event XML is cut off (syslog line limit?)".into()),
        };
    };
    parse_event_record(&rest[..end])
}

/// The `sysmon-linux` format.
pub struct LinuxSpec;

impl FormatSpec for LinuxSpec {
    fn name(&self) -> &'static str {
        "sysmon-linux"
    }

    fn description(&self) -> &'static str {
        "Sysmon for Linux event 3 in syslog files: syslog lines whose message is the <Event> XML"
    }

    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        let mut best = None;
        for line in head_lines(head, 64) {
            // A syslog line: the event XML is in the message, after a header.
            let Some(at) = find_event_start(line).filter(|at| *at > 0) else {
                continue;
            };
            let header = &line[..at];
            // An XML export (`<Events><Event …>`) is not syslog; a `<14>` priority is.
            if header.first() == Some(&b'<') && !header.get(1).is_some_and(u8::is_ascii_digit) {
                continue;
            }
            let confidence = if memchr::memmem::find(line, b"Linux-Sysmon").is_some() {
                CERTAIN
            } else if memchr::memmem::find(header, b"sysmon").is_some() {
                LIKELY
            } else {
                continue;
            };
            best = best.max(Some(confidence));
            if best == Some(CERTAIN) {
                break;
            }
        }
        best
    }

    fn open(&self, _head: &[u8]) -> Result<Reader, String> {
        Ok(Reader::Lines(Arc::new(LinuxLines)))
    }
}

/// Parses `sysmon-linux` lines.
pub struct LinuxLines;

impl LineFormat for LinuxLines {
    fn name(&self) -> &'static str {
        "sysmon-linux"
    }

    fn parse_line(&self, line: &[u8]) -> Result<Record, String> {
        parse_line(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::{Direction, Transport};

    const LINE: &str = r#"Nov 24 09:59:47 ip-172-31-60-25 sysmon: <Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>3</EventID><Version>5</Version><Level>4</Level><Task>3</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2022-11-24T09:59:47.924977000Z"/><EventRecordID>76955</EventRecordID><Correlation/><Execution ProcessID="1109" ThreadID="1109"/><Channel>Linux-Sysmon/Operational</Channel><Computer>ip-172-31-60-25</Computer><Security UserId="0"/></System><EventData><Data Name="RuleName">-</Data><Data Name="UtcTime">2022-11-24 09:59:47.930</Data><Data Name="ProcessGuid">{c9eb4a87-4093-637f-789d-2406ab550000}</Data><Data Name="ProcessId">4005</Data><Data Name="Image">/usr/bin/curl</Data><Data Name="User">root</Data><Data Name="Protocol">tcp</Data><Data Name="Initiated">true</Data><Data Name="SourceIsIpv6">false</Data><Data Name="SourceIp">172.31.60.25</Data><Data Name="SourceHostname">-</Data><Data Name="SourcePort">42234</Data><Data Name="SourcePortName">-</Data><Data Name="DestinationIsIpv6">false</Data><Data Name="DestinationIp">44.204.18.94</Data><Data Name="DestinationHostname">-</Data><Data Name="DestinationPort">80</Data><Data Name="DestinationPortName">-</Data></EventData></Event>"#;

    #[test]
    fn parses_a_syslog_line() {
        let Ok(Record::Conn(e)) = parse_line(LINE.as_bytes()) else {
            panic!("not a connection");
        };
        assert_eq!(e.host.as_deref(), Some("ip-172-31-60-25"));
        assert_eq!(e.process.as_deref(), Some("/usr/bin/curl"));
        assert_eq!(e.user.as_deref(), Some("root"));
        assert_eq!(
            e.src_ip.map(|i| i.to_string()).as_deref(),
            Some("172.31.60.25")
        );
        assert_eq!(e.src_port, Some(42234));
        assert_eq!(e.dst_ip.to_string(), "44.204.18.94");
        assert_eq!(e.dst_port, 80);
        assert_eq!(e.transport, Transport::Tcp);
        assert_eq!(e.direction, Direction::Outbound);
        // 2022-11-24 09:59:47.930 UTC
        assert_eq!(e.ts, Some(1_669_283_987_930_000));
    }

    #[test]
    fn other_lines_and_cut_events() {
        assert!(matches!(
            parse_line(b"Nov 24 09:59:47 host CRON[1]: (root) CMD (true)"),
            Ok(Record::Other)
        ));
        let other_id = LINE.replace("<EventID>3<", "<EventID>1<");
        assert!(matches!(parse_line(other_id.as_bytes()), Ok(Record::Other)));
        let cut = &LINE[..LINE.len() - 40];
        assert!(parse_line(cut.as_bytes()).unwrap_err().contains("cut off"));
        assert!(matches!(parse_line(b""), Ok(Record::Skip)));
    }

    #[test]
    fn sniffs() {
        let head = format!("Nov 24 09:59:40 host systemd[1]: Started.\n{LINE}\n");
        assert_eq!(LinuxSpec.sniff(head.as_bytes()), Some(CERTAIN));
        let rfc5424 = format!(
            "<14>1 2022-11-24T09:59:47Z host sysmon 1109 - - {}",
            &LINE[40..]
        );
        assert_eq!(LinuxSpec.sniff(rfc5424.as_bytes()), Some(CERTAIN));
        assert_eq!(LinuxSpec.sniff(&LINE.as_bytes()[40..]), None);
        assert_eq!(
            LinuxSpec.sniff(b"Nov 24 09:59:40 host systemd[1]: Started.\n"),
            None
        );
    }
}
