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
    /// Other hosts without a timer to it that the census shows doing nothing but housekeeping
    /// and this service: devices holding their session.
    pub other_devices: usize,
    /// Other hosts reaching the destination's network (its /24 or /48) over the protocol, and
    /// how many of them the census shows to be devices doing nothing but housekeeping and that
    /// service.
    pub pool_others: usize,
    pub pool_devices: usize,
    /// The hosts the channel's own initiating host serves over the protocol (its clients) that
    /// keep a timer to it, each with its period in seconds (connection-level, or of the
    /// messages published in its sessions), in host order.
    pub client_timers: Vec<(String, f64)>,
    /// Distinct hosts in the data with any pub/sub channel (capped likewise).
    pub data_hosts: usize,
    /// Whether the destination is outside the internal networks.
    pub external: bool,
    /// Distinct internal hosts that reach the channel's own initiating host over the protocol
    /// (it serves them), capped likewise.
    pub host_serves: usize,
    /// `host_serves` met the same bound: a lower bound.
    pub host_serves_at_bound: bool,
}

fn similar(a: f64, b: f64, tolerance: f64) -> bool {
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

/// The prevalence signal of a channel, given what its peers do and its own beacon period (when
/// its connections are on a timer).
pub fn score_prevalence(
    view: &PeerView,
    own_period: Option<f64>,
    protocol: Protocol,
    cfg: &PrevalenceConfig,
    w: &Weights,
) -> Option<Signal> {
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
        && let Some(own) = own_period
        && let Some((client, theirs)) = view
            .client_timers
            .iter()
            .find(|(_, p)| similar(*p, own, cfg.similar_period))
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
                human_period(own),
                human_period(*theirs)
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
            let machines = machine_timers + view.other_devices;
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
                        machines, view.other_devices
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
mod tests {
    use super::*;

    fn view(hosts: usize, timers: &[f64]) -> PeerView {
        PeerView {
            destination: "chat.example.net".into(),
            hosts,
            other_timers: timers.to_vec(),
            other_devices: 0,
            pool_others: 0,
            pool_devices: 0,
            client_timers: Vec::new(),
            data_hosts: 80,
            external: true,
            host_serves: 0,
            hosts_from_history: 0,
            hosts_at_bound: false,
            host_serves_at_bound: false,
        }
    }

    /// A count at the bound on remembered hosts is a lower bound, and the sentence says so.
    #[test]
    fn a_count_at_the_bound_says_at_least() {
        let score = |v: &PeerView| {
            score_prevalence(
                v,
                None,
                Protocol::Mqtt,
                &PrevalenceConfig::default(),
                &Weights::default(),
            )
            .unwrap()
            .reason
        };
        let mut v = view(256, &[]);
        assert!(
            score(&v).starts_with("256 internal hosts reach"),
            "{}",
            score(&v)
        );
        v.hosts_at_bound = true;
        assert!(
            score(&v).starts_with("at least 256 internal hosts reach"),
            "{}",
            score(&v)
        );
        let mut server = view(1, &[]);
        server.host_serves = 255;
        server.host_serves_at_bound = true;
        assert!(
            score(&server).contains("server that at least 255 internal hosts reach"),
            "{}",
            score(&server)
        );
    }

    #[test]
    fn hosts_from_earlier_runs_count_but_their_timers_are_unknown() {
        let mut v = view(5, &[]);
        v.hosts_from_history = 4;
        let s = score_prevalence(
            &v,
            None,
            Protocol::Xmpp,
            &PrevalenceConfig::default(),
            &Weights::default(),
        )
        .unwrap();
        assert_eq!(s.id, SignalId::SharedDestination);
        assert!(
            s.reason.contains("4 of them seen only in earlier runs"),
            "{}",
            s.reason
        );
        // A timer of its own is not judged against hosts whose timers the history does not keep.
        assert_eq!(id(&v, Some(600.0)), None);
        v.hosts_from_history = 0;
        assert_eq!(
            id(&v, Some(600.0)),
            Some(SignalId::LoneTimerOnSharedDestination)
        );
    }

    fn id(v: &PeerView, own: Option<f64>) -> Option<SignalId> {
        score_prevalence(
            v,
            own,
            Protocol::Xmpp,
            &PrevalenceConfig::default(),
            &Weights::default(),
        )
        .map(|s| s.id)
    }

    #[test]
    fn a_shared_service_without_a_timer_is_benign() {
        assert_eq!(id(&view(12, &[]), None), Some(SignalId::SharedDestination));
        assert_eq!(id(&view(3, &[]), None), None, "below shared_min_hosts");
    }

    /// A crowd mostly of machines (hosts on timers, devices holding one session) is not people
    /// sharing a service: a host without a timer among them gets no credit from it.
    #[test]
    fn a_crowd_of_machines_vouches_for_nobody() {
        let weight = |v: &PeerView| {
            score_prevalence(
                v,
                None,
                Protocol::Mqtt,
                &PrevalenceConfig::default(),
                &Weights::default(),
            )
            .map(|s| (s.id, s.weight, s.reason))
            .unwrap()
        };
        let credit = Weights::default().shared_destination;
        // Three implants beaconing to one broker, and this host: 3 of 3 others on timers.
        let (id, w, why) = weight(&view(4, &[600.0, 900.0, 3600.0]));
        assert_eq!((id, w), (SignalId::SharedDestination, 0.0));
        assert!(
            why.contains("3 of the 3 others in this data are machines"),
            "{why}"
        );
        // Four building gateways holding their sessions to their platform's addresses.
        let mut fleet = view(5, &[]);
        fleet.other_devices = 4;
        let (_, w, why) = weight(&fleet);
        assert_eq!(w, 0.0);
        assert!(why.contains("4 are devices doing nothing else"), "{why}");
        // Half of them machines: people still share it.
        let mut half = view(5, &[600.0]);
        half.other_devices = 1;
        assert_eq!(weight(&half).1, credit);
        // Internal: the site's own broker, which its devices and its people share.
        let mut internal = view(4, &[600.0, 900.0, 3600.0]);
        internal.external = false;
        assert_eq!(weight(&internal).1, credit);
        // People: no timers, no devices; or clients opened each working morning, whose
        // connections recur about daily.
        assert_eq!(weight(&view(12, &[])).1, credit);
        assert_eq!(
            weight(&view(7, &[86_400.0, 90_000.0, 84_000.0, 86_000.0])).1,
            credit
        );
    }

    #[test]
    fn a_network_mostly_devices_reach_is_a_device_platform() {
        let mut v = view(1, &[]);
        (v.pool_others, v.pool_devices) = (4, 4);
        let why = device_platform(&v).unwrap();
        assert!(why.starts_with("4 of the 4 other hosts"), "{why}");
        (v.pool_others, v.pool_devices) = (5, 3);
        assert!(device_platform(&v).is_some());
        // Half of them devices, one device, or the site's own network: not a platform.
        (v.pool_others, v.pool_devices) = (4, 2);
        assert!(device_platform(&v).is_none());
        (v.pool_others, v.pool_devices) = (1, 1);
        assert!(device_platform(&v).is_none());
        (v.pool_others, v.pool_devices) = (4, 4);
        v.external = false;
        assert!(device_platform(&v).is_none());
    }

    /// Hosts sharing a public broker share no service: each may talk to a different controller
    /// through its own topics, so the count is reported without weight.
    #[test]
    fn a_public_broker_many_hosts_reach_earns_no_credit() {
        let score = |dest: &str| {
            let mut v = view(4, &[]);
            v.destination = dest.into();
            score_prevalence(
                &v,
                None,
                Protocol::Mqtt,
                &PrevalenceConfig::default(),
                &Weights::default(),
            )
            .unwrap()
        };
        let open = score("broker.emqx.io");
        assert_eq!(open.id, SignalId::SharedDestination);
        assert_eq!(open.weight, 0.0);
        assert!(open.reason.contains("public broker"), "{}", open.reason);
        let hosted = score("mq.example-saas.net");
        assert_eq!(hosted.weight, Weights::default().shared_destination);
        assert!(hosted.weight < 0.0);
    }

    #[test]
    fn a_timer_others_share_is_the_client_softwares_one_nobody_shares_stands_out() {
        // 3 of 12 clients on a ~1 h timer (the app's reconnect on always-on desktops).
        let v = view(12, &[3600.0, 3500.0]);
        assert_eq!(id(&v, Some(3700.0)), Some(SignalId::SharedDestination));
        // The same crowd, but this host's timer is 10 minutes: nobody else has it.
        let v = view(12, &[3600.0]);
        assert_eq!(
            id(&v, Some(600.0)),
            Some(SignalId::LoneTimerOnSharedDestination)
        );
        // Most hosts on one timer: a fleet (devices, or one implant on many hosts): no credit.
        let v = view(6, &[600.0, 610.0, 590.0, 605.0, 600.0]);
        assert_eq!(id(&v, Some(600.0)), None);
    }

    #[test]
    fn a_server_many_hosts_reach_federates_unless_it_keeps_a_timer() {
        let mut v = view(1, &[]);
        v.host_serves = 25;
        assert_eq!(id(&v, None), Some(SignalId::ServerFederation));
        // A timer of its own: judged as any channel (here the only host reaching it).
        assert_eq!(id(&v, Some(600.0)), Some(SignalId::SoleHostDestination));
        v.host_serves = 2;
        assert_eq!(id(&v, None), Some(SignalId::SoleHostDestination));
    }

    #[test]
    fn a_servers_timer_that_one_of_its_clients_keeps_is_that_clients_relayed() {
        // The chat server's link to a public server nobody else reaches, opened every ten
        // minutes: one of its 25 clients publishes every ten minutes in its session to it.
        let mut v = view(1, &[]);
        v.host_serves = 25;
        v.client_timers = vec![("10.1.1.7".into(), 3600.0), ("10.1.1.9".into(), 610.0)];
        let s = score_prevalence(
            &v,
            Some(590.0),
            Protocol::Xmpp,
            &PrevalenceConfig::default(),
            &Weights::default(),
        )
        .unwrap();
        assert_eq!(s.id, SignalId::ServerFederation);
        assert!(
            s.reason
                .contains("its client 10.1.1.9 keeps to it (10 min)"),
            "{}",
            s.reason
        );
        // A timer none of its clients keeps is the server's own.
        v.client_timers = vec![("10.1.1.7".into(), 3600.0)];
        assert_eq!(id(&v, Some(590.0)), Some(SignalId::SoleHostDestination));
        // A host serving too few to be a server is judged as any client.
        v.client_timers = vec![("10.1.1.9".into(), 610.0)];
        v.host_serves = 2;
        assert_eq!(id(&v, Some(590.0)), Some(SignalId::SoleHostDestination));
    }

    #[test]
    fn a_servers_timer_to_a_service_its_users_share_is_their_traffic_relayed() {
        // The chat server federating with the public server 12 of its users reach directly.
        let mut v = view(12, &[]);
        v.host_serves = 25;
        assert_eq!(id(&v, Some(600.0)), Some(SignalId::ServerFederation));
        // The same timer from a host that serves nobody stands apart from the crowd.
        v.host_serves = 0;
        assert_eq!(
            id(&v, Some(600.0)),
            Some(SignalId::LoneTimerOnSharedDestination)
        );
        // A server keeping a timer to a destination none of its users reach: its own.
        let mut v = view(1, &[]);
        v.host_serves = 25;
        assert_eq!(id(&v, Some(600.0)), Some(SignalId::SoleHostDestination));
    }

    #[test]
    fn one_host_to_an_external_server_is_suspicious_only_in_data_with_many_hosts() {
        assert_eq!(id(&view(1, &[]), None), Some(SignalId::SoleHostDestination));
        let mut v = view(1, &[]);
        v.data_hosts = 1;
        assert_eq!(id(&v, None), None, "a capture of one machine");
        v.data_hosts = 80;
        v.external = false;
        assert_eq!(
            id(&v, None),
            None,
            "internal servers are judged by the allowlist"
        );
    }
}
