//! Line-aligned chunking: reads a byte stream in large blocks and hands out chunks that end on a
//! line boundary, with the line number each starts at, so that chunks can be parsed in parallel
//! and every record can still be reported by file and line. Memory is bounded: a line longer than
//! the configured limit is skipped (and reported by line number) instead of being buffered.

use std::io::{self, Read};

/// A run of complete lines.
#[derive(Debug, Default)]
pub struct LineChunk {
    pub data: Vec<u8>,
    /// 1-based number of the first line in `data`.
    pub first_line: u64,
    /// The last line has no line terminator (end of stream).
    pub unterminated_tail: bool,
    /// Number of lines in `data`, counted once by whoever built the chunk.
    pub lines: u64,
}

impl LineChunk {
    /// Builds a chunk, counting its lines.
    pub fn new(data: Vec<u8>, first_line: u64, unterminated_tail: bool) -> LineChunk {
        let lines = count_lines(&data, unterminated_tail);
        LineChunk {
            data,
            first_line,
            unterminated_tail,
            lines,
        }
    }
}

/// Lines in `data`: its line ends, plus one for a last line without one.
pub fn count_lines(data: &[u8], unterminated_tail: bool) -> u64 {
    let n = bytecount::count(data, b'\n') as u64;
    if unterminated_tail && !data.is_empty() {
        n + 1
    } else {
        n
    }
}

/// What the chunker produced.
#[derive(Debug)]
pub enum ChunkEvent {
    Chunk(LineChunk),
    /// A line longer than the limit was skipped.
    LineTooLong {
        line: u64,
        bytes: u64,
    },
}

/// Cuts a stream into line-aligned chunks of about `chunk_size` bytes.
pub struct LineChunker<R> {
    src: R,
    chunk_size: usize,
    max_line: usize,
    buf: Vec<u8>,
    next_line: u64,
    eof: bool,
    /// A read error that ended the stream, reported after the data before it is handed out.
    error: Option<io::Error>,
    spare: Vec<Vec<u8>>,
}

impl<R: Read> LineChunker<R> {
    pub fn new(src: R, chunk_size: usize, max_line: usize) -> Self {
        LineChunker {
            src,
            // Chunks no longer than the line limit mean a chunk of complete lines can only hold
            // an overlong line when the buffer grew to find a line end, which keeps the
            // overlong-line scan off the common path.
            chunk_size: chunk_size.clamp(64, max_line.max(64)),
            max_line: max_line.max(64),
            buf: Vec::new(),
            next_line: 1,
            eof: false,
            error: None,
            spare: Vec::new(),
        }
    }

    /// Gives a spent buffer back for reuse.
    pub fn recycle(&mut self, mut v: Vec<u8>) {
        if self.spare.len() < 4 {
            v.clear();
            self.spare.push(v);
        }
    }

    /// The line number the next chunk will start at.
    pub fn next_line(&self) -> u64 {
        self.next_line
    }

    fn fresh_buffer(&mut self) -> Vec<u8> {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.chunk_size + 64 * 1024))
    }

    /// Reads until the buffer holds `target` bytes or the stream ends.
    fn fill(&mut self, target: usize) -> io::Result<()> {
        if self.eof || self.buf.len() >= target {
            return Ok(());
        }
        let want = target - self.buf.len();
        // `read_to_end` through `take` reads into the buffer's spare capacity without zeroing
        // it first (zeroing a chunk before every read was a seventh of a whole run's CPU), and
        // retries interrupted reads itself.
        match (&mut self.src).take(want as u64).read_to_end(&mut self.buf) {
            Ok(n) if n < want => self.eof = true,
            Ok(_) => {}
            Err(e) => {
                // Keep what was read before the error (a truncated gzip still yields its first
                // part) and end the stream here.
                self.eof = true;
                self.error = Some(e);
            }
        }
        Ok(())
    }

    /// Discards input up to and including the next line end.
    fn skip_line(&mut self) -> io::Result<u64> {
        let mut skipped = 0u64;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf) {
                skipped += i as u64;
                self.buf.drain(..=i);
                return Ok(skipped);
            }
            skipped += self.buf.len() as u64;
            self.buf.clear();
            if self.eof {
                return Ok(skipped);
            }
            self.fill(self.chunk_size)?;
            if self.buf.is_empty() && self.eof {
                return Ok(skipped);
            }
        }
    }

    /// The read error that ended the stream early, if any (corrupt compressed data, a failing
    /// disk). Check it once `next_event` has returned `None`: everything read before the error
    /// has been handed out first.
    pub fn take_error(&mut self) -> Option<io::Error> {
        self.error.take()
    }

    /// The next chunk or skipped line; `None` at the end of the stream.
    pub fn next_event(&mut self) -> io::Result<Option<ChunkEvent>> {
        loop {
            self.fill(self.chunk_size)?;
            if self.buf.is_empty() {
                return Ok(None);
            }
            let search_end = self.buf.len();
            // At the end of the stream, an unterminated last line goes out with the lines before
            // it rather than as a chunk of its own, so one worker meets the stream's last records
            // in line order (what `--strict` reports first must not depend on thread timing).
            if self.eof
                && self.buf.last() != Some(&b'\n')
                && let Some(i) = memchr::memrchr(b'\n', &self.buf)
                && self.buf.len() - (i + 1) <= self.max_line
            {
                let mut data = std::mem::take(&mut self.buf);
                if let Some(ev) = self.split_overlong(&mut data) {
                    self.buf = data;
                    return Ok(Some(ev));
                }
                let chunk = LineChunk::new(data, self.next_line, true);
                self.next_line += chunk.lines;
                return Ok(Some(ChunkEvent::Chunk(chunk)));
            }
            match memchr::memrchr(b'\n', &self.buf[..search_end]) {
                Some(i) => {
                    // A complete line may still be too long (it ends inside this buffer).
                    let rest = self.buf.split_off(i + 1);
                    let fresh = self.fresh_buffer();
                    let mut data = std::mem::replace(&mut self.buf, fresh);
                    self.buf.extend_from_slice(&rest);
                    if let Some(ev) = self.split_overlong(&mut data) {
                        // Keep the rest of the data for the next call.
                        let mut keep = data;
                        keep.extend_from_slice(&self.buf);
                        self.buf = keep;
                        return Ok(Some(ev));
                    }
                    let chunk = LineChunk::new(data, self.next_line, false);
                    self.next_line += chunk.lines;
                    return Ok(Some(ChunkEvent::Chunk(chunk)));
                }
                None if self.buf.len() > self.max_line => {
                    let line = self.next_line;
                    let skipped = self.skip_line()?;
                    self.next_line += 1;
                    return Ok(Some(ChunkEvent::LineTooLong {
                        line,
                        bytes: skipped,
                    }));
                }
                None if self.eof => {
                    let data = std::mem::take(&mut self.buf);
                    if let Some(ev) = self.split_overlong_tail(&data) {
                        return Ok(Some(ev));
                    }
                    let chunk = LineChunk::new(data, self.next_line, true);
                    self.next_line += chunk.lines;
                    return Ok(Some(ChunkEvent::Chunk(chunk)));
                }
                None => {
                    // One line longer than the buffer but within the limit: read more.
                    let target = (self.buf.len() * 2).min(self.max_line + 1);
                    self.fill(target)?;
                    if !self.eof
                        && memchr::memchr(b'\n', &self.buf).is_none()
                        && self.buf.len() <= self.max_line
                    {
                        continue;
                    }
                }
            }
        }
    }

    /// If `data` (complete lines) holds a line longer than the limit, cuts `data` to the lines
    /// before it and reports it; the overlong line itself is dropped.
    fn split_overlong(&mut self, data: &mut Vec<u8>) -> Option<ChunkEvent> {
        if data.len() <= self.max_line {
            return None;
        }
        let mut start = 0;
        for (line, end) in (self.next_line..).zip(memchr::memchr_iter(b'\n', data)) {
            if end - start > self.max_line {
                if start > 0 {
                    // Emit the lines before it first: leave the long line for the next call.
                    let tail = data.split_off(start);
                    let chunk = LineChunk::new(std::mem::take(data), self.next_line, false);
                    self.next_line += chunk.lines;
                    *data = tail;
                    return Some(ChunkEvent::Chunk(chunk));
                }
                let bytes = (end - start) as u64;
                data.drain(..=end);
                self.next_line += 1;
                return Some(ChunkEvent::LineTooLong { line, bytes });
            }
            start = end + 1;
        }
        None
    }

    fn split_overlong_tail(&mut self, data: &[u8]) -> Option<ChunkEvent> {
        if data.len() > self.max_line {
            let line = self.next_line;
            self.next_line += 1;
            return Some(ChunkEvent::LineTooLong {
                line,
                bytes: data.len() as u64,
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// (first line, bytes, unterminated tail) of each chunk.
    type Seen = Vec<(u64, Vec<u8>, bool)>;

    fn run(input: &[u8], chunk: usize, max_line: usize) -> (Seen, Vec<u64>) {
        let mut c = LineChunker::new(input, chunk, max_line);
        let mut chunks = Vec::new();
        let mut long = Vec::new();
        while let Some(ev) = c.next_event().unwrap() {
            match ev {
                ChunkEvent::Chunk(ch) => {
                    chunks.push((ch.first_line, ch.data, ch.unterminated_tail))
                }
                ChunkEvent::LineTooLong { line, .. } => long.push(line),
            }
        }
        (chunks, long)
    }

    #[test]
    fn chunks_end_on_lines_and_number_them() {
        let input = b"a\nbb\nccc\ndddd\n";
        let (chunks, long) = run(input, 64, 1000);
        assert!(long.is_empty());
        let joined: Vec<u8> = chunks.iter().flat_map(|c| c.1.clone()).collect();
        assert_eq!(joined, input);
        assert_eq!(chunks[0].0, 1);
    }

    #[test]
    fn unterminated_tail_is_flagged() {
        // The unterminated last line travels with the lines before it (one chunk, in order).
        let (chunks, _) = run(b"a\nb", 64, 1000);
        assert_eq!(chunks.len(), 1);
        let last = chunks.last().unwrap();
        assert!(last.2);
        assert_eq!(last.1, b"a\nb");
        assert_eq!(last.0, 1);
        // A tail alone is still its own flagged chunk.
        let (chunks, _) = run(b"b", 64, 1000);
        assert_eq!(chunks, vec![(1, b"b".to_vec(), true)]);
    }

    #[test]
    fn overlong_lines_are_skipped_with_their_number() {
        let mut input = b"short\n".to_vec();
        input.extend(vec![b'x'; 5000]);
        input.extend(b"\nafter\n");
        input.extend(vec![b'y'; 300]);
        let (chunks, long) = run(&input, 64, 256);
        assert_eq!(long, vec![2, 4]);
        let lines: Vec<(u64, Vec<u8>)> = chunks
            .iter()
            .flat_map(|(first, data, _)| {
                data.split(|b| *b == b'\n')
                    .filter(|l| !l.is_empty())
                    .enumerate()
                    .map(move |(i, l)| (first + i as u64, l.to_vec()))
                    .collect::<Vec<_>>()
            })
            .collect();
        assert_eq!(lines, vec![(1, b"short".to_vec()), (3, b"after".to_vec())]);
    }

    proptest! {
        /// Whatever the chunk size, the chunks reproduce every line (short enough to keep) with
        /// its true line number.
        #[test]
        fn chunks_preserve_lines(lines in prop::collection::vec("[a-z]{0,40}", 0..60), chunk in 64usize..300, max_line in 64usize..100) {
            let text = lines.join("\n");
            let (chunks, long) = run(text.as_bytes(), chunk, max_line);
            let mut got: Vec<(u64, String)> = Vec::new();
            for (first, data, _) in &chunks {
                for (i, l) in data.split(|b| *b == b'\n').enumerate() {
                    if i == data.split(|b| *b == b'\n').count() - 1 && l.is_empty() { continue; }
                    got.push((first + i as u64, String::from_utf8(l.to_vec()).unwrap()));
                }
            }
            let want: Vec<(u64, String)> = lines.iter().enumerate()
                .filter(|(i, l)| !(l.is_empty() && *i == lines.len() - 1))
                .map(|(i, l)| (i as u64 + 1, l.clone()))
                .collect();
            prop_assert!(long.is_empty());
            prop_assert_eq!(got, want);
        }
    }
}
