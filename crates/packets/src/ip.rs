//! The network layer: IPv4 and IPv6 header decoding (IPv6 extension headers are walked and
//! skipped) and reassembly of fragmented datagrams, with a bound on the datagrams held, the bytes
//! held and how long an incomplete datagram waits (in capture time).
//!
//! What comes out is the transport protocol number and its payload, borrowed from the frame
//! when the datagram was whole and owned when it was put together from fragments.

use foldhash::fast::RandomState;
use pubsub_hunt_core::time::Micros;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use thiserror::Error;

/// One IP datagram's addresses and transport payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IP protocol number of the payload (6 TCP, 17 UDP, …).
    pub protocol: u8,
    pub payload: Cow<'a, [u8]>,
    /// Bytes of payload the headers announce but the capture cut off (snap length).
    pub missing_tail: usize,
}

/// Why a datagram could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IpError {
    #[error("IP header truncated ({0} bytes)")]
    Truncated(usize),
    #[error("IP version {0} where {1} was expected")]
    WrongVersion(u8, u8),
    #[error("IPv4 header length {0} is below 20 or beyond the packet")]
    BadHeaderLength(usize),
    #[error("IPv4 total length {0} is below its header length")]
    BadTotalLength(usize),
    #[error("IPv6 extension header chain is truncated or too long")]
    BadExtensionChain,
}

/// Bounds of the fragment reassembly.
#[derive(Debug, Clone, Copy)]
pub struct DefragLimits {
    /// Most datagrams being reassembled at once; the oldest is dropped to make room.
    pub max_datagrams: usize,
    /// Most fragment bytes held over all datagrams.
    pub max_bytes: usize,
    /// How long (capture time) an incomplete datagram waits for its other fragments.
    pub timeout: Micros,
}

impl Default for DefragLimits {
    fn default() -> Self {
        DefragLimits {
            max_datagrams: 1024,
            max_bytes: 16 << 20,
            timeout: 30_000_000,
        }
    }
}

/// Largest reassembled datagram payload: what the 16-bit IP lengths and 13-bit fragment
/// offsets can describe.
const MAX_DATAGRAM: usize = 65_535;
/// Most fragments kept for one datagram (a datagram cut into tiny overlapping pieces is an
/// evasion or a resource attack, not traffic to analyse).
const MAX_FRAGMENTS: usize = 128;
/// Most IPv6 extension headers walked before giving up.
const MAX_EXTENSION_HEADERS: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FragKey {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    id: u32,
}

#[derive(Debug)]
struct Pending {
    first_seen: Micros,
    /// Fragment data keyed by byte offset (last fragment at an offset wins).
    pieces: Vec<(usize, Vec<u8>)>,
    bytes: usize,
    /// Known once the fragment without "more fragments" arrived.
    total: Option<usize>,
}

/// Reassembles fragmented IPv4 and IPv6 datagrams.
#[derive(Debug)]
pub struct Defragmenter {
    limits: DefragLimits,
    pending: HashMap<FragKey, Pending, RandomState>,
    bytes: usize,
    /// Datagrams dropped unfinished (timeout, bounds, inconsistent fragments).
    pub dropped: u64,
}

impl Default for Defragmenter {
    fn default() -> Self {
        Self::new(DefragLimits::default())
    }
}

/// A fragment as decoded from its header.
struct Fragment<'a> {
    key: FragKey,
    offset: usize,
    more: bool,
    data: &'a [u8],
}

impl Defragmenter {
    pub fn new(limits: DefragLimits) -> Self {
        Defragmenter {
            limits,
            pending: HashMap::default(),
            bytes: 0,
            dropped: 0,
        }
    }

    /// Datagrams currently waiting for fragments.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Decodes an IPv4 packet; fragments are held until their datagram is complete
    /// (`Ok(None)` until then).
    pub fn ipv4<'a>(
        &mut self,
        ts: Micros,
        packet: &'a [u8],
    ) -> Result<Option<Datagram<'a>>, IpError> {
        let header: &[u8; 20] = packet
            .first_chunk::<20>()
            .ok_or(IpError::Truncated(packet.len()))?;
        let version = header[0] >> 4;
        if version != 4 {
            return Err(IpError::WrongVersion(version, 4));
        }
        let header_len = usize::from(header[0] & 0x0f) * 4;
        if header_len < 20 || header_len > packet.len() {
            return Err(IpError::BadHeaderLength(header_len));
        }
        let total = usize::from(u16::from_be_bytes([header[2], header[3]]));
        // TCP segmentation offload writes 0 as total length in captures taken on the sender;
        // the captured length is then all there is.
        let total = if total == 0 { packet.len() } else { total };
        if total < header_len {
            return Err(IpError::BadTotalLength(total));
        }
        let id = u16::from_be_bytes([header[4], header[5]]);
        let flags_offset = u16::from_be_bytes([header[6], header[7]]);
        let more = flags_offset & 0x2000 != 0;
        let offset = usize::from(flags_offset & 0x1fff) * 8;
        let protocol = header[9];
        let src = IpAddr::V4(Ipv4Addr::new(
            header[12], header[13], header[14], header[15],
        ));
        let dst = IpAddr::V4(Ipv4Addr::new(
            header[16], header[17], header[18], header[19],
        ));
        let end = total.min(packet.len());
        let payload = packet.get(header_len..end).unwrap_or_default();
        let missing_tail = total.saturating_sub(packet.len());
        if !more && offset == 0 {
            return Ok(Some(Datagram {
                src,
                dst,
                protocol,
                payload: Cow::Borrowed(payload),
                missing_tail,
            }));
        }
        if missing_tail > 0 {
            // A fragment cut by the snap length cannot be put back together.
            self.dropped += 1;
            return Ok(None);
        }
        let key = FragKey {
            src,
            dst,
            protocol,
            id: u32::from(id),
        };
        Ok(self.fragment(
            ts,
            Fragment {
                key,
                offset,
                more,
                data: payload,
            },
        ))
    }

    /// Decodes an IPv6 packet, walking its extension headers; fragments are held until their
    /// datagram is complete.
    pub fn ipv6<'a>(
        &mut self,
        ts: Micros,
        packet: &'a [u8],
    ) -> Result<Option<Datagram<'a>>, IpError> {
        let header: &[u8; 40] = packet
            .first_chunk::<40>()
            .ok_or(IpError::Truncated(packet.len()))?;
        let version = header[0] >> 4;
        if version != 6 {
            return Err(IpError::WrongVersion(version, 6));
        }
        let payload_len = usize::from(u16::from_be_bytes([header[4], header[5]]));
        let mut next = header[6];
        let src = IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(&header[8..24]).unwrap_or_default(),
        ));
        let dst = IpAddr::V6(Ipv6Addr::from(
            <[u8; 16]>::try_from(&header[24..40]).unwrap_or_default(),
        ));
        let body = packet.get(40..).unwrap_or_default();
        // Payload length 0 is a jumbogram (or TSO on the sender): use what was captured.
        let (body, missing_tail) = if payload_len == 0 {
            (body, 0)
        } else {
            (
                body.get(..payload_len.min(body.len())).unwrap_or_default(),
                payload_len.saturating_sub(body.len()),
            )
        };
        let mut at = 0usize;
        let mut fragment: Option<(usize, bool, u32)> = None;
        for _ in 0..MAX_EXTENSION_HEADERS {
            match next {
                // Hop-by-hop, routing, destination options, mobility, HIP, shim6: length in
                // 8-byte units after the first 8.
                0 | 43 | 60 | 135 | 139 | 140 => {
                    let ext = body.get(at..at + 2).ok_or(IpError::BadExtensionChain)?;
                    next = ext[0];
                    at += (usize::from(ext[1]) + 1) * 8;
                }
                // Authentication header: length in 4-byte units after the first 8.
                51 => {
                    let ext = body.get(at..at + 2).ok_or(IpError::BadExtensionChain)?;
                    next = ext[0];
                    at += (usize::from(ext[1]) + 2) * 4;
                }
                44 => {
                    let ext: &[u8] = body.get(at..at + 8).ok_or(IpError::BadExtensionChain)?;
                    next = ext[0];
                    let off_flags = u16::from_be_bytes([ext[2], ext[3]]);
                    let id = u32::from_be_bytes([ext[4], ext[5], ext[6], ext[7]]);
                    fragment = Some((usize::from(off_flags >> 3) * 8, off_flags & 1 != 0, id));
                    at += 8;
                }
                _ => {
                    let payload = body.get(at..).ok_or(IpError::BadExtensionChain)?;
                    let Some((offset, more, id)) = fragment else {
                        return Ok(Some(Datagram {
                            src,
                            dst,
                            protocol: next,
                            payload: Cow::Borrowed(payload),
                            missing_tail,
                        }));
                    };
                    if offset == 0 && !more {
                        // An atomic fragment (RFC 6946): a whole datagram.
                        return Ok(Some(Datagram {
                            src,
                            dst,
                            protocol: next,
                            payload: Cow::Borrowed(payload),
                            missing_tail,
                        }));
                    }
                    if missing_tail > 0 {
                        self.dropped += 1;
                        return Ok(None);
                    }
                    let key = FragKey {
                        src,
                        dst,
                        protocol: next,
                        id,
                    };
                    return Ok(self.fragment(
                        ts,
                        Fragment {
                            key,
                            offset,
                            more,
                            data: payload,
                        },
                    ));
                }
            }
        }
        Err(IpError::BadExtensionChain)
    }

    /// Drops datagrams that waited longer than the timeout.
    pub fn expire(&mut self, now: Micros) {
        let timeout = self.limits.timeout;
        let before = self.pending.len();
        let mut freed = 0usize;
        self.pending.retain(|_, p| {
            let keep = now.saturating_sub(p.first_seen) <= timeout;
            if !keep {
                freed += p.bytes;
            }
            keep
        });
        self.bytes = self.bytes.saturating_sub(freed);
        self.dropped += (before - self.pending.len()) as u64;
    }

    fn fragment<'a>(&mut self, ts: Micros, frag: Fragment<'_>) -> Option<Datagram<'a>> {
        let end = frag.offset.saturating_add(frag.data.len());
        if end > MAX_DATAGRAM || frag.data.len() > self.limits.max_bytes {
            self.dropped += 1;
            self.remove(&frag.key);
            return None;
        }
        if !self.pending.contains_key(&frag.key) {
            self.make_room(ts, frag.data.len());
        }
        while self.bytes + frag.data.len() > self.limits.max_bytes && self.drop_oldest() {}
        let entry = self
            .pending
            .entry(frag.key.clone())
            .or_insert_with(|| Pending {
                first_seen: ts,
                pieces: Vec::new(),
                bytes: 0,
                total: None,
            });
        if entry.pieces.len() >= MAX_FRAGMENTS
            || (!frag.more && entry.total.is_some_and(|t| t != end))
            || entry.total.is_some_and(|t| end > t)
        {
            self.dropped += 1;
            self.remove(&frag.key);
            return None;
        }
        if !frag.more {
            entry.total = Some(end);
        }
        entry.pieces.push((frag.offset, frag.data.to_vec()));
        entry.bytes += frag.data.len();
        self.bytes += frag.data.len();
        let total = entry.total?;
        // Complete when the pieces, sorted by offset, leave no hole before `total`.
        entry.pieces.sort_by_key(|(o, _)| *o);
        let mut covered = 0usize;
        for (o, d) in &entry.pieces {
            if *o > covered {
                return None;
            }
            covered = covered.max(o + d.len());
        }
        if covered < total {
            return None;
        }
        let done = self.pending.remove(&frag.key)?;
        self.bytes = self.bytes.saturating_sub(done.bytes);
        let mut whole = vec![0u8; total];
        for (o, d) in &done.pieces {
            if let Some(dst) = whole.get_mut(*o..o + d.len()) {
                dst.copy_from_slice(d);
            }
        }
        Some(Datagram {
            src: frag.key.src,
            dst: frag.key.dst,
            protocol: frag.key.protocol,
            payload: Cow::Owned(whole),
            missing_tail: 0,
        })
    }

    fn make_room(&mut self, now: Micros, _incoming: usize) {
        if self.pending.len() >= self.limits.max_datagrams {
            self.expire(now);
        }
        while self.pending.len() >= self.limits.max_datagrams && self.drop_oldest() {}
    }

    fn drop_oldest(&mut self) -> bool {
        let Some(key) = self
            .pending
            .iter()
            .min_by_key(|(_, p)| p.first_seen)
            .map(|(k, _)| k.clone())
        else {
            return false;
        };
        self.remove(&key);
        self.dropped += 1;
        true
    }

    fn remove(&mut self, key: &FragKey) {
        if let Some(p) = self.pending.remove(key) {
            self.bytes = self.bytes.saturating_sub(p.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ipv4(id: u16, more: bool, offset8: u16, protocol: u8, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let fo = (if more { 0x2000 } else { 0 }) | offset8;
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&fo.to_be_bytes());
        p.extend_from_slice(&[64, protocol, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn whole_ipv4_is_borrowed() {
        let mut d = Defragmenter::default();
        let p = ipv4(1, false, 0, 6, b"hello");
        let g = d.ipv4(0, &p).unwrap().unwrap();
        assert_eq!(g.protocol, 6);
        assert_eq!(&*g.payload, b"hello");
        assert!(matches!(g.payload, Cow::Borrowed(_)));
        assert_eq!(g.src, "10.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn ipv4_fragments_out_of_order() {
        let mut d = Defragmenter::default();
        let a = ipv4(7, true, 0, 17, &[1u8; 8]);
        let b = ipv4(7, true, 1, 17, &[2u8; 8]);
        let c = ipv4(7, false, 2, 17, &[3u8; 3]);
        assert_eq!(d.ipv4(0, &c).unwrap(), None);
        assert_eq!(d.ipv4(1, &a).unwrap(), None);
        let g = d.ipv4(2, &b).unwrap().unwrap();
        assert_eq!(
            &*g.payload,
            &[1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3]
        );
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn fragments_expire_and_are_bounded() {
        let limits = DefragLimits {
            max_datagrams: 4,
            max_bytes: 1000,
            timeout: 10,
        };
        let mut d = Defragmenter::new(limits);
        for id in 0..10u16 {
            let p = ipv4(id, true, 0, 17, &[0u8; 8]);
            assert_eq!(d.ipv4(0, &p).unwrap(), None);
        }
        assert_eq!(d.pending(), 4);
        assert_eq!(d.dropped, 6);
        d.expire(100);
        assert_eq!(d.pending(), 0);
    }

    #[test]
    fn bad_headers() {
        let mut d = Defragmenter::default();
        assert_eq!(d.ipv4(0, &[0x45, 0]), Err(IpError::Truncated(2)));
        let mut p = ipv4(1, false, 0, 6, b"x");
        p[0] = 0x44;
        assert_eq!(d.ipv4(0, &p), Err(IpError::BadHeaderLength(16)));
        let mut p = ipv4(1, false, 0, 6, b"x");
        p[3] = 4;
        assert_eq!(d.ipv4(0, &p), Err(IpError::BadTotalLength(4)));
    }

    fn ipv6(next: u8, ext: &[u8], payload: &[u8]) -> Vec<u8> {
        let len = (ext.len() + payload.len()) as u16;
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&len.to_be_bytes());
        p.extend_from_slice(&[next, 64]);
        p.extend_from_slice(&[0u8; 15]);
        p.push(1);
        p.extend_from_slice(&[0u8; 15]);
        p.push(2);
        p.extend_from_slice(ext);
        p.extend_from_slice(payload);
        p
    }

    #[test]
    fn ipv6_extension_headers_are_skipped() {
        let mut d = Defragmenter::default();
        // Hop-by-hop (8 bytes) then destination options (16 bytes) then TCP.
        let mut ext = vec![60, 0, 0, 0, 0, 0, 0, 0];
        ext.extend_from_slice(&[6, 1]);
        ext.extend_from_slice(&[0u8; 14]);
        let p = ipv6(0, &ext, b"tcp!");
        let g = d.ipv6(0, &p).unwrap().unwrap();
        assert_eq!(g.protocol, 6);
        assert_eq!(&*g.payload, b"tcp!");
        assert_eq!(g.dst, "::2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn ipv6_fragments() {
        let mut d = Defragmenter::default();
        let first = ipv6(44, &[17, 0, 0, 1, 0, 0, 0, 9], &[5u8; 8]);
        let last = ipv6(44, &[17, 0, 0, 8, 0, 0, 0, 9], &[6u8; 2]);
        assert_eq!(d.ipv6(0, &first).unwrap(), None);
        let g = d.ipv6(0, &last).unwrap().unwrap();
        assert_eq!(g.protocol, 17);
        assert_eq!(&*g.payload, &[5, 5, 5, 5, 5, 5, 5, 5, 6, 6]);
    }

    #[test]
    fn ipv6_truncated_chain() {
        let mut d = Defragmenter::default();
        let p = ipv6(0, &[6], b"");
        assert_eq!(d.ipv6(0, &p), Err(IpError::BadExtensionChain));
    }
}
