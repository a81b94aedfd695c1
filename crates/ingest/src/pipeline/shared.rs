//! What the pipeline's threads share: the options of a run, the counters and problem log every
//! thread adds to, the unit of work handed from reader threads to workers, and the small helpers
//! both sides use. It imports none of the pipeline's other modules.

use crate::chunk::LineChunk;
use crate::format::InputFormat;
use crate::prefilter::CandidateFilter;
use crate::problem::ProblemLog;
use crossbeam_channel::Sender;
use pubsub_hunt_core::Engine;
use pubsub_hunt_core::analytics::census::Census;
use pubsub_hunt_reader::{LineFormat, Problem, Registry};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// How to read.
#[derive(Clone)]
pub struct IngestOptions {
    pub format: InputFormat,
    /// The formats, in sniffing priority order.
    pub registry: Registry,
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Stop at the first problem, and parse every line instead of prefiltering.
    pub strict: bool,
    /// Approximate chunk size in bytes.
    pub chunk_size: usize,
    /// Parse every record, not only the prefilter's candidates, without `strict`'s stop at the
    /// first problem (`explain` reports what became of records that were no candidate).
    pub every_record: bool,
    /// Live counts for a progress display, updated as the run reads.
    pub progress: Option<Progress>,
}

/// Bytes (decompressed) and records read so far, shared with whoever shows progress; the
/// pipeline adds to them as it reads, the final figures are the report's.
#[derive(Debug, Default, Clone)]
pub struct Progress {
    pub bytes: Arc<AtomicU64>,
    pub records: Arc<AtomicU64>,
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
            every_record: false,
            progress: None,
        }
    }
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) bytes: Arc<AtomicU64>,
    pub(super) records: Arc<AtomicU64>,
    pub(super) parsed: AtomicU64,
    pub(super) events: AtomicU64,
    pub(super) other_log: AtomicU64,
    pub(super) dest_names: AtomicU64,
    pub(super) addr_names: AtomicU64,
    pub(super) session_facts: AtomicU64,
    pub(super) skipped_streams: AtomicU64,
    pub(super) empty_streams: AtomicU64,
}

impl Counters {
    /// Counters whose bytes and records are `progress`'s, when there is one.
    pub(super) fn new(progress: Option<&Progress>) -> Counters {
        let mut c = Counters::default();
        if let Some(p) = progress {
            c.bytes = p.bytes.clone();
            c.records = p.records.clone();
        }
        c
    }
}

pub(super) struct Shared<'a> {
    pub(super) engine: &'a Engine,
    pub(super) filter: CandidateFilter,
    pub(super) problems: ProblemLog<'a>,
    pub(super) abort: AtomicBool,
    pub(super) opts: IngestOptions,
    pub(super) counters: Counters,
    pub(super) formats: Mutex<BTreeMap<&'static str, u64>>,
    /// The run's host census (`pubsub_hunt_core::analytics::census`): one for all threads, so
    /// its bound holds in total; handed to the merged accumulator at the end of the run.
    pub(super) census: Mutex<Census>,
    /// Threads a stream reader may use for its one stream: the run's threads over the files
    /// read at once (a capture's flow shards run on two when it is read alone).
    pub(super) stream_threads: usize,
}

impl Shared<'_> {
    pub(super) fn problem(&self, p: Problem) {
        let loss = p.kind.is_input_loss();
        self.problems.record(p);
        if self.opts.strict && loss {
            self.abort.store(true, Ordering::SeqCst);
        }
    }

    pub(super) fn aborted(&self) -> bool {
        self.abort.load(Ordering::Relaxed)
    }

    /// The run's census, locked. A thread that panicked while holding it left whole entries
    /// (each is added under the lock in one step), so a poisoned lock is used as it is.
    pub(super) fn run_census(&self) -> std::sync::MutexGuard<'_, Census> {
        self.census
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A chunk of lines for the workers, with the reader of its lines.
pub(super) struct Work {
    pub(super) stream: Arc<str>,
    pub(super) format: Arc<dyn LineFormat>,
    pub(super) chunk: LineChunk,
}

pub(super) fn send(tx: &Sender<Work>, w: Work) {
    // Workers only stop receiving when every sender is gone, so this cannot fail while the
    // reader runs; if it ever does, the chunk is simply dropped.
    let _ = tx.send(w);
}

pub(super) fn count_format(shared: &Shared<'_>, name: &'static str) {
    if let Ok(mut f) = shared.formats.lock() {
        *f.entry(name).or_default() += 1;
    }
}
