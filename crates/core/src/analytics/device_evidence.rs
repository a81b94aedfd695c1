//! What the host census says of a channel's host, as evidence: a device doing its one job
//! (`dedicated_device`) or one of a fleet of them (`device_fleet`), judged by
//! [`crate::behaviour::device`] on the facts the analytics gathered (the census's word, the
//! channel's sessions over its service's pool, the destination's peers). Also owns how a host
//! uses a service answering from a pool: its sessions over all the pool's addresses.

use super::group::{GroupContext, GroupKey, GroupStats, earliest_spans};
use crate::behaviour::Signal;
use crate::behaviour::beacon::beacon_weighs_nothing;
use crate::behaviour::device::{
    DeviceView, median_length, score_dedicated_device, score_device_fleet,
};
use crate::behaviour::prevalence::PeerView;
use crate::config::HuntConfig;
use crate::signal::SignalId;
use crate::time::Micros;

/// What the device judgements need of one group.
pub(super) struct DeviceFacts<'a> {
    pub key: &'a GroupKey,
    pub stats: &'a GroupStats,
    pub group: &'a GroupContext,
    /// The channel's own connection timer, as the evidence judged it (`None`: none, or one
    /// explained away).
    pub own_timer: Option<f64>,
    /// The channel's connections are a held session renewed on a timer.
    pub held_renewal: bool,
    /// The destination's other clients (none for a channel hunted for its masqueraded program:
    /// it has no protocol to count them by).
    pub peers: Option<&'a PeerView>,
}

/// Adds the device signals of a group to `all` (its other evidence so far).
pub(super) fn device_signals(all: &mut Vec<Signal>, f: &DeviceFacts<'_>, cfg: &HuntConfig) {
    let DeviceFacts {
        key,
        stats,
        group,
        own_timer,
        held_renewal,
        ..
    } = *f;
    let b = &cfg.behaviour;
    let w = &b.weights;
    // A device doing its one job holds its session (or renews it on its platform's timer); a
    // check-in timer is not how such a device works, so it keeps its weight alone.
    let check_in = all.iter().any(|s| {
        s.weight > 0.0
            && (s.id == SignalId::MessageBeacon || (s.id == SignalId::Beacon && !held_renewal))
    });
    if !check_in && let (Some(d), Some(data)) = (group.dedicated_host, group.data_span) {
        // Like a person's use, a device's sessions with a service answering from a pool are
        // judged over all of them: one short piece at one address is a reconnection.
        let mut lengths: Vec<Micros> = service_sessions(stats, group)
            .iter()
            .map(|s| s.end.saturating_sub(s.start))
            .collect();
        let view = DeviceView {
            connections: d.connections,
            housekeeping: d.housekeeping,
            data_span: data.duration(),
            median_session: median_length(&mut lengths),
        };
        if let Some(device) = score_dedicated_device(&view, key.dst_port, w) {
            all.push(device);
            if held_renewal {
                device_renewal(all);
            }
        }
    }

    // Not one device but a fleet of them, check-ins and all (`device.rs`); or, on a host the
    // census shows doing other work, the fleet's check-in kept beside that work.
    let busy = group.dedicated_host.is_none() && group.kept_by_busy_host.is_some();
    if (group.dedicated_host.is_some() || busy)
        && !all.iter().any(|s| s.id == SignalId::DedicatedDevice)
        && let (Some(view), Some(data)) = (f.peers, group.data_span)
        && let Some(fleet) = score_device_fleet(
            view,
            own_timer,
            busy,
            data.duration(),
            b.prevalence.similar_period,
            w,
        )
    {
        if fleet.fleet_timer {
            beacon_weighs_nothing(
                all,
                "a timer the fleet's other devices keep too is the firmware's check-in",
            );
        }
        all.push(fleet.signal);
    }
}

/// The channel's sessions, over all addresses of its service's pool when it reached more than
/// one of them (how the host uses the service), else its own.
pub(super) fn service_sessions(
    stats: &GroupStats,
    group: &GroupContext,
) -> Vec<crate::behaviour::interactive::ConnSpan> {
    match &group.pool {
        Some(pool) => pool.spans.clone(),
        None => earliest_spans(&stats.conn_spans),
    }
}

/// A dedicated device's held session renewed on a timer: the renewal is its platform's (its
/// credentials or the broker's session limit expire), as on a named cloud IoT endpoint
/// (`evidence::platform_renewal`); the `beacon` keeps no weight. Elsewhere half of it stays,
/// because a bot looping a subscriber with a timeout has the same shape, but such a bot sits on
/// a host that does other things.
fn device_renewal(all: &mut [Signal]) {
    beacon_weighs_nothing(
        all,
        "the host is a device doing its one job (dedicated_device), and its held session's \
         renewal is its platform's timer",
    );
}
