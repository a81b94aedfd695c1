//! The run summary printed on standard error: what was read, what was skipped and why, how the
//! candidates were counted or excluded, and how many alerts came out. It is for people; scripts
//! should read the results and the exit status.

use pubsub_hunt_core::{HuntConfig, HuntSummary};
use pubsub_hunt_ingest::IngestReport;
use std::io::Write;
use std::time::Duration;

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn print(r: &IngestReport, h: &HuntSummary, cfg: &HuntConfig, elapsed: Duration) {
    let mut e = std::io::stderr().lock();
    let streams: u64 = r.streams_by_format.values().sum();
    let by_format: Vec<String> = r
        .streams_by_format
        .iter()
        .map(|(f, n)| format!("{f} {n}"))
        .collect();
    let secs = elapsed.as_secs_f64();
    let mb = r.bytes as f64 / 1e6;
    let _ = writeln!(
        e,
        "pubsub-hunt: read {} ({}), {} skipped; {} ({:.1} MB) in {:.2} s ({:.0} MB/s)",
        plural(streams, "input", "inputs"),
        if by_format.is_empty() {
            "none".to_string()
        } else {
            by_format.join(", ")
        },
        r.streams_skipped,
        plural(r.records, "record", "records"),
        mb,
        secs,
        if secs > 0.0 { mb / secs } else { 0.0 },
    );
    let c = &h.counters;
    let _ = writeln!(
        e,
        "pubsub-hunt: {} parsed as candidates, {} connections: {} counted, {} not on a pub/sub port, \
         {} failed or refused, {} inbound, {} not TCP, {} without a timestamp (needed by the window), \
         {} over the group limit",
        r.parsed,
        c.events,
        c.counted,
        c.not_candidate,
        c.failed,
        c.inbound,
        c.not_tcp,
        c.no_timestamp,
        c.group_table_full,
    );
    if r.destination_names > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: {} from Zeek ssl.log (TLS server names) joined to their destinations",
            plural(r.destination_names, "destination name", "destination names")
        );
    }
    if r.address_names > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: {} from Zeek dns.log naming their addresses",
            plural(r.address_names, "DNS answer", "DNS answers")
        );
    }
    if r.session_facts > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: {} from Zeek MQTT logs read for their connections' content",
            plural(r.session_facts, "record", "records")
        );
    }
    if r.other_log_records > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: {} of other logs or event types left out (not connections)",
            plural(r.other_log_records, "record", "records")
        );
    }
    if r.problem_count() > 0 {
        let kinds: Vec<String> = r.problems.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = writeln!(e, "pubsub-hunt: skipped: {}", kinds.join(", "));
        for (file, kind, n) in &r.unreported {
            let _ = writeln!(e, "pubsub-hunt: {file}: {n} more {kind} problems not shown");
        }
    }
    let suppressed: usize = h.suppressed.values().sum();
    let _ = writeln!(
        e,
        "pubsub-hunt: {} groups: {} below {} connections, {} below {} suspicion, {} suppressed by the allowlist",
        h.groups,
        h.below_threshold,
        cfg.min_connections,
        h.below_min_suspicion,
        cfg.min_suspicion,
        suppressed
    );
    for (reason, n) in &h.suppressed {
        let _ = writeln!(e, "pubsub-hunt:   {n} suppressed: {reason}");
    }
    let by: Vec<String> = h
        .alerts_by_suspicion
        .iter()
        .rev()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let _ = writeln!(
        e,
        "pubsub-hunt: {}{}",
        plural(h.alerts() as u64, "alert", "alerts"),
        if by.is_empty() {
            String::new()
        } else {
            format!(" ({})", by.join(", "))
        }
    );
}
