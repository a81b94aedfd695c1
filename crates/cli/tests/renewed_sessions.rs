//! A chat client whose server drops its session every few hours, so that it reconnects on
//! something like a timer, in sessions a person opens in the morning and closes in the evening:
//! the renewals are not a check-in timer, so they neither stop the judgement of how the sessions
//! were used nor set the host apart from the server's other clients. Built as a Zeek conn.log.

mod common;

/// Monday 2026-03-02 00:00 UTC.
const T0: i64 = 1_772_409_600;
const HOUR: i64 = 3600;
const SERVER: &str = "198.51.100.7";
const CHATTER: &str = "10.0.0.50";

/// One conn.log row of `host` to `dst`:`port` at `ts` for `secs`, `out` and `back` bytes.
fn row(rows: &mut Vec<(i64, String)>, ts: i64, host: &str, dst: &str, port: u16, secs: i64) {
    let n = rows.len();
    let (proto, out, back, state) = match port {
        53 => ("udp", 40, 90, "SF"),
        // Answered in proportion: people read more than they write.
        _ => ("tcp", 90 * secs / 60 + 500, 130 * secs / 60 + 900, "RSTR"),
    };
    rows.push((
        ts,
        format!(
            "{ts}.0\tC{n}\t{host}\t{}\t{dst}\t{port}\t{proto}\t-\t{secs}.0\t{out}\t{back}\t{state}\tT\n",
            40_000 + n % 20_000
        ),
    ));
}

/// Four working days: the chatter's sessions from about 09:00 to 17:30, each dropped by the
/// server after about an hour and a half and reopened a minute later; twelve colleagues on the same
/// server with sessions at irregular hours; every host looks names up through the night.
fn week() -> String {
    let mut rows = Vec::new();
    for day in 0..4i64 {
        let base = T0 + day * 24 * HOUR;
        let mut t = base + 9 * HOUR + day * 420;
        let end = base + 17 * HOUR + 1800;
        for k in 0.. {
            let len = (5400 + ((day * 7 + k * 13) % 5) * 120).min(end - t);
            row(&mut rows, t, CHATTER, SERVER, 5222, len);
            t += len + 60;
            if t >= end - 600 {
                break;
            }
        }
        for c in 0..12i64 {
            let host = format!("10.0.0.{}", 60 + c);
            let start = base + 8 * HOUR + ((c * 37 + day * 53) % 180) * 60;
            let len = 3 * HOUR + ((c * 11 + day * 29) % 240) * 60;
            row(&mut rows, start, &host, SERVER, 5222, len);
        }
    }
    // The chatter also browses: a workstation, not a device.
    for day in 0..4i64 {
        for j in 0..3i64 {
            let ts = T0 + day * 24 * HOUR + (10 + 2 * j) * HOUR + 900;
            row(
                &mut rows,
                ts,
                CHATTER,
                &format!("203.0.113.{}", 20 + j),
                443,
                40,
            );
        }
    }
    for k in 0..(4 * 24 + 12) {
        for (n, host) in [CHATTER, "10.0.0.60", "10.0.0.61"].iter().enumerate() {
            row(
                &mut rows,
                T0 + k * HOUR + 30 + n as i64,
                host,
                "10.0.0.2",
                53,
                0,
            );
        }
    }
    common::zeek_conn_log(rows)
}

#[test]
fn a_person_s_sessions_renewed_by_their_server_are_interactive_use_not_a_lone_timer() {
    let dir = tempfile::tempdir().unwrap();
    let conn = dir.path().join("conn.log");
    std::fs::write(&conn, week()).unwrap();
    let all = common::hunt_jsonl([
        std::ffi::OsStr::new("--min-suspicion"),
        "low".as_ref(),
        conn.as_os_str(),
    ]);
    let a = all
        .iter()
        .find(|a| a["src_ip"] == CHATTER && a["dst_port"] == 5222)
        .expect("the chatter's sessions are rated");
    // The renewals are regular enough to be scored as a held session's renewal…
    let beacon = a["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.as_str())
        .find(|r| r.contains(" beacon: "))
        .expect("the renewal timer is reported");
    assert!(
        beacon.contains("a session held and renewed on a timer"),
        "{beacon}"
    );
    // …and weigh nothing beside the person's use; the colleagues vouch for the server.
    assert_eq!(a["signals"]["beacon"], 0.0, "{a}");
    assert_eq!(a["signals"]["interactive_use"], -20.0, "{a}");
    assert!(
        a["signals"]
            .get("lone_timer_on_shared_destination")
            .is_none(),
        "{a}"
    );
    assert_eq!(a["suspicion"], "low", "{a}");
}
