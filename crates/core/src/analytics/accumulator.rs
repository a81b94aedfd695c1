//! One reader's partial results: the group table, the names and content-log facts other records
//! gave destinations, each input's extent, the event counters, and the sessions kept. Every part
//! merges with another reader's in any order (counts, sums, min/max and bounded "smallest N"
//! sets), and each is bounded like the groups; the engine ([`super::Engine`]) fills and rates it.

use super::fate::ProbeCounts;
use super::group::{self, GroupKey, GroupStats, MAX_NAMES_PER_GROUP, session_order, trim_sessions};
use super::history::{self, union_span};
use super::table::{self, GroupCutoff};
use super::{budget, census, facts, prior};
use crate::alert::Session;
use crate::behaviour::presence::Span;
use crate::bounded::insert_smallest;
use crate::config::HuntConfig;
use crate::event::ConnEvent;
use crate::time::Micros;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

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
    pub(super) fn add(&mut self, o: &EventCounters) {
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
    pub(super) fn drop_grouped(&mut self, connections: u64) {
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
    pub(super) groups: table::GroupTable,
    /// Names other records gave a destination (Zeek `ssl.log` server names), by (client,
    /// address, port) and by (address, port) for any client; merged into the groups of that
    /// destination when rated, the group's own host's first. Bounded like the groups.
    pub(super) dest_names: facts::DestNames,
    /// Destination names not kept because the table was full.
    pub dest_names_dropped: u64,
    /// Each input's extent: the earliest start and latest start or end of the events read from
    /// it. A channel's presence is judged against the inputs that hold it, never against the
    /// whole run, so adding an unrelated file cannot move a verdict. Bounded like the groups.
    pub(super) source_spans: HashMap<Arc<str>, Span, foldhash::fast::RandomState>,
    /// The input being read and its extent so far: readers send one input's events in a row,
    /// so the table above is touched once per run of events, not once per event.
    pub(super) current_source: Option<(Arc<str>, Span)>,
    /// Names DNS answers gave addresses (Zeek `dns.log`), for any port; merged into the groups
    /// of that address when rated. Bounded like the groups.
    pub(super) addr_names: facts::AddrNames,
    /// Addresses whose names were not kept because the table was full.
    pub addr_names_dropped: u64,
    /// What content logs (Zeek `mqtt_*.log`) learned about sessions, per channel and window;
    /// merged into the channel's groups when rated. Bounded like the groups.
    pub(super) session_facts: facts::SessionFacts,
    /// Session facts not kept because the table was full.
    pub session_facts_dropped: u64,
    /// What each host did in each input that records every connection (`census`). Bounded
    /// like the groups.
    pub(super) census: census::Census,
    pub counters: EventCounters,
    /// Recognised pub/sub sessions, when the configuration asks for them (bounded).
    pub sessions: Vec<Session>,
    /// Sessions not kept because of `limits.max_sessions`.
    pub sessions_dropped: u64,
    /// What the engine's probe (`explain`) counted; empty without one.
    pub probe: ProbeCounts,
    /// At least the timeline entries the groups hold, to know when to trim them to the budget.
    pub(super) held: budget::Held,
    /// At least the timeline entries `session_facts` hold, likewise.
    pub(super) facts_held: u64,
}

impl Accumulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// The groups' share of the state budget: all of it, or, once content-log facts are kept
    /// beside them, what [`budget::Budget::split_for_facts`] leaves the groups.
    pub(super) fn groups_budget(&self, b: &budget::Budget) -> budget::Budget {
        if self.session_facts.is_empty() {
            *b
        } else {
            b.split_for_facts().0
        }
    }

    /// Trims the content-log facts to their share of the budget when they may hold 1.5 × it.
    pub(super) fn hold_facts(&mut self, b: &budget::Budget, added: u64) {
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
        self.census.merge(other.census, cfg.limits.max_groups);
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

    /// Takes in a census gathered beside the accumulators (the ingest pipeline keeps one per
    /// run, shared by its threads, so its bound holds in total; see [`census`]).
    pub fn absorb_census(&mut self, census: census::Census, cfg: &HuntConfig) {
        self.census.merge(census, cfg.limits.max_groups);
    }

    pub(super) fn add_dest_names<'n>(
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

    pub(super) fn flush_source(&mut self, cfg: &HuntConfig) {
        if let Some((source, span)) = self.current_source.take() {
            self.add_source_span(source, span, cfg);
        }
    }

    pub(super) fn add_source_span(&mut self, source: Arc<str>, span: Span, cfg: &HuntConfig) {
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
