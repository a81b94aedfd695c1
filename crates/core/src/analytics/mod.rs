//! The analytics engine: candidate selection, grouping and windowing of connection events, and
//! the rating that turns groups into explained alerts.
//!
//! Work is split so that it can run on many threads and over any split of the input: each
//! reader thread feeds events into its own [`Accumulator`]; accumulators [`merge`] in any order
//! (every per-group statistic is a count, a sum, a min/max or a bounded "smallest N" set, all
//! commutative and associative); [`Engine::finish`] rates the merged groups. Memory is bounded
//! by the number of groups, which is itself capped by `limits.max_groups` (the groups kept at
//! the cap do not depend on input order or threads: [`table`]), and the groups' timelines all
//! together by `limits.max_group_state_bytes` (likewise: [`budget`]).
//!
//! [`merge`]: Accumulator::merge

pub mod budget;
mod content;
mod evidence;
mod facts;
mod fate;
mod group;
mod history;
mod join;
mod kept;
mod parallel;
mod peers;
mod prior;
mod rating;
mod table;
mod telemetry;
mod timeline;
mod windows;
mod zones;

pub use fate::{Fate, GroupFate, Probe, ProbeCounts, ProbeTarget, RecordFate, TimeRange};
pub use group::{GroupContext, GroupKey, GroupStats, MAX_SAMPLES_PER_GROUP, MAX_STARTS_PER_GROUP};
pub use table::GroupCutoff;

use group::{MAX_NAMES_PER_GROUP, NO_SOURCE, session_order, trim_sessions, trim_starts};
use history::{History, union_span};

use crate::alert::{Alert, Session};
use crate::allowlist::AllowSubject;
use crate::allowlist::{self, AllowVerdict, EntrySource};
use crate::app::AppInfo;
use crate::behaviour::presence::Span;
use crate::bounded::insert_smallest;
use crate::config::{DirectionPolicy, HuntConfig};
use crate::event::{ConnEvent, Direction, Outcome, Transport};
use crate::protocol::Protocol;
use crate::time::Micros;
use crate::verdict::{AnalyticId, Suspicion};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

/// What happened to one event in [`Engine::observe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// Counted into at least one group.
    Counted,
    /// Not on a pub/sub port and no pub/sub protocol identified off-port.
    NotCandidate,
    /// A candidate excluded by the analytic's conditions.
    Excluded(Exclusion),
    /// Outside the engine's time range (`--since`/`--until`): not looked at.
    OutOfRange,
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

/// What an uncounted event's outcome means for `explain` (`None`: it was counted).
fn record_fate(o: EventOutcome) -> Option<RecordFate> {
    Some(match o {
        EventOutcome::Counted => return None,
        EventOutcome::NotCandidate => RecordFate::NotCandidate,
        EventOutcome::OutOfRange => RecordFate::OutOfRange,
        EventOutcome::Excluded(Exclusion::NotTcp) => RecordFate::NotTcp,
        EventOutcome::Excluded(Exclusion::Failed) => RecordFate::Failed,
        EventOutcome::Excluded(Exclusion::Inbound) => RecordFate::Inbound,
        EventOutcome::Excluded(Exclusion::NoTimestamp) => RecordFate::NoTimestamp,
        EventOutcome::Excluded(Exclusion::GroupTableFull) => RecordFate::GroupTableFull,
    })
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
    /// Candidates the source called inbound although their initiator is in the internal
    /// networks (counted whichever `analytics.direction` decides).
    pub inbound_from_internal: u64,
    /// Events outside the time range (`--since`/`--until`), not looked at further.
    pub out_of_range: u64,
    /// The earliest record time read (see [`Accumulator::note_record_time`]), whether or not
    /// the record was a candidate or inside the time range: the input's extent, for the
    /// summary.
    pub first_record: Option<Micros>,
    /// The latest record time read: a connection's start, or its end where the source records
    /// one.
    pub last_record: Option<Micros>,
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
        self.inbound_from_internal += o.inbound_from_internal;
        self.out_of_range += o.out_of_range;
        self.first_record = group::min_opt(self.first_record, o.first_record);
        self.last_record = group::max_opt(self.last_record, o.last_record);
    }

    /// Moves the connections of groups dropped at the group limit, which had been counted as
    /// grouped, to the limit's count.
    fn drop_grouped(&mut self, connections: u64) {
        self.counted = self.counted.saturating_sub(connections);
        self.group_table_full += connections;
    }
}

impl Accumulator {
    /// Widens the input's extent ([`EventCounters::first_record`]) to a record's time. Every
    /// event the engine observes is noted; readers note records they skip without observing
    /// (the line logs' first and last record of each chunk, whose other lines the prefilter
    /// skips unparsed). Min and max merge in any order, so the extent does not depend on
    /// threads.
    pub fn note_record_time(&mut self, t: Micros) {
        let c = &mut self.counters;
        c.first_record = Some(c.first_record.map_or(t, |f| f.min(t)));
        c.last_record = Some(c.last_record.map_or(t, |l| l.max(t)));
    }

    /// Notes an event's start and, where the source records it, its end (a capture's last
    /// packet, a Zeek `duration`): the data covers both.
    pub fn note_event_time(&mut self, ev: &ConnEvent) {
        for t in [ev.ts, ev.end].into_iter().flatten() {
            self.note_record_time(t);
        }
    }

    /// Takes the kept sessions, in report order.
    pub fn take_sessions(&mut self, cfg: &HuntConfig) -> Vec<Session> {
        let mut v = std::mem::take(&mut self.sessions);
        trim_sessions(&mut v, &mut self.sessions_dropped, cfg.limits.max_sessions);
        v.sort_by(session_order);
        v
    }
}

/// Partial results of one reader: groups and event counts.
#[derive(Debug, Default, Clone)]
pub struct Accumulator {
    groups: table::GroupTable,
    /// Names other records gave a destination (Zeek `ssl.log` server names), by (client,
    /// address, port) and by (address, port) for any client; merged into the groups of that
    /// destination when rated, the group's own host's first. Bounded like the groups.
    dest_names: facts::DestNames,
    /// Destination names not kept because the table was full.
    pub dest_names_dropped: u64,
    /// Each input's extent: the earliest start and latest start or end of the events read from
    /// it. A channel's presence is judged against the inputs that hold it, never against the
    /// whole run, so adding an unrelated file cannot move a verdict. Bounded like the groups.
    source_spans: HashMap<Arc<str>, Span, foldhash::fast::RandomState>,
    /// The input being read and its extent so far: readers send one input's events in a row,
    /// so the table above is touched once per run of events, not once per event.
    current_source: Option<(Arc<str>, Span)>,
    /// Names DNS answers gave addresses (Zeek `dns.log`), for any port; merged into the groups
    /// of that address when rated. Bounded like the groups.
    addr_names: facts::AddrNames,
    /// Addresses whose names were not kept because the table was full.
    pub addr_names_dropped: u64,
    /// What content logs (Zeek `mqtt_*.log`) learned about sessions, per channel and window;
    /// merged into the channel's groups when rated. Bounded like the groups.
    session_facts: facts::SessionFacts,
    /// Session facts not kept because the table was full.
    pub session_facts_dropped: u64,
    pub counters: EventCounters,
    /// Recognised pub/sub sessions, when the configuration asks for them (bounded).
    pub sessions: Vec<Session>,
    /// Sessions not kept because of `limits.max_sessions`.
    pub sessions_dropped: u64,
    /// What the engine's probe (`explain`) counted; empty without one.
    pub probe: ProbeCounts,
    /// At least the timeline entries the groups hold, to know when to trim them to the budget.
    held: budget::Held,
    /// At least the timeline entries `session_facts` hold, likewise.
    facts_held: u64,
}

impl Accumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// The groups' share of the state budget: all of it, or, once content-log facts are kept
    /// beside them, what [`budget::Budget::split_for_facts`] leaves the groups.
    fn groups_budget(&self, b: &budget::Budget) -> budget::Budget {
        if self.session_facts.is_empty() {
            *b
        } else {
            b.split_for_facts().0
        }
    }

    /// Trims the content-log facts to their share of the budget when they may hold 1.5 × it.
    fn hold_facts(&mut self, b: &budget::Budget, added: u64) {
        self.facts_held = self.facts_held.saturating_add(added);
        let facts_budget = b.split_for_facts().1;
        let entries: u64 = budget::FACT_KINDS
            .iter()
            .map(|&t| facts_budget.entries(t))
            .sum();
        if self.facts_held > entries / 2 * 3 {
            budget::trim_facts(&mut self.session_facts, &facts_budget);
            self.facts_held = budget::facts_kept(&self.session_facts);
        }
        // With facts kept, the groups have half of their budget for the kinds facts hold.
        let groups_budget = self.groups_budget(b);
        if self.held.over(&groups_budget) {
            budget::trim_to_budget(self.groups.stats_mut(), &groups_budget, &mut self.held);
        }
    }

    /// An accumulator for one of the reader threads of a run, sharing `cutoff` with the others
    /// so that together they hold at most `limits.max_groups` groups ([`table`]).
    pub fn sharing(cutoff: &std::sync::Arc<GroupCutoff>) -> Self {
        Accumulator {
            groups: table::GroupTable::sharing(cutoff),
            ..Self::default()
        }
    }

    pub fn group_count(&self) -> usize {
        self.groups.len()
    }

    /// Folds another accumulator into this one. The groups kept do not depend on the order of
    /// merges, even when `max_groups` is exceeded ([`table`]).
    pub fn merge(&mut self, mut other: Accumulator, cfg: &HuntConfig) {
        self.flush_source(cfg);
        other.flush_source(cfg);
        self.counters.add(&other.counters);
        self.probe.merge(std::mem::take(&mut other.probe));
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
        for (source, span) in other.source_spans {
            self.add_source_span(source, span, cfg);
        }
        for (key, names) in other.addr_names {
            facts::add_addr_names(
                &mut self.addr_names,
                &mut self.addr_names_dropped,
                key,
                names.iter().map(String::as_str),
                cfg.limits.max_groups,
            );
        }
        self.addr_names_dropped += other.addr_names_dropped;
        for (key, app) in other.session_facts {
            facts::add_session_facts(
                &mut self.session_facts,
                &mut self.session_facts_dropped,
                key,
                app,
                cfg.limits.max_groups,
            );
        }
        self.session_facts_dropped += other.session_facts_dropped;
        let budget = budget::Budget::of(&cfg.limits);
        self.hold_facts(&budget, other.facts_held);
        let dropped = self.groups.merge(
            other.groups,
            cfg.limits.max_groups,
            cfg.limits.max_users_per_group,
        );
        self.counters.drop_grouped(dropped);
        // Merged parts each hold up to 1.5 × the budget: back to it (a pass over the groups per
        // merge, and merges are one per reader).
        let groups_budget = self.groups_budget(&budget);
        budget::trim_to_budget(self.groups.stats_mut(), &groups_budget, &mut self.held);
    }

    fn add_dest_names<'n>(
        &mut self,
        key: facts::DestKey,
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

    fn flush_source(&mut self, cfg: &HuntConfig) {
        if let Some((source, span)) = self.current_source.take() {
            self.add_source_span(source, span, cfg);
        }
    }

    fn add_source_span(&mut self, source: Arc<str>, span: Span, cfg: &HuntConfig) {
        let full = self.source_spans.len() >= cfg.limits.max_groups;
        match self.source_spans.get_mut(&source) {
            Some(s) => *s = union_span(*s, span),
            // Inputs past the bound are not needed for a verdict: a channel whose inputs' extent
            // is unknown is simply never judged transient.
            None if full => {}
            None => {
                self.source_spans.insert(source, span);
            }
        }
    }

    /// The part of the history this run's groups are judged against (see
    /// [`crate::prior::HistoryKeys`]): a store loads just that before rating.
    pub fn history_keys(&self) -> crate::prior::HistoryKeys {
        let mut keys = crate::prior::HistoryKeys::default();
        for (k, _) in self.groups.iter() {
            keys.channels.insert(prior::channel_id(k));
            keys.destinations.insert((k.dst_ip, k.dst_port));
            if let Some(p) = &k.process {
                keys.processes.insert((history::process_key(p), k.protocol));
            }
        }
        keys
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
    /// With `--window`: channels with enough connections over the data but fewer than
    /// `min_connections` in every window, and no beacon across windows (not reported).
    pub below_threshold_in_every_window: usize,
    /// With `--window`: channels whose connections are usually further apart than the window.
    pub slower_than_window: usize,
    /// Second records of a connection another input also recorded, counted once.
    pub duplicates: u64,
    /// The timelines the group state budget (`limits.max_group_state_bytes`) cut.
    pub budget: Vec<budget::BudgetCut>,
    /// Groups without a process joined to the process that made their connections.
    pub joined: usize,
    /// Alerts past `limits.max_alerts` (the last in report order), not reported.
    pub alerts_past_limit: usize,
}

impl HuntSummary {
    pub fn alerts(&self) -> usize {
        self.alerts_by_suspicion.values().sum()
    }

    /// Whether a bound on the analytics' state left something out of the verdicts: groups
    /// past `limits.max_groups`, timelines cut by the group state budget, alerts past
    /// `limits.max_alerts`. Every command that rates says so and exits 2.
    pub fn bound_reached(&self) -> bool {
        self.counters.group_table_full > 0 || !self.budget.is_empty() || self.alerts_past_limit > 0
    }
}

/// The configured analytics. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct Engine {
    cfg: HuntConfig,
    /// Records outside it are not looked at (`--since`/`--until`).
    range: TimeRange,
    /// Counts what `observe` decided for one host's or destination's records (`explain`).
    probe: Option<Probe>,
    /// What earlier runs learned (the state store), when the run is judged against it.
    prior: Option<Arc<crate::prior::History>>,
    /// Threads the rating may use (`--threads`); results do not depend on it.
    threads: usize,
    /// `limits.max_group_state_bytes` in entries per timeline.
    budget: budget::Budget,
}

impl Engine {
    pub fn new(cfg: HuntConfig) -> Self {
        Engine {
            budget: budget::Budget::of(&cfg.limits),
            cfg,
            range: TimeRange::default(),
            probe: None,
            prior: None,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }

    /// Rates groups on at most `threads` threads (at least one); the alerts are the same for
    /// any count.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// Looks only at records that start inside `range`.
    pub fn with_range(mut self, range: TimeRange) -> Self {
        self.range = range;
        self
    }

    /// Counts, in each accumulator's `probe`, what became of the records `probe` watches.
    pub fn with_probe(mut self, probe: Probe) -> Self {
        self.probe = Some(probe);
        self
    }

    /// Judges the run against what earlier runs learned: `new_broker` and `new_process` look
    /// at the prior too, and alerts say how long their channel has been seen. See
    /// [`finish_with_history`](Self::finish_with_history) for the facts the run adds.
    pub fn with_prior(mut self, prior: Arc<crate::prior::History>) -> Self {
        self.prior = Some(prior);
        self
    }

    pub fn config(&self) -> &HuntConfig {
        &self.cfg
    }

    /// Records a name another log gave a destination (a Zeek `ssl.log` server name for
    /// `id.resp_h`:`id.resp_p`, asked by `client` = `id.orig_h`). It joins the groups of that
    /// destination when they are rated, so it does not matter which file or thread saw the name
    /// or the connections first. A group takes the names its own host's sessions carried when
    /// there are any: a cloud provider's address serves many tenants under many names, and
    /// another host's server name would dress an implant's endpoint as the fleet's.
    pub fn observe_dest_name(
        &self,
        client: Option<IpAddr>,
        ip: IpAddr,
        port: u16,
        name: &str,
        acc: &mut Accumulator,
    ) {
        let name = crate::app::bounded_name(name.trim());
        if name.is_empty() || name == "-" {
            return;
        }
        for key in [Some((None, ip, port)), client.map(|c| (Some(c), ip, port))]
            .into_iter()
            .flatten()
        {
            acc.add_dest_names(key, std::iter::once(name), &self.cfg);
        }
    }

    /// Runs one event through the analytics' candidate conditions and counts it into its
    /// groups.
    pub fn observe(&self, ev: &ConnEvent, acc: &mut Accumulator) -> EventOutcome {
        acc.counters.events += 1;
        acc.note_event_time(ev);
        if !self.range.admits(ev) {
            acc.counters.out_of_range += 1;
            if let Some(p) = &self.probe {
                p.note(ev, Some(RecordFate::OutOfRange), &mut acc.probe);
            }
            return EventOutcome::OutOfRange;
        }
        if self.cfg.behaviour.enabled
            && let Some(first) = ev.ts
        {
            let last = ev.end.map_or(first, |e| e.max(first));
            let source = ev.origin.as_ref().map_or(&*NO_SOURCE, |r| &r.file);
            let span = Span { first, last };
            match &mut acc.current_source {
                Some((s, cur)) if Arc::ptr_eq(s, source) || **s == **source => {
                    *cur = union_span(*cur, span);
                }
                _ => {
                    acc.flush_source(&self.cfg);
                    acc.current_source = Some((source.clone(), span));
                }
            }
        }
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
        if let Some(p) = &self.probe {
            p.note(ev, record_fate(outcome), &mut acc.probe);
        }
        let c = &mut acc.counters;
        match outcome {
            EventOutcome::Counted => c.counted += 1,
            EventOutcome::NotCandidate => c.not_candidate += 1,
            EventOutcome::Excluded(Exclusion::NotTcp) => c.not_tcp += 1,
            EventOutcome::Excluded(Exclusion::Failed) => c.failed += 1,
            EventOutcome::Excluded(Exclusion::Inbound) => c.inbound += 1,
            EventOutcome::Excluded(Exclusion::NoTimestamp) => c.no_timestamp += 1,
            EventOutcome::Excluded(Exclusion::GroupTableFull) => c.group_table_full += 1,
            EventOutcome::OutOfRange => {}
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
        if out.is_empty() && self.hunts_masquerading(ev) {
            out.push((AnalyticId::PubsubProcess, Protocol::Unidentified));
        }
        out
    }

    /// Whether a connection that no port analytic takes is hunted for its program: a Windows
    /// system binary's name running from outside its directory (ATT&CK T1036.005). Such a
    /// program is not what it says, and what it speaks on a web port (MQTT on 443, say) is not
    /// in a log that records no payload, so its connections are judged on any port, with the
    /// behaviour analytics, when the process analytic is enabled.
    fn hunts_masquerading(&self, ev: &ConnEvent) -> bool {
        self.cfg.behaviour.enabled
            && self.cfg.analytic_enabled(AnalyticId::PubsubProcess)
            && ev.process.as_deref().is_some_and(|p| {
                matches!(
                    crate::behaviour::masquerade::judge(p),
                    Some(crate::behaviour::masquerade::Verdict::Masqueraded { .. })
                )
            })
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
            let from_internal = ev
                .src_ip
                .is_some_and(|ip| self.cfg.internal.containing(ip).is_some());
            if from_internal {
                acc.counters.inbound_from_internal += 1;
            }
            if !(from_internal && self.cfg.direction == DirectionPolicy::InternalNetworks) {
                return EventOutcome::Excluded(Exclusion::Inbound);
            }
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
        let n_keys = keys.len() as u64;
        for (analytic, protocol) in keys {
            let key = GroupKey {
                analytic,
                host: host.clone(),
                process: ev.process.clone(),
                dst_ip: ev.dst_ip,
                dst_port: ev.dst_port,
                protocol,
            };
            if let Some(g) = acc.groups.get_mut(&key) {
                g.add_event(ev, window, max_users);
                acc.held.keep_level(g);
                counted = true;
            } else if acc.groups.refuses(&key, max_groups) {
                // Past the group limit: refused as `admit` would refuse it, without building it.
            } else {
                let mut g = Box::<GroupStats>::default();
                g.add_event(ev, window, max_users);
                acc.held.keep_level(&mut g);
                let a = acc.groups.admit(key, g, max_groups);
                // The group dropped to make room had been counted; this record, when refused,
                // is counted once by its outcome below.
                acc.counters.drop_grouped(a.evicted);
                counted |= a.kept;
            }
        }
        if counted {
            self.hold(ev, window.is_some(), n_keys, acc);
            EventOutcome::Counted
        } else {
            EventOutcome::Excluded(Exclusion::GroupTableFull)
        }
    }

    /// Counts what a counted event added to the groups' timelines (at most: into each of its
    /// `groups`), and trims them to the budget when they may hold 1.5 × it.
    fn hold(&self, ev: &ConnEvent, windowed: bool, groups: u64, acc: &mut Accumulator) {
        use budget::Timeline;
        let h = &mut acc.held;
        if ev.ts.is_some() {
            h.add(Timeline::Starts, groups);
            if ev.end.is_some() {
                h.add(Timeline::Spans, groups);
            }
        }
        if windowed {
            h.add(Timeline::Windows, groups);
        }
        if let Some(app) = ev.app.as_deref() {
            h.add(Timeline::Messages, groups * app.messages.len() as u64);
            h.add(Timeline::Topics, groups * app.topics.len() as u64);
        }
        let groups_budget = acc.groups_budget(&self.budget);
        if acc.held.over(&groups_budget) {
            budget::trim_to_budget(acc.groups.stats_mut(), &groups_budget, &mut acc.held);
        }
    }

    /// Rates every group and returns the alerts to report, in report order, with the summary.
    pub fn finish(&self, acc: Accumulator) -> (Vec<Alert>, HuntSummary) {
        let (alerts, summary, _) = self.finish_with(acc, None);
        (alerts, summary)
    }

    /// [`finish`](Self::finish), and what became of every group, alert or not (`explain`).
    pub fn finish_explained(&self, acc: Accumulator) -> (Vec<Alert>, HuntSummary, Vec<GroupFate>) {
        let mut fates = Vec::new();
        let (alerts, summary, _) = self.finish_with(acc, Some(&mut fates));
        (alerts, summary, fates)
    }

    /// [`finish`](Self::finish), and the facts the run adds to the history (empty unless the
    /// engine was given a prior with [`with_prior`](Self::with_prior)).
    pub fn finish_with_history(
        &self,
        acc: Accumulator,
    ) -> (Vec<Alert>, HuntSummary, crate::prior::History) {
        self.finish_with(acc, None)
    }

    fn finish_with(
        &self,
        mut acc: Accumulator,
        mut fates: Option<&mut Vec<GroupFate>>,
    ) -> (Vec<Alert>, HuntSummary, crate::prior::History) {
        let explaining = fates.is_some();
        // `fates` hook: each group's fate is noted where it is decided, with its rating.
        let mut note = |alert: &Alert, fate: Fate| {
            if let Some(f) = fates.as_deref_mut() {
                f.push(GroupFate {
                    alert: alert.clone(),
                    fate,
                });
            }
        };
        acc.flush_source(&self.cfg);
        let mut summary = HuntSummary {
            counters: acc.counters,
            ..HuntSummary::default()
        };
        let max_alerts = self.cfg.limits.max_alerts;
        let mut kept = kept::KeptAlerts::new(max_alerts);
        let window_len = self.cfg.window.micros();
        let mut groups = std::mem::take(&mut acc.groups).into_map();
        // From the final counts, whatever was trimmed while reading (see `budget`): the
        // content-log facts to their share first, then the groups with them joined.
        let groups_budget = acc.groups_budget(&self.budget);
        let mut session_facts = std::mem::take(&mut acc.session_facts);
        let facts_cuts = if session_facts.is_empty() {
            Vec::new()
        } else {
            budget::trim_facts(&mut session_facts, &self.budget.split_for_facts().1)
        };
        facts::join_session_facts(&mut groups, session_facts);
        summary.budget = budget::final_trim(&mut groups, &groups_budget);
        summary.budget.extend(facts_cuts);
        summary.joined =
            join::join_process_records(&mut groups, self.cfg.limits.max_users_per_group);
        for stats in groups.values_mut() {
            trim_starts(&mut stats.conn_starts);
            if let Some(app) = stats.app.as_deref_mut() {
                app.settle();
            }
            stats.duplicates_merged += join::dedup_connections(stats, window_len);
            summary.duplicates += stats.duplicates_merged;
        }
        summary.groups = groups.len();
        for (key, stats) in groups.iter_mut() {
            let found = [
                facts::dest_names_for(&acc.dest_names, stats.src_ip, key.dst_ip, key.dst_port),
                facts::names_for(&acc.addr_names, stats.src_ip, key.dst_ip),
            ];
            // Another host's names for the address are borrowed only when the host has none
            // of its own (from its source, its lookups or its sessions): beside its own they
            // are another tenant's, and `names_borrowed` then says the whole set is borrowed.
            let has_own =
                !stats.dst_names.is_empty() || found.iter().flatten().any(|&(_, own)| own);
            for (names, own) in found.into_iter().flatten() {
                if !own && has_own {
                    continue;
                }
                stats.names_borrowed |= !own;
                for n in names {
                    insert_smallest(&mut stats.dst_names, n.as_str(), MAX_NAMES_PER_GROUP);
                }
            }
        }
        let history = History::of(&groups, &acc.source_spans, &self.cfg);
        let mut facts = match &self.prior {
            Some(_) => prior::run_facts(&groups),
            None => crate::prior::History::default(),
        };
        let baseline = self
            .prior
            .as_deref()
            .and_then(|p| prior::Baseline::of(p, &facts, window_len));
        let first_seen = baseline.as_ref().map(|_| {
            let mut first = crate::prior::FirstSeenIndex::default();
            first.add(&facts);
            if let Some(p) = &self.prior {
                first.add(p);
            }
            first
        });
        // How many hosts reach each destination, for the allowlist's entries that absorb only
        // what a shared service produces.
        let reach = allowlist::Reach::of(groups.iter().map(|(k, s)| {
            (
                k.host.as_str(),
                k.dst_ip,
                k.dst_port,
                s.own_dst_names(),
                s.app.as_deref(),
            )
        }));
        let mut peers = peers::Peers::of(&groups, &self.cfg, self.threads);
        let zones = zones::Zones::of(&groups, &self.cfg);
        for (key, stats) in groups {
            // A named service answering from several addresses spreads one client's
            // connections over them: the threshold is met by the service when the group alone
            // does not meet it.
            let named = history.named_service(&key, &stats);
            let short = self.exchanges(&stats) < self.cfg.min_connections
                && named
                    .as_ref()
                    .is_none_or(|n| n.connections < self.cfg.min_connections);
            // Rated on one exchange (a hand-run tool, a held session): no window can hold the
            // seed's repetition, and none needs to.
            let one_exchange = (short && self.cfg.behaviour.enabled)
                .then(|| evidence::one_exchange(&self.cfg, &key, &stats));
            let on_one_exchange = one_exchange.is_some_and(group::OneExchange::rates);
            if short && !on_one_exchange {
                summary.below_threshold += 1;
                if explaining {
                    let mut ctx = history.context(&key, &stats, &self.cfg);
                    ctx.one_exchange = one_exchange;
                    let fate = Fate::BelowThreshold {
                        exchanges: self.exchanges(&stats),
                        needed: self.cfg.min_connections,
                    };
                    note(&rating::rate(&self.cfg, &key, &stats, &ctx), fate);
                }
                continue;
            }
            let per_window = window_len
                .map(|len| windows::exchanges_per_window(&stats, len, self.cfg.behaviour.enabled));
            // A named service answering from several addresses is one destination in a window
            // as over the data: its busiest window counts all of them.
            let busiest_alone = per_window
                .as_ref()
                .map(|w| w.values().copied().max().unwrap_or(0));
            let busiest_service = named.as_ref().and_then(|n| n.busiest_window);
            let in_no_window = !on_one_exchange
                && busiest_alone.is_some_and(|own| {
                    own.max(busiest_service.unwrap_or(0)) < self.cfg.min_connections
                });
            let slower_than_window =
                window_len.is_some_and(|len| windows::median_gap(&stats).is_some_and(|g| g > len));
            let mut ctx = history.context(&key, &stats, &self.cfg);
            ctx.named_service = named;
            ctx.one_exchange = one_exchange;
            if self.cfg.behaviour.enabled {
                ctx.conn_beacon = peers.beacons.remove(&key).map(|b| b.map(|b| *b));
                let external = self.cfg.internal.containing(key.dst_ip).is_none();
                ctx.peers = Some(peers.view(&key, &stats, external, self.prior.as_deref()));
                ctx.local_zone = Some(zones.zone(&self.cfg));
            }
            if let (Some(f), Some(b), true) = (&first_seen, &baseline, self.cfg.behaviour.enabled) {
                prior::judge(&mut ctx, &key, f, b);
            }
            let mut alert = rating::rate(&self.cfg, &key, &stats, &ctx);
            if let Some(r) = budget::reason(&stats.budget_cuts) {
                alert.reasons.push(r);
            }
            if let Some(p) = &self.prior
                && let Some(r) = prior::reason(&key, p, &facts)
            {
                alert.reasons.push(r);
            }
            if let (Some(len), Some(per)) = (window_len, &per_window) {
                let text = self.cfg.window.to_string();
                alert.reasons.insert(
                    1,
                    windows::reason(per, len, &text, self.cfg.min_connections),
                );
                if let (Some(own), Some(service), Some(n)) =
                    (busiest_alone, busiest_service, ctx.named_service.as_ref())
                    && own < self.cfg.min_connections
                    && service >= self.cfg.min_connections
                {
                    alert.reasons.insert(
                        2,
                        format!(
                            "over the {} addresses {} was reached at, the busiest {text} window \
                             holds {service}: one named service meets the threshold in a window",
                            n.addresses, n.name
                        ),
                    );
                }
                alert.windows = Some(windows::figures(per, len));
            }
            if !self.cfg.analytic_enabled(key.analytic) && alert.analytics.is_empty() {
                // Behaviour analytics alone, and none of them found anything here.
                summary.below_min_suspicion += 1;
                note(&alert, Fate::NoBehaviourFinding);
                continue;
            }
            if alert.suspicion < self.cfg.min_suspicion {
                summary.below_min_suspicion += 1;
                let least = self.cfg.min_suspicion;
                note(&alert, Fate::BelowMinSuspicion { least });
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
                dst_names: stats.dst_names.as_slice(),
                // Allowlist hook: the facts default entries' conditions need.
                dst_internal: !alert.external,
                iot_host: self.cfg.iot_hosts.contains(&key.host, stats.src_ip),
                hosts_reaching: reach.hosts_reaching(
                    key.dst_ip,
                    key.dst_port,
                    stats.own_dst_names(),
                    stats.app.as_deref(),
                ),
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
                    }
                    let fate = Fate::Suppressed {
                        reason: entry.reason.clone(),
                        entry: entry.describe(),
                        default: matches!(source, EntrySource::Default),
                    };
                    note(&alert, fate);
                    if self.cfg.show_suppressed
                        && let Some(out) = kept.offer(alert)
                    {
                        left_out(&mut summary, &mut note, max_alerts, out);
                    }
                    continue;
                }
            }
            if slower_than_window {
                summary.slower_than_window += 1;
            }
            if in_no_window {
                let beacon = alert
                    .signals
                    .iter()
                    .any(|(id, w)| id.is_beacon() && *w > 0.0);
                if !beacon {
                    summary.below_threshold_in_every_window += 1;
                    let fate = Fate::NoWindowHoldsEnough {
                        window: self.cfg.window.to_string(),
                        needed: self.cfg.min_connections,
                    };
                    note(&alert, fate);
                    continue;
                }
                alert.reasons.insert(
                    2,
                    format!(
                        "no {} window holds {} connections, but judged across windows the \
                         channel beacons, so it is reported",
                        self.cfg.window, self.cfg.min_connections
                    ),
                );
            }
            *summary
                .alerts_by_suspicion
                .entry(alert.suspicion)
                .or_default() += 1;
            // The history remembers every alert raised, kept for the report or not.
            prior::add_alert(&mut facts, &alert);
            if let Some(out) = kept.offer(alert) {
                left_out(&mut summary, &mut note, max_alerts, out);
            }
        }
        let alerts = kept.into_report_order();
        if explaining {
            // Noted once kept: an alert offered early may still be left out by a later one.
            for a in alerts.iter().filter(|a| a.suppressed_by.is_none()) {
                note(a, Fate::Alerted);
            }
        }
        (alerts, summary, facts)
    }
}

/// Counts an alert `limits.max_alerts` left out of the report: it leaves the alerts by
/// suspicion (which count what is reported), and `explain` gives it its own fate.
fn left_out(
    summary: &mut HuntSummary,
    note: &mut impl FnMut(&Alert, Fate),
    limit: usize,
    out: Alert,
) {
    summary.alerts_past_limit += 1;
    if out.suppressed_by.is_none() {
        if let Some(n) = summary.alerts_by_suspicion.get_mut(&out.suspicion) {
            *n = n.saturating_sub(1);
        }
        note(&out, Fate::PastAlertLimit { limit });
    }
}

impl Engine {
    /// Records the names a DNS answer gave addresses (a Zeek `dns.log` A/AAAA answer): each
    /// address is named by every name, whatever the port, since DNS does not say which service
    /// the client went on to reach. They join the groups of those addresses when rated, like
    /// [`observe_dest_name`](Self::observe_dest_name): a group takes the names its own host
    /// (`client`, the querier) was given when there are any, else anyone's.
    pub fn observe_addr_names(
        &self,
        client: Option<IpAddr>,
        addrs: &[IpAddr],
        names: &[String],
        acc: &mut Accumulator,
    ) {
        let names: Vec<&str> = names
            .iter()
            .map(|n| crate::app::bounded_name(n.trim()))
            .filter(|n| !n.is_empty() && *n != "-")
            .collect();
        if names.is_empty() {
            return;
        }
        for ip in addrs {
            for key in [Some((None, *ip)), client.map(|c| (Some(c), *ip))]
                .into_iter()
                .flatten()
            {
                facts::add_addr_names(
                    &mut acc.addr_names,
                    &mut acc.addr_names_dropped,
                    key,
                    names.iter().copied(),
                    self.cfg.limits.max_groups,
                );
            }
        }
    }

    /// Records what a content log learned about one session (a Zeek `mqtt_*.log` record) of the
    /// channel `src` → `dst`:`port` at `ts`. It joins that channel's groups when they are rated
    /// (`join_session_facts`), so it does not matter which file or thread saw it or the
    /// connections first.
    pub fn observe_session_facts(
        &self,
        src: IpAddr,
        dst: IpAddr,
        port: u16,
        ts: Option<Micros>,
        app: Box<AppInfo>,
        acc: &mut Accumulator,
    ) {
        // A channel is one alert whatever the window, so facts join it by endpoints alone; the
        // time is kept in the interface for the sources that give one.
        let _ = ts;
        let added = (app.messages.len() + app.topics.len()) as u64;
        facts::add_session_facts(
            &mut acc.session_facts,
            &mut acc.session_facts_dropped,
            (src, dst, port),
            app,
            self.cfg.limits.max_groups,
        );
        acc.hold_facts(&self.budget, added);
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_masquerade;
#[cfg(test)]
mod tests_peers;
#[cfg(test)]
mod tests_sources;
