//! Content evidence of one group from what packet inspection kept of its messages (sizes,
//! entropy, payload traits and publication times, never the bytes): opaque or encoded payloads,
//! host data, telemetry topics carrying opaque bodies, and the per-minute publication series the
//! rate scorers judge. [`super::evidence`] gathers these with the group's other signals.

use crate::app::{AppInfo, MessageEvent};
use crate::behaviour::payloads::{
    HIGH_ENTROPY_BITS, MIN_ENTROPY_BYTES, host_data_signal, telemetry_words,
};
use crate::behaviour::rate::MAX_RATE_INTERVALS;
use crate::behaviour::{Signal, Weights};
use crate::payload::payload_traits;
use crate::signal::SignalId;

/// Payload evidence from the per-message statistics the dissectors keep (size, entropy and
/// [`payload_traits`], not the bytes), in both directions: most payloads of at least
/// [`MIN_ENTROPY_BYTES`] above [`HIGH_ENTROPY_BITS`] is encrypted or compressed content; a Fernet
/// token in any payload is encrypted content; most payloads being one encoded body (or JSON
/// carrying a long base64 string) is encoded content; and any of that on topics named like
/// telemetry is a mismatch worth more.
pub(super) fn opaque_payloads(app: &AppInfo, w: &Weights) -> Vec<Signal> {
    let mut out = Vec::new();
    let judged: Vec<&MessageEvent> = app
        .messages
        .iter()
        .filter(|m| m.size as usize >= MIN_ENTROPY_BYTES)
        .collect();
    let high: Vec<&&MessageEvent> = judged
        .iter()
        .filter(|m| f64::from(m.entropy) > HIGH_ENTROPY_BITS)
        .collect();
    if high.len() >= 2 && high.len() * 2 >= judged.len() {
        out.push(Signal::new(
            SignalId::PayloadHighEntropy,
            w.payload_high_entropy,
            format!(
                "{} of {} payloads of {MIN_ENTROPY_BYTES} bytes or more exceed \
                 {HIGH_ENTROPY_BITS} bits/byte: encrypted or compressed content",
                high.len(),
                judged.len()
            ),
        ));
    }
    let fernet = app
        .messages
        .iter()
        .filter(|m| m.traits & payload_traits::FERNET != 0)
        .count();
    if fernet > 0 {
        out.push(Signal::new(
            SignalId::PayloadFernet,
            w.payload_fernet,
            format!("{fernet} payloads hold a Fernet token (`gAAAAA…`): AES-encrypted content"),
        ));
    }
    let host = app
        .messages
        .iter()
        .filter(|m| m.traits & payload_traits::HOST_DATA != 0)
        .count();
    if host > 0 {
        out.push(host_data_signal(
            host,
            app.messages.len(),
            "who runs where, or a discovery command",
            w,
        ));
    }
    let encoded_mask = payload_traits::ENCODED | payload_traits::EMBEDDED_BASE64;
    let sized = app.messages.iter().filter(|m| m.size >= 16).count();
    let encoded = app
        .messages
        .iter()
        .filter(|m| m.size >= 16 && m.traits & encoded_mask != 0)
        .count();
    if encoded >= 2 && encoded * 2 >= sized {
        out.push(Signal::new(
            SignalId::PayloadEncoded,
            w.payload_encoded,
            format!(
                "{encoded} of {sized} payloads are one base64/base32/hex body or carry a long \
                 base64 string"
            ),
        ));
    }
    let opaque = |m: &&MessageEvent| {
        f64::from(m.entropy) > HIGH_ENTROPY_BITS && m.size as usize >= MIN_ENTROPY_BYTES
            || m.traits & (encoded_mask | payload_traits::FERNET) != 0
    };
    let telemetry_topic = app
        .messages
        .iter()
        .filter(|m| opaque(m))
        .filter_map(|m| app.topic_of(m))
        .map(|t| (t.name.as_str(), telemetry_words(&t.name)))
        .find(|(_, words)| !words.is_empty());
    if !out.is_empty()
        && let Some((topic, words)) = telemetry_topic
    {
        out.push(Signal::new(
            SignalId::TelemetryPayloadOpaque,
            w.telemetry_payload_opaque,
            format!(
                "topic `{}` is named like telemetry ({}) but its payloads are opaque",
                crate::behaviour::capped(topic, 128),
                words.join(", ")
            ),
        ));
    }
    out
}

/// Published messages per minute from the first publication to the last, oldest first. Longer
/// spans use longer intervals so the series stays under [`MAX_RATE_INTERVALS`].
pub(super) fn published_counts_per_minute(app: &AppInfo) -> Vec<u64> {
    let Some((times, first, last)) = app.published_series() else {
        return Vec::new();
    };
    let span = (last - first).max(0) as u64;
    let minute = 60_000_000u64;
    let interval = minute.max(span / MAX_RATE_INTERVALS as u64 + 1);
    let n = (span / interval + 1) as usize;
    let mut counts = vec![0u64; n];
    for (t, weight) in times {
        let i = ((t - first).max(0) as u64 / interval) as usize;
        if let Some(c) = counts.get_mut(i) {
            *c += u64::from(weight);
        }
    }
    counts
}

/// The messages a group's message-level beacon is judged on: what the client published, without
/// application heartbeats (Celery's `worker.heartbeat`), which are keepalives by design
/// (docs/allowlist.md, default classes). Pings are never messages.
pub(super) fn beaconing_messages(app: &AppInfo) -> Vec<&MessageEvent> {
    app.messages
        .iter()
        .filter(|m| m.direction == crate::app::TopicDirection::Publish)
        .filter(|m| !app.topic_of(m).is_some_and(|t| is_heartbeat_topic(&t.name)))
        .collect()
}

/// Application heartbeats that are keepalives by design (Celery workers publish
/// `worker.heartbeat` every 2 s).
fn is_heartbeat_topic(name: &str) -> bool {
    name.starts_with("worker.heartbeat")
}
