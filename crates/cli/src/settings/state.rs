//! Settings of history across runs: where the state store is (`--state PATH`, else the
//! platform's state directory), whether it is used at all (`--no-state`, or
//! `PUBSUB_HUNT_NO_STATE=1` so test harnesses and scripts can turn it off for every command at
//! once), and how long history is kept (`[state] retention_days`). Also the settings of the
//! `state` command.

use crate::args::{StateArgs, StateCommand, StateStoreArg};
use anyhow::{Result, bail};
use pubsub_hunt_core::HuntConfig;
use std::path::PathBuf;

/// Where a hunt keeps history, if anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSettings {
    /// `None`: history across runs is off.
    pub path: Option<PathBuf>,
    pub retention_days: u32,
    /// Why there is no store although none was turned off (no state directory); said once.
    pub unavailable: Option<String>,
}

/// The environment variable that turns history off like `--no-state`.
pub const NO_STATE_ENV: &str = "PUBSUB_HUNT_NO_STATE";

fn no_state_from_env() -> bool {
    std::env::var_os(NO_STATE_ENV).is_some_and(|v| !v.is_empty() && v != "0")
}

/// The default store: `pubsub-hunt/state.sqlite` in the platform's state directory
/// (`$XDG_STATE_HOME`, else `~/.local/state` on Linux), or where there is none (macOS,
/// Windows) its local data directory.
pub fn default_path() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .map(|d| d.join("pubsub-hunt").join("state.sqlite"))
}

impl StateSettings {
    pub fn from_args(a: &StateArgs, config: &HuntConfig) -> StateSettings {
        let retention_days = config.state.retention_days;
        if a.no_state || (a.state.is_none() && no_state_from_env()) {
            return StateSettings {
                path: None,
                retention_days,
                unavailable: None,
            };
        }
        match a.state.clone().or_else(default_path) {
            Some(p) => StateSettings {
                path: Some(p),
                retention_days,
                unavailable: None,
            },
            None => StateSettings {
                path: None,
                retention_days,
                unavailable: Some(
                    "no state directory could be found (HOME unset?); history across runs is \
                     off for this run (give --state PATH)"
                        .into(),
                ),
            },
        }
    }
}

/// What `pubsub-hunt state` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateAction {
    Show,
    /// Reset; `false`: only say what would be removed.
    Reset(bool),
}

/// The validated settings of `pubsub-hunt state`.
#[derive(Debug)]
pub struct StateCmdSettings {
    pub path: PathBuf,
    pub action: StateAction,
}

fn store_path(a: &StateStoreArg) -> Result<PathBuf> {
    match a.state.clone().or_else(default_path) {
        Some(p) => Ok(p),
        None => bail!("no state directory could be found (HOME unset?); give --state PATH"),
    }
}

impl StateCmdSettings {
    pub fn from_args(c: StateCommand) -> Result<StateCmdSettings> {
        Ok(match c {
            StateCommand::Show(a) => StateCmdSettings {
                path: store_path(&a)?,
                action: StateAction::Show,
            },
            StateCommand::Reset(a) => StateCmdSettings {
                path: store_path(&a.store)?,
                action: StateAction::Reset(a.yes),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Settings, from_words};

    #[test]
    fn state_options_choose_the_store() {
        let hunt = |w: &[&str]| match from_words(w).unwrap() {
            Settings::Hunt(s) => s.state,
            other => panic!("not hunt: {other:?}"),
        };
        let s = hunt(&["hunt", "--state", "/tmp/x.sqlite", "a.log"]);
        assert_eq!(
            s.path.as_deref(),
            Some(std::path::Path::new("/tmp/x.sqlite"))
        );
        assert_eq!(s.retention_days, 90);
        let s = hunt(&["hunt", "--no-state", "a.log"]);
        assert_eq!(s.path, None);
        assert!(s.unavailable.is_none());
        assert!(from_words(&["hunt", "--no-state", "--state", "x", "a.log"]).is_err());
    }

    #[test]
    fn retention_comes_from_the_config() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("c.toml");
        std::fs::write(&cfg, "[state]\nretention_days = 7\n").unwrap();
        let c = cfg.to_str().unwrap();
        let Settings::Hunt(s) =
            from_words(&["hunt", "--config", c, "--state", "s.sqlite", "a.log"]).unwrap()
        else {
            panic!("not hunt")
        };
        assert_eq!(s.state.retention_days, 7);
        std::fs::write(&cfg, "[state]\nretention = 7\n").unwrap();
        assert!(from_words(&["hunt", "--config", c, "a.log"]).is_err());
    }
}
