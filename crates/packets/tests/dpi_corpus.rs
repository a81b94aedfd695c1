//! Golden tests of the pub/sub inspector on the third-party captures in `shared/corpus/pcaps`
//! and on the loopback captures in `tests/fixtures/dpi`. The captures are read with a minimal
//! pcap/pcapng → Ethernet/VLAN/BSD-loopback/raw IP → TCP decoder and a naive in-order
//! reassembly written here, so these tests depend on nothing but the inspector itself.

use pcap_parser::{Block, PcapBlockOwned, PcapError, create_reader};
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};
use pubsub_hunt_packets::dpi::{SessionInspector, Side};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

fn corpus(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/pcaps")
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("PUBSUB_HUNT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!("corpus file missing: {}", path.display());
    }
    eprintln!("note: corpus file {} missing, test skipped", path.display());
    None
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dpi")
        .join(name)
}

/// An address and port.
type Endpoint = (IpAddr, u16);

/// One decoded TCP segment.
struct Segment {
    src: (IpAddr, u16),
    dst: (IpAddr, u16),
    seq: u32,
    syn: bool,
    ack_flag: bool,
    payload: Vec<u8>,
}

fn ip_tcp(data: &[u8]) -> Option<Segment> {
    let version = data.first()? >> 4;
    let (src, dst, proto, l4) = match version {
        4 => {
            let ihl = usize::from(data.first()? & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*data.get(2)?, *data.get(3)?]));
            let src: [u8; 4] = data.get(12..16)?.try_into().ok()?;
            let dst: [u8; 4] = data.get(16..20)?.try_into().ok()?;
            let end = total.min(data.len());
            (
                IpAddr::from(src),
                IpAddr::from(dst),
                *data.get(9)?,
                data.get(ihl..end)?,
            )
        }
        6 => {
            let len = usize::from(u16::from_be_bytes([*data.get(4)?, *data.get(5)?]));
            let src: [u8; 16] = data.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = data.get(24..40)?.try_into().ok()?;
            let end = (40 + len).min(data.len());
            (
                IpAddr::from(src),
                IpAddr::from(dst),
                *data.get(6)?,
                data.get(40..end)?,
            )
        }
        _ => return None,
    };
    if proto != 6 {
        return None;
    }
    let sport = u16::from_be_bytes([*l4.first()?, *l4.get(1)?]);
    let dport = u16::from_be_bytes([*l4.get(2)?, *l4.get(3)?]);
    let seq = u32::from_be_bytes(l4.get(4..8)?.try_into().ok()?);
    let offset = usize::from(l4.get(12)? >> 4) * 4;
    let flags = *l4.get(13)?;
    Some(Segment {
        src: (src, sport),
        dst: (dst, dport),
        seq,
        syn: flags & 0x02 != 0,
        ack_flag: flags & 0x10 != 0,
        payload: l4.get(offset..)?.to_vec(),
    })
}

fn decode(linktype: i32, data: &[u8]) -> Option<Segment> {
    match linktype {
        // Ethernet, with 802.1Q tags.
        1 => {
            let mut at = 12;
            let mut ethertype = u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]);
            while ethertype == 0x8100 || ethertype == 0x88a8 {
                at += 4;
                ethertype = u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]);
            }
            ip_tcp(data.get(at + 2..)?)
        }
        // BSD loopback: 4-byte address family.
        0 | 108 => ip_tcp(data.get(4..)?),
        // Raw IP.
        12 | 14 | 101 | 228 | 229 => ip_tcp(data),
        // Linux cooked capture.
        113 => ip_tcp(data.get(16..)?),
        _ => None,
    }
}

/// Every packet of a capture as (link type, bytes).
fn packets(path: &Path) -> Vec<(i32, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader =
        create_reader(1 << 20, file).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let mut out = Vec::new();
    let mut legacy_link = 1;
    let mut interfaces: Vec<i32> = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => legacy_link = h.network.0,
                    PcapBlockOwned::Legacy(b) => out.push((legacy_link, b.data.to_vec())),
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(idb.linktype.0)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let link = interfaces.get(epb.if_id as usize).copied().unwrap_or(1);
                        out.push((link, epb.data.to_vec()));
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        out.push((interfaces.first().copied().unwrap_or(1), spb.data.to_vec()));
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    break;
                }
            }
            Err(e) => panic!("{}: {e:?}", path.display()),
        }
    }
    out
}

/// One TCP flow as the inspector saw it.
#[derive(Debug)]
struct Flow {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    app: AppInfo,
}

struct FlowState {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    next_seq: [Option<u32>; 2],
    inspector: SessionInspector,
}

/// Reassembles in capture order (retransmitted bytes dropped, holes reported as gaps) and
/// inspects every TCP flow of a capture.
fn inspect(path: &Path) -> Vec<Flow> {
    let mut flows: BTreeMap<(Endpoint, Endpoint), FlowState> = BTreeMap::new();
    for (n, (link, data)) in packets(path).into_iter().enumerate() {
        let Some(seg) = decode(link, &data) else {
            continue;
        };
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let flow = flows.entry(key).or_insert_with(|| {
            // The SYN sender is the client; without a SYN, the sender to the lower port is.
            let client_is_src = if seg.syn {
                !seg.ack_flag
            } else {
                seg.src.1 > seg.dst.1
            };
            let (client, server) = if client_is_src {
                (seg.src, seg.dst)
            } else {
                (seg.dst, seg.src)
            };
            FlowState {
                client,
                server,
                next_seq: [None, None],
                inspector: SessionInspector::with_server_port(server.1),
            }
        });
        let side = if seg.src == flow.client {
            Side::Client
        } else {
            Side::Server
        };
        let i = usize::from(side == Side::Server);
        let mut seq = seg.seq;
        if seg.syn {
            seq = seq.wrapping_add(1);
            flow.next_seq[i] = Some(seq);
        }
        if seg.payload.is_empty() {
            continue;
        }
        let mut payload = &seg.payload[..];
        match flow.next_seq[i] {
            None => {}
            Some(next) => {
                let ahead = seq.wrapping_sub(next) as i32;
                if ahead > 0 {
                    flow.inspector.gap(side);
                } else if ahead < 0 {
                    let old = (-ahead) as usize;
                    if old >= payload.len() {
                        continue;
                    }
                    payload = &payload[old..];
                    seq = next;
                }
            }
        }
        flow.next_seq[i] = Some(seq.wrapping_add(payload.len() as u32));
        if flow.inspector.wants_more() {
            flow.inspector
                .feed(side, n as i64 * 1000, n as u64, payload);
        }
    }
    flows
        .into_values()
        .map(|f| Flow {
            client: f.client,
            server: f.server,
            app: f.inspector.finish(),
        })
        .collect()
}

fn with_protocol(flows: &[Flow], p: Protocol) -> Vec<&Flow> {
    flows.iter().filter(|f| f.app.protocol == Some(p)).collect()
}

fn all_client_ids(flows: &[&Flow]) -> Vec<String> {
    let mut ids: Vec<String> = flows
        .iter()
        .flat_map(|f| f.app.client_ids.iter().cloned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn has_topic(flows: &[&Flow], name: &str, dir: TopicDirection) -> bool {
    flows.iter().any(|f| {
        f.app
            .topics
            .iter()
            .any(|t| t.name == name && t.direction == dir)
    })
}

#[test]
fn zeek_mqtt() {
    let Some(path) = corpus("zeek/mqtt.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let mqtt = with_protocol(&flows, Protocol::Mqtt);
    assert_eq!(mqtt.len(), 2, "{flows:#?}");
    assert_eq!(
        all_client_ids(&mqtt),
        ["paho/34AAE54A75D839566E", "paho/DDE4DDAF4108D3E363"]
    );
    assert!(
        mqtt.iter()
            .all(|f| f.app.protocol_version.as_deref() == Some("3.1"))
    );
    assert!(has_topic(&mqtt, "SampleTopic", TopicDirection::Subscribe));
    assert!(has_topic(&mqtt, "SampleTopic", TopicDirection::Publish));
    // The first client pings every 5 s with a 5 s keepalive.
    assert!(
        mqtt.iter()
            .any(|f| f.app.keepalive_secs == Some(5) && f.app.pings >= 1)
    );
    // The second client's PUBLISH and DISCONNECT share a segment: "Hello MQTT".
    assert!(
        mqtt.iter()
            .any(|f| f.app.messages.iter().any(|m| m.size == 10))
    );
}

#[test]
fn ndpi_mqtt() {
    let Some(path) = corpus("ndpi/mqtt.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let mqtt = with_protocol(&flows, Protocol::Mqtt);
    assert_eq!(mqtt.len(), 2, "{flows:#?}");
    assert_eq!(
        all_client_ids(&mqtt),
        ["P47775ID170W2120", "cbaabcbabacbbbbbaaaaab"]
    );
    assert!(mqtt.iter().any(|f| {
        f.app
            .usernames
            .contains("iotazewpmlithub.azure-devices.net/P47775ID170W2120/?api-version=2018-06-30")
    }));
    assert!(mqtt.iter().any(|f| f.app.keepalive_secs == Some(600)));
    assert!(has_topic(
        &mqtt,
        "astr/s720/02D5050223D3/99",
        TopicDirection::Subscribe
    ));
    assert!(has_topic(
        &mqtt,
        "astr/admin/otaupd8",
        TopicDirection::Publish
    ));
}

#[test]
fn arkime_mqtt_synthetic() {
    let Some(path) = corpus("arkime/mqtt_synthetic.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let mqtt = with_protocol(&flows, Protocol::Mqtt);
    assert_eq!(mqtt.len(), 7, "{flows:#?}");
    assert_eq!(
        all_client_ids(&mqtt),
        [
            "anon-publisher",
            "iot-gateway-west",
            "legacy-device",
            "mqtt5-client",
            "sensor-001"
        ]
    );
    let mut versions: Vec<_> = mqtt
        .iter()
        .filter_map(|f| f.app.protocol_version.clone())
        .collect();
    versions.sort();
    versions.dedup();
    assert_eq!(versions, ["3.1", "3.1.1", "5"]);
    assert!(has_topic(
        &mqtt,
        "status/legacy-device",
        TopicDirection::Publish
    ));
    assert!(has_topic(&mqtt, "v5/telemetry", TopicDirection::Publish));
    assert!(mqtt.iter().any(|f| f.app.usernames.contains("modern_user")));
    // The oversize-topic PUBLISH (8190-byte topic) is counted as a message.
    assert!(
        mqtt.iter()
            .any(|f| f.app.topics.iter().any(|t| t.name.starts_with("oversize/")))
    );
}

#[test]
fn arkime_mqtt_big() {
    let Some(path) = corpus("arkime/mqtt_big.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let mqtt = with_protocol(&flows, Protocol::Mqtt);
    assert_eq!(mqtt.len(), 1, "{flows:#?}");
    let app = &mqtt[0].app;
    assert_eq!(app.protocol_version.as_deref(), Some("3.1.1"));
    assert!(app.client_ids.contains("test-client-123"));
    assert!(app.topics.iter().any(|t| t.name == "will/topic"));
    // 11–15 KB PUBLISH messages spanning many segments are measured whole.
    assert!(
        app.messages.iter().any(|m| m.size > 11_000),
        "{:?}",
        app.messages
    );
    assert!(app.pings >= 1);
}

#[test]
fn ndpi_coap_mqtt_on_port_17501() {
    let Some(path) = corpus("ndpi/coap_mqtt.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let mqtt = with_protocol(&flows, Protocol::Mqtt);
    assert_eq!(mqtt.len(), 4, "{flows:#?}");
    assert!(
        mqtt.iter()
            .all(|f| f.server.1 == 17501 || f.client.1 == 17501)
    );
    assert!(
        mqtt.iter()
            .all(|f| !f.app.messages.is_empty() || f.app.pings > 0)
    );
    assert_eq!(flows.iter().filter(|f| f.app.protocol.is_some()).count(), 4);
}

#[test]
fn zeek_xmpp_starttls() {
    let Some(path) = corpus("zeek/xmpp-starttls.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let xmpp = with_protocol(&flows, Protocol::Xmpp);
    assert_eq!(xmpp.len(), 1, "{flows:#?}");
    assert!(xmpp[0].app.tls);
    assert!(xmpp[0].app.server_names.contains("jabber.ccc.de"));
}

#[test]
fn zeek_xmpp_dialback() {
    let Some(path) = corpus("zeek/xmpp-dialback-starttls.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let xmpp = with_protocol(&flows, Protocol::Xmpp);
    assert_eq!(xmpp.len(), 1, "{flows:#?}");
    assert!(xmpp[0].app.tls);
    assert!(xmpp[0].app.server_names.contains("0xxon.net"));
}

#[test]
fn ndpi_jabber() {
    let Some(path) = corpus("ndpi/jabber.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let xmpp = with_protocol(&flows, Protocol::Xmpp);
    assert_eq!(xmpp.len(), 7, "{flows:#?}");
    assert!(xmpp.iter().all(|f| f.server.1 == 5222));
    assert!(
        xmpp.iter()
            .any(|f| f.app.server_names.contains("cs-xmpp.lan"))
    );
    // Pidgin's own JID: from the resource binding in the two full logins, and from what the
    // server addresses to it in the two flows the capture picks up mid-stream.
    let bound: Vec<u16> = xmpp
        .iter()
        .filter(|f| !f.app.client_ids.is_empty())
        .map(|f| f.client.1)
        .collect();
    assert_eq!(bound, [57094, 57122, 57129, 57149], "{flows:#?}");
    assert_eq!(all_client_ids(&xmpp), ["tom@cs-xmpp.lan/darkstar"]);
    // Topics are the room and the personal-eventing nodes, never the chat correspondent.
    assert!(has_topic(
        &xmpp,
        "chat-with-tom@conference.cs-xmpp.lan",
        TopicDirection::Subscribe
    ));
    assert!(has_topic(
        &xmpp,
        "http://jabber.org/protocol/tune",
        TopicDirection::Publish
    ));
    assert!(has_topic(
        &xmpp,
        "http://jabber.org/protocol/nick",
        TopicDirection::Publish
    ));
    assert!(
        xmpp.iter()
            .flat_map(|f| &f.app.topics)
            .all(|t| !t.name.starts_with("chatback@")),
        "{flows:#?}"
    );
    // The binary flows on 5223 are not XMPP (nor anything else).
    assert!(
        flows
            .iter()
            .filter(|f| f.server.1 == 5223)
            .all(|f| f.app.protocol.is_none())
    );
}

#[test]
fn ndpi_amqp_celery_mid_stream() {
    let Some(path) = corpus("ndpi/amqp.pcap") else {
        return;
    };
    let flows = inspect(&path);
    let amqp = with_protocol(&flows, Protocol::Amqp);
    assert_eq!(amqp.len(), 3, "{flows:#?}");
    assert!(has_topic(
        &amqp,
        "celeryev/worker.heartbeat",
        TopicDirection::Publish
    ));
    assert!(amqp.iter().any(|f| f.app.messages.len() >= 3));
}

#[test]
fn ndpi_stomp() {
    let Some(path) = corpus("ndpi/stomp.pcapng") else {
        return;
    };
    let flows = inspect(&path);
    let stomp = with_protocol(&flows, Protocol::Stomp);
    assert_eq!(stomp.len(), 1, "{flows:#?}");
    let app = &stomp[0].app;
    assert_eq!(app.protocol_version.as_deref(), Some("1.1"));
    assert!(
        app.topics
            .iter()
            .any(|t| t.name == "/queue/test" && t.direction == TopicDirection::Publish)
    );
    assert!(app.topics.iter().any(|t| t.name == "/queue/test"
        && t.direction == TopicDirection::Subscribe
        && t.messages == 1));
    assert!(app.messages.iter().all(|m| m.size == 11));
}

#[test]
fn ndpi_nats() {
    let Some(path) = corpus("ndpi/nats.pcap") else {
        return;
    };
    let flows = inspect(&path);
    assert_eq!(with_protocol(&flows, Protocol::Nats).len(), 2, "{flows:#?}");
}

#[test]
fn kafka_captures() {
    if let Some(path) = corpus("ndpi/kafka.pcapng") {
        let flows = inspect(&path);
        let kafka = with_protocol(&flows, Protocol::Kafka);
        assert!(kafka.len() >= 8, "{flows:#?}");
        assert!(
            all_client_ids(&kafka).iter().any(|id| id == "rdkafka"),
            "{:?}",
            all_client_ids(&kafka)
        );
    }
    if let Some(path) = corpus("arkime/kafka.pcap") {
        let flows = inspect(&path);
        assert_eq!(
            with_protocol(&flows, Protocol::Kafka).len(),
            1,
            "{flows:#?}"
        );
    }
}

#[test]
fn ndpi_openwire() {
    let Some(path) = corpus("ndpi/openwire.pcapng") else {
        return;
    };
    let flows = inspect(&path);
    let ow = with_protocol(&flows, Protocol::OpenWire);
    assert_eq!(ow.len(), 1, "{flows:#?}");
    assert_eq!(ow[0].app.protocol_version.as_deref(), Some("10"));
}

#[test]
fn non_pubsub_captures_are_not_recognised() {
    for rel in ["ndpi/websocket.pcap", "ndpi/cloudflare-warp.pcap"] {
        let Some(path) = corpus(rel) else { continue };
        let flows = inspect(&path);
        assert!(
            flows.iter().all(|f| f.app.protocol.is_none()),
            "{rel}: {flows:#?}"
        );
    }
    // The Facebook MQTT endpoint is only a TLS hint.
    if let Some(path) = corpus("ndpi/cloudflare-warp.pcap") {
        let flows = inspect(&path);
        assert!(
            flows
                .iter()
                .any(|f| f.app.tls && f.app.server_names.contains("mqtt-mini.facebook.com"))
        );
    }
}

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
