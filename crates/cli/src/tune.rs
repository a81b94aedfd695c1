//! The `tune` command: runs a hunt with suppressed alerts kept, and prints the tuning report
//! ([`pubsub_hunt_core::tuning`]) as text, or as one JSON object with `--format jsonl` (the
//! form is chosen, and `--format csv` refused, in `settings`).

use crate::exit;
use crate::hunt::read_inputs;
use crate::settings::{TuneReport, TuneSettings};
use anyhow::{Context, Result};
use pubsub_hunt_core::Engine;
use pubsub_hunt_core::tuning::{render_text, tune_report};
use std::io::{self, BufWriter, Write};

pub fn run(t: TuneSettings) -> Result<u8> {
    let s = &t.hunt;
    let engine = Engine::new(s.config.clone());
    let Some((acc, report)) = read_inputs(s, &engine) else {
        return Ok(exit::FATAL);
    };
    let (alerts, summary) = engine.finish(acc);
    crate::summary::print_bounds(&summary, &s.config);
    let r = tune_report(&alerts, t.top);
    let text = match t.report {
        TuneReport::Json => {
            let mut t = serde_json::to_string(&r).context("writing the report")?;
            t.push('\n');
            t
        }
        TuneReport::Text => render_text(&r),
    };
    let mut out: Box<dyn Write> = match &s.output {
        Some(p) => Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    out.write_all(text.as_bytes())
        .context("writing the report")?;
    out.flush().context("writing the report")?;
    Ok(
        if report.problem_count() > 0 || crate::summary::bound_reached(&summary) {
            exit::INPUT_PROBLEMS
        } else {
            exit::SUCCESS
        },
    )
}
