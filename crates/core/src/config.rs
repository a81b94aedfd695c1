//! The hunt configuration: everything a hunter can configure (ports per protocol,
//! internal networks, thresholds, window, process lists, allowlists, resource limits), read from
//! TOML and validated in one place into a [`HuntConfig`] the analytics can trust.
//!
//! [`DEFAULT_CONFIG_TOML`] is the commented file `pubsub-hunt config init` prints, kept in
//! `crates/core/default-config.toml` and included at build time; a unit test keeps it equal to
//! [`HuntConfig::default`]. Allowlist entries and their matching live in [`crate::allowlist`].

use crate::allowlist::glob_match_ci;
pub use crate::allowlist::{AllowEntry, AllowSubject};
use crate::event::process_basename;
use crate::protocol::Protocol;
pub use crate::scope::parse_network;
use crate::scope::{DEFAULT_INTERNAL, InternalNetworks};
use crate::time::Micros;
use crate::verdict::{AnalyticId, Suspicion};
use ipnet::IpNet;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("config: {0}")]
    Invalid(String),
}

/// Tumbling window length; `None` means the whole input is one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowSpec(pub Option<Micros>);

impl WindowSpec {
    pub fn micros(self) -> Option<Micros> {
        self.0
    }
}

impl FromStr for WindowSpec {
    type Err = String;
    /// `none`, or a whole number with a unit: `30s`, `15m`, `1h`, `24h`, `7d`, `2w`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("all") {
            return Ok(WindowSpec(None));
        }
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let n: i64 = num
            .parse()
            .map_err(|_| format!("window {s:?}: expected a number and a unit, like 1h or 24h"))?;
        let secs = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return Err(format!("window {s:?}: unit must be s, m, h, d or w")),
        };
        if n <= 0 {
            return Err(format!("window {s:?}: must be longer than zero"));
        }
        n.checked_mul(secs)
            .and_then(|v| v.checked_mul(1_000_000))
            .map(|us| WindowSpec(Some(us)))
            .ok_or_else(|| format!("window {s:?}: too long"))
    }
}

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            None => f.write_str("none"),
            Some(us) => {
                let secs = us / 1_000_000;
                for (unit, len) in [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60)] {
                    if secs % len == 0 {
                        return write!(f, "{}{unit}", secs / len);
                    }
                }
                write!(f, "{secs}s")
            }
        }
    }
}

/// The least `limits.max_group_state_bytes` accepted: room for a few entries of every kind.
pub const MIN_GROUP_STATE_BYTES: u64 = 16 << 10;

/// Bounds on every table and buffer that input can grow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most (window, host, process, destination, port, protocol) groups kept; events that would
    /// open a group past this are counted as dropped.
    pub max_groups: usize,
    /// Most distinct users remembered per group.
    pub max_users_per_group: usize,
    /// Longest input line accepted; longer lines are skipped and reported.
    pub max_line_bytes: usize,
    /// Problem lines printed per file and kind before the rest are only counted.
    pub max_problem_reports: usize,
    /// Most sessions kept for `--all-sessions` (the earliest); the rest are counted.
    pub max_sessions: usize,
    /// The total, over all groups, of the heavy per-group state (connection starts and spans,
    /// windows, message timings, topics), in bytes: past it every group keeps the same share of
    /// each (see `analytics::budget`). Each reader thread holds at most about 1.5 times this
    /// while reading, the merged state at most this.
    pub max_group_state_bytes: u64,
    /// Most alerts a rating keeps (the first in report order; shown suppressed alerts count
    /// too). An alert holds its sentences, flows and samples, so a run whose every group alerts
    /// would otherwise hold them all until they are sorted; the rest are counted, and the run
    /// says so and exits 2.
    pub max_alerts: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_groups: 1_000_000,
            max_users_per_group: 32,
            max_line_bytes: 1 << 20,
            max_problem_reports: 10,
            max_sessions: 100_000,
            // 256 MiB: a million connection starts and more, so logs and captures of ordinary
            // size never reach it; a hostile input of many busy groups stops here.
            max_group_state_bytes: 256 << 20,
            // More than a hunter reads, and about 160 MB of alerts at most.
            max_alerts: 100_000,
        }
    }
}

/// Who decides that a candidate connection is inbound (`analytics.direction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DirectionPolicy {
    /// The source's own direction (Zeek `local_orig`, a firewall's inbound/outbound) wins.
    #[default]
    Source,
    /// A connection whose initiator is in the internal networks is outbound, whatever the
    /// source says.
    InternalNetworks,
}

impl DirectionPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            DirectionPolicy::Source => "source",
            DirectionPolicy::InternalNetworks => "internal-networks",
        }
    }
}

/// The validated configuration of a hunt.
#[derive(Debug, Clone, PartialEq)]
pub struct HuntConfig {
    /// Analytics that run.
    pub analytics: Vec<AnalyticId>,
    /// Fewest connections a group needs to be reported.
    pub min_connections: u64,
    pub window: WindowSpec,
    /// Whether the source's direction or the internal networks decide what is inbound.
    pub direction: DirectionPolicy,
    /// Least suspicion reported.
    pub min_suspicion: Suspicion,
    /// Standard ports of each protocol.
    pub ports: BTreeMap<Protocol, Vec<u16>>,
    pub internal: InternalNetworks,
    /// IoT gateways and devices (`[hosts] iot`): the hosts expected to reach cloud IoT endpoints.
    pub iot_hosts: HostSet,
    /// Process names (basename, optional `.exe`, any case) that are Mosquitto clients.
    pub mosquitto_clients: Vec<String>,
    pub allowlist: Vec<AllowEntry>,
    /// The shipped default allowlist ([`crate::allowlist::default_allowlist`]); empty when
    /// `analytics.default_allowlist = false`.
    pub default_allowlist: Vec<AllowEntry>,
    pub limits: Limits,
    /// Behaviour scoring of alerts (score, signals, suspicion raised or lowered).
    pub behaviour: BehaviourConfig,
    /// Keep every recognised pub/sub session for reporting (`--all-sessions`; not in TOML).
    pub report_sessions: bool,
    /// Report allowlisted alerts too, marked with the entry's reason (`--show-suppressed`).
    pub show_suppressed: bool,
    /// Give each alert its connection and message timelines (up to 512 times each, about 12 KB):
    /// only the HTML report draws them, so other outputs leave them empty (not in TOML).
    pub alert_timelines: bool,
    /// The history store's settings (`[state]`), read by the binary that owns the store.
    pub state: crate::prior::StateConfig,
}

/// The behaviour scoring settings: whether it runs, and its weights and thresholds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BehaviourConfig {
    /// Off gives the seed analytic's view unchanged (score = the seed's base, no signals).
    pub enabled: bool,
    pub weights: crate::behaviour::Weights,
    pub beacon: crate::behaviour::beacon::BeaconConfig,
    pub score: crate::behaviour::score::ScoreConfig,
    pub interactive: crate::behaviour::interactive::InteractiveConfig,
    pub prevalence: crate::behaviour::prevalence::PrevalenceConfig,
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        BehaviourConfig {
            enabled: true,
            weights: Default::default(),
            beacon: Default::default(),
            score: Default::default(),
            interactive: Default::default(),
            prevalence: Default::default(),
        }
    }
}

impl Default for HuntConfig {
    fn default() -> Self {
        match HuntConfig::from_toml_str(DEFAULT_CONFIG_TOML) {
            Ok(c) => c,
            // The template is a compile-time constant covered by a unit test.
            Err(e) => panic!("built-in default config is invalid: {e}"),
        }
    }
}

impl HuntConfig {
    /// The allowlists this configuration applies: the default list only where behaviour scoring
    /// runs (the seed view is the seeds' rule, unchanged).
    pub fn allowlists(&self) -> crate::allowlist::Allowlists<'_> {
        crate::allowlist::Allowlists {
            configured: &self.allowlist,
            default: self
                .behaviour
                .enabled
                .then_some(self.default_allowlist.as_slice()),
            default_yields_at: self.behaviour.score.default_allowlist_yields_at,
        }
    }

    /// Parses and validates a TOML configuration. Sections and keys left out take their
    /// defaults; unknown keys are refused so that typos do not silently change a hunt.
    pub fn from_toml_str(text: &str) -> Result<HuntConfig, ConfigError> {
        let raw: RawConfig = toml::from_str(text)?;
        raw.validate()
    }

    /// The protocol whose standard ports include `port`.
    pub fn protocol_for_port(&self, port: u16) -> Option<Protocol> {
        self.ports
            .iter()
            .find(|(_, ports)| ports.contains(&port))
            .map(|(p, _)| *p)
    }

    /// Standard ports of `protocol` (empty when not configured).
    pub fn standard_ports(&self, protocol: Protocol) -> &[u16] {
        self.ports.get(&protocol).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Every configured port, sorted and deduplicated.
    pub fn all_ports(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self.ports.values().flatten().copied().collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether `image` (full path or name) is a Mosquitto client. An unknown process is not.
    pub fn is_mosquitto_client(&self, image: Option<&str>) -> bool {
        let Some(image) = image else { return false };
        let base = process_basename(image);
        let lower = base.to_ascii_lowercase();
        let name = lower.strip_suffix(".exe").unwrap_or(&lower);
        self.mosquitto_clients.iter().any(|c| {
            let c = c.to_ascii_lowercase();
            c.strip_suffix(".exe").unwrap_or(&c) == name
        })
    }

    pub fn analytic_enabled(&self, id: AnalyticId) -> bool {
        self.analytics.contains(&id)
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    analytics: RawAnalytics,
    #[serde(default)]
    ports: Option<BTreeMap<String, Vec<u16>>>,
    #[serde(default)]
    networks: RawNetworks,
    #[serde(default)]
    processes: RawProcesses,
    #[serde(default)]
    hosts: RawHosts,
    #[serde(default)]
    allowlist: Vec<AllowEntry>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    behaviour: BehaviourConfig,
    #[serde(default)]
    state: crate::prior::StateConfig,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAnalytics {
    enabled: Option<Vec<String>>,
    min_connections: Option<u64>,
    window: Option<String>,
    direction: Option<String>,
    min_suspicion: Option<String>,
    default_allowlist: Option<bool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawNetworks {
    internal: Option<Vec<String>>,
    #[serde(default)]
    extra_internal: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawHosts {
    #[serde(default)]
    iot: Vec<String>,
}

/// Hosts with a role the analytics take into account, each written as a network of the
/// initiator (CIDR or address) or a host name (`*` wildcards, any case).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostSet {
    nets: Vec<IpNet>,
    names: Vec<String>,
}

impl HostSet {
    /// Reads a list; a pattern that is neither a network nor a usable name is an error.
    pub fn parse(list: &[String]) -> Result<HostSet, String> {
        let mut set = HostSet::default();
        for item in list {
            let item = item.trim();
            if let Some(net) = parse_network(item) {
                set.nets.push(net);
            } else if item.is_empty() || item.contains(char::is_whitespace) {
                return Err(format!("{item:?} is not a network, address or host name"));
            } else {
                set.names.push(item.to_string());
            }
        }
        Ok(set)
    }

    pub fn is_empty(&self) -> bool {
        self.nets.is_empty() && self.names.is_empty()
    }

    /// Whether a host (the name alerts show, or its address when the source has no name) or
    /// its initiator address is in the set.
    pub fn contains(&self, host: &str, src_ip: Option<IpAddr>) -> bool {
        let ip = src_ip.or_else(|| host.parse().ok());
        ip.is_some_and(|ip| self.nets.iter().any(|n| n.contains(&ip)))
            || self.names.iter().any(|p| glob_match_ci(p, host))
    }

    /// The entries as written (networks first), for reports.
    pub fn describe(&self) -> String {
        self.nets
            .iter()
            .map(ToString::to_string)
            .chain(self.names.iter().cloned())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawProcesses {
    mosquitto_clients: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    max_groups: Option<usize>,
    max_users_per_group: Option<usize>,
    max_line_bytes: Option<usize>,
    max_problem_reports: Option<usize>,
    max_sessions: Option<usize>,
    max_group_state_bytes: Option<u64>,
    max_alerts: Option<usize>,
}

fn default_ports() -> BTreeMap<Protocol, Vec<u16>> {
    Protocol::ALL
        .iter()
        .filter(|p| !p.standard_ports().is_empty())
        .map(|p| (*p, p.standard_ports().to_vec()))
        .collect()
}

fn parse_net(s: &str) -> Result<IpNet, ConfigError> {
    parse_network(s).ok_or_else(|| {
        ConfigError::Invalid(format!("{:?} is not a network (CIDR) or address", s.trim()))
    })
}

impl RawConfig {
    fn validate(self) -> Result<HuntConfig, ConfigError> {
        let invalid = |m: String| ConfigError::Invalid(m);
        let analytics = match self.analytics.enabled {
            None => AnalyticId::ALL.to_vec(),
            Some(list) => {
                let mut v = Vec::new();
                for name in list {
                    let id: AnalyticId = name.parse().map_err(invalid)?;
                    if !v.contains(&id) {
                        v.push(id);
                    }
                }
                v
            }
        };
        let min_connections = self.analytics.min_connections.unwrap_or(2);
        if min_connections == 0 {
            return Err(invalid(
                "analytics.min_connections must be at least 1".into(),
            ));
        }
        let window = match self.analytics.window {
            None => WindowSpec(None),
            Some(w) => w.parse().map_err(invalid)?,
        };
        let direction = match self.analytics.direction.as_deref() {
            None | Some("source") => DirectionPolicy::Source,
            Some("internal-networks") => DirectionPolicy::InternalNetworks,
            Some(other) => {
                return Err(invalid(format!(
                    "analytics.direction {other:?}: expected \"source\" or \"internal-networks\""
                )));
            }
        };
        let min_suspicion = match self.analytics.min_suspicion {
            None => Suspicion::Medium,
            Some(s) => s.parse().map_err(invalid)?,
        };
        let ports = match self.ports {
            None => default_ports(),
            Some(raw) => {
                let mut out: BTreeMap<Protocol, Vec<u16>> = BTreeMap::new();
                for (name, mut list) in raw {
                    let proto: Protocol = name.parse().map_err(invalid)?;
                    if proto == Protocol::Unidentified {
                        return Err(invalid(format!(
                            "ports.{name}: a protocol no port belongs to (it marks channels \
                             reported for their program)"
                        )));
                    }
                    if list.contains(&0) {
                        return Err(invalid(format!("ports.{name}: port 0 is not a port")));
                    }
                    list.sort_unstable();
                    list.dedup();
                    out.insert(proto, list);
                }
                let mut seen: BTreeMap<u16, Protocol> = BTreeMap::new();
                for (proto, list) in &out {
                    for port in list {
                        if let Some(other) = seen.insert(*port, *proto) {
                            return Err(invalid(format!(
                                "port {port} is listed for both {other} and {proto}"
                            )));
                        }
                    }
                }
                out
            }
        };
        let mut nets = Vec::new();
        let base: Vec<String> = match self.networks.internal {
            Some(v) => v,
            None => DEFAULT_INTERNAL.iter().map(|s| s.to_string()).collect(),
        };
        for s in base.iter().chain(self.networks.extra_internal.iter()) {
            let n = parse_net(s)?;
            if !nets.contains(&n) {
                nets.push(n);
            }
        }
        let mosquitto_clients = self.processes.mosquitto_clients.unwrap_or_else(|| {
            vec![
                "mosquitto".into(),
                "mosquitto_pub".into(),
                "mosquitto_sub".into(),
            ]
        });
        for (i, e) in self.allowlist.iter().enumerate() {
            if e.reason.trim().is_empty() {
                return Err(invalid(format!(
                    "allowlist entry {}: reason is empty",
                    i + 1
                )));
            }
            if e.process.is_none()
                && e.host.is_none()
                && e.destination.is_none()
                && e.port.is_none()
                && e.protocol.is_none()
                && !e.tests_content()
            {
                return Err(invalid(format!(
                    "allowlist entry {} ({:?}) matches everything: give at least one of process, \
                     host, destination, port, protocol, server_name, topic_prefix, client_id_prefix",
                    i + 1,
                    e.reason
                )));
            }
        }
        let d = Limits::default();
        let limits = Limits {
            max_groups: self.limits.max_groups.unwrap_or(d.max_groups).max(1),
            max_users_per_group: self
                .limits
                .max_users_per_group
                .unwrap_or(d.max_users_per_group),
            max_line_bytes: self
                .limits
                .max_line_bytes
                .unwrap_or(d.max_line_bytes)
                .max(256),
            max_problem_reports: self
                .limits
                .max_problem_reports
                .unwrap_or(d.max_problem_reports),
            max_sessions: self.limits.max_sessions.unwrap_or(d.max_sessions),
            max_group_state_bytes: match self.limits.max_group_state_bytes {
                None => d.max_group_state_bytes,
                Some(n) if n >= MIN_GROUP_STATE_BYTES => n,
                Some(n) => {
                    return Err(invalid(format!(
                        "limits.max_group_state_bytes = {n}: must be at least \
                         {MIN_GROUP_STATE_BYTES} (the budget of the per-group timelines, in bytes)"
                    )));
                }
            },
            max_alerts: match self.limits.max_alerts {
                None => d.max_alerts,
                Some(0) => {
                    return Err(invalid(
                        "limits.max_alerts = 0: must be at least 1 (the alerts a run keeps)"
                            .to_string(),
                    ));
                }
                Some(n) => n,
            },
        };
        let behaviour_on = self.behaviour.enabled && analytics.iter().any(|a| a.is_behaviour());
        self.behaviour.interactive.check().map_err(invalid)?;
        self.behaviour.prevalence.check().map_err(invalid)?;
        Ok(HuntConfig {
            analytics,
            min_connections,
            window,
            direction,
            min_suspicion,
            ports,
            internal: InternalNetworks::new(nets),
            iot_hosts: HostSet::parse(&self.hosts.iot)
                .map_err(|e| invalid(format!("hosts.iot: {e}")))?,
            mosquitto_clients,
            allowlist: self.allowlist,
            default_allowlist: if self.analytics.default_allowlist.unwrap_or(true) {
                crate::allowlist::default_allowlist()
            } else {
                Vec::new()
            },
            limits,
            behaviour: BehaviourConfig {
                // Scoring runs only when a behaviour analytic is enabled to feed it.
                enabled: behaviour_on,
                ..self.behaviour
            },
            report_sessions: false,
            show_suppressed: false,
            alert_timelines: false,
            state: self.state,
        })
    }
}

/// The commented default configuration printed by `pubsub-hunt config init`.
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../default-config.toml");

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
