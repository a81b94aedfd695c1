//! Detects one host's records arriving on two partitions of one topic. Per-host state is only
//! whole when every record of a host reaches the member that owns its partition; zeek-kafka
//! sends records without a key (spread over partitions), so an upstream stage must key them by
//! `id.orig_h`. A member sees only its own partitions, so it catches a split between two of
//! them; findings carry their partition too (`pubsub-hunt-source` header) so a split across
//! members shows downstream as one id from two sources in one window.

use std::collections::HashMap;
use std::sync::Arc;

/// Hosts reported one by one on standard error before the rest are only counted.
pub const REPORT_FIRST: u64 = 10;

/// The partition each host was first seen on, per topic.
#[derive(Debug, Default)]
pub struct HostPartitions {
    seen: HashMap<(Arc<str>, String), i32>,
    /// Most hosts remembered (new hosts past it are not checked).
    limit: usize,
    /// Hosts seen on a second partition.
    pub split: u64,
    /// Hosts not checked because the table was full.
    pub unchecked: u64,
}

/// A host met on a second partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub topic: Arc<str>,
    pub host: String,
    pub first: i32,
    pub now: i32,
}

impl HostPartitions {
    pub fn new(limit: usize) -> HostPartitions {
        HostPartitions {
            limit,
            ..HostPartitions::default()
        }
    }

    /// Notes `host` on `topic`/`partition`; returns the split the first time the host shows up
    /// on another partition than before (then it is remembered on the new one, so a host that
    /// keeps alternating is reported once per move, not per record).
    pub fn note(&mut self, topic: &Arc<str>, partition: i32, host: &str) -> Option<Split> {
        if let Some(p) = self.seen.get_mut(&(topic.clone(), host.to_string())) {
            if *p == partition {
                return None;
            }
            let first = *p;
            *p = partition;
            self.split += 1;
            return Some(Split {
                topic: topic.clone(),
                host: host.to_string(),
                first,
                now: partition,
            });
        }
        if self.seen.len() >= self.limit {
            self.unchecked += 1;
            return None;
        }
        self.seen
            .insert((topic.clone(), host.to_string()), partition);
        None
    }

    /// Forgets the hosts of a partition this member no longer owns: they now belong to another
    /// member, and seeing them here again after a later assignment is no split.
    pub fn forget(&mut self, topic: &str, partition: i32) {
        self.seen
            .retain(|(t, _), p| !(&**t == topic && *p == partition));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_on_two_partitions_is_reported_once_per_move() {
        let t: Arc<str> = Arc::from("zeek");
        let other: Arc<str> = Arc::from("ssl");
        let mut h = HostPartitions::new(100);
        assert_eq!(h.note(&t, 0, "10.0.0.5"), None);
        assert_eq!(h.note(&t, 0, "10.0.0.5"), None);
        assert_eq!(h.note(&t, 1, "10.0.0.6"), None);
        // The same host on another topic's partition is no split: topics are keyed apart.
        assert_eq!(h.note(&other, 3, "10.0.0.5"), None);
        let s = h.note(&t, 2, "10.0.0.5").unwrap();
        assert_eq!((s.first, s.now, s.host.as_str()), (0, 2, "10.0.0.5"));
        assert_eq!(h.note(&t, 2, "10.0.0.5"), None);
        assert_eq!(h.split, 1);
    }

    #[test]
    fn forgetting_a_revoked_partition_and_the_bound() {
        let t: Arc<str> = Arc::from("zeek");
        let mut h = HostPartitions::new(2);
        h.note(&t, 0, "a");
        h.note(&t, 1, "b");
        assert_eq!(h.note(&t, 1, "c"), None);
        assert_eq!(h.unchecked, 1);
        h.forget("zeek", 0);
        // `a` moved with partition 0 to another member and came back on partition 1: no split.
        assert_eq!(h.note(&t, 1, "a"), None);
        assert_eq!(h.split, 0);
    }
}
