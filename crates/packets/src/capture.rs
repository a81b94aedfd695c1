//! Capture files: turns a pcap or pcapng byte stream into numbered, timestamped link-layer
//! frames with `pcap-parser`'s record and block parsers, run in place in the blocks the input
//! is read into ([`blocks`]: the file is never loaded whole, and a frame is not copied again).
//!
//! Both pcap byte orders and timestamp precisions (µs, ns) are read; pcapng sections may switch
//! byte order, and each interface has its own link type and timestamp resolution (`if_tsresol`,
//! `if_tsoffset`), kept per section. Damage is reported to the [`FrameSink`] and reading goes on
//! where it can: a pcapng block with a bad body is skipped by its length; a pcap record header
//! that makes no sense ends the file, since nothing says where the next record starts.

pub mod blocks;
mod resync;

pub use blocks::{BlockSource, Direct};
use blocks::{InPlace, describe};

use crate::link;
use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{PcapBlockOwned, PcapError};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_reader::ProblemKind;
use std::io::Read;
use thiserror::Error;

/// The container format of a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Pcap,
    PcapNg,
}

impl Container {
    /// The `source_format` name of events read from this container.
    pub fn name(self) -> &'static str {
        match self {
            Container::Pcap => "pcap",
            Container::PcapNg => "pcapng",
        }
    }

    /// Recognises a capture by its magic number.
    pub fn sniff(head: &[u8]) -> Option<Container> {
        match head.first_chunk::<4>()? {
            // µs and ns magics, both byte orders; a1b2cd34 is the "modified" (Kuznetzov) pcap.
            [0xd4, 0xc3, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xc3, 0xd4]
            | [0x4d, 0x3c, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0x3c, 0x4d]
            | [0x34, 0xcd, 0xb2, 0xa1]
            | [0xa1, 0xb2, 0xcd, 0x34] => Some(Container::Pcap),
            [0x0a, 0x0d, 0x0d, 0x0a] => {
                // The byte-order magic follows the block length; a head too short to hold it
                // is still taken as pcapng (the block type alone is distinctive).
                match head.get(8..12) {
                    None | Some([0x1a, 0x2b, 0x3c, 0x4d]) | Some([0x4d, 0x3c, 0x2b, 0x1a]) => {
                        Some(Container::PcapNg)
                    }
                    Some(_) => None,
                }
            }
            _ => None,
        }
    }
}

/// One captured frame.
#[derive(Debug, Clone, Copy)]
pub struct Frame<'a> {
    /// 1-based packet number, as Wireshark counts (every packet record, decodable or not).
    pub number: u64,
    pub ts: Micros,
    /// LINKTYPE of the interface the frame was captured on.
    pub linktype: u32,
    /// The captured bytes (possibly cut at the snap length).
    pub data: &'a [u8],
    /// Length of the frame on the wire.
    pub orig_len: u32,
}

/// Receives the frames of a capture.
pub trait FrameSink {
    fn frame(&mut self, frame: &Frame<'_>);
    /// Damage that is not one bad frame (a corrupt block, a truncated file).
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String);
    /// True when reading should stop.
    fn aborted(&self) -> bool {
        false
    }
    /// Bytes consumed since the last call.
    fn bytes(&mut self, _n: u64) {}
}

/// Why a capture cannot be read at all (or any further).
#[derive(Debug, Error)]
pub enum CaptureError {
    #[error("not a pcap or pcapng capture")]
    NotACapture,
    #[error("capture header unreadable: {0}")]
    BadHeader(String),
    #[error("read error")]
    Read,
    #[error("block of more than {0} bytes (the reader's buffer limit)")]
    BlockTooLarge(usize),
}

/// The most the reader holds for one oversized record or block (a jumbo frame, a big pcapng
/// block): at first a block's worth, grown to this.
pub const MAX_BUFFER: usize = 16 << 20;

/// Summary of a read.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReadSummary {
    /// Packet records seen (the last packet number).
    pub packets: u64,
    /// Bytes of the file consumed.
    pub bytes: u64,
}

/// Reads a capture of either container format, giving every frame to `sink`. Returns the
/// container that was read.
pub fn read_capture<R: Read>(
    input: R,
    sink: &mut dyn FrameSink,
) -> Result<(Container, ReadSummary), CaptureError> {
    read_capture_from(Direct::new(input), sink)
}

/// [`read_capture`] over blocks from `source` (read on this thread or ahead on another).
pub fn read_capture_from<S: BlockSource>(
    source: S,
    sink: &mut dyn FrameSink,
) -> Result<(Container, ReadSummary), CaptureError> {
    let mut reader = InPlace::open(source, 12).map_err(|_| CaptureError::Read)?;
    let head = reader.data().get(..12).unwrap_or(reader.data());
    let container = Container::sniff(head).ok_or(CaptureError::NotACapture)?;
    let started = match container {
        Container::Pcap => reader.start_legacy(),
        Container::PcapNg => reader.start_ng(),
    };
    started.map_err(|e| match e {
        blocks::HeaderError::Bad(detail) => CaptureError::BadHeader(detail),
        blocks::HeaderError::Read => CaptureError::Read,
    })?;
    let summary = drive(reader, container, sink)?;
    Ok((container, summary))
}

/// One interface of the current pcapng section.
#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u32,
    /// Timestamp units per second.
    units_per_sec: u64,
    /// Seconds added to every timestamp.
    offset_secs: i64,
}

/// Most interfaces kept per pcapng section (each is a few bytes, but the count is input).
const MAX_INTERFACES: usize = 4096;

struct State {
    container: Container,
    packets: u64,
    /// Legacy pcap: link type and whether fractions are nanoseconds.
    legacy_linktype: u32,
    legacy_nanos: bool,
    interfaces: Vec<Interface>,
    big_endian: bool,
    /// Timestamp of the last packet, for Simple Packet Blocks (which have none).
    last_ts: Micros,
    /// Legacy pcap: what its header says about records.
    legacy: resync::Legacy,
    reported_linktypes: Vec<u32>,
}

fn drive<P: PcapReaderIterator>(
    mut reader: P,
    container: Container,
    sink: &mut dyn FrameSink,
) -> Result<ReadSummary, CaptureError> {
    let mut state = State {
        container,
        packets: 0,
        legacy_linktype: link::linktype::ETHERNET,
        legacy_nanos: false,
        interfaces: Vec::new(),
        big_endian: false,
        last_ts: 0,
        legacy: resync::Legacy {
            big_endian: false,
            header_len: 16,
            snaplen: resync::MAX_PACKET,
            nanos: false,
        },
        reported_linktypes: Vec::new(),
    };
    let mut capacity = blocks::BLOCK;
    let mut consumed: u64 = 0;
    let mut stalled_refills = 0u32;
    loop {
        if sink.aborted() {
            break;
        }
        // A record that claims an impossible length is refused before it is parsed: more
        // input cannot help (the reader would wait for it to the end of the file and call the
        // rest a truncated record), and how much of it is buffered must not decide whether it
        // is read. The legacy file header (nothing consumed yet) is not a record.
        let claim = match container {
            Container::Pcap if reader.consumed() == 0 => None,
            _ => state.absurd(reader.data()),
        };
        let step = match claim {
            Some(claim) => Err(Step::Absurd(claim)),
            None => match reader.next() {
                Ok((offset, block)) => {
                    state.block(block, sink);
                    Ok(offset)
                }
                Err(PcapError::Eof) => break,
                Err(PcapError::Incomplete(_)) => Err(Step::Refill),
                Err(PcapError::BufferTooSmall) => Err(Step::Grow),
                Err(PcapError::UnexpectedEof) => Err(Step::Truncated),
                Err(PcapError::ReadError) => return Err(CaptureError::Read),
                Err(e) => Err(Step::Corrupt(describe(&e))),
            },
        };
        // pcap-parser reports a pcapng block whose body contradicts itself (a captured length
        // beyond the block) as "incomplete"; when the whole block is already buffered, more
        // input cannot help: it is damaged.
        let step = match step {
            Err(Step::Refill | Step::Truncated)
                if state.container == Container::PcapNg
                    && block_length(reader.data(), state.big_endian).is_some() =>
            {
                Err(Step::Corrupt("invalid block".into()))
            }
            other => other,
        };
        match step {
            Ok(offset) => {
                reader.consume(offset);
                consumed += offset as u64;
                sink.bytes(offset as u64);
                stalled_refills = 0;
            }
            Err(Step::Refill) => {
                let before = reader.data().len();
                reader.refill().map_err(|_| CaptureError::Read)?;
                if reader.data().len() == before && !reader.reader_exhausted() {
                    // The buffer is full and the parser still wants more without saying how
                    // much: treat it as a block too large for the buffer.
                    stalled_refills += 1;
                    if stalled_refills > 1 && !grow(&mut reader, &mut capacity) {
                        return Err(CaptureError::BlockTooLarge(MAX_BUFFER));
                    }
                }
            }
            Err(Step::Grow) => {
                if !grow(&mut reader, &mut capacity) {
                    sink.problem(
                        Some(state.packets + 1),
                        ProblemKind::CorruptData,
                        format!(
                            "record after packet {} claims more than {MAX_BUFFER} bytes; the rest of the capture is unreadable",
                            state.packets
                        ),
                    );
                    break;
                }
                reader.refill().map_err(|_| CaptureError::Read)?;
            }
            Err(Step::Truncated) if reader.data().is_empty() => break,
            Err(Step::Absurd(claim)) => {
                let (skipped, found) =
                    resync::skip_to_plausible(&mut reader, &|d, at_end| state.plausible(d, at_end))
                        .map_err(|_| CaptureError::Read)?;
                consumed += skipped;
                sink.bytes(skipped);
                let what = match state.container {
                    Container::Pcap => "record",
                    Container::PcapNg => "block",
                };
                let after = if found {
                    format!("{skipped} bytes skipped to the next plausible {what}")
                } else {
                    format!(
                        "the remaining {skipped} bytes hold no plausible {what} and were skipped"
                    )
                };
                sink.problem(
                    Some(state.packets + 1),
                    ProblemKind::CorruptData,
                    format!(
                        "{what} after packet {} claims an impossible length ({claim} bytes); {after}",
                        state.packets
                    ),
                );
                if !found {
                    break;
                }
            }
            Err(Step::Truncated) => {
                sink.problem(
                    Some(state.packets + 1),
                    ProblemKind::TruncatedRecord,
                    "capture ends inside a record (file cut while being written?)".into(),
                );
                break;
            }
            Err(Step::Corrupt(detail)) => {
                // pcapng blocks say their own length: skip the damaged one. Legacy pcap has no
                // way to find the next record.
                let skip = match state.container {
                    Container::PcapNg => block_length(reader.data(), state.big_endian),
                    Container::Pcap => None,
                };
                sink.problem(
                    Some(state.packets + 1),
                    ProblemKind::CorruptData,
                    format!(
                        "{detail} after packet {}{}",
                        state.packets,
                        if skip.is_some() {
                            "; block skipped"
                        } else {
                            "; the rest of the capture is unreadable"
                        }
                    ),
                );
                match skip {
                    Some(len) => {
                        reader.consume(len);
                        consumed += len as u64;
                        sink.bytes(len as u64);
                    }
                    None => break,
                }
            }
        }
    }
    Ok(ReadSummary {
        packets: state.packets,
        bytes: consumed,
    })
}

enum Step {
    Refill,
    Grow,
    Truncated,
    Corrupt(String),
    /// A record or block header claims this impossible length.
    Absurd(u32),
}

fn grow<P: PcapReaderIterator>(reader: &mut P, capacity: &mut usize) -> bool {
    if *capacity >= MAX_BUFFER {
        return false;
    }
    *capacity = (*capacity * 2).min(MAX_BUFFER);
    reader.grow(*capacity)
}

/// The total length of the pcapng block at the start of `data`, when it is plausible and the
/// whole block is in the buffer.
fn block_length(data: &[u8], big_endian: bool) -> Option<usize> {
    let len = resync::block_total(data, big_endian)? as usize;
    (len >= 12 && len.is_multiple_of(4) && len <= data.len()).then_some(len)
}

impl State {
    /// The impossible length a record or block header at the front of `data` claims.
    fn absurd(&self, data: &[u8]) -> Option<u32> {
        match self.container {
            Container::Pcap => self.legacy.absurd(data),
            Container::PcapNg => resync::absurd_block(data, self.big_endian),
        }
    }

    /// Whether a plausible record or block starts at the front of `data` (`None`: cannot tell
    /// from what is buffered).
    fn plausible(&self, data: &[u8], at_end: bool) -> Option<bool> {
        match self.container {
            Container::Pcap => {
                let last = u32::try_from(self.last_ts.div_euclid(1_000_000)).ok();
                self.legacy
                    .plausible(data, (self.packets > 0).then_some(last).flatten(), at_end)
            }
            Container::PcapNg => resync::plausible_block(data, self.big_endian, at_end),
        }
    }

    fn block(&mut self, block: PcapBlockOwned<'_>, sink: &mut dyn FrameSink) {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.legacy_linktype = h.network.0 as u32;
                self.legacy_nanos = h.is_nanosecond_precision();
                self.legacy = resync::Legacy {
                    big_endian: h.is_bigendian(),
                    header_len: if h.is_modified_format() { 24 } else { 16 },
                    snaplen: h.snaplen,
                    nanos: h.is_nanosecond_precision(),
                };
                self.check_linktype(self.legacy_linktype, sink);
            }
            PcapBlockOwned::Legacy(b) => {
                self.packets += 1;
                let frac = if self.legacy_nanos {
                    i64::from(b.ts_usec) / 1000
                } else {
                    i64::from(b.ts_usec)
                };
                let ts = i64::from(b.ts_sec) * 1_000_000 + frac;
                self.last_ts = ts;
                let caplen = (b.caplen as usize).min(b.data.len());
                sink.frame(&Frame {
                    number: self.packets,
                    ts,
                    linktype: self.legacy_linktype,
                    data: b.data.get(..caplen).unwrap_or_default(),
                    orig_len: b.origlen,
                });
            }
            PcapBlockOwned::NG(Block::SectionHeader(shb)) => {
                self.big_endian = shb.big_endian();
                self.interfaces.clear();
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                if self.interfaces.len() >= MAX_INTERFACES {
                    sink.problem(
                        Some(self.packets + 1),
                        ProblemKind::CorruptData,
                        format!("more than {MAX_INTERFACES} interfaces in one section; ignored"),
                    );
                    return;
                }
                let linktype = idb.linktype.0 as u32;
                self.check_linktype(linktype, sink);
                let units_per_sec = match idb.ts_resolution() {
                    Some(u) if u > 0 => u,
                    _ => {
                        sink.problem(
                            Some(self.packets + 1),
                            ProblemKind::CorruptData,
                            format!(
                                "interface {} has an invalid timestamp resolution; microseconds assumed",
                                self.interfaces.len()
                            ),
                        );
                        1_000_000
                    }
                };
                self.interfaces.push(Interface {
                    linktype,
                    units_per_sec,
                    offset_secs: idb.ts_offset(),
                });
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                self.packets += 1;
                let Some(iface) = self.interfaces.get(epb.if_id as usize).copied() else {
                    sink.problem(
                        Some(self.packets),
                        ProblemKind::MalformedRecord,
                        format!("packet on undeclared interface {}", epb.if_id),
                    );
                    return;
                };
                let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let ts = to_micros(raw, iface.units_per_sec, iface.offset_secs);
                let ts = match ts {
                    Some(t) => t,
                    None => {
                        sink.problem(
                            Some(self.packets),
                            ProblemKind::MalformedRecord,
                            "timestamp out of range; previous packet's time used".into(),
                        );
                        self.last_ts
                    }
                };
                self.last_ts = ts;
                sink.frame(&Frame {
                    number: self.packets,
                    ts,
                    linktype: iface.linktype,
                    data: epb.packet_data(),
                    orig_len: epb.orig_len(),
                });
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                self.packets += 1;
                let Some(iface) = self.interfaces.first().copied() else {
                    sink.problem(
                        Some(self.packets),
                        ProblemKind::MalformedRecord,
                        "simple packet block before any interface".into(),
                    );
                    return;
                };
                sink.frame(&Frame {
                    number: self.packets,
                    ts: self.last_ts,
                    linktype: iface.linktype,
                    data: spb.packet_data(),
                    orig_len: spb.orig_len(),
                });
            }
            PcapBlockOwned::NG(_) => {}
        }
    }

    fn check_linktype(&mut self, linktype: u32, sink: &mut dyn FrameSink) {
        if !link::is_supported(linktype) && !self.reported_linktypes.contains(&linktype) {
            if self.reported_linktypes.len() < 16 {
                self.reported_linktypes.push(linktype);
            }
            sink.problem(
                Some(self.packets + 1),
                ProblemKind::CorruptData,
                format!("link type {linktype} is not supported; its packets are skipped"),
            );
        }
    }
}

/// Converts a pcapng timestamp in `units_per_sec` units plus an offset in seconds to µs.
fn to_micros(raw: u64, units_per_sec: u64, offset_secs: i64) -> Option<Micros> {
    let units = i128::from(units_per_sec);
    let raw = i128::from(raw);
    let secs = raw / units + i128::from(offset_secs);
    let frac = (raw % units) * 1_000_000 / units;
    Micros::try_from(secs.checked_mul(1_000_000)? + frac).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_numbers() {
        assert_eq!(
            Container::sniff(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]),
            Some(Container::Pcap)
        );
        assert_eq!(
            Container::sniff(&[0xa1, 0xb2, 0x3c, 0x4d]),
            Some(Container::Pcap)
        );
        let ng = [
            0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a,
        ];
        assert_eq!(Container::sniff(&ng), Some(Container::PcapNg));
        let not = [0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 1, 2, 3, 4];
        assert_eq!(Container::sniff(&not), None);
        assert_eq!(Container::sniff(b"#separator"), None);
        assert_eq!(Container::sniff(&[0xd4]), None);
    }

    #[test]
    fn timestamp_resolutions() {
        assert_eq!(to_micros(1_500_000, 1_000_000, 0), Some(1_500_000));
        assert_eq!(to_micros(1_500_000_123, 1_000_000_000, 0), Some(1_500_000));
        assert_eq!(to_micros(3, 2, 10), Some(11_500_000));
        assert_eq!(to_micros(u64::MAX, 1, 0), None);
    }

    #[test]
    fn block_length_is_checked() {
        let data = [0u8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(block_length(&data, false), Some(16));
        assert_eq!(block_length(&data, true), None);
        assert_eq!(block_length(&data[..8], false), None);
    }
}
