//! Which Zeek logs pubsub-hunt reads ([`ZeekLog`]) and how a record says which one it belongs
//! to: the `#path` of a TSV header or the `_path`/`@stream` of a JSON record, or, for JSON
//! written without a path (`LogAscii::use_json=T`), the keys only that log has. Also whether the
//! candidate prefilter may skip a log's records.

/// A Zeek log pubsub-hunt reads. Every other log is recognised and left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZeekLog {
    /// `conn.log`: the connections.
    Conn,
    /// `ssl.log`: the TLS server name of a destination (address and port).
    Ssl,
    /// `dns.log`: the names A/AAAA answers gave addresses.
    Dns,
    /// `mqtt_connect.log`: an MQTT session's client id, version and will topic.
    MqttConnect,
    /// `mqtt_subscribe.log`: the topic filters a client subscribed or unsubscribed to.
    MqttSubscribe,
    /// `mqtt_publish.log`: one message, its topic, direction and payload.
    MqttPublish,
}

impl ZeekLog {
    /// The log a `#path`/`_path` names, if it is one pubsub-hunt reads.
    pub fn from_path(path: &str) -> Option<ZeekLog> {
        Some(match path {
            "conn" => ZeekLog::Conn,
            "ssl" => ZeekLog::Ssl,
            "dns" => ZeekLog::Dns,
            "mqtt_connect" => ZeekLog::MqttConnect,
            "mqtt_subscribe" => ZeekLog::MqttSubscribe,
            "mqtt_publish" => ZeekLog::MqttPublish,
            _ => return None,
        })
    }

    /// The log of a JSON record without a path, from the keys it has. A connection state means
    /// a connection and a server name a TLS handshake (as before this reader knew other logs);
    /// then the keys that only one of the other logs writes; a bare `proto` last, because
    /// `dns.log` has one too.
    pub fn from_keys(has: impl Fn(&str) -> bool) -> Option<ZeekLog> {
        Some(if has("conn_state") {
            ZeekLog::Conn
        } else if has("server_name") {
            ZeekLog::Ssl
        } else if has("qtype_name") || has("qtype") || (has("query") && has("answers")) {
            ZeekLog::Dns
        } else if has("from_client") && has("topic") {
            ZeekLog::MqttPublish
        } else if has("topics") && has("action") {
            ZeekLog::MqttSubscribe
        } else if has("client_id") && (has("proto_name") || has("proto_version")) {
            ZeekLog::MqttConnect
        } else if has("proto") {
            ZeekLog::Conn
        } else {
            return None;
        })
    }

    /// True when the candidate prefilter must not skip this log's records. A connection or a
    /// TLS handshake that matters is on a pub/sub port or carries a protocol label, which the
    /// prefilter finds; a DNS answer names an address whatever service it serves, and an MQTT
    /// message log is all MQTT even on a port the configuration does not list.
    pub fn every_line(self) -> bool {
        match self {
            ZeekLog::Conn | ZeekLog::Ssl => false,
            ZeekLog::Dns | ZeekLog::MqttConnect | ZeekLog::MqttSubscribe | ZeekLog::MqttPublish => {
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ks: &[&str]) -> Option<ZeekLog> {
        ZeekLog::from_keys(|k| ks.contains(&k))
    }

    #[test]
    fn paths_and_keys() {
        for log in [
            ZeekLog::Conn,
            ZeekLog::Ssl,
            ZeekLog::Dns,
            ZeekLog::MqttConnect,
            ZeekLog::MqttSubscribe,
            ZeekLog::MqttPublish,
        ] {
            let path = format!("{log:?}")
                .replace("Mqtt", "mqtt_")
                .to_ascii_lowercase();
            assert_eq!(ZeekLog::from_path(&path), Some(log), "{path}");
        }
        assert_eq!(ZeekLog::from_path("http"), None);
        assert_eq!(keys(&["proto", "conn_state"]), Some(ZeekLog::Conn));
        assert_eq!(keys(&["proto"]), Some(ZeekLog::Conn));
        assert_eq!(keys(&["server_name", "version"]), Some(ZeekLog::Ssl));
        // dns.log has a proto too.
        assert_eq!(
            keys(&["proto", "query", "qtype_name", "answers"]),
            Some(ZeekLog::Dns)
        );
        assert_eq!(
            keys(&["from_client", "retain", "topic", "payload"]),
            Some(ZeekLog::MqttPublish)
        );
        assert_eq!(
            keys(&["action", "topics", "qos_levels"]),
            Some(ZeekLog::MqttSubscribe)
        );
        assert_eq!(
            keys(&["proto_name", "proto_version", "client_id"]),
            Some(ZeekLog::MqttConnect)
        );
        assert_eq!(keys(&["method", "host", "uri"]), None);
        assert!(!ZeekLog::Conn.every_line() && !ZeekLog::Ssl.every_line());
        assert!(ZeekLog::Dns.every_line() && ZeekLog::MqttPublish.every_line());
    }
}
