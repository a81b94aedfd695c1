//! What an alert says about its channel, split into observables a control can be made from: the
//! destination (address and port, names, a WebSocket upgrade to it) and what the channel itself
//! announced (topics, client ids, user names, chat peers). Which observables an alert carries
//! depends on what its source saw: a capture gives protocol fields, a log gives an address and
//! perhaps a resolved name.

use crate::alert::{AlertView, Direction};
use pubsub_hunt_core::Protocol;
use std::net::IpAddr;

/// Where a destination name was seen; decides which Suricata buffer it lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NameSource {
    /// Resolved by the log source (Sysmon `DestinationHostname`, ECS `destination.domain`): the
    /// name was looked up in DNS.
    Dns,
    /// The TLS ClientHello's server name.
    TlsSni,
    /// The XMPP stream header's `to`.
    XmppStream,
}

/// One thing about an alert's channel that a control can name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Observable {
    /// The broker's address and port: blocklists, and a Suricata rule only as a last resort.
    Address { ip: IpAddr, port: u16 },
    /// A DNS name of the broker.
    Domain { name: String, source: NameSource },
    /// An HTTP upgrade to WebSocket with a pub/sub subprotocol, to the broker's address and port
    /// (the frames after it are masked, so the topics inside cannot be matched).
    WebSocket { ip: IpAddr, port: u16 },
    /// A topic (MQTT topic or filter, STOMP destination, AMQP exchange/routing key or queue,
    /// XMPP pubsub node or room).
    Topic {
        protocol: Protocol,
        name: String,
        direction: Direction,
    },
    /// The client's identity (MQTT client id, STOMP `client-id`, AMQP connection name or
    /// container id, XMPP bound JID).
    ClientId { protocol: Protocol, value: String },
    /// The account the client logged in with.
    Username { protocol: Protocol, value: String },
    /// An XMPP correspondent the client wrote to (a bare JID).
    Peer { value: String },
}

/// Whether an observable names the destination (blocking it can take down whatever else lives
/// there) or only this channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Destination,
    Channel,
}

impl Observable {
    pub fn scope(&self) -> Scope {
        match self {
            Observable::Address { .. }
            | Observable::Domain { .. }
            | Observable::WebSocket { .. } => Scope::Destination,
            Observable::Topic { .. }
            | Observable::ClientId { .. }
            | Observable::Username { .. }
            | Observable::Peer { .. } => Scope::Channel,
        }
    }

    /// A short name of the kind, for messages and the skipped list.
    pub fn kind(&self) -> &'static str {
        match self {
            Observable::Address { .. } => "address",
            Observable::Domain { .. } => "domain",
            Observable::WebSocket { .. } => "websocket",
            Observable::Topic {
                direction: Direction::Publish,
                ..
            } => "publish-topic",
            Observable::Topic { .. } => "subscribe-topic",
            Observable::ClientId { .. } => "client-id",
            Observable::Username { .. } => "username",
            Observable::Peer { .. } => "peer",
        }
    }

    /// The value, as a hunter would write it.
    pub fn value(&self) -> String {
        match self {
            Observable::Address { ip, port } | Observable::WebSocket { ip, port } => {
                socket(*ip, *port)
            }
            Observable::Domain { name, .. } => name.clone(),
            Observable::Topic { name, .. } => name.clone(),
            Observable::ClientId { value, .. }
            | Observable::Username { value, .. }
            | Observable::Peer { value } => value.clone(),
        }
    }
}

/// `ip:port`, with brackets around IPv6.
pub fn socket(ip: IpAddr, port: u16) -> String {
    match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    }
}

pub use pubsub_hunt_core::behaviour::destination::is_domain_name;

/// Every observable of an alert, destination first, without duplicates, in a fixed order.
pub fn observables(a: &AlertView) -> Vec<Observable> {
    let mut out = vec![Observable::Address {
        ip: a.dst_ip,
        port: a.dst_port,
    }];
    for n in &a.destination_names {
        if is_domain_name(n) {
            out.push(Observable::Domain {
                name: n.to_ascii_lowercase(),
                source: NameSource::Dns,
            });
        }
    }
    let Some(app) = &a.app else {
        return dedup(out);
    };
    for n in &app.server_names {
        if !is_domain_name(n) {
            // AMQP's `vhost:/`, an XMPP domain without a dot: no name a list can hold.
            continue;
        }
        let name = n.to_ascii_lowercase();
        if a.protocol == Protocol::Xmpp {
            out.push(Observable::Domain {
                name: name.clone(),
                source: NameSource::XmppStream,
            });
        }
        if app.tls && a.protocol != Protocol::Xmpp {
            out.push(Observable::Domain {
                name,
                source: NameSource::TlsSni,
            });
        }
    }
    if app.websocket {
        out.push(Observable::WebSocket {
            ip: a.dst_ip,
            port: a.dst_port,
        });
    }
    for t in &app.topics {
        if !t.name.is_empty() {
            out.push(Observable::Topic {
                protocol: a.protocol,
                name: t.name.clone(),
                direction: t.direction,
            });
        }
    }
    for c in app.client_ids.iter().filter(|c| !c.is_empty()) {
        out.push(Observable::ClientId {
            protocol: a.protocol,
            value: c.clone(),
        });
    }
    for u in app.usernames.iter().filter(|u| !u.is_empty()) {
        out.push(Observable::Username {
            protocol: a.protocol,
            value: u.clone(),
        });
    }
    if a.protocol == Protocol::Xmpp {
        for p in app.peers.iter().filter(|p| !p.is_empty()) {
            out.push(Observable::Peer { value: p.clone() });
        }
    }
    dedup(out)
}

fn dedup(v: Vec<Observable>) -> Vec<Observable> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter().filter(|o| seen.insert(o.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_names_are_told_from_addresses_and_junk() {
        assert!(is_domain_name("c2.example.net"));
        assert!(is_domain_name("C2.Example.NET."));
        assert!(!is_domain_name("198.51.100.7"));
        assert!(!is_domain_name("vhost:/"));
        assert!(!is_domain_name("localhost"));
        assert!(!is_domain_name("a..b"));
        assert!(!is_domain_name("-a.b"));
        assert!(!is_domain_name("1.2"));
    }
}
