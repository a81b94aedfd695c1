//! The host census: what each host did in each input besides its pub/sub sessions. A log that
//! records every connection of a host (Zeek `conn.log`) shows whether the host does other
//! things — a workstation browses, updates, syncs; a server answers and fetches — or whether its
//! only traffic is name lookups and its session with one service, as a meter, a thermostat or a
//! building gateway reporting to its vendor's cloud. The readers count every record of such a log
//! here, past the candidate prefilter, at the cost of reading five columns of each line; the
//! evidence step asks [`Census::dedicated_to`] whether a group's host was such a device,
//! [`Census::does_other_work`] whether it was busy, and [`Census::last_seen`] until when it was
//! there. A packet capture's flows are counted too ([`FlowCensus`]), but a capture may be
//! filtered ([`Coverage::MayBeFiltered`]): it shows what a host did and never that it did
//! nothing else, so it makes busy hosts and never devices — unless it holds other hosts' other
//! work (web, file shares), which a capture filtered to pub/sub would have dropped
//! ([`FlowCensus::shows_other_work`]): then it is read as a connection log is.
//!
//! Per (input, host) the census keeps a fixed few numbers, so its memory is one entry per host
//! per input, bounded by `limits.max_groups` entries: past that bound the census says nothing
//! about anyone (an order-independent rule, so a verdict never depends on which hosts came
//! first).

use super::day_profile::DayProfile;
use crate::event::Transport;
use crate::time::Micros;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

/// Responder ports of a host's housekeeping: name lookups (DNS, mDNS, LLMNR, NetBIOS names),
/// address and time configuration (DHCP, NTP) and device discovery (SSDP). Every device does
/// these beside its job, so they say nothing of what the host is for.
pub const HOUSEKEEPING_PORTS: [u16; 9] = [53, 67, 68, 123, 137, 138, 1900, 5353, 5355];

/// One connection record as the census reads it: who started it, to where (the addresses as
/// the log writes them, parsed only when needed), and over what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CensusEntry<'l> {
    pub src: &'l [u8],
    pub dst: &'l [u8],
    pub dst_port: u16,
    pub transport: Transport,
    /// When the connection started, when the record says (to the second is enough).
    pub ts: Option<Micros>,
}

/// Name lookups, configuration and discovery, and control messages (ICMP): not what the host
/// is for.
pub fn is_housekeeping(port: u16, transport: Transport) -> bool {
    matches!(transport, Transport::Other) || HOUSEKEEPING_PORTS.contains(&port)
}

fn parse_ip(text: &[u8]) -> Option<IpAddr> {
    std::str::from_utf8(text).ok()?.trim().parse().ok()
}

/// Most networks one service may answer from for a host reaching them all on one port to be
/// using one service (a vendor's or cloud platform's pool of regional addresses, each in its own
/// network); a host reaching more on that port is using several (a browser on 443).
pub const MAX_SERVICE_NETWORKS: usize = 8;

/// A service network as the census keeps it, in 32 bits: an IPv4 /24 exactly (its top 24 bits),
/// an IPv6 /48 folded to 31 bits with the top bit set (two /48s of one host's traffic on one
/// port that fold alike count as one network: rare, and it only ever joins two pools).
fn network_key(ip: IpAddr) -> u32 {
    match service_network(ip) {
        IpAddr::V4(a) => u32::from(a) >> 8,
        IpAddr::V6(a) => {
            let net = (u128::from(a) >> 80) as u64;
            (1 << 31) | ((net ^ (net >> 31)) as u32 & 0x7FFF_FFFF)
        }
    }
}

/// The networks, at most [`MAX_SERVICE_NETWORKS`], a host reached one port on: a sorted set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServiceNetworks {
    keys: [u32; MAX_SERVICE_NETWORKS],
    len: u8,
}

impl ServiceNetworks {
    fn of(ip: IpAddr) -> ServiceNetworks {
        let mut n = ServiceNetworks::default();
        n.keys[0] = network_key(ip);
        n.len = 1;
        n
    }

    fn keys(&self) -> &[u32] {
        &self.keys[..usize::from(self.len)]
    }

    fn contains(&self, ip: IpAddr) -> bool {
        self.keys().binary_search(&network_key(ip)).is_ok()
    }

    /// How many networks.
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether it holds none (never, once built from an address).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The union, or `None` when it would hold more than [`MAX_SERVICE_NETWORKS`]: the same
    /// answer whatever the order of joining.
    fn union(&self, other: &ServiceNetworks) -> Option<ServiceNetworks> {
        let mut out = *self;
        for &k in other.keys() {
            let Err(at) = out.keys().binary_search(&k) else {
                continue;
            };
            let len = out.len();
            if len == MAX_SERVICE_NETWORKS {
                return None;
            }
            out.keys.copy_within(at..len, at + 1);
            out.keys[at] = k;
            out.len += 1;
        }
        Some(out)
    }
}

/// The services a host's other connections went to: none yet, one (a port on a few networks:
/// one service's pool), or more than one. Joining two of them is order-independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostServices {
    #[default]
    None,
    /// Every such connection went to this port, on these networks (IPv4 /24, IPv6 /48).
    One {
        port: u16,
        networks: ServiceNetworks,
    },
    Several,
}

impl HostServices {
    fn join(self, other: HostServices) -> HostServices {
        match (self, other) {
            (HostServices::None, x) | (x, HostServices::None) => x,
            (
                HostServices::One { port, networks },
                HostServices::One {
                    port: p,
                    networks: n,
                },
            ) if port == p => networks
                .union(&n)
                .map_or(HostServices::Several, |networks| HostServices::One {
                    port,
                    networks,
                }),
            _ => HostServices::Several,
        }
    }

    /// Whether this is one service: `port`, on networks that include `dst`'s.
    fn is_service(&self, dst: IpAddr, port: u16) -> bool {
        matches!(self, HostServices::One { port: p, networks } if *p == port && networks.contains(dst))
    }
}

/// What one host did in one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostUse {
    /// Housekeeping connections (lookups, time, discovery, ICMP).
    pub housekeeping: u64,
    /// Every other connection.
    pub connections: u64,
    pub services: HostServices,
    /// The latest start of any of its connections (housekeeping included): the host was there
    /// then.
    pub last_seen: Option<Micros>,
    /// When in the day its other connections started.
    pub day: DayProfile,
}

impl HostUse {
    /// Counts one connection to `dst` (read only when it matters: a log's address text is
    /// parsed once the host is known to reach a service, not for every line).
    fn tally(
        &mut self,
        dst: impl FnOnce() -> Option<IpAddr>,
        dst_port: u16,
        transport: Transport,
        ts: Option<Micros>,
    ) {
        self.last_seen = self.last_seen.max(ts);
        if is_housekeeping(dst_port, transport) {
            self.housekeeping += 1;
            return;
        }
        self.connections += 1;
        if let Some(t) = ts {
            self.day.add(t);
        }
        if self.services == HostServices::Several {
            return;
        }
        // A responder that does not read could be anything: another service.
        self.services = match dst() {
            // Most connections go where the host's earlier ones went.
            Some(dst) if self.services.is_service(dst, dst_port) => return,
            Some(dst) => self.services.join(HostServices::One {
                port: dst_port,
                networks: ServiceNetworks::of(dst),
            }),
            None => HostServices::Several,
        };
    }

    fn merge(&mut self, o: &HostUse) {
        self.housekeeping += o.housekeeping;
        self.connections += o.connections;
        self.services = self.services.join(o.services);
        self.last_seen = self.last_seen.max(o.last_seen);
        self.day.merge(&o.day);
    }
}

/// The network a service answers from: the address's /24 (IPv4) or /48 (IPv6), the pool a
/// provider's round robin hands out. The census compares destinations by it, and
/// `history::pool_key` pools a host's sessions by it.
pub fn service_network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(a) => ipnet::Ipv4Net::new(a, SERVICE_V4_PREFIX)
            .map(|n| IpAddr::V4(n.network()))
            .unwrap_or(ip),
        IpAddr::V6(a) => ipnet::Ipv6Net::new(a, SERVICE_V6_PREFIX)
            .map(|n| IpAddr::V6(n.network()))
            .unwrap_or(ip),
    }
}

/// Prefix lengths of a service's network: a provider's /24 (IPv4) or /48 (IPv6).
pub const SERVICE_V4_PREFIX: u8 = 24;
pub const SERVICE_V6_PREFIX: u8 = 48;

/// One chunk's census, gathered by a reader thread before it is added to the run's: per
/// initiator as the log writes it (parsed once per host and chunk, not once per line).
#[derive(Debug, Default)]
pub struct ChunkCensus<'l> {
    hosts: HashMap<&'l [u8], HostUse, foldhash::fast::RandomState>,
}

impl<'l> ChunkCensus<'l> {
    /// Adds one record.
    pub fn count(&mut self, e: &CensusEntry<'l>) {
        self.hosts.entry(e.src).or_default().tally(
            || parse_ip(e.dst),
            e.dst_port,
            e.transport,
            e.ts,
        );
    }

    /// The hosts by address; initiators that do not read as one are left out.
    fn by_address(self) -> impl Iterator<Item = (IpAddr, HostUse)> {
        self.hosts
            .into_iter()
            .filter_map(|(text, used)| Some((parse_ip(text)?, used)))
    }
}

/// How much of its hosts' traffic an input can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// Every connection the sensor saw (a Zeek `conn.log`): what a host did not do is absent.
    EveryConnection,
    /// Only what a capture filter let through (a packet capture, often taken for the ports of
    /// interest): what a host did is shown, but not what it did not do, so such an input can
    /// show a host doing other work and never that a host did nothing else — unless it shows
    /// hosts reaching other services ([`FlowCensus::shows_other_work`]), when it counts as
    /// [`Coverage::EveryConnection`].
    MayBeFiltered,
}

/// One parsed connection as [`FlowCensus`] counts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowEntry {
    pub dst: IpAddr,
    pub dst_port: u16,
    pub transport: Transport,
    pub ts: Option<Micros>,
}

/// Fewest hosts a capture must show reaching services other than pub/sub and housekeeping for
/// it to count as showing every connection ([`FlowCensus::shows_other_work`]).
pub const UNFILTERED_HOSTS: usize = 3;

/// A census gathered from connections already parsed (a capture's flows), per initiator: at
/// most `bound` hosts, past which it overflows the run's census when added, as a log's would.
#[derive(Debug, Default, Clone)]
pub struct FlowCensus {
    hosts: Hosts,
    overflowed: bool,
    /// Hosts seen reaching a service that is neither a pub/sub port nor housekeeping, up to
    /// [`UNFILTERED_HOSTS`].
    other_work: Vec<IpAddr>,
}

impl FlowCensus {
    /// Adds one connection of `src` (the caller counts internal initiators only, as
    /// [`Census::add_chunk`] keeps).
    pub fn count(&mut self, src: IpAddr, e: FlowEntry, bound: usize) {
        if self.overflowed {
            return;
        }
        let full = self.hosts.len() >= bound;
        let used = match self.hosts.get_mut(&src) {
            Some(u) => u,
            None if full => {
                self.overflowed = true;
                self.hosts = Hosts::default();
                return;
            }
            None => self.hosts.entry(src).or_default(),
        };
        used.tally(|| Some(e.dst), e.dst_port, e.transport, e.ts);
    }

    /// Notes that `src` reached a service that is neither a pub/sub port nor housekeeping (web,
    /// file shares, directory services): traffic a capture filtered to pub/sub would not hold.
    pub fn note_other_work(&mut self, src: IpAddr) {
        if self.other_work.len() < UNFILTERED_HOSTS && !self.other_work.contains(&src) {
            self.other_work.push(src);
        }
    }

    /// Whether at least [`UNFILTERED_HOSTS`] hosts were seen reaching other services: the
    /// capture was not filtered to pub/sub ports (and name lookups), so, like a connection log,
    /// it shows what each host did not do. A filter on hosts would have to admit other hosts'
    /// web traffic and drop a suspect's own, which is not how captures are taken.
    pub fn shows_other_work(&self) -> bool {
        self.other_work.len() >= UNFILTERED_HOSTS
    }

    /// Hosts counted so far.
    pub fn len(&self) -> usize {
        self.hosts.len()
    }

    /// Whether nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.hosts.is_empty() && !self.overflowed
    }
}

/// The run's census, per input and host.
#[derive(Debug, Default, Clone)]
pub struct Census {
    inputs: HashMap<Arc<str>, Hosts, foldhash::fast::RandomState>,
    /// Inputs that may be filtered ([`Coverage::MayBeFiltered`]).
    filtered: std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>,
    /// Of those, the ones some part of which showed other hosts' other work
    /// ([`FlowCensus::shows_other_work`]): not filtered to pub/sub, whichever part came first.
    shown_unfiltered: std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>,
    /// (input, host) pairs held, for the bound.
    held: usize,
    /// More (input, host) pairs than the bound: the census speaks for nobody.
    overflowed: bool,
}

type Hosts = HashMap<IpAddr, HostUse, foldhash::fast::RandomState>;

/// A group's host whose only traffic, in every input that holds the group, was housekeeping and
/// the group's service (its port, on its network and at most
/// [`MAX_SERVICE_NETWORKS`] in all: one service's pool).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DedicatedHost {
    /// Its connections to the service over those inputs.
    pub connections: u64,
    /// Its housekeeping connections over those inputs.
    pub housekeeping: u64,
}

impl Census {
    /// Adds a chunk of `source` to the census, keeping at most `bound` (input, host) pairs, of
    /// the hosts `keep` accepts (the internal ones: the census only ever speaks of a channel's
    /// initiator, and an internet-wide scan of the site must not fill it).
    pub fn add_chunk(
        &mut self,
        source: &Arc<str>,
        chunk: ChunkCensus<'_>,
        bound: usize,
        keep: impl Fn(IpAddr) -> bool,
    ) {
        self.add_hosts(source, chunk.by_address().filter(|(h, _)| keep(*h)), bound);
    }

    /// Adds what `source`'s parsed connections showed ([`FlowCensus`], which counted only the
    /// hosts it was asked to), keeping at most `bound` (input, host) pairs.
    pub fn add_flows(
        &mut self,
        source: &Arc<str>,
        flows: FlowCensus,
        coverage: Coverage,
        bound: usize,
    ) {
        if coverage == Coverage::MayBeFiltered {
            self.filtered.insert(source.clone());
            if flows.shows_other_work() {
                self.shown_unfiltered.insert(source.clone());
            }
        }
        if flows.overflowed {
            self.overflow();
            return;
        }
        self.add_hosts(source, flows.hosts.into_iter(), bound);
    }

    fn add_hosts(
        &mut self,
        source: &Arc<str>,
        hosts: impl Iterator<Item = (IpAddr, HostUse)>,
        bound: usize,
    ) {
        if self.overflowed {
            return;
        }
        let mut held = self.held;
        let known = self.inputs.entry(source.clone()).or_default();
        for (host, used) in hosts {
            match known.get_mut(&host) {
                Some(u) => u.merge(&used),
                None if held >= bound => {
                    // Which hosts would be kept depends on the order they came in: none is.
                    self.overflow();
                    return;
                }
                None => {
                    known.insert(host, used);
                    held += 1;
                }
            }
        }
        self.held = held;
    }

    fn overflow(&mut self) {
        self.overflowed = true;
        self.inputs = HashMap::default();
        self.held = 0;
    }

    /// Folds another census in (another reader thread's).
    pub fn merge(&mut self, other: Census, bound: usize) {
        if other.overflowed {
            self.overflow();
        }
        self.filtered.extend(other.filtered);
        self.shown_unfiltered.extend(other.shown_unfiltered);
        for (source, hosts) in other.inputs {
            self.add_hosts(&source, hosts.into_iter(), bound);
        }
    }

    /// Whether `source` may have been filtered to the ports of interest: a capture, none of
    /// whose parts showed other hosts' other work.
    fn may_be_filtered(&self, source: &Arc<str>) -> bool {
        self.filtered.contains(source) && !self.shown_unfiltered.contains(source)
    }

    /// Whether the census holds no host (none was counted, or it overflowed).
    pub fn is_empty(&self) -> bool {
        self.held == 0
    }

    /// Whether the census holds `host` in every one of `sources` (at least one) and `each`
    /// accepts its use there. `false` when any input has no census of it, or the census
    /// overflowed.
    fn in_every_input<'s>(
        &self,
        sources: impl IntoIterator<Item = &'s Arc<str>>,
        host: IpAddr,
        mut each: impl FnMut(&'s Arc<str>, &HostUse) -> bool,
    ) -> bool {
        if self.overflowed {
            return false;
        }
        let mut any = false;
        for source in sources {
            match self.inputs.get(source).and_then(|h| h.get(&host)) {
                Some(used) if each(source, used) => any = true,
                _ => return false,
            }
        }
        any
    }

    /// Whether, in every one of `sources`, `host`'s other connections run around the clock
    /// ([`DayProfile::around_the_clock`]): a server's day, not a person's machine. `false` when
    /// any input has no census of it or may have been filtered (a capture of pub/sub ports
    /// shows the channels' hours, not the host's).
    pub fn works_around_the_clock<'s>(
        &self,
        sources: impl IntoIterator<Item = &'s Arc<str>>,
        host: IpAddr,
    ) -> bool {
        self.in_every_input(sources, host, |source, used| {
            !self.may_be_filtered(source) && used.day.around_the_clock()
        })
    }

    /// Whether, in every one of `sources`, the census shows `host` reaching more than one
    /// service besides housekeeping: a host with other work (a workstation, a server), not a
    /// device doing one job. `false` when any input has no census of it.
    pub fn does_other_work<'s>(
        &self,
        sources: impl IntoIterator<Item = &'s Arc<str>>,
        host: IpAddr,
    ) -> bool {
        self.in_every_input(sources, host, |_, used| {
            used.services == HostServices::Several
        })
    }

    /// The latest time `host` started any connection in any of `sources` the census holds it
    /// in: it was there then. `None` when none does, or the census overflowed.
    pub fn last_seen<'s>(
        &self,
        sources: impl IntoIterator<Item = &'s Arc<str>>,
        host: IpAddr,
    ) -> Option<Micros> {
        if self.overflowed {
            return None;
        }
        sources
            .into_iter()
            .filter_map(|s| self.inputs.get(s)?.get(&host)?.last_seen)
            .max()
    }

    /// Whether, in every one of `sources`, all the census saw of `host` besides housekeeping was
    /// its connections to `port` on `dst`'s network and a few others (one service's pool,
    /// [`MAX_SERVICE_NETWORKS`]). Unlike [`Census::dedicated_to`] this holds
    /// for an input that may be filtered: it says only that nothing in the inputs shows the host
    /// doing anything else, not that it did nothing else. `false` when any of the inputs has no
    /// census of the host, or the census overflowed.
    pub fn shows_only<'s>(
        &self,
        sources: impl IntoIterator<Item = &'s Arc<str>>,
        host: IpAddr,
        dst: IpAddr,
        port: u16,
    ) -> bool {
        self.in_every_input(sources, host, |_, used| used.services.is_service(dst, port))
    }

    /// When `host` did nothing but housekeeping (at least one lookup or the like, which shows
    /// its other traffic was recorded) and connections to `port` on `dst`'s network (and at most
    /// [`MAX_SERVICE_NETWORKS`] networks in all: one service's pool) in every one
    /// of `sources`: a host dedicated to that service. `None` when any of the inputs has no
    /// census of the host (a source that does not record every connection), may be filtered
    /// ([`Coverage::MayBeFiltered`]), or the census overflowed.
    pub fn dedicated_to<'s>(
        &self,
        sources: impl IntoIterator<Item = &'s Arc<str>>,
        host: IpAddr,
        dst: IpAddr,
        port: u16,
    ) -> Option<DedicatedHost> {
        let mut out = DedicatedHost {
            connections: 0,
            housekeeping: 0,
        };
        // A filter may have dropped the host's other traffic.
        let dedicated = self.in_every_input(sources, host, |source, used| {
            if self.may_be_filtered(source)
                || !used.services.is_service(dst, port)
                || used.housekeeping == 0
            {
                return false;
            }
            out.connections += used.connections;
            out.housekeeping += used.housekeeping;
            true
        });
        dedicated.then_some(out)
    }
}

#[cfg(test)]
#[path = "census_tests.rs"]
mod tests;
