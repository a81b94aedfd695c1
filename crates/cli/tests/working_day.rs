//! A day's Zeek conn.log: a developer who tried a hosted broker once after lunch and once late in
//! the afternoon held two answered sessions inside the working day, which is how people use
//! developer tools (`interactive_use`); a camera whose implant session was reset in the evening,
//! reopened at once and held through the night has the same number of sessions, with openings
//! and closings in working hours too, but one was held overnight and is not a person's. And the
//! hours a channel is judged against are its log's, not those its candidates happen to cover.

mod common;

/// Monday 2026-03-02 00:00 UTC.
const T0: i64 = 1_772_409_600;
const HOUR: i64 = 3600;
const DEVELOPER: &str = "10.0.0.50";
const BROKER: &str = "198.51.100.7";
const CAMERA: &str = "10.0.9.20";
const CONTROLLER: &str = "203.0.113.66";

struct Conn<'a> {
    ts: i64,
    host: &'a str,
    dst: &'a str,
    port: u16,
    secs: i64,
    out: i64,
    back: i64,
    state: &'a str,
}

fn push(rows: &mut Vec<(i64, String)>, c: Conn<'_>) {
    let n = rows.len();
    let proto = if c.port == 53 { "udp" } else { "tcp" };
    rows.push((
        c.ts,
        format!(
            "{}.0\tC{n}\t{}\t{}\t{}\t{}\t{proto}\t-\t{}.0\t{}\t{}\t{}\tT\n",
            c.ts,
            c.host,
            40_000 + n % 20_000,
            c.dst,
            c.port,
            c.secs,
            c.out,
            c.back,
            c.state
        ),
    ));
}

/// A day's log and the next morning's (`with_camera`) or the day's alone, with the developer's
/// two runs and what else the hosts did.
fn log(with_camera: bool) -> String {
    let mut rows = Vec::new();
    let at = |h: f64| T0 + (h * HOUR as f64) as i64;
    // The developer's two runs, answered both ways.
    for (h, secs, out, back) in [(13.0, 177, 2406, 4131), (16.7, 1279, 5814, 11_325)] {
        push(
            &mut rows,
            Conn {
                ts: at(h),
                host: DEVELOPER,
                dst: BROKER,
                port: 5671,
                secs,
                out,
                back,
                state: "SF",
            },
        );
    }
    // The camera's implant: reset at 18:45, reopened, still open when the log ends at 08:00
    // the next morning.
    let camera: &[(f64, i64, i64, i64, &str)] = if with_camera {
        &[
            (13.5, 18_900, 17_141, 9284, "RSTR"),
            (18.72, 47_808, 43_614, 22_397, "S1"),
        ]
    } else {
        &[]
    };
    for &(h, secs, out, back, state) in camera {
        push(
            &mut rows,
            Conn {
                ts: at(h),
                host: CAMERA,
                dst: CONTROLLER,
                port: 8883,
                secs,
                out,
                back,
                state,
            },
        );
    }
    // What else the hosts did: the developer browses, the camera resolves over HTTPS, and both
    // look names up through the day.
    for k in 0..6 {
        push(
            &mut rows,
            Conn {
                ts: at(9.0 + k as f64),
                host: DEVELOPER,
                dst: &format!("192.0.2.{}", 10 + k),
                port: 443,
                secs: 30,
                out: 900,
                back: 40_000,
                state: "SF",
            },
        );
    }
    for &(h, ..) in camera {
        push(
            &mut rows,
            Conn {
                ts: at(h) - 2,
                host: CAMERA,
                dst: "192.0.2.200",
                port: 443,
                secs: 1,
                out: 563,
                back: 2920,
                state: "SF",
            },
        );
    }
    let hours = if with_camera { 32 } else { 24 };
    for k in 0..hours {
        for host in [DEVELOPER, CAMERA] {
            push(
                &mut rows,
                Conn {
                    ts: at(k as f64 + 0.2),
                    host,
                    dst: "10.0.0.2",
                    port: 53,
                    secs: 0,
                    out: 40,
                    back: 90,
                    state: "SF",
                },
            );
        }
    }
    common::zeek_conn_log(rows)
}

#[test]
fn two_sessions_in_a_working_day_are_a_persons_and_one_held_overnight_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, log(true)).unwrap();
    let all = common::hunt_jsonl([
        std::ffi::OsStr::new("--min-suspicion"),
        "low".as_ref(),
        conn.as_os_str(),
    ]);
    let find = |host: &str| {
        all.iter()
            .find(|a| a["src_ip"] == host)
            .unwrap_or_else(|| panic!("{host} is rated: {all:#?}"))
    };
    // The developer was there until the next morning and did not come back: occasional use
    // (the day alone, below, shows the same runs as interactive use).
    let developer = find(DEVELOPER);
    assert_eq!(developer["suspicion"], "low", "{developer}");
    let camera = find(CAMERA);
    assert!(
        camera["signals"].get("interactive_use").is_none(),
        "{camera}"
    );
    assert_ne!(camera["suspicion"], "low", "{camera}");
}

#[test]
fn a_channel_is_judged_against_its_logs_whole_day_not_the_hours_its_candidates_cover() {
    // The developer's runs are the log's only pub/sub connections, 13:00 to 17:03: the lookups
    // and browsing around them (which the candidate prefilter skips unparsed) show that the
    // log covers the night as well, so the runs could have been seen outside working hours.
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, log(false)).unwrap();
    let all = common::hunt_jsonl([
        std::ffi::OsStr::new("--min-suspicion"),
        "low".as_ref(),
        conn.as_os_str(),
    ]);
    let developer = all
        .iter()
        .find(|a| a["src_ip"] == DEVELOPER)
        .expect("the developer's runs are rated");
    assert_eq!(
        developer["signals"]["interactive_use"], -20.0,
        "{developer}"
    );
    assert!(
        common::has_reason(developer, "2 sessions with a median length"),
        "{developer}"
    );
    assert_eq!(developer["suspicion"], "low", "{developer}");
}
