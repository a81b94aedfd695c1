//! Small generated captures shared by the capture tests: IPv4/TCP packets, classic pcap files
//! of them (raw IPv4 link type, little-endian, microsecond timestamps), and pcapng files of
//! enhanced packet blocks.
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

/// pcapng (little-endian): a section header, an interface (raw IPv4), then `blocks`.
pub fn pcapng(blocks: &[Vec<u8>]) -> Vec<u8> {
    let mut f = Vec::new();
    let shb: [u32; 7] = [
        0x0a0d_0d0a,
        28,
        0x1a2b_3c4d,
        1,
        0xffff_ffff,
        0xffff_ffff,
        28,
    ];
    for (i, v) in shb.iter().enumerate() {
        if i == 3 {
            f.extend_from_slice(&1u16.to_le_bytes());
            f.extend_from_slice(&0u16.to_le_bytes());
        } else {
            f.extend_from_slice(&v.to_le_bytes());
        }
    }
    for v in [1u32, 20, 228, 65535, 20] {
        f.extend_from_slice(&v.to_le_bytes());
    }
    for b in blocks {
        f.extend_from_slice(b);
    }
    f
}

/// An enhanced packet block on interface 0 at time 0: `data`, and the captured length it
/// claims (which may contradict the block).
pub fn epb(data: &[u8], caplen: u32) -> Vec<u8> {
    let mut body = Vec::new();
    for v in [0u32, 0, 0, caplen, data.len() as u32] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    body.extend_from_slice(data);
    while body.len() % 4 != 0 {
        body.push(0);
    }
    let len = 12 + body.len() as u32;
    let mut b = 6u32.to_le_bytes().to_vec();
    b.extend_from_slice(&len.to_le_bytes());
    b.extend_from_slice(&body);
    b.extend_from_slice(&len.to_le_bytes());
    b
}

/// The captures of the shared corpus beside the repository (none when it is not there, unless
/// `PUBSUB_HUNT_REQUIRE_CORPUS=1` says it must be).
pub fn corpus_captures() -> Vec<std::path::PathBuf> {
    let root = std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/pcaps"
    ));
    let mut found = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                found.push(p);
            }
        }
    }
    found.sort();
    if found.is_empty() && std::env::var("PUBSUB_HUNT_REQUIRE_CORPUS").is_ok_and(|v| v == "1") {
        panic!("no capture in the shared corpus");
    }
    found
}
