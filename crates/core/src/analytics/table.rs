//! The bounded group table: which groups are kept when there are more than `limits.max_groups`.
//!
//! Each group has a rank, a fixed hash of its key, and the table keeps the groups of smallest
//! rank. That choice does not depend on the order records arrive in, nor on how the inputs are
//! split between reader threads: a group among the `max_groups` smallest ranks of the whole run
//! is among the smallest of every part of it, so no thread ever drops it and its statistics are
//! complete, and merging keeps exactly those. Keeping the first groups to arrive instead (the
//! obvious way) made the alerts of a run at the cap depend on the thread count.
//!
//! A group dropped after it was counted gives its connections back: the table returns them, and
//! the caller moves them from "counted" to "over the group limit", so the two add up to what was
//! read.

use super::group::{GroupKey, GroupMap, GroupStats};
use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};

/// The groups of one accumulator and their ranks.
#[derive(Debug, Default, Clone)]
pub(super) struct GroupTable {
    map: GroupMap,
    /// Every key of `map` with its rank, in rank order: the largest is the one to drop.
    ranks: BTreeSet<(u64, GroupKey)>,
}

/// A key's rank: the same on every machine and in every run of one build.
fn rank(key: &GroupKey) -> u64 {
    // `DefaultHasher::new()` has fixed keys (unlike the map's random state).
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl GroupTable {
    pub(super) fn len(&self) -> usize {
        self.map.len()
    }

    pub(super) fn get_mut(&mut self, key: &GroupKey) -> Option<&mut GroupStats> {
        self.map.get_mut(key)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&GroupKey, &GroupStats)> {
        self.map.iter()
    }

    /// The groups' statistics, to trim them (not their keys: the ranks stay right).
    pub(super) fn stats_mut(&mut self) -> &mut GroupMap {
        &mut self.map
    }

    /// The groups, for rating (the ranks are of no further use).
    pub(super) fn into_map(self) -> GroupMap {
        self.map
    }

    /// Adds a group that is not in the table. When the table holds `max` groups, the one of
    /// largest rank among them and the new one is dropped.
    pub(super) fn admit(&mut self, key: GroupKey, stats: GroupStats, max: usize) -> Admission {
        let entry = (rank(&key), key);
        let mut evicted = 0;
        if self.map.len() >= max.max(1) {
            let smaller = self.ranks.last().is_some_and(|top| entry < *top);
            if !smaller {
                return Admission {
                    kept: false,
                    evicted: 0,
                    refused: stats.connections,
                };
            }
            if let Some((_, top)) = self.ranks.pop_last()
                && let Some(gone) = self.map.remove(&top)
            {
                evicted = gone.connections;
            }
        }
        self.map.insert(entry.1.clone(), stats);
        self.ranks.insert(entry);
        Admission {
            kept: true,
            evicted,
            refused: 0,
        }
    }

    /// Folds another table's groups into this one, keeping at most `max` (those of smallest
    /// rank), whatever the order of merges. Returns the connections of the groups dropped.
    pub(super) fn merge(&mut self, other: GroupTable, max: usize, max_users: usize) -> u64 {
        let mut dropped = 0;
        for (k, v) in other.map {
            match self.map.get_mut(&k) {
                Some(g) => g.merge(v, max_users),
                None => {
                    let a = self.admit(k, v, max);
                    dropped += a.evicted + a.refused;
                }
            }
        }
        dropped
    }
}

/// What [`GroupTable::admit`] did: whether the new group was kept, and the connections of the
/// group dropped in its place (`evicted`) or of the new group when it was not kept (`refused`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Admission {
    pub kept: bool,
    pub evicted: u64,
    pub refused: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::EventCounters;
    use crate::protocol::Protocol;
    use crate::verdict::AnalyticId;

    fn key(i: u32) -> GroupKey {
        GroupKey {
            analytic: AnalyticId::PubsubPort,
            host: format!("10.0.{}.{}", i / 256, i % 256),
            process: None,
            dst_ip: "198.51.100.7".parse().unwrap(),
            dst_port: 1883,
            protocol: Protocol::Mqtt,
        }
    }

    fn stats(connections: u64) -> GroupStats {
        GroupStats {
            connections,
            ..GroupStats::default()
        }
    }

    /// Admits as the engine does for a record already counted as grouped.
    fn add(t: &mut GroupTable, k: GroupKey, s: GroupStats, max: usize, c: &mut EventCounters) {
        let a = t.admit(k, s, max);
        let dropped = a.evicted + a.refused;
        c.counted -= dropped;
        c.group_table_full += dropped;
    }

    fn merge(t: &mut GroupTable, o: GroupTable, max: usize, c: &mut EventCounters) {
        let dropped = t.merge(o, max, 4);
        c.counted -= dropped;
        c.group_table_full += dropped;
    }

    fn kept(t: &GroupTable) -> BTreeSet<GroupKey> {
        t.iter().map(|(k, _)| k.clone()).collect()
    }

    #[test]
    fn the_kept_groups_do_not_depend_on_order_or_on_how_the_input_is_split() {
        let max = 50;
        let mut counters = EventCounters::default();
        let mut whole = GroupTable::default();
        for i in 0..400 {
            counters.counted += 3;
            add(&mut whole, key(i), stats(3), max, &mut counters);
        }
        assert_eq!(whole.len(), max);
        assert_eq!(counters.counted + counters.group_table_full, 1200);
        assert_eq!(counters.counted, 150);

        // Backwards, and split in three parts merged in another order.
        let mut reversed = GroupTable::default();
        let mut c2 = EventCounters::default();
        for i in (0..400).rev() {
            c2.counted += 3;
            add(&mut reversed, key(i), stats(3), max, &mut c2);
        }
        assert_eq!(kept(&reversed), kept(&whole));
        assert_eq!(c2.counted, counters.counted);
        let mut parts: Vec<(GroupTable, EventCounters)> = Vec::new();
        for part in 0..3u32 {
            let mut t = GroupTable::default();
            let mut c = EventCounters::default();
            for i in (0..400).filter(|i| i % 3 == part) {
                c.counted += 3;
                add(&mut t, key(i), stats(3), max, &mut c);
            }
            parts.push((t, c));
        }
        let (mut merged, mut c3) = parts.pop().unwrap();
        for (t, c) in parts {
            c3.add(&c);
            merge(&mut merged, t, max, &mut c3);
        }
        assert_eq!(kept(&merged), kept(&whole));
        assert_eq!(c3.counted, counters.counted);
        assert_eq!(c3.group_table_full, counters.group_table_full);
    }

    #[test]
    fn a_kept_group_has_every_connection_of_every_part() {
        let max = 10;
        let mut a = GroupTable::default();
        let mut b = GroupTable::default();
        let mut c = EventCounters {
            counted: 300,
            ..EventCounters::default()
        };
        for i in 0..100 {
            add(&mut a, key(i), stats(1), max, &mut c);
            add(&mut b, key(i), stats(2), max, &mut c);
        }
        merge(&mut a, b, max, &mut c);
        assert_eq!(a.len(), max);
        assert!(a.iter().all(|(_, s)| s.connections == 3));
    }
}
