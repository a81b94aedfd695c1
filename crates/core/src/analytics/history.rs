//! Facts across groups, gathered once before rating: the first window each process and broker
//! appear in, each broker's clients' publication rates, each channel's span, each host's sessions
//! with an external service's address pool, and the extent of the inputs that hold each channel.
//! Bounded by the group table it is built from.

use super::census::{Census, SERVICE_V4_PREFIX, SERVICE_V6_PREFIX, service_network};
use super::group::{
    GroupContext, GroupKey, GroupMap, GroupStats, NamedService, PoolSessions, add_spans,
    earliest_spans, max_opt, publication_rate,
};
use super::peers::names_of;
use crate::behaviour::interactive::ConnSpan;
use crate::behaviour::presence::Span;
use crate::config::HuntConfig;
use crate::protocol::Protocol;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

/// Cross-group facts gathered once before rating (bounded by the group table).
pub(super) struct History<'a> {
    process_first: HashMap<(String, Protocol), i64>,
    broker_first: HashMap<(IpAddr, u16), i64>,
    /// Broker → its clients' publication rates, for peer comparison.
    broker_rates: HashMap<(IpAddr, u16, Protocol), Vec<ClientRate>>,
    /// Channel → its span over all windows (`None` once an end is unknown).
    channel_spans: HashMap<ChannelKey, Option<Span>>,
    /// A host's program's sessions with one external service's address pool (see [`PoolKey`]):
    /// the addresses its channels there reached and, once there are several, the earliest spans
    /// of all of them (a pool of one address is its one channel, whose spans are not copied).
    pools: HashMap<PoolKey, (BTreeSet<IpAddr>, Vec<ConnSpan>)>,
    /// A host's program's connections to one named external service (the name its source
    /// resolved or its session announced), over every address it reached it at.
    named: HashMap<NamedKey, NamedUse>,
    /// Each input's extent (see `Accumulator::source_spans`).
    source_spans: &'a HashMap<Arc<str>, Span, foldhash::fast::RandomState>,
    /// What each host did in each input that records every connection.
    census: &'a Census,
}

/// A group's key without its analytic: one channel between a client and a server.
pub(super) type ChannelKey = (String, Option<String>, IpAddr, u16, Protocol);

pub(super) fn channel_key(k: &GroupKey) -> ChannelKey {
    (
        k.host.clone(),
        k.process.clone(),
        k.dst_ip,
        k.dst_port,
        k.protocol,
    )
}

/// The span of a group's connections: first start to last start or end, `None` when some end is
/// unknown.
pub(super) fn group_span(s: &GroupStats) -> Option<Span> {
    if s.ends_unknown {
        return None;
    }
    let first = s.first_seen?;
    let last = max_opt(s.last_seen, s.last_end)?;
    Some(Span { first, last })
}

pub(super) fn union_span(a: Span, b: Span) -> Span {
    Span {
        first: a.first.min(b.first),
        last: a.last.max(b.last),
    }
}

/// A channel with its destination widened to the address's network (IPv4 /24, IPv6 /48): the
/// pool a cloud service or a chat network answers from. A client reaches one address of it per
/// session (DNS round robin), so without names its sessions are split over as many channels as
/// addresses, and each holds too few to judge how it is used.
pub(super) type PoolKey = (String, Option<String>, IpAddr, u16, Protocol);

/// The group's host, when the census can speak of it: it speaks only for every input of the
/// group, so all of them must have been remembered.
fn census_host(stats: &GroupStats) -> Option<IpAddr> {
    stats.src_ip.filter(|_| !stats.sources_truncated)
}

pub(super) fn pool_key(k: &GroupKey) -> PoolKey {
    let net = service_network(k.dst_ip);
    (
        k.host.clone(),
        k.process.clone(),
        net,
        k.dst_port,
        k.protocol,
    )
}

/// A channel with its destination given by name rather than address: one service, whichever of
/// its addresses each connection reached.
type NamedKey = (String, Option<String>, String, u16, Protocol);

/// How a host's program used one named service, over all its addresses.
#[derive(Default)]
struct NamedUse {
    connections: u64,
    addresses: BTreeSet<IpAddr>,
    /// With `--window`: exchanges per window index, summed over the addresses (as
    /// `windows::exchanges_per_window` counts them for one).
    windows: BTreeMap<i64, u64>,
}

/// One client (host and process) of a broker and its publications per hour.
pub(super) type ClientRate = (String, Option<String>, f64);

impl<'a> History<'a> {
    pub(super) fn of(
        groups: &GroupMap,
        source_spans: &'a HashMap<Arc<str>, Span, foldhash::fast::RandomState>,
        census: &'a Census,
        cfg: &HuntConfig,
    ) -> History<'a> {
        let mut h = History {
            process_first: HashMap::new(),
            broker_first: HashMap::new(),
            broker_rates: HashMap::new(),
            channel_spans: HashMap::new(),
            pools: HashMap::new(),
            named: HashMap::new(),
            source_spans,
            census,
        };
        if !cfg.behaviour.enabled {
            return h;
        }
        for (k, s) in groups {
            if cfg.internal.containing(k.dst_ip).is_none() {
                let names = names_of(s);
                // Counted only for a named group: most groups have no name to pool by.
                let per_window = match cfg.window.micros() {
                    Some(len) if !names.is_empty() => {
                        Some(super::windows::exchanges_per_window(s, len, true))
                    }
                    _ => None,
                };
                for name in names {
                    let service = h
                        .named
                        .entry((
                            k.host.clone(),
                            k.process.clone(),
                            name,
                            k.dst_port,
                            k.protocol,
                        ))
                        .or_default();
                    service.connections = service.connections.saturating_add(s.connections);
                    service.addresses.insert(k.dst_ip);
                    for (&w, &n) in per_window.iter().flatten() {
                        let e = service.windows.entry(w).or_default();
                        *e = e.saturating_add(n);
                    }
                }
            }
            if !s.conn_spans.is_empty() && cfg.internal.containing(k.dst_ip).is_none() {
                h.pools.entry(pool_key(k)).or_default().0.insert(k.dst_ip);
            }
            let span = group_span(s);
            h.channel_spans
                .entry(channel_key(k))
                .and_modify(|c| {
                    *c = match (*c, span) {
                        (Some(a), Some(b)) => Some(union_span(a, b)),
                        _ => None,
                    }
                })
                .or_insert(span);
            if let Some((&w, _)) = s.windows.first_key_value() {
                if let Some(p) = &k.process {
                    let e = h
                        .process_first
                        .entry((process_key(p), k.protocol))
                        .or_insert(w);
                    *e = (*e).min(w);
                }
                let e = h.broker_first.entry((k.dst_ip, k.dst_port)).or_insert(w);
                *e = (*e).min(w);
            }
            if let Some(rate) = publication_rate(s) {
                h.broker_rates
                    .entry((k.dst_ip, k.dst_port, k.protocol))
                    .or_default()
                    .push((k.host.clone(), k.process.clone(), rate));
            }
        }
        // The spans of the pools that span several addresses, in a second pass once that is
        // known: most channels are their pool's only address.
        for (k, s) in groups {
            if let Some((addrs, spans)) = h.pools.get_mut(&pool_key(k))
                && addrs.len() >= 2
            {
                add_spans(spans, s.conn_spans.iter().copied());
            }
        }
        h
    }

    /// The extent of the inputs that hold a group: the union of their spans.
    fn data_span(&self, stats: &GroupStats) -> Option<Span> {
        stats
            .sources
            .iter()
            .filter_map(|s| self.source_spans.get(s).copied())
            .reduce(union_span)
    }

    /// The named service with the most connections from the host's program, among the group's
    /// names, over all the addresses it reached it at, when that was more than one (ties: the
    /// first name in order): a named service answering from several addresses is one
    /// destination for `min_connections`, as the names say (an implant on its own cloud account
    /// reaches each of the endpoint's addresses once). Without a name nothing is pooled: an
    /// address's neighbours may be anyone.
    pub(super) fn named_service(&self, key: &GroupKey, stats: &GroupStats) -> Option<NamedService> {
        let mut best: Option<NamedService> = None;
        for name in names_of(stats) {
            let Some(service) = self.named.get(&(
                key.host.clone(),
                key.process.clone(),
                name.clone(),
                key.dst_port,
                key.protocol,
            )) else {
                continue;
            };
            let n = service.connections;
            if service.addresses.len() >= 2 && best.as_ref().is_none_or(|b| n > b.connections) {
                best = Some(NamedService {
                    connections: n,
                    name,
                    addresses: service.addresses.len(),
                    busiest_window: service.windows.values().copied().max(),
                });
            }
        }
        best
    }

    /// How long the host's program used the group's service: from the first start to the last
    /// end over every address it reached the service at, its pool's (when it reached more than
    /// one address of the pool) and its names' (when a name answered from several), or over the
    /// group's own address alone; `None` when some of those connections' ends are unknown. A
    /// client that reconnects to the next address of a round robin is still using the one
    /// service, so its session on each address is no one-off, however short.
    fn service_span(&self, key: &GroupKey, stats: &GroupStats) -> Option<Span> {
        let mut addrs = BTreeSet::from([key.dst_ip]);
        if let Some((pool, _)) = self.pools.get(&pool_key(key)) {
            addrs.extend(pool.iter().copied());
        }
        for name in names_of(stats) {
            if let Some(service) = self.named.get(&(
                key.host.clone(),
                key.process.clone(),
                name,
                key.dst_port,
                key.protocol,
            )) {
                addrs.extend(service.addresses.iter().copied());
            }
        }
        let mut span: Option<Span> = None;
        for dst_ip in addrs {
            let channel = (
                key.host.clone(),
                key.process.clone(),
                dst_ip,
                key.dst_port,
                key.protocol,
            );
            // An address in the pool or behind the name is some channel's, so it has a span
            // unless an end is unknown.
            let own = self.channel_spans.get(&channel).copied().flatten()?;
            span = Some(span.map_or(own, |s| union_span(s, own)));
        }
        span
    }

    /// When the census shows the group's host doing other work in every input that holds the
    /// group (see [`Census::does_other_work`]): the longest stretch its program kept the
    /// service open, over every address of the service's pool it reached when it reached more
    /// than one (a client reconnects to the next address of a round robin), in seconds.
    pub(super) fn kept_by_busy_host(&self, key: &GroupKey, stats: &GroupStats) -> Option<i64> {
        let host = census_host(stats)?;
        if !self.census.does_other_work(stats.sources.iter(), host) {
            return None;
        }
        let pool = self
            .pools
            .get(&pool_key(key))
            .filter(|(addrs, _)| addrs.len() >= 2);
        let spans: Vec<(i64, i64)> = match pool {
            Some((_, spans)) => spans.iter().map(|s| (s.start, s.end)).collect(),
            None => stats.conn_spans.iter().map(|s| (s.start, s.end)).collect(),
        };
        Some(crate::behaviour::device::longest_stretch(&spans) / 1_000_000)
    }

    /// Whether the census shows the group's host working around the clock in every input that
    /// holds the group (see [`Census::works_around_the_clock`]): a server, not a person's
    /// machine.
    pub(super) fn works_around_the_clock(&self, stats: &GroupStats) -> bool {
        census_host(stats).is_some_and(|host| {
            self.census
                .works_around_the_clock(stats.sources.iter(), host)
        })
    }

    /// When the census shows the group's host doing nothing but housekeeping and this service
    /// in every input of the group (see [`Census::dedicated_to`]). A census speaks only for every
    /// input of the group, all of them remembered.
    pub(super) fn dedicated_host(
        &self,
        key: &GroupKey,
        stats: &GroupStats,
    ) -> Option<super::census::DedicatedHost> {
        let host = census_host(stats)?;
        self.census
            .dedicated_to(stats.sources.iter(), host, key.dst_ip, key.dst_port)
    }

    pub(super) fn context(
        &self,
        key: &GroupKey,
        stats: &GroupStats,
        cfg: &HuntConfig,
    ) -> GroupContext {
        let mut ctx = GroupContext::default();
        if !cfg.behaviour.enabled {
            return ctx;
        }
        ctx.data_span = self.data_span(stats);
        // New in the data: the process (or broker) first appears in a window after the first
        // window of the inputs that hold this channel.
        if let (Some(len), Some(data)) = (cfg.window.micros(), ctx.data_span) {
            let first = data.first.div_euclid(len);
            ctx.new_process = key.process.as_ref().is_some_and(|p| {
                self.process_first
                    .get(&(process_key(p), key.protocol))
                    .is_some_and(|&w| w > first)
            });
            ctx.new_broker = self
                .broker_first
                .get(&(key.dst_ip, key.dst_port))
                .is_some_and(|&w| w > first);
        }
        ctx.channel_span = self.service_span(key, stats);
        ctx.dedicated_host = self.dedicated_host(key, stats);
        if let Some(host) = census_host(stats) {
            ctx.shows_only_this_service =
                self.census
                    .shows_only(stats.sources.iter(), host, key.dst_ip, key.dst_port);
            ctx.host_last_seen = self.census.last_seen(stats.sources.iter(), host);
        }
        let pool = pool_key(key);
        if let Some((addrs, spans)) = self.pools.get(&pool)
            && addrs.len() >= 2
        {
            let mut spans = earliest_spans(spans);
            spans.dedup();
            let net = pool.2;
            ctx.pool = Some(PoolSessions {
                spans,
                addresses: addrs.len(),
                network: format!(
                    "{net}/{}",
                    if net.is_ipv4() {
                        SERVICE_V4_PREFIX
                    } else {
                        SERVICE_V6_PREFIX
                    }
                ),
            });
        }
        if let Some(all) = self
            .broker_rates
            .get(&(key.dst_ip, key.dst_port, key.protocol))
        {
            ctx.peer_rates = all
                .iter()
                .filter(|(h, p, _)| *h != key.host || *p != key.process)
                .map(|(_, _, r)| *r)
                .collect();
        }
        ctx
    }
}

/// A process image as history compares it: the basename, lower case.
pub(super) fn process_key(image: &str) -> String {
    crate::event::process_basename(image).to_ascii_lowercase()
}
