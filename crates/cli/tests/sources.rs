//! What other inputs in a run may and may not do to an alert, through the binary: a capture
//! hunted alone and with unrelated captures gives the same alert; the same connections in two
//! inputs count once; and the summary says when the source's direction and the internal networks
//! disagree.

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

use common::root;

struct Run {
    alerts: Vec<Value>,
    stderr: String,
    code: Option<i32>,
}

/// A run that must succeed.
fn hunt(args: &[&str]) -> Run {
    let r = hunt_any(args);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    r
}

fn hunt_any(args: &[&str]) -> Run {
    let out = common::bin()
        .current_dir(root())
        .args(["hunt", "--format", "jsonl"])
        .args(args)
        .output()
        .unwrap();
    Run {
        alerts: String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .filter(|v: &Value| v["kind"] == "alert")
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

const MQTT: &str = "../shared/corpus/pcaps/zeek/mqtt.pcap";
const UNRELATED: [&str; 2] = [
    "../shared/corpus/pcaps/zeek/xmpp-starttls.pcap",
    "../shared/corpus/pcaps/ndpi/amqp.pcap",
];

fn mqtt_alert(r: &Run) -> Value {
    r.alerts
        .iter()
        .find(|a| a["dst_ip"] == "198.41.30.241")
        .cloned()
        .unwrap_or_else(|| panic!("no alert for the MQTT broker: {:#?}", r.alerts))
}

#[test]
fn a_capture_alone_and_with_unrelated_captures_gives_the_same_alert() {
    assert!(root().join(MQTT).is_file(), "the corpus is missing: {MQTT}");
    let show = ["--min-suspicion", "low", "--show-suppressed"];
    let alone = hunt(&[&show[..], &[MQTT]].concat());
    let with_others = hunt(&[&show[..], &[UNRELATED[0], MQTT, UNRELATED[1]]].concat());
    let reversed = hunt(&[&show[..], &[UNRELATED[1], UNRELATED[0], MQTT]].concat());
    let a = mqtt_alert(&alone);
    assert_eq!(a, mqtt_alert(&with_others));
    assert_eq!(a, mqtt_alert(&reversed));
    assert_eq!(a["seed_suspicion"], "high", "{a:#}");
    assert_eq!(a["suspicion"], "medium", "{a:#}");
    assert_eq!(a["sources"], serde_json::json!([MQTT]));
}

#[test]
fn the_same_capture_twice_counts_each_connection_once() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.pcap");
    std::fs::copy(root().join(MQTT), &copy).unwrap();
    let show = ["--min-suspicion", "low", "--show-suppressed"];
    let once = mqtt_alert(&hunt(&[&show[..], &[MQTT]].concat()));
    let twice = hunt(&[&show[..], &[MQTT, copy.to_str().unwrap()]].concat());
    let a = mqtt_alert(&twice);
    assert_eq!(a["connections"], once["connections"]);
    assert_eq!(a["bytes_sent"], once["bytes_sent"]);
    assert_eq!(a["sources"].as_array().unwrap().len(), 2);
    assert!(twice.stderr.contains("counted once"), "{}", twice.stderr);
}

/// A conn.log whose sensor's local networks miss 10.50.0.0/16: every row says `local_orig` F.
fn conn_log_with_local_orig_false(dir: &Path) -> PathBuf {
    let mut s = String::from(
        "#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\tlocal_orig\n",
    );
    for i in 0..6 {
        s.push_str(&format!(
            "{}.0\tC{i}\t10.50.1.1\t{}\t203.0.113.20\t1883\ttcp\tSF\tF\n",
            1_700_000_000 + i * 600,
            40_000 + i
        ));
    }
    let p = dir.join("conn.log");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn local_orig_against_the_internal_networks_is_named_and_configurable() {
    let dir = tempfile::tempdir().unwrap();
    let log = conn_log_with_local_orig_false(dir.path());
    let r = hunt(&[log.to_str().unwrap()]);
    assert!(r.alerts.is_empty());
    assert!(
        r.stderr
            .contains("6 of 6 candidates were recorded as inbound")
            && r.stderr.contains("analytics.direction"),
        "{}",
        r.stderr
    );
    let cfg = dir.path().join("hunt.toml");
    std::fs::write(&cfg, "[analytics]\ndirection = \"internal-networks\"\n").unwrap();
    let r = hunt(&["--config", cfg.to_str().unwrap(), log.to_str().unwrap()]);
    assert_eq!(r.alerts.len(), 1, "{}", r.stderr);
    assert_eq!(r.alerts[0]["connections"], 6);
    assert!(r.stderr.contains("counted as outbound"), "{}", r.stderr);
}

/// Four Zeek conn.logs: 240 hosts, three connections each to one broker, spread over the files.
fn many_hosts_logs(dir: &Path) -> Vec<String> {
    let header = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\n";
    let mut files = Vec::new();
    for f in 0..4 {
        let mut text = header.to_string();
        for h in (0..240).filter(|h| h % 4 == f) {
            for c in 0..3 {
                text.push_str(&format!(
                    "{}.0\tC{f}{h}{c}\t10.9.{}.{}\t{}\t203.0.113.50\t1883\ttcp\t-\t20.0\t300\t200\tSF\tT\n",
                    1_793_606_400 + h * 60 + c * 3600,
                    h / 200,
                    h % 200 + 1,
                    40_000 + c,
                ));
            }
        }
        let path = dir.join(format!("conn-{f}.log"));
        std::fs::write(&path, text).unwrap();
        files.push(path.to_string_lossy().into_owned());
    }
    files
}

#[test]
fn at_the_group_limit_the_alerts_do_not_depend_on_threads_or_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let files = many_hosts_logs(dir.path());
    let config = dir.path().join("limits.toml");
    std::fs::write(&config, "[limits]\nmax_groups = 50\n").unwrap();
    let run = |threads: &str, order: &[String]| {
        let mut args = vec![
            "--min-suspicion",
            "low",
            "--show-suppressed",
            "--config",
            config.to_str().unwrap(),
            "--threads",
            threads,
        ];
        args.extend(order.iter().map(String::as_str));
        let r = hunt_any(&args);
        // Connections left out at the limit are data lost: said even with -q, and exit 2.
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        assert!(
            r.stderr.contains(
                "group limit reached (limits.max_groups = 50): 570 connections of groups past it \
                 left out"
            ),
            "{}",
            r.stderr
        );
        let mut ids: Vec<String> = r
            .alerts
            .iter()
            .map(|a| format!("{} {}", a["id"], a["connections"]))
            .collect();
        ids.sort();
        let counts = r
            .stderr
            .lines()
            .find(|l| l.contains("over the group limit"))
            .map(|l| l.split(" connections: ").nth(1).unwrap_or(l).to_string())
            .unwrap_or_else(|| panic!("no counts line: {}", r.stderr));
        (ids, counts)
    };
    let one = run("1", &files);
    assert_eq!(one.0.len(), 50, "{:#?}", one.0);
    assert!(
        one.1.starts_with("150 counted,") && one.1.ends_with("570 over the group limit"),
        "counted and dropped add up to the 720 connections read: {}",
        one.1
    );
    let mut reversed = files.clone();
    reversed.reverse();
    assert_eq!(run("2", &files), one);
    assert_eq!(run("2", &reversed), one);
    assert_eq!(run("4", &reversed), one);
}

#[test]
fn tune_explain_and_controls_also_exit_2_at_the_group_limit() {
    let dir = tempfile::tempdir().unwrap();
    let files = many_hosts_logs(dir.path());
    let config = dir.path().join("limits.toml");
    std::fs::write(&config, "[limits]\nmax_groups = 50\n").unwrap();
    let out_dir = dir.path().join("controls");
    let subcommands: [Vec<&str>; 3] = [
        vec!["tune"],
        vec!["explain", "--host", "10.1.0.1"],
        vec!["controls", "--out-dir", out_dir.to_str().unwrap()],
    ];
    for sub in subcommands {
        let out = common::bin()
            .args(&sub)
            .args(["--config", config.to_str().unwrap()])
            .args(&files)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{sub:?}: {stderr}");
        assert!(stderr.contains("group limit reached"), "{sub:?}: {stderr}");
    }
}

#[test]
fn at_the_alert_limit_the_first_alerts_in_report_order_are_kept_whatever_the_threads() {
    let dir = tempfile::tempdir().unwrap();
    let files = many_hosts_logs(dir.path());
    let base = ["--min-suspicion", "low", "--show-suppressed"];
    let mut args: Vec<&str> = base.to_vec();
    args.extend(files.iter().map(String::as_str));
    let all = hunt(&args);
    assert_eq!(all.alerts.len(), 240, "{}", all.stderr);

    let config = dir.path().join("limits.toml");
    std::fs::write(&config, "[limits]\nmax_alerts = 30\n").unwrap();
    let mut reversed = files.clone();
    reversed.reverse();
    for (threads, order) in [("1", &files), ("2", &reversed), ("4", &files)] {
        let mut args: Vec<&str> = base.to_vec();
        args.extend(["--config", config.to_str().unwrap(), "--threads", threads]);
        args.extend(order.iter().map(String::as_str));
        let r = hunt_any(&args);
        // Alerts left out of the report are results lost: said even with -q, and exit 2.
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        assert!(
            r.stderr.contains(
                "alert limit reached (limits.max_alerts = 30): 210 alerts after them in report \
                 order not reported"
            ),
            "{}",
            r.stderr
        );
        assert_eq!(r.alerts, all.alerts[..30].to_vec(), "-j{threads}");
    }

    // `explain` names the limit for an alert past it.
    let last = all.alerts[239]["host"].as_str().unwrap().to_string();
    let out = common::bin()
        .args(["explain", &last, "--min-suspicion", "low"])
        .args(["--show-suppressed", "--config", config.to_str().unwrap()])
        .args(&files)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("but after the first 30 in report order (limits.max_alerts)"),
        "{text}"
    );
}
