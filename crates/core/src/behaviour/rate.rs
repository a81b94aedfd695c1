//! Publication-rate signals (`pubsub-rate`): a client's bursts against its own history
//! ([`rate_burst`]) and its sustained rate against the broker's other clients ([`rate_vs_peers`]),
//! both with robust z-scores (median and MAD) so one outlier cannot hide another.

use super::{Signal, Weights};
use crate::signal::SignalId;

/// Fewest intervals [`rate_burst`] judges, and fewest peers [`rate_vs_peers`] compares with.
pub const MIN_RATE_INTERVALS: usize = 6;
pub const MIN_PEERS: usize = 5;
/// At most this many of the most recent intervals are used.
pub const MAX_RATE_INTERVALS: usize = 100_000;
/// Robust z-score from which a value is an outlier (Iglewicz and Hoaglin's 3.5).
pub const OUTLIER_Z: f64 = 3.5;
/// Consecutive burst intervals that make a burst "sustained" (weight × 1.5).
pub const SUSTAINED_INTERVALS: usize = 3;

fn median_sorted(v: &[f64]) -> f64 {
    super::beacon::median_of(v)
}

/// Median and MAD·1.4826 (a standard deviation for normal data) of a list.
fn robust_center(values: &[f64]) -> (f64, f64) {
    let mut v = values.to_vec();
    v.sort_unstable_by(f64::total_cmp);
    let m = median_sorted(&v);
    let mut d: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    d.sort_unstable_by(f64::total_cmp);
    (m, 1.4826 * median_sorted(&d))
}

/// `rate_burst` when a client's publications per interval (oldest first, fixed-length intervals)
/// contain intervals far above its own usual rate: robust z ≥ 3.5 against the median, with the
/// spread floored at √median (counting noise) and at 1, and at least twice the median. The weight
/// is multiplied by 1.5 when the burst lasts three intervals or more.
pub fn rate_burst(counts: &[u64], w: &Weights) -> Option<Signal> {
    let counts = counts
        .len()
        .checked_sub(MAX_RATE_INTERVALS)
        .and_then(|skip| counts.get(skip..))
        .unwrap_or(counts);
    if counts.len() < MIN_RATE_INTERVALS {
        return None;
    }
    let values: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let (median, mad) = robust_center(&values);
    let scale = mad.max(median.sqrt()).max(1.0);
    let (mut run, mut longest, mut bursts) = (0usize, 0usize, 0usize);
    let mut peak = 0.0f64;
    for &x in &values {
        let z = (x - median) / scale;
        if z >= OUTLIER_Z && x >= 2.0 * median.max(1.0) {
            bursts += 1;
            run += 1;
            longest = longest.max(run);
            peak = peak.max(x);
        } else {
            run = 0;
        }
    }
    if bursts == 0 {
        return None;
    }
    let sustained = longest >= SUSTAINED_INTERVALS;
    let weight = if sustained {
        w.rate_burst * 1.5
    } else {
        w.rate_burst
    };
    Some(Signal::new(
        SignalId::RateBurst,
        weight,
        format!(
            "{bursts} of {} intervals far above the client's usual rate (median {median:.0}, peak \
             {peak:.0}, robust z ≥ {OUTLIER_Z}); longest burst {longest} consecutive intervals{}",
            values.len(),
            if sustained {
                " (sustained: weight × 1.5)"
            } else {
                ""
            }
        ),
    ))
}

/// `rate_above_peers` when a client's publication rate is far above the other clients of the same
/// broker: robust z ≥ 3.5 against the peers' median (spread floored at a tenth of the median) and
/// at least three times that median. Needs five peers.
pub fn rate_vs_peers(client_rate: f64, peer_rates: &[f64], w: &Weights) -> Option<Signal> {
    let peers: Vec<f64> = peer_rates
        .iter()
        .copied()
        .filter(|r| r.is_finite() && *r >= 0.0)
        .take(MAX_RATE_INTERVALS)
        .collect();
    if peers.len() < MIN_PEERS || !client_rate.is_finite() {
        return None;
    }
    let (median, mad) = robust_center(&peers);
    let scale = mad.max(0.1 * median);
    if scale <= 0.0 {
        // Every peer is silent: any steady publishing stands out, but there is no scale to judge it.
        return None;
    }
    let z = (client_rate - median) / scale;
    (z >= OUTLIER_Z && client_rate >= 3.0 * median).then(|| {
        Signal::new(
            SignalId::RateAbovePeers,
            w.rate_above_peers,
            format!(
                "publishes {client_rate:.2} per interval against a median of {median:.2} among {} \
                 other clients of the broker (robust z {z:.1})",
                peers.len()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bursts() {
        let w = Weights::default();
        let steady = [10, 12, 9, 11, 10, 13, 10, 11, 9, 10];
        assert!(rate_burst(&steady, &w).is_none());
        let one = [10, 12, 9, 11, 60, 13, 10, 11, 9, 10];
        let s = rate_burst(&one, &w).unwrap();
        assert_eq!(s.weight, w.rate_burst);
        assert!(s.reason.contains("peak 60"), "{}", s.reason);
        let sustained = [10, 12, 9, 11, 60, 70, 65, 10, 11, 9, 10, 12];
        let s = rate_burst(&sustained, &w).unwrap();
        assert_eq!(s.weight, w.rate_burst * 1.5);
        assert!(s.reason.contains("longest burst 3"));
        // Quiet client: a few messages are not a burst, a flood is.
        assert!(rate_burst(&[0, 0, 1, 0, 0, 0, 2, 0], &w).is_none());
        assert!(rate_burst(&[0, 0, 1, 0, 0, 0, 40, 0], &w).is_some());
        assert!(rate_burst(&[1, 100, 1], &w).is_none(), "too few intervals");
    }

    #[test]
    fn peers() {
        let w = Weights::default();
        let peers = [1.0, 1.2, 0.9, 1.1, 1.0, 0.8];
        let s = rate_vs_peers(10.0, &peers, &w).unwrap();
        assert!(s.reason.contains("median of 1.00 among 6"), "{}", s.reason);
        assert!(rate_vs_peers(1.5, &peers, &w).is_none());
        assert!(rate_vs_peers(10.0, &peers[..4], &w).is_none());
        assert!(rate_vs_peers(10.0, &[0.0; 8], &w).is_none());
        assert!(rate_vs_peers(f64::NAN, &peers, &w).is_none());
    }

    proptest! {
        #[test]
        fn rates_never_panic(counts in proptest::collection::vec(any::<u64>(), 0..200), rate in any::<f64>(),
                             peers in proptest::collection::vec(any::<f64>(), 0..50)) {
            let w = Weights::default();
            let _ = rate_burst(&counts, &w);
            let _ = rate_vs_peers(rate, &peers, &w);
        }
    }
}
