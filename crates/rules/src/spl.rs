//! SPL export: one Splunk search over the seed's sourcetypes (`stream:tcp`, `pan:traffic`,
//! `cisco:asa`) with their CIM Network_Traffic field names, `action=allowed`, and `cidrmatch`
//! for scope (the seed's `dest_ip="172.16.*"` missed 172.17–172.31, CGNAT and IPv6).
//!
//! Two Splunk behaviours shape the query: `stats ... by` drops events whose by-fields are null
//! (firewalls record no process, which silently emptied the seed's results), so the process is
//! filled in first; and Splunk Stream's `bytes_in` is client-to-server, the reverse of the
//! other sourcetypes, so bytes are swapped for it.

use crate::analytic::{
    AllowRule, Analytic, Clause, ClientTest, ProcessGlob, Scope, duration_short,
};
use crate::escape::{c_str, comment, glob_regex};
use crate::header::Header;
use pubsub_hunt_core::Suspicion;
use std::fmt::Write;

/// The value given to events with no process, so that `stats` keeps them.
const NO_PROCESS: &str = "(unknown)";

fn note(out: &mut String, text: &str) {
    let _ = writeln!(out, "``` {} ```", comment(text));
}

fn number_list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn render(a: &Analytic, header: &Header) -> String {
    let mut out = header.comment_block("``` ", " ```");
    note(
        &mut out,
        "Raw events of the seed's sourcetypes, read through their CIM Network_Traffic fields.",
    );
    let _ = writeln!(
        out,
        "(index=network OR index=firewall) sourcetype IN (\"stream:tcp\", \"pan:traffic\", \"cisco:asa\") action=allowed dest_port IN ({}) earliest=-{}",
        number_list(&a.all_ports),
        duration_short(a.lookback_secs())
    );
    note(&mut out, "TCP, or a record that does not say.");
    let _ = writeln!(
        out,
        "| where isnull(transport) OR lower(transport)=\"tcp\" OR transport=\"6\""
    );
    note(
        &mut out,
        "Where the source says the direction, outbound only.",
    );
    let _ = writeln!(
        out,
        "| where isnull(direction) OR lower(direction)!=\"inbound\""
    );
    note(
        &mut out,
        "The host is the initiator address: these sources name no hosts (as for Zeek in pubsub-hunt).",
    );
    let _ = writeln!(out, "| eval host_key=coalesce(src_ip, src)");
    let _ = writeln!(
        out,
        "| eval process_image=coalesce(process_path, process_name, process)"
    );
    let _ = writeln!(
        out,
        "| eval process_file=lower(replace(process_image, {}, \"\"))",
        c_str(r"^.*[\\/]")
    );
    note(
        &mut out,
        "An IPv4-mapped IPv6 address (::ffff:10.1.2.3) is judged by its IPv4 address.",
    );
    let _ = writeln!(
        out,
        "| eval scope_ip=replace(dest_ip, {}, {})",
        c_str(r"^(?i:::ffff:)(\d+\.\d+\.\d+\.\d+)$"),
        c_str(r"\1")
    );
    note(
        &mut out,
        "Internal networks (networks.internal and networks.extra_internal).",
    );
    let tests: Vec<String> = a
        .internal_cidrs()
        .iter()
        .map(|n| format!("cidrmatch({}, scope_ip)", c_str(n)))
        .collect();
    let internal = if tests.is_empty() {
        "false()".to_string()
    } else {
        tests.join(" OR ")
    };
    let _ = writeln!(
        out,
        "| eval is_external=if({internal}, \"false\", \"true\")"
    );
    let mut cases: Vec<String> = a
        .protocols
        .iter()
        .map(|(p, ports)| {
            format!(
                "in(dest_port, {}), {}",
                number_list(ports),
                c_str(p.as_str())
            )
        })
        .collect();
    cases.push("true(), \"\"".to_string());
    let _ = writeln!(out, "| eval pubsub_protocol=case({})", cases.join(", "));
    let clients: Vec<String> = a.mosquitto_basenames.iter().map(|b| c_str(b)).collect();
    let client_test = if clients.is_empty() {
        "false()".to_string()
    } else {
        format!(
            "isnotnull(process_image) AND in(process_file, {})",
            clients.join(", ")
        )
    };
    let _ = writeln!(
        out,
        "| eval is_mosquitto_client=if({client_test}, \"true\", \"false\")"
    );
    note(&mut out, "Suspicion, first match wins; the rest is low.");
    let mut rating: Vec<String> = Vec::new();
    for level in [Suspicion::High, Suspicion::Medium] {
        for c in a.clauses(level) {
            rating.push(format!("{}, {}", clause_expr(&c), c_str(level.as_str())));
        }
    }
    rating.push("true(), \"low\"".to_string());
    let _ = writeln!(out, "| eval suspicion=case({})", rating.join(", "));
    match a.min_suspicion {
        Suspicion::High => {
            note(&mut out, "analytics.min_suspicion = high");
            let _ = writeln!(out, "| where suspicion=\"high\"");
        }
        Suspicion::Medium => {
            note(&mut out, "analytics.min_suspicion = medium");
            let _ = writeln!(out, "| where in(suspicion, \"high\", \"medium\")");
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
        let _ = writeln!(out, "| where NOT ({})", allow_expr(rule));
    }
    note(
        &mut out,
        "Splunk Stream's bytes_in is client to server, the reverse of the other sourcetypes.",
    );
    let _ = writeln!(
        out,
        "| eval bytes_sent=if(sourcetype=\"stream:tcp\", bytes_in, bytes_out), bytes_received=if(sourcetype=\"stream:tcp\", bytes_out, bytes_in)"
    );
    let window_by = match a.window_secs {
        Some(w) => {
            note(
                &mut out,
                &format!(
                    "analytics.window = {}: tumbling windows aligned to the UTC epoch.",
                    duration_short(w)
                ),
            );
            let _ = writeln!(out, "| eval window_start=floor(_time / {w}) * {w}");
            "window_start "
        }
        None => {
            note(
                &mut out,
                "analytics.window = none: the whole search period is one window.",
            );
            ""
        }
    };
    note(
        &mut out,
        "stats drops events whose by-fields are null: name the unknown process.",
    );
    let _ = writeln!(out, "| fillnull value={} process_image", c_str(NO_PROCESS));
    let _ = writeln!(
        out,
        "| stats count AS connections, min(_time) AS first_seen, max(_time) AS last_seen, values(src_user) AS users, sum(bytes_sent) AS bytes_sent, sum(bytes_received) AS bytes_received, min(src_ip) AS src_ip BY {window_by}host_key process_image dest_ip dest_port pubsub_protocol is_external suspicion"
    );
    let _ = writeln!(out, "| where connections >= {}", a.min_connections);
    let _ = writeln!(
        out,
        "| eval analytic=\"pubsub-port\", technique=\"T1071.005\", rank=case(suspicion=\"high\", 3, suspicion=\"medium\", 2, true(), 1)"
    );
    let _ = writeln!(out, "| sort 0 - rank, - connections");
    let _ = writeln!(
        out,
        "| rename host_key AS host, process_image AS process, dest_ip AS dst_ip, dest_port AS dst_port, pubsub_protocol AS protocol, is_external AS external"
    );
    let _ = writeln!(
        out,
        "| convert ctime(first_seen) ctime(last_seen){}",
        if a.window_secs.is_some() {
            " ctime(window_start)"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "| table analytic technique suspicion first_seen last_seen {window_by}host users process src_ip dst_ip dst_port protocol external connections bytes_sent bytes_received"
    );
    out
}

fn clause_expr(c: &Clause) -> String {
    let mut parts = Vec::new();
    match c.scope {
        Scope::External => parts.push("is_external=\"true\"".to_string()),
        Scope::Internal => parts.push("is_external=\"false\"".to_string()),
        Scope::Any => {}
    }
    let names: Vec<String> = c.protocols.iter().map(|p| c_str(p.as_str())).collect();
    parts.push(format!("in(pubsub_protocol, {})", names.join(", ")));
    match c.client {
        ClientTest::Any => {}
        ClientTest::NotMosquitto => parts.push("is_mosquitto_client=\"false\"".to_string()),
        ClientTest::Mosquitto => parts.push("is_mosquitto_client=\"true\"".to_string()),
    }
    parts.join(" AND ")
}

/// `match()` with a case-insensitive whole-value regular expression for a glob.
fn glob_match(field: &str, glob: &str, any: &str) -> String {
    format!(
        "match({field}, {})",
        c_str(&format!("(?i)^{}$", glob_regex(glob, any)))
    )
}

fn allow_expr(rule: &AllowRule) -> String {
    let mut parts = Vec::new();
    if let Some(host) = &rule.host {
        parts.push(glob_match("host_key", host, ".*"));
    }
    match &rule.process {
        None => {}
        // An unknown process matches no process pattern.
        Some(ProcessGlob::FullPath(g)) => parts.push(format!(
            "isnotnull(process_image) AND {}",
            glob_match("process_image", g, ".*")
        )),
        Some(ProcessGlob::Basename(g)) => parts.push(format!(
            "isnotnull(process_image) AND {}",
            glob_match("process_file", g, ".*")
        )),
    }
    if let Some(net) = &rule.destination {
        // The allowlist tests the address as recorded (the core does not unmap ::ffff: here).
        parts.push(format!("cidrmatch({}, dest_ip)", c_str(&net.to_string())));
    }
    if let Some(ports) = &rule.ports {
        parts.push(if let [p] = ports.as_slice() {
            format!("dest_port={p}")
        } else {
            format!("in(dest_port, {})", number_list(ports))
        });
    }
    parts.join(" AND ")
}
