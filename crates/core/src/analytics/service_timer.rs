//! A host's timer to one service that answers from several addresses. A cloud's or a public
//! broker's round robin hands each connection one of its addresses, so a client checking in
//! every 15 minutes leaves at each address a share of its check-ins at irregular gaps, and no
//! channel (host, destination address, port) shows the timer the client keeps. Here a host's
//! connections to external addresses on one port, over one protocol, from one program, are timed
//! together. A timer found over all of them is lent to each channel whose connections are
//! check-ins (short beside the period): to one without a timer when the timer appears only over
//! the addresses together or the channel's own connections come at its pace (not one address's
//! own timer found again beside a tool tried on the same port), and to one whose own timer is
//! weaker and of another period (a share of the round robin's check-ins, at one, two, three
//! periods), with a sentence that says so. A channel whose own timer is the service's keeps it;
//! a session held beside the check-ins (a chat client beside Apple's push service on 5223) takes
//! nothing.
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
        if members.len() < 2 {
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
                 port {port} over {protocol}, each connection reaching one (one service answering \
                 from several addresses, as a cloud's or a public broker's round robin does)",
                times.len(),
                members.len()
            ),
        );
        // A timer one address keeps alone, found again over all of them, is that address's:
        // the others add too little to it to share it (a tool tried beside an agent's timer on
        // the same port). It is the service's when it appears only over the addresses together.
        // A channel without a timer whose own connections, when they come, come at the
        // timer's pace shares it all the same (a heartbeat that switches address now and then).
        // Each member's own timer (period, score), as judged alone.
        let owns: Vec<Option<(f64, f64)>> = members
            .iter()
            .map(|&i| {
                let own = timers[i].as_ref().filter(|b| b.score >= threshold);
                own.map(|b| (b.interval_secs, b.score))
            })
            .collect();
        let tolerance = cfg.behaviour.prevalence.similar_period;
        let alike = |secs: f64| similar(secs, service.interval_secs, tolerance);
        let found_again = owns.iter().flatten().any(|&(secs, _)| alike(secs));
        let period = service.interval_secs * 1e6;
        for (&i, own) in members.iter().zip(owns) {
            let takes = match own {
                // A weaker timer of another period at one address is the round robin's
                // artefact (its share of the check-ins comes at one, two, three periods): the
                // service's timer is the channel's.
                Some((secs, score)) => !alike(secs) && score < service.score,
                None => !found_again || median_gap(groups[i].1).is_some_and(alike),
            };
            if !takes {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::group::ConnStart;
    use crate::behaviour::beacon::BeaconScore;

    const PERIOD: Micros = 900 * 1_000_000;

    /// A host's channel to `dst` on 8883 with connections at the check-ins `ks` (15 minutes
    /// apart), each three seconds long.
    fn channel(dst: &str, ks: &[i64]) -> (GroupKey, GroupStats) {
        let key = GroupKey {
            analytic: crate::verdict::AnalyticId::PubsubPort,
            host: "10.0.0.7".into(),
            process: None,
            dst_ip: dst.parse().unwrap(),
            dst_port: 8883,
            protocol: crate::protocol::Protocol::Mqtt,
        };
        let mut stats = GroupStats::default();
        for &k in ks {
            let ts = 1_709_510_400_000_000 + k * PERIOD + k % 7 * 1_000_000;
            stats.conn_starts.push(ConnStart {
                ts,
                bytes_out: 700,
                bytes_in: 300,
                src_port: None,
                has_bytes: true,
            });
            stats
                .conn_spans
                .push(crate::behaviour::interactive::ConnSpan {
                    start: ts,
                    end: ts + 3_000_000,
                    both_ways: true,
                    unanswered: false,
                });
        }
        (key, stats)
    }

    fn own_timer(secs: f64, score: f64) -> Option<Box<BeaconScore>> {
        let cfg = HuntConfig::default();
        let times: Vec<Micros> = (0..40).map(|k| k * (secs * 1e6) as Micros).collect();
        let ctx = BeaconContext {
            window: None,
            keepalive_secs: None,
        };
        let mut b = score_beacon(&times, None, &ctx, &cfg.behaviour.beacon).unwrap();
        b.score = score;
        Some(Box::new(b))
    }

    #[test]
    fn an_addresss_looser_timer_of_another_period_gives_way_to_the_services() {
        let cfg = HuntConfig::default();
        // Two addresses taking two check-ins of three and one of three.
        let a: Vec<i64> = (0..96).filter(|k| k % 3 != 2).collect();
        let b: Vec<i64> = (0..96).filter(|k| k % 3 == 2).collect();
        let (ka, sa) = channel("203.0.113.7", &a);
        let (kb, sb) = channel("198.51.100.40", &b);
        let groups = [(&ka, &sa), (&kb, &sb)];
        // The first address's share, judged alone, kept a looser timer of 22.5 minutes.
        // (the first's own timer, whether it takes the service's, whether the second does)
        for (own, first_takes, second_takes) in [
            (own_timer(1350.0, 0.79), true, true),
            // A timer of its own stronger than the service's stays.
            (own_timer(1350.0, 1.0), false, true),
            // The service's period found again at one address is that address's own: the
            // other, whose check-ins do not come at that pace, takes nothing.
            (own_timer(905.0, 0.79), false, false),
        ] {
            let mut timers = vec![own, None];
            lend_service_timers(&groups, &mut timers, &cfg);
            let first = timers[0].as_ref().unwrap();
            let service = first.reasons.iter().any(|r| r.contains("timed over"));
            assert_eq!(service, first_takes, "{first:?}");
            assert_eq!(timers[1].is_some(), second_takes, "{:?}", timers[1]);
            if let Some(t) = &timers[1] {
                assert!((t.interval_secs - 900.0).abs() < 5.0, "{t:?}");
            }
        }
    }
}
