//! The flow table's bounds and timeouts ([`FlowConfig`]) and the counters of what it saw and
//! what its bounds dropped ([`FlowStats`]), with the sentence that says so.

use crate::ip::DefragLimits;
use crate::tcp::ReassemblyLimits;
use pubsub_hunt_core::time::Micros;

/// Bounds and timeouts of the flow table.
#[derive(Debug, Clone, Copy)]
pub struct FlowConfig {
    /// Most flows tracked at once.
    pub max_flows: usize,
    /// A TCP flow with no packet for this long (capture time) ends.
    pub tcp_idle: Micros,
    /// A UDP flow with no packet for this long ends.
    pub udp_idle: Micros,
    /// How long a closed TCP flow (FIN both ways, or RST) waits for its last ACKs before it is
    /// emitted, so they do not start a new flow.
    pub close_linger: Micros,
    pub reassembly: ReassemblyLimits,
    /// Out-of-order bytes held over all flows.
    pub max_out_of_order_total: usize,
    /// Memory of payload inspection over all flows: buffered protocol bytes and findings
    /// ([`SessionInspector::memory`]). A flow that takes the total over it drops its buffered
    /// bytes (a gap), and stops being inspected if that is not enough.
    pub max_inspection_total: usize,
    pub defrag: DefragLimits,
    /// `source_format` of the events.
    pub source_format: &'static str,
}

impl Default for FlowConfig {
    fn default() -> Self {
        FlowConfig {
            max_flows: 65_536,
            tcp_idle: 300_000_000,
            udp_idle: 60_000_000,
            close_linger: 5_000_000,
            reassembly: ReassemblyLimits::default(),
            max_out_of_order_total: 64 << 20,
            max_inspection_total: 128 << 20,
            defrag: DefragLimits::default(),
            source_format: "pcap",
        }
    }
}

/// Counters of what the table saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FlowStats {
    pub packets: u64,
    /// Frames that carried no IP (ARP, LLDP, …) or a link type that is not supported.
    pub not_ip: u64,
    /// IP packets of another transport (ICMP, SCTP, ESP, …).
    pub other_transport: u64,
    /// Packets that failed to decode.
    pub bad: u64,
    pub flows: u64,
    /// Flows ended because they were idle for their timeout.
    pub idle_expired: u64,
    /// Flows evicted to keep the table within `max_flows`.
    pub evicted: u64,
    /// Times a flow gave up its holes because the table's out-of-order total was met.
    pub out_of_order_over_budget: u64,
    /// Times a flow dropped its buffered protocol bytes at the inspection budget.
    pub inspection_shed: u64,
    /// Bytes so dropped.
    pub inspection_shed_bytes: u64,
    /// Flows whose inspection stopped at the inspection budget.
    pub inspection_stopped: u64,
    /// Reassembled payload bytes given to inspection (what the table's work mostly is).
    pub inspected_bytes: u64,
}

impl FlowStats {
    /// Adds another table's counters (the shards of one capture).
    pub fn add(&mut self, other: &FlowStats) {
        self.packets += other.packets;
        self.not_ip += other.not_ip;
        self.other_transport += other.other_transport;
        self.bad += other.bad;
        self.flows += other.flows;
        self.idle_expired += other.idle_expired;
        self.evicted += other.evicted;
        self.out_of_order_over_budget += other.out_of_order_over_budget;
        self.inspection_shed += other.inspection_shed;
        self.inspection_shed_bytes += other.inspection_shed_bytes;
        self.inspection_stopped += other.inspection_stopped;
        self.inspected_bytes += other.inspected_bytes;
    }

    /// What the table's bounds dropped, one sentence per bound met; empty when none was.
    pub fn over_budget(&self, config: &FlowConfig) -> Vec<String> {
        let mut said = Vec::new();
        if self.evicted > 0 {
            said.push(format!(
                "{} flows evicted at the flow-table bound ({} flows): each was reported early and its later packets started a new flow",
                self.evicted, config.max_flows
            ));
        }
        if self.out_of_order_over_budget > 0 {
            said.push(format!(
                "{} times a flow gave up the holes in its stream at the out-of-order bound ({} MiB over all flows): the missing bytes are gaps",
                self.out_of_order_over_budget,
                config.max_out_of_order_total >> 20
            ));
        }
        if self.inspection_shed > 0 || self.inspection_stopped > 0 {
            said.push(format!(
                "payload inspection bound ({} MiB over all flows) met: {} bytes of partial messages dropped {} times, inspection stopped in {} flows; their findings may be incomplete",
                config.max_inspection_total >> 20,
                self.inspection_shed_bytes,
                self.inspection_shed,
                self.inspection_stopped
            ));
        }
        said
    }
}
