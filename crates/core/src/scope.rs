//! Address scope: which destinations are internal. The seeds get this wrong in different ways
//! (the SPL's `172.16.*` misses 172.17–172.31, the KQL trusts a column few sources have), so
//! pubsub-hunt classifies every address itself against one list of networks.

use ipnet::IpNet;
use std::net::IpAddr;

/// The networks built in as internal: RFC 1918, loopback, link-local, CGNAT (RFC 6598), IPv6
/// loopback, unique-local and link-local.
pub const DEFAULT_INTERNAL: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
];

/// A set of networks whose addresses count as internal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalNetworks {
    nets: Vec<IpNet>,
}

impl InternalNetworks {
    pub fn new(nets: Vec<IpNet>) -> Self {
        InternalNetworks { nets }
    }

    /// The built-in list.
    pub fn defaults() -> Self {
        InternalNetworks {
            nets: DEFAULT_INTERNAL
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
        }
    }

    pub fn networks(&self) -> &[IpNet] {
        &self.nets
    }

    /// The most specific internal network containing `ip`, if any. IPv4-mapped IPv6 addresses
    /// (`::ffff:10.1.2.3`) are judged by their IPv4 address.
    pub fn containing(&self, ip: IpAddr) -> Option<&IpNet> {
        let ip = match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => ip,
            },
            v4 => v4,
        };
        self.nets
            .iter()
            .filter(|n| n.contains(&ip))
            .max_by_key(|n| n.prefix_len())
    }

    pub fn is_internal(&self, ip: IpAddr) -> bool {
        self.containing(ip).is_some()
    }
}

/// Reads a network written as a CIDR (host bits dropped) or a single address.
pub fn parse_network(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .map(|n| n.trunc())
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_cover_what_the_seeds_miss() {
        let n = InternalNetworks::defaults();
        for s in [
            "10.1.2.3",
            "172.16.0.1",
            "172.20.5.5",
            "172.31.255.255",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.10.1",
            "100.64.0.1",
            "100.127.255.254",
            "::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(n.is_internal(ip(s)), "{s} should be internal");
        }
        for s in [
            "172.15.255.255",
            "172.32.0.1",
            "100.128.0.1",
            "8.8.8.8",
            "198.41.30.241",
            "2001:db8::1",
            "::ffff:8.8.8.8",
        ] {
            assert!(!n.is_internal(ip(s)), "{s} should be external");
        }
    }

    #[test]
    fn most_specific_network_wins() {
        let n = InternalNetworks::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "10.1.0.0/16".parse().unwrap(),
        ]);
        assert_eq!(
            n.containing(ip("10.1.2.3")).unwrap().to_string(),
            "10.1.0.0/16"
        );
    }
}
