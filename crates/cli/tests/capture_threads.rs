//! The thread count does not change what a capture gives: `--threads 1` and `--threads 2` write
//! the same JSON lines (alerts and sessions) and the same problems and summary counts on
//! standard error, in the same order, with the same exit status. On every real capture of the
//! shared corpus (read in place), and on a generated hostile capture that meets the flow-table
//! bound (65,536 flows) with bad packets, a record of impossible length and a cut last record
//! among real MQTT sessions.

mod common;

use std::path::{Path, PathBuf};

use common::root;
use pubsub_hunt_testgen::raw::{ACK, PSH, SYN, ipv4_tcp, pcap_header, pcap_record};

struct Run {
    stdout: Vec<u8>,
    /// Standard error without the summary's timing line.
    problems: Vec<String>,
    code: Option<i32>,
}

fn hunt(threads: &str, file: &Path) -> Run {
    let out = common::bin()
        .current_dir(root())
        .args([
            "hunt",
            "--threads",
            threads,
            "--format",
            "jsonl",
            "--all-sessions",
        ])
        .arg(file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    Run {
        stdout: out.stdout,
        // Problems (file and packet) and the summary's counts; not the line with the time taken.
        problems: stderr
            .lines()
            .filter(|l| !l.starts_with("pubsub-hunt: read "))
            .map(str::to_string)
            .collect(),
        code: out.status.code(),
    }
}

fn same_on_one_and_two_threads(file: &Path) -> Run {
    let one = hunt("1", file);
    let two = hunt("2", file);
    assert_eq!(one.code, two.code, "{}", file.display());
    assert!(
        one.stdout == two.stdout,
        "{}: output differs between --threads 1 and 2\n--- 1:\n{}\n--- 2:\n{}",
        file.display(),
        String::from_utf8_lossy(&one.stdout),
        String::from_utf8_lossy(&two.stdout)
    );
    assert_eq!(one.problems, two.problems, "{}", file.display());
    two
}

fn corpus_captures() -> Vec<PathBuf> {
    let dir = root().join("../shared/corpus/pcaps");
    assert!(
        dir.is_dir(),
        "the test corpus is missing: expected {} (see ../shared/corpus/README.md)",
        dir.display()
    );
    let mut found = Vec::new();
    let mut todo = vec![dir];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
                found.push(p);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_corpus_capture_reads_the_same_on_two_threads() {
    let captures = corpus_captures();
    assert!(captures.len() >= 10, "{captures:?}");
    let mut sessions = 0;
    for file in &captures {
        let run = same_on_one_and_two_threads(file);
        sessions += String::from_utf8_lossy(&run.stdout)
            .lines()
            .filter(|l| l.contains("\"kind\":\"session\"") || l.contains("\"kind\": \"session\""))
            .count();
    }
    // The comparison is of something: the corpus's pub/sub sessions are found.
    assert!(sessions >= 10, "{sessions} sessions");
}

// ---- a hostile capture ----

/// One record (time, frame) of a raw IPv4 capture, whole on the wire.
fn record(f: &mut Vec<u8>, secs: u32, usecs: u32, data: &[u8]) {
    pcap_record(f, secs, usecs, data, data.len() as u32);
}

/// MQTT sessions of a few clients beaconing to one broker, buried in a flood of 80,000
/// one-packet flows (over the 65,536-flow bound), with undecodable packets, a record header
/// claiming 4 GiB, and a last record cut short.
fn hostile_capture() -> Vec<u8> {
    let mut f = Vec::new();
    pcap_header(&mut f);
    let broker = [203, 0, 113, 9];
    let connect = b"\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\x04dev1";
    let publish = b"\x30\x0c\x00\x05c2/up\x68\x65\x6c\x6c\x6f";
    let mut secs = 1_700_000_000u32;
    for i in 0..80_000u32 {
        let usecs = i % 1_000_000;
        let scanner = [198, 51, (i >> 16) as u8, (i >> 8) as u8];
        let port = 1024 + (i % 60_000) as u16;
        record(
            &mut f,
            secs,
            usecs,
            &ipv4_tcp(
                scanner,
                [10, 9, 0, (i % 250) as u8],
                (port, 80),
                i,
                SYN,
                b"",
            ),
        );
        if i % 1000 == 0 {
            // Every 1000 packets: a beacon from one of four clients, a full MQTT session.
            let c = [10, 1, 0, 1 + (i / 1000 % 4) as u8];
            let sport = 40_000 + (i / 1000) as u16;
            let (out, back) = ((sport, 1883), (1883, sport));
            record(
                &mut f,
                secs,
                usecs,
                &ipv4_tcp(c, broker, out, 100, SYN, b""),
            );
            record(
                &mut f,
                secs,
                usecs,
                &ipv4_tcp(broker, c, back, 500, SYN | ACK, b""),
            );
            record(
                &mut f,
                secs,
                usecs,
                &ipv4_tcp(c, broker, out, 101, ACK | PSH, connect),
            );
            record(
                &mut f,
                secs,
                usecs,
                &ipv4_tcp(broker, c, back, 501, ACK | PSH, b"\x20\x02\x00\x00"),
            );
            let seq = 101 + connect.len() as u32;
            record(
                &mut f,
                secs,
                usecs,
                &ipv4_tcp(c, broker, out, seq, ACK | PSH, publish),
            );
            // And an undecodable packet.
            record(&mut f, secs, usecs, &[0x45, 0, 0, 3]);
            secs += 1;
        }
        if i == 50_000 {
            for v in [secs, 0, u32::MAX, u32::MAX] {
                f.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    record(
        &mut f,
        secs,
        0,
        &ipv4_tcp(broker, [10, 1, 0, 1], (1, 2), 0, SYN, b""),
    );
    f.truncate(f.len() - 5);
    f
}

#[test]
fn a_hostile_capture_at_the_flow_bound_reads_the_same_on_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.pcap");
    std::fs::write(&file, hostile_capture()).unwrap();
    let run = same_on_one_and_two_threads(&file);
    // Input was lost (bad packets, damage, the flow bound): exit 2, and each is said.
    assert_eq!(run.code, Some(2));
    let said = run.problems.join("\n");
    for what in ["evicted", "impossible length", "ends inside a record"] {
        assert!(said.contains(what), "{what} not reported:\n{said}");
    }
    let out = String::from_utf8_lossy(&run.stdout);
    assert!(out.contains("\"protocol\":\"MQTT\""), "{out}");
}

/// A labeled day of mixed traffic (`pubsub_hunt_testgen::labeled`): payload inspection is most of
/// the work, so with two threads the flow table's second shard moves to the second thread.
#[test]
fn an_inspection_heavy_capture_reads_the_same_on_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let data = pubsub_hunt_testgen::LabeledData::generate(3, 24.0);
    data.write_dir(dir.path()).unwrap();
    let run = same_on_one_and_two_threads(&dir.path().join("capture.pcap"));
    assert!(!run.stdout.is_empty());
}
