//! Zeek `dns.log`: the names DNS answers gave addresses. Its answers name the destinations of
//! cleartext connections the way `ssl.log`'s server name names TLS ones: every address in an
//! answer is named by the query name and, for A/AAAA queries, by the CNAME chain that led to it.
//! DNS does not say which service the client went on to reach, so the names hold for any port.
//! One rule for both shapes: the TSV reader ([`from_row`]) and the JSON reader (`json.rs`) hand
//! the same fields to [`names_of`].

use super::tsv::{Field, Row};
use pubsub_hunt_reader::Record;
use std::net::IpAddr;

/// Most addresses taken from one answer: a DNS answer fits in one message, so more is hostile.
const MAX_ADDRS: usize = 32;
/// Most names taken from one answer (the query name first, then the CNAME chain); the analytics
/// keep a few names per destination anyway.
const MAX_NAMES: usize = 8;

/// The names of one `dns.log` record's answer addresses: [`Record::AddrNames`], or
/// [`Record::Other`] when the query was rejected or its answer has no address or no name.
/// `qtype` is `qtype_name`; `answers` as Zeek writes them (addresses for A/AAAA records, names
/// for CNAME records and the other types, `TXT …` texts).
pub(super) fn names_of(
    client: Option<IpAddr>,
    query: Option<&[u8]>,
    qtype: Option<&[u8]>,
    answers: &[&[u8]],
    rejected: bool,
) -> Record {
    if rejected {
        return Record::Other;
    }
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut chain: Vec<String> = Vec::new();
    for a in answers {
        let Ok(text) = std::str::from_utf8(a) else {
            continue;
        };
        if let Ok(ip) = text.trim().parse::<IpAddr>() {
            if !addrs.contains(&ip) && addrs.len() < MAX_ADDRS {
                addrs.push(ip);
            }
        } else if let Some(name) = host_name(a) {
            chain.push(name);
        }
    }
    if addrs.is_empty() {
        return Record::Other;
    }
    let mut names: Vec<String> = query.and_then(host_name).into_iter().collect();
    // The other names of an A/AAAA answer are its CNAME chain; other types answer with names
    // that are not the address's (mail exchangers, name servers).
    if matches!(qtype, Some(b"A" | b"AAAA")) {
        for n in chain {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    names.truncate(MAX_NAMES);
    if names.is_empty() {
        return Record::Other;
    }
    Record::AddrNames {
        client,
        addrs,
        names,
    }
}

/// A host name in the form the analytics compare (lower case, without the root's dot), when
/// `b` is one: labels of letters, digits, `-` and `_`, at most 253 bytes.
fn host_name(b: &[u8]) -> Option<String> {
    let b = b.strip_suffix(b".").unwrap_or(b);
    let labels_ok = b.split(|c| *c == b'.').all(|l| {
        (1..=63).contains(&l.len())
            && l.iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
    });
    if b.is_empty() || b.len() > 253 || !labels_ok {
        return None;
    }
    Some(String::from_utf8_lossy(b).to_ascii_lowercase())
}

/// A `dns.log` record read from TSV.
pub(super) fn from_row(row: &Row<'_, '_>) -> Record {
    let query = row.bytes(Field::Query);
    let qtype = row.bytes(Field::QtypeName);
    let answers = row.list(Field::Answers);
    let answers: Vec<&[u8]> = answers.iter().map(|a| a.as_ref()).collect();
    let rejected = row.flag(Field::Rejected).unwrap_or(false);
    let client = row.client();
    names_of(
        client,
        query.as_deref(),
        qtype.as_deref(),
        &answers,
        rejected,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zeek::header::{Directive, HeaderState};
    use crate::zeek::json::parse_line;
    use crate::zeek::tsv::TsvSchema;

    fn names(r: Record) -> (Vec<String>, Vec<String>) {
        match r {
            Record::AddrNames { addrs, names, .. } => {
                (addrs.iter().map(|a| a.to_string()).collect(), names)
            }
            other => panic!("{other:?}"),
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn answers_name_their_addresses_with_the_query_and_its_cname_chain() {
        let got = names(names_of(
            None,
            Some(b"Broker.HiveMQ.com."),
            Some(b"A"),
            &[
                b"broker.hivemq.com.cdn.example.net",
                b"52.29.1.2",
                b"3.120.1.2",
            ],
            false,
        ));
        assert_eq!(got.0, strings(&["52.29.1.2", "3.120.1.2"]));
        assert_eq!(
            got.1,
            strings(&["broker.hivemq.com", "broker.hivemq.com.cdn.example.net"])
        );
        // An MX answer's names are mail exchangers, not the address's.
        let got = names(names_of(
            None,
            Some(b"example.com"),
            Some(b"ANY"),
            &[b"mx.example.net", b"192.0.2.1"],
            false,
        ));
        assert_eq!(got.1, strings(&["example.com"]));
    }

    #[test]
    fn answers_without_addresses_or_names_give_nothing() {
        for (query, qtype, answers, rejected) in [
            (
                &b"example.com"[..],
                &b"A"[..],
                &[&b"192.0.2.1"[..]][..],
                true,
            ),
            (
                b"1.2.0.192.in-addr.arpa",
                b"PTR",
                &[b"host.example.com"],
                false,
            ),
            (b"example.com", b"TXT", &[b"TXT 7 1.2.3.4"], false),
            (b"bad name!", b"A", &[b"192.0.2.1"], false),
            (b"example.com", b"A", &[], false),
        ] {
            assert!(
                matches!(
                    names_of(None, Some(query), Some(qtype), answers, rejected),
                    Record::Other
                ),
                "{}",
                String::from_utf8_lossy(query)
            );
        }
    }

    #[test]
    fn a_hostile_answer_is_bounded() {
        let many: Vec<String> = (0..1000)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect();
        let cnames: Vec<String> = (0..1000).map(|i| format!("c{i}.example")).collect();
        let answers: Vec<&[u8]> = many.iter().chain(&cnames).map(|s| s.as_bytes()).collect();
        let (addrs, names) = names(names_of(
            None,
            Some(b"q.example"),
            Some(b"A"),
            &answers,
            false,
        ));
        assert_eq!(addrs.len(), MAX_ADDRS);
        assert_eq!(names.len(), MAX_NAMES);
        assert_eq!(names[0], "q.example");
        assert!(host_name(&[b'a'; 300]).is_none());
    }

    #[test]
    fn tsv_and_json_records_agree() {
        let mut st = HeaderState::default();
        let mut schema: Option<TsvSchema> = None;
        for l in [
            &b"#separator \\x09"[..],
            b"#set_separator\t,",
            b"#path\tdns",
            b"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\tqclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected",
        ] {
            if let Directive::Schema(s) = st.apply(l).unwrap() {
                schema = Some(s);
            }
        }
        let schema = schema.unwrap();
        assert_eq!(schema.log(), Some(crate::zeek::log::ZeekLog::Dns));
        let row = b"1588317723.381153\tCdwd\t10.0.1.5\t60019\t10.0.0.4\t53\tudp\t10118\t0.019\tv10.events.data.microsoft.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\tglobal.asimov.events.data.trafficmanager.net,skypedataprdcolwus00.cloudapp.net,13.88.28.53\t3432.0,60.0,10.0\tF";
        let tsv = names(from_row(&schema.row(row).unwrap()));
        let json = names(
            parse_line(br#"{"@stream":"dns","ts":1588317723.381153,"uid":"Cdwd","id_orig_h":"10.0.1.5","id_orig_p":60019,"id_resp_h":"10.0.0.4","id_resp_p":53,"proto":"udp","trans_id":10118,"query":"v10.events.data.microsoft.com","qclass":1,"qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","answers":["global.asimov.events.data.trafficmanager.net","skypedataprdcolwus00.cloudapp.net","13.88.28.53"],"TTLs":[3432.0,60.0,10.0],"rejected":false}"#)
                .unwrap(),
        );
        assert_eq!(tsv, json);
        assert_eq!(tsv.0, strings(&["13.88.28.53"]));
        assert_eq!(tsv.1.len(), 3);
        // The same without a path: told by its keys (it has a `proto` like a conn record).
        let plain = br#"{"ts":1.0,"uid":"C","id.orig_h":"10.0.1.5","id.orig_p":1,"id.resp_h":"10.0.0.4","id.resp_p":53,"proto":"udp","query":"broker.hivemq.com","qtype_name":"AAAA","answers":["2a05:d018::1"],"rejected":false}"#;
        let (addrs, names) = names(parse_line(plain).unwrap());
        assert_eq!(
            (addrs, names),
            (strings(&["2a05:d018::1"]), strings(&["broker.hivemq.com"]))
        );
        // A query without a reply.
        let unanswered = br#"{"_path":"dns","ts":1.0,"uid":"C","id.orig_h":"10.0.1.5","id.resp_h":"10.0.0.4","id.resp_p":53,"proto":"udp","query":"x.example","qtype_name":"A"}"#;
        assert!(matches!(parse_line(unanswered), Ok(Record::Other)));
        // Unset columns, and a row of the wrong width.
        let row = b"1.0\tC\t10.0.1.5\t1\t10.0.0.4\t53\tudp\t-\t-\t-\t-\t-\t-\t-\t-\t-\tF\tF\tF\tF\t0\t-\t-\tF";
        assert!(matches!(from_row(&schema.row(row).unwrap()), Record::Other));
        assert!(schema.row(b"1.0\tC").is_err());
    }
}
