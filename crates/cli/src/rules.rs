//! The `rules` commands: `rules export` writes the analytic as a query for one SIEM
//! ([`pubsub_hunt_rules::export`]) to standard output or a file, and `rules show` prints it in
//! plain words ([`pubsub_hunt_rules::describe`]).

use crate::exit;
use crate::settings::{RulesExportSettings, RulesShowSettings};
use anyhow::Result;
use std::io::Write;

pub fn export(s: RulesExportSettings) -> Result<u8> {
    let text = pubsub_hunt_rules::export(s.target, &s.config, &s.source);
    match s.output {
        Some(p) => std::fs::write(&p, text)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(exit::SUCCESS)
}

pub fn show(s: RulesShowSettings) -> Result<u8> {
    let text = pubsub_hunt_rules::describe(&s.config);
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(exit::SUCCESS)
}
