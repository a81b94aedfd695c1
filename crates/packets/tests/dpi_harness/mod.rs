//! The harness the inspector's capture tests share: a minimal pcap/pcapng →
//! Ethernet/VLAN/BSD-loopback/raw IP → TCP decoder and a naive in-order reassembly written here,
//! so those tests depend on nothing but the inspector itself; where the third-party corpus and
//! the project's own loopback fixtures are. Each test binary uses part of it.
#![allow(dead_code)]

use pcap_parser::{Block, PcapBlockOwned, PcapError, create_reader};
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};
use pubsub_hunt_packets::dpi::{SessionInspector, Side};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

pub fn corpus(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/pcaps")
        .join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("PUBSUB_HUNT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!("corpus file missing: {}", path.display());
    }
    eprintln!("note: corpus file {} missing, test skipped", path.display());
    None
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dpi")
        .join(name)
}

/// An address and port.
pub type Endpoint = (IpAddr, u16);

/// One decoded TCP segment.
pub struct Segment {
    pub src: (IpAddr, u16),
    pub dst: (IpAddr, u16),
    pub seq: u32,
    pub syn: bool,
    pub ack_flag: bool,
    pub payload: Vec<u8>,
}

pub fn ip_tcp(data: &[u8]) -> Option<Segment> {
    let version = data.first()? >> 4;
    let (src, dst, proto, l4) = match version {
        4 => {
            let ihl = usize::from(data.first()? & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*data.get(2)?, *data.get(3)?]));
            let src: [u8; 4] = data.get(12..16)?.try_into().ok()?;
            let dst: [u8; 4] = data.get(16..20)?.try_into().ok()?;
            let end = total.min(data.len());
            (
                IpAddr::from(src),
                IpAddr::from(dst),
                *data.get(9)?,
                data.get(ihl..end)?,
            )
        }
        6 => {
            let len = usize::from(u16::from_be_bytes([*data.get(4)?, *data.get(5)?]));
            let src: [u8; 16] = data.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = data.get(24..40)?.try_into().ok()?;
            let end = (40 + len).min(data.len());
            (
                IpAddr::from(src),
                IpAddr::from(dst),
                *data.get(6)?,
                data.get(40..end)?,
            )
        }
        _ => return None,
    };
    if proto != 6 {
        return None;
    }
    let sport = u16::from_be_bytes([*l4.first()?, *l4.get(1)?]);
    let dport = u16::from_be_bytes([*l4.get(2)?, *l4.get(3)?]);
    let seq = u32::from_be_bytes(l4.get(4..8)?.try_into().ok()?);
    let offset = usize::from(l4.get(12)? >> 4) * 4;
    let flags = *l4.get(13)?;
    Some(Segment {
        src: (src, sport),
        dst: (dst, dport),
        seq,
        syn: flags & 0x02 != 0,
        ack_flag: flags & 0x10 != 0,
        payload: l4.get(offset..)?.to_vec(),
    })
}

pub fn decode(linktype: i32, data: &[u8]) -> Option<Segment> {
    match linktype {
        // Ethernet, with 802.1Q tags.
        1 => {
            let mut at = 12;
            let mut ethertype = u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]);
            while ethertype == 0x8100 || ethertype == 0x88a8 {
                at += 4;
                ethertype = u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]);
            }
            ip_tcp(data.get(at + 2..)?)
        }
        // BSD loopback: 4-byte address family.
        0 | 108 => ip_tcp(data.get(4..)?),
        // Raw IP.
        12 | 14 | 101 | 228 | 229 => ip_tcp(data),
        // Linux cooked capture.
        113 => ip_tcp(data.get(16..)?),
        _ => None,
    }
}

/// Every packet of a capture as (link type, bytes).
pub fn packets(path: &Path) -> Vec<(i32, Vec<u8>)> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader =
        create_reader(1 << 20, file).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let mut out = Vec::new();
    let mut legacy_link = 1;
    let mut interfaces: Vec<i32> = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => legacy_link = h.network.0,
                    PcapBlockOwned::Legacy(b) => out.push((legacy_link, b.data.to_vec())),
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => interfaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        interfaces.push(idb.linktype.0)
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let link = interfaces.get(epb.if_id as usize).copied().unwrap_or(1);
                        out.push((link, epb.data.to_vec()));
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        out.push((interfaces.first().copied().unwrap_or(1), spb.data.to_vec()));
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.refill().is_err() {
                    break;
                }
            }
            Err(e) => panic!("{}: {e:?}", path.display()),
        }
    }
    out
}

/// One TCP flow as the inspector saw it.
#[derive(Debug)]
pub struct Flow {
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub app: AppInfo,
}

struct FlowState {
    client: (IpAddr, u16),
    server: (IpAddr, u16),
    next_seq: [Option<u32>; 2],
    inspector: SessionInspector,
}

/// Reassembles in capture order (retransmitted bytes dropped, holes reported as gaps) and
/// inspects every TCP flow of a capture.
pub fn inspect(path: &Path) -> Vec<Flow> {
    let mut flows: BTreeMap<(Endpoint, Endpoint), FlowState> = BTreeMap::new();
    for (n, (link, data)) in packets(path).into_iter().enumerate() {
        let Some(seg) = decode(link, &data) else {
            continue;
        };
        let key = if seg.src <= seg.dst {
            (seg.src, seg.dst)
        } else {
            (seg.dst, seg.src)
        };
        let flow = flows.entry(key).or_insert_with(|| {
            // The SYN sender is the client; without a SYN, the sender to the lower port is.
            let client_is_src = if seg.syn {
                !seg.ack_flag
            } else {
                seg.src.1 > seg.dst.1
            };
            let (client, server) = if client_is_src {
                (seg.src, seg.dst)
            } else {
                (seg.dst, seg.src)
            };
            FlowState {
                client,
                server,
                next_seq: [None, None],
                inspector: SessionInspector::with_server_port(server.1),
            }
        });
        let side = if seg.src == flow.client {
            Side::Client
        } else {
            Side::Server
        };
        let i = usize::from(side == Side::Server);
        let mut seq = seg.seq;
        if seg.syn {
            seq = seq.wrapping_add(1);
            flow.next_seq[i] = Some(seq);
        }
        if seg.payload.is_empty() {
            continue;
        }
        let mut payload = &seg.payload[..];
        match flow.next_seq[i] {
            None => {}
            Some(next) => {
                let ahead = seq.wrapping_sub(next) as i32;
                if ahead > 0 {
                    flow.inspector.gap(side);
                } else if ahead < 0 {
                    let old = (-ahead) as usize;
                    if old >= payload.len() {
                        continue;
                    }
                    payload = &payload[old..];
                    seq = next;
                }
            }
        }
        flow.next_seq[i] = Some(seq.wrapping_add(payload.len() as u32));
        if flow.inspector.wants_more() {
            flow.inspector
                .feed(side, n as i64 * 1000, n as u64, payload);
        }
    }
    flows
        .into_values()
        .map(|f| Flow {
            client: f.client,
            server: f.server,
            app: f.inspector.finish(),
        })
        .collect()
}

pub fn with_protocol(flows: &[Flow], p: Protocol) -> Vec<&Flow> {
    flows.iter().filter(|f| f.app.protocol == Some(p)).collect()
}

pub fn all_client_ids(flows: &[&Flow]) -> Vec<String> {
    let mut ids: Vec<String> = flows
        .iter()
        .flat_map(|f| f.app.client_ids.iter().cloned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

pub fn has_topic(flows: &[&Flow], name: &str, dir: TopicDirection) -> bool {
    flows.iter().any(|f| {
        f.app
            .topics
            .iter()
            .any(|t| t.name == name && t.direction == dir)
    })
}
