//! Throughput of the ECS reader against the Zeek JSON reader through the whole pipeline
//! (`pubsub_hunt_ingest::run`), on generated JSON lines of the same connections. Ignored by
//! default; run it in release mode:
//!
//! ```sh
//! cargo test --release -p pubsub-hunt-ingest --test netlog_bench -- --ignored --nocapture
//! ```
//!
//! `NETLOG_BENCH_MB` sets the size of each file (default 200) and `NETLOG_BENCH_CANDIDATE_PCT`
//! the share of records on a pub/sub port (default 1; 100 makes every record a candidate, which
//! measures the parsers rather than the prefilter). Files are written to the system temporary
//! directory and deleted afterwards.

use pubsub_hunt_core::{Engine, HuntConfig};
use pubsub_hunt_ingest::IgnoreProblems;
use pubsub_hunt_ingest::{IngestOptions, InputPath, run};
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::Instant;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes records until the file holds `bytes`; `line(i, candidate)` renders record `i`.
fn generate(
    path: &Path,
    bytes: u64,
    candidate_pct: u64,
    line: impl Fn(u64, bool) -> String,
) -> u64 {
    let mut out = BufWriter::new(std::fs::File::create(path).expect("create"));
    let (mut written, mut i) = (0u64, 0u64);
    while written < bytes {
        let l = line(i, i % 100 < candidate_pct);
        out.write_all(l.as_bytes()).expect("write");
        out.write_all(b"\n").expect("write");
        written += l.len() as u64 + 1;
        i += 1;
    }
    out.flush().expect("flush");
    i
}

fn zeek_json(i: u64, candidate: bool) -> String {
    let port = if candidate { 1883 } else { 443 };
    format!(
        r#"{{"ts":{}.{:06},"uid":"C{:016x}","id.orig_h":"10.20.{}.{}","id.orig_p":{},"id.resp_h":"198.51.{}.{}","id.resp_p":{port},"proto":"tcp","service":"ssl","duration":1.25,"orig_bytes":{},"resp_bytes":{},"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":12,"orig_ip_bytes":1800,"resp_pkts":10,"resp_ip_bytes":5200}}"#,
        1_709_457_000 + i / 100,
        i % 1_000_000,
        i.wrapping_mul(0x9e37_79b9_7f4a_7c15),
        (i / 250) % 250,
        i % 250,
        40_000 + i % 20_000,
        (i / 7) % 250,
        i % 250,
        100 + i % 5000,
        200 + i % 9000,
    )
}

fn ecs_json(i: u64, candidate: bool) -> String {
    let port = if candidate { 1883 } else { 443 };
    format!(
        r#"{{"@timestamp":"2024-03-03T09:{:02}:{:02}.{:03}Z","ecs":{{"version":"8.11.0"}},"event":{{"category":["network"],"type":["connection","end"],"outcome":"success"}},"source":{{"ip":"10.20.{}.{}","port":{},"bytes":{}}},"destination":{{"ip":"198.51.{}.{}","port":{port},"bytes":{}}},"network":{{"transport":"tcp","protocol":"tls","direction":"egress"}},"host":{{"name":"wks-{:04}"}},"process":{{"executable":"/usr/lib/firefox/firefox","pid":{}}},"user":{{"name":"u{}","domain":"CORP"}}}}"#,
        (i / 60) % 60,
        i % 60,
        i % 1000,
        (i / 250) % 250,
        i % 250,
        40_000 + i % 20_000,
        100 + i % 5000,
        (i / 7) % 250,
        i % 250,
        200 + i % 9000,
        i % 5000,
        1000 + i % 30_000,
        i % 400,
    )
}

fn measure(label: &str, path: &Path, records: u64) {
    let engine = Engine::new(HuntConfig::default());
    let size = std::fs::metadata(path).expect("metadata").len();
    let start = Instant::now();
    let (acc, report) = run(
        &[InputPath::Path(path.to_path_buf())],
        &engine,
        &IngestOptions::default(),
        &IgnoreProblems,
    )
    .expect("run");
    let secs = start.elapsed().as_secs_f64();
    let (alerts, _) = engine.finish(acc);
    println!(
        "{label}: {:.1} MB in {secs:.2} s = {:.0} MB/s ({records} records, {} parsed, {} events, {} alerts, formats {:?})",
        size as f64 / 1e6,
        size as f64 / 1e6 / secs,
        report.parsed,
        report.events,
        alerts.len(),
        report.streams_by_format,
    );
    assert_eq!(report.records, records);
}

#[test]
#[ignore = "benchmark: run in release mode with --ignored"]
fn ecs_versus_zeek_json_throughput() {
    let bytes = env_or("NETLOG_BENCH_MB", 200) * 1_000_000;
    let pct = env_or("NETLOG_BENCH_CANDIDATE_PCT", 1).min(100);
    let dir = tempfile::tempdir().expect("tempdir");
    let zeek = dir.path().join("conn.json");
    let ecs = dir.path().join("ecs.ndjson");
    let zeek_records = generate(&zeek, bytes, pct, zeek_json);
    let ecs_records = generate(&ecs, bytes, pct, ecs_json);
    println!(
        "candidates: {pct}% of records; threads: {}",
        IngestOptions::default().threads
    );
    for _ in 0..2 {
        measure("zeek-json", &zeek, zeek_records);
        measure("ecs", &ecs, ecs_records);
    }
}
