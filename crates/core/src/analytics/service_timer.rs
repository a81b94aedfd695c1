//! A host's timer to one service that answers from several addresses. A cloud's or a public
//! broker's round robin hands each connection one of its addresses, so a client checking in
//! every 15 minutes leaves at each address a share of its check-ins at irregular gaps, and no
//! channel (host, destination address, port) shows the timer the client keeps. Here a host's
//! connections to external addresses on one port, over one protocol, from one program, are timed
//! together when some of those channels alone show no timer. A timer found over all of them is
//! lent to each channel without one whose connections are check-ins (short beside the period),
//! when it appears only over the addresses together or the channel's own connections come at
//! its pace (not one address's own timer found again beside a tool tried on the same port),
//! with a sentence that says so. A channel
//! with a timer of its own keeps it; a session held beside the check-ins (a chat client beside
//! Apple's push service on 5223) takes nothing.
//!
//! Without names the service is the port: a host reaching two unrelated services on the same
//! pub/sub port has them timed together, which only finds a timer when the connections together
//! keep one. Internal destinations are left alone (a cluster's nodes are judged by the peers).

use super::group::{GroupKey, GroupStats, earliest_spans};
use crate::behaviour::beacon::{BeaconContext, BeaconScore, score_beacon};
use crate::behaviour::device::median_length;
use crate::behaviour::prevalence::similar;
use crate::config::HuntConfig;
use crate::time::Micros;
use std::collections::BTreeMap;

/// Most of the service's period a channel's median connection may stay open for the channel to
/// take the service's timer: its connections are check-ins.
pub const CHECK_IN_SHARE: f64 = 0.5;

/// Groups of one host's program reaching external addresses on one port over one protocol, for
/// one analytic.
type ServiceKey<'k> = (
    crate::verdict::AnalyticId,
    &'k str,
    Option<&'k str>,
    crate::protocol::Protocol,
    u16,
);

/// Lends each group without a connection timer of its own the timer of its host's connections
/// to all the addresses of its service (`groups[i]` goes with `timers[i]`, its connection-level
/// beacon as judged alone).
pub(super) fn lend_service_timers(
    groups: &[(&GroupKey, &GroupStats)],
    timers: &mut [Option<Box<BeaconScore>>],
    cfg: &HuntConfig,
) {
    let threshold = cfg.behaviour.beacon.signal_threshold;
    let has_timer = |t: &Option<Box<BeaconScore>>| t.as_ref().is_some_and(|b| b.score >= threshold);
    let mut services: BTreeMap<ServiceKey<'_>, Vec<usize>> = BTreeMap::new();
    for (i, (key, _)) in groups.iter().enumerate() {
        if cfg.internal.containing(key.dst_ip).is_some() {
            continue;
        }
        let service = (
            key.analytic,
            key.host.as_str(),
            key.process.as_deref(),
            key.protocol,
            key.dst_port,
        );
        services.entry(service).or_default().push(i);
    }
    for ((.., protocol, port), members) in services {
        if members.len() < 2 || members.iter().all(|&i| has_timer(&timers[i])) {
            continue;
        }
        let starts = members.iter().flat_map(|&i| &groups[i].1.conn_starts);
        let times: Vec<_> = starts.clone().map(|c| c.ts).collect();
        let sizes: Vec<u64> = starts.map(|c| c.bytes_out).collect();
        let has_sizes = members.iter().all(|&i| groups[i].1.bytes_out.is_some());
        let ctx = BeaconContext {
            window: None,
            keepalive_secs: None,
        };
        let Some(mut service) = score_beacon(
            &times,
            has_sizes.then_some(&sizes[..]),
            &ctx,
            &cfg.behaviour.beacon,
        ) else {
            continue;
        };
        if service.score < threshold {
            continue;
        }
        service.reasons.insert(
            0,
            format!(
                "timed over the host's {} connections to the {} external addresses it reached on \
                 port {port} over {protocol}, each connection reaching one (one service answering from several addresses, as a cloud's or a \
                 public broker's round robin does)",
                times.len(),
                members.len()
            ),
        );
        // A timer one address keeps alone, found again over all of them, is that address's:
        // the others add too little to it to share it (a tool tried beside an agent's timer on
        // the same port). It is the service's when it appears only over the addresses together.
        // A channel without a timer whose own connections, when they come, come at the
        // timer's pace shares it all the same (a heartbeat that switches address now and then).
        let theirs = |i: usize| timers[i].as_ref().filter(|b| b.score >= threshold);
        let tolerance = cfg.behaviour.prevalence.similar_period;
        let alike = |secs: f64| similar(secs, service.interval_secs, tolerance);
        let found_again = members
            .iter()
            .filter_map(|&i| theirs(i))
            .any(|b| alike(b.interval_secs));
        let period = service.interval_secs * 1e6;
        for &i in &members {
            if has_timer(&timers[i]) || (found_again && !median_gap(groups[i].1).is_some_and(alike))
            {
                continue;
            }
            // Only check-ins take the timer: a channel whose connections stay open for much of
            // the period is a session of its own (a chat client beside the push service's
            // reconnections on the same port), not a share of the service's check-ins.
            let mut lengths: Vec<Micros> = earliest_spans(&groups[i].1.conn_spans)
                .iter()
                .map(|s| s.end.saturating_sub(s.start))
                .collect();
            if median_length(&mut lengths).is_some_and(|m| m as f64 >= CHECK_IN_SHARE * period) {
                continue;
            }
            timers[i] = Some(Box::new(service.clone()));
        }
    }
}

/// The median gap, in seconds, between a group's connection starts.
fn median_gap(stats: &GroupStats) -> Option<f64> {
    let mut ts: Vec<Micros> = stats.conn_starts.iter().map(|c| c.ts).collect();
    ts.sort_unstable();
    let mut gaps: Vec<Micros> = ts.windows(2).map(|w| w[1].saturating_sub(w[0])).collect();
    median_length(&mut gaps).map(|g| g as f64 / 1e6)
}
