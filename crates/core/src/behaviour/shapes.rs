//! Token shapes: what one topic level, id or token looks like — a GUID, long hex, base64, base32,
//! a number, random-looking text, or plain — and the topic template that replaces id-like levels
//! by their shape. The name scorer (`names.rs`) turns shapes into signals; the engine groups
//! per-host topics by their [`topic_template`].
//!
//! Hex counts only above 16 digits (above MAC and EUI-64 lengths) and only with both letters and
//! digits; base64 needs mixed case and digits plus randomness or explicit padding; "random" is a
//! vote of five cheap tests on an 8–64 character alphanumeric token (see [`looks_random`]).

use super::{MAX_SCORED_BYTES, capped};
use crate::payload::mixes_hex_letters_and_digits;

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
    if is_hardware_address(level) {
        return Shape::Plain;
    }
    if level.bytes().all(|b| b.is_ascii_alphanumeric()) && looks_random(level) {
        return Shape::Random;
    }
    Shape::Plain
}

/// A GUID/UUID: 8-4-4-4-12 hex digits (braces allowed), or 32 hex digits mixing letters and digits.
pub(super) fn is_guid(s: &str) -> bool {
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

/// A MAC (12 hex digits) or EUI-64 (16) address written without separators: how devices name
/// themselves in topics and client ids (`v1/CD25AD56E1B9/up`). Hex up to these lengths is not
/// `hex_token` ([`is_long_hex`]), and for the same reason it is not judged random either: its
/// digits are a vendor prefix and a serial, which letter-pair and entropy tests cannot read.
fn is_hardware_address(s: &str) -> bool {
    matches!(s.len(), 12 | 16) && s.bytes().all(|c| c.is_ascii_hexdigit())
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
    if !body.contains(['+', '/']) && is_word_name(body) {
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

/// A name made of words joined by `-` or `_` (`spark-WKS-MKT-790`, `build_agent_07`): each part
/// all letters or all digits. Base64url's `-` and `_` fall anywhere in random text, so two or
/// more of them, each between whole words, is a host or resource name, not an encoding.
fn is_word_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split(['-', '_']).collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && (p.bytes().all(|c| c.is_ascii_alphabetic())
                    || p.bytes().all(|c| c.is_ascii_digit()))
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviour::names::score_topic;
    use crate::behaviour::{Signal, Weights};

    fn ids(signals: &[Signal]) -> Vec<&'static str> {
        signals.iter().map(|s| s.id.as_str()).collect()
    }

    fn w() -> Weights {
        Weights::default()
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
    fn hardware_addresses_are_names_not_random() {
        // A thermostat's MAC and a gateway's EUI-64 in their topics: letter/digit switching that
        // the random test would otherwise count.
        for id in ["CD25AD56E1B9", "ca5a0afd148b", "0004A30B001C2F5E"] {
            assert!(looks_random(id) || random_votes(id) >= 2, "{id}");
            assert_eq!(level_shape(id), Shape::Plain, "{id}");
        }
        assert!(score_topic("v1/CD25AD56E1B9/up", &w()).is_empty());
        // One digit more or less is not an address length, nor are separators or other letters.
        for other in [
            "CD25AD56E1B9A",
            "CD25AD56E1B",
            "CD:25:AD:56:E1:B9",
            "XD25AD56E1B9",
        ] {
            assert!(!is_hardware_address(other), "{other}");
        }
        assert_eq!(level_shape("a3f9c02b7e1d44f08b2c"), Shape::Hex);
    }

    #[test]
    fn names_of_joined_words_are_not_base64() {
        // An XMPP resource and a build agent: words joined by dashes or underscores.
        for name in [
            "spark-WKS-MKT-790",
            "Gajim-LT-QA-303-x",
            "build_Agent_Win_07",
        ] {
            assert_eq!(level_shape(name), Shape::Plain, "{name}");
        }
        // Base64url keeps its dashes and underscores inside random text.
        for token in [
            "aZ3-kP9_xQ2vLm8Rt4Yw",
            "Qm9vdC1zdGF0dXMtMTIzNDU2Nzg5MA",
            "x7Kp-Q2m-Z9vT-8LrW",
        ] {
            assert_eq!(level_shape(token), Shape::Base64, "{token}");
        }
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
}
