//! Captures built byte by byte in the test, for what the corpus lacks: big-endian and
//! nanosecond pcap, multi-section big-endian pcapng, Linux cooked captures (SLL, SLL2), IP
//! fragments, damaged blocks and files cut short, handshake outcomes and the flow cap.

use pubsub_hunt_core::{Outcome, Transport};
use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig};
use pubsub_hunt_packets::format::{FlowSink, read_flows};
use pubsub_hunt_reader::ProblemKind;

mod build {
    pub const SYN: u8 = 0x02;
    pub const ACK: u8 = 0x10;
    pub const PSH: u8 = 0x08;
    pub const RST: u8 = 0x04;
    pub const FIN: u8 = 0x01;

    pub fn ipv4(
        src: [u8; 4],
        dst: [u8; 4],
        proto: u8,
        id: u16,
        frag: u16,
        payload: &[u8],
    ) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&id.to_be_bytes());
        p.extend_from_slice(&frag.to_be_bytes());
        p.extend_from_slice(&[64, proto, 0, 0]);
        p.extend_from_slice(&src);
        p.extend_from_slice(&dst);
        p.extend_from_slice(payload);
        p
    }

    pub fn tcp(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut t = Vec::new();
        t.extend_from_slice(&sport.to_be_bytes());
        t.extend_from_slice(&dport.to_be_bytes());
        t.extend_from_slice(&seq.to_be_bytes());
        t.extend_from_slice(&ack.to_be_bytes());
        t.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        t.extend_from_slice(payload);
        t
    }

    pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut u = Vec::new();
        u.extend_from_slice(&sport.to_be_bytes());
        u.extend_from_slice(&dport.to_be_bytes());
        u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        u.extend_from_slice(&[0, 0]);
        u.extend_from_slice(payload);
        u
    }

    pub fn ethernet(ip: &[u8]) -> Vec<u8> {
        let mut f = vec![2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];
        f.extend_from_slice(ip);
        f
    }

    pub fn sll(ip: &[u8]) -> Vec<u8> {
        let mut f = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00];
        f.extend_from_slice(ip);
        f
    }

    pub fn sll2(ip: &[u8]) -> Vec<u8> {
        let mut f = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0,
        ];
        f.extend_from_slice(ip);
        f
    }

    /// A legacy pcap file: `(ts_sec, frac, frame)` records.
    pub fn pcap(
        big_endian: bool,
        nanos: bool,
        linktype: u32,
        records: &[(u32, u32, Vec<u8>)],
    ) -> Vec<u8> {
        let w32 = |v: u32| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let w16 = |v: u16| {
            if big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        };
        let mut f = Vec::new();
        f.extend_from_slice(&w32(if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 }));
        f.extend_from_slice(&w16(2));
        f.extend_from_slice(&w16(4));
        f.extend_from_slice(&w32(0));
        f.extend_from_slice(&w32(0));
        f.extend_from_slice(&w32(65535));
        f.extend_from_slice(&w32(linktype));
        for (sec, frac, data) in records {
            f.extend_from_slice(&w32(*sec));
            f.extend_from_slice(&w32(*frac));
            f.extend_from_slice(&w32(data.len() as u32));
            f.extend_from_slice(&w32(data.len() as u32));
            f.extend_from_slice(data);
        }
        f
    }

    /// pcapng blocks, in one byte order.
    pub struct Ng {
        pub big_endian: bool,
        pub out: Vec<u8>,
    }

    impl Ng {
        fn w32(&self, v: u32) -> [u8; 4] {
            if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }
        fn w16(&self, v: u16) -> [u8; 2] {
            if self.big_endian {
                v.to_be_bytes()
            } else {
                v.to_le_bytes()
            }
        }
        fn block(&mut self, kind: u32, body: &[u8]) {
            let mut body = body.to_vec();
            while !body.len().is_multiple_of(4) {
                body.push(0);
            }
            let len = 12 + body.len() as u32;
            let (k, l) = (self.w32(kind), self.w32(len));
            self.out.extend_from_slice(&k);
            self.out.extend_from_slice(&l);
            self.out.extend_from_slice(&body);
            self.out.extend_from_slice(&l);
        }
        pub fn section(&mut self) {
            let mut b = Vec::new();
            b.extend_from_slice(&self.w32(0x1a2b_3c4d));
            b.extend_from_slice(&self.w16(1));
            b.extend_from_slice(&self.w16(0));
            b.extend_from_slice(&[0xff; 8]);
            self.block(0x0a0d_0d0a, &b);
        }
        pub fn interface(&mut self, linktype: u16, tsresol: Option<u8>) {
            let mut b = Vec::new();
            b.extend_from_slice(&self.w16(linktype));
            b.extend_from_slice(&self.w16(0));
            b.extend_from_slice(&self.w32(65535));
            if let Some(r) = tsresol {
                b.extend_from_slice(&self.w16(9));
                b.extend_from_slice(&self.w16(1));
                b.extend_from_slice(&[r, 0, 0, 0]);
                b.extend_from_slice(&self.w16(0));
                b.extend_from_slice(&self.w16(0));
            }
            self.block(1, &b);
        }
        pub fn packet(&mut self, if_id: u32, ts: u64, data: &[u8]) {
            let mut b = Vec::new();
            b.extend_from_slice(&self.w32(if_id));
            b.extend_from_slice(&self.w32((ts >> 32) as u32));
            b.extend_from_slice(&self.w32(ts as u32));
            b.extend_from_slice(&self.w32(data.len() as u32));
            b.extend_from_slice(&self.w32(data.len() as u32));
            b.extend_from_slice(data);
            self.block(6, &b);
        }
    }
}

use build::*;

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

fn read(data: &[u8], config: FlowConfig) -> Collect {
    let mut c = Collect::default();
    read_flows(data, config, &mut c).expect("capture reads");
    c
}

const A: [u8; 4] = [10, 0, 0, 1];
const B: [u8; 4] = [10, 0, 0, 2];

/// A complete MQTT-port TCP session: handshake, data both ways, FIN both ways.
fn session(sport: u16) -> Vec<Vec<u8>> {
    vec![
        ipv4(A, B, 6, 1, 0, &tcp(sport, 1883, 1000, 0, SYN, b"")),
        ipv4(B, A, 6, 2, 0, &tcp(1883, sport, 5000, 1001, SYN | ACK, b"")),
        ipv4(A, B, 6, 3, 0, &tcp(sport, 1883, 1001, 5001, ACK, b"")),
        ipv4(
            A,
            B,
            6,
            4,
            0,
            &tcp(sport, 1883, 1001, 5001, ACK | PSH, b"hello"),
        ),
        ipv4(
            B,
            A,
            6,
            5,
            0,
            &tcp(1883, sport, 5001, 1006, ACK | PSH, b"hi"),
        ),
        ipv4(A, B, 6, 6, 0, &tcp(sport, 1883, 1006, 5003, ACK | FIN, b"")),
        ipv4(B, A, 6, 7, 0, &tcp(1883, sport, 5003, 1007, ACK | FIN, b"")),
    ]
}

fn check_session(c: &Collect, sport: u16) {
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(c.flows.len(), 1);
    let e = &c.flows[0].event;
    assert_eq!(e.src_ip, Some(std::net::IpAddr::from(A)));
    assert_eq!((e.src_port, e.dst_port), (Some(sport), 1883));
    assert_eq!((e.bytes_out, e.bytes_in), (Some(5), Some(2)));
    assert_eq!(e.outcome, Outcome::Succeeded);
    assert_eq!(e.transport, Transport::Tcp);
}

#[test]
fn big_endian_microsecond_pcap() {
    let records: Vec<_> = session(40000)
        .into_iter()
        .enumerate()
        .map(|(i, p)| (1_700_000_000, i as u32 * 1000, ethernet(&p)))
        .collect();
    let c = read(&pcap(true, false, 1, &records), FlowConfig::default());
    check_session(&c, 40000);
    let e = &c.flows[0].event;
    assert_eq!(e.ts, Some(1_700_000_000_000_000));
    assert_eq!(e.end, Some(1_700_000_000_006_000));
    assert_eq!(e.source_format, Some("pcap"));
}

#[test]
fn nanosecond_pcap_with_cooked_v1() {
    let records: Vec<_> = session(40001)
        .into_iter()
        .enumerate()
        .map(|(i, p)| (1_700_000_000, 123_456_789 + i as u32, sll(&p)))
        .collect();
    let c = read(&pcap(false, true, 113, &records), FlowConfig::default());
    check_session(&c, 40001);
    assert_eq!(c.flows[0].event.ts, Some(1_700_000_000_123_456));
}

#[test]
fn pcapng_sections_byte_orders_and_interfaces() {
    // Section 1, little-endian: SLL2 interface with default µs resolution.
    let mut ng = Ng {
        big_endian: false,
        out: Vec::new(),
    };
    ng.section();
    ng.interface(276, None);
    for (i, p) in session(40002).iter().enumerate() {
        ng.packet(0, 1_700_000_000_000_000 + i as u64, &sll2(p));
    }
    let mut out = ng.out;
    // Section 2, big-endian: two interfaces, the second (raw IP) in nanoseconds.
    let mut ng = Ng {
        big_endian: true,
        out: Vec::new(),
    };
    ng.section();
    ng.interface(1, None);
    ng.interface(101, Some(9));
    for (i, p) in session(40003).iter().enumerate() {
        ng.packet(1, 1_800_000_000_000_000_000 + i as u64 * 1000, p);
    }
    out.extend_from_slice(&ng.out);
    let c = read(&out, FlowConfig::default());
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(c.flows.len(), 2);
    let first = &c.flows[0].event;
    assert_eq!(first.src_port, Some(40002));
    assert_eq!(first.ts, Some(1_700_000_000_000_000));
    assert_eq!(first.source_format, Some("pcapng"));
    let second = &c.flows[1];
    assert_eq!(second.first_packet, 8);
    assert_eq!(second.event.src_port, Some(40003));
    assert_eq!(second.event.ts, Some(1_800_000_000_000_000));
    assert_eq!(second.event.end, Some(1_800_000_000_000_006));
    assert_eq!(
        (second.event.bytes_out, second.event.bytes_in),
        (Some(5), Some(2))
    );
}

#[test]
fn damaged_pcapng_block_is_skipped_and_reading_goes_on() {
    let mut ng = Ng {
        big_endian: false,
        out: Vec::new(),
    };
    ng.section();
    ng.interface(101, None);
    let packets = session(40004);
    ng.packet(0, 1, &packets[0]);
    let damaged_at = ng.out.len();
    ng.packet(0, 2, &packets[1]);
    for (i, p) in packets.iter().enumerate().skip(2) {
        ng.packet(0, 3 + i as u64, p);
    }
    // Make the second EPB's captured length exceed its block.
    let caplen_at = damaged_at + 20;
    ng.out[caplen_at..caplen_at + 4].copy_from_slice(&5000u32.to_le_bytes());
    let c = read(&ng.out, FlowConfig::default());
    assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
    assert_eq!(c.problems[0].0, Some(2));
    assert_eq!(c.problems[0].1, ProblemKind::CorruptData);
    assert_eq!(c.flows.len(), 1);
    // Without the SYN-ACK, the client's ACK and both sides' data still make it a success.
    assert_eq!(c.flows[0].event.outcome, Outcome::Succeeded);
    assert_eq!(c.flows[0].event.bytes_out, Some(5));
}

#[test]
fn truncated_file_and_bad_packets_are_reported() {
    let mut records: Vec<_> = session(40005).into_iter().map(|p| (1, 0, p)).collect();
    records.insert(2, (1, 0, vec![0x45, 0, 0]));
    let mut file = pcap(false, false, 101, &records);
    file.extend_from_slice(&[1, 0, 0, 0, 0, 0]);
    let c = read(&file, FlowConfig::default());
    let kinds: Vec<_> = c.problems.iter().map(|(p, k, _)| (*p, *k)).collect();
    assert_eq!(
        kinds,
        vec![
            (Some(3), ProblemKind::MalformedRecord),
            (Some(9), ProblemKind::TruncatedRecord)
        ]
    );
    assert_eq!(c.flows.len(), 1);
    assert_eq!(c.flows[0].event.bytes_out, Some(5));
}

#[test]
fn handshake_outcomes_mirror_zeek() {
    let s0 = ipv4(A, B, 6, 1, 0, &tcp(40010, 1883, 1, 0, SYN, b""));
    let rej_syn = ipv4(A, B, 6, 2, 0, &tcp(40011, 1883, 1, 0, SYN, b""));
    let rej_rst = ipv4(B, A, 6, 3, 0, &tcp(1883, 40011, 0, 2, RST | ACK, b""));
    let hs = session(40012);
    let mut frames = vec![s0, rej_syn, rej_rst];
    frames.extend_from_slice(&hs[..3]);
    let records: Vec<_> = frames.into_iter().map(|p| (1, 0, p)).collect();
    let c = read(&pcap(false, false, 101, &records), FlowConfig::default());
    let outcomes: Vec<_> = c
        .flows
        .iter()
        .map(|f| (f.event.src_port, f.event.outcome))
        .collect();
    assert_eq!(
        outcomes,
        vec![
            (Some(40010), Outcome::Failed),
            (Some(40011), Outcome::Failed),
            (Some(40012), Outcome::Succeeded)
        ]
    );
    assert!(c.flows.iter().all(|f| f.event.bytes_out == Some(0)));
}

#[test]
fn syn_ack_first_orients_by_the_receiver() {
    let frames = [
        ipv4(B, A, 6, 1, 0, &tcp(80, 60000, 5000, 1001, SYN | ACK, b"")),
        ipv4(
            A,
            B,
            6,
            2,
            0,
            &tcp(60000, 80, 1001, 5001, ACK | PSH, b"GET"),
        ),
    ];
    let records: Vec<_> = frames.into_iter().map(|p| (1, 0, p)).collect();
    let c = read(&pcap(false, false, 101, &records), FlowConfig::default());
    let e = &c.flows[0].event;
    assert_eq!(
        (e.src_ip, e.src_port, e.dst_port),
        (Some(A.into()), Some(60000), 80)
    );
    assert_eq!(e.outcome, Outcome::Succeeded);
}

#[test]
fn ipv4_fragments_are_reassembled() {
    let payload: Vec<u8> = (0..40u8).collect();
    let datagram = udp(5000, 5683, &payload);
    let (first, rest) = datagram.split_at(24);
    let frames = [
        ipv4(A, B, 17, 77, 0x2000, first),
        ipv4(A, B, 17, 77, 3, rest),
        ipv4(B, A, 17, 78, 0, &udp(5683, 5000, b"ok")),
    ];
    let records: Vec<_> = frames.into_iter().map(|p| (1, 0, p)).collect();
    let c = read(&pcap(false, false, 101, &records), FlowConfig::default());
    assert!(c.problems.is_empty(), "{:?}", c.problems);
    assert_eq!(c.flows.len(), 1);
    let e = &c.flows[0].event;
    assert_eq!(e.transport, Transport::Udp);
    assert_eq!((e.bytes_out, e.bytes_in), (Some(40), Some(2)));
    assert_eq!(e.outcome, Outcome::Succeeded);
    // The flow starts at the fragment that completed the datagram.
    assert_eq!(c.flows[0].first_packet, 2);
}

#[test]
fn flow_cap_evicts_oldest_and_emits_it() {
    let mut records = Vec::new();
    for port in [41000u16, 41001, 41002, 41003] {
        records.push((1, 0, ipv4(A, B, 6, 1, 0, &tcp(port, 1883, 1, 0, SYN, b""))));
    }
    // The flows share one address pair, so one shard of the table, which holds its share of
    // the bound: 2 flows.
    let config = FlowConfig {
        max_flows: 2 * pubsub_hunt_packets::shard::SHARDS,
        ..FlowConfig::default()
    };
    let mut c = Collect::default();
    let report = read_flows(&pcap(false, false, 101, &records)[..], config, &mut c).expect("reads");
    let ports: Vec<_> = c.flows.iter().map(|f| f.event.src_port).collect();
    assert_eq!(ports, [Some(41000), Some(41001), Some(41002), Some(41003)]);
    assert_eq!(report.flows.evicted, 2);
}

#[test]
fn idle_flows_end_and_port_reuse_starts_a_new_flow() {
    let mut records: Vec<_> = session(40020).into_iter().map(|p| (100, 0, p)).collect();
    // The same ports again ten minutes later, and a SYN reusing them right away.
    records.push((
        700,
        0,
        ipv4(A, B, 6, 9, 0, &tcp(40020, 1883, 9000, 0, SYN, b"")),
    ));
    records.push((
        701,
        0,
        ipv4(A, B, 6, 9, 0, &tcp(40021, 1883, 1, 0, ACK | PSH, b"x")),
    ));
    records.push((
        701,
        1,
        ipv4(A, B, 6, 9, 0, &tcp(40021, 1883, 500, 0, SYN, b"")),
    ));
    let c = read(&pcap(false, false, 101, &records), FlowConfig::default());
    let got: Vec<_> = c
        .flows
        .iter()
        .map(|f| (f.first_packet, f.event.src_port))
        .collect();
    // Flow 9 ends when the SYN of packet 10 reuses its ports; the others at the end.
    assert_eq!(
        got,
        [
            (1, Some(40020)),
            (9, Some(40021)),
            (8, Some(40020)),
            (10, Some(40021))
        ]
    );
}

#[test]
fn not_a_capture_is_refused() {
    let mut c = Collect::default();
    assert!(read_flows(&b"#separator \\x09"[..], FlowConfig::default(), &mut c).is_err());
    assert!(read_flows(&b""[..], FlowConfig::default(), &mut c).is_err());
}

#[test]
fn out_of_order_bytes_stay_within_the_table_budget() {
    use pubsub_hunt_packets::capture::Frame;
    use pubsub_hunt_packets::flow::FlowTable;
    use pubsub_hunt_packets::tcp::HELD_ENTRY_COST;
    // Room for two held 30-byte segments, not three.
    let budget = 2 * (30 + HELD_ENTRY_COST) + 10;
    let mut table = FlowTable::new(FlowConfig {
        max_out_of_order_total: budget,
        ..FlowConfig::default()
    });
    let mut frames = Vec::new();
    for port in [42000u16, 42001, 42002] {
        frames.push(ipv4(A, B, 6, 1, 0, &tcp(port, 1883, 0, 0, SYN, b"")));
        // Every segment leaves a hole before it: all of them wait out of order.
        for k in 0..5u32 {
            frames.push(ipv4(
                A,
                B,
                6,
                2,
                0,
                &tcp(port, 1883, 100 + k * 40, 0, ACK, &[b'x'; 30]),
            ));
        }
    }
    let mut ended = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        let frame = Frame {
            number: i as u64 + 1,
            ts: 1,
            linktype: 101,
            data: f,
            orig_len: f.len() as u32,
        };
        table
            .packet(&frame, &mut |e| ended.push(e))
            .expect("valid packet");
        assert!(table.held_bytes() <= budget, "held {}", table.held_bytes());
    }
    assert!(table.held_bytes() > 0);
    table.finish(&mut |e| ended.push(e));
    assert_eq!(table.held_bytes(), 0);
    assert_eq!(ended.len(), 3);
    // Byte counts cover the sequence space reached, holes included.
    assert!(
        ended
            .iter()
            .all(|e| e.event.bytes_out == Some(100 + 4 * 40 + 30 - 1))
    );
}

#[test]
fn absurd_record_length_is_corrupt_and_what_is_lost_is_said() {
    let records: Vec<_> = session(40030).into_iter().map(|p| (1, 0, p)).collect();
    let mut file = pcap(false, false, 101, &records);
    // A record header claiming 2 GiB, then a little data.
    file.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
    file.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
    file.extend_from_slice(&0x7fff_ffffu32.to_le_bytes());
    file.extend_from_slice(&[0u8; 100]);
    let c = read(&file, FlowConfig::default());
    assert_eq!(c.flows.len(), 1);
    assert_eq!(c.flows[0].event.bytes_out, Some(5));
    // Not a truncation: an impossible length, and the bytes after it hold no record.
    let kinds: Vec<_> = c.problems.iter().map(|(p, k, _)| (*p, *k)).collect();
    assert_eq!(kinds, vec![(Some(8), ProblemKind::CorruptData)]);
    assert!(
        c.problems[0]
            .2
            .contains("the remaining 116 bytes hold no plausible record"),
        "{}",
        c.problems[0].2
    );
}

#[test]
fn a_packet_after_the_idle_timeout_starts_a_new_flow_whatever_the_sweep_phase() {
    let config = FlowConfig {
        tcp_idle: 10_000_000,
        ..FlowConfig::default()
    };
    // Flow X at 0 s and again at 10.5 s (idle 10.5 s > 10 s). Flow Y's packet at 9.9 s moves
    // the table's sweep there, so no sweep runs between 9.9 s and 10.9 s: X's second packet
    // must end X by itself.
    let records = vec![
        (
            0,
            0,
            ipv4(A, B, 6, 1, 0, &tcp(41000, 1883, 1, 0, ACK | PSH, b"a")),
        ),
        (
            9,
            900_000,
            ipv4(A, B, 6, 2, 0, &tcp(42000, 1883, 1, 0, ACK | PSH, b"b")),
        ),
        (
            10,
            500_000,
            ipv4(A, B, 6, 3, 0, &tcp(41000, 1883, 2, 0, ACK | PSH, b"c")),
        ),
    ];
    let c = read(&pcap(false, false, 101, &records), config);
    let got: Vec<_> = c
        .flows
        .iter()
        .map(|f| (f.first_packet, f.event.src_port, f.event.bytes_out))
        .collect();
    assert_eq!(
        got,
        [
            (1, Some(41000), Some(1)),
            (2, Some(42000), Some(1)),
            (3, Some(41000), Some(1))
        ]
    );
}

/// A STOMP session picked up mid-stream with a broker's frame first: STOMP's standard port
/// (61613) lies in the dynamic range, above the client's ephemeral port, and is still the
/// server's, so the flow is the client's channel to the broker, not the broker's to a high port.
#[test]
fn a_standard_pubsub_port_in_the_dynamic_range_is_the_server_mid_stream() {
    let records: Vec<_> = [
        ipv4(
            B,
            A,
            6,
            1,
            0,
            &tcp(
                61613,
                52553,
                500,
                900,
                ACK,
                b"MESSAGE\ndestination:/queue/x.in\n\n\0",
            ),
        ),
        ipv4(
            A,
            B,
            6,
            2,
            0,
            &tcp(
                52553,
                61613,
                900,
                534,
                ACK,
                b"SEND\ndestination:/queue/x.out\n\nok\0",
            ),
        ),
    ]
    .into_iter()
    .map(|p| (1, 0, p))
    .collect();
    let c = read(&pcap(false, false, 101, &records), FlowConfig::default());
    assert_eq!(c.flows.len(), 1);
    let e = &c.flows[0].event;
    assert_eq!(e.dst_port, 61613, "{e:?}");
    assert_eq!(e.src_port, Some(52553));
    assert_eq!(e.src_ip, Some(std::net::IpAddr::from(A)));
}
