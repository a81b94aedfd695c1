//! The reader interface every input format implements, shared by the log readers (the ingest
//! crate) and the capture readers (the packet crate) without either depending on the other.
//!
//! The crate owns what a format is ([`FormatSpec`]: name, sniff, open), the three reader shapes
//! ([`LineFormat`], [`HeaderedFormat`], [`StreamFormat`]), what a record turns out to be ([`Record`]), where stream
//! readers hand records and problems ([`RecordSink`]), how a format is picked from a stream's
//! first bytes ([`choose`]), and the kinds of input problem and how they are located and passed
//! on ([`problem`]). It does no I/O of its own and pulls in no parser.

pub mod problem;
pub mod spec;

pub use problem::{CollectProblems, IgnoreProblems, Problem, ProblemKind, ProblemSink};
pub use spec::{
    Body, CERTAIN, Confidence, DEFAULT_MAX_LINE_BYTES, DETECT_BYTES, FormatSpec, HeaderedFormat,
    LIKELY, LineFormat, POSSIBLE, Reader, Record, RecordSink, Registry, StreamFormat, choose,
    head_lines, skip_blank,
};
