//! Payload evidence: whether a message payload is opaque (high entropy, one encoded body, an
//! embedded base64 string, a Fernet token) and whether that opacity sits where plain telemetry is
//! expected (ATT&CK AN0003 "… obfuscated payloads"), and whether it carries host data. What the bytes look like is decided in the
//! leaf [`crate::payload`] (so the data model can record it per message); this file turns it into
//! explained [`Signal`]s and owns the thresholds and the telemetry vocabulary the analytics share.

use super::{MAX_SCORED_BYTES, Signal, Weights, capped};
use crate::payload::{
    MAX_PAYLOAD_SCAN, byte_entropy, encoded_body, find_fernet, host_data, longest_quoted_base64,
};
use crate::signal::SignalId;

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
    if let Some(what) = host_data(body) {
        out.push(host_data_signal(1, 1, what, w));
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

/// `payload_host_data` for `found` of `judged` payloads carrying host data (`what` names the kind
/// when it is known): what a host survey sends home, or the command asking for one (ATT&CK
/// AN0003's "system data in the message payload").
pub fn host_data_signal(found: usize, judged: usize, what: &str, w: &Weights) -> Signal {
    let which = if judged <= 1 {
        "the payload carries".to_string()
    } else {
        format!("{found} of {judged} payloads carry")
    };
    Signal::new(
        SignalId::PayloadHostData,
        w.payload_host_data,
        format!(
            "{which} host data ({what}): what a host survey sends, or the command asking for one"
        ),
    )
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

/// A token's vocabulary form: lower case, trailing digits removed (`cmd1`, `server0`).
fn vocab_form(token: &str) -> String {
    token
        .trim_end_matches(|c: char| c.is_ascii_digit())
        .to_ascii_lowercase()
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

    #[test]
    fn host_surveys() {
        let s = score_payload("c2/beacon", b"host=ws-1;user=root;os=linux", &w());
        assert_eq!(ids(&s), ["payload_host_data"]);
        assert!(
            s[0].reason.contains("the user with the host or system"),
            "{}",
            s[0].reason
        );
        assert_eq!(
            ids(&score_payload("x", b"whoami", &w())),
            ["payload_host_data"]
        );
        assert!(score_payload("sensors/x", b"21.5", &w()).is_empty());
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_payloads(topic in ".{0,100}", payload in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let _ = score_payload(&topic, &payload, &Weights::default());
        }
    }
}
