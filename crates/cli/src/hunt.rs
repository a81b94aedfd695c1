//! The `hunt` command: read inputs, run the analytics, write alerts, print the summary, and
//! choose the exit status.

use crate::exit;
use crate::settings::HuntSettings;
use crate::summary;
use anyhow::{Context, Result};
use pubsub_hunt_core::{Accumulator, Engine};
use pubsub_hunt_ingest::{IngestReport, InputPath, Problem, ProblemSink};
use pubsub_hunt_output::{RunSummary, new_writer};
use std::io::{self, BufWriter, IsTerminal, Write};

/// Prints problems to standard error as they are found.
struct StderrProblems;

impl ProblemSink for StderrProblems {
    fn report(&self, p: &Problem) {
        let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {p}");
    }
}

/// Reads every input through the engine, problems to standard error; `None` (after saying why)
/// when the run had to stop.
pub(crate) fn read_inputs(
    s: &HuntSettings,
    engine: &Engine,
) -> Option<(Accumulator, IngestReport)> {
    match pubsub_hunt_ingest::run(&s.inputs, engine, &s.ingest, &StderrProblems) {
        Ok(r) => Some(r),
        Err(e) => {
            let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {e}");
            None
        }
    }
}

pub fn run(s: HuntSettings) -> Result<u8> {
    let engine = Engine::new(s.config.clone());
    let started = std::time::Instant::now();
    let Some((mut acc, report)) = read_inputs(&s, &engine) else {
        return Ok(exit::FATAL);
    };
    let sessions = acc.take_sessions(engine.config());
    let sessions_dropped = acc.sessions_dropped;
    let (alerts, hunt_summary) = engine.finish(acc);

    let out: Box<dyn Write> = match &s.output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    let width = if s.output.is_none() && io::stdout().is_terminal() {
        terminal_width()
    } else {
        None
    };
    let mut writer = new_writer(s.format, out, width);
    for a in &alerts {
        writer.write_alert(a).context("writing results")?;
    }
    for sess in &sessions {
        writer.write_session(sess).context("writing results")?;
    }
    writer
        .finish_with_summary(&run_summary(&s, &report, &hunt_summary))
        .context("writing results")?;
    drop(writer);

    if !s.quiet {
        summary::print(&report, &hunt_summary, &s.config, started.elapsed());
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
    Ok(if report.problem_count() > 0 {
        exit::INPUT_PROBLEMS
    } else if s.fail_on_alert && !alerts.is_empty() {
        exit::ALERTS
    } else {
        exit::SUCCESS
    })
}

/// What the run read and decided, for writers that describe the run (the HTML report).
fn run_summary(
    s: &HuntSettings,
    r: &IngestReport,
    h: &pubsub_hunt_core::HuntSummary,
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
        bytes: r.bytes,
        problems: r.problem_count(),
        groups: h.groups,
        below_threshold: h.below_threshold,
        below_min_suspicion: h.below_min_suspicion,
        suppressed: h.suppressed.values().sum(),
        min_connections: s.config.min_connections,
        min_suspicion: s.config.min_suspicion.to_string(),
    }
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}
