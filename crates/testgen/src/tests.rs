//! Tests of the generator as a whole: determinism, the shape of the rendered logs, and that the
//! ground truth agrees with the rows actually written.

use crate::*;
use std::collections::{BTreeMap, HashSet};

fn tsv(lines: u64, seed: u64) -> (String, GroundTruth) {
    let (bytes, truth) = conn_log_bytes(&GenConfig::new(lines, seed), &RenderOptions::tsv());
    (
        String::from_utf8(bytes).expect("generator writes UTF-8"),
        truth,
    )
}

#[test]
fn same_seed_same_log_other_seed_other_log() {
    let (a, _) = tsv(3_000, 5);
    let (b, _) = tsv(3_000, 5);
    let (c, _) = tsv(3_000, 6);
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn tsv_has_zeek_header_columns_and_close() {
    let (log, truth) = tsv(5_000, 1);
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines[0], "#separator \\x09");
    assert_eq!(lines[4], "#path\tconn");
    assert!(lines[5].starts_with("#open\t2024-03-0"));
    let fields: Vec<&str> = lines[6].split('\t').skip(1).collect();
    assert_eq!(fields, render::CONN_FIELDS);
    assert_eq!(lines[7].split('\t').count(), 23);
    assert!(lines.last().is_some_and(|l| l.starts_with("#close\t")));
    let data: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with('#'))
        .collect();
    assert_eq!(data.len() as u64, truth.rows);
    assert_eq!(truth.rows, 5_000);
    for l in &data {
        assert_eq!(l.split('\t').count(), 22, "{l}");
    }
}

#[test]
fn small_requests_still_get_every_planted_row() {
    let (log, truth) = tsv(10, 1);
    let data = log.lines().filter(|l| !l.starts_with('#')).count() as u64;
    assert_eq!(data, truth.planted_rows);
    assert!(truth.planted_rows > 10);
}

#[test]
fn ts_roughly_increasing_but_not_sorted() {
    let (log, truth) = tsv(20_000, 2);
    let ts: Vec<f64> = log
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split('\t').next()?.parse().ok())
        .collect();
    assert_eq!(ts.len() as u64, truth.rows);
    let inversions = ts.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(inversions > 100, "only {inversions} out-of-order rows");
    let span = truth.span_secs as f64;
    let start = truth.start as f64 / 1e6;
    assert!(ts.iter().all(|t| *t >= start && *t < start + span * 1.5));
    // Rows are written at connection end: never more than a few hours late.
    let mut max_seen = f64::MIN;
    for t in &ts {
        assert!(*t > max_seen - 5.0 * 3600.0);
        max_seen = max_seen.max(*t);
    }
}

#[test]
fn json_lines_parse_and_match_the_tsv_rows() {
    let cfg = GenConfig::new(3_000, 9);
    let (tsv_bytes, _) = conn_log_bytes(&cfg, &RenderOptions::tsv());
    let (json_bytes, truth) = conn_log_bytes(&cfg, &RenderOptions::json());
    let tsv_text = String::from_utf8(tsv_bytes).unwrap();
    let json_text = String::from_utf8(json_bytes).unwrap();
    let tsv_rows: Vec<Vec<&str>> = tsv_text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    let json_rows: Vec<serde_json::Value> = json_text
        .lines()
        .map(|l| serde_json::from_str(l).expect("valid JSON"))
        .collect();
    assert_eq!(json_rows.len() as u64, truth.rows);
    assert_eq!(tsv_rows.len(), json_rows.len());
    for (t, j) in tsv_rows.iter().zip(&json_rows) {
        assert_eq!(j["uid"].as_str(), Some(t[1]));
        assert_eq!(j["id.orig_h"].as_str(), Some(t[2]));
        assert_eq!(
            j["id.resp_p"].as_u64().map(|p| p.to_string()).as_deref(),
            Some(t[5])
        );
        assert_eq!(
            j["ts"].as_f64().map(|v| format!("{v:.6}")).as_deref(),
            Some(t[0])
        );
        // Unset fields are left out of JSON.
        assert_eq!(j.get("orig_bytes").is_none(), t[9] == "-");
        assert_eq!(j.get("conn_state").is_none(), t[11] == "-");
        assert_eq!(
            j.get("local_orig")
                .and_then(|v| v.as_bool())
                .map(|b| if b { "T" } else { "F" })
                .unwrap_or("-"),
            t[12]
        );
    }
}

#[test]
fn json_variants_underscore_and_iso() {
    let cfg = GenConfig::new(500, 3);
    let opts = RenderOptions {
        format: LogFormat::ZeekJson,
        underscore_names: true,
        iso_ts: true,
    };
    let (bytes, _) = conn_log_bytes(&cfg, &opts);
    let text = String::from_utf8(bytes).unwrap();
    let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert!(first.get("id_orig_h").is_some());
    assert!(first.get("id.orig_h").is_none());
    assert_eq!(first["_path"], "conn");
    let ts = first["ts"].as_str().expect("ISO ts is a string");
    assert!(
        ts.starts_with("2024-03-0") && ts.ends_with('Z') && ts.len() == 27,
        "{ts}"
    );
    assert!(time::parse_rfc3339(ts).is_some());
}

#[test]
fn without_local_nets_the_direction_columns_are_unset() {
    let cfg = GenConfig {
        local_nets: false,
        ..GenConfig::new(800, 4)
    };
    let (bytes, truth) = conn_log_bytes(&cfg, &RenderOptions::tsv());
    let text = String::from_utf8(bytes).unwrap();
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = l.split('\t').collect();
        assert_eq!((f[12], f[13]), ("-", "-"));
    }
    // Inbound rows can no longer be told apart, so they count.
    let inbound = truth.case("inbound-xmpp").expect("planted");
    assert_eq!(inbound.connections, inbound.rows);
}

#[test]
fn planted_cases_are_all_there_with_their_ratings() {
    let (_, truth) = tsv(5_000, 11);
    let cases: HashSet<&str> = truth.groups.iter().map(|g| g.case).collect();
    for c in [
        "mqtt-external-beacon",
        "xmpp-external-sessions",
        "stomp-external-beacon",
        "amqp-external",
        "xmpp-internal-172-20",
        "stomp-internal-cgnat",
        "mqtt-external-ipv6",
        "xmpp-internal-ula",
        "mqtt-iot-internal",
        "refused-external-mqtt",
        "single-external-xmpp",
        "udp-mqtt-sn",
        "inbound-xmpp",
        "unusual-mqtt-4444",
        "unusual-xmpp-443",
        "unset-bytes-amqp",
        "window-straddle-xmpp",
        "scope-boundary",
    ] {
        assert!(cases.contains(c), "missing case {c}");
    }
    let g = |name| truth.case(name).unwrap();
    assert!(g("xmpp-internal-172-20").dst_ip.starts_with("172.20."));
    assert_eq!(
        (
            g("xmpp-internal-172-20").external,
            g("xmpp-internal-172-20").suspicion
        ),
        (false, Suspicion::Medium)
    );
    let cgnat: std::net::Ipv4Addr = g("stomp-internal-cgnat").dst_ip.parse().unwrap();
    assert!(cgnat.octets()[0] == 100 && (64..128).contains(&cgnat.octets()[1]));
    assert!(g("mqtt-external-ipv6").dst_ip.contains(':'));
    assert!(g("xmpp-internal-ula").dst_ip.starts_with("fd12:"));
    assert_eq!(g("amqp-external").suspicion, Suspicion::Medium);
    assert_eq!(g("mqtt-iot-internal").suspicion, Suspicion::Low);
    assert_eq!(g("refused-external-mqtt").connections, 0);
    assert_eq!(g("single-external-xmpp").connections, 1);
    assert_eq!(g("udp-mqtt-sn").connections, 0);
    assert_eq!(g("inbound-xmpp").connections, 0);
    assert_eq!(g("one-success-external-stomp").connections, 1);
    assert_eq!(g("mixed-states-external-xmpp").connections, 9);
    assert_eq!(g("mixed-states-external-xmpp").rows, 17);
    assert_eq!(g("unset-bytes-amqp").bytes_sent, None);
    assert!(g("partial-bytes-stomp-internal").bytes_sent.is_some());
    assert_eq!(g("unusual-mqtt-4444").analytic, Analytic::PubsubUnusualPort);
    let both: Vec<_> = truth
        .groups
        .iter()
        .filter(|g| g.case == "mqtt-on-xmpp-port")
        .collect();
    assert_eq!(both.len(), 2);
}

#[test]
fn group_keys_are_unique() {
    for seed in 0..20 {
        let (_, truth) = conn_log_bytes(&GenConfig::new(0, seed), &RenderOptions::tsv());
        let mut keys = HashSet::new();
        for g in &truth.groups {
            assert!(
                keys.insert((
                    g.analytic,
                    g.host.clone(),
                    g.dst_ip.clone(),
                    g.dst_port,
                    g.protocol
                )),
                "seed {seed}: duplicate group {} {} {}:{}",
                g.case,
                g.host,
                g.dst_ip,
                g.dst_port
            );
        }
    }
}

#[test]
fn windows_split_groups() {
    let (_, truth) = tsv(2_000, 13);
    let hour = 3_600_000_000;
    let straddle = truth.case("window-straddle-xmpp").unwrap();
    assert_eq!(straddle.expected_alerts(None, 2).len(), 1);
    assert!(straddle.expected_alerts(Some(hour), 2).is_empty());
    let same = truth.case("window-same-hour-mqtts").unwrap();
    assert_eq!(same.expected_alerts(Some(hour), 2).len(), 1);
    let beacon = truth.case("stomp-external-beacon").unwrap();
    let per_hour = beacon.expected_alerts(Some(hour), 2);
    assert!(
        per_hour.len() >= 3,
        "a 2-minute beacon over 3 h spans 3+ hours"
    );
    assert_eq!(
        per_hour.iter().map(|a| a.connections).sum::<u64>(),
        beacon.connections
    );
    for a in &per_hour {
        assert_eq!(a.first_seen.div_euclid(hour), a.last_seen.div_euclid(hour));
    }
    let default = truth.expected_alerts(None, Suspicion::Medium);
    assert!(
        default
            .iter()
            .all(|a| a.suspicion >= Suspicion::Medium && a.connections >= 2)
    );
    let low = truth.expected_alerts(None, Suspicion::Low);
    assert!(low.len() > default.len());
    assert!(low.iter().any(|a| a.case == "mqtt-iot-internal"));
}

/// Reads the written TSV back and applies the analytic's counting conditions to the planted
/// groups' rows, to check the truth's bookkeeping (counts, byte sums, first/last seen) against
/// what actually reached the file.
#[test]
fn truth_matches_the_rows_written() {
    for local_nets in [true, false] {
        let cfg = GenConfig {
            local_nets,
            ..GenConfig::new(4_000, 17)
        };
        let (bytes, truth) = conn_log_bytes(&cfg, &RenderOptions::tsv());
        let text = String::from_utf8(bytes).unwrap();
        // (host, destination, port) -> (rows, counted, bytes sent, bytes received, first, last)
        type Key = (String, String, u16);
        type Seen = (u64, u64, Option<u64>, Option<u64>, i64, i64);
        let mut seen: BTreeMap<Key, Seen> = BTreeMap::new();
        for l in text.lines().filter(|l| !l.starts_with('#')) {
            let f: Vec<&str> = l.split('\t').collect();
            let key = (f[2].to_string(), f[4].to_string(), f[5].parse().unwrap());
            let counts = matches!(f[6], "tcp" | "-")
                && !matches!(f[11], "S0" | "REJ" | "RSTOS0" | "RSTRH" | "SH" | "SHR")
                && f[12] != "F";
            let (secs, frac) = f[0].split_once('.').unwrap();
            let ts = secs.parse::<i64>().unwrap() * 1_000_000 + frac.parse::<i64>().unwrap();
            let e = seen
                .entry(key)
                .or_insert((0, 0, None, None, i64::MAX, i64::MIN));
            e.0 += 1;
            if counts {
                e.1 += 1;
                let add = |acc: Option<u64>, v: &str| match (acc, v.parse::<u64>().ok()) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, None) => a,
                    (None, b) => b,
                };
                e.2 = add(e.2, f[9]);
                e.3 = add(e.3, f[10]);
                e.4 = e.4.min(ts);
                e.5 = e.5.max(ts);
            }
        }
        for g in &truth.groups {
            let key = (g.host.clone(), g.dst_ip.clone(), g.dst_port);
            let (rows, counted, sent, received, first, last) = seen[&key];
            // Several IoT sensors share a broker but not a host, so keys stay per group.
            assert_eq!(rows, g.rows, "{} rows", g.case);
            assert_eq!(counted, g.connections, "{} connections", g.case);
            assert_eq!(
                (sent, received),
                (g.bytes_sent, g.bytes_received),
                "{} bytes",
                g.case
            );
            if counted > 0 {
                assert_eq!(
                    (Some(first), Some(last)),
                    (g.first_seen, g.last_seen),
                    "{} times",
                    g.case
                );
            }
        }
    }
}

#[test]
fn compressed_files_round_trip() {
    use std::io::Read;
    let dir = tempfile::tempdir().unwrap();
    let cfg = GenConfig::new(1_000, 8);
    let (plain, _) = conn_log_bytes(&cfg, &RenderOptions::json());
    let gz = dir.path().join("conn.json.gz");
    write_conn_log_file(&cfg, &RenderOptions::json(), &gz).unwrap();
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    assert_eq!(out, plain);
    let zst = dir.path().join("conn.json.zst");
    write_conn_log_file(&cfg, &RenderOptions::json(), &zst).unwrap();
    let out = zstd::decode_all(std::fs::File::open(&zst).unwrap()).unwrap();
    assert_eq!(out, plain);
}
