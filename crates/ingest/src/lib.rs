//! Log ingest: everything between a path on the command line and a stream of normalized
//! [`ConnEvent`](pubsub_hunt_core::ConnEvent)s fed to the analytics.
//!
//! The crate owns: expanding inputs (files, directories, stdin, zip members) and undoing their
//! compression ([`input`]); the format a user forces ([`format`]); cutting streams into
//! line-aligned chunks with a bound on line length ([`chunk`]); skipping lines that cannot be
//! candidates before parsing them ([`prefilter`]); one reader module per log family ([`zeek`],
//! [`sysmon`], [`siem`], [`netlog`]), each giving formats of the registry, and the rule for the TLS
//! server names two of them record ([`server_name`]);
//! and the multi-threaded pipeline that ties them together and counts every problem it meets
//! ([`pipeline`], [`problem`]). The interface readers implement, and the problem kinds, live in
//! the reader crate (`pubsub_hunt_reader`), which the packet crate shares. It never prints:
//! problems go to a [`ProblemSink`] the caller supplies.

pub mod chunk;
pub mod format;
pub mod input;
pub mod netlog;
pub mod pipeline;
pub mod prefilter;
pub mod problem;
pub mod server_name;
pub mod siem;
pub mod sysmon;
pub mod zeek;

pub use format::InputFormat;
pub use input::InputPath;
pub use pipeline::{IngestOptions, IngestReport, Progress, run};
pub use pubsub_hunt_reader::{
    CollectProblems, FormatSpec, IgnoreProblems, Problem, ProblemKind, ProblemSink, Registry,
};

/// The log formats this crate reads, in sniffing priority order: Zeek's first. The binary
/// appends the packet crate's formats.
pub fn builtin_formats() -> Registry {
    let mut r = zeek::formats();
    r.extend(sysmon::formats());
    r.extend(siem::formats());
    r.extend(netlog::formats());
    r
}
