//! Per-group work of the rating on the run's threads. Each group is judged by a pure function of
//! its own statistics, so the groups are mapped in parallel (rayon's work stealing: one group
//! with ten thousand connections next to thousands of small ones still keeps every core busy)
//! and the results come back in the input's order: what the rating decides does not depend on
//! the thread count.

use rayon::prelude::*;

/// `f` over every item, on at most `threads` threads, results in the order of `items`. One
/// thread, one item, or a pool the system refuses: the same map on the calling thread (the
/// results are the same either way, only slower).
pub(super) fn map_in_order<T, R, F>(items: &[T], threads: usize, f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync + Send,
{
    if threads > 1
        && items.len() > 1
        && let Ok(pool) = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("pubsub-hunt-rate-{i}"))
            .build()
    {
        return pool.install(|| items.par_iter().map(&f).collect());
    }
    items.iter().map(f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_input_order_whatever_the_thread_count() {
        let items: Vec<u64> = (0..10_000).collect();
        // Uneven work, so threads finish out of order.
        let work = |&i: &u64| (0..(i % 97) * 10).fold(i, |a, b| a.wrapping_mul(31).wrapping_add(b));
        let serial: Vec<u64> = items.iter().map(work).collect();
        for threads in [1, 2, 3, 8] {
            assert_eq!(
                map_in_order(&items, threads, work),
                serial,
                "{threads} threads"
            );
        }
        assert!(map_in_order(&[] as &[u64], 4, work).is_empty());
    }
}
