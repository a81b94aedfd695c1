//! Network and firewall logs beyond Zeek: PAN-OS traffic, Cisco ASA connection syslog,
//! Chronicle UDM, Elastic ECS, OCSF Network Activity and Suricata EVE.
//!
//! Each format lives in its own module and reduces its records to
//! [`ConnEvent`](pubsub_hunt_core::ConnEvent)s oriented initiator → responder. This module
//! owns the registry; what the formats share lives in sibling modules that import no format:
//! the bounded line reader used by the stream readers ([`lines`]), the JSON helpers
//! (nested-or-dotted lookups, numbers written as strings, arrays and pretty-printed exports in
//! [`json`]), and the small conversions every mapping needs (`domain\user`, syslog civil
//! times, in `common`).

pub mod asa;
mod common;
pub mod ecs;
pub mod json;
mod json_stream;
pub mod lines;
pub mod ocsf;
pub mod panos;
mod recent;
pub mod suricata;
pub mod udm;

use pubsub_hunt_reader::Registry;
use std::sync::Arc;

/// The network-log formats, in sniffing priority order.
pub fn formats() -> Registry {
    vec![
        Arc::new(panos::PanOsSpec),
        Arc::new(asa::AsaSpec),
        Arc::new(udm::spec()),
        Arc::new(ocsf::spec()),
        Arc::new(suricata::EveSpec),
        Arc::new(ecs::spec()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_are_unique() {
        let names: Vec<&str> = formats().iter().map(|f| f.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names.len(), sorted.len());
        assert_eq!(names.len(), 6);
    }
}
