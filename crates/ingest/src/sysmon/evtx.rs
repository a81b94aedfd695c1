//! The `sysmon-evtx` format: Windows event log files (`.evtx`) read natively with the pure-Rust
//! `evtx` crate. The stream is read in order, one 64 KiB chunk at a time, so memory stays at one
//! chunk whatever the file size and no seeking is needed (inputs may be decompressed streams or
//! archive members). Each record is rendered as XML and read by the shared `<Event>` parser.
//!
//! A damaged chunk (bad magic, bad string table, cut short) is reported as
//! [`ProblemKind::CorruptData`] and skipped; reading goes on with the next chunk. A chunk whose
//! checksum does not match is also reported, but its records are still read, because logs copied
//! from a live system often end in a chunk whose checksum was not yet updated; records in it that
//! do not parse are reported one by one. A record's position is its `EventRecordID`.
//!
//! Chunks are read in file order, not in the oldest-first order Windows uses for a log that has
//! wrapped around; the analytics do not depend on record order.

use super::xml::parse_event_record;
use evtx::{EvtxChunkData, ParserSettings};
use pubsub_hunt_reader::ProblemKind;
use pubsub_hunt_reader::{
    CERTAIN, Confidence, FormatSpec, Reader, Record, RecordSink, StreamFormat,
};
use std::io::Read;
use std::sync::Arc;

/// The magic number an EVTX file starts with.
pub const MAGIC: &[u8; 8] = b"ElfFile\0";
/// Size of the file header block before the first chunk.
pub const FILE_HEADER_BYTES: usize = 4096;
/// Size of one chunk.
pub const CHUNK_BYTES: usize = 65536;

/// The `sysmon-evtx` format.
pub struct EvtxSpec;

impl FormatSpec for EvtxSpec {
    fn name(&self) -> &'static str {
        "sysmon-evtx"
    }

    fn description(&self) -> &'static str {
        "Sysmon event 3 in Windows .evtx event log files, read natively (damaged chunks are skipped and reported)"
    }

    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        head.starts_with(MAGIC).then_some(CERTAIN)
    }

    fn open(&self, head: &[u8]) -> Result<Reader, String> {
        if !head.is_empty() && !head.starts_with(MAGIC) {
            return Err("not an EVTX file (no ElfFile magic)".into());
        }
        Ok(Reader::Stream(Box::new(EvtxStream)))
    }
}

/// Reads `sysmon-evtx` streams.
#[derive(Default)]
pub struct EvtxStream;

impl StreamFormat for EvtxStream {
    fn name(&self) -> &'static str {
        "sysmon-evtx"
    }

    fn read(&mut self, input: &mut dyn Read, sink: &mut dyn RecordSink) -> Result<(), String> {
        let mut header = vec![0u8; FILE_HEADER_BYTES];
        let n = read_full(input, &mut header)?;
        sink.bytes(n as u64);
        if !header.starts_with(MAGIC) {
            return Err("not an EVTX file (no ElfFile magic)".into());
        }
        if n < FILE_HEADER_BYTES {
            return Err(format!("EVTX file header cut short ({n} bytes)"));
        }
        let settings = Arc::new(ParserSettings::new().indent(false));
        let mut chunk_number: u64 = 0;
        loop {
            if sink.aborted() {
                return Ok(());
            }
            let mut data = vec![0u8; CHUNK_BYTES];
            let n = read_full(input, &mut data)?;
            sink.bytes(n as u64);
            if n == 0 {
                return Ok(());
            }
            if n < CHUNK_BYTES {
                sink.problem(
                    None,
                    ProblemKind::CorruptData,
                    format!(
                        "EVTX chunk {chunk_number} cut short ({n} of {CHUNK_BYTES} bytes); skipped"
                    ),
                );
                return Ok(());
            }
            read_chunk(chunk_number, data, &settings, sink);
            chunk_number += 1;
        }
    }
}

/// Reads the records of one chunk into `sink`.
fn read_chunk(
    chunk_number: u64,
    data: Vec<u8>,
    settings: &Arc<ParserSettings>,
    sink: &mut dyn RecordSink,
) {
    // Logs that were not closed cleanly can hold unused, zeroed chunks.
    if data.iter().all(|b| *b == 0) {
        return;
    }
    let mut chunk = match EvtxChunkData::new(data, false) {
        Ok(c) => c,
        Err(e) => {
            sink.problem(
                None,
                ProblemKind::CorruptData,
                format!(
                    "EVTX chunk {chunk_number}: {}; skipped",
                    short(&e.to_string())
                ),
            );
            return;
        }
    };
    let checksum_ok = chunk.validate_checksum();
    // Record ids start at 1; a damaged header or record that says 0 is still given a 1-based
    // position (where it is in the file), never 0.
    let first_id = chunk.header.first_event_record_id.max(1);
    let last_id = chunk.header.last_event_record_id;
    let mut checksum_reported = false;
    // The evtx crate is written not to panic, but a chunk is hostile input: a panic inside it
    // must cost this chunk, not the run.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut parsed = match chunk.parse(Arc::clone(settings)) {
            Ok(p) => p,
            Err(e) => return Err(short(&e.to_string())),
        };
        if !checksum_ok {
            checksum_reported = true;
            sink.problem(
                Some(first_id),
                ProblemKind::CorruptData,
                format!(
                    "EVTX chunk {chunk_number} (records {first_id}-{last_id}): checksum mismatch; its records were read but may be damaged"
                ),
            );
        }
        let mut next_id = first_id;
        for record in parsed.iter() {
            if sink.aborted() {
                break;
            }
            match record.and_then(|r| r.into_xml_bytes()) {
                Ok(r) => {
                    let id = r.event_record_id.max(1);
                    next_id = id.saturating_add(1);
                    let result: Result<Record, String> = parse_event_record(&r.data);
                    sink.record(id, result);
                }
                Err(e) => {
                    sink.record(
                        next_id,
                        Err(format!("unreadable EVTX record: {}", short(&e.to_string()))),
                    );
                    next_id = next_id.saturating_add(1);
                }
            }
        }
        Ok(())
    }));
    let mut why = match outcome {
        Ok(Ok(())) => return,
        Ok(Err(why)) => why,
        Err(_) => "the EVTX parser failed on it".to_string(),
    };
    if !checksum_ok && !checksum_reported {
        why = format!("checksum mismatch, {why}");
    }
    sink.problem(
        Some(first_id),
        ProblemKind::CorruptData,
        format!("EVTX chunk {chunk_number}: {why}; skipped"),
    );
}

/// An error message cut to a readable length.
fn short(s: &str) -> String {
    const MAX: usize = 160;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(input: &mut dyn Read, buf: &mut [u8]) -> Result<usize, String> {
    let mut n = 0;
    while n < buf.len() {
        match input.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read error: {e}")),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_the_magic() {
        assert_eq!(EvtxSpec.sniff(b"ElfFile\0\0\0"), Some(CERTAIN));
        assert_eq!(EvtxSpec.sniff(b"ElfFile"), None);
        assert_eq!(EvtxSpec.sniff(b"<Event>"), None);
        assert!(EvtxSpec.open(b"PK\x03\x04").is_err());
    }

    /// Positions of what a reader hands on.
    #[derive(Default)]
    struct Positions(Vec<u64>, Vec<Option<u64>>);

    impl RecordSink for Positions {
        fn record(&mut self, pos: u64, _record: Result<Record, String>) {
            self.0.push(pos);
        }
        fn problem(&mut self, pos: Option<u64>, _kind: ProblemKind, _detail: String) {
            self.1.push(pos);
        }
        fn aborted(&self) -> bool {
            false
        }
        fn bytes(&mut self, _n: u64) {}
    }

    #[test]
    fn a_record_id_of_0_is_still_a_1_based_position() {
        // Found by the sysmon_evtx fuzz target: a damaged chunk whose records say id 0.
        let data = include_bytes!("../../fuzz/seeds/sysmon_evtx/record-id-0.evtx");
        let Ok(Reader::Stream(mut reader)) = EvtxSpec.open(&data[..]) else {
            panic!("an EVTX file");
        };
        let mut sink = Positions::default();
        let _ = reader.read(&mut &data[..], &mut sink);
        assert!(!sink.0.is_empty());
        assert!(sink.0.iter().all(|&p| p >= 1), "{:?}", sink.0);
        assert!(sink.1.iter().flatten().all(|&p| p >= 1), "{:?}", sink.1);
    }

    #[test]
    fn short_cuts_long_messages() {
        assert_eq!(short("abc"), "abc");
        assert_eq!(short(&"é".repeat(500)).chars().count(), 161);
    }
}
