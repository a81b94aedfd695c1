//! The `pubsub-hunt` binary: parses arguments, builds one validated configuration, runs the
//! chosen command and maps the outcome to an exit status. All real work lives in the library
//! crates; this crate only wires them together and talks to the terminal.

mod args;
mod hunt;
mod settings;
mod summary;
mod tune;
mod watch;

use args::{Cli, Command, ConfigCommand, RulesCommand};
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// Exit statuses (documented in the README and in `--help`).
pub mod exit {
    /// The run completed and every input was read cleanly.
    pub const SUCCESS: u8 = 0;
    /// Alerts were found and `--fail-on-alert` was given.
    pub const ALERTS: u8 = 1;
    /// The run completed, but some input was skipped (results are still written).
    pub const INPUT_PROBLEMS: u8 = 2;
    /// Bad arguments or configuration, `--strict` stopped at a problem, or output failed.
    pub const FATAL: u8 = 3;
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::FATAL
            } else {
                exit::SUCCESS
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::from(exit::SUCCESS);
            }
            let _ = writeln!(std::io::stderr(), "pubsub-hunt: error: {e:#}");
            ExitCode::from(exit::FATAL)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli) -> anyhow::Result<u8> {
    match cli.command {
        Command::Hunt(a) => hunt::run(settings::HuntSettings::from_args(a)?),
        Command::Watch(a) => watch::run(a),
        Command::Tune(a) => tune::run(a),
        Command::Rules(RulesCommand::Export {
            target,
            config,
            output,
        }) => {
            let target: pubsub_hunt_rules::Target =
                target.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
            let cfg = settings::load_config(config.as_ref())?;
            let source = match &config {
                Some(p) => p.display().to_string(),
                None => pubsub_hunt_rules::BUILT_IN_DEFAULTS.to_string(),
            };
            let text = pubsub_hunt_rules::export(target, &cfg, &source);
            match output {
                Some(p) => std::fs::write(&p, text)
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display()))?,
                None => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
            Ok(exit::SUCCESS)
        }
        Command::Rules(RulesCommand::Show { config }) => {
            let cfg = settings::load_config(config.as_ref())?;
            let text = pubsub_hunt_rules::describe(&cfg);
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(exit::SUCCESS)
        }
        Command::Config(ConfigCommand::Init { output }) => {
            let text = pubsub_hunt_core::config::DEFAULT_CONFIG_TOML;
            match output {
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
        Command::Config(ConfigCommand::Check { config }) => {
            let c = settings::load_config(Some(&config))?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "{}: ok", config.display())?;
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
        Command::Formats => {
            let mut out = std::io::stdout().lock();
            for (_, name, about) in pubsub_hunt_ingest::InputFormat::KNOWN {
                writeln!(out, "{name:<18} {about}")?;
            }
            for f in settings::all_formats() {
                writeln!(out, "{:<18} {}", f.name(), f.description())?;
            }
            writeln!(
                out,
                "\nCompression (by content): gzip, zstd, zip archives (each member is an input)."
            )?;
            Ok(exit::SUCCESS)
        }
    }
}
