//! Zeek as formats of the registry: `zeek-tsv` and `zeek-json`, which sniff and refuse streams
//! by what [`detect`] says of their first bytes, and the readers they open: a
//! [`HeaderedFormat`] for the ASCII writer (the `#separator`/`#fields`/`#path` header state,
//! several logs concatenated, a plain column row instead of a header, Zeek's default column
//! order when TSV is forced on a stream without any header), and a [`LineFormat`] for JSON
//! lines. Besides connections, records of `ssl.log` are destination names, of `dns.log` names
//! of addresses, of the MQTT logs facts of sessions ([`ZeekLog`]).

use super::detect::{Detected, detect, detect_shaped, refusal};
use super::header::{Directive, HeaderState};
use super::log::ZeekLog;
use super::tsv::{TsvSchema, default_schema_for};
use super::{dns, json, mqtt};
use crate::server_name::ServerName;
use pubsub_hunt_core::analytics::census::CensusEntry;
use pubsub_hunt_reader::{
    Body, CERTAIN, Confidence, FormatSpec, HeaderedFormat, LineFormat, ProblemKind, Reader, Record,
    Registry, head_lines, skip_blank,
};
use std::sync::Arc;

/// The Zeek formats, in the order they are tried: `zeek-tsv`, `zeek-json`.
pub fn formats() -> Registry {
    vec![Arc::new(ZeekTsv), Arc::new(ZeekJson)]
}

/// `zeek-tsv` (also `--input-format zeek`).
pub struct ZeekTsv;

impl FormatSpec for ZeekTsv {
    fn name(&self) -> &'static str {
        "zeek-tsv"
    }
    fn description(&self) -> &'static str {
        "Zeek conn.log (with ssl, dns, mqtt_* logs), ASCII writer: #fields/#types header with any separator, or a plain column row"
    }
    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        (detect(head) == Detected::ZeekTsv).then_some(CERTAIN)
    }
    fn open(&self, head: &[u8]) -> Result<Reader, String> {
        Ok(Reader::Headered(Box::new(TsvReader::new(head))))
    }
    /// Every verdict on a stream that does not look like JSON: the generic "not a Zeek log"
    /// reasons, and logs of another `_path`.
    fn refusal(&self, head: &[u8]) -> Option<(ProblemKind, String)> {
        match detect_shaped(head) {
            (false, d) => refusal(d),
            (true, _) => None,
        }
    }
}

/// `zeek-json`.
pub struct ZeekJson;

impl FormatSpec for ZeekJson {
    fn name(&self) -> &'static str {
        "zeek-json"
    }
    fn description(&self) -> &'static str {
        "Zeek conn.log (with ssl, dns, mqtt_* logs), JSON lines: id.orig_h or id_orig_h keys, epoch or ISO-8601 ts"
    }
    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        (detect(head) == Detected::ZeekJson).then_some(CERTAIN)
    }
    fn open(&self, head: &[u8]) -> Result<Reader, String> {
        // A stream whose first records are DNS answers or MQTT messages is parsed whole: the
        // prefilter would skip them. Such records after the first bytes of a stream of another
        // log are skipped with its connections that cannot be candidates.
        let every_line = head_lines(head, 256)
            .filter_map(json::log_of_line)
            .any(ZeekLog::every_line);
        Ok(Reader::Lines(Arc::new(JsonLines { every_line })))
    }
    /// The verdicts on a stream that starts with a JSON object.
    fn refusal(&self, head: &[u8]) -> Option<(ProblemKind, String)> {
        match detect_shaped(head) {
            (true, d) => refusal(d),
            (false, _) => None,
        }
    }
}

/// Zeek JSON lines.
struct JsonLines {
    every_line: bool,
}

impl LineFormat for JsonLines {
    fn name(&self) -> &'static str {
        "zeek-json"
    }
    fn parse_line(&self, line: &[u8]) -> Result<Record, String> {
        json::parse_line(line)
    }
    fn every_line(&self) -> bool {
        self.every_line
    }
    fn takes_census(&self) -> bool {
        true
    }
    fn census_entry<'l>(&self, line: &'l [u8]) -> Option<CensusEntry<'l>> {
        super::census::json_census_entry(line)
    }
}

/// The records of one TSV header block, of the log it names.
struct TsvLines {
    schema: TsvSchema,
    log: ZeekLog,
}

impl LineFormat for TsvLines {
    fn name(&self) -> &'static str {
        "zeek-tsv"
    }
    fn parse_line(&self, line: &[u8]) -> Result<Record, String> {
        match self.log {
            ZeekLog::Conn => self
                .schema
                .parse_line(line)
                .map(|e| Record::Conn(Box::new(e))),
            ZeekLog::Ssl => self
                .schema
                .parse_ssl_line(line)
                .map(|r| r.map_or(Record::Other, ServerName::into_record)),
            ZeekLog::Dns => self.schema.row(line).map(|r| dns::from_row(&r)),
            log => mqtt::from_row(log, &self.schema.row(line)?),
        }
    }
    fn every_line(&self) -> bool {
        self.log.every_line()
    }
    fn takes_census(&self) -> bool {
        self.log == ZeekLog::Conn
    }
    fn census_entry<'l>(&self, line: &'l [u8]) -> Option<CensusEntry<'l>> {
        self.schema.census_entry(line)
    }
}

const NO_HEADER: &str = "records before any usable #fields header";

/// The header state of one Zeek TSV stream.
pub struct TsvReader {
    header: HeaderState,
    /// The next line that is not blank is a plain column row (headerless TSV).
    column_row_next: bool,
    body: Body,
}

impl TsvReader {
    /// The reader for a stream starting with `head`, sniffed or forced.
    pub fn new(head: &[u8]) -> TsvReader {
        let detected = detect(head);
        // Forced TSV without any header: assume Zeek's default column order.
        let schema = if head.starts_with(b"#") || detected == Detected::ZeekTsv {
            None
        } else {
            let first = head.split(|b| *b == b'\n').next().unwrap_or_default();
            let first = first.strip_suffix(b"\r").unwrap_or(first);
            default_schema_for(first)
        };
        let mut r = TsvReader {
            header: HeaderState::default(),
            column_row_next: !skip_blank(head).starts_with(b"#") && detected == Detected::ZeekTsv,
            body: Body::Missing(NO_HEADER),
        };
        r.set_schema(schema);
        r
    }

    fn set_schema(&mut self, schema: Option<TsvSchema>) {
        self.body = match schema {
            Some(schema) => match schema.log() {
                Some(log) => Body::Lines(Arc::new(TsvLines { schema, log })),
                None => Body::Other,
            },
            None => Body::Missing(NO_HEADER),
        };
    }
}

impl HeaderedFormat for TsvReader {
    fn name(&self) -> &'static str {
        "zeek-tsv"
    }
    fn header_prefix(&self) -> u8 {
        b'#'
    }
    fn expects_header(&self) -> bool {
        self.column_row_next
    }
    fn header(&mut self, line: &[u8]) -> Result<(), String> {
        if self.column_row_next {
            self.column_row_next = false;
            let text =
                String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned();
            let names: Vec<&str> = text.split('\t').collect();
            // A bad column row leaves the layout as it was.
            let s = TsvSchema::from_columns(&names, b'\t', ',', b"-", b"(empty)", None)?;
            self.set_schema(Some(s));
            return Ok(());
        }
        match self.header.apply(line) {
            Ok(Directive::Schema(s)) => self.set_schema(Some(s)),
            Ok(Directive::Other) => {}
            Err(e) => {
                self.set_schema(None);
                return Err(e);
            }
        }
        Ok(())
    }
    fn body(&self) -> Body {
        self.body.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_streams_of_dns_or_mqtt_records_are_parsed_whole() {
        let open = |head: &[u8]| match ZeekJson.open(head) {
            Ok(Reader::Lines(l)) => l.every_line(),
            _ => panic!("not lines"),
        };
        let conn = br#"{"_path":"conn","ts":1.0,"uid":"C","id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","id.resp_p":80,"proto":"tcp"}"#;
        let dns = br#"{"_path":"dns","ts":1.0,"uid":"C","id.orig_h":"1.2.3.4","id.resp_h":"5.6.7.8","id.resp_p":53,"query":"x.example","answers":["192.0.2.1"]}"#;
        assert!(!open(conn));
        assert!(open(dns));
        assert!(open(&[&conn[..], b"\n", &dns[..], b"\n"].concat()));
    }

    #[test]
    fn sniffers_claim_what_detect_claims() {
        let (tsv, json) = (ZeekTsv, ZeekJson);
        let t = b"#separator \\x09\n#path\tconn\n#fields\tts\n";
        let j = br#"{"ts":1.0,"uid":"C","id.orig_h":"1.2.3.4","id.resp_p":80,"proto":"tcp"}"#;
        assert_eq!(tsv.sniff(t), Some(CERTAIN));
        assert_eq!(json.sniff(t), None);
        assert_eq!(json.sniff(j), Some(CERTAIN));
        assert_eq!(tsv.sniff(j), None);
        assert_eq!(tsv.sniff(b"ts\tid.orig_h\tid.resp_p\n"), Some(CERTAIN));
        for head in [
            &b"hello\n"[..],
            b"",
            b"\x00\x01binary",
            b"{\"a\":1}",
            b"# c\n",
        ] {
            assert_eq!(tsv.sniff(head), None);
            assert_eq!(json.sniff(head), None);
        }
        assert!(tsv.refusal(t).is_none() && json.refusal(j).is_none());
    }

    #[test]
    fn refusals_give_the_detector_verdicts() {
        let (tsv, json) = (ZeekTsv, ZeekJson);
        let unknown = |s: &str| Some((ProblemKind::UnknownFormat, s.to_string()));
        // Non-JSON streams are zeek-tsv's to explain, JSON ones zeek-json's.
        type Case<'a> = (&'a [u8], bool, Option<(ProblemKind, String)>);
        let cases: [Case; 6] = [
            (
                b"hello world\n",
                false,
                unknown("not a Zeek log (no #fields header, column row or JSON object)"),
            ),
            (
                b"# just a comment\n",
                false,
                unknown("comment lines but no Zeek #separator/#fields header"),
            ),
            (b"\x00\x01\x02binary", false, unknown("binary data")),
            (b"  \n", false, unknown("empty input")),
            (
                br#"{"a":1}"#,
                true,
                unknown("JSON, but not a format pubsub-hunt reads"),
            ),
            (
                b"#separator \\x09\n#path\thttp\n",
                false,
                Some((
                    ProblemKind::NotConnLog,
                    "Zeek http log; only conn logs carry connections".into(),
                )),
            ),
        ];
        for (head, is_json, want) in cases {
            let (mine, other) = if is_json {
                (&json as &dyn FormatSpec, &tsv as &dyn FormatSpec)
            } else {
                (&tsv as &dyn FormatSpec, &json as &dyn FormatSpec)
            };
            assert_eq!(
                mine.refusal(head),
                want,
                "{}",
                String::from_utf8_lossy(head)
            );
            assert_eq!(other.refusal(head), None);
        }
        assert_eq!(
            json.refusal(
                br#"{"_path":"http","ts":"2018-03-24T17:15:20Z","uid":"C","id.resp_p":80}"#
            ),
            Some((
                ProblemKind::NotConnLog,
                "Zeek http log; only conn logs carry connections".into()
            ))
        );
    }

    fn lines_of(r: &TsvReader) -> Arc<dyn LineFormat> {
        match r.body() {
            Body::Lines(l) => l,
            Body::Other => panic!("body: other"),
            Body::Missing(why) => panic!("body: missing ({why})"),
        }
    }

    const CONN: &[u8] = b"#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n";

    fn feed(r: &mut TsvReader, header: &[u8]) {
        for l in header.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
            r.header(l).unwrap();
        }
    }

    #[test]
    fn a_header_mid_stream_switches_the_layout() {
        let mut r = TsvReader::new(CONN);
        assert!(matches!(r.body(), Body::Missing(_)));
        assert!(!r.expects_header());
        feed(&mut r, CONN);
        let l = lines_of(&r);
        let Record::Conn(e) = l
            .parse_line(b"1.0\tC\t10.0.0.1\t5000\t1.2.3.4\t1883\ttcp")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(e.dst_port, 1883);
        // A second log, concatenated, with the columns in another order and another separator.
        feed(
            &mut r,
            b"#separator ,\n#path,conn\n#fields,id.resp_p,id.resp_h,id.orig_h,ts,proto\n",
        );
        let l = lines_of(&r);
        let Record::Conn(e) = l.parse_line(b"8883,5.6.7.8,10.0.0.2,2.0,tcp").unwrap() else {
            panic!()
        };
        assert_eq!(e.dst_port, 8883);
        assert!(
            l.parse_line(b"1.0\tC\t10.0.0.1\t5000\t1.2.3.4\t1883\ttcp")
                .is_err()
        );
        // An ssl.log block names destinations.
        feed(
            &mut r,
            b"#separator \\x09\n#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tserver_name\n",
        );
        let l = lines_of(&r);
        match l.parse_line(b"1.0\tC\t10.0.0.1\t5000\t1.2.3.4\t8883\tbroker.example.com") {
            Ok(Record::DestName {
                client,
                ip,
                port,
                name,
                conn: None,
            }) => {
                assert_eq!(client.map(|c| c.to_string()).as_deref(), Some("10.0.0.1"));
                assert_eq!(ip.to_string(), "1.2.3.4");
                assert_eq!(port, 8883);
                assert_eq!(name, "broker.example.com");
            }
            other => panic!("{other:?}"),
        }
        // A public broker's name brings the connection, as the JSON reader's does.
        match l.parse_line(b"2.5	Cw	10.0.0.1	5001	1.2.3.4	8884	broker.hivemq.com") {
            Ok(Record::DestName { conn: Some(ev), .. }) => {
                assert_eq!(ev.ts, Some(2_500_000));
                assert_eq!(ev.src_port, Some(5001));
                assert_eq!(ev.dst_port, 8884);
                assert_eq!(ev.uid.as_deref(), Some("Cw"));
                let json = br#"{"_path":"ssl","ts":2.5,"uid":"Cw","id.orig_h":"10.0.0.1","id.orig_p":5001,"id.resp_h":"1.2.3.4","id.resp_p":8884,"server_name":"broker.hivemq.com"}"#;
                match json::parse_line(json) {
                    Ok(Record::DestName { conn: Some(j), .. }) => assert_eq!(j, ev),
                    other => panic!("{other:?}"),
                }
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_log_not_read_mid_stream_is_other_records_then_conn_again() {
        let mut r = TsvReader::new(CONN);
        feed(&mut r, CONN);
        assert!(!lines_of(&r).every_line());
        feed(
            &mut r,
            b"#separator \\x09\n#path\thttp\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\turi\n",
        );
        assert!(matches!(r.body(), Body::Other));
        // A dns.log without its answers column says nothing either.
        feed(
            &mut r,
            b"#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\n",
        );
        assert!(matches!(r.body(), Body::Other));
        // One with it is read, every line of it.
        feed(
            &mut r,
            b"#separator \\x09\n#path\tdns\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tquery\tqtype_name\tanswers\n",
        );
        let l = lines_of(&r);
        assert!(l.every_line());
        assert!(matches!(
            l.parse_line(b"1.0\tC\t10.0.0.1\t5000\t10.0.0.53\t53\tbroker.example\tA\t192.0.2.7"),
            Ok(Record::AddrNames { .. })
        ));
        feed(&mut r, CONN);
        lines_of(&r);
        // A bad directive leaves no usable layout until the next #fields.
        assert!(r.header(b"#separator").is_err());
        assert!(matches!(r.body(), Body::Missing(NO_HEADER)));
    }

    #[test]
    fn forced_without_a_header_uses_the_default_columns() {
        let row = b"1.0\tC\t10.0.0.1\t5000\t1.2.3.4\t1883\ttcp\tmqtt\t1.0\t10\t20\tSF\tT\t0\tShAdDaFf\t5\t300\t4\t200\t-";
        let r = TsvReader::new(row);
        assert!(!r.expects_header());
        let Record::Conn(e) = lines_of(&r).parse_line(row).unwrap() else {
            panic!()
        };
        assert_eq!(e.dst_port, 1883);
        assert_eq!(e.bytes_out, Some(10));
    }

    #[test]
    fn a_column_row_is_the_header_of_a_headerless_stream() {
        let head = b"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\n1.0\tC\t10.0.0.1\t5000\t1.2.3.4\t1883\ttcp\n";
        let mut r = TsvReader::new(head);
        assert!(r.expects_header());
        assert!(matches!(r.body(), Body::Missing(_)));
        r.header(b"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto")
            .unwrap();
        assert!(!r.expects_header());
        let Record::Conn(e) = lines_of(&r)
            .parse_line(b"1.0\tC\t10.0.0.1\t5000\t1.2.3.4\t1883\ttcp")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(e.dst_port, 1883);
    }
}
