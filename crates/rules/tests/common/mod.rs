//! Configurations shared by the integration tests: the built-in defaults and a tuned one that
//! exercises every knob the exports must carry (extra internal ranges, allowlisted process and
//! destination, a Windows path with backslashes, quotes in a reason, threshold and window).

#![allow(dead_code)]

use pubsub_hunt_core::HuntConfig;

/// Where the tuned configuration "came from", as the CLI would pass it.
pub const TUNED_SOURCE: &str = "/etc/pubsub-hunt/tuned.toml";

pub const TUNED_TOML: &str = r#"
[analytics]
min_connections = 3
window = "1h"

[networks]
extra_internal = ["198.51.100.0/24", "2001:db8:42::/48"]

[[allowlist]]
reason = "Home Assistant talks to the building's MQTT broker"
process = "home-assistant*"
destination = "203.0.113.0/24"
protocol = "MQTT"

[[allowlist]]
reason = "Build agents publish to the vendor's \"telemetry\" broker"
process = 'C:\Program Files\Vendor Agent\*'
host = "build-*"

[[allowlist]]
reason = "Chat gateway"
destination = "192.0.2.10/32"
port = 5222

[[allowlist]]
reason = "Zeek-only exception, not part of pubsub-port"
analytic = "pubsub-unusual-port"
port = 1883
"#;

/// Every level reported, a two-hour window, a custom Mosquitto list, extra ports and an
/// allowlist by host only: the semantic test's third configuration.
pub const LOW_TOML: &str = r#"
[analytics]
min_connections = 2
window = "2h"
min_suspicion = "low"

[ports]
MQTT = [1883, 8883]
XMPP = [5222, 5269]
AMQP = [5671, 5672]
STOMP = [61613]
NATS = [4222]

[networks]
extra_internal = ["203.0.113.128/25"]

[processes]
mosquitto_clients = ["mosquitto_pub", "MQTT-Relay.exe"]

[[allowlist]]
reason = "lab hosts"
host = "LAB-*"
"#;

pub fn default_config() -> HuntConfig {
    HuntConfig::default()
}

pub fn tuned_config() -> HuntConfig {
    HuntConfig::from_toml_str(TUNED_TOML).expect("tuned config parses")
}

pub fn low_config() -> HuntConfig {
    HuntConfig::from_toml_str(LOW_TOML).expect("low config parses")
}

/// Configurations at the edges: no internal network and no Mosquitto client; IPv6-only
/// internal networks, a threshold of 1, only high reported, a week-long window, a literal `?`
/// in a process pattern, a wildcard inside a host pattern and a newline in a reason; only
/// protocols outside the seeds' matrix.
pub const ODD_TOMLS: [&str; 3] = [
    r#"
[analytics]
min_suspicion = "low"
window = "90m"
[ports]
MQTT = [1883]
[networks]
internal = []
[processes]
mosquitto_clients = []
"#,
    r#"
[analytics]
min_suspicion = "high"
min_connections = 1
window = "7d"
[networks]
internal = ["fd00::/8", "::1"]
[[allowlist]]
reason = "line one\nline two: condition: selection"
process = '/opt/we?rd/*'
[[allowlist]]
reason = "the ws-0...2 hosts"
host = "ws-0*2"
protocol = "XMPP"
"#,
    r#"
[analytics]
min_suspicion = "low"
[ports]
NATS = [4222]
Kafka = [9092]
"#,
];

pub fn odd_configs() -> Vec<HuntConfig> {
    ODD_TOMLS
        .iter()
        .map(|t| HuntConfig::from_toml_str(t).expect("odd config parses"))
        .collect()
}
