//! The effective `pubsub-port` analytic of one configuration, in the shape every exporter
//! needs: ports per protocol, the internal networks split by family, the Mosquitto client names,
//! the suspicion matrix as per-level clauses, and the allowlist entries that can apply.
//!
//! The exporters never read [`HuntConfig`] directly; they all render this one model, so that the
//! five targets cannot drift apart. The model is a restatement of what the engine in
//! `pubsub_hunt_core::analytics` does, and the semantic test in `tests/semantic.rs` checks the
//! two against each other on generated events.
//!
//! One property makes the whole analytic expressible as "filter events, then count per group":
//! every input of the rating (destination scope, protocol, Mosquitto client) and every field an
//! allowlist entry can test is part of the group key (host, process, destination address,
//! port, protocol). So a whole group is suppressed or kept exactly when each of its events is,
//! and the suspicion and allowlist conditions can run per event, before the count.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use pubsub_hunt_core::config::AllowEntry;
use pubsub_hunt_core::verdict::{AnalyticId, Suspicion};
use pubsub_hunt_core::{HuntConfig, Protocol};

/// The look-back and timespan used when the configuration has no window (`window = "none"`):
/// pubsub-hunt then treats its whole input as one window, but a SIEM rule needs a period. One
/// day is the seeds' look-back; the header of every export says so.
pub(crate) const UNWINDOWED_SECS: u64 = 86_400;

/// Where a clause of the suspicion matrix wants the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Outside every internal network.
    External,
    /// Inside one of the internal networks.
    Internal,
    /// Either.
    Any,
}

/// What a clause of the suspicion matrix requires of the initiating process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientTest {
    Any,
    /// The process is not a Mosquitto client (an unknown process is not one).
    NotMosquitto,
    /// The process is a Mosquitto client.
    Mosquitto,
}

/// One disjunct of a suspicion level: a set of protocols (by their ports), a scope and a
/// process test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    pub scope: Scope,
    pub protocols: Vec<Protocol>,
    pub ports: Vec<u16>,
    pub client: ClientTest,
}

/// A suspicion level with the clauses that give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Level {
    pub suspicion: Suspicion,
    pub clauses: Vec<Clause>,
}

/// How an allowlist entry names a process: the core matches a pattern containing a path
/// separator against the full image, anything else against its basename.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ProcessGlob {
    FullPath(String),
    Basename(String),
}

/// An allowlist entry that can suppress `pubsub-port` groups, reduced to event fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AllowRule {
    /// 1-based position in the configuration, so the exports point back at the entry.
    pub number: usize,
    pub reason: String,
    pub process: Option<ProcessGlob>,
    pub host: Option<String>,
    pub destination: Option<IpNet>,
    /// Destination ports the entry is limited to (from `port` and/or `protocol`).
    pub ports: Option<Vec<u16>>,
}

/// An allowlist entry that can never suppress a `pubsub-port` alert, and why. Exports list
/// these in a comment instead of dropping them silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SkippedAllow {
    pub number: usize,
    pub reason: String,
    pub why: String,
}

/// The `pubsub-port` analytic of one configuration.
#[derive(Debug, Clone)]
pub(crate) struct Analytic {
    pub enabled: bool,
    pub unusual_port_enabled: bool,
    pub min_connections: u64,
    /// Tumbling window length in seconds; `None` when the whole input is one window.
    pub window_secs: Option<u64>,
    pub min_suspicion: Suspicion,
    /// Configured protocols that have ports, in the core's protocol order.
    pub protocols: Vec<(Protocol, Vec<u16>)>,
    pub all_ports: Vec<u16>,
    pub internal_v4: Vec<Ipv4Net>,
    pub internal_v6: Vec<Ipv6Net>,
    /// The Mosquitto client names as configured.
    pub mosquitto_clients: Vec<String>,
    /// Every process basename (lower case) that the core counts as a Mosquitto client.
    pub mosquitto_basenames: Vec<String>,
    /// Reported suspicion levels, highest first; levels no configured port can reach are left
    /// out.
    pub levels: Vec<Level>,
    pub allow: Vec<AllowRule>,
    pub allow_skipped: Vec<SkippedAllow>,
    /// The default allowlist `pubsub-hunt hunt` applies with this configuration (empty when it
    /// applies none: turned off, or behaviour scoring off). No export carries it: each entry
    /// yields to behaviour evidence a query over connection records cannot compute.
    pub default_allow: Vec<AllowEntry>,
}

impl Analytic {
    pub fn from_config(cfg: &HuntConfig) -> Analytic {
        let protocols: Vec<(Protocol, Vec<u16>)> = cfg
            .ports
            .iter()
            .filter(|(_, ports)| !ports.is_empty())
            .map(|(p, ports)| (*p, ports.clone()))
            .collect();
        let mut internal_v4 = Vec::new();
        let mut internal_v6 = Vec::new();
        for net in cfg.internal.networks() {
            match net {
                IpNet::V4(n) => internal_v4.push(*n),
                IpNet::V6(n) => internal_v6.push(*n),
            }
        }
        let mosquitto_basenames = mosquitto_basenames(&cfg.mosquitto_clients);
        let mut analytic = Analytic {
            enabled: cfg.analytic_enabled(AnalyticId::PubsubPort),
            unusual_port_enabled: cfg.analytic_enabled(AnalyticId::PubsubUnusualPort),
            min_connections: cfg.min_connections,
            window_secs: cfg
                .window
                .micros()
                .map(|us| (us / 1_000_000).unsigned_abs()),
            min_suspicion: cfg.min_suspicion,
            protocols,
            all_ports: cfg.all_ports(),
            internal_v4,
            internal_v6,
            mosquitto_clients: cfg.mosquitto_clients.clone(),
            mosquitto_basenames,
            levels: Vec::new(),
            allow: Vec::new(),
            allow_skipped: Vec::new(),
            default_allow: if cfg.behaviour.enabled {
                cfg.default_allowlist.clone()
            } else {
                Vec::new()
            },
        };
        analytic.levels = [Suspicion::High, Suspicion::Medium, Suspicion::Low]
            .into_iter()
            .filter(|s| *s >= cfg.min_suspicion)
            .map(|s| Level {
                suspicion: s,
                clauses: analytic.clauses(s),
            })
            .filter(|l| !l.clauses.is_empty())
            .collect();
        for (i, entry) in cfg.allowlist.iter().enumerate() {
            match analytic.allow_rule(i + 1, entry, cfg) {
                Ok(rule) => analytic.allow.push(rule),
                Err(why) => analytic.allow_skipped.push(SkippedAllow {
                    number: i + 1,
                    reason: entry.reason.clone(),
                    why,
                }),
            }
        }
        analytic
    }

    /// Ports of `protocol`, empty when it has none.
    pub fn ports_of(&self, protocol: Protocol) -> &[u16] {
        self.protocols
            .iter()
            .find(|(p, _)| *p == protocol)
            .map(|(_, ports)| ports.as_slice())
            .unwrap_or(&[])
    }

    /// The seeds' suspicion matrix (docs/analytic.md), restated as the clauses that produce each
    /// level. First match wins in the core; these clauses are disjoint, so order does not matter
    /// here.
    pub fn clauses(&self, level: Suspicion) -> Vec<Clause> {
        use ClientTest::{Any, Mosquitto, NotMosquitto};
        use Protocol::{Amqp, Kafka, Mqtt, Nats, OpenWire, Stomp, Xmpp};
        use Scope::{External, Internal};
        let table: Vec<(Scope, Vec<Protocol>, ClientTest)> = match level {
            Suspicion::High => {
                vec![
                    (External, vec![Xmpp, Stomp], Any),
                    (External, vec![Mqtt], NotMosquitto),
                ]
            }
            Suspicion::Medium => {
                vec![
                    (External, vec![Amqp], Any),
                    (Internal, vec![Xmpp, Stomp], Any),
                ]
            }
            // "Otherwise low": what neither row above covers.
            Suspicion::Low => vec![
                (External, vec![Mqtt], Mosquitto),
                (Internal, vec![Mqtt, Amqp], Any),
                (Scope::Any, vec![Nats, Kafka, OpenWire], Any),
            ],
        };
        let mut out = Vec::new();
        for (scope, wanted, client) in table {
            let protocols: Vec<Protocol> = wanted
                .into_iter()
                .filter(|p| !self.ports_of(*p).is_empty())
                .collect();
            let mut ports: Vec<u16> = protocols
                .iter()
                .flat_map(|p| self.ports_of(*p).iter().copied())
                .collect();
            ports.sort_unstable();
            // With no Mosquitto client configured, "not a client" holds for every process and
            // "a client" for none.
            let client = match client {
                NotMosquitto if self.mosquitto_basenames.is_empty() => Any,
                Mosquitto if self.mosquitto_basenames.is_empty() => continue,
                other => other,
            };
            // Likewise with no internal network every destination is external.
            let no_internal = self.internal_v4.is_empty() && self.internal_v6.is_empty();
            let scope = match scope {
                External if no_internal => Scope::Any,
                Internal if no_internal => continue,
                other => other,
            };
            if !ports.is_empty() {
                out.push(Clause {
                    scope,
                    protocols,
                    ports,
                    client,
                });
            }
        }
        out
    }

    /// Reduces an allowlist entry to the event fields it tests, or says why it can never
    /// suppress a `pubsub-port` alert under this configuration.
    fn allow_rule(
        &self,
        number: usize,
        entry: &AllowEntry,
        cfg: &HuntConfig,
    ) -> Result<AllowRule, String> {
        if let Some(a) = entry.analytic
            && a != AnalyticId::PubsubPort
        {
            return Err(format!("it applies to {a} only, which is not exported"));
        }
        if entry.tests_content() {
            return Err(
                "it tests packet content (server name, topic or client id) that connection \
                 tables do not record"
                    .to_string(),
            );
        }
        let ports = match (entry.port, entry.protocol) {
            (None, None) => None,
            (Some(port), None) => {
                if !self.all_ports.contains(&port) {
                    return Err(format!("port {port} is not a configured pub/sub port"));
                }
                Some(vec![port])
            }
            (port, Some(proto)) => {
                let proto_ports = cfg.standard_ports(proto);
                if proto_ports.is_empty() {
                    return Err(format!("protocol {proto} has no configured ports"));
                }
                match port {
                    Some(p) if !proto_ports.contains(&p) => {
                        return Err(format!("port {p} is not a configured {proto} port"));
                    }
                    Some(p) => Some(vec![p]),
                    None => Some(proto_ports.to_vec()),
                }
            }
        };
        let process = entry.process.as_ref().map(|p| {
            if p.contains(['\\', '/']) {
                ProcessGlob::FullPath(p.clone())
            } else {
                ProcessGlob::Basename(p.clone())
            }
        });
        Ok(AllowRule {
            number,
            reason: entry.reason.clone(),
            process,
            host: entry.host.clone(),
            destination: entry.destination,
            ports,
        })
    }

    /// The allowlist entries that can apply to a level (an entry limited to ports the level
    /// never sees cannot suppress anything there).
    pub fn allow_for(&self, level: &Level) -> Vec<&AllowRule> {
        self.allow
            .iter()
            .filter(|a| match &a.ports {
                None => true,
                Some(ports) => level
                    .clauses
                    .iter()
                    .any(|c| c.ports.iter().any(|p| ports.contains(p))),
            })
            .collect()
    }

    /// Every configured internal network, IPv4 first, as CIDR text.
    pub fn internal_cidrs(&self) -> Vec<String> {
        self.internal_v4
            .iter()
            .map(ToString::to_string)
            .chain(self.internal_v6.iter().map(ToString::to_string))
            .collect()
    }

    /// IPv4 internal networks written as IPv4-mapped IPv6 networks (`::ffff:10.0.0.0/104`).
    /// The core judges `::ffff:10.1.2.3` by its IPv4 address; targets that cannot rewrite the
    /// address first list these ranges instead.
    pub fn internal_v4_mapped(&self) -> Vec<String> {
        self.internal_v4
            .iter()
            .map(|n| format!("::ffff:{}/{}", n.network(), u16::from(n.prefix_len()) + 96))
            .collect()
    }

    /// The window or, without one, the unwindowed timespan, in seconds.
    pub fn timespan_secs(&self) -> u64 {
        self.window_secs.unwrap_or(UNWINDOWED_SECS)
    }

    /// The look-back of the query targets: one day, or the window when it is longer.
    pub fn lookback_secs(&self) -> u64 {
        self.window_secs
            .map_or(UNWINDOWED_SECS, |w| w.max(UNWINDOWED_SECS))
    }

    /// Whether any reported level needs the internal networks.
    pub fn uses_scope(&self) -> bool {
        self.levels
            .iter()
            .flat_map(|l| &l.clauses)
            .any(|c| c.scope != Scope::Any)
    }
}

/// The lower-case basenames the core's `is_mosquitto_client` accepts for these names: it
/// compares the basename with `.exe` removed (once, any case) to each name with `.exe` removed.
/// So a name `n` (without `.exe`) matches the basenames `n.exe` and, unless `n` itself ends in
/// `.exe`, `n`.
pub(crate) fn mosquitto_basenames(clients: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for client in clients {
        let lower = client.to_ascii_lowercase();
        let stem = lower.strip_suffix(".exe").unwrap_or(&lower).to_string();
        let mut candidates = Vec::new();
        if !stem.ends_with(".exe") {
            candidates.push(stem.clone());
        }
        candidates.push(format!("{stem}.exe"));
        for c in candidates {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    }
    out
}

/// Formats seconds with the largest unit that divides them (`d`, `h`, `m`, `s`): the spelling
/// Sigma timespans and YARA-L match windows accept.
pub(crate) fn duration_short(secs: u64) -> String {
    for (unit, len) in [("d", 86_400), ("h", 3600), ("m", 60)] {
        if secs.is_multiple_of(len) && secs >= len {
            return format!("{}{unit}", secs / len);
        }
    }
    format!("{secs}s")
}

/// The protocol names of a clause, for comments and descriptions (`XMPP or STOMP`).
pub(crate) fn protocol_names(protocols: &[Protocol], joiner: &str) -> String {
    protocols
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(joiner)
}

/// One clause of the suspicion matrix in words (`MQTT to an external destination from a
/// process that is not a Mosquitto client`), for descriptions and comments of every target.
pub(crate) fn clause_words(c: &Clause) -> String {
    let scope = match c.scope {
        Scope::External => " to an external destination",
        Scope::Internal => " to an internal destination",
        Scope::Any => "",
    };
    let client = match c.client {
        ClientTest::Any => "",
        ClientTest::NotMosquitto => " from a process that is not a Mosquitto client",
        ClientTest::Mosquitto => " from a Mosquitto client",
    };
    format!("{}{scope}{client}", protocol_names(&c.protocols, " or "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mosquitto_basenames_follow_the_core() {
        let names =
            mosquitto_basenames(&["Mosquitto".into(), "sub.exe".into(), "x.exe.exe".into()]);
        assert_eq!(
            names,
            ["mosquitto", "mosquitto.exe", "sub", "sub.exe", "x.exe.exe"]
        );
        let cfg = HuntConfig::from_toml_str(
            "[processes]\nmosquitto_clients = [\"Mosquitto\", \"sub.exe\", \"x.exe.exe\"]",
        )
        .unwrap();
        for b in &names {
            assert!(cfg.is_mosquitto_client(Some(b)), "{b}");
        }
        // The one case a naive `(stem)(\.exe)?` pattern gets wrong.
        assert!(!cfg.is_mosquitto_client(Some("x.exe")));
        assert!(!names.contains(&"x.exe".to_string()));
    }

    #[test]
    fn durations() {
        assert_eq!(duration_short(86_400), "1d");
        assert_eq!(duration_short(604_800), "7d");
        assert_eq!(duration_short(5400), "90m");
        assert_eq!(duration_short(3600), "1h");
        assert_eq!(duration_short(45), "45s");
    }

    #[test]
    fn default_levels_and_clauses() {
        let a = Analytic::from_config(&HuntConfig::default());
        let levels: Vec<Suspicion> = a.levels.iter().map(|l| l.suspicion).collect();
        assert_eq!(levels, [Suspicion::High, Suspicion::Medium]);
        assert_eq!(
            a.levels[0].clauses[0].ports,
            [5222, 5223, 5269, 61613, 61614]
        );
        assert_eq!(a.levels[0].clauses[1].client, ClientTest::NotMosquitto);
        assert_eq!(a.internal_v4_mapped()[0], "::ffff:10.0.0.0/104");
        assert!(a.uses_scope());
    }

    #[test]
    fn allowlist_entries_that_cannot_apply_are_listed() {
        let cfg = HuntConfig::from_toml_str(
            r#"
[ports]
MQTT = [1883]
[[allowlist]]
reason = "zeek only"
analytic = "pubsub-unusual-port"
port = 1883
[[allowlist]]
reason = "no such port"
port = 443
[[allowlist]]
reason = "no STOMP ports"
protocol = "STOMP"
[[allowlist]]
reason = "broker"
protocol = "MQTT"
destination = "10.9.0.0/16"
"#,
        )
        .unwrap();
        let a = Analytic::from_config(&cfg);
        assert_eq!(a.allow.len(), 1);
        assert_eq!(a.allow[0].number, 4);
        assert_eq!(a.allow[0].ports.as_deref(), Some(&[1883][..]));
        let skipped: Vec<usize> = a.allow_skipped.iter().map(|s| s.number).collect();
        assert_eq!(skipped, [1, 2, 3]);
        // Only MQTT is configured: external MQTT is the one high clause, nothing is medium.
        assert_eq!(a.levels.len(), 1);
        assert_eq!(a.levels[0].clauses.len(), 1);
    }
}
