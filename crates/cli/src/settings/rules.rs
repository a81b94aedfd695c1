//! Settings of `rules export` (the typed SIEM target, the configuration and the name of where it
//! came from, the output file) and `rules show` (the configuration).

use super::shared::load_config;
use crate::args::{RulesExportArgs, RulesShowArgs};
use anyhow::Result;
use pubsub_hunt_core::HuntConfig;
use pubsub_hunt_rules::Target;
use std::path::PathBuf;

/// Everything `rules export` needs, validated.
#[derive(Debug)]
pub struct RulesExportSettings {
    pub target: Target,
    pub config: HuntConfig,
    /// Where `config` came from, as the export's header names it: the file, or
    /// [`pubsub_hunt_rules::BUILT_IN_DEFAULTS`].
    pub source: String,
    pub output: Option<PathBuf>,
}

impl RulesExportSettings {
    pub fn from_args(a: RulesExportArgs) -> Result<RulesExportSettings> {
        let target: Target = a.target.parse().map_err(|e| anyhow::anyhow!("{e}"))?;
        let path = a.config.config;
        let config = load_config(path.as_ref())?;
        let source = match &path {
            Some(p) => p.display().to_string(),
            None => pubsub_hunt_rules::BUILT_IN_DEFAULTS.to_string(),
        };
        Ok(RulesExportSettings {
            target,
            config,
            source,
            output: a.output,
        })
    }
}

/// Everything `rules show` needs, validated.
#[derive(Debug)]
pub struct RulesShowSettings {
    pub config: HuntConfig,
}

impl RulesShowSettings {
    pub fn from_args(a: RulesShowArgs) -> Result<RulesShowSettings> {
        Ok(RulesShowSettings {
            config: load_config(a.config.config.as_ref())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, from_words};
    use super::*;

    fn export(words: &[&str]) -> Result<RulesExportSettings> {
        let mut all = vec!["rules", "export"];
        all.extend_from_slice(words);
        match from_words(&all)? {
            Settings::RulesExport(s) => Ok(s),
            other => panic!("not rules export: {other:?}"),
        }
    }

    #[test]
    fn the_target_is_typed() {
        let s = export(&["--target", "kql"]).unwrap();
        assert_eq!(s.target, Target::Kql);
        assert_eq!(s.source, pubsub_hunt_rules::BUILT_IN_DEFAULTS);
        assert_eq!(s.output, None);
        assert_eq!(export(&["-t", "yaral"]).unwrap().target, Target::YaraL);
        let e = format!("{:#}", export(&["--target", "bogus"]).unwrap_err());
        assert!(e.contains("bogus"), "{e}");
        for t in Target::ALL {
            assert!(e.contains(t.as_str()), "{e}");
        }
    }

    #[test]
    fn the_config_names_the_source() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("tuned.toml");
        std::fs::write(&cfg, "[analytics]\nmin_connections = 5\n").unwrap();
        let path = cfg.to_str().unwrap();
        let s = export(&["--target", "spl", "--config", path, "-o", "out.spl"]).unwrap();
        assert_eq!(s.config.min_connections, 5);
        assert_eq!(s.source, path);
        assert_eq!(s.output, Some(PathBuf::from("out.spl")));
        let e = export(&["--target", "spl", "--config", "/nonexistent/c.toml"]).unwrap_err();
        assert!(format!("{e:#}").contains("cannot read config"), "{e:#}");
        let Settings::RulesShow(s) = from_words(&["rules", "show", "-c", path]).unwrap() else {
            panic!("not rules show");
        };
        assert_eq!(s.config.min_connections, 5);
        assert!(from_words(&["rules", "show", "-c", "/nonexistent/c.toml"]).is_err());
    }
}
