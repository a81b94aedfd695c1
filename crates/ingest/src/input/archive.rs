//! Zip archives: every member is its own input (named `archive.zip:member`), read within an
//! expansion budget. A zip can claim far more than it holds: members whose data overlap (the
//! same compressed bytes listed thousands of times) or a member that inflates a thousandfold.
//! Overlapping members are skipped, each member may expand at most [`MAX_RATIO`] times its
//! compressed size, and the whole archive at most [`total_budget`]; what a bound cut is said
//! once per archive, not once per member.

use pubsub_hunt_reader::{Problem, ProblemKind};
use std::collections::BTreeMap;
use std::io::{BufReader, Read, Seek};

/// Most a member may expand, relative to its compressed size (DEFLATE's own limit is about
/// 1032:1, reached only by runs of one byte; logs compress 5–30 times).
pub const MAX_RATIO: u64 = 1000;
/// What any member may expand to regardless of its compressed size (small stored members).
const MEMBER_FLOOR: u64 = 1 << 20;
/// Largest archive held in memory when it comes from a pipe or standard input.
pub const MAX_STREAMED_ARCHIVE: u64 = 1 << 30;

/// Decompressed bytes one archive may yield in all: generous for logs (200 times the archive)
/// with a floor for small archives.
pub fn total_budget(archive_len: u64) -> u64 {
    archive_len.saturating_mul(200).max(4 << 30)
}

const READ_BUFFER: usize = 256 * 1024;

/// What reading a stream (here, a member) ended with (the input module's `StreamResult`).
type StreamResult = Result<(), Problem>;

/// A member's reader that ends (as if at end of data) once `left` bytes were read.
struct Bounded<R> {
    inner: R,
    left: u64,
    read: u64,
    hit: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // Whether there was more: one byte tells.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? > 0 {
                self.hit = true;
            }
            return Ok(0);
        }
        let max = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(buf.get_mut(..max).unwrap_or_default())?;
        self.left -= n as u64;
        self.read += n as u64;
        Ok(n)
    }
}

/// What one archive's bounds and damage cost, reported once.
#[derive(Debug, Default)]
struct Tally {
    members: u64,
    overlapping: u64,
    cut_by_ratio: u64,
    cut_by_total: u64,
    not_read_after_total: u64,
    corrupt: u64,
    first_corrupt: Option<String>,
}

/// Reads every member of the archive in `reader` (`archive_len` bytes) through `each`.
pub fn read<R: Read + Seek>(
    name: &str,
    reader: R,
    archive_len: u64,
    each: &mut dyn FnMut(&str, &mut dyn Read) -> StreamResult,
) -> StreamResult {
    let problem = |kind, detail: String| Problem {
        file: name.to_string(),
        line: None,
        kind,
        detail,
    };
    let mut archive = zip::ZipArchive::new(reader)
        .map_err(|e| problem(ProblemKind::CorruptCompression, e.to_string()))?;
    let mut tally = Tally::default();
    let mut total_left = total_budget(archive_len);
    // Data ranges of the members read: start → end in the archive.
    let mut ranges: BTreeMap<u64, u64> = BTreeMap::new();
    for i in 0..archive.len() {
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                tally.corrupt += 1;
                tally.first_corrupt.get_or_insert(e.to_string());
                continue;
            }
        };
        if member.is_dir() {
            continue;
        }
        tally.members += 1;
        let start = member.data_start();
        let end = start.saturating_add(member.compressed_size());
        if end > start {
            let before = ranges
                .range(..=start)
                .next_back()
                .is_some_and(|(_, e)| *e > start);
            let after = ranges.range(start..).next().is_some_and(|(s, _)| *s < end);
            if before || after {
                tally.overlapping += 1;
                continue;
            }
            ranges.insert(start, end);
        }
        if total_left == 0 {
            tally.not_read_after_total += 1;
            continue;
        }
        let by_ratio = member
            .compressed_size()
            .saturating_mul(MAX_RATIO)
            .max(MEMBER_FLOOR);
        let limit = by_ratio.min(total_left);
        let member_name = format!("{name}:{}", member.name());
        let mut bounded = Bounded {
            inner: &mut member,
            left: limit,
            read: 0,
            hit: false,
        };
        let result = each(
            &member_name,
            &mut BufReader::with_capacity(READ_BUFFER, &mut bounded),
        );
        total_left = total_left.saturating_sub(bounded.read);
        if bounded.hit {
            if limit == by_ratio {
                tally.cut_by_ratio += 1;
            } else {
                tally.cut_by_total += 1;
            }
        }
        // A member's own problems are reported by the callback; only stop the archive for
        // strict-mode aborts, which the callback signals by returning an error.
        result?;
    }
    summary(name, &tally, archive_len)
}

/// One problem for everything the archive's bounds or damage cost.
fn summary(name: &str, t: &Tally, archive_len: u64) -> StreamResult {
    let mut said = Vec::new();
    if t.overlapping > 0 {
        said.push(format!(
            "{} members whose data overlap another member's were skipped (a zip bomb's trick)",
            t.overlapping
        ));
    }
    if t.cut_by_ratio > 0 {
        said.push(format!(
            "{} members were cut at {MAX_RATIO} times their compressed size",
            t.cut_by_ratio
        ));
    }
    if t.cut_by_total > 0 || t.not_read_after_total > 0 {
        said.push(format!(
            "the archive's expansion bound ({} MiB) cut {} members and left {} unread",
            total_budget(archive_len) >> 20,
            t.cut_by_total,
            t.not_read_after_total
        ));
    }
    let problem = |kind, detail: String| Problem {
        file: name.to_string(),
        line: None,
        kind,
        detail,
    };
    if !said.is_empty() {
        return Err(problem(
            ProblemKind::OverBudget,
            format!("of {} members: {}", t.members, said.join("; ")),
        ));
    }
    match &t.first_corrupt {
        Some(first) => Err(problem(
            ProblemKind::CorruptCompression,
            format!(
                "{} members could not be opened (the first: {first})",
                t.corrupt
            ),
        )),
        None => Ok(()),
    }
}
