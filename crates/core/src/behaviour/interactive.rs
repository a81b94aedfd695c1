//! Interactive use, as benign evidence: how people use chat and developer tools — long sessions
//! answered both ways (the server sends back at least a quarter of what the client sends), opened
//! and closed at irregular times inside working hours on working days — against machine timers,
//! which run at night and at weekends as well, and implants that upload over a held session. It
//! needs only what connection logs record (each connection's start, end and byte counts), so it
//! works on Zeek conn.log without names or content.
//!
//! Working hours are local time, 06:00–20:00 Monday to Friday by default: UTC shifted by
//! `utc_offset_hours` (`[behaviour.interactive]`) when the hunter sets it, else by the offset the
//! site's data shows ([`infer_offset`]): the whole-hour offset that puts most of the openings and
//! closings of every host's connections inside working hours on working days. A machine timer
//! spreads over the clock whatever the offset, so inferring it cannot make a timer look like
//! people. Judging takes data that covers hours outside them, so a channel could have been seen
//! there, and a channel whose timing the beacon analysis finds regular is never interactive
//! unless its period is a day or more (a client opened each morning): the caller leaves faster
//! timers out, so this signal can never hide one (docs/beacon-and-scoring.md, interactive use).

use super::presence::Span;
use super::{Signal, Weights};
use crate::signal::SignalId;
use crate::time::Micros;
use serde::{Deserialize, Serialize};

const SECOND: Micros = 1_000_000;
const HOUR: Micros = 3600 * SECOND;
const DAY: Micros = 24 * HOUR;

/// Least time outside working hours the data must cover for working hours to be judged: a
/// channel could then have been seen outside them (a capture from 09:00 to 17:00 cannot tell).
pub const MIN_OUTSIDE: Micros = 6 * HOUR;
/// Step at which the data span is walked to measure its time outside working hours.
const STEP: Micros = 15 * 60 * SECOND;

/// One connection whose end is known: when it opened and closed, and whether bytes went both
/// ways in proportion ([`answered`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConnSpan {
    pub start: Micros,
    pub end: Micros,
    pub both_ways: bool,
}

/// Least share of the initiator's bytes the responder must send for a session to be a
/// conversation ([`answered`]).
pub const ANSWER_SHARE: u64 = 4;

/// Whether a session's bytes went both ways in proportion: some each way, and the responder sent
/// at least a quarter of what the initiator sent. A person's chat receives messages and presence
/// as it sends them, and a developer's worker consumes as it publishes; an implant holding a
/// session to upload its check-ins gets little more than acknowledgements back (a twentieth of
/// its bytes, or less). A session that mostly receives is a conversation too: a client does not
/// hide an upload in what it is sent.
pub fn answered(bytes_out: u64, bytes_in: u64) -> bool {
    bytes_out > 0 && bytes_in > 0 && bytes_in.saturating_mul(ANSWER_SHARE) >= bytes_out
}

/// What counts as working hours and interactive sessions. `Default` is the documented tuning.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct InteractiveConfig {
    /// The site's offset from UTC in hours (`1.0` for Central Europe in winter, `-5.0` for New
    /// York, `5.5` for India). Working hours are judged in this local time; unset, each host's
    /// offset is inferred from its connections ([`infer_offset`]).
    pub utc_offset_hours: Option<f64>,
    /// Local hour working hours begin at (inclusive).
    pub work_start_hour: f64,
    /// Local hour working hours end at (exclusive).
    pub work_end_hour: f64,
    /// Share of the sessions' openings and closings that must fall in working hours on working
    /// days, and share of sessions that must carry bytes both ways.
    pub min_share: f64,
    /// Fewest sessions (connections with a known end) judged.
    pub min_sessions: usize,
    /// Least median session length, in minutes.
    pub min_session_minutes: f64,
}

impl Default for InteractiveConfig {
    fn default() -> Self {
        InteractiveConfig {
            utc_offset_hours: None,
            work_start_hour: 6.0,
            work_end_hour: 20.0,
            min_share: 0.9,
            min_sessions: 3,
            min_session_minutes: 10.0,
        }
    }
}

impl InteractiveConfig {
    /// Why the settings cannot be used, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if let Some(h) = self.utc_offset_hours
            && !(-14.0..=14.0).contains(&h)
        {
            return Err(format!(
                "behaviour.interactive.utc_offset_hours must be between -14 and 14, not {h}"
            ));
        }
        if !(0.0..=24.0).contains(&self.work_start_hour)
            || !(0.0..=24.0).contains(&self.work_end_hour)
            || self.work_start_hour >= self.work_end_hour
        {
            return Err(format!(
                "behaviour.interactive: working hours {}–{} must lie within 0–24 and begin before \
                 they end",
                self.work_start_hour, self.work_end_hour
            ));
        }
        if !(0.0..=1.0).contains(&self.min_share) {
            return Err(format!(
                "behaviour.interactive.min_share must be between 0 and 1, not {}",
                self.min_share
            ));
        }
        Ok(())
    }

    /// The configured zone, or UTC when none is configured (and nothing was inferred).
    pub fn configured_zone(&self) -> LocalZone {
        LocalZone {
            offset_hours: self.utc_offset_hours.unwrap_or(0.0),
            basis: if self.utc_offset_hours.is_some() {
                ZoneBasis::Configured
            } else {
                ZoneBasis::Default
            },
        }
    }

    /// Whether an instant (UTC) falls on a local working day inside working hours, in the
    /// configured zone (UTC when none is).
    pub fn is_working_time(&self, t: Micros) -> bool {
        self.is_working_time_in(t, self.utc_offset_hours.unwrap_or(0.0))
    }

    /// Whether an instant (UTC) falls on a working day inside working hours at `offset_hours`
    /// from UTC.
    pub fn is_working_time_in(&self, t: Micros, offset_hours: f64) -> bool {
        let h = if offset_hours.is_finite() {
            offset_hours.clamp(-14.0, 14.0)
        } else {
            0.0
        };
        let local = t.saturating_add((h * HOUR as f64) as Micros);
        let day = local.div_euclid(DAY);
        // 1970-01-01 was a Thursday: day 0 is weekday 3 counting Monday as 0.
        let weekday = (day + 3).rem_euclid(7);
        let hour = local.rem_euclid(DAY) as f64 / HOUR as f64;
        weekday < 5 && hour >= self.work_start_hour && hour < self.work_end_hour
    }

    /// Whether at least [`MIN_OUTSIDE`] of `data` lies outside working hours (walked in
    /// quarter hours; it stops as soon as it has found enough, so a long span costs little).
    pub fn covers_off_hours(&self, data: Span) -> bool {
        self.covers_off_hours_in(data, self.utc_offset_hours.unwrap_or(0.0))
    }

    /// [`Self::covers_off_hours`] at `offset_hours` from UTC.
    pub fn covers_off_hours_in(&self, data: Span, offset_hours: f64) -> bool {
        let mut outside = 0;
        let mut t = data.first;
        while t < data.last && outside < MIN_OUTSIDE {
            if !self.is_working_time_in(t, offset_hours) {
                outside += STEP;
            }
            t = t.saturating_add(STEP);
        }
        outside >= MIN_OUTSIDE
    }
}

/// Where a local zone comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneBasis {
    /// `[behaviour.interactive] utc_offset_hours`.
    Configured,
    /// Inferred from this many openings and closings of every host's connections.
    Site(usize),
    /// Nothing configured and too little to infer from: UTC.
    Default,
}

/// The local time a host's working hours are judged in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalZone {
    pub offset_hours: f64,
    pub basis: ZoneBasis,
}

impl LocalZone {
    fn describe(&self) -> String {
        let h = self.offset_hours;
        let zone = if h == 0.0 {
            "UTC".to_string()
        } else {
            format!("UTC{h:+}")
        };
        match self.basis {
            ZoneBasis::Configured | ZoneBasis::Default => zone,
            ZoneBasis::Site(n) => format!(
                "{zone} (the site's local time, inferred from {n} connection openings and closings \
                 of all hosts)"
            ),
        }
    }
}

/// Whole-hour offsets from UTC tried when inferring a zone.
const OFFSETS: std::ops::RangeInclusive<i32> = -12..=14;

/// How many of `instants` fall in working hours at each offset of [`OFFSETS`].
pub fn working_counts(
    cfg: &InteractiveConfig,
    instants: impl IntoIterator<Item = Micros>,
) -> Vec<usize> {
    let mut counts = vec![0usize; OFFSETS.count()];
    for t in instants {
        for (i, h) in OFFSETS.enumerate() {
            counts[i] += usize::from(cfg.is_working_time_in(t, f64::from(h)));
        }
    }
    counts
}

/// Counts within this many thousandths of the best tie with it ([`infer_offset`]).
const TIE_PER_MILLE: usize = 5;

/// The whole-hour offset from UTC that puts the most of the counted instants inside working
/// hours on working days ([`working_counts`]). Working hours are wider than a working day, so a
/// band of offsets ties: the middle of it is taken (office hours sit in the middle of working
/// hours). Counts within half a percent of the best tie with it: at the edges of the band, a
/// few machine connections entering or leaving the window decide the exact maximum, and a
/// site's nightly jobs pulled it an hour or two off. `None` when no offset puts any inside.
pub fn infer_offset(counts: &[usize]) -> Option<f64> {
    let best = counts.iter().copied().max().filter(|&c| c > 0)?;
    let tied: Vec<i32> = OFFSETS
        .zip(counts.iter().copied())
        .filter(|&(_, c)| c.saturating_mul(1000) >= best.saturating_mul(1000 - TIE_PER_MILLE))
        .map(|(h, _)| h)
        .collect();
    tied.get(tied.len() / 2).map(|&h| f64::from(h))
}

fn hours(t: Micros) -> f64 {
    t as f64 / HOUR as f64
}

/// The `interactive_use` signal when the sessions (the group's connections with a known end, any
/// order) are long, carry bytes both ways and open and close inside working hours on working
/// days, in data that covers time outside working hours too ([`MIN_OUTSIDE`]). The caller has
/// already found the timing irregular (no beacon signal).
pub fn score_interactive(
    sessions: &[ConnSpan],
    data: Option<Span>,
    cfg: &InteractiveConfig,
    zone: &LocalZone,
    w: &Weights,
) -> Option<Signal> {
    let offset = zone.offset_hours;
    if sessions.len() < cfg.min_sessions.max(1) || !cfg.covers_off_hours_in(data?, offset) {
        return None;
    }
    let n = sessions.len() as f64;
    let mut lengths: Vec<Micros> = sessions
        .iter()
        .map(|s| s.end.saturating_sub(s.start).max(0))
        .collect();
    lengths.sort_unstable();
    let median = lengths.get(lengths.len() / 2).copied().unwrap_or(0);
    if (median as f64) < cfg.min_session_minutes * 60.0 * SECOND as f64 {
        return None;
    }
    let both = sessions.iter().filter(|s| s.both_ways).count() as f64 / n;
    if both < cfg.min_share {
        return None;
    }
    let inside = sessions
        .iter()
        .map(|s| {
            usize::from(cfg.is_working_time_in(s.start, offset))
                + usize::from(cfg.is_working_time_in(s.end, offset))
        })
        .sum::<usize>() as f64
        / (2.0 * n);
    if inside < cfg.min_share {
        return None;
    }
    Some(Signal::new(
        SignalId::InteractiveUse,
        w.interactive_use,
        format!(
            "{} sessions with a median length of {:.1} h, {:.0} % answered both ways, {:.0} % \
             of their openings and closings on weekdays {:02}:00–{:02}:00 {} and no regular \
             timing: how people use chat and developer tools, not a machine timer",
            sessions.len(),
            hours(median),
            both * 100.0,
            inside * 100.0,
            cfg.work_start_hour,
            cfg.work_end_hour,
            zone.describe()
        ),
    ))
}

/// Why a daily connection "timer" is a working day's rhythm, when the source records only when
/// connections opened (Sysmon network events, firewall session starts): at least
/// `min_sessions` openings, `min_share` of them in working hours on working days, in data that
/// covers time outside working hours (so openings could have been seen there). A machine timer of
/// a day fires at night and at weekends as readily as in office hours; a person opening a chat
/// client each morning does not. Without session ends nothing says the sessions were used by a
/// person, so this only takes back the timer, it credits nothing (the caller decides).
pub fn working_day_rhythm(
    starts: &[Micros],
    data: Option<Span>,
    cfg: &InteractiveConfig,
    zone: &LocalZone,
) -> Option<String> {
    let offset = zone.offset_hours;
    if starts.len() < cfg.min_sessions.max(1) || !cfg.covers_off_hours_in(data?, offset) {
        return None;
    }
    let inside = starts
        .iter()
        .filter(|&&t| cfg.is_working_time_in(t, offset))
        .count();
    let share = inside as f64 / starts.len() as f64;
    (share >= cfg.min_share).then(|| {
        format!(
            "its {} connections open about daily, {:.0} % of them on weekdays {:02}:00–{:02}:00 {}: \
             a person starting the working day, not a timer (the source records no session \
             ends, so nothing is credited as interactive use)",
            starts.len(),
            share * 100.0,
            cfg.work_start_hour,
            cfg.work_end_hour,
            zone.describe()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2024-03-04T00:00:00Z, a Monday.
    const MONDAY: Micros = 1_709_510_400 * SECOND;

    fn at(day: i64, hour: f64) -> Micros {
        MONDAY + day * DAY + (hour * HOUR as f64) as Micros
    }

    fn session(day: i64, from: f64, to: f64) -> ConnSpan {
        ConnSpan {
            start: at(day, from),
            end: at(day, to),
            both_ways: true,
        }
    }

    fn utc() -> LocalZone {
        InteractiveConfig::default().configured_zone()
    }

    fn week() -> Option<Span> {
        Some(Span {
            first: at(0, 0.0),
            last: at(7, 0.0),
        })
    }

    #[test]
    fn daily_openings_in_working_hours_are_a_working_day_not_a_timer() {
        let cfg = InteractiveConfig::default();
        // Monday to Friday at about 08:30.
        let mornings: Vec<Micros> = (0..5).map(|d| at(d, 8.5 + d as f64 * 0.05)).collect();
        let why = working_day_rhythm(&mornings, week(), &cfg, &utc()).unwrap();
        assert!(why.contains("5 connections"), "{why}");
        // A daily timer that also fires at the weekend, or at night, is a timer.
        let every_day: Vec<Micros> = (0..7).map(|d| at(d, 8.5)).collect();
        assert_eq!(working_day_rhythm(&every_day, week(), &cfg, &utc()), None);
        let nights: Vec<Micros> = (0..5).map(|d| at(d, 2.0)).collect();
        assert_eq!(working_day_rhythm(&nights, week(), &cfg, &utc()), None);
        // Judged in the site's zone: the same mornings seen from UTC−8 are at night.
        let east = LocalZone {
            offset_hours: -8.0,
            basis: ZoneBasis::Configured,
        };
        assert_eq!(working_day_rhythm(&mornings, week(), &cfg, &east), None);
        // Data inside working hours only cannot tell.
        let office = Some(Span {
            first: at(0, 8.0),
            last: at(0, 17.0),
        });
        assert_eq!(working_day_rhythm(&mornings, office, &cfg, &utc()), None);
        // Too few openings to judge.
        assert_eq!(
            working_day_rhythm(&mornings[..2], week(), &cfg, &utc()),
            None
        );
    }

    /// A chat client over a working week: opened in the morning, reconnected over lunch, closed
    /// in the evening, never at the same minute.
    fn chat() -> Vec<ConnSpan> {
        (0..5)
            .flat_map(|d| {
                let j = d as f64 * 0.13;
                [
                    session(d, 8.2 + j, 12.1 + j),
                    session(d, 12.9 - j, 17.4 + j),
                ]
            })
            .collect()
    }

    #[test]
    fn working_hours_sessions_are_interactive() {
        let w = Weights::default();
        let s =
            score_interactive(&chat(), week(), &InteractiveConfig::default(), &utc(), &w).unwrap();
        assert_eq!(s.id, SignalId::InteractiveUse);
        assert_eq!(s.weight, w.interactive_use);
        assert!(s.weight < 0.0);
        assert!(s.reason.starts_with("10 sessions"), "{}", s.reason);
        assert!(s.reason.contains("100 % of their openings"), "{}", s.reason);
        assert!(s.reason.contains("06:00–20:00 UTC"), "{}", s.reason);
    }

    #[test]
    fn nights_weekends_short_or_one_way_sessions_are_not() {
        let w = Weights::default();
        let cfg = InteractiveConfig::default();
        // Around the clock: a machine.
        let clock: Vec<ConnSpan> = (0..28)
            .map(|i| {
                session(
                    i / 4,
                    (i % 4) as f64 * 6.0 + 0.5,
                    (i % 4) as f64 * 6.0 + 5.5,
                )
            })
            .collect();
        assert!(score_interactive(&clock, week(), &cfg, &cfg.configured_zone(), &w).is_none());
        // Saturday and Sunday.
        let weekend: Vec<ConnSpan> = (5..7)
            .flat_map(|d| [session(d, 9.0, 12.0), session(d, 13.0, 17.0)])
            .collect();
        assert!(score_interactive(&weekend, week(), &cfg, &cfg.configured_zone(), &w).is_none());
        // Short connections: check-ins, not sessions.
        let short: Vec<ConnSpan> = (0..5).map(|d| session(d, 10.0, 10.05)).collect();
        assert!(score_interactive(&short, week(), &cfg, &cfg.configured_zone(), &w).is_none());
        // Bytes one way only.
        let one_way: Vec<ConnSpan> = chat()
            .into_iter()
            .map(|s| ConnSpan {
                both_ways: false,
                ..s
            })
            .collect();
        assert!(score_interactive(&one_way, week(), &cfg, &cfg.configured_zone(), &w).is_none());
        // Too few sessions, or data that never leaves working hours.
        assert!(
            score_interactive(&chat()[..2], week(), &cfg, &cfg.configured_zone(), &w).is_none()
        );
        let office = Span {
            first: at(0, 7.0),
            last: at(0, 19.0),
        };
        assert!(!cfg.covers_off_hours(office));
        assert!(
            score_interactive(&chat(), Some(office), &cfg, &cfg.configured_zone(), &w).is_none()
        );
        // One calendar day from midnight covers the night around it.
        let day = Span {
            first: at(0, 0.0),
            last: at(0, 23.9),
        };
        assert!(cfg.covers_off_hours(day));
        assert!(score_interactive(&chat(), Some(day), &cfg, &cfg.configured_zone(), &w).is_some());
        assert!(score_interactive(&chat(), None, &cfg, &cfg.configured_zone(), &w).is_none());
    }

    #[test]
    fn a_conversation_is_answered_in_proportion() {
        // Chat and a developer's worker: both ways, either way heavier.
        assert!(answered(7_891, 7_814));
        assert!(answered(1_431, 3_771));
        assert!(answered(400, 90_000));
        assert!(answered(4_000, 1_000), "a quarter is enough");
        // An implant's check-ins over a held session: acknowledgements back.
        assert!(!answered(85_925, 2_233));
        assert!(!answered(4_001, 1_000));
        // Nothing one way, or nothing at all.
        assert!(!answered(5_000, 0));
        assert!(!answered(0, 5_000));
        assert!(!answered(0, 0));
        assert!(answered(u64::MAX, u64::MAX), "no overflow");
    }

    #[test]
    fn the_site_offset_moves_working_hours() {
        let w = Weights::default();
        // Sessions 09:00–17:00 in UTC+8 are 01:00–09:00 UTC.
        let asia: Vec<ConnSpan> = (0..5).map(|d| session(d, 1.0, 9.0)).collect();
        assert!(
            score_interactive(&asia, week(), &InteractiveConfig::default(), &utc(), &w).is_none()
        );
        let cfg = InteractiveConfig {
            utc_offset_hours: Some(8.0),
            ..InteractiveConfig::default()
        };
        let s = score_interactive(&asia, week(), &cfg, &cfg.configured_zone(), &w).unwrap();
        assert!(s.reason.contains("UTC+8"), "{}", s.reason);
        // Monday 01:00 in UTC-5 is still Sunday evening.
        let west = InteractiveConfig {
            utc_offset_hours: Some(-5.0),
            ..InteractiveConfig::default()
        };
        assert!(!west.is_working_time(at(0, 1.0)));
        assert!(west.is_working_time(at(0, 14.0)));
        assert!(!west.is_working_time(at(5, 14.0)), "Saturday");
    }

    #[test]
    fn the_offset_is_inferred_from_when_connections_open_and_close() {
        let cfg = InteractiveConfig::default();
        // Office hours 09:00–17:00 in UTC+8 are 01:00–09:00 UTC.
        let asia: Vec<Micros> = (0..5)
            .flat_map(|d| [at(d, 1.0 + d as f64 * 0.1), at(d, 9.0 - d as f64 * 0.1)])
            .collect();
        assert_eq!(infer_offset(&working_counts(&cfg, asia.clone())), Some(8.0));
        let zone = LocalZone {
            offset_hours: 8.0,
            basis: ZoneBasis::Site(asia.len()),
        };
        let sessions: Vec<ConnSpan> = (0..5).map(|d| session(d, 1.0, 9.0)).collect();
        let s = score_interactive(&sessions, week(), &cfg, &zone, &Weights::default()).unwrap();
        assert!(
            s.reason.contains("UTC+8 (the site's local time"),
            "{}",
            s.reason
        );
        // A timer around the clock has no offset that puts it in working hours.
        let clock: Vec<Micros> = (0..7 * 24).map(|h| at(0, h as f64 + 0.3)).collect();
        let counts = working_counts(&cfg, clock.clone());
        let best = counts.iter().copied().max().unwrap();
        assert!(
            (best as f64) < 0.5 * clock.len() as f64,
            "{best} of {}",
            clock.len()
        );
        assert_eq!(infer_offset(&working_counts(&cfg, [])), None);
    }

    #[test]
    fn near_ties_at_the_edge_of_the_band_count_as_ties() {
        // Offsets -12..=14; a plateau over -1..=1 whose exact maximum sits at its edge.
        let mut counts = vec![100usize; 27];
        counts[11] = 225_436; // -1
        counts[12] = 225_299; // 0
        counts[13] = 224_400; // +1
        counts[14] = 200_000; // +2
        assert_eq!(infer_offset(&counts), Some(0.0));
        // A clear maximum stands alone.
        counts[11] = 240_000;
        assert_eq!(infer_offset(&counts), Some(-1.0));
        assert_eq!(infer_offset(&[0; 27]), None);
        assert_eq!(infer_offset(&[usize::MAX; 27]), Some(1.0), "no overflow");
    }

    #[test]
    fn settings_are_checked() {
        assert!(InteractiveConfig::default().check().is_ok());
        for bad in [
            InteractiveConfig {
                utc_offset_hours: Some(15.0),
                ..Default::default()
            },
            InteractiveConfig {
                utc_offset_hours: Some(f64::NAN),
                ..Default::default()
            },
            InteractiveConfig {
                work_start_hour: 20.0,
                work_end_hour: 6.0,
                ..Default::default()
            },
            InteractiveConfig {
                min_share: 1.5,
                ..Default::default()
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_offset_is_a_configuration_key() {
        use crate::config::HuntConfig;
        let c =
            HuntConfig::from_toml_str("[behaviour.interactive]\nutc_offset_hours = 5.5").unwrap();
        assert_eq!(c.behaviour.interactive.utc_offset_hours, Some(5.5));
        assert_eq!(c.behaviour.interactive.work_start_hour, 6.0);
        assert!(
            HuntConfig::from_toml_str("[behaviour.interactive]\nutc_offset_hours = 15").is_err()
        );
        assert!(HuntConfig::from_toml_str("[behaviour.interactive]\nutc_ofset_hours = 1").is_err());
    }

    proptest! {
        #[test]
        fn never_panics_and_needs_enough_sessions(
            raw in proptest::collection::vec((any::<i64>(), any::<i64>(), any::<bool>()), 0..40),
            first in any::<i64>(), len in any::<i64>(), offset in -20.0f64..20.0,
        ) {
            let sessions: Vec<ConnSpan> = raw
                .iter()
                .map(|&(start, end, both_ways)| ConnSpan { start, end, both_ways })
                .collect();
            let data = Some(Span { first, last: first.saturating_add(len) });
            let cfg = InteractiveConfig { utc_offset_hours: Some(offset), ..Default::default() };
            if score_interactive(&sessions, data, &cfg, &cfg.configured_zone(), &Weights::default()).is_some() {
                prop_assert!(sessions.len() >= cfg.min_sessions);
            }
        }
    }
}
