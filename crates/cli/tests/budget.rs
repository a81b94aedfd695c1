//! The group state budget through the binary: a small `limits.max_group_state_bytes` on a
//! generated log binds, the run says so and exits 2, and the alerts are the same with one or two
//! threads and either input order; the default budget leaves the same input whole.

mod common;

use std::path::Path;

/// Three Zeek conn.logs: 12 hosts, 150 connections each (a start every 61 s with a duration)
/// to one broker, dealt over the files.
fn busy_logs(dir: &Path) -> Vec<String> {
    let header = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\t\
                  id.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\t\
                  conn_state\tlocal_orig\n";
    let mut texts = vec![header.to_string(); 3];
    for h in 0..12u32 {
        for c in 0..150u32 {
            let ts = 1_793_606_400 + u64::from(c) * 61 + u64::from(h);
            texts[((h + c) % 3) as usize].push_str(&format!(
                "{ts}.0\tC{h}x{c}\t10.9.0.{}\t{}\t203.0.113.50\t1883\ttcp\t-\t2.5\t{}\t200\tSF\tT\n",
                h + 1,
                40_000 + c,
                300 + c % 7,
            ));
        }
    }
    texts
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let p = dir.join(format!("conn-{i}.log"));
            std::fs::write(&p, t).unwrap();
            p.to_string_lossy().into_owned()
        })
        .collect()
}

struct Run {
    code: Option<i32>,
    alerts: Vec<String>,
    stderr: String,
}

fn hunt(config: Option<&Path>, threads: &str, files: &[String]) -> Run {
    let mut cmd = common::bin();
    cmd.args(["hunt", "--format", "jsonl", "--min-suspicion", "low"])
        .args(["--threads", threads]);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    let out = cmd.args(files).output().unwrap();
    Run {
        code: out.status.code(),
        alerts: String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("\"kind\":\"alert\""))
            .map(str::to_string)
            .collect(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn a_small_budget_binds_exits_2_and_the_alerts_do_not_depend_on_threads_or_order() {
    let dir = tempfile::tempdir().unwrap();
    let files = busy_logs(dir.path());
    let config = dir.path().join("budget.toml");
    std::fs::write(&config, "[limits]\nmax_group_state_bytes = 16384\n").unwrap();

    let one = hunt(Some(&config), "1", &files);
    assert_eq!(one.code, Some(2), "{}", one.stderr);
    // 16 KiB: 40 % for connection starts of 32 bytes is 204, 17 for each of the 12 groups.
    assert!(
        one.stderr.contains(
            "group state budget reached (limits.max_group_state_bytes = 16384): connection \
             starts kept to 17 per group (the earliest) in 12 groups (204 in all)"
        ),
        "{}",
        one.stderr
    );
    assert_eq!(one.alerts.len(), 12, "{}", one.stderr);
    assert!(
        one.alerts
            .iter()
            .all(|a| a.contains("\"connections\":150") && a.contains("group state budget")),
        "{:#?}",
        one.alerts
    );
    let mut reversed = files.clone();
    reversed.reverse();
    for (threads, order) in [("2", &files), ("2", &reversed), ("1", &reversed)] {
        let r = hunt(Some(&config), threads, order);
        assert_eq!(r.code, Some(2), "{}", r.stderr);
        assert_eq!(r.alerts, one.alerts, "threads {threads}");
    }

    // The default budget keeps everything: no cut, exit 0, the same connection counts.
    let whole = hunt(None, "2", &files);
    assert_eq!(whole.code, Some(0), "{}", whole.stderr);
    assert!(!whole.stderr.contains("budget"), "{}", whole.stderr);
    assert_eq!(whole.alerts.len(), 12);
    assert!(
        whole
            .alerts
            .iter()
            .all(|a| a.contains("\"connections\":150") && !a.contains("budget"))
    );
}

#[test]
fn a_budget_below_the_least_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("budget.toml");
    std::fs::write(&config, "[limits]\nmax_group_state_bytes = 1000\n").unwrap();
    let out = common::bin()
        .args(["hunt", "--config"])
        .arg(&config)
        .arg("-")
        .write_stdin("")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("limits.max_group_state_bytes = 1000: must be at least 16384"),
        "{stderr}"
    );
}
