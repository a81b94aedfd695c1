//! Problems met while reading input: what kinds there are, a located problem, and the sink that
//! receives the problems worth printing. Bad input never stops a run (unless the caller asks for
//! strict mode); the pipeline counts every problem by kind and hands the first few of each kind
//! per file to the caller's [`ProblemSink`] with file and line, so a hunter can look at the raw
//! record.

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
    /// A memory or work bound was met (flows, reassembly, payload inspection, an archive's
    /// expansion): what it dropped is said in the detail.
    OverBudget,
    /// A reader or worker failed inside (a panic, a bug): what it was doing is incomplete.
    Internal,
}

impl ProblemKind {
    pub const ALL: [ProblemKind; 11] = [
        ProblemKind::Unreadable,
        ProblemKind::UnknownFormat,
        ProblemKind::NotConnLog,
        ProblemKind::CorruptCompression,
        ProblemKind::LineTooLong,
        ProblemKind::MalformedRecord,
        ProblemKind::TruncatedRecord,
        ProblemKind::BadHeader,
        ProblemKind::CorruptData,
        ProblemKind::OverBudget,
        ProblemKind::Internal,
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
            ProblemKind::OverBudget => "dropped at a bound",
            ProblemKind::Internal => "internal error",
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
