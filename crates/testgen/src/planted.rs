//! The planted channels and their ground truth: pub/sub connections placed into the background
//! with a known answer, covering every rule of the `pubsub-port` and `pubsub-unusual-port`
//! analytics and the places where the seed queries go wrong.
//!
//! Each case declares by hand how the analytic must rate it ([`Rating`]: analytic, protocol,
//! internal or external, suspicion) and, row by row, whether a connection counts (it does not
//! when it was refused, is UDP, or came from outside). Nothing here re-implements the
//! analytic's rating; the only arithmetic is counting, summing and splitting counted rows into
//! time windows, which [`GroundTruth::expected_alerts`] does for any `--window` and
//! `--min-suspicion`.

use crate::background::{ephemeral_port, write_delay};
use crate::network::{self, ClientKind, Network};
use crate::record::{ConnRecord, ConnState, Transport, Uid, shape_flow};
use crate::rng::SplitMix64;
use crate::time::{Micros, iso8601};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Suspicion of an alert; ordered `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Suspicion {
    Low,
    Medium,
    High,
}

impl Suspicion {
    pub fn as_str(self) -> &'static str {
        match self {
            Suspicion::Low => "low",
            Suspicion::Medium => "medium",
            Suspicion::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Suspicion> {
        match s {
            "low" => Some(Suspicion::Low),
            "medium" => Some(Suspicion::Medium),
            "high" => Some(Suspicion::High),
            _ => None,
        }
    }
}

/// The analytic an alert comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Analytic {
    #[serde(rename = "pubsub-port")]
    PubsubPort,
    #[serde(rename = "pubsub-unusual-port")]
    PubsubUnusualPort,
}

impl Analytic {
    pub fn as_str(self) -> &'static str {
        match self {
            Analytic::PubsubPort => "pubsub-port",
            Analytic::PubsubUnusualPort => "pubsub-unusual-port",
        }
    }
}

/// The pub/sub protocols of the analytic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Protocol {
    #[serde(rename = "MQTT")]
    Mqtt,
    #[serde(rename = "XMPP")]
    Xmpp,
    #[serde(rename = "AMQP")]
    Amqp,
    #[serde(rename = "STOMP")]
    Stomp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Mqtt => "MQTT",
            Protocol::Xmpp => "XMPP",
            Protocol::Amqp => "AMQP",
            Protocol::Stomp => "STOMP",
        }
    }
}

/// How the analytic must rate a planted group, declared per case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rating {
    pub analytic: Analytic,
    pub protocol: Protocol,
    pub external: bool,
    pub suspicion: Suspicion,
}

const fn rate(analytic: Analytic, protocol: Protocol, external: bool, s: Suspicion) -> Rating {
    Rating {
        analytic,
        protocol,
        external,
        suspicion: s,
    }
}

/// A connection of a planted group that the analytic must count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedConn {
    pub ts: Micros,
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
}

fn ser_time<S: Serializer>(t: &Micros, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&iso8601(*t))
}

fn ser_opt_time<S: Serializer>(t: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&iso8601(*t)),
        None => s.serialize_none(),
    }
}

fn sum_opt(values: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    values.fold(None, |acc, v| match (acc, v) {
        (Some(a), Some(b)) => Some(a + b),
        (a, None) => a,
        (None, b) => b,
    })
}

/// One planted group: the rows of one case towards one (host, destination, port), rated one
/// way. A case whose rows count under two analytics gives two groups.
#[derive(Debug, Clone, Serialize)]
pub struct PlantedGroup {
    /// Short name of the case (`mqtt-external-beacon`).
    pub case: &'static str,
    pub description: &'static str,
    pub analytic: Analytic,
    pub host: String,
    pub dst_ip: String,
    pub dst_port: u16,
    pub protocol: Protocol,
    /// `proto` of the rows (`tcp`, `udp`, `-`).
    pub transport: &'static str,
    pub service: Option<&'static str>,
    /// Whether the destination is outside the internal networks.
    pub external: bool,
    /// The suspicion of the group if it is reported (the rating, not a promise of an alert).
    pub suspicion: Suspicion,
    /// Rows written for the case, counted or not.
    pub rows: u64,
    /// Rows the analytic must count (over the whole input).
    pub connections: u64,
    pub bytes_sent: Option<u64>,
    pub bytes_received: Option<u64>,
    #[serde(serialize_with = "ser_opt_time")]
    pub first_seen: Option<Micros>,
    #[serde(serialize_with = "ser_opt_time")]
    pub last_seen: Option<Micros>,
    /// Whether a default run (no window, at least 2 connections, medium and above) reports it.
    pub reported_by_default: bool,
    #[serde(skip)]
    pub counted: Vec<CountedConn>,
}

/// An alert the analytic must report, with the fields pubsub-hunt writes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ExpectedAlert {
    pub analytic: Analytic,
    pub host: String,
    pub dst_ip: String,
    pub dst_port: u16,
    pub protocol: Protocol,
    #[serde(serialize_with = "ser_time")]
    pub first_seen: Micros,
    #[serde(serialize_with = "ser_time")]
    pub last_seen: Micros,
    pub suspicion: Suspicion,
    pub external: bool,
    pub connections: u64,
    pub bytes_sent: Option<u64>,
    pub bytes_received: Option<u64>,
    /// The planted case it comes from (not an output field of pubsub-hunt).
    pub case: &'static str,
}

impl PlantedGroup {
    /// The alerts this group gives with tumbling windows of `window` microseconds (`None`: the
    /// whole input is one window) and a threshold of `min_connections`.
    pub fn expected_alerts(
        &self,
        window: Option<Micros>,
        min_connections: u64,
    ) -> Vec<ExpectedAlert> {
        let mut buckets: BTreeMap<i64, Vec<CountedConn>> = BTreeMap::new();
        for c in &self.counted {
            let index = window.map_or(0, |w| c.ts.div_euclid(w));
            buckets.entry(index).or_default().push(*c);
        }
        buckets
            .into_values()
            .filter(|conns| conns.len() as u64 >= min_connections)
            .map(|conns| ExpectedAlert {
                analytic: self.analytic,
                host: self.host.clone(),
                dst_ip: self.dst_ip.clone(),
                dst_port: self.dst_port,
                protocol: self.protocol,
                first_seen: conns.iter().map(|c| c.ts).min().unwrap_or_default(),
                last_seen: conns.iter().map(|c| c.ts).max().unwrap_or_default(),
                suspicion: self.suspicion,
                external: self.external,
                connections: conns.len() as u64,
                bytes_sent: sum_opt(conns.iter().map(|c| c.orig_bytes)),
                bytes_received: sum_opt(conns.iter().map(|c| c.resp_bytes)),
                case: self.case,
            })
            .collect()
    }
}

/// Everything known about a generated log: its size and every planted group.
#[derive(Debug, Clone, Serialize)]
pub struct GroundTruth {
    pub seed: u64,
    /// Rows in the log.
    pub rows: u64,
    /// Rows of planted cases among them.
    pub planted_rows: u64,
    #[serde(serialize_with = "ser_time")]
    pub start: Micros,
    pub span_secs: u64,
    /// Whether `local_orig`/`local_resp` are filled in (Zeek `Site::local_nets` configured).
    pub local_nets: bool,
    pub groups: Vec<PlantedGroup>,
}

impl GroundTruth {
    /// Every alert pubsub-hunt must report for this log with `--window` (microseconds, `None`
    /// for the whole input) and `--min-suspicion`, at the default threshold of 2 connections,
    /// sorted by identity. Background traffic raises none, so this is the complete answer.
    pub fn expected_alerts(
        &self,
        window: Option<Micros>,
        min_suspicion: Suspicion,
    ) -> Vec<ExpectedAlert> {
        let mut out: Vec<ExpectedAlert> = self
            .groups
            .iter()
            .filter(|g| g.suspicion >= min_suspicion)
            .flat_map(|g| g.expected_alerts(window, 2))
            .collect();
        out.sort();
        out
    }

    /// The group of a case (the first, for cases planted several times).
    pub fn case(&self, name: &str) -> Option<&PlantedGroup> {
        self.groups.iter().find(|g| g.case == name)
    }
}

/// The planted rows (in start order) and their groups.
#[derive(Debug, Default)]
pub(crate) struct Planted {
    pub records: Vec<ConnRecord>,
    pub groups: Vec<PlantedGroup>,
}

/// How the rows of a case look on the wire.
#[derive(Debug, Clone, Copy)]
enum Traffic {
    /// Connect, publish or ping, disconnect.
    Mqtt,
    /// TLS-wrapped request/response beacons.
    Tls,
    /// Long XMPP sessions.
    Xmpp,
    Stomp,
    Amqp,
    /// Apple push notification keep-alive sessions.
    Push,
}

impl Traffic {
    fn draw(self, rng: &mut SplitMix64) -> ((u64, u64), Micros) {
        let (o, r, d) = match self {
            Traffic::Mqtt => (
                rng.between(60, 400),
                rng.between(4, 160),
                rng.log_normal(0.4, 0.8).min(10.0),
            ),
            Traffic::Tls => (
                rng.between(600, 4_000),
                rng.between(1_500, 9_000),
                rng.log_normal(1.5, 1.0).min(60.0),
            ),
            Traffic::Xmpp => (
                rng.log_normal(3_000.0, 1.0) as u64 + 400,
                rng.log_normal(8_000.0, 1.2) as u64 + 900,
                rng.log_normal(300.0, 1.0).min(3_600.0),
            ),
            Traffic::Stomp => (
                rng.between(120, 2_000),
                rng.between(60, 900),
                rng.log_normal(0.8, 0.8).min(20.0),
            ),
            Traffic::Amqp => (
                rng.between(400, 6_000),
                rng.between(500, 9_000),
                rng.log_normal(8.0, 1.0).min(120.0),
            ),
            Traffic::Push => (
                rng.between(2_000, 5_000),
                rng.between(3_000, 8_000),
                rng.log_normal(1_500.0, 0.5).min(3_600.0),
            ),
        };
        ((o, r), ((d * 1e6) as Micros).max(1_000))
    }
}

/// One row of a case.
#[derive(Debug, Clone, Copy)]
struct Row {
    ts: Micros,
    /// `None`: `conn_state` unset.
    state: Option<ConnState>,
    /// Whether the analytic must count it.
    counts: bool,
    /// A lone packet: duration and byte counts unset.
    lone_packet: bool,
    /// `local_orig`/`local_resp` unset even though the site has local networks.
    local_unset: bool,
}

impl Row {
    fn new(ts: Micros, state: ConnState, counts: bool) -> Row {
        Row {
            ts,
            state: Some(state),
            counts,
            lone_packet: false,
            local_unset: false,
        }
    }
}

/// What a case is: who talks to what, how, and how it must be rated.
struct Case {
    id: &'static str,
    description: &'static str,
    host: IpAddr,
    dst: IpAddr,
    port: u16,
    transport: Transport,
    service: Option<&'static str>,
    traffic: Traffic,
    ratings: Vec<Rating>,
}

/// States of connections that were established (the analytic counts them).
const ESTABLISHED: &[(u32, ConnState)] = &[
    (850, ConnState::SF),
    (50, ConnState::RSTR),
    (50, ConnState::RSTO),
    (20, ConnState::S1),
    (10, ConnState::S2),
    (10, ConnState::S3),
    (10, ConnState::OTH),
];

/// States of connections that never got established (the analytic must not count them).
const NOT_ESTABLISHED: [ConnState; 6] = [
    ConnState::REJ,
    ConnState::S0,
    ConnState::RSTOS0,
    ConnState::RSTRH,
    ConnState::SH,
    ConnState::SHR,
];

/// Most rows of one beaconing case, whatever the span.
const MAX_BEACONS: usize = 20_000;

struct Planter<'a> {
    rng: SplitMix64,
    net: &'a Network,
    start: Micros,
    end: Micros,
    used_dsts: HashSet<IpAddr>,
    used_hosts: HashSet<IpAddr>,
    out: Planted,
}

use Analytic::{PubsubPort as Port, PubsubUnusualPort as Unusual};
use Suspicion::{High, Low, Medium};

impl Planter<'_> {
    /// A workstation not yet used by another case (so cases never share a group key, and an
    /// infected host is still recognisable).
    fn workstation(&mut self) -> Ipv4Addr {
        for _ in 0..1_000 {
            let i = *self.rng.pick(&self.net.workstations);
            let ip = self.net.clients[i].v4;
            if self.used_hosts.insert(IpAddr::V4(ip)) {
                return ip;
            }
        }
        // More cases than workstations cannot happen with the built-in site; fall back to any.
        self.net.clients[*self.rng.pick(&self.net.workstations)].v4
    }

    /// A dual-stack workstation's global IPv6 address.
    fn workstation_v6(&mut self) -> Ipv6Addr {
        let with_v6: Vec<Ipv6Addr> = self.net.clients.iter().filter_map(|c| c.v6).collect();
        if with_v6.is_empty() {
            return network::random_in_v6_48(&mut self.rng, network::ORG_V6_PREFIX, 0x10);
        }
        *self.rng.pick(&with_v6)
    }

    /// A host with a unique-local address (not in the background client list: an IPv6-only
    /// lab segment).
    fn ula_host(&mut self) -> Ipv6Addr {
        network::random_in_v6_48(&mut self.rng, network::ORG_ULA_PREFIX, 0x10)
    }

    /// A destination no other case uses.
    fn fresh_dst(&mut self, make: impl Fn(&mut SplitMix64) -> IpAddr) -> IpAddr {
        loop {
            let ip = make(&mut self.rng);
            if self.used_dsts.insert(ip) {
                return ip;
            }
        }
    }

    fn hosting(&mut self) -> IpAddr {
        self.fresh_dst(|r| IpAddr::V4(network::random_hosting_v4(r)))
    }

    fn micro_jitter(&mut self) -> Micros {
        self.rng.below(1_000_000) as Micros
    }

    /// Beacon start times every `interval` seconds (±10 %) from a random phase.
    fn beacon_times(&mut self, interval: f64) -> Vec<Micros> {
        let step = (interval * 1e6) as Micros;
        let mut t = self.start + self.rng.below(step as u64) as Micros;
        let mut out = Vec::new();
        while t < self.end && out.len() < MAX_BEACONS {
            out.push(t);
            let jitter = 0.9 + 0.2 * self.rng.unit();
            t += ((step as f64) * jitter) as Micros;
        }
        out
    }

    /// `n` start times spread uniformly over the span.
    fn random_times(&mut self, n: usize) -> Vec<Micros> {
        let span = (self.end - self.start).max(1) as u64;
        let mut out: Vec<Micros> = (0..n)
            .map(|_| self.start + self.rng.below(span) as Micros)
            .collect();
        out.sort_unstable();
        out
    }

    /// A UTC hour boundary with at least an hour of span on each side.
    fn hour_boundary(&mut self) -> Micros {
        const HOUR: Micros = 3_600_000_000;
        let first = (self.start + HOUR).div_euclid(HOUR) + 1;
        let last = (self.end - HOUR).div_euclid(HOUR);
        let h = if last > first {
            first + self.rng.below((last - first) as u64) as i64
        } else {
            first
        };
        h * HOUR
    }

    fn established_rows(&mut self, times: &[Micros]) -> Vec<Row> {
        times
            .iter()
            .map(|&t| Row::new(t, *self.rng.weighted(ESTABLISHED), true))
            .collect()
    }

    /// Writes the rows of a case and records its groups.
    fn emit(&mut self, case: Case, rows: Vec<Row>) {
        let ipv6 = case.host.is_ipv6();
        let mut counted = Vec::new();
        for row in &rows {
            let rng = &mut self.rng;
            let (payload, duration) = case.traffic.draw(rng);
            let state = row.state.unwrap_or(ConnState::SF);
            let mut shape = shape_flow(rng, case.transport, state, ipv6, payload, duration);
            if row.lone_packet {
                shape.duration = None;
                shape.orig_bytes = None;
                shape.resp_bytes = None;
                shape.history = Some("D");
                shape.orig_pkts = 1;
                shape.orig_ip_bytes = payload.0.min(1_400) + if ipv6 { 72 } else { 52 };
                shape.resp_pkts = 0;
                shape.resp_ip_bytes = 0;
            }
            let ts = row.ts;
            let end = ts + shape.duration.unwrap_or(0);
            let local = |ip| {
                if row.local_unset {
                    None
                } else {
                    self.net.is_local(ip)
                }
            };
            let record = ConnRecord {
                ts,
                write_ts: end + write_delay(rng, case.transport, row.state),
                uid: Uid::random(rng),
                orig_h: case.host,
                orig_p: ephemeral_port(rng),
                resp_h: case.dst,
                resp_p: case.port,
                transport: case.transport,
                service: case.service,
                duration: shape.duration,
                orig_bytes: shape.orig_bytes,
                resp_bytes: shape.resp_bytes,
                conn_state: row.state,
                local_orig: local(case.host),
                local_resp: local(case.dst),
                missed_bytes: 0,
                history: shape.history,
                orig_pkts: shape.orig_pkts,
                orig_ip_bytes: shape.orig_ip_bytes,
                resp_pkts: shape.resp_pkts,
                resp_ip_bytes: shape.resp_ip_bytes,
            };
            if row.counts {
                counted.push(CountedConn {
                    ts,
                    orig_bytes: record.orig_bytes,
                    resp_bytes: record.resp_bytes,
                });
            }
            self.out.records.push(record);
        }
        for rating in &case.ratings {
            let g = PlantedGroup {
                case: case.id,
                description: case.description,
                analytic: rating.analytic,
                host: case.host.to_string(),
                dst_ip: case.dst.to_string(),
                dst_port: case.port,
                protocol: rating.protocol,
                transport: case.transport.label().unwrap_or("-"),
                service: case.service,
                external: rating.external,
                suspicion: rating.suspicion,
                rows: rows.len() as u64,
                connections: counted.len() as u64,
                bytes_sent: sum_opt(counted.iter().map(|c| c.orig_bytes)),
                bytes_received: sum_opt(counted.iter().map(|c| c.resp_bytes)),
                first_seen: counted.iter().map(|c| c.ts).min(),
                last_seen: counted.iter().map(|c| c.ts).max(),
                reported_by_default: counted.len() >= 2 && rating.suspicion >= Medium,
                counted: counted.clone(),
            };
            self.out.groups.push(g);
        }
    }

    /// A beaconing case whose every row counts.
    #[allow(clippy::too_many_arguments)]
    fn beacon(
        &mut self,
        id: &'static str,
        description: &'static str,
        host: IpAddr,
        dst: IpAddr,
        port: u16,
        service: Option<&'static str>,
        traffic: Traffic,
        interval: f64,
        rating: Rating,
    ) {
        let times = self.beacon_times(interval);
        let rows = self.established_rows(&times);
        let case = Case {
            id,
            description,
            host,
            dst,
            port,
            transport: Transport::Tcp,
            service,
            traffic,
            ratings: vec![rating],
        };
        self.emit(case, rows);
    }
}

/// Plants every case between `start` and `end`.
pub(crate) fn plant(rng: SplitMix64, net: &Network, start: Micros, end: Micros) -> Planted {
    let mut p = Planter {
        rng,
        net,
        start,
        end,
        used_dsts: HashSet::new(),
        used_hosts: HashSet::new(),
        out: Planted::default(),
    };
    p.external_channels();
    p.internal_channels();
    p.exclusions();
    p.unusual_ports();
    p.field_edge_cases();
    p.scope_boundaries();
    let mut out = p.out;
    out.records.sort_by_key(|r| r.ts);
    out
}

#[path = "planted_channels.rs"]
mod channels;
#[path = "planted_edges.rs"]
mod edges;
