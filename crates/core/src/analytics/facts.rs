//! Facts other logs give about a channel's destination or sessions, kept apart from the
//! connections and joined to the groups when they are rated: names DNS answers gave addresses
//! (Zeek `dns.log`), and what content logs (Zeek `mqtt_*.log`) learned about sessions. Each
//! table is bounded like the groups, and the join does not depend on which file or thread saw
//! the facts or the connections first.

use super::group::{GroupMap, MAX_NAMES_PER_GROUP, merge_app};
use super::{Accumulator, Engine};
use crate::app::AppInfo;
use crate::bounded::insert_smallest;
use crate::config::HuntConfig;
use crate::time::Micros;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// A channel's content facts: (initiator, responder, responder port).
pub(super) type FactKey = (IpAddr, IpAddr, u16);

impl Engine {
    /// Records the names a DNS answer gave addresses (a Zeek `dns.log` A/AAAA answer): each
    /// address is named by every name, whatever the port, since DNS does not say which service
    /// the client went on to reach. They join the groups of those addresses when rated, like
    /// [`observe_dest_name`](Self::observe_dest_name).
    pub fn observe_addr_names(&self, addrs: &[IpAddr], names: &[String], acc: &mut Accumulator) {
        let names: Vec<&str> = names
            .iter()
            .map(|n| crate::app::bounded_name(n.trim()))
            .filter(|n| !n.is_empty() && *n != "-")
            .collect();
        if names.is_empty() {
            return;
        }
        for ip in addrs {
            acc.add_addr_names(*ip, names.iter().copied(), &self.cfg);
        }
    }

    /// Records what a content log learned about one session (a Zeek `mqtt_*.log` record) of the
    /// channel `src` → `dst`:`port` at `ts`. It joins that channel's groups when they are rated
    /// (`join_session_facts`), so it does not matter which file or thread saw it or the
    /// connections first.
    pub fn observe_session_facts(
        &self,
        src: IpAddr,
        dst: IpAddr,
        port: u16,
        ts: Option<Micros>,
        app: Box<AppInfo>,
        acc: &mut Accumulator,
    ) {
        // A channel is one alert whatever the window, so facts join it by endpoints alone; the
        // time is kept in the interface for the sources that give one.
        let _ = ts;
        acc.add_session_facts((src, dst, port), app, &self.cfg);
    }
}

impl Accumulator {
    pub(super) fn add_addr_names<'n>(
        &mut self,
        ip: IpAddr,
        names: impl Iterator<Item = &'n str>,
        cfg: &HuntConfig,
    ) {
        let full = self.addr_names.len() >= cfg.limits.max_groups;
        match self.addr_names.get_mut(&ip) {
            Some(set) => {
                for n in names {
                    insert_smallest(set, n, MAX_NAMES_PER_GROUP);
                }
            }
            None if full => self.addr_names_dropped += 1,
            None => {
                let mut set = BTreeSet::new();
                for n in names {
                    insert_smallest(&mut set, n, MAX_NAMES_PER_GROUP);
                }
                self.addr_names.insert(ip, set);
            }
        }
    }

    pub(super) fn add_session_facts(&mut self, key: FactKey, app: Box<AppInfo>, cfg: &HuntConfig) {
        let full = self.session_facts.len() >= cfg.limits.max_groups;
        match self.session_facts.get_mut(&key) {
            Some(a) => a.merge(&app),
            None if full => self.session_facts_dropped += 1,
            None => {
                self.session_facts.insert(key, app);
            }
        }
    }
}

/// Merges content facts into the groups of their channel, matched by the group's host (the
/// initiator's address, for Zeek, the source that logs content) and destination. Facts join
/// the groups of their own window or, when the channel has none there, of the latest earlier
/// one (a long session's messages belong to the connection that began then), else the
/// earliest. They merge in key order, so the result does not depend on which thread read what.
pub(super) fn join_session_facts(
    groups: &mut GroupMap,
    facts: HashMap<FactKey, Box<AppInfo>, foldhash::fast::RandomState>,
) {
    if facts.is_empty() {
        return;
    }
    for (k, stats) in groups.iter_mut() {
        if let Ok(host) = k.host.parse::<IpAddr>()
            && let Some(app) = facts.get(&(host, k.dst_ip, k.dst_port))
        {
            merge_app(&mut stats.app, app);
        }
    }
}
