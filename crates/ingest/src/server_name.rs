//! A TLS server name a log recorded for one connection apart from the connection's own record
//! (Zeek ssl.log's `server_name`, in either shape) as [`ServerName`], and the one rule that turns
//! it into a record: the name of the destination its client asked for, and, when that name is a public
//! MQTT broker's, the connection itself. A public broker takes MQTT over WebSocket on a port of
//! its own (8000, 8080, 8084, 8884, 443), which no port analytic takes and a connection log does
//! not name, so the handshake's name is the only trace the logs keep of what the connection was;
//! the engine hunts it when its port is not a pub/sub port (otherwise the connection log has it).

use pubsub_hunt_core::bounded::capped;
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{ConnEvent, Transport};
use pubsub_hunt_reader::spec::Record;
use std::net::IpAddr;

/// Longest `uid` kept (Zeek's are 18 characters).
const MAX_UID_LEN: usize = 64;

/// What one record of a TLS handshake says: the server name its client asked `ip`:`port` for,
/// and when and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerName {
    pub client: Option<IpAddr>,
    pub client_port: Option<u16>,
    pub ip: IpAddr,
    pub port: u16,
    pub name: String,
    pub ts: Option<Micros>,
    pub uid: Option<String>,
}

impl ServerName {
    /// The record: the name, with the connection when the name is a public broker's.
    pub fn into_record(self) -> Record {
        let conn = pubsub_hunt_core::behaviour::destination::public_broker(&self.name).map(|_| {
            Box::new(ConnEvent {
                ts: self.ts,
                src_ip: self.client,
                src_port: self.client_port,
                transport: Transport::Tcp,
                dst_name: Some(self.name.clone()),
                uid: self
                    .uid
                    .as_deref()
                    .map(|u| capped(u, MAX_UID_LEN).to_string()),
                ..ConnEvent::new(self.ip, self.port)
            })
        });
        Record::DestName {
            client: self.client,
            ip: self.ip,
            port: self.port,
            name: self.name,
            conn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(n: &str, port: u16) -> ServerName {
        ServerName {
            client: "10.0.0.1".parse().ok(),
            client_port: Some(50000),
            ip: "52.124.71.51".parse().unwrap(),
            port,
            name: n.to_string(),
            ts: Some(1_700_000_000_000_000),
            uid: Some("Cabc".into()),
        }
    }

    #[test]
    fn a_public_brokers_name_brings_its_connection() {
        let Record::DestName { conn, name: n, .. } = name("broker.hivemq.com", 8884).into_record()
        else {
            panic!("not a name");
        };
        assert_eq!(n, "broker.hivemq.com");
        let ev = conn.expect("the connection");
        assert_eq!(ev.dst_port, 8884);
        assert_eq!(ev.src_port, Some(50000));
        assert_eq!(ev.ts, Some(1_700_000_000_000_000));
        assert_eq!(ev.dst_name.as_deref(), Some("broker.hivemq.com"));
        assert_eq!(ev.uid.as_deref(), Some("Cabc"));
        assert_eq!(ev.transport, Transport::Tcp);
    }

    #[test]
    fn other_names_only_name() {
        for n in [
            "www.example.com",
            "broker.hivemq.com.example.net",
            "hivemq.com",
        ] {
            let Record::DestName { conn, .. } = name(n, 443).into_record() else {
                panic!("not a name");
            };
            assert!(conn.is_none(), "{n}");
        }
    }
}
