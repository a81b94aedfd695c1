//! Golden tests of the pub/sub inspector on the third-party captures in `shared/corpus/pcaps`,
//! read with the harness in `dpi_harness` (the project's own loopback captures are in
//! `dpi_fixtures.rs`).

mod dpi_harness;

use dpi_harness::{all_client_ids, corpus, has_topic, inspect, with_protocol};
use pubsub_hunt_core::{Protocol, TopicDirection};

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
