//! The alerts a rating keeps: at most `limits.max_alerts`, the first in report order.
//!
//! Every alert carries its sentences, flows and samples (about as much heap as its group), and
//! the report is sorted, so without a bound a run whose groups all alert would hold every alert
//! at once. The kept alerts are a heap whose top is the last of them in report order: an alert
//! that ranks before it replaces it, one that does not is left out. Report order is total (it
//! ends with the group's key), so which alerts are kept depends only on the alerts, not on the
//! order they were rated in, the order of the inputs or the thread count.

use crate::alert::Alert;
use std::cmp::Ordering;
use std::collections::BinaryHeap;

/// An alert ordered by report order, so the heap's greatest is the last one reported.
struct Ranked(Alert);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        Alert::report_order(&self.0, &other.0)
    }
}

/// At most `limit` alerts, the first in report order of all those offered.
pub(super) struct KeptAlerts {
    heap: BinaryHeap<Ranked>,
    limit: usize,
}

impl KeptAlerts {
    /// Keeps at most `limit` alerts (at least one).
    pub(super) fn new(limit: usize) -> Self {
        KeptAlerts {
            heap: BinaryHeap::new(),
            limit: limit.max(1),
        }
    }

    /// Offers an alert. Returns the alert left out when the kept ones were already at the
    /// limit: the offered one, or the kept one it ranks before.
    pub(super) fn offer(&mut self, alert: Alert) -> Option<Alert> {
        if self.heap.len() < self.limit {
            self.heap.push(Ranked(alert));
            return None;
        }
        let Some(mut last) = self.heap.peek_mut() else {
            return Some(alert);
        };
        if Alert::report_order(&alert, &last.0) == Ordering::Less {
            // Replacing the top through `PeekMut` sifts the new alert down when it is dropped.
            Some(std::mem::replace(&mut last.0, alert))
        } else {
            Some(alert)
        }
    }

    /// The kept alerts in report order.
    pub(super) fn into_report_order(self) -> Vec<Alert> {
        // Sorted in place, ascending by report order: the first reported first.
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|r| r.0)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::Suspicion;
    use proptest::prelude::*;

    /// An alert that differs from the others by host, score and connection count.
    fn alert_with(i: usize, score: u8, connections: u64) -> Alert {
        Alert {
            id: format!("{i:016x}"),
            suspicion: if score >= 50 {
                Suspicion::Medium
            } else {
                Suspicion::Low
            },
            score,
            host: format!("h{i}"),
            connections,
            ..Alert::for_tests()
        }
    }

    proptest! {
        /// Whatever the order alerts are offered in, the kept ones are the first `limit` of
        /// them all in report order, and every other one is handed back exactly once.
        #[test]
        fn keeps_the_first_in_report_order_whatever_the_order_offered(
            scores in proptest::collection::vec((0u8..100, 1u64..5), 0..60),
            limit in 1usize..20,
            seed in any::<u64>(),
        ) {
            let alerts: Vec<Alert> = scores
                .iter()
                .enumerate()
                .map(|(i, (score, conns))| alert_with(i, *score, *conns))
                .collect();
            let mut expected = alerts.clone();
            expected.sort_by(Alert::report_order);
            let left_expected = expected.split_off(limit.min(expected.len()));

            let mut offered = alerts;
            shuffle(&mut offered, seed);
            let mut kept = KeptAlerts::new(limit);
            let mut left = Vec::new();
            for a in offered {
                left.extend(kept.offer(a));
            }
            left.sort_by(Alert::report_order);
            prop_assert_eq!(kept.into_report_order(), expected);
            prop_assert_eq!(left, left_expected);
        }
    }

    /// A fixed permutation from a seed (a small xorshift; proptest gives the seed).
    fn shuffle<T>(v: &mut [T], mut seed: u64) {
        for i in (1..v.len()).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            v.swap(i, (seed % (i as u64 + 1)) as usize);
        }
    }
}
