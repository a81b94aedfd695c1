//! One connection, counted once: when several inputs recorded the same connection (a capture
//! and the Zeek `conn.log` of the same traffic, a log given twice), the group keeps one of its
//! records; and when a source that knows the process (Sysmon, Defender) and a network source
//! (Zeek, a capture) recorded the same connections, their two groups become one, carrying the
//! process with the bytes, names and content.
//!
//! Two records are the same connection when they have the same client port to the same
//! destination (the group already fixes the destination and the analytic) and start within
//! [`SAME_CONNECTION_TOLERANCE`] of each other. Only the connections a group keeps
//! ([`super::MAX_STARTS_PER_GROUP`], the earliest) can be compared, so beyond that bound a
//! channel's later duplicates are still counted twice; the alert says how many were merged.

use super::group::{ConnStart, GroupKey, GroupMap, GroupStats, SAME_CONNECTION_TOLERANCE};
use crate::protocol::Protocol;
use crate::verdict::AnalyticId;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Removes second records of the same connection from a group: fixes the connection count, the
/// byte sums and the window counts, and returns how many records were dropped.
pub(super) fn dedup_connections(stats: &mut GroupStats, window_len: Option<i64>) -> u64 {
    let mut starts = std::mem::take(&mut stats.conn_starts);
    starts.sort_unstable_by_key(|c| (c.src_port, c.ts, !c.has_bytes, c.bytes_out, c.bytes_in));
    let mut kept: Vec<ConnStart> = Vec::with_capacity(starts.len());
    let mut dropped = 0u64;
    for c in starts {
        let same = c.src_port.is_some()
            && kept.last().is_some_and(|k| {
                k.src_port == c.src_port && c.ts - k.ts <= SAME_CONNECTION_TOLERANCE
            });
        if !same {
            kept.push(c);
            continue;
        }
        dropped += 1;
        if let Some(k) = kept.last_mut() {
            // The first record of the run is kept (sorted so one with bytes comes first); the
            // bytes of a second record that had bytes too were summed twice.
            if c.has_bytes && k.has_bytes {
                stats.bytes_out = stats.bytes_out.map(|b| b.saturating_sub(c.bytes_out));
                stats.bytes_in = stats.bytes_in.map(|b| b.saturating_sub(c.bytes_in));
            }
        }
        if let Some(len) = window_len
            && let Some(n) = stats.windows.get_mut(&c.ts.div_euclid(len))
        {
            *n = n.saturating_sub(1);
        }
    }
    stats.windows.retain(|_, n| *n > 0);
    stats.connections = stats.connections.saturating_sub(dropped);
    kept.sort_unstable();
    stats.conn_starts = kept;
    dropped
}

/// How many of `net`'s connections `proc_` also recorded.
fn matching(net: &[ConnStart], proc_: &[ConnStart]) -> usize {
    let mut by_port: BTreeMap<u16, Vec<i64>> = BTreeMap::new();
    for c in proc_ {
        if let Some(p) = c.src_port {
            by_port.entry(p).or_default().push(c.ts);
        }
    }
    for v in by_port.values_mut() {
        v.sort_unstable();
    }
    net.iter()
        .filter(|c| {
            c.src_port.and_then(|p| by_port.get(&p)).is_some_and(|ts| {
                let i = ts.partition_point(|&t| t < c.ts - SAME_CONNECTION_TOLERANCE);
                ts.get(i)
                    .is_some_and(|&t| t <= c.ts + SAME_CONNECTION_TOLERANCE)
            })
        })
        .count()
}

/// Where two groups may describe the same connections.
type Meeting = (AnalyticId, IpAddr, u16, Protocol, IpAddr);

/// Folds each group without a process into the group with a process that recorded most of the
/// same connections (at least half of those it can compare), and returns how many groups were
/// folded. The result depends only on the groups, not on the order they were built in.
pub(super) fn join_process_records(groups: &mut GroupMap, max_users: usize) -> usize {
    let mut with_process: BTreeMap<Meeting, Vec<GroupKey>> = BTreeMap::new();
    for (k, s) in groups.iter() {
        if k.process.is_some()
            && let Some(src) = s.src_ip
        {
            with_process
                .entry((k.analytic, k.dst_ip, k.dst_port, k.protocol, src))
                .or_default()
                .push(k.clone());
        }
    }
    if with_process.is_empty() {
        return 0;
    }
    let mut folds: Vec<(GroupKey, GroupKey)> = Vec::new();
    for (k, s) in groups.iter() {
        let Some(src) = s.src_ip.filter(|_| k.process.is_none()) else {
            continue;
        };
        let Some(candidates) =
            with_process.get(&(k.analytic, k.dst_ip, k.dst_port, k.protocol, src))
        else {
            continue;
        };
        let comparable = s
            .conn_starts
            .iter()
            .filter(|c| c.src_port.is_some())
            .count();
        let best = candidates
            .iter()
            .filter_map(|c| {
                groups
                    .get(c)
                    .map(|g| (matching(&s.conn_starts, &g.conn_starts), c))
            })
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)));
        if let Some((n, into)) = best
            && n > 0
            && 2 * n >= comparable
        {
            folds.push((k.clone(), into.clone()));
        }
    }
    folds.sort();
    let count = folds.len();
    for (from, into) in folds {
        if let Some(net) = groups.remove(&from)
            && let Some(g) = groups.get_mut(&into)
        {
            g.merge(*net, max_users);
            g.joined_network_groups += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(ts: i64, port: u16, bytes: Option<u64>) -> ConnStart {
        ConnStart {
            ts,
            bytes_out: bytes.unwrap_or(0),
            bytes_in: bytes.unwrap_or(0),
            src_port: Some(port),
            has_bytes: bytes.is_some(),
        }
    }

    #[test]
    fn a_connection_recorded_twice_counts_once() {
        let mut s = GroupStats {
            connections: 5,
            bytes_out: Some(300),
            bytes_in: Some(300),
            conn_starts: vec![
                start(0, 40000, Some(100)),
                start(1_000_000, 40000, Some(100)), // the same connection, 1 s later
                start(0, 40001, None),              // another client port: another connection
                start(60_000_000, 40000, Some(100)), // port reused a minute later: another one
                start(2_000_000, 40000, None),      // a third record of the first connection
            ],
            ..GroupStats::default()
        };
        assert_eq!(dedup_connections(&mut s, None), 2);
        assert_eq!(s.connections, 3);
        assert_eq!(s.bytes_out, Some(200));
        assert_eq!(s.conn_starts.len(), 3);
    }

    #[test]
    fn records_without_a_client_port_are_never_merged() {
        let mut a = start(0, 1, Some(1));
        a.src_port = None;
        let mut s = GroupStats {
            connections: 2,
            conn_starts: vec![a, a],
            ..GroupStats::default()
        };
        assert_eq!(dedup_connections(&mut s, None), 0);
        assert_eq!(s.connections, 2);
    }

    #[test]
    fn matching_uses_port_and_tolerance() {
        let net = vec![start(10_000_000, 5, None), start(0, 6, None)];
        let proc_ = vec![start(13_000_000, 5, None), start(0, 7, None)];
        assert_eq!(matching(&net, &proc_), 1);
        let late = vec![start(16_000_000, 5, None)];
        assert_eq!(matching(&net, &late), 0);
    }
}
