//! Single-shot tools (ATT&CK AN0003): a command-line client driven by hand or by a script — a
//! pub/sub client such as `mosquitto_pub`/`mosquitto_sub` ([`PUBSUB_CLIENTS`]), a generic network
//! tool (`nc`, `ncat`, `socat`, `curl`, `telnet`), a shell or an interpreter running a script —
//! whose exchange is command and control: it publishes command-and-control vocabulary or host
//! data, subscribes to a wildcard command tree, or it is a generic network tool speaking a text
//! protocol (XMPP, STOMP) that only real clients and people typing speak.
//!
//! The seed rule excludes the Mosquitto clients as benign administration tools; on its own that
//! stays true here (`mosquitto_pub -t sensors/x -m 21.5` is not evidence of anything), and only
//! the combination of a hand-driven tool with such content is. One connection is enough to judge
//! it: a tool run once by an operator is exactly what this looks for (docs/beacon-and-scoring.md,
//! single-shot tools).

use super::process::{ProcessClass, classify_image, image_basename};
use super::{Signal, Weights};
use crate::protocol::Protocol;
use crate::signal::SignalId;

/// Command-line pub/sub clients (basename, `.exe` optional): the Mosquitto clients, HiveMQ's
/// `mqtt` CLI, MQTTX's CLI, the RabbitMQ `amqp-tools` and `rabbitmqadmin`, kcat and Kafka's
/// console clients, the NATS CLI and the `stomp` client of stomp.py.
pub const PUBSUB_CLIENTS: &[&str] = &[
    "mosquitto_pub",
    "mosquitto_sub",
    "mosquitto_rr",
    "mqtt",
    "mqttx",
    "amqp-publish",
    "amqp-consume",
    "amqp-get",
    "amqp-declare-queue",
    "rabbitmqadmin",
    "kcat",
    "kafkacat",
    "kafka-console-producer",
    "kafka-console-producer.sh",
    "kafka-console-consumer",
    "kafka-console-consumer.sh",
    "nats",
    "stomp",
];

/// Signals that make a hand-driven tool's exchange command and control: strong vocabulary or a
/// published tool's default in a topic, client id or JID, host data in a payload, a wildcard
/// subscription to a command tree.
const C2_CONTENT: &[SignalId] = &[
    SignalId::C2Vocabulary,
    SignalId::KnownC2Pattern,
    SignalId::PayloadHostData,
    SignalId::WildcardCommandTree,
];

/// What kind of hand-driven tool an image is, described for the reason; `None` for other
/// programs (an installed chat client, a broker, an IoT agent).
pub fn hand_driven(image: &str) -> Option<(ToolKind, String)> {
    let base = image_basename(image);
    if PUBSUB_CLIENTS.contains(&base.as_str()) {
        return Some((ToolKind::PubsubClient, base));
    }
    match classify_image(image)? {
        ProcessClass::NetworkTool => Some((ToolKind::NetworkTool, base)),
        ProcessClass::Shell | ProcessClass::ScriptHost | ProcessClass::Interpreter => {
            Some((ToolKind::Script, base))
        }
        ProcessClass::Lolbin => None,
    }
}

/// The kinds of hand-driven tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolKind {
    /// A command-line pub/sub client (`mosquitto_pub`…).
    PubsubClient,
    /// A generic network tool (`nc`, `socat`, `curl`…).
    NetworkTool,
    /// A shell, script host or interpreter (running a script).
    Script,
}

impl ToolKind {
    fn describe(self) -> &'static str {
        match self {
            ToolKind::PubsubClient => "a command-line pub/sub client",
            ToolKind::NetworkTool => "a generic network tool",
            ToolKind::Script => "a shell or interpreter running a script",
        }
    }
}

/// `single_shot_tool` when `image` is a hand-driven tool and `found` (the group's other signals)
/// holds command-and-control content, or the tool is a generic network tool speaking XMPP or
/// STOMP by hand.
pub fn score_single_shot(
    image: &str,
    protocol: Protocol,
    found: &[Signal],
    w: &Weights,
) -> Option<Signal> {
    let (class, name) = hand_driven(image)?;
    let mut why: Vec<String> = Vec::new();
    for id in C2_CONTENT {
        if found.iter().any(|s| s.id == *id && s.weight > 0.0) {
            why.push(
                match id {
                    SignalId::C2Vocabulary => "command-and-control vocabulary",
                    SignalId::KnownC2Pattern => "a published C2 tool's default",
                    SignalId::PayloadHostData => "host data",
                    _ => "a wildcard subscription to a command tree",
                }
                .to_string(),
            );
        }
    }
    if class == ToolKind::NetworkTool && matches!(protocol, Protocol::Xmpp | Protocol::Stomp) {
        why.push(format!("{protocol} typed by hand"));
    }
    if why.is_empty() {
        return None;
    }
    Some(Signal::new(
        SignalId::SingleShotTool,
        w.single_shot_tool,
        format!(
            "`{name}` is {}, and its exchange carries {}: a single-shot tool used for command and \
             control (ATT&CK AN0003)",
            class.describe(),
            why.join(", ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sig(id: SignalId) -> Signal {
        Signal::new(id, 10.0, "test")
    }

    #[test]
    fn tools_are_recognised_by_basename() {
        for (image, class) in [
            ("/usr/bin/mosquitto_pub", ToolKind::PubsubClient),
            (
                r"C:\Program Files\mosquitto\MOSQUITTO_SUB.EXE",
                ToolKind::PubsubClient,
            ),
            ("/usr/bin/nc.openbsd", ToolKind::NetworkTool),
            ("ncat", ToolKind::NetworkTool),
            ("/usr/bin/curl", ToolKind::NetworkTool),
            ("/usr/bin/python3.11", ToolKind::Script),
            ("/bin/bash", ToolKind::Script),
            (
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                ToolKind::Script,
            ),
        ] {
            assert_eq!(hand_driven(image).map(|h| h.0), Some(class), "{image}");
        }
        for image in [
            "/usr/sbin/mosquitto",
            r"C:\Program Files\Pidgin\pidgin.exe",
            "rundll32",
        ] {
            assert!(hand_driven(image).is_none(), "{image}");
        }
    }

    #[test]
    fn a_tool_with_c2_content_is_single_shot_c2() {
        let w = Weights::default();
        let s = score_single_shot(
            "/usr/bin/mosquitto_pub",
            Protocol::Mqtt,
            &[sig(SignalId::C2Vocabulary), sig(SignalId::PayloadHostData)],
            &w,
        )
        .unwrap();
        assert_eq!(s.id, SignalId::SingleShotTool);
        assert_eq!(s.weight, w.single_shot_tool);
        assert!(
            s.reason
                .contains("`mosquitto_pub` is a command-line pub/sub client"),
            "{}",
            s.reason
        );
        assert!(s.reason.contains("host data"), "{}", s.reason);
        let sub = score_single_shot(
            "mosquitto_sub",
            Protocol::Mqtt,
            &[sig(SignalId::WildcardCommandTree)],
            &w,
        )
        .unwrap();
        assert!(sub.reason.contains("wildcard"), "{}", sub.reason);
        // nc speaking XMPP is hand-typed XMPP, whatever the content.
        let nc = score_single_shot("/usr/bin/nc.openbsd", Protocol::Xmpp, &[], &w).unwrap();
        assert!(nc.reason.contains("XMPP typed by hand"), "{}", nc.reason);
    }

    #[test]
    fn plain_use_of_a_tool_is_not_evidence() {
        let w = Weights::default();
        // `mosquitto_pub -t sensors/x -m 21.5`: nothing but the tool.
        assert!(score_single_shot("mosquitto_pub", Protocol::Mqtt, &[], &w).is_none());
        // Weak words, shapes and benign hints are not command and control.
        let weak = [
            sig(SignalId::C2VocabularyWeak),
            sig(SignalId::GuidToken),
            sig(SignalId::WildcardAllTopics),
            Signal::new(SignalId::C2Vocabulary, 0.0, "weighed out"),
        ];
        assert!(score_single_shot("mosquitto_sub", Protocol::Mqtt, &weak, &w).is_none());
        // An installed client with C2 content is judged by that content alone.
        assert!(
            score_single_shot(
                "/usr/bin/pidgin",
                Protocol::Xmpp,
                &[sig(SignalId::C2Vocabulary)],
                &w
            )
            .is_none()
        );
        // A network tool on MQTT or AMQP needs content (binary protocols are not typed by hand).
        assert!(score_single_shot("nc", Protocol::Mqtt, &[], &w).is_none());
    }

    proptest! {
        #[test]
        fn never_panics(image in "\\PC{0,600}") {
            let _ = score_single_shot(&image, Protocol::Stomp, &[sig(SignalId::C2Vocabulary)], &Weights::default());
        }
    }
}
