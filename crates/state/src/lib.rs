//! History across runs of pubsub-hunt, kept in one SQLite file (a hunter can open it with
//! `sqlite3`). This crate owns the file: its schema and migrations ([`schema`]), loading the
//! part of the history a run is judged against ([`Store::load_for`], or all of it with
//! [`Store::load`]), and saving a run's facts in one transaction together with retention
//! ([`Store::record`]), so a failed run leaves the store as it was. The history itself is plain
//! data defined in the core crate ([`pubsub_hunt_core::prior::History`]).
//!
//! Re-hunting the same records does not change the history: every fact is a set (the days a
//! channel was active, the hosts that reach a destination) or an extreme (first and last seen),
//! merged with `min`, `max` and set union, so the same facts saved twice leave the same rows.

mod load;
mod save;
pub mod schema;
mod scoped;

use pubsub_hunt_core::prior::{History, HistoryKeys, PriorSource};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// What can go wrong with the store. None of them resets it: the hunter decides.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("state store {path}: cannot open: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "state store {path} is corrupt ({detail}); move it away or remove it \
         (`pubsub-hunt state reset`) to start a new history"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "state store {path} has schema version {found}, newer than this pubsub-hunt supports \
         ({supported}); use a newer pubsub-hunt or another --state file"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path} is an SQLite database but not a pubsub-hunt state store; give another --state")]
    NotAStore { path: PathBuf },
    #[error("state store {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
}

impl StateError {
    /// Sorts SQLite's errors: a damaged file is `Corrupt`, anything else is passed on.
    pub(crate) fn from_sqlite(path: &Path, e: rusqlite::Error) -> StateError {
        use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
        match e.sqlite_error_code() {
            Some(DatabaseCorrupt | NotADatabase) => StateError::Corrupt {
                path: path.to_path_buf(),
                detail: e.to_string(),
            },
            _ => StateError::Sqlite {
                path: path.to_path_buf(),
                source: e,
            },
        }
    }

    pub(crate) fn corrupt(path: &Path, detail: impl Into<String>) -> StateError {
        StateError::Corrupt {
            path: path.to_path_buf(),
            detail: detail.into(),
        }
    }
}

/// Row counts of a store, for `pubsub-hunt state show` and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub channels: u64,
    pub channel_days: u64,
    pub hosts: u64,
    pub host_brokers: u64,
    pub host_processes: u64,
    pub destinations: u64,
    pub destination_hosts: u64,
    pub runs: u64,
}

/// One opened state store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating it and its directory's file if needed) and migrates the store at `path`.
    /// A corrupt file, one of a newer schema, or another application's database is an error.
    pub fn open(path: &Path) -> Result<Store, StateError> {
        Self::open_at_version(path, schema::CURRENT_VERSION)
    }

    /// Opens and migrates up to `version` only (tests build older stores with it).
    #[doc(hidden)]
    pub fn open_at_version(path: &Path, version: i64) -> Result<Store, StateError> {
        let mut conn = Connection::open(path).map_err(|source| StateError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        // Another run saving at the same time holds the write lock briefly; wait for it.
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| StateError::from_sqlite(path, e))?;
        schema::migrate_to(&mut conn, path, version)?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the open store.
    pub fn version(&self) -> Result<i64, StateError> {
        schema::version(&self.conn, &self.path)
    }

    /// The whole history, for the engine to judge a run against.
    pub fn load(&self) -> Result<History, StateError> {
        load::load(&self.conn, &self.path)
    }

    /// The part of the history a run with these keys is judged against: the same judgements
    /// as over [`load`](Self::load)'s whole history, in memory that follows the run's groups.
    pub fn load_for(&self, keys: &HistoryKeys) -> Result<History, StateError> {
        scoped::load_for(&self.conn, &self.path, keys)
    }

    /// Saves a run's facts in one transaction: merged into the history, then history older than
    /// `retention_days` before the newest day is forgotten (0 keeps everything), and the run is
    /// logged. On any error nothing is changed.
    pub fn record(&mut self, facts: &History, retention_days: u32) -> Result<(), StateError> {
        save::record(&mut self.conn, &self.path, facts, retention_days)
    }

    /// The earliest and the newest instant the history knows (event time), if any.
    pub fn extent(&self) -> Result<Option<(i64, i64)>, StateError> {
        load::extent(&self.conn, &self.path)
    }

    /// Row counts.
    pub fn counts(&self) -> Result<Counts, StateError> {
        load::counts(&self.conn, &self.path)
    }

    /// Forgets all history (the schema stays), in one transaction.
    pub fn reset(&mut self) -> Result<(), StateError> {
        save::reset(&mut self.conn, &self.path)
    }
}

/// A `stream` member reads the part of the history each window needs, as `hunt` does for a run.
impl PriorSource for Store {
    fn load_for(&self, keys: &HistoryKeys) -> Result<History, String> {
        Store::load_for(self, keys).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests;
