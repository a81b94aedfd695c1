//! Sigma export: per reported suspicion level, one `network_connection` detection rule (the
//! per-event conditions: port, transport, direction, scope, Mosquitto exclusion, allowlist) and
//! one Sigma v2 `event_count` correlation rule (the threshold per host, process and
//! destination over the window).
//!
//! Field names are the Sysmon Event ID 3 taxonomy Sigma uses for `network_connection`
//! (`Image`, `DestinationIp`, `DestinationPort`, `Protocol`, `Initiated`) plus `Computer` for the
//! host. Splitting by level is what lets each rule carry its own `level:`; the levels partition
//! the candidate events, and every group lies in exactly one level, so counting per level counts
//! the same groups the engine does.

use crate::analytic::{
    AllowRule, Analytic, Clause, ClientTest, Level, ProcessGlob, Scope, clause_words,
    duration_short, protocol_names,
};
use crate::escape::{
    GlobShape, comment, glob_regex, glob_shape, sigma_glob, sigma_literal, yaml_str,
};
use crate::header::Header;
use pubsub_hunt_core::Suspicion;
use std::fmt::Write;

/// Stable rule identifiers: a rule keeps its id across tunings, as Sigma ids are meant to.
fn ids(level: Suspicion) -> (&'static str, &'static str) {
    match level {
        Suspicion::High => (
            "f4157dd2-50e4-428a-a710-6ea2e5559ac7",
            "27036d02-ff1b-469f-ad36-3d718ddcbee9",
        ),
        Suspicion::Medium => (
            "2adeb2ec-2275-4f41-94a5-a4daf4223780",
            "81871edf-a74f-4451-b13b-95fe049ad2c0",
        ),
        Suspicion::Low => (
            "2dc78002-96d2-440b-a99a-0ac29257fc13",
            "5d61e422-4e68-4a50-9a20-bf964e766232",
        ),
    }
}

/// The creation date of this rule shape (Sigma `date:`); fixed so that exports are
/// reproducible.
const RULE_DATE: &str = "2026-11-23";

/// `name:` of the detection rule of a level; the correlation refers to it.
pub(crate) fn rule_name(level: Suspicion) -> String {
    format!("pubsub_hunt_pubsub_port_{level}")
}

/// The false-positive notes every rule carries (from the seeds' tuning notes).
const FALSE_POSITIVES: &[&str] = &[
    "IoT platforms and home automation that use MQTT (Home Assistant, AWS IoT Core, Azure IoT Hub)",
    "Chat clients that use XMPP (Pidgin, Conversations, Cisco Jabber)",
    "Message queue infrastructure (RabbitMQ, ActiveMQ) used for application integration",
    "Developer workstations testing against public MQTT or AMQP brokers",
];

pub(crate) fn render(a: &Analytic, header: &Header) -> String {
    let mut out = header.comment_block("# ", "");
    let _ = writeln!(out, "#");
    let _ = writeln!(
        out,
        "# Field names are Sysmon Event ID 3 (Sigma's network_connection taxonomy);"
    );
    let _ = writeln!(
        out,
        "# Computer is the host (Defender: DeviceName, ECS: host.name)."
    );
    let _ = writeln!(
        out,
        "# Each suspicion level is one detection rule (the per-event conditions) plus"
    );
    let _ = writeln!(
        out,
        "# one event_count correlation (the threshold per host, process and destination)."
    );
    if a.levels.is_empty() {
        let _ = writeln!(out, "#");
        let _ = writeln!(
            out,
            "# No configured port can reach a reported suspicion level: nothing to export."
        );
        return out;
    }
    for (i, level) in a.levels.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        detection_rule(&mut out, a, header, level);
        out.push_str("---\n");
        correlation_rule(&mut out, a, header, level);
    }
    out
}

fn common_metadata(out: &mut String, header: &Header) {
    let _ = writeln!(out, "status: experimental");
    let _ = writeln!(out, "references:");
    let _ = writeln!(out, "    - https://attack.mitre.org/techniques/T1071/005/");
    let _ = writeln!(out, "author: pubsub-hunt");
    let _ = writeln!(out, "date: {RULE_DATE}");
    let _ = writeln!(out, "tags:");
    let _ = writeln!(out, "    - attack.command-and-control");
    let _ = writeln!(out, "    - attack.t1071.005");
    // Where the rule came from, for whoever reads it in a SIEM later.
    let _ = writeln!(out, "# generated from: {}", comment(&header.config_source));
}

fn false_positives(out: &mut String, a: &Analytic, level: &Level) {
    let _ = writeln!(out, "falsepositives:");
    for fp in FALSE_POSITIVES {
        let _ = writeln!(out, "    - {}", yaml_str(fp));
    }
    if !a.allow_for(level).is_empty() {
        let _ = writeln!(
            out,
            "    - {}",
            yaml_str("Known-good traffic is excluded by the allowlist selections (allow_*)")
        );
    }
    // The header lists these entries; this field travels with the rule into a SIEM.
    if !a.default_allow.is_empty() {
        let _ = writeln!(
            out,
            "    - {}",
            yaml_str(&format!(
                "Not carried: the {} entries of pubsub-hunt's default allowlist (push services, \
                 chat clients, IoT agents and endpoints, developer tools, managed brokers, \
                 internal message-queue and chat servers), which yield to behaviour evidence this rule cannot compute; \
                 see the header, or pubsub-hunt config defaults",
                a.default_allow.len()
            ))
        );
    }
}

fn level_words(level: &Level) -> String {
    level
        .clauses
        .iter()
        .map(clause_words)
        .collect::<Vec<_>>()
        .join("; or ")
}

fn port_selection_name(c: &Clause) -> String {
    let names: Vec<String> = c
        .protocols
        .iter()
        .map(|p| p.as_str().to_ascii_lowercase())
        .collect();
    format!("port_{}", names.join("_"))
}

fn detection_rule(out: &mut String, a: &Analytic, header: &Header, level: &Level) {
    let (id, _) = ids(level.suspicion);
    let _ = writeln!(
        out,
        "title: Outbound connection to a publish/subscribe port, {} suspicion",
        level.suspicion
    );
    let _ = writeln!(out, "id: {id}");
    let _ = writeln!(out, "name: {}", rule_name(level.suspicion));
    common_metadata(out, header);
    let description = format!(
        "One connection of pubsub-hunt's pubsub-port analytic at {} suspicion: {}. Alone it is \
         not an alert; the correlation rule {}_repeated counts these per host, process and \
         destination.",
        level.suspicion,
        level_words(level),
        rule_name(level.suspicion)
    );
    let _ = writeln!(out, "description: {}", yaml_str(&description));
    let _ = writeln!(out, "logsource:");
    let _ = writeln!(out, "    category: network_connection");
    let _ = writeln!(out, "    product: windows");
    let _ = writeln!(out, "detection:");

    let _ = writeln!(
        out,
        "    # TCP, or a record that does not say which transport."
    );
    let _ = writeln!(out, "    transport:");
    let _ = writeln!(out, "        - Protocol: 'tcp'");
    let _ = writeln!(out, "        - Protocol: null");
    // Written as "true or absent" rather than "not false": the same events, and backends whose
    // pipelines drop `Initiated` (pySigma's Microsoft XDR) can drop a positive selection but
    // fail on a negated one.
    let _ = writeln!(
        out,
        "    # Started by this host, or a record that does not say (connections from outside do not count)."
    );
    let _ = writeln!(out, "    outbound:");
    let _ = writeln!(out, "        - Initiated: 'true'");
    let _ = writeln!(out, "        - Initiated: null");

    let mut port_selections: Vec<(String, &Clause)> = Vec::new();
    for c in &level.clauses {
        let name = port_selection_name(c);
        if !port_selections.iter().any(|(n, _)| *n == name) {
            port_selections.push((name, c));
        }
    }
    for (name, c) in &port_selections {
        let _ = writeln!(out, "    # {} ports", protocol_names(&c.protocols, ", "));
        let _ = writeln!(out, "    {name}:");
        let _ = writeln!(out, "        DestinationPort:");
        for p in &c.ports {
            let _ = writeln!(out, "            - {p}");
        }
    }
    if level.clauses.iter().any(|c| c.scope != Scope::Any) {
        let _ = writeln!(
            out,
            "    # Internal networks. IPv4-mapped IPv6 forms (::ffff:10.1.2.3) follow the IPv4"
        );
        let _ = writeln!(
            out,
            "    # ones: pubsub-hunt judges such an address by its IPv4 address."
        );
        let _ = writeln!(out, "    internal:");
        let _ = writeln!(out, "        DestinationIp|cidr:");
        for net in a.internal_cidrs().into_iter().chain(a.internal_v4_mapped()) {
            let _ = writeln!(out, "            - {}", yaml_str(&net));
        }
    }
    if level.clauses.iter().any(|c| c.client != ClientTest::Any) {
        let _ = writeln!(
            out,
            "    # Mosquitto clients: the image's file name, with or without .exe, any case."
        );
        let _ = writeln!(out, "    mosquitto_client:");
        let _ = writeln!(out, "        - Image:");
        for b in &a.mosquitto_basenames {
            let _ = writeln!(out, "              - {}", yaml_str(&sigma_literal(b)));
        }
        let _ = writeln!(out, "        - Image|endswith:");
        for b in &a.mosquitto_basenames {
            for sep in ['\\', '/'] {
                let _ = writeln!(
                    out,
                    "              - {}",
                    yaml_str(&sigma_literal(&format!("{sep}{b}")))
                );
            }
        }
    }
    let allow = a.allow_for(level);
    for rule in &allow {
        allow_selection(out, rule);
    }

    let clauses: Vec<String> = level
        .clauses
        .iter()
        .map(|c| {
            let mut parts = vec![port_selection_name(c)];
            match c.scope {
                Scope::External => parts.push("not internal".into()),
                Scope::Internal => parts.push("internal".into()),
                Scope::Any => {}
            }
            match c.client {
                ClientTest::Any => {}
                ClientTest::NotMosquitto => parts.push("not mosquitto_client".into()),
                ClientTest::Mosquitto => parts.push("mosquitto_client".into()),
            }
            if parts.len() == 1 {
                parts.remove(0)
            } else {
                format!("({})", parts.join(" and "))
            }
        })
        .collect();
    let mut condition = format!("transport and outbound and ({})", clauses.join(" or "));
    if !allow.is_empty() {
        condition.push_str(" and not 1 of allow_*");
    }
    let _ = writeln!(out, "    condition: {condition}");
    false_positives(out, a, level);
    let _ = writeln!(out, "level: {}", level.suspicion);
}

fn allow_selection(out: &mut String, rule: &AllowRule) {
    let _ = writeln!(
        out,
        "    # allowlist entry {}: {}",
        rule.number,
        comment(&rule.reason)
    );
    let _ = writeln!(out, "    allow_{}:", rule.number);
    if let Some(host) = &rule.host {
        let _ = writeln!(out, "        {}", glob_item("Computer", host));
    }
    match &rule.process {
        None => {}
        Some(ProcessGlob::FullPath(glob)) => {
            let _ = writeln!(out, "        {}", glob_item("Image", glob));
        }
        Some(ProcessGlob::Basename(glob)) => {
            // The glob must match the file name alone: a `*` may not cross a path separator,
            // which Sigma wildcards cannot say, so this one is a regular expression.
            let regex = format!("(?:^|[\\\\/]){}$", glob_regex(glob, "[^\\\\/]*"));
            let _ = writeln!(out, "        Image|re|i: {}", yaml_str(&regex));
        }
    }
    if let Some(net) = &rule.destination {
        let _ = writeln!(
            out,
            "        DestinationIp|cidr: {}",
            yaml_str(&net.to_string())
        );
    }
    if let Some(ports) = &rule.ports {
        if let [p] = ports.as_slice() {
            let _ = writeln!(out, "        DestinationPort: {p}");
        } else {
            let _ = writeln!(out, "        DestinationPort:");
            for p in ports {
                let _ = writeln!(out, "            - {p}");
            }
        }
    }
}

/// A detection item for a case-insensitive `*` glob, using the Sigma modifier that fits its
/// shape.
fn glob_item(field: &str, glob: &str) -> String {
    // A literal `?` would need Sigma's `\?`, which validators flag as a possibly unintended
    // escaped wildcard; a regular expression says the same without one.
    if glob.contains('?') {
        let regex = format!("^{}$", glob_regex(glob, ".*"));
        return format!("{field}|re|i: {}", yaml_str(&regex));
    }
    match glob_shape(glob) {
        GlobShape::Exact(s) => format!("{field}: {}", yaml_str(&sigma_literal(&s))),
        GlobShape::Prefix(s) => format!("{field}|startswith: {}", yaml_str(&sigma_glob(&s))),
        GlobShape::Suffix(s) => format!("{field}|endswith: {}", yaml_str(&sigma_glob(&s))),
        GlobShape::Contains(s) => format!("{field}|contains: {}", yaml_str(&sigma_glob(&s))),
        GlobShape::Pattern => format!("{field}: {}", yaml_str(&sigma_glob(glob))),
    }
}

fn correlation_rule(out: &mut String, a: &Analytic, header: &Header, level: &Level) {
    let (_, id) = ids(level.suspicion);
    let _ = writeln!(
        out,
        "title: Repeated outbound connections to a publish/subscribe port, {} suspicion",
        level.suspicion
    );
    let _ = writeln!(out, "id: {id}");
    let _ = writeln!(out, "name: {}_repeated", rule_name(level.suspicion));
    common_metadata(out, header);
    let description = format!(
        "pubsub-hunt's pubsub-port analytic at {} suspicion: at least {} connections from one \
         host and process to one destination address and port within {}. {}.",
        level.suspicion,
        a.min_connections,
        duration_short(a.timespan_secs()),
        level_words(level)
    );
    let _ = writeln!(out, "description: {}", yaml_str(&description));
    let _ = writeln!(out, "correlation:");
    let _ = writeln!(out, "    type: event_count");
    let _ = writeln!(out, "    rules:");
    let _ = writeln!(out, "        - {}", rule_name(level.suspicion));
    let _ = writeln!(
        out,
        "    # The destination port fixes the protocol, so it is not a separate key."
    );
    let _ = writeln!(out, "    group-by:");
    for f in ["Computer", "Image", "DestinationIp", "DestinationPort"] {
        let _ = writeln!(out, "        - {f}");
    }
    match a.window_secs {
        Some(w) => {
            let _ = writeln!(
                out,
                "    # analytics.window = {}: tumbling windows aligned to the UTC epoch, as",
                duration_short(w)
            );
            let _ = writeln!(
                out,
                "    # pubsub-hunt counts. `window` is read by engines that support it (rsigma);"
            );
            let _ = writeln!(
                out,
                "    # pySigma's Splunk backend bins _time by the timespan, which is the same."
            );
            let _ = writeln!(out, "    timespan: {}", duration_short(w));
            let _ = writeln!(out, "    window: tumbling");
        }
        None => {
            let _ = writeln!(
                out,
                "    # analytics.window = none: pubsub-hunt counts over its whole input. Sigma needs a"
            );
            let _ = writeln!(
                out,
                "    # timespan, so this rule uses {} (the seeds' look-back); set it to your hunt period.",
                duration_short(a.timespan_secs())
            );
            let _ = writeln!(out, "    timespan: {}", duration_short(a.timespan_secs()));
        }
    }
    let _ = writeln!(out, "    condition:");
    let _ = writeln!(out, "        gte: {}", a.min_connections);
    false_positives(out, a, level);
    let _ = writeln!(out, "level: {}", level.suspicion);
}
