//! The flow table's shards ([`pubsub_hunt_packets::shard`]): a capture read on two threads
//! (shard 1 moving to the second when busy, or from the start) gives exactly what it gives on
//! one (the same flows, problems and counters, in the same
//! order), on every capture of the shared corpus and on a generated one where the flow and
//! inspection bounds of the table bind; and, where no bound binds, the shards together find
//! the same flows as one unsharded table.

use pubsub_hunt_packets::capture::{self, Frame, FrameSink};
use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig, FlowTable};
use pubsub_hunt_packets::format::{CaptureReport, FlowSink, ShardThreads, read_flows_on};
use pubsub_hunt_packets::shard::{SHARDS, shard_of};
use pubsub_hunt_reader::ProblemKind;

mod common;
use common::{corpus_captures, ipv4_tcp};
use pubsub_hunt_testgen::raw::{ACK, FIN, SYN};

#[derive(Default)]
struct Collect {
    /// Flows and problems in the order they came, as text.
    seen: Vec<String>,
    flows: Vec<String>,
    problems: Vec<(Option<u64>, ProblemKind, String)>,
}

impl FlowSink for Collect {
    fn flow(&mut self, flow: EndedFlow) {
        let text = format!("{} {:?}", flow.first_packet, flow.event);
        self.seen.push(text.clone());
        self.flows.push(text);
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.seen.push(format!("{pos:?} {kind:?} {detail}"));
        self.problems.push((pos, kind, detail));
    }
}

fn read(data: &[u8], config: FlowConfig, threads: ShardThreads) -> (Collect, CaptureReport) {
    let mut c = Collect::default();
    let report = read_flows_on(data, config, &mut c, threads).expect("a capture");
    (c, report)
}

/// One unsharded flow table over the whole capture: what the shards must add up to.
fn unsharded(data: &[u8]) -> Vec<String> {
    struct One {
        table: FlowTable,
        flows: Vec<String>,
    }
    impl FrameSink for One {
        fn frame(&mut self, frame: &Frame<'_>) {
            let flows = &mut self.flows;
            let _ = self.table.packet(frame, &mut |f| {
                flows.push(format!("{} {:?}", f.first_packet, f.event));
            });
        }
        fn problem(&mut self, _: Option<u64>, _: ProblemKind, _: String) {}
    }
    let Some(container) = capture::Container::sniff(data) else {
        return Vec::new();
    };
    let config = FlowConfig {
        source_format: container.name(),
        ..FlowConfig::default()
    };
    let mut one = One {
        table: FlowTable::new(config),
        flows: Vec::new(),
    };
    if capture::read_capture(data, &mut one).is_err() {
        return Vec::new();
    }
    let flows = &mut one.flows;
    one.table.finish(&mut |f| {
        flows.push(format!("{} {:?}", f.first_packet, f.event));
    });
    one.flows
}

#[test]
fn corpus_captures_read_the_same_on_one_thread_and_two_and_unsharded() {
    let mut used_both = 0;
    for path in corpus_captures() {
        let data = std::fs::read(&path).expect("read corpus capture");
        let (one, one_report) = read(&data, FlowConfig::default(), ShardThreads::One);
        for threads in [ShardThreads::Two, ShardThreads::TwoFromTheStart] {
            let (two, two_report) = read(&data, FlowConfig::default(), threads);
            assert_eq!(one.seen, two.seen, "{} {threads:?}", path.display());
            assert_eq!(one_report, two_report, "{} {threads:?}", path.display());
        }
        let mut sharded = one.flows.clone();
        let mut reference = unsharded(&data);
        sharded.sort();
        reference.sort();
        let only_sharded: Vec<_> = sharded.iter().filter(|f| !reference.contains(f)).collect();
        let only_reference: Vec<_> = reference.iter().filter(|f| !sharded.contains(f)).collect();
        assert_eq!(
            sharded,
            reference,
            "{}: only sharded {only_sharded:#?}, only unsharded {only_reference:#?}",
            path.display()
        );
        // Some captures hold flows of more than one address pair in each shard.
        let shards: std::collections::BTreeSet<usize> = frames_of(&data)
            .iter()
            .map(|f| shard_of(&f.frame()))
            .collect();
        if shards.len() == SHARDS {
            used_both += 1;
        }
    }
    let n = corpus_captures().len();
    assert!(
        n == 0 || used_both > 0,
        "no corpus capture used both shards"
    );
}

/// Frames of a classic pcap, owned (for the shard check above).
struct Owned {
    linktype: u32,
    data: Vec<u8>,
}

impl Owned {
    fn frame(&self) -> Frame<'_> {
        Frame {
            number: 1,
            ts: 0,
            linktype: self.linktype,
            data: &self.data,
            orig_len: self.data.len() as u32,
        }
    }
}

fn frames_of(data: &[u8]) -> Vec<Owned> {
    struct Keep(Vec<Owned>);
    impl FrameSink for Keep {
        fn frame(&mut self, frame: &Frame<'_>) {
            self.0.push(Owned {
                linktype: frame.linktype,
                data: frame.data.to_vec(),
            });
        }
        fn problem(&mut self, _: Option<u64>, _: ProblemKind, _: String) {}
    }
    let mut keep = Keep(Vec::new());
    let _ = capture::read_capture(data, &mut keep);
    keep.0
}

/// A classic pcap (raw IPv4 link type) of (seconds, frame) records.
fn pcap(records: &[(u32, Vec<u8>)]) -> Vec<u8> {
    common::pcap(
        records
            .iter()
            .map(|(secs, data)| (*secs, &data[..], data.len() as u32)),
    )
}

/// 2,000 MQTT sessions from 150 hosts over three hours (about 8,000 frames, 750 KB: several
/// batches), interleaved: each connects and publishes, and half of them close; a quarter stop
/// in the middle of a message (inspection memory held); some garbage frames between them (bad
/// packets).
fn busy_capture() -> Vec<u8> {
    let mut records = Vec::new();
    for n in 0..2000u32 {
        let host = n % 150;
        let client = [10, 9, (host >> 8) as u8, host as u8];
        let server = [192, 168, 1, (n % 3) as u8 + 1];
        let sport = 40_000 + n as u16;
        let t = n * 6;
        records.push((t, ipv4_tcp(client, server, sport, 1883, 99, SYN, b"")));
        let id = format!("dev{n}");
        let mut connect = vec![0x10, (12 + id.len()) as u8, 0, 4];
        connect.extend_from_slice(b"MQTT\x04\x02\x00\x3c");
        connect.extend_from_slice(&(id.len() as u16).to_be_bytes());
        connect.extend_from_slice(id.as_bytes());
        let mut seq = 100;
        records.push((t, ipv4_tcp(client, server, sport, 1883, seq, ACK, &connect)));
        seq += connect.len() as u32;
        let publish = if n % 4 == 0 {
            // Announces 3,000 bytes, sends 1,400.
            let mut p = vec![0x30, 0xb8, 0x17, 0, 3];
            p.extend_from_slice(b"t/x");
            p.resize(1400, b'A');
            p
        } else {
            let mut p = vec![0x30, 12, 0, 5];
            p.extend_from_slice(b"t/cmdhello!");
            p.truncate(14);
            p
        };
        records.push((
            t + 1,
            ipv4_tcp(client, server, sport, 1883, seq, ACK, &publish),
        ));
        seq += publish.len() as u32;
        if n % 2 == 0 {
            records.push((
                t + 2,
                ipv4_tcp(client, server, sport, 1883, seq, FIN | ACK, b""),
            ));
            records.push((
                t + 2,
                ipv4_tcp(server, client, 1883, sport, 1, FIN | ACK, b""),
            ));
        }
        if n % 50 == 0 {
            records.push((t + 2, vec![0x45, 0, 0]));
        }
    }
    pcap(&records)
}

#[test]
fn a_capture_where_the_bounds_bind_reads_the_same_on_one_thread_and_two() {
    let data = busy_capture();
    let config = FlowConfig {
        max_flows: 8,
        max_inspection_total: 2 << 10,
        ..FlowConfig::default()
    };
    let (one, one_report) = read(&data, config, ShardThreads::One);
    for threads in [ShardThreads::Two, ShardThreads::TwoFromTheStart] {
        let (two, two_report) = read(&data, config, threads);
        assert_eq!(one.seen, two.seen, "{threads:?}");
        assert_eq!(one_report, two_report, "{threads:?}");
    }
    assert!(one_report.flows.evicted > 0, "{:?}", one_report.flows);
    assert!(
        one_report.flows.inspection_shed + one_report.flows.inspection_stopped > 0,
        "{:?}",
        one_report.flows
    );
    // One sentence per bound met, naming the whole table's bound (not a shard's share).
    let over: Vec<_> = one
        .problems
        .iter()
        .filter(|p| p.1 == ProblemKind::OverBudget)
        .collect();
    assert!(over.iter().any(|p| p.2.contains("(8 flows)")), "{over:?}");
    let bad = one
        .problems
        .iter()
        .filter(|p| p.1 == ProblemKind::MalformedRecord)
        .count();
    assert_eq!(bad, 40, "{:?}", one.problems);
}

#[test]
fn without_a_binding_bound_the_shards_find_what_one_table_finds() {
    let data = busy_capture();
    let (one, report) = read(&data, FlowConfig::default(), ShardThreads::TwoFromTheStart);
    assert_eq!(report.flows.evicted, 0);
    let mut sharded = one.flows;
    let mut reference = unsharded(&data);
    sharded.sort();
    reference.sort();
    assert_eq!(sharded.len(), 2000);
    assert_eq!(sharded, reference);
}
