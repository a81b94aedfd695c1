//! Tests of interactive use and working hours: sessions against timers, answered sessions, the
//! daily rhythm on starts alone, and the site offset and its inference.

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
        unanswered: false,
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
    let s = score_interactive(
        &chat(),
        week(),
        &InteractiveConfig::default(),
        &utc(),
        &w,
        false,
    )
    .unwrap();
    assert_eq!(s.id, SignalId::InteractiveUse);
    assert_eq!(s.weight, w.interactive_use);
    assert!(s.weight < 0.0);
    assert!(s.reason.starts_with("10 sessions"), "{}", s.reason);
    assert!(s.reason.contains("100 % of their openings"), "{}", s.reason);
    assert!(s.reason.contains("06:00–20:00 UTC"), "{}", s.reason);
}

#[test]
fn a_working_week_with_a_sunday_afternoon_is_people_but_not_a_daily_timers_excuse() {
    let w = Weights::default();
    let cfg = InteractiveConfig::default();
    // A developer's worker over a week: ten weekday sessions and two on Sunday afternoon
    // (20 of 24 openings and closings on working days: 83 %).
    let mut week_and_sunday = chat();
    week_and_sunday.extend([session(6, 14.4, 14.9), session(6, 15.3, 16.1)]);
    assert!(score_interactive(&week_and_sunday, week(), &cfg, &utc(), &w, false).is_some());
    // The same openings as a daily timer's need 90 %: a daily implant run Monday to Saturday
    // would pass at 86 %.
    assert!(score_interactive(&week_and_sunday, week(), &cfg, &utc(), &w, true).is_none());
    // Without the Sunday, both pass.
    assert!(score_interactive(&chat(), week(), &cfg, &utc(), &w, true).is_some());
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
    assert!(score_interactive(&clock, week(), &cfg, &cfg.configured_zone(), &w, false).is_none());
    // Saturday and Sunday.
    let weekend: Vec<ConnSpan> = (5..7)
        .flat_map(|d| [session(d, 9.0, 12.0), session(d, 13.0, 17.0)])
        .collect();
    assert!(score_interactive(&weekend, week(), &cfg, &cfg.configured_zone(), &w, false).is_none());
    // Short connections: check-ins, not sessions (3 minutes each).
    let short: Vec<ConnSpan> = (0..5).map(|d| session(d, 10.0, 10.05)).collect();
    assert!(score_interactive(&short, week(), &cfg, &cfg.configured_zone(), &w, false).is_none());
    // A developer's runs against a hosted broker, 2 to 34 minutes (median about 10), are
    // sessions: they were below a 10-minute median.
    let runs: Vec<ConnSpan> = [2.3, 13.8, 5.6, 26.8, 33.7, 2.9, 9.6]
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let from = 9.0 + (i % 3) as f64 * 2.5;
            session(i as i64 % 5, from, from + m / 60.0)
        })
        .collect();
    assert!(score_interactive(&runs, week(), &cfg, &cfg.configured_zone(), &w, false).is_some());
    // Bytes one way only.
    let one_way: Vec<ConnSpan> = chat()
        .into_iter()
        .map(|s| ConnSpan {
            both_ways: false,
            ..s
        })
        .collect();
    assert!(score_interactive(&one_way, week(), &cfg, &cfg.configured_zone(), &w, false).is_none());
    // Too few sessions, or data that never leaves working hours.
    assert!(
        score_interactive(
            &chat()[..1],
            week(),
            &cfg,
            &cfg.configured_zone(),
            &w,
            false
        )
        .is_none()
    );
    let office = Span {
        first: at(0, 7.0),
        last: at(0, 19.0),
    };
    assert!(!cfg.covers_off_hours(office));
    assert!(
        score_interactive(
            &chat(),
            Some(office),
            &cfg,
            &cfg.configured_zone(),
            &w,
            false
        )
        .is_none()
    );
    // One calendar day from midnight covers the night around it.
    let day = Span {
        first: at(0, 0.0),
        last: at(0, 23.9),
    };
    assert!(cfg.covers_off_hours(day));
    assert!(
        score_interactive(&chat(), Some(day), &cfg, &cfg.configured_zone(), &w, false).is_some()
    );
    assert!(score_interactive(&chat(), None, &cfg, &cfg.configured_zone(), &w, false).is_none());
}

#[test]
fn two_sessions_of_a_working_day_are_interactive_unless_one_was_held_overnight() {
    let w = Weights::default();
    let cfg = InteractiveConfig::default();
    let day = Some(Span {
        first: at(0, 0.0),
        last: at(0, 23.9),
    });
    // A developer on a hosted broker in a day's log: 13:00 for 3 minutes, 16:42 for 21.
    let developer = [session(0, 13.0, 13.05), session(0, 16.7, 17.05)];
    let s = score_interactive(&developer, day, &cfg, &utc(), &w, false).unwrap();
    assert!(s.reason.starts_with("2 sessions"), "{}", s.reason);
    // An implant on a camera: its session reset in the afternoon and reopened at 18:43, still
    // open at 08:00 the next morning. All four instants fall in working hours, but the second
    // session was held through the night: its closing is not a person's.
    let two_days = Some(Span {
        first: at(0, 0.0),
        last: at(1, 8.0),
    });
    let camera = [
        session(0, 13.5, 18.75),
        ConnSpan {
            end: at(1, 8.0),
            ..session(0, 18.72, 18.72)
        },
    ];
    assert!(score_interactive(&camera, two_days, &cfg, &utc(), &w, false).is_none());
    assert!(cfg.same_local_day(at(0, 6.0), at(0, 19.9), 0.0));
    assert!(!cfg.same_local_day(at(0, 18.72), at(1, 8.0), 0.0));
    // Local days: 23:00 and 01:00 UTC are one day at UTC−3, two at UTC.
    assert!(cfg.same_local_day(at(0, 23.0), at(1, 1.0), -3.0));
    assert!(!cfg.same_local_day(at(0, 23.0), at(1, 1.0), 0.0));
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
        score_interactive(
            &asia,
            week(),
            &InteractiveConfig::default(),
            &utc(),
            &w,
            false
        )
        .is_none()
    );
    let cfg = InteractiveConfig {
        utc_offset_hours: Some(8.0),
        ..InteractiveConfig::default()
    };
    let s = score_interactive(&asia, week(), &cfg, &cfg.configured_zone(), &w, false).unwrap();
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
    let s = score_interactive(&sessions, week(), &cfg, &zone, &Weights::default(), false).unwrap();
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
    let c = HuntConfig::from_toml_str("[behaviour.interactive]\nutc_offset_hours = 5.5").unwrap();
    assert_eq!(c.behaviour.interactive.utc_offset_hours, Some(5.5));
    assert_eq!(c.behaviour.interactive.work_start_hour, 6.0);
    assert!(HuntConfig::from_toml_str("[behaviour.interactive]\nutc_offset_hours = 15").is_err());
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
            .map(|&(start, end, both_ways)| ConnSpan { start, end, both_ways, unanswered: false })
            .collect();
        let data = Some(Span { first, last: first.saturating_add(len) });
        let cfg = InteractiveConfig { utc_offset_hours: Some(offset), ..Default::default() };
        if score_interactive(&sessions, data, &cfg, &cfg.configured_zone(), &Weights::default(), false).is_some() {
            prop_assert!(sessions.len() >= cfg.min_sessions);
        }
    }
}

fn upload(start_min: i64, len_min: i64, unanswered: bool) -> ConnSpan {
    ConnSpan {
        start: start_min * 60_000_000,
        end: (start_min + len_min) * 60_000_000,
        both_ways: !unanswered,
        unanswered,
    }
}

#[test]
fn held_uploads_answered_with_acknowledgements_are_an_implants() {
    let w = Weights::default();
    let uploads = [
        upload(0, 300, true),
        upload(400, 200, true),
        upload(700, 60, false),
    ];
    let s = score_unanswered_uploads(&uploads, 1883, &w).expect("unanswered");
    assert_eq!(s.id, SignalId::UnansweredUploads);
    assert_eq!(s.weight, w.unanswered_uploads);
    assert!(s.reason.contains("held 3 sessions"), "{}", s.reason);
    assert!(s.reason.contains("in 2 of them"), "{}", s.reason);
    // Half answered is a conversation as much as an upload.
    let half = [upload(0, 300, true), upload(400, 200, false)];
    assert!(score_unanswered_uploads(&half, 1883, &w).is_none());
    // One session under an hour, or check-ins over in seconds, say nothing of how a service
    // is used; one held for hours does.
    assert!(score_unanswered_uploads(&[upload(0, 30, true)], 1883, &w).is_none());
    let lone = score_unanswered_uploads(&[upload(0, 300, true)], 1883, &w).expect("lone");
    assert!(
        lone.reason.contains("held one session of an hour or more"),
        "{}",
        lone.reason
    );
    assert!(score_unanswered_uploads(&[upload(0, 300, false)], 1883, &w).is_none());
    let check_ins: Vec<ConnSpan> = (0..20).map(|i| upload(i * 10, 0, true)).collect();
    assert!(score_unanswered_uploads(&check_ins, 1883, &w).is_none());
    // Unknown byte counts are neither answered nor unanswered.
    let unknown: Vec<ConnSpan> = uploads
        .iter()
        .map(|s| ConnSpan {
            both_ways: false,
            unanswered: false,
            ..*s
        })
        .collect();
    assert!(score_unanswered_uploads(&unknown, 1883, &w).is_none());
}
