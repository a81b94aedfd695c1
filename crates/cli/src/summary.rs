//! The run summary printed on standard error: what was read, what was skipped and why, how the
//! candidates were counted or excluded, and how many alerts came out. It is for people; scripts
//! should read the results and the exit status.

use crate::settings::ViewSettings;
use pubsub_hunt_core::config::DirectionPolicy;
use pubsub_hunt_core::time::format_rfc3339;
use pubsub_hunt_core::{HuntConfig, HuntSummary};
use pubsub_hunt_ingest::{IngestReport, InputPath};
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
    if let (Some(first), Some(last)) = (c.first_record, c.last_record) {
        let _ = writeln!(
            e,
            "pubsub-hunt: records from {} to {}",
            format_rfc3339(first),
            format_rfc3339(last)
        );
    }
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
    if c.out_of_range > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: {} outside --since/--until left out before grouping",
            plural(c.out_of_range, "connection", "connections")
        );
    }
    if c.inbound_from_internal > 0 {
        let judged = c.counted + c.inbound;
        match cfg.direction {
            DirectionPolicy::Source if 2 * c.inbound_from_internal > judged => {
                let _ = writeln!(
                    e,
                    "pubsub-hunt: warning: {} of {judged} candidates were recorded as inbound \
                     (Zeek local_orig = F, or the source's direction) although they start inside \
                     the internal networks; the source's direction decides (analytics.direction = \
                     \"source\"), set analytics.direction = \"internal-networks\" to count them",
                    c.inbound_from_internal
                );
            }
            DirectionPolicy::Source => {}
            DirectionPolicy::InternalNetworks => {
                let _ = writeln!(
                    e,
                    "pubsub-hunt: {} the source recorded as inbound counted as outbound: the \
                     initiator is internal (analytics.direction = \"internal-networks\")",
                    plural(c.inbound_from_internal, "connection", "connections")
                );
            }
        }
    }
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
    if h.duplicates > 0 || h.joined > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: {} of connections other inputs also recorded counted once; {} without \
             a process joined to the process that made their connections",
            plural(h.duplicates, "second record", "second records"),
            plural(h.joined as u64, "group", "groups"),
        );
    }
    if h.below_threshold_in_every_window > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: warning: {} enough connections over the data but fewer than {} in \
             every {} window, and no beacon across windows: not reported (a longer --window, or \
             none, reports them)",
            plural(
                h.below_threshold_in_every_window as u64,
                "channel has",
                "channels have"
            ),
            cfg.min_connections,
            cfg.window,
        );
    }
    if h.slower_than_window > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: warning: {} connections usually further apart than the {} window",
            plural(
                h.slower_than_window as u64,
                "channel has its",
                "channels have their"
            ),
            cfg.window,
        );
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

/// Says where a bound on the analytics' state bound: the group limit (connections of groups past
/// `limits.max_groups` left out), the alert limit (alerts past `limits.max_alerts` not
/// reported) and the group state budget (the groups' timelines cut). Printed
/// even with `--quiet`, like the problems that lose input, since the judgement saw less than the
/// data; the run exits 2 ([`bound_reached`]).
pub fn print_bounds(h: &HuntSummary, cfg: &HuntConfig) {
    let mut e = std::io::stderr().lock();
    if h.counters.group_table_full > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: group limit reached (limits.max_groups = {}): {} of groups past it \
             left out",
            cfg.limits.max_groups,
            plural(h.counters.group_table_full, "connection", "connections"),
        );
    }
    if h.alerts_past_limit > 0 {
        let _ = writeln!(
            e,
            "pubsub-hunt: alert limit reached (limits.max_alerts = {}): {} after them in report \
             order not reported",
            cfg.limits.max_alerts,
            plural(h.alerts_past_limit as u64, "alert", "alerts"),
        );
    }
    for cut in &h.budget {
        // Content-log facts (Zeek `mqtt_*.log`) are kept per channel until rating.
        let (what, per, one, many) = if cut.facts {
            ("content-log ", "channel", "channel", "channels")
        } else {
            ("", "group", "group", "groups")
        };
        let _ = writeln!(
            e,
            "pubsub-hunt: group state budget reached (limits.max_group_state_bytes = {}): {what}{} \
             kept to {} per {per} (the {}) in {} ({} in all)",
            cfg.limits.max_group_state_bytes,
            cut.timeline.describe(),
            cut.level,
            cut.timeline.kept_first(),
            plural(cut.groups as u64, one, many),
            cut.budget,
        );
    }
}

/// Whether a bound on the analytics' state left something out ([`print_bounds`]).
pub fn bound_reached(h: &HuntSummary) -> bool {
    h.bound_reached()
}

/// What the view flags did to the alerts (`--top`, `--host`, `--dst`), in the same figures as
/// the table's footer, and a plain "no records" when the inputs were empty.
pub fn print_view(
    view: &ViewSettings,
    written: usize,
    omitted: usize,
    inputs: &[InputPath],
    r: &IngestReport,
) {
    let mut e = std::io::stderr().lock();
    if omitted > 0 {
        let mut flags = Vec::new();
        if view.top.is_some() {
            flags.push("--top");
        }
        if !view.hosts.is_empty() {
            flags.push("--host");
        }
        if !view.dsts.is_empty() {
            flags.push("--dst");
        }
        let _ = writeln!(
            e,
            "pubsub-hunt: {} written, {omitted} left out by {}",
            plural(written as u64, "alert", "alerts"),
            flags.join(", ")
        );
    }
    if r.records == 0 && r.streams_empty > 0 && r.problem_count() == 0 {
        let stdin = inputs.iter().any(|i| matches!(i, InputPath::Stdin));
        let _ = writeln!(
            e,
            "pubsub-hunt: no records: {} empty",
            if stdin && inputs.len() == 1 {
                "standard input was".to_string()
            } else {
                format!(
                    "{} {}",
                    r.streams_empty,
                    if r.streams_empty == 1 {
                        "input was"
                    } else {
                        "inputs were"
                    }
                )
            }
        );
    }
}
