//! The interface every input format implements, and the registry the pipeline picks from.
//!
//! A format is a [`FormatSpec`]: a name, a description, a `sniff` that looks at the first bytes
//! of a (decompressed) stream and says how sure it is, and an `open` that returns the reader for
//! that stream. Readers come in three shapes, because formats do:
//!
//! - [`LineFormat`]: one record per line and no state between lines (JSON lines, syslog lines,
//!   CSV rows once the header is known). The pipeline cuts the stream into chunks, runs the
//!   candidate prefilter over them and parses the surviving lines on every core.
//! - [`HeaderedFormat`]: lines whose header lines say how to read the lines after them, with
//!   header blocks possibly anywhere in the stream (Zeek's ASCII writer, logs concatenated with
//!   `cat`; W3C extended logs). The reader thread gives it the header lines in order; the lines
//!   between them are parsed on every core with the [`LineFormat`] its [`Body`] names.
//! - [`StreamFormat`]: everything that needs the stream in order (EVTX, multi-line XML, JSON
//!   arrays, Cisco ASA Built/Teardown pairing, packet captures). It runs on the reader thread
//!   and hands records to a [`RecordSink`].
//!
//! The registry is a plain list the ingest pipeline is given, so every crate that has formats
//! (the log readers, the packet crate, a hunter's mapping files) adds them without the others
//! knowing them.

use crate::problem::ProblemKind;
use pubsub_hunt_core::analytics::census::{CensusEntry, Coverage};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, ConnEvent};
use std::io::Read;
use std::net::IpAddr;
use std::sync::Arc;

/// How many bytes of a stream format detection looks at.
pub const DETECT_BYTES: usize = 64 * 1024;

/// What one record turned out to be.
#[derive(Debug)]
pub enum Record {
    /// A network connection.
    Conn(Box<ConnEvent>),
    /// A valid record of the format that is not a network connection (another Sysmon event id,
    /// a Suricata `dns` event, a Zeek log of another `_path`). Counted, not a problem.
    Other,
    /// Not a record at all (a CSV header row, a comment, a blank line). Not counted.
    Skip,
    /// A name another log gives a destination (a Zeek `ssl.log` server name): the analytics
    /// use it to name the connections to `ip`:`port` — first those of `client`, the host whose
    /// session carried the name, when it is known. When the name is a public pub/sub service's
    /// (a public MQTT broker), `conn` is the connection the log recorded it on (its time, client
    /// port and uid): the analytics hunt that connection itself when no port analytic takes its
    /// port (MQTT over WebSocket on a broker's own port is in no conn.log candidate).
    DestName {
        client: Option<IpAddr>,
        ip: IpAddr,
        port: u16,
        name: String,
        conn: Option<Box<ConnEvent>>,
    },
    /// Names a DNS answer gave addresses (a Zeek `dns.log` A/AAAA answer): the analytics use
    /// every one of `names` to name the connections to each of `addrs`, whatever the port —
    /// first those of `client`, the host that asked, when it is known.
    AddrNames {
        client: Option<IpAddr>,
        addrs: Vec<IpAddr>,
        names: Vec<String>,
    },
    /// What a content log learned about one session (a Zeek `mqtt_*.log` record: client id,
    /// topics, a message): the analytics merge it into the groups of the channel `src_ip` →
    /// `dst_ip`:`dst_port`, as if packet inspection had seen it.
    SessionFacts {
        src_ip: IpAddr,
        dst_ip: IpAddr,
        dst_port: u16,
        ts: Option<Micros>,
        app: Box<AppInfo>,
    },
}

/// How sure a sniff is. Higher wins; ties go to the format listed first.
pub type Confidence = u8;

/// Certain: a magic number or a field only this format has.
pub const CERTAIN: Confidence = 100;
/// Likely: the shape matches, but another format could share it.
pub const LIKELY: Confidence = 50;
/// Possible: only a generic shape (any JSON object, any CSV).
pub const POSSIBLE: Confidence = 10;

/// A reader for formats with one record per line and no state between lines. Shared by the
/// worker threads.
pub trait LineFormat: Send + Sync {
    /// The format name (`sysmon-json`, `ecs`, …), used in reports and as `source_format`.
    fn name(&self) -> &'static str;
    /// Parses one line (without its line end). An `Err` is a malformed record: its text says
    /// what is wrong, short, without echoing much of the input.
    fn parse_line(&self, line: &[u8]) -> Result<Record, String>;
    /// True when every line must be parsed: its records are not connections the candidate
    /// prefilter could recognise by port or protocol label (DNS answers, message logs), so the
    /// prefilter must not skip them.
    fn every_line(&self) -> bool {
        false
    }
    /// True when its records name the initiating program (Windows Sysmon, EDR and SIEM
    /// exports): a line naming a Windows system binary may then be a candidate on any port (the
    /// engine hunts masqueraded programs), so the prefilter passes those lines too.
    fn records_programs(&self) -> bool {
        false
    }
    /// True when its records are every connection the sensor saw (Zeek `conn.log`): the
    /// pipeline then reads every line's [`census_entry`](Self::census_entry), past the
    /// prefilter, so the analytics know what else each host did
    /// (`pubsub_hunt_core::analytics::census`).
    fn takes_census(&self) -> bool {
        false
    }
    /// Who started the connection of one line, to where and over what, read with as little
    /// work as the format allows; `None` when the line is not a connection or those fields do
    /// not read (the parser reports it where it matters).
    fn census_entry<'l>(&self, line: &'l [u8]) -> Option<CensusEntry<'l>> {
        let _ = line;
        None
    }
}

/// Receives the records of a [`StreamFormat`].
pub trait RecordSink {
    /// One record at `pos`: the 1-based line, record id or packet number that lets a hunter
    /// find it again. An `Err` is a malformed record (counted and reported, reading goes on).
    fn record(&mut self, pos: u64, record: Result<Record, String>);
    /// A problem that is not one record: a corrupt EVTX chunk, a truncated capture. `pos` is
    /// where it was found.
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String);
    /// True when the run is stopping (`--strict` met a problem): the reader should return.
    fn aborted(&self) -> bool;
    /// Bytes consumed so far (for the summary); readers call it as they go.
    fn bytes(&mut self, n: u64);
    /// Longest line or record a reader should buffer (the configuration's
    /// `limits.max_line_bytes`); longer ones are reported and skipped.
    fn max_line_bytes(&self) -> usize {
        DEFAULT_MAX_LINE_BYTES
    }
    /// Threads the reader may use for this stream (the run's threads that no other stream is
    /// reading with). A reader's results must not depend on it.
    fn threads(&self) -> usize {
        1
    }
}

/// [`RecordSink::max_line_bytes`] when the caller has no configuration.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// A reader that needs the whole stream in order. One instance per stream.
pub trait StreamFormat: Send {
    fn name(&self) -> &'static str;
    /// Reads `input` to its end (or until `sink.aborted()`), giving every record to `sink`.
    /// Returns `Err` only when the stream cannot be read any further (an I/O error, a header
    /// that makes the rest meaningless); what was read before still counts.
    fn read(&mut self, input: &mut dyn Read, sink: &mut dyn RecordSink) -> Result<(), String>;
    /// How much of its hosts' traffic the stream's connections show, when all of them are given
    /// to the sink whatever their port (a capture's flows): the pipeline then counts them for the
    /// host census (`pubsub_hunt_core::analytics::census`). `None` for a source that records
    /// only some connections of some hosts (Sysmon, a firewall's pub/sub rule hits).
    fn census(&self) -> Option<Coverage> {
        None
    }
}

/// How to read the lines that follow the header lines a [`HeaderedFormat`] has taken so far.
#[derive(Clone)]
pub enum Body {
    /// Records, parsed on every worker thread.
    Lines(Arc<dyn LineFormat>),
    /// Records of a log that is valid but not read (a Zeek log of another `_path`): every line
    /// counts as [`Record::Other`] without being parsed.
    Other,
    /// No usable header yet: every line of a block that is not all blank is a
    /// [`ProblemKind::BadHeader`] problem with this text.
    Missing(&'static str),
}

/// A reader for line logs whose header lines say how to read the lines after them. Header
/// blocks may come again anywhere in the stream (logs concatenated with `cat`), so the header
/// state runs on the reader thread, in order, while the lines between headers are parsed in
/// parallel like a [`LineFormat`]'s. One instance per stream.
pub trait HeaderedFormat: Send {
    fn name(&self) -> &'static str;
    /// The first byte of every header line (`#` for Zeek and W3C logs).
    fn header_prefix(&self) -> u8;
    /// True when the next line that is not blank is a header line even without the prefix (a
    /// plain column row at the start of a stream).
    fn expects_header(&self) -> bool {
        false
    }
    /// Takes one header line (without its line end), in stream order. An `Err` is a bad header,
    /// reported at that line; the reader decides what [`body`](Self::body) becomes.
    fn header(&mut self, line: &[u8]) -> Result<(), String>;
    /// How to read the lines after the header lines taken so far.
    fn body(&self) -> Body;
}

/// The reader for one stream.
pub enum Reader {
    Lines(Arc<dyn LineFormat>),
    Headered(Box<dyn HeaderedFormat>),
    Stream(Box<dyn StreamFormat>),
}

/// One input format.
pub trait FormatSpec: Send + Sync {
    /// The name users give to `--input-format` and see in the summary.
    fn name(&self) -> &'static str;
    /// One line for `pubsub-hunt formats`.
    fn description(&self) -> &'static str;
    /// How sure the first bytes of a stream (up to [`DETECT_BYTES`], after
    /// decompression, possibly cut mid-line) are this format; `None` when they are not.
    fn sniff(&self, head: &[u8]) -> Option<Confidence>;
    /// The reader for a stream that starts with `head`. Called after a successful sniff, or
    /// when the user forced this format (then `head` may not sniff at all: return `Err` with a
    /// reason if it cannot be read).
    fn open(&self, head: &[u8]) -> Result<Reader, String>;
    /// Why a stream that no format sniffed is not read, when this format can tell: a log of its
    /// family that carries no connections ([`ProblemKind::NotConnLog`]), or what the bytes are
    /// not ([`ProblemKind::UnknownFormat`]). The pipeline reports the first answer in registry
    /// order.
    fn refusal(&self, head: &[u8]) -> Option<(ProblemKind, String)> {
        let _ = head;
        None
    }
}

/// The registered formats, in sniffing priority order.
pub type Registry = Vec<Arc<dyn FormatSpec>>;

/// Picks the format for a stream: the forced one by name, else the most confident sniff.
pub fn choose<'r>(
    registry: &'r [Arc<dyn FormatSpec>],
    forced: Option<&str>,
    head: &[u8],
) -> Option<&'r Arc<dyn FormatSpec>> {
    if let Some(name) = forced {
        return registry.iter().find(|f| f.name() == name);
    }
    let mut best: Option<(&Arc<dyn FormatSpec>, Confidence)> = None;
    for f in registry {
        if let Some(c) = f.sniff(head)
            && best.is_none_or(|(_, b)| c > b)
        {
            best = Some((f, c));
        }
    }
    best.map(|(f, _)| f)
}

/// Splits off the text of the first complete lines of `head`, skipping a UTF-8 byte order
/// mark and leading blank lines: what most sniffers look at.
pub fn head_lines(head: &[u8], max: usize) -> impl Iterator<Item = &[u8]> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    head.split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(max)
}

/// `b` without its leading ASCII white space.
pub fn skip_blank(b: &[u8]) -> &[u8] {
    let i = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[i..]
}
