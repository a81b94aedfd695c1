//! `pubsub-hunt watch`: live capture on an interface, with alerts written as they happen.
//!
//! The capture runs on its own thread and hands every ended flow (as a connection event, with
//! what payload inspection learned and the local process that owned the socket) to this thread,
//! which feeds the same engine `hunt` uses. Every `--report-every` seconds the groups are rated
//! again, with the flows still open counted as they stand (a subscriber waiting on a command
//! tree, an implant holding its channel: sessions that may never end while the watch runs are
//! rated while they last, without being counted into the groups until they end) and with the
//! census of the hosts' flows, as `hunt` rates a capture ([`live_groups`]), and an alert
//! is written when its group first reaches alert level or its suspicion or score rises, so a
//! long-running watch reports each channel once and again only when it gets worse.
//! Each rating is judged against the state store's history of its groups, as `hunt`'s is, and
//! when the watch stops what it saw is saved there. SIGINT and SIGTERM stop the capture; the
//! flows still open are flushed and rated before the process exits. Alerts go through the same
//! writers as `hunt`'s (`--format`): JSON lines, CSV, OCSF or ECS one record per new or raised
//! alert, one table per report of the new ones, or one HTML report of the whole watch (each
//! alert as last rated) when it stops. Every argument (filter, interval, format, analytics,
//! configuration, state store) was validated in `settings` before this module starts anything.

use crate::exit;
use crate::hunt::{open_output, table_options, writer};
use crate::settings::{ViewSettings, WatchSettings};
use anyhow::{Context, Result};
use pubsub_hunt_core::analytics::TimeRange;
use pubsub_hunt_core::prior::History;
use pubsub_hunt_core::{Accumulator, Alert, ConnEvent, Engine, HuntSummary, Session, Suspicion};
use pubsub_hunt_output::{AlertWriter, OutputFormat, RunSummary, TableOptions, TableWriter};
use pubsub_hunt_packets::live::LiveEvent;
use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

mod live_groups;
use live_groups::{HistoryCache, LiveGroups};

/// Most events waiting between the capture thread and the engine; the capture thread blocks
/// (and the kernel drops packets) rather than memory growing without bound.
const QUEUE: usize = 65_536;

/// What identifies an alert across re-ratings: its stable id (the channel's identity).
type AlertKey = String;

fn key(a: &Alert) -> AlertKey {
    a.id.clone()
}

pub fn run(s: WatchSettings) -> Result<u8> {
    let engine = Engine::new(s.config.clone());
    // History across runs, as `hunt` keeps it: the store is opened (its schema checked) before
    // capturing, read at every report for the groups rated, and given what the watch saw when
    // it stops.
    let mut store = match &s.state.path {
        Some(p) => Some(crate::state_cmd::open(p)?),
        None => None,
    };
    if let Some(why) = &s.state.unavailable {
        let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {why}");
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst))
            .context("cannot install the SIGINT/SIGTERM handler")?;
    }
    let out = open_output(s.output.as_deref())?;
    let view = ViewSettings {
        range: TimeRange::default(),
        top: None,
        hosts: Vec::new(),
        dsts: Vec::new(),
        color: crate::args::ColorArg::Auto,
        details: false,
    };
    let table = table_options(&view, s.output.as_deref(), 0);
    let mut out: Box<dyn AlertWriter> = match s.format {
        OutputFormat::Table => Box::new(TablePerReport {
            out,
            rows: Vec::new(),
            opts: table,
        }),
        // A page cannot grow once written: the report is written once, when the watch stops.
        OutputFormat::Html => Box::new(ReportAtEnd {
            html: writer(OutputFormat::Html, out, table),
            alerts: HashMap::new(),
        }),
        other => writer(other, out, table),
    };

    let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
    let iface = s.interface.clone();
    let filter = s.filter;
    let capture_stop = stop.clone();
    let open_wanted = Arc::new(AtomicBool::new(false));
    let capture_open_wanted = open_wanted.clone();
    let capture = std::thread::spawn(move || {
        pubsub_hunt_packets::live::capture_filtered(
            &iface,
            &filter,
            &capture_stop,
            &capture_open_wanted,
            |ev| {
                let _ = tx.send(ev);
            },
        )
    });
    let _ = writeln!(
        io::stderr().lock(),
        "pubsub-hunt: watching {} (Ctrl-C to stop)",
        s.interface
    );

    let mut groups = LiveGroups::new(&engine);
    let mut history = store.as_ref().map(|st| HistoryCache::new(st));
    let mut reported: HashMap<AlertKey, (Suspicion, u8)> = HashMap::new();
    let every = s.report_every;
    let mut next = Instant::now() + every;
    let mut written = 0u64;
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(LiveEvent::Ended(ev)) => groups.ended(&engine, &ev),
            // The open flows asked for at the report's time, after every flow that ended before.
            Ok(LiveEvent::Open(open)) => {
                let rated = report(
                    &engine,
                    &mut groups,
                    &open,
                    history.as_mut(),
                    &mut reported,
                    &mut *out,
                )?;
                written += rated.0;
                next = Instant::now() + every;
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            // The capture thread ended (stopped, or failed to open the socket).
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
        // A report is due: ask the capture for its open flows (the report is written when they
        // come, at most one request outstanding).
        if Instant::now() >= next {
            open_wanted.store(true, Ordering::Relaxed);
            next = Instant::now() + every;
        }
    }
    let result = capture
        .join()
        .map_err(|_| anyhow::anyhow!("the capture thread panicked"))?;
    // The last report's rating is the watch's verdict: its summary goes to the page and the status.
    // Every flow ended when the capture stopped: none is open now.
    let (last, decided, facts) = report(
        &engine,
        &mut groups,
        &[],
        history.as_mut(),
        &mut reported,
        &mut *out,
    )?;
    // The store is written below; the cache only read it.
    drop(history);
    written += last;
    out.finish_with_summary(&run_summary(
        &s.interface,
        &engine,
        groups.accumulator(),
        &decided,
    ))
    .context("writing results")?;
    // Saved once the results are written, as `hunt` saves them.
    if let Some(st) = &mut store {
        st.record(&facts, s.state.retention_days)?;
        let _ = writeln!(
            io::stderr().lock(),
            "pubsub-hunt: history: {} channels saved to {}",
            facts.channels.len(),
            st.path().display()
        );
    }
    match result {
        Ok(()) => {
            let _ = writeln!(
                io::stderr().lock(),
                "pubsub-hunt: stopped; {} connections seen, {written} lines written",
                groups.events()
            );
            // A bound that bound (the group limit, the group state budget, the alert limit)
            // left data out of the verdicts, as in `hunt`.
            crate::summary::print_bounds(&decided, engine.config());
            Ok(if crate::summary::bound_reached(&decided) {
                exit::INPUT_PROBLEMS
            } else {
                exit::SUCCESS
            })
        }
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {e}");
            Ok(exit::FATAL)
        }
    }
}

/// Writes the sessions that ended since the last report and every alert that is new or got
/// worse, rating the groups with the flows still `open` as they stand, against the history in
/// `prior` ([`LiveGroups::rate`]); returns how many lines were written, the rating's summary and
/// the facts it adds to the history.
fn report(
    engine: &Engine,
    groups: &mut LiveGroups,
    open: &[ConnEvent],
    prior: Option<&mut HistoryCache<'_>>,
    reported: &mut HashMap<AlertKey, (Suspicion, u8)>,
    out: &mut dyn AlertWriter,
) -> Result<(u64, HuntSummary, History)> {
    let mut n = 0;
    for s in groups.take_sessions(engine) {
        out.write_session(&s).context("writing results")?;
        n += 1;
    }
    let (alerts, summary, facts) = groups
        .rate(engine, open, prior)
        .map_err(anyhow::Error::msg)?;
    for alert in alerts {
        let k = key(&alert);
        let now = (alert.suspicion, alert.score);
        let worse = match reported.get(&k) {
            None => true,
            Some((s, score)) => alert.suspicion > *s || alert.score > *score,
        };
        if worse {
            out.write_alert(&alert).context("writing results")?;
            reported.insert(k, now);
            n += 1;
        }
    }
    // Each report reaches the reader now: a flush (JSON lines, CSV) or a table.
    out.finish().context("writing results")?;
    Ok((n, summary, facts))
}

/// `watch --format table`: one table per report, of the alerts new or raised since the last.
struct TablePerReport {
    out: Box<dyn Write>,
    rows: Vec<Alert>,
    opts: TableOptions,
}

impl AlertWriter for TablePerReport {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        self.rows.push(alert.clone());
        Ok(())
    }

    fn write_session(&mut self, _session: &Session) -> io::Result<()> {
        Err(io::Error::other(
            "sessions can only be written as JSON lines",
        ))
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return self.out.flush();
        }
        let mut t = TableWriter::with_options(Box::new(&mut self.out), self.opts);
        for a in self.rows.drain(..) {
            t.write_alert(&a)?;
        }
        t.finish()
    }
}

/// What the watch saw and how its groups were last decided, for the HTML report.
fn run_summary(interface: &str, engine: &Engine, acc: &Accumulator, h: &HuntSummary) -> RunSummary {
    let config = engine.config();
    RunSummary {
        version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: vec![format!("live capture on {interface}")],
        // One stream, the interface; its records are the connections (flows) the capture ended.
        streams_by_format: vec![("live capture".to_string(), 1)],
        streams_skipped: 0,
        records: acc.counters.events,
        first_record: acc.counters.first_record,
        last_record: acc.counters.last_record,
        bytes: 0,
        problems: 0,
        groups: h.groups,
        below_threshold: h.below_threshold,
        below_min_suspicion: h.below_min_suspicion,
        suppressed: h.suppressed.values().sum(),
        min_connections: config.min_connections,
        min_suspicion: config.min_suspicion.to_string(),
        view: Vec::new(),
        omitted: 0,
    }
}

/// `watch --format html`: every alert as last written (new, then each time it got worse),
/// in report order, in one page written when the watch stops. The per-report `finish` only
/// keeps them: the page is whole or not at all.
struct ReportAtEnd<'a> {
    html: Box<dyn AlertWriter + 'a>,
    /// The last version of each alert, by id (a search of a list would be quadratic).
    alerts: HashMap<String, Alert>,
}

impl AlertWriter for ReportAtEnd<'_> {
    fn write_alert(&mut self, alert: &Alert) -> io::Result<()> {
        self.alerts.insert(alert.id.clone(), alert.clone());
        Ok(())
    }

    fn write_session(&mut self, _session: &Session) -> io::Result<()> {
        Err(io::Error::other(
            "sessions can only be written as JSON lines",
        ))
    }

    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn finish_with_summary(&mut self, summary: &RunSummary) -> io::Result<()> {
        let mut alerts: Vec<Alert> = std::mem::take(&mut self.alerts).into_values().collect();
        alerts.sort_by(Alert::report_order);
        for a in alerts {
            self.html.write_alert(&a)?;
        }
        self.html.finish_with_summary(summary)
    }
}
