//! Groups: what identifies one (the key an alert is raised for), the statistics kept per group
//! and how they merge (counts, sums, min/max and bounded smallest-N sets, all commutative and
//! associative, so any split of the input merges to the same groups), and what rating needs to
//! know about the other groups ([`GroupContext`]).

use crate::alert::Session;
use crate::app::AppInfo;
use crate::behaviour::interactive::ConnSpan;
use crate::behaviour::presence::Span;
use crate::bounded::{SmallSet, insert_smallest};
use crate::conn_ids::{ConnIdent, MAX_IDS_KEPT};
use crate::event::ConnEvent;
use crate::protocol::Protocol;
use crate::record::RecordRef;
use crate::time::Micros;
use crate::verdict::AnalyticId;
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

/// Most distinct application labels remembered per group (for explanations only).
const MAX_LABELS_PER_GROUP: usize = 8;
/// Most destination names remembered per group.
pub(super) const MAX_NAMES_PER_GROUP: usize = 8;
/// Records kept per group as evidence (the first by file and line).
pub const MAX_SAMPLES_PER_GROUP: usize = 3;
/// Connection start times kept per group for the beacon analysis (the earliest).
pub const MAX_STARTS_PER_GROUP: usize = 10_000;
/// Inputs remembered per group (the smallest names), to list an alert's sources and to find the
/// extent of the data that holds it.
pub(super) const MAX_SOURCES_PER_GROUP: usize = 16;
/// Windows counted per group (the earliest); later windows are counted in `windows_dropped`.
pub(super) const MAX_WINDOWS_PER_GROUP: usize = 4_096;

/// What identifies a group, one channel between a client and a server: one alert at most per
/// key. Windows do not split a channel; they are counted inside it ([`GroupStats::windows`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub analytic: AnalyticId,
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
    pub users: SmallSet<String>,
    pub users_truncated: bool,
    pub src_ip: Option<IpAddr>,
    /// Application labels the source gave (`xmpp,ssl`), smallest few.
    pub labels: SmallSet<String>,
    /// Input formats of the group's records.
    pub formats: SmallSet<&'static str>,
    /// The first few records of the group by (file, line).
    pub samples: SmallSet<RecordRef>,
    /// Identifiers of the group's earliest connections that have any (uid, Community ID or the
    /// tuple to compute one), at most [`MAX_IDS_KEPT`].
    pub conn_ids: SmallSet<ConnIdent>,
    /// Deep-inspection results of the group's sessions, merged.
    pub app: Option<Box<AppInfo>>,
    /// Destination names the source resolved (Sysmon `DestinationHostname`…), smallest few.
    pub dst_names: SmallSet<String>,
    /// `dst_names` were borrowed: neither the host's source, its own lookups nor its own
    /// sessions named the address, and other hosts' (or a source that does not say who asked)
    /// did. Shown, and not counted as the host's own use of those names (a cloud address
    /// serves several tenants). A host with names of its own borrows none.
    pub names_borrowed: bool,
    /// Some borrowed names came only from other hosts' lookups or sessions: the allowlist does
    /// not match them, since another tenant's name on a shared address (a fleet's IoT endpoint)
    /// says nothing of what this host talked to.
    pub names_of_other_hosts: bool,
    /// Connections with a known start, the earliest [`MAX_STARTS_PER_GROUP`] once rated (kept
    /// up to twice that between trims).
    pub conn_starts: Vec<ConnStart>,
    /// When the last connection with a known end closed (a Zeek `duration`, a flow's last
    /// packet).
    pub last_end: Option<Micros>,
    /// Some connection's end is unknown (Sysmon records only the start), so how long the channel
    /// stayed open cannot be told.
    pub ends_unknown: bool,
    /// The inputs the group's records came from (the smallest [`MAX_SOURCES_PER_GROUP`] names).
    pub sources: SmallSet<Arc<str>>,
    /// Some source name was not kept because of [`MAX_SOURCES_PER_GROUP`].
    pub sources_truncated: bool,
    /// Connections per tumbling window (`ts div window`), with `--window` only: the earliest
    /// [`MAX_WINDOWS_PER_GROUP`] windows.
    pub windows: BTreeMap<i64, u64>,
    /// Connections in windows not kept because of [`MAX_WINDOWS_PER_GROUP`].
    pub windows_dropped: u64,
    /// Groups of process-less records (Zeek, a capture) folded into this one because they
    /// recorded the same connections (see `join`).
    pub joined_network_groups: u32,
    /// Second records of the same connection removed when the group was rated.
    pub duplicates_merged: u64,
    /// (start, end, bytes both ways) of the connections whose end is known, the earliest
    /// [`MAX_SPANS_PER_GROUP`] once judged (kept up to twice that between trims; see
    /// [`add_spans`]): what `interactive_use` judges.
    pub conn_spans: Vec<ConnSpan>,
    /// Connections with a known start, kept or not (the state budget's count of starts).
    pub starts_seen: u64,
    /// Connections with a known start and end, kept or not (the budget's count of spans).
    pub spans_seen: u64,
    /// The timelines the group state budget cut, set when the merged groups are trimmed before
    /// rating: (kind, level, the group's full count).
    pub budget_cuts: super::timeline::GroupCuts,
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

/// One connection as the group remembers it: enough to time it (beacons), size it, and tell a
/// second record of the same connection from another source (the same client port, started
/// within [`SAME_CONNECTION_TOLERANCE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnStart {
    pub ts: Micros,
    /// Payload bytes sent, 0 when the source has none (see `has_bytes`).
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub src_port: Option<u16>,
    /// The source counted bytes for this connection.
    pub has_bytes: bool,
}

/// How far apart two records' start times may be and still be one connection: a sensor and the
/// host that made the connection clock it separately, and Sysmon logs it when the socket
/// connects, a little after the SYN a sensor saw.
pub const SAME_CONNECTION_TOLERANCE: Micros = 5_000_000;

/// Keeps the `MAX_STARTS_PER_GROUP` earliest starts. Taking the smallest N of a union is the same
/// whatever order parts arrive in, so merges stay order-independent.
pub(super) fn trim_starts(v: &mut Vec<ConnStart>) {
    if v.len() > MAX_STARTS_PER_GROUP {
        v.sort_unstable();
        v.truncate(MAX_STARTS_PER_GROUP);
    }
}

pub(super) fn insert_sample(set: &mut SmallSet<RecordRef>, r: &RecordRef) {
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
    /// The destination names that are the host's own: none when they were borrowed (see
    /// `names_borrowed`).
    pub fn own_dst_names(&self) -> &[String] {
        if self.names_borrowed {
            &[]
        } else {
            self.dst_names.as_slice()
        }
    }

    pub(super) fn add_event(&mut self, ev: &ConnEvent, window: Option<i64>, max_users: usize) {
        self.connections += 1;
        if let Some(w) = window {
            self.add_window(w, 1);
        }
        self.add_source(input_of(ev));
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
        if let Some(id) = ConnIdent::of(ev) {
            insert_smallest(&mut self.conn_ids, &id, MAX_IDS_KEPT);
        }
        if let Some(app) = &ev.app {
            merge_app(&mut self.app, app);
        }
        if let Some(n) = ev.dst_name.as_deref().filter(|n| !n.is_empty()) {
            insert_smallest(&mut self.dst_names, n, MAX_NAMES_PER_GROUP);
        }
        if let Some(ts) = ev.ts {
            self.starts_seen += 1;
            self.conn_starts.push(ConnStart {
                ts,
                bytes_out: ev.bytes_out.unwrap_or(0),
                bytes_in: ev.bytes_in.unwrap_or(0),
                src_port: ev.src_port,
                has_bytes: ev.bytes_out.is_some() || ev.bytes_in.is_some(),
            });
            if self.conn_starts.len() >= 2 * MAX_STARTS_PER_GROUP {
                trim_starts(&mut self.conn_starts);
            }
        }
        if let (Some(start), Some(end)) = (ev.ts, ev.end) {
            self.spans_seen += 1;
            let both_ways = crate::behaviour::interactive::answered(
                ev.bytes_out.unwrap_or(0),
                ev.bytes_in.unwrap_or(0),
            );
            let unanswered =
                !both_ways && ev.bytes_in.is_some() && ev.bytes_out.is_some_and(|out| out > 0);
            add_spans(
                &mut self.conn_spans,
                [ConnSpan {
                    start,
                    end,
                    both_ways,
                    unanswered,
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
        for id in &o.conn_ids {
            insert_smallest(&mut self.conn_ids, id, MAX_IDS_KEPT);
        }
        if let Some(app) = &o.app {
            merge_app(&mut self.app, app);
        }
        self.names_borrowed |= o.names_borrowed;
        self.names_of_other_hosts |= o.names_of_other_hosts;
        for n in &o.dst_names {
            insert_smallest(&mut self.dst_names, n, MAX_NAMES_PER_GROUP);
        }
        self.starts_seen += o.starts_seen;
        self.spans_seen += o.spans_seen;
        for cut in o.budget_cuts {
            if !self.budget_cuts.contains(&cut) {
                self.budget_cuts.push(cut);
            }
        }
        self.budget_cuts.sort_unstable();
        self.conn_starts.extend(o.conn_starts);
        if self.conn_starts.len() >= 2 * MAX_STARTS_PER_GROUP {
            trim_starts(&mut self.conn_starts);
        }
        add_spans(&mut self.conn_spans, o.conn_spans);
        self.sources_truncated |= o.sources_truncated;
        for s in &o.sources {
            self.add_source(s);
        }
        self.windows_dropped += o.windows_dropped;
        self.joined_network_groups += o.joined_network_groups;
        self.duplicates_merged += o.duplicates_merged;
        for (w, n) in o.windows {
            self.add_window(w, n);
        }
    }

    fn add_source(&mut self, source: &Arc<str>) {
        if !self.sources.contains(source)
            && insert_smallest(&mut self.sources, source, MAX_SOURCES_PER_GROUP)
        {
            self.sources_truncated = true;
        }
    }

    /// Counts `n` connections into window `w`, keeping the earliest windows (so the kept set does
    /// not depend on the order parts arrive in).
    fn add_window(&mut self, w: i64, n: u64) {
        *self.windows.entry(w).or_default() += n;
        if self.windows.len() > MAX_WINDOWS_PER_GROUP
            && let Some((_, dropped)) = self.windows.pop_last()
        {
            self.windows_dropped += dropped;
        }
    }
}

/// The input an event counts for (its group's inputs, the data span and the census are kept
/// per input): the file of its record, or [`unreferenced_input`].
pub fn input_of(ev: &ConnEvent) -> &Arc<str> {
    ev.origin.as_ref().map_or(&*NO_SOURCE, |r| &r.file)
}

/// The one input of every event that carries no record reference (built in memory, or a live
/// capture's flow).
pub fn unreferenced_input() -> &'static Arc<str> {
    &NO_SOURCE
}

/// The source name of events that carry no record reference (built in memory, or a live
/// capture).
static NO_SOURCE: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from("-"));

pub(super) type GroupMap = HashMap<GroupKey, Box<GroupStats>, foldhash::fast::RandomState>;

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
    /// When "new" was judged against the history store too: the first instant it knows of
    /// (so the reasons can say what "first" was measured against).
    pub known_since: Option<Micros>,
    /// From the channel's (host, process, destination) first connection start to its last
    /// connection end, over all windows and over every address of its service the host reached
    /// (its pool's, its name's: `History::service_span`); `None` when some connection's end is
    /// unknown.
    pub channel_span: Option<Span>,
    /// The extent of the inputs that hold the channel (their earliest start to latest end).
    pub data_span: Option<Span>,
    /// The connection-level beacon, when the run already judged it for the peers (the outer
    /// `Option`: whether it did; the inner: whether there was a beacon to score).
    pub conn_beacon: Option<Option<crate::behaviour::beacon::BeaconScore>>,
    /// The message-level beacon, likewise.
    pub message_beacon: Option<Option<crate::behaviour::beacon::BeaconScore>>,
    /// The other clients of the group's destination, for the prevalence signals.
    pub peers: Option<crate::behaviour::prevalence::PeerView>,
    /// The local time the host's working hours are judged in; `None`: the configured one.
    pub local_zone: Option<crate::behaviour::interactive::LocalZone>,
    /// The host's program's sessions with the destination's whole address pool, when it reached
    /// more than one address of it (`history::PoolKey`).
    pub pool: Option<PoolSessions>,
    /// The named service the group is one address of, when the host reached it at more than one
    /// (`History::named_service`).
    pub named_service: Option<NamedService>,
    /// For a group with fewer exchanges than `min_connections` (and no named service making up
    /// for them), whether and why one exchange is enough, as the engine judged it.
    pub(crate) one_exchange: Option<OneExchange>,
    /// When the census shows the host doing nothing but housekeeping and this service in every
    /// input that holds the group (`census::Census::dedicated_to`).
    pub dedicated_host: Option<super::census::DedicatedHost>,
    /// When the census shows the host doing other work: the longest stretch, in seconds, its
    /// program kept the group's service open (`History::kept_by_busy_host`, judged once per
    /// group by the finishing pass).
    pub kept_by_busy_host: Option<i64>,
    /// When the census saw nothing of the group's host in the group's inputs but housekeeping
    /// and this service (`census::Census::shows_only`), even in a capture that may be filtered:
    /// nothing shows it is not a device doing this one job.
    pub shows_only_this_service: bool,
    /// The latest time the census saw the group's host start any connection in the group's
    /// inputs (`Census::last_seen`): it was there until at least then.
    pub host_last_seen: Option<Micros>,
}

/// Why a group with fewer exchanges than `min_connections` is rated all the same
/// (`exchange::one_exchange` judges it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OneExchange {
    /// Its content and process evidence (`points::single_exchange_points`) reaches
    /// `behaviour.score.single_connection_at`: a tool run once by an operator (ATT&CK AN0003)
    /// never comes back, so the seed's "repeated connections" would hide it.
    Content(f64),
    /// One connection held open for at least `exchange::STANDING_SESSION_SECS` is a standing
    /// channel, not a one-off: the seed's repetition is there, inside the session, even where
    /// encryption hides its messages. It is rated when its destination evidence
    /// (`points::destination_points`) reaches `behaviour.score.prior_confirmed_at` (a
    /// dynamic-DNS name, a public broker): an implant on a camera holding one TLS session to a
    /// dynamic-DNS name through a whole capture.
    HeldSession { secs: i64, points: f64 },
    /// The service kept open through a night and a day (at least
    /// `exchange::ROUND_THE_CLOCK_SECS` without a break longer than a reconnection, over the
    /// addresses of its pool the host reached) by a host the conn.log census shows doing other
    /// work (`census::Census::does_other_work`): a workstation or server keeping a pub/sub
    /// session around the clock, as an implant keeps its channel, where a device keeping one is
    /// doing its job.
    HeldOnBusyHost { secs: i64 },
    /// The program runs from outside any installed location (a temporary, downloads or other
    /// user-writable place, or a system binary's name outside its directory: the points of
    /// those signals) and reached an external destination. A source that records a connection
    /// when it opens (Sysmon's event 3) shows a session held all day as one connection, and
    /// installed software is what the seed's repetition keeps out; a program from such a place
    /// speaking a pub/sub protocol to the internet is worth a look on its first connection.
    UninstalledProgram { points: f64 },
    /// A session held at least `exchange::STANDING_SESSION_SECS` (the longest, in seconds) by a
    /// host the census shows doing other work, to an external service, whose sessions were
    /// mostly uploads answered with acknowledgements only (`unanswered_uploads`): an implant
    /// streaming what it collects over one connection held all day, where a person's session
    /// with the same shape is answered.
    UnansweredUpload { secs: i64 },
    /// None of these: the points each basis weighed.
    NotEnough { content: f64, destination: f64 },
}

impl OneExchange {
    /// Whether one exchange is enough to rate the group.
    pub(crate) fn rates(self) -> bool {
        !matches!(self, OneExchange::NotEnough { .. })
    }
}

/// A host's program's use of one named external service over the addresses it reached it at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamedService {
    /// Connections to all of them.
    pub connections: u64,
    /// The name (resolved by the source or announced in the session).
    pub name: String,
    /// Addresses it was reached at.
    pub addresses: usize,
    /// With `--window`: the most exchanges one window holds over all those addresses.
    pub busiest_window: Option<u64>,
}

/// A host's program's sessions with the addresses of one external network on one port and
/// protocol: how it uses a service that answers from a pool.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolSessions {
    /// The earliest [`MAX_SPANS_PER_GROUP`] sessions over all its addresses, sorted.
    pub spans: Vec<ConnSpan>,
    /// Addresses of the pool it reached.
    pub addresses: usize,
    /// The pool's network, as text (`212.140.207.0/24`).
    pub network: String,
}

/// Publications per hour of a group over its own active span (at least one minute), when
/// packet inspection saw any.
pub(crate) fn publication_rate(stats: &GroupStats) -> Option<f64> {
    let (published, first, last) = stats.app.as_deref()?.published_series()?;
    let hours = ((last - first) as f64 / 3.6e9).max(1.0 / 60.0);
    let count: u64 = published.iter().map(|m| u64::from(m.1)).sum();
    Some(count as f64 / hours)
}
