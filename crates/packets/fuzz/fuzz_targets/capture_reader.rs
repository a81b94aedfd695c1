//! Arbitrary bytes as a capture file: the pcap/pcapng reader, link/IP/TCP decoding, the flow
//! table's shards and the inspectors must not panic, and the flow table's shards must give the
//! same flows and problems, in the same order, on one thread and on two. Inputs starting with
//! a valid header reach deepest; seed the corpus with the shared pcaps.
#![no_main]

use libfuzzer_sys::fuzz_target;
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

fuzz_target!(|data: &[u8]| {
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
