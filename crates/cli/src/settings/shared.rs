//! What several commands' settings share: loading the configuration file, the registry of every
//! input format, and applying `--analytic` choices to a configuration.

use anyhow::{Context, Result};
use pubsub_hunt_core::{AnalyticId, HuntConfig};
use pubsub_hunt_ingest::Registry;
use std::path::PathBuf;

/// Loads a configuration file, or the defaults.
pub fn load_config(path: Option<&PathBuf>) -> Result<HuntConfig> {
    match path {
        None => Ok(HuntConfig::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read config {}", p.display()))?;
            HuntConfig::from_toml_str(&text).with_context(|| format!("in {}", p.display()))
        }
    }
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
