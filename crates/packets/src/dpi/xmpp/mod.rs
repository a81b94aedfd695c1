//! XMPP (RFC 6120) client-to-server and server-to-server streams, and the RFC 7395 WebSocket
//! framing: recognition by the stream header (`<stream:stream` with a jabber namespace) or,
//! mid-stream, by a top-level stanza in a jabber/xmpp namespace; dissection of the stream
//! header (`to`/`from` domains, version), SASL PLAIN user names, STARTTLS (the session is then
//! encrypted and inspection stops), message/iq/presence timing and sizes, and keepalives
//! (whitespace, XEP-0199 pings, Pidgin's ad-hoc `ping` command). Identity and topics: the
//! client's own full JID (resource binding, or the addresses its stanzas carry) is its client
//! id; publish/subscribe nodes and multi-user chat rooms are its topics.

mod xml;

use super::dissect::{Dissect, Found, Side, Step};
use super::text::{base64_decode, clean_name, find, sasl_plain_user, xml_attr};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};
use xml::{
    ElementScan, MAX_TAG, bare_jid, child_tag, child_text, element_boundary, element_len,
    element_len_from, full_jid, start_tag, tag_name,
};

const STANZAS: [&[u8]; 3] = [b"message", b"iq", b"presence"];
/// Dialback elements (XEP-0220), exchanged only between servers. Their namespace prefix is
/// declared on the stream header, so mid-stream the name and the two server addresses are
/// what identifies them.
const DIALBACK: [&[u8]; 2] = [b"db:result", b"db:verify"];

fn jabber_namespace(bytes: &[u8]) -> bool {
    find(bytes, b"jabber:client").is_some()
        || find(bytes, b"jabber:server").is_some()
        || find(bytes, b"http://etherx.jabber.org/streams").is_some()
}

/// A stream header or framing `<open>` at `at`.
fn stream_header_at(buf: &[u8], at: usize) -> bool {
    let rest = buf.get(at..).unwrap_or(&[]);
    let Some(tag) = start_tag(rest) else {
        return false;
    };
    match tag_name(tag) {
        b"stream:stream" => jabber_namespace(tag),
        b"open" => find(tag, b"urn:ietf:params:xml:ns:xmpp-framing").is_some(),
        _ => false,
    }
}

/// Whether there is a whole top-level stanza at `at` that names a jabber/xmpp namespace, or a
/// whole dialback element between two named servers; `None` when a stanza or dialback element
/// starts there but does not end within `buf`.
fn stanza_at(buf: &[u8], at: usize) -> Option<bool> {
    let rest = buf.get(at..).unwrap_or(&[]);
    let Some(tag) = start_tag(rest) else {
        return Some(false);
    };
    let name = tag_name(tag);
    if DIALBACK.contains(&name) {
        if !(xml_attr(tag, b"from").is_some_and(|v| !v.is_empty())
            && xml_attr(tag, b"to").is_some_and(|v| !v.is_empty()))
        {
            return Some(false);
        }
        return element_len(rest, name).map(|_| true);
    }
    if !STANZAS.contains(&name) {
        return Some(false);
    }
    let len = element_len(rest, name)?;
    let element = rest.get(..len).unwrap_or(&[]);
    Some(
        find(element, b"jabber").is_some()
            || find(element, b"urn:xmpp:").is_some()
            || find(element, b"jabber:").is_some(),
    )
}

/// Scans for an XMPP stream header, or mid-stream a stanza in an XMPP namespace.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    scan(buf, false).map(|offset| Found {
        offset,
        protocol: Some(Protocol::Xmpp),
    })
}

/// Stanzas found incomplete after which one scan gives up: each check reads to the end of
/// the bytes, so a run of unclosed stanzas (`<message>` repeated) would cost the square of
/// the window. A later scan, over later bytes, looks again.
const MAX_INCOMPLETE_CHECKS: usize = 16;

fn scan(buf: &[u8], known: bool) -> Option<usize> {
    let mut from = 0;
    let mut incomplete = 0;
    // The first `>` at or after the last `<` looked at: a run of `<` without `>` is searched
    // once, not once per `<`.
    let mut next_gt: Option<usize> = None;
    while let Some(i) = buf.get(from..).and_then(|b| memchr::memchr(b'<', b)) {
        let at = from + i;
        from = at + 1;
        if !element_boundary(buf, at) {
            continue;
        }
        let gt = match next_gt.filter(|g| *g >= at) {
            Some(g) => Some(g),
            None => buf
                .get(at..)
                .and_then(|b| memchr::memchr(b'>', b))
                .map(|g| at + g),
        };
        next_gt = gt;
        if gt.is_none_or(|g| g - at >= MAX_TAG) {
            // No complete start tag here.
            continue;
        }
        if known
            && let Some(tag) = start_tag(buf.get(at..).unwrap_or(&[]))
            && STANZAS.contains(&tag_name(tag))
        {
            return Some(at);
        }
        if stream_header_at(buf, at) {
            return Some(at);
        }
        if incomplete < MAX_INCOMPLETE_CHECKS {
            match stanza_at(buf, at) {
                Some(true) => return Some(at),
                Some(false) => {}
                None => incomplete += 1,
            }
        }
        // The closing tag is XMPP's alone (nDPI accepts it too: a capture may hold only that).
        if buf
            .get(at..)
            .is_some_and(|r| r.starts_with(b"</stream:stream>"))
        {
            return Some(at);
        }
    }
    None
}

fn is_ping(element: &[u8]) -> bool {
    find(element, b"urn:xmpp:ping").is_some()
        || (find(element, b"http://jabber.org/protocol/commands").is_some()
            && find(element, b"node='ping'")
                .or_else(|| find(element, b"node=\"ping\""))
                .is_some())
}

/// Namespaces of what acknowledges or annotates a message rather than carrying one: delivery
/// receipts (XEP-0184), chat states (XEP-0085) and chat markers (XEP-0333).
const ACKNOWLEDGEMENTS: [&[u8]; 3] = [
    b"urn:xmpp:receipts",
    b"http://jabber.org/protocol/chatstates",
    b"urn:xmpp:chat-markers:0",
];

/// A message without a body that only acknowledges or annotates another: the protocol's
/// answer, as an MQTT PUBACK is, not something the client said. Timing it with what the client
/// said would blur a check-in timer with the answers to what it was sent.
fn is_acknowledgement(element: &[u8]) -> bool {
    child_tag(element, b"body").is_none()
        && ACKNOWLEDGEMENTS
            .iter()
            .any(|ns| find(element, ns).is_some())
}

/// An `iq` result or error with nothing in it: the answer to a request (a ping's pong, the
/// acknowledgement of a `set`), not a message.
fn is_empty_answer(tag: &[u8], element: &[u8]) -> bool {
    matches!(attr(tag, b"type"), Some(b"result" | b"error"))
        && (tag.ends_with(b"/>") || element.len() <= tag.len() + b"</iq>".len() + 2)
}

/// Which kind of stream the session carries, as far as seen.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum StreamKind {
    /// No stream header seen (the capture started mid-stream) and nothing server-to-server.
    #[default]
    Unknown,
    /// Client-to-server (`jabber:client`, or the WebSocket framing).
    Client,
    /// Server-to-server (`jabber:server`, or dialback elements mid-stream).
    Server,
}

/// The XEP-0060 namespaces whose `node` attributes name a publish/subscribe topic.
const PUBSUB: &[u8] = b"http://jabber.org/protocol/pubsub";
const PUBSUB_EVENT: &[u8] = b"http://jabber.org/protocol/pubsub#event";
/// A MUC join names this namespace exactly (`muc#user` and `muc#owner` are other things).
const MUC_JOIN: [&[u8]; 2] = [
    b"'http://jabber.org/protocol/muc'",
    b"\"http://jabber.org/protocol/muc\"",
];
const BIND: &[u8] = b"urn:ietf:params:xml:ns:xmpp-bind";

/// XMPP dissector state.
#[derive(Debug, Default)]
pub(crate) struct Xmpp {
    /// Time of the last element per direction: whitespace arriving later alone is a keepalive.
    last_element_ts: [Option<Micros>; 2],
    stream: StreamKind,
    /// Per direction, how far the search for the end of the incomplete element at the front
    /// got: more bytes continue it (without this, every segment of a large element rescans
    /// all that is held, the square of its size).
    partial: [ElementScan; 2],
}

/// A non-empty attribute of a start tag.
fn attr<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    xml_attr(tag, name).filter(|v| !v.is_empty())
}

/// The `node` of the first `<name …>` inside an element, as a topic name.
fn node_of<'a>(element: &'a [u8], name: &[u8]) -> Option<&'a str> {
    child_tag(element, name)
        .and_then(|t| attr(t, b"node"))
        .and_then(clean_name)
}

impl Xmpp {
    fn stream_header(&mut self, side: Side, tag: &[u8], app: &mut AppInfo) {
        let server_to_server = find(tag, b"jabber:server").is_some();
        self.stream = if server_to_server {
            StreamKind::Server
        } else {
            StreamKind::Client
        };
        let to = attr(tag, b"to").and_then(clean_name);
        let from = attr(tag, b"from").and_then(clean_name);
        // The destination is named by the initiator's `to` and the responder's `from`, between
        // servers as from a client. The initiator's `from` is its own identity (a client's JID,
        // or the originating server's domain), and the responder's `to` names the initiator
        // back: counted as destinations, a site's own domain would be "reached" by every one of
        // its chat clients and lend its crowd to each federation link.
        match side {
            Side::Client => {
                if let Some(to) = to {
                    app.add_server_name(to);
                }
                if let Some(from) = from {
                    app.add_username(from);
                }
            }
            Side::Server => {
                if let Some(from) = from {
                    app.add_server_name(from);
                }
            }
        }
        if let Some(v) = attr(tag, b"version").and_then(clean_name) {
            app.protocol_version = Some(v.to_string());
        }
    }

    /// The client's own full JID, which the server assigns at resource binding and which every
    /// stanza of the connection then carries: the bind result's `<jid>`, the `from` the client
    /// puts on its stanzas, and the `to` the server routes them to it with. Between servers
    /// those addresses are users on either side, not the connection's identity.
    fn own_jid(&self, side: Side, tag: &[u8], element: &[u8], app: &mut AppInfo) {
        if self.stream == StreamKind::Server {
            return;
        }
        let jid = match side {
            Side::Server => {
                let bound = (tag_name(tag) == b"iq" && find(element, BIND).is_some())
                    .then(|| child_text(element, b"jid").and_then(full_jid))
                    .flatten();
                bound.or_else(|| attr(tag, b"to").and_then(full_jid))
            }
            Side::Client => attr(tag, b"from").and_then(full_jid),
        };
        if let Some(jid) = jid {
            app.add_client_id(jid);
        }
    }

    /// Counts a message, iq or presence with the topic it really has: a publish/subscribe node
    /// (XEP-0060, including the personal-eventing nodes of XEP-0163) or a multi-user chat room
    /// (XEP-0045). A one-to-one correspondent is not a topic: it is another user, and the
    /// client's own address is its client id.
    fn stanza(&self, side: Side, ts: Micros, name: &[u8], element: &[u8], app: &mut AppInfo) {
        let tag = start_tag(element).unwrap_or(&[]);
        let size = u32::try_from(element.len()).unwrap_or(u32::MAX);
        let dir = side.message_direction();
        match name {
            b"message" if is_acknowledgement(element) => {}
            b"message" => {
                let topic = if attr(tag, b"type") == Some(b"groupchat") {
                    // Sent to the room; delivered from an occupant `room@service/nick`.
                    let peer: &[u8] = match side {
                        Side::Client => b"to",
                        Side::Server => b"from",
                    };
                    attr(tag, peer).and_then(bare_jid)
                } else if side == Side::Server && find(element, PUBSUB_EVENT).is_some() {
                    // A notification of an item published to a node the client subscribed to.
                    node_of(element, b"items")
                } else {
                    // One to one: the correspondent is another user, kept as a peer.
                    let peer: &[u8] = match side {
                        Side::Client => b"to",
                        Side::Server => b"from",
                    };
                    if let Some(jid) = attr(tag, peer).and_then(bare_jid) {
                        app.add_peer(jid);
                    }
                    None
                };
                let body = child_text(element, b"body").unwrap_or(element);
                app.add_message(ts, dir, topic, body, size);
            }
            b"iq" if is_ping(element) => app.pings += 1,
            b"iq" if is_empty_answer(tag, element) => {}
            b"iq" => {
                let request = matches!(attr(tag, b"type"), Some(b"set" | b"get"));
                let mut topic = None;
                // Requests only: a result echoes the request's node and is not a second use.
                if side == Side::Client && request && find(element, PUBSUB).is_some() {
                    topic = node_of(element, b"publish");
                    for sub in [&b"subscribe"[..], b"items"] {
                        if let Some(node) = node_of(element, sub) {
                            app.add_topic(node, TopicDirection::Subscribe, 0);
                        }
                    }
                }
                app.add_message(ts, dir, topic, element, size);
            }
            b"presence" => {
                if side == Side::Client
                    && MUC_JOIN.iter().any(|ns| find(element, ns).is_some())
                    && let Some(room) = attr(tag, b"to").and_then(bare_jid)
                {
                    app.add_topic(room, TopicDirection::Subscribe, 0);
                }
                app.add_message(ts, dir, None, element, size);
            }
            _ => {}
        }
    }
}

impl Dissect for Xmpp {
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let i = match side {
            Side::Client => 0,
            Side::Server => 1,
        };
        let Some(&first) = buf.first() else {
            return Step::Need;
        };
        if first.is_ascii_whitespace() {
            let n = buf.iter().take_while(|b| b.is_ascii_whitespace()).count();
            if n == buf.len() && self.last_element_ts[i].is_some_and(|t| t != ts) {
                // Whitespace alone, in a later segment than the last element: a keepalive.
                app.pings += 1;
                self.last_element_ts[i] = Some(ts);
            }
            return Step::Used(n);
        }
        if first == 0x16 && side == Side::Client {
            // A TLS record where XML was expected: STARTTLS went unseen.
            app.tls = true;
            return Step::Stop;
        }
        if first != b'<' {
            // Text between top-level elements is not XMPP.
            return Step::Lost;
        }
        let Some(tag) = start_tag(buf) else {
            return if buf.len() >= MAX_TAG {
                Step::Lost
            } else {
                Step::Need
            };
        };
        self.last_element_ts[i] = Some(ts);
        let name = tag_name(tag);
        if tag.starts_with(b"<?") || tag.starts_with(b"<!") || tag.starts_with(b"</") {
            // Prolog, comment or the end of the stream.
            return Step::Used(tag.len());
        }
        match name {
            b"stream:stream" => {
                self.stream_header(side, tag, app);
                return Step::Used(tag.len());
            }
            b"open" => {
                self.stream_header(side, tag, app);
                return Step::Used(tag.len());
            }
            b"starttls" if side == Side::Client => {
                app.tls = true;
                return Step::Stop;
            }
            b"proceed" => {
                app.tls = true;
                return Step::Stop;
            }
            _ => {}
        }
        let Some(len) = element_len_from(buf, name, &mut self.partial[i]) else {
            // Incomplete; at a full buffer the element cannot be read and the engine drops
            // the buffer.
            return Step::Need;
        };
        self.partial[i] = ElementScan::default();
        let element = buf.get(..len).unwrap_or(&[]);
        if DIALBACK.contains(&name) {
            // Dialback (XEP-0220) runs between servers only.
            self.stream = StreamKind::Server;
        }
        if STANZAS.contains(&name) {
            self.own_jid(side, tag, element, app);
        }
        if name == b"auth"
            && find(tag, b"PLAIN").is_some()
            && let Some(raw) = child_text(element, b"auth").and_then(base64_decode)
            && let Some(user) = sasl_plain_user(&raw)
        {
            app.add_username(user);
        }
        self.stanza(side, ts, name, element, app);
        Step::Used(len)
    }

    fn resync(&self, _side: Side, buf: &[u8]) -> Option<usize> {
        scan(buf, true)
    }

    fn front_moved(&mut self, side: Side) {
        self.partial[side.index()] = ElementScan::default();
    }

    fn gap(&mut self, side: Side) {
        self.partial[side.index()] = ElementScan::default();
    }
}

#[cfg(test)]
mod tests;
