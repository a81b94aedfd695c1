//! Settings of `stream`: the brokers, topics and group, where findings go and in which format,
//! the event-time window, lateness and idle rules, librdkafka properties, and the hunt options
//! that apply to a stream (configuration, analytics, allowlist, thresholds, internal networks,
//! input format, strictness, the state store read as history). All are checked here, before
//! any connection is made; nothing in this module needs the `kafka` feature, so a build without
//! it still validates and explains.

use super::shared::{apply_analytics, apply_thresholds, load_config};
use crate::args::{StreamArgs, StreamFormatArg};
use anyhow::{Result, bail};
use pubsub_hunt_core::{HuntConfig, WindowSpec};
use pubsub_hunt_ingest::InputFormat;
use pubsub_hunt_output::OutputFormat;
use std::path::PathBuf;
use std::time::Duration;

/// librdkafka properties `-X` may not set: the member's delivery guarantee rests on them.
const RESERVED: [&str; 5] = [
    "bootstrap.servers",
    "group.id",
    "enable.auto.commit",
    "enable.auto.offset.store",
    "auto.offset.reset",
];

/// Everything a stream member needs, validated.
// Without the `kafka` feature the settings are validated (a typo is still an error) but no
// member runs to read them.
#[cfg_attr(not(feature = "kafka"), allow(dead_code))]
#[derive(Debug)]
pub struct StreamSettings {
    pub config: HuntConfig,
    /// `HOST:PORT,HOST:PORT`.
    pub brokers: String,
    pub topics: Vec<String>,
    pub group: String,
    pub output: Option<PathBuf>,
    pub output_topic: Option<String>,
    /// Jsonl or Ocsf: the formats whose findings stand alone.
    pub format: OutputFormat,
    /// Window length and lateness, in microseconds.
    pub window: i64,
    pub lateness: i64,
    pub idle_close: Option<Duration>,
    pub stop_when_idle: Option<Duration>,
    pub stats_every: Duration,
    pub commit_every: Duration,
    pub properties: Vec<(String, String)>,
    /// A format name checked against the registry, or `None` for sniffing per message.
    pub input_format: Option<String>,
    pub strict: bool,
    /// The store whose history the windows are judged against (read only).
    pub state: super::state::StateSettings,
}

impl StreamSettings {
    pub fn from_args(a: StreamArgs) -> Result<StreamSettings> {
        let mut brokers = Vec::new();
        for b in a.brokers.iter().flat_map(|b| b.split(',')) {
            let b = b.trim();
            let ok = b.rsplit_once(':').is_some_and(|(host, port)| {
                !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
            });
            if !ok {
                bail!("--brokers {b:?}: expected HOST:PORT");
            }
            brokers.push(b.to_string());
        }
        for t in a.topics.iter().chain(a.output_topic.iter()) {
            check_topic(t)?;
        }
        if let Some(out) = &a.output_topic
            && a.topics.contains(out)
        {
            bail!("--output-topic {out:?} is also read (--topic): findings would be read back");
        }
        if a.group.trim().is_empty() {
            bail!("--group must not be empty");
        }
        if a.output.is_none() && a.output_topic.is_none() {
            bail!("give -o FILE and/or --output-topic NAME: where findings are delivered");
        }
        let window = duration_us(&a.window, "--window")?;
        if window < 1_000_000 {
            bail!("--window must be at least 1s");
        }
        let lateness = duration_us(&a.lateness, "--lateness")?;
        let idle_close = match duration_us(&a.idle_close, "--idle-close")? {
            0 => None,
            us => Some(micros_to_duration(us)),
        };
        let stop_when_idle = match &a.stop_when_idle {
            None => None,
            Some(s) => match duration_us(s, "--stop-when-idle")? {
                0 => bail!("--stop-when-idle must be longer than zero"),
                us => Some(micros_to_duration(us)),
            },
        };
        for (name, v) in [
            ("--stats-every", a.stats_every),
            ("--commit-every", a.commit_every),
        ] {
            if v == 0 || v > 86_400 {
                bail!("{name} must be between 1 and 86400 seconds");
            }
        }
        let mut properties = Vec::new();
        for p in &a.properties {
            let Some((k, v)) = p.split_once('=') else {
                bail!("-X {p:?}: expected KEY=VALUE");
            };
            let k = k.trim();
            if k.is_empty() {
                bail!("-X {p:?}: empty key");
            }
            if RESERVED.contains(&k) {
                bail!("-X {k}: set by pubsub-hunt itself (its delivery guarantee depends on it)");
            }
            properties.push((k.to_string(), v.to_string()));
        }
        let input_format = match a
            .input_format
            .parse::<InputFormat>()
            .map_err(|e| anyhow::anyhow!(e))?
        {
            InputFormat::Auto => None,
            InputFormat::Named(name) => {
                let registry = pubsub_hunt_ingest::builtin_formats();
                if !registry.iter().any(|f| f.name() == name) {
                    let names: Vec<&str> = registry.iter().map(|f| f.name()).collect();
                    bail!(
                        "unknown input format {name:?} for a stream; known: auto, {}",
                        names.join(", ")
                    );
                }
                Some(name)
            }
        };
        let mut config = load_config(a.config.config.as_ref())?;
        apply_analytics(&mut config, &a.analytics.analytics)?;
        if a.no_default_allowlist {
            config.default_allowlist.clear();
        }
        apply_thresholds(&mut config, a.min_suspicion, a.min_connections, &a.internal)?;
        let state = super::state::StateSettings::from_args(&a.state, &config);
        Ok(StreamSettings {
            config,
            brokers: brokers.join(","),
            topics: a.topics,
            group: a.group,
            output: a.output,
            output_topic: a.output_topic,
            format: match a.format {
                StreamFormatArg::Jsonl => OutputFormat::Jsonl,
                StreamFormatArg::Ocsf => OutputFormat::Ocsf,
            },
            window,
            lateness,
            idle_close,
            stop_when_idle,
            stats_every: Duration::from_secs(a.stats_every),
            commit_every: Duration::from_secs(a.commit_every),
            properties,
            input_format,
            strict: a.strict,
            state,
        })
    }
}

/// Kafka's rule for topic names: 1 to 249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn check_topic(t: &str) -> Result<()> {
    let ok = !t.is_empty()
        && t.len() <= 249
        && t != "."
        && t != ".."
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        bail!("topic {t:?}: Kafka topic names are 1 to 249 letters, digits, '.', '_' or '-'");
    }
    Ok(())
}

/// `0`, or a whole number with a unit (`30s`, `5m`, `1h`, `1d`), in microseconds.
fn duration_us(s: &str, flag: &str) -> Result<i64> {
    if s.trim() == "0" {
        return Ok(0);
    }
    match s.parse::<WindowSpec>() {
        Ok(WindowSpec(Some(us))) => Ok(us),
        Ok(WindowSpec(None)) => bail!("{flag} {s:?}: expected a duration like 30s, 5m or 1h"),
        Err(e) => bail!("{flag}: {e}"),
    }
}

fn micros_to_duration(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, from_words};
    use super::*;
    use std::path::Path;

    fn stream(words: &[&str]) -> Result<StreamSettings> {
        let mut all = vec![
            "stream",
            "--brokers",
            "127.0.0.1:9092",
            "--topic",
            "zeek",
            "--group",
            "g",
        ];
        all.extend_from_slice(words);
        match from_words(&all)? {
            Settings::Stream(s) => Ok(s),
            other => panic!("not stream: {other:?}"),
        }
    }

    fn err(words: &[&str]) -> String {
        format!("{:#}", stream(words).unwrap_err())
    }

    #[test]
    fn defaults_and_outputs() {
        let s = stream(&["-o", "f.jsonl"]).unwrap();
        assert_eq!(s.brokers, "127.0.0.1:9092");
        assert_eq!(s.topics, vec!["zeek"]);
        assert_eq!(s.window, 3_600_000_000);
        assert_eq!(s.lateness, 300_000_000);
        assert_eq!(s.idle_close, Some(Duration::from_secs(300)));
        assert_eq!(s.stop_when_idle, None);
        assert_eq!(s.input_format, None);
        assert_eq!(s.format, OutputFormat::Jsonl);
        assert!(err(&[]).contains("where findings are delivered"));
        let s = stream(&["-o", "f", "--format", "ocsf"]).unwrap();
        assert_eq!(s.format, OutputFormat::Ocsf);
        assert!(stream(&["-o", "f", "--format", "csv"]).is_err());
        let s = stream(&["--output-topic", "findings", "--idle-close", "0"]).unwrap();
        assert_eq!(s.output_topic.as_deref(), Some("findings"));
        assert_eq!(s.idle_close, None);
        assert!(err(&["--output-topic", "zeek"]).contains("read back"));
    }

    #[test]
    fn brokers_topics_and_durations_are_checked() {
        let s = stream(&["-o", "f", "--brokers", "a:1,b:2"]).unwrap();
        assert_eq!(s.brokers, "127.0.0.1:9092,a:1,b:2");
        for bad in ["nohost", ":9092", "h:0", "h:99999", "h:x"] {
            assert!(
                err(&["-o", "f", "--brokers", bad]).contains("HOST:PORT"),
                "{bad}"
            );
        }
        assert!(err(&["-o", "f", "--topic", "bad topic"]).contains("topic names"));
        assert!(err(&["-o", "f", "--topic", ".."]).contains("topic names"));
        assert!(err(&["-o", "f", "--window", "0"]).contains("at least 1s"));
        assert!(err(&["-o", "f", "--window", "fortnight"]).contains("--window"));
        assert!(err(&["-o", "f", "--window", "none"]).contains("duration"));
        assert!(err(&["-o", "f", "--stop-when-idle", "0"]).contains("longer than zero"));
        assert!(err(&["-o", "f", "--stats-every", "0"]).contains("--stats-every"));
        let s = stream(&[
            "-o",
            "f",
            "--window",
            "1d",
            "--lateness",
            "0",
            "--stop-when-idle",
            "3s",
        ])
        .unwrap();
        assert_eq!(s.window, 86_400_000_000);
        assert_eq!(s.lateness, 0);
        assert_eq!(s.stop_when_idle, Some(Duration::from_secs(3)));
    }

    #[test]
    fn properties_formats_and_hunt_options() {
        let s = stream(&["-o", "f", "-X", "session.timeout.ms=6000"]).unwrap();
        assert_eq!(
            s.properties,
            vec![("session.timeout.ms".to_string(), "6000".to_string())]
        );
        assert!(err(&["-o", "f", "-X", "nokey"]).contains("KEY=VALUE"));
        assert!(err(&["-o", "f", "-X", "enable.auto.commit=true"]).contains("delivery guarantee"));
        let s = stream(&["-o", "f", "--input-format", "zeek-json"]).unwrap();
        assert_eq!(s.input_format.as_deref(), Some("zeek-json"));
        assert!(err(&["-o", "f", "--input-format", "pcap"]).contains("unknown input format"));
        assert!(err(&["-o", "f", "--min-connections", "0"]).contains("at least 1"));
        assert!(err(&["-o", "f", "--internal", "nope"]).contains("--internal"));
        assert!(err(&["-o", "f", "--analytic", "pubsub-nope"]).contains("pubsub-nope"));
        let s = stream(&[
            "-o",
            "f",
            "--analytic",
            "pubsub-port",
            "--min-connections",
            "3",
        ])
        .unwrap();
        assert_eq!(s.config.min_connections, 3);
        assert!(!s.config.behaviour.enabled);
        let s = stream(&["-o", "f", "--state", "/tmp/h.sqlite"]).unwrap();
        assert_eq!(s.state.path.as_deref(), Some(Path::new("/tmp/h.sqlite")));
        let s = stream(&["-o", "f", "--no-state"]).unwrap();
        assert_eq!(s.state.path, None);
    }
}
