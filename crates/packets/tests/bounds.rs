//! Hostile inputs of issue 16, generated small, with the bound each must meet asserted: the
//! inspection memory of many flows holding partial messages, XMPP and STOMP messages that never
//! end (linear work), AMQP 1.0 values nested thousands deep (no deep recursion), and capture
//! records that claim impossible lengths (reported, resynchronised, no false truncation).
//! `bench/hostile.py` makes the same inputs at full size for the release binary.

use pubsub_hunt_core::Protocol;
use pubsub_hunt_packets::capture::Frame;
use pubsub_hunt_packets::dpi::{SessionInspector, Side};
use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig, FlowTable};
use pubsub_hunt_packets::format::{FlowSink, read_flows};
use pubsub_hunt_reader::ProblemKind;
use std::time::{Duration, Instant};

mod common;
use common::{epb, ipv4_tcp, pcapng};
use pubsub_hunt_testgen::raw::{ACK, SYN};

/// A legacy pcap (raw IPv4 link type) of `records` as (caplen-cut, orig_len, data), a
/// thousand packets a second.
fn pcap(records: &[(Vec<u8>, u32)]) -> Vec<u8> {
    common::pcap(
        records
            .iter()
            .enumerate()
            .map(|(i, (data, orig))| (i as u32 / 1000, &data[..], *orig)),
    )
}

#[derive(Default)]
struct Collect {
    flows: Vec<EndedFlow>,
    problems: Vec<(Option<u64>, ProblemKind, String)>,
}

impl FlowSink for Collect {
    fn flow(&mut self, flow: EndedFlow) {
        self.flows.push(flow);
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.problems.push((pos, kind, detail));
    }
}

fn frame(number: u64, data: &[u8]) -> Frame<'_> {
    Frame {
        number,
        ts: 1_700_000_000_000_000 + number as i64,
        linktype: 228,
        data,
        orig_len: data.len() as u32,
    }
}

/// An MQTT CONNECT, then a PUBLISH announcing 61,440 bytes of which 60,000 arrive.
fn partial_publish(n: u32) -> Vec<u8> {
    let id = format!("c{n}");
    let mut body = b"\x00\x04MQTT\x04\x02\x00\x3c".to_vec();
    body.extend_from_slice(&(id.len() as u16).to_be_bytes());
    body.extend_from_slice(id.as_bytes());
    let mut out = vec![0x10, body.len() as u8];
    out.extend_from_slice(&body);
    // Remaining length 61,440 as a varint.
    out.extend_from_slice(&[0x30, 0x80, 0xe0, 0x03, 0x00, 0x03]);
    out.extend_from_slice(b"t/x");
    out.resize(out.len() + 60_000 - 11, b'A');
    out
}

#[test]
fn inspection_memory_of_many_partial_messages_stays_within_the_budget() {
    // 200 flows each holding most of a 60 KB message: 12 MB of buffers before the bound
    // (about 68 KB per flow); the table's budget is 2 MiB.
    let budget = 2 << 20;
    let config = FlowConfig {
        max_inspection_total: budget,
        ..FlowConfig::default()
    };
    let mut table = FlowTable::new(config);
    let mut number = 0;
    let mut peak = 0;
    for n in 0..200u32 {
        let client = [10, 1, (n >> 8) as u8, n as u8];
        let server = [192, 168, 0, 1];
        let sport = 20_000 + n as u16;
        number += 1;
        let syn = ipv4_tcp(client, server, sport, 1883, 999, SYN, b"");
        table
            .packet(&frame(number, &syn), &mut |_| {})
            .expect("valid");
        let data = partial_publish(n);
        let mut seq = 1000u32;
        for piece in data.chunks(1400) {
            number += 1;
            let p = ipv4_tcp(client, server, sport, 1883, seq, ACK, piece);
            table
                .packet(&frame(number, &p), &mut |_| {})
                .expect("valid");
            seq += piece.len() as u32;
            peak = peak.max(table.inspection_bytes());
        }
    }
    // A flow that stops keeps its findings only; the allowance is one flow's worth.
    assert!(peak <= budget + (256 << 10), "peak {peak}");
    assert!(table.stats.inspection_shed > 0);
    let said = table.stats.over_budget(table.config());
    assert!(
        said.iter().any(|s| s.contains("payload inspection bound")),
        "{said:?}"
    );
    let mut ended = 0;
    table.finish(&mut |e| {
        ended += 1;
        // Every flow was still recognised before its buffers went.
        assert_eq!(
            e.event.app.as_ref().and_then(|a| a.protocol),
            Some(Protocol::Mqtt)
        );
    });
    assert_eq!(ended, 200);
    assert_eq!(table.inspection_bytes(), 0);
}

#[test]
fn a_capture_over_the_inspection_budget_says_so() {
    let mut records = Vec::new();
    for n in 0..40u32 {
        let client = [10, 2, 0, n as u8];
        let server = [192, 168, 0, 1];
        let sport = 30_000 + n as u16;
        let syn = ipv4_tcp(client, server, sport, 1883, 999, SYN, b"");
        records.push((syn.clone(), syn.len() as u32));
        let mut seq = 1000;
        for piece in partial_publish(n).chunks(1400) {
            let p = ipv4_tcp(client, server, sport, 1883, seq, ACK, piece);
            records.push((p.clone(), p.len() as u32));
            seq += piece.len() as u32;
        }
    }
    let mut c = Collect::default();
    let config = FlowConfig {
        max_inspection_total: 1 << 20,
        ..FlowConfig::default()
    };
    read_flows(&pcap(&records)[..], config, &mut c).expect("reads");
    assert_eq!(c.flows.len(), 40);
    let over: Vec<_> = c
        .problems
        .iter()
        .filter(|p| p.1 == ProblemKind::OverBudget)
        .collect();
    assert_eq!(over.len(), 1, "{:?}", c.problems);
    assert!(
        over[0].2.contains("bytes of partial messages dropped"),
        "{}",
        over[0].2
    );
}

/// Feeds `data` after `opening` in `segment`-byte pieces and returns how long it took.
fn time_feed(
    port: u16,
    opening: &[u8],
    data: &[u8],
    segment: usize,
) -> (Duration, Option<Protocol>) {
    let started = Instant::now();
    let mut inspector = SessionInspector::with_server_port(port);
    inspector.feed(Side::Client, 0, 0, opening);
    for (i, piece) in data.chunks(segment).enumerate() {
        inspector.feed(Side::Client, i as i64, i as u64, piece);
    }
    let app = inspector.finish();
    (started.elapsed(), app.protocol)
}

#[test]
fn unclosed_xmpp_elements_cost_linear_work() {
    let opening = b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";
    // 512 KiB of `<message>` that never closes: before, every 9 bytes re-ran the dissector
    // over the full 64 KiB buffer (about 30 KB/s: 17 s here in a release build).
    let data = b"<message>".repeat(512 * 1024 / 9);
    let (took, protocol) = time_feed(5222, opening, &data, 9);
    assert_eq!(protocol, Some(Protocol::Xmpp));
    assert!(took < Duration::from_secs(4), "took {took:?}");
    // The same bytes as `<message` openings without `>` (each `<` a candidate tag).
    let data = b"<message ".repeat(512 * 1024 / 9);
    let (took, _) = time_feed(5222, opening, &data, 1000);
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn stomp_frames_without_nul_cost_linear_work() {
    let opening = b"CONNECT\naccept-version:1.2\nhost:/\n\n\0";
    let frame = b"SEND\ndestination:/queue/a\n\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
    let data = frame.repeat(1024 * 1024 / frame.len());
    let (took, protocol) = time_feed(61613, opening, &data, 1000);
    assert_eq!(protocol, Some(Protocol::Stomp));
    assert!(took < Duration::from_secs(4), "took {took:?}");
}

#[test]
fn deeply_nested_amqp_values_do_not_recurse() {
    // An open performative whose first field is 21,800 nested described values: before, one
    // stack frame each (1.25–1.5 MiB of stack). Run on a 256 KiB stack to prove it.
    let handle = std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(|| {
            let mut fields = b"\x00\x53\x00".repeat(21_800);
            fields.push(0x40);
            let mut perf = b"\x00\x53\x10\xd0".to_vec();
            perf.extend_from_slice(&(fields.len() as u32 + 4).to_be_bytes());
            perf.extend_from_slice(&1u32.to_be_bytes());
            perf.extend_from_slice(&fields);
            let mut frame = (8 + perf.len() as u32).to_be_bytes().to_vec();
            frame.extend_from_slice(&[2, 0, 0, 0]);
            frame.extend_from_slice(&perf);
            let mut inspector = SessionInspector::new();
            inspector.feed(Side::Client, 0, 0, b"AMQP\x00\x01\x00\x00");
            for piece in frame.chunks(1400) {
                inspector.feed(Side::Client, 1, 1, piece);
            }
            inspector.finish().protocol
        })
        .expect("thread starts");
    assert_eq!(
        handle.join().expect("no stack overflow"),
        Some(Protocol::Amqp)
    );
}

fn syn(n: u32) -> Vec<u8> {
    ipv4_tcp(
        [10, 3, 0, 1],
        [192, 168, 0, 1],
        40_000 + n as u16,
        80,
        1,
        SYN,
        b"",
    )
}

#[test]
fn an_impossible_pcap_record_length_is_corrupt_and_reading_resyncs() {
    let mut records = vec![(syn(0), 40)];
    for n in 1..=100 {
        records.push((syn(n), 40));
    }
    let mut file = pcap(&records[..1]);
    // A record header claiming 0xFFFFFFFF bytes, then 100 good records.
    for v in [1_700_000_000u32, 0, u32::MAX, u32::MAX] {
        file.extend_from_slice(&v.to_le_bytes());
    }
    let rest = pcap(&records[1..]);
    file.extend_from_slice(&rest[24..]);
    let mut c = Collect::default();
    read_flows(&file[..], FlowConfig::default(), &mut c).expect("reads");
    assert_eq!(c.flows.len(), 101, "every record after the damage is read");
    let kinds: Vec<_> = c.problems.iter().map(|p| p.1).collect();
    assert_eq!(kinds, vec![ProblemKind::CorruptData], "{:?}", c.problems);
    assert!(
        c.problems[0].2.contains("16 bytes skipped"),
        "{}",
        c.problems[0].2
    );
}

#[test]
fn an_impossible_pcapng_block_length_is_corrupt_and_reading_resyncs() {
    let mut blocks = vec![epb(&syn(0), 40)];
    let mut bad = 6u32.to_le_bytes().to_vec();
    bad.extend_from_slice(&u32::MAX.to_le_bytes());
    bad.extend_from_slice(&[0u8; 20]);
    blocks.push(bad);
    for n in 1..=50 {
        blocks.push(epb(&syn(n), 40));
    }
    let mut c = Collect::default();
    read_flows(&pcapng(&blocks)[..], FlowConfig::default(), &mut c).expect("reads");
    assert_eq!(c.flows.len(), 51);
    let kinds: Vec<_> = c.problems.iter().map(|p| p.1).collect();
    assert_eq!(kinds, vec![ProblemKind::CorruptData], "{:?}", c.problems);
    assert!(
        c.problems[0].2.contains("28 bytes skipped"),
        "{}",
        c.problems[0].2
    );
}

#[test]
fn an_epb_longer_than_its_block_is_skipped_without_a_false_truncation() {
    let mut blocks = vec![epb(&syn(0), 40), epb(&syn(1), 4000)];
    for n in 2..=20 {
        blocks.push(epb(&syn(n), 40));
    }
    let mut c = Collect::default();
    read_flows(&pcapng(&blocks)[..], FlowConfig::default(), &mut c).expect("reads");
    assert_eq!(c.flows.len(), 20);
    let kinds: Vec<_> = c.problems.iter().map(|p| p.1).collect();
    assert_eq!(kinds, vec![ProblemKind::CorruptData], "{:?}", c.problems);
}
