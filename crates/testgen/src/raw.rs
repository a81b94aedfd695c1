//! Hand-made packets for tests of the capture path: an IPv4 packet carrying one TCP segment
//! (no options, checksums zero, as a capture of a checksum-offloading host shows them), and the
//! classic pcap header and records around raw IPv4 frames (link type 228, little-endian,
//! microsecond timestamps). Tests build hostile captures (cut records, absurd lengths) from
//! these pieces; the realistic captures of a scenario are [`crate::labeled::pcap`]'s.

pub const FIN: u8 = 0x01;
pub const SYN: u8 = 0x02;
pub const PSH: u8 = 0x08;
pub const ACK: u8 = 0x10;

/// An IPv4 packet from `src` to `dst` carrying one TCP segment from port `ports.0` to
/// `ports.1`.
pub fn ipv4_tcp(
    src: [u8; 4],
    dst: [u8; 4],
    ports: (u16, u16),
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::with_capacity(20 + payload.len());
    t.extend_from_slice(&ports.0.to_be_bytes());
    t.extend_from_slice(&ports.1.to_be_bytes());
    t.extend_from_slice(&seq.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&((20 + t.len()) as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&t);
    p
}

/// Appends a classic pcap file header for raw IPv4 frames.
pub fn pcap_header(out: &mut Vec<u8>) {
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    for v in [0u32, 0, 65535, 228] {
        out.extend_from_slice(&v.to_le_bytes());
    }
}

/// Appends one pcap record: its header (time, captured length, `orig_len` on the wire) and
/// `data`.
pub fn pcap_record(out: &mut Vec<u8>, secs: u32, usecs: u32, data: &[u8], orig_len: u32) {
    for v in [secs, usecs, data.len() as u32, orig_len] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(data);
}

/// A capture of hand-made TCP sessions, whose timing and hosts are the point (the census, a
/// watch's ratings), not their protocol: packets added in any order, written in time order.
#[derive(Debug, Default, Clone)]
pub struct Capture {
    packets: Vec<(u32, Vec<u8>)>,
}

impl Capture {
    /// A TCP connection from `src`:`sport` to `dst`:`dport` open from `from` to `to` (Unix
    /// seconds), with a short exchange each way every two minutes (under a flow table's idle
    /// timeout), closed with a FIN each way.
    pub fn session(
        &mut self,
        src: [u8; 4],
        sport: u16,
        dst: [u8; 4],
        dport: u16,
        from: u32,
        to: u32,
    ) {
        let (mut c_seq, mut s_seq) = (1_000u32, 9_000u32);
        self.packets
            .push((from, ipv4_tcp(src, dst, (sport, dport), c_seq, SYN, &[])));
        let mut t = from + 1;
        while t < to {
            let up = [0x30u8; 40];
            let down = [0x40u8; 30];
            self.packets
                .push((t, ipv4_tcp(src, dst, (sport, dport), c_seq, PSH | ACK, &up)));
            self.packets.push((
                t,
                ipv4_tcp(dst, src, (dport, sport), s_seq, PSH | ACK, &down),
            ));
            c_seq = c_seq.wrapping_add(up.len() as u32);
            s_seq = s_seq.wrapping_add(down.len() as u32);
            t += 120;
        }
        self.packets.push((
            to,
            ipv4_tcp(src, dst, (sport, dport), c_seq, FIN | ACK, &[]),
        ));
        self.packets.push((
            to,
            ipv4_tcp(dst, src, (dport, sport), s_seq, FIN | ACK, &[]),
        ));
    }

    /// The classic pcap file of the packets, in time order (a stable sort: packets of one
    /// second keep the order they were added in).
    pub fn to_pcap(&self) -> Vec<u8> {
        let mut packets: Vec<&(u32, Vec<u8>)> = self.packets.iter().collect();
        packets.sort_by_key(|(t, _)| *t);
        let mut out = Vec::new();
        pcap_header(&mut out);
        for (t, p) in packets {
            pcap_record(&mut out, *t, 0, p, p.len() as u32);
        }
        out
    }
}

/// The packets of an MQTT 3.1.1 subscriber's session from `client`:`port` to `broker`:1883, up
/// to its subscription and the broker's acknowledgement (handshake, CONNECT with `client_id`,
/// CONNACK, SUBSCRIBE to `filter`, SUBACK), the session still open; then the sequence numbers
/// the client and the broker would send next.
pub fn mqtt_subscriber(
    client: [u8; 4],
    port: u16,
    broker: [u8; 4],
    client_id: &str,
    filter: &str,
) -> (Vec<Vec<u8>>, u32, u32) {
    use crate::labeled::wire;
    let connect = wire::mqtt_connect(4, client_id, None, None, 60);
    let subscribe = wire::mqtt_subscribe(4, 1, &[filter.to_string()]);
    let (connack, suback) = (wire::mqtt_connack(4), wire::mqtt_suback(4, 1, 1));
    let (c, s) = ((port, 1883), (1883, port));
    let (c_seq, s_seq) = (101 + connect.len() as u32, 901 + connack.len() as u32);
    let packets = vec![
        ipv4_tcp(client, broker, c, 100, SYN, b""),
        ipv4_tcp(broker, client, s, 900, SYN | ACK, b""),
        ipv4_tcp(client, broker, c, 101, ACK, b""),
        ipv4_tcp(client, broker, c, 101, ACK | PSH, &connect),
        ipv4_tcp(broker, client, s, 901, ACK | PSH, &connack),
        ipv4_tcp(client, broker, c, c_seq, ACK | PSH, &subscribe),
        ipv4_tcp(broker, client, s, s_seq, ACK | PSH, &suback),
    ];
    (
        packets,
        c_seq + subscribe.len() as u32,
        s_seq + suback.len() as u32,
    )
}
