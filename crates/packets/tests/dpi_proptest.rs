//! Property and robustness tests of the inspector: `feed` never panics on arbitrary bytes in
//! arbitrary splits and gaps, the result does not depend on how bytes are split, MQTT picked up
//! mid-stream on its port is recognised whatever the segmentation, and pseudo-random binary
//! (on any port, and on the MQTT ports) or ordinary web traffic is not taken for a pub/sub
//! protocol.

use proptest::prelude::*;
use pubsub_hunt_core::Protocol;
use pubsub_hunt_packets::dpi::{SessionInspector, Side};

/// One action on an inspector.
#[derive(Debug, Clone)]
enum Op {
    Feed(bool, Vec<u8>),
    Gap(bool),
}

fn side(client: bool) -> Side {
    if client { Side::Client } else { Side::Server }
}

/// Byte strings that start like the protocols, so the dissectors (not only the scans) run.
fn seeded_bytes() -> impl Strategy<Value = Vec<u8>> {
    let prefixes: Vec<&'static [u8]> = vec![
        b"\x10\x25\x00\x06MQIsdp\x03\x02\x00\x05",
        b"\x10\x31\x00\x04MQTT\x05\xc2\x00\x3c",
        b"AMQP\x00\x00\x09\x01",
        b"AMQP\x03\x01\x00\x00",
        b"<stream:stream xmlns='jabber:client' to='x'>",
        b"CONNECT\naccept-version:1.2\n\n\0",
        b"INFO {\"server_name\":\"a\"}\r\n",
        b"GET /mqtt HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n",
        b"\x16\x03\x01\x00\x40\x01\x00\x00\x3c\x03\x03",
        b"\x00\x00\x00\x15\x00\x12\x00\x00\x00\x00\x00\x81\x00\x07rdkafka",
        b"\x00\x00\x00\xda\x01ActiveMQ\x00\x00\x00\x0a",
        b"",
    ];
    (
        proptest::sample::select(prefixes),
        proptest::collection::vec(any::<u8>(), 0..600),
    )
        .prop_map(|(p, tail)| {
            let mut v = p.to_vec();
            v.extend(tail);
            v
        })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    proptest::collection::vec(
        prop_oneof![
            8 => (any::<bool>(), seeded_bytes()).prop_map(|(c, d)| Op::Feed(c, d)),
            1 => any::<bool>().prop_map(Op::Gap),
        ],
        0..12,
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn feed_never_panics(ops in ops(), split in 1usize..64) {
        let mut inspector = SessionInspector::new();
        for (i, op) in ops.iter().enumerate() {
            match op {
                Op::Feed(c, data) => {
                    for chunk in data.chunks(split) {
                        inspector.feed(side(*c), i as i64, i as u64, chunk);
                    }
                }
                Op::Gap(c) => inspector.gap(side(*c)),
            }
        }
        let app = inspector.finish();
        prop_assert!(app.messages.len() <= pubsub_hunt_core::app::MAX_MESSAGES);
    }

    /// (Kafka is left out: a request is recognised when it ends the bytes seen so far, which by
    /// design depends on segmentation.)
    #[test]
    fn splitting_does_not_change_the_result(
        data in seeded_bytes().prop_filter("not Kafka", |d| !d.starts_with(b"\x00\x00\x00\x15")),
        split in 1usize..40,
    ) {
        let mut whole = SessionInspector::new();
        whole.feed(Side::Client, 0, 0, &data);
        let mut pieces = SessionInspector::new();
        for chunk in data.chunks(split) {
            pieces.feed(Side::Client, 0, 0, chunk);
        }
        let (a, b) = (whole.finish(), pieces.finish());
        prop_assert_eq!(a.protocol, b.protocol);
        prop_assert_eq!(a.client_ids, b.client_ids);
        prop_assert_eq!(a.topics, b.topics);
    }
}

/// A PUBLISH packet (any remaining length).
fn mqtt_publish(qos: u8, id: u16, topic: &str, payload: &[u8]) -> Vec<u8> {
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

/// Three to six PUBLISHes with UTF-8 topics and payloads of up to 6 KB, as one byte string, and
/// the topics of all but the first.
fn publishes() -> impl Strategy<Value = (Vec<u8>, usize, Vec<String>)> {
    proptest::collection::vec(
        (
            "[a-z0-9/_é温-]{1,24}",
            0u8..2,
            proptest::collection::vec(any::<u8>(), 0..6000),
        ),
        3..7,
    )
    .prop_map(|packets| {
        let mut bytes = Vec::new();
        let mut first_len = 0;
        let mut topics = Vec::new();
        for (i, (topic, qos, payload)) in packets.iter().enumerate() {
            let pkt = mqtt_publish(*qos, i as u16 + 1, topic, payload);
            if i == 0 {
                first_len = pkt.len();
            } else {
                topics.push(topic.clone());
            }
            bytes.extend(pkt);
        }
        topics.sort();
        topics.dedup();
        (bytes, first_len, topics)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// A session picked up inside a PUBLISH on the MQTT port is recognised from the packets
    /// after it, with their topics and nothing else, whatever the segmentation.
    #[test]
    fn mid_stream_publishes_on_the_mqtt_port(
        (bytes, first_len, topics) in publishes(),
        cut in 1usize..1000,
        split in prop_oneof![1usize..64, 500usize..1500],
    ) {
        let tail = &bytes[cut.min(first_len - 1)..];
        let mut whole = SessionInspector::with_server_port(1883);
        whole.gap(Side::Client);
        whole.feed(Side::Client, 0, 0, tail);
        let mut pieces = SessionInspector::with_server_port(1883);
        pieces.gap(Side::Client);
        for (i, chunk) in tail.chunks(split).enumerate() {
            pieces.feed(Side::Client, i as i64, i as u64, chunk);
        }
        for app in [whole.finish(), pieces.finish()] {
            prop_assert_eq!(app.protocol, Some(Protocol::Mqtt));
            let mut seen: Vec<String> = app.topics.iter().map(|t| t.name.clone()).collect();
            seen.sort();
            seen.dedup();
            prop_assert_eq!(&seen, &topics);
        }
    }
}

/// xorshift64*: deterministic pseudo-random bytes.
fn pseudo_random(len: usize, mut state: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        out.extend_from_slice(&state.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

#[test]
fn random_binary_is_nothing() {
    for seed in 1..=16u64 {
        let mut inspector = SessionInspector::new();
        let client = pseudo_random(64 * 1024, seed);
        let server = pseudo_random(64 * 1024, seed ^ 0x9e37_79b9_7f4a_7c15);
        for (i, (c, s)) in client.chunks(1448).zip(server.chunks(1448)).enumerate() {
            inspector.feed(Side::Client, i as i64, i as u64, c);
            inspector.feed(Side::Server, i as i64, i as u64, s);
        }
        let app = inspector.finish();
        assert_eq!(app.protocol, None, "seed {seed}: {app:?}");
        assert!(
            app.topics.is_empty() && app.client_ids.is_empty(),
            "seed {seed}"
        );
    }
}

/// On the MQTT ports the mid-stream chain may be shorter, so random bytes get their own test
/// there: plain random streams, and TLS records of random ciphertext (an 8883 session picked up
/// after its handshake).
#[test]
fn random_binary_on_the_mqtt_ports_is_nothing() {
    for seed in 1..=16u64 {
        let port = if seed % 2 == 0 { 1883 } else { 8883 };
        let mut client = pseudo_random(128 * 1024, seed);
        let mut server = pseudo_random(128 * 1024, seed ^ 0x9e37_79b9_7f4a_7c15);
        if seed % 3 == 0 {
            for stream in [&mut client, &mut server] {
                let mut records = Vec::with_capacity(stream.len() + 1024);
                for chunk in stream.chunks(1400) {
                    records.extend_from_slice(&[0x17, 3, 3]);
                    records.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
                    records.extend_from_slice(chunk);
                }
                *stream = records;
            }
        }
        let mut inspector = SessionInspector::with_server_port(port);
        inspector.gap(Side::Client);
        inspector.gap(Side::Server);
        for (i, (c, s)) in client.chunks(1448).zip(server.chunks(1448)).enumerate() {
            inspector.feed(Side::Client, i as i64, i as u64, c);
            inspector.feed(Side::Server, i as i64, i as u64, s);
        }
        let app = inspector.finish();
        assert_eq!(app.protocol, None, "seed {seed} port {port}: {app:?}");
        assert!(app.topics.is_empty(), "seed {seed}");
    }
}

#[test]
fn web_traffic_is_nothing() {
    // An HTTP exchange whose body mentions protocol keywords, and a TLS session to a web site.
    let request = b"POST /api HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain\r\nContent-Length: 60\r\n\r\nCONNECT\nlogin:x\n\n\0<stream:stream xmlns='jabber:client'>AMQP";
    let response = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body><iq type='get'>jabber</iq></body></html>";
    let mut inspector = SessionInspector::new();
    inspector.feed(Side::Client, 0, 0, request);
    inspector.feed(Side::Server, 1, 1, response);
    assert_eq!(inspector.finish().protocol, None);

    let mut hello = vec![0x16, 3, 1, 0, 0x31, 1, 0, 0, 0x2d, 3, 3];
    hello.extend_from_slice(&[9u8; 32]);
    hello.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0, 0, 0]);
    let len = hello.len() - 5;
    hello[3..5].copy_from_slice(&(len as u16).to_be_bytes());
    let hs_len = hello.len() - 9;
    hello[7..9].copy_from_slice(&(hs_len as u16).to_be_bytes());
    let mut inspector = SessionInspector::new();
    inspector.feed(Side::Client, 0, 0, &hello);
    assert!(!inspector.wants_more());
    inspector.feed(Side::Server, 1, 1, &pseudo_random(4000, 7));
    let app = inspector.finish();
    assert!(app.tls);
    assert_eq!(app.protocol, None);
    let _ = Protocol::Mqtt;
}
