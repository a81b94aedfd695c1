//! Reading the store: the whole history as the core's plain data, and row counts. A row whose
//! values cannot be what this program wrote (an address that does not parse, an unknown
//! protocol) makes the store corrupt rather than being skipped, so history is never silently
//! half-loaded.

use crate::{Counts, StateError};
use pubsub_hunt_core::Protocol;
use pubsub_hunt_core::Suspicion;
use pubsub_hunt_core::prior::{ChannelHistory, History, LastAlert, Seen};
use rusqlite::Connection;
use std::net::IpAddr;
use std::path::Path;

pub(crate) fn ip(path: &Path, s: &str) -> Result<IpAddr, StateError> {
    s.parse()
        .map_err(|_| StateError::corrupt(path, format!("{s:?} is not an address")))
}

pub(crate) fn port(path: &Path, p: i64) -> Result<u16, StateError> {
    u16::try_from(p).map_err(|_| StateError::corrupt(path, format!("{p} is not a port")))
}

pub(crate) fn protocol(path: &Path, s: &str) -> Result<Protocol, StateError> {
    s.parse()
        .map_err(|_| StateError::corrupt(path, format!("{s:?} is not a protocol")))
}

pub(crate) fn seen(path: &Path, first: i64, last: i64) -> Result<Seen, StateError> {
    if first > last {
        return Err(StateError::corrupt(
            path,
            "a first seen after its last seen",
        ));
    }
    Ok(Seen { first, last })
}

/// Runs `sql` and hands each row's columns, read as `T`, to `f`.
pub(crate) fn each<T: rusqlite::types::FromSql>(
    conn: &Connection,
    path: &Path,
    sql: &str,
    columns: usize,
    mut f: impl FnMut(Vec<T>) -> Result<(), StateError>,
) -> Result<(), StateError> {
    let err = |e| StateError::from_sqlite(path, e);
    let mut stmt = conn.prepare(sql).map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        let vals = (0..columns)
            .map(|i| row.get::<_, T>(i))
            .collect::<Result<Vec<T>, _>>()
            .map_err(err)?;
        f(vals)?;
    }
    Ok(())
}

use rusqlite::types::Value;

pub(crate) fn text(v: &Value) -> Option<&str> {
    match v {
        Value::Text(s) => Some(s),
        _ => None,
    }
}

pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Integer(i) => Some(*i),
        _ => None,
    }
}

/// Reads a row of `[text.., int..]` as the types expected, or calls the store corrupt.
pub(crate) fn cols<'a>(
    path: &Path,
    row: &'a [Value],
    texts: usize,
) -> Result<(Vec<&'a str>, Vec<i64>), StateError> {
    let bad = || StateError::corrupt(path, "a value of the wrong type");
    let t = row[..texts]
        .iter()
        .map(text)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    let i = row[texts..]
        .iter()
        .map(int)
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    Ok((t, i))
}

/// The columns of a `channels` row as [`channel_row`] reads them.
pub(crate) const CHANNEL_COLUMNS: usize = 7;

/// A `channels` row (id, host, first and last seen, the last alert's time, score and
/// suspicion) as the channel's id and history, its days still empty.
pub(crate) fn channel_row(
    path: &Path,
    r: &[Value],
) -> Result<(String, ChannelHistory), StateError> {
    let (t, i) = cols(path, &r[..4], 2)?;
    let last_alert = match (int(&r[4]), int(&r[5]), text(&r[6])) {
        (Some(at), Some(score), Some(s)) => Some(LastAlert {
            at,
            score: u8::try_from(score)
                .map_err(|_| StateError::corrupt(path, "a score over 255"))?,
            suspicion: s
                .parse::<Suspicion>()
                .map_err(|e| StateError::corrupt(path, e))?,
        }),
        _ => None,
    };
    let c = ChannelHistory {
        host: t[1].to_string(),
        seen: seen(path, i[0], i[1])?,
        days: Default::default(),
        last_alert,
    };
    Ok((t[0].to_string(), c))
}

pub(crate) fn load(conn: &Connection, path: &Path) -> Result<History, StateError> {
    let mut h = History::default();
    each::<Value>(
        conn,
        path,
        "SELECT id, host, first_seen, last_seen, last_alert_at, last_alert_score, \
         last_alert_suspicion FROM channels",
        CHANNEL_COLUMNS,
        |r| {
            let (id, c) = channel_row(path, &r)?;
            h.channels.insert(id, c);
            Ok(())
        },
    )?;
    each::<Value>(conn, path, "SELECT id, day FROM channel_days", 2, |r| {
        let (t, i) = cols(path, &r, 1)?;
        // Days of a channel retention removed are not history.
        if let Some(c) = h.channels.get_mut(t[0]) {
            c.days.insert(i[0]);
        }
        Ok(())
    })?;
    each::<Value>(
        conn,
        path,
        "SELECT host, dst_ip, dst_port, first_seen, last_seen FROM host_brokers",
        5,
        |r| {
            let (t, i) = cols(path, &r, 2)?;
            let k = (ip(path, t[1])?, port(path, i[0])?);
            let s = seen(path, i[1], i[2])?;
            h.hosts
                .entry(t[0].to_string())
                .or_default()
                .brokers
                .insert(k, s);
            Ok(())
        },
    )?;
    each::<Value>(
        conn,
        path,
        "SELECT host, protocol, first_seen, last_seen FROM host_protocols",
        4,
        |r| {
            let (t, i) = cols(path, &r, 2)?;
            let p = protocol(path, t[1])?;
            let s = seen(path, i[0], i[1])?;
            h.hosts
                .entry(t[0].to_string())
                .or_default()
                .protocols
                .insert(p, s);
            Ok(())
        },
    )?;
    each::<Value>(
        conn,
        path,
        "SELECT host, process, protocol, first_seen, last_seen FROM host_processes",
        5,
        |r| {
            let (t, i) = cols(path, &r, 3)?;
            let k = (t[1].to_string(), protocol(path, t[2])?);
            let s = seen(path, i[0], i[1])?;
            h.hosts
                .entry(t[0].to_string())
                .or_default()
                .processes
                .insert(k, s);
            Ok(())
        },
    )?;
    each::<Value>(
        conn,
        path,
        "SELECT dst_ip, host, dst_port, first_seen, last_seen FROM destination_hosts",
        5,
        |r| {
            let (t, i) = cols(path, &r, 2)?;
            let k = (ip(path, t[0])?, port(path, i[0])?);
            let s = seen(path, i[1], i[2])?;
            h.destinations
                .entry(k)
                .or_default()
                .hosts
                .insert(t[1].to_string(), s);
            Ok(())
        },
    )?;
    Ok(h)
}

/// The earliest and the newest instant the store knows, as [`History::earliest`] and
/// [`History::latest`] of the whole history would say, without loading it.
pub(crate) fn extent(conn: &Connection, path: &Path) -> Result<Option<(i64, i64)>, StateError> {
    let one = |sql: &str| -> Result<Option<i64>, StateError> {
        conn.query_row(sql, [], |r| r.get::<_, Value>(0))
            .map(|v| int(&v))
            .map_err(|e| StateError::from_sqlite(path, e))
    };
    let earliest = [
        one("SELECT min(first_seen) FROM channels")?,
        one("SELECT min(first_seen) FROM host_protocols")?,
    ]
    .into_iter()
    .flatten()
    .min();
    let latest = one("SELECT max(last_seen) FROM channels")?;
    Ok(earliest.zip(latest))
}

pub(crate) fn counts(conn: &Connection, path: &Path) -> Result<Counts, StateError> {
    let n = |sql: &str| -> Result<u64, StateError> {
        conn.query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|v| v.max(0) as u64)
            .map_err(|e| StateError::from_sqlite(path, e))
    };
    Ok(Counts {
        channels: n("SELECT count(*) FROM channels")?,
        channel_days: n("SELECT count(*) FROM channel_days")?,
        hosts: n("SELECT count(DISTINCT host) FROM host_protocols")?,
        host_brokers: n("SELECT count(*) FROM host_brokers")?,
        host_processes: n("SELECT count(*) FROM host_processes")?,
        destinations: n(
            "SELECT count(*) FROM (SELECT DISTINCT dst_ip, dst_port FROM destination_hosts)",
        )?,
        destination_hosts: n("SELECT count(*) FROM destination_hosts")?,
        runs: n("SELECT count(*) FROM runs")?,
    })
}
