//! The `hunt` command: read inputs, run the analytics, write alerts, print the summary, and
//! choose the exit status.

use crate::exit;
use crate::settings::HuntSettings;
use crate::summary;
use anyhow::{Context, Result};
use pubsub_hunt_core::{Accumulator, Engine};
use pubsub_hunt_ingest::{IngestReport, Problem, ProblemSink};
use pubsub_hunt_output::new_writer;
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
    // Rust's standard output swallows writes to a closed descriptor (`>&-`), so the results
    // would vanish with a success status. A closed output is refused before reading; a pipe
    // whose reader goes away mid-run (`| head`) still ends quietly (see `main`).
    if s.output.is_none() && stdout_is_closed() {
        anyhow::bail!("standard output is closed: the results would be lost (give -o FILE)");
    }
    // History across runs: loaded before reading, so a bad store stops the run before any work.
    let mut store = match &s.state.path {
        Some(p) => Some(crate::state_cmd::open(p)?),
        None => None,
    };
    if let Some(why) = &s.state.unavailable {
        let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {why}");
    }
    let mut engine = Engine::new(s.config.clone());
    if let Some(st) = &store {
        engine = engine.with_prior(std::sync::Arc::new(st.load()?));
    }
    let started = std::time::Instant::now();
    let Some((mut acc, report)) = read_inputs(&s, &engine) else {
        return Ok(exit::FATAL);
    };
    let sessions = acc.take_sessions(engine.config());
    let sessions_dropped = acc.sessions_dropped;
    let (alerts, hunt_summary, facts) = engine.finish_with_history(acc);

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
    writer.finish().context("writing results")?;
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

/// Whether file descriptor 1 is not open at all.
fn stdout_is_closed() -> bool {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        io::stdout().as_fd().try_clone_to_owned().is_err()
    }
    #[cfg(not(unix))]
    {
        false
    }
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}
