//! Behaviour scorers: pure functions that turn what a group of pub/sub traffic looks like (timing,
//! topics, client ids, payloads, the initiating process, the destination name) into explained
//! [`Signal`]s, and one documented rule that combines the seed suspicion with those signals into a
//! 0–100 score ([`score::combine`]).
//!
//! Nothing here does I/O or keeps state across calls: the engine collects the inputs per group
//! and calls these functions, so every alert can show each signal, its weight and the sentence
//! that justifies it. Every input string is cut to [`MAX_SCORED_BYTES`] before it is looked at and
//! every series is bounded by the caller's cap plus the caps documented per function, so hostile
//! input (megabyte topic names, a million timestamps) costs bounded work.
//!
//! Weights live in [`Weights`], a serde-deserialisable struct whose `Default` is the shipped
//! tuning, so the lead can expose it in the TOML configuration unchanged. A signal's id
//! ([`SignalId`]) is the snake_case name of its weight field, and is stable: it is what users
//! allowlist and what the `signals` output object is keyed by.
//!
//! Entry points: [`beacon::score_beacon`] (+ [`beacon::BeaconScore::signal`]),
//! [`names::score_topic`], [`names::score_client_id`], [`names::score_jid`],
//! [`names::score_host_scoped`], [`payloads::score_payload`], [`shapes::topic_template`],
//! [`process::score_process`] (with [`masquerade::score_masquerade`]),
//! [`tools::score_single_shot`], [`destination::score_server_name`],
//! [`destination::score_destination_ip`], [`destination::DEFAULT_ALLOW_HINTS`],
//! [`rate::rate_burst`], [`rate::rate_vs_peers`], [`presence::score_transient`],
//! [`interactive::score_interactive`], [`device::score_dedicated_device`],
//! [`tasking::score_tasked_check_ins`] and [`score::combine`]. String scoring costs a
//! few microseconds per string, so score each distinct topic or id once per group, not per message.

pub mod beacon;
pub mod destination;
pub mod device;
pub mod interactive;
pub mod masquerade;
pub mod names;
pub mod payloads;
pub mod presence;
pub mod prevalence;
pub mod process;
pub mod rate;
pub mod score;
pub mod shapes;
pub mod tasking;
pub mod tools;

pub use crate::bounded::capped;
pub use crate::payload::byte_entropy;
pub use crate::signal::{Signal, SignalId};
use serde::{Deserialize, Serialize};

/// Longest prefix of any string (topic, client id, JID, path, server name) that is scored. Longer
/// inputs are cut at a character boundary; real topics and names are far shorter, and the cap keeps
/// the per-string work constant whatever the input holds.
pub const MAX_SCORED_BYTES: usize = 512;

/// Points each signal adds to the score. `Default` is the shipped tuning; every field can be set
/// from configuration (unknown keys are rejected so a misspelt weight is not silently ignored).
///
/// Magnitudes are chosen against the seed bases in [`score::ScoreConfig`] (high 50, medium 45,
/// low 20 points) and its thresholds (high 80, medium 50 points): two strong signals (≈ 25–30
/// each), or a masqueraded system binary (35), move a medium seed alert to high, two moderate ones
/// (≈ 15 each) move a low one to medium, and a benign hint of −15 or more takes a high one down.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    // --- beacon.rs ---
    /// Regular timing; the weight is multiplied by the beacon score (0..1) above the threshold.
    pub beacon: f64,
    // --- names.rs ---
    /// A topic level or id token from the command-and-control vocabulary (`cmd`, `c2`, `implant`…).
    pub c2_vocabulary: f64,
    /// A weaker vocabulary word that is common in legitimate topics too (`task`, `result`, `agent`…).
    pub c2_vocabulary_weak: f64,
    /// A topic, client id or JID matching the default of a published C2 tool or malware family.
    pub known_c2_pattern: f64,
    /// A wildcard subscription (`#`, `+`) to a tree whose levels are command vocabulary.
    pub wildcard_command_tree: f64,
    /// A subscription to everything (`#` alone): broker-wide sniffing, or an implant's catch-all.
    pub wildcard_all_topics: f64,
    /// A GUID/UUID-shaped token.
    pub guid_token: f64,
    /// A long hex token (more than a MAC address' 12 digits).
    pub hex_token: f64,
    /// A base64- or base32-shaped token.
    pub encoded_token: f64,
    /// A token that looks random (entropy, consonant runs, rare bigrams).
    pub random_token: f64,
    /// A topic level equal to the client's own host name or client id: a per-host channel.
    pub host_scoped_topic: f64,
    /// A client id in the default form of a well-known MQTT library (evidence of stock tooling).
    pub library_client_id: f64,
    // --- payloads.rs ---
    /// A payload of at least 64 bytes above 7.2 bits/byte (encrypted or compressed).
    pub payload_high_entropy: f64,
    /// A payload that is one base64, base32 or hex body, or JSON carrying a long base64 string.
    pub payload_encoded: f64,
    /// A Fernet token (`gAAAAA…`) anywhere in the payload.
    pub payload_fernet: f64,
    /// An opaque payload (high entropy, base64, Fernet) on a topic named like telemetry.
    pub telemetry_payload_opaque: f64,
    /// Payloads carrying host data (the user with the host or OS, a system survey's output) or a
    /// host discovery command (`whoami`, `uname -a`…).
    pub payload_host_data: f64,
    /// Every publication (at least ten) is a JSON object of numeric readings. Negative.
    pub telemetry_readings: f64,
    /// Every topic under a test namespace, a few plain publications, nothing against the client:
    /// a person trying a broker by hand. Negative.
    pub trial_exchange: f64,
    // --- process.rs ---
    /// A command shell (`cmd`, `powershell`, `bash`…).
    pub process_shell: f64,
    /// A script host (`wscript`, `cscript`, `mshta`, `osascript`).
    pub process_script_host: f64,
    /// A general interpreter (`python`, `node`, `perl`…): common in legitimate IoT software too.
    pub process_interpreter: f64,
    /// A Windows living-off-the-land binary (`rundll32`, `regsvr32`…).
    pub process_lolbin: f64,
    /// A generic network tool (`curl`, `nc`, `socat`…).
    pub process_network_tool: f64,
    /// An image in a temporary directory.
    pub process_in_temp: f64,
    /// An image in a downloads directory.
    pub process_in_downloads: f64,
    /// An image in another user-writable place (AppData, Users\Public, ProgramData, a hidden dir).
    pub process_in_user_writable: f64,
    // --- masquerade.rs ---
    /// An image named like a Windows system binary (`svchost.exe`…) running from outside that
    /// binary's directory (ATT&CK T1036.005).
    pub masqueraded_system_binary: f64,
    /// A genuine Windows system binary, from its own directory, speaking a pub/sub protocol.
    pub system_binary_pubsub: f64,
    /// The source records the program, and neither it nor the channel's behaviour carries any
    /// positive evidence: the seed's protocol prior stands alone. Negative.
    pub process_unremarkable: f64,
    // --- tools.rs ---
    /// A hand-driven tool (`mosquitto_pub`, `nc`, a script) whose exchange is command and
    /// control: C2 vocabulary, host data, a wildcard command tree, XMPP or STOMP typed by hand
    /// (ATT&CK AN0003).
    pub single_shot_tool: f64,
    // --- destination.rs ---
    /// A public, free MQTT broker (HiveMQ, Mosquitto test, EMQX, Eclipse…).
    pub public_broker: f64,
    /// A public XMPP server.
    pub public_xmpp_server: f64,
    /// A dynamic-DNS name.
    pub dynamic_dns: f64,
    /// A tunnelling service name (ngrok, trycloudflare…).
    pub tunnel_service: f64,
    /// A cloud IoT endpoint (AWS IoT, Azure IoT Hub); weighs little on its own.
    pub cloud_iot_endpoint: f64,
    /// A cloud IoT endpoint reached from a host outside the configured IoT hosts (`[hosts] iot`):
    /// an attacker's own cloud account looks like a fleet's.
    pub cloud_iot_from_other_host: f64,
    /// An endpoint of a retired cloud IoT service (Google Cloud IoT Core): nothing legitimate left.
    pub retired_cloud_iot: f64,
    /// XMPP to a retired chat service (Google Talk's `gmail.com`, Facebook chat): no client
    /// works there any more, and it is where GLOOXMAIL-era implants still point.
    pub retired_chat_service: f64,
    /// A destination matching a known benign class of the default allowlist (Apple push…).
    pub known_benign_destination: f64,
    // --- score.rs ---
    /// A sustained publication burst against the client's own history.
    pub rate_burst: f64,
    /// A publication rate far above the broker's other clients.
    pub rate_above_peers: f64,
    // --- history across windows (analytics/evidence.rs) ---
    /// A process speaking a protocol for the first time in the data (an earlier window has none).
    pub new_process: f64,
    /// A broker or server first contacted in this window (earlier windows never reached it).
    pub new_broker: f64,
    // --- presence.rs ---
    /// Use without regular timing confined to a few hours well inside the data: a one-off
    /// session (a developer trying a public broker), not a standing channel. Negative.
    pub transient_use: f64,
    // --- interactive.rs ---
    /// Long sessions answered both ways, opened and closed at irregular times in working hours
    /// on working days: people using chat and developer tools, not a machine timer. Negative.
    pub interactive_use: f64,
    // --- prevalence.rs ---
    /// Many internal hosts reach the destination and this channel has no timer of its own: a
    /// shared service. Negative.
    pub shared_destination: f64,
    /// A timer to a shared destination that the service's other clients do not have.
    pub lone_timer_on_shared_destination: f64,
    /// The only internal host reaching an external destination, in data with many hosts.
    pub sole_host_destination: f64,
    /// A fleet member's channel to a destination none of its fleet's devices reaches.
    pub fleet_outlier: f64,
    /// The initiating host is a server of the protocol many hosts reach (federation, bridges).
    pub server_federation: f64,
    /// The channel's internal server keeps a timer like the channel's to an external
    /// destination: the channel goes out through it.
    pub relayed_outside: f64,
    // --- device.rs ---
    /// The host's only traffic, in a log that records all of it, is housekeeping and held
    /// sessions with this one service: a device doing its one job. Negative.
    pub dedicated_device: f64,
    /// The host is one of a fleet of devices doing nothing but this service. Negative.
    pub device_fleet: f64,
    /// A host that does other work kept the service open through a night and a day.
    pub kept_around_the_clock: f64,
    /// A host that does other work mostly uploaded over its sessions with an external service,
    /// answered with little more than acknowledgements.
    pub unanswered_uploads: f64,
    // --- tasking.rs ---
    /// A check-in timer whose server now and then answers with more than acknowledgements.
    pub tasked_check_ins: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            beacon: 30.0,
            c2_vocabulary: 20.0,
            c2_vocabulary_weak: 6.0,
            known_c2_pattern: 30.0,
            wildcard_command_tree: 15.0,
            wildcard_all_topics: 10.0,
            guid_token: 8.0,
            hex_token: 8.0,
            encoded_token: 12.0,
            random_token: 10.0,
            host_scoped_topic: 10.0,
            library_client_id: -5.0,
            payload_high_entropy: 8.0,
            payload_encoded: 8.0,
            payload_fernet: 20.0,
            telemetry_payload_opaque: 15.0,
            payload_host_data: 15.0,
            telemetry_readings: -20.0,
            trial_exchange: -10.0,
            process_shell: 30.0,
            process_script_host: 30.0,
            process_interpreter: 10.0,
            process_lolbin: 30.0,
            process_network_tool: 25.0,
            process_in_temp: 25.0,
            process_in_downloads: 20.0,
            process_in_user_writable: 10.0,
            masqueraded_system_binary: 35.0,
            system_binary_pubsub: 20.0,
            process_unremarkable: -15.0,
            single_shot_tool: 25.0,
            public_broker: 15.0,
            public_xmpp_server: 5.0,
            dynamic_dns: 20.0,
            tunnel_service: 25.0,
            cloud_iot_endpoint: 5.0,
            cloud_iot_from_other_host: 20.0,
            retired_cloud_iot: 25.0,
            retired_chat_service: 25.0,
            known_benign_destination: -30.0,
            rate_burst: 10.0,
            rate_above_peers: 10.0,
            new_process: 10.0,
            new_broker: 8.0,
            transient_use: -25.0,
            interactive_use: -20.0,
            shared_destination: -20.0,
            lone_timer_on_shared_destination: 15.0,
            sole_host_destination: 8.0,
            fleet_outlier: 15.0,
            server_federation: -20.0,
            relayed_outside: 15.0,
            dedicated_device: -20.0,
            device_fleet: -20.0,
            kept_around_the_clock: 10.0,
            unanswered_uploads: 10.0,
            tasked_check_ins: 10.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_deserialize_partially_and_reject_unknown_keys() {
        let w: Weights = toml::from_str("beacon = 12.5").unwrap();
        assert_eq!(w.beacon, 12.5);
        assert_eq!(w.c2_vocabulary, Weights::default().c2_vocabulary);
        assert!(toml::from_str::<Weights>("beacn = 1.0").is_err());
    }
}
