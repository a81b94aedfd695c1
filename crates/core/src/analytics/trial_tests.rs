//! Tests of the trial exchange: a person's test on a broker against a channel named `test/…`.

use super::*;
use crate::app::{MessageEvent, TopicDirection, TopicUse};
use crate::payload::payload_traits;

fn topic(name: &str, direction: TopicDirection, messages: u64) -> TopicUse {
    TopicUse::new(name, direction, messages)
}

fn published(n: usize, entropy: f32, traits: u8) -> Vec<MessageEvent> {
    (0..n)
        .map(|i| MessageEvent {
            ts: i as i64 * 60_000_000,
            direction: TopicDirection::Publish,
            topic: None,
            size: 11,
            entropy,
            weight: 1,
            traits,
        })
        .collect()
}

/// `mosquitto_sub -t test/alice/#` and two `mosquitto_pub -t test/alice/hello -m "hello world"`.
fn hand_test() -> AppInfo {
    AppInfo {
        topics: vec![
            topic("test/alice/#", TopicDirection::Subscribe, 0),
            topic("test/alice/hello", TopicDirection::Subscribe, 2),
            topic("test/alice/hello", TopicDirection::Publish, 2),
        ],
        messages: published(2, 3.1, 0),
        ..AppInfo::default()
    }
}

#[test]
fn a_hand_test_under_a_test_namespace_is_a_trial() {
    let w = Weights::default();
    let s = trial_exchange(&hand_test(), &[], &w).unwrap();
    assert_eq!(s.id, SignalId::TrialExchange);
    assert_eq!(s.weight, w.trial_exchange);
    assert!(s.weight < 0.0);
    assert!(s.reason.contains("(`test/…`)"), "{}", s.reason);
    assert!(
        s.reason.contains("published 2 plain messages"),
        "{}",
        s.reason
    );
    // Any case, a leading slash, HiveMQ's `testtopic`.
    let mut app = hand_test();
    app.topics = vec![
        topic("/Test/x", TopicDirection::Publish, 1),
        topic("testtopic/1", TopicDirection::Publish, 1),
    ];
    assert!(trial_exchange(&app, &[], &w).is_some());
}

#[test]
fn a_channel_that_only_names_its_topics_test_is_not() {
    let w = Weights::default();
    // One topic outside a test namespace.
    let mut app = hand_test();
    app.topics
        .push(topic("c2/alice/out", TopicDirection::Publish, 1));
    assert!(trial_exchange(&app, &[], &w).is_none());
    // A word that merely begins like one.
    let mut app = hand_test();
    app.topics = vec![topic("testament/x", TopicDirection::Publish, 1)];
    assert!(trial_exchange(&app, &[], &w).is_none());
    // More publications than a person types.
    let mut app = hand_test();
    app.topics = vec![topic("test/x", TopicDirection::Publish, 11)];
    app.messages = published(11, 3.0, 0);
    assert!(trial_exchange(&app, &[], &w).is_none());
    // An encoded, a high-entropy or a host-data payload.
    for (entropy, traits) in [
        (4.0, payload_traits::ENCODED),
        (7.5, 0),
        (4.0, payload_traits::HOST_DATA),
    ] {
        let mut app = hand_test();
        app.messages = published(2, entropy, traits);
        assert!(
            trial_exchange(&app, &[], &w).is_none(),
            "{entropy} {traits}"
        );
    }
    // Content evidence against the client already found (a random token in a level).
    let token = Signal::new(SignalId::RandomToken, w.random_token, "token");
    assert!(trial_exchange(&hand_test(), &[token], &w).is_none());
    // Evidence of another analytic does not count against it here.
    let lone = Signal::new(SignalId::SoleHostDestination, 8.0, "lone");
    assert!(trial_exchange(&hand_test(), &[lone], &w).is_some());
    // No topics, or topics dropped: nothing to judge.
    assert!(trial_exchange(&AppInfo::default(), &[], &w).is_none());
    let mut app = hand_test();
    app.topics_dropped = 1;
    assert!(trial_exchange(&app, &[], &w).is_none());
}
