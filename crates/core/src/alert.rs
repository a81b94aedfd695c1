//! Alerts: what an analytic reports about one group of connections, with the fields that are
//! part of pubsub-hunt's output interface (JSON lines, CSV columns) and the reasons that explain
//! it. Field names here must not change meaning; later analytics add fields.

use crate::app::AppInfo;
use crate::protocol::Protocol;
use crate::record::RecordRef;
use crate::signal::SignalId;
use crate::time::{Micros, format_rfc3339};
use crate::verdict::{AnalyticId, Suspicion};
use serde::{Serialize, Serializer};
use std::net::IpAddr;

fn ser_time<S: Serializer>(t: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// One alert: a group of connections an analytic found worth a hunter's time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Always `alert` (sessions written by `--all-sessions` say `session`).
    pub kind: &'static str,
    /// The channel's stable id: the same channel (analytic, host, process, destination address
    /// and port, protocol) gets the same id on any machine, in any run and whatever else is in
    /// the data (see [`alert_id`]).
    pub id: String,
    pub analytic: AnalyticId,
    /// Every analytic that found something in this group: the port analytic that formed it and
    /// each behaviour analytic whose signals add up to more than zero.
    pub analytics: Vec<AnalyticId>,
    /// Always `T1071.005`.
    pub technique: &'static str,
    pub suspicion: Suspicion,
    /// What the seeds' suspicion matrix alone says (protocol and destination scope), before the
    /// behaviour evidence raised or lowered it.
    pub seed_suspicion: Suspicion,
    /// 0–100: the seed suspicion's base moved by the behaviour signals (see `signals`).
    pub score: u8,
    /// Each behaviour signal that contributed, with the points it added (negative: lowered).
    pub signals: std::collections::BTreeMap<SignalId, f64>,
    /// Earliest connection start in the group (RFC 3339 UTC); null when the source masks time.
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<Micros>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<Micros>,
    /// Host name, or the initiator address when the source has no host name.
    pub host: String,
    /// Accounts seen in the group (sorted).
    pub users: Vec<String>,
    /// Initiating process image; null when the source does not record processes.
    pub process: Option<String>,
    /// Initiator address (the lowest, when a host used several).
    pub src_ip: Option<IpAddr>,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    /// Names the log source resolved for the destination (Sysmon `DestinationHostname`, ECS
    /// `destination.domain`, UDM `target.hostname`); names seen in packets are in `app`.
    pub destination_names: Vec<String>,
    pub protocol: Protocol,
    /// Whether the destination is outside the internal networks.
    pub external: bool,
    /// Number of connections in the group.
    pub connections: u64,
    /// Payload bytes initiator → responder, summed; null when the source has no byte counts.
    pub bytes_sent: Option<u64>,
    /// Payload bytes responder → initiator, summed; null when the source has no byte counts.
    pub bytes_received: Option<u64>,
    /// Packets initiator → responder, summed; null when the source does not count packets.
    pub packets_sent: Option<u64>,
    /// Packets responder → initiator, summed; null when the source does not count packets.
    pub packets_received: Option<u64>,
    /// Short sentences a human can check, explaining why this is an alert at this suspicion.
    pub reasons: Vec<String>,
    /// The input formats the group's records came from (`zeek-tsv`, `sysmon-evtx`, …; several
    /// joined by `,`).
    pub source_format: String,
    /// A few records of the group (the first by file and line), to go back to the raw data.
    #[serde(serialize_with = "ser_samples")]
    pub samples: Vec<RecordRef>,
    /// The first few connections (at most [`crate::conn_ids::MAX_FLOW_REFS`], the earliest) as
    /// other tools name them: the Zeek `uid` where a Zeek log recorded the connection, the
    /// Community ID where the source wrote one or the tuple gives one.
    pub flows: Vec<crate::conn_ids::FlowRef>,
    /// The allowlist reason that suppressed this alert; only with `--show-suppressed`,
    /// null otherwise.
    pub suppressed_by: Option<String>,
    /// What deep packet inspection learned; null unless the source was a capture.
    pub app: Option<Box<AppInfo>>,
    /// With `--window`: every window the channel was active in and its connections there; null
    /// without a window.
    pub windows: Option<Vec<WindowCount>>,
    /// The inputs the alert's records came from (the first few by name), so a hunter sees which
    /// sources agree on a channel.
    pub sources: Vec<String>,
    /// Connection start times of the channel, sorted, at most [`MAX_TIMELINE`]: for a report's
    /// timeline and interval histogram. Not part of the JSON or CSV interface (a report draws
    /// it; the record lists stay in the raw data).
    #[serde(skip)]
    pub timeline: Vec<Micros>,
    /// Message times inside the channel's sessions and who sent each, sorted, at most
    /// [`MAX_TIMELINE`] (when packet inspection saw them): for a report's message row and the
    /// rhythm of publications. Kept apart from `app`, whose message list is cleared for output.
    #[serde(skip)]
    pub message_timeline: Vec<(Micros, crate::app::TopicDirection)>,
}

/// Most connection start times an alert carries in [`Alert::timeline`]. Enough to draw a
/// channel's rhythm; more would only make reports heavy.
pub const MAX_TIMELINE: usize = 512;

/// The timeline of a channel from its connection starts (any order, duplicates allowed):
/// sorted, and when there are more than [`MAX_TIMELINE`], an even sample over them that keeps
/// the first and the last, so the picture spans the whole channel. Depends only on the set of
/// starts, never on the order they came in.
pub fn timeline_of(starts: impl IntoIterator<Item = Micros>) -> Vec<Micros> {
    even_sample(starts.into_iter().collect())
}

/// The message timeline of a channel's sessions: sorted by time (then direction), sampled as
/// [`timeline_of`] samples starts. Depends only on the set of messages, never on their order.
pub fn message_timeline_of(
    messages: &[crate::app::MessageEvent],
) -> Vec<(Micros, crate::app::TopicDirection)> {
    even_sample(messages.iter().map(|m| (m.ts, m.direction)).collect())
}

/// `all` sorted, and when longer than [`MAX_TIMELINE`], an even sample over it that keeps the
/// first and the last.
fn even_sample<T: Ord + Copy>(mut all: Vec<T>) -> Vec<T> {
    all.sort_unstable();
    if all.len() <= MAX_TIMELINE {
        return all;
    }
    let last = all.len() - 1;
    (0..MAX_TIMELINE)
        .map(|i| all[i * last / (MAX_TIMELINE - 1)])
        .collect()
}

/// The stable id of the channel an alert reports: the first 16 hex digits of SHA-256 over the
/// fields that identify the channel, each followed by a NUL (so no two field lists collide), with
/// a version prefix so a future change of the identifying fields changes every id rather than
/// reusing one for a different channel. Only identity goes in, never counts or times: re-hunting
/// more data about the same channel keeps its id.
pub fn alert_id(
    analytic: AnalyticId,
    host: &str,
    process: Option<&str>,
    dst_ip: IpAddr,
    dst_port: u16,
    protocol: Protocol,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in [
        "pubsub-hunt-alert-v1",
        analytic.as_str(),
        host,
        process.unwrap_or(""),
        &dst_ip.to_string(),
        &dst_port.to_string(),
        protocol.as_str(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    // A present-but-empty process and an absent one must differ.
    h.update([u8::from(process.is_some())]);
    let digest = h.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Connections (or messages, when packet inspection counted more) in one window of a channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WindowCount {
    /// Start of the window (RFC 3339 UTC).
    #[serde(serialize_with = "ser_micros")]
    pub start: Micros,
    pub connections: u64,
}

fn ser_micros<S: serde::Serializer>(t: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_rfc3339(*t))
}

fn ser_samples<S: Serializer>(v: &[RecordRef], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::{SerializeMap, SerializeSeq};
    struct One<'a>(&'a RecordRef);
    impl Serialize for One<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(2))?;
            m.serialize_entry("file", &*self.0.file)?;
            m.serialize_entry("line", &self.0.line)?;
            m.end()
        }
    }
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for r in v {
        seq.serialize_element(&One(r))?;
    }
    seq.end()
}

#[cfg(test)]
impl Alert {
    /// A medium XMPP alert from `h1` with nothing else set, for tests to change what they need.
    pub(crate) fn for_tests() -> Alert {
        Alert {
            kind: "alert",
            id: "0123456789abcdef".into(),
            analytic: crate::verdict::AnalyticId::PubsubPort,
            analytics: vec![crate::verdict::AnalyticId::PubsubPort],
            technique: crate::TECHNIQUE,
            suspicion: Suspicion::Medium,
            seed_suspicion: Suspicion::Medium,
            score: 45,
            signals: std::collections::BTreeMap::new(),
            first_seen: None,
            last_seen: None,
            host: "h1".into(),
            users: vec![],
            process: None,
            src_ip: None,
            dst_ip: IpAddr::from([198, 51, 100, 1]),
            dst_port: 5222,
            destination_names: vec![],
            protocol: Protocol::Xmpp,
            external: true,
            connections: 3,
            bytes_sent: None,
            bytes_received: None,
            packets_sent: None,
            packets_received: None,
            reasons: vec![],
            source_format: "zeek-tsv".into(),
            samples: vec![],
            flows: vec![],
            suppressed_by: None,
            app: None,
            windows: None,
            sources: Vec::new(),
            timeline: Vec::new(),
            message_timeline: Vec::new(),
        }
    }
}

impl Alert {
    /// The order alerts are reported in: higher suspicion first, then more connections, then a
    /// stable order on the identifying fields so output never depends on input order.
    pub fn report_order(a: &Alert, b: &Alert) -> std::cmp::Ordering {
        b.score
            .cmp(&a.score)
            .then(b.suspicion.cmp(&a.suspicion))
            .then(b.connections.cmp(&a.connections))
            .then(a.analytic.cmp(&b.analytic))
            .then_with(|| a.host.cmp(&b.host))
            .then_with(|| a.process.cmp(&b.process))
            .then_with(|| a.dst_ip.cmp(&b.dst_ip))
            .then(a.dst_port.cmp(&b.dst_port))
            .then(a.protocol.cmp(&b.protocol))
            .then(a.first_seen.cmp(&b.first_seen))
    }
}

/// One publish/subscribe session seen by packet inspection, alert or not (`--all-sessions`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Session {
    /// Always `session`.
    pub kind: &'static str,
    pub protocol: Protocol,
    pub src_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Option<Micros>,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Option<Micros>,
    pub bytes_sent: Option<u64>,
    pub bytes_received: Option<u64>,
    pub packets_sent: Option<u64>,
    pub packets_received: Option<u64>,
    /// The local process that owned the socket (live capture), when known.
    pub process: Option<String>,
    pub user: Option<String>,
    pub app: AppInfo,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timelines_are_sorted_bounded_and_order_free() {
        assert_eq!(timeline_of([30, 10, 20, 10]), vec![10, 10, 20, 30]);
        let many: Vec<Micros> = (0..5_000).rev().map(|i| i * 1_000).collect();
        let t = timeline_of(many.iter().copied());
        assert_eq!(t.len(), MAX_TIMELINE);
        assert_eq!(t.first(), Some(&0));
        assert_eq!(t.last(), Some(&4_999_000));
        assert!(t.windows(2).all(|w| w[0] < w[1]));
        let mut shuffled = many.clone();
        shuffled.rotate_left(1_234);
        assert_eq!(timeline_of(shuffled), t);
    }

    #[test]
    fn message_timelines_survive_output_and_are_bounded_and_order_free() {
        use crate::app::TopicDirection::{Publish, Subscribe};
        let mut app = AppInfo::default();
        for i in (0..2000).rev() {
            let d = if i % 3 == 0 { Subscribe } else { Publish };
            app.add_message(i * 1_000_000, d, Some("t"), b"x", 1);
        }
        let t = message_timeline_of(&app.messages);
        assert!(!t.is_empty() && t.len() <= MAX_TIMELINE, "{}", t.len());
        assert!(t.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(
            t.first().map(|m| m.0),
            app.messages.iter().map(|m| m.ts).min()
        );
        let mut reversed = app.messages.clone();
        reversed.reverse();
        assert_eq!(message_timeline_of(&reversed), t);
        // What output keeps of the session no longer has the messages; the timeline has them.
        app.sort_for_output();
        assert!(app.messages.is_empty());
    }

    fn id(host: &str, process: Option<&str>, port: u16) -> String {
        alert_id(
            AnalyticId::PubsubPort,
            host,
            process,
            "198.51.100.7".parse().unwrap(),
            port,
            Protocol::Mqtt,
        )
    }

    #[test]
    fn the_id_is_fixed_by_the_channel_and_nothing_else() {
        // A golden value: the id is an interface (hunters keep it in tickets and state stores),
        // so changing how it is computed must show up here. Computed apart from this code with
        // Python: sha256(b"pubsub-hunt-alert-v1\0pubsub-port\0ws-01\0C:\\a.exe\0198.51.100.7\0
        // 1883\0MQTT\0\x01").hexdigest()[:16].
        assert_eq!(id("ws-01", Some("C:\\a.exe"), 1883), "fcea1b3a6a5960e9");
        assert_eq!(id("ws-01", Some("C:\\a.exe"), 1883).len(), 16);
        assert_ne!(id("ws-01", None, 1883), id("ws-01", Some(""), 1883));
        assert_ne!(id("ws-01", None, 1883), id("ws-01", None, 8883));
        assert_ne!(id("ws-01", None, 1883), id("ws-02", None, 1883));
        // Field boundaries are kept: moving text from one field to the next changes the id.
        assert_ne!(id("ws-0", Some("1a"), 1883), id("ws-01", Some("a"), 1883));
    }
}
