//! The driver every ingest target shares: the input is given to one parser of untrusted input
//! the way the pipeline would give it (a format's reader of whatever shape, the decompressor,
//! the chunker and prefilter, the mapping and configuration parsers), which must never panic;
//! and what the readers account for must hold: bytes reported never exceed the input, record
//! positions are 1-based, and no line or record beyond the line bound is ever handed on.
// Each target uses one entry point of the driver.
#![allow(dead_code)]

use pubsub_hunt_ingest::builtin_formats;
use pubsub_hunt_reader::{Body, ProblemKind, Reader, Record, RecordSink};
use std::io::Read;

/// The line bound the driver runs with: small, so inputs of a few hundred KiB cross it.
pub const MAX_LINE: usize = 4096;

/// Counts what a stream reader hands on and checks its accounting.
#[derive(Default)]
pub struct Checked {
    pub bytes: u64,
    pub records: u64,
    pub problems: u64,
}

impl RecordSink for Checked {
    fn record(&mut self, pos: u64, record: Result<Record, String>) {
        assert!(pos >= 1, "record positions are 1-based");
        if let Ok(Record::Conn(ev)) = &record {
            // Every string the event carries was read from a bounded line or record.
            for s in [&ev.host, &ev.process, &ev.user].into_iter().flatten() {
                assert!(s.len() <= 1 << 20, "a field longer than any record");
            }
        }
        self.records += 1;
    }
    fn problem(&mut self, _pos: Option<u64>, _kind: ProblemKind, detail: String) {
        assert!(!detail.is_empty());
        self.problems += 1;
    }
    fn aborted(&self) -> bool {
        false
    }
    fn bytes(&mut self, n: u64) {
        self.bytes += n;
    }
    fn max_line_bytes(&self) -> usize {
        MAX_LINE
    }
}

/// Runs the format `name` (forced, as `--format` does) over `data`.
pub fn format(name: &str, data: &[u8]) {
    let registry = builtin_formats();
    let Some(spec) = registry.iter().find(|f| f.name() == name) else {
        panic!("no format {name}");
    };
    let head = data.get(..data.len().min(64 * 1024)).unwrap_or_default();
    let _ = spec.sniff(head);
    let Ok(reader) = spec.open(head) else {
        return;
    };
    run_reader(reader, data);
}

/// Chooses the format by sniffing, as the pipeline does, and runs it.
pub fn sniffed(data: &[u8]) {
    let registry = builtin_formats();
    let head = data.get(..data.len().min(64 * 1024)).unwrap_or_default();
    let Some(spec) = pubsub_hunt_reader::choose(&registry, None, head) else {
        return;
    };
    if let Ok(reader) = spec.open(head) {
        run_reader(reader, data);
    }
}

fn run_reader(reader: Reader, data: &[u8]) {
    match reader {
        Reader::Lines(l) => {
            for line in data.split(|b| *b == b'\n').filter(|l| l.len() <= MAX_LINE) {
                let _ = l.parse_line(line);
            }
        }
        Reader::Headered(mut h) => {
            let prefix = h.header_prefix();
            for line in data.split(|b| *b == b'\n').filter(|l| l.len() <= MAX_LINE) {
                if line.first() == Some(&prefix) {
                    let _ = h.header(line);
                } else if let Body::Lines(l) = h.body() {
                    let _ = l.parse_line(line);
                }
            }
        }
        Reader::Stream(mut s) => {
            let mut sink = Checked::default();
            let _ = s.read(&mut &data[..], &mut sink);
            assert!(
                sink.bytes <= data.len() as u64,
                "{} bytes accounted of {}",
                sink.bytes,
                data.len()
            );
        }
    }
}

/// Undoes compression (gzip, zstd, zip held in memory) and reads every stream to its end,
/// within the bound of what a decompressor may yield for this fuzzer.
pub fn decompress(data: &[u8]) {
    let _ = pubsub_hunt_ingest::input::for_each_stream_of("fuzz", data, &mut |_, r| {
        let mut buf = [0u8; 64 * 1024];
        let mut total = 0u64;
        // A bomb is not a bug here; the archive's own budget is checked by the tests.
        while total < 64 << 20 {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n as u64,
            }
        }
        Ok(())
    });
}

/// Cuts the input into chunks and runs the candidate prefilter over each (also as for a source
/// that records programs): every line comes out once, in order, and no chunk line exceeds the
/// bound.
pub fn chunks(data: &[u8]) {
    use pubsub_hunt_ingest::chunk::{ChunkEvent, LineChunker};
    let config = pubsub_hunt_core::HuntConfig::default();
    let filter = pubsub_hunt_ingest::prefilter::CandidateFilter::new(&config).ok();
    let chunk_size = 64 + data.first().map_or(0, |b| usize::from(*b) * 16);
    let mut c = LineChunker::new(data, chunk_size, MAX_LINE);
    let mut next_line = 1u64;
    while let Ok(Some(ev)) = c.next_event() {
        match ev {
            ChunkEvent::LineTooLong { line, bytes } => {
                assert_eq!(line, next_line);
                assert!(bytes > MAX_LINE as u64);
                next_line += 1;
            }
            ChunkEvent::Chunk(chunk) => {
                assert_eq!(chunk.first_line, next_line);
                next_line += chunk.lines;
                if let Some(f) = &filter {
                    f.for_each_candidate(&chunk.data, |start, end| {
                        assert!(start <= end && end <= chunk.data.len());
                    });
                    // With the search for system binaries' names too: lines in order, once.
                    let mut after = 0;
                    f.for_each_candidate_of(&chunk.data, true, |start, end| {
                        assert!(after <= start && start <= end && end <= chunk.data.len());
                        after = end + 1;
                    });
                }
            }
        }
    }
}

/// A SIEM mapping file.
pub fn mapping(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pubsub_hunt_ingest::siem::mapping::Mapping::from_toml(text);
    }
}

/// The hunt configuration file.
pub fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pubsub_hunt_core::HuntConfig::from_toml_str(text);
    }
}
