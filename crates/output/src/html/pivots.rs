//! Pivots from an alert back to the packets and to the SIEM: a Wireshark display filter and a
//! BPF capture filter for the channel's flows, the capture packet where packet inspection first
//! saw it, a Zeek command that lists the channel's uids (and community_id, where the log has
//! it), and KQL (Microsoft Defender / Sentinel) and SPL (Splunk, CIM Network_Traffic) queries
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
    if let Some(zeek) = zeek_pivot(a) {
        v.push(zeek);
    }
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

/// The alert keeps no Zeek uids (it summarises a channel, not its connections); for a Zeek
/// source this lists them from the log the first sample came from.
fn zeek_pivot(a: &Alert) -> Option<Pivot> {
    let file = a
        .samples
        .first()
        .map(|s| s.file.to_string())
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
            label: "Zeek JSON: the channel's uids and community_id",
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
            label: "Zeek: the channel's uids (add community_id if the log has the column)",
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
