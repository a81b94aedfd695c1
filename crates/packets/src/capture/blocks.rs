//! Reading a capture in place. The input arrives in 64-byte-aligned blocks of [`BLOCK`] bytes
//! and records are parsed where they lie in them, so a frame's bytes are copied once (by the
//! kernel, into the block) and not a second time into a parser's buffer. Only a record cut by
//! a block's end is copied: its head, and as much of the next block as it needs, go into a
//! stitch buffer, after which reading goes on in place in the next block.
//!
//! [`InPlace`] offers pcap-parser's reader interface (`PcapReaderIterator`), so the capture
//! reader's handling of damage works on it unchanged; it runs pcap-parser's own record and
//! block parsers. Where the blocks come from is a [`BlockSource`]: the input read on the same
//! thread ([`Direct`]), or blocks read ahead by another thread (`crate::read_ahead`). Which one
//! changes nothing that is read: records are parsed the same wherever the blocks end.
//!
//! Memory: the blocks in use (one here, a few more read ahead) and the stitch buffer, which
//! holds at most `capacity` bytes: a block's size at first, more only when the capture reader
//! grows it for an oversized record (to its own bound).

use super::resync::block_total;
use pcap_parser::nom::{self, Needed, Offset};
use pcap_parser::pcap::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
};
use pcap_parser::pcapng::{Block as NgBlock, parse_block_be, parse_block_le};
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{LegacyPcapBlock, PcapBlockOwned, PcapError, PcapHeader};
use std::io::{self, Read};

/// Bytes of input per block.
pub const BLOCK: usize = 1 << 20;
const ALIGN: usize = 64;
/// The least a stitch grows by when the parser wants more: most records cut by a block's end
/// then need one step.
const STITCH_STEP: usize = 4096;

/// One block of input: its bytes start at a 64-byte boundary of the buffer. The kernel copies
/// a file's pages much faster into an aligned destination.
pub struct Block {
    buf: Vec<u8>,
    base: usize,
    len: usize,
}

impl Default for Block {
    fn default() -> Self {
        Self::new()
    }
}

impl Block {
    pub fn new() -> Block {
        let buf = vec![0u8; BLOCK + ALIGN];
        let base = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        Block { buf, base, len: 0 }
    }

    /// The bytes the block holds.
    pub fn bytes(&self) -> &[u8] {
        self.buf
            .get(self.base..self.base + self.len)
            .unwrap_or_default()
    }

    /// Fills the block from `input` until it is full or the input ends: the bytes read, and an
    /// error met after them (to be returned once those bytes have been used).
    pub fn fill(&mut self, input: &mut dyn Read) -> (usize, Option<io::Error>) {
        self.len = 0;
        let Some(region) = self.buf.get_mut(self.base..self.base + BLOCK) else {
            return (0, None);
        };
        let mut error = None;
        while self.len < region.len() {
            let Some(rest) = region.get_mut(self.len..) else {
                break;
            };
            match input.read(rest) {
                Ok(0) => break,
                Ok(n) => self.len += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        (self.len, error)
    }
}

/// Where an [`InPlace`] reader's blocks come from.
pub trait BlockSource {
    /// The next block of input, or `None` when the input has ended. `spent` is the block
    /// before it, no longer needed, given back for reuse.
    fn next_block(&mut self, spent: Option<Block>) -> io::Result<Option<Block>>;
}

impl<S: BlockSource + ?Sized> BlockSource for &mut S {
    fn next_block(&mut self, spent: Option<Block>) -> io::Result<Option<Block>> {
        (**self).next_block(spent)
    }
}

/// Blocks read from `input` on the calling thread, one buffer reused.
pub struct Direct<R> {
    input: R,
    pending: Option<io::Error>,
    ended: bool,
    /// The first block, read ahead by [`Direct::prefetch`].
    first: Option<io::Result<Option<Block>>>,
}

impl<R: Read> Direct<R> {
    pub fn new(input: R) -> Self {
        Direct {
            input,
            pending: None,
            ended: false,
            first: None,
        }
    }

    /// Reads the first block now (it is still the first given). True when the whole input
    /// is in it: such an input is not worth a second thread.
    pub fn prefetch(&mut self) -> bool {
        let first = next_from(&mut self.input, &mut self.pending, &mut self.ended, None);
        let full = matches!(&first, Ok(Some(b)) if b.bytes().len() == BLOCK);
        self.first = Some(first);
        !full
    }
}

impl<R: Read> BlockSource for Direct<R> {
    fn next_block(&mut self, spent: Option<Block>) -> io::Result<Option<Block>> {
        if let Some(first) = self.first.take() {
            return first;
        }
        next_from(&mut self.input, &mut self.pending, &mut self.ended, spent)
    }
}

/// Blocks of `data` cut at the sizes `cuts` gives, in turn (for tests and fuzzing: records
/// then straddle the cuts, often several of them).
pub struct Cuts<'a> {
    data: &'a [u8],
    cuts: Vec<usize>,
    next: usize,
}

impl<'a> Cuts<'a> {
    /// `cuts` are used in turn, again from the first when they run out; zeros count as one.
    pub fn new(data: &'a [u8], cuts: Vec<usize>) -> Self {
        Cuts {
            data,
            cuts,
            next: 0,
        }
    }
}

impl BlockSource for Cuts<'_> {
    fn next_block(&mut self, spent: Option<Block>) -> io::Result<Option<Block>> {
        if self.data.is_empty() {
            return Ok(None);
        }
        let cut = self
            .cuts
            .get(self.next % self.cuts.len().max(1))
            .copied()
            .unwrap_or(BLOCK)
            .clamp(1, BLOCK);
        self.next += 1;
        let (this, rest) = self.data.split_at(cut.min(self.data.len()));
        self.data = rest;
        let mut block = spent.unwrap_or_default();
        let _ = block.fill(&mut { this });
        Ok(Some(block))
    }
}

/// Reads the next block from `input`, keeping an error met after some bytes for the call
/// after. Shared by [`Direct`] and the read-ahead thread.
pub fn next_from(
    input: &mut dyn Read,
    pending: &mut Option<io::Error>,
    ended: &mut bool,
    spent: Option<Block>,
) -> io::Result<Option<Block>> {
    if let Some(e) = pending.take() {
        *ended = true;
        return Err(e);
    }
    if *ended {
        return Ok(None);
    }
    let mut block = spent.unwrap_or_default();
    match block.fill(input) {
        (0, None) => {
            *ended = true;
            Ok(None)
        }
        (0, Some(e)) => {
            *ended = true;
            Err(e)
        }
        (_, error) => {
            *pending = error;
            Ok(Some(block))
        }
    }
}

type LegacyParse = fn(&[u8]) -> nom::IResult<&[u8], LegacyPcapBlock<'_>, PcapError<&[u8]>>;

/// How records are parsed: the container, and what its header said.
enum Parser {
    Legacy {
        header: PcapHeader,
        parse: LegacyParse,
    },
    Ng {
        big_endian: bool,
    },
}

/// A capture reader over blocks, parsing in place (see the module documentation).
pub struct InPlace<S> {
    source: S,
    parser: Parser,
    /// The block read in place; `None` once the input has ended.
    cur: Option<Block>,
    /// Where the unread bytes of `cur` start (when not stitching).
    pos: usize,
    /// Whether the unread bytes are those of `stitch` (a record cut by a block's end).
    stitching: bool,
    stitch: Vec<u8>,
    stitch_pos: usize,
    /// Bytes at the front of `stitch` from before `cur`; the rest are `cur`'s first bytes.
    before_cur: usize,
    /// How many of `cur`'s bytes are at the end of `stitch`.
    copied: usize,
    /// The most unread bytes a stitch may hold (pcap-parser's buffer capacity).
    capacity: usize,
    exhausted: bool,
    consumed: usize,
}

/// Why a capture's first header could not be read.
#[derive(Debug)]
pub enum HeaderError {
    /// Not a header of the container: what is wrong with it.
    Bad(String),
    Read,
}

/// A short description of a pcap-parser error that does not echo the input bytes.
pub fn describe<I>(e: &PcapError<I>) -> String {
    match e {
        PcapError::Eof => "end of file".into(),
        PcapError::BufferTooSmall => "block larger than the buffer".into(),
        PcapError::UnexpectedEof => "file ends inside a block".into(),
        PcapError::ReadError => "read error".into(),
        PcapError::Incomplete(_) => "incomplete header".into(),
        PcapError::HeaderNotRecognized => "header not recognised".into(),
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("invalid block ({kind:?})")
        }
    }
}

/// The most bytes a capture's first header is looked for in.
const MAX_HEADER: usize = 1 << 20;

impl<S: BlockSource> InPlace<S> {
    /// Opens `source`, reading until its first `want` bytes are at hand (or it ends).
    pub fn open(source: S, want: usize) -> io::Result<Self> {
        let mut reader = Self::new(source, Parser::Ng { big_endian: false });
        while reader.data().len() < want && !reader.exhausted {
            reader.more()?;
        }
        Ok(reader)
    }

    /// Refills, for the header: an I/O error stays one.
    fn more(&mut self) -> io::Result<()> {
        if self.stitching {
            return self.stitch_more();
        }
        let before = self.data().len();
        let _ = self.refill();
        if self.data().len() == before && !self.exhausted {
            return Err(io::Error::other("read error"));
        }
        Ok(())
    }

    /// Reads as a legacy pcap: its file header must come first.
    pub fn start_legacy(&mut self) -> Result<(), HeaderError> {
        let header = loop {
            let incomplete = match parse_pcap_header(self.data()) {
                Ok((_, h)) => break h,
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                    return Err(HeaderError::Bad(describe(&e)));
                }
                Err(nom::Err::Incomplete(_)) => true,
            };
            self.more_for_header(incomplete)?;
        };
        let parse: LegacyParse = if header.is_modified_format() {
            parse_pcap_frame_modified
        } else if header.is_bigendian() {
            parse_pcap_frame_be
        } else {
            parse_pcap_frame
        };
        self.parser = Parser::Legacy { header, parse };
        Ok(())
    }

    /// Reads as pcapng: a section header must come first.
    pub fn start_ng(&mut self) -> Result<(), HeaderError> {
        loop {
            let incomplete = match pcap_parser::pcapng::parse_sectionheaderblock(self.data()) {
                Ok(_) => break,
                Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
                    return Err(HeaderError::Bad(describe(&e)));
                }
                Err(nom::Err::Incomplete(_)) => true,
            };
            self.more_for_header(incomplete)?;
        }
        self.parser = Parser::Ng { big_endian: false };
        Ok(())
    }

    fn more_for_header(&mut self, incomplete: bool) -> Result<(), HeaderError> {
        if !incomplete || self.exhausted || self.data().len() >= MAX_HEADER {
            return Err(HeaderError::Bad("incomplete header".into()));
        }
        self.more().map_err(|_| HeaderError::Read)
    }

    fn new(source: S, parser: Parser) -> Self {
        InPlace {
            source,
            parser,
            cur: None,
            pos: 0,
            stitching: false,
            stitch: Vec::new(),
            stitch_pos: 0,
            before_cur: 0,
            copied: 0,
            capacity: BLOCK,
            exhausted: false,
            consumed: 0,
        }
    }

    /// Adds more bytes to the stitch: the next of `cur`'s, or once all of them are in, the
    /// next block's (the stitch then spans more than two blocks: a record larger than one).
    fn stitch_more(&mut self) -> io::Result<()> {
        let unread = self.stitch.len().saturating_sub(self.stitch_pos);
        // Once the source has ended it is not asked again (a source that waits for blocks,
        // such as another thread's, would wait for ever).
        if unread >= self.capacity || self.exhausted {
            return Ok(());
        }
        let cur_len = self.cur.as_ref().map_or(0, |b| b.bytes().len());
        if self.copied >= cur_len {
            // Everything in the stitch now comes before the next block.
            self.stitch.drain(..self.stitch_pos.min(self.stitch.len()));
            self.stitch_pos = 0;
            self.before_cur = self.stitch.len();
            self.copied = 0;
            let spent = self.cur.take();
            match self.source.next_block(spent)? {
                Some(b) => self.cur = Some(b),
                None => {
                    self.exhausted = true;
                    return Ok(());
                }
            }
        }
        let Some(cur) = self.cur.as_ref() else {
            return Ok(());
        };
        let want = unread.max(STITCH_STEP).min(self.capacity - unread);
        let from = cur.bytes().get(self.copied..).unwrap_or_default();
        let take = want.min(from.len());
        self.stitch
            .extend_from_slice(from.get(..take).unwrap_or_default());
        self.copied += take;
        Ok(())
    }
}

/// The bytes not yet consumed: the stitch's, or the current block's.
fn unread<'a>(
    stitching: bool,
    stitch: &'a [u8],
    stitch_pos: usize,
    cur: Option<&'a Block>,
    pos: usize,
) -> &'a [u8] {
    if stitching {
        stitch.get(stitch_pos..).unwrap_or_default()
    } else {
        cur.and_then(|b| b.bytes().get(pos..)).unwrap_or_default()
    }
}

impl<S: BlockSource> PcapReaderIterator for InPlace<S> {
    fn next(&mut self) -> Result<(usize, PcapBlockOwned<'_>), PcapError<&[u8]>> {
        // Fields are borrowed one by one: the bytes stay borrowed by the block returned
        // while the parser's byte order is updated.
        let data = unread(
            self.stitching,
            &self.stitch,
            self.stitch_pos,
            self.cur.as_ref(),
            self.pos,
        );
        if data.is_empty() && self.exhausted {
            return Err(PcapError::Eof);
        }
        let parsed = match &mut self.parser {
            Parser::Legacy { header, .. } if self.consumed == 0 => {
                return Ok((header.size(), PcapBlockOwned::from(header.clone())));
            }
            Parser::Legacy { parse, .. } => {
                parse(data).map(|(rem, b)| (data.offset(rem), PcapBlockOwned::from(b)))
            }
            Parser::Ng { big_endian } => {
                let parse = if *big_endian {
                    parse_block_be
                } else {
                    parse_block_le
                };
                // Once the whole block is here the parser sees that block alone: a body that
                // claims more than its block must not be judged by the bytes after it.
                let len = block_total(data, *big_endian).map_or(0, |l| l as usize);
                let view = match data.get(..len) {
                    Some(block) if len >= 12 => block,
                    _ => data,
                };
                parse(view).map(|(rem, b)| {
                    if let NgBlock::SectionHeader(shb) = &b {
                        *big_endian = shb.big_endian();
                    }
                    (view.offset(rem), PcapBlockOwned::from(b))
                })
            }
        };
        match parsed {
            Ok(found) => Ok(found),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e),
            Err(nom::Err::Incomplete(_)) if self.exhausted => Err(PcapError::UnexpectedEof),
            Err(nom::Err::Incomplete(needed)) => {
                // A pcapng block says its own length: what it needs is the rest of it, whatever
                // its body claims (a captured length beyond the block is damage, found once the
                // whole block is here). A pcap record's need is its header's captured length.
                let own = match &self.parser {
                    Parser::Ng { big_endian } => block_total(data, *big_endian),
                    Parser::Legacy { .. } => None,
                };
                let total = match (own, needed) {
                    (Some(len), _) => len as usize,
                    (None, Needed::Size(n)) => data.len().saturating_add(usize::from(n)),
                    (None, Needed::Unknown) => return Err(PcapError::Incomplete(0)),
                };
                // Too large only once as much as the buffer holds is here: whether the input
                // ends first (a truncated record) then does not depend on where blocks end.
                if total.saturating_sub(data.len()) == 0 {
                    Err(PcapError::Incomplete(0))
                } else if total >= self.capacity && data.len() >= self.capacity {
                    Err(PcapError::BufferTooSmall)
                } else {
                    Err(PcapError::Incomplete(total - data.len()))
                }
            }
        }
    }

    fn consume(&mut self, offset: usize) {
        self.consumed += offset;
        if !self.stitching {
            self.pos += offset;
            return;
        }
        self.stitch_pos = (self.stitch_pos + offset).min(self.stitch.len());
        if self.stitch_pos >= self.before_cur {
            // Past the bytes from before `cur`: reading goes on in place.
            self.pos = self.stitch_pos - self.before_cur;
            self.stitching = false;
            self.stitch.clear();
            self.stitch_pos = 0;
        }
    }

    fn consume_noshift(&mut self, offset: usize) {
        self.consume(offset);
    }

    fn consumed(&self) -> usize {
        self.consumed
    }

    fn refill(&mut self) -> Result<(), PcapError<&[u8]>> {
        let failed = |_| PcapError::ReadError;
        if self.exhausted {
            return Ok(());
        }
        if self.stitching {
            return self.stitch_more().map_err(failed);
        }
        let rest = self
            .cur
            .as_ref()
            .and_then(|b| b.bytes().get(self.pos..))
            .unwrap_or_default();
        if rest.is_empty() {
            // This block is read: go on in the next, in place.
            let spent = self.cur.take();
            self.pos = 0;
            match self.source.next_block(spent).map_err(failed)? {
                Some(b) => self.cur = Some(b),
                None => self.exhausted = true,
            }
            return Ok(());
        }
        if self.exhausted || rest.len() >= self.capacity {
            return Ok(());
        }
        // A record cut by the block's end: its head goes into the stitch, and then as much of
        // the next block as the parser needs.
        self.stitch.clear();
        self.stitch.extend_from_slice(rest);
        self.stitch_pos = 0;
        self.before_cur = self.stitch.len();
        self.copied = 0;
        self.stitching = true;
        let spent = self.cur.take();
        match self.source.next_block(spent).map_err(failed)? {
            Some(b) => self.cur = Some(b),
            None => {
                self.exhausted = true;
                return Ok(());
            }
        }
        self.stitch_more().map_err(failed)
    }

    fn position(&self) -> usize {
        if self.stitching {
            self.stitch_pos
        } else {
            self.pos
        }
    }

    fn grow(&mut self, new_size: usize) -> bool {
        self.capacity = self.capacity.max(new_size);
        true
    }

    fn data(&self) -> &[u8] {
        unread(
            self.stitching,
            &self.stitch,
            self.stitch_pos,
            self.cur.as_ref(),
            self.pos,
        )
    }

    fn reader_exhausted(&self) -> bool {
        self.exhausted
    }
}
