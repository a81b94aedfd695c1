//! A trial exchange: a person trying a broker by hand. Developers check that a broker answers
//! with a client's documented first command — `mosquitto_sub -t test/alice/#` in one window,
//! `mosquitto_pub -t test/alice/hello -m "hello world"` in another — on a topic under a test
//! namespace, publishing a few plain messages. This module owns that judgement
//! ([`trial_exchange`]), benign content evidence (`trial_exchange`).
//!
//! What it cannot tell: an operator who names a channel's topics `test/…` and sends plain text.
//! It therefore needs every topic of the group under a test namespace, a handful of plain
//! publications and no content evidence against the client (vocabulary, tokens, encoded or
//! host-data payloads, a wildcard over a command tree), and its weight alone does not take an
//! alert below the seed's prior (the scoring's `lower_at_net`): a stock command-line client's id
//! (`library_client_id`) or the behaviour's own evidence must agree.

use super::telemetry::PLAIN_PAYLOAD_BITS;
use crate::app::{AppInfo, TopicDirection};
use crate::behaviour::{Signal, Weights};
use crate::signal::SignalId;
use crate::verdict::AnalyticId;

/// First topic levels that name a test namespace: the mosquitto and HiveMQ documentation's
/// examples and the public brokers' own test pages use them.
pub(super) const TEST_NAMESPACES: [&str; 6] =
    ["test", "tests", "testing", "testtopic", "demo", "sandbox"];

/// Most publications a trial makes: a person types a few messages; a program on a timer makes
/// many (and the timer is judged on its own).
pub(super) const MAX_TRIAL_PUBLICATIONS: u64 = 10;

/// The topic's first level, when it names a test namespace.
fn test_namespace(topic: &str) -> Option<&str> {
    let first = topic.trim_start_matches('/').split('/').next()?;
    TEST_NAMESPACES
        .iter()
        .find(|n| first.eq_ignore_ascii_case(n))
        .copied()
}

/// `trial_exchange` when every topic the group used lies under a test namespace, the client
/// published at most [`MAX_TRIAL_PUBLICATIONS`] messages, each plain (low entropy, no encoded
/// body), and nothing found so far (`found`) is content evidence against it.
pub(super) fn trial_exchange(app: &AppInfo, found: &[Signal], w: &Weights) -> Option<Signal> {
    if app.topics.is_empty() || app.topics_dropped > 0 || app.messages_dropped > 0 {
        return None;
    }
    let against = found
        .iter()
        .any(|s| s.weight > 0.0 && s.id.analytic() == AnalyticId::PubsubContent);
    if against {
        return None;
    }
    let mut namespaces: Vec<&str> = Vec::new();
    for t in &app.topics {
        let n = test_namespace(&t.name)?;
        if !namespaces.contains(&n) {
            namespaces.push(n);
        }
    }
    let published: u64 = app
        .topics
        .iter()
        .filter(|t| t.direction == TopicDirection::Publish)
        .map(|t| t.messages)
        .sum();
    let plain = app
        .messages
        .iter()
        .filter(|m| m.direction == TopicDirection::Publish)
        .all(|m| m.entropy < PLAIN_PAYLOAD_BITS && m.traits == 0);
    if published > MAX_TRIAL_PUBLICATIONS || !plain {
        return None;
    }
    Some(Signal::new(
        SignalId::TrialExchange,
        w.trial_exchange,
        format!(
            "every topic lies under a test namespace ({}) and the client published {published} \
             plain message{}: a person trying the broker by hand, as its documentation shows, \
             with nothing in the exchange that speaks of commands, hosts or encoded data",
            namespaces
                .iter()
                .map(|n| format!("`{n}/…`"))
                .collect::<Vec<_>>()
                .join(", "),
            if published == 1 { "" } else { "s" }
        ),
    ))
}

#[cfg(test)]
#[path = "trial_tests.rs"]
mod tests;
