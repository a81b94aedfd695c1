//! The `config` commands: `config init` writes the commented default configuration (to standard
//! output, or to a new file it never overwrites), `config check` prints the effective settings of
//! a configuration file that loaded cleanly, and `config defaults` prints the default allowlist
//! (each entry's reason, match and the evidence it may absorb) as text, JSON or Markdown.

use crate::exit;
use crate::settings::{
    ConfigCheckSettings, ConfigDefaultsSettings, ConfigInitSettings, DefaultsForm,
};
use anyhow::{Context, Result};
use pubsub_hunt_core::HuntConfig;
use pubsub_hunt_core::allowlist::{self, AllowEntry, EntryView};
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
        "default allowlist entries: {} (soft: each yields to {} points of behaviour evidence \
         it does not explain; `pubsub-hunt config defaults` lists them)",
        c.default_allowlist.len(),
        c.behaviour.score.default_allowlist_yields_at
    )?;
    Ok(exit::SUCCESS)
}

/// Whether the configuration applies the default list, in words.
fn applies(c: &HuntConfig) -> (bool, &'static str) {
    if c.default_allowlist.is_empty() {
        (
            false,
            "no: this configuration turns it off ([analytics] default_allowlist = false)",
        )
    } else if !c.behaviour.enabled {
        (
            false,
            "no: behaviour scoring is off in this configuration, so only your own entries apply",
        )
    } else {
        (
            true,
            "yes, in `hunt`, `tune` and `watch` while behaviour scoring runs; \
             --no-default-allowlist turns it off, and `--analytic pubsub-port` and the `rules` \
             exports apply none of it",
        )
    }
}

pub fn defaults(s: ConfigDefaultsSettings) -> Result<u8> {
    let c = &s.config;
    // A configuration that turns the list off still shows what it turns off.
    let shipped;
    let list: &[AllowEntry] = if c.default_allowlist.is_empty() {
        shipped = allowlist::default_allowlist();
        &shipped
    } else {
        &c.default_allowlist
    };
    let nets: Vec<String> = c
        .internal
        .networks()
        .iter()
        .map(ToString::to_string)
        .collect();
    let (on, applies_words) = applies(c);
    let limit = c.behaviour.score.default_allowlist_yields_at;
    let text = match s.form {
        DefaultsForm::Markdown => allowlist::render_markdown(list),
        DefaultsForm::Json => {
            let entries: Vec<EntryView<'_>> = list
                .iter()
                .enumerate()
                .map(|(i, e)| EntryView::of(i + 1, e))
                .collect();
            let j = serde_json::json!({
                "applies": on,
                "default_allowlist_yields_at": limit,
                "internal_networks": nets,
                "iot_hosts": c.iot_hosts.describe(),
                "entries": entries,
            });
            let mut t = serde_json::to_string(&j).context("writing the list")?;
            t.push('\n');
            t
        }
        DefaultsForm::Text => {
            let groups = allowlist::default_groups(list).len();
            let decisive: Vec<&str> = allowlist::DECISIVE.iter().map(|d| d.as_str()).collect();
            let decisive = decisive.join(", ");
            let iot = if c.iot_hosts.is_empty() {
                "none named".to_string()
            } else {
                c.iot_hosts.describe()
            };
            format!(
                "The default allowlist: {} entries in {groups} classes.\n\
                 Applies: {applies_words}.\n\
                 An entry suppresses an alert only while the alert's positive behaviour evidence \
                 the entry does not absorb stays under {limit} points ([behaviour.score] \
                 default_allowlist_yields_at) and holds none of these, whatever their weight: \
                 {decisive}. Otherwise the alert is reported and its reasons name the entry and \
                 that evidence. Your own entries ([[allowlist]], {} here) always apply.\n\
                 The configured internal networks: {}.\n\
                 [hosts] iot: {iot}.\n\n{}",
                list.len(),
                c.allowlist.len(),
                nets.join(", "),
                allowlist::render_text(list)
            )
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    Ok(exit::SUCCESS)
}
