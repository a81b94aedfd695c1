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
    /// Both byte counts are known and the session was not answered ([`answered`]) though the
    /// initiator sent something: an upload answered with acknowledgements. Unknown counts are
    /// neither this nor `both_ways`.
    pub unanswered: bool,
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

/// Least length of a session judged for its answers: a held session, not a check-in.
pub const MIN_UPLOAD_SESSION: Micros = 5 * 60 * 1_000_000;
/// Fewest such sessions judged, unless one was held at least [`LONE_UPLOAD_SESSION`].
pub const MIN_UPLOAD_SESSIONS: usize = 2;
/// Least length of a lone held session judged on its own: an hour, a standing channel.
pub const LONE_UPLOAD_SESSION: Micros = 3600 * 1_000_000;

/// `unanswered_uploads` when a host the census shows doing other work held at least
/// [`MIN_UPLOAD_SESSIONS`] sessions of at least [`MIN_UPLOAD_SESSION`] with the channel's
/// (external) service, or one of at least [`LONE_UPLOAD_SESSION`], and in more than half of them
/// it sent and was sent back less than a quarter of it (`ConnSpan::unanswered`): an upload
/// answered with acknowledgements, as an implant streams what it collects. People's chat
/// receives messages as it sends them and a developer's worker consumes as it publishes; a
/// device uploading its readings is a device, not a busy host, and is not judged.
pub fn score_unanswered_uploads(sessions: &[ConnSpan], port: u16, w: &Weights) -> Option<Signal> {
    let held: Vec<&ConnSpan> = sessions
        .iter()
        .filter(|s| s.end.saturating_sub(s.start) >= MIN_UPLOAD_SESSION)
        .collect();
    let unanswered = held.iter().filter(|s| s.unanswered).count();
    let lone_standing = held.len() == 1
        && held
            .iter()
            .all(|s| s.end.saturating_sub(s.start) >= LONE_UPLOAD_SESSION);
    if (held.len() < MIN_UPLOAD_SESSIONS && !lone_standing) || 2 * unanswered <= held.len() {
        return None;
    }
    let what = if lone_standing {
        "held one session of an hour or more".to_string()
    } else {
        format!("held {} sessions of 5 minutes or more", held.len())
    };
    Some(Signal::new(
        SignalId::UnansweredUploads,
        w.unanswered_uploads,
        format!(
            "the host, whose other traffic in the same input shows other work, {what} with this \
             service (port {port}), and in {unanswered} of {} the server sent back less than a \
             quarter of what it was sent: an upload answered with acknowledgements, as an \
             implant streams what it collects, where people's chat and developers' tools are \
             answered",
            if lone_standing { "it" } else { "them" }
        ),
    ))
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
    /// Share of sessions that must carry bytes both ways, and share of a daily timer's openings
    /// and closings that must fall in working hours on working days.
    pub min_share: f64,
    /// Share of the openings and closings of a channel without a timer that must fall in working
    /// hours on working days: people also work the odd evening or weekend, and a machine timer
    /// spread over the clock puts about 40 % of its connections there.
    pub min_working_share: f64,
    /// Fewest sessions (connections with a known end) judged. Two: a developer tries a hosted
    /// broker once in the morning and once in the afternoon of a day's log; each session must
    /// still be long, answered, and opened and closed inside one working day.
    pub min_sessions: usize,
    /// Least median session length, in minutes: a session, not a check-in (seconds).
    pub min_session_minutes: f64,
}

impl Default for InteractiveConfig {
    fn default() -> Self {
        InteractiveConfig {
            utc_offset_hours: None,
            work_start_hour: 6.0,
            work_end_hour: 20.0,
            min_share: 0.9,
            min_working_share: 0.8,
            min_sessions: 2,
            min_session_minutes: 5.0,
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
        for (name, share) in [
            ("min_share", self.min_share),
            ("min_working_share", self.min_working_share),
        ] {
            if !(0.0..=1.0).contains(&share) {
                return Err(format!(
                    "behaviour.interactive.{name} must be between 0 and 1, not {share}"
                ));
            }
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
        let local = local_time(t, offset_hours);
        let day = local.div_euclid(DAY);
        // 1970-01-01 was a Thursday: day 0 is weekday 3 counting Monday as 0.
        let weekday = (day + 3).rem_euclid(7);
        let hour = local.rem_euclid(DAY) as f64 / HOUR as f64;
        weekday < 5 && hour >= self.work_start_hour && hour < self.work_end_hour
    }

    /// Whether two instants (UTC) fall on the same local day at `offset_hours` from UTC.
    /// Working hours lie inside one day, so a session opened and closed in them on the same day
    /// was never open outside them; closed on a later day, it was held through a night.
    pub fn same_local_day(&self, a: Micros, b: Micros, offset_hours: f64) -> bool {
        let day = |t: Micros| local_time(t, offset_hours).div_euclid(DAY);
        day(a) == day(b)
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

/// An instant (UTC) shifted to local time at `offset_hours` from UTC (clamped to the zones
/// that exist; UTC when not a number).
fn local_time(t: Micros, offset_hours: f64) -> Micros {
    let h = if offset_hours.is_finite() {
        offset_hours.clamp(-14.0, 14.0)
    } else {
        0.0
    };
    t.saturating_add((h * HOUR as f64) as Micros)
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
/// already found the timing irregular (no beacon signal), or `daily`: on a timer of a day or
/// more, which must then keep to working days more strictly (`min_share`, not
/// `min_working_share`): a daily implant run Monday to Saturday puts 86 % of its openings there.
pub fn score_interactive(
    sessions: &[ConnSpan],
    data: Option<Span>,
    cfg: &InteractiveConfig,
    zone: &LocalZone,
    w: &Weights,
    daily: bool,
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
    let median = super::device::median_length(&mut lengths).unwrap_or(0);
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
                + usize::from(
                    cfg.is_working_time_in(s.end, offset)
                        && cfg.same_local_day(s.start, s.end, offset),
                )
        })
        .sum::<usize>() as f64
        / (2.0 * n);
    let least = if daily {
        cfg.min_share
    } else {
        cfg.min_working_share
    };
    if inside < least {
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

/// Fewest openings a daily rhythm is judged on: two are one interval, not a rhythm.
pub const MIN_RHYTHM_OPENINGS: usize = 3;

/// Why a daily connection "timer" is a working day's rhythm, when the source records only when
/// connections opened (Sysmon network events, firewall session starts): at least
/// `min_sessions` openings and [`MIN_RHYTHM_OPENINGS`], `min_share` of them in working hours on
/// working days, in data that covers time outside working hours (so openings could have been
/// seen there). A machine timer of
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
    if starts.len() < cfg.min_sessions.max(MIN_RHYTHM_OPENINGS)
        || !cfg.covers_off_hours_in(data?, offset)
    {
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
#[path = "interactive_tests.rs"]
mod tests;
