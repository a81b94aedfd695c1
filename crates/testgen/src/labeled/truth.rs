//! The ground truth of a labeled scenario (`truth.json`): every channel with its label,
//! category, protocol, endpoints and connection count, and whether each source type can reveal
//! it, with the reason.
//!
//! The revealability rule is about evidence, not about any engine: conn logs and Sysmon carry
//! no content, so they can only point at a channel by its port (pubsub-hunt's default standard
//! ports); a capture shows the port and any bytes that identify the protocol (cleartext on any
//! port, the WebSocket subprotocol, a pub/sub TLS ALPN, an XMPP stream header before STARTTLS).
//! A TLS channel off the standard ports with neither is unrevealable everywhere. The ssl.log
//! beside the conn.log adds the TLS server name, which names the server but is no protocol
//! evidence, so the Zeek rule stays port-based. Every analytic also needs at least two
//! connections in a group (the default `min_connections`).

use super::model::{AppProtocol, Carrier, Channel, Label, Scenario, standard_port};
use super::session::Connection;
use crate::time::iso8601;
use serde::Serialize;

/// Pub/sub ALPN values (as pubsub-hunt's TLS dissector maps them).
pub const PUBSUB_ALPN: [&str; 7] = [
    "mqtt",
    "x-amzn-mqtt-ca",
    "mqtt-ws",
    "xmpp-client",
    "xmpp-server",
    "amqp",
    "stomp",
];

/// Whether one source type can reveal a channel, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reveal {
    pub revealable: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revealability {
    pub zeek: Reveal,
    pub sysmon: Reveal,
    pub pcap: Reveal,
}

/// One channel in `truth.json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TruthChannel {
    pub id: String,
    pub label: Label,
    pub category: &'static str,
    pub description: String,
    pub protocol: &'static str,
    pub carrier: String,
    pub host: String,
    pub os: super::model::Os,
    pub image: String,
    pub user: String,
    pub src_ip: String,
    pub dst_ip: String,
    pub dst_port: u16,
    pub dns_name: String,
    pub client_id: String,
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
    pub timing: super::model::Timing,
    pub connections: usize,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    /// True when no source type can reveal the channel.
    pub unrevealable: bool,
    pub revealable: Revealability,
}

/// The whole document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Truth {
    pub generator: &'static str,
    pub seed: u64,
    pub start: String,
    pub end: String,
    pub hours: f64,
    pub files: [&'static str; 4],
    pub channels: Vec<TruthChannel>,
}

fn yes(reason: String) -> Reveal {
    Reveal {
        revealable: true,
        reason,
    }
}

fn no(reason: String) -> Reveal {
    Reveal {
        revealable: false,
        reason,
    }
}

pub fn carrier_name(c: &Carrier) -> String {
    match c {
        Carrier::Cleartext => "cleartext".into(),
        Carrier::WebSocket { path } => format!("websocket {path} (subprotocol mqtt)"),
        Carrier::Tls { alpn } if alpn.is_empty() => "tls (no alpn)".into(),
        Carrier::Tls { alpn } => format!("tls alpn {}", alpn.join(",")),
        Carrier::StartTls => "xmpp starttls".into(),
    }
}

/// What each source type can reveal of a channel that opened `connections` connections.
pub fn revealability(ch: &Channel, connections: usize) -> Revealability {
    if connections < 2 {
        let r = || {
            no(format!(
                "{connections} connection(s), below min_connections 2"
            ))
        };
        return Revealability {
            zeek: r(),
            sysmon: r(),
            pcap: r(),
        };
    }
    let port = ch.dst_port;
    let by_port = standard_port(port);
    let log = |what: &str| match by_port {
        Some(p) => yes(format!("port {port} is a standard {p} port")),
        None => no(format!(
            "port {port} is not a standard pub/sub port and {what} has no content"
        )),
    };
    let zeek = log("conn.log");
    let sysmon = if ch.host.os.has_sysmon() {
        log("Sysmon event 3")
    } else {
        no(format!(
            "{} runs no Sysmon ({:?})",
            ch.host.name, ch.host.os
        ))
    };
    let pcap = match (by_port, &ch.carrier) {
        (Some(p), _) => yes(format!("port {port} is a standard {p} port")),
        (None, Carrier::Cleartext) if ch.protocol != AppProtocol::Opaque => yes(format!(
            "cleartext {} bytes on port {port}",
            ch.protocol.name()
        )),
        (None, Carrier::WebSocket { .. }) => {
            yes(format!("WebSocket subprotocol mqtt on port {port}"))
        }
        (None, Carrier::StartTls) => yes("XMPP stream header before STARTTLS".into()),
        (None, Carrier::Tls { alpn }) => match alpn.iter().find(|a| PUBSUB_ALPN.contains(a)) {
            Some(a) => yes(format!("TLS ALPN {a} on port {port}")),
            None => no(format!(
                "TLS on port {port} without a pub/sub ALPN; the SNI {} is no protocol evidence",
                ch.dns_name
            )),
        },
        (None, Carrier::Cleartext) => no(format!("no pub/sub bytes on port {port}")),
    };
    Revealability { zeek, sysmon, pcap }
}

/// Builds the truth document.
pub fn truth(scenario: &Scenario, conns: &[Connection]) -> Truth {
    let counts = super::session::connections_per_channel(scenario, conns);
    let channels = scenario
        .channels
        .iter()
        .enumerate()
        .map(|(i, ch)| {
            let n = counts.get(i).copied().unwrap_or(0);
            let mine = conns.iter().filter(|c| c.channel == i);
            let first = mine.clone().map(|c| c.start).min();
            let last = mine.map(|c| c.start).max();
            let revealable = revealability(ch, n);
            TruthChannel {
                id: ch.id.clone(),
                label: ch.label,
                category: ch.category,
                description: ch.description.clone(),
                protocol: ch.protocol.name(),
                carrier: carrier_name(&ch.carrier),
                host: ch.host.name.clone(),
                os: ch.host.os,
                image: ch.image.clone(),
                user: ch.user.clone(),
                src_ip: ch.host.ip.to_string(),
                dst_ip: ch.dst_ip.to_string(),
                dst_port: ch.dst_port,
                dns_name: ch.dns_name.clone(),
                client_id: ch.client_id.clone(),
                publish: ch.publish.clone(),
                subscribe: ch.subscribe.clone(),
                timing: ch.timing.clone(),
                connections: n,
                first_seen: first.map(iso8601),
                last_seen: last.map(iso8601),
                unrevealable: !(revealable.zeek.revealable
                    || revealable.sysmon.revealable
                    || revealable.pcap.revealable),
                revealable,
            }
        })
        .collect();
    Truth {
        generator: "pubsub-hunt-testgen labeled",
        seed: scenario.seed,
        start: iso8601(scenario.start),
        end: iso8601(scenario.end()),
        hours: scenario.span_secs / 3600.0,
        files: ["capture.pcap", "sysmon.json", "conn.log", "ssl.log"],
        channels,
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::Scenario;
    use super::super::session::simulate;
    use super::*;

    #[test]
    fn the_opaque_443_channel_is_the_only_unrevealable_c2() {
        let s = Scenario::generate(2, 24.0);
        let t = truth(&s, &simulate(&s));
        let hidden: Vec<&str> = t
            .channels
            .iter()
            .filter(|c| c.label == Label::C2 && c.unrevealable)
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(hidden, ["c2-443-opaque"]);
        let by_id = |id: &str| {
            t.channels
                .iter()
                .find(|c| c.id == id)
                .expect("channel present")
        };
        let ws = by_id("c2-80-websocket");
        assert!(ws.revealable.pcap.revealable && !ws.revealable.zeek.revealable);
        let alpn = by_id("c2-443-alpn-mqtt");
        assert!(alpn.revealable.pcap.revealable && !alpn.revealable.sysmon.revealable);
        let mac = by_id("apple-push-mac");
        assert!(!mac.revealable.sysmon.revealable && mac.revealable.zeek.revealable);
    }
}
