//! The `hunt` command: read inputs, run the analytics, write alerts, print the summary, and
//! choose the exit status. Also the steps `tune`, `explain` and `watch` share with it: reading
//! the inputs (missing paths are fatal, progress on a terminal), and opening the output and
//! its writer.

use crate::exit;
use crate::progress::ProgressDisplay;
use crate::settings::{HuntSettings, ViewSettings, progress_allowed, table_width};
use crate::summary;
use anyhow::{Context, Result};
use pubsub_hunt_core::{Accumulator, Alert, Engine};
use pubsub_hunt_ingest::{IngestReport, InputPath, Problem, ProblemSink};
use pubsub_hunt_output::{
    AlertWriter, OutputFormat, RunSummary, TableOptions, TableWriter, new_writer,
};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Prints problems to standard error as they are found. With `quiet`, logs of another type
/// (Zeek `dns.log` beside `conn.log`: nothing lost) are only counted, for one line at the end.
struct StderrProblems {
    quiet: bool,
    held: AtomicU64,
}

impl ProblemSink for StderrProblems {
    fn report(&self, p: &Problem) {
        if self.quiet && !p.kind.is_input_loss() {
            self.held.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {p}");
    }
}

/// Reads every input through the engine, problems to standard error; `None` (after saying why)
/// when the run had to stop. A path that does not exist is fatal before anything is read: it is
/// a typo, and a run without it would report "0 alerts" as if the data were clean.
pub(crate) fn read_inputs(
    s: &HuntSettings,
    engine: &Engine,
) -> Option<(Accumulator, IngestReport)> {
    let mut missing = false;
    for input in &s.inputs {
        if let InputPath::Path(p) = input
            && let Err(e) = std::fs::metadata(p)
        {
            let _ = writeln!(
                io::stderr().lock(),
                "pubsub-hunt: error: cannot read {}: {e}",
                p.display()
            );
            missing = true;
        }
    }
    if missing {
        return None;
    }
    let mut opts = s.ingest.clone();
    let display = (!s.quiet && progress_allowed()).then(|| {
        let counts = pubsub_hunt_ingest::Progress::default();
        opts.progress = Some(counts.clone());
        ProgressDisplay::start(&s.inputs, counts)
    });
    let sink = StderrProblems {
        quiet: s.quiet,
        held: AtomicU64::new(0),
    };
    let result = pubsub_hunt_ingest::run(&s.inputs, engine, &opts, &sink);
    if let Some(d) = display {
        d.stop();
    }
    let held = sink.held.load(Ordering::Relaxed);
    if held > 0 {
        let _ = writeln!(
            io::stderr().lock(),
            "pubsub-hunt: {held} logs of other types (not connections) left out"
        );
    }
    match result {
        Ok(r) => Some(r),
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {e}");
            None
        }
    }
}

/// Standard output, or the file `-o` names.
pub(crate) fn open_output(path: Option<&Path>) -> Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// How the table is drawn for output to `path` (standard output when `None`).
pub(crate) fn table_options(
    view: &ViewSettings,
    path: Option<&Path>,
    omitted: usize,
) -> TableOptions {
    let to_terminal = path.is_none() && io::stdout().is_terminal();
    TableOptions {
        // COLUMNS still applies to a file; otherwise a file gets the fixed default.
        width: if path.is_none() {
            table_width(true)
        } else {
            table_width(false).filter(|_| std::env::var_os("COLUMNS").is_some())
        },
        color: view.colored(to_terminal),
        details: view.details,
        omitted,
    }
}

/// The writer of `format` on `out`: the table with `table`'s options, the others as they are.
pub(crate) fn writer<'a>(
    format: OutputFormat,
    out: Box<dyn Write + 'a>,
    table: TableOptions,
) -> Box<dyn AlertWriter + 'a> {
    match format {
        OutputFormat::Table => Box::new(TableWriter::with_options(out, table)),
        other => new_writer(other, out, table.width),
    }
}

/// The alerts to write: those `--host`/`--dst` keep, the first `--top` of them (in report
/// order); and how many alerts (not suppressed) were left out.
pub(crate) fn select(alerts: Vec<Alert>, view: &ViewSettings) -> (Vec<Alert>, usize) {
    let live = alerts.iter().filter(|a| a.suppressed_by.is_none()).count();
    let mut kept: Vec<Alert> = alerts.into_iter().filter(|a| view.keeps(a)).collect();
    if let Some(n) = view.top {
        kept.truncate(n);
    }
    let shown = kept.iter().filter(|a| a.suppressed_by.is_none()).count();
    (kept, live - shown)
}

pub fn run(s: HuntSettings) -> Result<u8> {
    // A closed standard output (`>&-`) would swallow the results with a success status
    // ([`stdout_is_closed`]). It is refused before reading; a pipe
    // whose reader goes away mid-run (`| head`) still ends quietly (see `main`).
    if s.output.is_none() && stdout_is_closed() {
        anyhow::bail!("standard output is closed: the results would be lost (give -o FILE)");
    }
    // History across runs: the store is opened (and its schema checked) before reading, so a
    // bad store stops the run before any work; the part the run's groups need is loaded once
    // they are known.
    let mut store = match &s.state.path {
        Some(p) => Some(crate::state_cmd::open(p)?),
        None => None,
    };
    if let Some(why) = &s.state.unavailable {
        let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {why}");
    }
    let mut engine = Engine::new(s.config.clone())
        .with_range(s.view.range)
        .with_threads(s.ingest.threads);
    let started = std::time::Instant::now();
    let Some((mut acc, report)) = read_inputs(&s, &engine) else {
        return Ok(exit::FATAL);
    };
    if let Some(st) = &store {
        let prior = st.load_for(&acc.history_keys())?;
        engine = engine.with_prior(std::sync::Arc::new(prior));
    }
    let sessions = acc.take_sessions(engine.config());
    let sessions_dropped = acc.sessions_dropped;
    let (alerts, hunt_summary, facts) = engine.finish_with_history(acc);
    let (alerts, omitted) = select(alerts, &s.view);

    let out = open_output(s.output.as_deref())?;
    let table = table_options(&s.view, s.output.as_deref(), omitted);
    let mut writer = writer(s.format, out, table);
    for a in &alerts {
        writer.write_alert(a).context("writing results")?;
    }
    for sess in &sessions {
        writer.write_session(sess).context("writing results")?;
    }
    writer
        .finish_with_summary(&run_summary(&s, &report, &hunt_summary, omitted))
        .context("writing results")?;
    drop(writer);
    // Saved only once the results are written: a run that failed leaves history as it was.
    if let Some(st) = &mut store {
        st.record(&facts, s.state.retention_days)?;
        if !s.quiet {
            let _ = writeln!(
                io::stderr().lock(),
                "pubsub-hunt: history: {} channels saved to {}",
                facts.channels.len(),
                st.path().display()
            );
        }
    }

    if !s.quiet {
        summary::print(&report, &hunt_summary, &s.config, started.elapsed());
        summary::print_view(&s.view, alerts.len(), omitted, &s.inputs, &report);
        if s.config.report_sessions {
            let _ = writeln!(
                io::stderr().lock(),
                "pubsub-hunt: {} pub/sub sessions written{}",
                sessions.len(),
                if sessions_dropped > 0 {
                    format!(" ({sessions_dropped} more over limits.max_sessions not written)")
                } else {
                    String::new()
                }
            );
        }
    }
    summary::print_bounds(&hunt_summary, &s.config);
    // A bound that bound (the group limit, the group state budget) is data left out, like
    // input lost to a problem.
    Ok(
        if report.problem_count() > 0 || summary::bound_reached(&hunt_summary) {
            exit::INPUT_PROBLEMS
        } else if s.fail_on_alert && !alerts.is_empty() {
            exit::ALERTS
        } else {
            exit::SUCCESS
        },
    )
}

/// What the run read and decided, for writers that describe the run (the HTML report).
fn run_summary(
    s: &HuntSettings,
    r: &IngestReport,
    h: &pubsub_hunt_core::HuntSummary,
    omitted: usize,
) -> RunSummary {
    RunSummary {
        version: env!("CARGO_PKG_VERSION").to_string(),
        inputs: s
            .inputs
            .iter()
            .map(|i| match i {
                InputPath::Stdin => "-".to_string(),
                InputPath::Path(p) => p.display().to_string(),
            })
            .collect(),
        streams_by_format: r
            .streams_by_format
            .iter()
            .map(|(f, n)| (f.to_string(), *n))
            .collect(),
        streams_skipped: r.streams_skipped,
        records: r.records,
        first_record: h.counters.first_record,
        last_record: h.counters.last_record,
        bytes: r.bytes,
        problems: r.problem_count(),
        groups: h.groups,
        below_threshold: h.below_threshold,
        below_min_suspicion: h.below_min_suspicion,
        suppressed: h.suppressed.values().sum(),
        min_connections: s.config.min_connections,
        min_suspicion: s.config.min_suspicion.to_string(),
        view: s.view.describe(),
        omitted,
    }
}

/// Whether standard output was closed when the program started. Rust's runtime reopens a closed
/// descriptor 0, 1 or 2 on `/dev/null` before `main` runs, read-write, so a closed output is not
/// an error to write to: the results would vanish with a success status. A shell's `> /dev/null`
/// opens it write-only, which tells the two apart.
#[cfg(target_os = "linux")]
fn stdout_is_closed() -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(out), Ok(null)) = (
        std::fs::metadata("/proc/self/fd/1"),
        std::fs::metadata("/dev/null"),
    ) else {
        return false;
    };
    if (out.dev(), out.ino()) != (null.dev(), null.ino()) {
        return false;
    }
    // `flags:` in fdinfo is octal; the access mode is its two low bits (O_RDWR = 2).
    std::fs::read_to_string("/proc/self/fdinfo/1")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .and_then(|f| u32::from_str_radix(f.trim(), 8).ok())
        })
        .is_some_and(|flags| flags & 3 == 2)
}

/// Elsewhere a closed descriptor cannot be told from an open one after the runtime's start.
#[cfg(not(target_os = "linux"))]
fn stdout_is_closed() -> bool {
    false
}
