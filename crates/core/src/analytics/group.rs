//! Groups: what identifies one (the key an alert is raised for), the statistics kept per group
//! and how they merge (counts, sums, min/max and bounded smallest-N sets, all commutative and
//! associative, so any split of the input merges to the same groups), and what rating needs to
//! know about the other groups ([`GroupContext`]).

use crate::alert::Session;
use crate::app::AppInfo;
use crate::behaviour::interactive::ConnSpan;
use crate::behaviour::presence::Span;
use crate::bounded::insert_smallest;
use crate::event::ConnEvent;
use crate::protocol::Protocol;
use crate::record::RecordRef;
use crate::time::Micros;
use crate::verdict::AnalyticId;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// Most distinct application labels remembered per group (for explanations only).
const MAX_LABELS_PER_GROUP: usize = 8;
/// Most destination names remembered per group.
pub(super) const MAX_NAMES_PER_GROUP: usize = 8;
/// Records kept per group as evidence (the first by file and line).
pub const MAX_SAMPLES_PER_GROUP: usize = 3;
/// Connection start times kept per group for the beacon analysis (the earliest).
pub const MAX_STARTS_PER_GROUP: usize = 10_000;

/// What identifies a group: one alert at most per key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub analytic: AnalyticId,
    /// Tumbling window index (`ts div window`), `None` when the whole input is one window.
    pub window: Option<i64>,
    pub host: String,
    pub process: Option<String>,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub protocol: Protocol,
}

/// Statistics of one group. Every field merges commutatively.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupStats {
    pub connections: u64,
    pub first_seen: Option<Micros>,
    pub last_seen: Option<Micros>,
    pub bytes_out: Option<u64>,
    pub bytes_in: Option<u64>,
    pub packets_out: Option<u64>,
    pub packets_in: Option<u64>,
    /// The smallest `max_users_per_group` users (so the kept set does not depend on order).
    pub users: BTreeSet<String>,
    pub users_truncated: bool,
    pub src_ip: Option<IpAddr>,
    /// Application labels the source gave (`xmpp,ssl`), smallest few.
    pub labels: BTreeSet<String>,
    /// Input formats of the group's records.
    pub formats: BTreeSet<&'static str>,
    /// The first few records of the group by (file, line).
    pub samples: BTreeSet<RecordRef>,
    /// Deep-inspection results of the group's sessions, merged.
    pub app: Option<Box<AppInfo>>,
    /// Destination names the source resolved (Sysmon `DestinationHostname`…), smallest few.
    pub dst_names: BTreeSet<String>,
    /// (start, bytes sent) of connections with a known start, the earliest
    /// [`MAX_STARTS_PER_GROUP`] once rated (kept up to twice that between trims).
    pub conn_starts: Vec<(Micros, u64)>,
    /// When the last connection with a known end closed (a Zeek `duration`, a flow's last
    /// packet).
    pub last_end: Option<Micros>,
    /// Some connection's end is unknown (Sysmon records only the start), so how long the channel
    /// stayed open cannot be told.
    pub ends_unknown: bool,
    /// (start, end, bytes both ways) of the connections whose end is known, the earliest
    /// [`MAX_SPANS_PER_GROUP`] once judged (kept up to twice that between trims; see
    /// [`add_spans`]): what `interactive_use` judges.
    pub conn_spans: Vec<ConnSpan>,
}

/// Connection spans kept per group for the interactive-use judgement (the earliest).
pub const MAX_SPANS_PER_GROUP: usize = 1024;

/// Adds connection spans to a group's, keeping the earliest [`MAX_SPANS_PER_GROUP`] of the union
/// (trimmed at twice that): the one place spans are added or merged, so any split of the input
/// keeps the same ones once [`earliest_spans`] is taken.
pub(super) fn add_spans(v: &mut Vec<ConnSpan>, more: impl IntoIterator<Item = ConnSpan>) {
    v.extend(more);
    if v.len() >= 2 * MAX_SPANS_PER_GROUP {
        v.sort_unstable();
        v.truncate(MAX_SPANS_PER_GROUP);
    }
}

/// The earliest [`MAX_SPANS_PER_GROUP`] spans, sorted.
pub(super) fn earliest_spans(v: &[ConnSpan]) -> Vec<ConnSpan> {
    let mut out = v.to_vec();
    out.sort_unstable();
    out.truncate(MAX_SPANS_PER_GROUP);
    out
}

/// Keeps the `MAX_STARTS_PER_GROUP` earliest starts. Taking the smallest N of a union is the same
/// whatever order parts arrive in, so merges stay order-independent.
pub(super) fn trim_starts(v: &mut Vec<(Micros, u64)>) {
    if v.len() > MAX_STARTS_PER_GROUP {
        v.sort_unstable();
        v.truncate(MAX_STARTS_PER_GROUP);
    }
}

pub(super) fn insert_sample(set: &mut BTreeSet<RecordRef>, r: &RecordRef) {
    insert_smallest(set, r, MAX_SAMPLES_PER_GROUP);
}

/// The order sessions are reported in: by start, then the identifying fields.
pub(super) fn session_order(a: &Session, b: &Session) -> std::cmp::Ordering {
    (
        a.first_seen,
        a.src_ip,
        a.src_port,
        a.dst_ip,
        a.dst_port,
        a.protocol,
    )
        .cmp(&(
            b.first_seen,
            b.src_ip,
            b.src_port,
            b.dst_ip,
            b.dst_port,
            b.protocol,
        ))
}

/// Keeps the `max` earliest sessions (order-independent), counting the others.
pub(super) fn trim_sessions(v: &mut Vec<Session>, dropped: &mut u64, max: usize) {
    if v.len() > max {
        v.sort_by(session_order);
        *dropped += (v.len() - max) as u64;
        v.truncate(max);
    }
}

pub(super) fn merge_app(into: &mut Option<Box<AppInfo>>, from: &AppInfo) {
    match into {
        Some(a) => a.merge(from),
        None => *into = Some(Box::new(from.clone())),
    }
}

pub(super) fn min_opt<T: Ord + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

pub(super) fn max_opt<T: Ord + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

pub(super) fn sum_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl GroupStats {
    pub(super) fn add_event(&mut self, ev: &ConnEvent, max_users: usize) {
        self.connections += 1;
        self.first_seen = min_opt(self.first_seen, ev.ts);
        self.last_seen = max_opt(self.last_seen, ev.ts);
        match ev.end {
            Some(end) => self.last_end = max_opt(self.last_end, Some(end)),
            None => self.ends_unknown = true,
        }
        self.bytes_out = sum_opt(self.bytes_out, ev.bytes_out);
        self.bytes_in = sum_opt(self.bytes_in, ev.bytes_in);
        self.packets_out = sum_opt(self.packets_out, ev.packets_out);
        self.packets_in = sum_opt(self.packets_in, ev.packets_in);
        self.src_ip = min_opt(self.src_ip, ev.src_ip);
        if let Some(u) = ev.user.as_deref().filter(|u| !u.is_empty())
            && insert_smallest(&mut self.users, u, max_users)
        {
            self.users_truncated = true;
        }
        if let Some(l) = ev.app_label.as_deref().filter(|l| !l.is_empty()) {
            insert_smallest(&mut self.labels, l, MAX_LABELS_PER_GROUP);
        }
        if let Some(f) = ev.source_format {
            self.formats.insert(f);
        }
        if let Some(r) = &ev.origin {
            insert_sample(&mut self.samples, r);
        }
        if let Some(app) = &ev.app {
            merge_app(&mut self.app, app);
        }
        if let Some(n) = ev.dst_name.as_deref().filter(|n| !n.is_empty()) {
            insert_smallest(&mut self.dst_names, n, MAX_NAMES_PER_GROUP);
        }
        if let Some(ts) = ev.ts {
            self.conn_starts.push((ts, ev.bytes_out.unwrap_or(0)));
            if self.conn_starts.len() >= 2 * MAX_STARTS_PER_GROUP {
                trim_starts(&mut self.conn_starts);
            }
        }
        if let (Some(start), Some(end)) = (ev.ts, ev.end) {
            let both_ways = ev.bytes_out.unwrap_or(0) > 0 && ev.bytes_in.unwrap_or(0) > 0;
            add_spans(
                &mut self.conn_spans,
                [ConnSpan {
                    start,
                    end,
                    both_ways,
                }],
            );
        }
    }

    pub(super) fn merge(&mut self, o: GroupStats, max_users: usize) {
        self.connections += o.connections;
        self.first_seen = min_opt(self.first_seen, o.first_seen);
        self.last_seen = max_opt(self.last_seen, o.last_seen);
        self.last_end = max_opt(self.last_end, o.last_end);
        self.ends_unknown |= o.ends_unknown;
        self.bytes_out = sum_opt(self.bytes_out, o.bytes_out);
        self.bytes_in = sum_opt(self.bytes_in, o.bytes_in);
        self.packets_out = sum_opt(self.packets_out, o.packets_out);
        self.packets_in = sum_opt(self.packets_in, o.packets_in);
        self.src_ip = min_opt(self.src_ip, o.src_ip);
        self.users_truncated |= o.users_truncated;
        for u in &o.users {
            if insert_smallest(&mut self.users, u, max_users) {
                self.users_truncated = true;
            }
        }
        for l in &o.labels {
            insert_smallest(&mut self.labels, l, MAX_LABELS_PER_GROUP);
        }
        self.formats.extend(o.formats);
        for r in &o.samples {
            insert_sample(&mut self.samples, r);
        }
        if let Some(app) = &o.app {
            merge_app(&mut self.app, app);
        }
        for n in &o.dst_names {
            insert_smallest(&mut self.dst_names, n, MAX_NAMES_PER_GROUP);
        }
        self.conn_starts.extend(o.conn_starts);
        if self.conn_starts.len() >= 2 * MAX_STARTS_PER_GROUP {
            trim_starts(&mut self.conn_starts);
        }
        add_spans(&mut self.conn_spans, o.conn_spans);
    }
}

pub(super) type GroupMap = HashMap<GroupKey, GroupStats, foldhash::fast::RandomState>;

/// What a group's evidence needs from the other groups: its broker's other clients' publication
/// rates, and whether its process and broker are new in its window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupContext {
    /// Publications per hour of the other clients (groups) of the same broker.
    pub peer_rates: Vec<f64>,
    /// The window is not the data's first, and no earlier window has this process on this
    /// protocol.
    pub new_process: bool,
    /// The window is not the data's first, and no earlier window reached this broker.
    pub new_broker: bool,
    /// From the channel's (host, process, destination) first connection start to its last
    /// connection end, over all windows; `None` when some connection's end is unknown.
    pub channel_span: Option<Span>,
    /// From the earliest connection start to the latest start or end of all groups.
    pub data_span: Option<Span>,
}

/// Publications per hour of a group over its own active span (at least one minute), when
/// packet inspection saw any.
pub(crate) fn publication_rate(stats: &GroupStats) -> Option<f64> {
    let (published, first, last) = stats.app.as_deref()?.published_series()?;
    let hours = ((last - first) as f64 / 3.6e9).max(1.0 / 60.0);
    let count: u64 = published.iter().map(|m| u64::from(m.1)).sum();
    Some(count as f64 / hours)
}
