//! What a channel's destination's other clients say of it, as evidence: the prevalence signals
//! (`crate::behaviour::prevalence`: a service many hosts share, a server only this host reaches,
//! a server's federation link, a relay through an internal server), judged on the facts the
//! analytics gathered (the destination's peers, the channel's own timer and how long it ran, how
//! much of the time its sessions were open). A link whose timer is its users' traffic relayed,
//! or a held link's reopenings, leaves its `beacon` weighing nothing.

use super::group::{GroupContext, GroupKey, GroupStats, earliest_spans};
use crate::behaviour::Signal;
use crate::behaviour::beacon::beacon_weighs_nothing;
use crate::behaviour::device::score_fleet_outlier;
use crate::behaviour::presence::open_share;
use crate::behaviour::prevalence::{
    KeptTimer, PeerView, score_held_federation, score_prevalence, score_relayed_outside,
};
use crate::config::HuntConfig;
use crate::signal::SignalId;
use crate::time::Micros;

/// What the peer judgements need of one group.
pub(super) struct PeerFacts<'a> {
    pub key: &'a GroupKey,
    pub stats: &'a GroupStats,
    pub group: &'a GroupContext,
    pub view: &'a PeerView,
    /// The channel's own connection timer, as the evidence judged it (`None`: none, or one
    /// explained away), with how long it ran.
    pub own_timer: Option<KeptTimer>,
}

/// Adds the prevalence signals of a group to `all` (its other evidence so far).
pub(super) fn peer_signals(all: &mut Vec<Signal>, f: &PeerFacts<'_>, cfg: &HuntConfig) {
    let PeerFacts {
        key,
        stats,
        group,
        view,
        own_timer,
    } = *f;
    let b = &cfg.behaviour;
    let w = &b.weights;
    let held_link = match (own_timer, group.channel_span) {
        (Some(_), Some(channel)) => {
            let share = || {
                let sessions: Vec<(Micros, Micros)> = earliest_spans(&stats.conn_spans)
                    .iter()
                    .map(|s| (s.start, s.end))
                    .collect();
                open_share(&sessions, channel)
            };
            score_held_federation(view, share, key.protocol, &b.prevalence, w)
        }
        _ => None,
    };
    let (prevalence, why) = match held_link {
        Some(s) => (
            Some(s),
            "a held federation link's reopenings follow its idle timeout",
        ),
        None => (
            score_prevalence(view, own_timer, key.protocol, &b.prevalence, w),
            "a federation link's timer is its users' traffic, relayed",
        ),
    };
    if own_timer.is_some()
        && prevalence
            .as_ref()
            .is_some_and(|s| s.id == SignalId::ServerFederation)
    {
        // The timer is the users' traffic relayed, or the link's idle timeout: it says nothing
        // of this host's own.
        beacon_weighs_nothing(all, why);
    }
    all.extend(prevalence);
    all.extend(score_fleet_outlier(view, w));
    all.extend(score_relayed_outside(
        view,
        own_timer.map(|t| t.period),
        key.protocol,
        &b.prevalence,
        w,
    ));
}
