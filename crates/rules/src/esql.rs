//! ES|QL export for Elastic over ECS fields (`destination.ip`, `destination.port`,
//! `process.executable`, `process.name`, `host.name`, `user.name`, `network.transport`,
//! `network.direction`, `event.outcome`, `source.bytes`, `destination.bytes`).
//!
//! Scope is `CIDR_MATCH` over the configured networks. Elasticsearch's `ip` type stores an
//! IPv4-mapped IPv6 address as the IPv4 address, so `::ffff:10.1.2.3` is already judged by its
//! IPv4 address, as pubsub-hunt does. Windows are computed from epoch milliseconds rather than
//! with `DATE_TRUNC`, so that any window length stays aligned to the UTC epoch.

use crate::analytic::{
    AllowRule, Analytic, Clause, ClientTest, ProcessGlob, Scope, duration_short,
};
use crate::escape::{c_str, comment, esql_like, esql_raw};
use crate::header::Header;
use pubsub_hunt_core::Suspicion;
use std::fmt::Write;

fn note(out: &mut String, text: &str) {
    let _ = writeln!(out, "// {}", comment(text));
}

fn number_list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// ES|QL time span literal (`24 hours`, `90 minutes`).
fn span(secs: u64) -> String {
    let (n, unit) = [("day", 86_400), ("hour", 3600), ("minute", 60)]
        .into_iter()
        .find(|(_, len)| secs.is_multiple_of(*len) && secs >= *len)
        .map_or((secs, "second"), |(unit, len)| (secs / len, unit));
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

pub(crate) fn render(a: &Analytic, header: &Header) -> String {
    let mut out = header.comment_block("// ", "");
    out.push_str("//\n");
    note(
        &mut out,
        "Set FROM to the data streams that hold network connections in ECS (Elastic",
    );
    note(
        &mut out,
        "Defend, Sysmon through Winlogbeat or Elastic Agent, Zeek, firewalls).",
    );
    let _ = writeln!(out, "FROM logs-*");
    let _ = writeln!(
        out,
        "| WHERE @timestamp >= NOW() - {}",
        span(a.lookback_secs())
    );
    let _ = writeln!(
        out,
        "| WHERE destination.port IN ({})",
        number_list(&a.all_ports)
    );
    note(&mut out, "TCP, or a record that does not say.");
    let _ = writeln!(
        out,
        "| WHERE network.transport IS NULL OR TO_LOWER(network.transport) == \"tcp\""
    );
    note(&mut out, "Succeeded, or the record does not say.");
    let _ = writeln!(
        out,
        "| WHERE event.outcome IS NULL OR event.outcome != \"failure\""
    );
    note(
        &mut out,
        "Where the source says the direction, outbound only (ingress/inbound came from outside).",
    );
    let _ = writeln!(
        out,
        "| WHERE network.direction IS NULL OR network.direction NOT IN (\"ingress\", \"inbound\")"
    );
    note(
        &mut out,
        "The host is its name, else the initiator address.",
    );
    let _ = writeln!(
        out,
        "| EVAL host_key = COALESCE(host.name, TO_STRING(source.ip))"
    );
    let _ = writeln!(
        out,
        "| EVAL process_file = TO_LOWER(COALESCE(process.name, REPLACE(process.executable, {}, \"\")))",
        esql_raw(r"^.*[\\/]")
    );
    note(
        &mut out,
        "Internal networks (networks.internal and networks.extra_internal).",
    );
    let nets: Vec<String> = a.internal_cidrs().iter().map(|n| c_str(n)).collect();
    if nets.is_empty() {
        let _ = writeln!(out, "| EVAL is_external = destination.ip IS NOT NULL");
    } else {
        let _ = writeln!(
            out,
            "| EVAL is_external = NOT CIDR_MATCH(destination.ip, {})",
            nets.join(", ")
        );
    }
    let mut cases: Vec<String> = a
        .protocols
        .iter()
        .map(|(p, ports)| {
            format!(
                "destination.port IN ({}), {}",
                number_list(ports),
                c_str(p.as_str())
            )
        })
        .collect();
    cases.push("\"\"".to_string());
    let _ = writeln!(out, "| EVAL protocol = CASE({})", cases.join(", "));
    let clients: Vec<String> = a.mosquitto_basenames.iter().map(|b| c_str(b)).collect();
    if clients.is_empty() {
        let _ = writeln!(out, "| EVAL is_mosquitto_client = false");
    } else {
        let _ = writeln!(
            out,
            "| EVAL is_mosquitto_client = COALESCE(process_file IN ({}), false)",
            clients.join(", ")
        );
    }
    note(&mut out, "Suspicion, first match wins; the rest is low.");
    let mut rating: Vec<String> = Vec::new();
    for level in [Suspicion::High, Suspicion::Medium] {
        for c in a.clauses(level) {
            rating.push(format!("{}, {}", clause_expr(&c), c_str(level.as_str())));
        }
    }
    rating.push("\"low\"".to_string());
    let _ = writeln!(out, "| EVAL suspicion = CASE({})", rating.join(", "));
    match a.min_suspicion {
        Suspicion::High => {
            note(&mut out, "analytics.min_suspicion = high");
            let _ = writeln!(out, "| WHERE suspicion == \"high\"");
        }
        Suspicion::Medium => {
            note(&mut out, "analytics.min_suspicion = medium");
            let _ = writeln!(out, "| WHERE suspicion IN (\"high\", \"medium\")");
        }
        Suspicion::Low => note(
            &mut out,
            "analytics.min_suspicion = low: every level is reported.",
        ),
    }
    for rule in &a.allow {
        note(
            &mut out,
            &format!("allowlist entry {}: {}", rule.number, rule.reason),
        );
        let _ = writeln!(out, "| WHERE NOT COALESCE({}, false)", allow_expr(rule));
    }
    let window_by = match a.window_secs {
        Some(w) => {
            note(
                &mut out,
                &format!(
                    "analytics.window = {}: tumbling windows aligned to the UTC epoch.",
                    duration_short(w)
                ),
            );
            let ms = w.saturating_mul(1000);
            let _ = writeln!(
                out,
                "| EVAL window_start = TO_DATETIME(TO_LONG(@timestamp) / {ms} * {ms})"
            );
            "window_start, "
        }
        None => {
            note(
                &mut out,
                "analytics.window = none: the whole search period is one window.",
            );
            ""
        }
    };
    let _ = writeln!(
        out,
        "| STATS connections = COUNT(*), first_seen = MIN(@timestamp), last_seen = MAX(@timestamp), users = VALUES(user.name), bytes_sent = SUM(source.bytes), bytes_received = SUM(destination.bytes)"
    );
    let _ = writeln!(
        out,
        "    BY {window_by}host_key, process.executable, destination.ip, destination.port, protocol, is_external, suspicion"
    );
    let _ = writeln!(
        out,
        "| RENAME host_key AS host, process.executable AS process, destination.ip AS dst_ip, destination.port AS dst_port, is_external AS external"
    );
    let _ = writeln!(out, "| WHERE connections >= {}", a.min_connections);
    let _ = writeln!(
        out,
        "| EVAL analytic = \"pubsub-port\", technique = \"T1071.005\", rank = CASE(suspicion == \"high\", 3, suspicion == \"medium\", 2, 1)"
    );
    let _ = writeln!(out, "| SORT rank DESC, connections DESC");
    let _ = writeln!(out, "| DROP rank");
    let _ = writeln!(out, "| LIMIT 10000");
    out
}

fn clause_expr(c: &Clause) -> String {
    let mut parts = Vec::new();
    match c.scope {
        Scope::External => parts.push("is_external".to_string()),
        Scope::Internal => parts.push("NOT is_external".to_string()),
        Scope::Any => {}
    }
    let names: Vec<String> = c.protocols.iter().map(|p| c_str(p.as_str())).collect();
    parts.push(format!("protocol IN ({})", names.join(", ")));
    match c.client {
        ClientTest::Any => {}
        ClientTest::NotMosquitto => parts.push("NOT is_mosquitto_client".to_string()),
        ClientTest::Mosquitto => parts.push("is_mosquitto_client".to_string()),
    }
    parts.join(" AND ")
}

/// A case-insensitive `LIKE` for a glob (ES|QL's `LIKE` uses `*` too, but is case-sensitive).
fn glob_like(subject: &str, glob: &str) -> String {
    format!(
        "TO_LOWER({subject}) LIKE {}",
        esql_raw(&esql_like(&glob.to_lowercase()))
    )
}

fn allow_expr(rule: &AllowRule) -> String {
    let mut parts = Vec::new();
    if let Some(host) = &rule.host {
        parts.push(glob_like("host_key", host));
    }
    match &rule.process {
        None => {}
        Some(ProcessGlob::FullPath(g)) => parts.push(glob_like("process.executable", g)),
        // process_file holds no separator, so a `*` cannot cross into a directory name.
        Some(ProcessGlob::Basename(g)) => parts.push(glob_like("process_file", g)),
    }
    if let Some(net) = &rule.destination {
        parts.push(format!(
            "CIDR_MATCH(destination.ip, {})",
            c_str(&net.to_string())
        ));
    }
    if let Some(ports) = &rule.ports {
        parts.push(format!("destination.port IN ({})", number_list(ports)));
    }
    format!("({})", parts.join(" AND "))
}
