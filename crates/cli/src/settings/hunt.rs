//! Settings of the commands that read inputs through the engine: [`HuntSettings`] for `hunt`
//! (configuration overrides, output format, input formats and mappings, threads) and
//! [`TuneSettings`] for `tune` (a hunt that keeps suppressed alerts, plus the report's length and
//! form).

use super::shared::{all_formats, apply_analytics, apply_thresholds, load_config};
use super::view::ViewSettings;
use crate::args::{FormatArg, HuntArgs, TuneArgs};
use anyhow::{Context, Result, bail};
use pubsub_hunt_core::{HuntConfig, WindowSpec};
use pubsub_hunt_ingest::{IngestOptions, InputFormat, InputPath};
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
    /// Time range, alert filters and how the table is drawn.
    pub view: ViewSettings,
    /// History across runs.
    pub state: super::state::StateSettings,
}

impl HuntSettings {
    pub fn from_args(a: HuntArgs) -> Result<HuntSettings> {
        let all_sessions = a.sessions.all_sessions;
        let view = ViewSettings::from_args(&a.view)?;
        let mut config = load_config(a.config.config.as_ref())?;
        apply_analytics(&mut config, &a.analytics.analytics)?;
        if all_sessions {
            config.report_sessions = true;
        }
        config.show_suppressed = a.show_suppressed;
        if a.no_default_allowlist {
            config.default_allowlist.clear();
        }
        if let Some(w) = &a.window {
            config.window = w.parse::<WindowSpec>().map_err(anyhow::Error::msg)?;
        }
        apply_thresholds(&mut config, a.min_suspicion, a.min_connections, &a.internal)?;
        let threads = match a.threads {
            Some(0) => bail!("--threads must be at least 1"),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(2, |n| n.get()),
        };
        let output = a.output.output;
        let format = match a.format {
            Some(FormatArg::Table) => OutputFormat::Table,
            Some(FormatArg::Jsonl) => OutputFormat::Jsonl,
            Some(FormatArg::Csv) => OutputFormat::Csv,
            Some(FormatArg::Html) => OutputFormat::Html,
            Some(FormatArg::Ocsf) => OutputFormat::Ocsf,
            Some(FormatArg::Ecs) => OutputFormat::Ecs,
            None if all_sessions => OutputFormat::Jsonl,
            None if output.is_none() && std::io::stdout().is_terminal() => OutputFormat::Table,
            None => OutputFormat::Jsonl,
        };
        if all_sessions && format != OutputFormat::Jsonl {
            bail!("--all-sessions mixes sessions with alerts and needs --format jsonl");
        }
        // Only the HTML report draws the alerts' timelines; others do not hold them.
        config.alert_timelines = format == OutputFormat::Html;
        let stdin_count = a.paths.iter().filter(|p| *p == "-").count();
        if stdin_count > 1 {
            bail!("standard input (-) can be given only once");
        }
        let mut registry = all_formats();
        // A hunter's own mappings are tried first, they are the most specific; only Zeek's
        // formats, which claim nothing but Zeek logs, come before them.
        let first = registry
            .iter()
            .take_while(|f| f.name().starts_with("zeek-"))
            .count();
        for (i, path) in a.mapping.iter().enumerate() {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read mapping {}", path.display()))?;
            let spec = pubsub_hunt_ingest::siem::load_mapping(&text)
                .with_context(|| format!("in mapping {}", path.display()))?;
            registry.insert(first + i, spec);
        }
        let input_format: InputFormat = a
            .input_format
            .parse()
            .map_err(|e: String| anyhow::anyhow!(e))?;
        if let InputFormat::Named(name) = &input_format
            && !registry.iter().any(|f| f.name() == name)
        {
            let mut names: Vec<&str> = vec!["auto"];
            names.extend(registry.iter().map(|f| f.name()));
            bail!("unknown input format {name:?}; known: {}", names.join(", "));
        }
        let state = super::state::StateSettings::from_args(&a.state, &config);
        Ok(HuntSettings {
            state,
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
            output,
            fail_on_alert: a.fail_on_alert,
            quiet: a.quiet,
            view,
        })
    }
}

/// How `tune` writes its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TuneReport {
    /// The report for reading (the default, and `--format table`).
    Text,
    /// One JSON object (`--format jsonl`).
    Json,
}

/// Everything `tune` needs, validated: the hunt it runs (with suppressed alerts kept, since
/// they are what the report is about), how many candidate entries to list, and the report form.
#[derive(Debug)]
pub struct TuneSettings {
    pub hunt: HuntSettings,
    pub top: usize,
    pub report: TuneReport,
}

impl TuneSettings {
    pub fn from_args(a: TuneArgs) -> Result<TuneSettings> {
        // Text unless JSON was asked for by name: the report is for reading.
        let report = match a.hunt.format {
            None | Some(FormatArg::Table) => TuneReport::Text,
            Some(FormatArg::Jsonl) => TuneReport::Json,
            Some(f @ (FormatArg::Csv | FormatArg::Html | FormatArg::Ocsf | FormatArg::Ecs)) => {
                bail!(
                    "tune writes its report as text (--format table, the default) or as JSON \
                     (--format jsonl), not {}",
                    format!("{f:?}").to_lowercase()
                )
            }
        };
        let mut hunt = HuntSettings::from_args(a.hunt)?;
        hunt.config.show_suppressed = true;
        // `--top` counts the report's candidate entries here, not alerts.
        let top = hunt.view.top.take().unwrap_or(15);
        Ok(TuneSettings { hunt, top, report })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, from_words};
    use super::*;
    use pubsub_hunt_core::Suspicion;

    fn hunt(words: &[&str]) -> Result<HuntSettings> {
        let mut all = vec!["hunt"];
        all.extend_from_slice(words);
        match from_words(&all)? {
            Settings::Hunt(s) => Ok(s),
            other => panic!("not hunt: {other:?}"),
        }
    }

    fn tune(words: &[&str]) -> Result<TuneSettings> {
        let mut all = vec!["tune"];
        all.extend_from_slice(words);
        match from_words(&all)? {
            Settings::Tune(s) => Ok(s),
            other => panic!("not tune: {other:?}"),
        }
    }

    fn err(r: Result<impl std::fmt::Debug>) -> String {
        format!("{:#}", r.unwrap_err())
    }

    #[test]
    fn hunt_overrides_the_config() {
        let s = hunt(&[
            "--window",
            "1h",
            "--min-connections",
            "7",
            "--min-suspicion",
            "high",
            "--internal",
            "203.0.113.0/24",
            "--threads",
            "3",
            "--format",
            "csv",
            "a.log",
        ])
        .unwrap();
        assert_eq!(s.config.min_connections, 7);
        assert_eq!(s.config.min_suspicion, Suspicion::High);
        assert_eq!(s.config.window, "1h".parse::<WindowSpec>().unwrap());
        assert!(
            s.config
                .internal
                .networks()
                .iter()
                .any(|n| n.to_string() == "203.0.113.0/24")
        );
        assert_eq!(s.ingest.threads, 3);
        assert_eq!(s.format, OutputFormat::Csv);
        assert!(!s.config.show_suppressed);
    }

    #[test]
    fn hunt_rejects_bad_values_before_reading() {
        assert!(err(hunt(&["--min-connections", "0", "a.log"])).contains("--min-connections"));
        assert!(err(hunt(&["--threads", "0", "a.log"])).contains("--threads"));
        assert!(err(hunt(&["--internal", "nowhere", "a.log"])).contains("nowhere"));
        assert!(err(hunt(&["--window", "5y", "a.log"])).contains("5y"));
        assert!(err(hunt(&["-", "-"])).contains("only once"));
        assert!(err(hunt(&["--analytic", "pubsub-nope", "a.log"])).contains("pubsub-nope"));
        assert!(err(hunt(&["--input-format", "nope", "a.log"])).contains("known:"));
        assert!(
            err(hunt(&["--all-sessions", "--format", "csv", "a.log"])).contains("--format jsonl")
        );
        assert!(err(hunt(&["--config", "/nonexistent/c.toml", "a.log"])).contains("config"));
    }

    #[test]
    fn all_sessions_means_json_lines() {
        let s = hunt(&["--all-sessions", "a.log"]).unwrap();
        assert!(s.config.report_sessions);
        assert_eq!(s.format, OutputFormat::Jsonl);
    }

    #[test]
    fn tune_writes_text_or_json_and_keeps_suppressed_alerts() {
        let s = tune(&["a.log"]).unwrap();
        assert_eq!(s.report, TuneReport::Text);
        assert_eq!(s.top, 15);
        assert!(s.hunt.config.show_suppressed);
        let s = tune(&["--format", "table", "a.log"]).unwrap();
        assert_eq!(s.report, TuneReport::Text);
        let s = tune(&["--format", "jsonl", "--top", "3", "a.log"]).unwrap();
        assert_eq!(s.report, TuneReport::Json);
        assert_eq!(s.top, 3);
    }

    #[test]
    fn tune_refuses_csv() {
        let e = err(tune(&["--format", "csv", "a.log"]));
        assert!(
            e.contains("text") && e.contains("jsonl") && e.contains("csv"),
            "{e}"
        );
        // The hunt's own checks still apply.
        assert!(err(tune(&["--threads", "0", "a.log"])).contains("--threads"));
    }
}
