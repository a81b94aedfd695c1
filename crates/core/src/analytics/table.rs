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
//!
//! Each reader thread has its own table, so on its own each could hold `max_groups` groups: with
//! eight threads, eight times the cap. The threads of one run therefore share a [`GroupCutoff`]:
//! the `max_groups` smallest distinct ranks any of them admitted. Once it is full, its largest
//! rank is an upper bound on the largest rank the run will finally keep (at least `max_groups`
//! groups rank at or below it), so every thread refuses and drops groups above it. Together the
//! threads then hold at most `max_groups` distinct groups (a group read by several threads is
//! held once by each), and what is finally kept is unchanged: no group the run keeps is ever
//! above the bound.

use super::group::{GroupKey, GroupMap, GroupStats};
use crate::bounded::insert_smallest;
use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The smallest group ranks admitted by any reader thread of one run (see the module doc).
#[derive(Debug)]
pub struct GroupCutoff {
    smallest: Mutex<BTreeSet<u64>>,
    /// The largest of `smallest` once it holds the cap; `u64::MAX` before. Only decreases.
    bound: AtomicU64,
}

impl GroupCutoff {
    /// A cutoff for the accumulators of one run, to share between its reader threads.
    pub fn new() -> Arc<GroupCutoff> {
        Arc::new(GroupCutoff {
            smallest: Mutex::new(BTreeSet::new()),
            bound: AtomicU64::new(u64::MAX),
        })
    }

    /// Ranks above this cannot be among the run's kept groups. A thread that reads an older,
    /// larger value only drops less.
    fn bound(&self) -> u64 {
        self.bound.load(Ordering::Relaxed)
    }

    /// Notes a rank some thread admitted.
    fn offer(&self, rank: u64, max: usize) {
        if rank > self.bound() {
            return;
        }
        // A poisoned lock (a thread panicked while holding it) only stops the sharing; each
        // table still holds its own cap.
        let Ok(mut smallest) = self.smallest.lock() else {
            return;
        };
        insert_smallest(&mut *smallest, &rank, max);
        if smallest.len() >= max
            && let Some(&top) = smallest.last()
        {
            self.bound.fetch_min(top, Ordering::Relaxed);
        }
    }
}

/// The groups of one accumulator and their ranks.
#[derive(Debug, Default, Clone)]
pub(super) struct GroupTable {
    map: GroupMap,
    /// Every key of `map` with its rank, in rank order: the largest is the one to drop. Built
    /// only once a group may have to be dropped (the table is full, or the shared cutoff has a
    /// bound), since it holds a second copy of every key; empty until then.
    ranks: BTreeSet<(u64, GroupKey)>,
    /// Whether `ranks` is built (and from then on kept in step with `map`).
    ranked: bool,
    /// Shared with the other reader threads of the run, when there are any.
    cutoff: Option<Arc<GroupCutoff>>,
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
        self.map.get_mut(key).map(|s| &mut **s)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (&GroupKey, &GroupStats)> {
        self.map.iter().map(|(k, s)| (k, &**s))
    }

    /// The groups' statistics, to trim them (not their keys: the ranks stay right).
    pub(super) fn stats_mut(&mut self) -> &mut GroupMap {
        &mut self.map
    }

    /// The groups, for rating (the ranks are of no further use).
    pub(super) fn into_map(self) -> GroupMap {
        self.map
    }

    /// Builds the ranks of the groups held, the first time a group may have to be dropped.
    fn rank_all(&mut self) {
        if !self.ranked {
            self.ranks = self.map.keys().map(|k| (rank(k), k.clone())).collect();
            self.ranked = true;
        }
    }

    /// Whether [`admit`](Self::admit) would refuse a group with this key (not in the table)
    /// before changing anything: its rank is above the shared bound, or the table is full of
    /// smaller ranks none of which the bound drops. A refused group's connections are its
    /// record's alone, so the caller need not build the group to learn that (past the limit,
    /// most records of a hostile input are refused).
    pub(super) fn refuses(&mut self, key: &GroupKey, max: usize) -> bool {
        let r = rank(key);
        let bound = self.cutoff.as_deref().map_or(u64::MAX, GroupCutoff::bound);
        if r > bound {
            return true;
        }
        if self.map.len() < max.max(1) {
            return false;
        }
        self.rank_all();
        match self.ranks.last() {
            // Groups above the bound would be dropped first, making room: let `admit` decide.
            Some((top, _)) if *top > bound => false,
            Some((top, top_key)) => (r, key) > (*top, top_key),
            None => false,
        }
    }

    /// Adds a group that is not in the table. When the table holds `max` groups, the one of
    /// largest rank among them and the new one is dropped.
    pub(super) fn admit(&mut self, key: GroupKey, stats: Box<GroupStats>, max: usize) -> Admission {
        let entry = (rank(&key), key);
        let mut evicted = 0;
        let shared_bound = self.cutoff.as_deref().map(|c| {
            c.offer(entry.0, max.max(1));
            c.bound()
        });
        if let Some(bound) = shared_bound {
            if entry.0 > bound {
                return Admission {
                    kept: false,
                    evicted: 0,
                    refused: stats.connections,
                };
            }
            evicted += self.drop_above(bound);
        }
        if self.map.len() >= max.max(1) {
            self.rank_all();
            let smaller = self.ranks.last().is_some_and(|top| entry < *top);
            if !smaller {
                return Admission {
                    kept: false,
                    evicted,
                    refused: stats.connections,
                };
            }
            if let Some((_, top)) = self.ranks.pop_last()
                && let Some(gone) = self.map.remove(&top)
            {
                evicted += gone.connections;
            }
        }
        if self.ranked {
            self.map.insert(entry.1.clone(), stats);
            self.ranks.insert(entry);
        } else {
            self.map.insert(entry.1, stats);
        }
        Admission {
            kept: true,
            evicted,
            refused: 0,
        }
    }

    /// Drops the groups ranked above `bound`; returns their connections.
    fn drop_above(&mut self, bound: u64) -> u64 {
        if bound == u64::MAX {
            // No rank is above it: nothing to drop, and no need to rank the groups.
            return 0;
        }
        self.rank_all();
        let mut connections = 0;
        while self.ranks.last().is_some_and(|(r, _)| *r > bound) {
            if let Some((_, key)) = self.ranks.pop_last()
                && let Some(gone) = self.map.remove(&key)
            {
                connections += gone.connections;
            }
        }
        connections
    }

    /// A table that shares `cutoff` with the other tables of the run.
    pub(super) fn sharing(cutoff: &Arc<GroupCutoff>) -> GroupTable {
        GroupTable {
            cutoff: Some(Arc::clone(cutoff)),
            ..GroupTable::default()
        }
    }

    /// Folds another table's groups into this one, keeping at most `max` (those of smallest
    /// rank), whatever the order of merges. Returns the connections of the groups dropped.
    pub(super) fn merge(&mut self, other: GroupTable, max: usize, max_users: usize) -> u64 {
        let mut dropped = 0;
        if self.map.is_empty() {
            // The first part merged into an empty table (the only one, with one reader): its
            // groups are taken as they are, so the table is never held twice while they move.
            // Admitting them one by one would keep the same groups: those at or below the
            // shared bound, and of them the `max` of smallest rank.
            self.map = other.map;
            self.ranks = other.ranks;
            self.ranked = other.ranked;
            if let Some(bound) = self.cutoff.as_deref().map(GroupCutoff::bound) {
                dropped += self.drop_above(bound);
            }
            if self.map.len() > max.max(1) {
                self.rank_all();
            }
            while self.map.len() > max.max(1) {
                let Some((_, top)) = self.ranks.pop_last() else {
                    break;
                };
                if let Some(gone) = self.map.remove(&top) {
                    dropped += gone.connections;
                }
            }
            return dropped;
        }
        for (k, v) in other.map {
            match self.map.get_mut(&k) {
                Some(g) => g.merge(*v, max_users),
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
        let a = t.admit(k, Box::new(s), max);
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
    fn tables_sharing_a_cutoff_hold_the_cap_together_and_keep_the_same_groups() {
        let max = 50;
        let mut whole = GroupTable::default();
        let mut counters = EventCounters::default();
        for i in 0..4000 {
            counters.counted += 3;
            add(&mut whole, key(i), stats(3), max, &mut counters);
        }
        // Four reader threads, records dealt round-robin, with and without a shared cutoff.
        let held_by = |shared: bool| {
            let cutoff = GroupCutoff::new();
            let mut parts: Vec<(GroupTable, EventCounters)> = (0..4)
                .map(|_| {
                    let t = if shared {
                        GroupTable::sharing(&cutoff)
                    } else {
                        GroupTable::default()
                    };
                    (t, EventCounters::default())
                })
                .collect();
            for i in 0..4000u32 {
                let (t, c) = &mut parts[i as usize % 4];
                c.counted += 3;
                add(t, key(i), stats(3), max, c);
            }
            let held: usize = parts.iter().map(|(t, _)| t.len()).sum();
            let mut total = GroupTable::sharing(&cutoff);
            let mut c = EventCounters::default();
            for (t, part) in parts {
                c.add(&part);
                merge(&mut total, t, max, &mut c);
            }
            (held, kept(&total), c)
        };
        let (held_alone, kept_alone, _) = held_by(false);
        let (held_shared, kept_shared, c) = held_by(true);
        assert_eq!(held_alone, 4 * max, "alone, each thread holds the cap");
        assert!(
            held_shared <= max + max / 2,
            "together they hold about the cap: {held_shared}"
        );
        assert_eq!(kept_shared, kept(&whole));
        assert_eq!(kept_alone, kept(&whole));
        assert_eq!(c.counted, counters.counted);
        assert_eq!(c.group_table_full, counters.group_table_full);
    }

    #[test]
    fn a_group_refused_up_front_is_one_admit_would_refuse_unchanged() {
        let max = 20;
        let cutoff = GroupCutoff::new();
        let mut other = GroupTable::sharing(&cutoff);
        let mut table = GroupTable::sharing(&cutoff);
        let mut refusals = 0;
        for i in 0..600 {
            // Another reader thread's groups move the shared bound meanwhile.
            let _ = other.admit(key(10_000 + i), Box::new(stats(1)), max);
            let k = key(i);
            let refused = table.clone().refuses(&k, max);
            let before = kept(&table);
            let a = table.admit(k, Box::new(stats(1)), max);
            if refused {
                refusals += 1;
                assert!(!a.kept && a.evicted == 0, "{i}: {a:?}");
                assert_eq!(kept(&table), before, "{i}");
            }
        }
        assert!(
            refusals > 400,
            "the limit must bind for this to prove anything: {refusals}"
        );
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
