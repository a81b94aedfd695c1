//! Background traffic: the ordinary connections of the simulated site that surround the planted
//! channels, generated one at a time in start-time order.
//!
//! The mix is what an office network's conn.log is made of: DNS to the internal resolvers (the
//! largest share), HTTPS and QUIC to CDNs, Windows domain traffic (Kerberos, LDAP, SMB, RPC),
//! NTP, mail, printers, multicast discovery, ICMP, inbound traffic to a DMZ web server and
//! inbound scans. Activity follows the time of day. None of it is a pub/sub candidate on its
//! own terms: no outbound or successful connection goes to a pub/sub port, and no `service`
//! names a pub/sub protocol, so every alert in a generated log comes from a planted channel
//! and the ground truth is the complete answer. Inbound scans do probe pub/sub ports (Shodan
//! does), but only with refused or unanswered attempts from outside, which must not count.

use crate::network::{self, ClientKind, Network};
use crate::record::{ConnRecord, ConnState, Transport, Uid, shape_flow};
use crate::rng::SplitMix64;
use crate::time::Micros;
use std::net::{IpAddr, Ipv4Addr};

/// The pub/sub ports of the analytic (MQTT, XMPP, AMQP, STOMP). Background traffic never
/// opens a successful outbound connection to them.
pub const PUBSUB_PORTS: [u16; 9] = [1883, 8883, 5222, 5223, 5269, 5671, 5672, 61613, 61614];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    DnsInternal,
    DnsForward,
    Https,
    HttpsV6,
    Quic,
    Http,
    Ntp,
    Smb,
    Kerberos,
    Ldap,
    DceRpc,
    Ssh,
    Rdp,
    Intranet,
    Printer,
    Imaps,
    SmtpOut,
    Mdns,
    Ssdp,
    NetbiosNs,
    Dhcp,
    Icmp,
    InboundDmz,
    InboundScan,
    Misc,
}

/// Shares of the mix, per mille-ish.
const MIX: &[(u32, Kind)] = &[
    (300, Kind::DnsInternal),
    (30, Kind::DnsForward),
    (220, Kind::Https),
    (30, Kind::HttpsV6),
    (50, Kind::Quic),
    (40, Kind::Http),
    (20, Kind::Ntp),
    (50, Kind::Smb),
    (30, Kind::Kerberos),
    (30, Kind::Ldap),
    (20, Kind::DceRpc),
    (10, Kind::Ssh),
    (5, Kind::Rdp),
    (30, Kind::Intranet),
    (5, Kind::Printer),
    (10, Kind::Imaps),
    (5, Kind::SmtpOut),
    (20, Kind::Mdns),
    (10, Kind::Ssdp),
    (10, Kind::NetbiosNs),
    (3, Kind::Dhcp),
    (10, Kind::Icmp),
    (30, Kind::InboundDmz),
    (15, Kind::InboundScan),
    (12, Kind::Misc),
];

/// Final states of outbound TCP to the internet.
const TCP_EXTERNAL_STATES: &[(u32, ConnState)] = &[
    (850, ConnState::SF),
    (30, ConnState::RSTO),
    (40, ConnState::RSTR),
    (20, ConnState::S0),
    (10, ConnState::S1),
    (10, ConnState::SH),
    (20, ConnState::OTH),
    (5, ConnState::REJ),
    (5, ConnState::S2),
    (5, ConnState::S3),
    (3, ConnState::RSTOS0),
    (2, ConnState::SHR),
];

/// Final states of TCP inside the site (fewer failures, no middleboxes).
const TCP_INTERNAL_STATES: &[(u32, ConnState)] = &[
    (930, ConnState::SF),
    (20, ConnState::RSTO),
    (20, ConnState::RSTR),
    (10, ConnState::S0),
    (10, ConnState::REJ),
    (5, ConnState::S1),
    (5, ConnState::OTH),
];

const SCAN_PORTS: [u16; 14] = [
    22, 23, 80, 443, 445, 3389, 8080, 1883, 5222, 5672, 61613, 8883, 6379, 9200,
];

/// Whether Zeek would write the row late: TCP rows go out a few seconds after the close, UDP
/// and ICMP after the 60 s inactivity timeout, unfinished TCP after the 5 min one. This is
/// what makes `ts` only roughly increasing in a real conn.log.
pub fn write_delay(rng: &mut SplitMix64, transport: Transport, state: Option<ConnState>) -> Micros {
    let secs = match (transport, state) {
        (Transport::Udp | Transport::Icmp, _) => 60.0,
        (_, Some(ConnState::S0 | ConnState::S1 | ConnState::OTH)) => 300.0,
        (_, Some(ConnState::REJ | ConnState::RSTO | ConnState::RSTR)) => 1.0,
        _ => 5.0,
    };
    (secs * 1e6) as Micros + rng.below(200_000) as Micros
}

/// An ephemeral client port (Windows and Linux ranges).
pub fn ephemeral_port(rng: &mut SplitMix64) -> u16 {
    if rng.chance(0.6) {
        rng.between(49_152, 65_535) as u16
    } else {
        rng.between(32_768, 60_999) as u16
    }
}

/// A random high port that is not a pub/sub port.
fn high_port(rng: &mut SplitMix64, lo: u64) -> u16 {
    loop {
        let p = rng.between(lo, 65_535) as u16;
        if !PUBSUB_PORTS.contains(&p) {
            return p;
        }
    }
}

/// What one generated flow is, before the wire shape is added.
struct Flow {
    orig: IpAddr,
    orig_p: u16,
    resp: IpAddr,
    resp_p: u16,
    transport: Transport,
    service: Option<&'static str>,
    state: ConnState,
    payload: (u64, u64),
    duration: Micros,
}

/// Time-of-day activity (UTC, as the site's clock): quiet nights, busy office hours. Piecewise
/// constant per hour.
fn activity(t: Micros) -> f64 {
    let hour = t.div_euclid(HOUR).rem_euclid(24);
    match hour {
        0..=5 => 0.3,
        6 | 7 => 0.6,
        8..=11 | 13..=17 => 1.5,
        12 => 1.1,
        18 | 19 => 0.8,
        _ => 0.45,
    }
}

const HOUR: Micros = 3_600_000_000;

/// Integral of [`activity`] over `[start, start + span)`, in activity-weighted microseconds.
fn activity_integral(start: Micros, span: Micros) -> f64 {
    let end = start + span;
    let mut t = start;
    let mut total = 0.0;
    while t < end {
        let boundary = ((t.div_euclid(HOUR) + 1) * HOUR).min(end);
        total += (boundary - t) as f64 * activity(t);
        t = boundary;
    }
    total
}

/// Moves `t` forward by `work` activity-weighted microseconds: time runs faster through quiet
/// hours, so connections are sparse at night and dense by day, and `count` of them fill the
/// requested span on average.
fn advance(mut t: Micros, mut work: f64) -> Micros {
    loop {
        let a = activity(t);
        let boundary = (t.div_euclid(HOUR) + 1) * HOUR;
        let capacity = (boundary - t) as f64 * a;
        if work <= capacity {
            return t + (work / a) as Micros;
        }
        work -= capacity;
        t = boundary;
    }
}

/// Generator of background connections in start-time order.
#[derive(Debug)]
pub struct Background {
    rng: SplitMix64,
    clock: Micros,
    /// Mean gap between connections, in activity-weighted microseconds.
    mean_gap: f64,
    remaining: u64,
}

impl Background {
    /// `count` connections starting at `start` spread over about `span` microseconds.
    pub fn new(rng: SplitMix64, start: Micros, span: Micros, count: u64) -> Background {
        let mean_gap = if count == 0 {
            0.0
        } else {
            activity_integral(start, span) / (count as f64 + 1.0)
        };
        Background {
            rng,
            clock: start,
            mean_gap,
            remaining: count,
        }
    }

    pub fn remaining(&self) -> u64 {
        self.remaining
    }

    /// The next connection (by start time), or `None` when `count` were made.
    pub fn next_record(&mut self, net: &Network) -> Option<ConnRecord> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        self.clock = advance(self.clock, self.rng.exponential(self.mean_gap));
        let flow = self.flow(net);
        Some(self.finish(net, flow))
    }

    fn finish(&mut self, net: &Network, f: Flow) -> ConnRecord {
        let rng = &mut self.rng;
        let ipv6 = f.orig.is_ipv6();
        let shape = shape_flow(rng, f.transport, f.state, ipv6, f.payload, f.duration);
        let end = self.clock + shape.duration.unwrap_or(0);
        ConnRecord {
            ts: self.clock,
            write_ts: end + write_delay(rng, f.transport, Some(f.state)),
            uid: Uid::random(rng),
            orig_h: f.orig,
            orig_p: f.orig_p,
            resp_h: f.resp,
            resp_p: f.resp_p,
            transport: f.transport,
            service: f.service,
            duration: shape.duration,
            orig_bytes: shape.orig_bytes,
            resp_bytes: shape.resp_bytes,
            conn_state: Some(f.state),
            local_orig: net.is_local(f.orig),
            local_resp: net.is_local(f.resp),
            missed_bytes: 0,
            history: shape.history,
            orig_pkts: shape.orig_pkts,
            orig_ip_bytes: shape.orig_ip_bytes,
            resp_pkts: shape.resp_pkts,
            resp_ip_bytes: shape.resp_ip_bytes,
        }
    }

    /// A log-normal duration; draws past `max` (a session limit) land spread over its last
    /// tenth rather than all on `max`.
    fn secs(rng: &mut SplitMix64, median: f64, sigma: f64, max: f64) -> Micros {
        let mut d = rng.log_normal(median, sigma);
        if d > max {
            d = max * (0.9 + 0.1 * rng.unit());
        }
        (d * 1e6) as Micros
    }

    fn bytes(rng: &mut SplitMix64, median: f64, sigma: f64) -> u64 {
        rng.log_normal(median, sigma).clamp(1.0, 4e9) as u64
    }

    fn flow(&mut self, net: &Network) -> Flow {
        let rng = &mut self.rng;
        let client = net.active_client(rng);
        let mut kind = *rng.weighted(MIX);
        // IoT sensors only resolve names and keep time.
        if client.kind == ClientKind::Iot && !matches!(kind, Kind::DnsInternal | Kind::Ntp) {
            kind = if rng.chance(0.7) {
                Kind::DnsInternal
            } else {
                Kind::Ntp
            };
        }
        if kind == Kind::HttpsV6 && client.v6.is_none() {
            kind = Kind::Https;
        }
        let src = IpAddr::V4(client.v4);
        let sport = ephemeral_port(rng);
        let tcp_ext = |rng: &mut SplitMix64| *rng.weighted(TCP_EXTERNAL_STATES);
        let tcp_int = |rng: &mut SplitMix64| *rng.weighted(TCP_INTERNAL_STATES);
        let v4 = IpAddr::V4;
        match kind {
            Kind::DnsInternal => {
                let tcp = rng.chance(0.01);
                Flow {
                    orig: src,
                    orig_p: sport,
                    resp: v4(*rng.pick(&network::DNS_SERVERS)),
                    resp_p: 53,
                    transport: if tcp { Transport::Tcp } else { Transport::Udp },
                    service: Some("dns"),
                    state: if rng.chance(0.03) {
                        ConnState::S0
                    } else {
                        ConnState::SF
                    },
                    payload: (
                        rng.between(28, 80),
                        rng.between(44, if tcp { 2_500 } else { 512 }),
                    ),
                    duration: rng.between(300, 90_000) as Micros,
                }
            }
            Kind::DnsForward => Flow {
                orig: v4(*rng.pick(&network::DNS_SERVERS)),
                orig_p: ephemeral_port(rng),
                resp: v4(*rng.pick(&network::PUBLIC_RESOLVERS)),
                resp_p: 53,
                transport: Transport::Udp,
                service: Some("dns"),
                state: if rng.chance(0.02) {
                    ConnState::S0
                } else {
                    ConnState::SF
                },
                payload: (rng.between(30, 90), rng.between(60, 512)),
                duration: rng.between(2_000, 120_000) as Micros,
            },
            Kind::Https | Kind::HttpsV6 => {
                let resp = if kind == Kind::HttpsV6 {
                    IpAddr::V6(net.external_dest_v6(rng))
                } else {
                    v4(net.external_dest_v4(rng))
                };
                let orig = match (kind, client.v6) {
                    (Kind::HttpsV6, Some(a)) => IpAddr::V6(a),
                    _ => src,
                };
                Flow {
                    orig,
                    orig_p: sport,
                    resp,
                    resp_p: if rng.chance(0.97) { 443 } else { 8443 },
                    transport: Transport::Tcp,
                    service: if rng.chance(0.95) { Some("ssl") } else { None },
                    state: tcp_ext(rng),
                    payload: (
                        Self::bytes(rng, 1_500.0, 1.0),
                        Self::bytes(rng, 6_000.0, 2.0),
                    ),
                    duration: Self::secs(rng, 2.0, 2.0, 3_600.0),
                }
            }
            Kind::Quic => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(net.external_dest_v4(rng)),
                resp_p: 443,
                transport: Transport::Udp,
                service: Some("quic"),
                state: if rng.chance(0.02) {
                    ConnState::S0
                } else {
                    ConnState::SF
                },
                payload: (
                    Self::bytes(rng, 3_000.0, 1.0),
                    Self::bytes(rng, 20_000.0, 2.0),
                ),
                duration: Self::secs(rng, 1.5, 1.5, 600.0),
            },
            Kind::Http => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(net.external_dest_v4(rng)),
                resp_p: if rng.chance(0.9) { 80 } else { 8080 },
                transport: Transport::Tcp,
                service: Some("http"),
                state: tcp_ext(rng),
                payload: (Self::bytes(rng, 400.0, 0.8), Self::bytes(rng, 4_000.0, 2.0)),
                duration: Self::secs(rng, 0.4, 1.5, 600.0),
            },
            Kind::Ntp => {
                let external = rng.chance(0.2);
                Flow {
                    orig: src,
                    orig_p: if rng.chance(0.5) { 123 } else { sport },
                    resp: if external {
                        v4(net.external_dest_v4(rng))
                    } else {
                        v4(network::NTP_SERVER)
                    },
                    resp_p: 123,
                    transport: Transport::Udp,
                    service: Some("ntp"),
                    state: if rng.chance(0.02) {
                        ConnState::S0
                    } else {
                        ConnState::SF
                    },
                    payload: (48, 48),
                    duration: rng.between(500, 60_000) as Micros,
                }
            }
            Kind::Smb => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(if rng.chance(0.6) {
                    network::FILE_SERVER
                } else {
                    *rng.pick(&network::DOMAIN_CONTROLLERS)
                }),
                resp_p: 445,
                transport: Transport::Tcp,
                service: Some(if rng.chance(0.5) { "smb,gssapi" } else { "smb" }),
                state: tcp_int(rng),
                payload: (
                    Self::bytes(rng, 3_000.0, 1.5),
                    Self::bytes(rng, 20_000.0, 2.2),
                ),
                duration: Self::secs(rng, 5.0, 2.0, 3_600.0),
            },
            Kind::Kerberos => {
                let tcp = rng.chance(0.6);
                Flow {
                    orig: src,
                    orig_p: sport,
                    resp: v4(*rng.pick(&network::DOMAIN_CONTROLLERS)),
                    resp_p: 88,
                    transport: if tcp { Transport::Tcp } else { Transport::Udp },
                    service: Some(if tcp { "krb_tcp" } else { "krb" }),
                    state: if tcp { tcp_int(rng) } else { ConnState::SF },
                    payload: (rng.between(1_200, 1_900), rng.between(1_300, 1_800)),
                    duration: rng.between(800, 30_000) as Micros,
                }
            }
            Kind::Ldap => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(*rng.pick(&network::DOMAIN_CONTROLLERS)),
                resp_p: if rng.chance(0.85) { 389 } else { 3268 },
                transport: Transport::Tcp,
                service: Some("ldap"),
                state: tcp_int(rng),
                payload: (Self::bytes(rng, 900.0, 0.8), Self::bytes(rng, 3_000.0, 1.2)),
                duration: Self::secs(rng, 0.05, 1.0, 120.0),
            },
            Kind::DceRpc => {
                let endpoint_mapper = rng.chance(0.5);
                Flow {
                    orig: src,
                    orig_p: sport,
                    resp: v4(*rng.pick(&network::DOMAIN_CONTROLLERS)),
                    resp_p: if endpoint_mapper {
                        135
                    } else {
                        high_port(rng, 49_152)
                    },
                    transport: Transport::Tcp,
                    service: Some("dce_rpc"),
                    state: tcp_int(rng),
                    payload: (Self::bytes(rng, 600.0, 1.0), Self::bytes(rng, 700.0, 1.0)),
                    duration: Self::secs(rng, 0.02, 1.0, 60.0),
                }
            }
            Kind::Ssh => Flow {
                orig: src,
                orig_p: sport,
                resp: if rng.chance(0.8) {
                    v4(network::JUMP_HOST)
                } else {
                    v4(net.external_dest_v4(rng))
                },
                resp_p: 22,
                transport: Transport::Tcp,
                service: Some("ssh"),
                state: tcp_ext(rng),
                payload: (
                    Self::bytes(rng, 4_000.0, 1.5),
                    Self::bytes(rng, 8_000.0, 2.0),
                ),
                duration: Self::secs(rng, 60.0, 2.0, 14_400.0),
            },
            Kind::Rdp => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(network::JUMP_HOST),
                resp_p: 3389,
                transport: Transport::Tcp,
                service: Some("ssl"),
                state: tcp_int(rng),
                payload: (
                    Self::bytes(rng, 200_000.0, 1.5),
                    Self::bytes(rng, 2_000_000.0, 1.5),
                ),
                duration: Self::secs(rng, 600.0, 1.5, 14_400.0),
            },
            Kind::Intranet => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(network::INTRANET),
                resp_p: *rng.pick(&[443, 443, 80, 8080]),
                transport: Transport::Tcp,
                service: Some(if rng.chance(0.7) { "ssl" } else { "http" }),
                state: tcp_int(rng),
                payload: (
                    Self::bytes(rng, 900.0, 1.0),
                    Self::bytes(rng, 12_000.0, 1.8),
                ),
                duration: Self::secs(rng, 0.5, 1.5, 600.0),
            },
            Kind::Printer => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(*rng.pick(&network::PRINTERS)),
                resp_p: if rng.chance(0.6) { 9100 } else { 631 },
                transport: Transport::Tcp,
                service: None,
                state: tcp_int(rng),
                payload: (Self::bytes(rng, 200_000.0, 1.5), rng.between(0, 400)),
                duration: Self::secs(rng, 3.0, 1.0, 300.0),
            },
            Kind::Imaps => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(network::MAIL_SERVER),
                resp_p: 993,
                transport: Transport::Tcp,
                service: Some("ssl"),
                state: tcp_int(rng),
                payload: (
                    Self::bytes(rng, 2_000.0, 1.0),
                    Self::bytes(rng, 30_000.0, 2.0),
                ),
                duration: Self::secs(rng, 30.0, 2.0, 3_600.0),
            },
            Kind::SmtpOut => Flow {
                orig: v4(network::MAIL_SERVER),
                orig_p: ephemeral_port(rng),
                resp: v4(net.external_dest_v4(rng)),
                resp_p: 25,
                transport: Transport::Tcp,
                service: Some(if rng.chance(0.8) { "smtp,ssl" } else { "smtp" }),
                state: tcp_ext(rng),
                payload: (
                    Self::bytes(rng, 30_000.0, 1.8),
                    Self::bytes(rng, 1_500.0, 0.5),
                ),
                duration: Self::secs(rng, 1.5, 1.0, 300.0),
            },
            Kind::Mdns => Flow {
                orig: src,
                orig_p: 5353,
                resp: v4(Ipv4Addr::new(224, 0, 0, 251)),
                resp_p: 5353,
                transport: Transport::Udp,
                service: Some("dns"),
                state: ConnState::S0,
                payload: (rng.between(40, 400), 0),
                duration: rng.between(1, 3_000_000) as Micros,
            },
            Kind::Ssdp => Flow {
                orig: src,
                orig_p: sport,
                resp: v4(Ipv4Addr::new(239, 255, 255, 250)),
                resp_p: 1900,
                transport: Transport::Udp,
                service: None,
                state: ConnState::S0,
                payload: (rng.between(120, 700), 0),
                duration: rng.between(1, 3_000_000) as Micros,
            },
            Kind::NetbiosNs => {
                let [a, b, c, _] = client.v4.octets();
                Flow {
                    orig: src,
                    orig_p: 137,
                    resp: v4(Ipv4Addr::new(a, b, c, 255)),
                    resp_p: 137,
                    transport: Transport::Udp,
                    service: None,
                    state: ConnState::S0,
                    payload: (rng.between(50, 300), 0),
                    duration: rng.between(1, 1_500_000) as Micros,
                }
            }
            Kind::Dhcp => Flow {
                orig: v4(Ipv4Addr::UNSPECIFIED),
                orig_p: 68,
                resp: v4(Ipv4Addr::BROADCAST),
                resp_p: 67,
                transport: Transport::Udp,
                service: Some("dhcp"),
                state: ConnState::S0,
                payload: (300, 0),
                duration: rng.between(1, 4_000) as Micros,
            },
            Kind::Icmp => Flow {
                orig: src,
                orig_p: 8,
                resp: if rng.chance(0.5) {
                    v4(net.external_dest_v4(rng))
                } else {
                    v4(*rng.pick(&network::DNS_SERVERS))
                },
                resp_p: 0,
                transport: Transport::Icmp,
                service: None,
                state: ConnState::OTH,
                payload: (
                    rng.between(32, 64) * rng.between(1, 4),
                    rng.between(32, 256),
                ),
                duration: rng.between(500, 4_000_000) as Micros,
            },
            Kind::InboundDmz => {
                let tls = rng.chance(0.9);
                Flow {
                    orig: v4(net.external_dest_v4(rng)),
                    orig_p: ephemeral_port(rng),
                    resp: v4(network::DMZ_WEB),
                    resp_p: if tls { 443 } else { 80 },
                    transport: Transport::Tcp,
                    service: Some(if tls { "ssl" } else { "http" }),
                    state: tcp_ext(rng),
                    payload: (
                        Self::bytes(rng, 900.0, 1.0),
                        Self::bytes(rng, 15_000.0, 1.5),
                    ),
                    duration: Self::secs(rng, 0.8, 1.5, 600.0),
                }
            }
            Kind::InboundScan => {
                Flow {
                    orig: v4(network::random_public_v4(rng)),
                    orig_p: ephemeral_port(rng),
                    // Scanners sweep the whole range, live addresses or not.
                    resp: v4(Ipv4Addr::new(
                        10,
                        1,
                        rng.below(4) as u8,
                        rng.between(1, 254) as u8,
                    )),
                    resp_p: *rng.pick(&SCAN_PORTS),
                    transport: Transport::Tcp,
                    service: None,
                    // Always a failure: an accepted inbound connection to a pub/sub port is a
                    // planted case of its own (with its own expectation).
                    state: if rng.chance(0.7) {
                        ConnState::S0
                    } else {
                        ConnState::REJ
                    },
                    payload: (0, 0),
                    duration: 1,
                }
            }
            Kind::Misc => {
                // Odd outbound traffic: VPN clients, git, peer-to-peer on random high ports.
                let (port, transport, service) = *rng.pick(&[
                    (500u16, Transport::Udp, None),
                    (4500, Transport::Udp, None),
                    (1194, Transport::Udp, None),
                    (9418, Transport::Tcp, None),
                    (0, Transport::Tcp, None),
                    (0, Transport::Udp, None),
                ]);
                let port = if port == 0 {
                    high_port(rng, 1_024)
                } else {
                    port
                };
                let state = if transport == Transport::Tcp {
                    tcp_ext(rng)
                } else if rng.chance(0.2) {
                    ConnState::S0
                } else {
                    ConnState::SF
                };
                Flow {
                    orig: src,
                    orig_p: sport,
                    resp: v4(net.external_dest_v4(rng)),
                    resp_p: port,
                    transport,
                    service,
                    state,
                    payload: (
                        Self::bytes(rng, 2_000.0, 2.0),
                        Self::bytes(rng, 3_000.0, 2.0),
                    ),
                    duration: Self::secs(rng, 5.0, 2.0, 3_600.0),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_is_never_a_counted_candidate() {
        let mut rng = SplitMix64::new(21);
        let net = Network::build(&mut rng, true);
        let mut bg = Background::new(
            SplitMix64::new(22),
            1_700_000_000_000_000,
            3_600_000_000,
            50_000,
        );
        let mut n = 0;
        let mut last_ts = 0;
        while let Some(r) = bg.next_record(&net) {
            n += 1;
            assert!(r.ts >= last_ts, "background arrives in start order");
            last_ts = r.ts;
            if let Some(s) = r.service {
                for label in ["mqtt", "xmpp", "amqp", "stomp"] {
                    assert!(!s.contains(label), "service {s}");
                }
            }
            if PUBSUB_PORTS.contains(&r.resp_p) && r.transport != Transport::Icmp {
                assert_eq!(
                    r.local_orig,
                    Some(false),
                    "only inbound probes hit pub/sub ports"
                );
                assert!(matches!(r.conn_state, Some(ConnState::S0 | ConnState::REJ)));
            }
            assert!(r.write_ts >= r.ts);
        }
        assert_eq!(n, 50_000);
        assert_eq!(bg.remaining(), 0);
        let span = last_ts - 1_700_000_000_000_000;
        assert!(
            (3_000_000_000..4_200_000_000).contains(&span),
            "span {span}"
        );
    }

    #[test]
    fn busy_hours_are_busier() {
        let start = 1_709_510_400_000_000; // a midnight
        let mut bg = Background::new(SplitMix64::new(23), start, 24 * HOUR, 100_000);
        let net = Network::build(&mut SplitMix64::new(24), true);
        let mut per_hour = [0u32; 24];
        while let Some(r) = bg.next_record(&net) {
            per_hour[((r.ts - start) / HOUR).clamp(0, 23) as usize] += 1;
        }
        assert!(per_hour[10] > 3 * per_hour[3], "{per_hour:?}");
        assert!(per_hour[23] > 0);
    }

    #[test]
    fn advance_inverts_the_integral() {
        let start = 1_709_510_400_000_000 + 5 * HOUR + 123;
        for span in [1, HOUR / 2, HOUR, 7 * HOUR + 5, 30 * HOUR] {
            let end = advance(start, activity_integral(start, span));
            assert!(
                (end - (start + span)).abs() <= 2,
                "span {span}: {}",
                end - start
            );
        }
    }
}
