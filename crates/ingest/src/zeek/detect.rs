//! Recognising a Zeek log from a stream's first bytes: a TSV header (`#separator`, `#fields`,
//! `#path`) or a plain column row, or a JSON record of a log pubsub-hunt reads (by `_path` or
//! `@stream`, or by its keys), and why a stream is refused: a Zeek log of another kind, or not a
//! Zeek log at all.

use super::log::ZeekLog;
use pubsub_hunt_reader::ProblemKind;

/// What the first bytes of a stream say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Detected {
    ZeekTsv,
    ZeekJson,
    /// A log of a known family that does not carry connections.
    NotConnLog(String),
    Unknown(String),
}

fn first_line(head: &[u8]) -> &[u8] {
    let end = memchr::memchr(b'\n', head).unwrap_or(head.len());
    let l = &head[..end];
    l.strip_suffix(b"\r").unwrap_or(l)
}

/// Decides whether a stream is a Zeek log from its first bytes.
pub fn detect(head: &[u8]) -> Detected {
    detect_shaped(head).1
}

/// [`detect`], and whether the verdict came from looking at a JSON object (then it is
/// `zeek-json`'s to give).
pub(super) fn detect_shaped(head: &[u8]) -> (bool, Detected) {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let text = &head[start..];
    if text.is_empty() {
        return (false, Detected::Unknown("empty input".into()));
    }
    let sample = &text[..text.len().min(4096)];
    if sample.contains(&0) || sample.iter().filter(|b| **b < 0x09).count() > 4 {
        return (false, Detected::Unknown("binary data".into()));
    }
    if text[0] == b'#' {
        return (false, detect_zeek_header(text));
    }
    if text[0] == b'{' {
        return (true, detect_json(first_line(text)));
    }
    let line = first_line(text);
    let cols: Vec<&[u8]> = line.split(|b| *b == b'\t').collect();
    if cols.iter().any(|c| *c == b"id.orig_h") && cols.iter().any(|c| *c == b"id.resp_p") {
        return (false, Detected::ZeekTsv);
    }
    (
        false,
        Detected::Unknown("not a Zeek log (no #fields header, column row or JSON object)".into()),
    )
}

fn detect_zeek_header(text: &[u8]) -> Detected {
    let mut saw_directive = false;
    for line in text.split(|b| *b == b'\n').take(64) {
        if !line.starts_with(b"#") {
            break;
        }
        if line.starts_with(b"#separator") || line.starts_with(b"#fields") {
            saw_directive = true;
        }
        if let Some(rest) = line.strip_prefix(b"#path") {
            let path = String::from_utf8_lossy(rest)
                .trim_matches(|c: char| c.is_whitespace() || c == ',')
                .to_string();
            // ssl.log, dns.log and the MQTT logs are read for what they say of connections.
            if ZeekLog::from_path(&path).is_none() && !path.is_empty() {
                return Detected::NotConnLog(format!(
                    "Zeek {path} log; only conn logs carry connections"
                ));
            }
        }
    }
    if saw_directive {
        Detected::ZeekTsv
    } else {
        Detected::Unknown("comment lines but no Zeek #separator/#fields header".into())
    }
}

fn detect_json(line: &[u8]) -> Detected {
    let v: serde_json::Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return Detected::Unknown(format!("first line is not a JSON object: {e}")),
    };
    let Some(obj) = v.as_object() else {
        return Detected::Unknown("first line is not a JSON object".into());
    };
    let path = obj
        .get("_path")
        .or_else(|| obj.get("@stream"))
        .and_then(|p| p.as_str());
    let has = |k: &str| obj.contains_key(k);
    let zeekish = (has("id.resp_p") || has("id_resp_p")) && (has("uid") || has("ts"));
    let log = match path {
        Some(p) => ZeekLog::from_path(p),
        None => ZeekLog::from_keys(has),
    };
    match (path, log) {
        (_, Some(_)) if zeekish => Detected::ZeekJson,
        (Some(other), _) => Detected::NotConnLog(format!(
            "Zeek {other} log; only conn logs carry connections"
        )),
        (None, _) if zeekish => {
            Detected::NotConnLog("Zeek JSON without proto/conn_state: not a conn log".into())
        }
        (None, _) => Detected::Unknown("JSON, but not a format pubsub-hunt reads".into()),
    }
}

/// The refusal of a detection that did not find a Zeek log.
pub(super) fn refusal(d: Detected) -> Option<(ProblemKind, String)> {
    match d {
        Detected::NotConnLog(why) => Some((ProblemKind::NotConnLog, why)),
        Detected::Unknown(why) => Some((ProblemKind::UnknownFormat, why)),
        Detected::ZeekTsv | Detected::ZeekJson => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_zeek_shapes() {
        assert_eq!(
            detect(b"#separator \\x09\n#set_separator\t,\n#path\tconn\n#fields\tts\n"),
            Detected::ZeekTsv
        );
        assert_eq!(
            detect(b"### BTest baseline\n#separator \\x09\n#path\tconn\n"),
            Detected::ZeekTsv
        );
        assert_eq!(
            detect(b"#separator ,\n#path,conn\n#fields,ts,uid\n"),
            Detected::ZeekTsv
        );
        assert_eq!(
            detect(b"ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\n1\t2"),
            Detected::ZeekTsv
        );
        assert_eq!(
            detect(br#"{"ts":1.0,"uid":"C","id.orig_h":"1.2.3.4","id.resp_p":80,"proto":"tcp"}"#),
            Detected::ZeekJson
        );
        assert_eq!(
            detect(br#"{"@stream":"conn","ts":1.0,"id_orig_h":"1.2.3.4","id_resp_p":80}"#),
            Detected::ZeekJson
        );
        assert!(matches!(
            detect(br#"{"_path":"http","ts":"2018-03-24T17:15:20Z","uid":"C","id.resp_p":80}"#),
            Detected::NotConnLog(_)
        ));
        assert!(matches!(
            detect(b"#separator \\x09\n#path\thttp\n"),
            Detected::NotConnLog(_)
        ));
        // dns.log and the MQTT logs are read for what they say of connections, with a path or
        // (plain JSON) by their keys.
        for path in ["dns", "mqtt_connect", "mqtt_subscribe", "mqtt_publish"] {
            let tsv = format!("#separator \\x09\n#path\t{path}\n");
            assert_eq!(detect(tsv.as_bytes()), Detected::ZeekTsv, "{path}");
            let json = format!(r#"{{"_path":"{path}","ts":1.0,"uid":"C","id.resp_p":1883}}"#);
            assert_eq!(detect(json.as_bytes()), Detected::ZeekJson, "{path}");
        }
        assert_eq!(
            detect(
                br#"{"ts":1.0,"uid":"C","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","id.resp_p":53,"proto":"udp","query":"x.example","qtype_name":"A","answers":["192.0.2.1"]}"#
            ),
            Detected::ZeekJson
        );
        assert_eq!(
            detect(
                br#"{"ts":1.0,"uid":"C","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.2","id.resp_p":1883,"from_client":true,"retain":false,"topic":"t","payload":"p","payload_len":1}"#
            ),
            Detected::ZeekJson
        );
        // ssl.log is read for its server names.
        assert_eq!(
            detect(br#"{"_path":"ssl","ts":"2018-03-24T17:15:20Z","uid":"C","id.resp_p":443}"#),
            Detected::ZeekJson
        );
        assert_eq!(
            detect(
                br#"{"ts":1.0,"uid":"C","id.resp_h":"1.2.3.4","id.resp_p":8883,"server_name":"x"}"#
            ),
            Detected::ZeekJson
        );
        assert_eq!(detect(b"#separator \\x09\n#path\tssl\n"), Detected::ZeekTsv);
    }

    #[test]
    fn refuses_garbage() {
        assert!(matches!(detect(b""), Detected::Unknown(_)));
        assert!(matches!(
            detect(b"\x00\x01\x02binary"),
            Detected::Unknown(_)
        ));
        assert!(matches!(detect(b"hello world\n"), Detected::Unknown(_)));
        assert!(matches!(detect(b"{not json"), Detected::Unknown(_)));
        assert!(matches!(detect(b"[1,2]"), Detected::Unknown(_)));
    }
}
