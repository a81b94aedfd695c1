//! AMQP 0-9-1, 0-10 and 1.0: recognition by the 8-byte protocol header (anywhere) or, mid-stream,
//! by a chain of well-formed 0-9-1 frames or one well-formed 1.0 performative frame.
//! 0-9-1: connection.start-ok user (PLAIN or AMQPLAIN) and `connection_name` client property
//! (the client id), connection.open virtual host (as
//! `vhost:<name>` server name), basic.publish / basic.deliver / basic.get-ok topics
//! (`<exchange>/<routing key>`) with the size and entropy of the first body frame,
//! basic.consume and queue.bind queues, client heartbeats as pings. 1.0: SASL PLAIN user,
//! open container-id and hostname, attach source/target addresses, transfer sizes per link.
//! 0-10 is recognised by its header only.

mod codec;
mod table;

use super::dissect::{BUF_CAP, Dissect, Found, Side, Step};
use super::text::{Reader, clean_name, sasl_plain_user};
use codec::{as_bool, as_bytes, as_str, as_uint, described_code, list_fields, terminus_address};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};
use std::collections::HashMap;

/// The protocol headers and the version each announces.
const HEADERS: [(&[u8; 8], &str); 7] = [
    (b"AMQP\x00\x00\x09\x01", "0-9-1"),
    (b"AMQP\x01\x01\x00\x09", "0-9"),
    (b"AMQP\x01\x01\x08\x00", "0-8"),
    (b"AMQP\x01\x01\x00\x0a", "0-10"),
    (b"AMQP\x00\x01\x00\x00", "1.0"),
    (b"AMQP\x03\x01\x00\x00", "1.0"),
    (b"AMQP\x02\x01\x00\x00", "1.0"),
];

/// Largest 0-9-1 frame believed plausible while scanning (RabbitMQ's default frame_max is 128 KiB).
const MAX_FRAME_091: u32 = 1 << 20;
const SCAN_WINDOW: usize = 8 * 1024;
/// Most AMQP 1.0 links remembered per direction.
const MAX_LINKS: usize = 64;

fn header_at(buf: &[u8]) -> Option<&'static str> {
    HEADERS
        .iter()
        .find(|(h, _)| buf.starts_with(&h[..]))
        .map(|(_, v)| *v)
}

/// Known 0-9-1 (class, method) pairs.
fn known_method(class: u16, method: u16) -> bool {
    match class {
        10 => matches!(
            method,
            10 | 11 | 20 | 21 | 30 | 31 | 40 | 41 | 50 | 51 | 60 | 61
        ),
        20 => matches!(method, 10 | 11 | 20 | 21 | 40 | 41),
        40 => matches!(method, 10 | 11 | 20 | 21 | 30 | 31 | 40 | 51),
        50 => matches!(method, 10 | 11 | 20 | 21 | 30 | 31 | 40 | 41 | 50 | 51),
        60 => matches!(
            method,
            10 | 11
                | 20
                | 21
                | 30
                | 31
                | 40
                | 50
                | 60
                | 70
                | 71
                | 72
                | 80
                | 90
                | 100
                | 110
                | 111
                | 120
        ),
        85 => matches!(method, 10 | 11),
        90 => matches!(method, 10 | 11 | 20 | 21 | 30 | 31),
        _ => false,
    }
}

/// A whole 0-9-1 frame at the front: (type, total length, carries a known method).
fn frame_091(buf: &[u8]) -> Option<(u8, usize, bool)> {
    let mut r = Reader::new(buf);
    let kind = r.u8()?;
    r.u16()?;
    let size = r.u32()?;
    if !matches!(kind, 1 | 2 | 3 | 8) || size > MAX_FRAME_091 {
        return None;
    }
    let body = r.bytes(size as usize)?;
    if r.u8()? != 0xce {
        return None;
    }
    let method = if kind == 1 {
        let mut b = Reader::new(body);
        let ok = known_method(b.u16()?, b.u16()?);
        if !ok {
            return None;
        }
        true
    } else {
        if kind == 8 && size != 0 {
            return None;
        }
        false
    };
    Some((kind, 8 + size as usize, method))
}

fn chain_091(buf: &[u8], known: bool) -> bool {
    let mut at = 0;
    let mut frames = 0;
    let mut method = false;
    while frames < 3 {
        let rest = buf.get(at..).unwrap_or(&[]);
        if known && frames == 1 && rest.is_empty() {
            return true;
        }
        let Some((_, len, m)) = frame_091(rest) else {
            return false;
        };
        frames += 1;
        method |= m;
        at += len;
        if frames >= 2 && (method || known) {
            return true;
        }
    }
    true
}

/// A whole AMQP 1.0 frame at the front whose body is a performative (descriptor 0x10–0x18 for
/// AMQP frames, 0x40–0x44 for SASL frames).
fn frame_10(buf: &[u8]) -> Option<usize> {
    let mut r = Reader::new(buf);
    let size = r.u32()? as usize;
    let doff = r.u8()?;
    let kind = r.u8()?;
    r.u16()?;
    if size < 8 || doff < 2 || usize::from(doff) * 4 > size || size > BUF_CAP {
        return None;
    }
    if size == 8 {
        // An empty frame is a heartbeat.
        return (kind == 0).then_some(8);
    }
    let body = buf.get(usize::from(doff) * 4..size)?;
    let code = match body {
        [0x00, 0x53, code, ..] => *code,
        [0x00, 0x80, 0, 0, 0, 0, 0, 0, 0, code, ..] => *code,
        _ => return None,
    };
    let ok = match kind {
        0 => (0x10..=0x18).contains(&code),
        1 => (0x40..=0x44).contains(&code),
        _ => false,
    };
    ok.then_some(size)
}

/// Scans for an AMQP header, a chain of 0-9-1 frames, or a 1.0 performative frame.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    let found = |offset| {
        Some(Found {
            offset,
            protocol: Some(Protocol::Amqp),
        })
    };
    if let Some(at) = memchr::memmem::find_iter(buf, b"AMQP")
        .find(|&i| buf.get(i..).and_then(header_at).is_some())
    {
        return found(at);
    }
    for at in 0..buf.len().min(SCAN_WINDOW) {
        let rest = buf.get(at..).unwrap_or(&[]);
        if chain_091(rest, false) {
            return found(at);
        }
        // 1.0 frames are only looked for at the front: their shape is less distinctive.
        if at == 0 && frame_10(rest).is_some_and(|n| n > 8) {
            return found(0);
        }
    }
    None
}

/// Which framing a direction uses.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Framing {
    #[default]
    Unknown,
    V091,
    V10,
    /// 0-10: recognised only.
    V010,
}

/// A 0-9-1 message whose body is awaited.
#[derive(Debug, Clone)]
struct Pending {
    topic: Option<String>,
    body_size: u64,
}

/// AMQP dissector state.
#[derive(Debug, Default)]
pub(crate) struct Amqp {
    framing: [Framing; 2],
    /// Per direction: the message announced by the last publish/deliver, waiting for its body.
    pending: [Option<Pending>; 2],
    /// Per direction: AMQP 1.0 link handle → address (from attach).
    links: [HashMap<u32, String>; 2],
}

fn idx(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

fn shortstr(r: &mut Reader<'_>) -> Option<String> {
    clean_name(r.str8()?).map(str::to_string)
}

fn topic_name(exchange: &str, routing_key: &str) -> String {
    if exchange.is_empty() {
        routing_key.to_string()
    } else if routing_key.is_empty() {
        exchange.to_string()
    } else {
        format!("{exchange}/{routing_key}")
    }
}

impl Amqp {
    fn method(&mut self, side: Side, ts: Micros, body: &[u8], app: &mut AppInfo) -> Option<()> {
        let mut r = Reader::new(body);
        let class = r.u16()?;
        let method = r.u16()?;
        match (class, method) {
            (10, 11) => {
                let props = r.u32()? as usize;
                let props = r.bytes(props)?;
                // The name the application gave its connection (RabbitMQ shows it in its
                // management UI): the closest 0-9-1 has to a client id.
                if let Some(name) = table::long_string(props, b"connection_name")
                    .and_then(clean_name)
                    .filter(|s| !s.is_empty())
                {
                    app.add_client_id(name);
                }
                let mechanism = r.str8()?;
                let n = r.u32()? as usize;
                let response = r.bytes(n)?;
                let user = match mechanism {
                    b"PLAIN" => sasl_plain_user(response),
                    // The response is a field table without its length.
                    b"AMQPLAIN" => table::long_string(response, b"LOGIN").and_then(clean_name),
                    _ => None,
                };
                if let Some(u) = user.filter(|s| !s.is_empty()) {
                    app.add_username(u);
                }
            }
            (10, 40) => {
                let vhost = shortstr(&mut r)?;
                app.add_server_name(&format!("vhost:{vhost}"));
            }
            (60, 40) => {
                r.u16()?;
                let exchange = shortstr(&mut r)?;
                let key = shortstr(&mut r)?;
                self.pending[idx(side)] = Some(Pending {
                    topic: Some(topic_name(&exchange, &key)),
                    body_size: 0,
                });
            }
            (60, 60) | (60, 71) => {
                if method == 60 {
                    shortstr(&mut r)?;
                }
                r.u64()?;
                r.u8()?;
                let exchange = shortstr(&mut r)?;
                let key = shortstr(&mut r)?;
                self.pending[idx(side)] = Some(Pending {
                    topic: Some(topic_name(&exchange, &key)),
                    body_size: 0,
                });
            }
            (60, 20) | (50, 20) => {
                r.u16()?;
                let queue = shortstr(&mut r)?;
                if !queue.is_empty() {
                    app.add_topic(&queue, TopicDirection::Subscribe, 0);
                }
            }
            _ => {}
        }
        let _ = ts;
        Some(())
    }

    fn step_091(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let mut r = Reader::new(buf);
        let (Some(kind), Some(_channel), Some(size)) = (r.u8(), r.u16(), r.u32()) else {
            return Step::Need;
        };
        if !matches!(kind, 1 | 2 | 3 | 8) {
            return Step::Lost;
        }
        let total = 8 + u64::from(size);
        if total > buf.len() as u64 {
            if total <= BUF_CAP as u64 || buf.len() < BUF_CAP {
                return Step::Need;
            }
            if kind != 3 {
                return Step::Lost;
            }
        } else if buf.get(total as usize - 1) != Some(&0xce) {
            return Step::Lost;
        }
        let body = buf
            .get(7..(total as usize - 1).min(buf.len()))
            .unwrap_or(&[]);
        let i = idx(side);
        match kind {
            1 => {
                self.pending[i] = None;
                let _ = self.method(side, ts, body, app);
            }
            2 => {
                let mut h = Reader::new(body);
                let size = (h.u16(), h.u16(), h.u64());
                if let (Some(_class), Some(_weight), Some(body_size)) = size
                    && let Some(p) = &mut self.pending[i]
                {
                    p.body_size = body_size;
                    if body_size == 0 {
                        let topic = p.topic.take();
                        app.add_message(ts, side.message_direction(), topic.as_deref(), &[], 0);
                        self.pending[i] = None;
                    }
                }
            }
            3 => {
                if let Some(p) = self.pending[i].take() {
                    let size = u32::try_from(p.body_size).unwrap_or(u32::MAX);
                    app.add_message(ts, side.message_direction(), p.topic.as_deref(), body, size);
                }
            }
            _ => {
                if side == Side::Client {
                    app.pings += 1;
                }
            }
        }
        if total > buf.len() as u64 {
            Step::Skip(total)
        } else {
            Step::Used(total as usize)
        }
    }

    fn step_10(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let mut r = Reader::new(buf);
        let (Some(size), Some(doff), Some(kind), Some(_channel)) =
            (r.u32(), r.u8(), r.u8(), r.u16())
        else {
            return Step::Need;
        };
        let size = size as usize;
        if size < 8 || usize::from(doff) * 4 > size || kind > 1 {
            return Step::Lost;
        }
        let whole = size <= buf.len();
        if !whole && (size <= BUF_CAP || buf.len() < BUF_CAP) {
            return Step::Need;
        }
        let body = buf
            .get(usize::from(doff) * 4..size.min(buf.len()))
            .unwrap_or(&[]);
        let _ = self.performative(side, ts, body, size, app);
        if whole {
            Step::Used(size)
        } else {
            Step::Skip(size as u64)
        }
    }

    fn performative(
        &mut self,
        side: Side,
        ts: Micros,
        body: &[u8],
        frame_size: usize,
        app: &mut AppInfo,
    ) -> Option<()> {
        let mut r = Reader::new(body);
        let code = described_code(&mut r)?;
        let fields = list_fields(&mut r)?;
        let field = |i: usize| fields.get(i).copied().flatten();
        match code {
            // sasl-init: mechanism, initial-response, hostname
            0x41 => {
                if field(0).and_then(as_bytes) == Some(b"PLAIN")
                    && let Some(user) = field(1).and_then(as_bytes).and_then(sasl_plain_user)
                {
                    app.add_username(user);
                }
                if let Some(h) = field(2).and_then(as_str) {
                    app.add_server_name(h);
                }
            }
            // open: container-id, hostname
            0x10 => {
                if let Some(c) = field(0).and_then(as_str)
                    && side == Side::Client
                {
                    app.add_client_id(c);
                }
                if let Some(h) = field(1).and_then(as_str) {
                    app.add_server_name(h);
                }
            }
            // attach: name, handle, role, snd-settle, rcv-settle, source, target
            0x12 => {
                let handle = field(1).and_then(as_uint)?;
                let receiver = field(2).and_then(as_bool)?;
                let terminus = if receiver { field(5) } else { field(6) };
                let address = terminus.and_then(terminus_address);
                if let Some(a) = address {
                    if side == Side::Client {
                        let dir = if receiver {
                            TopicDirection::Subscribe
                        } else {
                            TopicDirection::Publish
                        };
                        app.add_topic(&a, dir, 0);
                    }
                    let links = &mut self.links[idx(side)];
                    if links.len() < MAX_LINKS || links.contains_key(&handle) {
                        links.insert(handle, a);
                    }
                }
            }
            // transfer: handle, ...; the message follows the performative.
            0x14 => {
                let handle = field(0).and_then(as_uint)?;
                let topic = self.links[idx(side)].get(&handle).cloned();
                let payload = r.rest();
                let size = u32::try_from(frame_size.saturating_sub(body.len() - payload.len()))
                    .unwrap_or(u32::MAX);
                let _ = size;
                let payload_size = u32::try_from(payload.len()).unwrap_or(u32::MAX);
                app.add_message(
                    ts,
                    side.message_direction(),
                    topic.as_deref(),
                    payload,
                    payload_size,
                );
            }
            _ => {}
        }
        Some(())
    }
}

impl Dissect for Amqp {
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let i = idx(side);
        if buf.starts_with(b"AMQP") {
            if buf.len() < 8 {
                return Step::Need;
            }
            let Some(version) = header_at(buf) else {
                return Step::Lost;
            };
            if side == Side::Client || app.protocol_version.is_none() {
                app.protocol_version = Some(version.to_string());
            }
            match buf.get(4) {
                Some(2) => {
                    // AMQP 1.0 over TLS: the rest is encrypted.
                    app.tls = true;
                    return Step::Stop;
                }
                Some(1) if buf.get(7) == Some(&0x0a) => self.framing[i] = Framing::V010,
                Some(0) if buf.get(5) == Some(&0) => self.framing[i] = Framing::V091,
                _ => self.framing[i] = Framing::V10,
            }
            return Step::Used(8);
        }
        if self.framing[i] == Framing::Unknown {
            let other = self.framing[1 - i];
            self.framing[i] = if other != Framing::Unknown {
                other
            } else if frame_091(buf).is_some()
                || buf.first().is_some_and(|b| matches!(b, 1..=3 | 8))
            {
                Framing::V091
            } else {
                Framing::V10
            };
        }
        match self.framing[i] {
            Framing::V091 | Framing::Unknown => self.step_091(side, ts, buf, app),
            Framing::V10 => self.step_10(side, ts, buf, app),
            Framing::V010 => Step::Used(buf.len()),
        }
    }

    fn resync(&self, side: Side, buf: &[u8]) -> Option<usize> {
        if let Some(at) = memchr::memmem::find_iter(buf, b"AMQP")
            .find(|&i| buf.get(i..).and_then(header_at).is_some())
        {
            return Some(at);
        }
        match self.framing[idx(side)] {
            Framing::V10 => (0..buf.len().min(SCAN_WINDOW))
                .find(|&at| frame_10(buf.get(at..).unwrap_or(&[])).is_some()),
            Framing::V010 => Some(0),
            _ => (0..buf.len().min(SCAN_WINDOW))
                .find(|&at| chain_091(buf.get(at..).unwrap_or(&[]), true)),
        }
    }

    fn gap(&mut self, side: Side) {
        self.pending[idx(side)] = None;
    }
}

#[cfg(test)]
mod tests;
