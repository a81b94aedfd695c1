//! The capture renderer: every connection of the scenario as Ethernet + IPv4 + TCP packets in a
//! legacy pcap file (microsecond timestamps, link type 1), with a real three-way handshake,
//! consistent sequence and acknowledgement numbers, payload segments of at most 1460 bytes,
//! pure ACKs from the receiving side, a FIN close, and correct IPv4 and TCP checksums.
//!
//! [`packets`] turns one connection into its packets; the Zeek renderer counts the same packets,
//! so conn.log packet and byte counts agree with the capture exactly.

use super::model::{Channel, Os};
use super::session::Connection;
use crate::rng::SplitMix64;
use crate::time::{MICROS_PER_SEC, Micros};
use std::io::{self, Write};
use std::net::Ipv4Addr;

pub const MSS: usize = 1460;

const FIN: u8 = 0x01;
const SYN: u8 = 0x02;
const PSH: u8 = 0x08;
const ACK: u8 = 0x10;

/// One TCP packet of a connection.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    pub t: Micros,
    pub from_client: bool,
    pub flags: u8,
    pub seq: u32,
    pub ack: u32,
    pub payload: Vec<u8>,
}

impl Packet {
    /// IPv4 total length: 20 (IP) + 20 (TCP, 24 with the SYN's MSS option) + payload.
    pub fn ip_len(&self) -> usize {
        let options = if self.flags & SYN != 0 { 4 } else { 0 };
        40 + options + self.payload.len()
    }
}

/// The packets of one connection, in time order. Sequence numbers start at random ISNs drawn
/// from `rng`; they are assigned in one pass over the packets sorted by time, so a pure ACK
/// that is seen after later data carries the sequence number that data left.
pub fn packets(rng: &mut SplitMix64, conn: &Connection, ch: &Channel) -> Vec<Packet> {
    let rtt = ch.rtt_micros.max(100);
    let client_isn = rng.next_u64() as u32;
    let server_isn = rng.next_u64() as u32;
    // (time, from_client, flags, payload) before numbering.
    let mut plan: Vec<(Micros, bool, u8, &[u8])> = Vec::with_capacity(6 + conn.segments.len() * 3);
    plan.push((conn.start, true, SYN, &[]));
    plan.push((conn.start + rtt, false, SYN | ACK, &[]));
    plan.push((conn.start + rtt + 60, true, ACK, &[]));
    for (i, seg) in conn.segments.iter().enumerate() {
        let chunks = seg.bytes.chunks(MSS).count();
        for (k, chunk) in seg.bytes.chunks(MSS).enumerate() {
            let flags = if k + 1 == chunks { PSH | ACK } else { ACK };
            plan.push((seg.t + 12 * k as Micros, seg.from_client, flags, chunk));
        }
        // The receiver acknowledges, unless its own next write (which carries the ACK) comes
        // first.
        let ack_at = seg.t + 12 * chunks as Micros + if seg.from_client { rtt } else { 200 };
        let answered = conn
            .segments
            .get(i + 1)
            .is_some_and(|next| next.from_client != seg.from_client && next.t <= ack_at);
        if !answered {
            plan.push((ack_at, !seg.from_client, ACK, &[]));
        }
    }
    let data_end = plan.iter().map(|p| p.0).max().unwrap_or(conn.end);
    let fin_at = conn.end.max(data_end + 100);
    plan.push((fin_at, true, FIN | ACK, &[]));
    plan.push((fin_at + rtt, false, FIN | ACK, &[]));
    plan.push((fin_at + rtt + 60, true, ACK, &[]));
    // Stable: packets planned for the same instant keep their planned order.
    plan.sort_by_key(|p| p.0);

    let mut client_next = client_isn;
    let mut server_next = server_isn;
    let mut out = Vec::with_capacity(plan.len());
    for (t, from_client, flags, payload) in plan {
        let (mine, theirs) = if from_client {
            (&mut client_next, server_next)
        } else {
            (&mut server_next, client_next)
        };
        let seq = *mine;
        let advance = payload.len() as u32 + u32::from(flags & (SYN | FIN) != 0);
        *mine = mine.wrapping_add(advance);
        out.push(Packet {
            t,
            from_client,
            flags,
            seq,
            ack: if flags & ACK != 0 { theirs } else { 0 },
            payload: payload.to_vec(),
        });
    }
    out
}

/// The Internet checksum (RFC 1071) of `data`, continuing from `sum`.
fn checksum(mut sum: u32, data: &[u8]) -> u16 {
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

fn mac_of(ip: Ipv4Addr) -> [u8; 6] {
    let o = ip.octets();
    [0x02, 0x00, o[0], o[1], o[2], o[3]]
}

const GATEWAY_MAC: [u8; 6] = [0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x01];

fn is_internal(ip: Ipv4Addr) -> bool {
    ip.is_private() || ip.is_loopback()
}

/// The link-layer frame of one packet.
pub fn frame(conn: &Connection, ch: &Channel, p: &Packet, ip_id: u16) -> Vec<u8> {
    let (src, dst, sport, dport) = if p.from_client {
        (ch.host.ip, ch.dst_ip, conn.src_port, ch.dst_port)
    } else {
        (ch.dst_ip, ch.host.ip, ch.dst_port, conn.src_port)
    };
    let server_mac = if is_internal(ch.dst_ip) {
        mac_of(ch.dst_ip)
    } else {
        GATEWAY_MAC
    };
    let (src_mac, dst_mac) = if p.from_client {
        (mac_of(ch.host.ip), server_mac)
    } else {
        (server_mac, mac_of(ch.host.ip))
    };
    let syn = p.flags & SYN != 0;
    let tcp_header = if syn { 24 } else { 20 };
    let mut tcp = Vec::with_capacity(tcp_header + p.payload.len());
    tcp.extend_from_slice(&sport.to_be_bytes());
    tcp.extend_from_slice(&dport.to_be_bytes());
    tcp.extend_from_slice(&p.seq.to_be_bytes());
    tcp.extend_from_slice(&(if p.flags & ACK != 0 { p.ack } else { 0 }).to_be_bytes());
    tcp.push(((tcp_header / 4) as u8) << 4);
    tcp.push(p.flags);
    let window: u16 = if p.from_client { 64_240 } else { 65_160 };
    tcp.extend_from_slice(&window.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    if syn {
        tcp.extend_from_slice(&[2, 4]);
        tcp.extend_from_slice(&(MSS as u16).to_be_bytes());
    }
    tcp.extend_from_slice(&p.payload);
    let mut pseudo = 0u32;
    for half in src.octets().chunks(2).chain(dst.octets().chunks(2)) {
        pseudo += u32::from(u16::from_be_bytes([half[0], half[1]]));
    }
    pseudo += 6 + tcp.len() as u32;
    let sum = checksum(pseudo, &tcp);
    tcp[16..18].copy_from_slice(&sum.to_be_bytes());

    let total = 20 + tcp.len();
    let ttl = match (p.from_client, ch.host.os) {
        (true, Os::Windows) => 128,
        (true, _) => 64,
        (false, _) if is_internal(ch.dst_ip) => 64,
        (false, _) => 64 - 12,
    };
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&ip_id.to_be_bytes());
    ip.extend_from_slice(&[0x40, 0, ttl, 6, 0, 0]); // don't fragment, TCP
    ip.extend_from_slice(&src.octets());
    ip.extend_from_slice(&dst.octets());
    let sum = checksum(0, &ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());

    let mut f = Vec::with_capacity(14 + total);
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&[0x08, 0x00]);
    f.extend_from_slice(&ip);
    f.extend_from_slice(&tcp);
    f
}

/// Writes the whole capture. Packets of all connections are merged in time order.
pub fn write_pcap<W: Write>(
    mut out: W,
    seed: u64,
    channels: &[Channel],
    conns: &[Connection],
) -> io::Result<u64> {
    let mut rng = SplitMix64::for_stream(seed, 0x9ca9);
    let mut frames: Vec<(Micros, usize, Vec<u8>)> = Vec::new();
    for conn in conns {
        let Some(ch) = channels.get(conn.channel) else {
            continue;
        };
        let mut ip_id = [rng.next_u64() as u16, rng.next_u64() as u16];
        for p in packets(&mut rng, conn, ch) {
            let side = usize::from(!p.from_client);
            ip_id[side] = ip_id[side].wrapping_add(1);
            let f = frame(conn, ch, &p, ip_id[side]);
            frames.push((p.t, frames.len(), f));
        }
    }
    frames.sort_by_key(|(t, order, _)| (*t, *order));
    let mut header = Vec::with_capacity(24);
    header.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    header.extend_from_slice(&2u16.to_le_bytes());
    header.extend_from_slice(&4u16.to_le_bytes());
    header.extend_from_slice(&0i32.to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    header.extend_from_slice(&65_535u32.to_le_bytes());
    header.extend_from_slice(&1u32.to_le_bytes());
    out.write_all(&header)?;
    for (t, _, f) in &frames {
        let mut rec = Vec::with_capacity(16);
        rec.extend_from_slice(&((t.div_euclid(MICROS_PER_SEC)) as u32).to_le_bytes());
        rec.extend_from_slice(&((t.rem_euclid(MICROS_PER_SEC)) as u32).to_le_bytes());
        rec.extend_from_slice(&(f.len() as u32).to_le_bytes());
        rec.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.write_all(&rec)?;
        out.write_all(f)?;
    }
    out.flush()?;
    Ok(frames.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::super::model::Scenario;
    use super::super::session::simulate;
    use super::*;
    use std::collections::HashMap;

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_be_bytes([b[i], b[i + 1]])
    }

    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
    }

    /// Reads the capture back with a reader written from the file format, and checks every
    /// frame: lengths, checksums, and per-flow sequence continuity.
    #[test]
    fn capture_reads_back_consistently() {
        let s = Scenario::generate(11, 4.0);
        let conns = simulate(&s);
        let mut buf = Vec::new();
        let written = write_pcap(&mut buf, s.seed, &s.channels, &conns).expect("write");
        assert_eq!(
            u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]),
            0xa1b2_c3d4
        );
        let mut at = 24;
        let mut count = 0u64;
        let mut last_ts = 0u64;
        // Next expected sequence number per (src, sport, dst, dport).
        let mut next_seq: HashMap<([u8; 4], u16, [u8; 4], u16), u32> = HashMap::new();
        let mut syns = 0;
        let mut fins = 0;
        while at < buf.len() {
            let rec = &buf[at..at + 16];
            let sec = u32::from_le_bytes([rec[0], rec[1], rec[2], rec[3]]);
            let usec = u32::from_le_bytes([rec[4], rec[5], rec[6], rec[7]]);
            let incl = u32::from_le_bytes([rec[8], rec[9], rec[10], rec[11]]) as usize;
            let ts = u64::from(sec) * 1_000_000 + u64::from(usec);
            assert!(ts >= last_ts, "timestamps go back");
            assert!(usec < 1_000_000);
            last_ts = ts;
            let f = &buf[at + 16..at + 16 + incl];
            at += 16 + incl;
            count += 1;
            assert_eq!(u16_at(f, 12), 0x0800);
            let ip = &f[14..];
            assert_eq!(usize::from(u16_at(ip, 2)), ip.len());
            assert_eq!(checksum(0, &ip[..20]), 0, "IPv4 header checksum");
            assert_eq!(ip[9], 6);
            let tcp = &ip[20..];
            let header = usize::from(tcp[12] >> 4) * 4;
            let payload = tcp.len() - header;
            assert!(payload <= MSS);
            let mut pseudo = 0u32;
            for i in (12..20).step_by(2) {
                pseudo += u32::from(u16_at(ip, i));
            }
            pseudo += 6 + tcp.len() as u32;
            assert_eq!(checksum(pseudo, tcp), 0, "TCP checksum");
            let key = (
                [ip[12], ip[13], ip[14], ip[15]],
                u16_at(tcp, 0),
                [ip[16], ip[17], ip[18], ip[19]],
                u16_at(tcp, 2),
            );
            let flags = tcp[13];
            let seq = u32_at(tcp, 4);
            if flags & SYN != 0 {
                syns += 1;
                next_seq.insert(key, seq.wrapping_add(1));
                continue;
            }
            let want = next_seq.get(&key).copied().expect("packet after SYN");
            assert_eq!(seq, want, "sequence continuity");
            let mut advance = payload as u32;
            if flags & FIN != 0 {
                fins += 1;
                advance += 1;
            }
            next_seq.insert(key, want.wrapping_add(advance));
        }
        assert_eq!(count, written);
        assert_eq!(syns, 2 * conns.len(), "SYN and SYN-ACK per connection");
        assert_eq!(fins, 2 * conns.len());
    }
}
