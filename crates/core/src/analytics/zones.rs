//! Local time for judging working hours ([`crate::behaviour::interactive`]): the configured
//! offset when the hunter set one, else the offset the site's connections show — every channel's
//! openings and closings (openings alone where the source records no ends), each channel voting
//! with the share of its own that fall inside, so the many people at work set the clock and a
//! nightly job's thousand connections count as one channel. Not per host: a host active only at
//! night would define its own "day", and night-only activity is what an operator working from
//! another time zone looks like.

use super::group::GroupMap;
use crate::behaviour::interactive::{LocalZone, ZoneBasis, infer_offset, working_counts};
use crate::config::HuntConfig;
use std::collections::BTreeSet;

/// Fewest hosts with timed connections for the site's zone to be inferred; with fewer,
/// the configured zone (UTC by default) stands.
pub const SITE_MIN_HOSTS: usize = 5;

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
        let mut counts: Vec<usize> = Vec::new();
        let mut instants = 0;
        let mut hosts = BTreeSet::new();
        for (key, stats) in groups {
            // Openings and closings where the source records session ends, else openings alone
            // (Sysmon network events): a machine timer spreads over the clock either way.
            if stats.conn_spans.is_empty() && stats.conn_starts.is_empty() {
                continue;
            }
            let (c, n) = if stats.conn_spans.is_empty() {
                let starts = stats.conn_starts.iter().map(|c| c.ts);
                (working_counts(icfg, starts), stats.conn_starts.len())
            } else {
                let ends = stats.conn_spans.iter().flat_map(|s| [s.start, s.end]);
                (working_counts(icfg, ends), 2 * stats.conn_spans.len())
            };
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
