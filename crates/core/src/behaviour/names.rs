//! Name evidence: what topics, topic filters, client ids and JIDs say about their purpose
//! (ATT&CK AN0003 "unusual topic names"): command-and-control vocabulary, the defaults of published
//! tools and MQTT libraries, id-like tokens, per-host topics. Payload evidence is in `payloads.rs`;
//! the shape of one level or token (GUID, hex, base64, random…) in [`super::shapes`].
//!
//! A string is cut to [`MAX_SCORED_BYTES`], split into levels (`/`) and each level into alphanumeric
//! tokens. Levels are checked whole for GUID, base64 and base32 shapes (their separators are part
//! of the shape); tokens are checked for command-and-control vocabulary (whole tokens only, so
//! `shellies` or `execution` do not match `shell` or `exec`), long hex and random-looking text.
//!
//! Legitimate IoT is full of hex ids, so hex counts only above 16 digits: 12 is a MAC address, 16 an
//! EUI-64 (Zigbee IEEE addresses `0x00158d…`, LoRaWAN DevEUIs), and the default client ids of
//! well-known MQTT libraries (`paho/`, `mqttjs_`, `mosq-`, Tasmota `DVES_`…) are recognised first
//! and score slightly benign instead (docs/names-and-payloads.md, topics, client ids and JIDs).
//!
//! Each kind of evidence gives at most one [`Signal`] per string, naming up to three tokens.

use super::shapes::{Shape, is_guid, level_shape};
use super::{MAX_SCORED_BYTES, Signal, Weights, capped};
use crate::signal::SignalId;

/// Strong command-and-control words: rare in legitimate topic trees.
const C2_STRONG: &[&str] = &[
    "c2",
    "cnc",
    "implant",
    "implants",
    "beacon",
    "beacons",
    "payload",
    "payloads",
    "exfil",
    "exfiltrate",
    "exfiltration",
    "shellcode",
    "backdoor",
    "botnet",
    "bot",
    "bots",
    "keylog",
    "keylogger",
    "cmd",
    "cmds",
    "exec",
    "shell",
    "revshell",
    "reverseshell",
    "tasking",
    "stager",
];

/// Weak words: used by command-and-control and by legitimate devices (Shelly's `…/command`, AWS IoT
/// commands, job queues), so they only add a little.
const C2_WEAK: &[&str] = &[
    "command", "commands", "task", "tasks", "agent", "agents", "upload", "download", "result",
    "results", "output", "checkin", "control", "execute", "run",
];

/// Defaults of published tools and families (docs/names-and-payloads.md, published tool and
/// family defaults): (what is matched, pattern, source).
const KNOWN_TOPIC_PREFIXES: &[(&str, &str)] = &[
    (
        "iot/server",
        "MQsTTang/QMAGENT topic prefix (Sekoia YARA rule)",
    ),
    (
        "billbradley/",
        "Mythic `mqtt` C2 profile default base topic",
    ),
    (
        "c2/broadcast",
        "toy MQTT bot `troiarcazzoguardi-dev/op` broadcast topic",
    ),
    (
        "botnet/target",
        "`intentodemusico/BotnetsHeterogeneas` controller topic",
    ),
];
/// Topic trees device firmware and IoT clouds define: (prefix in lower case, a fragment the rest
/// must contain, whose tree). Their documentation puts the device's own id in a level and names
/// the command levels (`shellies/command`, Tasmota's `cmnd/<topic>/POWER`, AWS IoT's
/// `$aws/things/<thing>/jobs`), so inside one neither is a sign of a per-host tasking channel
/// (docs/names-and-payloads.md, device topic trees).
const DEVICE_TOPIC_TREES: &[(&str, &str, &str)] = &[
    ("shellies/", "", "Shelly devices' topic tree"),
    ("tele/", "", "Tasmota's telemetry tree"),
    ("stat/", "", "Tasmota's status tree"),
    ("cmnd/", "", "Tasmota's command tree"),
    ("$aws/things/", "", "AWS IoT's thing topics"),
    ("devices/", "/messages/", "Azure IoT Hub's device messages"),
    ("$iothub/", "", "Azure IoT Hub's reserved topics"),
    ("homeassistant/", "", "Home Assistant's discovery tree"),
    ("zigbee2mqtt/", "", "Zigbee2MQTT's tree"),
];

/// The device topic tree a topic lies in ([`DEVICE_TOPIC_TREES`]), described, if any.
pub fn device_topic_tree(topic: &str) -> Option<&'static str> {
    let lower = capped(topic, MAX_SCORED_BYTES).to_ascii_lowercase();
    DEVICE_TOPIC_TREES
        .iter()
        .find(|(prefix, inner, _)| {
            lower
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.contains(inner))
        })
        .map(|(_, _, what)| *what)
}

const KNOWN_CLIENT_IDS: &[(&str, &str)] = &[
    ("broomhilda", "Mythic `mqtt` C2 profile default client id"),
    (
        "botnetcontroller",
        "`intentodemusico/BotnetsHeterogeneas` controller client id",
    ),
];

/// Default client-id forms of MQTT libraries: (prefix, library, expected suffix shape).
const LIBRARY_CLIENT_IDS: &[(&str, &str, SuffixShape)] = &[
    ("paho/", "paho-python 1.x", SuffixShape::Hex(18)),
    ("mqttjs_", "MQTT.js", SuffixShape::Hex(8)),
    ("mosq-", "the mosquitto clients", SuffixShape::Alnum(18)),
    ("mqttx_", "MQTTX", SuffixShape::HexAtLeast(6)),
    ("nodered_", "Node-RED", SuffixShape::AnyAlnum),
    ("dves_", "Tasmota", SuffixShape::Hex(6)),
];

#[derive(Debug, Clone, Copy)]
enum SuffixShape {
    Hex(usize),
    HexAtLeast(usize),
    Alnum(usize),
    AnyAlnum,
}

impl SuffixShape {
    fn matches(self, s: &str) -> bool {
        let hex = s.bytes().all(|b| b.is_ascii_hexdigit());
        let alnum = !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
        match self {
            SuffixShape::Hex(n) => hex && s.len() == n,
            SuffixShape::HexAtLeast(n) => hex && s.len() >= n,
            SuffixShape::Alnum(n) => alnum && s.len() == n,
            SuffixShape::AnyAlnum => alnum,
        }
    }
}

/// Findings of one pass over a string.
#[derive(Debug, Default)]
struct Findings {
    strong: Vec<String>,
    weak: Vec<String>,
    guid: Vec<String>,
    hex: Vec<String>,
    encoded: Vec<(String, &'static str)>,
    random: Vec<String>,
}

/// Most tokens a finding list keeps (the signal names up to three; the rest is counted away).
const MAX_FINDINGS: usize = 8;

fn push_bounded(list: &mut Vec<String>, s: &str) {
    if list.len() < MAX_FINDINGS && !list.iter().any(|x| x == s) {
        list.push(s.to_string());
    }
}

fn is_token_sep(c: char) -> bool {
    !c.is_ascii_alphanumeric()
}

fn scan(s: &str, level_seps: &[char], f: &mut Findings) {
    for level in s.split(level_seps) {
        if level.is_empty() || level == "#" || level == "+" {
            continue;
        }
        match level_shape(level) {
            Shape::Guid => push_bounded(&mut f.guid, level),
            Shape::Base64 => {
                if f.encoded.len() < MAX_FINDINGS {
                    f.encoded.push((level.to_string(), "base64"));
                }
            }
            Shape::Base32 => {
                if f.encoded.len() < MAX_FINDINGS {
                    f.encoded.push((level.to_string(), "base32"));
                }
            }
            _ => {
                // GUIDs keep their dashes: look for them in dash-joined chunks first.
                for chunk in level.split(|c: char| c != '-' && is_token_sep(c)) {
                    if is_guid(chunk) {
                        push_bounded(&mut f.guid, chunk);
                        continue;
                    }
                    for token in chunk.split(is_token_sep).filter(|t| !t.is_empty()) {
                        scan_token(token, f);
                    }
                }
            }
        }
    }
}

fn scan_token(token: &str, f: &mut Findings) {
    // Whole token, or without trailing digits (`cmd1`); `c2` itself must match before trimming.
    let trimmed = token.trim_end_matches(|c: char| c.is_ascii_digit());
    let is = |list: &[&str]| {
        list.iter()
            .any(|w| w.eq_ignore_ascii_case(token) || w.eq_ignore_ascii_case(trimmed))
    };
    if is(C2_STRONG) {
        push_bounded(&mut f.strong, token);
    } else if is(C2_WEAK) {
        push_bounded(&mut f.weak, token);
    }
    match level_shape(token) {
        Shape::Guid => push_bounded(&mut f.guid, token),
        Shape::Hex => push_bounded(&mut f.hex, token),
        Shape::Random => push_bounded(&mut f.random, token),
        _ => {}
    }
}

fn listed(items: &[String]) -> String {
    let shown: Vec<String> = items.iter().take(3).map(|s| format!("`{s}`")).collect();
    let more = items.len().saturating_sub(3);
    if more > 0 {
        format!("{} and {more} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn findings_to_signals(
    what: &str,
    subject: &str,
    f: &Findings,
    w: &Weights,
    out: &mut Vec<Signal>,
) {
    if !f.strong.is_empty() {
        out.push(Signal::new(
            SignalId::C2Vocabulary,
            w.c2_vocabulary,
            format!(
                "{what} `{subject}` uses command-and-control vocabulary: {}",
                listed(&f.strong)
            ),
        ));
    }
    if !f.weak.is_empty() {
        out.push(Signal::new(
            SignalId::C2VocabularyWeak,
            w.c2_vocabulary_weak,
            format!(
                "{what} `{subject}` uses words common in tasking channels (and in some legitimate \
                 device topics): {}",
                listed(&f.weak)
            ),
        ));
    }
    if !f.guid.is_empty() {
        out.push(Signal::new(
            SignalId::GuidToken,
            w.guid_token,
            format!(
                "{what} `{subject}` contains a GUID-shaped token: {}",
                listed(&f.guid)
            ),
        ));
    }
    if !f.hex.is_empty() {
        out.push(Signal::new(
            SignalId::HexToken,
            w.hex_token,
            format!(
                "{what} `{subject}` contains hex longer than a MAC or EUI-64 device address: {}",
                listed(&f.hex)
            ),
        ));
    }
    if let Some((_, kind)) = f.encoded.first() {
        let tokens: Vec<String> = f.encoded.iter().map(|(t, _)| t.clone()).collect();
        out.push(Signal::new(
            SignalId::EncodedToken,
            w.encoded_token,
            format!(
                "{what} `{subject}` contains a {kind}-shaped token: {}",
                listed(&tokens)
            ),
        ));
    }
    if !f.random.is_empty() {
        out.push(Signal::new(
            SignalId::RandomToken,
            w.random_token,
            format!(
                "{what} `{subject}` contains a random-looking token (rare letter pairs, high \
                 entropy, consonant runs or letter/digit mixing): {}",
                listed(&f.random)
            ),
        ));
    }
}

/// Signals of an MQTT topic or topic filter (wildcards `#` and `+` allowed), an AMQP routing key or
/// a STOMP destination (`/` separates levels; dots inside a level separate tokens).
pub fn score_topic(topic: &str, w: &Weights) -> Vec<Signal> {
    let topic = capped(topic, MAX_SCORED_BYTES);
    let mut out = Vec::new();
    let lower = topic.to_ascii_lowercase();
    for (prefix, source) in KNOWN_TOPIC_PREFIXES {
        if lower.starts_with(prefix) {
            out.push(Signal::new(
                SignalId::KnownC2Pattern,
                w.known_c2_pattern,
                format!("topic `{topic}` starts with `{prefix}`: {source}"),
            ));
            break;
        }
    }
    let mut f = Findings::default();
    scan(topic, &['/'], &mut f);
    if device_topic_tree(topic).is_some() {
        // The vendor named these levels (`command`, `control`): strong words still count.
        f.weak.clear();
    }
    let levels: Vec<&str> = topic.split('/').collect();
    if levels.as_slice() == ["#"] {
        out.push(Signal::new(
            SignalId::WildcardAllTopics,
            w.wildcard_all_topics,
            "subscription to `#` receives every topic on the broker (broker-wide sniffing, or a \
             catch-all command channel)",
        ));
    } else if levels.iter().any(|l| *l == "#" || *l == "+")
        && !(f.strong.is_empty() && f.weak.is_empty())
    {
        let mut words = f.strong.clone();
        words.extend(f.weak.iter().cloned());
        out.push(Signal::new(
            SignalId::WildcardCommandTree,
            w.wildcard_command_tree,
            format!(
                "wildcard subscription `{topic}` covers a command tree ({})",
                listed(&words)
            ),
        ));
    }
    findings_to_signals("topic", topic, &f, w, &mut out);
    out
}

/// Signals of an MQTT client id. A default library form gives `library_client_id` (slightly
/// benign) and suppresses the shape signals its generated suffix would raise.
pub fn score_client_id(client_id: &str, w: &Weights) -> Vec<Signal> {
    let id = capped(client_id, MAX_SCORED_BYTES);
    let mut out = Vec::new();
    let lower = id.to_ascii_lowercase();
    for (known, source) in KNOWN_CLIENT_IDS {
        if lower == *known {
            out.push(Signal::new(
                SignalId::KnownC2Pattern,
                w.known_c2_pattern,
                format!("client id `{id}` is the {source}"),
            ));
        }
    }
    for (prefix, library, shape) in LIBRARY_CLIENT_IDS {
        if let Some(suffix) = lower.strip_prefix(prefix)
            && shape.matches(suffix)
        {
            out.push(Signal::new(
                SignalId::LibraryClientId,
                w.library_client_id,
                format!("client id `{id}` has the default form of {library} (`{prefix}…`)"),
            ));
            return out;
        }
    }
    let mut f = Findings::default();
    scan(id, &['/'], &mut f);
    findings_to_signals("client id", id, &f, w, &mut out);
    out
}

/// `library_client_id` for a client that named itself nowhere: every session it opened sent an
/// empty client id for the broker to name, as mosquitto 2's command-line clients and paho 2 do by
/// default — a stock client left as it came, like the `mosq-…` ids of mosquitto 1. `None` when
/// any session gave an id (that id is judged) or none was seen.
pub fn score_unnamed_client(named: usize, unnamed: u64, w: &Weights) -> Option<Signal> {
    (named == 0 && unnamed > 0).then(|| {
        Signal::new(
            SignalId::LibraryClientId,
            w.library_client_id,
            format!(
                "the client sent an empty client id in {unnamed} session{}, leaving the broker to \
                 name it: the default of mosquitto 2's command-line clients and paho 2",
                if unnamed == 1 { "" } else { "s" }
            ),
        )
    })
}

/// Signals of an XMPP address (`local@domain/resource`), such as a chat correspondent's: each
/// part is scored like a topic level (a correspondent's server is not the connection's
/// destination, so its domain is scored too), except that an all-letter local part is never
/// called random. An account's local part is its owner's name: surnames spell consonant runs and
/// few vowels (`pschmidt`, `kszczepanski`), which the random test counts, while a generated
/// account mixes in digits (`x7k2q9f3`); vocabulary, GUIDs, hex and encodings count as anywhere.
pub fn score_jid(jid: &str, w: &Weights) -> Vec<Signal> {
    let jid = capped(jid, MAX_SCORED_BYTES);
    let (bare, resource) = jid.split_once('/').unwrap_or((jid, ""));
    let (local, domain) = bare.split_once('@').unwrap_or(("", bare));
    let mut f = Findings::default();
    scan(local, &['/'], &mut f);
    f.random.retain(|t| t.bytes().any(|c| c.is_ascii_digit()));
    scan(domain, &['/'], &mut f);
    scan(resource, &['/'], &mut f);
    let mut out = Vec::new();
    findings_to_signals("JID", jid, &f, w, &mut out);
    out
}

/// `host_scoped_topic` when a topic level equals the client's host name (its first label) or its
/// client id: a per-host channel, as BambooToken's per-host GUID topics
/// (docs/names-and-payloads.md, per-host channels).
/// Levels shorter than 4 characters are ignored so `pc`/`a` style names do not match by chance.
pub fn score_host_scoped(
    topic: &str,
    host: &str,
    client_id: Option<&str>,
    w: &Weights,
) -> Option<Signal> {
    let topic = capped(topic, MAX_SCORED_BYTES);
    if device_topic_tree(topic).is_some() {
        // The tree puts the device's own id in a level by design.
        return None;
    }
    let host = capped(host, MAX_SCORED_BYTES);
    let short_host = host.split('.').next().unwrap_or(host);
    let candidates = [
        Some(short_host),
        client_id.map(|c| capped(c, MAX_SCORED_BYTES)),
    ];
    for level in topic.split('/') {
        if level.len() < 4 {
            continue;
        }
        for (i, c) in candidates.iter().enumerate() {
            if let Some(c) = c
                && c.len() >= 4
                && level.eq_ignore_ascii_case(c)
            {
                let what = if i == 0 { "host name" } else { "client id" };
                return Some(Signal::new(
                    SignalId::HostScopedTopic,
                    w.host_scoped_topic,
                    format!(
                        "topic `{topic}` has a level equal to the client's {what} `{level}`: a per-host channel"
                    ),
                ));
            }
        }
    }
    None
}

#[cfg(test)]
#[path = "names_tests.rs"]
mod tests;
