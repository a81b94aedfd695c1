//! Protocol bytes of the labeled scenarios: MQTT 3.1.1/5 control packets, MQTT-over-WebSocket
//! framing, XMPP stream headers and stanzas, STOMP frames, AMQP 0-9-1 frames, Kafka Produce
//! requests, and the TLS records that hide an application protocol (a ClientHello with SNI and
//! ALPN, an opaque server handshake, and application-data records sized like the plaintext
//! they carry).
//!
//! Every encoder writes what the specification says on the wire, because the captures are read
//! back by pubsub-hunt's own dissectors: a field that is wrong here would be a test of the
//! generator, not of the engine. Nothing here is encrypted for real: a TLS record is random bytes
//! of the right length, which is all a passive observer sees anyway.

use crate::rng::SplitMix64;

/// Standard base64 (RFC 4648, with padding): payloads, SASL PLAIN and WebSocket keys.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// URL-safe base64 (Fernet tokens use it).
pub fn base64_url(data: &[u8]) -> String {
    base64(data).replace('+', "-").replace('/', "_")
}

/// `n` random bytes.
pub fn random_bytes(rng: &mut SplitMix64, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        out.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    out.truncate(n);
    out
}

/// Lower-case hex of random bytes (`len` hex digits).
pub fn random_hex(rng: &mut SplitMix64, len: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..len)
        .map(|_| char::from(HEX[rng.below(16) as usize]))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// MQTT (OASIS MQTT 3.1.1 and 5.0)
// ---------------------------------------------------------------------------------------------

fn mqtt_remaining_length(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let mut byte = (n % 128) as u8;
        n /= 128;
        if n > 0 {
            byte |= 0x80;
        }
        out.push(byte);
        if n == 0 {
            break;
        }
    }
}

fn mqtt_string(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len().min(usize::from(u16::MAX));
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(s.get(..len).unwrap_or(s));
}

fn mqtt_packet(first_byte: u8, body: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(body.len() + 5);
    p.push(first_byte);
    mqtt_remaining_length(&mut p, body.len());
    p.extend_from_slice(body);
    p
}

/// MQTT CONNECT (clean session), protocol level 4 (3.1.1) or 5.
pub fn mqtt_connect(
    version: u8,
    client_id: &str,
    username: Option<&str>,
    password: Option<&str>,
    keepalive: u16,
) -> Vec<u8> {
    let mut body = Vec::new();
    mqtt_string(&mut body, b"MQTT");
    body.push(version);
    let mut flags = 0x02;
    if username.is_some() {
        flags |= 0x80;
    }
    if password.is_some() {
        flags |= 0x40;
    }
    body.push(flags);
    body.extend_from_slice(&keepalive.to_be_bytes());
    if version >= 5 {
        body.push(0); // no properties
    }
    mqtt_string(&mut body, client_id.as_bytes());
    if let Some(u) = username {
        mqtt_string(&mut body, u.as_bytes());
    }
    if let Some(p) = password {
        mqtt_string(&mut body, p.as_bytes());
    }
    mqtt_packet(0x10, &body)
}

/// CONNACK: session not present, accepted.
pub fn mqtt_connack(version: u8) -> Vec<u8> {
    if version >= 5 {
        mqtt_packet(0x20, &[0, 0, 0])
    } else {
        mqtt_packet(0x20, &[0, 0])
    }
}

/// SUBSCRIBE for every filter at QoS 0.
pub fn mqtt_subscribe(version: u8, packet_id: u16, filters: &[String]) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    if version >= 5 {
        body.push(0);
    }
    for f in filters {
        mqtt_string(&mut body, f.as_bytes());
        body.push(0);
    }
    mqtt_packet(0x82, &body)
}

/// SUBACK granting QoS 0 for `count` filters.
pub fn mqtt_suback(version: u8, packet_id: u16, count: usize) -> Vec<u8> {
    let mut body = packet_id.to_be_bytes().to_vec();
    if version >= 5 {
        body.push(0);
    }
    body.extend(std::iter::repeat_n(0u8, count));
    mqtt_packet(0x90, &body)
}

/// PUBLISH at QoS 0.
pub fn mqtt_publish(version: u8, topic: &str, payload: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(topic.len() + payload.len() + 3);
    mqtt_string(&mut body, topic.as_bytes());
    if version >= 5 {
        body.push(0);
    }
    body.extend_from_slice(payload);
    mqtt_packet(0x30, &body)
}

pub const MQTT_PINGREQ: [u8; 2] = [0xC0, 0x00];
pub const MQTT_PINGRESP: [u8; 2] = [0xD0, 0x00];

/// DISCONNECT (normal disconnection).
pub fn mqtt_disconnect(version: u8) -> Vec<u8> {
    if version >= 5 {
        mqtt_packet(0xE0, &[0])
    } else {
        mqtt_packet(0xE0, &[])
    }
}

// ---------------------------------------------------------------------------------------------
// WebSocket (RFC 6455)
// ---------------------------------------------------------------------------------------------

/// The client's HTTP Upgrade request with subprotocol `mqtt`.
pub fn websocket_upgrade(rng: &mut SplitMix64, host: &str, path: &str) -> Vec<u8> {
    let key = base64(&random_bytes(rng, 16));
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\
         User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64)\r\n\r\n"
    )
    .into_bytes()
}

/// The server's `101` reply. The accept value is random bytes of the right length: computing
/// SHA-1 of the key would add code and no observable difference to a passive reader.
pub fn websocket_accept(rng: &mut SplitMix64) -> Vec<u8> {
    let accept = base64(&random_bytes(rng, 20));
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n"
    )
    .into_bytes()
}

/// One binary WebSocket frame; client frames are masked, as RFC 6455 requires.
pub fn websocket_frame(rng: &mut SplitMix64, from_client: bool, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0x82];
    let mask_bit = if from_client { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => f.push(mask_bit | n as u8),
        n if n <= usize::from(u16::MAX) => {
            f.push(mask_bit | 126);
            f.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            f.push(mask_bit | 127);
            f.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if from_client {
        let key = (rng.next_u64() as u32).to_be_bytes();
        f.extend_from_slice(&key);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        f.extend_from_slice(payload);
    }
    f
}

// ---------------------------------------------------------------------------------------------
// TLS 1.2/1.3 record layer, as a passive observer sees it
// ---------------------------------------------------------------------------------------------

/// A ClientHello record with SNI (when given) and ALPN (when any).
pub fn tls_client_hello(rng: &mut SplitMix64, sni: Option<&str>, alpn: &[&str]) -> Vec<u8> {
    let mut ext = Vec::new();
    let push_ext = |ext: &mut Vec<u8>, kind: u16, data: &[u8]| {
        ext.extend_from_slice(&kind.to_be_bytes());
        ext.extend_from_slice(&(data.len() as u16).to_be_bytes());
        ext.extend_from_slice(data);
    };
    if let Some(name) = sni {
        let n = name.as_bytes();
        let mut d = ((n.len() + 3) as u16).to_be_bytes().to_vec();
        d.push(0);
        d.extend_from_slice(&(n.len() as u16).to_be_bytes());
        d.extend_from_slice(n);
        push_ext(&mut ext, 0x0000, &d);
    }
    push_ext(&mut ext, 0x000a, &[0, 6, 0, 0x1d, 0, 0x17, 0, 0x18]); // groups
    push_ext(&mut ext, 0x000b, &[1, 0]); // ec point formats
    push_ext(
        &mut ext,
        0x000d,
        &[0, 8, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01, 0x05, 0x03],
    ); // signature algorithms
    if !alpn.is_empty() {
        let mut list = Vec::new();
        for a in alpn {
            list.push(a.len() as u8);
            list.extend_from_slice(a.as_bytes());
        }
        let mut d = (list.len() as u16).to_be_bytes().to_vec();
        d.extend_from_slice(&list);
        push_ext(&mut ext, 0x0010, &d);
    }
    push_ext(&mut ext, 0x002b, &[4, 0x03, 0x04, 0x03, 0x03]); // supported versions
    let mut key_share = vec![0, 36, 0, 0x1d, 0, 32];
    key_share.extend_from_slice(&random_bytes(rng, 32));
    push_ext(&mut ext, 0x0033, &key_share);

    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&random_bytes(rng, 32));
    body.push(32);
    body.extend_from_slice(&random_bytes(rng, 32));
    let suites: [u16; 8] = [
        0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0x00ff,
    ];
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);

    let mut hs = vec![1];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

fn tls_record(rng: &mut SplitMix64, content_type: u8, len: usize) -> Vec<u8> {
    let mut r = vec![content_type, 0x03, 0x03];
    r.extend_from_slice(&(len.min(16_384 + 256) as u16).to_be_bytes());
    r.extend_from_slice(&random_bytes(rng, len.min(16_384 + 256)));
    r
}

/// The server's side of a TLS 1.3 handshake: ServerHello, ChangeCipherSpec and the encrypted
/// extensions, certificate chain and Finished (one opaque record of `cert_bytes`).
pub fn tls_server_handshake(rng: &mut SplitMix64, cert_bytes: usize) -> Vec<u8> {
    let mut out = tls_record(rng, 0x16, 90);
    out.extend_from_slice(&[0x14, 0x03, 0x03, 0x00, 0x01, 0x01]);
    out.extend_from_slice(&tls_record(rng, 0x17, cert_bytes));
    out
}

/// The client's ChangeCipherSpec and Finished.
pub fn tls_client_finished(rng: &mut SplitMix64) -> Vec<u8> {
    let mut out = vec![0x14, 0x03, 0x03, 0x00, 0x01, 0x01];
    out.extend_from_slice(&tls_record(rng, 0x17, 53));
    out
}

/// Application-data records carrying `plaintext_len` bytes (AEAD tag and inner content type
/// add 17 bytes per record; records hold at most 16 KiB of plaintext).
pub fn tls_application_data(rng: &mut SplitMix64, plaintext_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(plaintext_len + 32);
    let mut left = plaintext_len.max(1);
    while left > 0 {
        let n = left.min(16_384);
        out.extend_from_slice(&tls_record(rng, 0x17, n + 17));
        left -= n;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// XMPP (RFC 6120)
// ---------------------------------------------------------------------------------------------

/// Escapes the five XML special characters.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

pub fn xmpp_client_stream(domain: &str) -> Vec<u8> {
    format!(
        "<?xml version='1.0'?><stream:stream to='{domain}' xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' version='1.0'>"
    )
    .into_bytes()
}

/// The server's stream header and features: STARTTLS offered (`tls`), or SASL mechanisms, or
/// resource binding (after authentication).
pub fn xmpp_server_stream(rng: &mut SplitMix64, domain: &str, features: &str) -> Vec<u8> {
    let id = random_hex(rng, 16);
    let features = match features {
        "tls" => "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>",
        "sasl" => {
            "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>\
             <mechanism>PLAIN</mechanism></mechanisms>"
        }
        _ => {
            "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><session \
             xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>"
        }
    };
    format!(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' id='{id}' from='{domain}' version='1.0' \
         xml:lang='en'><stream:features>{features}</stream:features>"
    )
    .into_bytes()
}

pub const XMPP_STARTTLS: &[u8] = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
pub const XMPP_PROCEED: &[u8] = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
pub const XMPP_SUCCESS: &[u8] = b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
pub const XMPP_CLOSE: &[u8] = b"</stream:stream>";

/// SASL PLAIN authentication of `user` (the local part).
pub fn xmpp_auth_plain(user: &str, password: &str) -> Vec<u8> {
    let token = base64(format!("\0{user}\0{password}").as_bytes());
    format!("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{token}</auth>")
        .into_bytes()
}

pub fn xmpp_bind(resource: &str) -> Vec<u8> {
    format!(
        "<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{}\
         </resource></bind></iq><presence><priority>1</priority></presence>",
        xml_escape(resource)
    )
    .into_bytes()
}

pub fn xmpp_bind_result(jid: &str) -> Vec<u8> {
    format!(
        "<iq type='result' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>{}\
         </jid></bind></iq>",
        xml_escape(jid)
    )
    .into_bytes()
}

/// A chat message; `to` for one the client sends, `from` for one delivered to it.
pub fn xmpp_message(peer_attr: &str, peer: &str, id: u64, body: &[u8]) -> Vec<u8> {
    let body = xml_escape(&String::from_utf8_lossy(body));
    format!(
        "<message {peer_attr}='{}' type='chat' id='m{id}'><body>{body}</body></message>",
        xml_escape(peer)
    )
    .into_bytes()
}

/// XEP-0199 ping from the client, and the server's answer.
pub fn xmpp_ping(domain: &str, id: u64) -> (Vec<u8>, Vec<u8>) {
    (
        format!("<iq type='get' id='ping{id}' to='{domain}'><ping xmlns='urn:xmpp:ping'/></iq>")
            .into_bytes(),
        format!("<iq type='result' id='ping{id}' from='{domain}'/>").into_bytes(),
    )
}

// ---------------------------------------------------------------------------------------------
// STOMP 1.2
// ---------------------------------------------------------------------------------------------

/// A STOMP frame: command, headers, body, NUL.
pub fn stomp_frame(command: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(command.len() + body.len() + 64);
    f.extend_from_slice(command.as_bytes());
    f.push(b'\n');
    for (k, v) in headers {
        f.extend_from_slice(k.as_bytes());
        f.push(b':');
        f.extend_from_slice(v.as_bytes());
        f.push(b'\n');
    }
    if !body.is_empty() {
        f.extend_from_slice(format!("content-length:{}\n", body.len()).as_bytes());
    }
    f.push(b'\n');
    f.extend_from_slice(body);
    f.push(0);
    f
}

// ---------------------------------------------------------------------------------------------
// AMQP 0-9-1
// ---------------------------------------------------------------------------------------------

pub const AMQP_HEADER: &[u8] = b"AMQP\x00\x00\x09\x01";
pub const AMQP_HEARTBEAT: [u8; 8] = [8, 0, 0, 0, 0, 0, 0, 0xCE];

fn amqp_frame(kind: u8, channel: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![kind];
    f.extend_from_slice(&channel.to_be_bytes());
    f.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    f.extend_from_slice(payload);
    f.push(0xCE);
    f
}

fn shortstr(out: &mut Vec<u8>, s: &str) {
    let n = s.len().min(255);
    out.push(n as u8);
    out.extend_from_slice(s.as_bytes().get(..n).unwrap_or_default());
}

fn longstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// A field table with string values.
fn table(out: &mut Vec<u8>, entries: &[(&str, &str)]) {
    let mut t = Vec::new();
    for (k, v) in entries {
        shortstr(&mut t, k);
        t.push(b'S');
        longstr(&mut t, v.as_bytes());
    }
    longstr(out, &t);
}

fn amqp_method(channel: u16, class: u16, method: u16, args: &[u8]) -> Vec<u8> {
    let mut p = class.to_be_bytes().to_vec();
    p.extend_from_slice(&method.to_be_bytes());
    p.extend_from_slice(args);
    amqp_frame(1, channel, &p)
}

/// The server's Connection.Start.
pub fn amqp_start(product: &str) -> Vec<u8> {
    let mut a = vec![0, 9];
    table(
        &mut a,
        &[("product", product), ("platform", "Erlang/OTP 26")],
    );
    longstr(&mut a, b"PLAIN AMQPLAIN");
    longstr(&mut a, b"en_US");
    amqp_method(0, 10, 10, &a)
}

/// The client's Connection.Start-Ok with PLAIN credentials.
pub fn amqp_start_ok(product: &str, user: &str, password: &str) -> Vec<u8> {
    let mut a = Vec::new();
    table(&mut a, &[("product", product)]);
    shortstr(&mut a, "PLAIN");
    longstr(&mut a, format!("\0{user}\0{password}").as_bytes());
    shortstr(&mut a, "en_US");
    amqp_method(0, 10, 11, &a)
}

/// Connection.Tune (server, method 30) or Tune-Ok (client, method 31).
pub fn amqp_tune(ok: bool, heartbeat: u16) -> Vec<u8> {
    let mut a = 2047u16.to_be_bytes().to_vec();
    a.extend_from_slice(&131_072u32.to_be_bytes());
    a.extend_from_slice(&heartbeat.to_be_bytes());
    amqp_method(0, 10, if ok { 31 } else { 30 }, &a)
}

/// Connection.Open of a virtual host, and Open-Ok.
pub fn amqp_open(vhost: &str) -> (Vec<u8>, Vec<u8>) {
    let mut a = Vec::new();
    shortstr(&mut a, vhost);
    shortstr(&mut a, "");
    a.push(0);
    (amqp_method(0, 10, 40, &a), amqp_method(0, 10, 41, &[0]))
}

/// Channel.Open on channel 1, and Open-Ok.
pub fn amqp_channel_open() -> (Vec<u8>, Vec<u8>) {
    (
        amqp_method(1, 20, 10, &[0]),
        amqp_method(1, 20, 11, &[0, 0, 0, 0]),
    )
}

fn amqp_content(body: &[u8]) -> Vec<u8> {
    let mut h = 60u16.to_be_bytes().to_vec();
    h.extend_from_slice(&[0, 0]);
    h.extend_from_slice(&(body.len() as u64).to_be_bytes());
    h.extend_from_slice(&0x9000u16.to_be_bytes()); // content-type and delivery-mode present
    shortstr(&mut h, "application/json");
    h.push(2);
    let mut out = amqp_frame(2, 1, &h);
    out.extend_from_slice(&amqp_frame(3, 1, body));
    out
}

/// Basic.Publish to `exchange` with `routing_key`, its content header and body.
pub fn amqp_publish(exchange: &str, routing_key: &str, body: &[u8]) -> Vec<u8> {
    let mut a = vec![0, 0];
    shortstr(&mut a, exchange);
    shortstr(&mut a, routing_key);
    a.push(0);
    let mut out = amqp_method(1, 60, 40, &a);
    out.extend_from_slice(&amqp_content(body));
    out
}

/// Basic.Consume on a queue, and Consume-Ok.
pub fn amqp_consume(queue: &str, tag: &str) -> (Vec<u8>, Vec<u8>) {
    let mut a = vec![0, 0];
    shortstr(&mut a, queue);
    shortstr(&mut a, tag);
    a.push(0);
    a.extend_from_slice(&[0, 0, 0, 0]);
    let mut ok = Vec::new();
    shortstr(&mut ok, tag);
    (amqp_method(1, 60, 20, &a), amqp_method(1, 60, 21, &ok))
}

/// Basic.Deliver of a message to the consumer, with content.
pub fn amqp_deliver(tag: &str, delivery: u64, exchange: &str, key: &str, body: &[u8]) -> Vec<u8> {
    let mut a = Vec::new();
    shortstr(&mut a, tag);
    a.extend_from_slice(&delivery.to_be_bytes());
    a.push(0);
    shortstr(&mut a, exchange);
    shortstr(&mut a, key);
    let mut out = amqp_method(1, 60, 60, &a);
    out.extend_from_slice(&amqp_content(body));
    out
}

/// Connection.Close (client) and Close-Ok (server).
pub fn amqp_close() -> (Vec<u8>, Vec<u8>) {
    let mut a = 200u16.to_be_bytes().to_vec();
    shortstr(&mut a, "Goodbye");
    a.extend_from_slice(&[0, 0, 0, 0]);
    (amqp_method(0, 10, 50, &a), amqp_method(0, 10, 51, &[]))
}

// ---------------------------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------------------------

/// A Produce v2 request of one message (magic 1) to partition 0 of `topic`.
pub fn kafka_produce(correlation: i32, client_id: &str, topic: &str, value: &[u8]) -> Vec<u8> {
    let mut message = vec![0u8; 4]; // CRC: not checked by any reader of these files
    message.push(1); // magic
    message.push(0); // attributes
    message.extend_from_slice(&0i64.to_be_bytes()); // timestamp
    message.extend_from_slice(&(-1i32).to_be_bytes()); // null key
    message.extend_from_slice(&(value.len() as i32).to_be_bytes());
    message.extend_from_slice(value);
    let mut set = 0i64.to_be_bytes().to_vec();
    set.extend_from_slice(&(message.len() as i32).to_be_bytes());
    set.extend_from_slice(&message);

    let mut r = 0i16.to_be_bytes().to_vec(); // api key Produce
    r.extend_from_slice(&2i16.to_be_bytes());
    r.extend_from_slice(&correlation.to_be_bytes());
    r.extend_from_slice(&(client_id.len() as i16).to_be_bytes());
    r.extend_from_slice(client_id.as_bytes());
    r.extend_from_slice(&1i16.to_be_bytes()); // acks
    r.extend_from_slice(&30_000i32.to_be_bytes());
    r.extend_from_slice(&1i32.to_be_bytes());
    r.extend_from_slice(&(topic.len() as i16).to_be_bytes());
    r.extend_from_slice(topic.as_bytes());
    r.extend_from_slice(&1i32.to_be_bytes());
    r.extend_from_slice(&0i32.to_be_bytes());
    r.extend_from_slice(&(set.len() as i32).to_be_bytes());
    r.extend_from_slice(&set);
    let mut out = (r.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&r);
    out
}

/// The broker's Produce response (v2) for one partition.
pub fn kafka_produce_response(correlation: i32, topic: &str, offset: i64) -> Vec<u8> {
    let mut r = correlation.to_be_bytes().to_vec();
    r.extend_from_slice(&1i32.to_be_bytes());
    r.extend_from_slice(&(topic.len() as i16).to_be_bytes());
    r.extend_from_slice(topic.as_bytes());
    r.extend_from_slice(&1i32.to_be_bytes());
    r.extend_from_slice(&0i32.to_be_bytes());
    r.extend_from_slice(&0i16.to_be_bytes());
    r.extend_from_slice(&offset.to_be_bytes());
    r.extend_from_slice(&(-1i64).to_be_bytes());
    r.extend_from_slice(&0i32.to_be_bytes());
    let mut out = (r.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(&r);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), want);
        }
    }

    #[test]
    fn mqtt_lengths_are_consistent() {
        let c = mqtt_connect(4, "DVES_A1B2C3", Some("u"), Some("p"), 30);
        assert_eq!(c[0], 0x10);
        assert_eq!(usize::from(c[1]) + 2, c.len());
        let long = mqtt_publish(4, "t", &[b'x'; 300]);
        // 300 + 3 bytes of topic = 303 = 0xAF 0x02 as a variable length.
        assert_eq!(&long[..3], &[0x30, 0xAF, 0x02]);
        assert_eq!(long.len(), 3 + 303);
    }

    #[test]
    fn client_hello_carries_sni_and_alpn() {
        let mut rng = SplitMix64::new(1);
        let h = tls_client_hello(&mut rng, Some("a.example"), &["mqtt"]);
        assert_eq!(&h[..3], &[0x16, 0x03, 0x01]);
        assert_eq!(usize::from(u16::from_be_bytes([h[3], h[4]])) + 5, h.len());
        let text = String::from_utf8_lossy(&h);
        assert!(text.contains("a.example") && text.contains("mqtt"));
    }

    #[test]
    fn websocket_client_frames_are_masked() {
        let mut rng = SplitMix64::new(2);
        let f = websocket_frame(&mut rng, true, &MQTT_PINGREQ);
        assert_eq!(f[0], 0x82);
        assert_eq!(f[1], 0x80 | 2);
        assert_eq!(f.len(), 2 + 4 + 2);
        let key = [f[2], f[3], f[4], f[5]];
        assert_eq!([f[6] ^ key[0], f[7] ^ key[1]], MQTT_PINGREQ);
    }

    #[test]
    fn amqp_frames_end_with_the_frame_end() {
        for f in [
            amqp_start("RabbitMQ"),
            amqp_tune(false, 60),
            amqp_publish("celeryev", "worker.heartbeat", b"{}"),
        ] {
            assert_eq!(f.last(), Some(&0xCE));
        }
        let p = kafka_produce(7, "clicks-producer", "web.clickstream", b"{}");
        assert_eq!(
            u32::from_be_bytes([p[0], p[1], p[2], p[3]]) as usize + 4,
            p.len()
        );
    }
}
