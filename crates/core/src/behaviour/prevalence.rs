//! Destination prevalence: how many internal hosts reach a channel's destination, and whether
//! the others do it on a timer, as evidence either way. A service many hosts share (a public chat
//! server, a hosted broker the developers use) is not one host's command server; a destination
//! only one host ever reaches, in data with many hosts, is what pub/sub C2 looks like (one
//! implant, one server). Counting hosts alone would hide an implant that relays through a shared
//! server, so a channel on a timer of its own gets no credit from the crowd: it is judged against
//! the service's other clients, and one host that beacons where the others do not stands out.
//!
//! The facts come from the whole run ([`crate::analytics`] builds a [`PeerView`] per group); this
//! module only judges them. The destination is counted by name when the data names it (a cloud
//! provider's shared addresses serve many tenants, so the address would make a foreign tenant
//! look shared), else by address and port, and always per protocol.

use super::{Signal, Weights};
use crate::protocol::Protocol;
use crate::signal::SignalId;
use serde::{Deserialize, Serialize};

/// When a destination counts as shared, and what makes timers similar.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrevalenceConfig {
    /// Fewest distinct internal hosts reaching a destination for it to count as shared.
    pub shared_min_hosts: usize,
    /// Two timers are similar when their periods differ by at most this share of the larger.
    pub similar_period: f64,
    /// Fewest other hosts on a similar timer for a timer to count as the client software's
    /// (rather than one host's).
    pub similar_timers_min: usize,
    /// Fewest distinct hosts in the data for "only one host reaches it" to mean anything (a
    /// capture of one machine has one host for everything).
    pub sole_host_min_data_hosts: usize,
}

impl Default for PrevalenceConfig {
    fn default() -> Self {
        PrevalenceConfig {
            shared_min_hosts: 4,
            similar_period: 0.25,
            similar_timers_min: 2,
            sole_host_min_data_hosts: 10,
        }
    }
}

impl PrevalenceConfig {
    /// Why the settings cannot be used, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.shared_min_hosts < 2 {
            return Err(format!(
                "behaviour.prevalence.shared_min_hosts must be at least 2, not {}",
                self.shared_min_hosts
            ));
        }
        if !(0.0..1.0).contains(&self.similar_period) {
            return Err(format!(
                "behaviour.prevalence.similar_period must be at least 0 and below 1, not {}",
                self.similar_period
            ));
        }
        Ok(())
    }
}

/// What the run says about the other clients of one channel's destination.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerView {
    /// The destination as it was counted: a name, or address:port.
    pub destination: String,
    /// Distinct internal hosts reaching it over the channel's protocol, this one included
    /// (capped by the analytics' bound: a lower bound beyond it), earlier runs' included.
    pub hosts: usize,
    /// Of `hosts`, those only earlier runs (the history store) saw reach it.
    pub hosts_from_history: usize,
    /// `hosts` met the bound on the hosts remembered per destination: more may reach it, and
    /// sentences say "at least".
    pub hosts_at_bound: bool,
    /// The beacon periods, in seconds, of the other hosts whose channels to it are on a timer
    /// (one per host).
    pub other_timers: Vec<f64>,
    /// The other hosts of this run reaching it that the census shows doing nothing but
    /// housekeeping and their service (with or without a timer), each with the timer it keeps
    /// to it, if any: the fleet the channel's host may belong to.
    pub other_device_timers: Vec<Option<f64>>,
    /// The other hosts of this run reaching it that the census does not show to be such
    /// devices (they do other work, or no census knows them), each with its timer to it, if any.
    pub other_busy_timers: Vec<Option<f64>>,
    /// Other hosts reaching the destination's network (its /24 or /48) over the protocol, and
    /// how many of them the census shows to be devices doing nothing but housekeeping and that
    /// service.
    pub pool_others: usize,
    pub pool_devices: usize,
    /// The hosts the channel's own initiating host serves over the protocol (its clients) that
    /// keep a timer to it, each with its period in seconds (connection-level, or of the
    /// messages published in its sessions), in host order.
    pub client_timers: Vec<(String, KeptTimer)>,
    /// When the destination is an internal address: the timers it keeps, over the protocol, to
    /// external destinations (each `address:port` with its period in seconds, in that order).
    pub relayed_timers: Vec<(String, f64)>,
    /// Distinct hosts in the data with any pub/sub channel (capped likewise).
    pub data_hosts: usize,
    /// Whether the destination is outside the internal networks.
    pub external: bool,
    /// Distinct internal hosts that reach the channel's own initiating host over the protocol
    /// (it serves them), capped likewise.
    pub host_serves: usize,
    /// `host_serves` met the same bound: a lower bound.
    pub host_serves_at_bound: bool,
    /// When the channel's host is a member of a fleet of devices at another destination and
    /// none of those devices reaches this channel's destination.
    pub fleet_outlier: Option<FleetOutlier>,
}

/// A fleet member's channel to where its fleet does not go: the fleet's service, the timer the
/// host keeps there with the devices, and how many devices keep it.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetOutlier {
    pub fleet_service: String,
    pub period: f64,
    pub devices: usize,
}

/// A timer one host keeps: its period, and how long it ran (its intervals times the period,
/// in seconds): a timer of ten minutes kept for five hours of nights is not one kept all day.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeptTimer {
    pub period: f64,
    pub runs_for: f64,
}

impl KeptTimer {
    pub fn of(beacon: &super::beacon::BeaconScore) -> KeptTimer {
        KeptTimer {
            period: beacon.interval_secs,
            runs_for: beacon.interval_secs * beacon.components.intervals as f64,
        }
    }

    /// The shorter of two timers, either of which may be absent.
    pub fn shortest(a: Option<KeptTimer>, b: Option<KeptTimer>) -> Option<KeptTimer> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if b.period < a.period { b } else { a }),
            (a, b) => a.or(b),
        }
    }
}

/// Least share of its sender's timer's run a relayed timer runs for: a server relaying what a
/// client sends opens its link as often as the client sends, for as long. A server's own
/// beacon that happens to share a client's period but runs five hours a night beside the
/// client's all-day timer relays nothing of it.
pub const RELAYED_RUN_SHARE: f64 = 0.5;

/// Whether `own` can be `theirs` relayed: the same period within `tolerance`, run for at least
/// [`RELAYED_RUN_SHARE`] of as long.
fn relays(own: KeptTimer, theirs: KeptTimer, tolerance: f64) -> bool {
    similar(own.period, theirs.period, tolerance)
        && own.runs_for >= RELAYED_RUN_SHARE * theirs.runs_for
}

/// Whether two periods differ by at most `tolerance` of the larger.
pub(crate) fn similar(a: f64, b: f64, tolerance: f64) -> bool {
    let hi = a.max(b);
    hi > 0.0 && (a - b).abs() <= tolerance * hi
}

/// A count, as a lower bound when it met the bound on hosts remembered.
fn at_least(n: usize, at_bound: bool) -> String {
    if at_bound {
        format!("at least {n}")
    } else {
        n.to_string()
    }
}

impl PeerView {
    /// Other hosts without a timer to it that the census shows doing nothing but housekeeping
    /// and this service: devices holding their session.
    pub fn timerless_devices(&self) -> usize {
        self.other_device_timers
            .iter()
            .filter(|t| t.is_none())
            .count()
    }
}

/// A period in words, rounded to what a hunter reads: `45 s`, `50 min`, `1.5 h`.
pub(crate) fn human_period(secs: f64) -> String {
    if secs >= 5400.0 {
        format!("{:.1} h", secs / 3600.0)
    } else if secs >= 90.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{secs:.0} s")
    }
}

/// Least other hosts on a destination's network for it to be judged a device platform.
pub const PLATFORM_MIN_DEVICES: usize = 2;

/// Why the destination's network is a device platform, when most of the other hosts reaching it
/// (at least [`PLATFORM_MIN_DEVICES`] of them) are devices doing nothing but housekeeping and
/// that service, and it is external: a vendor's cloud or an IoT platform's regional addresses.
/// People's sessions in working hours there are not how people use chat or developer tools
/// with a service they share, so such sessions earn no `interactive_use` credit.
pub fn device_platform(view: &PeerView) -> Option<String> {
    let (others, devices) = (view.pool_others, view.pool_devices);
    (view.external && devices >= PLATFORM_MIN_DEVICES && devices * 2 > others).then(|| {
        format!(
            "{devices} of the {others} other hosts reaching its network are devices doing nothing \
             but housekeeping and this service: a device platform, not a service people share"
        )
    })
}

/// How far a relayed timer may stray from the one it relays, as a share of the larger period:
/// a server that opens a link for each message it relays (and closes it when idle) keeps its
/// sender's timer, so the two medians agree but for jitter. Two unrelated timers a fifth apart
/// (a client's 2.3 minutes, the server's own 3-minute heartbeat) are not one relayed.
pub const RELAYED_PERIOD: f64 = 0.10;

fn relayed_tolerance(cfg: &PrevalenceConfig) -> f64 {
    cfg.similar_period.min(RELAYED_PERIOD)
}

/// `relayed_outside` when the channel's destination is an internal server that many hosts reach
/// (`shared_min_hosts`) and that keeps a timer like the channel's own ([`RELAYED_PERIOD`]) to an
/// external destination: the channel's traffic leaves the network through that server. The
/// server's link is credited as relaying its client ([`SignalId::ServerFederation`]), so the
/// client's channel is where the relayed channel is judged: as one to the outside.
pub fn score_relayed_outside(
    view: &PeerView,
    own_period: Option<f64>,
    protocol: Protocol,
    cfg: &PrevalenceConfig,
    w: &Weights,
) -> Option<Signal> {
    let own = own_period?;
    if view.external || view.hosts < cfg.shared_min_hosts {
        return None;
    }
    let (dest, theirs) = view
        .relayed_timers
        .iter()
        .find(|(_, p)| similar(*p, own, relayed_tolerance(cfg)))?;
    Some(Signal::new(
        SignalId::RelayedOutside,
        w.relayed_outside,
        format!(
            "its timer to {} ({}), an internal {protocol} server that {} internal hosts reach, is \
             the one that server keeps to the external {dest} ({}): this channel's traffic leaves \
             the network through it, relayed, so it is judged as a channel to the outside",
            view.destination,
            human_period(own),
            at_least(view.hosts, view.hosts_at_bound),
            human_period(*theirs)
        ),
    ))
}

/// Least share of the time from a link's first connection to its last end that its sessions
/// must have been open for its reconnections to be a held link's ([`score_held_federation`]).
pub const HELD_LINK_SHARE: f64 = 0.5;

/// `server_federation` for a timer that is a held link's reconnections: the channel's host is
/// itself a server of the protocol that `shared_min_hosts` internal hosts reach, and its
/// sessions to the destination were open at least [`HELD_LINK_SHARE`] of the time (`open_share`,
/// measured only for a server),
/// reopened after idling. A federating server (XMPP s2s on 5269, a broker's bridge) holds its
/// link while its users' traffic flows and reopens it when they send again after the idle
/// timeout closed it, so the gaps between its openings follow the sessions' lengths; a beacon
/// connects for seconds and sleeps. What it cannot tell: a compromised server federating with
/// its attacker's server (the destination's names may).
pub fn score_held_federation(
    view: &PeerView,
    open_share: impl FnOnce() -> f64,
    protocol: Protocol,
    cfg: &PrevalenceConfig,
    w: &Weights,
) -> Option<Signal> {
    if view.host_serves < cfg.shared_min_hosts {
        return None;
    }
    // Measured only for a server: it copies and sorts the channel's sessions.
    let open_share = open_share();
    if open_share < HELD_LINK_SHARE {
        return None;
    }
    Some(Signal::new(
        SignalId::ServerFederation,
        w.server_federation,
        format!(
            "the initiating host is itself a {protocol} server that {} internal hosts reach, and \
             its sessions to {} were open {:.0} % of the time from its first connection to its \
             last, each reopened after the last closed: a server holding a federation link while \
             its users' traffic flows (its openings follow the idle timeout, not a check-in \
             timer), not a client",
            at_least(view.host_serves, view.host_serves_at_bound),
            view.destination,
            open_share * 100.0
        ),
    ))
}

/// The prevalence signal of a channel, given what its peers do and its own beacon period (when
/// its connections are on a timer).
pub fn score_prevalence(
    view: &PeerView,
    own_timer: Option<KeptTimer>,
    protocol: Protocol,
    cfg: &PrevalenceConfig,
    w: &Weights,
) -> Option<Signal> {
    let own_period = own_timer.map(|t| t.period);
    let dest = &view.destination;
    let n = view.hosts;
    // Timers are known for this run's hosts only: the history keeps who, not how.
    let n_run = n.saturating_sub(view.hosts_from_history);
    let counted = at_least(n, view.hosts_at_bound);
    let hist = match view.hosts_from_history {
        0 => String::new(),
        h => format!(" ({h} of them seen only in earlier runs)"),
    };
    let serves = view.host_serves >= cfg.shared_min_hosts;
    if serves && own_period.is_none() {
        return Some(Signal::new(
            SignalId::ServerFederation,
            w.server_federation,
            format!(
                "the initiating host is itself a {protocol} server that {} internal hosts reach, \
                 and it keeps no timer to {dest}: a server federating with or bridging to \
                 another, not a client",
                at_least(view.host_serves, view.host_serves_at_bound)
            ),
        ));
    }
    if serves
        && let Some(own) = own_timer
        && let Some((client, theirs)) = view
            .client_timers
            .iter()
            .find(|(_, t)| relays(own, *t, relayed_tolerance(cfg)))
    {
        // A server relays what its users send: a link opened for each relayed message (and
        // closed by its idle timeout) keeps the sender's timer. The client keeping that timer in
        // its own session is judged on it; a server's own beacon is a timer none of its
        // clients has.
        return Some(Signal::new(
            SignalId::ServerFederation,
            w.server_federation,
            format!(
                "the initiating host is itself a {protocol} server that {} internal hosts reach, \
                 and its timer to {dest} ({}) is the one its client {client} keeps to it ({}): \
                 that client's traffic relayed (the client is judged on its own channel), not \
                 the server's own",
                at_least(view.host_serves, view.host_serves_at_bound),
                human_period(own.period),
                human_period(theirs.period)
            ),
        ));
    }
    if serves && n >= cfg.shared_min_hosts {
        // A server's link to a service its own users also reach carries their traffic: its
        // timer is theirs, relayed (or its idle timeout closing the link between messages), and
        // each of them is judged on its own session to this server.
        return Some(Signal::new(
            SignalId::ServerFederation,
            w.server_federation,
            format!(
                "the initiating host is itself a {protocol} server that {} internal hosts reach, \
                 and {counted} internal hosts reach {dest} directly: a server federating with a \
                 service its users share, whose timer is its users' traffic relayed (each user \
                 is judged on its own session to this server), not a client's",
                at_least(view.host_serves, view.host_serves_at_bound)
            ),
        ));
    }
    if n >= cfg.shared_min_hosts {
        let on_timers = view.other_timers.len();
        let Some(period) = own_period else {
            if let Some(broker) = super::destination::public_broker(dest) {
                // Anyone can publish to a public broker without an account: hosts sharing its
                // address share no service, and an implant there looks like any other client
                // until its topics are seen. The count is said, and given no weight.
                return Some(Signal::new(
                    SignalId::SharedDestination,
                    0.0,
                    format!(
                        "{counted} internal hosts reach {dest} over {protocol}{hist}, but it is \
                         the public broker `{broker}`, which anyone publishes to without an \
                         account: sharing it says nothing of who controls each channel (the \
                         topics do), so the crowd gives no credit"
                    ),
                ));
            }
            // People sharing a service use it without timers; a crowd mostly of machines —
            // hosts on timers (implants on one public broker, devices renewing sessions) and
            // devices holding one session (a fleet on its cloud platform's regional addresses,
            // which other tenants share) — is not, and a host without a timer among them is
            // not one of many people using a service.
            // A "timer" of a day or more is people opening their client each working morning.
            let machine_timers = view
                .other_timers
                .iter()
                .filter(|&&p| p < super::beacon::DAY_SCALE_SECS)
                .count();
            let others = n_run.saturating_sub(1);
            let machines = machine_timers + view.timerless_devices();
            if view.external && others > 0 && machines * 2 > others {
                return Some(Signal::new(
                    SignalId::SharedDestination,
                    0.0,
                    format!(
                        "{counted} internal hosts reach {dest} over {protocol}{hist}, but {} of \
                         the {others} others in this data are machines ({machine_timers} keep a \
                         timer to it shorter than a day, {} are devices doing nothing else): not \
                         people sharing a service, so the crowd gives a host without a timer no \
                         credit",
                        machines,
                        view.timerless_devices()
                    ),
                ));
            }
            return Some(Signal::new(
                SignalId::SharedDestination,
                w.shared_destination,
                format!(
                    "{counted} internal hosts reach {dest} over {protocol}{hist} and this channel keeps no \
                     timer: a service people share, not one host's server"
                ),
            ));
        };
        let alike = view
            .other_timers
            .iter()
            .filter(|&&p| similar(p, period, cfg.similar_period))
            .count();
        // A timer several clients share, while most clients have none, is how the client
        // software reconnects (always-on desktops); one nobody else has is the host's own.
        let minority = (on_timers + 1) * 2 <= n_run;
        if alike >= cfg.similar_timers_min && minority {
            return Some(Signal::new(
                SignalId::SharedDestination,
                w.shared_destination,
                format!(
                    "{counted} internal hosts reach {dest} over {protocol}{hist}; {alike} others keep the same \
                     timer of about {} and most keep none: the client software's reconnection, \
                     not one host's",
                    human_period(period)
                ),
            ));
        }
        if alike == 0 && (on_timers + 1) * 3 <= n_run {
            return Some(Signal::new(
                SignalId::LoneTimerOnSharedDestination,
                w.lone_timer_on_shared_destination,
                format!(
                    "a timer of about {} to {dest}, which {n_run} internal hosts reach over \
                     {protocol}: {on_timers} of the others keep a timer and none a similar one, so \
                     this host stands apart from the service's clients",
                    human_period(period)
                ),
            ));
        }
        return None;
    }
    if n == 1 && view.external && view.data_hosts >= cfg.sole_host_min_data_hosts {
        if let Some(broker) = super::destination::public_broker(dest) {
            // The converse of the crowd's credit withheld above: a public broker serves the
            // whole internet, so one host reaching it does not make it a server that host talks
            // to. The count is said, and given no weight.
            return Some(Signal::new(
                SignalId::SoleHostDestination,
                0.0,
                format!(
                    "the only one of the data's {} hosts to reach {dest} over {protocol}, but it \
                     is the public broker `{broker}`, which serves anyone: one host reaching it \
                     does not make it a server that host talks to (the topics say whose channel \
                     it is)",
                    view.data_hosts
                ),
            ));
        }
        return Some(Signal::new(
            SignalId::SoleHostDestination,
            w.sole_host_destination,
            format!(
                "the only one of the data's {} hosts to reach {dest} over {protocol}: a server \
                 one host talks to",
                view.data_hosts
            ),
        ));
    }
    None
}

#[cfg(test)]
#[path = "prevalence_tests.rs"]
mod tests;
