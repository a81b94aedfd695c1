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
        benign(&mut c);
        c2(&mut c);
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

fn benign(c: &mut Catalogue) {
    use AppProtocol::*;
    use Label::Benign;
    let whole = c.whole();
    let span = c.span;

    // --- IoT fleets on cloud hubs -----------------------------------------------------------
    let aws_prefix = format!("a{}-ats", c.hex(13));
    let aws_host = format!("{aws_prefix}.iot.eu-west-1.amazonaws.com");
    let aws_ip = Ipv4Addr::new(52, 48, 17, 100 + c.rng.below(100) as u8);
    for (i, period) in [60.0, 300.0, 600.0, 120.0].into_iter().enumerate() {
        let mac = c.upper_hex(12);
        let ip = c.ip(10, 30, 1);
        let id = format!("aws-iot-thermo-{}", i + 1);
        let client_id = format!("thermo-{mac}");
        let description = format!("ESP32 thermostat {client_id} reporting to AWS IoT Core");
        let t = timing(
            c.span,
            persistent(c.hours(6.0, 10.0)),
            periodic(period, 0.02, Payload::ShadowJson),
            poisson(4.0 * HOUR, Payload::ShadowJson),
            1200,
            whole,
        );
        push(
            Spec {
                id: &id,
                label: Benign,
                category: "iot-fleet",
                description: &description,
                host: (&format!("thermo-{}", &mac[6..]), ip, Os::Embedded),
                image: "esp32-firmware",
                user: "-",
                dst: (aws_ip, 8883, &aws_host),
                protocol: Mqtt(4),
                carrier: tls(&["x-amzn-mqtt-ca"]),
                publish: vec![format!("$aws/things/{client_id}/shadow/update")],
                subscribe: vec![format!("$aws/things/{client_id}/shadow/update/delta")],
                client_id,
                username: None,
                timing: t,
                rtt_ms: 28.0,
            },
            c,
        );
    }
    {
        let mac = c.upper_hex(12);
        let ip = c.ip(10, 30, 1);
        let client_id = format!("meter-{mac}");
        let t = timing(
            c.span,
            persistent(c.hours(5.0, 9.0)),
            periodic(900.0, 0.01, Payload::SensorJson),
            None,
            300,
            whole,
        );
        push(
            Spec {
                id: "aws-iot-meter-443",
                label: Benign,
                category: "iot-fleet",
                description: "energy meter on AWS IoT over port 443 with ALPN x-amzn-mqtt-ca",
                host: (&format!("meter-{}", &mac[6..]), ip, Os::Embedded),
                image: "meter-firmware",
                user: "-",
                dst: (
                    Ipv4Addr::new(52, 48, 17, aws_ip.octets()[3] + 1),
                    443,
                    &aws_host,
                ),
                protocol: Mqtt(4),
                carrier: tls(&["x-amzn-mqtt-ca"]),
                publish: vec![format!("dt/energy/{client_id}/telemetry")],
                subscribe: vec![format!("cmd/energy/{client_id}/#")],
                client_id,
                username: None,
                timing: t,
                rtt_ms: 28.0,
            },
            c,
        );
    }
    let hub = "contoso-plant.azure-devices.net";
    let hub_ip = Ipv4Addr::new(20, 50, 72, 10 + c.rng.below(200) as u8);
    for i in 1..=2 {
        let device = format!("press-line-{:02}", 3 + i);
        let ip = c.ip(10, 30, 2);
        let t = timing(
            c.span,
            persistent(c.hours(7.0, 11.0)),
            periodic(120.0, 0.05, Payload::SensorJson),
            poisson(6.0 * HOUR, Payload::SensorJson),
            240,
            whole,
        );
        push(
            Spec {
                id: &format!("azure-iot-{device}"),
                label: Benign,
                category: "iot-fleet",
                description: "press controller sending telemetry to Azure IoT Hub",
                host: (&device, ip, Os::Embedded),
                image: "azure-iot-sdk-c",
                user: "-",
                dst: (hub_ip, 8883, hub),
                protocol: Mqtt(4),
                carrier: tls(&[]),
                publish: vec![format!("devices/{device}/messages/events/")],
                subscribe: vec![format!("devices/{device}/messages/devicebound/#")],
                username: Some(format!("{hub}/{device}/?api-version=2021-04-12")),
                client_id: device.clone(),
                timing: t,
                rtt_ms: 22.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 20, 0);
        let t = timing(
            c.span,
            persistent(c.hours(8.0, 11.0)),
            periodic(60.0, 0.0, Payload::ShadowJson),
            poisson(2.0 * HOUR, Payload::ShadowJson),
            1200,
            whole,
        );
        push(
            Spec {
                id: "greengrass-gw",
                label: Benign,
                category: "iot-fleet",
                description: "AWS IoT Greengrass v2 nucleus on the plant gateway (fixed 60 s telemetry)",
                host: ("gw-plant-01", ip, Os::Linux),
                image: "/usr/lib/jvm/java-11-amazon-corretto/bin/java",
                user: "ggc_user",
                dst: (
                    Ipv4Addr::new(52, 48, 17, aws_ip.octets()[3] + 2),
                    8883,
                    &aws_host,
                ),
                protocol: Mqtt(4),
                carrier: tls(&["x-amzn-mqtt-ca"]),
                client_id: "gw-plant-01".into(),
                username: None,
                publish: strings(&["$aws/things/gw-plant-01/shadow/update"]),
                subscribe: strings(&["$aws/things/gw-plant-01/jobs/notify"]),
                timing: t,
                rtt_ms: 28.0,
            },
            c,
        );
    }

    // --- Home automation on the LAN Mosquitto ----------------------------------------------
    let mosquitto = Ipv4Addr::new(10, 30, 0, 2);
    {
        let ip = c.ip(10, 30, 0);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(1200.0, Payload::HassCommand),
            poisson(90.0, Payload::ZigbeeState),
            60,
            whole,
        );
        push(
            Spec {
                id: "home-assistant",
                label: Benign,
                category: "home-automation",
                description: "Home Assistant core subscribed to device state on the local Mosquitto",
                host: ("ha-core", ip, Os::Linux),
                image: "/usr/local/bin/python3.12",
                user: "homeassistant",
                dst: (mosquitto, 1883, "mqtt.home.lan"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("homeassistant-{}", c.hex(8)),
                username: Some("homeassistant".into()),
                publish: strings(&["zigbee2mqtt/living_room_lamp/set"]),
                subscribe: strings(&["homeassistant/#", "zigbee2mqtt/#", "tele/+/STATE"]),
                timing: t,
                rtt_ms: 0.4,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 30, 0);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(90.0, Payload::ZigbeeState),
            poisson(1500.0, Payload::HassCommand),
            60,
            whole,
        );
        push(
            Spec {
                id: "zigbee2mqtt",
                label: Benign,
                category: "home-automation",
                description: "Zigbee2MQTT bridge publishing sensor states as they change",
                host: ("zigbee-hub", ip, Os::Linux),
                image: "/usr/bin/node",
                user: "zigbee2mqtt",
                dst: (mosquitto, 1883, "mqtt.home.lan"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("zigbee2mqtt_{}", c.hex(8)),
                username: Some("zigbee2mqtt".into()),
                publish: strings(&[
                    "zigbee2mqtt/hallway_motion",
                    "zigbee2mqtt/kitchen_temp",
                    "zigbee2mqtt/front_door",
                ]),
                subscribe: strings(&["zigbee2mqtt/+/set", "zigbee2mqtt/bridge/request/#"]),
                timing: t,
                rtt_ms: 0.4,
            },
            c,
        );
    }
    for (i, keepalive) in [30, 60].into_iter().enumerate() {
        let mac = c.upper_hex(6);
        let ip = c.ip(10, 30, 0);
        let t = timing(
            c.span,
            persistent(c.hours(8.0, 11.0)),
            periodic(300.0, 0.005, Payload::TasmotaState),
            poisson(3.0 * HOUR, Payload::HassCommand),
            keepalive,
            whole,
        );
        push(
            Spec {
                id: &format!("tasmota-plug-{}", i + 1),
                label: Benign,
                category: "home-automation",
                description: "Tasmota smart plug: TelePeriod 300 s, MQTT keepalive 30 or 60 s",
                host: (&format!("tasmota-{mac}"), ip, Os::Embedded),
                image: "tasmota",
                user: "-",
                dst: (mosquitto, 1883, "mqtt.home.lan"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                publish: vec![
                    format!("tele/tasmota_{mac}/STATE"),
                    format!("tele/tasmota_{mac}/SENSOR"),
                ],
                subscribe: vec![format!("cmnd/tasmota_{mac}/#")],
                client_id: format!("DVES_{mac}"),
                username: Some("DVES_USER".into()),
                timing: t,
                rtt_ms: 0.6,
            },
            c,
        );
    }

    // --- XMPP chat on public servers --------------------------------------------------------
    let chat = [
        (
            "chat-pidgin",
            "Pidgin on a finance workstation, jabber.org over STARTTLS",
            ("WS-FIN-07", Os::Windows),
            "C:\\Program Files (x86)\\Pidgin\\pidgin.exe",
            "CORP\\ebrown",
            (Ipv4Addr::new(208, 68, 163, 218), 5222, "jabber.org"),
            Carrier::StartTls,
            "ebrown@jabber.org",
        ),
        (
            "chat-gajim",
            "Gajim on a developer laptop, conversations.im over STARTTLS",
            ("dev-lt-03", Os::Linux),
            "/usr/bin/python3.11",
            "dkovacs",
            (Ipv4Addr::new(78, 47, 177, 120), 5222, "conversations.im"),
            Carrier::StartTls,
            "dkovacs@conversations.im",
        ),
        (
            "chat-conversations",
            "Conversations on an Android phone, direct TLS on 5223 (XEP-0368)",
            ("pixel-7-jdoe", Os::Embedded),
            "eu.siacs.conversations",
            "-",
            (Ipv4Addr::new(133, 18, 152, 44), 5223, "xmpp.jp"),
            Carrier::Tls {
                alpn: vec!["xmpp-client"],
            },
            "jdoe@xmpp.jp",
        ),
    ];
    for (id, description, (host, os), image, user, dst, carrier, jid) in chat {
        let ip = if os == Os::Embedded {
            c.host_ip(host, 10, 40, 0)
        } else {
            c.host_ip(host, 10, 10, 20)
        };
        let from = c.hours(6.5, 8.5);
        let until = from + c.hours(9.0, 10.5);
        let t = timing(
            c.span,
            persistent(c.hours(2.5, 4.0)),
            poisson(420.0, Payload::ChatText),
            poisson(360.0, Payload::ChatText),
            300,
            (from, until),
        );
        push(
            Spec {
                id,
                label: Benign,
                category: "chat",
                description,
                host: (host, ip, os),
                image,
                user,
                dst,
                protocol: Xmpp,
                carrier,
                client_id: jid.into(),
                username: None,
                publish: strings(&["friend1@jabber.de", "team@conference.jabber.org"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 35.0,
            },
            c,
        );
    }

    // --- Message-queue applications ---------------------------------------------------------
    let rabbit = Ipv4Addr::new(10, 20, 0, 15);
    {
        let ip = c.ip(10, 20, 1);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(60.0, Payload::OrderEvent),
            poisson(180.0, Payload::OrderEvent),
            60,
            whole,
        );
        push(
            Spec {
                id: "rabbitmq-orders",
                label: Benign,
                category: "mq-app",
                description: "Spring Boot order service publishing to RabbitMQ",
                host: ("app-orders-01", ip, Os::Linux),
                image: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                user: "orders",
                dst: (rabbit, 5672, "rabbitmq.corp.internal"),
                protocol: Amqp,
                carrier: Carrier::Cleartext,
                client_id: "order-service".into(),
                username: Some("orders".into()),
                publish: strings(&["orders/order.created", "orders/order.paid"]),
                subscribe: strings(&["order-service.payments"]),
                timing: t,
                rtt_ms: 0.3,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 20, 1);
        let from = c.hours(9.0, 12.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.4, 0.5)),
            periodic(2.0, 0.0, Payload::CeleryHeartbeat),
            poisson(120.0, Payload::OrderEvent),
            60,
            (from, from + HOUR),
        );
        push(
            Spec {
                id: "celery-worker",
                label: Benign,
                category: "mq-app",
                description: "Celery worker during a batch window: worker.heartbeat every 2.00 s",
                host: ("batch-02", ip, Os::Linux),
                image: "/opt/reports/venv/bin/python3",
                user: "celery",
                dst: (rabbit, 5672, "rabbitmq.corp.internal"),
                protocol: Amqp,
                carrier: Carrier::Cleartext,
                client_id: "celery@batch-02".into(),
                username: Some("celery".into()),
                publish: strings(&["celeryev/worker.heartbeat"]),
                subscribe: strings(&["celery"]),
                timing: t,
                rtt_ms: 0.3,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 20, 1);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(150.0, Payload::OrderEvent),
            poisson(200.0, Payload::OrderEvent),
            60,
            whole,
        );
        push(
            Spec {
                id: "activemq-billing",
                label: Benign,
                category: "mq-app",
                description: "billing service (stomp.py) on ActiveMQ's STOMP connector",
                host: ("billing-01", ip, Os::Linux),
                image: "/opt/billing/venv/bin/python3",
                user: "billing",
                dst: (
                    Ipv4Addr::new(10, 20, 0, 16),
                    61613,
                    "activemq.corp.internal",
                ),
                protocol: Stomp,
                carrier: Carrier::Cleartext,
                client_id: "billing".into(),
                username: Some("billing".into()),
                publish: strings(&["/queue/invoices"]),
                subscribe: strings(&["/queue/invoice-results"]),
                timing: t,
                rtt_ms: 0.3,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 20, 1);
        let t = timing(
            c.span,
            persistent(c.hours(9.0, 11.5)),
            poisson(90.0, Payload::ClickEvent),
            None,
            0,
            whole,
        );
        push(
            Spec {
                id: "kafka-clickstream",
                label: Benign,
                category: "mq-app",
                description: "web tier producing clickstream events to Kafka",
                host: ("web-01", ip, Os::Linux),
                image: "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
                user: "webapp",
                dst: (Ipv4Addr::new(10, 20, 0, 17), 9092, "kafka-1.corp.internal"),
                protocol: Kafka,
                carrier: Carrier::Cleartext,
                client_id: "clickstream-producer".into(),
                username: None,
                publish: strings(&["web.clickstream"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 0.3,
            },
            c,
        );
    }

    // --- Developers -------------------------------------------------------------------------
    let test_mosquitto = Ipv4Addr::new(91, 121, 93, 94);
    {
        let ip = c.ip(10, 10, 30);
        let from = c.hours(9.0, 11.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.5, 0.8)),
            poisson(900.0, Payload::DevTest),
            poisson(6.0, Payload::PublicChatter),
            60,
            (from, from + 1.5 * HOUR),
        );
        push(
            Spec {
                id: "dev-mqtt-explorer",
                label: Benign,
                category: "dev-broker",
                description: "MQTT Explorer browsing test.mosquitto.org (subscribed to #)",
                host: ("DEV-WS-12", ip, Os::Windows),
                image: "C:\\Users\\okafor\\AppData\\Local\\Programs\\mqtt-explorer\\MQTT Explorer.exe",
                user: "CORP\\okafor",
                dst: (test_mosquitto, 1883, "test.mosquitto.org"),
                protocol: Mqtt(5),
                carrier: Carrier::Cleartext,
                client_id: format!("mqtt-explorer-{}", c.hex(8)),
                username: None,
                publish: strings(&["okafor/test"]),
                subscribe: strings(&["#", "$SYS/#"]),
                timing: t,
                rtt_ms: 18.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 30);
        let from = c.hours(13.0, 15.0);
        let t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(5.0, 0.02, Payload::DevTest),
            None,
            60,
            (from, from + 0.5 * HOUR),
        );
        push(
            Spec {
                id: "dev-mosquitto-pub-loop",
                label: Benign,
                category: "dev-broker",
                description: "developer testing with `while true; do mosquitto_pub …; sleep 5; done` against the team broker",
                host: ("dev-lt-05", ip, Os::Linux),
                image: "/usr/bin/mosquitto_pub",
                user: "lnguyen",
                dst: (Ipv4Addr::new(10, 10, 30, 5), 1883, "mqtt-dev.corp.internal"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("mosq-{}", c.hex(18)),
                username: None,
                publish: strings(&["dev/lnguyen/sensor-sim"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 0.5,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 30);
        let from = c.hours(10.0, 12.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.9, 1.2)),
            None,
            poisson(20.0, Payload::PublicChatter),
            60,
            (from, from + 3.0 * HOUR),
        );
        push(
            Spec {
                id: "dev-mosquitto-sub",
                label: Benign,
                category: "dev-broker",
                description: "mosquitto_sub -h test.mosquitto.org -t 'test/#' in a developer terminal",
                host: ("dev-lt-07", ip, Os::Linux),
                image: "/usr/bin/mosquitto_sub",
                user: "fmuller",
                dst: (test_mosquitto, 1883, "test.mosquitto.org"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("mosq-{}", c.hex(18)),
                username: None,
                publish: Vec::new(),
                subscribe: strings(&["test/#"]),
                timing: t,
                rtt_ms: 18.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 30);
        let from = c.hours(14.0, 16.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.5, 0.7)),
            periodic(10.0, 0.01, Payload::SensorJson),
            None,
            60,
            (from, from + 1.25 * HOUR),
        );
        push(
            Spec {
                id: "dev-paho-hivemq",
                label: Benign,
                category: "dev-broker",
                description: "a paho-mqtt prototype publishing fake sensor data to broker.hivemq.com every 10 s",
                host: ("DEV-WS-14", ip, Os::Windows),
                image: "C:\\Users\\rsilva\\AppData\\Local\\Programs\\Python\\Python312\\python.exe",
                user: "CORP\\rsilva",
                dst: (Ipv4Addr::new(3, 120, 213, 66), 1883, "broker.hivemq.com"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("paho/{}", c.upper_hex(18)),
                username: None,
                publish: strings(&["rsilva/demo/greenhouse/temperature"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 24.0,
            },
            c,
        );
    }

    // --- Apple push, FCM, browsers ----------------------------------------------------------
    let apns = [
        (
            "apple-push-mac",
            ("MBP-ANNA", Os::Macos),
            "/System/Library/PrivateFrameworks/ApplePushService.framework/apsd",
            "root",
        ),
        (
            "apple-push-windows",
            ("WS-FIN-07", Os::Windows),
            "C:\\Program Files\\Common Files\\Apple\\Apple Application Support\\APSDaemon.exe",
            "CORP\\ebrown",
        ),
    ];
    for (id, (host, os), image, user) in apns {
        let ip = c.host_ip(host, 10, 10, 20);
        let courier = 1 + c.rng.below(50);
        let t = timing(
            c.span,
            persistent(c.hours(3.0, 6.0)),
            periodic(1800.0, 0.1, Payload::Opaque { min: 30, max: 60 }),
            poisson(1500.0, Payload::Opaque { min: 120, max: 900 }),
            1800,
            whole,
        );
        push(
            Spec {
                id,
                label: Benign,
                category: "apple-push",
                description: "Apple push (APNs courier) on 5223",
                host: (host, ip, os),
                image,
                user,
                dst: (
                    Ipv4Addr::new(17, 57, 146, 20 + c.rng.below(100) as u8),
                    5223,
                    &format!("{courier}-courier.push.apple.com"),
                ),
                protocol: Opaque,
                carrier: tls(&[]),
                client_id: String::new(),
                username: None,
                publish: Vec::new(),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 40.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 20);
        let t = timing(
            c.span,
            persistent(c.hours(4.0, 6.0)),
            periodic(230.0, 0.05, Payload::Opaque { min: 20, max: 40 }),
            poisson(2400.0, Payload::Opaque { min: 200, max: 800 }),
            230,
            (c.hours(7.0, 8.0), span - c.hours(4.0, 5.0)),
        );
        push(
            Spec {
                id: "chrome-fcm",
                label: Benign,
                category: "push",
                description: "Chrome's Firebase Cloud Messaging channel to mtalk.google.com:5228",
                host: ("WS-HR-03", ip, Os::Windows),
                image: "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
                user: "CORP\\mlopez",
                dst: (Ipv4Addr::new(142, 250, 102, 188), 5228, "mtalk.google.com"),
                protocol: Opaque,
                carrier: tls(&[]),
                client_id: String::new(),
                username: None,
                publish: Vec::new(),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 12.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 20);
        let from = c.hours(12.0, 13.0);
        let t = timing(
            c.span,
            persistent(c.hours(0.3, 0.5)),
            poisson(30.0, Payload::Opaque { min: 60, max: 200 }),
            poisson(10.0, Payload::Opaque { min: 60, max: 200 }),
            0,
            (from, from + c.hours(0.8, 1.0)),
        );
        push(
            Spec {
                id: "browser-game-wss",
                label: Benign,
                category: "browser-public-broker",
                description: "a browser chess game on wss://broker.emqx.io:8084/mqtt",
                host: ("WS-MKT-02", ip, Os::Windows),
                image: "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
                user: "CORP\\pgarcia",
                dst: (Ipv4Addr::new(34, 243, 44, 196), 8084, "broker.emqx.io"),
                protocol: Opaque,
                carrier: tls(&["http/1.1"]),
                client_id: String::new(),
                username: None,
                publish: Vec::new(),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 30.0,
            },
            c,
        );
    }
    {
        let ip = c.ip(10, 10, 20);
        let t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(
                1800.0,
                0.3,
                Payload::Opaque {
                    min: 400,
                    max: 1400,
                },
            ),
            None,
            0,
            whole,
        );
        push(
            Spec {
                id: "web-https-updates",
                label: Benign,
                category: "web",
                description: "an updater checking for updates over HTTPS every ~30 min",
                host: ("WS-OPS-01", ip, Os::Windows),
                image: "C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe",
                user: "NT AUTHORITY\\SYSTEM",
                dst: (
                    Ipv4Addr::new(13, 107, 4, 50),
                    443,
                    "msedge.api.cdp.microsoft.com",
                ),
                protocol: Opaque,
                carrier: tls(&["h2", "http/1.1"]),
                client_id: String::new(),
                username: None,
                publish: Vec::new(),
                subscribe: Vec::new(),
                timing: Timing {
                    task_chance: 0.5,
                    downstream: Some(Flow {
                        cadence: Cadence::Poisson { mean_secs: 1.0 },
                        payload: Payload::Opaque {
                            min: 800,
                            max: 6000,
                        },
                    }),
                    ..t
                },
                rtt_ms: 9.0,
            },
            c,
        );
    }
}

fn c2(c: &mut Catalogue) {
    use AppProtocol::*;
    use Label::C2;
    let span = c.span;

    // Mythic MQTT profile, medusa-mqtt agent: reconnect per check-in, fixed 10 s, TLS 8883.
    {
        let ip = c.host_ip("WS-HR-03", 10, 10, 20);
        let from = c.hours(10.0, 13.0);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(10.0, 0.0, Payload::MythicBase64 { min: 96, max: 240 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::MythicBase64 {
                    min: 200,
                    max: 1200,
                },
            }),
            60,
            (from, from + HOUR),
        );
        t.task_chance = 0.1;
        let dns = format!("mqtt.{}-telemetry.net", c.hex(6));
        push(
            Spec {
                id: "c2-mythic-mqtt",
                label: C2,
                category: "mythic-mqtt",
                description: "Mythic mqtt profile (medusa-mqtt): TLS 8883, new connection per 10 s check-in, billbradley/2 → billbradley/1",
                host: ("WS-HR-03", ip, Os::Windows),
                image: "C:\\Users\\mlopez\\AppData\\Local\\Programs\\Python\\Python311\\pythonw.exe",
                user: "CORP\\mlopez",
                dst: (
                    Ipv4Addr::new(185, 225, 17, 40 + c.rng.below(50) as u8),
                    8883,
                    &dns,
                ),
                protocol: Mqtt(4),
                carrier: tls(&[]),
                client_id: "broomhilda".into(),
                username: None,
                publish: strings(&["billbradley/2"]),
                subscribe: strings(&["billbradley/1"]),
                timing: t,
                rtt_ms: 45.0,
            },
            c,
        );
    }
    // The same profile with 30 % jitter and a 60 s interval, cleartext 1883 from a Linux web
    // server (dropped by a web-shell into /tmp).
    {
        let ip = c.ip(10, 20, 2);
        let from = c.hours(3.0, 6.0);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(60.0, 0.3, Payload::MythicBase64 { min: 96, max: 240 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::MythicBase64 {
                    min: 200,
                    max: 2400,
                },
            }),
            60,
            (from, from + 6.0 * HOUR),
        );
        t.task_chance = 0.15;
        push(
            Spec {
                id: "c2-mythic-mqtt-jitter",
                label: C2,
                category: "mythic-mqtt",
                description: "Mythic mqtt profile with 30 % jitter, 60 s, cleartext 1883 to a public broker",
                host: ("web-02", ip, Os::Linux),
                image: "/tmp/.X11-cache/python3",
                user: "www-data",
                dst: (Ipv4Addr::new(34, 243, 44, 197), 1883, "broker.emqx.io"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: "broomhilda".into(),
                username: None,
                publish: strings(&["billbradley/2"]),
                subscribe: strings(&["billbradley/1"]),
                timing: t,
                rtt_ms: 80.0,
            },
            c,
        );
    }
    // MQsTTang / QMAGENT: persistent cleartext 1883, no auth, iot/server topics, Alive JSON.
    {
        let ip = c.ip(10, 10, 22);
        let from = c.hours(1.0, 4.0);
        let t = timing(
            c.span,
            persistent(c.hours(4.0, 6.0)),
            periodic(60.0, 0.05, Payload::MqsttangJson),
            poisson(3600.0, Payload::MqsttangJson),
            60,
            (from, span),
        );
        push(
            Spec {
                id: "c2-mqsttang",
                label: C2,
                category: "mqsttang",
                description: "MQsTTang-style backdoor: persistent cleartext MQTT, topics iot/server*, Alive/c_topic/msg JSON",
                host: ("WS-LEGAL-02", ip, Os::Windows),
                image: "C:\\Users\\tchen\\AppData\\Local\\Temp\\Rar$EXa8812.40152\\Invitation letter.exe",
                user: "CORP\\tchen",
                dst: (Ipv4Addr::new(3, 228, 54, 173), 1883, "3.228.54.173"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: c.hex(16),
                username: None,
                publish: strings(&["iot/server1"]),
                subscribe: strings(&["iot/server0", "iot/server2"]),
                timing: t,
                rtt_ms: 90.0,
            },
            c,
        );
    }
    // GLOOXMAIL: XMPP with STARTTLS to a Google-Talk-like service, commands as chat messages.
    {
        let ip = c.ip(10, 10, 23);
        let from = c.hours(0.5, 2.0);
        let t = timing(
            c.span,
            persistent(c.hours(5.0, 7.0)),
            periodic(300.0, 0.2, Payload::EncryptedBase64 { min: 40, max: 120 }),
            poisson(2.0 * HOUR, Payload::EncryptedBase64 { min: 40, max: 400 }),
            60,
            (from, span),
        );
        push(
            Spec {
                id: "c2-glooxmail",
                label: C2,
                category: "glooxmail-xmpp",
                description: "GLOOXMAIL-style implant: gloox XMPP client to talk.google.com:5222, STARTTLS, 5 min check-ins",
                host: ("WS-ENG-11", ip, Os::Windows),
                image: "C:\\ProgramData\\Microsoft\\Crypto\\RSA\\igfxsrvc.exe",
                user: "NT AUTHORITY\\SYSTEM",
                dst: (Ipv4Addr::new(74, 125, 140, 125), 5222, "talk.google.com"),
                protocol: Xmpp,
                carrier: Carrier::StartTls,
                client_id: "mark.lunde82@gmail.com".into(),
                username: None,
                publish: strings(&["wang.lei.ops@gmail.com"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 20.0,
            },
            c,
        );
    }
    // XMPP shell bot in cleartext to an attacker's Prosody.
    {
        let ip = c.ip(10, 20, 3);
        let from = c.hours(2.0, 5.0);
        let t = timing(
            c.span,
            persistent(c.hours(3.0, 5.0)),
            periodic(900.0, 0.1, Payload::ShellBot),
            poisson(1800.0, Payload::ShellBot),
            120,
            (from, span),
        );
        push(
            Spec {
                id: "c2-xmpp-shell-bot",
                label: C2,
                category: "xmpp-shell-bot",
                description: "XMPP_Shell_Bot-style bot on a build server: cleartext XMPP, $-prefixed shell commands",
                host: ("build-01", ip, Os::Linux),
                image: "/usr/bin/python3",
                user: "jenkins",
                dst: (Ipv4Addr::new(45, 147, 229, 12), 5222, "chat.dl-mirror.org"),
                protocol: Xmpp,
                carrier: Carrier::Cleartext,
                client_id: format!("bot-{}@chat.dl-mirror.org", c.hex(6)),
                username: None,
                publish: strings(&["op@chat.dl-mirror.org"]),
                subscribe: Vec::new(),
                timing: t,
                rtt_ms: 60.0,
            },
            c,
        );
    }
    // STOMP C2 (no public implant uses it; modelled as a reconnecting beacon).
    {
        let ip = c.ip(10, 20, 4);
        let from = c.hours(1.0, 3.0);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(300.0, 0.2, Payload::EncryptedBase64 { min: 64, max: 200 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::EncryptedBase64 { min: 100, max: 900 },
            }),
            0,
            (from, span),
        );
        t.task_chance = 0.1;
        let q = c.hex(12);
        push(
            Spec {
                id: "c2-stomp",
                label: C2,
                category: "c2-stomp",
                description: "STOMP beacon from a database server to an external ActiveMQ, 5 min ± 20 %",
                host: ("db-03", ip, Os::Linux),
                image: "/dev/shm/.kworker",
                user: "postgres",
                dst: (Ipv4Addr::new(91, 215, 85, 203), 61613, "mq.cloud-sync.biz"),
                protocol: Stomp,
                carrier: Carrier::Cleartext,
                client_id: "agent".into(),
                username: Some("agent".into()),
                publish: vec![format!("/queue/r.{q}")],
                subscribe: vec![format!("/queue/t.{q}")],
                timing: t,
                rtt_ms: 70.0,
            },
            c,
        );
    }
    // TLS on 443 with ALPN mqtt, a slow beacon of two hours, reconnecting.
    {
        let ip = c.ip(10, 10, 24);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(2.0 * HOUR, 0.1, Payload::MythicBase64 { min: 96, max: 300 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::MythicBase64 {
                    min: 300,
                    max: 3000,
                },
            }),
            60,
            (c.hours(0.0, 1.0), span),
        );
        t.task_chance = 0.3;
        push(
            Spec {
                id: "c2-443-alpn-mqtt",
                label: C2,
                category: "c2-443",
                description: "MQTT over TLS on 443 with ALPN mqtt, beacon every 2 h ± 10 %, from rundll32",
                host: ("WS-SALES-09", ip, Os::Windows),
                image: "C:\\Windows\\System32\\rundll32.exe",
                user: "CORP\\jsmith",
                dst: (
                    Ipv4Addr::new(104, 21, 55, 17),
                    443,
                    "updates.msft-cdn-edge.com",
                ),
                protocol: Mqtt(4),
                carrier: tls(&["mqtt"]),
                client_id: c.guid(),
                username: None,
                publish: strings(&["dev/up"]),
                subscribe: strings(&["dev/down"]),
                timing: t,
                rtt_ms: 15.0,
            },
            c,
        );
    }
    // Cleartext MQTT on port 80, 15 min ± 50 %, reconnecting.
    {
        let ip = c.ip(10, 10, 25);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(900.0, 0.5, Payload::EncryptedBase64 { min: 64, max: 160 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::EncryptedBase64 {
                    min: 100,
                    max: 2000,
                },
            }),
            30,
            (c.hours(0.5, 2.0), span),
        );
        t.task_chance = 0.1;
        let bot = c.hex(24);
        push(
            Spec {
                id: "c2-80-mqtt",
                label: C2,
                category: "c2-80",
                description: "cleartext MQTT on port 80, 15 min ± 50 % jitter, bot/<hex>/cmd topics",
                host: ("WS-OPS-04", ip, Os::Windows),
                image: "C:\\ProgramData\\Intel\\igfxtray.exe",
                user: "CORP\\rpatel",
                dst: (
                    Ipv4Addr::new(193, 29, 13, 88),
                    80,
                    "static.cdn-img-host.net",
                ),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: bot.clone(),
                username: None,
                publish: vec![format!("bot/{bot}/status"), format!("bot/{bot}/result")],
                subscribe: vec![format!("bot/{bot}/cmd")],
                timing: t,
                rtt_ms: 55.0,
            },
            c,
        );
    }
    // WailingCrab-like: MQTT over WebSocket on port 80 to a public broker name, persistent.
    {
        let ip = c.ip(10, 10, 26);
        let t = timing(
            c.span,
            persistent(c.hours(5.0, 8.0)),
            periodic(30.0, 0.05, Payload::EncryptedBase64 { min: 48, max: 96 }),
            poisson(
                3.0 * HOUR,
                Payload::EncryptedBase64 {
                    min: 500,
                    max: 4000,
                },
            ),
            60,
            (c.hours(2.0, 4.0), span),
        );
        let topic = c.hex(32);
        push(
            Spec {
                id: "c2-80-websocket",
                label: C2,
                category: "c2-80-ws",
                description: "WailingCrab-like: MQTT over WebSocket (subprotocol mqtt) on port 80, hashed per-bot topic, from a side-loaded notepad++.exe",
                host: ("WS-MKT-06", ip, Os::Windows),
                image: "C:\\Users\\akim\\AppData\\Local\\Notepad++\\notepad++.exe",
                user: "CORP\\akim",
                dst: (Ipv4Addr::new(34, 243, 44, 198), 80, "broker.emqx.io"),
                protocol: Mqtt(4),
                carrier: Carrier::WebSocket {
                    path: "/mqtt".into(),
                },
                client_id: c.hex(20),
                username: None,
                publish: vec![format!("{topic}/o")],
                subscribe: vec![format!("{topic}/i")],
                timing: t,
                rtt_ms: 80.0,
            },
            c,
        );
    }
    // TLS on 443 with no pub/sub ALPN and an innocuous SNI: nothing can reveal it.
    {
        let ip = c.ip(10, 10, 27);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(600.0, 0.25, Payload::Opaque { min: 150, max: 400 }),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::Opaque {
                    min: 200,
                    max: 2000,
                },
            }),
            60,
            (c.hours(1.0, 3.0), span),
        );
        t.task_chance = 0.1;
        push(
            Spec {
                id: "c2-443-opaque",
                label: C2,
                category: "c2-443-opaque",
                description: "MQTT inside TLS on 443 with ALPN h2/http1.1 and a CDN-like SNI: unrevealable by design",
                host: ("WS-FIN-02", ip, Os::Windows),
                image: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                user: "CORP\\kowens",
                dst: (
                    Ipv4Addr::new(104, 21, 80, 9),
                    443,
                    "assets.static-cdnjs.com",
                ),
                protocol: Mqtt(4),
                carrier: tls(&["h2", "http/1.1"]),
                client_id: c.guid(),
                username: None,
                publish: strings(&["u"]),
                subscribe: strings(&["d"]),
                timing: t,
                rtt_ms: 15.0,
            },
            c,
        );
    }
    // IOCONTROL-like slow beacon: TLS 8883, every 3 h, reconnecting, from an OT gateway.
    {
        let ip = c.ip(10, 30, 3);
        let mut t = timing(
            c.span,
            ConnectionMode::PerBeacon,
            periodic(
                3.0 * HOUR,
                0.05,
                Payload::EncryptedBase64 { min: 200, max: 400 },
            ),
            Some(Flow {
                cadence: Cadence::Poisson { mean_secs: 1.0 },
                payload: Payload::EncryptedBase64 { min: 100, max: 600 },
            }),
            120,
            (c.hours(0.0, 1.0), span),
        );
        t.task_chance = 0.2;
        push(
            Spec {
                id: "c2-iocontrol-slow",
                label: C2,
                category: "iocontrol",
                description: "IOCONTROL-like OT implant: MQTT over TLS 8883, GUID client id, check-in every 3 h",
                host: ("ot-gw-02", ip, Os::Linux),
                image: "/var/tmp/.iocontrol/iocontrol",
                user: "root",
                dst: (
                    Ipv4Addr::new(188, 114, 97, 7),
                    8883,
                    "ns1.ot-update-service.com",
                ),
                protocol: Mqtt(4),
                carrier: tls(&[]),
                client_id: c.guid(),
                username: None,
                publish: strings(&["device/info"]),
                subscribe: strings(&["device/cmd"]),
                timing: t,
                rtt_ms: 25.0,
            },
            c,
        );
    }
    // `bash` loop around mosquitto_sub: persistent subscription, sparse plaintext commands.
    {
        let ip = c.ip(10, 30, 4);
        let t = timing(
            c.span,
            persistent(c.hours(3.0, 5.0)),
            None,
            poisson(2.0 * HOUR, Payload::PlainCommand),
            60,
            (c.hours(1.0, 3.0), span),
        );
        push(
            Spec {
                id: "c2-mosquitto-sub-loop",
                label: C2,
                category: "mosquitto-sub-loop",
                description: "a bash loop around mosquitto_sub on a camera NVR, topic c2/broadcast on broker.hivemq.com",
                host: ("cam-nvr-01", ip, Os::Linux),
                image: "/usr/bin/mosquitto_sub",
                user: "root",
                dst: (Ipv4Addr::new(3, 120, 213, 67), 1883, "broker.hivemq.com"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("mosq-{}", c.hex(18)),
                username: None,
                publish: Vec::new(),
                subscribe: strings(&["c2/broadcast"]),
                timing: t,
                rtt_ms: 24.0,
            },
            c,
        );
    }
    // Sensor disguise: fake telemetry with a Fernet token, 60 s.
    {
        let ip = c.ip(10, 30, 5);
        let t = timing(
            c.span,
            persistent(c.hours(4.0, 6.0)),
            periodic(60.0, 0.1, Payload::FernetSensor),
            poisson(2.0 * HOUR, Payload::FernetSensor),
            60,
            (c.hours(2.0, 5.0), span),
        );
        push(
            Spec {
                id: "c2-fernet-sensor",
                label: C2,
                category: "fernet-sensor",
                description: "fake temperature sensor hiding Fernet tokens in a checksum field, shared topic sensors",
                host: ("kiosk-01", ip, Os::Linux),
                image: "/usr/bin/python3",
                user: "pi",
                dst: (Ipv4Addr::new(91, 121, 93, 95), 1883, "mqtt.sensorhub.io"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: format!("sensor_temp_{}", c.hex(8)),
                username: None,
                publish: strings(&["sensors"]),
                subscribe: strings(&["sensors"]),
                timing: t,
                rtt_ms: 20.0,
            },
            c,
        );
    }
    // BambooToken-like: GUID topics plus a broadcast topic, online heartbeat every 5 min, TLS
    // 8883 (the only information on the wire is the SNI and the port).
    {
        let ip = c.ip(10, 10, 28);
        let guid = c.guid();
        let t = timing(
            c.span,
            persistent(c.hours(6.0, 8.0)),
            periodic(300.0, 0.15, Payload::BambooHeartbeat),
            poisson(2.0 * HOUR, Payload::EncryptedBase64 { min: 60, max: 400 }),
            90,
            (c.hours(0.0, 2.0), span),
        );
        push(
            Spec {
                id: "c2-bambootoken",
                label: C2,
                category: "bambootoken",
                description: "BambooToken-like: MQTT 1883, global broadcast topic + per-host GUID topics, online heartbeat every 5 min",
                host: ("WS-HR-07", ip, Os::Windows),
                image: "C:\\Users\\Public\\Music\\MediaSvc.exe",
                user: "CORP\\lwang",
                dst: (Ipv4Addr::new(172, 67, 199, 31), 1883, "cdn-static-sync.org"),
                protocol: Mqtt(4),
                carrier: Carrier::Cleartext,
                client_id: guid.clone(),
                username: None,
                publish: vec![
                    format!("clients/{guid}/status"),
                    format!("clients/{guid}/out"),
                ],
                subscribe: vec!["broadcast".into(), format!("clients/{guid}/in")],
                timing: t,
                rtt_ms: 15.0,
            },
            c,
        );
    }
}

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
