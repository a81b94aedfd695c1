//! The JSON formats read in order: a JSON array of records, or whitespace-separated
//! (pretty-printed) records. Values are cut out of the byte stream by a small structural
//! scanner (strings, escapes and nesting only), one at a time, and each is parsed on its own:
//! a value longer than `max_line_bytes` is skipped without being held (the scanner reads past
//! it) and reported, and the records after it are still read. Linear in the input.

use pubsub_hunt_reader::{ProblemKind, Record, RecordSink, StreamFormat};
use serde_json::Value;
use std::io::{self, BufRead, BufReader, Read};

/// Reads a JSON array of records, or whitespace-separated (pretty-printed) records, in order.
/// Positions given to the sink are 1-based record numbers.
pub(super) struct JsonStream {
    /// The format's name.
    pub(super) name: &'static str,
    /// Turns one JSON object into a record.
    pub(super) parse: fn(&Value) -> Result<Record, String>,
}

/// One value cut out of the stream.
#[derive(Debug, PartialEq, Eq)]
enum Cut {
    /// The whole value.
    Whole(Vec<u8>),
    /// A value longer than the bound: this many bytes were read past.
    TooLong(u64),
    /// The input ended inside the value.
    Eof,
}

/// Where the scanner is inside a value.
#[derive(Debug, Default)]
struct Scan {
    depth: u64,
    in_string: bool,
    escaped: bool,
    /// The value is a bare scalar (number, `true`, …): it ends at a delimiter.
    scalar: bool,
    started: bool,
}

impl Scan {
    /// Looks at `bytes`, the next bytes of the value; returns how many belong to it when it
    /// ends within them.
    fn end_in(&mut self, bytes: &[u8]) -> Option<usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if !self.started {
                self.started = true;
                match b {
                    b'{' | b'[' => self.depth = 1,
                    b'"' => self.in_string = true,
                    _ => self.scalar = true,
                }
                continue;
            }
            if self.scalar {
                if b.is_ascii_whitespace() || matches!(b, b',' | b']' | b'}' | b'[' | b'{') {
                    return Some(i);
                }
                continue;
            }
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    if self.depth == 0 {
                        return Some(i + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }
}

/// Cuts the value that starts at the front of `r` (after separators were skipped).
fn cut_value(r: &mut impl BufRead, max: usize) -> io::Result<Cut> {
    let mut scan = Scan::default();
    let mut value = Vec::new();
    let mut len = 0u64;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            // A scalar may end with the input.
            return Ok(if scan.scalar && len <= max as u64 {
                Cut::Whole(value)
            } else if scan.scalar {
                Cut::TooLong(len)
            } else {
                Cut::Eof
            });
        }
        let (n, done) = match scan.end_in(avail) {
            Some(n) => (n, true),
            None => (avail.len(), false),
        };
        if len + n as u64 <= max as u64 {
            value.extend_from_slice(avail.get(..n).unwrap_or_default());
        } else if !value.is_empty() {
            value = Vec::new();
        }
        len += n as u64;
        r.consume(n);
        if done {
            return Ok(if len <= max as u64 {
                Cut::Whole(value)
            } else {
                Cut::TooLong(len)
            });
        }
    }
}

/// Skips whitespace, and commas between values of sloppy exports; the next byte, if any.
fn skip_separators(r: &mut impl BufRead) -> io::Result<Option<u8>> {
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(None);
        }
        match avail
            .iter()
            .position(|b| !(b.is_ascii_whitespace() || *b == b','))
        {
            Some(i) => {
                let next = avail.get(i).copied();
                r.consume(i);
                return Ok(next);
            }
            None => {
                let n = avail.len();
                r.consume(n);
            }
        }
    }
}

/// Skips to the next line after a value that could not be parsed, to read on.
fn skip_line(r: &mut impl BufRead) -> io::Result<u64> {
    let mut skipped = 0u64;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            return Ok(skipped);
        }
        if let Some(i) = memchr::memchr(b'\n', avail) {
            r.consume(i + 1);
            return Ok(skipped + i as u64 + 1);
        }
        let n = avail.len();
        r.consume(n);
        skipped += n as u64;
    }
}

impl StreamFormat for JsonStream {
    fn name(&self) -> &'static str {
        self.name
    }

    fn read(&mut self, input: &mut dyn Read, sink: &mut dyn RecordSink) -> Result<(), String> {
        let max = sink.max_line_bytes();
        let mut r = BufReader::with_capacity(64 * 1024, input);
        let mut count = 0u64;
        // Inside a top-level array.
        let mut in_array = false;
        // Malformed values in a row before giving up: a stream that is not JSON at all stops
        // instead of producing one problem per line.
        let mut failures = 0u32;
        let io = |e: io::Error, count: u64| format!("after record {count}: {e}");
        loop {
            if sink.aborted() {
                break;
            }
            let Some(next) = skip_separators(&mut r).map_err(|e| io(e, count))? else {
                if in_array {
                    sink.problem(
                        Some(count + 1),
                        ProblemKind::TruncatedRecord,
                        "the JSON array is not closed (was the file cut while being written?)"
                            .into(),
                    );
                }
                break;
            };
            if !in_array && next == b'[' {
                r.consume(1);
                sink.bytes(1);
                in_array = true;
                continue;
            }
            if in_array && next == b']' {
                r.consume(1);
                sink.bytes(1);
                in_array = false;
                continue;
            }
            let cut = cut_value(&mut r, max).map_err(|e| io(e, count))?;
            count += 1;
            match cut {
                Cut::Eof => {
                    sink.problem(
                        Some(count),
                        ProblemKind::TruncatedRecord,
                        "the JSON ends inside a record (was the file cut while being written?)"
                            .into(),
                    );
                    break;
                }
                Cut::TooLong(len) => {
                    sink.bytes(len);
                    sink.problem(
                        Some(count),
                        ProblemKind::LineTooLong,
                        format!("record of {len} bytes (limit {max}); skipped"),
                    );
                }
                Cut::Whole(bytes) => {
                    sink.bytes(bytes.len() as u64);
                    match serde_json::from_slice::<Value>(&bytes) {
                        Ok(v) => {
                            failures = 0;
                            let rec = if v.is_object() {
                                (self.parse)(&v)
                            } else {
                                Err("array element is not a JSON object".into())
                            };
                            sink.record(count, rec);
                        }
                        Err(e) => {
                            sink.record(count, Err(format!("bad JSON: {e}")));
                            failures += 1;
                            if failures > 16 {
                                return Err("too many malformed JSON values in a row".into());
                            }
                            if !in_array {
                                let n = skip_line(&mut r).map_err(|e| io(e, count))?;
                                sink.bytes(n);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::tests::VecSink;
    use super::*;

    fn count_keys(v: &Value) -> Result<Record, String> {
        match v.get("k") {
            Some(_) => Ok(Record::Other),
            None => Err("no k".into()),
        }
    }

    fn stream(data: &[u8]) -> VecSink {
        let mut sink = VecSink::default();
        let mut s = JsonStream {
            name: "test-json",
            parse: count_keys,
        };
        let _ = s.read(&mut &data[..], &mut sink);
        sink
    }

    #[test]
    fn arrays_and_pretty_objects_are_read_in_order() {
        let sink = stream(b"[{\"k\":1},\n {\"x\":2}, 3]\n{\n \"k\": 4\n}\n");
        let got: Vec<(u64, bool)> = sink.records.iter().map(|(n, r)| (*n, r.is_ok())).collect();
        assert_eq!(got, vec![(1, true), (2, false), (3, false), (4, true)]);
        assert!(sink.problems.is_empty());
    }

    #[test]
    fn a_cut_array_reports_what_was_read_and_the_cut() {
        let sink = stream(b"[{\"k\":1},{\"k\":");
        assert_eq!(sink.records.len(), 1);
        assert!(sink.records[0].1.is_ok());
        assert_eq!(sink.problems.len(), 1);
        assert_eq!(sink.problems[0].0, Some(2));
        assert_eq!(sink.problems[0].1, ProblemKind::TruncatedRecord);
    }

    #[test]
    fn garbage_between_values_is_skipped_by_line() {
        let sink = stream(b"{\"k\":1}\nnot json\n{\"k\":2}\n");
        let oks = sink.records.iter().filter(|(_, r)| r.is_ok()).count();
        assert_eq!(oks, 2);
        assert_eq!(sink.records.len(), 3);
    }

    #[test]
    fn a_huge_element_is_skipped_and_the_rest_read() {
        // An element far over the bound (strings with brackets and escaped quotes inside, so
        // the scanner must follow them), then records after it.
        let big = format!(
            "{{\"k\":\"{}\\\"]}}\",\"n\":[[{{}}]]}}",
            "x".repeat(3 * super::super::lines::MAX_LINE_BYTES)
        );
        let data = format!("[{{\"k\":1}}, {big}, {{\"k\":2}}, {{\"k\":3}}]");
        let sink = stream(data.as_bytes());
        let oks: Vec<u64> = sink
            .records
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(oks, vec![1, 3, 4]);
        assert_eq!(sink.problems.len(), 1);
        assert_eq!(sink.problems[0].1, ProblemKind::LineTooLong);
    }

    #[test]
    fn cutting_agrees_with_serde_on_nested_values() {
        for v in [
            &br#"{"a":"]}\\","b":[1,{"c":"\""}]}"#[..],
            br#""just a string""#,
            b"12345",
            b"[[],[[]],{}]",
        ] {
            let mut data = v.to_vec();
            data.extend_from_slice(b" {\"k\":1}");
            let mut r = &data[..];
            let Cut::Whole(got) = cut_value(&mut r, 1 << 20).unwrap() else {
                panic!("not cut: {v:?}");
            };
            assert_eq!(got, v);
            assert!(serde_json::from_slice::<Value>(&got).is_ok());
        }
    }
}
