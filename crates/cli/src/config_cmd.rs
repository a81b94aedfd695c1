//! The `config` commands: `config init` writes the commented default configuration (to standard
//! output, or to a new file it never overwrites), and `config check` prints the effective
//! settings of a configuration file that loaded cleanly.

use crate::exit;
use crate::settings::{ConfigCheckSettings, ConfigInitSettings};
use anyhow::Result;
use std::io::Write;

pub fn init(s: ConfigInitSettings) -> Result<u8> {
    let text = pubsub_hunt_core::config::DEFAULT_CONFIG_TOML;
    match s.output {
        Some(p) => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&p)
                .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", p.display()))?;
            f.write_all(text.as_bytes())?;
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(exit::SUCCESS)
}

pub fn check(s: ConfigCheckSettings) -> Result<u8> {
    let c = &s.config;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}: ok", s.path.display())?;
    writeln!(
        out,
        "analytics: {}",
        c.analytics
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "window: {}; min_connections: {}; min_suspicion: {}",
        c.window, c.min_connections, c.min_suspicion
    )?;
    for (p, ports) in &c.ports {
        writeln!(out, "ports {p}: {ports:?}")?;
    }
    let nets: Vec<String> = c
        .internal
        .networks()
        .iter()
        .map(ToString::to_string)
        .collect();
    writeln!(out, "internal: {}", nets.join(", "))?;
    writeln!(out, "mosquitto clients: {}", c.mosquitto_clients.join(", "))?;
    writeln!(
        out,
        "IoT hosts: {}",
        if c.iot_hosts.is_empty() {
            "none named (cloud IoT endpoints weigh little)".to_string()
        } else {
            c.iot_hosts.describe()
        }
    )?;
    writeln!(out, "allowlist entries: {}", c.allowlist.len())?;
    writeln!(
        out,
        "default allowlist entries: {} (soft: they yield to {} points of unexpected \
         behaviour evidence)",
        c.default_allowlist.len(),
        c.behaviour.score.default_allowlist_yields_at
    )?;
    Ok(exit::SUCCESS)
}
