//! Sysmon events as XML: the `<Event>` element parser shared by every Sysmon reader that meets
//! XML (EVTX rendering, Sysmon for Linux syslog lines, Azure `SyslogMessage`), and the
//! `sysmon-xml` stream format for exports made with `wevtutil qe /f:xml` or
//! `Get-WinEvent | % { $_.ToXml() }`: `<Event>` elements one per line, back to back on one line,
//! wrapped in `<Events>`, or pretty-printed over many lines.
//!
//! The stream is cut into `<Event>…</Event>` slices without parsing the text between them, so
//! a damaged event costs only itself. A record's position is the 1-based line on which its
//! `<Event` starts.

use super::event::{MAX_FIELD_BYTES, SysmonEvent};
use pubsub_hunt_reader::ProblemKind;
use pubsub_hunt_reader::{
    CERTAIN, Confidence, FormatSpec, LIKELY, Reader, Record, RecordSink, StreamFormat,
};
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;
use std::io::Read;

/// Longest `<Event>` element read, in bytes. Sysmon events are a few kilobytes; anything longer
/// is not one and is skipped as corrupt, so a missing `</Event>` cannot make the buffer grow.
pub const MAX_EVENT_BYTES: usize = 1 << 20;

/// Deepest element nesting accepted inside one event (Sysmon uses 3).
const MAX_DEPTH: usize = 32;

/// Which field the text of the current element belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    EventId,
    Channel,
    Computer,
    RecordId,
    UtcTime,
    Image,
    User,
    Protocol,
    Initiated,
    SourceIp,
    SourcePort,
    DestinationIp,
    DestinationPort,
    DestinationHostname,
}

fn slot_for_data(name: &str) -> Option<Slot> {
    Some(match name {
        "UtcTime" => Slot::UtcTime,
        "Image" => Slot::Image,
        "User" => Slot::User,
        "Protocol" => Slot::Protocol,
        "Initiated" => Slot::Initiated,
        "SourceIp" => Slot::SourceIp,
        "SourcePort" => Slot::SourcePort,
        "DestinationIp" => Slot::DestinationIp,
        "DestinationPort" => Slot::DestinationPort,
        "DestinationHostname" => Slot::DestinationHostname,
        _ => return None,
    })
}

fn field<'e, 'a>(ev: &'e mut SysmonEvent<'a>, slot: Slot) -> &'e mut Option<Cow<'a, str>> {
    match slot {
        Slot::EventId => &mut ev.event_id,
        Slot::Channel => &mut ev.channel,
        Slot::Computer => &mut ev.computer,
        Slot::RecordId => &mut ev.record_id,
        Slot::UtcTime => &mut ev.utc_time,
        Slot::Image => &mut ev.image,
        Slot::User => &mut ev.user,
        Slot::Protocol => &mut ev.protocol,
        Slot::Initiated => &mut ev.initiated,
        Slot::SourceIp => &mut ev.source_ip,
        Slot::SourcePort => &mut ev.source_port,
        Slot::DestinationIp => &mut ev.destination_ip,
        Slot::DestinationPort => &mut ev.destination_port,
        Slot::DestinationHostname => &mut ev.destination_hostname,
    }
}

fn attribute<'x>(e: &BytesStart<'x>, name: &str) -> Result<Option<Cow<'x, str>>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| format!("bad XML attribute: {err}"))?;
        if a.key.local_name().as_ref() == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("bad XML attribute value: {err}"))?;
            return Ok(Some(Cow::Owned(v.into_owned())));
        }
    }
    Ok(None)
}

fn append<'a>(slot: &mut Option<Cow<'a, str>>, text: Cow<'a, str>) -> Result<(), String> {
    match slot {
        None => *slot = Some(text),
        Some(cur) if cur.is_empty() => *cur = text,
        Some(cur) => {
            if cur.len() + text.len() > MAX_FIELD_BYTES {
                return Err("XML field too long".into());
            }
            cur.to_mut().push_str(&text);
        }
    }
    Ok(())
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Parses one `<Event>` element (with or without the Windows event namespace; attributes in
/// single or double quotes) into the fields the mapping needs. Elements it does not know are
/// ignored; a document that is not well-formed is an error.
pub fn parse_event(xml: &str) -> Result<SysmonEvent<'_>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut ev = SysmonEvent::default();
    let mut depth = 0usize;
    let mut saw_event = false;
    // The field the current element's text goes to, and whether the field was already filled
    // by an earlier element of the same name (the first one wins).
    let mut current: Option<Slot> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("bad XML: {}", super::event::excerpt(&e.to_string())))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.local_name();
                let name = name.as_ref();
                if name == "Event" {
                    saw_event = true;
                }
                let slot = match name {
                    "EventID" => Some(Slot::EventId),
                    "Channel" => Some(Slot::Channel),
                    "Computer" => Some(Slot::Computer),
                    "EventRecordID" => Some(Slot::RecordId),
                    "Provider" => {
                        if ev.provider.is_none() {
                            ev.provider = attribute(e, "Name")?;
                        }
                        None
                    }
                    "TimeCreated" => {
                        if ev.system_time.is_none() {
                            ev.system_time = attribute(e, "SystemTime")?;
                        }
                        None
                    }
                    "Data" => attribute(e, "Name")?.and_then(|n| slot_for_data(&n)),
                    _ => None,
                };
                if empty {
                    // No text and no end tag follow: nothing to fill.
                    current = None;
                    continue;
                }
                current = slot.filter(|s| field(&mut ev, *s).is_none());
                if let Some(s) = current {
                    *field(&mut ev, s) = Some(Cow::Borrowed(""));
                }
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err("XML nested too deep".into());
                }
            }
            Event::End(_) => {
                current = None;
                depth = depth.saturating_sub(1);
            }
            Event::Text(t) => {
                if let Some(s) = current {
                    append(field(&mut ev, s), t.xml10_content())?;
                }
            }
            Event::CData(t) => {
                if let Some(s) = current {
                    append(field(&mut ev, s), t.into_inner())?;
                }
            }
            Event::GeneralRef(r) => {
                if let Some(s) = current {
                    let c = if r.is_char_ref() {
                        r.resolve_char_ref()
                            .map_err(|e| format!("bad XML character reference: {e}"))?
                    } else {
                        entity(&r.xml10_content())
                    };
                    let c = c.ok_or("unknown XML entity")?;
                    append(field(&mut ev, s), Cow::Owned(c.to_string()))?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !saw_event {
        return Err("no <Event> element".into());
    }
    Ok(ev)
}

/// Parses one `<Event>` element given as bytes (invalid UTF-8 is replaced, stray `&` are
/// escaped) into a record.
pub fn parse_event_record(xml: &[u8]) -> Result<Record, String> {
    let text = String::from_utf8_lossy(xml);
    let text = escape_stray_ampersands(&text);
    parse_event(&text)?.to_record()
}

/// Escapes every `&` that does not start an entity or character reference. Sysmon for Linux
/// writes `&lt unknown process&gt ` (no semicolons) for an image it could not name, which a
/// strict XML parser refuses; escaping keeps the text as Sysmon wrote it.
pub fn escape_stray_ampersands(xml: &str) -> Cow<'_, str> {
    let is_reference = |rest: &str| {
        let body = rest.get(1..).unwrap_or("");
        let Some(end) = body.find(';').filter(|e| *e > 0 && *e <= 10) else {
            return false;
        };
        let name = &body[..end];
        match name.strip_prefix('#') {
            Some(num) => match num.strip_prefix('x') {
                Some(hex) => !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()),
                None => !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()),
            },
            None => name.bytes().all(|b| b.is_ascii_alphanumeric()),
        }
    };
    if xml.match_indices('&').all(|(i, _)| is_reference(&xml[i..])) {
        return Cow::Borrowed(xml);
    }
    let mut out = String::with_capacity(xml.len() + 16);
    let mut last = 0;
    for (i, _) in xml.match_indices('&') {
        out.push_str(&xml[last..i]);
        out.push_str(if is_reference(&xml[i..]) {
            "&"
        } else {
            "&amp;"
        });
        last = i + 1;
    }
    out.push_str(&xml[last..]);
    Cow::Owned(out)
}

/// Reads the event id of an event whose XML was cut before its end (a syslog line limit), so
/// that a cut event of another id can be counted as what it is rather than as an error.
pub fn cut_event_id(xml: &[u8]) -> Option<u32> {
    let at = memchr::memmem::find(xml, b"<EventID")?;
    let rest = xml.get(at..)?;
    let gt = memchr::memchr(b'>', rest)?;
    let digits = rest.get(gt + 1..)?;
    let end = memchr::memchr(b'<', digits)?;
    std::str::from_utf8(digits.get(..end)?)
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Where the next `<Event` start tag begins in `data` (not `<Events`, `<EventData`, …), or
/// `None`. A tag cut at the end of `data` is not found yet.
pub fn find_event_start(data: &[u8]) -> Option<usize> {
    let mut pos = 0;
    while let Some(i) = memchr::memmem::find(&data[pos..], b"<Event") {
        let at = pos + i;
        match data.get(at + 6) {
            Some(b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/') => return Some(at),
            Some(_) => pos = at + 6,
            None => return None,
        }
    }
    None
}

/// Where the `</Event>` end tag that closes an event starting at 0 ends (exclusive), or `None`.
pub fn find_event_end(data: &[u8]) -> Option<usize> {
    memchr::memmem::find(data, b"</Event>").map(|i| i + 8)
}

/// The `sysmon-xml` format.
pub struct XmlSpec;

impl FormatSpec for XmlSpec {
    fn name(&self) -> &'static str {
        "sysmon-xml"
    }

    fn description(&self) -> &'static str {
        "Sysmon event 3 exported as XML (wevtutil qe /f:xml, Get-WinEvent ToXml()): <Event> elements, one per line, back to back, in <Events> or pretty-printed"
    }

    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
        let body = head.get(start..)?;
        if !body.starts_with(b"<") {
            return None;
        }
        let first_event = find_event_start(body)?;
        // Only a declaration, comments or an `<Events>` wrapper may come before the first event.
        let before = body.get(..first_event)?;
        let wrapper_ok = before.is_empty()
            || before.starts_with(b"<?xml")
            || before.starts_with(b"<Events")
            || before.starts_with(b"<!--");
        if !wrapper_ok {
            return None;
        }
        if memchr::memmem::find(body, b"Sysmon").is_some() {
            Some(CERTAIN)
        } else {
            Some(LIKELY)
        }
    }

    fn open(&self, _head: &[u8]) -> Result<Reader, String> {
        Ok(Reader::Stream(Box::new(XmlStream)))
    }
}

/// Reads `sysmon-xml` streams.
pub struct XmlStream;

/// How much is read from the input at a time.
const READ_BLOCK: usize = 64 * 1024;

impl StreamFormat for XmlStream {
    fn name(&self) -> &'static str {
        "sysmon-xml"
    }

    fn read(&mut self, input: &mut dyn Read, sink: &mut dyn RecordSink) -> Result<(), String> {
        let mut buf: Vec<u8> = Vec::with_capacity(READ_BLOCK * 2);
        // The line number of buf[0].
        let mut line: u64 = 1;
        let mut eof = false;
        // Bytes at the front of `buf` (from the current event start) known to hold no
        // `</Event>`: the search goes on from there after a fill instead of rescanning.
        let mut no_end_before = 0usize;
        // Whether any event start was met, and any byte other than whitespace: a stream of
        // something else forced through this reader must not pass as an empty export.
        let mut events = false;
        let mut content = false;
        loop {
            if sink.aborted() {
                return Ok(());
            }
            // Drop what is before the next event start, keeping a tail that may hold a cut tag.
            let Some(start) = find_event_start(&buf) else {
                content = content || buf.iter().any(|b| !b.is_ascii_whitespace());
                if eof {
                    if !events && content {
                        sink.problem(
                            None,
                            ProblemKind::UnknownFormat,
                            "no <Event> element in the stream: not a Sysmon XML export".into(),
                        );
                    }
                    return Ok(());
                }
                let keep = buf.len().min(7);
                let drop = buf.len() - keep;
                line += bytecount::count(&buf[..drop], b'\n') as u64;
                buf.drain(..drop);
                no_end_before = 0;
                eof = fill(input, &mut buf, sink)?;
                continue;
            };
            events = true;
            if start > 0 {
                line += bytecount::count(&buf[..start], b'\n') as u64;
                buf.drain(..start);
                no_end_before = 0;
            }
            let from = no_end_before.saturating_sub(7);
            let Some(end) = find_event_end(&buf[from..]).map(|e| from + e) else {
                no_end_before = buf.len();
                if buf.len() > MAX_EVENT_BYTES {
                    // No end tag in all these bytes: every event start in them is unclosed
                    // (one that a later `</Event>` closed would hold the later starts). Go on
                    // from the last start, reporting the skipped ones together.
                    let mut last = 0;
                    let mut skipped = 1u64;
                    while let Some(next) = find_event_start(&buf[last + 6..]) {
                        last += 6 + next;
                        skipped += 1;
                    }
                    sink.problem(
                        Some(line),
                        ProblemKind::CorruptData,
                        format!(
                            "{skipped} <Event> elements not closed within {MAX_EVENT_BYTES} bytes; skipped"
                        ),
                    );
                    let drop = if last == 0 { 6 } else { last };
                    line += bytecount::count(&buf[..drop], b'\n') as u64;
                    buf.drain(..drop);
                    no_end_before = 0;
                    continue;
                }
                if eof {
                    sink.record(
                        line,
                        Err("the last <Event> is not closed (was the file cut?)".into()),
                    );
                    return Ok(());
                }
                eof = fill(input, &mut buf, sink)?;
                continue;
            };
            // Event starts before the end tag mean those events lost their end: each is
            // reported, in one pass, and the last one is the event the end tag closes.
            let mut at = 0;
            while let Some(next) = find_event_start(&buf[at + 6..end]) {
                sink.record(line, Err("<Event> without </Event>".to_string()));
                line += bytecount::count(&buf[at..at + 6 + next], b'\n') as u64;
                at += 6 + next;
            }
            if end - at > MAX_EVENT_BYTES {
                sink.problem(
                    Some(line),
                    ProblemKind::CorruptData,
                    format!("<Event> longer than {MAX_EVENT_BYTES} bytes; skipped"),
                );
            } else {
                sink.record(line, parse_event_record(&buf[at..end]));
            }
            line += bytecount::count(&buf[at..end], b'\n') as u64;
            buf.drain(..end);
            no_end_before = 0;
        }
    }
}

/// Reads the next block into `buf`; returns whether the input has ended.
fn fill(
    input: &mut dyn Read,
    buf: &mut Vec<u8>,
    sink: &mut dyn RecordSink,
) -> Result<bool, String> {
    let old = buf.len();
    buf.resize(old + READ_BLOCK, 0);
    let n = loop {
        match input.read(&mut buf[old..]) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(old);
                return Err(format!("read error: {e}"));
            }
        }
    };
    buf.truncate(old + n);
    sink.bytes(n as u64);
    Ok(n == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) const WINDOWS_EVENT: &str = r#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>3</EventID><Version>5</Version><Level>4</Level><Task>3</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime='2019-09-03T11:04:07.2070480Z'/><EventRecordID>35076</EventRecordID><Correlation/><Execution ProcessID='3144' ThreadID='3948'/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>MSEDGEWIN10</Computer><Security UserID='S-1-5-18'/></System><EventData><Data Name='RuleName'></Data><Data Name='UtcTime'>2019-09-03 11:04:05.797</Data><Data Name='ProcessGuid'>{747f3d96-48a4-5d6e-0000-001072958000}</Data><Data Name='ProcessId'>3008</Data><Data Name='Image'>C:\Windows\System32\inetsrv\w3wp.exe</Data><Data Name='User'>IIS APPPOOL\DefaultAppPool</Data><Data Name='Protocol'>tcp</Data><Data Name='Initiated'>True</Data><Data Name='SourceIsIpv6'>False</Data><Data Name='SourceIp'>127.0.0.1</Data><Data Name='SourceHostname'>MSEDGEWIN10</Data><Data Name='SourcePort'>49947</Data><Data Name='SourcePortName'></Data><Data Name='DestinationIsIpv6'>False</Data><Data Name='DestinationIp'>127.0.0.1</Data><Data Name='DestinationHostname'>MSEDGEWIN10</Data><Data Name='DestinationPort'>3389</Data><Data Name='DestinationPortName'>ms-wbt-server</Data></EventData></Event>"#;

    #[test]
    fn parses_a_windows_rendering() {
        let ev = parse_event(WINDOWS_EVENT).unwrap();
        assert_eq!(ev.event_id.as_deref(), Some("3"));
        assert_eq!(ev.provider.as_deref(), Some("Microsoft-Windows-Sysmon"));
        assert_eq!(ev.computer.as_deref(), Some("MSEDGEWIN10"));
        assert_eq!(ev.record_id.as_deref(), Some("35076"));
        assert_eq!(
            ev.system_time.as_deref(),
            Some("2019-09-03T11:04:07.2070480Z")
        );
        assert_eq!(
            ev.image.as_deref(),
            Some(r"C:\Windows\System32\inetsrv\w3wp.exe")
        );
        assert_eq!(ev.user.as_deref(), Some(r"IIS APPPOOL\DefaultAppPool"));
        assert_eq!(ev.destination_port.as_deref(), Some("3389"));
        let e = ev.to_conn().unwrap();
        assert_eq!(e.ts, Some(1_567_508_645_797_000));
        assert_eq!(e.dst_port, 3389);
        assert_eq!(e.src_port, Some(49947));
    }

    #[test]
    fn entities_and_pretty_printing() {
        let xml = "<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n  <System>\n    <Provider Name=\"Microsoft-Windows-Sysmon\"/>\n    <EventID>3</EventID>\n  </System>\n  <EventData>\n    <Data Name=\"Image\">C:\\A &amp; B\\x&#46;exe</Data>\n    <Data Name=\"DestinationIp\">2001:db8::1</Data>\n    <Data Name=\"DestinationPort\">5222</Data>\n    <Data Name=\"DestinationPort\">1</Data>\n  </EventData>\n</Event>";
        let ev = parse_event(xml).unwrap();
        assert_eq!(ev.image.as_deref(), Some(r"C:\A & B\x.exe"));
        // The first of two fields of one name wins.
        assert_eq!(ev.destination_port.as_deref(), Some("5222"));
        let e = ev.to_conn().unwrap();
        assert_eq!(e.dst_ip.to_string(), "2001:db8::1");
        assert_eq!(e.ts, None);
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(parse_event("<Event><System><EventID>3</System></Event>").is_err());
        assert!(parse_event("<NotEvent/>").is_err());
        assert!(parse_event("").is_err());
    }

    #[test]
    fn stray_ampersands_and_cut_events() {
        assert_eq!(
            escape_stray_ampersands("a &amp; b &#46; &#x2e;"),
            "a &amp; b &#46; &#x2e;"
        );
        assert_eq!(
            escape_stray_ampersands("&lt unknown process&gt "),
            "&amp;lt unknown process&amp;gt "
        );
        let xml = "<Event><System><Provider Name='Linux-Sysmon'/><EventID>3</EventID></System><EventData><Data Name='Image'>&lt unknown process&gt </Data><Data Name='DestinationIp'>192.0.2.1</Data><Data Name='DestinationPort'>80</Data></EventData></Event>";
        let Ok(Record::Conn(e)) = parse_event_record(xml.as_bytes()) else {
            panic!("not a connection")
        };
        assert_eq!(e.process.as_deref(), Some("&lt unknown process&gt"));
        assert_eq!(
            cut_event_id(b"<Event><System><EventID>1</EventID><Ver"),
            Some(1)
        );
        assert_eq!(cut_event_id(b"<Event><System><EventID>3</Even"), Some(3));
        assert_eq!(cut_event_id(b"<Event><System><EventID>3"), None);
        assert_eq!(cut_event_id(b"<Event><System><Provider"), None);
    }

    #[test]
    fn finds_event_tags_only() {
        assert_eq!(find_event_start(b"<Events><Event xmlns='x'>"), Some(8));
        assert_eq!(find_event_start(b"<EventData><EventID>"), None);
        assert_eq!(find_event_start(b"xx<Event>"), Some(2));
        assert_eq!(find_event_start(b"<Event"), None);
        assert_eq!(find_event_end(b"<Event></EventData></Event>"), Some(27));
    }

    #[test]
    fn sniffs() {
        assert_eq!(XmlSpec.sniff(WINDOWS_EVENT.as_bytes()), Some(CERTAIN));
        let wrapped = format!("\u{feff}<?xml version=\"1.0\"?>\r\n<Events>\r\n{WINDOWS_EVENT}");
        assert_eq!(XmlSpec.sniff(wrapped.as_bytes()), Some(CERTAIN));
        assert_eq!(
            XmlSpec.sniff(b"<Event><System><Provider Name='Other'/></System></Event>"),
            Some(LIKELY)
        );
        assert_eq!(XmlSpec.sniff(b"Nov 24 09:59:47 h sysmon: <Event>"), None);
        assert_eq!(XmlSpec.sniff(b"<html><Event>"), None);
        assert_eq!(XmlSpec.sniff(b"{\"a\":1}"), None);
    }
}
