//! Turning one Kafka message into a record, with the ingest crate's own readers: the format is
//! sniffed from the message (or forced with `--input-format`) exactly as a file's first bytes
//! are, and the message is parsed as one line of that format. This module adds nothing to the
//! parsers; it only removes the zeek-kafka envelope (`{"conn": {...}}`, one key naming the log)
//! before the Zeek JSON reader sees the record, and remembers the last format per partition so
//! a topic of one format is not sniffed message by message.

use pubsub_hunt_reader::{Reader, Record, Registry, choose};
use std::borrow::Cow;
use std::sync::Arc;

/// Why a message is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// No format recognises the message.
    Unknown(String),
    /// A format recognised it, but the record is malformed (the reader's own reason).
    Malformed {
        format: &'static str,
        detail: String,
    },
    /// The message's format is one that needs a whole stream (an EVTX file, a packet
    /// capture): a message is not one.
    NotOneRecord(&'static str),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Unknown(why) => write!(f, "unknown record: {why}"),
            DecodeError::Malformed { format, detail } => write!(f, "malformed {format}: {detail}"),
            DecodeError::NotOneRecord(name) => {
                write!(f, "{name} is a stream format, not one record per message")
            }
        }
    }
}

/// Decodes messages with the registry's formats.
pub struct Decoder {
    registry: Registry,
    forced: Option<String>,
}

/// The line format last used on one partition: tried first on the next message.
#[derive(Default, Clone)]
pub struct FormatCache {
    last: Option<Arc<dyn pubsub_hunt_reader::LineFormat>>,
}

impl FormatCache {
    /// Whether the format that read the last message records every connection its sensor saw
    /// (a Zeek `conn.log`): its connections then make the census of their hosts, as a file of
    /// them does in `hunt`.
    pub fn takes_census(&self) -> bool {
        self.last.as_ref().is_some_and(|f| f.takes_census())
    }
}

impl Decoder {
    /// `forced`: a format name the caller checked against `registry` (`--input-format`).
    pub fn new(registry: Registry, forced: Option<String>) -> Decoder {
        Decoder { registry, forced }
    }

    /// The record one message holds.
    pub fn decode(&self, payload: &[u8], cache: &mut FormatCache) -> Result<Record, DecodeError> {
        let payload = unwrap_envelope(payload);
        let payload: &[u8] = &payload;
        let line = trim_line(payload);
        if line.is_empty() {
            return Err(DecodeError::Unknown("empty message".to_string()));
        }
        // The format that read the partition's last message, when it reads this one too. A
        // format's `parse_line` rejects what is not its own, so a topic that mixes formats
        // falls through to sniffing.
        // A format that calls the record "not mine but valid" (`Other`) may be wrong about
        // it: only a record it reads is taken without sniffing.
        if let Some(f) = &cache.last
            && let Ok(r) = f.parse_line(line)
            && !matches!(r, Record::Other | Record::Skip)
        {
            return Ok(with_format(r, f.name()));
        }
        let Some(spec) = choose(&self.registry, self.forced.as_deref(), payload) else {
            let why = self
                .registry
                .iter()
                .find_map(|f| f.refusal(payload))
                .map_or_else(|| "no format recognises it".to_string(), |(_, d)| d);
            return Err(DecodeError::Unknown(why));
        };
        match spec.open(payload) {
            Ok(Reader::Lines(f)) => {
                let r = f
                    .parse_line(line)
                    .map_err(|detail| DecodeError::Malformed {
                        format: f.name(),
                        detail,
                    })?;
                let name = f.name();
                cache.last = Some(f);
                Ok(with_format(r, name))
            }
            Ok(Reader::Headered(h)) => Err(DecodeError::NotOneRecord(h.name())),
            Ok(Reader::Stream(s)) => Err(DecodeError::NotOneRecord(s.name())),
            Err(detail) => Err(DecodeError::Malformed {
                format: spec.name(),
                detail,
            }),
        }
    }
}

/// The record, a connection marked with the format that read it (as the file pipeline does).
fn with_format(r: Record, name: &'static str) -> Record {
    match r {
        Record::Conn(mut ev) => {
            if ev.source_format.is_none() {
                ev.source_format = Some(name);
            }
            Record::Conn(ev)
        }
        other => other,
    }
}

/// The message without surrounding white space and a UTF-8 byte order mark.
fn trim_line(b: &[u8]) -> &[u8] {
    let b = b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}

/// The record inside zeek-kafka's envelope, with `_path` set to the envelope's key so the Zeek
/// JSON reader knows which log it is: `{"conn": {"ts": …}}` becomes `{"_path":"conn","ts": …}`.
/// zeek-kafka writes the envelope when its `tag_json` option is on, one key naming the log. A
/// message that is not exactly such an object is returned unchanged: if it was a damaged
/// envelope, the readers report it as malformed.
pub fn unwrap_envelope(payload: &[u8]) -> Cow<'_, [u8]> {
    let b = trim_line(payload);
    let Some(rest) = b.strip_prefix(b"{") else {
        return Cow::Borrowed(payload);
    };
    let rest = skip_ws(rest);
    let Some(rest) = rest.strip_prefix(b"\"") else {
        return Cow::Borrowed(payload);
    };
    // Zeek log names are short lowercase words with underscores (`conn`, `mqtt_publish`).
    let Some(end) = rest.iter().position(|c| *c == b'"') else {
        return Cow::Borrowed(payload);
    };
    let name = &rest[..end];
    if name.is_empty()
        || name.len() > 64
        || !name
            .iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_')
    {
        return Cow::Borrowed(payload);
    }
    let rest = skip_ws(&rest[end + 1..]);
    let Some(rest) = rest.strip_prefix(b":") else {
        return Cow::Borrowed(payload);
    };
    let inner = skip_ws(rest);
    // The envelope's own closing brace is the last byte; the inner object ends just before it.
    let Some(inner) = inner.strip_suffix(b"}") else {
        return Cow::Borrowed(payload);
    };
    let inner = trim_line(inner);
    let (Some(body), true) = (inner.strip_prefix(b"{"), inner.ends_with(b"}")) else {
        return Cow::Borrowed(payload);
    };
    let body = skip_ws(body);
    let mut out = Vec::with_capacity(inner.len() + name.len() + 16);
    out.extend_from_slice(b"{\"_path\":\"");
    out.extend_from_slice(name);
    out.extend_from_slice(b"\"");
    if !body.starts_with(b"}") {
        out.push(b',');
    }
    out.extend_from_slice(body);
    Cow::Owned(out)
}

fn skip_ws(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoder() -> Decoder {
        Decoder::new(pubsub_hunt_ingest::builtin_formats(), None)
    }

    const ZEEK: &str = r#"{"ts":1709510400.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":50000,"id.resp_h":"198.51.100.20","id.resp_p":1883,"proto":"tcp","service":"mqtt","conn_state":"SF","local_orig":true,"orig_bytes":10,"resp_bytes":4}"#;

    fn conn(r: Record) -> pubsub_hunt_core::ConnEvent {
        match r {
            Record::Conn(ev) => *ev,
            other => panic!("not a connection: {other:?}"),
        }
    }

    #[test]
    fn the_envelope_is_unwrapped_into_the_same_record() {
        let d = decoder();
        let plain = conn(
            d.decode(ZEEK.as_bytes(), &mut FormatCache::default())
                .unwrap(),
        );
        let wrapped = format!("{{\"conn\": {ZEEK}}}\n");
        let unwrapped = unwrap_envelope(wrapped.as_bytes());
        assert!(unwrapped.starts_with(br#"{"_path":"conn","ts":1709510400.5"#));
        let w = conn(
            d.decode(wrapped.as_bytes(), &mut FormatCache::default())
                .unwrap(),
        );
        assert_eq!(w.dst_port, 1883);
        assert_eq!(w.ts, plain.ts);
        assert_eq!(w.src_ip, plain.src_ip);
        assert_eq!(w.identified, plain.identified);
    }

    #[test]
    fn an_envelope_of_another_log_is_not_a_connection() {
        let d = decoder();
        let dns = r#"{"dns": {"ts":1709510400.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":5353,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","query":"example.com"}}"#;
        let r = d.decode(dns.as_bytes(), &mut FormatCache::default());
        assert!(
            !matches!(r, Ok(Record::Conn(_))),
            "a dns record read as a connection: {r:?}"
        );
    }

    #[test]
    fn what_is_not_an_envelope_is_left_alone() {
        for s in [
            ZEEK,
            r#"{"Conn": {"a":1}}"#,
            r#"{"conn": 5}"#,
            r#"["conn", {}]"#,
            "",
            "{",
            r#"{"conn""#,
        ] {
            assert_eq!(&*unwrap_envelope(s.as_bytes()), s.as_bytes(), "{s}");
        }
        assert_eq!(&*unwrap_envelope(br#"{"conn":{}}"#), br#"{"_path":"conn"}"#);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let d = decoder();
        let mut cache = FormatCache::default();
        for s in [
            &b""[..],
            b"   ",
            b"not json at all",
            b"{\"ts\":",
            b"\xff\xfe\x00garbage",
            br#"{"conn": {"ts": "x", "id.resp_p": "nope"}}"#,
        ] {
            assert!(
                d.decode(s, &mut cache).is_err(),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
        // After garbage, a good record still decodes.
        assert!(matches!(
            d.decode(ZEEK.as_bytes(), &mut cache),
            Ok(Record::Conn(_))
        ));
    }

    #[test]
    fn the_cached_format_does_not_swallow_other_formats() {
        let d = decoder();
        let mut cache = FormatCache::default();
        let z = conn(d.decode(ZEEK.as_bytes(), &mut cache).unwrap());
        assert_eq!(z.source_format, Some("zeek-json"));
        let ecs = r#"{"@timestamp":"2024-03-04T00:00:01Z","event":{"category":["network"]},"source":{"ip":"10.0.0.9","port":50001},"destination":{"ip":"198.51.100.21","port":5222},"network":{"transport":"tcp"}}"#;
        let e = conn(d.decode(ecs.as_bytes(), &mut cache).unwrap());
        assert_eq!(e.dst_port, 5222);
        assert_eq!(e.src_ip, Some("10.0.0.9".parse().unwrap()));
    }
}
