//! What became of every group and of the records that formed none, for `pubsub-hunt explain`:
//! a hunter asking "why was host X not alerted?" needs the fate of groups that never reach the
//! output (below the connection threshold, rated below the least suspicion, suppressed by an
//! allowlist entry) and of records that never formed a group (not a candidate, excluded).
//!
//! Nothing here changes a verdict. [`Engine::finish_explained`](super::Engine::finish_explained)
//! runs the same rating as `finish` and notes each group's [`GroupFate`]; a [`Probe`] given to
//! the engine counts, for the records of one host or destination, what `observe` decided.
//! Both are opt-in, so an ordinary hunt pays nothing for them.

use crate::alert::Alert;
use crate::event::ConnEvent;
use crate::verdict::Suspicion;
use ipnet::IpNet;
use std::net::IpAddr;

/// Why a group did or did not become an alert.
#[derive(Debug, Clone, PartialEq)]
pub enum Fate {
    /// Reported.
    Alerted,
    /// Fewer exchanges (connections, or messages inside inspected sessions) than
    /// `min_connections`, and no evidence strong enough to report one alone.
    BelowThreshold { exchanges: u64, needed: u64 },
    /// Only behaviour analytics run and none of them found anything in the group.
    NoBehaviourFinding,
    /// Rated below the least suspicion reported.
    BelowMinSuspicion { least: Suspicion },
    /// Suppressed by an allowlist entry: its reason, what it matches, and whether it is one of
    /// the shipped default entries.
    Suppressed {
        reason: String,
        entry: String,
        default: bool,
    },
    /// With a window: no window held enough connections and the channel does not beacon across
    /// windows.
    NoWindowHoldsEnough { window: String, needed: u64 },
    /// An alert, but past `limits.max_alerts`: the run kept the alerts before it in report
    /// order.
    PastAlertLimit { limit: usize },
}

impl Fate {
    /// Whether the group was reported.
    pub fn alerted(&self) -> bool {
        matches!(self, Fate::Alerted)
    }
}

/// One group's fate, with its rating (the alert it is or would have been: signals, score,
/// reasons), so the evidence can be shown whatever happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupFate {
    pub alert: Alert,
    pub fate: Fate,
}

/// Which records a [`Probe`] watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProbeTarget {
    /// Records whose host (name, or initiator address) is this one, compared case-insensitively.
    Host(String),
    /// Records whose destination address is in this network (an address is a /32 or /128).
    Destination(IpNet),
}

impl ProbeTarget {
    fn matches(&self, ev: &ConnEvent) -> bool {
        match self {
            ProbeTarget::Host(h) => {
                ev.host_key().eq_ignore_ascii_case(h)
                    || ev
                        .src_ip
                        .is_some_and(|ip| h.parse::<IpAddr>().is_ok_and(|a| a == ip))
            }
            ProbeTarget::Destination(net) => net.contains(&ev.dst_ip),
        }
    }
}

/// What `observe` decided for the watched records that it did not count into a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordFate {
    /// Not on a pub/sub port, and no pub/sub protocol recognised in its bytes.
    NotCandidate,
    NotTcp,
    Failed,
    Inbound,
    NoTimestamp,
    GroupTableFull,
    /// Outside `--since`/`--until`.
    OutOfRange,
}

impl RecordFate {
    /// Plain words for the explanation.
    pub fn describe(self) -> &'static str {
        match self {
            RecordFate::NotCandidate => {
                "not a candidate: the port is not a pub/sub port and no pub/sub protocol was \
                 recognised in the connection"
            }
            RecordFate::NotTcp => "not TCP (the pub/sub protocols hunted run over TCP)",
            RecordFate::Failed => "the connection failed or was refused",
            RecordFate::Inbound => "inbound (the analytic looks at connections going out)",
            RecordFate::NoTimestamp => "no timestamp, which the window needs",
            RecordFate::GroupTableFull => "the group table was full (limits.max_groups)",
            RecordFate::OutOfRange => "outside --since/--until",
        }
    }
}

/// Most distinct channels a probe keeps (a scan from the watched host must not grow memory);
/// records past it are counted in [`ProbeCounts::dropped`].
pub const MAX_PROBE_CHANNELS: usize = 256;

/// A probe's counts: uncounted records per (host, destination address, port, fate), kept in
/// an accumulator and merged like everything else there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeCounts {
    pub counts: std::collections::BTreeMap<(String, IpAddr, u16, RecordFate), u64>,
    pub dropped: u64,
}

impl ProbeCounts {
    fn add(&mut self, key: (String, IpAddr, u16, RecordFate), n: u64) {
        let full = self.counts.len() >= MAX_PROBE_CHANNELS;
        match self.counts.get_mut(&key) {
            Some(c) => *c += n,
            None if full => self.dropped += n,
            None => {
                self.counts.insert(key, n);
            }
        }
    }

    pub(super) fn merge(&mut self, other: ProbeCounts) {
        for (k, n) in other.counts {
            self.add(k, n);
        }
        self.dropped += other.dropped;
    }
}

/// Watches the records of some hosts or destinations as `observe` decides on them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub targets: Vec<ProbeTarget>,
}

impl Probe {
    /// Counts `ev` when it is watched and `fate` (what `observe` decided) left it out of every
    /// group.
    pub(super) fn note(&self, ev: &ConnEvent, fate: Option<RecordFate>, counts: &mut ProbeCounts) {
        if let Some(fate) = fate
            && self.targets.iter().any(|t| t.matches(ev))
        {
            counts.add((ev.host_key(), ev.dst_ip, ev.dst_port, fate), 1);
        }
    }
}

/// An inclusive time range for `--since`/`--until`, in microseconds since the epoch. A record
/// is in range when its start is; a record without a start is not (nothing shows it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl TimeRange {
    pub fn is_unbounded(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    pub fn admits(&self, ev: &ConnEvent) -> bool {
        if self.is_unbounded() {
            return true;
        }
        match ev.ts {
            None => false,
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t <= u),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_counts_are_bounded_and_merge() {
        let mut a = ProbeCounts::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for port in 0..(MAX_PROBE_CHANNELS as u16 + 10) {
            a.add(("h".into(), ip, port, RecordFate::NotCandidate), 1);
        }
        assert_eq!(a.counts.len(), MAX_PROBE_CHANNELS);
        assert_eq!(a.dropped, 10);
        let mut b = ProbeCounts::default();
        b.add(("h".into(), ip, 0, RecordFate::NotCandidate), 2);
        b.merge(a);
        assert_eq!(b.counts[&("h".into(), ip, 0, RecordFate::NotCandidate)], 3);
    }

    #[test]
    fn time_range_needs_a_time_when_bounded() {
        let mut ev = ConnEvent::new("192.0.2.1".parse().unwrap(), 1883);
        assert!(TimeRange::default().admits(&ev));
        let r = TimeRange {
            since: Some(10),
            until: Some(20),
        };
        assert!(!r.admits(&ev));
        ev.ts = Some(10);
        assert!(r.admits(&ev));
        ev.ts = Some(21);
        assert!(!r.admits(&ev));
    }
}
