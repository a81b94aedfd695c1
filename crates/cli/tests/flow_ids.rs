//! The connections' identifiers in alerts (`flows`: Zeek uid, Community ID) and the input's time
//! span in the summary, on the example Zeek log, a real capture of the corpus, and records that
//! carry their own Community ID. The uids and tuples are checked against the log read here
//! independently; the Community IDs against Corelight's reference implementation (PyPI
//! `communityid`, through `tests/python/communityid_check.py`, installed by `scripts/test.sh`;
//! without it those checks skip with a message unless `PUBSUB_HUNT_REQUIRE_ORACLES=1`).

mod common;

use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

const EXAMPLE: &str = "examples/data/conn.log";
/// nDPI's labelled MQTT capture (bus simulator and broker on port 17501).
const CAPTURE: &str = "../shared/corpus/pcaps/ndpi/coap_mqtt.pcap";

use common::root;

fn hunt(args: &[&str], stdin: Option<&str>) -> (Vec<Value>, String) {
    let mut cmd = common::bin();
    cmd.current_dir(root())
        .args(["hunt", "--threads", "2", "--format", "jsonl"])
        .args(args);
    if let Some(s) = stdin {
        cmd.write_stdin(s.to_string());
    }
    let out = cmd.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let alerts = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (alerts, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn skip(why: &str) {
    assert!(
        !std::env::var("PUBSUB_HUNT_REQUIRE_ORACLES").is_ok_and(|v| v == "1"),
        "oracle required (PUBSUB_HUNT_REQUIRE_ORACLES=1) but {why}"
    );
    eprintln!("SKIPPED: {why} (run scripts/test.sh to install the oracle)");
}

/// The reference implementation's Community IDs of TCP flows (saddr, sport, daddr, dport);
/// `None` when the oracle is not installed.
fn reference_ids(flows: &[(String, u64, String, u64)]) -> Option<Vec<String>> {
    let Some(py) = std::env::var("PUBSUB_HUNT_PYTHON")
        .ok()
        .filter(|p| !p.trim().is_empty())
    else {
        skip("PUBSUB_HUNT_PYTHON is not set");
        return None;
    };
    let probe = std::process::Command::new(&py)
        .args(["-c", "import communityid"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        skip(&format!("{py} cannot import communityid"));
        return None;
    }
    let mut child = std::process::Command::new(&py)
        .arg(root().join("tests/python/communityid_check.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for (s, sp, d, dp) in flows {
        input.push_str(
            &serde_json::json!({"saddr": s, "sport": sp, "daddr": d, "dport": dp, "proto": "tcp"})
                .to_string(),
        );
        input.push('\n');
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// The example conn.log's records by uid, each as its columns by name.
fn zeek_rows(path: &str) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let mut fields: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for line in text.lines() {
        if let Some(f) = line.strip_prefix("#fields\t") {
            fields = f.split('\t').map(str::to_string).collect();
        } else if !line.starts_with('#') && !line.is_empty() {
            rows.push(
                fields
                    .iter()
                    .cloned()
                    .zip(line.split('\t').map(str::to_string))
                    .collect(),
            );
        }
    }
    rows
}

fn rfc3339_of_epoch(s: &str) -> String {
    let micros: i64 = (s.parse::<f64>().unwrap() * 1e6).round() as i64;
    jiff::Timestamp::from_microsecond(micros)
        .unwrap()
        .to_string()
}

#[test]
fn zeek_uids_are_the_channels_earliest_connections_and_their_community_ids_are_right() {
    let (alerts, _) = hunt(&["--quiet", EXAMPLE], None);
    assert!(!alerts.is_empty());
    let rows = zeek_rows(EXAMPLE);
    let mut tuples = Vec::new();
    let mut ours = Vec::new();
    for a in &alerts {
        let flows = a["flows"].as_array().unwrap();
        let connections = a["connections"].as_u64().unwrap();
        assert_eq!(flows.len() as u64, connections.min(8), "{a}");
        // The channel's connections the engine counts (established, outbound), earliest first.
        let mut channel: Vec<&HashMap<String, String>> = rows
            .iter()
            .filter(|r| {
                Some(r["id.orig_h"].as_str()) == a["src_ip"].as_str()
                    && Some(r["id.resp_h"].as_str()) == a["dst_ip"].as_str()
                    && r["id.resp_p"].parse::<u64>().ok() == a["dst_port"].as_u64()
                    && !["S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR"]
                        .contains(&r["conn_state"].as_str())
                    && r["local_orig"] != "F"
            })
            .collect();
        channel.sort_by(|x, y| {
            x["ts"]
                .parse::<f64>()
                .unwrap()
                .total_cmp(&y["ts"].parse::<f64>().unwrap())
        });
        for (f, row) in flows.iter().zip(&channel) {
            assert_eq!(f["uid"].as_str(), Some(row["uid"].as_str()), "{a}");
            assert_eq!(f["src_port"].to_string(), row["id.orig_p"]);
            assert_eq!(f["file"], EXAMPLE);
            assert_eq!(
                jiff::Timestamp::from_str(f["start"].as_str().unwrap()).unwrap(),
                jiff::Timestamp::from_str(&rfc3339_of_epoch(&row["ts"])).unwrap()
            );
            tuples.push((
                row["id.orig_h"].clone(),
                row["id.orig_p"].parse().unwrap(),
                row["id.resp_h"].clone(),
                row["id.resp_p"].parse().unwrap(),
            ));
            ours.push(f["community_id"].as_str().unwrap().to_string());
        }
    }
    assert!(tuples.len() >= 10, "{}", tuples.len());
    if let Some(want) = reference_ids(&tuples) {
        assert_eq!(ours, want);
    }
}

use std::str::FromStr;

#[test]
fn capture_connections_get_community_ids_of_their_tuples() {
    let (alerts, _) = hunt(&["--quiet", CAPTURE], None);
    assert!(!alerts.is_empty());
    let mut tuples = Vec::new();
    let mut ours = Vec::new();
    for a in &alerts {
        let flows = a["flows"].as_array().unwrap();
        assert!(!flows.is_empty(), "{a}");
        for f in flows {
            // A capture has no Zeek uid; it always has the tuple.
            assert!(f["uid"].is_null());
            tuples.push((
                a["src_ip"].as_str().unwrap().to_string(),
                f["src_port"].as_u64().unwrap(),
                a["dst_ip"].as_str().unwrap().to_string(),
                a["dst_port"].as_u64().unwrap(),
            ));
            ours.push(f["community_id"].as_str().unwrap().to_string());
        }
    }
    if let Some(want) = reference_ids(&tuples) {
        assert_eq!(ours, want);
    }
}

#[test]
fn a_community_id_the_record_carries_is_kept() {
    // Zeek JSON with the community-id package, and Suricata EVE: the recorded value is used as
    // written (here a value no tuple hashes to, so a computed one would show).
    let zeek: String = (0..3)
        .map(|i| {
            format!(
                "{{\"_path\":\"conn\",\"ts\":{}.0,\"uid\":\"CZ{i}\",\"id.orig_h\":\"10.0.0.9\",\
                 \"id.orig_p\":{},\"id.resp_h\":\"203.0.113.50\",\"id.resp_p\":1883,\"proto\":\"tcp\",\
                 \"service\":\"mqtt\",\"conn_state\":\"SF\",\"local_orig\":true,\
                 \"community_id\":\"1:recorded-zeek-{i}\"}}\n",
                1_700_000_000 + i * 60,
                40_000 + i
            )
        })
        .collect();
    let (alerts, _) = hunt(&["--quiet", "-"], Some(&zeek));
    let flows = alerts[0]["flows"].as_array().unwrap();
    let got: Vec<(&str, &str)> = flows
        .iter()
        .map(|f| {
            (
                f["uid"].as_str().unwrap(),
                f["community_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("CZ0", "1:recorded-zeek-0"),
            ("CZ1", "1:recorded-zeek-1"),
            ("CZ2", "1:recorded-zeek-2")
        ]
    );
    let eve: String = (0..3)
        .map(|i| {
            format!(
                "{{\"timestamp\":\"2023-11-14T22:1{i}:20.000000+0000\",\"flow_id\":{},\"event_type\":\"flow\",\
                 \"src_ip\":\"10.0.0.9\",\"src_port\":{},\"dest_ip\":\"203.0.113.50\",\"dest_port\":1883,\
                 \"proto\":\"TCP\",\"app_proto\":\"mqtt\",\"community_id\":\"1:recorded-eve-{i}\",\
                 \"flow\":{{\"pkts_toserver\":5,\"pkts_toclient\":4,\"bytes_toserver\":300,\
                 \"bytes_toclient\":120,\"state\":\"closed\"}}}}\n",
                i + 1,
                41_000 + i
            )
        })
        .collect();
    let (alerts, _) = hunt(&["--quiet", "-"], Some(&eve));
    let ids: Vec<&str> = alerts[0]["flows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["community_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["1:recorded-eve-0", "1:recorded-eve-1", "1:recorded-eve-2"]
    );
}

/// Decimal seconds (`1793606400.000000`) as exact microseconds.
fn micros(s: &str) -> i64 {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let frac = format!("{frac:0<6}");
    whole.parse::<i64>().unwrap() * 1_000_000 + frac[..6].parse::<i64>().unwrap()
}

#[test]
fn the_summary_gives_the_time_span_of_everything_read() {
    // The log's extent read here: the earliest start, the latest start or end (ts + duration).
    let rows = zeek_rows(EXAMPLE);
    let first = rows.iter().map(|r| micros(&r["ts"])).min().unwrap();
    let last = rows
        .iter()
        .map(|r| match r["duration"].as_str() {
            "-" => micros(&r["ts"]),
            d => micros(&r["ts"]) + micros(d),
        })
        .max()
        .unwrap();
    let first = jiff::Timestamp::from_microsecond(first).unwrap();
    let last = jiff::Timestamp::from_microsecond(last).unwrap();
    // Most records are not candidates and a time range leaves out most of the rest: the span
    // is still the whole input's.
    let (_, stderr) = hunt(&["--since", "2026-11-02T12:00:00Z", EXAMPLE], None);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("pubsub-hunt: records from "))
        .unwrap_or_else(|| panic!("{stderr}"));
    let mut words = line
        .trim_start_matches("pubsub-hunt: records from ")
        .split(" to ");
    let got_first = jiff::Timestamp::from_str(words.next().unwrap()).unwrap();
    let got_last = jiff::Timestamp::from_str(words.next().unwrap()).unwrap();
    assert_eq!((got_first, got_last), (first, last));
    // The report says the same.
    let out = common::bin()
        .current_dir(root())
        .args(["hunt", "--quiet", "--format", "html", EXAMPLE])
        .output()
        .unwrap();
    let html = String::from_utf8(out.stdout).unwrap();
    const DT: &str = "Time span of the input</dt><dd>";
    let at = html.find(DT).expect("no input span") + DT.len();
    let text = &html[at..at + html[at..].find(" (").unwrap()];
    let (a, b) = text.split_once(" to ").unwrap();
    assert_eq!(
        (
            jiff::Timestamp::from_str(a).unwrap(),
            jiff::Timestamp::from_str(b).unwrap()
        ),
        (first, last),
        "{text}"
    );
}

/// The first and last packet times of a pcap file, read with pcap-parser (not the reader under
/// test).
fn packet_span(path: &Path) -> (i64, i64) {
    use pcap_parser::{LegacyPcapReader, PcapBlockOwned, PcapError, traits::PcapReaderIterator};
    let file = std::fs::File::open(path).unwrap();
    let mut reader = LegacyPcapReader::new(1 << 20, file).unwrap();
    let (mut first, mut last) = (i64::MAX, i64::MIN);
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                if let PcapBlockOwned::Legacy(b) = block {
                    let t = i64::from(b.ts_sec) * 1_000_000 + i64::from(b.ts_usec);
                    first = first.min(t);
                    last = last.max(t);
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => reader.refill().unwrap(),
            Err(e) => panic!("{e:?}"),
        }
    }
    (first, last)
}

#[test]
fn a_captures_span_runs_from_its_first_packet_to_its_last() {
    let (first, last) = packet_span(&root().join(CAPTURE));
    let (_, stderr) = hunt(&[CAPTURE], None);
    let line = stderr
        .lines()
        .find(|l| l.starts_with("pubsub-hunt: records from "))
        .unwrap_or_else(|| panic!("{stderr}"));
    let (a, b) = line
        .trim_start_matches("pubsub-hunt: records from ")
        .split_once(" to ")
        .unwrap();
    assert_eq!(
        (
            jiff::Timestamp::from_str(a).unwrap(),
            jiff::Timestamp::from_str(b).unwrap()
        ),
        (
            jiff::Timestamp::from_microsecond(first).unwrap(),
            jiff::Timestamp::from_microsecond(last).unwrap()
        )
    );
}
