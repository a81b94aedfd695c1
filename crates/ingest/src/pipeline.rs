//! The ingest pipeline: reads every input on reader threads, cuts it into line-aligned chunks,
//! and parses the chunks on worker threads, each worker feeding its own accumulator; the
//! accumulators are merged at the end. Readers own everything sequential (decompression, format
//! choice, header blocks, line numbering); workers own everything per line (prefilter,
//! parsing, the analytics' `observe`). The channel between them is bounded, so memory does not
//! grow with input size.
//!
//! This module owns the options and the report, the threads and how work is distributed
//! between them. What a reader thread does with one stream is in [`stream`] (the reader choice
//! in [`choose`], the header state of headered line logs in [`headered`]), what a worker does
//! with one chunk in [`lines`].

mod choose;
mod headered;
mod lines;
mod shared;
mod stream;

use shared::{Counters, Shared, Work};
pub use shared::{IngestOptions, Progress};

use crate::input::{InputFile, InputPath, expand, for_each_stream};
use crate::prefilter::CandidateFilter;
use crate::problem::ProblemLog;
use crossbeam_channel::{Receiver, Sender, bounded};
use pubsub_hunt_core::analytics::census::Census;
use pubsub_hunt_core::{Accumulator, Engine, GroupCutoff};
use pubsub_hunt_reader::{Problem, ProblemKind, ProblemSink};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// What was read, for the summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Streams read, by format (`zeek-tsv`, `sysmon-json`, …).
    pub streams_by_format: BTreeMap<&'static str, u64>,
    /// Streams skipped whole (unreadable, unknown format, not a connection log).
    pub streams_skipped: u64,
    /// Streams with nothing but blank space (an empty file, a `grep` that matched nothing):
    /// no records, and no problem.
    pub streams_empty: u64,
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
    /// DNS answers that named addresses (Zeek `dns.log`).
    pub address_names: u64,
    /// Records of content logs joined to their connections (Zeek `mqtt_*.log`).
    pub session_facts: u64,
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
    let (files, expand_problems) = expand(inputs);
    let threads = opts.threads.max(1);
    let readers = files.len().clamp(1, threads);
    let shared = Shared {
        engine,
        filter,
        problems: ProblemLog::new(
            sink,
            engine.config().limits.max_problem_reports,
            files.iter().map(|f| f.name.clone()).collect(),
        ),
        abort: AtomicBool::new(false),
        opts: IngestOptions {
            threads,
            ..opts.clone()
        },
        counters: Counters::new(opts.progress.as_ref()),
        formats: Mutex::new(BTreeMap::new()),
        census: Mutex::new(Census::default()),
        stream_threads: threads / readers,
    };
    for p in expand_problems {
        shared
            .counters
            .skipped_streams
            .fetch_add(1, Ordering::Relaxed);
        shared.problem(p);
    }
    let next_file = AtomicUsize::new(0);
    let (tx, rx) = bounded::<Work>(threads * 2);
    let (recycle_tx, recycle_rx) = bounded::<Vec<u8>>(threads * 4);

    // Every accumulator of the run shares one group cutoff, so that together they hold at most
    // `limits.max_groups` groups whatever the thread count.
    let cutoff = GroupCutoff::new();
    let mut total = Accumulator::sharing(&cutoff);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let rx = rx.clone();
                let recycle_tx = recycle_tx.clone();
                let (shared, cutoff) = (&shared, &cutoff);
                s.spawn(move || worker(shared, rx, recycle_tx, cutoff))
            })
            .collect();
        drop(rx);
        drop(recycle_tx);
        let reader_handles: Vec<_> = (0..readers)
            .map(|_| {
                let tx = tx.clone();
                let recycle_rx = recycle_rx.clone();
                let (shared, files, next_file, cutoff) = (&shared, &files, &next_file, &cutoff);
                s.spawn(move || {
                    // Stream formats (EVTX, captures, …) are parsed on the reader thread.
                    let mut acc = Accumulator::sharing(cutoff);
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
        // Panics are caught per file and per chunk (below); a thread that still dies loses
        // its accumulator, which is said, never silently dropped.
        for h in reader_handles {
            match h.join() {
                Ok(acc) => total.merge(acc, engine.config()),
                Err(e) => shared.problem(thread_died("reader", &e)),
            }
        }
        for h in workers {
            match h.join() {
                Ok(acc) => total.merge(acc, engine.config()),
                Err(e) => shared.problem(thread_died("worker", &e)),
            }
        }
    });

    let census = std::mem::take(&mut *shared.run_census());
    total.absorb_census(census, engine.config());

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
        streams_empty: c.empty_streams.load(Ordering::Relaxed),
        bytes: c.bytes.load(Ordering::Relaxed),
        records: c.records.load(Ordering::Relaxed),
        parsed: c.parsed.load(Ordering::Relaxed),
        events: c.events.load(Ordering::Relaxed),
        other_log_records: c.other_log.load(Ordering::Relaxed),
        destination_names: c.dest_names.load(Ordering::Relaxed),
        address_names: c.addr_names.load(Ordering::Relaxed),
        session_facts: c.session_facts.load(Ordering::Relaxed),
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
    // A panic while reading one file (a bug a hostile input found) is that file's problem:
    // the run goes on with the other files and exits with the input-problem status.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for_each_stream(file, &mut |name, reader| {
            stream::read_stream(shared, name, reader, tx, recycle, acc)
        })
    }))
    .unwrap_or_else(|e| {
        Err(Problem {
            file: file.name.clone(),
            line: None,
            kind: ProblemKind::Internal,
            detail: format!(
                "the reader failed ({}); what was read of this file before is kept",
                panic_text(&*e)
            ),
        })
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

fn worker(
    shared: &Shared<'_>,
    rx: Receiver<Work>,
    recycle: Sender<Vec<u8>>,
    cutoff: &Arc<GroupCutoff>,
) -> Accumulator {
    let mut acc = Accumulator::sharing(cutoff);
    for work in rx.iter() {
        if shared.aborted() {
            continue;
        }
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lines::process_chunk(shared, &work, &mut acc);
        }));
        if let Err(e) = done {
            shared.problem(Problem {
                file: work.stream.to_string(),
                line: Some(work.chunk.first_line),
                kind: ProblemKind::Internal,
                detail: format!(
                    "a worker failed on the chunk starting here ({}); its records are lost",
                    panic_text(&*e)
                ),
            });
        }
        let _ = recycle.try_send(work.chunk.data);
    }
    acc
}

/// The message of a panic payload (a `&str` or `String`, as `panic!` makes them).
fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// The problem of a thread that died outside the per-file and per-chunk guards.
fn thread_died(what: &str, payload: &Box<dyn std::any::Any + Send>) -> Problem {
    Problem {
        file: format!("({what} thread)"),
        line: None,
        kind: ProblemKind::Internal,
        detail: format!(
            "the {what} thread failed ({}); its results are lost",
            panic_text(&**payload)
        ),
    }
}
