//! String evidence: what topics, topic filters, client ids and JIDs say about their purpose, and
//! whether a payload is opaque where plain telemetry is expected (ATT&CK AN0003 "unusual topic
//! names … obfuscated payloads").
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

use super::{MAX_SCORED_BYTES, Signal, Weights, byte_entropy, capped};
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

/// Levels naming telemetry: an opaque payload there is a disguise (docs/names-and-payloads.md,
/// telemetry-named topics; `Mixail020/Cybersec_lab` hides Fernet tokens in fake sensor JSON).
const TELEMETRY_WORDS: &[&str] = &[
    "telemetry",
    "sensor",
    "sensors",
    "temperature",
    "temp",
    "humidity",
    "status",
    "state",
    "metrics",
    "battery",
    "weather",
    "reading",
    "readings",
    "measurement",
    "measurements",
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

/// The most frequent English letter pairs (about 150 of 676): English-like and technical words are
/// mostly made of them, random letters only about one time in five.
const COMMON_BIGRAMS: &[&str] = &[
    "th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed",
    "is", "it", "al", "ar", "st", "to", "nt", "ng", "se", "ha", "as", "ou", "io", "le", "ve", "co",
    "me", "de", "hi", "ri", "ro", "ic", "ne", "ea", "ra", "ce", "li", "ch", "ll", "be", "ma", "si",
    "om", "ur", "ca", "el", "ta", "la", "ns", "di", "fo", "ho", "pe", "ec", "pr", "no", "ct", "us",
    "ac", "ot", "il", "tr", "ly", "nc", "et", "ut", "ss", "so", "rs", "un", "lo", "wa", "ge", "ie",
    "wh", "ee", "wi", "em", "ad", "ol", "rt", "po", "we", "na", "ul", "ni", "ts", "mo", "ow", "pa",
    "im", "mi", "ai", "sh", "ir", "su", "id", "os", "iv", "ia", "am", "fi", "ci", "vi", "pl", "ig",
    "tu", "ev", "ld", "ry", "mp", "fe", "bl", "ab", "gh", "ty", "op", "wo", "sa", "ay", "ex", "ke",
    "fr", "oo", "av", "ag", "if", "ap", "gr", "od", "bo", "sp", "rd", "do", "uc", "bu", "ei", "ov",
    "by", "rm", "ep", "tt", "oc", "fa", "ef", "cu", "rn", "sc", "gi", "da", "cr", "cl", "du", "ga",
    "qu", "ue", "ff", "ba", "ey", "va", "um", "pp", "up", "lu", "go", "ht", "ru", "ck", "ds", "lt",
];

/// [`COMMON_BIGRAMS`] as a 26×26 table (`first * 26 + second`), so a lookup is one index.
const BIGRAM_TABLE: [bool; 676] = bigram_table();

const fn bigram_table() -> [bool; 676] {
    let mut table = [false; 676];
    let mut i = 0;
    while i < COMMON_BIGRAMS.len() {
        let pair = COMMON_BIGRAMS[i].as_bytes();
        // Evaluated at compile time: a malformed entry fails the build, not a run.
        table[(pair[0] - b'a') as usize * 26 + (pair[1] - b'a') as usize] = true;
        i += 1;
    }
    table
}

fn is_common_bigram(a: u8, b: u8) -> bool {
    if !(a.is_ascii_lowercase() && b.is_ascii_lowercase()) {
        return false;
    }
    BIGRAM_TABLE
        .get(usize::from(a - b'a') * 26 + usize::from(b - b'a'))
        .copied()
        .unwrap_or(false)
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

/// What shape a whole level (or id) has, checked before it is split into tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Guid,
    Hex,
    Base64,
    Base32,
    Random,
    Number,
    Plain,
}

/// The shape of one topic level / token (see the module doc for the rules).
pub fn level_shape(level: &str) -> Shape {
    let level = capped(level, MAX_SCORED_BYTES);
    if is_guid(level) {
        return Shape::Guid;
    }
    if !level.is_empty() && level.bytes().all(|b| b.is_ascii_digit()) {
        return Shape::Number;
    }
    if is_long_hex(level) {
        return Shape::Hex;
    }
    if is_base32(level) {
        return Shape::Base32;
    }
    if is_base64(level) {
        return Shape::Base64;
    }
    if level.bytes().all(|b| b.is_ascii_alphanumeric()) && looks_random(level) {
        return Shape::Random;
    }
    Shape::Plain
}

fn is_guid(s: &str) -> bool {
    let s = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(s);
    let b = s.as_bytes();
    if b.len() == 32 {
        // A GUID without dashes: 32 hex digits, letters and digits both present.
        return s.bytes().all(|c| c.is_ascii_hexdigit()) && mixes_hex_letters_and_digits(s);
    }
    if b.len() != 36 {
        return false;
    }
    b.iter().enumerate().all(|(i, &c)| match i {
        8 | 13 | 18 | 23 => c == b'-',
        _ => c.is_ascii_hexdigit(),
    })
}

fn mixes_hex_letters_and_digits(s: &str) -> bool {
    s.bytes().any(|c| c.is_ascii_digit()) && s.bytes().any(|c| c.is_ascii_alphabetic())
}

/// Hex of more than 16 digits (above MAC and EUI-64 lengths), with both letters and digits so that
/// decimal serial numbers and timestamps do not count. A `0x` prefix is ignored.
fn is_long_hex(s: &str) -> bool {
    let body = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    body.len() > 16
        && body.bytes().all(|c| c.is_ascii_hexdigit())
        && mixes_hex_letters_and_digits(body)
}

fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    let padding = s.len() - body.len();
    if body.len() < 16 || padding > 2 {
        return false;
    }
    let charset = body
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_'));
    if !charset {
        return false;
    }
    let has_upper = body.bytes().any(|c| c.is_ascii_uppercase());
    let has_lower = body.bytes().any(|c| c.is_ascii_lowercase());
    let has_digit = body.bytes().any(|c| c.is_ascii_digit());
    let padded = padding > 0 && s.len().is_multiple_of(4);
    // Mixed case and digits alone would catch `HomeAssistant2024Sensor`: demand randomness too,
    // unless the padding makes the encoding explicit.
    has_upper && has_lower && (padded || (has_digit && looks_random(body)))
}

fn is_base32(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    body.len() >= 16
        && body
            .bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
        && body.bytes().any(|c| (b'2'..=b'7').contains(&c))
        && looks_random(body)
}

/// Whether an alphanumeric token of 8 to 64 characters looks random rather than word-like: at
/// least three of five tests (rare letter pairs, high character entropy for its length, a run of
/// five consonants, three or more letter/digit switches, few vowels).
pub fn looks_random(token: &str) -> bool {
    random_votes(token) >= 3
}

fn random_votes(token: &str) -> usize {
    let n = token.len();
    if !(8..=64).contains(&n) || !token.is_ascii() {
        return 0;
    }
    // Lower-cased copy on the stack: this runs for every token of every topic.
    let mut buf = [0u8; 64];
    let bytes = match buf.get_mut(..n) {
        Some(dst) => {
            dst.copy_from_slice(token.as_bytes());
            dst.make_ascii_lowercase();
            &*dst
        }
        None => return 0,
    };
    let letters = bytes.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let mut votes = 0;

    let (mut pairs, mut common) = (0usize, 0usize);
    for w in bytes.windows(2) {
        if let [a, b] = w
            && a.is_ascii_alphabetic()
            && b.is_ascii_alphabetic()
        {
            pairs += 1;
            if is_common_bigram(*a, *b) {
                common += 1;
            }
        }
    }
    if pairs >= 3 && (common as f64) < 0.45 * pairs as f64 {
        votes += 1;
    }
    let ratio = short_entropy(token.as_bytes()) / (n as f64).log2();
    if ratio >= 0.9 {
        votes += 1;
    }
    let mut run = 0;
    let mut max_run = 0;
    for &c in bytes {
        if c.is_ascii_alphabetic() && !b"aeiouy".contains(&c) {
            run += 1;
            max_run = max_run.max(run);
        } else {
            run = 0;
        }
    }
    if max_run >= 5 {
        votes += 1;
    }
    let switches = bytes
        .windows(2)
        .filter(|w| matches!(w, [a, b] if a.is_ascii_digit() != b.is_ascii_digit()))
        .count();
    // Letter/digit switching is the strongest mark of generated ids (`h7f9k2m4p8`): a second vote
    // when it happens throughout the token.
    if switches >= 3 {
        votes += 1;
    }
    if switches >= 6 {
        votes += 1;
    }
    let vowels = bytes.iter().filter(|c| b"aeiou".contains(c)).count();
    if letters >= 6 && (vowels as f64) < 0.2 * letters as f64 {
        votes += 1;
    }
    votes
}

/// Shannon entropy (bits per byte) of at most 64 bytes, by sorting a stack copy: cheaper than a
/// 256-entry histogram for short tokens. Longer input is cut to its first 64 bytes.
fn short_entropy(bytes: &[u8]) -> f64 {
    let mut buf = [0u8; 64];
    let n = bytes.len().min(64);
    let (Some(dst), Some(src)) = (buf.get_mut(..n), bytes.get(..n)) else {
        return 0.0;
    };
    dst.copy_from_slice(src);
    dst.sort_unstable();
    let total = n as f64;
    let mut h = 0.0;
    for run in dst.chunk_by(|a, b| a == b) {
        let p = run.len() as f64 / total;
        h -= p * p.log2();
    }
    h
}

/// A token's vocabulary form: lower case, trailing digits removed (`cmd1`, `server0`).
fn vocab_form(token: &str) -> String {
    token
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_ascii_lowercase()
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

/// Signals of an XMPP address (`local@domain/resource`): the local part and the resource are
/// scored like topic levels; the domain is left to [`super::destination`].
pub fn score_jid(jid: &str, w: &Weights) -> Vec<Signal> {
    let jid = capped(jid, MAX_SCORED_BYTES);
    let (bare, resource) = jid.split_once('/').unwrap_or((jid, ""));
    let local = bare.split_once('@').map_or("", |(l, _)| l);
    let mut f = Findings::default();
    scan(local, &['/'], &mut f);
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

/// The topic with every id-like level replaced by its shape (`{guid}`, `{hex}`, `{b64}`, `{b32}`,
/// `{rand}`, `{n}`), so the engine can group per-host topics such as `bot/{hex}/cmd` across
/// clients and see one channel instead of many.
pub fn topic_template(topic: &str) -> String {
    let topic = capped(topic, MAX_SCORED_BYTES);
    topic
        .split('/')
        .map(|level| match level_shape(level) {
            Shape::Guid => "{guid}",
            Shape::Hex => "{hex}",
            Shape::Base64 => "{b64}",
            Shape::Base32 => "{b32}",
            Shape::Random => "{rand}",
            Shape::Number => "{n}",
            Shape::Plain => level,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Bytes of a payload that are examined (the start of longer payloads: the opening 16 KiB of an
/// encrypted or encoded body look like the rest, and the cap keeps the cost per message fixed).
pub const MAX_PAYLOAD_SCAN: usize = 16 * 1024;
/// Shortest payload whose entropy is judged: below 64 bytes even random data cannot reach 7.2.
pub const MIN_ENTROPY_BYTES: usize = 64;
/// Entropy above which a payload is taken as encrypted or compressed.
pub const HIGH_ENTROPY_BITS: f64 = 7.2;

/// Signals of one message payload on `topic`: high entropy, one base64/base32/hex body, a long
/// base64 string inside JSON, a Fernet token, and — when the topic is named like telemetry — the
/// mismatch between the name and an opaque body.
pub fn score_payload(topic: &str, payload: &[u8], w: &Weights) -> Vec<Signal> {
    let topic = capped(topic, MAX_SCORED_BYTES);
    let body = payload.get(..MAX_PAYLOAD_SCAN).unwrap_or(payload);
    let mut out = Vec::new();
    let mut opaque: Vec<&'static str> = Vec::new();

    if body.len() >= MIN_ENTROPY_BYTES {
        let h = byte_entropy(body);
        if h > HIGH_ENTROPY_BITS {
            opaque.push("high-entropy");
            out.push(Signal::new(
                SignalId::PayloadHighEntropy,
                w.payload_high_entropy,
                format!(
                    "payload of {} bytes has {h:.2} bits/byte (above {HIGH_ENTROPY_BITS}): encrypted or compressed",
                    payload.len()
                ),
            ));
        }
    }
    if let Some(pos) = find_fernet(body) {
        opaque.push("Fernet");
        out.push(Signal::new(
            SignalId::PayloadFernet,
            w.payload_fernet,
            format!(
                "payload holds a Fernet token (`gAAAAA…` at byte {pos}): AES-encrypted content"
            ),
        ));
    }
    if let Some(kind) = encoded_body(body) {
        opaque.push(kind);
        out.push(Signal::new(
            SignalId::PayloadEncoded,
            w.payload_encoded,
            format!("payload of {} bytes is one {kind} body", payload.len()),
        ));
    } else if let Some(len) = longest_quoted_base64(body) {
        opaque.push("embedded base64");
        out.push(Signal::new(
            SignalId::PayloadEncoded,
            w.payload_encoded,
            format!("payload carries a quoted base64 string of {len} characters"),
        ));
    }
    if !opaque.is_empty() {
        let telemetry = telemetry_words(topic);
        if !telemetry.is_empty() {
            out.push(Signal::new(
                SignalId::TelemetryPayloadOpaque,
                w.telemetry_payload_opaque,
                format!(
                    "topic `{topic}` is named like telemetry ({}) but the payload is opaque ({})",
                    telemetry.join(", "),
                    opaque.join(", ")
                ),
            ));
        }
    }
    out
}

/// The words of a topic that name it like telemetry (`status`, `sensor`, `temp`…), at most three.
pub fn telemetry_words(topic: &str) -> Vec<String> {
    capped(topic, MAX_SCORED_BYTES)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(vocab_form)
        .filter(|t| TELEMETRY_WORDS.contains(&t.as_str()))
        .take(3)
        .collect()
}

fn is_b64_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'+' | b'/' | b'-' | b'_')
}

/// What a payload's bytes look like, kept per message (one byte) so the analytics can judge
/// payloads after the bytes are gone.
pub mod payload_traits {
    /// A Fernet token (`gAAAAA…`) somewhere in the payload.
    pub const FERNET: u8 = 1;
    /// The payload is one base64, base32 or hex body.
    pub const ENCODED: u8 = 2;
    /// The payload carries a long quoted base64 string (JSON with an encoded field).
    pub const EMBEDDED_BASE64: u8 = 4;
}

/// The [`payload_traits`] of a payload (its first [`MAX_PAYLOAD_SCAN`] bytes).
pub fn payload_traits(payload: &[u8]) -> u8 {
    let body = payload.get(..MAX_PAYLOAD_SCAN).unwrap_or(payload);
    let mut t = 0;
    if find_fernet(body).is_some() {
        t |= payload_traits::FERNET;
    }
    if encoded_body(body).is_some() {
        t |= payload_traits::ENCODED;
    } else if longest_quoted_base64(body).is_some() {
        t |= payload_traits::EMBEDDED_BASE64;
    }
    t
}

fn find_fernet(body: &[u8]) -> Option<usize> {
    const PREFIX: &[u8] = b"gAAAAA";
    let mut start = 0;
    while let Some(rest) = body.get(start..) {
        let pos = rest.windows(PREFIX.len()).position(|w| w == PREFIX)?;
        let at = start + pos;
        let run = body.get(at..).map_or(0, |tail| {
            tail.iter()
                .take_while(|&&c| is_b64_byte(c) || c == b'=')
                .count()
        });
        // A Fernet token is at least 57 bytes (73 base64 characters) before any plaintext.
        if run >= 60 {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

/// `Some("base64" | "base32" | "hex")` when the trimmed body is one encoded string of at least 24
/// characters.
fn encoded_body(body: &[u8]) -> Option<&'static str> {
    let text = std::str::from_utf8(body).ok()?.trim();
    // Encodings of data mix many symbols (hex of random bytes ≈ 4 bits/char, base64 ≈ 6): a
    // run of one letter or a short word repeated is not an encoded body.
    if text.len() < 24 || byte_entropy(text.as_bytes()) < 3.0 {
        return None;
    }
    if text.len() % 2 == 0
        && text.bytes().all(|c| c.is_ascii_hexdigit())
        && mixes_hex_letters_and_digits(text)
    {
        return Some("hex");
    }
    let unpadded = text.trim_end_matches('=');
    if text.len() - unpadded.len() > 6 || !unpadded.bytes().all(is_b64_byte) {
        return None;
    }
    if unpadded
        .bytes()
        .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    {
        return Some("base32");
    }
    let upper = unpadded.bytes().filter(|c| c.is_ascii_uppercase()).count();
    let lower = unpadded.bytes().filter(|c| c.is_ascii_lowercase()).count();
    let digits = unpadded.bytes().filter(|c| c.is_ascii_digit()).count();
    // Base64 of binary data mixes all three classes; prose without spaces does not.
    if upper * 10 >= unpadded.len() && lower * 10 >= unpadded.len() && digits > 0 {
        return Some("base64");
    }
    None
}

/// Length of the longest `"…"` string of at least 40 base64 characters (mixed case and digits).
fn longest_quoted_base64(body: &[u8]) -> Option<usize> {
    let mut best = 0usize;
    for part in body.split(|&c| c == b'"') {
        if part.len() >= 40 && part.len() > best {
            let inner = part
                .iter()
                .rposition(|&c| c != b'=')
                .map_or(part, |p| part.get(..=p).unwrap_or(part));
            if inner.iter().all(|&c| is_b64_byte(c))
                && inner.iter().any(u8::is_ascii_uppercase)
                && inner.iter().any(u8::is_ascii_lowercase)
                && inner.iter().any(u8::is_ascii_digit)
            {
                best = part.len();
            }
        }
    }
    (best > 0).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(signals: &[Signal]) -> Vec<&'static str> {
        signals.iter().map(|s| s.id.as_str()).collect()
    }

    fn w() -> Weights {
        Weights::default()
    }

    #[test]
    fn c2_command_tree_topics() {
        let s = score_topic("c2/commands/#", &w());
        assert_eq!(
            ids(&s),
            [
                "wildcard_command_tree",
                "c2_vocabulary",
                "c2_vocabulary_weak"
            ]
        );
        assert!(s[1].reason.contains("`c2`"), "{}", s[1].reason);
        let s = score_topic("+/cmd", &w());
        assert_eq!(ids(&s), ["wildcard_command_tree", "c2_vocabulary"]);
        assert_eq!(ids(&score_topic("#", &w())), ["wildcard_all_topics"]);
        // A wildcard over a telemetry tree is ordinary.
        assert!(score_topic("home/+/temperature", &w()).is_empty());
    }

    #[test]
    fn vocabulary_is_whole_tokens_only() {
        assert!(score_topic("shellies/shelly1-relay/relay/0", &w()).is_empty());
        assert!(score_topic("plant/execution/line2", &w()).is_empty());
        assert_eq!(
            ids(&score_topic("dev/shell_exec/in", &w())),
            ["c2_vocabulary"]
        );
        assert_eq!(
            ids(&score_topic("agent7/result", &w())),
            ["c2_vocabulary_weak"]
        );
        assert_eq!(ids(&score_topic("c2/beacon", &w())), ["c2_vocabulary"]);
    }

    #[test]
    fn known_tool_defaults() {
        let s = score_topic("iot/server1", &w());
        assert_eq!(ids(&s), ["known_c2_pattern"]);
        assert!(s[0].reason.contains("MQsTTang"));
        assert_eq!(
            ids(&score_topic("billbradley/2", &w())),
            ["known_c2_pattern"]
        );
        assert_eq!(
            ids(&score_client_id("broomhilda", &w())),
            ["known_c2_pattern"]
        );
    }

    #[test]
    fn guid_hex_and_encoded_tokens() {
        let s = score_topic("bot/3f2504e0-4f89-11d3-9a0c-0305e82c3301/cmd", &w());
        assert_eq!(ids(&s), ["c2_vocabulary", "guid_token"]);
        let s = score_topic("bot/a3f9c02b7e1d44f08b2c/status", &w());
        assert_eq!(ids(&s), ["c2_vocabulary", "hex_token"]);
        let s = score_topic("x/dGhpcyBpcyBhIHNlY3JldCBtZXNzYWdl==", &w());
        assert_eq!(ids(&s), ["encoded_token"]);
        assert!(s[0].reason.contains("base64"));
        let s = score_topic("q/MFRGGZDFMZTWQ2LKNNWG23TP", &w());
        assert_eq!(ids(&s), ["encoded_token"]);
        assert!(s[0].reason.contains("base32"), "{}", s[0].reason);
    }

    #[test]
    fn legitimate_iot_ids_stay_quiet() {
        for topic in [
            "zigbee2mqtt/0x00158d0001a2b3c4/set",
            "v3/app@ttn/devices/eui-70b3d57ed0001234/up",
            "tele/tasmota_A1B2C3/SENSOR",
            "esp/240ac4123456/status",
            "homeassistant/sensor/livingroom_temperature/config",
            "devices/dishwasher/state",
            "$aws/things/thermostat-12/shadow/update",
            "HomeAssistant2024Sensor/state",
            "factory/line3/plc7/readings/1700000000123",
            "shellies/shellyplus1pm-a8032ab12345/status",
            "application/background/notifications",
        ] {
            let s = score_topic(topic, &w());
            assert!(s.is_empty(), "{topic}: {s:?}");
        }
    }

    #[test]
    fn random_tokens() {
        for token in ["xk3j9qzr2v", "q8ZpW2rTx7Ln", "zxcvbnmqwrt", "h7f9k2m4p8"] {
            assert!(looks_random(token), "{token}: {}", random_votes(token));
        }
        for token in [
            "temperature",
            "livingroom",
            "homeassistant",
            "zigbee2mqtt",
            "dishwasher",
            "background",
            "kitchenlight",
            "telemetry",
            "greengrass",
            "notifications",
            "thermostat",
            "sensor01",
            "firmware",
            "mosquitto",
            "shellyplus1pm",
        ] {
            assert!(!looks_random(token), "{token}: {}", random_votes(token));
        }
        assert_eq!(
            ids(&score_topic("updates/xk3j9qzr2v", &w())),
            ["random_token"]
        );
    }

    #[test]
    fn library_client_ids_are_recognised() {
        let s = score_client_id("paho/34AAE54A75D839566E", &w());
        assert_eq!(ids(&s), ["library_client_id"]);
        assert!(s[0].reason.contains("paho-python"));
        assert_eq!(
            ids(&score_client_id("mqttjs_4f1a9c2e", &w())),
            ["library_client_id"]
        );
        assert_eq!(
            ids(&score_client_id("DVES_A1B2C3", &w())),
            ["library_client_id"]
        );
        assert_eq!(
            ids(&score_client_id("mosq-Xy7pQ2rS9tU4vW6zA1", &w())),
            ["library_client_id"]
        );
        // A GUID id from an implant (IOCONTROL-style).
        assert_eq!(
            ids(&score_client_id(
                "{6F9619FF-8B86-D011-B42D-00C04FC964FF}",
                &w()
            )),
            ["guid_token"]
        );
        // `mqtt_client_<uuid4>` (SIQ-LFS-1/mqtt-c2).
        assert_eq!(
            ids(&score_client_id(
                "mqtt_client_1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                &w()
            )),
            ["guid_token"]
        );
    }

    #[test]
    fn jids() {
        assert!(score_jid("alice@jabber.org/Gajim", &w()).is_empty());
        let s = score_jid("bot@xmpp.jp/3f2504e0-4f89-11d3-9a0c-0305e82c3301", &w());
        assert_eq!(ids(&s), ["c2_vocabulary", "guid_token"]);
    }

    #[test]
    fn host_scoped_topics() {
        let s = score_host_scoped(
            "clients/WS-FIN-042/tasks",
            "ws-fin-042.corp.example",
            None,
            &w(),
        );
        assert_eq!(s.map(|s| s.id.as_str()), Some("host_scoped_topic"));
        let s = score_host_scoped("out/a7Xk2q", "pc1", Some("a7Xk2q"), &w());
        assert!(s.unwrap().reason.contains("client id"));
        assert!(score_host_scoped("home/pc/state", "pc", None, &w()).is_none());
    }

    #[test]
    fn templates_group_per_host_topics() {
        assert_eq!(
            topic_template("bot/a3f9c02b7e1d44f08b2c/cmd"),
            "bot/{hex}/cmd"
        );
        assert_eq!(
            topic_template("c/3f2504e0-4f89-11d3-9a0c-0305e82c3301/17"),
            "c/{guid}/{n}"
        );
        assert_eq!(
            topic_template("home/kitchen/temperature"),
            "home/kitchen/temperature"
        );
    }

    #[test]
    fn payloads() {
        // Fernet token in fake sensor JSON (Mixail020/Cybersec_lab).
        let fernet = br#"{"device_id":"s1","temperature":21.5,"checksum":"gAAAAABlZ2X1c3VwZXJzZWNyZXRrZXlfMTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVGR0hJSks="}"#;
        let s = score_payload("sensors", fernet, &w());
        assert_eq!(
            ids(&s),
            [
                "payload_fernet",
                "payload_encoded",
                "telemetry_payload_opaque"
            ]
        );
        assert!(s[2].reason.contains("sensors"), "{}", s[2].reason);

        // Plain telemetry JSON: nothing.
        let plain = br#"{"temperature":21.5,"humidity":40,"battery":97,"status":"ok"}"#;
        assert!(score_payload("home/kitchen/temperature", plain, &w()).is_empty());

        // Pseudo-random bytes: high entropy; on a status topic also the telemetry mismatch.
        let mut x: u32 = 0x1234_5678;
        let random: Vec<u8> = (0..512)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x >> 24) as u8
            })
            .collect();
        assert_eq!(
            ids(&score_payload("dev/status", &random, &w())),
            ["payload_high_entropy", "telemetry_payload_opaque"]
        );
        assert_eq!(
            ids(&score_payload("files/blob", &random, &w())),
            ["payload_high_entropy"]
        );

        // One base64 body; short text and hex bodies.
        let b64 = b"U2FsdGVkX1+q0c3JpcHQgcGF5bG9hZCBmb3IgdGVzdGluZw==";
        assert_eq!(
            ids(&score_payload("iot/data", b64, &w())),
            ["payload_encoded"]
        );
        assert!(score_payload("x", b"ONLINE", &w()).is_empty());
        assert!(score_payload("x", b"ThisIsJustACamelCaseSentenceWithoutSpaces", &w()).is_empty());
        let s = score_payload(
            "x",
            b"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            &w(),
        );
        assert!(s[0].reason.contains("hex"));
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_strings(s in ".{0,2000}", host in ".{0,64}") {
            let w = Weights::default();
            for sig in score_topic(&s, &w)
                .into_iter()
                .chain(score_client_id(&s, &w))
                .chain(score_jid(&s, &w))
                .chain(score_host_scoped(&s, &host, Some(&s), &w))
            {
                prop_assert!(!sig.reason.is_empty());
                // Reasons quote at most the capped input plus fixed text.
                prop_assert!(sig.reason.len() < 4 * MAX_SCORED_BYTES);
            }
            let _ = topic_template(&s);
            let _ = level_shape(&s);
        }

        #[test]
        fn never_panics_on_arbitrary_payloads(topic in ".{0,100}", payload in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = score_payload(&topic, &payload, &Weights::default());
        }

        #[test]
        fn long_strings_score_like_their_capped_prefix(s in "[a-z0-9/+#]{0,64}", pad in "[a-z]{600,700}") {
            let long = format!("{s}/{pad}");
            let w = Weights::default();
            prop_assert_eq!(score_topic(&long, &w), score_topic(capped(&long, MAX_SCORED_BYTES), &w));
        }
    }
}
