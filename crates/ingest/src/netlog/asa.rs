//! Cisco ASA and FTD connection syslog: 302013/302015 (Built TCP/UDP connection) and
//! 302014/302016 (Teardown), paired by connection id within a stream.
//!
//! Orientation: a Built `outbound` line prints the responder first (`for outside:RESP to
//! inside:INIT`), a Built `inbound` line the initiator first. Teardown lines repeat the Built
//! line's order but do not say which it was, so the reader keeps the Built line of every open
//! connection in a table bounded by [`MAX_PENDING`]; when it is full the oldest entry is emitted
//! unpaired. A paired connection gets its start from the Built line and its end and outcome
//! (`SYN Timeout` is a connection that was never established) from the Teardown. A Built line
//! never torn down in the stream is emitted at the end with outcome unknown. A Teardown whose
//! Built line was not seen (an earlier file, an evicted entry) has no orientation: the side with
//! the lower port is taken as the responder (the usual client/server port split) and the
//! direction is unknown.
//!
//! Bytes: the ASA logs one total for both directions (`bytes N`), not per direction, so
//! `bytes_out`/`bytes_in` stay unknown rather than being made up. The syslog host is the
//! firewall (the observer), so `host` stays empty. Header times without a year (RFC 3164) give
//! no timestamp: guessing the year would make results depend on when the hunt runs.

use super::common::{blank_event, civil_utc, clip, month_number};
use super::lines::each_line;
use pubsub_hunt_core::time::{Micros, parse_rfc3339};
use pubsub_hunt_core::{ConnEvent, Direction, Outcome, Transport};
use pubsub_hunt_reader::{
    CERTAIN, Confidence, FormatSpec, ProblemKind, Reader, Record, RecordSink, StreamFormat,
};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::net::IpAddr;

/// The format name.
pub const NAME: &str = "cisco-asa";

/// Most Built lines waiting for their Teardown.
pub const MAX_PENDING: usize = 65_536;

/// One side of a connection as the message prints it.
#[derive(Debug, Clone, PartialEq)]
struct Side {
    addr: Option<IpAddr>,
    /// The printed name when the ASA shows a host name (`names` configured) instead of an address.
    name: String,
    port: Option<u16>,
    /// Identity-firewall user attached to this side.
    user: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Built { outbound: bool },
    Teardown,
}

/// One parsed 30201x message.
#[derive(Debug, Clone, PartialEq)]
struct Message {
    kind: Kind,
    transport: Transport,
    conn_id: u64,
    for_side: Side,
    to_side: Side,
    /// The trailing `(user)` (AAA user) of the message.
    user: Option<String>,
    ts: Option<Micros>,
    /// Teardown: duration in seconds and reason.
    duration: Option<u64>,
    reason: Option<String>,
}

/// What a line is.
#[derive(Debug)]
enum Line {
    Conn(Box<Message>),
    /// Another ASA message (or anything else in the stream).
    Other,
}

/// Finds `%ASA-<level>-<id>` or `%FTD-<level>-<id>`: the message id and where the text after it
/// starts.
fn message_id(line: &str) -> Option<(usize, u32, usize)> {
    let start = line.find("%ASA-").or_else(|| line.find("%FTD-"))?;
    let rest = line.get(start + 5..)?;
    let (_level, rest) = rest.split_once('-')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id: u32 = rest.get(..digits)?.parse().ok()?;
    let after = start + 5 + (line.len() - start - 5 - rest.len()) + digits;
    Some((start, id, after))
}

/// The time in a syslog prefix: `Mmm dd [yyyy] HH:MM:SS[:]` or an RFC 3339 token.
fn header_time(prefix: &str) -> Option<Micros> {
    let tokens: Vec<&str> = prefix.split_whitespace().take(16).collect();
    for (i, t) in tokens.iter().enumerate() {
        if t.contains('T') && t.contains('-') && t.contains(':') {
            let t = t.trim_end_matches(':');
            if let Some(ts) = parse_rfc3339(t) {
                return Some(ts);
            }
        }
        let Some(month) = month_number(t) else {
            continue;
        };
        let day: u32 = tokens.get(i + 1)?.parse().ok()?;
        let year_or_time = tokens.get(i + 2)?;
        if year_or_time.len() == 4 && year_or_time.bytes().all(|b| b.is_ascii_digit()) {
            let year: i32 = year_or_time.parse().ok()?;
            return civil_utc(year, month, day, tokens.get(i + 3)?);
        }
        return None;
    }
    None
}

/// Splits `iface:addr/port(user)(…)` into the side and the parenthesised groups glued to it.
fn parse_side(token: &str) -> Result<(Side, Vec<&str>), String> {
    let mut pieces = token.split('(');
    let endpoint = pieces.next().unwrap_or_default();
    let groups: Vec<&str> = pieces.map(|p| p.trim_end_matches(')')).collect();
    let (_iface, addr_port) = endpoint
        .split_once(':')
        .ok_or_else(|| format!("bad endpoint {:?}", clip(endpoint, 60)))?;
    let (addr, port) = match addr_port.rsplit_once('/') {
        Some((a, p)) => (
            a,
            Some(
                p.parse::<u16>()
                    .map_err(|_| format!("bad port in {:?}", clip(endpoint, 60)))?,
            ),
        ),
        None => (addr_port, None),
    };
    Ok((
        Side {
            addr: addr.parse().ok(),
            name: addr.to_string(),
            port,
            user: None,
        },
        groups,
    ))
}

/// A parenthesised group that is a mapped `addr/port`, not a user.
fn is_mapped(group: &str) -> bool {
    group
        .rsplit_once('/')
        .is_some_and(|(a, p)| a.parse::<IpAddr>().is_ok() && p.parse::<u16>().is_ok())
}

/// `h:mm:ss` (hours may exceed 24).
fn duration_secs(s: &str) -> Option<u64> {
    let mut parts = s.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, sec) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    h.checked_mul(3600)?
        .checked_add(m.checked_mul(60)?)?
        .checked_add(sec)
}

/// Parses one line of the stream.
fn parse_line(line: &str) -> Result<Line, String> {
    let Some((start, id, after)) = message_id(line) else {
        return Ok(Line::Other);
    };
    if !(302013..=302016).contains(&id) {
        return Ok(Line::Other);
    }
    let ts = header_time(line.get(..start).unwrap_or_default());
    let body = line.get(after..).unwrap_or_default();
    let body = body.strip_prefix(':').unwrap_or(body);
    let tokens: Vec<&str> = body.split_whitespace().take(64).collect();
    let mut i = 0;
    let word = |i: usize| tokens.get(i).copied().unwrap_or_default();
    let kind = match word(i) {
        "Built" => {
            i += 1;
            let outbound = match word(i) {
                "outbound" => true,
                "inbound" => false,
                other => {
                    return Err(format!(
                        "Built neither inbound nor outbound: {:?}",
                        clip(other, 20)
                    ));
                }
            };
            i += 1;
            if word(i).trim_matches(|c| c == '[' || c == ']') == "Probe" {
                i += 1;
            }
            Kind::Built { outbound }
        }
        "Teardown" => {
            i += 1;
            Kind::Teardown
        }
        other => return Err(format!("unexpected message start {:?}", clip(other, 20))),
    };
    let transport = Transport::from_label(word(i));
    i += 1;
    if word(i) != "connection" {
        return Err("no \"connection\" after the protocol".into());
    }
    i += 1;
    let conn_id: u64 = word(i)
        .parse()
        .map_err(|_| format!("bad connection id {:?}", clip(word(i), 20)))?;
    i += 1;
    if word(i) != "for" {
        return Err("no \"for\" side".into());
    }
    i += 1;
    // Collects a side and the groups that follow it up to the next keyword.
    let read_side = |i: &mut usize| -> Result<(Side, Vec<String>), String> {
        let (mut side, glued) = parse_side(word(*i))?;
        let mut groups: Vec<String> = glued.into_iter().map(str::to_string).collect();
        *i += 1;
        while word(*i).starts_with('(') {
            groups.extend(
                word(*i)
                    .split('(')
                    .filter(|g| !g.is_empty())
                    .map(|g| g.trim_end_matches(')').to_string()),
            );
            *i += 1;
        }
        let mut users = groups.iter().filter(|g| !is_mapped(g));
        side.user = users.next().cloned();
        Ok((side, groups))
    };
    let (for_side, _) = read_side(&mut i)?;
    if word(i) != "to" {
        return Err("no \"to\" side".into());
    }
    i += 1;
    let (mut to_side, to_groups) = read_side(&mut i)?;
    // On Built lines the last non-mapped group after the `to` side may be the trailing AAA
    // user rather than the side's identity user: with two, the second is the AAA user.
    let to_users: Vec<&String> = to_groups.iter().filter(|g| !is_mapped(g)).collect();
    let mut user = None;
    if to_users.len() >= 2 {
        user = to_users.last().map(|u| u.to_string());
    } else if matches!(kind, Kind::Built { .. }) && to_users.len() == 1 {
        // One group after `to` cannot be told apart from the side's identity user; it is read
        // as the connection's AAA user, which an outbound initiator (the `to` side) falls back
        // to anyway and which an inbound one would otherwise lose.
        user = to_side.user.take();
    }
    let (mut duration, mut reason) = (None, None);
    if kind == Kind::Teardown {
        while i < tokens.len() {
            match word(i) {
                "duration" => {
                    duration = duration_secs(word(i + 1));
                    i += 2;
                }
                "bytes" => {
                    i += 2;
                    let mut words = Vec::new();
                    while i < tokens.len() && !word(i).starts_with('(') && word(i) != "from" {
                        words.push(word(i));
                        i += 1;
                    }
                    if !words.is_empty() {
                        reason = Some(words.join(" "));
                    }
                }
                w if w.starts_with('(') => {
                    user = Some(w.trim_start_matches('(').trim_end_matches(')').to_string());
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }
    Ok(Line::Conn(Box::new(Message {
        kind,
        transport,
        conn_id,
        for_side,
        to_side,
        user,
        ts,
        duration,
        reason,
    })))
}

/// Builds the event from an oriented pair of sides.
fn event(
    init: &Side,
    resp: &Side,
    transport: Transport,
    user: Option<String>,
) -> Result<ConnEvent, String> {
    let dst_ip = resp.addr.ok_or_else(|| {
        format!(
            "the responder is shown as a name ({:?}), not an address",
            clip(&resp.name, 40)
        )
    })?;
    let dst_port = resp.port.ok_or("the responder has no port")?;
    let mut ev = blank_event(dst_ip, dst_port, NAME);
    ev.src_ip = init.addr;
    ev.src_port = init.port;
    ev.transport = transport;
    ev.user = init.user.clone().or(user);
    Ok(ev)
}

/// The event of a Built line, oriented by its direction.
fn from_built(m: &Message, outbound: bool) -> Result<ConnEvent, String> {
    let (init, resp) = if outbound {
        (&m.to_side, &m.for_side)
    } else {
        (&m.for_side, &m.to_side)
    };
    let mut ev = event(init, resp, m.transport, m.user.clone())?;
    ev.ts = m.ts;
    ev.direction = if outbound {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    Ok(ev)
}

fn teardown_outcome(reason: Option<&str>) -> Outcome {
    match reason {
        Some(r) if r.starts_with("SYN Timeout") => Outcome::Failed,
        _ => Outcome::Succeeded,
    }
}

/// Completes a Built event with its Teardown.
fn complete(mut ev: ConnEvent, t: &Message) -> ConnEvent {
    ev.end = t.ts;
    ev.outcome = teardown_outcome(t.reason.as_deref());
    if ev.user.is_none() {
        ev.user = t.user.clone();
    }
    ev
}

/// The event of a Teardown whose Built line was not seen.
fn from_teardown_alone(m: &Message) -> Result<ConnEvent, String> {
    let for_port = m.for_side.port.unwrap_or(u16::MAX);
    let to_port = m.to_side.port.unwrap_or(u16::MAX);
    let (init, resp) = if for_port < to_port {
        (&m.to_side, &m.for_side)
    } else {
        (&m.for_side, &m.to_side)
    };
    let mut ev = event(init, resp, m.transport, m.user.clone())?;
    ev.end = m.ts;
    ev.ts = match (m.ts, m.duration) {
        (Some(end), Some(d)) => i64::try_from(d)
            .ok()
            .and_then(|d| d.checked_mul(1_000_000))
            .and_then(|d| end.checked_sub(d)),
        _ => None,
    };
    ev.outcome = teardown_outcome(m.reason.as_deref());
    Ok(ev)
}

/// A Built line waiting for its Teardown.
struct Pending {
    line: u64,
    seq: u64,
    event: ConnEvent,
}

/// Open connections by id, with the insertion order for eviction.
#[derive(Default)]
struct PendingTable {
    by_id: HashMap<u64, Pending>,
    order: BTreeMap<u64, u64>,
    next_seq: u64,
}

impl PendingTable {
    /// Inserts a Built event; returns an entry pushed out (same id reused, or the oldest when
    /// full).
    fn insert(&mut self, id: u64, line: u64, event: ConnEvent) -> Option<Pending> {
        let seq = self.next_seq;
        self.next_seq += 1;
        let mut out = self.remove(id);
        if out.is_none() && self.by_id.len() >= MAX_PENDING {
            let oldest = self.order.first_key_value().map(|(_, id)| *id);
            out = oldest.and_then(|old| self.remove(old));
        }
        self.order.insert(seq, id);
        self.by_id.insert(id, Pending { line, seq, event });
        out
    }

    fn remove(&mut self, id: u64) -> Option<Pending> {
        let p = self.by_id.remove(&id)?;
        self.order.remove(&p.seq);
        Some(p)
    }

    /// Every entry, oldest first.
    fn drain(&mut self) -> Vec<Pending> {
        let order = std::mem::take(&mut self.order);
        order
            .into_values()
            .filter_map(|id| self.by_id.remove(&id))
            .collect()
    }
}

/// The ASA reader for one stream.
#[derive(Default)]
pub struct AsaStream {
    pending: PendingTable,
    /// Lines with an ASA/FTD message tag, and lines (not blank) without one: a stream with
    /// none of the first is not an ASA log, whatever it was forced as.
    tagged: u64,
    untagged: u64,
}

impl AsaStream {
    fn handle(&mut self, line_no: u64, text: &[u8], sink: &mut dyn RecordSink) {
        if text.iter().all(u8::is_ascii_whitespace) {
            sink.record(line_no, Ok(Record::Skip));
            return;
        }
        let text = String::from_utf8_lossy(text);
        let m = match parse_line(&text) {
            Ok(Line::Other) => {
                if message_id(&text).is_some() {
                    self.tagged += 1;
                } else {
                    self.untagged += 1;
                }
                sink.record(line_no, Ok(Record::Other));
                return;
            }
            Ok(Line::Conn(m)) => m,
            Err(e) => {
                self.tagged += 1;
                sink.record(line_no, Err(e));
                return;
            }
        };
        self.tagged += 1;
        match m.kind {
            Kind::Built { outbound } => match from_built(&m, outbound) {
                Ok(ev) => {
                    if let Some(old) = self.pending.insert(m.conn_id, line_no, ev) {
                        sink.record(old.line, Ok(Record::Conn(Box::new(old.event))));
                    }
                }
                Err(e) => sink.record(line_no, Err(e)),
            },
            Kind::Teardown => match self.pending.remove(m.conn_id) {
                // The Teardown completes the Built line's record: one connection, one record.
                Some(p) => {
                    sink.record(p.line, Ok(Record::Conn(Box::new(complete(p.event, &m)))));
                    sink.record(line_no, Ok(Record::Skip));
                }
                None => sink.record(
                    line_no,
                    from_teardown_alone(&m).map(|e| Record::Conn(Box::new(e))),
                ),
            },
        }
    }
}

impl StreamFormat for AsaStream {
    fn name(&self) -> &'static str {
        NAME
    }

    fn read(&mut self, input: &mut dyn Read, sink: &mut dyn RecordSink) -> Result<(), String> {
        let result = each_line(input, sink, |n, t, sink| self.handle(n, t, sink));
        if self.tagged == 0 && self.untagged > 0 {
            sink.problem(
                None,
                ProblemKind::UnknownFormat,
                format!(
                    "none of the {} lines is a Cisco ASA/FTD message (%ASA- or %FTD- tag): not this format",
                    self.untagged
                ),
            );
        }
        for p in self.pending.drain() {
            sink.record(p.line, Ok(Record::Conn(Box::new(p.event))));
        }
        result
    }
}

/// The Cisco ASA / FTD format.
pub struct AsaSpec;

impl FormatSpec for AsaSpec {
    fn name(&self) -> &'static str {
        NAME
    }
    fn description(&self) -> &'static str {
        "Cisco ASA/FTD syslog 302013-302016 (Built/Teardown paired by connection id)"
    }
    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        let mut asa_lines = 0;
        for line in pubsub_hunt_reader::head_lines(head, 32) {
            let text = String::from_utf8_lossy(line);
            match message_id(&text) {
                Some((_, id, _)) if (302013..=302016).contains(&id) => return Some(CERTAIN),
                Some(_) => asa_lines += 1,
                None => {}
            }
        }
        // An ASA log whose first lines are other messages: still this format.
        (asa_lines > 0).then_some(pubsub_hunt_reader::LIKELY)
    }
    fn open(&self, _head: &[u8]) -> Result<Reader, String> {
        Ok(Reader::Stream(Box::new(AsaStream::default())))
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::tests::VecSink;
    use super::*;

    fn msg(line: &str) -> Message {
        match parse_line(line) {
            Ok(Line::Conn(m)) => *m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn absurd_durations_are_unknown_not_an_overflow() {
        // Found by the cisco_asa fuzz target: minutes of u64::MAX overflowed `m * 60`.
        assert_eq!(duration_secs("0:18446744073709551615:30"), None);
        assert_eq!(duration_secs("18446744073709551615:00:00"), None);
        assert_eq!(duration_secs("1:02:03"), Some(3723));
        assert_eq!(duration_secs("30:00:00"), Some(108_000));
    }

    #[test]
    fn header_variants() {
        let m = msg(
            "Apr 29 2013 12:59:50: %ASA-6-302013: Built outbound TCP connection 89743274 for outside:192.168.2.43/443 (192.168.2.43/443) to outside:10.123.3.42/4952 (10.123.3.42/12834)",
        );
        assert_eq!(m.ts, Some(1_367_240_390_000_000));
        assert_eq!(m.conn_id, 89743274);
        let m = msg(
            "Aug 15 2012 23:30:09 : %ASA-6-302016 Teardown UDP connection 40 for outside:10.44.4.4/500 to inside:10.44.2.2/500 duration 0:02:02 bytes 1416",
        );
        assert_eq!(m.duration, Some(122));
        assert_eq!(m.transport, Transport::Udp);
        let m = msg(
            "Nov 30 16:09:08 fw1 %ASA-6-302014: Teardown TCP connection 9 for outside:10.1.2.1/22 to inside:10.1.1.2/53496 duration 0:00:30 bytes 0 SYN Timeout",
        );
        assert_eq!(m.ts, None);
        assert_eq!(m.reason.as_deref(), Some("SYN Timeout"));
        let m = msg(
            "2021-01-15T19:12:37Z fw %FTD-6-302013: Built inbound [Probe] TCP connection 1 for o:1.2.3.4/1 (1.2.3.4/1) to i:10.0.0.1/2 (10.0.0.1/2)",
        );
        assert_eq!(m.ts, Some(1_610_737_957_000_000));
        assert_eq!(m.kind, Kind::Built { outbound: false });
    }

    #[test]
    fn identity_users_ipv6_and_names() {
        let m = msg(
            r"Jan 15 2021 19:12:37: %ASA-6-302015: Built inbound UDP connection 261311655 for OUTSIDE:67.43.156.15/63790 (81.2.69.193/63790)(LOCAL\domain\USER001) to INSIDE:192.168.0.1/53 (192.168.0.1/53) (domain\USER001)",
        );
        assert_eq!(m.for_side.user.as_deref(), Some(r"LOCAL\domain\USER001"));
        assert_eq!(m.to_side.user, None);
        assert_eq!(m.user.as_deref(), Some(r"domain\USER001"));
        let m = msg(
            r"Jan 15 2021 19:12:37: %ASA-6-302014: Teardown TCP connection 261246338 for OUTSIDE:67.43.156.15/50120(LOCAL\domain\USER001) to OUTSIDE:1.128.3.4/443 duration 0:02:05 bytes 9610 TCP FINs from OUTSIDE (domain\USER001)",
        );
        assert_eq!(m.for_side.user.as_deref(), Some(r"LOCAL\domain\USER001"));
        assert_eq!(m.reason.as_deref(), Some("TCP FINs"));
        assert_eq!(m.user.as_deref(), Some(r"domain\USER001"));
        let m = msg(
            "Jan 15 2021 19:12:37: %ASA-6-302013: Built inbound TCP connection 251933191 for OUTSIDE:2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6/62477 (2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6/62477) to OUTSIDE:2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6/443 (2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6/443) (soc@danskecommodities.com)",
        );
        assert_eq!(m.to_side.port, Some(443));
        assert!(m.to_side.addr.is_some_and(|a| a.is_ipv6()));
        assert_eq!(m.user.as_deref(), Some("soc@danskecommodities.com"));
        assert_eq!(m.to_side.user, None);
        let m = msg(
            "Dec 11 2018 08:01:31 <IP>: %ASA-6-302014: Teardown TCP connection 447236 for outside:192.168.2.222/1234 to dmz:OCSP_Server/5678 duration 0:00:00 bytes 14804 TCP FINs",
        );
        assert_eq!(m.to_side.addr, None);
        assert_eq!(m.to_side.name, "OCSP_Server");
        // Without its Built line the lower port is the responder: here the named side is the
        // initiator, which needs no address.
        let ev = from_teardown_alone(&m).unwrap();
        assert_eq!((ev.src_ip, ev.dst_port), (None, 1234));
        let m = msg(
            "%ASA-6-302014: Teardown TCP connection 1 for dmz:OCSP_Server/80 to inside:10.0.0.1/5678 duration 0:00:00 bytes 1 TCP FINs",
        );
        assert!(from_teardown_alone(&m).is_err());
    }

    #[test]
    fn other_messages_and_errors() {
        assert!(matches!(
            parse_line("Apr 29 2013 12:59:50: %ASA-4-106023: Deny tcp src"),
            Ok(Line::Other)
        ));
        assert!(matches!(parse_line("plain text"), Ok(Line::Other)));
        assert!(parse_line("%ASA-6-302013: Built sideways TCP connection 1").is_err());
        assert!(parse_line("%ASA-6-302013: Built outbound TCP connection x for").is_err());
    }

    #[test]
    fn the_pending_table_is_bounded_and_evicts_the_oldest() {
        let mut s = AsaStream::default();
        let mut sink = VecSink::default();
        let mut data = String::new();
        for id in 0..(MAX_PENDING as u64 + 2) {
            data.push_str(&format!("%ASA-6-302013: Built outbound TCP connection {id} for outside:198.51.100.1/1883 (198.51.100.1/1883) to inside:10.0.0.1/40000 (10.0.0.1/40000)\n"));
        }
        s.read(&mut data.as_bytes(), &mut sink).unwrap();
        assert_eq!(sink.records.len(), MAX_PENDING + 2);
        // The first two records out are the two oldest, pushed out while reading.
        assert_eq!(sink.records[0].0, 1);
        assert_eq!(sink.records[1].0, 2);
        assert!(s.pending.by_id.is_empty() && s.pending.order.is_empty());
    }
}
