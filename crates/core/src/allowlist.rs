//! The allowlist decision: which entry, if any, suppresses an alert, and the default list shipped
//! with pubsub-hunt.
//!
//! Two kinds of entries. The hunter's own (`[[allowlist]]` in the configuration) are **hard**: when
//! one matches, the alert is suppressed whatever else it shows, because the hunter said so. The
//! default list ([`default_allowlist`], built from `behaviour.md` §6–§7: chat clients, IoT agents,
//! push services, message-queue infrastructure, known benign destinations) is **soft**: it
//! suppresses an alert only while the alert's positive behaviour evidence stays under
//! `behaviour.score.default_allowlist_yields_at` points, so an implant that names itself `pidgin`
//! or rides on an AWS IoT account with command topics is still reported, with a reason saying which
//! default entry it would otherwise have matched.

use crate::behaviour::destination::{AllowKind, DEFAULT_ALLOW_HINTS};
use crate::config::{AllowEntry, AllowSubject, HuntConfig, parse_network};
use crate::protocol::Protocol;

/// Default hints that describe how legitimate tools look but are **not** used to suppress:
/// attackers drive the Mosquitto command-line clients themselves (the seeds' own test procedures do)
/// and implants use stock MQTT libraries with their default client ids.
const HINTS_NOT_SUPPRESSING: &[&str] = &["mosquitto_pub", "mosquitto_sub", "paho/", "mqttjs_"];

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

/// The default allowlist: benign classes from `behaviour.md` as entries, each with its reason.
pub fn default_allowlist() -> Vec<AllowEntry> {
    let mut out = Vec::new();
    for h in DEFAULT_ALLOW_HINTS {
        if HINTS_NOT_SUPPRESSING.contains(&h.pattern) {
            continue;
        }
        let mut base = entry(h.reason);
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
    }
}

/// Decides whether an alert with this subject and this much positive behaviour evidence is
/// suppressed. Configured entries are tried first (first match wins), then the default list when
/// it is enabled and behaviour scoring runs.
pub fn decide<'a>(
    cfg: &'a HuntConfig,
    subject: &AllowSubject<'_>,
    positive_evidence: f64,
) -> AllowVerdict<'a> {
    if let Some(e) = cfg.allowlist.iter().find(|e| e.matches(subject)) {
        return AllowVerdict::Suppressed(e, EntrySource::Configured);
    }
    // The seed view (`--analytic pubsub-port`, behaviour off) stays the seeds' rule, unchanged.
    if !cfg.behaviour.enabled {
        return AllowVerdict::NotListed;
    }
    if let Some(e) = cfg.default_allowlist.iter().find(|e| e.matches(subject)) {
        let limit = cfg.behaviour.score.default_allowlist_yields_at;
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
    use crate::alert::AnalyticId;
    use crate::app::{AppInfo, TopicDirection, TopicUse};
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
        }
    }

    #[test]
    fn default_list_has_reasons_and_no_attacker_tools() {
        let list = default_allowlist();
        assert!(list.len() > 20);
        assert!(list.iter().all(|e| !e.reason.trim().is_empty()));
        assert!(list.iter().all(|e| e.describe() != ""));
        for tool in HINTS_NOT_SUPPRESSING {
            assert!(
                !list.iter().any(|e| e.describe().contains(tool)),
                "{tool} must not be in the default allowlist"
            );
        }
    }

    #[test]
    fn apple_push_is_suppressed_softly_and_yields_to_evidence() {
        let cfg = HuntConfig::default();
        let s = subject(None, "17.57.144.20", 5223, Protocol::Xmpp, None);
        match decide(&cfg, &s, 0.0) {
            AllowVerdict::Suppressed(e, EntrySource::Default) => {
                assert!(e.reason.contains("Apple"))
            }
            v => panic!("{v:?}"),
        }
        assert!(matches!(
            decide(&cfg, &s, 40.0),
            AllowVerdict::Overridden(_, ref why) if why.contains("not applied")
        ));
        let other = subject(None, "17.57.144.20", 1883, Protocol::Mqtt, None);
        assert_eq!(decide(&cfg, &other, 0.0), AllowVerdict::NotListed);
    }

    #[test]
    fn configured_entries_are_hard_and_default_list_can_be_disabled() {
        let mut cfg = HuntConfig::from_toml_str(
            "[[allowlist]]\nreason = \"lab broker\"\ndestination = \"203.0.113.7\"\n",
        )
        .unwrap();
        let s = subject(None, "203.0.113.7", 1883, Protocol::Mqtt, None);
        assert!(matches!(
            decide(&cfg, &s, 99.0),
            AllowVerdict::Suppressed(_, EntrySource::Configured)
        ));
        let apple = subject(None, "17.1.2.3", 5223, Protocol::Xmpp, None);
        cfg.default_allowlist.clear();
        assert_eq!(decide(&cfg, &apple, 0.0), AllowVerdict::NotListed);
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
            decide(&cfg, &s, 0.0),
            AllowVerdict::Suppressed(e, _) if e.client_id_prefix.as_deref() == Some("dves_")
        ));
        app.client_ids.insert("implant-7f3a".into());
        let s = subject(None, "10.0.0.5", 1883, Protocol::Mqtt, Some(&app));
        assert_eq!(decide(&cfg, &s, 0.0), AllowVerdict::NotListed);
    }

    #[test]
    fn server_name_patterns() {
        use crate::config::name_match;
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
