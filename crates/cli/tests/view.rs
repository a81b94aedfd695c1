//! The analyst's view end to end: the table (goldens on the example data and a corpus capture,
//! and a real pseudo-terminal at 80, 120 and 200 columns through `script`), colour, the
//! everyday flags (`--since`/`--until`, `--top`, `--host`, `--dst`) checked against the raw
//! log, and the rough edges of a first run (a missing path, empty standard input, `-q` in a
//! daily folder, an unrecognised file, a cut `.gz`, `config check`).

use assert_cmd::Command;
use std::io::Write;

mod common;

use common::root;

fn corpus(rel: &str) -> String {
    let dir = root().join("../shared/corpus");
    assert!(
        dir.is_dir(),
        "the test corpus is missing: expected {} (see ../shared/corpus/README.md)",
        dir.display()
    );
    format!("../shared/corpus/{rel}")
}

struct Run {
    stdout: String,
    stderr: String,
    code: i32,
}

fn run(args: &[&str], stdin: Option<Vec<u8>>, env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::cargo_bin("pubsub-hunt").unwrap();
    cmd.current_dir(root())
        .env("PUBSUB_HUNT_NO_STATE", "1")
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.write_stdin(stdin.unwrap_or_default());
    let out = cmd.output().unwrap();
    Run {
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
        code: out.status.code().unwrap_or(-1),
    }
}

const EXAMPLE: &str = "examples/data/conn.log";

fn jsonl(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["hunt", "--format", "jsonl", "-j", "2"];
    all.extend_from_slice(args);
    let r = run(&all, None, &[]);
    assert!(r.code == 0 || r.code == 2, "{}", r.stderr);
    r.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn table(width: &str, args: &[&str]) -> Run {
    let mut all = vec!["hunt", "--format", "table", "--color", "never", "-j", "2"];
    all.extend_from_slice(args);
    run(&all, None, &[("COLUMNS", width)])
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut esc = false;
    for c in s.chars() {
        match (esc, c) {
            (_, '\x1b') => esc = true,
            (true, c) if c.is_ascii_alphabetic() => esc = false,
            (true, _) => {}
            (false, '\r') => {}
            (false, c) => out.push(c),
        }
    }
    out
}

fn cols(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Lines of a table that are alert rows: they start with a short id (8 hex digits).
fn rows(table: &str) -> Vec<&str> {
    table
        .lines()
        .filter(|l| {
            l.len() > 10
                && l[..8].chars().all(|c| c.is_ascii_hexdigit())
                && l[8..].starts_with("  ")
        })
        .collect()
}

#[test]
fn table_of_the_example_data_at_120_columns() {
    let r = table("120", &[EXAMPLE]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let alerts = jsonl(&[EXAMPLE]);
    let rows = rows(&r.stdout);
    assert_eq!(rows.len(), alerts.len(), "{}", r.stdout);
    for (row, a) in rows.iter().zip(&alerts) {
        assert!(row.starts_with(&a["id"].as_str().unwrap()[..8]), "{row}");
    }
    for l in r.stdout.lines() {
        assert!(cols(l) <= 120, "{l:?}");
    }
    insta::assert_snapshot!("example_table_120", r.stdout);
}

#[test]
fn table_of_a_capture() {
    let pcap = corpus("pcaps/arkime/mqtt_synthetic.pcap");
    let r = table("120", &["--min-suspicion", "low", &pcap]);
    assert!(r.code == 0 || r.code == 2, "{}", r.stderr);
    let alerts = jsonl(&["--min-suspicion", "low", &pcap]);
    assert!(!alerts.is_empty(), "the capture should alert: {}", r.stderr);
    assert_eq!(rows(&r.stdout).len(), alerts.len(), "{}", r.stdout);
    insta::assert_snapshot!("capture_table_120", r.stdout);
}

#[test]
fn footer_and_summary_agree() {
    let r = table("200", &["--show-suppressed", EXAMPLE]);
    let footer = r.stdout.lines().last().unwrap();
    let summary = r
        .stderr
        .lines()
        .rfind(|l| l.contains(" alert"))
        .unwrap()
        .trim_start_matches("pubsub-hunt: ");
    // `N alerts (high …)` opens both.
    let head = |s: &str| s.split(')').next().unwrap().to_string();
    assert_eq!(head(footer), head(summary), "{footer}\n{summary}");
    let suppressed = r
        .stdout
        .lines()
        .filter(|l| l.contains("suppressed"))
        .count();
    let said = r
        .stderr
        .lines()
        .find(|l| l.contains("suppressed by the allowlist"))
        .unwrap();
    // The summary's groups line ends "…, K suppressed by the allowlist".
    let k: usize = said
        .rsplit(", ")
        .next()
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Every suppressed row is marked, and the footer counts them too.
    assert_eq!(suppressed.saturating_sub(1), k, "{}", r.stdout);
}

/// Runs the binary in a real pseudo-terminal of `width` columns (util-linux `script`), with
/// standard error thrown away, and returns what the terminal showed.
fn in_terminal(width: u16, args: &str) -> String {
    let bin = assert_cmd::cargo::cargo_bin("pubsub-hunt");
    let cmd = format!(
        "stty cols {width} rows 60; PUBSUB_HUNT_NO_STATE=1 {} {args} 2>/dev/null",
        bin.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .env_remove("COLUMNS")
        .env_remove("NO_COLOR")
        .env_remove("CI")
        .output()
        .expect("util-linux `script` runs the pseudo-terminal test");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn a_real_terminal_gets_one_line_per_alert_at_its_width() {
    let alerts = jsonl(&[EXAMPLE]);
    let mut headers = Vec::new();
    for width in [80u16, 120, 200] {
        let raw = in_terminal(width, &format!("hunt -j 2 {EXAMPLE}"));
        // Colour is on by default on a terminal.
        assert!(raw.contains("\x1b["), "no colour at {width}: {raw:?}");
        let shown = strip_ansi(&raw);
        let lines: Vec<&str> = shown.lines().filter(|l| !l.is_empty()).collect();
        // Header, one line per alert, footer: nothing wraps.
        assert_eq!(lines.len(), alerts.len() + 2, "at {width}:\n{shown}");
        assert_eq!(rows(&shown).len(), alerts.len(), "at {width}:\n{shown}");
        for l in &lines {
            assert!(cols(l) <= usize::from(width), "at {width}: {l:?}");
        }
        for a in &alerts {
            // Addresses and ports whole, whatever the width.
            let ip = a["dst_ip"].as_str().unwrap();
            let dst = if ip.contains(':') {
                format!("[{ip}]:{}", a["dst_port"])
            } else {
                format!("{ip}:{}", a["dst_port"])
            };
            let named = !a["destination_names"].as_array().unwrap().is_empty();
            assert!(named || shown.contains(&dst), "{dst} at {width}:\n{shown}");
        }
        headers.push(lines[0].to_string());
    }
    // The width came from the terminal: wider terminals show more columns.
    assert!(!headers[0].contains("top signals"), "{headers:?}");
    assert!(headers[2].contains("top signals"), "{headers:?}");
}

#[test]
fn no_color_and_color_flags() {
    let r = run(
        &["hunt", "--format", "table", "--color", "always", EXAMPLE],
        None,
        &[("NO_COLOR", "1")],
    );
    assert!(
        r.stdout.contains("\x1b["),
        "--color always wins over NO_COLOR"
    );
    let raw = in_terminal(120, &format!("hunt --color never -j 2 {EXAMPLE}"));
    assert!(!raw.contains("\x1b[3"), "{raw:?}");
    let bin = assert_cmd::cargo::cargo_bin("pubsub-hunt");
    let cmd = format!(
        "NO_COLOR=1 PUBSUB_HUNT_NO_STATE=1 {} hunt -j 2 {EXAMPLE} 2>/dev/null",
        bin.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .current_dir(root())
        .output()
        .unwrap();
    let raw = String::from_utf8(out.stdout).unwrap();
    assert!(!raw.contains("\x1b[3"), "NO_COLOR: {raw:?}");
}

#[test]
fn details_add_the_reasons_under_each_row() {
    let r = table("100", &["--details", EXAMPLE]);
    let alerts = jsonl(&[EXAMPLE]);
    for a in &alerts {
        let first = a["reasons"][0].as_str().unwrap();
        let word = first
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(r.stdout.contains(&word), "{word:?} missing:\n{}", r.stdout);
        assert!(
            r.stdout
                .contains(&format!("id {}", a["id"].as_str().unwrap()))
        );
    }
}

/// The start times (microseconds) of the example's connection records, read independently.
fn record_starts() -> Vec<(i64, String, String, u16)> {
    let text = std::fs::read_to_string(root().join(EXAMPLE)).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let secs: f64 = f[0].parse().unwrap();
            (
                (secs * 1e6).round() as i64,
                f[2].to_string(),
                f[4].to_string(),
                f[5].parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn since_and_until_restrict_the_records() {
    let starts = record_starts();
    let mut ts: Vec<i64> = starts.iter().map(|s| s.0).collect();
    ts.sort_unstable();
    let since_us = ts[ts.len() / 3];
    let until_us = ts[2 * ts.len() / 3];
    let fmt = |us: i64| {
        jiff::Timestamp::from_microsecond(us)
            .unwrap()
            .strftime("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string()
    };
    let (since, until) = (fmt(since_us), fmt(until_us));
    let r = run(
        &[
            "hunt", "--format", "jsonl", "--since", &since, "--until", &until, EXAMPLE,
        ],
        None,
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    // Only candidate records reach the engine (the prefilter skips the rest unparsed), so the
    // counts are checked per alert below, against the raw log.
    assert!(
        r.stderr.contains("connections outside --since/--until"),
        "{}",
        r.stderr
    );
    for a in r.stdout.lines() {
        let a: serde_json::Value = serde_json::from_str(a).unwrap();
        let (dst, port) = (
            a["dst_ip"].as_str().unwrap(),
            a["dst_port"].as_u64().unwrap(),
        );
        let host = a["host"].as_str().unwrap();
        let want = starts
            .iter()
            .filter(|s| s.1 == host && s.2 == dst && u64::from(s.3) == port)
            .filter(|s| s.0 >= since_us && s.0 <= until_us)
            .count();
        assert_eq!(a["connections"].as_u64().unwrap(), want as u64, "{a}");
    }
    // Relative times parse; a range that excludes everything gives no alert.
    let r = run(
        &["hunt", "--format", "jsonl", "--since", "1h", EXAMPLE],
        None,
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let r = run(&["hunt", "--since", "yesterday", EXAMPLE], None, &[]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("--since"), "{}", r.stderr);
}

#[test]
fn top_host_and_dst_select_alerts() {
    let all = jsonl(&[EXAMPLE]);
    assert!(all.len() >= 3);
    let top = jsonl(&["--top", "2", EXAMPLE]);
    assert_eq!(top, all[..2].to_vec());
    let host = all[1]["host"].as_str().unwrap();
    let by_host = jsonl(&["--host", host, EXAMPLE]);
    let want: Vec<_> = all.iter().filter(|a| a["host"] == host).cloned().collect();
    assert_eq!(by_host, want);
    let dst = all[0]["dst_ip"].as_str().unwrap();
    let net = format!("{dst}/32");
    let by_dst = jsonl(&["--dst", &net, EXAMPLE]);
    let want: Vec<_> = all.iter().filter(|a| a["dst_ip"] == dst).cloned().collect();
    assert_eq!(by_dst, want);
    // The table's footer and the summary both say what was left out.
    let r = table("120", &["--top", "1", EXAMPLE]);
    let footer = r.stdout.lines().last().unwrap();
    let left = all.len() - 1;
    assert!(
        footer.contains(&format!("1 shown, {left} left out")),
        "{footer}"
    );
    assert!(
        r.stderr
            .contains(&format!("1 alert written, {left} left out by --top")),
        "{}",
        r.stderr
    );
}

#[test]
fn a_missing_path_is_fatal_and_says_no_alert_count() {
    let r = run(&["hunt", "/nonexistent/conn.log"], None, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("cannot read /nonexistent/conn.log"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("0 alerts"), "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    // Also beside a good input: a typo is not a partial run.
    let r = run(&["hunt", EXAMPLE, "/nonexistent/x.log"], None, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
}

#[test]
fn empty_standard_input_is_no_records_not_a_problem() {
    let r = run(&["hunt", "-"], Some(Vec::new()), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("no records: standard input was empty"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("unknown format"), "{}", r.stderr);
    let r = run(
        &["hunt", "--format", "table", "-"],
        Some(b"\n\n".to_vec()),
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "No alerts.\n");
}

fn zeek_log(path: &str) -> String {
    format!(
        "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n\
         #path\t{path}\n#fields\tts\tuid\tnote\n#types\ttime\tstring\tstring\n\
         1793606400.0\tC1\tx\n"
    )
}

#[test]
fn quiet_sums_up_logs_of_other_types_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join(EXAMPLE), dir.path().join("conn.log")).unwrap();
    let others = ["weird", "files", "http", "notice", "x509"];
    for p in others {
        std::fs::write(dir.path().join(format!("{p}.log")), zeek_log(p)).unwrap();
    }
    let d = dir.path().to_str().unwrap();
    let loud = run(&["hunt", "--format", "jsonl", d], None, &[]);
    let per_log = |s: &str| {
        s.lines()
            .filter(|l| others.iter().any(|p| l.contains(&format!("{p}.log"))))
            .count()
    };
    assert_eq!(per_log(&loud.stderr), others.len(), "{}", loud.stderr);
    let quiet = run(&["hunt", "-q", "--format", "jsonl", d], None, &[]);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(per_log(&quiet.stderr), 0, "{}", quiet.stderr);
    assert_eq!(quiet.stderr.lines().count(), 1, "{}", quiet.stderr);
    assert!(
        quiet
            .stderr
            .contains(&format!("{} logs of other types", others.len())),
        "{}",
        quiet.stderr
    );
    assert_eq!(quiet.stdout, loud.stdout);
}

#[test]
fn an_unrecognised_file_says_every_reader_was_tried() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("notes.txt");
    std::fs::write(&p, "shopping list\nmilk\n").unwrap();
    let r = run(&["hunt", p.to_str().unwrap()], None, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let formats = run(&["formats"], None, &[]);
    let n = formats
        .stdout
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.trim().is_empty())
        .count();
    assert!(
        r.stderr
            .contains("not a format pubsub-hunt reads: none of pubsub-hunt's"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("not a Zeek log"), "{}", r.stderr);
    assert!(n > 5, "{}", formats.stdout);
}

#[test]
fn a_cut_gzip_file_is_corrupt_compressed_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read(root().join(EXAMPLE)).unwrap())
        .unwrap();
    let full = gz.finish().unwrap();
    // Cut early, before a reader could see a whole header, and late, mid-records.
    for cut in [60, full.len() / 2] {
        let p = dir.path().join(format!("conn.{cut}.log.gz"));
        std::fs::write(&p, &full[..cut]).unwrap();
        let r = run(
            &["hunt", "--format", "jsonl", p.to_str().unwrap()],
            None,
            &[],
        );
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("compressed data"), "{}", r.stderr);
        assert!(r.stderr.contains("corrupt"), "{}", r.stderr);
        assert!(
            !r.stderr.contains("unknown format"),
            "cut {cut}: {}",
            r.stderr
        );
    }
}

#[test]
fn config_check_lists_every_problem_once() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    std::fs::write(
        &p,
        "[analytics]\nwindow = \"forever\"\nmin_suspicion = \"extreme\"\n\n[limits]\n\
         max_groups = \"many\"\n",
    )
    .unwrap();
    let r = run(&["config", "check", p.to_str().unwrap()], None, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    // One item per problem; each bad value in exactly one of them.
    let items: Vec<&str> = r.stderr.split("\n  - ").skip(1).collect();
    assert_eq!(items.len(), 3, "{}", r.stderr);
    for bad in ["forever", "extreme", "many"] {
        assert_eq!(
            items.iter().filter(|i| i.contains(bad)).count(),
            1,
            "{bad} should be named once:\n{}",
            r.stderr
        );
    }
    assert!(r.stderr.contains("3 problems"), "{}", r.stderr);
    // A syntax error is one problem, printed once.
    std::fs::write(&p, "[analytics\nwindow = 1\n").unwrap();
    let r = run(&["config", "check", p.to_str().unwrap()], None, &[]);
    assert_eq!(r.code, 3);
    let msg = r
        .stderr
        .lines()
        .find(|l| l.contains("TOML") || l.contains("expected"))
        .unwrap();
    assert_eq!(r.stderr.matches(msg.trim()).count(), 1, "{}", r.stderr);
}
