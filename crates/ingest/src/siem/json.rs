//! JSON exports read through a mapping, in the shapes SIEM and EDR exports take:
//!
//! - JSON lines, one record per line, the row either at the top level or nested under one of
//!   the mapping's `unwrap` keys (Splunk `{"preview":false,"result":{…}}`, Defender streaming
//!   `{"category":…,"properties":{…}}`). These are read as lines, in parallel.
//! - One document holding an array of records: a top-level array, or a wrapper object with the
//!   array under one of the mapping's `records` keys (Defender advanced hunting API
//!   `{"Schema":…,"Results":[…]}`, Event Hub `{"records":[…]}`), pretty-printed or not, several
//!   documents concatenated. These are read in order by a streaming parser that holds one record
//!   at a time; a record (with whatever precedes it in its document) larger than
//!   [`MAX_RECORD_BYTES`] ends the stream with an error.

use super::apply::Row;
use super::mapping::Mapping;
use pubsub_hunt_reader::{
    Confidence, LineFormat, Reader, Record, RecordSink, StreamFormat, head_lines,
};
use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::io::{self, BufReader, Read};
use std::rc::Rc;
use std::sync::Arc;

/// Most bytes read for one record of a JSON document (and what precedes it in the document).
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// A JSON object seen as a row: keys are looked up as written (`All_Traffic.dest_port`), then
/// as a dotted path into nested objects (`properties.RemoteIP`).
struct JsonRow<'a>(&'a Map<String, Value>);

fn scalar(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        // A multi-value field (Splunk): its first value.
        Value::Array(a) => a.first().and_then(scalar),
        Value::Null | Value::Object(_) => None,
    }
}

impl Row for JsonRow<'_> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        if let Some(v) = self.0.get(name) {
            return scalar(v);
        }
        if !name.contains('.') {
            return None;
        }
        let mut parts = name.split('.');
        let mut cur = self.0.get(parts.next()?)?;
        for p in parts {
            cur = cur.as_object()?.get(p)?;
        }
        scalar(cur)
    }
}

/// The row of a record: the object under the first `unwrap` key that holds one, else the
/// record itself.
fn unwrap_row<'a>(m: &Mapping, obj: &'a Map<String, Value>) -> &'a Map<String, Value> {
    m.json_unwrap
        .iter()
        .find_map(|k| obj.get(k).and_then(Value::as_object))
        .unwrap_or(obj)
}

/// The records array of a wrapper object, if it has one.
fn records_array<'a>(m: &Mapping, obj: &'a Map<String, Value>) -> Option<&'a Vec<Value>> {
    m.json_records
        .iter()
        .find_map(|k| obj.get(k).and_then(Value::as_array))
}

fn record_of(m: &Mapping, v: &Value) -> Result<Record, String> {
    let obj = v.as_object().ok_or("a record that is not a JSON object")?;
    m.record(&JsonRow(unwrap_row(m, obj)))
}

/// Whether `head` holds `"name"` followed by a colon: a key in a document the first line of
/// which is not a whole JSON value (pretty-printed, or an array).
fn has_key_text(head: &[u8], name: &str) -> bool {
    let needle = format!("\"{name}\"");
    let finder = memchr::memmem::Finder::new(needle.as_bytes());
    finder.find_iter(head).any(|i| {
        head.get(i + needle.len()..)
            .and_then(|rest| rest.iter().find(|b| !b.is_ascii_whitespace()))
            == Some(&b':')
    })
}

/// How sure the start of `head` is this mapping's JSON export.
pub(super) fn sniff(m: &Mapping, head: &[u8]) -> Option<Confidence> {
    let line = head_lines(head, 1).next()?;
    let first = *line.iter().find(|b| !b.is_ascii_whitespace())?;
    if first != b'{' && first != b'[' {
        return None;
    }
    match serde_json::from_slice::<Value>(line) {
        Ok(v) => {
            let top = match &v {
                Value::Array(a) => a.first()?.as_object()?,
                Value::Object(o) => o,
                _ => return None,
            };
            let rec = match records_array(m, top) {
                Some(a) => a.first()?.as_object()?,
                None => top,
            };
            let row = JsonRow(unwrap_row(m, rec));
            m.sniff_names(&|n| row.get(n).is_some() || row.0.contains_key(n))
        }
        // A document spread over lines: look for the keys in its text.
        Err(_) => {
            let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
            m.sniff_names(&|n| has_key_text(text, n))
        }
    }
}

/// Opens a JSON stream: JSON lines when the first line is one whole record, else a document
/// reader.
pub(super) fn open(m: &Arc<Mapping>, head: &[u8]) -> Result<Reader, String> {
    let first = head_lines(head, 1).next().unwrap_or_default();
    let one_record_per_line = match serde_json::from_slice::<Value>(first) {
        Ok(Value::Object(o)) => records_array(m, &o).is_none(),
        _ => false,
    };
    if one_record_per_line {
        Ok(Reader::Lines(Arc::new(JsonLines { mapping: m.clone() })))
    } else {
        Ok(Reader::Stream(Box::new(JsonDocument {
            mapping: m.clone(),
        })))
    }
}

/// The line reader of a JSON lines stream.
pub struct JsonLines {
    mapping: Arc<Mapping>,
}

impl LineFormat for JsonLines {
    fn name(&self) -> &'static str {
        self.mapping.name
    }

    fn records_programs(&self) -> bool {
        self.mapping.records_programs()
    }

    fn parse_line(&self, line: &[u8]) -> Result<Record, String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(Record::Skip);
        }
        let v: Value = serde_json::from_slice(line).map_err(|e| format!("bad JSON: {e}"))?;
        let obj = v.as_object().ok_or("a line that is not a JSON object")?;
        if records_array(&self.mapping, obj).is_some() {
            return Err(
                "a line holding an array of records in a JSON lines stream (force this format on the file alone to read it as a document)"
                    .into(),
            );
        }
        record_of(&self.mapping, &v)
    }
}

/// Where the document reader is: shared between the byte counter and the parser callbacks.
#[derive(Debug, Clone, Copy)]
struct Progress {
    /// 1-based line of the last byte read.
    line: u64,
    /// Bytes read since the last record was handed on.
    since_record: u64,
    total: u64,
    reported: u64,
}

/// Counts lines and bytes as the parser reads, and stops a record that grows past the bound.
struct Counting<R> {
    inner: R,
    progress: Rc<Cell<Progress>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut p = self.progress.get();
        let got = buf.get(..n).unwrap_or_default();
        p.line += memchr::memchr_iter(b'\n', got).count() as u64;
        p.since_record += n as u64;
        p.total += n as u64;
        self.progress.set(p);
        if p.since_record > MAX_RECORD_BYTES {
            return Err(io::Error::other(format!(
                "a record larger than {MAX_RECORD_BYTES} bytes"
            )));
        }
        Ok(n)
    }
}

/// Reads JSON documents holding arrays of records.
pub struct JsonDocument {
    mapping: Arc<Mapping>,
}

struct Ctx<'s> {
    mapping: &'s Mapping,
    sink: &'s mut dyn RecordSink,
    progress: Rc<Cell<Progress>>,
    aborted: bool,
}

const ABORTED: &str = "reading stopped";

impl Ctx<'_> {
    fn line(&self) -> u64 {
        self.progress.get().line
    }

    fn handle(&mut self, pos: u64, v: &Value) {
        let mut p = self.progress.get();
        self.sink.bytes(p.total - p.reported);
        p.reported = p.total;
        p.since_record = 0;
        self.progress.set(p);
        self.sink.record(pos, record_of(self.mapping, v));
        if self.sink.aborted() {
            self.aborted = true;
        }
    }
}

/// One record: an element of a records array.
struct RecordSeed<'c, 's>(&'c mut Ctx<'s>);

impl<'de> DeserializeSeed<'de> for RecordSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        // The parser has just looked at the record's first byte: this is its line.
        let pos = self.0.line();
        let v = Value::deserialize(d)?;
        self.0.handle(pos, &v);
        if self.0.aborted {
            return Err(D::Error::custom(ABORTED));
        }
        Ok(())
    }
}

use serde::Deserialize as _;

/// An array of records.
struct ArraySeed<'c, 's>(&'c mut Ctx<'s>);

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(RecordSeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One top-level JSON value: an array of records, a wrapper object with a records array, or
/// a record itself.
struct TopSeed<'c, 's>(&'c mut Ctx<'s>);

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object or array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        ArraySeed(self.0).visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.0;
        let pos = ctx.line();
        let mut row = Map::new();
        let mut had_records = false;
        while let Some(key) = map.next_key::<String>()? {
            if ctx.mapping.json_records.contains(&key) {
                map.next_value_seed(ArraySeed(&mut *ctx))?;
                had_records = true;
            } else {
                let v: Value = map.next_value()?;
                if !had_records {
                    row.insert(key, v);
                }
            }
        }
        if !had_records {
            ctx.handle(pos, &Value::Object(row));
            if ctx.aborted {
                return Err(A::Error::custom(ABORTED));
            }
        }
        Ok(())
    }
}

impl StreamFormat for JsonDocument {
    fn name(&self) -> &'static str {
        self.mapping.name
    }

    fn read(&mut self, input: &mut dyn Read, sink: &mut dyn RecordSink) -> Result<(), String> {
        let progress = Rc::new(Cell::new(Progress {
            line: 1,
            since_record: 0,
            total: 0,
            reported: 0,
        }));
        let reader = Counting {
            inner: BufReader::with_capacity(1 << 16, input),
            progress: progress.clone(),
        };
        let mut de = serde_json::Deserializer::from_reader(reader);
        let mut ctx = Ctx {
            mapping: &self.mapping,
            sink,
            progress,
            aborted: false,
        };
        let result = loop {
            let r = TopSeed(&mut ctx).deserialize(&mut de);
            if ctx.aborted {
                break Ok(());
            }
            if let Err(e) = r {
                break Err(format!("bad JSON: {e}"));
            }
            // Whitespace to the end: done. Anything else is the next document.
            if de.end().is_ok() {
                break Ok(());
            }
        };
        let p = ctx.progress.get();
        ctx.sink.bytes(p.total - p.reported);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_reader::ProblemKind;

    const MAP: &str = r#"
name = "t-json"
description = "d"
kind = "json"
[sniff]
required = ["ip", "port"]
confidence = "certain"
[json]
records = ["Results", "records"]
unwrap = ["properties", "result"]
[fields]
dst_ip = "ip"
dst_port = "port"
host = "dev.name"
"#;

    fn mapping() -> Arc<Mapping> {
        Arc::new(Mapping::from_toml(MAP).unwrap())
    }

    #[derive(Default)]
    struct Collect {
        got: Vec<(u64, Result<String, String>)>,
        bytes: u64,
        stop_after: Option<usize>,
    }

    impl RecordSink for Collect {
        fn record(&mut self, pos: u64, record: Result<Record, String>) {
            let r = record.map(|r| match r {
                Record::Conn(e) => format!("{}:{} {:?}", e.dst_ip, e.dst_port, e.host),
                Record::Other => "other".into(),
                Record::Skip => "skip".into(),
                Record::DestName { .. } => "destination name".into(),
                Record::AddrNames { .. } | Record::SessionFacts { .. } => "facts".into(),
            });
            self.got.push((pos, r));
        }
        fn problem(&mut self, _: Option<u64>, _: ProblemKind, _: String) {}
        fn aborted(&self) -> bool {
            self.stop_after.is_some_and(|n| self.got.len() >= n)
        }
        fn bytes(&mut self, n: u64) {
            self.bytes += n;
        }
    }

    fn read_doc(text: &str) -> (Collect, Result<(), String>) {
        let m = mapping();
        let mut doc = match open(&m, text.as_bytes()).unwrap() {
            Reader::Stream(s) => s,
            Reader::Lines(_) => panic!("lines"),
            Reader::Headered(_) => panic!("headered"),
        };
        let mut sink = Collect::default();
        let r = doc.read(&mut text.as_bytes(), &mut sink);
        assert_eq!(sink.bytes, text.len() as u64);
        (sink, r)
    }

    #[test]
    fn rows_nested_or_dotted() {
        let m = mapping();
        let l = JsonLines { mapping: m };
        let r = l
            .parse_line(br#"{"category":"x","properties":{"ip":"::ffff:1.2.3.4","port":5222,"dev":{"name":"h"}}}"#)
            .unwrap();
        let Record::Conn(e) = r else { panic!() };
        assert_eq!(e.dst_ip.to_string(), "1.2.3.4");
        assert_eq!(e.dst_port, 5222);
        assert_eq!(e.host.as_deref(), Some("h"));
        assert!(matches!(l.parse_line(b"  \r"), Ok(Record::Skip)));
        assert!(l.parse_line(b"[1]").is_err());
        assert!(l.parse_line(b"{").is_err());
        assert!(l.parse_line(br#"{"records":[]}"#).is_err());
        // Splunk multi-value fields: the first value.
        let Record::Conn(e) = l
            .parse_line(br#"{"result":{"ip":["1.2.3.4","5.6.7.8"],"port":"1"}}"#)
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(e.dst_ip.to_string(), "1.2.3.4");
    }

    #[test]
    fn sniffs_lines_and_documents() {
        let m = mapping();
        assert_eq!(
            sniff(&m, br#"{"result":{"ip":"1.2.3.4","port":1}}"#),
            Some(100)
        );
        assert_eq!(
            sniff(
                &m,
                br#"{"records":[{"properties":{"ip":"1.2.3.4","port":1}}]}"#
            ),
            Some(100)
        );
        assert_eq!(
            sniff(
                &m,
                b"{\n  \"Schema\": [],\n  \"Results\": [\n    {\"ip\" : \"1.2.3.4\", \"port\": 1}"
            ),
            Some(100)
        );
        assert_eq!(sniff(&m, br#"{"ip":"1.2.3.4"}"#), None);
        assert_eq!(sniff(&m, b"ip,port\n"), None);
        // A key mentioned as a value is not a key.
        assert_eq!(sniff(&m, b"{\n \"a\": \"ip\", \"port\": 1"), None);
    }

    #[test]
    fn documents_with_wrappers_arrays_and_concatenation() {
        let text = "{\n  \"Stats\": {\"x\": 1},\n  \"Schema\": [{\"Name\": \"ip\"}],\n  \"Results\": [\n    {\n      \"ip\": \"10.0.0.1\",\n      \"port\": 1883\n    },\n    {\"ip\": \"bad\", \"port\": 1}\n  ]\n}\n[{\"ip\":\"10.0.0.2\",\"port\":2}]\n{\"records\":[{\"properties\":{\"ip\":\"10.0.0.3\",\"port\":3}}]}\n";
        let (sink, r) = read_doc(text);
        r.unwrap();
        let got: Vec<_> = sink.got.iter().map(|(p, r)| (*p, r.clone())).collect();
        assert_eq!(
            got,
            vec![
                (5, Ok("10.0.0.1:1883 None".to_string())),
                (9, Err("bad ip \"bad\"".to_string())),
                (12, Ok("10.0.0.2:2 None".to_string())),
                (13, Ok("10.0.0.3:3 None".to_string())),
            ]
        );
    }

    #[test]
    fn broken_documents_keep_what_came_before() {
        let (sink, r) = read_doc("[{\"ip\":\"10.0.0.1\",\"port\":1},\n{\"ip\":");
        assert_eq!(sink.got.len(), 1);
        assert!(r.unwrap_err().contains("bad JSON"));
        let (sink, r) = read_doc("[1, {\"ip\":\"10.0.0.1\",\"port\":1}]");
        assert!(r.is_ok());
        assert!(sink.got[0].1.is_err());
        assert!(sink.got[1].1.is_ok());
    }

    #[test]
    fn stops_when_asked() {
        let m = mapping();
        let text = "[{\"ip\":\"10.0.0.1\",\"port\":1},{\"ip\":\"10.0.0.1\",\"port\":2},{\"ip\":\"10.0.0.1\",\"port\":3}]";
        let Reader::Stream(mut doc) = open(&m, text.as_bytes()).unwrap() else {
            panic!()
        };
        let mut sink = Collect {
            stop_after: Some(2),
            ..Collect::default()
        };
        assert!(doc.read(&mut text.as_bytes(), &mut sink).is_ok());
        assert_eq!(sink.got.len(), 2);
    }

    #[test]
    fn oversized_records_end_the_stream() {
        let m = mapping();
        let big = format!(
            "[{{\"ip\":\"10.0.0.1\",\"port\":1,\"pad\":\"{}\"}}]",
            "x".repeat(MAX_RECORD_BYTES as usize + 10)
        );
        let Reader::Stream(mut doc) = open(&m, b"[").unwrap() else {
            panic!()
        };
        let mut sink = Collect::default();
        let r = doc.read(&mut big.as_bytes(), &mut sink);
        assert!(r.unwrap_err().contains("larger than"));
        assert!(sink.got.is_empty());
    }
}
