//! Arbitrary bytes as a capture file: the pcap/pcapng reader, link/IP/TCP decoding, the flow
//! table's shards and the inspectors must not panic; the flow table's shards must give the
//! same flows and problems, in the same order, on one thread and on two; and the frames and
//! problems must not depend on where the blocks of input end (cut here at a size taken from
//! the input's length). Inputs starting with a valid header reach deepest; seed the corpus
//! with the shared pcaps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_packets::capture::blocks::Cuts;
use pubsub_hunt_packets::capture::{self, Frame, FrameSink};
use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig};
use pubsub_hunt_packets::format::{FlowSink, ShardThreads, read_flows_on};
use pubsub_hunt_reader::ProblemKind;

/// Everything produced, in order, as text.
#[derive(Default)]
struct Seen(Vec<String>);

impl FlowSink for Seen {
    fn flow(&mut self, flow: EndedFlow) {
        self.0.push(format!("{} {:?}", flow.first_packet, flow.event));
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.0.push(format!("{pos:?} {kind:?} {detail}"));
    }
}

impl FrameSink for Seen {
    fn frame(&mut self, f: &Frame<'_>) {
        self.0.push(format!(
            "{} {} {} {:?} {}",
            f.number, f.ts, f.linktype, f.data, f.orig_len
        ));
    }
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String) {
        self.0.push(format!("{pos:?} {kind:?} {detail}"));
    }
}

fuzz_target!(|data: &[u8]| {
    let mut whole = Seen::default();
    let whole_result = capture::read_capture(data, &mut whole);
    let mut cut = Seen::default();
    let cuts = vec![data.len() % 251 + 1, data.len() % 13 + 1];
    let cut_result = capture::read_capture_from(Cuts::new(data, cuts), &mut cut);
    assert_eq!(whole.0, cut.0);
    assert_eq!(format!("{whole_result:?}"), format!("{cut_result:?}"));

    let mut one = Seen::default();
    let one_report = read_flows_on(data, FlowConfig::default(), &mut one, ShardThreads::One);
    let mut two = Seen::default();
    let two_report = read_flows_on(
        data,
        FlowConfig::default(),
        &mut two,
        ShardThreads::TwoFromTheStart,
    );
    assert_eq!(one.0, two.0);
    assert_eq!(one_report.ok(), two_report.ok());
});
