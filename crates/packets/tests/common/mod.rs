//! Small generated captures shared by the capture tests: IPv4/TCP packets and classic pcap
//! files of them (raw IPv4 link type, little-endian, microsecond timestamps).
// Each test crate uses what it needs.
#![allow(dead_code)]

/// An IPv4 packet carrying one TCP segment (checksums zero, no options).
pub fn ipv4_tcp(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(&sport.to_be_bytes());
    t.extend_from_slice(&dport.to_be_bytes());
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

/// A classic pcap (raw IPv4 link type) of (seconds after 1,700,000,000, frame, length on the
/// wire) records.
pub fn pcap<'a>(records: impl IntoIterator<Item = (u32, &'a [u8], u32)>) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    for v in [0u32, 0, 65535, 228] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    for (secs, data, orig) in records {
        for v in [1_700_000_000 + secs, 0, data.len() as u32, orig] {
            f.extend_from_slice(&v.to_le_bytes());
        }
        f.extend_from_slice(data);
    }
    f
}
