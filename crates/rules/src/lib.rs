//! Rule export: pubsub-hunt's tuned `pubsub-port` analytic written out as rules and queries for
//! the SIEMs the seed queries targeted (Sigma, Microsoft KQL, Splunk SPL, Chronicle YARA-L,
//! Elastic ES|QL), so that a hunter tunes the analytic once and runs the same logic (ports,
//! internal networks, threshold, window, Mosquitto exclusion, allowlist) everywhere.
//!
//! This crate owns the translation only. [`analytic`] restates a [`HuntConfig`] as one model;
//! one module per target renders it; [`escape`] holds every language's quoting rules. No I/O:
//! the CLI decides where the text goes.

mod analytic;
mod escape;
mod esql;
mod header;
mod kql;
mod sigma;
mod spl;
mod yaral;

use analytic::Analytic;
use header::Header;
use pubsub_hunt_core::HuntConfig;
use std::fmt;
use std::str::FromStr;

/// The `config_source` to pass when no config file was given.
pub const BUILT_IN_DEFAULTS: &str = "built-in defaults";

/// A rule language pubsub-hunt exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// Sigma detection rules plus Sigma v2 `event_count` correlation rules.
    Sigma,
    /// KQL for Microsoft Defender XDR (`DeviceNetworkEvents`) and Sentinel (`CommonSecurityLog`).
    Kql,
    /// Splunk SPL over CIM Network_Traffic.
    Spl,
    /// Chronicle / Google SecOps YARA-L 2.0 over UDM.
    YaraL,
    /// Elastic ES|QL over ECS.
    Esql,
}

impl Target {
    /// Every target, in the order the CLI lists them.
    pub const ALL: [Target; 5] = [
        Target::Sigma,
        Target::Kql,
        Target::Spl,
        Target::YaraL,
        Target::Esql,
    ];

    /// The name used on the command line (`--target`).
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Sigma => "sigma",
            Target::Kql => "kql",
            Target::Spl => "spl",
            Target::YaraL => "yara-l",
            Target::Esql => "esql",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--target` value that names no target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule target {given:?} (expected one of sigma, kql, spl, yara-l, esql)")]
pub struct UnknownTarget {
    pub given: String,
}

impl FromStr for Target {
    type Err = UnknownTarget;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase();
        // `yaral` and `yara_l` are common spellings of the same language.
        let wanted = match wanted.as_str() {
            "yaral" | "yara_l" => "yara-l",
            other => other,
        };
        Target::ALL
            .into_iter()
            .find(|t| t.as_str() == wanted)
            .ok_or_else(|| UnknownTarget {
                given: s.to_string(),
            })
    }
}

/// The complete, commented rule text for `target`. `config_source` names where `cfg` came from
/// ([`BUILT_IN_DEFAULTS`] or the config file path); the header of the export repeats it.
pub fn export(target: Target, cfg: &HuntConfig, config_source: &str) -> String {
    let a = Analytic::from_config(cfg);
    let title = match target {
        Target::Sigma => "Sigma rules (network_connection + event_count correlation)",
        Target::Kql => "KQL for Microsoft Defender XDR and Microsoft Sentinel",
        Target::Spl => "Splunk SPL over CIM Network_Traffic",
        Target::YaraL => "YARA-L 2.0 rules for Google SecOps (Chronicle) UDM",
        Target::Esql => "Elastic ES|QL over ECS",
    };
    let header = Header::new(&a, title, target.as_str(), config_source);
    match target {
        Target::Sigma => sigma::render(&a, &header),
        Target::Kql => kql::render(&a, &header),
        Target::Spl => spl::render(&a, &header),
        Target::YaraL => yaral::render(&a, &header),
        Target::Esql => esql::render(&a, &header),
    }
}

/// The effective `pubsub-port` analytic of `cfg` in plain words (`pubsub-hunt rules show`).
pub fn describe(cfg: &HuntConfig) -> String {
    header::describe(&Analytic::from_config(cfg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_round_trip() {
        for t in Target::ALL {
            assert_eq!(t.to_string().parse::<Target>(), Ok(t));
        }
        assert_eq!("YARAL".parse::<Target>(), Ok(Target::YaraL));
        let err = "splunk".parse::<Target>().unwrap_err();
        assert!(err.to_string().contains("\"splunk\""), "{err}");
    }

    #[test]
    fn every_export_names_its_config() {
        let cfg = HuntConfig::default();
        for t in Target::ALL {
            let text = export(t, &cfg, "/etc/hunt/odd \"name\".toml");
            assert!(text.contains("Config: /etc/hunt/odd \"name\".toml"), "{t}");
            assert!(text.contains("1883") && text.contains("61614"), "{t}");
        }
    }

    #[test]
    fn describe_mentions_the_tuning() {
        let cfg = HuntConfig::from_toml_str(
            "[analytics]\nmin_connections = 7\nwindow = \"2h\"\n[networks]\nextra_internal = [\"198.51.100.0/24\"]",
        )
        .unwrap();
        let text = describe(&cfg);
        assert!(text.contains("at least 7 connections"), "{text}");
        assert!(text.contains("2h tumbling windows"), "{text}");
        assert!(text.contains("198.51.100.0/24"), "{text}");
    }
}
