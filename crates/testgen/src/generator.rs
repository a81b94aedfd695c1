//! The conn.log generator: merges background traffic and planted channels into one stream in
//! the order Zeek would write it, and knows the ground truth of what it produced.
//!
//! Zeek writes a conn record when the connection ends (plus a state timeout), while `ts` is its
//! start; so rows are produced by start time, held in a min-heap keyed by write time, and
//! released once no later-starting connection can be written before them. The heap holds only
//! the connections still "open", so memory does not grow with the number of lines.

use crate::background::Background;
use crate::network::Network;
use crate::planted::{self, GroundTruth};
use crate::record::ConnRecord;
use crate::render::{ConnLogWriter, RenderOptions};
use crate::rng::SplitMix64;
use crate::time::{MICROS_PER_SEC, Micros};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// Random streams of the parts of the model (see [`SplitMix64::for_stream`]).
const STREAM_NETWORK: u64 = 1;
const STREAM_PLANTED: u64 = 2;
const STREAM_BACKGROUND: u64 = 3;

/// Shortest span generated: the planted window cases need whole UTC hours on either side.
pub const MIN_SPAN_SECS: u64 = 3 * 3600;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenConfig {
    /// Rows to write. Planted rows are always all written, so a log has
    /// `max(lines, planted rows)` rows.
    pub lines: u64,
    pub seed: u64,
    /// Start of the capture, epoch seconds.
    pub start_secs: i64,
    /// Length of the capture; by default one connection every 20 ms on average (a few
    /// hundred hosts' worth), at least [`MIN_SPAN_SECS`].
    pub span_secs: Option<u64>,
    /// Whether Zeek had `Site::local_nets` (fills `local_orig`/`local_resp`).
    pub local_nets: bool,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            lines: 10_000,
            seed: 1,
            // 2024-03-04T00:00:00Z, a Monday.
            start_secs: 1_709_510_400,
            span_secs: None,
            local_nets: true,
        }
    }
}

impl GenConfig {
    pub fn new(lines: u64, seed: u64) -> Self {
        GenConfig {
            lines,
            seed,
            ..GenConfig::default()
        }
    }

    /// The span actually generated, in seconds.
    pub fn effective_span_secs(&self) -> u64 {
        self.span_secs.unwrap_or(self.lines / 50).max(MIN_SPAN_SECS)
    }
}

/// A row waiting for its write time.
#[derive(Debug)]
struct Pending {
    write_ts: Micros,
    seq: u64,
    record: ConnRecord,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.write_ts, self.seq) == (other.write_ts, other.seq)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.write_ts, self.seq).cmp(&(other.write_ts, other.seq))
    }
}

/// Iterator over the rows of a generated conn.log, in write order.
#[derive(Debug)]
pub struct ConnLogGenerator {
    network: Network,
    background: Background,
    next_background: Option<ConnRecord>,
    planted: std::vec::IntoIter<ConnRecord>,
    next_planted: Option<ConnRecord>,
    pending: BinaryHeap<Reverse<Pending>>,
    seq: u64,
    truth: GroundTruth,
}

impl ConnLogGenerator {
    pub fn new(cfg: &GenConfig) -> ConnLogGenerator {
        let network = Network::build(
            &mut SplitMix64::for_stream(cfg.seed, STREAM_NETWORK),
            cfg.local_nets,
        );
        let span_secs = cfg.effective_span_secs();
        let start = cfg.start_secs.saturating_mul(MICROS_PER_SEC);
        let span = (span_secs as Micros).saturating_mul(MICROS_PER_SEC);
        let planted = planted::plant(
            SplitMix64::for_stream(cfg.seed, STREAM_PLANTED),
            &network,
            start,
            start + span,
        );
        let planted_rows = planted.records.len() as u64;
        let background_rows = cfg.lines.saturating_sub(planted_rows);
        let background = Background::new(
            SplitMix64::for_stream(cfg.seed, STREAM_BACKGROUND),
            start,
            span,
            background_rows,
        );
        let truth = GroundTruth {
            seed: cfg.seed,
            rows: planted_rows + background_rows,
            planted_rows,
            start,
            span_secs,
            local_nets: cfg.local_nets,
            groups: planted.groups,
        };
        let mut planted_iter = planted.records.into_iter();
        let next_planted = planted_iter.next();
        let mut g = ConnLogGenerator {
            network,
            background,
            next_background: None,
            planted: planted_iter,
            next_planted,
            pending: BinaryHeap::new(),
            seq: 0,
            truth,
        };
        g.next_background = g.background.next_record(&g.network);
        g
    }

    /// What this log contains: rows, planted groups, expected alerts.
    pub fn truth(&self) -> &GroundTruth {
        &self.truth
    }

    pub fn into_truth(self) -> GroundTruth {
        self.truth
    }

    /// The next connection by start time, from either source.
    fn next_arrival(&mut self) -> Option<ConnRecord> {
        let take_planted = match (&self.next_planted, &self.next_background) {
            (Some(p), Some(b)) => p.ts <= b.ts,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        if take_planted {
            std::mem::replace(&mut self.next_planted, self.planted.next())
        } else {
            let next = self.background.next_record(&self.network);
            std::mem::replace(&mut self.next_background, next)
        }
    }

    fn next_arrival_ts(&self) -> Option<Micros> {
        match (&self.next_planted, &self.next_background) {
            (Some(p), Some(b)) => Some(p.ts.min(b.ts)),
            (Some(p), None) => Some(p.ts),
            (None, Some(b)) => Some(b.ts),
            (None, None) => None,
        }
    }
}

impl Iterator for ConnLogGenerator {
    type Item = ConnRecord;

    fn next(&mut self) -> Option<ConnRecord> {
        loop {
            // A pending row can be written once every connection still to arrive starts after
            // it was written (write time >= start time for every row).
            if let Some(Reverse(top)) = self.pending.peek()
                && self.next_arrival_ts().is_none_or(|t| top.write_ts <= t)
            {
                return self.pending.pop().map(|Reverse(p)| p.record);
            }
            let record = self.next_arrival()?;
            self.seq += 1;
            self.pending.push(Reverse(Pending {
                write_ts: record.write_ts,
                seq: self.seq,
                record,
            }));
        }
    }
}

/// Generates a conn.log into `out` and returns the writer and the ground truth.
pub fn write_conn_log<W: Write>(
    cfg: &GenConfig,
    opts: &RenderOptions,
    out: W,
) -> io::Result<(W, GroundTruth)> {
    let mut generator = ConnLogGenerator::new(cfg);
    let mut writer = ConnLogWriter::new(out, opts.clone());
    for record in generator.by_ref() {
        writer.write_record(&record)?;
    }
    Ok((writer.finish()?, generator.into_truth()))
}

/// Generates a conn.log in memory (for tests).
pub fn conn_log_bytes(cfg: &GenConfig, opts: &RenderOptions) -> (Vec<u8>, GroundTruth) {
    match write_conn_log(cfg, opts, Vec::new()) {
        Ok(v) => v,
        // Writing into a Vec cannot fail.
        Err(e) => unreachable!("writing to memory failed: {e}"),
    }
}

/// Generates a conn.log into a file, compressed with gzip or zstd when the name ends in `.gz`
/// or `.zst`.
pub fn write_conn_log_file(
    cfg: &GenConfig,
    opts: &RenderOptions,
    path: &Path,
) -> io::Result<GroundTruth> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    let name = path.to_string_lossy();
    if name.ends_with(".gz") {
        let enc = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let (enc, truth) = write_conn_log(cfg, opts, enc)?;
        enc.finish()?.flush()?;
        Ok(truth)
    } else if name.ends_with(".zst") {
        let enc = zstd::Encoder::new(file, 3)?;
        let (enc, truth) = write_conn_log(cfg, opts, enc)?;
        enc.finish()?.flush()?;
        Ok(truth)
    } else {
        let (mut file, truth) = write_conn_log(cfg, opts, file)?;
        file.flush()?;
        Ok(truth)
    }
}
