//! Criterion benchmark of the candidate prefilter over Sysmon-like JSON lines, the price of
//! hunting masqueraded programs on any port: the same 8 MB chunk searched for ports and labels
//! only (a source that records no programs) and also for Windows system binaries' names (one
//! that does), where nine lines in ten are the genuine `svchost.exe` on 443 (skipped by the
//! home-directory check) and one in fifty is on a pub/sub port. Run with
//! `cargo bench -p pubsub-hunt-ingest --bench prefilter`; see bench/README.md.

use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};
use pubsub_hunt_core::HuntConfig;
use pubsub_hunt_ingest::prefilter::CandidateFilter;

/// About 8 MB of Sysmon event 3 lines (OTRF JSON shape).
fn sysmon_lines() -> Vec<u8> {
    let mut out = String::new();
    let mut i: u32 = 0;
    while out.len() < 8 << 20 {
        let image = if i.is_multiple_of(10) {
            r"C:\\Program Files\\App\\app.exe"
        } else {
            r"C:\\Windows\\System32\\svchost.exe"
        };
        let port = if i.is_multiple_of(50) { 1883 } else { 443 };
        out.push_str(&format!(
            "{{\"@timestamp\":\"2026-05-04T00:00:{:02}.{:03}Z\",\"winlog\":{{\"event_id\":3,\
             \"event_data\":{{\"Image\":\"{image}\",\"User\":\"CORP\\\\svc\",\"Protocol\":\"tcp\",\
             \"SourceIp\":\"10.5.10.{}\",\"SourcePort\":\"{}\",\"DestinationIp\":\"52.{}.{}.{}\",\
             \"DestinationPort\":\"{port}\"}}}}}}\n",
            i % 60,
            i % 1000,
            i % 250,
            40000 + i % 20000,
            i % 200,
            i % 97,
            i % 13
        ));
        i += 1;
    }
    out.into_bytes()
}

fn bench(c: &mut Criterion) {
    let data = sysmon_lines();
    let filter = CandidateFilter::new(&HuntConfig::default()).expect("the default filter builds");
    let mut g = c.benchmark_group("prefilter");
    g.throughput(Throughput::Bytes(data.len() as u64));
    g.bench_function("ports_and_labels", |b| {
        b.iter(|| {
            let mut n = 0usize;
            filter.for_each_candidate_of(black_box(&data), false, |_, _| n += 1);
            n
        })
    });
    g.bench_function("with_system_binaries", |b| {
        b.iter(|| {
            let mut n = 0usize;
            filter.for_each_candidate_of(black_box(&data), true, |_, _| n += 1);
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
