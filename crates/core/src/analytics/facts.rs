//! Facts other logs give about a channel's destination or sessions, kept apart from the
//! connections and joined to the groups when they are rated: names DNS answers gave addresses
//! (Zeek `dns.log`), and what content logs (Zeek `mqtt_*.log`) learned about sessions. Each
//! table is bounded like the groups, and the join does not depend on which file or thread saw
//! the facts or the connections first.

use super::group::{GroupMap, MAX_NAMES_PER_GROUP, merge_app};
use crate::app::AppInfo;
use crate::bounded::insert_smallest;
use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

/// A channel's content facts: (initiator, responder, responder port).
pub(super) type FactKey = (IpAddr, IpAddr, u16);

/// Under whose name a destination's names are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Asker {
    /// The client whose lookup or session gave the name.
    Host(IpAddr),
    /// Whoever gave it: every name of the address, from any client or none.
    Anyone,
    /// Names whose source did not say who asked: the address's names for every host, not
    /// another host's.
    Unattributed,
}

impl Asker {
    /// The keys a name given for `client` is kept under.
    pub(super) fn keys(client: Option<IpAddr>) -> [Asker; 2] {
        [
            Asker::Anyone,
            client.map_or(Asker::Unattributed, Asker::Host),
        ]
    }
}

/// Names DNS answers gave addresses, for any port: by (who asked, address).
pub(super) type AddrNames = HashMap<(Asker, IpAddr), BTreeSet<String>, foldhash::fast::RandomState>;
/// A destination name's key: who carried it, the destination address and port.
pub(super) type DestKey = (Asker, IpAddr, u16);
/// Names other logs gave destinations (Zeek `ssl.log` server names).
pub(super) type DestNames = HashMap<DestKey, BTreeSet<String>, foldhash::fast::RandomState>;
/// What content logs learned about sessions, per channel.
pub(super) type SessionFacts = HashMap<FactKey, Box<AppInfo>, foldhash::fast::RandomState>;

/// Adds names to an address, keeping at most `max_entries` addresses (the others counted in
/// `dropped`) and the smallest names of each.
pub(super) fn add_addr_names<'n>(
    table: &mut AddrNames,
    dropped: &mut u64,
    key: (Asker, IpAddr),
    names: impl Iterator<Item = &'n str>,
    max_entries: usize,
) {
    let full = table.len() >= max_entries;
    match table.get_mut(&key) {
        Some(set) => {
            for n in names {
                insert_smallest(set, n, MAX_NAMES_PER_GROUP);
            }
        }
        None if full => *dropped += 1,
        None => {
            let mut set = BTreeSet::new();
            for n in names {
                insert_smallest(&mut set, n, MAX_NAMES_PER_GROUP);
            }
            table.insert(key, set);
        }
    }
}

/// Names found for a group's destination, and whose they are.
pub(super) type FoundNames<'t> = (&'t BTreeSet<String>, Whose);

/// Whose names a group found for its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Whose {
    /// Its own host's lookups or sessions gave them.
    Own,
    /// Borrowed, and some came from a source that did not say who asked: the address's names.
    Unattributed,
    /// Borrowed, all from other hosts' lookups or sessions: another tenant's, perhaps.
    OtherHosts,
}

fn found<'t, K: std::hash::Hash + Eq>(
    table: &'t HashMap<K, BTreeSet<String>, foldhash::fast::RandomState>,
    key: impl Fn(Asker) -> K,
    client: Option<IpAddr>,
) -> Option<FoundNames<'t>> {
    if let Some(own) = client.and_then(|c| table.get(&key(Asker::Host(c)))) {
        return Some((own, Whose::Own));
    }
    let anyone = table.get(&key(Asker::Anyone))?;
    let whose = if table.contains_key(&key(Asker::Unattributed)) {
        Whose::Unattributed
    } else {
        Whose::OtherHosts
    };
    Some((anyone, whose))
}

/// The names DNS gave a group's destination: those its own host looked up when the data shows
/// them (a cloud provider's address serves many tenants, and another host's lookup names
/// another tenant), else, borrowed, those anyone looked up.
pub(super) fn names_for(
    table: &AddrNames,
    client: Option<IpAddr>,
    dst: IpAddr,
) -> Option<FoundNames<'_>> {
    found(table, |a| (a, dst), client)
}

/// The server names a group's destination was given: those its own host's sessions carried
/// when the data shows them, else, borrowed, any host's.
pub(super) fn dest_names_for(
    table: &DestNames,
    client: Option<IpAddr>,
    dst: IpAddr,
    port: u16,
) -> Option<FoundNames<'_>> {
    found(table, |a| (a, dst, port), client)
}

/// Adds one session's facts to its channel, keeping at most `max_entries` channels.
pub(super) fn add_session_facts(
    table: &mut SessionFacts,
    dropped: &mut u64,
    key: FactKey,
    app: Box<AppInfo>,
    max_entries: usize,
) {
    let full = table.len() >= max_entries;
    match table.get_mut(&key) {
        Some(a) => a.merge(&app),
        None if full => *dropped += 1,
        None => {
            table.insert(key, app);
        }
    }
}

/// Merges content facts into the groups of their channel, matched by the group's host (the
/// initiator's address, for Zeek, the source that logs content) and destination. Facts join
/// the groups of their own window or, when the channel has none there, of the latest earlier
/// one (a long session's messages belong to the connection that began then), else the
/// earliest. They merge in key order, so the result does not depend on which thread read what.
pub(super) fn join_session_facts(groups: &mut GroupMap, facts: SessionFacts) {
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
