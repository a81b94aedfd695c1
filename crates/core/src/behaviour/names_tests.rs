//! Tests of topic, client-id and JID judgements: command vocabulary, known tool defaults, token
//! shapes, library client ids, device topic trees and per-host topics.

use super::*;
use crate::behaviour::shapes::{looks_random, topic_template};
use proptest::prelude::*;

fn ids(signals: &[Signal]) -> Vec<&'static str> {
    signals.iter().map(|s| s.id.as_str()).collect()
}

fn w() -> Weights {
    Weights::default()
}

#[test]
fn c2_command_tree_topics() {
    let s = score_topic("c2/commands/#", &w());
    assert_eq!(
        ids(&s),
        [
            "wildcard_command_tree",
            "c2_vocabulary",
            "c2_vocabulary_weak"
        ]
    );
    assert!(s[1].reason.contains("`c2`"), "{}", s[1].reason);
    let s = score_topic("+/cmd", &w());
    assert_eq!(ids(&s), ["wildcard_command_tree", "c2_vocabulary"]);
    assert_eq!(ids(&score_topic("#", &w())), ["wildcard_all_topics"]);
    // A wildcard over a telemetry tree is ordinary.
    assert!(score_topic("home/+/temperature", &w()).is_empty());
}

#[test]
fn vocabulary_is_whole_tokens_only() {
    assert!(score_topic("shellies/shelly1-relay/relay/0", &w()).is_empty());
    assert!(score_topic("plant/execution/line2", &w()).is_empty());
    assert_eq!(
        ids(&score_topic("dev/shell_exec/in", &w())),
        ["c2_vocabulary"]
    );
    assert_eq!(
        ids(&score_topic("agent7/result", &w())),
        ["c2_vocabulary_weak"]
    );
    assert_eq!(ids(&score_topic("c2/beacon", &w())), ["c2_vocabulary"]);
}

#[test]
fn known_tool_defaults() {
    let s = score_topic("iot/server1", &w());
    assert_eq!(ids(&s), ["known_c2_pattern"]);
    assert!(s[0].reason.contains("MQsTTang"));
    assert_eq!(
        ids(&score_topic("billbradley/2", &w())),
        ["known_c2_pattern"]
    );
    assert_eq!(
        ids(&score_client_id("broomhilda", &w())),
        ["known_c2_pattern"]
    );
}

#[test]
fn guid_hex_and_encoded_tokens() {
    let s = score_topic("bot/3f2504e0-4f89-11d3-9a0c-0305e82c3301/cmd", &w());
    assert_eq!(ids(&s), ["c2_vocabulary", "guid_token"]);
    let s = score_topic("bot/a3f9c02b7e1d44f08b2c/status", &w());
    assert_eq!(ids(&s), ["c2_vocabulary", "hex_token"]);
    let s = score_topic("x/dGhpcyBpcyBhIHNlY3JldCBtZXNzYWdl==", &w());
    assert_eq!(ids(&s), ["encoded_token"]);
    assert!(s[0].reason.contains("base64"));
    let s = score_topic("q/MFRGGZDFMZTWQ2LKNNWG23TP", &w());
    assert_eq!(ids(&s), ["encoded_token"]);
    assert!(s[0].reason.contains("base32"), "{}", s[0].reason);
}

#[test]
fn legitimate_iot_ids_stay_quiet() {
    for topic in [
        "zigbee2mqtt/0x00158d0001a2b3c4/set",
        "v3/app@ttn/devices/eui-70b3d57ed0001234/up",
        "tele/tasmota_A1B2C3/SENSOR",
        "esp/240ac4123456/status",
        "homeassistant/sensor/livingroom_temperature/config",
        "devices/dishwasher/state",
        "$aws/things/thermostat-12/shadow/update",
        "HomeAssistant2024Sensor/state",
        "factory/line3/plc7/readings/1700000000123",
        "shellies/shellyplus1pm-a8032ab12345/status",
        "application/background/notifications",
    ] {
        let s = score_topic(topic, &w());
        assert!(s.is_empty(), "{topic}: {s:?}");
    }
}

#[test]
fn a_client_that_left_its_id_empty_is_a_stock_one() {
    let s = score_unnamed_client(0, 2, &w()).unwrap();
    assert_eq!(s.id, SignalId::LibraryClientId);
    assert_eq!(s.weight, w().library_client_id);
    assert!(
        s.reason.contains("empty client id in 2 sessions"),
        "{}",
        s.reason
    );
    // A named session's id is judged instead; no session seen, nothing to say.
    assert!(score_unnamed_client(1, 2, &w()).is_none());
    assert!(score_unnamed_client(0, 0, &w()).is_none());
}

#[test]
fn library_client_ids_are_recognised() {
    let s = score_client_id("paho/34AAE54A75D839566E", &w());
    assert_eq!(ids(&s), ["library_client_id"]);
    assert!(s[0].reason.contains("paho-python"));
    assert_eq!(
        ids(&score_client_id("mqttjs_4f1a9c2e", &w())),
        ["library_client_id"]
    );
    assert_eq!(
        ids(&score_client_id("DVES_A1B2C3", &w())),
        ["library_client_id"]
    );
    assert_eq!(
        ids(&score_client_id("mosq-Xy7pQ2rS9tU4vW6zA1", &w())),
        ["library_client_id"]
    );
    // A GUID id from an implant (IOCONTROL-style).
    assert_eq!(
        ids(&score_client_id(
            "{6F9619FF-8B86-D011-B42D-00C04FC964FF}",
            &w()
        )),
        ["guid_token"]
    );
    // `mqtt_client_<uuid4>` (SIQ-LFS-1/mqtt-c2).
    assert_eq!(
        ids(&score_client_id(
            "mqtt_client_1b4e28ba-2fa1-11d2-883f-0016d3cca427",
            &w()
        )),
        ["guid_token"]
    );
}

#[test]
fn jids() {
    assert!(score_jid("alice@jabber.org/Gajim", &w()).is_empty());
    let s = score_jid("bot@xmpp.jp/3f2504e0-4f89-11d3-9a0c-0305e82c3301", &w());
    assert_eq!(ids(&s), ["c2_vocabulary", "guid_token"]);
}

#[test]
fn a_correspondents_name_is_a_persons_not_a_random_token() {
    // Surnames spell what the random test counts (consonant runs, few vowels, rare pairs)...
    assert!(looks_random("pschmidt"));
    for name in ["pschmidt", "kszczepanski", "mschwarz", "tbrandt"] {
        let jid = format!("{name}@corp.example.com");
        assert!(score_jid(&jid, &w()).is_empty(), "{jid}");
    }
    // ...while a generated account mixes letters and digits, and a random domain still counts.
    assert_eq!(
        ids(&score_jid("x7k2q9f3@jabber.at", &w())),
        ["random_token"]
    );
    assert_eq!(
        ids(&score_jid("alice@xk3j9qzr2v.net", &w())),
        ["random_token"]
    );
}

#[test]
fn device_topic_trees_name_devices_and_commands_by_design() {
    let w = w();
    // The device's id in its own tree, and the vendor's command levels.
    let shelly = "shellies/shellyplug-s-83E4E1/announce";
    assert_eq!(
        score_host_scoped(shelly, "plug-7", Some("shellyplug-s-83E4E1"), &w),
        None
    );
    assert!(score_topic("shellies/command", &w).is_empty());
    assert!(score_topic("cmnd/tasmota_A1B2C3/POWER", &w).is_empty());
    assert!(score_topic("$aws/things/thermostat-12/jobs/notify", &w).is_empty());
    assert!(score_topic("devices/meter-454f/messages/events/", &w).is_empty());
    // Strong words still count inside a tree, and the same levels outside one are judged.
    assert_eq!(ids(&score_topic("shellies/x/exec", &w)), ["c2_vocabulary"]);
    assert_eq!(
        ids(&score_topic("devices/ws-042/command", &w)),
        ["c2_vocabulary_weak"]
    );
    assert!(
        score_host_scoped("devices/ws-042/command", "ws-042", None, &w).is_some(),
        "Azure's tree is devices/<id>/messages/"
    );
    assert!(score_host_scoped("fleet/ws-042/command", "ws-042", None, &w).is_some());
}

#[test]
fn host_scoped_topics() {
    let s = score_host_scoped(
        "clients/WS-FIN-042/tasks",
        "ws-fin-042.corp.example",
        None,
        &w(),
    );
    assert_eq!(s.map(|s| s.id.as_str()), Some("host_scoped_topic"));
    let s = score_host_scoped("out/a7Xk2q", "pc1", Some("a7Xk2q"), &w());
    assert!(s.unwrap().reason.contains("client id"));
    assert!(score_host_scoped("home/pc/state", "pc", None, &w()).is_none());
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_strings(s in ".{0,2000}", host in ".{0,64}") {
        let w = Weights::default();
        for sig in score_topic(&s, &w)
            .into_iter()
            .chain(score_client_id(&s, &w))
            .chain(score_jid(&s, &w))
            .chain(score_host_scoped(&s, &host, Some(&s), &w))
        {
            prop_assert!(!sig.reason.is_empty());
            // Reasons quote at most the capped input plus fixed text.
            prop_assert!(sig.reason.len() < 4 * MAX_SCORED_BYTES);
        }
        let _ = topic_template(&s);
        let _ = level_shape(&s);
    }

    #[test]
    fn long_strings_score_like_their_capped_prefix(s in "[a-z0-9/+#]{0,64}", pad in "[a-z]{600,700}") {
        let long = format!("{s}/{pad}");
        let w = Weights::default();
        prop_assert_eq!(score_topic(&long, &w), score_topic(capped(&long, MAX_SCORED_BYTES), &w));
    }
}
