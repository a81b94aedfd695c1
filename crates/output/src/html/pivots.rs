//! Pivots from an alert back to the packets and to the SIEM: a Wireshark display filter and a
//! BPF capture filter for the channel's flows, the capture packet where packet inspection first
//! saw it, the Zeek uids of the first connections with a command that finds them in every Zeek
//! log of their folder, a Zeek command that lists all the channel's uids, the Community IDs of
//! the first connections as Wireshark, Arkime and Security Onion searches, and KQL (Microsoft Defender / Sentinel) and SPL (Splunk, CIM Network_Traffic) queries
//! for the host's channel and for every host reaching the same destination. Values are quoted
//! for each language, so a name with a quote cannot change a query.

use pubsub_hunt_core::Alert;
use std::net::IpAddr;

/// One pivot: what it is for, and the text to paste.
pub(crate) struct Pivot {
    pub label: &'static str,
    pub text: String,
}

/// A double-quoted string for KQL or SPL: both take `\"` and `\\` inside double quotes.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A single-quoted shell word.
fn shell(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn ws_addr(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("ip.addr == {ip}"),
        IpAddr::V6(_) => format!("ipv6.addr == {ip}"),
    }
}

/// Whether the host field names a machine (rather than being the initiator's address).
fn host_is_name(a: &Alert) -> bool {
    a.host.parse::<IpAddr>().is_err()
}

pub(crate) fn pivots(a: &Alert) -> Vec<Pivot> {
    let mut v = Vec::new();
    let dst = a.dst_ip;
    let port = a.dst_port;
    let ws = match a.src_ip {
        Some(src) => format!("{} && {} && tcp.port == {port}", ws_addr(src), ws_addr(dst)),
        None => format!("{} && tcp.port == {port}", ws_addr(dst)),
    };
    v.push(Pivot {
        label: "Wireshark display filter (the channel's flows)",
        text: ws,
    });
    let bpf = match a.src_ip {
        Some(src) => format!("host {src} and host {dst} and tcp port {port}"),
        None => format!("host {dst} and tcp port {port}"),
    };
    v.push(Pivot {
        label: "BPF capture filter (tcpdump -w channel.pcap …)",
        text: bpf,
    });
    if let Some(first) = a.app.as_ref().and_then(|app| app.first_packet.as_ref()) {
        v.push(Pivot {
            label: "Wireshark: the packet where inspection first saw the session",
            text: format!("frame.number == {}    (in {})", first.line, first.file),
        });
    }
    v.extend(uid_pivots(a));
    if let Some(zeek) = zeek_pivot(a) {
        v.push(zeek);
    }
    v.extend(community_pivots(a));
    let host_kql = if host_is_name(a) {
        format!("DeviceName =~ {}", quoted(&a.host))
    } else {
        format!("LocalIP == {}", quoted(&a.host))
    };
    v.push(Pivot {
        label: "KQL (Defender / Sentinel): this host's channel",
        text: format!(
            "DeviceNetworkEvents\n| where {host_kql}\n| where RemoteIP == {} and RemotePort == {port}\n\
             | project Timestamp, DeviceName, InitiatingProcessFileName, InitiatingProcessCommandLine, \
             InitiatingProcessAccountName, LocalIP, LocalPort, RemoteIP, RemotePort, RemoteUrl\n\
             | order by Timestamp asc",
            quoted(&dst.to_string())
        ),
    });
    v.push(Pivot {
        label: "KQL: every host reaching this destination",
        text: format!(
            "DeviceNetworkEvents\n| where RemoteIP == {} and RemotePort == {port}\n\
             | summarize connections = count(), first = min(Timestamp), last = max(Timestamp) \
             by DeviceName, InitiatingProcessFileName\n| order by connections desc",
            quoted(&dst.to_string())
        ),
    });
    let src_spl = match a.src_ip {
        Some(src) => format!("All_Traffic.src={} ", quoted(&src.to_string())),
        None => String::new(),
    };
    v.push(Pivot {
        label: "SPL (Splunk CIM Network_Traffic): this host's channel",
        text: format!(
            "| tstats count min(_time) as first max(_time) as last from datamodel=Network_Traffic \
             where {src_spl}All_Traffic.dest={} All_Traffic.dest_port={port} by All_Traffic.src \
             All_Traffic.dest All_Traffic.app _time span=1h",
            quoted(&dst.to_string())
        ),
    });
    v.push(Pivot {
        label: "SPL: every host reaching this destination",
        text: format!(
            "| tstats count min(_time) as first max(_time) as last from datamodel=Network_Traffic \
             where All_Traffic.dest={} All_Traffic.dest_port={port} by All_Traffic.src \
             | sort - count",
            quoted(&dst.to_string())
        ),
    });
    v
}

/// The Zeek uids of the first connections: the list, and a `grep` over every log in the folder
/// of the log that had them (conn.log's uid is the connection's name in ssl.log, files.log, the
/// MQTT logs…), with the conn.log lines cut to the tuple by `zeek-cut` for a TSV log.
fn uid_pivots(a: &Alert) -> Vec<Pivot> {
    let with_uid: Vec<&pubsub_hunt_core::FlowRef> =
        a.flows.iter().filter(|f| f.uid.is_some()).collect();
    let Some(file) = with_uid.iter().find_map(|f| f.file.as_deref()) else {
        return Vec::new();
    };
    let uids: Vec<&str> = with_uid.iter().filter_map(|f| f.uid.as_deref()).collect();
    let patterns: Vec<String> = uids.iter().map(|u| format!("-e {}", shell(u))).collect();
    let patterns = patterns.join(" ");
    let dir = std::path::Path::new(file)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| ".".into());
    let mut v = vec![Pivot {
        label: "Zeek uids of the first connections",
        text: uids.join("\n"),
    }];
    if !a.source_format.contains("zeek-json") {
        v.push(Pivot {
            label: "Zeek: these connections in the conn.log",
            text: format!(
                "zeek-cut -d ts uid id.orig_h id.orig_p id.resp_h id.resp_p < {} | grep -F {patterns}",
                shell(file)
            ),
        });
    }
    v.push(Pivot {
        label: "Zeek: these connections in every log of the folder (ssl, files, MQTT…)",
        text: format!("grep -F {patterns} {}/*.log", shell(&dir)),
    });
    v
}

/// The Community IDs of the first connections, as searches in the tools that index them.
fn community_pivots(a: &Alert) -> Vec<Pivot> {
    let ids: Vec<&str> = a
        .flows
        .iter()
        .filter_map(|f| f.community_id.as_deref())
        .collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let any = |field: &str, op: &str| -> String {
        ids.iter()
            .map(|c| format!("{field}{op}{}", quoted(c)))
            .collect::<Vec<_>>()
            .join(" || ")
    };
    vec![
        Pivot {
            label: "Community IDs of the first connections",
            text: ids.join("\n"),
        },
        Pivot {
            label: "Wireshark display filter (enable the Community ID Flow Hashing protocol)",
            text: any("communityid", " == "),
        },
        Pivot {
            label: "Arkime search",
            text: any("communityId", " == "),
        },
        Pivot {
            label: "Security Onion / Kibana (ECS network.community_id)",
            text: format!(
                "network.community_id:({})",
                ids.iter()
                    .map(|c| quoted(c))
                    .collect::<Vec<_>>()
                    .join(" OR ")
            ),
        },
    ]
}

/// Every uid of the channel, listed from the log: the alert keeps only the first few.
fn zeek_pivot(a: &Alert) -> Option<Pivot> {
    let file = a
        .flows
        .iter()
        .find(|f| f.uid.is_some())
        .and_then(|f| f.file.clone())
        .or_else(|| a.samples.first().map(|s| s.file.to_string()))
        .unwrap_or_else(|| "conn.log".into());
    let dst = a.dst_ip.to_string();
    let port = a.dst_port;
    if a.source_format.contains("zeek-json") {
        let src = a
            .src_ip
            .map(|s| format!("and .\"id.orig_h\" == \"{s}\" "))
            .unwrap_or_default();
        let filter = format!(
            "select(.\"id.resp_h\" == \"{dst}\" and .\"id.resp_p\" == {port} {src}) | \
             [.ts, .uid, .community_id] | @tsv"
        );
        return Some(Pivot {
            label: "Zeek JSON: all the channel's uids and community_id",
            text: format!("jq -r {} {}", shell(&filter), shell(&file)),
        });
    }
    if a.source_format.contains("zeek") {
        let src = a
            .src_ip
            .map(|s| format!(" && $3 == \"{s}\""))
            .unwrap_or_default();
        let awk = format!("$5 == \"{dst}\" && $6 == \"{port}\"{src}");
        return Some(Pivot {
            label: "Zeek: all the channel's uids (add community_id if the log has the column)",
            text: format!(
                "zeek-cut -d ts uid id.orig_h id.orig_p id.resp_h id.resp_p < {} | awk -F'\\t' {}",
                shell(&file),
                shell(&awk)
            ),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_cannot_escape_a_string() {
        assert_eq!(quoted(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(quoted("a\nb"), "\"a b\"");
        assert_eq!(shell("it's"), "'it'\\''s'");
    }
}
