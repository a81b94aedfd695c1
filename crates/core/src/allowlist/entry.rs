//! One allowlist entry and how it matches an alert's group: what a hunter can name (process,
//! host, destination, port, protocol, analytic, server name, topic and client id prefixes), the
//! subject it is tested against (the group key, what inspection learned, and the facts about the
//! destination a default entry's conditions need), and the name and glob matching it uses.

use super::explain::{Explains, HostReach};
use crate::app::AppInfo;
use crate::event::process_basename;
use crate::protocol::Protocol;
use crate::scope::parse_network;
use crate::verdict::AnalyticId;
use ipnet::IpNet;
use serde::Deserialize;
use std::net::IpAddr;

/// One allowlist entry: when every field it sets matches an alert's group, the alert is
/// suppressed and counted under `reason`.
///
/// The content fields (`server_name`, `topic_prefix`, `client_id_prefix`) need what packet
/// inspection learned; a group without it never matches them. They must hold for **every** name,
/// topic or client id of the group, so a channel that mixes a legitimate-looking topic with its
/// own is not hidden by the legitimate one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    /// Why this traffic is legitimate; shown whenever the entry suppresses something.
    pub reason: String,
    /// Process image: a basename (`mosquitto_pub.exe`) or a full path, any case; `*` matches any
    /// run of characters.
    #[serde(default)]
    pub process: Option<String>,
    /// Host as the alert shows it (host name or initiator address), any case; `*` wildcards.
    #[serde(default)]
    pub host: Option<String>,
    /// Destination network (CIDR) or single address.
    #[serde(default, deserialize_with = "de_net")]
    pub destination: Option<IpNet>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub protocol: Option<Protocol>,
    #[serde(default)]
    pub analytic: Option<AnalyticId>,
    /// TLS SNI or XMPP stream name, any case; `*.example.com` matches the name and every name
    /// below it, `*` elsewhere matches any run of characters.
    #[serde(default)]
    pub server_name: Option<String>,
    /// Topic prefix (MQTT topic or filter, STOMP destination, AMQP exchange, queue or routing key).
    #[serde(default)]
    pub topic_prefix: Option<String>,
    /// Client id prefix, any case (`DVES_` for Tasmota devices).
    #[serde(default)]
    pub client_id_prefix: Option<String>,
    /// The destination must be inside the configured internal networks (`[networks]`,
    /// `--internal`). Set on the shipped list only.
    #[serde(skip)]
    pub internal_only: bool,
    /// The entry describes a program that holds its session (a chat client) on a person's
    /// machine: a channel whose connections are all brief, opened again and again
    /// (`AllowSubject::brief_sessions`), is not that program, and one of a host that works around
    /// the clock (`AllowSubject::host_works_around_the_clock`: a server) is not a person's; the
    /// entry covers neither. Set on the shipped list only.
    #[serde(skip)]
    pub held_sessions: bool,
    /// The behaviour evidence this entry's class produces by design, and under which condition
    /// (an IoT fleet publishes on a timer, but only a fleet): evidence it explains does not count
    /// toward overriding it. Set on the shipped list only ([`super::default_allowlist`]).
    #[serde(skip)]
    pub explains: Vec<Explains>,
}

/// What an allowlist entry is tested against: the group key, what inspection learned, and the
/// facts about the host and destination that default entries' conditions need.
#[derive(Debug, Clone, Copy)]
pub struct AllowSubject<'a> {
    pub analytic: AnalyticId,
    pub host: &'a str,
    pub process: Option<&'a str>,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub protocol: Protocol,
    pub app: Option<&'a AppInfo>,
    /// Destination names the log source resolved (they count as server names).
    pub dst_names: &'a [String],
    /// The destination is inside the configured internal networks (the alert is not `external`).
    pub dst_internal: bool,
    /// The host is one of the configured IoT hosts (`[hosts] iot`).
    pub iot_host: bool,
    /// Distinct hosts that reach this destination (same address and port, or a shared server
    /// name) in the whole run, this one included ([`super::Reach`]); 1 when unknown, which is
    /// the conservative value: no default entry's "many hosts" condition then holds.
    pub hosts_reaching: usize,
    /// The source knows when every connection of the group ended, there are at least
    /// [`BRIEF_SESSIONS_MIN`] of them, and half of them lasted less than [`BRIEF_SESSION_SECS`]:
    /// a client that logs in, does something and leaves, again and again, not one that holds
    /// its session.
    pub brief_sessions: bool,
    /// The host census shows the host's other connections spread around the clock, in every
    /// input that holds the group: a server's day, where a person's machine works in its
    /// owner's hours. `false` when the census cannot tell.
    pub host_works_around_the_clock: bool,
}

/// Longest median session, in seconds, of a group whose sessions are brief
/// ([`AllowSubject::brief_sessions`]): a chat program's session lasts minutes to days; a
/// poller's login, fetch and logout a few seconds.
pub const BRIEF_SESSION_SECS: i64 = 60;
/// Fewest sessions that say a group's sessions are brief.
pub const BRIEF_SESSIONS_MIN: u64 = 2;

/// Reads a destination written as a CIDR (`10.20.0.0/16`) or a bare address (`203.0.113.7`).
fn de_net<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<IpNet>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s {
        None => Ok(None),
        Some(s) => parse_network(&s).map(Some).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "allowlist destination {:?} is not a network or address",
                s.trim()
            ))
        }),
    }
}

impl AllowSubject<'_> {
    /// The facts the default entries' conditions look at.
    pub fn host_reach(&self) -> HostReach<'_> {
        HostReach {
            host: self.host,
            iot_host: self.iot_host,
            hosts_reaching: self.hosts_reaching,
            program_known: self.process.is_some(),
        }
    }
}

impl AllowEntry {
    /// Whether the entry covers a group with these properties.
    pub fn matches(&self, s: &AllowSubject<'_>) -> bool {
        let AllowSubject {
            analytic,
            host,
            process,
            dst_ip,
            dst_port,
            protocol,
            app,
            dst_names,
            dst_internal,
            ..
        } = *s;
        if (self.internal_only && !dst_internal)
            || (self.held_sessions && (s.brief_sessions || s.host_works_around_the_clock))
        {
            return false;
        }
        if self.analytic.is_some_and(|a| a != analytic)
            || self.protocol.is_some_and(|p| p != protocol)
            || self.port.is_some_and(|p| p != dst_port)
        {
            return false;
        }
        if let Some(net) = &self.destination
            && !net.contains(&dst_ip)
        {
            return false;
        }
        if let Some(pat) = &self.host
            && !glob_match_ci(pat, host)
        {
            return false;
        }
        if let Some(pat) = &self.process {
            let Some(image) = process else { return false };
            let target = if pat.contains(['\\', '/']) {
                image
            } else {
                process_basename(image)
            };
            // `pidgin` also matches `Pidgin.exe`: hunters name programs, not Windows file names.
            let bare = target
                .len()
                .checked_sub(4)
                .filter(|&i| {
                    target
                        .get(i..)
                        .is_some_and(|x| x.eq_ignore_ascii_case(".exe"))
                })
                .and_then(|i| target.get(..i));
            if !glob_match_ci(pat, target) && !bare.is_some_and(|b| glob_match_ci(pat, b)) {
                return false;
            }
        }
        if let Some(pat) = &self.server_name {
            let names = || {
                dst_names
                    .iter()
                    .chain(app.iter().flat_map(|a| a.server_names.iter()))
            };
            // Every name must match, except the delivery names a DNS answer's CNAME chain
            // passes through, which name no service; at least one must match.
            if !names().any(|n| name_match(pat, n))
                || !names().all(|n| name_match(pat, n) || is_delivery_name(n))
            {
                return false;
            }
        }
        if self.topic_prefix.is_some() || self.client_id_prefix.is_some() {
            let Some(app) = app else { return false };
            if let Some(prefix) = &self.topic_prefix
                && (app.topics.is_empty()
                    || !app
                        .topics
                        .iter()
                        .all(|t| t.name.starts_with(prefix.as_str())))
            {
                return false;
            }
            if let Some(prefix) = &self.client_id_prefix
                && (app.client_ids.is_empty()
                    || !app.client_ids.iter().all(|c| starts_with_ci(c, prefix)))
            {
                return false;
            }
        }
        true
    }

    /// Whether the entry tests packet content (which connection logs do not have).
    pub fn tests_content(&self) -> bool {
        self.server_name.is_some() || self.topic_prefix.is_some() || self.client_id_prefix.is_some()
    }

    /// The entry's conditions as (field, value) pairs, for reports: what names the traffic first
    /// (process, host, destination, server name, topic, client id), then port, protocol and
    /// analytic.
    pub fn conditions(&self) -> Vec<(&'static str, String)> {
        let mut parts = Vec::new();
        let mut add = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                parts.push((k, v));
            }
        };
        add("process", self.process.clone());
        add("host", self.host.clone());
        add("destination", self.destination.map(|n| n.to_string()));
        add(
            "destination",
            self.internal_only
                .then(|| "in the configured internal networks".to_string()),
        );
        add("server_name", self.server_name.clone());
        add(
            "sessions",
            self.held_sessions
                .then(|| "held, not brief, by a person's machine".to_string()),
        );
        add("topic_prefix", self.topic_prefix.clone());
        add("client_id_prefix", self.client_id_prefix.clone());
        add("port", self.port.map(|p| p.to_string()));
        add("protocol", self.protocol.map(|p| p.to_string()));
        add("analytic", self.analytic.map(|a| a.to_string()));
        parts
    }

    /// The entry's conditions in words (`process pidgin, protocol XMPP`), for reports.
    pub fn describe(&self) -> String {
        self.conditions()
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len()
        && s.as_bytes()
            .iter()
            .zip(prefix.as_bytes())
            .all(|(a, b)| a.eq_ignore_ascii_case(b))
}

/// Server-name match: `*.example.com` covers `example.com` and every name below it; any other
/// pattern is a case-insensitive glob. A trailing dot or `:port` on the name is ignored.
pub fn name_match(pattern: &str, name: &str) -> bool {
    let n = crate::behaviour::destination::normalize_name(name);
    let p = pattern.trim().to_ascii_lowercase();
    if let Some(suffix) = p.strip_prefix("*.")
        && !suffix.contains('*')
    {
        return n == suffix
            || n.strip_suffix(suffix)
                .is_some_and(|head| head.ends_with('.'));
    }
    glob_match_ci(&p, &n)
}

/// Domains of cloud and CDN delivery infrastructure that DNS answers pass through on the way from
/// a service's name to its address (Azure's `cloudapp.net` and Traffic Manager, CloudFront, Elastic
/// Load Balancing, Akamai, Fastly): they name where a service is hosted, not which service it is.
const DELIVERY_DOMAINS: &[&str] = &[
    "*.cloudapp.net",
    "*.trafficmanager.net",
    "*.azureedge.net",
    "*.cloudfront.net",
    "*.elb.amazonaws.com",
    "*.akamaiedge.net",
    "*.edgekey.net",
    "*.edgesuite.net",
    "*.akadns.net",
    "*.fastly.net",
];

/// Whether a name lies in a [`DELIVERY_DOMAINS`] domain.
fn is_delivery_name(name: &str) -> bool {
    DELIVERY_DOMAINS.iter().any(|d| name_match(d, name))
}

/// Case-insensitive match with `*` as the only wildcard.
pub fn glob_match_ci(pattern: &str, text: &str) -> bool {
    let p = pattern.to_ascii_lowercase();
    let t = text.to_ascii_lowercase();
    let parts: Vec<&str> = p.split('*').collect();
    if parts.len() == 1 {
        return p == t;
    }
    let mut rest = t.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}
