//! Zeek conn.log readers: the ASCII writer's TSV (any separator, headers taken from `#fields`,
//! several logs concatenated) in [`tsv`], and JSON lines (dotted or underscored keys, epoch or
//! ISO-8601 timestamps) in [`json`]. Both reduce a record to a [`ConnEvent`] with the rules in
//! this module, so the two shapes of the same connection give the same event.

pub mod json;
pub mod tsv;

use pubsub_hunt_core::{Direction, Outcome, Protocol};

/// Zeek `conn_state` values of connections that were never established or were refused.
pub const FAILED_STATES: [&str; 6] = ["S0", "REJ", "RSTOS0", "RSTRH", "SH", "SHR"];

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
    fn services() {
        assert_eq!(
            protocols_from_service("xmpp,ssl", ','),
            vec![Protocol::Xmpp]
        );
        assert_eq!(protocols_from_service("ssl", ','), vec![]);
        assert_eq!(protocols_from_service("MQTT", ','), vec![Protocol::Mqtt]);
    }
}
