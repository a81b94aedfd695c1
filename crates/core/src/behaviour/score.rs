//! One score per alert: the seed suspicion sets a base, each behaviour [`Signal`] adds its weight,
//! the sum is clamped to 0–100, and the suspicion follows the score — raised when the score reaches
//! a higher band, lowered only when clear benign evidence brought it into a lower one. Every step is
//! written down ([`Combined::steps`]) so a hunter can see exactly why an alert ranks where it does.
//!
//! Also the publication-rate signals: a client's bursts against its own history
//! ([`rate_burst`]) and its sustained rate against the broker's other clients ([`rate_vs_peers`]),
//! both with robust z-scores (median and MAD) so one outlier cannot hide another.

use super::{Signal, Weights};
use crate::signal::SignalId;
use crate::verdict::Suspicion;
use serde::{Deserialize, Serialize};

/// Bases and thresholds of [`combine_with`]. `Default` is the documented tuning.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreConfig {
    /// Starting score of an alert whose seed suspicion is high.
    pub base_high: f64,
    pub base_medium: f64,
    pub base_low: f64,
    /// Score from which the suspicion is high.
    pub high_at: f64,
    /// Score from which the suspicion is at least medium.
    pub medium_at: f64,
    /// Benign evidence must sum to at most this (negative) many points before it lowers a seed
    /// suspicion: a library's default client id (−5) is a hint, not a reason to demote an
    /// external MQTT session; a known-benign destination (−30) is.
    pub lower_at_net: f64,
    /// A default allowlist entry does not suppress an alert whose positive behaviour evidence
    /// the entry does not explain sums to at least this many points (the hunter's own entries
    /// always apply; docs/allowlist.md).
    pub default_allowlist_yields_at: f64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            base_high: 70.0,
            base_medium: 45.0,
            base_low: 20.0,
            high_at: 80.0,
            medium_at: 50.0,
            lower_at_net: -15.0,
            default_allowlist_yields_at: 20.0,
        }
    }
}

/// The combined verdict with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Combined {
    /// 0–100.
    pub score: u8,
    pub suspicion: Suspicion,
    /// One sentence per step: the base, each signal, the clamp, the suspicion rule.
    pub steps: Vec<String>,
}

/// [`combine_with`] with the default configuration, returning only the score and suspicion.
pub fn combine(seed: Suspicion, signals: &[Signal]) -> (u8, Suspicion) {
    let c = combine_with(&ScoreConfig::default(), seed, signals);
    (c.score, c.suspicion)
}

/// Combines the seed suspicion with behaviour signals:
///
/// 1. base = `base_high` / `base_medium` / `base_low` (70 / 45 / 20) by seed suspicion;
/// 2. each signal adds its weight (negative weights lower the score; non-finite ones count 0);
/// 3. the sum is rounded and clamped to 0–100;
/// 4. band = high from `high_at` (80), medium from `medium_at` (50), else low;
/// 5. suspicion = the band when it is above the seed (evidence raised it), the band when it is
///    below the seed **and** the signals sum to at most `lower_at_net` (−15: benign evidence
///    lowered it), otherwise
///    the seed. The bases sit below their own bands' thresholds on purpose, so a seed alert with no
///    behaviour evidence keeps its suspicion but ranks under alerts with evidence.
pub fn combine_with(cfg: &ScoreConfig, seed: Suspicion, signals: &[Signal]) -> Combined {
    let base = match seed {
        Suspicion::High => cfg.base_high,
        Suspicion::Medium => cfg.base_medium,
        Suspicion::Low => cfg.base_low,
    };
    let mut steps = vec![format!("base {base:.0} for seed suspicion {seed}")];
    let mut net = 0.0;
    for s in signals {
        let wgt = if s.weight.is_finite() { s.weight } else { 0.0 };
        net += wgt;
        steps.push(format!("{wgt:+.1} {}: {}", s.id, s.reason));
    }
    let raw = base + net;
    let score = raw.round().clamp(0.0, 100.0);
    if (raw.round() - score).abs() > f64::EPSILON {
        steps.push(format!("sum {raw:.1} clamped to {score:.0}"));
    } else {
        steps.push(format!("score {score:.0}"));
    }
    let band = if score >= cfg.high_at {
        Suspicion::High
    } else if score >= cfg.medium_at {
        Suspicion::Medium
    } else {
        Suspicion::Low
    };
    let suspicion = if band > seed {
        steps.push(format!(
            "suspicion raised from {seed} to {band}: score {score:.0} reaches the {band} threshold {:.0}",
            band_threshold(cfg, band)
        ));
        band
    } else if band < seed && net <= cfg.lower_at_net {
        steps.push(format!(
            "suspicion lowered from {seed} to {band}: benign evidence ({net:+.1}) brought the score \
             under the {seed} threshold {:.0}",
            band_threshold(cfg, seed)
        ));
        band
    } else {
        steps.push(format!("suspicion stays {seed}"));
        seed
    };
    Combined {
        // Clamped to 0..=100 above, so the conversion is exact.
        score: score as u8,
        suspicion,
        steps,
    }
}

fn band_threshold(cfg: &ScoreConfig, s: Suspicion) -> f64 {
    match s {
        Suspicion::High => cfg.high_at,
        Suspicion::Medium => cfg.medium_at,
        Suspicion::Low => 0.0,
    }
}

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

    fn sig(id: &str, weight: f64) -> Signal {
        let id: SignalId = id.parse().unwrap();
        Signal::new(id, weight, format!("test {id}"))
    }

    #[test]
    fn seed_alone_keeps_its_suspicion() {
        assert_eq!(combine(Suspicion::High, &[]), (70, Suspicion::High));
        assert_eq!(combine(Suspicion::Medium, &[]), (45, Suspicion::Medium));
        assert_eq!(combine(Suspicion::Low, &[]), (20, Suspicion::Low));
    }

    #[test]
    fn evidence_raises() {
        assert_eq!(
            combine(Suspicion::Medium, &[sig("process_shell", 25.0)]),
            (70, Suspicion::Medium)
        );
        assert_eq!(
            combine(
                Suspicion::Medium,
                &[sig("process_shell", 25.0), sig("c2_vocabulary", 20.0)]
            ),
            (90, Suspicion::High)
        );
        assert_eq!(
            combine(Suspicion::Low, &[sig("public_broker", 30.0)]),
            (50, Suspicion::Medium)
        );
        assert_eq!(
            combine(
                Suspicion::High,
                &[sig("beacon", 20.0), sig("rate_burst", 30.0)]
            ),
            (100, Suspicion::High)
        );
    }

    #[test]
    fn benign_evidence_lowers() {
        assert_eq!(
            combine(Suspicion::High, &[sig("known_benign_destination", -30.0)]),
            (40, Suspicion::Low)
        );
        // A weak benign hint lowers the score (and the rank) but not the suspicion.
        assert_eq!(
            combine(Suspicion::High, &[sig("library_client_id", -5.0)]),
            (65, Suspicion::High)
        );
        assert_eq!(
            combine(Suspicion::Low, &[sig("new_broker", -50.0)]),
            (0, Suspicion::Low)
        );
        // Mixed evidence: lowered only when the signals net at most -15.
        assert_eq!(
            combine(
                Suspicion::High,
                &[sig("new_broker", -20.0), sig("guid_token", 4.0)]
            ),
            (54, Suspicion::Medium)
        );
        assert_eq!(
            combine(
                Suspicion::High,
                &[sig("new_broker", -10.0), sig("guid_token", 5.0)]
            ),
            (65, Suspicion::High)
        );
        assert_eq!(
            combine(
                Suspicion::High,
                &[sig("new_broker", -10.0), sig("guid_token", 12.0)]
            ),
            (72, Suspicion::High)
        );
    }

    #[test]
    fn steps_explain_everything() {
        let c = combine_with(
            &ScoreConfig::default(),
            Suspicion::Medium,
            &[
                sig("process_shell", 25.0),
                sig("c2_vocabulary", 40.0),
                sig("hex_token", f64::NAN),
            ],
        );
        assert_eq!(c.score, 100);
        assert_eq!(c.steps[0], "base 45 for seed suspicion medium");
        assert_eq!(c.steps[1], "+25.0 process_shell: test process_shell");
        assert_eq!(c.steps[3], "+0.0 hex_token: test hex_token");
        assert_eq!(c.steps[4], "sum 110.0 clamped to 100");
        assert!(
            c.steps[5].starts_with("suspicion raised from medium to high"),
            "{}",
            c.steps[5]
        );
    }

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
        fn combine_is_bounded(seed in 0u8..3, weights in proptest::collection::vec(any::<f64>(), 0..20)) {
            let seed = [Suspicion::Low, Suspicion::Medium, Suspicion::High][usize::from(seed)];
            let signals: Vec<Signal> = weights.iter().map(|&x| sig("new_broker", x)).collect();
            let c = combine_with(&ScoreConfig::default(), seed, &signals);
            prop_assert!(c.score <= 100);
            prop_assert_eq!(c.steps.len(), signals.len() + 3);
        }

        #[test]
        fn rates_never_panic(counts in proptest::collection::vec(any::<u64>(), 0..200), rate in any::<f64>(),
                             peers in proptest::collection::vec(any::<f64>(), 0..50)) {
            let w = Weights::default();
            let _ = rate_burst(&counts, &w);
            let _ = rate_vs_peers(rate, &peers, &w);
        }
    }
}
