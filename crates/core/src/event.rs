//! The normalized connection event: what every source (logs, captures) is reduced to before the
//! analytics see it, and the small enums that say what a source did or did not record.
//!
//! Fields a source does not carry are `None`/`Unknown`, never a made-up default: the analytics
//! treat "unknown" explicitly (an unknown process is not a Mosquitto client; bytes stay null
//! when no source reported any).

use crate::app::AppInfo;
use crate::protocol::Protocol;
use crate::record::RecordRef;
use crate::time::Micros;
use std::net::IpAddr;

/// Transport protocol of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Tcp,
    Udp,
    /// Another IP protocol (ICMP, SCTP, …).
    Other,
    /// The source does not say.
    Unknown,
}

impl Transport {
    /// Reads the transport names the sources write (`tcp`, `TCP`, `Tcp`, `6`, …).
    pub fn from_label(s: &str) -> Transport {
        let s = s.trim();
        if s.eq_ignore_ascii_case("tcp") || s == "6" {
            Transport::Tcp
        } else if s.eq_ignore_ascii_case("udp") || s == "17" {
            Transport::Udp
        } else if s.is_empty() || s == "-" || s.eq_ignore_ascii_case("unknown_transport") {
            Transport::Unknown
        } else {
            Transport::Other
        }
    }
}

/// Whether the connection was established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    Succeeded,
    Failed,
    Unknown,
}

/// Who started the connection, relative to the monitored network or host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Started by the monitored side.
    Outbound,
    /// Started from outside (an accepted inbound connection).
    Inbound,
    Unknown,
}

/// One network connection as a source recorded it, oriented initiator → responder.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnEvent {
    /// Start of the connection. `None` when the source masks or lacks it.
    pub ts: Option<Micros>,
    /// Last activity of the connection, where the source knows it (captures, flow logs).
    pub end: Option<Micros>,
    /// The device or host name where the source has one; otherwise the analytics use the
    /// initiator address.
    pub host: Option<String>,
    /// The initiating process image (full path as recorded).
    pub process: Option<String>,
    /// The account that owns the initiating process (`domain\user` where both are known).
    pub user: Option<String>,
    /// Initiator address.
    pub src_ip: Option<IpAddr>,
    pub src_port: Option<u16>,
    /// Responder address.
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub transport: Transport,
    pub outcome: Outcome,
    pub direction: Direction,
    /// Protocols the source itself identified from the traffic (Zeek `service`, …).
    pub identified: Vec<Protocol>,
    /// The source's raw label for the application protocol (`xmpp,ssl`), for explanations.
    pub app_label: Option<String>,
    /// Payload bytes initiator → responder.
    pub bytes_out: Option<u64>,
    /// Payload bytes responder → initiator.
    pub bytes_in: Option<u64>,
    /// Packets the initiator sent, when the source counts them (Zeek, flow logs, captures).
    pub packets_out: Option<u64>,
    /// Packets the responder sent.
    pub packets_in: Option<u64>,
    /// The destination's name as the source resolved it (Sysmon `DestinationHostname`, ECS
    /// `destination.domain`, UDM `target.hostname`), when it has one.
    pub dst_name: Option<String>,
    /// The Zeek `uid` of the record (conn.log), to pivot back to the other Zeek logs of the
    /// connection.
    pub uid: Option<String>,
    /// The Community ID flow hash the source wrote for the connection (Zeek's community-id
    /// package, Suricata EVE `community_id`). Others are computed from the tuple when needed
    /// (`conn_ids`), never stored here.
    pub community_id: Option<String>,
    /// The record this event was read from.
    pub origin: Option<RecordRef>,
    /// The input format it was read in (`zeek-tsv`, `sysmon-evtx`, `pcap`, …).
    pub source_format: Option<&'static str>,
    /// What deep inspection of the payload learned (captures only).
    pub app: Option<Box<AppInfo>>,
}

impl ConnEvent {
    /// A connection to `dst_ip:dst_port` with nothing else known: every other field is unknown
    /// or empty. Readers set what their source records by struct update
    /// (`ConnEvent { ts, host, ..ConnEvent::new(dst_ip, dst_port) }`), so a new field is added
    /// here once, not in every reader.
    pub fn new(dst_ip: IpAddr, dst_port: u16) -> ConnEvent {
        ConnEvent {
            ts: None,
            end: None,
            host: None,
            process: None,
            user: None,
            src_ip: None,
            src_port: None,
            dst_ip,
            dst_port,
            transport: Transport::Unknown,
            outcome: Outcome::Unknown,
            direction: Direction::Unknown,
            identified: Vec::new(),
            app_label: None,
            bytes_out: None,
            bytes_in: None,
            packets_out: None,
            packets_in: None,
            dst_name: None,
            uid: None,
            community_id: None,
            origin: None,
            source_format: None,
            app: None,
        }
    }

    /// A minimal successful outbound TCP connection, for tests and generators.
    pub fn tcp(src: IpAddr, dst: IpAddr, dst_port: u16) -> ConnEvent {
        ConnEvent {
            src_ip: Some(src),
            transport: Transport::Tcp,
            outcome: Outcome::Succeeded,
            ..ConnEvent::new(dst, dst_port)
        }
    }

    /// The host the analytics group by: the recorded host name, else the initiator address.
    pub fn host_key(&self) -> String {
        match (&self.host, self.src_ip) {
            (Some(h), _) if !h.is_empty() => h.clone(),
            (_, Some(ip)) => ip.to_string(),
            _ => String::from("-"),
        }
    }
}

/// The file name part of a process image path (`C:\Tools\mosquitto_pub.exe` → `mosquitto_pub.exe`).
pub fn process_basename(image: &str) -> &str {
    image.rsplit(['\\', '/']).next().unwrap_or(image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basenames() {
        assert_eq!(
            process_basename(r"C:\Tools\mosquitto_pub.exe"),
            "mosquitto_pub.exe"
        );
        assert_eq!(process_basename("/usr/bin/mosquitto_sub"), "mosquitto_sub");
        assert_eq!(process_basename("nc"), "nc");
        assert_eq!(process_basename(""), "");
    }

    #[test]
    fn transports() {
        assert_eq!(Transport::from_label("TCP"), Transport::Tcp);
        assert_eq!(Transport::from_label("Tcp"), Transport::Tcp);
        assert_eq!(Transport::from_label("udp"), Transport::Udp);
        assert_eq!(Transport::from_label("icmp"), Transport::Other);
        assert_eq!(Transport::from_label("-"), Transport::Unknown);
    }
}
