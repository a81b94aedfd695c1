//! The consumer-group member: subscribes, reads records, keeps a [`PartitionState`] per owned
//! partition, and commits offsets only after the findings that depend on the records before
//! them are durable ([`FindingSink::flush`]). Everything runs on one thread: librdkafka calls
//! the rebalance, error and statistics callbacks from inside `poll`, and they share the
//! member's state with the loop through one mutex that the loop never holds across `poll` or
//! a commit.
//!
//! - Assignment: each new partition starts empty; the closed-through window index the last
//!   commit stored as metadata is restored, so replayed records of windows already reported are
//!   recognised (counted as replayed) rather than rated again from a partial set.
//! - Revocation: the findings of windows already closed are flushed and each revoked
//!   partition's safe offset is committed before the partition goes; its open windows are
//!   dropped, and the next owner rebuilds them by replaying from that offset.
//! - Stop (SIGTERM/SIGINT): windows already due are closed, findings flushed, offsets
//!   committed, then the member leaves the group (the consumer is closed).
//! - Brokers that cannot be reached are retried by librdkafka with exponential backoff
//!   (`reconnect.backoff.ms`…`reconnect.backoff.max.ms`); each error is reported on standard
//!   error, repeated ones at most once per stats interval.

use crate::client::{ClientSettings, consumer_config, producer_config, read_metadata};
use crate::decode::{Decoder, FormatCache};
use crate::hosts::{HostPartitions, REPORT_FIRST};
use crate::sink::{FindingFormat, FindingSink, SinkError};
use crate::stats::{Stats, Totals};
use crate::window::{PartitionCounters, PartitionState, WindowPolicy, parse_metadata};
use pubsub_hunt_core::prior::PriorSource;
use pubsub_hunt_core::{Accumulator, Engine};
use pubsub_hunt_reader::Record;
use rdkafka::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Everything a member needs, validated by the caller.
#[derive(Debug, Clone)]
pub struct MemberConfig {
    /// `HOST:PORT[,HOST:PORT…]`.
    pub brokers: String,
    pub topics: Vec<String>,
    pub group: String,
    pub output_file: Option<PathBuf>,
    pub output_topic: Option<String>,
    /// How findings are written, to the file and the topic alike.
    pub format: FindingFormat,
    pub policy: WindowPolicy,
    /// A malformed record stops the member (without committing past it).
    pub strict: bool,
    /// Stats on standard error this often.
    pub stats_every: Duration,
    /// How often due windows are closed, findings flushed and offsets committed: the batch.
    pub commit_every: Duration,
    /// Leave once no record arrived for this long (all windows closed first): for catch-up
    /// runs over a topic's backlog, and tests.
    pub stop_when_idle: Option<Duration>,
    /// librdkafka properties given with `-X key=value` (security settings, timeouts).
    pub extra: Vec<(String, String)>,
}

/// Why the member stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("cannot create the Kafka consumer: {0}")]
    Consumer(KafkaError),
    #[error("cannot subscribe to {topics}: {source}")]
    Subscribe { topics: String, source: KafkaError },
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("--strict: {0}")]
    Strict(String),
    #[error("cannot read the history to judge a window against: {0}")]
    History(String),
}

/// What a member did, for the final summary.
#[derive(Debug, Clone, Default)]
pub struct MemberReport {
    pub totals: Totals,
    /// Per partition (`topic/partition`), what its records came to while this member owned it.
    pub partitions: BTreeMap<String, PartitionCounters>,
    pub findings_written: u64,
    pub split_hosts: u64,
    pub commits: u64,
    pub commit_failures: u64,
}

/// A partition this member owns.
struct Owned {
    state: PartitionState,
    cache: FormatCache,
    /// Last offset committed (or found committed at assignment).
    committed: Option<i64>,
}

/// The member's state, shared by the loop and librdkafka's callbacks.
struct Shared {
    engine: Engine,
    /// The state store's history, read for each window as it is rated (`--state`).
    prior: Option<Box<dyn PriorSource>>,
    decoder: Decoder,
    policy: WindowPolicy,
    owned: HashMap<(Arc<str>, i32), Owned>,
    names: Accumulator,
    sink: FindingSink,
    hosts: HostPartitions,
    report: MemberReport,
    /// Consumer lag per partition, from librdkafka's statistics.
    lags: HashMap<(String, i32), i64>,
    /// A sink or history failure met inside a callback: the loop stops on it.
    failed: Option<MemberError>,
    /// When the last assignment happened (the idle clock starts there too).
    assigned_at: Instant,
    broker_errors: u64,
    last_error_report: Option<Instant>,
    stats_every: Duration,
}

impl Shared {
    /// Closes the due windows of every owned partition (or of `only`), writes their findings
    /// and makes them durable; returns the offsets now safe to commit.
    fn close_and_flush(
        &mut self,
        all: bool,
        only: Option<&TopicPartitionList>,
    ) -> Result<TopicPartitionList, MemberError> {
        let now = Instant::now();
        let mut keys: Vec<(Arc<str>, i32)> = self.owned.keys().cloned().collect();
        keys.sort();
        for key in &keys {
            if let Some(tpl) = only
                && tpl.find_partition(&key.0, key.1).is_none()
            {
                continue;
            }
            let Some(o) = self.owned.get_mut(key) else {
                continue;
            };
            let source = format!("{}/{}", key.0, key.1);
            let prior = self.prior.as_deref();
            let closed = o
                .state
                .close_due_judged(&self.engine, &self.names, now, all, prior)
                .map_err(MemberError::History)?;
            for w in closed {
                for a in &w.alerts {
                    self.sink.write(a, w.start, &source)?;
                }
                if let Some(what) = crate::window::bound_met(&w.summary) {
                    // Said when it happens, as `hunt` says it at the end of a run.
                    let _ = writeln!(
                        std::io::stderr().lock(),
                        "pubsub-hunt: stream: the window from {} of {source} was rated at a \
                         bound: {what}",
                        pubsub_hunt_core::time::format_rfc3339(w.start)
                    );
                }
            }
        }
        self.sink.flush()?;
        self.report.findings_written = self.sink.written;
        let mut tpl = TopicPartitionList::new();
        for key in &keys {
            if let Some(only) = only
                && only.find_partition(&key.0, key.1).is_none()
            {
                continue;
            }
            let Some(o) = self.owned.get(key) else {
                continue;
            };
            let Some(point) = o.state.commit_point() else {
                continue;
            };
            if o.committed.is_some_and(|c| c >= point) && !all {
                continue;
            }
            if tpl
                .add_partition_offset(&key.0, key.1, Offset::Offset(point))
                .is_ok()
                && let Some(mut e) = tpl.find_partition(&key.0, key.1)
            {
                e.set_metadata(o.state.metadata());
            }
        }
        Ok(tpl)
    }

    fn committed(&mut self, tpl: &TopicPartitionList) {
        self.report.commits += 1;
        for e in tpl.elements() {
            if let (Offset::Offset(off), Some(o)) = (
                e.offset(),
                self.owned.get_mut(&(Arc::from(e.topic()), e.partition())),
            ) {
                o.committed = Some(off);
            }
        }
    }

    fn report_broker_error(&mut self, what: &str) {
        self.broker_errors += 1;
        let now = Instant::now();
        if self
            .last_error_report
            .is_none_or(|t| now.duration_since(t) >= self.stats_every)
        {
            self.last_error_report = Some(now);
            let _ = writeln!(
                std::io::stderr().lock(),
                "pubsub-hunt: stream: {what} (retrying with backoff; {} errors so far)",
                self.broker_errors
            );
        }
    }

    /// Drops a partition's state, keeping its counters for the summary.
    fn drop_partition(&mut self, topic: &str, partition: i32) {
        if let Some(o) = self.owned.remove(&(Arc::from(topic), partition)) {
            self.fold_counters(topic, partition, o.state.counters);
        }
        self.hosts.forget(topic, partition);
    }

    fn fold_counters(&mut self, topic: &str, partition: i32, c: PartitionCounters) {
        let e = self
            .report
            .partitions
            .entry(format!("{topic}/{partition}"))
            .or_default();
        add_counters(e, &c);
    }
}

fn add_counters(e: &mut PartitionCounters, c: &PartitionCounters) {
    e.records += c.records;
    e.connections += c.connections;
    e.other += c.other;
    e.malformed += c.malformed;
    e.late += c.late;
    e.replayed += c.replayed;
    e.no_timestamp += c.no_timestamp;
    e.windows_closed += c.windows_closed;
    e.windows_forced += c.windows_forced;
    e.windows_bounded += c.windows_bounded;
    e.findings += c.findings;
}

fn lock(shared: &Mutex<Shared>) -> MutexGuard<'_, Shared> {
    // A panic while holding the lock leaves counters, not invariants, half-updated: go on.
    shared.lock().unwrap_or_else(|e| e.into_inner())
}

/// librdkafka's callbacks, sharing the member's state.
struct MemberContext {
    shared: Arc<Mutex<Shared>>,
}

impl ClientContext for MemberContext {
    fn error(&self, error: KafkaError, reason: &str) {
        lock(&self.shared).report_broker_error(&format!("{error}: {reason}"));
    }

    fn stats(&self, statistics: Statistics) {
        let mut s = lock(&self.shared);
        for (topic, t) in &statistics.topics {
            for (&p, part) in &t.partitions {
                if p >= 0 && part.consumer_lag >= 0 {
                    s.lags.insert((topic.clone(), p), part.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for MemberContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Revoke(revoked) = rebalance else {
            return;
        };
        let tpl = {
            let mut s = lock(&self.shared);
            match s.close_and_flush(false, Some(revoked)) {
                Ok(tpl) => Some(tpl),
                Err(e) => {
                    s.failed = Some(e);
                    None
                }
            }
        };
        // Commit what is safe for the partitions going away, so their next owner replays as
        // little as possible; without it nothing is lost, only more is replayed.
        if let Some(tpl) = tpl
            && tpl.count() > 0
        {
            match consumer.commit(&tpl, CommitMode::Sync) {
                Ok(()) => lock(&self.shared).committed(&tpl),
                Err(e) => {
                    let mut s = lock(&self.shared);
                    s.report.commit_failures += 1;
                    s.report_broker_error(&format!("commit at revocation failed: {e}"));
                }
            }
        }
        let mut s = lock(&self.shared);
        for e in revoked.elements() {
            s.drop_partition(e.topic(), e.partition());
        }
        s.lags
            .retain(|(t, p), _| revoked.find_partition(t, *p).is_none());
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let Rebalance::Assign(assigned) = rebalance else {
            if let Rebalance::Error(e) = rebalance {
                lock(&self.shared).report_broker_error(&format!("rebalance failed: {e}"));
            }
            return;
        };
        // What the last commit said about each partition: its offset and closed windows.
        let committed = consumer
            .committed_offsets((*assigned).clone(), Duration::from_secs(10))
            .ok();
        let mut s = lock(&self.shared);
        s.assigned_at = Instant::now();
        let policy = s.policy;
        for e in assigned.elements() {
            let key = (Arc::<str>::from(e.topic()), e.partition());
            let (offset, meta) = committed
                .as_ref()
                .and_then(|c| c.find_partition(e.topic(), e.partition()))
                .map(|c| {
                    let off = match c.offset() {
                        Offset::Offset(o) => Some(o),
                        _ => None,
                    };
                    (off, read_metadata(&c))
                })
                .unwrap_or((None, None));
            let restored = meta.and_then(|m| parse_metadata(&m, policy.len));
            let source: Arc<str> = Arc::from(format!("{}/{}", key.0, key.1));
            s.owned.insert(
                key,
                Owned {
                    state: PartitionState::new(source, policy, restored),
                    cache: FormatCache::default(),
                    committed: offset,
                },
            );
        }
    }
}

fn client_settings(cfg: &MemberConfig) -> ClientSettings<'_> {
    ClientSettings {
        brokers: &cfg.brokers,
        group: &cfg.group,
        stats_every: cfg.stats_every,
        extra: &cfg.extra,
    }
}

/// Runs one member, judging each window against the part of the history `prior` loads for it
/// (none: everything is new), until `stop` is set (SIGTERM, SIGINT), `stop_when_idle` passes, or an
/// error that must stop it (a sink that cannot make findings durable, `--strict`).
pub fn run(
    cfg: MemberConfig,
    engine: Engine,
    prior: Option<Box<dyn PriorSource>>,
    decoder: Decoder,
    stop: &AtomicBool,
) -> Result<MemberReport, MemberError> {
    let sink = FindingSink::new(
        cfg.output_topic
            .as_ref()
            .map(|t| (producer_config(&client_settings(&cfg)), t.clone())),
        cfg.output_file.as_deref(),
        cfg.format,
        Duration::from_secs(30),
    )?;
    let max_hosts = engine.config().limits.max_groups.max(1024);
    let shared = Arc::new(Mutex::new(Shared {
        engine,
        prior,
        decoder,
        policy: cfg.policy,
        owned: HashMap::new(),
        names: Accumulator::new(),
        sink,
        hosts: HostPartitions::new(max_hosts),
        report: MemberReport::default(),
        lags: HashMap::new(),
        failed: None,
        assigned_at: Instant::now(),
        broker_errors: 0,
        last_error_report: None,
        stats_every: cfg.stats_every,
    }));
    let consumer: BaseConsumer<MemberContext> = consumer_config(&client_settings(&cfg))
        .create_with_context(MemberContext {
            shared: shared.clone(),
        })
        .map_err(MemberError::Consumer)?;
    let topics: Vec<&str> = cfg.topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|source| MemberError::Subscribe {
            topics: cfg.topics.join(","),
            source,
        })?;
    let mut stats = Stats::new(Instant::now());
    let mut next_stats = Instant::now() + cfg.stats_every;
    let mut next_commit = Instant::now() + cfg.commit_every;
    let mut last_record = Instant::now();
    let mut idle_stop = false;
    let result = loop {
        if stop.load(Ordering::SeqCst) {
            break Ok(());
        }
        if let Some(e) = lock(&shared).failed.take() {
            break Err(e);
        }
        match consumer.poll(Duration::from_millis(100)) {
            None => {}
            Some(Err(e)) => lock(&shared).report_broker_error(&e.to_string()),
            Some(Ok(m)) => {
                last_record = Instant::now();
                let mut s = lock(&shared);
                if let Err(e) = take(&mut s, m.topic(), m.partition(), m.offset(), m.payload())
                    && cfg.strict
                {
                    break Err(MemberError::Strict(e));
                }
            }
        }
        let now = Instant::now();
        if let Some(idle) = cfg.stop_when_idle {
            let since = last_record.max(lock(&shared).assigned_at);
            if now.saturating_duration_since(since) >= idle {
                idle_stop = true;
                break Ok(());
            }
        }
        if now >= next_commit {
            if let Err(e) = commit(&consumer, &shared, false) {
                break Err(e);
            }
            next_commit = now + cfg.commit_every;
        }
        if now >= next_stats {
            stats.print(&snapshot(&lock(&shared)), now, false);
            next_stats = now + cfg.stats_every;
        }
    };
    // Finish the batch: close what is due (everything, when leaving because the topics are
    // drained), make the findings durable and commit; then leave the group.
    let result = result.and_then(|()| commit(&consumer, &shared, idle_stop));
    consumer.unsubscribe();
    drop(consumer);
    let mut s = lock(&shared);
    let keys: Vec<(Arc<str>, i32)> = s.owned.keys().cloned().collect();
    for (t, p) in keys {
        s.drop_partition(&t, p);
    }
    s.report.split_hosts = s.hosts.split;
    s.report.findings_written = s.sink.written;
    let snap = snapshot(&s);
    stats.print(&snap, Instant::now(), true);
    let mut report = s.report.clone();
    report.totals = snap;
    result.map(|()| report)
}

/// Decodes one message into its partition's state. `Err` (already counted and reported) when
/// it is not a record.
fn take(
    s: &mut Shared,
    topic: &str,
    partition: i32,
    offset: i64,
    payload: Option<&[u8]>,
) -> Result<(), String> {
    let key: (Arc<str>, i32) = (Arc::from(topic), partition);
    let Shared {
        owned,
        decoder,
        engine,
        names,
        hosts,
        ..
    } = s;
    let Some(o) = owned.get_mut(&key) else {
        // A message of a partition not (or no longer) ours: the next owner reads it.
        return Ok(());
    };
    let decoded = decoder.decode(payload.unwrap_or_default(), &mut o.cache);
    match decoded {
        Ok(record) => {
            if let Record::Conn(ev) = &record
                && let Some(split) = hosts.note(&key.0, partition, &ev.host_key())
                && hosts.split <= REPORT_FIRST
            {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "pubsub-hunt: stream: host {} has records on {}/{} and {}/{}: key its \
                     records by host upstream (see the README), or its findings are split{}",
                    split.host,
                    split.topic,
                    split.first,
                    split.topic,
                    split.now,
                    if hosts.split == REPORT_FIRST {
                        " (further hosts are only counted)"
                    } else {
                        ""
                    }
                );
            }
            let census = o.cache.takes_census();
            o.state
                .observe_counted(engine, offset, record, census, names);
            Ok(())
        }
        Err(e) => {
            o.state.malformed(offset);
            let n = o.state.counters.malformed;
            // The first few of each partition in full, then every thousandth: counted always.
            if n <= 5 || n.is_multiple_of(1000) {
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "pubsub-hunt: {topic}/{partition} offset {offset}: {e} ({n} on this partition)"
                );
            }
            Err(format!("{topic}/{partition} offset {offset}: {e}"))
        }
    }
}

/// Closes due windows, makes findings durable, then commits: the at-least-once step.
fn commit(
    consumer: &BaseConsumer<MemberContext>,
    shared: &Mutex<Shared>,
    all: bool,
) -> Result<(), MemberError> {
    let tpl = lock(shared).close_and_flush(all, None)?;
    if tpl.count() == 0 {
        return Ok(());
    }
    match consumer.commit(&tpl, CommitMode::Sync) {
        Ok(()) => lock(shared).committed(&tpl),
        Err(e) => {
            // Not fatal: the findings are durable, a later commit covers these offsets, and a
            // replay before it only repeats findings with the same ids.
            let mut s = lock(shared);
            s.report.commit_failures += 1;
            s.report_broker_error(&format!("offset commit failed: {e}"));
        }
    }
    Ok(())
}

/// The figures the stats line shows, over owned partitions and those handed over.
fn snapshot(s: &Shared) -> Totals {
    let mut t = Totals::default();
    let mut per = s.report.partitions.clone();
    for ((topic, p), o) in &s.owned {
        add_counters(
            per.entry(format!("{topic}/{p}")).or_default(),
            &o.state.counters,
        );
        t.open_windows += o.state.open_windows();
        t.open_groups += o.state.open_groups();
        t.partitions += 1;
    }
    for c in per.values() {
        add_counters(&mut t.counters, c);
    }
    t.malformed_by_partition = per
        .iter()
        .filter(|(_, c)| c.malformed > 0)
        .map(|(k, c)| (k.clone(), c.malformed))
        .collect();
    t.lag = s.lags.values().sum();
    t.findings_written = s.sink.written;
    t.split_hosts = s.hosts.split;
    t.broker_errors = s.broker_errors;
    t
}
