//! The ingest pipeline: reads every input on reader threads, cuts it into line-aligned chunks,
//! and parses the chunks on worker threads, each worker feeding its own accumulator; the
//! accumulators are merged at the end. Readers own everything sequential (decompression, format
//! detection, Zeek header blocks, line numbering); workers own everything per line (prefilter,
//! parsing, the analytics' `observe`). The channel between them is bounded, so memory does not
//! grow with input size.

use crate::chunk::{ChunkEvent, LineChunk, LineChunker};
use crate::format::{Detected, InputFormat, detect};
use crate::input::{InputFile, InputPath, StreamResult, expand, for_each_stream, peek_tolerant};
use crate::prefilter::CandidateFilter;
use crate::problem::ProblemLog;
use crate::zeek::json::{self, JsonRecord};
use crate::zeek::tsv::{Directive, HeaderState, TsvSchema, default_schema_for};
use crossbeam_channel::{Receiver, Sender, bounded};
use pubsub_hunt_core::{Accumulator, ConnEvent, Engine, RecordRef};
use pubsub_hunt_reader::{DETECT_BYTES, Problem, ProblemKind, ProblemSink};
use pubsub_hunt_reader::{LineFormat, Reader, Record, RecordSink, Registry, StreamFormat, choose};
use std::collections::BTreeMap;
use std::io::Read;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// How to read.
#[derive(Clone)]
pub struct IngestOptions {
    pub format: InputFormat,
    /// Formats beyond the built-in Zeek readers, in sniffing priority order.
    pub registry: Registry,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Stop at the first problem, and parse every line instead of prefiltering.
    pub strict: bool,
    /// Approximate chunk size in bytes.
    pub chunk_size: usize,
}

impl std::fmt::Debug for IngestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IngestOptions")
            .field("format", &self.format)
            .field(
                "registry",
                &self.registry.iter().map(|r| r.name()).collect::<Vec<_>>(),
            )
            .field("threads", &self.threads)
            .field("strict", &self.strict)
            .field("chunk_size", &self.chunk_size)
            .finish()
    }
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            format: InputFormat::Auto,
            registry: crate::builtin_formats(),
            threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            strict: false,
            chunk_size: 1 << 20,
        }
    }
}

/// What was read, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Streams read, by detected format (`zeek-tsv`, `zeek-json`).
    pub streams_by_format: BTreeMap<&'static str, u64>,
    /// Streams skipped whole (unreadable, unknown format, not a connection log).
    pub streams_skipped: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Data records (lines that are not headers).
    pub records: u64,
    /// Records parsed in full (the prefilter's candidates, or every record with `strict`).
    pub parsed: u64,
    /// Connection events handed to the analytics.
    pub events: u64,
    /// Records of other logs in the same stream (Zeek `_path` other than conn).
    pub other_log_records: u64,
    /// Destination names read from other logs (Zeek `ssl.log` server names).
    pub destination_names: u64,
    /// Records skipped because of a problem, per kind.
    pub problems: BTreeMap<ProblemKind, u64>,
    /// Problems not printed because of the per-file cap: (file, kind, count).
    pub unreported: Vec<(String, ProblemKind, u64)>,
}

impl IngestReport {
    /// Problems that mean input was lost (everything but logs of another type, which are
    /// simply not what pubsub-hunt reads).
    pub fn problem_count(&self) -> u64 {
        self.problems
            .iter()
            .filter(|(k, _)| k.is_input_loss())
            .map(|(_, n)| n)
            .sum()
    }
}

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("stopped at the first problem (--strict): {0}")]
    Strict(Problem),
    #[error("cannot build the candidate prefilter: {0}")]
    Prefilter(String),
}

#[derive(Default)]
struct Counters {
    bytes: AtomicU64,
    records: AtomicU64,
    parsed: AtomicU64,
    events: AtomicU64,
    other_log: AtomicU64,
    dest_names: AtomicU64,
    skipped_streams: AtomicU64,
}

struct Shared<'a> {
    engine: &'a Engine,
    filter: CandidateFilter,
    problems: ProblemLog<'a>,
    abort: AtomicBool,
    opts: IngestOptions,
    counters: Counters,
    formats: Mutex<BTreeMap<&'static str, u64>>,
}

impl Shared<'_> {
    fn problem(&self, p: Problem) {
        let loss = p.kind.is_input_loss();
        self.problems.record(p);
        if self.opts.strict && loss {
            self.abort.store(true, Ordering::SeqCst);
        }
    }

    fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }
}

enum ChunkKind {
    Tsv(Arc<TsvSchema>),
    Json,
    Lines(Arc<dyn LineFormat>),
}

struct Work {
    stream: Arc<str>,
    kind: ChunkKind,
    chunk: LineChunk,
}

/// Reads `inputs`, feeds every connection to `engine`, and returns the merged accumulator and
/// a report of what was read. Problems are counted and the first few per file and kind are
/// passed to `sink`; with `opts.strict` the first problem ends the run with an error.
pub fn run(
    inputs: &[InputPath],
    engine: &Engine,
    opts: &IngestOptions,
    sink: &dyn ProblemSink,
) -> Result<(Accumulator, IngestReport), IngestError> {
    let filter =
        CandidateFilter::new(engine.config()).map_err(|e| IngestError::Prefilter(e.to_string()))?;
    let shared = Shared {
        engine,
        filter,
        problems: ProblemLog::new(sink, engine.config().limits.max_problem_reports),
        abort: AtomicBool::new(false),
        opts: IngestOptions {
            threads: opts.threads.max(1),
            ..opts.clone()
        },
        counters: Counters::default(),
        formats: Mutex::new(BTreeMap::new()),
    };
    let (files, expand_problems) = expand(inputs);
    for p in expand_problems {
        shared
            .counters
            .skipped_streams
            .fetch_add(1, Ordering::Relaxed);
        shared.problem(p);
    }
    let threads = shared.opts.threads;
    let readers = files.len().clamp(1, threads);
    let next_file = AtomicUsize::new(0);
    let (tx, rx) = bounded::<Work>(threads * 2);
    let (recycle_tx, recycle_rx) = bounded::<Vec<u8>>(threads * 4);

    let mut total = Accumulator::new();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = rx.clone();
                let recycle_tx = recycle_tx.clone();
                let shared = &shared;
                s.spawn(move || worker(shared, rx, recycle_tx))
            })
            .collect();
        drop(rx);
        drop(recycle_tx);
        let reader_handles: Vec<_> = (0..readers)
            .map(|_| {
                let tx = tx.clone();
                let recycle_rx = recycle_rx.clone();
                let (shared, files, next_file) = (&shared, &files, &next_file);
                s.spawn(move || {
                    // Stream formats (EVTX, captures, …) are parsed on the reader thread.
                    let mut acc = Accumulator::new();
                    loop {
                        let i = next_file.fetch_add(1, Ordering::Relaxed);
                        if i >= files.len() || shared.aborted() {
                            break;
                        }
                        read_file(shared, &files[i], &tx, &recycle_rx, &mut acc);
                    }
                    acc
                })
            })
            .collect();
        drop(tx);
        for h in reader_handles {
            if let Ok(acc) = h.join() {
                total.merge(acc, engine.config());
            }
        }
        for h in workers {
            if let Ok(acc) = h.join() {
                total.merge(acc, engine.config());
            }
        }
    });

    if shared.opts.strict
        && let Some(p) = shared.problems.first()
    {
        return Err(IngestError::Strict(p));
    }
    let c = &shared.counters;
    let streams_by_format = shared.formats.lock().map(|m| m.clone()).unwrap_or_default();
    let (problems, unreported) = shared.problems.finish();
    let report = IngestReport {
        streams_by_format,
        streams_skipped: c.skipped_streams.load(Ordering::Relaxed),
        bytes: c.bytes.load(Ordering::Relaxed),
        records: c.records.load(Ordering::Relaxed),
        parsed: c.parsed.load(Ordering::Relaxed),
        events: c.events.load(Ordering::Relaxed),
        other_log_records: c.other_log.load(Ordering::Relaxed),
        destination_names: c.dest_names.load(Ordering::Relaxed),
        problems,
        unreported,
    };
    Ok((total, report))
}

fn read_file(
    shared: &Shared<'_>,
    file: &InputFile,
    tx: &Sender<Work>,
    recycle: &Receiver<Vec<u8>>,
    acc: &mut Accumulator,
) {
    let r = for_each_stream(file, &mut |name, reader| {
        read_stream(shared, name, reader, tx, recycle, acc)
    });
    if let Err(p) = r {
        if p.kind.is_file_level() {
            shared
                .counters
                .skipped_streams
                .fetch_add(1, Ordering::Relaxed);
        }
        shared.problem(p);
    }
}

/// Per-stream reading state of a TSV stream.
struct TsvState {
    header: HeaderState,
    schema: Option<Arc<TsvSchema>>,
    /// The next line is a plain column row (headerless TSV).
    column_row_next: bool,
}

enum StreamMode {
    Tsv(TsvState),
    Json,
    Lines(Arc<dyn LineFormat>),
}

/// What to do with a stream, decided from its first bytes.
enum Choice {
    Mode(StreamMode),
    Stream(Box<dyn StreamFormat>),
    Skip(ProblemKind, String),
}

fn choose_reader(shared: &Shared<'_>, head: &[u8]) -> Choice {
    let registry = &shared.opts.registry;
    let open = |f: &Arc<dyn pubsub_hunt_reader::FormatSpec>| match f.open(head) {
        Ok(Reader::Lines(l)) => Choice::Mode(StreamMode::Lines(l)),
        Ok(Reader::Stream(s)) => Choice::Stream(s),
        Err(why) => Choice::Skip(ProblemKind::UnknownFormat, format!("{}: {why}", f.name())),
    };
    let zeek_tsv = |d: &Detected| {
        StreamMode::Tsv(TsvState {
            header: HeaderState::default(),
            // Forced TSV without any header: assume Zeek's default column order.
            schema: if head.starts_with(b"#") || *d == Detected::ZeekTsv {
                None
            } else {
                let first = head.split(|b| *b == b'\n').next().unwrap_or_default();
                let first = first.strip_suffix(b"\r").unwrap_or(first);
                default_schema_for(first).map(Arc::new)
            },
            column_row_next: !skip_blank(head).starts_with(b"#") && *d == Detected::ZeekTsv,
        })
    };
    match &shared.opts.format {
        InputFormat::ZeekJson => return Choice::Mode(StreamMode::Json),
        InputFormat::ZeekTsv => return Choice::Mode(zeek_tsv(&detect(head))),
        InputFormat::Named(name) => {
            return match choose(registry, Some(name), head) {
                Some(f) => open(f),
                None => Choice::Skip(ProblemKind::UnknownFormat, format!("no format {name:?}")),
            };
        }
        InputFormat::Auto => {}
    }
    if skip_blank(head).is_empty() {
        return Choice::Skip(ProblemKind::UnknownFormat, "empty input".into());
    }
    let zeek = detect(head);
    match zeek {
        Detected::ZeekJson => return Choice::Mode(StreamMode::Json),
        Detected::ZeekTsv => return Choice::Mode(zeek_tsv(&zeek)),
        _ => {}
    }
    if let Some(f) = choose(registry, None, head) {
        return open(f);
    }
    match zeek {
        Detected::NotConnLog(why) => Choice::Skip(ProblemKind::NotConnLog, why),
        Detected::Unknown(why) => Choice::Skip(ProblemKind::UnknownFormat, why),
        Detected::ZeekJson | Detected::ZeekTsv => unreachable!("handled above"),
    }
}

/// Hands the records of a stream format to the engine, on the reader thread.
struct StreamRecords<'s, 'a> {
    shared: &'s Shared<'a>,
    stream: Arc<str>,
    format: &'static str,
    acc: &'s mut Accumulator,
    records: u64,
    events: u64,
    other: u64,
}

impl RecordSink for StreamRecords<'_, '_> {
    fn record(&mut self, pos: u64, record: Result<Record, String>) {
        match record {
            Ok(Record::Skip) => return,
            Ok(Record::Other) => self.other += 1,
            Ok(Record::Conn(mut ev)) => {
                let origin = RecordRef {
                    file: self.stream.clone(),
                    line: pos,
                };
                // Readers of captures know the packet number but not the file name.
                if let Some(app) = ev.app.as_mut()
                    && app.first_packet.is_none()
                {
                    app.first_packet = Some(origin.clone());
                }
                ev.origin = Some(origin);
                if ev.source_format.is_none() {
                    ev.source_format = Some(self.format);
                }
                self.shared.engine.observe(&ev, self.acc);
                self.events += 1;
            }
            Err(detail) => self.shared.problem(Problem {
                file: self.stream.to_string(),
                line: Some(pos),
                kind: ProblemKind::MalformedRecord,
                detail,
            }),
        }
        self.records += 1;
    }

    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.shared.problem(Problem {
            file: self.stream.to_string(),
            line: pos,
            kind,
            detail,
        });
    }

    fn aborted(&self) -> bool {
        self.shared.aborted()
    }

    fn bytes(&mut self, n: u64) {
        self.shared.counters.bytes.fetch_add(n, Ordering::Relaxed);
    }
}

fn count_format(shared: &Shared<'_>, name: &'static str) {
    if let Ok(mut f) = shared.formats.lock() {
        *f.entry(name).or_default() += 1;
    }
}

fn read_with_stream_format(
    shared: &Shared<'_>,
    name: &str,
    mut format: Box<dyn StreamFormat>,
    reader: &mut dyn Read,
    acc: &mut Accumulator,
) {
    let fmt = format.name();
    count_format(shared, fmt);
    let mut sink = StreamRecords {
        shared,
        stream: Arc::from(name),
        format: fmt,
        acc,
        records: 0,
        events: 0,
        other: 0,
    };
    let result = format.read(reader, &mut sink);
    let c = &shared.counters;
    c.records.fetch_add(sink.records, Ordering::Relaxed);
    c.parsed.fetch_add(sink.records, Ordering::Relaxed);
    c.events.fetch_add(sink.events, Ordering::Relaxed);
    c.other_log.fetch_add(sink.other, Ordering::Relaxed);
    if let Err(detail) = result {
        shared.problem(Problem {
            file: name.to_string(),
            line: None,
            kind: ProblemKind::CorruptData,
            detail: format!("{detail}; the records before it were used"),
        });
    }
}

fn read_stream(
    shared: &Shared<'_>,
    name: &str,
    reader: &mut dyn Read,
    tx: &Sender<Work>,
    recycle: &Receiver<Vec<u8>>,
    acc: &mut Accumulator,
) -> StreamResult {
    let problem = |line: Option<u64>, kind: ProblemKind, detail: String| Problem {
        file: name.to_string(),
        line,
        kind,
        detail,
    };
    let (head, mut reader) = peek_tolerant(reader, DETECT_BYTES);
    let mut mode = match choose_reader(shared, &head) {
        Choice::Mode(m) => m,
        Choice::Stream(f) => {
            read_with_stream_format(shared, name, f, &mut reader, acc);
            return Ok(());
        }
        // A stream that is not read is reported here rather than returned as an error, so
        // the other members of an archive are still read.
        Choice::Skip(kind, why) => {
            shared
                .counters
                .skipped_streams
                .fetch_add(1, Ordering::Relaxed);
            shared.problem(problem(None, kind, why));
            return Ok(());
        }
    };
    count_format(
        shared,
        match &mode {
            StreamMode::Tsv(_) => "zeek-tsv",
            StreamMode::Json => "zeek-json",
            StreamMode::Lines(l) => l.name(),
        },
    );
    drop(head);
    let stream: Arc<str> = Arc::from(name);
    let max_line = shared.engine.config().limits.max_line_bytes;
    let mut chunker = LineChunker::new(&mut reader, shared.opts.chunk_size, max_line);
    loop {
        if shared.aborted() {
            return Ok(());
        }
        while let Ok(v) = recycle.try_recv() {
            chunker.recycle(v);
        }
        let event = match chunker.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => {
                if let Some(e) = chunker.take_error() {
                    shared.problem(problem(
                        Some(chunker.next_line()),
                        ProblemKind::CorruptCompression,
                        format!("{e}; the records before this line were used"),
                    ));
                }
                break;
            }
            Err(e) => {
                shared.problem(problem(
                    Some(chunker.next_line()),
                    ProblemKind::CorruptCompression,
                    format!("{e}; the records before this line were used"),
                ));
                break;
            }
        };
        let chunk = match event {
            ChunkEvent::LineTooLong { line, bytes } => {
                shared.counters.records.fetch_add(1, Ordering::Relaxed);
                shared.problem(problem(
                    Some(line),
                    ProblemKind::LineTooLong,
                    format!("{bytes} bytes (limit {max_line}); skipped"),
                ));
                continue;
            }
            ChunkEvent::Chunk(c) => c,
        };
        shared
            .counters
            .bytes
            .fetch_add(chunk.data.len() as u64, Ordering::Relaxed);
        match &mut mode {
            StreamMode::Json => send(
                tx,
                Work {
                    stream: stream.clone(),
                    kind: ChunkKind::Json,
                    chunk,
                },
            ),
            StreamMode::Lines(l) => send(
                tx,
                Work {
                    stream: stream.clone(),
                    kind: ChunkKind::Lines(l.clone()),
                    chunk,
                },
            ),
            StreamMode::Tsv(state) => dispatch_tsv(shared, &stream, state, chunk, tx),
        }
    }
    Ok(())
}

fn skip_blank(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}

fn send(tx: &Sender<Work>, w: Work) {
    // Workers only stop receiving when every sender is gone, so this cannot fail while the
    // reader runs; if it ever does, the chunk is simply dropped.
    let _ = tx.send(w);
}

/// Sends a TSV chunk, first handling any `#` header lines (or a leading column row) in it.
fn dispatch_tsv(
    shared: &Shared<'_>,
    stream: &Arc<str>,
    st: &mut TsvState,
    chunk: LineChunk,
    tx: &Sender<Work>,
) {
    let data = &chunk.data;
    let has_directive = data.first() == Some(&b'#') || memchr::memmem::find(data, b"\n#").is_some();
    if !has_directive && !st.column_row_next {
        emit_tsv(shared, stream, st, chunk, tx);
        return;
    }
    // Slow path: walk the lines, cutting the chunk around header lines.
    let mut seg_start = 0usize;
    let mut seg_first_line = chunk.first_line;
    let mut line_no = chunk.first_line;
    let mut pos = 0usize;
    while pos < data.len() {
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        let line = &data[pos..end];
        let is_column_row = st.column_row_next && !line.iter().all(u8::is_ascii_whitespace);
        if line.first() == Some(&b'#') || is_column_row {
            if seg_start < pos {
                let seg = data[seg_start..pos].to_vec();
                emit_tsv(
                    shared,
                    stream,
                    st,
                    LineChunk::new(seg, seg_first_line, false),
                    tx,
                );
            }
            if is_column_row {
                st.column_row_next = false;
                let text =
                    String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned();
                let names: Vec<&str> = text.split('\t').collect();
                match TsvSchema::from_columns(&names, b'\t', ',', b"-", b"(empty)", None) {
                    Ok(s) => st.schema = Some(Arc::new(s)),
                    Err(e) => shared.problem(Problem {
                        file: stream.to_string(),
                        line: Some(line_no),
                        kind: ProblemKind::BadHeader,
                        detail: e,
                    }),
                }
            } else {
                match st.header.apply(line) {
                    Ok(Directive::Schema(s)) => st.schema = Some(Arc::new(s)),
                    Ok(Directive::Other) => {}
                    Err(e) => {
                        st.schema = None;
                        shared.problem(Problem {
                            file: stream.to_string(),
                            line: Some(line_no),
                            kind: ProblemKind::BadHeader,
                            detail: e,
                        })
                    }
                }
            }
            seg_start = end + 1;
            seg_first_line = line_no + 1;
        }
        line_no += 1;
        pos = end + 1;
    }
    if seg_start < data.len() {
        let seg = data[seg_start..].to_vec();
        emit_tsv(
            shared,
            stream,
            st,
            LineChunk::new(seg, seg_first_line, chunk.unterminated_tail),
            tx,
        );
    }
}

fn emit_tsv(
    shared: &Shared<'_>,
    stream: &Arc<str>,
    st: &TsvState,
    chunk: LineChunk,
    tx: &Sender<Work>,
) {
    match &st.schema {
        Some(schema) if schema.is_conn() || schema.is_ssl() => send(
            tx,
            Work {
                stream: stream.clone(),
                kind: ChunkKind::Tsv(schema.clone()),
                chunk,
            },
        ),
        Some(_) => {
            shared
                .counters
                .records
                .fetch_add(chunk.lines, Ordering::Relaxed);
            shared
                .counters
                .other_log
                .fetch_add(chunk.lines, Ordering::Relaxed);
        }
        None => {
            shared
                .counters
                .records
                .fetch_add(chunk.lines, Ordering::Relaxed);
            if chunk.data.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            shared.problems_for_lines(stream, &chunk, "records before any usable #fields header");
        }
    }
}

impl Shared<'_> {
    /// Counts every record of a chunk as skipped, reporting the first.
    fn problems_for_lines(&self, stream: &Arc<str>, chunk: &LineChunk, why: &str) {
        for i in 0..chunk.lines {
            self.problem(Problem {
                file: stream.to_string(),
                line: Some(chunk.first_line + i),
                kind: ProblemKind::BadHeader,
                detail: why.to_string(),
            });
            if self.aborted() {
                return;
            }
        }
    }
}

/// The result of parsing one record.
enum Parsed {
    Conn(Box<ConnEvent>),
    /// A name another log gave a destination (Zeek `ssl.log` server name).
    DestName(IpAddr, u16, String),
    Other,
    Skip,
}

fn worker(shared: &Shared<'_>, rx: Receiver<Work>, recycle: Sender<Vec<u8>>) -> Accumulator {
    let mut acc = Accumulator::new();
    for work in rx.iter() {
        if shared.aborted() {
            continue;
        }
        process_chunk(shared, &work, &mut acc);
        let _ = recycle.try_send(work.chunk.data);
    }
    acc
}

fn process_chunk(shared: &Shared<'_>, work: &Work, acc: &mut Accumulator) {
    let chunk = &work.chunk;
    let data = &chunk.data[..];
    let c = &shared.counters;
    c.records.fetch_add(chunk.lines, Ordering::Relaxed);
    let mut parsed = 0u64;
    let mut events = 0u64;
    let mut other = 0u64;
    let mut names = 0u64;
    let mut skipped = 0u64;
    // Line numbers are found by counting line ends from the previous selected line.
    let mut cur_pos = 0usize;
    let mut cur_line = chunk.first_line;
    let mut handle = |s: usize, e: usize| {
        if shared.aborted() {
            return;
        }
        cur_line += bytecount::count(&data[cur_pos..s], b'\n') as u64;
        cur_pos = s;
        let line = &data[s..e];
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        parsed += 1;
        let result = match &work.kind {
            ChunkKind::Tsv(schema) if schema.is_ssl() => {
                schema.parse_ssl_line(line).map(|r| match r {
                    Some((ip, port, name)) => Parsed::DestName(ip, port, name),
                    None => Parsed::Other,
                })
            }
            ChunkKind::Tsv(schema) => schema.parse_line(line).map(|e| Parsed::Conn(Box::new(e))),
            ChunkKind::Json => json::parse_line(line).map(|r| match r {
                JsonRecord::Conn(e) => Parsed::Conn(e),
                JsonRecord::DestName(ip, port, name) => Parsed::DestName(ip, port, name),
                JsonRecord::OtherLog(_) => Parsed::Other,
            }),
            ChunkKind::Lines(l) => l.parse_line(line).map(|r| match r {
                Record::Conn(mut e) => {
                    if e.source_format.is_none() {
                        e.source_format = Some(l.name());
                    }
                    Parsed::Conn(e)
                }
                Record::Other => Parsed::Other,
                Record::Skip => Parsed::Skip,
            }),
        };
        match result {
            Ok(Parsed::Conn(mut ev)) => {
                ev.origin = Some(RecordRef {
                    file: work.stream.clone(),
                    line: cur_line,
                });
                shared.engine.observe(&ev, acc);
                events += 1;
            }
            Ok(Parsed::DestName(ip, port, name)) => {
                shared.engine.observe_dest_name(ip, port, &name, acc);
                names += 1;
            }
            Ok(Parsed::Other) => other += 1,
            Ok(Parsed::Skip) => {
                parsed -= 1;
                skipped += 1;
            }
            Err(detail) => {
                let tail = chunk.unterminated_tail && e == data.len();
                shared.problem(Problem {
                    file: work.stream.to_string(),
                    line: Some(cur_line),
                    kind: if tail {
                        ProblemKind::TruncatedRecord
                    } else {
                        ProblemKind::MalformedRecord
                    },
                    detail: if tail {
                        format!(
                            "{detail} (the line has no end: was the file cut while being written?)"
                        )
                    } else {
                        detail
                    },
                });
            }
        }
    };
    let mut tail_seen = false;
    if shared.opts.strict {
        let mut pos = 0;
        while pos < data.len() {
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
            handle(pos, end);
            pos = end + 1;
        }
        tail_seen = true;
    } else {
        shared.filter.for_each_candidate(data, |s, e| {
            if e == data.len() {
                tail_seen = true;
            }
            handle(s, e);
        });
    }
    // A last line without an end is always checked: it is how a cut-off file shows itself.
    if chunk.unterminated_tail && !tail_seen {
        let s = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
        handle(s, data.len());
    }
    c.parsed.fetch_add(parsed, Ordering::Relaxed);
    c.events.fetch_add(events, Ordering::Relaxed);
    c.other_log.fetch_add(other, Ordering::Relaxed);
    c.dest_names.fetch_add(names, Ordering::Relaxed);
    // Header rows and comments are not records.
    c.records
        .fetch_sub(skipped.min(chunk.lines), Ordering::Relaxed);
}
