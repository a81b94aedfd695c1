//! Zeek ASCII (TSV) logs. The column order comes from the `#fields` header, never from a
//! fixed list; the separator, set separator and the unset/empty markers come from their header
//! lines (`#separator \x09` is an escape to decode; the lines are read in `header.rs`). A header
//! block can appear anywhere (logs concatenated with `cat`), and a file may start with a plain
//! column row instead of a header. This module owns the layout a header gives ([`TsvSchema`]);
//! conn.log and ssl.log records are parsed here, and the other logs' rules read a record's
//! columns through a [`Row`].

use super::conn::ConnRecord;
use super::log::ZeekLog;
use crate::server_name::ServerName;
use pubsub_hunt_core::ConnEvent;
use pubsub_hunt_core::time::{Micros, parse_epoch_seconds};
use std::borrow::Cow;
use std::net::IpAddr;

/// The columns of a log the analytics need, located in one header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsvSchema {
    pub separator: u8,
    pub set_separator: char,
    pub unset: Vec<u8>,
    pub empty: Vec<u8>,
    /// `#path`, when the header has one.
    pub path: Option<String>,
    pub columns: usize,
    /// For each column: which needed field it is.
    slots: Vec<Option<Field>>,
    /// The columns the host census reads: `id.orig_h`, `id.resp_h`, `id.resp_p`, `proto`, `ts`
    /// (`usize::MAX` when there is none).
    pub(super) census_columns: [usize; 5],
}

/// The columns read, of every log read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Ts,
    OrigH,
    OrigP,
    RespH,
    RespP,
    Proto,
    Service,
    ConnState,
    LocalOrig,
    OrigBytes,
    RespBytes,
    OrigPkts,
    RespPkts,
    ServerName,
    Duration,
    Query,
    QtypeName,
    Answers,
    Rejected,
    ProtoVersion,
    ClientId,
    WillTopic,
    Topics,
    FromClient,
    Topic,
    Payload,
    PayloadLen,
    Uid,
    CommunityId,
}

const FIELD_COUNT: usize = 29;

impl Field {
    fn from_name(name: &str) -> Option<Field> {
        Some(match name {
            "ts" => Field::Ts,
            "id.orig_h" | "id_orig_h" => Field::OrigH,
            "id.orig_p" | "id_orig_p" => Field::OrigP,
            "id.resp_h" | "id_resp_h" => Field::RespH,
            "id.resp_p" | "id_resp_p" => Field::RespP,
            "proto" => Field::Proto,
            "service" => Field::Service,
            "conn_state" => Field::ConnState,
            "local_orig" => Field::LocalOrig,
            "orig_bytes" => Field::OrigBytes,
            "resp_bytes" => Field::RespBytes,
            "orig_pkts" => Field::OrigPkts,
            "resp_pkts" => Field::RespPkts,
            "server_name" => Field::ServerName,
            "duration" => Field::Duration,
            "query" => Field::Query,
            "qtype_name" => Field::QtypeName,
            "answers" => Field::Answers,
            "rejected" => Field::Rejected,
            "proto_version" => Field::ProtoVersion,
            "client_id" => Field::ClientId,
            "will_topic" => Field::WillTopic,
            "topics" => Field::Topics,
            "from_client" => Field::FromClient,
            "topic" => Field::Topic,
            "payload" => Field::Payload,
            "payload_len" => Field::PayloadLen,
            "uid" => Field::Uid,
            "community_id" => Field::CommunityId,
            _ => return None,
        })
    }
}

/// Zeek's default conn.log column orders, oldest first: before `local_resp` (20 columns), with
/// it (21), and Zeek 7.1+ with `ip_proto` (22). `--input-format zeek-tsv` on a stream without any
/// header picks the one whose width matches the first record.
pub const DEFAULT_CONN_LAYOUTS: [&str; 3] = [
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents",
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto",
];

/// The default layout for a header-less stream whose first record is `first_line`.
pub fn default_schema_for(first_line: &[u8]) -> Option<TsvSchema> {
    let width = first_line.split(|b| *b == b'\t').count();
    let layout = DEFAULT_CONN_LAYOUTS
        .iter()
        .find(|l| l.split('\t').count() == width)
        .unwrap_or(&DEFAULT_CONN_LAYOUTS[2]);
    let names: Vec<&str> = layout.split('\t').collect();
    TsvSchema::from_columns(&names, b'\t', ',', b"-", b"(empty)", None).ok()
}

impl TsvSchema {
    /// A schema from a column row.
    pub fn from_columns(
        names: &[&str],
        separator: u8,
        set_separator: char,
        unset: &[u8],
        empty: &[u8],
        path: Option<String>,
    ) -> Result<TsvSchema, String> {
        let slots: Vec<Option<Field>> = names.iter().map(|n| Field::from_name(n.trim())).collect();
        for (need, name) in [
            (Field::RespH, "id.resp_h"),
            (Field::RespP, "id.resp_p"),
            (Field::OrigH, "id.orig_h"),
        ] {
            if !slots.contains(&Some(need)) {
                return Err(format!("the header has no {name} column"));
            }
        }
        let column = |f: Field| {
            slots
                .iter()
                .position(|s| *s == Some(f))
                .unwrap_or(usize::MAX)
        };
        let census_columns = [
            column(Field::OrigH),
            column(Field::RespH),
            column(Field::RespP),
            column(Field::Proto),
            column(Field::Ts),
        ];
        Ok(TsvSchema {
            separator,
            set_separator,
            unset: unset.to_vec(),
            empty: empty.to_vec(),
            path,
            columns: names.len(),
            slots,
            census_columns,
        })
    }

    /// The log of the records under this header (a header without `#path` is a conn log's),
    /// when it is one pubsub-hunt reads and has the columns it is read for.
    pub fn log(&self) -> Option<ZeekLog> {
        let log = match self.path.as_deref() {
            None => ZeekLog::Conn,
            Some(p) => ZeekLog::from_path(p)?,
        };
        let has = |f: Field| self.slots.contains(&Some(f));
        let usable = match log {
            ZeekLog::Conn => true,
            ZeekLog::Ssl => has(Field::ServerName),
            ZeekLog::Dns => has(Field::Answers),
            ZeekLog::MqttConnect => has(Field::ClientId) || has(Field::WillTopic),
            ZeekLog::MqttSubscribe => has(Field::Topics),
            ZeekLog::MqttPublish => has(Field::Topic) && has(Field::FromClient),
        };
        usable.then_some(log)
    }

    /// Whether records under this header are connections.
    pub fn is_conn(&self) -> bool {
        self.log() == Some(ZeekLog::Conn)
    }

    /// Whether records under this header are TLS handshakes (`ssl.log`), read for the server
    /// name they give their destination.
    pub fn is_ssl(&self) -> bool {
        self.log() == Some(ZeekLog::Ssl)
    }

    /// One record's columns, `Err` when the column count differs from the header's.
    pub(super) fn row<'s, 'l>(&'s self, line: &'l [u8]) -> Result<Row<'s, 'l>, String> {
        Ok(Row {
            schema: self,
            vals: self.fields(line)?,
        })
    }

    /// The record's columns, by the fields this reader knows; `Err` when the column count
    /// differs from the header's.
    fn fields<'l>(&self, line: &'l [u8]) -> Result<[Option<&'l [u8]>; FIELD_COUNT], String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut vals: [Option<&[u8]>; FIELD_COUNT] = [None; FIELD_COUNT];
        let mut n = 0usize;
        for field in line.split(|b| *b == self.separator) {
            if let Some(Some(f)) = self.slots.get(n) {
                vals[*f as usize] = Some(field);
            }
            n += 1;
        }
        if n != self.columns {
            return Err(format!(
                "{n} fields where the header declares {}",
                self.columns
            ));
        }
        Ok(vals)
    }

    /// A field's text, `None` when unset, empty or not UTF-8.
    fn value<'l>(&self, vals: &[Option<&'l [u8]>; FIELD_COUNT], f: Field) -> Option<&'l str> {
        let v = vals[f as usize]?;
        if v == self.unset.as_slice() || v == self.empty.as_slice() {
            return None;
        }
        std::str::from_utf8(v).ok()
    }

    /// Parses one `ssl.log` record into (responder address, port, server name); `None` when
    /// the handshake had no server name.
    pub fn parse_ssl_line(&self, line: &[u8]) -> Result<Option<ServerName>, String> {
        let vals = self.fields(line)?;
        let get = |f: Field| self.value(&vals, f);
        let Some(name) = get(Field::ServerName) else {
            return Ok(None);
        };
        let ip_text = get(Field::RespH).ok_or("id.resp_h is unset")?;
        let ip = ip_text
            .parse::<IpAddr>()
            .map_err(|_| format!("bad id.resp_h {:?}", truncate(ip_text)))?;
        let port_text = get(Field::RespP).ok_or("id.resp_p is unset")?;
        let port = port_text
            .parse::<u16>()
            .map_err(|_| format!("bad id.resp_p {:?}", truncate(port_text)))?;
        let name = String::from_utf8_lossy(&decode_escapes(name.as_bytes())).into_owned();
        // The client only narrows which groups take the name: a bad or missing one leaves the
        // name for every host, as before the client was read. Its port, time and uid only make
        // the connection a public broker's name brings (`ServerName::into_record`); a bad one
        // leaves that connection without it.
        let client = get(Field::OrigH).and_then(|s| s.parse::<IpAddr>().ok());
        Ok(Some(ServerName {
            client,
            client_port: get(Field::OrigP).and_then(|s| s.parse().ok()),
            ip,
            port,
            name,
            ts: get(Field::Ts).and_then(parse_epoch_seconds),
            uid: get(Field::Uid).map(str::to_string),
        }))
    }

    /// Parses one record (without its line end).
    pub fn parse_line(&self, line: &[u8]) -> Result<ConnEvent, String> {
        let vals = self.fields(line)?;
        let get = |f: Field| self.value(&vals, f);
        let ts = match get(Field::Ts) {
            None => None,
            Some(s) if s.bytes().all(|b| b == b'X' || b == b'.') => None,
            Some(s) => Some(parse_epoch_seconds(s).ok_or_else(|| format!("bad ts {s:?}"))?),
        };
        let addr = |f: Field, name: &str| -> Result<IpAddr, String> {
            let s = get(f).ok_or_else(|| format!("{name} is unset"))?;
            s.parse::<IpAddr>()
                .map_err(|_| format!("bad {name} {:?}", truncate(s)))
        };
        let port = |f: Field, name: &str| -> Result<Option<u16>, String> {
            match get(f) {
                None => Ok(None),
                Some(s) => s
                    .parse::<u16>()
                    .map(Some)
                    .map_err(|_| format!("bad {name} {:?}", truncate(s))),
            }
        };
        let count = |f: Field| -> Option<u64> { get(f).and_then(|s| s.parse().ok()) };
        let src_ip = addr(Field::OrigH, "id.orig_h")?;
        let dst_ip = addr(Field::RespH, "id.resp_h")?;
        let dst_port = port(Field::RespP, "id.resp_p")?.ok_or("id.resp_p is unset")?;
        let src_port = port(Field::OrigP, "id.orig_p")?;
        let local_orig = match get(Field::LocalOrig) {
            Some("T") => Some(true),
            Some("F") => Some(false),
            _ => None,
        };
        Ok(ConnRecord {
            ts,
            duration: get(Field::Duration).and_then(parse_epoch_seconds),
            src_ip,
            src_port,
            dst_ip,
            dst_port,
            proto: get(Field::Proto),
            conn_state: get(Field::ConnState),
            local_orig,
            service: get(Field::Service),
            set_separator: self.set_separator,
            orig_bytes: count(Field::OrigBytes),
            resp_bytes: count(Field::RespBytes),
            orig_pkts: count(Field::OrigPkts),
            resp_pkts: count(Field::RespPkts),
            uid: get(Field::Uid),
            community_id: get(Field::CommunityId),
        }
        .into_event("zeek-tsv"))
    }
}

/// One record's columns under its header, read by field: text with Zeek's `\xNN` escapes
/// decoded, unset and empty values as `None`.
pub(super) struct Row<'s, 'l> {
    schema: &'s TsvSchema,
    vals: [Option<&'l [u8]>; FIELD_COUNT],
}

impl<'l> Row<'_, 'l> {
    /// The raw column, `None` when unset or empty.
    fn raw(&self, f: Field) -> Option<&'l [u8]> {
        let v = self.vals[f as usize]?;
        let s = self.schema;
        (v != s.unset.as_slice() && v != s.empty.as_slice()).then_some(v)
    }

    /// A column's bytes with escapes decoded (a payload).
    pub(super) fn bytes(&self, f: Field) -> Option<Cow<'l, [u8]>> {
        self.raw(f).map(unescape)
    }

    /// [`Self::bytes`], but an empty string (`#empty_field`) is `Some` and empty, told apart from
    /// an unset column (an MQTT client id left for the broker to name).
    pub(super) fn bytes_or_empty(&self, f: Field) -> Option<Cow<'l, [u8]>> {
        match self.vals[f as usize] {
            Some(v) if v == self.schema.empty.as_slice() => Some(Cow::Borrowed(&[])),
            _ => self.bytes(f),
        }
    }

    /// The members of a set or vector column, each with its escapes decoded; empty when unset.
    pub(super) fn list(&self, f: Field) -> Vec<Cow<'l, [u8]>> {
        let Some(v) = self.raw(f) else {
            return Vec::new();
        };
        // The set separator was read as one byte.
        match u8::try_from(self.schema.set_separator) {
            Ok(sep) => v.split(|c| *c == sep).map(unescape).collect(),
            Err(_) => vec![unescape(v)],
        }
    }

    /// A `T`/`F` column.
    pub(super) fn flag(&self, f: Field) -> Option<bool> {
        match self.raw(f)? {
            b"T" => Some(true),
            b"F" => Some(false),
            _ => None,
        }
    }

    /// A count column.
    pub(super) fn count(&self, f: Field) -> Option<u64> {
        std::str::from_utf8(self.raw(f)?).ok()?.parse().ok()
    }

    fn text(&self, f: Field) -> Option<&'l str> {
        std::str::from_utf8(self.raw(f)?).ok()
    }

    /// `ts`: `None` when unset or masked (`XXXXXXXXXX.XXXXXX` in btest baselines).
    pub(super) fn ts(&self) -> Result<Option<Micros>, String> {
        match self.text(Field::Ts) {
            None => Ok(None),
            Some(s) if s.bytes().all(|b| b == b'X' || b == b'.') => Ok(None),
            Some(s) => parse_epoch_seconds(s)
                .map(Some)
                .ok_or_else(|| format!("bad ts {:?}", truncate(s))),
        }
    }

    /// The connection's (`id.orig_h`, `id.resp_h`, `id.resp_p`).
    /// The initiator (`id.orig_h`), when it is set and an address.
    pub(super) fn client(&self) -> Option<IpAddr> {
        self.text(Field::OrigH).and_then(|s| s.parse().ok())
    }

    pub(super) fn endpoints(&self) -> Result<(IpAddr, IpAddr, u16), String> {
        let addr = |f: Field, name: &str| -> Result<IpAddr, String> {
            let s = self.text(f).ok_or_else(|| format!("{name} is unset"))?;
            s.parse()
                .map_err(|_| format!("bad {name} {:?}", truncate(s)))
        };
        let port = self.text(Field::RespP).ok_or("id.resp_p is unset")?;
        let port = port
            .parse::<u16>()
            .map_err(|_| format!("bad id.resp_p {:?}", truncate(port)))?;
        Ok((
            addr(Field::OrigH, "id.orig_h")?,
            addr(Field::RespH, "id.resp_h")?,
            port,
        ))
    }
}

/// `v` with Zeek's `\xNN` escapes decoded, borrowed when it has none.
pub(super) fn unescape(v: &[u8]) -> Cow<'_, [u8]> {
    if memchr::memchr(b'\\', v).is_some() {
        Cow::Owned(decode_escapes(v))
    } else {
        Cow::Borrowed(v)
    }
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(40) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Decodes Zeek's `\xNN` escapes (in a `#separator` value, in text Zeek escaped); every other
/// byte is literal.
pub(super) fn decode_escapes(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < v.len() {
        if v[i] == b'\\'
            && i + 3 < v.len()
            && v.get(i + 1) == Some(&b'x')
            && let Some(b) = v
                .get(i + 2..i + 4)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 4;
            continue;
        }
        out.push(v[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zeek::header::{Directive, HeaderState};
    use pubsub_hunt_core::{Direction, Outcome, Protocol};

    fn schema_from(header: &str) -> TsvSchema {
        let mut st = HeaderState::default();
        let mut schema = None;
        for l in header.lines() {
            if let Directive::Schema(s) = st.apply(l.as_bytes()).unwrap() {
                schema = Some(s);
            }
        }
        schema.unwrap()
    }

    const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\tip_proto\n";

    #[test]
    fn parses_a_current_record() {
        let s = schema_from(HEADER);
        let e = s
            .parse_line(b"1437091701.732171\tCHhAvVGS1DHFjwGM9\t198.128.203.95\t56048\t146.255.57.229\t5222\ttcp\txmpp,ssl\t2.213218\t676\t4678\tSF\tF\tF\t0\tShADadfFr\t19\t1676\t15\t5442\t-\t6")
            .unwrap();
        assert_eq!(e.ts, Some(1_437_091_701_732_171));
        assert_eq!(e.dst_port, 5222);
        assert_eq!(e.identified, vec![Protocol::Xmpp]);
        assert_eq!(e.app_label.as_deref(), Some("xmpp,ssl"));
        assert_eq!(e.direction, Direction::Inbound);
        assert_eq!(e.outcome, Outcome::Succeeded);
        assert_eq!((e.bytes_out, e.bytes_in), (Some(676), Some(4678)));
        assert_eq!((e.packets_out, e.packets_in), (Some(19), Some(15)));
        // `duration` gives the end: how long the channel stayed open.
        assert_eq!(e.end, Some(1_437_091_701_732_171 + 2_213_218));
    }

    #[test]
    fn ssl_records_name_their_destination() {
        let s = schema_from(
            "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\n",
        );
        assert!(s.is_ssl() && !s.is_conn());
        assert_eq!(s.log(), Some(ZeekLog::Ssl));
        let got = s
            .parse_ssl_line(b"1.0\tC1\t10.0.0.1\t5000\t52.48.17.198\t8883\tTLSv12\tx\tx25519\tgw\\x2d1.example.com\tF\t-\tmqtt\tT")
            .unwrap();
        assert_eq!(
            got,
            Some(ServerName {
                client: "10.0.0.1".parse().ok(),
                client_port: Some(5000),
                ip: "52.48.17.198".parse().unwrap(),
                port: 8883,
                name: "gw-1.example.com".to_string(),
                ts: Some(1_000_000),
                uid: Some("C1".into()),
            })
        );
        let none = s
            .parse_ssl_line(
                b"1.0\tC1\t10.0.0.1\t5000\t52.48.17.198\t8883\tTLSv12\tx\tx25519\t-\tF\t-\t-\tT",
            )
            .unwrap();
        assert_eq!(none, None);
        assert!(s.parse_ssl_line(b"1.0\tC1").is_err());
        assert!(
            s.parse_ssl_line(
                b"1.0\tC1\t10.0.0.1\t5000\t52.48.17.198\t99999\tTLSv12\tx\tx25519\th\tF\t-\t-\tT"
            )
            .is_err()
        );
    }

    #[test]
    fn masked_and_unset_values() {
        let s = schema_from(HEADER);
        let e = s
            .parse_line(b"XXXXXXXXXX.XXXXXX\tC\t10.0.0.1\t1\t10.0.0.2\t1883\t-\t-\t-\t-\t-\t-\t-\t-\t0\t-\t0\t0\t0\t0\t(empty)\t6")
            .unwrap();
        assert_eq!(e.ts, None);
        assert_eq!(e.transport, pubsub_hunt_core::Transport::Unknown);
        assert_eq!(e.outcome, Outcome::Unknown);
        assert_eq!(e.direction, Direction::Unknown);
        assert_eq!(e.bytes_out, None);
        assert_eq!(e.end, None);
        assert!(e.identified.is_empty());
    }

    #[test]
    fn wrong_field_count_and_bad_values_are_errors() {
        let s = schema_from(HEADER);
        assert!(
            s.parse_line(b"1.0\tC\t10.0.0.1")
                .unwrap_err()
                .contains("fields")
        );
        let bad_ip = b"1.0\tC\t10.0.0.999\t1\t10.0.0.2\t1883\ttcp\t-\t-\t-\t-\tSF\t-\t-\t0\t-\t0\t0\t0\t0\t-\t6";
        assert!(s.parse_line(bad_ip).unwrap_err().contains("id.orig_h"));
        let bad_port = b"1.0\tC\t10.0.0.1\t1\t10.0.0.2\t70000\ttcp\t-\t-\t-\t-\tSF\t-\t-\t0\t-\t0\t0\t0\t0\t-\t6";
        assert!(s.parse_line(bad_port).unwrap_err().contains("id.resp_p"));
    }

    #[test]
    fn comma_separator_and_custom_unset() {
        let s = schema_from(
            "#separator ,\n#set_separator,;\n#unset_field,(nil)\n#fields,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,service,orig_bytes\n",
        );
        let e = s
            .parse_line(b"1.5,10.0.0.1,5,8.8.8.8,4444,mqtt;ssl,(nil)")
            .unwrap();
        assert_eq!(e.identified, vec![Protocol::Mqtt]);
        assert_eq!(e.bytes_out, None);
        assert_eq!(e.ts, Some(1_500_000));
    }

    #[test]
    fn header_needs_addresses() {
        let mut st = HeaderState::default();
        assert!(st.apply(b"#fields\tts\tuid").is_err());
        assert!(st.apply(b"#separator \\x09\\x09").is_err());
    }

    #[test]
    fn escapes() {
        assert_eq!(decode_escapes(b"\\x09"), b"\t");
        assert_eq!(decode_escapes(b","), b",");
        assert_eq!(decode_escapes(b"\\x"), b"\\x");
    }
}
