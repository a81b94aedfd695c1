//! Problems met while reading input: what kinds there are, how they are counted, and how many
//! are passed on for printing. Bad input never stops a run (unless the caller asks for strict
//! mode); every problem is counted by kind, and the first few of each kind per file are handed to
//! the caller's [`ProblemSink`] with file and line so a hunter can look at the raw record.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

/// The kinds of problem, each counted separately in the summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The path could not be opened or read.
    Unreadable,
    /// The content is not a format pubsub-hunt reads.
    UnknownFormat,
    /// A known log family, but not the log type that carries connections (Zeek `ssl.log`, …).
    NotConnLog,
    /// Compressed data ended early or is corrupt; what came before was used.
    CorruptCompression,
    /// A line longer than `limits.max_line_bytes`.
    LineTooLong,
    /// A record that does not parse (wrong field count, bad address or port, bad JSON).
    MalformedRecord,
    /// The last line of a file has no line end and does not parse: the file was cut while
    /// being written.
    TruncatedRecord,
    /// A header (Zeek `#fields`, …) that cannot be used.
    BadHeader,
    /// A damaged block inside a binary or structured file (an EVTX chunk, a capture record, an
    /// XML event); that block was skipped and reading went on after it.
    CorruptData,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 9] = [
        ProblemKind::Unreadable,
        ProblemKind::UnknownFormat,
        ProblemKind::NotConnLog,
        ProblemKind::CorruptCompression,
        ProblemKind::LineTooLong,
        ProblemKind::MalformedRecord,
        ProblemKind::TruncatedRecord,
        ProblemKind::BadHeader,
        ProblemKind::CorruptData,
    ];

    /// Short label for summaries.
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::Unreadable => "unreadable",
            ProblemKind::UnknownFormat => "unknown format",
            ProblemKind::NotConnLog => "not a connection log",
            ProblemKind::CorruptCompression => "corrupt or truncated compressed data",
            ProblemKind::LineTooLong => "line too long",
            ProblemKind::MalformedRecord => "malformed record",
            ProblemKind::TruncatedRecord => "truncated last record",
            ProblemKind::BadHeader => "unusable header",
            ProblemKind::CorruptData => "corrupt data skipped",
        }
    }

    /// Whether input that may hold connections was lost. A log of another type (Zeek
    /// `dns.log` in a log directory) is reported but is not a loss.
    pub fn is_input_loss(self) -> bool {
        self != ProblemKind::NotConnLog
    }

    /// Whether the problem concerns a whole file rather than one record.
    pub fn is_file_level(self) -> bool {
        matches!(
            self,
            ProblemKind::Unreadable | ProblemKind::UnknownFormat | ProblemKind::NotConnLog
        )
    }
}

impl fmt::Display for ProblemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based line (or record) number, when the problem is about one record.
    pub line: Option<u64>,
    pub kind: ProblemKind,
    pub detail: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}: {}", self.file, l, self.kind, self.detail),
            None => write!(f, "{}: {}: {}", self.file, self.kind, self.detail),
        }
    }
}

/// Receives the problems worth printing. Called from several threads.
pub trait ProblemSink: Sync {
    fn report(&self, problem: &Problem);
}

/// A sink that drops everything (for tests and benchmarks).
pub struct IgnoreProblems;

impl ProblemSink for IgnoreProblems {
    fn report(&self, _: &Problem) {}
}

/// Collects problems into memory (for tests).
#[derive(Default)]
pub struct CollectProblems(pub Mutex<Vec<Problem>>);

impl ProblemSink for CollectProblems {
    fn report(&self, p: &Problem) {
        if let Ok(mut v) = self.0.lock() {
            v.push(p.clone());
        }
    }
}

/// Problems of one (file, kind) beyond the report cap: file, kind, how many were not printed.
pub(crate) type Unreported = (String, ProblemKind, u64);

/// Counts problems and forwards the first `max_reports` of each kind per file.
pub(crate) struct ProblemLog<'a> {
    sink: &'a dyn ProblemSink,
    max_reports: usize,
    inner: Mutex<ProblemCounts>,
}

#[derive(Default)]
struct ProblemCounts {
    by_kind: BTreeMap<ProblemKind, u64>,
    per_file: BTreeMap<(String, ProblemKind), u64>,
    first: Option<Problem>,
}

impl<'a> ProblemLog<'a> {
    pub(crate) fn new(sink: &'a dyn ProblemSink, max_reports: usize) -> Self {
        ProblemLog {
            sink,
            max_reports,
            inner: Mutex::new(ProblemCounts::default()),
        }
    }

    /// Records a problem; returns it back for strict-mode handling.
    pub(crate) fn record(&self, p: Problem) {
        let forward = {
            let Ok(mut c) = self.inner.lock() else { return };
            *c.by_kind.entry(p.kind).or_default() += 1;
            let n = c.per_file.entry((p.file.clone(), p.kind)).or_default();
            *n += 1;
            let forward = *n <= self.max_reports as u64;
            if c.first.is_none() && p.kind.is_input_loss() {
                c.first = Some(p.clone());
            }
            forward
        };
        if forward {
            self.sink.report(&p);
        }
    }

    pub(crate) fn first(&self) -> Option<Problem> {
        self.inner.lock().ok().and_then(|c| c.first.clone())
    }

    /// Counts by kind, and per (file, kind) counts that exceeded the report cap.
    pub(crate) fn finish(self) -> (BTreeMap<ProblemKind, u64>, Vec<Unreported>) {
        let c = self.inner.into_inner().unwrap_or_default();
        let max = self.max_reports as u64;
        let unreported = c
            .per_file
            .into_iter()
            .filter(|(_, n)| *n > max)
            .map(|((f, k), n)| (f, k, n - max))
            .collect();
        (c.by_kind, unreported)
    }
}
