//! Publish/subscribe protocol names: the closed set of protocols pubsub-hunt reports, how they
//! are spelled in output and configuration, and how the names other tools use for them (Zeek's
//! `service`, firewall application ids) map onto them. One more value, `unidentified`, marks a
//! channel reported for its masqueraded program whatever it speaks.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

crate::display_as_str!(Protocol);

/// A publish/subscribe protocol, or `Unidentified`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Protocol {
    #[serde(rename = "MQTT")]
    Mqtt,
    #[serde(rename = "XMPP")]
    Xmpp,
    #[serde(rename = "AMQP")]
    Amqp,
    #[serde(rename = "STOMP")]
    Stomp,
    #[serde(rename = "NATS")]
    Nats,
    #[serde(rename = "Kafka")]
    Kafka,
    #[serde(rename = "OpenWire")]
    OpenWire,
    /// No protocol the source or the dissectors could name: the channel is reported for its
    /// program (a Windows system binary's name running from outside its directory), not for
    /// what it speaks. Never configured, never a port's protocol, not in [`Protocol::ALL`].
    #[serde(rename = "unidentified")]
    Unidentified,
}

impl Protocol {
    /// Every protocol, in display order.
    pub const ALL: [Protocol; 7] = [
        Protocol::Mqtt,
        Protocol::Xmpp,
        Protocol::Amqp,
        Protocol::Stomp,
        Protocol::Nats,
        Protocol::Kafka,
        Protocol::OpenWire,
    ];

    /// The ports the seed's analytics call standard for the protocol (the default `[ports]`);
    /// empty for protocols the seed does not name.
    pub fn standard_ports(self) -> &'static [u16] {
        match self {
            Protocol::Mqtt => &[1883, 8883],
            Protocol::Xmpp => &[5222, 5223, 5269],
            Protocol::Amqp => &[5671, 5672],
            Protocol::Stomp => &[61613, 61614],
            Protocol::Nats | Protocol::Kafka | Protocol::OpenWire | Protocol::Unidentified => &[],
        }
    }

    /// Whether `port` is one of any protocol's [`Protocol::standard_ports`]: a server's port,
    /// even where it lies in the dynamic range (STOMP's 61613).
    pub fn is_standard_port(port: u16) -> bool {
        Protocol::ALL
            .iter()
            .any(|p| p.standard_ports().contains(&port))
    }

    /// The name used in alerts and configuration files.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Mqtt => "MQTT",
            Protocol::Xmpp => "XMPP",
            Protocol::Amqp => "AMQP",
            Protocol::Stomp => "STOMP",
            Protocol::Nats => "NATS",
            Protocol::Kafka => "Kafka",
            Protocol::OpenWire => "OpenWire",
            Protocol::Unidentified => "unidentified",
        }
    }

    /// Maps one protocol label written by another tool (Zeek `service` entry, Suricata
    /// `app_proto`, a firewall App-ID) to a protocol, ignoring case. Labels that are not
    /// publish/subscribe protocols (`ssl`, `http`, …) give `None`.
    pub fn from_label(label: &str) -> Option<Protocol> {
        let l = label.trim();
        let eq = |s: &str| l.eq_ignore_ascii_case(s);
        if eq("mqtt") || eq("secure-mqtt") || eq("mqtt-ws") {
            Some(Protocol::Mqtt)
        } else if eq("xmpp")
            || eq("jabber")
            || eq("xmpp-client")
            || eq("xmpp-server")
            || eq("xmpp-s2s")
        {
            Some(Protocol::Xmpp)
        } else if eq("amqp") || eq("amqps") {
            Some(Protocol::Amqp)
        } else if eq("stomp") {
            Some(Protocol::Stomp)
        } else if eq("nats") {
            Some(Protocol::Nats)
        } else if eq("kafka") {
            Some(Protocol::Kafka)
        } else if eq("openwire") {
            Some(Protocol::OpenWire)
        } else {
            None
        }
    }

    /// Lower-case label tokens that, when they appear in a raw record, may name this protocol.
    /// Readers use them to prefilter lines before parsing.
    pub fn label_tokens(self) -> &'static [&'static str] {
        match self {
            Protocol::Mqtt => &["mqtt"],
            Protocol::Xmpp => &["xmpp", "jabber"],
            Protocol::Amqp => &["amqp"],
            Protocol::Stomp => &["stomp"],
            Protocol::Nats => &["nats"],
            Protocol::Kafka => &["kafka"],
            Protocol::OpenWire => &["openwire"],
            Protocol::Unidentified => &[],
        }
    }
}

impl FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Protocol::ALL
            .into_iter()
            .chain([Protocol::Unidentified])
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!(
                    "unknown protocol {s:?} (expected one of {})",
                    Protocol::ALL.map(|p| p.as_str()).join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_map_case_insensitively() {
        assert_eq!(Protocol::from_label("XMPP"), Some(Protocol::Xmpp));
        assert_eq!(Protocol::from_label("jabber"), Some(Protocol::Xmpp));
        assert_eq!(Protocol::from_label(" mqtt "), Some(Protocol::Mqtt));
        assert_eq!(Protocol::from_label("ssl"), None);
        assert_eq!(Protocol::from_label(""), None);
    }

    #[test]
    fn names_round_trip() {
        for p in Protocol::ALL {
            assert_eq!(p.as_str().parse::<Protocol>(), Ok(p));
        }
        assert!("foo".parse::<Protocol>().is_err());
        assert_eq!("unidentified".parse(), Ok(Protocol::Unidentified));
        assert!(!Protocol::ALL.contains(&Protocol::Unidentified));
    }
}
