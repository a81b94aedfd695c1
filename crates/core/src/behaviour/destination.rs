//! Destination evidence (ATT&CK AN0005): server names (TLS SNI, XMPP stream `to`, HTTP Host, DNS
//! answers) that are public free brokers, public XMPP servers, dynamic-DNS or tunnel names, or
//! cloud IoT endpoints; and the known-benign destination classes the default allowlist is built
//! from ([`DEFAULT_ALLOW_HINTS`]), kept as data so the lead can turn them into allowlist entries.
//!
//! Lists and their confidence are in docs/destinations.md; entries from unconfirmed sources are
//! listed for scoring (a risk modifier, never a verdict on its own) but should be checked before
//! they are used to **suppress** anything. A public broker is a risk modifier because browsers and
//! demo apps use them too (docs/destinations.md, public MQTT brokers); the process signal is what
//! makes it count.

use super::{MAX_SCORED_BYTES, Signal, Weights, capped};
use crate::signal::SignalId;
use ipnet::IpNet;
use std::net::IpAddr;

/// Public, free MQTT brokers: (name, note). A name matches itself and its subdomains.
pub const PUBLIC_BROKERS: &[(&str, &str)] = &[
    ("broker.hivemq.com", "HiveMQ public broker"),
    ("broker.mqttdashboard.com", "HiveMQ public broker (alias)"),
    ("test.mosquitto.org", "Eclipse Mosquitto test broker"),
    (
        "broker.emqx.io",
        "EMQX public broker (WailingCrab's C2 broker per IBM X-Force)",
    ),
    ("broker-cn.emqx.io", "EMQX public broker (China)"),
    ("mqtt.eclipseprojects.io", "Eclipse public broker"),
    ("iot.eclipse.org", "Eclipse public broker (former name)"),
    ("public.mqtthq.com", "MQTTHQ public broker"),
    ("broker.mqtt.cool", "MQTT.Cool public broker"),
    ("public.cloud.shiftr.io", "shiftr.io public broker"),
    ("mqtt.flespi.io", "flespi broker (free token)"),
    ("io.adafruit.com", "Adafruit IO (free account)"),
    ("mqtt.thingspeak.com", "ThingSpeak broker"),
    ("cloudmqtt.com", "CloudMQTT (closed service)"),
    ("studio-mqtt.heclouds.com", "China Mobile OneNET broker"),
];

/// Public XMPP servers (docs/destinations.md, public XMPP servers; unconfirmed as a list).
pub const PUBLIC_XMPP_SERVERS: &[&str] = &[
    "jabber.org",
    "xmpp.jp",
    "jabber.ru",
    "exploit.im",
    "thesecure.biz",
    "jabb.im",
    "xmpp.is",
    "404.city",
    "conversations.im",
    "jabber.calyxinstitute.org",
    "jabber.hot-chilli.net",
    "yax.im",
    "jabber.de",
    "jabber.at",
    "jabber.ccc.de",
];

/// Retired XMPP chat services: (domain, note). Google Talk's XMPP service (accounts `@gmail.com`,
/// server `talk.google.com`) ended in June 2022 and Facebook's XMPP chat API in April 2015, so no
/// chat client speaks XMPP to them any more; GLOOXMAIL (APT1) used Google Talk
/// (docs/destinations.md, retired chat services).
pub const RETIRED_XMPP_SERVICES: &[(&str, &str)] = &[
    ("talk.google.com", "Google Talk XMPP (ended 2022)"),
    ("gmail.com", "Google Talk XMPP accounts (ended 2022)"),
    ("googlemail.com", "Google Talk XMPP accounts (ended 2022)"),
    ("chat.facebook.com", "Facebook chat XMPP API (closed 2015)"),
];

/// `retired_chat_service` for a name an **XMPP** session announced (the same names are normal for
/// web and mail traffic).
pub fn score_retired_xmpp_name(name: &str, w: &Weights) -> Option<Signal> {
    let n = normalize_name(name);
    RETIRED_XMPP_SERVICES
        .iter()
        .find(|(d, _)| within(&n, d))
        .map(|(d, note)| {
            Signal::new(
                SignalId::RetiredChatService,
                w.retired_chat_service,
                format!("XMPP to `{n}` (`{d}`): {note}; no chat client works there any more"),
            )
        })
}

/// Dynamic-DNS parent domains (a subset of `stamparm/maltrail` `dynamic_domain.txt`;
/// docs/destinations.md, dynamic-DNS parents). Only names **below** them count: the provider's
/// own site is not dynamic.
pub const DYNAMIC_DNS_SUFFIXES: &[&str] = &[
    "ddns.net",
    "hopto.org",
    "zapto.org",
    "sytes.net",
    "no-ip.com",
    "no-ip.org",
    "no-ip.biz",
    "no-ip.info",
    "no-ip.net",
    "noip.me",
    "servebeer.com",
    "serveftp.com",
    "servehttp.com",
    "serveblog.net",
    "servegame.com",
    "myftp.biz",
    "myftp.org",
    "redirectme.net",
    "myvnc.com",
    "duckdns.org",
    "dyndns.org",
    "dyndns.info",
    "dyndns.tv",
    "homeip.net",
    "is-a-geek.com",
    "is-a-geek.org",
    "is-a-geek.net",
    "dynu.net",
    "dynu.com",
    "changeip.com",
    "changeip.net",
    "3322.org",
    "dlinkddns.com",
    "dahuaddns.com",
    "mooo.com",
    "chickenkiller.com",
    "dnsalias.com",
    "dnsalias.net",
    "dnsalias.org",
    "gotdns.com",
    "selfip.com",
    "freeddns.org",
    "ddnsking.com",
    "publicvm.com",
    "linkpc.net",
    "dynv6.net",
    "accesscam.org",
    "camdvr.org",
];

/// Tunnelling services that expose a local port under their name (docs/destinations.md,
/// tunnelling services; unconfirmed as a list).
pub const TUNNEL_SUFFIXES: &[&str] = &[
    "ngrok.io",
    "ngrok-free.app",
    "ngrok.app",
    "ngrok-free.dev",
    "trycloudflare.com",
    "serveo.net",
    "loca.lt",
    "localhost.run",
    "pinggy.link",
];

/// What an allowlist hint matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowKind {
    /// A server name equal to the pattern or below it.
    NameSuffix,
    /// An address inside the CIDR block.
    Cidr,
}

/// One known-benign destination class, scored here (`known_benign_destination`) and turned into
/// default allowlist entries (`crate::allowlist`): what to match, how, on which destination ports
/// (empty: any) and the reason shown when it suppresses or lowers something. Known-benign clients
/// and topics (chat programs, agents, device client ids, Celery heartbeats) are not destinations:
/// the allowlist's own table holds them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowHint {
    pub pattern: &'static str,
    pub kind: AllowKind,
    pub ports: &'static [u16],
    pub reason: &'static str,
}

const fn hint(
    pattern: &'static str,
    kind: AllowKind,
    ports: &'static [u16],
    reason: &'static str,
) -> AllowHint {
    AllowHint {
        pattern,
        kind,
        ports,
        reason,
    }
}

/// Known-benign destinations (docs/destinations.md, known-benign destinations; docs/allowlist.md,
/// default classes).
pub const DEFAULT_ALLOW_HINTS: &[AllowHint] = &[
    hint(
        "push.apple.com",
        AllowKind::NameSuffix,
        &[5223, 443, 2197],
        "Apple Push Notification service (persistent TLS on 5223, the legacy XMPP-over-TLS port)",
    ),
    hint(
        "17.0.0.0/8",
        AllowKind::Cidr,
        &[5223, 443, 2197],
        "Apple's address block: Apple Push Notification service on 5223",
    ),
    hint(
        "mtalk.google.com",
        AllowKind::NameSuffix,
        &[5228, 5229, 5230, 443],
        "Google Firebase Cloud Messaging (MCS, derived from XMPP) used by Chrome and Android",
    ),
    hint(
        "chat.si.riotgames.com",
        AllowKind::NameSuffix,
        &[5223],
        "Riot Games chat (League of Legends, Valorant): XMPP over TLS on 5223",
    ),
    hint(
        "pvp.net",
        AllowKind::NameSuffix,
        &[5223],
        "Riot Games chat domain (XMPP)",
    ),
    hint(
        "ol.epicgames.com",
        AllowKind::NameSuffix,
        &[5222, 443],
        "Epic Games launcher and Fortnite XMPP chat (pings every 60 s by design)",
    ),
    hint(
        "edge-mqtt.facebook.com",
        AllowKind::NameSuffix,
        &[443],
        "Facebook Messenger / Instagram MQTT over TLS",
    ),
    hint(
        "mqtt-mini.facebook.com",
        AllowKind::NameSuffix,
        &[443],
        "Facebook Messenger MQTT over TLS",
    ),
    hint(
        "whatsapp.net",
        AllowKind::NameSuffix,
        &[5222, 443],
        "WhatsApp chat (FunXMPP)",
    ),
];

/// A server name for matching: trimmed, lower case, without a trailing dot or `:port`.
pub fn normalize_name(name: &str) -> String {
    let mut n = capped(name.trim(), MAX_SCORED_BYTES).to_ascii_lowercase();
    if let Some((host, port)) = n.rsplit_once(':')
        && !host.contains(':')
        && !port.is_empty()
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        n.truncate(host.len());
    }
    while n.ends_with('.') {
        n.pop();
    }
    n
}

/// Whether `s` is a DNS name: letters, digits, `-` and `_` in dot-separated labels of 1–63
/// bytes, at least two labels, not an address (its last label has a letter). Sessions announce
/// other things where a server name may go (an AMQP or STOMP virtual host such as `/`, a NATS
/// server's id, `localhost`), which every client of every server may share: counted as a
/// destination, such a value would make a lone implant's server look like a service many hosts
/// share. A firewall list or Zeek takes only such names too.
pub fn is_domain_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    if s.len() > 253 || s.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_alphabetic()))
}

/// `name` is `suffix` or a subdomain of it (both normalised).
fn within(name: &str, suffix: &str) -> bool {
    name == suffix
        || name
            .strip_suffix(suffix)
            .is_some_and(|head| head.ends_with('.'))
}

/// `name` is strictly below `suffix`.
fn below(name: &str, suffix: &str) -> bool {
    name != suffix && within(name, suffix)
}

/// Which cloud IoT service a name belongs to, if any: (service, retired).
pub fn cloud_iot_service(name: &str) -> Option<(&'static str, bool)> {
    let n = normalize_name(name);
    let labels: Vec<&str> = n.split('.').collect();
    let aws_iot = |tail: usize| {
        labels.len() >= tail + 2 && labels.get(labels.len() - tail - 2) == Some(&"iot")
    };
    if (n.ends_with(".amazonaws.com") && aws_iot(2))
        || (n.ends_with(".amazonaws.com.cn") && aws_iot(3))
    {
        return Some(("AWS IoT Core", false));
    }
    for (suffix, service) in [
        ("azure-devices.net", "Azure IoT Hub"),
        (
            "azure-devices-provisioning.net",
            "Azure IoT Hub Device Provisioning",
        ),
        ("ts.eventgrid.azure.net", "Azure Event Grid MQTT broker"),
    ] {
        if below(&n, suffix) {
            return Some((service, false));
        }
    }
    for suffix in ["mqtt.googleapis.com", "mqtt.2030.ltsapis.goog"] {
        if within(&n, suffix) {
            return Some(("Google Cloud IoT Core (retired 2023-08-16)", true));
        }
    }
    None
}

/// The public broker a destination name belongs to (its listed name), if it is one: a broker
/// anyone can publish to without an account, where the topics, not the server, say whose
/// channel it is.
pub fn public_broker(name: &str) -> Option<&'static str> {
    public_broker_entry(&normalize_name(name)).map(|(b, _)| *b)
}

/// The names the public brokers are listed under ([`PUBLIC_BROKERS`]): a name that is one of
/// them or their subdomain holds it, so a reader's prefilter can pass the lines naming them.
pub fn public_broker_names() -> impl Iterator<Item = &'static str> {
    PUBLIC_BROKERS.iter().map(|(b, _)| *b)
}

/// The [`PUBLIC_BROKERS`] entry (name, note) a normalised name belongs to.
fn public_broker_entry(n: &str) -> Option<&'static (&'static str, &'static str)> {
    PUBLIC_BROKERS.iter().find(|(b, _)| within(n, b))
}

/// Signals for a destination server name (SNI, XMPP `to`, Host header).
pub fn score_server_name(name: &str, w: &Weights) -> Vec<Signal> {
    let n = normalize_name(name);
    let mut out = Vec::new();
    if n.is_empty() {
        return out;
    }
    if let Some((broker, note)) = public_broker_entry(&n) {
        out.push(Signal::new(
            SignalId::PublicBroker,
            w.public_broker,
            format!(
                "destination `{n}` is a public broker anyone can publish to ({note}, `{broker}`): \
                 it hides who controls the channel; browsers and demo apps also use it"
            ),
        ));
    }
    if let Some(server) = PUBLIC_XMPP_SERVERS.iter().find(|s| within(&n, s)) {
        out.push(Signal::new(
            SignalId::PublicXmppServer,
            w.public_xmpp_server,
            format!("destination `{n}` is a public XMPP server (`{server}`) where anyone can register an account"),
        ));
    }
    if let Some(suffix) = DYNAMIC_DNS_SUFFIXES.iter().find(|s| below(&n, s)) {
        out.push(Signal::new(
            SignalId::DynamicDns,
            w.dynamic_dns,
            format!("destination `{n}` is a dynamic-DNS name under `{suffix}`"),
        ));
    }
    if let Some(suffix) = TUNNEL_SUFFIXES.iter().find(|s| below(&n, s)) {
        out.push(Signal::new(
            SignalId::TunnelService,
            w.tunnel_service,
            format!("destination `{n}` is a tunnelling service name under `{suffix}`"),
        ));
    }
    match cloud_iot_service(&n) {
        Some((service, true)) => out.push(Signal::new(
            SignalId::RetiredCloudIot,
            w.retired_cloud_iot,
            format!("destination `{n}` belongs to {service}: no legitimate traffic remains"),
        )),
        Some((service, false)) => out.push(Signal::new(
            SignalId::CloudIotEndpoint,
            w.cloud_iot_endpoint,
            format!(
                "destination `{n}` is a {service} endpoint: normal for IoT gateways, unusual for \
                 other hosts (an attacker's own cloud account looks the same)"
            ),
        )),
        None => {}
    }
    if let Some(h) = allow_hint_for_name(&n, None) {
        out.push(known_benign_signal(h, &n, w));
    }
    out
}

/// The default hint matching a server name (and port, when known), if any.
pub fn allow_hint_for_name(name: &str, port: Option<u16>) -> Option<&'static AllowHint> {
    let n = normalize_name(name);
    DEFAULT_ALLOW_HINTS
        .iter()
        .find(|h| h.kind == AllowKind::NameSuffix && within(&n, h.pattern) && port_ok(h, port))
}

/// The default hint whose CIDR block holds `ip` (and whose ports include `port`, when known).
pub fn allow_hint_for_ip(ip: IpAddr, port: Option<u16>) -> Option<&'static AllowHint> {
    DEFAULT_ALLOW_HINTS.iter().find(|h| {
        h.kind == AllowKind::Cidr
            && h.pattern
                .parse::<IpNet>()
                .is_ok_and(|net| net.contains(&ip))
            && port_ok(h, port)
    })
}

fn port_ok(h: &AllowHint, port: Option<u16>) -> bool {
    match port {
        Some(p) => h.ports.is_empty() || h.ports.contains(&p),
        None => true,
    }
}

/// The `known_benign_destination` signal for a matched hint; `what` names the matched value.
pub fn known_benign_signal(h: &AllowHint, what: &str, w: &Weights) -> Signal {
    Signal::new(
        SignalId::KnownBenignDestination,
        w.known_benign_destination,
        format!(
            "destination `{}` matches `{}`: {}",
            capped(what, MAX_SCORED_BYTES),
            h.pattern,
            h.reason
        ),
    )
}

/// `known_benign_destination` for an address on a port, from the CIDR hints.
pub fn score_destination_ip(ip: IpAddr, port: u16, w: &Weights) -> Option<Signal> {
    allow_hint_for_ip(ip, Some(port)).map(|h| known_benign_signal(h, &format!("{ip}:{port}"), w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(name: &str) -> Vec<&'static str> {
        score_server_name(name, &Weights::default())
            .iter()
            .map(|s| s.id.as_str())
            .collect()
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_name(" Broker.EMQX.io.:8883 "), "broker.emqx.io");
        // An IPv6 literal is not a name; its colons are left alone.
        assert_eq!(normalize_name("[::1]:80"), "[::1]:80");
        assert_eq!(normalize_name("fe80::1"), "fe80::1");
    }

    #[test]
    fn only_dns_names_name_a_server() {
        for n in [
            "broker.emqx.io",
            "a1-ats.iot.eu-west-1.amazonaws.com",
            "_xmpp.example.org",
        ] {
            assert!(is_domain_name(n), "{n}");
        }
        for n in [
            "/",
            "vhost:/",
            "localhost",
            "",
            "a..b",
            ".example.org",
            "prod vhost.x",
        ] {
            assert!(!is_domain_name(n), "{n}");
        }
    }

    #[test]
    fn public_brokers_and_servers() {
        assert_eq!(ids("broker.emqx.io"), ["public_broker"]);
        assert_eq!(ids("BROKER.HIVEMQ.COM"), ["public_broker"]);
        assert_eq!(ids("test.mosquitto.org:1883"), ["public_broker"]);
        assert_eq!(ids("m12.cloudmqtt.com"), ["public_broker"]);
        assert!(ids("notbroker.emqx.io.example.com").is_empty());
        assert!(
            ids("evilbroker.emqx.io").is_empty(),
            "suffix must align on a label"
        );
        assert_eq!(ids("jabber.ru"), ["public_xmpp_server"]);
        // Google Talk is retired: it is judged for XMPP sessions only.
        assert!(ids("talk.google.com").is_empty());
        let w = Weights::default();
        assert!(score_retired_xmpp_name("gmail.com", &w).is_some());
        assert!(score_retired_xmpp_name("talk.google.com.", &w).is_some());
        assert!(score_retired_xmpp_name("mail.example.com", &w).is_none());
        assert!(score_retired_xmpp_name("notgmail.com", &w).is_none());
        let s = score_server_name("broker.emqx.io", &Weights::default());
        assert!(s[0].reason.contains("WailingCrab"));
    }

    #[test]
    fn dynamic_dns_and_tunnels() {
        assert_eq!(ids("c2.ddns.net"), ["dynamic_dns"]);
        assert_eq!(ids("x.duckdns.org"), ["dynamic_dns"]);
        assert!(
            ids("duckdns.org").is_empty(),
            "the provider's own site is not dynamic"
        );
        assert_eq!(ids("abc123.ngrok-free.app"), ["tunnel_service"]);
        assert_eq!(ids("x.trycloudflare.com"), ["tunnel_service"]);
    }

    #[test]
    fn cloud_iot() {
        assert_eq!(
            ids("a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com"),
            ["cloud_iot_endpoint"]
        );
        assert_eq!(
            ids("abc.iot.cn-north-1.amazonaws.com.cn"),
            ["cloud_iot_endpoint"]
        );
        assert!(ids("s3.us-east-1.amazonaws.com").is_empty());
        assert!(ids("iot.amazonaws.com").is_empty());
        assert_eq!(ids("myhub.azure-devices.net"), ["cloud_iot_endpoint"]);
        assert_eq!(ids("mqtt.googleapis.com"), ["retired_cloud_iot"]);
        assert_eq!(
            cloud_iot_service("myhub.azure-devices.net"),
            Some(("Azure IoT Hub", false))
        );
    }

    #[test]
    fn benign_hints() {
        assert_eq!(
            ids("1-courier.push.apple.com"),
            ["known_benign_destination"]
        );
        assert_eq!(
            ids("euw1.chat.si.riotgames.com"),
            ["known_benign_destination"]
        );
        let h = allow_hint_for_name("mtalk.google.com", Some(5228)).unwrap();
        assert!(h.reason.contains("Firebase"));
        assert!(allow_hint_for_name("mtalk.google.com", Some(1883)).is_none());
        let apple: IpAddr = "17.57.146.20".parse().unwrap();
        let s = score_destination_ip(apple, 5223, &Weights::default()).unwrap();
        assert_eq!(s.weight, Weights::default().known_benign_destination);
        assert!(s.reason.contains("17.0.0.0/8"));
        assert!(score_destination_ip(apple, 1883, &Weights::default()).is_none());
        assert!(
            score_destination_ip("18.1.1.1".parse().unwrap(), 5223, &Weights::default()).is_none()
        );
    }

    #[test]
    fn every_cidr_hint_parses_and_patterns_are_normalised() {
        for h in DEFAULT_ALLOW_HINTS {
            if h.kind == AllowKind::Cidr {
                assert!(h.pattern.parse::<IpNet>().is_ok(), "{}", h.pattern);
            }
            assert_eq!(h.pattern, h.pattern.to_ascii_lowercase(), "{}", h.pattern);
            assert!(!h.reason.is_empty());
        }
        for list in [PUBLIC_XMPP_SERVERS, DYNAMIC_DNS_SUFFIXES, TUNNEL_SUFFIXES] {
            for s in list {
                assert_eq!(normalize_name(s), *s);
            }
        }
    }

    proptest! {
        #[test]
        fn never_panics(name in ".{0,1200}") {
            let _ = score_server_name(&name, &Weights::default());
            let _ = cloud_iot_service(&name);
        }
    }
}
