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
    pubsub_hunt_testgen::raw::ipv4_tcp(src, dst, (sport, dport), seq, flags, payload)
}

/// A classic pcap (raw IPv4 link type) of (seconds after 1,700,000,000, frame, length on the
/// wire) records.
pub fn pcap<'a>(records: impl IntoIterator<Item = (u32, &'a [u8], u32)>) -> Vec<u8> {
    use pubsub_hunt_testgen::raw::{pcap_header, pcap_record};
    let mut f = Vec::new();
    pcap_header(&mut f);
    for (secs, data, orig) in records {
        pcap_record(&mut f, 1_700_000_000 + secs, 0, data, orig);
    }
    f
}
