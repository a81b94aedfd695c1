//! Local time for judging working hours ([`crate::behaviour::interactive`]): the configured
//! offset when the hunter set one, else the offset the site's connections show — every channel's
//! openings and closings (openings alone where the source records no ends), each channel voting
//! with the share of its own that fall inside, so the many people at work set the clock and a
//! nightly job's thousand connections count as one channel; instants at the data's edges (a
//! session already open when the log began, still open when it ended) do not vote. Not per
//! host: a host active only at night would define its own "day", and night-only activity is what
//! an operator working from another time zone looks like.

use super::group::{GroupMap, GroupStats};
use crate::behaviour::interactive::{LocalZone, ZoneBasis, infer_offset, working_counts};
use crate::config::HuntConfig;
use crate::time::Micros;
use std::collections::BTreeSet;

/// Fewest hosts with timed connections for the site's zone to be inferred; with fewer,
/// the configured zone (UTC by default) stands.
pub const SITE_MIN_HOSTS: usize = 5;

/// Instants this near the first or last one of the data are its edges, not openings or
/// closings anyone chose.
const EDGE: Micros = 5 * 60 * 1_000_000;

/// One channel's whole vote for an offset (all its instants inside working hours there).
const VOTE: usize = 1000;

#[derive(Debug, Default)]
pub(super) struct Zones {
    site: Option<LocalZone>,
}

impl Zones {
    pub(super) fn of(groups: &GroupMap, cfg: &HuntConfig) -> Zones {
        let icfg = &cfg.behaviour.interactive;
        if !cfg.behaviour.enabled || icfg.utc_offset_hours.is_some() {
            return Zones::default();
        }
        // Openings and closings where the source records session ends, else openings alone
        // (Sysmon network events): a machine timer spreads over the clock either way.
        fn instants_of(stats: &GroupStats) -> impl Iterator<Item = Micros> + '_ {
            let starts_only = stats.conn_spans.is_empty();
            let starts = stats.conn_starts.iter().filter(move |_| starts_only);
            let spans = stats.conn_spans.iter().flat_map(|s| [s.start, s.end]);
            starts.map(|c| c.ts).chain(spans)
        }
        // The data's edges: a session open when the log began or still open when it ended
        // (a sensor's, a server's) "opens" and "closes" there, at an hour nobody chose, and a
        // site's dozens of them would all vote for the offsets that put the log's two edges
        // in working hours.
        let (first, last) = groups
            .values()
            .flat_map(|stats| instants_of(stats))
            .fold((Micros::MAX, Micros::MIN), |(lo, hi), t| {
                (lo.min(t), hi.max(t))
            });
        let inside = |t: &Micros| *t > first.saturating_add(EDGE) && *t < last.saturating_sub(EDGE);
        let mut counts: Vec<usize> = Vec::new();
        let mut instants = 0;
        let mut hosts = BTreeSet::new();
        for (key, stats) in groups {
            let own: Vec<Micros> = instants_of(stats).filter(inside).collect();
            if own.is_empty() {
                continue;
            }
            let n = own.len();
            let c = working_counts(icfg, own);
            instants += n;
            if counts.len() < c.len() {
                counts.resize(c.len(), 0);
            }
            // Each channel votes with the share of its instants inside (in thousandths), so a
            // nightly job's thousand connections weigh as much as one person's chat client.
            for (a, b) in counts.iter_mut().zip(&c) {
                *a += b * VOTE / n.max(1);
            }
            if hosts.len() < SITE_MIN_HOSTS {
                hosts.insert(key.host.as_str());
            }
        }
        if hosts.len() < SITE_MIN_HOSTS {
            return Zones::default();
        }
        Zones {
            site: infer_offset(&counts).map(|h| LocalZone {
                offset_hours: h,
                basis: ZoneBasis::Site(instants),
            }),
        }
    }

    /// The zone working hours are judged in.
    pub(super) fn zone(&self, cfg: &HuntConfig) -> LocalZone {
        self.site
            .unwrap_or_else(|| cfg.behaviour.interactive.configured_zone())
    }
}
