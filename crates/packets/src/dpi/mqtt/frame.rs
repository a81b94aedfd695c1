//! MQTT framing and recognition: the fixed header (packet type, flags, remaining length), the
//! CONNECT signature, and the mid-stream chain test that decides whether bytes picked up in
//! the middle of a connection are MQTT. How much evidence the chain test wants depends on what
//! is already known ([`Evidence`]): the most with nothing known, less on a standard MQTT port,
//! least once the session is MQTT and the dissector is only finding the next packet boundary.
//! Pure functions over a bounded window (plus, on the MQTT port, at most [`HELD`] offsets kept
//! from the previous scan); each packet is read once per start offset tried.

use crate::dpi::dissect::{Found, Side};
use crate::dpi::text::{Reader, clean_name};
use pubsub_hunt_core::Protocol;

pub(super) const CONNECT: u8 = 1;
pub(super) const CONNACK: u8 = 2;
pub(super) const PUBLISH: u8 = 3;
pub(super) const PUBREL: u8 = 6;
pub(super) const SUBSCRIBE: u8 = 8;
pub(super) const SUBACK: u8 = 9;
pub(super) const UNSUBSCRIBE: u8 = 10;
pub(super) const UNSUBACK: u8 = 11;
pub(super) const PINGREQ: u8 = 12;
pub(super) const PINGRESP: u8 = 13;
pub(super) const DISCONNECT: u8 = 14;
pub(super) const AUTH: u8 = 15;

/// How far into the buffer the mid-stream scan looks for a packet boundary.
const SCAN_WINDOW: usize = 8 * 1024;

/// A decoded fixed header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Header {
    pub kind: u8,
    pub flags: u8,
    pub remaining: u32,
    pub header_len: usize,
}

impl Header {
    pub fn total(&self) -> u64 {
        self.header_len as u64 + u64::from(self.remaining)
    }
    pub fn qos(&self) -> u8 {
        (self.flags >> 1) & 3
    }
}

/// Decodes a fixed header: `Ok(None)` when incomplete, `Err` when it cannot be MQTT.
pub(super) fn header(buf: &[u8]) -> Result<Option<Header>, ()> {
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
pub(super) fn connect_signature(body: &[u8]) -> Option<(&'static str, u8)> {
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

/// What a plausible packet carries, for how much it weighs as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    /// Acknowledgements, pings, DISCONNECT: short fixed shapes.
    Control,
    /// A topic name or filters (PUBLISH, SUBSCRIBE, UNSUBSCRIBE).
    Topic,
    /// CONNECT or CONNACK.
    Connection,
}

/// What a complete packet (fixed header already valid) carries, if its body is plausible for
/// mid-stream recognition. Lengths are held to what real clients and brokers send so that
/// random bytes rarely pass.
fn plausible(h: &Header, body: &[u8]) -> Option<Content> {
    let mut r = Reader::new(body);
    let small = |lo: u32, hi: u32| (lo..=hi).contains(&h.remaining);
    match h.kind {
        CONNECT => connect_signature(body).map(|_| Content::Connection),
        PUBLISH => {
            let topic = r.str16()?;
            // Topic alias (5.0) allows an empty topic; then it carries none.
            if !topic.is_empty() && !topic_name(topic) {
                return None;
            }
            if h.qos() > 0 && r.u16()? == 0 {
                return None;
            }
            Some(if topic.is_empty() {
                Content::Control
            } else {
                Content::Topic
            })
        }
        SUBSCRIBE | UNSUBSCRIBE => {
            let options = h.kind == SUBSCRIBE;
            // The filter list fills the packet exactly, read as 3.x or as 5.0 (properties first).
            (filters_fill(body, options, false) || filters_fill(body, options, true))
                .then_some(Content::Topic)
        }
        CONNACK => {
            let flags = r.u8()?;
            (flags <= 1 && small(2, 64)).then_some(Content::Connection)
        }
        PINGREQ | PINGRESP => (h.remaining == 0).then_some(Content::Control),
        DISCONNECT => small(0, 2).then_some(Content::Control),
        SUBACK => {
            r.u16()?;
            let codes_ok = r.rest().iter().all(|c| matches!(c, 0 | 1 | 2 | 0x80));
            (small(3, 64) && codes_ok).then_some(Content::Control)
        }
        UNSUBACK => small(2, 4).then_some(Content::Control),
        // AUTH is 5.0-only and rare: not evidence.
        AUTH => None,
        // PUBACK, PUBREC, PUBREL, PUBCOMP: packet id (non-zero), 5.0 adds reason and properties.
        _ => (small(2, 4) && r.u16()? != 0).then_some(Content::Control),
    }
}

/// Whether a SUBSCRIBE or UNSUBSCRIBE body is a non-zero packet id, (`v5`) a properties block,
/// then one or more filters (each followed by an options byte with its reserved bits clear for
/// SUBSCRIBE) that end exactly where the packet ends.
fn filters_fill(body: &[u8], options: bool, v5: bool) -> bool {
    let mut r = Reader::new(body);
    if r.u16().is_none_or(|id| id == 0) {
        return false;
    }
    if v5 {
        let Some(props) = varint(&mut r) else {
            return false;
        };
        if r.skip(props as usize).is_none() {
            return false;
        }
    }
    let mut filters = 0;
    while r.remaining() > 0 {
        if r.str16().is_none_or(|f| !topic_filter(f)) {
            return false;
        }
        // 3.x uses the low two bits (QoS); 5.0 adds no-local, retain-as-published and
        // retain handling; the top two bits are reserved in both.
        if options && r.u8().is_none_or(|o| o & 0xc0 != 0 || o & 3 == 3) {
            return false;
        }
        filters += 1;
    }
    filters > 0
}

/// A chain of `count` whole packets followed by a packet the bytes end inside, whose start is
/// `body`: only a PUBLISH can be that long. Its topic, once all there, must be valid, and then
/// the chain is enough if a packet came before; until then the chain is cut.
fn cut_publish(h: &Header, body: &[u8], count: usize) -> Chain {
    if h.kind != PUBLISH {
        return Chain::Broken;
    }
    let mut r = Reader::new(body);
    let Some(len) = r.u16() else {
        return Chain::Cut;
    };
    if usize::from(len) + 2 > h.remaining as usize {
        return Chain::Broken;
    }
    match r.bytes(usize::from(len)) {
        None if len > 0 && topic_prefix(r.rest()) => Chain::Cut,
        None => Chain::Broken,
        Some(topic) if !topic_name(topic) => Chain::Broken,
        Some(_) if count >= 1 => Chain::Enough,
        Some(_) => Chain::Cut,
    }
}

/// Whether the bytes seen of a topic name could begin one: UTF-8 up to a character the end
/// cuts, no control characters, no wildcards.
fn topic_prefix(seen: &[u8]) -> bool {
    let valid = match std::str::from_utf8(seen) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(seen.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or("")
        }
        Err(_) => return false,
    };
    !valid
        .chars()
        .any(|c| c.is_control() || c == '+' || c == '#')
}

/// A topic name: non-empty UTF-8 without control characters (which the specification forbids
/// or discourages) and without the wildcards only filters may hold.
fn topic_name(t: &[u8]) -> bool {
    topic_filter(t) && !t.iter().any(|b| *b == b'+' || *b == b'#')
}

/// A topic filter: non-empty UTF-8 without control characters (wildcards allowed).
fn topic_filter(t: &[u8]) -> bool {
    !t.is_empty() && clean_name(t).is_some()
}

/// A variable byte integer inside a packet body.
pub(super) fn varint(r: &mut Reader<'_>) -> Option<u32> {
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

/// What is already known when a chain of packets is looked for, and so how long a chain must
/// be. Random bytes pass the checks of one packet now and then; they pass those of several in a
/// row, each starting exactly where the last one ended, far too rarely to matter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Evidence {
    /// Nothing: three packets of which one carries a topic, or six.
    None,
    /// The server port is a standard MQTT port: two packets of which one carries a topic
    /// (PUBLISH, SUBSCRIBE, UNSUBSCRIBE), followed by the end of the bytes or by the start of
    /// a third packet. The second may be a PUBLISH the bytes end inside (a large message still
    /// arriving), once its topic is there to check.
    StandardPort,
    /// The session is MQTT (resynchronising after a gap): two packets, or one that ends the
    /// bytes.
    Known,
}

/// What a chain test found at one offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chain {
    /// As many well-formed packets as the evidence asks for.
    Enough,
    /// Not MQTT here.
    Broken,
    /// Well-formed so far, then a PUBLISH with a valid topic that the bytes end inside: a large
    /// message still arriving, which the next scan must look at again from this offset.
    Cut,
}

/// The chain of well-formed packets starting at the front of `buf`: a valid CONNECT alone, or
/// as many packets as `evidence` asks for.
fn chain_at(buf: &[u8], evidence: Evidence) -> Chain {
    if buf.first() == Some(&0x10)
        && let Ok(Some(h)) = header(buf)
        && connect_signature(buf.get(h.header_len..).unwrap_or(&[])).is_some()
    {
        return Chain::Enough;
    }
    let mut at = 0usize;
    let mut count = 0;
    let mut rich = false;
    let mut topic = false;
    let mut role: Option<Side> = None;
    loop {
        let rest = buf.get(at..).unwrap_or(&[]);
        match evidence {
            Evidence::Known if count == 1 && rest.is_empty() => return Chain::Enough,
            // Two packets and what follows them is the end of the bytes or a valid header.
            Evidence::StandardPort if count >= 2 && topic => {
                return if header(rest).is_ok() {
                    Chain::Enough
                } else {
                    Chain::Broken
                };
            }
            _ => {}
        }
        let h = match header(rest) {
            Ok(Some(h)) => h,
            // A header the bytes end inside, after a packet: the chain may go on.
            Ok(None) if evidence == Evidence::StandardPort && count >= 1 => return Chain::Cut,
            _ => return Chain::Broken,
        };
        let end = h.total();
        if end > rest.len() as u64 {
            return match evidence {
                Evidence::StandardPort => {
                    cut_publish(&h, rest.get(h.header_len..).unwrap_or(&[]), count)
                }
                _ => Chain::Broken,
            };
        }
        if let Some(s) = sender(h.kind) {
            if role.is_some_and(|r| r != s) {
                return Chain::Broken;
            }
            role = Some(s);
        }
        let body = rest.get(h.header_len..end as usize).unwrap_or(&[]);
        let Some(content) = plausible(&h, body) else {
            return Chain::Broken;
        };
        rich |= content != Content::Control;
        topic |= content == Content::Topic;
        count += 1;
        at += end as usize;
        if (evidence == Evidence::Known && count >= 2) || (count >= 3 && rich) || count >= 6 {
            return Chain::Enough;
        }
    }
}

/// A CONNECT anywhere in `buf` (the capture may have started a few bytes late).
fn find_connect(buf: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = buf.get(from..).and_then(|b| memchr::memchr(0x10, b)) {
        let at = from + i;
        let rest = buf.get(at..).unwrap_or(&[]);
        if let Ok(Some(h)) = header(rest)
            && connect_signature(rest.get(h.header_len..).unwrap_or(&[])).is_some()
        {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Scans for MQTT: a strict CONNECT, or mid-stream a chain of well-formed packets.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    find_connect(buf)
        .or_else(|| scan_chain(buf, Evidence::None))
        .map(|offset| Found {
            offset,
            protocol: Some(Protocol::Mqtt),
        })
}

/// How many cut chains a scan keeps for the next one. More than one, because a PUBLISH-like
/// header with a valid topic and a huge length turns up now and then in binary payloads and
/// stays "cut" until the bytes it claims have passed; it must not crowd out the real one.
pub(crate) const HELD: usize = 4;

/// Offsets of cut chains ([`Chain::Cut`]), earliest first.
pub(crate) type Held = [Option<usize>; HELD];

/// What a scan on a standard MQTT port found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct PortScan {
    /// Where MQTT starts, if it was recognised.
    pub found: Option<usize>,
    /// Otherwise the chains cut by the end of the bytes, for the next scan to try again.
    pub held: Held,
}

/// Scans `buf` for MQTT on a standard MQTT port, where the chain may be shorter: from `start`
/// over the usual window, and at the `held` offsets before `start`, cut chains an earlier scan
/// found. Keeping those few offsets, rather than looking further back every time, lets a large
/// message that spans many segments start a chain without making each scan longer.
pub(crate) fn detect_on_port(buf: &[u8], start: usize, held: &Held) -> PortScan {
    let window = buf.get(start..).unwrap_or(&[]);
    if let Some(at) = find_connect(window) {
        return PortScan {
            found: Some(start + at),
            held: Held::default(),
        };
    }
    let mut out = PortScan::default();
    let mut kept = 0;
    let earlier = held.iter().flatten().copied().filter(|h| *h < start);
    let offsets = earlier.chain((0..window.len().min(SCAN_WINDOW)).map(|i| start + i));
    for at in offsets {
        match chain_at(buf.get(at..).unwrap_or(&[]), Evidence::StandardPort) {
            Chain::Enough => {
                out.found = Some(at);
                return out;
            }
            Chain::Cut => {
                if let Some(slot) = out.held.get_mut(kept) {
                    *slot = Some(at);
                    kept += 1;
                }
            }
            Chain::Broken => {}
        }
    }
    out
}

/// The first offset in the scan window where a chain starts.
pub(super) fn scan_chain(buf: &[u8], evidence: Evidence) -> Option<usize> {
    (0..buf.len().min(SCAN_WINDOW))
        .find(|&i| chain_at(buf.get(i..).unwrap_or(&[]), evidence) == Chain::Enough)
}
