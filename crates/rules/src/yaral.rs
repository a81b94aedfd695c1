//! YARA-L 2.0 export for Google SecOps (Chronicle) UDM: one multi-event rule per reported
//! suspicion level, each matching `NETWORK_CONNECTION` events and counting them per host,
//! process, destination address and port over the window.
//!
//! Compared with the seed rule: scope uses `net.ip_in_range_cidr` over the configured networks
//! (the seed's regex knew no CGNAT, IPv6 or tuned ranges), the Mosquitto test is anchored on the
//! file name (the seed's matched `notmosquitto`), the count is of distinct events rather than
//! of distinct target addresses, and the seed's outcome fields are kept.

use crate::analytic::{
    AllowRule, Analytic, Clause, ClientTest, Level, ProcessGlob, Scope, clause_words,
    duration_short,
};
use crate::escape::{c_str, comment, glob_regex, regex_literal, yaral_regex};
use crate::header::Header;
use crate::sigma::rule_name;
use pubsub_hunt_core::Suspicion;
use std::fmt::Write;

const PATH: &str = "$net.principal.process.file.full_path";
const HOST: &str = "strings.coalesce($net.principal.hostname, $net.principal.ip)";

pub(crate) fn render(a: &Analytic, header: &Header) -> String {
    let mut out = header.comment_block("// ", "");
    out.push_str("//\n");
    let _ = writeln!(
        out,
        "// One rule per reported suspicion level ({} in all); create each as its own rule.",
        a.levels.len()
    );
    for (i, level) in a.levels.iter().enumerate() {
        out.push('\n');
        let _ = writeln!(
            out,
            "// ===== Rule {} of {}: {} suspicion =====",
            i + 1,
            a.levels.len(),
            level.suspicion
        );
        rule(&mut out, a, header, level);
    }
    out
}

fn risk_score(level: Suspicion) -> u8 {
    match level {
        Suspicion::High => 85,
        Suspicion::Medium => 60,
        Suspicion::Low => 35,
    }
}

fn port_test(ports: &[u16]) -> String {
    let tests: Vec<String> = ports
        .iter()
        .map(|p| format!("$net.target.port = {p}"))
        .collect();
    format!("({})", tests.join(" or "))
}

fn internal_test(a: &Analytic) -> String {
    let tests: Vec<String> = a
        .internal_cidrs()
        .into_iter()
        .chain(a.internal_v4_mapped())
        .map(|n| format!("net.ip_in_range_cidr($net.target.ip, {})", c_str(&n)))
        .collect();
    if tests.is_empty() {
        // Not reached: with no internal network the model drops every scope test. Should it
        // be, a test that never holds says "nothing is internal".
        "$net.target.port = 0".to_string()
    } else {
        format!("({})", tests.join("\n      or "))
    }
}

fn mosquitto_test(a: &Analytic) -> String {
    let names: Vec<String> = a
        .mosquitto_basenames
        .iter()
        .map(|b| regex_literal(b))
        .collect();
    format!(
        "re.regex({PATH}, {})",
        yaral_regex(&format!("(?i)(^|[\\\\/])({})$", names.join("|")))
    )
}

fn scope_test(a: &Analytic, scope: Scope) -> Option<String> {
    match scope {
        Scope::External => Some(format!("not {}", internal_test(a))),
        Scope::Internal => Some(internal_test(a)),
        Scope::Any => None,
    }
}

/// One clause of the level; its scope test is left out when the caller states it once for
/// every clause.
fn clause_test(a: &Analytic, c: &Clause, with_scope: bool) -> String {
    let mut parts = vec![port_test(&c.ports)];
    if with_scope {
        parts.extend(scope_test(a, c.scope));
    }
    match c.client {
        ClientTest::Any => {}
        ClientTest::NotMosquitto => parts.push(format!("not {}", mosquitto_test(a))),
        ClientTest::Mosquitto => parts.push(mosquitto_test(a)),
    }
    parts.join("\n      and ")
}

fn glob_test(subject: &str, glob: &str, any: &str) -> String {
    format!(
        "re.regex({subject}, {})",
        yaral_regex(&format!("(?i)^{}$", glob_regex(glob, any)))
    )
}

fn allow_test(rule: &AllowRule) -> String {
    let mut parts = Vec::new();
    if let Some(host) = &rule.host {
        parts.push(glob_test(HOST, host, ".*"));
    }
    match &rule.process {
        None => {}
        // An unknown process matches no process pattern.
        Some(ProcessGlob::FullPath(g)) => {
            parts.push(format!("{PATH} != \"\""));
            parts.push(glob_test(PATH, g, ".*"));
        }
        Some(ProcessGlob::Basename(g)) => {
            parts.push(format!("{PATH} != \"\""));
            parts.push(format!(
                "re.regex({PATH}, {})",
                yaral_regex(&format!("(?i)(^|[\\\\/]){}$", glob_regex(g, "[^\\\\/]*")))
            ));
        }
    }
    if let Some(net) = &rule.destination {
        // The allowlist tests the address as recorded (the core does not unmap ::ffff: here).
        parts.push(format!(
            "net.ip_in_range_cidr($net.target.ip, {})",
            c_str(&net.to_string())
        ));
    }
    if let Some(ports) = &rule.ports {
        parts.push(port_test(ports));
    }
    format!("not ({})", parts.join(" and "))
}

fn protocol_outcome(a: &Analytic) -> String {
    let mut expr = c_str("Unknown");
    for (p, ports) in a.protocols.iter().rev() {
        let tests: Vec<String> = ports
            .iter()
            .map(|port| format!("$net.target.port = {port}"))
            .collect();
        expr = format!("if({}, {}, {expr})", tests.join(" or "), c_str(p.as_str()));
    }
    expr
}

fn rule(out: &mut String, a: &Analytic, header: &Header, level: &Level) {
    let words: Vec<String> = level.clauses.iter().map(clause_words).collect();
    let description = format!(
        "pubsub-hunt pubsub-port analytic, {} suspicion: at least {} connections from one host and \
         process to one destination address and port within {}; {}.",
        level.suspicion,
        a.min_connections,
        duration_short(a.timespan_secs()),
        words.join("; or ")
    );
    let upper = level.suspicion.as_str().to_ascii_uppercase();
    let _ = writeln!(out, "rule {} {{", rule_name(level.suspicion));
    let _ = writeln!(out, "  meta:");
    let _ = writeln!(out, "    author = \"pubsub-hunt\"");
    let _ = writeln!(out, "    description = {}", c_str(&description));
    let _ = writeln!(
        out,
        "    reference = \"https://attack.mitre.org/techniques/T1071/005/\""
    );
    let _ = writeln!(out, "    mitre_attack_tactic = \"Command and Control\"");
    let _ = writeln!(out, "    mitre_attack_technique = \"T1071.005\"");
    let _ = writeln!(out, "    pubsub_hunt_analytic = \"pubsub-port\"");
    let _ = writeln!(
        out,
        "    pubsub_hunt_config = {}",
        c_str(&header.config_source)
    );
    let _ = writeln!(out, "    severity = \"{upper}\"");
    let _ = writeln!(out, "    priority = \"{upper}\"");
    let _ = writeln!(out);
    let _ = writeln!(out, "  events:");
    let _ = writeln!(out, "    $net.metadata.event_type = \"NETWORK_CONNECTION\"");
    let _ = writeln!(
        out,
        "    // Where the source says the direction, outbound only."
    );
    let _ = writeln!(out, "    $net.network.direction != \"INBOUND\"");
    let _ = writeln!(
        out,
        "    // TCP, or a record that does not say (an unset enum reads as UNKNOWN_IP_PROTOCOL)."
    );
    let _ = writeln!(
        out,
        "    ($net.network.ip_protocol = \"TCP\" or $net.network.ip_protocol = \"UNKNOWN_IP_PROTOCOL\")"
    );
    let _ = writeln!(
        out,
        "    // Succeeded: what the source blocked or saw fail does not count."
    );
    let _ = writeln!(out, "    $net.security_result.action != \"BLOCK\"");
    let _ = writeln!(out, "    $net.security_result.action != \"FAIL\"");
    let _ = writeln!(
        out,
        "    // {}. Internal networks include their IPv4-mapped IPv6 forms (::ffff:a.b.c.d).",
        comment(&words.join("; or "))
    );
    // A scope every clause shares is stated once.
    let shared_scope = level
        .clauses
        .first()
        .map(|c| c.scope)
        .filter(|s| level.clauses.iter().all(|c| c.scope == *s));
    if let Some(test) = shared_scope.and_then(|s| scope_test(a, s)) {
        let _ = writeln!(out, "    {test}");
    }
    let clauses: Vec<String> = level
        .clauses
        .iter()
        .map(|c| {
            format!(
                "(\n      {}\n    )",
                clause_test(a, c, shared_scope.is_none())
            )
        })
        .collect();
    if let [one] = clauses.as_slice() {
        let _ = writeln!(out, "    {one}");
    } else {
        let _ = writeln!(out, "    (\n    {}\n    )", clauses.join("\n    or\n    "));
    }
    for rule in a.allow_for(level) {
        let _ = writeln!(
            out,
            "    // allowlist entry {}: {}",
            rule.number,
            comment(&rule.reason)
        );
        let _ = writeln!(out, "    {}", allow_test(rule));
    }
    let _ = writeln!(
        out,
        "    // The group: host (its name, else its address), process, destination address and port."
    );
    let _ = writeln!(out, "    $host = {HOST}");
    let _ = writeln!(out, "    $process = {PATH}");
    let _ = writeln!(out, "    $dst_ip = $net.target.ip");
    let _ = writeln!(out, "    $dst_port = $net.target.port");
    let _ = writeln!(out);
    let _ = writeln!(out, "  match:");
    match a.window_secs {
        Some(w) => {
            let _ = writeln!(
                out,
                "    // analytics.window = {}. Chronicle match windows are hop windows, not pubsub-hunt's",
                duration_short(w)
            );
            let _ = writeln!(
                out,
                "    // epoch-aligned tumbling ones: a burst across a boundary can count here only."
            );
        }
        None => {
            let _ = writeln!(
                out,
                "    // analytics.window = none (pubsub-hunt counts over its whole input): {} here.",
                duration_short(a.timespan_secs())
            );
        }
    }
    let _ = writeln!(
        out,
        "    $host, $process, $dst_ip, $dst_port over {}",
        duration_short(a.timespan_secs())
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "  outcome:");
    let _ = writeln!(
        out,
        "    $risk_score = max({})",
        risk_score(level.suspicion)
    );
    let _ = writeln!(
        out,
        "    // Distinct events: a repeated field (security_result) can unnest one event into several rows."
    );
    let _ = writeln!(
        out,
        "    $connection_count = count_distinct($net.metadata.id)"
    );
    let _ = writeln!(
        out,
        "    $protocols_seen = array_distinct({})",
        protocol_outcome(a)
    );
    let _ = writeln!(out, "    $initiating_process = array_distinct({PATH})");
    let _ = writeln!(out, "    $target_ips = array_distinct($net.target.ip)");
    let _ = writeln!(
        out,
        "    $users = array_distinct($net.principal.user.userid)"
    );
    let _ = writeln!(out, "    $bytes_sent = sum($net.network.sent_bytes)");
    let _ = writeln!(
        out,
        "    $bytes_received = sum($net.network.received_bytes)"
    );
    let _ = writeln!(
        out,
        "    $first_seen = min($net.metadata.event_timestamp.seconds)"
    );
    let _ = writeln!(
        out,
        "    $last_seen = max($net.metadata.event_timestamp.seconds)"
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "  condition:");
    let _ = writeln!(out, "    // analytics.min_connections");
    let _ = writeln!(
        out,
        "    $net and $connection_count >= {}",
        a.min_connections
    );
    let _ = writeln!(out);
    let _ = writeln!(out, "  options:");
    let _ = writeln!(
        out,
        "    // Keep events with no process or host name (firewalls): pubsub-hunt groups them too."
    );
    let _ = writeln!(out, "    allow_zero_values = true");
    let _ = writeln!(out, "}}");
}
