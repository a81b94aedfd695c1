//! Reading the part of the store a run is judged against ([`HistoryKeys`]): its channels with
//! their days, for each destination it reaches the host that reached it first and the first
//! [`DESTINATION_HOSTS_LOADED`] by name, for each process it ran the host that ran it first, and
//! the earliest instant the whole store knows. The engine's judgements read nothing else of the
//! history, so they are the same as over the whole store, while memory follows the run's groups
//! instead of weeks of history (a store of 300,000 channels held about 770 MB once loaded).

use crate::StateError;
use crate::load::{CHANNEL_COLUMNS, channel_row, cols, protocol, seen};
use pubsub_hunt_core::prior::{DESTINATION_HOSTS_LOADED, History, HistoryKeys};
use rusqlite::types::Value;
use rusqlite::{Connection, params};
use std::path::Path;

pub(crate) fn load_for(
    conn: &Connection,
    path: &Path,
    keys: &HistoryKeys,
) -> Result<History, StateError> {
    let err = |e| StateError::from_sqlite(path, e);
    let mut h = History::default();
    // The run's channel ids go into a temporary table (this connection's alone), so the
    // store is read once by its index rather than once per id.
    let tx = conn.unchecked_transaction().map_err(err)?;
    tx.execute_batch(
        "CREATE TEMP TABLE IF NOT EXISTS wanted_channels (id TEXT PRIMARY KEY) WITHOUT ROWID;
         DELETE FROM temp.wanted_channels;",
    )
    .map_err(err)?;
    {
        let mut add = tx
            .prepare("INSERT OR IGNORE INTO temp.wanted_channels (id) VALUES (?1)")
            .map_err(err)?;
        for id in &keys.channels {
            add.execute([id]).map_err(err)?;
        }
        let mut rows = tx
            .prepare(
                "SELECT c.id, c.host, c.first_seen, c.last_seen, c.last_alert_at, \
                 c.last_alert_score, c.last_alert_suspicion \
                 FROM channels c JOIN temp.wanted_channels w ON c.id = w.id",
            )
            .map_err(err)?;
        let mut q = rows.query([]).map_err(err)?;
        while let Some(row) = q.next().map_err(err)? {
            let r = values(row, CHANNEL_COLUMNS).map_err(err)?;
            let (id, c) = channel_row(path, &r)?;
            h.channels.insert(id, c);
        }
        let mut days = tx
            .prepare(
                "SELECT d.id, d.day FROM channel_days d \
                 JOIN temp.wanted_channels w ON d.id = w.id",
            )
            .map_err(err)?;
        let mut q = days.query([]).map_err(err)?;
        while let Some(row) = q.next().map_err(err)? {
            let r = values(row, 2).map_err(err)?;
            let (t, i) = cols(path, &r, 1)?;
            if let Some(c) = h.channels.get_mut(t[0]) {
                c.days.insert(i[0]);
            }
        }
    }
    tx.execute_batch("DELETE FROM temp.wanted_channels;")
        .map_err(err)?;
    tx.commit().map_err(err)?;

    // Per destination, by the primary key's index: the first hosts by name and the first to
    // reach it (whose time is the broker's first seen).
    let mut by_name = conn
        .prepare(
            "SELECT host, first_seen, last_seen FROM destination_hosts \
             WHERE dst_ip = ?1 AND dst_port = ?2 ORDER BY host LIMIT ?3",
        )
        .map_err(err)?;
    let mut first = conn
        .prepare(
            "SELECT host, first_seen, last_seen FROM destination_hosts \
             WHERE dst_ip = ?1 AND dst_port = ?2 ORDER BY first_seen, host LIMIT 1",
        )
        .map_err(err)?;
    let limit = i64::try_from(DESTINATION_HOSTS_LOADED).unwrap_or(i64::MAX);
    for &(addr, p) in &keys.destinations {
        let text_ip = addr.to_string();
        let mut add = |row: &rusqlite::Row<'_>| -> Result<(), StateError> {
            let r = values(row, 3).map_err(err)?;
            let (t, i) = cols(path, &r, 1)?;
            h.destinations
                .entry((addr, p))
                .or_default()
                .hosts
                .insert(t[0].to_string(), seen(path, i[0], i[1])?);
            Ok(())
        };
        let mut q = by_name
            .query(params![text_ip, i64::from(p), limit])
            .map_err(err)?;
        while let Some(row) = q.next().map_err(err)? {
            add(row)?;
        }
        let mut q = first.query(params![text_ip, i64::from(p)]).map_err(err)?;
        while let Some(row) = q.next().map_err(err)? {
            add(row)?;
        }
    }

    // The processes: one pass that keeps, per process and protocol, the host that ran it
    // first (SQLite returns the row of the `min`).
    let mut procs = conn
        .prepare(
            "SELECT process, protocol, host, min(first_seen), last_seen FROM host_processes \
             GROUP BY process, protocol",
        )
        .map_err(err)?;
    let mut q = procs.query([]).map_err(err)?;
    while let Some(row) = q.next().map_err(err)? {
        let r = values(row, 5).map_err(err)?;
        let (t, i) = cols(path, &r, 3)?;
        let key = (t[0].to_string(), protocol(path, t[1])?);
        if keys.processes.contains(&key) {
            h.hosts
                .entry(t[2].to_string())
                .or_default()
                .processes
                .insert(key, seen(path, i[0], i[1])?);
        }
    }

    h.earliest_known = crate::load::extent(conn, path)?.map(|(first, _)| first);
    Ok(h)
}

fn values(row: &rusqlite::Row<'_>, n: usize) -> rusqlite::Result<Vec<Value>> {
    (0..n).map(|i| row.get::<_, Value>(i)).collect()
}
