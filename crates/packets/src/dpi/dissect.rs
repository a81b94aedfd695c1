//! The contract between the detection engine and the per-protocol dissectors: which end sent
//! the bytes ([`Side`]), what a dissector did with them ([`Step`]), where a signature was found
//! ([`Found`]), the [`Dissect`] trait every dissector implements, the [`Nested`] engine a
//! carrier feeds unwrapped payloads to, the per-direction buffer bound ([`BUF_CAP`]) and what
//! the server port hints ([`PortHint`]). It imports no dissector, so every dissector can depend
//! on it.

use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol};

/// Most bytes buffered per direction; larger messages are read from their prefix and skipped.
pub(crate) const BUF_CAP: usize = 64 * 1024;

/// Which end of the connection sent the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The initiator (the side that sent the SYN, or the one the flow layer believes started).
    Client,
    Server,
}

impl Side {
    /// Slot of this side in per-direction arrays.
    pub(super) fn index(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 1,
        }
    }

    /// The direction of an application message sent by this side.
    pub(crate) fn message_direction(self) -> pubsub_hunt_core::TopicDirection {
        match self {
            Side::Client => pubsub_hunt_core::TopicDirection::Publish,
            Side::Server => pubsub_hunt_core::TopicDirection::Subscribe,
        }
    }
}

/// What the server's port says about the session. The bytes decide the protocol; a standard
/// port only lets a detector decide on a shorter chain of well-formed messages, where the
/// traffic is expected (the reason for the hint: sessions picked up mid-stream on a broker's
/// own port, with few messages in the capture).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PortHint {
    /// Any port without a hint (also: unknown, or a carrier's payload).
    #[default]
    Other,
    /// One of MQTT's standard ports (`Protocol::standard_ports`: 1883, 8883).
    Mqtt,
}

impl PortHint {
    /// The hint of a server port.
    pub fn of_server_port(port: u16) -> Self {
        if pubsub_hunt_core::Protocol::Mqtt
            .standard_ports()
            .contains(&port)
        {
            PortHint::Mqtt
        } else {
            PortHint::Other
        }
    }
}

/// What a dissector did with the bytes at the front of a direction's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// The next message is not complete yet.
    Need,
    /// The message at the front used this many bytes (at least one).
    Used(usize),
    /// The message at the front is this many bytes long, more than can be buffered: what is
    /// buffered was read, the rest is skipped.
    Skip(u64),
    /// The bytes at the front do not parse: resynchronise.
    Lost,
    /// Nothing more can be learned (the session switched to TLS).
    Stop,
}

/// Where a signature was found by a protocol's scan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found {
    /// Offset in the scanned bytes where the first recognised message starts.
    pub offset: usize,
    /// The protocol to report; `None` for carriers that only say something once unwrapped
    /// (a WebSocket upgrade with no pub/sub subprotocol).
    pub protocol: Option<Protocol>,
}

/// One protocol's dissector: walks messages of both directions.
pub(crate) trait Dissect: std::fmt::Debug + Send {
    /// Parses the message at the front of `buf` (bytes of `side`, starting at a message
    /// boundary). Must return `Skip` rather than `Need` for a message of known length that
    /// cannot fit in [`BUF_CAP`] once `buf` holds that many bytes; `Need` at a full buffer
    /// means a message of unknown length too large to read, and the engine drops the buffer.
    /// Called again with the same front and more bytes after `Need`, so a dissector may keep
    /// how far it got (cleared on `gap` and `front_moved`).
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step;
    /// Where the next message starts in `buf`, which begins at an unknown point of the stream.
    fn resync(&self, side: Side, buf: &[u8]) -> Option<usize>;
    /// Bytes of `side` were lost.
    fn gap(&mut self, _side: Side) {}
    /// The engine moved the front of `side`'s bytes on its own (a resynchronisation): state
    /// kept about the message at the old front no longer applies.
    fn front_moved(&mut self, _side: Side) {}
    /// Bytes the dissector holds beyond its fixed size (a carrier's nested engine).
    fn memory(&self) -> usize {
        0
    }
    /// Frees what [`Dissect::memory`] counts, as a gap would (the memory budget was met).
    fn shed(&mut self) {}
}

/// The engine a carrier dissector (WebSocket) feeds the payloads it unwraps to. The engine in
/// the parent module implements it, so a carrier names only this trait and not the module
/// that dispatches to it.
pub(crate) trait Nested: std::fmt::Debug + Send + Sized {
    /// A nested engine for a carrier that announced its protocol: starts dissecting at once,
    /// both directions at message boundaries.
    fn nested_with(protocol: Option<Protocol>) -> Self;
    /// A nested engine that first recognises the protocol inside.
    fn nested_detecting() -> Self;
    /// Unwrapped in-order bytes of one direction.
    fn feed(&mut self, side: Side, ts: Micros, data: &[u8], app: &mut AppInfo);
    /// Bytes of one direction were lost.
    fn gap(&mut self, side: Side);
    /// Bytes buffered by the engine.
    fn memory(&self) -> usize;
    /// Drops every buffered byte (each direction holding some gets a gap).
    fn shed(&mut self);
}
