//! Tests of a partition's windows: when they close, what they rate (the batch engine over the
//! same records), which offset is safe to commit and how replayed and late records are told
//! apart.

use super::*;
use pubsub_hunt_core::{ConnEvent, HuntConfig};
use std::net::IpAddr;

const SEC: Micros = 1_000_000;
const HOUR: Micros = 3600 * SEC;

fn policy() -> WindowPolicy {
    WindowPolicy {
        len: HOUR,
        lateness: 60 * SEC,
        idle_close: None,
        max_open: 4,
    }
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// An MQTT connection from `src` to an external broker at `ts`.
fn mqtt(src: &str, ts: Micros) -> Record {
    let mut ev = ConnEvent::tcp(ip(src), ip("198.51.100.20"), 1883);
    ev.ts = Some(ts);
    Record::Conn(Box::new(ev))
}

fn state() -> PartitionState {
    PartitionState::new(Arc::from("t/0"), policy(), None)
}

#[test]
fn a_window_closes_once_event_time_passes_its_end_and_lateness() {
    let engine = Engine::new(HuntConfig::default());
    let names = Accumulator::new();
    let mut names_in = Accumulator::new();
    let mut s = state();
    let t0 = 10 * HOUR;
    for (i, off) in (0..4).zip(100..) {
        s.observe(
            &engine,
            off,
            mqtt("10.0.0.5", t0 + i * 60 * SEC),
            &mut names_in,
        );
    }
    let now = Instant::now();
    assert!(s.close_due(&engine, &names, now, false).is_empty());
    // Into the next window, but not past the lateness.
    s.observe(
        &engine,
        104,
        mqtt("10.0.0.6", t0 + HOUR + 30 * SEC),
        &mut names_in,
    );
    assert!(s.close_due(&engine, &names, now, false).is_empty());
    assert_eq!(s.commit_point(), Some(100));
    s.observe(
        &engine,
        105,
        mqtt("10.0.0.6", t0 + HOUR + 61 * SEC),
        &mut names_in,
    );
    let closed = s.close_due(&engine, &names, now, false);
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].index, 10);
    assert_eq!(closed[0].start, t0);
    // The batch engine over the same four records: the same alerts.
    let mut acc = Accumulator::new();
    for i in 0..4 {
        if let Record::Conn(mut ev) = mqtt("10.0.0.5", t0 + i * 60 * SEC) {
            ev.origin = Some(RecordRef {
                file: Arc::from("t/0"),
                line: 100 + i as u64,
            });
            engine.observe(&ev, &mut acc);
        }
    }
    let (batch, _) = engine.finish(acc);
    assert!(!batch.is_empty(), "the planted channel must alert");
    let ids = |v: &[Alert]| v.iter().map(|a| a.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&closed[0].alerts), ids(&batch));
    assert_eq!(closed[0].alerts, batch);
    // Window 11 stays open: its first record (offset 104) is where a replay must start.
    assert_eq!(s.commit_point(), Some(104));
    assert_eq!(s.metadata(), format_metadata(HOUR, Some(10)));
    // A record of window 10 now is late.
    s.observe(&engine, 106, mqtt("10.0.0.5", t0 + 5 * SEC), &mut names_in);
    assert_eq!(s.counters.late, 1);
    assert_eq!(s.counters.replayed, 0);
}

#[test]
fn replayed_records_of_reported_windows_are_not_rated_again() {
    let engine = Engine::new(HuntConfig::default());
    let names = Accumulator::new();
    let mut n = Accumulator::new();
    let restored = parse_metadata(&format_metadata(HOUR, Some(10)), HOUR);
    assert_eq!(restored, Some(10));
    let mut s = PartitionState::new(Arc::from("t/0"), policy(), restored);
    s.observe(&engine, 7, mqtt("10.0.0.5", 10 * HOUR + SEC), &mut n);
    s.observe(&engine, 8, mqtt("10.0.0.5", 11 * HOUR + SEC), &mut n);
    assert_eq!(s.counters.replayed, 1);
    assert_eq!(s.counters.late, 0);
    assert_eq!(s.open_windows(), 1);
    assert_eq!(s.commit_point(), Some(8));
    // Everything closes when asked to (the member leaves a drained topic).
    let closed = s.close_due(&engine, &names, Instant::now(), true);
    assert_eq!(closed.iter().map(|c| c.index).collect::<Vec<_>>(), vec![11]);
    assert_eq!(s.commit_point(), Some(9));
}

#[test]
fn metadata_of_another_window_length_or_tool_is_ignored() {
    assert_eq!(
        parse_metadata(&format_metadata(HOUR, Some(3)), 2 * HOUR),
        None
    );
    assert_eq!(parse_metadata(&format_metadata(HOUR, None), HOUR), None);
    assert_eq!(parse_metadata("", HOUR), None);
    assert_eq!(
        parse_metadata("someone else's window=3600000000 closed=4", HOUR),
        None
    );
    assert_eq!(
        parse_metadata("pubsub-hunt/1 window=x closed=4", HOUR),
        None
    );
    assert_eq!(
        parse_metadata("pubsub-hunt/1 window=3600000000 closed=-2", HOUR),
        Some(-2)
    );
}

#[test]
fn too_many_open_windows_close_the_oldest_and_idle_partitions_close() {
    let engine = Engine::new(HuntConfig::default());
    let names = Accumulator::new();
    let mut n = Accumulator::new();
    let mut p = policy();
    p.idle_close = Some(Duration::from_secs(30));
    p.lateness = 1000 * HOUR;
    let mut s = PartitionState::new(Arc::from("t/0"), p, None);
    for w in 0..6 {
        s.observe(&engine, w, mqtt("10.0.0.5", w * HOUR), &mut n);
    }
    let now = Instant::now();
    let closed = s.close_due(&engine, &names, now, false);
    assert_eq!(
        closed.iter().map(|c| c.index).collect::<Vec<_>>(),
        vec![0, 1]
    );
    assert_eq!(s.counters.windows_forced, 2);
    assert_eq!(s.open_windows(), 4);
    let closed = s.close_due(&engine, &names, now + Duration::from_secs(31), false);
    assert_eq!(closed.len(), 4);
    assert_eq!(s.open_windows(), 0);
    assert_eq!(s.commit_point(), Some(6));
}

#[test]
fn records_without_time_or_a_window_are_counted_and_malformed_ones_advance_the_offset() {
    let engine = Engine::new(HuntConfig::default());
    let mut n = Accumulator::new();
    let mut s = state();
    s.observe(
        &engine,
        0,
        Record::Conn(Box::new(ConnEvent::tcp(
            ip("10.0.0.5"),
            ip("198.51.100.20"),
            1883,
        ))),
        &mut n,
    );
    s.observe(&engine, 1, Record::Other, &mut n);
    s.malformed(2);
    assert_eq!(s.counters.no_timestamp, 1);
    assert_eq!(s.counters.other, 1);
    assert_eq!(s.counters.malformed, 1);
    assert_eq!(s.counters.records, 3);
    assert_eq!(s.open_windows(), 0);
    // Nothing is open: everything read so far may be committed.
    assert_eq!(s.commit_point(), Some(3));
}

/// A history source that hands out `History` as given and notes the keys each window asked for.
struct Recorded {
    history: Result<pubsub_hunt_core::prior::History, String>,
    asked: std::sync::Mutex<Vec<pubsub_hunt_core::prior::HistoryKeys>>,
}

impl PriorSource for Recorded {
    fn load_for(
        &self,
        keys: &pubsub_hunt_core::prior::HistoryKeys,
    ) -> Result<pubsub_hunt_core::prior::History, String> {
        if let Ok(mut asked) = self.asked.lock() {
            asked.push(keys.clone());
        }
        self.history.clone()
    }
}

#[test]
fn each_window_reads_the_history_for_its_own_groups_and_a_failed_read_stops_the_rating() {
    let engine = Engine::new(HuntConfig::default());
    let names = Accumulator::new();
    let mut names_in = Accumulator::new();
    let t0 = 10 * HOUR;
    let fill = |s: &mut PartitionState, names_in: &mut Accumulator| {
        for (i, off) in (0..4).zip(100..) {
            s.observe(&engine, off, mqtt("10.0.0.5", t0 + i * 60 * SEC), names_in);
        }
    };
    let source = Recorded {
        history: Ok(Default::default()),
        asked: Default::default(),
    };
    let mut s = state();
    fill(&mut s, &mut names_in);
    let closed = s
        .close_due_judged(&engine, &names, Instant::now(), true, Some(&source))
        .unwrap();
    assert_eq!(closed.len(), 1);
    let asked = source.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1, "one read per window rated");
    let broker: (IpAddr, u16) = (ip("198.51.100.20"), 1883);
    assert_eq!(
        asked[0].destinations.iter().copied().collect::<Vec<_>>(),
        vec![broker]
    );
    assert_eq!(asked[0].channels.len(), 1);

    let failing = Recorded {
        history: Err("disk I/O error".into()),
        asked: Default::default(),
    };
    let mut s = state();
    fill(&mut s, &mut names_in);
    let err = s
        .close_due_judged(&engine, &names, Instant::now(), true, Some(&failing))
        .unwrap_err();
    assert!(err.contains("disk I/O error"), "{err}");
}

#[test]
fn a_window_rated_at_a_bound_is_counted() {
    // Two hosts in one window, rated with room for one group and with room for both.
    let rate = |engine: &Engine| {
        let mut names_in = Accumulator::new();
        let mut s = state();
        for (i, off) in (0..4).zip(100..) {
            let host = if i % 2 == 0 { "10.0.0.5" } else { "10.0.0.6" };
            s.observe(
                engine,
                off,
                mqtt(host, 10 * HOUR + i * 60 * SEC),
                &mut names_in,
            );
        }
        let closed = s.close_due(engine, &Accumulator::new(), Instant::now(), true);
        assert_eq!(closed.len(), 1);
        (s.counters.windows_bounded, bound_met(&closed[0].summary))
    };
    let tight = Engine::new(HuntConfig::from_toml_str("[limits]\nmax_groups = 1").unwrap());
    let (bounded, said) = rate(&tight);
    assert_eq!(bounded, 1);
    assert_eq!(
        said.as_deref(),
        Some("2 connections of groups past limits.max_groups left out")
    );
    assert_eq!(rate(&Engine::new(HuntConfig::default())), (0, None));
}
