//! Where the capture readers put what they produce: [`FlowSink`] receives ended flows,
//! problems and byte counts, from [`crate::format::read_flows`] and from the flow table's shards
//! ([`crate::shard`]).

use crate::flow::EndedFlow;
use pubsub_hunt_reader::ProblemKind;

/// Receives what [`crate::format::read_flows`] produces.
pub trait FlowSink {
    fn flow(&mut self, flow: EndedFlow);
    fn problem(&mut self, pos: Option<u64>, kind: ProblemKind, detail: String);
    fn aborted(&self) -> bool {
        false
    }
    fn bytes(&mut self, _n: u64) {}
}
