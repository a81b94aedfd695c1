//! Log formats and their recognition by content. A file's name says nothing reliable (rotated
//! Zeek logs are called `conn.15:00:00-16:00:00.log.gz`, exports are called `download.csv`), so
//! the format is decided from the first bytes of the decompressed stream, unless the user forces
//! one with `--input-format`.

use std::fmt;
use std::str::FromStr;

/// The format a user can force, or `Auto`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum InputFormat {
    #[default]
    Auto,
    /// Zeek ASCII logs: `#fields` header (any separator), or a plain column row.
    ZeekTsv,
    /// Zeek JSON lines: dotted or underscored keys, epoch or ISO-8601 `ts`.
    ZeekJson,
    /// A format of the registry, by name (checked by the caller against the registry).
    Named(String),
}

impl InputFormat {
    /// Every format with its name and description, for `pubsub-hunt formats`.
    pub const KNOWN: [(InputFormat, &'static str, &'static str); 2] = [
        (
            InputFormat::ZeekTsv,
            "zeek-tsv",
            "Zeek conn.log, ASCII writer: #fields/#types header with any separator, or a plain column row",
        ),
        (
            InputFormat::ZeekJson,
            "zeek-json",
            "Zeek conn.log, JSON lines: id.orig_h or id_orig_h keys, epoch or ISO-8601 ts",
        ),
    ];

    pub fn name(&self) -> &str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::ZeekTsv => "zeek-tsv",
            InputFormat::ZeekJson => "zeek-json",
            InputFormat::Named(n) => n,
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for InputFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(InputFormat::Auto),
            "zeek-tsv" | "zeek" => Ok(InputFormat::ZeekTsv),
            "zeek-json" => Ok(InputFormat::ZeekJson),
            "" => Err("empty input format name".to_string()),
            other => Ok(InputFormat::Named(other.to_string())),
        }
    }
}

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

/// Decides the format of a stream from its first bytes.
pub fn detect(head: &[u8]) -> Detected {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    let text = &head[start..];
    if text.is_empty() {
        return Detected::Unknown("empty input".into());
    }
    let sample = &text[..text.len().min(4096)];
    if sample.contains(&0) || sample.iter().filter(|b| **b < 0x09).count() > 4 {
        return Detected::Unknown("binary data".into());
    }
    if text[0] == b'#' {
        return detect_zeek_header(text);
    }
    if text[0] == b'{' {
        return detect_json(first_line(text));
    }
    let line = first_line(text);
    let cols: Vec<&[u8]> = line.split(|b| *b == b'\t').collect();
    if cols.iter().any(|c| *c == b"id.orig_h") && cols.iter().any(|c| *c == b"id.resp_p") {
        return Detected::ZeekTsv;
    }
    Detected::Unknown("not a Zeek log (no #fields header, column row or JSON object)".into())
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
            // ssl.log is read for the server names it gives destinations.
            if path != "conn" && path != "ssl" && !path.is_empty() {
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
    match path {
        Some("conn") | Some("ssl") if zeekish => Detected::ZeekJson,
        None if zeekish && has("server_name") && !has("conn_state") => Detected::ZeekJson,
        Some(other) if zeekish => Detected::NotConnLog(format!(
            "Zeek {other} log; only conn logs carry connections"
        )),
        _ if zeekish && (has("proto") || has("conn_state")) => Detected::ZeekJson,
        _ if zeekish => {
            Detected::NotConnLog("Zeek JSON without proto/conn_state: not a conn log".into())
        }
        Some(other) => Detected::NotConnLog(format!(
            "Zeek {other} log; only conn logs carry connections"
        )),
        _ => Detected::Unknown("JSON, but not a format pubsub-hunt reads".into()),
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
            detect(br#"{"_path":"dns","ts":"2018-03-24T17:15:20Z","uid":"C","id.resp_p":53}"#),
            Detected::NotConnLog(_)
        ));
        assert!(matches!(
            detect(b"#separator \\x09\n#path\tdns\n"),
            Detected::NotConnLog(_)
        ));
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
