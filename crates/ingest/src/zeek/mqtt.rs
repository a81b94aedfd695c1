//! Zeek's MQTT logs (`mqtt_connect`, `mqtt_subscribe`, `mqtt_publish`): what its MQTT analyzer
//! saw inside a cleartext session, given to the content analytics as the [`AppInfo`] packet
//! inspection would have filled, and joined to the connection by its addresses and port
//! ([`Record::SessionFacts`]). The rules follow the MQTT dissector of the packet crate: a CONNECT
//! gives the version, client id and will topic (a publication topic); SUBSCRIBE and UNSUBSCRIBE
//! filters are both topics listened on; a PUBLISH from the client is a publication, one to the
//! client a delivery, timed, with its size and what its payload looks like. Names that are not
//! UTF-8 text without control characters are left out, as the dissector leaves them out.
//! One rule for both shapes: the TSV reader ([`from_row`]) and the JSON reader (`json.rs`) hand
//! the same fields ([`MqttFact`]) to [`facts`].

use super::log::ZeekLog;
use super::tsv::{Field, Row};
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{AppInfo, Protocol, TopicDirection};
use pubsub_hunt_reader::Record;
use std::borrow::Cow;
use std::net::IpAddr;

/// What one record of an MQTT log says, as either reader parsed it (escapes decoded).
pub(super) enum MqttFact<'a> {
    Connect {
        version: Option<Cow<'a, [u8]>>,
        client_id: Option<Cow<'a, [u8]>>,
        will_topic: Option<Cow<'a, [u8]>>,
    },
    Subscribe {
        topics: Vec<Cow<'a, [u8]>>,
    },
    Publish {
        from_client: bool,
        topic: Option<Cow<'a, [u8]>>,
        /// What Zeek kept of the payload (`MQTT::max_payload_size`).
        payload: Cow<'a, [u8]>,
        /// The payload's real length, when logged.
        payload_len: Option<u64>,
    },
}

/// A name as the dissector keeps it: UTF-8 without control characters, not empty.
fn clean(b: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(b).ok()?;
    (!s.is_empty() && !s.chars().any(char::is_control)).then_some(s)
}

/// Zeek's version names (`3.1`, `3.1.1`, `5.0`) in the dissector's form (`5` for MQTT 5);
/// `None` for Zeek's `unknown-version-N`.
fn version(b: &[u8]) -> Option<&'static str> {
    match b {
        b"3.1" => Some("3.1"),
        b"3.1.1" => Some("3.1.1"),
        b"5.0" | b"5" => Some("5"),
        _ => None,
    }
}

/// The session facts of one record of the connection `endpoints` at `ts`.
pub(super) fn facts(
    (src_ip, dst_ip, dst_port): (IpAddr, IpAddr, u16),
    ts: Option<Micros>,
    fact: MqttFact<'_>,
) -> Record {
    let mut app = AppInfo {
        protocol: Some(Protocol::Mqtt),
        ..AppInfo::default()
    };
    match fact {
        MqttFact::Connect {
            version: v,
            client_id,
            will_topic,
        } => {
            app.protocol_version = v.as_deref().and_then(version).map(str::to_string);
            // Present and empty (TSV's `(empty)`, JSON's `""`): left for the broker to name.
            let id = client_id
                .as_deref()
                .and_then(|b| if b.is_empty() { Some("") } else { clean(b) });
            if let Some(id) = id {
                app.add_connect_client_id(id);
            }
            if let Some(t) = will_topic.as_deref().and_then(clean) {
                app.add_topic(t, TopicDirection::Publish, 0);
            }
        }
        MqttFact::Subscribe { topics } => {
            for t in topics.iter().filter_map(|t| clean(t)) {
                app.add_topic(t, TopicDirection::Subscribe, 0);
            }
        }
        MqttFact::Publish {
            from_client,
            topic,
            payload,
            payload_len,
        } => {
            let direction = if from_client {
                TopicDirection::Publish
            } else {
                TopicDirection::Subscribe
            };
            let topic = topic.as_deref().and_then(clean);
            let len = payload_len.unwrap_or(payload.len() as u64);
            let size = u32::try_from(len).unwrap_or(u32::MAX);
            match ts {
                Some(ts) => app.add_message(ts, direction, topic, &payload, size),
                // Without a time (masked in btest baselines) the message still counts on its
                // topic; it cannot be timed.
                None => {
                    if let Some(t) = topic {
                        app.add_topic(t, direction, 1);
                    }
                }
            }
        }
    }
    Record::SessionFacts {
        src_ip,
        dst_ip,
        dst_port,
        ts,
        app: Box::new(app),
    }
}

/// A record of an MQTT log read from TSV.
pub(super) fn from_row(log: ZeekLog, row: &Row<'_, '_>) -> Result<Record, String> {
    let fact = match log {
        ZeekLog::MqttConnect => MqttFact::Connect {
            version: row.bytes(Field::ProtoVersion),
            client_id: row.bytes_or_empty(Field::ClientId),
            will_topic: row.bytes(Field::WillTopic),
        },
        ZeekLog::MqttSubscribe => MqttFact::Subscribe {
            topics: row.list(Field::Topics),
        },
        ZeekLog::MqttPublish => MqttFact::Publish {
            from_client: row
                .flag(Field::FromClient)
                .ok_or("from_client is unset or not T/F")?,
            topic: row.bytes(Field::Topic),
            payload: row.bytes(Field::Payload).unwrap_or_default(),
            payload_len: row.count(Field::PayloadLen),
        },
        ZeekLog::Conn | ZeekLog::Ssl | ZeekLog::Dns => return Ok(Record::Other),
    };
    Ok(facts(row.endpoints()?, row.ts()?, fact))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zeek::header::{Directive, HeaderState};
    use crate::zeek::json::parse_line;
    use crate::zeek::tsv::TsvSchema;

    fn schema(path: &str, fields: &str) -> TsvSchema {
        let mut st = HeaderState::default();
        let mut out = None;
        for l in [
            "#separator \\x09".to_string(),
            "#set_separator\t,".into(),
            format!("#path\t{path}"),
            format!("#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\t{fields}"),
        ] {
            if let Directive::Schema(s) = st.apply(l.as_bytes()).unwrap() {
                out = Some(s);
            }
        }
        out.unwrap()
    }

    fn tsv(path: &str, fields: &str, row: &str) -> Result<Record, String> {
        let s = schema(path, fields);
        let log = s.log().unwrap();
        from_row(log, &s.row(row.as_bytes())?)
    }

    fn app(r: Result<Record, String>) -> (IpAddr, IpAddr, u16, Option<Micros>, AppInfo) {
        match r {
            Ok(Record::SessionFacts {
                src_ip,
                dst_ip,
                dst_port,
                ts,
                app,
            }) => (src_ip, dst_ip, dst_port, ts, *app),
            other => panic!("{other:?}"),
        }
    }

    const CONNECT: &str =
        "proto_name\tproto_version\tclient_id\tconnect_status\twill_topic\twill_payload";
    const SUBSCRIBE: &str = "action\ttopics\tqos_levels\tgranted_qos_level\tack";
    const PUBLISH: &str = "from_client\tretain\tqos\tstatus\ttopic\tpayload\tpayload_len";

    #[test]
    fn connect_gives_version_client_id_and_will_topic() {
        let (src, dst, port, ts, a) = app(tsv(
            "mqtt_connect",
            CONNECT,
            "1700000000.5\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\tMQTT\t5.0\tbot-7f3a\tConnection Accepted\tbots/7f3a/lwt\toffline",
        ));
        assert_eq!(src.to_string(), "10.1.1.7");
        assert_eq!((dst.to_string(), port), ("203.0.113.9".to_string(), 1883));
        assert_eq!(ts, Some(1_700_000_000_500_000));
        assert_eq!(a.protocol, Some(Protocol::Mqtt));
        assert_eq!(a.protocol_version.as_deref(), Some("5"));
        assert!(a.client_ids.contains("bot-7f3a"));
        assert_eq!(a.topics[0].name, "bots/7f3a/lwt");
        assert_eq!(a.topics[0].direction, TopicDirection::Publish);
        let json = app(parse_line(br#"{"_path":"mqtt_connect","ts":1700000000.5,"uid":"C1","id.orig_h":"10.1.1.7","id.orig_p":40000,"id.resp_h":"203.0.113.9","id.resp_p":1883,"proto_name":"MQTT","proto_version":"5.0","client_id":"bot-7f3a","connect_status":"Connection Accepted","will_topic":"bots/7f3a/lwt","will_payload":"offline"}"#));
        assert_eq!(json.4, a);
        // Zeek's name for a version it does not know, and an unset client id.
        let (.., a) = app(tsv(
            "mqtt_connect",
            CONNECT,
            "1.0\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\tMQTT\tunknown-version-9\t-\tConnection Accepted\t-\t-",
        ));
        assert_eq!(a.protocol_version, None);
        assert!(a.client_ids.is_empty() && a.topics.is_empty());
        assert_eq!(a.unnamed_clients, 0);
    }

    #[test]
    fn an_empty_client_id_is_counted_unset_is_not() {
        // mosquitto_pub 2.x leaves its id for the broker to name: TSV writes `(empty)`, JSON `""`.
        let (.., a) = app(tsv(
            "mqtt_connect",
            CONNECT,
            "1.0\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\tMQTT\t3.1.1\t(empty)\tConnection Accepted\t-\t-",
        ));
        assert!(a.client_ids.is_empty());
        assert_eq!(a.unnamed_clients, 1);
        let json = app(parse_line(br#"{"_path":"mqtt_connect","ts":1.0,"uid":"C1","id.orig_h":"10.1.1.7","id.orig_p":40000,"id.resp_h":"203.0.113.9","id.resp_p":1883,"proto_name":"MQTT","proto_version":"3.1.1","client_id":"","connect_status":"Connection Accepted"}"#));
        assert_eq!(json.4, a);
    }

    #[test]
    fn subscribe_and_unsubscribe_filters_are_topics_listened_on() {
        let (.., a) = app(tsv(
            "mqtt_subscribe",
            SUBSCRIBE,
            "XXXXXXXXXX.XXXXXX\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\tMQTT::SUBSCRIBE\tc2/cmd/#,a\\x2cb\t0,1\t0\tT",
        ));
        let names: Vec<(&str, TopicDirection)> = a
            .topics
            .iter()
            .map(|t| (t.name.as_str(), t.direction))
            .collect();
        assert_eq!(
            names,
            vec![
                ("c2/cmd/#", TopicDirection::Subscribe),
                ("a,b", TopicDirection::Subscribe)
            ]
        );
        let json = app(parse_line(br#"{"ts":1.0,"uid":"C1","id.orig_h":"10.1.1.7","id.orig_p":40000,"id.resp_h":"203.0.113.9","id.resp_p":1883,"action":"MQTT::UNSUBSCRIBE","topics":["c2/cmd/#","a,b"]}"#));
        assert_eq!(json.4.topics, a.topics);
    }

    #[test]
    fn publications_are_timed_messages_in_their_direction() {
        let row = "1700000100.0\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\tT\tF\tat least once\tincomplete_qos\tc2/beacon\t\\x00\\x01\\xff\\xfe\t4000";
        let (.., ts, a) = app(tsv("mqtt_publish", PUBLISH, row));
        assert_eq!(ts, Some(1_700_000_100_000_000));
        assert_eq!(a.topics[0].name, "c2/beacon");
        assert_eq!(a.topics[0].direction, TopicDirection::Publish);
        assert_eq!(a.topics[0].messages, 1);
        assert_eq!(a.messages.len(), 1);
        // The real length, and the entropy of the bytes Zeek kept.
        assert_eq!(a.messages[0].size, 4000);
        assert!(a.messages[0].entropy > 1.9, "{}", a.messages[0].entropy);
        let json = app(parse_line(br#"{"_path":"mqtt_publish","ts":1700000100.0,"uid":"C1","id.orig_h":"10.1.1.7","id.orig_p":40000,"id.resp_h":"203.0.113.9","id.resp_p":1883,"from_client":true,"retain":false,"qos":"at least once","status":"incomplete_qos","topic":"c2/beacon","payload":"\\x00\\x01\\xff\\xfe","payload_len":4000}"#));
        assert_eq!(json.4, a);
        // Delivered to the client, without a time or a length.
        let (.., a) = app(tsv(
            "mqtt_publish",
            PUBLISH,
            "XXXXXXXXXX.XXXXXX\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\tF\tF\tat most once\tok\tcmd/all\trun\t-",
        ));
        assert!(a.messages.is_empty());
        assert_eq!(a.topics[0].direction, TopicDirection::Subscribe);
        assert_eq!(a.topics[0].messages, 1);
        // A topic with a control character is left out, the message still counted.
        let (.., a) = app(tsv(
            "mqtt_publish",
            PUBLISH,
            "5.0\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\tT\tF\tat most once\tok\tbad\\x07topic\tx\t1",
        ));
        assert!(a.topics.is_empty());
        assert_eq!(a.message_count(), 1);
    }

    #[test]
    fn bad_records_are_errors_not_panics() {
        for row in [
            "1.0\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\t-\tF\tat most once\tok\tt\tp\t1",
            "1.0\tC1\t10.1.1.7\t40000\t203.0.113.9\t99999\tT\tF\tat most once\tok\tt\tp\t1",
            "1.0\tC1\tnot-an-ip\t40000\t203.0.113.9\t1883\tT\tF\tat most once\tok\tt\tp\t1",
            "bad\tC1\t10.1.1.7\t40000\t203.0.113.9\t1883\tT\tF\tat most once\tok\tt\tp\t1",
            "1.0\tC1\t10.1.1.7",
        ] {
            assert!(tsv("mqtt_publish", PUBLISH, row).is_err(), "{row}");
        }
        assert!(
            parse_line(br#"{"_path":"mqtt_publish","ts":1.0,"id.orig_h":"10.1.1.7","id.resp_h":"203.0.113.9","id.resp_p":1883,"topic":"t"}"#)
                .is_err()
        );
        // A header without the columns a log is read for is not read.
        assert_eq!(schema("mqtt_publish", "topic\tpayload").log(), None);
    }
}
