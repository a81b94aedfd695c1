//! One flow's state (its endpoints, counts, reassembly and inspection) and what it says as a
//! connection event: the [`ConnEvent`] a flow ends as and, for a live capture's reports, what a
//! flow still open would end as now (`FlowTable::open_flows`). Both events are built here from
//! the same fields, so a session rated while it is open is rated as it would be if it ended at
//! that moment.

use super::bounds::FlowConfig;
use crate::dpi::SessionInspector;
use crate::tcp::StreamReassembler;
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, ConnEvent, Outcome, Transport};
use std::net::SocketAddr;

pub(super) const CLIENT: usize = 0;
pub(super) const SERVER: usize = 1;

#[derive(Debug)]
pub(super) struct TcpState {
    pub(super) reassembly: [StreamReassembler; 2],
    pub(super) inspector: Option<SessionInspector>,
    /// The inspector's memory when last measured (its share of the table's total).
    pub(super) inspection_memory: usize,
    pub(super) client_syn: Option<u32>,
    pub(super) server_syn_ack: bool,
    pub(super) client_ack_after_syn_ack: bool,
    pub(super) rst: [bool; 2],
    pub(super) fin: [bool; 2],
}

#[derive(Debug)]
pub(super) struct Flow {
    pub(super) id: u64,
    pub(super) transport: Transport,
    pub(super) client: SocketAddr,
    pub(super) server: SocketAddr,
    pub(super) first_ts: Micros,
    pub(super) last_ts: Micros,
    pub(super) first_packet: u64,
    pub(super) packets: [u64; 2],
    /// UDP payload bytes per side.
    pub(super) udp_bytes: [u64; 2],
    pub(super) tcp: Option<Box<TcpState>>,
    pub(super) closed_at: Option<Micros>,
    pub(super) host: Option<String>,
    pub(super) process: Option<String>,
    pub(super) user: Option<String>,
}

impl Flow {
    /// Whether the flow has had no packet for longer than its timeout at `now`: the idle
    /// timeout of its transport, or the linger of a closed flow.
    pub(super) fn timed_out(&self, config: &FlowConfig, now: Micros) -> bool {
        let limit = match (self.closed_at, self.transport) {
            (Some(_), _) => config.close_linger,
            (None, Transport::Udp) => config.udp_idle,
            (None, _) => config.tcp_idle,
        };
        now.saturating_sub(self.last_ts) > limit
    }
}

/// The flow's outcome and its payload bytes per side (client, server) so far.
pub(super) fn outcome_and_bytes(flow: &Flow) -> (Outcome, [u64; 2]) {
    match flow.tcp.as_deref() {
        Some(t) => {
            let bytes = [
                t.reassembly[CLIENT].payload_bytes(),
                t.reassembly[SERVER].payload_bytes(),
            ];
            (tcp_outcome(t, bytes), bytes)
        }
        None => {
            let outcome = if flow.packets[CLIENT] > 0 && flow.packets[SERVER] > 0 {
                Outcome::Succeeded
            } else {
                Outcome::Unknown
            };
            (outcome, flow.udp_bytes)
        }
    }
}

/// Zeek-like outcome of a TCP flow.
fn tcp_outcome(t: &TcpState, bytes: [u64; 2]) -> Outcome {
    let handshake = t.server_syn_ack && (t.client_ack_after_syn_ack || bytes[CLIENT] > 0);
    if handshake || (bytes[CLIENT] > 0 && bytes[SERVER] > 0) {
        Outcome::Succeeded
    } else if t.client_syn.is_some() && !t.server_syn_ack && bytes[SERVER] == 0 {
        // S0 (no answer) or REJ (answered with a reset).
        Outcome::Failed
    } else {
        Outcome::Unknown
    }
}

/// The connection event of `flow` with what inspection learned (`app`), its outcome and its
/// payload bytes per side. The application facts are kept when they say something: a protocol,
/// a server name or an ALPN value.
pub(super) fn conn_event(
    config: &FlowConfig,
    flow: &Flow,
    app: Option<AppInfo>,
    outcome: Outcome,
    bytes: [u64; 2],
) -> ConnEvent {
    let identified: Vec<_> = app.as_ref().and_then(|a| a.protocol).into_iter().collect();
    let app =
        app.filter(|a| a.protocol.is_some() || !a.server_names.is_empty() || !a.alpn.is_empty());
    ConnEvent {
        ts: Some(flow.first_ts),
        end: Some(flow.last_ts),
        host: flow.host.clone(),
        process: flow.process.clone(),
        user: flow.user.clone(),
        src_ip: Some(flow.client.ip()),
        src_port: Some(flow.client.port()),
        transport: flow.transport,
        outcome,
        app_label: identified.first().map(|p| p.as_str().to_string()),
        identified,
        bytes_out: Some(bytes[CLIENT]),
        bytes_in: Some(bytes[SERVER]),
        packets_out: Some(flow.packets[CLIENT]),
        packets_in: Some(flow.packets[SERVER]),
        source_format: Some(config.source_format),
        app: app.map(Box::new),
        ..ConnEvent::new(flow.server.ip(), flow.server.port())
    }
}
