//! Store tests: schema version and migration, refusals (newer schema, corrupt file, another
//! database), idempotent saving, rollback of a failed save, retention.

use super::*;
use pubsub_hunt_core::Protocol;
use pubsub_hunt_core::Suspicion;
use pubsub_hunt_core::prior::{ChannelHistory, DAY_MICROS, LastAlert, Seen, day_of};
use rusqlite::Connection;
use std::net::IpAddr;

/// 2026-11-02T00:00:00Z.
const DAY0: i64 = 1_793_577_600_000_000;

fn facts(id: &str, host: &str, first: i64, last: i64, score: Option<u8>) -> History {
    let mut h = History::default();
    h.channels.insert(
        id.into(),
        ChannelHistory {
            host: host.into(),
            seen: Seen { first, last },
            days: [day_of(first), day_of(last)].into_iter().collect(),
            last_alert: score.map(|score| LastAlert {
                at: last,
                score,
                suspicion: Suspicion::Medium,
            }),
        },
    );
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    let s = Seen { first, last };
    let hh = h.hosts.entry(host.into()).or_default();
    hh.brokers.insert((ip, 1883), s);
    hh.protocols.insert(Protocol::Mqtt, s);
    hh.processes.insert(("a.exe".into(), Protocol::Mqtt), s);
    h.destinations
        .entry((ip, 1883))
        .or_default()
        .hosts
        .insert(host.into(), s);
    h
}

fn temp() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("state.sqlite");
    (dir, p)
}

#[test]
fn a_new_store_is_at_the_current_version_and_round_trips() {
    let (_d, p) = temp();
    let mut s = Store::open(&p).unwrap();
    assert_eq!(s.version().unwrap(), schema::CURRENT_VERSION);
    assert!(s.load().unwrap().is_empty());
    let f = facts("c1", "ws-01", DAY0, DAY0 + 3 * DAY_MICROS, Some(60));
    s.record(&f, 0).unwrap();
    drop(s);
    // What a reopened store loads is what was saved.
    let s = Store::open(&p).unwrap();
    assert_eq!(s.load().unwrap(), f);
    // The version is visible to a hunter with sqlite3, in its own table.
    let c = Connection::open(&p).unwrap();
    let v: i64 = c
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, schema::CURRENT_VERSION);
}

#[test]
fn saving_the_same_facts_again_changes_no_history() {
    let (_d, p) = temp();
    let mut s = Store::open(&p).unwrap();
    let f = facts("c1", "ws-01", DAY0, DAY0 + DAY_MICROS, Some(60));
    s.record(&f, 0).unwrap();
    let (h1, c1) = (s.load().unwrap(), s.counts().unwrap());
    s.record(&f, 0).unwrap();
    let (h2, c2) = (s.load().unwrap(), s.counts().unwrap());
    assert_eq!(h1, h2);
    assert_eq!(c2.runs, 2, "each run is logged");
    assert_eq!(Counts { runs: 1, ..c2 }, c1);
    // A later run adds to it: the merge is the core's, done in SQL.
    let g = facts(
        "c1",
        "ws-01",
        DAY0 + 5 * DAY_MICROS,
        DAY0 + 5 * DAY_MICROS,
        Some(30),
    );
    s.record(&g, 0).unwrap();
    let mut want = h1.clone();
    want.absorb(&g);
    assert_eq!(s.load().unwrap(), want);
    assert_eq!(s.load().unwrap().channels["c1"].days.len(), 3);
    assert_eq!(
        s.load().unwrap().channels["c1"].last_alert.map(|a| a.score),
        Some(30)
    );
}

#[test]
fn a_failed_save_leaves_the_store_as_it_was() {
    let (_d, p) = temp();
    let mut s = Store::open(&p).unwrap();
    s.record(&facts("c1", "ws-01", DAY0, DAY0 + 10, None), 0)
        .unwrap();
    let before = (s.load().unwrap(), s.counts().unwrap());
    // A valid channel, then one whose first seen is after its last: the schema's check refuses
    // the second after the first was written, and the whole save is undone.
    let mut bad = facts(
        "a-good",
        "ws-02",
        DAY0 + DAY_MICROS,
        DAY0 + DAY_MICROS,
        Some(9),
    );
    let mut wrong = facts("z-bad", "ws-02", DAY0 + 50, DAY0 + 20, None);
    bad.channels.append(&mut wrong.channels);
    assert!(s.record(&bad, 0).is_err());
    assert_eq!((s.load().unwrap(), s.counts().unwrap()), before);
}

#[test]
fn an_older_store_is_migrated_keeping_its_history() {
    let (_d, p) = temp();
    {
        let s = Store::open_at_version(&p, 1).unwrap();
        assert_eq!(s.version().unwrap(), 1);
        // Version 1 has no run log yet.
        let c = Connection::open(&p).unwrap();
        assert!(c.prepare("SELECT * FROM runs").is_err());
        c.execute(
            "INSERT INTO channels (id, host, first_seen, last_seen) VALUES ('c9', 'ws-9', ?1, ?1)",
            [DAY0],
        )
        .unwrap();
    }
    let s = Store::open(&p).unwrap();
    assert_eq!(s.version().unwrap(), schema::CURRENT_VERSION);
    let h = s.load().unwrap();
    assert_eq!(h.channels["c9"].host, "ws-9");
    assert_eq!(s.counts().unwrap().runs, 0);
}

#[test]
fn a_newer_store_is_refused_and_left_alone() {
    let (_d, p) = temp();
    drop(Store::open(&p).unwrap());
    let c = Connection::open(&p).unwrap();
    c.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(c);
    let before = std::fs::read(&p).unwrap();
    let e = Store::open(&p).err().unwrap();
    assert!(
        matches!(e, StateError::NewerSchema { found: 99, .. }),
        "{e}"
    );
    assert!(e.to_string().contains("newer"), "{e}");
    assert_eq!(std::fs::read(&p).unwrap(), before);
}

#[test]
fn a_corrupt_file_is_an_error_not_a_reset() {
    let (_d, p) = temp();
    let junk = b"this is not an SQLite database, it is a text file\n".repeat(200);
    std::fs::write(&p, &junk).unwrap();
    let e = Store::open(&p).err().unwrap();
    assert!(matches!(e, StateError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("corrupt"), "{e}");
    assert_eq!(
        std::fs::read(&p).unwrap(),
        junk,
        "the file is left as it was"
    );
    // A real database damaged past its header.
    let (_d2, q) = temp();
    let mut s = Store::open(&q).unwrap();
    for i in 0..200 {
        s.record(
            &facts(&format!("c{i}"), "ws-01", DAY0, DAY0 + 1, Some(5)),
            0,
        )
        .unwrap();
    }
    drop(s);
    let mut bytes = std::fs::read(&q).unwrap();
    let half = bytes.len() / 2;
    for b in &mut bytes[4096..half] {
        *b = 0xA5;
    }
    std::fs::write(&q, &bytes).unwrap();
    let e = Store::open(&q)
        .and_then(|s| s.load().map(|_| ()))
        .err()
        .unwrap();
    assert!(matches!(e, StateError::Corrupt { .. }), "{e}");
}

#[test]
fn another_database_is_not_taken_for_a_store() {
    let (_d, p) = temp();
    let c = Connection::open(&p).unwrap();
    c.execute("CREATE TABLE photos (name TEXT)", []).unwrap();
    drop(c);
    let e = Store::open(&p).err().unwrap();
    assert!(matches!(e, StateError::NotAStore { .. }), "{e}");
}

#[test]
fn retention_forgets_what_was_last_seen_before_the_cut() {
    let (_d, p) = temp();
    let mut s = Store::open(&p).unwrap();
    let old = facts("old", "ws-old", DAY0, DAY0 + 5, Some(50));
    s.record(&old, 10).unwrap();
    // A channel active on day 0 and day 20, and one on day 20 only.
    let mut span = facts("span", "ws-01", DAY0 + 3, DAY0 + 20 * DAY_MICROS, Some(40));
    span.absorb(&facts(
        "new",
        "ws-02",
        DAY0 + 20 * DAY_MICROS,
        DAY0 + 20 * DAY_MICROS + 9,
        None,
    ));
    s.record(&span, 10).unwrap();
    let h = s.load().unwrap();
    // Newest day 20, ten days kept: days 11..=20.
    assert!(!h.channels.contains_key("old"));
    assert!(!h.hosts.contains_key("ws-old"));
    let c = &h.channels["span"];
    assert_eq!(
        c.days.iter().copied().collect::<Vec<_>>(),
        vec![day_of(DAY0) + 20]
    );
    assert_eq!(
        c.seen.first,
        DAY0 + 11 * DAY_MICROS,
        "first seen moved to the cut"
    );
    assert_eq!(c.last_alert.map(|a| a.score), Some(40));
    assert!(h.channels.contains_key("new"));
    let ip: IpAddr = "198.51.100.7".parse().unwrap();
    assert_eq!(h.hosts_reaching(ip, 1883), 2);
    // 0 keeps everything.
    let (_d2, q) = temp();
    let mut s = Store::open(&q).unwrap();
    s.record(&old, 0).unwrap();
    s.record(&span, 0).unwrap();
    assert!(s.load().unwrap().channels.contains_key("old"));
}

#[test]
fn reset_forgets_everything_but_keeps_the_schema() {
    let (_d, p) = temp();
    let mut s = Store::open(&p).unwrap();
    s.record(&facts("c1", "ws-01", DAY0, DAY0, None), 0)
        .unwrap();
    s.reset().unwrap();
    assert_eq!(s.counts().unwrap(), Counts::default());
    assert_eq!(s.version().unwrap(), schema::CURRENT_VERSION);
}

/// A run's part of the history holds what judging the run reads, exactly as the whole
/// history does: its channels with their days, each destination's first-seen time and its
/// first `DESTINATION_HOSTS_LOADED` hosts by name, each process's first-seen time, and the
/// store's earliest instant (which may belong to a channel the run does not have).
#[test]
fn a_runs_part_of_the_history_judges_as_the_whole() {
    use pubsub_hunt_core::prior::{DESTINATION_HOSTS_LOADED, FirstSeenIndex, HistoryKeys};
    let (_d, p) = temp();
    let mut s = Store::open(&p).unwrap();
    let mut all = History::default();
    // 700 hosts on one broker, the one that reached it first last by name; an old channel of
    // another host; a process on the broker's hosts and one elsewhere.
    for i in 0..700 {
        let first = if i == 699 {
            DAY0 - 9 * DAY_MICROS
        } else {
            DAY0 + i
        };
        all.absorb(&facts(
            &format!("c{i:03}"),
            &format!("h{i:03}"),
            first,
            DAY0 + 1000,
            None,
        ));
    }
    let mut old = facts(
        "old",
        "zz-old",
        DAY0 - 30 * DAY_MICROS,
        DAY0 - 29 * DAY_MICROS,
        Some(40),
    );
    let other: IpAddr = "203.0.113.9".parse().unwrap();
    old.destinations.clear();
    old.destinations
        .entry((other, 5222))
        .or_default()
        .hosts
        .insert(
            "zz-old".into(),
            Seen {
                first: DAY0 - 30 * DAY_MICROS,
                last: DAY0,
            },
        );
    all.absorb(&old);
    s.record(&all, 0).unwrap();

    let broker: IpAddr = "198.51.100.7".parse().unwrap();
    let keys = HistoryKeys {
        channels: ["c005".to_string(), "c699".to_string(), "absent".to_string()].into(),
        destinations: [(broker, 1883), (broker, 8883)].into(),
        processes: [("a.exe".to_string(), Protocol::Mqtt)].into(),
    };
    let whole = s.load().unwrap();
    let part = s.load_for(&keys).unwrap();

    assert_eq!(part.channels.len(), 2);
    for id in ["c005", "c699"] {
        assert_eq!(part.channels[id], whole.channels[id], "{id}");
    }
    assert_eq!(part.earliest(), whole.earliest());
    assert_eq!(
        s.extent().unwrap(),
        whole.earliest().zip(whole.latest()),
        "the store's extent by SQL is the loaded history's"
    );
    assert_eq!(part.earliest(), Some(DAY0 - 30 * DAY_MICROS));
    let index = |h: &History| {
        let mut i = FirstSeenIndex::default();
        i.add(h);
        i
    };
    let (wi, pi) = (index(&whole), index(&part));
    assert_eq!(pi.broker(broker, 1883), wi.broker(broker, 1883));
    assert_eq!(pi.broker(broker, 1883), Some(DAY0 - 9 * DAY_MICROS));
    assert_eq!(
        pi.broker(other, 5222),
        None,
        "a destination the run does not reach"
    );
    assert_eq!(
        pi.process("a.exe", Protocol::Mqtt),
        wi.process("a.exe", Protocol::Mqtt)
    );
    let hosts: Vec<&String> = part.destinations[&(broker, 1883)].hosts.keys().collect();
    let first_by_name: Vec<&String> = whole.destinations[&(broker, 1883)]
        .hosts
        .keys()
        .take(DESTINATION_HOSTS_LOADED)
        .collect();
    assert_eq!(hosts[..DESTINATION_HOSTS_LOADED], first_by_name[..]);
    assert_eq!(
        hosts.len(),
        DESTINATION_HOSTS_LOADED + 1,
        "and the first to reach it"
    );
    assert_eq!(hosts.last().map(|h| h.as_str()), Some("h699"));
}
