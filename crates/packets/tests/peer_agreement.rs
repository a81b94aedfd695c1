//! Agreement with the peer tools on the third-party captures in `shared/corpus/pcaps` (see
//! docs/dissectors.md, agreement with peer tools). For every capture, the expected results its
//! source project ships (nDPI `*.out` files, Zeek btest baselines, Arkime `.test` JSON) are parsed
//! into pub/sub flows with the client ids and topics the peer extracted; the capture is read with
//! [`read_flows`], and the two are matched by 5-tuple (either orientation). A table of agreement
//! per file is printed (`cargo test --test peer_agreement -- --nocapture`), and the test fails
//! when a peer-labelled pub/sub flow is not recognised with the same protocol (unless it is in
//! [`EXCEPTIONS`], each with its reason) or when a client id or topic that Zeek or Arkime lists
//! is not extracted.

use pubsub_hunt_core::{ConnEvent, Protocol, Transport};
use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig};
use pubsub_hunt_packets::format::{FlowSink, read_flows};
use pubsub_hunt_reader::ProblemKind;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

/// The capture folders, one per peer whose expected results sit next to the captures.
const PEER_FOLDERS: [&str; 3] = ["ndpi", "zeek", "arkime"];

/// Peer labels we do not hold against pubsub-hunt, each with the reason. Keyed by capture (path
/// under `pcaps/`) and the flow's server endpoint as the peer wrote it.
const EXCEPTIONS: &[Exception] = &[
    // nDPI's "old style Jabber/XMPP SSL" heuristic (`payload[1] == 0 && payload[2] == len`,
    // first byte 0x25/0x26/0x30) labels these binary port-5223 flows Jabber; they start
    // `25 00 45 …` / `26 00 10 …`, neither XMPP nor TLS. The peer label is wrong
    // (docs/dissectors.md, nDPI's port-5223 heuristic).
    Exception {
        capture: "ndpi/jabber.pcap",
        server: "160.44.201.102:5223",
        why: "peer wrong: binary non-XMPP flow, nDPI 5223 heuristic (docs/dissectors.md)",
    },
    Exception {
        capture: "ndpi/cloudflare-warp.pcap",
        server: "159.138.85.48:5223",
        why: "peer wrong: binary non-XMPP flow, nDPI 5223 heuristic (docs/dissectors.md)",
    },
];

struct Exception {
    capture: &'static str,
    server: &'static str,
    why: &'static str,
}

/// Names a peer extracts that pubsub-hunt does not, yet. Each entry is a gap in our DPI, kept
/// visible here (printed as `KNOWN GAP`) instead of failing the whole comparison; the test fails
/// when an entry's name *is* found, so a fix forces the entry out and the check becomes strict.
// Every topic and client id the peers list is found; an entry here would name a gap in our
// dissectors (the test fails when an entry is found after all, so the list cannot go stale).
const KNOWN_GAPS: &[KnownGap] = &[];

struct KnownGap {
    capture: &'static str,
    /// Either endpoint of the flow, as `ip:port`.
    client: &'static str,
    /// The client id or topic the peer lists.
    name: &'static str,
    why: &'static str,
}

/// The Zeek btest baselines that describe each Zeek capture (docs/dissectors.md, agreement with
/// peer tools). The `*-dpd` tests load only the SSL analyzer and the XMPP DPD signature, so a
/// connection in their `ssl.log` is one Zeek recognised as XMPP (STARTTLS hands it to SSL).
const ZEEK_BASELINES: &[(&str, &[&str])] = &[
    (
        "zeek/mqtt.pcap",
        &[
            "scripts.base.protocols.mqtt.mqtt/mqtt_connect.log",
            "scripts.base.protocols.mqtt.mqtt/mqtt_publish.log",
            "scripts.base.protocols.mqtt.mqtt/mqtt_subscribe.log",
            "scripts.base.protocols.mqtt.mqtt-payload-cap/mqtt_publish.log",
        ],
    ),
    (
        "zeek/xmpp-starttls.pcap",
        &[
            "scripts.base.protocols.xmpp.starttls/conn.log",
            "scripts.base.protocols.xmpp.client-dpd/ssl.log",
        ],
    ),
    (
        "zeek/xmpp-dialback-starttls.pcap",
        &["scripts.base.protocols.xmpp.server-dialback-dpd/ssl.log"],
    ),
];

fn pcaps_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pcaps")
}

fn require_corpus() -> bool {
    std::env::var("PUBSUB_HUNT_REQUIRE_CORPUS").as_deref() == Ok("1")
}

// ---------------------------------------------------------------------------------------------
// Flow keys

type Endpoint = (IpAddr, u16);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Proto {
    Tcp,
    Udp,
}

/// A flow's 5-tuple with the endpoints in a fixed order, so both orientations match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct FlowKey {
    proto: Proto,
    low: Endpoint,
    high: Endpoint,
}

impl FlowKey {
    fn new(proto: Proto, a: Endpoint, b: Endpoint) -> FlowKey {
        let (low, high) = if a <= b { (a, b) } else { (b, a) };
        FlowKey { proto, low, high }
    }
}

impl fmt::Display for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proto = match self.proto {
            Proto::Tcp => "TCP",
            Proto::Udp => "UDP",
        };
        write!(
            f,
            "{proto} {} <-> {}",
            endpoint_text(self.low),
            endpoint_text(self.high)
        )
    }
}

fn endpoint_text((ip, port): Endpoint) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

/// Parses `1.2.3.4:80` or `[::1]:80`.
fn parse_endpoint(text: &str) -> Option<Endpoint> {
    let (ip, port) = text.trim().rsplit_once(':')?;
    let ip = ip.trim_start_matches('[').trim_end_matches(']');
    Some((ip.parse().ok()?, port.parse().ok()?))
}

// ---------------------------------------------------------------------------------------------
// What a peer says

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Peer {
    Ndpi,
    Zeek,
    Arkime,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Ndpi => "nDPI",
            Peer::Zeek => "Zeek",
            Peer::Arkime => "Arkime",
        }
    }
}

/// One pub/sub flow as a peer's expected output describes it.
#[derive(Debug, Clone)]
struct PeerFlow {
    protocol: Protocol,
    client_ids: BTreeSet<String>,
    topics: BTreeSet<String>,
}

/// The peer's flows of one capture, merged by key (several Zeek logs describe one connection).
#[derive(Debug, Default)]
struct PeerResult {
    flows: BTreeMap<FlowKey, PeerFlow>,
}

impl PeerResult {
    fn add(&mut self, key: FlowKey, flow: PeerFlow) {
        match self.flows.get_mut(&key) {
            Some(known) => {
                assert_eq!(
                    known.protocol, flow.protocol,
                    "peer labels {key} with two protocols"
                );
                known.client_ids.extend(flow.client_ids);
                known.topics.extend(flow.topics);
            }
            None => {
                self.flows.insert(key, flow);
            }
        }
    }
}

/// A protocol label as a peer writes it (`MQTT`, `Jabber`, `Nats`, `TLS.FacebookMessenger`,
/// `xmpp,ssl`…); `None` when no part names a pub/sub protocol.
fn pubsub_label(label: &str) -> Option<Protocol> {
    label.split(['.', ',']).find_map(Protocol::from_label)
}

/// nDPI result lines: `\t1\tTCP a:p <-> b:q [VLAN: 1008][proto: 222/MQTT][…]`, also `->` for
/// unidirectional flows. nDPI does not extract client ids or topics.
fn parse_ndpi(text: &str) -> Result<PeerResult, String> {
    let mut result = PeerResult::default();
    for line in text.lines() {
        let line = line.trim_start();
        let mut fields = line.splitn(3, char::is_whitespace);
        let (Some(number), Some(transport), Some(rest)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let proto = match transport {
            "TCP" => Proto::Tcp,
            "UDP" => Proto::Udp,
            _ => continue,
        };
        // The tuple ends at the first `[Name: …]` annotation; IPv6 addresses are bracketed too
        // but hold no ": ".
        let tuple_end = rest
            .match_indices(" [")
            .map(|(i, _)| i)
            .find(|&i| {
                rest.get(i..)
                    .and_then(|tail| tail.split_once(']'))
                    .is_some_and(|(inside, _)| inside.contains(": "))
            })
            .unwrap_or(rest.len());
        let tuple = rest.get(..tuple_end).unwrap_or_default();
        let (a, b) = tuple
            .split_once(" <-> ")
            .or_else(|| tuple.split_once(" -> "))
            .ok_or_else(|| format!("nDPI line without a flow tuple: {line}"))?;
        let a = parse_endpoint(a).ok_or_else(|| format!("bad endpoint in {line}"))?;
        let b = parse_endpoint(b).ok_or_else(|| format!("bad endpoint in {line}"))?;
        let label = rest
            .split_once("[proto: ")
            .and_then(|(_, p)| p.split_once(']'))
            .and_then(|(p, _)| p.split_once('/'))
            .map(|(_, name)| name)
            .ok_or_else(|| format!("nDPI line without a protocol: {line}"))?;
        let Some(protocol) = pubsub_label(label) else {
            continue;
        };
        result.add(
            FlowKey::new(proto, a, b),
            PeerFlow {
                protocol,
                client_ids: BTreeSet::new(),
                topics: BTreeSet::new(),
            },
        );
    }
    Ok(result)
}

/// One Zeek TSV log of a btest baseline (banner line, `#fields`, masked timestamps).
fn parse_zeek_log(text: &str, result: &mut PeerResult) -> Result<(), String> {
    let mut fields: Vec<&str> = Vec::new();
    let mut path = "";
    let mut set_separator = ",";
    for line in text.lines() {
        if let Some(names) = line.strip_prefix("#fields\t") {
            fields = names.split('\t').collect();
            continue;
        }
        if let Some(p) = line.strip_prefix("#path\t") {
            path = p;
            continue;
        }
        if let Some(s) = line.strip_prefix("#set_separator\t") {
            set_separator = s;
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let values: BTreeMap<&str, &str> = fields
            .iter()
            .copied()
            .zip(line.split('\t'))
            .filter(|(_, v)| *v != "-" && *v != "(empty)")
            .collect();
        let get = |name: &str| {
            values
                .get(name)
                .copied()
                .ok_or_else(|| format!("{path}: row without {name}: {line}"))
        };
        let endpoint = |h: &str, p: &str| -> Result<Endpoint, String> {
            let ip = get(h)?.parse().map_err(|_| format!("{path}: bad {h}"))?;
            let port = get(p)?.parse().map_err(|_| format!("{path}: bad {p}"))?;
            Ok((ip, port))
        };
        let orig = endpoint("id.orig_h", "id.orig_p")?;
        let resp = endpoint("id.resp_h", "id.resp_p")?;
        let mut flow = PeerFlow {
            protocol: Protocol::Mqtt,
            client_ids: BTreeSet::new(),
            topics: BTreeSet::new(),
        };
        match path {
            "conn" => match values.get("service").copied().and_then(pubsub_label) {
                Some(protocol) => flow.protocol = protocol,
                None => continue,
            },
            // Only the XMPP DPD signature can have started these connections (see
            // ZEEK_BASELINES).
            "ssl" => flow.protocol = Protocol::Xmpp,
            "mqtt_connect" => {
                flow.client_ids
                    .extend(values.get("client_id").map(|s| s.to_string()));
                flow.topics
                    .extend(values.get("will_topic").map(|s| s.to_string()));
            }
            "mqtt_publish" => {
                flow.topics.insert(get("topic")?.to_string());
            }
            "mqtt_subscribe" => {
                let topics = get("topics")?;
                flow.topics
                    .extend(topics.split(set_separator).map(str::to_string));
            }
            other => return Err(format!("Zeek log {other} not understood")),
        }
        result.add(FlowKey::new(Proto::Tcp, orig, resp), flow);
    }
    Ok(())
}

/// Arkime `.test`: `{"sessions3":[{"body":{protocol, ipProtocol, source, destination, mqtt}}]}`.
fn parse_arkime(text: &str) -> Result<PeerResult, String> {
    let root = Json::parse(text)?;
    let sessions = root
        .get("sessions3")
        .and_then(Json::array)
        .ok_or("Arkime test without sessions3")?;
    let mut result = PeerResult::default();
    for session in sessions {
        let body = session.get("body").ok_or("Arkime session without body")?;
        let protocol = body
            .get("protocol")
            .and_then(Json::array)
            .into_iter()
            .flatten()
            .filter_map(Json::str)
            .find_map(pubsub_label);
        let Some(protocol) = protocol else { continue };
        let proto = match body.get("ipProtocol").and_then(Json::num) {
            Some(6.0) => Proto::Tcp,
            Some(17.0) => Proto::Udp,
            _ => return Err("Arkime session without a TCP/UDP ipProtocol".into()),
        };
        let endpoint = |side: &str| -> Result<Endpoint, String> {
            let s = body.get(side).ok_or(format!("no {side}"))?;
            let ip = s
                .get("ip")
                .and_then(Json::str)
                .and_then(|ip| ip.parse().ok())
                .ok_or(format!("bad {side}.ip"))?;
            let port = s
                .get("port")
                .and_then(Json::num)
                .and_then(|p| u16::try_from(p as i64).ok())
                .ok_or(format!("bad {side}.port"))?;
            Ok((ip, port))
        };
        let src = endpoint("source")?;
        let dst = endpoint("destination")?;
        let strings = |field: &str| -> BTreeSet<String> {
            body.get("mqtt")
                .and_then(|m| m.get(field))
                .and_then(Json::array)
                .into_iter()
                .flatten()
                .filter_map(Json::str)
                .map(str::to_string)
                .collect()
        };
        let mut topics = strings("topic");
        topics.extend(strings("willTopic"));
        result.add(
            FlowKey::new(proto, src, dst),
            PeerFlow {
                protocol,
                client_ids: strings("clientId"),
                topics,
            },
        );
    }
    Ok(result)
}

/// Just enough JSON for the Arkime expected sessions (no external parser for one test).
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

/// Deepest nesting accepted (the expected files nest four or five levels).
const MAX_JSON_DEPTH: usize = 64;

impl Json {
    fn parse(text: &str) -> Result<Json, String> {
        let mut p = JsonParser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value(0)?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing bytes at {}", p.i));
        }
        Ok(v)
    }
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn array(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(items) => Some(items),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    fn num(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at {}", b as char, self.i))
        }
    }
    fn value(&mut self, depth: usize) -> Result<Json, String> {
        if depth > MAX_JSON_DEPTH {
            return Err("JSON nested too deeply".into());
        }
        match self.peek().ok_or("unexpected end of JSON")? {
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                if self.peek() == Some(b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(members));
                }
                loop {
                    let key = self.string()?;
                    self.expect(b':')?;
                    members.push((key, self.value(depth + 1)?));
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(members));
                        }
                        _ => return Err(format!("bad object at {}", self.i)),
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.peek() == Some(b']') {
                    self.i += 1;
                    return Ok(Json::Arr(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    match self.peek() {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(items));
                        }
                        _ => return Err(format!("bad array at {}", self.i)),
                    }
                }
            }
            b'"' => Ok(Json::Str(self.string()?)),
            _ => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
                {
                    self.i += 1;
                }
                let word = std::str::from_utf8(self.s.get(start..self.i).unwrap_or_default())
                    .map_err(|e| e.to_string())?;
                match word {
                    "null" => Ok(Json::Null),
                    "true" => Ok(Json::Bool(true)),
                    "false" => Ok(Json::Bool(false)),
                    n => n
                        .parse()
                        .map(Json::Num)
                        .map_err(|_| format!("bad JSON token {n:?} at {start}")),
                }
            }
        }
    }
    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i).ok_or("unterminated JSON string")?;
            self.i += 1;
            match b {
                b'"' => return String::from_utf8(out).map_err(|e| e.to_string()),
                b'\\' => {
                    let e = *self.s.get(self.i).ok_or("unterminated escape")?;
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
                            self.i += 4;
                            let code = std::str::from_utf8(hex)
                                .ok()
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .ok_or("bad \\u escape")?;
                            let c = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What pubsub-hunt says

/// Our flows merged by key: a long session split by the idle timeout is still one flow.
#[derive(Debug, Default, Clone)]
struct OurFlow {
    protocols: BTreeSet<Protocol>,
    client_ids: BTreeSet<String>,
    topics: BTreeSet<String>,
}

#[derive(Default)]
struct Collect {
    flows: BTreeMap<FlowKey, OurFlow>,
    problems: Vec<String>,
}

impl Collect {
    fn add(&mut self, event: &ConnEvent) {
        let proto = match event.transport {
            Transport::Tcp => Proto::Tcp,
            Transport::Udp => Proto::Udp,
            _ => return,
        };
        let (Some(src_ip), Some(src_port)) = (event.src_ip, event.src_port) else {
            return;
        };
        let key = FlowKey::new(proto, (src_ip, src_port), (event.dst_ip, event.dst_port));
        let ours = self.flows.entry(key).or_default();
        if let Some(app) = &event.app {
            ours.protocols.extend(app.protocol);
            ours.client_ids.extend(app.client_ids.iter().cloned());
            ours.topics
                .extend(app.topics.iter().map(|t| t.name.clone()));
        }
    }
}

impl FlowSink for Collect {
    fn flow(&mut self, flow: EndedFlow) {
        self.add(&flow.event);
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.problems.push(format!("{pos:?} {kind:?} {detail}"));
    }
}

// ---------------------------------------------------------------------------------------------
// Comparison

/// One row of the table.
#[derive(Debug, Default)]
struct Row {
    capture: String,
    peers: String,
    peer_flows: usize,
    agree: usize,
    excused: usize,
    missing: usize,
    /// Our pub/sub flows no peer labels.
    extra: usize,
    ids_expected: usize,
    ids_found: usize,
    topics_expected: usize,
    topics_found: usize,
    /// Expected names missed that are listed in [`KNOWN_GAPS`].
    known_gaps: usize,
}

/// A disagreement that fails the test.
struct Failure(String);

fn compare(
    capture: &str,
    peers: &[(Peer, PeerResult)],
    ours: &Collect,
    notes: &mut Vec<String>,
    failures: &mut Vec<Failure>,
) -> Row {
    let mut row = Row {
        capture: capture.to_string(),
        peers: peers
            .iter()
            .map(|(p, _)| p.name())
            .collect::<Vec<_>>()
            .join("+"),
        ..Row::default()
    };
    let mut labelled: BTreeSet<FlowKey> = BTreeSet::new();
    for (peer, result) in peers {
        for (key, flow) in &result.flows {
            labelled.insert(*key);
            row.peer_flows += 1;
            let our = ours.flows.get(key);
            let our_protocols = our
                .map(|o| {
                    o.protocols
                        .iter()
                        .map(|p| p.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| {
                    if our.is_some() {
                        "unrecognised".into()
                    } else {
                        "no such flow".into()
                    }
                });
            // nDPI prints some flows server first, so the exception's endpoint may be either.
            let exception = EXCEPTIONS.iter().find(|e| {
                e.capture == capture
                    && (e.server == endpoint_text(key.low) || e.server == endpoint_text(key.high))
            });
            if our.is_some_and(|o| o.protocols.contains(&flow.protocol)) {
                row.agree += 1;
                if let Some(e) = exception {
                    notes.push(format!(
                        "{capture}: {key}: listed as an exception ({}) but recognised as {}",
                        e.why,
                        flow.protocol.as_str()
                    ));
                }
            } else if let Some(e) = exception {
                row.excused += 1;
                notes.push(format!(
                    "{capture}: {key}: {} says {}, we say {our_protocols} — excused: {}",
                    peer.name(),
                    flow.protocol.as_str(),
                    e.why
                ));
            } else {
                row.missing += 1;
                failures.push(Failure(format!(
                    "{capture}: {key}: {} says {}, we say {our_protocols}",
                    peer.name(),
                    flow.protocol.as_str()
                )));
            }
            let empty = OurFlow::default();
            let our = our.unwrap_or(&empty);
            for (what, expected, found, n_expected, n_found) in [
                (
                    "client id",
                    &flow.client_ids,
                    &our.client_ids,
                    &mut row.ids_expected,
                    &mut row.ids_found,
                ),
                (
                    "topic",
                    &flow.topics,
                    &our.topics,
                    &mut row.topics_expected,
                    &mut row.topics_found,
                ),
            ] {
                for name in expected {
                    *n_expected += 1;
                    let gap = KNOWN_GAPS.iter().find(|g| {
                        g.capture == capture
                            && g.name == name
                            && (g.client == endpoint_text(key.low)
                                || g.client == endpoint_text(key.high))
                    });
                    if found.contains(name) {
                        *n_found += 1;
                        if gap.is_some() {
                            failures.push(Failure(format!(
                                "{capture}: {key}: {what} {name:?} is now found: remove it from \
                                 KNOWN_GAPS"
                            )));
                        }
                    } else if let Some(g) = gap {
                        row.known_gaps += 1;
                        notes.push(format!(
                            "KNOWN GAP {capture}: {key}: {} lists {what} {name:?}, we found \
                             {found:?}: {}",
                            peer.name(),
                            g.why
                        ));
                    } else {
                        failures.push(Failure(format!(
                            "{capture}: {key}: {} lists {what} {name:?}, we found {:?}",
                            peer.name(),
                            found
                        )));
                    }
                }
            }
        }
    }
    for (key, flow) in &ours.flows {
        if !flow.protocols.is_empty() && !labelled.contains(key) {
            row.extra += 1;
            let protocols: Vec<&str> = flow.protocols.iter().map(|p| p.as_str()).collect();
            notes.push(format!(
                "{capture}: {key}: only we say {} (client ids {:?}, topics {:?})",
                protocols.join(","),
                flow.client_ids,
                flow.topics
            ));
        }
    }
    row
}

fn print_table(rows: &[Row]) {
    let header = [
        "capture",
        "peer",
        "peer flows",
        "agree",
        "excused",
        "missing",
        "extra",
        "client ids",
        "topics",
        "known gaps",
    ];
    let cells: Vec<[String; 10]> = rows
        .iter()
        .map(|r| {
            [
                r.capture.clone(),
                r.peers.clone(),
                r.peer_flows.to_string(),
                r.agree.to_string(),
                r.excused.to_string(),
                r.missing.to_string(),
                r.extra.to_string(),
                format!("{}/{}", r.ids_found, r.ids_expected),
                format!("{}/{}", r.topics_found, r.topics_expected),
                r.known_gaps.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cols: &[String]| {
        let parts: Vec<String> = cols
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 2 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        println!("| {} |", parts.join(" | "));
    };
    line(&header.map(str::to_string));
    println!(
        "|{}|",
        widths
            .iter()
            .map(|w| "-".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("|")
    );
    for row in &cells {
        line(row);
    }
    println!("(client ids / topics: found by pubsub-hunt / listed by the peer)");
}

// ---------------------------------------------------------------------------------------------
// The test

fn is_capture(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("pcap" | "pcapng")
    )
}

/// The peer expectations for one capture; an empty list means none were found.
fn expectations(root: &Path, folder: &str, name: &str) -> Result<Vec<(Peer, PeerResult)>, String> {
    let read = |p: &Path| fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let capture = format!("{folder}/{name}");
    let mut out = Vec::new();
    match folder {
        "ndpi" => {
            let out_file = root.join(folder).join(format!("{name}.out"));
            if out_file.exists() {
                out.push((Peer::Ndpi, parse_ndpi(&read(&out_file)?)?));
            }
        }
        "zeek" => {
            if let Some((_, logs)) = ZEEK_BASELINES.iter().find(|(c, _)| *c == capture) {
                let mut result = PeerResult::default();
                for log in *logs {
                    let path = root.join("zeek/Baseline").join(log);
                    parse_zeek_log(&read(&path)?, &mut result)
                        .map_err(|e| format!("{}: {e}", path.display()))?;
                }
                out.push((Peer::Zeek, result));
            }
        }
        "arkime" => {
            let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
            let test = root.join(folder).join(format!("{stem}.test"));
            if test.exists() {
                out.push((Peer::Arkime, parse_arkime(&read(&test)?)?));
            }
        }
        _ => {}
    }
    Ok(out)
}

#[test]
fn pubsub_hunt_agrees_with_the_peers_on_every_corpus_capture() {
    let root = pcaps_root();
    if !root.exists() {
        assert!(
            !require_corpus(),
            "corpus folder missing: {}",
            root.display()
        );
        eprintln!(
            "note: corpus folder {} missing, test skipped",
            root.display()
        );
        return;
    }
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut failures = Vec::new();
    for folder in PEER_FOLDERS {
        let dir = root.join(folder);
        let Ok(entries) = fs::read_dir(&dir) else {
            assert!(
                !require_corpus(),
                "corpus folder missing: {}",
                dir.display()
            );
            eprintln!("note: corpus folder {} missing, skipped", dir.display());
            continue;
        };
        let mut captures: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_capture(p))
            .collect();
        captures.sort();
        for path in captures {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            let capture = format!("{folder}/{name}");
            let peers = match expectations(&root, folder, &name) {
                Ok(p) => p,
                Err(e) => panic!("{capture}: cannot read the peer's expected results: {e}"),
            };
            if peers.is_empty() {
                failures.push(Failure(format!(
                    "{capture}: no peer expectations found (corpus changed? update this test)"
                )));
                continue;
            }
            let file = fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut ours = Collect::default();
            if let Err(e) = read_flows(
                std::io::BufReader::new(file),
                FlowConfig::default(),
                &mut ours,
            ) {
                failures.push(Failure(format!("{capture}: read failed: {e}")));
            }
            for p in &ours.problems {
                notes.push(format!("{capture}: reader problem: {p}"));
            }
            rows.push(compare(&capture, &peers, &ours, &mut notes, &mut failures));
        }
    }
    println!();
    print_table(&rows);
    for note in &notes {
        println!("note: {note}");
    }
    for Failure(f) in &failures {
        println!("DISAGREEMENT: {f}");
    }
    assert!(
        !rows.is_empty(),
        "no capture compared under {}",
        root.display()
    );
    assert!(
        failures.is_empty(),
        "{} disagreement(s) with the peers:\n{}",
        failures.len(),
        failures
            .iter()
            .map(|Failure(f)| f.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn ndpi_result_lines_are_parsed() {
    let text = "\t1\tTCP 10.10.10.1:1883 <-> 192.168.0.1:41892 [proto: 222/MQTT][IP: 0/Unknown]\n\
                \t2\tTCP 100.67.35.238:35035 -> 51.137.28.239:1883 [VLAN: 1008][proto: 222/MQTT][x]\n\
                \t3\tUDP [bbbb::1]:46819 <-> [bbbb::3]:5683 [proto: 27/COAP][IP: 0/Unknown]\n\
                \t4\tTCP 10.8.0.1:40214 <-> 157.240.16.32:443 [proto: 91.157/TLS.FacebookMessenger]\n\
                \t5\tTCP [::1]:51157 <-> [::1]:61616 [proto: 421/OpenWire][IP: 0/Unknown]\n\
                Nats 7 1270 2\n";
    let parsed = parse_ndpi(text).unwrap_or_else(|e| panic!("{e}"));
    let flows: Vec<(String, Protocol)> = parsed
        .flows
        .iter()
        .map(|(k, f)| (k.to_string(), f.protocol))
        .collect();
    assert_eq!(
        flows,
        vec![
            (
                "TCP 10.10.10.1:1883 <-> 192.168.0.1:41892".to_string(),
                Protocol::Mqtt
            ),
            (
                "TCP 51.137.28.239:1883 <-> 100.67.35.238:35035".to_string(),
                Protocol::Mqtt
            ),
            (
                "TCP [::1]:51157 <-> [::1]:61616".to_string(),
                Protocol::OpenWire
            ),
        ]
    );
}

#[test]
fn arkime_sessions_are_parsed() {
    let text = r#"{"sessions3":[{"body":{"protocol":["mqtt","tcp"],"ipProtocol":6,
        "source":{"ip":"192.168.1.20","port":44444},"destination":{"ip":"10.0.0.100","port":1883},
        "mqtt":{"clientId":["legacy-device"],"topic":["data/readings"],
        "willTopic":["status/legacy-\u0064evice"]}}}]}"#;
    let parsed = parse_arkime(text).unwrap_or_else(|e| panic!("{e}"));
    let (key, flow) = parsed
        .flows
        .iter()
        .next()
        .unwrap_or_else(|| panic!("no flow"));
    assert_eq!(
        key.to_string(),
        "TCP 10.0.0.100:1883 <-> 192.168.1.20:44444"
    );
    assert_eq!(flow.protocol, Protocol::Mqtt);
    assert_eq!(
        flow.client_ids.iter().collect::<Vec<_>>(),
        ["legacy-device"]
    );
    assert_eq!(
        flow.topics.iter().collect::<Vec<_>>(),
        ["data/readings", "status/legacy-device"]
    );
    assert!(Json::parse("[[[").is_err());
    assert!(Json::parse(&"[".repeat(1000)).is_err());
}

#[test]
fn zeek_baseline_logs_are_parsed() {
    let subscribe = "### BTest baseline data\n#separator \\x09\n#set_separator\t,\n\
                     #path\tmqtt_subscribe\n\
                     #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\taction\ttopics\n\
                     XXXXXXXXXX.XXXXXX\tC1\t10.0.1.4\t49327\t198.41.30.241\t1883\tMQTT::SUBSCRIBE\ta/b,c/#\n";
    let connect = "#path\tmqtt_connect\n\
                   #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tclient_id\twill_topic\n\
                   X\tC1\t10.0.1.4\t49327\t198.41.30.241\t1883\tpaho/1\t-\n";
    let conn = "#path\tconn\n\
                #fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\n\
                X\tC2\t10.0.0.1\t5000\t10.0.0.2\t5222\ttcp\txmpp,ssl\n\
                X\tC3\t10.0.0.1\t5001\t10.0.0.2\t443\ttcp\tssl\n";
    let mut result = PeerResult::default();
    for log in [subscribe, connect, conn] {
        parse_zeek_log(log, &mut result).unwrap_or_else(|e| panic!("{e}"));
    }
    let flows: Vec<(String, Protocol, Vec<&String>, Vec<&String>)> = result
        .flows
        .iter()
        .map(|(k, f)| {
            (
                k.to_string(),
                f.protocol,
                f.client_ids.iter().collect(),
                f.topics.iter().collect(),
            )
        })
        .collect();
    let paho = "paho/1".to_string();
    let (a, c) = ("a/b".to_string(), "c/#".to_string());
    assert_eq!(
        flows,
        vec![
            (
                "TCP 10.0.0.1:5000 <-> 10.0.0.2:5222".to_string(),
                Protocol::Xmpp,
                vec![],
                vec![]
            ),
            (
                "TCP 10.0.1.4:49327 <-> 198.41.30.241:1883".to_string(),
                Protocol::Mqtt,
                vec![&paho],
                vec![&a, &c]
            ),
        ]
    );
}
