//! Rating: the seeds' suspicion matrix (pubsub-port), the unusual-port rule, and the sentences
//! that explain each alert. One function per analytic; both share the scope and count reasons so
//! an alert always says how many connections it covers and why its destination is external or
//! internal.

use super::group::{GroupContext, GroupKey, GroupStats, OneExchange};
use crate::TECHNIQUE;
use crate::alert::Alert;
use crate::config::HuntConfig;
use crate::protocol::Protocol;
use crate::time::format_rfc3339;
use crate::verdict::{AnalyticId, Suspicion};

fn port_list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn rate(
    cfg: &HuntConfig,
    key: &GroupKey,
    stats: &GroupStats,
    ctx: &GroupContext,
) -> Alert {
    let internal_net = cfg.internal.containing(key.dst_ip);
    let external = internal_net.is_none();
    let mut reasons = Vec::new();

    let span = match (stats.first_seen, stats.last_seen) {
        (Some(a), Some(b)) if a != b => {
            format!(" between {} and {}", format_rfc3339(a), format_rfc3339(b))
        }
        (Some(a), _) => format!(" at {}", format_rfc3339(a)),
        _ => String::new(),
    };
    let messages = stats.app.as_deref().map_or(0, |a| a.message_count());
    let carrying = if stats.connections < cfg.min_connections && cfg.behaviour.enabled {
        format!(", carrying {messages} messages")
    } else {
        String::new()
    };
    // Fewer exchanges than the seed needs, but the named service this address belongs to had
    // enough over all its addresses (the engine lets such a group through).
    let by_name = ctx
        .named_service
        .as_ref()
        .filter(|n| cfg.behaviour.enabled && n.connections >= cfg.min_connections);
    reasons.push(format!(
        "{} connections from {} to {}{}{carrying} (at least {} needed)",
        stats.connections,
        key.host,
        std::net::SocketAddr::new(key.dst_ip, key.dst_port),
        span,
        cfg.min_connections
    ));
    if stats.connections.max(messages) < cfg.min_connections
        && let Some(named) = by_name
    {
        reasons.push(format!(
            "{} connections from {} to {} on port {} over the {} addresses it was reached at: \
             one named service, which meets the threshold",
            named.connections, key.host, named.name, key.dst_port, named.addresses
        ));
    }

    let suspicion = match key.analytic {
        AnalyticId::PubsubPort => {
            reasons.push(format!(
                "port {} is a standard {} port (configured {} ports: {})",
                key.dst_port,
                key.protocol,
                key.protocol,
                port_list(cfg.standard_ports(key.protocol))
            ));
            scope_reason(&mut reasons, key, internal_net);
            seed_matrix(cfg, key, external, &mut reasons)
        }
        // A masqueraded program's connections, or a public broker's name, on a port no
        // protocol is known for (see `Engine::hunts_masquerading`, `Engine::hunts_by_name`): the
        // seed's rule never covers them.
        AnalyticId::PubsubProcess | AnalyticId::PubsubDestination => {
            reasons.push(hunted_on_any_port(cfg, key));
            scope_reason(&mut reasons, key, internal_net);
            reasons.push(
                "low: the seed's rule covers standard pub/sub ports only; the verdict is the \
                 behaviour analytics'"
                    .to_string(),
            );
            Suspicion::Low
        }
        // The other groups are formed by the unusual-port analytic (see `Engine::candidate_keys`).
        _ => {
            let labels: Vec<String> = stats.labels.iter().map(|l| format!("{l:?}")).collect();
            let label = if labels.is_empty() {
                String::new()
            } else {
                format!(" (labelled {})", labels.join(", "))
            };
            reasons.push(format!(
                "the source identified {}{} on port {}, which is not a standard {} port ({})",
                key.protocol,
                label,
                key.dst_port,
                key.protocol,
                port_list(cfg.standard_ports(key.protocol))
            ));
            scope_reason(&mut reasons, key, internal_net);
            if external {
                reasons.push(format!(
                    "high: {} on a non-standard port to an external destination",
                    key.protocol
                ));
                Suspicion::High
            } else {
                reasons.push(format!(
                    "medium: {} on a non-standard port to an internal destination",
                    key.protocol
                ));
                Suspicion::Medium
            }
        }
    };
    if let Some(app) = stats.app.as_deref() {
        reasons.push(app_reason(app));
    }
    let seed_suspicion = suspicion;
    let (score, suspicion, signals) = if cfg.behaviour.enabled {
        let signals = super::evidence::signals(cfg, key, stats, ctx);
        // Fewer exchanges than the seed needs: whether one exchange showed enough (the engine
        // lets such a group through only then).
        if let Some(basis) = ctx.one_exchange {
            reasons.push(one_exchange_reason(cfg, basis));
        }
        let c = crate::behaviour::score::combine_with(&cfg.behaviour.score, suspicion, &signals);
        for s in &signals {
            reasons.push(format!("{:+.0} {}: {}", s.weight, s.id, s.reason));
        }
        if let Some(step) = &c.prior_step {
            reasons.push(step.clone());
        }
        if (c.suspicion != suspicion || !signals.is_empty())
            && let Some(last) = c.steps.last()
        {
            reasons.push(format!("score {}: {last}", c.score));
        }
        let map = signals
            .iter()
            .map(|s| (s.id, (s.weight * 10.0).round() / 10.0))
            .collect();
        (c.score, c.suspicion, map)
    } else {
        let c = crate::behaviour::score::combine_with(&cfg.behaviour.score, suspicion, &[]);
        (c.score, suspicion, std::collections::BTreeMap::new())
    };
    // Which analytics found something: the port analytic that formed the group, then each
    // behaviour analytic whose signals sum above zero, strongest first.
    let mut per_analytic: std::collections::BTreeMap<AnalyticId, f64> = Default::default();
    for (id, w) in &signals {
        *per_analytic.entry(id.analytic()).or_default() += w;
    }
    let mut found: Vec<(AnalyticId, f64)> =
        per_analytic.into_iter().filter(|(_, w)| *w > 0.0).collect();
    found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut analytics = Vec::with_capacity(found.len() + 1);
    let analytic = if cfg.analytic_enabled(key.analytic) {
        analytics.push(key.analytic);
        key.analytic
    } else {
        // Behaviour analytics alone: the alert belongs to the one with the most evidence (the
        // engine drops groups where none found any).
        found.first().map_or(key.analytic, |(a, _)| *a)
    };
    for (a, _) in &found {
        if !analytics.contains(a) {
            analytics.push(*a);
        }
    }
    if stats.joined_network_groups > 0 || stats.duplicates_merged > 0 {
        reasons.push(join_reason(stats));
    }
    if stats.users_truncated {
        reasons.push(format!(
            "more than {} users; only the first are listed",
            stats.users.len()
        ));
    }

    Alert {
        kind: "alert",
        id: crate::alert::alert_id(
            key.analytic,
            &key.host,
            key.process.as_deref(),
            key.dst_ip,
            key.dst_port,
            key.protocol,
        ),
        analytic,
        analytics,
        technique: TECHNIQUE,
        suspicion,
        seed_suspicion,
        score,
        signals,
        first_seen: stats.first_seen,
        last_seen: stats.last_seen,
        host: key.host.clone(),
        users: stats.users.iter().cloned().collect(),
        process: key.process.clone(),
        src_ip: stats.src_ip,
        dst_ip: key.dst_ip,
        dst_port: key.dst_port,
        destination_names: stats.dst_names.iter().cloned().collect(),
        protocol: key.protocol,
        external,
        connections: stats.connections,
        bytes_sent: stats.bytes_out,
        bytes_received: stats.bytes_in,
        packets_sent: stats.packets_out,
        packets_received: stats.packets_in,
        reasons,
        source_format: stats.formats.iter().copied().collect::<Vec<_>>().join(","),
        samples: stats.samples.iter().cloned().collect(),
        flows: crate::conn_ids::sample_of(&stats.conn_ids),
        suppressed_by: None,
        app: stats.app.as_deref().map(|a| {
            let mut a = Box::new(a.clone());
            a.sort_for_output();
            a
        }),
        windows: None,
        sources: stats.sources.iter().map(|s| s.to_string()).collect(),
        timeline: if cfg.alert_timelines {
            crate::alert::timeline_of(stats.conn_starts.iter().map(|c| c.ts))
        } else {
            Vec::new()
        },
        message_timeline: match stats.app.as_deref() {
            Some(a) if cfg.alert_timelines => crate::alert::message_timeline_of(&a.messages),
            _ => Vec::new(),
        },
    }
}

/// What joining records of the same connections did to this alert.
fn join_reason(stats: &GroupStats) -> String {
    let mut parts = Vec::new();
    if stats.joined_network_groups > 0 {
        parts.push(
            "the network records of these connections (bytes, names, content) are joined to the \
             process that made them"
                .to_string(),
        );
    }
    if stats.duplicates_merged > 0 {
        parts.push(format!(
            "{} second records of the same connections from other inputs are counted once",
            stats.duplicates_merged
        ));
    }
    let sources = if stats.sources_truncated {
        format!("{} and more", stats.sources.len())
    } else {
        stats.sources.len().to_string()
    };
    format!("{} ({sources} inputs)", parts.join("; "))
}

/// One sentence with what payload inspection saw, the most telling parts first and bounded.
fn app_reason(app: &crate::app::AppInfo) -> String {
    let list = |set: &std::collections::BTreeSet<String>| {
        let v: Vec<&str> = set.iter().take(3).map(String::as_str).collect();
        let more = set.len().saturating_sub(3);
        if more > 0 {
            format!("{} and {more} more", v.join(", "))
        } else {
            v.join(", ")
        }
    };
    let mut parts = Vec::new();
    if !app.client_ids.is_empty() {
        parts.push(format!("client ids {}", list(&app.client_ids)));
    }
    if !app.usernames.is_empty() {
        parts.push(format!("user names {}", list(&app.usernames)));
    }
    if !app.server_names.is_empty() {
        parts.push(format!("server names {}", list(&app.server_names)));
    }
    if !app.alpn.is_empty() {
        parts.push(format!("ALPN {}", list(&app.alpn)));
    }
    let mut topics: Vec<&crate::app::TopicUse> = app.topics.iter().collect();
    topics.sort_by(|a, b| b.messages.cmp(&a.messages).then(a.name.cmp(&b.name)));
    if !topics.is_empty() {
        let shown: Vec<String> = topics
            .iter()
            .take(3)
            .map(|t| {
                let dir = match t.direction {
                    crate::app::TopicDirection::Publish => "publish",
                    crate::app::TopicDirection::Subscribe => "subscribe",
                };
                format!("{} ({dir}, {} messages)", t.name, t.messages)
            })
            .collect();
        parts.push(format!("topics {}", shown.join(", ")));
    }
    if app.topics_dropped > 0 {
        parts.push(format!(
            "{} more topic uses not kept (at most {} topics per session)",
            app.topics_dropped,
            crate::app::MAX_TOPICS
        ));
    }
    if app.message_stride > 1 {
        parts.push(format!(
            "{} messages, timings thinned to one in {} past {} kept",
            app.message_count(),
            app.message_stride,
            crate::app::MAX_MESSAGES
        ));
    }
    if app.websocket {
        parts.push("inside WebSocket".into());
    }
    if app.tls {
        parts.push("encrypted (TLS) after the first bytes".into());
    }
    let what = match app.protocol {
        Some(p) => format!(
            "payload inspection recognised {p}{}",
            app.protocol_version
                .as_deref()
                .map(|v| format!(" {v}"))
                .unwrap_or_default()
        ),
        None => "payload inspection saw only hints".to_string(),
    };
    if parts.is_empty() {
        what
    } else {
        format!("{what}: {}", parts.join("; "))
    }
}

/// Why a group on a port no protocol is known for was hunted: its program masquerades
/// (`pubsub-process`), or its destination is named as a public broker (`pubsub-destination`).
fn hunted_on_any_port(cfg: &HuntConfig, key: &GroupKey) -> String {
    if key.analytic == AnalyticId::PubsubProcess {
        return format!(
            "the program is named like a Windows system binary but runs from outside its \
             directory, so its connections are hunted on any port; the source names no protocol \
             on port {} (it records no payload)",
            key.dst_port
        );
    }
    format!(
        "the destination is named as a public {} broker, so its connections are hunted on any \
         port: port {} is not a standard {} port ({}); public brokers take MQTT over WebSocket \
         and TLS on ports of their own, which no port rule covers",
        key.protocol,
        key.dst_port,
        key.protocol,
        port_list(cfg.standard_ports(key.protocol))
    )
}

fn scope_reason(reasons: &mut Vec<String>, key: &GroupKey, net: Option<&ipnet::IpNet>) {
    reasons.push(match net {
        Some(n) => format!("{} is internal (in {n})", key.dst_ip),
        None => format!(
            "{} is external (in none of the internal networks)",
            key.dst_ip
        ),
    });
}

/// The seeds' suspicion matrix, first match wins.
fn seed_matrix(
    cfg: &HuntConfig,
    key: &GroupKey,
    external: bool,
    reasons: &mut Vec<String>,
) -> Suspicion {
    let p = key.protocol;
    let xmpp_or_stomp = matches!(p, Protocol::Xmpp | Protocol::Stomp);
    if external && xmpp_or_stomp {
        reasons.push(format!("high: {p} to an external server"));
        return Suspicion::High;
    }
    if external && p == Protocol::Mqtt {
        let process = key.process.as_deref();
        if !cfg.is_mosquitto_client(process) {
            reasons.push(match process {
                Some(img) => {
                    format!("high: external MQTT from {img}, which is not a Mosquitto client")
                }
                None => "high: external MQTT from an unknown process (the source does not record \
                         processes, so the Mosquitto-client exclusion cannot apply)"
                    .to_string(),
            });
            return Suspicion::High;
        }
        reasons.push(format!(
            "low: external MQTT from the Mosquitto client {}",
            process.unwrap_or_default()
        ));
        return Suspicion::Low;
    }
    if external && p == Protocol::Amqp {
        reasons.push("medium: AMQP to an external broker".to_string());
        return Suspicion::Medium;
    }
    if !external && xmpp_or_stomp {
        reasons.push(format!("medium: {p} to an internal server"));
        return Suspicion::Medium;
    }
    reasons.push(format!(
        "low: {} {p}",
        if external { "external" } else { "internal" }
    ));
    Suspicion::Low
}

/// Why a group with fewer exchanges than the seed needs was rated, or why it was not.
fn one_exchange_reason(cfg: &HuntConfig, basis: OneExchange) -> String {
    let score = &cfg.behaviour.score;
    match basis {
        OneExchange::Content(points) => format!(
            "rated on its first exchange: what it said and which program said it weigh \
             {points:.0} points, at least the {:.0} that make one exchange enough \
             (behaviour.score.single_connection_at)",
            score.single_connection_at
        ),
        OneExchange::HeldSession { secs, points } => format!(
            "rated on one connection held open {}: a standing channel, not a one-off, and its \
             destination weighs {points:.0} points, at least the {:.0} that confirm the seed \
             (behaviour.score.prior_confirmed_at)",
            crate::behaviour::prevalence::human_period(secs as f64),
            score.prior_confirmed_at
        ),
        OneExchange::HeldOnBusyHost { secs } => format!(
            "rated on its service kept open {} without a break longer than a reconnection (over \
             the addresses of the service's pool it reached): kept around the clock by a host \
             whose other traffic in the same input shows other work (a workstation or server, \
             not a device doing one job), as an implant keeps its channel",
            crate::behaviour::prevalence::human_period(secs as f64)
        ),
        OneExchange::UnansweredUpload { secs } => format!(
            "rated on one connection held open {}: a standing channel of a host whose other \
             traffic in the same input shows other work, uploading and answered with \
             acknowledgements only (unanswered_uploads), as an implant streams what it collects",
            crate::behaviour::prevalence::human_period(secs as f64)
        ),
        OneExchange::UninstalledProgram { points } => format!(
            "rated on one connection: its program runs from outside any installed location \
             ({points:.0} points) and reached an external destination; a session held all day \
             is one connection where the source records connections as they open"
        ),
        OneExchange::NotEnough {
            content,
            destination,
        } => format!(
            "not rated on one exchange: what it said and which program said it weigh \
             {content:.0} points, under the {:.0} that make one exchange enough \
             (behaviour.score.single_connection_at); a connection held open at least {} would \
             be rated if its destination weighed {:.0} points \
             (behaviour.score.prior_confirmed_at), and it weighs {destination:.0}",
            score.single_connection_at,
            crate::behaviour::prevalence::human_period(
                super::exchange::STANDING_SESSION_SECS as f64
            ),
            score.prior_confirmed_at
        ),
    }
}
