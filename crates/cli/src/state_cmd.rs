//! History across runs from the binary's side: opening the store a hunt uses (creating its
//! directory), and the `state` command that shows or resets it.

use crate::exit;
use crate::settings::{StateAction, StateCmdSettings};
use anyhow::{Context, Result};
use pubsub_hunt_core::prior::{day_of, format_day};
use pubsub_hunt_state::Store;
use std::io::Write;
use std::path::Path;

/// Opens (creating it and its directory if needed) the store at `path`.
pub fn open(path: &Path) -> Result<Store> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
    }
    Ok(Store::open(path)?)
}

pub fn run(s: StateCmdSettings) -> Result<u8> {
    if !s.path.exists() {
        println!(
            "state store: {} (not created yet: no hunt has saved history)",
            s.path.display()
        );
        return Ok(exit::SUCCESS);
    }
    let mut store = open(&s.path)?;
    let counts = store.counts()?;
    let mut out = std::io::stdout().lock();
    match s.action {
        StateAction::Show => {
            // The extent by SQL: showing a store never loads its history.
            let extent = store.extent()?;
            writeln!(out, "state store: {}", s.path.display())?;
            writeln!(out, "schema version: {}", store.version()?)?;
            match extent {
                Some((a, b)) => writeln!(
                    out,
                    "history: {} to {}",
                    format_day(day_of(a)),
                    format_day(day_of(b))
                )?,
                _ => writeln!(out, "history: empty")?,
            }
            writeln!(out, "channels: {}", counts.channels)?;
            writeln!(out, "channel days: {}", counts.channel_days)?;
            writeln!(out, "hosts: {}", counts.hosts)?;
            writeln!(out, "host brokers: {}", counts.host_brokers)?;
            writeln!(out, "host processes: {}", counts.host_processes)?;
            writeln!(out, "destinations: {}", counts.destinations)?;
            writeln!(out, "destination hosts: {}", counts.destination_hosts)?;
            writeln!(out, "runs saved: {}", counts.runs)?;
        }
        StateAction::Reset(false) => {
            writeln!(
                out,
                "would forget {} channels, {} hosts and {} runs in {}; add --yes to reset",
                counts.channels,
                counts.hosts,
                counts.runs,
                s.path.display()
            )?;
        }
        StateAction::Reset(true) => {
            store.reset()?;
            writeln!(
                out,
                "forgot {} channels, {} hosts and {} runs in {}",
                counts.channels,
                counts.hosts,
                counts.runs,
                s.path.display()
            )?;
        }
    }
    Ok(exit::SUCCESS)
}
