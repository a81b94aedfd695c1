//! Where a piece of evidence came from: the input and the line, record or packet number that
//! lets a hunter go back to the raw data. A leaf: events, sessions and alerts all carry it.

use std::sync::Arc;

/// Where an event came from, so a hunter can go back to the raw record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordRef {
    /// The input path as given (or `-` for stdin; `archive.zip:member` inside archives).
    pub file: Arc<str>,
    /// 1-based line number, or record/packet number for non-line formats.
    pub line: u64,
}
