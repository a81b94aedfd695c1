//! The state one member keeps for one partition it owns: tumbling event-time windows of
//! records, each an accumulator of the batch engine, closed when the partition's event time has
//! passed their end by the allowed lateness (decided record by record, so by the partition's
//! order alone; or when the partition went idle), then rated exactly as
//! `hunt` rates a file holding the same records. It also knows which offset is safe to commit:
//! the first offset of the oldest window still open, since every record after the commit point
//! must be read again after a crash for the open windows to be rebuilt.
//!
//! Windows are aligned on the epoch (`ts div window`), so every member and every replay cuts
//! the same windows; a finding is the alert of one channel in one window and carries the
//! channel's stable id. The index of the last closed window is committed with the offset (as
//! the commit's metadata), so records of windows already reported are recognised after a
//! replay and not rated a second time from a partial set.

use pubsub_hunt_core::analytics::census::{Census, Coverage, FlowCensus};
use pubsub_hunt_core::prior::PriorSource;
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{Accumulator, Alert, Engine, HuntSummary, RecordRef};
use pubsub_hunt_reader::Record;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How windows are cut and closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowPolicy {
    /// Window length, in microseconds (at least one second).
    pub len: Micros,
    /// How far behind the partition's latest event time a record may be and still count.
    pub lateness: Micros,
    /// Open windows closed when no record arrived on the partition for this long (processing
    /// time), so a quiet partition still reports; `None` waits for event time only.
    pub idle_close: Option<Duration>,
    /// Most windows open at once on one partition; a record that would open one more closes
    /// the oldest first (counted). Bounds memory against records with scattered timestamps.
    pub max_open: usize,
}

/// What happened to records of one partition (for the stats and the final summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartitionCounters {
    pub records: u64,
    pub connections: u64,
    /// Valid records that are not connections (other logs, DNS answers, names).
    pub other: u64,
    /// Messages no reader accepted (malformed or unknown).
    pub malformed: u64,
    /// Records of a window this member had already closed.
    pub late: u64,
    /// Records of a window reported before the last commit (read again after a restart or a
    /// rebalance): already reported, not rated again.
    pub replayed: u64,
    /// Connections without a timestamp: no window can hold them.
    pub no_timestamp: u64,
    pub windows_closed: u64,
    /// Windows closed before their time because too many were open.
    pub windows_forced: u64,
    /// Windows whose rating met a bound (`limits.max_groups`, the group state budget,
    /// `limits.max_alerts`): their findings saw less than their records, as a `hunt` that
    /// exits 2 does.
    pub windows_bounded: u64,
    pub findings: u64,
}

/// One window still open.
#[derive(Debug)]
struct OpenWindow {
    acc: Accumulator,
    /// The smallest offset of a record in it: nothing before it is needed to rebuild it.
    first_offset: i64,
    /// The census of its connections from a format that records every connection (a Zeek
    /// conn.log; see [`PartitionState::observe_counted`]); `None` when it has none.
    census: Option<FlowCensus>,
}

/// The bounds a window's rating met, in words (`None`: none).
pub fn bound_met(h: &HuntSummary) -> Option<String> {
    if !h.bound_reached() {
        return None;
    }
    let mut what = Vec::new();
    if h.counters.group_table_full > 0 {
        what.push(format!(
            "{} connections of groups past limits.max_groups left out",
            h.counters.group_table_full
        ));
    }
    if !h.budget.is_empty() {
        what.push("timelines cut to limits.max_group_state_bytes".to_string());
    }
    if h.alerts_past_limit > 0 {
        what.push(format!(
            "{} alerts past limits.max_alerts not reported",
            h.alerts_past_limit
        ));
    }
    Some(what.join("; "))
}

/// A window just closed and rated.
#[derive(Debug)]
pub struct ClosedWindow {
    /// Window index (`start = index * len`).
    pub index: i64,
    pub start: Micros,
    pub alerts: Vec<Alert>,
    pub summary: HuntSummary,
}

/// Everything one member knows about one partition.
#[derive(Debug)]
pub struct PartitionState {
    policy: WindowPolicy,
    /// `topic/partition`: what findings' evidence names as the input, like a file path.
    source: Arc<str>,
    windows: BTreeMap<i64, OpenWindow>,
    /// Windows closed but not rated yet (rated at the next batch); their records still hold
    /// the commit point back until their findings are written.
    due: Vec<(i64, OpenWindow)>,
    /// Latest event time seen.
    max_ts: Option<Micros>,
    /// Windows up to this index are closed (here, or before the last commit).
    closed_through: Option<i64>,
    /// `closed_through` as the last commit left it (restored at assignment).
    restored_through: Option<i64>,
    /// The offset after the last record read.
    next_offset: Option<i64>,
    last_record: Instant,
    pub counters: PartitionCounters,
}

impl PartitionState {
    /// A partition just assigned; `restored_through` is what the last commit's metadata said
    /// (see [`parse_metadata`]).
    pub fn new(source: Arc<str>, policy: WindowPolicy, restored_through: Option<i64>) -> Self {
        PartitionState {
            policy,
            source,
            windows: BTreeMap::new(),
            due: Vec::new(),
            max_ts: None,
            closed_through: restored_through,
            restored_through,
            next_offset: None,
            last_record: Instant::now(),
            counters: PartitionCounters::default(),
        }
    }

    /// Groups open over all windows (for the stats).
    pub fn open_groups(&self) -> usize {
        self.windows
            .values()
            .chain(self.due.iter().map(|(_, w)| w))
            .map(|w| w.acc.group_count())
            .sum()
    }

    pub fn open_windows(&self) -> usize {
        self.windows.len() + self.due.len()
    }

    pub fn next_offset(&self) -> Option<i64> {
        self.next_offset
    }

    /// A message no reader accepted, at `offset`: counted, nothing depends on it.
    pub fn malformed(&mut self, offset: i64) {
        self.counters.records += 1;
        self.counters.malformed += 1;
        self.advance(offset);
    }

    fn advance(&mut self, offset: i64) {
        self.last_record = Instant::now();
        self.next_offset = Some(self.next_offset.map_or(offset + 1, |n| n.max(offset + 1)));
    }

    /// Counts one record into its window (opening it), or counts why it is not. Names that
    /// belong to no window (TLS server names, DNS answers) go to `names`, which the member
    /// shares between its partitions: they describe destinations, not hosts, and may arrive on
    /// another topic than the connections they name.
    pub fn observe(
        &mut self,
        engine: &Engine,
        offset: i64,
        record: Record,
        names: &mut Accumulator,
    ) {
        self.observe_counted(engine, offset, record, false, names);
    }

    /// [`Self::observe`] of a record from a format that records every connection its sensor
    /// saw (`census`: a Zeek conn.log): a connection is also counted in its window's census of
    /// hosts, so the window is rated with what else each host did, as `hunt` rates a file of
    /// the same records (the census of a conn.log counts every line).
    pub fn observe_counted(
        &mut self,
        engine: &Engine,
        offset: i64,
        record: Record,
        census: bool,
        names: &mut Accumulator,
    ) {
        self.observe_record(engine, offset, record, census, names);
        self.settle();
    }

    fn observe_record(
        &mut self,
        engine: &Engine,
        offset: i64,
        record: Record,
        census: bool,
        names: &mut Accumulator,
    ) {
        self.counters.records += 1;
        self.advance(offset);
        match record {
            Record::Conn(mut ev) => {
                let Some(ts) = ev.ts else {
                    self.counters.no_timestamp += 1;
                    return;
                };
                ev.origin = Some(RecordRef {
                    file: self.source.clone(),
                    line: u64::try_from(offset).unwrap_or(0),
                });
                self.counters.connections += 1;
                if let Some(w) = self.window_for(ts, offset) {
                    engine.observe(&ev, &mut w.acc);
                    if census && engine.takes_census() {
                        engine.count_for_census(&ev, w.census.get_or_insert_default());
                    }
                }
            }
            Record::SessionFacts {
                src_ip,
                dst_ip,
                dst_port,
                ts,
                app,
            } => {
                self.counters.other += 1;
                let acc = match ts {
                    Some(ts) => self.window_for(ts, offset).map(|w| &mut w.acc),
                    None => Some(names),
                };
                if let Some(acc) = acc {
                    engine.observe_session_facts(src_ip, dst_ip, dst_port, ts, app, acc);
                }
            }
            Record::DestName {
                client,
                ip,
                port,
                name,
                conn,
            } => {
                self.counters.other += 1;
                engine.observe_dest_name(client, ip, port, &name, names);
                // A public broker's connection the name log recorded goes to its window, like
                // a connection record (the engine takes it only where no port analytic does).
                if let Some(mut ev) = conn
                    && let Some(ts) = ev.ts
                {
                    ev.origin = Some(RecordRef {
                        file: self.source.clone(),
                        line: u64::try_from(offset).unwrap_or(0),
                    });
                    if let Some(w) = self.window_for(ts, offset) {
                        engine.observe_named_connection(&ev, &mut w.acc);
                    }
                }
            }
            Record::AddrNames {
                client,
                addrs,
                names: answer,
            } => {
                self.counters.other += 1;
                engine.observe_addr_names(client, &addrs, &answer, names);
            }
            Record::Other => self.counters.other += 1,
            Record::Skip => self.counters.records -= 1,
        }
    }

    /// The window holding `ts`, opened if needed; `None` (counted) when
    /// that window is already closed.
    fn window_for(&mut self, ts: Micros, offset: i64) -> Option<&mut OpenWindow> {
        let index = ts.div_euclid(self.policy.len);
        if let Some(c) = self.closed_through
            && index <= c
        {
            if self.restored_through.is_some_and(|r| index <= r) {
                self.counters.replayed += 1;
            } else {
                self.counters.late += 1;
            }
            return None;
        }
        self.max_ts = Some(self.max_ts.map_or(ts, |m| m.max(ts)));
        Some(
            self.windows
                .entry(index)
                .and_modify(|w| w.first_offset = w.first_offset.min(offset))
                .or_insert_with(|| OpenWindow {
                    acc: Accumulator::new(),
                    first_offset: offset,
                    census: None,
                }),
        )
    }

    /// Closes the windows due after the last record: those whose end the partition's event
    /// time has passed by the lateness, then the oldest beyond `policy.max_open`. Done record by
    /// record, so which records a window holds depends only on the partition's order — the same
    /// in every member and every replay — and never on when batches run.
    fn settle(&mut self) {
        while let Some((&index, _)) = self.windows.first_key_value() {
            let end = index.saturating_add(1).saturating_mul(self.policy.len);
            let by_time = self
                .max_ts
                .is_some_and(|m| m.saturating_sub(self.policy.lateness) >= end);
            let forced = self.windows.len() > self.policy.max_open;
            if !(by_time || forced) {
                break;
            }
            if !by_time {
                self.counters.windows_forced += 1;
            }
            self.retire_first();
        }
    }

    /// Moves the oldest open window to the closed ones waiting to be rated.
    fn retire_first(&mut self) {
        if let Some((index, w)) = self.windows.pop_first() {
            self.closed_through = Some(self.closed_through.map_or(index, |c| c.max(index)));
            self.due.push((index, w));
        }
    }

    /// Rates every closed window: those closed by event time or by the bound, and all open
    /// ones when the partition has been idle for `policy.idle_close` or `all` is set (the
    /// member leaves for good once the topics are drained: `--stop-when-idle`). `names` (the
    /// member's) join every window rated.
    pub fn close_due(
        &mut self,
        engine: &Engine,
        names: &Accumulator,
        now: Instant,
        all: bool,
    ) -> Vec<ClosedWindow> {
        let rated = self.close_due_judged(engine, names, now, all, None);
        // Without a history source nothing can fail.
        rated.unwrap_or_default()
    }

    /// [`close_due`](Self::close_due), each window judged against the part of the history
    /// `prior` loads for its groups (as `hunt` loads it for a run's). A load that fails stops
    /// the rating: the windows' records are not committed, so they are read again.
    pub fn close_due_judged(
        &mut self,
        engine: &Engine,
        names: &Accumulator,
        now: Instant,
        all: bool,
        prior: Option<&dyn PriorSource>,
    ) -> Result<Vec<ClosedWindow>, String> {
        let idle = self
            .policy
            .idle_close
            .is_some_and(|d| now.saturating_duration_since(self.last_record) >= d);
        if all || idle {
            while !self.windows.is_empty() {
                self.retire_first();
            }
        }
        let due = std::mem::take(&mut self.due);
        due.into_iter()
            .map(|(index, w)| self.rate(engine, names, index, w, prior))
            .collect()
    }

    fn rate(
        &mut self,
        engine: &Engine,
        names: &Accumulator,
        index: i64,
        w: OpenWindow,
        prior: Option<&dyn PriorSource>,
    ) -> Result<ClosedWindow, String> {
        let mut acc = w.acc;
        acc.merge(names.clone(), engine.config());
        if let Some(flows) = w.census {
            let mut census = Census::default();
            engine.observe_flow_census(&self.source, flows, Coverage::EveryConnection, &mut census);
            acc.absorb_census(census, engine.config());
        }
        let (alerts, summary) = match prior {
            Some(source) => {
                let history = source.load_for(&acc.history_keys())?;
                engine.clone().with_prior(Arc::new(history)).finish(acc)
            }
            None => engine.finish(acc),
        };
        self.counters.windows_closed += 1;
        if summary.bound_reached() {
            self.counters.windows_bounded += 1;
        }
        self.counters.findings += alerts.len() as u64;
        Ok(ClosedWindow {
            index,
            start: index.saturating_mul(self.policy.len),
            alerts,
            summary,
        })
    }

    /// The offset to commit once the findings of every window rated so far are written: the
    /// first record of the oldest window open or waiting to be rated, or past the last record
    /// read when there is none.
    /// `None` before any record was read.
    pub fn commit_point(&self) -> Option<i64> {
        let oldest = self
            .windows
            .values()
            .chain(self.due.iter().map(|(_, w)| w))
            .map(|w| w.first_offset)
            .min();
        match (oldest, self.next_offset) {
            (Some(o), Some(n)) => Some(o.min(n)),
            (o, n) => o.or(n),
        }
    }

    /// The metadata committed with [`commit_point`](Self::commit_point).
    pub fn metadata(&self) -> String {
        format_metadata(self.policy.len, self.closed_through)
    }
}

/// Prefix of our commit metadata; anything else (another tool's) is ignored.
const META_PREFIX: &str = "pubsub-hunt/1";

/// `pubsub-hunt/1 window=<len µs> closed=<index>`.
pub fn format_metadata(len: Micros, closed: Option<i64>) -> String {
    match closed {
        Some(c) => format!("{META_PREFIX} window={len} closed={c}"),
        None => format!("{META_PREFIX} window={len}"),
    }
}

/// The closed-through index a commit's metadata holds, when it was written with the same
/// window length (windows of another length do not line up: start over).
pub fn parse_metadata(meta: &str, len: Micros) -> Option<i64> {
    let mut parts = meta.split(' ');
    if parts.next() != Some(META_PREFIX) {
        return None;
    }
    let mut same_len = false;
    let mut closed = None;
    for p in parts {
        if let Some(v) = p.strip_prefix("window=") {
            same_len = v.parse::<Micros>().ok() == Some(len);
        } else if let Some(v) = p.strip_prefix("closed=") {
            closed = v.parse::<i64>().ok();
        }
    }
    if same_len { closed } else { None }
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "census_tests.rs"]
mod census_tests;
