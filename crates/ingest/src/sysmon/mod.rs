//! Sysmon Event ID 3 (NetworkConnect) readers: EVTX, exported XML, Winlogbeat/Elastic Agent,
//! OTRF and NXLog JSON, and Sysmon for Linux syslog lines.

use crate::source::Registry;

/// The Sysmon formats, in sniffing priority order.
pub fn formats() -> Registry {
    Vec::new()
}
