//! Absurd record lengths in a capture, and finding the next record after one. A legacy pcap
//! record header whose captured length exceeds anything the file can hold (0xFFFFFFFF, or far
//! beyond the snap length) or a pcapng block whose total length is impossible would otherwise
//! make the reader wait for bytes that never come: it reported a truncated last record and
//! the rest of the file was silently lost. Instead the record is reported as corrupt and the
//! reader looks for the next plausible record header, saying how many bytes it skipped.

use pcap_parser::traits::PcapReaderIterator;

/// Largest packet any link type captures (the snap length tcpdump and dumpcap default to).
pub(super) const MAX_PACKET: u32 = 262_144;
/// Largest pcapng block taken as plausible when looking for the next one.
const MAX_BLOCK: u32 = 16 << 20;

/// What is known of a legacy pcap file from its header.
#[derive(Debug, Clone, Copy)]
pub(super) struct Legacy {
    pub big_endian: bool,
    /// Record header length: 16, or 24 in the modified (Kuznetzov) format.
    pub header_len: usize,
    pub snaplen: u32,
    pub nanos: bool,
}

impl Legacy {
    fn u32_at(&self, data: &[u8], at: usize) -> Option<u32> {
        let raw: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(raw)
        } else {
            u32::from_le_bytes(raw)
        })
    }

    /// Most bytes a record of this file may capture.
    fn max_caplen(&self) -> u32 {
        self.snaplen.max(MAX_PACKET)
    }

    /// The captured length a record header at the front claims, when it is impossible.
    pub(super) fn absurd(&self, data: &[u8]) -> Option<u32> {
        let caplen = self.u32_at(data, 8)?;
        (caplen > self.max_caplen()).then_some(caplen)
    }

    /// Whether a plausible record header starts at the front: `None` when more bytes are
    /// needed to tell, which `at_end` (the input ends with `data`) rules out. The record after
    /// it must be plausible too (or the input end with it), so that payload bytes that happen
    /// to look like a header are rarely taken for one.
    pub(super) fn plausible(
        &self,
        data: &[u8],
        last_ts_secs: Option<u32>,
        at_end: bool,
    ) -> Option<bool> {
        let one = |at: usize| -> Option<Option<usize>> {
            let (Some(sec), Some(frac), Some(caplen), Some(orig)) = (
                self.u32_at(data, at),
                self.u32_at(data, at + 4),
                self.u32_at(data, at + 8),
                self.u32_at(data, at + 12),
            ) else {
                return None;
            };
            let frac_ok = frac < if self.nanos { 1_000_000_000 } else { 1_000_000 };
            // Within a year of the last good packet, when there was one.
            let ts_ok = last_ts_secs.is_none_or(|t| sec.abs_diff(t) <= 366 * 86_400);
            // An empty record (zero bytes, as runs of zeros read) is not taken for one.
            let ok = frac_ok
                && ts_ok
                && caplen > 0
                && caplen <= self.max_caplen()
                && caplen <= orig
                && orig <= MAX_BLOCK;
            Some(ok.then(|| at + self.header_len + caplen as usize))
        };
        match one(0) {
            // A header cut by the end of the input is no record.
            None => at_end.then_some(false),
            Some(None) => Some(false),
            // The input ends: the record must end within it, and a header after it that the
            // end cuts does not count against it.
            Some(Some(next)) if at_end => {
                Some(next <= data.len() && one(next).unwrap_or(Some(0)).is_some())
            }
            // Too little buffered to check the following header.
            Some(Some(next)) => one(next).map(|following| following.is_some()),
        }
    }
}

/// The total length the pcapng block header at the front of `data` gives: `None` before its 8
/// bytes are here, and for a section header until its byte-order mark is (a section carries
/// its own byte order, which may differ from the last section's) or when the mark is none.
pub(super) fn block_total(data: &[u8], big_endian: bool) -> Option<u32> {
    let big_endian = match (data.get(..4), data.get(8..12)) {
        (Some([0x0a, 0x0d, 0x0d, 0x0a]), Some([0x1a, 0x2b, 0x3c, 0x4d])) => true,
        (Some([0x0a, 0x0d, 0x0d, 0x0a]), Some([0x4d, 0x3c, 0x2b, 0x1a])) => false,
        (Some([0x0a, 0x0d, 0x0d, 0x0a]), _) => return None,
        _ => big_endian,
    };
    block_u32(data, 4, big_endian)
}

/// The total length of a pcapng block header at the front, when it is impossible. A section
/// header whose byte order is not known yet is left to the parser.
pub(super) fn absurd_block(data: &[u8], big_endian: bool) -> Option<u32> {
    let len = block_total(data, big_endian)?;
    (len < 12 || !len.is_multiple_of(4) || len > MAX_BLOCK).then_some(len)
}

fn block_u32(data: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let raw: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(raw)
    } else {
        u32::from_le_bytes(raw)
    })
}

/// Whether a plausible pcapng block starts at the front (a packet, interface, statistics or
/// section header block whose length is repeated at its end); `None` when more bytes are
/// needed to tell, which `at_end` (the input ends with `data`) rules out: a block cut by the
/// end is none.
pub(super) fn plausible_block(data: &[u8], big_endian: bool, at_end: bool) -> Option<bool> {
    let told = block_as_far_as_buffered(data, big_endian);
    if at_end {
        Some(told.unwrap_or(false))
    } else {
        told
    }
}

fn block_as_far_as_buffered(data: &[u8], big_endian: bool) -> Option<bool> {
    let kind = block_u32(data, 0, big_endian)?;
    let len = block_u32(data, 4, big_endian)?;
    let known = matches!(kind, 0x0A0D_0D0A | 1 | 3 | 5 | 6);
    if !known || len < 12 || !len.is_multiple_of(4) || len > MAX_BLOCK {
        return Some(false);
    }
    let trailer = block_u32(data, len as usize - 4, big_endian)?;
    Some(trailer == len)
}

/// Skips the damaged record at the front and what follows until a plausible record
/// starts. Returns the bytes skipped and whether a record was found (else the input ended).
pub(super) fn skip_to_plausible<P: PcapReaderIterator>(
    reader: &mut P,
    plausible: &dyn Fn(&[u8], bool) -> Option<bool>,
) -> Result<(u64, bool), std::io::Error> {
    let mut skipped = 0u64;
    // The damaged header itself is not a candidate.
    let mut from = 1usize;
    // Whether the input ends with what is buffered: then every candidate is decided.
    let mut at_end = false;
    loop {
        let (found, undecided, len) = {
            let data = reader.data();
            let mut found = None;
            let mut undecided = None;
            for k in from..data.len() {
                match plausible(data.get(k..).unwrap_or_default(), at_end) {
                    Some(true) => {
                        found = Some(k);
                        break;
                    }
                    Some(false) => {}
                    None => {
                        undecided = Some(k);
                        break;
                    }
                }
            }
            (found, undecided, data.len())
        };
        if let Some(k) = found {
            reader.consume(k);
            return Ok((skipped + k as u64, true));
        }
        if at_end && undecided.is_none() {
            reader.consume(len);
            return Ok((skipped + len as u64, false));
        }
        // Keep the undecided candidate (if any) and read more behind it.
        let keep_from = undecided.unwrap_or(len).max(from.min(len));
        reader.consume(keep_from);
        skipped += keep_from as u64;
        let before = reader.data().len();
        reader
            .refill()
            .map_err(|_| std::io::Error::other("read error"))?;
        let after = reader.data().len();
        if after == before {
            if reader.reader_exhausted() || after == 0 {
                // The input ends here: what is left is judged as it is, from the candidate
                // kept (whatever the blocks the input came in, the same bytes are kept).
                at_end = true;
                from = 0;
                continue;
            }
            // The buffer is full and the candidate still undecided: not a record.
            from = 1;
        } else {
            from = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sec: u32, caplen: u32) -> Vec<u8> {
        let mut r = Vec::new();
        for v in [sec, 0, caplen, caplen] {
            r.extend_from_slice(&v.to_le_bytes());
        }
        r.extend(std::iter::repeat_n(0xab, caplen as usize));
        r
    }

    #[test]
    fn legacy_records() {
        let l = Legacy {
            big_endian: false,
            header_len: 16,
            snaplen: 65_535,
            nanos: false,
        };
        let mut two = record(1_700_000_000, 60);
        two.extend(record(1_700_000_001, 60));
        assert_eq!(l.plausible(&two, Some(1_700_000_000), false), Some(true));
        assert_eq!(l.plausible(&two, Some(1_700_000_000), true), Some(true));
        assert_eq!(l.plausible(&two[..76], None, false), None);
        assert_eq!(l.plausible(&two[..76], None, true), Some(true));
        assert_eq!(l.plausible(&two[..75], None, true), Some(false));
        assert_eq!(l.plausible(&two[..20], None, false), None);
        assert_eq!(l.plausible(&two[..20], None, true), Some(false));
        let mut bad = Vec::new();
        for v in [1_700_000_000u32, 0, 0xffff_fffe, 0xffff_fffe] {
            bad.extend_from_slice(&v.to_le_bytes());
        }
        assert_eq!(l.absurd(&bad), Some(0xffff_fffe));
        assert_eq!(l.plausible(&bad, None, false), Some(false));
        // Ten years after the last packet is not the next record.
        assert_eq!(l.plausible(&two, Some(1_400_000_000), false), Some(false));
    }

    #[test]
    fn pcapng_blocks() {
        let mut epb = vec![6, 0, 0, 0, 32, 0, 0, 0];
        epb.extend([0u8; 20]);
        epb.extend([32, 0, 0, 0]);
        assert_eq!(plausible_block(&epb, false, false), Some(true));
        assert_eq!(plausible_block(&epb[..20], false, false), None);
        assert_eq!(plausible_block(&epb[..20], false, true), Some(false));
        assert_eq!(
            absurd_block(&[6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff], false),
            Some(u32::MAX)
        );
        assert_eq!(absurd_block(&epb, false), None);
    }
}
