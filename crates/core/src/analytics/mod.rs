//! The analytics engine: candidate selection, grouping and windowing of connection events, and
//! the rating that turns groups into explained alerts.
//!
//! Work is split so that it can run on many threads and over any split of the input: each
//! reader thread feeds events into its own [`Accumulator`]; accumulators [`merge`] in any order
//! (every per-group statistic is a count, a sum, a min/max or a bounded "smallest N" set, all
//! commutative and associative); [`Engine::finish`] rates the merged groups. Memory is bounded
//! by the number of groups, which is itself capped by `limits.max_groups`.
//!
//! [`merge`]: Accumulator::merge

mod evidence;
mod rating;

use crate::alert::{Alert, Session};
use crate::allowlist::AllowSubject;
use crate::allowlist::{self, AllowVerdict, EntrySource};
use crate::app::AppInfo;
use crate::behaviour::presence::Span;
use crate::bounded::insert_smallest;
use crate::config::HuntConfig;
use crate::event::{ConnEvent, Direction, Outcome, Transport};
use crate::protocol::Protocol;
use crate::record::RecordRef;
use crate::time::Micros;
use crate::verdict::{AnalyticId, Suspicion};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// Most distinct application labels remembered per group (for explanations only).
const MAX_LABELS_PER_GROUP: usize = 8;
/// Most destination names remembered per group.
const MAX_NAMES_PER_GROUP: usize = 8;
/// Records kept per group as evidence (the first by file and line).
pub const MAX_SAMPLES_PER_GROUP: usize = 3;
/// Connection start times kept per group for the beacon analysis (the earliest).
pub const MAX_STARTS_PER_GROUP: usize = 10_000;

/// What happened to one event in [`Engine::observe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Counted into at least one group.
    Counted,
    /// Not on a pub/sub port and no pub/sub protocol identified off-port.
    NotCandidate,
    /// A candidate excluded by the analytic's conditions.
    Excluded(Exclusion),
}

/// Why a candidate connection was not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exclusion {
    NotTcp,
    Failed,
    Inbound,
    /// `--window` needs a time and the record has none.
    NoTimestamp,
    /// The group table is full (`limits.max_groups`).
    GroupTableFull,
}

/// Event-level counts, summed over all accumulators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventCounters {
    /// Events the engine saw.
    pub events: u64,
    /// Events counted into at least one group.
    pub counted: u64,
    pub not_candidate: u64,
    pub not_tcp: u64,
    pub failed: u64,
    pub inbound: u64,
    pub no_timestamp: u64,
    pub group_table_full: u64,
}

impl EventCounters {
    fn add(&mut self, o: &EventCounters) {
        self.events += o.events;
        self.counted += o.counted;
        self.not_candidate += o.not_candidate;
        self.not_tcp += o.not_tcp;
        self.failed += o.failed;
        self.inbound += o.inbound;
        self.no_timestamp += o.no_timestamp;
        self.group_table_full += o.group_table_full;
    }
}

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
}

/// Keeps the `MAX_STARTS_PER_GROUP` earliest starts. Taking the smallest N of a union is the same
/// whatever order parts arrive in, so merges stay order-independent.
fn trim_starts(v: &mut Vec<(Micros, u64)>) {
    if v.len() > MAX_STARTS_PER_GROUP {
        v.sort_unstable();
        v.truncate(MAX_STARTS_PER_GROUP);
    }
}

fn insert_sample(set: &mut BTreeSet<RecordRef>, r: &RecordRef) {
    insert_smallest(set, r, MAX_SAMPLES_PER_GROUP);
}

/// The order sessions are reported in: by start, then the identifying fields.
fn session_order(a: &Session, b: &Session) -> std::cmp::Ordering {
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
fn trim_sessions(v: &mut Vec<Session>, dropped: &mut u64, max: usize) {
    if v.len() > max {
        v.sort_by(session_order);
        *dropped += (v.len() - max) as u64;
        v.truncate(max);
    }
}

impl Accumulator {
    /// Takes the kept sessions, in report order.
    pub fn take_sessions(&mut self, cfg: &HuntConfig) -> Vec<Session> {
        let mut v = std::mem::take(&mut self.sessions);
        trim_sessions(&mut v, &mut self.sessions_dropped, cfg.limits.max_sessions);
        v.sort_by(session_order);
        v
    }
}

fn merge_app(into: &mut Option<Box<AppInfo>>, from: &AppInfo) {
    match into {
        Some(a) => a.merge(from),
        None => *into = Some(Box::new(from.clone())),
    }
}

fn min_opt<T: Ord + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn max_opt<T: Ord + Copy>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn sum_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.saturating_add(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

impl GroupStats {
    fn add_event(&mut self, ev: &ConnEvent, max_users: usize) {
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
    }

    fn merge(&mut self, o: GroupStats, max_users: usize) {
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
    }
}

type GroupMap = HashMap<GroupKey, GroupStats, foldhash::fast::RandomState>;

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

/// Cross-group facts gathered once before rating (bounded by the group table).
struct History {
    first_window: Option<i64>,
    process_first: HashMap<(String, Protocol), i64>,
    broker_first: HashMap<(IpAddr, u16), i64>,
    /// Broker → its clients' publication rates, for peer comparison.
    broker_rates: HashMap<(IpAddr, u16, Protocol), Vec<ClientRate>>,
    /// Channel → its span over all windows (`None` once an end is unknown).
    channel_spans: HashMap<ChannelKey, Option<Span>>,
    data_span: Option<Span>,
}

/// A group's key without its analytic and window: one channel between a client and a server.
type ChannelKey = (String, Option<String>, IpAddr, u16, Protocol);

fn channel_key(k: &GroupKey) -> ChannelKey {
    (
        k.host.clone(),
        k.process.clone(),
        k.dst_ip,
        k.dst_port,
        k.protocol,
    )
}

/// The span of a group's connections: first start to last start or end, `None` when some end is
/// unknown.
fn group_span(s: &GroupStats) -> Option<Span> {
    if s.ends_unknown {
        return None;
    }
    let first = s.first_seen?;
    let last = max_opt(s.last_seen, s.last_end)?;
    Some(Span { first, last })
}

fn union_span(a: Span, b: Span) -> Span {
    Span {
        first: a.first.min(b.first),
        last: a.last.max(b.last),
    }
}

/// One client (host and process) of a broker and its publications per hour.
type ClientRate = (String, Option<String>, f64);

/// Publications per hour of a group over its own active span (at least one minute), when
/// packet inspection saw any.
pub(crate) fn publication_rate(stats: &GroupStats) -> Option<f64> {
    let (published, first, last) = stats.app.as_deref()?.published_series()?;
    let hours = ((last - first) as f64 / 3.6e9).max(1.0 / 60.0);
    let count: u64 = published.iter().map(|m| u64::from(m.1)).sum();
    Some(count as f64 / hours)
}

impl History {
    fn of(groups: &GroupMap, cfg: &HuntConfig) -> History {
        let mut h = History {
            first_window: None,
            process_first: HashMap::new(),
            broker_first: HashMap::new(),
            broker_rates: HashMap::new(),
            channel_spans: HashMap::new(),
            data_span: None,
        };
        if !cfg.behaviour.enabled {
            return h;
        }
        for (k, s) in groups {
            if let (Some(first), Some(last)) = (s.first_seen, max_opt(s.last_seen, s.last_end)) {
                let g = Span { first, last };
                h.data_span = Some(h.data_span.map_or(g, |d| union_span(d, g)));
            }
            let span = group_span(s);
            h.channel_spans
                .entry(channel_key(k))
                .and_modify(|c| {
                    *c = match (*c, span) {
                        (Some(a), Some(b)) => Some(union_span(a, b)),
                        _ => None,
                    }
                })
                .or_insert(span);
            if let Some(w) = k.window {
                h.first_window = Some(h.first_window.map_or(w, |f: i64| f.min(w)));
                if let Some(p) = &k.process {
                    let e = h
                        .process_first
                        .entry((process_key(p), k.protocol))
                        .or_insert(w);
                    *e = (*e).min(w);
                }
                let e = h.broker_first.entry((k.dst_ip, k.dst_port)).or_insert(w);
                *e = (*e).min(w);
            }
            if let Some(rate) = publication_rate(s) {
                h.broker_rates
                    .entry((k.dst_ip, k.dst_port, k.protocol))
                    .or_default()
                    .push((k.host.clone(), k.process.clone(), rate));
            }
        }
        h
    }

    fn context(&self, key: &GroupKey, _stats: &GroupStats, cfg: &HuntConfig) -> GroupContext {
        let mut ctx = GroupContext::default();
        if !cfg.behaviour.enabled {
            return ctx;
        }
        if let (Some(w), Some(first)) = (key.window, self.first_window)
            && w > first
        {
            ctx.new_process = key.process.as_ref().is_some_and(|p| {
                self.process_first.get(&(process_key(p), key.protocol)) == Some(&w)
            });
            ctx.new_broker = self.broker_first.get(&(key.dst_ip, key.dst_port)) == Some(&w);
        }
        ctx.channel_span = self.channel_spans.get(&channel_key(key)).copied().flatten();
        ctx.data_span = self.data_span;
        if let Some(all) = self
            .broker_rates
            .get(&(key.dst_ip, key.dst_port, key.protocol))
        {
            ctx.peer_rates = all
                .iter()
                .filter(|(h, p, _)| *h != key.host || *p != key.process)
                .map(|(_, _, r)| *r)
                .collect();
        }
        ctx
    }
}

/// A process image as history compares it: the basename, lower case.
fn process_key(image: &str) -> String {
    crate::event::process_basename(image).to_ascii_lowercase()
}

/// Partial results of one reader: groups and event counts.
#[derive(Debug, Default, Clone)]
pub struct Accumulator {
    groups: GroupMap,
    /// Names other records gave a destination (Zeek `ssl.log` server names), by (address,
    /// port); merged into the groups of that destination when rated. Bounded like the groups.
    dest_names: HashMap<(IpAddr, u16), BTreeSet<String>, foldhash::fast::RandomState>,
    /// Destination names not kept because the table was full.
    pub dest_names_dropped: u64,
    pub counters: EventCounters,
    /// Recognised pub/sub sessions, when the configuration asks for them (bounded).
    pub sessions: Vec<Session>,
    /// Sessions not kept because of `limits.max_sessions`.
    pub sessions_dropped: u64,
}

impl Accumulator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Folds another accumulator into this one. The result does not depend on the order of
    /// merges, except which groups are dropped when `max_groups` is exceeded (counted).
    pub fn merge(&mut self, other: Accumulator, cfg: &HuntConfig) {
        self.counters.add(&other.counters);
        self.sessions.extend(other.sessions);
        self.sessions_dropped += other.sessions_dropped;
        trim_sessions(
            &mut self.sessions,
            &mut self.sessions_dropped,
            cfg.limits.max_sessions,
        );
        for (k, names) in other.dest_names {
            self.add_dest_names(k, names.iter().map(String::as_str), cfg);
        }
        self.dest_names_dropped += other.dest_names_dropped;
        let max_users = cfg.limits.max_users_per_group;
        for (k, v) in other.groups {
            let full = self.groups.len() >= cfg.limits.max_groups;
            match self.groups.get_mut(&k) {
                Some(g) => g.merge(v, max_users),
                None if full => self.counters.group_table_full += v.connections,
                None => {
                    self.groups.insert(k, v);
                }
            }
        }
    }

    fn add_dest_names<'n>(
        &mut self,
        key: (IpAddr, u16),
        names: impl Iterator<Item = &'n str>,
        cfg: &HuntConfig,
    ) {
        let full = self.dest_names.len() >= cfg.limits.max_groups;
        match self.dest_names.get_mut(&key) {
            Some(set) => {
                for n in names {
                    insert_smallest(set, n, MAX_NAMES_PER_GROUP);
                }
            }
            None if full => self.dest_names_dropped += 1,
            None => {
                let mut set = BTreeSet::new();
                for n in names {
                    insert_smallest(&mut set, n, MAX_NAMES_PER_GROUP);
                }
                self.dest_names.insert(key, set);
            }
        }
    }

    /// The groups, in key order (for tests and oracles).
    pub fn groups_sorted(&self) -> BTreeMap<&GroupKey, &GroupStats> {
        self.groups.iter().collect()
    }
}

/// Totals of a finished hunt, for the summary and the exit status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HuntSummary {
    pub counters: EventCounters,
    /// Groups formed (all analytics, all windows).
    pub groups: usize,
    /// Groups with fewer connections than `min_connections`.
    pub below_threshold: usize,
    /// Groups rated below `min_suspicion`.
    pub below_min_suspicion: usize,
    /// Alerts suppressed, per allowlist reason.
    pub suppressed: BTreeMap<String, usize>,
    /// Alerts reported, per suspicion.
    pub alerts_by_suspicion: BTreeMap<Suspicion, usize>,
}

impl HuntSummary {
    pub fn alerts(&self) -> usize {
        self.alerts_by_suspicion.values().sum()
    }
}

/// The configured analytics. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: HuntConfig,
}

impl Engine {
    pub fn new(cfg: HuntConfig) -> Self {
        Engine { cfg }
    }

    pub fn config(&self) -> &HuntConfig {
        &self.cfg
    }

    /// Records a name another log gave a destination (a Zeek `ssl.log` server name for
    /// `id.resp_h`:`id.resp_p`). It joins the groups of that destination when they are rated, so
    /// it does not matter which file or thread saw the name or the connections first.
    pub fn observe_dest_name(&self, ip: IpAddr, port: u16, name: &str, acc: &mut Accumulator) {
        let name = crate::app::bounded_name(name.trim());
        if name.is_empty() || name == "-" {
            return;
        }
        acc.add_dest_names((ip, port), std::iter::once(name), &self.cfg);
    }

    /// Runs one event through the analytics' candidate conditions and counts it into its
    /// groups.
    pub fn observe(&self, ev: &ConnEvent, acc: &mut Accumulator) -> EventOutcome {
        acc.counters.events += 1;
        if self.cfg.report_sessions
            && let Some(app) = ev.app.as_deref()
            && let Some(protocol) = app.protocol
        {
            let mut app = app.clone();
            app.sort_for_output();
            acc.sessions.push(Session {
                kind: "session",
                protocol,
                src_ip: ev.src_ip,
                src_port: ev.src_port,
                dst_ip: ev.dst_ip,
                dst_port: ev.dst_port,
                first_seen: ev.ts,
                last_seen: ev.end.or(ev.ts),
                bytes_sent: ev.bytes_out,
                bytes_received: ev.bytes_in,
                packets_sent: ev.packets_out,
                packets_received: ev.packets_in,
                process: ev.process.clone(),
                user: ev.user.clone(),
                app,
            });
            if acc.sessions.len() >= 2 * self.cfg.limits.max_sessions.max(1) {
                trim_sessions(
                    &mut acc.sessions,
                    &mut acc.sessions_dropped,
                    self.cfg.limits.max_sessions,
                );
            }
        }
        let outcome = self.observe_inner(ev, acc);
        let c = &mut acc.counters;
        match outcome {
            EventOutcome::Counted => c.counted += 1,
            EventOutcome::NotCandidate => c.not_candidate += 1,
            EventOutcome::Excluded(Exclusion::NotTcp) => c.not_tcp += 1,
            EventOutcome::Excluded(Exclusion::Failed) => c.failed += 1,
            EventOutcome::Excluded(Exclusion::Inbound) => c.inbound += 1,
            EventOutcome::Excluded(Exclusion::NoTimestamp) => c.no_timestamp += 1,
            EventOutcome::Excluded(Exclusion::GroupTableFull) => c.group_table_full += 1,
        }
        outcome
    }

    /// The (analytic, protocol) pairs an event is a candidate for, before exclusions.
    pub fn candidate_keys(&self, ev: &ConnEvent) -> Vec<(AnalyticId, Protocol)> {
        let mut out = Vec::new();
        if self.forms_groups(AnalyticId::PubsubPort)
            && let Some(p) = self.cfg.protocol_for_port(ev.dst_port)
        {
            out.push((AnalyticId::PubsubPort, p));
        }
        if self.forms_groups(AnalyticId::PubsubUnusualPort) {
            for &p in &ev.identified {
                let std_ports = self.cfg.standard_ports(p);
                if !std_ports.is_empty()
                    && !std_ports.contains(&ev.dst_port)
                    && !out.contains(&(AnalyticId::PubsubUnusualPort, p))
                {
                    out.push((AnalyticId::PubsubUnusualPort, p));
                }
            }
        }
        out
    }

    /// Whether a port analytic forms groups: when it is enabled, or when only behaviour analytics
    /// are (they look inside the groups both port analytics would form).
    fn forms_groups(&self, id: AnalyticId) -> bool {
        let cfg = &self.cfg;
        cfg.analytic_enabled(id)
            || (cfg.behaviour.enabled
                && !cfg.analytic_enabled(AnalyticId::PubsubPort)
                && !cfg.analytic_enabled(AnalyticId::PubsubUnusualPort))
    }

    /// Connections, or for a group whose sessions were inspected, the messages inside them when
    /// there are more: one long-lived MQTT or XMPP session is how a bot usually talks, and the
    /// seed's "repeated connections" test would never see it.
    fn exchanges(&self, stats: &GroupStats) -> u64 {
        let messages = match (&stats.app, self.cfg.behaviour.enabled) {
            (Some(app), true) => app.message_count(),
            _ => 0,
        };
        stats.connections.max(messages)
    }

    fn observe_inner(&self, ev: &ConnEvent, acc: &mut Accumulator) -> EventOutcome {
        let keys = self.candidate_keys(ev);
        if keys.is_empty() {
            return EventOutcome::NotCandidate;
        }
        if !matches!(ev.transport, Transport::Tcp | Transport::Unknown) {
            return EventOutcome::Excluded(Exclusion::NotTcp);
        }
        if ev.outcome == Outcome::Failed {
            return EventOutcome::Excluded(Exclusion::Failed);
        }
        if ev.direction == Direction::Inbound {
            return EventOutcome::Excluded(Exclusion::Inbound);
        }
        let window = match self.cfg.window.micros() {
            None => None,
            Some(w) => match ev.ts {
                Some(ts) => Some(ts.div_euclid(w)),
                None => return EventOutcome::Excluded(Exclusion::NoTimestamp),
            },
        };
        let host = ev.host_key();
        let max_groups = self.cfg.limits.max_groups;
        let max_users = self.cfg.limits.max_users_per_group;
        let mut counted = false;
        for (analytic, protocol) in keys {
            let key = GroupKey {
                analytic,
                window,
                host: host.clone(),
                process: ev.process.clone(),
                dst_ip: ev.dst_ip,
                dst_port: ev.dst_port,
                protocol,
            };
            if let Some(g) = acc.groups.get_mut(&key) {
                g.add_event(ev, max_users);
                counted = true;
            } else if acc.groups.len() < max_groups {
                let mut g = GroupStats::default();
                g.add_event(ev, max_users);
                acc.groups.insert(key, g);
                counted = true;
            }
        }
        if counted {
            EventOutcome::Counted
        } else {
            EventOutcome::Excluded(Exclusion::GroupTableFull)
        }
    }

    /// Rates every group and returns the alerts to report, in report order, with the summary.
    pub fn finish(&self, acc: Accumulator) -> (Vec<Alert>, HuntSummary) {
        let mut summary = HuntSummary {
            counters: acc.counters,
            groups: acc.groups.len(),
            ..HuntSummary::default()
        };
        let mut alerts = Vec::new();
        let history = History::of(&acc.groups, &self.cfg);
        let dest_names = acc.dest_names;
        for (key, mut stats) in acc.groups {
            if let Some(names) = dest_names.get(&(key.dst_ip, key.dst_port)) {
                for n in names {
                    insert_smallest(&mut stats.dst_names, n.as_str(), MAX_NAMES_PER_GROUP);
                }
            }
            trim_starts(&mut stats.conn_starts);
            stats.conn_starts.sort_unstable();
            if self.exchanges(&stats) < self.cfg.min_connections {
                summary.below_threshold += 1;
                continue;
            }
            let ctx = history.context(&key, &stats, &self.cfg);
            let mut alert = rating::rate(&self.cfg, &key, &stats, &ctx);
            if !self.cfg.analytic_enabled(key.analytic) && alert.analytics.is_empty() {
                // Behaviour analytics alone, and none of them found anything here.
                summary.below_min_suspicion += 1;
                continue;
            }
            if alert.suspicion < self.cfg.min_suspicion {
                summary.below_min_suspicion += 1;
                continue;
            }
            let subject = AllowSubject {
                analytic: key.analytic,
                host: &key.host,
                process: key.process.as_deref(),
                dst_ip: key.dst_ip,
                dst_port: key.dst_port,
                protocol: key.protocol,
                app: stats.app.as_deref(),
                dst_names: &stats.dst_names,
            };
            match allowlist::decide(&self.cfg.allowlists(), &subject, &alert.signals) {
                AllowVerdict::NotListed => {}
                AllowVerdict::Overridden(_, why) => alert.reasons.push(why),
                AllowVerdict::Suppressed(entry, source) => {
                    *summary.suppressed.entry(entry.reason.clone()).or_default() += 1;
                    if self.cfg.show_suppressed {
                        let which = match source {
                            EntrySource::Configured => "the allowlist",
                            EntrySource::Default => "the default allowlist",
                        };
                        alert.reasons.push(format!(
                            "suppressed by {which}: {} ({})",
                            entry.reason,
                            entry.describe()
                        ));
                        alert.suppressed_by = Some(entry.reason.clone());
                        alerts.push(alert);
                    }
                    continue;
                }
            }
            *summary
                .alerts_by_suspicion
                .entry(alert.suspicion)
                .or_default() += 1;
            alerts.push(alert);
        }
        alerts.sort_by(Alert::report_order);
        (alerts, summary)
    }
}

#[cfg(test)]
mod tests;
