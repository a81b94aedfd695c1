//! The run summary handed to writers that describe the whole run (the HTML report): what was
//! read and how the groups were decided. Plain data filled by the binary from its ingest report
//! and the engine's summary, so the output crate needs neither.

/// What a run read and decided, beside the alerts themselves.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    /// pubsub-hunt's version.
    pub version: String,
    /// The inputs as given on the command line (`-` for standard input).
    pub inputs: Vec<String>,
    /// Streams read per input format (`zeek-tsv` 2, `pcap` 1).
    pub streams_by_format: Vec<(String, u64)>,
    /// Streams skipped whole (unreadable, unknown format, not a connection log).
    pub streams_skipped: u64,
    /// Data records read.
    pub records: u64,
    /// The earliest and latest record time over everything read (microseconds since the
    /// epoch), whatever became of the records; `None` when no record had a time.
    pub first_record: Option<i64>,
    pub last_record: Option<i64>,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Records skipped because of a problem (input lost).
    pub problems: u64,
    /// Groups (channels) formed.
    pub groups: usize,
    /// Groups with fewer connections than the threshold.
    pub below_threshold: usize,
    /// Groups rated below the minimum suspicion.
    pub below_min_suspicion: usize,
    /// Alerts suppressed by the allowlist.
    pub suppressed: usize,
    /// The connection threshold (`min_connections`).
    pub min_connections: u64,
    /// The minimum suspicion reported (`low`, `medium`, `high`).
    pub min_suspicion: String,
    /// The view's limits in words (`since …`, `host …`, `top 5`); empty for the whole run.
    pub view: Vec<String>,
    /// Alerts (not suppressed) the view's `--host`, `--dst` and `--top` left out.
    pub omitted: usize,
}
