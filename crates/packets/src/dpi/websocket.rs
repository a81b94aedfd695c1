//! WebSocket carrier (RFC 6455): recognises the HTTP Upgrade request and its
//! `Sec-WebSocket-Protocol` (`mqtt`, `mqttv3.1`, `xmpp`, `v1x.stomp`, `amqp`), reads the server's
//! `101` reply, then unmasks data frames and feeds their payloads to a nested engine that
//! dissects the protocol inside (or, with no pub/sub subprotocol, tries to recognise one).
//! Also recognises plain HTTP that is neither an upgrade nor a CONNECT tunnel, so the session
//! can be given up early instead of being scanned for signatures it cannot hold.

use super::dissect::{Dissect, Found, Nested, Side, Step};
use super::text::{find, find_ci, starts_with_ci};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol};

/// Longest HTTP header block read.
const MAX_HEAD: usize = 16 * 1024;
const METHODS: [&[u8]; 8] = [
    b"GET ",
    b"POST ",
    b"PUT ",
    b"HEAD ",
    b"DELETE ",
    b"OPTIONS ",
    b"PATCH ",
    b"CONNECT ",
];

/// The HTTP head at the front of `buf` (up to and including the blank line), if complete.
fn http_head(buf: &[u8]) -> Option<&[u8]> {
    let window = buf.get(..buf.len().min(MAX_HEAD)).unwrap_or(buf);
    let end = find(window, b"\r\n\r\n")?;
    window.get(..end + 4)
}

/// The value of header `name` (without the colon) in an HTTP head.
fn header_value<'a>(head: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    for line in head.split(|b| *b == b'\n') {
        if starts_with_ci(line, name) && line.get(name.len()) == Some(&b':') {
            let value = line.get(name.len() + 1..)?;
            return Some(value.trim_ascii());
        }
    }
    None
}

/// The pub/sub protocol a WebSocket subprotocol token names.
fn subprotocol(tokens: &[u8]) -> Option<Protocol> {
    for token in tokens.split(|b| *b == b',') {
        let t = token.trim_ascii().to_ascii_lowercase();
        let p = match t.as_slice() {
            b"mqtt" | b"mqttv3.1" | b"mqttv3.1.1" | b"mqttv5" | b"mqttv5.0" => Protocol::Mqtt,
            b"xmpp" => Protocol::Xmpp,
            b"v10.stomp" | b"v11.stomp" | b"v12.stomp" | b"stomp" => Protocol::Stomp,
            b"amqp" => Protocol::Amqp,
            _ => continue,
        };
        return Some(p);
    }
    None
}

/// A WebSocket upgrade request at the front of the client's bytes.
pub(crate) fn detect(side: Side, buf: &[u8]) -> Option<Found> {
    if side != Side::Client || !buf.starts_with(b"GET ") {
        return None;
    }
    let head = http_head(buf)?;
    let upgrade = header_value(head, b"upgrade")?;
    if !upgrade.eq_ignore_ascii_case(b"websocket") {
        return None;
    }
    let protocol = header_value(head, b"sec-websocket-protocol").and_then(subprotocol);
    Some(Found {
        offset: 0,
        protocol,
    })
}

/// Plain HTTP (a request that is not a WebSocket upgrade nor a CONNECT, or a response) at the
/// front of the bytes: nothing pub/sub can follow on this connection.
pub(crate) fn detect_plain_http(_side: Side, buf: &[u8]) -> Option<Found> {
    let is_request = METHODS.iter().any(|m| buf.starts_with(m));
    let is_response = buf.starts_with(b"HTTP/1.");
    if !(is_request || is_response) || buf.starts_with(b"CONNECT ") {
        return None;
    }
    let head = http_head(buf)?;
    if find_ci(head, b"\nupgrade:").is_some() || head.starts_with(b"HTTP/1.1 101") {
        return None;
    }
    // A `200` answer to a CONNECT opens a tunnel: keep looking.
    if is_response && head.get(8..13) == Some(b" 200 ") && head.len() < 256 {
        return None;
    }
    Some(Found {
        offset: 0,
        protocol: None,
    })
}

/// Reading position within one direction's frames.
#[derive(Debug, Default, Clone, Copy)]
struct FrameState {
    /// Payload bytes of the current frame still to read.
    remaining: u64,
    mask: Option<[u8; 4]>,
    /// Offset in the mask for the next payload byte.
    mask_pos: usize,
    /// Whether the current frame carries data (not a control frame).
    data: bool,
    /// Whether the HTTP head of this direction was read.
    head_done: bool,
}

/// WebSocket dissector: frames of both directions, payloads into a nested engine `E` (the
/// parent module's engine, named here only through [`Nested`]).
#[derive(Debug)]
pub(crate) struct WebSocket<E> {
    inner: Box<E>,
    frames: [FrameState; 2],
    announced: Option<Protocol>,
}

impl<E: Nested> WebSocket<E> {
    pub(crate) fn new(protocol: Option<Protocol>) -> Self {
        let inner = match protocol {
            Some(p) => E::nested_with(Some(p)),
            None => E::nested_detecting(),
        };
        WebSocket {
            inner: Box::new(inner),
            frames: [FrameState::default(); 2],
            announced: protocol,
        }
    }

    fn frame_header(&mut self, side: Side, buf: &[u8]) -> Step {
        let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
            return Step::Need;
        };
        let opcode = b0 & 0x0f;
        if b0 & 0x70 != 0 || !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
            return Step::Lost;
        }
        let masked = b1 & 0x80 != 0;
        let (len, mut at) = match b1 & 0x7f {
            126 => match (buf.get(2), buf.get(3)) {
                (Some(&a), Some(&b)) => (u64::from(u16::from_be_bytes([a, b])), 4),
                _ => return Step::Need,
            },
            127 => match buf.get(2..10).and_then(|b| <[u8; 8]>::try_from(b).ok()) {
                Some(b) => (u64::from_be_bytes(b), 10),
                None => return Step::Need,
            },
            n => (u64::from(n), 2),
        };
        let mask = if masked {
            match buf
                .get(at..at + 4)
                .and_then(|m| <[u8; 4]>::try_from(m).ok())
            {
                Some(m) => {
                    at += 4;
                    Some(m)
                }
                None => return Step::Need,
            }
        } else {
            None
        };
        let state = &mut self.frames[idx(side)];
        state.remaining = len;
        state.mask = mask;
        state.mask_pos = 0;
        state.data = opcode <= 2;
        Step::Used(at)
    }
}

fn idx(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

impl<E: Nested> Dissect for WebSocket<E> {
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let state = self.frames[idx(side)];
        if !state.head_done {
            let Some(head) = http_head(buf) else {
                return if buf.len() >= MAX_HEAD {
                    Step::Stop
                } else {
                    Step::Need
                };
            };
            if side == Side::Server && !head.starts_with(b"HTTP/1.1 101") {
                // The upgrade was refused.
                return Step::Stop;
            }
            self.frames[idx(side)].head_done = true;
            return Step::Used(head.len());
        }
        if state.remaining == 0 {
            return self.frame_header(side, buf);
        }
        let n = usize::try_from(state.remaining)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let chunk = buf.get(..n).unwrap_or(&[]);
        let s = &mut self.frames[idx(side)];
        s.remaining -= n as u64;
        if s.data {
            let payload: Vec<u8> = match s.mask {
                Some(mask) => chunk
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b ^ mask[(s.mask_pos + i) % 4])
                    .collect(),
                None => chunk.to_vec(),
            };
            s.mask_pos = (s.mask_pos + n) % 4;
            self.inner.feed(side, ts, &payload, app);
            if self.announced.is_none() && app.protocol.is_some() {
                app.websocket = true;
            }
        }
        Step::Used(n)
    }

    fn resync(&self, side: Side, buf: &[u8]) -> Option<usize> {
        if !self.frames[idx(side)].head_done {
            return find(buf, b"\r\n\r\n").map(|i| i + 4);
        }
        // A frame header at the front: opcode known, reserved bits clear.
        buf.first()
            .is_some_and(|b| b & 0x70 == 0 && matches!(b & 0x0f, 0 | 1 | 2 | 8 | 9 | 10))
            .then_some(0)
    }

    fn gap(&mut self, side: Side) {
        let s = &mut self.frames[idx(side)];
        s.remaining = 0;
        s.head_done = true;
        self.inner.gap(side);
    }

    fn memory(&self) -> usize {
        self.inner.memory()
    }

    fn shed(&mut self) {
        self.inner.shed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpi::Side::*;
    use crate::dpi::testutil::run;

    fn masked_frame(payload: &[u8]) -> Vec<u8> {
        let mask = [0x12, 0x34, 0x56, 0x78];
        let mut f = vec![0x82, 0x80 | payload.len() as u8];
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        f
    }

    const UPGRADE: &[u8] = b"GET /mqtt HTTP/1.1\r\nHost: broker.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: mqtt\r\nSec-WebSocket-Version: 13\r\n\r\n";
    const SWITCHING: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";

    #[test]
    fn mqtt_over_websocket() {
        let connect = b"\x10\x12\x00\x04MQTT\x04\x02\x00\x3c\x00\x06ws-bot";
        let publish = b"\x30\x0b\x00\x05c2/upping";
        let app = run(&[
            (Client, UPGRADE),
            (Server, SWITCHING),
            (Client, &masked_frame(connect)),
            (Server, b"\x82\x04\x20\x02\x00\x00"),
            (Client, &masked_frame(publish)),
        ]);
        assert_eq!(app.protocol, Some(Protocol::Mqtt));
        assert!(app.websocket);
        assert!(app.client_ids.contains("ws-bot"));
        assert_eq!(app.protocol_version.as_deref(), Some("3.1.1"));
        assert_eq!(app.topics[0].name, "c2/up");
        assert_eq!(app.messages[0].size, 4);
    }

    #[test]
    fn upgrade_without_subprotocol_detects_inside() {
        let upgrade =
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
        let stomp = b"CONNECT\naccept-version:1.2\nhost:broker\n\n\0";
        let app = run(&[
            (Client, upgrade),
            (Server, SWITCHING),
            (Client, &masked_frame(stomp)),
        ]);
        assert_eq!(app.protocol, Some(Protocol::Stomp));
        assert!(app.websocket);
    }

    #[test]
    fn plain_http_is_nothing() {
        let req = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8\r\n\r\n";
        let resp = b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nCONNECT {}\r\n";
        let mut inspector = crate::dpi::SessionInspector::new();
        inspector.feed(Client, 0, 0, req);
        assert!(!inspector.wants_more());
        inspector.feed(Server, 1, 1, resp);
        let app = inspector.finish();
        assert_eq!(app.protocol, None);
        assert!(!app.websocket);
    }
}
