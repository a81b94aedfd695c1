//! CSV exports read through a mapping: the header row (the first line of the stream) names the
//! columns, every later line is one record. Fields may be quoted (RFC 4180, `""` for a quote).
//! The header line itself, and the same header repeated (exports concatenated with `cat`), are
//! not records. A quoted field that runs past the end of its line (a multi-line cell) cannot be
//! read line by line and is reported as a malformed record.

use super::apply::Row;
use super::mapping::Mapping;
use pubsub_hunt_reader::{Confidence, LineFormat, Reader, Record, head_lines};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

/// Most columns a header may have; real exports have well under a hundred.
const MAX_COLUMNS: usize = 4096;

/// The fields of one CSV record, unquoted: `data` holds them back to back, `ends[i]` is where
/// field `i` ends.
#[derive(Debug, Default)]
struct Fields {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Fields {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { *self.ends.get(i - 1)? };
        self.data.get(start..end)
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}

thread_local! {
    // Building a csv-core reader compiles its state machine, which costs far more than
    // reading one line: each worker thread keeps one and resets it per line.
    static CSV_READER: RefCell<csv_core::Reader> = RefCell::new(csv_core::Reader::new());
}

/// Splits one CSV line into its fields, or `None` when it is not one complete CSV record.
fn split_record(line: &[u8]) -> Option<Fields> {
    // An odd number of quotes means a quoted field continues on the next line.
    if bytecount::count(line, b'"') % 2 == 1 {
        return None;
    }
    CSV_READER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut reader) => read_one(&mut reader, line),
        Err(_) => read_one(&mut csv_core::Reader::new(), line),
    })
}

fn read_one(reader: &mut csv_core::Reader, line: &[u8]) -> Option<Fields> {
    use csv_core::ReadRecordResult as R;
    reader.reset();
    // Unquoting only shrinks a line, so its length bounds the output; a field needs at least
    // its separator, so the line length bounds the field count.
    let mut data = vec![0u8; line.len() + 1];
    let mut ends = vec![0usize; 64.min(line.len() + 2)];
    let (mut nin, mut nout, mut nend) = (0usize, 0usize, 0usize);
    // Each pass consumes input or grows a buffer up to its bound; the bound on passes is a
    // guard against a reader that does neither.
    for _ in 0..(line.len() + 64) {
        let (res, i, o, e) = reader.read_record(
            line.get(nin..).unwrap_or_default(),
            data.get_mut(nout..)?,
            ends.get_mut(nend..)?,
        );
        nin += i;
        nout += o;
        nend += e;
        match res {
            // The rest of the loop passes an empty input, which tells the reader the record
            // ends there.
            R::InputEmpty => {}
            R::OutputFull => data.resize(data.len() * 2 + 1, 0),
            R::OutputEndsFull => {
                if ends.len() > line.len() + 2 {
                    return None;
                }
                ends.resize(ends.len() * 2 + 1, 0)
            }
            R::Record => {
                data.truncate(nout);
                ends.truncate(nend);
                return Some(Fields { data, ends });
            }
            R::End => return None,
        }
    }
    None
}

fn clean_line(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
}

/// The column names of a header line.
fn header_names(line: &[u8]) -> Option<Vec<String>> {
    let rec = split_record(clean_line(line))?;
    if rec.len() < 2 || rec.len() > MAX_COLUMNS {
        return None;
    }
    Some(
        rec.iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect(),
    )
}

/// How sure the first line of `head` is this mapping's header row.
pub(super) fn sniff(m: &Mapping, head: &[u8]) -> Option<Confidence> {
    let line = head_lines(head, 1).next()?;
    // JSON and Zeek headers are not CSV headers, whatever their commas say.
    if line
        .first()
        .is_some_and(|b| matches!(b, b'{' | b'[' | b'#'))
    {
        return None;
    }
    let names = header_names(line)?;
    m.sniff_names(&|n| names.iter().any(|c| c == n))
}

/// Opens a CSV stream whose first line is the header.
pub(super) fn open(m: &Arc<Mapping>, head: &[u8]) -> Result<Reader, String> {
    let line = head_lines(head, 1)
        .next()
        .ok_or("no header row: the stream is empty")?;
    let names = header_names(line).ok_or("the first line is not a CSV header row")?;
    let (dst_ip, dst_port) = m.destination_fields();
    for need in [dst_ip, dst_port] {
        if !need.iter().any(|n| names.contains(n)) {
            return Err(format!("the header has no {} column", need.join("/")));
        }
    }
    let mut columns = HashMap::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        // The first of duplicate column names wins.
        columns.entry(n.clone()).or_insert(i);
    }
    Ok(Reader::Lines(Arc::new(CsvLines {
        mapping: m.clone(),
        columns,
        header: names,
    })))
}

/// The line reader of one CSV stream.
pub struct CsvLines {
    mapping: Arc<Mapping>,
    columns: HashMap<String, usize>,
    header: Vec<String>,
}

struct CsvRow<'a> {
    columns: &'a HashMap<String, usize>,
    record: &'a Fields,
}

impl Row for CsvRow<'_> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        let i = *self.columns.get(name)?;
        self.record.get(i).map(String::from_utf8_lossy)
    }
}

impl CsvLines {
    fn is_header(&self, rec: &Fields) -> bool {
        rec.len() == self.header.len()
            && rec
                .iter()
                .zip(&self.header)
                .all(|(f, h)| f.trim_ascii() == h.as_bytes())
    }
}

impl LineFormat for CsvLines {
    fn name(&self) -> &'static str {
        self.mapping.name
    }

    fn records_programs(&self) -> bool {
        self.mapping.records_programs()
    }

    fn parse_line(&self, line: &[u8]) -> Result<Record, String> {
        let line = clean_line(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(Record::Skip);
        }
        let rec = split_record(line).ok_or(
            "a quoted field runs past the end of the line (multi-line CSV cells are not supported)",
        )?;
        if self.is_header(&rec) {
            return Ok(Record::Skip);
        }
        self.mapping.record(&CsvRow {
            columns: &self.columns,
            record: &rec,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pubsub_hunt_core::ConnEvent;

    const MAP: &str = r#"
name = "t-csv"
description = "d"
kind = "csv"
[sniff]
required = ["a", ["b", "bb"]]
confidence = "likely"
[fields]
dst_ip = "a"
dst_port = ["b", "bb"]
process_path = "p"
"#;

    fn mapping() -> Arc<Mapping> {
        Arc::new(Mapping::from_toml(MAP).unwrap())
    }

    fn lines(head: &[u8]) -> Arc<dyn LineFormat> {
        match open(&mapping(), head).unwrap() {
            Reader::Lines(l) => l,
            Reader::Stream(_) => panic!("stream"),
            Reader::Headered(_) => panic!("headered"),
        }
    }

    fn conn(l: &dyn LineFormat, line: &str) -> ConnEvent {
        match l.parse_line(line.as_bytes()).unwrap() {
            Record::Conn(e) => *e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sniffs_the_header_only() {
        let m = mapping();
        assert_eq!(
            sniff(&m, b"x,a,bb\n1,2,3\n"),
            Some(pubsub_hunt_reader::LIKELY)
        );
        assert_eq!(
            sniff(&m, b"\xef\xbb\xbf\"a\",\"b\"\r\n"),
            Some(pubsub_hunt_reader::LIKELY)
        );
        assert_eq!(sniff(&m, b"a,c\n"), None);
        assert_eq!(sniff(&m, b"{\"a\":1,\"b\":2}\n"), None);
        assert_eq!(sniff(&m, b""), None);
    }

    #[test]
    fn quoted_fields_and_headers() {
        let l = lines(b"\xef\xbb\xbfp,a,b\r\n");
        assert!(matches!(
            l.parse_line(b"\xef\xbb\xbfp,a,b\r"),
            Ok(Record::Skip)
        ));
        assert!(matches!(
            l.parse_line(b"\"p\",\"a\",\"b\""),
            Ok(Record::Skip)
        ));
        assert!(matches!(l.parse_line(b"   "), Ok(Record::Skip)));
        let e = conn(&*l, r#""C:\Program Files\a ""b"", c.exe",10.0.0.1,1883"#);
        assert_eq!(
            e.process.as_deref(),
            Some(r#"C:\Program Files\a "b", c.exe"#)
        );
        assert_eq!(e.dst_port, 1883);
        // Fewer fields than the header: the missing ones are absent.
        assert!(l.parse_line(b"x,10.0.0.1").unwrap_err().contains("missing"));
        assert!(
            l.parse_line(b"\"open,10.0.0.1,1883")
                .unwrap_err()
                .contains("quoted")
        );
    }

    #[test]
    fn a_forced_format_needs_its_columns() {
        let m = mapping();
        let err = |head: &[u8]| match open(&m, head) {
            Err(e) => e,
            Ok(_) => panic!("opened"),
        };
        assert!(err(b"p,a\n").contains("b/bb"));
        assert!(open(&m, b"").is_err());
        assert!(open(&m, b"a,bb\n").is_ok());
    }
}
