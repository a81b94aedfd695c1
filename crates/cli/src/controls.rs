//! The `controls` command: gather the alerts (by hunting the inputs or reading a saved alerts
//! file), plan the controls with the safety checks, write one file per kind into the output
//! directory, and list every skipped candidate on standard error.

use crate::exit;
use crate::settings::{ControlsInput, ControlsSettings};
use anyhow::{Context, Result, bail};
use pubsub_hunt_controls::{AlertView, ControlWriter, parse_line, plan, writers};
use pubsub_hunt_core::Engine;
use std::io::{self, BufRead, BufWriter, Write};

/// Every alert of the input and how many input problems were reported; `None` when the run
/// had to stop.
fn gather(s: &ControlsSettings) -> Result<Option<(Vec<AlertView>, u64)>> {
    match &s.input {
        ControlsInput::Hunt(h) => {
            let engine = Engine::new(h.config.clone());
            let Some((acc, report)) = crate::hunt::read_inputs(h, &engine) else {
                return Ok(None);
            };
            let (alerts, summary) = engine.finish(acc);
            crate::summary::print_bounds(&summary, &h.config);
            let views = alerts.iter().map(AlertView::from).collect();
            // A bound that left data out counts like a problem: the run exits 2.
            let bound = u64::from(crate::summary::bound_reached(&summary));
            Ok(Some((views, report.problem_count() + bound)))
        }
        ControlsInput::Alerts(path) => {
            let (name, reader): (String, Box<dyn BufRead>) = match path {
                Some(p) => (
                    p.display().to_string(),
                    Box::new(io::BufReader::new(
                        std::fs::File::open(p)
                            .with_context(|| format!("cannot open {}", p.display()))?,
                    )),
                ),
                None => ("<stdin>".to_string(), Box::new(io::stdin().lock())),
            };
            let mut out = Vec::new();
            let mut problems = 0u64;
            // Lines as bytes: one that is not UTF-8 is a bad line, reported like any other.
            for (i, line) in reader.split(b'\n').enumerate() {
                let number = i as u64 + 1;
                let line = line.with_context(|| format!("reading {name}"))?;
                let parsed = match String::from_utf8(line) {
                    Ok(text) => parse_line(&text, number),
                    Err(_) => Err(pubsub_hunt_controls::LineError {
                        line: number,
                        message: "not UTF-8".to_string(),
                    }),
                };
                match parsed {
                    Ok(Some(a)) => out.push(a),
                    Ok(None) => {}
                    Err(e) => {
                        problems += 1;
                        let _ = writeln!(io::stderr().lock(), "pubsub-hunt: {name}: {e}");
                        if s.strict {
                            return Ok(None);
                        }
                    }
                }
            }
            Ok(Some((out, problems)))
        }
    }
}

pub fn run(s: ControlsSettings) -> Result<u8> {
    let Some((alerts, problems)) = gather(&s)? else {
        return Ok(exit::FATAL);
    };
    let unknown = s.selection.unknown_ids(&alerts);
    if !unknown.is_empty() {
        bail!("no alert has the id {}", unknown.join(", "));
    }
    let plan = plan(&alerts, &s.selection, s.safety);
    std::fs::create_dir_all(&s.out_dir)
        .with_context(|| format!("cannot create {}", s.out_dir.display()))?;
    let now = pubsub_hunt_core::time::format_rfc3339(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
    );
    let mut wrote = Vec::new();
    for w in writers(s.suricata.clone(), now) {
        let n = write_one(&s, w.as_ref(), &plan)?;
        wrote.push(format!("{} {}", n, w.file_name()));
    }
    let mut err = io::stderr().lock();
    for l in pubsub_hunt_controls::skipped::lines(&plan) {
        let _ = writeln!(err, "pubsub-hunt: skipped: {l}");
    }
    if !s.quiet {
        let _ = writeln!(
            err,
            "pubsub-hunt: {} of {} alert(s) selected; wrote into {}: {}",
            plan.alerts.len(),
            alerts.len(),
            s.out_dir.display(),
            wrote.join(", ")
        );
    }
    Ok(if problems > 0 {
        exit::INPUT_PROBLEMS
    } else {
        exit::SUCCESS
    })
}

fn write_one(
    s: &ControlsSettings,
    w: &dyn ControlWriter,
    plan: &pubsub_hunt_controls::Plan,
) -> Result<usize> {
    let path = s.out_dir.join(w.file_name());
    let file = std::fs::File::create(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = BufWriter::new(file);
    let n = w
        .write(plan, &mut out)
        .and_then(|n| out.flush().map(|()| n))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(n.controls)
}
