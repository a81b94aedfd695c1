//! MQTT 3.1, 3.1.1 and 5.0: recognition (a strict CONNECT anywhere, or mid-stream a chain of
//! well-formed control packets) and dissection of CONNECT (version, client id, user name,
//! keepalive, will topic), PUBLISH (topic, payload size and entropy), SUBSCRIBE/UNSUBSCRIBE filters and
//! PINGREQ, with MQTT 5 properties skipped by their length.

use super::dissect::{BUF_CAP, Dissect, Found, Side, Step};
use super::text::{Reader, clean_name};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};

const CONNECT: u8 = 1;
const CONNACK: u8 = 2;
const PUBLISH: u8 = 3;
const PUBREL: u8 = 6;
const SUBSCRIBE: u8 = 8;
const SUBACK: u8 = 9;
const UNSUBSCRIBE: u8 = 10;
const UNSUBACK: u8 = 11;
const PINGREQ: u8 = 12;
const PINGRESP: u8 = 13;
const DISCONNECT: u8 = 14;
const AUTH: u8 = 15;

/// How far into the buffer the mid-stream scan looks for a packet boundary.
const SCAN_WINDOW: usize = 8 * 1024;

/// A decoded fixed header.
#[derive(Debug, Clone, Copy)]
struct Header {
    kind: u8,
    flags: u8,
    remaining: u32,
    header_len: usize,
}

impl Header {
    fn total(&self) -> u64 {
        self.header_len as u64 + u64::from(self.remaining)
    }
    fn qos(&self) -> u8 {
        (self.flags >> 1) & 3
    }
}

/// Decodes a fixed header: `Ok(None)` when incomplete, `Err` when it cannot be MQTT.
fn header(buf: &[u8]) -> Result<Option<Header>, ()> {
    let Some(&first) = buf.first() else {
        return Ok(None);
    };
    let kind = first >> 4;
    let flags = first & 0x0f;
    let flags_ok = match kind {
        0 => false,
        PUBLISH => {
            let qos = (flags >> 1) & 3;
            qos != 3 && !(qos == 0 && flags & 8 != 0)
        }
        PUBREL | SUBSCRIBE | UNSUBSCRIBE => flags == 2,
        _ => flags == 0,
    };
    if !flags_ok {
        return Err(());
    }
    let mut remaining: u32 = 0;
    for i in 0..4 {
        let Some(&b) = buf.get(1 + i) else {
            return Ok(None);
        };
        remaining |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            // A multi-byte length whose last byte is zero is not minimal: real encoders never
            // produce it, random bytes often do.
            if i > 0 && b == 0 {
                return Err(());
            }
            return Ok(Some(Header {
                kind,
                flags,
                remaining,
                header_len: 2 + i,
            }));
        }
    }
    Err(())
}

/// Which end may send a packet type (`None`: either).
fn sender(kind: u8) -> Option<Side> {
    match kind {
        CONNECT | SUBSCRIBE | UNSUBSCRIBE | PINGREQ => Some(Side::Client),
        CONNACK | SUBACK | UNSUBACK | PINGRESP => Some(Side::Server),
        _ => None,
    }
}

/// Checks a CONNECT variable header; returns the version string and level.
fn connect_signature(body: &[u8]) -> Option<(&'static str, u8)> {
    let mut r = Reader::new(body);
    let name = r.str16()?;
    let level = r.u8()?;
    let flags = r.u8()?;
    r.u16()?;
    let version = match (name, level) {
        (b"MQIsdp", 3) => "3.1",
        (b"MQTT", 4) => "3.1.1",
        (b"MQTT", 5) => "5",
        _ => return None,
    };
    // Reserved bit clear; a password needs a user name before 5.0; will QoS at most 2; will
    // retain and QoS only with a will.
    let will = flags & 0x04 != 0;
    let will_qos = (flags >> 3) & 3;
    if flags & 0x01 != 0
        || will_qos == 3
        || (!will && (will_qos != 0 || flags & 0x20 != 0))
        || (level < 5 && flags & 0x40 != 0 && flags & 0x80 == 0)
    {
        return None;
    }
    Some((version, level))
}

/// Whether a complete packet (fixed header already valid) has a plausible body for
/// mid-stream recognition; `rich` packets carry content (topics) and weigh more. Lengths are
/// held to what real clients and brokers send so that random bytes rarely pass.
fn plausible(h: &Header, body: &[u8]) -> Option<bool> {
    let mut r = Reader::new(body);
    let small = |lo: u32, hi: u32| (lo..=hi).contains(&h.remaining);
    match h.kind {
        CONNECT => connect_signature(body).map(|_| true),
        PUBLISH => {
            let topic = r.str16()?;
            // Topic alias (5.0) allows an empty topic; then it is not rich.
            if !topic.is_empty() && !printable_topic(topic) {
                return None;
            }
            if h.qos() > 0 && r.u16()? == 0 {
                return None;
            }
            Some(!topic.is_empty())
        }
        SUBSCRIBE | UNSUBSCRIBE => {
            if r.u16()? == 0 {
                return None;
            }
            let topic = r.str16().filter(|t| printable_filter(t)).or_else(|| {
                // 5.0 properties before the filters.
                let mut r5 = Reader::new(body);
                r5.skip(2)?;
                let props = varint(&mut r5)?;
                r5.skip(props as usize)?;
                r5.str16()
            })?;
            printable_filter(topic).then_some(true)
        }
        CONNACK => {
            let flags = r.u8()?;
            (flags <= 1 && small(2, 64)).then_some(true)
        }
        PINGREQ | PINGRESP => (h.remaining == 0).then_some(false),
        DISCONNECT => small(0, 2).then_some(false),
        SUBACK => {
            r.u16()?;
            let codes_ok = r.rest().iter().all(|c| matches!(c, 0 | 1 | 2 | 0x80));
            (small(3, 64) && codes_ok).then_some(false)
        }
        UNSUBACK => small(2, 4).then_some(false),
        // AUTH is 5.0-only and rare: not evidence.
        AUTH => None,
        // PUBACK, PUBREC, PUBREL, PUBCOMP: packet id (non-zero), 5.0 adds reason and properties.
        _ => (small(2, 4) && r.u16()? != 0).then_some(false),
    }
}

/// A topic name as seen in the wild: printable ASCII, no wildcards.
fn printable_topic(t: &[u8]) -> bool {
    !t.is_empty()
        && t.iter()
            .all(|b| (0x20..0x7f).contains(b) && *b != b'+' && *b != b'#')
}

/// A topic filter: printable ASCII (wildcards allowed).
fn printable_filter(t: &[u8]) -> bool {
    !t.is_empty() && t.iter().all(|b| (0x20..0x7f).contains(b))
}

/// A variable byte integer inside a packet body.
fn varint(r: &mut Reader<'_>) -> Option<u32> {
    let mut value: u32 = 0;
    for i in 0..4 {
        let b = r.u8()?;
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Whether a chain of well-formed packets starts at the front of `buf`: a valid CONNECT
/// alone, or three packets of which one carries a topic. Once the session is `known` to be
/// MQTT, two packets, or one that ends the buffer, are enough.
fn chain_at(buf: &[u8], known: bool) -> bool {
    if buf.first() == Some(&0x10)
        && let Ok(Some(h)) = header(buf)
        && connect_signature(buf.get(h.header_len..).unwrap_or(&[])).is_some()
    {
        return true;
    }
    let mut at = 0usize;
    let mut count = 0;
    let mut rich = false;
    let mut role: Option<Side> = None;
    loop {
        let rest = buf.get(at..).unwrap_or(&[]);
        if known && count == 1 && rest.is_empty() {
            return true;
        }
        let Ok(Some(h)) = header(rest) else {
            return false;
        };
        let end = h.total();
        if end > rest.len() as u64 {
            return false;
        }
        if let Some(s) = sender(h.kind) {
            if role.is_some_and(|r| r != s) {
                return false;
            }
            role = Some(s);
        }
        let body = rest.get(h.header_len..end as usize).unwrap_or(&[]);
        let Some(is_rich) = plausible(&h, body) else {
            return false;
        };
        rich |= is_rich;
        count += 1;
        at += end as usize;
        if (known && count >= 2) || (count >= 3 && rich) || count >= 6 {
            return true;
        }
    }
}

/// Scans for MQTT: a strict CONNECT, or mid-stream a chain of well-formed packets.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    // A CONNECT anywhere in the buffer (the capture may have started a few bytes late).
    let mut from = 0;
    while let Some(i) = buf.get(from..).and_then(|b| memchr::memchr(0x10, b)) {
        let at = from + i;
        let rest = buf.get(at..).unwrap_or(&[]);
        if let Ok(Some(h)) = header(rest)
            && connect_signature(rest.get(h.header_len..).unwrap_or(&[])).is_some()
        {
            return Some(Found {
                offset: at,
                protocol: Some(Protocol::Mqtt),
            });
        }
        from = at + 1;
    }
    scan_chain(buf, false).map(|offset| Found {
        offset,
        protocol: Some(Protocol::Mqtt),
    })
}

fn scan_chain(buf: &[u8], known: bool) -> Option<usize> {
    (0..buf.len().min(SCAN_WINDOW)).find(|&i| chain_at(buf.get(i..).unwrap_or(&[]), known))
}

/// MQTT dissector state.
#[derive(Debug, Default)]
pub(crate) struct Mqtt {
    /// Protocol level from CONNECT (3, 4, 5); unknown mid-stream.
    level: Option<u8>,
}

impl Mqtt {
    fn v5(&self) -> bool {
        self.level == Some(5)
    }

    fn connect(&mut self, body: &[u8], app: &mut AppInfo) -> Option<()> {
        let (version, level) = connect_signature(body)?;
        self.level = Some(level);
        app.protocol_version = Some(version.to_string());
        let mut r = Reader::new(body);
        r.str16()?;
        r.u8()?;
        let flags = r.u8()?;
        let keepalive = r.u16()?;
        app.keepalive_secs = Some(u32::from(keepalive));
        if level == 5 {
            let props = varint(&mut r)?;
            r.skip(props as usize)?;
        }
        if let Some(id) = clean_name(r.str16()?).filter(|s| !s.is_empty()) {
            app.add_client_id(id);
        }
        if flags & 0x04 != 0 {
            if level == 5 {
                let props = varint(&mut r)?;
                r.skip(props as usize)?;
            }
            let will_topic = r.str16()?;
            if let Some(t) = clean_name(will_topic).filter(|s| !s.is_empty()) {
                app.add_topic(t, TopicDirection::Publish, 0);
            }
            r.str16()?;
        }
        if flags & 0x80 != 0
            && let Some(user) = clean_name(r.str16()?).filter(|s| !s.is_empty())
        {
            app.add_username(user);
        }
        Some(())
    }

    /// `body` may be a prefix of the packet (large messages); `remaining` is the full length.
    fn publish(
        &self,
        h: &Header,
        body: &[u8],
        side: Side,
        ts: Micros,
        app: &mut AppInfo,
    ) -> Option<()> {
        let mut r = Reader::new(body);
        let topic = r.str16()?;
        if h.qos() > 0 {
            r.u16()?;
        }
        if self.v5() {
            let props = varint(&mut r)?;
            r.skip(props as usize)?;
        }
        let payload_size = h.remaining.saturating_sub(r.pos as u32);
        let topic = clean_name(topic).filter(|t| !t.is_empty());
        app.add_message(ts, side.message_direction(), topic, r.rest(), payload_size);
        Some(())
    }

    /// SUBSCRIBE and UNSUBSCRIBE filters (UNSUBSCRIBE has no options byte after each): both
    /// name the command trees a client listens on, so both are recorded as subscriptions.
    fn subscribe(&self, body: &[u8], app: &mut AppInfo, with_options: bool) -> Option<()> {
        let mut r = Reader::new(body);
        r.u16()?;
        if self.v5() {
            let props = varint(&mut r)?;
            r.skip(props as usize)?;
        }
        while r.remaining() > 0 {
            let filter = r.str16()?;
            if with_options {
                r.u8()?;
            }
            if let Some(f) = clean_name(filter).filter(|f| !f.is_empty()) {
                app.add_topic(f, TopicDirection::Subscribe, 0);
            }
        }
        Some(())
    }
}

impl Dissect for Mqtt {
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let h = match header(buf) {
            Ok(Some(h)) => h,
            Ok(None) => return Step::Need,
            Err(()) => return Step::Lost,
        };
        if h.kind == AUTH && self.level.is_some_and(|l| l < 5) {
            return Step::Lost;
        }
        let total = h.total();
        let whole = total <= buf.len() as u64;
        if !whole {
            // Only PUBLISH (and, absurdly, CONNECT) can be larger than the buffer.
            if total <= BUF_CAP as u64 || buf.len() < BUF_CAP {
                return Step::Need;
            }
            if h.kind != PUBLISH {
                return Step::Lost;
            }
        }
        let body = buf
            .get(h.header_len..total.min(buf.len() as u64) as usize)
            .unwrap_or(&[]);
        match h.kind {
            CONNECT if self.connect(body, app).is_none() => return Step::Lost,
            PUBLISH if self.publish(&h, body, side, ts, app).is_none() => return Step::Lost,
            SUBSCRIBE | UNSUBSCRIBE => {
                // A filter list that does not parse is still a SUBSCRIBE: keep what was read.
                let _ = self.subscribe(body, app, h.kind == SUBSCRIBE);
            }
            PINGREQ => app.pings += 1,
            _ => {}
        }
        if whole {
            Step::Used(total as usize)
        } else {
            Step::Skip(total)
        }
    }

    fn resync(&self, _side: Side, buf: &[u8]) -> Option<usize> {
        scan_chain(buf, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpi::testutil::{run, run_bytewise};
    use crate::dpi::{SessionInspector, Side::*};

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
}
