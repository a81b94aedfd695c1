//! Settings of `watch`: the interface, the parsed capture filter, the configuration with the
//! chosen analytics, where results go, how often groups are re-rated and the state store. A bad
//! filter, interval, analytic or configuration is an error here, before any socket is opened or
//! "watching" is printed.

use super::shared::{apply_analytics, load_config};
use crate::args::{FormatArg, WatchArgs};
use anyhow::{Result, bail};
use pubsub_hunt_core::HuntConfig;
use pubsub_hunt_output::OutputFormat;
use pubsub_hunt_packets::live::Filter;
use std::path::PathBuf;
use std::time::Duration;

/// Longest `--report-every`: one day. A live watch that waits longer between re-ratings would
/// report too late to act on.
pub const MAX_REPORT_EVERY_SECS: u64 = 86_400;

/// Everything a live watch needs, validated.
#[derive(Debug)]
pub struct WatchSettings {
    pub config: HuntConfig,
    pub interface: String,
    /// The capture filter, parsed (`Filter::default()` when none was given: every packet).
    pub filter: Filter,
    pub output: Option<PathBuf>,
    /// Written through the same writers as `hunt`'s.
    pub format: OutputFormat,
    pub report_every: Duration,
    /// The state store: read as history at every report, written with what the watch saw
    /// when it stops.
    pub state: super::state::StateSettings,
}

impl WatchSettings {
    pub fn from_args(a: WatchArgs) -> Result<WatchSettings> {
        let filter = match &a.filter {
            Some(f) => Filter::parse(f).map_err(|e| anyhow::anyhow!("bad --filter {f:?}: {e}"))?,
            None => Filter::default(),
        };
        let report_every = match a.report_every {
            0 => bail!("--report-every must be at least 1 second"),
            n if n > MAX_REPORT_EVERY_SECS => bail!(
                "--report-every {n} is too long: at most {MAX_REPORT_EVERY_SECS} seconds (one day)"
            ),
            n => Duration::from_secs(n),
        };
        let format = match a.format {
            FormatArg::Table => OutputFormat::Table,
            FormatArg::Jsonl => OutputFormat::Jsonl,
            FormatArg::Csv => OutputFormat::Csv,
            // OCSF and ECS are one document per line: they stream like JSON lines. The HTML
            // report is one page over the whole watch, written when it stops.
            FormatArg::Html => OutputFormat::Html,
            FormatArg::Ocsf => OutputFormat::Ocsf,
            FormatArg::Ecs => OutputFormat::Ecs,
        };
        if a.sessions.all_sessions && format != OutputFormat::Jsonl {
            bail!("--all-sessions mixes sessions with alerts and needs --format jsonl");
        }
        let mut config = load_config(a.config.config.as_ref())?;
        apply_analytics(&mut config, &a.analytics.analytics)?;
        config.report_sessions = a.sessions.all_sessions;
        config.alert_timelines = format == OutputFormat::Html;
        let state = super::state::StateSettings::from_args(&a.state, &config);
        Ok(WatchSettings {
            config,
            interface: a.interface,
            filter,
            output: a.output.output,
            format,
            report_every,
            state,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, from_words};
    use super::*;

    fn watch(words: &[&str]) -> Result<WatchSettings> {
        let mut all = vec!["watch", "--interface", "lo"];
        all.extend_from_slice(words);
        match from_words(&all)? {
            Settings::Watch(s) => Ok(s),
            other => panic!("not watch: {other:?}"),
        }
    }

    fn err(words: &[&str]) -> String {
        format!("{:#}", watch(words).unwrap_err())
    }

    #[test]
    fn defaults() {
        let s = watch(&[]).unwrap();
        assert_eq!(s.interface, "lo");
        assert_eq!(s.filter, Filter::default());
        assert_eq!(s.report_every, Duration::from_secs(5));
        assert_eq!(s.output, None);
        assert!(!s.config.report_sessions);
    }

    #[test]
    fn the_filter_is_parsed_up_front() {
        let s = watch(&["--filter", "tcp and port 1883"]).unwrap();
        assert_eq!(s.filter, Filter::parse("tcp and port 1883").unwrap());
        let e = err(&["--filter", "bogus words"]);
        assert!(e.contains("--filter") && e.contains("bogus"), "{e}");
        assert!(err(&["--filter", "port"]).contains("port"));
    }

    #[test]
    fn report_every_is_bounded() {
        assert!(err(&["--report-every", "0"]).contains("at least 1"));
        let too_long = (MAX_REPORT_EVERY_SECS + 1).to_string();
        assert!(err(&["--report-every", &too_long]).contains("at most"));
        assert!(err(&["--report-every", &u64::MAX.to_string()]).contains("at most"));
        let max = MAX_REPORT_EVERY_SECS.to_string();
        assert_eq!(
            watch(&["--report-every", &max]).unwrap().report_every,
            Duration::from_secs(MAX_REPORT_EVERY_SECS)
        );
        assert_eq!(
            watch(&["--report-every", "1"]).unwrap().report_every,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn every_hunt_format_is_accepted() {
        for (word, format) in [
            ("table", OutputFormat::Table),
            ("jsonl", OutputFormat::Jsonl),
            ("csv", OutputFormat::Csv),
            ("html", OutputFormat::Html),
            ("ocsf", OutputFormat::Ocsf),
            ("ecs", OutputFormat::Ecs),
        ] {
            assert_eq!(watch(&["--format", word]).unwrap().format, format);
        }
        assert!(err(&["--format", "html", "--all-sessions"]).contains("needs --format jsonl"));
    }

    #[test]
    fn analytics_config_and_sessions() {
        assert!(err(&["--analytic", "pubsub-nope"]).contains("pubsub-nope"));
        assert!(err(&["--config", "/nonexistent/c.toml"]).contains("cannot read config"));
        let s = watch(&[
            "--analytic",
            "pubsub-port",
            "--all-sessions",
            "-o",
            "x.jsonl",
        ])
        .unwrap();
        assert_eq!(s.config.analytics.len(), 1);
        assert!(!s.config.behaviour.enabled);
        assert!(s.config.report_sessions);
        assert_eq!(s.output, Some(PathBuf::from("x.jsonl")));
    }
}
