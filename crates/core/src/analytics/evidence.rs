//! Behaviour evidence of one group: runs the [`crate::behaviour`] scorers over what the group
//! collected (connection start times and sizes, the initiating process, the destination, and
//! what packet inspection learned: client ids, topics, server names, message timings) and keeps
//! the strongest signal per id, so a group with a hundred odd topics counts that evidence once.

use super::content::{beaconing_messages, opaque_payloads, published_counts_per_minute};
use super::device_evidence::{DeviceFacts, device_signals, service_sessions};
use super::group::{GroupContext, GroupKey, GroupStats, earliest_spans, publication_rate};
use super::peer_evidence::{PeerFacts, peer_signals};
use super::points::single_exchange_points;
use super::telemetry::{PLAIN_TELEMETRY_BEACON_FACTOR, plain_telemetry, telemetry_readings};
use crate::behaviour::beacon::DAY_SCALE_SECS;
use crate::behaviour::beacon::beacon_weighs_nothing;
use crate::behaviour::destination::{
    allow_hint_for_name, known_benign_signal, score_destination_ip, score_retired_xmpp_name,
    score_server_name,
};
use crate::behaviour::device::{ROUND_THE_CLOCK, score_kept_around_the_clock};
use crate::behaviour::interactive::{
    score_interactive, score_unanswered_uploads, working_day_rhythm,
};
use crate::behaviour::names::{
    score_client_id, score_host_scoped, score_jid, score_topic, score_unnamed_client,
};
use crate::behaviour::presence::{
    HELD_SESSION_BEACON_FACTOR, held_session_renewal, score_occasional, score_transient,
};
use crate::behaviour::prevalence::{KeptTimer, device_platform};
use crate::behaviour::process::score_process;
use crate::behaviour::rate::{rate_burst, rate_vs_peers};
use crate::behaviour::tasking::score_tasked_check_ins;
use crate::behaviour::tools::score_single_shot;
use crate::behaviour::{Signal, beacon::BeaconScore};
use crate::config::HuntConfig;
use crate::signal::SignalId;
use crate::time::Micros;
use std::collections::BTreeMap;

/// The group's signals, strongest per id, in id order.
pub(super) fn signals(
    cfg: &HuntConfig,
    key: &GroupKey,
    stats: &GroupStats,
    group: &GroupContext,
) -> Vec<Signal> {
    let b = &cfg.behaviour;
    let w = &b.weights;
    let mut all: Vec<Signal> = Vec::new();

    if let Some(img) = key.process.as_deref() {
        all.extend(score_process(img, w));
    }
    all.extend(score_destination_ip(key.dst_ip, key.dst_port, w));

    // Connection-level beaconing: when each connection started. A channel is judged over all its
    // connections, across windows: a beacon slower than the window is still one beacon.
    let conn_beacon = match &group.conn_beacon {
        Some(judged) => judged.clone(),
        None => super::peers::conn_beacon(cfg, stats),
    };
    // The channel's own timer (its period, and how long it ran, which tells a relay from a
    // timer of its own), until the evidence below explains it away.
    let mut own_timer: Option<KeptTimer> = None;
    let mut held_renewal = false;
    // How long each kept connection stayed open, read once the channel has a timer: whether it
    // is a held session's renewal, and whether its check-ins are tasked.
    let mut held: Vec<Micros> = Vec::new();
    if let Some(score) = conn_beacon
        && let Some(mut s) = score.signal(w, &b.beacon)
    {
        own_timer = Some(KeptTimer::of(&score));
        held = earliest_spans(&stats.conn_spans)
            .iter()
            .map(|s| s.end.saturating_sub(s.start))
            .collect();
        if let Some(why) = held_session_renewal(&held, score.interval_secs) {
            held_renewal = true;
            s.weight *= HELD_SESSION_BEACON_FACTOR;
            s.reason
                .push_str(&format!("; weight × {HELD_SESSION_BEACON_FACTOR}: {why}"));
        }
        all.push(s);
    }

    // Names of the destination: what the session announced (SNI, XMPP `to`) and what the log
    // source resolved (Sysmon `DestinationHostname`).
    let announced = stats.app.as_deref().map(|a| &a.server_names);
    let names: std::collections::BTreeSet<&String> = stats
        .dst_names
        .iter()
        .chain(announced.into_iter().flatten())
        .collect();
    for name in names {
        all.extend(score_server_name(name, w));
        if key.protocol == crate::protocol::Protocol::Xmpp {
            all.extend(score_retired_xmpp_name(name, w));
        }
        if let Some(h) = allow_hint_for_name(name, Some(key.dst_port)) {
            all.push(known_benign_signal(h, name, w));
        }
    }

    // A cloud IoT endpoint says little until the hunter names the hosts that should reach one.
    if !cfg.iot_hosts.is_empty() {
        let iot_host = cfg.iot_hosts.contains(&key.host, stats.src_ip);
        for s in all
            .iter_mut()
            .filter(|s| s.id == SignalId::CloudIotEndpoint)
        {
            if iot_host {
                s.weight = 0.0;
                s.reason.push_str(&format!(
                    "; {} is one of the configured IoT hosts, so this is expected",
                    key.host
                ));
            } else {
                s.id = SignalId::CloudIotFromOtherHost;
                s.weight = w.cloud_iot_from_other_host;
                s.reason = format!(
                    "{}; {} is not among the configured IoT hosts ([hosts] iot: {})",
                    s.reason,
                    key.host,
                    cfg.iot_hosts.describe()
                );
            }
        }
    } else if group.shows_only_this_service {
        // The endpoint is unusual for hosts shown to be something else; a host the inputs show
        // doing nothing but this service may well be one of the devices the platform serves (a
        // capture cannot show that it did nothing else, so this withholds suspicion and gives
        // no credit).
        for s in all
            .iter_mut()
            .filter(|s| s.id == SignalId::CloudIotEndpoint)
        {
            s.weight = 0.0;
            s.reason.push_str(
                "; weight 0: the inputs show the host doing nothing but this service (and name \
                 lookups): nothing says it is not one of the devices the platform serves",
            );
        }
    }

    if held_renewal {
        platform_renewal(&mut all);
    }

    if let Some(app) = stats.app.as_deref() {
        for id in &app.client_ids {
            all.extend(score_client_id(id, w));
        }
        all.extend(score_unnamed_client(
            app.client_ids.len(),
            app.unnamed_clients,
            w,
        ));
        let first_client = app.client_ids.first().map(String::as_str);
        // A correspondent's address is named by its owner, like a topic: `bot@c2.example`.
        for peer in &app.peers {
            all.extend(score_jid(peer, w).into_iter().map(|mut s| {
                s.reason = format!("correspondent {peer}: {}", s.reason);
                s
            }));
        }
        for t in &app.topics {
            all.extend(score_topic(&t.name, w));
            all.extend(score_host_scoped(&t.name, &key.host, first_client, w));
        }

        // Message-level beaconing inside long-lived sessions: what the client published, with
        // the announced keepalive so that pings are never mistaken for beacons, and without
        // application heartbeats (Celery's `worker.heartbeat`), which are keepalives too
        // (`peers::message_beacon`, judged once for the peers when they were counted).
        let judged = match &group.message_beacon {
            Some(judged) => judged.clone(),
            None => super::peers::message_beacon(cfg, stats),
        };
        if let Some(score) = judged
            && let Some(mut s) = message_beacon(&score, cfg)
        {
            if let Some(why) = plain_telemetry(app, &beaconing_messages(app)) {
                s.weight *= PLAIN_TELEMETRY_BEACON_FACTOR;
                s.reason.push_str(&format!(
                    "; weight × {PLAIN_TELEMETRY_BEACON_FACTOR}: {why}, and periodic telemetry is \
                     what devices send"
                ));
            }
            all.push(s);
        }
    }
    // Internal brokers serve internal services, which publish and reconnect on timers by design;
    // regular timing to an external destination is what a beacon looks like.
    if cfg.internal.containing(key.dst_ip).is_some() {
        for s in all.iter_mut().filter(|s| s.id.is_beacon()) {
            s.weight *= INTERNAL_BEACON_FACTOR;
            s.reason.push_str(&format!(
                "; weight × {INTERNAL_BEACON_FACTOR}: the destination is internal"
            ));
        }
    }

    // A short stretch of irregular use well inside the data is a session, not a channel; regular
    // check-ins, however short-lived, are a beacon and keep their weight alone.
    // A connection "timer" of a day or more is how people start their working day (a chat
    // client opened each morning); the working-hours test below tells the two apart, so such a
    // timer does not stop it.
    let daily = own_timer.is_some_and(|t| t.period >= DAY_SCALE_SECS);
    let regular = all
        .iter()
        .any(|s| s.id.is_beacon() && s.weight > 0.0 && !(daily && s.id == SignalId::Beacon));
    if !regular && let (Some(channel), Some(data)) = (group.channel_span, group.data_span) {
        match score_transient(channel, data, w) {
            Some(s) => all.push(s),
            None => all.extend(
                occasions(stats, group)
                    .and_then(|v| score_occasional(&v, data, group.host_last_seen, w)),
            ),
        }
    }
    // Long sessions in working hours without regular timing: people at work. A one-off stretch
    // is already judged transient; the two are one judgement of how the channel was used. A
    // host that kept the service open through a night and a day did not close what it opened
    // at work: its openings in working hours are reconnections, not a person's sessions.
    let kept_overnight = group
        .kept_by_busy_host
        .is_some_and(|secs| secs.saturating_mul(1_000_000) >= ROUND_THE_CLOCK);
    // A held session's renewal (the connection `beacon` halved above: each connection stays
    // open most of the period) of an hour or more is how a client keeps its session, or how its
    // server drops it, not a program waking on a timer: it does not stop the judgement of how
    // the sessions were used (a check-in timer, a message timer, does). Shorter, it is a loop
    // (a subscriber run again on a timeout every few minutes), which stays a timer.
    let renewal_only = held_renewal
        && own_timer.is_some_and(|t| t.period >= SESSION_RENEWAL_SECS)
        && !all
            .iter()
            .any(|s| s.id.is_beacon() && s.weight > 0.0 && s.id != SignalId::Beacon);
    if (!regular || renewal_only)
        && !kept_overnight
        && !all.iter().any(|s| s.id == SignalId::TransientUse)
    {
        // A service answering from a pool of addresses splits the host's sessions over as many
        // channels; how the host uses the service is judged over all of them.
        let spans = service_sessions(stats, group);
        let zone = group
            .local_zone
            .unwrap_or_else(|| b.interactive.configured_zone());
        // An implant on a laptop keeps its owner's hours too, but it uploads over its sessions
        // and is answered with acknowledgements: only sessions answered in proportion count
        // (`interactive::answered`), so the credit is the same on every protocol.
        if let Some(mut s) =
            score_interactive(&spans, group.data_span, &b.interactive, &zone, w, daily)
        {
            if let Some(why) = group.peers.as_ref().and_then(device_platform) {
                s.weight = 0.0;
                s.reason.push_str(&format!("; weight 0: {why}"));
            }
            if let Some(pool) = &group.pool {
                s.reason.push_str(&format!(
                    "; judged over its {} sessions with the {} addresses of {} it reached on \
                     port {} (one service's pool: each session reaches one address)",
                    pool.spans.len(),
                    pool.addresses,
                    pool.network,
                    key.dst_port
                ));
            }
            if renewal_only && !daily && s.weight < 0.0 {
                // Sessions a person opened and closed in working hours, renewed while open.
                s.reason.push_str(
                    " (the renewals of its held sessions aside: each stayed open most of the \
                     time to the next)",
                );
                beacon_weighs_nothing(
                    &mut all,
                    "the renewals of sessions a person opened and closed in working hours \
                     (interactive_use)",
                );
                own_timer = None;
            }
            if daily {
                // The daily "beacon" was a working day's rhythm: it is not evidence of a timer.
                all.retain(|x| x.id != SignalId::Beacon);
                own_timer = None;
                s.reason.push_str(
                    "; its connections recur about daily, at the start of working days, which is \
                     a person's rhythm rather than a timer's",
                );
            }
            all.push(s);
        } else if daily && stats.conn_spans.is_empty() {
            // The source records only openings: the same judgement of the daily rhythm, on them.
            let starts: Vec<Micros> = stats.conn_starts.iter().map(|c| c.ts).collect();
            if let Some(why) = working_day_rhythm(&starts, group.data_span, &b.interactive, &zone) {
                all.retain(|x| x.id != SignalId::Beacon);
                own_timer = None;
                all.push(Signal::new(SignalId::InteractiveUse, 0.0, why));
            }
        }
    }

    // Who else reaches the destination, judged against this channel's own timer. A channel
    // hunted for its masqueraded program has no protocol to count the destination's clients by
    // (only other masqueraded programs would be its peers), so it is not judged by them.
    let unidentified = key.protocol == crate::protocol::Protocol::Unidentified;
    if let Some(view) = group.peers.as_ref().filter(|_| !unidentified) {
        peer_signals(
            &mut all,
            &PeerFacts {
                key,
                stats,
                group,
                view,
                own_timer,
            },
            cfg,
        );
    }

    // What the census says of the host: a device doing its one job, or one of a fleet.
    device_signals(
        &mut all,
        &DeviceFacts {
            key,
            stats,
            group,
            own_timer: own_timer.map(|t| t.period).filter(|_| !unidentified),
            held_renewal,
            peers: group.peers.as_ref().filter(|_| !unidentified),
        },
        cfg,
    );

    if let Some(secs) = group.kept_by_busy_host
        && cfg.internal.containing(key.dst_ip).is_none()
    {
        all.extend(score_kept_around_the_clock(
            secs.saturating_mul(1_000_000),
            key.dst_port,
            w,
        ));
        // How the busy host used the service, over every address of its pool it reached.
        all.extend(score_unanswered_uploads(
            &service_sessions(stats, group),
            key.dst_port,
            w,
        ));
    }

    // A check-in timer, still standing, whose server delivers something now and then; judged
    // when the source recorded the end of most of its connections (the spans kept are a sample).
    // The connection `beacon` is only ever given above, where `held` was read.
    if !held_renewal
        && stats.spans_seen.saturating_mul(2) >= stats.starts_seen
        && all
            .iter()
            .any(|s| s.id == SignalId::Beacon && s.weight > 0.0)
    {
        let replies: Vec<u64> = stats
            .conn_starts
            .iter()
            .filter(|c| c.has_bytes)
            .map(|c| c.bytes_in)
            .collect();
        all.extend(score_tasked_check_ins(&replies, &held, w));
    }

    if let Some(app) = stats.app.as_deref() {
        let mut opaque = opaque_payloads(app, w);
        if key.protocol == crate::protocol::Protocol::Xmpp {
            // People chat in words. Devices send encoded binary on MQTT by design, but a chat
            // account whose messages are mostly one encoded body is a program speaking through it.
            for s in opaque.iter_mut().filter(|s| {
                matches!(
                    s.id,
                    SignalId::PayloadEncoded | SignalId::PayloadHighEntropy
                )
            }) {
                s.weight *= CHAT_OPAQUE_FACTOR;
                s.reason.push_str(&format!(
                    "; weight × {CHAT_OPAQUE_FACTOR}: XMPP carries people's words, and a chat \
                     account sending mostly encoded bodies is a program speaking through it"
                ));
            }
        }
        all.extend(opaque);
        all.extend(telemetry_readings(app, w));
        let trial = super::trial::trial_exchange(app, &all, w);
        all.extend(trial);
        all.extend(rate_burst(&published_counts_per_minute(app), w));
    }
    if let Some(rate) = publication_rate(stats) {
        all.extend(rate_vs_peers(rate, &group.peer_rates, w));
    }
    // What "first" was measured against: earlier windows of this run, or the history too.
    let before = |verb: &str| match group.known_since {
        Some(t) => format!(
            "neither earlier runs (history since {}) nor earlier windows of this run {verb} it",
            crate::prior::format_day(crate::prior::day_of(t))
        ),
        None => format!(
            "no earlier window {} it",
            if verb == "have" { "has" } else { verb }
        ),
    };
    if group.new_process
        && !unidentified
        && let Some(p) = key.process.as_deref()
    {
        all.push(Signal::new(
            SignalId::NewProcess,
            w.new_process,
            format!(
                "{} speaks {} for the first time in the data ({})",
                crate::event::process_basename(p),
                key.protocol,
                before("have")
            ),
        ));
    }
    if group.new_broker {
        all.push(Signal::new(
            SignalId::NewBroker,
            w.new_broker,
            format!(
                "{} is first contacted in this window ({})",
                std::net::SocketAddr::new(key.dst_ip, key.dst_port),
                before("reached")
            ),
        ));
    }

    // Signals of analytics the configuration turned off are not evidence.
    all.retain(|s| cfg.analytic_enabled(s.id.analytic()));
    // A hand-driven tool is judged on what the enabled analytics found in its exchange.
    if let Some(img) = key.process.as_deref()
        && let Some(s) = score_single_shot(img, key.protocol, &all, w)
        && cfg.analytic_enabled(s.id.analytic())
    {
        all.push(s);
    }
    offset_shared_credit(&mut all);
    if let Some(img) = key.process.as_deref() {
        all.extend(unremarkable_process(img, key.protocol, &all, w));
    }
    strongest_per_id(all)
}

/// `process_unremarkable` when the source names the program and no signal, of any analytic,
/// holds anything against the channel. A source that records programs shows what an implant
/// is run as: every implant in the evaluation's data carried process evidence (a shell, a
/// user-writable or temporary path, a masqueraded name), a timer or a suspicious destination.
/// With the program known, a channel with nothing of that is a program doing its job, and the
/// seed's protocol prior ("external MQTT from a program that is not a Mosquitto client") is
/// all that remains. Without a recorded program (conn.log, captures) the absence says nothing.
fn unremarkable_process(
    image: &str,
    protocol: crate::protocol::Protocol,
    all: &[Signal],
    w: &crate::behaviour::Weights,
) -> Option<Signal> {
    if all.iter().any(|s| s.weight > 0.0) {
        return None;
    }
    Some(Signal::new(
        SignalId::ProcessUnremarkable,
        w.process_unremarkable,
        format!(
            "the source records the program ({}), and neither it nor the channel's behaviour \
             shows anything ({protocol} on its port is the seed's prior alone): no suspicious \
             path or name, no timer, no suspicious destination or content",
            crate::event::process_basename(image)
        ),
    ))
}

/// Sets a channel's own content and process evidence against the credit of a shared
/// destination and of a dedicated device. The crowd explains the destination (many hosts'
/// service, not one host's server), not what one host says there or which program says it: an
/// implant relaying through a public broker shares the broker, not its subscriptions. Likewise a
/// device's job explains that it holds a session, not a command vocabulary in it. The credit shrinks by
/// those points and never turns into suspicion. A general-purpose interpreter does not count:
/// it is the runtime the crowd's own clients are written for (a team's Node or Python workers on
/// their hosted broker), so it says which runtime, not that the program is this host's alone.
/// Nor does a topic naming the client itself against a device's credit: a device's platform
/// puts its id in its topics (Azure IoT Hub requires `devices/{id}/messages/events/`, AWS IoT
/// uses `$aws/things/{name}/…`), so its job explains that too.
fn offset_shared_credit(all: &mut [Signal]) {
    let weight_of = |all: &[Signal], id: SignalId| -> f64 {
        all.iter()
            .filter(|s| s.id == id && s.weight > 0.0)
            .map(|s| s.weight)
            .sum()
    };
    let interpreter = weight_of(all, SignalId::ProcessInterpreter);
    let own_name = weight_of(all, SignalId::HostScopedTopic);
    let points = single_exchange_points(all) - interpreter;
    for s in all.iter_mut().filter(|s| {
        matches!(
            s.id,
            SignalId::SharedDestination | SignalId::DedicatedDevice | SignalId::DeviceFleet
        ) && s.weight < 0.0
    }) {
        let points = if s.id != SignalId::SharedDestination {
            points - own_name
        } else {
            points
        };
        if points <= 0.0 {
            continue;
        }
        let before = s.weight;
        s.weight = (before + points).min(0.0);
        s.reason.push_str(&format!(
            "; weight {before:+.0} → {:+.0}: the channel's own content and process evidence \
             ({points:.0} points) is not {}",
            s.weight,
            if s.id == SignalId::SharedDestination {
                "the crowd's"
            } else {
                "what a device's job explains"
            }
        ));
    }
}

/// Every connection of the channel as (start, end), over all addresses of its service's pool when
/// it has one (how the host uses the service), or `None` when some were not kept or some end is
/// unknown: occasional use is judged on all of them or not at all.
fn occasions(stats: &GroupStats, group: &GroupContext) -> Option<Vec<(Micros, Micros)>> {
    let spans = match &group.pool {
        Some(pool) => &pool.spans,
        None => &stats.conn_spans,
    };
    let all_kept = spans.len() < super::group::MAX_SPANS_PER_GROUP
        && (group.pool.is_some() || stats.spans_seen == stats.starts_seen);
    (all_kept && !stats.ends_unknown).then(|| spans.iter().map(|s| (s.start, s.end)).collect())
}

/// Least period of a held session's renewal that is a session's lifetime (a token's, a server's
/// idle limit) rather than a loop's, for the judgement of how the sessions were used.
const SESSION_RENEWAL_SECS: f64 = 3600.0;

/// A held session renewed on a timer, to a cloud IoT platform's endpoint that this host may
/// reach (not one the configured IoT hosts alone should): the platform sets the timer. Its
/// devices hold one session and must reconnect when their credentials expire (an Azure IoT Hub
/// SAS token lasts about an hour), so the renewal says how the platform works, not when a
/// program wakes; the connection `beacon` keeps no weight. Whose account it is stays judged
/// (the cloud IoT entry rests on a fleet of hosts, `sole_host_destination` on one).
fn platform_renewal(all: &mut [Signal]) {
    if !all.iter().any(|s| s.id == SignalId::CloudIotEndpoint) {
        return;
    }
    beacon_weighs_nothing(
        all,
        "the destination is a cloud IoT platform's endpoint, whose devices hold one session \
         each and reconnect when their credentials expire, so the platform sets this timer",
    );
}

/// Weight of opaque payload evidence (`payload_encoded`, `payload_high_entropy`) on XMPP.
const CHAT_OPAQUE_FACTOR: f64 = 2.5;

/// Beacon weight kept when the destination is internal.
const INTERNAL_BEACON_FACTOR: f64 = 0.5;

fn message_beacon(score: &BeaconScore, cfg: &HuntConfig) -> Option<Signal> {
    let s = score.signal(&cfg.behaviour.weights, &cfg.behaviour.beacon)?;
    Some(Signal::new(
        SignalId::MessageBeacon,
        s.weight,
        format!("published messages: {}", s.reason),
    ))
}

/// Keeps, for each id, the signal with the largest absolute weight (ties: the first reason in
/// text order, so the result does not depend on the order evidence was found in).
fn strongest_per_id(all: Vec<Signal>) -> Vec<Signal> {
    let mut best: BTreeMap<SignalId, Signal> = BTreeMap::new();
    for s in all {
        match best.get(&s.id) {
            Some(b)
                if b.weight.abs() > s.weight.abs()
                    || (b.weight.abs() == s.weight.abs() && b.reason <= s.reason) => {}
            _ => {
                best.insert(s.id, s);
            }
        }
    }
    best.into_values().collect()
}

#[cfg(test)]
#[path = "evidence_tests.rs"]
mod tests;
