//! Prior history: what earlier runs learned, as plain data the engine can judge against (the
//! state store loads it before a run and saves a run's own facts, in the same form, after it).
//! This crate does no I/O; the `state` crate owns the file.
//!
//! Every fact here is a set or an extreme (first seen, last seen, the days a channel was
//! active), never a running count. That is what makes history idempotent: hunting the same
//! records again adds the same days and the same extremes, so the history does not change
//! (see [`History::absorb`]). Times are event times from the data, never the clock of the run,
//! so replaying old logs builds the same history as hunting them on the day.

use crate::protocol::Protocol;
use crate::time::{Micros, format_rfc3339};
use crate::verdict::Suspicion;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::IpAddr;

/// A UTC calendar day: days since 1970-01-01.
pub type Day = i64;

/// Microseconds in a day.
pub const DAY_MICROS: Micros = 86_400_000_000;

/// The UTC day an instant falls on.
pub fn day_of(t: Micros) -> Day {
    t.div_euclid(DAY_MICROS)
}

/// The first instant of a day.
pub fn day_start(d: Day) -> Micros {
    d.saturating_mul(DAY_MICROS)
}

/// A day as `2026-10-03`.
pub fn format_day(d: Day) -> String {
    let t = format_rfc3339(day_start(d));
    t.get(..10).unwrap_or(&t).to_string()
}

/// The `[state]` section of the configuration: how long history is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// Days of history kept, counted back from the newest day the store holds (event time):
    /// facts last seen before that are forgotten when a run is saved. 0 keeps everything.
    pub retention_days: u32,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig { retention_days: 90 }
    }
}

/// When something was first and last seen (event time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub first: Micros,
    pub last: Micros,
}

impl Seen {
    pub fn at(t: Micros) -> Seen {
        Seen { first: t, last: t }
    }

    pub fn union(self, o: Seen) -> Seen {
        Seen {
            first: self.first.min(o.first),
            last: self.last.max(o.last),
        }
    }
}

/// The last alert a channel raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LastAlert {
    /// The alert's last connection (event time).
    pub at: Micros,
    pub score: u8,
    pub suspicion: Suspicion,
}

/// One channel's history, kept by its alert id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelHistory {
    /// The client host: history is partitioned by host, so a consumer that owns some hosts
    /// can keep just theirs.
    pub host: String,
    pub seen: Seen,
    /// The UTC days the channel had connections.
    pub days: BTreeSet<Day>,
    pub last_alert: Option<LastAlert>,
}

/// One client host's history: what it talked to and with what, and when (first and last, so
/// retention can forget what a host stopped doing).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostHistory {
    /// Brokers (address, port) this host reached.
    pub brokers: BTreeMap<(IpAddr, u16), Seen>,
    pub protocols: BTreeMap<Protocol, Seen>,
    /// Processes (basename, lower case) on a protocol.
    pub processes: BTreeMap<(String, Protocol), Seen>,
}

impl HostHistory {
    /// When the host was first seen on any protocol.
    pub fn first_seen(&self) -> Option<Micros> {
        self.protocols.values().map(|s| s.first).min()
    }
}

/// One destination's history: the hosts that reach it, and when.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DestinationHistory {
    pub hosts: BTreeMap<String, Seen>,
}

/// History of channels, hosts and destinations: the prior a run is judged against, and the
/// facts a run adds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct History {
    /// By alert id.
    pub channels: BTreeMap<String, ChannelHistory>,
    pub hosts: BTreeMap<String, HostHistory>,
    pub destinations: BTreeMap<(IpAddr, u16), DestinationHistory>,
    /// The earliest instant the whole store knows, when only the part a run needs was loaded
    /// ([`HistoryKeys`]): "new" is judged against all of history, not against the part loaded.
    pub earliest_known: Option<Micros>,
}

/// What of the history a run is judged against: its channels (by alert id), the destinations
/// its groups reach and the processes (basename, lower case, on a protocol) they ran. A store
/// loads that part only, so a run's memory follows its own groups, not the history's size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryKeys {
    pub channels: BTreeSet<String>,
    pub destinations: BTreeSet<(IpAddr, u16)>,
    pub processes: BTreeSet<(String, Protocol)>,
}

/// Where a long-running reader (a `stream` member) gets, for each rating, the part of the
/// history its groups are judged against: a store read once per closed window, instead of the
/// whole history held for the life of the process. Errors are the source's own, in words.
pub trait PriorSource: Send {
    fn load_for(&self, keys: &HistoryKeys) -> Result<History, String>;
}

/// Hosts a partial load keeps per destination: the first this many by name (and the one that
/// reached it first). Judging a group counts at most 256 hosts the history alone saw, skipping
/// the group's own host and the up to 256 the run itself remembers for the destination, so the
/// first 2 × 256 + 1 by name give the same count as all of them.
pub const DESTINATION_HOSTS_LOADED: usize = 2 * 256 + 1;

/// When each broker and each process (on a protocol) was first seen, over one or more
/// histories, indexed once. Judging every group of a run is then one lookup per group; scanning
/// the hosts that reach a broker, or every host's processes, for each group made a run with many
/// hosts on one broker quadratic (300,000 hosts on one broker: judging alone ran for more than 16 minutes).
#[derive(Debug, Clone, Default)]
pub struct FirstSeenIndex {
    brokers: HashMap<(IpAddr, u16), Micros>,
    /// By protocol, then process, so a lookup borrows the name.
    processes: HashMap<Protocol, HashMap<String, Micros>>,
}

impl FirstSeenIndex {
    /// Adds a history: each broker's and process's earliest first-seen over the histories added.
    pub fn add(&mut self, h: &History) {
        fn earliest<K: std::hash::Hash + Eq>(m: &mut HashMap<K, Micros>, k: K, t: Micros) {
            m.entry(k).and_modify(|v| *v = (*v).min(t)).or_insert(t);
        }
        for (dst, d) in &h.destinations {
            if let Some(t) = d.hosts.values().map(|s| s.first).min() {
                earliest(&mut self.brokers, *dst, t);
            }
        }
        for host in h.hosts.values() {
            for ((process, protocol), s) in &host.processes {
                let by_name = self.processes.entry(*protocol).or_default();
                match by_name.get_mut(process.as_str()) {
                    Some(t) => *t = (*t).min(s.first),
                    None => {
                        by_name.insert(process.clone(), s.first);
                    }
                }
            }
        }
    }

    /// When any host first reached a broker.
    pub fn broker(&self, ip: IpAddr, port: u16) -> Option<Micros> {
        self.brokers.get(&(ip, port)).copied()
    }

    /// When any host first ran a process (basename, lower case) on a protocol.
    pub fn process(&self, process: &str, protocol: Protocol) -> Option<Micros> {
        self.processes.get(&protocol)?.get(process).copied()
    }
}

fn union_into<K: Ord>(map: &mut BTreeMap<K, Seen>, k: K, s: Seen) {
    map.entry(k).and_modify(|v| *v = v.union(s)).or_insert(s);
}

impl History {
    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.hosts.is_empty() && self.destinations.is_empty()
    }

    /// The earliest instant the history knows anything about.
    pub fn earliest(&self) -> Option<Micros> {
        let c = self.channels.values().map(|c| c.seen.first);
        let h = self.hosts.values().filter_map(HostHistory::first_seen);
        c.chain(h).chain(self.earliest_known).min()
    }

    /// The newest instant the history knows anything about.
    pub fn latest(&self) -> Option<Micros> {
        self.channels.values().map(|c| c.seen.last).max()
    }

    /// How many hosts reach a destination (for a prevalence judgement over weeks).
    pub fn hosts_reaching(&self, ip: IpAddr, port: u16) -> usize {
        self.destinations
            .get(&(ip, port))
            .map_or(0, |d| d.hosts.len())
    }

    /// Adds another history's facts: unions of days and hosts, extremes of times, the later of
    /// two last alerts. Commutative, associative and idempotent (`h.absorb(&h)` leaves `h`
    /// unchanged), which is why re-hunting the same records leaves history as it was.
    pub fn absorb(&mut self, o: &History) {
        for (id, c) in &o.channels {
            match self.channels.get_mut(id) {
                None => {
                    self.channels.insert(id.clone(), c.clone());
                }
                Some(mine) => {
                    mine.seen = mine.seen.union(c.seen);
                    mine.days.extend(c.days.iter().copied());
                    mine.last_alert = later_alert(mine.last_alert, c.last_alert);
                }
            }
        }
        for (name, h) in &o.hosts {
            let mine = self.hosts.entry(name.clone()).or_default();
            for (k, s) in &h.brokers {
                union_into(&mut mine.brokers, *k, *s);
            }
            for (k, s) in &h.protocols {
                union_into(&mut mine.protocols, *k, *s);
            }
            for (k, s) in &h.processes {
                union_into(&mut mine.processes, k.clone(), *s);
            }
        }
        for (k, d) in &o.destinations {
            let mine = self.destinations.entry(*k).or_default();
            for (host, s) in &d.hosts {
                union_into(&mut mine.hosts, host.clone(), *s);
            }
        }
        self.earliest_known = match (self.earliest_known, o.earliest_known) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// The later of two last alerts; at the same instant the higher score, so the choice does not
/// depend on which run came first.
pub fn later_alert(a: Option<LastAlert>, b: Option<LastAlert>) -> Option<LastAlert> {
    match (a, b) {
        (Some(x), Some(y)) => Some(
            if (y.at, y.score, y.suspicion) > (x.at, x.score, x.suspicion) {
                y
            } else {
                x
            },
        ),
        (x, y) => x.or(y),
    }
}

/// The sentence an alert carries about its channel's history: "seen in earlier runs: first
/// seen 2026-10-03, active 41 of 63 days" or "new today: no earlier run recorded this channel".
/// `prior` is what earlier runs knew of the channel, `run` what this run saw of it.
pub fn history_reason(prior: Option<&ChannelHistory>, run: &ChannelHistory) -> String {
    let mut days = run.days.clone();
    let mut seen = run.seen;
    if let Some(p) = prior {
        days.extend(p.days.iter().copied());
        seen = seen.union(p.seen);
    }
    let first = day_of(seen.first);
    let last = days.last().copied().unwrap_or(first).max(day_of(seen.last));
    let span = last - first + 1;
    let active = format!(
        "first seen {}, active {} of {} days",
        format_day(first),
        days.len(),
        span
    );
    match prior {
        Some(p) => {
            let mut s = format!("seen in earlier runs: {active}");
            if let Some(a) = p.last_alert {
                s.push_str(&format!(
                    "; last alerted {} at score {} ({})",
                    format_day(day_of(a.at)),
                    a.score,
                    a.suspicion
                ));
            }
            s
        }
        None if span == 1 => "new today: no earlier run recorded this channel".to_string(),
        None => format!("new: no earlier run recorded this channel; {active}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-10-03T00:00:00Z.
    const OCT3: Micros = 1_791_000_000_000_000 - 1_791_000_000_000_000 % DAY_MICROS;

    fn channel(first: Micros, last: Micros, days: &[Day]) -> ChannelHistory {
        ChannelHistory {
            host: "ws-01".into(),
            seen: Seen { first, last },
            days: days.iter().copied().collect(),
            last_alert: None,
        }
    }

    fn sample(id: &str, first: Micros, last: Micros, score: u8) -> History {
        let mut h = History::default();
        let mut c = channel(first, last, &[day_of(first), day_of(last)]);
        c.last_alert = Some(LastAlert {
            at: last,
            score,
            suspicion: Suspicion::Medium,
        });
        h.channels.insert(id.into(), c);
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        let host = h.hosts.entry("ws-01".into()).or_default();
        host.brokers.insert((ip, 1883), Seen { first, last });
        host.protocols.insert(Protocol::Mqtt, Seen { first, last });
        host.processes
            .insert(("a.exe".into(), Protocol::Mqtt), Seen { first, last });
        h.destinations
            .entry((ip, 1883))
            .or_default()
            .hosts
            .insert("ws-01".into(), Seen { first, last });
        h
    }

    #[test]
    fn the_day_is_the_utc_calendar_day() {
        assert_eq!(format_day(day_of(OCT3)), "2026-10-03");
        assert_eq!(format_day(day_of(OCT3 + DAY_MICROS - 1)), "2026-10-03");
        assert_eq!(format_day(day_of(OCT3 + DAY_MICROS)), "2026-10-04");
        assert_eq!(day_of(-1), -1);
    }

    #[test]
    fn absorbing_is_idempotent_and_order_free() {
        let a = sample("c1", OCT3, OCT3 + 3 * DAY_MICROS, 40);
        let b = sample("c1", OCT3 - DAY_MICROS, OCT3 + 5, 70);
        let mut twice = a.clone();
        twice.absorb(&a);
        assert_eq!(twice, a, "the same facts again change nothing");
        let mut ab = a.clone();
        ab.absorb(&b);
        let mut ba = b.clone();
        ba.absorb(&a);
        assert_eq!(ab, ba);
        let c = &ab.channels["c1"];
        assert_eq!(c.seen.first, OCT3 - DAY_MICROS);
        assert_eq!(c.seen.last, OCT3 + 3 * DAY_MICROS);
        assert_eq!(c.days.len(), 3);
        // The later alert wins, whichever run came first.
        assert_eq!(c.last_alert.map(|a| a.score), Some(40));
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        // Indexed from the two histories apart, or from their union: the same first times.
        let mut apart = FirstSeenIndex::default();
        apart.add(&b);
        apart.add(&a);
        let mut joined = FirstSeenIndex::default();
        joined.add(&ab);
        for first in [&apart, &joined] {
            assert_eq!(first.broker(ip, 1883), Some(OCT3 - DAY_MICROS));
            assert_eq!(first.broker(ip, 8883), None);
            assert_eq!(
                first.process("a.exe", Protocol::Mqtt),
                Some(OCT3 - DAY_MICROS)
            );
            assert_eq!(first.process("a.exe", Protocol::Amqp), None);
        }
        assert_eq!(ab.hosts_reaching(ip, 1883), 1);
        assert_eq!(ab.hosts_reaching(ip, 8883), 0);
        assert_eq!(ab.earliest(), Some(OCT3 - DAY_MICROS));
    }

    #[test]
    fn the_reason_counts_days_over_prior_and_run() {
        let run = channel(
            OCT3 + 62 * DAY_MICROS,
            OCT3 + 62 * DAY_MICROS + 9,
            &[day_of(OCT3) + 62],
        );
        assert_eq!(
            history_reason(None, &run),
            "new today: no earlier run recorded this channel"
        );
        let days: Vec<Day> = (0..40).map(|i| day_of(OCT3) + i).collect();
        let mut prior = channel(OCT3, OCT3 + 39 * DAY_MICROS, &days);
        prior.last_alert = Some(LastAlert {
            at: OCT3 + 39 * DAY_MICROS,
            score: 57,
            suspicion: Suspicion::High,
        });
        assert_eq!(
            history_reason(Some(&prior), &run),
            "seen in earlier runs: first seen 2026-10-03, active 41 of 63 days; last alerted \
             2026-11-11 at score 57 (high)"
        );
        let two = channel(OCT3, OCT3 + DAY_MICROS, &[day_of(OCT3), day_of(OCT3) + 1]);
        assert_eq!(
            history_reason(None, &two),
            "new: no earlier run recorded this channel; first seen 2026-10-03, active 2 of 2 days"
        );
    }
}
