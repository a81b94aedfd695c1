//! Golden tests of the `pubsub-hunt` binary on real third-party samples (read in place from
//! `../shared/corpus`) and on the synthetic example data shipped in `examples/data`, plus the
//! bad-input, exit-status and pipe behaviour a user relies on.

use pubsub_hunt_core::allowlist;
use std::io::{Read, Write};
use std::path::Path;

mod common;
use common::is_root;

use common::root;

/// The corpus, relative to the workspace root (so messages in snapshots are stable).
fn corpus(rel: &str) -> String {
    let dir = root().join("../shared/corpus");
    assert!(
        dir.is_dir(),
        "the test corpus is missing: expected {} (see ../shared/corpus/README.md)",
        dir.display()
    );
    format!("../shared/corpus/logs/{rel}")
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn hunt(args: &[&str]) -> Run {
    hunt_stdin(args, None)
}

fn hunt_stdin(args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = common::bin();
    cmd.current_dir(root())
        .arg("hunt")
        .arg("--threads")
        .arg("2")
        .args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s);
    }
    let out = cmd.output().unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// Replaces timings in the summary so snapshots are stable.
fn stable(stderr: &str) -> String {
    let mut out = String::new();
    for line in stderr.lines() {
        let l = match line.find(" in ") {
            Some(i) if line.contains("MB/s") => format!("{} in [elapsed]", &line[..i]),
            _ => line.to_string(),
        };
        out.push_str(&l);
        out.push('\n');
    }
    out
}

fn alerts(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn example_data_jsonl() {
    let r = hunt(&["--format", "jsonl", "examples/data/conn.log"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("example_conn_log_jsonl", r.stdout);
    insta::assert_snapshot!("example_conn_log_summary", stable(&r.stderr));
    let a = alerts(&r.stdout);
    let got: Vec<(String, String, u64)> = a
        .iter()
        .map(|v| {
            (
                v["dst_ip"].as_str().unwrap().to_string(),
                v["suspicion"].as_str().unwrap().to_string(),
                v["connections"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: Vec<(String, String, u64)> = [
        // The beacon confirms the seed's high; the other seed-high channels have nothing to
        // show beyond the port rule, so they are medium (their seed_suspicion stays high).
        ("198.51.100.20", "high", 6),
        ("203.0.113.5", "medium", 4),
        ("192.0.2.80", "medium", 3),
        ("2001:db8:ffff::1:5", "medium", 2),
        ("192.0.2.77", "medium", 2),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
    .collect();
    assert_eq!(got, want);
    // The internal STOMP broker and XMPP server (172.16.0.0/12 and 100.64.0.0/10, both in the
    // internal networks) are infrastructure by the default allowlist: counted as suppressed,
    // shown with --show-suppressed, and back (medium) without the default list.
    for entry in [
        "message-queue infrastructure inside the network",
        "chat infrastructure inside the network",
    ] {
        assert!(r.stderr.contains(entry), "{}", r.stderr);
    }
    let shown = alerts(&hunt(&["--show-suppressed", "examples/data/conn.log"]).stdout);
    for (dst, entry) in [
        ("172.20.4.9", "message-queue"),
        ("100.64.12.7", "chat infrastructure"),
    ] {
        let a = shown.iter().find(|a| a["dst_ip"] == dst).unwrap();
        assert!(a["suppressed_by"].as_str().unwrap().contains(entry), "{a}");
    }
    let all = alerts(&hunt(&["--no-default-allowlist", "examples/data/conn.log"]).stdout);
    assert_eq!(all.len(), want.len() + 2);
    for dst in ["172.20.4.9", "100.64.12.7"] {
        assert!(
            all.iter()
                .any(|a| a["dst_ip"] == dst && a["suspicion"] == "medium")
        );
    }
}

#[test]
fn json_and_tsv_of_the_same_connections_agree() {
    let t = hunt(&["--format", "jsonl", "examples/data/conn.log"]);
    let j = hunt(&["--format", "jsonl", "examples/data/conn.json"]);
    // Everything but the provenance (format name, sample file and line) must be equal.
    let strip = |out: &str| -> Vec<serde_json::Value> {
        out.lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                let o = v.as_object_mut().unwrap();
                o.remove("source_format");
                o.remove("samples");
                o.remove("sources");
                // The connections' identifiers must agree; the file that holds them differs.
                for f in o["flows"].as_array_mut().unwrap() {
                    f.as_object_mut().unwrap().remove("file");
                }
                v
            })
            .collect()
    };
    let (tv, jv) = (strip(&t.stdout), strip(&j.stdout));
    assert_eq!(tv, jv);
    assert!(!tv.is_empty());
    assert!(t.stdout.contains(r#""source_format":"zeek-tsv""#));
    assert!(j.stdout.contains(r#""source_format":"zeek-json""#));
}

#[test]
fn csv_and_table() {
    let r = hunt(&["--format", "csv", "examples/data/conn.log"]);
    assert_eq!(r.code, 0);
    insta::assert_snapshot!("example_conn_log_csv", r.stdout);
    let r = hunt(&["--format", "table", "examples/data/conn.log"]);
    assert!(r.stdout.contains("5 alerts"), "{}", r.stdout);
    assert!(r.stdout.contains("198.51.100.20:1883"));
}

#[test]
fn options_change_the_analytic() {
    let low = alerts(&hunt(&["--min-suspicion", "low", "examples/data/conn.log"]).stdout);
    assert_eq!(low.len(), 7);
    assert!(
        low.iter()
            .any(|a| a["dst_ip"] == "10.0.5.5" && a["suspicion"] == "low")
    );
    let only_port = alerts(&hunt(&["--analytic", "pubsub-port", "examples/data/conn.log"]).stdout);
    assert_eq!(only_port.len(), 6);
    assert!(only_port.iter().all(|a| a["analytic"] == "pubsub-port"));
    let three = alerts(&hunt(&["--min-connections", "4", "examples/data/conn.log"]).stdout);
    assert_eq!(three.len(), 2);
    // Adding 198.51.100.0/24 as internal turns the MQTT beacon into a low (hidden) alert.
    let internal =
        alerts(&hunt(&["--internal", "198.51.100.0/24", "examples/data/conn.log"]).stdout);
    assert!(!internal.iter().any(|a| a["dst_ip"] == "198.51.100.20"));
    // Hourly windows hold one connection each of the six-hour MQTT beacon: the channel is still
    // one alert, judged across windows, with its per-window figures.
    let hourly = alerts(&hunt(&["--window", "1h", "examples/data/conn.log"]).stdout);
    let beacon = hourly
        .iter()
        .find(|a| a["dst_ip"] == "198.51.100.20")
        .expect("the beacon is judged across windows");
    assert_eq!(beacon["connections"], 6);
    assert_eq!(beacon["windows"].as_array().unwrap().len(), 6);
    assert!(
        beacon["windows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["connections"] == 1)
    );
    assert!(hourly.iter().any(|a| a["dst_ip"] == "192.0.2.80"));
    assert_eq!(
        hourly
            .iter()
            .filter(|a| a["dst_ip"] == "192.0.2.80")
            .count(),
        1,
        "one alert per channel, not per window"
    );
    // A one-second window: nothing holds two connections, and the run says so.
    let r = hunt(&["--window", "1s", "examples/data/conn.log"]);
    assert!(
        r.stderr.contains("fewer than 2 in every 1s window"),
        "{}",
        r.stderr
    );
    let daily = alerts(&hunt(&["--window", "24h", "examples/data/conn.log"]).stdout);
    assert_eq!(daily.len(), 5);
}

#[test]
fn config_file_and_allowlist() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("hunt.toml");
    std::fs::write(
        &cfg,
        "[analytics]\nmin_suspicion = \"high\"\n\n[[allowlist]]\nreason = \"sanctioned chat server\"\ndestination = \"203.0.113.0/24\"\nprotocol = \"XMPP\"\n",
    )
    .unwrap();
    let r = hunt(&["--config", cfg.to_str().unwrap(), "examples/data/conn.log"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = alerts(&r.stdout);
    // Only the beacon is high on its evidence (the seed-high channels without evidence are medium).
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(
        a.iter()
            .all(|x| x["suspicion"] == "high" && x["dst_ip"] == "198.51.100.20")
    );
    assert!(a.iter().all(|x| x["suppressed_by"].is_null()));

    // At medium (the command line overrides the file) the sanctioned chat server is suppressed
    // by the file's entry, and --show-suppressed reports it, saying which entry suppressed it.
    let r = hunt(&[
        "--config",
        cfg.to_str().unwrap(),
        "--min-suspicion",
        "medium",
        "--show-suppressed",
        "examples/data/conn.log",
    ]);
    assert!(
        r.stderr.contains("1 suppressed: sanctioned chat server"),
        "{}",
        r.stderr
    );
    let a = alerts(&r.stdout);
    // Five reported, the chat server, and the two internal servers the default list covers.
    assert_eq!(a.len(), 7);
    let s: Vec<_> = a
        .iter()
        .filter(|x| x["suppressed_by"] == "sanctioned chat server")
        .collect();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["dst_ip"], "203.0.113.5");
    assert_eq!(s[0]["suppressed_by"], "sanctioned chat server");
}

#[test]
fn config_init_round_trips_and_bad_configs_are_fatal() {
    let out = common::bin().args(["config", "init"]).output().unwrap();
    assert!(out.status.success());
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, &out.stdout).unwrap();
    let check = || {
        let out = common::bin()
            .args(["config", "check"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let shown = check();
    assert!(shown.contains("MQTT: [1883, 8883]"));
    assert!(shown.contains("pubsub-beacon"), "{shown}");
    let defaults = allowlist::default_allowlist().len();
    assert!(
        shown.contains(&format!("default allowlist entries: {defaults} (soft")),
        "{shown}"
    );
    assert!(shown.contains("IoT hosts: none named"), "{shown}");
    std::fs::write(&cfg, "[hosts]\niot = [\"10.40.0.0/16\", \"gw-*\"]\n").unwrap();
    let shown = check();
    assert!(shown.contains("IoT hosts: 10.40.0.0/16, gw-*"), "{shown}");
    std::fs::write(&cfg, "[analytics]\nwindow = \"forever\"\n").unwrap();
    let r = hunt(&["--config", cfg.to_str().unwrap(), "examples/data/conn.log"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("forever"), "{}", r.stderr);
    let r = hunt(&["--window", "5y", "examples/data/conn.log"]);
    assert_eq!(r.code, 3);
    let r = hunt(&["--bogus-flag", "examples/data/conn.log"]);
    assert_eq!(r.code, 3);
}

#[test]
fn fail_on_alert() {
    assert_eq!(hunt(&["--fail-on-alert", "examples/data/conn.log"]).code, 1);
    assert_eq!(
        hunt(&[
            "--fail-on-alert",
            &corpus("zeek/testing/btest/Files/zeek-cut-logs/conn.log")
        ])
        .code,
        0
    );
}

/// Every Zeek shape in the corpus is read: the summaries are golden.
#[test]
fn corpus_zeek_shapes() {
    let cases: &[(&str, &str, i32)] = &[
        (
            "zeek_cut_conn",
            "zeek/testing/btest/Files/zeek-cut-logs/conn.log",
            0,
        ),
        (
            "zeek_cut_conncomma",
            "zeek/testing/btest/Files/zeek-cut-logs/conncomma.log",
            0,
        ),
        (
            "zeek_cut_conn_tsv",
            "zeek/testing/btest/Files/zeek-cut-logs/conn-tsv.log",
            0,
        ),
        (
            "zeek_cut_unset_field",
            "zeek/testing/btest/Files/zeek-cut-logs/unset-field.log",
            0,
        ),
        (
            "zeek_xmpp_starttls_conn",
            "zeek/testing/btest/Baseline/scripts.base.protocols.xmpp.starttls/conn.log",
            0,
        ),
        ("rita_truncated", "rita/test_data/truncated/conn.log", 2),
        (
            "rita_json_with_all_fields",
            "rita/test_data/json_with_all_fields/conn.log",
            0,
        ),
        (
            "rita_proxy_rolling_gz",
            "rita/test_data/proxy_rolling/conn.15:00:00-16:00:00.log.gz",
            0,
        ),
        (
            "otrf_apt29_zeek_zip",
            "otrf-security-datasets/datasets/compound/apt29/day2/zeek/UTICA-C-zeek_logs.zip",
            0,
        ),
        (
            "zed_ssl_json_gz",
            "zed-sample-data/zeek-json/ssl.json.gz",
            0,
        ),
    ];
    for (name, rel, code) in cases {
        let r = hunt(&["--format", "jsonl", &corpus(rel)]);
        assert_eq!(r.code, *code, "{rel}: {}", r.stderr);
        assert_eq!(r.stdout, "", "{rel}: no pub/sub channel in this sample");
        insta::assert_snapshot!(*name, stable(&r.stderr));
    }
}

#[test]
fn corpus_shapes_have_the_right_record_counts() {
    for (rel, records) in [
        ("zeek/testing/btest/Files/zeek-cut-logs/conn.log", 5),
        ("zeek/testing/btest/Files/zeek-cut-logs/conncomma.log", 5),
        ("zeek/testing/btest/Files/zeek-cut-logs/conn-tsv.log", 5),
        ("rita/test_data/json_with_all_fields/conn.log", 29),
        (
            "rita/test_data/proxy_rolling/conn.15:00:00-16:00:00.log.gz",
            290,
        ),
        // 31 conn records, 29 ssl.log records (read for their server names) and one dns.log
        // answer (read for the names of its addresses).
        (
            "otrf-security-datasets/datasets/compound/apt29/day2/zeek/UTICA-C-zeek_logs.zip",
            61,
        ),
    ] {
        // --strict parses every record in full, so this also proves each one parses.
        let r = hunt(&["--strict", &corpus(rel)]);
        assert_eq!(r.code, 0, "{rel}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("; {records} records")),
            "{rel}: {}",
            r.stderr
        );
        assert!(
            r.stderr
                .contains(&format!("{records} parsed as candidates")),
            "{rel}: {}",
            r.stderr
        );
    }
}

/// The truncated RITA log: the cut-off last line is reported with its line number, the rest is
/// used, and `--strict` makes it fatal.
#[test]
fn truncated_log() {
    let p = corpus("rita/test_data/truncated/conn.log");
    let r = hunt(&[&p]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("conn.log:67: truncated last record"),
        "{}",
        r.stderr
    );
    let r = hunt(&["--strict", &p]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("--strict"), "{}", r.stderr);
}

/// A channel planted into real corpus data is found: the corpus header and rows with our rows
/// appended, and two logs concatenated with `cat` (a second header mid-stream).
#[test]
fn planted_rows_in_corpus_logs_and_concatenated_logs() {
    let base = std::fs::read_to_string(
        root().join(corpus("zeek/testing/btest/Files/zeek-cut-logs/conn.log")),
    )
    .unwrap();
    let comma = std::fs::read_to_string(root().join(corpus(
        "zeek/testing/btest/Files/zeek-cut-logs/conncomma.log",
    )))
    .unwrap();
    let planted = "1329843300.000001\tCplant1\t141.142.220.235\t50100\t199.233.217.249\t5222\ttcp\t-\t1.0\t10\t20\tSF\t-\t0\tShADadFf\t4\t216\t4\t562\t(empty)\n\
                   1329843400.000002\tCplant2\t141.142.220.235\t50101\t199.233.217.249\t5222\ttcp\t-\t1.0\t30\t40\tSF\t-\t0\tShADadFf\t4\t216\t4\t562\t(empty)\n";
    // base without its #close, then the planted rows, then a whole comma-separated log.
    let body = base.replace("#close\t2014-04-01-23-15-49\n", "");
    let input = format!("{body}{planted}{comma}");
    let r = hunt_stdin(&["-"], Some(input.into_bytes()));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = alerts(&r.stdout);
    assert_eq!(a.len(), 1, "{}", r.stdout);
    assert_eq!(a[0]["connections"], 2);
    assert_eq!(a[0]["bytes_sent"], 40);
    assert_eq!(a[0]["bytes_received"], 60);
    assert_eq!(a[0]["first_seen"], "2012-02-21T16:55:00.000001Z");
    assert!(r.stderr.contains("; 12 records"), "{}", r.stderr);
}

#[test]
fn compressed_inputs_and_directories() {
    let dir = tempfile::tempdir().unwrap();
    let data = std::fs::read(root().join("examples/data/conn.log")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    std::fs::create_dir(dir.path().join("a")).unwrap();
    // Misleading names on purpose: content decides.
    std::fs::write(dir.path().join("a/conn.log.zst"), gz.finish().unwrap()).unwrap();
    std::fs::write(
        dir.path().join("conn.txt"),
        zstd::encode_all(&data[..], 3).unwrap(),
    )
    .unwrap();
    let r = hunt(&["--format", "jsonl", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = alerts(&r.stdout);
    // Two copies of one log are the same connections: the five example alerts, each connection
    // counted once (the single XMPP connection does not become two).
    assert_eq!(a.len(), 5, "{a:#?}");
    assert!(!a.iter().any(|x| x["dst_ip"] == "198.51.100.98"));
    let mqtt = a.iter().find(|x| x["dst_ip"] == "198.51.100.20").unwrap();
    assert_eq!(
        mqtt["connections"], 6,
        "two copies of the same six connections"
    );
    assert_eq!(mqtt["sources"].as_array().unwrap().len(), 2);
    assert!(
        r.stderr
            .contains("second records of connections other inputs also recorded counted once"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_input_is_counted_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("empty.log"), "").unwrap();
    std::fs::write(
        d.join("garbage.bin"),
        (0..4096u32)
            .map(|i| (i * 7919 % 251) as u8)
            .collect::<Vec<_>>(),
    )
    .unwrap();
    std::fs::write(d.join("notes.txt"), "hello\nworld\n").unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(root().join("examples/data/conn.json")).unwrap())
        .unwrap();
    let mut gz = gz.finish().unwrap();
    gz.truncate(gz.len() * 2 / 3);
    std::fs::write(d.join("cut.json.gz"), gz).unwrap();
    // A TSV log with malformed candidate lines and a 2 MiB line.
    let mut tsv = std::fs::read_to_string(root().join("examples/data/conn.log")).unwrap();
    tsv = tsv.replace("#close\t2026-11-02-14-00-00\n", "");
    tsv.push_str("1793606500.0\tCbad1\t10.0.0.9\t5000\t198.51.100.1\t5222\n");
    tsv.push_str(&format!(
        "1793606500.0\tClong\t{}\t5222\n",
        "x".repeat(2 << 20)
    ));
    tsv.push_str("1793606500.0\tCbad2\t10.0.0.999\t5000\t198.51.100.1\t5222\ttcp\t-\t1\t1\t1\tSF\tT\tF\t0\tS\t1\t1\t1\t1\t-\t6\n");
    std::fs::write(d.join("conn.log"), tsv).unwrap();
    let r = hunt(&["--format", "jsonl", d.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // An empty file holds no records and loses none: not a problem.
    assert!(!r.stderr.contains("empty.log"), "{}", r.stderr);
    for needle in [
        "garbage.bin: unknown format: binary data",
        "notes.txt: unknown format: not a format pubsub-hunt reads: none of pubsub-hunt's",
        "cut.json.gz:",
        "corrupt or truncated compressed data",
        "malformed record: 6 fields where the header declares 22",
        "line too long",
        "malformed record: bad id.orig_h",
    ] {
        assert!(
            r.stderr.contains(needle),
            "missing {needle:?} in:\n{}",
            r.stderr
        );
    }
    // The good records still count: the example's alerts come out (plus the gz part).
    let a = alerts(&r.stdout);
    assert!(a.iter().any(|x| x["dst_ip"] == "198.51.100.20"));
    // Problems are located by line.
    let line = r
        .stderr
        .lines()
        .find(|l| l.contains("Cbad") || l.contains("6 fields"))
        .unwrap();
    assert!(line.contains("conn.log:207:"), "{line}");
}

#[test]
fn stdin_and_forced_format() {
    let data = std::fs::read(root().join("examples/data/conn.json")).unwrap();
    let r = hunt_stdin(&["--format", "jsonl", "-"], Some(data.clone()));
    assert_eq!(alerts(&r.stdout).len(), 5);
    // Forcing the wrong format: every candidate line is malformed, nothing is made up.
    let r = hunt_stdin(&["--input-format", "zeek-tsv", "-"], Some(data));
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
    // Header-less TSV in Zeek's default column order, forced.
    let tsv = std::fs::read_to_string(root().join(corpus(
        "zeek/testing/btest/Files/zeek-cut-logs/conn-tsv.log",
    )))
    .unwrap();
    let body: String = tsv.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let r = hunt_stdin(
        &["--strict", "--input-format", "zeek-tsv", "-"],
        Some(body.into_bytes()),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("; 5 records"));
}

#[test]
fn formats_command_lists_formats() {
    let out = common::bin().arg("formats").output().unwrap();
    let s = String::from_utf8(out.stdout).unwrap();
    assert!(s.contains("zeek-tsv") && s.contains("zeek-json"));
}

/// `pubsub-hunt hunt … | head -1`: a closed pipe ends the run quietly with status 0.
#[test]
fn broken_pipe_is_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("many.log");
    let mut s = String::from(
        "#separator \\x09\n#fields\tts\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tconn_state\n",
    );
    // Each host to a server of its own: one server many hosts reach would be a shared service,
    // and benign evidence would leave too little output to break the pipe.
    for i in 0..20_000u32 {
        for port in 1..=2 {
            s.push_str(&format!(
                "1.0\t10.0.{}.{}\t{port}\t198.51.{}.{}\t5222\ttcp\tSF\n",
                i / 250,
                i % 250,
                i / 250,
                i % 250
            ));
        }
    }
    std::fs::write(&p, s).unwrap();
    let mut child = common::std_bin()
        .args(["hunt", "--format", "jsonl", "-q"])
        .arg(&p)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 100];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

fn run_cli(args: &[&str]) -> Run {
    let out = common::bin()
        .current_dir(root())
        .args(args)
        .output()
        .unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

#[test]
fn rules_export_writes_the_same_text_as_the_library() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tuned.toml");
    std::fs::write(
        &cfg,
        "[analytics]\nmin_connections = 5\nwindow = \"1h\"\n[networks]\nextra_internal = [\"203.0.113.0/24\"]\n",
    )
    .unwrap();
    let parsed =
        pubsub_hunt_core::HuntConfig::from_toml_str(&std::fs::read_to_string(&cfg).unwrap())
            .unwrap();
    for target in ["sigma", "kql", "spl", "yara-l", "esql"] {
        let r = run_cli(&["rules", "export", "--target", target]);
        assert_eq!(r.code, 0, "{target}: {}", r.stderr);
        let t: pubsub_hunt_rules::Target = target.parse().unwrap();
        let want = pubsub_hunt_rules::export(
            t,
            &pubsub_hunt_core::HuntConfig::default(),
            pubsub_hunt_rules::BUILT_IN_DEFAULTS,
        );
        assert_eq!(r.stdout, want, "{target}");

        let out = dir.path().join(format!("rule.{target}"));
        let r = run_cli(&[
            "rules",
            "export",
            "--target",
            target,
            "--config",
            cfg.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{target}: {}", r.stderr);
        assert_eq!(r.stdout, "");
        let written = std::fs::read_to_string(&out).unwrap();
        assert_eq!(
            written,
            pubsub_hunt_rules::export(t, &parsed, cfg.to_str().unwrap())
        );
        assert!(
            written.contains("203.0.113.0/24"),
            "{target}: tuned range missing"
        );
        assert_ne!(written, want, "{target}: the config changed nothing");
    }
    let r = run_cli(&["rules", "export", "--target", "qradar"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("qradar"), "{}", r.stderr);
}

#[test]
fn rules_show_describes_the_effective_analytic() {
    let r = run_cli(&["rules", "show"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        pubsub_hunt_rules::describe(&pubsub_hunt_core::HuntConfig::default())
    );
    assert!(r.stdout.contains("1883"));
}

#[test]
fn a_hunters_own_mapping_loads_any_export() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("proxy.toml");
    std::fs::write(
        &mapping,
        r#"name = "acme-proxy"
description = "ACME proxy connection export"
kind = "csv"

[sniff]
required = ["when", "client", "server", "server_port"]
confidence = "certain"

[timestamp]
field = "when"
formats = ["rfc3339"]

[fields]
host = "workstation"
process_path = "program"
user = "account"
src_ip = "client"
dst_ip = "server"
dst_port = "server_port"
"#,
    )
    .unwrap();
    let data = dir.path().join("export.csv");
    std::fs::write(
        &data,
        "when,workstation,program,account,client,server,server_port\n\
         2026-11-02T08:00:00Z,ws-1,C:\\Users\\bob\\AppData\\Local\\Temp\\upd.exe,bob,10.1.1.1,203.0.113.9,1883\n\
         2026-11-02T08:05:00Z,ws-1,C:\\Users\\bob\\AppData\\Local\\Temp\\upd.exe,bob,10.1.1.1,203.0.113.9,1883\n\
         2026-11-02T08:06:00Z,ws-1,C:\\Tools\\mosquitto_pub.exe,bob,10.1.1.1,203.0.113.9,1883\n\
         2026-11-02T08:07:00Z,ws-1,C:\\Tools\\mosquitto_pub.exe,bob,10.1.1.1,203.0.113.9,1883\n",
    )
    .unwrap();
    // Without the mapping the export is not a format pubsub-hunt knows.
    let r = hunt(&["--format", "jsonl", data.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("unknown format"), "{}", r.stderr);

    let r = hunt(&[
        "--format",
        "jsonl",
        "--mapping",
        mapping.to_str().unwrap(),
        data.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let alerts: Vec<serde_json::Value> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The Mosquitto client is excluded from high (and low is not reported): one alert.
    assert_eq!(alerts.len(), 1, "{}", r.stdout);
    let a = &alerts[0];
    assert_eq!(a["host"], "ws-1");
    assert_eq!(
        a["process"],
        "C:\\Users\\bob\\AppData\\Local\\Temp\\upd.exe"
    );
    assert_eq!(a["users"], serde_json::json!(["bob"]));
    assert_eq!(a["suspicion"], "high");
    assert_eq!(a["source_format"], "acme-proxy");
    assert_eq!(a["samples"][0]["line"], 2);

    let r = hunt(&[
        "--input-format",
        "acme-proxy",
        "--mapping",
        mapping.to_str().unwrap(),
        "--format",
        "jsonl",
        data.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = hunt(&["--input-format", "acme-proxy", data.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("unknown input format"), "{}", r.stderr);
}

#[test]
fn sysmon_xml_export_alerts_with_process_and_user() {
    let r = hunt(&[
        "--format",
        "jsonl",
        "crates/ingest/tests/fixtures/sysmon/mqtt_c2_export.xml",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    insta::assert_snapshot!("sysmon_xml_export", r.stdout);
}

fn jsonl(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn mqtt_on_an_odd_port_is_seen_by_its_bytes() {
    // ndpi's coap_mqtt.pcap: MQTT 3.1.1 between a bus simulator and a broker on port 17501,
    // which no port list contains.
    let _ = corpus("");
    let r = hunt(&[
        "--all-sessions",
        "../shared/corpus/pcaps/ndpi/coap_mqtt.pcap",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = jsonl(&r.stdout);
    let alerts: Vec<_> = lines.iter().filter(|l| l["kind"] == "alert").collect();
    let sessions: Vec<_> = lines.iter().filter(|l| l["kind"] == "session").collect();
    assert_eq!(alerts.len(), 1, "{}", r.stdout);
    let a = alerts[0];
    assert_eq!(a["analytic"], "pubsub-unusual-port");
    assert_eq!(a["protocol"], "MQTT");
    assert_eq!(a["dst_port"], 17501);
    assert_eq!(a["source_format"], "pcap");
    assert_eq!(a["app"]["protocol_version"], "3.1.1");
    assert!(
        a["app"]["client_ids"]
            .as_array()
            .is_some_and(|c| !c.is_empty())
    );
    assert!(a["app"]["first_packet"]["packet"].as_u64().is_some());
    assert!(
        a["reasons"].as_array().unwrap().iter().any(|r| r
            .as_str()
            .unwrap()
            .contains("payload inspection recognised MQTT")),
        "{a}"
    );
    assert_eq!(sessions.len(), 4, "{}", r.stdout);
    for s in sessions {
        assert_eq!(s["protocol"], "MQTT");
        assert_eq!(s["dst_port"], 17501);
        assert!(s["bytes_sent"].as_u64().unwrap() > 0);
    }
    // Without --all-sessions only the alert is written.
    let r = hunt(&[
        "--format",
        "jsonl",
        "../shared/corpus/pcaps/ndpi/coap_mqtt.pcap",
    ]);
    assert_eq!(jsonl(&r.stdout).len(), 1);
    // Sessions cannot go to CSV.
    let r = hunt(&[
        "--all-sessions",
        "--format",
        "csv",
        "../shared/corpus/pcaps/ndpi/coap_mqtt.pcap",
    ]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[test]
fn captures_and_logs_in_one_run() {
    let _ = corpus("");
    let r = hunt(&[
        "--format",
        "jsonl",
        "--min-suspicion",
        "low",
        "../shared/corpus/pcaps/ndpi/mqtt.pcap",
        "crates/packets/tests/fixtures/dpi/mosquitto-v311-v5.pcap",
        "examples/data/conn.log",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines = jsonl(&r.stdout);
    let formats: std::collections::BTreeSet<&str> = lines
        .iter()
        .map(|l| l["source_format"].as_str().unwrap())
        .collect();
    assert!(formats.contains("zeek-tsv"), "{formats:?}");
    assert!(
        formats.contains("pcap") || formats.contains("pcapng"),
        "{formats:?}\n{}",
        r.stderr
    );
    assert!(r.stderr.contains("pcap"), "{}", r.stderr);
}

#[test]
fn behaviour_analytics_run_alone_and_name_their_alerts() {
    let xml = "crates/ingest/tests/fixtures/sysmon/mqtt_c2_export.xml";
    // Full engine: the seed analytic formed the group, the process analytic found the
    // user-writable image.
    let full = alerts(&hunt(&["--format", "jsonl", xml]).stdout);
    assert_eq!(full.len(), 1);
    assert_eq!(full[0]["analytic"], "pubsub-port");
    assert_eq!(
        full[0]["analytics"],
        serde_json::json!(["pubsub-port", "pubsub-process"])
    );
    assert!(
        full[0]["signals"]["process_in_user_writable"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    // The process analytic alone reports the same group under its own id.
    let alone = alerts(&hunt(&["--analytic", "pubsub-process", xml]).stdout);
    assert_eq!(alone.len(), 1);
    assert_eq!(alone[0]["analytic"], "pubsub-process");
    // An analytic that finds nothing there reports nothing.
    assert!(alerts(&hunt(&["--analytic", "pubsub-beacon", xml]).stdout).is_empty());
    // The seed view has no behaviour evidence at all.
    let seed = alerts(&hunt(&["--analytic", "pubsub-port", xml]).stdout);
    assert_eq!(seed[0]["analytics"], serde_json::json!(["pubsub-port"]));
    assert_eq!(seed[0]["signals"], serde_json::json!({}));
    let bad = hunt(&["--analytic", "pubsub-nope", xml]);
    assert_eq!(bad.code, 3);
    assert!(bad.stderr.contains("pubsub-beacon"), "{}", bad.stderr);
}

#[test]
fn tune_reports_entries_that_fire_and_candidates() {
    let r = run_cli(&["tune", "examples/data/conn.log"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // Four of the five alerts are high; only the medium AMQP one has nothing to show.
    assert!(
        r.stdout.contains("5 alerts reported, 1 of them low-value"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(
        "1 alerts        3 connections  message-queue infrastructure inside the network"
    ));
    assert!(
        r.stdout
            .contains("removes     1  cost    0  destination = \"192.0.2.77\""),
        "{}",
        r.stdout
    );
    // An entry for the host would also hide its high alert on port 4444: a cost.
    assert!(
        r.stdout
            .contains("removes     1  cost    1  host = \"10.0.0.50\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("[[allowlist]]"));
    let j = run_cli(&[
        "tune",
        "--format",
        "jsonl",
        "--top",
        "3",
        "examples/data/conn.log",
    ]);
    let v: serde_json::Value = serde_json::from_str(j.stdout.trim()).unwrap();
    assert_eq!(v["suppressed"], 2);
    assert_eq!(v["candidates"].as_array().unwrap().len(), 2);
    // The suggested entry, pasted into a config, removes what the report said it would.
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("tuned.toml");
    let entry = v["candidates"][0]["toml"].as_str().unwrap();
    std::fs::write(&cfg, entry).unwrap();
    let removes = v["candidates"][0]["removes"].as_u64().unwrap() as usize;
    let after = alerts(
        &hunt(&[
            "--config",
            cfg.to_str().unwrap(),
            "--format",
            "jsonl",
            "examples/data/conn.log",
        ])
        .stdout,
    );
    assert_eq!(after.len(), 5 - removes);
}

#[test]
fn zeek_ssl_log_names_the_destinations_of_conn_log() {
    let dir = tempfile::tempdir().unwrap();
    let head = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n";
    let conn_fields = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\n";
    let mut conn = format!("{head}#path\tconn\n{conn_fields}");
    let mut ssl = format!(
        "{head}#path\tssl\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tcurve\tserver_name\tresumed\tlast_alert\tnext_protocol\testablished\n"
    );
    for (i, (dst, name)) in [
        ("52.48.17.198", "a3k7-ats.iot.eu-west-1.amazonaws.com"),
        ("45.147.229.12", "upd.ddns.net"),
    ]
    .iter()
    .enumerate()
    {
        for k in 0..3 {
            let ts = 1_700_000_000 + i * 10_000 + k * 600;
            conn.push_str(&format!(
                "{ts}.0\tC{i}{k}\t10.1.1.{i}\t5{k}000\t{dst}\t8883\ttcp\tssl\t5.0\t500\t300\tSF\tT\n"
            ));
            ssl.push_str(&format!(
                "{ts}.1\tC{i}{k}\t10.1.1.{i}\t5{k}000\t{dst}\t8883\tTLSv12\tTLS_AES_128_GCM_SHA256\tx25519\t{name}\tF\t-\t-\tT\n"
            ));
        }
    }
    std::fs::write(dir.path().join("conn.log"), &conn).unwrap();
    std::fs::write(dir.path().join("ssl.log"), &ssl).unwrap();
    let r = hunt(&["--format", "jsonl", dir.path().to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let a = alerts(&r.stdout);
    // The AWS IoT device endpoint is fleet telemetry (default allowlist); the dynamic-DNS name
    // is evidence.
    assert_eq!(a.len(), 1, "{}", r.stdout);
    assert_eq!(a[0]["dst_ip"], "45.147.229.12");
    assert_eq!(
        a[0]["destination_names"],
        serde_json::json!(["upd.ddns.net"])
    );
    assert!(a[0]["signals"]["dynamic_dns"].as_f64().unwrap() > 0.0);
    assert!(r.stderr.contains("AWS IoT Core"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("6 destination names from Zeek ssl.log (TLS server names)"),
        "{}",
        r.stderr
    );
    // Once the hunter names the IoT hosts, the fleet endpoint reached from another host is
    // evidence that overrides the default entry.
    let cfg = dir.path().join("site.toml");
    let with_site = |toml: &str| {
        std::fs::write(&cfg, toml).unwrap();
        let r = hunt(&[
            "--format",
            "jsonl",
            "--config",
            cfg.to_str().unwrap(),
            dir.path().join("conn.log").to_str().unwrap(),
            dir.path().join("ssl.log").to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    let out = with_site("[hosts]\niot = [\"10.40.0.0/16\", \"thermo-*\"]\n");
    let a = alerts(&out);
    let aws = a
        .iter()
        .find(|x| x["dst_ip"] == "52.48.17.198")
        .unwrap_or_else(|| panic!("{out}"));
    assert_eq!(aws["signals"]["cloud_iot_from_other_host"], 20.0);
    assert!(
        aws["reasons"].as_array().unwrap().iter().any(|r| r
            .as_str()
            .unwrap()
            .contains("not among the configured IoT hosts")),
        "{aws}"
    );
    // The same files with the workstation named as an IoT host: suppressed again.
    let out = with_site("[hosts]\niot = [\"10.1.1.0\"]\n");
    assert_eq!(alerts(&out).len(), 1, "{out}");
    std::fs::remove_file(&cfg).unwrap();

    // Without ssl.log the two destinations are only addresses.
    std::fs::remove_file(dir.path().join("ssl.log")).unwrap();
    let bare = alerts(&hunt(&["--format", "jsonl", dir.path().to_str().unwrap()]).stdout);
    assert_eq!(bare.len(), 2);
    assert!(
        bare.iter()
            .all(|x| x["destination_names"] == serde_json::json!([]))
    );
}

/// Runs the binary with a time limit: a `watch` whose arguments were wrongly accepted would
/// capture until interrupted.
fn run_cli_briefly(args: &[&str]) -> Run {
    let out = common::bin()
        .current_dir(root())
        .args(args)
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

/// A bad `--filter` is an argument error (status 3) before any capture starts: before
/// "watching" is printed, before the interface is looked up, and without capture privileges.
#[test]
fn watch_rejects_a_bad_filter_before_capturing() {
    let bad = |r: &Run| {
        assert_eq!(r.code, 3, "{}", r.stderr);
        assert!(
            r.stderr.contains("bad --filter \"bogus words\"")
                && r.stderr.contains("unknown filter term \"bogus\""),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("watching"), "{}", r.stderr);
        assert_eq!(r.stdout, "");
    };
    bad(&run_cli_briefly(&[
        "watch",
        "--interface",
        "lo",
        "--filter",
        "bogus words",
    ]));
    // The filter is judged before the interface: no "no interface named" here.
    let r = run_cli_briefly(&[
        "watch",
        "--interface",
        "nonexistent0",
        "--filter",
        "bogus words",
    ]);
    bad(&r);
    assert!(!r.stderr.contains("interface"), "{}", r.stderr);
    // Without root (and so without CAP_NET_RAW) the same error comes, not a socket error.
    let setpriv = Path::new("/usr/bin/setpriv");
    if is_root() && setpriv.exists() {
        let bin = assert_cmd::cargo::cargo_bin("pubsub-hunt");
        let out = std::process::Command::new(setpriv)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin)
            .args(["watch", "--interface", "lo", "--filter", "bogus words"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        if stderr.starts_with("setpriv:") {
            eprintln!("note: unprivileged check skipped (cannot run as nobody): {stderr}");
        } else {
            bad(&Run {
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr,
                code: out.status.code().unwrap_or(-1),
            });
        }
    }
}

/// `--report-every`, `--analytic` and `--config` of `watch` are checked before any capture
/// starts; an interval of 0 or beyond a day is an error, not silently clamped.
#[test]
fn watch_rejects_bad_values_before_capturing() {
    for (args, wanted) in [
        (
            &["--report-every", "0"][..],
            "--report-every must be at least 1",
        ),
        (&["--report-every", "86401"][..], "at most 86400 seconds"),
        (
            &["--report-every", "18446744073709551615"][..],
            "at most 86400 seconds",
        ),
        (&["--analytic", "pubsub-nope"][..], "pubsub-nope"),
        (
            &["--config", "/nonexistent/pubsub-hunt.toml"][..],
            "cannot read config",
        ),
    ] {
        let mut all = vec!["watch", "--interface", "nonexistent0"];
        all.extend_from_slice(args);
        let r = run_cli_briefly(&all);
        assert_eq!(r.code, 3, "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(wanted), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("watching"), "{args:?}: {}", r.stderr);
        assert!(!r.stderr.contains("no interface"), "{args:?}: {}", r.stderr);
    }
}

/// `tune` writes text (the default, or `--format table`) or JSON (`--format jsonl`); `--format
/// csv` is an error instead of silently giving text.
#[test]
fn tune_format_is_text_or_jsonl() {
    let r = run_cli(&["tune", "--format", "csv", "examples/data/conn.log"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("tune writes its report as text")
            && r.stderr.contains("--format jsonl")
            && r.stderr.contains("not csv"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    let text = run_cli(&["tune", "examples/data/conn.log"]);
    assert_eq!(text.code, 0, "{}", text.stderr);
    let table = run_cli(&["tune", "--format", "table", "examples/data/conn.log"]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert_eq!(table.stdout, text.stdout);
    let j = run_cli(&["tune", "--format", "jsonl", "examples/data/conn.log"]);
    assert_eq!(j.code, 0, "{}", j.stderr);
    let v: serde_json::Value = serde_json::from_str(j.stdout.trim()).unwrap();
    assert_eq!(v["suppressed"], 2);
}

/// An unknown `rules export --target` is an argument error naming every target.
#[test]
fn rules_export_unknown_target_lists_the_targets() {
    let r = run_cli(&["rules", "export", "--target", "bogus"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("\"bogus\""), "{}", r.stderr);
    for t in pubsub_hunt_rules::Target::ALL {
        assert!(r.stderr.contains(t.as_str()), "{t}: {}", r.stderr);
    }
}
