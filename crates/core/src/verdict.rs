//! The closed sets a verdict is made of: how suspicious an alert is ([`Suspicion`]) and which
//! analytic raised or scored it ([`AnalyticId`]). A leaf: it imports nothing else of the crate,
//! so configuration, scoring and output can all name them without depending on each other.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

crate::display_as_str!(Suspicion, AnalyticId);

/// How suspicious an alert is. Ordered: `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Suspicion {
    Low,
    Medium,
    High,
}

impl Suspicion {
    pub fn as_str(self) -> &'static str {
        match self {
            Suspicion::Low => "low",
            Suspicion::Medium => "medium",
            Suspicion::High => "high",
        }
    }
}

impl FromStr for Suspicion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(Suspicion::Low),
            "medium" => Ok(Suspicion::Medium),
            "high" => Ok(Suspicion::High),
            _ => Err(format!("suspicion {s:?}: expected high, medium or low")),
        }
    }
}

/// The analytic that raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AnalyticId {
    /// The seeds' analytic: standard pub/sub ports, rated by protocol and scope.
    #[serde(rename = "pubsub-port")]
    PubsubPort,
    /// A protocol the source identified, on a port that is not standard for it.
    #[serde(rename = "pubsub-unusual-port")]
    PubsubUnusualPort,
    /// Regular connection starts or regular publications inside a session (keepalives excluded).
    #[serde(rename = "pubsub-beacon")]
    PubsubBeacon,
    /// Topics, client ids and payloads: C2 vocabulary, per-host or random tokens, encoded bodies.
    #[serde(rename = "pubsub-content")]
    PubsubContent,
    /// Publication bursts against the client's own history or its broker's other clients.
    #[serde(rename = "pubsub-rate")]
    PubsubRate,
    /// The initiating process: shells, script hosts, LOLBins, network tools, user-writable paths,
    /// a process new to the protocol (ATT&CK AN0002–AN0004).
    #[serde(rename = "pubsub-process")]
    PubsubProcess,
    /// The destination: public brokers and XMPP servers, dynamic DNS, tunnels, cloud IoT, a broker
    /// new in the window, known benign services (ATT&CK AN0005).
    #[serde(rename = "pubsub-destination")]
    PubsubDestination,
}

impl AnalyticId {
    pub const ALL: [AnalyticId; 7] = [
        AnalyticId::PubsubPort,
        AnalyticId::PubsubUnusualPort,
        AnalyticId::PubsubBeacon,
        AnalyticId::PubsubContent,
        AnalyticId::PubsubRate,
        AnalyticId::PubsubProcess,
        AnalyticId::PubsubDestination,
    ];

    /// The behaviour analytics: they find evidence inside the groups the port analytics form.
    pub const BEHAVIOUR: [AnalyticId; 5] = [
        AnalyticId::PubsubBeacon,
        AnalyticId::PubsubContent,
        AnalyticId::PubsubRate,
        AnalyticId::PubsubProcess,
        AnalyticId::PubsubDestination,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AnalyticId::PubsubPort => "pubsub-port",
            AnalyticId::PubsubUnusualPort => "pubsub-unusual-port",
            AnalyticId::PubsubBeacon => "pubsub-beacon",
            AnalyticId::PubsubContent => "pubsub-content",
            AnalyticId::PubsubRate => "pubsub-rate",
            AnalyticId::PubsubProcess => "pubsub-process",
            AnalyticId::PubsubDestination => "pubsub-destination",
        }
    }

    pub fn is_behaviour(self) -> bool {
        Self::BEHAVIOUR.contains(&self)
    }
}

impl FromStr for AnalyticId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AnalyticId::ALL
            .into_iter()
            .find(|a| a.as_str() == s.trim())
            .ok_or_else(|| {
                format!(
                    "unknown analytic {s:?} (expected one of {})",
                    AnalyticId::ALL.map(|a| a.as_str()).join(", ")
                )
            })
    }
}
