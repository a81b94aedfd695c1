//! Peers of a destination, over the whole run: which internal hosts reach each destination over
//! each protocol, and which of them do so on a timer (the connection-level beacon, computed here
//! once per group and handed to the rating so it is not computed twice). The rating turns a
//! group's [`PeerView`] into the prevalence signals ([`crate::behaviour::prevalence`]).
//!
//! A destination is counted under every name the data gives it (names the log source resolved,
//! `ssl.log` and `dns.log` names, names announced in sessions) and under its address; a group is
//! judged by its most-shared name when it has names, else by its address over its protocol,
//! whatever the port: a server's clients pick their port by configuration (XMPP on 5222 or
//! 5223, MQTT on 1883 or 8883), so the hosts that share a server are its hosts on every port.
//! The history is kept per address and port; hosts only earlier runs saw are counted on the
//! group's own port. Bounded:
//! at most [`MAX_HOSTS_PER_DESTINATION`] hosts are remembered per destination (the smallest
//! names, so what is kept does not depend on input order) and [`MAX_DATA_HOSTS`] in all.

use super::group::{GroupKey, GroupMap, GroupStats};
use crate::behaviour::beacon::{BeaconContext, BeaconScore, score_beacon};
use crate::behaviour::prevalence::{FleetOutlier, KeptTimer, PeerView, similar};
use crate::config::HuntConfig;
use crate::protocol::Protocol;
use crate::time::Micros;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// Most hosts remembered per destination; counts beyond it are lower bounds.
pub const MAX_HOSTS_PER_DESTINATION: usize = 256;

// A store's partial load keeps enough hosts per destination for `view`'s count (see there).
const _: () = assert!(crate::prior::DESTINATION_HOSTS_LOADED == 2 * MAX_HOSTS_PER_DESTINATION + 1);
/// Most distinct hosts counted over the data.
pub const MAX_DATA_HOSTS: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Destination {
    Name(String),
    /// A server's address, on any port of the protocol.
    Server(IpAddr),
    /// A service's network (its address's /24 or /48, a provider's round robin), on any port of
    /// the protocol.
    Pool(IpAddr),
}

impl Destination {
    fn describe(&self) -> String {
        match self {
            Destination::Name(n) => n.clone(),
            Destination::Server(ip) => ip.to_string(),
            Destination::Pool(net) => net.to_string(),
        }
    }
}

/// One host reaching a destination: the period (seconds) of its timer to it, if any of its
/// channels there beacons, and whether the census shows it a device doing nothing but
/// housekeeping and this service.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
struct PeerHost {
    timer: Option<KeptTimer>,
    device: bool,
}

/// Hosts reaching one destination.
type HostTimers = BTreeMap<String, PeerHost>;

/// The connection-level beacon of each group that has one to judge, and the peers of every
/// destination.
#[derive(Debug, Default)]
pub(super) struct Peers {
    pub beacons: HashMap<GroupKey, GroupTimers>,
    by_dest: HashMap<(Protocol, Destination), HostTimers>,
    /// Hosts reaching each address over each protocol, on any port: whom a host serves.
    by_server: HashMap<(Protocol, IpAddr), HostTimers>,
    /// The timers each address keeps, over each protocol, to external destinations (by their
    /// description, the shortest timer each, at most [`MAX_HOSTS_PER_DESTINATION`] of them,
    /// the first by description): what a server relays outside.
    relays: HashMap<(Protocol, IpAddr), BTreeMap<String, f64>>,
    data_hosts: BTreeSet<String>,
    /// The fleet each host belongs to, if any (`fleet_memberships`).
    fleets: BTreeMap<String, Membership>,
    /// How far apart two timers' periods may be and still be the same timer (a share of the
    /// longer: `behaviour.prevalence.similar_period`).
    similar_period: f64,
}

/// Fewest devices, besides the host, keeping its timer at a server for it to be their fleet's
/// member there: two devices of one product make what the product does a norm.
pub const FLEET_OUTLIER_MIN_DEVICES: usize = 2;

/// Where a host is a fleet's member: the server (over the protocol) and the timer it keeps
/// there with the devices, and how many devices keep it.
#[derive(Debug, Clone, PartialEq)]
struct Membership {
    protocol: Protocol,
    server: IpAddr,
    period: f64,
    devices: usize,
}

/// A group's timers as judged once for the peers and handed to its rating: between its
/// connections, and between the messages its client published in its sessions.
#[derive(Debug, Default)]
pub(super) struct GroupTimers {
    pub conn: Option<Box<BeaconScore>>,
    pub message: Option<Box<BeaconScore>>,
}

/// The names a group's own host gives its destination, normalised (as the allowlist's reach
/// counts them): none borrowed from other hosts.
pub(super) fn names_of(stats: &GroupStats) -> BTreeSet<String> {
    crate::allowlist::names_of(stats.own_dst_names(), stats.app.as_deref()).collect()
}

/// The group's message-level beacon, exactly as the rating judges it: what its client
/// published inside its sessions, with the announced keepalive, over the whole data.
pub(super) fn message_beacon(cfg: &HuntConfig, stats: &GroupStats) -> Option<BeaconScore> {
    let app = stats.app.as_deref()?;
    let beaconing = super::content::beaconing_messages(app);
    let times: Vec<Micros> = beaconing.iter().map(|m| m.ts).collect();
    let sizes: Vec<u64> = beaconing.iter().map(|m| u64::from(m.size)).collect();
    let ctx = BeaconContext {
        window: None,
        keepalive_secs: app.keepalive_secs,
    };
    score_beacon(&times, Some(&sizes), &ctx, &cfg.behaviour.beacon)
}

/// The group's connection-level beacon, exactly as the rating judges it: over all connections,
/// across windows, with byte sizes when the source has them.
pub(super) fn conn_beacon(cfg: &HuntConfig, stats: &GroupStats) -> Option<BeaconScore> {
    let times: Vec<Micros> = stats.conn_starts.iter().map(|c| c.ts).collect();
    let sizes: Vec<u64> = stats.conn_starts.iter().map(|c| c.bytes_out).collect();
    let ctx = BeaconContext {
        window: None,
        keepalive_secs: None,
    };
    let has_sizes = stats.bytes_out.is_some();
    score_beacon(
        &times,
        has_sizes.then_some(&sizes[..]),
        &ctx,
        &cfg.behaviour.beacon,
    )
}

fn remember(hosts: &mut HostTimers, host: &str, seen: PeerHost) {
    if let Some(t) = hosts.get_mut(host) {
        // The shortest timer a host keeps to the destination stands for it.
        t.timer = KeptTimer::shortest(t.timer, seen.timer);
        t.device |= seen.device;
        return;
    }
    if hosts.len() >= MAX_HOSTS_PER_DESTINATION {
        match hosts.last_key_value() {
            Some((last, _)) if host < last.as_str() => {
                hosts.pop_last();
            }
            _ => return,
        }
    }
    hosts.insert(host.to_string(), seen);
}

impl Peers {
    /// Judges every group's timer (on up to `threads` threads: the beacon scores are the
    /// rating's heaviest per-group work) and counts its host under its destination's names and
    /// address.
    /// `is_device` says whether the census shows a group's host a device doing nothing but
    /// housekeeping and the group's service.
    pub(super) fn of(
        groups: &GroupMap,
        cfg: &HuntConfig,
        threads: usize,
        is_device: impl Fn(&GroupKey, &GroupStats) -> bool,
    ) -> Peers {
        let mut p = Peers::default();
        if !cfg.behaviour.enabled {
            return p;
        }
        let threshold = cfg.behaviour.beacon.signal_threshold;
        let groups: Vec<(&GroupKey, &GroupStats)> = groups.iter().map(|(k, s)| (k, &**s)).collect();
        let mut beacons =
            super::parallel::map_in_order(&groups, threads, |(_, stats)| GroupTimers {
                conn: conn_beacon(cfg, stats).map(Box::new),
                message: message_beacon(cfg, stats).map(Box::new),
            });
        // A check-in timer spread over a service's addresses is the channel's timer too.
        let mut conn: Vec<_> = beacons.iter_mut().map(|t| t.conn.take()).collect();
        super::service_timer::lend_service_timers(&groups, &mut conn, cfg);
        for (t, c) in beacons.iter_mut().zip(conn) {
            t.conn = c;
        }
        for ((key, stats), timers) in groups.into_iter().zip(beacons) {
            let kept = |b: &Option<Box<BeaconScore>>| {
                b.as_ref()
                    .filter(|b| b.score >= threshold)
                    .map(|b| KeptTimer::of(b))
            };
            let timer = kept(&timers.conn);
            let seen = PeerHost {
                timer,
                device: is_device(key, stats),
            };
            let mut dests = vec![
                Destination::Server(key.dst_ip),
                Destination::Pool(super::census::service_network(key.dst_ip)),
            ];
            dests.extend(names_of(stats).into_iter().map(Destination::Name));
            for d in dests {
                remember(
                    p.by_dest.entry((key.protocol, d)).or_default(),
                    &key.host,
                    seen,
                );
            }
            // Whom the destination serves, with the timer each client keeps in its sessions or
            // between them: a server's own link whose timer is one of these carries it.
            remember(
                p.by_server.entry((key.protocol, key.dst_ip)).or_default(),
                &key.host,
                PeerHost {
                    timer: KeptTimer::shortest(timer, kept(&timers.message)),
                    device: false,
                },
            );
            if let (Some(src), Some(KeptTimer { period, .. })) = (
                stats.src_ip,
                KeptTimer::shortest(timer, kept(&timers.message)),
            ) && cfg.internal.containing(key.dst_ip).is_none()
            {
                let out = p.relays.entry((key.protocol, src)).or_default();
                let dest = format!("{}:{}", key.dst_ip, key.dst_port);
                let kept = out.entry(dest).or_insert(period);
                *kept = kept.min(period);
                if out.len() > MAX_HOSTS_PER_DESTINATION {
                    out.pop_last();
                }
            }
            if p.data_hosts.len() < MAX_DATA_HOSTS {
                p.data_hosts.insert(key.host.clone());
            }
            p.beacons.insert(key.clone(), timers);
        }
        p.similar_period = cfg.behaviour.prevalence.similar_period;
        p.fleets = fleet_memberships(&p.by_dest, p.similar_period);
        p
    }

    /// The channel's host's fleet, when the host is a member of one at another server and none
    /// of that fleet's devices reaches the channel's destination (by address, its network or a
    /// name), over the group's protocol.
    fn fleet_outlier(&self, key: &GroupKey, stats: &GroupStats) -> Option<FleetOutlier> {
        let m = self.fleets.get(&key.host)?;
        if m.server == key.dst_ip {
            return None;
        }
        let fleet = self
            .by_dest
            .get(&(m.protocol, Destination::Server(m.server)))?;
        let mut here = vec![
            Destination::Server(key.dst_ip),
            Destination::Pool(super::census::service_network(key.dst_ip)),
        ];
        here.extend(names_of(stats).into_iter().map(Destination::Name));
        let reached = |host: &String| {
            here.iter().any(|d| {
                self.by_dest
                    .get(&(key.protocol, d.clone()))
                    .is_some_and(|h| h.contains_key(host))
            })
        };
        // The devices keeping the host's timer there, as `fleet_memberships` counted them.
        let mut siblings = fleet.iter().filter(|(h, p)| {
            **h != key.host
                && p.device
                && p.timer
                    .is_some_and(|t| similar(t.period, m.period, self.similar_period))
        });
        if siblings.any(|(h, _)| reached(h)) {
            return None;
        }
        Some(FleetOutlier {
            fleet_service: Destination::Server(m.server).describe(),
            period: m.period,
            devices: m.devices,
        })
    }

    /// The peers of a group's destination: by its most-shared name, else (no names, or only names
    /// borrowed from other hosts) by address and port.
    /// Counted by address, the hosts earlier runs saw reach it (`prior`, the history store)
    /// count too: prevalence over weeks, not one run. Names are judged on this run alone, as
    /// the history keeps destinations by address, and a cloud address serves many tenants.
    pub(super) fn view(
        &self,
        key: &GroupKey,
        stats: &GroupStats,
        external: bool,
        prior: Option<&crate::prior::History>,
    ) -> PeerView {
        let by_name = names_of(stats)
            .into_iter()
            .map(Destination::Name)
            .filter_map(|d| self.by_dest.get(&(key.protocol, d.clone())).map(|h| (d, h)))
            .max_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| b.0.cmp(&a.0)));
        let addr = Destination::Server(key.dst_ip);
        let (dest, hosts, by_addr) = match by_name {
            Some((d, h)) => (d, Some(h), false),
            None => {
                let h = self.by_dest.get(&(key.protocol, addr.clone()));
                (addr, h, true)
            }
        };
        let run_hosts = hosts.map_or(1, |h| h.len().max(1));
        // Hosts only the history saw reach the destination (on the group's port, as the history
        // keeps it): the run's own are not counted twice (re-hunting the same files leaves the
        // count as it was).
        let from_history = match prior {
            Some(p) if by_addr => p
                .destinations
                .get(&(key.dst_ip, key.dst_port))
                .map_or(0, |d| {
                    d.hosts
                        .keys()
                        .filter(|h| **h != key.host && !hosts.is_some_and(|r| r.contains_key(*h)))
                        .take(MAX_HOSTS_PER_DESTINATION)
                        .count()
                }),
            _ => 0,
        };
        let others = || {
            hosts
                .into_iter()
                .flatten()
                .filter(|(h, _)| **h != key.host)
                .map(|(_, p)| p)
        };
        let period = |p: &PeerHost| p.timer.map(|t| t.period);
        let other_timers = others().filter_map(period).collect();
        let other_device_timers = others().filter(|p| p.device).map(period).collect();
        let other_busy_timers = others().filter(|p| !p.device).map(period).collect();
        // Who else reaches the service's network: a device platform's regional addresses are
        // one pool, each device holding its session with one address of it.
        let pool = self
            .by_dest
            .get(&(
                key.protocol,
                Destination::Pool(super::census::service_network(key.dst_ip)),
            ))
            .into_iter()
            .flatten()
            .filter(|(h, _)| **h != key.host);
        let (pool_others, pool_devices) =
            pool.fold((0, 0), |(n, d), (_, p)| (n + 1, d + usize::from(p.device)));
        let served = stats
            .src_ip
            .and_then(|ip| self.by_server.get(&(key.protocol, ip)));
        let client_timers = served
            .into_iter()
            .flatten()
            .filter(|(h, _)| **h != key.host)
            .filter_map(|(h, p)| Some((h.clone(), p.timer?)))
            .collect();
        // What the destination, when it is an internal server, relays outside on a timer.
        let relayed_timers = if external {
            Vec::new()
        } else {
            self.relays
                .get(&(key.protocol, key.dst_ip))
                .into_iter()
                .flatten()
                .map(|(d, p)| (d.clone(), *p))
                .collect()
        };
        PeerView {
            destination: dest.describe(),
            hosts: run_hosts + from_history,
            hosts_from_history: from_history,
            hosts_at_bound: run_hosts >= MAX_HOSTS_PER_DESTINATION
                || from_history >= MAX_HOSTS_PER_DESTINATION,
            other_timers,
            other_device_timers,
            other_busy_timers,
            pool_others,
            pool_devices,
            client_timers,
            relayed_timers,
            data_hosts: self.data_hosts.len(),
            external,
            host_serves: served.map_or(0, |h| h.len() - usize::from(h.contains_key(&key.host))),
            host_serves_at_bound: served.is_some_and(|h| h.len() >= MAX_HOSTS_PER_DESTINATION),
            fleet_outlier: self.fleet_outlier(key, stats),
        }
    }
}

/// Each host's fleet, if it has one: a server (over a protocol) where at least
/// [`FLEET_OUTLIER_MIN_DEVICES`] other hosts the census shows to be devices keep a timer similar
/// to the host's, and the hosts there doing other work (the host counted if it is one) are
/// fewer than the devices. Of several, the one with the most such devices, then the first server
/// in order, so the choice does not depend on the order the groups were read.
fn fleet_memberships(
    by_dest: &HashMap<(Protocol, Destination), HostTimers>,
    similar_period: f64,
) -> BTreeMap<String, Membership> {
    let mut servers: Vec<(Protocol, IpAddr, &HostTimers)> = by_dest
        .iter()
        .filter_map(|((proto, d), hosts)| match d {
            Destination::Server(ip) => Some((*proto, *ip, hosts)),
            _ => None,
        })
        .collect();
    servers.sort_by_key(|s| (s.0, s.1));
    let mut fleets: BTreeMap<String, Membership> = BTreeMap::new();
    for (protocol, server, hosts) in servers {
        let devices: Vec<(&String, f64)> = hosts
            .iter()
            .filter(|(_, p)| p.device)
            .filter_map(|(h, p)| Some((h, p.timer?.period)))
            .collect();
        if devices.len() < FLEET_OUTLIER_MIN_DEVICES {
            continue;
        }
        let busy = hosts.values().filter(|p| !p.device).count();
        if busy >= devices.len() {
            continue;
        }
        for (host, p) in hosts {
            let Some(own) = p.timer else { continue };
            let alike = devices
                .iter()
                .filter(|(d, period)| *d != host && similar(*period, own.period, similar_period))
                .count();
            if alike < FLEET_OUTLIER_MIN_DEVICES {
                continue;
            }
            let m = Membership {
                protocol,
                server,
                period: own.period,
                devices: alike,
            };
            match fleets.get(host) {
                Some(kept) if kept.devices >= alike => {}
                _ => {
                    fleets.insert(host.clone(), m);
                }
            }
        }
    }
    fleets
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kept_hosts_do_not_depend_on_order_and_a_host_keeps_its_shortest_timer() {
        let names: Vec<String> = (0..MAX_HOSTS_PER_DESTINATION + 50)
            .map(|i| format!("h{i:04}"))
            .collect();
        let mut fwd = HostTimers::new();
        let mut rev = HostTimers::new();
        for n in &names {
            remember(&mut fwd, n, PeerHost::default());
        }
        for n in names.iter().rev() {
            remember(&mut rev, n, PeerHost::default());
        }
        assert_eq!(fwd, rev);
        assert_eq!(fwd.len(), MAX_HOSTS_PER_DESTINATION);
        let mut one = HostTimers::new();
        let timer = |t: Option<f64>| PeerHost {
            timer: t.map(|period| KeptTimer {
                period,
                runs_for: 10.0 * period,
            }),
            device: false,
        };
        remember(&mut one, "a", timer(Some(600.0)));
        remember(&mut one, "a", timer(None));
        remember(&mut one, "a", timer(Some(300.0)));
        assert_eq!(
            one.get("a").and_then(|p| p.timer).map(|t| t.period),
            Some(300.0)
        );
        // A device on any of its channels there is a device.
        remember(
            &mut one,
            "a",
            PeerHost {
                timer: None,
                device: true,
            },
        );
        assert_eq!(
            one.get("a"),
            Some(&PeerHost {
                device: true,
                ..timer(Some(300.0))
            })
        );
    }
}
