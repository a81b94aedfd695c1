//! Beacon scoring: how regular a series of event times is (connection starts per destination, or
//! PUBLISH / stanza times per topic inside one long session), with RITA's statistics as the base
//! and a jitter-tolerant test on top.
//!
//! Components (see docs/beacon-and-scoring.md):
//!
//! * **timing** — RITA v5's timestamp score, reproduced exactly: the mean of a Bowley-skew score
//!   and a MAD/median score over the sorted non-zero gaps, with `montanaflynn/stats` quartiles (the
//!   middle element of an odd list is left out of both halves), the unscaled MAD, and skew forced
//!   to 0 when the IQR is under 10 s or the median equals a quartile;
//! * **tolerance** — the share of gaps within ±30 % (configurable) of the median, rescaled so that
//!   Poisson (random) arrivals score 0 and a perfect beacon 1. Bowley + MAD punish additive jitter
//!   of 30 % and more; this test keeps such beacons high while random traffic stays low;
//! * **size** (when sizes are given) — the larger of RITA's data-size score and the share of sizes
//!   equal to the most common size (an implant's check-in is often the same length every time);
//! * **coverage** (when the analysis window is given) — the share of the window between the first
//!   and last event (RITA's duration coverage).
//!
//! The score is the weighted mean of the components that are available, multiplied by a
//! small-sample factor and, when the client announced a keepalive, by the share of gaps that do
//! **not** match it: MQTT PINGREQ, AMQP/STOMP heart-beats and XMPP pings are periodic by design and
//! are not beacon evidence. Times are microseconds, so sub-second beacons are measured (RITA's
//! whole seconds cannot, rita-legacy #117).

use super::{Signal, Weights};
use crate::signal::SignalId;
use crate::time::Micros;
use serde::{Deserialize, Serialize};

const MICROS_PER_SEC: f64 = 1_000_000.0;

/// Tuning of the beacon scorer. `Default` keeps RITA's constants so results stay comparable.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct BeaconConfig {
    /// Fewer non-zero gaps than this: no score (RITA needs 4 unique timestamps).
    pub min_intervals: usize,
    /// At most this many of the most recent timestamps (and sizes) are scored.
    pub max_samples: usize,
    /// Relative half-width of the tolerance test around the median gap (0.3 = ±30 %).
    pub tolerance: f64,
    /// Relative half-width for matching a gap to the announced keepalive (0.1 = ±10 %).
    pub keepalive_tolerance: f64,
    /// RITA computes Bowley skew only when the gaps' IQR reaches this many seconds.
    pub min_iqr_secs: f64,
    /// Same for sizes, in bytes.
    pub min_iqr_bytes: f64,
    /// From this many gaps on, the small-sample factor is 1.
    pub confident_intervals: usize,
    /// Component weights of the weighted mean (only available components count).
    pub weight_timing: f64,
    pub weight_tolerance: f64,
    pub weight_size: f64,
    pub weight_coverage: f64,
    /// A series scoring at least this much becomes a `beacon` signal.
    pub signal_threshold: f64,
}

impl Default for BeaconConfig {
    fn default() -> Self {
        BeaconConfig {
            min_intervals: 4,
            max_samples: 100_000,
            tolerance: 0.3,
            keepalive_tolerance: 0.1,
            min_iqr_secs: 10.0,
            min_iqr_bytes: 10.0,
            confident_intervals: 10,
            weight_timing: 0.3,
            weight_tolerance: 0.4,
            weight_size: 0.15,
            weight_coverage: 0.15,
            signal_threshold: 0.7,
        }
    }
}

/// What is known about the series besides its times.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BeaconContext {
    /// Start and end of the analysis window, for the coverage component.
    pub window: Option<(Micros, Micros)>,
    /// The keepalive the client announced (MQTT CONNECT keep alive, negotiated heart-beat), in
    /// seconds. 0 means "no keepalive" (MQTT) and is ignored.
    pub keepalive_secs: Option<u32>,
}

/// RITA's statistical score of one sorted list, with its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dispersion {
    pub q1: f64,
    pub median: f64,
    pub q3: f64,
    /// Bowley skew (0 when RITA's conditions for computing it are not met).
    pub skew: f64,
    pub skew_score: f64,
    /// Median absolute deviation (not scaled by 1.4826, as in RITA).
    pub mad: f64,
    pub mad_score: f64,
    /// `round3((skew_score + mad_score) / 2)`.
    pub score: f64,
}

/// Size component.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SizeComponent {
    /// RITA's data-size score (MAD default 0 below a 1-byte median).
    pub rita: Dispersion,
    /// The most common size (the smallest of equally common ones).
    pub mode_bytes: u64,
    /// Share of sizes equal to `mode_bytes`.
    pub mode_share: f64,
    /// `max(rita.score, mode_share)`.
    pub score: f64,
}

/// Every number that went into a [`BeaconScore`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeaconComponents {
    /// Non-zero gaps scored.
    pub intervals: usize,
    /// RITA timestamp score over the gaps, in seconds.
    pub timing: Dispersion,
    /// Share of gaps within ±tolerance of the median.
    pub within_tolerance: f64,
    /// That share rescaled: random (exponential) gaps → 0, all gaps inside → 1.
    pub tolerance_score: f64,
    pub size: Option<SizeComponent>,
    /// Share of the window between the first and last event.
    pub coverage: Option<f64>,
    /// Factor below 1 for short series (chance regularity).
    pub sample_factor: f64,
    /// Share of gaps matching the announced keepalive, when one was given.
    pub keepalive_share: Option<f64>,
}

/// How much a series of events looks like a beacon.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeaconScore {
    /// 0 (random or keepalive) to 1 (perfectly regular).
    pub score: f64,
    /// Median gap in seconds.
    pub interval_secs: f64,
    /// Spread of the central 90 % of gaps (5th to 95th percentile) relative to the median: about
    /// 0.3 for a beacon with 30 % jitter, 0 for a perfect one.
    pub jitter: f64,
    pub components: BeaconComponents,
    /// Sentences explaining each component, in the order they were computed.
    pub reasons: Vec<String>,
}

impl BeaconScore {
    /// The `beacon` signal when the score reaches `cfg.signal_threshold`; its weight is
    /// `weights.beacon` times the score.
    pub fn signal(&self, weights: &Weights, cfg: &BeaconConfig) -> Option<Signal> {
        if self.score < cfg.signal_threshold {
            return None;
        }
        Some(Signal::new(
            SignalId::Beacon,
            weights.beacon * self.score,
            format!(
                "regular timing: beacon score {:.2} over {} intervals of about {} (jitter {:.0}%): {}",
                self.score,
                self.components.intervals,
                human_secs(self.interval_secs),
                self.jitter * 100.0,
                self.reasons.join("; ")
            ),
        ))
    }
}

/// P(X ≥ k) for X ~ Binomial(n, p): how often random arrivals put at least `k` of `n` intervals
/// within the tolerance. Exact for the short series it is used on (the terms are summed directly).
fn binomial_tail(n: usize, k: usize, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || !(0.0..=1.0).contains(&p) {
        return 0.0;
    }
    let ln_choose = |n: usize, k: usize| -> f64 {
        (1..=k)
            .map(|i| ((n - k + i) as f64).ln() - (i as f64).ln())
            .sum()
    };
    (k..=n)
        .map(|j| (ln_choose(n, j) + j as f64 * p.ln() + (n - j) as f64 * (1.0 - p).ln()).exp())
        .sum::<f64>()
        .clamp(0.0, 1.0)
}

/// Scores a series of event times (any order; sorted here) and, optionally, the payload or
/// connection sizes that go with it (any order). `None` when fewer than `cfg.min_intervals`
/// non-zero gaps remain.
pub fn score_beacon(
    timestamps: &[Micros],
    sizes: Option<&[u64]>,
    ctx: &BeaconContext,
    cfg: &BeaconConfig,
) -> Option<BeaconScore> {
    let mut ts: Vec<Micros> = timestamps.to_vec();
    ts.sort_unstable();
    let mut reasons = Vec::new();
    let cap = cfg.max_samples.max(2);
    if ts.len() > cap {
        reasons.push(format!(
            "only the last {cap} of {} events were scored",
            ts.len()
        ));
        ts.drain(..ts.len() - cap);
    }
    // Gaps in seconds; zero gaps (same-microsecond events) are dropped as in RITA.
    let mut gaps: Vec<f64> = ts
        .windows(2)
        .filter_map(|w| match w {
            [a, b] if b > a => Some(((*b as i128 - *a as i128) as f64) / MICROS_PER_SEC),
            _ => None,
        })
        .collect();
    if gaps.len() < cfg.min_intervals.max(2) {
        return None;
    }
    gaps.sort_unstable_by(f64::total_cmp);
    let n = gaps.len();

    let timing = dispersion(&gaps, cfg.min_iqr_secs, 1.0);
    let median = timing.median;
    let jitter = if median > 0.0 {
        (percentile(&gaps, 0.95) - percentile(&gaps, 0.05)) / median
    } else {
        0.0
    };
    reasons.push(format!(
        "{n} intervals, median {}, jitter {:.0}% (5th to 95th percentile relative to the median)",
        human_secs(median),
        jitter * 100.0
    ));
    reasons.push(format!(
        "timing regularity {:.3} (RITA: Bowley skew {:.2}, MAD {} = {:.0}% of the median)",
        timing.score,
        timing.skew,
        human_secs(timing.mad),
        if median > 0.0 {
            timing.mad / median * 100.0
        } else {
            0.0
        }
    ));

    let tol = cfg.tolerance.clamp(0.01, 0.99);
    let lo = median * (1.0 - tol);
    let hi = median * (1.0 + tol);
    let inside = gaps.iter().filter(|&&g| g >= lo && g <= hi).count();
    let within_tolerance = inside as f64 / n as f64;
    // Share of exponential gaps within ±tol of their median m: P(X ≤ x·m) = 1 − 2^(−x).
    let random_share = 2f64.powf(-(1.0 - tol)) - 2f64.powf(-(1.0 + tol));
    let tolerance_score =
        ((within_tolerance - random_share) / (1.0 - random_share)).clamp(0.0, 1.0);
    reasons.push(format!(
        "{:.0}% of intervals within ±{:.0}% of the median (random arrivals give about {:.0}%)",
        within_tolerance * 100.0,
        tol * 100.0,
        random_share * 100.0
    ));

    let size = sizes.and_then(|s| size_component(s, cfg));
    if let Some(sc) = &size {
        reasons.push(format!(
            "sizes: {:.0}% are {} bytes, RITA size score {:.3}",
            sc.mode_share * 100.0,
            sc.mode_bytes,
            sc.rita.score
        ));
    }

    let coverage = match (ctx.window, ts.first(), ts.last()) {
        (Some((start, end)), Some(first), Some(last)) if end > start => {
            let span = (*last as i128 - *first as i128) as f64;
            let window = (end as i128 - start as i128) as f64;
            let c = (span / window).clamp(0.0, 1.0);
            reasons.push(format!("events span {:.0}% of the window", c * 100.0));
            Some(c)
        }
        _ => None,
    };

    let mut weighted =
        cfg.weight_timing.max(0.0) * timing.score + cfg.weight_tolerance.max(0.0) * tolerance_score;
    let mut total = cfg.weight_timing.max(0.0) + cfg.weight_tolerance.max(0.0);
    if let Some(sc) = &size {
        weighted += cfg.weight_size.max(0.0) * sc.score;
        total += cfg.weight_size.max(0.0);
    }
    if let Some(c) = coverage {
        weighted += cfg.weight_coverage.max(0.0) * c;
        total += cfg.weight_coverage.max(0.0);
    }
    let mut score = if total > 0.0 { weighted / total } else { 0.0 };

    // Short series are regular by chance more often: from 0.6 + 0.4·n/confident up to 1, unless
    // the share near the median is itself unlikely by chance (a slow beacon of hours gives few
    // intervals, but four of four within ±30% happens to random arrivals 0.2% of the time).
    // The chance is only needed while the count alone leaves the factor below 1: from
    // `confident` intervals on, the factor is 1 whatever the chance, so long series (hundreds of
    // thousands of connections) cost no logarithms here: the tail is a sum over n − k + 1 terms
    // of k logarithms each, quadratic in n.
    let confident = cfg.confident_intervals.max(1);
    let by_count = (0.6 + 0.4 * n as f64 / confident as f64).min(1.0);
    let chance = if by_count < 1.0 {
        binomial_tail(n, inside, random_share)
    } else {
        0.0
    };
    let sample_factor = by_count.max(1.0 - chance);
    if sample_factor < 1.0 {
        reasons.push(format!(
            "only {n} intervals (fewer than {confident}): score scaled by {sample_factor:.2} \
             ({:.1}% chance that random arrivals put as many near the median)",
            chance * 100.0
        ));
    }
    score *= sample_factor;

    let keepalive_share = match ctx.keepalive_secs {
        Some(k) if k > 0 => {
            let k = f64::from(k);
            let ktol = cfg.keepalive_tolerance.clamp(0.0, 0.99);
            let matching = gaps
                .iter()
                .filter(|&&g| g >= k * (1.0 - ktol) && g <= k * (1.0 + ktol))
                .count();
            let share = matching as f64 / n as f64;
            if matching > 0 {
                reasons.push(format!(
                    "{:.0}% of intervals match the announced keepalive of {} (±{:.0}%): \
                     keepalives (MQTT PINGREQ, XMPP pings, heart-beats) are periodic by design, \
                     so they are not counted as beaconing (score scaled by {:.2})",
                    share * 100.0,
                    human_secs(k),
                    ktol * 100.0,
                    1.0 - share
                ));
            }
            score *= 1.0 - share;
            Some(share)
        }
        _ => None,
    };

    Some(BeaconScore {
        score: if score.is_finite() {
            score.clamp(0.0, 1.0)
        } else {
            0.0
        },
        interval_secs: median,
        jitter,
        components: BeaconComponents {
            intervals: n,
            timing,
            within_tolerance,
            tolerance_score,
            size,
            coverage,
            sample_factor,
            keepalive_share,
        },
        reasons,
    })
}

fn size_component(sizes: &[u64], cfg: &BeaconConfig) -> Option<SizeComponent> {
    let mut s: Vec<u64> = sizes.to_vec();
    s.sort_unstable();
    let cap = cfg.max_samples.max(2);
    if s.len() > cap {
        // Sizes carry no time here, so the cap keeps an arbitrary but deterministic subset.
        s.truncate(cap);
    }
    if s.len() < 3 {
        return None; // RITA needs 3 sizes.
    }
    let values: Vec<f64> = s.iter().map(|&v| v as f64).collect();
    let rita = dispersion(&values, cfg.min_iqr_bytes, 0.0);
    let (mut mode_bytes, mut mode_count) = (0u64, 0usize);
    let mut i = 0;
    while let Some(&v) = s.get(i) {
        let run = s
            .get(i..)
            .map_or(0, |rest| rest.iter().take_while(|&&x| x == v).count());
        if run > mode_count {
            mode_count = run;
            mode_bytes = v;
        }
        i += run.max(1);
    }
    let mode_share = mode_count as f64 / s.len() as f64;
    Some(SizeComponent {
        rita,
        mode_bytes,
        mode_share,
        score: rita.score.max(mode_share),
    })
}

/// RITA's score of a sorted list: `round3((1 − |Bowley skew| + MAD score) / 2)`. `mad_default` is
/// the MAD score when the median is below 1 (1 for timestamps, 0 for sizes in RITA); this port
/// keeps sub-second medians measurable for timestamps by using the ratio whenever the median is
/// positive and `mad_default` is 1.
pub fn dispersion(sorted: &[f64], min_iqr: f64, mad_default: f64) -> Dispersion {
    let (q1, median, q3) = quartiles(sorted);
    let iqr = q3 - q1;
    let skew = if iqr >= min_iqr && median != q1 && median != q3 && iqr > 0.0 {
        (q1 + q3 - 2.0 * median) / iqr
    } else {
        0.0
    };
    let skew_score = 1.0 - skew.abs();
    let mut deviations: Vec<f64> = sorted.iter().map(|v| (v - median).abs()).collect();
    deviations.sort_unstable_by(f64::total_cmp);
    let mad = median_of(&deviations);
    let use_ratio = median >= 1.0 || (mad_default >= 1.0 && median > 0.0);
    let mad_score = if use_ratio {
        let r = (median - mad) / median;
        if r.is_finite() && r > 0.0 { r } else { 0.0 }
    } else {
        mad_default
    };
    Dispersion {
        q1,
        median,
        q3,
        skew,
        skew_score,
        mad,
        mad_score,
        score: round3((skew_score + mad_score) / 2.0),
    }
}

/// Quartiles by the `montanaflynn/stats` convention: Q1 and Q3 are the medians of the lower and
/// upper halves, leaving the middle element of an odd-length list out of both.
pub fn quartiles(sorted: &[f64]) -> (f64, f64, f64) {
    let n = sorted.len();
    let (lower_end, upper_start) = if n.is_multiple_of(2) {
        (n / 2, n / 2)
    } else {
        (n / 2, n / 2 + 1)
    };
    let lower = sorted.get(..lower_end).unwrap_or(&[]);
    let upper = sorted.get(upper_start..).unwrap_or(&[]);
    (median_of(lower), median_of(sorted), median_of(upper))
}

/// Median of a sorted list (mean of the middle two for an even length; 0 when empty).
pub fn median_of(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    let mid = n / 2;
    if n % 2 == 1 {
        sorted.get(mid).copied().unwrap_or(0.0)
    } else {
        match (sorted.get(mid - 1), sorted.get(mid)) {
            (Some(a), Some(b)) => (a + b) / 2.0,
            _ => 0.0,
        }
    }
}

/// Nearest-rank percentile of a sorted, non-empty list (`p` in 0..=1).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    let idx = rank.saturating_sub(1).min(sorted.len() - 1);
    sorted.get(idx).copied().unwrap_or(0.0)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A duration for a sentence: seconds below two minutes, then minutes, then hours.
pub fn human_secs(secs: f64) -> String {
    if secs < 120.0 {
        format!("{secs:.1} s")
    } else if secs < 7200.0 {
        format!("{:.1} min", secs / 60.0)
    } else {
        format!("{:.1} h", secs / 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SEC: Micros = 1_000_000;

    fn series_from_gaps(start: Micros, gaps_secs: &[f64]) -> Vec<Micros> {
        let mut t = start;
        let mut out = vec![t];
        for g in gaps_secs {
            t += (g * MICROS_PER_SEC) as Micros;
            out.push(t);
        }
        out
    }

    fn rita_ts(gaps: &[f64]) -> Dispersion {
        let mut g = gaps.to_vec();
        g.sort_unstable_by(f64::total_cmp);
        dispersion(&g, 10.0, 1.0)
    }

    // RITA v5 test vectors (docs/beacon-and-scoring.md, timing).
    #[test]
    fn rita_vector_constant_gaps() {
        let d = rita_ts(&[1.0; 9]);
        assert_eq!((d.skew, d.mad, d.score), (0.0, 0.0, 1.0));
        assert_eq!(rita_ts(&[60.0; 9]).score, 1.0);
    }

    #[test]
    fn rita_vector_near_constant() {
        let d = rita_ts(&[98.0, 99.0, 99.0, 100.0, 100.0, 100.0, 101.0, 101.0, 102.0]);
        assert_eq!((d.q1, d.median, d.q3), (99.0, 100.0, 101.0));
        assert_eq!(d.skew, 0.0);
        assert_eq!(d.mad, 1.0);
        assert!((d.mad_score - 0.99).abs() < 1e-12);
        assert_eq!(d.score, 0.995);
    }

    #[test]
    fn rita_vector_alternating() {
        let gaps: Vec<f64> = (0..10)
            .map(|i| if i % 2 == 0 { 98.0 } else { 300.0 })
            .collect();
        let d = rita_ts(&gaps);
        assert_eq!((d.q1, d.median, d.q3), (98.0, 199.0, 300.0));
        assert_eq!(d.skew, 0.0);
        assert_eq!(d.mad, 101.0);
        assert_eq!(d.score, 0.746);
    }

    #[test]
    fn quartiles_leave_out_the_middle_of_odd_lists() {
        assert_eq!(quartiles(&[1.0, 2.0, 3.0, 4.0, 5.0]), (1.5, 3.0, 4.5));
        assert_eq!(quartiles(&[1.0, 2.0, 3.0, 4.0]), (1.5, 2.5, 3.5));
    }

    #[test]
    fn bowley_skew_when_iqr_is_wide() {
        // Q1 = 10, Q2 = 20, Q3 = 60 → skew (10 + 60 − 40) / 50 = 0.6.
        let d = rita_ts(&[10.0, 10.0, 20.0, 60.0, 60.0]);
        assert_eq!((d.q1, d.median, d.q3), (10.0, 20.0, 60.0));
        assert!((d.skew - 0.6).abs() < 1e-12);
    }

    #[test]
    fn perfect_minute_beacon_scores_one() {
        let ts: Vec<Micros> = (0..30)
            .map(|i| 1_700_000_000 * SEC + i * 60 * SEC)
            .collect();
        let b = score_beacon(
            &ts,
            None,
            &BeaconContext::default(),
            &BeaconConfig::default(),
        )
        .unwrap();
        assert_eq!(b.score, 1.0);
        assert_eq!(b.interval_secs, 60.0);
        assert_eq!(b.jitter, 0.0);
        assert_eq!(b.components.intervals, 29);
        assert_eq!(b.components.within_tolerance, 1.0);
        let s = b
            .signal(&Weights::default(), &BeaconConfig::default())
            .unwrap();
        assert_eq!(s.id.as_str(), "beacon");
        assert_eq!(s.weight, Weights::default().beacon);
        assert!(s.reason.contains("60.0 s"), "{}", s.reason);
    }

    #[test]
    fn too_few_intervals_give_none() {
        let ts: Vec<Micros> = (0..4).map(|i| i * 60 * SEC).collect(); // 3 intervals
        assert!(
            score_beacon(
                &ts,
                None,
                &BeaconContext::default(),
                &BeaconConfig::default()
            )
            .is_none()
        );
        // Duplicated timestamps are zero gaps and do not count.
        let ts = [0, 0, 0, 60 * SEC, 60 * SEC, 120 * SEC, 180 * SEC];
        assert!(
            score_beacon(
                &ts,
                None,
                &BeaconContext::default(),
                &BeaconConfig::default()
            )
            .is_none()
        );
        let ts: Vec<Micros> = (0..5).map(|i| i * 60 * SEC).collect(); // 4 intervals
        let b = score_beacon(
            &ts,
            None,
            &BeaconContext::default(),
            &BeaconConfig::default(),
        )
        .unwrap();
        // A perfect short series: by count alone 0.6 + 0.4 · 4/10 = 0.76, but four of four
        // intervals near the median happen to random arrivals only (0.21)^4 ≈ 0.2% of the time.
        let random_share = 2f64.powf(-0.7) - 2f64.powf(-1.3);
        let want = 1.0 - random_share.powi(4);
        assert!((b.score - want).abs() < 1e-9, "{}", b.score);
        // Three of four near the median is more likely by chance, and scores lower.
        let ts: Vec<Micros> = vec![0, 60 * SEC, 120 * SEC, 180 * SEC, 400 * SEC];
        let c = score_beacon(
            &ts,
            None,
            &BeaconContext::default(),
            &BeaconConfig::default(),
        )
        .unwrap();
        assert!(c.score < b.score - 0.1, "{} vs {}", c.score, b.score);
    }

    #[test]
    fn slow_six_hour_beacon_is_measured() {
        let ts: Vec<Micros> = (0..12)
            .map(|i| i * 6 * 3600 * SEC + (i % 3) * 90 * SEC)
            .collect();
        let b = score_beacon(
            &ts,
            None,
            &BeaconContext::default(),
            &BeaconConfig::default(),
        )
        .unwrap();
        assert!(b.score > 0.9, "{b:?}");
        assert!((b.interval_secs - 21600.0).abs() < 200.0);
        assert!(b.reasons[0].contains("6.0 h"), "{}", b.reasons[0]);
    }

    #[test]
    fn keepalive_cadence_is_not_a_beacon() {
        let ts: Vec<Micros> = (0..40).map(|i| i * 60 * SEC + (i % 2) * SEC).collect();
        let ctx = BeaconContext {
            window: None,
            keepalive_secs: Some(60),
        };
        let b = score_beacon(&ts, None, &ctx, &BeaconConfig::default()).unwrap();
        assert_eq!(b.components.keepalive_share, Some(1.0));
        assert_eq!(b.score, 0.0);
        assert!(b.reasons.iter().any(|r| r.contains("keepalive of 60.0 s")));
        assert!(
            b.signal(&Weights::default(), &BeaconConfig::default())
                .is_none()
        );
        // A different cadence from the keepalive is still scored.
        let ctx = BeaconContext {
            window: None,
            keepalive_secs: Some(30),
        };
        let b = score_beacon(&ts, None, &ctx, &BeaconConfig::default()).unwrap();
        assert_eq!(b.components.keepalive_share, Some(0.0));
        assert!(b.score > 0.9);
        // Keepalive 0 means none (MQTT).
        let ctx = BeaconContext {
            window: None,
            keepalive_secs: Some(0),
        };
        let b = score_beacon(&ts, None, &ctx, &BeaconConfig::default()).unwrap();
        assert_eq!(b.components.keepalive_share, None);
    }

    #[test]
    fn sizes_and_coverage_are_used() {
        let ts: Vec<Micros> = (0..20).map(|i| i * 10 * SEC).collect();
        let sizes: Vec<u64> = (0..20)
            .map(|i| if i % 5 == 0 { 900 } else { 212 })
            .collect();
        let ctx = BeaconContext {
            window: Some((0, 380 * SEC)),
            keepalive_secs: None,
        };
        let b = score_beacon(&ts, Some(&sizes), &ctx, &BeaconConfig::default()).unwrap();
        let size = b.components.size.unwrap();
        assert_eq!(size.mode_bytes, 212);
        assert!((size.mode_share - 0.8).abs() < 1e-12);
        assert_eq!(b.components.coverage, Some(0.5));
        // (0.3·1 + 0.4·1 + 0.15·max(rita, 0.8) + 0.15·0.5) / 1.0
        let expect = 0.3 + 0.4 + 0.15 * size.score + 0.15 * 0.5;
        assert!((b.score - expect).abs() < 1e-9, "{} vs {expect}", b.score);
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        let ts = [i64::MIN, -1, 0, 1, i64::MAX, i64::MAX - 7];
        let b = score_beacon(
            &ts,
            Some(&[u64::MAX, 0, 1]),
            &BeaconContext {
                window: Some((i64::MIN, i64::MAX)),
                keepalive_secs: Some(u32::MAX),
            },
            &BeaconConfig::default(),
        )
        .unwrap();
        assert!((0.0..=1.0).contains(&b.score));
    }

    /// Gaps drawn from `uniforms` (each in (0,1]) by `f`.
    fn gaps_by(uniforms: &[f64], f: impl Fn(f64) -> f64) -> Vec<f64> {
        uniforms.iter().map(|&u| f(u)).collect()
    }

    /// `n` uniforms in (0, 1) from SplitMix64.
    fn seeded_uniforms(seed: u64, n: usize) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
            })
            .collect()
    }

    fn score_of(gaps: &[f64]) -> f64 {
        let ts = series_from_gaps(1_700_000_000 * SEC, gaps);
        score_beacon(
            &ts,
            None,
            &BeaconContext::default(),
            &BeaconConfig::default(),
        )
        .map_or(0.0, |b| b.score)
    }

    #[test]
    fn jitter_sweep_separates_beacons_from_random() {
        // 100 one-minute intervals, 200 seeds: Cobalt-Strike-style jitter of 0–50 % against
        // Poisson arrivals of the same mean. RITA's timing score alone gives Poisson about 0.5;
        // the combined score keeps it under 0.45 while 50 % jitter stays above 0.65.
        let (mut poisson_max, mut poisson_timing_sum) = (0.0f64, 0.0);
        let mut jitter_min = [1.0f64; 6];
        for seed in 0..200u64 {
            let u = seeded_uniforms(seed, 100);
            let ts = series_from_gaps(0, &gaps_by(&u, |u| -u.ln() * 60.0));
            let b = score_beacon(
                &ts,
                None,
                &BeaconContext::default(),
                &BeaconConfig::default(),
            )
            .unwrap();
            poisson_max = poisson_max.max(b.score);
            poisson_timing_sum += b.components.timing.score;
            for (i, slot) in jitter_min.iter_mut().enumerate() {
                let j = i as f64 / 10.0;
                *slot = slot.min(score_of(&gaps_by(&u, |u| 60.0 * (1.0 - j * u))));
            }
        }
        assert!(poisson_max < 0.45, "poisson max {poisson_max}");
        assert!(
            poisson_timing_sum / 200.0 > 0.45,
            "RITA timing alone on poisson"
        );
        for (i, min) in jitter_min.iter().enumerate() {
            assert!(*min > 0.65, "jitter {}0%: min {min}", i);
        }
        assert_eq!(jitter_min[0], 1.0);
    }

    proptest! {
        #[test]
        fn score_is_in_unit_range(
            ts in proptest::collection::vec(any::<i64>(), 0..64),
            sizes in proptest::option::of(proptest::collection::vec(any::<u64>(), 0..64)),
            window in proptest::option::of((any::<i64>(), any::<i64>())),
            keepalive in proptest::option::of(any::<u32>()),
        ) {
            let ctx = BeaconContext { window, keepalive_secs: keepalive };
            if let Some(b) = score_beacon(&ts, sizes.as_deref(), &ctx, &BeaconConfig::default()) {
                prop_assert!((0.0..=1.0).contains(&b.score), "{}", b.score);
                prop_assert!(b.jitter.is_finite() && b.jitter >= 0.0);
            }
        }

        #[test]
        fn periodic_series_score_high(period in 1.0f64..30_000.0, n in 10usize..200) {
            let gaps = vec![period; n];
            prop_assert!(score_of(&gaps) >= 0.95);
        }

        #[test]
        fn poisson_series_score_low(seed in any::<u64>(), n in 60usize..300, mean in 1.0f64..20_000.0) {
            // Independent uniforms from a seeded generator: proptest's own floats are chosen to hit
            // edge cases, which is not what a Poisson process looks like.
            let uniforms = seeded_uniforms(seed, n);
            let gaps = gaps_by(&uniforms, |u| -u.ln() * mean);
            let s = score_of(&gaps);
            prop_assert!(s < 0.5, "poisson scored {s}");
        }

        #[test]
        fn thirty_percent_jitter_stays_above_random(
            seed in any::<u64>(),
            n in 30usize..300,
            period in 5.0f64..20_000.0,
        ) {
            // Cobalt-Strike-style jitter (sleep shortened by up to 30 %) and symmetric ±30 %, with
            // independent uniforms (proptest's own floats pile up at 0 and 1, which is a bimodal
            // schedule, not jitter).
            let uniforms = seeded_uniforms(seed, n);
            let shortened = score_of(&gaps_by(&uniforms, |u| period * (1.0 - 0.3 * u)));
            let symmetric = score_of(&gaps_by(&uniforms, |u| period * (1.0 + 0.3 * (2.0 * u - 1.0))));
            // Margins are kept wide of the random bound (poisson_series_score_low) so that the
            // property holds for every seed, not just typical ones.
            prop_assert!(shortened > 0.75, "shortened {shortened}");
            prop_assert!(symmetric > 0.6, "symmetric {symmetric}");
        }

        #[test]
        fn the_sample_factor_is_the_full_formula(
            seed in any::<u64>(),
            n in 4usize..60,
            jitter in 0.0f64..1.0,
        ) {
            // The chance is only summed below `confident_intervals`; the factor must still be
            // max(count factor, 1 − chance) with the chance summed for every length.
            let u = seeded_uniforms(seed, n);
            let ts = series_from_gaps(1_700_000_000 * SEC, &gaps_by(&u, |u| 60.0 * (1.0 - jitter * u)));
            let cfg = BeaconConfig::default();
            if let Some(b) = score_beacon(&ts, None, &BeaconContext::default(), &cfg) {
                let c = &b.components;
                let inside = (c.within_tolerance * c.intervals as f64).round() as usize;
                let random_share = 2f64.powf(-0.7) - 2f64.powf(-1.3);
                let by_count = (0.6 + 0.4 * c.intervals as f64 / 10.0).min(1.0);
                let full = by_count.max(1.0 - binomial_tail(c.intervals, inside, random_share));
                prop_assert_eq!(c.sample_factor, full);
            }
        }

        #[test]
        fn order_of_input_does_not_matter(
            (ts, shuffled) in proptest::collection::vec(0i64..1_000_000_000_000, 0..80)
                .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
            sizes in proptest::collection::vec(0u64..5000, 0..80)
                .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        ) {
            let ctx = BeaconContext { window: Some((0, 1_000_000_000_000)), keepalive_secs: Some(60) };
            let cfg = BeaconConfig::default();
            let a = score_beacon(&ts, Some(&sizes.0), &ctx, &cfg);
            let b = score_beacon(&shuffled, Some(&sizes.1), &ctx, &cfg);
            prop_assert_eq!(a, b);
        }
    }
}

#[cfg(test)]
mod binomial_tests {
    use super::binomial_tail;

    #[test]
    fn tails_of_known_cases() {
        assert!((binomial_tail(4, 4, 0.21) - 0.21f64.powi(4)).abs() < 1e-12);
        assert!((binomial_tail(4, 0, 0.21) - 1.0).abs() < 1e-12);
        assert!((binomial_tail(1, 1, 0.5) - 0.5).abs() < 1e-12);
        let p3 = 4.0 * 0.21f64.powi(3) * 0.79 + 0.21f64.powi(4);
        assert!((binomial_tail(4, 3, 0.21) - p3).abs() < 1e-12);
        assert_eq!(binomial_tail(3, 4, 0.2), 0.0);
    }
}
