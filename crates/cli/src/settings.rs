//! Turns raw arguments and the configuration file into the one validated [`HuntSettings`] a
//! run uses. Every check of user input happens here, before any input is read, so a typo fails
//! fast with a clear message instead of half-way through a week of logs.

use crate::args::{FormatArg, HuntArgs, SuspicionArg};
use anyhow::{Context, Result, bail};
use pubsub_hunt_core::AnalyticId;
use pubsub_hunt_core::{HuntConfig, InternalNetworks, Suspicion, WindowSpec};
use pubsub_hunt_ingest::{IngestOptions, InputFormat, InputPath, Registry};
use pubsub_hunt_output::OutputFormat;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Everything a hunt needs, validated.
#[derive(Debug)]
pub struct HuntSettings {
    pub config: HuntConfig,
    pub inputs: Vec<InputPath>,
    pub ingest: IngestOptions,
    pub format: OutputFormat,
    pub output: Option<PathBuf>,
    pub fail_on_alert: bool,
    pub quiet: bool,
}

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

impl HuntSettings {
    pub fn from_args(a: HuntArgs) -> Result<HuntSettings> {
        let mut config = load_config(a.config.as_ref())?;
        apply_analytics(&mut config, &a.analytics)?;
        if a.all_sessions {
            config.report_sessions = true;
        }
        config.show_suppressed = a.show_suppressed;
        if a.no_default_allowlist {
            config.default_allowlist.clear();
        }
        if let Some(w) = &a.window {
            config.window = w.parse::<WindowSpec>().map_err(anyhow::Error::msg)?;
        }
        if let Some(s) = a.min_suspicion {
            config.min_suspicion = match s {
                SuspicionArg::High => Suspicion::High,
                SuspicionArg::Medium => Suspicion::Medium,
                SuspicionArg::Low => Suspicion::Low,
            };
        }
        if let Some(n) = a.min_connections {
            if n == 0 {
                bail!("--min-connections must be at least 1");
            }
            config.min_connections = n;
        }
        if !a.internal.is_empty() {
            let mut nets = config.internal.networks().to_vec();
            for s in &a.internal {
                let net = pubsub_hunt_core::config::parse_network(s).ok_or_else(|| {
                    anyhow::anyhow!("--internal {s:?} is not a network or address")
                })?;
                if !nets.contains(&net) {
                    nets.push(net);
                }
            }
            config.internal = InternalNetworks::new(nets);
        }
        let threads = match a.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(2, |n| n.get()),
        };
        let format = match a.format {
            Some(FormatArg::Table) => OutputFormat::Table,
            Some(FormatArg::Jsonl) => OutputFormat::Jsonl,
            Some(FormatArg::Csv) => OutputFormat::Csv,
            None if a.all_sessions => OutputFormat::Jsonl,
            None if a.output.is_none() && std::io::stdout().is_terminal() => OutputFormat::Table,
            None => OutputFormat::Jsonl,
        };
        if a.all_sessions && format != OutputFormat::Jsonl {
            bail!("--all-sessions mixes sessions with alerts and needs --format jsonl");
        }
        let stdin_count = a.paths.iter().filter(|p| *p == "-").count();
        if stdin_count > 1 {
            bail!("standard input (-) can be given only once");
        }
        let mut registry = all_formats();
        // A hunter's own mappings are tried first: they are the most specific.
        for (i, path) in a.mapping.iter().enumerate() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read mapping {}", path.display()))?;
            let spec = pubsub_hunt_ingest::siem::load_mapping(&text)
                .with_context(|| format!("in mapping {}", path.display()))?;
            registry.insert(i, spec);
        }
        let input_format: InputFormat = a
            .input_format
            .parse()
            .map_err(|e: String| anyhow::anyhow!(e))?;
        if let InputFormat::Named(name) = &input_format
            && !registry.iter().any(|f| f.name() == name)
        {
            let mut names: Vec<&str> = vec!["auto", "zeek-tsv", "zeek-json"];
            names.extend(registry.iter().map(|f| f.name()));
            bail!("unknown input format {name:?}; known: {}", names.join(", "));
        }
        Ok(HuntSettings {
            inputs: a
                .paths
                .iter()
                .map(|p| InputPath::from(p.as_str()))
                .collect(),
            ingest: IngestOptions {
                format: input_format,
                registry,
                threads,
                strict: a.strict,
                ..IngestOptions::default()
            },
            config,
            format,
            output: a.output,
            fail_on_alert: a.fail_on_alert,
            quiet: a.quiet,
        })
    }
}

/// Every input format beyond the built-in Zeek readers: the log formats of the ingest crate and
/// the capture formats of the packet crate.
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
