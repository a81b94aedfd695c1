//! Tests of the host census.

use super::*;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn entry(src: &'static str, dst: &'static str, port: u16) -> CensusEntry<'static> {
    CensusEntry {
        src: src.as_bytes(),
        dst: dst.as_bytes(),
        dst_port: port,
        transport: Transport::Tcp,
        ts: None,
    }
}

fn census_of(entries: &[CensusEntry<'static>], bound: usize) -> Census {
    let mut chunk = ChunkCensus::default();
    for e in entries {
        chunk.count(e);
    }
    let mut c = Census::default();
    c.add_chunk(&Arc::from("conn.log"), chunk, bound, |h| !h.is_loopback());
    c
}

#[test]
fn a_capture_shows_other_work_but_never_a_dedicated_device() {
    let pcap: Arc<str> = Arc::from("day.pcap");
    let log: Arc<str> = Arc::from("conn.log");
    let tcp = Transport::Tcp;
    let mut flows = FlowCensus::default();
    let flow = |dst: &str, port: u16, ts: i64| FlowEntry {
        dst: ip(dst),
        dst_port: port,
        transport: tcp,
        ts: Some(ts),
    };
    for (src, dst, port, ts) in [
        ("10.0.0.5", "10.0.0.1", 53, 900),
        ("10.0.0.5", "203.0.113.7", 8883, 100),
        ("10.0.0.6", "203.0.113.7", 8883, 50),
        ("10.0.0.6", "198.51.100.4", 443, 70),
    ] {
        flows.count(ip(src), flow(dst, port, ts), 100);
    }
    assert_eq!(flows.len(), 2);
    let mut c = Census::default();
    c.add_flows(&pcap, flows, Coverage::MayBeFiltered, 100);
    assert!(c.does_other_work([&pcap], ip("10.0.0.6")));
    assert!(!c.does_other_work([&pcap], ip("10.0.0.5")));
    // When each host was last seen starting a connection, housekeeping included.
    assert_eq!(c.last_seen([&pcap], ip("10.0.0.5")), Some(900));
    assert_eq!(c.last_seen([&pcap], ip("10.0.0.6")), Some(70));
    assert_eq!(c.last_seen([&pcap], ip("10.0.0.7")), None);
    // What a capture can say of the quiet host: nothing in it shows the host doing anything
    // but this service (and lookups), which is not that it did nothing else.
    let broker = ip("203.0.113.7");
    assert!(c.shows_only([&pcap], ip("10.0.0.5"), broker, 8883));
    assert!(!c.shows_only([&pcap], ip("10.0.0.5"), broker, 1883));
    assert!(!c.shows_only([&pcap], ip("10.0.0.5"), ip("198.51.100.4"), 8883));
    assert!(!c.shows_only([&pcap], ip("10.0.0.6"), broker, 8883));
    assert!(!c.shows_only([&pcap], ip("10.0.0.7"), broker, 8883));
    assert!(!c.shows_only([], ip("10.0.0.5"), broker, 8883));
    // The same records in a log of every connection make a device; in a capture they
    // cannot, and a run holding both judges by both.
    let mut logged = FlowCensus::default();
    logged.count(ip("10.0.0.5"), flow("10.0.0.1", 53, 2000), 100);
    logged.count(ip("10.0.0.5"), flow("203.0.113.7", 8883, 10), 100);
    c.add_flows(&log, logged, Coverage::EveryConnection, 100);
    let device = c.dedicated_to([&log], ip("10.0.0.5"), ip("203.0.113.7"), 8883);
    assert!(device.is_some());
    for sources in [vec![&pcap], vec![&log, &pcap]] {
        assert_eq!(
            c.dedicated_to(sources, ip("10.0.0.5"), ip("203.0.113.7"), 8883),
            None
        );
    }
    // The mark survives a merge into another thread's census.
    let mut merged = Census::default();
    merged.merge(c, 100);
    assert_eq!(
        merged.dedicated_to([&pcap], ip("10.0.0.5"), ip("203.0.113.7"), 8883),
        None
    );
    assert!(
        merged
            .dedicated_to([&log], ip("10.0.0.5"), ip("203.0.113.7"), 8883)
            .is_some()
    );
    assert_eq!(merged.last_seen([&pcap, &log], ip("10.0.0.5")), Some(2000));
}

#[test]
fn a_capture_that_holds_other_hosts_other_work_shows_every_connection() {
    let pcap: Arc<str> = Arc::from("sensor.pcap");
    let meter = ip("10.0.9.5");
    let hub = ip("203.0.113.7");
    let flows_with = |web_hosts: u8| {
        let mut flows = FlowCensus::default();
        let flow = |dst: IpAddr, port: u16| FlowEntry {
            dst,
            dst_port: port,
            transport: Transport::Tcp,
            ts: Some(0),
        };
        flows.count(meter, flow(ip("10.0.0.1"), 53), 100);
        flows.count(meter, flow(hub, 8883), 100);
        for k in 0..web_hosts {
            let ws = IpAddr::from([10, 0, 1, k]);
            flows.count(ws, flow(ip("198.51.100.4"), 443), 100);
            // Twice: a host is counted once.
            flows.note_other_work(ws);
            flows.note_other_work(ws);
        }
        flows
    };
    // Two workstations browsing are not enough to say the capture was not filtered.
    let few = flows_with(2);
    assert!(!few.shows_other_work());
    let mut c = Census::default();
    c.add_flows(&pcap, few, Coverage::MayBeFiltered, 100);
    assert_eq!(c.dedicated_to([&pcap], meter, hub, 8883), None);
    // Three are: a capture filtered to pub/sub and lookups would not hold their web traffic,
    // so the meter's lookups and its one service are all it did, as in a connection log.
    let many = flows_with(3);
    assert!(many.shows_other_work());
    let mut c = Census::default();
    c.add_flows(&pcap, many, Coverage::MayBeFiltered, 100);
    assert_eq!(
        c.dedicated_to([&pcap], meter, hub, 8883),
        Some(DedicatedHost {
            connections: 1,
            housekeeping: 1
        })
    );
    // A large capture's census comes in parts: one part that shows the other work is enough,
    // whichever came first and whichever thread's census it was merged from.
    for many_first in [true, false] {
        let mut c = Census::default();
        let parts = if many_first {
            [flows_with(3), flows_with(0)]
        } else {
            [flows_with(0), flows_with(3)]
        };
        let mut other = Census::default();
        let [a, b] = parts;
        c.add_flows(&pcap, a, Coverage::MayBeFiltered, 100);
        other.add_flows(&pcap, b, Coverage::MayBeFiltered, 100);
        c.merge(other, 100);
        assert!(c.dedicated_to([&pcap], meter, hub, 8883).is_some());
    }
}

#[test]
fn a_capture_with_more_hosts_than_the_bound_speaks_for_nobody() {
    let pcap: Arc<str> = Arc::from("scan.pcap");
    let mut flows = FlowCensus::default();
    for k in 0..5u8 {
        let src = IpAddr::from([10, 0, 0, k]);
        for (dst, port) in [("203.0.113.7", 8883), ("198.51.100.4", 443)] {
            let e = FlowEntry {
                dst: ip(dst),
                dst_port: port,
                transport: Transport::Tcp,
                ts: None,
            };
            flows.count(src, e, 4);
        }
    }
    // Past the bound it keeps no host, and still has something to say: that it overflowed.
    assert_eq!(flows.len(), 0);
    assert!(!flows.is_empty());
    let mut c = Census::default();
    c.add_flows(&pcap, flows, Coverage::MayBeFiltered, 4);
    assert!(!c.does_other_work([&pcap], ip("10.0.0.0")));
    assert!(c.is_empty());
}

#[test]
fn a_device_doing_its_one_job_is_dedicated_and_a_workstation_is_not() {
    let src: Arc<str> = Arc::from("conn.log");
    let c = census_of(
        &[
            entry("10.0.0.5", "10.0.0.1", 53),
            entry("10.0.0.5", "203.0.113.7", 8883),
            // The next address of the same pool is the same service.
            entry("10.0.0.5", "203.0.113.9", 8883),
            entry("10.0.0.6", "10.0.0.1", 53),
            entry("10.0.0.6", "203.0.113.7", 8883),
            entry("10.0.0.6", "198.51.100.4", 443),
            // No lookup: nothing shows its other traffic was recorded.
            entry("10.0.0.7", "203.0.113.7", 8883),
            // A responder that does not read is another service.
            entry("10.0.0.8", "10.0.0.1", 53),
            entry("10.0.0.8", "203.0.113.7", 8883),
            entry("10.0.0.8", "-", 8883),
        ],
        100,
    );
    let device = c.dedicated_to([&src], ip("10.0.0.5"), ip("203.0.113.9"), 8883);
    assert_eq!(
        device,
        Some(DedicatedHost {
            connections: 2,
            housekeeping: 1
        })
    );
    assert_eq!(
        c.dedicated_to([&src], ip("10.0.0.5"), ip("203.0.114.9"), 8883),
        None
    );
    assert_eq!(
        c.dedicated_to([&src], ip("10.0.0.5"), ip("203.0.113.9"), 1883),
        None
    );
    assert_eq!(
        c.dedicated_to([&src], ip("10.0.0.6"), ip("203.0.113.7"), 8883),
        None
    );
    for host in ["10.0.0.7", "10.0.0.8"] {
        assert_eq!(
            c.dedicated_to([&src], ip(host), ip("203.0.113.7"), 8883),
            None
        );
    }
    assert!(c.does_other_work([&src], ip("10.0.0.6")));
    assert!(!c.does_other_work([&src], ip("10.0.0.5")));
    assert!(!c.does_other_work([&src], ip("10.0.0.99")));
    // An input without a census of the host (a Sysmon log of the same run) says nothing.
    let other: Arc<str> = Arc::from("sysmon.json");
    assert_eq!(
        c.dedicated_to([&src, &other], ip("10.0.0.5"), ip("203.0.113.7"), 8883),
        None
    );
    assert!(!c.does_other_work([&src, &other], ip("10.0.0.6")));
}

#[test]
fn only_the_hosts_kept_are_counted() {
    let src: Arc<str> = Arc::from("conn.log");
    let c = census_of(
        &[
            entry("127.0.0.9", "10.0.0.1", 53),
            entry("127.0.0.9", "203.0.113.7", 8883),
        ],
        100,
    );
    assert!(c.is_empty());
    assert_eq!(
        c.dedicated_to([&src], ip("127.0.0.9"), ip("203.0.113.7"), 8883),
        None
    );
}

#[test]
fn control_messages_and_time_are_housekeeping() {
    let src: Arc<str> = Arc::from("conn.log");
    let mut ping = entry("10.0.0.5", "10.0.0.1", 8);
    ping.transport = Transport::Other;
    let c = census_of(
        &[
            ping,
            entry("10.0.0.5", "10.0.0.1", 123),
            entry("10.0.0.5", "203.0.113.7", 1883),
        ],
        100,
    );
    assert!(
        c.dedicated_to([&src], ip("10.0.0.5"), ip("203.0.113.7"), 1883)
            .is_some()
    );
}

#[test]
fn past_the_bound_the_census_speaks_for_nobody_whatever_the_order() {
    let src: Arc<str> = Arc::from("conn.log");
    let rows = [
        entry("10.0.0.5", "10.0.0.1", 53),
        entry("10.0.0.5", "203.0.113.7", 8883),
        entry("10.0.0.6", "10.0.0.1", 53),
        entry("10.0.0.7", "10.0.0.1", 53),
    ];
    let whole = census_of(&rows, 2);
    assert!(whole.is_empty());
    assert_eq!(
        whole.dedicated_to([&src], ip("10.0.0.5"), ip("203.0.113.7"), 8883),
        None
    );
    // Split over two readers that each stay under the bound: the merge overflows too.
    let mut a = census_of(&rows[..2], 2);
    a.merge(census_of(&rows[2..], 2), 2);
    assert_eq!(
        a.dedicated_to([&src], ip("10.0.0.5"), ip("203.0.113.7"), 8883),
        None
    );
    let roomy = census_of(&rows, 3);
    assert!(
        roomy
            .dedicated_to([&src], ip("10.0.0.5"), ip("203.0.113.7"), 8883)
            .is_some()
    );
}

proptest::proptest! {
    /// A capture's flows, counted in any split (reader threads flush every few thousand hosts)
    /// and added in any order, give the same census: what each host did, when it was last there,
    /// and whether it did other work.
    #[test]
    fn a_captures_census_does_not_depend_on_how_its_flows_were_split(
        flows in proptest::collection::vec((0u8..6, 0u8..4, 0u16..3, 0i64..1000), 0..60),
        cut in 0usize..60,
    ) {
        let entry = |&(_, dst, port, ts): &(u8, u8, u16, i64)| FlowEntry {
            dst: IpAddr::from([203, 0, 113 + dst % 2, dst]),
            dst_port: [53, 8883, 443][usize::from(port)],
            transport: Transport::Tcp,
            ts: Some(ts),
        };
        let source: Arc<str> = Arc::from("day.pcap");
        let census_of = |parts: Vec<&[(u8, u8, u16, i64)]>| {
            let mut c = Census::default();
            for part in parts {
                let mut f = FlowCensus::default();
                for fl in part {
                    f.count(IpAddr::from([10, 0, 0, fl.0]), entry(fl), 100);
                }
                c.add_flows(&source, f, Coverage::MayBeFiltered, 100);
            }
            c
        };
        let cut = cut.min(flows.len());
        let whole = census_of(vec![&flows[..]]);
        let split = census_of(vec![&flows[cut..], &flows[..cut]]);
        for h in 0..6u8 {
            let host = IpAddr::from([10, 0, 0, h]);
            proptest::prop_assert_eq!(
                whole.last_seen([&source], host),
                split.last_seen([&source], host)
            );
            proptest::prop_assert_eq!(
                whole.does_other_work([&source], host),
                split.does_other_work([&source], host)
            );
            let expected = flows.iter().filter(|f| f.0 == h).map(|f| f.3).max();
            proptest::prop_assert_eq!(whole.last_seen([&source], host), expected);
            // A capture never makes a device.
            proptest::prop_assert!(whole
                .dedicated_to([&source], host, IpAddr::from([203, 0, 113, 1]), 8883)
                .is_none());
        }
    }
}

/// A meter reporting to its vendor's pool (one port, addresses in two networks) is dedicated to
/// that service at either address; a host reaching more networks on one port than a service's
/// pool (a browser on 443) does other work, whatever the order of its connections.
#[test]
fn one_port_on_a_pool_of_networks_is_one_service_and_more_are_several() {
    let mut meter = vec![entry("10.0.0.5", "10.0.0.1", 53)];
    meter.extend((0..6).map(|i| entry("10.0.0.5", ["203.0.113.7", "198.51.100.9"][i % 2], 8883)));
    let c = census_of(&meter, 100);
    let log: Arc<str> = Arc::from("conn.log");
    for dst in ["203.0.113.7", "198.51.100.9", "203.0.113.99"] {
        let d = c.dedicated_to([&log], ip("10.0.0.5"), ip(dst), 8883);
        assert_eq!(d.map(|d| d.connections), Some(6), "{dst}");
        assert!(c.shows_only([&log], ip("10.0.0.5"), ip(dst), 8883));
    }
    // Not a network it reached, nor another port.
    assert!(
        c.dedicated_to([&log], ip("10.0.0.5"), ip("192.0.2.1"), 8883)
            .is_none()
    );
    assert!(
        c.dedicated_to([&log], ip("10.0.0.5"), ip("203.0.113.7"), 1883)
            .is_none()
    );
    assert!(!c.does_other_work([&log], ip("10.0.0.5")));

    let networks: Vec<String> = (0..=MAX_SERVICE_NETWORKS)
        .map(|i| format!("198.51.{i}.4"))
        .collect();
    let browse = |order: &mut dyn Iterator<Item = &String>| {
        let mut e = vec![entry("10.0.0.6", "10.0.0.1", 53)];
        e.extend(order.map(|n| CensusEntry {
            dst: Box::leak(n.clone().into_boxed_str()).as_bytes(),
            ..entry("10.0.0.6", "", 443)
        }));
        census_of(&e, 100)
    };
    for c in [
        browse(&mut networks.iter()),
        browse(&mut networks.iter().rev()),
    ] {
        assert!(c.does_other_work([&log], ip("10.0.0.6")));
        assert!(
            c.dedicated_to([&log], ip("10.0.0.6"), ip("198.51.0.4"), 443)
                .is_none()
        );
    }
    // As many networks as a pool may have is still one service, in either order.
    let pool = &networks[..MAX_SERVICE_NETWORKS];
    for c in [browse(&mut pool.iter()), browse(&mut pool.iter().rev())] {
        assert!(!c.does_other_work([&log], ip("10.0.0.6")));
        assert!(
            c.dedicated_to([&log], ip("10.0.0.6"), ip("198.51.3.4"), 443)
                .is_some()
        );
    }
}

#[test]
fn service_networks_join_in_any_order_and_keep_ipv4_and_ipv6_apart() {
    let one = |s: &str| HostServices::One {
        port: 8883,
        networks: ServiceNetworks::of(ip(s)),
    };
    let a = one("203.0.113.7")
        .join(one("2001:db8::1"))
        .join(one("198.51.100.9"));
    let b = one("198.51.100.9")
        .join(one("203.0.113.200"))
        .join(one("2001:db8::77"));
    let c = b.join(one("203.0.113.7"));
    assert_eq!(a, c);
    let HostServices::One { networks, .. } = a else {
        panic!("{a:?}")
    };
    assert_eq!(networks.len(), 3);
    // An IPv4 network whose bits match an IPv6 /48's is another network.
    assert_ne!(network_key(ip("0.0.0.1")), network_key(ip("::1")));
    assert_ne!(network_key(ip("0.0.1.0")), network_key(ip("0:0:100::")));
    assert_eq!(
        one("203.0.113.7").join(HostServices::One {
            port: 443,
            networks: ServiceNetworks::of(ip("203.0.113.7"))
        }),
        HostServices::Several
    );
}

mod joining {
    use super::*;
    use proptest::prelude::*;

    /// A connection's service: one of two ports, an address in one of a dozen IPv4 /24s or
    /// IPv6 /48s (a few addresses each).
    fn service() -> impl Strategy<Value = (u16, IpAddr)> {
        (prop::bool::ANY, 0u8..12, 0u8..3, prop::bool::ANY).prop_map(|(port, net, host, v6)| {
            let ip = if v6 {
                IpAddr::V6(std::net::Ipv6Addr::new(
                    0x2001,
                    0xdb8,
                    u16::from(net),
                    0,
                    0,
                    0,
                    0,
                    u16::from(host),
                ))
            } else {
                IpAddr::V4(std::net::Ipv4Addr::new(198, 51, net, host))
            };
            (if port { 8883 } else { 443 }, ip)
        })
    }

    fn joined(seq: &[(u16, IpAddr)]) -> HostServices {
        seq.iter().fold(HostServices::None, |acc, &(port, ip)| {
            acc.join(HostServices::One {
                port,
                networks: ServiceNetworks::of(ip),
            })
        })
    }

    proptest! {
        /// The census of a host does not depend on the order of its connections, nor on how
        /// they were split between readers before being joined; and it is one service exactly
        /// when every connection went to one port on at most `MAX_SERVICE_NETWORKS` networks.
        #[test]
        fn a_hosts_services_do_not_depend_on_order_or_split(
            seq in prop::collection::vec(service(), 1..40),
            seed in any::<u64>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut shuffled = seq.clone();
            // A deterministic shuffle from the seed.
            let mut x = seed | 1;
            for i in (1..shuffled.len()).rev() {
                x ^= x << 13; x ^= x >> 7; x ^= x << 17;
                shuffled.swap(i, (x % (i as u64 + 1)) as usize);
            }
            let whole = joined(&seq);
            prop_assert_eq!(whole, joined(&shuffled));
            let at = cut.index(seq.len());
            prop_assert_eq!(whole, joined(&seq[..at]).join(joined(&seq[at..])));
            let ports: std::collections::BTreeSet<u16> = seq.iter().map(|s| s.0).collect();
            let nets: std::collections::BTreeSet<u32> = seq.iter().map(|s| network_key(s.1)).collect();
            let one = ports.len() == 1 && nets.len() <= MAX_SERVICE_NETWORKS;
            prop_assert_eq!(matches!(whole, HostServices::One { .. }), one);
            if let HostServices::One { networks, .. } = whole {
                prop_assert_eq!(networks.len(), nets.len());
                for (port, ip) in &seq {
                    prop_assert!(whole.is_service(*ip, *port));
                }
            }
        }
    }
}
