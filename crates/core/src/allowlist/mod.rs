//! The allowlist decision: which entry, if any, suppresses an alert, and the default list shipped
//! with pubsub-hunt.
//!
//! Two kinds of entries. The hunter's own (`[[allowlist]]` in the configuration) are **hard**: when
//! one matches, the alert is suppressed whatever else it shows, because the hunter said so. The
//! default list ([`default_allowlist`], docs/allowlist.md: chat clients, IoT agents, push
//! services, message-queue infrastructure, known benign destinations) is **soft**: it
//! suppresses an alert only while the alert's positive behaviour evidence stays under
//! `behaviour.score.default_allowlist_yields_at` points, so an implant that names itself `pidgin`
//! or rides on an AWS IoT account with command topics is still reported, with a reason saying which
//! default entry it would otherwise have matched.

mod entry;

pub use entry::{AllowEntry, AllowSubject, glob_match_ci, name_match};

use crate::behaviour::destination::{AllowKind, DEFAULT_ALLOW_HINTS, PUBLIC_XMPP_SERVERS};
use crate::protocol::Protocol;
use crate::scope::parse_network;
use crate::signal::SignalId;
use crate::verdict::AnalyticId;
use std::collections::BTreeMap;

/// Regular timing and steady rates are what these classes do all day.
const PERIODIC: [AnalyticId; 2] = [AnalyticId::PubsubBeacon, AnalyticId::PubsubRate];

/// Hints that name stock tools and libraries (the Mosquitto command-line clients, paho and MQTT.js
/// default client ids): attackers use them too, so their entries expect nothing and any timing
/// evidence counts toward overriding them.
const STOCK_TOOLS: &[&str] = &["mosquitto_pub", "mosquitto_sub", "paho/", "mqttjs_"];

/// Where an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntrySource {
    /// The hunter's configuration: always applies.
    Configured,
    /// The shipped default list: yields to strong behaviour evidence.
    Default,
}

/// The allowlist's verdict on one alert.
#[derive(Debug, Clone, PartialEq)]
pub enum AllowVerdict<'a> {
    /// No entry matched.
    NotListed,
    /// This entry suppresses the alert.
    Suppressed(&'a AllowEntry, EntrySource),
    /// A default entry matched, but the alert's evidence outweighs it; the sentence says so.
    Overridden(&'a AllowEntry, String),
}

/// The default allowlist: benign classes (docs/allowlist.md) as entries, each with its reason.
pub fn default_allowlist() -> Vec<AllowEntry> {
    let mut out = Vec::new();
    for h in DEFAULT_ALLOW_HINTS {
        let mut base = entry(h.reason);
        if !STOCK_TOOLS.contains(&h.pattern) {
            base.expects = PERIODIC.to_vec();
        }
        match h.kind {
            AllowKind::NameSuffix => base.server_name = Some(format!("*.{}", h.pattern)),
            AllowKind::Cidr => base.destination = parse_network(h.pattern),
            AllowKind::ProcessName => base.process = Some(h.pattern.to_string()),
            AllowKind::ClientIdPrefix => base.client_id_prefix = Some(h.pattern.to_string()),
            AllowKind::TopicPrefix => base.topic_prefix = Some(h.pattern.to_string()),
        }
        if h.ports.is_empty() {
            out.push(base);
        } else {
            for &p in h.ports {
                let mut e = base.clone();
                e.port = Some(p);
                out.push(e);
            }
        }
    }
    // Cloud IoT platforms: device fleets talk to them all day. An attacker's own account looks
    // the same, which is why these entries are soft (content evidence overrides them).
    for (name, reason) in [
        (
            "*-ats.iot.*.amazonaws.com",
            "AWS IoT Core device endpoint (IoT fleet telemetry)",
        ),
        (
            "*.azure-devices.net",
            "Azure IoT Hub device endpoint (IoT fleet telemetry)",
        ),
    ] {
        let mut e = entry(reason);
        e.server_name = Some(name.to_string());
        e.expects = PERIODIC.to_vec();
        out.push(e);
    }
    // Public XMPP servers: people chat there (the seeds flag every such client). A chat client
    // pings on a timer, so only other evidence (content, process, a retired service) overrides.
    for server in PUBLIC_XMPP_SERVERS {
        let mut e = entry("chat client on a public XMPP server");
        e.server_name = Some(format!("*.{server}"));
        e.protocol = Some(Protocol::Xmpp);
        e.expects = PERIODIC.to_vec();
        out.push(e);
    }
    // Default client ids of developer tools and the Mosquitto clients.
    for (prefix, reason) in [
        ("mosq-", "Mosquitto command-line client (default client id)"),
        ("mqtt-explorer-", "MQTT Explorer (default client id)"),
        ("mqttx_", "MQTTX desktop client (default client id)"),
    ] {
        let mut e = entry(reason);
        e.client_id_prefix = Some(prefix.to_string());
        out.push(e);
    }
    // Desktop MQTT tools developers use against their own and public test brokers.
    for (process, reason) in [
        ("mqtt explorer*", "MQTT Explorer (developer tool)"),
        ("mqttx*", "MQTTX desktop client (developer tool)"),
        ("node-red*", "Node-RED flows (home and IoT automation)"),
        ("hass*", "Home Assistant (home automation)"),
        ("zigbee2mqtt*", "Zigbee2MQTT bridge (home automation)"),
        ("apsd*", "Apple push daemon"),
    ] {
        let mut e = entry(reason);
        e.process = Some(process.to_string());
        // Developer tools connect to public test brokers by design; the others run on timers.
        e.expects = if reason.contains("developer") {
            vec![AnalyticId::PubsubDestination]
        } else {
            PERIODIC.to_vec()
        };
        out.push(e);
    }
    // Message-queue and chat infrastructure inside the network: the seed rates internal STOMP and
    // XMPP medium, and application servers speak them all day.
    for net in ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"] {
        for (protocol, reason) in [
            (
                Protocol::Stomp,
                "message-queue infrastructure inside the network (STOMP to an internal broker)",
            ),
            (
                Protocol::Xmpp,
                "chat infrastructure inside the network (XMPP to an internal server)",
            ),
        ] {
            let mut e = entry(reason);
            e.destination = parse_network(net);
            e.protocol = Some(protocol);
            e.expects = PERIODIC.to_vec();
            out.push(e);
        }
    }
    out
}

fn entry(reason: &str) -> AllowEntry {
    AllowEntry {
        reason: reason.to_string(),
        process: None,
        host: None,
        destination: None,
        port: None,
        protocol: None,
        analytic: None,
        server_name: None,
        topic_prefix: None,
        client_id_prefix: None,
        expects: Vec::new(),
    }
}

/// The positive evidence of an alert's signals that counts against an entry: every signal with a
/// positive weight, except those of the analytics the entry expects.
pub fn evidence_against(entry: &AllowEntry, signals: &BTreeMap<SignalId, f64>) -> f64 {
    signals
        .iter()
        .filter(|(id, w)| **w > 0.0 && !entry.expects.contains(&id.analytic()))
        .map(|(_, w)| *w)
        .sum()
}

/// The lists one hunt applies, and how much evidence overrides a default entry.
#[derive(Debug, Clone, Copy)]
pub struct Allowlists<'a> {
    /// The hunter's own entries (hard).
    pub configured: &'a [AllowEntry],
    /// The default list (soft); `None` where it does not apply: the seed view
    /// (`--analytic pubsub-port`, behaviour scoring off) stays the seeds' rule, unchanged.
    pub default: Option<&'a [AllowEntry]>,
    /// Positive evidence, outside what an entry expects, at which a default entry yields.
    pub default_yields_at: f64,
}

/// Decides whether an alert with this subject and these behaviour signals is suppressed.
/// Configured entries are tried first (first match wins), then the default list where it applies.
pub fn decide<'a>(
    lists: &Allowlists<'a>,
    subject: &AllowSubject<'_>,
    signals: &BTreeMap<SignalId, f64>,
) -> AllowVerdict<'a> {
    if let Some(e) = lists.configured.iter().find(|e| e.matches(subject)) {
        return AllowVerdict::Suppressed(e, EntrySource::Configured);
    }
    let Some(default) = lists.default else {
        return AllowVerdict::NotListed;
    };
    if let Some(e) = default.iter().find(|e| e.matches(subject)) {
        let limit = lists.default_yields_at;
        let positive_evidence = evidence_against(e, signals);
        if positive_evidence >= limit {
            return AllowVerdict::Overridden(
                e,
                format!(
                    "matches the default allowlist entry \"{}\" ({}), not applied: behaviour \
                     evidence of {positive_evidence:+.0} reaches {limit:.0}",
                    e.reason,
                    e.describe()
                ),
            );
        }
        return AllowVerdict::Suppressed(e, EntrySource::Default);
    }
    AllowVerdict::NotListed
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{AppInfo, TopicDirection, TopicUse};
    use crate::config::HuntConfig;
    use crate::verdict::AnalyticId;
    use std::net::IpAddr;

    fn subject<'a>(
        process: Option<&'a str>,
        dst: &str,
        port: u16,
        protocol: Protocol,
        app: Option<&'a AppInfo>,
    ) -> AllowSubject<'a> {
        AllowSubject {
            analytic: AnalyticId::PubsubPort,
            host: "h",
            process,
            dst_ip: dst.parse::<IpAddr>().unwrap(),
            dst_port: port,
            protocol,
            app,
            dst_names: &NO_NAMES,
        }
    }

    static NO_NAMES: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();

    #[test]
    fn default_list_has_reasons_and_stock_tools_expect_nothing() {
        let list = default_allowlist();
        assert!(list.len() > 20);
        assert!(list.iter().all(|e| !e.reason.trim().is_empty()));
        assert!(list.iter().all(|e| !e.describe().is_empty()));
        for tool in STOCK_TOOLS {
            let e = list.iter().find(|e| e.describe().contains(tool)).unwrap();
            assert!(e.expects.is_empty(), "{tool}");
        }
        let apple = list.iter().find(|e| e.reason.contains("Apple")).unwrap();
        assert_eq!(apple.expects, PERIODIC);
    }

    fn signals(pairs: &[(&str, f64)]) -> BTreeMap<SignalId, f64> {
        pairs
            .iter()
            .map(|(k, v)| (k.parse::<SignalId>().unwrap(), *v))
            .collect()
    }

    #[test]
    fn expected_evidence_does_not_override_but_other_evidence_does() {
        let cfg = HuntConfig::default();
        let apple = subject(None, "17.57.144.20", 5223, Protocol::Xmpp, None);
        // Apple push beacons by design: a strong beacon does not override its entry...
        assert!(matches!(
            decide(&cfg.allowlists(), &apple, &signals(&[("beacon", 30.0)])),
            AllowVerdict::Suppressed(_, EntrySource::Default)
        ));
        // ...a script host does.
        assert!(matches!(
            decide(
                &cfg.allowlists(),
                &apple,
                &signals(&[("beacon", 30.0), ("process_script_host", 30.0)])
            ),
            AllowVerdict::Overridden(..)
        ));
        // A stock tool expects nothing: its beacon counts.
        let mosq = subject(
            Some("/usr/bin/mosquitto_sub"),
            "3.1.2.3",
            1883,
            Protocol::Mqtt,
            None,
        );
        assert!(matches!(
            decide(&cfg.allowlists(), &mosq, &signals(&[("beacon", 25.0)])),
            AllowVerdict::Overridden(..)
        ));
        assert!(matches!(
            decide(
                &cfg.allowlists(),
                &mosq,
                &signals(&[("library_client_id", -5.0)])
            ),
            AllowVerdict::Suppressed(..)
        ));
    }

    #[test]
    fn apple_push_is_suppressed_softly_and_yields_to_evidence() {
        let cfg = HuntConfig::default();
        let s = subject(None, "17.57.144.20", 5223, Protocol::Xmpp, None);
        match decide(&cfg.allowlists(), &s, &BTreeMap::new()) {
            AllowVerdict::Suppressed(e, EntrySource::Default) => {
                assert!(e.reason.contains("Apple"))
            }
            v => panic!("{v:?}"),
        }
        assert!(matches!(
            decide(&cfg.allowlists(), &s, &signals(&[("process_shell", 40.0)])),
            AllowVerdict::Overridden(_, ref why) if why.contains("not applied")
        ));
        let other = subject(None, "17.57.144.20", 1883, Protocol::Mqtt, None);
        assert_eq!(
            decide(&cfg.allowlists(), &other, &BTreeMap::new()),
            AllowVerdict::NotListed
        );
    }

    #[test]
    fn configured_entries_are_hard_and_default_list_can_be_disabled() {
        let mut cfg = HuntConfig::from_toml_str(
            "[[allowlist]]\nreason = \"lab broker\"\ndestination = \"203.0.113.7\"\n",
        )
        .unwrap();
        let s = subject(None, "203.0.113.7", 1883, Protocol::Mqtt, None);
        assert!(matches!(
            decide(&cfg.allowlists(), &s, &signals(&[("process_shell", 99.0)])),
            AllowVerdict::Suppressed(_, EntrySource::Configured)
        ));
        let apple = subject(None, "17.1.2.3", 5223, Protocol::Xmpp, None);
        cfg.default_allowlist.clear();
        assert_eq!(
            decide(&cfg.allowlists(), &apple, &BTreeMap::new()),
            AllowVerdict::NotListed
        );
    }

    #[test]
    fn content_entries_need_every_topic_and_client_id_to_match() {
        let cfg = HuntConfig::default();
        let mut app = AppInfo::default();
        app.client_ids.insert("DVES_1A2B3C".into());
        app.topics.push(TopicUse {
            name: "tele/plug/STATE".into(),
            direction: TopicDirection::Publish,
            messages: 3,
        });
        let s = subject(None, "10.0.0.5", 1883, Protocol::Mqtt, Some(&app));
        assert!(matches!(
            decide(&cfg.allowlists(), &s, &BTreeMap::new()),
            AllowVerdict::Suppressed(e, _) if e.client_id_prefix.as_deref() == Some("dves_")
        ));
        app.client_ids.insert("implant-7f3a".into());
        let s = subject(None, "10.0.0.5", 1883, Protocol::Mqtt, Some(&app));
        assert_eq!(
            decide(&cfg.allowlists(), &s, &BTreeMap::new()),
            AllowVerdict::NotListed
        );
    }

    #[test]
    fn server_name_patterns() {
        use crate::allowlist::name_match;
        assert!(name_match("*.push.apple.com", "1-courier.push.apple.com"));
        assert!(name_match("*.push.apple.com", "push.apple.com."));
        assert!(!name_match("*.push.apple.com", "evilpush.apple.com"));
        assert!(name_match(
            "*-ats.iot.*.amazonaws.com",
            "a1b2c3-ats.iot.eu-west-1.amazonaws.com:8883"
        ));
        assert!(!name_match("*-ats.iot.*.amazonaws.com", "s3.amazonaws.com"));
    }
}
