//! STOMP 1.0, 1.1 and 1.2: recognition by a whole frame with a known command at a frame
//! boundary (CONNECT, STOMP and CONNECTED anywhere; other commands need a `destination` header),
//! and dissection of CONNECT/STOMP (`accept-version`, `host`, `login`, `heart-beat`), CONNECTED
//! (`version`), SEND (publish), SUBSCRIBE and MESSAGE (subscribe). Commands match case-insensitively
//! (ActiveMQ sends `message`); heartbeat EOLs arriving alone count as pings.

use super::dissect::{BUF_CAP, Dissect, Found, Side, Step};
use super::text::clean_name;
use pubsub_hunt_core::behaviour::destination::is_domain_name;
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};

const COMMANDS: [&str; 15] = [
    "CONNECT",
    "STOMP",
    "CONNECTED",
    "SEND",
    "SUBSCRIBE",
    "UNSUBSCRIBE",
    "ACK",
    "NACK",
    "BEGIN",
    "COMMIT",
    "ABORT",
    "DISCONNECT",
    "MESSAGE",
    "RECEIPT",
    "ERROR",
];
/// Longest header block read.
const MAX_HEAD: usize = 16 * 1024;
const SCAN_WINDOW: usize = 16 * 1024;

/// A parsed frame head.
#[derive(Debug)]
struct Head<'a> {
    command: &'static str,
    headers: Vec<(&'a [u8], &'a [u8])>,
    /// Offset of the body.
    body_at: usize,
}

impl Head<'_> {
    fn get(&self, name: &[u8]) -> Option<&str> {
        // The first occurrence wins (STOMP 1.2 §"Repeated Header Entries").
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .and_then(|(_, v)| clean_name(v))
    }
}

/// Parses a frame head at the front: `Ok(None)` when incomplete, `Err` when not STOMP.
fn head(buf: &[u8]) -> Result<Option<Head<'_>>, ()> {
    let window = buf.get(..buf.len().min(MAX_HEAD)).unwrap_or(buf);
    let Some(eol) = memchr::memchr(b'\n', window) else {
        return if window.len() > 16 { Err(()) } else { Ok(None) };
    };
    let line = window.get(..eol).unwrap_or(&[]);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let command = COMMANDS
        .iter()
        .find(|c| line.eq_ignore_ascii_case(c.as_bytes()))
        .ok_or(())?;
    let mut headers = Vec::new();
    let mut at = eol + 1;
    loop {
        let Some(rest) = window.get(at..) else {
            return Ok(None);
        };
        let Some(eol) = memchr::memchr(b'\n', rest) else {
            return if window.len() >= MAX_HEAD {
                Err(())
            } else {
                Ok(None)
            };
        };
        let line = rest.get(..eol).unwrap_or(&[]);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        at += eol + 1;
        if line.is_empty() {
            return Ok(Some(Head {
                command,
                headers,
                body_at: at,
            }));
        }
        let colon = memchr::memchr(b':', line).ok_or(())?;
        let (key, value) = (
            line.get(..colon).unwrap_or(&[]),
            line.get(colon + 1..).unwrap_or(&[]),
        );
        if key.is_empty() || key.iter().any(|b| b.is_ascii_control()) {
            return Err(());
        }
        if headers.len() < 64 {
            headers.push((key, value));
        }
    }
}

/// Length of the body of a frame whose head is `h` (without the NUL), and the frame's total
/// length; `None` when not all of it is buffered. `nul_at_or_after(i)` finds the first NUL in
/// `buf` at or after `i` (callers keep how far they searched before).
fn frame_len(
    h: &Head<'_>,
    nul_at_or_after: &mut dyn FnMut(usize) -> Option<usize>,
) -> Option<(usize, u64)> {
    if let Some(n) = h
        .get(b"content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some((n as usize, h.body_at as u64 + n + 1));
    }
    let nul = nul_at_or_after(h.body_at)?;
    Some((nul - h.body_at, (nul + 1) as u64))
}

/// The first NUL at or after a position, for positions that only grow: each byte is searched
/// once over all the queries of a scan.
struct NextNul<'a> {
    buf: &'a [u8],
    /// The last search started here...
    from: usize,
    /// ...and found this (`None`: no NUL from `from` to the end).
    found: Option<usize>,
}

impl<'a> NextNul<'a> {
    fn new(buf: &'a [u8]) -> Self {
        NextNul {
            buf,
            from: usize::MAX,
            found: None,
        }
    }

    fn at_or_after(&mut self, q: usize) -> Option<usize> {
        if q >= self.from {
            match self.found {
                Some(f) if f >= q => return Some(f),
                None => return None,
                Some(_) => {}
            }
        }
        self.from = q;
        self.found = self
            .buf
            .get(q..)
            .and_then(|b| memchr::memchr(0, b))
            .map(|i| q + i);
        self.found
    }
}

/// A whole, well-formed frame at `at` that is strong evidence of STOMP.
fn frame_at(buf: &[u8], at: usize, nuls: &mut NextNul<'_>) -> bool {
    let rest = buf.get(at..).unwrap_or(&[]);
    let Ok(Some(h)) = head(rest) else {
        return false;
    };
    let Some((_, total)) = frame_len(&h, &mut |q| nuls.at_or_after(at + q).map(|n| n - at)) else {
        return false;
    };
    if total > rest.len() as u64 || rest.get(total as usize - 1) != Some(&0) {
        return false;
    }
    match h.command {
        "CONNECT" | "STOMP" | "CONNECTED" => true,
        "SEND" | "SUBSCRIBE" | "MESSAGE" => h.get(b"destination").is_some(),
        _ => false,
    }
}

fn scan(buf: &[u8], known: bool) -> Option<usize> {
    let mut nuls = NextNul::new(buf);
    (0..buf.len().min(SCAN_WINDOW)).find(|&at| {
        let boundary = at == 0 || matches!(buf.get(at - 1), Some(b'\0' | b'\n'));
        boundary
            && (frame_at(buf, at, &mut nuls)
                || (known && matches!(head(buf.get(at..).unwrap_or(&[])), Ok(Some(_)))))
    })
}

/// Scans for a whole STOMP frame at a frame boundary.
pub(crate) fn detect(_side: Side, buf: &[u8]) -> Option<Found> {
    scan(buf, false).map(|offset| Found {
        offset,
        protocol: Some(Protocol::Stomp),
    })
}

/// STOMP dissector state.
#[derive(Debug, Default)]
pub(crate) struct Stomp {
    last_frame_ts: [Option<Micros>; 2],
    /// Whether the broker stated the version (CONNECTED), which beats the client's offer.
    version_from_server: bool,
    /// Per direction, bytes at the front known to hold no NUL (the search for the end of a
    /// frame without `content-length` goes on from there when more bytes come).
    no_nul_before: [usize; 2],
}

impl Stomp {
    fn frame(
        &mut self,
        side: Side,
        ts: Micros,
        h: &Head<'_>,
        body: &[u8],
        size: u32,
        app: &mut AppInfo,
    ) {
        match h.command {
            "CONNECT" | "STOMP" => {
                if !self.version_from_server {
                    let offered = h.get(b"accept-version").unwrap_or("1.0");
                    let best = offered
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .max();
                    if let Some(v) = best {
                        app.protocol_version = Some(v.to_string());
                    }
                }
                if let Some(host) = h.get(b"host").filter(|s| !s.is_empty()) {
                    // The virtual host: clients are told to send the server's host name, but
                    // brokers' default is `/`; a value that is no DNS name is written as AMQP's
                    // virtual host is, so it is not read as the server's name.
                    if is_domain_name(host) {
                        app.add_server_name(host);
                    } else {
                        app.add_server_name(&format!("vhost:{host}"));
                    }
                }
                if let Some(login) = h.get(b"login").filter(|s| !s.is_empty()) {
                    app.add_username(login);
                }
                if let Some(cx) = h
                    .get(b"heart-beat")
                    .and_then(|v| v.split(',').next())
                    .and_then(|v| v.trim().parse::<u32>().ok())
                    .filter(|ms| *ms > 0)
                {
                    app.keepalive_secs = Some(cx.div_ceil(1000));
                }
                if let Some(id) = h.get(b"client-id").filter(|s| !s.is_empty()) {
                    app.add_client_id(id);
                }
            }
            "CONNECTED" => {
                if let Some(v) = h.get(b"version").filter(|s| !s.is_empty()) {
                    app.protocol_version = Some(v.to_string());
                    self.version_from_server = true;
                } else if !self.version_from_server {
                    app.protocol_version = Some("1.0".to_string());
                }
            }
            "SEND" | "MESSAGE" => {
                let dest = h.get(b"destination").filter(|s| !s.is_empty());
                let dir = if h.command == "SEND" {
                    TopicDirection::Publish
                } else {
                    TopicDirection::Subscribe
                };
                let _ = side;
                app.add_message(ts, dir, dest, body, size);
            }
            "SUBSCRIBE" => {
                if let Some(dest) = h.get(b"destination").filter(|s| !s.is_empty()) {
                    app.add_topic(dest, TopicDirection::Subscribe, 0);
                }
            }
            _ => {}
        }
    }
}

impl Dissect for Stomp {
    fn step(&mut self, side: Side, ts: Micros, buf: &[u8], app: &mut AppInfo) -> Step {
        let i = match side {
            Side::Client => 0,
            Side::Server => 1,
        };
        let eols = buf
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r' | b'\0'))
            .count();
        if eols > 0 {
            if eols == buf.len()
                && self.last_frame_ts[i].is_some_and(|t| t != ts)
                && side == Side::Client
            {
                app.pings += 1;
                self.last_frame_ts[i] = Some(ts);
            }
            return Step::Used(eols);
        }
        let h = match head(buf) {
            Ok(Some(h)) => h,
            Ok(None) => return Step::Need,
            Err(()) => return Step::Lost,
        };
        self.last_frame_ts[i] = Some(ts);
        let searched = &mut self.no_nul_before[i];
        let mut nul = |q: usize| {
            let from = q.max(*searched);
            let found = buf
                .get(from..)
                .and_then(|b| memchr::memchr(0, b))
                .map(|n| from + n);
            if found.is_none() {
                *searched = buf.len();
            }
            found
        };
        let Some((body_len, total)) = frame_len(&h, &mut nul) else {
            // Incomplete; at a full buffer the frame cannot be read and the engine drops it.
            return Step::Need;
        };
        self.no_nul_before[i] = 0;
        let whole = total <= buf.len() as u64;
        if !whole && (total <= BUF_CAP as u64 || buf.len() < BUF_CAP) {
            return Step::Need;
        }
        if whole && buf.get(total as usize - 1) != Some(&0) {
            return Step::Lost;
        }
        let body_end = (h.body_at + body_len).min(buf.len());
        let body = buf.get(h.body_at..body_end).unwrap_or(&[]);
        let size = u32::try_from(body_len).unwrap_or(u32::MAX);
        self.frame(side, ts, &h, body, size, app);
        if whole {
            Step::Used(total as usize)
        } else {
            Step::Skip(total)
        }
    }

    fn resync(&self, _side: Side, buf: &[u8]) -> Option<usize> {
        scan(buf, true)
    }

    fn gap(&mut self, side: Side) {
        self.no_nul_before[side.index()] = 0;
    }

    fn front_moved(&mut self, side: Side) {
        self.no_nul_before[side.index()] = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dpi::Side::*;
    use crate::dpi::testutil::{run, run_bytewise};

    fn exchange() -> Vec<(Side, &'static [u8])> {
        vec![
            (Client, b"CONNECT\naccept-version:1.0,1.1,1.2\nhost:/\nlogin:admin\npasscode:x\nheart-beat:10000,0\n\n\0"),
            (Server, b"CONNECTED\nversion:1.2\nheart-beat:0,10000\n\n\0"),
            (Client, b"SUBSCRIBE\nid:0\ndestination:/topic/cmd\nack:auto\n\n\0"),
            (Client, b"SEND\ndestination:/queue/out\ncontent-length:5\n\nhe\0lo\0\n"),
            (Server, b"message\ndestination:/topic/cmd\nmessage-id:1\n\nrun\0"),
            (Client, b"\n"),
        ]
    }

    #[test]
    fn a_host_header_is_a_server_name_only_when_it_is_a_dns_name() {
        let named: Vec<(Side, &'static [u8])> = vec![(
            Client,
            b"CONNECT\naccept-version:1.2\nhost:mq.example.org\n\n\0",
        )];
        let app = run(&named);
        assert!(app.server_names.contains("mq.example.org"), "{app:?}");
        let vhost: Vec<(Side, &'static [u8])> =
            vec![(Client, b"CONNECT\naccept-version:1.2\nhost:prod\n\n\0")];
        let app = run(&vhost);
        assert_eq!(
            app.server_names.iter().collect::<Vec<_>>(),
            ["vhost:prod"],
            "{app:?}"
        );
    }

    #[test]
    fn connect_session() {
        for app in [run(&exchange()), run_bytewise(&exchange())] {
            assert_eq!(app.protocol, Some(Protocol::Stomp));
            assert_eq!(app.protocol_version.as_deref(), Some("1.2"));
            assert!(app.usernames.contains("admin"));
            assert!(
                app.server_names.contains("vhost:/"),
                "{:?}",
                app.server_names
            );
            assert_eq!(app.keepalive_secs, Some(10));
            assert_eq!(app.messages.len(), 2);
            assert_eq!(app.messages[0].size, 5);
            assert_eq!(app.pings, 1);
            assert!(
                app.topics
                    .iter()
                    .any(|t| t.name == "/topic/cmd" && t.messages == 1)
            );
        }
    }

    #[test]
    fn http_connect_is_not_stomp() {
        let app = run(&[(
            Client,
            b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        )]);
        assert_eq!(app.protocol, None);
    }

    #[test]
    fn mid_stream_send() {
        let app = run(&[(Client, b"ly:1\n\n\0SEND\ndestination:/queue/a\n\nx\0")]);
        assert_eq!(app.protocol, Some(Protocol::Stomp));
        assert_eq!(app.topics[0].name, "/queue/a");
    }
}
