//! The simulated site: its clients, its servers, the outside world they talk to, and which
//! addresses Zeek's `Site::local_nets` calls local (for `local_orig`/`local_resp`).
//!
//! The numbers follow a mid-sized office: a few hundred workstations, a Wi-Fi guest range, a
//! VPN pool, IoT sensors, a handful of internal servers, and a long-tailed set of external
//! destinations (a few CDNs take most connections, thousands of others share the rest). Clients
//! are spread over every internal range the analytic must recognise (10/8, 172.16/12,
//! 192.168/16) and some have global IPv6 addresses in the organisation's prefix.

use crate::rng::SplitMix64;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What kind of device a client is; it decides which traffic it makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    Workstation,
    Wifi,
    Vpn,
    Iot,
}

#[derive(Debug, Clone)]
pub struct Client {
    pub v4: Ipv4Addr,
    /// A global address in [`ORG_V6_PREFIX`], for dual-stack clients.
    pub v6: Option<Ipv6Addr>,
    pub kind: ClientKind,
}

/// The organisation's global IPv6 /48 (`2a0b:4a80:1::/48`): local to Zeek, but *external* to the
/// analytic's default internal networks, which is why no planted destination sits in it.
pub const ORG_V6_PREFIX: [u16; 3] = [0x2a0b, 0x4a80, 0x0001];
/// The organisation's unique-local IPv6 /48 (`fd12:3456:789a::/48`).
pub const ORG_ULA_PREFIX: [u16; 3] = [0xfd12, 0x3456, 0x789a];

pub const DNS_SERVERS: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 0, 0, 53), Ipv4Addr::new(10, 0, 0, 54)];
pub const DOMAIN_CONTROLLERS: [Ipv4Addr; 2] =
    [Ipv4Addr::new(10, 0, 1, 10), Ipv4Addr::new(10, 0, 1, 11)];
pub const FILE_SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 2, 20);
pub const INTRANET: Ipv4Addr = Ipv4Addr::new(10, 0, 3, 30);
pub const MAIL_SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 4, 25);
pub const NTP_SERVER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 123);
pub const JUMP_HOST: Ipv4Addr = Ipv4Addr::new(10, 0, 5, 22);
pub const PRINTERS: [Ipv4Addr; 3] = [
    Ipv4Addr::new(10, 0, 6, 10),
    Ipv4Addr::new(10, 0, 6, 11),
    Ipv4Addr::new(10, 0, 6, 12),
];
pub const DMZ_WEB: Ipv4Addr = Ipv4Addr::new(10, 10, 0, 80);
pub const PUBLIC_RESOLVERS: [Ipv4Addr; 4] = [
    Ipv4Addr::new(8, 8, 8, 8),
    Ipv4Addr::new(1, 1, 1, 1),
    Ipv4Addr::new(9, 9, 9, 9),
    Ipv4Addr::new(8, 8, 4, 4),
];

/// First two hextets of some large IPv6 content networks.
const V6_CONTENT_PREFIXES: [[u16; 2]; 7] = [
    [0x2606, 0x4700],
    [0x2a00, 0x1450],
    [0x2620, 0x01ec],
    [0x2a03, 0x2880],
    [0x2600, 0x1f18],
    [0x2001, 0x4860],
    [0x2a04, 0x4e42],
];

/// Whether an IPv4 address is public unicast (not private, shared, loopback, link-local,
/// documentation, benchmarking, multicast or reserved).
pub fn is_public_v4(a: Ipv4Addr) -> bool {
    let [o1, o2, o3, _] = a.octets();
    !(o1 == 0
        || o1 == 10
        || o1 == 127
        || o1 >= 224
        || (o1 == 100 && (64..128).contains(&o2))
        || (o1 == 169 && o2 == 254)
        || (o1 == 172 && (16..32).contains(&o2))
        || (o1 == 192 && o2 == 168)
        || (o1 == 192 && o2 == 0 && (o3 == 0 || o3 == 2))
        || (o1 == 198 && (o2 == 18 || o2 == 19))
        || (o1 == 198 && o2 == 51 && o3 == 100)
        || (o1 == 203 && o2 == 0 && o3 == 113))
}

/// A random public IPv4 address.
pub fn random_public_v4(rng: &mut SplitMix64) -> Ipv4Addr {
    loop {
        let a = Ipv4Addr::from((rng.next_u64() >> 32) as u32);
        if is_public_v4(a) && a.octets()[3] != 0 && a.octets()[3] != 255 {
            return a;
        }
    }
}

/// A random public IPv4 address in a range typical of cloud and hosting providers, where C2
/// brokers tend to live.
pub fn random_hosting_v4(rng: &mut SplitMix64) -> Ipv4Addr {
    const FIRST_OCTETS: [u8; 14] = [3, 13, 18, 34, 35, 45, 52, 54, 91, 104, 139, 159, 185, 195];
    loop {
        let a = Ipv4Addr::new(
            *rng.pick(&FIRST_OCTETS),
            rng.below(256) as u8,
            rng.below(256) as u8,
            rng.between(1, 254) as u8,
        );
        if is_public_v4(a) {
            return a;
        }
    }
}

/// A random address in a large content network's IPv6 space.
pub fn random_public_v6(rng: &mut SplitMix64) -> Ipv6Addr {
    let p = rng.pick(&V6_CONTENT_PREFIXES);
    Ipv6Addr::new(
        p[0],
        p[1],
        rng.below(0x1_0000) as u16,
        rng.below(0x1000) as u16,
        0,
        0,
        0,
        rng.between(1, 0xffff) as u16,
    )
}

/// An address in `prefix`::/48 with a random subnet and interface identifier (SLAAC privacy
/// addresses are random 64-bit identifiers).
pub fn random_in_v6_48(rng: &mut SplitMix64, prefix: [u16; 3], subnet: u16) -> Ipv6Addr {
    let iid = rng.next_u64();
    Ipv6Addr::new(
        prefix[0],
        prefix[1],
        prefix[2],
        subnet,
        (iid >> 48) as u16,
        (iid >> 32) as u16,
        (iid >> 16) as u16,
        iid as u16,
    )
}

/// The simulated site.
#[derive(Debug, Clone)]
pub struct Network {
    /// Clients in activity order: the first are the busiest.
    pub clients: Vec<Client>,
    /// Indexes into `clients` of the workstations (the usual victims of planted channels).
    pub workstations: Vec<usize>,
    /// External IPv4 destinations in popularity order.
    pub external_v4: Vec<Ipv4Addr>,
    pub external_v6: Vec<Ipv6Addr>,
    /// Whether Zeek had `Site::local_nets` set; without it `local_orig`/`local_resp` are unset.
    pub local_nets: bool,
}

impl Network {
    pub fn build(rng: &mut SplitMix64, local_nets: bool) -> Network {
        let mut used = HashSet::new();
        let mut clients = Vec::new();
        let mut unique_v4 = |rng: &mut SplitMix64, make: &dyn Fn(&mut SplitMix64) -> Ipv4Addr| loop {
            let a = make(rng);
            if used.insert(a) {
                return a;
            }
        };
        for _ in 0..220 {
            let v4 = unique_v4(rng, &|r| {
                Ipv4Addr::new(10, 1, r.below(4) as u8, r.between(10, 250) as u8)
            });
            let v6 = rng
                .chance(0.3)
                .then(|| random_in_v6_48(rng, ORG_V6_PREFIX, 0x10 + (v4.octets()[2] as u16)));
            clients.push(Client {
                v4,
                v6,
                kind: ClientKind::Workstation,
            });
        }
        for _ in 0..60 {
            let v4 = unique_v4(rng, &|r| {
                Ipv4Addr::new(192, 168, 50, r.between(20, 250) as u8)
            });
            clients.push(Client {
                v4,
                v6: None,
                kind: ClientKind::Wifi,
            });
        }
        for _ in 0..40 {
            let v4 = unique_v4(rng, &|r| {
                Ipv4Addr::new(172, 22, r.below(4) as u8, r.between(2, 254) as u8)
            });
            clients.push(Client {
                v4,
                v6: None,
                kind: ClientKind::Vpn,
            });
        }
        for _ in 0..24 {
            let v4 = unique_v4(rng, &|r| Ipv4Addr::new(10, 30, 0, r.between(20, 200) as u8));
            clients.push(Client {
                v4,
                v6: None,
                kind: ClientKind::Iot,
            });
        }
        // Fisher–Yates, so activity rank is independent of the address range.
        for i in (1..clients.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            clients.swap(i, j);
        }
        let workstations = clients
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == ClientKind::Workstation)
            .map(|(i, _)| i)
            .collect();
        let external_v4 = (0..6_000).map(|_| random_public_v4(rng)).collect();
        let external_v6 = (0..600).map(|_| random_public_v6(rng)).collect();
        Network {
            clients,
            workstations,
            external_v4,
            external_v6,
            local_nets,
        }
    }

    /// A client chosen by activity: low indexes far more often (a heavy-tailed share of the
    /// traffic, as on real networks).
    pub fn active_client(&self, rng: &mut SplitMix64) -> &Client {
        let u = rng.unit();
        let i = ((self.clients.len() as f64) * u * u * u.sqrt()) as usize;
        &self.clients[i.min(self.clients.len() - 1)]
    }

    /// A popular-first external IPv4 destination.
    pub fn external_dest_v4(&self, rng: &mut SplitMix64) -> Ipv4Addr {
        let u = rng.unit();
        let i = ((self.external_v4.len() as f64) * u * u * u) as usize;
        self.external_v4[i.min(self.external_v4.len() - 1)]
    }

    pub fn external_dest_v6(&self, rng: &mut SplitMix64) -> Ipv6Addr {
        let u = rng.unit();
        let i = ((self.external_v6.len() as f64) * u * u) as usize;
        self.external_v6[i.min(self.external_v6.len() - 1)]
    }

    /// Zeek's `Site::is_local_addr` for this site: the private ranges it uses plus its IPv6
    /// prefixes. `None` when the site did not configure local networks (Zeek leaves the columns
    /// unset then).
    pub fn is_local(&self, ip: IpAddr) -> Option<bool> {
        if !self.local_nets {
            return None;
        }
        Some(match ip {
            IpAddr::V4(a) => {
                let [o1, o2, ..] = a.octets();
                o1 == 10
                    || (o1 == 172 && (16..32).contains(&o2))
                    || (o1 == 192 && o2 == 168)
                    || (o1 == 100 && (64..128).contains(&o2))
            }
            IpAddr::V6(a) => {
                let s = a.segments();
                s[..3] == ORG_V6_PREFIX || (s[0] & 0xfe00) == 0xfc00 || (s[0] & 0xffc0) == 0xfe80
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_means_public() {
        let mut rng = SplitMix64::new(11);
        for _ in 0..5_000 {
            assert!(is_public_v4(random_public_v4(&mut rng)));
            assert!(is_public_v4(random_hosting_v4(&mut rng)));
        }
        for s in [
            "10.0.0.1",
            "172.20.1.1",
            "192.168.1.1",
            "100.64.0.1",
            "100.127.9.9",
            "224.0.0.251",
        ] {
            assert!(!is_public_v4(s.parse().unwrap()), "{s}");
        }
        for s in [
            "172.32.0.1",
            "172.15.0.1",
            "100.63.0.1",
            "100.128.0.1",
            "8.8.8.8",
        ] {
            assert!(is_public_v4(s.parse().unwrap()), "{s}");
        }
    }

    #[test]
    fn site_is_built_as_described() {
        let mut rng = SplitMix64::new(12);
        let net = Network::build(&mut rng, true);
        assert_eq!(net.clients.len(), 344);
        assert_eq!(net.workstations.len(), 220);
        let distinct: HashSet<_> = net.clients.iter().map(|c| c.v4).collect();
        assert_eq!(distinct.len(), net.clients.len());
        assert!(net.clients.iter().any(|c| c.v6.is_some()));
        assert_eq!(net.is_local("10.9.9.9".parse().unwrap()), Some(true));
        assert_eq!(
            net.is_local("2a0b:4a80:1:10::1".parse().unwrap()),
            Some(true)
        );
        assert_eq!(net.is_local("8.8.8.8".parse().unwrap()), Some(false));
        let unset = Network::build(&mut SplitMix64::new(12), false);
        assert_eq!(unset.is_local("10.9.9.9".parse().unwrap()), None);
    }
}
