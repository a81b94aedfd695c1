//! Arbitrary bytes as a capture file: the pcap/pcapng reader, link/IP/TCP decoding, the flow
//! table and the inspectors must not panic. Inputs starting with a valid header reach deepest;
//! seed the corpus with the shared pcaps.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pubsub_hunt_reader::ProblemKind;
use pubsub_hunt_packets::flow::{EndedFlow, FlowConfig};
use pubsub_hunt_packets::format::{FlowSink, read_flows};

struct Discard;

impl FlowSink for Discard {
    fn flow(&mut self, _flow: EndedFlow) {}
    fn problem(&mut self, _pos: Option<u64>, _kind: ProblemKind, _detail: String) {}
}

fuzz_target!(|data: &[u8]| {
    let _ = read_flows(data, FlowConfig::default(), &mut Discard);
});
