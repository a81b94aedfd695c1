//! What a worker thread does with one chunk of lines: runs the candidate prefilter over it (or
//! takes every line with `--strict`, or when the format's records are not connections the
//! prefilter could recognise), parses the surviving lines with the chunk's
//! [`LineFormat`](pubsub_hunt_reader::LineFormat), numbers them, feeds connections, destination
//! names and session facts to the analytics and reports malformed or truncated records. For a
//! log that records every connection it also reads every line's hosts for the census.

use super::shared::{Shared, Work};
use pubsub_hunt_core::analytics::census;
use pubsub_hunt_core::{Accumulator, RecordRef};
use pubsub_hunt_reader::{Problem, ProblemKind, Record};
use std::sync::atomic::Ordering;

pub(super) fn process_chunk(shared: &Shared<'_>, work: &Work, acc: &mut Accumulator) {
    let chunk = &work.chunk;
    let data = &chunk.data[..];
    let c = &shared.counters;
    c.records.fetch_add(chunk.lines, Ordering::Relaxed);
    let every = shared.opts.strict || shared.opts.every_record || work.format.every_line();
    if !every {
        note_chunk_extent(shared, work, data, acc);
    }
    if work.format.takes_census() && shared.engine.takes_census() {
        take_census(shared, work, data);
    }
    let mut parsed = 0u64;
    let mut events = 0u64;
    let mut other = 0u64;
    let mut names = 0u64;
    let mut addr_names = 0u64;
    let mut facts = 0u64;
    let mut skipped = 0u64;
    // Line numbers are found by counting line ends from the previous selected line.
    let mut cur_pos = 0usize;
    let mut cur_line = chunk.first_line;
    let mut handle = |s: usize, e: usize| {
        if shared.aborted() {
            return;
        }
        cur_line += bytecount::count(&data[cur_pos..s], b'\n') as u64;
        cur_pos = s;
        let line = &data[s..e];
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        parsed += 1;
        let result = work.format.parse_line(line);
        match result {
            Ok(Record::Conn(mut ev)) => {
                if ev.source_format.is_none() {
                    ev.source_format = Some(work.format.name());
                }
                ev.origin = Some(RecordRef {
                    file: work.stream.clone(),
                    line: cur_line,
                });
                shared.engine.observe(&ev, acc);
                events += 1;
            }
            Ok(Record::DestName {
                client,
                ip,
                port,
                name,
                conn,
            }) => {
                shared
                    .engine
                    .observe_dest_name(client, ip, port, &name, acc);
                names += 1;
                if let Some(mut ev) = conn {
                    ev.source_format = Some(work.format.name());
                    ev.origin = Some(RecordRef {
                        file: work.stream.clone(),
                        line: cur_line,
                    });
                    if shared.engine.observe_named_connection(&ev, acc) {
                        events += 1;
                    }
                }
            }
            Ok(Record::AddrNames {
                client,
                addrs,
                names,
            }) => {
                shared
                    .engine
                    .observe_addr_names(client, &addrs, &names, acc);
                addr_names += 1;
            }
            Ok(Record::SessionFacts {
                src_ip,
                dst_ip,
                dst_port,
                ts,
                app,
            }) => {
                shared
                    .engine
                    .observe_session_facts(src_ip, dst_ip, dst_port, ts, app, acc);
                facts += 1;
            }
            Ok(Record::Other) => other += 1,
            Ok(Record::Skip) => {
                parsed -= 1;
                skipped += 1;
            }
            Err(detail) => {
                let tail = chunk.unterminated_tail && e == data.len();
                shared.problem(Problem {
                    file: work.stream.to_string(),
                    line: Some(cur_line),
                    kind: if tail {
                        ProblemKind::TruncatedRecord
                    } else {
                        ProblemKind::MalformedRecord
                    },
                    detail: if tail {
                        format!(
                            "{detail} (the line has no end: was the file cut while being written?)"
                        )
                    } else {
                        detail
                    },
                });
            }
        }
    };
    let mut tail_seen = false;
    if every || shared.opts.every_record || work.format.every_line() {
        let mut pos = 0;
        while pos < data.len() {
            let end = memchr::memchr(b'\n', &data[pos..]).map_or(data.len(), |i| pos + i);
            handle(pos, end);
            pos = end + 1;
        }
        tail_seen = true;
    } else {
        let programs = work.format.records_programs();
        shared.filter.for_each_candidate_of(data, programs, |s, e| {
            if e == data.len() {
                tail_seen = true;
            }
            handle(s, e);
        });
    }
    // A last line without an end is always checked: it is how a cut-off file shows itself.
    if chunk.unterminated_tail && !tail_seen {
        let s = memchr::memrchr(b'\n', data).map_or(0, |i| i + 1);
        handle(s, data.len());
    }
    c.parsed.fetch_add(parsed, Ordering::Relaxed);
    c.events.fetch_add(events, Ordering::Relaxed);
    c.other_log.fetch_add(other, Ordering::Relaxed);
    c.dest_names.fetch_add(names, Ordering::Relaxed);
    c.addr_names.fetch_add(addr_names, Ordering::Relaxed);
    c.session_facts.fetch_add(facts, Ordering::Relaxed);
    // Header rows and comments are not records.
    c.records
        .fetch_sub(skipped.min(chunk.lines), Ordering::Relaxed);
}

/// Reads every line of a chunk of a log that records every connection for the host census
/// (`pubsub_hunt_core::analytics::census`), whatever the prefilter passes and whether or not
/// the run parses every line, so the census is the same in every mode. A line that does not
/// read is left to the parser, which reports it where it is a candidate.
fn take_census(shared: &Shared<'_>, work: &Work, data: &[u8]) {
    let mut chunk = census::ChunkCensus::default();
    let mut start = 0usize;
    for end in memchr::memchr_iter(b'\n', data).chain(std::iter::once(data.len())) {
        if let Some(entry) = data
            .get(start..end)
            .and_then(|line| work.format.census_entry(line))
        {
            chunk.count(&entry);
        }
        start = end + 1;
    }
    // One census for the run, so its bound holds in total; the lock is taken once per chunk.
    let mut census = shared.run_census();
    shared
        .engine
        .observe_census(&work.stream, chunk, &mut census);
}

/// Notes the times of the chunk's first and last records in the input's extent (the run's, and
/// the input's own, which the behaviour evidence judges a channel's use against): the prefilter
/// skips the other lines unparsed, and logs are written in about time order, so the first and
/// last record of every chunk bound the log's span at the cost of two parses a chunk. Nothing
/// else is done with them (the prefilter decides what is observed; a line that does not parse
/// is reported where it is a candidate, not here).
fn note_chunk_extent(shared: &Shared<'_>, work: &Work, data: &[u8], acc: &mut Accumulator) {
    let lines = || {
        data.split(|b| *b == b'\n')
            .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
    };
    let mut note = |line: &[u8]| match work.format.parse_line(line) {
        Ok(Record::Conn(ev)) if ev.ts.is_some() => {
            shared.engine.note_extent(&ev, &work.stream, acc);
            true
        }
        Ok(Record::SessionFacts { ts: Some(t), .. }) => {
            acc.note_record_time(t);
            true
        }
        _ => false,
    };
    // Headers and comments are not records: the first line that has a time.
    lines().take(8).any(&mut note);
    lines().rev().take(8).any(&mut note);
}
