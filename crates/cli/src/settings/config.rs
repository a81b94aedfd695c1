//! Settings of `config init` (where the default configuration goes), `config check` (the file,
//! loaded and validated) and `config defaults` (the configuration whose default allowlist is
//! printed, and in which form).

use super::shared::{config_problems, load_config};
use crate::args::{ConfigCheckArgs, ConfigDefaultsArgs, ConfigInitArgs, DefaultsFormatArg};
use anyhow::{Context, Result, bail};
use pubsub_hunt_core::HuntConfig;
use std::path::PathBuf;

/// Everything `config init` needs. Nothing to validate: whether the file may be created is
/// decided when it is created (it is never overwritten).
#[derive(Debug)]
pub struct ConfigInitSettings {
    pub output: Option<PathBuf>,
}

impl ConfigInitSettings {
    pub fn from_args(a: ConfigInitArgs) -> ConfigInitSettings {
        ConfigInitSettings { output: a.output }
    }
}

/// Everything `config check` needs: the file, and the configuration it holds (a file that does
/// not load is an error here).
#[derive(Debug)]
pub struct ConfigCheckSettings {
    pub path: PathBuf,
    pub config: HuntConfig,
}

impl ConfigCheckSettings {
    pub fn from_args(a: ConfigCheckArgs) -> Result<ConfigCheckSettings> {
        let text = std::fs::read_to_string(&a.config)
            .with_context(|| format!("cannot read config {}", a.config.display()))?;
        let problems = config_problems(&text);
        if !problems.is_empty() {
            let n = problems.len();
            bail!(
                "{} has {}:\n  - {}",
                a.config.display(),
                if n == 1 {
                    "a problem".to_string()
                } else {
                    format!("{n} problems")
                },
                problems.join("\n  - ")
            );
        }
        let config = load_config(Some(&a.config))?;
        Ok(ConfigCheckSettings {
            path: a.config,
            config,
        })
    }
}

/// How `config defaults` prints the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultsForm {
    /// Grouped by class, with what the list depends on in this configuration.
    Text,
    /// One JSON object: the settings and one object per entry.
    Json,
    /// The Markdown table of the README and docs/allowlist.md.
    Markdown,
}

/// Everything `config defaults` needs: the configuration (the built-in defaults or a file) and
/// the form.
#[derive(Debug)]
pub struct ConfigDefaultsSettings {
    pub config: HuntConfig,
    pub form: DefaultsForm,
}

impl ConfigDefaultsSettings {
    pub fn from_args(a: ConfigDefaultsArgs) -> Result<ConfigDefaultsSettings> {
        Ok(ConfigDefaultsSettings {
            config: load_config(a.config.config.as_ref())?,
            form: match a.format {
                DefaultsFormatArg::Text => DefaultsForm::Text,
                DefaultsFormatArg::Json => DefaultsForm::Json,
                DefaultsFormatArg::Markdown => DefaultsForm::Markdown,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, from_words};
    use super::*;

    #[test]
    fn init_takes_the_output() {
        let Settings::ConfigInit(s) = from_words(&["config", "init", "-o", "c.toml"]).unwrap()
        else {
            panic!("not config init");
        };
        assert_eq!(s.output, Some(PathBuf::from("c.toml")));
    }

    #[test]
    fn defaults_take_a_form_and_an_optional_config() {
        let Settings::ConfigDefaults(s) = from_words(&["config", "defaults"]).unwrap() else {
            panic!("not config defaults");
        };
        assert_eq!(s.form, DefaultsForm::Text);
        assert_eq!(s.config, HuntConfig::default());
        let Settings::ConfigDefaults(s) =
            from_words(&["config", "defaults", "--format", "json"]).unwrap()
        else {
            panic!("not config defaults");
        };
        assert_eq!(s.form, DefaultsForm::Json);
        assert!(from_words(&["config", "defaults", "--format", "yaml"]).is_err());
        assert!(from_words(&["config", "defaults", "-c", "/nonexistent/c.toml"]).is_err());
    }

    #[test]
    fn check_loads_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("c.toml");
        std::fs::write(&cfg, pubsub_hunt_core::config::DEFAULT_CONFIG_TOML).unwrap();
        let path = cfg.to_str().unwrap();
        let Settings::ConfigCheck(s) = from_words(&["config", "check", path]).unwrap() else {
            panic!("not config check");
        };
        assert_eq!(s.path, cfg);
        assert_eq!(
            s.config.min_connections,
            HuntConfig::default().min_connections
        );
        std::fs::write(&cfg, "[analytics]\nwindow = \"forever\"\n").unwrap();
        let e = from_words(&["config", "check", path]).unwrap_err();
        assert!(format!("{e:#}").contains("forever"), "{e:#}");
    }
}
