//! Sysmon Event ID 3 (NetworkConnect) readers: EVTX ([`evtx`]), exported XML ([`xml`]),
//! Winlogbeat/Elastic Agent, OTRF, NXLog and Azure `Syslog` JSON ([`json`]), and Sysmon for Linux
//! syslog lines ([`linux`]). Every reader gathers the same few fields into a [`SysmonEvent`],
//! which turns itself into a [`ConnEvent`](pubsub_hunt_core::ConnEvent) with one set of rules
//! (in `event`, which imports no reader), so the four shapes of the same event give the same
//! connection. This module declares the readers, re-exports the event and its parsers, and
//! holds the registry.
//!
//! Orientation: Sysmon's `Source*` side is the side of the logging host's socket, so for an
//! accepted connection (`Initiated` false) the initiator is the `Destination*` side. The event is
//! turned to initiator → responder from `Initiated`, as the event model requires; see
//! [`SysmonEvent::to_record`].

mod event;
pub mod evtx;
pub mod json;
pub mod linux;
pub mod xml;

use pubsub_hunt_reader::Registry;
use std::sync::Arc;

pub use event::{NETWORK_CONNECT, SysmonEvent, parse_ip, parse_port, parse_time};

/// The Sysmon formats, in sniffing priority order.
pub fn formats() -> Registry {
    vec![
        Arc::new(evtx::EvtxSpec),
        Arc::new(linux::LinuxSpec),
        Arc::new(xml::XmlSpec),
        Arc::new(json::JsonSpec),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_have_distinct_names() {
        let names: Vec<_> = formats().iter().map(|f| f.name()).collect();
        assert_eq!(
            names,
            ["sysmon-evtx", "sysmon-linux", "sysmon-xml", "sysmon-json"]
        );
        for f in formats() {
            assert!(!f.description().is_empty());
        }
    }
}
