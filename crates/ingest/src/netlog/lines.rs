//! A line reader for the stream formats of this module (Cisco ASA, Suricata EVE): yields lines
//! in order with their 1-based numbers, never holds more than a fixed number of bytes for one
//! line (longer lines are skipped and reported by length), and tells the sink how many bytes it
//! consumed.

use pubsub_hunt_reader::ProblemKind;
use pubsub_hunt_reader::RecordSink;
use std::io::{self, BufRead, BufReader, Read};

/// The longest line kept, in bytes: the pipeline's default `max_line_bytes`.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// One step of the reader.
pub enum LineItem<'a> {
    /// A line without its line end (`\n` or `\r\n`).
    Text(&'a [u8]),
    /// A line longer than the bound; its bytes were skipped.
    TooLong(usize),
}

/// Reads lines of at most `max` bytes from a stream.
pub struct BoundedLines<R> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    max: usize,
    next_line: u64,
}

impl<R: Read> BoundedLines<R> {
    pub fn new(inner: R, max: usize) -> Self {
        BoundedLines {
            inner: BufReader::with_capacity(64 * 1024, inner),
            buf: Vec::new(),
            max,
            next_line: 1,
        }
    }

    /// The next line with its number, `None` at the end of the stream. Bytes consumed are
    /// reported to `sink`.
    pub fn next_line(
        &mut self,
        sink: &mut dyn RecordSink,
    ) -> io::Result<Option<(u64, LineItem<'_>)>> {
        self.buf.clear();
        let mut length = 0usize;
        let mut saw_any = false;
        loop {
            let avail = match self.inner.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if avail.is_empty() {
                if !saw_any {
                    return Ok(None);
                }
                break;
            }
            saw_any = true;
            let (take, done) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            if length + take <= self.max {
                self.buf.extend_from_slice(&avail[..take]);
            }
            length += take;
            let consumed = if done { take + 1 } else { take };
            self.inner.consume(consumed);
            sink.bytes(consumed as u64);
            if done {
                break;
            }
        }
        let line_no = self.next_line;
        self.next_line += 1;
        if length > self.max {
            return Ok(Some((line_no, LineItem::TooLong(length))));
        }
        let line = self.buf.strip_suffix(b"\r").unwrap_or(&self.buf);
        Ok(Some((line_no, LineItem::Text(line))))
    }
}

/// Reads every line of `input`, handing each to `handle` with its number; over-long lines are
/// reported and skipped. Stops early when the sink aborts; a read error ends the stream with
/// `Err` after the lines before it were handled.
pub fn each_line(
    input: &mut dyn Read,
    sink: &mut dyn RecordSink,
    mut handle: impl FnMut(u64, &[u8], &mut dyn RecordSink),
) -> Result<(), String> {
    let max = sink.max_line_bytes();
    let mut lines = BoundedLines::new(input, max);
    loop {
        if sink.aborted() {
            return Ok(());
        }
        match lines.next_line(sink) {
            Ok(None) => return Ok(()),
            Ok(Some((n, LineItem::TooLong(len)))) => report_too_long(sink, n, len, max),
            Ok(Some((n, LineItem::Text(t)))) => handle(n, t, sink),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Reports an over-long line the way the line pipeline does.
pub fn report_too_long(sink: &mut dyn RecordSink, line: u64, bytes: usize, max: usize) {
    sink.problem(
        Some(line),
        ProblemKind::LineTooLong,
        format!("{bytes} bytes (limit {max}); skipped"),
    );
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use pubsub_hunt_reader::Record;

    /// A sink that keeps everything, for the readers' unit tests.
    #[derive(Default)]
    pub struct VecSink {
        pub records: Vec<(u64, Result<Record, String>)>,
        pub problems: Vec<(Option<u64>, ProblemKind, String)>,
        pub bytes: u64,
    }

    impl RecordSink for VecSink {
        fn record(&mut self, pos: u64, record: Result<Record, String>) {
            self.records.push((pos, record));
        }
        fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
            self.problems.push((pos, kind, detail));
        }
        fn aborted(&self) -> bool {
            false
        }
        fn bytes(&mut self, n: u64) {
            self.bytes += n;
        }
    }

    #[test]
    fn lines_are_numbered_and_bounded() {
        let data = b"a\r\nbbbbbbbbbb\n\nccc";
        let mut r = BoundedLines::new(&data[..], 4);
        let mut sink = VecSink::default();
        let mut got = Vec::new();
        while let Some((n, item)) = r.next_line(&mut sink).unwrap() {
            got.push(match item {
                LineItem::Text(t) => (n, String::from_utf8_lossy(t).into_owned()),
                LineItem::TooLong(len) => (n, format!("too long {len}")),
            });
        }
        assert_eq!(
            got,
            vec![
                (1, "a".to_string()),
                (2, "too long 10".to_string()),
                (3, String::new()),
                (4, "ccc".to_string())
            ]
        );
        assert_eq!(sink.bytes, data.len() as u64);
    }
}
