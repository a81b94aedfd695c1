//! Investigation and response steps written for one alert: what its analytics and evidence say
//! to check on the host, what to collect, and how to contain the channel (block the broker or
//! revoke the client, a network signature), with the alert's own names, addresses, process,
//! topics and client ids filled in. Steps follow the evidence: a beacon asks for the period to be
//! explained, a shell talking pub/sub for its lineage and persistence, an opaque payload for a
//! capture, an internal broker for its credentials rather than a block.

use super::text::human_secs;
use crate::attack::process_name;
use pubsub_hunt_core::{Alert, AnalyticId, Protocol, SignalId};
use std::collections::BTreeSet;
use std::net::SocketAddr;

/// The steps, in the order a hunter takes them.
pub(crate) struct Steps {
    pub investigate: Vec<String>,
    pub collect: Vec<String>,
    pub respond: Vec<String>,
}

/// The behaviour analytics the alert's signals belong to (signals that added points).
fn evidence_for(a: &Alert) -> BTreeSet<AnalyticId> {
    a.signals
        .iter()
        .filter(|(_, w)| **w > 0.0)
        .map(|(id, _)| id.analytic())
        .collect()
}

fn has(a: &Alert, ids: &[SignalId]) -> bool {
    ids.iter()
        .any(|id| a.signals.get(id).is_some_and(|w| *w > 0.0))
}

/// Whether the signal was judged at all, for or against (negative signals take points off).
fn judged(a: &Alert, id: SignalId) -> bool {
    a.signals.get(&id).is_some_and(|w| *w != 0.0)
}

/// A Suricata rule for the channel's new sessions: the destination and port, and where packet
/// inspection saw a plain client id, the id itself (an MQTT CONNECT carries it in clear).
pub(crate) fn suricata_rule(a: &Alert) -> String {
    // A stable sid in the local range (1000000–1999999), from the alert id.
    let sid = 1_000_000
        + a.id
            .get(..8)
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .unwrap_or(0)
            % 1_000_000;
    let client = a.app.as_ref().and_then(|app| {
        app.client_ids
            .iter()
            .find(|c| {
                c.len() >= 4
                    && c.len() <= 64
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
            })
            .cloned()
    });
    let content = match (&client, a.app.as_ref().is_some_and(|x| x.tls)) {
        (Some(c), false) => format!(" content:\"{c}\"; fast_pattern;"),
        _ => String::new(),
    };
    let flow = if content.is_empty() {
        " flow:to_server; flags:S;"
    } else {
        " flow:to_server,established;"
    };
    format!(
        "alert tcp $HOME_NET any -> {} {} (msg:\"pubsub-hunt {} {} channel {}\";{flow}{content} \
         classtype:trojan-activity; metadata:mitre_technique_id {}; sid:{sid}; rev:1;)",
        a.dst_ip,
        a.dst_port,
        a.id,
        a.protocol,
        a.host.replace(['"', ';', '\\'], "_"),
        a.technique
    )
}

pub(crate) fn steps(a: &Alert, period: Option<f64>) -> Steps {
    let dst = SocketAddr::new(a.dst_ip, a.dst_port).to_string();
    let names = if a.destination_names.is_empty() {
        String::new()
    } else {
        format!(" ({})", a.destination_names.join(", "))
    };
    let span = match (a.first_seen, a.last_seen) {
        (Some(f), Some(l)) => format!(
            " between {} and {}",
            pubsub_hunt_core::time::format_rfc3339(f),
            pubsub_hunt_core::time::format_rfc3339(l)
        ),
        _ => String::new(),
    };
    let found = evidence_for(a);
    let topics: Vec<&str> = a
        .app
        .as_ref()
        .map(|app| app.topics.iter().map(|t| t.name.as_str()).take(6).collect())
        .unwrap_or_default();
    let clients: Vec<&str> = a
        .app
        .as_ref()
        .map(|app| app.client_ids.iter().map(String::as_str).take(4).collect())
        .unwrap_or_default();
    let tls = a.app.as_ref().is_some_and(|x| x.tls);
    let mut inv = Vec::new();
    let mut col = Vec::new();
    let mut resp = Vec::new();

    inv.push(format!(
        "Confirm the channel: list the connections from {} to {dst}{names}{span} with the \
         pivots below, and check whether they go on today.",
        a.host
    ));
    match &a.process {
        Some(p) => inv.push(format!(
            "On {}, examine {}: hash and signer, parent and command line, who started it and \
             when it was installed (EDR process tree, Sysmon event 1){}.",
            a.host,
            p,
            if a.users.is_empty() {
                String::new()
            } else {
                format!(", running as {}", a.users.join(", "))
            }
        )),
        None => inv.push(format!(
            "The source records no process: on {} find the program that holds connections to \
             {dst} (Linux: `ss -tnp dst {}`; Windows: `Get-NetTCPConnection -RemoteAddress {} \
             -RemotePort {} | Select-Object OwningProcess`; or the EDR's network events).",
            a.host, a.dst_ip, a.dst_ip, a.dst_port
        )),
    }
    if a.external {
        inv.push(format!(
            "Identify who runs {dst}{names}: a public {} service, a cloud IoT endpoint or a \
             rented server? Check passive DNS, its certificate and whether other hosts reach \
             it (the 'every host' queries below): one host reaching an unknown broker is the \
             C2 shape.",
            a.protocol
        ));
    } else {
        inv.push(format!(
            "{dst}{names} is inside the network: confirm it is a sanctioned broker and who owns \
             it, then look at its access log for this client and its other clients."
        ));
    }
    // Prevalence across the site's hosts: who else reaches the destination decides both what to
    // ask and whether blocking it would cut off hosts that need it.
    let shared =
        judged(a, SignalId::SharedDestination) || judged(a, SignalId::LoneTimerOnSharedDestination);
    if has(a, &[SignalId::SoleHostDestination]) {
        inv.push(format!(
            "{} is the only internal host that reaches {dst}{names}: ask its owner what on it \
             needs that server, and check hosts of the same role (a service their work needs \
             is reached by many).",
            a.host
        ));
    }
    if has(a, &[SignalId::LoneTimerOnSharedDestination]) {
        inv.push(format!(
            "Many hosts use {dst}{names}, but {} alone connects on a timer of its own: compare \
             its client (program, version, configuration, client id) with the other hosts'; a \
             second program riding a sanctioned service is what to rule out.",
            a.host
        ));
    } else if judged(a, SignalId::SharedDestination) {
        inv.push(format!(
            "Many internal hosts reach {dst}{names} as well (which counted against this alert): \
             compare {}'s connections and program with theirs; what sets it apart is the lead.",
            a.host
        ));
    }
    if has(a, &[SignalId::FleetOutlier]) {
        inv.push(format!(
            "{} checks in to its vendor's service as a fleet of devices does, and none of the \
             others reaches {dst}{names}: compare it with a sibling device (firmware version, \
             running processes, open ports); a device doing what its fleet does not was changed, \
             most often by whoever took it over.",
            a.host
        ));
    }
    if judged(a, SignalId::ServerFederation) {
        inv.push(format!(
            "{} is itself a server of {} that other hosts reach: check that its federation or bridge \
             configuration (XMPP server-to-server peers, an MQTT bridge) names {dst}{names}; a \
             peer nobody configured is the finding.",
            a.host, a.protocol
        ));
    }
    if found.contains(&AnalyticId::PubsubBeacon)
        || has(a, &[SignalId::Beacon, SignalId::MessageBeacon])
    {
        let p = period
            .map(|p| format!(" about every {}", human_secs(p)))
            .unwrap_or_default();
        inv.push(format!(
            "The channel beacons{p} (timeline and histogram below): compare the period and its \
             jitter with the configuration of any legitimate agent on the host (telemetry, \
             keepalive); implants sleep on a timer with a little jitter, people do not."
        ));
    }
    if has(a, &[SignalId::TaskedCheckIns]) {
        inv.push(format!(
            "Some of the check-ins were answered with far more than acknowledgements: list {}'s              connections to {dst} with the bytes the server sent (Zeek `resp_bytes`) and read              the largest from a capture or the broker's log; what it delivered is the task.",
            a.host
        ));
    }
    if found.contains(&AnalyticId::PubsubContent) || !topics.is_empty() || !clients.is_empty() {
        let mut what = Vec::new();
        if !topics.is_empty() {
            what.push(format!("topics {}", topics.join(", ")));
        }
        if !clients.is_empty() {
            what.push(format!("client ids {}", clients.join(", ")));
        }
        if !what.is_empty() {
            inv.push(format!(
                "Read what the client said: {}. Look the same names up in the broker's logs and \
                 across other hosts; a per-host topic or a command word (`cmd`, `task`, `result`) \
                 is how operators address implants.",
                what.join("; ")
            ));
        }
    }
    if has(
        a,
        &[
            SignalId::PayloadHighEntropy,
            SignalId::PayloadEncoded,
            SignalId::PayloadFernet,
            SignalId::TelemetryPayloadOpaque,
            SignalId::PayloadHostData,
        ],
    ) {
        inv.push(
            "The payloads look like C2 traffic (encrypted, encoded or carrying host data): \
             decode a few from the capture and look for commands or a system survey."
                .to_string(),
        );
    }
    if found.contains(&AnalyticId::PubsubProcess) {
        inv.push(format!(
            "{} is an unusual program to speak {}: collect its command line and parent, and \
             look for persistence created around the first connection (scheduled tasks, \
             services, Run keys, cron, systemd units).",
            a.process
                .as_deref()
                .map_or("The initiating program", process_name),
            a.protocol
        ));
    }
    if found.contains(&AnalyticId::PubsubRate) {
        inv.push(
            "Publications burst above the client's own history or its broker's other clients: \
             check the volume sent (possible exfiltration) against what the application needs."
                .to_string(),
        );
    }

    col.push(format!(
        "A capture of the channel with the BPF filter below{}.",
        if tls {
            " (the session is encrypted: keep the TLS handshake for its certificate and SNI)"
        } else {
            ", long enough to hold several beats"
        }
    ));
    match &a.process {
        Some(p) => col.push(format!(
            "The image {p}, its hash, and a memory image of the running process."
        )),
        None => col.push("The process once found, with its image and hash.".to_string()),
    }
    col.push(format!(
        "The host's process, network and logon events from an hour before{}: EDR timeline, \
         Sysmon 1/3/11/13, shell history.",
        if a.first_seen.is_some() {
            " the first connection"
        } else {
            " the alert"
        }
    ));
    if !a.external {
        col.push(format!(
            "The broker's log for this client{}: connects, subscriptions and publications.",
            if clients.is_empty() {
                String::new()
            } else {
                format!(" ({})", clients.join(", "))
            }
        ));
    }
    if !a.samples.is_empty() {
        col.push(format!(
            "The raw records behind the alert: {}.",
            a.samples
                .iter()
                .map(|s| format!("{}:{}", s.file, s.line))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }

    if a.external && shared {
        resp.push(format!(
            "Contain at the host, not the destination: other hosts use {dst}{names}, so block \
             it for {} alone (host firewall, or an egress rule for its address) and isolate {} \
             if the program is not explained.",
            a.host, a.host
        ));
    } else if a.external {
        resp.push(format!(
            "Contain: block {dst}{names} at the egress firewall or proxy (both the address and \
             the names, a broker can move), and isolate {} if the program is not explained.",
            a.host
        ));
    } else {
        resp.push(format!(
            "Contain: {dst} is an internal broker other clients need: revoke this client's \
             credentials{} on the broker and deny its address in the broker's ACL instead of \
             blocking the broker; isolate {} if the program is not explained.",
            if a.users.is_empty() && clients.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    a.users
                        .iter()
                        .map(String::as_str)
                        .chain(clients.iter().copied())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            },
            a.host
        ));
    }
    resp.push(format!(
        "Network signature for new sessions of this channel (Suricata):\n{}",
        suricata_rule(a)
    ));
    if a.protocol == Protocol::Mqtt && !topics.is_empty() && !a.external {
        resp.push(format!(
            "On the broker, deny publish and subscribe on {} for this client.",
            topics.join(", ")
        ));
    }
    resp.push(
        "Eradicate: remove the program and its persistence, rotate any credential it used on \
         the broker, then run `pubsub-hunt watch` (or re-hunt new logs) to see that the channel \
         does not come back."
            .to_string(),
    );
    Steps {
        investigate: inv,
        collect: col,
        respond: resp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::alert;

    fn with(signals: &[(SignalId, f64)]) -> Alert {
        let mut a = alert();
        a.signals = signals.iter().copied().collect();
        a
    }

    fn all(s: &Steps) -> String {
        [&s.investigate, &s.collect, &s.respond]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn prevalence_signals_shape_the_steps() {
        let plain = all(&steps(&with(&[]), None));
        assert!(!plain.contains("only internal host"), "{plain}");
        assert!(
            plain.contains("block 198.51.100.1:5222") && plain.contains("egress firewall"),
            "{plain}"
        );

        let sole = all(&steps(&with(&[(SignalId::SoleHostDestination, 8.0)]), None));
        assert!(
            sole.contains("10.0.0.1 is the only internal host"),
            "{sole}"
        );
        assert!(!sole.contains("a fleet of devices"), "{sole}");
        let outlier = all(&steps(&with(&[(SignalId::FleetOutlier, 15.0)]), None));
        assert!(
            outlier.contains("none of the others reaches 198.51.100.1"),
            "{outlier}"
        );

        // A destination many hosts share is contained at the host, not blocked for everyone.
        let lone = steps(
            &with(&[(SignalId::LoneTimerOnSharedDestination, 10.0)]),
            None,
        );
        assert!(all(&lone).contains("alone connects on a timer"));
        assert!(
            lone.respond[0].starts_with("Contain at the host"),
            "{:?}",
            lone.respond
        );
        let shared = steps(&with(&[(SignalId::SharedDestination, -12.0)]), None);
        assert!(all(&shared).contains("counted against this alert"));
        assert!(shared.respond[0].starts_with("Contain at the host"));

        let fed = all(&steps(&with(&[(SignalId::ServerFederation, -20.0)]), None));
        assert!(fed.contains("is itself a server of XMPP"), "{fed}");
    }

    #[test]
    fn a_beacon_asks_for_its_period() {
        let s = all(&steps(&with(&[(SignalId::Beacon, 20.0)]), Some(3600.0)));
        assert!(s.contains("beacons about every 60.0 min"), "{s}");
        assert!(!all(&steps(&with(&[]), None)).contains("beacons"));
    }

    #[test]
    fn tasked_check_ins_ask_for_what_was_delivered() {
        let s = all(&steps(&with(&[(SignalId::TaskedCheckIns, 10.0)]), None));
        assert!(s.contains("what it delivered is the task"), "{s}");
        assert!(!all(&steps(&with(&[(SignalId::Beacon, 20.0)]), None)).contains("delivered"));
    }
}
