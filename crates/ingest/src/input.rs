//! Inputs: turning the paths a user gives (files, directories walked recursively, `-` for
//! standard input) into named byte streams, and undoing compression recognised by its magic
//! bytes, never by file name: gzip (including concatenated members), zstd, and zip archives
//! (each member is its own input, named `archive.zip:member`).

mod archive;

use pubsub_hunt_reader::{Problem, ProblemKind};
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::PathBuf;

/// An input as given on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputPath {
    Stdin,
    Path(PathBuf),
}

impl From<&str> for InputPath {
    fn from(s: &str) -> Self {
        if s == "-" {
            InputPath::Stdin
        } else {
            InputPath::Path(PathBuf::from(s))
        }
    }
}

/// One file to read (after walking directories).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// How the file is named in messages and evidence.
    pub name: String,
    pub source: FileSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSource {
    Stdin,
    Path(PathBuf),
}

/// Expands the given paths into files, in the order given; directories are walked recursively
/// with entries sorted by name so runs are reproducible. Paths that do not exist are reported.
pub fn expand(paths: &[InputPath]) -> (Vec<InputFile>, Vec<Problem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match p {
            InputPath::Stdin => files.push(InputFile {
                name: "-".into(),
                source: FileSource::Stdin,
            }),
            InputPath::Path(path) => {
                let name = path.display().to_string();
                match std::fs::metadata(path) {
                    Err(e) => problems.push(Problem {
                        file: name,
                        line: None,
                        kind: ProblemKind::Unreadable,
                        detail: e.to_string(),
                    }),
                    Ok(m) if m.is_dir() => {
                        let walker = walkdir::WalkDir::new(path).sort_by_file_name();
                        for entry in walker {
                            match entry {
                                Ok(e) if e.file_type().is_file() => files.push(InputFile {
                                    name: e.path().display().to_string(),
                                    source: FileSource::Path(e.path().to_path_buf()),
                                }),
                                Ok(_) => {}
                                Err(e) => problems.push(Problem {
                                    file: e
                                        .path()
                                        .map(|p| p.display().to_string())
                                        .unwrap_or_else(|| name.clone()),
                                    line: None,
                                    kind: ProblemKind::Unreadable,
                                    detail: e.to_string(),
                                }),
                            }
                        }
                    }
                    Ok(_) => files.push(InputFile {
                        name,
                        source: FileSource::Path(path.clone()),
                    }),
                }
            }
        }
    }
    (files, problems)
}

/// Compression recognised from the first bytes of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    Zip,
    /// Recognised but not supported; the name says which.
    Unsupported(&'static str),
}

/// Recognises compression from magic bytes.
pub fn sniff_compression(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Compression::Zip
    } else if head.starts_with(b"BZh") && head.len() >= 4 && head[3].is_ascii_digit() {
        Compression::Unsupported("bzip2")
    } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
        Compression::Unsupported("xz")
    } else {
        Compression::None
    }
}

const READ_BUFFER: usize = 256 * 1024;

/// A stream whose first bytes were read ahead (for compression or format detection): yields
/// them, then any error met while reading them (a cut gzip file), then the rest of the stream.
/// Deferring the error lets the records before it be read and the problem be reported where it
/// happened.
pub(crate) struct Replayed<R> {
    head: io::Cursor<Vec<u8>>,
    error: Option<io::Error>,
    rest: R,
}

impl<R> Replayed<R> {
    /// The error met while reading ahead, if any (not yet returned by `read`).
    pub(crate) fn pending_error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }
}

impl<R: Read> Read for Replayed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.head.read(buf)?;
        if n > 0 || buf.is_empty() {
            return Ok(n);
        }
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.rest.read(buf)
    }
}

impl<R: Read> Replayed<R> {
    /// The stream for bulk reading. Without a deferred error it is the head chained to the rest
    /// through std's `Chain`, behind `dyn Read`: std's own readers pass reads into a buffer's
    /// spare capacity through without zeroing it first, which a reader that only implements
    /// `read` (like this one) cannot do on stable Rust. Zeroing every chunk before reading into
    /// it cost a sixth of a whole run's CPU.
    pub(crate) fn into_bulk<'a>(self) -> Box<dyn Read + 'a>
    where
        R: 'a,
    {
        match self.error {
            None => Box::new(self.head.chain(self.rest)),
            Some(_) => Box::new(self),
        }
    }
}

impl<R> Replayed<R> {
    /// Takes the error met while reading ahead, when no byte at all could be read: the
    /// stream is not empty but undecodable (a zstd frame needing a larger window than allowed,
    /// a gzip stream corrupt in its first block), which callers report as such instead of
    /// sniffing zero bytes.
    pub(crate) fn take_error_before_data(&mut self) -> Option<io::Error> {
        if self.head.get_ref().is_empty() {
            self.error.take()
        } else {
            None
        }
    }
}

/// Reads up to `n` bytes ahead, keeping an error for later instead of failing.
pub(crate) fn peek_tolerant<R: Read>(mut r: R, n: usize) -> (Vec<u8>, Replayed<R>) {
    let mut head = vec![0u8; n];
    let mut got = 0;
    let mut error = None;
    while got < n {
        match r.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                error = Some(e);
                break;
            }
        }
    }
    head.truncate(got);
    let replay = Replayed {
        head: io::Cursor::new(head.clone()),
        error,
        rest: r,
    };
    (head, replay)
}

/// Reads up to `n` bytes ahead; an error before any byte could be read is returned.
fn peek<R: Read>(r: R, n: usize) -> io::Result<(Vec<u8>, Replayed<R>)> {
    let (head, mut replay) = peek_tolerant(r, n);
    if head.is_empty()
        && let Some(e) = replay.error.take()
    {
        return Err(e);
    }
    Ok((head, replay))
}

/// Why a stream callback stopped.
pub type StreamResult = Result<(), Problem>;

/// Opens `file`, undoes its compression and calls `each` with every logical stream in it (one,
/// or one per member of a zip archive) and that stream's name.
pub fn for_each_stream(
    file: &InputFile,
    each: &mut dyn FnMut(&str, &mut dyn Read) -> StreamResult,
) -> StreamResult {
    let unreadable = |e: io::Error| Problem {
        file: file.name.clone(),
        line: None,
        kind: ProblemKind::Unreadable,
        detail: e.to_string(),
    };
    match &file.source {
        FileSource::Stdin => for_each_stream_of(&file.name, io::stdin(), each),
        FileSource::Path(p) => {
            let f = File::open(p).map_err(unreadable)?;
            // A regular file holding a zip archive is read again from its start through a
            // second handle; a pipe (a FIFO, `<(cat x.zip)`) cannot be, and is never reopened.
            let regular = f.metadata().is_ok_and(|m| m.is_file());
            let again = if regular { f.try_clone().ok() } else { None };
            let (head, r) = peek(f, 8).map_err(unreadable)?;
            decode(
                &file.name,
                &head,
                BufReader::with_capacity(READ_BUFFER, r.into_bulk()),
                again,
                each,
            )
        }
    }
}

/// [`for_each_stream`] for a stream already open (standard input, a pipe; the fuzz targets),
/// which is read once: a zip archive in it is held in memory within a bound.
pub fn for_each_stream_of(
    name: &str,
    input: impl Read,
    each: &mut dyn FnMut(&str, &mut dyn Read) -> StreamResult,
) -> StreamResult {
    let (head, r) = peek(input, 8).map_err(|e| Problem {
        file: name.to_string(),
        line: None,
        kind: ProblemKind::Unreadable,
        detail: e.to_string(),
    })?;
    decode(
        name,
        &head,
        BufReader::with_capacity(READ_BUFFER, r.into_bulk()),
        None,
        each,
    )
}

fn decode(
    name: &str,
    head: &[u8],
    r: impl Read,
    zip_file: Option<File>,
    each: &mut dyn FnMut(&str, &mut dyn Read) -> StreamResult,
) -> StreamResult {
    let problem = |kind, detail: String| Problem {
        file: name.to_string(),
        line: None,
        kind,
        detail,
    };
    match sniff_compression(head) {
        Compression::None => each(name, &mut { r }),
        Compression::Gzip => {
            let mut d = BufReader::with_capacity(READ_BUFFER, flate2::read::MultiGzDecoder::new(r));
            each(name, &mut d)
        }
        Compression::Zstd => {
            let d = zstd::stream::read::Decoder::new(r)
                .map_err(|e| problem(ProblemKind::CorruptCompression, e.to_string()))?;
            let mut d = BufReader::with_capacity(READ_BUFFER, d);
            each(name, &mut d)
        }
        Compression::Zip => match zip_file {
            Some(mut f) => {
                drop(r);
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                f.seek(SeekFrom::Start(0))
                    .map_err(|e| problem(ProblemKind::Unreadable, e.to_string()))?;
                archive::read(name, BufReader::new(f), len, each)
            }
            None => {
                // Standard input or a pipe: read once, into memory, within a bound.
                let mut data = Vec::new();
                let mut r = r;
                (&mut r)
                    .take(archive::MAX_STREAMED_ARCHIVE + 1)
                    .read_to_end(&mut data)
                    .map_err(|e| problem(ProblemKind::CorruptCompression, e.to_string()))?;
                if data.len() as u64 > archive::MAX_STREAMED_ARCHIVE {
                    return Err(problem(
                        ProblemKind::OverBudget,
                        format!(
                            "a zip archive read from a pipe or standard input is held in memory, up to {} MiB, and this one is larger; give its file path instead",
                            archive::MAX_STREAMED_ARCHIVE >> 20
                        ),
                    ));
                }
                let len = data.len() as u64;
                archive::read(name, io::Cursor::new(data), len, each)
            }
        },
        Compression::Unsupported(kind) => Err(problem(
            ProblemKind::UnknownFormat,
            format!("{kind}-compressed data is not supported; decompress it first"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(file: &InputFile) -> (Vec<(String, Vec<u8>)>, Option<Problem>) {
        let mut out = Vec::new();
        let r = for_each_stream(file, &mut |name, r| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).map_err(|e| Problem {
                file: name.into(),
                line: None,
                kind: ProblemKind::CorruptCompression,
                detail: e.to_string(),
            })?;
            out.push((name.to_string(), v));
            Ok(())
        });
        (out, r.err())
    }

    #[test]
    fn decompresses_by_content_not_name() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"hello\nworld\n".repeat(1000);
        // gzip written under a misleading name
        let gz = dir.path().join("plain.txt");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&text).unwrap();
        std::fs::write(&gz, e.finish().unwrap()).unwrap();
        let zs = dir.path().join("data.gz");
        std::fs::write(&zs, zstd::encode_all(&text[..], 3).unwrap()).unwrap();
        for p in [gz, zs] {
            let f = InputFile {
                name: "x".into(),
                source: FileSource::Path(p),
            };
            let (got, err) = collect(&f);
            assert!(err.is_none());
            assert_eq!(got[0].1, text);
        }
    }

    #[test]
    fn truncated_gzip_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&b"line of text\n".repeat(10_000)).unwrap();
        let mut gz = e.finish().unwrap();
        gz.truncate(gz.len() / 2);
        let p = dir.path().join("cut.gz");
        std::fs::write(&p, gz).unwrap();
        let (_, err) = collect(&InputFile {
            name: "cut".into(),
            source: FileSource::Path(p),
        });
        assert_eq!(err.unwrap().kind, ProblemKind::CorruptCompression);
    }

    #[test]
    fn zip_members_are_inputs() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("logs.zip");
        let mut w = zip::ZipWriter::new(std::fs::File::create(&p).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("a/conn.log", opts).unwrap();
        w.write_all(b"A\n").unwrap();
        w.add_directory("b/", opts).unwrap();
        w.start_file("ssl.log", opts).unwrap();
        w.write_all(b"B\n").unwrap();
        w.finish().unwrap();
        let (got, err) = collect(&InputFile {
            name: "logs.zip".into(),
            source: FileSource::Path(p),
        });
        assert!(err.is_none());
        let names: Vec<_> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["logs.zip:a/conn.log", "logs.zip:ssl.log"]);
    }

    #[test]
    fn directories_are_walked_in_order_and_missing_paths_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.log"), "x").unwrap();
        std::fs::write(dir.path().join("a.log"), "x").unwrap();
        let (files, problems) = expand(&[
            InputPath::Path(dir.path().to_path_buf()),
            InputPath::Path(dir.path().join("missing")),
        ]);
        let names: Vec<_> = files
            .iter()
            .map(|f| f.name.rsplit('/').next().unwrap().to_string())
            .collect();
        assert_eq!(names, ["a.log", "b.log"]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::Unreadable);
    }

    #[test]
    fn sniffing() {
        assert_eq!(
            sniff_compression(b"BZh91AY"),
            Compression::Unsupported("bzip2")
        );
        assert_eq!(sniff_compression(b"#separator"), Compression::None);
        assert_eq!(sniff_compression(b""), Compression::None);
    }

    /// A reader that yields its bytes a few at a time, then fails.
    struct FailsAfter {
        data: io::Cursor<Vec<u8>>,
    }

    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let take = buf.len().min(3);
            let n = self.data.read(&mut buf[..take])?;
            if n == 0 {
                return Err(io::Error::other("cut here"));
            }
            Ok(n)
        }
    }

    #[test]
    fn bulk_reading_replays_the_head_then_the_rest_then_the_error() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        // Nothing deferred: the std chain.
        let (head, replay) = peek_tolerant(io::Cursor::new(data.clone()), 100);
        assert_eq!(head, &data[..100]);
        let mut all = Vec::new();
        replay.into_bulk().read_to_end(&mut all).unwrap();
        assert_eq!(all, data);
        // An error met while peeking still comes after the bytes before it.
        let short = data[..10].to_vec();
        let (head, replay) = peek_tolerant(
            FailsAfter {
                data: io::Cursor::new(short.clone()),
            },
            100,
        );
        assert_eq!(head, short);
        let mut bulk = replay.into_bulk();
        let mut got = Vec::new();
        let err = bulk.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.to_string(), "cut here");
        assert_eq!(got, short);
    }
}
