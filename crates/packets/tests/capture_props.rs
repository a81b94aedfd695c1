//! Property tests: the capture reader, the link/IP/TCP decoders and the flow table never panic
//! on arbitrary bytes, and reassembly releases exactly the stream whatever the segment order.

use proptest::prelude::*;
use pubsub_hunt_packets::capture::Frame;
use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig, FlowTable};
use pubsub_hunt_packets::format::{FlowSink, read_flows};
use pubsub_hunt_packets::tcp::{ReassemblyLimits, Released, StreamReassembler};
use pubsub_hunt_reader::ProblemKind;

struct Count(u64);

impl FlowSink for Count {
    fn flow(&mut self, _flow: EndedFlow) {
        self.0 += 1;
    }
    fn problem(&mut self, _pos: Option<u64>, _kind: ProblemKind, _detail: String) {}
}

const PCAP_LE: [u8; 24] = [
    0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
];
const PCAPNG_SHB: [u8; 28] = [
    0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, 0xff, 0xff, 0xff,
    0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn reader_never_panics_on_arbitrary_bytes(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = read_flows(&data[..], FlowConfig::default(), &mut Count(0));
    }

    #[test]
    fn reader_never_panics_after_a_valid_pcap_header(
        body in proptest::collection::vec(any::<u8>(), 0..4096),
        linktype in prop::sample::select(vec![0u8, 1, 12, 101, 108, 113, 228, 229]),
    ) {
        let mut data = PCAP_LE.to_vec();
        data[20] = linktype;
        data.extend_from_slice(&body);
        let _ = read_flows(&data[..], FlowConfig::default(), &mut Count(0));
    }

    #[test]
    fn reader_never_panics_after_a_valid_pcapng_header(body in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut data = PCAPNG_SHB.to_vec();
        data.extend_from_slice(&body);
        let _ = read_flows(&data[..], FlowConfig::default(), &mut Count(0));
    }

    #[test]
    fn flow_table_never_panics_on_arbitrary_frames(
        frames in proptest::collection::vec(
            (prop::sample::select(vec![0u32, 1, 101, 113, 276, 9999]), proptest::collection::vec(any::<u8>(), 0..200), any::<i64>()),
            0..64,
        ),
    ) {
        let mut table = FlowTable::new(FlowConfig {
            max_flows: 8,
            max_out_of_order_total: 4096,
            ..FlowConfig::default()
        });
        let mut n = 0u64;
        for (number, (linktype, data, ts)) in frames.iter().enumerate() {
            let frame = Frame { number: number as u64 + 1, ts: *ts, linktype: *linktype, data, orig_len: data.len() as u32 };
            let _ = table.packet(&frame, &mut |_| n += 1);
        }
        prop_assert!(table.held_bytes() <= 4096);
        table.finish(&mut |_| n += 1);
        prop_assert!(table.is_empty());
        prop_assert_eq!(table.held_bytes(), 0);
    }

    #[test]
    fn reassembly_restores_the_stream_in_any_order(
        stream in proptest::collection::vec(any::<u8>(), 1..600),
        cuts in proptest::collection::vec(1usize..60, 1..40),
        order in any::<proptest::sample::Index>(),
        isn in any::<u32>(),
        duplicate in any::<bool>(),
    ) {
        // Cut the stream into segments, shuffle them deterministically, maybe send some twice.
        let mut segments = Vec::new();
        let mut at = 0usize;
        for c in cuts.iter().cycle() {
            if at >= stream.len() { break; }
            let end = (at + c).min(stream.len());
            segments.push((at, stream[at..end].to_vec()));
            at = end;
        }
        let k = order.index(segments.len());
        segments.rotate_left(k);
        if duplicate {
            let again = segments.clone();
            segments.extend(again);
        }
        let mut r = StreamReassembler::new(ReassemblyLimits::default());
        r.syn(isn);
        let mut out = Vec::new();
        let mut gaps = 0;
        for (offset, data) in &segments {
            let seq = isn.wrapping_add(1).wrapping_add(*offset as u32);
            r.segment(seq, data, data.len(), &mut |rel| match rel {
                Released::Data(d) => out.extend_from_slice(d),
                Released::Gap => gaps += 1,
            });
        }
        prop_assert_eq!(gaps, 0);
        prop_assert_eq!(&out, &stream);
        prop_assert_eq!(r.payload_bytes(), stream.len() as u64);
    }
}
