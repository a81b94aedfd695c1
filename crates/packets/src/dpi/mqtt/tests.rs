//! Unit tests of the MQTT dissector on hand-built packets: whole sessions, byte by byte,
//! mid-stream, across gaps, oversize messages, and bytes that are not MQTT.

use super::*;
use crate::dpi::testutil::{run, run_bytewise, run_on_port};
use crate::dpi::{SessionInspector, Side::*};
use pubsub_hunt_core::Protocol;

/// CONNECT from `zeek/mqtt.pcap` (MQTT 3.1, Paho).
const PAHO_CONNECT: &[u8] =
    b"\x10\x25\x00\x06MQIsdp\x03\x02\x00\x05\x00\x17paho/34AAE54A75D839566E";
const CONNACK: &[u8] = b"\x20\x02\x00\x00";
const SUB: &[u8] = b"\x82\x10\x00\x01\x00\x0bSampleTopic\x00";
const SUBACK: &[u8] = b"\x90\x03\x00\x01\x00";
const PUB: &[u8] = b"\x31\x30\x00\x0bSampleTopicHello from the Paho blocking client";

fn exchange() -> Vec<(Side, &'static [u8])> {
    vec![
        (Client, PAHO_CONNECT),
        (Server, CONNACK),
        (Client, SUB),
        (Server, SUBACK),
        (Client, PUB),
        (Client, b"\xc0\x00"),
        (Server, b"\xd0\x00"),
        (Client, b"\xc0\x00"),
    ]
}

fn check_paho(app: &AppInfo) {
    assert_eq!(app.protocol, Some(Protocol::Mqtt));
    assert_eq!(app.protocol_version.as_deref(), Some("3.1"));
    assert!(app.client_ids.contains("paho/34AAE54A75D839566E"));
    assert_eq!(app.keepalive_secs, Some(5));
    assert_eq!(app.pings, 2);
    let sub = app
        .topics
        .iter()
        .find(|t| t.direction == TopicDirection::Subscribe);
    assert_eq!(sub.map(|t| t.name.as_str()), Some("SampleTopic"));
    assert_eq!(app.messages.len(), 1);
    assert_eq!(app.messages[0].size, 35);
    assert_eq!(app.messages[0].direction, TopicDirection::Publish);
}

#[test]
fn mqtt31_session_whole_and_bytewise() {
    check_paho(&run(&exchange()));
    check_paho(&run_bytewise(&exchange()));
}

#[test]
fn an_empty_client_id_is_counted_not_named() {
    // mosquitto_pub 2.x: MQTT 3.1.1, clean session, keepalive 60, a zero-length client id.
    let connect = b"\x10\x0c\x00\x04MQTT\x04\x02\x00\x3c\x00\x00";
    let app = run(&[(Client, connect), (Server, CONNACK)]);
    assert_eq!(app.protocol, Some(Protocol::Mqtt));
    assert!(app.client_ids.is_empty());
    assert_eq!(app.unnamed_clients, 1);
    // A named client is not counted.
    assert_eq!(run(&exchange()).unnamed_clients, 0);
}

#[test]
fn mqtt5_connect_with_properties_and_publish() {
    // From `arkime/mqtt_synthetic.pcap`.
    let connect = b"\x10\x31\x00\x04MQTT\x05\xc2\x00\x3c\x00\x00\x0cmqtt5-client\x00\x0bmodern_user\x00\x09mqtt5pass";
    let publish = b"\x32\x26\x00\x0cv5/telemetry\x00\x02\x00{\"cpu\":45,\"mem\":2048}";
    let app = run(&[(Client, connect), (Client, publish)]);
    assert_eq!(app.protocol_version.as_deref(), Some("5"));
    assert!(app.client_ids.contains("mqtt5-client"));
    assert!(app.usernames.contains("modern_user"));
    assert_eq!(app.keepalive_secs, Some(60));
    assert_eq!(app.topics[0].name, "v5/telemetry");
    assert_eq!(app.messages[0].size, 21);
}

#[test]
fn will_topic_and_user() {
    // MQTT 3.1.1, will + user + password, keepalive 30.
    let mut body = Vec::new();
    body.extend_from_slice(b"\x00\x04MQTT\x04\xc6\x00\x1e");
    for s in [&b"dev1"[..], b"status/dev1", b"offline", b"bob", b"pw"] {
        body.extend_from_slice(&(s.len() as u16).to_be_bytes());
        body.extend_from_slice(s);
    }
    let mut pkt = vec![0x10, body.len() as u8];
    pkt.extend_from_slice(&body);
    let app = run(&[(Client, &pkt)]);
    assert_eq!(app.protocol_version.as_deref(), Some("3.1.1"));
    assert!(app.usernames.contains("bob"));
    assert!(
        app.topics
            .iter()
            .any(|t| t.name == "status/dev1" && t.messages == 0)
    );
}

#[test]
fn mid_stream_resynchronises() {
    // Starts with the tail of a PUBLISH, then PUBLISH QoS 1 + PUBACK + PINGREQ.
    let mut client = b"ail of something\x00\x17".to_vec();
    client.extend_from_slice(b"\x32\x0f\x00\x06t/abcd\x00\x07hello");
    client.extend_from_slice(b"\xc0\x00");
    // Two packets are not enough evidence on their own.
    assert_eq!(run(&[(Client, &client)]).protocol, None);
    client.extend_from_slice(b"\x40\x02\x00\x09");
    let app = run(&[(Client, &client), (Server, b"\x40\x02\x00\x07\xd0\x00")]);
    assert_eq!(app.protocol, Some(Protocol::Mqtt));
    assert_eq!(app.protocol_version, None);
    assert_eq!(app.topics[0].name, "t/abcd");
    assert_eq!(app.pings, 1);
}

#[test]
fn gap_then_resync_keeps_counting() {
    let mut inspector = SessionInspector::new();
    inspector.feed(Client, 0, 0, PAHO_CONNECT);
    inspector.feed(Client, 1, 1, &PUB[..10]);
    inspector.gap(Client);
    inspector.feed(Client, 2, 2, b"blocking client");
    inspector.feed(Client, 3, 3, PUB);
    inspector.feed(Client, 4, 4, b"\xc0\x00");
    let app = inspector.finish();
    assert_eq!(app.messages.len(), 1, "the cut PUBLISH is not counted");
    assert_eq!(
        app.topics
            .iter()
            .find(|t| t.messages == 1)
            .map(|t| t.name.as_str()),
        Some("SampleTopic")
    );
}

#[test]
fn large_publish_is_skipped_by_length() {
    let payload = vec![b'x'; 200_000];
    let mut pkt = vec![0x30];
    let mut rem = (2 + 3 + payload.len()) as u32;
    loop {
        let mut b = (rem & 0x7f) as u8;
        rem >>= 7;
        if rem > 0 {
            b |= 0x80;
        }
        pkt.push(b);
        if rem == 0 {
            break;
        }
    }
    pkt.extend_from_slice(b"\x00\x03big");
    pkt.extend_from_slice(&payload);
    pkt.extend_from_slice(b"\x30\x07\x00\x03abcok");
    let mut inspector = SessionInspector::new();
    inspector.feed(Client, 0, 0, PAHO_CONNECT);
    for chunk in pkt.chunks(1460) {
        inspector.feed(Client, 1, 1, chunk);
    }
    let app = inspector.finish();
    assert_eq!(app.messages.len(), 2);
    assert_eq!(app.messages[0].size, 200_000);
    assert_eq!(app.messages[1].size, 2);
}

#[test]
fn random_like_bytes_are_not_mqtt() {
    // Valid-looking first byte with a bad varint, and a lone PINGREQ.
    assert_eq!(run(&[(Client, b"\x10\xff\xff\xff\xff\x01")]).protocol, None);
    assert_eq!(run(&[(Client, b"\xc0\x00")]).protocol, None);
    // CONNECT with the reserved flag bit set.
    assert_eq!(
        run(&[(Client, b"\x10\x0c\x00\x04MQTT\x04\x03\x00\x05\x00\x00")]).protocol,
        None
    );
}

/// A PUBLISH with a one-byte remaining length.
fn publish(qos: u8, id: u16, topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = (topic.len() as u16).to_be_bytes().to_vec();
    body.extend_from_slice(topic.as_bytes());
    if qos > 0 {
        body.extend_from_slice(&id.to_be_bytes());
    }
    body.extend_from_slice(payload);
    let mut pkt = vec![0x30 | (qos << 1)];
    let mut rem = body.len();
    loop {
        let b = (rem & 0x7f) as u8;
        rem >>= 7;
        pkt.push(if rem > 0 { b | 0x80 } else { b });
        if rem == 0 {
            break;
        }
    }
    pkt.extend_from_slice(&body);
    pkt
}

/// A subscriber picked up after it connected (the shape of the mid-stream fixture capture):
/// the broker delivers two QoS 1 commands, the client acknowledges them. No direction has
/// three packets, so only the MQTT port makes two enough.
#[test]
fn mid_stream_subscriber_on_the_mqtt_port() {
    let server = [
        publish(1, 1, "bots/7f3a/cmd", b"whoami"),
        publish(1, 2, "bots/7f3a/cmd", b"upload /etc/passwd"),
    ];
    let parts: Vec<(Side, &[u8])> = vec![
        (Server, &server[0]),
        (Client, b"\x40\x02\x00\x01"),
        (Server, &server[1]),
        (Client, b"\x40\x02\x00\x02"),
    ];
    for port in [1883, 8883] {
        for segment in [1, 3, 1448] {
            let app = run_on_port(port, segment, &parts);
            assert_eq!(app.protocol, Some(Protocol::Mqtt), "{port}/{segment}");
            assert_eq!(app.topics.len(), 1, "{:?}", app.topics);
            assert_eq!(app.topics[0].name, "bots/7f3a/cmd");
            assert_eq!(app.topics[0].direction, TopicDirection::Subscribe);
            assert_eq!(app.topics[0].messages, 2);
            assert_eq!(app.messages.len(), 2);
        }
    }
    // Anywhere else the same bytes are too little evidence.
    for port in [17501, 80, 5222] {
        assert_eq!(run_on_port(port, 1448, &parts).protocol, None, "{port}");
    }
    assert_eq!(run(&parts).protocol, None);
}

/// A publisher picked up in the middle of a large PUBLISH that spans segments: what follows
/// the tail is two whole PUBLISHes (one split across segments too), then the capture ends.
#[test]
fn mid_stream_publisher_starting_inside_a_split_message() {
    let big = publish(0, 0, "bots/7f3a/out", &[b'A'; 3000]);
    let small = publish(0, 0, "bots/7f3a/out", &[b'B'; 40]);
    let mut client = big[1448..].to_vec();
    client.extend_from_slice(&small);
    client.extend_from_slice(&big);
    let mut inspector = SessionInspector::with_server_port(1883);
    inspector.gap(Client);
    for (i, piece) in client.chunks(1448).enumerate() {
        inspector.feed(Client, i as Micros, i as u64, piece);
    }
    let app = inspector.finish();
    assert_eq!(app.protocol, Some(Protocol::Mqtt));
    assert_eq!(app.topics.len(), 1);
    assert_eq!(
        (app.topics[0].name.as_str(), app.topics[0].messages),
        ("bots/7f3a/out", 2)
    );
    let sizes: Vec<u32> = app.messages.iter().map(|m| m.size).collect();
    assert_eq!(sizes, [40, 3000]);
    // Without the port, two packets are not enough.
    assert_eq!(run(&[(Client, &client)]).protocol, None);
}

/// On the MQTT port the two packets must still be well-formed and adjacent, one must carry a
/// topic, and what follows them must be able to start a packet.
#[test]
fn mid_stream_on_the_mqtt_port_stays_strict() {
    let a = publish(0, 0, "t/a", b"x");
    let b = publish(0, 0, "t/b", b"y");
    let joined = |parts: &[&[u8]]| parts.concat();
    // Two pings carry no topic.
    let pings = joined(&[b"\xc0\x00", b"\xc0\x00"]);
    assert_eq!(run_on_port(1883, 1448, &[(Client, &pings)]).protocol, None);
    // A lone PUBLISH is one packet.
    assert_eq!(run_on_port(1883, 1448, &[(Client, &a)]).protocol, None);
    // A byte between the packets breaks the chain.
    let gap = joined(&[&a, b"\x00", &b]);
    assert_eq!(run_on_port(1883, 1448, &[(Client, &gap)]).protocol, None);
    // Followed by a byte no packet starts with (type 0).
    let tail = joined(&[&a, &b, b"\x00\x00"]);
    assert_eq!(run_on_port(1883, 1448, &[(Client, &tail)]).protocol, None);
    // A topic with a control character, or that is not UTF-8.
    for topic in [&b"t/\x01"[..], b"t/\xff"] {
        let mut bad = vec![0x30, (2 + topic.len() + 1) as u8, 0, topic.len() as u8];
        bad.extend_from_slice(topic);
        bad.push(b'x');
        let both = joined(&[&bad, &b]);
        let two_bad = joined(&[&bad, &bad]);
        assert_eq!(run_on_port(1883, 1448, &[(Client, &both)]).protocol, None);
        assert_eq!(
            run_on_port(1883, 1448, &[(Client, &two_bad)]).protocol,
            None
        );
    }
    // The same two packets, adjacent and followed by a packet start, are enough.
    let good = joined(&[&a, &b, b"\xc0"]);
    assert_eq!(
        run_on_port(1883, 1448, &[(Client, &good)]).protocol,
        Some(Protocol::Mqtt)
    );
}

#[test]
fn utf8_topics_and_exact_subscribe_lists() {
    // Topics are UTF-8, not only ASCII.
    let parts = [
        publish(0, 0, "capteurs/température", b"21.5"),
        publish(0, 0, "capteurs/humidité", b"40"),
        publish(0, 0, "传感器/温度", b"22"),
    ]
    .concat();
    let app = run(&[(Client, &parts)]);
    assert_eq!(app.protocol, Some(Protocol::Mqtt));
    let names: Vec<&str> = app.topics.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["capteurs/température", "capteurs/humidité", "传感器/温度"]
    );
    // A SUBSCRIBE whose filters do not fill the packet exactly is not evidence.
    let sub = b"\x82\x08\x00\x01\x00\x03a/#\x00";
    let short = b"\x82\x09\x00\x01\x00\x03a/#\x00\x00";
    let chain = |s: &[u8]| [s, b"\xc0\x00", b"\xc0\x00"].concat();
    assert_eq!(run(&[(Client, &chain(sub))]).protocol, Some(Protocol::Mqtt));
    assert_eq!(run(&[(Client, &chain(short))]).protocol, None);
    // Nor is one with reserved option bits set.
    let reserved = b"\x82\x08\x00\x01\x00\x03a/#\xc0";
    assert_eq!(run(&[(Client, &chain(reserved))]).protocol, None);
    // MQTT 5: properties before the filters.
    let v5 = b"\x82\x09\x00\x01\x00\x00\x03a/#\x00";
    assert_eq!(run(&[(Client, &chain(v5))]).protocol, Some(Protocol::Mqtt));
}
