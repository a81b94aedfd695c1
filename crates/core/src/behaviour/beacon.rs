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
    /// An event less than this many seconds after the last one kept is part of the same
    /// exchange and is not timed on its own: a burst of publications (a test run, a batch) or of
    /// parallel connections is one event, not a beacon with a period of milliseconds. RITA
    /// counts whole seconds, so it drops such gaps as zero.
    pub min_gap_secs: f64,
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
            min_gap_secs: 1.0,
            max_samples: 100_000,
            tolerance: 0.5,
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

/// Least median interval, in seconds, at which a timer could be a person's daily rhythm (a
/// program opened each working day): 20 h, so that a day's openings a few hours apart count.
pub const DAY_SCALE_SECS: f64 = 20.0 * 3600.0;

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
    // Events closer than `min_gap_secs` to the last kept one join it (zero gaps, as in RITA, and
    // the gaps inside a burst); at least same-microsecond events always do.
    let min_gap = if cfg.min_gap_secs.is_finite() {
        ((cfg.min_gap_secs.max(0.0) * MICROS_PER_SEC) as Micros).max(1)
    } else {
        1
    };
    let before = ts.len();
    ts.dedup_by(|later, kept| later.saturating_sub(*kept) < min_gap);
    if ts.len() < before && min_gap > 1 {
        reasons.push(format!(
            "{} events less than {} after the one before were timed with it",
            before - ts.len(),
            human_secs(cfg.min_gap_secs)
        ));
    }
    // Gaps in seconds.
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
    // The test is on the wait above the merge floor: merging events closer than `min_gap`
    // makes every gap the floor plus a wait, and for random arrivals that wait is exponential
    // (the process is memoryless), which is what the random share below is computed for. For
    // gaps of minutes the floor changes nothing; for random events a few per second, it keeps
    // their merged gaps, piled up just above the floor, from passing for a timer.
    let floor = (min_gap as f64 / MICROS_PER_SEC).min(median);
    let wait = median - floor;
    let lo = floor + wait * (1.0 - tol);
    let hi = floor + wait * (1.0 + tol);
    let inside = gaps.iter().filter(|&&g| g >= lo && g <= hi).count();
    let within_tolerance = inside as f64 / n as f64;
    // Share of exponential waits within ±tol of their median m: P(X ≤ x·m) = 1 − 2^(−x).
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
    // Random arrivals are no model of a period of a day or more: people start programs on a day
    // grid (at about the same hour on the days they use them), and one, two or three days apart
    // all fall within ±50% of a 36 h median. So the chance under random arrivals does not vouch
    // for a short series at that scale; the count alone scales it.
    let day_scale = median >= DAY_SCALE_SECS;
    let chance = if by_count < 1.0 && !day_scale {
        binomial_tail(n, inside, random_share)
    } else {
        0.0
    };
    let sample_factor = if day_scale {
        by_count
    } else {
        by_count.max(1.0 - chance)
    };
    if sample_factor < 1.0 {
        if day_scale {
            reasons.push(format!(
                "only {n} intervals (fewer than {confident}) of a day or more: score scaled by \
                 {sample_factor:.2} (people start programs on a day grid, so random arrivals \
                 are no measure of chance at this scale)"
            ));
        } else {
            reasons.push(format!(
                "only {n} intervals (fewer than {confident}): score scaled by {sample_factor:.2} \
                 ({:.1}% chance that random arrivals put as many near the median)",
                chance * 100.0
            ));
        }
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

/// The connection `beacon` among `all`, when it has weight, keeps none, and says why: the timer
/// is explained by something other than a program waking (a platform's renewal, relayed users,
/// a fleet's firmware).
pub fn beacon_weighs_nothing(all: &mut [Signal], why: &str) {
    for s in all
        .iter_mut()
        .filter(|s| s.id == SignalId::Beacon && s.weight > 0.0)
    {
        s.weight = 0.0;
        s.reason.push_str(&format!("; weight 0: {why}"));
    }
}

#[cfg(test)]
#[path = "beacon_tests.rs"]
mod tests;
