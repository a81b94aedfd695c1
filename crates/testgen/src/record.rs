//! One Zeek conn.log record as the generators build it, and the shape model that turns "a TCP
//! connection that ended in state X carrying N bytes" into consistent packet counts, IP-layer
//! bytes, durations and `history` strings.
//!
//! The shape model follows Zeek's own rules where they matter to readers: a connection that saw
//! a single packet has no `duration`, `orig_bytes` or `resp_bytes` (Zeek only sets them when the
//! duration is positive), refused and unanswered attempts carry zero payload, and the IP-layer
//! counts are payload plus per-packet headers.

use crate::rng::SplitMix64;
use crate::time::Micros;
use std::net::IpAddr;

/// Transport as Zeek's `proto` column names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp,
    Udp,
    Icmp,
    /// Written as unset (`-` in TSV, key left out in JSON). Zeek always knows the transport;
    /// this exists for the analytic's "transport unknown counts as TCP" edge case.
    Unset,
}

impl Transport {
    pub fn label(self) -> Option<&'static str> {
        match self {
            Transport::Tcp => Some("tcp"),
            Transport::Udp => Some("udp"),
            Transport::Icmp => Some("icmp"),
            Transport::Unset => None,
        }
    }

    /// The IP protocol number of Zeek 7.1's `ip_proto` column.
    pub fn ip_proto(self) -> Option<u64> {
        match self {
            Transport::Tcp => Some(6),
            Transport::Udp => Some(17),
            Transport::Icmp => Some(1),
            Transport::Unset => None,
        }
    }
}

/// Zeek's `conn_state` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConnState {
    S0,
    S1,
    SF,
    REJ,
    S2,
    S3,
    RSTO,
    RSTR,
    RSTOS0,
    RSTRH,
    SH,
    SHR,
    OTH,
}

impl ConnState {
    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::S0 => "S0",
            ConnState::S1 => "S1",
            ConnState::SF => "SF",
            ConnState::REJ => "REJ",
            ConnState::S2 => "S2",
            ConnState::S3 => "S3",
            ConnState::RSTO => "RSTO",
            ConnState::RSTR => "RSTR",
            ConnState::RSTOS0 => "RSTOS0",
            ConnState::RSTRH => "RSTRH",
            ConnState::SH => "SH",
            ConnState::SHR => "SHR",
            ConnState::OTH => "OTH",
        }
    }
}

/// A Zeek connection UID: `C` and 17 base-62 characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uid([u8; 18]);

impl Uid {
    const ALPHABET: &'static [u8; 62] =
        b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    pub fn random(rng: &mut SplitMix64) -> Uid {
        let mut b = [b'C'; 18];
        let mut bits = rng.next_u64();
        for (i, slot) in b.iter_mut().enumerate().skip(1) {
            if i == 10 {
                bits = rng.next_u64();
            }
            *slot = Self::ALPHABET[(bits % 62) as usize];
            bits /= 62;
        }
        Uid(b)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// One conn.log row. `None` is Zeek's unset field (`-` in TSV, key absent in JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct ConnRecord {
    /// Connection start (`ts`).
    pub ts: Micros,
    /// When Zeek wrote the row (connection end plus its state timeout): the order rows appear
    /// in, and the JSON-streaming `_write_ts`.
    pub write_ts: Micros,
    pub uid: Uid,
    pub orig_h: IpAddr,
    pub orig_p: u16,
    pub resp_h: IpAddr,
    pub resp_p: u16,
    pub transport: Transport,
    /// Zeek `service`: protocols its analyzers confirmed, comma-separated (`xmpp,ssl`).
    pub service: Option<&'static str>,
    pub duration: Option<Micros>,
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub conn_state: Option<ConnState>,
    pub local_orig: Option<bool>,
    pub local_resp: Option<bool>,
    pub missed_bytes: u64,
    pub history: Option<&'static str>,
    pub orig_pkts: u64,
    pub orig_ip_bytes: u64,
    pub resp_pkts: u64,
    pub resp_ip_bytes: u64,
}

/// What a flow looked like on the wire, before it is rendered into a record.
#[derive(Debug, Clone, Copy)]
pub struct FlowShape {
    pub duration: Option<Micros>,
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub history: Option<&'static str>,
    pub orig_pkts: u64,
    pub orig_ip_bytes: u64,
    pub resp_pkts: u64,
    pub resp_ip_bytes: u64,
}

const SF_HISTORIES: &[&str] = &[
    "ShADadFf", "ShADadfF", "ShADadFf", "ShAdDaFf", "ShADdaFf", "ShADafF",
];
const OTH_HISTORIES: &[&str] = &["Dd", "DdA", "^dD", "Dad"];

fn pick_history(rng: &mut SplitMix64, histories: &[&'static str]) -> &'static str {
    histories[rng.below(histories.len() as u64) as usize]
}

fn packets_for(bytes: u64, segment: u64) -> u64 {
    bytes.div_ceil(segment)
}

/// Builds the wire shape of a flow ending in `state` that carried about `payload` bytes
/// (originator, responder) over `duration`. States that carry no payload ignore `payload`.
pub fn shape_flow(
    rng: &mut SplitMix64,
    transport: Transport,
    state: ConnState,
    ipv6: bool,
    payload: (u64, u64),
    duration: Micros,
) -> FlowShape {
    let (o, r) = payload;
    let header: u64 = match (transport, ipv6) {
        (Transport::Udp, false) | (Transport::Icmp, false) => 28,
        (Transport::Udp, true) | (Transport::Icmp, true) => 48,
        (_, false) => 52,
        (_, true) => 72,
    };
    let syn: u64 = if ipv6 { 80 } else { 60 };
    let duration = duration.max(1);
    let with =
        |history: &'static str, op: u64, ob: u64, rp: u64, rb: u64, d: Option<Micros>| FlowShape {
            duration: d,
            orig_bytes: d.map(|_| ob),
            resp_bytes: d.map(|_| rb),
            history: Some(history),
            orig_pkts: op,
            orig_ip_bytes: ob + op * header,
            resp_pkts: rp,
            resp_ip_bytes: rb + rp * header,
        };
    if matches!(transport, Transport::Udp | Transport::Icmp) {
        let op = packets_for(o, 1200).max(1);
        let history = if transport == Transport::Icmp {
            None
        } else {
            Some("D")
        };
        return match state {
            ConnState::S0 | ConnState::SH if op == 1 => FlowShape {
                // One datagram: Zeek leaves duration and byte counts unset.
                duration: None,
                orig_bytes: None,
                resp_bytes: None,
                history,
                orig_pkts: 1,
                orig_ip_bytes: o + header,
                resp_pkts: 0,
                resp_ip_bytes: 0,
            },
            ConnState::S0 | ConnState::SH => FlowShape {
                duration: Some(duration),
                orig_bytes: Some(o),
                resp_bytes: Some(0),
                history,
                orig_pkts: op,
                orig_ip_bytes: o + op * header,
                resp_pkts: 0,
                resp_ip_bytes: 0,
            },
            _ => {
                let rp = packets_for(r, 1200).max(1);
                FlowShape {
                    duration: Some(duration),
                    orig_bytes: Some(o),
                    resp_bytes: Some(r),
                    history: if transport == Transport::Icmp {
                        None
                    } else {
                        Some("Dd")
                    },
                    orig_pkts: op,
                    orig_ip_bytes: o + op * header,
                    resp_pkts: rp,
                    resp_ip_bytes: r + rp * header,
                }
            }
        };
    }
    // TCP (and the synthetic "transport unset", shaped like TCP).
    let data_op = 3 + packets_for(o, 1400) + packets_for(r, 2800);
    let data_rp = 2 + packets_for(r, 1400) + packets_for(o, 2800);
    let short = (duration / 20).max(1);
    match state {
        ConnState::SF => with(
            pick_history(rng, SF_HISTORIES),
            data_op,
            o,
            data_rp,
            r,
            Some(duration),
        ),
        ConnState::S1 => with("ShADad", data_op, o, data_rp, r, Some(duration)),
        ConnState::S2 => with("ShADadF", data_op, o, data_rp, r, Some(duration)),
        ConnState::S3 => with("ShADadf", data_op, o, data_rp, r, Some(duration)),
        ConnState::RSTO => with("ShADadR", data_op, o, data_rp, r, Some(duration)),
        ConnState::RSTR => with("ShADadr", data_op, o, data_rp, r, Some(duration)),
        ConnState::OTH => {
            if rng.chance(0.3) {
                // A lone mid-stream packet (capture started late, asymmetric routing): no
                // duration, so no byte counts either.
                FlowShape {
                    duration: None,
                    orig_bytes: None,
                    resp_bytes: None,
                    history: Some("D"),
                    orig_pkts: 1,
                    orig_ip_bytes: o.min(1400) + header,
                    resp_pkts: 0,
                    resp_ip_bytes: 0,
                }
            } else {
                with(
                    pick_history(rng, OTH_HISTORIES),
                    data_op,
                    o,
                    data_rp,
                    r,
                    Some(duration),
                )
            }
        }
        ConnState::S0 => {
            if rng.chance(0.7) {
                FlowShape {
                    duration: None,
                    orig_bytes: None,
                    resp_bytes: None,
                    history: Some("S"),
                    orig_pkts: 1,
                    orig_ip_bytes: syn,
                    resp_pkts: 0,
                    resp_ip_bytes: 0,
                }
            } else {
                // SYN retransmissions one and three seconds later.
                let tries = rng.between(2, 3);
                let d =
                    if tries == 2 { 1_000_000 } else { 3_000_000 } + rng.between(0, 20_000) as i64;
                FlowShape {
                    duration: Some(d),
                    orig_bytes: Some(0),
                    resp_bytes: Some(0),
                    history: Some("S"),
                    orig_pkts: tries,
                    orig_ip_bytes: tries * syn,
                    resp_pkts: 0,
                    resp_ip_bytes: 0,
                }
            }
        }
        ConnState::REJ => FlowShape {
            duration: Some(rng.between(80, 40_000) as i64),
            orig_bytes: Some(0),
            resp_bytes: Some(0),
            history: Some("Sr"),
            orig_pkts: 1,
            orig_ip_bytes: syn,
            resp_pkts: 1,
            resp_ip_bytes: syn - 20,
        },
        ConnState::RSTOS0 => with("SR", 2, 0, 0, 0, Some(short)),
        ConnState::RSTRH => with("hr", 0, 0, 2, 0, Some(short)),
        ConnState::SH => with("SF", 2, 0, 0, 0, Some(short)),
        ConnState::SHR => with("hf", 0, 0, 2, 0, Some(short)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_look_like_zeek() {
        let mut rng = SplitMix64::new(1);
        let a = Uid::random(&mut rng);
        let b = Uid::random(&mut rng);
        assert_ne!(a, b);
        assert_eq!(a.as_bytes()[0], b'C');
        assert!(a.as_bytes().iter().all(u8::is_ascii_alphanumeric));
    }

    #[test]
    fn single_packets_have_no_byte_counts() {
        let mut rng = SplitMix64::new(2);
        for _ in 0..200 {
            let s = shape_flow(
                &mut rng,
                Transport::Tcp,
                ConnState::S0,
                false,
                (500, 500),
                5,
            );
            assert_eq!(s.duration.is_none(), s.orig_bytes.is_none());
            assert_eq!(s.resp_pkts, 0);
            if let Some(b) = s.orig_bytes {
                assert_eq!(b, 0, "an unanswered SYN carries no payload");
            }
        }
        let s = shape_flow(&mut rng, Transport::Udp, ConnState::S0, false, (40, 0), 5);
        assert_eq!((s.duration, s.orig_bytes, s.orig_pkts), (None, None, 1));
    }

    #[test]
    fn ip_bytes_cover_payload() {
        let mut rng = SplitMix64::new(3);
        for state in [
            ConnState::SF,
            ConnState::RSTO,
            ConnState::S1,
            ConnState::OTH,
        ] {
            for ipv6 in [false, true] {
                let s = shape_flow(
                    &mut rng,
                    Transport::Tcp,
                    state,
                    ipv6,
                    (5_000, 90_000),
                    2_000_000,
                );
                assert!(s.orig_ip_bytes >= s.orig_bytes.unwrap_or(0) + s.orig_pkts * 52);
                assert!(s.resp_ip_bytes >= s.resp_bytes.unwrap_or(0) + s.resp_pkts * 52);
            }
        }
        let rej = shape_flow(&mut rng, Transport::Tcp, ConnState::REJ, false, (1, 1), 1);
        assert_eq!(
            (rej.orig_bytes, rej.resp_bytes, rej.history),
            (Some(0), Some(0), Some("Sr"))
        );
    }
}
