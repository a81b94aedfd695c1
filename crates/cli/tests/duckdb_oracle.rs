//! The analytic checked two ways on generated Zeek conn logs with planted channels: against an
//! independent SQL implementation in DuckDB (`tests/python/duckdb_oracle.py`), field by field,
//! and against the generator's ground truth (every planted alert found, nothing else reported).
//!
//! Logs come from `pubsub-hunt-testgen` in several seeds, sizes and shapes (TSV, JSON with dotted
//! or underscored names, epoch or ISO-8601 `ts`, gzip and zstd, with and without
//! `Site::local_nets`) and are hunted with and without `--window 1h` and `--min-suspicion low`.
//! `reasons` and `technique` are not compared: they are prose and a constant.
//!
//! The oracle needs Python with `duckdb` (`scripts/test.sh` installs it and sets
//! `PUBSUB_HUNT_PYTHON`). Without it the DuckDB comparison is skipped with a message, unless
//! `PUBSUB_HUNT_REQUIRE_ORACLES=1`, which turns the skip into a failure. The ground-truth
//! comparison always runs.

mod common;

use pubsub_hunt_testgen::time::parse_rfc3339;
use pubsub_hunt_testgen::{
    ExpectedAlert, GenConfig, GroundTruth, LogFormat, RenderOptions, Suspicion, write_conn_log_file,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
const HOUR_MICROS: i64 = 3_600_000_000;

/// The hunts run on every data set: (arguments, window in microseconds, least suspicion).
const HUNTS: [(&[&str], Option<i64>, Suspicion); 4] = [
    (&[], None, Suspicion::Medium),
    (&["--window", "1h"], Some(HOUR_MICROS), Suspicion::Medium),
    (&["--min-suspicion", "low"], None, Suspicion::Low),
    (
        &["--window", "1h", "--min-suspicion", "low"],
        Some(HOUR_MICROS),
        Suspicion::Low,
    ),
];

/// One alert, reduced to the fields compared. Times are microseconds so that equal instants
/// written with different fraction lengths compare equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct AlertRow {
    analytic: String,
    host: String,
    dst_ip: String,
    dst_port: u64,
    protocol: String,
    first_seen: Option<i64>,
    last_seen: Option<i64>,
    suspicion: String,
    external: bool,
    connections: u64,
    bytes_sent: Option<u64>,
    bytes_received: Option<u64>,
    users: Vec<String>,
    process: Option<String>,
    src_ip: Option<String>,
}

/// The address in canonical form, so `2001:DB8::1` and `2001:db8::1` compare equal.
fn canonical_ip(s: &str) -> String {
    s.parse::<IpAddr>()
        .map_or_else(|_| s.to_string(), |ip| ip.to_string())
}

fn field<'a>(v: &'a Value, name: &str, who: &str) -> &'a Value {
    v.get(name)
        .unwrap_or_else(|| panic!("{who}: alert without `{name}`: {v}"))
}

fn opt_time(v: &Value, name: &str, who: &str) -> Option<i64> {
    match field(v, name, who) {
        Value::Null => None,
        Value::String(s) => Some(
            parse_rfc3339(s).unwrap_or_else(|| panic!("{who}: `{name}` is not RFC 3339: {s:?}")),
        ),
        other => panic!("{who}: `{name}` is neither a string nor null: {other}"),
    }
}

fn opt_u64(v: &Value, name: &str, who: &str) -> Option<u64> {
    match field(v, name, who) {
        Value::Null => None,
        x => Some(
            x.as_u64()
                .unwrap_or_else(|| panic!("{who}: `{name}` is not a count: {x}")),
        ),
    }
}

fn string(v: &Value, name: &str, who: &str) -> String {
    match field(v, name, who).as_str() {
        Some(s) => s.to_string(),
        None => panic!("{who}: `{name}` is not a string: {v}"),
    }
}

fn parse_alert(v: &Value, who: &str) -> AlertRow {
    let users = match field(v, "users", who) {
        Value::Array(a) => a
            .iter()
            .map(|u| u.as_str().unwrap_or_default().to_string())
            .collect(),
        other => panic!("{who}: `users` is not an array: {other}"),
    };
    AlertRow {
        analytic: string(v, "analytic", who),
        host: canonical_ip(&string(v, "host", who)),
        dst_ip: canonical_ip(&string(v, "dst_ip", who)),
        dst_port: opt_u64(v, "dst_port", who).unwrap_or_else(|| panic!("{who}: null dst_port")),
        protocol: string(v, "protocol", who),
        first_seen: opt_time(v, "first_seen", who),
        last_seen: opt_time(v, "last_seen", who),
        suspicion: string(v, "suspicion", who),
        external: field(v, "external", who)
            .as_bool()
            .unwrap_or_else(|| panic!("{who}: `external` is not a bool: {v}")),
        connections: opt_u64(v, "connections", who)
            .unwrap_or_else(|| panic!("{who}: null connections")),
        bytes_sent: opt_u64(v, "bytes_sent", who),
        bytes_received: opt_u64(v, "bytes_received", who),
        users,
        process: field(v, "process", who).as_str().map(str::to_string),
        src_ip: field(v, "src_ip", who).as_str().map(canonical_ip),
    }
}

/// One window of a channel with at least `min_connections` connections in it: how the seed
/// analytic with a window counts (one row per window), and how pubsub-hunt reports it (one alert
/// per channel with its windows inside).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct WindowRow {
    analytic: String,
    host: String,
    dst_ip: String,
    dst_port: u64,
    protocol: String,
    window_start: i64,
    suspicion: String,
    external: bool,
    connections: u64,
}

impl WindowRow {
    fn of(a: &AlertRow, window_start: i64, connections: u64) -> WindowRow {
        WindowRow {
            analytic: a.analytic.clone(),
            host: a.host.clone(),
            dst_ip: a.dst_ip.clone(),
            dst_port: a.dst_port,
            protocol: a.protocol.clone(),
            window_start,
            suspicion: a.suspicion.clone(),
            external: a.external,
            connections,
        }
    }
}

/// Per-window rows (the seed's shape) of alerts that are already one per window.
fn rows_per_window(alerts: &[AlertRow], len: i64) -> BTreeSet<WindowRow> {
    alerts
        .iter()
        .map(|a| {
            let start = a
                .first_seen
                .expect("windowed rows have times")
                .div_euclid(len)
                * len;
            WindowRow::of(a, start, a.connections)
        })
        .collect()
}

/// pubsub-hunt's channel alerts expanded into their windows that reach the threshold.
fn expand_windows(jsonl: &str, min: u64) -> BTreeSet<WindowRow> {
    let mut out = BTreeSet::new();
    for l in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(l).expect("pubsub-hunt writes JSON lines");
        let a = parse_alert(&v, "pubsub-hunt");
        let windows = v["windows"]
            .as_array()
            .unwrap_or_else(|| panic!("a windowed alert without `windows`: {v}"));
        for w in windows {
            let n = w["connections"].as_u64().expect("window connections");
            let start = parse_rfc3339(w["start"].as_str().expect("window start"))
                .expect("window start is RFC 3339");
            if n >= min {
                out.insert(WindowRow::of(&a, start, n));
            }
        }
    }
    out
}

fn assert_same_windows(
    context: &str,
    ours: &BTreeSet<WindowRow>,
    other_name: &str,
    other: &BTreeSet<WindowRow>,
) {
    if ours == other {
        return;
    }
    let mut msg = format!(
        "{context}: pubsub-hunt ({} windows) and {other_name} ({} windows) disagree\n",
        ours.len(),
        other.len()
    );
    for a in ours.difference(other).take(15) {
        msg.push_str(&format!("  only in pubsub-hunt: {a:?}\n"));
    }
    for a in other.difference(ours).take(15) {
        msg.push_str(&format!("  only in {other_name}: {a:?}\n"));
    }
    panic!("{msg}");
}

/// Parses JSON lines of alerts, in the order written.
fn parse_alerts(jsonl: &str, who: &str) -> Vec<AlertRow> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{who}: output line is not JSON ({e}): {l}"));
            parse_alert(&v, who)
        })
        .collect()
}

fn from_truth(a: &ExpectedAlert) -> AlertRow {
    AlertRow {
        analytic: a.analytic.as_str().to_string(),
        host: canonical_ip(&a.host),
        dst_ip: canonical_ip(&a.dst_ip),
        dst_port: u64::from(a.dst_port),
        protocol: a.protocol.as_str().to_string(),
        first_seen: Some(a.first_seen),
        last_seen: Some(a.last_seen),
        suspicion: a.suspicion.as_str().to_string(),
        external: a.external,
        connections: a.connections,
        bytes_sent: a.bytes_sent,
        bytes_received: a.bytes_received,
        users: Vec::new(),
        process: None,
        src_ip: Some(canonical_ip(&a.host)),
    }
}

/// Panics with the alerts only one side has, when the two sets differ.
fn assert_same_alerts(
    context: &str,
    left_name: &str,
    left: &[AlertRow],
    right_name: &str,
    right: &[AlertRow],
) {
    let l: BTreeSet<&AlertRow> = left.iter().collect();
    let r: BTreeSet<&AlertRow> = right.iter().collect();
    assert_eq!(
        l.len(),
        left.len(),
        "{context}: {left_name} reported an alert twice"
    );
    assert_eq!(
        r.len(),
        right.len(),
        "{context}: {right_name} reported an alert twice"
    );
    if l == r {
        return;
    }
    let mut msg = format!(
        "{context}: {left_name} ({} alerts) and {right_name} ({} alerts) disagree\n",
        left.len(),
        right.len()
    );
    for a in l.difference(&r).take(15) {
        msg.push_str(&format!("  only in {left_name}: {a:?}\n"));
    }
    for a in r.difference(&l).take(15) {
        msg.push_str(&format!("  only in {right_name}: {a:?}\n"));
    }
    panic!("{msg}");
}

/// pubsub-hunt's report order: higher suspicion first, then more connections.
fn assert_report_order(context: &str, alerts: &[AlertRow]) {
    let rank = |s: &str| match s {
        "high" => 2,
        "medium" => 1,
        _ => 0,
    };
    for pair in alerts.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let ka = (rank(&a.suspicion), a.connections);
        let kb = (rank(&b.suspicion), b.connections);
        assert!(
            ka >= kb,
            "{context}: out of report order:\n  {a:?}\n  before\n  {b:?}"
        );
    }
}

/// The Python interpreter of the DuckDB oracle, or `None` (after saying why) to skip.
fn oracle_python() -> Option<String> {
    let required = std::env::var("PUBSUB_HUNT_REQUIRE_ORACLES").is_ok_and(|v| v == "1");
    let skip = |why: String| -> Option<String> {
        if required {
            panic!("DuckDB oracle required (PUBSUB_HUNT_REQUIRE_ORACLES=1) but {why}");
        }
        eprintln!("SKIPPED DuckDB comparison: {why} (run scripts/test.sh to install the oracle)");
        None
    };
    let python = match std::env::var("PUBSUB_HUNT_PYTHON") {
        Ok(p) if !p.trim().is_empty() => p,
        _ => return skip("PUBSUB_HUNT_PYTHON is not set".into()),
    };
    let probe = std::process::Command::new(&python)
        .args(["-c", "import duckdb"])
        .output();
    match probe {
        Ok(out) if out.status.success() => Some(python),
        Ok(out) => skip(format!(
            "{python} cannot import duckdb: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => skip(format!("{python} does not run: {e}")),
    }
}

fn run_pubsub_hunt(log: &Path, args: &[&str]) -> String {
    let out = common::bin()
        .arg("hunt")
        .args(["--format", "jsonl"])
        // The oracle implements the seed analytics; behaviour scoring is not part of them.
        .args([
            "--analytic",
            "pubsub-port",
            "--analytic",
            "pubsub-unusual-port",
        ])
        .args(args)
        .arg(log)
        .output()
        .expect("pubsub-hunt runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 0 = success; a non-zero status here means input errors, which generated logs never have.
    assert!(
        out.status.success(),
        "pubsub-hunt hunt {args:?} {} failed ({}):\n{stderr}",
        log.display(),
        out.status
    );
    String::from_utf8(out.stdout).expect("pubsub-hunt writes UTF-8")
}

fn run_oracle(python: &str, log: &Path, args: &[&str]) -> String {
    let script = PathBuf::from(WORKSPACE).join("tests/python/duckdb_oracle.py");
    let out = std::process::Command::new(python)
        .arg(&script)
        .args(args)
        .arg(log)
        .output()
        .expect("the DuckDB oracle runs");
    assert!(
        out.status.success(),
        "duckdb_oracle.py {args:?} {} failed ({}):\n{}",
        log.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the oracle writes UTF-8")
}

/// One generated data set.
struct DataSet {
    name: &'static str,
    cfg: GenConfig,
    opts: RenderOptions,
    file_name: &'static str,
}

fn generate(ds: &DataSet, dir: &Path) -> (PathBuf, GroundTruth) {
    let path = dir.join(ds.file_name);
    let truth = write_conn_log_file(&ds.cfg, &ds.opts, &path).expect("writing the generated log");
    (path, truth)
}

/// Hunts one data set every way, comparing pubsub-hunt with the truth and with DuckDB.
fn check(ds: DataSet) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (log, truth) = generate(&ds, dir.path());
    let python = oracle_python();
    for (args, window, min_suspicion) in HUNTS {
        let context = format!(
            "{} (seed {}, {} rows) hunt {args:?}",
            ds.name, ds.cfg.seed, truth.rows
        );
        let output = run_pubsub_hunt(&log, args);
        let ours = parse_alerts(&output, "pubsub-hunt");
        assert_report_order(&context, &ours);
        let expected: Vec<AlertRow> = truth
            .expected_alerts(window, min_suspicion)
            .iter()
            .map(from_truth)
            .collect();
        assert!(
            !expected.is_empty(),
            "{context}: the generator planted nothing to find"
        );
        let oracle = python
            .as_ref()
            .map(|python| parse_alerts(&run_oracle(python, &log, args), "duckdb oracle"));
        match window {
            None => {
                assert_same_alerts(&context, "pubsub-hunt", &ours, "ground truth", &expected);
                if let Some(oracle) = &oracle {
                    assert_same_alerts(&context, "pubsub-hunt", &ours, "DuckDB", oracle);
                }
            }
            Some(len) => {
                // One alert per channel: no channel twice, and its windows are the seed's rows.
                let channels: BTreeSet<_> = ours
                    .iter()
                    .map(|a| (&a.analytic, &a.host, &a.dst_ip, a.dst_port, &a.protocol))
                    .collect();
                assert_eq!(
                    channels.len(),
                    ours.len(),
                    "{context}: a channel alerted twice"
                );
                let windows = expand_windows(&output, 2);
                assert_same_windows(
                    &context,
                    &windows,
                    "ground truth",
                    &rows_per_window(&expected, len),
                );
                if let Some(oracle) = &oracle {
                    assert_same_windows(
                        &context,
                        &windows,
                        "DuckDB",
                        &rows_per_window(oracle, len),
                    );
                }
            }
        }
    }
}

#[test]
fn tsv_against_duckdb_and_truth() {
    check(DataSet {
        name: "TSV",
        cfg: GenConfig::new(20_000, 1),
        opts: RenderOptions::tsv(),
        file_name: "conn.log",
    });
}

#[test]
fn json_dotted_against_duckdb_and_truth() {
    check(DataSet {
        name: "JSON, dotted names, epoch ts",
        cfg: GenConfig::new(20_000, 2),
        opts: RenderOptions::json(),
        file_name: "conn.json",
    });
}

#[test]
fn json_underscored_iso_gzip_against_duckdb_and_truth() {
    check(DataSet {
        name: "JSON, underscored names, ISO-8601 ts, gzip",
        cfg: GenConfig::new(8_000, 3),
        opts: RenderOptions {
            format: LogFormat::ZeekJson,
            underscore_names: true,
            iso_ts: true,
        },
        file_name: "conn.json.gz",
    });
}

#[test]
fn tsv_two_days_zstd_against_duckdb_and_truth() {
    check(DataSet {
        name: "TSV over two days, zstd",
        cfg: GenConfig {
            span_secs: Some(2 * 86_400),
            ..GenConfig::new(60_000, 4)
        },
        opts: RenderOptions::tsv(),
        file_name: "conn.log.zst",
    });
}

#[test]
fn tsv_without_local_nets_against_duckdb_and_truth() {
    // Zeek without Site::local_nets leaves local_orig unset: inbound rows count then.
    check(DataSet {
        name: "TSV without local_orig",
        cfg: GenConfig {
            local_nets: false,
            ..GenConfig::new(5_000, 5)
        },
        opts: RenderOptions::tsv(),
        file_name: "conn-nolocal.log",
    });
}

/// The cases the seeds get wrong, spelled out, so a failure names the rule that broke.
#[test]
fn planted_cases_are_reported_as_declared() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let ds = DataSet {
        name: "TSV",
        cfg: GenConfig::new(10_000, 6),
        opts: RenderOptions::tsv(),
        file_name: "conn.log",
    };
    let (log, truth) = generate(&ds, dir.path());
    let all = parse_alerts(
        &run_pubsub_hunt(&log, &["--min-suspicion", "low"]),
        "pubsub-hunt",
    );
    let find = |case: &str| -> Vec<&AlertRow> {
        let groups: Vec<_> = truth.groups.iter().filter(|g| g.case == case).collect();
        assert!(!groups.is_empty(), "case {case} was not planted");
        all.iter()
            .filter(|a| {
                groups.iter().any(|g| {
                    a.host == canonical_ip(&g.host)
                        && a.dst_ip == canonical_ip(&g.dst_ip)
                        && a.dst_port == u64::from(g.dst_port)
                })
            })
            .collect()
    };
    let one = |case: &str| -> AlertRow {
        let found = find(case);
        assert_eq!(
            found.len(),
            1,
            "case {case}: expected one alert, got {found:?}"
        );
        found[0].clone()
    };
    let a = one("xmpp-internal-172-20");
    assert_eq!(
        (a.external, a.suspicion.as_str()),
        (false, "medium"),
        "172.20/16 is internal"
    );
    let a = one("stomp-internal-cgnat");
    assert_eq!(
        (a.external, a.suspicion.as_str()),
        (false, "medium"),
        "100.64/10 is internal"
    );
    let a = one("mqtt-external-ipv6");
    assert_eq!((a.external, a.suspicion.as_str()), (true, "high"));
    let a = one("xmpp-internal-ula");
    assert_eq!(
        (a.external, a.suspicion.as_str()),
        (false, "medium"),
        "fc00::/7 is internal"
    );
    let a = one("amqp-external");
    assert_eq!(a.suspicion, "medium");
    let a = one("mqtt-external-beacon");
    assert_eq!((a.suspicion.as_str(), a.process.as_deref()), ("high", None));
    let a = one("unusual-mqtt-4444");
    assert_eq!(
        (
            a.analytic.as_str(),
            a.protocol.as_str(),
            a.suspicion.as_str()
        ),
        ("pubsub-unusual-port", "MQTT", "high")
    );
    let a = one("unusual-xmpp-443");
    assert_eq!(
        (a.analytic.as_str(), a.protocol.as_str()),
        ("pubsub-unusual-port", "XMPP")
    );
    let a = one("unset-bytes-amqp");
    assert_eq!(
        (a.bytes_sent, a.bytes_received),
        (None, None),
        "no row had byte counts"
    );
    let a = one("mixed-states-external-xmpp");
    assert_eq!(a.connections, 9, "only established connections count");
    assert_eq!(
        find("mqtt-on-xmpp-port").len(),
        2,
        "port rule and unusual-port rule both fire"
    );
    for silent in [
        "refused-external-mqtt",
        "one-success-external-stomp",
        "single-external-xmpp",
        "udp-mqtt-sn",
        "inbound-xmpp",
        "inbound-mqtt",
    ] {
        assert!(
            find(silent).is_empty(),
            "case {silent} must not alert: {:?}",
            find(silent)
        );
    }
    assert_eq!(
        find("mqtt-iot-internal").len(),
        truth
            .groups
            .iter()
            .filter(|g| g.case == "mqtt-iot-internal")
            .count()
    );
    let windowed = parse_alerts(&run_pubsub_hunt(&log, &["--window", "1h"]), "pubsub-hunt");
    let straddle = truth.case("window-straddle-xmpp").expect("planted");
    assert!(
        !windowed
            .iter()
            .any(|a| a.dst_ip == canonical_ip(&straddle.dst_ip)),
        "two connections in different hours must not alert with --window 1h"
    );
    assert_eq!(one("window-straddle-xmpp").connections, 2);
}
