//! Hostile inputs of issue 16 on the ingest side, generated small, with the bound or report
//! each must meet asserted: Sysmon XML events that never close (linear), zip archives whose
//! members overlap or inflate a thousandfold (expansion budget, one summary per archive), a
//! zip read from a FIFO (read once), decoder errors before the first byte (corrupt compressed
//! data, not an empty input), stream readers under `max_line_bytes`, bytes of another kind
//! forced through `sysmon-xml` and `cisco-asa`, and a reader that panics.

use pubsub_hunt_core::{Engine, HuntConfig};
use pubsub_hunt_ingest::input::{FileSource, InputFile, for_each_stream};
use pubsub_hunt_ingest::netlog::asa::AsaStream;
use pubsub_hunt_ingest::sysmon::xml::XmlStream;
use pubsub_hunt_ingest::{CollectProblems, IngestOptions, InputPath, Problem, ProblemKind, run};
use pubsub_hunt_reader::{Confidence, FormatSpec, Reader, Record, RecordSink, StreamFormat};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Collect {
    records: u64,
    errors: u64,
    problems: Vec<(Option<u64>, ProblemKind, String)>,
    max_line: Option<usize>,
}

impl RecordSink for Collect {
    fn record(&mut self, _pos: u64, record: Result<Record, String>) {
        match record {
            Ok(_) => self.records += 1,
            Err(_) => self.errors += 1,
        }
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.problems.push((pos, kind, detail));
    }
    fn aborted(&self) -> bool {
        false
    }
    fn bytes(&mut self, _n: u64) {}
    fn max_line_bytes(&self) -> usize {
        self.max_line
            .unwrap_or(pubsub_hunt_reader::DEFAULT_MAX_LINE_BYTES)
    }
}

#[test]
fn sysmon_xml_events_without_end_tags_cost_linear_work() {
    // 2 MB of `<Event>` and no `</Event>` (before: 60 s), then one closed event.
    let mut data = b"<Event>".repeat(2 * 1024 * 1024 / 7);
    data.extend_from_slice(b"<Event><System><EventID>3</EventID></System></Event>");
    let started = Instant::now();
    let mut sink = Collect::default();
    XmlStream.read(&mut &data[..], &mut sink).expect("reads");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // The unclosed events are reported (one problem for the run past the bound, or one error
    // each), and the closed one at the end is still read.
    assert!(!sink.problems.is_empty() || sink.errors > 0);
    assert!(sink.records + sink.errors >= 1);
}

#[test]
fn bytes_of_another_kind_forced_through_sysmon_xml_or_asa_are_reported() {
    let noise: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut sink = Collect::default();
    let _ = XmlStream.read(&mut &noise[..], &mut sink);
    assert!(
        sink.problems
            .iter()
            .any(|p| p.1 == ProblemKind::UnknownFormat),
        "{:?}",
        sink.problems
    );
    let mut sink = Collect::default();
    let _ = AsaStream::default().read(&mut &noise[..], &mut sink);
    assert!(
        sink.problems
            .iter()
            .any(|p| p.1 == ProblemKind::UnknownFormat),
        "{:?}",
        sink.problems
    );
}

#[test]
fn stream_readers_honour_max_line_bytes() {
    let mut data = b"Jan 15 2021 19:12:37: %ASA-6-302013: Built outbound TCP connection 1 for outside:198.51.100.1/1883 (198.51.100.1/1883) to inside:10.0.0.1/40000 (10.0.0.1/40000)\n".to_vec();
    data.extend_from_slice(&b"x".repeat(3000));
    data.push(b'\n');
    let mut sink = Collect {
        max_line: Some(1024),
        ..Collect::default()
    };
    AsaStream::default()
        .read(&mut &data[..], &mut sink)
        .expect("reads");
    let long: Vec<_> = sink
        .problems
        .iter()
        .filter(|p| p.1 == ProblemKind::LineTooLong)
        .collect();
    assert_eq!(long.len(), 1, "{:?}", sink.problems);
    assert!(long[0].2.contains("limit 1024"), "{}", long[0].2);
}

fn streams_of(path: &std::path::Path) -> (Vec<(String, u64)>, Option<Problem>) {
    let file = InputFile {
        name: path.display().to_string(),
        source: FileSource::Path(path.to_path_buf()),
    };
    let mut got = Vec::new();
    let r = for_each_stream(&file, &mut |name, r| {
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => n += k as u64,
                Err(e) => {
                    return Err(Problem {
                        file: name.into(),
                        line: None,
                        kind: ProblemKind::CorruptCompression,
                        detail: e.to_string(),
                    });
                }
            }
        }
        got.push((name.to_string(), n));
        Ok(())
    });
    (got, r.err())
}

/// A zip with one deflated member, whose central directory then lists that same member
/// `copies` times under different names (every entry's data overlaps the first's).
fn overlapping_zip(member: &[u8], copies: usize) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("a.log", opts).expect("zip");
    w.write_all(member).expect("zip");
    let z = w.finish().expect("zip").into_inner();
    let eocd = z.len() - 22;
    let cd_size = u32::from_le_bytes(z[eocd + 12..eocd + 16].try_into().unwrap()) as usize;
    let cd_at = u32::from_le_bytes(z[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    let entry = z[cd_at..cd_at + cd_size].to_vec();
    let mut out = z[..cd_at].to_vec();
    for i in 0..copies {
        // Each entry its own name (the reader keeps one entry per name), all five bytes long
        // like `a.log`, so the record's lengths stay right.
        let mut e = entry.clone();
        e[46..51].copy_from_slice(format!("{:05}", i % 100_000).as_bytes());
        out.extend_from_slice(&e);
    }
    let mut end = z[eocd..].to_vec();
    let n = copies as u16;
    end[8..10].copy_from_slice(&n.to_le_bytes());
    end[10..12].copy_from_slice(&n.to_le_bytes());
    end[12..16].copy_from_slice(&((cd_size * copies) as u32).to_le_bytes());
    out.extend_from_slice(&end);
    out
}

#[test]
fn overlapping_zip_members_are_skipped_with_one_summary() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.zip");
    // 1 MiB of zeros listed 5,000 times: 5 GiB claimed from a few KiB.
    std::fs::write(&p, overlapping_zip(&vec![0u8; 1 << 20], 5000)).unwrap();
    let started = Instant::now();
    let (got, err) = streams_of(&p);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        got.len(),
        1,
        "only the first of the overlapping members is read"
    );
    let err = err.expect("the archive's summary");
    assert_eq!(err.kind, ProblemKind::OverBudget);
    assert!(
        err.detail.contains("4999 members whose data overlap"),
        "{}",
        err.detail
    );
}

#[test]
fn a_member_inflating_past_the_ratio_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ratio.zip");
    // 64 MiB of zeros deflate about 1030:1, past the 1000:1 bound.
    std::fs::write(&p, overlapping_zip(&vec![0u8; 64 << 20], 1)).unwrap();
    let (got, err) = streams_of(&p);
    assert_eq!(got.len(), 1);
    assert!(got[0].1 < 64 << 20, "cut at the ratio: {}", got[0].1);
    let err = err.expect("the archive's summary");
    assert_eq!(err.kind, ProblemKind::OverBudget);
    assert!(err.detail.contains("cut at 1000 times"), "{}", err.detail);
}

#[cfg(unix)]
#[test]
fn a_zip_from_a_fifo_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.zip");
    let ok = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("conn.log", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(b"line\n").unwrap();
    let bytes = w.finish().unwrap().into_inner();
    let writer_path = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(writer_path)
            .unwrap();
        f.write_all(&bytes).unwrap();
    });
    let (tx, rx) = std::sync::mpsc::channel();
    let reader_path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(streams_of(&reader_path));
    });
    // Before, the path was opened a second time after the peek and waited for a writer
    // that never came.
    let (got, err) = rx.recv_timeout(Duration::from_secs(20)).expect("no hang");
    writer.join().unwrap();
    assert!(err.is_none(), "{err:?}");
    assert_eq!(got.len(), 1);
    assert!(got[0].0.ends_with("pipe.zip:conn.log"));
    assert_eq!(got[0].1, 5);
}

#[test]
fn decoder_errors_before_the_first_byte_are_corrupt_compression() {
    let dir = tempfile::tempdir().unwrap();
    // A zstd frame whose window (2 GiB, as `zstd --long=31` writes) exceeds the decoder's
    // default bound.
    let mut e = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
    e.long_distance_matching(true).unwrap();
    e.window_log(31).unwrap();
    e.write_all(b"#separator \\x09\n").unwrap();
    let zst = e.finish().unwrap();
    // A gzip header followed by a block that is not DEFLATE.
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    gz.extend_from_slice(&[0xff; 64]);
    for (name, bytes) in [("long.zst", zst), ("bad.gz", gz)] {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let engine = Engine::new(HuntConfig::default());
        let sink = CollectProblems::default();
        let opts = IngestOptions {
            threads: 1,
            ..IngestOptions::default()
        };
        let (_, report) = run(&[InputPath::Path(p)], &engine, &opts, &sink).expect("run");
        let problems = sink.0.lock().unwrap();
        assert_eq!(problems.len(), 1, "{name}: {problems:?}");
        assert_eq!(
            problems[0].kind,
            ProblemKind::CorruptCompression,
            "{name}: {problems:?}"
        );
        assert!(!problems[0].detail.contains("empty input"));
        assert_eq!(report.problem_count(), 1);
    }
}

/// A format whose reader panics: a stand-in for a bug a hostile input finds.
struct Panics;

struct PanicStream;

impl StreamFormat for PanicStream {
    fn name(&self) -> &'static str {
        "panics"
    }
    fn read(&mut self, _input: &mut dyn Read, _sink: &mut dyn RecordSink) -> Result<(), String> {
        panic!("reader bug");
    }
}

impl FormatSpec for Panics {
    fn name(&self) -> &'static str {
        "panics"
    }
    fn description(&self) -> &'static str {
        "test"
    }
    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        head.starts_with(b"PANIC").then_some(100)
    }
    fn open(&self, _head: &[u8]) -> Result<Reader, String> {
        Ok(Reader::Stream(Box::new(PanicStream)))
    }
}

#[test]
fn a_panicking_reader_is_a_counted_problem_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("a-bad.log");
    std::fs::write(&bad, "PANIC\n").unwrap();
    let good = dir.path().join("b-good.log");
    std::fs::write(&good, "PANIC too\n").unwrap();
    let engine = Engine::new(HuntConfig::default());
    let sink = CollectProblems::default();
    let mut registry = pubsub_hunt_ingest::builtin_formats();
    registry.insert(0, Arc::new(Panics));
    let opts = IngestOptions {
        threads: 1,
        registry,
        ..IngestOptions::default()
    };
    let (_, report) = run(
        &[InputPath::Path(bad), InputPath::Path(good)],
        &engine,
        &opts,
        &sink,
    )
    .expect("run");
    let problems = sink.0.lock().unwrap();
    let internal: Vec<_> = problems
        .iter()
        .filter(|p| p.kind == ProblemKind::Internal)
        .collect();
    // Both files were tried: a panic in the first did not end the reader thread.
    assert_eq!(internal.len(), 2, "{problems:?}");
    assert!(internal[0].detail.contains("reader bug"));
    assert_eq!(report.problem_count(), 2);
}
