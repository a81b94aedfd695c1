//! The identifiers other tools give one connection, so a hunter can pivot from an alert to the
//! same connections elsewhere: the Zeek `uid` (when the source is a Zeek log) and the Community
//! ID flow hash (v1), taken from the record when it carries one and otherwise computed from the
//! 5-tuple. A group keeps a bounded, order-independent sample of them ([`ConnIdent`],
//! [`sample_of`]); an alert carries the result ([`FlowRef`]).
//!
//! The Community ID is computed by the `community-id` crate (seed 0, base64), the form Zeek's
//! community-id package, Suricata, Arkime, Security Onion and Wireshark write by default.

use crate::event::{ConnEvent, Transport};
use crate::record::RecordRef;
use crate::time::{Micros, format_rfc3339};
use serde::{Serialize, Serializer};
use std::net::IpAddr;
use std::sync::Arc;

/// Connection identifiers a group keeps (the earliest connections that have any); twice what an
/// alert shows, so second records of the same connection from other inputs can be folded
/// without leaving the alert short.
pub const MAX_IDS_KEPT: usize = 16;
/// Connection identifiers an alert shows.
pub const MAX_FLOW_REFS: usize = 8;

/// How far apart two records of the same connection may start (see
/// `analytics::group::SAME_CONNECTION_TOLERANCE`, which this mirrors for the sample).
const SAME_CONNECTION: Micros = 5_000_000;

/// The Community ID v1 (seed 0, base64: `1:…`) of a TCP or UDP connection; `None` for other
/// transports (their protocol number is not kept) or addresses of different families.
pub fn community_id(
    src: IpAddr,
    src_port: u16,
    dst: IpAddr,
    dst_port: u16,
    transport: Transport,
) -> Option<String> {
    let proto = match transport {
        Transport::Tcp => 6,
        Transport::Udp => 17,
        Transport::Other | Transport::Unknown => return None,
    };
    community_id::calculate_community_id(0, src, dst, Some(src_port), Some(dst_port), proto, false)
        .ok()
}

/// What a group remembers of one connection to name it elsewhere. Ordered by start (unknown
/// starts last), then by the tuple and the identifiers, so the smallest N are the earliest
/// connections whatever order records arrive or groups merge in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConnIdent {
    pub ts: Option<Micros>,
    pub src_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub transport: Transport,
    /// The Zeek `uid` of the record.
    pub uid: Option<String>,
    /// The Community ID the record carried (Zeek's community-id package, Suricata EVE).
    pub community_id: Option<String>,
    /// The input the record came from.
    pub file: Option<Arc<str>>,
}

impl ConnIdent {
    /// The identifiers of an event, when it has any: a uid, a recorded Community ID, or the
    /// full tuple of a TCP or UDP connection to compute one from.
    pub fn of(ev: &ConnEvent) -> Option<ConnIdent> {
        let computable = ev.src_ip.is_some()
            && ev.src_port.is_some()
            && matches!(ev.transport, Transport::Tcp | Transport::Udp);
        if ev.uid.is_none() && ev.community_id.is_none() && !computable {
            return None;
        }
        Some(ConnIdent {
            ts: ev.ts,
            src_ip: ev.src_ip,
            src_port: ev.src_port,
            dst_ip: ev.dst_ip,
            dst_port: ev.dst_port,
            transport: ev.transport,
            uid: ev.uid.clone(),
            community_id: ev.community_id.clone(),
            file: ev.origin.as_ref().map(|r: &RecordRef| r.file.clone()),
        })
    }

    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.ts.is_none(),
            self.ts,
            self.src_ip,
            self.src_port,
            self.dst_ip,
            self.dst_port,
            transport_rank(self.transport),
            (&self.uid, &self.community_id, &self.file),
        )
    }

    /// The recorded Community ID, else the one computed from the tuple.
    fn community(&self) -> Option<String> {
        self.community_id.clone().or_else(|| {
            community_id(
                self.src_ip?,
                self.src_port?,
                self.dst_ip,
                self.dst_port,
                self.transport,
            )
        })
    }
}

fn transport_rank(t: Transport) -> u8 {
    match t {
        Transport::Tcp => 0,
        Transport::Udp => 1,
        Transport::Other => 2,
        Transport::Unknown => 3,
    }
}

impl PartialOrd for ConnIdent {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ConnIdent {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

/// One connection of an alert as other tools name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FlowRef {
    /// Connection start (RFC 3339 UTC); null when the source masks time.
    #[serde(serialize_with = "ser_time")]
    pub start: Option<Micros>,
    /// The initiator's port, when known.
    pub src_port: Option<u16>,
    /// The Zeek `uid`; null when no Zeek record of the connection was read.
    pub uid: Option<String>,
    /// Community ID v1 (`1:…`); null when the source has neither one nor the full tuple.
    pub community_id: Option<String>,
    /// The input that holds the connection's record (for `uid`: the Zeek log).
    pub file: Option<String>,
}

fn ser_time<S: Serializer>(t: &Option<Micros>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&format_rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// An alert's connection sample from a group's kept identifiers: earliest first, records of the
/// same connection (same Community ID, starts within a few seconds, as a Sysmon event and a Zeek
/// record of one connection are) folded into one that keeps the uid, at most
/// [`MAX_FLOW_REFS`]. Depends only on the set kept, never on its order.
pub fn sample_of<'a>(kept: impl IntoIterator<Item = &'a ConnIdent>) -> Vec<FlowRef> {
    let mut idents: Vec<&ConnIdent> = kept.into_iter().collect();
    idents.sort();
    let mut out: Vec<FlowRef> = Vec::new();
    for id in idents {
        let community = id.community();
        let room = out.len() < MAX_FLOW_REFS;
        let same = out.iter_mut().find(|f| {
            community.is_some()
                && f.community_id == community
                && match (f.start, id.ts) {
                    (Some(a), Some(b)) => (a - b).abs() <= SAME_CONNECTION,
                    _ => true,
                }
        });
        match same {
            Some(f) if f.uid.is_none() && id.uid.is_some() => {
                f.uid = id.uid.clone();
                f.file = id.file.as_deref().map(str::to_string);
            }
            Some(_) => {}
            None if room => out.push(FlowRef {
                start: id.ts,
                src_port: id.src_port,
                uid: id.uid.clone(),
                community_id: community,
                file: id.file.as_deref().map(str::to_string),
            }),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TCP and UDP vectors of the Community ID spec's baseline (`baseline_deflt.json`, seed 0,
    /// base64), each in both directions: the hash must not depend on which side is the source.
    #[test]
    fn spec_baseline_vectors() {
        let vectors: [(Transport, &str, &str, u16, u16, &str); 6] = [
            (
                Transport::Tcp,
                "128.232.110.120",
                "66.35.250.204",
                34855,
                80,
                "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            ),
            (
                Transport::Tcp,
                "66.35.250.204",
                "128.232.110.120",
                80,
                34855,
                "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
            ),
            (
                Transport::Udp,
                "192.168.1.52",
                "8.8.8.8",
                54585,
                53,
                "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            ),
            (
                Transport::Udp,
                "8.8.8.8",
                "192.168.1.52",
                53,
                54585,
                "1:d/FP5EW3wiY1vCndhwleRRKHowQ=",
            ),
            (
                Transport::Tcp,
                "2001:470:e5bf:dead:4957:2174:e82c:4887",
                "2607:f8b0:400c:c03::1a",
                63943,
                25,
                "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            ),
            (
                Transport::Tcp,
                "2607:f8b0:400c:c03::1a",
                "2001:470:e5bf:dead:4957:2174:e82c:4887",
                25,
                63943,
                "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=",
            ),
        ];
        for (t, s, d, sp, dp, want) in vectors {
            let got = community_id(s.parse().unwrap(), sp, d.parse().unwrap(), dp, t);
            assert_eq!(got.as_deref(), Some(want), "{s}:{sp} -> {d}:{dp}");
        }
        // The spec's own README example.
        assert_eq!(
            community_id(
                "1.2.3.4".parse().unwrap(),
                1122,
                "5.6.7.8".parse().unwrap(),
                3344,
                Transport::Tcp
            )
            .as_deref(),
            Some("1:wCb3OG7yAFWelaUydu0D+125CLM=")
        );
    }

    #[test]
    fn no_id_without_a_known_transport_or_with_mixed_families() {
        let v4: IpAddr = "10.0.0.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        assert_eq!(community_id(v4, 1, v4, 2, Transport::Unknown), None);
        assert_eq!(community_id(v4, 1, v4, 2, Transport::Other), None);
        assert_eq!(community_id(v4, 1, v6, 2, Transport::Tcp), None);
    }

    fn ev(ts: Micros, sport: u16, uid: Option<&str>, file: &str) -> ConnEvent {
        let mut e = ConnEvent::tcp(
            "10.0.0.5".parse().unwrap(),
            "203.0.113.9".parse().unwrap(),
            1883,
        );
        e.ts = Some(ts);
        e.src_port = Some(sport);
        e.uid = uid.map(str::to_string);
        e.origin = Some(RecordRef {
            file: Arc::from(file),
            line: 1,
        });
        e
    }

    #[test]
    fn the_sample_is_the_earliest_order_free_and_folds_second_records() {
        let mut idents: Vec<ConnIdent> = (0..20)
            .rev()
            .map(|i| ConnIdent::of(&ev(i * 60_000_000, 40_000 + i as u16, None, "a.log")).unwrap())
            .collect();
        // The same first connection seen by Zeek, two seconds later, with its uid.
        idents.push(ConnIdent::of(&ev(2_000_000, 40_000, Some("CAbc"), "conn.log")).unwrap());
        let sample = sample_of(&idents);
        assert_eq!(sample.len(), MAX_FLOW_REFS);
        assert_eq!(sample[0].start, Some(0));
        assert_eq!(sample[0].uid.as_deref(), Some("CAbc"));
        assert_eq!(sample[0].file.as_deref(), Some("conn.log"));
        assert!(sample.windows(2).all(|w| w[0].start < w[1].start));
        let mut reversed = idents.clone();
        reversed.reverse();
        assert_eq!(sample_of(&reversed), sample);
        // A recorded Community ID wins over the computed one.
        let mut e = ev(0, 1, None, "eve.json");
        e.community_id = Some("1:recorded".into());
        assert_eq!(
            sample_of(&[ConnIdent::of(&e).unwrap()])[0]
                .community_id
                .as_deref(),
            Some("1:recorded")
        );
        // Nothing to name a connection by: nothing kept.
        let mut bare = ConnEvent::new("203.0.113.9".parse().unwrap(), 1883);
        bare.transport = Transport::Tcp;
        assert_eq!(ConnIdent::of(&bare), None);
    }
}
