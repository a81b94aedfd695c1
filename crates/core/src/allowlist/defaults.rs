//! The default allowlist shipped with pubsub-hunt, as one table: every known-benign class
//! (docs/allowlist.md) with its reason, what it matches and the evidence it may absorb.
//!
//! What an entry may absorb is data, set by its [`Class`]: the signals the class produces by
//! design and the condition under which it does ([`Explains`]). Nothing else is absorbed, so a
//! beacon, a shell, a script in a temporary directory or command vocabulary in the topics counts
//! against every entry that does not list it. Stock tools and libraries attackers use as readily
//! as anyone (the Mosquitto command-line clients, the paho and MQTT.js default client ids) are not
//! on the list at all.

use super::entry::AllowEntry;
use super::explain::{Explains, MANY_HOSTS, RATE, TIMING, When};
use crate::behaviour::destination::{AllowKind, DEFAULT_ALLOW_HINTS, PUBLIC_XMPP_SERVERS};
use crate::protocol::Protocol;
use crate::scope::parse_network;
use crate::signal::SignalId;

/// A class of default entries; it decides what the entries may absorb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Push and chat services known by name or address (Apple push, FCM, game chat): one device
    /// keeps a heartbeat to them.
    Service,
    /// An application heartbeat topic (Celery): published on a timer by design.
    Heartbeat,
    /// A chat program: one session, pings inside it, on public XMPP servers.
    ChatClient,
    /// Brokers, metrics and IoT agents, home automation: they publish on timers on one host.
    Agent,
    /// A device's default client id (Tasmota): telemetry on a timer.
    Device,
    /// A cloud IoT endpoint: its timing is a fleet's, so it is explained only for named IoT hosts
    /// or when many hosts reach the endpoint, and an endpoint only one host reaches (outside
    /// `[hosts] iot`) is no fleet's: the entry does not apply to it.
    CloudIot,
    /// A public XMPP server a chat client uses.
    PublicXmpp,
    /// A developer tool: public test brokers, new brokers, and subscriptions to everything are
    /// what it is for; its timing is not.
    DeveloperTool,
    /// A message-queue or chat server inside the network: shared infrastructure, so its timing is
    /// explained only when many hosts reach it.
    InternalServer,
    /// A managed broker service: a tenant's own broker in a provider's cloud, reached by the
    /// tenant's developers and services; its timing is explained only when many hosts reach it.
    ManagedBroker,
}

impl Class {
    fn explains(self) -> Vec<Explains> {
        use SignalId::{
            CloudIotEndpoint, MessageBeacon, NewBroker, PublicBroker, PublicXmppServer,
            SoleHostDestination, WildcardAllTopics,
        };
        match self {
            Class::Service | Class::Heartbeat | Class::Agent | Class::Device => {
                vec![Explains::new(&[TIMING, RATE], When::Always)]
            }
            Class::ChatClient | Class::PublicXmpp => vec![Explains::new(
                &[&[MessageBeacon, PublicXmppServer]],
                When::Always,
            )],
            Class::CloudIot => vec![
                Explains::new(&[&[CloudIotEndpoint]], When::Always),
                Explains::new(&[TIMING, RATE], When::IotHostOrReachedBy(MANY_HOSTS)),
                // A fleet shares its account's endpoint: one host alone on an endpoint is one
                // account, which is what an implant on the attacker's own account looks like.
                Explains::premise(&[SoleHostDestination], When::IotHostOrReachedBy(2)),
            ],
            Class::DeveloperTool => vec![Explains::new(
                &[&[PublicBroker, NewBroker, WildcardAllTopics]],
                When::Always,
            )],
            Class::InternalServer | Class::ManagedBroker => {
                vec![Explains::new(&[TIMING, RATE], When::ReachedBy(MANY_HOSTS))]
            }
        }
    }
}

/// What one row of the table matches.
#[derive(Debug, Clone, Copy)]
enum Match {
    /// A process image basename (`*` wildcards; `pidgin` also matches `Pidgin.exe`).
    Process(&'static str),
    /// Every client id starts with this, any case.
    ClientId(&'static str),
    /// Every topic starts with this.
    Topic(&'static str),
    /// Every server name matches this pattern.
    ServerName(&'static str),
}

/// One row of the table.
struct Row {
    matches: Match,
    reason: &'static str,
    class: Class,
    /// One entry per port; empty: any port.
    ports: &'static [u16],
}

const fn row(matches: Match, reason: &'static str, class: Class) -> Row {
    Row {
        matches,
        reason,
        class,
        ports: &[],
    }
}

/// Known-benign clients, agents, devices and tools. The destination services come from
/// [`DEFAULT_ALLOW_HINTS`], which also scores them, so the two cannot drift apart.
const ROWS: &[Row] = &[
    Row {
        matches: Match::Topic("worker.heartbeat"),
        reason: "Celery worker heartbeat (AMQP publish every 2 s by design)",
        class: Class::Heartbeat,
        ports: &[5672, 5671],
    },
    row(
        Match::Process("pidgin"),
        "Pidgin XMPP chat client",
        Class::ChatClient,
    ),
    row(
        Match::Process("gajim"),
        "Gajim XMPP chat client",
        Class::ChatClient,
    ),
    row(
        Match::Process("psi"),
        "Psi XMPP chat client",
        Class::ChatClient,
    ),
    row(
        Match::Process("psi-plus"),
        "Psi+ XMPP chat client",
        Class::ChatClient,
    ),
    row(
        Match::Process("ciscojabber"),
        "Cisco Jabber",
        Class::ChatClient,
    ),
    row(
        Match::Process("riotclientservices"),
        "Riot client (chat on XMPP 5223)",
        Class::ChatClient,
    ),
    row(
        Match::Process("leagueclient"),
        "League of Legends client (chat on XMPP 5223)",
        Class::ChatClient,
    ),
    row(
        Match::Process("epicgameslauncher"),
        "Epic Games launcher (XMPP chat)",
        Class::ChatClient,
    ),
    row(
        Match::Process("mosquitto"),
        "Mosquitto broker (bridges to other brokers)",
        Class::Agent,
    ),
    row(
        Match::Process("telegraf"),
        "Telegraf metrics agent (MQTT consumer)",
        Class::Agent,
    ),
    row(
        Match::Process("aws-iot-device-client"),
        "AWS IoT Device Client",
        Class::Agent,
    ),
    row(
        Match::Process("aziot-edged"),
        "Azure IoT Edge daemon",
        Class::Agent,
    ),
    row(Match::Process("iotedge"), "Azure IoT Edge", Class::Agent),
    row(
        Match::ClientId("dves_"),
        "Tasmota device default client id",
        Class::Device,
    ),
    row(
        Match::ServerName("*-ats.iot.*.amazonaws.com"),
        "AWS IoT Core device endpoint (IoT fleet telemetry)",
        Class::CloudIot,
    ),
    row(
        Match::ServerName("*.azure-devices.net"),
        "Azure IoT Hub device endpoint (IoT fleet telemetry)",
        Class::CloudIot,
    ),
    row(
        Match::ClientId("mqtt-explorer-"),
        "MQTT Explorer (default client id)",
        Class::DeveloperTool,
    ),
    row(
        Match::ClientId("mqttx_"),
        "MQTTX desktop client (default client id)",
        Class::DeveloperTool,
    ),
    row(
        Match::Process("mqtt explorer*"),
        "MQTT Explorer (developer tool)",
        Class::DeveloperTool,
    ),
    row(
        Match::Process("mqttx*"),
        "MQTTX desktop client (developer tool)",
        Class::DeveloperTool,
    ),
    row(
        Match::Process("node-red*"),
        "Node-RED flows (home and IoT automation)",
        Class::Agent,
    ),
    row(
        Match::Process("hass*"),
        "Home Assistant (home automation)",
        Class::Agent,
    ),
    row(
        Match::Process("zigbee2mqtt*"),
        "Zigbee2MQTT bridge (home automation)",
        Class::Agent,
    ),
    row(Match::Process("apsd*"), "Apple push daemon", Class::Service),
    row(
        Match::ServerName("*.mq.*.amazonaws.com"),
        "Amazon MQ managed broker (an organisation's own RabbitMQ or ActiveMQ)",
        Class::ManagedBroker,
    ),
    row(
        Match::ServerName("*.servicebus.windows.net"),
        "Azure Service Bus namespace (AMQP 1.0)",
        Class::ManagedBroker,
    ),
    row(
        Match::ServerName("*.cloudamqp.com"),
        "CloudAMQP hosted RabbitMQ",
        Class::ManagedBroker,
    ),
    row(
        Match::ServerName("*.hivemq.cloud"),
        "HiveMQ Cloud managed MQTT cluster",
        Class::ManagedBroker,
    ),
];

fn entry(reason: &str, class: Class) -> AllowEntry {
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
        internal_only: false,
        // A chat program holds its session; a poller that logs in and out is not one.
        held_sessions: matches!(class, Class::ChatClient | Class::PublicXmpp),
        explains: class.explains(),
    }
}

/// One entry per port (or one for any port).
fn per_port(base: AllowEntry, ports: &[u16], out: &mut Vec<AllowEntry>) {
    if ports.is_empty() {
        out.push(base);
        return;
    }
    for &p in ports {
        let mut e = base.clone();
        e.port = Some(p);
        out.push(e);
    }
}

/// The default allowlist: every known-benign class as entries, each with its reason, its match
/// and what it may absorb (docs/allowlist.md, default classes).
pub fn default_allowlist() -> Vec<AllowEntry> {
    let mut out = Vec::new();
    for h in DEFAULT_ALLOW_HINTS {
        let mut e = entry(h.reason, Class::Service);
        match h.kind {
            AllowKind::NameSuffix => e.server_name = Some(format!("*.{}", h.pattern)),
            AllowKind::Cidr => e.destination = parse_network(h.pattern),
        }
        per_port(e, h.ports, &mut out);
    }
    for r in ROWS {
        let mut e = entry(r.reason, r.class);
        match r.matches {
            Match::Process(p) => e.process = Some(p.to_string()),
            Match::ClientId(p) => e.client_id_prefix = Some(p.to_string()),
            Match::Topic(p) => e.topic_prefix = Some(p.to_string()),
            Match::ServerName(p) => e.server_name = Some(p.to_string()),
        }
        per_port(e, r.ports, &mut out);
    }
    // Public XMPP servers: people chat there, and the seeds flag every such client.
    for server in PUBLIC_XMPP_SERVERS {
        let mut e = entry("chat client on a public XMPP server", Class::PublicXmpp);
        e.server_name = Some(format!("*.{server}"));
        e.protocol = Some(Protocol::Xmpp);
        out.push(e);
    }
    // Message-queue and chat servers inside the network (the configured internal networks): the
    // seeds rate internal STOMP and XMPP medium, and application servers speak them all day.
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
        let mut e = entry(reason, Class::InternalServer);
        e.internal_only = true;
        e.protocol = Some(protocol);
        out.push(e);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Evidence no benign class produces by design: no default entry may absorb it, so it always
    /// counts against every entry.
    const NEVER_EXPLAINED: &[SignalId] = &[
        SignalId::C2Vocabulary,
        SignalId::KnownC2Pattern,
        SignalId::WildcardCommandTree,
        SignalId::HostScopedTopic,
        SignalId::PayloadFernet,
        SignalId::TelemetryPayloadOpaque,
        SignalId::ProcessShell,
        SignalId::ProcessScriptHost,
        SignalId::ProcessLolbin,
        SignalId::ProcessNetworkTool,
        SignalId::ProcessInTemp,
        SignalId::ProcessInDownloads,
        SignalId::ProcessInUserWritable,
        SignalId::DynamicDns,
        SignalId::TunnelService,
        SignalId::CloudIotFromOtherHost,
        SignalId::RetiredCloudIot,
        SignalId::RetiredChatService,
    ];

    #[test]
    fn every_entry_has_a_reason_a_match_and_what_it_absorbs() {
        let list = default_allowlist();
        assert!(list.len() > 20);
        for e in &list {
            assert!(!e.reason.trim().is_empty());
            assert!(!e.describe().is_empty(), "{}", e.reason);
            assert!(!e.explains.is_empty(), "{}", e.reason);
            for x in &e.explains {
                for id in NEVER_EXPLAINED {
                    assert!(!x.signals.contains(id), "{} explains {id}", e.reason);
                }
            }
        }
    }

    #[test]
    fn decisive_evidence_is_never_explained_except_timing_by_classes_that_time() {
        use crate::allowlist::DECISIVE;
        for id in DECISIVE {
            if !TIMING.contains(id) {
                assert!(NEVER_EXPLAINED.contains(id), "{id}");
            }
        }
    }

    #[test]
    fn stock_tools_are_not_on_the_list() {
        for e in default_allowlist() {
            let d = e.describe();
            for stock in [
                "paho/",
                "mqttjs_",
                "mosq-",
                "mosquitto_pub",
                "mosquitto_sub",
            ] {
                assert!(!d.contains(stock), "{}: {d}", e.reason);
            }
        }
    }

    #[test]
    fn timing_is_explained_on_one_host_only_where_one_host_produces_it() {
        for e in default_allowlist() {
            let beacon = e
                .explains
                .iter()
                .find(|x| x.signals.contains(&SignalId::Beacon));
            let reason = e.reason.as_str();
            if reason.contains("IoT Core") || reason.contains("IoT Hub") {
                assert_eq!(
                    beacon.map(|x| x.when),
                    Some(When::IotHostOrReachedBy(MANY_HOSTS))
                );
            } else if e.internal_only {
                assert_eq!(beacon.map(|x| x.when), Some(When::ReachedBy(MANY_HOSTS)));
                assert!(e.destination.is_none(), "{reason}: no hard-coded networks");
            } else if reason.contains("chat client") || reason.contains("developer tool") {
                assert!(beacon.is_none(), "{reason}");
            }
        }
    }
}
