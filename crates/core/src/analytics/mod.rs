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

mod accumulator;
pub mod budget;
mod candidates;
pub mod census;
mod content;
mod day_profile;
mod device_evidence;
mod evidence;
mod exchange;
mod facts;
mod fate;
mod finish;
mod group;
mod history;
mod join;
mod kept;
mod parallel;
mod peer_evidence;
mod peers;
mod points;
mod prior;
mod rating;
mod service_timer;
mod table;
mod telemetry;
mod timeline;
mod trial;
mod windows;
mod zones;

pub use accumulator::{Accumulator, EventCounters};
pub use fate::{Fate, GroupFate, Probe, ProbeCounts, ProbeTarget, RecordFate, TimeRange};
pub use group::{
    GroupContext, GroupKey, GroupStats, MAX_SAMPLES_PER_GROUP, MAX_STARTS_PER_GROUP, input_of,
    unreferenced_input,
};
pub use table::GroupCutoff;

use group::trim_sessions;
use history::union_span;

use crate::alert::{Alert, Session};
use crate::app::AppInfo;
use crate::behaviour::presence::Span;
use crate::config::{DirectionPolicy, HuntConfig};
use crate::event::{ConnEvent, Direction, Outcome, Transport};
use crate::time::Micros;
use crate::verdict::Suspicion;
use std::collections::BTreeMap;
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

    /// Whether the host census is used at all (behaviour scoring is on): readers skip the
    /// per-line work of the census when it is not.
    pub fn takes_census(&self) -> bool {
        self.cfg.behaviour.enabled
    }

    /// Adds what one chunk of `source`, a log that records every connection, said of its hosts
    /// (see [`census`]): whether a host did anything but housekeeping and one service.
    /// The census is one per run, shared by the reader threads (its bound then holds in
    /// total, not per thread), and handed to the run's accumulator with
    /// [`Accumulator::absorb_census`] once read.
    pub fn observe_census(
        &self,
        source: &Arc<str>,
        chunk: census::ChunkCensus,
        census: &mut census::Census,
    ) {
        if self.cfg.behaviour.enabled {
            census.add_chunk(source, chunk, self.cfg.limits.max_groups, |host| {
                self.cfg.internal.containing(host).is_some()
            });
        }
    }

    /// Counts one parsed connection of an input for the census (a capture's flow, whatever its
    /// port): its internal initiator, what it reached. Handed to the run's census with
    /// [`Self::observe_flow_census`] when the input is read.
    pub fn count_for_census(&self, ev: &ConnEvent, flows: &mut census::FlowCensus) {
        if !self.cfg.behaviour.enabled {
            return;
        }
        if let Some(src) = ev.src_ip
            && self.cfg.internal.containing(src).is_some()
        {
            let entry = census::FlowEntry {
                dst: ev.dst_ip,
                dst_port: ev.dst_port,
                transport: ev.transport,
                ts: ev.ts,
            };
            flows.count(src, entry, self.cfg.limits.max_groups);
            if !census::is_housekeeping(ev.dst_port, ev.transport)
                && self.cfg.protocol_for_port(ev.dst_port).is_none()
                && ev.app.as_ref().is_none_or(|a| a.protocol.is_none())
            {
                flows.note_other_work(src);
            }
        }
    }

    /// Adds what one input's parsed connections said of its hosts (see
    /// [`Self::count_for_census`]) to the run's census.
    pub fn observe_flow_census(
        &self,
        source: &Arc<str>,
        flows: census::FlowCensus,
        coverage: census::Coverage,
        census: &mut census::Census,
    ) {
        if self.cfg.behaviour.enabled && !flows.is_empty() {
            census.add_flows(source, flows, coverage, self.cfg.limits.max_groups);
        }
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
        for asker in facts::Asker::keys(client) {
            acc.add_dest_names((asker, ip, port), std::iter::once(name), &self.cfg);
        }
    }

    /// Notes a record the reader read but does not observe (the prefilter skips the lines
    /// around it unparsed) in the extent of the run and of its input `source`: a channel's
    /// data span is its inputs' whole extent, whatever the candidates in them cover.
    pub fn note_extent(&self, ev: &ConnEvent, source: &Arc<str>, acc: &mut Accumulator) {
        acc.note_event_time(ev);
        if self.range.admits(ev) {
            self.widen_source_span(ev, source, acc);
        }
    }

    /// Widens `source`'s extent (the data span the behaviour evidence judges against) to the
    /// event's start and end.
    fn widen_source_span(&self, ev: &ConnEvent, source: &Arc<str>, acc: &mut Accumulator) {
        let (true, Some(first)) = (self.cfg.behaviour.enabled, ev.ts) else {
            return;
        };
        let last = ev.end.map_or(first, |e| e.max(first));
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
        self.widen_source_span(ev, input_of(ev), acc);
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
            for asker in facts::Asker::keys(client) {
                facts::add_addr_names(
                    &mut acc.addr_names,
                    &mut acc.addr_names_dropped,
                    (asker, *ip),
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
mod tests_named;
#[cfg(test)]
mod tests_peers;
#[cfg(test)]
mod tests_relay;
#[cfg(test)]
mod tests_service_timer;
#[cfg(test)]
mod tests_sources;
