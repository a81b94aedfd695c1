//! Presence: how much of the data a channel was open for. A command channel is a standing one —
//! the implant holds it, or comes back to it, for as long as it runs — which is why RITA scores
//! how much of the dataset a beacon covers (its duration score; docs/beacon-and-scoring.md,
//! presence). This module owns the converse judgement, used as benign evidence: use confined to a
//! few hours well inside the data (it began hours after the data did and closed hours before the
//! data ended), such as a developer trying a public broker for an afternoon.
//!
//! It also owns how a timer of connections is read when each connection stays open for most of
//! the period ([`held_session_renewal`]): the client holds a session and reopens it on a timer
//! (a token's lifetime, a broker's session limit), so the timer says when the session expires,
//! not when an implant wakes to check in.
//!
//! It needs to know when the connections closed. A source that records only starts (Sysmon
//! event 3) cannot say how long a channel stayed open, and a channel still open near either edge
//! of the data may run on beyond it, so neither is ever called transient.

use super::prevalence::human_period;
use super::{Signal, Weights};
use crate::signal::SignalId;
use crate::time::{Micros, format_rfc3339};

const HOUR: Micros = 3_600_000_000;

/// Shortest data span over which transience is judged: under half a day, a few hours of use is
/// no small share of it.
pub const MIN_DATA_SPAN: Micros = 12 * HOUR;
/// Longest a transient channel may stay open (also at most a quarter of the data).
pub const MAX_TRANSIENT_SPAN: Micros = 4 * HOUR;
/// How far inside the data a transient channel must begin and end.
pub const EDGE_MARGIN: Micros = 2 * HOUR;

/// A stretch of time, `first` ≤ `last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub first: Micros,
    pub last: Micros,
}

impl Span {
    pub fn duration(&self) -> Micros {
        self.last.saturating_sub(self.first).max(0)
    }
}

fn hours(t: Micros) -> f64 {
    t as f64 / HOUR as f64
}

/// The `transient_use` signal when `channel` (first connection start to last connection end)
/// is short and lies well inside `data`; `None` otherwise.
pub fn score_transient(channel: Span, data: Span, w: &Weights) -> Option<Signal> {
    let (len, data_len) = (channel.duration(), data.duration());
    if data_len < MIN_DATA_SPAN || len > MAX_TRANSIENT_SPAN.min(data_len / 4) {
        return None;
    }
    let (lead, tail) = (
        channel.first.saturating_sub(data.first),
        data.last.saturating_sub(channel.last),
    );
    if lead < EDGE_MARGIN || tail < EDGE_MARGIN {
        return None;
    }
    Some(Signal::new(
        SignalId::TransientUse,
        w.transient_use,
        format!(
            "open only from {} to {} ({:.1} h of {:.1} h of data), beginning {:.1} h after the \
             data does and closing {:.1} h before it ends, without regular timing: a one-off \
             use, not a standing channel",
            format_rfc3339(channel.first),
            format_rfc3339(channel.last),
            hours(len),
            hours(data_len),
            hours(lead),
            hours(tail)
        ),
    ))
}

/// Most separate occasions of use [`score_occasional`] judges; more is a habit, which
/// `interactive_use` judges.
pub const MAX_OCCASIONS: usize = 3;
/// Most occasions [`score_occasional`] judges when they all lie within [`WORKING_DAY_SPAN`]: a
/// developer trying a broker a few more times on one working day is still trying it; the same
/// number spread over days is a habit.
pub const MAX_OCCASIONS_IN_A_DAY: usize = 5;
/// Longest stretch, first occasion's start to last one's end, that counts as one working day.
pub const WORKING_DAY_SPAN: Micros = 12 * HOUR;
/// Connections closer than this are one occasion (a client reconnecting, a tool run twice).
pub const OCCASION_JOIN: Micros = 15 * 60_000_000;
/// How many times the longest gap between two occasions must fit between the last one and the
/// end of the data: a timer with that period would have come back at least this often.
pub const QUIET_GAPS_AFTER: i64 = 2;

/// Sessions `(start, end)`, in any order, joined into stretches of use: a session that begins
/// at most `join` after the stretch so far ends belongs to it. In time order.
pub fn stretches(sessions: &[(Micros, Micros)], join: Micros) -> Vec<Span> {
    let mut sorted = sessions.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<Span> = Vec::new();
    for (start, end) in sorted {
        let end = end.max(start);
        match out.last_mut() {
            Some(s) if start <= s.last.saturating_add(join) => s.last = s.last.max(end),
            _ => out.push(Span {
                first: start,
                last: end,
            }),
        }
    }
    out
}

/// The share of `span` the sessions `(start, end)` were open for (their union, clipped to
/// `span`); 0 for an empty span.
pub fn open_share(sessions: &[(Micros, Micros)], span: Span) -> f64 {
    let len = span.duration();
    if len <= 0 {
        return 0.0;
    }
    let open: Micros = stretches(sessions, 0)
        .iter()
        .map(|s| {
            s.last
                .min(span.last)
                .saturating_sub(s.first.max(span.first))
                .max(0)
        })
        .sum();
    open as f64 / len as f64
}

/// The `transient_use` signal for a channel used on a few short occasions well inside the data
/// (`spans`: each connection's start and end, all of them), such as a developer who tries a
/// public broker in the morning and again after lunch: two visits hours apart are not one
/// stretch ([`score_transient`]), and they are not a standing channel either, because a
/// channel that runs on a timer as long as the longest gap between them would have come back
/// after the last one, and it did not. That silence means something only if the host was
/// there to come back: `host_last_seen` (the latest connection of any kind the host started, from
/// the census of its inputs) must lie at least one such gap past the end of the last occasion,
/// since an implant on a laptop falls silent (and drops its session) when the laptop leaves.
/// `None` for a single occasion (that is [`score_transient`]'s judgement), for more than
/// [`MAX_OCCASIONS`] ([`MAX_OCCASIONS_IN_A_DAY`] within one working day), for an occasion
/// longer than [`MAX_TRANSIENT_SPAN`], when the data after the last occasion is too short to
/// show that it did not come back, and when the host is not known to have been there for it.
/// How long the occasions lasted does not matter otherwise: `mosquitto_pub` is over in a
/// second, and a sleeping implant's check-ins of a second are told apart by its coming back
/// (or, on a laptop that left, by the host not being there to show that it would not).
pub fn score_occasional(
    spans: &[(Micros, Micros)],
    data: Span,
    host_last_seen: Option<Micros>,
    w: &Weights,
) -> Option<Signal> {
    if data.duration() < MIN_DATA_SPAN {
        return None;
    }
    let occasions = stretches(spans, OCCASION_JOIN);
    let (first, last) = (occasions.first()?, occasions.last()?);
    let most = if last.last.saturating_sub(first.first) <= WORKING_DAY_SPAN {
        MAX_OCCASIONS_IN_A_DAY
    } else {
        MAX_OCCASIONS
    };
    if occasions.len() > most {
        return None;
    }
    let longest = occasions.iter().map(Span::duration).max()?;
    if occasions.len() < 2 || longest > MAX_TRANSIENT_SPAN {
        return None;
    }
    let gap = occasions
        .windows(2)
        .map(|p| p[1].first.saturating_sub(p[0].first))
        .max()?;
    let (lead, tail) = (
        first.first.saturating_sub(data.first),
        data.last.saturating_sub(last.last),
    );
    let quiet = gap.saturating_mul(QUIET_GAPS_AFTER);
    let present = host_last_seen?;
    if lead < EDGE_MARGIN
        || tail < EDGE_MARGIN
        || data.last.saturating_sub(last.first) < quiet
        || present.saturating_sub(last.last) < gap
    {
        return None;
    }
    let when: Vec<String> = occasions
        .iter()
        .map(|o| {
            format!(
                "{} for {}",
                format_rfc3339(o.first),
                human_period(o.duration() as f64 / 1e6)
            )
        })
        .collect();
    Some(Signal::new(
        SignalId::TransientUse,
        w.transient_use,
        format!(
            "used on only {} occasions ({}) in {:.1} h of data, the first {:.1} h after the \
             data begins and the last ending {:.1} h before it ends; the longest gap between \
             them is {:.1} h, so a channel on a timer that slow would have come back at least \
             {QUIET_GAPS_AFTER} times since, and it did not, though the host was there for \
             longer than that gap after it (its last connection of any kind began {}): \
             occasional use, not a standing channel",
            occasions.len(),
            when.join(", "),
            hours(data.duration()),
            hours(lead),
            hours(tail),
            hours(gap),
            format_rfc3339(present)
        ),
    ))
}

/// Least share of the beacon's period the median connection must stay open for the timer to be
/// a held session's renewal.
pub const HELD_SHARE: f64 = 0.8;
/// Fewest connections with a known end for the judgement.
pub const HELD_MIN_SESSIONS: usize = 4;
/// Share of the `beacon` weight a held session's renewal timer keeps.
pub const HELD_SESSION_BEACON_FACTOR: f64 = 0.5;

/// Why a connection timer of `period_secs` is a held session's renewal: the median connection
/// (`durations`: how long each connection whose end is known stayed open, at least
/// [`HELD_MIN_SESSIONS`] of them) stays open for at least
/// [`HELD_SHARE`] of the period. An implant that sleeps between check-ins connects for seconds;
/// a client that holds its session is connected all along, and reconnects when its credentials
/// or the broker's session limit expire (an Azure IoT device renews its SAS token about every
/// 50 minutes). Such a timer is still a timer, so it keeps part of its weight: commands reach a
/// held session at once, and a bot that loops a subscriber with a timeout shows the same shape.
pub fn held_session_renewal(durations: &[Micros], period_secs: f64) -> Option<String> {
    if durations.len() < HELD_MIN_SESSIONS || period_secs.is_nan() || period_secs <= 0.0 {
        return None;
    }
    let mut secs: Vec<f64> = durations.iter().map(|d| (*d).max(0) as f64 / 1e6).collect();
    secs.sort_unstable_by(f64::total_cmp);
    let median = secs.get(secs.len() / 2).copied()?;
    if median < HELD_SHARE * period_secs {
        return None;
    }
    Some(format!(
        "the median connection stays open {:.0}% of the period ({} of {}): a session held \
         and renewed on a timer (a token's lifetime, a broker's session limit), not a sleep \
         between check-ins",
        median / period_secs * 100.0,
        human_period(median),
        human_period(period_secs)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn span(first_h: f64, last_h: f64) -> Span {
        Span {
            first: (first_h * HOUR as f64) as Micros,
            last: (last_h * HOUR as f64) as Micros,
        }
    }

    #[test]
    fn an_afternoon_session_inside_a_day_is_transient() {
        let w = Weights::default();
        let s = score_transient(span(14.0, 16.5), span(0.0, 24.0), &w).unwrap();
        assert_eq!(s.id.as_str(), "transient_use");
        assert_eq!(s.weight, w.transient_use);
        assert!(s.weight < 0.0);
        assert!(s.reason.contains("2.5 h of 24.0 h"), "{}", s.reason);
        assert!(s.reason.contains("14.0 h after"), "{}", s.reason);
        assert!(s.reason.contains("7.5 h before"), "{}", s.reason);
    }

    #[test]
    fn long_or_edge_touching_or_short_data_is_not_transient() {
        let w = Weights::default();
        let day = span(0.0, 24.0);
        // Open for most of the day: a standing channel.
        assert!(score_transient(span(4.0, 20.0), day, &w).is_none());
        // Just over the four-hour limit.
        assert!(score_transient(span(10.0, 14.1), day, &w).is_none());
        // Still open near the end of the data: it may run on beyond it.
        assert!(score_transient(span(21.0, 23.0), day, &w).is_none());
        // Already open near the start: it may have run long before.
        assert!(score_transient(span(1.0, 3.0), day, &w).is_none());
        // Six hours of data: too little to call two hours of it one-off.
        assert!(score_transient(span(2.0, 4.0), span(0.0, 6.0), &w).is_none());
        // Twelve hours of data allow at most three hours (a quarter).
        assert!(score_transient(span(4.0, 7.5), span(0.0, 12.0), &w).is_none());
        assert!(score_transient(span(4.0, 6.5), span(0.0, 12.0), &w).is_some());
    }

    /// The host was seen to the end of any data of the tests.
    const THERE: Option<Micros> = Some(1000 * HOUR);

    /// Connections as (start, end) in hours.
    fn visits(v: &[(f64, f64)]) -> Vec<(Micros, Micros)> {
        v.iter()
            .map(|&(a, b)| ((a * HOUR as f64) as Micros, (b * HOUR as f64) as Micros))
            .collect()
    }

    #[test]
    fn two_short_visits_hours_apart_in_a_week_are_occasional_use() {
        let w = Weights::default();
        let week = span(0.0, 168.0);
        // A developer's test in the morning and again in the evening of one day.
        let v = visits(&[(63.6, 63.75), (69.65, 69.66)]);
        let s = score_occasional(&v, week, THERE, &w).unwrap();
        assert_eq!(s.id, SignalId::TransientUse);
        assert_eq!(s.weight, w.transient_use);
        assert!(s.reason.contains("only 2 occasions"), "{}", s.reason);
        assert!(
            s.reason.contains("gap between them is 6.0 h"),
            "{}",
            s.reason
        );
        // Connections minutes apart are one occasion (a tool run twice): with a third visit
        // that is still three occasions, not four.
        let v = visits(&[(30.0, 30.1), (30.2, 30.3), (40.0, 41.0), (50.0, 50.5)]);
        assert!(
            score_occasional(&v, week, THERE, &w)
                .unwrap()
                .reason
                .contains("only 3 occasions")
        );
        // Five tries in one working day (09:35 to 17:26): still trying the service.
        let day = visits(&[
            (33.58, 33.62),
            (34.55, 34.6),
            (35.6, 35.64),
            (36.0, 36.1),
            (41.33, 41.44),
        ]);
        let s = score_occasional(&day, week, THERE, &w).expect("five tries in a day");
        assert!(s.reason.contains("only 5 occasions"), "{}", s.reason);
        // Order does not matter.
        let mut rev = v.clone();
        rev.reverse();
        assert_eq!(
            score_occasional(&rev, week, THERE, &w),
            score_occasional(&v, week, THERE, &w)
        );
    }

    #[test]
    fn open_share_is_the_union_of_sessions_over_the_span() {
        let h = |x: f64| (x * HOUR as f64) as Micros;
        let sessions = [
            (h(0.0), h(2.0)),
            (h(1.0), h(3.0)),
            (h(5.0), h(6.0)),
            (h(9.0), h(12.0)),
        ];
        // Open 0-3, 5-6 and 9-10 of 0-10: 5 hours of 10 (the overlap counted once, the last
        // session clipped).
        assert!((open_share(&sessions, span(0.0, 10.0)) - 0.5).abs() < 1e-9);
        assert_eq!(open_share(&sessions, span(4.0, 4.0)), 0.0);
        assert_eq!(open_share(&[], span(0.0, 10.0)), 0.0);
    }

    #[test]
    fn what_could_be_a_slow_timer_a_habit_or_a_held_session_is_not_occasional() {
        let w = Weights::default();
        let week = span(0.0, 168.0);
        // One occasion is `score_transient`'s to judge.
        assert!(score_occasional(&visits(&[(30.0, 31.0)]), week, THERE, &w).is_none());
        // Four occasions over days: a habit.
        let four = visits(&[(30.0, 30.5), (40.0, 40.5), (50.0, 50.5), (60.0, 60.5)]);
        assert!(score_occasional(&four, week, THERE, &w).is_none());
        // Six in one working day: more than a developer's tries.
        let six = visits(&[
            (33.0, 33.1),
            (34.0, 34.1),
            (35.0, 35.1),
            (36.0, 36.1),
            (37.0, 37.1),
            (38.0, 38.2),
        ]);
        assert!(score_occasional(&six, week, THERE, &w).is_none());
        // An occasion of five hours is a stretch of use, not a visit.
        assert!(
            score_occasional(&visits(&[(30.0, 35.0), (40.0, 40.5)]), week, THERE, &w).is_none()
        );
        // Two visits four days apart, the last two days before the end: a four-day timer
        // would not have come back yet.
        assert!(
            score_occasional(&visits(&[(35.0, 35.5), (131.0, 131.5)]), week, THERE, &w).is_none()
        );
        // Too near either edge of the data.
        assert!(score_occasional(&visits(&[(1.0, 1.5), (6.0, 6.5)]), week, THERE, &w).is_none());
        assert!(
            score_occasional(&visits(&[(160.0, 160.5), (166.5, 167.0)]), week, THERE, &w).is_none()
        );
        // Three check-ins of two seconds, three and two hours apart, on a laptop closed at 17:00:
        // a sleeping implant's as readily as a developer's `mosquitto_pub` tries, and its silence
        // after says nothing. With the host there until 22:00 it would have come back; it did
        // not, so they were tries.
        let check_ins = visits(&[(10.78, 10.7806), (14.38, 14.3806), (16.5, 16.5006)]);
        assert!(score_occasional(&check_ins, span(0.0, 24.0), Some(17 * HOUR), &w).is_none());
        assert!(score_occasional(&check_ins, span(0.0, 24.0), Some(22 * HOUR), &w).is_some());
        // The same tries with a host there, but data that ends at 22:00: a 3.6-hour timer would
        // have come back twice only by 23:42.
        assert!(score_occasional(&check_ins, span(0.0, 22.0), Some(22 * HOUR), &w).is_none());
        // Two short visits, but the host (a laptop) was not seen again after the second: its
        // silence says nothing. Seen long enough after it, or not known at all.
        // (The longest gap is 4.5 h: the host must be seen 4.5 h after 16:06.)
        let laptop = visits(&[(8.2, 11.8), (12.7, 16.1)]);
        let day = span(0.0, 24.0);
        assert!(score_occasional(&laptop, day, Some(16 * HOUR), &w).is_none());
        assert!(score_occasional(&laptop, day, Some(20 * HOUR), &w).is_none());
        assert!(score_occasional(&laptop, day, None, &w).is_none());
        assert!(score_occasional(&laptop, day, Some(21 * HOUR), &w).is_some());
        // Six hours of data.
        assert!(
            score_occasional(
                &visits(&[(2.5, 2.6), (3.5, 3.6)]),
                span(0.0, 6.0),
                THERE,
                &w
            )
            .is_none()
        );
    }

    /// `n` connections, each open `len_secs`.
    fn sessions(len_secs: i64, n: usize) -> Vec<Micros> {
        vec![len_secs * 1_000_000; n]
    }

    #[test]
    fn a_session_renewed_on_a_timer_is_held_and_a_check_in_is_not() {
        // An Azure IoT device: 50-minute sessions back to back.
        let why = held_session_renewal(&sessions(2990, 10), 3050.0).unwrap();
        assert!(
            why.contains("98% of the period (50 min of 51 min)"),
            "{why}"
        );
        // An implant's check-ins: two seconds every ten minutes.
        assert!(held_session_renewal(&sessions(2, 10), 600.0).is_none());
        // Open for three quarters of the period: under the share.
        assert!(held_session_renewal(&sessions(450, 10), 600.0).is_none());
        // Too few sessions, or no period.
        assert!(held_session_renewal(&sessions(2990, 3), 3050.0).is_none());
        assert!(held_session_renewal(&sessions(2990, 10), 0.0).is_none());
        assert!(held_session_renewal(&sessions(2990, 10), f64::NAN).is_none());
    }

    proptest! {
        #[test]
        fn occasional_use_is_a_few_short_visits_that_did_not_come_back(
            v in proptest::collection::vec((0f64..200.0, 0f64..6.0), 0..8),
            d in 0f64..200.0,
        ) {
            let spans = visits(&v.iter().map(|&(a, l)| (a, a + l)).collect::<Vec<_>>());
            let data = span(0.0, d);
            if score_occasional(&spans, data, THERE, &Weights::default()).is_some() {
                prop_assert!(data.duration() >= MIN_DATA_SPAN);
                prop_assert!((2..=MAX_OCCASIONS_IN_A_DAY * 4).contains(&spans.len()));
                let first = spans.iter().map(|s| s.0).min().unwrap();
                let last_end = spans.iter().map(|s| s.1).max().unwrap();
                prop_assert!(first - data.first >= EDGE_MARGIN);
                prop_assert!(data.last - last_end >= EDGE_MARGIN);
                prop_assert!(spans.iter().all(|s| s.1 - s.0 <= MAX_TRANSIENT_SPAN));
            }
        }

        #[test]
        fn transient_channels_lie_well_inside_long_enough_data(
            a in -1e6f64..1e6, b in 0f64..1e5, c in -1e6f64..1e6, d in 0f64..1e6,
        ) {
            let channel = span(a, a + b);
            let data = span(c, c + d);
            if score_transient(channel, data, &Weights::default()).is_some() {
                prop_assert!(data.duration() >= MIN_DATA_SPAN);
                prop_assert!(channel.duration() <= MAX_TRANSIENT_SPAN);
                prop_assert!(channel.duration() * 4 <= data.duration());
                prop_assert!(channel.first - data.first >= EDGE_MARGIN);
                prop_assert!(data.last - channel.last >= EDGE_MARGIN);
            }
        }
    }
}
