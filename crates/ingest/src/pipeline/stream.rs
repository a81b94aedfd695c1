//! What a reader thread does with one stream: peeks at its first bytes to choose the reader,
//! then either runs a stream format on this thread (handing its records to the engine), or
//! cuts the stream into line-aligned chunks for the workers, passing header lines to a
//! headered format on the way. Owns the stream-level problems (corrupt compression, lines too
//! long, streams skipped whole).

use super::choose::{Choice, choose_reader};
use super::headered::dispatch;
use super::shared::{Shared, Work, count_format, send};
use crate::chunk::{ChunkEvent, LineChunker};
use crate::input::{StreamResult, peek_tolerant};
use crossbeam_channel::{Receiver, Sender};
use pubsub_hunt_core::analytics::census::{self, Coverage};
use pubsub_hunt_core::{Accumulator, RecordRef};
use pubsub_hunt_reader::{
    DETECT_BYTES, HeaderedFormat, LineFormat, Problem, ProblemKind, Record, RecordSink,
    StreamFormat,
};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// The reader of a stream cut into chunks.
enum LinesOf {
    Lines(Arc<dyn LineFormat>),
    Headered(Box<dyn HeaderedFormat>),
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
    names: u64,
    addr_names: u64,
    facts: u64,
    /// The stream's hosts for the census, when its format gives every connection
    /// ([`StreamFormat::census`]).
    census: Option<(Coverage, census::FlowCensus)>,
}

/// Hosts a stream's census holds before it is added to the run's: the run's bound then holds
/// in total, give or take this many per reader thread.
const CENSUS_FLUSH_HOSTS: usize = 4096;

impl StreamRecords<'_, '_> {
    /// Adds the stream's census so far to the run's (once per [`CENSUS_FLUSH_HOSTS`] hosts and
    /// at the end; joining is order-independent).
    fn flush_census(&mut self) {
        let Some((coverage, flows)) = self.census.as_mut() else {
            return;
        };
        let flows = std::mem::take(flows);
        let mut run = self.shared.run_census();
        self.shared
            .engine
            .observe_flow_census(&self.stream, flows, *coverage, &mut run);
    }
}

impl RecordSink for StreamRecords<'_, '_> {
    fn record(&mut self, pos: u64, record: Result<Record, String>) {
        match record {
            Ok(Record::Skip) => return,
            Ok(Record::Other) => self.other += 1,
            Ok(Record::DestName {
                client,
                ip,
                port,
                name,
                conn,
            }) => {
                self.shared
                    .engine
                    .observe_dest_name(client, ip, port, &name, self.acc);
                self.names += 1;
                if let Some(mut ev) = conn {
                    ev.origin = Some(RecordRef {
                        file: self.stream.clone(),
                        line: pos,
                    });
                    ev.source_format = Some(self.format);
                    if self.shared.engine.observe_named_connection(&ev, self.acc) {
                        self.events += 1;
                    }
                }
            }
            Ok(Record::AddrNames {
                client,
                addrs,
                names,
            }) => {
                self.shared
                    .engine
                    .observe_addr_names(client, &addrs, &names, self.acc);
                self.addr_names += 1;
            }
            Ok(Record::SessionFacts {
                src_ip,
                dst_ip,
                dst_port,
                ts,
                app,
            }) => {
                self.shared
                    .engine
                    .observe_session_facts(src_ip, dst_ip, dst_port, ts, app, self.acc);
                self.facts += 1;
            }
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
                if let Some((_, flows)) = self.census.as_mut() {
                    self.shared.engine.count_for_census(&ev, flows);
                    if flows.len() >= CENSUS_FLUSH_HOSTS {
                        self.flush_census();
                    }
                }
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

    fn max_line_bytes(&self) -> usize {
        self.shared.engine.config().limits.max_line_bytes
    }

    fn threads(&self) -> usize {
        self.shared.stream_threads
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
        names: 0,
        addr_names: 0,
        facts: 0,
        census: format
            .census()
            .filter(|_| shared.engine.takes_census())
            .map(|c| (c, census::FlowCensus::default())),
    };
    let result = format.read(reader, &mut sink);
    sink.flush_census();
    let c = &shared.counters;
    c.records.fetch_add(sink.records, Ordering::Relaxed);
    c.parsed.fetch_add(sink.records, Ordering::Relaxed);
    c.events.fetch_add(sink.events, Ordering::Relaxed);
    c.other_log.fetch_add(sink.other, Ordering::Relaxed);
    c.dest_names.fetch_add(sink.names, Ordering::Relaxed);
    c.addr_names.fetch_add(sink.addr_names, Ordering::Relaxed);
    c.session_facts.fetch_add(sink.facts, Ordering::Relaxed);
    if let Err(detail) = result {
        shared.problem(Problem {
            file: name.to_string(),
            line: None,
            kind: ProblemKind::CorruptData,
            detail: format!("{detail}; the records before it were used"),
        });
    }
}

/// A hint for decoder errors whose cause the user can act on.
fn decoder_hint(e: &std::io::Error) -> &'static str {
    let text = e.to_string();
    if text.contains("too much memory") || text.contains("window") {
        " (a zstd frame whose window exceeds the decoder's memory bound, as `zstd --long=31` makes; decompress it with `zstd -d --long=31` first)"
    } else {
        ""
    }
}

pub(super) fn read_stream(
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
    if let Some(e) = reader.take_error_before_data() {
        shared
            .counters
            .skipped_streams
            .fetch_add(1, Ordering::Relaxed);
        shared.problem(problem(
            None,
            ProblemKind::CorruptCompression,
            format!("{e}; nothing could be decompressed{}", decoder_hint(&e)),
        ));
        return Ok(());
    }
    let mut reader_of_lines = match choose_reader(&shared.opts, &head) {
        Choice::Lines(l) => LinesOf::Lines(l),
        Choice::Headered(h) => LinesOf::Headered(h),
        Choice::Stream(f) => {
            read_with_stream_format(shared, name, f, &mut reader, acc);
            return Ok(());
        }
        Choice::Empty if reader.pending_error().is_none() => {
            shared
                .counters
                .empty_streams
                .fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        // Compressed data that broke before a reader could be chosen: the data is corrupt,
        // whatever the few bytes before the break look like.
        Choice::Empty | Choice::Skip(ProblemKind::UnknownFormat, _)
            if reader.pending_error().is_some() =>
        {
            let e = reader
                .pending_error()
                .map(ToString::to_string)
                .unwrap_or_default();
            shared
                .counters
                .skipped_streams
                .fetch_add(1, Ordering::Relaxed);
            shared.problem(problem(
                None,
                ProblemKind::CorruptCompression,
                format!("corrupt compressed data ({e}) before any record could be read"),
            ));
            return Ok(());
        }
        // A stream that is not read is reported here rather than returned as an error, so
        // the other members of an archive are still read.
        Choice::Empty => return Ok(()),
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
        match &reader_of_lines {
            LinesOf::Lines(l) => l.name(),
            LinesOf::Headered(h) => h.name(),
        },
    );
    drop(head);
    let stream: Arc<str> = Arc::from(name);
    let max_line = shared.engine.config().limits.max_line_bytes;
    let mut bulk = reader.into_bulk();
    let mut chunker = LineChunker::new(&mut bulk, shared.opts.chunk_size, max_line);
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
        match &mut reader_of_lines {
            LinesOf::Lines(l) => send(
                tx,
                Work {
                    stream: stream.clone(),
                    format: l.clone(),
                    chunk,
                },
            ),
            LinesOf::Headered(h) => dispatch(shared, &stream, h.as_mut(), chunk, tx),
        }
    }
    Ok(())
}
