//! What the flow table says of a session still open (`FlowTable::open_flows`, a live capture's
//! report): the connection event it would end as now, with what inspection learned so far, while
//! the flow stays open and is ended once, with everything, later.

use pubsub_hunt_core::{Outcome, Protocol, TopicDirection};
use pubsub_hunt_packets::capture::Frame;
use pubsub_hunt_packets::flow::{FlowConfig, FlowTable};
use pubsub_hunt_testgen::labeled::wire;
use pubsub_hunt_testgen::raw::{self, ACK, PSH, ipv4_tcp};

const CLIENT: [u8; 4] = [10, 0, 0, 7];
const BROKER: [u8; 4] = [10, 0, 0, 1];

/// A subscriber's packets: handshake, CONNECT, CONNACK, SUBSCRIBE to `c2/commands/#`, SUBACK;
/// and the broker's next sequence number.
fn subscriber() -> (Vec<Vec<u8>>, u32) {
    let (packets, _, broker_next) =
        raw::mqtt_subscriber(CLIENT, 40_001, BROKER, "bot-7", "c2/commands/#");
    (packets, broker_next)
}

fn feed(table: &mut FlowTable, packets: &[Vec<u8>], first: u64, ended: &mut usize) {
    for (i, p) in packets.iter().enumerate() {
        let frame = Frame {
            number: first + i as u64,
            ts: 1_700_000_000_000_000 + (first + i as u64) as i64 * 1_000,
            linktype: 101,
            data: p,
            orig_len: p.len() as u32,
        };
        table
            .packet(&frame, &mut |_| *ended += 1)
            .expect("valid packet");
    }
}

#[test]
fn an_open_session_is_reported_as_it_stands_and_stays_open() {
    let mut table = FlowTable::new(FlowConfig::default());
    let mut ended = 0;
    let (packets, broker_next) = subscriber();
    feed(&mut table, &packets, 1, &mut ended);
    assert_eq!(ended, 0);

    let open = table.open_flows();
    assert_eq!(open.len(), 1);
    let ev = &open[0];
    assert_eq!(ev.dst_port, 1883);
    assert_eq!(ev.src_port, Some(40_001));
    assert_eq!(ev.outcome, Outcome::Succeeded);
    let connect = wire::mqtt_connect(4, "bot-7", None, None, 60).len() as u64;
    let subscribe = wire::mqtt_subscribe(4, 1, &["c2/commands/#".to_string()]).len() as u64;
    assert_eq!(ev.bytes_out, Some(connect + subscribe));
    let app = ev.app.as_deref().expect("inspected");
    assert_eq!(app.protocol, Some(Protocol::Mqtt));
    assert!(app.client_ids.contains("bot-7"), "{app:?}");
    assert!(
        app.topics
            .iter()
            .any(|t| t.name == "c2/commands/#" && t.direction == TopicDirection::Subscribe),
        "{app:?}"
    );
    // Asking again changes nothing: the flow is still open, inspection goes on.
    assert_eq!(table.open_flows().len(), 1);

    // The session goes on (a publish to it) and ends once, with all of it.
    let publish = wire::mqtt_publish(4, "c2/commands/all", b"whoami");
    let more = vec![ipv4_tcp(
        BROKER,
        CLIENT,
        (1883, 40_001),
        broker_next,
        ACK | PSH,
        &publish,
    )];
    feed(&mut table, &more, 100, &mut ended);
    let mut last = Vec::new();
    table.finish(&mut |e| last.push(e.event));
    assert_eq!(last.len(), 1);
    assert!(table.open_flows().is_empty());
    let app = last[0].app.as_deref().expect("inspected");
    assert!(
        app.topics.iter().any(|t| t.name == "c2/commands/all"),
        "{app:?}"
    );
    assert_eq!(
        last[0].bytes_in,
        ev.bytes_in.map(|b| b + publish.len() as u64)
    );
}
