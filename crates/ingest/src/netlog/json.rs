//! JSON plumbing shared by the JSON formats of this module (UDM, ECS, OCSF): lookups that accept
//! nested objects and dotted keys alike (`{"source":{"ip":…}}` and `{"source.ip":…}`), numbers
//! that arrive as strings (UDM int64), and a [`JsonSpec`] that reads one format from JSON lines
//! (in parallel, through the line pipeline) or from a JSON array or pretty-printed objects (in
//! order, one element in memory at a time, each bounded in size).

use super::common::clip;
use super::json_stream::JsonStream;
use pubsub_hunt_reader::{Confidence, FormatSpec, LineFormat, Reader, Record};
use serde_json::Value;
use std::net::IpAddr;
use std::sync::Arc;

/// The value at a dotted `path`, whether the document nests it, spells it with dots, or mixes
/// both (`{"source":{"ip":…}}`, `{"source.ip":…}`, `{"destination":{"geo.name":…}}`).
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    if let Some(x) = obj.get(path) {
        return Some(x);
    }
    for (i, _) in path.match_indices('.') {
        let (head, rest) = (&path[..i], &path[i + 1..]);
        if let Some(x) = obj.get(head).and_then(|inner| get(inner, rest)) {
            return Some(x);
        }
    }
    None
}

/// The first of `paths` that is present and not null.
pub fn get_any<'a>(v: &'a Value, paths: &[&str]) -> Option<&'a Value> {
    paths
        .iter()
        .filter_map(|p| get(v, p))
        .find(|x| !x.is_null())
}

/// A non-empty string (the first one, for arrays such as UDM's repeated fields).
pub fn str_of(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim()),
        Value::Array(a) => a.iter().find_map(str_of),
        _ => None,
    }
}

/// The string at the first present path of `paths`.
pub fn str_at<'a>(v: &'a Value, paths: &[&str]) -> Option<&'a str> {
    paths.iter().filter_map(|p| get(v, p)).find_map(str_of)
}

/// A non-negative integer written as a JSON number or a string of digits.
pub fn u64_of(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The count at the first present path; present but not a count is an error.
pub fn count_at(v: &Value, paths: &[&str]) -> Result<Option<u64>, String> {
    match get_any(v, paths) {
        None => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(x) => u64_of(x)
            .map(Some)
            .ok_or_else(|| format!("bad {}", paths.first().copied().unwrap_or("count"))),
    }
}

/// The port at the first present path; present but not a port is an error.
pub fn port_at(v: &Value, paths: &[&str]) -> Result<Option<u16>, String> {
    count_at(v, paths)?
        .map(|n| u16::try_from(n).map_err(|_| format!("bad port {n}")))
        .transpose()
}

/// The address at the first present path (a string or the first of an array); present but not
/// an address is an error.
pub fn ip_at(v: &Value, paths: &[&str]) -> Result<Option<IpAddr>, String> {
    match str_at(v, paths) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| format!("bad address {:?}", clip(s, 40))),
    }
}

/// The first JSON value of a stream head: the first element when the stream is an array, the
/// first object otherwise (one line of JSON lines, or a pretty-printed object). `None` when
/// the head does not start with complete JSON.
pub fn first_value(head: &[u8]) -> Option<Value> {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let mut rest = head.get(start..)?;
    if rest.first() == Some(&b'[') {
        rest = rest.get(1..)?;
    }
    serde_json::Deserializer::from_slice(rest)
        .into_iter::<Value>()
        .next()?
        .ok()
        .filter(Value::is_object)
}

/// Whether the stream is JSON lines: its first non-blank line is a whole JSON object.
pub fn is_json_lines(head: &[u8]) -> bool {
    pubsub_hunt_reader::head_lines(head, 1)
        .next()
        .is_some_and(|l| {
            l.first() == Some(&b'{')
                && serde_json::from_slice::<Value>(l).is_ok_and(|v| v.is_object())
        })
}

/// A JSON format described by two functions: how sure a first record makes us, and how a
/// record maps to a [`Record`].
#[derive(Clone, Copy)]
pub struct JsonSpec {
    pub name: &'static str,
    pub description: &'static str,
    pub sniff: fn(&Value) -> Option<Confidence>,
    pub parse: fn(&Value) -> Result<Record, String>,
    /// Whether its records name the initiating program (ECS `process.*`, OCSF
    /// `actor.process`, UDM `principal.process`).
    pub records_programs: bool,
}

impl FormatSpec for JsonSpec {
    fn name(&self) -> &'static str {
        self.name
    }
    fn description(&self) -> &'static str {
        self.description
    }
    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        first_value(head).and_then(|v| (self.sniff)(&v))
    }
    fn open(&self, head: &[u8]) -> Result<Reader, String> {
        if is_json_lines(head) {
            Ok(Reader::Lines(Arc::new(*self)))
        } else if first_value(head).is_some() {
            Ok(Reader::Stream(Box::new(JsonStream {
                name: self.name,
                parse: self.parse,
            })))
        } else {
            Err("the input does not start with a JSON object or an array of objects".into())
        }
    }
}

impl LineFormat for JsonSpec {
    fn name(&self) -> &'static str {
        self.name
    }
    fn records_programs(&self) -> bool {
        self.records_programs
    }
    fn parse_line(&self, line: &[u8]) -> Result<Record, String> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(Record::Skip);
        }
        let v: Value = serde_json::from_slice(line).map_err(|e| format!("bad JSON: {e}"))?;
        if !v.is_object() {
            return Err("not a JSON object".into());
        }
        (self.parse)(&v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_dotted_and_mixed_keys() {
        let nested = json!({"source": {"ip": "10.0.0.1", "port": 5}});
        let dotted = json!({"source.ip": "10.0.0.1", "source.port": "5"});
        let mixed = json!({"destination": {"geo.name": "x"}});
        assert_eq!(str_at(&nested, &["source.ip"]), Some("10.0.0.1"));
        assert_eq!(str_at(&dotted, &["source.ip"]), Some("10.0.0.1"));
        assert_eq!(port_at(&nested, &["source.port"]), Ok(Some(5)));
        assert_eq!(port_at(&dotted, &["source.port"]), Ok(Some(5)));
        assert_eq!(str_at(&mixed, &["destination.geo.name"]), Some("x"));
        assert!(port_at(&json!({"p": 70000}), &["p"]).is_err());
        assert_eq!(count_at(&json!({"b": "54321"}), &["b"]), Ok(Some(54321)));
        assert!(count_at(&json!({"b": "x"}), &["b"]).is_err());
        assert_eq!(str_of(&json!(["192.0.2.1", "x"])), Some("192.0.2.1"));
    }

    #[test]
    fn first_values() {
        assert!(first_value(b"  [ {\"a\":1}, {\"a\":2} ]").is_some());
        assert!(first_value(b"{\n  \"a\": 1\n}\n{").is_some());
        assert!(first_value(b"{\"a\":1}\n{\"a\":").is_some());
        assert!(first_value(b"[1,2]").is_none());
        assert!(first_value(b"{\"a\":").is_none());
        assert!(is_json_lines(b"{\"a\":1}\n"));
        assert!(!is_json_lines(b"{\n\"a\":1}\n"));
    }
}
