//! What several commands' settings share: loading the configuration file, the registry of every
//! input format, and applying `--analytic`, `--min-suspicion`, `--min-connections` and
//! `--internal` to a configuration.

use crate::args::SuspicionArg;
use anyhow::{Context, Result, bail};

use pubsub_hunt_core::{AnalyticId, HuntConfig, InternalNetworks, Suspicion};
use pubsub_hunt_ingest::Registry;
use std::path::PathBuf;

/// Loads a configuration file, or the defaults.
pub fn load_config(path: Option<&PathBuf>) -> Result<HuntConfig> {
    match path {
        None => Ok(HuntConfig::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config {}", p.display()))?;
            // The error's own text only: its source is the same TOML error, and the chain
            // would print it twice.
            HuntConfig::from_toml_str(&text).map_err(|e| anyhow::anyhow!("in {}: {e}", p.display()))
        }
    }
}

/// Every problem of a configuration text, not only the first: the whole file's first error
/// (with its line), then, when the file is valid TOML, each further key that fails on its own
/// (`[section] key: message`). TOML stops at the first error, so the keys are checked one at a
/// time against the defaults; each problem is listed once.
pub fn config_problems(text: &str) -> Vec<String> {
    let first = match HuntConfig::from_toml_str(text) {
        Ok(_) => return Vec::new(),
        Err(e) => e.to_string(),
    };
    let mut problems = vec![first];
    let Ok(table) = text.parse::<toml::Table>() else {
        return problems;
    };
    let mut seen: Vec<String> = Vec::new();
    for (section, value) in &table {
        let parts: Vec<(String, toml::Table)> = match value {
            toml::Value::Table(keys) if !keys.is_empty() => keys
                .iter()
                .map(|(k, v)| {
                    let mut inner = toml::Table::new();
                    inner.insert(k.clone(), v.clone());
                    let mut outer = toml::Table::new();
                    outer.insert(section.clone(), toml::Value::Table(inner));
                    (format!("[{section}] {k}"), outer)
                })
                .collect(),
            other => {
                let mut outer = toml::Table::new();
                outer.insert(section.clone(), other.clone());
                vec![(section.clone(), outer)]
            }
        };
        for (label, part) in parts {
            if let Err(e) = HuntConfig::from_toml_str(&part.to_string()) {
                let message = match &e {
                    pubsub_hunt_core::ConfigError::Toml(t) => t.message().to_string(),
                    pubsub_hunt_core::ConfigError::Invalid(m) => m.clone(),
                };
                // The first error is already listed with its line.
                if !problems[0].contains(message.trim()) && !seen.contains(&message) {
                    seen.push(message.clone());
                    problems.push(format!("{label}: {}", message.trim()));
                }
            }
        }
    }
    problems
}

/// Every input format: the log formats of the ingest crate (Zeek first) and the capture formats
/// of the packet crate.
pub fn all_formats() -> Registry {
    let mut r = pubsub_hunt_ingest::builtin_formats();
    r.extend(pubsub_hunt_packets::formats());
    r
}

/// Applies `--analytic` choices: only the named analytics run, and behaviour scoring only when
/// `behaviour` is named too (so `--analytic pubsub-port` alone is the seed analytic, unchanged).
pub fn apply_analytics(config: &mut HuntConfig, names: &[String]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    config.analytics.clear();
    for name in names {
        let ids: Vec<AnalyticId> = if name == "behaviour" || name == "behavior" {
            AnalyticId::BEHAVIOUR.to_vec()
        } else {
            vec![
                name.parse::<AnalyticId>()
                    .map_err(|e| anyhow::anyhow!("{e}, or behaviour (all behaviour analytics)"))?,
            ]
        };
        for id in ids {
            if !config.analytics.contains(&id) {
                config.analytics.push(id);
            }
        }
    }
    // Scoring runs when a behaviour analytic was named; `--analytic pubsub-port` alone is the
    // seed analytic, unchanged.
    config.behaviour.enabled = config.analytics.iter().any(|a| a.is_behaviour());
    Ok(())
}

/// The suspicion level a `--min-suspicion` argument names.
pub fn suspicion(s: SuspicionArg) -> Suspicion {
    match s {
        SuspicionArg::High => Suspicion::High,
        SuspicionArg::Medium => Suspicion::Medium,
        SuspicionArg::Low => Suspicion::Low,
    }
}

/// Applies `--min-suspicion`, `--min-connections` (at least 1) and `--internal` (networks added
/// to the configured ones, each once) to a configuration.
pub fn apply_thresholds(
    config: &mut HuntConfig,
    min_suspicion: Option<SuspicionArg>,
    min_connections: Option<u64>,
    internal: &[String],
) -> Result<()> {
    if let Some(s) = min_suspicion {
        config.min_suspicion = suspicion(s);
    }
    if let Some(n) = min_connections {
        if n == 0 {
            bail!("--min-connections must be at least 1");
        }
        config.min_connections = n;
    }
    if !internal.is_empty() {
        let mut nets = config.internal.networks().to_vec();
        for s in internal {
            let net = pubsub_hunt_core::config::parse_network(s)
                .ok_or_else(|| anyhow::anyhow!("--internal {s:?} is not a network or address"))?;
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        config.internal = InternalNetworks::new(nets);
    }
    Ok(())
}
