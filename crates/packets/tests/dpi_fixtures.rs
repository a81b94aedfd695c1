//! Golden tests of the pub/sub inspector on the project's own loopback captures in
//! `tests/fixtures/dpi` (how each was made is told at its test), read with the harness in
//! `dpi_harness`.

mod dpi_harness;

use dpi_harness::{all_client_ids, decode, fixture, has_topic, inspect, packets, with_protocol};
use pubsub_hunt_core::{Protocol, TopicDirection};
use pubsub_hunt_packets::dpi::{SessionInspector, Side};

/// Mosquitto on 127.0.0.1:1883 (loopback in a network namespace, segments cut at 1400 bytes),
/// captured with tcpdump and cut with `editcap -A` to start inside the first segment of a
/// 3,000-byte PUBLISH: `mosquitto_sub -V mqttv311 -i bot-7f3a -t bots/7f3a/cmd -q 1` (connected
/// before the cut), `mosquitto_pub -V mqttv311 -i exfil-7f3a -t bots/7f3a/out -l` publishing
/// lines of 3,000, 40 and 3,000 bytes (connected before the cut, still open at the end), and
/// two `mosquitto_pub -i op -q 1` commands to `bots/7f3a/cmd` (whole, with CONNECT).
#[test]
fn mosquitto_mid_stream_fixture() {
    let flows = inspect(&fixture("mosquitto-mid-stream.pcap"));
    let mqtt = with_protocol(&flows, Protocol::Mqtt);
    assert_eq!(mqtt.len(), 4, "{flows:#?}");
    assert_eq!(all_client_ids(&mqtt), ["op"]);
    let by_port = |port: u16| {
        mqtt.iter()
            .find(|f| f.client.1 == port)
            .map(|f| &f.app)
            .unwrap_or_else(|| panic!("no MQTT flow from port {port}: {flows:#?}"))
    };
    // The subscriber: two commands delivered, both acknowledged.
    let sub = by_port(42972);
    assert_eq!(sub.protocol_version, None);
    assert!(sub.client_ids.is_empty());
    assert_eq!(sub.topics.len(), 1);
    assert_eq!(
        (sub.topics[0].name.as_str(), sub.topics[0].direction),
        ("bots/7f3a/cmd", TopicDirection::Subscribe)
    );
    assert_eq!(sub.topics[0].messages, 2);
    // The publisher: the cut message is not counted, the two after it are, whole.
    let publisher = by_port(42988);
    assert_eq!(publisher.topics.len(), 1);
    assert_eq!(
        (
            publisher.topics[0].name.as_str(),
            publisher.topics[0].direction
        ),
        ("bots/7f3a/out", TopicDirection::Publish)
    );
    let sizes: Vec<u32> = publisher.messages.iter().map(|m| m.size).collect();
    assert_eq!(sizes, [40, 3000]);
    // Off the MQTT port the same mid-stream bytes are too little evidence.
    let mut elsewhere = SessionInspector::new();
    for (n, (link, data)) in packets(&fixture("mosquitto-mid-stream.pcap"))
        .iter()
        .enumerate()
    {
        if let Some(seg) = decode(*link, data)
            && seg.src.1 == 1883
            && seg.dst.1 == 42972
        {
            elsewhere.feed(Side::Server, n as i64, n as u64, &seg.payload);
        }
    }
    assert_eq!(elsewhere.finish().protocol, None);
}

/// RabbitMQ 3.10.8 (Debian 12) on 127.0.0.1:5672 in a network namespace, captured with tcpdump:
/// pika 1.3.2 connects as guest with `client_properties={"connection_name":
/// "orders-worker-7f3a"}`, declares queue `tasks`, publishes two messages to it through the
/// default exchange, takes one back with basic.get and closes.
#[test]
fn rabbitmq_pika_fixture() {
    let flows = inspect(&fixture("rabbitmq-pika.pcap"));
    let amqp = with_protocol(&flows, Protocol::Amqp);
    assert_eq!(amqp.len(), 1, "{flows:#?}");
    let app = &amqp[0].app;
    assert_eq!(app.protocol_version.as_deref(), Some("0-9-1"));
    // The name is the last client property, after pika's nested `capabilities` table.
    assert_eq!(all_client_ids(&amqp), ["orders-worker-7f3a"]);
    assert!(app.usernames.contains("guest"));
    assert!(app.server_names.contains("vhost:/"));
    assert!(has_topic(&amqp, "tasks", TopicDirection::Publish));
}

/// Mosquitto 2.0 on 127.0.0.1:18830, captured with tcpdump: `mosquitto_sub -V mqttv311 -i
/// fixture-sub -t 'hunt/#'`, `mosquitto_pub -V mqttv311 -i fixture-pub -u hunter -q 1` and
/// `mosquitto_pub -V mqttv5 -i fixture-pub5 -D publish message-expiry-interval 60`, both to
/// `hunt/test`.
#[test]
fn mosquitto_loopback_fixture() {
    let flows = inspect(&fixture("mosquitto-v311-v5.pcap"));
    let mqtt = with_protocol(&flows, Protocol::Mqtt);
    assert_eq!(mqtt.len(), 3, "{flows:#?}");
    assert_eq!(
        all_client_ids(&mqtt),
        ["fixture-pub", "fixture-pub5", "fixture-sub"]
    );
    let by_id = |id: &str| {
        mqtt.iter()
            .find(|f| f.app.client_ids.contains(id))
            .map(|f| &f.app)
    };
    let sub = by_id("fixture-sub").expect("subscriber flow");
    assert_eq!(sub.protocol_version.as_deref(), Some("3.1.1"));
    assert!(
        sub.topics
            .iter()
            .any(|t| t.name == "hunt/#" && t.direction == TopicDirection::Subscribe)
    );
    let delivered: Vec<u32> = sub
        .messages
        .iter()
        .filter(|m| m.direction == TopicDirection::Subscribe)
        .map(|m| m.size)
        .collect();
    assert_eq!(delivered, [22, 10]);
    let publisher = by_id("fixture-pub").expect("publisher flow");
    assert!(publisher.usernames.contains("hunter"));
    assert_eq!(publisher.messages.len(), 1);
    assert_eq!(publisher.messages[0].size, 22);
    let v5 = by_id("fixture-pub5").expect("v5 flow");
    assert_eq!(v5.protocol_version.as_deref(), Some("5"));
    // The v5 PUBLISH carries a message-expiry property: the payload size excludes it.
    assert_eq!(v5.messages.first().map(|m| m.size), Some(10));
    assert!(
        v5.topics
            .iter()
            .any(|t| t.name == "hunt/test" && t.messages == 1)
    );
}
