//! Unit tests of the AMQP dissector on hand-built frames: 0-9-1 from the header and
//! mid-stream, 1.0 with SASL, and the 0-10 header.

use super::*;
use crate::dpi::Side::*;
use crate::dpi::testutil::{run, run_bytewise};

fn frame(kind: u8, channel: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![kind];
    f.extend_from_slice(&channel.to_be_bytes());
    f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    f.extend_from_slice(payload);
    f.push(0xce);
    f
}

fn method(class: u16, method: u16, args: &[u8]) -> Vec<u8> {
    let mut p = class.to_be_bytes().to_vec();
    p.extend_from_slice(&method.to_be_bytes());
    p.extend_from_slice(args);
    frame(1, 1, &p)
}

fn s8(s: &str) -> Vec<u8> {
    let mut v = vec![s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    v
}

#[test]
fn amqp091_session() {
    let mut start_ok = vec![0, 0, 0, 0];
    start_ok.extend(s8("PLAIN"));
    start_ok.extend_from_slice(&12u32.to_be_bytes());
    start_ok.extend_from_slice(b"\0guest\0guest");
    start_ok.extend(s8("en_US"));
    let mut open = s8("/prod");
    open.extend_from_slice(b"\0\0");
    let mut publish = vec![0, 0];
    publish.extend(s8("celeryev"));
    publish.extend(s8("worker.heartbeat"));
    publish.push(0);
    let mut header = vec![0, 60, 0, 0];
    header.extend_from_slice(&5u64.to_be_bytes());
    header.extend_from_slice(&[0, 0]);
    let mut consume = vec![0, 0];
    consume.extend(s8("tasks"));
    let mut client = b"AMQP\x00\x00\x09\x01".to_vec();
    client.extend(method(10, 11, &start_ok));
    client.extend(method(10, 40, &open));
    client.extend(method(60, 40, &publish));
    client.extend(frame(2, 1, &header));
    client.extend(frame(3, 1, b"hello"));
    client.extend(method(60, 20, &consume));
    client.extend(frame(8, 0, b""));
    let app = run(&[(Client, &client)]);
    assert_eq!(app.protocol, Some(Protocol::Amqp));
    assert_eq!(app.protocol_version.as_deref(), Some("0-9-1"));
    assert!(app.usernames.contains("guest"));
    assert!(app.server_names.contains("vhost:/prod"));
    assert_eq!(app.pings, 1);
    assert_eq!(app.messages.len(), 1);
    assert_eq!(app.messages[0].size, 5);
    let names: Vec<_> = app
        .topics
        .iter()
        .map(|t| (t.name.as_str(), t.direction))
        .collect();
    assert!(names.contains(&("celeryev/worker.heartbeat", TopicDirection::Publish)));
    assert!(names.contains(&("tasks", TopicDirection::Subscribe)));
}

/// A field-table entry (key, type octet, value).
fn entry(key: &str, kind: u8, value: &[u8]) -> Vec<u8> {
    let mut v = s8(key);
    v.push(kind);
    v.extend_from_slice(value);
    v
}

fn long(s: &[u8]) -> Vec<u8> {
    let mut v = (s.len() as u32).to_be_bytes().to_vec();
    v.extend_from_slice(s);
    v
}

/// Connection.StartOk as pika sends it: client-properties with a nested `capabilities` table
/// before `connection_name`, then the mechanism and response.
fn start_ok(connection_name: &[u8], mechanism: &str, response: &[u8]) -> Vec<u8> {
    let capabilities = [
        entry("authentication_failure_close", b't', &[1]),
        entry("consumer_cancel_notify", b't', &[1]),
        entry("publisher_confirms", b't', &[1]),
    ]
    .concat();
    let props = [
        entry("product", b'S', &long(b"Pika Python Client Library")),
        entry("platform", b'S', &long(b"Python 3.11.2")),
        entry("capabilities", b'F', &long(&capabilities)),
        entry("information", b'S', &long(b"See http://pika.rtfd.org")),
        entry("version", b'S', &long(b"1.3.2")),
        entry("connection_name", b'S', &long(connection_name)),
    ]
    .concat();
    let mut args = long(&props);
    args.extend(s8(mechanism));
    args.extend(long(response));
    args.extend(s8("en_US"));
    method(10, 11, &args)
}

#[test]
fn amqp091_connection_name_is_the_client_id() {
    let mut client = b"AMQP\x00\x00\x09\x01".to_vec();
    client.extend(start_ok(b"orders-worker-7f3a", "PLAIN", b"\0svc\0secret"));
    for app in [
        run(&[(Client, &client)]),
        run_bytewise(&[(Client, &client)]),
    ] {
        assert_eq!(app.protocol, Some(Protocol::Amqp));
        assert_eq!(
            app.client_ids.iter().collect::<Vec<_>>(),
            ["orders-worker-7f3a"]
        );
        assert!(app.usernames.contains("svc"));
    }
    // AMQPLAIN: the response is a field table without its length.
    let login = [
        entry("LOGIN", b'S', &long(b"bob")),
        entry("PASSWORD", b'S', &long(b"pw")),
    ]
    .concat();
    let mut client = b"AMQP\x00\x00\x09\x01".to_vec();
    client.extend(start_ok(b"c", "AMQPLAIN", &login));
    let app = run(&[(Client, &client)]);
    assert!(app.usernames.contains("bob"), "{app:?}");
    assert!(app.client_ids.contains("c"));
    // A name with control characters, or an empty one, is not an identity.
    for bad in [&b"evil\nname"[..], b""] {
        let mut client = b"AMQP\x00\x00\x09\x01".to_vec();
        client.extend(start_ok(bad, "PLAIN", b"\0svc\0secret"));
        let app = run(&[(Client, &client)]);
        assert!(app.client_ids.is_empty(), "{app:?}");
        assert!(app.usernames.contains("svc"));
    }
}

#[test]
fn amqp091_mid_stream() {
    let mut publish = vec![0, 0];
    publish.extend(s8("celeryev"));
    publish.extend(s8("worker.heartbeat"));
    publish.push(0);
    let mut header = vec![0, 60, 0, 0];
    header.extend_from_slice(&2u64.to_be_bytes());
    header.extend_from_slice(&[0, 0]);
    let mut client = b"tail of a body\xce".to_vec();
    client.extend(method(60, 40, &publish));
    client.extend(frame(2, 1, &header));
    client.extend(frame(3, 1, b"{}"));
    let app = run(&[(Client, &client)]);
    assert_eq!(app.protocol, Some(Protocol::Amqp));
    assert_eq!(app.protocol_version, None);
    assert_eq!(app.messages.len(), 1);
}

fn frame10(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut f = ((body.len() + 8) as u32).to_be_bytes().to_vec();
    f.extend_from_slice(&[2, kind, 0, 0]);
    f.extend_from_slice(body);
    f
}

fn list8(code: u8, fields: &[u8], count: u8) -> Vec<u8> {
    let mut v = vec![0x00, 0x53, code, 0xc0, (fields.len() + 1) as u8, count];
    v.extend_from_slice(fields);
    v
}

#[test]
fn amqp10_sasl_open_attach_transfer() {
    // sasl-init PLAIN
    let mut init = vec![0xa3, 5];
    init.extend_from_slice(b"PLAIN");
    init.extend_from_slice(&[0xa0, 9]);
    init.extend_from_slice(b"\0bob\0pass");
    let mut open = vec![0xa1, 4];
    open.extend_from_slice(b"bot1");
    open.extend_from_slice(&[0xa1, 9]);
    open.extend_from_slice(b"broker.io");
    // attach: name, handle 0, role sender (false), null, null, source null, target described(address)
    let mut attach = vec![0xa1, 2];
    attach.extend_from_slice(b"l1");
    attach.extend_from_slice(&[0x43, 0x42, 0x40, 0x40, 0x40]);
    let target = [0x00, 0x53, 0x29, 0xc0, 0x0a, 0x01, 0xa1, 0x07];
    attach.extend_from_slice(&target);
    attach.extend_from_slice(b"orders1");
    let mut transfer = list8(0x14, &[0x43], 1);
    transfer.extend_from_slice(b"\x00\x53\x75\xa0\x03abc");
    let mut client = b"AMQP\x03\x01\x00\x00".to_vec();
    client.extend(frame10(1, &list8(0x41, &init, 2)));
    client.extend_from_slice(b"AMQP\x00\x01\x00\x00");
    client.extend(frame10(0, &list8(0x10, &open, 2)));
    client.extend(frame10(0, &list8(0x12, &attach, 7)));
    client.extend(frame10(0, &transfer));
    let app = run(&[(Client, &client)]);
    assert_eq!(app.protocol, Some(Protocol::Amqp));
    assert_eq!(app.protocol_version.as_deref(), Some("1.0"));
    assert!(app.usernames.contains("bob"));
    assert!(app.client_ids.contains("bot1"));
    assert!(app.server_names.contains("broker.io"));
    assert_eq!(app.topics[0].name, "orders1");
    assert_eq!(app.topics[0].messages, 1);
    assert_eq!(app.messages.len(), 1);
}

#[test]
fn amqp010_header() {
    let app = run(&[(Client, b"AMQP\x01\x01\x00\x0a")]);
    assert_eq!(app.protocol_version.as_deref(), Some("0-10"));
}
