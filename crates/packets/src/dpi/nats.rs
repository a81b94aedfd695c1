//! NATS (text protocol, server speaks first): recognition by `INFO {…}` or `CONNECT {…}` lines,
//! or mid-stream a whole `PUB`/`MSG`/`HPUB`/`HMSG` message or `SUB` line at a line start;
//! dissection of CONNECT (`name` → client id, `user`), INFO (`server_name`), PUB/HPUB
//! (publish), MSG/HMSG (delivered to the client), SUB and client PINGs.

use super::dissect::{BUF_CAP, Dissect, Found, Side, Step};
use super::text::{clean_name, json_str, starts_with_ci};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};

/// Longest control line read (INFO lines carry a JSON object of ~1 KiB).
const MAX_LINE: usize = 8 * 1024;
const SCAN_WINDOW: usize = 8 * 1024;

/// The control line at the front (without CRLF) and the length through CRLF.
fn line(buf: &[u8]) -> Option<(&[u8], usize)> {
    let window = buf.get(..buf.len().min(MAX_LINE)).unwrap_or(buf);
    let end = memchr::memmem::find(window, b"\r\n")?;
    Some((window.get(..end)?, end + 2))
}

fn subject_ok(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|b| b.is_ascii_graphic())
}

/// A message verb line: (verb, subject, payload bytes) for PUB/MSG/HPUB/HMSG.
fn message_line(l: &[u8]) -> Option<(&'static str, &[u8], usize)> {
    let mut parts = l
        .split(|b| *b == b' ' || *b == b'\t')
        .filter(|p| !p.is_empty());
    let verb = parts.next()?;
    let verb = ["PUB", "MSG", "HPUB", "HMSG"]
        .into_iter()
        .find(|v| verb.eq_ignore_ascii_case(v.as_bytes()))?;
    let args: Vec<&[u8]> = parts.collect();
    let (min, max) = match verb {
        "PUB" => (2, 3),
        "MSG" => (3, 4),
        "HPUB" => (3, 4),
        _ => (4, 5),
    };
    if args.len() < min || args.len() > max {
        return None;
    }
    let subject = *args.first()?;
    let total: usize = std::str::from_utf8(args.last()?).ok()?.parse().ok()?;
    subject_ok(subject).then_some((verb, subject, total))
}

/// Strong evidence at the front of `buf`.
fn evidence_at(buf: &[u8], known: bool) -> bool {
    let Some((l, n)) = line(buf) else {
        return false;
    };
    if starts_with_ci(l, b"INFO {") || starts_with_ci(l, b"CONNECT {") {
        return l.ends_with(b"}");
    }
    if let Some((_, _, total)) = message_line(l) {
        return buf
            .get(n + total..n + total + 2)
            .is_some_and(|end| end == b"\r\n");
    }
    if starts_with_ci(l, b"SUB ") {
        let parts = l.split(|b| *b == b' ').filter(|p| !p.is_empty()).count();
        return (3..=4).contains(&parts);
    }
    known
        && ["PING", "PONG", "+OK", "-ERR", "UNSUB "]
            .iter()
            .any(|v| starts_with_ci(l, v.as_bytes()))
}

fn scan(buf: &[u8], known: bool) -> Option<usize> {
    (0..buf.len().min(SCAN_WINDOW)).find(|&at| {
        (at == 0 || buf.get(at - 1) == Some(&b'\n'))
            && evidence_at(buf.get(at..).unwrap_or(&[]), known)
    })
}

/// Scans for NATS control lines at line starts.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    scan(buf, false).map(|offset| Found {
        offset,
        protocol: Some(Protocol::Nats),
    })
}

/// NATS dissector.
#[derive(Debug, Default)]
pub(crate) struct Nats;

impl Dissect for Nats {
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let Some((l, n)) = line(buf) else {
            return if buf.len() >= MAX_LINE {
                Step::Lost
            } else {
                Step::Need
            };
        };
        if let Some((verb, subject, total)) = message_line(l) {
            let end = n as u64 + total as u64 + 2;
            let whole = end <= buf.len() as u64;
            if !whole && (end <= BUF_CAP as u64 || buf.len() < BUF_CAP) {
                return Step::Need;
            }
            let payload = buf.get(n..(n + total).min(buf.len())).unwrap_or(&[]);
            let dir = if verb.ends_with("PUB") {
                TopicDirection::Publish
            } else {
                TopicDirection::Subscribe
            };
            let size = u32::try_from(total).unwrap_or(u32::MAX);
            app.add_message(ts, dir, clean_name(subject), payload, size);
            return if whole {
                Step::Used(end as usize)
            } else {
                Step::Skip(end)
            };
        }
        if starts_with_ci(l, b"CONNECT ") {
            let json = l.get(8..).unwrap_or(&[]);
            if let Some(name) = json_str(json, "name")
                .and_then(clean_name)
                .filter(|s| !s.is_empty())
            {
                app.add_client_id(name);
            }
            if let Some(user) = json_str(json, "user")
                .and_then(clean_name)
                .filter(|s| !s.is_empty())
            {
                app.add_username(user);
            }
        } else if starts_with_ci(l, b"INFO ") {
            let json = l.get(5..).unwrap_or(&[]);
            if let Some(name) = json_str(json, "server_name")
                .and_then(clean_name)
                .filter(|s| !s.is_empty())
            {
                app.add_server_name(name);
            }
            if let Some(v) = json_str(json, "version").and_then(clean_name) {
                // The server's version; NATS has one wire protocol.
                let _ = v;
            }
        } else if starts_with_ci(l, b"SUB ") {
            if let Some(subject) = l
                .split(|b| *b == b' ')
                .filter(|p| !p.is_empty())
                .nth(1)
                .and_then(clean_name)
            {
                app.add_topic(subject, TopicDirection::Subscribe, 0);
            }
        } else if starts_with_ci(l, b"PING") && side == Side::Client {
            app.pings += 1;
        } else if !["PONG", "+OK", "-ERR", "UNSUB "]
            .iter()
            .any(|v| starts_with_ci(l, v.as_bytes()))
        {
            return Step::Lost;
        }
        Step::Used(n)
    }

    fn resync(&self, _side: Side, buf: &[u8]) -> Option<usize> {
        scan(buf, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpi::Side::*;
    use crate::dpi::testutil::{run, run_bytewise};

    fn exchange() -> Vec<(Side, &'static [u8])> {
        vec![
            (Server, b"INFO {\"server_id\":\"NALG\",\"server_name\":\"nats-1\",\"version\":\"2.1.6\",\"proto\":1}\r\n"),
            (Client, b"CONNECT {\"verbose\":false,\"name\":\"implant-7\",\"lang\":\"go\"}\r\nPING\r\n"),
            (Server, b"PONG\r\n"),
            (Client, b"SUB cmd.implant-7 1\r\nPUB out.implant-7 5\r\nhello\r\n"),
            (Server, b"MSG cmd.implant-7 1 6\r\nwhoami\r\n"),
        ]
    }

    #[test]
    fn nats_session() {
        for app in [run(&exchange()), run_bytewise(&exchange())] {
            assert_eq!(app.protocol, Some(Protocol::Nats));
            assert!(app.client_ids.contains("implant-7"));
            assert!(app.server_names.contains("nats-1"));
            assert_eq!(app.pings, 1);
            assert_eq!(app.messages.len(), 2);
            assert!(app.topics.iter().any(|t| t.name == "cmd.implant-7"
                && t.direction == TopicDirection::Subscribe
                && t.messages == 1));
        }
    }

    #[test]
    fn pings_alone_are_not_nats() {
        assert_eq!(run(&[(Client, b"PING\r\nPING\r\n")]).protocol, None);
    }
}
