//! Golden tests of what `pubsub-hunt hunt --all-sessions` reports as a session's identity and
//! topics on real captures: an XMPP client's own JID (the nDPI Jabber capture, read in place
//! from `../shared/corpus`), an AMQP 0-9-1 client's `connection_name` and MQTT sessions picked
//! up mid-stream on the broker's port (loopback captures of RabbitMQ and mosquitto in
//! `crates/packets/tests/fixtures/dpi`, described in `crates/packets/tests/dpi_fixtures.rs`).

mod common;

use common::root;

/// The sessions (`"kind": "session"`) the binary writes for one capture.
fn sessions(capture: &str) -> Vec<serde_json::Value> {
    let out = common::bin()
        .current_dir(root())
        .args([
            "hunt",
            "--threads",
            "2",
            "--quiet",
            "--all-sessions",
            "--format",
            "jsonl",
            capture,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["kind"] == "session")
        .collect()
}

fn strings(v: &serde_json::Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default()
}

/// `(name, direction, messages)` of a session's topics.
fn topics(s: &serde_json::Value) -> Vec<(String, String, u64)> {
    s["app"]["topics"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or_default().to_string(),
                        t["direction"].as_str().unwrap_or_default().to_string(),
                        t["messages"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn xmpp_client_id_is_the_clients_own_jid() {
    let capture = "../shared/corpus/pcaps/ndpi/jabber.pcap";
    assert!(
        root().join(capture).is_file(),
        "the test corpus is missing: expected {capture} (see ../shared/corpus/README.md)"
    );
    let all = sessions(capture);
    let xmpp: Vec<_> = all.iter().filter(|s| s["protocol"] == "XMPP").collect();
    assert!(!xmpp.is_empty(), "{all:?}");
    // Pidgin's full JID: bound in the two full logins (57094, 57122), and what the server
    // addresses to the client in the flows that start mid-stream (57129, 57149; the last is
    // idle long enough in the middle to be reported as two sessions).
    let mut with_id: Vec<u64> = xmpp
        .iter()
        .filter(|s| strings(&s["app"]["client_ids"]) == ["tom@cs-xmpp.lan/darkstar"])
        .filter_map(|s| s["src_port"].as_u64())
        .collect();
    with_id.sort_unstable();
    with_id.dedup();
    assert_eq!(with_id, [57094, 57122, 57129, 57149], "{xmpp:#?}");
    assert!(
        xmpp.iter().all(|s| strings(&s["app"]["client_ids"])
            .iter()
            .all(|id| *id == "tom@cs-xmpp.lan/darkstar")),
        "{xmpp:#?}"
    );
    // The chat correspondent is no topic; the room and the personal-eventing nodes are.
    let all_topics: Vec<_> = xmpp.iter().flat_map(|s| topics(s)).collect();
    assert!(
        all_topics
            .iter()
            .all(|(name, ..)| !name.starts_with("chatback@")),
        "{all_topics:?}"
    );
    assert!(
        all_topics.iter().any(
            |(name, dir, _)| name == "chat-with-tom@conference.cs-xmpp.lan" && dir == "subscribe"
        ),
        "{all_topics:?}"
    );
    assert!(
        all_topics
            .iter()
            .any(|(name, dir, n)| name == "http://jabber.org/protocol/tune"
                && dir == "publish"
                && *n == 1),
        "{all_topics:?}"
    );
}

#[test]
fn mqtt_picked_up_mid_stream_on_the_broker_port() {
    let all = sessions("crates/packets/tests/fixtures/dpi/mosquitto-mid-stream.pcap");
    let mqtt: Vec<_> = all.iter().filter(|s| s["protocol"] == "MQTT").collect();
    assert_eq!(mqtt.len(), 4, "{all:#?}");
    let by_port = |port: u64| {
        mqtt.iter()
            .find(|s| s["src_port"] == port && s["dst_port"] == 1883)
            .unwrap_or_else(|| panic!("no MQTT session from port {port}: {all:#?}"))
    };
    // The subscriber, connected before the capture: no CONNECT, so no client id or version,
    // but the command topic with both deliveries.
    let sub = by_port(42972);
    assert!(strings(&sub["app"]["client_ids"]).is_empty());
    assert!(sub["app"]["protocol_version"].is_null());
    assert_eq!(
        topics(sub),
        [("bots/7f3a/cmd".to_string(), "subscribe".to_string(), 2)]
    );
    // The publisher, picked up inside a 3,000-byte PUBLISH: the two after it.
    let publisher = by_port(42988);
    assert_eq!(
        topics(publisher),
        [("bots/7f3a/out".to_string(), "publish".to_string(), 2)]
    );
    // The operator's two whole connections, with CONNECT.
    let ops: Vec<_> = mqtt
        .iter()
        .filter(|s| strings(&s["app"]["client_ids"]) == ["op"])
        .collect();
    assert_eq!(ops.len(), 2, "{mqtt:#?}");
    assert!(ops.iter().all(|s| s["app"]["protocol_version"] == "3.1.1"));
}

#[test]
fn amqp_connection_name_is_the_client_id() {
    let all = sessions("crates/packets/tests/fixtures/dpi/rabbitmq-pika.pcap");
    assert_eq!(all.len(), 1, "{all:#?}");
    let s = &all[0];
    assert_eq!(s["protocol"], "AMQP");
    assert_eq!(s["dst_port"], 5672);
    assert_eq!(strings(&s["app"]["client_ids"]), ["orders-worker-7f3a"]);
    assert_eq!(strings(&s["app"]["usernames"]), ["guest"]);
    assert_eq!(s["app"]["protocol_version"], "0-9-1");
}
