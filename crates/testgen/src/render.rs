//! Rendering conn records as Zeek writes them: TSV with the full `#` header of Zeek 7.1 (and
//! `#close` at the end), or JSON lines with dotted (`id.orig_h`) or underscored (`id_orig_h`)
//! names and epoch or ISO-8601 (`json-streaming-logs` package) timestamps.
//!
//! Lines are assembled by hand into one reusable buffer (integers and fixed-point seconds
//! without `fmt`), because generating millions of rows must take seconds, not minutes. Unset
//! fields are `-` in TSV and left out in JSON, as Zeek does.

use crate::record::ConnRecord;
use crate::time::{Micros, push_epoch_seconds, push_iso8601, push_u64, zeek_header_stamp};

/// The header of a Zeek TSV log as Zeek's ASCII writer opens it: separators, `#path`, `#open`
/// at `open`, `#fields` and `#types`.
pub(crate) fn zeek_tsv_header(path: &str, open: Micros, fields: &[&str], types: &[&str]) -> String {
    format!(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
         #path\t{path}\n#open\t{}\n#fields\t{}\n#types\t{}\n",
        zeek_header_stamp(open),
        fields.join("\t"),
        types.join("\t")
    )
}
use std::io::{self, Write};
use std::net::IpAddr;

/// Zeek's log encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    ZeekTsv,
    ZeekJson,
}

/// How to write a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    pub format: LogFormat,
    /// JSON only: `id_orig_h` instead of `id.orig_h` (Zeek's `Log::default_scope_sep="_"`).
    pub underscore_names: bool,
    /// JSON only: ISO-8601 `ts` plus `_path` and `_write_ts`, as the json-streaming-logs
    /// package writes.
    pub iso_ts: bool,
}

impl RenderOptions {
    pub fn tsv() -> RenderOptions {
        RenderOptions {
            format: LogFormat::ZeekTsv,
            underscore_names: false,
            iso_ts: false,
        }
    }

    pub fn json() -> RenderOptions {
        RenderOptions {
            format: LogFormat::ZeekJson,
            underscore_names: false,
            iso_ts: false,
        }
    }
}

/// Column names of Zeek 7.1's conn.log, in order.
pub const CONN_FIELDS: [&str; 22] = [
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
    "ip_proto",
];

/// Zeek types of [`CONN_FIELDS`].
pub const CONN_TYPES: [&str; 22] = [
    "time",
    "string",
    "addr",
    "port",
    "addr",
    "port",
    "enum",
    "string",
    "interval",
    "count",
    "count",
    "string",
    "bool",
    "bool",
    "count",
    "string",
    "count",
    "count",
    "count",
    "count",
    "set[string]",
    "count",
];

fn push_ip(buf: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            for (i, octet) in o.iter().enumerate() {
                if i > 0 {
                    buf.push(b'.');
                }
                push_u64(buf, u64::from(*octet));
            }
        }
        // Rare enough that `fmt` is fine; Rust prints RFC 5952 (compressed, lower case), as
        // Zeek does.
        IpAddr::V6(a) => {
            let _ = write!(buf, "{a}");
        }
    }
}

/// Writes records as one Zeek conn log.
pub struct ConnLogWriter<W: Write> {
    out: W,
    opts: RenderOptions,
    line: Vec<u8>,
    header_written: bool,
    last_write_ts: Option<Micros>,
    rows: u64,
}

impl<W: Write> ConnLogWriter<W> {
    pub fn new(out: W, opts: RenderOptions) -> Self {
        ConnLogWriter {
            out,
            opts,
            line: Vec::with_capacity(512),
            header_written: false,
            last_write_ts: None,
            rows: 0,
        }
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn write_header(&mut self, open: Micros) -> io::Result<()> {
        self.header_written = true;
        if self.opts.format != LogFormat::ZeekTsv {
            return Ok(());
        }
        let h = zeek_tsv_header("conn", open, &CONN_FIELDS, &CONN_TYPES);
        self.out.write_all(h.as_bytes())
    }

    pub fn write_record(&mut self, r: &ConnRecord) -> io::Result<()> {
        if !self.header_written {
            self.write_header(r.write_ts)?;
        }
        self.line.clear();
        match self.opts.format {
            LogFormat::ZeekTsv => render_tsv(&mut self.line, r),
            LogFormat::ZeekJson => render_json(&mut self.line, r, &self.opts),
        }
        self.out.write_all(&self.line)?;
        self.rows += 1;
        self.last_write_ts = Some(self.last_write_ts.map_or(r.write_ts, |t| t.max(r.write_ts)));
        Ok(())
    }

    /// Ends the log (`#close` in TSV) and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.opts.format == LogFormat::ZeekTsv {
            let close = self.last_write_ts.unwrap_or(0);
            if !self.header_written {
                self.write_header(close)?;
            }
            writeln!(self.out, "#close\t{}", zeek_header_stamp(close))?;
        }
        self.out.flush()?;
        Ok(self.out)
    }
}

fn render_tsv(b: &mut Vec<u8>, r: &ConnRecord) {
    const UNSET: &[u8] = b"-";
    let opt_u64 = |b: &mut Vec<u8>, v: Option<u64>| match v {
        Some(v) => push_u64(b, v),
        None => b.extend_from_slice(UNSET),
    };
    let opt_str = |b: &mut Vec<u8>, v: Option<&str>| match v {
        Some(v) => b.extend_from_slice(v.as_bytes()),
        None => b.extend_from_slice(UNSET),
    };
    let opt_bool = |b: &mut Vec<u8>, v: Option<bool>| {
        b.extend_from_slice(match v {
            Some(true) => b"T",
            Some(false) => b"F",
            None => UNSET,
        })
    };
    push_epoch_seconds(b, r.ts);
    b.push(b'\t');
    b.extend_from_slice(r.uid.as_bytes());
    b.push(b'\t');
    push_ip(b, r.orig_h);
    b.push(b'\t');
    push_u64(b, u64::from(r.orig_p));
    b.push(b'\t');
    push_ip(b, r.resp_h);
    b.push(b'\t');
    push_u64(b, u64::from(r.resp_p));
    b.push(b'\t');
    opt_str(b, r.transport.label());
    b.push(b'\t');
    opt_str(b, r.service);
    b.push(b'\t');
    match r.duration {
        Some(d) => push_epoch_seconds(b, d),
        None => b.extend_from_slice(UNSET),
    }
    b.push(b'\t');
    opt_u64(b, r.orig_bytes);
    b.push(b'\t');
    opt_u64(b, r.resp_bytes);
    b.push(b'\t');
    opt_str(b, r.conn_state.map(|s| s.as_str()));
    b.push(b'\t');
    opt_bool(b, r.local_orig);
    b.push(b'\t');
    opt_bool(b, r.local_resp);
    b.push(b'\t');
    push_u64(b, r.missed_bytes);
    b.push(b'\t');
    opt_str(b, r.history);
    b.push(b'\t');
    push_u64(b, r.orig_pkts);
    b.push(b'\t');
    push_u64(b, r.orig_ip_bytes);
    b.push(b'\t');
    push_u64(b, r.resp_pkts);
    b.push(b'\t');
    push_u64(b, r.resp_ip_bytes);
    b.push(b'\t');
    // tunnel_parents: unset (no tunnels in the simulated site).
    b.extend_from_slice(UNSET);
    b.push(b'\t');
    opt_u64(b, r.transport.ip_proto());
    b.push(b'\n');
}

fn render_json(b: &mut Vec<u8>, r: &ConnRecord, opts: &RenderOptions) {
    let sep = if opts.underscore_names { b'_' } else { b'.' };
    let key = |b: &mut Vec<u8>, name: &str| {
        b.extend_from_slice(b",\"");
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(b"\":");
    };
    let id_key = |b: &mut Vec<u8>, rest: &str| {
        b.extend_from_slice(b",\"id");
        b.push(sep);
        b.extend_from_slice(rest.as_bytes());
        b.extend_from_slice(b"\":");
    };
    // Every value written as a JSON string is one of the model's fixed ASCII labels, so no
    // escaping is needed.
    let string = |b: &mut Vec<u8>, v: &[u8]| {
        b.push(b'"');
        b.extend_from_slice(v);
        b.push(b'"');
    };
    b.push(b'{');
    if opts.iso_ts {
        b.extend_from_slice(b"\"_path\":\"conn\",\"_write_ts\":\"");
        push_iso8601(b, r.write_ts);
        b.extend_from_slice(b"\",\"ts\":\"");
        push_iso8601(b, r.ts);
        b.push(b'"');
    } else {
        b.extend_from_slice(b"\"ts\":");
        push_epoch_seconds(b, r.ts);
    }
    key(b, "uid");
    string(b, r.uid.as_bytes());
    id_key(b, "orig_h");
    b.push(b'"');
    push_ip(b, r.orig_h);
    b.push(b'"');
    id_key(b, "orig_p");
    push_u64(b, u64::from(r.orig_p));
    id_key(b, "resp_h");
    b.push(b'"');
    push_ip(b, r.resp_h);
    b.push(b'"');
    id_key(b, "resp_p");
    push_u64(b, u64::from(r.resp_p));
    if let Some(p) = r.transport.label() {
        key(b, "proto");
        string(b, p.as_bytes());
    }
    if let Some(s) = r.service {
        key(b, "service");
        string(b, s.as_bytes());
    }
    if let Some(d) = r.duration {
        key(b, "duration");
        push_epoch_seconds(b, d);
    }
    if let Some(v) = r.orig_bytes {
        key(b, "orig_bytes");
        push_u64(b, v);
    }
    if let Some(v) = r.resp_bytes {
        key(b, "resp_bytes");
        push_u64(b, v);
    }
    if let Some(s) = r.conn_state {
        key(b, "conn_state");
        string(b, s.as_str().as_bytes());
    }
    if let Some(v) = r.local_orig {
        key(b, "local_orig");
        b.extend_from_slice(if v { b"true" } else { b"false" });
    }
    if let Some(v) = r.local_resp {
        key(b, "local_resp");
        b.extend_from_slice(if v { b"true" } else { b"false" });
    }
    key(b, "missed_bytes");
    push_u64(b, r.missed_bytes);
    if let Some(h) = r.history {
        key(b, "history");
        string(b, h.as_bytes());
    }
    key(b, "orig_pkts");
    push_u64(b, r.orig_pkts);
    key(b, "orig_ip_bytes");
    push_u64(b, r.orig_ip_bytes);
    key(b, "resp_pkts");
    push_u64(b, r.resp_pkts);
    key(b, "resp_ip_bytes");
    push_u64(b, r.resp_ip_bytes);
    if let Some(p) = r.transport.ip_proto() {
        key(b, "ip_proto");
        push_u64(b, p);
    }
    b.extend_from_slice(b"}\n");
}
