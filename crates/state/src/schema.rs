//! The store's schema: the tables of each version, the migrations between versions, and the
//! check made on every open (a file of a newer version, or one that is not a state store, is
//! refused, never reset). The version lives in its own table, `schema_version`, so a hunter
//! looking at the file with `sqlite3` sees it.

use crate::StateError;
use rusqlite::{Connection, OptionalExtension};
use std::path::Path;

/// The version this build writes.
pub const CURRENT_VERSION: i64 = 2;

/// The SQL that takes a store from version `i` to `i + 1` (index 0: from empty to 1).
///
/// Every table keeps the client host in its key, so a store can later be split by host (a
/// stream consumer keeps the hosts of the partitions it owns). Times are microseconds since the
/// epoch (event time), days are UTC days since 1970-01-01.
const MIGRATIONS: &[&str] = &[
    // 1: channels by alert id, their active days, and what each host and destination saw.
    "CREATE TABLE schema_version (version INTEGER NOT NULL);
     INSERT INTO schema_version (version) VALUES (0);
     CREATE TABLE channels (
         id TEXT PRIMARY KEY,
         host TEXT NOT NULL,
         first_seen INTEGER NOT NULL,
         last_seen INTEGER NOT NULL,
         last_alert_at INTEGER,
         last_alert_score INTEGER,
         last_alert_suspicion TEXT,
         CHECK (first_seen <= last_seen)
     );
     CREATE TABLE channel_days (
         id TEXT NOT NULL,
         day INTEGER NOT NULL,
         PRIMARY KEY (id, day)
     ) WITHOUT ROWID;
     CREATE TABLE host_brokers (
         host TEXT NOT NULL, dst_ip TEXT NOT NULL, dst_port INTEGER NOT NULL,
         first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
         PRIMARY KEY (host, dst_ip, dst_port), CHECK (first_seen <= last_seen)
     ) WITHOUT ROWID;
     CREATE TABLE host_protocols (
         host TEXT NOT NULL, protocol TEXT NOT NULL,
         first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
         PRIMARY KEY (host, protocol), CHECK (first_seen <= last_seen)
     ) WITHOUT ROWID;
     CREATE TABLE host_processes (
         host TEXT NOT NULL, process TEXT NOT NULL, protocol TEXT NOT NULL,
         first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
         PRIMARY KEY (host, process, protocol), CHECK (first_seen <= last_seen)
     ) WITHOUT ROWID;
     CREATE TABLE destination_hosts (
         dst_ip TEXT NOT NULL, dst_port INTEGER NOT NULL, host TEXT NOT NULL,
         first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
         PRIMARY KEY (dst_ip, dst_port, host), CHECK (first_seen <= last_seen)
     ) WITHOUT ROWID;",
    // 2: a log of the runs saved, and channels findable by host.
    "CREATE TABLE runs (
         id INTEGER PRIMARY KEY,
         saved_at TEXT NOT NULL,
         data_first INTEGER,
         data_last INTEGER,
         channels INTEGER NOT NULL
     );
     CREATE INDEX channels_by_host ON channels (host);",
];

/// The version a connection's database is at: 0 for an empty database, an error for a file
/// that is not a database or not a state store.
pub fn version(conn: &Connection, path: &Path) -> Result<i64, StateError> {
    let err = |e| StateError::from_sqlite(path, e);
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(err)?;
    if tables == 0 {
        return Ok(0);
    }
    let has_version: bool = conn
        .query_row(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            [],
            |_| Ok(true),
        )
        .optional()
        .map_err(err)?
        .unwrap_or(false);
    if !has_version {
        return Err(StateError::NotAStore {
            path: path.to_path_buf(),
        });
    }
    conn.query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .optional()
        .map_err(err)?
        .ok_or_else(|| StateError::Corrupt {
            path: path.to_path_buf(),
            detail: "schema_version holds no version".into(),
        })
}

/// Brings the database to `target`, one migration per transaction, refusing a newer one.
pub fn migrate_to(conn: &mut Connection, path: &Path, target: i64) -> Result<(), StateError> {
    let found = version(conn, path)?;
    if found > CURRENT_VERSION {
        return Err(StateError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: CURRENT_VERSION,
        });
    }
    for v in found..target.min(CURRENT_VERSION) {
        let sql = MIGRATIONS.get(v as usize).copied().unwrap_or("");
        let tx = conn
            .transaction()
            .map_err(|e| StateError::from_sqlite(path, e))?;
        tx.execute_batch(sql)
            .and_then(|()| tx.execute("UPDATE schema_version SET version = ?1", [v + 1]))
            .and_then(|_| tx.commit())
            .map_err(|e| StateError::from_sqlite(path, e))?;
    }
    Ok(())
}
