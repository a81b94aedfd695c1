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
