//! Turns raw arguments (and the files they name: configuration, mappings) into one validated
//! settings value per command: [`HuntSettings`], [`TuneSettings`], [`WatchSettings`], [`ExplainSettings`],
//! [`RulesExportSettings`], [`RulesShowSettings`], [`ConfigInitSettings`],
//! [`ConfigCheckSettings`], [`ConfigDefaultsSettings`], [`FormatsSettings`], [`ControlsSettings`] and [`StreamSettings`], gathered in [`Settings`]. Every check of user
//! input happens here, before any input is read, any packet captured or any output written, so a
//! typo fails fast with a clear message instead of half-way through a week of logs or after a
//! capture has started. This module holds the steps several commands share: loading the
//! configuration, choosing analytics and listing the input formats.

mod config;
mod controls;
mod explain;
mod hunt;
mod rules;
mod shared;
mod state;
mod stream;
mod view;
mod watch;

pub use config::{ConfigCheckSettings, ConfigDefaultsSettings, ConfigInitSettings, DefaultsForm};
pub use controls::{ControlsInput, ControlsSettings};
pub use explain::{ExplainSettings, ExplainTarget};
pub use hunt::{HuntSettings, TuneReport, TuneSettings};
pub use rules::{RulesExportSettings, RulesShowSettings};
pub use shared::all_formats;
pub use state::{StateAction, StateCmdSettings};
pub use stream::StreamSettings;
pub use view::{ViewSettings, progress_allowed, table_width};
pub use watch::WatchSettings;

use crate::args::{Command, ConfigCommand, RulesCommand};
use anyhow::Result;
use pubsub_hunt_ingest::Registry;

/// The validated settings of the command the user chose.
#[derive(Debug)]
pub enum Settings {
    Hunt(HuntSettings),
    Tune(TuneSettings),
    Watch(WatchSettings),
    Explain(ExplainSettings),
    RulesExport(RulesExportSettings),
    RulesShow(RulesShowSettings),
    ConfigInit(ConfigInitSettings),
    ConfigCheck(ConfigCheckSettings),
    ConfigDefaults(ConfigDefaultsSettings),
    Formats(FormatsSettings),
    Controls(ControlsSettings),
    State(StateCmdSettings),
    Stream(StreamSettings),
}

impl Settings {
    /// Validates the arguments of `command`; an error names what is wrong and nothing has run.
    pub fn from_args(command: Command) -> Result<Settings> {
        Ok(match command {
            Command::Hunt(a) => Settings::Hunt(HuntSettings::from_args(a)?),
            Command::Tune(a) => Settings::Tune(TuneSettings::from_args(a)?),
            Command::Watch(a) => Settings::Watch(WatchSettings::from_args(a)?),
            Command::Explain(a) => Settings::Explain(ExplainSettings::from_args(a)?),
            Command::Rules(RulesCommand::Export(a)) => {
                Settings::RulesExport(RulesExportSettings::from_args(a)?)
            }
            Command::Rules(RulesCommand::Show(a)) => {
                Settings::RulesShow(RulesShowSettings::from_args(a)?)
            }
            Command::Config(ConfigCommand::Init(a)) => {
                Settings::ConfigInit(ConfigInitSettings::from_args(a))
            }
            Command::Config(ConfigCommand::Check(a)) => {
                Settings::ConfigCheck(ConfigCheckSettings::from_args(a)?)
            }
            Command::Config(ConfigCommand::Defaults(a)) => {
                Settings::ConfigDefaults(ConfigDefaultsSettings::from_args(a)?)
            }
            Command::Formats => Settings::Formats(FormatsSettings::new()),
            Command::Controls(a) => Settings::Controls(ControlsSettings::from_args(a)?),
            Command::State(c) => Settings::State(StateCmdSettings::from_args(c)?),
            Command::Stream(a) => Settings::Stream(StreamSettings::from_args(a)?),
        })
    }
}

/// What `pubsub-hunt formats` lists: the whole registry.
pub struct FormatsSettings {
    pub registry: Registry,
}

impl std::fmt::Debug for FormatsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.registry.iter().map(|r| r.name()))
            .finish()
    }
}

impl FormatsSettings {
    pub fn new() -> FormatsSettings {
        FormatsSettings {
            registry: all_formats(),
        }
    }
}

/// Parses a command line (without the program name) and builds its settings, as `main` does.
#[cfg(test)]
pub(crate) fn from_words(words: &[&str]) -> Result<Settings> {
    use clap::Parser;
    let cli = crate::args::Cli::try_parse_from(
        std::iter::once("pubsub-hunt").chain(words.iter().copied()),
    )?;
    Settings::from_args(cli.command)
}

#[cfg(test)]
mod tests {
    use super::shared::{apply_analytics, load_config};
    use super::*;
    use pubsub_hunt_core::{AnalyticId, HuntConfig};

    #[test]
    fn formats_lists_the_whole_registry() {
        let Settings::Formats(s) = from_words(&["formats"]).unwrap() else {
            panic!("not formats");
        };
        let names: Vec<&str> = s.registry.iter().map(|f| f.name()).collect();
        let want = all_formats();
        let want: Vec<&str> = want.iter().map(|f| f.name()).collect();
        assert_eq!(names, want);
        assert!(!names.is_empty());
    }

    #[test]
    fn analytics_by_name_and_behaviour() {
        let mut c = HuntConfig::default();
        apply_analytics(&mut c, &["pubsub-port".to_string()]).unwrap();
        assert_eq!(c.analytics, vec![AnalyticId::PubsubPort]);
        assert!(!c.behaviour.enabled);
        let mut c = HuntConfig::default();
        apply_analytics(&mut c, &["behaviour".to_string()]).unwrap();
        assert_eq!(c.analytics, AnalyticId::BEHAVIOUR.to_vec());
        assert!(c.behaviour.enabled);
        let e = apply_analytics(&mut c, &["pubsub-nope".to_string()]).unwrap_err();
        assert!(e.to_string().contains("behaviour"), "{e}");
    }

    #[test]
    fn a_missing_or_bad_config_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.toml");
        let e = load_config(Some(&missing)).unwrap_err();
        assert!(format!("{e:#}").contains("cannot read config"), "{e:#}");
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "[analytics]\nwindow = \"forever\"\n").unwrap();
        let e = load_config(Some(&bad)).unwrap_err();
        assert!(format!("{e:#}").contains("forever"), "{e:#}");
    }
}
