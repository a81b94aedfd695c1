//! One score per alert: the seed suspicion sets a base, each behaviour [`Signal`] adds its weight
//! (the sum is the alert's *points*), and a bounded, strictly increasing transform turns the points
//! into the 0–100 score, so distinct evidence ranks distinctly instead of piling up at a clamp. The
//! suspicion follows the points: raised when they reach a higher band, lowered only when clear
//! benign evidence brought them into a lower one. Every step is written down
//! ([`Combined::steps`]) so a hunter can see exactly why an alert ranks where it does
//! (docs/beacon-and-scoring.md, one score per alert).

use super::Signal;
use crate::verdict::Suspicion;
use serde::{Deserialize, Serialize};

/// Bases, thresholds and the transform of [`combine_with`], in points. `Default` is the
/// documented tuning.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoreConfig {
    /// Starting points of an alert whose seed suspicion is high.
    pub base_high: f64,
    pub base_medium: f64,
    pub base_low: f64,
    /// Points from which the suspicion is high.
    pub high_at: f64,
    /// Points from which the suspicion is at least medium; also where the score is 50.
    pub medium_at: f64,
    /// How many points past `medium_at` take the score halfway from 50 to 100 (and as many below
    /// it halfway to 0): the larger, the more slowly the score approaches its bounds.
    pub scale: f64,
    /// Benign evidence (the negative signals) must sum to at most this many points before it
    /// lowers a seed suspicion, and only when the points are under the seed's band: a library's
    /// default client id (−5) is a hint, not a reason to demote an external MQTT session; a
    /// known-benign destination (−30) or interactive use (−20) is. Weaker positive evidence
    /// counts in the points, not against the benign evidence.
    pub lower_at_net: f64,
    /// A default allowlist entry does not suppress an alert whose positive behaviour evidence
    /// the entry does not explain sums to at least this many points (the hunter's own entries
    /// always apply; docs/allowlist.md).
    pub default_allowlist_yields_at: f64,
    /// Content and process evidence (points) that makes one exchange enough to rate a group with
    /// fewer connections than `analytics.min_connections`.
    pub single_connection_at: f64,
    /// The highest suspicion the seed's protocol prior gives on its own: above it, the seed's
    /// suspicion stands only when behaviour evidence confirms it (`prior_confirmed_at`) or the
    /// points reach its band. The seeds rate every external MQTT session of a program that is not
    /// a Mosquitto client high, which on real networks is most IoT devices and developer tools;
    /// "high" from the engine means the behaviour supports it. The seed's own verdict stays on
    /// the alert as `seed_suspicion`.
    pub prior_at_most: Suspicion,
    /// Positive behaviour evidence (the sum of the positive signals, in points) that confirms a
    /// seed suspicion above `prior_at_most`: as much as makes a default allowlist entry yield.
    pub prior_confirmed_at: f64,
}

impl Default for ScoreConfig {
    fn default() -> Self {
        ScoreConfig {
            base_high: 50.0,
            base_medium: 45.0,
            base_low: 20.0,
            high_at: 80.0,
            medium_at: 50.0,
            scale: 45.0,
            lower_at_net: -15.0,
            default_allowlist_yields_at: 20.0,
            single_connection_at: 30.0,
            prior_at_most: Suspicion::Medium,
            prior_confirmed_at: 20.0,
        }
    }
}

/// Points beyond which the transform is not asked to tell sums apart (far past any real sum); it
/// keeps sums of absurd configured weights finite.
const MAX_POINTS: f64 = 1e9;

impl ScoreConfig {
    fn finite(v: f64, default: f64) -> f64 {
        if v.is_finite() { v } else { default }
    }

    /// The 0–100 score of `points`, unrounded: `50 + 50·x / (scale + |x|)` with
    /// `x = points − medium_at`. Strictly increasing, 50 at the medium threshold, and it only
    /// approaches 0 and 100: its tails fall off as `1/x`, not exponentially as a logistic's do, so
    /// sums far above the high threshold still rank apart.
    pub fn score_of(&self, points: f64) -> f64 {
        let d = ScoreConfig::default();
        let scale = Self::finite(self.scale, d.scale).max(1.0);
        let center = Self::finite(self.medium_at, d.medium_at);
        let p = if points.is_nan() { center } else { points };
        let x = p.clamp(-MAX_POINTS, MAX_POINTS) - center;
        50.0 + 50.0 * x / (scale + x.abs())
    }

    /// The band `points` fall in.
    pub fn band(&self, points: f64) -> Suspicion {
        if points >= self.high_at {
            Suspicion::High
        } else if points >= self.medium_at {
            Suspicion::Medium
        } else {
            Suspicion::Low
        }
    }

    fn threshold(&self, s: Suspicion) -> f64 {
        match s {
            Suspicion::High => self.high_at,
            Suspicion::Medium => self.medium_at,
            Suspicion::Low => f64::NEG_INFINITY,
        }
    }

    fn base(&self, seed: Suspicion) -> f64 {
        let d = ScoreConfig::default();
        match seed {
            Suspicion::High => Self::finite(self.base_high, d.base_high),
            Suspicion::Medium => Self::finite(self.base_medium, d.base_medium),
            Suspicion::Low => Self::finite(self.base_low, d.base_low),
        }
    }
}

/// The combined verdict with its explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Combined {
    /// The base plus every signal's weight.
    pub points: f64,
    /// 0–100, the rounded [`ScoreConfig::score_of`] of the points.
    pub score: u8,
    pub suspicion: Suspicion,
    /// One sentence per step: the base, each signal, the score, the suspicion rule.
    pub steps: Vec<String>,
    /// The step that judged a seed suspicion above `prior_at_most` (confirmed by evidence, or
    /// counted as the cap), when there was one: an alert's reasons show it, so "high: XMPP to an
    /// external server" is not followed by an unexplained "suspicion stays medium".
    pub prior_step: Option<String>,
}

/// [`combine_with`] with the default configuration, returning only the score and suspicion.
pub fn combine(seed: Suspicion, signals: &[Signal]) -> (u8, Suspicion) {
    let c = combine_with(&ScoreConfig::default(), seed, signals);
    (c.score, c.suspicion)
}

/// Combines the seed suspicion with behaviour signals:
///
/// 1. points = `base_high` / `base_medium` / `base_low` (50 / 45 / 20) by seed suspicion: the
///    protocol prior is a small share, so behaviour evidence decides the rank;
/// 2. each signal adds its weight (negative weights lower the points; non-finite ones count 0);
/// 3. score = `50 + 50·x / (scale + |x|)`, `x = points − medium_at`, rounded: within 0–100,
///    strictly increasing in the points, never reaching a plateau at 100;
/// 4. band, on the points: high from `high_at` (80), medium from `medium_at` (50), else low;
/// 5. the prior = the seed suspicion, at most `prior_at_most` (medium) unless positive
///    behaviour evidence of at least `prior_confirmed_at` (20) confirms it: the protocol alone
///    never makes an alert high;
/// 6. suspicion = the band when it is above the prior (evidence raised it), the band when it is
///    below the prior **and** the benign (negative) signals sum to at most `lower_at_net` (−15:
///    benign evidence lowered it), otherwise the prior. The medium and high bases sit at or under the medium
///    threshold on purpose, so a seed alert with no behaviour evidence keeps its prior but ranks
///    under alerts with evidence.
pub fn combine_with(cfg: &ScoreConfig, seed: Suspicion, signals: &[Signal]) -> Combined {
    let base = cfg.base(seed);
    let mut steps = vec![format!("base {base:.0} for seed suspicion {seed}")];
    let (mut net, mut positive, mut benign) = (0.0, 0.0, 0.0);
    for s in signals {
        let wgt = if s.weight.is_finite() { s.weight } else { 0.0 };
        net += wgt;
        if wgt > 0.0 {
            positive += wgt;
        } else {
            benign += wgt;
        }
        steps.push(format!("{wgt:+.1} {}: {}", s.id, s.reason));
    }
    let points = (base + net).clamp(-MAX_POINTS, MAX_POINTS);
    let exact = cfg.score_of(points);
    let score = exact.round().clamp(0.0, 100.0);
    steps.push(format!(
        "{points:.1} points give score {score:.0} (50 + 50·x/({:.0} + |x|), x = points − {:.0})",
        cfg.scale, cfg.medium_at
    ));
    let band = cfg.band(points);
    let capped = seed.min(cfg.prior_at_most);
    let steps_before = steps.len();
    let seed = if capped == seed {
        seed
    } else if positive >= cfg.prior_confirmed_at {
        steps.push(format!(
            "behaviour evidence of {positive:.1} points confirms the seed's {seed} (at least {:.0}, \
             behaviour.score.prior_confirmed_at)",
            cfg.prior_confirmed_at
        ));
        seed
    } else {
        steps.push(format!(
            "the seed's {seed} counts as {capped}: its positive behaviour evidence ({positive:.1} \
             points) is under the {:.0} that confirm it (behaviour.score.prior_confirmed_at), and \
             the points are under the {seed} threshold {:.0}",
            cfg.prior_confirmed_at,
            cfg.threshold(seed)
        ));
        capped
    };
    let prior_step = steps.get(steps_before).cloned();
    let suspicion = if band > seed {
        steps.push(format!(
            "suspicion raised from {seed} to {band}: {points:.1} points reach the {band} \
             threshold {:.0} (score {:.0})",
            cfg.threshold(band),
            cfg.score_of(cfg.threshold(band)).round()
        ));
        band
    } else if band < seed && benign <= cfg.lower_at_net {
        steps.push(format!(
            "suspicion lowered from {seed} to {band}: benign evidence ({benign:+.1}) brought the \
             points under the {seed} threshold {:.0}",
            cfg.threshold(seed)
        ));
        band
    } else {
        steps.push(format!("suspicion stays {seed}"));
        seed
    };
    Combined {
        points,
        // Rounded and clamped to 0..=100 above, so the conversion is exact.
        score: score as u8,
        suspicion,
        steps,
        prior_step,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::SignalId;
    use proptest::prelude::*;

    fn sig(id: &str, weight: f64) -> Signal {
        let id: SignalId = id.parse().unwrap();
        Signal::new(id, weight, format!("test {id}"))
    }

    fn cfg() -> ScoreConfig {
        ScoreConfig::default()
    }

    /// The rounded score of `points`.
    fn at(points: f64) -> u8 {
        cfg().score_of(points).round() as u8
    }

    #[test]
    fn seed_alone_gives_at_most_medium_and_ranks_by_a_small_prior() {
        // High is earned by evidence: the seed's high alone counts as medium.
        assert_eq!(combine(Suspicion::High, &[]), (50, Suspicion::Medium));
        let c = combine_with(&cfg(), Suspicion::High, &[]);
        assert!(
            c.prior_step
                .as_deref()
                .is_some_and(|s| s.contains("counts as medium")),
            "{:?}",
            c.steps
        );
        assert_eq!(
            combine_with(&cfg(), Suspicion::Medium, &[]).prior_step,
            None
        );
        // Evidence confirms it: 20 points of positive evidence, whatever benign hints say.
        assert_eq!(
            combine(Suspicion::High, &[sig("beacon", 20.0)]),
            (at(70.0), Suspicion::High)
        );
        assert_eq!(
            combine(
                Suspicion::High,
                &[sig("beacon", 20.0), sig("library_client_id", -5.0)]
            ),
            (at(65.0), Suspicion::High)
        );
        // Weaker evidence does not (a public developer script's telemetry timer and its lone
        // broker address: 9 + 8 points).
        assert_eq!(
            combine(
                Suspicion::High,
                &[
                    sig("message_beacon", 9.0),
                    sig("sole_host_destination", 8.0)
                ]
            ),
            (at(67.0), Suspicion::Medium)
        );
        // Configured back to the seed's matrix.
        let seed_matrix = ScoreConfig {
            prior_at_most: Suspicion::High,
            ..cfg()
        };
        assert_eq!(
            combine_with(&seed_matrix, Suspicion::High, &[]).suspicion,
            Suspicion::High
        );
        assert_eq!(combine(Suspicion::Medium, &[]), (45, Suspicion::Medium));
        assert_eq!(combine(Suspicion::Low, &[]), (30, Suspicion::Low));
    }

    #[test]
    fn evidence_raises() {
        // One strong signal takes a medium seed into high only with a second one.
        assert_eq!(
            combine(Suspicion::Medium, &[sig("process_shell", 25.0)]),
            (at(70.0), Suspicion::Medium)
        );
        assert_eq!(
            combine(
                Suspicion::Medium,
                &[sig("process_shell", 25.0), sig("c2_vocabulary", 20.0)]
            ),
            (at(90.0), Suspicion::High)
        );
        assert_eq!(
            combine(Suspicion::Low, &[sig("public_broker", 30.0)]),
            (50, Suspicion::Medium)
        );
        // A masqueraded system binary reaches high from a medium seed on its own.
        assert_eq!(
            combine(Suspicion::Medium, &[sig("masqueraded_system_binary", 35.0)]).1,
            Suspicion::High
        );
    }

    #[test]
    fn strong_behaviour_outranks_the_protocol_prior() {
        // A 10-minute AMQP beacon (medium seed, beacon score 0.95) against an XMPP chat client
        // (high seed) whose timing is only just regular (beacon score 0.72).
        let amqp = combine(Suspicion::Medium, &[sig("beacon", 0.95 * 30.0)]);
        let chat = combine(Suspicion::High, &[sig("beacon", 0.72 * 30.0)]);
        assert!(amqp.0 > chat.0, "{amqp:?} {chat:?}");
        // Any evidence worth more than the 5-point prior gap outranks the gap.
        let low_with_evidence = combine(Suspicion::Medium, &[sig("host_scoped_topic", 10.0)]);
        assert!(low_with_evidence.0 > combine(Suspicion::High, &[]).0);
    }

    #[test]
    fn no_plateau_at_the_top() {
        // Sums far above the high threshold stay apart (they were all 100 with a clamp).
        let scores: Vec<u8> = [100.0, 130.0, 160.0, 200.0, 250.0].map(at).to_vec();
        assert_eq!(scores, [76, 82, 85, 88, 91]);
        assert!(at(1000.0) < 100);
        assert_eq!(at(cfg().high_at), 70);
        assert_eq!(at(cfg().medium_at), 50);
    }

    #[test]
    fn benign_evidence_lowers() {
        assert_eq!(
            combine(Suspicion::High, &[sig("known_benign_destination", -30.0)]),
            (at(20.0), Suspicion::Low)
        );
        // A weak benign hint lowers the score (and the rank) but not the suspicion.
        assert_eq!(
            combine(Suspicion::High, &[sig("library_client_id", -5.0)]),
            (at(45.0), Suspicion::Medium)
        );
        assert_eq!(
            combine(Suspicion::Medium, &[sig("library_client_id", -5.0)]),
            (at(40.0), Suspicion::Medium)
        );
        // Interactive use takes a seed-high chat client with nothing else below medium, even on a
        // public XMPP server.
        let chat = combine(
            Suspicion::High,
            &[
                sig("interactive_use", -20.0),
                sig("public_xmpp_server", 5.0),
            ],
        );
        assert_eq!(chat.1, Suspicion::Low);
        // Mixed evidence: lowered when the benign signals sum to at most -15 and the points are
        // under the prior's band, whatever weaker positive evidence there is (a developer's own
        // hosted broker: interactive use, and the only host reaching it).
        assert_eq!(
            combine(
                Suspicion::Medium,
                &[
                    sig("interactive_use", -20.0),
                    sig("sole_host_destination", 8.0)
                ]
            ),
            (at(33.0), Suspicion::Low)
        );
        // Positive evidence that keeps the points in the band keeps the suspicion.
        assert_eq!(
            combine(
                Suspicion::Medium,
                &[
                    sig("shared_destination", -20.0),
                    sig("message_beacon", 28.8)
                ]
            ),
            (at(53.8), Suspicion::Medium)
        );
        assert_eq!(
            combine(
                Suspicion::High,
                &[sig("new_broker", -20.0), sig("guid_token", 4.0)]
            ),
            (at(34.0), Suspicion::Low)
        );
        assert_eq!(
            combine(
                Suspicion::High,
                &[sig("new_broker", -10.0), sig("guid_token", 5.0)]
            ),
            (at(45.0), Suspicion::Medium)
        );
    }

    #[test]
    fn steps_explain_everything() {
        let c = combine_with(
            &cfg(),
            Suspicion::Medium,
            &[
                sig("process_shell", 25.0),
                sig("c2_vocabulary", 40.0),
                sig("hex_token", f64::NAN),
            ],
        );
        assert_eq!(c.points, 110.0);
        assert_eq!(c.score, at(110.0));
        assert_eq!(c.steps[0], "base 45 for seed suspicion medium");
        assert_eq!(c.steps[1], "+25.0 process_shell: test process_shell");
        assert_eq!(c.steps[3], "+0.0 hex_token: test hex_token");
        assert_eq!(
            c.steps[4],
            "110.0 points give score 79 (50 + 50·x/(45 + |x|), x = points − 50)"
        );
        assert!(
            c.steps[5].starts_with("suspicion raised from medium to high: 110.0 points reach"),
            "{}",
            c.steps[5]
        );
        assert!(
            c.steps[5].ends_with("threshold 80 (score 70)"),
            "{}",
            c.steps[5]
        );
    }

    #[test]
    fn absurd_configuration_stays_in_range() {
        let odd = ScoreConfig {
            base_high: f64::INFINITY,
            scale: f64::NAN,
            medium_at: f64::NEG_INFINITY,
            ..cfg()
        };
        let c = combine_with(
            &odd,
            Suspicion::High,
            &[sig("beacon", 1e300), sig("beacon", 1e300)],
        );
        assert!(c.score <= 100);
        assert!(odd.score_of(f64::NAN).is_finite());
    }

    const SEEDS: [Suspicion; 3] = [Suspicion::Low, Suspicion::Medium, Suspicion::High];

    proptest! {
        #[test]
        fn combine_is_bounded(seed in 0usize..3, weights in proptest::collection::vec(any::<f64>(), 0..20)) {
            let signals: Vec<Signal> = weights.iter().map(|&x| sig("new_broker", x)).collect();
            let c = combine_with(&cfg(), SEEDS[seed], &signals);
            prop_assert!(c.score <= 100);
            prop_assert!(c.points.is_finite());
            // Base, signals, score, suspicion, and a step when the seed is above the prior cap.
            let capped = usize::from(SEEDS[seed] > Suspicion::Medium);
            prop_assert_eq!(c.steps.len(), signals.len() + 3 + capped);
        }

        #[test]
        fn strictly_monotone_in_net_evidence(seed in 0usize..3, a in -1e6f64..1e6, d in 1e-6f64..1e6) {
            let c = cfg();
            let lo = combine_with(&c, SEEDS[seed], &[sig("beacon", a)]);
            let hi = combine_with(&c, SEEDS[seed], &[sig("beacon", a + d)]);
            prop_assert!(c.score_of(hi.points) > c.score_of(lo.points), "{a} {d}");
            prop_assert!(hi.score >= lo.score);
            let exact = c.score_of(lo.points);
            prop_assert!((0.0..=100.0).contains(&exact));
        }

        #[test]
        fn distinct_sums_in_a_wide_range_get_distinct_scores(p in -50i32..=200, gap in 18i32..=250) {
            // Anywhere from 50 points under the medium threshold to 200 points, sums 18 points
            // apart (about one moderate signal) never share a score.
            let q = p + gap;
            prop_assume!(q <= 200);
            prop_assert!(at(f64::from(p)) < at(f64::from(q)), "{p} {q}");
        }

        #[test]
        fn distinct_sums_in_the_usual_range_get_distinct_scores(p in 0i32..=150, gap in 10i32..=150) {
            let q = p + gap;
            prop_assume!(q <= 150);
            prop_assert!(at(f64::from(p)) < at(f64::from(q)), "{p} {q}");
        }
    }
}
