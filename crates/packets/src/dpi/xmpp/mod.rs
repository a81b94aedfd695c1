//! XMPP (RFC 6120) client-to-server and server-to-server streams, and the RFC 7395 WebSocket
//! framing: recognition by the stream header (`<stream:stream` with a jabber namespace) or,
//! mid-stream, by a top-level stanza in a jabber/xmpp namespace; dissection of the stream
//! header (`to`/`from` domains, version), SASL PLAIN user names, STARTTLS (the session is then
//! encrypted and inspection stops), message/iq/presence timing and sizes, and keepalives
//! (whitespace, XEP-0199 pings, Pidgin's ad-hoc `ping` command).

use super::dissect::{BUF_CAP, Dissect, Found, Side, Step};
use super::text::{base64_decode, clean_name, find, sasl_plain_user, xml_attr};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol};

/// Longest start tag read while recognising.
const MAX_TAG: usize = 4096;
const STANZAS: [&[u8]; 3] = [b"message", b"iq", b"presence"];

/// Whether `at` is a place where an XML element may start (start of buffer, after a tag or
/// whitespace).
fn element_boundary(buf: &[u8], at: usize) -> bool {
    at == 0
        || buf
            .get(at - 1)
            .is_some_and(|b| *b == b'>' || b.is_ascii_whitespace())
}

/// The start tag beginning at the front of `buf` (through `>`), if complete.
fn start_tag(buf: &[u8]) -> Option<&[u8]> {
    let window = buf.get(..buf.len().min(MAX_TAG)).unwrap_or(buf);
    let end = memchr::memchr(b'>', window)?;
    window.get(..=end)
}

/// The element name of a tag (`<name ...>`), without the `<`.
fn tag_name(tag: &[u8]) -> &[u8] {
    let body = tag.get(1..).unwrap_or(&[]);
    let end = body
        .iter()
        .position(|b| b.is_ascii_whitespace() || *b == b'>' || *b == b'/')
        .unwrap_or(body.len());
    body.get(..end).unwrap_or(&[])
}

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

/// A whole top-level stanza at `at` that names a jabber/xmpp namespace.
fn stanza_at(buf: &[u8], at: usize) -> bool {
    let rest = buf.get(at..).unwrap_or(&[]);
    let Some(tag) = start_tag(rest) else {
        return false;
    };
    let name = tag_name(tag);
    if !STANZAS.contains(&name) {
        return false;
    }
    let Some(len) = element_len(rest, name) else {
        return false;
    };
    let element = rest.get(..len).unwrap_or(&[]);
    find(element, b"jabber").is_some()
        || find(element, b"urn:xmpp:").is_some()
        || find(element, b"jabber:").is_some()
}

/// Scans for an XMPP stream header, or mid-stream a stanza in an XMPP namespace.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    scan(buf, false).map(|offset| Found {
        offset,
        protocol: Some(Protocol::Xmpp),
    })
}

fn scan(buf: &[u8], known: bool) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = buf.get(from..).and_then(|b| memchr::memchr(b'<', b)) {
        let at = from + i;
        from = at + 1;
        if !element_boundary(buf, at) {
            continue;
        }
        if stream_header_at(buf, at) || stanza_at(buf, at) {
            return Some(at);
        }
        // The closing tag is XMPP's alone (nDPI accepts it too: a capture may hold only that).
        if buf
            .get(at..)
            .is_some_and(|r| r.starts_with(b"</stream:stream>"))
        {
            return Some(at);
        }
        if known
            && let Some(tag) = start_tag(buf.get(at..).unwrap_or(&[]))
            && STANZAS.contains(&tag_name(tag))
        {
            return Some(at);
        }
    }
    None
}

/// Length of the element starting at the front of `buf` named `name`, if complete: through
/// `/>` for an empty element, else through the matching close tag (nesting of the same name
/// counted).
fn element_len(buf: &[u8], name: &[u8]) -> Option<usize> {
    let tag = start_tag(buf)?;
    if tag.ends_with(b"/>") {
        return Some(tag.len());
    }
    let mut depth = 1usize;
    let mut at = tag.len();
    while let Some(i) = buf.get(at..).and_then(|b| memchr::memchr(b'<', b)) {
        let open = at + i;
        let rest = buf.get(open + 1..).unwrap_or(&[]);
        if let Some(close) = rest.strip_prefix(b"/") {
            if close.starts_with(name) && close.get(name.len()) == Some(&b'>') {
                depth -= 1;
                if depth == 0 {
                    return Some(open + 2 + name.len() + 1);
                }
            }
        } else if rest.starts_with(name)
            && rest
                .get(name.len())
                .is_some_and(|b| b.is_ascii_whitespace() || *b == b'>')
        {
            let inner = start_tag(buf.get(open..).unwrap_or(&[]))?;
            if !inner.ends_with(b"/>") {
                depth += 1;
            }
        }
        at = open + 1;
    }
    None
}

/// The text between `<name ...>` and `</name>` inside an element, if present.
fn child_text<'a>(element: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut open = b"<".to_vec();
    open.extend_from_slice(name);
    let start = find(element, &open)?;
    let after = element.get(start..)?;
    let tag_end = memchr::memchr(b'>', after)?;
    if after.get(tag_end.checked_sub(1)?) == Some(&b'/') {
        return Some(&[]);
    }
    let content = after.get(tag_end + 1..)?;
    let mut close = b"</".to_vec();
    close.extend_from_slice(name);
    let end = find(content, &close)?;
    content.get(..end)
}

fn is_ping(element: &[u8]) -> bool {
    find(element, b"urn:xmpp:ping").is_some()
        || (find(element, b"http://jabber.org/protocol/commands").is_some()
            && find(element, b"node='ping'")
                .or_else(|| find(element, b"node=\"ping\""))
                .is_some())
}

/// XMPP dissector state.
#[derive(Debug, Default)]
pub(crate) struct Xmpp {
    /// Time of the last element per direction: whitespace arriving later alone is a keepalive.
    last_element_ts: [Option<Micros>; 2],
}

impl Xmpp {
    fn stream_header(&self, side: Side, tag: &[u8], app: &mut AppInfo) {
        let server_to_server = find(tag, b"jabber:server").is_some();
        let to = xml_attr(tag, b"to")
            .and_then(clean_name)
            .filter(|s| !s.is_empty());
        let from = xml_attr(tag, b"from")
            .and_then(clean_name)
            .filter(|s| !s.is_empty());
        match (side, server_to_server) {
            (_, true) => {
                for name in [to, from].into_iter().flatten() {
                    app.add_server_name(name);
                }
            }
            (Side::Client, false) => {
                if let Some(to) = to {
                    app.add_server_name(to);
                }
                if let Some(from) = from {
                    app.add_username(from);
                }
            }
            (Side::Server, false) => {
                if let Some(from) = from {
                    app.add_server_name(from);
                }
            }
        }
        if let Some(v) = xml_attr(tag, b"version").and_then(clean_name)
            && !v.is_empty()
        {
            app.protocol_version = Some(v.to_string());
        }
    }

    fn stanza(&self, side: Side, ts: Micros, name: &[u8], element: &[u8], app: &mut AppInfo) {
        let tag = start_tag(element).unwrap_or(&[]);
        let size = u32::try_from(element.len()).unwrap_or(u32::MAX);
        match name {
            b"message" => {
                let peer_attr: &[u8] = match side {
                    Side::Client => b"to",
                    Side::Server => b"from",
                };
                let peer = xml_attr(tag, peer_attr)
                    .and_then(clean_name)
                    .filter(|s| !s.is_empty());
                let body = child_text(element, b"body").unwrap_or(element);
                app.add_message(ts, side.message_direction(), peer, body, size);
            }
            b"iq" | b"presence" => {
                if name == b"iq" && is_ping(element) {
                    app.pings += 1;
                } else {
                    app.add_message(ts, side.message_direction(), None, element, size);
                }
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
        let Some(len) = element_len(buf, name) else {
            return if buf.len() >= BUF_CAP {
                Step::Lost
            } else {
                Step::Need
            };
        };
        let element = buf.get(..len).unwrap_or(&[]);
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpi::Side::*;
    use crate::dpi::testutil::run;
    use pubsub_hunt_core::TopicDirection;

    #[test]
    fn c2s_starttls_from_zeek_sample() {
        let client = b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:client' to='jabber.ccc.de' version='1.0'>";
        let server = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='3449578488' from='jabber.ccc.de' version='1.0' xml:lang='en'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>";
        let mut inspector = crate::dpi::SessionInspector::new();
        inspector.feed(Client, 0, 0, client);
        inspector.feed(Server, 1, 1, server);
        inspector.feed(
            Client,
            2,
            2,
            b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        );
        assert!(!inspector.wants_more());
        let app = inspector.finish();
        assert_eq!(app.protocol, Some(Protocol::Xmpp));
        assert!(app.tls);
        assert!(app.server_names.contains("jabber.ccc.de"));
        assert_eq!(app.protocol_version.as_deref(), Some("1.0"));
    }

    #[test]
    fn messages_pings_and_plain_auth() {
        let app = run(&[
            (Client, b"<?xml version='1.0' ?>"),
            (Client, b"<stream:stream to=\"example.org\" xmlns=\"jabber:client\" xmlns:stream=\"http://etherx.jabber.org/streams\" version=\"1.0\">"),
            (Client, b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGJvdABzM2NyM3Q=</auth>"),
            (Client, b"<message to='master@evil.example/c2' type='chat'><body>aGVsbG8=</body></message>"),
            (Client, b" "),
            (Server, b"<message from='master@evil.example/c2' to='bot@example.org'><body>run whoami</body></message>"),
            (Client, b"<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>"),
        ]);
        assert_eq!(app.protocol, Some(Protocol::Xmpp));
        assert!(app.usernames.contains("bot"));
        assert!(app.server_names.contains("example.org"));
        assert_eq!(app.pings, 2);
        let sent = app
            .topics
            .iter()
            .find(|t| t.direction == TopicDirection::Publish);
        assert_eq!(
            sent.map(|t| (t.name.as_str(), t.messages)),
            Some(("master@evil.example/c2", 1))
        );
        assert_eq!(app.messages.len(), 2);
        assert_eq!(app.messages[1].direction, TopicDirection::Subscribe);
    }

    #[test]
    fn mid_stream_presence() {
        let app = run(&[(
            Client,
            b"ing'/></iq><presence><c xmlns='http://jabber.org/protocol/caps' node='x' ver='y'/></presence>",
        )]);
        assert_eq!(app.protocol, Some(Protocol::Xmpp));
        assert_eq!(app.messages.len(), 1);
    }

    #[test]
    fn html_is_not_xmpp() {
        let page = b"<html><body><message to='x'>hi</message><iq>no</iq></body></html>";
        assert_eq!(run(&[(Server, page)]).protocol, None);
    }
}
