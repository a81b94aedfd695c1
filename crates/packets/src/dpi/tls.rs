//! TLS ClientHello: recognition by the record and handshake headers at the front of either
//! direction, and extraction of SNI and ALPN. A pub/sub ALPN (`mqtt`, `x-amzn-mqtt-ca`,
//! `xmpp-client`, `xmpp-server`, `amqp`, `stomp`, …) sets the protocol; SNI alone is only a hint
//! (kept in `server_names`). Inspection stops after the ClientHello: the rest is encrypted.

use super::dissect::{Found, Side};
use super::text::{Reader, clean_name};
use pubsub_hunt_core::{AppInfo, Protocol};

const EXT_SERVER_NAME: u16 = 0;
const EXT_ALPN: u16 = 16;

/// The protocol an ALPN value names.
fn alpn_protocol(alpn: &str) -> Option<Protocol> {
    match alpn.to_ascii_lowercase().as_str() {
        "mqtt" | "x-amzn-mqtt-ca" | "mqtt-ws" => Some(Protocol::Mqtt),
        "xmpp-client" | "xmpp-server" => Some(Protocol::Xmpp),
        "amqp" | "amqp10" | "amqp-0-9-1" => Some(Protocol::Amqp),
        "stomp" | "v12.stomp" => Some(Protocol::Stomp),
        "nats" => Some(Protocol::Nats),
        _ => None,
    }
}

/// The ClientHello body (after the 4-byte handshake header) when a whole one is at the front.
fn client_hello(buf: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(buf);
    if r.u8()? != 0x16 || r.u8()? != 3 || r.u8()? > 4 {
        return None;
    }
    let record_len = usize::from(r.u16()?);
    let record = r.bytes(record_len)?;
    let mut h = Reader::new(record);
    if h.u8()? != 1 {
        return None;
    }
    let len = h.bytes(3)?;
    let len = (usize::from(*len.first()?) << 16)
        | (usize::from(*len.get(1)?) << 8)
        | usize::from(*len.get(2)?);
    // A ClientHello split over several records is read from the first one only.
    let body = h.rest();
    let body = body.get(..len.min(body.len()))?;
    let mut b = Reader::new(body);
    if b.u8()? != 3 || b.u8()? > 4 {
        return None;
    }
    Some(body)
}

/// A TLS ClientHello at the front of the bytes.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    client_hello(buf).and_then(|body| {
        parse(body).map(|(_, _)| Found {
            offset: 0,
            protocol: None,
        })
    })
}

/// SNI and ALPN values of a ClientHello body; `None` if it does not parse.
fn parse(body: &[u8]) -> Option<(Option<&str>, Vec<&str>)> {
    let mut r = Reader::new(body);
    r.skip(2 + 32)?;
    let session = r.u8()?;
    if session > 32 {
        return None;
    }
    r.skip(usize::from(session))?;
    let suites = r.u16()?;
    if suites == 0 || suites % 2 != 0 {
        return None;
    }
    r.skip(usize::from(suites))?;
    let compression = r.u8()?;
    r.skip(usize::from(compression))?;
    let mut sni = None;
    let mut alpn = Vec::new();
    if r.remaining() == 0 {
        return Some((sni, alpn));
    }
    let ext_len = r.u16()?;
    let mut ext = Reader::new(r.bytes(usize::from(ext_len)).unwrap_or_else(|| r.rest()));
    while ext.remaining() >= 4 {
        let (Some(kind), Some(len)) = (ext.u16(), ext.u16()) else {
            break;
        };
        let Some(data) = ext.bytes(usize::from(len)) else {
            break;
        };
        let mut d = Reader::new(data);
        match kind {
            EXT_SERVER_NAME => {
                d.u16();
                while d.remaining() > 3 {
                    let (Some(name_type), Some(name)) = (d.u8(), d.str16()) else {
                        break;
                    };
                    if name_type == 0 {
                        sni = clean_name(name).filter(|s| !s.is_empty());
                    }
                }
            }
            EXT_ALPN => {
                d.u16();
                while d.remaining() > 0 {
                    let Some(p) = d.str8() else { break };
                    if let Some(p) = clean_name(p).filter(|s| !s.is_empty()) {
                        alpn.push(p);
                    }
                }
            }
            _ => {}
        }
    }
    Some((sni, alpn))
}

/// Records what the ClientHello at the front of `buf` says.
pub(crate) fn read_client_hello(buf: &[u8], app: &mut AppInfo) {
    let Some((sni, alpn)) = client_hello(buf).and_then(parse) else {
        return;
    };
    app.tls = true;
    if let Some(s) = sni {
        app.add_server_name(s);
    }
    for a in alpn {
        app.add_alpn(a);
        if app.protocol.is_none()
            && let Some(p) = alpn_protocol(a)
        {
            app.protocol = Some(p);
        }
    }
}

#[cfg(test)]
pub(crate) fn build_client_hello(sni: Option<&str>, alpn: &[&str]) -> Vec<u8> {
    let mut ext = Vec::new();
    if let Some(name) = sni {
        let mut list = vec![0u8];
        list.extend_from_slice(&(name.len() as u16).to_be_bytes());
        list.extend_from_slice(name.as_bytes());
        let mut data = (list.len() as u16).to_be_bytes().to_vec();
        data.extend(list);
        ext.extend_from_slice(&EXT_SERVER_NAME.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend(data);
    }
    if !alpn.is_empty() {
        let mut list = Vec::new();
        for a in alpn {
            list.push(a.len() as u8);
            list.extend_from_slice(a.as_bytes());
        }
        let mut data = (list.len() as u16).to_be_bytes().to_vec();
        data.extend(list);
        ext.extend_from_slice(&EXT_ALPN.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend(data);
    }
    let mut body = vec![3, 3];
    body.extend_from_slice(&[7u8; 32]);
    body.push(0);
    body.extend_from_slice(&[0, 4, 0x13, 0x01, 0xc0, 0x2f]);
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend(ext);
    let mut hs = vec![1, 0];
    hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
    hs.extend(body);
    let mut rec = vec![0x16, 3, 1];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpi::SessionInspector;
    use crate::dpi::Side::*;

    #[test]
    fn aws_iot_alpn_sets_mqtt() {
        let hello = build_client_hello(
            Some("abc-ats.iot.eu-west-1.amazonaws.com"),
            &["x-amzn-mqtt-ca"],
        );
        let mut inspector = SessionInspector::new();
        inspector.feed(Client, 0, 0, &hello);
        assert!(!inspector.wants_more());
        let app = inspector.finish();
        assert!(app.tls);
        assert_eq!(app.protocol, Some(Protocol::Mqtt));
        assert!(app.alpn.contains("x-amzn-mqtt-ca"));
        assert!(
            app.server_names
                .contains("abc-ats.iot.eu-west-1.amazonaws.com")
        );
    }

    #[test]
    fn sni_alone_is_a_hint() {
        let hello = build_client_hello(Some("broker.hivemq.com"), &["h2", "http/1.1"]);
        let mut inspector = SessionInspector::new();
        // Split across two feeds.
        inspector.feed(Client, 0, 0, &hello[..20]);
        assert!(inspector.wants_more());
        inspector.feed(Client, 0, 1, &hello[20..]);
        let app = inspector.finish();
        assert!(app.tls);
        assert_eq!(app.protocol, None);
        assert!(app.server_names.contains("broker.hivemq.com"));
        assert_eq!(app.alpn.len(), 2);
    }
}
