//! The allowlist decision: which entry, if any, suppresses an alert, and the default list shipped
//! with pubsub-hunt.
//!
//! Two kinds of entries. The hunter's own (`[[allowlist]]` in the configuration) are **hard**: when
//! one matches, the alert is suppressed whatever else it shows, because the hunter said so. The
//! default list ([`default_allowlist`], docs/allowlist.md: chat clients, IoT agents and endpoints,
//! push services, developer tools, message-queue and chat servers inside the network) is **soft**:
//! each entry says which evidence its class produces by design and when ([`Explains`]), and it
//! suppresses an alert only while the alert's positive behaviour evidence it does **not** explain
//! stays under `behaviour.score.default_allowlist_yields_at` points and holds nothing
//! [`DECISIVE`] (a timer, a shell, command vocabulary…). So an implant that names itself
//! `pidgin`, or beacons from one workstation to an AWS IoT account of its own, is still reported,
//! with a reason naming the entry and the evidence that overrode it.

mod defaults;
mod entry;
mod explain;
pub(crate) use explain::names_of;
mod report;

pub use defaults::default_allowlist;
pub use entry::{
    AllowEntry, AllowSubject, BRIEF_SESSION_SECS, BRIEF_SESSIONS_MIN, glob_match_ci, name_match,
};
pub use explain::{
    DECISIVE, Explains, HostReach, MANY_HOSTS, MAX_HOSTS_COUNTED, Reach, ReachInput, Unexplained,
    When, describe_unexplained, unexplained,
};
pub use report::{
    DOC_TABLE_BEGIN, DOC_TABLE_END, DefaultGroup, EntryView, default_groups, render_markdown,
    render_text,
};

use crate::signal::SignalId;
use std::collections::BTreeMap;

/// Where an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntrySource {
    /// The hunter's configuration: always applies.
    Configured,
    /// The shipped default list: yields to evidence it cannot explain.
    Default,
}

/// The allowlist's verdict on one alert.
#[derive(Debug, Clone, PartialEq)]
pub enum AllowVerdict<'a> {
    /// No entry matched.
    NotListed,
    /// This entry suppresses the alert.
    Suppressed(&'a AllowEntry, EntrySource),
    /// Default entries matched, but the alert's evidence they cannot explain outweighs each of
    /// them; the sentence names the first entry and that evidence (and the others, briefly).
    Overridden(&'a AllowEntry, String),
}

/// The lists one hunt applies, and how much unexplained evidence overrides a default entry.
#[derive(Debug, Clone, Copy)]
pub struct Allowlists<'a> {
    /// The hunter's own entries (hard).
    pub configured: &'a [AllowEntry],
    /// The default list (soft); `None` where it does not apply: the seed view
    /// (`--analytic pubsub-port`, behaviour scoring off) stays the seeds' rule, unchanged.
    pub default: Option<&'a [AllowEntry]>,
    /// Positive evidence an entry does not explain at which that entry yields (decisive evidence
    /// makes it yield whatever its weight).
    pub default_yields_at: f64,
}

/// Decides whether an alert with this subject and these behaviour signals is suppressed.
/// Configured entries are tried first (first match wins). Then every matching default entry, in
/// order: the first whose unexplained evidence stays under the limit and holds nothing decisive
/// suppresses the alert; when none does, the alert is reported with a sentence saying which
/// evidence overrode which entry.
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
    let limit = lists.default_yields_at;
    let reach = subject.host_reach();
    let mut overridden: Vec<(&'a AllowEntry, Vec<Unexplained>, f64)> = Vec::new();
    for e in default.iter().filter(|e| e.matches(subject)) {
        let against = unexplained(&e.explains, &reach, signals);
        let sum: f64 = against.iter().map(|u| u.weight).sum();
        if sum < limit && !against.iter().any(Unexplained::decisive) {
            return AllowVerdict::Suppressed(e, EntrySource::Default);
        }
        overridden.push((e, against, sum));
    }
    let Some((first, against, sum)) = overridden.first() else {
        return AllowVerdict::NotListed;
    };
    let verdict = if *sum >= limit {
        format!("unexplained evidence of {sum:+.0} reaches {limit:.0}")
    } else {
        let ids: Vec<&str> = against
            .iter()
            .filter(|u| u.decisive())
            .map(|u| u.id.as_str())
            .collect();
        format!(
            "{} overrides a default entry whatever its weight (unexplained evidence of {sum:+.0}, \
             under {limit:.0})",
            ids.join(" and ")
        )
    };
    let mut why = format!(
        "matches the default allowlist entry \"{}\" ({}), not applied: it does not explain {}; \
         {verdict}",
        first.reason,
        first.describe(),
        describe_unexplained(against, &reach)
    );
    for (e, _, sum) in overridden.iter().skip(1) {
        why.push_str(&format!(
            "; also matches \"{}\" ({}), not applied either: unexplained evidence of {sum:+.0}",
            e.reason,
            e.describe()
        ));
    }
    AllowVerdict::Overridden(first, why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::{AppInfo, TopicDirection, TopicUse};
    use crate::config::HuntConfig;
    use crate::protocol::Protocol;
    use crate::verdict::AnalyticId;
    use std::net::IpAddr;

    static NO_NAMES: [String; 0] = [];

    /// A subject on one host, its destination reached by no other host.
    fn subject<'a>(
        process: Option<&'a str>,
        dst: &str,
        port: u16,
        protocol: Protocol,
        app: Option<&'a AppInfo>,
    ) -> AllowSubject<'a> {
        let dst_ip = dst.parse::<IpAddr>().unwrap();
        AllowSubject {
            analytic: AnalyticId::PubsubPort,
            host: "ws-17",
            process,
            dst_ip,
            dst_port: port,
            protocol,
            app,
            dst_names: &NO_NAMES,
            dst_internal: HuntConfig::default().internal.is_internal(dst_ip),
            iot_host: false,
            hosts_reaching: 1,
            brief_sessions: false,
            host_works_around_the_clock: false,
        }
    }

    fn signals(pairs: &[(&str, f64)]) -> BTreeMap<SignalId, f64> {
        pairs
            .iter()
            .map(|(k, v)| (k.parse::<SignalId>().unwrap(), *v))
            .collect()
    }

    fn why(v: AllowVerdict<'_>) -> String {
        match v {
            AllowVerdict::Overridden(_, why) => why,
            other => panic!("not overridden: {other:?}"),
        }
    }

    #[test]
    fn evidence_a_class_produces_does_not_override_but_other_evidence_does() {
        let cfg = HuntConfig::default();
        let apple = subject(None, "17.57.144.20", 5223, Protocol::Xmpp, None);
        // Apple push keeps a heartbeat by design, on any one device...
        assert!(matches!(
            decide(&cfg.allowlists(), &apple, &signals(&[("beacon", 30.0)])),
            AllowVerdict::Suppressed(_, EntrySource::Default)
        ));
        // ...a script host is not what it does.
        let w = why(decide(
            &cfg.allowlists(),
            &apple,
            &signals(&[("beacon", 30.0), ("process_script_host", 30.0)]),
        ));
        assert!(w.contains("Apple"), "{w}");
        assert!(
            w.contains("it does not explain process_script_host (+30); unexplained evidence of +30 reaches 20"),
            "{w}"
        );
        let other = subject(None, "17.57.144.20", 1883, Protocol::Mqtt, None);
        assert_eq!(
            decide(&cfg.allowlists(), &other, &BTreeMap::new()),
            AllowVerdict::NotListed
        );
    }

    fn aws_iot_subject<'a>(names: &'a [String]) -> AllowSubject<'a> {
        let mut s = subject(None, "52.48.17.198", 8883, Protocol::Mqtt, None);
        s.dst_names = names;
        s
    }

    #[test]
    fn a_lone_workstation_beaconing_to_aws_iot_is_not_fleet_telemetry() {
        let cfg = HuntConfig::default();
        let names = ["a1b2-ats.iot.eu-west-1.amazonaws.com".to_string()];
        let beacon = signals(&[("beacon", 30.0), ("cloud_iot_endpoint", 5.0)]);
        let lone = aws_iot_subject(&names);
        let w = why(decide(&cfg.allowlists(), &lone, &beacon));
        assert!(w.contains("\"AWS IoT Core device endpoint"), "{w}");
        assert!(
            w.contains(
                "beacon (+30; explained only for hosts named in [hosts] iot, or when at least 3 \
                 hosts reach the destination, and ws-17 is not named in [hosts] iot and 1 host \
                 reaches it)"
            ),
            "{w}"
        );
        // Its own class's signal is explained: without the beacon the entry holds.
        assert!(matches!(
            decide(
                &cfg.allowlists(),
                &lone,
                &signals(&[("cloud_iot_endpoint", 5.0)])
            ),
            AllowVerdict::Suppressed(..)
        ));
        // A fleet beacons alike; a named IoT host beacons by design.
        let mut fleet = aws_iot_subject(&names);
        fleet.hosts_reaching = 4;
        assert!(matches!(
            decide(&cfg.allowlists(), &fleet, &beacon),
            AllowVerdict::Suppressed(..)
        ));
        let mut gateway = aws_iot_subject(&names);
        gateway.iot_host = true;
        assert!(matches!(
            decide(&cfg.allowlists(), &gateway, &beacon),
            AllowVerdict::Suppressed(..)
        ));
        // Even a fleet member does not explain command vocabulary.
        let w = why(decide(
            &cfg.allowlists(),
            &fleet,
            &signals(&[("beacon", 30.0), ("c2_vocabulary", 20.0)]),
        ));
        assert!(w.contains("it does not explain c2_vocabulary (+20)"), "{w}");
    }

    #[test]
    fn an_aws_iot_endpoint_only_one_host_reaches_is_no_fleet() {
        let cfg = HuntConfig::default();
        // A workstation alone on its own account's endpoint: no timer, nothing but the lone
        // reach. Eight points would never make the entry yield; against a fleet's entry they do.
        let names = ["g7eha3y0179ajy-ats.iot.us-west-2.amazonaws.com".to_string()];
        let lone = aws_iot_subject(&names);
        let evidence = signals(&[("cloud_iot_endpoint", 5.0), ("sole_host_destination", 8.0)]);
        let w = why(decide(&cfg.allowlists(), &lone, &evidence));
        assert!(w.contains("\"AWS IoT Core device endpoint"), "{w}");
        assert!(
            w.contains("sole_host_destination overrides a default entry whatever its weight"),
            "{w}"
        );
        // Named as an IoT host, a device alone on its vendor's account is what the entry is for.
        let mut device = aws_iot_subject(&names);
        device.iot_host = true;
        assert!(matches!(
            decide(&cfg.allowlists(), &device, &evidence),
            AllowVerdict::Suppressed(..)
        ));
        // Where the source names the program, the program decides: a gateway's Java runtime
        // alone on its account is what the entry describes (a shell would be decisive anyway).
        let java = "/usr/lib/jvm/java-11-amazon-corretto/bin/java";
        let mut gateway = aws_iot_subject(&names);
        gateway.process = Some(java);
        assert!(matches!(
            decide(&cfg.allowlists(), &gateway, &evidence),
            AllowVerdict::Suppressed(..)
        ));
        // The lone reach is decisive only against the fleet's premise: a managed broker (a
        // tenant's own, one developer's) still holds it.
        let broker = ["b-6ced881e-1.mq.eu-central-1.amazonaws.com".to_string()];
        let mut dev = subject(None, "178.92.84.60", 5671, Protocol::Amqp, None);
        dev.dst_names = &broker;
        assert!(matches!(
            decide(
                &cfg.allowlists(),
                &dev,
                &signals(&[("sole_host_destination", 8.0)])
            ),
            AllowVerdict::Suppressed(..)
        ));
    }

    #[test]
    fn a_managed_broker_holds_developers_but_not_one_hosts_beacon() {
        let cfg = HuntConfig::default();
        let names = ["b-6ced881e-1.mq.eu-central-1.amazonaws.com".to_string()];
        let mut dev = subject(None, "178.92.84.60", 5671, Protocol::Amqp, None);
        dev.dst_names = &names;
        // A developer's worker with nothing but the only-host hint: the tenant's own broker.
        let v = decide(
            &cfg.allowlists(),
            &dev,
            &signals(&[("sole_host_destination", 8.0)]),
        );
        assert!(matches!(v, AllowVerdict::Suppressed(..)), "{v:?}");
        // One host on a timer to it: not explained unless many hosts reach it.
        let beacon = signals(&[("beacon", 28.0)]);
        let w = why(decide(&cfg.allowlists(), &dev, &beacon));
        assert!(w.contains("\"Amazon MQ managed broker"), "{w}");
        dev.hosts_reaching = 5;
        assert!(matches!(
            decide(&cfg.allowlists(), &dev, &beacon),
            AllowVerdict::Suppressed(..)
        ));
        // Another Amazon service's name is not a broker.
        let s3 = ["bucket.s3.eu-central-1.amazonaws.com".to_string()];
        dev.dst_names = &s3;
        assert_eq!(
            decide(&cfg.allowlists(), &dev, &BTreeMap::new()),
            AllowVerdict::NotListed
        );
    }

    #[test]
    fn a_masqueraded_beacon_to_an_internal_chat_server_is_not_chat() {
        let cfg = HuntConfig::default();
        let image = r"C:\Users\Public\Libraries\wmiprvse.exe";
        let s = subject(Some(image), "10.9.9.9", 5222, Protocol::Xmpp, None);
        let evidence = signals(&[("beacon", 28.0), ("process_in_user_writable", 10.0)]);
        let w = why(decide(&cfg.allowlists(), &s, &evidence));
        assert!(
            w.contains("\"chat infrastructure inside the network"),
            "{w}"
        );
        assert!(
            w.contains(
                "beacon (+28; explained only when at least 3 hosts reach the destination, and 1 \
                 host reaches it) and process_in_user_writable (+10); unexplained evidence of +38"
            ),
            "{w}"
        );
        // A server many hosts reach keeps its timing explained; the path alone stays under the
        // limit.
        let mut shared = s;
        shared.hosts_reaching = 12;
        assert!(matches!(
            decide(&cfg.allowlists(), &shared, &evidence),
            AllowVerdict::Suppressed(..)
        ));
        // A beacon alone, halved because the destination is internal: still decisive.
        let w = why(decide(
            &cfg.allowlists(),
            &s,
            &signals(&[("beacon", 15.0), ("process_interpreter", 4.0)]),
        ));
        assert!(
            w.ends_with(
                "beacon overrides a default entry whatever its weight (unexplained evidence of \
                 +19, under 20)"
            ),
            "{w}"
        );
        // Weak evidence under the limit does not override.
        assert!(matches!(
            decide(
                &cfg.allowlists(),
                &s,
                &signals(&[("process_interpreter", 10.0), ("guid_token", 8.0)])
            ),
            AllowVerdict::Suppressed(..)
        ));
        // No evidence at all: the entry holds even for one host.
        assert!(matches!(
            decide(&cfg.allowlists(), &s, &BTreeMap::new()),
            AllowVerdict::Suppressed(..)
        ));
    }

    #[test]
    fn internal_entries_follow_the_configured_networks() {
        let cfg = HuntConfig::default();
        for (dst, protocol, port) in [
            ("172.20.4.9", Protocol::Stomp, 61613),
            ("100.64.12.7", Protocol::Xmpp, 5222),
        ] {
            let mut s = subject(None, dst, port, protocol, None);
            assert!(s.dst_internal, "{dst}");
            assert!(
                matches!(
                    decide(&cfg.allowlists(), &s, &BTreeMap::new()),
                    AllowVerdict::Suppressed(e, EntrySource::Default) if e.internal_only
                ),
                "{dst}"
            );
            // The same address configured as external is no internal server.
            s.dst_internal = false;
            assert_eq!(
                decide(&cfg.allowlists(), &s, &BTreeMap::new()),
                AllowVerdict::NotListed,
                "{dst}"
            );
        }
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
        app.topics
            .push(TopicUse::new("tele/plug/STATE", TopicDirection::Publish, 3));
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
    fn stock_library_client_ids_and_mosquitto_clients_are_not_listed() {
        let cfg = HuntConfig::default();
        for id in [
            "paho/34AAE54A75D839566E",
            "mqttjs_3f2a9b1c",
            "mosq-Xq3Ld0P1sBzQ",
        ] {
            let mut app = AppInfo::default();
            app.client_ids.insert(id.into());
            let s = subject(None, "198.41.30.241", 1883, Protocol::Mqtt, Some(&app));
            assert_eq!(
                decide(&cfg.allowlists(), &s, &BTreeMap::new()),
                AllowVerdict::NotListed,
                "{id}"
            );
        }
        for image in ["/usr/bin/mosquitto_sub", r"C:\Tools\mosquitto_pub.exe"] {
            let s = subject(Some(image), "198.41.30.241", 1883, Protocol::Mqtt, None);
            assert_eq!(
                decide(&cfg.allowlists(), &s, &BTreeMap::new()),
                AllowVerdict::NotListed,
                "{image}"
            );
        }
    }

    #[test]
    fn a_chat_clients_entries_need_held_sessions() {
        let cfg = HuntConfig::default();
        let names = ["yax.im".to_string()];
        for process in [None, Some(r"C:\Program Files\Pidgin\pidgin.exe")] {
            let mut s = subject(process, "81.151.216.186", 5223, Protocol::Xmpp, None);
            s.dst_names = &names;
            let weak = signals(&[("public_xmpp_server", 5.0), ("sole_host_destination", 8.0)]);
            assert!(
                matches!(
                    decide(&cfg.allowlists(), &s, &weak),
                    AllowVerdict::Suppressed(..)
                ),
                "{process:?}"
            );
            // Logging in, fetching and leaving, again and again, is not a chat program.
            s.brief_sessions = true;
            assert_eq!(
                decide(&cfg.allowlists(), &s, &weak),
                AllowVerdict::NotListed,
                "{process:?}"
            );
            // Nor is a session held by a host that works around the clock a person's.
            s.brief_sessions = false;
            s.host_works_around_the_clock = true;
            assert_eq!(
                decide(&cfg.allowlists(), &s, &weak),
                AllowVerdict::NotListed,
                "{process:?}"
            );
        }
        // Other classes do not ask it: a push service's or a device's brief connections are
        // what it does.
        let all = default_allowlist();
        let held = |r: &str| {
            all.iter()
                .find(|e| e.reason.contains(r))
                .map(|e| e.held_sessions)
        };
        assert_eq!(held("Pidgin XMPP chat client"), Some(true));
        assert_eq!(held("Apple Push Notification service"), Some(false));
        assert_eq!(held("Tasmota"), Some(false));
    }

    #[test]
    fn every_matching_entry_is_tried_and_all_are_named_when_overridden() {
        let cfg = HuntConfig::default();
        let names = ["jabber.org".to_string()];
        let mut s = subject(
            Some(r"C:\Program Files\Pidgin\pidgin.exe"),
            "208.68.163.218",
            5222,
            Protocol::Xmpp,
            None,
        );
        s.dst_names = &names;
        let w = why(decide(
            &cfg.allowlists(),
            &s,
            &signals(&[("public_xmpp_server", 5.0), ("beacon", 25.0)]),
        ));
        assert!(w.contains("\"Pidgin XMPP chat client\""), "{w}");
        assert!(
            w.contains("also matches \"chat client on a public XMPP server\""),
            "{w}"
        );
        assert!(matches!(
            decide(
                &cfg.allowlists(),
                &s,
                &signals(&[("public_xmpp_server", 5.0), ("message_beacon", 25.0)])
            ),
            AllowVerdict::Suppressed(..)
        ));
    }

    #[test]
    fn server_name_patterns() {
        assert!(name_match("*.push.apple.com", "1-courier.push.apple.com"));
        assert!(name_match("*.push.apple.com", "push.apple.com."));
        assert!(!name_match("*.push.apple.com", "evilpush.apple.com"));
        assert!(name_match(
            "*-ats.iot.*.amazonaws.com",
            "a1b2c3-ats.iot.eu-west-1.amazonaws.com:8883"
        ));
        assert!(!name_match("*-ats.iot.*.amazonaws.com", "s3.amazonaws.com"));
    }

    #[test]
    fn a_cname_chain_through_delivery_infrastructure_does_not_stop_a_name_match() {
        let cfg = HuntConfig::default();
        let quiet = signals(&[("cloud_iot_endpoint", 5.0)]);
        let verdict = |names: &[&str]| {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            let mut s = subject(None, "82.122.175.82", 8883, Protocol::Mqtt, None);
            s.dst_names = &names;
            matches!(
                decide(&cfg.allowlists(), &s, &quiet),
                AllowVerdict::Suppressed(..)
            )
        };
        // A hub's name and the Azure name its CNAME leads to (dns.log gives both).
        assert!(verdict(&[
            "iothub-halden-01.azure-devices.net",
            "iothub-halden-01-ih.cloudapp.net"
        ]));
        // A delivery name alone matches nothing, and another service's name still stops it.
        assert!(!verdict(&["iothub-halden-01-ih.cloudapp.net"]));
        assert!(!verdict(&[
            "iothub-halden-01.azure-devices.net",
            "c2.example.net"
        ]));
    }
}
