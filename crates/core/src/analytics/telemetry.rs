//! Telemetry: whether what a client publishes is a device's measurements. Sensors, meters and
//! thermostats publish readings on a timer, which is what a beacon looks like; this module owns
//! the two judgements that tell them apart from check-ins (docs/beacon-and-scoring.md,
//! telemetry):
//!
//! * [`plain_telemetry`]: the regular publications are plain (low entropy, no encoded body) and
//!   either name themselves telemetry (`sensors/temperature`) or are numeric readings; the
//!   message beacon then keeps [`PLAIN_TELEMETRY_BEACON_FACTOR`] of its weight;
//! * [`telemetry_readings`]: every publication is a JSON object of numbers
//!   ([`crate::readings`]), which carries no text: no command output, no host survey, no
//!   encoded body. That is benign evidence in its own right.

use crate::app::{AppInfo, MessageEvent, TopicDirection};
use crate::behaviour::payloads::telemetry_words;
use crate::behaviour::{Signal, Weights};
use crate::payload::payload_traits;
use crate::signal::SignalId;

/// Beacon weight kept when the regular publications are plain telemetry.
pub(super) const PLAIN_TELEMETRY_BEACON_FACTOR: f64 = 0.3;

/// Entropy under which a payload reads as plain text or JSON.
pub(super) const PLAIN_PAYLOAD_BITS: f32 = 6.0;

/// Fewest publications for "every one is readings" to describe the client rather than a few
/// messages: a device reports for hours, an exchange of two or three messages says little.
pub(super) const MIN_READINGS: u64 = 10;

fn is_readings(m: &MessageEvent) -> bool {
    m.traits & payload_traits::READINGS != 0
}

/// Why the beaconing publications look like ordinary telemetry: every one is low-entropy with no
/// encoded body, and either every one is numeric readings or every one is on a topic named like
/// telemetry. `None` when they do not.
pub(super) fn plain_telemetry(app: &AppInfo, published: &[&MessageEvent]) -> Option<String> {
    let plain = published
        .iter()
        .all(|m| m.entropy < PLAIN_PAYLOAD_BITS && m.traits & !payload_traits::READINGS == 0);
    if !plain || published.is_empty() {
        return None;
    }
    if published.iter().all(|m| is_readings(m)) {
        return Some("every payload is a JSON object of numeric readings".to_string());
    }
    let mut words: Vec<String> = Vec::new();
    for m in published {
        let topic = app.topic_of(m)?;
        let w = telemetry_words(&topic.name);
        if w.is_empty() {
            return None;
        }
        if words.len() < 3 {
            for x in w {
                if !words.contains(&x) {
                    words.push(x);
                }
            }
        }
    }
    Some(format!(
        "the payloads are plain (under {PLAIN_PAYLOAD_BITS} bits/byte, no encoded body) on \
         topics named like telemetry ({})",
        words.join(", ")
    ))
}

/// `telemetry_readings` when the client published at least [`MIN_READINGS`] messages and every
/// one is a JSON object of numeric readings. An implant's publications carry what it was told
/// to fetch or run, which is text or an encoded body; a device's carry numbers. What the client
/// is sent is judged by the other content signals (an encoded command on its subscription still
/// counts against it).
pub(super) fn telemetry_readings(app: &AppInfo, w: &Weights) -> Option<Signal> {
    let mut count: u64 = 0;
    for m in app
        .messages
        .iter()
        .filter(|m| m.direction == TopicDirection::Publish)
    {
        if !is_readings(m) {
            return None;
        }
        count = count.saturating_add(u64::from(m.weight.max(1)));
    }
    if count < MIN_READINGS {
        return None;
    }
    Some(Signal::new(
        SignalId::TelemetryReadings,
        w.telemetry_readings,
        format!(
            "every one of the {count} messages the client published is a JSON object of numeric \
             readings (no text, so no command output, host data or encoded body): a device \
             reporting measurements"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::MessageEvent;

    fn msg(ts: i64, direction: TopicDirection, traits: u8, entropy: f32) -> MessageEvent {
        MessageEvent {
            ts,
            direction,
            topic: None,
            size: 49,
            entropy,
            weight: 1,
            traits,
        }
    }

    fn app_with(messages: Vec<MessageEvent>) -> AppInfo {
        AppInfo {
            messages,
            ..AppInfo::default()
        }
    }

    #[test]
    fn a_device_publishing_only_readings_is_telemetry() {
        let readings: Vec<MessageEvent> = (0..12)
            .map(|i| {
                msg(
                    i * 120_000_000,
                    TopicDirection::Publish,
                    payload_traits::READINGS,
                    4.1,
                )
            })
            .collect();
        let app = app_with(readings.clone());
        let s = telemetry_readings(&app, &Weights::default()).unwrap();
        assert_eq!(s.id, SignalId::TelemetryReadings);
        assert!(s.weight < 0.0);
        assert!(s.reason.contains("12 messages"), "{}", s.reason);
        let refs: Vec<&MessageEvent> = readings.iter().collect();
        assert!(plain_telemetry(&app, &refs).is_some_and(|why| why.contains("numeric readings")));
    }

    #[test]
    fn one_text_or_encoded_publication_or_too_few_is_not() {
        let mut m: Vec<MessageEvent> = (0..12)
            .map(|i| msg(i, TopicDirection::Publish, payload_traits::READINGS, 4.1))
            .collect();
        // A check-in that is text among readings.
        m.push(msg(99, TopicDirection::Publish, 0, 4.5));
        assert!(telemetry_readings(&app_with(m.clone()), &Weights::default()).is_none());
        let refs: Vec<&MessageEvent> = m.iter().collect();
        // Plain, but neither all readings nor on telemetry topics (none are kept here).
        assert!(plain_telemetry(&app_with(m.clone()), &refs).is_none());
        // An encoded body.
        m.pop();
        m.push(msg(
            99,
            TopicDirection::Publish,
            payload_traits::ENCODED,
            5.9,
        ));
        assert!(telemetry_readings(&app_with(m.clone()), &Weights::default()).is_none());
        // Nine readings are not enough to describe the client.
        let few: Vec<MessageEvent> = (0..9)
            .map(|i| msg(i, TopicDirection::Publish, payload_traits::READINGS, 4.1))
            .collect();
        assert!(telemetry_readings(&app_with(few), &Weights::default()).is_none());
        // What the client is sent does not make its own publications readings.
        let sent: Vec<MessageEvent> = (0..12)
            .map(|i| msg(i, TopicDirection::Subscribe, payload_traits::READINGS, 4.1))
            .collect();
        assert!(telemetry_readings(&app_with(sent), &Weights::default()).is_none());
    }
}
