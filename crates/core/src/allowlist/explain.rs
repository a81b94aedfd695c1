//! What a default allowlist entry may absorb: the behaviour evidence its class produces by design
//! ([`Explains`]: a set of signals and the condition under which the class produces them), the
//! evidence an entry leaves unexplained for one alert ([`unexplained`]), and the one fact those
//! conditions need that no single group carries: how many hosts reach a destination ([`Reach`]).
//!
//! The point of the conditions: an entry describes a class of traffic, and some evidence is
//! normal only for the whole class. A fleet of thermostats publishes to its AWS IoT endpoint on a
//! timer; one workstation doing the same is what an implant on the attacker's own cloud account
//! looks like. So the cloud IoT entries explain timing only for the hosts named as IoT devices or
//! when many hosts reach the endpoint alike, and an internal chat server's entry explains timing
//! only when many hosts reach that server.

use crate::app::AppInfo;
use crate::behaviour::destination::{is_domain_name, normalize_name};
use crate::signal::SignalId;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;
use std::net::IpAddr;

/// How many hosts make "many hosts" in the shipped entries' conditions: a fleet or a shared
/// server, not one host and not a pair.
pub const MANY_HOSTS: usize = 3;

/// Most hosts [`Reach`] remembers per destination. Conditions ask for a few, so counting can stop
/// well before and memory stays bounded by the group table.
pub const MAX_HOSTS_COUNTED: usize = 64;

/// Regular timing: connection starts, or publications inside one session.
pub const TIMING: &[SignalId] = &[SignalId::Beacon, SignalId::MessageBeacon];

/// Publication rates against the client's own history and the broker's other clients.
pub const RATE: &[SignalId] = &[SignalId::RateBurst, SignalId::RateAbovePeers];

/// What the conditions look at: the host, and how many hosts reach the destination
/// (`AllowSubject::host_reach`).
#[derive(Debug, Clone, Copy)]
pub struct HostReach<'a> {
    pub host: &'a str,
    /// The host is one of `[hosts] iot`.
    pub iot_host: bool,
    /// Distinct hosts reaching the destination, this one included.
    pub hosts_reaching: usize,
    /// The source names the program: its own evidence (a shell, a temporary path) then says
    /// whether it is what the entry describes, and a premise is not needed to tell.
    pub program_known: bool,
}

/// Evidence that overrides every default entry that does not explain it, whatever its weight:
/// regular timing, command vocabulary and known C2 patterns, command payloads, shells, script
/// hosts, LOLBins, network tools, images in temporary or download folders, dynamic DNS, tunnels,
/// a cloud IoT endpoint reached from a host outside `[hosts] iot`, retired services. The engine
/// halves a beacon to an internal destination and a hunter may lower any weight, but none of
/// these is what a benign class looks like unless its entry says so. Weaker evidence (random
/// tokens, an interpreter, a user-writable path, a new broker) only counts toward
/// `default_allowlist_yields_at`.
pub const DECISIVE: &[SignalId] = &[
    SignalId::Beacon,
    SignalId::MessageBeacon,
    SignalId::C2Vocabulary,
    SignalId::KnownC2Pattern,
    SignalId::WildcardCommandTree,
    SignalId::PayloadFernet,
    SignalId::TelemetryPayloadOpaque,
    SignalId::ProcessShell,
    SignalId::ProcessScriptHost,
    SignalId::ProcessLolbin,
    SignalId::ProcessNetworkTool,
    SignalId::ProcessInTemp,
    SignalId::ProcessInDownloads,
    SignalId::DynamicDns,
    SignalId::TunnelService,
    SignalId::CloudIotFromOtherHost,
    SignalId::RetiredCloudIot,
    SignalId::RetiredChatService,
];

/// When an entry's class produces a set of signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "condition", content = "hosts")]
pub enum When {
    /// On any one host: the class does this by design (a push service keeps a heartbeat).
    Always,
    /// Only when at least this many hosts reach the destination: shared infrastructure.
    ReachedBy(usize),
    /// Only for a host named in `[hosts] iot`, or when at least this many hosts reach the
    /// destination: a fleet of devices alike.
    IotHostOrReachedBy(usize),
}

impl When {
    /// Whether the condition holds for this subject.
    pub fn holds(self, s: &HostReach<'_>) -> bool {
        match self {
            When::Always => true,
            When::ReachedBy(n) => s.hosts_reaching >= n,
            When::IotHostOrReachedBy(n) => s.iot_host || s.hosts_reaching >= n,
        }
    }

    /// The condition in words, as it ends "explains X ...": `always`, `when at least 3 hosts
    /// reach the destination`.
    pub fn describe(self) -> String {
        match self {
            When::Always => "always".to_string(),
            When::ReachedBy(n) => format!("when at least {n} hosts reach the destination"),
            When::IotHostOrReachedBy(n) => format!(
                "for hosts named in [hosts] iot, or when at least {n} hosts reach the destination"
            ),
        }
    }

    /// What the subject showed against the condition, for an alert's reasons.
    fn observed(self, s: &HostReach<'_>) -> String {
        let reach = match s.hosts_reaching {
            1 => "1 host reaches it".to_string(),
            n => format!("{n} hosts reach it"),
        };
        match self {
            When::Always => String::new(),
            When::ReachedBy(_) => reach,
            When::IotHostOrReachedBy(_) => {
                format!("{} is not named in [hosts] iot and {reach}", s.host)
            }
        }
    }
}

/// A set of signals an entry's class produces by design, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explains {
    pub signals: Vec<SignalId>,
    pub when: When,
    /// The class rests on the condition: where it does not hold and the source does not name
    /// the program, these signals contradict the entry and override it whatever their weight,
    /// like [`DECISIVE`] evidence. A cloud IoT entry describes a fleet, and an endpoint only one
    /// host reaches (`sole_host_destination`) is no fleet's: it is one account, which is what an
    /// attacker's own looks like. Where the program is named, what it is decides (a gateway's
    /// Java runtime, or a shell, which is decisive anyway).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub premise: bool,
}

impl Explains {
    /// The signals of several lists (`&[TIMING, RATE]`), under one condition.
    pub fn new(lists: &[&[SignalId]], when: When) -> Explains {
        Explains {
            signals: lists.iter().flat_map(|l| l.iter().copied()).collect(),
            when,
            premise: false,
        }
    }

    /// Signals the class's premise rules out unless `when` holds (see [`Explains::premise`]).
    pub fn premise(signals: &[SignalId], when: When) -> Explains {
        Explains {
            signals: signals.to_vec(),
            when,
            premise: true,
        }
    }

    /// `beacon, message_beacon (always)`.
    pub fn describe(&self) -> String {
        let ids: Vec<&str> = self.signals.iter().map(|s| s.as_str()).collect();
        format!("{} ({})", ids.join(", "), self.condition())
    }

    /// When the set is explained, in words, with what a premise does otherwise: `always`,
    /// `for hosts named in [hosts] iot, …; otherwise, when the source does not name the
    /// program, it overrides the entry`.
    pub fn condition(&self) -> String {
        let when = self.when.describe();
        if self.premise {
            format!("{when}; {PREMISE_OTHERWISE}")
        } else {
            when
        }
    }
}

/// What evidence against a premise does where the premise's condition fails.
const PREMISE_OTHERWISE: &str =
    "otherwise, when the source does not name the program, it overrides the entry";

/// A piece of positive evidence an entry does not explain for one alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Unexplained {
    pub id: SignalId,
    pub weight: f64,
    /// The entry's condition for explaining this signal, when it has one that does not hold here.
    pub unmet: Option<When>,
    /// The signal contradicts the entry's premise ([`Explains::premise`]).
    pub against_premise: bool,
}

impl Unexplained {
    /// Whether this evidence overrides an entry on its own: [`DECISIVE`] evidence, or evidence
    /// against the entry's premise.
    pub fn decisive(&self) -> bool {
        self.against_premise || DECISIVE.contains(&self.id)
    }
}

/// The positive evidence among `signals` that `explains` does not cover for this subject: every
/// signal with a positive weight that no set lists under a condition that holds.
pub fn unexplained(
    explains: &[Explains],
    s: &HostReach<'_>,
    signals: &BTreeMap<SignalId, f64>,
) -> Vec<Unexplained> {
    signals
        .iter()
        .filter(|(_, w)| **w > 0.0)
        .filter_map(|(id, w)| {
            let mut sets = explains
                .iter()
                .filter(|e| e.signals.contains(id))
                .peekable();
            let unmet = sets.peek().map(|e| e.when);
            let against_premise = !s.program_known && sets.peek().is_some_and(|e| e.premise);
            if sets.any(|e| e.when.holds(s)) {
                return None;
            }
            Some(Unexplained {
                id: *id,
                weight: *w,
                unmet,
                against_premise,
            })
        })
        .collect()
}

/// The unexplained evidence in words: `beacon (+28; explained only when at least 3 hosts reach
/// the destination, and 1 host reaches it), process_in_user_writable (+10)`.
pub fn describe_unexplained(list: &[Unexplained], s: &HostReach<'_>) -> String {
    let mut out = String::new();
    for (i, u) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(if i + 1 == list.len() { " and " } else { ", " });
        }
        let _ = write!(out, "{} ({:+.0}", u.id, u.weight);
        if let Some(when) = u.unmet {
            let _ = write!(
                out,
                "; explained only {}, and {}",
                when.describe(),
                when.observed(s)
            );
        }
        out.push(')');
    }
    out
}

/// How many distinct hosts reach each destination, by address and port and by server name, so an
/// entry can ask whether a destination is shared. Bounded: at most [`MAX_HOSTS_COUNTED`] hosts
/// per destination, and one destination per group and name the analytics hold.
#[derive(Debug, Default, Clone)]
pub struct Reach {
    by_addr: HashMap<(IpAddr, u16), BTreeSet<String>>,
    by_name: HashMap<String, BTreeSet<String>>,
}

fn remember(set: &mut BTreeSet<String>, host: &str) {
    if set.len() < MAX_HOSTS_COUNTED && !set.contains(host) {
        set.insert(host.to_string());
    }
}

/// The names a group gives its destination: resolved by the log source, and announced in its
/// sessions (SNI, XMPP `to`), normalised; only DNS names count ([`is_domain_name`]: a virtual
/// host `/` is every broker's).
pub(crate) fn names_of<'n>(
    names: impl IntoIterator<Item = &'n String>,
    app: Option<&'n AppInfo>,
) -> impl Iterator<Item = String> {
    names
        .into_iter()
        .chain(app.into_iter().flat_map(|a| a.server_names.iter()))
        .map(|n| normalize_name(n))
        .filter(|n| is_domain_name(n))
}

/// One group as [`Reach::of`] reads it: host, destination address and port, the names its log
/// source resolved, and what inspection learned.
pub type ReachInput<'g> = (&'g str, IpAddr, u16, &'g [String], Option<&'g AppInfo>);

impl Reach {
    /// Counts every group by its address and port and by the names it was given (its own
    /// host's server names and lookups, joined before this is called).
    pub fn of<'g>(groups: impl IntoIterator<Item = ReachInput<'g>>) -> Reach {
        let mut r = Reach::default();
        for (host, ip, port, names, app) in groups {
            r.add(host, ip, port, names.iter(), app);
        }
        r
    }

    /// Records that `host` reached `ip`:`port`, known by these names.
    pub fn add<'n>(
        &mut self,
        host: &str,
        ip: IpAddr,
        port: u16,
        names: impl IntoIterator<Item = &'n String>,
        app: Option<&'n AppInfo>,
    ) {
        remember(self.by_addr.entry((ip, port)).or_default(), host);
        for n in names_of(names, app) {
            remember(self.by_name.entry(n).or_default(), host);
        }
    }

    /// Distinct hosts that reach this destination: by the most-shared of its names when it has
    /// any, else by its address and port; at least 1. A name wins over the address because
    /// cloud providers serve many tenants from one address pool: by address, a foreign
    /// tenant's endpoint (an implant's own AWS IoT account) would look as shared as the fleet's.
    pub fn hosts_reaching<'n>(
        &self,
        ip: IpAddr,
        port: u16,
        names: impl IntoIterator<Item = &'n String>,
        app: Option<&'n AppInfo>,
    ) -> usize {
        let by_name = names_of(names, app)
            .filter_map(|n| self.by_name.get(&n).map(BTreeSet::len))
            .max();
        by_name
            .unwrap_or_else(|| self.by_addr.get(&(ip, port)).map_or(0, BTreeSet::len))
            .max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(hosts_reaching: usize, iot_host: bool) -> HostReach<'static> {
        HostReach {
            host: "ws-17",
            iot_host,
            hosts_reaching,
            program_known: false,
        }
    }

    #[test]
    fn conditions_hold_for_fleets_and_named_hosts_only() {
        assert!(When::Always.holds(&subject(1, false)));
        assert!(!When::ReachedBy(3).holds(&subject(2, false)));
        assert!(When::ReachedBy(3).holds(&subject(3, false)));
        assert!(!When::IotHostOrReachedBy(3).holds(&subject(1, false)));
        assert!(When::IotHostOrReachedBy(3).holds(&subject(1, true)));
        assert!(When::IotHostOrReachedBy(3).holds(&subject(5, false)));
    }

    #[test]
    fn unexplained_evidence_names_the_unmet_condition() {
        let explains = [
            Explains::new(&[&[SignalId::CloudIotEndpoint]], When::Always),
            Explains::new(&[TIMING, RATE], When::IotHostOrReachedBy(3)),
        ];
        let signals: BTreeMap<SignalId, f64> = [
            (SignalId::Beacon, 28.0),
            (SignalId::CloudIotEndpoint, 5.0),
            (SignalId::ProcessInUserWritable, 10.0),
            (SignalId::LibraryClientId, -5.0),
        ]
        .into();
        let lone = subject(1, false);
        let u = unexplained(&explains, &lone, &signals);
        let ids: Vec<SignalId> = u.iter().map(|x| x.id).collect();
        assert_eq!(
            ids,
            [SignalId::Beacon, SignalId::ProcessInUserWritable],
            "negative and explained evidence never counts"
        );
        assert_eq!(u[0].unmet, Some(When::IotHostOrReachedBy(3)));
        assert_eq!(u[1].unmet, None);
        let words = describe_unexplained(&u, &lone);
        assert_eq!(
            words,
            "beacon (+28; explained only for hosts named in [hosts] iot, or when at least 3 \
             hosts reach the destination, and ws-17 is not named in [hosts] iot and 1 host \
             reaches it) and process_in_user_writable (+10)"
        );
        // A fleet's timing is explained; the process still is not.
        let fleet = unexplained(&explains, &subject(4, false), &signals);
        assert_eq!(fleet.len(), 1);
        assert_eq!(fleet[0].id, SignalId::ProcessInUserWritable);
    }

    #[test]
    fn reach_counts_hosts_by_address_and_by_name() {
        let mut r = Reach::default();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let aws = ["A1-ats.iot.eu-west-1.amazonaws.com.".to_string()];
        let none = BTreeSet::new();
        r.add("t1", ip("52.48.17.198"), 8883, &aws, None);
        r.add("t2", ip("52.48.17.198"), 8883, &none, None);
        r.add("t2", ip("52.48.17.198"), 8883, &none, None);
        // The same endpoint on another address, known by its name only.
        r.add("meter", ip("52.48.17.199"), 443, &aws, None);
        assert_eq!(r.hosts_reaching(ip("52.48.17.198"), 8883, &none, None), 2);
        assert_eq!(r.hosts_reaching(ip("52.48.17.199"), 443, &none, None), 1);
        assert_eq!(r.hosts_reaching(ip("52.48.17.199"), 443, &aws, None), 2);
        let mut app = AppInfo::default();
        app.server_names
            .insert("a1-ats.iot.eu-west-1.amazonaws.com".into());
        assert_eq!(r.hosts_reaching(ip("9.9.9.9"), 8883, &none, Some(&app)), 2);
        assert_eq!(r.hosts_reaching(ip("9.9.9.9"), 8883, &none, None), 1);
        // A foreign tenant on the fleet's address pool is judged by its own name: one host.
        let foreign = ["zz9-ats.iot.eu-west-1.amazonaws.com".to_string()];
        r.add("ws-7", ip("52.48.17.198"), 8883, &foreign, None);
        assert_eq!(
            r.hosts_reaching(ip("52.48.17.198"), 8883, &foreign, None),
            1
        );
        assert_eq!(r.hosts_reaching(ip("52.48.17.198"), 8883, &none, None), 3);
        for i in 0..200 {
            r.add(&format!("h{i}"), ip("10.0.0.1"), 5222, &none, None);
        }
        // The same name on two addresses of the pool: one destination, two hosts.
        let gw = Reach::of([
            ("gw", ip("52.48.17.200"), 8883, aws.as_slice(), None),
            ("t1", ip("52.48.17.198"), 8883, aws.as_slice(), None),
        ]);
        assert_eq!(gw.hosts_reaching(ip("52.48.17.200"), 8883, &aws, None), 2);
        assert_eq!(
            r.hosts_reaching(ip("10.0.0.1"), 5222, &none, None),
            MAX_HOSTS_COUNTED
        );
    }
}
