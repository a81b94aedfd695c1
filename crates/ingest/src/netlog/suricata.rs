//! Suricata EVE JSON (`eve.json`): `flow` events are connections (`flow.bytes_toserver` /
//! `bytes_toclient`, `flow.start`/`end`, `flow.state`, `app_proto` as the protocol Suricata
//! identified); `mqtt` events stand in for a connection only when no `flow` event of the same
//! `flow_id` is in the stream.
//!
//! Why a stream reader: Suricata writes one `mqtt` event per MQTT transaction (CONNECT, every
//! PUBLISH, …) and one `flow` event when the flow ends, after them. Counting every `mqtt` event
//! would count messages as connections, and counting both would count each connection twice. So
//! the reader keeps, per `flow_id`, the first `mqtt` event of flows it has not seen end (at most
//! [`MAX_PENDING`]; the oldest is emitted when full): the `flow` event replaces it (adding MQTT to
//! what was identified), and flows never ended in the stream are emitted at its end, with no
//! bytes (the `mqtt` events carry none) and the CONNACK's return code as the outcome. A `tls`
//! event's `tls.sni` is kept (at most [`MAX_NAMES`] flows) for its flow's `flow` event, written
//! later, whose connection it names (`ConnEvent::dst_name`, as a source that resolves names
//! does): only the connections that are candidates keep a name, so the names of a day of web
//! traffic are not a table of their own. Other event types (`dns`, `alert`, …) are other
//! records; they are recognised from `event_type` without parsing the whole line.
//!
//! Suricata has no notion of a monitored side, so the direction is unknown; `src_*` is the side
//! that sent the flow's first packet, the initiator.

use super::common::{blank_event, clip};
use super::json::first_value;
use super::lines::each_line;
use super::recent::Recent;
use pubsub_hunt_core::time::parse_rfc3339;
use pubsub_hunt_core::{ConnEvent, Outcome, Protocol, Transport};
use pubsub_hunt_reader::{
    CERTAIN, Confidence, FormatSpec, LIKELY, Reader, Record, RecordSink, StreamFormat,
};
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::net::IpAddr;

/// The format name.
pub const NAME: &str = "suricata-eve";

/// Most flows with `mqtt` events waiting for their `flow` event.
pub const MAX_PENDING: usize = 65_536;
/// Most ended flow ids remembered, to drop `mqtt` events written after their `flow` event.
pub const MAX_ENDED: usize = 65_536;
/// Most flows whose `tls` event's server name waits for their `flow` event.
pub const MAX_NAMES: usize = 65_536;

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar<'a> {
    Num(u64),
    #[serde(borrow)]
    Str(Cow<'a, str>),
    Other(IgnoredAny),
}

impl Scalar<'_> {
    fn as_u64(&self) -> Option<u64> {
        match self {
            Scalar::Num(n) => Some(*n),
            Scalar::Str(s) => s.trim().parse().ok(),
            Scalar::Other(_) => None,
        }
    }
    fn as_str(&self) -> Option<Cow<'_, str>> {
        match self {
            Scalar::Num(n) => Some(Cow::Owned(n.to_string())),
            Scalar::Str(s) => Some(Cow::Borrowed(s.as_ref())),
            Scalar::Other(_) => None,
        }
    }
}

#[derive(Deserialize)]
struct Eve<'a> {
    #[serde(default, borrow)]
    event_type: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    flow_id: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    timestamp: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    src_ip: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    src_port: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    dest_ip: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    dest_port: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    proto: Option<Scalar<'a>>,
    #[serde(default, borrow)]
    app_proto: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    flow: Option<EveFlow<'a>>,
    #[serde(default)]
    mqtt: Option<EveMqtt>,
    #[serde(default, borrow)]
    tls: Option<EveTls<'a>>,
    #[serde(default, borrow)]
    community_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EveTls<'a> {
    #[serde(default, borrow)]
    sni: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EveFlow<'a> {
    #[serde(default)]
    bytes_toserver: Option<u64>,
    #[serde(default)]
    bytes_toclient: Option<u64>,
    #[serde(default)]
    pkts_toserver: Option<u64>,
    #[serde(default)]
    pkts_toclient: Option<u64>,
    #[serde(default, borrow)]
    start: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    end: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    state: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct EveMqtt {
    #[serde(default)]
    connack: Option<Connack>,
}

#[derive(Deserialize)]
struct Connack {
    #[serde(default)]
    return_code: Option<u64>,
}

/// The `event_type` of a compact EVE line, found without parsing it.
fn quick_event_type(line: &[u8]) -> Option<&[u8]> {
    const KEY: &[u8] = b"\"event_type\":\"";
    let at = memchr::memmem::find(line, KEY)? + KEY.len();
    let rest = line.get(at..)?;
    let end = memchr::memchr(b'"', rest)?;
    rest.get(..end)
}

/// A compact `tls` event's `flow_id` and `tls.sni`, found without parsing the line (a day of
/// EVE holds a `tls` event for every HTTPS flow): `None` when either is not there in its plain
/// compact form (no spaces, an unescaped name), and the line is then parsed.
fn quick_tls_name(line: &[u8]) -> Option<(u64, &str)> {
    const ID: &[u8] = b"\"flow_id\":";
    const SNI: &[u8] = b"\"sni\":\"";
    let at = memchr::memmem::find(line, ID)? + ID.len();
    let digits = line.get(at..)?;
    let len = digits.iter().take_while(|b| b.is_ascii_digit()).count();
    let id = std::str::from_utf8(digits.get(..len)?).ok()?.parse().ok()?;
    let at = memchr::memmem::find(line, SNI)? + SNI.len();
    let rest = line.get(at..)?;
    let name = rest.get(..memchr::memchr(b'"', rest)?)?;
    if name.contains(&b'\\') {
        return None;
    }
    Some((id, std::str::from_utf8(name).ok()?))
}

fn time(s: Option<&Cow<'_, str>>, what: &str) -> Result<Option<i64>, String> {
    match s {
        None => Ok(None),
        Some(s) => parse_rfc3339(s)
            .map(Some)
            .ok_or_else(|| format!("bad {what} {:?}", clip(s, 40))),
    }
}

/// The connection fields every EVE event has. `None` when it has no ports (ICMP).
fn base_event(e: &Eve<'_>) -> Result<Option<ConnEvent>, String> {
    let dst = e.dest_ip.as_deref().ok_or("dest_ip is missing")?;
    let dst_ip: IpAddr = dst
        .parse()
        .map_err(|_| format!("bad dest_ip {:?}", clip(dst, 40)))?;
    let Some(dst_port) = e.dest_port.as_ref() else {
        return Ok(None);
    };
    let dst_port = dst_port
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or("bad dest_port")?;
    let mut ev = blank_event(dst_ip, dst_port, NAME);
    ev.src_ip = match e.src_ip.as_deref() {
        None => None,
        Some(s) => Some(
            s.parse()
                .map_err(|_| format!("bad src_ip {:?}", clip(s, 40)))?,
        ),
    };
    ev.src_port = match &e.src_port {
        None => None,
        Some(p) => Some(
            p.as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .ok_or("bad src_port")?,
        ),
    };
    ev.transport = e
        .proto
        .as_ref()
        .and_then(|p| p.as_str().map(|s| Transport::from_label(&s)))
        .unwrap_or(Transport::Unknown);
    ev.ts = time(e.timestamp.as_ref(), "timestamp")?;
    // Suricata writes it with `community-id: true` (the default in recent configurations);
    // bounded so a hostile line cannot make every event carry a megabyte.
    ev.community_id = e
        .community_id
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| pubsub_hunt_core::bounded::capped(c, 64).to_string());
    Ok(Some(ev))
}

fn from_flow(e: &Eve<'_>) -> Result<Option<ConnEvent>, String> {
    let Some(mut ev) = base_event(e)? else {
        return Ok(None);
    };
    if let Some(label) = e
        .app_proto
        .as_deref()
        .filter(|l| !l.is_empty() && *l != "failed" && *l != "unknown")
    {
        ev.identified = Protocol::from_label(label).into_iter().collect();
        ev.app_label = Some(label.to_string());
    }
    if let Some(f) = &e.flow {
        if let Some(start) = time(f.start.as_ref(), "flow.start")? {
            ev.ts = Some(start);
        }
        ev.end = time(f.end.as_ref(), "flow.end")?;
        ev.bytes_out = f.bytes_toserver;
        ev.bytes_in = f.bytes_toclient;
        ev.packets_out = f.pkts_toserver;
        ev.packets_in = f.pkts_toclient;
        ev.outcome = match (f.state.as_deref(), f.pkts_toclient) {
            // Only the initiator's packets were seen: never established.
            (_, Some(0)) | (Some("new"), _) if ev.transport == Transport::Tcp => Outcome::Failed,
            (Some(_), _) => Outcome::Succeeded,
            (None, _) => Outcome::Unknown,
        };
    }
    Ok(Some(ev))
}

fn from_mqtt(e: &Eve<'_>) -> Result<Option<ConnEvent>, String> {
    let Some(mut ev) = base_event(e)? else {
        return Ok(None);
    };
    ev.identified = vec![Protocol::Mqtt];
    ev.app_label = Some("mqtt".into());
    ev.outcome = connack_outcome(e).unwrap_or(Outcome::Unknown);
    Ok(Some(ev))
}

fn connack_outcome(e: &Eve<'_>) -> Option<Outcome> {
    let code = e.mqtt.as_ref()?.connack.as_ref()?.return_code?;
    Some(if code == 0 {
        Outcome::Succeeded
    } else {
        Outcome::Failed
    })
}

/// An `mqtt` event waiting for its flow's `flow` event.
struct Pending {
    line: u64,
    seq: u64,
    event: ConnEvent,
}

/// The EVE reader for one stream.
#[derive(Default)]
pub struct EveStream {
    pending: HashMap<u64, Pending>,
    pending_order: BTreeMap<u64, u64>,
    next_seq: u64,
    ended: Recent<(), MAX_ENDED>,
    /// The TLS server name of flows whose `flow` event has not come yet.
    names: Recent<String, MAX_NAMES>,
}

impl EveStream {
    fn take_pending(&mut self, flow_id: u64) -> Option<Pending> {
        let p = self.pending.remove(&flow_id)?;
        self.pending_order.remove(&p.seq);
        Some(p)
    }

    /// Keeps a `tls` event's server name for its flow's `flow` event.
    fn remember_name(&mut self, flow_id: u64, name: &str) {
        let name = pubsub_hunt_core::app::bounded_name(name.trim());
        if !name.is_empty() && !self.names.contains(flow_id) {
            self.names.insert(flow_id, name.to_string());
        }
    }

    fn remember_ended(&mut self, flow_id: u64) {
        self.ended.insert(flow_id, ());
    }

    fn handle(&mut self, line_no: u64, line: &[u8], sink: &mut dyn RecordSink) {
        if line.iter().all(u8::is_ascii_whitespace) {
            sink.record(line_no, Ok(Record::Skip));
            return;
        }
        match quick_event_type(line) {
            Some(b"flow" | b"mqtt") | None => {}
            Some(b"tls") => {
                if let Some((id, name)) = quick_tls_name(line) {
                    self.remember_name(id, name);
                    sink.record(line_no, Ok(Record::Other));
                    return;
                }
            }
            Some(_) => {
                sink.record(line_no, Ok(Record::Other));
                return;
            }
        }
        let e: Eve<'_> = match serde_json::from_slice(line) {
            Ok(e) => e,
            Err(err) => {
                sink.record(line_no, Err(format!("bad JSON: {err}")));
                return;
            }
        };
        let flow_id = e.flow_id.as_ref().and_then(Scalar::as_u64);
        match e.event_type.as_deref() {
            Some("flow") => {
                let merged = flow_id.and_then(|id| {
                    self.remember_ended(id);
                    self.take_pending(id)
                });
                match from_flow(&e) {
                    Ok(Some(mut ev)) => {
                        if merged.is_some() && !ev.identified.contains(&Protocol::Mqtt) {
                            ev.identified.push(Protocol::Mqtt);
                        }
                        ev.dst_name = flow_id.and_then(|id| self.names.remove(id));
                        sink.record(line_no, Ok(Record::Conn(Box::new(ev))));
                    }
                    Ok(None) => sink.record(line_no, Ok(Record::Other)),
                    Err(err) => sink.record(line_no, Err(err)),
                }
                if let Some(p) = merged {
                    sink.record(p.line, Ok(Record::Other));
                }
            }
            Some("mqtt") => {
                let Some(id) = flow_id else {
                    // Cannot be paired with anything: the event stands alone.
                    let rec = from_mqtt(&e)
                        .map(|o| o.map_or(Record::Other, |ev| Record::Conn(Box::new(ev))));
                    sink.record(line_no, rec);
                    return;
                };
                if self.ended.contains(id) {
                    sink.record(line_no, Ok(Record::Other));
                    return;
                }
                if let Some(p) = self.pending.get_mut(&id) {
                    if p.event.outcome == Outcome::Unknown
                        && let Some(o) = connack_outcome(&e)
                    {
                        p.event.outcome = o;
                    }
                    sink.record(line_no, Ok(Record::Other));
                    return;
                }
                match from_mqtt(&e) {
                    Ok(Some(ev)) => {
                        if self.pending.len() >= MAX_PENDING
                            && let Some((_, old)) = self.pending_order.pop_first()
                            && let Some(p) = self.pending.remove(&old)
                        {
                            sink.record(p.line, Ok(Record::Conn(Box::new(p.event))));
                        }
                        let seq = self.next_seq;
                        self.next_seq += 1;
                        self.pending_order.insert(seq, id);
                        self.pending.insert(
                            id,
                            Pending {
                                line: line_no,
                                seq,
                                event: ev,
                            },
                        );
                    }
                    Ok(None) => sink.record(line_no, Ok(Record::Other)),
                    Err(err) => sink.record(line_no, Err(err)),
                }
            }
            Some("tls") => {
                if let (Some(id), Some(name)) =
                    (flow_id, e.tls.as_ref().and_then(|t| t.sni.as_deref()))
                {
                    self.remember_name(id, name);
                }
                sink.record(line_no, Ok(Record::Other));
            }
            _ => sink.record(line_no, Ok(Record::Other)),
        }
    }
}

impl StreamFormat for EveStream {
    fn name(&self) -> &'static str {
        NAME
    }

    fn read(&mut self, input: &mut dyn Read, sink: &mut dyn RecordSink) -> Result<(), String> {
        let result = each_line(input, sink, |n, t, sink| self.handle(n, t, sink));
        let order = std::mem::take(&mut self.pending_order);
        for id in order.into_values() {
            if let Some(p) = self.pending.remove(&id) {
                sink.record(p.line, Ok(Record::Conn(Box::new(p.event))));
            }
        }
        result
    }
}

/// The Suricata EVE format.
pub struct EveSpec;

impl FormatSpec for EveSpec {
    fn name(&self) -> &'static str {
        NAME
    }
    fn description(&self) -> &'static str {
        "Suricata EVE JSON: flow events (app_proto, bytes), mqtt events when no flow event exists"
    }
    fn sniff(&self, head: &[u8]) -> Option<Confidence> {
        let v = first_value(head)?;
        let has = |k: &str| v.get(k).is_some();
        let typed = v
            .get("event_type")
            .is_some_and(serde_json::Value::is_string);
        if typed && has("flow_id") {
            Some(CERTAIN)
        } else if typed && has("timestamp") && (has("src_ip") || has("dest_ip")) {
            Some(LIKELY)
        } else {
            None
        }
    }
    fn open(&self, _head: &[u8]) -> Result<Reader, String> {
        Ok(Reader::Stream(Box::new(EveStream::default())))
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::tests::VecSink;
    use super::*;

    fn read(data: &str) -> VecSink {
        let mut sink = VecSink::default();
        EveStream::default()
            .read(&mut data.as_bytes(), &mut sink)
            .unwrap();
        sink
    }

    fn conns(sink: &VecSink) -> Vec<(u64, &ConnEvent)> {
        sink.records
            .iter()
            .filter_map(|(n, r)| match r {
                Ok(Record::Conn(e)) => Some((*n, &**e)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn quick_tls_names() {
        assert_eq!(
            quick_tls_name(br#"{"flow_id":42,"event_type":"tls","tls":{"sni":"a.example"}}"#),
            Some((42, "a.example"))
        );
        // Anything else is left to the parser.
        assert_eq!(
            quick_tls_name(br#"{"flow_id": 42,"tls":{"sni":"a"}}"#),
            None
        );
        assert_eq!(
            quick_tls_name(br#"{"flow_id":42,"tls":{"sni":"a\u0041"}}"#),
            None
        );
        assert_eq!(
            quick_tls_name(br#"{"flow_id":42,"tls":{"version":"1.3"}}"#),
            None
        );
    }

    #[test]
    fn quick_type() {
        assert_eq!(
            quick_event_type(br#"{"timestamp":"x","event_type":"dns","src_ip":"1"}"#),
            Some(&b"dns"[..])
        );
        assert_eq!(quick_event_type(br#"{"event_type": "dns"}"#), None);
    }

    #[test]
    fn a_flow_event_replaces_the_mqtt_events_of_its_flow() {
        let data = concat!(
            r#"{"timestamp":"2020-05-19T18:00:39.016985+0200","flow_id":7,"event_type":"mqtt","src_ip":"10.0.0.5","src_port":60105,"dest_ip":"203.0.113.5","dest_port":1883,"proto":"TCP","mqtt":{"connect":{"client_id":"c"},"connack":{"return_code":0}}}"#,
            "\n",
            r#"{"timestamp":"2020-05-19T18:00:40.000000+0200","flow_id":7,"event_type":"mqtt","src_ip":"10.0.0.5","src_port":60105,"dest_ip":"203.0.113.5","dest_port":1883,"proto":"TCP","mqtt":{"publish":{"topic":"t"}}}"#,
            "\n",
            r#"{"timestamp":"2020-05-19T18:00:41.000000+0200","event_type":"dns","src_ip":"10.0.0.5","dest_ip":"10.0.0.1"}"#,
            "\n",
            r#"{"timestamp":"2020-05-19T18:05:00.000000+0200","flow_id":7,"event_type":"flow","src_ip":"10.0.0.5","src_port":60105,"dest_ip":"203.0.113.5","dest_port":1883,"proto":"TCP","app_proto":"mqtt","flow":{"pkts_toserver":5,"pkts_toclient":4,"bytes_toserver":300,"bytes_toclient":120,"start":"2020-05-19T18:00:39.000000+0200","end":"2020-05-19T18:04:00.000000+0200","state":"closed"}}"#,
            "\n",
        );
        let sink = read(data);
        let c = conns(&sink);
        assert_eq!(c.len(), 1);
        let (line, ev) = c[0];
        assert_eq!(line, 4);
        assert_eq!(ev.identified, vec![Protocol::Mqtt]);
        assert_eq!((ev.bytes_out, ev.bytes_in), (Some(300), Some(120)));
        assert_eq!(ev.ts, Some(1_589_904_039_000_000));
        assert_eq!(ev.end, Some(1_589_904_240_000_000));
        assert_eq!(ev.outcome, Outcome::Succeeded);
        // Every line is counted once: 1 connection, 3 other records.
        assert_eq!(sink.records.len(), 4);
    }

    #[test]
    fn mqtt_without_a_flow_event_stands_in_once() {
        let data = concat!(
            r#"{"timestamp":"2020-05-19T18:00:39.016985+0200","flow_id":8,"event_type":"mqtt","src_ip":"10.0.0.5","src_port":60105,"dest_ip":"203.0.113.5","dest_port":1883,"proto":"TCP","mqtt":{"connect":{"client_id":"c"}}}"#,
            "\n",
            r#"{"timestamp":"2020-05-19T18:00:39.116985+0200","flow_id":8,"event_type":"mqtt","src_ip":"10.0.0.5","src_port":60105,"dest_ip":"203.0.113.5","dest_port":1883,"proto":"TCP","mqtt":{"connack":{"return_code":5}}}"#,
            "\n",
        );
        let sink = read(data);
        let c = conns(&sink);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].0, 1);
        assert_eq!(c[0].1.identified, vec![Protocol::Mqtt]);
        assert_eq!(c[0].1.bytes_out, None);
        assert_eq!(c[0].1.outcome, Outcome::Failed);
        assert_eq!(c[0].1.ts, Some(1_589_904_039_016_985));
    }

    #[test]
    fn a_tls_events_server_name_names_its_flows_connection() {
        let tls = |id: u64, sni: &str| {
            format!(
                r#"{{"timestamp":"2024-03-04T08:00:01.500000+0000","flow_id":{id},"event_type":"tls","src_ip":"10.0.0.5","src_port":50001,"dest_ip":"52.124.71.51","dest_port":8884,"proto":"TCP","tls":{{"sni":"{sni}","version":"TLS 1.3"}}}}"#
            )
        };
        let flow = |id: u64| {
            format!(
                r#"{{"timestamp":"2024-03-04T08:00:03.000000+0000","flow_id":{id},"event_type":"flow","src_ip":"10.0.0.5","src_port":50001,"dest_ip":"52.124.71.51","dest_port":8884,"proto":"TCP","app_proto":"tls","flow":{{"pkts_toserver":9,"pkts_toclient":7,"bytes_toserver":900,"bytes_toclient":400,"start":"2024-03-04T08:00:01.000000+0000","end":"2024-03-04T08:00:03.000000+0000","state":"closed"}}}}"#
            )
        };
        let data = [
            tls(11, "broker.hivemq.com"),
            flow(11),
            flow(12),
            r#"{"timestamp":"2024-03-04T08:00:04.000000+0000","flow_id":13,"event_type":"tls","src_ip":"10.0.0.5","dest_ip":"52.124.71.51","dest_port":443,"tls":{"version":"TLS 1.2"}}"#.to_string(),
            flow(13),
        ]
        .map(|l| l + "\n")
        .concat();
        let sink = read(&data);
        let c = conns(&sink);
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].0, 2);
        assert_eq!(c[0].1.dst_name.as_deref(), Some("broker.hivemq.com"));
        assert_eq!(c[0].1.bytes_out, Some(900));
        assert_eq!(c[1].1.dst_name, None);
        assert_eq!(c[2].1.dst_name, None);
        assert_eq!(sink.records.len(), 5);
        // Names wait for their flows within a bound: the oldest go first.
        let mut s = EveStream::default();
        for id in 0..(MAX_NAMES as u64 + 10) {
            s.remember_name(id, "x.example");
        }
        assert_eq!(s.names.values.len(), MAX_NAMES);
        assert!(s.names.order.len() <= MAX_NAMES);
        assert!(!s.names.contains(0) && s.names.contains(MAX_NAMES as u64 + 9));
    }

    #[test]
    fn unanswered_tcp_flows_failed_and_icmp_is_other() {
        let data = concat!(
            r#"{"timestamp":"2023-09-18T06:13:21.216460+0000","flow_id":1,"event_type":"flow","src_ip":"192.168.100.237","src_port":49175,"dest_ip":"142.11.240.191","dest_port":5222,"proto":"TCP","app_proto":"failed","flow":{"pkts_toserver":2,"pkts_toclient":0,"bytes_toserver":120,"bytes_toclient":0,"state":"new"}}"#,
            "\n",
            r#"{"timestamp":"2023-09-18T06:13:21.216460+0000","flow_id":2,"event_type":"flow","src_ip":"192.168.100.237","dest_ip":"142.11.240.191","proto":"ICMP","flow":{"state":"new"}}"#,
            "\n",
            "{not json\n",
        );
        let sink = read(data);
        let c = conns(&sink);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].1.outcome, Outcome::Failed);
        assert_eq!(c[0].1.app_label, None);
        assert!(matches!(sink.records[1].1, Ok(Record::Other)));
        assert!(sink.records[2].1.is_err());
    }
}
