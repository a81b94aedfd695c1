//! Whether one exchange is enough to rate a group with fewer exchanges than `min_connections`
//! ([`one_exchange`]): a hand-run tool whose content or program says enough, a session held open
//! to a destination that confirms the seed, a service a busy host kept open around the clock, a
//! busy host's standing session that uploads and is answered with acknowledgements only, or a
//! program running from outside any installed location that reached an external broker.

use super::evidence::signals;
use super::group::{GroupContext, GroupKey, GroupStats, OneExchange};
use super::points::{destination_points, single_exchange_points, uninstalled_points};
use crate::behaviour::interactive::score_unanswered_uploads;
use crate::config::HuntConfig;

/// Least time one connection must stay open to be a standing channel rather than a one-off.
pub const STANDING_SESSION_SECS: i64 = 3600;
/// Least stretch a busy host must keep a service open to be kept around the clock
/// ([`crate::behaviour::device::ROUND_THE_CLOCK`], in seconds).
pub const ROUND_THE_CLOCK_SECS: i64 = crate::behaviour::device::ROUND_THE_CLOCK / 1_000_000;

/// The longest time, in seconds, one of the group's connections with a known end stayed open.
fn longest_session_secs(stats: &GroupStats) -> i64 {
    stats
        .conn_spans
        .iter()
        .map(|s| s.end.saturating_sub(s.start) / 1_000_000)
        .max()
        .unwrap_or(0)
}

/// Whether, and why, one exchange is enough to rate a group with fewer exchanges than
/// `min_connections`.
pub(crate) fn one_exchange(
    cfg: &HuntConfig,
    key: &GroupKey,
    stats: &GroupStats,
    kept_by_busy_host: Option<i64>,
) -> OneExchange {
    let none = OneExchange::NotEnough {
        content: 0.0,
        destination: 0.0,
    };
    if !cfg.behaviour.enabled {
        return none;
    }
    let held = longest_session_secs(stats);
    let has_content = stats.app.is_some() || key.process.is_some();
    let external = cfg.internal.containing(key.dst_ip).is_none();
    let around_the_clock = kept_by_busy_host.filter(|&s| s >= ROUND_THE_CLOCK_SECS && external);
    if !has_content && held < STANDING_SESSION_SECS && around_the_clock.is_none() {
        return none;
    }
    let found = signals(cfg, key, stats, &GroupContext::default());
    let content = single_exchange_points(&found) + 0.0; // not -0.0 when empty
    if has_content && content >= cfg.behaviour.score.single_connection_at {
        return OneExchange::Content(content);
    }
    let destination = destination_points(&found);
    if held >= STANDING_SESSION_SECS && destination >= cfg.behaviour.score.prior_confirmed_at {
        return OneExchange::HeldSession {
            secs: held,
            points: destination,
        };
    }
    if let Some(secs) = around_the_clock {
        return OneExchange::HeldOnBusyHost { secs };
    }
    // A standing session of a busy host to an external service, answered with acknowledgements
    // only: an implant streaming what it collects over one connection held all day.
    if held >= STANDING_SESSION_SECS
        && external
        && kept_by_busy_host.is_some()
        && score_unanswered_uploads(&stats.conn_spans, key.dst_port, &cfg.behaviour.weights)
            .is_some_and(|s| s.weight > 0.0)
    {
        return OneExchange::UnansweredUpload { secs: held };
    }
    let uninstalled = uninstalled_points(&found);
    if key.process.is_some() && external && uninstalled > 0.0 {
        return OneExchange::UninstalledProgram {
            points: uninstalled,
        };
    }
    OneExchange::NotEnough {
        content,
        destination,
    }
}
