//! The driver of headered line logs ([`HeaderedFormat`]: Zeek's ASCII writer, W3C extended
//! logs) on the reader thread: cuts every chunk around its header lines, gives those to the
//! format in stream order, and sends the lines between them to the workers with the reader the
//! headers taken so far name, or counts them as other-log records, or reports them as lines
//! with no usable header. Chunks without a header line (the common case) go through whole.

use super::shared::{Shared, Work, send};
use crate::chunk::LineChunk;
use crossbeam_channel::Sender;
use pubsub_hunt_reader::{Body, HeaderedFormat, Problem, ProblemKind};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Sends a chunk of a headered stream, first handling any header lines (or a leading column
/// row) in it.
pub(super) fn dispatch(
    shared: &Shared<'_>,
    stream: &Arc<str>,
    format: &mut dyn HeaderedFormat,
    chunk: LineChunk,
    tx: &Sender<Work>,
) {
    let data = &chunk.data;
    let prefix = format.header_prefix();
    let has_header =
        data.first() == Some(&prefix) || memchr::memmem::find(data, &[b'\n', prefix]).is_some();
    if !has_header && !format.expects_header() {
        emit(shared, stream, format, chunk, tx);
        return;
    }
    // Slow path: walk the lines, cutting the chunk around header lines.
    let mut seg_start = 0usize;
    let mut seg_first_line = chunk.first_line;
    let mut line_no = chunk.first_line;
    let mut pos = 0usize;
    while pos < data.len() {
        let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
        let line = &data[pos..end];
        let is_column_row = format.expects_header() && !line.iter().all(u8::is_ascii_whitespace);
        if line.first() == Some(&prefix) || is_column_row {
            if seg_start < pos {
                let seg = data[seg_start..pos].to_vec();
                emit(
                    shared,
                    stream,
                    format,
                    LineChunk::new(seg, seg_first_line, false),
                    tx,
                );
            }
            if let Err(e) = format.header(line) {
                shared.problem(Problem {
                    file: stream.to_string(),
                    line: Some(line_no),
                    kind: ProblemKind::BadHeader,
                    detail: e,
                });
            }
            seg_start = end + 1;
            seg_first_line = line_no + 1;
        }
        line_no += 1;
        pos = end + 1;
    }
    if seg_start < data.len() {
        let seg = data[seg_start..].to_vec();
        emit(
            shared,
            stream,
            format,
            LineChunk::new(seg, seg_first_line, chunk.unterminated_tail),
            tx,
        );
    }
}

/// Hands lines without header lines to whatever the headers so far say.
fn emit(
    shared: &Shared<'_>,
    stream: &Arc<str>,
    format: &dyn HeaderedFormat,
    chunk: LineChunk,
    tx: &Sender<Work>,
) {
    match format.body() {
        Body::Lines(l) => send(
            tx,
            Work {
                stream: stream.clone(),
                format: l,
                chunk,
            },
        ),
        Body::Other => {
            shared
                .counters
                .records
                .fetch_add(chunk.lines, Ordering::Relaxed);
            shared
                .counters
                .other_log
                .fetch_add(chunk.lines, Ordering::Relaxed);
        }
        Body::Missing(why) => {
            shared
                .counters
                .records
                .fetch_add(chunk.lines, Ordering::Relaxed);
            if chunk.data.iter().all(u8::is_ascii_whitespace) {
                return;
            }
            problems_for_lines(shared, stream, &chunk, why);
        }
    }
}

/// Counts every record of a chunk as skipped, reporting the first.
fn problems_for_lines(shared: &Shared<'_>, stream: &Arc<str>, chunk: &LineChunk, why: &str) {
    for i in 0..chunk.lines {
        shared.problem(Problem {
            file: stream.to_string(),
            line: Some(chunk.first_line + i),
            kind: ProblemKind::BadHeader,
            detail: why.to_string(),
        });
        if shared.aborted() {
            return;
        }
    }
}
