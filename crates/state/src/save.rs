//! Writing the store: a run's facts merged in (first seen `min`, last seen `max`, days and hosts
//! as set union, the later last alert), retention, and the run log — all in one immediate
//! transaction, so a failure anywhere leaves the store as it was and a concurrent run waits
//! instead of interleaving.

use crate::StateError;
use pubsub_hunt_core::prior::{DAY_MICROS, History, LastAlert, day_of, later_alert};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use std::path::Path;

pub(crate) fn record(
    conn: &mut Connection,
    path: &Path,
    facts: &History,
    retention_days: u32,
) -> Result<(), StateError> {
    let err = |e| StateError::from_sqlite(path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    merge(&tx, facts).map_err(err)?;
    if retention_days > 0 {
        retain(&tx, retention_days).map_err(err)?;
    }
    let first = facts.channels.values().map(|c| c.seen.first).min();
    let last = facts.channels.values().map(|c| c.seen.last).max();
    tx.execute(
        "INSERT INTO runs (saved_at, data_first, data_last, channels) VALUES (?1, ?2, ?3, ?4)",
        params![
            jiff::Timestamp::now().to_string(),
            first,
            last,
            facts.channels.len() as i64
        ],
    )
    .map_err(err)?;
    tx.commit().map_err(err)
}

fn merge(tx: &Transaction<'_>, facts: &History) -> rusqlite::Result<()> {
    let mut channel = tx.prepare(
        "INSERT INTO channels (id, host, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (id) DO UPDATE SET
             first_seen = min(first_seen, excluded.first_seen),
             last_seen = max(last_seen, excluded.last_seen)",
    )?;
    let mut day = tx.prepare("INSERT OR IGNORE INTO channel_days (id, day) VALUES (?1, ?2)")?;
    let mut alert_of = tx.prepare(
        "SELECT last_alert_at, last_alert_score, last_alert_suspicion FROM channels WHERE id = ?1",
    )?;
    let mut set_alert = tx.prepare(
        "UPDATE channels SET last_alert_at = ?2, last_alert_score = ?3, \
         last_alert_suspicion = ?4 WHERE id = ?1",
    )?;
    for (id, c) in &facts.channels {
        channel.execute(params![id, c.host, c.seen.first, c.seen.last])?;
        for d in &c.days {
            day.execute(params![id, d])?;
        }
        if let Some(new) = c.last_alert {
            let old: Option<LastAlert> = alert_of
                .query_row([id], |r| {
                    let at: Option<i64> = r.get(0)?;
                    let score: Option<i64> = r.get(1)?;
                    let s: Option<String> = r.get(2)?;
                    Ok(match (at, score, s.and_then(|s| s.parse().ok())) {
                        (Some(at), Some(score), Some(suspicion)) => Some(LastAlert {
                            at,
                            score: u8::try_from(score).unwrap_or(u8::MAX),
                            suspicion,
                        }),
                        _ => None,
                    })
                })
                .optional()?
                .flatten();
            if let Some(a) = later_alert(old, Some(new))
                && Some(a) != old
            {
                set_alert.execute(params![id, a.at, a.score, a.suspicion.as_str()])?;
            }
        }
    }
    let seen_sql = "ON CONFLICT DO UPDATE SET first_seen = min(first_seen, excluded.first_seen), \
                    last_seen = max(last_seen, excluded.last_seen)";
    let mut broker = tx.prepare(&format!(
        "INSERT INTO host_brokers (host, dst_ip, dst_port, first_seen, last_seen) \
         VALUES (?1, ?2, ?3, ?4, ?5) {seen_sql}"
    ))?;
    let mut protocol = tx.prepare(&format!(
        "INSERT INTO host_protocols (host, protocol, first_seen, last_seen) \
         VALUES (?1, ?2, ?3, ?4) {seen_sql}"
    ))?;
    let mut process = tx.prepare(&format!(
        "INSERT INTO host_processes (host, process, protocol, first_seen, last_seen) \
         VALUES (?1, ?2, ?3, ?4, ?5) {seen_sql}"
    ))?;
    for (host, h) in &facts.hosts {
        for ((ip, port), s) in &h.brokers {
            broker.execute(params![host, ip.to_string(), port, s.first, s.last])?;
        }
        for (p, s) in &h.protocols {
            protocol.execute(params![host, p.as_str(), s.first, s.last])?;
        }
        for ((name, p), s) in &h.processes {
            process.execute(params![host, name, p.as_str(), s.first, s.last])?;
        }
    }
    let mut dest = tx.prepare(&format!(
        "INSERT INTO destination_hosts (dst_ip, dst_port, host, first_seen, last_seen) \
         VALUES (?1, ?2, ?3, ?4, ?5) {seen_sql}"
    ))?;
    for ((ip, port), d) in &facts.destinations {
        for (host, s) in &d.hosts {
            dest.execute(params![ip.to_string(), port, host, s.first, s.last])?;
        }
    }
    Ok(())
}

/// Forgets what was last seen more than `days` days before the newest day in the store, and
/// moves first-seen times that are older up to the cut, so what remains describes only the
/// kept days ("active N of M days" counts the kept days).
fn retain(tx: &Transaction<'_>, days: u32) -> rusqlite::Result<()> {
    let newest: Option<i64> =
        tx.query_row("SELECT max(last_seen) FROM channels", [], |r| r.get(0))?;
    let Some(newest) = newest else { return Ok(()) };
    let cut_day = day_of(newest) - i64::from(days) + 1;
    let cut = cut_day.saturating_mul(DAY_MICROS);
    tx.execute("DELETE FROM channel_days WHERE day < ?1", [cut_day])?;
    tx.execute(
        "UPDATE channels SET last_alert_at = NULL, last_alert_score = NULL, \
         last_alert_suspicion = NULL WHERE last_alert_at < ?1",
        [cut],
    )?;
    for table in [
        "channels",
        "host_brokers",
        "host_protocols",
        "host_processes",
        "destination_hosts",
    ] {
        tx.execute(&format!("DELETE FROM {table} WHERE last_seen < ?1"), [cut])?;
        tx.execute(
            &format!("UPDATE {table} SET first_seen = ?1 WHERE first_seen < ?1"),
            [cut],
        )?;
    }
    tx.execute(
        "DELETE FROM channel_days WHERE id NOT IN (SELECT id FROM channels)",
        [],
    )?;
    Ok(())
}

pub(crate) fn reset(conn: &mut Connection, path: &Path) -> Result<(), StateError> {
    let err = |e| StateError::from_sqlite(path, e);
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    tx.execute_batch(
        "DELETE FROM channels; DELETE FROM channel_days; DELETE FROM host_brokers;
         DELETE FROM host_protocols; DELETE FROM host_processes; DELETE FROM destination_hosts;
         DELETE FROM runs;",
    )
    .map_err(err)?;
    tx.commit().map_err(err)
}
