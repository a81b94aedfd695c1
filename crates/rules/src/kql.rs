//! KQL export: two self-contained queries, one for Microsoft Defender XDR advanced hunting over
//! `DeviceNetworkEvents` (its real columns: `InitiatingProcessAccountName`, no byte counters)
//! and one for Microsoft Sentinel over `CommonSecurityLog` (CEF firewalls, which do carry
//! `SentBytes`/`ReceivedBytes`).
//!
//! Scope is decided with `ipv4_is_in_any_range`/`ipv6_is_in_any_range` over the configured
//! networks rather than trusting `RemoteIPType` as the seed did. Windows use
//! `bin_at(..., datetime(1970-01-01))` because plain `bin` aligns to year 1, which puts 7-day
//! windows on Mondays instead of pubsub-hunt's epoch-aligned Thursdays.

use crate::analytic::{
    AllowRule, Analytic, Clause, ClientTest, ProcessGlob, Scope, duration_short,
};
use crate::escape::{GlobShape, c_str, comment, glob_regex, glob_shape, kql_verbatim};
use crate::header::Header;
use ipnet::IpNet;
use pubsub_hunt_core::{Protocol, Suspicion};
use std::fmt::Write;

/// The columns one source table offers for the analytic's fields.
struct Table {
    name: &'static str,
    time: &'static str,
    /// Expression of the host the engine groups by.
    host: &'static str,
    /// Full process image.
    process: &'static str,
    /// Process file name (a column, or one computed by `prelude`).
    process_file: &'static str,
    dst_ip: &'static str,
    dst_port: &'static str,
}

const DEFENDER: Table = Table {
    name: "DeviceNetworkEvents",
    time: "Timestamp",
    host: "DeviceName",
    process: "InitiatingProcessFolderPath",
    process_file: "InitiatingProcessFileName",
    dst_ip: "RemoteIP",
    dst_port: "RemotePort",
};

const SENTINEL_CEF: Table = Table {
    name: "CommonSecurityLog",
    time: "TimeGenerated",
    host: "Host",
    process: "SourceProcessName",
    process_file: "ProcessFileName",
    dst_ip: "DestinationIP",
    dst_port: "DestinationPort",
};

pub(crate) fn render(a: &Analytic, header: &Header) -> String {
    let mut out = header.comment_block("// ", "");
    out.push_str("//\n");
    out.push_str("// Two queries follow; run each on its own:\n");
    out.push_str(
        "//   1. Microsoft Defender XDR advanced hunting (or Sentinel with the Defender XDR\n",
    );
    out.push_str("//      connector): DeviceNetworkEvents. That table has no byte counters.\n");
    out.push_str(
        "//   2. Microsoft Sentinel: CommonSecurityLog (CEF from firewalls), with byte counts.\n",
    );
    out.push('\n');
    defender(&mut out, a);
    out.push('\n');
    sentinel_cef(&mut out, a);
    out
}

fn var_name(p: Protocol) -> String {
    let s = p.as_str();
    let mut name = String::new();
    for (i, c) in s.chars().enumerate() {
        if i == 0 {
            name.push(c.to_ascii_uppercase());
        } else if s.chars().all(|c| c.is_ascii_uppercase()) {
            name.push(c.to_ascii_lowercase());
        } else {
            name.push(c);
        }
    }
    format!("{name}Ports")
}

fn number_list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn string_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| c_str(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn lets(out: &mut String, a: &Analytic) {
    let window_note = match a.window_secs {
        Some(_) => "the period to hunt over, cut into the windows below",
        None => "the period to hunt over; analytics.window = none makes it one window",
    };
    let _ = writeln!(
        out,
        "let LookBack = {}; // {window_note}",
        duration_short(a.lookback_secs())
    );
    let _ = writeln!(
        out,
        "let MinConnections = {}; // analytics.min_connections",
        a.min_connections
    );
    for (p, ports) in &a.protocols {
        let _ = writeln!(
            out,
            "let {} = dynamic([{}]);",
            var_name(*p),
            number_list(ports)
        );
    }
    let _ = writeln!(
        out,
        "let PubSubPorts = dynamic([{}]);",
        number_list(&a.all_ports)
    );
    let v4: Vec<String> = a.internal_v4.iter().map(ToString::to_string).collect();
    let v6: Vec<String> = a.internal_v6.iter().map(ToString::to_string).collect();
    let _ = writeln!(out, "let InternalV4 = dynamic([{}]);", string_list(&v4));
    let _ = writeln!(out, "let InternalV6 = dynamic([{}]);", string_list(&v6));
    let _ = writeln!(
        out,
        "let MosquittoClients = dynamic([{}]); // process file names, lower case",
        string_list(&a.mosquitto_basenames)
    );
}

/// The shared middle of both queries: scope, protocol, rating, level filter and allowlist.
fn rating(out: &mut String, a: &Analytic, t: &Table) {
    let _ = writeln!(
        out,
        "// An IPv4-mapped IPv6 address (::ffff:10.1.2.3) is judged by its IPv4 address."
    );
    let _ = writeln!(
        out,
        "| extend ScopeIp = iff({ip} startswith \"::ffff:\" and isnotnull(parse_ipv4(substring({ip}, 7))), substring({ip}, 7), {ip})",
        ip = t.dst_ip
    );
    let _ = writeln!(
        out,
        "| extend IsExternal = not(iff(isnotnull(parse_ipv4(ScopeIp)), ipv4_is_in_any_range(ScopeIp, InternalV4), ipv6_is_in_any_range(ScopeIp, InternalV6)))"
    );
    let _ = writeln!(out, "| extend PubSubProtocol = case(");
    for (p, _) in &a.protocols {
        let _ = writeln!(
            out,
            "    {} in ({}), {},",
            t.dst_port,
            var_name(*p),
            c_str(p.as_str())
        );
    }
    let _ = writeln!(out, "    \"\")");
    let _ = writeln!(
        out,
        "| extend IsMosquittoClient = tolower({}) in (MosquittoClients)",
        t.process_file
    );
    let _ = writeln!(out, "// Suspicion, first match wins; the rest is low.");
    let _ = writeln!(out, "| extend Suspicion = case(");
    for level in [Suspicion::High, Suspicion::Medium] {
        for c in a.clauses(level) {
            let _ = writeln!(out, "    {}, {},", clause_expr(&c), c_str(level.as_str()));
        }
    }
    let _ = writeln!(out, "    \"low\")");
    match a.min_suspicion {
        Suspicion::High => {
            let _ = writeln!(
                out,
                "| where Suspicion == \"high\" // analytics.min_suspicion = high"
            );
        }
        Suspicion::Medium => {
            let _ = writeln!(
                out,
                "| where Suspicion in (\"high\", \"medium\") // analytics.min_suspicion = medium"
            );
        }
        Suspicion::Low => {
            let _ = writeln!(
                out,
                "// analytics.min_suspicion = low: every level is reported."
            );
        }
    }
    for rule in &a.allow {
        let _ = writeln!(
            out,
            "// allowlist entry {}: {}",
            rule.number,
            comment(&rule.reason)
        );
        let _ = writeln!(out, "| where not({})", allow_expr(rule, t));
    }
}

fn clause_expr(c: &Clause) -> String {
    let mut parts = Vec::new();
    match c.scope {
        Scope::External => parts.push("IsExternal".to_string()),
        Scope::Internal => parts.push("not(IsExternal)".to_string()),
        Scope::Any => {}
    }
    let names: Vec<String> = c.protocols.iter().map(|p| c_str(p.as_str())).collect();
    parts.push(if let [one] = names.as_slice() {
        format!("PubSubProtocol == {one}")
    } else {
        format!("PubSubProtocol in ({})", names.join(", "))
    });
    match c.client {
        ClientTest::Any => {}
        ClientTest::NotMosquitto => parts.push("not(IsMosquittoClient)".to_string()),
        ClientTest::Mosquitto => parts.push("IsMosquittoClient".to_string()),
    }
    parts.join(" and ")
}

/// A case-insensitive glob test on a string column. KQL's `=~`, `startswith`, `endswith` and
/// `contains` ignore case already; other shapes become an anchored regular expression.
fn glob_expr(column: &str, glob: &str, any: &str) -> String {
    match glob_shape(glob) {
        GlobShape::Exact(s) => format!("{column} =~ {}", c_str(&s)),
        GlobShape::Prefix(s) => format!("{column} startswith {}", c_str(&s)),
        GlobShape::Suffix(s) => format!("{column} endswith {}", c_str(&s)),
        GlobShape::Contains(s) => format!("{column} contains {}", c_str(&s)),
        GlobShape::Pattern => format!(
            "{column} matches regex {}",
            kql_verbatim(&format!("(?i)^{}$", glob_regex(glob, any)))
        ),
    }
}

fn allow_expr(rule: &AllowRule, t: &Table) -> String {
    let mut parts = Vec::new();
    if let Some(host) = &rule.host {
        parts.push(glob_expr(t.host, host, ".*"));
    }
    match &rule.process {
        None => {}
        // An unknown process matches no process pattern.
        Some(ProcessGlob::FullPath(g)) => {
            parts.push(format!(
                "isnotempty({}) and {}",
                t.process,
                glob_expr(t.process, g, ".*")
            ));
        }
        Some(ProcessGlob::Basename(g)) => parts.push(format!(
            "isnotempty({}) and {}",
            t.process_file,
            glob_expr(t.process_file, g, ".*")
        )),
    }
    if let Some(net) = &rule.destination {
        // The allowlist tests the address as recorded (the core does not unmap ::ffff: here).
        // coalesce: these functions give null for an address of the other family.
        parts.push(match net {
            IpNet::V4(_) => {
                format!(
                    "coalesce(ipv4_is_in_range({}, {}), false)",
                    t.dst_ip,
                    c_str(&net.to_string())
                )
            }
            IpNet::V6(_) => {
                format!(
                    "coalesce(ipv6_is_in_range({}, {}), false)",
                    t.dst_ip,
                    c_str(&net.to_string())
                )
            }
        });
    }
    if let Some(ports) = &rule.ports {
        parts.push(if let [p] = ports.as_slice() {
            format!("{} == {p}", t.dst_port)
        } else {
            format!("{} in ({})", t.dst_port, number_list(ports))
        });
    }
    parts.join(" and ")
}

fn window_key(a: &Analytic, t: &Table) -> String {
    match a.window_secs {
        Some(w) => format!(
            "Window = bin_at({}, {}, datetime(1970-01-01)), ",
            t.time,
            duration_short(w)
        ),
        None => String::new(),
    }
}

fn finish(out: &mut String) {
    let _ = writeln!(out, "| where Connections >= MinConnections");
    let _ = writeln!(
        out,
        "| extend Analytic = \"pubsub-port\", Technique = \"T1071.005\", SuspicionRank = case(Suspicion == \"high\", 3, Suspicion == \"medium\", 2, 1)"
    );
    let _ = writeln!(out, "| sort by SuspicionRank desc, Connections desc");
    let _ = writeln!(out, "| project-away SuspicionRank");
}

fn defender(out: &mut String, a: &Analytic) {
    let t = &DEFENDER;
    let _ = writeln!(out, "// ===== 1. Microsoft Defender XDR: {} =====", t.name);
    lets(out, a);
    let _ = writeln!(out, "{}", t.name);
    let _ = writeln!(out, "| where {} > ago(LookBack)", t.time);
    let _ = writeln!(
        out,
        "// Succeeded and outbound: ConnectionSuccess is an established connection this device started."
    );
    let _ = writeln!(out, "| where ActionType == \"ConnectionSuccess\"");
    let _ = writeln!(out, "| where {} in (PubSubPorts)", t.dst_port);
    let _ = writeln!(
        out,
        "// TCP (Tcp, TcpV4, TcpV6), or a record that does not say."
    );
    let _ = writeln!(
        out,
        "| where isempty(Protocol) or Protocol startswith \"Tcp\""
    );
    rating(out, a, t);
    let _ = writeln!(
        out,
        "| extend User = iff(isnotempty(InitiatingProcessAccountDomain), strcat(InitiatingProcessAccountDomain, @\"\\\", InitiatingProcessAccountName), InitiatingProcessAccountName)"
    );
    let _ = writeln!(
        out,
        "| summarize Connections = count(), FirstSeen = min({time}), LastSeen = max({time}), Users = make_set_if(User, isnotempty(User), 32), SrcIp = take_any(LocalIP)",
        time = t.time
    );
    let _ = writeln!(
        out,
        "    by {}Host = {}, Process = {}, DstIp = {}, DstPort = {}, Protocol = PubSubProtocol, IsExternal, Suspicion",
        window_key(a, t),
        t.host,
        t.process,
        t.dst_ip,
        t.dst_port
    );
    finish(out);
}

fn sentinel_cef(out: &mut String, a: &Analytic) {
    let t = &SENTINEL_CEF;
    let _ = writeln!(out, "// ===== 2. Microsoft Sentinel: {} =====", t.name);
    lets(out, a);
    let _ = writeln!(out, "{}", t.name);
    let _ = writeln!(out, "| where {} > ago(LookBack)", t.time);
    let _ = writeln!(out, "| where {} in (PubSubPorts)", t.dst_port);
    let _ = writeln!(out, "// TCP, or a record that does not say.");
    let _ = writeln!(
        out,
        "| where isempty(Protocol) or Protocol in~ (\"tcp\", \"6\", \"-\")"
    );
    let _ = writeln!(
        out,
        "// Succeeded: DeviceAction is vendor text; the usual refusals are left out, anything else counts."
    );
    let _ = writeln!(
        out,
        "| where not(DeviceAction in~ (\"deny\", \"denied\", \"drop\", \"dropped\", \"block\", \"blocked\", \"reject\", \"rejected\", \"reset-both\", \"reset-client\", \"reset-server\", \"fail\", \"failed\", \"failure\"))"
    );
    let _ = writeln!(
        out,
        "// Where the device says the direction (0 or Inbound, 1 or Outbound), outbound only."
    );
    let _ = writeln!(
        out,
        "| where not(CommunicationDirection in~ (\"0\", \"inbound\"))"
    );
    let _ = writeln!(
        out,
        "// The host is the source host name, else the source address (firewalls rarely name hosts)."
    );
    let _ = writeln!(
        out,
        "| extend Host = iff(isnotempty(SourceHostName), SourceHostName, SourceIP)"
    );
    let _ = writeln!(
        out,
        "| extend ProcessFileName = extract(@\"([^\\\\/]*)$\", 1, SourceProcessName)"
    );
    rating(out, a, t);
    let _ = writeln!(
        out,
        "| summarize Connections = count(), FirstSeen = min({time}), LastSeen = max({time}), Users = make_set_if(SourceUserName, isnotempty(SourceUserName), 32), BytesSent = sum(SentBytes), BytesReceived = sum(ReceivedBytes), SrcIp = take_any(SourceIP)",
        time = t.time
    );
    let _ = writeln!(
        out,
        "    by {}Host, Process = {}, DstIp = {}, DstPort = {}, Protocol = PubSubProtocol, IsExternal, Suspicion",
        window_key(a, t),
        t.process,
        t.dst_ip,
        t.dst_port
    );
    finish(out);
}
