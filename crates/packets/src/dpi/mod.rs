//! Deep packet inspection: recognises publish/subscribe protocols in the reassembled bytes of a
//! TCP session, on any port and from the middle of a stream, and extracts what they say into an
//! [`AppInfo`]. One module per protocol.
//!
//! The flow layer owns one [`SessionInspector`] per TCP flow and feeds it the in-order bytes of
//! each direction as reassembly releases them; it reports gaps (lost or uncaptured bytes) so
//! the inspector can resynchronise.
//!
//! How it works: an [`Engine`] keeps one bounded buffer per direction ([`BUF_CAP`]). While no
//! protocol is known, every protocol's `detect` scans the buffered bytes for a signature (a
//! strict first message such as an MQTT CONNECT or the AMQP header, or, mid-stream, two or more
//! consecutive well-formed messages; on a standard MQTT port, given by the flow as a
//! [`PortHint`], two MQTT packets with a topic are enough). The first match picks a dissector,
//! which then walks the messages of both directions by their lengths; messages larger than the
//! buffer are read from their buffered prefix and the rest is skipped by length without being
//! stored. After a gap, or when a message does not parse, the dissector resynchronises with the
//! same kind of scan. The WebSocket dissector runs a nested engine on the unmasked frame
//! payloads.
//!
//! Choices that are not obvious from the protocols: AMQP 0-9-1 virtual hosts go to
//! `server_names` as `vhost:<name>`; AMQP publish/deliver topics are `<exchange>/<routing key>`
//! (just the routing key for the default exchange); an MQTT will topic and every subscription is
//! a topic with zero messages; an XMPP client's own full JID is its client id, and its topics
//! are publish/subscribe nodes and multi-user chat rooms, never a one-to-one correspondent.

mod amqp;
mod dissect;
mod kafka;
mod mqtt;
mod nats;
mod openwire;
mod stomp;
mod text;
mod tls;
mod websocket;
mod xmpp;

use dissect::{BUF_CAP, Dissect, Found, Nested, Step};
use pubsub_hunt_core::AppInfo;
use pubsub_hunt_core::Protocol;
use pubsub_hunt_core::time::Micros;

pub use dissect::{PortHint, Side};

/// While nothing is recognised, most bytes kept per direction for the signature scan.
const DETECT_KEEP: usize = 16 * 1024;
/// Bytes seen (both directions) after which an unrecognised session is given up.
const DETECT_GIVE_UP: u64 = 256 * 1024;
/// A failed scan is repeated only after this many new bytes (keeps byte-by-byte feeding linear);
/// `finish` always runs a last scan.
const RESCAN_STEP: usize = 1024;
/// A repeated scan starts this many bytes before where the last one ended, so a message that
/// straddled the end is seen whole; older offsets are not examined again (keeps the cost of an
/// unrecognised session linear in its size).
const RESCAN_LOOKBACK: usize = 2048;
/// An emptied direction buffer whose capacity grew past this gives it back: an idle flow
/// that once buffered a large message must not keep the allocation (at the flow cap that is
/// gigabytes).
const KEEP_CAPACITY: usize = 4096;

/// The detectors, in priority order for matches at the same offset.
type Detector = fn(Side, &[u8]) -> Option<Found>;
const DETECTORS: [(Kind, Detector); 10] = [
    (Kind::Tls, tls::detect),
    (Kind::WebSocket, websocket::detect),
    (Kind::Amqp, amqp::detect),
    // On a port hinted as MQTT, `Engine::detect` runs `mqtt::detect_on_port` instead.
    (Kind::Mqtt, mqtt::detect),
    (Kind::Xmpp, xmpp::detect),
    (Kind::Stomp, stomp::detect),
    (Kind::Nats, nats::detect),
    (Kind::Kafka, kafka::detect),
    (Kind::OpenWire, openwire::detect),
    (Kind::Http, websocket::detect_plain_http),
];

/// What a detector recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Tls,
    WebSocket,
    Amqp,
    Mqtt,
    Xmpp,
    Stomp,
    Nats,
    Kafka,
    OpenWire,
    /// Plain HTTP that is not a WebSocket upgrade nor a CONNECT tunnel: nothing to find.
    Http,
}

/// The dissector of a protocol; `None` for [`Protocol::Unidentified`], which has none.
fn dissector_for(protocol: Protocol) -> Option<Box<dyn Dissect>> {
    Some(match protocol {
        Protocol::Mqtt => Box::new(mqtt::Mqtt::default()),
        Protocol::Xmpp => Box::new(xmpp::Xmpp::default()),
        Protocol::Amqp => Box::new(amqp::Amqp::default()),
        Protocol::Stomp => Box::new(stomp::Stomp::default()),
        Protocol::Nats => Box::new(nats::Nats),
        Protocol::Kafka => Box::new(kafka::Kafka),
        Protocol::OpenWire => Box::new(openwire::OpenWire),
        Protocol::Unidentified => return None,
    })
}

/// The bytes of one direction waiting to be parsed.
#[derive(Debug, Default)]
struct DirBuf {
    buf: Vec<u8>,
    /// Bytes at the front of `buf` already used.
    pos: usize,
    /// Bytes still to drop before buffering again (the rest of a message too large to buffer).
    skip: u64,
    /// Whether `buf[pos..]` starts at a message boundary.
    synced: bool,
    /// Unused length at the last scan that found nothing.
    scanned_len: Option<usize>,
    /// Whether bytes of this direction were lost.
    had_gap: bool,
    /// Where in `pending()` chains start that the last scan found cut by the end of the bytes
    /// (a large message still arriving), to be tried again even once they are older than the
    /// next scan's window.
    held: mqtt::Held,
}

impl DirBuf {
    fn pending(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }
    fn consume(&mut self, n: usize) {
        for h in &mut self.held {
            *h = h.and_then(|h| h.checked_sub(n));
        }
        self.pos = (self.pos + n).min(self.buf.len());
        if self.pos == self.buf.len() {
            if self.buf.capacity() > KEEP_CAPACITY {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
            self.pos = 0;
        }
    }
    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }
    /// Keeps only the last `keep` unused bytes.
    fn keep_tail(&mut self, keep: usize) {
        let len = self.pending().len();
        if len > keep {
            self.consume(len - keep);
        }
    }
    /// Where a repeated scan starts in `pending()`.
    fn scan_start(&self) -> usize {
        self.scanned_len
            .map_or(0, |s| s.saturating_sub(RESCAN_LOOKBACK))
            .min(self.pending().len())
    }
    /// Whether a scan that failed before should be skipped now (too few new bytes).
    fn scan_is_stale(&self, force: bool) -> bool {
        let len = self.pending().len();
        !force
            && self
                .scanned_len
                .is_some_and(|s| len < s.saturating_add(RESCAN_STEP) && len >= RESCAN_STEP)
    }
    fn reset(&mut self) {
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        }
        self.buf.clear();
        self.pos = 0;
        self.skip = 0;
        self.synced = false;
        self.scanned_len = None;
        self.held = mqtt::Held::default();
    }
}

#[derive(Debug)]
enum State {
    Detecting,
    Active(Box<dyn Dissect>),
    Done,
}

/// Detection and dissection of one byte stream pair; [`SessionInspector`] runs one on the TCP
/// payload and the WebSocket dissector runs a nested one on frame payloads.
#[derive(Debug)]
pub(crate) struct Engine {
    dirs: [DirBuf; 2],
    state: State,
    /// Whether this engine runs inside a carrier (no TLS, WebSocket or HTTP detection).
    nested: bool,
    /// Bytes seen while detecting, both directions.
    detect_seen: u64,
    /// What the server port hints (never set for a nested engine).
    port: PortHint,
}

impl Engine {
    fn new(nested: bool) -> Self {
        Engine {
            dirs: [DirBuf::default(), DirBuf::default()],
            state: State::Detecting,
            nested,
            detect_seen: 0,
            port: PortHint::Other,
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    pub(crate) fn feed(&mut self, side: Side, ts: Micros, mut data: &[u8], app: &mut AppInfo) {
        while !data.is_empty() {
            if self.is_done() {
                return;
            }
            let d = &mut self.dirs[side.index()];
            if d.skip > 0 {
                let n = usize::try_from(d.skip)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                data = data.get(n..).unwrap_or(&[]);
                d.skip -= n as u64;
                continue;
            }
            d.compact();
            let room = BUF_CAP.saturating_sub(d.buf.len());
            if room == 0 {
                // A dissector left a full buffer unparsed: treat the front as lost.
                d.consume(1);
                d.synced = false;
                continue;
            }
            let n = room.min(data.len());
            let (now, rest) = data.split_at(n);
            d.buf.extend_from_slice(now);
            data = rest;
            if matches!(self.state, State::Detecting) {
                self.detect_seen += n as u64;
            }
            self.process(side, ts, app, false);
        }
    }

    /// Bytes buffered, this engine's and any nested one's.
    pub(crate) fn memory(&self) -> usize {
        let own: usize = self.dirs.iter().map(|d| d.buf.capacity()).sum();
        let nested = match &self.state {
            State::Active(dis) => dis.memory(),
            _ => 0,
        };
        own + nested
    }

    /// Drops every buffered byte: each direction holding some is treated as having a gap.
    pub(crate) fn shed(&mut self) {
        for side in [Side::Client, Side::Server] {
            let d = &mut self.dirs[side.index()];
            if d.buf.capacity() > 0 {
                self.gap(side);
                self.dirs[side.index()].buf = Vec::new();
            }
        }
        if let State::Active(dis) = &mut self.state {
            dis.shed();
        }
    }

    pub(crate) fn gap(&mut self, side: Side) {
        let d = &mut self.dirs[side.index()];
        d.reset();
        d.had_gap = true;
        if let State::Active(dis) = &mut self.state {
            dis.gap(side);
        }
    }

    /// Runs the scans that were postponed for lack of new bytes.
    pub(crate) fn flush(&mut self, ts: Micros, app: &mut AppInfo) {
        for side in [Side::Client, Side::Server] {
            self.process(side, ts, app, true);
        }
    }

    fn process(&mut self, side: Side, ts: Micros, app: &mut AppInfo, force: bool) {
        if matches!(self.state, State::Detecting) {
            self.detect(side, app, force);
        }
        if let State::Active(_) = self.state {
            self.pump(side, ts, app, force);
            let other = match side {
                Side::Client => Side::Server,
                Side::Server => Side::Client,
            };
            // The other direction may hold bytes buffered before the protocol was known.
            if !self.dirs[other.index()].pending().is_empty() {
                self.pump(other, ts, app, force);
            }
        }
    }

    fn detect(&mut self, side: Side, app: &mut AppInfo, force: bool) {
        let d = &self.dirs[side.index()];
        if d.scan_is_stale(force) {
            return;
        }
        let start = d.scan_start();
        let window = d.pending().get(start..).unwrap_or(&[]);
        let mut best: Option<(Kind, Found)> = None;
        let mut held = mqtt::Held::default();
        for (kind, detector) in DETECTORS {
            if self.nested && matches!(kind, Kind::Tls | Kind::WebSocket | Kind::Http) {
                continue;
            }
            // Signatures that only count at the very start of a stream are not looked for in
            // a later window.
            if start > 0 && matches!(kind, Kind::Tls | Kind::WebSocket | Kind::Http | Kind::Kafka) {
                continue;
            }
            let found = match (kind, self.port) {
                (Kind::Mqtt, PortHint::Mqtt) => {
                    let scan = mqtt::detect_on_port(d.pending(), start, &d.held);
                    held = scan.held;
                    scan.found.map(|offset| Found {
                        offset,
                        protocol: Some(Protocol::Mqtt),
                    })
                }
                _ => detector(side, window).map(|mut f| {
                    f.offset += start;
                    f
                }),
            };
            if let Some(mut found) = found
                && best.is_none_or(|(_, b)| found.offset < b.offset)
            {
                found.offset = found.offset.min(d.pending().len());
                best = Some((kind, found));
            }
        }
        let Some((kind, found)) = best else {
            let d = &mut self.dirs[side.index()];
            d.held = held;
            d.keep_tail(DETECT_KEEP);
            d.scanned_len = Some(d.pending().len());
            if self.detect_seen > DETECT_GIVE_UP {
                self.stop();
            }
            return;
        };
        let dissector: Box<dyn Dissect> = match kind {
            Kind::Http => {
                self.stop();
                return;
            }
            Kind::Tls => {
                tls::read_client_hello(d.pending().get(found.offset..).unwrap_or(&[]), app);
                self.stop();
                return;
            }
            Kind::WebSocket => Box::new(websocket::WebSocket::<Engine>::new(found.protocol)),
            _ => match found.protocol.and_then(dissector_for) {
                Some(d) => d,
                None => return,
            },
        };
        if found.protocol.is_some() {
            app.protocol = found.protocol;
        }
        if kind == Kind::WebSocket && found.protocol.is_some() {
            app.websocket = true;
        }
        let this = &mut self.dirs[side.index()];
        let from_start = found.offset == 0 && !this.had_gap;
        this.consume(found.offset);
        this.synced = true;
        let other_side = match side {
            Side::Client => Side::Server,
            Side::Server => Side::Client,
        };
        let other = &mut self.dirs[other_side.index()];
        // Seen from its start, the other direction starts at a message boundary too; otherwise
        // the dissector finds one.
        other.synced = from_start && !other.had_gap && kind != Kind::WebSocket;
        if kind == Kind::WebSocket {
            // The server's reply is an HTTP response the WebSocket dissector reads.
            other.synced = !other.had_gap;
        }
        other.scanned_len = None;
        self.state = State::Active(dissector);
    }

    fn pump(&mut self, side: Side, ts: Micros, app: &mut AppInfo, force: bool) {
        let State::Active(dis) = &mut self.state else {
            return;
        };
        let d = &mut self.dirs[side.index()];
        loop {
            if d.skip > 0 {
                return;
            }
            if !d.synced {
                if d.scan_is_stale(force) {
                    return;
                }
                let start = d.scan_start();
                match dis.resync(side, d.pending().get(start..).unwrap_or(&[])) {
                    Some(offset) => {
                        d.consume(start + offset);
                        d.synced = true;
                        d.scanned_len = None;
                        dis.front_moved(side);
                    }
                    None => {
                        d.keep_tail(DETECT_KEEP);
                        d.scanned_len = Some(d.pending().len());
                        return;
                    }
                }
            }
            let pending = d.pending();
            if pending.is_empty() {
                return;
            }
            let len = pending.len();
            match dis.step(side, ts, pending, app) {
                Step::Need => {
                    if len >= BUF_CAP {
                        // A message of unknown length larger than the buffer: what is held
                        // of it cannot be read. Dropping one byte and resynchronising would
                        // run the dissector over the full buffer again every few bytes; the
                        // whole buffer goes, and the next message is looked for after it.
                        d.consume(len);
                        d.synced = false;
                        d.scanned_len = None;
                        dis.gap(side);
                        continue;
                    }
                    return;
                }
                Step::Used(n) => d.consume(n.max(1)),
                Step::Skip(total) => {
                    d.skip = total.saturating_sub(len as u64);
                    d.consume(len);
                }
                Step::Lost => {
                    d.consume(1);
                    d.synced = false;
                    d.scanned_len = None;
                }
                Step::Stop => {
                    self.stop();
                    return;
                }
            }
        }
    }

    fn stop(&mut self) {
        self.state = State::Done;
        for d in &mut self.dirs {
            d.reset();
            d.buf = Vec::new();
        }
    }
}

impl Nested for Engine {
    fn nested_with(protocol: Option<Protocol>) -> Self {
        let mut engine = Engine::new(true);
        if let Some(d) = protocol.and_then(dissector_for) {
            engine.state = State::Active(d);
            for d in &mut engine.dirs {
                d.synced = true;
            }
        }
        engine
    }

    fn nested_detecting() -> Self {
        Engine::new(true)
    }

    fn feed(&mut self, side: Side, ts: Micros, data: &[u8], app: &mut AppInfo) {
        // The inherent method, not this one.
        Engine::feed(self, side, ts, data, app);
    }

    fn gap(&mut self, side: Side) {
        Engine::gap(self, side);
    }

    fn memory(&self) -> usize {
        Engine::memory(self)
    }

    fn shed(&mut self) {
        Engine::shed(self);
    }
}

/// Memory counted per stored name (client id, topic, …) in [`SessionInspector::memory`]: the
/// string and its set node, for a typical name.
const NAME_ESTIMATE: usize = 96;

/// Inspects one TCP session.
#[derive(Debug)]
pub struct SessionInspector {
    app: AppInfo,
    engine: Engine,
    last_ts: Micros,
}

impl Default for SessionInspector {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionInspector {
    pub fn new() -> Self {
        SessionInspector {
            app: AppInfo::default(),
            engine: Engine::new(false),
            last_ts: 0,
        }
    }

    /// An inspector for a session whose server listens on `port` (see [`PortHint`]).
    pub fn with_server_port(port: u16) -> Self {
        let mut inspector = Self::new();
        inspector.engine.port = PortHint::of_server_port(port);
        inspector
    }

    /// In-order bytes of one direction, as reassembly releases them. `packet` is the capture's
    /// packet number of the segment that completed them (for `first_packet` evidence).
    pub fn feed(&mut self, side: Side, ts: Micros, _packet: u64, data: &[u8]) {
        self.last_ts = ts;
        self.engine.feed(side, ts, data, &mut self.app);
    }

    /// Bytes of one direction were lost (not captured or beyond the reassembly bound); the
    /// next `feed` of that side starts somewhere in the middle of the stream.
    pub fn gap(&mut self, side: Side) {
        self.engine.gap(side);
    }

    /// Approximate memory of the inspection: buffered bytes plus what the findings hold (the
    /// capacity of the message and topic lists, a flat estimate per name). Kept cheap, since
    /// the flow table asks after every segment.
    pub fn memory(&self) -> usize {
        let app = &self.app;
        let names = app.client_ids.len()
            + app.usernames.len()
            + app.server_names.len()
            + app.alpn.len()
            + app.peers.len()
            + app.topics.len();
        self.engine.memory()
            + app.messages.capacity() * std::mem::size_of::<pubsub_hunt_core::MessageEvent>()
            + app.topics.capacity() * std::mem::size_of::<pubsub_hunt_core::TopicUse>()
            + names * NAME_ESTIMATE
    }

    /// Frees the buffered bytes (the memory budget was met): every direction holding some has
    /// a gap, as if they had not been captured. What was learned so far stays.
    pub fn shed(&mut self) {
        self.engine.shed();
    }

    /// Stops inspecting: later bytes are not looked at.
    pub fn stop(&mut self) {
        self.engine.stop();
    }

    /// Whether the inspector still wants bytes (false once the session is encrypted or
    /// recognised as nothing it knows and more bytes cannot change that).
    pub fn wants_more(&self) -> bool {
        !self.engine.is_done()
    }

    /// What was learned so far, while inspection goes on (a live capture's report on a session
    /// still open); a message still held in part is not in it.
    pub fn learned(&self) -> AppInfo {
        self.app.clone()
    }

    /// What was learned; `app.protocol` is set when a protocol was recognised.
    pub fn finish(mut self) -> AppInfo {
        self.engine.flush(self.last_ts, &mut self.app);
        self.app
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;

    /// Feeds whole byte strings, one `feed` per message, alternating as given.
    pub fn run(parts: &[(Side, &[u8])]) -> AppInfo {
        let mut inspector = SessionInspector::new();
        for (i, (side, data)) in parts.iter().enumerate() {
            inspector.feed(*side, i as Micros * 1_000_000, i as u64, data);
        }
        inspector.finish()
    }

    /// Feeds whole byte strings to the inspector of a session whose server port is `port`, as
    /// the flow layer does, each string cut into `segment`-byte pieces.
    pub fn run_on_port(port: u16, segment: usize, parts: &[(Side, &[u8])]) -> AppInfo {
        let mut inspector = SessionInspector::with_server_port(port);
        for (i, (side, data)) in parts.iter().enumerate() {
            for piece in data.chunks(segment.max(1)) {
                inspector.feed(*side, i as Micros * 1_000_000, i as u64, piece);
            }
        }
        inspector.finish()
    }

    /// Feeds the same exchange one byte at a time.
    pub fn run_bytewise(parts: &[(Side, &[u8])]) -> AppInfo {
        let mut inspector = SessionInspector::new();
        for (i, (side, data)) in parts.iter().enumerate() {
            for b in data.iter() {
                inspector.feed(
                    *side,
                    i as Micros * 1_000_000,
                    i as u64,
                    std::slice::from_ref(b),
                );
            }
        }
        inspector.finish()
    }
}
