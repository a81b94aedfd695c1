//! One Zeek conn.log record as either reader parsed it ([`ConnRecord`]), and the rules that turn
//! it into a normalized event: `conn_state` to an outcome, `local_orig` to a direction, the
//! `service` set to identified protocols, `duration` to the connection's end.

use pubsub_hunt_core::bounded::capped;
use pubsub_hunt_core::time::Micros;
use pubsub_hunt_core::{ConnEvent, Direction, Outcome, Protocol, Transport};
use std::net::IpAddr;

/// Longest `uid` or `community_id` kept (Zeek's uids are 18 characters, Community IDs 30).
const MAX_ID_LEN: usize = 64;

/// The fields of one conn.log record that make its event, as either reader parsed them. Text
/// fields are `None` when unset or empty.
pub struct ConnRecord<'a> {
    pub ts: Option<Micros>,
    /// `duration`; a bad one is `None` and loses only the connection's end, like a bad byte
    /// count.
    pub duration: Option<Micros>,
    pub src_ip: IpAddr,
    pub src_port: Option<u16>,
    pub dst_ip: IpAddr,
    pub dst_port: u16,
    pub proto: Option<&'a str>,
    pub conn_state: Option<&'a str>,
    pub local_orig: Option<bool>,
    pub service: Option<&'a str>,
    /// What separates the labels of `service` (`#set_separator` in TSV, `,` in JSON).
    pub set_separator: char,
    pub orig_bytes: Option<u64>,
    pub resp_bytes: Option<u64>,
    pub orig_pkts: Option<u64>,
    pub resp_pkts: Option<u64>,
    /// `uid`, Zeek's name for the connection in all its logs.
    pub uid: Option<&'a str>,
    /// `community_id`, written by Zeek's community-id package.
    pub community_id: Option<&'a str>,
}

impl ConnRecord<'_> {
    /// The normalized event of this record, read in `format` (`zeek-tsv` or `zeek-json`).
    pub fn into_event(self, format: &'static str) -> ConnEvent {
        // A connection's end tells how long the channel stayed open.
        let end = self
            .duration
            .filter(|d| *d >= 0)
            .zip(self.ts)
            .and_then(|(d, t)| t.checked_add(d));
        ConnEvent {
            ts: self.ts,
            end,
            src_ip: Some(self.src_ip),
            src_port: self.src_port,
            transport: self.proto.map_or(Transport::Unknown, Transport::from_label),
            outcome: outcome_of(self.conn_state, self.orig_bytes, self.resp_bytes),
            direction: direction_from_local_orig(self.local_orig),
            identified: self
                .service
                .map(|s| protocols_from_service(s, self.set_separator))
                .unwrap_or_default(),
            app_label: self.service.map(str::to_string),
            bytes_out: self.orig_bytes,
            bytes_in: self.resp_bytes,
            packets_out: self.orig_pkts,
            packets_in: self.resp_pkts,
            source_format: Some(format),
            // Bounded: a hostile log cannot make every event carry a megabyte.
            uid: self.uid.map(|u| capped(u, MAX_ID_LEN).to_string()),
            community_id: self.community_id.map(|c| capped(c, MAX_ID_LEN).to_string()),
            ..ConnEvent::new(self.dst_ip, self.dst_port)
        }
    }
}

/// Zeek `conn_state` values of connections that were never established or were refused.
pub const FAILED_STATES: [&str; 6] = ["S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR"];

/// The "half" states among [`FAILED_STATES`]: Zeek gives them when it did not see one side's
/// handshake, which is also what a connection already open when the sensor started (or when a
/// log rotated) looks like: Zeek calls an endpoint it saw only mid-stream inactive, so such a
/// connection reset by its server is `RSTRH` and one closed by it is `SHR`, however much it
/// carried. `S0` (no answer) and `REJ` (refused) have no such reading.
pub const HALF_STATES: [&str; 4] = ["RSTOS0", "RSTRH", "SH", "SHR"];

/// The outcome of a record: its `conn_state`, except that a "half" state ([`HALF_STATES`]) whose
/// connection carried payload both ways was established before Zeek saw it, and succeeded.
pub fn outcome_of(
    state: Option<&str>,
    orig_bytes: Option<u64>,
    resp_bytes: Option<u64>,
) -> Outcome {
    let outcome = outcome_from_state(state);
    let both_ways = orig_bytes.is_some_and(|b| b > 0) && resp_bytes.is_some_and(|b| b > 0);
    if outcome == Outcome::Failed
        && both_ways
        && state.is_some_and(|s| HALF_STATES.contains(&s.trim()))
    {
        return Outcome::Succeeded;
    }
    outcome
}

/// Reads `conn_state`. An absent state says nothing, so it does not exclude the connection.
pub fn outcome_from_state(state: Option<&str>) -> Outcome {
    match state.map(str::trim) {
        None | Some("") | Some("-") => Outcome::Unknown,
        Some(s) if FAILED_STATES.contains(&s) => Outcome::Failed,
        Some(_) => Outcome::Succeeded,
    }
}

/// Reads `local_orig`: `F` means the connection was started from outside the local networks.
pub fn direction_from_local_orig(v: Option<bool>) -> Direction {
    match v {
        Some(true) => Direction::Outbound,
        Some(false) => Direction::Inbound,
        None => Direction::Unknown,
    }
}

/// The pub/sub protocols named in a Zeek `service` set (`xmpp,ssl`, `mqtt`).
pub fn protocols_from_service(service: &str, set_separator: char) -> Vec<Protocol> {
    let mut out = Vec::new();
    for label in service.split(set_separator) {
        if let Some(p) = Protocol::from_label(label)
            && !out.contains(&p)
        {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states() {
        assert_eq!(outcome_from_state(Some("SF")), Outcome::Succeeded);
        assert_eq!(outcome_from_state(Some("OTH")), Outcome::Succeeded);
        for s in FAILED_STATES {
            assert_eq!(outcome_from_state(Some(s)), Outcome::Failed);
        }
        assert_eq!(outcome_from_state(None), Outcome::Unknown);
    }

    #[test]
    fn a_half_state_that_carried_payload_both_ways_was_picked_up_mid_stream() {
        // A session open before the sensor started, reset by its server 11 hours later.
        let mid_stream = outcome_of(Some("RSTRH"), Some(108_124), Some(28_499));
        assert_eq!(mid_stream, Outcome::Succeeded);
        for s in HALF_STATES {
            assert_eq!(
                outcome_of(Some(s), Some(1), Some(1)),
                Outcome::Succeeded,
                "{s}"
            );
            // One-way or unknown payload: the handshake really was not answered.
            assert_eq!(
                outcome_of(Some(s), Some(66), Some(0)),
                Outcome::Failed,
                "{s}"
            );
            assert_eq!(
                outcome_of(Some(s), Some(0), Some(40)),
                Outcome::Failed,
                "{s}"
            );
            assert_eq!(outcome_of(Some(s), None, Some(40)), Outcome::Failed, "{s}");
        }
        // No answer and a refusal stay failed whatever a hostile record claims.
        assert_eq!(outcome_of(Some("S0"), Some(5), Some(5)), Outcome::Failed);
        assert_eq!(outcome_of(Some("REJ"), Some(5), Some(5)), Outcome::Failed);
        assert_eq!(outcome_of(Some("SF"), Some(0), Some(0)), Outcome::Succeeded);
    }

    #[test]
    fn services() {
        assert_eq!(
            protocols_from_service("xmpp,ssl", ','),
            vec![Protocol::Xmpp]
        );
        assert_eq!(protocols_from_service("ssl", ','), vec![]);
        assert_eq!(protocols_from_service("MQTT", ','), vec![Protocol::Mqtt]);
    }
}
