//! Behaviour evidence as data: [`SignalId`] names every signal the analytics can give and the
//! analytic it belongs to, and [`Signal`] is one piece of evidence (id, points, sentence).
//!
//! A signal's id is stable: it is the snake_case name of its weight in
//! `behaviour::Weights`, what the `signals` output object is keyed by and what
//! hunters allowlist. The analytic of each id is an exhaustive `match`, so a new signal cannot be
//! filed under an analytic by accident: the compiler asks for its arm.

use crate::verdict::AnalyticId;
use serde::{Serialize, Serializer};
use std::borrow::Borrow;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

crate::display_as_str!(SignalId);

/// Every behaviour signal. Output ids are [`SignalId::as_str`].
///
/// Ordered and hashed by that id's text, and borrowable as it, so maps keyed by signal print in
/// the order of their ids and can be looked up by the text hunters know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalId {
    /// Regular timing; the weight is multiplied by the beacon score (0..1) above the threshold.
    Beacon,
    /// Regular publications inside a long-lived session (keepalives and application heartbeats
    /// excluded); weighs as `beacon`.
    MessageBeacon,
    /// A topic level or id token from the command-and-control vocabulary (`cmd`, `c2`, `implant`…).
    C2Vocabulary,
    /// A weaker vocabulary word that is common in legitimate topics too (`task`, `result`, `agent`…).
    C2VocabularyWeak,
    /// A topic, client id or JID matching the default of a published C2 tool or malware family.
    KnownC2Pattern,
    /// A wildcard subscription (`#`, `+`) to a tree whose levels are command vocabulary.
    WildcardCommandTree,
    /// A subscription to everything (`#` alone): broker-wide sniffing, or an implant's catch-all.
    WildcardAllTopics,
    /// A GUID/UUID-shaped token.
    GuidToken,
    /// A long hex token (more than a MAC address' 12 digits).
    HexToken,
    /// A base64- or base32-shaped token.
    EncodedToken,
    /// A token that looks random (entropy, consonant runs, rare bigrams).
    RandomToken,
    /// A topic level equal to the client's own host name or client id: a per-host channel.
    HostScopedTopic,
    /// A client id in the default form of a well-known MQTT library (evidence of stock tooling).
    LibraryClientId,
    /// A payload of at least 64 bytes above 7.2 bits/byte (encrypted or compressed).
    PayloadHighEntropy,
    /// A payload that is one base64, base32 or hex body, or JSON carrying a long base64 string.
    PayloadEncoded,
    /// A Fernet token (`gAAAAA…`) anywhere in the payload.
    PayloadFernet,
    /// An opaque payload (high entropy, base64, Fernet) on a topic named like telemetry.
    TelemetryPayloadOpaque,
    /// Payloads carrying host data (the user with the host or OS, a system survey's output) or a
    /// host discovery command (`whoami`, `uname -a`…).
    PayloadHostData,
    /// Every publication is a JSON object of numeric readings: a device reporting measurements.
    /// Negative.
    TelemetryReadings,
    /// Every topic under a test namespace (`test/…`), a few plain publications and nothing
    /// against the client in them: a person trying a broker by hand. Negative.
    TrialExchange,
    /// A command shell (`cmd`, `powershell`, `bash`…).
    ProcessShell,
    /// A script host (`wscript`, `cscript`, `mshta`, `osascript`).
    ProcessScriptHost,
    /// A general interpreter (`python`, `node`, `perl`…): common in legitimate IoT software too.
    ProcessInterpreter,
    /// A Windows living-off-the-land binary (`rundll32`, `regsvr32`…).
    ProcessLolbin,
    /// A generic network tool (`curl`, `nc`, `socat`…).
    ProcessNetworkTool,
    /// An image in a temporary directory.
    ProcessInTemp,
    /// An image in a downloads directory.
    ProcessInDownloads,
    /// An image in another user-writable place (AppData, Users\Public, ProgramData, a hidden dir).
    ProcessInUserWritable,
    /// An image named like a Windows system binary (`svchost.exe`…) running from outside that
    /// binary's directory (ATT&CK T1036.005).
    MasqueradedSystemBinary,
    /// A genuine Windows system binary, from its own directory, speaking a pub/sub protocol.
    SystemBinaryPubsub,
    /// A hand-driven tool (`mosquitto_pub`, `nc`, a script) whose exchange is command and
    /// control: C2 vocabulary, host data, a wildcard command tree, XMPP or STOMP typed by hand
    /// (ATT&CK AN0003).
    SingleShotTool,
    /// The source records the program and nothing about it or about the channel's behaviour
    /// supports the seed's protocol prior: with the program known, the absence of evidence is
    /// itself evidence. Negative.
    ProcessUnremarkable,
    /// A public, free MQTT broker (HiveMQ, Mosquitto test, EMQX, Eclipse…).
    PublicBroker,
    /// A public XMPP server.
    PublicXmppServer,
    /// A dynamic-DNS name.
    DynamicDns,
    /// A tunnelling service name (ngrok, trycloudflare…).
    TunnelService,
    /// A cloud IoT endpoint (AWS IoT, Azure IoT Hub); weighs little on its own.
    CloudIotEndpoint,
    /// A cloud IoT endpoint reached from a host outside the configured IoT hosts (`[hosts] iot`):
    /// an attacker's own cloud account looks like a fleet's.
    CloudIotFromOtherHost,
    /// An endpoint of a retired cloud IoT service (Google Cloud IoT Core): nothing legitimate left.
    RetiredCloudIot,
    /// XMPP to a retired chat service (Google Talk's `gmail.com`, Facebook chat): no client
    /// works there any more, and it is where GLOOXMAIL-era implants still point.
    RetiredChatService,
    /// A destination matching a known benign class of the default allowlist (Apple push…).
    KnownBenignDestination,
    /// A sustained publication burst against the client's own history.
    RateBurst,
    /// A publication rate far above the broker's other clients.
    RateAbovePeers,
    /// A process speaking a protocol for the first time in the data (an earlier window has none).
    NewProcess,
    /// A broker or server first contacted in this window (earlier windows never reached it).
    NewBroker,
    /// Use without regular timing confined to a few hours well inside the data: a one-off
    /// session (a developer trying a public broker), not a standing channel. Negative.
    TransientUse,
    /// Long sessions answered both ways, opened and closed at irregular times in working hours
    /// on working days: people using chat and developer tools, not a machine timer. Negative.
    InteractiveUse,
    /// Many internal hosts reach the destination (by name when it has one, else by address and
    /// port) and this channel is not on a timer of its own: a service people share, not one
    /// host's server. Negative.
    SharedDestination,
    /// The channel beacons to a destination many hosts share, while few of the others do and
    /// none on a similar period: one host stands apart from the service's ordinary clients.
    LoneTimerOnSharedDestination,
    /// The only internal host that reaches an external destination, in data with many hosts:
    /// a server one host talks to is what pub/sub C2 looks like.
    SoleHostDestination,
    /// The host is a member of a fleet of devices (it checks in to a service on the timer at
    /// least two devices keep there), and none of those devices reaches this channel's
    /// destination: a device doing what its fleet does not.
    FleetOutlier,
    /// The initiating host is itself a server of the protocol that many internal hosts reach:
    /// a server federating with another (XMPP s2s) or a broker bridging to one, not a client.
    /// Negative.
    ServerFederation,
    /// The channel reaches an internal server of the protocol that keeps a timer of the same
    /// period to an external destination: its traffic leaves the network through that server
    /// (a relay), the converse of [`SignalId::ServerFederation`] on the server's link.
    RelayedOutside,
    /// In a log that records all of the host's traffic, its only traffic through at least a day
    /// is housekeeping and held sessions with this one service: a device doing its one job (a
    /// meter, a thermostat), not a host an implant sits on beside other traffic. Negative.
    DedicatedDevice,
    /// The host is one of a fleet: it and at least one other reaching the destination over
    /// the protocol, and no other host in the data, do nothing but housekeeping and this
    /// service through at least a day, and a timer it keeps is the fleet's. A product's devices
    /// reporting to their vendor, where an implant sits on one host beside its own traffic.
    /// Negative.
    DeviceFleet,
    /// A host the census shows doing other work (a workstation, a server) kept the service open
    /// through a night and a day: as an implant keeps its channel.
    KeptAroundTheClock,
    /// A host the census shows doing other work held sessions with an external service in which
    /// it mostly uploaded and was answered with little more than acknowledgements: as an implant
    /// streams what it collects, where people's chat and developers' tools are answered.
    UnansweredUploads,
    /// A timer of short connections (check-ins) some of whose replies carry far more than the
    /// server's usual acknowledgements: a poll that is delivered something now and then, as an
    /// implant's broker delivers its tasks.
    TaskedCheckIns,
}

impl SignalId {
    /// Every signal, in the order of the weights table.
    pub const ALL: [SignalId; 58] = [
        SignalId::Beacon,
        SignalId::MessageBeacon,
        SignalId::C2Vocabulary,
        SignalId::C2VocabularyWeak,
        SignalId::KnownC2Pattern,
        SignalId::WildcardCommandTree,
        SignalId::WildcardAllTopics,
        SignalId::GuidToken,
        SignalId::HexToken,
        SignalId::EncodedToken,
        SignalId::RandomToken,
        SignalId::HostScopedTopic,
        SignalId::LibraryClientId,
        SignalId::PayloadHighEntropy,
        SignalId::PayloadEncoded,
        SignalId::PayloadFernet,
        SignalId::TelemetryPayloadOpaque,
        SignalId::PayloadHostData,
        SignalId::TelemetryReadings,
        SignalId::TrialExchange,
        SignalId::ProcessShell,
        SignalId::ProcessScriptHost,
        SignalId::ProcessInterpreter,
        SignalId::ProcessLolbin,
        SignalId::ProcessNetworkTool,
        SignalId::ProcessInTemp,
        SignalId::ProcessInDownloads,
        SignalId::ProcessInUserWritable,
        SignalId::MasqueradedSystemBinary,
        SignalId::SystemBinaryPubsub,
        SignalId::ProcessUnremarkable,
        SignalId::SingleShotTool,
        SignalId::PublicBroker,
        SignalId::PublicXmppServer,
        SignalId::DynamicDns,
        SignalId::TunnelService,
        SignalId::CloudIotEndpoint,
        SignalId::CloudIotFromOtherHost,
        SignalId::RetiredCloudIot,
        SignalId::RetiredChatService,
        SignalId::KnownBenignDestination,
        SignalId::RateBurst,
        SignalId::RateAbovePeers,
        SignalId::NewProcess,
        SignalId::NewBroker,
        SignalId::TransientUse,
        SignalId::InteractiveUse,
        SignalId::SharedDestination,
        SignalId::LoneTimerOnSharedDestination,
        SignalId::SoleHostDestination,
        SignalId::FleetOutlier,
        SignalId::ServerFederation,
        SignalId::RelayedOutside,
        SignalId::DedicatedDevice,
        SignalId::DeviceFleet,
        SignalId::KeptAroundTheClock,
        SignalId::UnansweredUploads,
        SignalId::TaskedCheckIns,
    ];

    /// The stable snake_case id used in output, configuration and allowlists.
    pub fn as_str(self) -> &'static str {
        match self {
            SignalId::Beacon => "beacon",
            SignalId::MessageBeacon => "message_beacon",
            SignalId::C2Vocabulary => "c2_vocabulary",
            SignalId::C2VocabularyWeak => "c2_vocabulary_weak",
            SignalId::KnownC2Pattern => "known_c2_pattern",
            SignalId::WildcardCommandTree => "wildcard_command_tree",
            SignalId::WildcardAllTopics => "wildcard_all_topics",
            SignalId::GuidToken => "guid_token",
            SignalId::HexToken => "hex_token",
            SignalId::EncodedToken => "encoded_token",
            SignalId::RandomToken => "random_token",
            SignalId::HostScopedTopic => "host_scoped_topic",
            SignalId::LibraryClientId => "library_client_id",
            SignalId::PayloadHighEntropy => "payload_high_entropy",
            SignalId::PayloadEncoded => "payload_encoded",
            SignalId::PayloadFernet => "payload_fernet",
            SignalId::TelemetryPayloadOpaque => "telemetry_payload_opaque",
            SignalId::PayloadHostData => "payload_host_data",
            SignalId::TelemetryReadings => "telemetry_readings",
            SignalId::TrialExchange => "trial_exchange",
            SignalId::ProcessShell => "process_shell",
            SignalId::ProcessScriptHost => "process_script_host",
            SignalId::ProcessInterpreter => "process_interpreter",
            SignalId::ProcessLolbin => "process_lolbin",
            SignalId::ProcessNetworkTool => "process_network_tool",
            SignalId::ProcessInTemp => "process_in_temp",
            SignalId::ProcessInDownloads => "process_in_downloads",
            SignalId::ProcessInUserWritable => "process_in_user_writable",
            SignalId::MasqueradedSystemBinary => "masqueraded_system_binary",
            SignalId::SystemBinaryPubsub => "system_binary_pubsub",
            SignalId::ProcessUnremarkable => "process_unremarkable",
            SignalId::SingleShotTool => "single_shot_tool",
            SignalId::PublicBroker => "public_broker",
            SignalId::PublicXmppServer => "public_xmpp_server",
            SignalId::DynamicDns => "dynamic_dns",
            SignalId::TunnelService => "tunnel_service",
            SignalId::CloudIotEndpoint => "cloud_iot_endpoint",
            SignalId::CloudIotFromOtherHost => "cloud_iot_from_other_host",
            SignalId::RetiredCloudIot => "retired_cloud_iot",
            SignalId::RetiredChatService => "retired_chat_service",
            SignalId::KnownBenignDestination => "known_benign_destination",
            SignalId::RateBurst => "rate_burst",
            SignalId::RateAbovePeers => "rate_above_peers",
            SignalId::NewProcess => "new_process",
            SignalId::NewBroker => "new_broker",
            SignalId::TransientUse => "transient_use",
            SignalId::InteractiveUse => "interactive_use",
            SignalId::SharedDestination => "shared_destination",
            SignalId::LoneTimerOnSharedDestination => "lone_timer_on_shared_destination",
            SignalId::SoleHostDestination => "sole_host_destination",
            SignalId::FleetOutlier => "fleet_outlier",
            SignalId::ServerFederation => "server_federation",
            SignalId::RelayedOutside => "relayed_outside",
            SignalId::DedicatedDevice => "dedicated_device",
            SignalId::DeviceFleet => "device_fleet",
            SignalId::KeptAroundTheClock => "kept_around_the_clock",
            SignalId::UnansweredUploads => "unanswered_uploads",
            SignalId::TaskedCheckIns => "tasked_check_ins",
        }
    }

    /// The behaviour analytic this signal is evidence for.
    pub fn analytic(self) -> AnalyticId {
        match self {
            SignalId::Beacon
            | SignalId::MessageBeacon
            | SignalId::TransientUse
            | SignalId::InteractiveUse
            | SignalId::DedicatedDevice
            | SignalId::DeviceFleet
            | SignalId::KeptAroundTheClock
            | SignalId::UnansweredUploads
            | SignalId::TaskedCheckIns
            | SignalId::LoneTimerOnSharedDestination => AnalyticId::PubsubBeacon,
            SignalId::C2Vocabulary
            | SignalId::C2VocabularyWeak
            | SignalId::KnownC2Pattern
            | SignalId::WildcardCommandTree
            | SignalId::WildcardAllTopics
            | SignalId::GuidToken
            | SignalId::HexToken
            | SignalId::EncodedToken
            | SignalId::RandomToken
            | SignalId::HostScopedTopic
            | SignalId::LibraryClientId
            | SignalId::PayloadHighEntropy
            | SignalId::PayloadEncoded
            | SignalId::PayloadFernet
            | SignalId::TelemetryPayloadOpaque
            | SignalId::PayloadHostData
            | SignalId::TelemetryReadings
            | SignalId::TrialExchange => AnalyticId::PubsubContent,
            SignalId::ProcessShell
            | SignalId::ProcessScriptHost
            | SignalId::ProcessInterpreter
            | SignalId::ProcessLolbin
            | SignalId::ProcessNetworkTool
            | SignalId::ProcessInTemp
            | SignalId::ProcessInDownloads
            | SignalId::ProcessInUserWritable
            | SignalId::MasqueradedSystemBinary
            | SignalId::SystemBinaryPubsub
            | SignalId::ProcessUnremarkable
            | SignalId::SingleShotTool
            | SignalId::NewProcess => AnalyticId::PubsubProcess,
            SignalId::PublicBroker
            | SignalId::PublicXmppServer
            | SignalId::DynamicDns
            | SignalId::TunnelService
            | SignalId::CloudIotEndpoint
            | SignalId::CloudIotFromOtherHost
            | SignalId::RetiredCloudIot
            | SignalId::RetiredChatService
            | SignalId::KnownBenignDestination
            | SignalId::NewBroker
            | SignalId::SharedDestination
            | SignalId::SoleHostDestination
            | SignalId::FleetOutlier
            | SignalId::ServerFederation
            | SignalId::RelayedOutside => AnalyticId::PubsubDestination,
            SignalId::RateBurst | SignalId::RateAbovePeers => AnalyticId::PubsubRate,
        }
    }

    /// Whether this is regular timing (connection starts or publications): the evidence of a
    /// beacon.
    pub fn is_beacon(self) -> bool {
        matches!(self, SignalId::Beacon | SignalId::MessageBeacon)
    }
}

impl Ord for SignalId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for SignalId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for SignalId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl Borrow<str> for SignalId {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl FromStr for SignalId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SignalId::ALL
            .into_iter()
            .find(|id| id.as_str() == s.trim())
            .ok_or_else(|| format!("unknown signal {s:?}"))
    }
}

impl Serialize for SignalId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One piece of behaviour evidence: a stable id, the points it adds to the alert score (negative
/// for evidence of benign use) and a sentence a hunter can check against the data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    /// Which signal this is; its weight field in `behaviour::Weights` sets
    /// `weight`.
    pub id: SignalId,
    /// Points added to the 0–100 score; negative values lower it.
    pub weight: f64,
    /// Human sentence naming the evidence (the token, the interval, the path…).
    pub reason: String,
}

impl Signal {
    pub fn new(id: SignalId, weight: f64, reason: impl Into<String>) -> Self {
        Signal {
            id,
            weight,
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviour::Weights;

    #[test]
    fn every_signal_has_a_weight_of_its_name_and_a_behaviour_analytic() {
        let weights = toml::Value::try_from(Weights::default()).unwrap();
        let table = weights.as_table().unwrap();
        for id in SignalId::ALL {
            // `message_beacon` is weighed as `beacon`.
            let key = if id == SignalId::MessageBeacon {
                "beacon"
            } else {
                id.as_str()
            };
            assert!(table.contains_key(key), "{id} has no weight");
            assert!(id.analytic().is_behaviour(), "{id}");
        }
        // and every weight names a signal
        for key in table.keys() {
            assert!(
                SignalId::ALL.iter().any(|s| s.as_str() == key),
                "weight {key} has no signal"
            );
        }
    }

    #[test]
    fn ids_are_ordered_as_their_text() {
        let mut ids = SignalId::ALL.to_vec();
        ids.sort();
        let text: Vec<&str> = ids.iter().map(|i| i.as_str()).collect();
        let mut sorted = text.clone();
        sorted.sort();
        assert_eq!(text, sorted);
        let map: std::collections::BTreeMap<SignalId, f64> = [(SignalId::NewBroker, 8.0)].into();
        assert_eq!(map.get("new_broker"), Some(&8.0));
    }

    #[test]
    fn ids_keep_their_output_strings() {
        assert_eq!(SignalId::Beacon.as_str(), "beacon");
        assert_eq!(
            SignalId::CloudIotFromOtherHost.as_str(),
            "cloud_iot_from_other_host"
        );
        assert_eq!(SignalId::MessageBeacon.analytic(), AnalyticId::PubsubBeacon);
        assert_eq!(SignalId::NewProcess.analytic(), AnalyticId::PubsubProcess);
        assert_eq!(
            SignalId::NewBroker.analytic(),
            AnalyticId::PubsubDestination
        );
        assert_eq!(
            SignalId::LibraryClientId.analytic(),
            AnalyticId::PubsubContent
        );
        assert_eq!(
            serde_json::to_string(&SignalId::RateBurst).unwrap(),
            "\"rate_burst\""
        );
        for id in SignalId::ALL {
            assert_eq!(id.as_str().parse::<SignalId>(), Ok(id));
        }
        assert!("beacn".parse::<SignalId>().is_err());
    }
}
