//! The labeled scenario: a list of channels (one client process on one host talking to one
//! broker endpoint), each labeled `c2` or `benign` with a category, and everything the renderers
//! need to draw it the same way in a capture, a Sysmon log and a Zeek log: addresses, process and
//! user, DNS name, protocol and its carrier (cleartext, WebSocket, TLS with or without ALPN,
//! XMPP STARTTLS), client ids and topics, a timing model and payload styles.
//!
//! The catalogue ([`Scenario::generate`]) follows docs/names-and-payloads.md and
//! docs/destinations.md: benign traffic is the majority and varied (cloud IoT fleets, home
//! automation on a LAN broker, XMPP chat, RabbitMQ / ActiveMQ / Kafka applications, developers on
//! public and local brokers, Apple push on 5223, browsers), and C2 is modelled on the real profiles
//! (Mythic's MQTT profile, MQsTTang, GLOOXMAIL, an XMPP shell bot, IOCONTROL, BambooToken, a
//! `mosquitto_sub` loop, a Fernet-in-telemetry sensor disguise) plus channels on ports 80 and 443.
//! Identifiers, addresses and timing phases vary with the seed; the set of channels and their kinds
//! do not, so every seed tests the same classes.

use crate::rng::SplitMix64;
use crate::time::{MICROS_PER_SEC, Micros};
use serde::Serialize;
use std::net::Ipv4Addr;

/// Ground-truth label of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    C2,
    Benign,
}

/// The host's operating system: decides path style and whether Sysmon logs it (macOS, phones
/// and embedded devices run no Sysmon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Os {
    Windows,
    Linux,
    Macos,
    Embedded,
}

impl Os {
    pub fn has_sysmon(self) -> bool {
        matches!(self, Os::Windows | Os::Linux)
    }
}

/// The application protocol spoken inside the carrier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AppProtocol {
    /// MQTT with its protocol level (4 = 3.1.1, 5 = 5.0).
    Mqtt(u8),
    Xmpp,
    Amqp,
    Stomp,
    Kafka,
    /// A proprietary or HTTP protocol under TLS (Apple push, Google FCM, web): only sizes show.
    Opaque,
}

impl AppProtocol {
    pub fn name(self) -> &'static str {
        match self {
            AppProtocol::Mqtt(_) => "MQTT",
            AppProtocol::Xmpp => "XMPP",
            AppProtocol::Amqp => "AMQP",
            AppProtocol::Stomp => "STOMP",
            AppProtocol::Kafka => "Kafka",
            AppProtocol::Opaque => "opaque",
        }
    }
}

/// How the application bytes travel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Carrier {
    Cleartext,
    /// RFC 6455 with subprotocol `mqtt`, over cleartext HTTP.
    WebSocket {
        path: String,
    },
    /// TLS from the first byte; `alpn` as offered in the ClientHello.
    Tls {
        alpn: Vec<&'static str>,
    },
    /// XMPP STARTTLS: the stream header and features in clear, then TLS.
    StartTls,
}

/// Whether the client keeps one connection open or opens one per check-in.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConnectionMode {
    /// Sessions of about `session_secs` (±20 %), reconnecting a few seconds after each ends.
    Persistent { session_secs: f64 },
    /// A new TCP connection for every upstream message (connect, publish, collect, close).
    PerBeacon,
}

/// When messages of one direction happen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cadence {
    /// Every `period_secs`, each gap scaled by a uniform factor in `1 ± jitter`.
    Periodic { period_secs: f64, jitter: f64 },
    /// Event-driven: exponential gaps with this mean.
    Poisson { mean_secs: f64 },
}

/// What a message carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payload {
    /// Sensor JSON (`{"temperature":…}`).
    SensorJson,
    /// AWS IoT shadow update (`{"state":{"reported":…}}`).
    ShadowJson,
    /// Tasmota `tele/…/STATE`.
    TasmotaState,
    /// Zigbee2MQTT device state.
    ZigbeeState,
    /// Home Assistant service call to a device (`{"state":"ON"}`).
    HassCommand,
    /// A human chat line.
    ChatText,
    /// A business event (`{"order_id":…}`).
    OrderEvent,
    /// Celery `worker.heartbeat` event.
    CeleryHeartbeat,
    /// Web analytics event.
    ClickEvent,
    /// Developer test strings (`hello 17`, `{"test":true}`).
    DevTest,
    /// Random public-broker chatter as MQTT Explorer sees under `#`.
    PublicChatter,
    /// Mythic: `base64(UUID ‖ AES-256 ‖ HMAC)` of a JSON tasking message, `min..=max` raw bytes.
    MythicBase64 { min: usize, max: usize },
    /// MQsTTang: `{"Alive":N,"c_topic":…,"msg":"<base64>"}`.
    MqsttangJson,
    /// Fake telemetry with a Fernet token in a `checksum` field.
    FernetSensor,
    /// Plaintext bot command (`shell:id`, `tcpsyn:1.2.3.4:80`).
    PlainCommand,
    /// XMPP shell-bot command or its output (`$whoami`).
    ShellBot,
    /// BambooToken-like heartbeat: `{"guid":…,"status":"online",…}` with host facts.
    BambooHeartbeat,
    /// Base64 of an encrypted blob, `min..=max` raw bytes.
    EncryptedBase64 { min: usize, max: usize },
    /// Bytes of no visible structure, `min..=max` long (under TLS only sizes matter).
    Opaque { min: usize, max: usize },
}

/// One direction of application messages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Flow {
    pub cadence: Cadence,
    pub payload: Payload,
}

/// When and how a channel talks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    pub connection: ConnectionMode,
    /// Client → broker messages (publishes, sent stanzas); for [`ConnectionMode::PerBeacon`]
    /// this also sets when connections happen.
    pub upstream: Option<Flow>,
    /// Broker → client messages (deliveries). For per-beacon channels only the payload is used:
    /// a task is waiting at a check-in with probability `task_chance`.
    pub downstream: Option<Flow>,
    pub task_chance: f64,
    /// Announced keepalive in seconds (MQTT CONNECT keepalive, XMPP ping interval, AMQP
    /// heartbeat, STOMP heart-beat); 0 for none. Control traffic at this cadence is periodic by
    /// design and is not a beacon.
    pub keepalive_secs: u32,
    /// Seconds after the scenario start when the channel starts and stops.
    pub active_from: f64,
    pub active_until: f64,
}

/// A host of the simulated site.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Host {
    pub name: String,
    pub ip: Ipv4Addr,
    pub os: Os,
}

/// One client talking to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    pub id: String,
    pub label: Label,
    pub category: &'static str,
    pub description: String,
    pub host: Host,
    pub image: String,
    pub user: String,
    pub dst_ip: Ipv4Addr,
    pub dst_port: u16,
    /// The destination's DNS name: TLS SNI, XMPP `to`, HTTP `Host`, Sysmon DestinationHostname.
    pub dns_name: String,
    pub protocol: AppProtocol,
    pub carrier: Carrier,
    /// MQTT client id, XMPP JID, AMQP/Kafka client name, STOMP login.
    pub client_id: String,
    pub username: Option<String>,
    pub publish: Vec<String>,
    pub subscribe: Vec<String>,
    pub timing: Timing,
    /// One-way delay from the capture point to the server and back, microseconds.
    pub rtt_micros: Micros,
}

/// A generated scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    pub seed: u64,
    /// Start of the capture, epoch microseconds.
    pub start: Micros,
    /// Length of the capture in seconds.
    pub span_secs: f64,
    pub channels: Vec<Channel>,
}

/// 2024-03-04T00:00:00Z, a Monday (the same start as the conn.log generator).
pub const DEFAULT_START_SECS: i64 = 1_709_510_400;

/// Standard pub/sub ports (pubsub-hunt's defaults), by protocol.
pub const STANDARD_PORTS: [(u16, &str); 9] = [
    (1883, "MQTT"),
    (8883, "MQTT"),
    (5222, "XMPP"),
    (5223, "XMPP"),
    (5269, "XMPP"),
    (5671, "AMQP"),
    (5672, "AMQP"),
    (61613, "STOMP"),
    (61614, "STOMP"),
];

/// The protocol a standard port stands for, if it is one.
pub fn standard_port(port: u16) -> Option<&'static str> {
    STANDARD_PORTS
        .iter()
        .find(|(p, _)| *p == port)
        .map(|(_, name)| *name)
}

const HOUR: f64 = 3600.0;

/// Builds channels with shared defaults and a seeded source of identifiers.
struct Catalogue {
    rng: SplitMix64,
    span: f64,
    channels: Vec<Channel>,
    next_octet: u8,
}

struct Spec<'a> {
    id: &'a str,
    label: Label,
    category: &'static str,
    description: &'a str,
    host: (&'a str, Ipv4Addr, Os),
    image: &'a str,
    user: &'a str,
    dst: (Ipv4Addr, u16, &'a str),
    protocol: AppProtocol,
    carrier: Carrier,
    client_id: String,
    username: Option<String>,
    publish: Vec<String>,
    subscribe: Vec<String>,
    timing: Timing,
    rtt_ms: f64,
}

fn periodic(period_secs: f64, jitter: f64, payload: Payload) -> Option<Flow> {
    Some(Flow {
        cadence: Cadence::Periodic {
            period_secs,
            jitter,
        },
        payload,
    })
}

fn poisson(mean_secs: f64, payload: Payload) -> Option<Flow> {
    Some(Flow {
        cadence: Cadence::Poisson { mean_secs },
        payload,
    })
}

fn persistent(session_secs: f64) -> ConnectionMode {
    ConnectionMode::Persistent { session_secs }
}

fn tls(alpn: &[&'static str]) -> Carrier {
    Carrier::Tls {
        alpn: alpn.to_vec(),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Adds a channel (the spec first, so that building it may draw from the catalogue).
fn push(s: Spec<'_>, c: &mut Catalogue) {
    c.channels.push(Channel {
        id: s.id.to_string(),
        label: s.label,
        category: s.category,
        description: s.description.to_string(),
        host: Host {
            name: s.host.0.to_string(),
            ip: s.host.1,
            os: s.host.2,
        },
        image: s.image.to_string(),
        user: s.user.to_string(),
        dst_ip: s.dst.0,
        dst_port: s.dst.1,
        dns_name: s.dst.2.to_string(),
        protocol: s.protocol,
        carrier: s.carrier,
        client_id: s.client_id,
        username: s.username,
        publish: s.publish,
        subscribe: s.subscribe,
        timing: s.timing,
        rtt_micros: (s.rtt_ms * 1000.0) as Micros,
    });
}

impl Catalogue {
    /// A fresh address in `a.b.c.0/24` (hosts of the site never collide).
    fn ip(&mut self, a: u8, b: u8, c: u8) -> Ipv4Addr {
        self.next_octet = self.next_octet.wrapping_add(1 + self.rng.below(5) as u8);
        if self.next_octet < 10 {
            self.next_octet = 10;
        }
        Ipv4Addr::new(a, b, c, self.next_octet)
    }

    /// The address of a host already in the scenario, or a fresh one in `a.b.c.0/24`: a host
    /// name always has one address.
    fn host_ip(&mut self, name: &str, a: u8, b: u8, c: u8) -> Ipv4Addr {
        match self.channels.iter().find(|ch| ch.host.name == name) {
            Some(ch) => ch.host.ip,
            None => self.ip(a, b, c),
        }
    }

    fn hex(&mut self, n: usize) -> String {
        super::wire::random_hex(&mut self.rng, n)
    }

    fn upper_hex(&mut self, n: usize) -> String {
        self.hex(n).to_ascii_uppercase()
    }

    fn guid(&mut self) -> String {
        format!(
            "{}-{}-{}-{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(4),
            self.hex(4),
            self.hex(12)
        )
    }

    /// A start offset in `lo..hi` hours.
    fn hours(&mut self, lo: f64, hi: f64) -> f64 {
        (lo + self.rng.unit() * (hi - lo)) * HOUR
    }

    fn whole(&self) -> (f64, f64) {
        (0.0, self.span)
    }
}

/// A timing model with the window clamped to the scenario.
fn timing(
    span: f64,
    connection: ConnectionMode,
    upstream: Option<Flow>,
    downstream: Option<Flow>,
    keepalive_secs: u32,
    window: (f64, f64),
) -> Timing {
    Timing {
        connection,
        upstream,
        downstream,
        task_chance: 0.0,
        keepalive_secs,
        active_from: window.0.clamp(0.0, span),
        active_until: window.1.clamp(0.0, span),
    }
}

impl Scenario {
    /// The scenario of `seed` over `hours` hours (at least 2) from [`DEFAULT_START_SECS`].
    pub fn generate(seed: u64, hours: f64) -> Scenario {
        let span = hours.max(2.0) * HOUR;
        let mut c = Catalogue {
            rng: SplitMix64::for_stream(seed, 0x1abe1ed),
            span,
            channels: Vec::new(),
            next_octet: 10,
        };
        devices::devices(&mut c);
        people::people(&mut c);
        c2::c2(&mut c);
        Scenario {
            seed,
            start: DEFAULT_START_SECS * MICROS_PER_SEC,
            span_secs: span,
            channels: c.channels,
        }
    }

    pub fn end(&self) -> Micros {
        self.start + (self.span_secs * MICROS_PER_SEC as f64) as Micros
    }
}

#[path = "model_c2.rs"]
mod c2;
#[path = "model_devices.rs"]
mod devices;
#[path = "model_people.rs"]
mod people;

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn benign_is_the_majority_and_every_class_is_present() {
        let s = Scenario::generate(1, 24.0);
        let c2 = s.channels.iter().filter(|c| c.label == Label::C2).count();
        let benign = s.channels.len() - c2;
        assert!(benign > c2, "{benign} benign vs {c2} c2");
        let categories: HashSet<&str> = s.channels.iter().map(|c| c.category).collect();
        for want in [
            "iot-fleet",
            "home-automation",
            "chat",
            "mq-app",
            "dev-broker",
            "apple-push",
            "mythic-mqtt",
            "mqsttang",
            "glooxmail-xmpp",
            "c2-stomp",
            "c2-443",
            "c2-80",
            "c2-80-ws",
        ] {
            assert!(categories.contains(want), "missing {want}");
        }
    }

    #[test]
    fn channels_are_told_apart_by_their_endpoints() {
        // The evaluation matches alerts to channels by (src_ip, dst_ip, dst_port).
        for seed in 0..20 {
            let s = Scenario::generate(seed, 24.0);
            let mut keys = HashSet::new();
            let mut ids = HashSet::new();
            for c in &s.channels {
                assert!(ids.insert(c.id.clone()), "id {} twice", c.id);
                assert!(
                    keys.insert((c.host.ip, c.dst_ip, c.dst_port)),
                    "seed {seed}: {} shares its endpoints",
                    c.id
                );
                assert!(c.timing.active_from < c.timing.active_until, "{}", c.id);
            }
        }
    }

    #[test]
    fn windows_hosts_have_windows_paths() {
        let s = Scenario::generate(3, 24.0);
        for c in &s.channels {
            match c.host.os {
                Os::Windows => assert!(c.image.starts_with("C:\\"), "{}", c.id),
                Os::Linux | Os::Macos => assert!(c.image.starts_with('/'), "{}", c.id),
                Os::Embedded => {}
            }
        }
    }
}
