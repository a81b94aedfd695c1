//! Tests of the prevalence signals.

use super::*;

fn view(hosts: usize, timers: &[f64]) -> PeerView {
    PeerView {
        destination: "chat.example.net".into(),
        hosts,
        other_timers: timers.to_vec(),
        other_device_timers: Vec::new(),
        other_busy_timers: Vec::new(),
        pool_others: 0,
        pool_devices: 0,
        client_timers: Vec::new(),
        relayed_timers: Vec::new(),
        data_hosts: 80,
        external: true,
        host_serves: 0,
        hosts_from_history: 0,
        hosts_at_bound: false,
        host_serves_at_bound: false,
        fleet_outlier: None,
    }
}

/// The prevalence signal of `v` with the default tuning, for a channel keeping timer `own`.
/// A timer of `period` seconds kept all day.
fn all_day(period: f64) -> KeptTimer {
    KeptTimer {
        period,
        runs_for: 86_400.0,
    }
}

fn judged(v: &PeerView, own: Option<f64>, protocol: Protocol) -> Option<Signal> {
    score_prevalence(
        v,
        own.map(all_day),
        protocol,
        &PrevalenceConfig::default(),
        &Weights::default(),
    )
}

/// A count at the bound on remembered hosts is a lower bound, and the sentence says so.
#[test]
fn a_count_at_the_bound_says_at_least() {
    let score = |v: &PeerView| judged(v, None, Protocol::Mqtt).unwrap().reason;
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
    let s = judged(&v, None, Protocol::Xmpp).unwrap();
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
    judged(v, own, Protocol::Xmpp).map(|s| s.id)
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
        judged(v, None, Protocol::Mqtt)
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
    fleet.other_device_timers = vec![None; 4];
    let (_, w, why) = weight(&fleet);
    assert_eq!(w, 0.0);
    assert!(why.contains("4 are devices doing nothing else"), "{why}");
    // Half of them machines: people still share it.
    let mut half = view(5, &[600.0]);
    half.other_device_timers = vec![None];
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
        judged(&v, None, Protocol::Mqtt).unwrap()
    };
    let open = score("broker.emqx.io");
    assert_eq!(open.id, SignalId::SharedDestination);
    assert_eq!(open.weight, 0.0);
    assert!(open.reason.contains("public broker"), "{}", open.reason);
    let hosted = score("mq.example-saas.net");
    assert_eq!(hosted.weight, Weights::default().shared_destination);
    assert!(hosted.weight < 0.0);
}

/// The converse: one host alone on a public broker does not make it a server that host talks
/// to, while one alone on an unlisted address does.
#[test]
fn a_public_broker_one_host_reaches_earns_no_suspicion() {
    let score = |dest: &str| {
        let mut v = view(1, &[]);
        v.destination = dest.into();
        judged(&v, None, Protocol::Mqtt).unwrap()
    };
    let open = score("test.mosquitto.org");
    assert_eq!(open.id, SignalId::SoleHostDestination);
    assert_eq!(open.weight, 0.0);
    assert!(open.reason.contains("public broker"), "{}", open.reason);
    let own = score("mq.example-vps.net");
    assert_eq!(own.weight, Weights::default().sole_host_destination);
    assert!(own.weight > 0.0);
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
    v.client_timers = vec![
        ("10.1.1.7".into(), all_day(3600.0)),
        ("10.1.1.9".into(), all_day(610.0)),
    ];
    let s = judged(&v, Some(590.0), Protocol::Xmpp).unwrap();
    assert_eq!(s.id, SignalId::ServerFederation);
    assert!(
        s.reason
            .contains("its client 10.1.1.9 keeps to it (10 min)"),
        "{}",
        s.reason
    );
    // A timer none of its clients keeps is the server's own.
    v.client_timers = vec![("10.1.1.7".into(), all_day(3600.0))];
    assert_eq!(id(&v, Some(590.0)), Some(SignalId::SoleHostDestination));
    // A host serving too few to be a server is judged as any client.
    v.client_timers = vec![("10.1.1.9".into(), all_day(610.0))];
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

#[test]
fn a_servers_link_open_most_of_the_time_is_held_federation() {
    let mut v = view(1, &[]);
    v.host_serves = 25;
    let cfg = PrevalenceConfig::default();
    let w = Weights::default();
    let s = score_held_federation(&v, || 0.8, Protocol::Xmpp, &cfg, &w).expect("held");
    assert_eq!(s.id, SignalId::ServerFederation);
    assert!(s.reason.contains("open 80 %"), "{}", s.reason);
    // Open a fifth of the time: check-ins, the server's own.
    assert!(score_held_federation(&v, || 0.2, Protocol::Xmpp, &cfg, &w).is_none());
    // A host serving too few is no server.
    v.host_serves = 2;
    assert!(score_held_federation(&v, || 0.8, Protocol::Xmpp, &cfg, &w).is_none());
}
