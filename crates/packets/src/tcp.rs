//! Transport headers (TCP, UDP) and TCP stream reassembly for one direction of a connection.
//!
//! [`StreamReassembler`] turns segments, in whatever order the capture has them, into the
//! in-order byte stream of one direction. It tolerates retransmissions and overlaps (the first
//! copy of a byte wins, as in most stacks), buffers out-of-order segments up to a bound, and
//! reports a gap when bytes are missing for good (not captured, the out-of-order bound was
//! reached, the snap length cut a segment) so the consumer can resynchronise. After
//! `max_bytes` of a direction it stops buffering and only counts.
//!
//! Sequence numbers wrap at 2^32; every comparison is a signed 32-bit difference from the next
//! expected number and stream positions are kept as 64-bit offsets from the first byte.

use std::collections::BTreeMap;
use thiserror::Error;

/// TCP flag bits.
pub mod flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const ACK: u8 = 0x10;
}

/// A decoded TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub payload: &'a [u8],
}

/// A decoded UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub payload: &'a [u8],
}

/// Why a transport header could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TransportError {
    #[error("TCP header truncated ({0} bytes)")]
    TcpTruncated(usize),
    #[error("TCP data offset {0} is below 20 or beyond the segment")]
    TcpBadOffset(usize),
    #[error("UDP header truncated ({0} bytes)")]
    UdpTruncated(usize),
}

impl<'a> TcpSegment<'a> {
    pub fn parse(data: &'a [u8]) -> Result<TcpSegment<'a>, TransportError> {
        let h: &[u8; 20] = data
            .first_chunk::<20>()
            .ok_or(TransportError::TcpTruncated(data.len()))?;
        let offset = usize::from(h[12] >> 4) * 4;
        if offset < 20 || offset > data.len() {
            return Err(TransportError::TcpBadOffset(offset));
        }
        Ok(TcpSegment {
            src_port: u16::from_be_bytes([h[0], h[1]]),
            dst_port: u16::from_be_bytes([h[2], h[3]]),
            seq: u32::from_be_bytes([h[4], h[5], h[6], h[7]]),
            ack: u32::from_be_bytes([h[8], h[9], h[10], h[11]]),
            flags: h[13],
            payload: data.get(offset..).unwrap_or_default(),
        })
    }

    pub fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }
}

impl<'a> UdpDatagram<'a> {
    pub fn parse(data: &'a [u8]) -> Result<UdpDatagram<'a>, TransportError> {
        let h: &[u8; 8] = data
            .first_chunk::<8>()
            .ok_or(TransportError::UdpTruncated(data.len()))?;
        let len = usize::from(u16::from_be_bytes([h[4], h[5]]));
        // A UDP length beyond the captured bytes (snap length) or 0 (jumbogram) keeps what
        // was captured.
        let end = if len >= 8 {
            len.min(data.len())
        } else {
            data.len()
        };
        Ok(UdpDatagram {
            src_port: u16::from_be_bytes([h[0], h[1]]),
            dst_port: u16::from_be_bytes([h[2], h[3]]),
            payload: data.get(8..end).unwrap_or_default(),
        })
    }
}

/// What the reassembler hands on, in stream order.
#[derive(Debug, PartialEq, Eq)]
pub enum Released<'a> {
    Data(&'a [u8]),
    /// Bytes are missing here; the next `Data` continues later in the stream.
    Gap,
}

/// Bounds of one direction's reassembly.
#[derive(Debug, Clone, Copy)]
pub struct ReassemblyLimits {
    /// Bytes of a direction released to the consumer; after that the direction is only counted.
    pub max_bytes: u64,
    /// Bytes held out of order waiting for a hole to fill; past it the hole is declared a gap.
    pub max_out_of_order: usize,
}

impl Default for ReassemblyLimits {
    fn default() -> Self {
        ReassemblyLimits {
            max_bytes: 1 << 20,
            max_out_of_order: 256 << 10,
        }
    }
}

/// What one held entry costs beyond its bytes: the map node's share, the `Vec` header and the
/// lengths. Charged so that a flood of empty entries (snap-length-cut segments after a hole
/// carry no captured byte) fills the out-of-order bound like real bytes do.
pub const HELD_ENTRY_COST: usize = 96;

/// A segment waiting for the bytes before it.
#[derive(Debug)]
struct Held {
    data: Vec<u8>,
    /// Length on the wire, larger than `data` when the snap length cut the segment.
    wire_len: u64,
}

/// In-order reassembly of one direction of a TCP connection.
#[derive(Debug)]
pub struct StreamReassembler {
    limits: ReassemblyLimits,
    /// Sequence number of stream offset 0 (the byte after the SYN, or the first byte seen
    /// when the capture started mid-stream); `None` before either was seen.
    base: Option<u32>,
    /// Stream offset of the next byte expected.
    next_offset: u64,
    /// Out-of-order segments by stream offset.
    held: BTreeMap<u64, Held>,
    held_bytes: usize,
    /// Highest stream offset reached by any segment: the payload byte count.
    high_offset: u64,
    /// Whether the direction started mid-stream (no SYN seen before its first data).
    pub started_mid_stream: bool,
    /// Set once the consumer wants no more (or the byte bound was met): only counting goes on.
    counting_only: bool,
    /// Segments that carried nothing new (retransmissions).
    pub retransmitted: u64,
    /// Gaps declared.
    pub gaps: u64,
}

impl StreamReassembler {
    pub fn new(limits: ReassemblyLimits) -> Self {
        StreamReassembler {
            limits,
            base: None,
            next_offset: 0,
            held: BTreeMap::new(),
            held_bytes: 0,
            high_offset: 0,
            started_mid_stream: false,
            counting_only: false,
            retransmitted: 0,
            gaps: 0,
        }
    }

    /// Payload bytes of this direction: the span of sequence space covered, so that
    /// retransmissions are not counted twice (as Zeek counts).
    pub fn payload_bytes(&self) -> u64 {
        self.high_offset
    }

    /// Memory held out of order right now: captured bytes plus [`HELD_ENTRY_COST`] per entry.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// Segments held out of order right now.
    pub fn held_entries(&self) -> usize {
        self.held.len()
    }

    /// A SYN with sequence number `seq`: data starts at `seq + 1`.
    pub fn syn(&mut self, seq: u32) {
        if self.base.is_none() {
            self.base = Some(seq.wrapping_add(1));
        }
    }

    /// Stops buffering: later segments are only counted.
    pub fn stop(&mut self) {
        self.counting_only = true;
        self.held.clear();
        self.held_bytes = 0;
    }

    /// Whether bytes are still being buffered and released.
    pub fn is_reassembling(&self) -> bool {
        !self.counting_only
    }

    /// Takes one segment: `data` is the captured payload, `wire_len` its length on the wire
    /// (larger when the capture cut it). Calls `out` with what became releasable, in order.
    pub fn segment(
        &mut self,
        seq: u32,
        data: &[u8],
        wire_len: usize,
        out: &mut dyn FnMut(Released<'_>),
    ) {
        let wire_len = wire_len.max(data.len()) as u64;
        if wire_len == 0 {
            return;
        }
        let base = match self.base {
            Some(b) => b,
            None => {
                self.started_mid_stream = true;
                self.base = Some(seq);
                if !self.counting_only {
                    self.gaps += 1;
                    out(Released::Gap);
                }
                seq
            }
        };
        let next_seq = base.wrapping_add(self.next_offset as u32);
        let delta = i64::from(seq.wrapping_sub(next_seq) as i32);
        let start = self.next_offset as i64 + delta;
        let end = start + wire_len as i64;
        if end > self.high_offset as i64 {
            self.high_offset = end as u64;
        }
        if end <= self.next_offset as i64 {
            self.retransmitted += 1;
            return;
        }
        if self.counting_only {
            // Keep the stream position moving so that later retransmissions are recognised.
            if start <= self.next_offset as i64 {
                self.advance_to(end as u64);
            }
            return;
        }
        if start <= self.next_offset as i64 {
            // In order, possibly overlapping what was already released: the old part is
            // trimmed (the first copy of a byte wins).
            // `start` may lie before the first byte (a segment older than the one the
            // capture started with); `end` is past `next_offset`, checked above.
            let skip = (self.next_offset as i64 - start) as u64;
            self.release(skip, data, end as u64, out);
            self.drain_held(out);
        } else {
            self.hold(start as u64, data, wire_len, out);
        }
    }

    /// Releases everything held, declaring the holes before it gaps (end of the flow).
    pub fn flush(&mut self, out: &mut dyn FnMut(Released<'_>)) {
        while let Some((&offset, _)) = self.held.iter().next() {
            if offset > self.next_offset {
                self.gaps += 1;
                out(Released::Gap);
                self.next_offset = offset;
            }
            self.drain_held(out);
        }
    }

    fn hold(&mut self, offset: u64, data: &[u8], wire_len: u64, out: &mut dyn FnMut(Released<'_>)) {
        let cost = data.len() + HELD_ENTRY_COST;
        if self.held_bytes + cost > self.limits.max_out_of_order {
            // The hole is not going to be filled within the bound: give it up, release what is
            // held, and carry on from this segment.
            self.flush(out);
            if self.counting_only {
                self.advance_to(offset + wire_len);
                return;
            }
            if offset > self.next_offset {
                self.gaps += 1;
                out(Released::Gap);
                self.next_offset = offset;
            }
            let skip = self.next_offset.saturating_sub(offset);
            if offset + wire_len > self.next_offset {
                self.release(skip, data, offset + wire_len, out);
            }
            return;
        }
        match self.held.get(&offset) {
            // Keep the longer of two segments at the same place.
            Some(h) if h.wire_len >= wire_len => {
                self.retransmitted += 1;
            }
            _ => {
                if let Some(old) = self.held.insert(
                    offset,
                    Held {
                        data: data.to_vec(),
                        wire_len,
                    },
                ) {
                    self.held_bytes = self
                        .held_bytes
                        .saturating_sub(old.data.len() + HELD_ENTRY_COST);
                }
                self.held_bytes += cost;
            }
        }
    }

    /// Releases held segments that now continue the stream.
    fn drain_held(&mut self, out: &mut dyn FnMut(Released<'_>)) {
        while let Some(entry) = self.held.first_entry() {
            let offset = *entry.key();
            if offset > self.next_offset {
                break;
            }
            let held = entry.remove();
            self.held_bytes = self
                .held_bytes
                .saturating_sub(held.data.len() + HELD_ENTRY_COST);
            if offset + held.wire_len <= self.next_offset {
                self.retransmitted += 1;
                continue;
            }
            if self.counting_only {
                self.advance_to(offset + held.wire_len);
                continue;
            }
            let skip = self.next_offset - offset;
            self.release(skip, &held.data, offset + held.wire_len, out);
        }
    }

    /// Releases a segment whose captured `data` starts `skip` bytes before `next_offset` and
    /// which ends on the wire at stream offset `end`.
    fn release(&mut self, skip: u64, data: &[u8], end: u64, out: &mut dyn FnMut(Released<'_>)) {
        let new_on_wire = end.saturating_sub(self.next_offset);
        let fresh = usize::try_from(skip)
            .ok()
            .and_then(|s| data.get(s..))
            .unwrap_or_default();
        let room = self.limits.max_bytes.saturating_sub(self.next_offset);
        let allowed = usize::try_from(room).unwrap_or(usize::MAX).min(fresh.len());
        let sent = fresh.get(..allowed).unwrap_or_default();
        if !sent.is_empty() {
            out(Released::Data(sent));
        }
        if allowed == fresh.len() && (fresh.len() as u64) < new_on_wire && (allowed as u64) < room {
            // The capture cut the segment: the rest is lost.
            self.gaps += 1;
            out(Released::Gap);
        }
        self.advance_to(end);
        if self.next_offset >= self.limits.max_bytes {
            self.stop();
        }
    }

    fn advance_to(&mut self, offset: u64) {
        if offset > self.next_offset {
            self.next_offset = offset;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs segments through a reassembler and renders the output: data as text, gaps as `|`.
    fn run(
        limits: ReassemblyLimits,
        syn: Option<u32>,
        segments: &[(u32, &[u8])],
    ) -> (String, StreamReassembler) {
        let mut r = StreamReassembler::new(limits);
        if let Some(s) = syn {
            r.syn(s);
        }
        let mut text = String::new();
        let mut out = |rel: Released<'_>| match rel {
            Released::Data(d) => text.push_str(&String::from_utf8_lossy(d)),
            Released::Gap => text.push('|'),
        };
        for (seq, data) in segments {
            r.segment(*seq, data, data.len(), &mut out);
        }
        r.flush(&mut out);
        (text, r)
    }

    #[test]
    fn in_order_after_syn() {
        let (t, r) = run(
            ReassemblyLimits::default(),
            Some(99),
            &[(100, b"hello "), (106, b"world")],
        );
        assert_eq!(t, "hello world");
        assert_eq!(r.payload_bytes(), 11);
        assert!(!r.started_mid_stream);
    }

    #[test]
    fn retransmission_is_dropped_and_not_counted() {
        let (t, r) = run(
            ReassemblyLimits::default(),
            Some(0),
            &[(1, b"abc"), (1, b"abc"), (4, b"def")],
        );
        assert_eq!(t, "abcdef");
        assert_eq!(r.payload_bytes(), 6);
        assert_eq!(r.retransmitted, 1);
    }

    #[test]
    fn overlap_keeps_first_copy() {
        let (t, _) = run(
            ReassemblyLimits::default(),
            Some(0),
            &[(1, b"abcd"), (3, b"XXef")],
        );
        assert_eq!(t, "abcdef");
    }

    #[test]
    fn out_of_order_is_reordered() {
        let (t, r) = run(
            ReassemblyLimits::default(),
            Some(0),
            &[(7, b"ghi"), (4, b"def"), (1, b"abc")],
        );
        assert_eq!(t, "abcdefghi");
        assert_eq!(r.gaps, 0);
        assert_eq!(r.held_bytes(), 0);
    }

    #[test]
    fn hole_at_end_of_flow_is_a_gap() {
        let (t, r) = run(
            ReassemblyLimits::default(),
            Some(0),
            &[(1, b"abc"), (10, b"xyz")],
        );
        assert_eq!(t, "abc|xyz");
        assert_eq!(r.gaps, 1);
        assert_eq!(r.payload_bytes(), 12);
    }

    #[test]
    fn out_of_order_bound_declares_gap() {
        let limits = ReassemblyLimits {
            max_bytes: 1 << 20,
            max_out_of_order: 4 + HELD_ENTRY_COST,
        };
        let mut r = StreamReassembler::new(limits);
        r.syn(0);
        let mut text = String::new();
        let mut out = |rel: Released<'_>| match rel {
            Released::Data(d) => text.push_str(&String::from_utf8_lossy(d)),
            Released::Gap => text.push('|'),
        };
        r.segment(1, b"ab", 2, &mut out);
        r.segment(10, b"xyz", 3, &mut out);
        assert_eq!(r.held_bytes(), 3 + HELD_ENTRY_COST);
        // Does not fit beside the held 3 bytes: the hole before them is given up.
        r.segment(13, b"uvw", 3, &mut out);
        assert_eq!(r.held_bytes(), 0);
        // The late bytes that would have filled the hole are now old.
        r.segment(3, b"cdefghi", 7, &mut out);
        assert_eq!(text, "ab|xyzuvw");
    }

    #[test]
    fn empty_held_entries_are_charged() {
        // Snap-length-cut segments after a hole carry no captured byte: each still costs an
        // entry, so a flood of them meets the bound instead of growing the map without end.
        let limits = ReassemblyLimits {
            max_bytes: u64::MAX,
            max_out_of_order: 64 * HELD_ENTRY_COST,
        };
        let mut r = StreamReassembler::new(limits);
        r.syn(0);
        let mut gaps = 0u64;
        let mut out = |rel: Released<'_>| {
            if rel == Released::Gap {
                gaps += 1;
            }
        };
        // The first segment is lost; 100,000 cut segments follow it.
        for k in 1..=100_000u32 {
            r.segment(1 + k * 1460, b"", 1460, &mut out);
            assert!(r.held_bytes() <= limits.max_out_of_order);
            assert!(r.held.len() <= 64, "{} entries held", r.held.len());
        }
        assert!(gaps > 0, "the hole was given up");
    }

    #[test]
    fn mid_stream_start_reports_gap_first() {
        let (t, r) = run(
            ReassemblyLimits::default(),
            None,
            &[(5000, b"PUB x"), (5005, b" 1")],
        );
        assert_eq!(t, "|PUB x 1");
        assert!(r.started_mid_stream);
        assert_eq!(r.payload_bytes(), 7);
    }

    #[test]
    fn sequence_wraparound() {
        let (t, r) = run(
            ReassemblyLimits::default(),
            Some(u32::MAX - 2),
            &[(u32::MAX - 1, b"ab"), (0, b"cd"), (2, b"ef")],
        );
        assert_eq!(t, "abcdef");
        assert_eq!(r.payload_bytes(), 6);
    }

    #[test]
    fn byte_bound_stops_buffering_but_keeps_counting() {
        let limits = ReassemblyLimits {
            max_bytes: 5,
            max_out_of_order: 1024,
        };
        let (t, r) = run(
            limits,
            Some(0),
            &[(1, b"abc"), (4, b"defg"), (8, b"hij"), (20, b"k")],
        );
        assert_eq!(t, "abcde");
        assert!(!r.is_reassembling());
        assert_eq!(r.payload_bytes(), 20);
    }

    #[test]
    fn snap_length_cut_is_a_gap() {
        let mut r = StreamReassembler::new(ReassemblyLimits::default());
        r.syn(0);
        let mut text = String::new();
        let mut out = |rel: Released<'_>| match rel {
            Released::Data(d) => text.push_str(&String::from_utf8_lossy(d)),
            Released::Gap => text.push('|'),
        };
        r.segment(1, b"abc", 10, &mut out);
        r.segment(11, b"xy", 2, &mut out);
        assert_eq!(text, "abc|xy");
        assert_eq!(r.payload_bytes(), 12);
    }

    #[test]
    fn segment_older_than_the_first_one_seen() {
        // Mid-stream start at 1000, then a retransmission that began before it and reaches
        // past it (found by fuzzing: it underflowed the stream offset).
        let (t, r) = run(
            ReassemblyLimits::default(),
            None,
            &[(1000, b"efgh"), (996, b"abcdefghij")],
        );
        assert_eq!(t, "|efghij");
        assert_eq!(r.payload_bytes(), 6);
    }

    #[test]
    fn headers() {
        let mut seg = vec![
            0x07, 0x5b, 0xc3, 0x50, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x18, 0, 0, 0, 0, 0, 0,
        ];
        seg.extend_from_slice(b"data");
        let s = TcpSegment::parse(&seg).unwrap();
        assert_eq!((s.src_port, s.dst_port, s.seq, s.ack), (1883, 50000, 1, 2));
        assert!(s.has(flags::ACK) && !s.has(flags::SYN));
        assert_eq!(s.payload, b"data");
        seg[12] = 0xf0;
        assert_eq!(
            TcpSegment::parse(&seg),
            Err(TransportError::TcpBadOffset(60))
        );
        let udp = [0, 53, 0x30, 0x39, 0, 11, 0, 0, b'a', b'b', b'c', b'd'];
        let u = UdpDatagram::parse(&udp).unwrap();
        assert_eq!(
            (u.src_port, u.dst_port, u.payload),
            (53, 12345, &b"abc"[..])
        );
        assert!(UdpDatagram::parse(&udp[..5]).is_err());
    }
}
