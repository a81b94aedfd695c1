//! Criterion benchmark of what a live watch's report costs the capture thread: the open flows of
//! a table (`FlowTable::open_flows`), each an MQTT subscriber whose CONNECT and SUBSCRIBE were
//! inspected (up to its SUBACK), built as the connection events they would end as. Measured at 1,000 open flows and
//! at the table's default bound (65,536), where a report every 5 s (the default) must stay a
//! small share of the capture thread's time. Run with
//! `cargo bench -p pubsub-hunt-packets --bench open_flows`; see bench/README.md.

use criterion::{BenchmarkId, Criterion, black_box, criterion_group, criterion_main};
use pubsub_hunt_packets::capture::Frame;
use pubsub_hunt_packets::flow::{FlowConfig, FlowTable};
use pubsub_hunt_testgen::raw::mqtt_subscriber;

/// A table holding `n` open MQTT sessions (handshake, CONNECT, CONNACK, SUBSCRIBE), from
/// distinct hosts and ports to one broker.
fn table_with_open_sessions(n: u32) -> FlowTable {
    let mut table = FlowTable::new(FlowConfig::default());
    let broker = [10, 0, 0, 1];
    let mut number = 0u64;
    for i in 0..n {
        let client = [10, 1, (i >> 8) as u8, i as u8];
        let port = 40_000 + (i % 20_000) as u16;
        let (packets, _, _) = mqtt_subscriber(
            client,
            port,
            broker,
            &format!("sensor-{i}"),
            &format!("site/{i}/cmd/#"),
        );
        for p in &packets {
            number += 1;
            let frame = Frame {
                number,
                ts: 1_700_000_000_000_000 + number as i64,
                linktype: 101,
                data: p,
                orig_len: p.len() as u32,
            };
            let _ = table.packet(&frame, &mut |_| {});
        }
    }
    table
}

fn open_flows(c: &mut Criterion) {
    let mut group = c.benchmark_group("open_flows");
    group.sample_size(20);
    for n in [1_000u32, 65_536] {
        let table = table_with_open_sessions(n);
        assert_eq!(table.open_flows().len(), n as usize);
        group.bench_with_input(BenchmarkId::from_parameter(n), &table, |b, t| {
            b.iter(|| black_box(t.open_flows()))
        });
    }
    group.finish();
}

criterion_group!(benches, open_flows);
criterion_main!(benches);
