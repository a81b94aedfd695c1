//! The flow table: groups decoded packets into TCP and UDP flows by their 5-tuple, reassembles
//! TCP payload per direction and feeds it to the flow's [`SessionInspector`], and turns every
//! flow that ends (closed, idle, evicted, or still open when the capture ends) into a
//! [`ConnEvent`].
//!
//! The table is keyed by attacker-controlled addresses and ports, so it hashes with a random
//! seed and holds at most `max_flows` flows: idle flows are expired first, then the oldest flow
//! is evicted (and emitted, so nothing is lost but the rest of that flow's packets).
//!
//! Who started a flow: the sender of a SYN (or the receiver of a SYN-ACK). When the capture
//! started after the handshake, the side on a pub/sub protocol's standard port is the server
//! when only one side is (STOMP's 61613 lies in the dynamic range, above many clients' ephemeral
//! ports); else the flow's lower port is taken as the server when it is a well-known or
//! registered port (below 49152) and the ports differ; otherwise the sender of the first packet
//! seen is taken as the initiator. UDP flows are oriented by their first packet.
//!
//! Outcome follows Zeek's `conn_state`: a flow whose handshake completed, or in which both sides
//! sent payload, `Succeeded`; a SYN that got no answer (S0) or was refused with a reset (REJ)
//! `Failed`; anything else (a one-sided mid-stream flow) `Unknown`. UDP flows with packets both
//! ways `Succeeded`, one-way ones `Unknown`.

use crate::capture::Frame;
use crate::dpi::{SessionInspector, Side};
use crate::ip::{Defragmenter, IpError};
use crate::link::{self, LinkError, Network};
use crate::tcp::{self, Released, StreamReassembler, TcpSegment, TransportError, UdpDatagram};
use foldhash::fast::RandomState;
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, ConnEvent, Protocol, Transport};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use thiserror::Error;

mod bounds;
mod state;
pub use bounds::{FlowConfig, FlowStats};
use state::{CLIENT, Flow, SERVER, TcpState};

/// Why one packet could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PacketError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error(transparent)]
    Ip(#[from] IpError),
    #[error(transparent)]
    Transport(#[from] TransportError),
}

/// The 5-tuple, with the two endpoints in a canonical order so both directions map to one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FlowKey {
    pub protocol: u8,
    pub a: SocketAddr,
    pub b: SocketAddr,
}

impl FlowKey {
    pub fn new(protocol: u8, x: SocketAddr, y: SocketAddr) -> FlowKey {
        let (a, b) = if (x.ip(), x.port()) <= (y.ip(), y.port()) {
            (x, y)
        } else {
            (y, x)
        };
        FlowKey { protocol, a, b }
    }
}

/// A flow that just started, as reported by [`FlowTable::packet`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewFlow {
    pub key: FlowKey,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub transport: Transport,
}

/// A flow that ended.
#[derive(Debug)]
pub struct EndedFlow {
    /// Packet number of the flow's first packet.
    pub first_packet: u64,
    pub event: ConnEvent,
}

/// Ports below this are well-known or registered (IANA); at and above it, dynamic.
const FIRST_DYNAMIC_PORT: u16 = 49_152;

/// Tracks flows over a sequence of frames.
pub struct FlowTable {
    config: FlowConfig,
    flows: HashMap<FlowKey, Flow, RandomState>,
    /// Flow keys in creation order, for evicting the oldest; entries of flows that already
    /// ended are skipped (their id no longer matches) and compacted away.
    order: VecDeque<(FlowKey, u64)>,
    defrag: Defragmenter,
    next_id: u64,
    last_sweep: Micros,
    /// Out-of-order bytes held by all flows' reassemblers.
    held_total: usize,
    /// Inspection memory of all flows.
    inspection_total: usize,
    pub stats: FlowStats,
}

/// Capture time between sweeps for idle flows.
const SWEEP_INTERVAL: Micros = 1_000_000;

impl FlowTable {
    pub fn new(config: FlowConfig) -> FlowTable {
        FlowTable {
            config,
            flows: HashMap::default(),
            order: VecDeque::new(),
            defrag: Defragmenter::new(config.defrag),
            next_id: 0,
            held_total: 0,
            inspection_total: 0,
            last_sweep: Micros::MIN,
            stats: FlowStats::default(),
        }
    }

    /// Flows currently tracked.
    pub fn len(&self) -> usize {
        self.flows.len()
    }

    /// Out-of-order bytes held by all flows right now.
    pub fn held_bytes(&self) -> usize {
        self.held_total
    }

    /// Inspection memory of all flows right now.
    pub fn inspection_bytes(&self) -> usize {
        self.inspection_total
    }

    /// The bounds the table runs with.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }

    /// Records who owns a flow (live capture's process attribution).
    pub fn annotate(
        &mut self,
        key: &FlowKey,
        host: Option<String>,
        process: Option<String>,
        user: Option<String>,
    ) {
        if let Some(f) = self.flows.get_mut(key) {
            f.host = host;
            f.process = process;
            f.user = user;
        }
    }

    /// Takes one frame. Flows that end because of it (or because time moved on) go to `emit`.
    /// Returns the flow the frame started, if it started one.
    pub fn packet(
        &mut self,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(EndedFlow),
    ) -> Result<Option<NewFlow>, PacketError> {
        self.stats.packets += 1;
        // Sweeps follow capture time forwards only: timestamps that jump back and forth (two
        // interfaces with different clocks) must not cost a sweep per packet.
        self.advance(frame.ts, emit);
        let result = self.decode(frame, emit);
        if result.is_err() {
            self.stats.bad += 1;
        }
        result
    }

    fn decode(
        &mut self,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(EndedFlow),
    ) -> Result<Option<NewFlow>, PacketError> {
        let network = match link::decode(frame.linktype, frame.data) {
            Ok(n) => n,
            Err(LinkError::UnsupportedLinkType(_)) => {
                // Reported once per capture by the reader.
                self.stats.not_ip += 1;
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        };
        let datagram = match network {
            Network::Ipv4(p) => self.defrag.ipv4(frame.ts, p)?,
            Network::Ipv6(p) => self.defrag.ipv6(frame.ts, p)?,
            Network::NotIp => {
                self.stats.not_ip += 1;
                return Ok(None);
            }
        };
        let Some(datagram) = datagram else {
            return Ok(None);
        };
        match datagram.protocol {
            6 => {
                let seg = TcpSegment::parse(&datagram.payload)?;
                let src = SocketAddr::new(datagram.src, seg.src_port);
                let dst = SocketAddr::new(datagram.dst, seg.dst_port);
                let wire_len = seg.payload.len() + datagram.missing_tail;
                Ok(self.tcp(frame, src, dst, &seg, wire_len, emit))
            }
            17 => {
                let udp = UdpDatagram::parse(&datagram.payload)?;
                let src = SocketAddr::new(datagram.src, udp.src_port);
                let dst = SocketAddr::new(datagram.dst, udp.dst_port);
                Ok(self.udp(
                    frame,
                    src,
                    dst,
                    udp.payload.len() + datagram.missing_tail,
                    emit,
                ))
            }
            _ => {
                self.stats.other_transport += 1;
                Ok(None)
            }
        }
    }

    fn udp(
        &mut self,
        frame: &Frame<'_>,
        src: SocketAddr,
        dst: SocketAddr,
        payload_len: usize,
        emit: &mut dyn FnMut(EndedFlow),
    ) -> Option<NewFlow> {
        let key = FlowKey::new(17, src, dst);
        let mut started = None;
        if !self.still_open(&key, frame.ts, emit) {
            self.insert(key, Transport::Udp, src, dst, frame, emit);
            started = Some(NewFlow {
                key,
                client: src,
                server: dst,
                transport: Transport::Udp,
            });
        }
        if let Some(flow) = self.flows.get_mut(&key) {
            let side = if src == flow.client { CLIENT } else { SERVER };
            flow.last_ts = flow.last_ts.max(frame.ts);
            flow.packets[side] += 1;
            flow.udp_bytes[side] += payload_len as u64;
        }
        started
    }

    fn tcp(
        &mut self,
        frame: &Frame<'_>,
        src: SocketAddr,
        dst: SocketAddr,
        seg: &TcpSegment<'_>,
        wire_len: usize,
        emit: &mut dyn FnMut(EndedFlow),
    ) -> Option<NewFlow> {
        let key = FlowKey::new(6, src, dst);
        let is_syn = seg.has(tcp::flags::SYN) && !seg.has(tcp::flags::ACK);
        // A flow that timed out ends here, whenever the last sweep was (so what it holds
        // depends on its own packets alone). And a new SYN on a flow that is over or already
        // carried data is a new connection on the same ports: end the old one first.
        let config = self.config;
        let (mut exists, timed_out, reused) = match self.flows.get(&key) {
            None => (false, false, false),
            Some(old) => (
                true,
                old.timed_out(&config, frame.ts),
                is_syn
                    && old.tcp.as_deref().is_some_and(|t| {
                        old.closed_at.is_some()
                            || t.reassembly[CLIENT].payload_bytes() > 0
                            || t.reassembly[SERVER].payload_bytes() > 0
                            || t.client_syn.is_some_and(|s| s != seg.seq)
                    }),
            ),
        };
        if (timed_out || reused)
            && let Some(old) = self.flows.remove(&key)
        {
            exists = false;
            if timed_out && old.closed_at.is_none() {
                self.stats.idle_expired += 1;
            }
            emit(self.finish_flow(old));
        }
        let mut started = None;
        if !exists {
            let (client, server) = orient_tcp(src, dst, seg);
            self.insert(key, Transport::Tcp, client, server, frame, emit);
            started = Some(NewFlow {
                key,
                client,
                server,
                transport: Transport::Tcp,
            });
        }
        let Some(flow) = self.flows.get_mut(&key) else {
            return started;
        };
        let side = if src == flow.client { CLIENT } else { SERVER };
        flow.last_ts = flow.last_ts.max(frame.ts);
        flow.packets[side] += 1;
        let server_port = flow.server.port();
        let Some(t) = flow.tcp.as_deref_mut() else {
            return started;
        };
        let syn = seg.has(tcp::flags::SYN);
        let ack = seg.has(tcp::flags::ACK);
        if syn && !ack && side == CLIENT {
            t.client_syn.get_or_insert(seg.seq);
            t.reassembly[CLIENT].syn(seg.seq);
        }
        if syn && ack && side == SERVER {
            t.server_syn_ack = true;
            t.reassembly[SERVER].syn(seg.seq);
        }
        if !syn && ack && side == CLIENT && t.server_syn_ack {
            t.client_ack_after_syn_ack = true;
        }
        if wire_len > 0 {
            let dpi_side = if side == CLIENT {
                Side::Client
            } else {
                Side::Server
            };
            let TcpState {
                reassembly,
                inspector,
                inspection_memory,
                ..
            } = t;
            let held_before: usize = reassembly.iter().map(StreamReassembler::held_bytes).sum();
            let other_held = reassembly
                .get(1 - side)
                .map_or(0, StreamReassembler::held_bytes);
            if let Some(r) = reassembly.get_mut(side) {
                let inspector = inspector
                    .get_or_insert_with(|| SessionInspector::with_server_port(server_port));
                let mut fed = 0;
                let mut out = |rel: Released<'_>| match rel {
                    Released::Data(d) => {
                        if inspector.wants_more() {
                            fed += d.len() as u64;
                            inspector.feed(dpi_side, frame.ts, frame.number, d);
                        }
                    }
                    Released::Gap => inspector.gap(dpi_side),
                };
                r.segment(seg.seq, seg.payload, wire_len, &mut out);
                // The per-flow bound times the flow cap is too much memory: the table has an
                // overall budget, and the flow that goes over it gives up its holes.
                let held_now =
                    self.held_total.saturating_sub(held_before) + r.held_bytes() + other_held;
                if held_now > self.config.max_out_of_order_total {
                    self.stats.out_of_order_over_budget += 1;
                    r.flush(&mut out);
                }
                self.stats.inspected_bytes += fed;
                // The same for inspection: the flow that goes over the total drops its
                // buffered bytes, and stops being inspected if its findings alone are too much.
                let memory = inspector.memory();
                let others = self.inspection_total.saturating_sub(*inspection_memory);
                if others + memory > self.config.max_inspection_total {
                    inspector.shed();
                    let after = inspector.memory();
                    self.stats.inspection_shed += 1;
                    self.stats.inspection_shed_bytes += memory.saturating_sub(after) as u64;
                    if others + after > self.config.max_inspection_total {
                        inspector.stop();
                        self.stats.inspection_stopped += 1;
                    }
                }
                *inspection_memory = inspector.memory();
                self.inspection_total = others + *inspection_memory;
                if !inspector.wants_more() {
                    reassembly.iter_mut().for_each(StreamReassembler::stop);
                }
            }
            let held_after: usize = reassembly.iter().map(StreamReassembler::held_bytes).sum();
            self.held_total = self.held_total.saturating_sub(held_before) + held_after;
        }
        if seg.has(tcp::flags::RST) {
            t.rst[side] = true;
            flow.closed_at.get_or_insert(frame.ts);
        }
        if seg.has(tcp::flags::FIN) {
            t.fin[side] = true;
            if t.fin[CLIENT] && t.fin[SERVER] {
                flow.closed_at.get_or_insert(frame.ts);
            }
        }
        started
    }

    fn insert(
        &mut self,
        key: FlowKey,
        transport: Transport,
        client: SocketAddr,
        server: SocketAddr,
        frame: &Frame<'_>,
        emit: &mut dyn FnMut(EndedFlow),
    ) {
        // Idle flows are expired by the periodic sweep; here, at the cap, the oldest goes (a
        // sweep per new flow would cost a table scan per packet under a flood of new flows).
        while self.flows.len() >= self.config.max_flows.max(1) {
            let Some((old_key, id)) = self.order.pop_front() else {
                break;
            };
            if self.flows.get(&old_key).is_some_and(|f| f.id == id)
                && let Some(old) = self.flows.remove(&old_key)
            {
                self.stats.evicted += 1;
                emit(self.finish_flow(old));
            }
        }
        if self.order.len() > 2 * self.config.max_flows + 64 {
            let flows = &self.flows;
            self.order
                .retain(|(k, id)| flows.get(k).is_some_and(|f| f.id == *id));
        }
        self.next_id += 1;
        let tcp = (transport == Transport::Tcp).then(|| {
            Box::new(TcpState {
                reassembly: [
                    StreamReassembler::new(self.config.reassembly),
                    StreamReassembler::new(self.config.reassembly),
                ],
                inspector: None,
                inspection_memory: 0,
                client_syn: None,
                server_syn_ack: false,
                client_ack_after_syn_ack: false,
                rst: [false; 2],
                fin: [false; 2],
            })
        });
        self.flows.insert(
            key,
            Flow {
                id: self.next_id,
                transport,
                client,
                server,
                first_ts: frame.ts,
                last_ts: frame.ts,
                first_packet: frame.number,
                packets: [0; 2],
                udp_bytes: [0; 2],
                tcp,
                closed_at: None,
                host: None,
                process: None,
                user: None,
            },
        );
        self.order.push_back((key, self.next_id));
    }

    /// Ends flows that are closed or idle at capture time `now`.
    /// Moves the table's clock to `now` without a packet: ends the flows that went idle, at
    /// most once per [`SWEEP_INTERVAL`] of capture time, as a packet at `now` would. A shard of
    /// a capture's flows sees only its own packets; this keeps its clock with the capture's.
    pub fn advance(&mut self, now: Micros, emit: &mut dyn FnMut(EndedFlow)) {
        if now >= self.last_sweep.saturating_add(SWEEP_INTERVAL) {
            self.last_sweep = now;
            self.sweep(now, emit);
        }
    }

    pub fn sweep(&mut self, now: Micros, emit: &mut dyn FnMut(EndedFlow)) {
        self.defrag.expire(now);
        let config = self.config;
        let mut ended: Vec<Flow> = self
            .flows
            .extract_if(|_, f| f.timed_out(&config, now))
            .map(|(_, f)| f)
            .collect();
        let idle = ended.iter().filter(|f| f.closed_at.is_none()).count() as u64;
        self.stats.idle_expired += idle;
        ended.sort_by_key(|f| f.first_packet);
        for f in ended {
            emit(self.finish_flow(f));
        }
    }

    /// Whether the flow of `key` is open at `now`. One that timed out is ended here, so that a
    /// packet after the timeout starts a new flow whenever the last sweep was: what a flow
    /// holds then depends on its own packets alone, not on those of other flows (which move
    /// the sweeps).
    fn still_open(&mut self, key: &FlowKey, now: Micros, emit: &mut dyn FnMut(EndedFlow)) -> bool {
        let config = self.config;
        match self.flows.get(key) {
            None => false,
            Some(f) if !f.timed_out(&config, now) => true,
            Some(_) => {
                if let Some(f) = self.flows.remove(key) {
                    if f.closed_at.is_none() {
                        self.stats.idle_expired += 1;
                    }
                    emit(self.finish_flow(f));
                }
                false
            }
        }
    }

    /// Every open flow as the connection event it would end as now, in first-packet order. The
    /// table is unchanged and inspection goes on. A message the inspector still holds in part
    /// is not in it (it is learned when it completes), nor are bytes reassembly holds out of
    /// order; both are counted once the flow ends. At most the table's `max_flows` events.
    pub fn open_flows(&self) -> Vec<ConnEvent> {
        let mut flows: Vec<&Flow> = self.flows.values().collect();
        flows.sort_by_key(|f| f.first_packet);
        flows
            .into_iter()
            .map(|flow| {
                let app = flow
                    .tcp
                    .as_deref()
                    .and_then(|t| t.inspector.as_ref())
                    .map(SessionInspector::learned);
                let (outcome, bytes) = state::outcome_and_bytes(flow);
                state::conn_event(&self.config, flow, app, outcome, bytes)
            })
            .collect()
    }

    /// Ends every flow (end of capture, or live capture stopping), in first-packet order.
    pub fn finish(&mut self, emit: &mut dyn FnMut(EndedFlow)) {
        let mut all: Vec<Flow> = self.flows.drain().map(|(_, f)| f).collect();
        self.order.clear();
        all.sort_by_key(|f| f.first_packet);
        for f in all {
            emit(self.finish_flow(f));
        }
    }

    fn finish_flow(&mut self, mut flow: Flow) -> EndedFlow {
        self.stats.flows += 1;
        let mut app: Option<AppInfo> = None;
        if let Some(t) = flow.tcp.as_deref_mut() {
            let held: usize = t.reassembly.iter().map(StreamReassembler::held_bytes).sum();
            self.held_total = self.held_total.saturating_sub(held);
            self.inspection_total = self.inspection_total.saturating_sub(t.inspection_memory);
            t.inspection_memory = 0;
            if let Some(mut inspector) = t.inspector.take() {
                for (i, r) in t.reassembly.iter_mut().enumerate() {
                    let side = if i == CLIENT {
                        Side::Client
                    } else {
                        Side::Server
                    };
                    let mut out = |rel: Released<'_>| match rel {
                        Released::Data(d) => {
                            if inspector.wants_more() {
                                inspector.feed(side, flow.last_ts, flow.first_packet, d);
                            }
                        }
                        Released::Gap => inspector.gap(side),
                    };
                    if r.is_reassembling() {
                        r.flush(&mut out);
                    }
                }
                app = Some(inspector.finish());
            }
        }
        let (outcome, bytes) = state::outcome_and_bytes(&flow);
        EndedFlow {
            first_packet: flow.first_packet,
            event: state::conn_event(&self.config, &flow, app, outcome, bytes),
        }
    }
}

/// Decides initiator and responder from the first packet of a TCP flow (see the module docs).
fn orient_tcp(src: SocketAddr, dst: SocketAddr, seg: &TcpSegment<'_>) -> (SocketAddr, SocketAddr) {
    let syn = seg.has(tcp::flags::SYN);
    let ack = seg.has(tcp::flags::ACK);
    if syn && !ack {
        return (src, dst);
    }
    if syn && ack {
        return (dst, src);
    }
    let (sp, dp) = (src.port(), dst.port());
    // A pub/sub protocol's standard port is the server's, even in the dynamic range (STOMP's
    // 61613, above a Windows client's ephemeral 52553).
    match (
        Protocol::is_standard_port(sp),
        Protocol::is_standard_port(dp),
    ) {
        (true, false) => return (dst, src),
        (false, true) => return (src, dst),
        _ => {}
    }
    if sp != dp && sp.min(dp) < FIRST_DYNAMIC_PORT {
        if sp < dp {
            return (dst, src);
        }
        return (src, dst);
    }
    (src, dst)
}
