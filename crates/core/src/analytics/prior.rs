//! The engine's side of history across runs: the facts a run's groups add to the history
//! ([`run_facts`]), and the judgements that change when earlier runs are known: `new_broker`
//! and `new_process` against the prior ([`judge`]) and the sentence on a channel's history
//! ([`crate::prior::history_reason`]).

use super::group::{GroupContext, GroupKey, GroupMap, GroupStats, max_opt};
use super::history::process_key;
use crate::alert::{Alert, alert_id};
use crate::prior::{
    ChannelHistory, DAY_MICROS, FirstSeenIndex, History, LastAlert, Seen, day_of, later_alert,
};
use crate::time::Micros;
use std::collections::BTreeSet;

/// The channel's extent: first start to last start or end.
fn seen_of(s: &GroupStats) -> Option<Seen> {
    let first = s.first_seen?;
    let last = max_opt(s.last_seen, s.last_end).unwrap_or(first).max(first);
    Some(Seen { first, last })
}

/// The days a group was active: those of its kept connection starts (the earliest
/// `MAX_STARTS_PER_GROUP`) and of its first and last connection.
fn days_of(s: &GroupStats, seen: Seen) -> BTreeSet<i64> {
    let mut days: BTreeSet<i64> = s.conn_starts.iter().map(|c| day_of(c.ts)).collect();
    days.insert(day_of(seen.first));
    if let Some(l) = s.last_seen {
        days.insert(day_of(l));
    }
    days
}

/// What a run's groups add to the history. Groups without a time cannot be dated and add
/// nothing.
pub(super) fn run_facts(groups: &GroupMap) -> History {
    let mut h = History::default();
    for (k, s) in groups {
        let Some(seen) = seen_of(s) else { continue };
        let id = channel_id(k);
        let channel = ChannelHistory {
            host: k.host.clone(),
            seen,
            days: days_of(s, seen),
            last_alert: None,
        };
        let mut one = History::default();
        one.channels.insert(id, channel);
        let host = one.hosts.entry(k.host.clone()).or_default();
        host.brokers.insert((k.dst_ip, k.dst_port), seen);
        host.protocols.insert(k.protocol, seen);
        if let Some(p) = &k.process {
            host.processes.insert((process_key(p), k.protocol), seen);
        }
        one.destinations
            .entry((k.dst_ip, k.dst_port))
            .or_default()
            .hosts
            .insert(k.host.clone(), seen);
        h.absorb(&one);
    }
    h
}

pub(super) fn channel_id(k: &GroupKey) -> String {
    alert_id(
        k.analytic,
        &k.host,
        k.process.as_deref(),
        k.dst_ip,
        k.dst_port,
        k.protocol,
    )
}

/// Records an alert the run raised as its channel's last alert (a suppressed one is not).
pub(super) fn add_alert(facts: &mut History, a: &Alert) {
    if a.suppressed_by.is_some() {
        return;
    }
    if let Some(c) = facts.channels.get_mut(&a.id) {
        let at = a.last_seen.or(a.first_seen).unwrap_or(c.seen.last);
        let this = LastAlert {
            at,
            score: a.score,
            suspicion: a.suspicion,
        };
        c.last_alert = later_alert(c.last_alert, Some(this));
    }
}

/// Where the judgement of "new" looks: the earliest instant known to the prior or the run, the
/// start of the run's data, and the unit "new" is judged in (the window, or a day).
pub(super) struct Baseline {
    known_from: Micros,
    data_from: Micros,
    unit: Micros,
}

impl Baseline {
    /// `None` when there is no prior to judge against (no store, or an empty one): the run's
    /// own windows judge "new", as without history.
    pub(super) fn of(prior: &History, run: &History, window: Option<Micros>) -> Option<Baseline> {
        let known = prior.earliest()?;
        let data_from = run.channels.values().map(|c| c.seen.first).min()?;
        Some(Baseline {
            known_from: known.min(data_from),
            data_from,
            unit: window.filter(|w| *w > 0).unwrap_or(DAY_MICROS),
        })
    }

    /// Whether something first seen at `first` is new: it first appears in this run's data, in a
    /// later unit than the first one history or the run knows.
    fn is_new(&self, first: Micros) -> bool {
        let u = first.div_euclid(self.unit);
        u > self.known_from.div_euclid(self.unit) && u >= self.data_from.div_euclid(self.unit)
    }
}

/// Judges `new_broker` and `new_process` against `first`, the prior and the run indexed
/// together: a broker or a process history already knew from before this run's data is never
/// new.
pub(super) fn judge(
    ctx: &mut GroupContext,
    key: &GroupKey,
    first: &FirstSeenIndex,
    base: &Baseline,
) {
    ctx.new_broker = first
        .broker(key.dst_ip, key.dst_port)
        .is_some_and(|t| base.is_new(t));
    ctx.known_since = Some(base.known_from);
    ctx.new_process = key.process.as_ref().is_some_and(|p| {
        first
            .process(&process_key(p), key.protocol)
            .is_some_and(|t| base.is_new(t))
    });
}

/// The history sentence for a group's alert, when the run could date the group.
pub(super) fn reason(key: &GroupKey, prior: &History, run: &History) -> Option<String> {
    let id = channel_id(key);
    let now = run.channels.get(&id)?;
    Some(crate::prior::history_reason(prior.channels.get(&id), now))
}

#[cfg(test)]
mod tests {
    use crate::config::HuntConfig;
    use crate::event::ConnEvent;
    use crate::prior::{DAY_MICROS, History};
    use crate::time::Micros;
    use crate::{Accumulator, Alert, Engine, SignalId};
    use std::sync::Arc;

    /// 2026-11-02T00:00:00Z.
    const DAY0: Micros = 1_793_577_600_000_000;
    const HOUR: Micros = 3_600_000_000;

    /// A connection from 10.0.0.5 with a process, every ten minutes for two hours from `start`.
    fn conns(dst: &str, start: Micros) -> Vec<ConnEvent> {
        (0..12)
            .map(|i| {
                let mut e = ConnEvent::tcp("10.0.0.5".parse().unwrap(), dst.parse().unwrap(), 1883);
                e.ts = Some(start + i * 600_000_000);
                e.process = Some(r"C:\tools\agent.exe".into());
                e
            })
            .collect()
    }

    fn run(engine: &Engine, events: &[ConnEvent]) -> (Vec<Alert>, History) {
        let mut acc = Accumulator::new();
        for e in events {
            engine.observe(e, &mut acc);
        }
        let (alerts, _, facts) = engine.finish_with_history(acc);
        (alerts, facts)
    }

    fn fires(alerts: &[Alert], dst: &str, id: SignalId) -> bool {
        alerts
            .iter()
            .find(|a| a.dst_ip.to_string() == dst)
            .is_some_and(|a| a.signals.contains_key(&id))
    }

    fn cfg() -> HuntConfig {
        HuntConfig::from_toml_str("[analytics]\nwindow = \"1h\"\ndefault_allowlist = false")
            .unwrap()
    }

    #[test]
    fn history_decides_what_is_new() {
        let yesterday = conns("198.51.100.20", DAY0 + HOUR);
        let mut today = conns("198.51.100.30", DAY0 + DAY_MICROS);
        today.extend(conns("198.51.100.20", DAY0 + DAY_MICROS + 12 * HOUR));
        // Without history: the noon broker is new in the day's windows, the midnight one not.
        let plain = Engine::new(cfg());
        let (alerts, facts) = run(&plain, &today);
        assert!(facts.is_empty(), "no prior, no facts gathered");
        assert!(fires(&alerts, "198.51.100.20", SignalId::NewBroker));
        assert!(!fires(&alerts, "198.51.100.30", SignalId::NewBroker));
        let noon = alerts
            .iter()
            .find(|a| a.dst_ip.to_string() == "198.51.100.20")
            .unwrap();
        assert!(
            noon.reasons
                .iter()
                .any(|r| r.contains("new_broker") && r.contains("(no earlier window reached it)")),
            "{:?}",
            noon.reasons
        );

        // An empty store judges as no store does, and gathers the day's facts.
        let empty = Engine::new(cfg()).with_prior(Arc::new(History::default()));
        let (_, day0) = run(&empty, &yesterday);
        assert_eq!(day0.channels.len(), 1, "{day0:?}");
        assert_eq!(
            day0.hosts_reaching("198.51.100.20".parse().unwrap(), 1883),
            1
        );

        // With yesterday known: the broker and process it saw are not new, the other broker is.
        let known = Engine::new(cfg()).with_prior(Arc::new(day0.clone()));
        let (alerts, facts) = run(&known, &today);
        assert!(!fires(&alerts, "198.51.100.20", SignalId::NewBroker));
        assert!(fires(&alerts, "198.51.100.30", SignalId::NewBroker));
        let new = alerts
            .iter()
            .find(|a| a.dst_ip.to_string() == "198.51.100.30")
            .unwrap();
        assert!(
            new.reasons.iter().any(|r| r.contains("new_broker")
                && r.contains(
                    "neither earlier runs (history since 2026-11-02) nor earlier windows"
                )),
            "{:?}",
            new.reasons
        );
        assert!(
            alerts
                .iter()
                .all(|a| !a.signals.contains_key(&SignalId::NewProcess))
        );
        let a = alerts
            .iter()
            .find(|a| a.dst_ip.to_string() == "198.51.100.20")
            .unwrap();
        assert!(
            a.reasons.iter().any(|r| r
                .starts_with("seen in earlier runs: first seen 2026-11-02, active 2 of 2 days")),
            "{:?}",
            a.reasons
        );
        assert!(facts.channels[&a.id].last_alert.is_some());

        // Re-judging yesterday against itself changes nothing it said.
        let (again, facts) = run(&known, &yesterday);
        let mut merged = day0.clone();
        merged.absorb(&facts);
        assert_eq!(merged, day0, "the same records add no history");
        assert!(!fires(&again, "198.51.100.20", SignalId::NewBroker));
    }
}
