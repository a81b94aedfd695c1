//! Rating the merged groups of a run ([`Engine::finish`] and its variants): the last trims to
//! the budgets, the joins of process records and content-log facts, the admission of each group
//! (the seed's threshold, over the data or per window, or one exchange), its rating with the
//! run's cross-group facts, the allowlists, and the bounded, deterministic report order. Each
//! group's fate is noted where it is decided, for `explain`.

use super::group::{GroupKey, GroupMap, GroupStats, MAX_NAMES_PER_GROUP, trim_starts};
use super::history::History;
use super::{
    Accumulator, Engine, Fate, GroupFate, HuntSummary, budget, exchange, facts, group, join, kept,
    peers, prior, rating, windows, zones,
};
use crate::alert::Alert;
use crate::allowlist::{self, AllowSubject, AllowVerdict, EntrySource};
use crate::bounded::insert_smallest;

impl Engine {
    pub(super) fn finish_with(
        &self,
        mut acc: Accumulator,
        mut fates: Option<&mut Vec<GroupFate>>,
    ) -> (Vec<Alert>, HuntSummary, crate::prior::History) {
        let explaining = fates.is_some();
        // `fates` hook: each group's fate is noted where it is decided, with its rating.
        let mut note = |alert: &Alert, fate: Fate| {
            if let Some(f) = fates.as_deref_mut() {
                f.push(GroupFate {
                    alert: alert.clone(),
                    fate,
                });
            }
        };
        acc.flush_source(&self.cfg);
        let mut summary = HuntSummary {
            counters: acc.counters,
            ..HuntSummary::default()
        };
        let max_alerts = self.cfg.limits.max_alerts;
        let mut kept = kept::KeptAlerts::new(max_alerts);
        let window_len = self.cfg.window.micros();
        let groups = self.prepare_groups(&mut acc, &mut summary);
        let history = History::of(&groups, &acc.source_spans, &acc.census, &self.cfg);
        let mut facts = match &self.prior {
            Some(_) => prior::run_facts(&groups),
            None => crate::prior::History::default(),
        };
        let baseline = self
            .prior
            .as_deref()
            .and_then(|p| prior::Baseline::of(p, &facts, window_len));
        let first_seen = baseline.as_ref().map(|_| {
            let mut first = crate::prior::FirstSeenIndex::default();
            first.add(&facts);
            if let Some(p) = &self.prior {
                first.add(p);
            }
            first
        });
        // How many hosts reach each destination, for the allowlist's entries that absorb only
        // what a shared service produces.
        let reach = allowlist::Reach::of(groups.iter().map(|(k, s)| {
            (
                k.host.as_str(),
                k.dst_ip,
                k.dst_port,
                s.own_dst_names(),
                s.app.as_deref(),
            )
        }));
        let mut peers = peers::Peers::of(&groups, &self.cfg, self.threads, |k, s| {
            history.dedicated_host(k, s).is_some()
        });
        let zones = zones::Zones::of(&groups, &self.cfg);
        for (key, stats) in groups {
            // A named service answering from several addresses spreads one client's
            // connections over them: the threshold is met by the service when the group alone
            // does not meet it.
            let named = history.named_service(&key, &stats);
            let short = self.exchanges(&stats) < self.cfg.min_connections
                && named
                    .as_ref()
                    .is_none_or(|n| n.connections < self.cfg.min_connections);
            // Rated on one exchange (a hand-run tool, a held session): no window can hold the
            // seed's repetition, and none needs to.
            // How long a busy host kept the service open: judged once, for one exchange and
            // for the evidence.
            let kept_open = if self.cfg.behaviour.enabled {
                history.kept_by_busy_host(&key, &stats)
            } else {
                None
            };
            let one_exchange = (short && self.cfg.behaviour.enabled)
                .then(|| exchange::one_exchange(&self.cfg, &key, &stats, kept_open));
            let on_one_exchange = one_exchange.is_some_and(group::OneExchange::rates);
            if short && !on_one_exchange {
                summary.below_threshold += 1;
                if explaining {
                    let mut ctx = history.context(&key, &stats, &self.cfg);
                    ctx.one_exchange = one_exchange;
                    ctx.kept_by_busy_host = kept_open;
                    let fate = Fate::BelowThreshold {
                        exchanges: self.exchanges(&stats),
                        needed: self.cfg.min_connections,
                    };
                    note(&rating::rate(&self.cfg, &key, &stats, &ctx), fate);
                }
                continue;
            }
            let window_check = window_len.map(|len| {
                windows::WindowCheck::of(
                    &stats,
                    len,
                    self.cfg.behaviour.enabled,
                    named.as_ref(),
                    self.cfg.min_connections,
                )
            });
            let in_no_window =
                !on_one_exchange && window_check.as_ref().is_some_and(|w| w.in_no_window());
            let slower_than_window =
                window_len.is_some_and(|len| windows::median_gap(&stats).is_some_and(|g| g > len));
            let mut ctx = history.context(&key, &stats, &self.cfg);
            ctx.named_service = named;
            ctx.one_exchange = one_exchange;
            ctx.kept_by_busy_host = kept_open;
            if self.cfg.behaviour.enabled {
                let timers = peers.beacons.remove(&key);
                ctx.conn_beacon = timers.as_ref().map(|t| t.conn.as_deref().cloned());
                ctx.message_beacon = timers.map(|t| t.message.map(|b| *b));
                let external = self.cfg.internal.containing(key.dst_ip).is_none();
                ctx.peers = Some(peers.view(&key, &stats, external, self.prior.as_deref()));
                ctx.local_zone = Some(zones.zone(&self.cfg));
            }
            if let (Some(f), Some(b), true) = (&first_seen, &baseline, self.cfg.behaviour.enabled) {
                prior::judge(&mut ctx, &key, f, b);
            }
            let mut alert = rating::rate(&self.cfg, &key, &stats, &ctx);
            if let Some(r) = budget::reason(&stats.budget_cuts) {
                alert.reasons.push(r);
            }
            if let Some(p) = &self.prior
                && let Some(r) = prior::reason(&key, p, &facts)
            {
                alert.reasons.push(r);
            }
            if let Some(w) = &window_check {
                let text = self.cfg.window.to_string();
                w.describe(&mut alert, &text);
            }
            if !self.cfg.analytic_enabled(key.analytic) && alert.analytics.is_empty() {
                // Behaviour analytics alone, and none of them found anything here.
                summary.below_min_suspicion += 1;
                note(&alert, Fate::NoBehaviourFinding);
                continue;
            }
            if alert.suspicion < self.cfg.min_suspicion {
                summary.below_min_suspicion += 1;
                let least = self.cfg.min_suspicion;
                note(&alert, Fate::BelowMinSuspicion { least });
                continue;
            }
            let server_hours = history.works_around_the_clock(&stats);
            let subject = self.allow_subject(&key, &stats, alert.external, &reach, server_hours);
            match allowlist::decide(&self.cfg.allowlists(), &subject, &alert.signals) {
                AllowVerdict::NotListed => {}
                AllowVerdict::Overridden(_, why) => alert.reasons.push(why),
                AllowVerdict::Suppressed(entry, source) => {
                    *summary.suppressed.entry(entry.reason.clone()).or_default() += 1;
                    if self.cfg.show_suppressed {
                        let which = match source {
                            EntrySource::Configured => "the allowlist",
                            EntrySource::Default => "the default allowlist",
                        };
                        alert.reasons.push(format!(
                            "suppressed by {which}: {} ({})",
                            entry.reason,
                            entry.describe()
                        ));
                        alert.suppressed_by = Some(entry.reason.clone());
                    }
                    let fate = Fate::Suppressed {
                        reason: entry.reason.clone(),
                        entry: entry.describe(),
                        default: matches!(source, EntrySource::Default),
                    };
                    note(&alert, fate);
                    if self.cfg.show_suppressed
                        && let Some(out) = kept.offer(alert)
                    {
                        left_out(&mut summary, &mut note, max_alerts, out);
                    }
                    continue;
                }
            }
            if slower_than_window {
                summary.slower_than_window += 1;
            }
            if in_no_window {
                let beacon = alert
                    .signals
                    .iter()
                    .any(|(id, w)| id.is_beacon() && *w > 0.0);
                if !beacon {
                    summary.below_threshold_in_every_window += 1;
                    let fate = Fate::NoWindowHoldsEnough {
                        window: self.cfg.window.to_string(),
                        needed: self.cfg.min_connections,
                    };
                    note(&alert, fate);
                    continue;
                }
                alert.reasons.insert(
                    2,
                    format!(
                        "no {} window holds {} connections, but judged across windows the \
                         channel beacons, so it is reported",
                        self.cfg.window, self.cfg.min_connections
                    ),
                );
            }
            *summary
                .alerts_by_suspicion
                .entry(alert.suspicion)
                .or_default() += 1;
            // The history remembers every alert raised, kept for the report or not.
            prior::add_alert(&mut facts, &alert);
            if let Some(out) = kept.offer(alert) {
                left_out(&mut summary, &mut note, max_alerts, out);
            }
        }
        let alerts = kept.into_report_order();
        if explaining {
            // Noted once kept: an alert offered early may still be left out by a later one.
            for a in alerts.iter().filter(|a| a.suppressed_by.is_none()) {
                note(a, Fate::Alerted);
            }
        }
        (alerts, summary, facts)
    }

    /// The merged groups made ready to rate: the last trims to the budgets (the content-log
    /// facts to their share first, then the groups with them joined), process records joined to
    /// their connections, duplicates of one connection from two sources merged, and the names
    /// other records gave each destination added.
    fn prepare_groups(&self, acc: &mut Accumulator, summary: &mut HuntSummary) -> GroupMap {
        let window_len = self.cfg.window.micros();
        let mut groups = std::mem::take(&mut acc.groups).into_map();
        // From the final counts, whatever was trimmed while reading (see `budget`).
        let groups_budget = acc.groups_budget(&self.budget);
        let mut session_facts = std::mem::take(&mut acc.session_facts);
        let facts_cuts = if session_facts.is_empty() {
            Vec::new()
        } else {
            budget::trim_facts(&mut session_facts, &self.budget.split_for_facts().1)
        };
        facts::join_session_facts(&mut groups, session_facts);
        summary.budget = budget::final_trim(&mut groups, &groups_budget);
        summary.budget.extend(facts_cuts);
        summary.joined =
            join::join_process_records(&mut groups, self.cfg.limits.max_users_per_group);
        for stats in groups.values_mut() {
            trim_starts(&mut stats.conn_starts);
            if let Some(app) = stats.app.as_deref_mut() {
                app.settle();
            }
            stats.duplicates_merged += join::dedup_connections(stats, window_len);
            summary.duplicates += stats.duplicates_merged;
        }
        summary.groups = groups.len();
        for (key, stats) in groups.iter_mut() {
            let found = [
                facts::dest_names_for(&acc.dest_names, stats.src_ip, key.dst_ip, key.dst_port),
                facts::names_for(&acc.addr_names, stats.src_ip, key.dst_ip),
            ];
            // Another host's names for the address are borrowed only when the host has none
            // of its own (from its source, its lookups or its sessions): beside its own they
            // are another tenant's, and `names_borrowed` then says the whole set is borrowed.
            let has_own = !stats.dst_names.is_empty()
                || found
                    .iter()
                    .flatten()
                    .any(|&(_, whose)| whose == facts::Whose::Own);
            for (names, whose) in found.into_iter().flatten() {
                if whose != facts::Whose::Own && has_own {
                    continue;
                }
                stats.names_borrowed |= whose != facts::Whose::Own;
                stats.names_of_other_hosts |= whose == facts::Whose::OtherHosts;
                for n in names {
                    insert_smallest(&mut stats.dst_names, n.as_str(), MAX_NAMES_PER_GROUP);
                }
            }
        }
        groups
    }

    /// What the allowlists judge of a rated group, with the facts the default entries'
    /// conditions need: whether the destination is internal, whether the host is a configured
    /// IoT host, and how many hosts reach the destination.
    fn allow_subject<'a>(
        &self,
        key: &'a GroupKey,
        stats: &'a GroupStats,
        external: bool,
        reach: &allowlist::Reach,
        host_works_around_the_clock: bool,
    ) -> AllowSubject<'a> {
        AllowSubject {
            analytic: key.analytic,
            host: &key.host,
            process: key.process.as_deref(),
            dst_ip: key.dst_ip,
            dst_port: key.dst_port,
            protocol: key.protocol,
            app: stats.app.as_deref(),
            // Another tenant's name on a shared address allows nothing of this host's.
            dst_names: if stats.names_of_other_hosts {
                &[]
            } else {
                stats.dst_names.as_slice()
            },
            dst_internal: !external,
            iot_host: self.cfg.iot_hosts.contains(&key.host, stats.src_ip),
            hosts_reaching: reach.hosts_reaching(
                key.dst_ip,
                key.dst_port,
                stats.own_dst_names(),
                stats.app.as_deref(),
            ),
            brief_sessions: brief_sessions(stats),
            host_works_around_the_clock,
        }
    }
}

/// Counts an alert `limits.max_alerts` left out of the report: it leaves the alerts by
/// suspicion (which count what is reported), and `explain` gives it its own fate.
fn left_out(
    summary: &mut HuntSummary,
    note: &mut impl FnMut(&Alert, Fate),
    limit: usize,
    out: Alert,
) {
    summary.alerts_past_limit += 1;
    if out.suppressed_by.is_none() {
        if let Some(n) = summary.alerts_by_suspicion.get_mut(&out.suspicion) {
            *n = n.saturating_sub(1);
        }
        note(&out, Fate::PastAlertLimit { limit });
    }
}

/// Whether every connection of the group ended where the source says, there are at least
/// `BRIEF_SESSIONS_MIN` of them, and half of them (of those kept) lasted under
/// `BRIEF_SESSION_SECS` (`AllowSubject::brief_sessions`).
fn brief_sessions(stats: &GroupStats) -> bool {
    use crate::allowlist::{BRIEF_SESSION_SECS, BRIEF_SESSIONS_MIN};
    if stats.connections < BRIEF_SESSIONS_MIN || stats.spans_seen < stats.connections {
        return false;
    }
    let mut lengths: Vec<i64> = super::group::earliest_spans(&stats.conn_spans)
        .iter()
        .map(|s| s.end.saturating_sub(s.start))
        .collect();
    crate::behaviour::device::median_length(&mut lengths)
        .is_some_and(|m| m < BRIEF_SESSION_SECS * 1_000_000)
}
