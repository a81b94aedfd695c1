//! History across runs, end to end: hunting the same log twice with a store of the test's own
//! says the channels were seen before and leaves the history as it was (read back with SQLite
//! directly, not through the program), a later day counts as a second active day, and
//! `new_broker` judged against the history stays quiet for a broker the history knows while it
//! still fires for one it does not.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

use common::root;

struct Run {
    alerts: Vec<Value>,
    stderr: String,
    code: i32,
}

fn hunt(state: &Path, args: &[&str]) -> Run {
    let out = common::bin()
        .current_dir(root())
        .args(["hunt", "--format", "jsonl", "--threads", "2", "--state"])
        .arg(state)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    Run {
        alerts: stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Every table's rows, read with SQLite itself: the history as a hunter would see it.
fn tables(state: &Path) -> Vec<(String, Vec<Vec<String>>)> {
    let c = rusqlite::Connection::open(state).unwrap();
    let mut out = Vec::new();
    for t in [
        "channels",
        "channel_days",
        "host_brokers",
        "host_protocols",
        "host_processes",
        "destination_hosts",
    ] {
        let n = c
            .prepare(&format!("SELECT * FROM {t}"))
            .unwrap()
            .column_count();
        let order: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
        let mut stmt = c
            .prepare(&format!("SELECT * FROM {t} ORDER BY {}", order.join(", ")))
            .unwrap();
        let rows: Vec<Vec<String>> = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        out.push((t.to_string(), rows));
    }
    out
}

/// Whether a reason is the sentence on the channel's history.
fn is_history(r: &str) -> bool {
    r.starts_with("seen in earlier runs: ")
        || r.starts_with("new today: ")
        || r.starts_with("new: no earlier run")
}

fn history_reason(a: &Value) -> String {
    let rs: Vec<&str> = a["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|r| is_history(r))
        .collect();
    assert_eq!(rs.len(), 1, "one history sentence per alert: {a}");
    rs[0].to_string()
}

/// An alert without its history sentence.
fn without_history(a: &Value) -> Value {
    let mut a = a.clone();
    let r = a["reasons"].as_array_mut().unwrap();
    r.retain(|r| !is_history(r.as_str().unwrap_or("")));
    a
}

/// `examples/data/conn.log` moved `days` days later (its timestamps, which lead each record).
fn shifted_conn_log(dir: &Path, days: i64) -> PathBuf {
    let text = std::fs::read_to_string(root().join("examples/data/conn.log")).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        match line.split_once('\t') {
            Some((ts, rest)) if !line.starts_with('#') => {
                let (s, frac) = ts.split_once('.').unwrap();
                let s: i64 = s.parse().unwrap();
                out.push_str(&format!("{}.{frac}\t{rest}\n", s + days * 86_400));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let p = dir.join(format!("conn-plus-{days}d.log"));
    std::fs::write(&p, out).unwrap();
    p
}

#[test]
fn hunting_the_same_log_twice_is_recognised_and_a_later_day_counts() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("nested/dir/state.sqlite");
    let first = hunt(&state, &["examples/data/conn.log"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(!first.alerts.is_empty());
    assert!(first.stderr.contains("history:"), "{}", first.stderr);
    for a in &first.alerts {
        assert_eq!(
            history_reason(a),
            "new today: no earlier run recorded this channel",
            "{a}"
        );
    }
    let after_first = tables(&state);
    let channels = &after_first[0].1;
    assert!(channels.len() >= first.alerts.len(), "{channels:?}");
    // Every alert's channel is in the store under its id.
    for a in &first.alerts {
        let id = format!(
            "{:?}",
            rusqlite::types::Value::Text(a["id"].as_str().unwrap().into())
        );
        assert!(channels.iter().any(|r| r[0] == id), "{id} not stored");
    }

    let second = hunt(&state, &["examples/data/conn.log"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(second.alerts.len(), first.alerts.len());
    for (a, b) in first.alerts.iter().zip(&second.alerts) {
        assert_eq!(
            history_reason(b),
            "seen in earlier runs: first seen 2026-11-02, active 1 of 1 days".to_string()
                + &last_alert_clause(a),
        );
        // Nothing else about the alert changed.
        assert_eq!(without_history(a), without_history(b));
    }
    assert_eq!(
        tables(&state),
        after_first,
        "re-hunting the same records changed history"
    );

    // Three days later: the same channels, a second active day out of four.
    let later = shifted_conn_log(dir.path(), 3);
    let third = hunt(&state, &[later.to_str().unwrap()]);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(third.alerts.len(), first.alerts.len());
    for a in &third.alerts {
        assert!(
            history_reason(a)
                .starts_with("seen in earlier runs: first seen 2026-11-02, active 2 of 4 days"),
            "{a}"
        );
    }
    let after_third = tables(&state);
    assert_eq!(
        after_third[1].1.len(),
        2 * after_first[1].1.len(),
        "channel days"
    );

    // `state show` reads the same store; `state reset --yes` empties it.
    let show = common::bin()
        .args(["state", "show", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&show.stdout);
    assert!(
        text.contains(&format!("channels: {}", after_third[0].1.len())),
        "{text}"
    );
    assert!(text.contains("runs saved: 3"), "{text}");
    assert!(text.contains("history: 2026-11-02 to 2026-11-05"), "{text}");
    let reset = common::bin()
        .args(["state", "reset", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(reset.status.success());
    assert_eq!(
        tables(&state),
        after_third,
        "reset without --yes changes nothing"
    );
    let reset = common::bin()
        .args(["state", "reset", "--yes", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(reset.status.success());
    assert!(tables(&state).iter().all(|(_, rows)| rows.is_empty()));
}

/// The clause a second run adds for a channel the first run alerted on.
fn last_alert_clause(a: &Value) -> String {
    format!(
        "; last alerted 2026-11-02 at score {} ({})",
        a["score"],
        a["suspicion"].as_str().unwrap()
    )
}

#[test]
fn a_run_that_fails_leaves_history_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let r = hunt(&state, &["examples/data/conn.log"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before = tables(&state);
    // A later day that cannot be written out: the results file's directory does not exist.
    let later = shifted_conn_log(dir.path(), 1);
    let r = hunt(
        &state,
        &[
            "-o",
            dir.path().join("missing/out.jsonl").to_str().unwrap(),
            later.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(tables(&state), before);
}

#[test]
fn a_corrupt_store_stops_the_run_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.sqlite");
    let junk = b"not a database at all\n".repeat(300);
    std::fs::write(&state, &junk).unwrap();
    let r = hunt(&state, &["examples/data/conn.log"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("corrupt"), "{}", r.stderr);
    assert!(r.alerts.is_empty());
    assert_eq!(std::fs::read(&state).unwrap(), junk);
}

const HEADER: &str = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n\
#unset_field\t-\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t\
proto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\t\
missed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n\
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\t\
bool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n";

/// Connections from 10.0.0.5 every ten minutes to `dst`:1883 for `hours` hours from `start`.
fn rows(start: i64, hours: i64, dst: &str, port0: u32) -> String {
    (0..hours * 6)
        .map(|i| {
            let ts = start + i * 600;
            format!(
                "{ts}.000000\tC{port0}x{i}\t10.0.0.5\t{}\t{dst}\t1883\ttcp\t-\t2.0\t300\t200\tSF\t\
                 T\tF\t0\tShADadFf\t5\t500\t4\t400\t-\n",
                port0 + i as u32
            )
        })
        .collect()
}

fn new_broker_fires(run: &Run, dst: &str) -> bool {
    let a = run
        .alerts
        .iter()
        .find(|a| a["dst_ip"] == dst)
        .unwrap_or_else(|| panic!("no alert for {dst}: {}", run.stderr));
    a["signals"].get("new_broker").is_some()
}

#[test]
fn new_broker_judged_against_history_is_quiet_for_a_broker_history_knows() {
    let dir = tempfile::tempdir().unwrap();
    // 2026-11-02T00:00:00Z and the next day.
    let (day0, day1) = (1_793_577_600, 1_793_577_600 + 86_400);
    let known = "198.51.100.20";
    let fresh = "198.51.100.40";
    let early = "198.51.100.30";
    let yesterday = dir.path().join("day0.log");
    std::fs::write(
        &yesterday,
        format!("{HEADER}{}", rows(day0 + 3600, 3, known, 40000)),
    )
    .unwrap();
    // Today: one broker from midnight, then from noon the broker history knows and a new one.
    let today = dir.path().join("day1.log");
    std::fs::write(
        &today,
        format!(
            "{HEADER}{}{}{}",
            rows(day1, 2, early, 41000),
            rows(day1 + 12 * 3600, 2, known, 42000),
            rows(day1 + 12 * 3600 + 60, 2, fresh, 43000)
        ),
    )
    .unwrap();
    let today = today.to_str().unwrap();
    let args = ["--window", "1h", today];

    // Without history, both noon brokers are new in the day's data.
    let none = {
        let out = common::bin()
            .current_dir(root())
            .args(["hunt", "--format", "jsonl", "--window", "1h", today])
            .output()
            .unwrap();
        Run {
            alerts: String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code().unwrap_or(-1),
        }
    };
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(new_broker_fires(&none, known));
    assert!(new_broker_fires(&none, fresh));
    assert!(!new_broker_fires(&none, early));

    // With yesterday in the history, the broker it knows is no longer new. The others are new
    // against everything known, the one reached from midnight too (history saw days before it).
    let state = dir.path().join("state.sqlite");
    let r = hunt(&state, &["--window", "1h", yesterday.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let with = hunt(&state, &args);
    assert_eq!(with.code, 0, "{}", with.stderr);
    assert!(!new_broker_fires(&with, known), "{:?}", with.alerts);
    assert!(new_broker_fires(&with, fresh));
    assert!(new_broker_fires(&with, early));
    let a = with.alerts.iter().find(|a| a["dst_ip"] == known).unwrap();
    assert!(
        history_reason(a)
            .starts_with("seen in earlier runs: first seen 2026-11-02, active 2 of 2 days"),
        "{a}"
    );
    let a = with.alerts.iter().find(|a| a["dst_ip"] == fresh).unwrap();
    assert_eq!(
        history_reason(a),
        "new today: no earlier run recorded this channel"
    );
}
